//! Server-sent events: every change to a project's checklist, pushed to everyone viewing it.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Extension,
};
use futures::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use crate::state::AppState;
use preflight_model::{LiveUpdate, UserInfo};
use preflight_store::LiveEvent;

/// How often an open stream checks that its session still exists.
pub const SESSION_RECHECK: Duration = Duration::from_secs(5);

/// `GET /events/projects/{id}`: a stream of `{"project_id":…,"kind":"item","item":{…}}` and
/// `{"project_id":…,"kind":"run","run":{…}}` messages.
/// If this client falls too far behind, the stream ends; the browser reconnects and
/// reloads the checklist, so nothing is silently missed.
///
/// The stream ends within [`SESSION_RECHECK`] of its session ending (sign-out, expiry, an
/// account disabled): nothing more reaches a browser whose session is gone.
pub async fn checklist_events(
    State(state): State<AppState>,
    user: Option<Extension<UserInfo>>,
    headers: axum::http::HeaderMap,
    Path(project_id): Path<i64>,
) -> Response {
    // A person's notifications travel with the project they are about, but only to them
    // ([`live_events`]).
    stream(state, user, headers, Some(project_id), move |ev: &LiveEvent| ev.project_id == project_id && !matches!(ev.update, LiveUpdate::Notification { .. }))
        .await
}

/// `GET /events/live?project=ID`: one stream per page — the project's changes (when a project
/// is named) and the signed-in person's notifications — so a page holds one connection, not
/// one per feature (browsers allow six per server over HTTP/1.1, across all tabs).
pub async fn live_events(
    State(state): State<AppState>,
    user: Option<Extension<UserInfo>>,
    headers: axum::http::HeaderMap,
    crate::api::ApiQuery(q): crate::api::ApiQuery<LiveQuery>,
) -> Response {
    let me = user.as_ref().map(|u| u.0.id).unwrap_or(-1);
    stream(state, user, headers, q.project, move |ev: &LiveEvent| match ev.update {
        LiveUpdate::Notification { user_id, .. } => user_id == me,
        _ => q.project == Some(ev.project_id),
    })
    .await
}

#[derive(serde::Deserialize)]
pub struct LiveQuery {
    #[serde(default)]
    project: Option<i64>,
}

async fn stream(
    state: AppState,
    user: Option<Extension<UserInfo>>,
    headers: axum::http::HeaderMap,
    project: Option<i64>,
    wanted: impl Fn(&LiveEvent) -> bool + Send + Sync + 'static,
) -> Response {
    let Some(Extension(user)) = user else {
        return (StatusCode::UNAUTHORIZED, "please sign in").into_response();
    };
    if let Some(p) = project {
        if !preflight_store::access::can_see(&state.pool, &user, p).await.unwrap_or(false) {
            return (StatusCode::NOT_FOUND, "project not found").into_response();
        }
    }
    let secret = preflight_store::auth::session_secret(&headers);
    let pool = state.pool.clone();
    // `None` when the session is gone, or the person was taken off the project: the merged
    // stream stops there.
    let session_gone = futures::stream::unfold((pool, secret), move |(pool, secret)| async move {
        tokio::time::sleep(SESSION_RECHECK).await;
        let user = match &secret {
            Some(s) => preflight_store::auth::session_user(&pool, s).await.ok().flatten(),
            None => None,
        };
        let alive = match (user, project) {
            (Some(u), Some(p)) => preflight_store::access::can_see(&pool, &u, p).await.unwrap_or(false),
            (Some(_), None) => true,
            (None, _) => false,
        };
        Some((alive, (pool, secret)))
    })
    .filter(|alive| std::future::ready(!*alive))
    .map(|_| None);
    let wanted = std::sync::Arc::new(wanted);
    let events = BroadcastStream::new(state.events.subscribe())
        .take_while(|r| std::future::ready(r.is_ok()))
        .filter_map(move |r| {
            let wanted = wanted.clone();
            async move {
                let ev = r.ok()?;
                wanted(&ev).then(|| serde_json::to_string(&ev).ok()).flatten()
            }
        })
        .map(Some)
        // A client that fell behind: end the stream (it reconnects and reloads).
        .chain(futures::stream::once(std::future::ready(None)));
    let stream = futures::stream::select(events, session_gone)
        .take_while(|x| std::future::ready(x.is_some()))
        .filter_map(std::future::ready)
        .map(|json| Ok::<_, Infallible>(Event::default().data(json)));
    let mut res = Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response();
    res.headers_mut().insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    res
}
