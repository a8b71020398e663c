//! What each check concluded in a run. A check that did not look at anything never passes:
//! it is `not_applicable` (this run's settings make it meaningless, with the reason) or
//! `skipped` (it should have looked but could not, with the reason).
//!
//! Checks record what they covered in a [`Coverage`]; the report turns coverage and findings
//! into one [`CheckOutcome`] per catalogue entry, so every output (text, JSON, JUnit, SARIF,
//! the app) names the same status for the same check.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{catalogue::CATALOGUE, finding::Finding, EnvProfile};

/// A check's verdict in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// It looked and found nothing.
    Passed,
    /// It looked and has findings.
    Failed,
    /// It does not apply to this run (a production-only check on a dev run, no old URLs…).
    NotApplicable,
    /// It applies but could not look (site unreachable, deadline, no browser…).
    Skipped,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Passed => "passed",
            CheckStatus::Failed => "failed",
            CheckStatus::NotApplicable => "not_applicable",
            CheckStatus::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<CheckStatus> {
        Some(match s {
            "passed" => CheckStatus::Passed,
            "failed" => CheckStatus::Failed,
            "not_applicable" => CheckStatus::NotApplicable,
            "skipped" => CheckStatus::Skipped,
            _ => return None,
        })
    }

    /// Whether the check really looked (it passed or failed).
    pub fn ran(self) -> bool {
        matches!(self, CheckStatus::Passed | CheckStatus::Failed)
    }
}

/// One check's outcome: `reason` says why it was not applicable or skipped, and may note
/// the limits of what a passed or failed check saw (a crawl stopped early).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub id: String,
    pub status: CheckStatus,
    #[serde(default)]
    pub reason: String,
}

/// What a check did before its findings are counted.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// It looked; `note` qualifies what it saw (empty when nothing to add).
    Looked(String),
    NotApplicable(String),
    Skipped(String),
}

/// Which checks looked, and why the others did not. Later statements about a check replace
/// earlier ones, so the general rule comes first and the specific exception after it.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    verdicts: BTreeMap<String, Verdict>,
}

impl Coverage {
    pub fn looked(&mut self, ids: &[&str]) -> &mut Self {
        self.set(ids, Verdict::Looked(String::new()))
    }

    /// Looked, with a note on how far (kept on the outcome as its reason).
    pub fn looked_partly(&mut self, ids: &[&str], note: impl Into<String>) -> &mut Self {
        self.set(ids, Verdict::Looked(note.into()))
    }

    pub fn not_applicable(&mut self, ids: &[&str], reason: impl Into<String>) -> &mut Self {
        self.set(ids, Verdict::NotApplicable(reason.into()))
    }

    pub fn skipped(&mut self, ids: &[&str], reason: impl Into<String>) -> &mut Self {
        self.set(ids, Verdict::Skipped(reason.into()))
    }

    fn set(&mut self, ids: &[&str], v: Verdict) -> &mut Self {
        for id in ids {
            self.verdicts.insert((*id).to_string(), v.clone());
        }
        self
    }

    /// Takes every statement of `other` (its statements win).
    pub fn extend(&mut self, other: Coverage) {
        self.verdicts.extend(other.verdicts);
    }

    /// Marks every check with a scope other than `env`'s as not applicable.
    pub fn scope_to(&mut self, env: EnvProfile) -> &mut Self {
        for c in CATALOGUE {
            if !c.scope.includes(env) && self.verdicts.contains_key(c.id) {
                self.verdicts.insert(c.id.to_string(), Verdict::NotApplicable(c.scope.mismatch_reason(env)));
            }
        }
        self
    }

    /// Whether `id` is marked as having looked.
    pub fn is_looked(&self, id: &str) -> bool {
        matches!(self.verdicts.get(id), Some(Verdict::Looked(_)))
    }

    /// Whether anything was said about `id`.
    pub fn covers(&self, id: &str) -> bool {
        self.verdicts.contains_key(id)
    }

