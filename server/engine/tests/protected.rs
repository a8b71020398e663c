//! Protected dev sites (basic auth, a preview header, a cookie), the team's own dev-marker
//! words, postal addresses among the expected contacts, and importing an old site's sitemap —
//! all against fixture sites on 127.0.0.1.

mod common;

use std::sync::{Arc, Mutex};

use axum::{
    extract::Request,
    http::{header, StatusCode},
    response::IntoResponse,
    Router,
};
use common::*;
use preflight_engine::{CheckConfig, CheckStatus, Credentials, EnvProfile};

/// What a third-party server saw: every request's credentials-bearing headers.
type Seen = Arc<Mutex<Vec<String>>>;

fn third_party(seen: Seen) -> Router {
    Router::new().fallback(move |req: Request| {
        let seen = seen.clone();
        async move {
            let h = req.headers();
            seen.lock().unwrap().push("request".into());
            for name in ["authorization", "cookie", "x-preview-token"] {
                if let Some(v) = h.get(name) {
                    seen.lock().unwrap().push(format!("{name}: {}", v.to_str().unwrap_or("")));
                }
            }
            (StatusCode::OK, [(header::CONTENT_TYPE, "image/png")], vec![0u8; 8]).into_response()
        }
    })
}

/// A dev site that answers 401 without the right credentials. Its page says "Vorschau" (the
/// team's banner word), shows a postal address over two lines, and uses an image on another
/// host (`other`, on 127.0.0.2).
fn protected_site(expect: &'static str, other: u16) -> Router {
    Router::new().fallback(move |req: Request| async move {
        let h = req.headers();
        let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let ok = match expect {
            "basic" => get("authorization") == "Basic cHJldmlldzpzM2NyZXQtcHc=", // preview:s3cret-pw
            "header" => get("x-preview-token") == "tok-123",
            _ => get("cookie").split("; ").any(|c| c == "preview=tok-456"),
        };
        if !ok {
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Basic realm=\"dev\"")], "Sign in").into_response();
        }
        let body = format!(
            "<!doctype html><html><head><title>Home</title></head><body><div class=banner>VORSCHAU — nicht die echte Seite</div>\
             <img src=\"http://127.0.0.2:{other}/logo.png\" alt=logo><a href=\"http://127.0.0.2:{other}/partner\">Partner</a>\
             <address>Good Co<br>1 Garden Road,<br>Springfield</address></body></html>"
        );
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
    })
}

