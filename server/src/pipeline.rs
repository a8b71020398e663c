//! The one check pipeline, used by `preflight check` and by the runner alike: the crawl and
//! HTTP checks, then the browser checks on the pages the crawl found, within one deadline.

use std::time::Instant;

use preflight_browser::{BrowserEvent, BrowserSettings, Capture};
use preflight_engine::{CheckConfig, Finding, Progress, Report};

/// What the browser stage of a run does.
pub enum BrowserPlan {
    /// Not part of this run: the report covers the HTTP checks only (`preflight check`
    /// without `--browser`).
    Skip,
    /// Part of the run but not run, for this reason: every browser check is reported as
    /// skipped.
    NotRun(String),
    /// Part of the run but failed before it could start (no browser, bad settings): a
    /// `browser-check-failed` finding says why, and every browser check is skipped.
    Failed(String),
    /// Not applicable to this run (the project chose no viewports), for this reason.
    NotApplicable(String),
    /// Open up to `max_pages` of the crawled pages in every viewport of `settings`.
    Run { settings: Box<BrowserSettings>, max_pages: usize },
}

/// A finished pipeline: the report, and why the browser stage failed when it could not start
/// (the report then lacks the browser checks; the caller decides how that shows).
pub struct Outcome {
    pub report: Report,
    pub browser_error: Option<String>,
}

/// Runs the checks. `progress` hears both stages (the browser's as phase `browser`);
/// `on_capture` gets each screenshot as it is taken. The engine's deadline
/// (`config.limits.deadline`) bounds the whole run, the browser stage included.
pub async fn run(
    config: &CheckConfig,
    plan: BrowserPlan,
    progress: &(impl Fn(Progress) + Send + Sync),
    mut on_capture: impl FnMut(Capture) + Send,
) -> Result<Outcome, preflight_engine::EngineError> {
    let started = Instant::now();
    let mut report = preflight_engine::run(config, progress).await?;
    let mut browser_error = None;
    // A site that refused the connection is not opened in a browser either.
    let plan = match (preflight_browser::site_refused(&report), plan) {
        (Some(why), BrowserPlan::NotRun(_) | BrowserPlan::Failed(_) | BrowserPlan::Run { .. }) => BrowserPlan::NotRun(why),
        (_, plan) => plan,
    };
    match plan {
        BrowserPlan::Skip => {}
        BrowserPlan::NotApplicable(reason) => {
            let mut off = preflight_engine::Coverage::default();
            off.not_applicable(&preflight_browser::all_checks(), &reason);
            report.add_coverage(off);
        }
        BrowserPlan::NotRun(reason) => preflight_browser::not_run(&mut report, &reason, None),
        BrowserPlan::Failed(why) => browser_failed(&mut report, &why),
        BrowserPlan::Run { mut settings, max_pages } => {
            settings.deadline = Some(started + config.limits.deadline);
            let t0 = Instant::now();
            let outcome = preflight_browser::run_after_http(*settings, &mut report, max_pages, |ev| match ev {
                BrowserEvent::Captured(c) => on_capture(*c),
                BrowserEvent::Progress { done, total } => progress(Progress { phase: "browser", done, total }),
            })
            .await;
            report.duration_ms += t0.elapsed().as_millis() as u64;
            browser_error = outcome.err().map(|e| e.to_string());
        }
    }
    Ok(Outcome { report, browser_error })
}

/// Records that the browser checks could not run because of `why` (a `browser-check-failed`
/// finding, every browser check not run).
pub fn browser_failed(report: &mut Report, why: &str) {
    let finding = Finding::new("browser-check-failed", report.final_url.clone(), "The browser checks could not run", why.to_string());
    preflight_browser::not_run(report, &format!("browser unavailable: {why}"), Some(finding));
}
