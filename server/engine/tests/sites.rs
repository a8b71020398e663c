//! Every HTTP check against fixture sites served on 127.0.0.1: a good production site
//! (over HTTPS with a test CA) that must produce no findings, and bad sites whose every
//! defect must be found.

mod common;

use std::io::Write;

use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use common::*;
use preflight_engine::{CheckConfig, CheckStatus, EnvProfile, ResolveOverride, Severity};

/// A check's status and reason in a report.
fn status(report: &preflight_engine::Report, id: &str) -> (CheckStatus, String) {
    let c = report.check(id).unwrap_or_else(|| panic!("{id} has no outcome"));
    (c.status, c.reason.clone())
}

fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn cached(ct: &'static str, body: Vec<u8>) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, ct), (header::CACHE_CONTROL, "public, max-age=31536000")], body).into_response()
}

fn good_page(base: &str, path: &str, title: &str, desc: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="description" content="{desc}"><link rel="canonical" href="{base}{path}">
<link rel="stylesheet" href="/style.css"><link rel="icon" href="/favicon.ico">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta property="og:title" content="{title}"><meta property="og:image" content="{base}/logo.png">
<script src="https://js.sentry-cdn.com/0123456789abcdef0123456789abcdef.min.js" crossorigin="anonymous"></script>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-TEST"></script>
<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments)}}gtag('config','G-TEST');</script>
<script src="/app.js"></script></head>
<body><header><img src="/logo.png" alt="Good Co"></header><nav><a href="/">Home</a> <a href="/about">About us</a></nav>
<main><h1>{title}</h1><p>{desc}. We ship garden tools across the country.</p>
<form method="post" action="/contact"><input type="hidden" name="csrfmiddlewaretoken" value="abc">
<input name="email" type="email"><textarea name="message"></textarea><button>Send</button></form></main>
<footer>Write to <a href="mailto:info@good.test">info@good.test</a> or call <a href="tel:+15550100123">+1 555 010 0123</a>.
Good Co, 1 Garden Road, Springfield</footer></body></html>"#
    )
}

/// A production site doing everything right, on https://www.good.test:PORT.
fn good_site(port_cell: std::sync::Arc<std::sync::OnceLock<u16>>) -> Router {
    Router::new().fallback(move |req: Request| {
        let port = *port_cell.get().unwrap();
        async move {
            let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
            let base = format!("https://www.good.test:{port}");
            let path = req.uri().path().to_string();
            let mut res = if !host.starts_with("good.test") && !host.starts_with("www.good.test") {
                // Like Django's ALLOWED_HOSTS: not one of the site's names.
                (StatusCode::BAD_REQUEST, "Bad Request (400)").into_response()
            } else if host.starts_with("good.test") {
                (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, format!("{base}{path}"))]).into_response()
            } else {
                match path.as_str() {
                    "/" => {
                        let mut r = html(StatusCode::OK, good_page(&base, "/", "Good Co garden tools", "Garden tools that last"));
                        r.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static("sessionid=abc; Path=/; Secure; HttpOnly; SameSite=Lax"));
                        r
                    }
                    "/about" => html(StatusCode::OK, good_page(&base, "/about", "About Good Co", "Who makes Good Co tools")),
                    "/contact" => html(StatusCode::OK, good_page(&base, "/contact", "Contact Good Co", "How to reach Good Co")),
                    "/old-catalogue" => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/about")]).into_response(),
                    "/style.css" => cached("text/css", b"body{font-family:sans-serif}".to_vec()),
                    "/app.js" => cached("application/javascript", b"console.log('ok');".to_vec()),
                    "/logo.png" => cached("image/png", vec![0x89, b'P', b'N', b'G', 0, 0, 0, 0]),
                    "/favicon.ico" => cached("image/x-icon", vec![0, 0, 1, 0, 1, 0]),
                    "/robots.txt" => (StatusCode::OK, format!("User-agent: *\nDisallow: /admin/\nSitemap: {base}/sitemap.xml\n")).into_response(),
                    "/sitemap.xml" => (
                        StatusCode::OK,
                        [(header::CONTENT_TYPE, "application/xml")],
                        format!("<?xml version=\"1.0\"?><urlset><url><loc>{base}/</loc></url><url><loc>{base}/contact</loc></url></urlset>"),
                    )
                        .into_response(),
                    _ => html(StatusCode::NOT_FOUND, "<!doctype html><html><head><title>Not found</title><link rel=\"stylesheet\" href=\"/style.css\"></head><body><h1>We could not find that page</h1><a href=\"/\">Home</a></body></html>".into()),
                }
            };
            let h = res.headers_mut();
            h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
            h.insert("x-frame-options", HeaderValue::from_static("DENY"));
            h.insert("referrer-policy", HeaderValue::from_static("strict-origin-when-cross-origin"));
            h.insert("strict-transport-security", HeaderValue::from_static("max-age=31536000; includeSubDomains"));
            res
        }
    })
}

