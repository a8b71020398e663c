//! The report formats validated against their published schemas: SARIF 2.1.0 (the OASIS JSON
//! Schema, with Python's `jsonschema`) and JUnit XML (Jenkins' junit-10.xsd, with `xmllint`).
//! Reports come from real runs against fixture sites, so they carry every check status.

mod common;

use std::{path::PathBuf, process::Command};

use axum::{http::StatusCode, response::IntoResponse, Router};
use common::*;
use preflight_engine::{CheckConfig, CheckStatus, EnvProfile};

fn schemas() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/schemas")
}

/// Reports with passed, failed, not applicable and skipped checks, and one of a site that
/// could not be reached.
async fn reports() -> Vec<preflight_engine::Report> {
    let app = Router::new().fallback(|req: axum::extract::Request| async move {
        match req.uri().path() {
            "/" => axum::response::Html(
                "<!doctype html><title>Shop & \"friends\"</title><p>Lorem ipsum <a href=\"/gone\">x</a> <a href=\"http://localhost/\">y</a></p>",
            )
            .into_response(),
            _ => (StatusCode::NOT_FOUND, "<html><body><center>nginx</center></body></html>").into_response(),
        }
    });
    let addr = serve_http(app).await;
    let mut dev = CheckConfig::new(&format!("http://127.0.0.1:{}/", addr.port())).unwrap();
    dev.env = EnvProfile::Dev;
    let mut prod = dev.clone();
    prod.env = EnvProfile::Production;
    prod.old_urls = vec!["/old".into()];
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = CheckConfig::new(&format!("http://127.0.0.1:{}/", closed.local_addr().unwrap().port())).unwrap();
    drop(closed);
    let out = vec![check(&dev).await, check(&prod).await, check(&gone).await];
    let statuses: Vec<CheckStatus> = out.iter().flat_map(|r| r.checks.iter().map(|c| c.status)).collect();
    for s in [CheckStatus::Passed, CheckStatus::Failed, CheckStatus::NotApplicable, CheckStatus::Skipped] {
        assert!(statuses.contains(&s), "the fixture reports must include {s:?}");
    }
    out
}

fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("preflight-formats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[tokio::test]
async fn sarif_validates_against_the_sarif_2_1_0_schema() {
    const VALIDATE: &str = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
V = jsonschema.validators.validator_for(schema)
V.check_schema(schema)
bad = 0
for path in sys.argv[2:]:
    for e in V(schema).iter_errors(json.load(open(path))):
        bad += 1
        print(path, "/".join(map(str, e.absolute_path)), e.message[:300])
sys.exit(1 if bad else 0)
"#;
    let mut files = Vec::new();
    for (i, r) in reports().await.iter().enumerate() {
        let sarif = r.to_sarif();
        let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
        let kinds: Vec<&str> = v["runs"][0]["results"].as_array().unwrap().iter().filter_map(|r| r["kind"].as_str()).collect();
        assert!(kinds.contains(&"fail"), "findings are fail results");
        if i == 0 {
            assert!(kinds.contains(&"pass") && kinds.contains(&"notApplicable"), "{kinds:?}");
        }
        files.push(write(&format!("report-{i}.sarif"), &sarif));
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(VALIDATE)
        .arg(schemas().join("sarif-schema-2.1.0.json"))
        .args(&files)
        .output()
        .expect("python3 with jsonschema is needed (scripts/setup.sh installs it)");
    assert!(out.status.success(), "SARIF does not validate:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn junit_validates_against_the_junit_xsd() {
    for (i, r) in reports().await.iter().enumerate() {
        let xml = r.to_junit();
        assert!(xml.contains("<skipped message=\""), "checks that did not look are skipped test cases");
        let file = write(&format!("report-{i}.xml"), &xml);
        let out = Command::new("xmllint")
            .args(["--noout", "--schema"])
            .arg(schemas().join("junit-10.xsd"))
            .arg(&file)
            .output()
            .expect("xmllint is needed (Debian's libxml2-utils; scripts/setup.sh installs it)");
        assert!(out.status.success(), "JUnit does not validate:\n{}\n{xml}", String::from_utf8_lossy(&out.stderr));
    }
}

#[tokio::test]
async fn json_lists_every_check_with_status_and_reason() {
    for r in reports().await {
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        let checks = v["checks"].as_array().unwrap();
        assert_eq!(checks.len(), preflight_engine::CATALOGUE.len());
        for c in checks {
            let status = c["status"].as_str().unwrap();
            assert!(["passed", "failed", "not_applicable", "skipped"].contains(&status), "{c}");
            let reason = c["reason"].as_str().unwrap();
            if matches!(status, "not_applicable" | "skipped") {
                assert!(!reason.is_empty(), "a check that did not look says why: {c}");
            }
        }
        let ran: Vec<&str> = checks.iter().filter(|c| matches!(c["status"].as_str(), Some("passed" | "failed"))).map(|c| c["id"].as_str().unwrap()).collect();
        let checks_run: Vec<&str> = v["checks_run"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        assert_eq!(ran, checks_run, "checks_run lists exactly the checks that looked");
    }
}
