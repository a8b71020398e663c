//! Per-project membership: a member an owner restricts sees only the projects they were added
//! to — on every API route (walked from the OpenAPI document), every project-scoped server
//! function, the pages, downloads, screenshots and live events — and loses a project the
//! moment they are taken off it.

mod common;

use std::collections::HashMap;

use axum::{
    body::Body,
    http::{header, Method, StatusCode},
    Router,
};
use preflight_model::{Role, UserInfo};
use serde_json::{json, Value};

use common::*;

/// One record of every kind that belongs to a project, by the URL collection that names it.
async fn records(app: &Router, st: &preflight_server::state::AppState, tok: &str, owner: &UserInfo, name: &str) -> HashMap<&'static str, i64> {
    let pool = &st.store().pool;
    let project = api(app, Method::POST, "/projects", Some(tok), Some(project_body(name))).await.json();
    let pid = project["id"].as_i64().unwrap();
    let mut r = HashMap::new();
    r.insert("projects", pid);
    r.insert("environments", project["environments"][0]["id"].as_i64().unwrap());
    let list = api(app, Method::GET, &format!("/projects/{pid}/checklist"), Some(tok), None).await.json();
    r.insert("checklist-items", list["items"][0]["id"].as_i64().unwrap());
    let post = async |path: String, body: Value| {
        let res = api(app, Method::POST, &path, Some(tok), Some(body)).await;
        assert!(res.status.is_success(), "{path}: {} {}", res.status, res.body);
        res.json()["id"].as_i64().unwrap()
    };
    r.insert("scope-items", post(format!("/projects/{pid}/scope-items"), json!({"title": "Online shop"})).await);
    r.insert("change-requests", post(format!("/projects/{pid}/change-requests"), json!({"title": "A map", "reason": "Visitors ask"})).await);
    r.insert("training-notes", post(format!("/projects/{pid}/training-notes"), json!({"title": "Adding a page", "body": "Pages, then New."})).await);
    r.insert("share-links", post(format!("/projects/{pid}/share-links"), json!({})).await);
    r.insert(
        "retro-actions",
        post(format!("/projects/{pid}/retrospective/actions"), json!({"title": "Book the DNS change earlier", "phase": "testing"})).await,
    );
    r.insert("webhooks", post(format!("/projects/{pid}/webhooks"), json!({"url": "http://127.0.0.1:9/hook"})).await);
    let run = preflight_store::runs::queue(st.store(), owner, pid, "production").await.unwrap();
    r.insert("runs", run.id);
    for _ in 0..2 {
        let shot: i64 = sqlx::query_scalar(
            "INSERT INTO screenshots (run_id, url, viewport, file, width, height, created_at) VALUES ($1, 'https://www.acme.test/', 'desktop', 'x.png', 1440, 900, 1) RETURNING id",
        )
        .bind(run.id)
        .fetch_one(pool)
        .await
        .unwrap();
        r.insert(if r.contains_key("screenshots") { "screenshots-2" } else { "screenshots" }, shot);
    }
    let delivery: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (project_id, channel, webhook_id, rule, idempotency_key, body, status, next_attempt_at, created_at) VALUES ($1, 'webhook', $2, 'run-failed', $3, '{}', 'failed', 1, 1) RETURNING id",
    )
    .bind(pid)
    .bind(r["webhooks"])
    .bind(format!("test:{name}"))
    .fetch_one(pool)
    .await
    .unwrap();
    r.insert("deliveries", delivery);
    r
}

/// A session request for a page or download, as a browser sends it.
fn page(path: &str, cookie: &str) -> axum::http::Request<Body> {
    browser(Method::GET, path).header(header::COOKIE, cookie).header(header::ACCEPT, "text/html").body(Body::empty()).unwrap()
}

