//! E-mail: the SMTP connection (lettre: STARTTLS, TLS or plain to a local relay; optional
//! login), messages with a text and an HTML body, per-person preferences, one-click
//! unsubscribe (`List-Unsubscribe`, RFC 8058), and the account e-mails (invitations and
//! password resets) with single-use, short-lived tokens stored hashed.

use std::time::Duration;

use lettre::{
    message::{
        header::{HeaderName, HeaderValue},
        Mailbox, MultiPart,
    },
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use preflight_model::{RuleSetting, UserInfo, RULES};

use super::{error::AppResult, now, AppError};
use crate::db::{Conn, Pool};

/// How Preflight sends e-mail: an SMTP server and the From address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The server as people may see it (no password).
    pub shown: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailer({}, from {})", self.shown, self.from)
    }
}

/// One message to send.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Becomes the Message-ID (`<key@preflight>`), the same on every try.
    pub key: String,
    /// The one-click unsubscribe address, if the message is a notification.
    pub unsubscribe: Option<String>,
}

impl Mailer {
    /// `url`: `smtp://[user:password@]host[:port]?tls=required` (STARTTLS, port 587 by
    /// default), `smtps://…` (TLS from the start, 465) or `smtp://host:25` (plain, for a relay
    /// on the same machine or network); `from`: `Preflight <preflight@example.com>`.
    pub fn new(url: &str, from: &str, timeout: Duration) -> Result<Mailer, String> {
        let parsed =
            url::Url::parse(url).map_err(|_| format!("--smtp-url {url:?} is not a URL; e.g. smtp://user:password@smtp.example.com:587?tls=required"))?;
        if !matches!(parsed.scheme(), "smtp" | "smtps") {
            return Err(format!("--smtp-url must start with smtp:// or smtps://, not {}://", parsed.scheme()));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| format!("--smtp-url: {e}"))?.timeout(Some(timeout)).build();
        let from: Mailbox = from.parse().map_err(|e| format!("--smtp-from {from:?} is not an address ({e}); e.g. \"Preflight <preflight@example.com>\""))?;
        let mut shown = parsed.clone();
        let _ = shown.set_password(None);
        Ok(Mailer { transport, from, shown: shown.to_string() })
    }

    /// Sends one message; an error says what went wrong in words.
    pub async fn send(&self, mail: &Mail) -> Result<(), String> {
        let to: Mailbox = mail.to.parse().map_err(|e| format!("{} is not an address: {e}", mail.to))?;
        let host = self.from.email.domain().to_string();
        let mut b = Message::builder().from(self.from.clone()).to(to).subject(&mail.subject).message_id(Some(format!("<{}@{host}>", mail.key)));
        if let Some(link) = &mail.unsubscribe {
            b = b
                .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{link}>")))
                .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click".into()));
        }
        let message = b.multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone())).map_err(|e| format!("building the message: {e}"))?;
        self.transport.send(message).await.map(drop).map_err(|e| describe(&e))
    }
}

fn describe(e: &lettre::transport::smtp::Error) -> String {
    if let Some(code) = e.status() {
        let kind = if e.is_permanent() { "refused" } else { "deferred" };
        format!("the SMTP server {kind} it ({code}): {e}")
    } else if e.is_timeout() {
        "the SMTP server did not answer in time (timed out)".into()
    } else {
        format!("could not talk to the SMTP server: {e}")
    }
}

// ----- Preferences -----

/// Whether `user` wants `rule` by e-mail (a rule without a row is on).
pub async fn wants(conn: &mut Conn, user: i64, rule: &str) -> AppResult<bool> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT enabled FROM email_prefs WHERE user_id = $1 AND rule = $2").bind(user).bind(rule).fetch_optional(&mut *conn).await?;
    Ok(v.unwrap_or(1) != 0)
}

pub async fn prefs(pool: &Pool, user: i64) -> AppResult<Vec<RuleSetting>> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT rule, enabled FROM email_prefs WHERE user_id = $1").bind(user).fetch_all(pool).await?;
    Ok(super::notify::rule_settings(&rows))
}

