//! `/api/v1` for the agreed scope, change requests, training notes and the activity log.

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::json;

use preflight_model::{ChangeRequestInput, Decision, ScopeInput, TrainingInput};
use preflight_store::{activity, projects, scope, training, AppError};

use crate::state::AppState;

use crate::api::{ApiJson, ApiQuery, ApiResult, ApiUser, Id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/projects/{id}/scope-items", get(list_items).post(create_item))
        .route("/scope-items/{id}", get(get_item).patch(update_item).delete(delete_item))
        .route("/scope-items/{id}/restore", post(restore_item))
        .route("/scope-items/{id}/history", get(item_history))
        .route("/projects/{id}/scope", get(scope_at))
        .route("/projects/{id}/scope/compare", get(scope_compare))
        .route("/projects/{id}/change-requests", get(list_changes).post(propose))
        .route("/change-requests/{id}/decision", post(decide))
        .route("/projects/{id}/training-notes", get(list_notes).post(create_note))
        .route("/training-notes/{id}", get(get_note).patch(update_note).delete(delete_note))
        .route("/projects/{id}/activity", get(list_activity))
}

fn created<T: serde::Serialize>(location: String, body: T) -> Response {
    (StatusCode::CREATED, [(header::LOCATION, location)], Json(body)).into_response()
}

#[derive(Deserialize)]
struct ListItems {
    /// `true`: the deleted items instead of the register.
    #[serde(default)]
    deleted: bool,
}

async fn list_items(State(s): State<AppState>, _u: ApiUser, Id(id): Id, ApiQuery(q): ApiQuery<ListItems>) -> ApiResult<Response> {
    projects::get(&s.pool, id).await?;
    let items = if q.deleted { scope::deleted(&s.pool, id).await? } else { scope::items(&s.pool, id).await? };
    Ok(Json(json!({ "items": items })).into_response())
}

async fn create_item(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(input): ApiJson<ScopeInput>) -> ApiResult<Response> {
    let item = scope::create(&s.pool, id, &u.name, &input).await?;
    Ok(created(format!("/api/v1/scope-items/{}", item.id), item))
}

async fn get_item(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    Ok(Json(scope::get(&s.pool, id).await?).into_response())
}

async fn update_item(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(input): ApiJson<ScopeInput>) -> ApiResult<Response> {
    Ok(Json(scope::update(&s.pool, id, &u.name, &input).await?).into_response())
}

#[derive(Deserialize)]
struct DeleteItem {
    /// The version the caller saw; a later change makes the delete a conflict.
    version: Option<i64>,
    #[serde(default)]
    reason: String,
}

async fn delete_item(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiQuery(q): ApiQuery<DeleteItem>) -> ApiResult<Response> {
    Ok(Json(scope::delete(&s.pool, id, &u.name, q.version, &q.reason).await?).into_response())
}

async fn restore_item(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id) -> ApiResult<Response> {
    Ok(Json(scope::restore(&s.pool, id, &u.name).await?).into_response())
}

async fn item_history(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    Ok(Json(json!({ "history": scope::history(&s.pool, id).await? })).into_response())
}

#[derive(Deserialize)]
struct At {
    at: Option<String>,
}

#[derive(Deserialize)]
struct Between {
    from: Option<String>,
    to: Option<String>,
}

/// A moment: `YYYY-MM-DD` (the end of that day, UTC) or unix seconds.
fn moment(raw: &str) -> Result<i64, AppError> {
    scope::parse_moment(raw).ok_or_else(|| AppError::bad(format!("\"{}\" is not a date (YYYY-MM-DD) or unix seconds.", raw.trim())))
}

async fn scope_at(State(s): State<AppState>, _u: ApiUser, Id(id): Id, ApiQuery(q): ApiQuery<At>) -> ApiResult<Response> {
    projects::get(&s.pool, id).await?;
    let at = match q.at.as_deref() {
        Some(a) => moment(a)?,
        None => preflight_store::now(),
    };
    Ok(Json(json!({ "at": at, "items": scope::at(&s.pool, id, at).await? })).into_response())
}

/// Defaults: from the end of launch day to now.
async fn scope_compare(State(s): State<AppState>, _u: ApiUser, Id(id): Id, ApiQuery(q): ApiQuery<Between>) -> ApiResult<Response> {
    let project = projects::get(&s.pool, id).await?;
    let from = match q.from.as_deref() {
        Some(f) => moment(f)?,
        None => scope::end_of_day(&project.launch_date).unwrap_or(0),
    };
    let to = match q.to.as_deref() {
        Some(t) => moment(t)?,
        None => preflight_store::now(),
    };
    Ok(Json(scope::compare(&s.pool, id, from, to).await?).into_response())
}

async fn list_changes(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    projects::get(&s.pool, id).await?;
    Ok(Json(json!({ "change_requests": scope::change_requests(&s.pool, id).await? })).into_response())
}

async fn propose(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(input): ApiJson<ChangeRequestInput>) -> ApiResult<Response> {
    let cr = scope::propose(&s.pool, id, &u.name, false, &input).await?;
    Ok(created(format!("/api/v1/projects/{id}/change-requests"), cr))
}

