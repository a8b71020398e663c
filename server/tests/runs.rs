//! Check runs in the app: queued through the API, executed by the runner against fixture
//! sites on 127.0.0.1, findings stored and compared, evidence on checklist items.

mod common;

use axum::{
    extract::Request,
    http::{Method, StatusCode},
    response::{Html, IntoResponse},
    Router,
};
use serde_json::json;

use common::*;

/// A dev site; `broken` decides whether its page links to a missing page.
fn site(broken: bool) -> Router {
    Router::new().fallback(move |req: Request| async move {
        match req.uri().path() {
            "/" => Html(format!("<!doctype html><title>Dev</title><body>DEV SITE {}</body>", if broken { "<a href=\"/missing\">missing</a>" } else { "" }))
                .into_response(),
            "/robots.txt" => "User-agent: *\nDisallow: /\n".into_response(),
            _ => (StatusCode::NOT_FOUND, Html("<!doctype html><html><head><style>h1{}</style></head><body><h1>Not found</h1></body></html>")).into_response(),
        }
    })
}

preflight_store::db_test! {
    async fn runs_are_queued_executed_compared_and_become_evidence(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        preflight_server::runner::start(st.store().clone(), 1, preflight_server::runner::shutdown::Signal::default()).await.unwrap();
        let app = preflight_server::router(st.clone());
        let bad = serve(site(true)).await;
        let good = serve(site(false)).await;
        let body = json!({"name": "Runs", "launch_date": "2027-03-01", "environments": [
            {"name": "dev", "base_url": format!("http://127.0.0.1:{bad}/")},
            {"name": "staging", "base_url": format!("http://127.0.0.1:{good}/"), "kind": "dev"}
        ]});
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(body)).await.json()["id"].as_i64().unwrap();

        // Unknown environments and projects are refused with a reason.
        let res = api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "prod"}))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json()["error"].as_str().unwrap().contains("dev, staging"));
        assert_eq!(api(&app, Method::POST, "/projects/9999/runs", Some(&tok), Some(json!({"environment": "dev"}))).await.status, StatusCode::NOT_FOUND);
        assert_eq!(api(&app, Method::GET, "/runs/9999", Some(&tok), None).await.status, StatusCode::NOT_FOUND);

        let res = api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let run1 = res.json()["id"].as_i64().unwrap();
        assert!(matches!(res.json()["status"].as_str(), Some("queued" | "running")));
        let done = wait_finished(&app, &tok, run1).await;
        assert_eq!(done["status"], "failed", "a broken link is an error: {done}");
        assert!(done["pages_crawled"].as_i64().unwrap() >= 1);

        let f = api(&app, Method::GET, &format!("/runs/{run1}/findings"), Some(&tok), None).await.json();
        let findings = f["findings"].as_array().unwrap();
        let broken = findings.iter().find(|x| x["check"] == "broken-link").expect("the broken link is found");
        for field in ["check", "severity", "url", "message", "evidence"] {
            assert!(broken[field].is_string(), "{field}");
        }
        assert_eq!(broken["severity"], "error");

        // Evidence on the checklist: the crawler item names broken-link.
        let items = api(&app, Method::GET, &format!("/projects/{pid}/checklist"), Some(&tok), None).await.json()["items"].as_array().unwrap().clone();
        let crawler = items.iter().find(|i| i["checks"].as_array().unwrap().iter().any(|c| c == "broken-link")).expect("an item names broken-link");
        let ev = crawler["evidence"].as_array().unwrap();
        let bl = ev.iter().find(|e| e["check"] == "broken-link").unwrap();
        assert_eq!((bl["passed"].as_bool(), bl["run_id"].as_i64()), (Some(false), Some(run1)));

        // Tick it by hand; a later failing run flags a regression.
        let iid = crawler["id"].as_i64().unwrap();
        let v = crawler["version"].as_i64().unwrap();
        let ticked = api(&app, Method::PATCH, &format!("/checklist-items/{iid}"), Some(&tok), Some(json!({"state": "done", "version": v}))).await.json();
        assert_eq!(ticked["regression"], true, "ticked while its latest evidence fails");

        // The same environment again: compared with the previous run.
        let run2 = api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await.json()["id"].as_i64().unwrap();
        wait_finished(&app, &tok, run2).await;
        let detail = preflight_store::runs::detail(&pool, run2).await.unwrap();
        let cmp = detail.comparison.expect("compared with run 1");
        assert_eq!(cmp.previous_run_id, run1);
        assert!(cmp.new.is_empty() && cmp.fixed.is_empty() && cmp.unchanged > 0, "{cmp:?}");

        // A clean second environment: its evidence passes, but the regression is per environment —
        // a pass on staging does not clear the failure dev still has.
        let run3 =
            api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "staging"}))).await.json()["id"].as_i64().unwrap();
        let done3 = wait_finished(&app, &tok, run3).await;
        assert_eq!(done3["status"], "passed", "{done3}");
        let item = api(&app, Method::GET, &format!("/checklist-items/{iid}"), Some(&tok), None).await.json();
        assert_eq!(item["regression"], true, "dev still fails: {item}");
        assert_eq!(item["evidence_passed"], false);
        let ev = item["evidence"].as_array().unwrap();
        let of = |run: i64| ev.iter().filter(move |e| e["run_id"] == run);
        assert!(of(run2).any(|e| e["check"] == "broken-link" && e["status"] == "failed" && e["environment"] == "dev"), "{ev:?}");
        assert!(of(run3).all(|e| e["status"] != "failed" && e["environment"] == "staging"), "{ev:?}");
        // This server runs without a browser: its checks say so.
        let console = done3["checks"].as_array().unwrap().iter().find(|c| c["id"] == "console-error").unwrap();
        assert_eq!(
            (console["status"].as_str(), console["reason"].as_str()),
            (Some("skipped"), Some("browser checks are turned off on this server (--no-browser)"))
        );
        let bl = of(run3).find(|e| e["check"] == "broken-link").unwrap();
        assert_eq!((bl["status"].as_str(), bl["passed"].as_bool(), bl["stale"].is_null()), (Some("passed"), Some(true), true));
        // Checks that did not look are "not checked" with the reason, never passed.
        for e in ev.iter().filter(|e| e["status"] == "not_applicable" || e["status"] == "skipped") {
            assert_eq!(e["passed"], false, "{e}");
            assert!(!e["reason"].as_str().unwrap().is_empty(), "{e}");
        }

        // Dev is fixed (it now serves the clean site) and checked again: the regression clears.
        let project = api(&app, Method::GET, &format!("/projects/{pid}"), Some(&tok), None).await.json();
        let mut input: preflight_model::ProjectInput = serde_json::from_value(project.clone()).unwrap();
        input.environments[0].base_url = format!("http://127.0.0.1:{good}/");
        preflight_store::projects::update(&pool, pid, &input).await.unwrap();
        let run4 = api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await.json()["id"].as_i64().unwrap();
        assert_eq!(wait_finished(&app, &tok, run4).await["status"], "passed");
        let item = api(&app, Method::GET, &format!("/checklist-items/{iid}"), Some(&tok), None).await.json();
        assert_eq!(item["regression"], false, "{item}");
        assert!(item["evidence"].as_array().unwrap().iter().all(|e| e["status"] != "failed"), "{item}");
        // The fixture site has no images, scripts or stylesheets: broken-asset did not apply, so
        // the crawler item is not "all passed". An item naming only what was judged is.
        assert_eq!(item["evidence_passed"], false, "{item}");
        let asset = item["evidence"].as_array().unwrap().iter().find(|e| e["check"] == "broken-asset" && e["run_id"] == run4).unwrap().clone();
        assert_eq!((asset["status"].as_str(), asset["reason"].as_str()), (Some("not_applicable"), Some("the crawled pages use no images, scripts or stylesheets")));
        let new = preflight_model::NewItem {
            title: "Links and pages work".into(),
            phase: "content".into(),
            why: String::new(),
            due_offset_days: -3,
            checks: vec!["broken-link".into(), "server-error".into()],
            evidence_from: preflight_model::EvidenceFrom::PreProduction,
            signals: vec![],
        };
        let links = preflight_store::checklist::add_item(&st, &user, pid, &new).await.unwrap();
        assert!(links.evidence_passed, "{links:?}");

        // A deploy makes earlier passes stale: no one-click tick until a new run.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // deploys and runs are stamped in seconds
        let res = api(&app, Method::POST, &format!("/projects/{pid}/deploys"), Some(&tok), Some(json!({"environment": "staging", "revision": "abc123", "start_run": false}))).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        assert_eq!((res.json()["environment"].as_str(), res.json()["revision"].as_str()), (Some("staging"), Some("abc123")));
        assert!(res.json()["run_id"].is_null() && res.json()["run"].is_null(), "start_run false starts none: {}", res.body);
        let item = api(&app, Method::GET, &format!("/checklist-items/{}", links.id), Some(&tok), None).await.json();
        let ev = item["evidence"].as_array().unwrap();
        assert!(ev.iter().filter(|e| e["run_id"] == run3).all(|e| e["stale"] == "deployed after this run"), "{ev:?}");
        assert!(ev.iter().filter(|e| e["run_id"] == run4).all(|e| e["stale"].is_null()), "dev was not deployed: {ev:?}");
        assert_eq!(item["evidence_passed"], true, "dev's fresh pass still counts");
        // A deploy starts a run of its environment (201 with the deploy's id and the run's
        // run_id); the run says it was started by that deploy, and its evidence says so too.
        let sha = "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6";
        let res = api(&app, Method::POST, &format!("/projects/{pid}/deploys"), Some(&tok), Some(json!({"environment": "dev", "revision": sha, "description": "Menu fix"}))).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let deployed = res.json();
        let run5 = deployed["run_id"].as_i64().expect("the deploy started a run");
        assert!(deployed["id"].as_i64().is_some() && deployed["note"] == "Menu fix", "{deployed}");
        assert_eq!(deployed["run"]["id"], run5);
        assert_eq!(res.header("location"), format!("/api/v1/runs/{run5}"));
        let item = api(&app, Method::GET, &format!("/checklist-items/{}", links.id), Some(&tok), None).await.json();
        assert_eq!(item["evidence_passed"], false, "both environments deployed since their runs (dev's new run has not finished): {item}");
        let done = wait_finished(&app, &tok, run5).await;
        assert_eq!(done["cause"], "deploy", "{done}");
        assert_eq!((done["deploy"]["id"].as_i64(), done["deploy"]["short"].as_str()), (deployed["id"].as_i64(), Some("0f1e2d3")), "{done}");
        let item = api(&app, Method::GET, &format!("/checklist-items/{}", links.id), Some(&tok), None).await.json();
        assert_eq!(item["evidence_passed"], true, "a run after the deploy is fresh: {item}");
        let ev = item["evidence"].as_array().unwrap();
        assert!(ev.iter().filter(|e| e["run_id"] == run5).all(|e| e["after_deploy"] == "0f1e2d3"), "{ev:?}");
        assert!(ev.iter().filter(|e| e["run_id"] == run3).all(|e| e["after_deploy"].is_null()), "run 3 came before any deploy: {ev:?}");
        // A run someone starts later reads "after deploy" too, but was not started by it.
        let run6 = api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await.json();
        assert_eq!((run6["cause"].as_str(), run6["deploy"]["short"].as_str()), (Some("manual"), Some("0f1e2d3")), "{run6}");
        wait_finished(&app, &tok, run6["id"].as_i64().unwrap()).await;
        let deploys = api(&app, Method::GET, &format!("/projects/{pid}/deploys"), Some(&tok), None).await.json();
        assert_eq!(deploys["deploys"].as_array().unwrap().len(), 2);
        assert_eq!(deploys["deploys"][0]["run_id"], run5, "{deploys}");
        assert!(deploys["deploys"][1]["run_id"].is_null(), "{deploys}");
        let project = api(&app, Method::GET, &format!("/projects/{pid}"), Some(&tok), None).await.json();
        assert!(project["environments"][1]["last_deploy_at"].as_i64().is_some(), "{project}");
        // Bad deploy bodies: a clear 4xx.
        let res = api(&app, Method::POST, &format!("/projects/{pid}/deploys"), Some(&tok), Some(json!({"environment": "nowhere"}))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json()["error"].as_str().unwrap().contains("dev, staging"), "{}", res.body);
        let res = api(&app, Method::POST, &format!("/projects/{pid}/deploys"), Some(&tok), Some(json!({"environment": "dev", "sha": "x"}))).await;
        assert!(res.status.is_client_error(), "{}", res.body);
        assert_eq!(api(&app, Method::POST, "/projects/9999/deploys", Some(&tok), Some(json!({"environment": "dev"}))).await.status, StatusCode::NOT_FOUND);

        let list = api(&app, Method::GET, &format!("/projects/{pid}/runs"), Some(&tok), None).await.json();
        assert_eq!(list["runs"].as_array().unwrap().len(), 6);
    }
}

