//! The accessibility checks (axe-core, built in) against fixture pages on 127.0.0.1 that each
//! break one rule family, and a clean page, with the real system Chromium.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::*;
use preflight_browser::{a11y::A11yPolicy, viewport};
use preflight_engine::{a11y::WcagLevel, CheckStatus, EnvProfile, Severity};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The a11y rule ids found on each page (by path).
fn rules_by_page(o: &preflight_browser::Outcome) -> HashMap<String, BTreeSet<String>> {
    let mut by_page: HashMap<String, BTreeSet<String>> = HashMap::new();
    for f in o.findings.iter().filter(|f| f.check.starts_with("a11y-")) {
        let path = url::Url::parse(&f.url).unwrap().path().to_string();
        by_page.entry(path).or_default().insert(f.check.clone());
    }
    by_page
}

fn statuses(o: &preflight_browser::Outcome) -> HashMap<String, (CheckStatus, String)> {
    o.coverage.outcomes(&o.findings, "not said").into_iter().map(|c| (c.id, (c.status, c.reason))).collect()
}

fn phone_and_desktop() -> Vec<viewport::Viewport> {
    viewport::defaults().into_iter().filter(|v| v.name == "desktop" || v.name == "phone").collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_rule_family_is_found_where_it_is_broken_and_a_clean_page_has_none() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let addr = serve().await;
    let mut s = settings(EnvProfile::Staging);
    s.viewports = phone_and_desktop();
    let pages = [
        "/clean.html",
        "/missing-alt.html",
        "/missing-label.html",
        "/low-contrast.html",
        "/missing-lang.html",
        "/empty-controls.html",
        "/heading-order.html",
        "/assorted.html",
    ];
    let o = run(s, urls(addr, &pages)).await;
    let found = rules_by_page(&o);
    let expect = |page: &str, rules: &[&str]| {
        let want: BTreeSet<String> = rules.iter().map(|r| format!("a11y-{r}")).collect();
        assert_eq!(
            found.get(page).cloned().unwrap_or_default(),
            want,
            "{page}: {:#?}",
            o.findings.iter().filter(|f| f.url.ends_with(page)).collect::<Vec<_>>()
        );
    };
    expect("/clean.html", &[]);
    expect("/missing-alt.html", &["image-alt"]);
    expect("/missing-label.html", &["label"]);
    expect("/low-contrast.html", &["color-contrast"]);
    expect("/missing-lang.html", &["html-has-lang"]);
    expect("/empty-controls.html", &["link-name", "button-name"]);
    expect("/heading-order.html", &["heading-order"]);
    expect("/assorted.html", &["aria-command-name", "aria-hidden-focus", "aria-valid-attr-value", "frame-title", "list", "select-name", "tabindex"]);

    // A finding names the rule, the elements and the WCAG criteria; the same problem at both
    // viewports is one finding; impact gives the severity.
    let alt = about(&o, "a11y-image-alt", "/missing-alt.html");
    assert_eq!(alt.len(), 1, "{alt:#?}");
    assert!(alt[0].message.contains("Images must have alternative text — 1 element (WCAG 1.1.1 (A), critical impact)"), "{}", alt[0].message);
    assert!(alt[0].evidence.contains("<img src=\"data:image/svg+xml") && alt[0].evidence.contains("desktop, phone"), "{}", alt[0].evidence);
    assert_eq!(alt[0].severity, Severity::Error);
    let contrast = about(&o, "a11y-color-contrast", "/low-contrast.html");
    assert!(contrast[0].message.contains("WCAG 1.4.3 (AA)") && contrast[0].evidence.contains("Faint grey text"), "{contrast:#?}");
    let order = about(&o, "a11y-heading-order", "/heading-order.html");
    assert_eq!(order[0].severity, Severity::Warning, "moderate impact: {order:#?}");

    // The captures keep the failing elements with their place on the page, to mark them on
    // the screenshot.
    let cap = o.captures.iter().find(|c| c.url.ends_with("/missing-alt.html") && c.viewport == "desktop").unwrap();
    assert_eq!(cap.a11y_error, None);
    let issue = cap.a11y.iter().find(|i| i.check == "a11y-image-alt").unwrap();
    let [x, y, w, h] = issue.nodes[0].rect.expect("the image has a box");
    assert!(x >= 0.0 && y > 0.0 && (w - 40.0).abs() < 1.0 && (h - 40.0).abs() < 1.0, "{:?}", issue.nodes[0].rect);

    // Rules that looked and found nothing passed; rules with findings failed.
    let st = statuses(&o);
    assert_eq!(st["a11y-image-alt"].0, CheckStatus::Failed);
    assert_eq!(st["a11y-duplicate-id-aria"].0, CheckStatus::Passed);
    assert_eq!(st["a11y-color-contrast"].0, CheckStatus::Failed);
    assert_no_browsers_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wcag_level_and_ignored_rules_decide_what_is_checked() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let addr = serve().await;
    let mut s = settings(EnvProfile::Staging);
    s.viewports = phone_and_desktop();
    s.a11y = Some(A11yPolicy { level: WcagLevel::A, ignore: vec![("heading-order".into(), "the CMS theme sets the headings".into())] });
    let o = run(s, urls(addr, &["/low-contrast.html", "/heading-order.html", "/missing-alt.html"])).await;
    let found = rules_by_page(&o);
    assert!(!found.contains_key("/low-contrast.html") && !found.contains_key("/heading-order.html"), "{found:?}");
    assert_eq!(found["/missing-alt.html"], BTreeSet::from(["a11y-image-alt".to_string()]));
    let st = statuses(&o);
    assert_eq!(st["a11y-color-contrast"], (CheckStatus::NotApplicable, "a WCAG level AA rule; this project asks for level A".to_string()));
    assert_eq!(st["a11y-heading-order"], (CheckStatus::NotApplicable, "ignored for this project: the CMS theme sets the headings".to_string()));
    assert_eq!(st["a11y-image-alt"].0, CheckStatus::Failed);

    // Off: nothing is looked at, and nothing passes.
    let mut off = settings(EnvProfile::Staging);
    off.viewports = phone_and_desktop();
    off.a11y = None;
    let o = run(off, urls(addr, &["/missing-alt.html"])).await;
    assert!(rules_by_page(&o).is_empty());
    assert_eq!(statuses(&o)["a11y-image-alt"].0, CheckStatus::NotApplicable);
    assert_no_browsers_left();
}
