//! Scale benchmark of check workers (run with `scripts/bench-scale.sh`, which builds a release
//! and starts a throwaway PostgreSQL):
//!
//! 40 fixture sites on 127.0.0.1 (three pages each), one project per site with the four
//! default viewports (desktop, old-ie, ipad, phone), 40 queued check runs with browser checks
//! — done by 1, 2 and then 4 `preflight worker` processes of the release build, each on a fresh
//! database. Reported per worker count: wall time, runs per minute, screenshots per second and
//! whether every run finished with every screenshot.
//!
//! Settings: `SCALE_SITES` (40), `SCALE_WORKERS` ("1,2,4"). Only 127.0.0.1 is contacted.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command},
    time::{Duration, Instant},
};

use axum::{extract::Path as UrlPath, response::Html, routing::get, Router};
use preflight_model::Role;
use preflight_store::{db, Store};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn preflight_bin() -> PathBuf {
    std::env::var_os("PREFLIGHT_BIN").map(PathBuf::from).unwrap_or_else(|| root().join("target/release/preflight"))
}

/// A small brochure site: three pages with a stylesheet, a picture and a navigation.
fn site(n: usize) -> Router {
    let page = move |name: String| {
        Html(format!(
            "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width, initial-scale=1\">\
             <title>Site {n} — {name}</title><link rel=stylesheet href=/style.css><meta name=description content=\"Fixture site {n}\"></head>\
             <body><header><nav><a href=/>Home</a> <a href=/about>About</a> <a href=/contact>Contact</a></nav></header>\
             <main><h1>{name}</h1>{}<img src=/logo.svg alt=\"Site {n} logo\" width=120 height=40></main>\
             <footer><p>© Site {n}</p></footer></body></html>",
            "<p>Fixture text for the browser to lay out and draw, several lines long so pages have some height.</p>".repeat(12)
        ))
    };
    Router::new()
        .route("/", get(move || async move { page("Home".into()) }))
        .route("/{name}", get(move |UrlPath(name): UrlPath<String>| async move { page(name) }))
        .route(
            "/style.css",
            get(|| async { ([("content-type", "text/css")], "body{font-family:sans-serif;max-width:60rem;margin:auto;padding:1rem}nav a{margin-right:1rem}") }),
        )
        .route(
            "/logo.svg",
            get(|| async {
                (
                    [("content-type", "image/svg+xml")],
                    "<svg xmlns='http://www.w3.org/2000/svg' width='120' height='40'><rect width='120' height='40' fill='#246'/></svg>",
                )
            }),
        )
        .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
}

struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Measured {
    workers: usize,
    took: Duration,
    finished: i64,
    shots: i64,
}

#[tokio::main]
async fn main() {
    let sites: usize = std::env::var("SCALE_SITES").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let counts: Vec<usize> = std::env::var("SCALE_WORKERS").unwrap_or_else(|_| "1,2,4".into()).split(',').filter_map(|n| n.trim().parse().ok()).collect();
    let Ok(admin) = std::env::var("PREFLIGHT_TEST_POSTGRES") else {
        eprintln!("PREFLIGHT_TEST_POSTGRES is not set: run scripts/bench-scale.sh (workers need PostgreSQL)");
        std::process::exit(2);
    };
    assert!(preflight_bin().exists(), "build the release first: scripts/build.sh --release");
    let mut ports = Vec::new();
    for n in 0..sites {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        ports.push(l.local_addr().unwrap().port());
        tokio::spawn(async move { axum::serve(l, site(n)).await.unwrap() });
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("check workers: {sites} fixture sites × 4 viewports (3 pages each), on {cores} cores\n");
    let admin_pool = db::connect(&admin).await.expect("the PostgreSQL server of PREFLIGHT_TEST_POSTGRES");
    let mut results = Vec::new();
    for &workers in &counts {
        let name = format!("preflight_scale_{}_{workers}", std::process::id());
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin_pool).await.unwrap();
        let url = preflight_store::testing::with_database(&admin, &name);
        results.push(measure(&url, &ports, workers).await);
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&admin_pool).await.unwrap();
    }
    let base = results.first().map(|m| m.took.as_secs_f64()).unwrap_or(1.0);
    println!("| workers | wall time | runs/min | screenshots/s | speed-up | runs finished | screenshots |");
    println!("|---|---|---|---|---|---|---|");
    let mut failed = false;
    for m in &results {
        let secs = m.took.as_secs_f64();
        println!(
            "| {} | {:.1} s | {:.1} | {:.1} | {:.2}× | {}/{} | {}/{} |",
            m.workers,
            secs,
            sites as f64 / secs * 60.0,
            m.shots as f64 / secs,
            base / secs,
            m.finished,
            sites,
            m.shots,
            sites * 3 * 4
        );
        failed |= m.finished != sites as i64 || m.shots != (sites * 3 * 4) as i64;
    }
    println!(
        "\nWhat limits it here: {cores} cores run the workers, their Chromiums, PostgreSQL and the {sites} sites at once; \
         browser work (layout, drawing, PNG encoding) is CPU-bound, so workers beyond the cores add contention, not speed. \
         Across machines each worker brings its own cores."
    );
    if failed {
        eprintln!("not every run finished with every screenshot");
        std::process::exit(1);
    }
}

/// Queues one run per site and times `workers` worker processes doing them all.
async fn measure(url: &str, ports: &[u16], workers: usize) -> Measured {
    let pool = db::connect(url).await.unwrap();
    db::migrate(&pool).await.unwrap();
    let store = Store::new(pool.clone(), None, None);
    let owner = preflight_store::auth::create_user(&pool, "bench@example.test", "Bench", Role::Owner, "bench password 123").await.unwrap();
    let mut projects = Vec::new();
    for (n, port) in ports.iter().enumerate() {
        let input = serde_json::json!({"name": format!("Site {n}"), "launch_date": "2027-03-01",
            "environments": [{"name": "staging", "base_url": format!("http://127.0.0.1:{port}/"), "kind": "staging"}]});
        projects.push(preflight_store::projects::create(&pool, &owner, &serde_json::from_value(input).unwrap()).await.unwrap());
    }
    let data = tempfile::tempdir().unwrap();
    for pid in &projects {
        preflight_store::runs::queue(&store, &owner, *pid, "staging").await.unwrap();
    }
    let started = Instant::now();
    let procs: Vec<Worker> = (0..workers)
        .map(|_| {
            Worker(
                Command::new(preflight_bin())
                    .args(["worker", "--data-dir"])
                    .arg(data.path())
                    .env("PREFLIGHT_DATABASE_URL", url)
                    .env("PREFLIGHT_LOG", "warn")
                    .spawn()
                    .expect("start a worker"),
            )
        })
        .collect();
    let deadline = started + Duration::from_secs(1800);
    loop {
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE status IN ('queued', 'running')").fetch_one(&pool).await.unwrap();
        if open == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let took = started.elapsed();
    drop(procs);
    let finished: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE status IN ('passed', 'failed')").fetch_one(&pool).await.unwrap();
    let shots: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM screenshots").fetch_one(&pool).await.unwrap();
    pool.close().await;
    Measured { workers, took, finished, shots }
}