async fn decide(State(s): State<AppState>, _u: ApiUser, Id(id): Id, ApiJson(d): ApiJson<Decision>) -> ApiResult<Response> {
    Ok(Json(scope::decide(&s.pool, id, &d).await?).into_response())
}

async fn list_notes(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    projects::get(&s.pool, id).await?;
    Ok(Json(json!({ "notes": training::list(&s.pool, id, false).await? })).into_response())
}

async fn create_note(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(input): ApiJson<TrainingInput>) -> ApiResult<Response> {
    let note = training::create(&s.pool, id, &u.name, &input).await?;
    Ok(created(format!("/api/v1/training-notes/{}", note.id), note))
}

async fn get_note(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    Ok(Json(training::get(&s.pool, id).await?).into_response())
}

async fn update_note(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(input): ApiJson<TrainingInput>) -> ApiResult<Response> {
    Ok(Json(training::update(&s.pool, id, &u.name, &input).await?).into_response())
}

async fn delete_note(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id) -> ApiResult<Response> {
    training::delete(&s.pool, id, &u.name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct ActivityFilter {
    kind: Option<String>,
    actor: Option<String>,
}

async fn list_activity(State(s): State<AppState>, _u: ApiUser, Id(id): Id, ApiQuery(f): ApiQuery<ActivityFilter>) -> ApiResult<Response> {
    projects::get(&s.pool, id).await?;
    Ok(Json(json!({ "activity": activity::list(&s.pool, id, f.kind.as_deref(), f.actor.as_deref(), 1000).await? })).into_response())
}

// ----- Share links and review status -----

pub fn share_router() -> Router<AppState> {
    Router::new()
        .route("/projects/{id}/share-links", get(list_links).post(create_link))
        .route("/share-links/{id}", axum::routing::delete(revoke_link))
        .route("/projects/{id}/reviews", get(list_reviews))
}

async fn create_link(
    State(s): State<AppState>,
    ApiUser(u): ApiUser,
    Id(id): Id,
    headers: axum::http::HeaderMap,
    ApiJson(input): ApiJson<preflight_model::ShareLinkInput>,
) -> ApiResult<Response> {
    let mut link = preflight_store::share::create(&s.pool, &u, id, &input).await?;
    // Absolute when the server knows its public address.
    link.url = link.url.map(|p| format!("{}{p}", s.public_origin(&headers).unwrap_or_default()));
    Ok(created(format!("/api/v1/projects/{id}/share-links"), link))
}

async fn list_links(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    projects::get(&s.pool, id).await?;
    Ok(Json(json!({ "share_links": preflight_store::share::list(&s.pool, id).await? })).into_response())
}

async fn revoke_link(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id) -> ApiResult<Response> {
    preflight_store::share::revoke(&s.pool, &u, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_reviews(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    projects::get(&s.pool, id).await?;
    Ok(Json(json!({
        "reviews": preflight_store::share::reviews(&s.pool, id).await?,
        "signoffs": preflight_store::share::signoffs(&s.pool, id).await?,
    }))
    .into_response())
}

// ----- Retrospectives and the template they feed -----

pub fn retro_router() -> Router<AppState> {
    Router::new()
        .route("/projects/{id}/retrospective", get(get_retro).put(save_retro))
        .route("/projects/{id}/retrospective/actions", post(add_action))
        .route("/retro-actions/{id}/promote", post(promote_action))
        .route("/template", get(template_versions).put(save_template))
        .route("/template/current", get(template_current))
}

async fn get_retro(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    Ok(Json(preflight_store::retro::get(&s.pool, id).await?).into_response())
}

async fn save_retro(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(input): ApiJson<preflight_model::RetroInput>) -> ApiResult<Response> {
    Ok(Json(preflight_store::retro::save(&s.pool, id, &u.name, &input).await?).into_response())
}

async fn add_action(
    State(s): State<AppState>,
    ApiUser(u): ApiUser,
    Id(id): Id,
    ApiJson(input): ApiJson<preflight_model::RetroActionInput>,
) -> ApiResult<Response> {
    let a = preflight_store::retro::add_action(&s.pool, id, &u.name, &input).await?;
    Ok(created(format!("/api/v1/projects/{id}/retrospective"), a))
}

async fn promote_action(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id) -> ApiResult<Response> {
    preflight_store::access::team_wide(&u, "change the checklist template")?;
    Ok(Json(preflight_store::retro::promote(&s.pool, id, &u.name).await?).into_response())
}

async fn template_versions(State(s): State<AppState>, _u: ApiUser) -> ApiResult<Response> {
    Ok(Json(json!({ "versions": preflight_store::retro::versions(&s.pool).await? })).into_response())
}

async fn template_current(State(s): State<AppState>, _u: ApiUser) -> ApiResult<Response> {
    Ok(Json(preflight_store::template::current(&s.pool).await?).into_response())
}

async fn save_template(State(s): State<AppState>, ApiUser(u): ApiUser, ApiJson(input): ApiJson<preflight_model::TemplateSave>) -> ApiResult<Response> {
    preflight_store::access::team_wide(&u, "change the checklist template")?;
    let v = preflight_store::template::save_edit(&s.pool, &u.name, &input).await?;
    Ok(created("/api/v1/template".to_string(), v))
}
