//! The browser stage keeps to the run's budget: the run's deadline covers it (what was not
//! done by then is reported as skipped), a renderer that dies frees its tab at once, and a
//! script that starts looping after the page has loaded is still caught.

mod common;

use std::time::{Duration, Instant};

use common::*;
use preflight_engine::{CheckStatus, EnvProfile};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_deadline_covers_the_browser_stage() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let addr = serve().await;
    // Six pages that never finish loading: each holds its tab for the whole 15 s load timeout.
    let pages: Vec<_> = (1..=6).map(|i| url::Url::parse(&format!("http://{addr}/never-loads?{i}")).unwrap()).collect();
    let mut s = settings(EnvProfile::Dev);
    s.viewports.truncate(1);
    s.screenshot_dir = Some(tempfile::tempdir().unwrap().keep());
    s.deadline = Some(Instant::now() + Duration::from_secs(6));
    let t0 = Instant::now();
    let o = run(s, pages).await;
    let took = t0.elapsed();
    // Without the deadline: 3 rounds of 15 s on two tabs.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let skipped = o.findings.iter().find(|f| f.check == "crawl-incomplete").unwrap_or_else(|| panic!("{:#?}", o.findings));
    assert!(skipped.message.contains("6 of 6"), "{skipped:?}");
    assert!(skipped.evidence.contains("never-loads?6"), "{skipped:?}");
    // Pages stopped by the deadline are not called broken.
    assert!(!o.findings.iter().any(|f| f.check == "browser-check-failed" || f.check == "script-hang"), "{:#?}", o.findings);
    let outcomes = o.coverage.outcomes(&o.findings, "");
    let console = outcomes.iter().find(|c| c.id == "console-error").unwrap();
    assert_eq!(console.status, CheckStatus::Skipped, "{console:?}");
    assert!(console.reason.contains("deadline"), "{console:?}");
    assert_no_browsers_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_renderer_frees_its_tab_at_once() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let addr = serve().await;
    let mut s = settings(EnvProfile::Dev);
    s.viewports.truncate(1);
    s.concurrency = 1;
    s.load_timeout = Duration::from_secs(30);
    s.step_deadline = Duration::from_secs(60);
    s.screenshot_dir = Some(tempfile::tempdir().unwrap().keep());
    // Kill the page's renderer (the one holding the page's 240 MB) while the page loads.
    let killer = std::thread::spawn(|| {
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(200));
            if let Some(pid) = my_renderers().into_iter().find(|pid| rss_mb(*pid) > 200) {
                std::thread::sleep(Duration::from_millis(500));
                let status = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
                assert!(status.success());
                return t0.elapsed();
            }
        }
        panic!("no renderer to kill");
    });
    let t0 = Instant::now();
    let o = run(s, urls(addr, &["/heavy-never-loads", "/"])).await;
    let took = t0.elapsed();
    let killed_at = killer.join().unwrap();
    assert!(!about(&o, "renderer-crash", "/heavy-never-loads").is_empty(), "{:#?}", o.findings);
    // The next page is checked on a fresh tab, with its screenshot.
    assert!(o.captures.iter().any(|c| c.url.ends_with(&format!("{addr}/")) && c.path.is_some()), "{:#?}", o.captures);
    // The tab was freed when the renderer died, not at the 30 s load timeout or the watchdog.
    assert!(took < killed_at + Duration::from_secs(10), "took {took:?}, renderer killed after {killed_at:?}");
    assert_no_browsers_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loop_starting_just_after_load_is_a_script_hang() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let addr = serve().await;
    let mut s = settings(EnvProfile::Dev);
    s.viewports.truncate(1);
    s.screenshot_dir = Some(tempfile::tempdir().unwrap().keep());
    let o = run(s, urls(addr, &["/late-loop", "/"])).await;
    assert!(!about(&o, "script-hang", "/late-loop").is_empty(), "{:#?}", o.findings);
    assert!(about(&o, "script-hang", "/").is_empty(), "{:#?}", o.findings);
    assert_no_browsers_left();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_that_leave_right_after_loading_do_not_stall_their_tab() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let addr = serve().await;
    let mut s = settings(EnvProfile::Dev);
    s.screenshot_dir = Some(tempfile::tempdir().unwrap().keep());
    let pages = urls(addr, &["/leaves-by-script", "/leaves-by-refresh", "/", "/stays", "/leaves-by-script?again", "/overflow"]);
    let t0 = Instant::now();
    let o = run(s, pages).await;
    let took = t0.elapsed();
    assert_eq!(o.restarts, 0, "{:#?}", o.findings);
    assert!(!o.findings.iter().any(|f| matches!(f.check.as_str(), "script-hang" | "browser-check-failed")), "{:#?}", o.findings);
    // Every page at every viewport has its screenshot.
    assert_eq!(o.captures.iter().filter(|c| c.path.is_some()).count(), 6 * 4, "{:#?}", o.captures);
    // Seen where they went when they left before the picture (a meta refresh may also leave
    // just after it); a page that only changed its fragment and history entry stayed (and did
    // not wait for a load event that never comes).
    let home = format!("http://{addr}/");
    assert!(o.captures.iter().filter(|c| c.url.contains("/leaves-by-")).all(|c| c.final_url == home || c.final_url == c.url), "{:#?}", o.captures);
    assert!(o.captures.iter().any(|c| c.url.contains("/leaves-by-") && c.final_url == home), "{:#?}", o.captures);
    assert!(o.captures.iter().filter(|c| c.url.ends_with("/stays")).all(|c| c.final_url.contains("/stays")), "{:#?}", o.captures);
    assert!(about(&o, "page-load-timeout", "/stays").is_empty(), "{:#?}", o.findings);
    eprintln!("24 screenshots in {took:?}");
}
