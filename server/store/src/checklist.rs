//! A project's launch checklist: reading it, changing items with optimistic concurrency,
//! custom items, and each item's history.

use crate::db::Pool;

use super::{error::AppResult, now, projects, today, AppError, Store};
use preflight_model::{due_label, ChecklistItem, EvidenceFrom, ItemChange, ItemEvent, ItemState, NewItem, UpdateOutcome, UserInfo};

const ITEM_SELECT: &str = "
    SELECT c.id, c.project_id, c.template_key, c.phase, c.position, c.title, c.why, c.due_offset_days, c.checks, c.evidence_from, c.signals,
           c.state, c.na_reason, c.assignee_id, a.name AS assignee_name, c.notes, c.version,
           c.state_changed_at, s.name AS state_changed_by, c.updated_at, u.name AS updated_by, p.launch_date
    FROM checklist_items c
    JOIN projects p ON p.id = c.project_id
    LEFT JOIN users a ON a.id = c.assignee_id
    LEFT JOIN users s ON s.id = c.state_changed_by
    LEFT JOIN users u ON u.id = c.updated_by";

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    project_id: i64,
    template_key: Option<String>,
    phase: String,
    position: i64,
    title: String,
    why: String,
    due_offset_days: i64,
    checks: String,
    evidence_from: String,
    signals: String,
    state: String,
    na_reason: String,
    assignee_id: Option<i64>,
    assignee_name: Option<String>,
    notes: String,
    version: i64,
    state_changed_at: Option<i64>,
    state_changed_by: Option<String>,
    updated_at: i64,
    updated_by: Option<String>,
    launch_date: String,
}

impl ItemRow {
    fn into_item(self, today: &str) -> ChecklistItem {
        let state = ItemState::parse(&self.state).unwrap_or(ItemState::Todo);
        let due = projects::due_date(&self.launch_date, self.due_offset_days);
        ChecklistItem {
            overdue: state == ItemState::Todo && due.as_str() < today,
            id: self.id,
            project_id: self.project_id,
            template_key: self.template_key,
            phase: self.phase,
            position: self.position,
            title: self.title,
            why: self.why,
            due_label: due_label(self.due_offset_days),
            due,
            due_offset_days: self.due_offset_days,
            checks: serde_json::from_str(&self.checks).unwrap_or_default(),
            state,
            na_reason: self.na_reason,
            assignee_id: self.assignee_id,
            assignee_name: self.assignee_name,
            notes: self.notes,
            version: self.version,
            state_changed_at: self.state_changed_at,
            state_changed_by: self.state_changed_by,
            updated_at: self.updated_at,
            updated_by: self.updated_by,
            evidence_from: EvidenceFrom::parse(&self.evidence_from).unwrap_or_default(),
            signals: serde_json::from_str(&self.signals).unwrap_or_default(),
            signal_evidence: Vec::new(),
            evidence: Vec::new(),
            evidence_missing: None,
            evidence_passed: false,
            regression: false,
        }
    }
}

/// All items of a project, in phase order, then due, then template position.
pub async fn items(pool: &Pool, project_id: i64) -> AppResult<Vec<ChecklistItem>> {
    let rows: Vec<ItemRow> =
        sqlx::query_as(&format!("{ITEM_SELECT} WHERE c.project_id = $1 ORDER BY c.due_offset_days, c.position, c.id")).bind(project_id).fetch_all(pool).await?;
    let today = today();
    let evidence = super::evidence::project_evidence(pool, project_id).await?;
    let mut items: Vec<ChecklistItem> = rows
        .into_iter()
        .map(|r| {
            let mut it = r.into_item(&today);
            evidence.attach(&mut it);
            it
        })
        .collect();
    items.sort_by_key(|i| preflight_model::phases::phase_order(&i.phase));
    Ok(items)
}

