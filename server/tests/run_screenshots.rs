//! Check runs with the browser: screenshots recorded per page and viewport, served only to
//! signed-in people, the gallery through the API, and the visual diff between two runs.
//! Real Chromium against fixture sites on 127.0.0.1.

mod common;

use std::sync::{
    atomic::{AtomicBool, AtomicU64, Ordering},
    Arc,
};

use axum::{
    body::Body,
    extract::Request,
    http::{header, Method, StatusCode},
    response::{Html, IntoResponse},
    Router,
};
use serde_json::{json, Value};

use common::*;

fn site(changed: Arc<AtomicBool>) -> Router {
    Router::new().fallback(move |req: Request| {
        let changed = changed.load(Ordering::SeqCst);
        async move {
            let page = |body: &str| Html(format!("<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>Fixture</title></head><body>DEV SITE {body}</body></html>"));
            match req.uri().path() {
                "/" if changed => page("<h1>Home</h1><div style=\"height:300px;background:#c00\">A new banner</div><a href=/about>About</a>").into_response(),
                "/" => page("<h1>Home</h1><a href=/about>About</a>").into_response(),
                "/about" => page("<h1>About</h1><script>console.error('about is broken')</script>").into_response(),
                "/robots.txt" => "User-agent: *\nDisallow: /\n".into_response(),
                _ => (StatusCode::NOT_FOUND, Html("<!doctype html><title>Not found</title><h1>Not found</h1>")).into_response(),
            }
        }
    })
}

