//! Client review through share links: unguessable tokens stored as hashes, scoped to one
//! project (optionally one run); screenshot reviews, scope decisions and the launch
//! sign-off made through them.

use crate::db::Pool;

use super::{activity, auth, error::AppResult, now, AppError};
use preflight_model::{Decision, Review, ShareLink, ShareLinkInput, ShareView, SignOff, UserInfo};

/// Default lifetime of a link.
pub const DEFAULT_DAYS: i64 = 30;
const TOKEN_PREFIX: &str = "pfs_";

/// What a valid token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub link_id: i64,
    pub project_id: i64,
    pub run_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    project_id: i64,
    run_id: Option<i64>,
    label: String,
    created_by: String,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<Row> for ShareLink {
    fn from(r: Row) -> Self {
        ShareLink {
            id: r.id,
            project_id: r.project_id,
            run_id: r.run_id,
            label: r.label,
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            url: None,
        }
    }
}

const COLUMNS: &str = "id, project_id, run_id, label, created_by, created_at, expires_at, revoked_at";

fn expiry(raw: &Option<serde_json::Value>) -> AppResult<i64> {
    let t = match raw {
        None | Some(serde_json::Value::Null) => return Ok(now() + DEFAULT_DAYS * 86_400),
        Some(serde_json::Value::Number(n)) => n.as_i64().ok_or_else(|| AppError::bad("expires_at: give unix seconds or YYYY-MM-DD."))?,
        Some(serde_json::Value::String(s)) => {
            super::scope::parse_moment(s).ok_or_else(|| AppError::bad(format!("expires_at: \"{s}\" is not a date (YYYY-MM-DD) or unix seconds.")))?
        }
        Some(_) => return Err(AppError::bad("expires_at: give unix seconds or YYYY-MM-DD.")),
    };
    if t <= now() {
        return Err(AppError::bad("expires_at: the link would already be expired; pick a later date."));
    }
    if t > now() + 366 * 86_400 {
        return Err(AppError::bad("expires_at: at most a year from now."));
    }
    Ok(t)
}

