//! Page quality beside accessibility: performance from the browser's own timing (Core Web
//! Vitals, Total Blocking Time, transfer by type) held to budgets, image and font advice, and
//! mobile usability at the touch viewports. The page side is `js/quality.js` (observers that
//! start before any of the page's scripts); this side turns its answer into metrics and
//! findings.

use serde::Deserialize;

use preflight_engine::{finding::snippet, Finding, Severity};

pub use preflight_model::{PageMetrics, Shift, Transfer};

/// The budgets a page is held to. Times in ms; sizes in KB (1,024 bytes). The defaults are the
/// Core Web Vitals' "good" thresholds (TTFB 800 ms, FCP 1.8 s, LCP 2.5 s, CLS 0.1) and
/// Lighthouse's for TBT (200 ms); transfer and request budgets are off unless set.
#[derive(Debug, Clone, PartialEq)]
pub struct Budgets {
    pub ttfb_ms: f64,
    pub fcp_ms: f64,
    pub lcp_ms: f64,
    pub cls: f64,
    pub tbt_ms: f64,
    pub total_kb: Option<f64>,
    pub html_kb: Option<f64>,
    pub js_kb: Option<f64>,
    pub css_kb: Option<f64>,
    pub image_kb: Option<f64>,
    pub font_kb: Option<f64>,
    pub requests: Option<u32>,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            ttfb_ms: 800.0,
            fcp_ms: 1800.0,
            lcp_ms: 2500.0,
            cls: 0.1,
            tbt_ms: 200.0,
            total_kb: None,
            html_kb: None,
            js_kb: None,
            css_kb: None,
            image_kb: None,
            font_kb: None,
            requests: None,
        }
    }
}

/// The metric names budgets are set by, as people write them.
pub const BUDGET_NAMES: &[&str] = &["ttfb", "fcp", "lcp", "cls", "tbt", "total", "html", "js", "css", "images", "fonts", "requests"];

impl Budgets {
    /// Budgets over the defaults, one `metric = value` per entry: `lcp = 2s`, `tbt = 300ms`,
    /// `cls = 0.05`, `js = 300KB`, `total = 1.5MB`, `requests = 60`. Errors say what to write.
    pub fn parse(entries: &[String]) -> Result<Budgets, String> {
        let mut b = Budgets::default();
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            let Some((name, value)) = entry.split_once('=') else {
                return Err(format!("\"{entry}\": write a budget as metric = value, e.g. lcp = 2.5s or js = 300KB"));
            };
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_ascii_lowercase().replace(' ', ""));
            let bad = |what: &str| format!("\"{entry}\": {what}");
            match name.as_str() {
                "ttfb" | "fcp" | "lcp" | "tbt" => {
                    let ms = parse_ms(&value).ok_or_else(|| bad("give a time, e.g. 2.5s or 300ms"))?;
                    *match name.as_str() {
                        "ttfb" => &mut b.ttfb_ms,
                        "fcp" => &mut b.fcp_ms,
                        "lcp" => &mut b.lcp_ms,
                        _ => &mut b.tbt_ms,
                    } = ms;
                }
                "cls" => {
                    b.cls = value.parse::<f64>().ok().filter(|v| v.is_finite() && (0.0..=10.0).contains(v)).ok_or_else(|| bad("give a score such as 0.1"))?
                }
                "requests" => b.requests = Some(value.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| bad("give a number of requests, e.g. 60"))?),
                "total" | "html" | "js" | "css" | "images" | "fonts" => {
                    let kb = parse_kb(&value).ok_or_else(|| bad("give a size, e.g. 300KB or 1.5MB"))?;
                    *match name.as_str() {
                        "total" => &mut b.total_kb,
                        "html" => &mut b.html_kb,
                        "js" => &mut b.js_kb,
                        "css" => &mut b.css_kb,
                        "images" => &mut b.image_kb,
                        _ => &mut b.font_kb,
                    } = Some(kb);
                }
                _ => return Err(format!("\"{name}\" is not a budget Preflight knows; use one of {}", BUDGET_NAMES.join(", "))),
            }
        }
        Ok(b)
    }
}

fn parse_ms(v: &str) -> Option<f64> {
    let (num, scale) = if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (v, 1.0)
    };
    num.parse::<f64>().ok().map(|n| n * scale).filter(|ms| ms.is_finite() && *ms > 0.0 && *ms <= 600_000.0)
}

