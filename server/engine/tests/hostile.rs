//! Hostile targets end within their limits with a clear finding, and the engine stays
//! healthy: a redirect loop, a 10 GB endless body, a server that sends one byte every
//! 10 seconds, one that accepts and never answers, and cloud metadata addresses.

mod common;

use std::time::{Duration, Instant};

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use common::*;
use preflight_engine::CheckConfig;
use tokio::{io::AsyncWriteExt, net::TcpListener};

fn quick(url: &str) -> CheckConfig {
    let mut c = CheckConfig::new(url).unwrap();
    c.limits.request_timeout = Duration::from_secs(2);
    c.limits.deadline = Duration::from_secs(20);
    c.limits.max_body_bytes = 1024 * 1024;
    c
}

/// Generous bound: the limit plus time for the side requests of a run.
const BOUND: Duration = Duration::from_secs(15);

#[tokio::test]
async fn a_redirect_loop_is_reported() {
    let app = Router::new().fallback(|req: Request| async move {
        let to = if req.uri().path() == "/a" { "/b" } else { "/a" };
        (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
    });
    let addr = serve_http(app).await;
    let t = Instant::now();
    let report = check(&quick(&format!("http://127.0.0.1:{}/a", addr.port()))).await;
    assert!(t.elapsed() < BOUND);
    let f = report.findings.iter().find(|f| f.check == "redirect-loop").unwrap_or_else(|| panic!("{}", report.to_text(false)));
    assert!(f.evidence.contains("/a") && f.evidence.contains("/b"), "{}", f.evidence);
}

#[tokio::test]
async fn a_10_gb_endless_body_is_cut_at_the_size_limit() {
    let app = Router::new().fallback(|| async {
        let chunk = Bytes::from(vec![b'a'; 64 * 1024]);
        // 163,840 × 64 KiB = 10 GiB, never fully sent.
        let stream = futures::stream::repeat(chunk).take(163_840).map(Ok::<_, std::io::Error>);
        Response::builder().header(header::CONTENT_TYPE, "text/html").body(Body::from_stream(stream)).unwrap()
    });
    let addr = serve_http(app).await;
    let t = Instant::now();
    let report = check(&quick(&format!("http://127.0.0.1:{}/", addr.port()))).await;
    assert!(t.elapsed() < BOUND, "took {:?}", t.elapsed());
    assert!(report.findings.iter().any(|f| f.check == "response-too-large"), "{}", report.to_text(false));
}

use futures::StreamExt;

/// Sends a status line and headers, then one byte every 10 seconds.
async fn dribbling_server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                // Read the request first, as a real (slow) server would.
                let mut buf = Vec::new();
                let mut byte = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tokio::io::AsyncReadExt::read(&mut s, &mut byte).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&byte[..n]),
                    }
                }
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n").await;
                loop {
                    if s.write_all(b"x").await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_secs(10)).await;
                }
            });
        }
    });
    port
}

/// Accepts connections and never says a word.
async fn silent_server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            if let Ok((s, _)) = l.accept().await {
                held.push(s);
            }
        }
    });
    port
}

#[tokio::test]
async fn one_byte_every_10_seconds_times_out() {
    let port = dribbling_server().await;
    let t = Instant::now();
    let report = check(&quick(&format!("http://127.0.0.1:{port}/"))).await;
    assert!(t.elapsed() < BOUND, "took {:?}", t.elapsed());
    let f = report.findings.iter().find(|f| f.check == "slow-response").unwrap_or_else(|| panic!("{}", report.to_text(false)));
    assert!(f.message.contains("did not answer completely within"), "{}", f.message);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let port = silent_server().await;
    let t = Instant::now();
    let report = check(&quick(&format!("http://127.0.0.1:{port}/"))).await;
    assert!(t.elapsed() < BOUND, "took {:?}", t.elapsed());
    assert!(report.findings.iter().any(|f| f.check == "slow-response"), "{}", report.to_text(false));
    // The engine is still healthy: the next run works normally.
    let ok = serve_http(Router::new().fallback(|| async { "<!doctype html><title>fine</title><body>DEV SITE</body>" })).await;
    let mut c = quick(&format!("http://127.0.0.1:{}/", ok.port()));
    c.env = preflight_engine::EnvProfile::Dev;
    let again = check(&c).await;
    assert_eq!(again.pages_crawled, 1);
    assert!(!again.findings.iter().any(|f| f.check == "slow-response" || f.check == "unreachable"));
}

