//! Load benchmark of the foundation (run with `scripts/bench.sh`, which builds a release):
//!
//! * 100 concurrent API clients tick and untick checklist items for 30 s against the real
//!   release server: throughput, p50/p99 latency, errors, and afterwards whether every
//!   acknowledged change is in the database — on SQLite and, in the same run, on PostgreSQL
//!   (when `PREFLIGHT_TEST_POSTGRES` names a server, as `scripts/bench.sh` arranges);
//! * server-side render time of the checklist page of a project with 150 items;
//! * the server's resident memory when idle;
//! * the WASM bundle's size, raw and gzipped.
//!
//! Everything talks to 127.0.0.1 only. Settings: `BENCH_CLIENTS` (100), `BENCH_SECONDS` (30).

use std::{
    io::Write,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use serde_json::{json, Value};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn preflight_bin() -> PathBuf {
    std::env::var_os("PREFLIGHT_BIN").map(PathBuf::from).unwrap_or_else(|| root().join("target/release/preflight"))
}

fn cli(data: &Path, url: &str, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(preflight_bin())
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("PREFLIGHT_DATABASE_URL", url)
        .env("PREFLIGHT_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run preflight");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "preflight {args:?} failed");
    String::from_utf8(out.stdout).unwrap()
}

fn start(data: &Path, url: &str) -> Server {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(preflight_bin())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--site-root"])
        .arg(root().join("target/site"))
        .arg("--data-dir")
        .arg(data)
        .env("PREFLIGHT_DATABASE_URL", url)
        .env("PREFLIGHT_LOG", "warn")
        .spawn()
        .expect("start the release server (scripts/build.sh --release)");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, base }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn gzip_len(path: &Path) -> u64 {
    let out = Command::new("gzip").args(["-9", "-c"]).arg(path).output().expect("gzip");
    out.stdout.len() as u64
}

#[tokio::main]
async fn main() {
    let mut failed = false;
    let data = tempfile::tempdir().unwrap();
    failed |= run("SQLite", data.path(), &format!("sqlite://{}/preflight.db", data.path().display()), true).await;
    match std::env::var("PREFLIGHT_TEST_POSTGRES") {
        Ok(admin) if admin != "skip" => {
            let data = tempfile::tempdir().unwrap();
            let admin_pool = preflight_store::db::connect(&admin).await.expect("the PostgreSQL server of PREFLIGHT_TEST_POSTGRES");
            let name = format!("preflight_bench_{}", std::process::id());
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin_pool).await.unwrap();
            let url = preflight_store::testing::with_database(&admin, &name);
            failed |= run("PostgreSQL", data.path(), &url, false).await;
        }
        _ => println!("(PostgreSQL: not measured — PREFLIGHT_TEST_POSTGRES is not set; scripts/bench.sh starts a throwaway server)"),
    }
    if failed {
        std::process::exit(1);
    }
}

