//! Downloads to hand over: the checklist and a run's findings as CSV, a run as SARIF or
//! JUnit (the same documents `preflight check --format sarif|junit` writes), and the launch
//! report as HTML or as a PDF printed by Chromium. Each one for signed-in people (links in the
//! app) and for API tokens (`/api/v1/…`).

use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Extension, Router,
};

use preflight_model::UserInfo;
use preflight_store::{report, AppError};

use crate::{api::ApiUser, state::AppState};

/// What can be downloaded.
#[derive(Debug, Clone, Copy)]
enum Export {
    ChecklistCsv,
    FindingsCsv,
    Sarif,
    Junit,
    ReportHtml,
    ReportPdf,
}

/// The report document may only show itself: its own inline styles and embedded images.
const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A download as a response: its type, a file name, never cached by shared caches.
fn file(kind: &'static str, name: String, body: Vec<u8>, inline: bool) -> Response {
    let disposition = format!("{}; filename=\"{name}\"", if inline { "inline" } else { "attachment" });
    let mut res = ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "private, no-store")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

async fn project_slug(state: &AppState, id: i64) -> Result<String, AppError> {
    Ok(report::slug(&preflight_store::projects::get(&state.pool, id).await?.name))
}

async fn make(state: &AppState, what: Export, id: i64) -> Result<Response, AppError> {
    let pool = &state.pool;
    Ok(match what {
        Export::ChecklistCsv => {
            let csv = report::checklist_csv(pool, id).await?;
            file("text/csv; charset=utf-8", format!("{}-checklist.csv", project_slug(state, id).await?), csv.into_bytes(), false)
        }
        Export::FindingsCsv => file("text/csv; charset=utf-8", format!("run-{id}-findings.csv"), report::findings_csv(pool, id).await?.into_bytes(), false),
        Export::Sarif => {
            let doc = report::engine_report(pool, id).await?.to_sarif();
            file("application/sarif+json", format!("run-{id}.sarif"), doc.into_bytes(), false)
        }
        Export::Junit => {
            let doc = report::engine_report(pool, id).await?.to_junit();
            file("application/xml; charset=utf-8", format!("run-{id}-junit.xml"), doc.into_bytes(), false)
        }
        Export::ReportHtml => {
            let html = report::launch_report_html(pool, state.screenshots_dir.as_deref(), id).await?;
            let mut res = file("text/html; charset=utf-8", format!("{}-launch-report.html", project_slug(state, id).await?), html.into_bytes(), true);
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(REPORT_CSP));
            res
        }
        Export::ReportPdf => {
            let Some(endpoint) = state.pdf_browser.clone() else {
                return Ok((
                    StatusCode::SERVICE_UNAVAILABLE,
                    "This server runs without a browser (--no-browser), so it cannot print PDFs. The HTML launch report is at the same address without .pdf; print it from your browser.",
                )
                    .into_response());
            };
            let html = report::launch_report_html(pool, state.screenshots_dir.as_deref(), id).await?;
            let name = format!("{}-launch-report.pdf", project_slug(state, id).await?);
            match tokio::task::spawn_blocking(move || preflight_browser::pdf::print_pdf(&endpoint, &html)).await {
                Ok(Ok(pdf)) => file("application/pdf", name, pdf, true),
                Ok(Err(e)) => {
                    tracing::warn!(project = id, error = %e, "printing the launch report failed");
                    (StatusCode::SERVICE_UNAVAILABLE, format!("The browser could not print the report ({e}). The HTML launch report works without it."))
                        .into_response()
                }
                Err(e) => {
                    tracing::error!(project = id, error = %e, "the PDF printing task failed");
                    return Err(AppError::Internal);
                }
            }
        }
    })
}

/// Errors as plain sentences with their status (the API's JSON shape is not needed for files).
fn answer(r: Result<Response, AppError>) -> Response {
    r.unwrap_or_else(|e| (e.status(), e.to_string()).into_response())
}

async fn signed_in(state: AppState, user: Option<Extension<UserInfo>>, what: Export, id: i64) -> Response {
    if user.is_none() {
        return (StatusCode::UNAUTHORIZED, "Please sign in.").into_response();
    }
    answer(make(&state, what, id).await)
}

async fn by_token(state: AppState, what: Export, id: i64) -> Response {
    match make(&state, what, id).await {
        Ok(r) => r,
        Err(e) => crate::api::ApiError(e).into_response(),
    }
}

macro_rules! routes {
    ($($name:ident, $api:ident => $what:expr;)*) => {
        $(
            async fn $name(State(s): State<AppState>, user: Option<Extension<UserInfo>>, Path(id): Path<i64>) -> Response {
                signed_in(s, user, $what, id).await
            }
            async fn $api(State(s): State<AppState>, _u: ApiUser, Path(id): Path<i64>) -> Response {
                by_token(s, $what, id).await
            }
        )*
    };
}

routes! {
    checklist_csv, api_checklist_csv => Export::ChecklistCsv;
    findings_csv, api_findings_csv => Export::FindingsCsv;
    sarif, api_sarif => Export::Sarif;
    junit, api_junit => Export::Junit;
    report_html, api_report_html => Export::ReportHtml;
    report_pdf, api_report_pdf => Export::ReportPdf;
}

/// The app's download links (session).
pub fn app_routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{id}/export/checklist.csv", get(checklist_csv))
        .route("/projects/{id}/report", get(report_html))
        .route("/projects/{id}/report.pdf", get(report_pdf))
        .route("/runs/{id}/export/findings.csv", get(findings_csv))
        .route("/runs/{id}/export/report.sarif", get(sarif))
        .route("/runs/{id}/export/junit.xml", get(junit))
}

/// The same under `/api/v1` (API tokens).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{id}/checklist.csv", get(api_checklist_csv))
        .route("/projects/{id}/report", get(api_report_html))
        .route("/projects/{id}/report.pdf", get(api_report_pdf))
        .route("/runs/{id}/findings.csv", get(api_findings_csv))
        .route("/runs/{id}/sarif", get(api_sarif))
        .route("/runs/{id}/junit", get(api_junit))
}
