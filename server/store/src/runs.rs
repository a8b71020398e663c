//! Check runs: queueing, claiming, progress, finishing, reading, comparing, and the
//! evidence they give checklist items. The runner that executes them is in the server.

use std::collections::{BTreeSet, HashMap};

use crate::db::Pool;

use super::{error::AppResult, now, AppError};
use preflight_model::{
    run_label, CheckResult, CheckStatus, DeployRef, FindingView, RunCause, RunComparison, RunDetail, RunState, RunStatus, RunSummary, UserInfo,
};

const RUN_SELECT: &str = "
    SELECT r.id, r.project_id, r.environment_name, r.env_kind, r.base_url, r.status, u.name AS requested_by,
           r.created_at, r.started_at, r.finished_at, r.progress_phase, r.progress_done, r.progress_total,
           r.pages_crawled, r.error, r.light, r.cause, r.deploy_id, d.revision AS deploy_revision, d.at AS deploy_at,
           (SELECT COUNT(*) FROM findings f WHERE f.run_id = r.id AND f.severity = 'error') AS errors,
           (SELECT COUNT(*) FROM findings f WHERE f.run_id = r.id AND f.severity = 'warning') AS warnings,
           (SELECT COUNT(*) FROM findings f WHERE f.run_id = r.id AND f.severity = 'info') AS infos
    FROM runs r LEFT JOIN users u ON u.id = r.requested_by LEFT JOIN deploys d ON d.id = r.deploy_id";

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    project_id: i64,
    environment_name: String,
    env_kind: String,
    base_url: String,
    status: String,
    requested_by: Option<String>,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    progress_phase: String,
    progress_done: i64,
    progress_total: i64,
    pages_crawled: i64,
    error: String,
    light: i64,
    cause: String,
    deploy_id: Option<i64>,
    deploy_revision: Option<String>,
    deploy_at: Option<i64>,
    errors: i64,
    warnings: i64,
    infos: i64,
}

impl From<RunRow> for RunSummary {
    fn from(r: RunRow) -> Self {
        let status = RunStatus::parse(&r.status).unwrap_or(RunStatus::Interrupted);
        let state = RunState::of(status, &r.error);
        RunSummary {
            state,
            label: run_label(state, r.errors, r.warnings, &r.error),
            id: r.id,
            project_id: r.project_id,
            environment: r.environment_name,
            env_kind: r.env_kind,
            base_url: r.base_url,
            status,
            requested_by: r.requested_by,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            progress_phase: r.progress_phase,
            progress_done: r.progress_done,
            progress_total: r.progress_total,
            pages_crawled: r.pages_crawled,
            errors: r.errors,
            warnings: r.warnings,
            infos: r.infos,
            error: r.error,
            cause: RunCause::parse(&r.cause).unwrap_or_default(),
            light: r.light != 0,
            deploy: match (r.deploy_id, r.deploy_revision, r.deploy_at) {
                (Some(id), Some(revision), Some(at)) => Some(DeployRef { id, short: preflight_model::short_revision(id, &revision), revision, at }),
                _ => None,
            },
        }
    }
}

/// Everything the runner needs to run one queued run.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunJob {
    pub id: i64,
    pub project_id: i64,
    pub environment_name: String,
    pub env_kind: String,
    pub base_url: String,
    pub resolve_ip: Option<String>,
    /// `None` when the environment was deleted after the run was queued.
    pub environment_id: Option<i64>,
    /// A light scheduled run: HTTP checks only, at most `page_budget` pages (0 or 1).
    pub light: i64,
    pub page_budget: Option<i64>,
}

/// Queues a run of the project's environment named `environment` (case-insensitive), wakes
/// the runner and tells every live viewer of the project.
pub async fn queue(store: &crate::Store, actor: &UserInfo, project_id: i64, environment: &str) -> AppResult<RunSummary> {
    let project = super::projects::get(&store.pool, project_id).await?;
    refuse_archived(&project)?;
    let env = super::projects::environment_named(&project, environment)?;
    let mut tx = super::db::begin_write(&store.pool).await?;
    let id = insert_in(&mut tx, project_id, Some(actor.id), env, RunCause::Manual).await?;
    super::activity::log_in(&mut tx, project_id, &actor.name, "run", &format!("started check run #{id} of {} ({})", env.name, env.base_url), now()).await?;
    tx.commit().await?;
    announce(store, id).await
}

