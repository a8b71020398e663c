//! Accessibility with axe-core (Deque, MPL-2.0), the engine Lighthouse and pa11y use: run on
//! every page at every viewport, after the page loaded and before anything is masked for the
//! screenshot. The rules are the engine's `a11y-*` checks ([`preflight_engine::a11y`]); a
//! project chooses the WCAG level and rules to ignore ([`A11yPolicy`]).
//!
//! axe-core comes from npm, pinned in `axe/package.json`, and is built into the binary
//! (`build.rs`): nothing is downloaded when a run checks a site.

use std::time::Duration;

use preflight_engine::{
    a11y::{self, A11yRule, WcagLevel},
    finding::snippet,
    Finding, Severity,
};
use serde::Deserialize;

use crate::capture::{evaluate, TabHandle};

/// axe-core's script, as published on npm.
pub const AXE_SOURCE: &str = include_str!(env!("PREFLIGHT_AXE_JS"));
/// axe-core's licence (MPL-2.0): shown by `preflight licenses`.
pub const AXE_LICENSE: &str = include_str!(env!("PREFLIGHT_AXE_LICENSE"));
/// The version built in (the same as [`preflight_engine::a11y::AXE_VERSION`], checked by a test).
pub const AXE_VERSION: &str = env!("PREFLIGHT_AXE_VERSION");

/// How long axe may take on one page before its checks count as not done there.
const AXE_LIMIT: Duration = Duration::from_secs(15);
/// Elements described per rule and page (the count says how many there are).
const MAX_NODES: usize = 10;

/// What a project asks of the accessibility checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct A11yPolicy {
    /// `A` or `AA` (the default): AA rules are not applicable when a project asks for A only.
    pub level: WcagLevel,
    /// Rules not checked (axe ids or check ids), each with the reason people gave.
    pub ignore: Vec<(String, String)>,
}

impl Default for A11yPolicy {
    fn default() -> Self {
        A11yPolicy { level: WcagLevel::AA, ignore: Vec::new() }
    }
}

impl A11yPolicy {
    /// A project's or the CLI's settings: the level (`A` or `AA`) and the rules left out, one per
    /// entry as `RULE = REASON` (RULE: axe's rule id, `color-contrast`, or the check id). Errors
    /// say what to write instead.
    pub fn parse(level: &str, ignore: &[String]) -> Result<A11yPolicy, String> {
        Ok(A11yPolicy { level: Self::parse_level(level)?, ignore: Self::parse_ignore(ignore)? })
    }

    /// `A` or `AA` (empty: AA), in any case.
    pub fn parse_level(level: &str) -> Result<WcagLevel, String> {
        match level.trim().to_ascii_uppercase().as_str() {
            "A" => Ok(WcagLevel::A),
            "AA" | "" => Ok(WcagLevel::AA),
            other => Err(format!("\"{other}\" is not a WCAG level Preflight checks; give A or AA")),
        }
    }

    /// Rules left out, one `RULE = REASON` per entry: (axe id, reason).
    pub fn parse_ignore(ignore: &[String]) -> Result<Vec<(String, String)>, String> {
        let mut rules = Vec::new();
        for entry in ignore.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            let (rule, reason) = entry.split_once('=').unwrap_or((entry, ""));
            let (rule, reason) = (rule.trim(), reason.trim());
            let Some(known) = a11y::find(rule) else {
                return Err(format!("\"{rule}\" is not an accessibility rule Preflight runs (axe-core {} rule ids, e.g. color-contrast)", a11y::AXE_VERSION));
            };
            if reason.is_empty() {
                return Err(format!("say why {} is left out, as {} = REASON", known.axe_id(), known.axe_id()));
            }
            rules.push((known.axe_id().to_string(), reason.to_string()));
        }
        Ok(rules)
    }

    /// Why a rule is not checked, if it is not: `None` when it runs.
    pub fn excluded(&self, rule: &A11yRule) -> Option<String> {
        if let Some((_, reason)) = self.ignore.iter().find(|(id, _)| a11y::find(id).is_some_and(|r| r.check == rule.check)) {
            return Some(if reason.trim().is_empty() {
                "ignored for this project".to_string()
            } else {
                format!("ignored for this project: {}", reason.trim())
            });
        }
        (!rule.asked_at(self.level)).then(|| "a WCAG level AA rule; this project asks for level A".to_string())
    }

    /// The axe rule ids to run.
    pub fn rules(&self) -> Vec<&'static str> {
        a11y::A11Y_RULES.iter().filter(|r| self.excluded(r).is_none()).map(|r| r.axe_id()).collect()
    }
}

