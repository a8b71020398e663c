//! Types shared by the server and the browser: what server functions and the JSON API
//! send and receive. Nothing here touches the database.

use serde::{Deserialize, Serialize};

/// A team member's role. Owners manage the team; members do everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

/// The signed-in user, as the UI sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// What kind of environment a URL is: it decides what the checks expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvKind {
    Dev,
    Staging,
    Production,
}

impl EnvKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EnvKind::Dev => "dev",
            EnvKind::Staging => "staging",
            EnvKind::Production => "production",
        }
    }

    pub fn parse(s: &str) -> Option<EnvKind> {
        match s {
            "dev" => Some(EnvKind::Dev),
            "staging" => Some(EnvKind::Staging),
            "production" => Some(EnvKind::Production),
            _ => None,
        }
    }

    /// Guesses the kind from a free-form environment name ("prod", "uat", "development").
    pub fn infer(name: &str) -> EnvKind {
        let n = name.to_ascii_lowercase();
        if n.contains("prod") || n == "live" || n == "www" {
            EnvKind::Production
        } else if n.contains("dev") || n.contains("local") {
            EnvKind::Dev
        } else {
            EnvKind::Staging
        }
    }
}

/// One place a project is deployed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Environment {
    #[serde(default)]
    pub id: Option<i64>,
    pub name: String,
    #[serde(default)]
    pub kind: Option<EnvKind>,
    pub base_url: String,
    /// Connect to this address instead of resolving the host (like curl's `--resolve`),
    /// to test a new server before DNS moves.
    #[serde(default)]
    pub resolve_ip: Option<String>,
    /// Make test form submissions here: `None` decides by kind (yes on dev and staging, no
    /// on production).
    #[serde(default)]
    pub submit_forms: Option<bool>,
    /// When the latest deploy to it was recorded (read only: record one with
    /// `POST /api/v1/projects/{id}/deploys`). Evidence from runs before it is stale.
    #[serde(default, skip_deserializing)]
    pub last_deploy_at: Option<i64>,
    /// What its check runs are told (the CLI's flags, per environment).
    #[serde(default)]
    pub settings: RunSettings,
    /// The protected site's credentials, as they may be shown: kind and user or header name,
    /// never the secret (read only: set them with `PUT /api/v1/environments/{id}/credentials`).
    #[serde(default, skip_deserializing)]
    pub credentials: Option<String>,
}

/// A protected site's credentials as the browser sends them once (they are never sent back).
/// The same JSON as the engine's `Credentials`: `{"kind": "basic", "username", "password"}`,
/// `{"kind": "header", "name", "value"}` or `{"kind": "cookie", "name", "value"}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Credentials {
    Basic { username: String, password: String },
    Header { name: String, value: String },
    Cookie { name: String, value: String },
}

/// Never prints the secret.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credentials::Basic { .. } => "Credentials::Basic(hidden)",
            Credentials::Header { .. } => "Credentials::Header(hidden)",
            Credentials::Cookie { .. } => "Credentials::Cookie(hidden)",
        })
    }
}

/// An environment's run settings; absent fields keep the engine's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RunSettings {
    /// URLs of the old site (absolute, or paths) that must redirect rather than answer 404.
    #[serde(default)]
    pub old_urls: Vec<String>,
    /// Most pages to crawl (1–5000; default 200).
    #[serde(default)]
    pub max_pages: Option<i64>,
    /// Most links to follow from the start page (0–50; default 6).
    #[serde(default)]
    pub max_depth: Option<i64>,
    /// Seconds the HTTP part of a run may take (10–3600; default 300).
    #[serde(default)]
    pub deadline_secs: Option<i64>,
    /// Also check links to other sites (off: nothing outside the site is contacted).
    #[serde(default)]
    pub check_external_links: bool,
    /// Words that mark a dev or staging page besides the built-in ones.
    #[serde(default)]
    pub dev_markers: Vec<String>,
    /// DNS server for the DNS checks, `IP` or `IP:PORT` (default: the system's resolver).
    #[serde(default)]
    pub nameserver: Option<String>,
}

/// The browser viewports a new project checks.
pub const DEFAULT_VIEWPORTS: &str = "desktop,old-ie,ipad,phone";

