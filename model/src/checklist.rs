//! The launch checklist: items, their states and evidence, changes, the template and the activity log.

use serde::{Deserialize, Serialize};

use crate::{CheckEvidence, CheckStatus, Project, RunSummary, UserInfo};

/// A checklist item's state. `not_applicable` needs a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    Todo,
    Done,
    NotApplicable,
}

impl ItemState {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Todo => "todo",
            ItemState::Done => "done",
            ItemState::NotApplicable => "not_applicable",
        }
    }

    pub fn parse(s: &str) -> Option<ItemState> {
        match s {
            "todo" => Some(ItemState::Todo),
            "done" => Some(ItemState::Done),
            "not_applicable" => Some(ItemState::NotApplicable),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemState::Todo => "To do",
            ItemState::Done => "Done",
            ItemState::NotApplicable => "Not applicable",
        }
    }

    /// Done and not-applicable items both count as settled for progress.
    pub fn is_settled(self) -> bool {
        !matches!(self, ItemState::Todo)
    }
}

/// One item of a project's launch checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub id: i64,
    pub project_id: i64,
    /// The template item it was copied from; `None` for custom items.
    pub template_key: Option<String>,
    pub phase: String,
    pub position: i64,
    pub title: String,
    pub why: String,
    pub due_offset_days: i64,
    /// `T-7d`, `T-0d`, `T+3d`.
    pub due_label: String,
    /// The due date, `YYYY-MM-DD`, relative to the project's launch date.
    pub due: String,
    pub overdue: bool,
    pub checks: Vec<String>,
    pub state: ItemState,
    pub na_reason: String,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub notes: String,
    pub version: i64,
    pub state_changed_at: Option<i64>,
    pub state_changed_by: Option<String>,
    pub updated_at: i64,
    pub updated_by: Option<String>,
    /// Which environments supply the evidence for the checks it names.
    #[serde(default)]
    pub evidence_from: EvidenceFrom,
    /// For every fitting environment, the outcome of each named check in its latest finished
    /// run.
    #[serde(default)]
    pub evidence: Vec<CheckEvidence>,
    /// Evidence from Preflight's own data the item names (see [`SIGNALS`]).
    #[serde(default)]
    pub signals: Vec<String>,
    /// Each named signal's outcome (per fitting environment for `screenshots-approved`).
    #[serde(default)]
    pub signal_evidence: Vec<SignalEvidence>,
    /// Why there is no evidence although the item names checks ("no production run yet").
    #[serde(default)]
    pub evidence_missing: Option<String>,
    /// Every named check passed in a fresh run of a fitting environment, and none failed in
    /// another fresh fitting run: the one-click tick is offered.
    #[serde(default)]
    pub evidence_passed: bool,
    /// Ticked, but a named check fails in the latest run of a fitting environment.
    #[serde(default)]
    pub regression: bool,
}

/// Evidence from Preflight's own data, by id, with what it says when it passes.
pub const SIGNALS: &[(&str, &str)] = &[
    ("screenshots-approved", "The client approved the latest screenshots"),
    ("training-notes-shared", "Training notes are visible to the client"),
    ("training-acknowledged", "The client acknowledged the training notes"),
    ("scope-agreed", "The scope register has items and no undecided change request"),
    ("dev-environment-reached", "A dev or staging site exists and its latest run reached it"),
    ("retrospective-saved", "A retrospective is saved"),
    ("retro-action-promoted", "A retrospective action became part of the checklist template"),
];

pub fn signal_title(id: &str) -> Option<&'static str> {
    SIGNALS.iter().find(|(s, _)| *s == id).map(|(_, t)| *t)
}

/// One signal's outcome for a checklist item: the same statuses as a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalEvidence {
    pub signal: String,
    pub title: String,
    pub status: CheckStatus,
    /// What was found ("12 of 15 screenshots approved") or why it was not checked.
    pub detail: String,
    /// For `screenshots-approved`: the run and environment it looked at.
    #[serde(default)]
    pub run_id: Option<i64>,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub stale: Option<String>,
}

