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

use crate::db::Pool;

use super::{error::AppResult, now};
use preflight_model::{signal_title, CheckEvidence, CheckResult, CheckStatus, ChecklistItem, EvidenceFrom, ItemState, SignalEvidence};

/// The latest finished run of one environment and every check's outcome in it.
#[derive(Debug, Clone)]
pub struct EnvRun {
    pub environment: String,
    /// The kind the run checked (copied onto the run when it was queued).
    pub env_kind: String,
    pub run_id: i64,
    pub finished_at: i64,
    pub stale: Option<String>,
    /// The deploy the run checked, short (`abc1234`).
    pub after_deploy: Option<String>,
    pub checks: HashMap<String, CheckResult>,
}

/// Everything a project's checklist items take their evidence from.
#[derive(Debug, Clone, Default)]
pub struct ProjectEvidence {
    /// Every environment's kind, so a missing source can be explained.
    pub env_kinds: Vec<String>,
    /// The latest finished run per environment, in the environments' order.
    pub runs: Vec<EnvRun>,
    /// What the app's own data says (for signals).
    pub facts: Facts,
}

/// The app's own data behind the signals.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Per run: (screenshots, approved, changes requested) — by each screenshot's latest review.
    pub shots: HashMap<i64, (i64, i64, i64)>,
    pub training_visible: i64,
    /// The latest acknowledgement of the training notes: who and when.
    pub training_ack: Option<(String, i64)>,
    pub scope_items: i64,
    pub undecided_changes: i64,
    /// When a retrospective with content was last saved.
    pub retro_saved_at: Option<i64>,
    pub promoted_actions: i64,
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

/// Every environment of a project (kind, name, last deploy) with the project's evidence age
/// limit and the environment's latest finished run, if any (id, kind, started, finished, the
/// ids that looked, every check's outcome as JSON, the deploy it checked: id and revision).
type EnvRow =
    (String, i64, String, Option<i64>, Option<i64>, Option<String>, Option<i64>, Option<i64>, Option<String>, Option<String>, Option<i64>, Option<String>);

pub async fn project_evidence(pool: &Pool, project_id: i64) -> AppResult<ProjectEvidence> {
    evidence(pool, project_id, true).await
}

