//! `/api/v1` for notifications: the signed-in person's notification centre, a project's rules
//! and webhooks, and the deliveries page (the outbox).

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post, put},
    Json, Router,
};
use serde::Deserialize;
use serde_json::json;

use preflight_model::WebhookInput;
use preflight_store::{notify, projects};

use crate::{
    api::{ApiJson, ApiResult, ApiUser, Id},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(my_notifications))
        .route("/notifications/read", post(mark_read))
        .route("/projects/{id}/notification-rules", get(list_rules).put(set_rule))
        .route("/projects/{id}/webhooks", get(list_hooks).post(create_hook))
        .route("/webhooks/{id}", put(update_hook).delete(delete_hook).get(get_hook))
        .route("/webhooks/{id}/secret", post(rotate_secret))
        .route("/projects/{id}/deliveries", get(list_deliveries))
        .route("/deliveries/{id}/retry", post(retry))
}

async fn my_notifications(State(s): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<preflight_model::NotificationList>> {
    Ok(Json(notify::list_for(&s.pool, u.id, 100).await?))
}

/// `{"ids": [1, 2]}` marks those read; `{}` marks all.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Read {
    #[serde(default)]
    ids: Option<Vec<i64>>,
}

async fn mark_read(State(s): State<AppState>, ApiUser(u): ApiUser, ApiJson(body): ApiJson<Read>) -> ApiResult<Json<preflight_model::NotificationList>> {
    Ok(Json(notify::mark_read(&s, u.id, body.ids.as_deref()).await?))
}

async fn list_rules(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    Ok(Json(json!({ "rules": notify::rules(&s.pool, id).await? })).into_response())
}

/// `{"rule": "site-down", "enabled": false}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetRule {
    rule: String,
    enabled: bool,
}

async fn set_rule(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(body): ApiJson<SetRule>) -> ApiResult<Response> {
    Ok(Json(json!({ "rules": notify::set_rule(&s.pool, &u, id, &body.rule, body.enabled).await? })).into_response())
}

async fn list_hooks(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    projects::get(&s.pool, id).await?;
    Ok(Json(json!({ "webhooks": notify::webhooks(&s.pool, id).await? })).into_response())
}

async fn create_hook(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(body): ApiJson<WebhookInput>) -> ApiResult<Response> {
    let hook = notify::create_webhook(&s, &u, id, &body).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/webhooks/{}", hook.id))], Json(hook)).into_response())
}

async fn get_hook(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Json<preflight_model::Webhook>> {
    Ok(Json(notify::webhook(&s.pool, id).await?))
}

async fn update_hook(
    State(s): State<AppState>,
    ApiUser(u): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<WebhookInput>,
) -> ApiResult<Json<preflight_model::Webhook>> {
    Ok(Json(notify::update_webhook(&s, &u, id, &body).await?))
}

async fn delete_hook(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id) -> ApiResult<Response> {
    notify::delete_webhook(&s, &u, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn rotate_secret(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id) -> ApiResult<Json<preflight_model::Webhook>> {
    Ok(Json(notify::rotate_secret(&s, &u, id).await?))
}

async fn list_deliveries(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    projects::get(&s.pool, id).await?;
    Ok(Json(json!({ "deliveries": notify::deliveries(&s.pool, id, 200).await? })).into_response())
}

async fn retry(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    notify::retry(&s, id).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}