async fn get(app: &Router, path: &str, cookie: Option<&str>) -> Res {
    let mut b = browser(Method::GET, path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    send(app, b.body(Body::empty()).unwrap()).await
}

preflight_store::db_test! {
    async fn runs_take_screenshots_and_diff_them_between_runs(pool) {
        let shots_dir = tempfile::tempdir().unwrap();
        let st = state_with_screenshots(pool.clone(), shots_dir.path().to_path_buf()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let browser = preflight_server::runner::BrowserRunner { endpoint: preflight_browser::Endpoint::Local { chromium: None }, max_pages: 5, concurrency: 2 };
        preflight_server::runner::start_with_browser(st.store().clone(), 1, Some(browser), preflight_server::runner::shutdown::Signal::default()).await.unwrap();
        let app = preflight_server::router(st.clone());
        let changed = Arc::new(AtomicBool::new(false));
        let port = serve(site(changed.clone())).await;
        let body = |viewports: &str| {
            json!({"name": "Shots", "launch_date": "2027-03-01", "viewports": viewports, "forms_listed": ["/contact#enquiry"], "environments": [
                {"name": "dev", "base_url": format!("http://127.0.0.1:{port}/"), "kind": "dev", "submit_forms": false}
            ]})
        };
        let bad = api(&app, Method::POST, "/projects", Some(&tok), Some(body("desktop,watch"))).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.json()["error"].as_str().unwrap().contains("viewports"), "{}", bad.body);
        let created = api(&app, Method::POST, "/projects", Some(&tok), Some(body(" desktop , phone "))).await.json();
        let pid = created["id"].as_i64().unwrap();
        let project = api(&app, Method::GET, &format!("/projects/{pid}"), Some(&tok), None).await.json();
        assert_eq!(project["viewports"], "desktop,phone", "{project}");
        assert_eq!(project["forms_listed"], json!(["/contact#enquiry"]));
        assert_eq!(project["environments"][0]["submit_forms"], false);

        let start = || async {
            let res = api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
            res.json()["id"].as_i64().unwrap()
        };
        let run1 = start().await;
        wait_finished(&app, &tok, run1).await;
        let findings = api(&app, Method::GET, &format!("/runs/{run1}/findings"), Some(&tok), None).await.json();
        assert!(
            findings["findings"].as_array().unwrap().iter().any(|f| f["check"] == "console-error" && f["message"].as_str().unwrap().contains("about is broken")),
            "{findings}"
        );
        let g1 = api(&app, Method::GET, &format!("/runs/{run1}/screenshots"), Some(&tok), None).await.json();
        let shots1 = g1["shots"].as_array().unwrap().clone();
        assert_eq!(shots1.len(), 4, "two pages at two viewports: {g1}\n{findings}");
        assert_eq!(g1["viewports"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect::<Vec<_>>(), ["desktop", "phone"]);
        assert!(g1["previous_run_id"].is_null());
        for s in &shots1 {
            let w = if s["viewport"] == "phone" { 1170 } else { 1440 };
            assert_eq!(s["width"], w, "{s}");
            assert!(s["has_thumbnail"].as_bool().unwrap());
        }
        let about = shots1.iter().find(|s| s["url"].as_str().unwrap().ends_with("/about") && s["viewport"] == "desktop").unwrap();
        assert!(about["console"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("about is broken")), "{about}");

        // Images only for signed-in people.
        let id = shots1[0]["id"].as_i64().unwrap();
        let anonymous = get(&app, &format!("/screenshots/{id}"), None).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "sent to sign in");
        assert!(anonymous.header("location").starts_with("/login"), "{}", anonymous.header("location"));
        let cookie = session_cookie(&login(&app, "owner@example.test", PASSWORD).await);
        let full = get(&app, &format!("/screenshots/{id}"), Some(&cookie)).await;
        assert_eq!((full.status, full.header("content-type").as_str()), (StatusCode::OK, "image/png"));
        assert!(full.header("cache-control").contains("immutable"));
        let thumb = get(&app, &format!("/screenshots/{id}/thumb"), Some(&cookie)).await;
        assert_eq!((thumb.status, thumb.header("content-type").as_str()), (StatusCode::OK, "image/jpeg"));
        assert_eq!(get(&app, "/screenshots/99999", Some(&cookie)).await.status, StatusCode::NOT_FOUND);

        // The home page changes; the next run's shots point at the previous ones and diff.
        changed.store(true, Ordering::SeqCst);
        let run2 = start().await;
        wait_finished(&app, &tok, run2).await;
        let g2 = api(&app, Method::GET, &format!("/runs/{run2}/screenshots"), Some(&tok), None).await.json();
        assert_eq!(g2["previous_run_id"], run1);
        let shots2 = g2["shots"].as_array().unwrap().clone();
        let pick = |list: &[Value], path: &str, vp: &str| list.iter().find(|s| s["url"].as_str().unwrap().ends_with(path) && s["viewport"] == vp).cloned().unwrap();
        for (path, vp, moved) in [("/", "desktop", true), ("/about", "desktop", false), ("/", "phone", true)] {
            let before = pick(&shots1, path, vp);
            let after = pick(&shots2, path, vp);
            assert_eq!(after["previous"], before["id"], "{path} at {vp}");
            let res = get(&app, &format!("/screenshots/{}/diff/{}", before["id"], after["id"]), Some(&cookie)).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
            assert_eq!(res.header("content-type"), "image/png");
            let ppm: i64 = res.header("x-changed-ppm").parse().unwrap();
            assert_eq!(ppm > 0, moved, "{path} at {vp}: {ppm} ppm changed");
        }
        // Diffs across viewports make no sense and are refused.
        let (a, b) = (pick(&shots1, "/", "desktop"), pick(&shots2, "/", "phone"));
        assert_eq!(get(&app, &format!("/screenshots/{}/diff/{}", a["id"], b["id"]), Some(&cookie)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Files live in the data folder, one folder per run.
        assert!(shots_dir.path().join(format!("run-{run1}/home--desktop.png")).exists());
        let f2 = api(&app, Method::GET, &format!("/runs/{run2}/findings"), Some(&tok), None).await.json();
        assert!(shots_dir.path().join(format!("run-{run2}/about--phone.png")).exists(), "{g2:#}\n{f2:#}");
    }
}

preflight_store::db_test! {
    async fn visual_review_scores_changes_masks_ignore_regions_and_follows_the_baseline(pool) {
        let shots_dir = tempfile::tempdir().unwrap();
        let st = state_with_screenshots(pool.clone(), shots_dir.path().to_path_buf()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let chromium = preflight_server::runner::BrowserRunner { endpoint: preflight_browser::Endpoint::Local { chromium: None }, max_pages: 10, concurrency: 2 };
        preflight_server::runner::start_with_browser(st.store().clone(), 1, Some(chromium), preflight_server::runner::shutdown::Signal::default()).await.unwrap();
        let app = preflight_server::router(st.clone());
        let cookie = session_cookie(&login(&app, "owner@example.test", PASSWORD).await);
        // Stage 0, then 1: the home page gains a banner, /old goes, /new comes; the news
        // ticker shows something different on every request (masked by an ignore region).
        let stage = Arc::new(AtomicU64::new(0));
        let hits = Arc::new(AtomicU64::new(0));
        let site = {
            let (stage, hits) = (stage.clone(), hits.clone());
            Router::new().fallback(move |req: Request| {
                let (stage, n) = (stage.load(Ordering::SeqCst), hits.fetch_add(1, Ordering::SeqCst));
                async move {
                    let page = |body: String| Html(format!("<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>Fixture</title></head><body style=\"margin:0;font:16px sans-serif\">{body}</body></html>"));
                    // The same on every page and stage; only the home page links the old or new page.
                    let nav = "<a href=/about>About</a> <a href=/news>News</a>";
                    let extra = if stage == 0 { "<a href=/old>Old</a>" } else { "<a href=/new>New</a>" };
                    match req.uri().path() {
                        "/" if stage > 0 => page(format!("<h1>Home</h1><nav>{nav} {extra}</nav><div style=\"height:200px;background:#c00;color:#fff\">Spring sale</div>")).into_response(),
                        "/" => page(format!("<h1>Home</h1><nav>{nav} {extra}</nav>")).into_response(),
                        "/about" => page(format!("<h1>About</h1><nav>{nav}</nav>")).into_response(),
                        "/news" => {
                            let hue = (n * 97) % 360;
                            page(format!("<h1>News</h1><nav>{nav}</nav><div class=ticker style=\"height:120px;background:hsl({hue},80%,45%);font-size:40px\">Item {n}</div><p>Below the ticker</p>")).into_response()
                        }
                        "/old" if stage == 0 => page(format!("<h1>Old page</h1><nav>{nav}</nav>")).into_response(),
                        "/new" if stage > 0 => page(format!("<h1>New page</h1><nav>{nav}</nav>")).into_response(),
                        _ => (StatusCode::NOT_FOUND, Html("<!doctype html><title>Not found</title><h1>Not found</h1>")).into_response(),
                    }
                }
            })
        };
        let port = serve(site).await;
        let body = |regions: Value| {
            json!({"name": "Review", "launch_date": "2027-03-01", "viewports": "desktop", "ignore_regions": regions, "environments": [
                {"name": "dev", "base_url": format!("http://127.0.0.1:{port}/"), "kind": "dev", "submit_forms": false}
            ]})
        };
        let bad = api(&app, Method::POST, "/projects", Some(&tok), Some(body(json!(["/news .ticker {color: red}"])))).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert!(bad.json()["error"].as_str().unwrap().starts_with("ignore_regions:"), "{}", bad.body);
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(body(json!(["/news .ticker"])))).await.json()["id"].as_i64().unwrap();
        let project = api(&app, Method::GET, &format!("/projects/{pid}"), Some(&tok), None).await.json();
        assert_eq!(project["ignore_regions"], json!(["/news .ticker"]));
        let start = || async {
            let res = api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
            let id = res.json()["id"].as_i64().unwrap();
            wait_finished(&app, &tok, id).await;
            id
        };
        let gallery = |run: i64| {
            let app = app.clone();
            let tok = tok.clone();
            async move { api(&app, Method::GET, &format!("/runs/{run}/screenshots"), Some(&tok), None).await.json() }
        };
        let shot = |g: &Value, path: &str| g["shots"].as_array().unwrap().iter().find(|s| s["url"].as_str().unwrap().ends_with(path)).cloned().unwrap_or_else(|| panic!("no {path} in {g:#}"));

        let run1 = start().await;
        let g1 = gallery(run1).await;
        assert_eq!(g1["shots"].as_array().unwrap().len(), 4, "{g1:#}");
        assert!(g1["previous_run_id"].is_null() && g1["shots"].as_array().unwrap().iter().all(|s| s["change_ppm"].is_null()), "a first run compares with nothing");

        stage.store(1, Ordering::SeqCst);
        let run2 = start().await;
        let g2 = gallery(run2).await;
        assert_eq!(g2["previous_run_id"], run1);
        let home = shot(&g2, "/");
        assert!(home["change_ppm"].as_i64().unwrap() > 10_000, "the banner changes over 1 % of the home page: {home}");
        assert_eq!(shot(&g2, "/about")["change_ppm"], 0, "an unchanged page scores 0");
        assert_eq!(shot(&g2, "/news")["change_ppm"], 0, "the ticker changed colour and text, but it is masked: {}", shot(&g2, "/news"));
        let new = shot(&g2, "/new");
        assert!(new["previous"].is_null() && new["change_ppm"].is_null(), "a new page: {new}");
        let gone: Vec<&str> = g2["gone"].as_array().unwrap().iter().map(|s| s["url"].as_str().unwrap()).collect();
        assert!(gone.len() == 1 && gone[0].ends_with("/old"), "{gone:?}");
        // The masked region is painted over in the screenshot, the rest of the page is not.
        let news_png = get(&app, &format!("/screenshots/{}", shot(&g2, "/news")["id"]), Some(&cookie)).await;
        assert_eq!(news_png.status, StatusCode::OK);

        // The compare view walks the changes only: the home page, not the unchanged ones.
        let (b, a) = (home["previous"].as_i64().unwrap(), home["id"].as_i64().unwrap());
        let rpc = |name: &str, body: Value| {
            let req = browser(Method::POST, &format!("/rpc/{name}")).header(header::CONTENT_TYPE, "application/json").header(header::COOKIE, &cookie).body(Body::from(body.to_string())).unwrap();
            let app = app.clone();
            async move { send(&app, req).await }
        };
        let diff = rpc("get_diff", json!({"before": b, "after": a})).await;
        assert_eq!(diff.status, StatusCode::OK, "{}", diff.body);
        let steps = diff.json()["steps"].as_array().unwrap().clone();
        assert_eq!(steps.len(), 1, "{steps:?}");
        assert_eq!((steps[0]["before"].as_i64(), steps[0]["after"].as_i64()), (Some(b), Some(a)));

        // The team approves what did not change in one go, once.
        let approved = api(&app, Method::POST, &format!("/runs/{run2}/approve-unchanged"), Some(&tok), None).await;
        assert_eq!((approved.status, approved.json()["approved"].as_i64()), (StatusCode::OK, Some(2)), "{}", approved.body);
        assert_eq!(api(&app, Method::POST, &format!("/runs/{run2}/approve-unchanged"), Some(&tok), None).await.json()["approved"], 0);
        let no_comment = api(&app, Method::POST, &format!("/screenshots/{a}/review"), Some(&tok), Some(json!({"approve": false}))).await;
        assert_eq!(no_comment.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no_comment.body);
        let asked = api(&app, Method::POST, &format!("/screenshots/{a}/review"), Some(&tok), Some(json!({"approve": false, "comment": "Banner too loud"}))).await;
        assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.body);
        let g2 = gallery(run2).await;
        assert_eq!(shot(&g2, "/about")["team_review"]["verdict"], "approved");
        assert_eq!(shot(&g2, "/")["team_review"]["comment"], "Banner too loud");
        assert_eq!(shot(&g2, "/")["team_review"]["source"], "team");
        assert!(shot(&g2, "/")["review"].is_null(), "a team review is not the client's");
        assert_eq!(api(&app, Method::POST, "/screenshots/999999/review", Some(&tok), Some(json!({"approve": true}))).await.status, StatusCode::NOT_FOUND);

        // Run 1 becomes the baseline: run 3 (same site as run 2) is compared with it.
        assert_eq!(api(&app, Method::POST, "/runs/999999/baseline", Some(&tok), None).await.status, StatusCode::NOT_FOUND);
        let base = api(&app, Method::POST, &format!("/runs/{run1}/baseline"), Some(&tok), None).await;
        assert_eq!(base.status, StatusCode::OK, "{}", base.body);
        assert_eq!((base.json()["run_id"].as_i64(), base.json()["environment"].as_str()), (Some(run1), Some("dev")));
        let run3 = start().await;
        let g3 = gallery(run3).await;
        assert_eq!((g3["previous_run_id"].as_i64(), g3["baseline_run_id"].as_i64()), (Some(run1), Some(run1)), "{g3:#}");
        assert!(shot(&g3, "/")["change_ppm"].as_i64().unwrap() > 10_000);
        assert_eq!(shot(&g3, "/")["previous"], shot(&g1, "/")["id"]);
        let activity = api(&app, Method::GET, &format!("/projects/{pid}/activity"), Some(&tok), None).await.body;
        assert!(activity.contains("visual baseline") && activity.contains("2 unchanged screenshot"), "{activity}");
    }
}