/// Which environments supply a checklist item's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceFrom {
    Production,
    /// Dev and staging.
    PreProduction,
    #[default]
    Any,
}

impl EvidenceFrom {
    pub const ALL: [EvidenceFrom; 3] = [EvidenceFrom::Production, EvidenceFrom::PreProduction, EvidenceFrom::Any];

    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceFrom::Production => "production",
            EvidenceFrom::PreProduction => "pre_production",
            EvidenceFrom::Any => "any",
        }
    }

    pub fn parse(s: &str) -> Option<EvidenceFrom> {
        EvidenceFrom::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// Words for people: "production", "dev or staging", "any environment".
    pub fn label(self) -> &'static str {
        match self {
            EvidenceFrom::Production => "production",
            EvidenceFrom::PreProduction => "dev or staging",
            EvidenceFrom::Any => "any environment",
        }
    }

    /// Whether a run of an environment of this kind (`dev`, `staging`, `production`) supplies
    /// evidence.
    pub fn fits(self, env_kind: &str) -> bool {
        match self {
            EvidenceFrom::Production => env_kind == "production",
            EvidenceFrom::PreProduction => matches!(env_kind, "dev" | "staging"),
            EvidenceFrom::Any => true,
        }
    }
}

/// A change to one checklist item. Every change names the version it was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemChange {
    SetState {
        state: ItemState,
        #[serde(default)]
        reason: String,
    },
    Assign {
        user_id: Option<i64>,
    },
    Notes {
        notes: String,
    },
}

/// The result of an item update: either it went through, or somebody changed the item
/// first and nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[serde(try_from = "UpdateOutcomeWire")]
pub enum UpdateOutcome {
    Updated { item: ChecklistItem },
    Conflict { current: ChecklistItem },
}

/// [`UpdateOutcome`]'s JSON read as one flat object. Serde reads an internally tagged enum by
/// buffering it into an untyped tree first, which compiled a second copy of every item
/// deserializer into the web app; the same JSON read this way needs only the one.
#[derive(Deserialize)]
struct UpdateOutcomeWire {
    outcome: String,
    item: Option<ChecklistItem>,
    current: Option<ChecklistItem>,
}

impl TryFrom<UpdateOutcomeWire> for UpdateOutcome {
    type Error = String;

    fn try_from(w: UpdateOutcomeWire) -> Result<Self, String> {
        match (w.outcome.as_str(), w.item, w.current) {
            ("updated", Some(item), _) => Ok(UpdateOutcome::Updated { item }),
            ("conflict", _, Some(current)) => Ok(UpdateOutcome::Conflict { current }),
            ("updated", None, _) => Err("missing field `item`".into()),
            ("conflict", _, None) => Err("missing field `current`".into()),
            (other, ..) => Err(format!("unknown outcome `{other}`, expected `updated` or `conflict`")),
        }
    }
}

/// A line of an item's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemEvent {
    pub at: i64,
    pub user: Option<String>,
    pub action: String,
    pub detail: String,
}

/// Everything the checklist page needs in one round trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistView {
    pub project: Project,
    pub items: Vec<ChecklistItem>,
    pub members: Vec<UserInfo>,
    pub today: String,
    /// The latest check runs, newest first.
    pub runs: Vec<RunSummary>,
    /// Every automated check (id, what it looks for), for naming checks on custom items.
    #[serde(default)]
    pub catalogue: Vec<(String, String)>,
}

/// Input for a custom checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewItem {
    pub title: String,
    pub phase: String,
    #[serde(default)]
    pub why: String,
    pub due_offset_days: i64,
    /// Automated checks that provide evidence (catalogue ids).
    #[serde(default)]
    pub checks: Vec<String>,
    /// Which environments supply that evidence (default: any).
    #[serde(default)]
    pub evidence_from: EvidenceFrom,
    /// Evidence from Preflight's own data (ids of [`SIGNALS`]).
    #[serde(default)]
    pub signals: Vec<String>,
}