#[tokio::test]
async fn a_good_production_site_has_no_findings() {
    let pki = pki(&["www.good.test", "good.test"]);
    let cell = std::sync::Arc::new(std::sync::OnceLock::new());
    let addr = serve_https(good_site(cell.clone()), &pki).await;
    cell.set(addr.port()).unwrap();
    let mut config = CheckConfig::new(&format!("https://good.test:{}/", addr.port())).unwrap();
    config.env = EnvProfile::Production;
    config.extra_ca_pem = vec![pki.ca_pem.clone()];
    for host in ["www.good.test", "good.test"] {
        config.resolve.push(ResolveOverride { host: host.into(), port: addr.port(), addr: addr.ip() });
    }
    config.expected_contacts = vec!["info@good.test".into(), "+1 (555) 010-0123".into(), "1 Garden Road".into()];
    config.old_urls = vec!["/old-catalogue".into()];
    config.old_ie = true;
    let report = check(&config).await;
    assert_eq!(report.final_url, format!("https://www.good.test:{}/", addr.port()));
    assert!(report.pages_crawled >= 3, "crawled {}", report.pages_crawled);
    assert!(report.findings.is_empty(), "a good site must be clean, got:\n{}", report.to_text(false));
    // Every HTTP, TLS and DNS check really looked (DNS: reserved names without a
    // nameserver are not looked up); only the browser checks were not part of the run.
    for c in &report.checks {
        let category = preflight_engine::find_check(&c.id).unwrap().category;
        match category {
            preflight_engine::Category::Browser => {
                assert_eq!(c.status, CheckStatus::Skipped, "{c:?}")
            }
            preflight_engine::Category::Dns => {
                assert_eq!(c.status, CheckStatus::NotApplicable, "{c:?}")
            }
            // This fixture has no plain-http port: the redirect could not be looked at (the
            // http→https fixture test covers it), and saying "passed" would be a lie.
            _ if c.id == "https-redirect-missing" => {
                assert_eq!(c.status, CheckStatus::Skipped);
                assert!(c.reason.starts_with("plain http did not answer"), "{c:?}");
            }
            _ if ["robots-allows-indexing-on-dev", "dev-banner-missing", "dev-publicly-accessible"].contains(&c.id.as_str()) => {
                assert_eq!((c.status, c.reason.as_str()), (CheckStatus::NotApplicable, "dev/staging-only check on a production run"))
            }
            _ => assert_eq!(c.status, CheckStatus::Passed, "{c:?}"),
        }
    }
    assert_eq!(report.checks.len(), preflight_engine::CATALOGUE.len());
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let first = &json["checks"][0];
    assert!(first["id"].is_string() && first["status"].is_string() && first["reason"].is_string(), "{first}");
}