async fn run(creds: Option<Credentials>, expect: &'static str) -> (preflight_engine::Report, Vec<String>) {
    let seen: Seen = Arc::default();
    // Another host: 127.0.0.2 (loopback, but not the site's address).
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let other = listener.local_addr().unwrap();
    let app = third_party(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let site = serve_http(protected_site(expect, other.port())).await;
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", site.port())).unwrap();
    config.env = EnvProfile::Dev;
    config.skip_dns = true;
    config.check_external_links = true;
    config.dev_markers = vec!["Vorschau".into()];
    config.expected_contacts = vec!["1 Garden Road, Springfield".into(), "Good Co".into()];
    config.credentials = creds;
    let report = check(&config).await;
    let seen = seen.lock().unwrap().clone();
    (report, seen)
}

#[tokio::test]
async fn credentials_open_a_protected_site_and_go_nowhere_else() {
    let cases = [
        ("basic", Credentials::Basic { username: "preview".into(), password: "s3cret-pw".into() }),
        ("header", Credentials::Header { name: "X-Preview-Token".into(), value: "tok-123".into() }),
        ("cookie", Credentials::Cookie { name: "preview".into(), value: "tok-456".into() }),
    ];
    for (kind, creds) in cases {
        let (report, seen) = run(Some(creds), kind).await;
        assert!(report.reachable, "{kind}: {}", report.to_text(false));
        assert_eq!(report.pages.len(), 1, "{kind}: the page behind the credentials was read");
        let text = report.to_text(false);
        // The page was judged: the banner word and the address were found, the link checked.
        assert_eq!(report.check("dev-banner-missing").unwrap().status, CheckStatus::Passed, "{kind}: {text}");
        assert_eq!(report.check("contact-missing").unwrap().status, CheckStatus::Passed, "{kind}: {text}");
        assert_eq!(report.check("broken-link").unwrap().status, CheckStatus::Passed, "{kind}: {text}");
        // The third-party host was contacted (external links are on) but saw no credentials.
        assert!(seen.iter().any(|s| s == "request"), "{kind}: the other host was contacted");
        assert!(seen.iter().all(|s| s == "request"), "{kind}: credentials leaked to another host: {seen:?}");
        // Nothing in the report carries the secret.
        let json = report.to_json();
        for secret in ["s3cret-pw", "cHJldmlldzpzM2NyZXQtcHc", "tok-123", "tok-456"] {
            assert!(!json.contains(secret) && !text.contains(secret), "{kind}: the report shows {secret}");
        }
    }
}

#[tokio::test]
async fn without_credentials_a_protected_site_is_not_a_pass() {
    let (report, _) = run(None, "basic").await;
    let text = report.to_text(false);
    // 401 on the start page: the content checks had nothing to read.
    assert_ne!(report.check("dev-banner-missing").unwrap().status, CheckStatus::Passed, "{text}");
    assert_ne!(report.check("contact-missing").unwrap().status, CheckStatus::Passed, "{text}");
}

#[tokio::test]
async fn a_postal_address_is_matched_as_words_and_a_missing_line_is_named() {
    let site = serve_http(Router::new().fallback(|| async {
        ([(header::CONTENT_TYPE, "text/html")], "<!doctype html><title>x</title><footer>Good Co · 1 Garden Road<br>SPRINGFIELD</footer>").into_response()
    }))
    .await;
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", site.port())).unwrap();
    config.env = EnvProfile::Dev;
    config.skip_dns = true;
    config.expected_contacts = vec!["1 Garden Road, Springfield".into(), "PO Box 12".into()];
    let report = check(&config).await;
    let missing: Vec<&str> = report.findings.iter().filter(|f| f.check == "contact-missing").map(|f| f.message.as_str()).collect();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].contains("PO Box 12"), "{missing:?}");
}

#[tokio::test]
async fn an_old_sitemap_is_imported_through_an_index_and_html_is_refused() {
    let app = Router::new().fallback(|req: Request| async move {
        let base = format!("http://{}", req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or(""));
        let xml = |b: String| (StatusCode::OK, [(header::CONTENT_TYPE, "application/xml")], b).into_response();
        match req.uri().path() {
            "/sitemap.xml" => xml(format!(
                "<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\
                 <sitemap><loc>{base}/sitemap-pages.xml</loc></sitemap><sitemap><loc>{base}/sitemap-news.xml</loc></sitemap></sitemapindex>"
            )),
            "/sitemap-pages.xml" => xml(format!(
                "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc>{base}/about</loc></url><url><loc>{base}/shop?cat=1&amp;p=2</loc></url></urlset>"
            )),
            "/sitemap-news.xml" => xml(format!("<urlset><url><loc>{base}/news/1</loc></url><url><loc>{base}/about</loc></url></urlset>")),
            _ => (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], "<html><body>Sign in</body></html>").into_response(),
        }
    });
    let addr = serve_http(app).await;
    let base = format!("http://127.0.0.1:{}", addr.port());
    let config = CheckConfig::new(&format!("{base}/")).unwrap();
    let urls = preflight_engine::import_sitemap(&config, &format!("{base}/sitemap.xml")).await.unwrap();
    assert_eq!(urls, vec![format!("{base}/about"), format!("{base}/shop?cat=1&p=2"), format!("{base}/news/1")]);
    let e = preflight_engine::import_sitemap(&config, &format!("{base}/login")).await.unwrap_err();
    assert!(e.contains("is not a sitemap"), "{e}");
    let e = preflight_engine::import_sitemap(&config, "ftp://old.test/sitemap.xml").await.unwrap_err();
    assert!(e.contains("only http and https"), "{e}");
    let e = preflight_engine::import_sitemap(&config, "http://169.254.169.254/sitemap.xml").await.unwrap_err();
    assert!(e.contains("metadata"), "{e}");
}