/// The open items assigned to `user_id` in projects that are not archived, soonest due
/// first (overdue ones first of all), each with its project's name.
/// A restricted member sees only those in projects they are on.
pub async fn assigned_to(pool: &Pool, user: &UserInfo) -> AppResult<Vec<preflight_model::MyItem>> {
    let visible = super::access::visible_projects(pool, user).await?;
    let rows: Vec<ItemRow> =
        sqlx::query_as(&format!("{ITEM_SELECT} WHERE c.assignee_id = $1 AND c.state = 'todo' AND p.archived_at IS NULL")).bind(user.id).fetch_all(pool).await?;
    let rows = rows.into_iter().filter(|r| visible.as_ref().is_none_or(|v| v.contains(&r.project_id)));
    let names: std::collections::HashMap<i64, String> =
        sqlx::query_as("SELECT id, name FROM projects WHERE archived_at IS NULL").fetch_all(pool).await?.into_iter().collect();
    let today = today();
    let mut out: Vec<preflight_model::MyItem> = rows
        .map(|r| {
            let item = r.into_item(&today);
            preflight_model::MyItem { project_id: item.project_id, project_name: names.get(&item.project_id).cloned().unwrap_or_default(), item }
        })
        .collect();
    out.sort_by(|a, b| (&a.item.due, &a.project_name, a.item.position).cmp(&(&b.item.due, &b.project_name, b.item.position)));
    Ok(out)
}

pub async fn item(pool: &Pool, id: i64) -> AppResult<ChecklistItem> {
    let row: ItemRow =
        sqlx::query_as(&format!("{ITEM_SELECT} WHERE c.id = $1")).bind(id).fetch_optional(pool).await?.ok_or(AppError::NotFound("checklist item"))?;
    with_evidence(pool, row).await
}

/// The columns of [`ItemRow`] as an `UPDATE checklist_items` returns them: a change answers
/// with the item it wrote, without reading it again.
macro_rules! item_returning {
    () => {
        " RETURNING id, project_id, template_key, phase, position, title, why, due_offset_days, checks, evidence_from, signals,
                    state, na_reason, assignee_id, (SELECT a.name FROM users a WHERE a.id = checklist_items.assignee_id) AS assignee_name,
                    notes, version, state_changed_at, (SELECT s.name FROM users s WHERE s.id = checklist_items.state_changed_by) AS state_changed_by,
                    updated_at, (SELECT u.name FROM users u WHERE u.id = checklist_items.updated_by) AS updated_by,
                    (SELECT p.launch_date FROM projects p WHERE p.id = checklist_items.project_id) AS launch_date"
    };
}

/// The item of `row` with the evidence it names.
async fn with_evidence(pool: &Pool, row: ItemRow) -> AppResult<ChecklistItem> {
    let project_id = row.project_id;
    let mut it = row.into_item(&today());
    if let Some(evidence) = super::evidence::item_evidence(pool, project_id, &it).await? {
        evidence.attach(&mut it);
    }
    Ok(it)
}

/// Applies a change if the item is still at `expected_version` and tells every live viewer
/// of the project. A stale version writes nothing and returns the current item, so the
/// caller can show what changed.
pub async fn update(store: &Store, actor: &UserInfo, item_id: i64, expected_version: i64, change: &ItemChange) -> AppResult<UpdateOutcome> {
    let outcome = write_change(&store.pool, actor, item_id, expected_version, change).await?;
    if let UpdateOutcome::Updated { item } = &outcome {
        store.publish(item.clone());
        if let ItemChange::Assign { user_id: Some(to) } = change {
            if *to != actor.id {
                let notice = super::notify::Notice {
                    rule: "item-assigned",
                    project_id: item.project_id,
                    key: format!("item-assigned:item:{}:v{}", item.id, item.version),
                    title: format!("{} assigned \"{}\" to you", actor.name, item.title),
                    body: format!("Due {}", item.due),
                    link: format!("/projects/{}#item-{}", item.project_id, item.id),
                    audience: super::notify::Audience::User(*to),
                    data: serde_json::json!({"item_id": item.id, "title": item.title, "due": item.due, "assigned_by": actor.name}),
                };
                super::notify::emit(store, &notice).await?;
            }
        }
    }
    Ok(outcome)
}

/// One item's change as a single statement, ready to run: it answers the item it wrote, or
/// nothing when the item is no longer at the expected version.
type ChangeQuery = sqlx::query::QueryAs<'static, sqlx::Any, ItemRow, sqlx::any::AnyArguments<'static>>;

