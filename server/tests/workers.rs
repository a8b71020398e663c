//! Many processes, one installation on PostgreSQL: two `preflight serve --no-runner` and two
//! `preflight worker` processes. The workers split the queue (20 runs of four fixture sites), and the runs of a worker killed
//! with SIGKILL mid-run are started again by the other — each run finishes once, none is lost,
//! none has its results written twice; a tick made through one server reaches a live view
//! (server-sent events) open on the other within a second.

mod common;

use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use axum::{extract::Path as UrlPath, response::Html, routing::get, Router};
use preflight_model::Role;
use preflight_store::{testing::TestDb, Store};

/// A small site whose pages each take a moment, so runs are still going when a worker dies.
fn slow_site() -> Router {
    async fn page(path: Option<UrlPath<String>>) -> Html<String> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let here = path.map(|p| p.0).unwrap_or_default();
        Html(format!(
            "<!doctype html><html lang=en><head><title>Slow {here}</title></head><body><h1>Page {here}</h1>{}</body></html>",
            ["a", "b", "c", "d"].iter().map(|p| format!("<a href=\"/{p}\">{p}</a>")).collect::<String>()
        ))
    }
    Router::new().route("/", get(|| page(None))).route("/{p}", get(|p: UrlPath<String>| page(Some(p))))
}

/// A `preflight` process of the installation, killed when dropped.
struct Process(std::process::Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `preflight ARGS` on the shared data folder and database.
fn preflight(args: &[&str], data: &std::path::Path, url: &str) -> Process {
    let child = std::process::Command::cargo_bin("preflight")
        .unwrap()
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("PREFLIGHT_DATABASE_URL", url)
        .env("PREFLIGHT_LOG", "warn")
        .spawn()
        .unwrap();
    Process(child)
}

fn worker(data: &std::path::Path, url: &str) -> Process {
    preflight(&["worker", "--no-browser", "--max-runs", "2"], data, url)
}

/// A `preflight serve --no-runner` process on a free loopback port; returns it and its base URL.
fn server(data: &std::path::Path, url: &str) -> (Process, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = preflight(&["serve", "--no-runner", "--listen", &format!("127.0.0.1:{port}")], data, url);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, format!("http://127.0.0.1:{port}"))
}