/// Makes a link; the answer carries `url` (`/share/{token}`) once — only the hash is kept.
pub async fn create(pool: &Pool, actor: &UserInfo, project_id: i64, input: &ShareLinkInput) -> AppResult<ShareLink> {
    let project = super::projects::get(pool, project_id).await?;
    let expires_at = expiry(&input.expires_at)?;
    if let Some(run) = input.run_id {
        if super::runs::get(pool, run).await?.project_id != project_id {
            return Err(AppError::bad("run_id: that run belongs to another project."));
        }
    }
    let label = input.label.trim().chars().take(200).collect::<String>();
    let token = format!("{TOKEN_PREFIX}{}", auth::new_secret());
    let mut tx = super::db::begin_write(pool).await?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO share_links (project_id, run_id, token_hash, label, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(project_id)
    .bind(input.run_id)
    .bind(auth::hash_secret(&token))
    .bind(&label)
    .bind(&actor.name)
    .bind(now())
    .bind(expires_at)
    .fetch_one(&mut *tx)
    .await?;
    let what = input.run_id.map(|r| format!("run #{r}")).unwrap_or_else(|| "the latest run".into());
    activity::log_in(
        &mut tx,
        project_id,
        &actor.name,
        "share",
        &format!("made a review link for {what} of {} (until {})", project.name, preflight_model::format_date_ts(expires_at)),
        now(),
    )
    .await?;
    tx.commit().await?;
    let mut link = get(pool, id).await?;
    link.url = Some(format!("/share/{token}"));
    Ok(link)
}

pub async fn get(pool: &Pool, id: i64) -> AppResult<ShareLink> {
    let row: Row = sqlx::query_as(&format!("SELECT {COLUMNS} FROM share_links WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound("share link"))?;
    Ok(row.into())
}

pub async fn list(pool: &Pool, project_id: i64) -> AppResult<Vec<ShareLink>> {
    super::projects::exists(pool, project_id).await?;
    let rows: Vec<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM share_links WHERE project_id = $1 ORDER BY id DESC")).bind(project_id).fetch_all(pool).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn revoke(pool: &Pool, actor: &UserInfo, id: i64) -> AppResult<()> {
    let link = get(pool, id).await?;
    let _turn = super::db::write_turn_for(pool).await;
    sqlx::query("UPDATE share_links SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2").bind(now()).bind(id).execute(pool).await?;
    activity::log(pool, link.project_id, &actor.name, "share", &format!("revoked review link #{id}")).await?;
    Ok(())
}

/// The grant behind a token; unknown, revoked and expired tokens are all "not found".
pub async fn resolve(pool: &Pool, token: &str) -> AppResult<Grant> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 100 {
        return Err(AppError::NotFound("share link"));
    }
    let row: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, project_id, run_id FROM share_links WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(auth::hash_secret(token))
    .bind(now())
    .fetch_optional(pool)
    .await?;
    row.map(|(link_id, project_id, run_id)| Grant { link_id, project_id, run_id }).ok_or(AppError::NotFound("share link"))
}

/// The run a grant shows: its own, or the project's latest finished run with screenshots.
pub async fn run_of(pool: &Pool, g: &Grant) -> AppResult<Option<i64>> {
    if g.run_id.is_some() {
        return Ok(g.run_id);
    }
    Ok(sqlx::query_scalar(
        "SELECT r.id FROM runs r WHERE r.project_id = $1 AND r.status IN ('passed', 'failed')
           AND EXISTS (SELECT 1 FROM screenshots s WHERE s.run_id = r.id) ORDER BY r.id DESC LIMIT 1",
    )
    .bind(g.project_id)
    .fetch_optional(pool)
    .await?)
}

/// The shown run's screenshots. Each one's `previous` is the same page and viewport in the
/// last earlier run the client reviewed (so "what changed since last review" means that),
/// or, before any review, the previous run of the environment.
pub async fn gallery(pool: &Pool, g: &Grant) -> AppResult<Option<preflight_model::Gallery>> {
    let Some(run) = run_of(pool, g).await? else { return Ok(None) };
    let mut gallery = super::screenshots::gallery(pool, run).await?;
    let reviewed: Option<i64> = sqlx::query_scalar(
        "SELECT s.run_id FROM reviews r JOIN screenshots s ON s.id = r.screenshot_id
         WHERE r.project_id = $1 AND s.run_id < $2 ORDER BY s.run_id DESC LIMIT 1",
    )
    .bind(g.project_id)
    .bind(run)
    .fetch_optional(pool)
    .await?;
    // The client compares with what they reviewed last; on a first review there is nothing
    // to compare with. Scores made against another run do not apply.
    let before: Vec<(i64, String, String)> = match reviewed {
        Some(prev) => sqlx::query_as("SELECT id, url, viewport FROM screenshots WHERE run_id = $1").bind(prev).fetch_all(pool).await?,
        None => Vec::new(),
    };
    for shot in &mut gallery.shots {
        let previous = before.iter().find(|(_, u, v)| *u == shot.url && *v == shot.viewport).map(|(id, _, _)| *id);
        if previous != shot.previous {
            shot.change_ppm = None;
        }
        shot.previous = previous;
        shot.team_review = None;
    }
    gallery.previous_run_id = reviewed;
    gallery.gone.clear();
    Ok(Some(gallery))
}

/// Whether screenshot `id` may be shown through the grant: it belongs to the shown run, or
/// is the earlier screenshot its diff compares with.
pub async fn may_see_screenshot(pool: &Pool, g: &Grant, id: i64) -> AppResult<bool> {
    Ok(gallery(pool, g).await?.is_some_and(|gal| gal.shots.iter().any(|s| s.id == id || s.previous == Some(id))))
}

pub async fn reviews(pool: &Pool, project_id: i64) -> AppResult<Vec<Review>> {
    super::projects::exists(pool, project_id).await?;
    let rows: Vec<super::screenshots::ReviewRow> = sqlx::query_as(
        "SELECT id, screenshot_id, verdict, reviewer, comment, at, source FROM reviews WHERE project_id = $1 AND source = 'client' ORDER BY id DESC",
    )
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(super::screenshots::ReviewRow::review).collect())
}

/// A reviewer's name as given through a share link: 1 to 100 characters, trimmed.
pub fn reviewer_name(raw: &str) -> AppResult<String> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > 100 {
        return Err(AppError::bad("name: please give your name (so the team knows who said it)."));
    }
    Ok(n.to_string())
}