preflight_store::db_test! {
    async fn a_restricted_member_reaches_only_the_projects_they_were_added_to(pool) {
        let st = state(pool.clone()).await;
        let olivia = owner(&st).await;
        let otok = token(&st, &olivia).await;
        let casey = preflight_store::auth::create_user(&pool, "casey@freelance.test", "Casey Contractor", Role::Member, PASSWORD).await.unwrap();
        let ctok = token(&st, &casey).await;
        let app = preflight_server::router(st.clone());
        let ours = records(&app, &st, &otok, &olivia, "Ours").await;
        let theirs = records(&app, &st, &otok, &olivia, "Theirs").await;
        let (a, b) = (ours["projects"], theirs["projects"]);

        // Before any restriction, Casey is given an item in both projects.
        for items in [&ours, &theirs] {
            let id = items["checklist-items"];
            let res = api(&app, Method::PATCH, &format!("/checklist-items/{id}"), Some(&otok), Some(json!({"version": 1, "assignee_id": casey.id}))).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        }
        assert_eq!(api(&app, Method::GET, "/my-items", Some(&ctok), None).await.json()["items"].as_array().unwrap().len(), 2);

        // Only an owner restricts, and owners cannot be restricted.
        let by_member = api(&app, Method::PUT, &format!("/users/{}/restricted", casey.id), Some(&ctok), Some(json!({"restricted": true}))).await;
        assert_eq!(by_member.status, StatusCode::FORBIDDEN, "{}", by_member.body);
        let owner_self = api(&app, Method::PUT, &format!("/users/{}/restricted", olivia.id), Some(&otok), Some(json!({"restricted": true}))).await;
        assert!(owner_self.status.is_client_error() && owner_self.json()["error"].as_str().unwrap().contains("owners see every project"), "{}", owner_self.body);
        let res = api(&app, Method::PUT, &format!("/users/{}/restricted", casey.id), Some(&otok), Some(json!({"restricted": true}))).await;
        assert_eq!((res.status, res.json()["restricted"].as_bool()), (StatusCode::OK, Some(true)), "{}", res.body);
        let res = api(&app, Method::PUT, &format!("/projects/{a}/members/{}", casey.id), Some(&otok), None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.json()["added"][0]["user"]["name"], "Casey Contractor");
        assert!(res.json()["everyone"].as_array().unwrap().iter().all(|u| u["id"] != json!(casey.id)));

        // Lists leave the other project out.
        let listed = api(&app, Method::GET, "/projects", Some(&ctok), None).await.json();
        let names: Vec<&str> = listed["projects"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Ours"]);
        let mine = api(&app, Method::GET, "/my-items", Some(&ctok), None).await.json();
        assert_eq!(mine["items"].as_array().unwrap().iter().map(|i| i["project_id"].as_i64().unwrap()).collect::<Vec<_>>(), [a]);
        let notes = api(&app, Method::GET, "/notifications", Some(&ctok), None).await.json();
        let projects: Vec<i64> = notes["items"].as_array().unwrap().iter().filter_map(|n| n["project_id"].as_i64()).collect();
        assert!(!projects.is_empty() && projects.iter().all(|p| *p == a), "only notices about Ours: {notes}");
        // New projects and the template are the team's, not a contractor's.
        let create = api(&app, Method::POST, "/projects", Some(&ctok), Some(project_body("Mine"))).await;
        assert_eq!(create.status, StatusCode::FORBIDDEN, "{}", create.body);

        // Every API route that names a record, in every method the OpenAPI document lists:
        // records of Theirs are not found; records of Ours are there to read.
        let doc = api(&app, Method::GET, "/openapi.json", None, None).await.json();
        let mut walked = 0;
        let mut wrong = Vec::new();
        for (template, methods) in doc["paths"].as_object().unwrap() {
            let Some(collection) = template.trim_start_matches('/').split('/').next().filter(|_| template.contains("{id}")) else { continue };
            if collection == "users" {
                continue;
            }
            let fill = |r: &HashMap<&str, i64>| template.replace("{id}", &r[collection].to_string()).replace("{user_id}", &casey.id.to_string());
            for method in methods.as_object().unwrap().keys() {
                let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let body = (m != Method::GET && m != Method::DELETE).then(|| json!({}));
                let res = api(&app, m.clone(), &fill(&theirs), Some(&ctok), body).await;
                walked += 1;
                if res.status != StatusCode::NOT_FOUND || res.json()["error"].as_str().is_none_or(|e| !e.contains("not found")) {
                    wrong.push(format!("{method} {template} (Theirs): {} {}", res.status, &res.body[..res.body.len().min(100)]));
                }
                // (The PDF would start Chromium; its route is the HTML report's.)
                if m == Method::GET && !template.ends_with(".pdf") {
                    let res = api(&app, m, &fill(&ours), Some(&ctok), None).await;
                    if res.status == StatusCode::NOT_FOUND || res.status.is_server_error() {
                        wrong.push(format!("{method} {template} (Ours): {} {}", res.status, &res.body[..res.body.len().min(100)]));
                    }
                }
            }
        }
        assert!(walked >= 70, "walked {walked} routes");
        assert!(wrong.is_empty(), "{} wrong answers:\n{}", wrong.len(), wrong.join("\n"));

        // Every project-scoped server function, called with Theirs' records.
        let login = login(&app, "casey@freelance.test", PASSWORD).await;
        let cookie = session_cookie(&login);
        let t = |k: &str| theirs[k];
        let project_input = json!({"name": "Renamed", "launch_date": "2027-03-01", "environments": []});
        let calls: Vec<(&str, Value)> = vec![
            ("get_project", json!({"id": b})),
            ("save_project", json!({"id": b, "input": project_input})),
            ("set_project_archived", json!({"id": b, "archived": true})),
            ("delete_project", json!({"id": b})),
            ("get_checklist", json!({"project_id": b})),
            ("set_credentials", json!({"env_id": t("environments"), "credentials": null})),
            ("import_old_urls", json!({"env_id": t("environments"), "sitemap_url": "http://127.0.0.1:9/sitemap.xml"})),
            ("record_deploy", json!({"project_id": b, "deploy": {"environment": "production", "revision": "abc"}})),
            ("update_item", json!({"item_id": t("checklist-items"), "version": 2, "change": {"kind": "notes", "notes": "x"}})),
            ("bulk_update_phase", json!({"project_id": b, "phase": "testing", "change": {"kind": "assign", "user_id": null}})),
            ("add_item", json!({"project_id": b, "item": {"title": "x", "phase": "testing", "due_offset_days": 0}})),
            ("replan_checklist", json!({"project_id": b})),
            ("item_history", json!({"item_id": t("checklist-items")})),
            ("start_run", json!({"project_id": b, "environment": "production"})),
            ("list_runs", json!({"project_id": b})),
            ("get_run", json!({"run_id": t("runs")})),
            ("get_gallery", json!({"run_id": t("runs")})),
            ("get_run_quality", json!({"run_id": t("runs")})),
            ("team_review", json!({"screenshot_id": t("screenshots"), "approve": true, "comment": ""})),
            ("approve_unchanged", json!({"run_id": t("runs")})),
            ("accept_baseline", json!({"run_id": t("runs")})),
            ("get_diff", json!({"before": t("screenshots"), "after": t("screenshots-2")})),
            ("get_diff", json!({"before": ours["screenshots"], "after": t("screenshots")})),
            ("get_watch", json!({"project_id": b})),
            ("set_schedule", json!({"environment_id": t("environments"), "schedule": {"every": "off"}})),
            ("get_notify_settings", json!({"project_id": b})),
            ("set_notify_rule", json!({"project_id": b, "rule": "run-failed", "enabled": false})),
            ("save_webhook", json!({"project_id": b, "webhook_id": null, "input": {"url": "http://127.0.0.1:9/x"}})),
            ("save_webhook", json!({"project_id": a, "webhook_id": t("webhooks"), "input": {"url": "http://127.0.0.1:9/x"}})),
            ("delete_webhook", json!({"webhook_id": t("webhooks")})),
            ("rotate_webhook_secret", json!({"webhook_id": t("webhooks")})),
            ("retry_delivery", json!({"delivery_id": t("deliveries")})),
            ("get_scope", json!({"project_id": b})),
            ("save_scope_item", json!({"project_id": a, "item_id": t("scope-items"), "input": {"title": "Taken over"}})),
            ("delete_scope_item", json!({"item_id": t("scope-items"), "version": 1, "reason": "no"})),
            ("restore_scope_item", json!({"item_id": t("scope-items")})),
            ("scope_history", json!({"item_id": t("scope-items")})),
            ("compare_scope", json!({"project_id": b, "from": "2026-01-01", "to": "2027-01-01"})),
            ("propose_change", json!({"project_id": b, "input": {"title": "x", "reason": "y"}})),
            ("decide_change", json!({"change_id": t("change-requests"), "decision": {"approve": true, "decided_by": "Casey"}})),
            ("get_training", json!({"project_id": b})),
            ("save_training", json!({"project_id": a, "note_id": t("training-notes"), "input": {"title": "Taken over"}})),
            ("delete_training", json!({"note_id": t("training-notes")})),
            ("get_activity", json!({"project_id": b, "kind": null, "actor": null})),
            ("get_reviews", json!({"project_id": b})),
            ("create_share_link", json!({"project_id": b, "input": {}})),
            ("list_share_links", json!({"project_id": b})),
            ("revoke_share_link", json!({"link_id": t("share-links")})),
            ("get_retro", json!({"project_id": b})),
            ("save_retro", json!({"project_id": b, "input": {"went_well": "x", "version": 0}})),
            ("add_retro_action", json!({"project_id": b, "input": {"title": "x", "phase": "testing"}})),
            ("promote_retro_action", json!({"action_id": t("retro-actions")})),
            ("get_project_access", json!({"project_id": b})),
        ];
        let mut wrong = Vec::new();
        for (name, body) in &calls {
            let res = send(&app, rpc_request(Some(&cookie), name, body)).await;
            if res.status != StatusCode::NOT_FOUND || !res.body.contains("not found") {
                wrong.push(format!("{name} {body}: {} {}", res.status, &res.body[..res.body.len().min(100)]));
            }
        }
        assert!(wrong.is_empty(), "{} server functions reached Theirs:\n{}", wrong.len(), wrong.join("\n"));
        let listed = send(&app, rpc_request(Some(&cookie), "list_projects", json!({"include_archived": true}))).await;
        assert!(listed.body.contains("Ours") && !listed.body.contains("Theirs"), "{}", listed.body);
        let own = send(&app, rpc_request(Some(&cookie), "get_checklist", json!({"project_id": a}))).await;
        assert_eq!(own.status, StatusCode::OK, "{}", own.body);
        assert!(own.body.contains("Casey Contractor") && own.body.contains("Olivia Owner"), "the people who see the project can be given its work");
        let template = send(&app, rpc_request(Some(&cookie), "save_template", json!({"input": {"base_version": 1, "items": []}}))).await;
        assert_eq!(template.status, StatusCode::FORBIDDEN, "{}", template.body);

        // Pages, downloads, screenshots and live events of Theirs: not found, in words.
        for path in [
            format!("/projects/{b}"),
            format!("/projects/{b}/share"),
            format!("/projects/{b}/export/checklist.csv"),
            format!("/projects/{b}/report"),
            format!("/runs/{}", t("runs")),
            format!("/runs/{}/export/findings.csv", t("runs")),
            format!("/screenshots/{}/thumb", t("screenshots")),
            format!("/screenshots/{}/diff/{}", ours["screenshots"], t("screenshots")),
            format!("/compare/{}/{}", t("screenshots"), t("screenshots-2")),
            format!("/events/projects/{b}"),
            format!("/events/live?project={b}"),
        ] {
            let res = send(&app, page(&path, &cookie)).await;
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}: {}", &res.body[..res.body.len().min(200)]);
        }
        let refused = send(&app, page(&format!("/projects/{b}"), &cookie)).await;
        assert!(refused.body.contains("belongs to a project you have not been added to"), "{}", refused.body);
        let own_page = send(&app, page(&format!("/projects/{a}"), &cookie)).await;
        assert_eq!(own_page.status, StatusCode::OK);

        // Work in Theirs cannot be given to Casey; the reason says what to do.
        let item = theirs["checklist-items"];
        let current = api(&app, Method::GET, &format!("/checklist-items/{item}"), Some(&otok), None).await.json();
        let res = api(&app, Method::PATCH, &format!("/checklist-items/{item}"), Some(&otok), Some(json!({"version": current["version"], "assignee_id": casey.id}))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert!(res.json()["error"].as_str().unwrap().contains("add them on the project's Share & settings tab"), "{}", res.body);
        let team = api(&app, Method::GET, &format!("/projects/{b}/members"), Some(&otok), None).await.json();
        assert_eq!(team["addable"][0]["id"], json!(casey.id), "{team}");

        // Taken off Ours: gone at once, for the token and the session alike.
        let res = api(&app, Method::DELETE, &format!("/projects/{a}/members/{}", casey.id), Some(&otok), None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(api(&app, Method::GET, &format!("/projects/{a}"), Some(&ctok), None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(send(&app, page(&format!("/projects/{a}/export/checklist.csv"), &cookie)).await.status, StatusCode::NOT_FOUND);
        assert!(api(&app, Method::GET, "/projects", Some(&ctok), None).await.json()["projects"].as_array().unwrap().is_empty());
        let activity = api(&app, Method::GET, &format!("/projects/{a}/activity"), Some(&otok), None).await.body;
        assert!(activity.contains("Casey Contractor can no longer see this project"), "{activity}");

        // Lifted: every project again.
        let res = api(&app, Method::PUT, &format!("/users/{}/restricted", casey.id), Some(&otok), Some(json!({"restricted": false}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(api(&app, Method::GET, &format!("/projects/{b}"), Some(&ctok), None).await.status, StatusCode::OK);
        assert_eq!(api(&app, Method::GET, "/projects", Some(&ctok), None).await.json()["projects"].as_array().unwrap().len(), 2);
    }
}
