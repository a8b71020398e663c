//! The public JSON API under `/api/v1`, for scripts and CI. Authenticated with per-user
//! API tokens (`Authorization: Bearer pft_…`). Every error is a JSON body
//! `{"error": "…"}` with a 4xx status; details of 5xx errors are logged, not returned.
//! Described by the OpenAPI document at `/api/v1/openapi.json`.

use axum::{
    extract::{rejection::JsonRejection, FromRequest, FromRequestParts, Path, RawQuery, Request, State},
    http::{header, request::Parts, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, patch},
    Json, Router,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::json;

use preflight_model::{ChecklistItem, FindingView, ItemChange, ItemState, Project, ProjectInput, RunSummary, UpdateOutcome, UserInfo};
use preflight_store::{auth, checklist, projects, runs, AppError};

use crate::state::AppState;

/// The OpenAPI 3.1 document, kept next to the code it describes.
pub const OPENAPI: &str = include_str!("openapi.json");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/projects", get(list_projects).post(create_project))
        .route("/projects/{id}", get(get_project).delete(delete_project))
        .route("/projects/{id}/checklist", get(get_checklist))
        .route("/checklist-items/{id}", patch(patch_item).get(get_item))
        .route("/projects/{id}/runs", get(list_runs).post(start_run))
        .route("/projects/{id}/deploys", get(list_deploys).post(record_deploy))
        .route("/environments/{id}/credentials", axum::routing::put(put_credentials).delete(delete_credentials))
        .route("/environments/{id}/old-urls/import", axum::routing::post(import_old_urls))
        .route("/projects/{id}/schedules", get(list_schedules))
        .route("/environments/{id}/schedule", get(get_schedule).put(put_schedule))
        .route("/environments/{id}/schedule/pause", axum::routing::post(pause_schedule))
        .route("/environments/{id}/schedule/resume", axum::routing::post(resume_schedule))
        .route("/runs/{id}", get(get_run))
        .route("/runs/{id}/findings", get(run_findings))
        .route("/runs/{id}/screenshots", get(run_screenshots))
        .route("/runs/{id}/quality", get(run_quality))
        .route("/projects/{id}/replan", axum::routing::post(replan))
        .route("/projects/{id}/checklist/bulk", axum::routing::post(bulk_phase))
        .route("/my-items", get(my_items))
        .route("/runs/{id}/baseline", axum::routing::post(accept_baseline))
        .route("/runs/{id}/approve-unchanged", axum::routing::post(approve_unchanged))
        .route("/screenshots/{id}/review", axum::routing::post(review_screenshot))
        .route("/projects/{id}/members", get(project_members))
        .route("/projects/{id}/members/{user_id}", axum::routing::put(add_project_member).delete(remove_project_member))
        .route("/users/{id}/restricted", axum::routing::put(set_restricted))
        .merge(crate::api_scope::router())
        .merge(crate::api_scope::share_router())
        .merge(crate::api_scope::retro_router())
        .merge(crate::api_notify::router())
        .merge(crate::exports::api_routes())
        .fallback(|| async { ApiError(AppError::NotFound("API endpoint")) })
        .method_not_allowed_fallback(|| async { (StatusCode::METHOD_NOT_ALLOWED, Json(json!({"error": "this method is not allowed on this endpoint"}))) })
}

/// An error as the API returns it.
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let mut res = (status, Json(json!({ "error": self.0.to_string() }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The user behind the request's API token.
pub struct ApiUser(pub UserInfo);

/// The token's user, when the access check in front of the API already looked it up.
#[derive(Clone)]
pub struct TokenUser(pub UserInfo);

/// The secret of an `Authorization: Bearer …` header.
pub fn bearer_token(headers: &header::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(TokenUser(u)) = parts.extensions.get::<TokenUser>() {
            return Ok(ApiUser(u.clone()));
        }
        let Some(token) = bearer_token(&parts.headers) else {
            return Err(ApiError(AppError::Unauthorized));
        };
        match auth::token_user(&state.pool, token).await? {
            Some(u) => Ok(ApiUser(u)),
            None => Err(ApiError(AppError::Unauthorized)),
        }
    }
}

/// JSON body extractor whose rejections are JSON errors saying what is wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(ApiError(match rej {
                JsonRejection::MissingJsonContentType(_) => AppError::Malformed("send the body as JSON with Content-Type: application/json".into()),
                JsonRejection::JsonSyntaxError(e) => AppError::Malformed(format!("the body is not valid JSON: {}", e.body_text())),
                JsonRejection::JsonDataError(e) => AppError::bad(format!("the body does not have the expected fields: {}", e.body_text())),
                other => AppError::Malformed(other.body_text()),
            })),
        }
    }
}

