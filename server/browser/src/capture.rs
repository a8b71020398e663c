//! One tab: what it hears from the page (console, exceptions, network, crashes) and one page
//! looked at through one viewport.

use std::{
    collections::HashMap,
    hash::{Hash, Hasher},
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc, Arc, Mutex,
    },
    time::{Duration, Instant},
};

use base64::Engine as _;
use headless_chrome::{
    browser::tab::Tab,
    protocol::cdp::{
        types::{Event, Method},
        Emulation, Inspector, Log, Network, Page, Runtime,
    },
    Browser,
};
use preflight_engine::{finding::snippet, Finding, Severity};
use serde::Deserialize;
use url::Url;

use crate::{
    direct::Direct,
    es5,
    forms::FormInfo,
    session::{Job, Shared},
    viewport::Viewport,
    Capture,
};

/// The script every page gets before its own (dialog and pop-up guards, measuring helpers).
pub const INIT_JS: &str = concat!(include_str!("js/init.js"), include_str!("js/quality.js"));

/// The direct session gives up on an answer after this long (a local browser that stops
/// answering is killed by the coordinator long before).
const DIRECT_READ_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a busy page gets before its running script is interrupted.
const HANG_GUARD: Duration = Duration::from_secs(4);
/// Console messages kept per capture.
const MAX_MESSAGES: usize = 20;

/// A finding and the viewport it was seen at.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub finding: Finding,
    pub viewport: Option<String>,
}

impl Found {
    pub fn at(finding: Finding, viewport: &str) -> Found {
        Found { finding, viewport: Some(viewport.to_string()) }
    }
}

/// What one job produced.
#[derive(Debug, Default)]
pub(crate) struct JobOutput {
    pub found: Vec<Found>,
    pub capture: Option<Capture>,
    pub jobs: Vec<Job>,
    pub form_tested: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ConsoleEntry {
    pub level: Severity,
    pub text: String,
    pub source: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub url: String,
    pub status: u32,
    pub kind: Option<Network::ResourceType>,
}

/// Everything a tab heard since the last [`PageEvents::reset`].
#[derive(Debug, Default)]
pub(crate) struct PageEvents {
    pub loaded: bool,
    pub crashed: bool,
    pub main_navigations: usize,
    /// The main frame's id (from its last navigation).
    pub main_frame: Option<String>,
    /// The page set off somewhere else after its load event (a script, a meta refresh):
    /// `loaded` then waits for the next document.
    pub left_after_load: bool,
    pub console: Vec<ConsoleEntry>,
    pub exceptions: Vec<ConsoleEntry>,
    /// request id → (url, kind)
    pub requests: HashMap<String, (String, Option<Network::ResourceType>)>,
    pub requests_sent: usize,
    pub failed: Vec<(String, String)>,
    pub responses: Vec<Response>,
    /// Status of the main document's last response.
    pub document_status: Option<u32>,
    /// Script URL → request id, for reading script bodies.
    pub scripts: HashMap<String, String>,
    pub downloads: Vec<String>,
    pub native_dialogs: Vec<String>,
    pub last_activity: Option<Instant>,
    /// A call to the page had to interrupt a script that kept the renderer busy.
    pub script_stopped: bool,
}

impl PageEvents {
    pub fn reset(&mut self) {
        *self = PageEvents::default();
    }