#[tokio::test]
async fn an_unreachable_site_is_one_clear_error_not_a_list_of_passes() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{port}/")).unwrap();
    config.env = EnvProfile::Dev;
    let report = check(&config).await;
    assert!(!report.reachable);
    assert_eq!(ids(&report), vec!["unreachable"], "{}", report.to_text(false));
    assert_eq!(report.checks_run, vec!["unreachable"], "only the check that met the problem looked");
    for c in report.checks.iter().filter(|c| c.id != "unreachable") {
        assert_ne!(c.status, CheckStatus::Passed, "{c:?}");
    }
    let (st, why) = status(&report, "console-error");
    assert_eq!(st, CheckStatus::Skipped);
    let (st, why_http) = status(&report, "broken-link");
    assert_eq!(st, CheckStatus::Skipped);
    assert!(why_http.starts_with("site unreachable"), "{why_http}");
    // In words a person can act on, not the HTTP library's layers.
    assert!(why_http.contains("connection refused (nothing answers on that port)") && !why_http.contains("client error"), "{why_http}");
    assert!(!why.is_empty());
    assert_eq!(status(&report, "tls-certificate-invalid"), (CheckStatus::Skipped, "site unreachable".into()));
    assert_eq!(status(&report, "old-url-broken"), (CheckStatus::NotApplicable, "no old URLs configured".into()));
    let text = report.to_text(false);
    assert!(text.contains("checks: 0 passed, 1 failed"), "{text}");
}

#[tokio::test]
async fn checks_that_do_not_apply_say_why() {
    // The careless dev site: one page on an IP address over plain http, nothing configured.
    let addr = serve_http(careless_dev_site()).await;
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    config.env = EnvProfile::Dev;
    let report = check(&config).await;
    let na = |id: &str, reason: &str| assert_eq!(status(&report, id), (CheckStatus::NotApplicable, reason.to_string()), "{id}");
    na("analytics-missing", "production-only check on a dev run");
    na("sitemap-missing", "production-only check on a dev run");
    na("https-redirect-missing", "a plain-http dev site (https is required on production)");
    na("hsts-missing", "the site is served over plain http");
    na("mixed-content", "the site is served over plain http");
    na("old-url-broken", "no old URLs configured");
    na("contact-missing", "no expected contacts");
    na("contact-unexpected", "no expected contacts");
    na("form-missing-csrf", "no POST forms on the crawled pages");
    na("canonical-tag-mismatch", "no page has a canonical tag");
    na("title-duplicate", "only one page was crawled: nothing to compare");
    na("canonical-host", "the site is addressed by IP address, localhost or a single-label name: no www/apex variants");
    assert_eq!(status(&report, "tls-name-mismatch").0, CheckStatus::NotApplicable);
    assert_eq!(status(&report, "dns-mx-missing").0, CheckStatus::NotApplicable);
    // What it could judge, it judged.
    assert_eq!(status(&report, "dev-banner-missing").0, CheckStatus::Failed);
    assert_eq!(status(&report, "broken-link").0, CheckStatus::Passed);
    assert_eq!(status(&report, "error-page-default").0, CheckStatus::Failed);
    // Contacts without e-mail or phone: only presence can be checked.
    config.expected_contacts = vec!["1 Garden Road".into()];
    let report = check(&config).await;
    assert_eq!(status(&report, "contact-missing").0, CheckStatus::Failed);
    assert_eq!(status(&report, "contact-unexpected").1, "no expected e-mail address or phone number to compare with");
}

#[tokio::test]
async fn a_site_that_answers_no_html_skips_the_page_checks() {
    let app = Router::new().fallback(|req: Request| async move {
        match req.uri().path() {
            "/" => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "{\"ok\":true}").into_response(),
            _ => (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "application/json")], "{}").into_response(),
        }
    });
    let addr = serve_http(app).await;
    let report = check(&CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap()).await;
    let (st, why) = status(&report, "title-missing");
    assert_eq!(st, CheckStatus::Skipped);
    assert!(why.contains("no HTML page could be read") && why.contains("application/json"), "{why}");
    assert_eq!(status(&report, "broken-asset").0, CheckStatus::Skipped);
    assert_eq!(status(&report, "broken-link"), (CheckStatus::Skipped, "no HTML page was read, so no links were followed".into()));
    assert_eq!(status(&report, "server-error").0, CheckStatus::Passed, "the answers themselves were judged");
    // A missing page that answers 5xx leaves no 404 page to judge — but its 503 page is a
    // server-error page visitors meet, and that is judged: bare, so a finding.
    let app = Router::new().fallback(|req: Request| async move {
        match req.uri().path() {
            "/" => html(StatusCode::OK, "<!doctype html><title>x</title><p>x</p>".into()),
            _ => html(StatusCode::SERVICE_UNAVAILABLE, "<p>down</p>".into()),
        }
    });
    let addr = serve_http(app).await;
    let report = check(&CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap()).await;
    let (st, why) = status(&report, "soft-404");
    assert_eq!(st, CheckStatus::Skipped);
    assert!(why.contains("503"), "{why}");
    assert_eq!(status(&report, "error-page-default").0, CheckStatus::Failed);
    let f = report.findings.iter().find(|f| f.check == "error-page-default").unwrap();
    assert!(f.message.contains("The 503 page has no styling"), "{f:?}");
}

