//! Crawl benchmark: a generated 1,000-page site on 127.0.0.1, checked by Preflight's engine
//! (crawl with every HTTP check) and, in the same run, by `lychee` checking the same
//! site's links. Prints pages per second for both and the ratio.
//!
//! Run with `scripts/bench-crawl.sh` (installs the pinned lychee from crates.io).
//! Settings: `BENCH_PAGES` (1000), `BENCH_CONCURRENCY` (8, used by both tools), `LYCHEE`.

use std::time::{Duration, Instant};

use axum::{
    extract::Request,
    http::{header, StatusCode},
    response::{Html, IntoResponse, Response},
    Router,
};

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn page(n: usize, pages: usize, base: &str) -> String {
    let mut links = String::new();
    for k in 1..=10 {
        let child = n * 10 + k;
        if child < pages {
            links.push_str(&format!("<li><a href=\"/p/{child}\">Page {child}</a></li>"));
        }
    }
    // A few cross links, like navigation menus have.
    for k in [0, (n + 1) % pages, (n * 7 + 3) % pages] {
        links.push_str(&format!("<li><a href=\"/p/{k}\">Also {k}</a></li>"));
    }
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Page {n} of the bench site</title>\
         <meta name=description content=\"Description of page {n}\"><link rel=canonical href=\"{base}/p/{n}\">\
         <link rel=stylesheet href=/style.css><link rel=icon href=/favicon.ico><script src=/app.js></script></head>\
         <body><header><img src=/img/{img}.png alt=\"\"></header><main><h1>Page {n}</h1>\
         <p>Garden tools, seeds and advice. This is page number {n} of the generated site.</p><ul>{links}</ul></main>\
         <footer>Write to info@bench.test</footer></body></html>",
        img = n % 50
    )
}

fn site(pages: usize, base: String) -> Router {
    Router::new().fallback(move |req: Request| {
        let base = base.clone();
        async move {
            let path = req.uri().path();
            let cached = |ct: &'static str, body: &'static [u8]| -> Response {
                (StatusCode::OK, [(header::CONTENT_TYPE, ct), (header::CACHE_CONTROL, "max-age=86400")], body).into_response()
            };
            if path == "/" {
                return Html(page(0, pages, &base)).into_response();
            }
            if let Some(n) = path.strip_prefix("/p/").and_then(|n| n.parse::<usize>().ok()).filter(|n| *n < pages) {
                return Html(page(n, pages, &base)).into_response();
            }
            match path {
                "/style.css" => cached("text/css", b"body{font-family:sans-serif}"),
                "/app.js" => cached("application/javascript", b"void 0;"),
                "/favicon.ico" => cached("image/x-icon", b"\0\0\x01\0"),
                "/robots.txt" => cached("text/plain", b"User-agent: *\nDisallow: /\n"),
                p if p.starts_with("/img/") => cached("image/png", b"\x89PNG\r\n\x1a\n"),
                _ => (StatusCode::NOT_FOUND, Html("<!doctype html><style>h1{}</style><h1>Not found</h1>")).into_response(),
            }
        }
    })
}

#[tokio::main]
async fn main() {
    let pages = env_num("BENCH_PAGES", 1000);
    let concurrency = env_num("BENCH_CONCURRENCY", 8);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let app = site(pages, base.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // Preflight: crawl from the home page with every HTTP check.
    let mut config = preflight_engine::CheckConfig::new(&format!("{base}/")).unwrap();
    config.env = preflight_engine::EnvProfile::Dev;
    config.skip_dns = true;
    config.limits.max_pages = pages + 10;
    config.limits.concurrency = concurrency;
    config.limits.deadline = Duration::from_secs(600);
    let t = Instant::now();
    let phases = std::sync::Mutex::new(Vec::<(&'static str, Duration)>::new());
    let report = preflight_engine::run(&config, &|p| {
        let mut v = phases.lock().unwrap();
        if v.last().map(|l| l.0) != Some(p.phase) {
            v.push((p.phase, t.elapsed()));
        }
    })
    .await
    .unwrap();
    let ours = t.elapsed();
    let timeline: Vec<String> = phases.lock().unwrap().iter().map(|(p, d)| format!("{p}@{:.0}ms", d.as_secs_f64() * 1000.0)).collect();
    let our_rate = report.pages_crawled as f64 / ours.as_secs_f64();
    println!("== Crawl benchmark: {pages}-page site on 127.0.0.1, concurrency {concurrency} ==");
    println!(
        "preflight: {} pages + {} assets, {} checks, {} findings in {:.2} s → {:.0} pages/s",
        report.pages_crawled,
        report.assets_checked,
        report.checks_run.len(),
        report.findings.len(),
        ours.as_secs_f64(),
        our_rate
    );
    println!("           phases: {}", timeline.join(", "));

    // lychee: every page as an input; it fetches each and checks all links found in it.
    let lychee = std::env::var("LYCHEE").unwrap_or_else(|_| "lychee".into());
    let mut inputs: Vec<String> = vec![format!("{base}/")];
    inputs.extend((1..pages).map(|n| format!("{base}/p/{n}")));
    let t = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&lychee)
            // Same concurrency as ours, and no politeness delay (lychee waits 50 ms between
            // requests to one host by default, which would make this a test of that delay).
            .args(["--no-progress", "--max-concurrency", &concurrency.to_string(), "--host-concurrency", &concurrency.to_string()])
            .args(["--host-request-interval", "0s", "--format", "compact", "--timeout", "20", "--max-retries", "0"])
            .args(&inputs)
            .output()
    })
    .await
    .unwrap();
    let theirs = t.elapsed();
    match out {
        Ok(o) => {
            let summary = String::from_utf8_lossy(&o.stdout).lines().rev().take(8).collect::<Vec<_>>().join(" | ");
            let their_rate = pages as f64 / theirs.as_secs_f64();
            println!("lychee:    {pages} pages (their links) in {:.2} s → {:.0} pages/s (exit {:?})", theirs.as_secs_f64(), their_rate, o.status.code());
            println!("           {summary}");
            println!("ratio: preflight is {:.2}× lychee's speed while running {} checks", our_rate / their_rate, report.checks_run.len());
        }
        Err(e) => println!("lychee could not run ({e}); install it with scripts/bench-crawl.sh"),
    }
}