/// A run cannot start in an archived project.
pub(crate) fn refuse_archived(project: &preflight_model::Project) -> AppResult<()> {
    if project.archived {
        return Err(AppError::bad("The project is archived; unarchive it to run checks."));
    }
    Ok(())
}

/// Inserts a queued run of `env` in the caller's transaction and returns its id. The run
/// remembers the environment's latest deploy (the one inserted in this transaction, for a
/// deploy's run).
pub(crate) async fn insert_in(
    conn: &mut crate::db::Conn,
    project_id: i64,
    requested_by: Option<i64>,
    env: &preflight_model::Environment,
    cause: RunCause,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar::<_, i64>(
        "INSERT INTO runs (project_id, environment_id, environment_name, env_kind, base_url, resolve_ip, requested_by, created_at, cause, deploy_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
                 (SELECT d.id FROM deploys d WHERE d.environment_id = $2 ORDER BY d.at DESC, d.id DESC LIMIT 1)) RETURNING id",
    )
    .bind(project_id)
    .bind(env.id)
    .bind(&env.name)
    .bind(env.kind.map(|k| k.as_str()).unwrap_or("staging"))
    .bind(&env.base_url)
    .bind(&env.resolve_ip)
    .bind(requested_by)
    .bind(now())
    .bind(cause.as_str())
    .fetch_one(&mut *conn)
    .await?)
}

/// After a run was queued and committed: wakes the runner, tells every live viewer of the
/// project, and answers the run.
pub(crate) async fn announce(store: &crate::Store, run_id: i64) -> AppResult<RunSummary> {
    let run = get(&store.pool, run_id).await?;
    store.run_queued.notify_one();
    store.publish_update(run.project_id, preflight_model::LiveUpdate::Run { run: run.clone() });
    Ok(run)
}

pub async fn get(pool: &Pool, id: i64) -> AppResult<RunSummary> {
    let row: RunRow = sqlx::query_as(&format!("{RUN_SELECT} WHERE r.id = $1")).bind(id).fetch_optional(pool).await?.ok_or(AppError::NotFound("run"))?;
    Ok(row.into())
}

pub async fn list(pool: &Pool, project_id: i64, limit: i64) -> AppResult<Vec<RunSummary>> {
    super::projects::exists(pool, project_id).await?;
    let rows: Vec<RunRow> =
        sqlx::query_as(&format!("{RUN_SELECT} WHERE r.project_id = $1 ORDER BY r.id DESC LIMIT $2")).bind(project_id).bind(limit).fetch_all(pool).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn findings(pool: &Pool, run_id: i64) -> AppResult<Vec<FindingView>> {
    get(pool, run_id).await?;
    let rows: Vec<(String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT check_id, severity, url, message, evidence, advice FROM findings WHERE run_id = $1
         ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, check_id, url, id",
    )
    .bind(run_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(check, severity, url, message, evidence, advice)| {
            // Findings are shown under what is wrong ("Broken links"), not what passing means.
            let title = preflight_engine::problem_title(&check).to_string();
            FindingView { check, severity, url, message, evidence, advice, title }
        })
        .collect())
}

/// A run with findings and the comparison with the previous finished run of the same
/// environment.
pub async fn detail(pool: &Pool, run_id: i64) -> AppResult<RunDetail> {
    let run = get(pool, run_id).await?;
    let project_name: String = sqlx::query_scalar("SELECT name FROM projects WHERE id = $1").bind(run.project_id).fetch_one(pool).await?;
    let findings = findings(pool, run_id).await?;
    let checks = check_outcomes(pool, &run, &findings).await?;
    let checks_run = checks.iter().filter(|c| matches!(c.status, CheckStatus::Passed | CheckStatus::Failed)).map(|c| c.id.clone()).collect();
    let comparison = if run.state == RunState::Completed {
        let prev: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM runs WHERE project_id = $1 AND environment_name = $2 AND id < $3 AND status IN ('passed', 'failed')
             ORDER BY id DESC LIMIT 1",
        )
        .bind(run.project_id)
        .bind(&run.environment)
        .bind(run_id)
        .fetch_optional(pool)
        .await?;
        match prev {
            Some(p) => Some(compare(p, &super::runs::findings(pool, p).await?, &findings)),
            None => None,
        }
    } else {
        None
    };
    Ok(RunDetail { run, project_name, findings, checks_run, checks, comparison })
}