pub async fn set_pref(pool: &Pool, user: i64, rule: &str, enabled: bool) -> AppResult<Vec<RuleSetting>> {
    let Some((id, _, _)) = RULES.iter().find(|r| r.0 == rule) else {
        return Err(AppError::bad(format!("rule: \"{rule}\" is not a rule.")));
    };
    {
        let _turn = super::db::write_turn_for(pool).await;
        sqlx::query(
            "INSERT INTO email_prefs (user_id, rule, enabled) VALUES ($1, $2, $3) ON CONFLICT (user_id, rule) DO UPDATE SET enabled = excluded.enabled",
        )
        .bind(user)
        .bind(*id)
        .bind(i64::from(enabled))
        .execute(pool)
        .await?;
    }
    prefs(pool, user).await
}

/// A new unsubscribe token for `user` and `rule`, stored hashed; the plain token goes into the
/// message's link.
pub async fn unsubscribe_token(conn: &mut Conn, user: i64, rule: &str, t: i64) -> AppResult<String> {
    let token = format!("pfu_{}", super::auth::new_secret());
    sqlx::query("INSERT INTO unsubscribe_tokens (token_hash, user_id, rule, created_at) VALUES ($1, $2, $3, $4)")
        .bind(super::auth::hash_secret(&token))
        .bind(user)
        .bind(rule)
        .bind(t)
        .execute(&mut *conn)
        .await?;
    Ok(token)
}

/// What an unsubscribe link is about: the person's e-mail and the rule's name.
pub async fn unsubscribe_target(pool: &Pool, token: &str) -> AppResult<(String, String)> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT u.email, t.rule FROM unsubscribe_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND u.disabled_at IS NULL")
            .bind(super::auth::hash_secret(token))
            .fetch_optional(pool)
            .await?;
    let (email, rule) = row.ok_or(AppError::NotFound("unsubscribe link"))?;
    Ok((email, preflight_model::rule_title(&rule).to_string()))
}

/// Turns the link's rule off for its person (one click; repeating it changes nothing).
pub async fn unsubscribe(pool: &Pool, token: &str) -> AppResult<(String, String)> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT user_id, rule FROM unsubscribe_tokens WHERE token_hash = $1").bind(super::auth::hash_secret(token)).fetch_optional(pool).await?;
    let (user, rule) = row.ok_or(AppError::NotFound("unsubscribe link"))?;
    set_pref(pool, user, &rule, false).await?;
    unsubscribe_target(pool, token).await
}

// ----- Account e-mails: invitations and password resets -----

/// How long an invitation link works.
pub const INVITE_SECS: i64 = 7 * 86_400;
/// How long a password reset link works.
pub const RESET_SECS: i64 = 3600;

/// Who an account link is for: the account (for a reset), e-mail, name and role.
struct LinkFor<'a> {
    user: Option<i64>,
    email: &'a str,
    name: &'a str,
    role: &'a str,
}

/// An account e-mail's token, stored hashed; the plain token is in the link.
async fn account_token(pool: &Pool, kind: &str, to: LinkFor<'_>, by: Option<i64>, valid_secs: i64) -> AppResult<String> {
    let LinkFor { user, email, name, role } = to;
    let token = format!("pfa_{}", super::auth::new_secret());
    let t = now();
    let _turn = super::db::write_turn_for(pool).await;
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, kind, user_id, email, name, role, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(super::auth::hash_secret(&token))
    .bind(kind)
    .bind(user)
    .bind(email)
    .bind(name)
    .bind(role)
    .bind(by)
    .bind(t)
    .bind(t + valid_secs)
    .execute(pool)
    .await?;
    Ok(token)
}

