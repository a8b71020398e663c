//! Preflight's browser checks: screenshots across viewports, console errors, failed
//! requests, layout overflow, the old-IE checks and test form submissions, driven through
//! the Chrome DevTools protocol (`headless_chrome`) against the system Chromium or a remote
//! DevTools endpoint.
//!
//! `headless_chrome` blocks, so a run gets its own threads (never the async workers): one
//! coordinator that owns the browser and enforces a hard deadline on every step, and a
//! bounded number of workers, each driving one tab. A page that stops the browser from
//! answering (endless script, wedged renderer) becomes a finding; the browser is killed
//! and started again and the other pages carry on.

pub mod a11y;
pub mod capture;
pub mod chromium;
mod direct;
pub mod es5;
pub mod forms;
pub mod guard;
mod look;
pub mod pdf;
pub mod pool;
pub mod quality;
mod session;
pub mod viewport;

use std::{path::PathBuf, time::Duration};

use preflight_engine::{config::ResolveOverride, Coverage, EnvProfile, Finding};
use serde::{Deserialize, Serialize};
use url::Url;

pub use viewport::Viewport;

/// The browser checks that look at every opened page.
pub const BROWSER_CHECKS: &[&str] = &[
    "console-error",
    "uncaught-exception",
    "failed-request",
    "horizontal-overflow",
    "page-load-timeout",
    "script-hang",
    "renderer-crash",
    "javascript-dialog",
    "popup-opened",
    "download-on-visit",
    "analytics-not-running",
    "perf-budget-exceeded",
    "render-blocking-resource",
    "image-oversized",
    "image-not-modern",
    "font-display-missing",
    "viewport-meta-missing",
    "tap-target-small",
    "text-too-small",
];
/// Checks that run when a viewport emulates old Internet Explorer.
pub const OLD_IE_CHECKS: &[&str] = &["old-ie-unsupported", "old-ie-syntax"];
/// Checks of test form submissions.
pub const FORM_CHECKS: &[&str] = &["form-submit-error", "form-error-message-missing", "form-unicode-mangled", "form-reflects-markup", "form-no-effect"];

/// A run that could not start, or a browser that could not be started again.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("{0}")]
    NoBrowser(String),
    #[error("{0}")]
    Launch(String),
    #[error("browser: {0}")]
    Protocol(String),
    #[error("the browser checks were cancelled")]
    Cancelled,
}

/// Which browser to drive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// Start the system Chromium (`None`: found at the usual places, see [`chromium::find`]).
    Local { chromium: Option<PathBuf> },
    /// A browser already running elsewhere: its DevTools websocket,
    /// `ws://HOST:PORT/devtools/browser/ID` (see `http://HOST:PORT/json/version`).
    Remote { ws_url: String },
    /// Several browsers running elsewhere (`--browser-ws` more than once): each browser session
    /// goes to the one with the fewest sessions; one that does not answer is skipped and tried
    /// again later, and the pages a dying browser was on are carried on by another (see
    /// [`pool`]).
    Pool { ws_urls: Vec<String> },
}

impl Endpoint {
    /// The endpoint for the given DevTools websockets: none, the local Chromium at `chromium`;
    /// one, that browser; more, a pool of them.
    pub fn from_ws_urls(mut ws_urls: Vec<String>, chromium: Option<PathBuf>) -> Endpoint {
        let mut seen = std::collections::HashSet::new();
        ws_urls.retain(|u| seen.insert(u.clone()));
        match ws_urls.len() {
            0 => Endpoint::Local { chromium },
            1 => Endpoint::Remote { ws_url: ws_urls.remove(0) },
            _ => Endpoint::Pool { ws_urls },
        }
    }
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint::Local { chromium: None }
    }
}

/// When test form submissions are made.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FormPolicy {
    /// Submit the forms found on the checked pages (password and payment forms excepted).
    pub submit_found: bool,
    /// Forms submitted whatever the environment, even with password or payment fields: a page
    /// URL (every form on it), or `PAGE-URL#FORM-ID`.
    pub listed: Vec<String>,
}

impl FormPolicy {
    /// The default for an environment: on for dev and staging, off for production.
    pub fn for_env(env: EnvProfile) -> FormPolicy {
        FormPolicy { submit_found: !env.is_production(), listed: Vec::new() }
    }

