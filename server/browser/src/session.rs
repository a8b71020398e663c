//! One browser run: a coordinator thread that owns the browser and watches the clock, and a
//! bounded set of worker threads, each driving one tab through the job queue.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex, RwLock,
    },
    thread,
    time::{Duration, Instant},
};

use headless_chrome::Browser;
use preflight_engine::{Coverage, Finding};
use tokio::sync::mpsc::UnboundedSender;
use url::Url;

use crate::{
    capture::{Found, JobOutput, TabHandle},
    chromium::{self, LaunchSettings, LocalChromium},
    forms::FormJob,
    BrowserError, BrowserEvent, BrowserSettings, Capture, Endpoint, Outcome, BROWSER_CHECKS, FORM_CHECKS, OLD_IE_CHECKS,
};

/// DevTools calls may take this long before `headless_chrome` gives up on them. Deadlines
/// are enforced by the coordinator (which kills a browser that stops answering), so this
/// only has to outlast the longest legitimate call.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
pub(crate) enum Job {
    Page { page: Url, viewport: usize, attempt: u8 },
    Form { job: Box<FormJob>, attempt: u8 },
}

impl Job {
    fn describe(&self, settings: &BrowserSettings) -> (String, String) {
        match self {
            Job::Page { page, viewport, .. } => (page.to_string(), settings.viewports[*viewport].name.clone()),
            Job::Form { job, .. } => (job.page.to_string(), format!("form {}", job.form.label)),
        }
    }

    fn retried(self) -> Job {
        match self {
            Job::Page { page, viewport, attempt } => Job::Page { page, viewport, attempt: attempt + 1 },
            Job::Form { job, attempt } => Job::Form { job, attempt: attempt + 1 },
        }
    }

    fn attempt(&self) -> u8 {
        match self {
            Job::Page { attempt, .. } | Job::Form { attempt, .. } => *attempt,
        }
    }
}

/// The browser of the current generation.
pub(crate) struct Connection {
    pub browser: Browser,
    pub ws_url: String,
    local: Mutex<Option<LocalChromium>>,
    pub generation: u64,
    /// Counts this session on its pool endpoint while it lives.
    _lease: Option<crate::pool::Lease>,
}

impl Connection {
    pub(crate) fn open(settings: &BrowserSettings, generation: u64, extra_args: &[String]) -> Result<Connection, BrowserError> {
        let (ws_url, local) = match &settings.endpoint {
            Endpoint::Local { chromium: path } => {
                let path = chromium::find(path.as_deref())?;
                let host_rules = settings
                    .resolve
                    .iter()
                    .map(|r| {
                        let addr = if r.addr.is_ipv6() { format!("[{}]", r.addr) } else { r.addr.to_string() };
                        format!("MAP {}:{} {addr}:{}", r.host, r.port, r.port)
                    })
                    .collect();
                let local = LocalChromium::launch(&LaunchSettings { path, host_rules, extra_args: extra_args.to_vec() })?;
                (local.ws_url.clone(), Some(local))
            }
            Endpoint::Remote { ws_url } => (ws_url.clone(), None),
            Endpoint::Pool { ws_urls } => return Connection::open_pooled(ws_urls, generation),
        };
        let browser = Browser::connect_with_timeout(ws_url.clone(), CALL_TIMEOUT)
            .map_err(|e| BrowserError::Launch(format!("cannot connect to the browser at {ws_url}: {e}")))?;
        Ok(Connection { browser, ws_url, local: Mutex::new(local), generation, _lease: None })
    }

