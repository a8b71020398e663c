//! The scheduler with an injected clock, on both databases: slots, no pile-up, one catch-up
//! run after downtime, pause and resume, one winner between two servers, the launch window,
//! light runs; and the schedule API's answers to bad input.

mod common;

use axum::{
    extract::Request,
    http::{Method, StatusCode},
    response::Html,
    Router,
};
use preflight_store::schedules::{self, Slot};
use serde_json::json;

use common::*;

/// Marks a run finished, as the runner would.
async fn finish(pool: &preflight_store::db::Pool, run_id: i64) {
    sqlx::query("UPDATE runs SET status = 'passed', started_at = created_at, finished_at = created_at WHERE id = $1").bind(run_id).execute(pool).await.unwrap();
}

async fn scheduled_runs(pool: &preflight_store::db::Pool) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE cause = 'schedule'").fetch_one(pool).await.unwrap()
}

preflight_store::db_test! {
    async fn the_scheduler_takes_each_slot_once_never_piles_up_and_catches_up_once(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let body = json!({"name": "Watched", "launch_date": "2027-03-01", "launch_time": "10:00", "time_zone": "Europe/Berlin",
            "environments": [{"name": "production", "base_url": "http://127.0.0.1:9/"}]});
        let res = api(&app, Method::POST, "/projects", Some(&tok), Some(body)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let project = res.json();
        assert_eq!(project["time_zone"], "Europe/Berlin");
        let (pid, env) = (project["id"].as_i64().unwrap(), project["environments"][0]["id"].as_i64().unwrap());

        // No schedule yet: it reads as off.
        let s = api(&app, Method::GET, &format!("/environments/{env}/schedule"), Some(&tok), None).await.json();
        assert_eq!((s["every"].as_str(), s["next_at"].is_null()), (Some("off"), true), "{s}");

        // Every 30 minutes: the next slot is the next half hour.
        let res = api(&app, Method::PUT, &format!("/environments/{env}/schedule"), Some(&tok), Some(json!({"every": "interval", "interval_minutes": 30}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let s = res.json();
        let first = s["next_at"].as_i64().unwrap();
        let now = preflight_store::now();
        assert!(first > now && first <= now + 1800 && first % 1800 == 0, "{s}");
        assert_eq!(s["description"], "every 30 minutes");

        // Before the slot nothing happens; at it, one run marked as scheduled.
        assert_eq!(schedules::tick(&st, first - 1).await.unwrap(), vec![]);
        let slots = schedules::tick(&st, first).await.unwrap();
        let [Slot::Queued { run_id: run1, .. }] = slots[..] else { panic!("{slots:?}") };
        let run = api(&app, Method::GET, &format!("/runs/{run1}"), Some(&tok), None).await.json();
        assert_eq!((run["cause"].as_str(), run["light"].as_bool(), run["requested_by"].is_null()), (Some("schedule"), Some(false), true), "{run}");
        assert_eq!(schedules::tick(&st, first).await.unwrap(), vec![], "a slot is taken once");

        // The next slot while run 1 is still queued: skipped, no second run.
        let slots = schedules::tick(&st, first + 1800).await.unwrap();
        assert_eq!(slots, vec![Slot::Skipped { environment_id: env, busy_run: run1 }]);
        assert_eq!(scheduled_runs(&pool).await, 1);
        let s = api(&app, Method::GET, &format!("/environments/{env}/schedule"), Some(&tok), None).await.json();
        assert_eq!(s["last_outcome"], format!("skipped: run #{run1} was still going"));
        assert_eq!(s["next_at"].as_i64(), Some(first + 3600));

        // Five hours of downtime (ten missed slots): one catch-up run, then the next slot after now.
        finish(&pool, run1).await;
        let later = first + 3600 + 5 * 3600 + 60;
        let slots = schedules::tick(&st, later).await.unwrap();
        assert!(matches!(slots[..], [Slot::Queued { .. }]), "one run for every missed slot together: {slots:?}");
        assert_eq!(scheduled_runs(&pool).await, 2);
        let s = api(&app, Method::GET, &format!("/environments/{env}/schedule"), Some(&tok), None).await.json();
        assert_eq!(s["next_at"].as_i64(), Some(later - 60 + 1800), "{s}");

        // Paused: nothing is due, whatever the clock says; resumed: planned from now.
        let res = api(&app, Method::POST, &format!("/environments/{env}/schedule/pause"), Some(&tok), None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!((res.json()["paused"].as_bool(), res.json()["next_at"].is_null()), (Some(true), true));
        assert_eq!(schedules::tick(&st, later + 86_400).await.unwrap(), vec![]);
        let s = api(&app, Method::POST, &format!("/environments/{env}/schedule/resume"), Some(&tok), None).await.json();
        assert_eq!((s["paused"].as_bool(), s["interval_minutes"].as_i64()), (Some(false), Some(30)), "settings kept: {s}");
        assert!(s["next_at"].as_i64().unwrap() > preflight_store::now());

        // Two servers (two pools) take the same due slot at the same moment: one run.
        let due = s["next_at"].as_i64().unwrap();
        sqlx::query("UPDATE runs SET status = 'passed' WHERE status = 'queued'").execute(&pool).await.unwrap();
        let other = state(preflight_store::db::connect(pool.connect_options().database_url.as_ref()).await.unwrap()).await;
        let (a, b) = tokio::join!(schedules::tick(&st, due), schedules::tick(other.store(), due));
        let queued = a.unwrap().len() + b.unwrap().len();
        assert_eq!(queued, 1, "exactly one server queues the slot's run");
        assert_eq!(scheduled_runs(&pool).await, 3);

        // The activity log says who set what.
        let acts: Vec<String> = sqlx::query_scalar("SELECT summary FROM activity WHERE project_id = $1 AND kind = 'schedule' ORDER BY id").bind(pid).fetch_all(&pool).await.unwrap();
        assert_eq!(acts.len(), 3, "{acts:?}");
        assert!(acts[0].contains("set the schedule of production: every 30 minutes") && acts[1].starts_with("paused"), "{acts:?}");
    }
}

preflight_store::db_test! {
    async fn the_launch_window_runs_every_15_minutes_for_its_hours_then_the_normal_schedule(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let body = json!({"name": "Launch", "launch_date": "2027-03-01", "launch_time": "10:00", "time_zone": "Europe/London",
            "environments": [{"name": "production", "base_url": "http://127.0.0.1:9/"}]});
        let project = api(&app, Method::POST, "/projects", Some(&tok), Some(body)).await.json();
        let env = project["environments"][0]["id"].as_i64().unwrap();
        let res = api(&app, Method::PUT, &format!("/environments/{env}/schedule"), Some(&tok),
            Some(json!({"every": "daily", "at": "07:00", "launch_window": true, "window_hours": 1}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let s = res.json();
        assert_eq!(s["description"], "launch window: every 15 minutes for 1 hour from 1 Mar 2027, 10:00, then daily at 07:00 (Europe/London)");
        let launch = preflight_store::schedules::launch_instant("2027-03-01", Some("10:00"), "Europe/London").unwrap();
        let day = 86_400;
        // The slot before the launch day is the daily run (the test's today is before 2027).
        let mut t = launch - 3 * 3600; // 07:00 on launch day
        sqlx::query("UPDATE schedules SET next_at = $1 WHERE environment_id = $2").bind(t).bind(env).execute(&pool).await.unwrap();
        let mut taken = Vec::new();
        for _ in 0..7 {
            let slots = schedules::tick(&st, t).await.unwrap();
            let [Slot::Queued { run_id, .. }] = slots[..] else { panic!("at {t}: {slots:?}") };
            finish(&pool, run_id).await;
            taken.push(t);
            t = sqlx::query_scalar::<_, Option<i64>>("SELECT next_at FROM schedules WHERE environment_id = $1").bind(env).fetch_one(&pool).await.unwrap().unwrap();
        }
        let offsets: Vec<i64> = taken.iter().map(|x| (x - launch) / 60).collect();
        assert_eq!(offsets, vec![-180, 0, 15, 30, 45, 21 * 60, 21 * 60 + day / 60], "minutes from the launch");
    }
}

preflight_store::db_test! {
    async fn a_light_scheduled_run_checks_over_http_within_its_page_budget(pool) {
        // A site of many linked pages.
        let site = Router::new().fallback(|req: Request| async move {
            let n: u64 = req.uri().path().trim_start_matches("/p").parse().unwrap_or(0);
            Html(format!("<!doctype html><title>p{n}</title><body>DEV SITE <a href=/p{}>a</a> <a href=/p{}>b</a></body>", n * 2 + 1, n * 2 + 2))
        });
        let port = serve(site).await;
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        preflight_server::runner::start(st.store().clone(), 1, preflight_server::runner::shutdown::Signal::default()).await.unwrap();
        let app = preflight_server::router(st.clone());
        let body = json!({"name": "Light", "launch_date": "2027-03-01",
            "environments": [{"name": "dev", "kind": "dev", "base_url": format!("http://127.0.0.1:{port}/p0")}]});
        let project = api(&app, Method::POST, "/projects", Some(&tok), Some(body)).await.json();
        let env = project["environments"][0]["id"].as_i64().unwrap();
        let s = api(&app, Method::PUT, &format!("/environments/{env}/schedule"), Some(&tok),
            Some(json!({"every": "cron", "cron": "0 * * * *", "light": true, "page_budget": 3}))).await.json();
        assert!(s["description"].as_str().unwrap().ends_with("light (HTTP checks only, 3 pages at most)"), "{s}");
        let slots = schedules::tick(&st, s["next_at"].as_i64().unwrap()).await.unwrap();
        let [Slot::Queued { run_id, .. }] = slots[..] else { panic!("{slots:?}") };
        let done = wait_finished(&app, &tok, run_id).await;
        assert_eq!((done["light"].as_bool(), done["cause"].as_str()), (Some(true), Some("schedule")), "{done}");
        assert_eq!(done["pages_crawled"].as_i64(), Some(3), "the page budget: {done}");
        let checks = done["checks"].as_array().unwrap();
        let console = checks.iter().find(|c| c["id"] == "console-error").expect("browser checks are listed");
        assert_eq!(console["status"], "skipped", "a light run's browser checks did not look, so they did not pass: {console}");
        assert!(console["reason"].as_str().unwrap().contains("light"), "{console}");
    }
}

preflight_store::db_test! {
    async fn bad_schedules_and_time_zones_get_a_4xx_that_names_the_field(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let mut body = project_body("Zones");
        body["time_zone"] = json!("Mars/Olympus_Mons");
        let res = api(&app, Method::POST, "/projects", Some(&tok), Some(body)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json()["error"].as_str().unwrap().starts_with("time_zone:"), "{}", res.body);
        let project = api(&app, Method::POST, "/projects", Some(&tok), Some(project_body("Zones"))).await.json();
        assert_eq!(project["time_zone"], "UTC", "no time zone given: UTC");
        let env = project["environments"][0]["id"].as_i64().unwrap();
        for (body, field) in [
            (json!({"every": "cron", "cron": "* * *"}), "cron:"),
            (json!({"every": "interval", "interval_minutes": 2}), "interval_minutes:"),
            (json!({"every": "daily", "at": "9am"}), "at:"),
            (json!({"every": "weekly", "at": "09:00", "weekday": "caturday"}), "weekday:"),
            (json!({"every": "off", "light": true, "page_budget": -1}), "page_budget:"),
        ] {
            let res = api(&app, Method::PUT, &format!("/environments/{env}/schedule"), Some(&tok), Some(body.clone())).await;
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", res.body);
            assert!(res.json()["error"].as_str().unwrap().starts_with(field), "{body}: {}", res.body);
        }
        for body in [json!({"every": "hourly"}), json!({"every": "off", "when": 1}), json!("x")] {
            let res = api(&app, Method::PUT, &format!("/environments/{env}/schedule"), Some(&tok), Some(body.clone())).await;
            assert!(res.status.is_client_error(), "{body}: {}", res.status);
        }
        assert_eq!(api(&app, Method::PUT, "/environments/99999/schedule", Some(&tok), Some(json!({"every": "off"}))).await.status, StatusCode::NOT_FOUND);
        assert_eq!(api(&app, Method::POST, "/environments/99999/schedule/pause", Some(&tok), None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(api(&app, Method::GET, "/projects/99999/schedules", Some(&tok), None).await.status, StatusCode::NOT_FOUND);
        let list = api(&app, Method::GET, &format!("/projects/{}/schedules", project["id"]), Some(&tok), None).await.json();
        assert_eq!(list["schedules"].as_array().unwrap().len(), project["environments"].as_array().unwrap().len());
    }
}