async fn write_change(pool: &Pool, actor: &UserInfo, item_id: i64, expected_version: i64, change: &ItemChange) -> AppResult<UpdateOutcome> {
    let q = prepare_change(pool, actor, item_id, expected_version, change).await?;
    let updated: Option<ItemRow> = {
        let _turn = super::db::write_turn_for(pool).await;
        q.fetch_optional(pool).await?
    };
    match updated {
        Some(row) => Ok(UpdateOutcome::Updated { item: with_evidence(pool, row).await? }),
        None => Ok(UpdateOutcome::Conflict { current: item(pool, item_id).await? }),
    }
}

/// Checks a change and builds its statement (reading, never writing).
async fn prepare_change(pool: &Pool, actor: &UserInfo, item_id: i64, expected_version: i64, change: &ItemChange) -> AppResult<ChangeQuery> {
    let t = now();
    // The input is checked before the write turn is taken. The change is one statement that
    // answers with the item it wrote: the
    // version condition makes the check and the write atomic, and the item's trigger
    // (migration 19) records the change it names (`change_action`, `change_detail`) in the
    // item's history and, for a state change, in the project's activity.
    let (sql, detail, action) = match change {
        ItemChange::SetState { state, reason } => {
            let reason = reason.trim();
            if *state == ItemState::NotApplicable && reason.is_empty() {
                return Err(AppError::bad("Say why the item does not apply, so the team knows later."));
            }
            if reason.chars().count() > 2000 {
                return Err(AppError::bad("The reason is too long (2000 characters at most)."));
            }
            let reason = if *state == ItemState::NotApplicable { reason.to_string() } else { String::new() };
            let detail = if reason.is_empty() { state.label().to_string() } else { format!("{}: {reason}", state.label()) };
            let q = sqlx::query_as(concat!(
                "UPDATE checklist_items SET state = $1, na_reason = $2, state_changed_at = $3, state_changed_by = $4,
                        version = version + 1, change_action = $5, change_detail = $6, updated_at = $7, updated_by = $8
                 WHERE id = $9 AND version = $10",
                item_returning!()
            ))
            .bind(state.as_str())
            .bind(reason)
            .bind(t)
            .bind(actor.id);
            (q, detail, "state")
        }
        ItemChange::Assign { user_id } => {
            let name = match user_id {
                Some(uid) => {
                    let project: Option<i64> =
                        sqlx::query_scalar("SELECT project_id FROM checklist_items WHERE id = $1").bind(item_id).fetch_optional(pool).await?;
                    let project = project.ok_or(AppError::NotFound("checklist item"))?;
                    Some(super::access::assignable(pool, project, *uid).await?.name)
                }
                None => None,
            };
            let q = sqlx::query_as(concat!(
                "UPDATE checklist_items SET assignee_id = $1, version = version + 1, change_action = $2, change_detail = $3, updated_at = $4, updated_by = $5
                 WHERE id = $6 AND version = $7",
                item_returning!()
            ))
            .bind(*user_id);
            (q, name.map(|n| format!("assigned to {n}")).unwrap_or_else(|| "unassigned".into()), "assign")
        }
        ItemChange::Notes { notes } => {
            if notes.chars().count() > 20_000 {
                return Err(AppError::bad("Notes are too long (20,000 characters at most)."));
            }
            let q = sqlx::query_as(concat!(
                "UPDATE checklist_items SET notes = $1, version = version + 1, change_action = $2, change_detail = $3, updated_at = $4, updated_by = $5
                 WHERE id = $6 AND version = $7",
                item_returning!()
            ))
            .bind(notes.clone());
            (q, String::new(), "notes")
        }
    };
    Ok(sql.bind(action).bind(detail).bind(t).bind(actor.id).bind(item_id).bind(expected_version))
}

