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

use app::model::UserInfo;
use app::ssr::AppState;

/// `GET /events/projects/{id}`: a stream of `{"project_id":…,"kind":"item","item":{…}}` and
/// `{"project_id":…,"kind":"run","run":{…}}` messages.
/// If this client falls too far behind, the stream ends; the browser reconnects and
/// reloads the checklist, so nothing is silently missed.
pub async fn checklist_events(State(state): State<AppState>, user: Option<Extension<UserInfo>>, Path(project_id): Path<i64>) -> Response {
    if user.is_none() {
        return (StatusCode::UNAUTHORIZED, "please sign in").into_response();
    }
    let stream = BroadcastStream::new(state.events.subscribe())
        .take_while(|r| std::future::ready(r.is_ok()))
        .filter_map(move |r| async move {
            let ev = r.ok()?;
            (ev.project_id == project_id).then(|| serde_json::to_string(&ev).ok()).flatten()
        })
        .map(|json| Ok::<_, Infallible>(Event::default().data(json)));
    let mut res = Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response();
    res.headers_mut().insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    res
}
