//! The agreed scope register, change requests, training notes (sanitised Markdown, also
//! loaded in real Chromium) and the activity log, through the JSON API.

mod common;

use axum::{http::Method, http::StatusCode, response::Html, routing::get, Router};
use serde_json::{json, Value};

use common::*;

async fn project(app: &Router, tok: &str) -> i64 {
    let body = json!({"name": "Scope", "launch_date": "2027-03-01", "environments": []});
    api(app, Method::POST, "/projects", Some(tok), Some(body)).await.json()["id"].as_i64().unwrap()
}

preflight_store::db_test! {
    async fn scope_items_keep_their_history_and_scope_can_be_compared_over_time(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let pid = project(&app, &tok).await;

        let bad = api(&app, Method::POST, &format!("/projects/{pid}/scope-items"), Some(&tok), Some(json!({"title": " "}))).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.json()["error"].as_str().unwrap().starts_with("title"));
        let res = api(
            &app,
            Method::POST,
            &format!("/projects/{pid}/scope-items"),
            Some(&tok),
            Some(json!({"title": "Product pages", "source": "Contract §3", "agreed_on": "2026-10-01"})),
        )
        .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let item = res.json();
        let iid = item["id"].as_i64().unwrap();
        assert_eq!(item["status"], "agreed");
        let blog = api(&app, Method::POST, &format!("/projects/{pid}/scope-items"), Some(&tok), Some(json!({"title": "Blog"}))).await.json();

        // Backdate what exists so far: it was the scope "at launch".
        sqlx::query("UPDATE scope_history SET at = at - 86400 * 10").execute(&pool).await.unwrap();
        let then = preflight_store::now() - 86400 * 5;

        // Edits need the version they were based on; a stale one is a conflict naming who.
        let patch = |v: i64, status: &str| json!({"title": "Product pages", "source": "Contract §3", "agreed_on": "2026-10-01", "status": status, "version": v, "note": "built"});
        let moved = api(&app, Method::PATCH, &format!("/scope-items/{iid}"), Some(&tok), Some(patch(1, "in_progress"))).await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
        let stale = api(&app, Method::PATCH, &format!("/scope-items/{iid}"), Some(&tok), Some(patch(1, "delivered"))).await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        assert!(stale.json()["error"].as_str().unwrap().contains("Olivia Owner"), "{}", stale.body);
        api(&app, Method::PATCH, &format!("/scope-items/{iid}"), Some(&tok), Some(patch(2, "delivered"))).await;

        let history = api(&app, Method::GET, &format!("/scope-items/{iid}/history"), Some(&tok), None).await.json();
        let steps: Vec<&str> = history["history"].as_array().unwrap().iter().map(|h| h["item"]["status"].as_str().unwrap()).collect();
        assert_eq!(steps, ["agreed", "in_progress", "delivered"]);

        // A client's change request, approved: the blog goes, a newsletter comes.
        let cr = api(
            &app,
            Method::POST,
            &format!("/projects/{pid}/change-requests"),
            Some(&tok),
            Some(json!({"title": "Newsletter sign-up", "reason": "Marketing wants it for launch"})),
        )
        .await;
        assert_eq!(cr.status, StatusCode::CREATED, "{}", cr.body);
        let crid = cr.json()["id"].as_i64().unwrap();
        let no_name = api(&app, Method::POST, &format!("/change-requests/{crid}/decision"), Some(&tok), Some(json!({"approve": true, "decided_by": ""}))).await;
        assert_eq!(no_name.status, StatusCode::UNPROCESSABLE_ENTITY);
        let ok = api(&app, Method::POST, &format!("/change-requests/{crid}/decision"), Some(&tok), Some(json!({"approve": true, "decided_by": "Carla Client"})))
            .await
            .json();
        assert_eq!((ok["status"].as_str(), ok["decided_by"].as_str()), (Some("approved"), Some("Carla Client")));
        let twice =
            api(&app, Method::POST, &format!("/change-requests/{crid}/decision"), Some(&tok), Some(json!({"approve": false, "decided_by": "Carla Client"}))).await;
        assert_eq!(twice.status, StatusCode::CONFLICT);
        let bid = blog["id"].as_i64().unwrap();
        api(&app, Method::PATCH, &format!("/scope-items/{bid}"), Some(&tok), Some(json!({"title": "Blog", "status": "out_of_scope", "version": 1}))).await;

        let items = api(&app, Method::GET, &format!("/projects/{pid}/scope-items"), Some(&tok), None).await.json();
        let newsletter = items["items"].as_array().unwrap().iter().find(|i| i["title"] == "Newsletter sign-up").expect("approval adds the item").clone();
        assert_eq!(newsletter["source"], format!("Change request #{crid}"));

        // Then against now.
        let cmp = api(&app, Method::GET, &format!("/projects/{pid}/scope/compare?from={then}"), Some(&tok), None).await.json();
        let titles = |k: &str| cmp[k].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(titles("added"), ["Newsletter sign-up"]);
        let changed: Vec<(String, String)> =
            cmp["changed"].as_array().unwrap().iter().map(|p| (p[0]["status"].as_str().unwrap().into(), p[1]["status"].as_str().unwrap().into())).collect();
        assert!(changed.contains(&("agreed".into(), "delivered".into())) && changed.contains(&("agreed".into(), "out_of_scope".into())), "{changed:?}");
        let at_then = api(&app, Method::GET, &format!("/projects/{pid}/scope?at={then}"), Some(&tok), None).await.json();
        assert_eq!(at_then["items"].as_array().unwrap().len(), 2);
        assert_eq!(api(&app, Method::GET, &format!("/projects/{pid}/scope?at=yesterday"), Some(&tok), None).await.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Everything is in the activity log, filterable.
        let log = api(&app, Method::GET, &format!("/projects/{pid}/activity?kind=change-request"), Some(&tok), None).await.json();
        let lines: Vec<&str> = log["activity"].as_array().unwrap().iter().map(|a| a["summary"].as_str().unwrap()).collect();
        assert!(lines.iter().any(|l| l.contains("approved")) && lines.iter().any(|l| l.contains("proposed")), "{lines:?}");
        let by_carla = api(&app, Method::GET, &format!("/projects/{pid}/activity?actor=carla"), Some(&tok), None).await.json();
        assert!(by_carla["activity"].as_array().unwrap().iter().all(|a| a["actor"] == "Carla Client"));
        assert!(!by_carla["activity"].as_array().unwrap().is_empty());
    }
}

