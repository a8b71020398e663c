//! `preflight check --browser`: the real binary drives the system Chromium against a fixture
//! site on 127.0.0.1; screenshots, JSON/JUnit/SARIF output, and no browser left behind when
//! the process is killed mid-run.

mod common;

use std::{
    process::{Command as StdCommand, Output, Stdio},
    time::{Duration, Instant},
};

use assert_cmd::Command;
use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{header, StatusCode},
    response::{Html, IntoResponse, Response},
    Router,
};
use common::serve;

fn site() -> Router {
    Router::new().fallback(|req: Request| async move {
        let page = |body: &str| Html(format!("<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>{}</title></head><body>{body}</body></html>", req.uri().path()));
        match req.uri().path() {
            "/" => page("<h1>Home</h1><a href=/wide>Wide</a> <a href=/contact>Contact</a><script>console.error('home is broken')</script>").into_response(),
            "/wide" => page("<div style=\"width:900px\">wide</div>").into_response(),
            "/contact" => page("<form method=post action=/contact><input name=name><button>Send</button></form>").into_response(),
            "/slow" => Response::builder()
                .header(header::CONTENT_TYPE, "text/html")
                .body(Body::from_stream(futures::stream::unfold(0u32, |n| async move {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Some((Ok::<_, std::io::Error>(Bytes::from(format!("<p>{n}</p>"))), n + 1))
                })))
                .unwrap(),
            // Six pages whose image never arrives: each holds a browser tab until its load timeout.
            "/hanging" => page(&(1..=6).map(|i| format!("<a href=/h{i}>{i}</a> ")).collect::<String>()).into_response(),
            p if p.starts_with("/h") && p.len() == 3 => page("<img src=/never.png alt=x>").into_response(),
            "/never.png" => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                StatusCode::NO_CONTENT.into_response()
            }
            _ => (StatusCode::NOT_FOUND, "not here").into_response(),
        }
    })
}

/// `--deadline` bounds the whole run: the browser stage stops when it passes and says what
/// it did not get to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_covers_the_browser_stage() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let port = serve(site()).await;
    let url = format!("http://127.0.0.1:{port}/hanging");
    let args = ["check", &url, "--no-dns", "--browser", "--viewports", "desktop,phone", "--timeout", "2", "--deadline", "12", "--page-timeout", "15"];
    let t0 = Instant::now();
    let out = preflight(args.iter().map(|s| s.to_string()).chain(["--format".into(), "json".into(), "--fail-on".into(), "never".into()]).collect()).await;
    let took = t0.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // 14 steps of 15 s on two tabs would take about a minute.
    assert!(took < Duration::from_secs(30), "took {took:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let skipped = findings
        .iter()
        .find(|f| f["check"] == "crawl-incomplete" && f["message"].as_str().unwrap().contains("browser"))
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(skipped["message"].as_str().unwrap().contains("deadline"), "{skipped}");
    assert!(skipped["evidence"].as_str().unwrap().contains("/h6 (phone)"), "{skipped}");
}

