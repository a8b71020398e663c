//! Page quality from the browser's own timing, against fixture pages on 127.0.0.1 whose
//! largest paint, layout shift and long task are known, and pages that break the image, font,
//! render-blocking and mobile usability rules. Real system Chromium.

mod common;

use common::*;
use preflight_browser::{quality::Budgets, viewport};
use preflight_engine::{CheckStatus, EnvProfile, Severity};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn only(names: &[&str]) -> Vec<viewport::Viewport> {
    viewport::defaults().into_iter().filter(|v| names.contains(&v.name.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vitals_are_measured_within_tolerance_and_held_to_budgets() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let addr = serve().await;
    let mut s = settings(EnvProfile::Staging);
    s.viewports = only(&["desktop"]);
    s.a11y = None;
    let o = run(s, urls(addr, &["/quality/vitals"])).await;
    let m = o.captures[0].metrics.clone().expect("metrics");
    // The hero image arrives after 700 ms: it is the largest paint.
    let lcp = m.lcp_ms.expect("an LCP");
    assert!((650.0..3000.0).contains(&lcp) && m.lcp_element.contains("img#hero"), "{m:?}");
    assert!(m.fcp_ms.is_some_and(|f| f < lcp) && m.ttfb_ms.is_some_and(|t| t < 500.0), "{m:?}");
    // A 90 px banner pushes the content down once, a tenth of the 900 px viewport: the score is
    // that distance times the share of the viewport that moved (Chromium counts the painted
    // part: about 0.04 here), and the shift names what moved.
    assert!((0.02..0.09).contains(&m.cls), "{m:?}");
    assert!(m.shifts.len() == 1 && !m.shifts[0].nodes.is_empty() && (m.shifts[0].value - m.cls).abs() < 1e-9, "{m:?}");
    // One 300 ms task after the first paint: 250 ms of blocking.
    assert!(m.long_tasks >= 1 && (230.0..700.0).contains(&m.tbt_ms), "{m:?}");
    assert!(m.bytes.image > 1000 && m.bytes.html > 500 && m.requests >= 2, "{m:?}");
    // Default budgets: only the blocking time is over (200 ms).
    let perf: Vec<&str> = o.findings.iter().filter(|f| f.check == "perf-budget-exceeded").map(|f| f.message.as_str()).collect();
    assert_eq!(perf.len(), 1, "{perf:?}");
    assert!(perf[0].starts_with("Total Blocking Time") && perf[0].ends_with("over its 200 ms budget (desktop)"), "{perf:?}");

    // Tighter budgets: the paint and the shift are over too, in words with value and budget.
    let mut s = settings(EnvProfile::Staging);
    s.viewports = only(&["desktop"]);
    s.a11y = None;
    s.budgets = Budgets::parse(&["lcp = 500ms".into(), "cls = 0.01".into(), "tbt = 2s".into(), "images = 1KB".into()]).unwrap();
    let o = run(s, urls(addr, &["/quality/vitals"])).await;
    let perf: Vec<&str> = o.findings.iter().filter(|f| f.check == "perf-budget-exceeded").map(|f| f.message.as_str()).collect();
    assert!(perf.iter().any(|m| m.starts_with("Largest Contentful Paint") && m.contains("over its 500 ms budget")), "{perf:?}");
    assert!(perf.iter().any(|m| m.starts_with("Cumulative Layout Shift") && m.contains("over its 0.01 budget")), "{perf:?}");
    assert!(perf.iter().any(|m| m.starts_with("Images") && m.contains("over its 1 KB budget")), "{perf:?}");
    assert!(!perf.iter().any(|m| m.starts_with("Total Blocking Time")), "{perf:?}");
    assert_no_browsers_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_fonts_blocking_resources_and_mobile_usability() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let addr = serve().await;
    let mut s = settings(EnvProfile::Staging);
    s.viewports = only(&["desktop", "old-ie", "phone"]);
    s.a11y = None;
    let o = run(s, urls(addr, &["/quality/heavy", "/clean.html"])).await;
    let on = |check: &str, path: &str| about(&o, check, path).into_iter().map(|f| format!("{} | {}", f.message, f.evidence)).collect::<Vec<_>>();
    let blocking = on("render-blocking-resource", "/quality/heavy");
    assert!(blocking.len() == 1 && blocking[0].contains("/quality/slow.css"), "{blocking:?}");
    let big = on("image-oversized", "/quality/heavy");
    // The same images at the same size and pixel ratio: one finding for both viewports.
    assert!(big.len() == 1 && big[0].contains("800×600 px shown at 200×150") && big[0].contains("seen at: desktop, old-ie"), "{big:?}");
    assert!(big.iter().all(|f| !f.contains("/quality/logo.svg") && !f.contains("/quality/mark")), "vector images are never too large: {big:?}");
    let legacy = on("image-not-modern", "/quality/heavy");
    assert!(legacy.len() == 1 && legacy[0].contains("/quality/big.png"), "{legacy:?}");
    let fonts = on("font-display-missing", "/quality/heavy");
    assert!(fonts.len() == 1 && fonts[0].contains("Fixture") && fonts[0].contains("font-display: swap"), "{fonts:?}");
    // Mobile usability: at the phone only.
    let meta = about(&o, "viewport-meta-missing", "/quality/heavy");
    assert!(meta.len() == 1 && meta[0].evidence.contains("phone") && !meta[0].evidence.contains("desktop"), "{meta:?}");
    assert_eq!(meta[0].severity, Severity::Error);
    let tap = on("tap-target-small", "/quality/heavy");
    assert!(tap.len() == 1 && tap[0].contains("(phone)") && tap[0].contains("a \"x\""), "{tap:?}");
    let text = on("text-too-small", "/quality/heavy");
    assert!(text.len() == 1 && text[0].contains("smaller than 12 px (phone)") && text[0].contains("9px"), "{text:?}");
    // The clean page has none of it.
    for check in preflight_browser::quality::QUALITY_CHECKS.iter().chain(preflight_browser::quality::MOBILE_CHECKS) {
        assert!(about(&o, check, "/clean.html").is_empty(), "{check} on the clean page: {:?}", about(&o, check, "/clean.html"));
    }
    let st: std::collections::HashMap<String, CheckStatus> = o.coverage.outcomes(&o.findings, "").into_iter().map(|c| (c.id, c.status)).collect();
    assert_eq!(st["text-too-small"], CheckStatus::Failed);

    // Without a phone or tablet viewport, mobile usability is not applicable (never passed).
    let mut s = settings(EnvProfile::Staging);
    s.viewports = only(&["desktop"]);
    s.a11y = None;
    let o = run(s, urls(addr, &["/clean.html"])).await;
    let st = o.coverage.outcomes(&o.findings, "");
    let tap = st.iter().find(|c| c.id == "tap-target-small").unwrap();
    assert_eq!((tap.status, tap.reason.as_str()), (CheckStatus::NotApplicable, "no phone or tablet viewport in this run"));
    assert_eq!(st.iter().find(|c| c.id == "perf-budget-exceeded").unwrap().status, CheckStatus::Passed);
    assert_no_browsers_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_throttled_profile_slows_the_phone_and_tablet_viewports_only() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let addr = serve().await;
    let mut s = settings(EnvProfile::Staging);
    s.viewports = only(&["desktop", "phone"]);
    s.a11y = None;
    s.throttle_mobile = true;
    let o = run(s, urls(addr, &["/clean.html"])).await;
    let at = |vp: &str| o.captures.iter().find(|c| c.viewport == vp).and_then(|c| c.metrics.clone()).expect("metrics");
    let (phone, desktop) = (at("phone"), at("desktop"));
    // The phone waits for its stylesheet over 150 ms round trips with a 4× slower CPU before
    // it paints; the desktop does not. (Chromium's emulated latency does not show in the
    // document's own time to first byte, so the first paint is what tells.)
    assert!(phone.throttled && !desktop.throttled, "{phone:?} {desktop:?}");
    let (p, d) = (phone.fcp_ms.expect("phone FCP"), desktop.fcp_ms.expect("desktop FCP"));
    assert!(p >= 150.0 && p > d + 100.0, "phone {p} ms, desktop {d} ms");
    assert_no_browsers_left();
}
