//! The accessibility checks: one `a11y-<rule>` check per axe-core rule Preflight runs in the
//! browser (the list is generated from the pinned axe-core, see `a11y_rules.rs`). Which of
//! them apply depends on the WCAG level a project asks for.

use serde::{Deserialize, Serialize};

#[rustfmt::skip]
#[path = "a11y_rules.rs"]
mod generated;

pub use generated::{A11Y_RULES, AXE_VERSION};

/// The WCAG level that asks for a rule; `Advice`: axe's best practices (and the one AAA rule
/// Lighthouse runs), checked at either level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WcagLevel {
    A,
    AA,
    Advice,
}

/// One axe-core rule as a Preflight check.
#[derive(Debug, Clone, Copy)]
pub struct A11yRule {
    /// The check id: `a11y-image-alt`.
    pub check: &'static str,
    /// What passing means, in axe's words ("Images must have alternative text").
    pub help: &'static str,
    /// The heading of its findings.
    pub problem: &'static str,
    /// WCAG success criteria ("1.1.1").
    pub wcag: &'static [&'static str],
    pub level: WcagLevel,
    /// axe leaves it off unless asked (Preflight asks, as Lighthouse does).
    pub off_by_default: bool,
}

impl A11yRule {
    /// axe's own rule id: `image-alt`.
    pub fn axe_id(&self) -> &'static str {
        &self.check["a11y-".len()..]
    }

    /// Whether a project asking for `level` (A or AA) wants this rule.
    pub fn asked_at(&self, level: WcagLevel) -> bool {
        match self.level {
            WcagLevel::A | WcagLevel::Advice => true,
            WcagLevel::AA => level != WcagLevel::A,
        }
    }

    /// "WCAG 1.1.1 (A)", "WCAG 1.4.3 (AA)", "best practice".
    pub fn criteria(&self) -> String {
        match (self.level, self.wcag) {
            (WcagLevel::Advice, []) => "best practice".to_string(),
            (WcagLevel::Advice, c) => format!("WCAG {} (AAA, advice)", c.join(", ")),
            (level, []) => format!("WCAG level {level:?}"),
            (level, c) => format!("WCAG {} ({level:?})", c.join(", ")),
        }
    }
}

const fn rule(
    check: &'static str,
    help: &'static str,
    problem: &'static str,
    wcag: &'static [&'static str],
    level: WcagLevel,
    off_by_default: bool,
) -> A11yRule {
    A11yRule { check, help, problem, wcag, level, off_by_default }
}

/// Looks a rule up by check id (`a11y-image-alt`) or axe id (`image-alt`).
pub fn find(id: &str) -> Option<&'static A11yRule> {
    let check = id.strip_prefix("a11y-").unwrap_or(id);
    A11Y_RULES.iter().find(|r| r.axe_id() == check)
}

/// Every check id, for coverage statements.
pub fn check_ids() -> Vec<&'static str> {
    A11Y_RULES.iter().map(|r| r.check).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_carry_their_level_and_criteria() {
        let alt = find("image-alt").unwrap();
        assert_eq!((alt.check, alt.level, alt.criteria().as_str()), ("a11y-image-alt", WcagLevel::A, "WCAG 1.1.1 (A)"));
        let contrast = find("a11y-color-contrast").unwrap();
        assert_eq!(contrast.level, WcagLevel::AA);
        assert!(contrast.asked_at(WcagLevel::AA) && !contrast.asked_at(WcagLevel::A));
        let order = find("heading-order").unwrap();
        assert_eq!((order.level, order.criteria().as_str()), (WcagLevel::Advice, "best practice"));
        assert!(order.asked_at(WcagLevel::A));
        // The rules Lighthouse switches on are there, deprecated ones are not.
        for id in ["target-size", "td-has-header", "table-fake-caption", "identical-links-same-purpose"] {
            assert!(find(id).is_some_and(|r| r.off_by_default), "{id}");
        }
        assert!(find("duplicate-id").is_none() && find("no-such-rule").is_none());
    }
}