/// Ticks an item through server `a` and waits for the update on a live view of server `b`;
/// returns how long it took to arrive after `a` acknowledged it.
async fn tick_reaches_the_other_server(a: &str, b: &str, token: &str, item_id: i64, version: i64, project_id: i64) -> Duration {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login =
        http.post(format!("{b}/auth/login")).header("origin", b).form(&[("email", "owner@example.test"), ("password", common::PASSWORD)]).send().await.unwrap();
    let cookie = login.headers().get("set-cookie").expect("signed in on the second server").to_str().unwrap().split(';').next().unwrap().to_string();
    let mut live = http.get(format!("{b}/events/projects/{project_id}")).header("cookie", cookie).send().await.unwrap();
    assert_eq!(live.status(), reqwest::StatusCode::OK);
    let (arrived_tx, arrived_rx) = tokio::sync::oneshot::channel();
    let reader = tokio::spawn(async move {
        let mut seen = String::new();
        while let Some(chunk) = live.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains(&format!("\"id\":{item_id},")) && seen.contains("\"state\":\"done\"") {
                let _ = arrived_tx.send(Instant::now());
                return;
            }
        }
    });
    // The live view subscribed before it answered 200, and the server listened to the
    // database before it took requests: the tick cannot be missed.
    let res = http
        .patch(format!("{a}/api/v1/checklist-items/{item_id}"))
        .bearer_auth(token)
        .json(&serde_json::json!({"state": "done", "version": version}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let acknowledged = Instant::now();
    let arrived = tokio::time::timeout(Duration::from_secs(5), arrived_rx).await.expect("the update reached the other server's live view").unwrap();
    reader.abort();
    arrived.saturating_duration_since(acknowledged)
}

async fn count(pool: &preflight_store::db::Pool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_share_the_queue_and_a_killed_workers_runs_are_run_again() {
    let Some(pg) = TestDb::postgres().await else { return };
    let pool = pg.pool.clone();
    let store = Store::new(pool.clone(), None, None);
    let owner = preflight_store::auth::create_user(&pool, "owner@example.test", "Olivia Owner", Role::Owner, common::PASSWORD).await.unwrap();
    // Four fixture sites, a project each.
    let mut projects = Vec::new();
    for n in 1..=4 {
        let port = common::serve(slow_site()).await;
        let input = serde_json::json!({"name": format!("Slow {n}"), "launch_date": "2027-03-01",
            "environments": [{"name": "dev", "base_url": format!("http://127.0.0.1:{port}/"), "kind": "dev"}]});
        projects.push(preflight_store::projects::create(&pool, &owner, &serde_json::from_value(input).unwrap()).await.unwrap());
    }
    let pid = projects[0];
    let data = tempfile::tempdir().unwrap();
    let (_server_a, a) = server(data.path(), &pg.url());
    let (_server_b, b) = server(data.path(), &pg.url());
    let first = worker(data.path(), &pg.url());
    let second = worker(data.path(), &pg.url());
    for n in 0..20 {
        preflight_store::runs::queue(&store, &owner, projects[n % projects.len()], "dev").await.unwrap();
    }

    // Live updates travel between the servers (PostgreSQL LISTEN/NOTIFY).
    let token = preflight_store::auth::create_api_token(&pool, owner.id, "test").await.unwrap().1;
    let item = preflight_store::checklist::items(&pool, pid).await.unwrap().remove(0);
    let took = tick_reaches_the_other_server(&a, &b, &token, item.id, item.version, pid).await;
    assert!(took < Duration::from_secs(1), "the tick reached the other server's live view after {took:?}");
    eprintln!("a tick through one server reached a live view on the other {took:?} after it was acknowledged");

    // Both take part; once the first holds a run, it is killed.
    let first_pid = first.0.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let held = count(&pool, &format!("SELECT COUNT(*) FROM runs WHERE status = 'running' AND claimed_by LIKE '%:{first_pid}:%'")).await;
        if held > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the first worker never claimed a run");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sigkill(first);
    // What it held when it died (the database still says it is running them).
    let killed: Vec<i64> =
        sqlx::query_scalar(&format!("SELECT id FROM runs WHERE status = 'running' AND claimed_by LIKE '%:{first_pid}:%'")).fetch_all(&pool).await.unwrap();
    assert!(!killed.is_empty());

    // Every run ends: the killed worker's ones after they are not heard of (40 s) and the
    // survivor's reaper takes them back (every 15 s).
    let deadline = Instant::now() + Duration::from_secs(180);
    while count(&pool, "SELECT COUNT(*) FROM runs WHERE status IN ('queued', 'running')").await > 0 {
        assert!(Instant::now() < deadline, "runs were still open after 3 minutes");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let rows: Vec<(i64, String, i64, String)> =
        sqlx::query_as("SELECT id, status, attempts, COALESCE(claimed_by, '') FROM runs ORDER BY id").fetch_all(&pool).await.unwrap();
    assert_eq!(rows.len(), 20);
    for (id, status, attempts, by) in &rows {
        assert!(matches!(status.as_str(), "passed" | "failed"), "run {id} ended {status}");
        let was_killed = killed.contains(id);
        assert_eq!(*attempts, if was_killed { 2 } else { 1 }, "run {id} was started {attempts} times");
        if was_killed {
            assert!(!by.contains(&format!(":{first_pid}:")), "run {id} was finished by the survivor, not the killed worker");
        }
    }
    let duplicated = count(
        &pool,
        "SELECT COUNT(*) FROM (SELECT run_id, check_id, url, message FROM findings GROUP BY run_id, check_id, url, message HAVING COUNT(*) > 1) d",
    )
    .await;
    assert_eq!(duplicated, 0, "no run has its results written twice");
    drop(second);
}

/// SIGKILL: the process gets no chance to clean up or finish its runs.
fn sigkill(mut w: Process) {
    w.0.kill().unwrap();
    w.0.wait().unwrap();
}
