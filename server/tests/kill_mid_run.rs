//! The real server killed (SIGKILL) in the middle of a check run: after a restart the run
//! shows as interrupted with no half-written findings, and it can be run again.

mod common;

use std::{
    process::{Child, Command},
    time::{Duration, Instant},
};

use axum::{extract::Request, response::Html, Router};
use serde_json::{json, Value};

fn start(data: &std::path::Path, port: u16) -> Child {
    common::spawn_server(data, port, &[])
}

fn cli(data: &std::path::Path, args: &[&str], stdin: &str) -> String {
    let out = assert_cmd::Command::cargo_bin("preflight").unwrap().args(args).arg("--data-dir").arg(data).write_stdin(stdin).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn serve_site(site: Router) -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(l, site).await.unwrap() });
    port
}

/// An owner account in `data` and an API token for it, through the real CLI.
async fn owner_token(data: &std::path::Path) -> String {
    let d = data.to_path_buf();
    tokio::task::spawn_blocking(move || {
        cli(&d, &["user", "add", "ops@example.test", "--name", "Ops", "--role", "owner"], "ops password 123\n");
        cli(&d, &["token", "create", "ops@example.test", "--name", "test"], "").trim().to_string()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_interrupted_by_a_killed_server_is_marked_and_can_be_rerun() {
    // A site that never ends: every page takes a second and links to three more.
    let site = Router::new().fallback(|req: Request| async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let n: u64 = req.uri().path().trim_start_matches("/p").parse().unwrap_or(0);
        Html(format!(
            "<!doctype html><title>p{n}</title><body>DEV SITE <a href=/p{}>a</a><a href=/p{}>b</a><a href=/p{}>c</a></body>",
            n * 3 + 1,
            n * 3 + 2,
            n * 3 + 3
        ))
    });
    let site_port = serve_site(site).await;
    let data = tempfile::tempdir().unwrap();
    let token = owner_token(data.path()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = start(data.path(), port);
    let http = reqwest::Client::new();
    let api = |p: &str| format!("http://127.0.0.1:{port}/api/v1{p}");
    let project: Value = http
        .post(api("/projects"))
        .bearer_auth(&token)
        .json(&json!({"name": "Slow", "launch_date": "2027-01-01", "environments": [{"name": "dev", "base_url": format!("http://127.0.0.1:{site_port}/p0")}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pid = project["id"].as_i64().unwrap();
    let run: Value =
        http.post(api(&format!("/projects/{pid}/runs"))).bearer_auth(&token).json(&json!({"environment": "dev"})).send().await.unwrap().json().await.unwrap();
    let run_id = run["id"].as_i64().unwrap();

    // Wait until it is crawling, then kill the server without warning.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r: Value = http.get(api(&format!("/runs/{run_id}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        if r["status"] == "running" && r["progress_done"].as_i64().unwrap_or(0) >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the run never started crawling: {r}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();

    let mut server = start(data.path(), port);
    let r: Value = http.get(api(&format!("/runs/{run_id}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["status"], "interrupted", "{r}");
    let f: Value = http.get(api(&format!("/runs/{run_id}/findings"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(f["findings"].as_array().unwrap().len(), 0, "no half-written results");
    // It can be run again.
    let again = http.post(api(&format!("/projects/{pid}/runs"))).bearer_auth(&token).json(&json!({"environment": "dev"})).send().await.unwrap();
    assert_eq!(again.status(), reqwest::StatusCode::CREATED);
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Chromium processes whose profile belongs to process `pid`, and whether its profile folder exists.
fn browsers_of(pid: u32) -> (Vec<u32>, bool) {
    let root = preflight_browser::chromium::profile_root();
    let procs = preflight_browser::chromium::profile_processes(&root.join(format!("{pid}-")));
    let folder = std::fs::read_dir(&root).map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with(&format!("{pid}-")))).unwrap_or(false);
    (procs, folder)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_the_browser_checks_leaves_no_browser_behind() {
    // Quick over HTTP, but in the browser an iframe that never finishes keeps the page loading.
    let site = Router::new().fallback(|req: Request| async move {
        match req.uri().path() {
            "/forever" => {
                tokio::time::sleep(Duration::from_secs(600)).await;
                Html(String::new())
            }
            _ => Html("<!doctype html><title>Home</title><body>DEV SITE <iframe src=/forever></iframe></body>".to_string()),
        }
    });
    let site_port = serve_site(site).await;
    let data = tempfile::tempdir().unwrap();
    let token = owner_token(data.path()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = start(data.path(), port);
    let server_pid = server.id();
    let http = reqwest::Client::new();
    let api = |p: &str| format!("http://127.0.0.1:{port}/api/v1{p}");
    let project: Value = http
        .post(api("/projects"))
        .bearer_auth(&token)
        .json(&json!({"name": "Hangs", "launch_date": "2027-01-01", "viewports": "desktop",
            "environments": [{"name": "dev", "base_url": format!("http://127.0.0.1:{site_port}/")}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pid = project["id"].as_i64().unwrap();
    let run: Value =
        http.post(api(&format!("/projects/{pid}/runs"))).bearer_auth(&token).json(&json!({"environment": "dev"})).send().await.unwrap().json().await.unwrap();
    assert!(run["id"].is_i64(), "{run}");

    // Wait for the run's browser, then kill the server without warning.
    let t0 = Instant::now();
    while browsers_of(server_pid).0.is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(40), "the run never started its browser");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let t0 = Instant::now();
    while !browsers_of(server_pid).0.is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(10), "Chromium outlived the killed server: {:?}", browsers_of(server_pid));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The next start removes the dead server's profile folder, and the interrupted run's
    // screenshots (folder and gallery rows).
    let shots = data.path().join("screenshots").join(format!("run-{}", run["id"]));
    let mut server = start(data.path(), port);
    let t0 = Instant::now();
    while browsers_of(server_pid).1 || shots.exists() {
        assert!(t0.elapsed() < Duration::from_secs(10), "the restarted server left the old browser profile or the interrupted run's screenshots in place");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let gallery: Value =
        http.get(api(&format!("/runs/{}/screenshots", run["id"]))).bearer_auth(&token).send().await.unwrap().json().await.unwrap_or(Value::Null);
    assert!(gallery["screenshots"].as_array().is_none_or(|s| s.is_empty()), "{gallery}");
    server.kill().unwrap();
    server.wait().unwrap();
}

/// SIGTERM with a live-event stream open: the server closes it and exits within 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_live_stream_open_exits_within_ten_seconds() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let token = owner_token(dir.path()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = start(dir.path(), port);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let project: Value = client
        .post(format!("{base}/api/v1/projects"))
        .bearer_auth(&token)
        .json(&json!({"name": "P", "launch_date": "2027-03-01", "environments": []}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pid = project["id"].as_i64().unwrap();
    let login = client
        .post(format!("{base}/auth/login"))
        .header("origin", &base)
        .form(&[("email", "ops@example.test"), ("password", "ops password 123")])
        .send()
        .await
        .unwrap();
    let cookie = login.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    // A raw connection holding the stream open.
    let mut sse = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    sse.write_all(format!("GET /events/projects/{pid} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut head = [0u8; 64];
    let n = sse.read(&mut head).await.unwrap();
    assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&head[..n]));

    // Started without them, the server runs with its allocator settings (it restarted itself
    // in place: same process id, which SIGTERM below reaches).
    let environ = std::fs::read(format!("/proc/{}/environ", server.id())).unwrap();
    let environ: Vec<&[u8]> = environ.split(|b| *b == 0).collect();
    let setting = "MALLOC_MMAP_THRESHOLD_=1048576";
    assert!(environ.contains(&setting.as_bytes()), "{setting} missing from the server's environment");

    let t0 = Instant::now();
    assert!(Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap().success());
    loop {
        if let Some(status) = server.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "the server is still running 10 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
