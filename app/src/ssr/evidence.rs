//! Which check results count as evidence for a checklist item.
//!
//! Rules (the README's "Evidence rules" say the same in words):
//! * An item takes its evidence from the environments its `evidence_from` names: production,
//!   dev and staging, or any. For each of them, the latest finished run counts (a run that
//!   could not reach the site is finished too: its checks say "not checked" with the reason).
//! * A pass goes stale when the environment was deployed after the run, or when the run is
//!   older than the project's `evidence_max_age_days`. A failure never goes stale: it stands
//!   until a newer run of that environment says otherwise.
//! * The one-click tick is offered when every named check passed in a fresh run of a fitting
//!   environment and no fitting environment's latest run fails one of them.
//! * A ticked item whose named checks fail in a fitting environment is a regression.

use std::collections::HashMap;

use sqlx::SqlitePool;

use super::{error::AppResult, now};
use crate::model::{CheckEvidence, CheckResult, CheckStatus, ChecklistItem, EvidenceFrom, ItemState};

/// The latest finished run of one environment and every check's outcome in it.
#[derive(Debug, Clone)]
pub struct EnvRun {
    pub environment: String,
    /// The kind the run checked (copied onto the run when it was queued).
    pub env_kind: String,
    pub run_id: i64,
    pub finished_at: i64,
    pub stale: Option<String>,
    pub checks: HashMap<String, CheckResult>,
}

/// Everything a project's checklist items take their evidence from.
#[derive(Debug, Clone, Default)]
pub struct ProjectEvidence {
    /// Every environment's kind, so a missing source can be explained.
    pub env_kinds: Vec<String>,
    /// The latest finished run per environment, in the environments' order.
    pub runs: Vec<EnvRun>,
}

/// Why evidence from a run started at `started_at` and finished at `finished_at` no longer
/// counts for a pass. A deploy while the run was going makes it stale too: part of what it
/// saw is gone.
pub fn staleness(started_at: i64, finished_at: i64, deployed_at: Option<i64>, max_age_days: i64, now: i64) -> Option<String> {
    if deployed_at.is_some_and(|d| d > started_at) {
        Some("deployed after this run".into())
    } else if now - finished_at > max_age_days * 86_400 {
        Some(format!("older than {max_age_days} day{}", if max_age_days == 1 { "" } else { "s" }))
    } else {
        None
    }
}

pub async fn project_evidence(pool: &SqlitePool, project_id: i64) -> AppResult<ProjectEvidence> {
    let max_age: i64 = sqlx::query_scalar("SELECT evidence_max_age_days FROM projects WHERE id = ?").bind(project_id).fetch_optional(pool).await?.unwrap_or(7);
    let env_kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM environments WHERE project_id = ? ORDER BY position, id").bind(project_id).fetch_all(pool).await?;
    let rows: Vec<(String, Option<i64>, i64, String, i64, i64, String, String)> = sqlx::query_as(
        "SELECT e.name, (SELECT MAX(d.at) FROM deploys d WHERE d.environment_id = e.id), r.id, r.env_kind,
                COALESCE(r.started_at, r.finished_at), r.finished_at, r.checks_run, r.checks
         FROM environments e
         JOIN runs r ON r.id = (SELECT r2.id FROM runs r2 WHERE r2.environment_id = e.id AND r2.status IN ('passed', 'failed')
                                AND r2.finished_at IS NOT NULL ORDER BY r2.finished_at DESC, r2.id DESC LIMIT 1)
         WHERE e.project_id = ? ORDER BY e.position, e.id",
    )
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    let t = now();
    let mut runs = Vec::with_capacity(rows.len());
    for (environment, deployed_at, run_id, env_kind, started_at, finished_at, checks_run, outcomes) in rows {
        let counts: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>("SELECT check_id, COUNT(*) FROM findings WHERE run_id = ? GROUP BY check_id")
            .bind(run_id)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
        let checks_run: Vec<String> = serde_json::from_str(&checks_run).unwrap_or_default();
        let checks =
            super::runs::check_results(&outcomes, &checks_run, &|id| counts.get(id).copied().unwrap_or(0)).into_iter().map(|c| (c.id.clone(), c)).collect();
        runs.push(EnvRun { environment, env_kind, run_id, finished_at, stale: staleness(started_at, finished_at, deployed_at, max_age, t), checks });
    }
    Ok(ProjectEvidence { env_kinds, runs })
}

