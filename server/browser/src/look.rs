//! One page looked at through one viewport: opened in a tab, measured, checked for
//! accessibility and page quality, photographed, and what the tab heard and saw turned into
//! findings. [`page`] runs these jobs in order; each is a function of its own.

use std::{
    hash::{Hash, Hasher},
    time::{Duration, Instant},
};

use base64::Engine as _;
use headless_chrome::protocol::cdp::{Network, Page};
use preflight_engine::{finding::snippet, Finding, Severity};
use preflight_model::PageMetrics;
use serde::Deserialize;
use url::Url;

use crate::{
    capture::{js_string, Found, JobOutput, PageEvents, Shot, TabHandle, HANG_GUARD, MAX_MESSAGES},
    es5,
    session::Shared,
    viewport::Viewport,
    BrowserSettings, Capture,
};

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

/// How long a page's network must be quiet before it counts as settled, and the most it waits.
const SETTLE_QUIET: Duration = Duration::from_millis(200);
const SETTLE_LIMIT: Duration = Duration::from_millis(1500);

/// One page at one viewport.
pub(crate) fn page(shared: &Shared, h: &TabHandle, page: &Url, vi: usize) -> Result<JobOutput, String> {
    let settings = &shared.settings;
    let vp = &settings.viewports[vi];
    let url = page.as_str();
    let mut out = JobOutput::default();
    let mut found = |f: Finding| out.found.push(Found::at(f, &vp.name));
    let mut steps = Steps::new();
    let throttled = settings.throttle_mobile && (vp.mobile || vp.touch);
    let Some(load_ms) = open(shared, h, url, vp, throttled, &mut found)? else {
        return Ok(out);
    };
    steps.mark("load");
    // Measure and take the screenshot at once (as a person sees the page after it loads);
    // late console messages are waited for afterwards, while nothing else needs the tab.
    let (measure, _) = h.eval_json::<Measure>(&format!("window.__preflight ? window.__preflight.measure({}) : null", js_string(&settings.dev_marker)))?;
    let m = measure.unwrap_or_default();
    steps.mark("measure");
    if let Some(refused) = refused(shared, h, url, &m) {
        found(refused);
        return Ok(out);
    }
    let (metrics, quality_found) = quality(h, settings, vp, url, throttled)?;
    steps.mark("quality");
    // Accessibility, on the page as loaded (before anything is masked for the screenshot).
    let a11y = settings.a11y.as_ref().map(|policy| crate::a11y::check(h, policy));
    steps.mark("a11y");
    let shot = photograph(h, settings, vp, page, m.height)?;
    if h.dead() {
        found(Finding::new("renderer-crash", url, format!("The page crashed the browser tab ({})", vp.label), "Inspector.targetCrashed"));
        return Ok(out);
    }
    steps.mark("screenshot");
    h.settle(SETTLE_QUIET, SETTLE_LIMIT);
    // Still answering? A loop that began after the page loaded (or while it settled) keeps
    // the renderer from running this, and is interrupted like one found earlier.
    let _ = h.eval_json::<u8>("'1'");
    steps.mark("settle");
    let ev = std::mem::take(&mut *h.events.lock().expect("events lock"));
    let console = heard(shared, url, &ev, &mut found);
    let (a11y_issues, a11y_error) = match a11y {
        Some(Ok(issues)) => (issues, None),
        Some(Err(e)) => (Vec::new(), Some(e)),
        None => (Vec::new(), None),
    };
    for f in a11y_issues.iter().filter_map(|issue| crate::a11y::finding(issue, url)).chain(quality_found) {
        found(f);
    }
    seen(settings, vp, url, &m, &ev, &mut found);
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
    let mut problems: Vec<String> = out.found.iter().map(|f| f.finding.check.clone()).collect();
    problems.sort();
    problems.dedup();
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
        console,
        overflow_px: m.overflow,
        problems,
        title: m.title.trim().chars().take(300).collect(),
        a11y: a11y_issues,
        a11y_error,
        metrics,
    };
    if let Some(shot) = shot {
        save(shared, page, vp, shot, &mut capture)?;
    }
    steps.mark("write");
    steps.report(url, vp);
    out.capture = Some(capture);
    Ok(out)
}