preflight_store::db_test! {
    async fn scope_items_are_deleted_with_a_reason_and_restored_with_their_history(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let pid = project(&app, &tok).await;
        let items_url = format!("/projects/{pid}/scope-items");
        let shop = api(&app, Method::POST, &items_url, Some(&tok), Some(json!({"title": "Online shop"}))).await.json();
        api(&app, Method::POST, &items_url, Some(&tok), Some(json!({"title": "Contact form"}))).await;
        let sid = shop["id"].as_i64().unwrap();
        sqlx::query("UPDATE scope_history SET at = at - 86400 * 3").execute(&pool).await.unwrap();
        let before = preflight_store::now() - 86400 * 2;

        // Deleting needs the version seen (when given) and keeps the item out of the register.
        let typo = api(&app, Method::DELETE, &format!("/scope-items/{sid}?version=one"), Some(&tok), None).await;
        assert_eq!(typo.status, StatusCode::BAD_REQUEST, "{}", typo.body);
        assert!(typo.json()["error"].as_str().unwrap().contains("query string"), "a JSON error in words: {}", typo.body);
        let stale = api(&app, Method::DELETE, &format!("/scope-items/{sid}?version=7"), Some(&tok), None).await;
        assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
        let gone = api(&app, Method::DELETE, &format!("/scope-items/{sid}?version=1&reason=Dropped%20in%20the%20call%20of%204%20June"), Some(&tok), None).await;
        assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
        assert_eq!(gone.json()["deleted_by"], user.name.as_str());
        let titles = |v: &Value| v["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(titles(&api(&app, Method::GET, &format!("/projects/{pid}/scope-items"), Some(&tok), None).await.json()), ["Contact form"]);
        assert_eq!(titles(&api(&app, Method::GET, &format!("/projects/{pid}/scope-items?deleted=true"), Some(&tok), None).await.json()), ["Online shop"]);
        let twice = api(&app, Method::DELETE, &format!("/scope-items/{sid}"), Some(&tok), None).await;
        assert_eq!(twice.status, StatusCode::CONFLICT);
        assert!(twice.json()["error"].as_str().unwrap().contains("already deleted"), "{}", twice.body);
        let edit = api(&app, Method::PATCH, &format!("/scope-items/{sid}"), Some(&tok), Some(json!({"title": "Shop", "version": 2}))).await;
        assert_eq!(edit.status, StatusCode::CONFLICT);
        assert!(edit.json()["error"].as_str().unwrap().contains("restore it"), "{}", edit.body);
        assert_eq!(api(&app, Method::DELETE, "/scope-items/999999", Some(&tok), None).await.status, StatusCode::NOT_FOUND);
        // No change to a deleted item until it is restored.
        let cr = json!({"scope_item_id": sid, "title": "Online shop with gift cards", "reason": "Marketing"});
        let refused = api(&app, Method::POST, &format!("/projects/{pid}/change-requests"), Some(&tok), Some(cr)).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert!(refused.json()["error"].as_str().unwrap().contains("restore it before proposing"), "{}", refused.body);

        // The scope on an earlier date still has it, and the comparison shows it removed.
        let at_then = api(&app, Method::GET, &format!("/projects/{pid}/scope?at={before}"), Some(&tok), None).await.json();
        assert_eq!(titles(&at_then), ["Online shop", "Contact form"]);
        let cmp = api(&app, Method::GET, &format!("/projects/{pid}/scope/compare?from={before}"), Some(&tok), None).await.json();
        assert_eq!(cmp["removed"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect::<Vec<_>>(), ["Online shop"]);

        // Restored as it was; the history tells the whole story with the reason.
        let back = api(&app, Method::POST, &format!("/scope-items/{sid}/restore"), Some(&tok), None).await;
        assert_eq!(back.status, StatusCode::OK, "{}", back.body);
        assert!(back.json().get("deleted_at").is_none(), "{}", back.body);
        assert_eq!(api(&app, Method::POST, &format!("/scope-items/{sid}/restore"), Some(&tok), None).await.status, StatusCode::CONFLICT);
        let history = api(&app, Method::GET, &format!("/scope-items/{sid}/history"), Some(&tok), None).await.json();
        let steps: Vec<(&str, &str)> = history["history"].as_array().unwrap().iter().map(|h| (h["action"].as_str().unwrap(), h["note"].as_str().unwrap())).collect();
        assert_eq!(steps, [("created", ""), ("deleted", "Dropped in the call of 4 June"), ("restored", "")]);
        let log = api(&app, Method::GET, &format!("/projects/{pid}/activity?kind=scope"), Some(&tok), None).await.json();
        let lines: Vec<&str> = log["activity"].as_array().unwrap().iter().map(|a| a["summary"].as_str().unwrap()).collect();
        assert!(lines.contains(&"deleted \"Online shop\" from the scope: Dropped in the call of 4 June") && lines.contains(&"restored \"Online shop\" to the scope"), "{lines:?}");
    }
}

const HOSTILE: &str = r#"# Notes

<script>alert('script')</script>

<img src=x onerror="alert('img')">

[click](javascript:alert('md-link'))

<a href="&#x6A;avascript:alert('entity')">entity</a>

<svg><script>alert('svg')</script></svg>

<svg onload="alert('svg-onload')"></svg>

[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)

<iframe src="javascript:alert('iframe')"></iframe>

<iframe srcdoc="<script>alert('srcdoc')</script>"></iframe>

<details open ontoggle="alert('toggle')"><summary>x</summary></details>

<a href="https://example.com/help">a good link</a>
"#;

preflight_store::db_test! {
    async fn training_notes_are_sanitised_even_in_a_real_browser(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let pid = project(&app, &tok).await;

        // New projects start with the training page from the talk's advice, for the client.
        let notes = api(&app, Method::GET, &format!("/projects/{pid}/training-notes"), Some(&tok), None).await.json();
        let starter = &notes["notes"][0];
        assert_eq!(starter["client_visible"], true);
        assert!(starter["html"].as_str().unwrap().contains("super user"), "{starter}");

        let res = api(&app, Method::POST, &format!("/projects/{pid}/training-notes"), Some(&tok), Some(json!({"title": "Hostile", "body": HOSTILE}))).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let note = res.json();
        assert_eq!(note["client_visible"], false, "team-only unless said otherwise");
        let html = note["html"].as_str().unwrap().to_string();
        let lower = html.to_ascii_lowercase();
        for bad in ["<script", "onerror", "onload", "ontoggle", "href=\"javascript", "href=\"data:", "src=\"javascript", "<iframe", "srcdoc", "<svg"] {
            assert!(!lower.contains(bad), "{bad} survived: {html}");
        }
        assert!(html.contains(r#"href="https://example.com/help""#), "good links stay: {html}");
        // Optimistic concurrency on edits.
        let nid = note["id"].as_i64().unwrap();
        let ok = api(
            &app,
            Method::PATCH,
            &format!("/training-notes/{nid}"),
            Some(&tok),
            Some(json!({"title": "Hostile", "body": HOSTILE, "client_visible": true, "version": 1})),
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK);
        let stale = api(&app, Method::PATCH, &format!("/training-notes/{nid}"), Some(&tok), Some(json!({"title": "x", "body": "", "version": 1}))).await;
        assert_eq!(stale.status, StatusCode::CONFLICT);

        // Load the rendered note in Chromium: no script may run, no dialog may open.
        let page = format!(
            "<!doctype html><html><head><meta charset=utf-8><title>Note</title></head><body><main>{html}</main><script>window.ready = 1</script></body></html>"
        );
        let site = Router::new().route(
            "/",
            get(move || {
                let p = page.clone();
                async move { Html(p) }
            }),
        );
        let port = serve(site).await;
        let mut settings = preflight_browser::BrowserSettings::new(preflight_engine::EnvProfile::Production);
        settings.viewports = preflight_browser::viewport::parse_list("desktop").unwrap();
        let url = url::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let outcome = preflight_browser::run(settings, vec![url], |_| {}).await.unwrap();
        let ran: Vec<&preflight_engine::Finding> =
            outcome.findings.iter().filter(|f| ["javascript-dialog", "uncaught-exception", "popup-opened"].contains(&f.check.as_str())).collect();
        assert!(ran.is_empty(), "something in the note ran: {ran:#?}");
        assert_eq!(outcome.captures.len(), 1);

        let deleted = api(&app, Method::DELETE, &format!("/training-notes/{nid}"), Some(&tok), None).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        let log: Value = api(&app, Method::GET, &format!("/projects/{pid}/activity?kind=training"), Some(&tok), None).await.json();
        assert_eq!(log["activity"].as_array().unwrap().len(), 3, "{log}");
    }
}

preflight_store::db_test! {
    /// Markdown that is slow to render (100 KB of nested quotes took over 60 s of CPU and 3 GB)
    /// is refused with a clear message; a note saved before the bounds existed is not rendered on
    /// the unauthenticated share page at all (plain text instead), and a note within the bounds
    /// is rendered once, when saved.
    async fn slow_markdown_is_refused_and_notes_render_once(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let pid = project(&app, &tok).await;
        let nested = format!("{} deep\n", ">".repeat(100_000));
        let t = std::time::Instant::now();
        let res = api(&app, Method::POST, &format!("/projects/{pid}/training-notes"), Some(&tok), Some(json!({"title": "Deep", "body": nested}))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert!(res.body.contains("body:") && res.body.contains("characters at most"), "{}", res.body);
        let quotes = format!("{} deep\n", "> ".repeat(40));
        let res = api(&app, Method::POST, &format!("/projects/{pid}/training-notes"), Some(&tok), Some(json!({"title": "Deep", "body": quotes}))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert!(res.body.contains("nests quotes 40 levels deep"), "{}", res.body);
        assert!(t.elapsed() < std::time::Duration::from_secs(5), "refusing takes no rendering");

        // Saved within the bounds: the stored HTML is what every reader gets.
        let res = api(
            &app,
            Method::POST,
            &format!("/projects/{pid}/training-notes"),
            Some(&tok),
            Some(json!({"title": "Ok", "body": "# Hello", "client_visible": true})),
        )
        .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let nid = res.json()["id"].as_i64().unwrap();
        let stored: Option<String> = sqlx::query_scalar("SELECT html FROM training_notes WHERE id = $1").bind(nid).fetch_one(&pool).await.unwrap();
        assert_eq!(stored.as_deref(), Some("<h1>Hello</h1>\n"));

        // A hostile note from before the bounds (no stored HTML): shown as text, quickly.
        sqlx::query("UPDATE training_notes SET body = $1, html = NULL WHERE id = $2").bind(&nested).bind(nid).execute(&pool).await.unwrap();
        let t = std::time::Instant::now();
        let note = api(&app, Method::GET, &format!("/training-notes/{nid}"), Some(&tok), None).await.json();
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
        let html = note["html"].as_str().unwrap();
        assert!(html.contains("not shown formatted") && html.contains("<pre>") && !html.contains("<blockquote>"), "{}", &html[..200.min(html.len())]);
    }
}
