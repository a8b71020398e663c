//! What is worth telling, and telling it: rules per project (all on by default), the in-app
//! notification centre, and the durable outbox that webhooks (and e-mail) are sent from.
//!
//! A service that changes something worth telling calls [`emit_in`] in its own transaction:
//! the event's key is recorded once (a repeat tells nobody), each person concerned gets a
//! notification, and each of the project's webhooks that wants the rule gets an outbox row
//! with its body and an idempotency key made now. After the commit, [`after_commit`] updates
//! the bells live and wakes the delivery worker ([`deliver`]). A process killed between the
//! commit and the send leaves the row pending; any process sends it when it starts again.

use preflight_model::{DeliveryView, HookFormat, NotificationList, NotificationView, RuleSetting, Webhook, WebhookInput, RULES};
use serde_json::{json, Value};

use super::{error::AppResult, now, AppError};
use crate::{
    db::{Conn, Pool},
    Store,
};

/// Who a notice is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every active team account.
    Team,
    /// One person.
    User(i64),
}

/// Something worth telling.
#[derive(Debug, Clone)]
pub struct Notice {
    /// One of [`RULES`].
    pub rule: &'static str,
    pub project_id: i64,
    /// The event's identity: the same key never tells anyone twice ("run-new-errors:run:12").
    pub key: String,
    pub title: String,
    pub body: String,
    /// Where it points in the app (`/runs/12`).
    pub link: String,
    pub audience: Audience,
    /// The rule's own facts, for webhook receivers (the payload's `data`).
    pub data: Value,
}

/// Whether the project has `rule` on (a rule without a row is on).
pub async fn rule_enabled(conn: &mut Conn, project_id: i64, rule: &str) -> AppResult<bool> {
    let v: Option<i64> = sqlx::query_scalar("SELECT enabled FROM notification_rules WHERE project_id = $1 AND rule = $2")
        .bind(project_id)
        .bind(rule)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(v.unwrap_or(1) != 0)
}