/// Every 5xx page the crawl meets is judged like the 404 page: nginx's default 502 page on a
/// linked page is a finding, while a styled 404 page is fine.
#[tokio::test]
async fn server_error_pages_met_by_the_crawl_are_judged() {
    let app = Router::new().fallback(|req: Request| async move {
        let styled = |code: StatusCode, body: &str| html(code, format!("<!doctype html><html><head><title>{body}</title><link rel=stylesheet href=/s.css></head><body><h1>{body}</h1><a href=/>Home</a></body></html>"));
        match req.uri().path() {
            "/" => styled(StatusCode::OK, "Home <a href=/shop>Shop</a>"),
            "/s.css" => (StatusCode::OK, [(header::CONTENT_TYPE, "text/css")], "h1{}").into_response(),
            "/shop" => html(
                StatusCode::BAD_GATEWAY,
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>".into(),
            ),
            _ => styled(StatusCode::NOT_FOUND, "Not found"),
        }
    });
    let addr = serve_http(app).await;
    let report = check(&CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap()).await;
    let found: Vec<&preflight_engine::Finding> = report.findings.iter().filter(|f| f.check == "error-page-default").collect();
    assert_eq!(found.len(), 1, "{}", report.to_text(false));
    assert!(found[0].url.ends_with("/shop") && found[0].message.contains("502 page is nginx's default page"), "{:?}", found[0]);
}

#[tokio::test]
async fn two_runs_of_an_unchanged_site_find_the_same_things() {
    let addr = serve_http(bad_site()).await;
    let config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    let key = |r: &preflight_engine::Report| {
        let mut k: Vec<(String, String)> = r.findings.iter().map(|f| (f.check.clone(), preflight_engine::finding::identity(&f.url).into_owned())).collect();
        k.sort();
        k
    };
    let (a, b) = (check(&config).await, check(&config).await);
    let soft = |r: &preflight_engine::Report| r.findings.iter().find(|f| f.check == "soft-404").map(|f| f.url.clone()).unwrap();
    assert_ne!(soft(&a), soft(&b), "the missing-page probe is random per run");
    assert_eq!(key(&a), key(&b));
}

fn bad_page(title: &str, body: &str) -> String {
    format!("<!doctype html><html><head><title>{title}</title><script src=\"/big.js\"></script></head><body>{body}</body></html>")
}