/// Query-string extractor whose rejections are JSON errors saying which parameter is wrong
/// (axum's own answers in plain text).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(rej) => Err(ApiError(AppError::Malformed(format!("the query string is not right: {}", rej.body_text())))),
        }
    }
}

/// Extractor of a path with two ids (`/projects/{id}/members/{user_id}`): a non-numeric one
/// is a 404 with a JSON body.
pub struct Ids(pub i64, pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Ids {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<(String, String)>::from_request_parts(parts, state).await {
            Ok(Path((a, b))) => match (a.parse::<i64>(), b.parse::<i64>()) {
                (Ok(a), Ok(b)) => Ok(Ids(a, b)),
                _ => Err(ApiError(AppError::NotFound("resource"))),
            },
            Err(_) => Err(ApiError(AppError::NotFound("resource"))),
        }
    }
}

/// Path id extractor: a non-numeric id is a 404 with a JSON body.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(s)) => s.parse::<i64>().map(Id).map_err(|_| ApiError(AppError::NotFound("resource"))),
            Err(_) => Err(ApiError(AppError::NotFound("resource"))),
        }
    }
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn list_projects(State(s): State<AppState>, ApiUser(u): ApiUser, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let include =
        url::form_urlencoded::parse(q.unwrap_or_default().as_bytes()).any(|(k, v)| k == "include_archived" && matches!(v.as_ref(), "true" | "1" | "yes"));
    let list = projects::list_for(&s.pool, &u, include).await?;
    Ok(Json(json!({ "projects": list })).into_response())
}

async fn create_project(State(s): State<AppState>, ApiUser(u): ApiUser, ApiJson(input): ApiJson<ProjectInput>) -> ApiResult<Response> {
    let id = projects::create(&s.pool, &u, &input).await?;
    let p = projects::get(&s.pool, id).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/projects/{id}"))], Json(p)).into_response())
}

/// Deletes a project; one with a launch sign-off is archived instead (200 with
/// `{"deleted": false, "archived": true, "message"}`).
async fn delete_project(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id) -> ApiResult<Response> {
    let outcome = projects::delete(&s.pool, &u, id, s.screenshots_dir.as_deref()).await?;
    Ok(Json(outcome).into_response())
}

async fn get_project(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Json<Project>> {
    Ok(Json(projects::get(&s.pool, id).await?))
}

#[derive(Serialize)]
struct ChecklistBody {
    project_id: i64,
    items: Vec<ChecklistItem>,
}

async fn get_checklist(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Json<ChecklistBody>> {
    projects::get(&s.pool, id).await?; // 404 for an unknown project, not an empty list
    Ok(Json(ChecklistBody { project_id: id, items: checklist::items(&s.pool, id).await? }))
}

async fn get_item(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Json<ChecklistItem>> {
    Ok(Json(checklist::item(&s.pool, id).await?))
}

/// `PATCH /checklist-items/{id}` body: `version` and one change — `state` (with `reason` when
/// `not_applicable`), `assignee_id` (a user id, or `null` to unassign) or `notes`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchItem {
    #[serde(default)]
    state: Option<String>,
    version: i64,
    #[serde(default)]
    reason: String,
    #[serde(default, deserialize_with = "present")]
    assignee_id: Option<Option<i64>>,
    #[serde(default)]
    notes: Option<String>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

async fn patch_item(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(body): ApiJson<PatchItem>) -> ApiResult<Response> {
    let change = match (body.state, body.assignee_id, body.notes) {
        (Some(state), None, None) => {
            let state = ItemState::parse(&state).ok_or_else(|| AppError::bad(format!("state must be one of todo, done, not_applicable (got {state:?})")))?;
            ItemChange::SetState { state, reason: body.reason }
        }
        (None, Some(user_id), None) => ItemChange::Assign { user_id },
        (None, None, Some(notes)) => ItemChange::Notes { notes },
        _ => return Err(AppError::bad("Give exactly one change: state, assignee_id or notes (with the item's version).").into()),
    };
    match checklist::update(&s, &u, id, body.version, &change).await? {
        UpdateOutcome::Updated { item } => Ok(Json(item).into_response()),
        UpdateOutcome::Conflict { current } => Ok((
            StatusCode::CONFLICT,
            Json(json!({
                "error": format!("version {} is stale: the item is at version {} (changed by {} since); fetch it and try again",
                    body.version, current.version, current.updated_by.clone().unwrap_or_else(|| "someone".into())),
                "current": current,
            })),
        )
            .into_response()),
    }
}

/// `POST /projects/{id}/runs` body: the environment's name (e.g. `production`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartRun {
    environment: String,
}

async fn start_run(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(body): ApiJson<StartRun>) -> ApiResult<Response> {
    let run = runs::queue(&s, &u, id, &body.environment).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/runs/{}", run.id))], Json(run)).into_response())
}

/// Records a deploy (from CI, after it deployed) and starts a run of that environment:
/// passes from earlier runs go stale, so the one-click tick waits for the new run.
async fn record_deploy(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(body): ApiJson<preflight_model::NewDeploy>) -> ApiResult<Response> {
    let d = preflight_store::deploys::record(&s, &u, id, &body).await?;
    let location = match d.deploy.run_id {
        Some(run_id) => format!("/api/v1/runs/{run_id}"),
        None => format!("/api/v1/projects/{id}/deploys"),
    };
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(d)).into_response())
}