    /// Connects to the pool's endpoint with the fewest sessions that answers; one that does not
    /// is marked and the next is tried.
    fn open_pooled(ws_urls: &[String], generation: u64) -> Result<Connection, BrowserError> {
        let mut failures = Vec::new();
        for ws_url in crate::pool::candidates(ws_urls) {
            let connected =
                crate::pool::reachable(&ws_url).and_then(|()| Browser::connect_with_timeout(ws_url.clone(), CALL_TIMEOUT).map_err(|e| e.to_string()));
            match connected {
                Ok(browser) => {
                    let lease = crate::pool::lease(&ws_url);
                    return Ok(Connection { browser, ws_url, local: Mutex::new(None), generation, _lease: Some(lease) });
                }
                Err(e) => {
                    tracing::warn!(endpoint = %ws_url, error = %e, "a browser of the pool did not answer; trying another");
                    crate::pool::mark_dead(&ws_url);
                    failures.push(format!("{ws_url}: {e}"));
                }
            }
        }
        Err(BrowserError::Launch(format!("none of the {} browsers of the pool answered ({})", ws_urls.len(), failures.join("; "))))
    }

    /// Kills a local browser (every pending call then fails at once).
    fn kill(&self) {
        if let Some(local) = self.local.lock().expect("browser lock").as_mut() {
            local.kill();
        }
    }
}

#[derive(Default)]
struct Slot {
    started: Option<Instant>,
    job: Option<(String, String)>,
    /// The coordinator restarted the browser because of this job.
    culprit: bool,
}

pub(crate) struct Shared {
    pub settings: BrowserSettings,
    pub user_agent: String,
    conn: RwLock<Arc<Connection>>,
    generation: AtomicU64,
    queue: Mutex<VecDeque<Job>>,
    running: AtomicUsize,
    total: AtomicUsize,
    done: AtomicUsize,
    slots: Vec<Mutex<Slot>>,
    cancel: Arc<AtomicBool>,
    /// The run's deadline passed: what is left is skipped, not failed.
    out_of_time: AtomicBool,
    /// Steps not done because the deadline passed: (page, viewport or form).
    skipped: Mutex<Vec<(String, String)>>,
    restart_wanted: AtomicBool,
    restarts: AtomicUsize,
    found: Mutex<Vec<Found>>,
    captures: Mutex<Vec<Capture>>,
    forms_tested: AtomicUsize,
    /// Forms found but not submitted because they ask for a password or payment details.
    pub forms_withheld: AtomicUsize,
    /// Scripts already parsed for old IE (by URL or inline-content hash).
    pub seen_scripts: Mutex<HashSet<String>>,
    /// Forms already queued (by action, method and fields), so a footer form is tried once.
    pub seen_forms: Mutex<HashSet<String>>,
    /// Screenshot file names handed out.
    pub file_names: Mutex<HashSet<String>>,
    /// Visible text and final URL of each page at the non-IE viewports, for the old-IE comparison.
    pub page_texts: Mutex<HashMap<String, (String, String)>>,
    fatal: Mutex<Option<BrowserError>>,
    retired: Mutex<Vec<TabHandle>>,
    /// The network guard a local browser's requests go through.
    pub guard: Option<crate::guard::Guard>,
    launch_args: Vec<String>,
}

impl Shared {
    pub fn current(&self) -> Arc<Connection> {
        self.conn.read().expect("connection lock").clone()
    }

    pub fn push_job(&self, job: Job) {
        self.total.fetch_add(1, Ordering::SeqCst);
        self.queue.lock().expect("queue lock").push_back(job);
    }

    fn pop_job(&self) -> Option<Job> {
        let mut q = self.queue.lock().expect("queue lock");
        let job = q.pop_front();
        if job.is_some() {
            self.running.fetch_add(1, Ordering::SeqCst);
        }
        job
    }

    fn restart(&self) -> Result<(), BrowserError> {
        let generation = self.current().generation;
        self.replace(generation)
    }

    /// Restarts the browser if it is still of `generation` (the one that failed); a later
    /// one was already started by someone else.
    fn replace(&self, generation: u64) -> Result<(), BrowserError> {
        // Held until the new browser is up: a worker whose page failed when the old one was
        // killed waits here for the new one instead of trying the dead one.
        let mut conn = self.conn.write().expect("connection lock");
        if conn.generation != generation {
            return Ok(());
        }
        conn.kill();
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        *conn = Arc::new(Connection::open(&self.settings, generation, &self.launch_args)?);
        drop(conn);
        self.restarts.fetch_add(1, Ordering::SeqCst);
        tracing::warn!(generation, "browser restarted");
        Ok(())
    }
}