preflight_store::db_test! {
    async fn runs_left_running_by_a_dead_server_become_interrupted(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let pid = preflight_store::projects::create(&pool, &user, &serde_json::from_value(project_body("P")).unwrap()).await.unwrap();
        let run = preflight_store::runs::queue(&st, &user, pid, "production").await.unwrap();
        let claimed = preflight_store::runs::claim_next(&pool, "test-worker").await.unwrap().unwrap();
        assert_eq!(claimed.id, run.id);
        // It had recorded a screenshot before the process "died" here: nothing finishes the run.
        let shot = preflight_store::screenshots::NewShot {
            url: "http://shop.test/".into(),
            final_url: "http://shop.test/".into(),
            viewport: "desktop".into(),
            file: format!("run-{}/home--desktop.png", run.id),
            thumb: String::new(),
            width: 1280,
            height: 800,
            page_height: 800,
            load_ms: 10,
            overflow_px: 0,
            console: vec![],
            problems: vec![],
            title: "Shop".into(),
        };
        preflight_store::screenshots::insert(&pool, run.id, &shot).await.unwrap();
        // A new start marks it, and its screenshot leaves the gallery.
        assert_eq!(preflight_store::runs::mark_interrupted(&pool).await.unwrap(), vec![run.id]);
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM screenshots WHERE run_id = $1").bind(run.id).fetch_one(&pool).await.unwrap();
        assert_eq!(left, 0, "the interrupted run's screenshots are removed");
        let r = preflight_store::runs::get(&pool, run.id).await.unwrap();
        assert_eq!(r.status, preflight_model::RunStatus::Interrupted);
        assert!(r.error.contains("run it again"));
        assert!(preflight_store::runs::findings(&pool, run.id).await.unwrap().is_empty(), "no half-written results");
    }
}

