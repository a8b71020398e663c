//! The checks of what a site gives away and how it answers strangers: sensitive files,
//! directory listings, unknown URLs per section, made-up Host headers, publicly cached
//! session pages, error tracking, social tags and IE's document mode — each on a fixture
//! site on 127.0.0.1 that triggers it and one that must stay clean.

mod common;

use axum::{
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use common::*;
use preflight_engine::{CheckConfig, CheckStatus, EnvProfile, Report};

fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><title>{title}</title><link rel="stylesheet" href="/static/css/site.css"></head><body>{body}</body></html>"#
    )
}

fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn text(ct: &'static str, body: &'static [u8]) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, ct)], body.to_vec()).into_response()
}

/// A careless production site: its repository, settings, dumps and consoles are all public,
/// its blog raises on unknown slugs, it trusts any Host, and its shared cache keeps session pages.
fn leaky_site() -> Router {
    Router::new().fallback(|req: Request| async move {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
        let path = req.uri().path().to_string();
        match path.as_str() {
            "/" => {
                let body = format!(r#"<h1>Leaky shop</h1><a href="/blog/first-post">Blog</a> <a href="/shop/basket">Basket</a> <a href="http://{host}/about">About</a>"#);
                html(StatusCode::OK, page("Leaky shop", &body))
            }
            "/about" => html(StatusCode::OK, page("About", "<p>About us</p>")),
            "/blog/first-post" => html(StatusCode::OK, page("First post", "<p>Hello</p>")),
            p if p.starts_with("/blog/") => (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response(),
            "/shop/basket" => {
                let mut r = html(
                    StatusCode::OK,
                    page("Basket", r#"<form method="post" action="/shop/basket"><input type="hidden" name="csrfmiddlewaretoken" value="tok"><button>Pay</button></form><a href="/logout">Log out</a>"#),
                );
                let h = r.headers_mut();
                h.insert(header::SET_COOKIE, HeaderValue::from_static("sessionid=abc; Path=/; HttpOnly; Secure"));
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=600"));
                h.insert("age", HeaderValue::from_static("42"));
                r
            }
            "/static/css/site.css" => text("text/css", b"body{margin:0}"),
            "/static/css/" => html(StatusCode::OK, "<html><head><title>Index of /static/css/</title></head><body><h1>Index of /static/css/</h1><pre><a href=\"site.css\">site.css</a></pre></body></html>".into()),
            "/.git/HEAD" => text("text/plain", b"ref: refs/heads/main\n"),
            "/.git/config" => text("text/plain", b"[core]\n\trepositoryformatversion = 0\n"),
            "/.env" => text("text/plain", b"DEBUG=False\nDATABASE_URL=postgres://shop:secret@db/shop\nSECRET_KEY=abc\n"),
            "/.DS_Store" => text("application/octet-stream", b"\0\0\0\x01Bud1\0\0\x10\0"),
            "/backup.sql" => text("application/sql", b"-- MySQL dump 10.13\nCREATE TABLE `users` (id int);\n"),
            "/db.sqlite3" => text("application/octet-stream", b"SQLite format 3\0\x10\0"),
            "/info.php" => html(StatusCode::OK, "<html><head><title>PHP 8.2.36 - phpinfo()</title></head><body></body></html>".into()),
            "/actuator/env" => text("application/json", br#"{"activeProfiles":["prod"],"propertySources":[]}"#),
            _ => html(StatusCode::NOT_FOUND, page("Not found", "<h1>We could not find that page</h1>")),
        }
    })
}

/// A site that answers every URL with its home page (200): a soft-404 site, but none of its
/// answers is a sensitive file.
fn catch_all_site() -> Router {
    Router::new().fallback(|| async { html(StatusCode::OK, page("Catch-all", r#"<h1>Welcome</h1><a href="/blog/one">Blog</a>"#)) })
}

async fn run(addr: std::net::SocketAddr, env: EnvProfile, old_ie: bool) -> Report {
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    config.env = env;
    config.skip_dns = true;
    config.old_ie = old_ie;
    check(&config).await
}

fn evidence_of<'a>(report: &'a Report, check: &str) -> Vec<&'a str> {
    report.findings.iter().filter(|f| f.check == check).map(|f| f.url.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaky_site_gives_itself_away_and_each_leak_is_named() {
    let addr = serve_http(leaky_site()).await;
    let report = run(addr, EnvProfile::Production, true).await;
    let text = report.to_text(false);
    let exposed = evidence_of(&report, "sensitive-file-exposed");
    for path in ["/.git/HEAD", "/.git/config", "/.env", "/.DS_Store", "/backup.sql", "/db.sqlite3", "/info.php", "/actuator/env", "/static/css/"] {
        assert!(exposed.iter().any(|u| u.ends_with(path)), "{path} not reported:\n{text}");
    }
    // Answers that are not the thing itself (the 404 page for /dump.sql, /telescope…) are not reported.
    assert_eq!(exposed.len(), 9, "{text}");
    let env_finding = report.findings.iter().find(|f| f.url.ends_with("/.env")).unwrap();
    assert!(env_finding.message.contains("database passwords"), "{env_finding:?}");

    // The unknown slug under /blog/ raises: found by the section probe, deterministic per site.
    let errors = evidence_of(&report, "server-error");
    let probe = errors.iter().find(|u| u.contains("/blog/preflight-")).unwrap_or_else(|| panic!("{text}"));
    let again = run(addr, EnvProfile::Production, true).await;
    assert!(evidence_of(&again, "server-error").contains(probe), "the section probe is the same URL every run");
    assert!(evidence_of(&report, "error-page-default").iter().any(|u| u.contains("/blog/preflight-")), "{text}");

    // The made-up Host comes back in the page's links.
    let host = report.findings.iter().find(|f| f.check == "host-header-accepted").unwrap_or_else(|| panic!("{text}"));
    assert_eq!(host.severity, preflight_engine::Severity::Error);
    assert!(host.evidence.contains("preflight-host-check.invalid"), "{host:?}");

    // The basket sets a session cookie and is kept by a shared cache.
    let cached = report.findings.iter().find(|f| f.check == "session-page-publicly-cached").unwrap_or_else(|| panic!("{text}"));
    assert!(cached.url.ends_with("/shop/basket") && cached.message.contains("sessionid"), "{cached:?}");
    assert!(cached.evidence.contains("Age: 42"), "{cached:?}");

    for id in ["error-tracking-missing", "social-tags-missing", "old-ie-document-mode"] {
        assert!(report.findings.iter().any(|f| f.check == id), "{id} missing:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_that_answers_everything_is_a_soft_404_but_leaks_nothing() {
    let addr = serve_http(catch_all_site()).await;
    let report = run(addr, EnvProfile::Production, false).await;
    let text = report.to_text(false);
    assert!(evidence_of(&report, "sensitive-file-exposed").is_empty(), "{text}");
    let soft = evidence_of(&report, "soft-404");
    assert!(soft.iter().any(|u| u.contains("/blog/preflight-")), "the unknown blog slug answers 200: {text}");
    // Not targeting old IE: the document-mode check does not apply.
    let outcome = report.checks.iter().find(|c| c.id == "old-ie-document-mode").unwrap();
    assert_eq!(outcome.status, CheckStatus::NotApplicable, "{outcome:?}");
    // It answers the made-up Host with its home page.
    let host = report.findings.iter().find(|f| f.check == "host-header-accepted").unwrap_or_else(|| panic!("{text}"));
    assert_eq!(host.severity, preflight_engine::Severity::Warning);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_header_redirects_count_and_refusals_pass() {
    // Redirects built from the Host header.
    let redirecting = Router::new().fallback(|req: Request| async move {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
        if host.starts_with("127.0.0.1") {
            html(StatusCode::OK, page("Home", "<h1>Home</h1>"))
        } else {
            (StatusCode::FOUND, [(header::LOCATION, format!("http://{host}/login"))]).into_response()
        }
    });
    let addr = serve_http(redirecting).await;
    let report = run(addr, EnvProfile::Production, false).await;
    let f = report.findings.iter().find(|f| f.check == "host-header-accepted").unwrap_or_else(|| panic!("{}", report.to_text(false)));
    assert!(f.evidence.contains("Location: http://preflight-host-check.invalid/login"), "{f:?}");

    // Refusing unknown hosts passes; on dev the check does not apply.
    let strict = Router::new().fallback(|req: Request| async move {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
        if host.starts_with("127.0.0.1") {
            html(StatusCode::OK, page("Home", "<h1>Home</h1>"))
        } else {
            (StatusCode::MISDIRECTED_REQUEST, "unknown host").into_response()
        }
    });
    let addr = serve_http(strict).await;
    let report = run(addr, EnvProfile::Production, false).await;
    let outcome = report.checks.iter().find(|c| c.id == "host-header-accepted").unwrap();
    assert_eq!(outcome.status, CheckStatus::Passed, "{}", report.to_text(false));
    let dev = run(addr, EnvProfile::Dev, false).await;
    assert_eq!(dev.checks.iter().find(|c| c.id == "host-header-accepted").unwrap().status, CheckStatus::NotApplicable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_session_pages_error_trackers_and_social_tags_pass() {
    let careful = Router::new().fallback(|req: Request| async move {
        match req.uri().path() {
            "/" => {
                let body = r#"<h1>Shop</h1><a href="/account/orders">Orders</a>"#;
                let head = r#"<meta property="og:title" content="Shop"><meta property="og:image" content="/og.png"><script src="/static/js/app.js"></script>"#;
                let mut r = html(StatusCode::OK, page("Shop", body).replace("</head>", &format!("{head}</head>")));
                r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
                r.headers_mut().insert("x-ua-compatible", HeaderValue::from_static("IE=edge"));
                r
            }
            "/account/orders" => {
                let mut r = html(StatusCode::OK, page("Orders", r#"<a href="/logout">Log out</a>"#));
                r.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static("sessionid=abc; Path=/; HttpOnly; Secure"));
                r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=0"));
                r.headers_mut().insert("x-ua-compatible", HeaderValue::from_static("IE=edge"));
                r
            }
            // A bundled @sentry/browser leaves its SDK name in the bundle.
            "/static/js/app.js" => text("application/javascript", b"var e={name:\"sentry.javascript.browser\",version:\"10.0.0\"};"),
            "/static/css/site.css" => text("text/css", b"body{margin:0}"),
            _ => html(StatusCode::NOT_FOUND, page("Not found", "<h1>Not here</h1>")),
        }
    });
    let addr = serve_http(careful).await;
    let report = run(addr, EnvProfile::Production, true).await;
    for id in ["session-page-publicly-cached", "error-tracking-missing", "social-tags-missing", "old-ie-document-mode", "sensitive-file-exposed"] {
        let outcome = report.checks.iter().find(|c| c.id == id).unwrap();
        assert_eq!(outcome.status, CheckStatus::Passed, "{id}: {}", report.to_text(false));
    }
}

/// A web app behind a login: every page sends visitors to a sign-in form that has no token
/// field, and the server checks where POSTs come from (403 for a cross-site one), like
/// Preflight itself. The public-site checks do not apply; the form is protected.
fn app_behind_login(checks_origin: bool) -> Router {
    Router::new().fallback(move |req: Request| async move {
        let path = req.uri().path().to_string();
        let cross_site = req.headers().get("sec-fetch-site").is_some_and(|v| v == "cross-site");
        match (req.method().as_str(), path.as_str()) {
            ("GET", "/login") => html(
                StatusCode::OK,
                page("Sign in", r#"<form method="post" action="/auth/login"><input name="email" type="email"><input name="password" type="password"><button>Sign in</button></form>"#),
            ),
            ("GET", "/robots.txt") => text("text/plain", b"User-agent: *\nDisallow: /\n"),
            ("GET", "/static/css/site.css") => text("text/css", b"body{margin:0}"),
            ("POST", "/auth/login") if checks_origin && cross_site => (StatusCode::FORBIDDEN, "cross-site request refused").into_response(),
            ("POST", "/auth/login") => (StatusCode::SEE_OTHER, [(header::LOCATION, "/login?error=1")]).into_response(),
            _ => (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/login?next={path}"))]).into_response(),
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_behind_a_login_is_not_judged_as_a_public_site() {
    let addr = serve_http(app_behind_login(true)).await;
    let report = run(addr, EnvProfile::Production, false).await;
    let text = report.to_text(false);
    for id in ["robots-disallows-all", "analytics-missing", "sitemap-missing", "meta-description-missing", "social-tags-missing", "soft-404"] {
        let outcome = report.checks.iter().find(|c| c.id == id).unwrap();
        assert_eq!(outcome.status, CheckStatus::NotApplicable, "{id}: {text}");
        assert!(!report.findings.iter().any(|f| f.check == id), "{id}: {text}");
    }
    // No token field, but the server refuses a cross-site POST: protected.
    assert!(!report.findings.iter().any(|f| f.check == "form-missing-csrf"), "{text}");
    // `/` redirects to the sign-in page the crawl also read: one page, not duplicate content.
    assert!(!report.findings.iter().any(|f| f.check == "duplicate-content" || f.check == "title-duplicate"), "{text}");

    // The same form on a server that takes cross-site POSTs is unprotected.
    let addr = serve_http(app_behind_login(false)).await;
    let report = run(addr, EnvProfile::Production, false).await;
    assert!(report.findings.iter().any(|f| f.check == "form-missing-csrf"), "{}", report.to_text(false));
}
