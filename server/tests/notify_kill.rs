//! The real server killed (SIGKILL) while it is sending a webhook: after a restart the same
//! message (same body, same idempotency key) is sent again and arrives once.

mod common;

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use axum::{extract::State, http::HeaderMap, http::StatusCode, response::IntoResponse, Router};
use serde_json::{json, Value};

#[derive(Clone, Default)]
struct Receiver {
    answer: Arc<AtomicBool>,
    /// Every request: its idempotency key, its body, and whether it was answered.
    got: Arc<Mutex<Vec<(String, String, bool)>>>,
}

fn preflight(data: &std::path::Path, args: &[&str], stdin: &str) -> String {
    let out = assert_cmd::Command::cargo_bin("preflight").unwrap().args(args).arg("--data-dir").arg(data).write_stdin(stdin).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn wait_until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_interrupted_by_a_killed_server_arrives_once_after_the_restart() {
    let rx = Receiver::default();
    let app = Router::new()
        .fallback(|State(r): State<Receiver>, headers: HeaderMap, body: String| async move {
            let key = headers.get("x-preflight-delivery").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
            let answer = r.answer.load(Ordering::SeqCst);
            r.got.lock().unwrap().push((key, body, answer));
            if !answer {
                // Accept the request and never answer, like a receiver that hangs.
                tokio::time::sleep(Duration::from_secs(600)).await;
            }
            StatusCode::NO_CONTENT.into_response()
        })
        .with_state(rx.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_port = l.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });

    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_path_buf();
    let token = tokio::task::spawn_blocking(move || {
        preflight(&d, &["user", "add", "ops@example.test", "--name", "Ops", "--role", "owner"], "ops password 123\n");
        preflight(&d, &["token", "create", "ops@example.test", "--name", "test"], "").trim().to_string()
    })
    .await
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let flags = ["--no-browser", "--delivery-timeout", "2", "--delivery-backoff", "1"];
    let mut server = common::spawn_server(data.path(), port, &flags);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let api = |p: &str| format!("{base}/api/v1{p}");
    let project: Value = http.post(api("/projects")).bearer_auth(&token).json(&common::project_body("Kill")).send().await.unwrap().json().await.unwrap();
    let pid = project["id"].as_i64().unwrap();
    let res = http
        .post(api(&format!("/projects/{pid}/webhooks")))
        .bearer_auth(&token)
        .json(&json!({"url": format!("http://127.0.0.1:{hook_port}/hook")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let link: Value = http.post(api(&format!("/projects/{pid}/share-links"))).bearer_auth(&token).json(&json!({})).send().await.unwrap().json().await.unwrap();
    let share = link["url"].as_str().unwrap().rsplit("/share/").next().unwrap().to_string();

    // The client signs off; the server starts sending the webhook, and is killed mid-send.
    // As the review page's form posts it; the answer is the redirect back to the page.
    let form = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = form
        .post(format!("{base}/share/{share}/sign-off"))
        .header("origin", &base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=Clara+Client&confirm=yes")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    assert!(res.headers()["location"].to_str().unwrap().ends_with("#signoff-title"), "signed off: {:?}", res.headers());
    wait_until("the first try reaches the receiver", 15, || !rx.got.lock().unwrap().is_empty()).await;
    server.kill().unwrap();
    server.wait().unwrap();

    // Restarted, with a receiver that answers now: the same message again, and it arrives.
    rx.answer.store(true, Ordering::SeqCst);
    let started = Instant::now();
    let mut server = common::spawn_server(data.path(), port, &flags);
    wait_until("the message is sent again after the restart", 40, || rx.got.lock().unwrap().iter().any(|(_, _, answered)| *answered)).await;
    eprintln!("sent again {} ms after the restart", started.elapsed().as_millis());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = rx.got.lock().unwrap().clone();
    assert_eq!(got.iter().filter(|(_, _, answered)| *answered).count(), 1, "it arrives once: {got:?}");
    assert!(got.iter().all(|(key, body, _)| key == &got[0].0 && body == &got[0].1), "the same key and body on every try: {got:?}");
    assert!(got[0].0.starts_with("pfd_"), "{got:?}");
    let body: Value = serde_json::from_str(&got[0].1).unwrap();
    assert_eq!((body["id"].as_str(), body["event"].as_str()), (Some(got[0].0.as_str()), Some("client-review")));
    let d: Value = http.get(api(&format!("/projects/{pid}/deliveries"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let d = &d["deliveries"][0];
    assert_eq!((d["status"].as_str(), d["attempts"].as_i64()), (Some("sent"), Some(2)), "{d}");
    server.kill().unwrap();
    server.wait().unwrap();
}