/// A production site with one of nearly every defect, on plain http.
fn bad_site() -> Router {
    let shared = "<h1>Welcome</h1><p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\
        <p>Contact wrong@other.test or call 555-010-9999.</p>\
        <a href=\"/about\">About</a> <a href=\"/missing\">Missing</a> <a href=\"/crash\">Crash</a> <a href=\"/about-copy\">Copy</a>\
        <a href=\"http://example.com/foo\">Example</a> <a href=\"http://localhost:8000/admin\">Local admin</a>\
        <img src=\"/nope.png\"><form method=\"post\" action=\"/login\"><input name=\"user\"><input type=\"password\" name=\"pw\"></form>\
        <script>var stripe = Stripe('pk_test_51HabcdefGHIJKLMNOP');</script>";
    let shared = shared.to_string();
    Router::new().fallback(move |req: Request| {
        let shared = shared.clone();
        async move {
            match req.uri().path() {
                "/" => {
                    let mut r = html(StatusCode::OK, bad_page("Home", &shared));
                    r.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static("sessionid=abc; Path=/"));
                    r
                }
                "/about" | "/about-copy" => html(StatusCode::OK, bad_page("Home", "<p>About the company. We are a company.</p><a href=\"/\">Home</a>")),
                "/crash" => html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<html><head><title>ZeroDivisionError at /crash</title></head><body><div id=\"summary\"><h1>ZeroDivisionError at /crash</h1></div>\
                     <div id=\"explanation\"><p>You're seeing this error because you have <code>DEBUG = True</code> in your Django settings file.</p></div></body></html>"
                        .into(),
                ),
                "/big.js" => (StatusCode::OK, [(header::CONTENT_TYPE, "application/javascript")], format!("/* app */ {}", "var x = 1;\n".repeat(300))).into_response(),
                "/robots.txt" => (StatusCode::OK, "User-agent: *\nDisallow: /\n").into_response(),
                "/missing" | "/nope.png" | "/old-ranked-page" | "/sitemap.xml" | "/favicon.ico" => (StatusCode::NOT_FOUND, "not here").into_response(),
                // Everything else: a soft 404.
                _ => html(StatusCode::OK, bad_page("Oops", "<p>Sorry, that page does not exist.</p>")),
            }
        }
    })
}

#[tokio::test]
async fn a_bad_production_site_shows_every_defect() {
    let addr = serve_http(bad_site()).await;
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    config.expected_contacts = vec!["info@good.test".into()];
    config.old_urls = vec!["/old-ranked-page".into()];
    let report = check(&config).await;
    let found = ids(&report);
    for expect in [
        "analytics-missing",
        "asset-not-cached",
        "asset-not-compressed",
        "broken-asset",
        "broken-link",
        "canonical-tag-missing",
        "contact-missing",
        "contact-unexpected",
        "debug-page-exposed",
        "duplicate-content",
        "favicon-missing",
        "form-missing-csrf",
        "https-redirect-missing",
        "insecure-cookie",
        "insecure-sensitive-form",
        "meta-description-missing",
        "old-url-broken",
        "placeholder-text",
        "robots-disallows-all",
        "sandbox-credentials-on-production",
        "security-header-missing",
        "server-error",
        "sitemap-missing",
        "soft-404",
        "title-duplicate",
        "wrong-host-link",
    ] {
        assert!(found.iter().any(|f| f == expect), "{expect} was not found; report:\n{}", report.to_text(false));
    }
    // Findings carry what a person needs.
    let debug = report.findings.iter().find(|f| f.check == "debug-page-exposed").unwrap();
    assert_eq!(debug.severity, Severity::Error);
    assert!(debug.url.ends_with("/crash") && debug.evidence.contains("DEBUG = True"), "{debug:?}");
    assert_eq!(debug.advice, "DEBUG = False");
    let wrong: Vec<&str> = report.findings.iter().filter(|f| f.check == "wrong-host-link").map(|f| f.evidence.as_str()).collect();
    assert!(wrong.iter().any(|e| e.contains("example.com")) && wrong.iter().any(|e| e.contains("localhost")), "{wrong:?}");
    let cred = report.findings.iter().find(|f| f.check == "sandbox-credentials-on-production").unwrap();
    assert!(cred.evidence.starts_with("pk_test_") && !cred.evidence.contains("GHIJKLMNOP"), "keys are masked: {}", cred.evidence);
    assert!(report.fails(Some(Severity::Error)));
}

/// A dev site that looks like production: indexable, no banner, live keys, nginx's 404.
fn careless_dev_site() -> Router {
    Router::new().fallback(|req: Request| async move {
        match req.uri().path() {
            "/" => html(StatusCode::OK, "<!doctype html><html><head><title>Shop</title><link rel=\"stylesheet\" href=\"/s.css\"></head><body><h1>Shop</h1><script>Stripe('pk_live_51Hzyxwvutsrqp');</script></body></html>".into()),
            "/s.css" => cached("text/css", b"h1{}".to_vec()),
            "/robots.txt" => (StatusCode::OK, "User-agent: *\nAllow: /\n").into_response(),
            _ => html(StatusCode::NOT_FOUND, "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>".into()),
        }
    })
}

