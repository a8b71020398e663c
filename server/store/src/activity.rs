//! The activity log: who did what and when on a project (ticks, runs, scope changes,
//! training notes, client reviews), filterable by kind and person.

use crate::db::Pool;

use super::error::{AppError, AppResult};
use preflight_model::ActivityEntry;

/// Adds a line inside a transaction that makes the change it describes.
pub async fn log_in(conn: &mut crate::db::Conn, project_id: i64, actor: &str, kind: &str, summary: &str, at: i64) -> AppResult<()> {
    sqlx::query("INSERT INTO activity (project_id, at, actor, kind, summary) VALUES ($1, $2, $3, $4, $5)")
        .bind(project_id)
        .bind(at)
        .bind(actor)
        .bind(kind)
        .bind(summary)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Adds a line on its own.
pub async fn log(pool: &Pool, project_id: i64, actor: &str, kind: &str, summary: &str) -> AppResult<()> {
    let mut conn = pool.acquire().await?;
    log_in(&mut conn, project_id, actor, kind, summary, super::now()).await
}

/// Newest first; `kind` and `actor` filter when given (exact kind, actor by substring).
pub async fn list(pool: &Pool, project_id: i64, kind: Option<&str>, actor: Option<&str>, limit: i64) -> AppResult<Vec<ActivityEntry>> {
    let kind = kind.map(str::trim).filter(|k| !k.is_empty());
    if let Some(k) = kind {
        if !preflight_model::ACTIVITY_KINDS.contains(&k) {
            return Err(AppError::bad(format!("kind: \"{k}\" is not a kind of activity; use one of {}.", preflight_model::ACTIVITY_KINDS.join(", "))));
        }
    }
    super::projects::exists(pool, project_id).await?;
    let actor = actor.map(str::trim).filter(|a| !a.is_empty()).map(|a| format!("%{}%", a.replace(['%', '_'], "")));
    let rows: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
        "SELECT id, at, actor, kind, summary FROM activity
         WHERE project_id = $1 AND ($2 IS NULL OR kind = $3) AND ($4 IS NULL OR lower(actor) LIKE lower($5))
         ORDER BY id DESC LIMIT $6",
    )
    .bind(project_id)
    .bind(kind)
    .bind(kind)
    .bind(&actor)
    .bind(&actor)
    .bind(limit.clamp(1, 1000))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, at, actor, kind, summary)| ActivityEntry { id, at, actor, kind, summary }).collect())
}