    /// Whether the listing names this form.
    pub fn lists(&self, page: &Url, form_id: &str) -> bool {
        self.listed.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).any(|entry| {
            let (target, id) = match entry.rsplit_once('#') {
                Some((t, id)) => (t, Some(id)),
                None => (entry, None),
            };
            let page_matches = match Url::parse(target).or_else(|_| page.join(target)) {
                Ok(u) => u.path() == page.path() && u.query() == page.query() && u.host_str() == page.host_str(),
                Err(_) => false,
            };
            page_matches && id.is_none_or(|id| id == form_id)
        })
    }
}

/// Everything the browser part of a run needs.
#[derive(Debug, Clone)]
pub struct BrowserSettings {
    pub endpoint: Endpoint,
    pub viewports: Vec<Viewport>,
    pub env: EnvProfile,
    /// Tabs driven at once (each on its own thread).
    pub concurrency: usize,
    /// How long a page may take to fire its load event.
    pub load_timeout: Duration,
    /// Hard limit on one page × viewport (or one form) before the browser is restarted.
    pub step_deadline: Duration,
    /// Full-page screenshots stop at this many CSS pixels.
    pub max_screenshot_height: u32,
    /// Where screenshots are written; `None`: pages are checked without screenshots.
    pub screenshot_dir: Option<PathBuf>,
    /// Also write a small JPEG of the first screen next to each screenshot.
    pub thumbnails: bool,
    pub forms: FormPolicy,
    /// The performance budgets every page is held to at every viewport.
    pub budgets: quality::Budgets,
    /// Load the phone and tablet viewports as a mid-range phone on a slow network (CPU 4×
    /// slower, 150 ms round trips, 1.6 Mbit/s): their timings then say what phone users see.
    pub throttle_mobile: bool,
    /// The accessibility checks (axe-core) on every page and viewport; `None`: not run.
    pub a11y: Option<a11y::A11yPolicy>,
    /// Parts of pages masked before each screenshot (carousels, dates): see
    /// [`preflight_model::IgnoreRegion`].
    pub ignore_regions: Vec<preflight_model::IgnoreRegion>,
    /// `host:port` → address overrides (a local browser only).
    pub resolve: Vec<ResolveOverride>,
    /// The words that mark a dev site (a regular expression, case-insensitive): see
    /// [`preflight_engine::checks::dev_marker_pattern`].
    pub dev_marker: String,
    /// A protected site's credentials and the site they belong to: given only to requests to
    /// that site's origins.
    pub credentials: Option<(preflight_engine::Credentials, Url)>,
    /// Let the browser reach cloud metadata addresses (`--allow-metadata`). Off: every request
    /// a local browser makes goes through [`guard`], which refuses them like the crawler does.
    pub allow_metadata: bool,
    /// Addresses the guard refuses as if they were metadata addresses (the policy's test hook).
    pub refuse_also: Vec<std::net::IpAddr>,
    /// When the whole run must be over (the run's `--deadline`, counted from its start): steps
    /// not done by then are stopped and reported as skipped (`crawl-incomplete`).
    pub deadline: Option<std::time::Instant>,
}

pub const DEFAULT_LOAD_TIMEOUT: Duration = Duration::from_secs(15);
pub const DEFAULT_STEP_DEADLINE: Duration = Duration::from_secs(40);
pub const DEFAULT_MAX_SCREENSHOT_HEIGHT: u32 = 5000;
pub const DEFAULT_CONCURRENCY: usize = 2;
impl BrowserSettings {
    pub fn new(env: EnvProfile) -> BrowserSettings {
        BrowserSettings {
            endpoint: Endpoint::default(),
            viewports: viewport::defaults(),
            env,
            concurrency: DEFAULT_CONCURRENCY,
            load_timeout: DEFAULT_LOAD_TIMEOUT,
            step_deadline: DEFAULT_STEP_DEADLINE,
            max_screenshot_height: DEFAULT_MAX_SCREENSHOT_HEIGHT,
            screenshot_dir: None,
            thumbnails: false,
            forms: FormPolicy::for_env(env),
            a11y: Some(a11y::A11yPolicy::default()),
            budgets: quality::Budgets::default(),
            throttle_mobile: false,
            ignore_regions: Vec::new(),
            resolve: Vec::new(),
            dev_marker: preflight_engine::checks::dev_marker_pattern(&[]),
            credentials: None,
            allow_metadata: false,
            refuse_also: Vec::new(),
            deadline: None,
        }
    }
}