/// The accessibility checks of a run as one (`a11y-*`, see
/// [`preflight_engine::catalogue::A11Y_FAMILY`]): failed when a rule failed, passed when the
/// rules looked and none failed, else not applicable or skipped with the rules' reason. `None`
/// for a run from before the accessibility checks.
fn a11y_family(checks: &HashMap<String, CheckResult>) -> Option<CheckResult> {
    let mut rules: Vec<&CheckResult> = checks.values().filter(|c| c.id.starts_with("a11y-") && c.id != "a11y-*").collect();
    if rules.is_empty() {
        return None;
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    let with = |s: CheckStatus| rules.iter().filter(|c| c.status == s).collect::<Vec<_>>();
    let (failed, passed) = (with(CheckStatus::Failed), with(CheckStatus::Passed));
    let (status, reason) = if !failed.is_empty() {
        let ids: Vec<&str> = failed.iter().take(5).map(|c| c.id.as_str()).collect();
        let more = if failed.len() > ids.len() { format!(" and {} more", failed.len() - ids.len()) } else { String::new() };
        (CheckStatus::Failed, format!("{} rule(s) failed: {}{more}", failed.len(), ids.join(", ")))
    } else if !passed.is_empty() {
        (CheckStatus::Passed, passed.iter().map(|c| c.reason.as_str()).find(|r| !r.is_empty()).unwrap_or_default().to_string())
    } else if let Some(skipped) = with(CheckStatus::Skipped).first() {
        (CheckStatus::Skipped, skipped.reason.clone())
    } else {
        (CheckStatus::NotApplicable, rules[0].reason.clone())
    };
    Some(CheckResult {
        id: "a11y-*".into(),
        status,
        reason,
        title: preflight_engine::catalogue::A11Y_FAMILY.title.to_string(),
        findings: failed.iter().map(|c| c.findings).sum(),
    })
}

/// The evidence one item needs: none when it names no checks and no signals, the app's own
/// data (facts) only when it names signals. A tick answers with its item, so this is on the
/// tick path: an item without signals costs one read, plus one per environment with a run.
pub async fn item_evidence(pool: &Pool, project_id: i64, item: &ChecklistItem) -> AppResult<Option<ProjectEvidence>> {
    if item.checks.is_empty() && item.signals.is_empty() {
        return Ok(None);
    }
    evidence(pool, project_id, !item.signals.is_empty()).await.map(Some)
}

async fn evidence(pool: &Pool, project_id: i64, with_facts: bool) -> AppResult<ProjectEvidence> {
    // One round trip for the environments, the age limit and each one's latest run.
    let envs: Vec<EnvRow> = sqlx::query_as(
        "SELECT e.kind, p.evidence_max_age_days, e.name, (SELECT MAX(d.at) FROM deploys d WHERE d.environment_id = e.id),
                r.id, r.env_kind, COALESCE(r.started_at, r.finished_at), r.finished_at, r.checks_run, r.checks, r.deploy_id, rd.revision
         FROM projects p
         JOIN environments e ON e.project_id = p.id
         LEFT JOIN runs r ON r.id = (SELECT r2.id FROM runs r2 WHERE r2.environment_id = e.id AND r2.status IN ('passed', 'failed')
                                     AND r2.finished_at IS NOT NULL ORDER BY r2.finished_at DESC, r2.id DESC LIMIT 1)
         LEFT JOIN deploys rd ON rd.id = r.deploy_id
         WHERE p.id = $1 ORDER BY e.position, e.id",
    )
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    let env_kinds: Vec<String> = envs.iter().map(|e| e.0.clone()).collect();
    let rows =
        envs.into_iter().filter_map(|(_, max_age, name, deployed_at, run_id, env_kind, started_at, finished_at, checks_run, outcomes, deploy_id, revision)| {
            let after_deploy = deploy_id.zip(revision).map(|(id, r)| preflight_model::short_revision(id, &r));
            Some((max_age, name, deployed_at, run_id?, env_kind?, started_at?, finished_at?, checks_run?, outcomes?, after_deploy))
        });
    let t = now();
    let mut runs = Vec::new();
    for (max_age, environment, deployed_at, run_id, env_kind, started_at, finished_at, checks_run, outcomes, after_deploy) in rows {
        let counts: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>("SELECT check_id, COUNT(*) FROM findings WHERE run_id = $1 GROUP BY check_id")
            .bind(run_id)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
        let checks_run: Vec<String> = serde_json::from_str(&checks_run).unwrap_or_default();
        let mut checks: HashMap<String, CheckResult> =
            super::runs::check_results(&outcomes, &checks_run, &|id| counts.get(id).copied().unwrap_or(0)).into_iter().map(|c| (c.id.clone(), c)).collect();
        if let Some(family) = a11y_family(&checks) {
            checks.insert(family.id.clone(), family);
        }
        let stale = staleness(started_at, finished_at, deployed_at, max_age, t);
        runs.push(EnvRun { environment, env_kind, run_id, finished_at, stale, after_deploy, checks });
    }
    let mut facts = Facts::default();
    if !with_facts {
        return Ok(ProjectEvidence { env_kinds, runs, facts });
    }
    for r in &runs {
        let row: (i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*),
                    COUNT(*) FILTER (WHERE (SELECT v.verdict FROM reviews v WHERE v.screenshot_id = s.id ORDER BY v.at DESC, v.id DESC LIMIT 1) = 'approved'),
                    COUNT(*) FILTER (WHERE (SELECT v.verdict FROM reviews v WHERE v.screenshot_id = s.id ORDER BY v.at DESC, v.id DESC LIMIT 1) = 'changes_requested')
             FROM screenshots s WHERE s.run_id = $1",
        )
        .bind(r.run_id)
        .fetch_one(pool)
        .await?;
        facts.shots.insert(r.run_id, row);
    }
    // One round trip for the rest of the facts.
    type FactsRow = (i64, Option<String>, Option<i64>, i64, i64, Option<i64>, i64);
    let row: FactsRow = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM training_notes WHERE project_id = $1 AND client_visible = 1),
                (SELECT name FROM training_acks WHERE project_id = $1 ORDER BY at DESC, id DESC LIMIT 1),
                (SELECT at FROM training_acks WHERE project_id = $1 ORDER BY at DESC, id DESC LIMIT 1),
                (SELECT COUNT(*) FROM scope_items WHERE project_id = $1 AND deleted_at IS NULL),
                (SELECT COUNT(*) FROM change_requests WHERE project_id = $1 AND status = 'proposed'),
                (SELECT updated_at FROM retrospectives WHERE project_id = $1 AND (trim(went_well) != '' OR trim(smoother) != '')),
                (SELECT COUNT(*) FROM retro_actions WHERE project_id = $1 AND promoted_at IS NOT NULL)",
    )
    .bind(project_id)
    .fetch_one(pool)
    .await?;
    let (training_visible, ack_name, ack_at, scope_items, undecided_changes, retro_saved_at, promoted_actions) = row;
    facts.training_visible = training_visible;
    facts.training_ack = ack_name.zip(ack_at);
    facts.scope_items = scope_items;
    facts.undecided_changes = undecided_changes;
    facts.retro_saved_at = retro_saved_at;
    facts.promoted_actions = promoted_actions;
    Ok(ProjectEvidence { env_kinds, runs, facts })
}

