//! Evidence from the app's own data: the checklist's people-and-process items take it from
//! the scope register, the training notes and the client's acknowledgement on the review page,
//! and the retrospective — and the new `dev-publicly-accessible` check gives the dev-access item
//! its evidence.

mod common;

use axum::http::{Method, StatusCode};
use serde_json::json;

use common::*;
use preflight_model::{CheckStatus, ChecklistItem};

async fn item(pool: &preflight_store::db::Pool, pid: i64, key: &str) -> ChecklistItem {
    preflight_store::checklist::items(pool, pid).await.unwrap().into_iter().find(|i| i.template_key.as_deref() == Some(key)).unwrap()
}

fn statuses(it: &ChecklistItem) -> Vec<(String, CheckStatus)> {
    it.signal_evidence.iter().map(|e| (e.signal.clone(), e.status)).collect()
}

preflight_store::db_test! {
    async fn people_and_process_items_take_evidence_from_the_apps_data(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let pid = preflight_store::projects::create(&pool, &user, &serde_json::from_value(project_body("Signals")).unwrap()).await.unwrap();

        // Scope: empty, then agreed, then an undecided change request, then decided.
        let scope = item(&pool, pid, "agreed-scope").await;
        assert_eq!(statuses(&scope), vec![("scope-agreed".into(), CheckStatus::Failed)]);
        assert_eq!(scope.signal_evidence[0].detail, "the scope register is empty");
        assert!(!scope.evidence_passed);
        preflight_store::scope::create(&pool, pid, "Olivia", &serde_json::from_value(json!({"title": "Shop with 40 products"})).unwrap()).await.unwrap();
        assert!(item(&pool, pid, "agreed-scope").await.evidence_passed);
        let cr = preflight_store::scope::propose(
            &pool,
            pid,
            "Olivia",
            false,
            &serde_json::from_value(json!({"title": "Add a blog", "reason": "client asked"})).unwrap(),
        )
        .await
        .unwrap();
        let scope = item(&pool, pid, "agreed-scope").await;
        assert_eq!((scope.signal_evidence[0].status, scope.evidence_passed), (CheckStatus::Failed, false));
        assert!(scope.signal_evidence[0].detail.contains("1 change request(s) not decided"));
        preflight_store::scope::decide(&pool, cr.id, &serde_json::from_value(json!({"approve": false, "decided_by": "Carla"})).unwrap()).await.unwrap();
        assert!(item(&pool, pid, "agreed-scope").await.evidence_passed);

        // Training: the starter note is client-visible; the client acknowledges it on the review page.
        let training = item(&pool, pid, "how-to-guides").await;
        assert_eq!(statuses(&training), vec![("training-notes-shared".into(), CheckStatus::Passed), ("training-acknowledged".into(), CheckStatus::Failed)]);
        assert!(!training.evidence_passed);
        let link = api(&app, Method::POST, &format!("/projects/{pid}/share-links"), Some(&tok), Some(json!({}))).await;
        assert_eq!(link.status, StatusCode::CREATED, "{}", link.body);
        let url = link.json()["url"].as_str().unwrap().to_string();
        let share_token = url.rsplit('/').next().unwrap().to_string();
        let grant = preflight_store::share::resolve(&pool, &share_token).await.unwrap();
        assert!(preflight_store::share::acknowledge_training(&pool, &grant, "  ").await.is_err(), "a name is needed");
        preflight_store::share::acknowledge_training(&pool, &grant, "Carla Client").await.unwrap();
        let training = item(&pool, pid, "how-to-guides").await;
        assert!(training.evidence_passed, "{:?}", training.signal_evidence);
        assert!(training.signal_evidence[1].detail.starts_with("acknowledged by Carla Client on "));
        let view = preflight_store::share::view(&pool, &grant).await.unwrap();
        assert_eq!(view.training_ack.map(|a| a.0), Some("Carla Client".into()));

        // Retrospective: saved, then an action promoted into the template.
        let retro = item(&pool, pid, "retrospective").await;
        assert_eq!(statuses(&retro), vec![("retrospective-saved".into(), CheckStatus::Failed)]);
        preflight_store::retro::save(&pool, pid, "Olivia", &serde_json::from_value(json!({"went_well": "DNS moved in minutes", "version": 0})).unwrap())
            .await
            .unwrap();
        assert!(item(&pool, pid, "retrospective").await.evidence_passed);
        let update = item(&pool, pid, "update-checklist").await;
        assert_eq!(statuses(&update), vec![("retro-action-promoted".into(), CheckStatus::Failed)]);
        let action = preflight_store::retro::add_action(
            &pool,
            pid,
            "Olivia",
            &serde_json::from_value(json!({"title": "Book the DNS person", "phase": "launch-week"})).unwrap(),
        )
        .await
        .unwrap();
        preflight_store::retro::promote(&pool, action.id, "Olivia").await.unwrap();
        assert!(item(&pool, pid, "update-checklist").await.evidence_passed);

        // The dev site: exists, but no run has reached it yet.
        let dev = item(&pool, pid, "dev-site").await;
        assert_eq!(statuses(&dev), vec![("dev-environment-reached".into(), CheckStatus::Skipped)]);
        assert_eq!(dev.signal_evidence[0].detail, "no finished check run on dev or staging yet");
        // The dev-access item names the new check.
        assert_eq!(item(&pool, pid, "dev-access-control").await.checks, vec!["dev-publicly-accessible".to_string()]);
        // Content review waits for screenshots.
        let content = item(&pool, pid, "content-review").await;
        assert_eq!(statuses(&content), vec![("screenshots-approved".into(), CheckStatus::Skipped)]);

        // Through the API: the same fields.
        let items = api(&app, Method::GET, &format!("/projects/{pid}/checklist"), Some(&tok), None).await.json();
        let scope = items["items"].as_array().unwrap().iter().find(|i| i["template_key"] == "agreed-scope").unwrap().clone();
        assert_eq!(scope["signals"], json!(["scope-agreed"]));
        assert_eq!(scope["signal_evidence"][0]["status"], "passed");
        assert_eq!(scope["evidence_passed"], true);
    }
}