/// Assigns, or marks not applicable (with the reason), every open item of a phase at once, in
/// one transaction. Each item's history, activity and live viewers see it as if changed alone;
/// an item someone changed meanwhile is left as they left it. The assignee gets one notice for the lot.
/// Answers the changed items.
pub async fn bulk(store: &Store, actor: &UserInfo, project_id: i64, phase: &str, change: &ItemChange) -> AppResult<Vec<ChecklistItem>> {
    let Some(p) = preflight_model::phases::phase(phase) else {
        return Err(AppError::bad(format!("phase: there is no phase \"{phase}\".")));
    };
    // The change is judged once, before any item is written, even when no item is open.
    match change {
        ItemChange::Assign { user_id: Some(uid) } => {
            super::access::assignable(&store.pool, project_id, *uid).await?;
        }
        ItemChange::Assign { user_id: None } => {}
        ItemChange::SetState { state: ItemState::NotApplicable, reason } if reason.trim().is_empty() => {
            return Err(AppError::bad("Say why the items do not apply, so the team knows later."));
        }
        ItemChange::SetState { state: ItemState::NotApplicable, .. } => {}
        _ => return Err(AppError::bad("change: a phase at once can be assigned or marked not applicable; tick items one by one.")),
    }
    projects::get(&store.pool, project_id).await?;
    // The open items of the phase: ids and versions are all the writes need.
    let open: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, version, assignee_id FROM checklist_items WHERE project_id = $1 AND phase = $2 AND state = 'todo' ORDER BY due_offset_days, position, id",
    )
    .bind(project_id)
    .bind(phase)
    .fetch_all(&store.pool)
    .await?;
    let already = |assignee: Option<i64>| matches!(change, ItemChange::Assign { user_id } if *user_id == assignee);
    let mut statements = Vec::with_capacity(open.len());
    for (id, version, _) in open.into_iter().filter(|(_, _, a)| !already(*a)) {
        statements.push(prepare_change(&store.pool, actor, id, version, change).await?);
    }
    // All or nothing: one transaction, so a failure half-way leaves the phase as it was.
    let mut rows = Vec::with_capacity(statements.len());
    let mut tx = super::db::begin_write(&store.pool).await?;
    for q in statements {
        rows.extend(q.fetch_optional(&mut *tx).await?);
    }
    tx.commit().await?;
    let mut changed = Vec::with_capacity(rows.len());
    for row in rows {
        let item = with_evidence(&store.pool, row).await?;
        store.publish(item.clone());
        changed.push(item);
    }
    if let (ItemChange::Assign { user_id: Some(to) }, false) = (change, changed.is_empty()) {
        if *to != actor.id {
            let first = &changed[0];
            let notice = super::notify::Notice {
                rule: "item-assigned",
                project_id,
                key: format!("item-assigned:phase:{project_id}:{phase}:{}:v{}", first.id, first.version),
                title: format!("{} assigned {} item(s) of {} to you", actor.name, changed.len(), p.title),
                body: changed.iter().map(|i| format!("{} (due {})", i.title, i.due)).collect::<Vec<_>>().join("\n"),
                link: format!("/projects/{project_id}"),
                audience: super::notify::Audience::User(*to),
                data: serde_json::json!({"phase": phase, "items": changed.iter().map(|i| i.id).collect::<Vec<_>>(), "assigned_by": actor.name}),
            };
            super::notify::emit(store, &notice).await?;
        }
    }
    Ok(changed)
}

/// The due offsets (days from launch) that spread `count` overdue items over the days from
/// today (`days_to_launch` before launch) to the day before launch, in their order.
pub fn spread_offsets(count: usize, days_to_launch: i64) -> Vec<i64> {
    (0..count as i64).map(|i| -days_to_launch + i * days_to_launch / (count as i64).max(1)).collect()
}

