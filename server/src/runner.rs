//! The job runner: executes queued check runs with the engine, a bounded number at once,
//! streaming progress to the database and to everyone viewing the project.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use preflight_engine::{CheckConfig, EnvProfile, ResolveOverride};
use preflight_model::{FindingView, LiveUpdate};
use preflight_store::{runs, Store};
use tokio::sync::Semaphore;

use crate::pipeline::BrowserPlan;

/// Runs at once by default: each crawls with its own concurrency, on a 2-core machine.
pub const DEFAULT_MAX_RUNS: usize = 2;
/// Progress is written at most this often per run.
const PROGRESS_EVERY: Duration = Duration::from_millis(400);

/// Marks runs a previous process left running as interrupted, then starts the loop that
/// claims queued runs (woken by `state.run_queued`, and every few seconds regardless).
pub async fn start(state: Store, max_runs: usize, shutdown: shutdown::Signal) -> anyhow::Result<()> {
    start_with_browser(state, max_runs, None, shutdown).await
}

/// How runs use a browser: which one, and on how many of the crawled pages.
#[derive(Debug, Clone)]
pub struct BrowserRunner {
    pub endpoint: preflight_browser::Endpoint,
    pub max_pages: usize,
    pub concurrency: usize,
}

/// [`start`], with browser checks (screenshots go to `state.screenshots_dir`).
pub async fn start_with_browser(state: Store, max_runs: usize, browser: Option<BrowserRunner>, shutdown: shutdown::Signal) -> anyhow::Result<()> {
    if browser.is_some() {
        let cleaned = tokio::task::spawn_blocking(preflight_browser::chromium::clean_leftovers).await.unwrap_or(0);
        if cleaned > 0 {
            tracing::warn!("removed {cleaned} browser profile(s) left by a Preflight process that was killed");
        }
    }
    let browser = browser.map(Arc::new);
    // SQLite has one process, this one: whatever its last run left running was interrupted.
    // On PostgreSQL other processes may be working on runs right now; runs whose worker died
    // are taken back by the reaper below instead, once they are not heard of for a while.
    let shared = preflight_store::db::Backend::of(&state.pool) == preflight_store::db::Backend::Postgres;
    if !shared {
        let interrupted = runs::mark_interrupted(&state.pool).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        if !interrupted.is_empty() {
            tracing::warn!("{} check run(s) were interrupted by the last shutdown", interrupted.len());
        }
        remove_screenshots(&state, &interrupted);
    }
    let worker: Arc<str> = worker_id().into();
    tracing::info!(worker = %worker, "claiming check runs");
    // Only a shared database has other workers whose runs may need taking back.
    if shared {
        let (state, shutdown) = (state.clone(), shutdown.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(REAP_EVERY) => {}
                    _ = shutdown.wait() => return,
                }
                match runs::reap_stale(&state.pool).await {
                    Ok(r) => {
                        for id in r.requeued.iter().chain(&r.interrupted) {
                            publish(&state, *id).await;
                        }
                        if !r.requeued.is_empty() {
                            tracing::warn!(runs = ?r.requeued, "queued again: their worker stopped answering");
                            state.run_queued.notify_one();
                        }
                        if !r.interrupted.is_empty() {
                            tracing::warn!(runs = ?r.interrupted, "interrupted: their workers stopped answering, and they had been started before");
                        }
                        remove_screenshots(&state, &r.requeued);
                        remove_screenshots(&state, &r.interrupted);
                    }
                    Err(e) => tracing::error!(error = %e, "looking for runs whose worker died failed"),
                }
            }
        });
    }
    {
        let wake = state.run_queued.clone();
        let slots = Arc::new(Semaphore::new(max_runs.max(1)));
        tokio::spawn(async move {
            loop {
                let permit = tokio::select! {
                    p = slots.clone().acquire_owned() => p.expect("the semaphore is never closed"),
                    _ = shutdown.wait() => return,
                };
                match runs::claim_next(&state.pool, &worker).await {
                    Ok(Some(job)) => {
                        let (state, browser, worker) = (state.clone(), browser.clone(), worker.clone());
                        tokio::spawn(async move {
                            execute(&state, job, browser.as_deref(), &worker, shared).await;
                            drop(permit);
                        });
                    }
                    Ok(None) => {
                        drop(permit);
                        tokio::select! {
                            _ = wake.notified() => {}
                            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                            _ = shutdown.wait() => return,
                        }
                    }
                    Err(e) => {
                        drop(permit);
                        tracing::error!(error = %e, "claiming a run failed");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                }
            }
        });
    }
    Ok(())
}

