//! Shared helpers for the router and database integration tests.
#![allow(dead_code, reason = "each test file uses a different subset")]

use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
    Router,
};
use http_body_util::BodyExt;
use preflight_store::db::Pool;
use serde_json::Value;
use tower::ServiceExt;

use preflight_model::{Role, UserInfo};
use preflight_server::state::AppState;
use preflight_store::auth;

pub const ORIGIN: &str = "http://preflight.test";
pub const PASSWORD: &str = "a long enough password";
/// The setup code the test server "printed" at start.
pub const SETUP_CODE: &str = "ABCD-EFGH-JKMN";

/// A migrated, template-seeded database's app state (site assets are not needed here).
pub async fn state(pool: Pool) -> AppState {
    preflight_store::db::migrate(&pool).await.expect("migrations");
    let options = leptos::config::LeptosOptions::builder().output_name("preflight").site_root("target/site").build();
    // The requests below are for http://preflight.test, so that is the server's base URL.
    AppState::new(preflight_store::Store::new(pool, None, Some(ORIGIN.to_string())).with_setup_code(SETUP_CODE), options)
}

/// [`state`] keeping screenshots in `dir`.
pub async fn state_with_screenshots(pool: Pool, dir: std::path::PathBuf) -> AppState {
    state(pool).await.map_store(|s| s.with_screenshots_dir(dir))
}

pub async fn owner(state: &preflight_store::Store) -> UserInfo {
    auth::create_user(&state.pool, "owner@example.test", "Olivia Owner", Role::Owner, PASSWORD).await.unwrap()
}

pub async fn token(state: &preflight_store::Store, user: &UserInfo) -> String {
    auth::create_api_token(&state.pool, user.id, "tests").await.unwrap().1
}

pub struct Res {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Res {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
    }
}

/// A request builder with the headers a same-origin browser request carries.
pub fn browser(method: Method, path: &str) -> axum::http::request::Builder {
    Request::builder().method(method).uri(path).header(header::HOST, "preflight.test").header(header::ORIGIN, ORIGIN)
}

/// A server function call as the browser makes it (JSON in and out), with the session
/// cookie when there is one.
pub fn rpc_request(cookie: Option<&str>, name: &str, body: impl ToString) -> Request<Body> {
    let mut b = browser(Method::POST, &format!("/rpc/{name}")).header(header::CONTENT_TYPE, "application/json").header(header::ACCEPT, "application/json");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

pub async fn send(app: &Router, req: Request<Body>) -> Res {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Res { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

/// The client posting one of the review page's forms (`/share/{token}/{action}`, from the
/// page's own origin, as a browser does): `Ok` when the page took it, else what the page
/// tells the client (its one-time message, or that the link does not work).
pub async fn share_form(app: &Router, token: &str, action: &str, fields: &[(&str, &str)]) -> Result<(), String> {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let req = browser(Method::POST, &format!("/share/{token}/{action}")).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    let res = send(app, req.body(Body::from(body)).unwrap()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "a form post answers with a redirect back: {}", res.body);
    let mut cookies = axum::http::HeaderMap::new();
    for c in res.headers.get_all(header::SET_COOKIE) {
        let pair = c.to_str().unwrap().split(';').next().unwrap_or_default().to_string();
        cookies.append(header::COOKIE, pair.parse().unwrap());
    }
    match preflight_store::share::cookie(&cookies, preflight_store::share::FLASH_COOKIE) {
        Some(message) => Err(message),
        // Every action goes back to a place on the page; a link that does not work, to the page.
        None if !res.header("location").contains('#') => Err("the link does not work".into()),
        None => Ok(()),
    }
}

/// The raw bytes of the answer (for files that are not text).
pub async fn send_bytes(app: &Router, req: Request<Body>) -> Vec<u8> {
    let res = app.clone().oneshot(req).await.unwrap();
    res.into_body().collect().await.unwrap().to_bytes().to_vec()
}

pub async fn api(app: &Router, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Res {
    let mut b = Request::builder().method(method).uri(format!("/api/v1{path}"));
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())).unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    send(app, req).await
}

/// Signs in through the form handler and returns the session cookie (`name=value`).
pub async fn login(app: &Router, email: &str, password: &str) -> Res {
    let body = format!("email={}&password={}", urlenc(email), urlenc(password));
    let req = browser(Method::POST, "/auth/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(body)).unwrap();
    send(app, req).await
}

pub fn session_cookie(res: &Res) -> String {
    let set = res.header("set-cookie");
    set.split(';').next().unwrap_or_default().to_string()
}

pub fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A minimal project body for the API.
pub fn project_body(name: &str) -> Value {
    serde_json::json!({
        "name": name,
        "client": "ACME",
        "launch_date": "2027-03-01",
        "environments": [
            {"name": "production", "base_url": "https://www.acme.test", "resolve_ip": "127.0.0.1"},
            {"name": "dev", "base_url": "http://dev.acme.test"}
        ]
    })
}

/// Serves a fixture site on 127.0.0.1; returns its port.
pub async fn serve(app: axum::Router) -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    port
}

/// Polls `GET /api/v1/runs/{run}` until it has finished (up to two minutes: browser runs are slow).
pub async fn wait_finished(app: &Router, tok: &str, run: i64) -> Value {
    for _ in 0..1200 {
        let r = api(app, Method::GET, &format!("/runs/{run}"), Some(tok), None).await.json();
        if matches!(r["status"].as_str(), Some("passed" | "failed" | "interrupted")) {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("run {run} did not finish within two minutes");
}

/// The real `preflight serve` binary on 127.0.0.1:`port` with its data in `data` (and
/// `extra` arguments), once it takes connections.
pub fn spawn_server(data: &std::path::Path, port: u16, extra: &[&str]) -> std::process::Child {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("preflight"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--site-root", "/nonexistent"])
        .args(extra)
        .arg("--data-dir")
        .arg(data)
        .env("PREFLIGHT_LOG", "warn")
        .env_remove("MALLOC_ARENA_MAX")
        .env_remove("MALLOC_MMAP_THRESHOLD_")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child
}
