//! Check runs: status, results, findings, comparisons, screenshots and live updates.

use serde::{Deserialize, Serialize};

use crate::{ChecklistItem, Review};

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

/// What started a run: a person (or an API client) asking for it, a recorded deploy, or a
/// schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, Default)]
#[serde(rename_all = "snake_case")]
pub enum RunCause {
    #[default]
    Manual,
    Deploy,
    Schedule,
}

impl RunCause {
    pub fn as_str(self) -> &'static str {
        match self {
            RunCause::Manual => "manual",
            RunCause::Deploy => "deploy",
            RunCause::Schedule => "schedule",
        }
    }

    pub fn parse(s: &str) -> Option<RunCause> {
        Some(match s {
            "manual" => RunCause::Manual,
            "deploy" => RunCause::Deploy,
            "schedule" => RunCause::Schedule,
            _ => return None,
        })
    }
}

/// The latest deploy of a run's environment when the run was queued: the run checked what
/// that deploy put there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRef {
    pub id: i64,
    pub revision: String,
    pub at: i64,
    /// `abc1234`, `v2.3.1` or `#12`: see [`crate::short_revision`].
    pub short: String,
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

    fn scheduled(&self) -> &'static str {
        if self.light {
            "scheduled, light"
        } else {
            "scheduled"
        }
    }

    /// Where the run came from, for people: `started by deploy abc1234`, `scheduled, after
    /// deploy abc1234`, `after deploy abc1234`, `scheduled` — or `None` for a run someone
    /// started before any deploy was recorded.
    pub fn origin(&self) -> Option<String> {
        let deploy = self.deploy.as_ref().map(|d| d.short.as_str());
        match (self.cause, deploy) {
            (RunCause::Deploy, Some(d)) => Some(format!("started by deploy {d}")),
            (RunCause::Schedule, Some(d)) => Some(format!("{}, after deploy {d}", self.scheduled())),
            (RunCause::Schedule, None) => Some(self.scheduled().into()),
            (_, Some(d)) => Some(format!("after deploy {d}")),
            (_, None) => None,
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
    /// What started it.
    #[serde(default)]
    pub cause: RunCause,
    /// The environment's latest deploy when the run was queued ("after deploy abc1234").
    #[serde(default)]
    pub deploy: Option<DeployRef>,
    /// A light scheduled run: HTTP checks only, with a page budget.
    #[serde(default)]
    pub light: bool,
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
    /// The deploy the run checked, short (`abc1234`): "after deploy abc1234".
    #[serde(default)]
    pub after_deploy: Option<String>,
}

/// A live update for everyone viewing a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[serde(try_from = "LiveUpdateWire")]
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
    /// A person's notification centre changed (on the per-person stream only).
    Notification {
        user_id: i64,
        unread: i64,
        #[serde(default)]
        latest: Option<crate::NotificationView>,
    },
}

/// [`LiveUpdate`]'s JSON read as one flat object (see `UpdateOutcomeWire`: serde's reading of
/// internally tagged enums doubled the deserializers in the web app).
#[derive(Deserialize)]
struct LiveUpdateWire {
    kind: String,
    item: Option<ChecklistItem>,
    run: Option<RunSummary>,
    review: Option<Review>,
    user_id: Option<i64>,
    unread: Option<i64>,
    #[serde(default)]
    latest: Option<crate::NotificationView>,
}

impl TryFrom<LiveUpdateWire> for LiveUpdate {
    type Error = String;

    fn try_from(w: LiveUpdateWire) -> Result<Self, String> {
        let missing = |field: &str| format!("missing field `{field}`");
        Ok(match w.kind.as_str() {
            "item" => LiveUpdate::Item { item: w.item.ok_or_else(|| missing("item"))? },
            "run" => LiveUpdate::Run { run: w.run.ok_or_else(|| missing("run"))? },
            "review" => LiveUpdate::Review { review: w.review.ok_or_else(|| missing("review"))? },
            "notification" => LiveUpdate::Notification {
                user_id: w.user_id.ok_or_else(|| missing("user_id"))?,
                unread: w.unread.ok_or_else(|| missing("unread"))?,
                latest: w.latest,
            },
            other => return Err(format!("unknown kind `{other}`")),
        })
    }
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
    /// The screenshot this one is compared with: the same page and viewport in the
    /// environment's baseline run, or else its previous finished run.
    pub previous: Option<i64>,
    /// The client's latest review of this screenshot.
    #[serde(default)]
    pub review: Option<Review>,
    /// The share of pixels that differ from `previous`, in parts per million (10,000 = 1 %);
    /// `None`: not compared (nothing to compare with, or scored before comparisons existed).
    #[serde(default)]
    pub change_ppm: Option<i64>,
    /// The team's latest review of this screenshot (approve / request changes).
    #[serde(default)]
    pub team_review: Option<Review>,
    /// The page's `<title>` ("" when it has none, or for screenshots from before titles were kept).
    #[serde(default)]
    pub title: String,
}