/// Re-plans a project that starts late: the open items whose due date has passed are given
/// due dates from today up to the day before launch, spread evenly and in their checklist
/// order; each change is in the item's history and live viewers see it. Answers the moved
/// items. Refused when the launch is today or past (move the launch date first).
pub async fn replan(store: &Store, actor: &UserInfo, project_id: i64) -> AppResult<Vec<ChecklistItem>> {
    let pool = &store.pool;
    let project = projects::get(pool, project_id).await?;
    let today = today();
    let days = match (preflight_model::parse_date(&today), preflight_model::parse_date(&project.launch_date)) {
        (Some(t), Some(l)) => (l - t).whole_days(),
        _ => return Err(AppError::bad("The project's launch date cannot be read; set it on Edit project.")),
    };
    if days < 1 {
        return Err(AppError::Conflict(format!(
            "The launch date ({}) is today or has passed: move it on Edit project first, then re-plan.",
            project.launch_date
        )));
    }
    let mut overdue: Vec<ChecklistItem> = items(pool, project_id).await?.into_iter().filter(|i| i.overdue).collect();
    overdue.sort_by_key(|i| (i.due_offset_days, preflight_model::phases::phase_order(&i.phase), i.position, i.id));
    if overdue.is_empty() {
        return Ok(Vec::new());
    }
    let offsets = spread_offsets(overdue.len(), days);
    let t = now();
    let mut moved = Vec::with_capacity(overdue.len());
    let mut tx = super::db::begin_write(pool).await?;
    for (item, offset) in overdue.iter().zip(offsets) {
        let due = projects::due_date(&project.launch_date, offset);
        let row: ItemRow = sqlx::query_as(concat!(
            "UPDATE checklist_items SET due_offset_days = $1, version = version + 1, change_action = 'due', change_detail = $2, updated_at = $3, updated_by = $4
             WHERE id = $5",
            item_returning!()
        ))
        .bind(offset)
        .bind(format!("due moved from {} to {due} (re-planned from today)", item.due))
        .bind(t)
        .bind(actor.id)
        .bind(item.id)
        .fetch_one(&mut *tx)
        .await?;
        moved.push(row);
    }
    super::activity::log_in(&mut tx, project_id, &actor.name, "checklist", &format!("re-planned {} overdue item(s) from today to the launch", moved.len()), t)
        .await?;
    tx.commit().await?;
    let mut out = Vec::with_capacity(moved.len());
    for row in moved {
        let item = with_evidence(pool, row).await?;
        store.publish(item.clone());
        out.push(item);
    }
    Ok(out)
}

/// Adds a project-specific item to the checklist and tells every live viewer of the project.
pub async fn add_item(store: &Store, actor: &UserInfo, project_id: i64, new: &NewItem) -> AppResult<ChecklistItem> {
    let created = insert_item(&store.pool, actor, project_id, new).await?;
    store.publish(created.clone());
    Ok(created)
}

async fn insert_item(pool: &Pool, actor: &UserInfo, project_id: i64, new: &NewItem) -> AppResult<ChecklistItem> {
    let title = new.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(AppError::bad("Give the item a title of 1 to 200 characters."));
    }
    if preflight_model::phases::phase(&new.phase).is_none() {
        return Err(AppError::bad(format!("\"{}\" is not a phase.", new.phase)));
    }
    if !(-365..=365).contains(&new.due_offset_days) {
        return Err(AppError::bad("The due day must be within a year of launch."));
    }
    let checks = validate_checks(&new.checks, new.evidence_from)?;
    let signals = validate_signals(&new.signals)?;
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let position: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM checklist_items WHERE project_id = $1").bind(project_id).fetch_one(&mut *tx).await?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO checklist_items (project_id, phase, position, title, why, due_offset_days, checks, evidence_from, signals, updated_at, updated_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(project_id)
    .bind(&new.phase)
    .bind(position)
    .bind(title)
    .bind(new.why.trim())
    .bind(new.due_offset_days)
    .bind(serde_json::to_string(&checks).unwrap_or_else(|_| "[]".into()))
    .bind(new.evidence_from.as_str())
    .bind(serde_json::to_string(&signals).unwrap_or_else(|_| "[]".into()))
    .bind(t)
    .bind(actor.id)
    .bind(t)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::ForeignKeyViolation => AppError::NotFound("project"),
        _ => e.into(),
    })?;
    sqlx::query("INSERT INTO checklist_events (item_id, project_id, user_id, at, action, detail) VALUES ($1, $2, $3, $4, 'created', $5)")
        .bind(id)
        .bind(project_id)
        .bind(actor.id)
        .bind(t)
        .bind(title)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    item(pool, id).await
}

/// Checks an item may name: catalogue ids, each judged on the environments the item takes its
/// evidence from (a production-only check on a dev/staging item would never be looked at).
/// Returns them trimmed, without repeats, in the order given.
pub fn validate_checks(checks: &[String], from: EvidenceFrom) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for c in checks.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        let Some(info) = preflight_engine::find_check(c) else {
            return Err(AppError::bad(format!("\"{c}\" is not a check Preflight knows; the check ids are listed on the Checks page.")));
        };
        if let Some(why) = scope_conflict(info.scope, from) {
            return Err(AppError::bad(format!("{c} {why}")));
        }
        if !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    }
    if out.len() > 30 {
        return Err(AppError::bad("Name at most 30 checks per item."));
    }
    Ok(out)
}