/// A project as edited in the project form and returned by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProjectInput {
    pub name: String,
    #[serde(default)]
    pub client: String,
    /// `YYYY-MM-DD`.
    pub launch_date: String,
    /// `HH:MM`, optional.
    #[serde(default)]
    pub launch_time: Option<String>,
    #[serde(default)]
    pub environments: Vec<Environment>,
    #[serde(default)]
    pub contact_emails: Vec<String>,
    #[serde(default)]
    pub contact_phones: Vec<String>,
    #[serde(default)]
    pub postal_address: String,
    /// Viewports of the browser checks: default names (desktop, old-ie, ipad, phone) and
    /// `NAME=WIDTHxHEIGHT[@SCALE][,mobile][,touch][,ua=…]` specs, separated by `,` or `;`.
    /// `""` turns the browser checks off; absent: [`DEFAULT_VIEWPORTS`].
    #[serde(default)]
    pub viewports: Option<String>,
    /// Forms submitted on every environment, even with a password or payment field: a page
    /// (path or URL) or `PAGE#FORM-ID` per entry.
    #[serde(default)]
    pub forms_listed: Vec<String>,
    /// Check evidence older than this many days is stale (1–365; absent: 7).
    #[serde(default)]
    pub evidence_max_age_days: Option<i64>,
    /// The region the site's national phone numbers are written in (ISO 3166 alpha-2, `GB`,
    /// `US`…): "0117 496 0123" is then the same number as "+44 117 496 0123". Empty: none.
    #[serde(default)]
    pub phone_region: String,
    /// Analytics ids every production page must carry: `G-XXXXXXX`, `GTM-XXXX`, a Plausible
    /// domain, a Matomo site id URL…
    #[serde(default)]
    pub analytics_ids: Vec<String>,
}

/// A project with its environments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub client: String,
    pub launch_date: String,
    pub launch_time: Option<String>,
    pub environments: Vec<Environment>,
    pub contact_emails: Vec<String>,
    pub contact_phones: Vec<String>,
    pub postal_address: String,
    /// See [`ProjectInput::viewports`]; `""`: no browser checks.
    pub viewports: String,
    pub forms_listed: Vec<String>,
    /// Check evidence older than this many days is stale.
    pub evidence_max_age_days: i64,
    /// See [`ProjectInput::phone_region`].
    #[serde(default)]
    pub phone_region: String,
    /// See [`ProjectInput::analytics_ids`].
    #[serde(default)]
    pub analytics_ids: Vec<String>,
    pub archived: bool,
    pub template_version: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A row of the project list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    pub id: i64,
    pub name: String,
    pub client: String,
    pub launch_date: String,
    pub launch_time: Option<String>,
    pub archived: bool,
    pub done: i64,
    pub total: i64,
    pub overdue: i64,
}

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
pub enum UpdateOutcome {
    Updated { item: ChecklistItem },
    Conflict { current: ChecklistItem },
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

/// What deleting a project did: deleted it, or — when the client signed off its launch — kept
/// the sign-off record and archived the project instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteOutcome {
    pub deleted: bool,
    pub archived: bool,
    pub message: String,
}

/// A deploy to one of a project's environments, as recorded by the team or CI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deploy {
    pub id: i64,
    pub environment: String,
    pub at: i64,
    pub revision: String,
    pub note: String,
    pub recorded_by: Option<String>,
}

/// Input for recording a deploy: the environment's name (or id), optionally the revision
/// deployed and a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDeploy {
    pub environment: String,
    #[serde(default)]
    pub revision: String,
    #[serde(default)]
    pub note: String,
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

/// An API token as listed on the account page (the secret itself is shown once only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// Formats a due offset the way launch plans write it: `T-7d`, `T-0d`, `T+2d`.
pub fn due_label(offset_days: i64) -> String {
    if offset_days > 0 {
        format!("T+{offset_days}d")
    } else {
        format!("T-{}d", -offset_days)
    }
}

/// Parses `T-7d` / `T+2d` / `T-0d` into a day offset.
pub fn parse_due_label(s: &str) -> Option<i64> {
    let rest = s.trim().strip_prefix('T')?;
    let (sign, digits) = match rest.chars().next()? {
        '-' => (-1, &rest[1..]),
        '+' => (1, &rest[1..]),
        _ => return None,
    };
    let digits = digits.strip_suffix('d')?;
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) || digits.len() > 4 {
        return None;
    }
    Some(sign * digits.parse::<i64>().ok()?)
}

/// Adds days to a `YYYY-MM-DD` date.
pub fn add_days(date: &str, days: i64) -> Option<String> {
    let d = parse_date(date)?;
    let out = d.checked_add(time::Duration::days(days))?;
    Some(format_date(out))
}

/// Parses a strict `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<time::Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s.trim(), &fmt).ok()
}

pub fn format_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The UTC date of a unix timestamp, `YYYY-MM-DD`.
pub fn format_date_ts(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t).map(|d| format_date(d.date())).unwrap_or_default()
}