impl EnvRun {
    /// The run reached its site (the `unreachable` check did not fail).
    pub fn reached(&self) -> bool {
        self.checks.get("unreachable").is_none_or(|c| c.status != CheckStatus::Failed)
    }
}

impl ProjectEvidence {
    /// Fills an item's evidence, its tick offer and its regression flag.
    pub fn attach(&self, item: &mut ChecklistItem) {
        item.evidence.clear();
        item.signal_evidence.clear();
        item.evidence_missing = None;
        item.evidence_passed = false;
        item.regression = false;
        let from = item.evidence_from;
        let fitting: Vec<&EnvRun> = self.runs.iter().filter(|r| from.fits(&r.env_kind)).collect();
        item.signal_evidence = item.signals.iter().flat_map(|s| self.signal(s, from, &fitting)).collect();
        let signals_ok = item.signals.iter().all(|s| {
            let ev: Vec<&SignalEvidence> = item.signal_evidence.iter().filter(|e| &e.signal == s).collect();
            ev.iter().any(|e| e.status == CheckStatus::Passed && e.stale.is_none()) && !ev.iter().any(|e| e.status == CheckStatus::Failed)
        });
        let signal_failed = item.signal_evidence.iter().any(|e| e.status == CheckStatus::Failed);
        if item.checks.is_empty() {
            item.evidence_passed = !item.signals.is_empty() && signals_ok;
            item.regression = item.state == ItemState::Done && signal_failed;
            return;
        }
        if fitting.is_empty() {
            item.evidence_missing = Some(self.missing(from));
            item.regression = item.state == ItemState::Done && signal_failed;
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
                    after_deploy: r.after_deploy.clone(),
                });
            }
        }
        let any_failed = item.evidence.iter().any(|e| e.status == CheckStatus::Failed);
        let fresh_pass = fitting.iter().any(|r| r.stale.is_none() && item.checks.iter().all(|c| status(r, c) == CheckStatus::Passed));
        item.evidence_passed = fresh_pass && !any_failed && signals_ok;
        item.regression = item.state == ItemState::Done && (any_failed || signal_failed);
    }

    /// One signal's evidence (one per fitting run for `screenshots-approved`).
    fn signal(&self, id: &str, from: EvidenceFrom, fitting: &[&EnvRun]) -> Vec<SignalEvidence> {
        let f = &self.facts;
        let one = |status: CheckStatus, detail: String| SignalEvidence {
            signal: id.to_string(),
            title: signal_title(id).unwrap_or(id).to_string(),
            status,
            detail,
            run_id: None,
            environment: None,
            stale: None,
        };
        use CheckStatus::*;
        match id {
            "screenshots-approved" if fitting.is_empty() => vec![one(Skipped, self.missing(from))],
            "screenshots-approved" => fitting
                .iter()
                .map(|r| {
                    let (total, approved, changes) = f.shots.get(&r.run_id).copied().unwrap_or_default();
                    let (status, detail) = if total == 0 {
                        (Skipped, format!("run #{} took no screenshots", r.run_id))
                    } else if changes > 0 {
                        (Failed, format!("the client asked for changes on {changes} of {total} screenshots"))
                    } else if approved == total {
                        (Passed, format!("all {total} screenshots approved"))
                    } else {
                        (Skipped, format!("{approved} of {total} screenshots approved; the rest are not reviewed yet"))
                    };
                    SignalEvidence { run_id: Some(r.run_id), environment: Some(r.environment.clone()), stale: r.stale.clone(), ..one(status, detail) }
                })
                .collect(),
            "training-notes-shared" if f.training_visible > 0 => vec![one(Passed, format!("{} training note(s) visible to the client", f.training_visible))],
            "training-notes-shared" => vec![one(Failed, "no training note is visible to the client".into())],
            "training-acknowledged" => vec![match (&f.training_ack, f.training_visible) {
                (Some((who, at)), _) => one(Passed, format!("acknowledged by {who} on {}", preflight_model::format_date_ts(*at))),
                (None, 0) => one(Skipped, "no training note is visible to the client yet".into()),
                (None, _) => one(Failed, "the client has not acknowledged the training notes on the review page".into()),
            }],
            "scope-agreed" if f.scope_items == 0 => vec![one(Failed, "the scope register is empty".into())],
            "scope-agreed" if f.undecided_changes > 0 => vec![one(Failed, format!("{} change request(s) not decided", f.undecided_changes))],
            "scope-agreed" => vec![one(Passed, format!("{} scope item(s), every change request decided", f.scope_items))],
            "dev-environment-reached" => {
                let pre: Vec<&EnvRun> = self.runs.iter().filter(|r| EvidenceFrom::PreProduction.fits(&r.env_kind)).collect();
                let (status, detail, run) = if !self.env_kinds.iter().any(|k| EvidenceFrom::PreProduction.fits(k)) {
                    (Failed, "the project has no dev or staging environment".to_string(), None)
                } else if let Some(r) = pre.iter().find(|r| r.reached()) {
                    (Passed, format!("run #{} reached {}", r.run_id, r.environment), Some(*r))
                } else if let Some(r) = pre.first() {
                    (Failed, format!("the latest run of {} could not reach it", r.environment), Some(*r))
                } else {
                    (Skipped, "no finished check run on dev or staging yet".to_string(), None)
                };
                vec![SignalEvidence {
                    run_id: run.map(|r| r.run_id),
                    environment: run.map(|r| r.environment.clone()),
                    stale: run.and_then(|r| r.stale.clone()),
                    ..one(status, detail)
                }]
            }
            "retrospective-saved" => vec![match f.retro_saved_at {
                Some(at) => one(Passed, format!("saved on {}", preflight_model::format_date_ts(at))),
                None => one(Failed, "no retrospective saved yet".into()),
            }],
            "retro-action-promoted" if f.promoted_actions > 0 => {
                vec![one(Passed, format!("{} action(s) promoted into the checklist template", f.promoted_actions))]
            }
            "retro-action-promoted" => vec![one(Failed, "no retrospective action promoted into the template yet".into())],
            _ => vec![one(Skipped, "Preflight does not know this signal".into())],
        }
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
            after_deploy: None,
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
            signals: vec![],
            signal_evidence: vec![],
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
            ..Default::default()
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
        ProjectEvidence { env_kinds: vec!["staging".into()], runs: vec![pass(1, None)], ..Default::default() }.attach(&mut it);
        assert!(it.evidence_passed);
        ProjectEvidence { env_kinds: vec!["staging".into()], runs: vec![pass(1, Some("deployed after this run"))], ..Default::default() }.attach(&mut it);
        assert!(!it.evidence_passed, "a stale pass does not count");
        assert_eq!(it.evidence[0].stale.as_deref(), Some("deployed after this run"));
        // A failure on dev is not cleared by a pass on staging: per environment.
        let ev = ProjectEvidence {
            env_kinds: vec!["dev".into(), "staging".into()],
            runs: vec![run("dev", "dev", 2, Some("older than 7 days"), &[("a", Failed), ("b", Passed)]), pass(3, None)],
            ..Default::default()
        };
        let mut done = item(EvidenceFrom::PreProduction, &["a", "b"], ItemState::Done);
        ev.attach(&mut done);
        assert!(done.regression && !done.evidence_passed, "failures never go stale");
        // One check passing is not enough when another was skipped.
        let mut half = item(EvidenceFrom::Any, &["a", "b"], ItemState::Todo);
        ProjectEvidence { env_kinds: vec!["dev".into()], runs: vec![run("dev", "dev", 4, None, &[("a", Passed), ("b", Skipped)])], ..Default::default() }
            .attach(&mut half);
        assert!(!half.evidence_passed);
        // A check the run did not record is "not checked", never passed.
        let mut unknown = item(EvidenceFrom::Any, &["zzz"], ItemState::Todo);
        ProjectEvidence { env_kinds: vec!["dev".into()], runs: vec![pass(5, None)], ..Default::default() }.attach(&mut unknown);
        assert_eq!((unknown.evidence[0].status, unknown.evidence_passed), (Skipped, false));
    }

    #[test]
    fn missing_evidence_says_why() {
        let none = ProjectEvidence { env_kinds: vec!["dev".into()], runs: vec![], ..Default::default() };
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
    fn the_accessibility_family_fails_on_any_rule_and_passes_only_when_they_looked() {
        let r = |id: &str, status: CheckStatus, findings: i64, reason: &str| {
            (id.to_string(), CheckResult { id: id.into(), status, reason: reason.into(), title: String::new(), findings })
        };
        let mut run: HashMap<String, CheckResult> = [
            r("a11y-image-alt", CheckStatus::Passed, 0, ""),
            r("a11y-color-contrast", CheckStatus::NotApplicable, 0, "a WCAG level AA rule; this project asks for level A"),
            r("console-error", CheckStatus::Failed, 3, ""),
        ]
        .into_iter()
        .collect();
        assert_eq!(a11y_family(&run).map(|f| f.status), Some(CheckStatus::Passed), "left-out rules and other checks do not count");
        run.extend([r("a11y-label", CheckStatus::Failed, 2, ""), r("a11y-link-name", CheckStatus::Failed, 1, "")]);
        let f = a11y_family(&run).unwrap();
        assert_eq!((f.status, f.findings, f.reason.as_str()), (CheckStatus::Failed, 3, "2 rule(s) failed: a11y-label, a11y-link-name"));
        let skipped: HashMap<String, CheckResult> = [r("a11y-image-alt", CheckStatus::Skipped, 0, "site unreachable")].into_iter().collect();
        assert_eq!(a11y_family(&skipped).map(|f| (f.status, f.reason)), Some((CheckStatus::Skipped, "site unreachable".into())));
        assert!(a11y_family(&HashMap::new()).is_none(), "a run from before the accessibility checks");
    }

    #[test]
    fn signals_follow_the_same_rules_as_checks() {
        let facts = Facts { shots: [(1, (4, 4, 0)), (2, (4, 1, 1))].into_iter().collect(), scope_items: 3, undecided_changes: 1, ..Default::default() };
        let ev = ProjectEvidence {
            env_kinds: vec!["staging".into(), "production".into()],
            runs: vec![run("staging", "staging", 1, None, &[]), run("production", "production", 2, None, &[])],
            facts,
        };
        let mut content = item(EvidenceFrom::PreProduction, &[], ItemState::Todo);
        content.signals = vec!["screenshots-approved".into()];
        ev.attach(&mut content);
        assert_eq!((content.signal_evidence.len(), content.signal_evidence[0].status), (1, Passed), "{:?}", content.signal_evidence);
        assert_eq!(content.signal_evidence[0].detail, "all 4 screenshots approved");
        assert!(content.evidence_passed);
        let mut any = item(EvidenceFrom::Any, &[], ItemState::Done);
        any.signals = vec!["screenshots-approved".into()];
        ev.attach(&mut any);
        assert!(!any.evidence_passed && any.regression, "production has a change request: {:?}", any.signal_evidence);
        let mut scope = item(EvidenceFrom::Any, &[], ItemState::Todo);
        scope.signals = vec!["scope-agreed".into(), "retrospective-saved".into()];
        ev.attach(&mut scope);
        let details: Vec<(CheckStatus, &str)> = scope.signal_evidence.iter().map(|e| (e.status, e.detail.as_str())).collect();
        assert_eq!(details, vec![(Failed, "1 change request(s) not decided"), (Failed, "no retrospective saved yet")]);
        assert!(!scope.evidence_passed);
        // A dev site that is down is no dev site that works.
        let down = ProjectEvidence { env_kinds: vec!["dev".into()], runs: vec![run("dev", "dev", 3, None, &[("unreachable", Failed)])], ..Default::default() };
        let mut dev = item(EvidenceFrom::PreProduction, &[], ItemState::Todo);
        dev.signals = vec!["dev-environment-reached".into()];
        down.attach(&mut dev);
        assert_eq!((dev.signal_evidence[0].status, dev.signal_evidence[0].detail.as_str()), (Failed, "the latest run of dev could not reach it"));
        // A stale pass does not offer the tick.
        let stale = ProjectEvidence {
            env_kinds: vec!["staging".into()],
            runs: vec![run("staging", "staging", 1, Some("older than 7 days"), &[])],
            facts: Facts { shots: [(1, (2, 2, 0))].into_iter().collect(), ..Default::default() },
        };
        stale.attach(&mut content);
        assert!(!content.evidence_passed);
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