#[tokio::test]
async fn a_dev_site_must_not_look_like_production() {
    let addr = serve_http(careless_dev_site()).await;
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    config.env = EnvProfile::Dev;
    let report = check(&config).await;
    let found = ids(&report);
    for expect in ["robots-allows-indexing-on-dev", "dev-banner-missing", "live-credentials-on-dev", "error-page-default"] {
        assert!(found.iter().any(|f| f == expect), "{expect} missing:\n{}", report.to_text(false));
    }
    // Production-only expectations do not apply to dev.
    for not in ["analytics-missing", "https-redirect-missing", "sitemap-missing", "robots-disallows-all"] {
        assert!(!found.iter().any(|f| f == not), "{not} should not apply to dev");
    }
    let e404 = report.findings.iter().find(|f| f.check == "error-page-default").unwrap();
    assert!(e404.message.contains("nginx"), "{}", e404.message);
}

#[tokio::test]
async fn a_careful_dev_site_passes_the_dev_expectations() {
    let app = Router::new().fallback(|req: Request| async move {
        match req.uri().path() {
            "/" => html(StatusCode::OK, "<!doctype html><html><head><title>Shop (dev)</title></head><body><div class=\"banner\">DEV SITE — not the live shop</div><h1>Shop</h1><script>Stripe('pk_test_51Habcdefghijk');</script></body></html>".into()),
            "/robots.txt" => (StatusCode::OK, "User-agent: *\nDisallow: /\n").into_response(),
            _ => (StatusCode::NOT_FOUND, "").into_response(),
        }
    });
    let addr = serve_http(app).await;
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    config.env = EnvProfile::Dev;
    let found = ids(&check(&config).await);
    for not in ["robots-allows-indexing-on-dev", "dev-banner-missing", "live-credentials-on-dev", "sandbox-credentials-on-production"] {
        assert!(!found.iter().any(|f| f == not), "{not} should pass: {found:?}");
    }
}

#[tokio::test]
async fn canonical_host_needs_one_permanent_hop() {
    // www.two.test answers itself, two.test redirects with 302 to an intermediate hop.
    let app = Router::new().fallback(|headers: HeaderMap, req: Request| async move {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
        let port = host.rsplit(':').next().unwrap_or("80").to_string();
        if host.starts_with("two.test") {
            return (StatusCode::FOUND, [(header::LOCATION, format!("http://two.test:{port}/home"))]).into_response();
        }
        let _ = req;
        html(StatusCode::OK, "<!doctype html><title>Two</title><body>DEV SITE</body>".into())
    });
    let addr = serve_http(app).await;
    let mut config = CheckConfig::new(&format!("http://www.two.test:{}/", addr.port())).unwrap();
    config.env = EnvProfile::Staging;
    for host in ["www.two.test", "two.test"] {
        config.resolve.push(ResolveOverride { host: host.into(), port: addr.port(), addr: addr.ip() });
    }
    let report = check(&config).await;
    let f = report.findings.iter().find(|f| f.check == "canonical-host").unwrap_or_else(|| panic!("{}", report.to_text(false)));
    assert!(f.message.contains("temporary redirect") || f.message.contains("more than one hop"), "{}", f.message);
}

