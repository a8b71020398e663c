//! The agreed scope, change requests and the client's training notes.

use serde::{Deserialize, Serialize};

/// Where a scope item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeStatus {
    Agreed,
    InProgress,
    Delivered,
    OutOfScope,
}

impl ScopeStatus {
    pub const ALL: [ScopeStatus; 4] = [ScopeStatus::Agreed, ScopeStatus::InProgress, ScopeStatus::Delivered, ScopeStatus::OutOfScope];

    pub fn as_str(self) -> &'static str {
        match self {
            ScopeStatus::Agreed => "agreed",
            ScopeStatus::InProgress => "in_progress",
            ScopeStatus::Delivered => "delivered",
            ScopeStatus::OutOfScope => "out_of_scope",
        }
    }

    pub fn parse(s: &str) -> Option<ScopeStatus> {
        ScopeStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ScopeStatus::Agreed => "Agreed",
            ScopeStatus::InProgress => "In progress",
            ScopeStatus::Delivered => "Delivered",
            ScopeStatus::OutOfScope => "Out of scope",
        }
    }
}

/// One thing agreed to be built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeItem {
    pub id: i64,
    pub project_id: i64,
    pub title: String,
    pub description: String,
    /// Where it was agreed: contract, e-mail, meeting…
    pub source: String,
    /// `YYYY-MM-DD`.
    pub agreed_on: Option<String>,
    pub status: ScopeStatus,
    pub version: i64,
    pub updated_at: i64,
    /// When the item was deleted from the register (it keeps its history and can be restored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<String>,
}

/// A new scope item, or the new state of one (`version` is the one the change was based on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ScopeInput {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub agreed_on: Option<String>,
    #[serde(default)]
    pub status: Option<ScopeStatus>,
    #[serde(default)]
    pub version: Option<i64>,
    /// Why it changed (kept in the history).
    #[serde(default)]
    pub note: String,
}

/// One state a scope item was in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeHistoryEntry {
    pub at: i64,
    pub actor: String,
    /// created, edited, status, change-approved
    pub action: String,
    pub note: String,
    /// The item after the change.
    pub item: ScopeItem,
}

/// The scope as it stood at a moment, and how two moments differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeComparison {
    pub from: i64,
    pub to: i64,
    pub added: Vec<ScopeItem>,
    pub removed: Vec<ScopeItem>,
    /// (then, now)
    pub changed: Vec<(ScopeItem, ScopeItem)>,
    pub unchanged: Vec<ScopeItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    Proposed,
    Approved,
    Declined,
}

/// A proposed change to the agreed scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRequest {
    pub id: i64,
    pub project_id: i64,
    /// The item it changes; `None`: it adds a new one.
    pub scope_item_id: Option<i64>,
    pub title: String,
    pub description: String,
    pub reason: String,
    /// `team` or `client`.
    pub proposed_by_kind: String,
    pub proposed_by: String,
    pub proposed_at: i64,
    pub status: ChangeStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ChangeRequestInput {
    #[serde(default)]
    pub scope_item_id: Option<i64>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub reason: String,
}

/// The client's decision on a change request (recorded by the team or given through a share link).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub approve: bool,
    /// The client's name.
    pub decided_by: String,
    #[serde(default)]
    pub note: String,
}

/// The scope page: items, change requests and the project's launch date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeView {
    pub project_id: i64,
    pub project_name: String,
    pub launch_date: String,
    /// Today on the server (`YYYY-MM-DD`): the browser has no clock of its own here.
    pub today: String,
    pub items: Vec<ScopeItem>,
    pub change_requests: Vec<ChangeRequest>,
    /// Items taken out of the register, most recent first (they can be restored).
    #[serde(default)]
    pub deleted: Vec<ScopeItem>,
}

/// A Markdown page written for the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingNote {
    pub id: i64,
    pub project_id: i64,
    pub title: String,
    /// Markdown.
    pub body: String,
    /// Sanitised HTML of the body.
    pub html: String,
    pub client_visible: bool,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TrainingInput {
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub client_visible: bool,
    #[serde(default)]
    pub version: Option<i64>,
}

/// The kinds of entries in a project's activity log (the filter's choices).
pub const ACTIVITY_KINDS: &[&str] = &[
    "tick",
    "checklist",
    "run",
    "deploy",
    "schedule",
    "scope",
    "change-request",
    "training",
    "project",
    "review",
    "baseline",
    "share",
    "retro",
    "notify",
    "access",
];