preflight_store::db_test! {
    async fn an_unreachable_site_is_a_run_that_could_not_complete_and_proves_nothing(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        preflight_server::runner::start(st.store().clone(), 1, preflight_server::runner::shutdown::Signal::default()).await.unwrap();
        let app = preflight_server::router(st.clone());
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let body = json!({"name": "Gone", "launch_date": "2027-03-01", "environments": [
            {"name": "dev", "base_url": format!("http://127.0.0.1:{port}/"), "kind": "dev"}
        ]});
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(body)).await.json()["id"].as_i64().unwrap();
        let run = api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await.json()["id"].as_i64().unwrap();
        let done = wait_finished(&app, &tok, run).await;
        assert_eq!(done["state"], "failed", "{done}");
        assert!(done["label"].as_str().unwrap().starts_with("failed: site unreachable"), "{done}");
        assert!(done["error"].as_str().unwrap().contains("site unreachable"));
        let checks = done["checks"].as_array().unwrap();
        assert_eq!(checks.len(), preflight_engine::CATALOGUE.len());
        assert!(!checks.iter().any(|c| c["status"] == "passed"), "nothing was looked at, so nothing passed: {checks:?}");
        let of = |id: &str| checks.iter().find(|c| c["id"] == id).unwrap().clone();
        assert_eq!(of("unreachable")["status"], "failed");
        assert_eq!(of("console-error")["status"], "skipped");
        assert!(of("broken-link")["reason"].as_str().unwrap().starts_with("site unreachable"));
        // On the checklist: dev items say "not checked" with the reason, production items say there
        // is no production environment; no chip passes and no item offers the one-click tick.
        let items = api(&app, Method::GET, &format!("/projects/{pid}/checklist"), Some(&tok), None).await.json()["items"].as_array().unwrap().clone();
        assert!(items.iter().all(|i| i["evidence"].as_array().unwrap().iter().all(|e| e["passed"] == false)), "{items:?}");
        assert!(items.iter().all(|i| i["evidence_passed"] == false), "{items:?}");
        let item = |key: &str| items.iter().find(|i| i["template_key"] == key).unwrap().clone();
        let console = item("browser-console-clean");
        let ev = console["evidence"].as_array().unwrap();
        assert!(!ev.is_empty() && ev.iter().all(|e| e["status"] == "skipped" && e["reason"].as_str().unwrap().starts_with("site unreachable")), "{ev:?}");
        let banner = item("dev-banner");
        assert!(banner["evidence"].as_array().unwrap().iter().all(|e| e["run_id"] == run && e["status"] == "skipped"), "{banner}");
        let sitemap = item("sitemap");
        assert!(sitemap["evidence"].as_array().unwrap().is_empty(), "a dev run is no evidence for production: {sitemap}");
        assert_eq!(sitemap["evidence_missing"], "the project has no production environment");
    }
}