/// One database's run; `extras` adds render time, memory and the WASM size. True if it failed.
async fn run(label: &str, data: &Path, url: &str, extras: bool) -> bool {
    let clients = env_num("BENCH_CLIENTS", 100) as usize;
    let seconds = env_num("BENCH_SECONDS", 30);
    let email = "bench@example.test";
    let password = "bench password 123";
    cli(data, url, &["user", "add", email, "--name", "Bench", "--role", "owner"], &format!("{password}\n"));
    let token = cli(data, url, &["token", "create", email, "--name", "bench"], "").trim().to_string();
    let server = start(data, url);
    let pid = server.child.id();
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let api = |path: &str| format!("{}/api/v1{path}", server.base);

    // A project whose checklist has 150 items: the template plus custom items.
    let p: Value = http
        .post(api("/projects"))
        .bearer_auth(&token)
        .json(&json!({"name": "Bench", "client": "Load", "launch_date": "2027-03-01",
            "environments": [{"name": "production", "base_url": "https://www.bench.test"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pid_project = p["id"].as_i64().unwrap();
    let login =
        http.post(format!("{}/auth/login", server.base)).header("origin", &server.base).form(&[("email", email), ("password", password)]).send().await.unwrap();
    let cookie = login.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    let mut items: Vec<Value> =
        http.get(api(&format!("/projects/{pid_project}/checklist"))).bearer_auth(&token).send().await.unwrap().json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .clone();
    let mut n = 0;
    while items.len() < 150 {
        n += 1;
        let r = http
            .post(format!("{}/rpc/add_item", server.base))
            .header("origin", &server.base)
            .header("cookie", &cookie)
            .json(&json!({"project_id": pid_project, "item": {"title": format!("Custom item {n}"), "phase": "launch-week", "why": "", "due_offset_days": -2}}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "add_item: {}", r.status());
        items.push(r.json().await.unwrap());
    }

    // --- Server-side render time of the 150-item checklist page.
    let page = format!("{}/projects/{pid_project}", server.base);
    let mut render = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let r = http.get(&page).header("cookie", &cookie).send().await.unwrap();
        assert!(r.status().is_success());
        let body = r.text().await.unwrap();
        render.push(t.elapsed());
        assert!(body.contains("Custom item 1"));
    }
    render.sort();

    // --- Idle memory after warming up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_kib = rss_kib(pid);

    // --- Load: each client owns one item and flips it between done and todo.
    assert!(items.len() >= clients, "need {clients} items");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let http = Arc::new(http);
    let mut tasks = Vec::new();
    for item in items.iter().take(clients) {
        let item = item.clone();
        let (http, token, url) = (http.clone(), token.clone(), api(&format!("/checklist-items/{}", item["id"])));
        tasks.push(tokio::spawn(async move {
            let mut version = item["version"].as_i64().unwrap();
            let mut state = "todo".to_string();
            let (mut lat, mut errors, mut conflicts) = (Vec::new(), 0u64, 0u64);
            while Instant::now() < deadline {
                let next = if state == "done" { "todo" } else { "done" };
                let t = Instant::now();
                let res = http.patch(&url).bearer_auth(&token).json(&json!({"state": next, "version": version})).send().await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        let v: Value = r.json().await.unwrap();
                        lat.push(t.elapsed());
                        version = v["version"].as_i64().unwrap();
                        state = v["state"].as_str().unwrap().to_string();
                    }
                    Ok(r) if r.status() == reqwest::StatusCode::CONFLICT => conflicts += 1,
                    _ => errors += 1,
                }
            }
            (item["id"].as_i64().unwrap(), version, state, lat, errors, conflicts)
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    let (mut errors, mut conflicts) = (0, 0);
    let mut acked = Vec::new();
    for t in tasks {
        let (id, version, state, lat, e, c) = t.await.unwrap();
        all.extend(lat);
        errors += e;
        conflicts += c;
        acked.push((id, version, state));
    }
    let elapsed = started.elapsed();
    all.sort();
    let busy_kib = rss_kib(pid);
    drop(server);

    // --- Every acknowledged change is in the database.
    let pool = preflight_store::db::connect(url).await.unwrap();
    let mut lost = 0;
    for (id, version, state) in &acked {
        let (v, s): (i64, String) = sqlx::query_as("SELECT version, state FROM checklist_items WHERE id = $1").bind(id).fetch_one(&pool).await.unwrap();
        if v != *version || &s != state {
            lost += 1;
        }
    }
    let changes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checklist_events WHERE action = 'state'").fetch_one(&pool).await.unwrap();

    // --- WASM bundle size.
    let wasm = root().join("target/site/pkg/preflight_bg.wasm");
    let wasm_raw = std::fs::metadata(&wasm).map(|m| m.len()).unwrap_or(0);
    let wasm_gz = if wasm_raw > 0 { gzip_len(&wasm) } else { 0 };

    println!("== Preflight foundation benchmark: {label} ==");
    println!("load: {clients} clients, {:.1} s", elapsed.as_secs_f64());
    println!("  requests acknowledged: {}  ({:.0} req/s)", all.len(), all.len() as f64 / elapsed.as_secs_f64());
    println!("  latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms", ms(percentile(&all, 0.5)), ms(percentile(&all, 0.99)), ms(percentile(&all, 1.0)));
    println!("  errors: {errors}   conflicts: {conflicts}");
    println!("  acknowledged changes in the database: {} of {} items match; {} state changes recorded", acked.len() - lost, acked.len(), changes);
    println!(
        "render: checklist page with {} items, server-side: p50 {:.2} ms, p99 {:.2} ms",
        items.len(),
        ms(percentile(&render, 0.5)),
        ms(percentile(&render, 0.99))
    );
    println!("memory: idle RSS {:.1} MiB, after load {:.1} MiB", idle_kib as f64 / 1024.0, busy_kib as f64 / 1024.0);
    if extras {
        println!("wasm: {} raw, {} gzipped ({})", kb(wasm_raw), kb(wasm_gz), wasm.display());
    }
    if errors > 0 || lost > 0 {
        eprintln!("FAILED on {label}: {errors} errors, {lost} lost acknowledged changes");
        return true;
    }
    false
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn kb(b: u64) -> String {
    format!("{:.1} KB", b as f64 / 1024.0)
}