pub use preflight_model::{A11yIssue, A11yNode};

/// axe's impact as a severity: critical/serious → error, moderate → warning, minor → info.
pub fn severity(issue: &A11yIssue) -> Severity {
    impact_severity(&issue.impact)
}

/// The finding for people: the rule in words, how many elements, the WCAG criteria; the
/// elements (selector and HTML) as evidence. `None` for a rule Preflight does not know.
pub fn finding(issue: &A11yIssue, url: &str) -> Option<Finding> {
    let rule = a11y::find(&issue.check)?;
    let noun = if issue.count == 1 { "element" } else { "elements" };
    let impact = if issue.impact.is_empty() { "unknown" } else { &issue.impact };
    let message = format!("{} — {} {noun} ({}, {impact} impact)", rule.help, issue.count, rule.criteria());
    let mut shown: Vec<String> = issue.nodes.iter().take(5).map(|n| format!("{} — {}", snippet(&n.target, 120), snippet(&n.html, 160))).collect();
    if issue.count > shown.len() {
        shown.push(format!("and {} more", issue.count - shown.len()));
    }
    let fix = issue.nodes.first().map(|n| snippet(&n.summary.replace('\n', " "), 240)).filter(|s| !s.is_empty());
    let evidence = match fix {
        Some(fix) => format!("{} · {fix}", shown.join("; ")),
        None => shown.join("; "),
    };
    Some(Finding::new(rule.check, url, message, evidence).with_severity(severity(issue)))
}

fn impact_severity(impact: &str) -> Severity {
    match impact {
        "critical" | "serious" => Severity::Error,
        "moderate" => Severity::Warning,
        _ => Severity::Info,
    }
}

/// What axe answered on one page.
#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    violations: Vec<Violation>,
}

#[derive(Debug, Deserialize)]
struct Violation {
    id: String,
    #[serde(default)]
    impact: Option<String>,
    count: usize,
    nodes: Vec<A11yNode>,
}

/// The page-side call: loads axe (once per document; shielded from the page's AMD loader or
/// CommonJS globals, which would keep it from registering) and runs the chosen rules.
fn script(rules: &[&str]) -> String {
    let options = serde_json::json!({
        "runOnly": { "type": "rule", "values": rules },
        "resultTypes": ["violations"],
        "iframes": true,
    });
    format!(
        r#"(function () {{
  if (!window.axe || window.axe.version !== {version}) {{
    (function (define, module, exports) {{
{AXE_SOURCE}
    }}).call(window);
  }}
  if (!window.axe) {{ return Promise.resolve(JSON.stringify({{ error: "axe-core did not start on this page" }})); }}
  var MAX = {MAX_NODES};
  function box(target) {{
    if (target.length !== 1 || typeof target[0] !== 'string') {{ return null; }}
    try {{
      var el = document.querySelector(target[0]);
      if (!el) {{ return null; }}
      var r = el.getBoundingClientRect();
      if (r.width < 1 && r.height < 1) {{ return null; }}
      return [r.left + window.pageXOffset, r.top + window.pageYOffset, r.width, r.height];
    }} catch (e) {{ return null; }}
  }}
  return window.axe.run(document, {options}).then(function (r) {{
    return JSON.stringify({{ violations: r.violations.map(function (v) {{
      return {{ id: v.id, impact: v.impact || null, count: v.nodes.length, nodes: v.nodes.slice(0, MAX).map(function (n) {{
        var t = n.target.map(function (p) {{ return Array.isArray(p) ? p.join(' >>> ') : String(p); }});
        return {{ target: t.join(' >>> '), html: String(n.html || '').slice(0, 400), summary: String(n.failureSummary || '').slice(0, 600), rect: box(n.target) }};
      }}) }};
    }}) }});
  }}, function (e) {{ return JSON.stringify({{ error: String(e && e.message || e) }}); }});
}})()"#,
        version = serde_json::to_string(AXE_VERSION).expect("a string"),
    )
}

