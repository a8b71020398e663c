//! Changing a whole phase at once (assign, mark not applicable) and the "my items" list across
//! projects, through the JSON API.

mod common;

use axum::http::{Method, StatusCode};
use preflight_model::Role;
use serde_json::json;

use common::*;

preflight_store::db_test! {
    async fn a_phase_is_assigned_or_set_aside_at_once_and_my_items_spans_projects(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let mia = preflight_store::auth::create_user(&pool, "mia@example.test", "Mia Member", Role::Member, PASSWORD).await.unwrap();
        let mia_tok = token(&st, &mia).await;
        let app = preflight_server::router(st.clone());
        let project = |name: &str| json!({"name": name, "launch_date": "2027-03-01", "environments": []});
        let shop = api(&app, Method::POST, "/projects", Some(&tok), Some(project("Shop"))).await.json()["id"].as_i64().unwrap();
        let blog = api(&app, Method::POST, "/projects", Some(&tok), Some(project("Blog"))).await.json()["id"].as_i64().unwrap();
        let phase_items = |c: &serde_json::Value, phase: &str| c["items"].as_array().unwrap().iter().filter(|i| i["phase"] == phase).cloned().collect::<Vec<_>>();

        // One item of Foundations is already done: the bulk change leaves it alone.
        let list = api(&app, Method::GET, &format!("/projects/{shop}/checklist"), Some(&tok), None).await.json();
        let foundations = phase_items(&list, "foundations");
        let first = &foundations[0];
        api(&app, Method::PATCH, &format!("/checklist-items/{}", first["id"]), Some(&tok), Some(json!({"state": "done", "version": first["version"]}))).await;
        let url = format!("/projects/{shop}/checklist/bulk");
        let res = api(&app, Method::POST, &url, Some(&tok), Some(json!({"phase": "foundations", "assignee_id": mia.id}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.json()["changed"].as_u64().unwrap() as usize, foundations.len() - 1);
        let after = api(&app, Method::GET, &format!("/projects/{shop}/checklist"), Some(&tok), None).await.json();
        let assigned: Vec<bool> = phase_items(&after, "foundations").iter().map(|i| i["assignee_id"] == json!(mia.id)).collect();
        assert_eq!(assigned.iter().filter(|a| **a).count(), foundations.len() - 1);
        // Again: nothing left to change (the items are already hers), and no second notice.
        let again = api(&app, Method::POST, &url, Some(&tok), Some(json!({"phase": "foundations", "assignee_id": mia.id}))).await;
        assert_eq!(again.json()["changed"], 0, "{}", again.body);
        let nobody = api(&app, Method::POST, &url, Some(&tok), Some(json!({"phase": "foundations", "assignee_id": 999_999}))).await;
        assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nobody.body);
        // Mia hears of it once, not once per item.
        let notes = api(&app, Method::GET, "/notifications", Some(&mia_tok), None).await.json();
        let titles: Vec<&str> = notes["items"].as_array().unwrap().iter().map(|n| n["title"].as_str().unwrap()).collect();
        assert_eq!(titles, [format!("Olivia Owner assigned {} item(s) of Foundations to you", foundations.len() - 1)], "{notes}");

        // Not applicable needs a reason; other changes and phases are refused in words.
        for (body, words) in [
            (json!({"phase": "dev-site", "state": "not_applicable"}), "Say why"),
            (json!({"phase": "dev-site", "state": "done"}), "Give one change"),
            (json!({"phase": "someday", "assignee_id": null}), "no phase"),
        ] {
            let r = api(&app, Method::POST, &url, Some(&tok), Some(body.clone())).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.body);
            assert!(r.json()["error"].as_str().unwrap().contains(words), "{body}: {}", r.body);
        }
        assert_eq!(api(&app, Method::POST, "/projects/999999/checklist/bulk", Some(&tok), Some(json!({"phase": "dev-site", "assignee_id": null}))).await.status, StatusCode::NOT_FOUND);
        let na = api(&app, Method::POST, &url, Some(&tok), Some(json!({"phase": "dev-site", "state": "not_applicable", "reason": "No dev site: the client hosts it"}))).await;
        assert_eq!(na.status, StatusCode::OK, "{}", na.body);
        let set_aside = phase_items(&api(&app, Method::GET, &format!("/projects/{shop}/checklist"), Some(&tok), None).await.json(), "dev-site");
        assert!(set_aside.iter().all(|i| i["state"] == "not_applicable" && i["na_reason"] == "No dev site: the client hosts it"));

        // My items: Mia's open items of both projects, soonest first; done and archived drop out.
        let blog_item = phase_items(&api(&app, Method::GET, &format!("/projects/{blog}/checklist"), Some(&tok), None).await.json(), "launch-week")[0].clone();
        api(&app, Method::PATCH, &format!("/checklist-items/{}", blog_item["id"]), Some(&tok), Some(json!({"assignee_id": mia.id, "version": blog_item["version"]}))).await;
        let mine = api(&app, Method::GET, "/my-items", Some(&mia_tok), None).await.json();
        let rows = mine["items"].as_array().unwrap();
        assert_eq!(rows.len(), foundations.len());
        let dues: Vec<&str> = rows.iter().map(|r| r["item"]["due"].as_str().unwrap()).collect();
        assert!(dues.windows(2).all(|w| w[0] <= w[1]), "{dues:?}");
        assert_eq!(rows.last().unwrap()["project_name"], "Blog");
        assert!(api(&app, Method::GET, "/my-items", Some(&tok), None).await.json()["items"].as_array().unwrap().is_empty());
        sqlx::query("UPDATE projects SET archived_at = 1 WHERE id = $1").bind(blog).execute(&pool).await.unwrap();
        assert_eq!(api(&app, Method::GET, "/my-items", Some(&mia_tok), None).await.json()["items"].as_array().unwrap().len(), foundations.len() - 1);
    }
}
