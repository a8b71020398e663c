//! Deploys recorded by the team or by CI: evidence from runs before an environment's latest
//! deploy is stale (see [`super::evidence`]).

use crate::db::Pool;

use super::{error::AppResult, now, AppError};
use preflight_model::{Deploy, DeployRecorded, NewDeploy, RunCause, UserInfo};

/// Records a deploy of the project's environment named `new.environment` (name or id) and,
/// unless `new.start_run` is false, queues a check run of it in the same transaction (the run
/// is marked as started by the deploy), then wakes the runner and tells live viewers.
pub async fn record(store: &crate::Store, actor: &UserInfo, project_id: i64, new: &NewDeploy) -> AppResult<DeployRecorded> {
    let pool = &store.pool;
    let project = super::projects::get(pool, project_id).await?;
    let env = super::projects::environment_named(&project, &new.environment)?;
    let revision = new.revision.trim();
    let note = new.note.trim();
    if revision.chars().count() > 200 {
        return Err(AppError::bad("revision: 200 characters at most."));
    }
    if note.chars().count() > 2000 {
        return Err(AppError::bad("description: 2000 characters at most."));
    }
    if new.start_run {
        super::runs::refuse_archived(&project)?;
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
    let mut deploy = Deploy {
        id,
        environment: env.name.clone(),
        at,
        revision: revision.to_string(),
        note: note.to_string(),
        recorded_by: Some(actor.name.clone()),
        run_id: None,
    };
    let mut summary = format!("recorded deploy {} to {}", deploy.short(), env.name);
    if new.start_run {
        let run_id = super::runs::insert_in(&mut tx, project_id, Some(actor.id), env, RunCause::Deploy).await?;
        summary += &format!(" and started check run #{run_id}");
        deploy.run_id = Some(run_id);
    }
    super::activity::log_in(&mut tx, project_id, &actor.name, "deploy", &summary, at).await?;
    tx.commit().await?;
    let run = match deploy.run_id {
        Some(run_id) => Some(super::runs::announce(store, run_id).await?),
        None => None,
    };
    Ok(DeployRecorded { deploy, run })
}

#[derive(sqlx::FromRow)]
struct DeployRow {
    id: i64,
    environment: String,
    at: i64,
    revision: String,
    note: String,
    recorded_by: Option<String>,
    run_id: Option<i64>,
}

/// The project's deploys, newest first, each with the run it started.
pub async fn list(pool: &Pool, project_id: i64, limit: i64) -> AppResult<Vec<Deploy>> {
    super::projects::get(pool, project_id).await?;
    let rows: Vec<DeployRow> = sqlx::query_as(
        "SELECT d.id, e.name AS environment, d.at, d.revision, d.note, u.name AS recorded_by,
                (SELECT MIN(r.id) FROM runs r WHERE r.deploy_id = d.id AND r.cause = 'deploy') AS run_id
         FROM deploys d JOIN environments e ON e.id = d.environment_id
         LEFT JOIN users u ON u.id = d.recorded_by WHERE d.project_id = $1 ORDER BY d.at DESC, d.id DESC LIMIT $2",
    )
    .bind(project_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Deploy { id: r.id, environment: r.environment, at: r.at, revision: r.revision, note: r.note, recorded_by: r.recorded_by, run_id: r.run_id })
        .collect())
}
