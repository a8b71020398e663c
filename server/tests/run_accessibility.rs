//! A project's accessibility settings reach its check runs: the WCAG level and the rules it
//! leaves out (with the reason) decide which a11y-* checks apply. Real Chromium and axe-core
//! against a fixture site on 127.0.0.1, on SQLite and PostgreSQL.

mod common;

use axum::{
    extract::Request,
    http::{Method, StatusCode},
    response::{Html, IntoResponse},
    Router,
};
use serde_json::{json, Value};

use common::*;

fn site() -> Router {
    Router::new().fallback(|req: Request| async move {
        let page = |body: &str| {
            Html(format!(
                "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>Shop</title></head>\
                 <body><main><h1>Shop</h1>{body}</main></body></html>"
            ))
        };
        match req.uri().path() {
            // A logo without alt text (level A), faint text (level AA), an h4 after the h1 (advice).
            "/" => page("<img src=\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='40' height='40'/%3E\" width=40 height=40><p style=\"color:#bbb\">Faint text</p><h4>Details</h4>").into_response(),
            _ => (StatusCode::NOT_FOUND, Html("<!doctype html><html lang=en><title>Not found</title><main><h1>Not found</h1></main></html>")).into_response(),
        }
    })
}

preflight_store::db_test! {
    async fn a_projects_wcag_level_and_ignored_rules_decide_its_accessibility_checks(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let browser = preflight_server::runner::BrowserRunner { endpoint: preflight_browser::Endpoint::Local { chromium: None }, max_pages: 2, concurrency: 2 };
        preflight_server::runner::start_with_browser(st.store().clone(), 1, Some(browser), preflight_server::runner::shutdown::Signal::default()).await.unwrap();
        let app = preflight_server::router(st.clone());
        let port = serve(site()).await;
        let body = |level: &str, ignore: Value| {
            json!({"name": "Shop", "launch_date": "2027-03-01", "viewports": "desktop", "wcag_level": level, "a11y_ignore": ignore, "environments": [
                {"name": "dev", "base_url": format!("http://127.0.0.1:{port}/"), "kind": "dev", "submit_forms": false}
            ]})
        };

        // Bad settings are refused in words that name the field.
        for (level, ignore, field) in [("AAA", json!([]), "wcag_level:"), ("A", json!(["colour-contrast = brand"]), "a11y_ignore:"), ("A", json!(["heading-order"]), "a11y_ignore:")] {
            let bad = api(&app, Method::POST, "/projects", Some(&tok), Some(body(level, ignore))).await;
            assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
            assert!(bad.json()["error"].as_str().unwrap().starts_with(field), "{}", bad.body);
        }
        let mut first = body("a", json!(["a11y-heading-order = the CMS theme sets the headings"]));
        first["throttle_mobile"] = json!(true);
        let created = api(&app, Method::POST, "/projects", Some(&tok), Some(first)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let pid = created.json()["id"].as_i64().unwrap();
        let project = api(&app, Method::GET, &format!("/projects/{pid}"), Some(&tok), None).await.json();
        assert_eq!((project["wcag_level"].as_str(), project["a11y_ignore"].clone()), (Some("A"), json!(["heading-order = the CMS theme sets the headings"])));
        assert_eq!(project["throttle_mobile"], true);

        let run = api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await.json()["id"].as_i64().unwrap();
        let done = wait_finished(&app, &tok, run).await;
        let checks = done["checks"].as_array().unwrap();
        let of = |id: &str| checks.iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no {id} in {checks:?}")).clone();
        assert_eq!(of("a11y-image-alt")["status"], "failed", "{done}");
        assert_eq!((of("a11y-color-contrast")["status"].as_str(), of("a11y-color-contrast")["reason"].as_str()), (Some("not_applicable"), Some("a WCAG level AA rule; this project asks for level A")));
        assert_eq!(of("a11y-heading-order")["reason"], "ignored for this project: the CMS theme sets the headings");
        assert_eq!(of("a11y-html-has-lang")["status"], "passed");
        let findings = api(&app, Method::GET, &format!("/runs/{run}/findings"), Some(&tok), None).await;
        let text = findings.body.clone();
        assert!(text.contains("a11y-image-alt") && !text.contains("a11y-color-contrast") && !text.contains("a11y-heading-order"), "{text}");

        // The run keeps each page's quality: its metrics, the rules it failed and where.
        let q = api(&app, Method::GET, &format!("/runs/{run}/quality"), Some(&tok), None).await;
        assert_eq!(q.status, StatusCode::OK, "{}", q.body);
        let q = q.json();
        let home = q["pages"].as_array().unwrap().iter().find(|p| p["url"].as_str().unwrap().ends_with(':') || p["url"].as_str().unwrap().ends_with('/')).cloned().unwrap_or_else(|| panic!("{q:#}"));
        assert_eq!(home["viewport"], "desktop");
        assert!(home["metrics"]["lcp_ms"].as_f64().is_some() && home["metrics"]["requests"].as_u64().unwrap() >= 1, "{home:#}");
        let alt = home["a11y"].as_array().unwrap().iter().find(|i| i["check"] == "a11y-image-alt").cloned().unwrap_or_else(|| panic!("{home:#}"));
        assert!(alt["nodes"][0]["rect"].as_array().is_some_and(|r| r.len() == 4), "{alt}");
        assert_eq!(q["budgets"].as_array().unwrap().iter().find(|b| b["metric"] == "lcp").unwrap()["value"], 2500.0);
        assert_eq!(q["trend"].as_array().unwrap().len(), 1, "one run of this environment so far");
        assert_eq!(api(&app, Method::GET, "/runs/999999/quality", Some(&tok), None).await.status, StatusCode::NOT_FOUND);

        // A project at AA with nothing left out: the faint text and the heading order are findings too.
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(body("AA", json!([])))).await.json()["id"].as_i64().unwrap();
        let run = api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await.json()["id"].as_i64().unwrap();
        let done = wait_finished(&app, &tok, run).await;
        let failed: Vec<&str> = done["checks"].as_array().unwrap().iter().filter(|c| c["status"] == "failed").filter_map(|c| c["id"].as_str()).filter(|id| id.starts_with("a11y-")).collect();
        assert_eq!(failed, vec!["a11y-color-contrast", "a11y-heading-order", "a11y-image-alt"], "{done}");
    }
}
