//! Screenshot images for signed-in people: `/screenshots/{id}` (PNG),
//! `/screenshots/{id}/thumb` (small JPEG of the first screen) and
//! `/screenshots/{before}/diff/{after}` (the visual diff, made on first request).

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};

use preflight_model::UserInfo;
use preflight_store::{screenshots, AppError};

use crate::state::AppState;

/// Screenshot files never change once written.
const IMMUTABLE: &str = "private, max-age=31536000, immutable";

async fn send(path: std::path::PathBuf, kind: &'static str) -> Response {
    match tokio::fs::read(&path).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, IMMUTABLE)], bytes).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "this screenshot's file is gone").into_response(),
    }
}

fn refuse(e: AppError) -> Response {
    let status = match e {
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::BadRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, e.to_string()).into_response()
}

fn ready(state: &AppState, user: &Option<Extension<UserInfo>>) -> Result<std::path::PathBuf, (StatusCode, &'static str)> {
    if user.is_none() {
        return Err((StatusCode::UNAUTHORIZED, "please sign in"));
    }
    state.screenshots_dir.clone().ok_or((StatusCode::NOT_FOUND, "this server keeps no screenshots"))
}

pub async fn full(State(state): State<AppState>, user: Option<Extension<UserInfo>>, Path(id): Path<i64>) -> Response {
    image(state, user, id, screenshots::Variant::Full).await
}

pub async fn thumb(State(state): State<AppState>, user: Option<Extension<UserInfo>>, Path(id): Path<i64>) -> Response {
    image(state, user, id, screenshots::Variant::Thumbnail).await
}

async fn image(state: AppState, user: Option<Extension<UserInfo>>, id: i64, variant: screenshots::Variant) -> Response {
    let dir = match ready(&state, &user) {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    match screenshots::file(&state.pool, &dir, id, variant).await {
        Ok((path, kind)) => send(path, kind).await,
        Err(e) => refuse(e),
    }
}

pub async fn diff(State(state): State<AppState>, user: Option<Extension<UserInfo>>, Path((before, after)): Path<(i64, i64)>) -> Response {
    let dir = match ready(&state, &user) {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    match screenshots::diff(&state.pool, &dir, before, after).await {
        Ok((view, path)) => {
            let mut res = send(path, "image/png").await;
            if let Ok(v) = view.changed_ppm.to_string().parse() {
                res.headers_mut().insert("x-changed-ppm", v);
            }
            res
        }
        Err(e) => refuse(e),
    }
}

// ----- The same images through a client's share link -----

async fn granted(state: &AppState, token: &str, ids: &[i64]) -> Result<std::path::PathBuf, Response> {
    let dir = state.screenshots_dir.clone().ok_or_else(|| (StatusCode::NOT_FOUND, "no screenshots here").into_response())?;
    let not_found = || (StatusCode::NOT_FOUND, "this review link does not exist, was revoked or has expired").into_response();
    let grant = preflight_store::share::resolve(&state.pool, token).await.map_err(|_| not_found())?;
    for id in ids {
        if !preflight_store::share::may_see_screenshot(&state.pool, &grant, *id).await.unwrap_or(false) {
            return Err(not_found());
        }
    }
    Ok(dir)
}

pub async fn shared_full(State(state): State<AppState>, Path((token, id)): Path<(String, i64)>) -> Response {
    shared(state, token, id, screenshots::Variant::Full).await
}

pub async fn shared_thumb(State(state): State<AppState>, Path((token, id)): Path<(String, i64)>) -> Response {
    shared(state, token, id, screenshots::Variant::Thumbnail).await
}

async fn shared(state: AppState, token: String, id: i64, variant: screenshots::Variant) -> Response {
    let dir = match granted(&state, &token, &[id]).await {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    match screenshots::file(&state.pool, &dir, id, variant).await {
        Ok((path, kind)) => send(path, kind).await,
        Err(e) => refuse(e),
    }
}

pub async fn shared_diff(State(state): State<AppState>, Path((token, before, after)): Path<(String, i64, i64)>) -> Response {
    let dir = match granted(&state, &token, &[before, after]).await {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    match screenshots::diff(&state.pool, &dir, before, after).await {
        Ok((_, path)) => send(path, "image/png").await,
        Err(e) => refuse(e),
    }
}
