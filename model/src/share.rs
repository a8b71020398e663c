//! Share links: what a client sees, reviews and signs off.

use serde::{Deserialize, Serialize};

use crate::{ChangeRequest, Gallery, ScopeItem, TrainingNote};

/// A client review link (the token itself is only shown when the link is made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareLink {
    pub id: i64,
    pub project_id: i64,
    pub run_id: Option<i64>,
    pub label: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Only in the answer to creating the link: `/share/{token}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ShareLinkInput {
    /// Unix seconds or `YYYY-MM-DD` (end of that day, UTC); default 30 days.
    #[serde(default)]
    pub expires_at: Option<serde_json::Value>,
    #[serde(default)]
    pub run_id: Option<i64>,
    #[serde(default)]
    pub label: String,
}

/// One screenshot review by the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub id: i64,
    pub screenshot_id: i64,
    /// `approved` or `changes_requested`.
    pub verdict: String,
    pub reviewer: String,
    pub comment: String,
    pub at: i64,
    /// `client` (through a share link) or `team` (signed in).
    #[serde(default = "client_source")]
    pub source: String,
}

fn client_source() -> String {
    "client".into()
}

/// What a share link shows the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareView {
    pub project_name: String,
    pub client: String,
    pub launch_date: String,
    pub run_id: Option<i64>,
    pub gallery: Option<Gallery>,
    /// Reviews of the shown screenshots, newest first.
    pub reviews: Vec<Review>,
    pub training: Vec<TrainingNote>,
    pub scope: Vec<ScopeItem>,
    pub change_requests: Vec<ChangeRequest>,
    pub signoffs: Vec<SignOff>,
    pub expires_at: Option<i64>,
    /// The latest acknowledgement of the training notes: who, and when.
    #[serde(default)]
    pub training_ack: Option<(String, i64)>,
    /// Checklist items done (or not applicable), of all.
    #[serde(default)]
    pub checklist_done: i64,
    #[serde(default)]
    pub checklist_total: i64,
}

/// A launch sign-off: who, when, and what stood at that moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOff {
    pub id: i64,
    pub signed_by: String,
    pub at: i64,
    pub snapshot: serde_json::Value,
    /// The run whose screenshots were signed off (`None`: there were none).
    #[serde(default)]
    pub run_id: Option<i64>,
    /// A later sign-off (of newer screenshots) replaced this one.
    #[serde(default)]
    pub superseded: bool,
}