pub(crate) fn run_blocking(settings: BrowserSettings, pages: Vec<Url>, tx: UnboundedSender<BrowserEvent>) -> Result<Outcome, BrowserError> {
    let cleaned = chromium::clean_leftovers();
    if cleaned > 0 {
        tracing::info!(cleaned, "removed browsers left behind by an earlier Preflight process");
    }
    if let Some(dir) = &settings.screenshot_dir {
        std::fs::create_dir_all(dir).map_err(|e| BrowserError::Launch(format!("cannot create {}: {e}", dir.display())))?;
    }
    // A local browser reaches the network only through the guard (the crawler's policy).
    let guard = match &settings.endpoint {
        crate::Endpoint::Local { .. } => Some(
            crate::guard::Guard::start(crate::guard::Policy {
                allow_metadata: settings.allow_metadata,
                resolve: settings.resolve.clone(),
                also_refused: settings.refuse_also.clone(),
            })
            .map_err(|e| BrowserError::Launch(format!("cannot start the browser's network guard: {e}")))?,
        ),
        crate::Endpoint::Remote { .. } | crate::Endpoint::Pool { .. } => None,
    };
    let launch_args = guard.as_ref().map(|g| g.chromium_args()).unwrap_or_default();
    let conn = Connection::open(&settings, 0, &launch_args)?;
    let user_agent = conn
        .browser
        .get_version()
        .map(|v| v.user_agent.replace("HeadlessChrome", "Chrome"))
        .map_err(|e| BrowserError::Protocol(format!("the browser did not say its version: {e}")))?;
    let workers = settings.concurrency.clamp(1, 8);
    let shared = Arc::new(Shared {
        user_agent,
        conn: RwLock::new(Arc::new(conn)),
        generation: AtomicU64::new(0),
        queue: Mutex::new(VecDeque::new()),
        running: AtomicUsize::new(0),
        total: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        slots: (0..workers).map(|_| Mutex::new(Slot::default())).collect(),
        cancel: Arc::new(AtomicBool::new(false)),
        out_of_time: AtomicBool::new(false),
        skipped: Mutex::new(Vec::new()),
        restart_wanted: AtomicBool::new(false),
        restarts: AtomicUsize::new(0),
        found: Mutex::new(Vec::new()),
        captures: Mutex::new(Vec::new()),
        forms_tested: AtomicUsize::new(0),
        forms_withheld: AtomicUsize::new(0),
        seen_scripts: Mutex::new(HashSet::new()),
        seen_forms: Mutex::new(HashSet::new()),
        file_names: Mutex::new(HashSet::new()),
        page_texts: Mutex::new(HashMap::new()),
        fatal: Mutex::new(None),
        retired: Mutex::new(Vec::new()),
        guard,
        launch_args,
        settings,
    });
    // Viewport-major order: a tab keeps its emulation from page to page, and the first
    // viewport (whose text the old-IE comparison uses) comes first.
    for v in 0..shared.settings.viewports.len() {
        for page in &pages {
            shared.push_job(Job::Page { page: page.clone(), viewport: v, attempt: 0 });
        }
    }

    thread::scope(|scope| {
        let finished = Arc::new(AtomicUsize::new(0));
        for i in 0..workers {
            let (shared, tx, finished) = (shared.clone(), tx.clone(), finished.clone());
            thread::Builder::new()
                .name(format!("preflight-tab-{i}"))
                .spawn_scoped(scope, move || {
                    worker(&shared, i, &tx);
                    finished.fetch_add(1, Ordering::SeqCst);
                })
                .expect("spawning a browser worker");
        }
        // The coordinator: deadlines, restarts, cancellation.
        while finished.load(Ordering::SeqCst) < workers {
            thread::sleep(Duration::from_millis(50));
            if tx.is_closed() && !shared.cancel.swap(true, Ordering::SeqCst) {
                shared.current().kill();
            }
            if shared.cancel.load(Ordering::SeqCst) {
                continue;
            }
            if shared.settings.deadline.is_some_and(|d| Instant::now() >= d) {
                // Out of time: nothing more starts, and what is under way stops now.
                shared.out_of_time.store(true, Ordering::SeqCst);
                let left: Vec<Job> = shared.queue.lock().expect("queue lock").drain(..).collect();
                shared.skipped.lock().expect("skipped lock").extend(left.iter().map(|j| j.describe(&shared.settings)));
                shared.cancel.store(true, Ordering::SeqCst);
                shared.current().kill();
                continue;
            }
            let mut overdue = false;
            for slot in &shared.slots {
                let mut s = slot.lock().expect("slot lock");
                if let Some(started) = s.started {
                    if !s.culprit && started.elapsed() > shared.settings.step_deadline {
                        s.culprit = true;
                        overdue = true;
                        tracing::warn!(job = ?s.job, "a page stopped the browser from answering");
                    }
                }
            }
            if overdue || shared.restart_wanted.swap(false, Ordering::SeqCst) {
                if let Err(e) = shared.restart() {
                    *shared.fatal.lock().expect("fatal lock") = Some(e);
                    shared.cancel.store(true, Ordering::SeqCst);
                    shared.current().kill();
                }
            }
        }
    });
    // Workers are done: close the browser (and remove its profile) before reporting.
    let shared = Arc::try_unwrap(shared).unwrap_or_else(|_| panic!("browser workers still hold the session"));
    drop(shared.retired);
    drop(shared.conn);
    if let Some(e) = shared.fatal.into_inner().expect("fatal lock") {
        return Err(e);
    }
    if tx.is_closed() {
        return Err(BrowserError::Cancelled);
    }
    let settings = shared.settings;
    let forms_tested = shared.forms_tested.into_inner();
    let captures = shared.captures.into_inner().expect("captures lock");
    let skipped = shared.skipped.into_inner().expect("skipped lock");
    let mut coverage = coverage(&settings, &captures, forms_tested, shared.forms_withheld.into_inner(), pages.len());
    let mut found = shared.found.into_inner().expect("findings lock");
    if !skipped.is_empty() {
        let total = shared.total.into_inner();
        let (n, opened) = (skipped.len(), captures.iter().map(|c| c.url.as_str()).collect::<HashSet<_>>().len());
        let why = format!("the run's deadline passed with {n} of {total} browser step(s) not done");
        if captures.is_empty() {
            coverage
                .skipped(BROWSER_CHECKS, format!("{why}: no page was opened"))
                .skipped(OLD_IE_CHECKS, why.clone())
                .skipped(&["dev-banner-not-visible"], why.clone())
                .skipped(&preflight_engine::a11y::check_ids(), why.clone());
        } else {
            coverage.looked_partly(BROWSER_CHECKS, format!("{why}: {opened} of {} page(s) opened", pages.len()));
        }
        if forms_tested == 0 {
            coverage.skipped(FORM_CHECKS, why.clone());
        }
        coverage.scope_to(settings.env);
        let list: Vec<String> = skipped.iter().take(20).map(|(page, what)| format!("{page} ({what})")).collect();
        let more = if n > list.len() { format!(" and {} more", n - list.len()) } else { String::new() };
        let f = Finding::new(
            "crawl-incomplete",
            pages.first().map(|p| p.as_str()).unwrap_or_default(),
            format!("Not every page was checked in the browser: {n} of {total} step(s) were skipped when the run's deadline passed"),
            format!("skipped: {}{more}", list.join(", ")),
        );
        found.push(Found { finding: f, viewport: None });
    }
    let mut captures = captures;
    captures.sort_by(|a, b| {
        let pos = |c: &Capture| settings.viewports.iter().position(|v| v.name == c.viewport).unwrap_or(usize::MAX);
        let page = |c: &Capture| pages.iter().position(|p| p.as_str() == c.url).unwrap_or(usize::MAX);
        page(a).cmp(&page(b)).then(pos(a).cmp(&pos(b)))
    });
    Ok(Outcome { findings: merge(found, &settings), captures, coverage, forms_tested, restarts: shared.restarts.into_inner() })
}

