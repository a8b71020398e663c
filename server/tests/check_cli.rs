//! `preflight check`: the real binary against fixture sites on 127.0.0.1, every output
//! format, exit statuses and refusals.

mod common;

use std::process::Output;

use assert_cmd::Command;
use axum::{
    extract::Request,
    http::{header, StatusCode},
    response::IntoResponse,
    Router,
};
use common::serve;

/// A dev site with one error (a live key) and a warning (no caching on its stylesheet).
fn dev_site() -> Router {
    Router::new().fallback(|req: Request| async move {
        match req.uri().path() {
            "/" => axum::response::Html(
                "<!doctype html><html><head><title>Dev shop</title><link rel=stylesheet href=/s.css></head>\
                 <body><p>DEV SITE</p><a href=/about>About</a><script>Stripe('pk_live_51Hzyxwvutsrqp')</script></body></html>",
            )
            .into_response(),
            "/about" => axum::response::Html("<!doctype html><title>About</title><body>DEV SITE about</body>").into_response(),
            "/s.css" => ([(header::CONTENT_TYPE, "text/css")], "body{}").into_response(),
            "/robots.txt" => "User-agent: *\nDisallow: /\n".into_response(),
            _ => (StatusCode::NOT_FOUND, axum::response::Html("<!doctype html><html><head><style>h1{}</style></head><body><h1>Not found</h1></body></html>"))
                .into_response(),
        }
    })
}

/// A dev site with nothing wrong at error level.
fn clean_dev_site() -> Router {
    Router::new().fallback(|req: Request| async move {
        match req.uri().path() {
            "/" => axum::response::Html("<!doctype html><title>Dev</title><body>DEV SITE, all fine</body>").into_response(),
            "/robots.txt" => "User-agent: *\nDisallow: /\n".into_response(),
            _ => (StatusCode::NOT_FOUND, axum::response::Html("<!doctype html><html><head><style>h1{}</style></head><body><h1>Not found</h1></body></html>"))
                .into_response(),
        }
    })
}