    /// Forgets what happened before a form submission (but keeps the request map).
    pub fn mark(&mut self) {
        self.loaded = false;
        self.main_navigations = 0;
        self.requests_sent = 0;
        self.responses.clear();
        self.document_status = None;
        self.last_activity = Some(Instant::now());
    }
}

/// A tab and its event log, tied to one browser generation.
pub(crate) struct TabHandle {
    pub tab: Arc<Tab>,
    pub events: Arc<Mutex<PageEvents>>,
    pub generation: u64,
    /// This worker's own DevTools connection: `headless_chrome` serialises calls on one
    /// websocket, so tabs that share one wait for each other.
    _browser: Browser,
    /// The viewport the tab emulates now (emulation calls are skipped when it is unchanged).
    emulating: Mutex<Option<String>>,
    /// The fast session for the calls made on every page (see [`crate::direct`]).
    direct: Option<Direct>,
    /// Set when the run stops (cancelled, out of time): waits end at once.
    stop: Arc<AtomicBool>,
}

/// The protected site's origins: its host and www/apex twin, on its port (what
/// [`preflight_engine::Credentials::applies_to`] allows).
fn site_origins(site: &Url) -> Vec<String> {
    let host = site.host_str().unwrap_or_default().to_string();
    let twin = match host.strip_prefix("www.") {
        Some(apex) => apex.to_string(),
        None if host.parse::<std::net::IpAddr>().is_err() && host.contains('.') => format!("www.{host}"),
        None => String::new(),
    };
    let port = site.port().map(|p| format!(":{p}")).unwrap_or_default();
    [host, twin].into_iter().filter(|h| !h.is_empty()).map(|h| format!("{}://{h}{port}", site.scheme())).collect()
}

/// Lets the tab into a protected site — and only that site: a cookie scoped to its origins,
/// basic-auth answers and an extra header only on requests the Fetch domain pauses, which are
/// those to the site's origins. Third-party requests never see them.
fn apply_credentials(tab: &Arc<Tab>, creds: &preflight_engine::Credentials, site: &Url) -> anyhow::Result<()> {
    use headless_chrome::browser::tab::RequestPausedDecision;
    use headless_chrome::protocol::cdp::Fetch;
    use preflight_engine::Credentials;
    let origins = site_origins(site);
    let patterns: Vec<Fetch::RequestPattern> = origins
        .iter()
        .map(|o| Fetch::RequestPattern { url_pattern: Some(format!("{o}/*")), resource_Type: None, request_stage: Some(Fetch::RequestStage::Request) })
        .collect();
    match creds {
        Credentials::Cookie { name, value } => {
            for o in &origins {
                tab.call_method(Network::SetCookie {
                    name: name.clone(),
                    value: value.clone(),
                    url: Some(format!("{o}/")),
                    domain: None,
                    path: Some("/".into()),
                    secure: None,
                    http_only: Some(true),
                    same_site: None,
                    expires: None,
                    priority: None,
                    same_party: None,
                    source_scheme: None,
                    source_port: None,
                    partition_key: None,
                })?;
            }
        }
        Credentials::Basic { username, password } => {
            tab.enable_fetch(Some(&patterns), Some(true))?;
            tab.authenticate(Some(username.clone()), Some(password.clone()))?;
        }
        Credentials::Header { name, value } => {
            tab.enable_fetch(Some(&patterns), None)?;
            let (name, value) = (name.clone(), value.clone());
            tab.enable_request_interception(Arc::new(move |_transport, _session, ev: Fetch::events::RequestPausedEvent| {
                let mut headers: Vec<Fetch::HeaderEntry> = ev
                    .params
                    .request
                    .headers
                    .0
                    .as_ref()
                    .and_then(|h| h.as_object())
                    .map(|m| {
                        m.iter()
                            .filter(|(k, _)| !k.eq_ignore_ascii_case(&name))
                            .map(|(k, v)| Fetch::HeaderEntry { name: k.clone(), value: v.as_str().unwrap_or_default().to_string() })
                            .collect()
                    })
                    .unwrap_or_default();
                headers.push(Fetch::HeaderEntry { name: name.clone(), value: value.clone() });
                RequestPausedDecision::Continue(Some(Fetch::ContinueRequest {
                    request_id: ev.params.request_id,
                    url: None,
                    method: None,
                    post_data: None,
                    headers: Some(headers),
                    intercept_response: None,
                }))
            }))?;
        }
    }
    Ok(())
}

impl TabHandle {
    pub fn open(ws_url: &str, generation: u64, credentials: Option<&(preflight_engine::Credentials, Url)>, stop: Arc<AtomicBool>) -> Result<TabHandle, String> {
        let browser =
            Browser::connect_with_timeout(ws_url.to_string(), crate::session::CALL_TIMEOUT).map_err(|e| format!("cannot connect to the browser: {e}"))?;
        // Each worker's tab in a window of its own, in front: a tab behind another in the same
        // window may not paint, and its screenshot then waits until the step deadline.
        let tab = browser
            .new_tab_with_options(headless_chrome::protocol::cdp::Target::CreateTarget {
                url: "about:blank".into(),
                left: None,
                top: None,
                width: None,
                height: None,
                window_state: None,
                browser_context_id: None,
                enable_begin_frame_control: None,
                new_window: Some(true),
                background: Some(false),
                for_tab: None,
                hidden: None,
            })
            .map_err(|e| format!("cannot open a tab: {e}"))?;
        let events = Arc::new(Mutex::new(PageEvents::default()));
        let err = |what: &str, e: anyhow::Error| format!("cannot set up the tab ({what}): {e}");
        tab.call_method(Log::Enable(None)).map_err(|e| err("log", e))?;
        tab.call_method(Runtime::Enable(None)).map_err(|e| err("runtime", e))?;
        tab.call_method(Network::Enable {
            max_total_buffer_size: Some(64 * 1024 * 1024),
            max_resource_buffer_size: Some(8 * 1024 * 1024),
            max_post_data_size: None,
            report_direct_socket_traffic: None,
            enable_durable_messages: None,
        })
        .map_err(|e| err("network", e))?;
        tab.call_method(Inspector::Enable(None)).map_err(|e| err("inspector", e))?;
        tab.call_method(Page::SetDownloadBehavior { behavior: Page::SetDownloadBehaviorBehaviorOption::Deny, download_path: None })
            .map_err(|e| err("downloads", e))?;
        tab.call_method(Page::AddScriptToEvaluateOnNewDocument {
            source: INIT_JS.to_string(),
            world_name: None,
            include_command_line_api: None,
            run_immediately: None,
        })
        .map_err(|e| err("init script", e))?;
        if let Some((creds, site)) = credentials {
            apply_credentials(&tab, creds, site).map_err(|e| err("credentials", e))?;
        }
        let ev = events.clone();
        let dialog = tab.get_dialog();
        tab.add_event_listener(Arc::new(move |e: &Event| {
            // Dialogs the guard script could not stop (beforeunload) are answered at once.
            if let Event::PageJavascriptDialogOpening(d) = e {
                if let Ok(mut g) = ev.lock() {
                    g.native_dialogs.push(format!("{:?}: {}", d.params.Type, snippet(&d.params.message, 120)));
                }
                let _ = dialog.accept(None);
                return;
            }
            if let Ok(mut g) = ev.lock() {
                on_event(&mut g, e);
            }
        }))
        .map_err(|e| format!("cannot listen to the tab: {e}"))?;
        let direct = match Direct::connect(ws_url, tab.get_target_id(), DIRECT_READ_TIMEOUT) {
            Ok(d) => Some(d),
            Err(e) => {
                tracing::debug!("no direct session, all calls go through headless_chrome: {e}");
                None
            }
        };
        Ok(TabHandle { tab, events, generation, _browser: browser, emulating: Mutex::new(None), direct, stop })
    }

    /// A DevTools call on the fast session when there is one.
    pub fn call<C: Method + serde::Serialize>(&self, method: C) -> Result<C::ReturnObject, String> {
        match &self.direct {
            Some(d) => d.call(method),
            None => self.tab.call_method(method).map_err(|e| e.to_string()),
        }
    }

    /// [`TabHandle::call`] that gives up after `limit` (on the fast session; the other
    /// session has no per-call limit).
    pub fn call_within<C: Method + serde::Serialize>(&self, limit: Duration, method: C) -> Result<C::ReturnObject, String> {
        // A page that leaves meanwhile will not answer for the document it left.
        let left = || self.events.lock().map(|e| e.left_after_load).unwrap_or(true);
        match &self.direct {
            Some(d) => d.call_within(method, limit, &left),
            None => self.tab.call_method(method).map_err(|e| e.to_string()),
        }
    }