/// `dev-publicly-accessible`: a protected dev site passes (its anonymous answer is 401), an
/// open one fails, a sign-in page counts as controlled, and production is not judged.
#[tokio::test]
async fn dev_sites_should_not_open_for_anyone() {
    let basic = Credentials::Basic { username: "preview".into(), password: "s3cret-pw".into() };
    let (protected, _) = run(Some(basic), "basic").await;
    assert_eq!(protected.check("dev-publicly-accessible").unwrap().status, CheckStatus::Passed, "{}", protected.to_text(false));

    let open =
        serve_http(Router::new().fallback(|| async { ([(header::CONTENT_TYPE, "text/html")], "<!doctype html><title>Dev</title><body>DEV SITE</body>") }))
            .await;
    let login = serve_http(Router::new().fallback(|| async {
        ([(header::CONTENT_TYPE, "text/html")], "<!doctype html><title>Sign in</title><form method=post><input type=\"password\" name=p></form>")
    }))
    .await;
    for (addr, env, want) in [
        (open, EnvProfile::Dev, CheckStatus::Failed),
        (login, EnvProfile::Staging, CheckStatus::Passed),
        (open, EnvProfile::Production, CheckStatus::NotApplicable),
    ] {
        let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
        config.env = env;
        config.skip_dns = true;
        let report = check(&config).await;
        let c = report.check("dev-publicly-accessible").unwrap();
        assert_eq!(c.status, want, "{env:?}: {c:?}");
        if want == CheckStatus::Failed {
            let f = report.findings.iter().find(|f| f.check == "dev-publicly-accessible").unwrap();
            assert!(f.message.contains("answers anyone") && f.evidence.contains("HTTP 200"), "{f:?}");
        }
    }
}

