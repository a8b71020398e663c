//! The agreed scope register: items with their full history, change requests and their
//! decisions, and the scope on any date compared with any other ("Keep track of what you
//! agreed to build. Good fences make good neighbors").

use std::collections::BTreeMap;

use crate::db::Pool;

use super::{activity, error::AppResult, now, AppError};
use preflight_model::{
    ChangeRequest, ChangeRequestInput, ChangeStatus, Decision, ScopeComparison, ScopeHistoryEntry, ScopeInput, ScopeItem, ScopeStatus, ScopeView,
};

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    project_id: i64,
    title: String,
    description: String,
    source: String,
    agreed_on: Option<String>,
    status: String,
    version: i64,
    updated_at: i64,
    deleted_at: Option<i64>,
    deleted_by: Option<String>,
}

impl From<ItemRow> for ScopeItem {
    fn from(r: ItemRow) -> Self {
        ScopeItem {
            id: r.id,
            project_id: r.project_id,
            title: r.title,
            description: r.description,
            source: r.source,
            agreed_on: r.agreed_on,
            status: ScopeStatus::parse(&r.status).unwrap_or(ScopeStatus::Agreed),
            version: r.version,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            deleted_by: r.deleted_by,
        }
    }
}

const ITEM_COLUMNS: &str = "id, project_id, title, description, source, agreed_on, status, version, updated_at, deleted_at, deleted_by";

fn validate(input: &ScopeInput) -> AppResult<ScopeInput> {
    let mut out = input.clone();
    out.title = input.title.trim().to_string();
    if out.title.is_empty() || out.title.chars().count() > 300 {
        return Err(AppError::bad("title: give the scope item a title of 1 to 300 characters."));
    }
    out.description = input.description.trim().to_string();
    if out.description.chars().count() > 10_000 {
        return Err(AppError::bad("description: 10,000 characters at most."));
    }
    out.source = input.source.trim().to_string();
    if out.source.chars().count() > 300 {
        return Err(AppError::bad("source: 300 characters at most (e.g. \"Contract §3\", \"E-mail from Ann, 2 May\")."));
    }
    out.agreed_on = match input.agreed_on.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) if preflight_model::parse_date(d).is_some() => Some(d.to_string()),
        Some(d) => return Err(AppError::bad(format!("agreed_on: \"{d}\" is not a date; use YYYY-MM-DD."))),
    };
    out.note = input.note.trim().chars().take(2000).collect();
    Ok(out)
}