/// Parses a strict `HH:MM` time.
pub fn parse_time(s: &str) -> Option<(u8, u8)> {
    let (h, m) = s.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u8, u8) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_labels_round_trip() {
        for n in [-30, -7, -1, 0, 1, 14] {
            assert_eq!(parse_due_label(&due_label(n)), Some(n));
        }
        assert_eq!(due_label(0), "T-0d");
        assert_eq!(parse_due_label("T+0d"), Some(0));
        for bad in ["", "T", "T7d", "T-7", "-7d", "T-d", "T-7x", "T--7d", "T-99999d"] {
            assert_eq!(parse_due_label(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_are_strict_and_add_up() {
        assert_eq!(add_days("2026-03-01", -1).as_deref(), Some("2026-02-28"));
        assert_eq!(add_days("2024-03-01", -1).as_deref(), Some("2024-02-29"));
        assert_eq!(add_days("2026-12-31", 1).as_deref(), Some("2027-01-01"));
        assert!(parse_date("2026-02-30").is_none());
        assert!(parse_date("26-02-01").is_none());
        assert!(parse_date("tomorrow").is_none());
        assert_eq!(parse_time("09:30"), Some((9, 30)));
        assert_eq!(parse_time("24:00"), None);
        assert_eq!(parse_time("9:30"), None);
    }

    #[test]
    fn environment_kind_is_inferred() {
        assert_eq!(EnvKind::infer("Production"), EnvKind::Production);
        assert_eq!(EnvKind::infer("dev"), EnvKind::Dev);
        assert_eq!(EnvKind::infer("uat"), EnvKind::Staging);
    }

    #[test]
    fn item_change_json_shape() {
        let c: ItemChange = serde_json::from_str(r#"{"kind":"set_state","state":"not_applicable","reason":"no e-mail"}"#).unwrap();
        assert_eq!(c, ItemChange::SetState { state: ItemState::NotApplicable, reason: "no e-mail".into() });
    }
}

/// Where a check run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Queued,
    Running,
    Passed,
    Failed,
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Passed => "passed",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        Some(match s {
            "queued" => RunStatus::Queued,
            "running" => RunStatus::Running,
            "passed" => RunStatus::Passed,
            "failed" => RunStatus::Failed,
            "interrupted" => RunStatus::Interrupted,
            _ => return None,
        })
    }

    pub fn is_finished(self) -> bool {
        matches!(self, RunStatus::Passed | RunStatus::Failed | RunStatus::Interrupted)
    }
}

/// Where a run ended up, in words for people (the API's `status` keeps its older values:
/// `passed`/`failed` say whether error findings were found, or that the run could not run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Queued,
    Running,
    /// It looked at the site; findings or not.
    Completed,
    /// It could not complete (site unreachable, bad settings).
    Failed,
    /// The server stopped while it ran.
    Interrupted,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Queued => "queued",
            RunState::Running => "running",
            RunState::Completed => "completed",
            RunState::Failed => "failed",
            RunState::Interrupted => "interrupted",
        }
    }

    /// The state of a run with `status` and `error` (the reason it could not complete).
    pub fn of(status: RunStatus, error: &str) -> RunState {
        match status {
            RunStatus::Queued => RunState::Queued,
            RunStatus::Running => RunState::Running,
            RunStatus::Interrupted => RunState::Interrupted,
            RunStatus::Passed | RunStatus::Failed if error.is_empty() => RunState::Completed,
            RunStatus::Passed | RunStatus::Failed => RunState::Failed,
        }
    }
}

/// "completed — 27 errors", "failed: site unreachable", "interrupted".
pub fn run_label(state: RunState, errors: i64, warnings: i64, error: &str) -> String {
    let plural = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match state {
        RunState::Queued => "queued".into(),
        RunState::Running => "running".into(),
        RunState::Interrupted => "interrupted".into(),
        RunState::Failed => format!("failed: {}", error.trim_end_matches('.')),
        RunState::Completed if errors > 0 => {
            format!("completed — {}", plural(errors, "error", "errors"))
        }
        RunState::Completed if warnings > 0 => format!("completed — no errors, {}", plural(warnings, "warning", "warnings")),
        RunState::Completed => "completed — no errors".into(),
    }
}

impl RunSummary {
    /// The CSS class of its status badge: completed runs are green without errors and amber
    /// with them; runs that could not complete are red.
    pub fn badge_class(&self) -> String {
        match (self.state, self.errors) {
            (RunState::Completed, 0) => "status status-passed".into(),
            (RunState::Completed, _) => "status status-completed-errors".into(),
            (s, _) => format!("status status-{}", s.as_str()),
        }
    }
}

/// A check's verdict in one run (the engine's statuses, in a type the browser can use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Passed,
    Failed,
    NotApplicable,
    Skipped,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Passed => "passed",
            CheckStatus::Failed => "failed",
            CheckStatus::NotApplicable => "not_applicable",
            CheckStatus::Skipped => "skipped",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CheckStatus::Passed => "passed",
            CheckStatus::Failed => "failed",
            CheckStatus::NotApplicable => "not applicable",
            CheckStatus::Skipped => "skipped",
        }
    }
}