/// Records `notice` in the caller's transaction: notifications for its audience and an outbox
/// row for each webhook that wants it. Returns the people notified; empty when the rule is off
/// or the event was told before.
pub async fn emit_in(store: &Store, conn: &mut Conn, notice: &Notice, t: i64) -> AppResult<Vec<i64>> {
    if !RULES.iter().any(|r| r.0 == notice.rule) {
        tracing::error!(rule = notice.rule, "a notice names no known rule");
        return Err(AppError::Internal);
    }
    if !rule_enabled(conn, notice.project_id, notice.rule).await? {
        return Ok(vec![]);
    }
    let fresh = sqlx::query("INSERT INTO notify_events (key, project_id, rule, at) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING")
        .bind(&notice.key)
        .bind(notice.project_id)
        .bind(notice.rule)
        .bind(t)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if fresh == 0 {
        return Ok(vec![]);
    }
    let people: Vec<(i64, String)> = match notice.audience {
        // Only people who may see the project hear about it.
        Audience::Team => {
            sqlx::query_as(&format!(
                "SELECT u.id, u.email FROM users u WHERE u.disabled_at IS NULL AND {} ORDER BY u.id",
                super::access::sees_project_sql("$1")
            ))
            .bind(notice.project_id)
            .fetch_all(&mut *conn)
            .await?
        }
        Audience::User(id) => {
            sqlx::query_as(&format!(
                "SELECT u.id, u.email FROM users u WHERE u.id = $2 AND u.disabled_at IS NULL AND {}",
                super::access::sees_project_sql("$1")
            ))
            .bind(notice.project_id)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    let users: Vec<i64> = people.iter().map(|(id, _)| *id).collect();
    for user in &users {
        sqlx::query("INSERT INTO notifications (user_id, project_id, rule, title, body, link, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(user)
            .bind(notice.project_id)
            .bind(notice.rule)
            .bind(&notice.title)
            .bind(&notice.body)
            .bind(&notice.link)
            .bind(t)
            .execute(&mut *conn)
            .await?;
    }
    let project: Option<String> = sqlx::query_scalar("SELECT name FROM projects WHERE id = $1").bind(notice.project_id).fetch_optional(&mut *conn).await?;
    // E-mail, for the people who want this rule by e-mail, when the server sends e-mail and
    // knows its public address (the links need it).
    if let (Some(_), Some(base)) = (&store.mailer, &store.base_url) {
        for (user, email) in &people {
            if !super::mail::wants(conn, *user, notice.rule).await? {
                continue;
            }
            let token = super::mail::unsubscribe_token(conn, *user, notice.rule, t).await?;
            let unsubscribe = format!("{}/unsubscribe/{token}", base.trim_end_matches('/'));
            let (subject, text, html) = email_body(notice, project.as_deref().unwrap_or(""), base, &unsubscribe);
            super::mail::queue(conn, Some(notice.project_id), notice.rule, email, (&subject, &text, &html), &unsubscribe, t).await?;
        }
    }
    let hooks: Vec<(i64, String, String)> = sqlx::query_as("SELECT id, format, rules FROM webhooks WHERE project_id = $1 AND active = 1 ORDER BY id")
        .bind(notice.project_id)
        .fetch_all(&mut *conn)
        .await?;
    for (hook, format, rules) in hooks {
        if !rules.trim().is_empty() && !rules.lines().any(|r| r.trim() == notice.rule) {
            continue;
        }
        let key = format!("pfd_{}", super::auth::new_secret());
        let body = payload(HookFormat::parse(&format).unwrap_or_default(), notice, project.as_deref().unwrap_or(""), &key, store.base_url.as_deref(), t);
        sqlx::query(
            "INSERT INTO outbox (project_id, channel, webhook_id, rule, idempotency_key, subject, body, next_attempt_at, created_at)
             VALUES ($1, 'webhook', $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(notice.project_id)
        .bind(hook)
        .bind(notice.rule)
        .bind(&key)
        .bind(&notice.title)
        .bind(body)
        .bind(t)
        .bind(t)
        .execute(&mut *conn)
        .await?;
    }
    Ok(users)
}

/// After the transaction that emitted notices committed: the bells of `users` update live and
/// the delivery worker wakes.
pub async fn after_commit(store: &Store, project_id: i64, users: &[i64]) {
    for &user_id in users {
        let list = list_for(&store.pool, user_id, 1).await.unwrap_or_default();
        store.publish_update(project_id, preflight_model::LiveUpdate::Notification { user_id, unread: list.unread, latest: list.items.into_iter().next() });
    }
    store.outbox_queued.notify_one();
}

/// Emits one notice in its own transaction (for events that change nothing else).
pub async fn emit(store: &Store, notice: &Notice) -> AppResult<bool> {
    let mut tx = super::db::begin_write(&store.pool).await?;
    let users = emit_in(store, &mut tx, notice, now()).await?;
    tx.commit().await?;
    after_commit(store, notice.project_id, &users).await;
    Ok(!users.is_empty())
}

/// The JSON a webhook receives, in its format. The `json` format is Preflight's stable schema
/// (`WebhookEvent` in the OpenAPI file).
pub fn payload(format: HookFormat, n: &Notice, project: &str, key: &str, base_url: Option<&str>, t: i64) -> String {
    let url = match base_url {
        Some(base) => format!("{}{}", base.trim_end_matches('/'), n.link),
        None => n.link.clone(),
    };
    let line = if n.body.is_empty() { format!("{project}: {}", n.title) } else { format!("{project}: {} — {}", n.title, n.body) };
    let v = match format {
        HookFormat::Json => json!({
            "id": key,
            "event": n.rule,
            "created_at": t,
            "project": {"id": n.project_id, "name": project},
            "title": n.title,
            "text": n.body,
            "url": url,
            "data": n.data,
        }),
        HookFormat::Slack => json!({ "text": format!("{line} <{url}|Open in Preflight>") }),
        HookFormat::Teams => json!({ "text": format!("{line} [Open in Preflight]({url})") }),
        HookFormat::Discord => json!({ "content": format!("{line} {url}"), "allowed_mentions": {"parse": []} }),
    };
    v.to_string()
}

/// A notice as an e-mail: subject, text and HTML bodies, with the link to the thing, the
/// one-click unsubscribe link and the preferences page.
pub fn email_body(n: &Notice, project: &str, base: &str, unsubscribe: &str) -> (String, String, String) {
    let base = base.trim_end_matches('/');
    let url = format!("{base}{}", n.link);
    let rule = preflight_model::rule_title(n.rule);
    let subject = format!("[{project}] {}", n.title);
    let body = if n.body.is_empty() { String::new() } else { format!("{}\n\n", n.body) };
    let text = format!(
        "{}\n\n{body}Open it in Preflight: {url}\n\n--\nYou get this because \"{rule}\" is on for {project}.\nStop these e-mails: {unsubscribe}\nChoose which e-mails you get: {base}/account#email\n",
        n.title
    );
    let html_body = if n.body.is_empty() { String::new() } else { format!("<p style=\"white-space: pre-line\">{}</p>", ammonia::clean_text(&n.body)) };
    let html = format!(
        "<p><strong>{}</strong></p>{html_body}<p><a href=\"{}\">Open it in Preflight</a></p><hr><p style=\"color:#5b6470;font-size:13px\">You get this because “{}” is on for {}. <a href=\"{}\">Stop these e-mails</a> · <a href=\"{}/account#email\">Choose which e-mails you get</a></p>",
        ammonia::clean_text(&n.title),
        ammonia::clean_text(&url),
        ammonia::clean_text(rule),
        ammonia::clean_text(project),
        ammonia::clean_text(unsubscribe),
        ammonia::clean_text(base)
    );
    (subject, text, html)
}

/// `sha256=<hex>`: HMAC-SHA256 of `body` with the webhook's secret, the `X-Preflight-Signature`
/// header.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, body);
    format!("sha256={}", tag.as_ref().iter().map(|b| format!("{b:02x}")).collect::<String>())
}

// ----- The notification centre -----

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: i64,
    project_id: Option<i64>,
    project: Option<String>,
    rule: String,
    title: String,
    body: String,
    link: String,
    created_at: i64,
    read_at: Option<i64>,
}

/// A person's newest notifications and unread count.
pub async fn list_for(pool: &Pool, user_id: i64, limit: i64) -> AppResult<NotificationList> {
    // Notices about a project the person was since taken off are not shown.
    let sees = format!("(n.project_id IS NULL OR {})", super::access::sees_project_sql("n.project_id"));
    let unread: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.user_id = $1 AND n.read_at IS NULL AND {sees}"
    ))
    .bind(user_id)
    .fetch_one(pool)
    .await?;
    let rows: Vec<NoteRow> = sqlx::query_as(&format!(
        "SELECT n.id, n.project_id, p.name AS project, n.rule, n.title, n.body, n.link, n.created_at, n.read_at
         FROM notifications n JOIN users u ON u.id = n.user_id LEFT JOIN projects p ON p.id = n.project_id
         WHERE n.user_id = $1 AND {sees} ORDER BY n.id DESC LIMIT $2"
    ))
    .bind(user_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| NotificationView {
            id: r.id,
            project_id: r.project_id,
            project: r.project,
            rule: r.rule,
            title: r.title,
            body: r.body,
            link: r.link,
            created_at: r.created_at,
            read: r.read_at.is_some(),
        })
        .collect();
    Ok(NotificationList { unread, items })
}

/// Marks a person's notifications read: the ones named, or all of them. Answers the list.
pub async fn mark_read(store: &Store, user_id: i64, ids: Option<&[i64]>) -> AppResult<NotificationList> {
    let t = now();
    {
        let _turn = super::db::write_turn_for(&store.pool).await;
        match ids {
            None => {
                sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL").bind(t).bind(user_id).execute(&store.pool).await?;
            }
            Some(ids) => {
                for id in ids {
                    sqlx::query("UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL")
                        .bind(t)
                        .bind(id)
                        .bind(user_id)
                        .execute(&store.pool)
                        .await?;
                }
            }
        }
    }
    let list = list_for(&store.pool, user_id, 50).await?;
    // Other tabs of the same person update their bell too.
    store.publish_update(0, preflight_model::LiveUpdate::Notification { user_id, unread: list.unread, latest: None });
    Ok(list)
}

// ----- Rules -----

pub async fn rules(pool: &Pool, project_id: i64) -> AppResult<Vec<RuleSetting>> {
    super::projects::get(pool, project_id).await?;
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT rule, enabled FROM notification_rules WHERE project_id = $1").bind(project_id).fetch_all(pool).await?;
    Ok(rule_settings(&rows))
}

/// Every rule with its setting: the stored `(rule, enabled)` rows, on where there is none.
pub fn rule_settings(rows: &[(String, i64)]) -> Vec<RuleSetting> {
    RULES
        .iter()
        .map(|(id, title, description)| RuleSetting {
            rule: id.to_string(),
            title: title.to_string(),
            description: description.to_string(),
            enabled: rows.iter().find(|(r, _)| r == id).is_none_or(|(_, e)| *e != 0),
        })
        .collect()
}

pub async fn set_rule(pool: &Pool, actor: &preflight_model::UserInfo, project_id: i64, rule: &str, enabled: bool) -> AppResult<Vec<RuleSetting>> {
    super::projects::get(pool, project_id).await?;
    let Some((id, title, _)) = RULES.iter().find(|r| r.0 == rule) else {
        let known: Vec<&str> = RULES.iter().map(|r| r.0).collect();
        return Err(AppError::bad(format!("rule: \"{rule}\" is not a rule; the rules are {}.", known.join(", "))));
    };
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    sqlx::query(
        "INSERT INTO notification_rules (project_id, rule, enabled) VALUES ($1, $2, $3)
         ON CONFLICT (project_id, rule) DO UPDATE SET enabled = excluded.enabled",
    )
    .bind(project_id)
    .bind(*id)
    .bind(i64::from(enabled))
    .execute(&mut *tx)
    .await?;
    let what = if enabled { "turned on" } else { "turned off" };
    super::activity::log_in(&mut tx, project_id, &actor.name, "notify", &format!("{what} the notification \"{title}\""), t).await?;
    tx.commit().await?;
    rules(pool, project_id).await
}

// ----- Webhooks -----

/// What sealing binds a webhook secret to (see [`super::secrets`]).
const SECRET_PURPOSE: &str = "webhook-secret";

fn validate_hook(input: &WebhookInput) -> AppResult<WebhookInput> {
    let mut w = input.clone();
    w.name = input.name.trim().to_string();
    if w.name.chars().count() > 100 {
        return Err(AppError::bad("name: 100 characters at most."));
    }
    w.url = hook_url(&input.url).map_err(|m| AppError::bad(format!("url: {m}")))?;
    for r in &input.rules {
        if !RULES.iter().any(|x| x.0 == r) {
            let known: Vec<&str> = RULES.iter().map(|r| r.0).collect();
            return Err(AppError::bad(format!("rules: \"{r}\" is not a rule; the rules are {}.", known.join(", "))));
        }
    }
    w.rules.sort();
    w.rules.dedup();
    Ok(w)
}

/// A webhook address passes the crawler's guards: http or https, a host, no credentials in it,
/// never a cloud metadata address or a name public DNS never resolves. (Names are checked again
/// when each delivery resolves them.)
pub fn hook_url(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let url = url::Url::parse(raw).map_err(|_| format!("\"{raw}\" is not a URL; give the full address, e.g. https://hooks.slack.com/services/…"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("only http:// and https:// addresses can receive webhooks, not {}://", url.scheme()));
    }
    let host = url.host_str().ok_or_else(|| format!("\"{raw}\" has no host"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("put no user name or password in the address; the signature proves the sender".into());
    }
    use preflight_engine::fetch::{is_metadata_address, is_metadata_host, is_reserved_name};
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let metadata = match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => is_metadata_address(ip),
        Err(_) => is_metadata_host(bare),
    };
    if metadata {
        return Err(format!("{bare} is a cloud metadata address"));
    }
    if bare.parse::<std::net::IpAddr>().is_err() && is_reserved_name(bare) {
        return Err(format!("{bare} is a reserved name that public DNS never resolves"));
    }
    if raw.len() > 2000 {
        return Err("2000 characters at most".into());
    }
    Ok(url.to_string())
}

#[derive(sqlx::FromRow)]
struct HookRow {
    id: i64,
    project_id: i64,
    name: String,
    url: String,
    format: String,
    rules: String,
    active: i64,
    created_at: i64,
}

impl From<HookRow> for Webhook {
    fn from(r: HookRow) -> Webhook {
        Webhook {
            id: r.id,
            project_id: r.project_id,
            name: r.name,
            url: r.url,
            format: HookFormat::parse(&r.format).unwrap_or_default(),
            rules: r.rules.lines().map(str::to_string).filter(|s| !s.is_empty()).collect(),
            active: r.active != 0,
            created_at: r.created_at,
            secret: None,
        }
    }
}

const HOOK_SELECT: &str = "SELECT id, project_id, name, url, format, rules, active, created_at FROM webhooks";

pub async fn webhooks(pool: &Pool, project_id: i64) -> AppResult<Vec<Webhook>> {
    let rows: Vec<HookRow> = sqlx::query_as(&format!("{HOOK_SELECT} WHERE project_id = $1 ORDER BY id")).bind(project_id).fetch_all(pool).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn webhook(pool: &Pool, id: i64) -> AppResult<Webhook> {
    let row: HookRow = sqlx::query_as(&format!("{HOOK_SELECT} WHERE id = $1")).bind(id).fetch_optional(pool).await?.ok_or(AppError::NotFound("webhook"))?;
    Ok(row.into())
}

/// A new webhook secret: `whsec_` and 256 random bits.
fn new_hook_secret() -> String {
    format!("whsec_{}", super::auth::new_secret())
}

/// Adds a webhook to the project; the answer carries its secret, shown this once.
pub async fn create_webhook(store: &Store, actor: &preflight_model::UserInfo, project_id: i64, input: &WebhookInput) -> AppResult<Webhook> {
    super::projects::get(&store.pool, project_id).await?;
    let w = validate_hook(input)?;
    let secret = new_hook_secret();
    let t = now();
    let mut tx = super::db::begin_write(&store.pool).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO webhooks (project_id, name, url, format, rules, secret, active, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(project_id)
    .bind(&w.name)
    .bind(&w.url)
    .bind(w.format.as_str())
    .bind(w.rules.join("\n"))
    .bind(store.sealer.seal(secret.as_bytes(), SECRET_PURPOSE))
    .bind(i64::from(w.active))
    .bind(t)
    .bind(actor.id)
    .fetch_one(&mut *tx)
    .await?;
    super::activity::log_in(&mut tx, project_id, &actor.name, "notify", &format!("added a webhook to {}", host_of(&w.url)), t).await?;
    tx.commit().await?;
    Ok(Webhook { secret: Some(secret), ..webhook(&store.pool, id).await? })
}

fn host_of(url: &str) -> String {
    url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default()
}

pub async fn update_webhook(store: &Store, actor: &preflight_model::UserInfo, id: i64, input: &WebhookInput) -> AppResult<Webhook> {
    let before = webhook(&store.pool, id).await?;
    let w = validate_hook(input)?;
    let mut tx = super::db::begin_write(&store.pool).await?;
    sqlx::query("UPDATE webhooks SET name = $1, url = $2, format = $3, rules = $4, active = $5 WHERE id = $6")
        .bind(&w.name)
        .bind(&w.url)
        .bind(w.format.as_str())
        .bind(w.rules.join("\n"))
        .bind(i64::from(w.active))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    super::activity::log_in(&mut tx, before.project_id, &actor.name, "notify", &format!("changed the webhook to {}", host_of(&w.url)), now()).await?;
    tx.commit().await?;
    webhook(&store.pool, id).await
}

/// A new secret for the webhook (the old one stops signing at once); shown this once.
pub async fn rotate_secret(store: &Store, actor: &preflight_model::UserInfo, id: i64) -> AppResult<Webhook> {
    let before = webhook(&store.pool, id).await?;
    let secret = new_hook_secret();
    let mut tx = super::db::begin_write(&store.pool).await?;
    sqlx::query("UPDATE webhooks SET secret = $1 WHERE id = $2").bind(store.sealer.seal(secret.as_bytes(), SECRET_PURPOSE)).bind(id).execute(&mut *tx).await?;
    super::activity::log_in(
        &mut tx,
        before.project_id,
        &actor.name,
        "notify",
        &format!("made a new secret for the webhook to {}", host_of(&before.url)),
        now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Webhook { secret: Some(secret), ..before })
}

pub async fn delete_webhook(store: &Store, actor: &preflight_model::UserInfo, id: i64) -> AppResult<()> {
    let before = webhook(&store.pool, id).await?;
    let mut tx = super::db::begin_write(&store.pool).await?;
    sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id).execute(&mut *tx).await?;
    super::activity::log_in(&mut tx, before.project_id, &actor.name, "notify", &format!("removed the webhook to {}", host_of(&before.url)), now()).await?;
    tx.commit().await?;
    Ok(())
}

// ----- The outbox -----

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    channel: String,
    url: Option<String>,
    email_to: Option<String>,
    rule: String,
    idempotency_key: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: String,
    last_status: Option<i64>,
    created_at: i64,
    sent_at: Option<i64>,
    subject: String,
}

/// The project's latest deliveries, newest first.
pub async fn deliveries(pool: &Pool, project_id: i64, limit: i64) -> AppResult<Vec<DeliveryView>> {
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT o.id, o.channel, w.url, o.email_to, o.rule, o.idempotency_key, o.status, o.attempts, o.next_attempt_at, o.last_error,
                o.last_status, o.created_at, o.sent_at, o.subject
         FROM outbox o LEFT JOIN webhooks w ON w.id = o.webhook_id WHERE o.project_id = $1 ORDER BY o.id DESC LIMIT $2",
    )
    .bind(project_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DeliveryView {
            id: r.id,
            channel: r.channel,
            target: r.url.or(r.email_to).unwrap_or_default(),
            rule: r.rule,
            idempotency_key: r.idempotency_key,
            next_attempt_at: (r.status == "pending").then_some(r.next_attempt_at),
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
            last_status: r.last_status,
            created_at: r.created_at,
            sent_at: r.sent_at,
            subject: r.subject,
        })
        .collect())
}

