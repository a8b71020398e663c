//! The phases of a launch, in order. Template and custom items name one of these keys.

/// A launch phase: a stable key and the title people read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phase {
    pub key: &'static str,
    pub title: &'static str,
    /// Days from launch an item of this phase is usually due (a new item's default).
    pub default_due: i64,
}

pub const PHASES: &[Phase] = &[
    Phase { key: "foundations", title: "Foundations", default_due: -21 },
    Phase { key: "dev-site", title: "Dev site", default_due: -21 },
    Phase { key: "content", title: "Content & browsers", default_due: -14 },
    Phase { key: "testing", title: "Testing", default_due: -10 },
    Phase { key: "security", title: "Security", default_due: -10 },
    Phase { key: "performance", title: "Performance", default_due: -10 },
    Phase { key: "search", title: "Search", default_due: -7 },
    Phase { key: "training", title: "Training", default_due: -7 },
    Phase { key: "launch-week", title: "Launch week", default_due: -3 },
    Phase { key: "launch-day", title: "Launch day", default_due: 0 },
    Phase { key: "post-launch", title: "After launch", default_due: 7 },
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
