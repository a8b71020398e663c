//! `preflight deploy` of the real binary against the real server on loopback: records the
//! deploy, starts a run, and with `--wait` exits from the run's result like `preflight check`.

mod common;

use std::{
    path::Path,
    process::{Child, Output},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use axum::{
    extract::Request,
    http::StatusCode,
    response::{Html, IntoResponse},
    Router,
};
use serde_json::{json, Value};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(data: &Path, port: u16) -> Server {
    Server(common::spawn_server(data, port, &["--no-browser"]))
}

fn preflight(data: &Path, args: &[&str], stdin: &str) -> Output {
    assert_cmd::Command::cargo_bin("preflight")
        .unwrap()
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("PREFLIGHT_TOKEN")
        .write_stdin(stdin)
        .output()
        .unwrap()
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A dev site whose page links to a missing page while `broken` is set.
fn site(broken: Arc<AtomicBool>) -> Router {
    Router::new().fallback(move |req: Request| {
        let broken = broken.load(Ordering::SeqCst);
        async move {
            match req.uri().path() {
                "/" => Html(format!("<!doctype html><title>Dev</title><body>DEV SITE {}</body>", if broken { "<a href=\"/missing\">missing</a>" } else { "" }))
                    .into_response(),
                "/robots.txt" => "User-agent: *\nDisallow: /\n".into_response(),
                _ => (StatusCode::NOT_FOUND, Html("<!doctype html><title>Not found</title><h1>Not found</h1>")).into_response(),
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_records_starts_a_run_and_waits_for_its_verdict() {
    let broken = Arc::new(AtomicBool::new(false));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site_port = l.local_addr().unwrap().port();
    let app = site(broken.clone());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });

    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_path_buf();
    let token = tokio::task::spawn_blocking(move || {
        assert!(preflight(&d, &["user", "add", "ci@example.test", "--name", "CI", "--role", "owner"], "ci password 123\n").status.success());
        text(&preflight(&d, &["token", "create", "ci@example.test", "--name", "pipeline"], "")).0.trim().to_string()
    })
    .await
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _server = start(data.path(), port);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let project: Value = http
        .post(format!("{base}/api/v1/projects"))
        .bearer_auth(&token)
        .json(&json!({"name": "Shop relaunch", "launch_date": "2027-01-01",
            "environments": [{"name": "staging", "kind": "dev", "base_url": format!("http://127.0.0.1:{site_port}/")}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pid = project["id"].as_i64().unwrap().to_string();

    let deploy = |extra: &[&str]| {
        let mut args: Vec<&str> = vec!["deploy", "--server", base.as_str(), "--token", token.as_str()];
        args.extend_from_slice(extra);
        if !extra.contains(&"--environment") {
            args.extend(["--environment", "staging"]);
        }
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        let d = data.path().to_path_buf();
        async move { tokio::task::spawn_blocking(move || preflight(&d, &args.iter().map(String::as_str).collect::<Vec<_>>(), "")).await.unwrap() }
    };

    // A clean site: exit 0, the run and its result printed; the project found by its name.
    let out = deploy(&["--project", "shop RELAUNCH", "--revision", "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6", "--wait"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Deploy 0f1e2d3 to staging recorded") && stdout.contains("check run #"), "{stdout}");
    assert!(stdout.contains("completed") && stdout.contains("0 error(s)"), "{stdout}");

    // Broken: exit 1 with the finding listed; --fail-on never: exit 0.
    broken.store(true, Ordering::SeqCst);
    let out = deploy(&["--project", &pid, "--revision", "v2", "--description", "Broke a link", "--wait"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("broken-link") && stdout.contains("/missing"), "{stdout}");
    let out = deploy(&["--project", &pid, "--wait", "--fail-on", "never", "--format", "json"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let lines: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "the deploy, then the finished run: {stdout}");
    assert_eq!(lines[0]["run_id"], lines[1]["run"]["id"]);
    assert_eq!(lines[1]["run"]["cause"], "deploy");
    assert!(lines[1]["findings"].as_array().unwrap().iter().any(|f| f["check"] == "broken-link"), "{stdout}");

    // Without --wait it returns at once; --no-run records only.
    let out = deploy(&["--project", &pid, "--no-run"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out).0.contains("no check run started"), "{}", text(&out).0);
    let deploys: Value = http.get(format!("{base}/api/v1/projects/{pid}/deploys")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let deploys = deploys["deploys"].as_array().unwrap();
    assert_eq!(deploys.len(), 4);
    assert_eq!((deploys[2]["revision"].as_str(), deploys[2]["note"].as_str()), (Some("v2"), Some("Broke a link")));

    // Mistakes end with exit 2 and a sentence saying what is wrong.
    for (args, expected) in [
        (vec!["--project", "Nope"], "no project is named \"Nope\"; the projects are: Shop relaunch"),
        (vec!["--project", &pid, "--environment", "prod"], "staging"),
        (vec!["--project", "99999"], "404"),
    ] {
        let out = deploy(&args).await;
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let d = data.path().to_path_buf();
    let (pid2, base2) = (pid.clone(), base.clone());
    let outs = tokio::task::spawn_blocking(move || {
        let bad_token = preflight(&d, &["deploy", "--server", &base2, "--token", "pf_wrong", "--project", &pid2, "--environment", "staging"], "");
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let nobody = format!("http://127.0.0.1:{closed}");
        let unreachable = preflight(&d, &["deploy", "--server", &nobody, "--token", "t", "--project", "1", "--environment", "staging"], "");
        let not_url = preflight(&d, &["deploy", "--server", "preflight.example", "--token", "t", "--project", "1", "--environment", "staging"], "");
        [bad_token, unreachable, not_url]
    })
    .await
    .unwrap();
    for (out, expected) in outs.iter().zip(["401", "could not reach", "is not a URL"]) {
        let (stdout, stderr) = text(out);
        assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
}
