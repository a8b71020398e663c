//! One tab: what it hears from the page (console, exceptions, network, crashes), and how it is
//! driven (emulation, navigation, screenshots); `look` uses it to look at one page.

use std::{
    collections::HashMap,
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

use crate::{direct::Direct, forms::FormInfo, session::Job, viewport::Viewport, Capture};

/// The script every page gets before its own (dialog and pop-up guards, measuring helpers).
pub const INIT_JS: &str = concat!(include_str!("js/init.js"), include_str!("js/quality.js"));

/// The direct session gives up on an answer after this long (a local browser that stops
/// answering is killed by the coordinator long before).
const DIRECT_READ_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a busy page gets before its running script is interrupted.
pub(crate) const HANG_GUARD: Duration = Duration::from_secs(4);
/// Console messages kept per capture.
pub(crate) const MAX_MESSAGES: usize = 20;

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
}