async fn preflight(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || Command::cargo_bin("preflight").unwrap().args(&args).env("NO_COLOR", "1").output().unwrap()).await.unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_has_findings_and_exit_status_follows_fail_on() {
    let port = serve(dev_site()).await;
    let url = format!("http://127.0.0.1:{port}/");
    let out = preflight(args(&["check", &url, "--env", "dev", "--format", "json"])).await;
    assert_eq!(out.status.code(), Some(1), "an error-level finding fails by default: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let findings = v["findings"].as_array().expect("a findings list");
    let live = findings.iter().find(|f| f["check"] == "live-credentials-on-dev").expect("the live key is found");
    for field in ["check", "severity", "url", "message", "evidence"] {
        assert!(live[field].is_string(), "finding lacks {field}: {live}");
    }
    assert_eq!(live["severity"], "error");
    assert!(findings.iter().any(|f| f["check"] == "asset-not-cached" && f["severity"] == "warning"));
    assert_eq!(v["pages_crawled"], 2);

    let never = preflight(args(&["check", &url, "--env", "dev", "--format", "json", "--fail-on", "never"])).await;
    assert_eq!(never.status.code(), Some(0));

    let clean_port = serve(clean_dev_site()).await;
    let clean = format!("http://127.0.0.1:{clean_port}/");
    let ok = preflight(args(&["check", &clean, "--env", "dev"])).await;
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
    let strict = preflight(args(&["check", &clean, "--env", "dev", "--fail-on", "warning"])).await;
    let has_warnings = String::from_utf8_lossy(&ok.stdout).contains("warning");
    assert_eq!(strict.status.code(), Some(if has_warnings { 1 } else { 0 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_junit_and_sarif_outputs() {
    let port = serve(dev_site()).await;
    let url = format!("http://127.0.0.1:{port}/");

    let text = preflight(args(&["check", &url, "--env", "dev"])).await;
    let t = String::from_utf8_lossy(&text.stdout);
    assert!(t.contains("live-credentials-on-dev") && t.contains("advice:"), "{t}");
    assert!(t.contains(" passed, ") && t.contains(" not applicable, ") && t.contains(" skipped"), "check statuses are counted: {t}");
    assert!(!t.contains('\x1b'), "no colours when not on a terminal");

    let junit = preflight(args(&["check", &url, "--env", "dev", "--format", "junit"])).await;
    let xml = String::from_utf8(junit.stdout).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("JUnit XML parses");
    let suites = doc.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert!(cases.len() > 30, "one test case per check");
    let failed: Vec<&str> = cases.iter().filter(|c| c.children().any(|ch| ch.has_tag_name("failure"))).filter_map(|c| c.attribute("name")).collect();
    assert!(failed.contains(&"live-credentials-on-dev"), "{failed:?}");
    assert_eq!(suites.attribute("failures").unwrap().parse::<usize>().unwrap(), failed.len());
    // Checks that did not look are skipped test cases with the reason, never passes.
    let skipped_reason = |name: &str| {
        cases
            .iter()
            .find(|c| c.attribute("name") == Some(name))
            .and_then(|c| c.children().find(|ch| ch.has_tag_name("skipped")))
            .and_then(|s| s.attribute("message"))
    };
    assert_eq!(skipped_reason("analytics-missing"), Some("not applicable: production-only check on a dev run"));
    assert_eq!(skipped_reason("old-url-broken"), Some("not applicable: no old URLs configured"));

    let sarif = preflight(args(&["check", &url, "--env", "dev", "--format", "sarif"])).await;
    let v: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("SARIF is JSON");
    // The fields SARIF 2.1.0's schema requires.
    assert_eq!(v["version"], "2.1.0");
    let runs = v["runs"].as_array().expect("runs");
    let driver = &runs[0]["tool"]["driver"];
    assert!(driver["name"].is_string());
    let rules = driver["rules"].as_array().unwrap();
    for rule in rules {
        assert!(rule["id"].is_string());
    }
    for r in runs[0]["results"].as_array().unwrap() {
        assert!(r["message"]["text"].is_string(), "result.message.text is required");
        let id = r["ruleId"].as_str().unwrap();
        assert!(preflight_engine::find_check(id).is_some(), "rule ids are check ids: {id}");
        assert!(rules.iter().any(|rule| rule["id"] == id));
        match r["kind"].as_str() {
            Some("fail") => assert!(matches!(r["level"].as_str(), Some("error" | "warning" | "note"))),
            Some("pass" | "notApplicable") => assert_eq!(r["level"], "none"),
            other => panic!("unexpected result kind {other:?}"),
        }
    }
    let na = runs[0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "sitemap-missing").unwrap();
    assert_eq!(na["kind"], "notApplicable");

    // --output writes a file instead of stdout.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let out = preflight(args(&["check", &url, "--env", "dev", "--format", "json", "--fail-on", "never", "-o", path.to_str().unwrap()])).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(saved["findings"].is_array());
    let checks = saved["checks"].as_array().unwrap();
    let of = |id: &str| checks.iter().find(|c| c["id"] == id).unwrap().clone();
    assert_eq!(of("live-credentials-on-dev")["status"], "failed");
    assert_eq!(of("robots-missing")["status"], "not_applicable");
    assert_eq!(of("robots-missing")["reason"], "production-only check on a dev run");
    assert_eq!(of("console-error")["status"], "skipped", "no --browser");
    assert!(!saved["checks_run"].as_array().unwrap().iter().any(|c| c == "robots-missing"), "checks_run keeps only what really ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_urls_expected_contacts_and_resolve_flags() {
    let app = Router::new().fallback(|req: Request| async move {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
        match req.uri().path() {
            "/" => axum::response::Html(format!("<!doctype html><title>Shop</title><body>DEV SITE on {host}. Mail sales@shop.test</body>")).into_response(),
            "/robots.txt" => "User-agent: *\nDisallow: /\n".into_response(),
            "/old-moved" => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/")]).into_response(),
            _ => (StatusCode::NOT_FOUND, axum::response::Html("<!doctype html><html><head><style>h1{}</style></head><body><h1>Gone</h1></body></html>"))
                .into_response(),
        }
    });
    let port = serve(app).await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("old.txt");
    std::fs::write(&list, format!("# old site\n/old-moved\n/old-gone\nhttp://www.shop.test:{port}/also-gone\n")).unwrap();
    let url = format!("http://www.shop.test:{port}/");
    let out = preflight(args(&[
        "check",
        &url,
        "--env",
        "dev",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--resolve",
        &format!("www.shop.test:{port}:127.0.0.1"),
        "--old-urls",
        list.to_str().unwrap(),
        "--expect-contact",
        "info@shop.test",
    ]))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = v["findings"].as_array().unwrap();
    let old: Vec<&str> = f.iter().filter(|x| x["check"] == "old-url-broken").map(|x| x["url"].as_str().unwrap()).collect();
    assert_eq!(old.len(), 2, "{old:?}");
    assert!(old.iter().any(|u| u.ends_with("/old-gone")) && old.iter().any(|u| u.ends_with("/also-gone")));
    assert!(f.iter().any(|x| x["check"] == "contact-missing" && x["message"].as_str().unwrap().contains("info@shop.test")));
    assert!(f.iter().any(|x| x["check"] == "contact-unexpected" && x["message"].as_str().unwrap().contains("sales@shop.test")));
    assert_eq!(v["final_url"], url, "the host override was used");
}

/// `--phone-region`, `--analytics-id` and `--old-ie` reach the checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_region_analytics_id_and_old_ie_flags() {
    let app = Router::new().fallback(|req: Request| async move {
        match req.uri().path() {
            "/" => axum::response::Html("<!doctype html><title>Shop</title><body>Call <a href=\"tel:+441174960123\">us</a></body>").into_response(),
            _ => (StatusCode::NOT_FOUND, "no").into_response(),
        }
    });
    let port = serve(app).await;
    let url = format!("http://127.0.0.1:{port}/");
    let out = preflight(args(&[
        "check",
        &url,
        "--format",
        "json",
        "--fail-on",
        "never",
        "--no-dns",
        "--expect-contact",
        "0117 496 0123",
        "--phone-region",
        "gb",
        "--analytics-id",
        "G-XYZ123",
        "--old-ie",
    ]))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = v["findings"].as_array().unwrap();
    let has = |check: &str, text: &str| f.iter().any(|x| x["check"] == check && x["message"].as_str().unwrap().contains(text));
    assert!(!f.iter().any(|x| x["check"] == "contact-missing" || x["check"] == "contact-unexpected"), "the tel: link is the expected number: {f:?}");
    assert!(has("analytics-missing", "G-XYZ123"), "{f:?}");
    assert!(has("old-ie-document-mode", "X-UA-Compatible"), "{f:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_targets_and_flags_exit_2_with_a_message() {
    for (a, expect) in [
        (args(&["check", "ftp://example.test/"]), "only http and https"),
        (args(&["check", "file:///etc/passwd"]), "only http and https"),
        (args(&["check", "not a url"]), "is not a URL"),
        (args(&["check", "http://127.0.0.1:9/", "--resolve", "nonsense"]), "HOST:PORT:ADDR"),
        (args(&["check", "http://127.0.0.1:9/", "--old-urls", "/no/such/file"]), "reading the old-URL list"),
        (args(&["check", "http://127.0.0.1:9/", "--format", "pdf"]), "invalid value"),
        (args(&["check", "http://127.0.0.1:9/", "--timeout", "0"]), "--timeout"),
        (args(&["check", "http://127.0.0.1:9/", "--phone-region", "Britain"]), "is not a country code"),
    ] {
        let out = preflight(a.clone()).await;
        assert_eq!(out.status.code(), Some(2), "{a:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{a:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    // An unreachable site is a finding (exit 1), not a crash.
    let out = preflight(args(&["check", "http://127.0.0.1:9/", "--timeout", "2", "--format", "json"])).await;
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["check"], "unreachable");
}

/// `--basic-auth` (here from PREFLIGHT_BASIC_AUTH, as the help advises), `--dev-marker`, and
/// credentials flags that are refused with the flag named and the secret not echoed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protected_site_with_credentials_and_dev_marker_words() {
    let site = Router::new().fallback(|req: axum::extract::Request| async move {
        let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        if auth != "Basic cHJldmlldzpzM2NyZXQtcHc=" {
            return (StatusCode::UNAUTHORIZED, "Sign in").into_response();
        }
        match req.uri().path() {
            "/" => axum::response::Html("<!doctype html><title>Dev</title><body>VORSCHAU</body>").into_response(),
            "/robots.txt" => "User-agent: *\nDisallow: /\n".into_response(),
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    });
    let port = serve(site).await;
    let url = format!("http://127.0.0.1:{port}/");
    let run = |extra: &[&str], env: Option<&str>| {
        let mut a = args(&["check", &url, "--env", "dev", "--no-dns", "--format", "json", "--fail-on", "never"]);
        a.extend(extra.iter().map(|s| s.to_string()));
        let env = env.map(str::to_string);
        async move {
            tokio::task::spawn_blocking(move || {
                let mut c = Command::cargo_bin("preflight").unwrap();
                c.args(&a).env("NO_COLOR", "1").env_remove("PREFLIGHT_BASIC_AUTH");
                if let Some(e) = env {
                    c.env("PREFLIGHT_BASIC_AUTH", e);
                }
                c.output().unwrap()
            })
            .await
            .unwrap()
        }
    };
    let status = |out: &Output, id: &str| -> String {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
        v["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()["status"].as_str().unwrap().to_string()
    };
    let without = run(&["--dev-marker", "Vorschau"], None).await;
    assert_ne!(status(&without, "dev-banner-missing"), "passed", "the 401 page was not judged as the site");
    let with = run(&["--dev-marker", "Vorschau"], Some("preview:s3cret-pw")).await;
    assert_eq!(status(&with, "dev-banner-missing"), "passed", "{}", String::from_utf8_lossy(&with.stdout));
    assert!(!String::from_utf8_lossy(&with.stdout).contains("s3cret"));
    let no_word = run(&[], Some("preview:s3cret-pw")).await;
    assert_eq!(status(&no_word, "dev-banner-missing"), "failed", "VORSCHAU is only a marker when named");
    let bad = run(&["--auth-header", "Bad Name: s3cret"], None).await;
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("--auth-header: name") && !err.contains("s3cret"), "{err}");
    let bad = run(&["--basic-auth", "no-colon"], None).await;
    assert!(String::from_utf8_lossy(&bad.stderr).contains("USER:PASSWORD"));
}
