//! A run's report and its output formats: text for people, JSON, JUnit XML and SARIF 2.1.0
//! (rule ids are the check ids).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{catalogue::find_check, config::EnvProfile, finding::Finding, Severity};

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
    pub pages_crawled: usize,
    pub assets_checked: usize,
    /// The check ids that were evaluated: those without findings passed.
    pub checks_run: Vec<String>,
    pub findings: Vec<Finding>,
    /// HTML pages the crawl found (these are what the browser checks look at).
    #[serde(default)]
    pub pages: Vec<String>,
    #[serde(default)]
    pub screenshots: Vec<Screenshot>,
}

impl Report {
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
        let paint = |code: &str, s: &str| if color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() };
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
            let title = find_check(check).map(|c| c.title).unwrap_or("");
            out.push_str(&format!("{} {} — {}\n", sev(findings.iter().map(|f| f.severity).max().unwrap_or(Severity::Info)), paint("1", check), title));
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
        let passed = self.checks_run.iter().filter(|c| !self.findings.iter().any(|f| &f.check == *c)).count();
        out.push_str(&format!(
            "{} error(s), {} warning(s), {} info; {} of {} checks passed\n",
            self.count(Severity::Error),
            self.count(Severity::Warning),
            self.count(Severity::Info),
            passed,
            self.checks_run.len()
        ));
        out
    }

    /// JUnit XML: one test case per check that ran; findings are its failures.
    pub fn to_junit(&self) -> String {
        let mut cases = String::new();
        let mut failures = 0;
        for check in &self.checks_run {
            let fs: Vec<&Finding> = self.findings.iter().filter(|f| &f.check == check).collect();
            let title = find_check(check).map(|c| c.title).unwrap_or("");
            cases.push_str(&format!("    <testcase classname=\"preflight.{}\" name=\"{}\">\n", xml(self.env.as_str()), xml(check)));
            if !fs.is_empty() {
                failures += 1;
                let body: Vec<String> = fs.iter().map(|f| format!("[{}] {} — {} ({})", f.severity.as_str(), f.url, f.message, f.evidence)).collect();
                cases.push_str(&format!(
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                    xml(&format!("{title}: {} finding(s)", fs.len())),
                    xml(fs.iter().map(|f| f.severity).max().unwrap_or(Severity::Info).as_str()),
                    xml(&body.join("\n"))
                ));
            }
            cases.push_str("    </testcase>\n");
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"preflight\" tests=\"{n}\" failures=\"{failures}\" time=\"{t:.3}\">\n  <testsuite name=\"{target}\" tests=\"{n}\" failures=\"{failures}\" errors=\"0\" time=\"{t:.3}\">\n{cases}  </testsuite>\n</testsuites>\n",
            n = self.checks_run.len(),
            t = self.duration_ms as f64 / 1000.0,
            target = xml(&self.target),
        )
    }

    /// SARIF 2.1.0 for code-scanning dashboards; rule ids are the check ids.
    pub fn to_sarif(&self) -> String {
        let mut rule_ids: Vec<&str> = self.findings.iter().map(|f| f.check.as_str()).collect();
        rule_ids.sort();
        rule_ids.dedup();
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
        let results: Vec<serde_json::Value> = self
            .findings
            .iter()
            .map(|f| {
                serde_json::json!({
                    "ruleId": f.check,
                    "ruleIndex": rule_ids.iter().position(|r| *r == f.check).unwrap_or(0),
                    "level": sarif_level(f.severity),
                    "message": {"text": if f.evidence.is_empty() { f.message.clone() } else { format!("{} Evidence: {}", f.message, f.evidence) }},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.url}}}],
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
                "invocations": [{"executionSuccessful": true}],
                "results": results,
            }],
        });
        serde_json::to_string_pretty(&doc).expect("SARIF serialises")
    }
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

    fn report() -> Report {
        Report {
            target: "http://127.0.0.1:1/".into(),
            final_url: "http://127.0.0.1:1/".into(),
            env: EnvProfile::Production,
            started_at: 0,
            duration_ms: 1200,
            pages_crawled: 3,
            assets_checked: 2,
            checks_run: vec!["soft-404".into(), "favicon-missing".into()],
            findings: vec![Finding::new("soft-404", "http://127.0.0.1:1/x", "A <missing> page & co", "HTTP 200")],
            pages: vec![],
            screenshots: vec![],
        }
    }

    #[test]
    fn text_groups_and_summarises() {
        let t = report().to_text(false);
        assert!(t.contains("soft-404") && t.contains("1 of 2 checks passed") && !t.contains('\x1b'));
        assert!(report().to_text(true).contains("\x1b[1;33m"));
    }

    #[test]
    fn junit_escapes_and_counts() {
        let x = report().to_junit();
        assert!(x.contains("tests=\"2\" failures=\"1\""));
        assert!(x.contains("A &lt;missing&gt; page &amp; co"));
    }

    #[test]
    fn sarif_has_the_required_fields() {
        let v: serde_json::Value = serde_json::from_str(&report().to_sarif()).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "Preflight");
        assert_eq!(run["results"][0]["ruleId"], "soft-404");
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "soft-404");
        assert!(run["results"][0]["message"]["text"].is_string());
    }
}