/// Builds the engine's configuration for a run of a project's environment.
pub async fn config_for(state: &Store, job: &runs::RunJob) -> Result<CheckConfig, String> {
    let mut config = CheckConfig::new(&job.base_url).map_err(|e| e.to_string())?;
    config.env = EnvProfile::parse(&job.env_kind).unwrap_or(EnvProfile::Staging);
    let project = preflight_store::projects::get(&state.pool, job.project_id).await.map_err(|e| e.to_string())?;
    if let Some(ip) = job.resolve_ip.as_deref().and_then(|ip| ip.parse().ok()) {
        let host = config.start_url.host_str().unwrap_or("").to_string();
        let port = config.start_url.port_or_known_default().unwrap_or(80);
        let apex = host.trim_start_matches("www.").to_string();
        for h in [host.clone(), apex.clone(), format!("www.{apex}")] {
            config.resolve.push(ResolveOverride { host: h, port, addr: ip });
        }
    }
    // The postal address is checked line by line ("1 Garden Road", "Springfield"): pages lay it
    // out in many ways, but each line is on them.
    config.expected_contacts = project
        .contact_emails
        .iter()
        .chain(project.contact_phones.iter())
        .cloned()
        .chain(project.postal_address.lines().map(|l| l.trim().trim_end_matches(',').to_string()).filter(|l| !l.is_empty()))
        .collect();
    if let Some(env) = project.environments.iter().find(|e| e.id.is_some() && e.id == job.environment_id) {
        let s = &env.settings;
        config.old_urls = s.old_urls.clone();
        if let Some(n) = s.max_pages {
            config.limits.max_pages = n.clamp(1, 5000) as usize;
        }
        if let Some(n) = s.max_depth {
            config.limits.max_depth = n.clamp(0, 50) as usize;
        }
        if let Some(n) = s.deadline_secs {
            config.limits.deadline = std::time::Duration::from_secs(n.clamp(10, 3600) as u64);
        }
        config.check_external_links = s.check_external_links;
        config.dev_markers = s.dev_markers.clone();
        config.nameserver = s.nameserver.as_deref().and_then(preflight_store::projects::nameserver_addr);
        config.credentials = preflight_store::environments::credentials_for(&state.pool, &state.sealer, env.id.unwrap_or_default()).await?;
    }
    if let Some(budget) = job.page_budget.filter(|_| job.light != 0) {
        // A light scheduled run: its page budget, whatever the environment says.
        config.limits.max_pages = budget.clamp(1, 5000) as usize;
    }
    config.other_hosts = project
        .environments
        .iter()
        .filter(|e| !e.name.eq_ignore_ascii_case(&job.environment_name))
        .filter_map(|e| url::Url::parse(&e.base_url).ok()?.host_str().map(str::to_string))
        .collect();
    config.launch_date = Some(project.launch_date.clone());
    config.phone_region = Some(project.phone_region.clone()).filter(|r| !r.is_empty());
    config.analytics_ids = project.analytics_ids.clone();
    // A project that runs the old-IE viewport targets old Internet Explorer.
    config.old_ie = preflight_browser::viewport::parse_list(&project.viewports).is_ok_and(|v| v.iter().any(|v| v.name == "old-ie"));
    Ok(config)
}

/// How often each process looks for runs whose worker died.
const REAP_EVERY: Duration = Duration::from_secs(15);

/// This process's name as a worker: host, process id and a random part (a restarted process
/// on the same host is a new worker).
pub fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "host".into());
    format!("{host}:{}:{}", std::process::id(), &preflight_store::auth::new_secret()[..8])
}

/// A run's screenshots belong to no finished run once it is queued again or interrupted: gone
/// from disk (their rows went with the run's reset).
fn remove_screenshots(state: &Store, runs: &[i64]) {
    if let Some(dir) = &state.screenshots_dir {
        preflight_store::screenshots::remove_run_dirs(dir, runs);
    }
}

/// Works on a claimed run. On a `shared` database (other processes may take runs back) it
/// tells the database every few seconds that it still is, and stops at once when the run is
/// no longer this worker's (taken back after it was not heard of).
async fn execute(state: &Store, job: runs::RunJob, browser: Option<&BrowserRunner>, worker: &str, shared: bool) {
    let id = job.id;
    let lost = Arc::new(tokio::sync::Notify::new());
    let beat = shared.then(|| {
        let (pool, worker, lost) = (state.pool.clone(), worker.to_string(), lost.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(runs::HEARTBEAT_EVERY).await;
                match runs::heartbeat(&pool, id, &worker).await {
                    Ok(true) => {}
                    Ok(false) => return lost.notify_one(),
                    Err(e) => tracing::warn!(run = id, error = %e, "a heartbeat failed"),
                }
            }
        })
    });
    tokio::select! {
        _ = run_job(state, job, browser, worker) => {}
        _ = lost.notified() => tracing::warn!(run = id, "the run was taken back from this worker (not heard of in time); stopped working on it"),
    }
    if let Some(beat) = beat {
        beat.abort();
    }
}

