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

preflight_store::db_test! {
    async fn template_edits_make_a_new_version_that_new_projects_copy(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let project = |name: &str| json!({"name": name, "launch_date": "2026-12-20", "environments": []});
        let before = api(&app, Method::POST, "/projects", Some(&tok), Some(project("Before the edit"))).await.json()["id"].as_i64().unwrap();

        let draft = api(&app, Method::GET, "/template/current", Some(&tok), None).await.json();
        let base = draft["version"].as_i64().unwrap();
        let mut items = draft["items"].as_array().unwrap().clone();
        let count = items.len();
        assert!(count >= 60 && items.iter().all(|i| i["due"].as_str().unwrap().starts_with('T')), "{draft}");
        let edited_key = items[0]["key"].as_str().unwrap().to_string();
        items[0]["title"] = json!("Agree the scope in writing, signed");
        let removed = items.remove(1);
        items.swap(1, 2);
        items.push(json!({"phase": "content", "title": "Check the cookie banner's wording", "why": "The client's lawyer asked for it on the last launch.",
            "due": "T-10d", "checks": ["favicon-missing"], "evidence_from": "any"}));
        let save = |base: i64, items: Vec<serde_json::Value>, note: &str| json!({"base_version": base, "items": items, "note": note});

        // Bad lists are refused in words, and nothing is saved.
        let bad = |i: usize, field: &str, value: serde_json::Value| {
            let mut b = items.clone();
            b[i][field] = value;
            b
        };
        let last = items.len() - 1;
        for (list, words) in [
            (bad(0, "title", json!("  ")), "item 1: give it a title"),
            (bad(last, "checks", json!(["no-such-check"])), "unknown check no-such-check"),
            (bad(last, "due", json!("next week")), "expected e.g. T-7d"),
            (bad(last, "phase", json!("someday")), "unknown phase someday"),
            (bad(last, "key", json!("invented-key")), "there is no item invented-key"),
            (bad(last, "key", json!(edited_key.clone())), "in the list twice"),
            (bad(last, "checks", json!(["sitemap-missing"])), "production"),
            (vec![], "at least one item"),
        ] {
            let r = api(&app, Method::PUT, "/template", Some(&tok), Some(save(base, list, ""))).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{words}: {}", r.body);
            assert!(r.json()["error"].as_str().unwrap().contains(words), "{words}: {}", r.body);
        }
        assert_eq!(api(&app, Method::GET, "/template/current", Some(&tok), None).await.json()["version"], base);

        let saved = api(&app, Method::PUT, "/template", Some(&tok), Some(save(base, items.clone(), "After the Acme launch"))).await;
        assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
        let v = saved.json();
        assert_eq!(v["version"], base + 1);
        assert_eq!(v["source"], format!("v{base} edited by {}: 1 changed, 1 added, 1 removed, reordered — After the Acme launch", user.name));
        assert_eq!(v["items"].as_array().unwrap().len(), count);
        let new_item = v["items"].as_array().unwrap().iter().find(|i| i["title"] == "Check the cookie banner's wording").unwrap();
        assert_eq!(new_item["key"], "custom-check-the-cookie-banner-s-wording");
        assert_eq!(new_item["origin"], format!("added in the template editor by {}", user.name));
        let first = &v["items"][0];
        assert_eq!((first["key"].as_str().unwrap(), first["origin"].clone()), (edited_key.as_str(), json!(format!("built-in, edited by {}", user.name))));

        // The same list again is no change; an edit of the old version is a conflict.
        let again = api(&app, Method::GET, "/template/current", Some(&tok), None).await.json();
        let same = api(&app, Method::PUT, "/template", Some(&tok), Some(save(base + 1, again["items"].as_array().unwrap().clone(), ""))).await;
        assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(same.json()["error"].as_str().unwrap().contains("Nothing changed"), "{}", same.body);
        let stale = api(&app, Method::PUT, "/template", Some(&tok), Some(save(base, items.clone(), ""))).await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        assert!(stale.json()["error"].as_str().unwrap().contains(&format!("Version {} of the template was saved", base + 1)), "{}", stale.body);

        // A new project copies the new version; the earlier one keeps its checklist.
        let titles = |id: i64| {
            let app = app.clone();
            let tok = tok.clone();
            async move {
                let c = api(&app, Method::GET, &format!("/projects/{id}/checklist"), Some(&tok), None).await.json();
                c["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_string()).collect::<Vec<_>>()
            }
        };
        let after = api(&app, Method::POST, "/projects", Some(&tok), Some(project("After the edit"))).await.json()["id"].as_i64().unwrap();
        let (old_list, new_list) = (titles(before).await, titles(after).await);
        assert!(new_list.contains(&"Check the cookie banner's wording".to_string()) && new_list.contains(&"Agree the scope in writing, signed".to_string()));
        assert!(!new_list.contains(&removed["title"].as_str().unwrap().to_string()));
        assert!(old_list.contains(&removed["title"].as_str().unwrap().to_string()) && !old_list.contains(&"Check the cookie banner's wording".to_string()));

        // When an upgrade ships a new built-in version, the team's edit and addition stay.
        sqlx::query("UPDATE template_versions SET source = 'built-in v0' WHERE source LIKE 'built-in v%'").execute(&pool).await.unwrap();
        preflight_store::template::ensure_builtin(&pool).await.unwrap();
        let upgraded = api(&app, Method::GET, "/template/current", Some(&tok), None).await.json();
        assert_eq!(upgraded["version"], base + 2);
        let up: Vec<&str> = upgraded["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
        assert!(up.contains(&"Agree the scope in writing, signed") && up.last() == Some(&"Check the cookie banner's wording"), "{up:?}");
    }
}