/// The project's notification settings page.
pub async fn settings(pool: &Pool, project_id: i64) -> AppResult<preflight_model::NotifySettings> {
    Ok(preflight_model::NotifySettings {
        project_id,
        rules: rules(pool, project_id).await?,
        webhooks: webhooks(pool, project_id).await?,
        deliveries: deliveries(pool, project_id, 50).await?,
    })
}

/// Sends a failed delivery again (same body, same idempotency key), from the first try.
pub async fn retry(store: &Store, id: i64) -> AppResult<()> {
    let _turn = super::db::write_turn_for(&store.pool).await;
    let n = sqlx::query("UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1 WHERE id = $2 AND status = 'failed'")
        .bind(now())
        .bind(id)
        .execute(&store.pool)
        .await?
        .rows_affected();
    drop(_turn);
    if n == 0 {
        let exists: Option<String> = sqlx::query_scalar("SELECT status FROM outbox WHERE id = $1").bind(id).fetch_optional(&store.pool).await?;
        return Err(match exists {
            None => AppError::NotFound("delivery"),
            Some(s) => AppError::bad(format!("Only a failed delivery can be sent again; this one is {s}.")),
        });
    }
    store.outbox_queued.notify_one();
    Ok(())
}

/// How deliveries are tried.
#[derive(Debug, Clone)]
pub struct DeliveryPolicy {
    /// Tries before a delivery ends as failed.
    pub max_attempts: i64,
    /// The wait after the first failed try; it doubles after each one (at most an hour).
    pub first_backoff_ms: u64,
    /// How long one try may take (connect, send, answer).
    pub timeout: std::time::Duration,
    /// A delivery claimed this long ago by a process that never finished it is tried again.
    pub stale_after_secs: i64,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy { max_attempts: 6, first_backoff_ms: 30_000, timeout: std::time::Duration::from_secs(10), stale_after_secs: 120 }
    }
}