#[tokio::test]
async fn gzip_bodies_are_decoded_and_count_as_compressed() {
    let big = format!("body {{ color: red; }}\n{}", "/* padding */\n".repeat(200));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(big.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let app = Router::new().fallback(move |req: Request| {
        let gz = gz.clone();
        async move {
            match req.uri().path() {
                "/" => html(StatusCode::OK, "<!doctype html><title>Z</title><link rel=stylesheet href=/z.css><body>DEV SITE ok</body>".into()),
                "/z.css" => {
                    (StatusCode::OK, [(header::CONTENT_TYPE, "text/css"), (header::CONTENT_ENCODING, "gzip"), (header::CACHE_CONTROL, "max-age=600")], gz)
                        .into_response()
                }
                _ => (StatusCode::NOT_FOUND, "").into_response(),
            }
        }
    });
    let addr = serve_http(app).await;
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    config.env = EnvProfile::Dev;
    let found = ids(&check(&config).await);
    assert!(!found.iter().any(|f| f == "asset-not-compressed" || f == "asset-not-cached" || f == "broken-asset"), "{found:?}");
}

/// An https production site with the remaining defects: mixed content, no HSTS, a page
/// without a title, shared meta descriptions, a canonical tag pointing elsewhere, no
/// robots.txt, a redirect chain that needs two hops.
fn sloppy_https_site() -> Router {
    Router::new().fallback(|req: Request| async move {
        let head = |title: &str, canon: &str| {
            format!("<!doctype html><html><head>{title}<meta name=description content=\"Same everywhere\"><link rel=canonical href=\"{canon}\"><link rel=icon href=/f.ico>\
                     <script async src=\"https://www.googletagmanager.com/gtag/js?id=G-X\"></script></head>")
        };
        let mut res = match req.uri().path() {
            "/" => html(StatusCode::OK, format!("{}<body><img src=\"http://cdn.sloppy.test/logo.png\"><a href=/untitled>u</a><a href=/two>t</a></body></html>", head("<title>Home</title>", "https://other.test/"))),
            "/untitled" => html(StatusCode::OK, format!("{}<body>No title here</body></html>", head("", "/untitled"))),
            "/two" => html(StatusCode::OK, format!("{}<body>Page two</body></html>", head("<title>Two</title>", "/two"))),
            "/f.ico" => cached("image/x-icon", vec![0, 0, 1, 0]),
            "/sitemap.xml" => (StatusCode::OK, "<urlset></urlset>").into_response(),
            _ => html(StatusCode::NOT_FOUND, "<!doctype html><style>h1{}</style><h1>Not found</h1>".into()),
        };
        let h = res.headers_mut();
        h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
        res
    })
}

#[tokio::test]
async fn a_sloppy_https_site_shows_the_remaining_defects() {
    let pki = pki(&["www.sloppy.test", "sloppy.test"]);
    let addr = serve_https(sloppy_https_site(), &pki).await;
    let mut config = CheckConfig::new(&format!("https://www.sloppy.test:{}/", addr.port())).unwrap();
    config.extra_ca_pem = vec![pki.ca_pem.clone()];
    config.resolve.push(ResolveOverride { host: "www.sloppy.test".into(), port: addr.port(), addr: addr.ip() });
    let report = check(&config).await;
    let found = ids(&report);
    for expect in ["mixed-content", "hsts-missing", "title-missing", "meta-description-duplicate", "canonical-tag-mismatch", "robots-missing"] {
        assert!(found.iter().any(|f| f == expect), "{expect} missing:\n{}", report.to_text(false));
    }
    let mixed = report.findings.iter().find(|f| f.check == "mixed-content").unwrap();
    assert!(mixed.evidence.starts_with("http://cdn.sloppy.test/"), "{}", mixed.evidence);
    // The apex is not served at all (its certificate names it, but nothing answers):
    // an unreachable variant is not reported as a canonical-host problem.
    assert!(!found.iter().any(|f| f == "canonical-host"));
}

#[tokio::test]
async fn plain_http_must_redirect_to_https() {
    let pki = pki(&["www.redirect.test", "redirect.test"]);
    let page = || html(StatusCode::OK, "<!doctype html><title>R</title><body>DEV SITE</body>".into());
    let https_addr = serve_https(Router::new().fallback(move || async move { page() }), &pki).await;
    let https_port = https_addr.port();
    // One http side serves the site itself; the other redirects permanently to https.
    let serving = serve_http(Router::new().fallback(move || async move { page() })).await;
    let redirecting = serve_http(Router::new().fallback(move |req: Request| async move {
        (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, format!("https://www.redirect.test:{https_port}{}", req.uri().path()))]).into_response()
    }))
    .await;
    for (http, expect_finding) in [(serving, true), (redirecting, false)] {
        let mut config = CheckConfig::new(&format!("https://www.redirect.test:{https_port}/")).unwrap();
        config.env = EnvProfile::Dev;
        config.extra_ca_pem = vec![pki.ca_pem.clone()];
        config.http_port = Some(http.port());
        config.resolve.push(ResolveOverride { host: "www.redirect.test".into(), port: https_port, addr: https_addr.ip() });
        let report = check(&config).await;
        let f = report.findings.iter().find(|f| f.check == "https-redirect-missing");
        assert_eq!(f.is_some(), expect_finding, "http on {}: {}", http.port(), report.to_text(false));
        if let Some(f) = f {
            assert!(f.message.contains("instead of redirecting"), "{}", f.message);
        }
    }
}

