//! The HTTP router: pages (server-rendered Leptos), server functions, sign-in handlers,
//! live events, the JSON API and static assets, wrapped in the security middleware.

use std::path::Path;

use axum::{
    http::{header, StatusCode},
    middleware::{from_fn, from_fn_with_state},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
    Router,
};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::{catch_panic::CatchPanicLayer, compression::CompressionLayer, services::ServeDir};

use app::{shell, App};

use crate::state::AppState;

use crate::{api, auth_routes, events, middleware, shots};

/// Builds the whole application. Tests call this and drive it with `oneshot`.
pub fn router(state: AppState) -> Router {
    // The route list is the same for every router, and working it out renders the app once:
    // done once per process (tests build many routers, at once).
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let site_root = state.leptos_options().site_root.to_string();
    let store = state.store().clone();
    let context = move || provide_context(store.clone());
    let options = state.leptos_options().clone();
    let version = state.leptos_options().site_pkg_dir.strip_prefix("pkg/").map(str::to_string);
    let pkg = Router::new()
        .fallback_service(ServeDir::new(Path::new(&site_root).join("pkg")).precompressed_br().precompressed_gzip())
        .layer(from_fn(move |req, next| crate::assets::serve(version.clone(), req, next)));
    Router::new()
        .route("/auth/login", post(auth_routes::login))
        .route("/auth/logout", post(auth_routes::logout))
        .route("/auth/setup", post(auth_routes::setup))
        .route("/unsubscribe/{token}", post(auth_routes::one_click_unsubscribe))
        .route("/events/projects/{id}", get(events::checklist_events))
        .route("/events/live", get(events::live_events))
        .route("/screenshots/{id}", get(shots::full))
        .route("/screenshots/{id}/thumb", get(shots::thumb))
        .route("/screenshots/{before}/diff/{after}", get(shots::diff))
        .route("/share/{token}/screenshots/{id}", get(shots::shared_full))
        .route("/share/{token}/screenshots/{id}/thumb", get(shots::shared_thumb))
        .route("/share/{token}/diff/{before}/{after}", get(shots::shared_diff))
        .route("/healthz", get(|| async { "ok" }))
        .route("/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/robots.txt", get(robots))
        .merge(crate::exports::app_routes())
        .merge(crate::share_forms::router())
        .nest("/api/v1", api::router())
        .nest("/pkg", pkg)
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(from_fn_with_state(state.clone(), middleware::project_access))
        .layer(from_fn_with_state(state.clone(), middleware::session))
        .layer(from_fn_with_state(state.clone(), middleware::share_rate_limit))
        .layer(from_fn(middleware::rpc_bad_arguments))
        .layer(from_fn_with_state(state.clone(), middleware::csrf))
        .layer(from_fn_with_state(state.clone(), middleware::security_headers))
        .layer(from_fn_with_state(state.clone(), middleware::known_host))
        .layer(CompressionLayer::new())
        .layer(CatchPanicLayer::custom(server_error_page))
        .with_state(state)
}

const FAVICON: &str = include_str!("../../style/favicon.svg");

async fn favicon() -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], FAVICON).into_response()
}

/// Preflight is a private team tool: keep it out of search engines.
async fn robots() -> Response {
    ([(header::CONTENT_TYPE, "text/plain")], "User-agent: *\nDisallow: /\n").into_response()
}

/// The styled 500 page, used when a handler panics. Details go to the log only.
fn server_error_page(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    (StatusCode::INTERNAL_SERVER_ERROR, Html(SERVER_ERROR_HTML)).into_response()
}

pub const SERVER_ERROR_HTML: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Something went wrong · Preflight</title><link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/pkg/preflight.css"></head>
<body><main id="main"><section class="card narrow center"><h1>Something went wrong</h1>
<p>The server hit an error it did not expect. It has been logged; please try again in a moment.</p>
<p><a class="button" href="/">Back to your projects</a></p></section></main></body></html>"#;

/// The 404 for a page of a project the person may not see (or that does not exist).
pub const NOT_FOUND_HTML: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Not found · Preflight</title><link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/pkg/preflight.css"></head>
<body><main id="main"><section class="card narrow center"><h1>Not found</h1>
<p>This page does not exist, or it belongs to a project you have not been added to. An owner can add you on the project's Share &amp; settings tab.</p>
<p><a class="button" href="/">Back to your projects</a></p></section></main></body></html>"#;