/// One page seen at one viewport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capture {
    pub url: String,
    /// Where the browser ended up (after redirects).
    pub final_url: String,
    pub viewport: String,
    /// The PNG, when screenshots are written.
    pub path: Option<PathBuf>,
    pub thumbnail: Option<PathBuf>,
    /// Screenshot size in device pixels (0 without a screenshot).
    pub width: u32,
    pub height: u32,
    /// The page's full height in CSS pixels (the screenshot may stop earlier).
    pub page_height: u32,
    pub load_ms: u64,
    /// Console errors and warnings, uncaught exceptions and failed requests, as shown to people.
    pub console: Vec<String>,
    /// How far content reaches past the viewport's right edge, in CSS pixels.
    pub overflow_px: u32,
    /// Check ids with findings on this capture.
    pub problems: Vec<String>,
    /// The page's `<title>` as the browser saw it.
    #[serde(default)]
    pub title: String,
    /// The accessibility rules that failed here, with their elements.
    #[serde(default)]
    pub a11y: Vec<a11y::A11yIssue>,
    /// Why the accessibility checks could not look at this page (`None`: they did, or they
    /// were not asked to).
    #[serde(default)]
    pub a11y_error: Option<String>,
    /// Timing and transfer as the browser measured them (`None`: the page did not answer).
    #[serde(default)]
    pub metrics: Option<quality::PageMetrics>,
}

/// What the browser part of a run found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub captures: Vec<Capture>,
    /// What each browser check could look at.
    pub coverage: Coverage,
    /// Forms submitted (each with up to three kinds of data).
    pub forms_tested: usize,
    /// Times the browser was restarted because it stopped answering.
    pub restarts: usize,
}

impl Outcome {
    /// Adds the findings, checks and screenshots to the HTTP checks' report.
    pub fn merge_into(self, report: &mut preflight_engine::Report) {
        report.findings.extend(self.findings);
        report.findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.check.cmp(&b.check)).then_with(|| a.url.cmp(&b.url)));
        report.add_coverage(self.coverage);
        report.screenshots.extend(self.captures.into_iter().filter_map(|c| {
            Some(preflight_engine::report::Screenshot {
                url: c.url,
                viewport: c.viewport,
                path: c.path?.display().to_string(),
                width: c.width,
                height: c.height,
            })
        }));
    }
}

/// Every browser check, for runs whose browser part could not happen at all.
pub fn all_checks() -> Vec<&'static str> {
    preflight_engine::CATALOGUE.iter().filter(|c| c.category == preflight_engine::Category::Browser).map(|c| c.id).collect()
}

/// Marks the browser part of `report` as not done, with the reason (`browser-check-failed`
/// fails when `failed_finding` is given: a browser that should have run but could not).
pub fn not_run(report: &mut preflight_engine::Report, reason: &str, failed_finding: Option<Finding>) {
    let mut c = Coverage::default();
    c.skipped(&all_checks(), reason);
    if let Some(f) = failed_finding {
        report.findings.push(f);
        c.looked(&["browser-check-failed"]);
    }
    report.add_coverage(c);
}

/// Progress reported while the run goes on.
#[derive(Debug, Clone)]
pub enum BrowserEvent {
    Captured(Box<Capture>),
    Progress { done: usize, total: usize },
}

/// Looks at `pages` at every viewport (and submits their forms when allowed). Fails only
/// when no browser can be started at all; everything else is a finding.
pub async fn run(settings: BrowserSettings, pages: Vec<Url>, mut on_event: impl FnMut(BrowserEvent) + Send) -> Result<Outcome, BrowserError> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("preflight-browser".into())
        .spawn(move || {
            let result = session::run_blocking(settings, pages, tx);
            let _ = done_tx.send(result);
        })
        .map_err(|e| BrowserError::Launch(format!("cannot start the browser thread: {e}")))?;
    while let Some(ev) = rx.recv().await {
        on_event(ev);
    }
    done_rx.await.unwrap_or(Err(BrowserError::Cancelled))
}