/// The client approves a screenshot or asks for changes (a comment is then required); the
/// team's live pages are told.
pub async fn review(store: &crate::Store, g: &Grant, screenshot_id: i64, approve: bool, reviewer: &str, comment: &str) -> AppResult<Review> {
    let pool = &store.pool;
    let reviewer = reviewer_name(reviewer)?;
    let comment = comment.trim();
    if !approve && comment.is_empty() {
        return Err(AppError::bad("comment: say what should change."));
    }
    if comment.chars().count() > 5000 {
        return Err(AppError::bad("comment: 5,000 characters at most."));
    }
    let Some(gallery) = gallery(pool, g).await? else { return Err(AppError::NotFound("screenshot")) };
    let Some(shot) = gallery.shots.iter().find(|s| s.id == screenshot_id) else { return Err(AppError::NotFound("screenshot")) };
    let verdict = if approve { "approved" } else { "changes_requested" };
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO reviews (project_id, screenshot_id, share_link_id, verdict, reviewer, comment, at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(g.project_id)
    .bind(screenshot_id)
    .bind(g.link_id)
    .bind(verdict)
    .bind(&reviewer)
    .bind(comment)
    .bind(t)
    .fetch_one(&mut *tx)
    .await?;
    let what = if approve { "approved" } else { "asked for changes to" };
    activity::log_in(&mut tx, g.project_id, &format!("{reviewer} (client)"), "review", &format!("{what} {} at {}", shot.url, shot.viewport), t).await?;
    let notice = super::notify::Notice {
        rule: "client-review",
        project_id: g.project_id,
        key: format!("client-review:review:{id}"),
        title: format!("{reviewer} {what} {} ({})", shot.url, shot.viewport),
        body: comment.to_string(),
        link: format!("/runs/{}#shot-{screenshot_id}", shot.run_id),
        audience: super::notify::Audience::Team,
        data: serde_json::json!({"verdict": verdict, "reviewer": reviewer, "comment": comment, "screenshot_id": screenshot_id,
                                 "url": shot.url, "viewport": shot.viewport, "run_id": shot.run_id}),
    };
    let told = super::notify::emit_in(store, &mut tx, &notice, t).await?;
    tx.commit().await?;
    super::notify::after_commit(store, g.project_id, &told).await;
    let review = Review { id, screenshot_id, verdict: verdict.into(), reviewer, comment: comment.into(), at: t, source: "client".into() };
    // The team's open run pages show it at once, whichever way the client sent it.
    store.publish_update(g.project_id, preflight_model::LiveUpdate::Review { review: review.clone() });
    Ok(review)
}

/// The client approves several screenshots at once (a page at all its viewports): one
/// review each, one entry in the activity log and one notice for the team. Screenshots
/// whose latest review by the client is already an approval are left as they are.
pub async fn approve_many(store: &crate::Store, g: &Grant, screenshot_ids: &[i64], reviewer: &str) -> AppResult<Vec<Review>> {
    let pool = &store.pool;
    let reviewer = reviewer_name(reviewer)?;
    if screenshot_ids.is_empty() || screenshot_ids.len() > 500 {
        return Err(AppError::bad("Choose at least one screenshot to approve (at most 500 at once)."));
    }
    let Some(gallery) = gallery(pool, g).await? else { return Err(AppError::NotFound("screenshot")) };
    let mut shots = Vec::new();
    for id in screenshot_ids {
        let Some(shot) = gallery.shots.iter().find(|s| s.id == *id) else { return Err(AppError::NotFound("screenshot")) };
        if shot.review.as_ref().is_none_or(|r| r.verdict != "approved") && !shots.iter().any(|s: &&preflight_model::ScreenshotView| s.id == *id) {
            shots.push(shot);
        }
    }
    if shots.is_empty() {
        return Ok(Vec::new());
    }
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let mut out = Vec::new();
    for shot in &shots {
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO reviews (project_id, screenshot_id, share_link_id, verdict, reviewer, comment, at) VALUES ($1, $2, $3, 'approved', $4, '', $5) RETURNING id",
        )
        .bind(g.project_id)
        .bind(shot.id)
        .bind(g.link_id)
        .bind(&reviewer)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        out.push(Review {
            id,
            screenshot_id: shot.id,
            verdict: "approved".into(),
            reviewer: reviewer.clone(),
            comment: String::new(),
            at: t,
            source: "client".into(),
        });
    }
    let pages: Vec<&str> = shots.iter().map(|s| s.url.as_str()).fold(Vec::new(), |mut v, u| {
        if !v.contains(&u) {
            v.push(u);
        }
        v
    });
    let what = format!("approved {} screenshot(s) of {}", shots.len(), pages.join(", "));
    activity::log_in(&mut tx, g.project_id, &format!("{reviewer} (client)"), "review", &what, t).await?;
    let notice = super::notify::Notice {
        rule: "client-review",
        project_id: g.project_id,
        key: format!("client-review:review:{}", out[0].id),
        title: format!("{reviewer} {what}"),
        body: String::new(),
        link: format!("/runs/{}#shot-{}", shots[0].run_id, shots[0].id),
        audience: super::notify::Audience::Team,
        data: serde_json::json!({"verdict": "approved", "reviewer": reviewer, "screenshot_ids": shots.iter().map(|s| s.id).collect::<Vec<_>>(), "run_id": shots[0].run_id}),
    };
    let told = super::notify::emit_in(store, &mut tx, &notice, t).await?;
    tx.commit().await?;
    super::notify::after_commit(store, g.project_id, &told).await;
    for review in &out {
        store.publish_update(g.project_id, preflight_model::LiveUpdate::Review { review: review.clone() });
    }
    Ok(out)
}