impl DeliveryPolicy {
    /// Milliseconds to wait after try number `attempt` (1-based) failed.
    pub fn backoff_ms(&self, attempt: i64) -> u64 {
        let doubling = 1u64 << (attempt.clamp(1, 20) - 1);
        self.first_backoff_ms.saturating_mul(doubling).min(3_600_000)
    }
}

/// One claimed delivery.
#[derive(sqlx::FromRow)]
struct Claimed {
    id: i64,
    channel: String,
    webhook_id: Option<i64>,
    email_to: Option<String>,
    rule: String,
    idempotency_key: String,
    subject: String,
    body: String,
    html: String,
    list_unsubscribe: String,
    attempts: i64,
}

/// One try of an e-mail: sent, or why not.
async fn send_email(store: &Store, job: &Claimed) -> Result<i64, (Option<i64>, String)> {
    let Some(mailer) = &store.mailer else {
        return Err((None, "this server sends no e-mail now (no --smtp-url)".into()));
    };
    let mail = super::mail::Mail {
        to: job.email_to.clone().unwrap_or_default(),
        subject: job.subject.clone(),
        text: job.body.clone(),
        html: job.html.clone(),
        key: job.idempotency_key.clone(),
        unsubscribe: Some(job.list_unsubscribe.clone()).filter(|u| !u.is_empty()),
    };
    mailer.send(&mail).await.map(|()| 250).map_err(|why| (None, why))
}