/// Sets a protected environment's credentials (basic auth, a header or a cookie). The answer
/// shows what may be shown — never the secret.
async fn put_credentials(
    State(s): State<AppState>,
    ApiUser(u): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<preflight_model::Credentials>,
) -> ApiResult<Response> {
    let hint = preflight_store::environments::set_credentials(&s.pool, &s.sealer, &u, id, Some(&body)).await?;
    Ok(Json(json!({ "credentials": hint })).into_response())
}

async fn delete_credentials(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id) -> ApiResult<Response> {
    preflight_store::environments::set_credentials(&s.pool, &s.sealer, &u, id, None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportOldUrls {
    sitemap_url: String,
}

/// Adds the pages of the old site's sitemap.xml to the environment's old URLs.
async fn import_old_urls(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(body): ApiJson<ImportOldUrls>) -> ApiResult<Response> {
    let list = preflight_store::environments::import_old_urls(&s.pool, &u, id, &body.sitemap_url).await?;
    Ok(Json(json!({ "old_urls": list })).into_response())
}

async fn list_schedules(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    Ok(Json(json!({ "schedules": preflight_store::schedules::list(&s.pool, id).await? })).into_response())
}

async fn get_schedule(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Json<preflight_model::Schedule>> {
    Ok(Json(preflight_store::schedules::get(&s.pool, id).await?))
}

async fn put_schedule(
    State(s): State<AppState>,
    ApiUser(u): ApiUser,
    Id(id): Id,
    ApiJson(body): ApiJson<preflight_model::ScheduleInput>,
) -> ApiResult<Json<preflight_model::Schedule>> {
    Ok(Json(preflight_store::schedules::set(&s, &u, id, &body).await?))
}

/// Pauses or resumes a schedule, keeping its settings.
async fn set_paused(s: &AppState, u: &preflight_model::UserInfo, id: i64, paused: bool) -> ApiResult<Json<preflight_model::Schedule>> {
    let current = preflight_store::schedules::get(&s.pool, id).await?;
    let settings = preflight_model::ScheduleInput { paused, ..current.settings };
    Ok(Json(preflight_store::schedules::set(s, u, id, &settings).await?))
}

async fn pause_schedule(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id) -> ApiResult<Json<preflight_model::Schedule>> {
    set_paused(&s, &u, id, true).await
}

async fn resume_schedule(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id) -> ApiResult<Json<preflight_model::Schedule>> {
    set_paused(&s, &u, id, false).await
}

async fn list_deploys(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    Ok(Json(json!({ "deploys": preflight_store::deploys::list(&s.pool, id, 100).await? })).into_response())
}

async fn list_runs(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Response> {
    projects::get(&s.pool, id).await?;
    Ok(Json(json!({ "runs": runs::list(&s.pool, id, 100).await? })).into_response())
}

/// A run with every check's outcome (`checks`: passed, failed, not_applicable or skipped,
/// with the reason; empty until the run has finished).
#[derive(serde::Serialize)]
struct RunBody {
    #[serde(flatten)]
    run: RunSummary,
    checks: Vec<preflight_model::CheckResult>,
}

async fn get_run(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Json<RunBody>> {
    let run = runs::get(&s.pool, id).await?;
    let findings = runs::findings(&s.pool, id).await?;
    let checks = runs::check_outcomes(&s.pool, &run, &findings).await?;
    Ok(Json(RunBody { run, checks }))
}

#[derive(Serialize)]
struct FindingsBody {
    run_id: i64,
    status: preflight_model::RunStatus,
    findings: Vec<FindingView>,
}

/// The run's screenshots (`/screenshots/{id}` serves each image, `…/thumb` its thumbnail).
/// Every page at every viewport of a run: timing, transfer and accessibility issues, with the
/// project's budgets and the environment's trend.
async fn run_quality(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Json<preflight_model::RunQuality>> {
    Ok(Json(preflight_store::quality::for_run(&s.pool, id).await?))
}

async fn run_screenshots(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Json<preflight_model::Gallery>> {
    runs::get(&s.pool, id).await?;
    Ok(Json(preflight_store::screenshots::gallery(&s.pool, id).await?))
}

async fn my_items(State(s): State<AppState>, ApiUser(u): ApiUser) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(json!({ "items": checklist::assigned_to(&s.pool, &u).await? })))
}

/// `POST /projects/{id}/checklist/bulk` body: a `phase` and one change for its open items —
/// `state` `not_applicable` with a `reason`, or `assignee_id` (a user id, or `null`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkPhase {
    phase: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    reason: String,
    #[serde(default, deserialize_with = "present")]
    assignee_id: Option<Option<i64>>,
}

async fn bulk_phase(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(body): ApiJson<BulkPhase>) -> ApiResult<Json<serde_json::Value>> {
    let change = match (body.state.as_deref(), body.assignee_id) {
        (Some("not_applicable"), None) => ItemChange::SetState { state: ItemState::NotApplicable, reason: body.reason },
        (None, Some(user_id)) => ItemChange::Assign { user_id },
        _ => return Err(AppError::bad("Give one change: \"state\": \"not_applicable\" with a reason, or \"assignee_id\" (a user id or null).").into()),
    };
    let items = checklist::bulk(&s, &u, id, &body.phase, &change).await?;
    Ok(Json(json!({ "changed": items.len(), "items": items })))
}

async fn replan(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id) -> ApiResult<Json<serde_json::Value>> {
    let items = checklist::replan(&s, &u, id).await?;
    Ok(Json(json!({ "moved": items.len(), "items": items })))
}

async fn accept_baseline(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id) -> ApiResult<Json<preflight_model::Baseline>> {
    Ok(Json(preflight_store::screenshots::accept_baseline(&s.pool, &u, id).await?))
}

async fn approve_unchanged(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(json!({ "approved": preflight_store::screenshots::approve_unchanged(&s.pool, &u, id).await? })))
}

/// The team's verdict on one screenshot.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamReview {
    approve: bool,
    #[serde(default)]
    comment: String,
}

async fn review_screenshot(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(body): ApiJson<TeamReview>) -> ApiResult<Response> {
    let review = preflight_store::screenshots::team_review(&s.pool, &u, id, body.approve, &body.comment).await?;
    Ok((StatusCode::CREATED, Json(review)).into_response())
}

async fn run_findings(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Json<FindingsBody>> {
    let run = runs::get(&s.pool, id).await?;
    Ok(Json(FindingsBody { run_id: id, status: run.status, findings: runs::findings(&s.pool, id).await? }))
}

/// Who sees the project: `everyone` (unrestricted), `added` (restricted members on it, with
/// who added them) and `addable` (restricted members who are not).
async fn project_members(State(s): State<AppState>, _u: ApiUser, Id(id): Id) -> ApiResult<Json<preflight_model::ProjectAccess>> {
    Ok(Json(preflight_store::access::project_access(&s.pool, id).await?))
}

/// An owner adds a restricted member to the project.
async fn add_project_member(State(s): State<AppState>, ApiUser(u): ApiUser, Ids(project, user): Ids) -> ApiResult<Json<preflight_model::ProjectAccess>> {
    Ok(Json(preflight_store::access::add(&s.pool, &u, project, user).await?))
}

/// An owner takes a restricted member off the project; they lose access at once.
async fn remove_project_member(State(s): State<AppState>, ApiUser(u): ApiUser, Ids(project, user): Ids) -> ApiResult<Json<preflight_model::ProjectAccess>> {
    Ok(Json(preflight_store::access::remove(&s.pool, &u, project, user).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Restricted {
    restricted: bool,
}

/// An owner restricts a member to the projects they are added to (`true`), or lifts it.
async fn set_restricted(State(s): State<AppState>, ApiUser(u): ApiUser, Id(id): Id, ApiJson(body): ApiJson<Restricted>) -> ApiResult<Json<UserInfo>> {
    Ok(Json(preflight_store::access::set_restricted(&s.pool, &u, id, body.restricted).await?))
}