/// What the browser checks could look at: page checks need at least one page the browser
/// opened, the old-IE checks an old-IE viewport, the form checks a submitted form.
fn coverage(settings: &BrowserSettings, captures: &[Capture], forms_tested: usize, forms_withheld: usize, pages: usize) -> Coverage {
    let mut c = Coverage::default();
    c.looked(BROWSER_CHECKS).looked(OLD_IE_CHECKS).looked(FORM_CHECKS).looked(&["dev-banner-not-visible", "browser-check-failed"]);
    if captures.is_empty() {
        let why = if pages == 0 { "no page to open".to_string() } else { format!("the browser could open none of the {pages} page(s)") };
        c.skipped(BROWSER_CHECKS, why.clone()).skipped(OLD_IE_CHECKS, why.clone()).skipped(&["dev-banner-not-visible"], why.clone()).skipped(FORM_CHECKS, why);
    } else {
        let opened: std::collections::BTreeSet<&str> = captures.iter().map(|c| c.url.as_str()).collect();
        if opened.len() < pages {
            c.looked_partly(BROWSER_CHECKS, format!("{} of {pages} page(s) opened", opened.len()));
        }
        if !settings.viewports.iter().any(|v| v.touch || v.mobile) {
            c.not_applicable(crate::quality::MOBILE_CHECKS, "no phone or tablet viewport in this run");
        } else if !captures.iter().any(|cap| settings.viewports.iter().any(|v| v.name == cap.viewport && (v.touch || v.mobile))) {
            c.skipped(crate::quality::MOBILE_CHECKS, "the browser opened no page at a phone or tablet viewport");
        }
        if !settings.viewports.iter().any(|v| v.is_old_ie()) {
            c.not_applicable(OLD_IE_CHECKS, "no old-IE viewport in this run");
        } else if !captures.iter().any(|cap| settings.viewports.iter().any(|v| v.name == cap.viewport && v.is_old_ie())) {
            c.skipped(OLD_IE_CHECKS, "the browser opened no page at the old-IE viewport");
        }
        if forms_tested == 0 {
            let why = if !settings.forms.submit_found && settings.forms.listed.is_empty() {
                format!("test form submissions are off for {} runs", settings.env.as_str())
            } else if forms_withheld > 0 {
                format!("{forms_withheld} form(s) ask for a password or payment details and are submitted only when listed")
            } else {
                "no forms to submit on the checked pages".to_string()
            };
            c.not_applicable(FORM_CHECKS, why);
        }
    }
    a11y_coverage(&mut c, settings, captures, pages);
    c.scope_to(settings.env);
    c
}

