//! The built-in launch checklist template (`templates/launch-checklist.toml`, written from
//! the talk) and its versions in the database. A new project copies the newest version.

use std::collections::{HashMap, HashSet};

use crate::db::Pool;
use preflight_model::{EvidenceFrom, TemplateDraft, TemplateItemEdit, TemplateSave, TemplateVersionView};
use serde::Deserialize;

use super::{error::AppResult, now, AppError};

/// The template file, bundled into the binary.
pub const BUILTIN_TOML: &str = include_str!("../../../templates/launch-checklist.toml");

#[derive(Debug, Deserialize)]
pub struct TemplateFile {
    pub version: i64,
    #[serde(rename = "item")]
    pub items: Vec<TemplateItemDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateItemDef {
    pub key: String,
    pub phase: String,
    pub title: String,
    pub why: String,
    pub due: String,
    #[serde(default)]
    pub checks: Vec<String>,
    #[serde(default)]
    pub talk: String,
    /// Which environments supply the evidence of its checks.
    #[serde(default)]
    pub evidence_from: preflight_model::EvidenceFrom,
    /// Evidence from Preflight's own data (ids of [`preflight_model::SIGNALS`]).
    #[serde(default)]
    pub signals: Vec<String>,
}

/// Parses and validates a template: known phases and check ids, unique keys, valid dues.
pub fn parse(toml_src: &str) -> Result<TemplateFile, String> {
    let file: TemplateFile = toml::from_str(toml_src).map_err(|e| format!("template is not valid TOML: {e}"))?;
    let mut keys = std::collections::HashSet::new();
    for it in &file.items {
        if !keys.insert(it.key.as_str()) {
            return Err(format!("template key {} is used twice", it.key));
        }
        check_item(it).map_err(|e| format!("template item {}{e}", it.key))?;
    }
    Ok(file)
}

/// What is wrong with one item (phase, due, signals, checks and where their evidence comes
/// from), as words that follow the item's name.
fn check_item(it: &TemplateItemDef) -> Result<(), String> {
    if preflight_model::phases::phase(&it.phase).is_none() {
        return Err(format!(" has unknown phase {}", it.phase));
    }
    if preflight_model::parse_due_label(&it.due).is_none() {
        return Err(format!(" has a due of {:?}; expected e.g. T-7d", it.due));
    }
    if let Some(bad) = it.signals.iter().find(|s| preflight_model::signal_title(s).is_none()) {
        return Err(format!(" names unknown signal {bad}"));
    }
    for c in &it.checks {
        let info = preflight_engine::find_check(c).ok_or_else(|| format!(" names unknown check {c}"))?;
        if let Some(why) = super::checklist::scope_conflict(info.scope, it.evidence_from) {
            return Err(format!(": {c} {why}"));
        }
    }
    Ok(())
}

/// Id of the newest template version.
pub async fn current_version_id(pool: &Pool) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM template_versions ORDER BY version DESC LIMIT 1").fetch_optional(pool).await?)
}