/// Nothing answered at the site's address (refused, no such host): the browser checks can only
/// say "site unreachable" — in the HTTP checks' words, so one cause reads as one reason —
/// whatever else would stop them.
pub fn site_refused(report: &preflight_engine::Report) -> Option<String> {
    let refused = !report.reachable && report.check("unreachable").is_some_and(|c| c.status == preflight_engine::CheckStatus::Failed);
    refused.then(|| {
        report
            .checks
            .iter()
            .find(|c| c.status == preflight_engine::CheckStatus::Skipped && c.reason.starts_with("site unreachable"))
            .map(|c| c.reason.clone())
            .unwrap_or_else(|| "site unreachable".into())
    })
}

/// The browser part of a run, after the HTTP checks: opens up to `max_pages` of the pages the
/// crawl found (the start page when it found none) and adds the findings, screenshots and
/// check outcomes to `report`. A site that refused the connection is not opened at all: its
/// browser checks are skipped. `Err` only when no browser could be started.
pub async fn run_after_http(
    settings: BrowserSettings,
    report: &mut preflight_engine::Report,
    max_pages: usize,
    on_event: impl FnMut(BrowserEvent) + Send,
) -> Result<(), BrowserError> {
    // Nothing answers at all: opening it in a browser could only fail the same way. (A start
    // page that was too slow or redirected in a loop is still opened: the browser's view of
    // it — a page that never loads — is evidence too.)
    if let Some(why) = site_refused(report) {
        not_run(report, &why, None);
        return Ok(());
    }
    let mut pages: Vec<Url> = report.pages.iter().filter_map(|p| Url::parse(p).ok()).take(max_pages).collect();
    if pages.is_empty() {
        pages.extend(Url::parse(&report.final_url).ok());
    }
    let outcome = run(settings, pages, on_event).await?;
    outcome.merge_into(report);
    Ok(())
}

/// Checks a browser can be found or reached, without starting it (for a fast, clear error
/// before a long run).
pub fn preflight(endpoint: &Endpoint) -> Result<(), BrowserError> {
    match endpoint {
        Endpoint::Local { chromium } => chromium::find(chromium.as_deref()).map(|_| ()),
        Endpoint::Remote { ws_url } => devtools_url(ws_url),
        Endpoint::Pool { ws_urls } => ws_urls.iter().try_for_each(|u| devtools_url(u)),
    }
}

fn devtools_url(ws_url: &str) -> Result<(), BrowserError> {
    if ws_url.starts_with("ws://") || ws_url.starts_with("wss://") {
        Ok(())
    } else {
        Err(BrowserError::NoBrowser(format!(
            "\"{ws_url}\" is not a DevTools websocket URL; it looks like ws://HOST:PORT/devtools/browser/ID (see http://HOST:PORT/json/version)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_policy_defaults_follow_the_environment() {
        assert!(FormPolicy::for_env(EnvProfile::Dev).submit_found);
        assert!(FormPolicy::for_env(EnvProfile::Staging).submit_found);
        assert!(!FormPolicy::for_env(EnvProfile::Production).submit_found);
    }

    #[test]
    fn listed_forms_match_by_page_and_id() {
        let page = Url::parse("https://shop.example/contact?x=1").unwrap();
        let p = FormPolicy { submit_found: false, listed: vec!["/contact?x=1#enquiry".into(), "https://shop.example/login".into()] };
        assert!(p.lists(&page, "enquiry"));
        assert!(!p.lists(&page, "newsletter"));
        assert!(p.lists(&Url::parse("https://shop.example/login").unwrap(), "anything"));
        assert!(!p.lists(&Url::parse("https://other.example/login").unwrap(), ""));
    }

    #[test]
    fn remote_endpoints_must_be_websockets() {
        assert!(preflight(&Endpoint::Remote { ws_url: "ws://10.0.0.5:9222/devtools/browser/abc".into() }).is_ok());
        let e = preflight(&Endpoint::Remote { ws_url: "http://10.0.0.5:9222".into() }).unwrap_err().to_string();
        assert!(e.contains("json/version"), "{e}");
    }
}