#[tokio::test]
async fn the_total_deadline_stops_a_slow_crawl_and_says_so() {
    // Every page links to five more; each answers after 300 ms.
    let app = Router::new().fallback(|req: Request| async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let n: u64 = req.uri().path().trim_start_matches("/p").parse().unwrap_or(0);
        let links: String = (1..=5).map(|i| format!("<a href=\"/p{}\">next</a>", n * 5 + i)).collect();
        axum::response::Html(format!("<!doctype html><title>p{n}</title><body>DEV SITE {links}</body>"))
    });
    let addr = serve_http(app).await;
    let mut c = quick(&format!("http://127.0.0.1:{}/p0", addr.port()));
    c.env = preflight_engine::EnvProfile::Dev;
    c.limits.deadline = Duration::from_secs(2);
    c.limits.concurrency = 2;
    let t = Instant::now();
    let report = check(&c).await;
    assert!(t.elapsed() < Duration::from_secs(8), "took {:?}", t.elapsed());
    let f = report.findings.iter().find(|f| f.check == "crawl-incomplete").unwrap_or_else(|| panic!("{}", report.to_text(false)));
    assert!(f.evidence.contains("deadline"), "{}", f.evidence);
    // What the checks saw is qualified: they looked at part of the site.
    let title = report.check("title-missing").unwrap();
    assert!(title.reason.starts_with("partly: the") && title.reason.contains("deadline"), "{title:?}");
}

#[tokio::test]
async fn a_deadline_before_the_first_page_skips_the_page_checks() {
    let app = Router::new().fallback(|| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        axum::response::Html("<!doctype html><title>late</title>")
    });
    let addr = serve_http(app).await;
    let mut c = quick(&format!("http://127.0.0.1:{}/", addr.port()));
    c.limits.deadline = Duration::from_millis(800);
    c.limits.request_timeout = Duration::from_millis(600);
    let report = check(&c).await;
    assert!(!report.reachable, "the start page timed out");
    let slow = report.check("slow-response").unwrap();
    assert_eq!(slow.status, preflight_engine::CheckStatus::Failed);
    let title = report.check("title-missing").unwrap();
    assert_eq!(title.status, preflight_engine::CheckStatus::Skipped);
    assert!(title.reason.starts_with("site unreachable"), "{title:?}");
}

#[tokio::test]
async fn the_page_limit_is_respected() {
    let app = Router::new().fallback(|req: Request| async move {
        let n: u64 = req.uri().path().trim_start_matches("/p").parse().unwrap_or(0);
        axum::response::Html(format!(
            "<!doctype html><title>p{n}</title><body>DEV SITE <a href=\"/p{}\">a</a><a href=\"/p{}\">b</a></body>",
            n * 2 + 1,
            n * 2 + 2
        ))
    });
    let addr = serve_http(app).await;
    let mut c = quick(&format!("http://127.0.0.1:{}/p0", addr.port()));
    c.env = preflight_engine::EnvProfile::Dev;
    c.limits.max_pages = 7;
    let report = check(&c).await;
    assert_eq!(report.pages_crawled, 7);
    assert!(report.findings.iter().any(|f| f.check == "crawl-incomplete" && f.evidence.contains("page limit")));
}

#[tokio::test]
async fn cloud_metadata_addresses_are_refused_unless_allowed() {
    let t = Instant::now();
    let report = check(&quick("http://169.254.169.254/latest/meta-data/")).await;
    assert!(t.elapsed() < Duration::from_secs(1), "refused without connecting");
    let f = report.findings.iter().find(|f| f.check == "unreachable").unwrap();
    assert!(f.evidence.contains("metadata"), "{}", f.evidence);
    // A --resolve to a metadata address is refused before the run.
    let mut c = quick("http://www.example.test/");
    c.resolve.push("www.example.test:80:169.254.169.254".parse().unwrap());
    let err = preflight_engine::run(&c, &|_| {}).await.unwrap_err();
    assert!(err.to_string().contains("metadata"), "{err}");
}