async fn preflight(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || Command::cargo_bin("preflight").unwrap().args(&args).env("NO_COLOR", "1").output().unwrap()).await.unwrap()
}

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_findings_and_screenshots_in_every_format() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let port = serve(site()).await;
    let url = format!("http://127.0.0.1:{port}/");
    let dir = tempfile::tempdir().unwrap();
    let shots = dir.path().join("shots");
    let base = |format: &str| -> Vec<String> {
        ["check", &url, "--no-dns", "--browser", "--viewports", "desktop,phone", "--fail-on", "never", "--quiet", "--format", format]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let mut json_args = base("json");
    json_args.extend([
        "--screenshots".to_string(),
        shots.display().to_string(),
        "--budget".to_string(),
        "requests=1".to_string(),
        "--throttle-mobile".to_string(),
    ]);
    let out = preflight(json_args).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let has = |check: &str, needle: &str| findings.iter().any(|f| f["check"] == check && f.to_string().contains(needle));
    assert!(has("console-error", "home is broken"), "{findings:#?}");
    assert!(has("horizontal-overflow", "/wide"), "{findings:#?}");
    // Accessibility (axe-core, built in): the contact form's field has no label.
    assert!(has("a11y-label", "/contact") && has("a11y-label", "WCAG 4.1.2"), "{findings:#?}");
    assert!(v["checks_run"].as_array().unwrap().iter().any(|c| c == "a11y-image-alt"));
    // Page quality: a budget of one request is over on every page.
    assert!(has("perf-budget-exceeded", "is over its 1 budget"), "{findings:#?}");
    assert!(v["checks_run"].as_array().unwrap().iter().any(|c| c == "console-error"));
    // Production: the contact form is not submitted.
    let submission_checks = ["form-submit-error", "form-error-message-missing", "form-unicode-mangled", "form-no-effect"];
    assert!(!findings.iter().any(|f| submission_checks.contains(&f["check"].as_str().unwrap())), "{findings:#?}");
    assert!(!v["checks_run"].as_array().unwrap().iter().any(|c| c == "form-submit-error"));

    let list = v["screenshots"].as_array().unwrap();
    assert_eq!(list.len(), 6, "three pages at two viewports: {list:#?}");
    for s in list {
        let path = std::path::Path::new(s["path"].as_str().unwrap());
        assert!(path.starts_with(&shots) && path.exists(), "{s}");
        let vp = s["viewport"].as_str().unwrap();
        assert!(path.file_name().unwrap().to_string_lossy().ends_with(&format!("--{vp}.png")));
        let expected_width = if vp == "phone" { 1170 } else { 1440 };
        assert_eq!(s["width"], expected_width, "{s}");
        assert!(s["height"].as_u64().unwrap() > 0 && s["url"].as_str().unwrap().starts_with(&url));
    }
    assert!(shots.join("home--desktop.png").exists() && shots.join("wide--phone.png").exists());

    let junit = preflight(base("junit")).await;
    let xml = String::from_utf8(junit.stdout).unwrap();
    assert!(xml.contains("name=\"console-error\"") && xml.contains("home is broken"), "{xml}");
    let sarif = preflight(base("sarif")).await;
    let s: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert!(s["runs"][0]["results"].as_array().unwrap().iter().any(|r| r["ruleId"] == "horizontal-overflow"));
    assert!(s["runs"][0]["results"].as_array().unwrap().iter().any(|r| r["ruleId"] == "a11y-label"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_forms_and_bad_browser_flags() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let port = serve(site()).await;
    let url = format!("http://127.0.0.1:{port}/contact");
    let out = preflight(
        ["check", &url, "--no-dns", "--browser", "--viewports", "desktop", "--submit-forms", "--format", "json", "--fail-on", "never", "--max-pages", "1"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    )
    .await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The fixture answers the form with a 404: a submission error.
    let findings = v["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["check"] == "form-error-message-missing" || f["check"] == "form-submit-error" || f["check"] == "form-no-effect"),
        "{findings:#?}"
    );
    assert!(v["checks_run"].as_array().unwrap().iter().any(|c| c == "form-submit-error"));

    for (flag, value, needle) in [
        ("--viewports", "tv=10x10", "between 200"),
        ("--chromium", "/nonexistent/chromium", "/nonexistent/chromium"),
        ("--browser-ws", "http://127.0.0.1:9222", "websocket"),
    ] {
        let out = preflight(["check", &url, "--no-dns", "--browser", flag, value].iter().map(|s| s.to_string()).collect()).await;
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{flag}: {err}");
    }
    let out = preflight(["check", &url, "--screenshots", "/tmp/x"].iter().map(|s| s.to_string()).collect()).await;
    assert_eq!(out.status.code(), Some(2), "--screenshots needs --browser");

    // Accessibility settings: a rule that is not one, a rule left out without a reason, a
    // level that is not offered — each a usage error in words.
    for (flag, value, needle) in [
        ("--a11y-ignore", "colour-contrast=brand colours", "\"colour-contrast\" is not an accessibility rule"),
        ("--a11y-ignore", "region", "region = REASON"),
        ("--wcag-level", "AAA", "AAA"),
        ("--budget", "lcp=soon", "give a time"),
        ("--budget", "speed=3", "not a budget Preflight knows"),
    ] {
        let out = preflight(["check", &url, "--no-dns", "--browser", flag, value].iter().map(|s| s.to_string()).collect()).await;
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{flag} {value}: {err}");
    }
    // Off: no a11y check looks, none passes.
    let out = preflight(
        ["check", &url, "--no-dns", "--browser", "--viewports", "desktop", "--no-a11y", "--format", "json", "--fail-on", "never", "--max-pages", "1"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    )
    .await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v["checks_run"].as_array().unwrap().iter().any(|c| c.as_str().unwrap().starts_with("a11y-")), "{v}");
    assert!(!v["findings"].as_array().unwrap().iter().any(|f| f["check"].as_str().unwrap().starts_with("a11y-")));
}

#[test]
fn licenses_names_axe_core_and_its_source() {
    let out = Command::cargo_bin("preflight").unwrap().arg("licenses").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("axe-core 4.14.1") && text.contains("Mozilla Public License") && text.contains("github.com/dequelabs/axe-core/tree/v4.14.1"),
        "{text}"
    );
}

/// Chromium processes whose profile belongs to `pid`.
fn browsers_of(pid: u32) -> Vec<u32> {
    preflight_browser::chromium::owned_by(pid).0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_process_mid_run_leaves_no_browser() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let port = serve(site()).await;
    let url = format!("http://127.0.0.1:{port}/slow");
    let bin = assert_cmd::cargo::cargo_bin("preflight");
    let mut child = StdCommand::new(&bin)
        .args(["check", &url, "--no-dns", "--browser", "--viewports", "desktop", "--page-timeout", "60", "--timeout", "1", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let t0 = Instant::now();
    while browsers_of(pid).is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(30), "the browser never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap(); // SIGKILL: no destructor runs
    child.wait().unwrap();
    let t0 = Instant::now();
    while !browsers_of(pid).is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(10), "Chromium outlived its killed owner: {:?}", browsers_of(pid));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The profile folder is left; the next run cleans it up.
    preflight_browser::chromium::clean_leftovers();
    assert!(!preflight_browser::chromium::owned_by(pid).1, "the dead process's profile folder was not removed");
}

/// Browser SSRF: a start URL the HTTP engine refuses (a cloud metadata address) is never
/// opened in the browser: its browser checks are skipped with the engine's reason and no
/// screenshot is taken. (Every request a browser makes goes through the network guard too:
/// see the browser crate's canary test.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_start_url_is_never_opened_in_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let shots = dir.path().join("shots");
    let out = preflight(
        [
            "check",
            "http://169.254.169.254/latest/meta-data/",
            "--browser",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--no-dns",
            "--screenshots",
            shots.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["reachable"], false);
    assert!(v["findings"][0]["evidence"].as_str().unwrap().contains("cloud metadata address"), "{v}");
    assert_eq!(v["screenshots"].as_array().map(Vec::len).unwrap_or(0), 0);
    let console = v["checks"].as_array().unwrap().iter().find(|c| c["id"] == "console-error").unwrap().clone();
    assert_eq!(console["status"], "skipped", "{console}");
    assert!(!shots.exists() || std::fs::read_dir(&shots).unwrap().next().is_none(), "no screenshot was written");
}
