//! The retrospective after launch and the actions it feeds into the next checklist.

use serde::{Deserialize, Serialize};

/// A project's retrospective ("Don't focus on the bad things, focus on what was achieved").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retrospective {
    pub project_id: i64,
    pub project_name: String,
    pub launch_date: String,
    pub went_well: String,
    pub smoother: String,
    pub version: i64,
    pub updated_by: String,
    pub actions: Vec<RetroAction>,
    /// Pre-filled from the launch data.
    pub suggestions: Vec<RetroSuggestion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetroSuggestion {
    /// late-tick, failed-on-launch-day, regression, changes-requested
    pub kind: String,
    pub text: String,
    /// The action it suggests, ready to add in one click.
    #[serde(default)]
    pub action: Option<RetroActionInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RetroInput {
    #[serde(default)]
    pub went_well: String,
    #[serde(default)]
    pub smoother: String,
    /// The version edited (0 or absent for the first save).
    #[serde(default)]
    pub version: i64,
}

/// Something to do differently next time; promoted, it joins the checklist template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetroAction {
    pub id: i64,
    pub project_id: i64,
    pub title: String,
    pub phase: String,
    pub why: String,
    pub due_offset_days: i64,
    pub created_by: String,
    pub created_at: i64,
    /// The template version it was promoted into.
    pub promoted_version: Option<i64>,
    /// Automated checks the future checklist item takes its evidence from.
    #[serde(default)]
    pub checks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RetroActionInput {
    pub title: String,
    pub phase: String,
    #[serde(default)]
    pub why: String,
    /// Days from launch (absent: the phase's usual day, e.g. T-3d for launch week).
    #[serde(default)]
    pub due_offset_days: Option<i64>,
    /// Automated checks the future checklist item takes its evidence from.
    #[serde(default)]
    pub checks: Vec<String>,
}
