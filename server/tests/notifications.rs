//! Notifications on both databases, with a webhook receiver served by the test on 127.0.0.1:
//! each rule fires once for its event and not for a repeat, signatures verify, a failing or
//! hanging receiver is retried and then marked failed with its last error, rules can be turned
//! off, assignments tell only the assignee, and the bell counts and clears.

mod common;

use std::{
    sync::{
        atomic::{AtomicU8, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, Method, StatusCode},
    response::IntoResponse,
    Router,
};
use preflight_store::notify;
use serde_json::{json, Value};

use common::*;

/// What the receiver does with a request.
const OK: u8 = 0;
const FAIL: u8 = 1;
const HANG: u8 = 2;

#[derive(Clone, Default)]
struct Receiver {
    mode: Arc<AtomicU8>,
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

impl Receiver {
    async fn start(&self) -> String {
        let app = Router::new().fallback(|State(r): State<Receiver>, headers: HeaderMap, body: String| async move {
            r.got.lock().unwrap().push((headers, body));
            match r.mode.load(Ordering::SeqCst) {
                FAIL => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                HANG => {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    StatusCode::OK.into_response()
                }
                _ => StatusCode::NO_CONTENT.into_response(),
            }
        });
        let port = serve(app.with_state(self.clone())).await;
        format!("http://127.0.0.1:{port}/hook")
    }

    fn take(&self) -> Vec<(HeaderMap, String)> {
        std::mem::take(&mut *self.got.lock().unwrap())
    }
}

/// The store's deliveries with tries a test can wait for: three, no backoff, one second each.
fn quick(st: &preflight_server::state::AppState) -> preflight_store::Store {
    let mut s = st.store().clone();
    s.delivery = notify::DeliveryPolicy { max_attempts: 3, first_backoff_ms: 0, timeout: Duration::from_secs(1), stale_after_secs: 5 };
    s
}

preflight_store::db_test! {
    async fn rules_fire_once_hooks_are_signed_and_failures_end_as_failed(pool) {
        let st = state(pool.clone()).await;
        let store = quick(&st);
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let member = preflight_store::auth::create_user(&pool, "mia@example.test", "Mia", preflight_model::Role::Member, PASSWORD).await.unwrap();
        let app = preflight_server::router(st.clone());
        let http = notify::http_client();
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(project_body("Shop"))).await.json()["id"].as_i64().unwrap();

        // A webhook for client reviews only, in Preflight's JSON; its secret is shown once.
        let rx = Receiver::default();
        let url = rx.start().await;
        let res = api(&app, Method::POST, &format!("/projects/{pid}/webhooks"), Some(&tok),
            Some(json!({"name": "CI bot", "url": url, "rules": ["client-review"]}))).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let hook = res.json();
        let secret = hook["secret"].as_str().unwrap().to_string();
        assert!(secret.starts_with("whsec_") && secret.len() > 40, "{hook}");
        let listed = api(&app, Method::GET, &format!("/projects/{pid}/webhooks"), Some(&tok), None).await.json();
        assert!(listed["webhooks"][0]["secret"].is_null(), "the secret is never shown again: {listed}");

        // The client signs off through a review link: both team members are told, the hook once.
        let link = api(&app, Method::POST, &format!("/projects/{pid}/share-links"), Some(&tok), Some(json!({}))).await.json();
        let share = link["url"].as_str().unwrap().rsplit("/share/").next().unwrap().to_string();
        assert_eq!(share_form(&app, &share, "sign-off", &[("name", "Clara Client"), ("confirm", "yes")]).await, Ok(()));
        let mine = api(&app, Method::GET, "/notifications", Some(&tok), None).await.json();
        assert_eq!(mine["unread"], 1, "{mine}");
        assert_eq!((mine["items"][0]["rule"].as_str(), mine["items"][0]["title"].as_str()), (Some("client-review"), Some("Clara Client signed off the launch")));
        assert_eq!(notify::list_for(&pool, member.id, 10).await.unwrap().unread, 1, "the whole team is told");
        let pass = notify::deliver(&store, "test", &http).await.unwrap();
        assert_eq!(pass, notify::Pass { sent: 1, retried: 0, failed: 0 });
        let got = rx.take();
        assert_eq!(got.len(), 1);
        let (headers, body) = &got[0];
        let h = |n: &str| headers.get(n).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        assert_eq!(h("x-preflight-signature"), notify::signature(&secret, body.as_bytes()), "the signature verifies with the hook's secret");
        let payload: Value = serde_json::from_str(body).unwrap();
        assert_eq!((payload["event"].as_str(), payload["project"]["name"].as_str()), (Some("client-review"), Some("Shop")));
        assert_eq!(payload["data"]["verdict"], "signed_off");
        assert_eq!(h("x-preflight-delivery"), payload["id"].as_str().unwrap(), "the idempotency key is the payload's id");
        assert_eq!(h("idempotency-key"), h("x-preflight-delivery"));
        assert_eq!(h("x-preflight-event"), "client-review");
        // Nothing more to send; the deliveries page says sent.
        assert_eq!(notify::deliver(&store, "test", &http).await.unwrap(), notify::Pass::default());
        let d = api(&app, Method::GET, &format!("/projects/{pid}/deliveries"), Some(&tok), None).await.json();
        assert_eq!((d["deliveries"][0]["status"].as_str(), d["deliveries"][0]["attempts"].as_i64(), d["deliveries"][0]["last_status"].as_i64()), (Some("sent"), Some(1), Some(204)));

        // The same event again tells nobody.
        let notice = notify::Notice {
            rule: "client-review",
            project_id: pid,
            key: "client-review:test:1".into(),
            title: "Once".into(),
            body: String::new(),
            link: format!("/projects/{pid}"),
            audience: notify::Audience::Team,
            data: json!({}),
        };
        assert!(notify::emit(&store, &notice).await.unwrap());
        assert!(!notify::emit(&store, &notice).await.unwrap(), "a repeat of the same event");
        assert_eq!(notify::deliver(&store, "test", &http).await.unwrap().sent, 1);
        assert_eq!(rx.take().len(), 1);

        // A receiver that answers 500: tried three times, then failed with the last error.
        rx.mode.store(FAIL, Ordering::SeqCst);
        assert!(notify::emit(&store, &notify::Notice { key: "client-review:test:2".into(), ..notice.clone() }).await.unwrap());
        let pass = notify::deliver(&store, "test", &http).await.unwrap();
        assert_eq!(pass, notify::Pass { sent: 0, retried: 2, failed: 1 });
        let tries = rx.take();
        assert_eq!(tries.len(), 3);
        let key = |t: &(HeaderMap, String)| t.0.get("x-preflight-delivery").unwrap().to_str().unwrap().to_string();
        assert!(tries.iter().all(|t| key(t) == key(&tries[0]) && t.1 == tries[0].1), "every try: the same key and body");
        let d = api(&app, Method::GET, &format!("/projects/{pid}/deliveries"), Some(&tok), None).await.json();
        let failed = &d["deliveries"][0];
        assert_eq!((failed["status"].as_str(), failed["attempts"].as_i64(), failed["last_status"].as_i64()), (Some("failed"), Some(3), Some(500)), "{failed}");
        assert_eq!(failed["last_error"], "failed after 3 tries: the receiver answered 500 Internal Server Error");
        // Sent again by hand once the receiver works.
        rx.mode.store(OK, Ordering::SeqCst);
        let res = api(&app, Method::POST, &format!("/deliveries/{}/retry", failed["id"]), Some(&tok), None).await;
        assert_eq!(res.status, StatusCode::ACCEPTED);
        assert_eq!(notify::deliver(&store, "test", &http).await.unwrap().sent, 1);
        assert_eq!(key(&rx.take()[0]), key(&tries[0]), "the same idempotency key");
        let res = api(&app, Method::POST, &format!("/deliveries/{}/retry", failed["id"]), Some(&tok), None).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "only a failed one: {}", res.body);

        // A receiver that never answers: each try times out.
        rx.mode.store(HANG, Ordering::SeqCst);
        assert!(notify::emit(&store, &notify::Notice { key: "client-review:test:3".into(), ..notice.clone() }).await.unwrap());
        let pass = notify::deliver(&store, "test", &http).await.unwrap();
        assert_eq!(pass.failed, 1);
        let d = api(&app, Method::GET, &format!("/projects/{pid}/deliveries"), Some(&tok), None).await.json();
        assert_eq!(d["deliveries"][0]["last_error"], "failed after 3 tries: no answer in time (timed out)");
        rx.mode.store(OK, Ordering::SeqCst);

        // Rules the hook does not want reach the bell but not the hook.
        let res = api(&app, Method::PATCH, &format!("/checklist-items/{}", first_item(&app, &tok, pid).await.0), Some(&tok), None).await;
        assert!(res.status.is_client_error());
        let (item, version) = first_item(&app, &tok, pid).await;
        let res = api(&app, Method::PATCH, &format!("/checklist-items/{item}"), Some(&tok), Some(json!({"assignee_id": member.id, "version": version}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let mia = notify::list_for(&pool, member.id, 10).await.unwrap();
        assert_eq!(mia.items[0].rule, "item-assigned", "{mia:?}");
        assert!(mia.items[0].title.starts_with("Olivia Owner assigned \""), "{mia:?}");
        let mine = api(&app, Method::GET, "/notifications", Some(&tok), None).await.json();
        assert!(mine["items"].as_array().unwrap().iter().all(|n| n["rule"] != "item-assigned"), "only the assignee: {mine}");
        assert_eq!(notify::deliver(&store, "test", &http).await.unwrap(), notify::Pass::default(), "the hook wants client reviews only");

        // A rule turned off tells nobody.
        let res = api(&app, Method::PUT, &format!("/projects/{pid}/notification-rules"), Some(&tok), Some(json!({"rule": "client-review", "enabled": false}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(res.json()["rules"].as_array().unwrap().iter().any(|r| r["rule"] == "client-review" && r["enabled"] == false));
        assert!(!notify::emit(&store, &notify::Notice { key: "client-review:test:4".into(), ..notice.clone() }).await.unwrap());

        // The bell clears.
        let before = api(&app, Method::GET, "/notifications", Some(&tok), None).await.json();
        assert!(before["unread"].as_i64().unwrap() >= 3, "{before}");
        let first = before["items"][0]["id"].as_i64().unwrap();
        let after = api(&app, Method::POST, "/notifications/read", Some(&tok), Some(json!({"ids": [first]}))).await.json();
        assert_eq!(after["unread"].as_i64().unwrap(), before["unread"].as_i64().unwrap() - 1);
        let after = api(&app, Method::POST, "/notifications/read", Some(&tok), Some(json!({}))).await.json();
        assert_eq!(after["unread"], 0);
        assert_eq!(notify::list_for(&pool, member.id, 10).await.unwrap().unread, 5, "another person's bell is theirs: the sign-off, three test notices, the assignment");
    }
}

/// The project's first checklist item: id and version.
async fn first_item(app: &Router, tok: &str, pid: i64) -> (i64, i64) {
    let list = api(app, Method::GET, &format!("/projects/{pid}/checklist"), Some(tok), None).await.json();
    (list["items"][0]["id"].as_i64().unwrap(), list["items"][0]["version"].as_i64().unwrap())
}

preflight_store::db_test! {
    async fn webhooks_refuse_bad_addresses_and_unknown_rules(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(project_body("Shop"))).await.json()["id"].as_i64().unwrap();
        for (body, expected) in [
            (json!({"url": "http://169.254.169.254/latest/meta-data/"}), "url: 169.254.169.254 is a cloud metadata address"),
            (json!({"url": "file:///etc/passwd"}), "url: only http:// and https://"),
            (json!({"url": "not a url"}), "url: \"not a url\" is not a URL"),
            (json!({"url": "https://example.com/h", "rules": ["everything"]}), "rules: \"everything\" is not a rule"),
            (json!({"url": "https://example.com/h", "format": "irc"}), ""),
            (json!({"url": "https://example.com/h", "colour": "red"}), ""),
        ] {
            let res = api(&app, Method::POST, &format!("/projects/{pid}/webhooks"), Some(&tok), Some(body.clone())).await;
            assert!(res.status.is_client_error(), "{body}: {} {}", res.status, res.body);
            assert!(res.json()["error"].as_str().unwrap().starts_with(expected), "{body}: {}", res.body);
        }
        let res = api(&app, Method::PUT, &format!("/projects/{pid}/notification-rules"), Some(&tok), Some(json!({"rule": "gossip", "enabled": true}))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(api(&app, Method::DELETE, "/webhooks/9999", Some(&tok), None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(api(&app, Method::POST, "/deliveries/9999/retry", Some(&tok), None).await.status, StatusCode::NOT_FOUND);
        // Slack format and rotation: a new secret, the old one gone.
        let hook = api(&app, Method::POST, &format!("/projects/{pid}/webhooks"), Some(&tok), Some(json!({"url": "https://hooks.example.com/x", "format": "slack"}))).await.json();
        let rotated = api(&app, Method::POST, &format!("/webhooks/{}/secret", hook["id"]), Some(&tok), None).await.json();
        assert_ne!(rotated["secret"], hook["secret"]);
        assert_eq!(rotated["format"], "slack");
        assert_eq!(api(&app, Method::DELETE, &format!("/webhooks/{}", hook["id"]), Some(&tok), None).await.status, StatusCode::NO_CONTENT);
    }
}

preflight_store::db_test! {
    async fn new_run_errors_and_regressed_items_are_told_once(pool) {
        use axum::{extract::Request, response::Html};
        let broken = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = broken.clone();
        let site = Router::new().fallback(move |req: Request| {
            let broken = flag.load(Ordering::SeqCst);
            async move {
                match req.uri().path() {
                    "/" => Html(format!("<!doctype html><title>Dev</title><body>DEV SITE {}</body>", if broken { "<a href=\"/missing\">missing</a>" } else { "" }))
                        .into_response(),
                    "/robots.txt" => "User-agent: *\nDisallow: /\n".into_response(),
                    _ => (StatusCode::NOT_FOUND, Html("<!doctype html><title>Not found</title><style>h1{}</style><h1>Not found</h1>")).into_response(),
                }
            }
        });
        let port = serve(site).await;
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        preflight_server::runner::start(st.store().clone(), 1, preflight_server::runner::shutdown::Signal::default()).await.unwrap();
        let app = preflight_server::router(st.clone());
        let body = json!({"name": "Watched", "launch_date": "2027-03-01",
            "environments": [{"name": "dev", "kind": "dev", "base_url": format!("http://127.0.0.1:{port}/")}]});
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(body)).await.json()["id"].as_i64().unwrap();
        let new = preflight_model::NewItem {
            title: "Links work".into(),
            phase: "content".into(),
            why: String::new(),
            due_offset_days: -3,
            checks: vec!["broken-link".into()],
            evidence_from: preflight_model::EvidenceFrom::PreProduction,
            signals: vec![],
        };
        let item = preflight_store::checklist::add_item(&st, &user, pid, &new).await.unwrap();
        let run = |_: ()| async {
            let id = api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await.json()["id"].as_i64().unwrap();
            wait_finished(&app, &tok, id).await;
            id
        };
        let told = |rule: &'static str| {
            let pool = pool.clone();
            async move {
                notify::list_for(&pool, user.id, 100).await.unwrap().items.into_iter().filter(|n| n.rule == rule).collect::<Vec<_>>()
            }
        };
        // A clean first run, and the item ticked on its evidence.
        run(()).await;
        let res = api(&app, Method::PATCH, &format!("/checklist-items/{}", item.id), Some(&tok), Some(json!({"state": "done", "version": item.version}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(told("run-new-errors").await.is_empty());
        // The site breaks: the run's new error is told, and the ticked item's regression.
        broken.store(true, Ordering::SeqCst);
        let second = run(()).await;
        let errors = told("run-new-errors").await;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].title, format!("Run #{second} of dev found 1 new error(s)"));
        assert_eq!(errors[0].link, format!("/runs/{second}"));
        assert!(errors[0].body.contains("broken-link"), "{errors:?}");
        let regressed = told("item-regressed").await;
        assert_eq!(regressed.len(), 1, "{regressed:?}");
        assert_eq!(regressed[0].title, "\"Links work\" was ticked, but broken-link fails now");
        // Still broken: nothing new to tell.
        run(()).await;
        assert_eq!(told("run-new-errors").await.len(), 1, "the same error is not new");
        assert_eq!(told("item-regressed").await.len(), 1, "one regression per tick");
    }
}

preflight_store::db_test! {
    /// The page's one stream carries the project's changes and the person's own notifications —
    /// never another person's.
    async fn the_live_stream_carries_only_your_own_notifications(pool) {
        use http_body_util::BodyExt;
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let member = preflight_store::auth::create_user(&pool, "mia@example.test", "Mia", preflight_model::Role::Member, PASSWORD).await.unwrap();
        let app = preflight_server::router(st.clone());
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(project_body("Shop"))).await.json()["id"].as_i64().unwrap();
        let cookie = session_cookie(&login(&app, "owner@example.test", PASSWORD).await);
        let req = browser(Method::GET, &format!("/events/live?project={pid}")).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
        let res = tower::ServiceExt::oneshot(app.clone(), req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let mut body = res.into_body();
        // Mia is assigned an item (her notification), then Olivia is (hers), then a tick.
        let (item, version) = first_item(&app, &tok, pid).await;
        let mia_tok = preflight_store::auth::create_api_token(&pool, member.id, "t").await.unwrap().1;
        let r = api(&app, Method::PATCH, &format!("/checklist-items/{item}"), Some(&tok), Some(json!({"assignee_id": member.id, "version": version}))).await.json();
        let r = api(&app, Method::PATCH, &format!("/checklist-items/{item}"), Some(&mia_tok), Some(json!({"assignee_id": user.id, "version": r["version"]}))).await.json();
        api(&app, Method::PATCH, &format!("/checklist-items/{item}"), Some(&tok), Some(json!({"state": "done", "version": r["version"]}))).await;
        let mut seen = String::new();
        let _ = tokio::time::timeout(Duration::from_secs(3), async {
            while let Some(Ok(frame)) = body.frame().await {
                if let Some(data) = frame.data_ref() {
                    seen.push_str(&String::from_utf8_lossy(data));
                }
                if seen.matches("data:").count() >= 4 {
                    break;
                }
            }
        })
        .await;
        let events: Vec<Value> = seen.lines().filter_map(|l| l.strip_prefix("data:")).map(|d| serde_json::from_str(d.trim()).unwrap()).collect();
        let notes: Vec<&Value> = events.iter().filter(|e| e["kind"] == "notification").collect();
        assert_eq!(notes.len(), 1, "only Olivia's own notification: {events:#?}");
        assert_eq!((notes[0]["user_id"].as_i64(), notes[0]["unread"].as_i64()), (Some(user.id), Some(1)));
        assert!(notes[0]["latest"]["title"].as_str().unwrap().starts_with("Mia assigned"), "{notes:?}");
        assert!(events.iter().filter(|e| e["kind"] == "item").count() >= 3, "the project's changes too: {events:#?}");
    }
}

preflight_store::db_test! {
    /// The start page answering 500: one "down" alert, a reminder at most hourly, one "back up".
    async fn a_site_going_down_and_up_is_told_once_per_change_with_hourly_reminders(pool) {
        use axum::{extract::Request, response::Html};
        let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = failing.clone();
        let site = Router::new().fallback(move |req: Request| {
            let failing = flag.load(Ordering::SeqCst);
            async move {
                match (req.uri().path(), failing) {
                    ("/", true) => (StatusCode::INTERNAL_SERVER_ERROR, Html("<!doctype html><title>Oops</title><h1>Error</h1>")).into_response(),
                    ("/", false) => Html("<!doctype html><title>Dev</title><body>DEV SITE</body>").into_response(),
                    ("/robots.txt", _) => "User-agent: *\nDisallow: /\n".into_response(),
                    _ => (StatusCode::NOT_FOUND, Html("<!doctype html><title>Not found</title><style>h1{}</style><h1>Not found</h1>")).into_response(),
                }
            }
        });
        let port = serve(site).await;
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        preflight_server::runner::start(st.store().clone(), 1, preflight_server::runner::shutdown::Signal::default()).await.unwrap();
        let app = preflight_server::router(st.clone());
        let body = json!({"name": "Watched", "launch_date": "2027-03-01",
            "environments": [{"name": "dev", "kind": "dev", "base_url": format!("http://127.0.0.1:{port}/")}]});
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(body)).await.json()["id"].as_i64().unwrap();
        let run = || async {
            let id = api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await.json()["id"].as_i64().unwrap();
            wait_finished(&app, &tok, id).await;
        };
        let titles = || {
            let pool = pool.clone();
            async move {
                let mut v: Vec<String> = notify::list_for(&pool, user.id, 100).await.unwrap().items.into_iter().filter(|n| n.rule == "site-down").map(|n| n.title).collect();
                v.reverse();
                v
            }
        };
        run().await;
        assert!(titles().await.is_empty(), "up, and it was never down");
        failing.store(true, Ordering::SeqCst);
        run().await;
        assert_eq!(titles().await, vec!["dev is down"]);
        run().await;
        assert_eq!(titles().await.len(), 1, "no second alert within the hour");
        sqlx::query("UPDATE env_health SET last_alert_at = last_alert_at - 3601, down_since = down_since - 3601").execute(&pool).await.unwrap();
        run().await;
        assert_eq!(titles().await, vec!["dev is down", "dev is still down (1 h)"]);
        failing.store(false, Ordering::SeqCst);
        run().await;
        run().await;
        assert_eq!(titles().await, vec!["dev is down", "dev is still down (1 h)", "dev is back up"], "one alert per change");
        let note = notify::list_for(&pool, user.id, 100).await.unwrap().items.into_iter().find(|n| n.title == "dev is down").unwrap();
        assert!(note.body.contains("the start page answers with a server error"), "{note:?}");
    }
}

preflight_store::db_test! {
    /// One digest per person and day, from 07:00 UTC, with their overdue and nearly due items.
    async fn the_daily_digest_comes_once_per_person_and_day(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let member = preflight_store::auth::create_user(&pool, "mia@example.test", "Mia", preflight_model::Role::Member, PASSWORD).await.unwrap();
        let app = preflight_server::router(st.clone());
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(project_body("Shop"))).await.json()["id"].as_i64().unwrap();
        let items = api(&app, Method::GET, &format!("/projects/{pid}/checklist"), Some(&tok), None).await.json()["items"].as_array().unwrap().clone();
        // Mia gets two items; the test's "today" is the day before the first one is due.
        for it in items.iter().take(2) {
            api(&app, Method::PATCH, &format!("/checklist-items/{}", it["id"]), Some(&tok), Some(json!({"assignee_id": member.id, "version": it["version"]}))).await;
        }
        let first_due = items.iter().take(2).map(|i| i["due"].as_str().unwrap().to_string()).min().unwrap();
        let day_before = preflight_model::add_days(&first_due, -1).unwrap();
        let midnight = preflight_model::parse_date(&day_before).unwrap().midnight().assume_utc().unix_timestamp();
        assert_eq!(preflight_store::digest::send_due(&st, midnight + 6 * 3600).await.unwrap(), 0, "not before 07:00 UTC");
        assert_eq!(preflight_store::digest::send_due(&st, midnight + 8 * 3600).await.unwrap(), 1, "Mia only: Olivia has nothing assigned");
        assert_eq!(preflight_store::digest::send_due(&st, midnight + 9 * 3600).await.unwrap(), 0, "once a day");
        let mia = notify::list_for(&pool, member.id, 10).await.unwrap();
        let digest = mia.items.iter().find(|n| n.rule == "due-digest").expect("the digest");
        assert!(digest.title.starts_with("Your checklist items: ") && digest.title.contains("due tomorrow"), "{digest:?}");
        assert!(digest.body.contains(items[0]["title"].as_str().unwrap()) || digest.body.contains(items[1]["title"].as_str().unwrap()), "{digest:?}");
        // The next day it comes again; a project that turned the rule off is left out.
        assert_eq!(preflight_store::digest::send_due(&st, midnight + 86_400 + 8 * 3600).await.unwrap(), 1);
        api(&app, Method::PUT, &format!("/projects/{pid}/notification-rules"), Some(&tok), Some(json!({"rule": "due-digest", "enabled": false}))).await;
        assert_eq!(preflight_store::digest::send_due(&st, midnight + 2 * 86_400 + 8 * 3600).await.unwrap(), 0);
    }
}

preflight_store::db_test! {
    /// Domain registration expiry through an RDAP server the test runs on loopback: told at
    /// 60 days, not again that day or for the same threshold, then at 30 days.
    async fn a_domain_expiring_is_told_at_60_then_30_days(pool) {
        let expires = Arc::new(std::sync::atomic::AtomicI64::new(0));
        let asked = Arc::new(Mutex::new(Vec::<String>::new()));
        let (e, a) = (expires.clone(), asked.clone());
        let rdap = Router::new().fallback(move |req: axum::extract::Request| {
            let (e, a) = (e.clone(), a.clone());
            async move {
                a.lock().unwrap().push(req.uri().path().to_string());
                let date = preflight_model::format_date_ts(e.load(Ordering::SeqCst));
                axum::Json(json!({"objectClassName": "domain", "ldhName": "ACME-SHOP.COM",
                    "events": [{"eventAction": "expiration", "eventDate": format!("{date}T12:00:00Z")}]}))
            }
        });
        let port = serve(rdap).await;
        let st = state(pool.clone()).await.map_store(|mut s| {
            s.rdap_base = Some(format!("http://127.0.0.1:{port}"));
            s
        });
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let body = json!({"name": "Shop", "launch_date": "2027-03-01",
            "environments": [{"name": "production", "base_url": "https://www.acme-shop.com/", "resolve_ip": "127.0.0.1"}]});
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(body)).await.json()["id"].as_i64().unwrap();
        let run = preflight_store::runs::queue(&st, &user, pid, "production").await.unwrap();
        let finished = preflight_model::RunSummary { state: preflight_model::RunState::Completed, ..run };
        let now = preflight_store::now();
        let told = || {
            let pool = pool.clone();
            async move { notify::list_for(&pool, user.id, 50).await.unwrap().items.into_iter().filter(|n| n.rule == "domain-expiry").map(|n| n.title).collect::<Vec<_>>() }
        };
        expires.store(now + 45 * 86_400, Ordering::SeqCst);
        preflight_store::rdap::after_run(&st, &finished, now).await.unwrap();
        assert_eq!(asked.lock().unwrap().as_slice(), ["/domain/acme-shop.com"], "the registrable domain, asked once");
        let titles = told().await;
        assert_eq!(titles.len(), 1);
        assert!(titles[0].starts_with("The domain acme-shop.com expires in 44 days") || titles[0].starts_with("The domain acme-shop.com expires in 45 days"), "{titles:?}");
        // Within the day: not asked again.
        preflight_store::rdap::after_run(&st, &finished, now + 3600).await.unwrap();
        assert_eq!(asked.lock().unwrap().len(), 1);
        // The next day, still the 60-day threshold: asked, not told again.
        preflight_store::rdap::after_run(&st, &finished, now + 86_400).await.unwrap();
        let asked_now = asked.lock().unwrap().len();
        assert_eq!((asked_now, told().await.len()), (2, 1));
        // 20 days later: under 30 days, told again.
        preflight_store::rdap::after_run(&st, &finished, now + 21 * 86_400).await.unwrap();
        let titles = told().await;
        assert_eq!(titles.len(), 2, "{titles:?}");
        // A dev run, or a reserved name, never asks.
        let dev = preflight_model::RunSummary { env_kind: "dev".into(), ..finished.clone() };
        preflight_store::rdap::after_run(&st, &dev, now + 40 * 86_400).await.unwrap();
        let test_site = preflight_model::RunSummary { base_url: "https://www.acme.test/".into(), ..finished };
        preflight_store::rdap::after_run(&st, &test_site, now + 40 * 86_400).await.unwrap();
        assert_eq!(asked.lock().unwrap().len(), 3, "neither asked");
    }
}

preflight_store::db_test! {
    /// The certificate check's finding (as the engine words it, pinned by its TLS tests) tells
    /// the team once per certificate and threshold.
    async fn an_expiring_certificate_is_told_once_per_threshold(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let pid = preflight_store::projects::create(&pool, &user, &serde_json::from_value(project_body("Shop")).unwrap()).await.unwrap();
        let run = preflight_store::runs::queue(&st, &user, pid, "production").await.unwrap();
        let expiring = |days: i64| preflight_model::FindingView {
            check: "tls-certificate-expiring".into(),
            severity: "warning".into(),
            url: "https://www.acme.test/".into(),
            message: format!("The TLS certificate expires in {days} day(s): renew it before launch."),
            evidence: "notAfter Dec 12 00:00:00 2026 +00:00".into(),
            advice: String::new(),
            title: String::new(),
        };
        let t = preflight_store::now();
        for days in [12, 11, 9] {
            preflight_store::health::after_run(&st, &run, &[expiring(days)], t).await.unwrap();
        }
        preflight_store::health::after_run(&st, &run, &[expiring(6)], t).await.unwrap();
        let titles: Vec<String> = notify::list_for(&pool, user.id, 10).await.unwrap().items.into_iter().filter(|n| n.rule == "tls-expiry").map(|n| n.title).collect();
        assert_eq!(titles, vec!["The TLS certificate of production expires within 7 days", "The TLS certificate of production expires within 14 days"]);
    }
}