/// Makes sure the bundled template's version is in the database. A new built-in version
/// keeps the items teams promoted from retrospectives into the previous newest version.
pub async fn ensure_builtin(pool: &Pool) -> Result<(), String> {
    let file = parse(BUILTIN_TOML)?;
    let source = format!("built-in v{}", file.version);
    let db = |e: sqlx::Error| format!("database error: {e}");
    let mut tx = super::db::begin_write(pool).await.map_err(db)?;
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM template_versions WHERE source = $1").bind(&source).fetch_optional(&mut *tx).await.map_err(db)?;
    if exists.is_some() {
        return Ok(());
    }
    let previous: Option<(i64, i64)> =
        sqlx::query_as("SELECT id, version FROM template_versions ORDER BY version DESC LIMIT 1").fetch_optional(&mut *tx).await.map_err(db)?;
    let version = previous.map(|p| p.1 + 1).unwrap_or(1);
    let vid: i64 = sqlx::query_scalar("INSERT INTO template_versions (version, source, created_at) VALUES ($1, $2, $3) RETURNING id")
        .bind(version)
        .bind(&source)
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    for (pos, it) in file.items.iter().enumerate() {
        sqlx::query(
            "INSERT INTO template_items (template_version_id, key, phase, position, title, why, due_offset_days, checks, talk, evidence_from, signals, origin)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'built-in')",
        )
        .bind(vid)
        .bind(&it.key)
        .bind(&it.phase)
        .bind(pos as i64)
        .bind(&it.title)
        .bind(&it.why)
        .bind(preflight_model::parse_due_label(&it.due).unwrap_or(0))
        .bind(serde_json::to_string(&it.checks).unwrap_or_else(|_| "[]".into()))
        .bind(&it.talk)
        .bind(it.evidence_from.as_str())
        .bind(serde_json::to_string(&it.signals).unwrap_or_else(|_| "[]".into()))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    if let Some((prev_id, _)) = previous {
        // Carry over what the team made: items promoted from retrospectives or added in the
        // editor go to the end, and built-in items the team edited keep the team's words.
        let kept: Vec<ItemRow> =
            sqlx::query_as(&format!("SELECT {ITEM_COLUMNS} FROM template_items WHERE template_version_id = $1 AND origin != 'built-in' ORDER BY position"))
                .bind(prev_id)
                .fetch_all(&mut *tx)
                .await
                .map_err(db)?;
        for row in kept {
            let edited = sqlx::query(
                "UPDATE template_items SET phase = $1, title = $2, why = $3, due_offset_days = $4, checks = $5, evidence_from = $6, signals = $7, origin = $8
                 WHERE template_version_id = $9 AND key = $10",
            )
            .bind(&row.phase)
            .bind(&row.title)
            .bind(&row.why)
            .bind(row.due_offset_days)
            .bind(&row.checks)
            .bind(&row.evidence_from)
            .bind(&row.signals)
            .bind(&row.origin)
            .bind(vid)
            .bind(&row.key)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            if edited.rows_affected() == 0 {
                insert_item(&mut tx, vid, row.position + 100_000, &row).await.map_err(db)?;
            }
        }
    }
    tx.commit().await.map_err(db)?;
    tracing::info!(version, items = file.items.len(), "seeded checklist template {source}");
    Ok(())
}

/// A stored template item, every column.
#[derive(Debug, Clone, sqlx::FromRow)]
struct ItemRow {
    key: String,
    phase: String,
    position: i64,
    title: String,
    why: String,
    due_offset_days: i64,
    checks: String,
    talk: String,
    evidence_from: String,
    signals: String,
    origin: String,
}

const ITEM_COLUMNS: &str = "key, phase, position, title, why, due_offset_days, checks, talk, evidence_from, signals, origin";

impl ItemRow {
    fn edit(&self) -> TemplateItemEdit {
        TemplateItemEdit {
            key: self.key.clone(),
            phase: self.phase.clone(),
            title: self.title.clone(),
            why: self.why.clone(),
            due: preflight_model::due_label(self.due_offset_days),
            checks: serde_json::from_str(&self.checks).unwrap_or_default(),
            evidence_from: EvidenceFrom::parse(&self.evidence_from).unwrap_or_default(),
            signals: serde_json::from_str(&self.signals).unwrap_or_default(),
            origin: self.origin.clone(),
        }
    }

    /// Whether the item says something different from `other` (its position aside).
    fn differs(&self, other: &ItemRow) -> bool {
        (&self.phase, &self.title, &self.why, self.due_offset_days, &self.checks, &self.evidence_from, &self.signals)
            != (&other.phase, &other.title, &other.why, other.due_offset_days, &other.checks, &other.evidence_from, &other.signals)
    }
}

async fn insert_item(conn: &mut crate::db::Conn, version_id: i64, position: i64, row: &ItemRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO template_items (template_version_id, key, phase, position, title, why, due_offset_days, checks, talk, evidence_from, signals, origin)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(version_id)
    .bind(&row.key)
    .bind(&row.phase)
    .bind(position)
    .bind(&row.title)
    .bind(&row.why)
    .bind(row.due_offset_days)
    .bind(&row.checks)
    .bind(&row.talk)
    .bind(&row.evidence_from)
    .bind(&row.signals)
    .bind(&row.origin)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn newest(conn: &mut crate::db::Conn) -> AppResult<(i64, i64)> {
    sqlx::query_as("SELECT id, version FROM template_versions ORDER BY version DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound("checklist template"))
}

async fn rows_of(conn: &mut crate::db::Conn, version_id: i64) -> AppResult<Vec<ItemRow>> {
    Ok(sqlx::query_as(&format!("SELECT {ITEM_COLUMNS} FROM template_items WHERE template_version_id = $1 ORDER BY position, id"))
        .bind(version_id)
        .fetch_all(&mut *conn)
        .await?)
}

/// The newest version with every field of its items, for the template editor.
pub async fn current(pool: &Pool) -> AppResult<TemplateDraft> {
    let mut conn = pool.acquire().await?;
    let (id, version) = newest(&mut conn).await?;
    Ok(TemplateDraft { version, items: rows_of(&mut conn, id).await?.iter().map(ItemRow::edit).collect() })
}

/// A key for an item added in the editor, made from its title and used by no item of any
/// version.
fn key_from_title(title: &str, taken: impl Fn(&str) -> bool) -> String {
    let slug: String = title.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let words: Vec<&str> = slug.split('-').filter(|w| !w.is_empty()).take(6).collect();
    let base = if words.is_empty() { "custom-item".to_string() } else { format!("custom-{}", words.join("-")) };
    (1..).map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") }).find(|k| !taken(k)).expect("an unused key")
}

/// Saves the editor's list as a new template version (projects created from then on copy
/// it; existing checklists keep theirs). Refused when another version was saved since
/// `base_version`, when nothing changed, and for any item the template file would refuse.
pub async fn save_edit(pool: &Pool, actor: &str, input: &TemplateSave) -> AppResult<TemplateVersionView> {
    if input.items.is_empty() {
        return Err(AppError::bad("items: a template needs at least one item."));
    }
    if input.items.len() > 1000 {
        return Err(AppError::bad("items: 1,000 items at most."));
    }
    let note = input.note.trim();
    if note.chars().count() > 300 {
        return Err(AppError::bad("note: say what changed in 300 characters at most."));
    }
    let mut tx = super::db::begin_write(pool).await?;
    let (prev_id, prev_version) = newest(&mut tx).await?;
    if prev_version != input.base_version {
        return Err(AppError::Conflict(format!(
            "Version {prev_version} of the template was saved while you were editing version {}. Your changes are still in the form: keep a copy, reload, and make them again.",
            input.base_version
        )));
    }
    let before = rows_of(&mut tx, prev_id).await?;
    let by_key: HashMap<&str, &ItemRow> = before.iter().map(|r| (r.key.as_str(), r)).collect();
    // Keys are never reused, not even those of items removed in earlier versions.
    let ever: HashSet<String> = sqlx::query_scalar("SELECT DISTINCT key FROM template_items").fetch_all(&mut *tx).await?.into_iter().collect();
    let mut used: HashSet<String> = HashSet::new();
    let (mut added, mut changed) = (0, 0);
    let mut rows = Vec::with_capacity(input.items.len());
    for (i, it) in input.items.iter().enumerate() {
        let n = i + 1;
        let title = it.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(AppError::bad(format!("item {n}: give it a title of 1 to 200 characters.")));
        }
        let why = it.why.trim().to_string();
        if why.is_empty() || why.chars().count() > 2000 {
            return Err(AppError::bad(format!("item {n} ({title}): say why it matters, in 1 to 2,000 characters.")));
        }
        let key = it.key.trim();
        let old = if key.is_empty() {
            None
        } else {
            Some(*by_key.get(key).ok_or_else(|| {
                AppError::bad(format!("item {n} ({title}): there is no item {key} in version {prev_version}; leave the key empty for a new item."))
            })?)
        };
        let key = match old {
            Some(o) => o.key.clone(),
            None => key_from_title(&title, |k| ever.contains(k) || used.contains(k)),
        };
        if !used.insert(key.clone()) {
            return Err(AppError::bad(format!("item {n} ({title}) is in the list twice.")));
        }
        let mut checks: Vec<String> = Vec::new();
        for c in it.checks.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            if !checks.iter().any(|k| k == c) {
                checks.push(c.to_string());
            }
        }
        let def = TemplateItemDef {
            key: key.clone(),
            phase: it.phase.clone(),
            title: title.clone(),
            why: why.clone(),
            due: it.due.trim().to_string(),
            checks,
            talk: old.map(|o| o.talk.clone()).unwrap_or_default(),
            evidence_from: it.evidence_from,
            signals: it.signals.clone(),
        };
        check_item(&def).map_err(|e| AppError::bad(format!("item {n} ({title}){e}.")))?;
        let mut row = ItemRow {
            key,
            phase: def.phase,
            position: i as i64,
            title,
            why,
            due_offset_days: preflight_model::parse_due_label(&def.due).unwrap_or(0),
            checks: serde_json::to_string(&def.checks).unwrap_or_else(|_| "[]".into()),
            talk: def.talk,
            evidence_from: def.evidence_from.as_str().to_string(),
            signals: serde_json::to_string(&def.signals).unwrap_or_else(|_| "[]".into()),
            origin: format!("added in the template editor by {actor}"),
        };
        match old {
            None => added += 1,
            Some(o) => {
                row.origin = o.origin.clone();
                if row.differs(o) {
                    changed += 1;
                    if o.origin == "built-in" {
                        row.origin = format!("built-in, edited by {actor}");
                    }
                }
            }
        }
        rows.push(row);
    }
    let removed = before.iter().filter(|r| !used.contains(&r.key)).count();
    let kept_before: Vec<&str> = before.iter().filter(|r| used.contains(&r.key)).map(|r| r.key.as_str()).collect();
    let kept_after: Vec<&str> = rows.iter().filter(|r| by_key.contains_key(r.key.as_str())).map(|r| r.key.as_str()).collect();
    let moved = kept_before != kept_after;
    let mut parts: Vec<String> =
        [(changed, "changed"), (added, "added"), (removed, "removed")].into_iter().filter(|(n, _)| *n > 0).map(|(n, what)| format!("{n} {what}")).collect();
    if moved {
        parts.push("reordered".into());
    }
    if parts.is_empty() {
        return Err(AppError::bad(format!("Nothing changed: version {prev_version} is already this list.")));
    }
    let version = prev_version + 1;
    let mut source = format!("v{prev_version} edited by {actor}: {}", parts.join(", "));
    if !note.is_empty() {
        source.push_str(&format!(" — {note}"));
    }
    let vid = sqlx::query_scalar::<_, i64>("INSERT INTO template_versions (version, source, created_at) VALUES ($1, $2, $3) RETURNING id")
        .bind(version)
        .bind(&source)
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            // Another save of the same base version won the race (PostgreSQL runs both at once).
            if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
                AppError::Conflict(format!(
                    "Version {version} of the template was saved while you were editing version {prev_version}. Your changes are still in the form: keep a copy, reload, and make them again."
                ))
            } else {
                e.into()
            }
        })?;
    for row in &rows {
        insert_item(&mut tx, vid, row.position, row).await?;
    }
    tx.commit().await?;
    tracing::info!(version, actor, "saved checklist template {source}");
    super::retro::version(pool, version).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_template_is_valid_and_covers_the_talk() {
        let file = parse(BUILTIN_TOML).expect("built-in template parses");
        assert!(file.items.len() >= 60, "only {} items", file.items.len());
        let talk = include_str!("../../../templates/talk.txt");
        for it in &file.items {
            assert!(!it.title.is_empty() && it.title.chars().count() <= 80, "{}", it.key);
            assert!(it.why.len() > 40, "{} needs a real why", it.key);
            assert!(talk.contains(it.talk.as_str()), "{}: {:?} is not in the talk", it.key, it.talk);
        }
        // Every phase has items, and key advice is present.
        for p in preflight_model::phases::PHASES {
            assert!(file.items.iter().any(|i| i.phase == p.key), "phase {} is empty", p.key);
        }
        for must in ["DEBUG = False", "Favicon", "Lower your DNS TTL", "robots.txt", "Doubt everything"] {
            assert!(file.items.iter().any(|i| i.talk.contains(must)), "no item for {must}");
        }
        let ttl = file.items.iter().find(|i| i.talk.contains("Lower your DNS TTL")).unwrap();
        assert_eq!(ttl.due, "T-7d");
    }

    #[test]
    fn bad_templates_are_rejected_with_reasons() {
        let base = |extra: &str| format!("version = 1\n[[item]]\nkey = \"a\"\nphase = \"foundations\"\ntitle = \"T\"\nwhy = \"W\"\ndue = \"T-1d\"\n{extra}");
        assert!(parse(&base("")).is_ok());
        assert!(parse(&base("checks = [\"nope\"]")).unwrap_err().contains("unknown check nope"));
        assert!(parse(&base("[[item]]\nkey = \"a\"\nphase = \"foundations\"\ntitle = \"T\"\nwhy = \"W\"\ndue = \"T-1d\"")).unwrap_err().contains("twice"));
        assert!(parse(&base("").replace("T-1d", "soon")).unwrap_err().contains("due"));
        assert!(parse(&base("").replace("foundations", "whenever")).unwrap_err().contains("phase"));
        // A check judged on production only cannot take its evidence from dev, nor a dev-only
        // check from production.
        assert!(parse(&base("checks = [\"sitemap-missing\"]")).unwrap_err().contains("take the item's evidence from production"));
        assert!(parse(&base("checks = [\"sitemap-missing\"]\nevidence_from = \"production\"")).is_ok());
        assert!(parse(&base("checks = [\"dev-banner-missing\"]\nevidence_from = \"production\"")).unwrap_err().contains("dev or staging"));
        assert!(parse(&base("evidence_from = \"nowhere\"")).unwrap_err().contains("not valid TOML"));
        assert!(parse(&base("signals = [\"scope-agreed\"]")).is_ok());
        assert!(parse(&base("signals = [\"vibes\"]")).unwrap_err().contains("unknown signal vibes"));
    }
}