impl ProjectEvidence {
    /// Fills an item's evidence, its tick offer and its regression flag.
    pub fn attach(&self, item: &mut ChecklistItem) {
        item.evidence.clear();
        item.evidence_missing = None;
        item.evidence_passed = false;
        item.regression = false;
        if item.checks.is_empty() {
            return;
        }
        let from = item.evidence_from;
        let fitting: Vec<&EnvRun> = self.runs.iter().filter(|r| from.fits(&r.env_kind)).collect();
        if fitting.is_empty() {
            item.evidence_missing = Some(self.missing(from));
            return;
        }
        let status = |r: &EnvRun, c: &str| r.checks.get(c).map(|x| x.status).unwrap_or(CheckStatus::Skipped);
        for r in &fitting {
            for c in &item.checks {
                let res = r.checks.get(c);
                let status = status(r, c);
                item.evidence.push(CheckEvidence {
                    check: c.clone(),
                    passed: status == CheckStatus::Passed,
                    status,
                    reason: res.map(|x| x.reason.clone()).unwrap_or_else(|| "not recorded in this run".into()),
                    findings: res.map(|x| x.findings).unwrap_or(0),
                    run_id: r.run_id,
                    environment: r.environment.clone(),
                    env_kind: r.env_kind.clone(),
                    finished_at: r.finished_at,
                    stale: r.stale.clone(),
                });
            }
        }
        let any_failed = item.evidence.iter().any(|e| e.status == CheckStatus::Failed);
        let fresh_pass = fitting.iter().any(|r| r.stale.is_none() && item.checks.iter().all(|c| status(r, c) == CheckStatus::Passed));
        item.evidence_passed = fresh_pass && !any_failed;
        item.regression = item.state == ItemState::Done && any_failed;
    }