/// Queues an e-mail in the outbox (sent by the delivery worker, retried like webhooks).
pub async fn queue(conn: &mut Conn, project_id: Option<i64>, rule: &str, to: &str, body: (&str, &str, &str), unsubscribe: &str, t: i64) -> AppResult<()> {
    let key = format!("pfd_{}", super::auth::new_secret());
    let (subject, text, html) = body;
    sqlx::query(
        "INSERT INTO outbox (project_id, channel, email_to, rule, idempotency_key, subject, body, html, list_unsubscribe, next_attempt_at, created_at)
         VALUES ($1, 'email', $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(project_id)
    .bind(to)
    .bind(rule)
    .bind(key)
    .bind(subject)
    .bind(text)
    .bind(html)
    .bind(unsubscribe)
    .bind(t)
    .bind(t)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The server's public address for links in e-mails; e-mail needs `--base-url`.
fn base(store: &crate::Store) -> AppResult<String> {
    store.base_url.clone().map(|b| b.trim_end_matches('/').to_string()).ok_or_else(|| {
        AppError::bad("E-mail links need the server's public address: start it with --base-url (PREFLIGHT_BASE_URL), e.g. https://preflight.example.com.")
    })
}

fn need_mailer(store: &crate::Store) -> AppResult<()> {
    if store.mailer.is_none() {
        return Err(AppError::bad("This server sends no e-mail: start it with --smtp-url and --smtp-from (README, E-mail)."));
    }
    Ok(())
}

/// Invites someone by e-mail: the link lets them choose a password and join with `role`.
pub async fn invite(store: &crate::Store, by: &UserInfo, email: &str, name: &str, role: preflight_model::Role) -> AppResult<()> {
    need_mailer(store)?;
    let base = base(store)?;
    let email = super::auth::validate_email(email)?;
    let name = super::auth::validate_name(name)?;
    if super::auth::find_user_by_email(&store.pool, &email).await?.is_some() {
        return Err(AppError::Conflict(format!("There is already an account for {email}.")));
    }
    let token = account_token(&store.pool, "invite", LinkFor { user: None, email: &email, name: &name, role: role.as_str() }, Some(by.id), INVITE_SECS).await?;
    let link = format!("{base}/invite/{token}");
    let subject = format!("{} invites you to Preflight", by.name);
    let text = format!(
        "Hello {name},\n\n{} invites you to the team's launch checklists on Preflight.\n\nChoose your password here (the link works once, for 7 days):\n{link}\n\nIf you did not expect this, ignore this message.\n",
        by.name
    );
    let html = format!(
        "<p>Hello {},</p><p>{} invites you to the team's launch checklists on Preflight.</p><p><a href=\"{link}\">Choose your password</a> (the link works once, for 7 days).</p><p>If you did not expect this, ignore this message.</p>",
        super::markdown::escape_text(&name),
        super::markdown::escape_text(&by.name)
    );
    let mut tx = super::db::begin_write(&store.pool).await?;
    queue(&mut tx, None, "invite", &email, (&subject, &text, &html), "", now()).await?;
    tx.commit().await?;
    store.outbox_queued.notify_one();
    Ok(())
}

/// Sends a password reset link to `email` if it has an account; says nothing either way (no
/// account probing). At most three links an hour per address.
pub async fn request_reset(store: &crate::Store, email: &str) -> AppResult<()> {
    need_mailer(store)?;
    let base = base(store)?;
    let Some(user) = super::auth::find_user_by_email(&store.pool, email.trim()).await? else { return Ok(()) };
    let recent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM account_tokens WHERE kind = 'reset' AND user_id = $1 AND created_at > $2")
        .bind(user.id)
        .bind(now() - 3600)
        .fetch_one(&store.pool)
        .await?;
    if recent >= 3 {
        return Ok(());
    }
    let token =
        account_token(&store.pool, "reset", LinkFor { user: Some(user.id), email: &user.email, name: &user.name, role: user.role.as_str() }, None, RESET_SECS)
            .await?;
    let link = format!("{base}/reset/{token}");
    let text = format!(
        "Hello {},\n\nSomeone (hopefully you) asked to reset your Preflight password. Choose a new one here (the link works once, for an hour):\n{link}\n\nIf it was not you, ignore this message: your password stays as it is.\n",
        user.name
    );
    let html = format!(
        "<p>Hello {},</p><p>Someone (hopefully you) asked to reset your Preflight password.</p><p><a href=\"{link}\">Choose a new password</a> (the link works once, for an hour).</p><p>If it was not you, ignore this message: your password stays as it is.</p>",
        super::markdown::escape_text(&user.name)
    );
    let mut tx = super::db::begin_write(&store.pool).await?;
    queue(&mut tx, None, "password-reset", &user.email, ("Reset your Preflight password", &text, &html), "", now()).await?;
    tx.commit().await?;
    store.outbox_queued.notify_one();
    Ok(())
}

/// An owner resets a member's password: the member is signed out everywhere and a one-hour
/// link to choose a new password is made — e-mailed when the server sends e-mail, and
/// returned (`/reset/{token}`) for the owner to pass on either way.
pub async fn owner_reset(store: &crate::Store, by: &UserInfo, id: i64) -> AppResult<(UserInfo, String)> {
    if by.role != preflight_model::Role::Owner {
        return Err(AppError::Forbidden("Only an owner can reset someone's password.".into()));
    }
    if by.id == id {
        return Err(AppError::bad("To change your own password, use Account → Change password."));
    }
    let user = super::auth::end_sessions(&store.pool, id).await?;
    let token = account_token(
        &store.pool,
        "reset",
        LinkFor { user: Some(user.id), email: &user.email, name: &user.name, role: user.role.as_str() },
        Some(by.id),
        RESET_SECS,
    )
    .await?;
    let path = format!("/reset/{token}");
    if let (Some(_), Ok(base)) = (&store.mailer, base(store)) {
        let link = format!("{base}{path}");
        let text =
            format!("Hello {},\n\n{} reset your Preflight password. Choose a new one here (the link works once, for an hour):\n{link}\n", user.name, by.name);
        let html = format!(
            "<p>Hello {},</p><p>{} reset your Preflight password.</p><p><a href=\"{link}\">Choose a new password</a> (the link works once, for an hour).</p>",
            super::markdown::escape_text(&user.name),
            super::markdown::escape_text(&by.name)
        );
        let mut tx = super::db::begin_write(&store.pool).await?;
        queue(&mut tx, None, "password-reset", &user.email, ("Your Preflight password was reset", &text, &html), "", now()).await?;
        tx.commit().await?;
        store.outbox_queued.notify_one();
    }
    Ok((user, path))
}

/// What an account link is for, before it is used.
pub async fn link_info(pool: &Pool, token: &str) -> AppResult<preflight_model::AccountLink> {
    let (kind, email, name, _) = account_link(pool, token).await?;
    Ok(preflight_model::AccountLink { kind, email, name })
}

/// What an account link is for, before it is used: kind, e-mail, name and role.
async fn account_link(pool: &Pool, token: &str) -> AppResult<(String, String, String, String)> {
    let row: Option<(String, String, String, String, i64, Option<i64>)> =
        sqlx::query_as("SELECT kind, email, name, role, expires_at, used_at FROM account_tokens WHERE token_hash = $1")
            .bind(super::auth::hash_secret(token))
            .fetch_optional(pool)
            .await?;
    match row {
        None => Err(AppError::NotFound("link")),
        Some((_, _, _, _, _, Some(_))) => Err(AppError::bad("This link was used already; each works once. Ask for a new one.")),
        Some((_, _, _, _, exp, None)) if exp < now() => Err(AppError::bad("This link has expired. Ask for a new one.")),
        Some((kind, email, name, role, _, None)) => Ok((kind, email, name, role)),
    }
}

/// Uses an invitation or reset link: creates the account or sets the new password, once.
/// Returns the account.
pub async fn use_account_link(pool: &Pool, token: &str, password: &str) -> AppResult<UserInfo> {
    let (kind, email, name, role) = account_link(pool, token).await?;
    super::auth::validate_password(password)?;
    // Taken first, so two tabs using one link cannot both succeed.
    let took = {
        let _turn = super::db::write_turn_for(pool).await;
        sqlx::query("UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at >= $1")
            .bind(now())
            .bind(super::auth::hash_secret(token))
            .execute(pool)
            .await?
            .rows_affected()
    };
    if took == 0 {
        return Err(AppError::bad("This link was used already; each works once. Ask for a new one."));
    }
    match kind.as_str() {
        "invite" => super::auth::create_user(pool, &email, &name, preflight_model::Role::parse(&role).unwrap_or(preflight_model::Role::Member), password).await,
        _ => {
            let user = super::auth::find_user_by_email(pool, &email).await?.ok_or(AppError::NotFound("account"))?;
            super::auth::reset_password(pool, user.id, password).await?;
            Ok(user)
        }
    }
}