async fn run_job(state: &Store, job: runs::RunJob, browser: Option<&BrowserRunner>, worker: &str) {
    let id = job.id;
    tracing::info!(run = id, url = %job.base_url, "check run started");
    publish(state, id).await;
    let config = match config_for(state, &job).await {
        Ok(c) => c,
        Err(e) => {
            let _ = runs::finish(state, id, worker, 0, &[], &[], &e).await;
            publish(state, id).await;
            return;
        }
    };
    // Progress: the engine calls back often; write and broadcast at most every 400 ms.
    let last = Arc::new(Mutex::new(Instant::now() - PROGRESS_EVERY));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<preflight_engine::Progress>(16);
    let progress = {
        let last = last.clone();
        move |p: preflight_engine::Progress| {
            let mut l = last.lock().unwrap_or_else(|e| e.into_inner());
            if l.elapsed() >= PROGRESS_EVERY {
                *l = Instant::now();
                let _ = tx.try_send(p);
            }
        }
    };
    let writer = {
        let (state, worker) = (state.clone(), worker.to_string());
        tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                let _ = runs::set_progress(&state.pool, id, &worker, p.phase, p.done as i64, p.total as i64).await;
                publish(&state, id).await;
            }
        })
    };
    let plan = browser_plan(state, &job, &config, browser).await;
    // Screenshots are recorded as they come, by a writer task (the callback cannot wait), so
    // the gallery fills in live.
    let (shots, shot_writer) = screenshot_writer(state, id);
    let result = crate::pipeline::run(&config, plan, &progress, |c| {
        let _ = shots.send(c);
    })
    .await
    .map(|mut o| {
        if let Some(why) = o.browser_error {
            crate::pipeline::browser_failed(&mut o.report, &why);
        }
        o.report
    });
    drop(shots);
    let _ = shot_writer.await;
    drop(progress);
    let _ = writer.await;
    let outcome = match result {
        Ok(report) => {
            let findings: Vec<FindingView> = report
                .findings
                .iter()
                .map(|f| FindingView {
                    check: f.check.clone(),
                    severity: f.severity.as_str().to_string(),
                    url: f.url.clone(),
                    message: f.message.clone(),
                    evidence: f.evidence.clone(),
                    advice: f.advice.clone(),
                    title: String::new(),
                })
                .collect();
            // A site that never answered is a run that could not complete, not a pass.
            let error = if report.reachable {
                String::new()
            } else {
                let why =
                    report.findings.iter().find(|f| matches!(f.check.as_str(), "unreachable" | "slow-response" | "redirect-loop")).map(|f| f.evidence.clone());
                format!("site unreachable{}", why.map(|w| format!(" ({w})")).unwrap_or_default())
            };
            runs::finish(state, id, worker, report.pages_crawled as i64, &report.checks, &findings, &error).await
        }
        Err(e) => runs::finish(state, id, worker, 0, &[], &[], &e.to_string()).await,
    };
    match outcome {
        Ok(status) => tracing::info!(run = id, status = status.as_str(), "check run finished"),
        Err(e) => tracing::error!(run = id, error = %e, "saving a run's results failed"),
    }
    publish(state, id).await;
}

