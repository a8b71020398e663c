//! `preflight worker` processes sharing one PostgreSQL database: they split the queue, and
//! the runs of a worker killed with SIGKILL mid-run are started again by the other — each run
//! finishes once, none is lost, none has its results written twice.

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

struct Worker(std::process::Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn worker(data: &std::path::Path, url: &str) -> Worker {
    let child = std::process::Command::cargo_bin("preflight")
        .unwrap()
        .args(["worker", "--no-browser", "--max-runs", "2"])
        .arg("--data-dir")
        .arg(data)
        .env("PREFLIGHT_DATABASE_URL", url)
        .env("PREFLIGHT_LOG", "warn")
        .spawn()
        .unwrap();
    Worker(child)
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
    let port = common::serve(slow_site()).await;
    let input = serde_json::json!({"name": "Slow", "launch_date": "2027-03-01",
        "environments": [{"name": "dev", "base_url": format!("http://127.0.0.1:{port}/"), "kind": "dev"}]});
    let pid = preflight_store::projects::create(&pool, &owner, &serde_json::from_value(input).unwrap()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let first = worker(data.path(), &pg.url());
    let second = worker(data.path(), &pg.url());
    for _ in 0..20 {
        preflight_store::runs::queue(&store, &owner, pid, "dev").await.unwrap();
    }

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
fn sigkill(mut w: Worker) {
    w.0.kill().unwrap();
    w.0.wait().unwrap();
}
