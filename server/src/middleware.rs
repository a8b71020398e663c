//! Request middleware: who is signed in, cross-site request refusal, sign-in redirects for
//! pages, and security headers.

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};

use preflight_model::UserInfo;
use preflight_store::{access, auth};

use crate::state::AppState;

/// Paths that are not pages: no sign-in redirect, and (except the API) still CSRF-checked.
fn is_page_path(path: &str) -> bool {
    const NOT_PAGES: &[&str] = &["/pkg/", "/auth/", "/api/", "/rpc/", "/events/", "/healthz"];
    // Share pages are for clients without accounts: the token is their key.
    !NOT_PAGES.iter().any(|p| path.starts_with(p))
        && !path.starts_with("/favicon")
        && path != "/robots.txt"
        && !path.starts_with("/share/")
        && !is_account_link(path)
}

/// Pages opened from e-mails by people who may not be signed in: the link's token is the key.
fn is_account_link(path: &str) -> bool {
    ["/unsubscribe/", "/invite/", "/reset/"].iter().any(|p| path.starts_with(p)) || path == "/forgot"
}

/// Resolves the session cookie to a user (put into the request's extensions) and sends
/// signed-out visitors of pages to sign-in — or to setup on a fresh install.
pub async fn session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let user = match auth::session_secret(req.headers()) {
        Some(secret) => auth::session_user(&state.pool, &secret).await.ok().flatten(),
        None => None,
    };
    let path = req.uri().path().to_string();
    if req.method() == Method::GET && is_page_path(&path) {
        let setup_or_login = path == "/login" || path == "/setup";
        match &user {
            Some(_) if setup_or_login => return Redirect::to("/").into_response(),
            Some(_) => {}
            None => {
                let fresh = auth::user_count(&state.pool).await.map(|n| n == 0).unwrap_or(false);
                if fresh && path != "/setup" {
                    return Redirect::to("/setup").into_response();
                }
                if !fresh && path == "/setup" {
                    return Redirect::to("/login").into_response();
                }
                if !setup_or_login {
                    let next = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
                    let target = format!("/login?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
                    return Redirect::to(&target).into_response();
                }
            }
        }
    }
    if let Some(u) = user {
        req.extensions_mut().insert::<UserInfo>(u);
    }
    next.run(req).await
}

/// Refuses state-changing requests that a browser marks as cross-site, or that carry
/// neither `Origin` nor `Sec-Fetch-Site` (no browser sends such a POST; forged ones can).
/// The token-authenticated JSON API is exempt: it never looks at cookies.
pub async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // One-click unsubscribe (RFC 8058) is posted by mail providers, with no Origin; the link's
    // token authorises it, and all it can do is stop one kind of e-mail.
    let one_click = *req.method() == Method::POST && req.uri().path().starts_with("/unsubscribe/");
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) || req.uri().path().starts_with("/api/v1/") || one_click {
        return next.run(req).await;
    }
    match cross_site_reason(&state, req.headers()) {
        None => next.run(req).await,
        Some(reason) => {
            tracing::warn!(path = %req.uri().path(), reason, "refused a cross-site request");
            (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("Cross-site request refused: {reason}.")).into_response()
        }
    }
}

fn cross_site_reason(state: &AppState, headers: &HeaderMap) -> Option<&'static str> {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(site) = fetch_site {
        if site != "same-origin" && site != "none" {
            return Some("the browser marked it as coming from another site");
        }
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => {
            if origin_matches(state, headers, origin) {
                None
            } else {
                Some("its Origin is not this site")
            }
        }
        None if fetch_site.is_some() => None,
        None => Some("it names no origin"),
    }
}

fn origin_matches(state: &AppState, headers: &HeaderMap, origin: &str) -> bool {
    let Ok(o) = url::Url::parse(origin) else { return false };
    let Some(host) = o.host_str() else { return false };
    let origin_authority = match o.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    if let Some(base) = state.base_url.as_deref().and_then(|b| url::Url::parse(b).ok()) {
        return base.origin() == o.origin();
    }
    // Without a base URL: the same host, and the scheme the request really came over (a page
    // on plain http may not act on the https site, or the other way round).
    let scheme = if state.cookie_secure(headers) { "https" } else { "http" };
    o.scheme() == scheme && headers.get(header::HOST).and_then(|h| h.to_str().ok()).is_some_and(|h| h.eq_ignore_ascii_case(&origin_authority))
}

/// The host names this server answers as: the `--base-url`'s, and the address it listens on
/// (with `localhost` for a loopback one). `None`: any, because it listens on every interface
/// without a base URL, so its public name is unknown.
pub fn allowed_hosts(state: &AppState) -> Option<Vec<String>> {
    let listen = state.leptos_options().site_addr;
    let mut hosts = Vec::new();
    if let Some(base) = state.base_url.as_deref().and_then(|b| url::Url::parse(b).ok()) {
        let host = base.host_str().unwrap_or_default().to_ascii_lowercase();
        hosts.push(match base.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        });
    } else if listen.ip().is_unspecified() {
        return None;
    }
    let port = listen.port();
    match listen.ip() {
        std::net::IpAddr::V6(ip) => hosts.push(format!("[{ip}]:{port}")),
        ip => hosts.push(format!("{ip}:{port}")),
    }
    if listen.ip().is_loopback() {
        hosts.push(format!("localhost:{port}"));
    }
    Some(hosts)
}

