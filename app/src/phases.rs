//! The phases of a launch, in order. Template and custom items name one of these keys.

/// A launch phase: a stable key and the title people read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phase {
    pub key: &'static str,
    pub title: &'static str,
}

pub const PHASES: &[Phase] = &[
    Phase { key: "foundations", title: "Foundations" },
    Phase { key: "dev-site", title: "Dev site" },
    Phase { key: "content", title: "Content & browsers" },
    Phase { key: "testing", title: "Testing" },
    Phase { key: "security", title: "Security" },
    Phase { key: "performance", title: "Performance" },
    Phase { key: "search", title: "Search" },
    Phase { key: "training", title: "Training" },
    Phase { key: "launch-week", title: "Launch week" },
    Phase { key: "launch-day", title: "Launch day" },
    Phase { key: "post-launch", title: "After launch" },
];

pub fn phase(key: &str) -> Option<&'static Phase> {
    PHASES.iter().find(|p| p.key == key)
}

/// Sort position of a phase; unknown keys go last.
pub fn phase_order(key: &str) -> usize {
    PHASES.iter().position(|p| p.key == key).unwrap_or(PHASES.len())
}

pub fn phase_title(key: &str) -> &str {
    phase(key).map(|p| p.title).unwrap_or(key)
}
