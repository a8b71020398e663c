//! A run's report and its output formats: text for people, JSON, JUnit XML and SARIF 2.1.0
//! (rule ids are the check ids).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    catalogue::find_check,
    config::EnvProfile,
    finding::Finding,
    outcome::{CheckOutcome, CheckStatus, Coverage},
    Severity,
};

/// A screenshot taken by the browser checks (filled in by the browser part of a run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screenshot {
    pub url: String,
    pub viewport: String,
    pub path: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub target: String,
    /// The URL after following the target's redirects.
    pub final_url: String,
    pub env: EnvProfile,
    /// Unix seconds.
    pub started_at: i64,
    pub duration_ms: u64,
    /// Whether the start URL answered at all (nothing else is judged when it did not).
    #[serde(default = "yes")]
    pub reachable: bool,
    pub pages_crawled: usize,
    pub assets_checked: usize,
    /// The check ids that really looked (passed or failed).
    pub checks_run: Vec<String>,
    /// Every check's outcome in this run: passed, failed, not applicable or skipped, with
    /// the reason.
    #[serde(default)]
    pub checks: Vec<CheckOutcome>,
    pub findings: Vec<Finding>,
    /// HTML pages the crawl found (these are what the browser checks look at).
    #[serde(default)]
    pub pages: Vec<String>,
    #[serde(default)]
    pub screenshots: Vec<Screenshot>,
}

impl Report {
    /// Settles every check's status from `coverage` and the findings.
    pub fn with_coverage(mut self, coverage: Coverage) -> Report {
        self.settle(coverage);
        self
    }

    /// Adds a later stage's statements (the browser checks) and settles again.
    pub fn add_coverage(&mut self, more: Coverage) {
        let mut coverage = Coverage::from(self.checks.as_slice());
        coverage.extend(more);
        self.settle(coverage);
    }

    fn settle(&mut self, coverage: Coverage) {
        self.checks = coverage.outcomes(&self.findings, crate::BROWSER_NOT_RUN);
        self.checks_run = self.checks.iter().filter(|c| c.status.ran()).map(|c| c.id.clone()).collect();
    }

