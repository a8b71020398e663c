//! Retrospectives: what went well, what could be smoother, action items — pre-filled with
//! suggestions from the launch data — and promotion of an action into the checklist
//! template ("What simple things can you do to make the next one smoother? Checklists!").

use crate::db::Pool;

use super::{activity, error::AppResult, now, AppError};
use preflight_model::{ItemState, RetroAction, RetroActionInput, RetroInput, RetroSuggestion, Retrospective, TemplateItemView, TemplateVersionView};

/// Suggestions from the launch: late ticks, checks failing on launch day, regressions and
/// screenshots the client asked to change.
pub async fn suggestions(pool: &Pool, project: &preflight_model::Project) -> AppResult<Vec<RetroSuggestion>> {
    let project_id = project.id;
    let mut out = Vec::new();
    let items = super::checklist::items(pool, project_id).await?;
    for it in &items {
        let due_end = super::scope::end_of_day(&it.due).unwrap_or(i64::MAX);
        if it.state == ItemState::Done && it.state_changed_at.is_some_and(|t| t > due_end) {
            let late_days = (it.state_changed_at.unwrap_or(0) - due_end) / 86_400 + 1;
            out.push(RetroSuggestion {
                kind: "late-tick".into(),
                text: format!("\"{}\" was done {late_days} day(s) after it was due ({}): start it earlier next time?", it.title, it.due),
                action: Some(RetroActionInput {
                    title: format!("Start \"{}\" earlier", it.title),
                    phase: it.phase.clone(),
                    why: format!("It was done {late_days} day(s) late on a previous launch."),
                    due_offset_days: Some((it.due_offset_days - late_days).max(-365)),
                    checks: it.checks.clone(),
                }),
            });
        }
        if it.regression {
            out.push(RetroSuggestion {
                kind: "regression".into(),
                text: format!("\"{}\" was ticked while its automated checks failed.", it.title),
                action: Some(RetroActionInput {
                    title: format!("Re-run the checks of \"{}\" after the last deploy before ticking it", it.title),
                    phase: it.phase.clone(),
                    why: "It was ticked while its automated checks failed.".into(),
                    due_offset_days: Some(it.due_offset_days),
                    checks: it.checks.clone(),
                }),
            })
        }
    }
    if let (Some(start), Some(end)) = (super::scope::end_of_day(&project.launch_date).map(|e| e - 86_399), super::scope::end_of_day(&project.launch_date)) {
        let failed: Vec<(String, i64)> = sqlx::query_as(
            "SELECT f.check_id, COUNT(*) FROM findings f JOIN runs r ON r.id = f.run_id
             WHERE r.project_id = $1 AND r.finished_at BETWEEN $2 AND $3 AND f.severity = 'error' GROUP BY f.check_id ORDER BY COUNT(*) DESC",
        )
        .bind(project_id)
        .bind(start)
        .bind(end)
        .fetch_all(pool)
        .await?;
        for (check, n) in failed {
            let problem = preflight_engine::problem_title(&check);
            out.push(RetroSuggestion {
                kind: "failed-on-launch-day".into(),
                text: format!("{problem} on launch day ({n}× {check})."),
                action: Some(RetroActionInput {
                    title: format!("Fix \"{problem}\" before launch day"),
                    phase: "launch-week".into(),
                    why: format!("{check} failed {n} time(s) on launch day."),
                    due_offset_days: Some(-3),
                    checks: vec![check.clone()],
                }),
            });
        }
    }
    let changes: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT s.url, s.viewport, r.comment FROM reviews r JOIN screenshots s ON s.id = r.screenshot_id
         WHERE r.project_id = $1 AND r.verdict = 'changes_requested' ORDER BY r.id",
    )
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    for (url, vp, comment) in changes {
        out.push(RetroSuggestion {
            kind: "changes-requested".into(),
            text: format!("The client asked for changes to {url} at {vp}: \"{comment}\""),
            action: Some(RetroActionInput {
                title: "Walk the client through the pages on staging before the screenshot review".into(),
                phase: "content".into(),
                why: format!("The client asked for changes late: \"{comment}\""),
                due_offset_days: Some(-14),
                checks: vec![],
            }),
        });
    }
    Ok(out)
}

/// id, project, title, phase, why, due, created by, created at, promoted version, checks (JSON).
type ActionRow = (i64, i64, String, String, String, i64, String, i64, Option<i64>, String);

pub async fn actions(pool: &Pool, project_id: i64) -> AppResult<Vec<RetroAction>> {
    let rows: Vec<ActionRow> = sqlx::query_as(
        "SELECT id, project_id, title, phase, why, due_offset_days, created_by, created_at, promoted_version, checks FROM retro_actions WHERE project_id = $1 ORDER BY id",
    )
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, project_id, title, phase, why, due_offset_days, created_by, created_at, promoted_version, checks)| RetroAction {
            id,
            project_id,
            title,
            phase,
            why,
            due_offset_days,
            created_by,
            created_at,
            promoted_version,
            checks: serde_json::from_str(&checks).unwrap_or_default(),
        })
        .collect())
}

