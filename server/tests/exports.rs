//! Downloads to hand over: checklist and findings CSV (formula-safe), a run's SARIF and
//! JUnit (the CLI's documents), and the launch report — HTML that needs nothing else, and a
//! PDF printed by the real Chromium that `pdftotext` reads back.

mod common;

use axum::{
    body::Body,
    http::{header, Method, StatusCode},
    Router,
};
use serde_json::{json, Value};

use common::*;

fn finding(check: &str, severity: &str, url: &str, message: &str) -> preflight_model::FindingView {
    preflight_model::FindingView {
        check: check.into(),
        severity: severity.into(),
        url: url.into(),
        message: message.into(),
        evidence: "=HYPERLINK(\"http://evil.test\")".into(),
        advice: String::new(),
        title: String::new(),
    }
}

async fn get(app: &Router, path: &str, cookie: &str) -> Res {
    send(app, browser(Method::GET, path).header(header::COOKIE, cookie).body(Body::empty()).unwrap()).await
}

preflight_store::db_test! {
    async fn checklists_runs_and_the_launch_report_download(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let cookie = session_cookie(&login(&app, "owner@example.test", PASSWORD).await);
        let body = json!({"name": "Bakery relaunch", "client": "Bakery Ltd", "launch_date": "2027-03-01",
            "environments": [{"name": "production", "kind": "production", "base_url": "https://bakery.test"}]});
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(body)).await.json()["id"].as_i64().unwrap();
        api(&app, Method::POST, &format!("/projects/{pid}/scope-items"), Some(&tok), Some(json!({"title": "Online shop"}))).await;
        // A finished run with two findings.
        let run = preflight_store::runs::queue(st.store(), &user, pid, "production").await.unwrap();
        preflight_store::runs::claim_next(&pool, "w").await.unwrap();
        let checks = [
            preflight_engine::CheckOutcome { id: "broken-link".into(), status: preflight_engine::CheckStatus::Failed, reason: String::new() },
            preflight_engine::CheckOutcome { id: "https-redirect-missing".into(), status: preflight_engine::CheckStatus::Passed, reason: String::new() },
        ];
        let findings = [
            finding("broken-link", "error", "https://bakery.test/menu", "A link leads to a missing page"),
            finding("broken-link", "warning", "https://bakery.test/", "-1 tricky message, \"quoted\""),
        ];
        preflight_store::runs::finish(st.store(), run.id, "w", 3, &checks, &findings, "").await.unwrap();
        let share = api(&app, Method::POST, &format!("/projects/{pid}/share-links"), Some(&tok), Some(json!({}))).await.json();
        let t = share["url"].as_str().unwrap().rsplit("/share/").next().unwrap().to_string();
        assert_eq!(share_form(&app, &t, "sign-off", &[("name", "Carla Client"), ("confirm", "yes")]).await, Ok(()));

        // Checklist CSV: every item, a header, formula-looking cells defused.
        let csv = get(&app, &format!("/projects/{pid}/export/checklist.csv"), &cookie).await;
        assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
        assert!(csv.header("content-type").starts_with("text/csv"));
        assert!(csv.header("content-disposition").contains("attachment; filename=\"bakery-relaunch-checklist.csv\""), "{}", csv.header("content-disposition"));
        let mut lines = csv.body.lines();
        assert_eq!(lines.next().unwrap(), "phase,item,state,not applicable because,due,overdue,assignee,changed by,changed on,checks,evidence,notes");
        let items = api(&app, Method::GET, &format!("/projects/{pid}/checklist"), Some(&tok), None).await.json();
        let rows = csv::Reader::from_reader(csv.body.as_bytes()).records().count();
        assert_eq!(rows, items["items"].as_array().unwrap().len());
        assert!(csv.body.contains("broken-link in production: failed (run #"), "evidence in words: {}", csv.body);
        // The API gives the same with a token.
        let by_token = api(&app, Method::GET, &format!("/projects/{pid}/checklist.csv"), Some(&tok), None).await;
        assert_eq!((by_token.status, by_token.body.as_str()), (StatusCode::OK, csv.body.as_str()));

        // Findings CSV.
        let f = get(&app, &format!("/runs/{}/export/findings.csv", run.id), &cookie).await;
        assert_eq!(f.status, StatusCode::OK);
        assert!(f.body.starts_with("severity,check,problem,url,message,evidence,advice\nerror,broken-link,"), "{}", f.body);
        assert!(f.body.contains("'=HYPERLINK") && !f.body.contains(",=HYPERLINK"), "no formulas: {}", f.body);
        assert!(f.body.contains("\"'-1 tricky message, \"\"quoted\"\"\""), "{}", f.body);

        // SARIF and JUnit: the CLI's documents.
        let sarif = get(&app, &format!("/runs/{}/export/report.sarif", run.id), &cookie).await;
        assert_eq!(sarif.status, StatusCode::OK);
        let doc: Value = serde_json::from_str(&sarif.body).unwrap();
        assert_eq!(doc["version"], "2.1.0");
        let results = doc["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.iter().filter(|r| r["kind"] == "fail").count(), 2, "{doc}");
        assert!(results.iter().any(|r| r["kind"] == "pass" && r["ruleId"] == "https-redirect-missing"), "a check that looked and passed: {doc}");
        assert_eq!(doc["runs"][0]["results"][0]["ruleId"], "broken-link");
        let junit = api(&app, Method::GET, &format!("/runs/{}/junit", run.id), Some(&tok), None).await;
        assert_eq!(junit.status, StatusCode::OK);
        assert!(junit.body.starts_with("<?xml") && junit.body.contains("<testcase") && junit.body.contains("<failure"), "{}", junit.body);
        let api_sarif = api(&app, Method::GET, &format!("/runs/{}/sarif", run.id), Some(&tok), None).await;
        assert_eq!(api_sarif.body, sarif.body);

        // Unfinished runs, missing records, no session: refused in words.
        let queued = preflight_store::runs::queue(st.store(), &user, pid, "production").await.unwrap();
        let early = get(&app, &format!("/runs/{}/export/report.sarif", queued.id), &cookie).await;
        assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
        assert!(early.body.contains("has not finished"), "{}", early.body);
        assert_eq!(get(&app, "/runs/999999/export/findings.csv", &cookie).await.status, StatusCode::NOT_FOUND);
        assert_eq!(api(&app, Method::GET, "/projects/999999/checklist.csv", Some(&tok), None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(api(&app, Method::GET, &format!("/runs/{}/sarif", run.id), None, None).await.status, StatusCode::UNAUTHORIZED);
        let anonymous = send(&app, browser(Method::GET, &format!("/projects/{pid}/export/checklist.csv")).body(Body::empty()).unwrap()).await;
        assert!(!anonymous.status.is_success(), "a download for signed-in people only: {}", anonymous.status);

        // The launch report: HTML with everything inside and its own strict CSP.
        let report = get(&app, &format!("/projects/{pid}/report"), &cookie).await;
        assert_eq!(report.status, StatusCode::OK, "{}", report.body);
        assert!(report.header("content-security-policy").starts_with("default-src 'none'"));
        for part in ["Launch report · Bakery relaunch", "For Bakery Ltd", "Signed off by Carla Client", "Online shop", "A link leads to a missing page", "Checklist"] {
            assert!(report.body.contains(part), "the report says {part:?}");
        }
        assert!(!report.body.contains("src=\"http") && !report.body.contains("href=\"http"), "nothing fetched");
        // This test's state has no browser: the PDF says how to get one, without a 5xx.
        let pdf = get(&app, &format!("/projects/{pid}/report.pdf"), &cookie).await;
        assert_eq!(pdf.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(pdf.body.contains("cannot print PDFs"), "{}", pdf.body);

        // With the system Chromium the PDF is printed; pdftotext reads it back.
        let printing = st.clone().map_store(|mut s| {
            s.pdf_browser = Some(preflight_browser::Endpoint::Local { chromium: None });
            s
        });
        let app = preflight_server::router(printing);
        let pdf = get(&app, &format!("/projects/{pid}/report.pdf"), &cookie).await;
        assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
        assert_eq!(pdf.header("content-type"), "application/pdf");
        assert!(pdf.body.starts_with("%PDF-"), "a PDF");
        // (The body was read as text; fetch the bytes again for the file.)
        let req = browser(Method::GET, &format!("/projects/{pid}/report.pdf")).header(header::COOKIE, &cookie).body(Body::empty()).unwrap();
        let bytes = send_bytes(&app, req).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("report.pdf");
        std::fs::write(&file, &bytes).unwrap();
        let text = std::process::Command::new("pdftotext").arg(&file).arg("-").output().expect("pdftotext (poppler-utils) is installed");
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("Bakery relaunch") && text.contains("Signed off by Carla Client"), "{text}");
    }
}