    /// Why an item has no evidence from `from`.
    fn missing(&self, from: EvidenceFrom) -> String {
        if self.env_kinds.iter().any(|k| from.fits(k)) {
            match from {
                EvidenceFrom::Any => "no finished check run yet".into(),
                _ => format!("no finished check run on {} yet", from.label()),
            }
        } else {
            match from {
                EvidenceFrom::Production => "the project has no production environment".into(),
                EvidenceFrom::PreProduction => "the project has no dev or staging environment".into(),
                EvidenceFrom::Any => "the project has no environments to check".into(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(env: &str, kind: &str, id: i64, stale: Option<&str>, outcomes: &[(&str, CheckStatus)]) -> EnvRun {
        EnvRun {
            environment: env.into(),
            env_kind: kind.into(),
            run_id: id,
            finished_at: 1_000,
            stale: stale.map(String::from),
            checks: outcomes
                .iter()
                .map(|(c, s)| {
                    let reason = if matches!(s, CheckStatus::Skipped | CheckStatus::NotApplicable) { "site unreachable" } else { "" };
                    (c.to_string(), CheckResult { id: c.to_string(), status: *s, reason: reason.into(), title: String::new(), findings: 0 })
                })
                .collect(),
        }
    }

    fn item(from: EvidenceFrom, checks: &[&str], state: ItemState) -> ChecklistItem {
        ChecklistItem {
            id: 1,
            project_id: 1,
            template_key: None,
            phase: "content".into(),
            position: 0,
            title: "T".into(),
            why: String::new(),
            due_offset_days: 0,
            due_label: String::new(),
            due: String::new(),
            overdue: false,
            checks: checks.iter().map(|c| c.to_string()).collect(),
            state,
            na_reason: String::new(),
            assignee_id: None,
            assignee_name: None,
            notes: String::new(),
            version: 1,
            state_changed_at: None,
            state_changed_by: None,
            updated_at: 0,
            updated_by: None,
            evidence_from: from,
            evidence: vec![],
            evidence_missing: None,
            evidence_passed: false,
            regression: false,
        }
    }

    use CheckStatus::*;

    #[test]
    fn only_fitting_environments_supply_evidence() {
        let ev = ProjectEvidence {
            env_kinds: vec!["production".into(), "dev".into()],
            runs: vec![run("production", "production", 1, None, &[("a", Failed)]), run("dev", "dev", 2, None, &[("a", Skipped)])],
        };
        let mut prod = item(EvidenceFrom::Production, &["a"], ItemState::Todo);
        ev.attach(&mut prod);
        assert_eq!(prod.evidence.iter().map(|e| (e.run_id, e.status)).collect::<Vec<_>>(), vec![(1, Failed)]);
        assert!(!prod.evidence_passed);
        let mut dev = item(EvidenceFrom::PreProduction, &["a"], ItemState::Todo);
        ev.attach(&mut dev);
        assert_eq!(dev.evidence.iter().map(|e| (e.run_id, e.status, e.reason.as_str())).collect::<Vec<_>>(), vec![(2, Skipped, "site unreachable")]);
        assert!(!dev.evidence_passed, "a check that did not look never offers the tick");
        let mut any = item(EvidenceFrom::Any, &["a"], ItemState::Done);
        ev.attach(&mut any);
        assert_eq!(any.evidence.len(), 2);
        assert!(any.regression, "ticked, and production fails");
    }

    #[test]
    fn the_tick_needs_a_fresh_pass_and_no_failure_anywhere_fitting() {
        let pass = |id, stale| run("staging", "staging", id, stale, &[("a", Passed), ("b", Passed)]);
        let mut it = item(EvidenceFrom::PreProduction, &["a", "b"], ItemState::Todo);
        ProjectEvidence { env_kinds: vec!["staging".into()], runs: vec![pass(1, None)] }.attach(&mut it);
        assert!(it.evidence_passed);
        ProjectEvidence { env_kinds: vec!["staging".into()], runs: vec![pass(1, Some("deployed after this run"))] }.attach(&mut it);
        assert!(!it.evidence_passed, "a stale pass does not count");
        assert_eq!(it.evidence[0].stale.as_deref(), Some("deployed after this run"));
        // A failure on dev is not cleared by a pass on staging: per environment.
        let ev = ProjectEvidence {
            env_kinds: vec!["dev".into(), "staging".into()],
            runs: vec![run("dev", "dev", 2, Some("older than 7 days"), &[("a", Failed), ("b", Passed)]), pass(3, None)],
        };
        let mut done = item(EvidenceFrom::PreProduction, &["a", "b"], ItemState::Done);
        ev.attach(&mut done);
        assert!(done.regression && !done.evidence_passed, "failures never go stale");
        // One check passing is not enough when another was skipped.
        let mut half = item(EvidenceFrom::Any, &["a", "b"], ItemState::Todo);
        ProjectEvidence { env_kinds: vec!["dev".into()], runs: vec![run("dev", "dev", 4, None, &[("a", Passed), ("b", Skipped)])] }.attach(&mut half);
        assert!(!half.evidence_passed);
        // A check the run did not record is "not checked", never passed.
        let mut unknown = item(EvidenceFrom::Any, &["zzz"], ItemState::Todo);
        ProjectEvidence { env_kinds: vec!["dev".into()], runs: vec![pass(5, None)] }.attach(&mut unknown);
        assert_eq!((unknown.evidence[0].status, unknown.evidence_passed), (Skipped, false));
    }

    #[test]
    fn missing_evidence_says_why() {
        let none = ProjectEvidence { env_kinds: vec!["dev".into()], runs: vec![] };
        let mut it = item(EvidenceFrom::Production, &["a"], ItemState::Todo);
        none.attach(&mut it);
        assert_eq!(it.evidence_missing.as_deref(), Some("the project has no production environment"));
        let mut it = item(EvidenceFrom::PreProduction, &["a"], ItemState::Todo);
        none.attach(&mut it);
        assert_eq!(it.evidence_missing.as_deref(), Some("no finished check run on dev or staging yet"));
        let mut no_checks = item(EvidenceFrom::Production, &[], ItemState::Todo);
        none.attach(&mut no_checks);
        assert_eq!(no_checks.evidence_missing, None);
    }

    #[test]
    fn staleness_by_deploy_and_age() {
        let day = 86_400;
        assert_eq!(staleness(90, 100, None, 7, 100 + 6 * day), None);
        assert_eq!(staleness(90, 100, None, 7, 101 + 7 * day).as_deref(), Some("older than 7 days"));
        assert_eq!(staleness(90, 100, None, 1, 101 + day).as_deref(), Some("older than 1 day"));
        assert_eq!(staleness(90, 100, Some(150), 7, 200).as_deref(), Some("deployed after this run"));
        assert_eq!(staleness(90, 100, Some(95), 7, 200).as_deref(), Some("deployed after this run"), "deployed while it ran");
        assert_eq!(staleness(90, 100, Some(50), 7, 200), None, "a deploy before the run changes nothing");
        assert_eq!(staleness(90, 100, Some(90), 7, 200), None, "deployed the second the run started");
    }
}