pub async fn get(pool: &Pool, project_id: i64) -> AppResult<Retrospective> {
    let project = super::projects::get(pool, project_id).await?;
    let row: Option<(String, String, i64, String)> =
        sqlx::query_as("SELECT went_well, smoother, version, updated_by FROM retrospectives WHERE project_id = $1")
            .bind(project_id)
            .fetch_optional(pool)
            .await?;
    let (went_well, smoother, version, updated_by) = row.unwrap_or_default();
    Ok(Retrospective {
        project_id,
        project_name: project.name.clone(),
        launch_date: project.launch_date.clone(),
        went_well,
        smoother,
        version,
        updated_by,
        actions: actions(pool, project_id).await?,
        suggestions: suggestions(pool, &project).await?,
    })
}

/// Saves the two texts if nobody saved since `input.version`.
pub async fn save(pool: &Pool, project_id: i64, actor: &str, input: &RetroInput) -> AppResult<Retrospective> {
    if input.went_well.len() > 50_000 || input.smoother.len() > 50_000 {
        return Err(AppError::bad("50,000 characters at most per field."));
    }
    super::projects::get(pool, project_id).await?;
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let current: Option<(i64, String)> =
        sqlx::query_as("SELECT version, updated_by FROM retrospectives WHERE project_id = $1").bind(project_id).fetch_optional(&mut *tx).await?;
    match current {
        None if input.version != 0 => {
            return Err(AppError::Conflict("The retrospective was removed or never saved; reload the page and write it again.".into()));
        }
        None => {
            sqlx::query("INSERT INTO retrospectives (project_id, went_well, smoother, version, updated_by, updated_at) VALUES ($1, $2, $3, 1, $4, $5)")
                .bind(project_id)
                .bind(&input.went_well)
                .bind(&input.smoother)
                .bind(actor)
                .bind(t)
                .execute(&mut *tx)
                .await?;
        }
        Some((v, by)) if v != input.version => {
            return Err(AppError::Conflict(format!("{by} saved the retrospective while you were writing; copy your text, reload and merge.")));
        }
        Some(_) => {
            sqlx::query(
                "UPDATE retrospectives SET went_well = $1, smoother = $2, version = version + 1, updated_by = $3, updated_at = $4 WHERE project_id = $5",
            )
            .bind(&input.went_well)
            .bind(&input.smoother)
            .bind(actor)
            .bind(t)
            .bind(project_id)
            .execute(&mut *tx)
            .await?;
        }
    }
    activity::log_in(&mut tx, project_id, actor, "retro", "updated the retrospective", t).await?;
    tx.commit().await?;
    get(pool, project_id).await
}

pub async fn add_action(pool: &Pool, project_id: i64, actor: &str, input: &RetroActionInput) -> AppResult<RetroAction> {
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(AppError::bad("title: 1 to 200 characters."));
    }
    let Some(phase) = preflight_model::phases::phase(&input.phase) else {
        return Err(AppError::bad(format!("phase: \"{}\" is not a checklist phase.", input.phase)));
    };
    let due = input.due_offset_days.unwrap_or(phase.default_due);
    if !(-365..=365).contains(&due) {
        return Err(AppError::bad("due_offset_days: within a year of launch."));
    }
    let checks = super::checklist::validate_checks(&input.checks, evidence_from_checks(&input.checks)?)?;
    super::projects::get(pool, project_id).await?;
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO retro_actions (project_id, title, phase, why, due_offset_days, checks, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(project_id)
    .bind(title)
    .bind(&input.phase)
    .bind(input.why.trim())
    .bind(due)
    .bind(serde_json::to_string(&checks).unwrap_or_else(|_| "[]".into()))
    .bind(actor)
    .bind(t)
    .fetch_one(&mut *tx)
    .await?;
    activity::log_in(&mut tx, project_id, actor, "retro", &format!("added the action \"{title}\""), t).await?;
    tx.commit().await?;
    Ok(actions(pool, project_id).await?.into_iter().find(|a| a.id == id).expect("just inserted"))
}