/// The last reasons: a missing-page probe that gets no answer, and a protected site whose
/// anonymous request gets none either.
#[tokio::test]
async fn probes_without_an_answer_are_skipped_with_the_reason() {
    let app = Router::new().fallback(|req: Request| async move {
        let path = req.uri().path().to_string();
        if path.starts_with("/preflight-check-") {
            // The probe hangs past the request timeout.
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
        if path == "/" {
            return ([(header::CONTENT_TYPE, "text/html")], "<!doctype html><title>Home</title><body>DEV SITE</body>").into_response();
        }
        (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/html")], "<!doctype html><title>Not found</title><link rel=stylesheet href=/s.css>")
            .into_response()
    });
    let addr = serve_http(app).await;
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    config.env = EnvProfile::Dev;
    config.skip_dns = true;
    config.limits.request_timeout = std::time::Duration::from_millis(700);
    let report = check(&config).await;
    for id in ["soft-404", "error-page-default"] {
        let c = report.check(id).unwrap();
        assert!(c.status == CheckStatus::Skipped && c.reason.starts_with("the missing-page probe got no answer"), "{c:?}");
    }
}

#[tokio::test]
async fn a_protected_site_that_never_answers_anonymous_requests_is_not_judged_on_access() {
    let app = Router::new().fallback(|req: Request| async move {
        if !req.headers().contains_key(header::AUTHORIZATION) {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            return StatusCode::UNAUTHORIZED.into_response();
        }
        ([(header::CONTENT_TYPE, "text/html")], "<!doctype html><title>Dev</title><body>DEV SITE</body>").into_response()
    });
    let addr = serve_http(app).await;
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    config.env = EnvProfile::Staging;
    config.skip_dns = true;
    config.limits.request_timeout = std::time::Duration::from_millis(700);
    config.credentials = Some(Credentials::Basic { username: "a".into(), password: "b".into() });
    let report = check(&config).await;
    let c = report.check("dev-publicly-accessible").unwrap();
    assert!(c.status == CheckStatus::Skipped && c.reason.starts_with("the request without credentials got no answer"), "{c:?}");
    assert_eq!(report.check("dev-banner-missing").unwrap().status, CheckStatus::Passed, "the site itself was read with the credentials");
}

#[tokio::test]
async fn more_reasons_from_real_runs() {
    // A missing page that answers 403, and only an image from another host (external links
    // on, so it is requested: 127.0.0.2, where nothing listens).
    let app = Router::new().fallback(|req: Request| async move {
        match req.uri().path() {
            "/" => (
                [(header::CONTENT_TYPE, "text/html")],
                "<!doctype html><title>Home</title><body>DEV SITE <img src=\"http://127.0.0.2:9/logo.png\" alt=x></body>",
            )
                .into_response(),
            _ => (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/html")], "<!doctype html><title>No</title>").into_response(),
        }
    });
    let addr = serve_http(app).await;
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    config.env = EnvProfile::Dev;
    config.skip_dns = true;
    config.check_external_links = true;
    let report = check(&config).await;
    let c = report.check("error-page-default").unwrap();
    assert_eq!(
        (c.status, c.reason.as_str()),
        (CheckStatus::Skipped, "a missing page answers 403, so there is no 404 page to judge, and no page answered with a server error")
    );
    let c = report.check("asset-not-cached").unwrap();
    assert_eq!((c.status, c.reason.as_str()), (CheckStatus::NotApplicable, "no static file of the site itself loaded"), "{}", report.to_text(false));
}

#[tokio::test]
async fn reasons_about_the_home_page_and_the_host_variants() {
    // The home page answers JSON; the sitemap leads to an HTML page.
    let app = Router::new().fallback(|req: Request| async move {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
        match req.uri().path() {
            "/" => ([(header::CONTENT_TYPE, "application/json")], "{}".to_string()).into_response(),
            "/sitemap.xml" => {
                ([(header::CONTENT_TYPE, "application/xml")], format!("<urlset><url><loc>http://{host}/about</loc></url></urlset>")).into_response()
            }
            "/about" => ([(header::CONTENT_TYPE, "text/html")], "<!doctype html><title>About</title><body>About us</body>".to_string()).into_response(),
            _ => (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/html")], "<!doctype html><title>Not found</title>".to_string()).into_response(),
        }
    });
    let addr = serve_http(app).await;
    // www.shop.test reaches the fixture; its apex twin is sent to 127.0.0.3, where nothing listens.
    let mut config = CheckConfig::new(&format!("http://www.shop.test:{}/", addr.port())).unwrap();
    config.skip_dns = true;
    config.resolve.push(preflight_engine::ResolveOverride { host: "www.shop.test".into(), port: addr.port(), addr: "127.0.0.1".parse().unwrap() });
    config.resolve.push(preflight_engine::ResolveOverride { host: "shop.test".into(), port: addr.port(), addr: "127.0.0.3".parse().unwrap() });
    let report = check(&config).await;
    let c = report.check("analytics-missing").unwrap();
    assert_eq!((c.status, c.reason.as_str()), (CheckStatus::Skipped, "the home page is not HTML"), "{}", report.to_text(false));
    let c = report.check("canonical-host").unwrap();
    assert_eq!((c.status, c.reason.as_str()), (CheckStatus::Skipped, "none of the www/apex and http/https variants answered"), "{}", report.to_text(false));
}

#[tokio::test]
async fn assets_cut_off_by_the_deadline_are_not_checked() {
    let app = Router::new().fallback(|req: Request| async move {
        match req.uri().path() {
            "/" => ([(header::CONTENT_TYPE, "text/html")], "<!doctype html><title>Home</title><body>DEV SITE<img src=/slow.png alt=x></body>").into_response(),
            "/slow.png" => {
                tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                ([(header::CONTENT_TYPE, "image/png")], vec![0u8; 4]).into_response()
            }
            _ => (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/html")], "<!doctype html><title>Not found</title>").into_response(),
        }
    });
    let addr = serve_http(app).await;
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    config.env = EnvProfile::Dev;
    config.skip_dns = true;
    config.limits.deadline = std::time::Duration::from_millis(1500);
    let report = check(&config).await;
    let c = report.check("broken-asset").unwrap();
    assert!(
        c.status == CheckStatus::Skipped && c.reason.starts_with("no asset was loaded: the") && c.reason.contains("deadline passed while loading assets"),
        "{c:?}"
    );
}

/// `noindex-on-production`: a meta robots tag or an `X-Robots-Tag` header saying noindex on a
/// production page is the staging setting carried over; on dev the same markers protect the
/// site as well as a disallow-all robots.txt.
#[tokio::test]
async fn noindex_on_production_is_a_launch_killer_and_on_dev_a_protection() {
    let app = Router::new().fallback(|req: Request| async move {
        match req.uri().path() {
            "/" => ([(header::CONTENT_TYPE, "text/html")], r#"<!doctype html><html><head><title>Home</title><meta name="robots" content="noindex, nofollow"></head><body>DEV SITE <a href="/about">About</a></body></html>"#).into_response(),
            "/about" => ([(header::CONTENT_TYPE, "text/html"), (axum::http::HeaderName::from_static("x-robots-tag"), "noindex")], "<!doctype html><html><head><title>About</title></head><body>DEV SITE about</body></html>").into_response(),
            _ => (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/html")], "<!doctype html><title>Not found</title>").into_response(),
        }
    });
    let addr = serve_http(app).await;
    let url = format!("http://127.0.0.1:{}/", addr.port());
    let mut prod = CheckConfig::new(&url).unwrap();
    prod.skip_dns = true;
    let report = check(&prod).await;
    let f = report.findings.iter().find(|f| f.check == "noindex-on-production").unwrap_or_else(|| panic!("{}", report.to_text(false)));
    assert!(f.message.starts_with("2 production page(s)") && f.evidence.contains("/about"), "{f:?}");
    // On dev: no robots.txt at all, but every page says noindex — protected.
    let mut dev = CheckConfig::new(&url).unwrap();
    dev.env = EnvProfile::Dev;
    dev.skip_dns = true;
    let report = check(&dev).await;
    assert_eq!(report.check("robots-allows-indexing-on-dev").unwrap().status, CheckStatus::Passed, "{}", report.to_text(false));
    assert_eq!(report.check("noindex-on-production").unwrap().status, CheckStatus::NotApplicable);
}

/// A production page that loads Vite's development client is served by a dev server too.
#[tokio::test]
async fn a_vite_dev_client_on_production_is_a_dev_server() {
    let app = Router::new().fallback(|| async {
        (
            [(header::CONTENT_TYPE, "text/html")],
            r#"<!doctype html><html><head><title>App</title><script type="module" src="/@vite/client"></script></head><body>DEV SITE</body></html>"#,
        )
    });
    let addr = serve_http(app).await;
    let url = format!("http://127.0.0.1:{}/", addr.port());
    let mut prod = CheckConfig::new(&url).unwrap();
    prod.skip_dns = true;
    let report = check(&prod).await;
    let f = report.findings.iter().find(|f| f.check == "dev-server-in-production").unwrap_or_else(|| panic!("{}", report.to_text(false)));
    assert_eq!(f.evidence, "the page loads /@vite/client");
    let mut dev = CheckConfig::new(&url).unwrap();
    dev.env = EnvProfile::Dev;
    dev.skip_dns = true;
    assert_eq!(check(&dev).await.check("dev-server-in-production").unwrap().status, CheckStatus::NotApplicable);
}