/// An application that sends every unknown path to its sign-in page (as Preflight itself
/// does): /sitemap.xml answers 200 after the redirect, but with HTML. That is no sitemap.
#[tokio::test]
async fn a_sign_in_page_at_sitemap_xml_is_not_a_sitemap() {
    let app = Router::new().fallback(|req: Request| async move {
        match req.uri().path() {
            "/" => html(StatusCode::OK, "<!doctype html><html><head><title>Home</title></head><body><a href=/login>Sign in</a></body></html>".into()),
            "/login" => html(
                StatusCode::OK,
                "<!doctype html><html><head><title>Sign in</title></head><body><form method=post><input type=password name=p></form></body></html>".into(),
            ),
            "/robots.txt" => (StatusCode::OK, "User-agent: *\nDisallow: /admin/\n").into_response(),
            _ => (StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response(),
        }
    });
    let addr = serve_http(app).await;
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    config.env = EnvProfile::Production;
    let report = check(&config).await;
    let f = report.findings.iter().find(|f| f.check == "sitemap-missing").unwrap_or_else(|| panic!("{}", report.to_text(false)));
    assert!(f.evidence.contains("HTTP 200") && f.evidence.contains("text/html") && f.evidence.contains("no <urlset>"), "{}", f.evidence);
    assert_eq!(status(&report, "sitemap-missing").0, CheckStatus::Failed);
}

/// Contacts written the way real sites write them, the project's analytics id, and stand-in
/// images from placeholder services.
#[tokio::test]
async fn contacts_analytics_ids_and_placeholder_images() {
    let app = Router::new().fallback(|req: Request| async move {
        let body = match req.uri().path() {
            "/" => r##"<!doctype html><html><head><title>Home</title><script async src="https://www.googletagmanager.com/gtag/js?id=G-GOOD123"></script></head><body>
                <p>Call <a href="tel:+441174960123">0117 496 0123</a> or write to info [at] good [dot] test.</p>
                <a href="mailto:?subject=Look%20at%20this">Share by e-mail</a> <a href="/team">Team</a></body></html>"##,
            "/team" => r##"<!doctype html><html><head><title>Team</title></head><body><img src="https://placehold.co/600x400" alt="Ann">
                <p>Ann: ann (at) good.test</p></body></html>"##,
            _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
        };
        html(StatusCode::OK, body.to_string())
    });
    let addr = common::serve_http(app).await;
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    config.env = EnvProfile::Production;
    config.skip_dns = true;
    config.expected_contacts = vec!["0117 496 0123".into(), "info@good.test".into()];
    config.phone_region = Some("GB".into());
    config.analytics_ids = vec!["G-GOOD123".into()];
    let report = check(&config).await;
    let text = report.to_text(false);
    let of = |id: &str| report.findings.iter().filter(|f| f.check == id).collect::<Vec<_>>();
    // The tel: link is the expected number; the share link names no address; the obfuscated
    // address is the expected one; Ann's is not expected.
    assert!(of("contact-missing").is_empty(), "{text}");
    let unexpected = of("contact-unexpected");
    assert_eq!(unexpected.len(), 1, "{text}");
    assert!(unexpected[0].message.contains("ann@good.test"), "{text}");
    // The project's GA4 id is on the home page but not on /team.
    let analytics = of("analytics-missing");
    assert!(analytics.len() == 1 && analytics[0].url.ends_with("/team") && analytics[0].message.contains("G-GOOD123"), "{text}");
    let placeholder = of("placeholder-text");
    assert!(placeholder.iter().any(|f| f.message.contains("placehold.co") && f.url.ends_with("/team")), "{text}");
}