/// The client decides a change request of the shared project.
pub async fn decide(pool: &Pool, g: &Grant, change_id: i64, approve: bool, who: &str, note: &str) -> AppResult<preflight_model::ChangeRequest> {
    let who = reviewer_name(who)?;
    let cr = super::scope::change_request(pool, change_id).await?;
    if cr.project_id != g.project_id {
        return Err(AppError::NotFound("change request"));
    }
    if cr.proposed_by_kind == "client" {
        return Err(AppError::bad("The team decides the changes you proposed; you will see their decision here."));
    }
    super::scope::decide(pool, change_id, &Decision { approve, decided_by: format!("{who} (client)"), note: note.to_string() }).await
}

/// The client proposes a scope change through the link: recorded as the client's, with the
/// name they typed and their reason; the team decides it.
pub async fn propose_change(pool: &Pool, g: &Grant, who: &str, title: &str, reason: &str) -> AppResult<preflight_model::ChangeRequest> {
    let who = reviewer_name(who)?;
    let input = preflight_model::ChangeRequestInput { scope_item_id: None, title: title.to_string(), description: String::new(), reason: reason.to_string() };
    super::scope::propose(pool, g.project_id, &who, true, &input).await
}

/// Records the launch sign-off with a frozen snapshot of the checklist, the scope and the
/// screenshots approved so far.
pub async fn sign_off(store: &crate::Store, g: &Grant, who: &str) -> AppResult<SignOff> {
    let pool = &store.pool;
    let who = reviewer_name(who)?;
    let run_id = run_of(pool, g).await?;
    let checklist: Vec<(String, String, String, Option<i64>)> =
        sqlx::query_as("SELECT phase, title, state, state_changed_at FROM checklist_items WHERE project_id = $1 ORDER BY position, id")
            .bind(g.project_id)
            .fetch_all(pool)
            .await?;
    let scope = super::scope::items(pool, g.project_id).await?;
    let approved: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT s.id, s.url, s.viewport, r.reviewer, r.at FROM reviews r JOIN screenshots s ON s.id = r.screenshot_id
         WHERE r.project_id = $1 AND r.verdict = 'approved'
           AND r.id = (SELECT MAX(r2.id) FROM reviews r2 WHERE r2.screenshot_id = r.screenshot_id)
         ORDER BY s.id",
    )
    .bind(g.project_id)
    .fetch_all(pool)
    .await?;
    let snapshot = serde_json::json!({
        "run_id": run_id,
        "checklist": checklist.iter().map(|(phase, title, state, at)| serde_json::json!({"phase": phase, "title": title, "state": state, "changed_at": at})).collect::<Vec<_>>(),
        "scope": scope,
        "approved_screenshots": approved.iter().map(|(id, url, vp, by, at)| serde_json::json!({"id": id, "url": url, "viewport": vp, "approved_by": by, "at": at})).collect::<Vec<_>>(),
    });
    // Signing again is refused while nothing has changed since the last sign-off (same
    // screenshots, approvals, checklist and scope); a sign-off of a changed state supersedes it.
    if let Some(last) = signoffs(pool, g.project_id).await?.into_iter().next() {
        if last.snapshot == snapshot {
            return Err(AppError::Conflict(format!(
                "The launch was already signed off by {} on {}, and nothing has changed since. If something should change, ask the team for a new review.",
                last.signed_by,
                preflight_model::format_date_ts(last.at)
            )));
        }
    }
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let id = sqlx::query_scalar::<_, i64>("INSERT INTO signoffs (project_id, share_link_id, signed_by, at, snapshot) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(g.project_id)
        .bind(g.link_id)
        .bind(&who)
        .bind(t)
        .bind(snapshot.to_string())
        .fetch_one(&mut *tx)
        .await?;
    activity::log_in(&mut tx, g.project_id, &format!("{who} (client)"), "review", "signed off the launch", t).await?;
    let notice = super::notify::Notice {
        rule: "client-review",
        project_id: g.project_id,
        key: format!("client-review:signoff:{id}"),
        title: format!("{who} signed off the launch"),
        body: format!("{} approved screenshot(s) at the time of signing", approved.len()),
        link: format!("/projects/{}", g.project_id),
        audience: super::notify::Audience::Team,
        data: serde_json::json!({"verdict": "signed_off", "reviewer": who, "signoff_id": id}),
    };
    let told = super::notify::emit_in(store, &mut tx, &notice, t).await?;
    tx.commit().await?;
    super::notify::after_commit(store, g.project_id, &told).await;
    Ok(SignOff { id, signed_by: who, at: t, snapshot, run_id, superseded: false })
}