/// Every check's outcome in a finished run (none while it runs: nothing is settled yet).
pub async fn check_outcomes(pool: &Pool, run: &RunSummary, findings: &[FindingView]) -> AppResult<Vec<CheckResult>> {
    if !matches!(run.status, RunStatus::Passed | RunStatus::Failed) {
        return Ok(Vec::new());
    }
    let (checks_json, outcomes_json): (String, String) =
        sqlx::query_as("SELECT checks_run, checks FROM runs WHERE id = $1").bind(run.id).fetch_one(pool).await?;
    let checks_run: Vec<String> = serde_json::from_str(&checks_json).unwrap_or_default();
    let counts: HashMap<&str, i64> = findings.iter().fold(HashMap::new(), |mut m, f| {
        *m.entry(f.check.as_str()).or_default() += 1;
        m
    });
    Ok(check_results(&outcomes_json, &checks_run, &|id| counts.get(id).copied().unwrap_or(0)))
}

/// Every check's outcome from a run's stored `checks` JSON; runs finished before outcomes
/// were recorded derive them from `checks_run` (a check not listed there was not recorded:
/// skipped, never passed).
pub fn check_results(outcomes_json: &str, checks_run: &[String], findings_of: &dyn Fn(&str) -> i64) -> Vec<CheckResult> {
    let stored: Vec<preflight_engine::CheckOutcome> = serde_json::from_str(outcomes_json).unwrap_or_default();
    // In words for people: a failed check says what is wrong, the others what they judge.
    let title = |id: &str, status: CheckStatus| match status {
        CheckStatus::Failed => preflight_engine::problem_title(id).to_string(),
        _ => preflight_engine::find_check(id).map(|c| c.title.to_string()).unwrap_or_default(),
    };
    if !stored.is_empty() {
        return stored
            .into_iter()
            .map(|o| {
                let status = status_of(o.status);
                CheckResult { title: title(&o.id, status), findings: findings_of(&o.id), status, reason: o.reason, id: o.id }
            })
            .collect();
    }
    preflight_engine::CATALOGUE
        .iter()
        .map(|c| {
            let n = findings_of(c.id);
            let (status, reason) = if n > 0 {
                (CheckStatus::Failed, String::new())
            } else if checks_run.iter().any(|r| r == c.id) {
                (CheckStatus::Passed, String::new())
            } else {
                (CheckStatus::Skipped, "not recorded: this run is older than per-check outcomes".to_string())
            };
            CheckResult { id: c.id.to_string(), status, reason, title: title(c.id, status), findings: n }
        })
        .collect()
}

fn status_of(s: preflight_engine::CheckStatus) -> CheckStatus {
    match s {
        preflight_engine::CheckStatus::Passed => CheckStatus::Passed,
        preflight_engine::CheckStatus::Failed => CheckStatus::Failed,
        preflight_engine::CheckStatus::NotApplicable => CheckStatus::NotApplicable,
        preflight_engine::CheckStatus::Skipped => CheckStatus::Skipped,
    }
}

/// New, fixed and unchanged findings, matched by check and the finding's stable identity
/// (its URL without run-to-run noise such as the random missing-page probe path).
pub fn compare(previous_run_id: i64, before: &[FindingView], after: &[FindingView]) -> RunComparison {
    let key = |f: &FindingView| (f.check.clone(), preflight_engine::finding::identity(&f.url).into_owned());
    let before_keys: BTreeSet<_> = before.iter().map(key).collect();
    let after_keys: BTreeSet<_> = after.iter().map(key).collect();
    RunComparison {
        previous_run_id,
        new: after.iter().filter(|f| !before_keys.contains(&key(f))).cloned().collect(),
        fixed: before.iter().filter(|f| !after_keys.contains(&key(f))).cloned().collect(),
        unchanged: after.iter().filter(|f| before_keys.contains(&key(f))).count(),
    }
}