/// An open item assigned to someone, with its project (the "My items" page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyItem {
    pub project_id: i64,
    pub project_name: String,
    pub item: ChecklistItem,
}

/// One item of the checklist template as the template editor shows and saves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateItemEdit {
    /// Empty for an item added in the editor: the server makes one from the title.
    #[serde(default)]
    pub key: String,
    pub phase: String,
    pub title: String,
    pub why: String,
    /// Due relative to launch: `T-7d`, `T-0d`, `T+1d`.
    pub due: String,
    #[serde(default)]
    pub checks: Vec<String>,
    #[serde(default)]
    pub evidence_from: EvidenceFrom,
    /// Evidence from Preflight's own data (ids of [`SIGNALS`]).
    #[serde(default)]
    pub signals: Vec<String>,
    /// Where the item came from (read only: the server keeps or sets it).
    #[serde(default)]
    pub origin: String,
}

/// The newest template version, every field of every item, for the editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateDraft {
    pub version: i64,
    pub items: Vec<TemplateItemEdit>,
}

/// A template edit: the whole list, in order, as it should be in the next version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSave {
    /// The version the edit started from; a newer one saved meanwhile is a conflict.
    pub base_version: i64,
    pub items: Vec<TemplateItemEdit>,
    /// Why the template changed (shown in the version list).
    #[serde(default)]
    pub note: String,
}

/// One line of a project's activity log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    /// tick, run, scope, change-request, training, review, share
    pub kind: String,
    pub summary: String,
}

/// A version of the checklist template and where its items came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateVersionView {
    pub version: i64,
    pub source: String,
    pub created_at: i64,
    pub items: Vec<TemplateItemView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateItemView {
    pub key: String,
    pub phase: String,
    pub title: String,
    pub why: String,
    /// `built-in`, or e.g. "retrospective of ACME relaunch (action #3, Olivia Owner)".
    pub origin: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LiveUpdate;

    fn item() -> ChecklistItem {
        serde_json::from_value(serde_json::json!({
            "id": 7, "project_id": 1, "template_key": "backups", "phase": "launch", "position": 3,
            "title": "Backups run", "why": "", "due_offset_days": -1, "due_label": "T-1d",
            "due": "2027-03-01", "overdue": false, "checks": ["tls-valid"], "state": "todo",
            "na_reason": "", "assignee_id": null, "assignee_name": null, "notes": "", "version": 2,
            "state_changed_at": null, "state_changed_by": null, "updated_at": 1, "updated_by": null
        }))
        .unwrap()
    }

    /// The tagged enums are read through flat structs (smaller WASM): the JSON they write
    /// stays the tagged form and reads back as it was; a missing part or unknown tag is an
    /// error in words.
    #[test]
    fn tagged_outcomes_and_live_updates_read_back_what_they_write() {
        for outcome in [UpdateOutcome::Updated { item: item() }, UpdateOutcome::Conflict { current: item() }] {
            let json = serde_json::to_value(&outcome).unwrap();
            assert!(json["outcome"] == "updated" || json["outcome"] == "conflict", "{json}");
            assert_eq!(serde_json::from_value::<UpdateOutcome>(json).unwrap(), outcome);
        }
        let err = serde_json::from_str::<UpdateOutcome>(r#"{"outcome":"updated"}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `item`"), "{err}");
        let err = serde_json::from_str::<UpdateOutcome>(r#"{"outcome":"merged"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown outcome `merged`"), "{err}");

        for update in [LiveUpdate::Item { item: item() }, LiveUpdate::Notification { user_id: 3, unread: 2, latest: None }] {
            let json = serde_json::to_value(&update).unwrap();
            assert!(json["kind"].is_string(), "{json}");
            assert_eq!(serde_json::from_value::<LiveUpdate>(json).unwrap(), update);
        }
        let err = serde_json::from_str::<LiveUpdate>(r#"{"kind":"notification","user_id":3}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `unread`"), "{err}");
        let err = serde_json::from_str::<LiveUpdate>(r#"{"kind":"weather"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown kind `weather`"), "{err}");
    }
}
