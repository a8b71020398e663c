//! Sign-in, sign-out and first-run setup as plain form handlers, so they work before (and
//! without) the WASM app. Errors redirect back with a short code the page turns into words.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, State},
    http::{header, Extensions, HeaderMap, HeaderValue},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;

use preflight_store::{auth, ratelimit::Denied, AppError};

use crate::state::AppState;

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct SetupForm {
    /// The one-time code the server printed when it started.
    #[serde(default)]
    setup_code: String,
    name: String,
    email: String,
    password: String,
    password2: String,
}

/// The client's address for rate limiting (the socket peer; behind a proxy, the proxy).
fn client_ip(ext: &Extensions) -> String {
    ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

/// Where to go after signing in: only a plain path of this site. Browsers drop tabs and line
/// breaks from URLs (`/\t/evil.test` becomes `//evil.test`) and read `\` as `/`, so any of
/// those — or any other control character or space — sends the person home instead.
fn safe_next(next: &str) -> &str {
    let plain = next.len() <= 2000 && !next.contains('\\') && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    if plain && next.starts_with('/') && !next.starts_with("//") {
        next
    } else {
        "/"
    }
}

fn session_cookie(state: &AppState, headers: &HeaderMap, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.cookie_secure(headers) { "; Secure" } else { "" };
    let name = if secure.is_empty() { auth::SESSION_COOKIE } else { auth::SECURE_SESSION_COOKIE };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")).expect("cookie value is base64url")
}

fn with_cookie(target: &str, cookie: HeaderValue) -> Response {
    let mut res = Redirect::to(target).into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn start_session(state: &AppState, headers: &HeaderMap, user_id: i64, target: &str) -> Result<Response, AppError> {
    // A fresh session id on every sign-in; the old one (if any) is ended.
    if let Some(old) = auth::session_secret(headers) {
        auth::delete_session(&state.pool, &old).await?;
    }
    let secret = auth::create_session(&state.pool, user_id).await?;
    Ok(with_cookie(target, session_cookie(state, headers, &secret, auth::SESSION_LIFETIME_SECS)))
}

pub async fn login(State(state): State<AppState>, ext: Extensions, headers: HeaderMap, Form(f): Form<LoginForm>) -> Response {
    let ip = client_ip(&ext);
    let next = safe_next(&f.next).to_string();
    let back = |code: &str| {
        let next_q = if next == "/" { String::new() } else { format!("&next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()) };
        Redirect::to(&format!("/login?error={code}{next_q}")).into_response()
    };
    // The attempt is counted before the password is hashed; a wrong one stays counted.
    let reservation = match state.limiter.reserve(&state.pool, &f.email, &ip).await {
        Ok(r) => r,
        Err(Denied::Store(e)) => return error_page(e.into()),
        Err(Denied::Wait(secs)) => {
            let browser = headers.get(header::ACCEPT).and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("text/html"));
            if browser {
                return back("rate");
            }
            return (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, secs.to_string())],
                format!("Too many failed sign-ins for this account from your address; try again in {} minute(s).", secs.div_ceil(60)),
            )
                .into_response();
        }
    };
    match auth::authenticate(&state.pool, &f.email, &f.password).await {
        Ok(Some(user)) => {
            if let Err(e) = reservation.succeeded().await {
                tracing::warn!(error = %e, "forgetting the failed sign-ins before a successful one failed");
            }
            start_session(&state, &headers, user.id, &next).await.unwrap_or_else(error_page)
        }
        Ok(None) => back("credentials"),
        Err(e) => error_page(e),
    }
}

pub async fn setup(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<SetupForm>) -> Response {
    // Whoever reaches a fresh install first must also have read the server's log: a page on
    // another site (DNS rebinding, a forged form) cannot know the code.
    if state.setup_code.lock().map(|c| c.is_none()).unwrap_or(true) {
        return Redirect::to("/setup?error=nocode").into_response();
    }
    if !state.setup_code_matches(&f.setup_code) {
        tracing::warn!("first-owner setup refused: wrong setup code");
        return Redirect::to("/setup?error=code").into_response();
    }
    if f.password != f.password2 {
        return Redirect::to("/setup?error=mismatch").into_response();
    }
    match auth::create_first_owner(&state.pool, &f.email, &f.name, &f.password).await {
        Ok(user) => {
            if let Ok(mut c) = state.setup_code.lock() {
                *c = None;
            }
            if let Some(file) = &state.setup_code_file {
                let _ = std::fs::remove_file(file);
            }
            start_session(&state, &headers, user.id, "/").await.unwrap_or_else(error_page)
        }
        Err(AppError::Conflict(_)) => Redirect::to("/login?error=exists").into_response(),
        Err(AppError::BadRequest(m)) => {
            let code = if m.contains("password") {
                "password"
            } else if m.contains("e-mail") {
                "email"
            } else {
                "name"
            };
            Redirect::to(&format!("/setup?error={code}")).into_response()
        }
        Err(e) => error_page(e),
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(secret) = auth::session_secret(&headers) {
        if let Err(e) = auth::delete_session(&state.pool, &secret).await {
            return error_page(e);
        }
    }
    with_cookie("/login", session_cookie(&state, &headers, "", 0))
}

fn error_page(e: AppError) -> Response {
    (e.status(), [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], e.to_string()).into_response()
}

/// `POST /unsubscribe/{token}`: one-click unsubscribe (RFC 8058), as a mail provider sends it
/// for a `List-Unsubscribe-Post` header, or the unsubscribe page's form without the WASM app.
pub async fn one_click_unsubscribe(State(state): State<AppState>, axum::extract::Path(token): axum::extract::Path<String>) -> Response {
    match preflight_store::mail::unsubscribe(&state.pool, &token).await {
        Ok((email, rule)) => (
            axum::http::StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("Done: {email} gets no more \"{rule}\" e-mails from Preflight."),
        )
            .into_response(),
        Err(e) => (e.status(), [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_only_ever_a_plain_local_path() {
        assert_eq!(safe_next("/projects/3?tab=runs"), "/projects/3?tab=runs");
        for bad in ["//evil.test", "/\\evil.test", "/\t/evil.test", "/\n/evil.test", "/x\r\nSet-Cookie: a=b", "https://evil.test/", "/ /evil.test", "evil", ""]
        {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
