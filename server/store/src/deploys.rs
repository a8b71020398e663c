//! Deploys recorded by the team or by CI: evidence from runs before an environment's latest
//! deploy is stale (see [`super::evidence`]).

use crate::db::Pool;

use super::{error::AppResult, now, AppError};
use preflight_model::{Deploy, NewDeploy, UserInfo};

/// Records a deploy of the project's environment named `new.environment` (name or id).
pub async fn record(pool: &Pool, actor: &UserInfo, project_id: i64, new: &NewDeploy) -> AppResult<Deploy> {
    let project = super::projects::get(pool, project_id).await?;
    let env = super::projects::environment_named(&project, &new.environment)?;
    let revision = new.revision.trim();
    let note = new.note.trim();
    if revision.chars().count() > 200 {
        return Err(AppError::bad("revision: 200 characters at most."));
    }
    if note.chars().count() > 2000 {
        return Err(AppError::bad("note: 2000 characters at most."));
    }
    let at = now();
    let mut tx = super::db::begin_write(pool).await?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO deploys (project_id, environment_id, at, revision, note, recorded_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(project_id)
    .bind(env.id)
    .bind(at)
    .bind(revision)
    .bind(note)
    .bind(actor.id)
    .fetch_one(&mut *tx)
    .await?;
    let what = if revision.is_empty() { String::new() } else { format!(" (revision {revision})") };
    super::activity::log_in(&mut tx, project_id, &actor.name, "deploy", &format!("recorded a deploy to {}{what}", env.name), at).await?;
    tx.commit().await?;
    Ok(Deploy { id, environment: env.name.clone(), at, revision: revision.to_string(), note: note.to_string(), recorded_by: Some(actor.name.clone()) })
}

/// The project's deploys, newest first.
pub async fn list(pool: &Pool, project_id: i64, limit: i64) -> AppResult<Vec<Deploy>> {
    super::projects::get(pool, project_id).await?;
    let rows: Vec<(i64, String, i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT d.id, e.name, d.at, d.revision, d.note, u.name FROM deploys d JOIN environments e ON e.id = d.environment_id
         LEFT JOIN users u ON u.id = d.recorded_by WHERE d.project_id = $1 ORDER BY d.at DESC, d.id DESC LIMIT $2",
    )
    .bind(project_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, environment, at, revision, note, recorded_by)| Deploy { id, environment, at, revision, note, recorded_by }).collect())
}