/// Where the time of one look went, printed when `PREFLIGHT_PROFILE_BROWSER` is set.
struct Steps {
    on: bool,
    marks: Vec<(&'static str, Instant)>,
}

impl Steps {
    fn new() -> Steps {
        Steps { on: std::env::var_os("PREFLIGHT_PROFILE_BROWSER").is_some(), marks: vec![("start", Instant::now())] }
    }

    fn mark(&mut self, step: &'static str) {
        self.marks.push((step, Instant::now()));
    }

    fn report(&self, url: &str, vp: &Viewport) {
        if self.on {
            let steps: Vec<String> = self.marks.windows(2).map(|w| format!("{} {} ms", w[1].0, (w[1].1 - w[0].1).as_millis())).collect();
            eprintln!("[browser] {} @ {}: {}", url, vp.name, steps.join(", "));
        }
    }
}

/// Opens the page at the viewport and waits for it to load, following a page that leaves as
/// soon as it has loaded (it is seen where it goes, as a person sees it). Answers the load
/// time, or `None` when there is nothing to look at: the tab crashed, or the address starts a
/// download. A page that never finishes loading is stopped, found, and looked at as it is.
fn open(shared: &Shared, h: &TabHandle, url: &str, vp: &Viewport, throttled: bool, found: &mut impl FnMut(Finding)) -> Result<Option<u64>, String> {
    let settings = &shared.settings;
    h.events.lock().expect("events lock").reset();
    h.emulate(vp, &shared.user_agent, throttled)?;
    let t0 = Instant::now();
    let mut loaded = h.navigate(url, settings.load_timeout)?;
    if loaded {
        loaded = h.follow_departure(settings.load_timeout)?;
    }
    let load_ms = t0.elapsed().as_millis() as u64;
    if h.dead() {
        found(Finding::new(
            "renderer-crash",
            url,
            format!("The page crashed the browser tab ({})", vp.label),
            "Inspector.targetCrashed: the renderer died (out of memory, or a browser bug the page triggers)",
        ));
        return Ok(None);
    }
    let downloads = h.events.lock().expect("events lock").downloads.clone();
    if !downloads.is_empty() {
        found(Finding::new("download-on-visit", url, "Opening the page starts a download instead of showing a page", snippet(&downloads.join(", "), 200)));
        return Ok(None);
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
    Ok(Some(load_ms))
}

/// The page itself (or where it navigated: JavaScript, meta refresh, a redirect served only
/// to browsers) refused by the network guard: a finding, never a screenshot.
fn refused(shared: &Shared, h: &TabHandle, url: &str, m: &Measure) -> Option<Finding> {
    let guard = shared.guard.as_ref()?;
    let (target, why) =
        guard.refusal_for(url).map(|why| (url.to_string(), why)).or_else(|| guard.refusal_for(&m.url).map(|why| (m.url.clone(), why))).or_else(|| {
            let ev = h.events.lock().expect("events lock");
            let error_page = m.url.starts_with("chrome-error:") || m.url.is_empty();
            error_page.then(|| ev.failed.iter().find_map(|(u, _)| guard.refusal_for(u).map(|why| (u.clone(), why)))).flatten()
        })?;
    Some(Finding::new(
        "failed-request",
        url,
        format!("The page leads to an address Preflight refuses ({}): nothing from it was loaded or captured", snippet(&target, 120)),
        format!("refused by the browser's network guard: {why}"),
    ))
}

/// Page quality from the browser's own timing, once the page has settled — before axe and the
/// screenshot, whose work on the page's main thread would count as its long tasks. `None`
/// when the page's quality script did not answer (nothing is judged then).
fn quality(h: &TabHandle, settings: &BrowserSettings, vp: &Viewport, url: &str, throttled: bool) -> Result<(Option<PageMetrics>, Vec<Finding>), String> {
    let touch = vp.touch || vp.mobile;
    h.settle(SETTLE_QUIET, SETTLE_LIMIT);
    let (answer, _) =
        h.eval_json::<crate::quality::Answer>(&format!("window.__preflight && window.__preflight.quality ? window.__preflight.quality({touch}) : null"))?;
    Ok(match answer {
        Some(answer) => {
            let (mut metrics, found) = crate::quality::judge(answer, url, &vp.name, &settings.budgets, touch);
            metrics.throttled = throttled;
            (Some(metrics), found)
        }
        None => (None, Vec::new()),
    })
}

/// The screenshot (when the run takes them), with the page's ignore regions masked first —
/// after it was measured and checked, so masking changes nothing but the picture. A page
/// that leaves while it is photographed is photographed where it went.
fn photograph(h: &TabHandle, settings: &BrowserSettings, vp: &Viewport, page: &Url, height: u32) -> Result<Option<Shot>, String> {
    if settings.screenshot_dir.is_none() {
        return Ok(None);
    }
    let masks: Vec<&str> = settings.ignore_regions.iter().filter(|r| r.applies_to(page.path())).map(|r| r.selector.as_str()).collect();
    if !masks.is_empty() {
        let list = serde_json::to_string(&masks).expect("strings serialise");
        h.eval_json::<u32>(&format!("({MASK_SCRIPT})({list})"))?;
    }
    let take = |height: u32| h.screenshot(vp, (height > 0).then_some(height), settings.max_screenshot_height, settings.thumbnails);
    match take(height) {
        Ok(shot) => Ok(Some(shot)),
        Err(e) if h.departed(&e) => {
            // (A capture stalled by the departure is not the page's script hanging.)
            h.events.lock().expect("events lock").script_stopped = false;
            h.follow_departure(settings.load_timeout)?;
            Ok(Some(take(0)?))
        }
        Err(e) => Err(e),
    }
}

/// What the tab heard while the page loaded and settled: a script that hung, console errors
/// and warnings, uncaught exceptions, requests that failed. Answers the capture's console
/// lines.
fn heard(shared: &Shared, url: &str, ev: &PageEvents, found: &mut impl FnMut(Finding)) -> Vec<String> {
    if ev.script_stopped {
        found(Finding::new(
            "script-hang",
            url,
            format!("A script kept the page busy for over {} s and was stopped", HANG_GUARD.as_secs()),
            "the browser could not run anything else on the page: an endless loop?",
        ));
    }
    let mut lines = Vec::new();
    for c in ev.console.iter().take(MAX_MESSAGES) {
        let level = if c.level == Severity::Error { "error" } else { "warning" };
        lines.push(format!("console {level}: {}", snippet(&c.text, 300)));
        found(Finding::new("console-error", url, format!("Console {level}: {}", snippet(&c.text, 160)), c.source.clone()).with_severity(c.level));
    }
    for x in ev.exceptions.iter().take(MAX_MESSAGES) {
        lines.push(format!("uncaught exception: {}", snippet(&x.text, 300)));
        found(Finding::new("uncaught-exception", url, format!("Uncaught exception: {}", snippet(&x.text, 160)), x.source.clone()));
    }
    for (furl, why) in failed_requests(shared, ev).iter().take(MAX_MESSAGES) {
        lines.push(format!("failed request: {furl} ({why})"));
        found(Finding::new("failed-request", url, format!("A resource failed to load: {}", snippet(furl, 160)), why.clone()));
    }
    lines
}

/// The page's requests that failed or answered 4xx/5xx (its own document aside), with why;
/// those the network guard refused say so.
fn failed_requests(shared: &Shared, ev: &PageEvents) -> Vec<(String, String)> {
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
    failed
}

/// What the page's measurements show: dialogs and pop-ups it opens on its own, content wider
/// than the viewport, a dev-site marker that is there but hidden.
fn seen(settings: &BrowserSettings, vp: &Viewport, url: &str, m: &Measure, ev: &PageEvents, found: &mut impl FnMut(Finding)) {
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
}

/// Writes the screenshot (and its thumbnail) into the run's folder under a readable name, and
/// records them on the capture.
fn save(shared: &Shared, page: &Url, vp: &Viewport, shot: Shot, capture: &mut Capture) -> Result<(), String> {
    let Some(dir) = &shared.settings.screenshot_dir else { return Ok(()) };
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
    Ok(())
}

/// What only the old-IE viewport looks for: a page that turns IE 11 away (or sends it
/// elsewhere) and scripts it cannot parse.
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

#[cfg(test)]
mod tests {
    use super::*;

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