/// Makes a new template version: the current one plus this action as an item whose origin
/// names the project. Projects created from then on get it; existing ones keep theirs.
pub async fn promote(pool: &Pool, action_id: i64, actor: &str) -> AppResult<TemplateVersionView> {
    let (project_id, title, phase, why, due, promoted, checks): (i64, String, String, String, i64, Option<i64>, String) =
        sqlx::query_as("SELECT project_id, title, phase, why, due_offset_days, promoted_version, checks FROM retro_actions WHERE id = $1")
            .bind(action_id)
            .fetch_optional(pool)
            .await?
            .ok_or(AppError::NotFound("action"))?;
    if let Some(v) = promoted {
        return Err(AppError::Conflict(format!("This action is already in the template (version {v}).")));
    }
    let project = super::projects::get(pool, project_id).await?;
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let (prev_id, prev_version): (i64, i64) =
        sqlx::query_as("SELECT id, version FROM template_versions ORDER BY version DESC LIMIT 1").fetch_one(&mut *tx).await?;
    let version = prev_version + 1;
    let source = format!("v{prev_version} + action #{action_id} from the retrospective of {}", project.name);
    let vid = sqlx::query_scalar::<_, i64>("INSERT INTO template_versions (version, source, created_at) VALUES ($1, $2, $3) RETURNING id")
        .bind(version)
        .bind(&source)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO template_items (template_version_id, key, phase, position, title, why, due_offset_days, checks, talk, evidence_from, signals, origin)
         SELECT $1, key, phase, position, title, why, due_offset_days, checks, talk, evidence_from, signals, origin FROM template_items WHERE template_version_id = $2",
    )
    .bind(vid)
    .bind(prev_id)
    .execute(&mut *tx)
    .await?;
    let position: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM template_items WHERE template_version_id = $1").bind(vid).fetch_one(&mut *tx).await?;
    let origin = format!("retrospective of {} (action #{action_id}, promoted by {actor})", project.name);
    sqlx::query(
        "INSERT INTO template_items (template_version_id, key, phase, position, title, why, due_offset_days, checks, talk, evidence_from, origin)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9, $10)",
    )
    .bind(vid)
    .bind(format!("retro-{project_id}-{action_id}"))
    .bind(&phase)
    .bind(position)
    .bind(&title)
    .bind(if why.is_empty() { format!("Learned on {}.", project.name) } else { why.clone() })
    .bind(due)
    .bind(&checks)
    .bind(evidence_from_checks(&serde_json::from_str::<Vec<String>>(&checks).unwrap_or_default())?.as_str())
    .bind(&origin)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE retro_actions SET promoted_version = $1, promoted_at = $2 WHERE id = $3")
        .bind(version)
        .bind(t)
        .bind(action_id)
        .execute(&mut *tx)
        .await?;
    activity::log_in(&mut tx, project_id, actor, "retro", &format!("promoted \"{title}\" into checklist template v{version}"), t).await?;
    tx.commit().await?;
    self::version(pool, version).await
}

/// Where an action's checks can take their evidence from: production when one judges
/// production only, dev/staging when one judges those only, else any. Both kinds at once
/// cannot be one item.
fn evidence_from_checks(checks: &[String]) -> AppResult<preflight_model::EvidenceFrom> {
    use preflight_engine::Scope;
    use preflight_model::EvidenceFrom;
    let scopes: Vec<Scope> = checks.iter().filter_map(|c| preflight_engine::find_check(c.trim())).map(|c| c.scope).collect();
    match (scopes.contains(&Scope::Production), scopes.contains(&Scope::PreProduction)) {
        (true, true) => Err(AppError::bad("checks: some of these judge production only and others dev/staging only; make two actions.")),
        (true, false) => Ok(EvidenceFrom::Production),
        (false, true) => Ok(EvidenceFrom::PreProduction),
        (false, false) => Ok(EvidenceFrom::Any),
    }
}

/// Every template version, newest first, with its items and their origins.
pub async fn versions(pool: &Pool) -> AppResult<Vec<TemplateVersionView>> {
    let vs: Vec<(i64, i64, String, i64)> =
        sqlx::query_as("SELECT id, version, source, created_at FROM template_versions ORDER BY version DESC").fetch_all(pool).await?;
    let mut out = Vec::with_capacity(vs.len());
    for v in vs {
        out.push(view_of(pool, v).await?);
    }
    Ok(out)
}

/// One template version (by its number), with its items.
pub async fn version(pool: &Pool, version: i64) -> AppResult<TemplateVersionView> {
    let v: (i64, i64, String, i64) = sqlx::query_as("SELECT id, version, source, created_at FROM template_versions WHERE version = $1")
        .bind(version)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound("template version"))?;
    view_of(pool, v).await
}

async fn view_of(pool: &Pool, (id, version, source, created_at): (i64, i64, String, i64)) -> AppResult<TemplateVersionView> {
    let items: Vec<(String, String, String, String, String)> =
        sqlx::query_as("SELECT key, phase, title, why, origin FROM template_items WHERE template_version_id = $1 ORDER BY position")
            .bind(id)
            .fetch_all(pool)
            .await?;
    Ok(TemplateVersionView {
        version,
        source,
        created_at,
        items: items.into_iter().map(|(key, phase, title, why, origin)| TemplateItemView { key, phase, title, why, origin }).collect(),
    })
}