preflight_store::db_test! {
    /// In app runs the browser checks say why they did not look: a server started without a
    /// browser, a project with no viewports, a browser that cannot start (then also a
    /// `browser-check-failed` finding, and the HTTP results still count).
    async fn app_runs_say_why_the_browser_checks_did_not_look(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let broken = preflight_server::runner::BrowserRunner {
            endpoint: preflight_browser::Endpoint::Local { chromium: Some("/nonexistent/chromium".into()) },
            max_pages: 2,
            concurrency: 1,
        };
        preflight_server::runner::start_with_browser(st.store().clone(), 1, Some(broken), preflight_server::runner::shutdown::Signal::default()).await.unwrap();
        let app = preflight_server::router(st.clone());
        let port = serve(site(false)).await;
        let create = |viewports: &str| {
            json!({"name": format!("B{viewports}"), "launch_date": "2027-03-01", "viewports": viewports,
                   "environments": [{"name": "dev", "kind": "dev", "base_url": format!("http://127.0.0.1:{port}/")}]})
        };
        let reason = |run: &serde_json::Value, id: &str| {
            let c = run["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap().clone();
            (c["status"].as_str().unwrap().to_string(), c["reason"].as_str().unwrap().to_string())
        };
        // No viewports chosen: the browser checks do not apply to this project.
        let off = api(&app, Method::POST, "/projects", Some(&tok), Some(create(""))).await.json()["id"].as_i64().unwrap();
        let run = api(&app, Method::POST, &format!("/projects/{off}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await.json()["id"].as_i64().unwrap();
        let done = wait_finished(&app, &tok, run).await;
        let (s, r) = reason(&done, "console-error");
        assert_eq!((s.as_str(), r.as_str()), ("not_applicable", "browser checks are off for this project (no viewports chosen)"), "{done}");
        // A browser that cannot start: skipped with the reason, and a finding that says so.
        let on = api(&app, Method::POST, "/projects", Some(&tok), Some(create("desktop"))).await.json()["id"].as_i64().unwrap();
        let run = api(&app, Method::POST, &format!("/projects/{on}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await.json()["id"].as_i64().unwrap();
        let done = wait_finished(&app, &tok, run).await;
        let (s, r) = reason(&done, "console-error");
        assert!(s == "skipped" && r.starts_with("browser unavailable"), "{s} {r}");
        assert_eq!(reason(&done, "broken-link").0, "passed", "the HTTP results still count");
        let f = api(&app, Method::GET, &format!("/runs/{run}/findings"), Some(&tok), None).await.json();
        assert!(f["findings"].as_array().unwrap().iter().any(|f| f["check"] == "browser-check-failed"), "{f}");
    }
}

preflight_store::db_test! {
    async fn a_run_whose_worker_stops_answering_is_taken_back_once_then_interrupted(pool) {
        use preflight_store::runs::{self, Reaped};
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let pid = preflight_store::projects::create(&pool, &user, &serde_json::from_value(project_body("P")).unwrap()).await.unwrap();
        let run = runs::queue(&st, &user, pid, "production").await.unwrap();
        // Two workers asking at once: exactly one gets the run.
        let (a, b) = tokio::join!(runs::claim_next(&pool, "worker-a"), runs::claim_next(&pool, "worker-b"));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a.is_some() != b.is_some(), "one claim, not two: {a:?} {b:?}");
        let (holder, other) = if a.is_some() { ("worker-a", "worker-b") } else { ("worker-b", "worker-a") };
        assert!(runs::heartbeat(&pool, run.id, holder).await.unwrap());
        assert!(!runs::heartbeat(&pool, run.id, other).await.unwrap(), "only the holder keeps a run alive");
        // Heard of recently: nothing is taken back.
        assert_eq!(runs::reap_stale(&pool).await.unwrap(), Reaped::default());
        let age = |id: i64| {
            let pool = pool.clone();
            async move {
                sqlx::query("UPDATE runs SET heartbeat_at = heartbeat_at - $1 WHERE id = $2").bind(runs::STALE_AFTER_SECS + 1).bind(id).execute(&pool).await.unwrap();
            }
        };
        // Its worker died: queued again, for another worker.
        age(run.id).await;
        assert_eq!(runs::reap_stale(&pool).await.unwrap(), Reaped { requeued: vec![run.id], interrupted: vec![] });
        assert_eq!(runs::get(&pool, run.id).await.unwrap().status, preflight_model::RunStatus::Queued);
        // Had the first worker only stalled, it must stop now: no heartbeat, no results.
        assert!(!runs::heartbeat(&pool, run.id, holder).await.unwrap());
        let late = runs::finish(&st, run.id, holder, 1, &[], &[], "").await;
        assert!(matches!(late, Err(preflight_store::AppError::Conflict(_))), "{late:?}");
        // The second start's worker dies too: interrupted, not queued a third time.
        assert_eq!(runs::claim_next(&pool, other).await.unwrap().map(|j| j.id), Some(run.id));
        age(run.id).await;
        assert_eq!(runs::reap_stale(&pool).await.unwrap(), Reaped { requeued: vec![], interrupted: vec![run.id] });
        let r = runs::get(&pool, run.id).await.unwrap();
        assert_eq!(r.status, preflight_model::RunStatus::Interrupted);
        assert!(r.error.contains("stopped answering"), "{}", r.error);
        assert!(runs::claim_next(&pool, "worker-c").await.unwrap().is_none());
    }
}