/// One check's outcome in a run, as the run page and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub status: CheckStatus,
    /// Why it did not apply or was skipped (or how far a partial look went).
    pub reason: String,
    /// The catalogue's title.
    #[serde(default)]
    pub title: String,
    /// Findings of this check in the run.
    #[serde(default)]
    pub findings: i64,
}

/// A check run as lists and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: i64,
    pub project_id: i64,
    pub environment: String,
    pub env_kind: String,
    pub base_url: String,
    pub status: RunStatus,
    pub requested_by: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub progress_phase: String,
    pub progress_done: i64,
    pub progress_total: i64,
    pub pages_crawled: i64,
    pub errors: i64,
    pub warnings: i64,
    pub infos: i64,
    /// Why a run could not run at all (bad URL…), or was interrupted.
    pub error: String,
    /// Where it ended up, for people: completed (whatever it found), failed (could not
    /// complete), interrupted — or still queued/running.
    pub state: RunState,
    /// `completed — 27 errors`, `failed: site unreachable`…
    pub label: String,
}

/// A finding as stored; the same shape as the CLI's JSON findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingView {
    pub check: String,
    pub severity: String,
    pub url: String,
    pub message: String,
    pub evidence: String,
    pub advice: String,
    /// The check's title from the catalogue.
    #[serde(default)]
    pub title: String,
}

/// What changed since the previous finished run of the same environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunComparison {
    pub previous_run_id: i64,
    pub new: Vec<FindingView>,
    pub fixed: Vec<FindingView>,
    pub unchanged: usize,
}

/// A run with its findings, for the run page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunDetail {
    pub run: RunSummary,
    pub project_name: String,
    pub findings: Vec<FindingView>,
    pub checks_run: Vec<String>,
    /// Every check's outcome (runs from before outcomes were recorded derive them).
    pub checks: Vec<CheckResult>,
    pub comparison: Option<RunComparison>,
}

/// Evidence for one check of a checklist item, from the latest finished run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckEvidence {
    pub check: String,
    /// True only when the check really looked and found nothing.
    pub passed: bool,
    pub status: CheckStatus,
    /// Why it was not checked (not applicable or skipped).
    #[serde(default)]
    pub reason: String,
    pub findings: i64,
    pub run_id: i64,
    pub environment: String,
    /// `dev`, `staging` or `production`: the kind the run checked.
    #[serde(default)]
    pub env_kind: String,
    pub finished_at: i64,
    /// Why this evidence no longer counts for the one-click tick ("deployed after this run",
    /// "older than 7 days"); `None` while fresh.
    #[serde(default)]
    pub stale: Option<String>,
}

/// A live update for everyone viewing a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveUpdate {
    Item {
        item: ChecklistItem,
    },
    Run {
        run: RunSummary,
    },
    /// A client reviewed a screenshot through a share link.
    Review {
        review: Review,
    },
}

/// One page seen at one viewport in a run (its image is at `/screenshots/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenshotView {
    pub id: i64,
    pub run_id: i64,
    pub url: String,
    pub final_url: String,
    pub viewport: String,
    /// Device pixels.
    pub width: i64,
    pub height: i64,
    /// The page's height in CSS pixels (the screenshot may stop earlier).
    pub page_height: i64,
    pub load_ms: i64,
    pub overflow_px: i64,
    /// Console errors and warnings, uncaught exceptions, failed requests.
    pub console: Vec<String>,
    /// Check ids with findings on this shot.
    pub problems: Vec<String>,
    pub has_thumbnail: bool,
    /// The same page and viewport in the previous finished run of the environment.
    pub previous: Option<i64>,
    /// The client's latest review of this screenshot.
    #[serde(default)]
    pub review: Option<Review>,
}

/// A run's screenshots and what the gallery says about its viewports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gallery {
    pub shots: Vec<ScreenshotView>,
    /// Viewport names in the order to show them, with labels and emulation notes.
    pub viewports: Vec<ViewportInfo>,
    pub previous_run_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewportInfo {
    pub name: String,
    pub label: String,
    pub note: Option<String>,
}

/// A visual diff of one page and viewport between two runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffView {
    pub before: ScreenshotView,
    pub after: ScreenshotView,
    /// Share of pixels changed, in parts per million (10,000 ppm = 1 %).
    pub changed_ppm: i64,
    pub project_id: i64,
    pub project_name: String,
}

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
}

/// A launch sign-off: who, when, and what stood at that moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOff {
    pub id: i64,
    pub signed_by: String,
    pub at: i64,
    pub snapshot: serde_json::Value,
}

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