/// Refuses requests for a host name that is not this server's (a forged or rebound `Host`,
/// the black-box form of Django's ALLOWED_HOSTS): links, redirects and the first-owner setup
/// never trust a name the server does not own. Requests without a `Host` (HTTP/1.0, tests)
/// pass.
pub async fn known_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(allowed) = allowed_hosts(&state) else { return next.run(req).await };
    let Some(host) = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_ascii_lowercase) else {
        return next.run(req).await;
    };
    // `example.com` and `example.com:443` name the same https site.
    let bare = host.strip_suffix(":443").or_else(|| host.strip_suffix(":80")).unwrap_or(&host).to_string();
    if allowed.iter().any(|a| *a == host || *a == bare) {
        return next.run(req).await;
    }
    let message = format!(
        "This Preflight server answers as {} only, not as {host}. If that is its public name, start it with --base-url https://{bare} (or set PREFLIGHT_BASE_URL).",
        allowed.join(" or ")
    );
    (StatusCode::MISDIRECTED_REQUEST, message).into_response()
}

/// Headers every response gets (pages also get a CSP from the app shell).
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let secure = state.cookie_secure(req.headers());
    let shared = req.uri().path().starts_with("/share/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if shared {
        // The token is in the URL: never let it leak to other sites, or into caches. (Not
        // `no-referrer`: the page's own forms would then post with `Origin: null`, which the
        // cross-site check rightly refuses.)
        h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
        // Nothing is kept unless its handler says so: pictures, which never change under their
        // id, are kept by the client's own browser (`private`; the page reloads after every
        // form), the page itself never.
        h.entry(axum::http::header::CACHE_CONTROL).or_insert(HeaderValue::from_static("private, no-store"));
    }
    let mut set = |k: &'static str, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    set("x-content-type-options", "nosniff");
    set("x-frame-options", "DENY");
    set("referrer-policy", "strict-origin-when-cross-origin");
    set("permissions-policy", "camera=(), microphone=(), geolocation=()");
    // Internet Explorer's newest mode, never Compatibility View (Preflight's own
    // old-ie-document-mode check).
    set("x-ua-compatible", "IE=edge");
    if secure {
        set("strict-transport-security", "max-age=31536000; includeSubDomains");
    }
    res
}

/// Requests per minute one address may make to share pages and their calls.
pub const SHARE_REQUESTS_PER_MINUTE: u32 = 240;

/// Share links are public URLs: each address gets a fixed budget per minute on them, so a
/// leaked or guessed-at link cannot be hammered. The count is kept in the database, so the
/// budget holds across every server behind one address.
pub async fn share_rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    // Public endpoints: share pages and calls, and the pages opened from e-mails.
    let public = path.starts_with("/share/")
        || path.starts_with("/rpc/share_")
        || is_account_link(path)
        || ["/rpc/request_password_reset", "/rpc/account_link_info", "/rpc/use_account_link", "/rpc/unsubscribe"].iter().any(|p| path.starts_with(p));
    if !public {
        return next.run(req).await;
    }
    let addr = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "unknown".into());
    let wait = match preflight_store::ratelimit::count_request(&state.pool, &format!("share:{addr}"), SHARE_REQUESTS_PER_MINUTE).await {
        Ok(wait) => wait,
        Err(e) => {
            // Counting failed: the page itself answers (it needs the same database).
            tracing::warn!(error = %e, "counting a share-page request failed");
            None
        }
    };
    match wait {
        Some(secs) => (
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            [(axum::http::header::RETRY_AFTER, secs.to_string())],
            "Too many requests from your address; please wait a minute.",
        )
            .into_response(),
        None => next.run(req).await,
    }
}

/// Server functions whose arguments are missing, of the wrong type or not JSON at all fail in
/// Leptos before our code runs, answered as a 500 (`Deserialization|…`). That is the caller's
/// mistake: answer 400, keeping the body (the app's client reads the message from it).
pub async fn rpc_bad_arguments(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/rpc/") {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the server hit an error it did not expect").into_response();
    };
    if bytes.starts_with(b"Deserialization|") || bytes.starts_with(b"Args|") {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Refuses, as not found, requests for a record in a project the signed-in person may not see
/// (a restricted member not added to it): pages, the JSON API, exports, screenshots and live
/// events alike. Server functions make the same check themselves ([`preflight_store::access`]).
pub async fn project_access(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let records = access::resources_in_path(&path);
    if records.is_empty() {
        return next.run(req).await;
    }
    let api = path.starts_with("/api/v1/");
    let user = if api {
        // The API's token, looked up once: the handler's extractor takes it from here.
        let user = match crate::api::bearer_token(req.headers()) {
            Some(token) => auth::token_user(&state.pool, token).await.ok().flatten(),
            None => None,
        };
        if let Some(u) = &user {
            req.extensions_mut().insert(crate::api::TokenUser(u.clone()));
        }
        user
    } else {
        req.extensions().get::<UserInfo>().cloned()
    };
    // Signed out: the route itself answers (401, or the sign-in page).
    let Some(user) = user.filter(|u| u.restricted) else {
        return next.run(req).await;
    };
    for (what, id) in records {
        match access::check(&state.pool, &user, what, id).await {
            Ok(()) => {}
            Err(e) if api => return crate::api::ApiError(e).into_response(),
            Err(e) => return not_found(req.headers(), &e.to_string()),
        }
    }
    next.run(req).await
}

/// A 404 in words: a page for browsers, plain text for scripts.
fn not_found(headers: &HeaderMap, what: &str) -> Response {
    let wants_html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if wants_html {
        (StatusCode::NOT_FOUND, axum::response::Html(crate::router::NOT_FOUND_HTML)).into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{what}: it does not exist, or you have not been added to its project."),
        )
            .into_response()
    }
}
