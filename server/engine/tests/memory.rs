//! Huge pages and assets are read once for what the checks need and then trimmed: what lies at
//! the end of a 5 MB page is still judged, and the crawl keeps 64 KB of each page (the start of
//! an image that loaded, 256 KB of text) instead of every body until the run ends.
//!
//! Issue 11's bound: a crawl of 250 pages and 600 assets of 5 MB each stays under 400 MB of
//! resident memory, measured under the allocator settings `preflight` itself runs with
//! (`MALLOC_MMAP_THRESHOLD_=1048576`, see `server/src/main.rs`): the test runs itself again in a
//! child process with it, alone, so the peak it reads is this crawl's.
//! Measured: 3,030 MB before issue 11, ~160 MB now (glibc's defaults: ~500 MB).

mod common;

use axum::{
    body::{Body, Bytes},
    extract::Path,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use common::*;
use preflight_engine::{CheckConfig, EnvProfile};

const BIG: usize = 5 * 1024 * 1024 - 4096;
const PAGES: usize = 250;
const ASSETS: usize = 600;

/// Peak resident memory of this process so far (VmHWM), in MB.
fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap();
    kb / 1024
}

fn huge_site(filler: Bytes) -> Router {
    let page_filler = filler.clone();
    Router::new()
        .route(
            "/",
            get(|| async {
                let links: String = (0..PAGES).map(|i| format!("<a href=\"/p/{i}\">{i}</a> ")).collect();
                axum::response::Html(format!("<!doctype html><html><head><title>Huge</title></head><body>{links}</body></html>"))
            }),
        )
        .route(
            "/p/{i}",
            get(move |Path(i): Path<usize>| {
                let filler = page_filler.clone();
                async move {
                    let mut assets = format!("<img src=\"/a/{}\"><img src=\"/a/{}\">", 2 * i, 2 * i + 1);
                    if i < ASSETS - 2 * PAGES {
                        assets.push_str(&format!("<img src=\"/a/{}\">", 2 * PAGES + i));
                    }
                    let head = format!("<!doctype html><html><head><title>Page {i}</title></head><body>{assets}<pre>");
                    let tail = if i == PAGES - 1 { "\nsk_live_0123456789abcdef at the very end</pre></body></html>" } else { "</pre></body></html>" };
                    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from(head)), Ok(filler), Ok(Bytes::from(tail))];
                    Response::builder().header(header::CONTENT_TYPE, "text/html; charset=utf-8").body(Body::from_stream(futures::stream::iter(chunks))).unwrap()
                }
            }),
        )
        .route(
            "/a/{i}",
            get(move || {
                let filler = filler.clone();
                async move { ([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "public, max-age=86400")], filler).into_response() }
            }),
        )
}

/// The allocator settings `preflight` runs with.
const ALLOCATOR: [(&str, &str); 1] = [("MALLOC_MMAP_THRESHOLD_", "1048576")];
const LIMIT_MB: u64 = 400;

#[test]
fn a_crawl_of_huge_pages_and_assets_stays_in_bounded_memory() {
    if std::env::var_os("PREFLIGHT_MEMORY_CHILD").is_some() {
        let peak = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(crawl_huge_site());
        assert!(peak < LIMIT_MB, "peak RSS {peak} MB, over the {LIMIT_MB} MB bound");
        return;
    }
    // glibc reads its settings at process start: the crawl runs in a fresh process of this test.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_crawl_of_huge_pages_and_assets_stays_in_bounded_memory", "--nocapture", "--test-threads=1"])
        .envs(ALLOCATOR)
        .env("PREFLIGHT_MEMORY_CHILD", "1")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    eprintln!("{log}");
    assert!(out.status.success(), "{}\n{log}", String::from_utf8_lossy(&out.stdout));
    assert!(log.contains("peak RSS"), "the child did not measure: {log}");
}

/// Crawls the huge site; the peak resident memory of the process, in MB.
async fn crawl_huge_site() -> u64 {
    let filler = Bytes::from(vec![b'x'; BIG]);
    let addr = serve_http(huge_site(filler)).await;
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    config.env = EnvProfile::Dev;
    config.skip_dns = true;
    config.limits.max_pages = PAGES + 10;
    let t = std::time::Instant::now();
    let report = check(&config).await;
    let peak = peak_rss_mb();
    eprintln!("{} pages, {} assets in {:.1} s, peak RSS {peak} MB", report.pages_crawled, report.assets_checked, t.elapsed().as_secs_f64());
    assert_eq!(report.pages_crawled, PAGES + 1, "{}", report.to_text(false));
    assert_eq!(report.assets_checked, ASSETS);
    // Trimmed bodies are still judged whole: the live key at the end of the last page is found.
    assert!(report.findings.iter().any(|f| f.check == "live-credentials-on-dev" && f.url.ends_with(&format!("/p/{}", PAGES - 1))), "{}", report.to_text(false));
    peak
}