/// The browser part of a run: every viewport of the project, with its form policy.
async fn browser_plan(state: &Store, job: &runs::RunJob, config: &CheckConfig, browser: Option<&BrowserRunner>) -> BrowserPlan {
    if job.light != 0 {
        return BrowserPlan::NotRun("a light scheduled run checks over HTTP only".into());
    }
    let Some(browser) = browser else {
        return BrowserPlan::NotRun("browser checks are turned off on this server (--no-browser)".into());
    };
    let Some(settings) = runs::browser_settings(&state.pool, job.id).await.ok().flatten() else {
        return BrowserPlan::NotRun("the run's project settings could not be read".into());
    };
    if settings.viewports.trim().is_empty() {
        return BrowserPlan::NotApplicable("browser checks are off for this project (no viewports chosen)".into());
    }
    let mut s = preflight_browser::BrowserSettings::new(config.env);
    s.dev_marker = preflight_engine::checks::dev_marker_pattern(&config.dev_markers);
    s.credentials = config.credentials.clone().map(|c| (c, config.start_url.clone()));
    s.endpoint = browser.endpoint.clone();
    s.concurrency = browser.concurrency;
    s.resolve = config.resolve.clone();
    s.viewports = match preflight_browser::viewport::parse_list(&settings.viewports) {
        Ok(v) => v,
        Err(e) => return BrowserPlan::Failed(format!("the project's viewports: {e}")),
    };
    s.forms = preflight_browser::FormPolicy {
        submit_found: settings.submit_forms.map(|f| f != 0).unwrap_or(!config.env.is_production()),
        listed: settings.forms_listed.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect(),
    };
    s.ignore_regions = settings.ignore_regions.lines().filter_map(|l| preflight_model::IgnoreRegion::parse(l).ok()).collect();
    let ignored: Vec<String> = settings.a11y_ignore.lines().map(str::to_string).collect();
    s.a11y = match preflight_browser::a11y::A11yPolicy::parse(&settings.wcag_level, &ignored) {
        Ok(policy) => Some(policy),
        Err(e) => return BrowserPlan::Failed(format!("the project's accessibility settings: {e}")),
    };
    let budgets: Vec<String> = settings.perf_budgets.lines().map(str::to_string).collect();
    s.budgets = match preflight_browser::quality::Budgets::parse(&budgets) {
        Ok(b) => b,
        Err(e) => return BrowserPlan::Failed(format!("the project's performance budgets: {e}")),
    };
    s.throttle_mobile = settings.throttle_mobile != 0;
    if let Some(d) = &state.screenshots_dir {
        s.screenshot_dir = Some(d.join(format!("run-{}", job.id)));
        s.thumbnails = true;
    }
    if let Err(e) = preflight_browser::preflight(&s.endpoint) {
        return BrowserPlan::Failed(e.to_string());
    }
    BrowserPlan::Run { settings: Box::new(s), max_pages: browser.max_pages }
}

/// A task that records each page's quality and screenshot of run `id` as they are sent.
fn screenshot_writer(state: &Store, id: i64) -> (tokio::sync::mpsc::UnboundedSender<preflight_browser::Capture>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<preflight_browser::Capture>();
    let state = state.clone();
    let writer = tokio::spawn(async move {
        while let Some(c) = rx.recv().await {
            // Page quality is kept whether or not screenshots are.
            if let Err(e) = preflight_store::quality::insert(&state.pool, id, &c.url, &c.viewport, c.metrics.as_ref(), &c.a11y, c.a11y_error.as_deref()).await {
                tracing::error!(run = id, error = %e, "recording page quality failed");
            }
            let (Some(dir), Some(path)) = (&state.screenshots_dir, &c.path) else {
                continue;
            };
            let rel = |p: &std::path::Path| p.strip_prefix(dir).map(|r| r.to_string_lossy().to_string()).unwrap_or_default();
            let shot = preflight_store::screenshots::NewShot {
                url: c.url.clone(),
                final_url: c.final_url.clone(),
                viewport: c.viewport.clone(),
                file: rel(path),
                thumb: c.thumbnail.as_deref().map(rel).unwrap_or_default(),
                width: c.width as i64,
                height: c.height as i64,
                page_height: c.page_height as i64,
                load_ms: c.load_ms as i64,
                overflow_px: c.overflow_px as i64,
                console: c.console.clone(),
                problems: c.problems.clone(),
                title: c.title.clone(),
            };
            match preflight_store::screenshots::insert(&state.pool, id, &shot).await {
                // Scored against the reference run as it comes in, so the gallery can put
                // what changed first while the run is still going.
                Ok(shot_id) => {
                    if let Err(e) = preflight_store::screenshots::score(&state.pool, dir, shot_id).await {
                        tracing::warn!(run = id, shot = shot_id, error = %e, "scoring a screenshot failed");
                    }
                }
                Err(e) => tracing::error!(run = id, error = %e, "recording a screenshot failed"),
            }
        }
    });
    (tx, writer)
}

async fn publish(state: &Store, run_id: i64) {
    if let Ok(run) = runs::get(&state.pool, run_id).await {
        state.publish_update(run.project_id, LiveUpdate::Run { run });
    }
}

/// A tiny shutdown signal shared by the HTTP server and the runner.
pub mod shutdown {
    use std::sync::Arc;

    use tokio::sync::watch;

    #[derive(Clone)]
    pub struct Signal(Arc<watch::Sender<bool>>, watch::Receiver<bool>);

    impl Default for Signal {
        fn default() -> Self {
            let (tx, rx) = watch::channel(false);
            Signal(Arc::new(tx), rx)
        }
    }

    impl Signal {
        pub fn trigger(&self) {
            let _ = self.0.send(true);
        }

        pub async fn wait(&self) {
            let mut rx = self.1.clone();
            let _ = rx.wait_for(|stopped| *stopped).await;
        }
    }
}