/// What one [`deliver`] pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Sends every due delivery, one claim at a time (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the
/// write turn on SQLite), until none is due.
pub async fn deliver(store: &Store, worker: &str, http: &reqwest::Client) -> AppResult<Pass> {
    let policy = &store.delivery;
    let mut pass = Pass::default();
    loop {
        let t = now();
        let skip_locked = super::db::Backend::of(&store.pool).skip_locked();
        let claimed: Option<Claimed> = {
            let _turn = super::db::write_turn_for(&store.pool).await;
            sqlx::query_as(&format!(
                "UPDATE outbox SET status = 'sending', claimed_by = $1, claimed_at = $2, attempts = attempts + 1
                 WHERE id = (SELECT id FROM outbox WHERE (status = 'pending' AND next_attempt_at <= $2)
                                                    OR (status = 'sending' AND claimed_at < $3)
                             ORDER BY next_attempt_at, id LIMIT 1{skip_locked})
                 RETURNING id, channel, webhook_id, email_to, rule, idempotency_key, subject, body, html, list_unsubscribe, attempts"
            ))
            .bind(worker)
            .bind(t)
            .bind(t - policy.stale_after_secs)
            .fetch_optional(&store.pool)
            .await?
        };
        let Some(job) = claimed else { return Ok(pass) };
        let outcome = match job.channel.as_str() {
            "webhook" => send_webhook(store, http, policy, &job).await,
            "email" => send_email(store, &job).await,
            other => Err((None, format!("no sender for the {other} channel"))),
        };
        let _turn = super::db::write_turn_for(&store.pool).await;
        match outcome {
            Ok(status) => {
                sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $1, last_status = $2, last_error = '' WHERE id = $3 AND claimed_by = $4")
                    .bind(now())
                    .bind(status)
                    .bind(job.id)
                    .bind(worker)
                    .execute(&store.pool)
                    .await?;
                pass.sent += 1;
            }
            Err((status, why)) => {
                let done = job.attempts >= policy.max_attempts;
                let (state, next) = if done { ("failed", now()) } else { ("pending", now() + (policy.backoff_ms(job.attempts) / 1000) as i64) };
                let why = if done { format!("failed after {} tries: {why}", job.attempts) } else { why };
                sqlx::query("UPDATE outbox SET status = $1, next_attempt_at = $2, last_status = $3, last_error = $4 WHERE id = $5 AND claimed_by = $6")
                    .bind(state)
                    .bind(next)
                    .bind(status)
                    .bind(&why)
                    .bind(job.id)
                    .bind(worker)
                    .execute(&store.pool)
                    .await?;
                if done {
                    pass.failed += 1;
                } else {
                    pass.retried += 1;
                }
            }
        }
    }
}