/// How a screenshot stands against the one it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShotChange {
    /// The run it is compared with has no such page and viewport.
    New,
    /// Not a pixel beyond anti-aliasing noise differs.
    Unchanged,
    /// This many parts per million of the pixels differ.
    Changed(i64),
    /// There is nothing to compare with (the environment's first run with screenshots), or
    /// the comparison could not be made.
    NotCompared,
}

impl ShotChange {
    pub fn is_changed(self) -> bool {
        matches!(self, ShotChange::Changed(_) | ShotChange::New)
    }

    /// "3.40 % changed", "unchanged", "new page", "not compared".
    pub fn label(self) -> String {
        match self {
            ShotChange::New => "new page".into(),
            ShotChange::Unchanged => "unchanged".into(),
            ShotChange::Changed(ppm) => format!("{} changed", percent(ppm)),
            ShotChange::NotCompared => "not compared".into(),
        }
    }
}

/// Parts per million as a person reads them: "12 %", "3.40 %", "< 0.01 %".
pub fn percent(ppm: i64) -> String {
    let pct = ppm as f64 / 10_000.0;
    if ppm <= 0 {
        "0 %".into()
    } else if pct < 0.01 {
        "< 0.01 %".into()
    } else if pct >= 10.0 {
        format!("{pct:.0} %")
    } else {
        format!("{pct:.2} %")
    }
}

/// A viewport named for a client: "Desktop", "Old Internet Explorer (emulated)", "iPad",
/// "Phone"; a project's own viewports keep their name.
pub fn viewport_for_people(name: &str) -> String {
    match name {
        "desktop" => "Desktop".into(),
        "old-ie" => "Old Internet Explorer (emulated)".into(),
        "ipad" => "iPad".into(),
        "phone" => "Phone".into(),
        other => {
            let mut c = other.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        }
    }
}

/// A run's screenshots and what the gallery says about its viewports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gallery {
    pub shots: Vec<ScreenshotView>,
    /// Viewport names in the order to show them, with labels and emulation notes.
    pub viewports: Vec<ViewportInfo>,
    /// The run these screenshots are compared with (the baseline, or the previous run).
    pub previous_run_id: Option<i64>,
    /// The environment's accepted baseline run, if the team set one.
    #[serde(default)]
    pub baseline_run_id: Option<i64>,
    /// Pages and viewports of the compared run that this (finished) run no longer has.
    #[serde(default)]
    pub gone: Vec<ScreenshotView>,
    /// The run is still going: more screenshots may come.
    #[serde(default)]
    pub running: bool,
}

impl Gallery {
    /// How `shot` stands against the screenshot it is compared with.
    pub fn change_of(&self, shot: &ScreenshotView) -> ShotChange {
        match (shot.previous, shot.change_ppm) {
            (Some(_), Some(0)) => ShotChange::Unchanged,
            (Some(_), Some(ppm)) => ShotChange::Changed(ppm),
            (Some(_), None) => ShotChange::NotCompared,
            (None, _) if self.previous_run_id.is_some() => ShotChange::New,
            (None, _) => ShotChange::NotCompared,
        }
    }

    /// Changed and new screenshots, pages in crawl order and viewports in gallery order: the
    /// order the compare view steps through.
    pub fn changed_order(&self) -> Vec<&ScreenshotView> {
        let mut out: Vec<&ScreenshotView> = self.shots.iter().filter(|s| self.change_of(s).is_changed()).collect();
        let vp = |s: &ScreenshotView| self.viewports.iter().position(|v| v.name == s.viewport).unwrap_or(usize::MAX);
        let page = |s: &ScreenshotView| self.shots.iter().position(|o| o.url == s.url).unwrap_or(usize::MAX);
        out.sort_by_key(|s| (page(s), vp(s)));
        out
    }

    /// (changed, unchanged, new, not compared) counts.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut c = (0, 0, 0, 0);
        for s in &self.shots {
            match self.change_of(s) {
                ShotChange::Changed(_) => c.0 += 1,
                ShotChange::Unchanged => c.1 += 1,
                ShotChange::New => c.2 += 1,
                ShotChange::NotCompared => c.3 += 1,
            }
        }
        c
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewportInfo {
    pub name: String,
    pub label: String,
    pub note: Option<String>,
}

/// The run an environment's screenshots are compared with, as the team accepted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub environment: String,
    pub run_id: i64,
    pub set_by: String,
    pub set_at: i64,
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
    /// The run's changed screenshots that have an earlier one to compare with, in gallery
    /// order: the compare view's previous / next.
    #[serde(default)]
    pub steps: Vec<CompareStep>,
    /// The viewport as people call it ("Desktop (1440×900)").
    #[serde(default)]
    pub viewport_label: String,
}

/// One stop of the compare view's walk through a run's changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompareStep {
    pub before: i64,
    pub after: i64,
    pub url: String,
    pub viewport: String,
    pub change_ppm: Option<i64>,
}
