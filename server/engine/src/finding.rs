//! Findings: what a check found, as data (not errors). Infrastructure failures are `Err`.

use serde::{Deserialize, Serialize};

pub use crate::catalogue::Severity;

/// One thing a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The check id, e.g. `debug-page-exposed` (stable, see the catalogue).
    pub check: String,
    pub severity: Severity,
    /// The URL (or host) the finding is about.
    pub url: String,
    /// One line a person understands.
    pub message: String,
    /// What was seen: a status line, a header, a snippet.
    pub evidence: String,
    /// The piece of launch advice this serves.
    pub advice: String,
}

impl Finding {
    /// A finding with the check's usual severity and advice.
    pub fn new(check: &str, url: impl Into<String>, message: impl Into<String>, evidence: impl Into<String>) -> Finding {
        let info = crate::catalogue::find_check(check);
        debug_assert!(info.is_some(), "unknown check id {check}");
        Finding {
            check: check.to_string(),
            severity: info.map(|i| i.severity).unwrap_or(Severity::Warning),
            url: url.into(),
            message: message.into(),
            evidence: evidence.into(),
            advice: info.map(|i| i.advice.to_string()).unwrap_or_default(),
        }
    }

    pub fn with_severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }
}

/// The path of the missing-page probe: random per run, so that no cache or crafted page can
/// answer it ([`identity`] removes the randomness when runs are compared).
pub fn probe_path() -> String {
    format!("{PROBE_PREFIX}{:016x}{PROBE_SUFFIX}", rand::random::<u64>())
}

const PROBE_PREFIX: &str = "/preflight-check-";
const PROBE_SUFFIX: &str = "-does-not-exist";

/// A finding URL without run-to-run noise, for matching findings between runs: the random
/// part of the missing-page probe becomes `*`.
pub fn identity(url: &str) -> std::borrow::Cow<'_, str> {
    if let Some(i) = url.find(PROBE_PREFIX) {
        let rest = &url[i + PROBE_PREFIX.len()..];
        if let Some(j) = rest.find(PROBE_SUFFIX) {
            if j == 16 && rest[..j].bytes().all(|b| b.is_ascii_hexdigit()) {
                return format!("{}{PROBE_PREFIX}*{}", &url[..i], &rest[j..]).into();
            }
        }
    }
    url.into()
}

/// Shortens evidence to a readable length on a character boundary.
pub fn snippet(text: &str, max: usize) -> String {
    let t = text.trim();
    if t.chars().count() <= max {
        return t.to_string();
    }
    let cut: String = t.chars().take(max).collect();
    format!("{cut}…")
}