fn parse_kb(v: &str) -> Option<f64> {
    let (num, scale) = if let Some(n) = v.strip_suffix("mb") {
        (n, 1024.0)
    } else if let Some(n) = v.strip_suffix("kb") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('b') {
        (n, 1.0 / 1024.0)
    } else {
        (v, 1.0)
    };
    num.parse::<f64>().ok().map(|n| n * scale).filter(|kb| kb.is_finite() && *kb > 0.0 && *kb <= 1024.0 * 1024.0)
}

/// What `pf.quality()` answers.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Answer {
    ttfb: Option<f64>,
    fcp: Option<f64>,
    lcp: Option<f64>,
    lcp_element: String,
    cls: f64,
    shifts: Vec<Shift>,
    tbt: f64,
    long_tasks: u32,
    bytes: Transfer,
    requests: u32,
    blocking: Vec<Blocking>,
    oversized: Vec<Oversized>,
    legacy_images: Vec<Legacy>,
    fonts_without_display: Vec<String>,
    viewport_meta: Option<String>,
    small_targets: Vec<SmallTarget>,
    text: Option<TextSize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Blocking {
    url: String,
    ms: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Oversized {
    url: String,
    natural: [u32; 2],
    shown: [u32; 2],
    dpr: f64,
    bytes: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Legacy {
    url: String,
    bytes: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SmallTarget {
    target: String,
    size: [u32; 2],
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TextSize {
    total: u64,
    tiny: u64,
    sample: String,
}

/// A render-blocking resource counts when it kept the first paint waiting this long.
const BLOCKING_MS: f64 = 100.0;
/// Text smaller than 12 px may make up this share of a page's text on a phone.
const TINY_TEXT_SHARE: f64 = 0.4;

/// The metrics, and the findings they make against `budgets`, of one page at one viewport.
/// `touch`: a phone or tablet viewport, where mobile usability is judged.
pub(crate) fn judge(answer: Answer, url: &str, viewport: &str, budgets: &Budgets, touch: bool) -> (PageMetrics, Vec<Finding>) {
    let mut found = Vec::new();
    let m = PageMetrics {
        ttfb_ms: answer.ttfb,
        fcp_ms: answer.fcp,
        lcp_ms: answer.lcp,
        lcp_element: answer.lcp_element,
        cls: answer.cls,
        tbt_ms: answer.tbt,
        long_tasks: answer.long_tasks,
        bytes: answer.bytes,
        requests: answer.requests,
        shifts: answer.shifts,
        throttled: false,
    };
    let secs = |ms: f64| if ms >= 1000.0 { format!("{:.1} s", ms / 1000.0) } else { format!("{ms:.0} ms") };
    let kb = |bytes: f64| if bytes >= 1024.0 * 1024.0 { format!("{:.1} MB", bytes / 1024.0 / 1024.0) } else { format!("{:.0} KB", bytes / 1024.0) };
    let mut over = |name: &str, value: String, budget: String, poor: bool, evidence: String| {
        let f = Finding::new("perf-budget-exceeded", url, format!("{name} {value} is over its {budget} budget ({viewport})"), evidence);
        found.push(if poor { f.with_severity(Severity::Error) } else { f });
    };
    // Times: "poor" in Core Web Vitals' terms (LCP 4 s, FCP 3 s, TTFB 1.8 s, TBT 600 ms) is an error.
    let timed = [
        ("Time to first byte", m.ttfb_ms, budgets.ttfb_ms, 1800.0, String::new()),
        ("First Contentful Paint", m.fcp_ms, budgets.fcp_ms, 3000.0, String::new()),
        (
            "Largest Contentful Paint",
            m.lcp_ms,
            budgets.lcp_ms,
            4000.0,
            if m.lcp_element.is_empty() { String::new() } else { format!("largest element: {}", m.lcp_element) },
        ),
        ("Total Blocking Time", Some(m.tbt_ms), budgets.tbt_ms, 600.0, format!("{} long task(s) after the first paint", m.long_tasks)),
    ];
    for (name, value, budget, poor, evidence) in timed {
        if let Some(v) = value.filter(|v| *v > budget) {
            over(name, secs(v), secs(budget), v > f64::max(poor, budget), evidence);
        }
    }
    if m.cls > budgets.cls {
        let moved: Vec<String> = m
            .shifts
            .iter()
            .map(|s| format!("{:.3} at {} ({})", s.value, secs(s.at), if s.nodes.is_empty() { "?".to_string() } else { s.nodes.join(", ") }))
            .collect();
        over(
            "Cumulative Layout Shift",
            format!("{:.3}", m.cls),
            format!("{}", budgets.cls),
            m.cls > 0.25_f64.max(budgets.cls),
            format!("shifts: {}", moved.join("; ")),
        );
    }
    let b = &m.bytes;
    let sized = [
        ("Transfer (all)", b.total(), budgets.total_kb),
        ("HTML", b.html, budgets.html_kb),
        ("JavaScript", b.js, budgets.js_kb),
        ("CSS", b.css, budgets.css_kb),
        ("Images", b.image, budgets.image_kb),
        ("Fonts", b.font, budgets.font_kb),
    ];
    for (name, bytes, budget) in sized {
        if let Some(limit) = budget.filter(|kb| bytes as f64 > kb * 1024.0) {
            over(name, kb(bytes as f64), kb(limit * 1024.0), bytes as f64 > 2.0 * limit * 1024.0, format!("{} request(s) in all", m.requests));
        }
    }
    if let Some(limit) = budgets.requests.filter(|n| m.requests > *n) {
        over("Requests", m.requests.to_string(), limit.to_string(), m.requests > 2 * limit, String::new());
    }
    let blocking: Vec<&Blocking> = answer.blocking.iter().filter(|r| r.ms >= BLOCKING_MS).collect();
    if !blocking.is_empty() {
        // (Their timings differ from viewport to viewport; the list is what to fix, the same at each.)
        let list: Vec<String> = blocking.iter().take(5).map(|r| snippet(&r.url, 120)).collect();
        found.push(Finding::new(
            "render-blocking-resource",
            url,
            format!("{} script(s) or stylesheet(s) kept the first paint waiting ({} ms or more each)", blocking.len(), BLOCKING_MS),
            format!("{} — load scripts with defer or async, inline the critical CSS", list.join("; ")),
        ));
    }
    if !answer.oversized.is_empty() {
        let list: Vec<String> = answer
            .oversized
            .iter()
            .take(5)
            .map(|i| format!("{}: {}×{} px shown at {}×{} (×{})", snippet(&i.url, 120), i.natural[0], i.natural[1], i.shown[0], i.shown[1], i.dpr))
            .collect();
        let bytes: u64 = answer.oversized.iter().map(|i| i.bytes).sum();
        found.push(Finding::new(
            "image-oversized",
            url,
            format!("{} image(s) are served much larger than shown ({} in all)", answer.oversized.len(), kb(bytes as f64)),
            list.join("; "),
        ));
    }
    if !answer.legacy_images.is_empty() {
        let list: Vec<String> = answer.legacy_images.iter().take(5).map(|i| format!("{} ({})", snippet(&i.url, 120), kb(i.bytes as f64))).collect();
        found.push(Finding::new(
            "image-not-modern",
            url,
            format!("{} large JPEG/PNG image(s) where WebP or AVIF would be smaller", answer.legacy_images.len()),
            list.join("; "),
        ));
    }
    if !answer.fonts_without_display.is_empty() {
        found.push(Finding::new(
            "font-display-missing",
            url,
            format!("{} web font(s) hide the text while they load", answer.fonts_without_display.len()),
            format!("{} — add font-display: swap (or optional) to their @font-face", answer.fonts_without_display.join(", ")),
        ));
    }
    if touch {
        let meta = answer.viewport_meta.as_deref().map(|c| c.to_ascii_lowercase().replace(' ', ""));
        if !meta.as_deref().is_some_and(|c| c.contains("width=device-width")) {
            found.push(Finding::new(
                "viewport-meta-missing",
                url,
                "The page does not declare a mobile viewport: phones show it zoomed out, as on a desktop",
                match answer.viewport_meta {
                    Some(c) => format!("<meta name=\"viewport\" content=\"{}\"> has no width=device-width", snippet(&c, 120)),
                    None => "no <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"> in the page".to_string(),
                },
            ));
        }
        if !answer.small_targets.is_empty() {
            let list: Vec<String> = answer.small_targets.iter().take(5).map(|t| format!("{} {}×{} px", snippet(&t.target, 80), t.size[0], t.size[1])).collect();
            let n = answer.small_targets.len();
            found.push(Finding::new(
                "tap-target-small",
                url,
                format!("{}{n} link(s) or button(s) are smaller than 24×24 px to tap ({viewport})", if n >= 10 { "At least " } else { "" }),
                list.join("; "),
            ));
        }
        if let Some(t) = answer.text.filter(|t| t.total >= 20 && t.tiny as f64 > TINY_TEXT_SHARE * t.total as f64) {
            found.push(Finding::new(
                "text-too-small",
                url,
                format!("{:.0} % of the text is smaller than 12 px ({viewport})", 100.0 * t.tiny as f64 / t.total as f64),
                format!("e.g. {}", snippet(&t.sample, 160)),
            ));
        }
    }
    (m, found)
}

/// Checks of page quality that every opened page gets.
pub const QUALITY_CHECKS: &[&str] = &["perf-budget-exceeded", "render-blocking-resource", "image-oversized", "image-not-modern", "font-display-missing"];
/// Mobile usability: phone and tablet viewports only.
pub const MOBILE_CHECKS: &[&str] = &["viewport-meta-missing", "tap-target-small", "text-too-small"];

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: serde_json::Value) -> Answer {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn budgets_read_times_sizes_and_counts_and_refuse_the_rest() {
        let b = Budgets::parse(&[
            "lcp = 2s".into(),
            "TBT=300ms".into(),
            "cls = 0.05".into(),
            "js = 300KB".into(),
            "total = 1.5 MB".into(),
            "requests = 60".into(),
            "".into(),
        ])
        .unwrap();
        assert_eq!((b.lcp_ms, b.tbt_ms, b.cls, b.js_kb, b.total_kb, b.requests), (2000.0, 300.0, 0.05, Some(300.0), Some(1536.0), Some(60)));
        assert_eq!(b.fcp_ms, 1800.0, "unset: the default");
        assert!(Budgets::parse(&["speed = 3".into()]).unwrap_err().contains("not a budget Preflight knows"));
        assert!(Budgets::parse(&["lcp = fast".into()]).unwrap_err().contains("give a time"));
        assert!(Budgets::parse(&["lcp 2s".into()]).unwrap_err().contains("metric = value"));
        assert!(Budgets::parse(&["js = -3KB".into()]).unwrap_err().contains("give a size"));
    }

    #[test]
    fn metrics_over_budget_are_findings_with_the_value_and_the_budget() {
        let a = answer(serde_json::json!({
            "ttfb": 120.0, "fcp": 900.0, "lcp": 4500.0, "lcpElement": "img#hero", "cls": 0.12,
            "shifts": [{"at": 900.0, "value": 0.12, "nodes": ["div.banner"]}], "tbt": 250.0, "longTasks": 1,
            "bytes": {"html": 2000, "js": 400000, "css": 1000, "image": 0, "font": 0, "other": 0}, "requests": 3,
            "blocking": [{"url": "http://x/slow.css", "ms": 400.0}, {"url": "http://x/fast.css", "ms": 5.0}],
            "viewportMeta": null, "smallTargets": [{"target": "a.icon", "size": [16, 16]}], "text": {"total": 100, "tiny": 60, "sample": "p 10px: \"fine print\""}
        }));
        let budgets = Budgets { js_kb: Some(300.0), ..Budgets::default() };
        let (m, found) = judge(a, "http://x/", "phone", &budgets, true);
        assert_eq!((m.lcp_ms, m.bytes.total()), (Some(4500.0), 403000));
        let msg = |check: &str| found.iter().filter(|f| f.check == check).map(|f| (f.message.clone(), f.severity)).collect::<Vec<_>>();
        let perf = msg("perf-budget-exceeded");
        assert!(perf.contains(&("Largest Contentful Paint 4.5 s is over its 2.5 s budget (phone)".into(), Severity::Error)), "{perf:?}");
        assert!(perf.contains(&("Cumulative Layout Shift 0.120 is over its 0.1 budget (phone)".into(), Severity::Warning)), "{perf:?}");
        assert!(perf.contains(&("Total Blocking Time 250 ms is over its 200 ms budget (phone)".into(), Severity::Warning)), "{perf:?}");
        assert!(perf.contains(&("JavaScript 391 KB is over its 300 KB budget (phone)".into(), Severity::Warning)), "{perf:?}");
        assert_eq!(perf.len(), 4, "TTFB and FCP are within budget: {perf:?}");
        let blocking = found.iter().find(|f| f.check == "render-blocking-resource").unwrap();
        assert!(blocking.message.starts_with("1 script") && blocking.evidence.contains("slow.css") && !blocking.evidence.contains("fast.css"), "{blocking:?}");
        assert_eq!(msg("viewport-meta-missing").len(), 1);
        assert_eq!(msg("tap-target-small")[0].0, "1 link(s) or button(s) are smaller than 24×24 px to tap (phone)");
        assert_eq!(msg("text-too-small")[0].0, "60 % of the text is smaller than 12 px (phone)");
        // At the desktop, mobile usability is not judged.
        let (_, desktop) = judge(
            answer(serde_json::json!({"viewportMeta": null, "smallTargets": [{"target": "a", "size": [1, 1]}]})),
            "http://x/",
            "desktop",
            &budgets,
            false,
        );
        assert!(desktop.is_empty(), "{desktop:?}");
    }
}