    /// Follows a page that set off elsewhere right after loading (a script, a meta refresh)
    /// to its next document's load event, a few hops at most. `Ok(false)`: the next document
    /// did not load within `limit`.
    pub fn follow_departure(&self, limit: Duration) -> Result<bool, String> {
        for _ in 0..3 {
            {
                let mut e = self.events.lock().expect("events lock");
                if !std::mem::take(&mut e.left_after_load) {
                    return Ok(true);
                }
            }
            let loaded = self.wait_for(limit, |e| e.loaded || e.crashed);
            if self.stopped() {
                return Err("the run stopped".into());
            }
            if !loaded {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether a call failed because the page went to another document meanwhile (by the
    /// navigation events, or by the error; the events may come a moment after the error).
    pub fn departed(&self, error: &str) -> bool {
        let says_so = ["navigated or closed", "Not attached to an active page", "given up (the page went elsewhere)"].iter().any(|m| error.contains(m));
        let wait = if says_so { Duration::from_secs(2) } else { Duration::ZERO };
        self.wait_for(wait, |e| e.left_after_load) || says_so
    }

    /// The renderer crashed: this tab cannot be used again.
    pub fn dead(&self) -> bool {
        self.events.lock().map(|e| e.crashed).unwrap_or(true)
    }

    pub fn close(&self) {
        let _ = self.tab.close_target();
    }

    /// Emulates `vp` (size, scale, user agent, touch); `throttle`: also a mid-range phone on a
    /// slow network, as Lighthouse's mobile profile has it (CPU 4× slower; 150 ms round trips,
    /// 1.6 Mbit/s down, 750 kbit/s up), else no throttling at all.
    pub fn emulate(&self, vp: &Viewport, default_ua: &str, throttle: bool) -> Result<(), String> {
        let key = format!("{}|{throttle}", vp.spec());
        if self.emulating.lock().expect("emulation lock").as_deref() == Some(key.as_str()) {
            return Ok(());
        }
        *self.emulating.lock().expect("emulation lock") = None;
        let e = |what: &str, err: String| format!("cannot emulate {} ({what}): {err}", vp.name);
        self.call(Emulation::SetDeviceMetricsOverride {
            width: vp.width,
            height: vp.height,
            device_scale_factor: vp.scale,
            mobile: vp.mobile,
            scale: None,
            screen_width: None,
            screen_height: None,
            position_x: None,
            position_y: None,
            dont_set_visible_size: None,
            screen_orientation: None,
            viewport: None,
            display_feature: None,
            device_posture: None,
        })
        .map_err(|err| e("size", err))?;
        self.call(Emulation::SetUserAgentOverride {
            user_agent: vp.user_agent.clone().unwrap_or_else(|| default_ua.to_string()),
            accept_language: Some("en-GB,en;q=0.9".into()),
            platform: None,
            user_agent_metadata: None,
        })
        .map_err(|err| e("user agent", err))?;
        self.call(Emulation::SetTouchEmulationEnabled { enabled: vp.touch, max_touch_points: vp.touch.then_some(5) }).map_err(|err| e("touch", err))?;
        self.call(Emulation::SetCPUThrottlingRate { rate: if throttle { 4.0 } else { 1.0 } }).map_err(|err| e("CPU throttling", err))?;
        let (latency, down, up) = if throttle { (150.0, 1_600_000.0 / 8.0, 750_000.0 / 8.0) } else { (0.0, -1.0, -1.0) };
        self.call(Network::EmulateNetworkConditions {
            offline: false,
            latency,
            download_throughput: down,
            upload_throughput: up,
            connection_Type: None,
            packet_loss: None,
            packet_queue_length: None,
            packet_reordering: None,
        })
        .map_err(|err| e("network throttling", err))?;
        *self.emulating.lock().expect("emulation lock") = Some(key);
        Ok(())
    }

    /// Opens `url` and waits for its load event (or `limit`). `Ok(false)`: it did not load in time.
    pub fn navigate(&self, url: &str, limit: Duration) -> Result<bool, String> {
        self.events.lock().expect("events lock").mark();
        let nav = self
            .tab
            .call_method(Page::Navigate { url: url.to_string(), referrer: None, transition_Type: None, frame_id: None, referrer_policy: None })
            .map_err(|e| format!("cannot open {url}: {e}"))?;
        if let Some(err) = nav.error_text.filter(|t| !t.is_empty()) {
            // A download aborts the navigation: that is a finding, not a failure.
            // A download aborts the navigation; its events (response, downloadWillBegin) may
            // arrive just after, and all of them must land in this page's log, not the next
            // page's: give them a fixed moment rather than returning at the first one.
            if err.contains("ERR_ABORTED") {
                std::thread::sleep(Duration::from_millis(300));
                if !self.events.lock().expect("events lock").downloads.is_empty() {
                    return Ok(true);
                }
            }
            return Err(format!("the browser could not open the page: {err}"));
        }
        let loaded = self.wait_for(limit, |e| e.loaded || e.crashed);
        if self.stopped() {
            return Err("the run stopped".into());
        }
        Ok(loaded)
    }

    /// The run stopped (cancelled, or out of time): nothing more is waited for.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Waits until `done` holds or `limit` passes (or the run stops).
    pub fn wait_for(&self, limit: Duration, done: impl Fn(&PageEvents) -> bool) -> bool {
        let t0 = Instant::now();
        loop {
            if done(&self.events.lock().expect("events lock")) {
                return true;
            }
            if t0.elapsed() >= limit || self.stopped() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits for `quiet` without console or network activity (at most `limit`): messages
    /// arrive hundreds of milliseconds after the load event.
    pub fn settle(&self, quiet: Duration, limit: Duration) {
        let t0 = Instant::now();
        while t0.elapsed() < limit && !self.stopped() {
            let last = self.events.lock().expect("events lock").last_activity;
            if last.is_none_or(|l| l.elapsed() >= quiet) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Evaluates `expr` (which returns a JSON string) with a guard: a page whose script keeps
    /// the renderer busy has that script interrupted. Returns the value and whether a script
    /// had to be interrupted.
    pub fn eval_json<T: for<'de> Deserialize<'de>>(&self, expr: &str) -> Result<(Option<T>, bool), String> {
        let mut interrupted = false;
        for _ in 0..3 {
            let (value, hung) = guarded(&self.tab, || self.call(evaluate(expr, false)));
            interrupted |= hung;
            if hung {
                self.events.lock().expect("events lock").script_stopped = true;
            }
            let r = match value {
                // The page left while it was asked (a script or meta refresh just after
                // load): ask the document it went to.
                Err(e) if self.departed(&e) => {
                    self.follow_departure(DEPARTURE_LOAD_LIMIT)?;
                    continue;
                }
                other => other.map_err(|e| format!("the page did not answer: {e}"))?,
            };
            if let Some(ex) = r.exception_details {
                let text = ex.exception.and_then(|o| o.description).unwrap_or(ex.text);
                // Our own call was the one interrupted: ask again.
                if text.contains("terminated") {
                    continue;
                }
                return Err(format!("measuring the page failed: {}", snippet(&text, 200)));
            }
            return match r.result.value {
                Some(serde_json::Value::String(s)) => {
                    serde_json::from_str(&s).map(|v| (Some(v), interrupted)).map_err(|e| format!("unexpected answer from the page: {e}"))
                }
                _ => Ok((None, interrupted)),
            };
        }
        Ok((None, true))
    }

    /// Full-page PNG (height capped) and, when asked, a small JPEG of the first screen.
    /// `measured_height`: the page's height in CSS pixels when the page said it (else asked).
    pub fn screenshot(&self, vp: &Viewport, measured_height: Option<u32>, max_css_height: u32, thumbnail: bool) -> Result<Shot, String> {
        let page_height = match measured_height.filter(|h| *h > 0) {
            Some(h) => h,
            None => {
                let metrics = self.call(Page::GetLayoutMetrics(None)).map_err(|e| format!("cannot measure the page: {e}"))?;
                metrics.css_content_size.height.ceil().max(1.0) as u32
            }
        };
        let css_height = page_height.clamp(vp.height, max_css_height.max(vp.height));
        let capture = |format, quality, height: u32, scale: f64| {
            let (r, hung) = guarded(&self.tab, || {
                self.call_within(
                    SCREENSHOT_LIMIT,
                    Page::CaptureScreenshot {
                        format: Some(format),
                        quality,
                        clip: Some(Page::Viewport { x: 0.0, y: 0.0, width: vp.width as f64, height: height as f64, scale }),
                        from_surface: Some(true),
                        capture_beyond_viewport: Some(height > vp.height),
                        optimize_for_speed: Some(true),
                    },
                )
            });
            if hung {
                self.events.lock().expect("events lock").script_stopped = true;
            }
            r.map_err(|e| format!("cannot take the screenshot: {e}"))
                .and_then(|shot| base64::engine::general_purpose::STANDARD.decode(shot.data).map_err(|e| format!("the screenshot is not base64: {e}")))
        };
        let png = capture(Page::CaptureScreenshotFormatOption::Png, None, css_height, 1.0)?;
        let (width, height) = png_size(&png).ok_or("the browser returned something that is not a PNG")?;
        let thumb = if thumbnail {
            let scale = THUMBNAIL_WIDTH as f64 / (vp.width as f64 * vp.scale);
            Some(capture(Page::CaptureScreenshotFormatOption::Jpeg, Some(70), vp.height.min(css_height), scale)?)
        } else {
            None
        };
        Ok(Shot { png, width, height, page_height, thumbnail: thumb })
    }
}

/// `Runtime.evaluate` of `expr` in the page, its answer by value (awaited when it is a promise
/// and `await_promise`), exceptions silenced.
pub(crate) fn evaluate(expr: &str, await_promise: bool) -> Runtime::Evaluate {
    Runtime::Evaluate {
        expression: expr.to_string(),
        object_group: None,
        include_command_line_api: None,
        silent: Some(true),
        context_id: None,
        return_by_value: Some(true),
        generate_preview: None,
        user_gesture: None,
        await_promise: Some(await_promise),
        throw_on_side_effect: None,
        timeout: None,
        disable_breaks: None,
        repl_mode: None,
        allow_unsafe_eval_blocked_by_csp: None,
        unique_context_id: None,
        serialization_options: None,
    }
}

/// Thumbnails are this many pixels wide.
pub const THUMBNAIL_WIDTH: u32 = 360;

pub(crate) struct Shot {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub page_height: u32,
    pub thumbnail: Option<Vec<u8>>,
}

/// Width and height from a PNG's header.
pub fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || &png[..8] != b"\x89PNG\r\n\x1a\n" || &png[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(png[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(png[20..24].try_into().ok()?);
    Some((w, h))
}

/// How long the document a page left for may take to load when a call ran into the departure.
const DEPARTURE_LOAD_LIMIT: Duration = Duration::from_secs(15);

/// A screenshot that has not come back by then will not come (seen when the page went
/// elsewhere during the capture); a 5,000 px page at three device pixels takes about 2 s.
const SCREENSHOT_LIMIT: Duration = Duration::from_secs(15);

/// Runs `call`; if it has not returned within [`HANG_GUARD`], interrupts the page's running
/// script (`Runtime.terminateExecution` is served off the renderer's busy main thread).
fn guarded<T>(tab: &Arc<Tab>, call: impl FnOnce() -> T) -> (T, bool) {
    let hung = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<()>();
    let hung_flag = &hung;
    let out = std::thread::scope(|s| {
        s.spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(HANG_GUARD) {
                hung_flag.store(true, Ordering::SeqCst);
                let _ = tab.call_method(Runtime::TerminateExecution(None));
            }
        });
        let out = call();
        let _ = tx.send(());
        out
    });
    (out, hung.load(Ordering::SeqCst))
}

fn on_event(g: &mut PageEvents, e: &Event) {
    let now = Some(Instant::now());
    match e {
        Event::PageLoadEventFired(_) => g.loaded = true,
        Event::PageFrameNavigated(f) if f.params.frame.parent_id.is_none() => {
            g.main_navigations += 1;
            g.main_frame = Some(f.params.frame.id.clone());
        }
        // (Only to another document: a fragment or pushState change fires no load event.)
        Event::PageFrameStartedNavigating(f) if g.loaded && g.main_frame.as_deref() == Some(f.params.frame_id.as_str()) => {
            use Page::FrameStartedNavigatingEventNavigation_TypeOption as T;
            if !matches!(f.params.navigation_Type, T::SameDocument | T::HistorySameDocument) {
                g.left_after_load = true;
                g.loaded = false;
            }
        }
        Event::PageDownloadWillBegin(d) if !g.downloads.contains(&d.params.url) => {
            g.downloads.push(d.params.url.clone());
        }
        Event::InspectorTargetCrashed(_) => g.crashed = true,
        Event::LogEntryAdded(l) => {
            let entry = &l.params.entry;
            // Network errors are reported once, as failed requests.
            if matches!(entry.source, Log::LogEntrySource::Network) {
                return;
            }
            let level = match entry.level {
                Log::LogEntryLevel::Error => Severity::Error,
                Log::LogEntryLevel::Warning => Severity::Warning,
                _ => return,
            };
            let source = entry.url.as_ref().map(|u| format!("{u}:{}", entry.line_number.unwrap_or(0))).unwrap_or_default();
            g.console.push(ConsoleEntry { level, text: entry.text.clone(), source });
            g.last_activity = now;
        }
        Event::RuntimeConsoleAPICalled(c) => {
            use Runtime::ConsoleAPICalledEventTypeOption as T;
            let level = match c.params.Type {
                T::Error | T::Assert => Severity::Error,
                T::Warning => Severity::Warning,
                _ => return,
            };
            let text: Vec<String> = c
                .params
                .args
                .iter()
                .map(|a| match &a.value {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(v) => v.to_string(),
                    None => a.description.clone().unwrap_or_default(),
                })
                .collect();
            let source =
                c.params.stack_trace.as_ref().and_then(|s| s.call_frames.first()).map(|f| format!("{}:{}", f.url, f.line_number + 1)).unwrap_or_default();
            g.console.push(ConsoleEntry { level, text: text.join(" "), source });
            g.last_activity = now;
        }
        Event::RuntimeExceptionThrown(x) => {
            let d = &x.params.exception_details;
            let text = d.exception.as_ref().and_then(|o| o.description.clone()).unwrap_or_else(|| d.text.clone());
            if text.contains("Preflight stopped a dialog loop") {
                return;
            }
            let first_line = text.lines().next().unwrap_or_default().to_string();
            let source = d.url.as_ref().map(|u| format!("{u}:{}", d.line_number + 1)).unwrap_or_default();
            g.exceptions.push(ConsoleEntry { level: Severity::Error, text: first_line, source });
            g.last_activity = now;
        }
        Event::NetworkRequestWillBeSent(r) => {
            g.requests.insert(r.params.request_id.clone(), (r.params.request.url.clone(), r.params.Type.clone()));
            g.requests_sent += 1;
            g.last_activity = now;
        }
        Event::NetworkResponseReceived(r) => {
            let p = &r.params;
            if matches!(p.Type, Network::ResourceType::Document) {
                g.document_status = Some(p.response.status);
                let attachment = p.response.headers.0.as_ref().and_then(|h| h.as_object()).is_some_and(|h| {
                    h.iter().any(|(k, v)| {
                        k.eq_ignore_ascii_case("content-disposition")
                            && v.as_str().is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("attachment"))
                    })
                });
                if attachment && !g.downloads.contains(&p.response.url) {
                    g.downloads.push(p.response.url.clone());
                }
            }
            if matches!(p.Type, Network::ResourceType::Script) {
                g.scripts.insert(p.response.url.clone(), p.request_id.clone());
            }
            g.responses.push(Response { url: p.response.url.clone(), status: p.response.status, kind: Some(p.Type.clone()) });
            g.last_activity = now;
        }
        Event::NetworkLoadingFailed(f) => {
            let p = &f.params;
            let url = g.requests.get(&p.request_id).map(|r| r.0.clone()).unwrap_or_default();
            if p.canceled == Some(true) && p.blocked_reason.is_none() {
                return;
            }
            let why = match &p.blocked_reason {
                Some(b) => format!("blocked ({b:?})"),
                None => p.error_text.clone(),
            };
            g.failed.push((url, why));
            g.last_activity = now;
        }
        _ => {}
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Marker {
    present: bool,
    visible: bool,
    text: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Measure {
    url: String,
    title: String,
    height: u32,
    overflow: u32,
    culprits: Vec<String>,
    marker: Marker,
    text: String,
    dialogs: u32,
    dialog_samples: Vec<String>,
    popups: Vec<String>,
    scripts: Vec<String>,
    inline_scripts: Vec<String>,
}

/// Analytics collectors by their request URLs: Google (GA4 and Universal), Plausible (also
/// proxied: `/api/event`), Matomo, Umami (`/api/send`), Fathom, Cloudflare, Pirsch, Simple
/// Analytics, PostHog, Clarity, Segment.
const COLLECTOR: &str = r"(?i)google-analytics\.com/(?:g/|j/)?collect|/g/collect\?|plausible\.io/api/event|/api/event(?:$|\?)|/matomo\.php|/piwik\.php|/api/send(?:$|\?)|usefathom\.com/\?|cloudflareinsights\.com/cdn-cgi/rum|/cdn-cgi/rum|api\.pirsch\.io|simpleanalyticscdn\.com|posthog\.com/(?:e|i/v0/e|batch|decide|flags)|clarity\.ms/collect|api\.segment\.io";

/// Vendors' globals that exist only once their script has loaded (not the snippets' stubs).
const ANALYTICS_GLOBALS: &str = "(function(){var w=window,g=[];\
if(w.google_tag_manager)g.push('Google tag');if(w.Matomo||w.Piwik)g.push('Matomo');\
if(w.umami&&typeof w.umami.track==='function')g.push('Umami');if(w.fathom&&typeof w.fathom.trackPageview==='function')g.push('Fathom');\
if(w.__cfBeacon)g.push('Cloudflare Web Analytics');if(w.sa_loaded)g.push('Simple Analytics');\
if(w.posthog&&w.posthog.__loaded)g.push('PostHog');if(w.pirsch)g.push('Pirsch');\
return JSON.stringify({running:g,html:document.documentElement?document.documentElement.outerHTML.slice(0,400000):''});})()";

#[derive(Debug, Default, Deserialize)]
struct AnalyticsSeen {
    running: Vec<String>,
    html: String,
}

/// "analytics tags", confirmed: a page whose HTML carries an analytics snippet must call the
/// vendor's collector or load the vendor's script in the browser; otherwise the tag is
/// blocked (CSP, a consent banner that never says yes), broken or misconfigured.
fn analytics(h: &TabHandle, url: &str, ev: &PageEvents, found: &mut impl FnMut(Finding)) {
    let Ok((Some(seen), _)) = h.eval_json::<AnalyticsSeen>(ANALYTICS_GLOBALS) else { return };
    if !preflight_engine::checks::has_analytics_tag(&seen.html) || !seen.running.is_empty() {
        return;
    }
    let collector = regex::Regex::new(COLLECTOR).expect("a valid pattern");
    let called = ev.requests.values().map(|(u, _)| u.as_str()).chain(ev.responses.iter().map(|r| r.url.as_str())).any(|u| collector.is_match(u));
    // Vendors skip their collector in automated browsers (Plausible checks
    // navigator.webdriver, so Preflight's visits do not count): the vendor's script loading
    // is confirmation enough.
    let script_loaded = ev
        .responses
        .iter()
        .any(|r| r.status < 400 && matches!(r.kind, Some(Network::ResourceType::Script)) && preflight_engine::checks::has_analytics_tag(&r.url));
    if !called && !script_loaded {
        let failed: Vec<&str> =
            ev.failed.iter().map(|(u, _)| u.as_str()).chain(ev.responses.iter().filter(|r| r.status >= 400).map(|r| r.url.as_str())).take(3).collect();
        let evidence = if failed.is_empty() {
            "no collector request, no analytics script loaded and no vendor global after the page settled".to_string()
        } else {
            format!("no collector request; failed requests: {}", failed.join(", "))
        };
        found(Finding::new(
            "analytics-not-running",
            url,
            "The page carries an analytics tag, but no analytics ran in the browser: the tag is blocked, broken or misconfigured, so visits are not counted",
            evidence,
        ));
    }
}

/// Hides the elements of each selector (and what is inside them) and draws a hatched box
/// where each was, so a carousel or a date never counts as a visual change while the
/// screenshot still shows that something is masked there. A selector the page's browser
/// cannot read is skipped. Answers the number of boxes drawn.
const MASK_SCRIPT: &str = r#"function (list) {
  var boxes = 0;
  list.forEach(function (sel) {
    var els;
    try { els = document.querySelectorAll(sel); } catch (e) { return; }
    Array.prototype.forEach.call(els, function (el) {
      var r = el.getBoundingClientRect();
      if (r.width < 1 || r.height < 1) return;
      el.style.setProperty('visibility', 'hidden', 'important');
      Array.prototype.forEach.call(el.querySelectorAll('*'), function (c) { c.style.setProperty('visibility', 'hidden', 'important'); });
      var b = document.createElement('div');
      b.setAttribute('data-preflight-mask', '');
      b.style.cssText = 'position:absolute;z-index:2147483647;pointer-events:none;margin:0;padding:0;border:0;'
        + 'left:' + (r.left + window.pageXOffset) + 'px;top:' + (r.top + window.pageYOffset) + 'px;'
        + 'width:' + r.width + 'px;height:' + r.height + 'px;'
        + 'background:repeating-linear-gradient(45deg,#c9ced6 0,#c9ced6 8px,#dde1e7 8px,#dde1e7 16px)';
      document.documentElement.appendChild(b);
      boxes++;
    });
  });
  return JSON.stringify(boxes);
}"#;

/// Pages that turn old browsers away.
const UNSUPPORTED_BROWSER: &str = r"(?i)(upgrade|update|switch) (to a (newer|modern|supported) |your )(web )?browser|(browser|internet explorer|ie ?11)( version)? (is|isn't|is not|are not) (supported|compatible)|unsupported browser|outdated browser|(no longer|don't|do not|does not) support (internet explorer|ie ?11|your browser|this browser)|use a (modern|different|newer|supported) browser";

/// One page at one viewport.
pub(crate) fn page(shared: &Shared, h: &TabHandle, page: &Url, vi: usize) -> Result<JobOutput, String> {
    let settings = &shared.settings;
    let vp = &settings.viewports[vi];
    let mut out = JobOutput::default();
    let mut found = |f: Finding| out.found.push(Found::at(f, &vp.name));
    let url = page.as_str();
    h.events.lock().expect("events lock").reset();
    let throttled = settings.throttle_mobile && (vp.mobile || vp.touch);
    h.emulate(vp, &shared.user_agent, throttled)?;
    let t0 = Instant::now();
    let profile = std::env::var_os("PREFLIGHT_PROFILE_BROWSER").is_some();
    let mut marks: Vec<(&str, Instant)> = vec![("start", t0)];
    let mut loaded = h.navigate(url, settings.load_timeout)?;
    // A page that leaves as soon as it has loaded is seen where it goes, as a person sees it.
    if loaded {
        loaded = h.follow_departure(settings.load_timeout)?;
    }
    marks.push(("load", Instant::now()));
    let load_ms = t0.elapsed().as_millis() as u64;
    if h.dead() {
        found(Finding::new(
            "renderer-crash",
            url,
            format!("The page crashed the browser tab ({})", vp.label),
            "Inspector.targetCrashed: the renderer died (out of memory, or a browser bug the page triggers)",
        ));
        return Ok(out);
    }
    let downloads = h.events.lock().expect("events lock").downloads.clone();
    if !downloads.is_empty() {
        found(Finding::new("download-on-visit", url, "Opening the page starts a download instead of showing a page", snippet(&downloads.join(", "), 200)));
        return Ok(out);
    }
    if !loaded {
        found(Finding::new(
            "page-load-timeout",
            url,
            format!("The page did not finish loading within {} s", settings.load_timeout.as_secs()),
            "the load event never fired: a request that never ends, or a script that never lets go",
        ));
        let _ = h.call(Page::StopLoading(None));
    }
    // Measure and take the screenshot at once (as a person sees the page after it loads);
    // late console messages are waited for afterwards, while nothing else needs the tab.
    let (measure, _) = h.eval_json::<Measure>(&format!("window.__preflight ? window.__preflight.measure({}) : null", js_string(&settings.dev_marker)))?;
    let m = measure.unwrap_or_default();
    marks.push(("measure", Instant::now()));
    // The page itself (or where it navigated: JavaScript, meta refresh, a redirect served only
    // to browsers) refused by the network guard: a finding, never a screenshot.
    if let Some(guard) = &shared.guard {
        let refused =
            guard.refusal_for(url).map(|why| (url.to_string(), why)).or_else(|| guard.refusal_for(&m.url).map(|why| (m.url.clone(), why))).or_else(|| {
                let ev = h.events.lock().expect("events lock");
                let error_page = m.url.starts_with("chrome-error:") || m.url.is_empty();
                error_page.then(|| ev.failed.iter().find_map(|(u, _)| guard.refusal_for(u).map(|why| (u.clone(), why)))).flatten()
            });
        if let Some((target, why)) = refused {
            found(Finding::new(
                "failed-request",
                url,
                format!("The page leads to an address Preflight refuses ({}): nothing from it was loaded or captured", snippet(&target, 120)),
                format!("refused by the browser's network guard: {why}"),
            ));
            return Ok(out);
        }
    }
    // Page quality from the browser's timing, once the page has settled — before axe and the
    // screenshot, whose work on the page's main thread would count as its long tasks.
    let touch = vp.touch || vp.mobile;
    h.settle(Duration::from_millis(200), Duration::from_millis(1500));
    let (quality, _) =
        h.eval_json::<crate::quality::Answer>(&format!("window.__preflight && window.__preflight.quality ? window.__preflight.quality({touch}) : null"))?;
    let (metrics, quality_found) = match quality {
        Some(answer) => {
            let (mut m, f) = crate::quality::judge(answer, url, &vp.name, &settings.budgets, touch);
            m.throttled = throttled;
            (Some(m), f)
        }
        None => (None, Vec::new()),
    };
    marks.push(("quality", Instant::now()));
    // Accessibility, on the page as loaded (before anything is masked for the screenshot).
    let a11y = settings.a11y.as_ref().map(|policy| crate::a11y::check(h, policy));
    marks.push(("a11y", Instant::now()));
    // Ignore regions are masked after the page was measured and before it is photographed.
    let masks: Vec<&str> = settings.ignore_regions.iter().filter(|r| r.applies_to(page.path())).map(|r| r.selector.as_str()).collect();
    if settings.screenshot_dir.is_some() && !masks.is_empty() {
        let list = serde_json::to_string(&masks).expect("strings serialise");
        h.eval_json::<u32>(&format!("({MASK_SCRIPT})({list})"))?;
    }
    let take = |height: u32| h.screenshot(vp, (height > 0).then_some(height), settings.max_screenshot_height, settings.thumbnails);
    let shot = match &settings.screenshot_dir {
        Some(_) => match take(m.height) {
            Ok(shot) => Some(shot),
            // It left while the picture was taken: the picture is of where it went.
            Err(e) if h.departed(&e) => {
                // (A capture stalled by the departure is not the page's script hanging.)
                h.events.lock().expect("events lock").script_stopped = false;
                h.follow_departure(settings.load_timeout)?;
                Some(take(0)?)
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    if h.dead() {
        found(Finding::new("renderer-crash", url, format!("The page crashed the browser tab ({})", vp.label), "Inspector.targetCrashed"));
        return Ok(out);
    }

    marks.push(("screenshot", Instant::now()));
    h.settle(Duration::from_millis(200), Duration::from_millis(1500));
    // Still answering? A loop that began after the page loaded (or while it settled) keeps
    // the renderer from running this, and is interrupted like one found earlier.
    let _ = h.eval_json::<u8>("'1'");
    marks.push(("settle", Instant::now()));
    let ev = std::mem::take(&mut *h.events.lock().expect("events lock"));
    if ev.script_stopped {
        found(Finding::new(
            "script-hang",
            url,
            format!("A script kept the page busy for over {} s and was stopped", HANG_GUARD.as_secs()),
            "the browser could not run anything else on the page: an endless loop?",
        ));
    }
    let mut console_lines = Vec::new();
    for c in ev.console.iter().take(MAX_MESSAGES) {
        let level = if c.level == Severity::Error { "error" } else { "warning" };
        console_lines.push(format!("console {level}: {}", snippet(&c.text, 300)));
        found(Finding::new("console-error", url, format!("Console {level}: {}", snippet(&c.text, 160)), c.source.clone()).with_severity(c.level));
    }
    for x in ev.exceptions.iter().take(MAX_MESSAGES) {
        console_lines.push(format!("uncaught exception: {}", snippet(&x.text, 300)));
        found(Finding::new("uncaught-exception", url, format!("Uncaught exception: {}", snippet(&x.text, 160)), x.source.clone()));
    }
    // The browser's own favicon request is the HTTP checks' business (favicon-missing).
    let automatic = |u: &str| Url::parse(u).is_ok_and(|u| u.path() == "/favicon.ico");
    let mut failed: Vec<(String, String)> = ev.failed.iter().filter(|(u, _)| !automatic(u)).cloned().collect();
    for r in ev.responses.iter().filter(|r| r.status >= 400 && !matches!(r.kind, Some(Network::ResourceType::Document)) && !automatic(&r.url)) {
        failed.push((r.url.clone(), format!("HTTP {}", r.status)));
    }
    if let Some(guard) = &shared.guard {
        // Frames are documents too: a refused iframe is a refused request of this page.
        for r in ev.responses.iter().filter(|r| matches!(r.kind, Some(Network::ResourceType::Document)) && r.status == 403) {
            if guard.refusal_for(&r.url).is_some() {
                failed.push((r.url.clone(), String::new()));
            }
        }
    }
    failed.dedup();
    if let Some(guard) = &shared.guard {
        for (furl, why) in failed.iter_mut() {
            if let Some(refusal) = guard.refusal_for(furl) {
                *why = format!("refused by the browser's network guard: {refusal}");
            }
        }
    }
    for (furl, why) in failed.iter().take(MAX_MESSAGES) {
        console_lines.push(format!("failed request: {furl} ({why})"));
        found(Finding::new("failed-request", url, format!("A resource failed to load: {}", snippet(furl, 160)), why.clone()));
    }
    let (a11y_issues, a11y_error) = match a11y {
        Some(Ok(issues)) => (issues, None),
        Some(Err(e)) => (Vec::new(), Some(e)),
        None => (Vec::new(), None),
    };
    for f in a11y_issues.iter().filter_map(|issue| crate::a11y::finding(issue, url)).chain(quality_found) {
        found(f);
    }
    let dialogs = m.dialogs as usize + ev.native_dialogs.len();
    if dialogs > 0 {
        let mut samples = m.dialog_samples.clone();
        samples.extend(ev.native_dialogs.iter().cloned());
        let msg = if m.dialogs >= 20 {
            "The page opens dialog boxes in a loop (Preflight stopped it after 20)".to_string()
        } else {
            format!("The page opens {dialogs} dialog box(es) (alert/confirm/prompt) on its own")
        };
        found(Finding::new("javascript-dialog", url, msg, snippet(&samples.join("; "), 240)));
    }
    if !m.popups.is_empty() {
        found(Finding::new("popup-opened", url, format!("The page tries to open {} pop-up window(s)", m.popups.len()), snippet(&m.popups.join(", "), 240)));
    }
    if m.overflow > 1 {
        found(Finding::new(
            "horizontal-overflow",
            url,
            format!("Content is {} px wider than the {} px viewport ({})", m.overflow, vp.width, vp.name),
            if m.culprits.is_empty() { "the page scrolls sideways".to_string() } else { m.culprits.join("; ") },
        ));
    }
    if !settings.env.is_production() && m.marker.present && !m.marker.visible {
        found(Finding::new(
            "dev-banner-not-visible",
            url,
            format!("The dev-site marker is on the page but hidden at {}", vp.label),
            format!("text: \"{}\"", m.marker.text),
        ));
    }
    let final_url = if m.url.is_empty() { url.to_string() } else { m.url.clone() };
    if vp.is_old_ie() {
        old_ie(shared, h, page, &m, &final_url, &ev, &mut found);
    } else {
        shared.page_texts.lock().expect("texts lock").entry(url.to_string()).or_insert_with(|| (m.text.clone(), final_url.clone()));
    }
    if vi == 0 && settings.env.is_production() {
        analytics(h, url, &ev, &mut found);
    }
    if vi == 0 {
        out.jobs.extend(crate::forms::discover(shared, h, page));
    }

    let problems: Vec<String> = {
        let mut p: Vec<String> = out.found.iter().map(|f| f.finding.check.clone()).collect();
        p.sort();
        p.dedup();
        p
    };
    let mut capture = Capture {
        url: url.to_string(),
        final_url,
        viewport: vp.name.clone(),
        path: None,
        thumbnail: None,
        width: 0,
        height: 0,
        page_height: m.height,
        load_ms,
        console: console_lines,
        overflow_px: m.overflow,
        problems,
        title: m.title.trim().chars().take(300).collect(),
        a11y: a11y_issues,
        a11y_error,
        metrics,
    };
    if let (Some(dir), Some(shot)) = (&settings.screenshot_dir, shot) {
        let stem = file_stem(shared, page, &vp.name);
        let path = dir.join(format!("{stem}.png"));
        std::fs::write(&path, &shot.png).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        if let Some(t) = shot.thumbnail {
            let tpath = dir.join(format!("{stem}.thumb.jpg"));
            std::fs::write(&tpath, t).map_err(|e| format!("cannot write {}: {e}", tpath.display()))?;
            capture.thumbnail = Some(tpath);
        }
        capture.path = Some(path);
        capture.width = shot.width;
        capture.height = shot.height;
        capture.page_height = capture.page_height.max(shot.page_height);
    }
    marks.push(("write", Instant::now()));
    if profile {
        let steps: Vec<String> = marks.windows(2).map(|w| format!("{} {} ms", w[1].0, (w[1].1 - w[0].1).as_millis())).collect();
        eprintln!("[browser] {} @ {}: {}", url, vp.name, steps.join(", "));
    }
    out.capture = Some(capture);
    Ok(out)
}

fn old_ie(shared: &Shared, h: &TabHandle, page: &Url, m: &Measure, final_url: &str, ev: &PageEvents, found: &mut impl FnMut(Finding)) {
    let url = page.as_str();
    let re = regex::Regex::new(UNSUPPORTED_BROWSER).expect("a valid pattern");
    let others = shared.page_texts.lock().expect("texts lock").get(url).cloned();
    if let Some(hit) = re.find(&m.text) {
        let elsewhere = others.as_ref().is_some_and(|(text, _)| re.is_match(text));
        if !elsewhere {
            found(Finding::new(
                "old-ie-unsupported",
                url,
                "Internet Explorer 11 gets an 'unsupported browser' page instead of the site",
                format!("the page says: \"{}\"", snippet(hit.as_str(), 120)),
            ));
        }
    } else if let Some((_, other_final)) = &others {
        let strip = |u: &str| u.split(['?', '#']).next().unwrap_or_default().to_string();
        if strip(other_final) != strip(final_url) {
            found(Finding::new(
                "old-ie-unsupported",
                url,
                "Internet Explorer 11 is sent to a different page than other browsers",
                format!("IE 11 ends at {final_url}; other browsers at {other_final}"),
            ));
        }
    }
    // Scripts IE 11 cannot parse.
    let mut sources: Vec<(String, String)> = Vec::new();
    for src in &m.scripts {
        if !shared.seen_scripts.lock().expect("scripts lock").insert(src.clone()) {
            continue;
        }
        let Some(id) = ev.scripts.get(src) else { continue };
        if let Ok(body) = h.tab.call_method(Network::GetResponseBody { request_id: id.clone() }) {
            let text = if body.base_64_encoded {
                base64::engine::general_purpose::STANDARD.decode(body.body).ok().and_then(|b| String::from_utf8(b).ok()).unwrap_or_default()
            } else {
                body.body
            };
            sources.push((src.clone(), text));
        }
    }
    for (i, text) in m.inline_scripts.iter().enumerate() {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut hasher);
        if shared.seen_scripts.lock().expect("scripts lock").insert(format!("inline:{:x}", hasher.finish())) {
            sources.push((format!("{url} (inline script {})", i + 1), text.clone()));
        }
    }
    for (name, text) in sources {
        if let Ok(v) = es5::violations(&text) {
            if !v.is_empty() {
                let mut kinds: Vec<&str> = v.iter().map(|x| x.feature).collect();
                kinds.sort();
                kinds.dedup();
                let places: Vec<String> = v.iter().take(3).map(|x| format!("line {}:{} {}", x.line, x.column, x.feature)).collect();
                found(Finding::new(
                    "old-ie-syntax",
                    name.clone(),
                    format!("Internet Explorer 11 cannot run this script: it uses {}", snippet(&kinds.join(", "), 160)),
                    format!("{}{}", places.join("; "), if v.len() > 3 { format!(" (+{} more)", v.len() - 3) } else { String::new() }),
                ));
            }
        }
    }
}

/// A readable, unique file name for a page at a viewport, e.g. `about-team--ipad`.
fn file_stem(shared: &Shared, page: &Url, viewport: &str) -> String {
    let mut base: String = page.path().trim_matches('/').chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    if let Some(q) = page.query() {
        base.push('-');
        base.extend(q.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }));
    }
    let mut base = base.split('-').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("-");
    if base.is_empty() {
        base = "home".into();
    }
    base.truncate(80);
    let mut names = shared.file_names.lock().expect("names lock");
    let mut stem = format!("{base}--{viewport}");
    let mut n = 2;
    while !names.insert(stem.clone()) {
        stem = format!("{base}-{n}--{viewport}");
        n += 1;
    }
    stem
}

/// A JavaScript string literal.
pub(crate) fn js_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// Form discovery needs the measure types too.
pub(crate) fn forms_on_page(h: &TabHandle) -> Result<Vec<FormInfo>, String> {
    Ok(h.eval_json::<Vec<FormInfo>>("window.__preflight ? window.__preflight.forms() : '[]'")?.0.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_sizes_come_from_the_header() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend(1536u32.to_be_bytes());
        png.extend(2048u32.to_be_bytes());
        assert_eq!(png_size(&png), Some((1536, 2048)));
        assert_eq!(png_size(b"GIF89a"), None);
    }

    #[test]
    fn unsupported_browser_pages_are_recognised() {
        let re = regex::Regex::new(UNSUPPORTED_BROWSER).unwrap();
        for yes in [
            "Your browser is not supported. Please upgrade your browser.",
            "Internet Explorer is not supported",
            "We no longer support Internet Explorer",
            "Please use a modern browser such as Firefox",
            "Unsupported browser",
        ] {
            assert!(re.is_match(yes), "{yes}");
        }
        for no in ["Welcome to our shop", "Browse our supported products"] {
            assert!(!re.is_match(no), "{no}");
        }
    }
}