    /// One outcome per catalogue entry, in catalogue order. A check with findings failed
    /// whatever else was said of it; a check nothing was said of was `skipped` with
    /// `unsaid` as the reason.
    pub fn outcomes(&self, findings: &[Finding], unsaid: &str) -> Vec<CheckOutcome> {
        let failing = |id: &str| findings.iter().any(|f| f.check == id);
        let mut out: Vec<CheckOutcome> = CATALOGUE
            .iter()
            .map(|c| {
                let (status, reason) = match self.verdicts.get(c.id) {
                    _ if failing(c.id) => (CheckStatus::Failed, self.note(c.id)),
                    Some(Verdict::Looked(note)) => (CheckStatus::Passed, note.clone()),
                    Some(Verdict::NotApplicable(r)) => (CheckStatus::NotApplicable, r.clone()),
                    Some(Verdict::Skipped(r)) => (CheckStatus::Skipped, r.clone()),
                    None => (CheckStatus::Skipped, unsaid.to_string()),
                };
                CheckOutcome { id: c.id.to_string(), status, reason }
            })
            .collect();
        // Findings of ids outside the catalogue (none today) still show as failed checks.
        let mut extra: Vec<&str> = findings.iter().map(|f| f.check.as_str()).filter(|id| crate::find_check(id).is_none()).collect();
        extra.sort();
        extra.dedup();
        out.extend(extra.into_iter().map(|id| CheckOutcome { id: id.to_string(), status: CheckStatus::Failed, reason: String::new() }));
        out
    }

    fn note(&self, id: &str) -> String {
        match self.verdicts.get(id) {
            Some(Verdict::Looked(n)) => n.clone(),
            _ => String::new(),
        }
    }
}

/// Rebuilds a coverage from outcomes (to add a later stage's statements to a report).
impl From<&[CheckOutcome]> for Coverage {
    fn from(outcomes: &[CheckOutcome]) -> Self {
        let mut c = Coverage::default();
        for o in outcomes {
            let v = match o.status {
                CheckStatus::Passed | CheckStatus::Failed => Verdict::Looked(o.reason.clone()),
                CheckStatus::NotApplicable => Verdict::NotApplicable(o.reason.clone()),
                CheckStatus::Skipped => Verdict::Skipped(o.reason.clone()),
            };
            c.verdicts.insert(o.id.clone(), v);
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(outcomes: &[CheckOutcome], id: &str) -> (CheckStatus, String) {
        let o = outcomes.iter().find(|o| o.id == id).unwrap();
        (o.status, o.reason.clone())
    }

    #[test]
    fn findings_fail_looked_checks_pass_and_silence_is_never_a_pass() {
        let mut c = Coverage::default();
        c.looked(&["soft-404", "favicon-missing"]).not_applicable(&["old-url-broken"], "no old URLs configured");
        c.skipped(&["favicon-missing"], "site unreachable");
        let findings = vec![Finding::new("soft-404", "http://x/", "m", "e")];
        let o = c.outcomes(&findings, "not part of this run");
        assert_eq!(o.len(), CATALOGUE.len(), "every catalogue check has an outcome");
        assert_eq!(status(&o, "soft-404").0, CheckStatus::Failed);
        assert_eq!(status(&o, "favicon-missing"), (CheckStatus::Skipped, "site unreachable".into()));
        assert_eq!(status(&o, "old-url-broken"), (CheckStatus::NotApplicable, "no old URLs configured".into()));
        assert_eq!(status(&o, "console-error"), (CheckStatus::Skipped, "not part of this run".into()));
    }

    #[test]
    fn scope_marks_other_environments_checks_not_applicable() {
        let mut c = Coverage::default();
        c.looked(&["analytics-missing", "dev-banner-missing", "broken-link"]).scope_to(EnvProfile::Dev);
        let o = c.outcomes(&[], "");
        assert_eq!(status(&o, "analytics-missing"), (CheckStatus::NotApplicable, "production-only check on a dev run".into()));
        assert_eq!(status(&o, "dev-banner-missing").0, CheckStatus::Passed);
        assert_eq!(status(&o, "broken-link").0, CheckStatus::Passed);
        let mut p = Coverage::default();
        p.looked(&["dev-banner-missing"]).scope_to(EnvProfile::Production);
        assert_eq!(status(&p.outcomes(&[], ""), "dev-banner-missing").1, "dev/staging-only check on a production run");
    }

    #[test]
    fn outcomes_round_trip_through_coverage() {
        let mut c = Coverage::default();
        c.looked_partly(&["broken-link"], "the crawl stopped early").skipped(&["hsts-missing"], "x");
        let o = c.outcomes(&[], "");
        let again = Coverage::from(o.as_slice()).outcomes(&[], "");
        assert_eq!(o, again);
        assert_eq!(CheckStatus::parse("not_applicable"), Some(CheckStatus::NotApplicable));
        assert_eq!(serde_json::to_string(&CheckStatus::NotApplicable).unwrap(), "\"not_applicable\"");
    }
}