    /// The outcome of one check.
    pub fn check(&self, id: &str) -> Option<&CheckOutcome> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// How many checks ended with `status`.
    pub fn count_status(&self, status: CheckStatus) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    pub fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }

    /// Whether any finding is at or above `threshold`.
    pub fn fails(&self, threshold: Option<Severity>) -> bool {
        threshold.is_some_and(|t| self.findings.iter().any(|f| f.severity >= t))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serialises")
    }

    /// Findings grouped by check, most severe first.
    fn grouped(&self) -> Vec<(&str, Vec<&Finding>)> {
        let mut groups: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for f in &self.findings {
            groups.entry(f.check.as_str()).or_default().push(f);
        }
        let mut v: Vec<_> = groups.into_iter().collect();
        v.sort_by(|a, b| {
            let sa = a.1.iter().map(|f| f.severity).max();
            let sb = b.1.iter().map(|f| f.severity).max();
            sb.cmp(&sa).then(a.0.cmp(b.0))
        });
        v
    }

    /// Text for people. `color` adds ANSI colours (for terminals).
    pub fn to_text(&self, color: bool) -> String {
        let paint = |code: &str, s: &str| {
            if color {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s.to_string()
            }
        };
        let sev = |s: Severity| match s {
            Severity::Error => paint("1;31", "error"),
            Severity::Warning => paint("1;33", "warning"),
            Severity::Info => paint("36", "info"),
        };
        let mut out = String::new();
        out.push_str(&paint("1", &format!("Preflight check of {} ({})", self.target, self.env.as_str())));
        out.push('\n');
        if self.final_url != self.target {
            out.push_str(&format!("  redirects to {}\n", self.final_url));
        }
        out.push_str(&format!("  {} page(s) and {} asset(s) in {:.1} s\n\n", self.pages_crawled, self.assets_checked, self.duration_ms as f64 / 1000.0));
        for (check, findings) in self.grouped() {
            let title = crate::catalogue::problem_title(check);
            out.push_str(&format!("{} {} — {}\n", sev(findings.iter().map(|f| f.severity).max().unwrap_or(Severity::Info)), paint("1", title), check));
            for f in findings.iter().take(25) {
                out.push_str(&format!("  • {}\n    {}\n", f.message, paint("2", &f.url)));
                if !f.evidence.is_empty() {
                    out.push_str(&format!("    {}\n", paint("2", &format!("evidence: {}", f.evidence))));
                }
            }
            if findings.len() > 25 {
                out.push_str(&format!("  … and {} more\n", findings.len() - 25));
            }
            if let Some(a) = findings.first().map(|f| &f.advice).filter(|a| !a.is_empty()) {
                out.push_str(&format!("    {}\n", paint("3", &format!("advice: \"{a}\""))));
            }
            out.push('\n');
        }
        for s in &self.screenshots {
            out.push_str(&format!("screenshot {} @ {} ({}×{}): {}\n", s.url, s.viewport, s.width, s.height, s.path));
        }
        let skipped: Vec<&CheckOutcome> = self.checks.iter().filter(|c| c.status == CheckStatus::Skipped && c.reason != crate::BROWSER_NOT_RUN).collect();
        if !skipped.is_empty() {
            out.push_str(&paint("1", "Not checked"));
            out.push_str(" (these checks could not look, so they neither passed nor failed)\n");
            for c in skipped {
                out.push_str(&format!("  {} — {}\n", c.id, c.reason));
            }
            out.push('\n');
        }
        out.push_str(&format!(
            "{} error(s), {} warning(s), {} info; checks: {} passed, {} failed, {} not applicable, {} skipped\n",
            self.count(Severity::Error),
            self.count(Severity::Warning),
            self.count(Severity::Info),
            self.count_status(CheckStatus::Passed),
            self.count_status(CheckStatus::Failed),
            self.count_status(CheckStatus::NotApplicable),
            self.count_status(CheckStatus::Skipped),
        ));
        out
    }

    /// JUnit XML: one test case per check; findings are its failures, and checks that did not
    /// look (not applicable, skipped) are `<skipped>` with the reason.
    pub fn to_junit(&self) -> String {
        let mut cases = String::new();
        let (mut failures, mut skipped) = (0, 0);
        for outcome in &self.checks {
            let check = &outcome.id;
            let fs: Vec<&Finding> = self.findings.iter().filter(|f| &f.check == check).collect();
            let title = crate::catalogue::problem_title(check);
            cases.push_str(&format!("    <testcase classname=\"preflight.{}\" name=\"{}\" time=\"0\">\n", xml(self.env.as_str()), xml(check)));
            match outcome.status {
                CheckStatus::Failed => {
                    failures += 1;
                    let body: Vec<String> = fs.iter().map(|f| format!("[{}] {} — {} ({})", f.severity.as_str(), f.url, f.message, f.evidence)).collect();
                    cases.push_str(&format!(
                        "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                        xml(&format!("{title}: {} finding(s)", fs.len())),
                        xml(fs.iter().map(|f| f.severity).max().unwrap_or(Severity::Info).as_str()),
                        xml(&body.join("\n"))
                    ));
                }
                CheckStatus::NotApplicable | CheckStatus::Skipped => {
                    skipped += 1;
                    let kind = if outcome.status == CheckStatus::Skipped { "skipped" } else { "not applicable" };
                    cases.push_str(&format!("      <skipped message=\"{}\"/>\n", xml(&format!("{kind}: {}", outcome.reason))));
                }
                CheckStatus::Passed => {}
            }
            cases.push_str("    </testcase>\n");
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"preflight\" tests=\"{n}\" failures=\"{failures}\" errors=\"0\" time=\"{t:.3}\">\n  <testsuite name=\"{target}\" tests=\"{n}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{t:.3}\" timestamp=\"{ts}\">\n{cases}  </testsuite>\n</testsuites>\n",
            n = self.checks.len(),
            t = self.duration_ms as f64 / 1000.0,
            target = xml(&self.target),
            ts = iso_timestamp(self.started_at),
        )
    }

    /// SARIF 2.1.0 for code-scanning dashboards; rule ids are the check ids. Findings are
    /// `fail` results; checks that passed are `pass` results and checks that did not apply
    /// `notApplicable` ones (level `none`); skipped checks are tool notifications naming the
    /// rule and the reason, since the tool could not evaluate them.
    pub fn to_sarif(&self) -> String {
        let rule_ids: Vec<&str> = self.checks.iter().map(|c| c.id.as_str()).collect();
        let rule_index = |id: &str| rule_ids.iter().position(|r| *r == id).unwrap_or(0);
        let rules: Vec<serde_json::Value> = rule_ids
            .iter()
            .map(|id| {
                let info = find_check(id);
                serde_json::json!({
                    "id": id,
                    "name": id,
                    "shortDescription": {"text": info.map(|c| c.title).unwrap_or(id)},
                    "help": {"text": info.map(|c| format!("Launch advice: \"{}\"", c.advice)).unwrap_or_default()},
                    "defaultConfiguration": {"level": sarif_level(info.map(|c| c.severity).unwrap_or(Severity::Warning))},
                })
            })
            .collect();
        let mut results: Vec<serde_json::Value> = self
            .findings
            .iter()
            .map(|f| {
                serde_json::json!({
                    "ruleId": f.check,
                    "ruleIndex": rule_index(&f.check),
                    "kind": "fail",
                    "level": sarif_level(f.severity),
                    "message": {"text": if f.evidence.is_empty() { f.message.clone() } else { format!("{} Evidence: {}", f.message, f.evidence) }},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.url}}}],
                })
            })
            .collect();
        let target = serde_json::json!([{"physicalLocation": {"artifactLocation": {"uri": self.final_url}}}]);
        for c in &self.checks {
            let (kind, text) = match c.status {
                CheckStatus::Passed => ("pass", if c.reason.is_empty() { "Passed.".to_string() } else { format!("Passed ({}).", c.reason) }),
                CheckStatus::NotApplicable => ("notApplicable", format!("Not applicable: {}.", c.reason)),
                _ => continue,
            };
            results.push(serde_json::json!({
                "ruleId": c.id,
                "ruleIndex": rule_index(&c.id),
                "kind": kind,
                "level": "none",
                "message": {"text": text},
                "locations": target,
            }));
        }
        let notifications: Vec<serde_json::Value> = self
            .checks
            .iter()
            .filter(|c| c.status == CheckStatus::Skipped)
            .map(|c| {
                serde_json::json!({
                    "level": "note",
                    "message": {"text": format!("{} was skipped: {}", c.id, c.reason)},
                    "associatedRule": {"id": c.id, "index": rule_index(&c.id)},
                })
            })
            .collect();
        let doc = serde_json::json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "Preflight",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }},
                "invocations": [{"executionSuccessful": true, "toolExecutionNotifications": notifications}],
                "results": results,
            }],
        });
        serde_json::to_string_pretty(&doc).expect("SARIF serialises")
    }
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC) of unix seconds, as JUnit's `timestamp` wants it.
fn iso_timestamp(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]")).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00".into())
}