/// One try of a webhook delivery: the HTTP status on a 2xx, else the status (if any) and why.
async fn send_webhook(store: &Store, http: &reqwest::Client, policy: &DeliveryPolicy, job: &Claimed) -> Result<i64, (Option<i64>, String)> {
    let row: Option<(String, Vec<u8>, i64)> = sqlx::query_as("SELECT url, secret, active FROM webhooks WHERE id = $1")
        .bind(job.webhook_id)
        .fetch_optional(&store.pool)
        .await
        .map_err(|e| (None, format!("reading the webhook: {e}")))?;
    let Some((url, sealed, _active)) = row else { return Err((None, "the webhook was removed".into())) };
    let secret = store.sealer.open(&sealed, SECRET_PURPOSE).ok_or((None, "the webhook's secret cannot be opened with this server's key".to_string()))?;
    let secret = String::from_utf8_lossy(&secret).into_owned();
    let url = hook_url(&url).map_err(|why| (None, why))?;
    let res = http
        .post(&url)
        .timeout(policy.timeout)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header("X-Preflight-Event", &job.rule)
        .header("X-Preflight-Delivery", &job.idempotency_key)
        .header("Idempotency-Key", &job.idempotency_key)
        .header("X-Preflight-Signature", signature(&secret, job.body.as_bytes()))
        .body(job.body.clone())
        .send()
        .await
        .map_err(|e| (None, describe_send_error(&e)))?;
    let status = i64::from(res.status().as_u16());
    if res.status().is_success() {
        Ok(status)
    } else {
        let reason = res.status().canonical_reason().unwrap_or("");
        Err((Some(status), format!("the receiver answered {status} {reason}").trim_end().to_string()))
    }
}

