//! The built-in launch checklist template (`templates/launch-checklist.toml`, written from
//! the talk) and its versions in the database. A new project copies the newest version.

use crate::db::Pool;
use serde::Deserialize;

use super::{error::AppResult, now};

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
        if preflight_model::phases::phase(&it.phase).is_none() {
            return Err(format!("template item {} has unknown phase {}", it.key, it.phase));
        }
        if preflight_model::parse_due_label(&it.due).is_none() {
            return Err(format!("template item {} has a due of {:?}; expected e.g. T-7d", it.key, it.due));
        }
        if let Some(bad) = it.signals.iter().find(|s| preflight_model::signal_title(s).is_none()) {
            return Err(format!("template item {} names unknown signal {bad}", it.key));
        }
        for c in &it.checks {
            let info = preflight_engine::find_check(c).ok_or_else(|| format!("template item {} names unknown check {c}", it.key))?;
            if let Some(why) = super::checklist::scope_conflict(info.scope, it.evidence_from) {
                return Err(format!("template item {}: {c} {why}", it.key));
            }
        }
    }
    Ok(file)
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
        // Carry over items promoted from retrospectives (anything not built in).
        sqlx::query(
            "INSERT INTO template_items (template_version_id, key, phase, position, title, why, due_offset_days, checks, talk, evidence_from, signals, origin)
             SELECT $1, key, phase, position + 100000, title, why, due_offset_days, checks, talk, evidence_from, signals, origin
             FROM template_items WHERE template_version_id = $2 AND origin != 'built-in'
               AND key NOT IN (SELECT key FROM template_items WHERE template_version_id = $3)",
        )
        .bind(vid)
        .bind(prev_id)
        .bind(vid)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    tracing::info!(version, items = file.items.len(), "seeded checklist template {source}");
    Ok(())
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