pub async fn signoffs(pool: &Pool, project_id: i64) -> AppResult<Vec<SignOff>> {
    let rows: Vec<(i64, String, i64, String)> =
        sqlx::query_as("SELECT id, signed_by, at, snapshot FROM signoffs WHERE project_id = $1 ORDER BY id DESC").bind(project_id).fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, (id, signed_by, at, snap))| {
            let snapshot: serde_json::Value = serde_json::from_str(&snap).unwrap_or_default();
            let run_id = snapshot["run_id"].as_i64();
            SignOff { id, signed_by, at, snapshot, run_id, superseded: i > 0 }
        })
        .collect())
}

/// Everything the client sees through the grant.
pub async fn view(pool: &Pool, g: &Grant) -> AppResult<ShareView> {
    let project = super::projects::get(pool, g.project_id).await?;
    let run_id = run_of(pool, g).await?;
    let gallery = gallery(pool, g).await?;
    let ids: Vec<i64> = gallery.as_ref().map(|g| g.shots.iter().map(|s| s.id).collect()).unwrap_or_default();
    let reviews = reviews(pool, g.project_id).await?.into_iter().filter(|r| ids.contains(&r.screenshot_id)).collect();
    let expires_at: Option<i64> = sqlx::query_scalar("SELECT expires_at FROM share_links WHERE id = $1").bind(g.link_id).fetch_one(pool).await?;
    let (checklist_done, checklist_total): (i64, i64) =
        sqlx::query_as("SELECT COALESCE(SUM(CASE WHEN state IN ('done', 'na') THEN 1 ELSE 0 END), 0), COUNT(*) FROM checklist_items WHERE project_id = $1")
            .bind(g.project_id)
            .fetch_one(pool)
            .await?;
    Ok(ShareView {
        project_name: project.name,
        client: project.client,
        launch_date: project.launch_date,
        run_id,
        gallery,
        reviews,
        training: super::training::list(pool, g.project_id, true).await?,
        scope: super::scope::items(pool, g.project_id).await?,
        change_requests: super::scope::change_requests(pool, g.project_id).await?,
        signoffs: signoffs(pool, g.project_id).await?,
        expires_at,
        training_ack: sqlx::query_as("SELECT name, at FROM training_acks WHERE project_id = $1 ORDER BY at DESC, id DESC LIMIT 1")
            .bind(g.project_id)
            .fetch_optional(pool)
            .await?,
        checklist_done,
        checklist_total,
    })
}

