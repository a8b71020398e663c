//! Screenshot throughput: pages × viewports per second for a 20-page fixture site at the four
//! default viewports, Preflight against a plain puppeteer-core script driving the same system
//! Chromium (tools/bench/screenshots.mjs), side by side in one run.
//!
//! Run with `scripts/bench-browser.sh` (installs the pinned puppeteer-core first).
//! `BENCH_RUNS=N` repeats each side N times and keeps the best; `BENCH_TABS=N` sets
//! Preflight's tabs (default 2).

use std::{
    path::PathBuf,
    process::Command,
    time::{Duration, Instant},
};

use axum::{extract::Path, http::header, response::Html, routing::get, Router};
use preflight_browser::{chromium, BrowserSettings};
use preflight_engine::EnvProfile;

const PAGES: usize = 20;

fn page(n: usize) -> Html<String> {
    let links: String = (0..PAGES).map(|i| format!("<li><a href=\"/page/{i}\">Page {i}</a></li>")).collect();
    let paragraphs: String = (0..12)
        .map(|i| format!("<p>Paragraph {i} of page {n}. Launch checklists keep teams honest: favicon, robots.txt, canonical hosts, forms that submit and human error messages.</p>"))
        .collect();
    let cards: String = (0..6)
        .map(|i| format!("<div class=card><svg width=120 height=80 viewBox=\"0 0 120 80\"><rect width=120 height=80 fill=\"hsl({} 60% 60%)\"/><circle cx=60 cy=40 r=25 fill=\"#fff\"/></svg><h3>Card {i}</h3><p>Details</p></div>", (n * 37 + i * 50) % 360))
        .collect();
    Html(format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width, initial-scale=1\"><title>Page {n}</title><link rel=stylesheet href=/style.css></head>\
         <body><header><h1>Fixture page {n}</h1><nav><ul>{links}</ul></nav></header><main><section class=grid>{cards}</section>{paragraphs}</main><footer>© Fixture</footer><script src=/app.js></script></body></html>"
    ))
}

const CSS: &str = "body{font:16px/1.5 sans-serif;margin:0;color:#222}header{background:#234;color:#fff;padding:1rem}nav ul{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;padding:0}nav a{color:#cde}main{max-width:1100px;margin:auto;padding:1rem}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:1rem}.card{border:1px solid #ccc;border-radius:8px;padding:.5rem}footer{padding:2rem;text-align:center;background:#eee}";
const JS: &str = "document.addEventListener('DOMContentLoaded',function(){document.body.setAttribute('data-ready','1')});";

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let tabs: usize = std::env::var("BENCH_TABS").ok().and_then(|s| s.parse().ok()).unwrap_or(preflight_browser::DEFAULT_CONCURRENCY);
    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(1).max(1);
    let chromium = chromium::find(None).expect("a system Chromium");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("tools/bench/screenshots.mjs");
    assert!(root.join("tools/bench/node_modules/puppeteer-core").exists(), "run scripts/bench-browser.sh (it installs puppeteer-core)");

    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/page/{n}", get(|Path(n): Path<usize>| async move { page(n) }))
            .route("/style.css", get(|| async { ([(header::CONTENT_TYPE, "text/css")], CSS) }))
            .route("/app.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], JS) }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let urls: Vec<url::Url> = (0..PAGES).map(|i| url::Url::parse(&format!("http://{addr}/page/{i}")).unwrap()).collect();
        let shots = PAGES * 4;

        let mut best_ours = Duration::MAX;
        let mut best_peer = Duration::MAX;
        for run in 0..runs {
            let out = tempfile::tempdir().unwrap();
            let mut s = BrowserSettings::new(EnvProfile::Production);
            s.endpoint = preflight_browser::Endpoint::Local { chromium: Some(chromium.clone()) };
            s.screenshot_dir = Some(out.path().to_path_buf());
            s.concurrency = tabs;
            let t0 = Instant::now();
            let o = preflight_browser::run(s, urls.clone(), |_| {}).await.expect("preflight run");
            let ours = t0.elapsed();
            assert_eq!(o.captures.iter().filter(|c| c.path.is_some()).count(), shots, "every screenshot taken");
            best_ours = best_ours.min(ours);

            let peer_out = tempfile::tempdir().unwrap();
            let mut cmd = Command::new("node");
            cmd.arg(&script).arg(&chromium).arg(peer_out.path()).args(urls.iter().map(|u| u.to_string()));
            let t0 = Instant::now();
            let res = cmd.output().expect("running node");
            let peer = t0.elapsed();
            assert!(res.status.success(), "the puppeteer script failed: {}", String::from_utf8_lossy(&res.stderr));
            let taken = std::fs::read_dir(peer_out.path()).unwrap().count();
            assert_eq!(taken, shots, "the puppeteer script took every screenshot");
            best_peer = best_peer.min(peer);
            println!("run {}: preflight {:.1} s, puppeteer-core {:.1} s", run + 1, ours.as_secs_f64(), peer.as_secs_f64());
        }
        let rate = |d: Duration| shots as f64 / d.as_secs_f64();
        println!("screenshots: {PAGES} pages × 4 viewports = {shots} full-page PNGs (best of {runs})");
        println!("  preflight ({tabs} tabs)            {:6.2} shots/s  ({:.1} s)", rate(best_ours), best_ours.as_secs_f64());
        println!("  puppeteer-core 24.10, 1 tab   {:6.2} shots/s  ({:.1} s)", rate(best_peer), best_peer.as_secs_f64());
        println!("  ratio                         {:6.2}×", rate(best_ours) / rate(best_peer));
    });
}