/// The accessibility checks looked where axe-core ran; rules the project does not ask for (its
/// WCAG level, rules it ignores) are not applicable, with the reason.
fn a11y_coverage(c: &mut Coverage, settings: &BrowserSettings, captures: &[Capture], pages: usize) {
    let ids = preflight_engine::a11y::check_ids();
    let Some(policy) = &settings.a11y else {
        c.not_applicable(&ids, "the accessibility checks are off for this run");
        return;
    };
    let failed: Vec<&str> = captures.iter().filter_map(|c| c.a11y_error.as_deref()).collect();
    if captures.is_empty() {
        let why = if pages == 0 { "no page to open".to_string() } else { format!("the browser could open none of the {pages} page(s)") };
        c.skipped(&ids, why);
    } else if failed.len() == captures.len() {
        c.skipped(&ids, failed[0].to_string());
    } else if !failed.is_empty() {
        c.looked_partly(&ids, format!("checked {} of {} page views; {}", captures.len() - failed.len(), captures.len(), failed[0]));
    } else {
        c.looked(&ids);
    }
    for rule in preflight_engine::a11y::A11Y_RULES {
        if let Some(why) = policy.excluded(rule) {
            c.not_applicable(&[rule.check], why);
        }
    }
}

fn worker(shared: &Shared, index: usize, tx: &UnboundedSender<BrowserEvent>) {
    let mut tab: Option<TabHandle> = None;
    // A finished worker keeps its tab open until all are done: closing a DevTools session
    // while another tab takes a screenshot stalled that screenshot for seconds.
    let retire = |tab: Option<TabHandle>| shared.retired.lock().expect("retired lock").extend(tab);
    loop {
        if shared.cancel.load(Ordering::SeqCst) {
            return retire(tab);
        }
        let Some(job) = shared.pop_job() else {
            if shared.running.load(Ordering::SeqCst) == 0 && shared.queue.lock().expect("queue lock").is_empty() {
                return retire(tab);
            }
            thread::sleep(Duration::from_millis(20));
            continue;
        };
        let generation = shared.generation.load(Ordering::SeqCst);
        {
            let mut s = shared.slots[index].lock().expect("slot lock");
            *s = Slot { started: Some(Instant::now()), job: Some(job.describe(&shared.settings)), culprit: false };
        }
        let result = run_job(shared, &mut tab, &job);
        let culprit = {
            let mut s = shared.slots[index].lock().expect("slot lock");
            let c = s.culprit;
            *s = Slot::default();
            c
        };
        let (page, what) = job.describe(&shared.settings);
        if result.is_err() && shared.out_of_time.load(Ordering::SeqCst) {
            // Stopped by the run's deadline, not by the page.
            shared.skipped.lock().expect("skipped lock").push((page, what));
            shared.running.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        match result {
            Ok(out) => record(shared, out, tx),
            Err(_) if culprit => {
                tab = None;
                let secs = shared.settings.step_deadline.as_secs();
                let f = Finding::new(
                    "script-hang",
                    &page,
                    format!("The page kept the browser busy for over {secs} s ({what}); the browser was restarted"),
                    "an endless script, or a page that never lets the browser draw it",
                );
                record(shared, JobOutput { found: vec![Found::at(f, &what)], ..Default::default() }, tx);
            }
            Err(e) => {
                tab = None;
                let restarted = shared.generation.load(Ordering::SeqCst) != generation;
                let pooled = matches!(shared.settings.endpoint, Endpoint::Pool { .. });
                // A browser of the pool that stopped answering may fail a page in many words:
                // whether its address still takes connections settles it.
                let lost = connection_lost(&e) || (pooled && !restarted && crate::pool::reachable(&shared.current().ws_url).is_err());
                if lost && pooled && !restarted && job.attempt() == 0 {
                    // A browser of the pool went away: this worker moves the run to another
                    // (unless another worker already did) before the page is tried again.
                    if let Err(e) = shared.replace(generation) {
                        *shared.fatal.lock().expect("fatal lock") = Some(e);
                        shared.cancel.store(true, Ordering::SeqCst);
                    }
                }
                if (restarted || (lost && pooled)) && job.attempt() == 0 {
                    // Another page made the browser restart under this one, or its browser of
                    // the pool went away: try it again.
                    shared.push_job(job.retried());
                    shared.done.fetch_add(1, Ordering::SeqCst);
                } else {
                    if lost {
                        shared.restart_wanted.store(true, Ordering::SeqCst);
                    }
                    let f = Finding::new("browser-check-failed", &page, format!("The browser could not check this page ({what})"), e);
                    record(shared, JobOutput { found: vec![Found::at(f, &what)], ..Default::default() }, tx);
                }
            }
        }
        shared.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether a DevTools error says the browser's connection is gone (headless_chrome words it
/// several ways).
fn connection_lost(e: &str) -> bool {
    ["connection is closed", "ConnectionClosed", "closed connection", "Connection reset", "Unable to connect"].iter().any(|w| e.contains(w))
}

fn run_job(shared: &Shared, tab: &mut Option<TabHandle>, job: &Job) -> Result<JobOutput, String> {
    let conn = shared.current();
    if tab.as_ref().is_none_or(|t| t.generation != conn.generation || t.dead()) {
        if let Some(old) = tab.take() {
            if old.dead() {
                set_aside_crashed(shared, &conn, old);
            } else {
                old.close();
            }
        }
        *tab = Some(TabHandle::open(&conn.ws_url, conn.generation, shared.settings.credentials.as_ref(), shared.cancel.clone())?);
    }
    let handle = tab.as_ref().expect("a tab");
    let out = match job {
        Job::Page { page, viewport, .. } => crate::look::page(shared, handle, page, *viewport),
        Job::Form { job, .. } => crate::forms::run(shared, handle, job),
    };
    if handle.dead() {
        if let Some(crashed) = tab.take() {
            set_aside_crashed(shared, &conn, crashed);
        }
    }
    out
}

/// A crashed tab does not answer on its own session (closing it there waits for as long as
/// the browser lives): the browser closes it, and the handle is set aside until the end.
fn set_aside_crashed(shared: &Shared, conn: &Connection, crashed: TabHandle) {
    if crashed.generation == conn.generation {
        let target_id = crashed.tab.get_target_id().clone();
        let closed = crate::direct::Direct::browser(&conn.ws_url, Duration::from_secs(5))
            .and_then(|d| d.call(headless_chrome::protocol::cdp::Target::CloseTarget { target_id }));
        tracing::debug!(?closed, "closed a crashed tab");
    }
    shared.retired.lock().expect("retired lock").push(crashed);
}

fn record(shared: &Shared, out: JobOutput, tx: &UnboundedSender<BrowserEvent>) {
    for job in out.jobs {
        shared.push_job(job);
    }
    if out.form_tested {
        shared.forms_tested.fetch_add(1, Ordering::SeqCst);
    }
    shared.found.lock().expect("findings lock").extend(out.found);
    if let Some(c) = out.capture {
        let _ = tx.send(BrowserEvent::Captured(Box::new(c.clone())));
        shared.captures.lock().expect("captures lock").push(c);
    }
    let done = shared.done.fetch_add(1, Ordering::SeqCst) + 1;
    let _ = tx.send(BrowserEvent::Progress { done, total: shared.total.load(Ordering::SeqCst) });
}

/// A finding's identity across viewports: check, page, message, evidence.
type FindingKey = (String, String, String, String);

/// One finding per page and problem, naming every viewport it was seen at.
fn merge(found: Vec<Found>, settings: &BrowserSettings) -> Vec<Finding> {
    let mut order: Vec<FindingKey> = Vec::new();
    let mut by_key: HashMap<FindingKey, (Finding, Vec<String>)> = HashMap::new();
    for f in found {
        let key = (f.finding.check.clone(), f.finding.url.clone(), f.finding.message.clone(), f.finding.evidence.clone());
        let entry = by_key.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            (f.finding.clone(), Vec::new())
        });
        if let Some(v) = f.viewport {
            if !entry.1.contains(&v) {
                entry.1.push(v);
            }
        }
        entry.0.severity = entry.0.severity.max(f.finding.severity);
    }
    let rank = |v: &str| settings.viewports.iter().position(|x| x.name == v).unwrap_or(usize::MAX);
    let mut out: Vec<Finding> = order
        .into_iter()
        .filter_map(|k| by_key.remove(&k))
        .map(|(mut f, mut vps)| {
            if !vps.is_empty() {
                vps.sort_by_key(|v| rank(v));
                let at = format!("seen at: {}", vps.join(", "));
                f.evidence = if f.evidence.is_empty() { at } else { format!("{} ({at})", f.evidence) };
            }
            f
        })
        .collect();
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.check.cmp(&b.check)).then_with(|| a.url.cmp(&b.url)));
    out
}