/// Start-up: runs a killed server left 'running' become 'interrupted' (their partial work was
/// never written) and lose the screenshots they had recorded, which belong to no finished run.
/// Returns their ids (the caller removes their screenshot folders).
pub async fn mark_interrupted(pool: &Pool) -> AppResult<Vec<i64>> {
    let mut tx = super::db::begin_write(pool).await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "UPDATE runs SET status = 'interrupted', finished_at = $1, error = 'The server stopped while this run was in progress; run it again.'
         WHERE status = 'running' RETURNING id",
    )
    .bind(now())
    .fetch_all(&mut *tx)
    .await?;
    for id in &ids {
        sqlx::query("DELETE FROM screenshots WHERE run_id = $1").bind(id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(ids)
}

/// How often a worker tells the database that its run is still being worked on.
pub const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(10);
/// A running run whose worker has not been heard of for this long is taken back.
pub const STALE_AFTER_SECS: i64 = 40;
/// How many times a run is started before a worker's death makes it interrupted instead.
pub const MAX_ATTEMPTS: i64 = 2;

/// Claims the oldest queued run for `worker` (queued → running) in one statement. On
/// PostgreSQL concurrent workers skip each other's row (`FOR UPDATE SKIP LOCKED`); on SQLite
/// the write turn makes the statement one writer's.
pub async fn claim_next(pool: &Pool, worker: &str) -> AppResult<Option<RunJob>> {
    let skip_locked = super::db::Backend::of(pool).skip_locked();
    let _turn = super::db::write_turn_for(pool).await;
    Ok(sqlx::query_as(&format!(
        "UPDATE runs SET status = 'running', started_at = $1, heartbeat_at = $1, claimed_by = $2, attempts = attempts + 1, progress_phase = 'starting'
         WHERE id = (SELECT id FROM runs WHERE status = 'queued' ORDER BY id LIMIT 1{skip_locked})
         RETURNING id, project_id, environment_name, env_kind, base_url, resolve_ip, environment_id, light, page_budget"
    ))
    .bind(now())
    .bind(worker)
    .fetch_optional(pool)
    .await?)
}

/// Tells the database `worker` is still on run `run_id`. False when the run is no longer
/// its own (taken back as stale, or finished): the worker must stop working on it.
pub async fn heartbeat(pool: &Pool, run_id: i64, worker: &str) -> AppResult<bool> {
    let _turn = super::db::write_turn_for(pool).await;
    let r = sqlx::query("UPDATE runs SET heartbeat_at = $1 WHERE id = $2 AND claimed_by = $3 AND status = 'running'")
        .bind(now())
        .bind(run_id)
        .bind(worker)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Runs taken back from workers that stopped answering.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reaped {
    /// Queued again, for another worker.
    pub requeued: Vec<i64>,
    /// Interrupted: started [`MAX_ATTEMPTS`] times already.
    pub interrupted: Vec<i64>,
}

/// Takes back every running run not heard of for [`STALE_AFTER_SECS`]: queued again (its
/// screenshots so far removed) or, after [`MAX_ATTEMPTS`] starts, interrupted. Any process
/// may call it; on PostgreSQL two at once take back each run once.
pub async fn reap_stale(pool: &Pool) -> AppResult<Reaped> {
    let skip_locked = super::db::Backend::of(pool).skip_locked();
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let stale: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT id, attempts FROM runs WHERE status = 'running' AND COALESCE(heartbeat_at, started_at, 0) < $1 ORDER BY id{skip_locked}"
    ))
    .bind(t - STALE_AFTER_SECS)
    .fetch_all(&mut *tx)
    .await?;
    let mut reaped = Reaped::default();
    for (id, attempts) in stale {
        sqlx::query("DELETE FROM screenshots WHERE run_id = $1").bind(id).execute(&mut *tx).await?;
        if attempts < MAX_ATTEMPTS {
            sqlx::query(
                "UPDATE runs SET status = 'queued', claimed_by = NULL, heartbeat_at = NULL, started_at = NULL,
                        progress_phase = '', progress_done = 0, progress_total = 0 WHERE id = $1",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            reaped.requeued.push(id);
        } else {
            sqlx::query("UPDATE runs SET status = 'interrupted', finished_at = $1, error = $2 WHERE id = $3")
                .bind(t)
                .bind(format!("The worker running it stopped answering ({attempts} attempts); run it again."))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            reaped.interrupted.push(id);
        }
    }
    tx.commit().await?;
    Ok(reaped)
}

pub async fn set_progress(pool: &Pool, run_id: i64, worker: &str, phase: &str, done: i64, total: i64) -> AppResult<()> {
    let _turn = super::db::write_turn_for(pool).await;
    sqlx::query("UPDATE runs SET progress_phase = $1, progress_done = $2, progress_total = $3 WHERE id = $4 AND claimed_by = $5 AND status = 'running'")
        .bind(phase)
        .bind(done)
        .bind(total)
        .bind(run_id)
        .bind(worker)
        .execute(pool)
        .await?;
    Ok(())
}

/// Writes all findings, every check's outcome and the final status in one transaction — if
/// the run is still `worker`'s (a run taken back from it is someone else's now: Conflict).
pub async fn finish(
    store: &crate::Store,
    run_id: i64,
    worker: &str,
    pages: i64,
    checks: &[preflight_engine::CheckOutcome],
    findings: &[FindingView],
    error: &str,
) -> AppResult<RunStatus> {
    let checks_run: Vec<&str> = checks.iter().filter(|c| c.status.ran()).map(|c| c.id.as_str()).collect();
    let pool = &store.pool;
    let status = if !error.is_empty() || findings.iter().any(|f| f.severity == "error") { RunStatus::Failed } else { RunStatus::Passed };
    let new_errors = new_errors_notice(pool, &get(pool, run_id).await?, findings).await?;
    let mut tx = super::db::begin_write(pool).await?;
    for f in findings {
        sqlx::query("INSERT INTO findings (run_id, check_id, severity, url, message, evidence, advice) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(run_id)
            .bind(&f.check)
            .bind(&f.severity)
            .bind(&f.url)
            .bind(&f.message)
            .bind(&f.evidence)
            .bind(&f.advice)
            .execute(&mut *tx)
            .await?;
    }
    let r = sqlx::query(
        "UPDATE runs SET status = $1, finished_at = $2, pages_crawled = $3, checks_run = $4, checks = $5, error = $6, progress_phase = 'done', heartbeat_at = NULL
         WHERE id = $7 AND claimed_by = $8 AND status = 'running'",
    )
    .bind(status.as_str())
    .bind(now())
    .bind(pages)
    .bind(serde_json::to_string(&checks_run).unwrap_or_else(|_| "[]".into()))
    .bind(serde_json::to_string(checks).unwrap_or_else(|_| "[]".into()))
    .bind(error)
    .bind(run_id)
    .bind(worker)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() != 1 {
        return Err(AppError::Conflict(format!("run {run_id} is no longer this worker's; its results were not written")));
    }
    let told = match &new_errors {
        Some(n) => super::notify::emit_in(store, &mut tx, n, now()).await?,
        None => vec![],
    };
    tx.commit().await?;
    if let Some(n) = &new_errors {
        super::notify::after_commit(store, n.project_id, &told).await;
    }
    match get(pool, run_id).await {
        Ok(run) => {
            if let Err(e) = regressions(store, &run).await {
                tracing::warn!(run = run_id, "telling about regressed items failed: {e}");
            }
            if let Err(e) = super::health::after_run(store, &run, findings, now()).await {
                tracing::warn!(run = run_id, "telling about the site's health failed: {e}");
            }
            // A registry lookup may take seconds: not on the runner's way.
            let store = store.clone();
            tokio::spawn(async move {
                if let Err(e) = super::rdap::after_run(&store, &run, now()).await {
                    tracing::warn!(run = run.id, "the domain registration lookup failed: {e}");
                }
            });
        }
        Err(e) => tracing::warn!(run = run_id, "reading the finished run failed: {e}"),
    }
    Ok(status)
}

/// The `run-new-errors` notice of a run that found error findings the previous finished run
/// of its environment did not have (none for an environment's first run: there is nothing to
/// compare with, and whoever started it sees its result).
async fn new_errors_notice(pool: &Pool, run: &RunSummary, findings: &[FindingView]) -> AppResult<Option<super::notify::Notice>> {
    let run_id = run.id;
    let previous: Option<i64> = sqlx::query_scalar(
        "SELECT p.id FROM runs p JOIN runs r ON r.id = $1
         WHERE p.environment_id = r.environment_id AND p.id < r.id AND p.status IN ('passed', 'failed') AND p.error = ''
         ORDER BY p.id DESC LIMIT 1",
    )
    .bind(run_id)
    .fetch_optional(pool)
    .await?;
    let Some(previous) = previous else { return Ok(None) };
    let errors = |v: &[FindingView]| v.iter().filter(|f| f.severity == "error").cloned().collect::<Vec<_>>();
    let before = self::findings(pool, previous).await?;
    let cmp = compare(previous, &errors(&before), &errors(findings));
    if cmp.new.is_empty() {
        return Ok(None);
    }
    let body = cmp.new.iter().take(5).map(|f| format!("{}: {} ({})", f.check, f.message, f.url)).collect::<Vec<_>>().join("\n");
    Ok(Some(super::notify::Notice {
        rule: "run-new-errors",
        project_id: run.project_id,
        key: format!("run-new-errors:run:{run_id}"),
        title: format!("Run #{run_id} of {} found {} new error(s)", run.environment, cmp.new.len()),
        body,
        link: format!("/runs/{run_id}"),
        audience: super::notify::Audience::Team,
        data: serde_json::json!({"run_id": run_id, "previous_run_id": previous, "environment": run.environment, "new_errors": cmp.new.len(),
                                 "fixed": cmp.fixed.len(), "findings": cmp.new.iter().take(20).collect::<Vec<_>>()}),
    }))
}

/// `item-regressed` notices: ticked items whose named checks fail in this run. Told once per
/// tick (ticking it again and regressing again tells again).
async fn regressions(store: &crate::Store, run: &RunSummary) -> AppResult<()> {
    let run_id = run.id;
    let items = super::checklist::items(&store.pool, run.project_id).await?;
    for it in items.iter().filter(|i| i.regression) {
        let failing: Vec<&str> = it.evidence.iter().filter(|e| e.run_id == run_id && e.status == CheckStatus::Failed).map(|e| e.check.as_str()).collect();
        if failing.is_empty() {
            continue;
        }
        let notice = super::notify::Notice {
            rule: "item-regressed",
            project_id: run.project_id,
            key: format!("item-regressed:item:{}:ticked:{}", it.id, it.state_changed_at.unwrap_or_default()),
            title: format!("\"{}\" was ticked, but {} fails now", it.title, failing.join(", ")),
            body: format!("Run #{run_id} of {}", run.environment),
            link: format!("/projects/{}#item-{}", run.project_id, it.id),
            audience: super::notify::Audience::Team,
            data: serde_json::json!({"item_id": it.id, "title": it.title, "run_id": run_id, "failing_checks": failing}),
        };
        super::notify::emit(store, &notice).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(check: &str, url: &str) -> FindingView {
        FindingView {
            check: check.into(),
            severity: "error".into(),
            url: url.into(),
            message: String::new(),
            evidence: String::new(),
            advice: String::new(),
            title: String::new(),
        }
    }

    #[test]
    fn comparison_matches_by_check_and_url() {
        let before = vec![f("soft-404", "/x"), f("broken-link", "/a")];
        let after = vec![f("soft-404", "/x"), f("broken-link", "/b")];
        let c = compare(7, &before, &after);
        assert_eq!(c.previous_run_id, 7);
        assert_eq!(c.new, vec![f("broken-link", "/b")]);
        assert_eq!(c.fixed, vec![f("broken-link", "/a")]);
        assert_eq!(c.unchanged, 1);
    }
}

/// What a run's browser stage needs from its project and environment.
#[derive(Debug, sqlx::FromRow)]
pub struct BrowserSettings {
    /// The project's viewports (`desktop,ipad,…`; empty: no browser checks).
    pub viewports: String,
    /// Forms the team listed for test submissions, one per line.
    pub forms_listed: String,
    /// The environment's choice on submitting found forms (`None`: by its kind).
    pub submit_forms: Option<i64>,
    /// Ignore regions, one per line (see `preflight_model::IgnoreRegion`).
    pub ignore_regions: String,
    /// The WCAG level of the accessibility checks (`A` or `AA`).
    pub wcag_level: String,
    /// Accessibility rules left out, `RULE = REASON` per line.
    pub a11y_ignore: String,
    /// Performance budgets, `metric = value` per line.
    pub perf_budgets: String,
    /// 1: phone and tablet viewports load as a mid-range phone on a slow network.
    pub throttle_mobile: i64,
}

/// The browser settings of run `run_id`; `None` for an unknown run.
pub async fn browser_settings(pool: &Pool, run_id: i64) -> AppResult<Option<BrowserSettings>> {
    Ok(sqlx::query_as(
        "SELECT p.viewports, p.forms_listed, e.submit_forms, p.ignore_regions, p.wcag_level, p.a11y_ignore, p.perf_budgets, p.throttle_mobile FROM runs r JOIN projects p ON p.id = r.project_id
         LEFT JOIN environments e ON e.id = r.environment_id WHERE r.id = $1",
    )
    .bind(run_id)
    .fetch_optional(pool)
    .await?)
}