fn yes() -> bool {
    true
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn xml(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOGUE_LEN: usize = crate::CATALOGUE.len();

    fn report() -> Report {
        Report {
            target: "http://127.0.0.1:1/".into(),
            final_url: "http://127.0.0.1:1/".into(),
            env: EnvProfile::Production,
            started_at: 0,
            duration_ms: 1200,
            pages_crawled: 3,
            assets_checked: 2,
            reachable: true,
            checks_run: vec![],
            checks: vec![],
            findings: vec![Finding::new("soft-404", "http://127.0.0.1:1/x", "A <missing> page & co", "HTTP 200")],
            pages: vec![],
            screenshots: vec![],
        }
        .with_coverage({
            let mut c = Coverage::default();
            c.looked(&["soft-404", "favicon-missing"]).not_applicable(&["old-url-broken"], "no old URLs configured");
            c.skipped(&["hsts-missing"], "site <unreachable>");
            c
        })
    }

    #[test]
    fn text_groups_and_summarises() {
        let t = report().to_text(false);
        assert!(t.contains("soft-404") && t.contains("checks: 1 passed, 1 failed, 1 not applicable") && !t.contains('\x1b'), "{t}");
        assert!(t.contains("Not checked") && t.contains("hsts-missing — site <unreachable>"), "{t}");
        assert!(report().to_text(true).contains("\x1b[1;33m"));
    }

    #[test]
    fn junit_escapes_and_counts() {
        let x = report().to_junit();
        let n = CATALOGUE_LEN;
        assert!(x.contains(&format!("tests=\"{n}\" failures=\"1\" errors=\"0\" skipped=\"{}\"", n - 2)), "{x}");
        assert!(x.contains("A &lt;missing&gt; page &amp; co"));
        assert!(x.contains("<skipped message=\"not applicable: no old URLs configured\"/>"));
        assert!(x.contains("<skipped message=\"skipped: site &lt;unreachable&gt;\"/>"));
    }

    #[test]
    fn sarif_has_the_required_fields() {
        let v: serde_json::Value = serde_json::from_str(&report().to_sarif()).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "Preflight");
        assert_eq!(run["results"][0]["ruleId"], "soft-404");
        assert_eq!(run["results"][0]["kind"], "fail");
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), CATALOGUE_LEN, "every check is a rule");
        assert!(run["results"][0]["message"]["text"].is_string());
        let of = |id: &str| run["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == id && r["kind"] != "fail").cloned();
        assert_eq!(of("favicon-missing").unwrap()["kind"], "pass");
        assert_eq!(of("old-url-broken").unwrap()["kind"], "notApplicable");
        assert_eq!(of("old-url-broken").unwrap()["level"], "none");
        assert!(of("hsts-missing").is_none(), "skipped checks are not results");
        let notes = run["invocations"][0]["toolExecutionNotifications"].as_array().unwrap();
        let hsts = notes.iter().find(|n| n["associatedRule"]["id"] == "hsts-missing").unwrap();
        assert_eq!(rules[hsts["associatedRule"]["index"].as_u64().unwrap() as usize]["id"], "hsts-missing");
    }
}