pub async fn get(pool: &Pool, id: i64) -> AppResult<ScopeItem> {
    let row: ItemRow = sqlx::query_as(&format!("SELECT {ITEM_COLUMNS} FROM scope_items WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound("scope item"))?;
    Ok(row.into())
}

/// The register: the project's items that are not deleted.
pub async fn items(pool: &Pool, project_id: i64) -> AppResult<Vec<ScopeItem>> {
    let rows: Vec<ItemRow> = sqlx::query_as(&format!("SELECT {ITEM_COLUMNS} FROM scope_items WHERE project_id = $1 AND deleted_at IS NULL ORDER BY id"))
        .bind(project_id)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The project's deleted items, most recently deleted first.
pub async fn deleted(pool: &Pool, project_id: i64) -> AppResult<Vec<ScopeItem>> {
    let rows: Vec<ItemRow> =
        sqlx::query_as(&format!("SELECT {ITEM_COLUMNS} FROM scope_items WHERE project_id = $1 AND deleted_at IS NOT NULL ORDER BY deleted_at DESC, id DESC"))
            .bind(project_id)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

async fn record(conn: &mut crate::db::Conn, item: &ScopeItem, actor: &str, action: &str, note: &str, at: i64) -> AppResult<()> {
    sqlx::query("INSERT INTO scope_history (scope_item_id, at, actor, action, snapshot, note) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(item.id)
        .bind(at)
        .bind(actor)
        .bind(action)
        .bind(serde_json::to_string(item).unwrap_or_default())
        .bind(note)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn fetch_in(conn: &mut crate::db::Conn, id: i64) -> AppResult<ScopeItem> {
    let row: ItemRow = sqlx::query_as(&format!("SELECT {ITEM_COLUMNS} FROM scope_items WHERE id = $1")).bind(id).fetch_one(&mut *conn).await?;
    Ok(row.into())
}

/// Adds an item to the register.
pub async fn create(pool: &Pool, project_id: i64, actor: &str, input: &ScopeInput) -> AppResult<ScopeItem> {
    let v = validate(input)?;
    super::projects::get(pool, project_id).await?;
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO scope_items (project_id, title, description, source, agreed_on, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(project_id)
    .bind(&v.title)
    .bind(&v.description)
    .bind(&v.source)
    .bind(&v.agreed_on)
    .bind(v.status.unwrap_or(ScopeStatus::Agreed).as_str())
    .bind(t)
    .bind(t)
    .fetch_one(&mut *tx)
    .await?;
    let item = fetch_in(&mut tx, id).await?;
    record(&mut tx, &item, actor, "created", &v.note, t).await?;
    activity::log_in(&mut tx, project_id, actor, "scope", &format!("added \"{}\" to the scope ({})", item.title, item.status.label()), t).await?;
    tx.commit().await?;
    Ok(item)
}

/// Changes an item if it is still at `input.version`; a stale version is a conflict that
/// names who changed it.
pub async fn update(pool: &Pool, id: i64, actor: &str, input: &ScopeInput) -> AppResult<ScopeItem> {
    let v = validate(input)?;
    let Some(expected) = v.version else {
        return Err(AppError::bad("version: send the version you edited, so concurrent edits are not lost."));
    };
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let before = fetch_in(&mut tx, id).await.map_err(|_| AppError::NotFound("scope item"))?;
    if let Some(by) = &before.deleted_by {
        return Err(AppError::Conflict(format!("{by} deleted this scope item; restore it before changing it.")));
    }
    let status = v.status.unwrap_or(before.status);
    let r = sqlx::query(
        "UPDATE scope_items SET title = $1, description = $2, source = $3, agreed_on = $4, status = $5, version = version + 1, updated_at = $6
         WHERE id = $7 AND version = $8",
    )
    .bind(&v.title)
    .bind(&v.description)
    .bind(&v.source)
    .bind(&v.agreed_on)
    .bind(status.as_str())
    .bind(t)
    .bind(id)
    .bind(expected)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() == 0 {
        let who: Option<(String, i64)> =
            sqlx::query_as("SELECT actor, at FROM scope_history WHERE scope_item_id = $1 ORDER BY id DESC LIMIT 1").bind(id).fetch_optional(&mut *tx).await?;
        let by = who.map(|(a, _)| a).unwrap_or_else(|| "someone".into());
        return Err(AppError::Conflict(format!("{by} changed this scope item while you were editing it; reload to see their version.")));
    }
    let after = fetch_in(&mut tx, id).await?;
    let action = if before.status != after.status && before.title == after.title && before.description == after.description { "status" } else { "edited" };
    record(&mut tx, &after, actor, action, &v.note, t).await?;
    let summary = if action == "status" {
        format!("moved \"{}\" from {} to {}", after.title, before.status.label(), after.status.label())
    } else {
        format!("edited the scope item \"{}\"", after.title)
    };
    activity::log_in(&mut tx, after.project_id, actor, "scope", &summary, t).await?;
    tx.commit().await?;
    Ok(after)
}

/// Takes an item out of the register if it is still at `version` (when given). It keeps its
/// history, the scope on earlier dates still shows it, and [`restore`] brings it back.
pub async fn delete(pool: &Pool, id: i64, actor: &str, version: Option<i64>, reason: &str) -> AppResult<ScopeItem> {
    let reason: String = reason.trim().chars().take(2000).collect();
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let before = fetch_in(&mut tx, id).await.map_err(|_| AppError::NotFound("scope item"))?;
    if let Some(by) = &before.deleted_by {
        return Err(AppError::Conflict(format!("{by} already deleted \"{}\".", before.title)));
    }
    let stale = || AppError::Conflict(format!("\"{}\" changed since you loaded it; reload and decide again.", before.title));
    if version.is_some_and(|v| v != before.version) {
        return Err(stale());
    }
    // The conditions again in the write: on PostgreSQL another request may have got here too.
    let r = sqlx::query(
        "UPDATE scope_items SET deleted_at = $1, deleted_by = $2, version = version + 1, updated_at = $3 WHERE id = $4 AND deleted_at IS NULL AND version = $5",
    )
    .bind(t)
    .bind(actor)
    .bind(t)
    .bind(id)
    .bind(before.version)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() == 0 {
        return Err(stale());
    }
    let after = fetch_in(&mut tx, id).await?;
    record(&mut tx, &after, actor, "deleted", &reason, t).await?;
    let why = if reason.is_empty() { String::new() } else { format!(": {reason}") };
    activity::log_in(&mut tx, after.project_id, actor, "scope", &format!("deleted \"{}\" from the scope{why}", after.title), t).await?;
    tx.commit().await?;
    Ok(after)
}

/// Puts a deleted item back in the register as it was.
pub async fn restore(pool: &Pool, id: i64, actor: &str) -> AppResult<ScopeItem> {
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let before = fetch_in(&mut tx, id).await.map_err(|_| AppError::NotFound("scope item"))?;
    if before.deleted_at.is_none() {
        return Err(AppError::Conflict(format!("\"{}\" is not deleted.", before.title)));
    }
    let r = sqlx::query(
        "UPDATE scope_items SET deleted_at = NULL, deleted_by = NULL, version = version + 1, updated_at = $1 WHERE id = $2 AND deleted_at IS NOT NULL",
    )
    .bind(t)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() == 0 {
        return Err(AppError::Conflict(format!("\"{}\" was restored a moment ago.", before.title)));
    }
    let after = fetch_in(&mut tx, id).await?;
    record(&mut tx, &after, actor, "restored", "", t).await?;
    activity::log_in(&mut tx, after.project_id, actor, "scope", &format!("restored \"{}\" to the scope", after.title), t).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn history(pool: &Pool, id: i64) -> AppResult<Vec<ScopeHistoryEntry>> {
    get(pool, id).await?;
    let rows: Vec<(i64, String, String, String, String)> =
        sqlx::query_as("SELECT at, actor, action, note, snapshot FROM scope_history WHERE scope_item_id = $1 ORDER BY at, id").bind(id).fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(at, actor, action, note, snap)| serde_json::from_str(&snap).ok().map(|item| ScopeHistoryEntry { at, actor, action, note, item }))
        .collect())
}

/// The scope as it stood at `at` (unix seconds): every item's latest state by then.
pub async fn at(pool: &Pool, project_id: i64, at: i64) -> AppResult<Vec<ScopeItem>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT h.scope_item_id, h.action, h.snapshot FROM scope_history h JOIN scope_items i ON i.id = h.scope_item_id
         WHERE i.project_id = $1 AND h.at <= $2 ORDER BY h.scope_item_id, h.at, h.id",
    )
    .bind(project_id)
    .bind(at)
    .fetch_all(pool)
    .await?;
    let mut latest: BTreeMap<i64, Option<ScopeItem>> = BTreeMap::new();
    for (id, action, snap) in rows {
        if action == "deleted" {
            latest.insert(id, None);
        } else if let Ok(item) = serde_json::from_str(&snap) {
            latest.insert(id, Some(item));
        }
    }
    Ok(latest.into_values().flatten().collect())
}

/// What changed in the scope between two moments (by title, description, source, date and
/// status; items out of scope count as part of the register).
pub async fn compare(pool: &Pool, project_id: i64, from: i64, to: i64) -> AppResult<ScopeComparison> {
    let (a, b) = (at(pool, project_id, from).await?, at(pool, project_id, to).await?);
    Ok(diff(from, to, &a, &b))
}

pub fn diff(from: i64, to: i64, a: &[ScopeItem], b: &[ScopeItem]) -> ScopeComparison {
    let same = |x: &ScopeItem, y: &ScopeItem| {
        x.title == y.title && x.description == y.description && x.source == y.source && x.agreed_on == y.agreed_on && x.status == y.status
    };
    let mut out = ScopeComparison { from, to, added: vec![], removed: vec![], changed: vec![], unchanged: vec![] };
    for y in b {
        match a.iter().find(|x| x.id == y.id) {
            None => out.added.push(y.clone()),
            Some(x) if same(x, y) => out.unchanged.push(y.clone()),
            Some(x) => out.changed.push((x.clone(), y.clone())),
        }
    }
    out.removed = a.iter().filter(|x| !b.iter().any(|y| y.id == x.id)).cloned().collect();
    out
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    id: i64,
    project_id: i64,
    scope_item_id: Option<i64>,
    title: String,
    description: String,
    reason: String,
    proposed_by_kind: String,
    proposed_by: String,
    proposed_at: i64,
    status: String,
    decided_by: Option<String>,
    decided_at: Option<i64>,
    decision_note: String,
}

impl From<ChangeRow> for ChangeRequest {
    fn from(r: ChangeRow) -> Self {
        ChangeRequest {
            id: r.id,
            project_id: r.project_id,
            scope_item_id: r.scope_item_id,
            title: r.title,
            description: r.description,
            reason: r.reason,
            proposed_by_kind: r.proposed_by_kind,
            proposed_by: r.proposed_by,
            proposed_at: r.proposed_at,
            status: match r.status.as_str() {
                "approved" => ChangeStatus::Approved,
                "declined" => ChangeStatus::Declined,
                _ => ChangeStatus::Proposed,
            },
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            decision_note: r.decision_note,
        }
    }
}

const CHANGE_COLUMNS: &str =
    "id, project_id, scope_item_id, title, description, reason, proposed_by_kind, proposed_by, proposed_at, status, decided_by, decided_at, decision_note";

pub async fn change_requests(pool: &Pool, project_id: i64) -> AppResult<Vec<ChangeRequest>> {
    let rows: Vec<ChangeRow> = sqlx::query_as(&format!("SELECT {CHANGE_COLUMNS} FROM change_requests WHERE project_id = $1 ORDER BY id DESC"))
        .bind(project_id)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn change_request(pool: &Pool, id: i64) -> AppResult<ChangeRequest> {
    let row: ChangeRow = sqlx::query_as(&format!("SELECT {CHANGE_COLUMNS} FROM change_requests WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound("change request"))?;
    Ok(row.into())
}

/// Proposes a change; `by_client` when it comes through a share link.
pub async fn propose(pool: &Pool, project_id: i64, actor: &str, by_client: bool, input: &ChangeRequestInput) -> AppResult<ChangeRequest> {
    let title = input.title.trim();
    let reason = input.reason.trim();
    if title.is_empty() || title.chars().count() > 300 {
        return Err(AppError::bad("title: say what should change, in 1 to 300 characters."));
    }
    if reason.is_empty() || reason.chars().count() > 5000 {
        return Err(AppError::bad("reason: say why the change is needed (up to 5,000 characters)."));
    }
    if input.description.chars().count() > 10_000 {
        return Err(AppError::bad("description: 10,000 characters at most."));
    }
    if let Some(item) = input.scope_item_id {
        let item = get(pool, item).await?;
        if item.project_id != project_id {
            return Err(AppError::bad("scope_item_id: that item belongs to another project."));
        }
        if let Some(by) = item.deleted_by {
            return Err(AppError::Conflict(format!("{by} deleted \"{}\" from the scope; restore it before proposing a change to it.", item.title)));
        }
    }
    super::projects::get(pool, project_id).await?;
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO change_requests (project_id, scope_item_id, title, description, reason, proposed_by_kind, proposed_by, proposed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(project_id)
    .bind(input.scope_item_id)
    .bind(title)
    .bind(input.description.trim())
    .bind(reason)
    .bind(if by_client { "client" } else { "team" })
    .bind(actor)
    .bind(t)
    .fetch_one(&mut *tx)
    .await?;
    activity::log_in(&mut tx, project_id, actor, "change-request", &format!("proposed a scope change: \"{title}\""), t).await?;
    tx.commit().await?;
    change_request(pool, id).await
}

/// Approves or declines a proposed change. Approval changes the item it names (title and
/// description) or adds a new agreed item, dated today, with a history entry.
pub async fn decide(pool: &Pool, id: i64, decision: &Decision) -> AppResult<ChangeRequest> {
    let who = decision.decided_by.trim();
    if who.is_empty() || who.chars().count() > 200 {
        return Err(AppError::bad("decided_by: give the name of the person who decided."));
    }
    let note = decision.note.trim();
    let cr = change_request(pool, id).await?;
    if decision.approve {
        if let Some(item) = cr.scope_item_id {
            let item = get(pool, item).await?;
            if let Some(by) = item.deleted_by {
                return Err(AppError::Conflict(format!(
                    "{by} deleted \"{}\" from the scope after this change was proposed; restore it first, or decline the change.",
                    item.title
                )));
            }
        }
    }
    if cr.status != ChangeStatus::Proposed {
        return Err(AppError::Conflict(format!(
            "This change request was already {} by {}.",
            if cr.status == ChangeStatus::Approved { "approved" } else { "declined" },
            cr.decided_by.clone().unwrap_or_default()
        )));
    }
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let r = sqlx::query("UPDATE change_requests SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 WHERE id = $5 AND status = 'proposed'")
        .bind(if decision.approve { "approved" } else { "declined" })
        .bind(who)
        .bind(t)
        .bind(note)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if r.rows_affected() == 0 {
        return Err(AppError::Conflict("This change request was decided a moment ago; reload to see the decision.".into()));
    }
    let today = super::today();
    if decision.approve {
        let why = format!("change request #{id} approved by {who}: {}", cr.reason);
        let item = match cr.scope_item_id {
            Some(item_id) => {
                sqlx::query("UPDATE scope_items SET title = $1, description = CASE WHEN $2 = '' THEN description ELSE $3 END, agreed_on = $4, version = version + 1, updated_at = $5 WHERE id = $6")
                    .bind(&cr.title)
                    .bind(&cr.description)
                    .bind(&cr.description)
                    .bind(&today)
                    .bind(t)
                    .bind(item_id)
                    .execute(&mut *tx)
                    .await?;
                fetch_in(&mut tx, item_id).await?
            }
            None => {
                let new_id = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO scope_items (project_id, title, description, source, agreed_on, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'agreed', $6, $7) RETURNING id",
                )
                .bind(cr.project_id)
                .bind(&cr.title)
                .bind(&cr.description)
                .bind(format!("Change request #{id}"))
                .bind(&today)
                .bind(t)
                .bind(t)
                .fetch_one(&mut *tx)
                .await?;
                fetch_in(&mut tx, new_id).await?
            }
        };
        record(&mut tx, &item, who, "change-approved", &why, t).await?;
    }
    let verb = if decision.approve { "approved" } else { "declined" };
    activity::log_in(&mut tx, cr.project_id, who, "change-request", &format!("{verb} the scope change \"{}\"", cr.title), t).await?;
    tx.commit().await?;
    change_request(pool, id).await
}

pub async fn view(pool: &Pool, project_id: i64) -> AppResult<ScopeView> {
    let p = super::projects::get(pool, project_id).await?;
    Ok(ScopeView {
        project_id,
        project_name: p.name,
        launch_date: p.launch_date,
        today: super::today(),
        items: items(pool, project_id).await?,
        change_requests: change_requests(pool, project_id).await?,
        deleted: deleted(pool, project_id).await?,
    })
}

/// The end of a `YYYY-MM-DD` day (UTC) as unix seconds; the scope "at launch" is the scope
/// at the end of the launch day.
pub fn end_of_day(date: &str) -> Option<i64> {
    let d = preflight_model::parse_date(date)?;
    Some(d.midnight().assume_utc().unix_timestamp() + 86_399)
}

/// A moment as people and scripts give it: unix seconds, or `YYYY-MM-DD` (the end of that
/// day, UTC).
pub fn parse_moment(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    raw.parse::<i64>().ok().or_else(|| end_of_day(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, title: &str, status: ScopeStatus) -> ScopeItem {
        ScopeItem {
            id,
            project_id: 1,
            title: title.into(),
            description: String::new(),
            source: String::new(),
            agreed_on: None,
            status,
            version: 1,
            updated_at: 0,
            deleted_at: None,
            deleted_by: None,
        }
    }

    #[test]
    fn comparisons_sort_items_into_added_removed_changed_and_unchanged() {
        let then = vec![item(1, "Home page", ScopeStatus::Agreed), item(2, "Blog", ScopeStatus::Agreed), item(3, "Shop", ScopeStatus::Agreed)];
        let now = vec![item(1, "Home page", ScopeStatus::Agreed), item(2, "Blog", ScopeStatus::OutOfScope), item(4, "Newsletter", ScopeStatus::Agreed)];
        let c = diff(0, 1, &then, &now);
        assert_eq!(c.unchanged.iter().map(|i| i.id).collect::<Vec<_>>(), [1]);
        assert_eq!(c.changed.len(), 1);
        assert_eq!((c.changed[0].0.status, c.changed[0].1.status), (ScopeStatus::Agreed, ScopeStatus::OutOfScope));
        assert_eq!(c.added[0].title, "Newsletter");
        assert_eq!(c.removed[0].title, "Shop");
    }

    #[test]
    fn inputs_are_checked() {
        let ok = ScopeInput { title: " Home ".into(), agreed_on: Some("2027-01-02".into()), ..Default::default() };
        assert_eq!(validate(&ok).unwrap().title, "Home");
        for (bad, field) in [
            (ScopeInput { title: " ".into(), ..Default::default() }, "title"),
            (ScopeInput { title: "x".into(), agreed_on: Some("2 Jan".into()), ..Default::default() }, "agreed_on"),
        ] {
            assert!(validate(&bad).unwrap_err().to_string().starts_with(field));
        }
        assert_eq!(end_of_day("2027-01-02"), Some(1_798_934_399));
        assert_eq!(parse_moment(" 2027-01-02 "), Some(1_798_934_399));
        assert_eq!(parse_moment("1798934399"), Some(1_798_934_399));
        assert_eq!(parse_moment("yesterday"), None);
    }
}