fn describe_send_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time (timed out)".into()
    } else if e.is_connect() {
        let inner = std::error::Error::source(e).map(|s| s.to_string()).unwrap_or_default();
        format!("could not connect{}", if inner.is_empty() { String::new() } else { format!(" ({inner})") })
    } else if e.is_redirect() {
        "the receiver redirected; give the final address".into()
    } else {
        e.to_string()
    }
}

/// The HTTP client deliveries use: the crawler's DNS guard (no metadata addresses), no
/// redirects (an address that moves must be changed), no cookies.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(preflight_engine::fetch::guarded_resolver())
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Preflight-Webhook/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("the webhook client builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(signature("Jefe", b"what do ya want for nothing?"), "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn webhook_addresses_pass_the_crawlers_guards() {
        assert_eq!(hook_url(" https://hooks.example.com/x?y=1 ").unwrap(), "https://hooks.example.com/x?y=1");
        assert!(hook_url("http://127.0.0.1:8080/hook").is_ok(), "loopback receivers are fine (tests, a relay on the same machine)");
        for (bad, why) in [
            ("ftp://example.com/x", "only http:// and https://"),
            ("http://169.254.169.254/latest/meta-data/", "metadata"),
            ("http://[fd00:ec2::254]/", "metadata"),
            ("http://metadata.google.internal/", "metadata"),
            ("https://user:pw@example.com/", "no user name"),
            ("hooks.example.com/x", "is not a URL"),
            ("https://hooks.test/x", "reserved name"),
        ] {
            let e = hook_url(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
            assert!(!e.contains("--allow-metadata"), "{e}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let p = DeliveryPolicy::default();
        assert_eq!((p.backoff_ms(1), p.backoff_ms(2), p.backoff_ms(3)), (30_000, 60_000, 120_000));
        assert_eq!(p.backoff_ms(12), 3_600_000);
    }

    #[test]
    fn payloads_fit_each_receiver() {
        let n = Notice {
            rule: "client-review",
            project_id: 7,
            key: "k".into(),
            title: "Ann signed off the launch".into(),
            body: "through the review link".into(),
            link: "/projects/7".into(),
            audience: Audience::Team,
            data: json!({"verdict": "signed_off"}),
        };
        let v: Value = serde_json::from_str(&payload(HookFormat::Json, &n, "Shop", "pfd_1", Some("https://pf.example/"), 100)).unwrap();
        assert_eq!((v["id"].as_str(), v["event"].as_str(), v["url"].as_str()), (Some("pfd_1"), Some("client-review"), Some("https://pf.example/projects/7")));
        assert_eq!((v["project"]["name"].as_str(), v["data"]["verdict"].as_str()), (Some("Shop"), Some("signed_off")));
        let v: Value = serde_json::from_str(&payload(HookFormat::Slack, &n, "Shop", "pfd_1", None, 100)).unwrap();
        assert_eq!(v["text"], "Shop: Ann signed off the launch — through the review link </projects/7|Open in Preflight>");
        let v: Value = serde_json::from_str(&payload(HookFormat::Discord, &n, "Shop", "pfd_1", None, 100)).unwrap();
        assert!(v["content"].as_str().unwrap().starts_with("Shop: Ann signed off"));
        assert_eq!(v["allowed_mentions"]["parse"], json!([]), "no @everyone from a page title");
    }
}