/// Signals an item may name: ids of [`preflight_model::SIGNALS`], without repeats.
pub fn validate_signals(signals: &[String]) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for s in signals.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if preflight_model::signal_title(s).is_none() {
            let known: Vec<&str> = preflight_model::SIGNALS.iter().map(|(id, _)| *id).collect();
            return Err(AppError::bad(format!("\"{s}\" is not a signal Preflight knows ({}).", known.join(", "))));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// Why a check of `scope` cannot give evidence to an item whose evidence comes `from` there.
pub fn scope_conflict(scope: preflight_engine::Scope, from: EvidenceFrom) -> Option<&'static str> {
    use preflight_engine::Scope;
    match (scope, from) {
        (Scope::Production, EvidenceFrom::Production) | (Scope::PreProduction, EvidenceFrom::PreProduction) | (Scope::Any, _) => None,
        (Scope::Production, _) => Some("judges production only: take the item's evidence from production."),
        (Scope::PreProduction, _) => Some("judges dev and staging only: take the item's evidence from dev or staging."),
    }
}

pub async fn history(pool: &Pool, item_id: i64) -> AppResult<Vec<ItemEvent>> {
    let known: Option<i64> = sqlx::query_scalar("SELECT id FROM checklist_items WHERE id = $1").bind(item_id).fetch_optional(pool).await?;
    known.ok_or(AppError::NotFound("checklist item"))?;
    let rows: Vec<(i64, Option<String>, String, String)> = sqlx::query_as(
        "SELECT e.at, u.name, e.action, e.detail FROM checklist_events e LEFT JOIN users u ON u.id = e.user_id
         WHERE e.item_id = $1 ORDER BY e.at DESC, e.id DESC LIMIT 200",
    )
    .bind(item_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(at, user, action, detail)| ItemEvent { at, user, action, detail }).collect())
}