/// Runs axe on the page the tab shows: the rules that failed, or why it could not look.
pub(crate) fn check(h: &TabHandle, policy: &A11yPolicy) -> Result<Vec<A11yIssue>, String> {
    let rules = policy.rules();
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let r = h.call_within(AXE_LIMIT, evaluate(&script(&rules), true)).map_err(|e| format!("axe-core did not finish on the page: {}", snippet(&e, 200)))?;
    if let Some(ex) = r.exception_details {
        let text = ex.exception.and_then(|o| o.description).unwrap_or(ex.text);
        return Err(format!("axe-core failed on the page: {}", snippet(&text, 200)));
    }
    let Some(serde_json::Value::String(json)) = r.result.value else {
        return Err("axe-core gave no answer on the page".to_string());
    };
    let answer: Answer = serde_json::from_str(&json).map_err(|e| format!("unexpected answer from axe-core: {e}"))?;
    if let Some(e) = answer.error {
        return Err(format!("axe-core failed on the page: {}", snippet(&e, 200)));
    }
    Ok(answer
        .violations
        .into_iter()
        .filter(|v| a11y::find(&v.id).is_some())
        .map(|v| A11yIssue { check: format!("a11y-{}", v.id), impact: v.impact.unwrap_or_default(), count: v.count, nodes: v.nodes })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_axe_is_the_one_the_catalogue_was_made_from() {
        assert_eq!(AXE_VERSION, a11y::AXE_VERSION, "run `node scripts/a11y-rules.mjs` after changing the axe-core version");
        assert!(AXE_SOURCE.starts_with("/*! axe v") && AXE_SOURCE.contains(AXE_VERSION));
        assert!(AXE_LICENSE.contains("Mozilla Public License"));
    }

    #[test]
    fn the_level_and_ignored_rules_choose_what_runs() {
        let all = A11yPolicy::default();
        assert!(all.rules().contains(&"color-contrast") && all.rules().contains(&"target-size"));
        let a_only = A11yPolicy { level: WcagLevel::A, ignore: vec![("a11y-region".into(), "the CMS owns the layout".into())] };
        let rules = a_only.rules();
        assert!(!rules.contains(&"color-contrast") && !rules.contains(&"region"));
        assert!(rules.contains(&"image-alt") && rules.contains(&"heading-order"));
        let region = a11y::find("region").unwrap();
        assert_eq!(a_only.excluded(region).as_deref(), Some("ignored for this project: the CMS owns the layout"));
        assert!(a_only.excluded(a11y::find("color-contrast").unwrap()).unwrap().contains("level A"));
    }

    #[test]
    fn settings_read_the_level_and_ignored_rules_and_refuse_what_is_not_one() {
        let p = A11yPolicy::parse("a", &["a11y-region = the CMS owns the layout".into(), " ".into()]).unwrap();
        assert_eq!(p, A11yPolicy { level: WcagLevel::A, ignore: vec![("region".into(), "the CMS owns the layout".into())] });
        assert_eq!(A11yPolicy::parse("", &[]).unwrap(), A11yPolicy::default());
        assert!(A11yPolicy::parse("AAA", &[]).unwrap_err().contains("give A or AA"));
        assert!(A11yPolicy::parse("AA", &["colour-contrast = brand".into()]).unwrap_err().contains("\"colour-contrast\" is not an accessibility rule"));
        assert!(A11yPolicy::parse("AA", &["color-contrast".into()]).unwrap_err().contains("color-contrast = REASON"));
    }

    #[test]
    fn findings_name_the_rule_the_elements_and_the_criteria() {
        let issue = A11yIssue {
            check: "a11y-image-alt".into(),
            impact: "critical".into(),
            count: 7,
            nodes: vec![A11yNode {
                target: "img.logo".into(),
                html: "<img src=\"logo.png\" class=\"logo\">".into(),
                summary: "Fix any of the following:\n  Element does not have an alt attribute".into(),
                rect: Some([0.0, 0.0, 10.0, 10.0]),
            }],
        };
        let f = finding(&issue, "http://127.0.0.1/").unwrap();
        assert_eq!((f.check.as_str(), f.severity), ("a11y-image-alt", Severity::Error));
        assert!(f.message.contains("Images must have alternative text — 7 elements (WCAG 1.1.1 (A), critical impact)"), "{}", f.message);
        assert!(f.evidence.starts_with("img.logo — <img src=\"logo.png\" class=\"logo\">; and 6 more · Fix any"), "{}", f.evidence);
        assert_eq!(impact_severity("moderate"), Severity::Warning);
        assert_eq!(impact_severity("minor"), Severity::Info);
        assert!(finding(&A11yIssue { check: "a11y-nonsense".into(), ..issue }, "x").is_none());
    }
}