/// The client confirms having read the client-visible training notes (evidence for the
/// checklist's training items).
pub async fn acknowledge_training(pool: &Pool, g: &Grant, who: &str) -> AppResult<(String, i64)> {
    let who = reviewer_name(who)?;
    let visible: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM training_notes WHERE project_id = $1 AND client_visible = 1").bind(g.project_id).fetch_one(pool).await?;
    if visible == 0 {
        return Err(AppError::bad("There are no training notes to acknowledge yet."));
    }
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    sqlx::query("INSERT INTO training_acks (project_id, share_link_id, name, at) VALUES ($1, $2, $3, $4)")
        .bind(g.project_id)
        .bind(g.link_id)
        .bind(&who)
        .bind(t)
        .execute(&mut *tx)
        .await?;
    activity::log_in(&mut tx, g.project_id, &format!("{who} (client)"), "training", &format!("acknowledged the {visible} training note(s)"), t).await?;
    tx.commit().await?;
    Ok((who, t))
}

// ----- The review page's cookies (its forms work without script; see the server's share_forms) -----

/// The cookie that remembers the reviewer's name (on the link's path only).
pub const NAME_COOKIE: &str = "preflight_reviewer";
/// The one-time message about the client's last action (on the link's path only).
pub const FLASH_COOKIE: &str = "preflight_flash";

/// A cookie of the request, percent-decoded.
pub fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| url::form_urlencoded::parse(format!("v={v}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default())
}

/// A `Set-Cookie` value for the review link's own path (`HttpOnly`, `SameSite=Lax`); a
/// `max_age` of 0 removes the cookie.
pub fn link_cookie(secure: bool, token: &str, name: &str, value: &str, max_age: i64) -> String {
    let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={}; Path=/share/{}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}", enc(value), enc(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_cookies_are_read_and_written() {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::COOKIE, http::HeaderValue::from_static("a=1; preflight_reviewer=Carla+Cl%C3%ADent; b=2"));
        assert_eq!(cookie(&h, NAME_COOKIE).as_deref(), Some("Carla Clíent"));
        assert_eq!(cookie(&h, FLASH_COOKIE), None);
        let c = link_cookie(true, "pfs_abc", FLASH_COOKIE, "Say; why = now", 120);
        assert_eq!(c, "preflight_flash=Say%3B+why+%3D+now; Path=/share/pfs_abc; HttpOnly; SameSite=Lax; Max-Age=120; Secure");
    }
}