/// Everything the checklist page shows of a project: the project, its items, the team, today's
/// date, its latest runs and the names of the automated checks.
pub async fn view(pool: &Pool, project_id: i64) -> AppResult<preflight_model::ChecklistView> {
    Ok(preflight_model::ChecklistView {
        project: crate::projects::get(pool, project_id).await?,
        items: items(pool, project_id).await?,
        members: crate::access::people(pool, project_id).await?,
        today: crate::today(),
        runs: crate::runs::list(pool, project_id, 5).await?,
        catalogue: std::iter::once(&preflight_engine::catalogue::A11Y_FAMILY)
            .chain(preflight_engine::CATALOGUE.iter())
            .map(|c| (c.id.to_string(), c.title.to_string()))
            .collect(),
    })
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use preflight_model::Role;

    crate::db_test! {
        async fn each_change_is_recorded_once_in_the_history_and_a_state_change_in_the_activity(pool) {
            crate::db::migrate(&pool).await.unwrap();
            let store = Store::new(pool.clone(), None, None);
            let ann = crate::auth::create_user(&pool, "ann@example.test", "Ann Owner", Role::Owner, "a long enough password").await.unwrap();
            let input = serde_json::json!({"name": "Shop", "launch_date": "2027-03-01", "environments": []});
            let pid = crate::projects::create(&pool, &ann, &serde_json::from_value(input).unwrap()).await.unwrap();
            let first = items(&pool, pid).await.unwrap().remove(0);
            let before = crate::activity::list(&pool, pid, None, None, 100).await.unwrap().len();
            let changes = [
                ItemChange::SetState { state: ItemState::NotApplicable, reason: "no forms on this site".into() },
                ItemChange::Assign { user_id: Some(ann.id) },
                ItemChange::Notes { notes: "checked with the client".into() },
            ];
            let mut version = first.version;
            for change in &changes {
                match update(&store, &ann, first.id, version, change).await.unwrap() {
                    UpdateOutcome::Updated { item } => version = item.version,
                    UpdateOutcome::Conflict { .. } => panic!("no one else changed it"),
                }
            }
            // A stale version changes nothing and records nothing.
            let stale = update(&store, &ann, first.id, first.version, &ItemChange::Notes { notes: "late".into() }).await.unwrap();
            assert!(matches!(stale, UpdateOutcome::Conflict { .. }));
            let steps: Vec<(String, String, Option<String>)> =
                history(&pool, first.id).await.unwrap().into_iter().map(|e| (e.action, e.detail, e.user)).collect();
            let ann_name = Some("Ann Owner".to_string());
            assert_eq!(
                steps[..3],
                [
                    ("notes".to_string(), String::new(), ann_name.clone()),
                    ("assign".to_string(), "assigned to Ann Owner".to_string(), ann_name.clone()),
                    ("state".to_string(), "Not applicable: no forms on this site".to_string(), ann_name.clone()),
                ]
            );
            assert_eq!(steps.len(), 3, "nothing else (a template item has no creation step): {steps:?}");
            let activity = crate::activity::list(&pool, pid, Some("tick"), None, 100).await.unwrap();
            assert_eq!(activity.len(), 1, "{activity:?}");
            assert_eq!(activity[0].actor, "Ann Owner");
            assert_eq!(activity[0].summary, format!("Not applicable: no forms on this site: {}", first.title));
            assert_eq!(crate::activity::list(&pool, pid, None, None, 100).await.unwrap().len(), before + 1);
        }
    }

    crate::db_test! {
        async fn a_late_start_is_re_planned_from_today_and_a_past_launch_is_refused(pool) {
            crate::db::migrate(&pool).await.unwrap();
            let store = Store::new(pool.clone(), None, None);
            let ann = crate::auth::create_user(&pool, "ann@example.test", "Ann Owner", Role::Owner, "a long enough password").await.unwrap();
            let launch = crate::projects::due_date(&today(), 4);
            let input = serde_json::json!({"name": "Late", "launch_date": launch, "environments": []});
            let pid = crate::projects::create(&pool, &ann, &serde_json::from_value(input).unwrap()).await.unwrap();
            let overdue: Vec<i64> = items(&pool, pid).await.unwrap().iter().filter(|i| i.overdue).map(|i| i.id).collect();
            assert!(overdue.len() > 20, "{}", overdue.len());
            let moved = replan(&store, &ann, pid).await.unwrap();
            assert_eq!(moved.len(), overdue.len());
            let now = items(&pool, pid).await.unwrap();
            assert!(now.iter().all(|i| !i.overdue), "nothing overdue after re-planning");
            let dues: Vec<&str> = moved.iter().map(|i| i.due.as_str()).collect();
            assert_eq!(dues.first().copied(), Some(today().as_str()), "the first is due today");
            assert!(dues.iter().all(|d| *d >= today().as_str() && *d < launch.as_str()), "{dues:?}");
            let steps = history(&pool, moved[0].id).await.unwrap();
            assert_eq!(steps[0].action, "due");
            assert!(steps[0].detail.contains("re-planned from today"), "{}", steps[0].detail);
            assert!(replan(&store, &ann, pid).await.unwrap().is_empty(), "nothing left to move");
            // A launch that has passed: move the date first.
            sqlx::query("UPDATE projects SET launch_date = $1 WHERE id = $2").bind(crate::projects::due_date(&today(), -1)).bind(pid).execute(&pool).await.unwrap();
            let err = replan(&store, &ann, pid).await.unwrap_err();
            assert!(matches!(err, AppError::Conflict(ref m) if m.contains("has passed")), "{err}");
        }
    }
}

#[cfg(test)]
mod replan_tests {
    #[test]
    fn overdue_items_spread_from_today_to_the_day_before_launch() {
        // Four days to launch, eight items: two a day, from today (-4) to the day before (-1).
        assert_eq!(super::spread_offsets(8, 4), vec![-4, -4, -3, -3, -2, -2, -1, -1]);
        // Fewer items than days: spaced out, the first today.
        assert_eq!(super::spread_offsets(2, 10), vec![-10, -5]);
        assert_eq!(super::spread_offsets(1, 1), vec![-1]);
        assert!(super::spread_offsets(0, 3).is_empty());
    }
}
