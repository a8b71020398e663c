//! Retrospectives: suggestions from the launch data, saving with conflict detection, and
//! promotion of an action item into a new checklist template version that the next
//! project's checklist includes.

mod common;

use axum::http::{Method, StatusCode};
use serde_json::json;

use common::*;

preflight_store::db_test! {
    async fn retro_actions_become_template_items_for_the_next_project(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let body = |name: &str| json!({"name": name, "launch_date": "2026-11-01", "environments": []});
        let first = api(&app, Method::POST, "/projects", Some(&tok), Some(body("First shop"))).await.json()["id"].as_i64().unwrap();

        // A late tick: done today, due weeks ago.
        let items = api(&app, Method::GET, &format!("/projects/{first}/checklist"), Some(&tok), None).await.json();
        let early = items["items"].as_array().unwrap().iter().find(|i| i["due_offset_days"].as_i64().unwrap() <= -14).unwrap().clone();
        api(&app, Method::PATCH, &format!("/checklist-items/{}", early["id"]), Some(&tok), Some(json!({"state": "done", "version": early["version"]}))).await;
        let retro = api(&app, Method::GET, &format!("/projects/{first}/retrospective"), Some(&tok), None).await.json();
        let late: Vec<&str> = retro["suggestions"].as_array().unwrap().iter().filter(|s| s["kind"] == "late-tick").map(|s| s["text"].as_str().unwrap()).collect();
        assert!(late.iter().any(|t| t.contains(early["title"].as_str().unwrap())), "{retro}");
        // Each suggestion comes with an action to add in one click: earlier than the late tick.
        let sug = retro["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == "late-tick" && s["text"].as_str().unwrap().contains(early["title"].as_str().unwrap()))
            .unwrap();
        let proposed = sug["action"].clone();
        assert!(proposed["title"].as_str().unwrap().starts_with("Start \""), "{proposed}");
        assert!(proposed["due_offset_days"].as_i64().unwrap() < early["due_offset_days"].as_i64().unwrap(), "{proposed} vs {early}");
        let one_click = api(&app, Method::POST, &format!("/projects/{first}/retrospective/actions"), Some(&tok), Some(proposed.clone())).await;
        assert_eq!(one_click.status, StatusCode::CREATED, "{}", one_click.body);
        assert_eq!(one_click.json()["due_offset_days"], proposed["due_offset_days"]);

        // Saving: first save, then a stale save is refused.
        let saved = api(
            &app,
            Method::PUT,
            &format!("/projects/{first}/retrospective"),
            Some(&tok),
            Some(json!({"went_well": "Launched on time", "smoother": "DNS", "version": 0})),
        )
        .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
        assert_eq!(saved.json()["version"], 1);
        let stale = api(&app, Method::PUT, &format!("/projects/{first}/retrospective"), Some(&tok), Some(json!({"went_well": "x", "version": 0}))).await;
        assert_eq!(stale.status, StatusCode::CONFLICT);

        // An action, promoted into the template.
        let bad = api(&app, Method::POST, &format!("/projects/{first}/retrospective/actions"), Some(&tok), Some(json!({"title": "x", "phase": "someday"}))).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let mixed = api(
            &app,
            Method::POST,
            &format!("/projects/{first}/retrospective/actions"),
            Some(&tok),
            Some(json!({"title": "x", "phase": "search", "checks": ["sitemap-missing", "dev-banner-missing"]})),
        )
        .await;
        assert_eq!(mixed.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", mixed.body);
        assert!(mixed.json()["error"].as_str().unwrap().contains("two actions"));
        let action = api(
            &app,
            Method::POST,
            &format!("/projects/{first}/retrospective/actions"),
            Some(&tok),
            Some(json!({"title": "Ask the client for DNS access a month ahead", "phase": "launch-week", "why": "We waited four days for the registrar",
                        "checks": ["dns-ttl-not-lowered"]})),
        )
        .await;
        assert_eq!(action.status, StatusCode::CREATED, "{}", action.body);
        assert_eq!(action.json()["due_offset_days"], -3, "no due given: the phase's usual day, not launch day");
        assert_eq!(action.json()["checks"], json!(["dns-ttl-not-lowered"]));
        let aid = action.json()["id"].as_i64().unwrap();
        let before = api(&app, Method::GET, "/template", Some(&tok), None).await.json()["versions"][0]["version"].as_i64().unwrap();
        let v = api(&app, Method::POST, &format!("/retro-actions/{aid}/promote"), Some(&tok), None).await;
        assert_eq!(v.status, StatusCode::OK, "{}", v.body);
        let v = v.json();
        assert_eq!(v["version"].as_i64().unwrap(), before + 1);
        assert!(v["source"].as_str().unwrap().contains("First shop"));
        let promoted =
            v["items"].as_array().unwrap().iter().find(|i| i["title"] == "Ask the client for DNS access a month ahead").expect("in the new version").clone();
        assert!(promoted["origin"].as_str().unwrap().contains("retrospective of First shop"), "{promoted}");
        assert_eq!(api(&app, Method::POST, &format!("/retro-actions/{aid}/promote"), Some(&tok), None).await.status, StatusCode::CONFLICT);

        // The next project gets it; the first one keeps its own checklist.
        let second = api(&app, Method::POST, "/projects", Some(&tok), Some(body("Second shop"))).await.json()["id"].as_i64().unwrap();
        let has = |pid: i64| {
            let app = app.clone();
            let tok = tok.clone();
            async move {
                let c = api(&app, Method::GET, &format!("/projects/{pid}/checklist"), Some(&tok), None).await.json();
                c["items"].as_array().unwrap().iter().any(|i| i["title"] == "Ask the client for DNS access a month ahead")
            }
        };
        assert!(has(second).await);
        assert!(!has(first).await);
        // It keeps its due day, its check and where that check's evidence comes from.
        let items = preflight_store::checklist::items(&pool, second).await.unwrap();
        let it = items.iter().find(|i| i.title == "Ask the client for DNS access a month ahead").unwrap();
        assert_eq!(
            (it.due_offset_days, it.checks.clone(), it.evidence_from),
            (-3, vec!["dns-ttl-not-lowered".to_string()], preflight_model::EvidenceFrom::Production)
        );
        let p2 = api(&app, Method::GET, &format!("/projects/{second}"), Some(&tok), None).await.json();
        assert_eq!(p2["template_version"].as_i64().unwrap(), before + 1);
        let versions = api(&app, Method::GET, "/template", Some(&tok), None).await.json();
        assert!(versions["versions"].as_array().unwrap().len() >= 2);
    }
}
