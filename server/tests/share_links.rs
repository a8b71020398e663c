//! Client review links: token scoping (project, run), revocation and expiry at once, the
//! client's reviews, scope decisions and the frozen launch sign-off.

mod common;

use axum::{
    body::Body,
    http::{header, Method, StatusCode},
    Router,
};
use serde_json::{json, Value};

use common::*;

/// A small valid PNG.
fn png() -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(4, 4, image::Rgba([255, 255, 255, 255]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

/// A finished run of the project's first environment with one screenshot per path.
async fn run_with_shots(st: &preflight_store::Store, user: &preflight_model::UserInfo, pid: i64, paths: &[&str]) -> (i64, Vec<i64>) {
    let run = preflight_store::runs::queue(st, user, pid, "dev").await.unwrap();
    preflight_store::runs::claim_next(&st.pool, "test-worker").await.unwrap();
    preflight_store::runs::finish(st, run.id, "test-worker", 1, &[], &[], "").await.unwrap();
    let dir = st.screenshots_dir.clone().unwrap();
    std::fs::create_dir_all(dir.join(format!("run-{}", run.id))).unwrap();
    let mut ids = Vec::new();
    for p in paths {
        let file = format!("run-{}/{}--desktop.png", run.id, p.trim_matches('/'));
        std::fs::write(dir.join(&file), png()).unwrap();
        let shot = preflight_store::screenshots::NewShot {
            url: format!("http://dev.test{p}"),
            viewport: "desktop".into(),
            file,
            width: 1,
            height: 1,
            ..Default::default()
        };
        ids.push(preflight_store::screenshots::insert(&st.pool, run.id, &shot).await.unwrap());
    }
    (run.id, ids)
}

async fn rpc(app: &Router, name: &str, body: Value) -> Res {
    let req = browser(Method::POST, &format!("/rpc/{name}")).header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).unwrap();
    send(app, req).await
}

async fn page(app: &Router, path: &str) -> Res {
    send(app, browser(Method::GET, path).body(Body::empty()).unwrap()).await
}

fn token_of(link: &Value) -> String {
    link["url"].as_str().unwrap().rsplit("/share/").next().unwrap().to_string()
}

preflight_store::db_test! {
    async fn links_open_one_project_or_run_and_die_at_once(pool) {
        let dir = tempfile::tempdir().unwrap();
        let st = state_with_screenshots(pool.clone(), dir.path().to_path_buf()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let mk = |name: &str| json!({"name": name, "launch_date": "2027-03-01", "environments": [{"name": "dev", "base_url": "http://dev.test"}]});
        let a = api(&app, Method::POST, "/projects", Some(&tok), Some(mk("Alpha shop"))).await.json()["id"].as_i64().unwrap();
        let b = api(&app, Method::POST, "/projects", Some(&tok), Some(mk("Bravo bank"))).await.json()["id"].as_i64().unwrap();
        let (a_run1, a1) = run_with_shots(&st, &user, a, &["/", "/about"]).await;
        let (_a_run2, a2) = run_with_shots(&st, &user, a, &["/", "/about"]).await;
        let (_b_run, b1) = run_with_shots(&st, &user, b, &["/"]).await;

        let res = api(&app, Method::POST, &format!("/projects/{a}/share-links"), Some(&tok), Some(json!({}))).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let link = res.json();
        assert!(link["id"].is_i64() && link["url"].as_str().unwrap().contains("/share/pfs_"), "{link}");
        let t = token_of(&link);
        assert!(t.len() >= 4 + 43, "at least 256 random bits: {t}");
        // Only a hash is stored.
        let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM share_links").fetch_one(&pool).await.unwrap();
        assert_eq!(stored, preflight_store::auth::hash_secret(&t));

        // The page and the data: project A's latest run, nothing of B.
        let p = page(&app, &format!("/share/{t}")).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("Alpha shop") && !p.body.contains("Bravo"), "{}", &p.body[..p.body.len().min(400)]);
        assert_eq!(p.header("referrer-policy"), "same-origin", "the token never leaves for another site");
        assert!(p.header("cache-control").contains("no-store"));
        let v = rpc(&app, "share_view", json!({"token": t})).await.json();
        let shown: Vec<i64> = v["gallery"]["shots"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
        assert_eq!(shown, a2, "the latest run");
        // A first review compares with nothing; once the client has reviewed run 1, run 2's
        // screenshots are compared with what they saw then.
        assert!(v["gallery"]["shots"].as_array().unwrap().iter().all(|s| s["previous"].is_null()), "{v}");
        assert_eq!(page(&app, &format!("/share/{t}/screenshots/{}", a1[0])).await.status, StatusCode::NOT_FOUND, "not shown on a first review");
        sqlx::query("INSERT INTO reviews (project_id, screenshot_id, verdict, reviewer, at) VALUES ($1, $2, 'approved', 'Carla', 1)")
            .bind(a)
            .bind(a1[0])
            .execute(&pool)
            .await
            .unwrap();
        let v = rpc(&app, "share_view", json!({"token": t})).await.json();
        assert_eq!(v["gallery"]["shots"][0]["previous"], a1[0], "{v}");
        let pic = page(&app, &format!("/share/{t}/screenshots/{}", a2[0])).await;
        assert_eq!(pic.status, StatusCode::OK);
        assert_eq!(pic.header("cache-control"), "private, max-age=31536000, immutable", "the client's browser keeps pictures, shared caches do not");
        assert_eq!(page(&app, &format!("/share/{t}/screenshots/{}", a1[0])).await.status, StatusCode::OK, "the diff's earlier shot");
        assert_eq!(page(&app, &format!("/share/{t}/screenshots/{}", b1[0])).await.status, StatusCode::NOT_FOUND, "another project");
        assert_eq!(page(&app, &format!("/share/{t}/diff/{}/{}", a1[0], a2[0])).await.status, StatusCode::OK);
        // No team pages, no API, no other images with it.
        assert_ne!(page(&app, &format!("/projects/{a}")).await.status, StatusCode::OK);
        assert_eq!(api(&app, Method::GET, "/projects", Some(&t), None).await.status, StatusCode::UNAUTHORIZED);
        assert_ne!(page(&app, &format!("/screenshots/{}", a2[0])).await.status, StatusCode::OK);

        // A run-limited link sees that run only.
        let limited = api(&app, Method::POST, &format!("/projects/{a}/share-links"), Some(&tok), Some(json!({"run_id": a_run1, "expires_at": "2099-01-01"}))).await;
        assert_eq!(limited.status, StatusCode::UNPROCESSABLE_ENTITY, "more than a year ahead is refused");
        let limited = api(&app, Method::POST, &format!("/projects/{a}/share-links"), Some(&tok), Some(json!({"run_id": a_run1}))).await.json();
        let lt = token_of(&limited);
        let lv = rpc(&app, "share_view", json!({"token": lt})).await.json();
        assert_eq!(lv["run_id"], a_run1);
        assert_eq!(page(&app, &format!("/share/{lt}/screenshots/{}", a2[1])).await.status, StatusCode::NOT_FOUND, "another run");
        let cross = api(&app, Method::POST, &format!("/projects/{b}/share-links"), Some(&tok), Some(json!({"run_id": a_run1}))).await;
        assert_eq!(cross.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Revoked: gone at once, page and images.
        let lid = limited["id"].as_i64().unwrap();
        assert_eq!(api(&app, Method::DELETE, &format!("/share-links/{lid}"), Some(&tok), None).await.status, StatusCode::NO_CONTENT);
        assert_eq!(page(&app, &format!("/share/{lt}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(page(&app, &format!("/share/{lt}/screenshots/{}", a1[0])).await.status, StatusCode::NOT_FOUND);
        assert_eq!(rpc(&app, "share_view", json!({"token": lt})).await.status, StatusCode::NOT_FOUND);
        // Expired: the same.
        sqlx::query("UPDATE share_links SET expires_at = $1 WHERE id = $2")
            .bind(preflight_store::now() - 1)
            .bind(link["id"].as_i64().unwrap())
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(page(&app, &format!("/share/{t}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(page(&app, "/share/pfs_made-up").await.status, StatusCode::NOT_FOUND);
    }
}

preflight_store::db_test! {
    async fn clients_review_decide_and_sign_off_and_the_sign_off_never_changes(pool) {
        let dir = tempfile::tempdir().unwrap();
        let st = state_with_screenshots(pool.clone(), dir.path().to_path_buf()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let body = json!({"name": "Alpha", "launch_date": "2027-03-01", "environments": [{"name": "dev", "base_url": "http://dev.test"}]});
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(body)).await.json()["id"].as_i64().unwrap();
        let (run, shots) = run_with_shots(&st, &user, pid, &["/", "/contact"]).await;
        let t = token_of(&api(&app, Method::POST, &format!("/projects/{pid}/share-links"), Some(&tok), Some(json!({}))).await.json());

        let (s0, s1) = (shots[0].to_string(), shots[1].to_string());
        let carla = ("name", "Carla Client");
        assert_eq!(share_form(&app, &t, "review", &[carla, ("screenshot_id", &s0), ("verdict", "approve")]).await, Ok(()));
        let no_comment = share_form(&app, &t, "review", &[carla, ("screenshot_id", &s1), ("verdict", "changes")]).await;
        assert!(no_comment.as_ref().unwrap_err().contains("say what should change"), "{no_comment:?}");
        let no_name = share_form(&app, &t, "review", &[("name", " "), ("screenshot_id", &s1), ("verdict", "approve")]).await;
        assert!(no_name.as_ref().unwrap_err().contains("your name"), "{no_name:?}");
        let missing = share_form(&app, &t, "review", &[carla, ("screenshot_id", "999999"), ("verdict", "approve")]).await;
        assert!(missing.as_ref().unwrap_err().contains("not found"), "{missing:?}");
        let changes = share_form(&app, &t, "review", &[carla, ("screenshot_id", &s1), ("verdict", "changes"), ("comment", "Phone number is wrong")]).await;
        assert_eq!(changes, Ok(()));

        // The team sees the status per screenshot.
        let g = api(&app, Method::GET, &format!("/runs/{run}/screenshots"), Some(&tok), None).await.json();
        let status: Vec<(String, String)> = g["shots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["review"]["verdict"].as_str().unwrap().into(), s["review"]["comment"].as_str().unwrap().into()))
            .collect();
        assert_eq!(status, [("approved".into(), "".into()), ("changes_requested".into(), "Phone number is wrong".into())]);

        // Two more runs: the diff on the share page compares with the run the client reviewed.
        run_with_shots(&st, &user, pid, &["/", "/contact"]).await;
        let (run3, shots3) = run_with_shots(&st, &user, pid, &["/", "/contact"]).await;
        let v = rpc(&app, "share_view", json!({"token": t})).await.json();
        assert_eq!(v["gallery"]["previous_run_id"], run, "{}", v["gallery"]);
        assert_eq!(v["gallery"]["shots"][0]["previous"], shots[0]);

        // A change request decided by the client through the link.
        let cr =
            api(&app, Method::POST, &format!("/projects/{pid}/change-requests"), Some(&tok), Some(json!({"title": "Add a map", "reason": "Visitors get lost"})))
                .await
                .json();
        assert_eq!(share_form(&app, &t, &format!("changes/{}/decision", cr["id"]), &[carla, ("approve", "true")]).await, Ok(()));
        let change = |id: &Value| {
            let (app, tok, id) = (app.clone(), tok.clone(), id.as_i64().unwrap());
            async move {
                let all = api(&app, Method::GET, &format!("/projects/{pid}/change-requests"), Some(&tok), None).await.json();
                all["change_requests"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap().clone()
            }
        };
        let d = change(&cr["id"]).await;
        assert_eq!((d["status"].as_str(), d["decided_by"].as_str()), (Some("approved"), Some("Carla Client (client)")));
        // A change the client proposes through the link: recorded as theirs, decided by the team.
        let bad = share_form(&app, &t, "changes", &[carla, ("title", "Add a shop"), ("reason", "")]).await;
        assert!(bad.as_ref().unwrap_err().contains("reason"), "{bad:?}");
        assert_eq!(share_form(&app, &t, "changes", &[carla, ("title", "Add a shop"), ("reason", "Sell online")]).await, Ok(()));
        let all = api(&app, Method::GET, &format!("/projects/{pid}/change-requests"), Some(&tok), None).await.json();
        let p = all["change_requests"].as_array().unwrap().iter().find(|c| c["title"] == "Add a shop").unwrap().clone();
        assert_eq!((p["proposed_by_kind"].as_str(), p["proposed_by"].as_str(), p["status"].as_str()), (Some("client"), Some("Carla Client"), Some("proposed")));
        let own = share_form(&app, &t, &format!("changes/{}/decision", p["id"]), &[carla, ("approve", "true")]).await;
        assert!(own.as_ref().unwrap_err().contains("The team decides"), "{own:?}");
        assert_eq!(change(&p["id"]).await["status"], "proposed");
        let decided = api(
            &app,
            Method::POST,
            &format!("/change-requests/{}/decision", p["id"]),
            Some(&tok),
            Some(json!({"approve": false, "decided_by": "Olivia Owner", "note": "Phase 2"})),
        )
        .await;
        assert_eq!(decided.json()["status"], "declined", "{}", decided.body);

        // Sign-off: a frozen snapshot.
        let sign_off = [carla, ("confirm", "yes")];
        assert_eq!(share_form(&app, &t, "sign-off", &sign_off).await, Ok(()));
        let signed = api(&app, Method::GET, &format!("/projects/{pid}/reviews"), Some(&tok), None).await.json()["signoffs"][0].clone();
        assert_eq!(signed["snapshot"]["approved_screenshots"].as_array().unwrap().len(), 1);
        assert!(signed["snapshot"]["scope"].as_array().unwrap().iter().any(|i| i["title"] == "Add a map"));
        let before = signed["snapshot"]["checklist"].clone();
        assert!(before.as_array().unwrap().iter().all(|i| i["state"] == "todo"));
        assert_eq!(signed["run_id"], run3, "the run shown");
        // Signing again while nothing has changed is refused, in words.
        let again = share_form(&app, &t, "sign-off", &sign_off).await.unwrap_err();
        assert!(again.contains("already signed off by Carla Client") && again.contains("nothing has changed"), "{again}");
        // A later tick does not change it; the database refuses edits.
        let items = api(&app, Method::GET, &format!("/projects/{pid}/checklist"), Some(&tok), None).await.json();
        let first = &items["items"][0];
        api(&app, Method::PATCH, &format!("/checklist-items/{}", first["id"]), Some(&tok), Some(json!({"state": "done", "version": first["version"]}))).await;
        let after = api(&app, Method::GET, &format!("/projects/{pid}/reviews"), Some(&tok), None).await.json();
        assert_eq!(after["signoffs"][0]["snapshot"]["checklist"], before);
        let edit = sqlx::query("UPDATE signoffs SET snapshot = '{}'").execute(&pool).await;
        assert!(edit.unwrap_err().to_string().contains("never changes"));
        // The activity log has the client's actions.
        let log = api(&app, Method::GET, &format!("/projects/{pid}/activity?kind=review"), Some(&tok), None).await.json();
        assert_eq!(log["activity"].as_array().unwrap().len(), 3, "{log}");

        // After the tick, a new sign-off supersedes the first.
        assert_eq!(share_form(&app, &t, "sign-off", &sign_off).await, Ok(()));
        let v = rpc(&app, "share_view", json!({"token": t})).await.json();
        let flags: Vec<bool> = v["signoffs"].as_array().unwrap().iter().map(|s| s["superseded"].as_bool().unwrap()).collect();
        assert_eq!(flags, [false, true], "newest first: {v}");
        assert_eq!((v["checklist_done"].as_i64(), v["checklist_total"].as_i64().map(|n| n > 1)), (Some(1), Some(true)));

        // A whole page at once: only what is not approved yet, one activity entry.
        let (n0, n1) = (shots3[0].to_string(), shots3[1].to_string());
        let reviews = || async {
            let all = api(&app, Method::GET, &format!("/projects/{pid}/activity?kind=review"), Some(&tok), None).await.json();
            all["activity"].as_array().unwrap().len()
        };
        assert_eq!(share_form(&app, &t, "review", &[carla, ("screenshot_id", &n0), ("verdict", "approve")]).await, Ok(()));
        let logged = reviews().await;
        assert_eq!(share_form(&app, &t, "approve", &[carla, ("screenshot_id", &n0), ("screenshot_id", &n1)]).await, Ok(()));
        let g = api(&app, Method::GET, &format!("/runs/{run3}/screenshots"), Some(&tok), None).await.json();
        let verdicts: Vec<&str> = g["shots"].as_array().unwrap().iter().map(|s| s["review"]["verdict"].as_str().unwrap()).collect();
        assert_eq!(verdicts, ["approved", "approved"]);
        assert_eq!(reviews().await, logged + 1, "one entry for the page, the first was approved already");
        assert_eq!(share_form(&app, &t, "approve", &[carla, ("screenshot_id", &n1)]).await, Ok(()));
        assert_eq!(reviews().await, logged + 1, "nothing left to approve: nothing logged");
        let not_shown = share_form(&app, &t, "approve", &[carla, ("screenshot_id", &s0)]).await;
        assert!(not_shown.as_ref().unwrap_err().contains("not found"), "an older run's screenshot is not the link's to approve: {not_shown:?}");
        let bad = share_form(&app, &t, "approve", &[carla]).await;
        assert!(bad.as_ref().unwrap_err().contains("Choose at least one screenshot"), "nothing to approve is refused in words, not a 500: {bad:?}");
        let other = share_form(&app, &t, "approve", &[carla, ("screenshot_id", "999999")]).await;
        assert!(other.as_ref().unwrap_err().contains("not found"), "{other:?}");

        // The sign-off is a record: deleting the project archives it instead, and the database
        // refuses to delete a sign-off.
        let del = api(&app, Method::DELETE, &format!("/projects/{pid}"), Some(&tok), None).await;
        assert_eq!(del.status, StatusCode::OK, "{}", del.body);
        assert_eq!((del.json()["deleted"].as_bool(), del.json()["archived"].as_bool()), (Some(false), Some(true)));
        assert!(del.json()["message"].as_str().unwrap().contains("sign-off"));
        assert_eq!(api(&app, Method::GET, &format!("/projects/{pid}"), Some(&tok), None).await.json()["archived"], true);
        let gone = sqlx::query("DELETE FROM signoffs").execute(&pool).await;
        assert!(gone.unwrap_err().to_string().contains("never deleted"));
        assert!(dir.path().join(format!("run-{run}")).exists(), "the screenshots stay with the archived project");
        // A project without one is deleted, with its screenshots.
        let body = json!({"name": "Beta", "launch_date": "2027-03-01", "environments": [{"name": "dev", "base_url": "http://dev.test"}]});
        let beta = api(&app, Method::POST, "/projects", Some(&tok), Some(body)).await.json()["id"].as_i64().unwrap();
        let (beta_run, _) = run_with_shots(&st, &user, beta, &["/"]).await;
        assert!(dir.path().join(format!("run-{beta_run}")).exists());
        let del = api(&app, Method::DELETE, &format!("/projects/{beta}"), Some(&tok), None).await;
        assert_eq!(del.json()["deleted"], true, "{}", del.body);
        assert_eq!(api(&app, Method::GET, &format!("/projects/{beta}"), Some(&tok), None).await.status, StatusCode::NOT_FOUND);
        assert!(!dir.path().join(format!("run-{beta_run}")).exists(), "its screenshots are gone");
        assert_eq!(api(&app, Method::DELETE, &format!("/projects/{beta}"), Some(&tok), None).await.status, StatusCode::NOT_FOUND);
    }
}

/// A form post from the client's page (same origin), with the cookies the browser holds.
async fn form(app: &Router, path: &str, body: &str, cookies: &str) -> Res {
    let mut req = browser(Method::POST, path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if !cookies.is_empty() {
        req = req.header(header::COOKIE, cookies);
    }
    send(app, req.body(Body::from(body.to_string())).unwrap()).await
}

/// The `name=value` of a `Set-Cookie` named `name` in the answer, if any.
fn set_cookie(res: &Res, name: &str) -> Option<String> {
    res.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
}

preflight_store::db_test! {
    async fn the_client_page_works_with_plain_forms(pool) {
        let dir = tempfile::tempdir().unwrap();
        let st = state_with_screenshots(pool.clone(), dir.path().to_path_buf()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        let app = preflight_server::router(st.clone());
        let body = json!({"name": "Forms", "launch_date": "2027-03-01", "environments": [{"name": "dev", "base_url": "http://dev.test"}]});
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(body)).await.json()["id"].as_i64().unwrap();
        let (_run, shots) = run_with_shots(&st, &user, pid, &["/", "/about"]).await;
        let link = api(&app, Method::POST, &format!("/projects/{pid}/share-links"), Some(&tok), Some(json!({}))).await.json();
        let t = token_of(&link);
        let base = format!("/share/{t}");

        // The page loads no app: no module script, no WASM preload.
        let p = page(&app, &base).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(!p.body.contains("preflight.js") && !p.body.contains(".wasm") && !p.body.contains("<script src"), "{}", &p.body[..p.body.len().min(600)]);
        assert!(p.body.contains(&format!("action=\"{base}/approve\"")), "forms post to the link's own actions");

        // Without a name the action is refused, in words, shown once on the page.
        let refused = form(&app, &format!("{base}/review"), &format!("screenshot_id={}&verdict=approve", shots[0]), "").await;
        assert_eq!(refused.status, StatusCode::SEE_OTHER);
        assert_eq!(refused.header("location"), format!("{base}#message"));
        let flash = set_cookie(&refused, "preflight_flash").expect("a message for the page");
        let shown = page_with(&app, &base, &flash).await;
        assert!(shown.body.contains("please give your name"), "{}", shown.body);
        assert!(set_cookie(&shown, "preflight_flash").is_some_and(|c| c == "preflight_flash="), "shown once: the page clears it");

        // The name is remembered; a review goes back to the opened picture.
        let named = form(&app, &format!("{base}/name"), "name=Carla+Client", "").await;
        let name = set_cookie(&named, "preflight_reviewer").expect("the name is kept");
        assert_eq!(name, "preflight_reviewer=Carla+Client");
        let asked = form(&app, &format!("{base}/review"), &format!("screenshot_id={}&verdict=changes&comment=Logo+cut+off", shots[1]), &name).await;
        assert_eq!(asked.header("location"), format!("{base}?shot={0}#shot-{0}", shots[1]));
        assert_eq!(set_cookie(&asked, "preflight_flash"), None, "{:?}", asked.headers);
        let page_now = page_with(&app, &format!("{base}?shot={}", shots[1]), &name).await;
        assert!(page_now.body.contains("Carla Client asked: “Logo cut off”") && page_now.body.contains("Reviewing as"), "{}", page_now.body);
        let approved = form(&app, &format!("{base}/approve"), &format!("screenshot_id={}&screenshot_id={}", shots[0], shots[1]), &name).await;
        assert_eq!(approved.header("location"), format!("{base}#page-{}", shots[0]));
        let verdicts: Vec<String> = sqlx::query_scalar("SELECT verdict FROM reviews ORDER BY id").fetch_all(&pool).await.unwrap();
        assert_eq!(verdicts, ["changes_requested", "approved", "approved"]);

        // Sign-off needs the confirmation; then it is recorded once.
        let unconfirmed = form(&app, &format!("{base}/sign-off"), "", &name).await;
        assert!(set_cookie(&unconfirmed, "preflight_flash").is_some_and(|c| c.contains("Yes")), "{:?}", unconfirmed.headers);
        let signed = form(&app, &format!("{base}/sign-off"), "confirm=yes", &name).await;
        assert_eq!(signed.header("location"), format!("{base}#signoff-title"));
        assert_eq!(set_cookie(&signed, "preflight_flash"), None);
        let again = form(&app, &format!("{base}/sign-off"), "confirm=yes", &name).await;
        assert!(set_cookie(&again, "preflight_flash").is_some(), "a second sign-off of the same state is refused");
        let by: Vec<String> = sqlx::query_scalar("SELECT signed_by FROM signoffs").fetch_all(&pool).await.unwrap();
        assert_eq!(by, ["Carla Client"]);

        // A dead link goes to its own page; another site's form is refused.
        let dead = form(&app, "/share/pfs_nope/review", "screenshot_id=1", &name).await;
        assert_eq!(dead.header("location"), "/share/pfs_nope");
        let cross = send(
            &app,
            axum::http::Request::builder()
                .method(Method::POST)
                .uri(format!("{base}/sign-off"))
                .header(header::HOST, "preflight.test")
                .header(header::ORIGIN, "https://evil.test")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("confirm=yes"))
                .unwrap(),
        )
        .await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN);
    }
}

async fn page_with(app: &Router, path: &str, cookie: &str) -> Res {
    send(app, browser(Method::GET, path).header(header::COOKIE, cookie).body(Body::empty()).unwrap()).await
}
