//! Environments' run settings in the app: a protected dev site opened with sealed credentials
//! (never shown back, never in the database in clear, never in findings), the team's
//! dev-marker words, old URLs imported from the old site's sitemap, crawl limits, and the
//! postal address among the expected contacts.

mod common;

use axum::{
    extract::Request,
    http::{header, Method, StatusCode},
    response::{Html, IntoResponse},
    Router,
};
use serde_json::json;

use common::*;

const SECRET: &str = "s3cret-pw";

/// A dev site behind basic auth (preview / s3cret-pw). Its pages say "Vorschau", show the
/// address over two lines, and it keeps a sitemap of the "old" pages.
fn protected_site() -> Router {
    Router::new().fallback(|req: Request| async move {
        let auth = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        let path = req.uri().path().to_string();
        if path == "/old-sitemap.xml" {
            let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let xml = format!("<urlset><url><loc>http://{host}/about-us</loc></url><url><loc>http://{host}/gone?id=7</loc></url></urlset>");
            return ([(header::CONTENT_TYPE, "application/xml")], xml).into_response();
        }
        if auth != "Basic cHJldmlldzpzM2NyZXQtcHc=" {
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Basic realm=\"dev\"")], "Sign in").into_response();
        }
        match path.as_str() {
            "/" => {
                Html("<!doctype html><title>Dev</title><body><p>VORSCHAU</p><a href=\"/about-us\">About</a><address>Good Co<br>1 Garden Road</address></body>")
                    .into_response()
            }
            "/about-us" => Html("<!doctype html><title>About</title><body>Vorschau. About us.</body>").into_response(),
            "/robots.txt" => "User-agent: *\nDisallow: /\n".into_response(),
            _ => (StatusCode::NOT_FOUND, Html("<!doctype html><html><head><style>h1{}</style></head><body><h1>Not found</h1></body></html>")).into_response(),
        }
    })
}

preflight_store::db_test! {
    async fn a_protected_dev_site_is_checked_with_sealed_credentials_and_its_settings(pool) {
        let st = state(pool.clone()).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        preflight_server::runner::start(st.store().clone(), 1, preflight_server::runner::shutdown::Signal::default()).await.unwrap();
        let app = preflight_server::router(st.clone());
        let port = serve(protected_site()).await;
        let body = json!({"name": "Protected", "launch_date": "2027-03-01", "postal_address": "Good Co\n1 Garden Road,",
            "environments": [{"name": "dev", "kind": "dev", "base_url": format!("http://127.0.0.1:{port}/"),
                "settings": {"dev_markers": ["Vorschau"], "max_pages": 5, "old_urls": ["/was-here"]}}]});
        let res = api(&app, Method::POST, "/projects", Some(&tok), Some(body)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let project = res.json();
        let pid = project["id"].as_i64().unwrap();
        let env = &project["environments"][0];
        let env_id = env["id"].as_i64().unwrap();
        assert_eq!(env["settings"]["dev_markers"], json!(["Vorschau"]));
        assert_eq!(env["settings"]["max_pages"], 5);
        assert!(env["credentials"].is_null());

        // Without credentials the run meets a 401 wall: nothing behind it passes.
        let run = api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await.json()["id"].as_i64().unwrap();
        let done = wait_finished(&app, &tok, run).await;
        let banner = done["checks"].as_array().unwrap().iter().find(|c| c["id"] == "dev-banner-missing").unwrap().clone();
        assert_ne!(banner["status"], "passed", "{done}");

        // Credentials: bad ones are refused with the field named; good ones are sealed.
        let res =
            api(&app, Method::PUT, &format!("/environments/{env_id}/credentials"), Some(&tok), Some(json!({"kind": "header", "name": "Bad Name", "value": "x"})))
                .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert!(res.json()["error"].as_str().unwrap().starts_with("name:"), "{}", res.body);
        let res = api(&app, Method::PUT, &format!("/environments/{env_id}/credentials"), Some(&tok), Some(json!({"kind": "magic"}))).await;
        assert!(res.status.is_client_error(), "{}", res.body);
        assert_eq!(
            api(&app, Method::PUT, "/environments/9999/credentials", Some(&tok), Some(json!({"kind": "cookie", "name": "a", "value": "b"}))).await.status,
            StatusCode::NOT_FOUND
        );
        let res = api(
            &app,
            Method::PUT,
            &format!("/environments/{env_id}/credentials"),
            Some(&tok),
            Some(json!({"kind": "basic", "username": "preview", "password": SECRET})),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(!res.body.contains(SECRET));
        assert!(res.json()["credentials"].as_str().unwrap().contains("\"preview\""), "{}", res.body);
        let project = api(&app, Method::GET, &format!("/projects/{pid}"), Some(&tok), None).await;
        assert!(!project.body.contains(SECRET) && project.json()["environments"][0]["credentials"].as_str().unwrap().contains("basic"), "{}", project.body);
        let stored: Vec<u8> = sqlx::query_scalar("SELECT credentials FROM environments WHERE id = $1").bind(env_id).fetch_one(&pool).await.unwrap();
        assert!(!stored.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()), "the database holds the password in clear text");
        let dump = sqlx::query_scalar::<_, String>("SELECT summary FROM activity").fetch_all(&pool).await.unwrap().join(" ");
        assert!(!dump.contains(SECRET) && dump.contains("set the credentials of dev"), "{dump}");

        // Old URLs from the old site's sitemap: stored as paths, merged with the list.
        let res = api(
            &app,
            Method::POST,
            &format!("/environments/{env_id}/old-urls/import"),
            Some(&tok),
            Some(json!({"sitemap_url": format!("http://127.0.0.1:{port}/old-sitemap.xml")})),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.json()["old_urls"], json!(["/was-here", "/about-us", "/gone?id=7"]));
        let res = api(
            &app,
            Method::POST,
            &format!("/environments/{env_id}/old-urls/import"),
            Some(&tok),
            Some(json!({"sitemap_url": format!("http://127.0.0.1:{port}/")})),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert!(res.json()["error"].as_str().unwrap().contains("sitemap_url"), "{}", res.body);

        // With credentials: the pages behind the wall are judged with the project's settings.
        let run = api(&app, Method::POST, &format!("/projects/{pid}/runs"), Some(&tok), Some(json!({"environment": "dev"}))).await.json()["id"].as_i64().unwrap();
        let done = wait_finished(&app, &tok, run).await;
        let check = |id: &str| done["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()["status"].as_str().unwrap().to_string();
        assert_eq!(done["pages_crawled"], 2, "{done}");
        assert_eq!(check("dev-banner-missing"), "passed", "the team's word marks the dev site: {done}");
        assert_eq!(check("contact-missing"), "passed", "the address lines are on the page: {done}");
        assert_eq!(check("old-url-broken"), "failed", "{done}");
        let findings = api(&app, Method::GET, &format!("/runs/{run}/findings"), Some(&tok), None).await;
        let old: Vec<String> = findings.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["check"] == "old-url-broken")
            .map(|f| f["url"].as_str().unwrap().to_string())
            .collect();
        assert!(old.iter().any(|u| u.ends_with("/was-here")) && old.iter().any(|u| u.ends_with("/gone?id=7")), "{old:?}");
        assert!(!old.iter().any(|u| u.ends_with("/about-us")), "an old URL that still answers is fine: {old:?}");
        assert!(!findings.body.contains(SECRET) && !findings.body.contains("cHJldmlldzpzM2NyZXQtcHc"), "the secret is in the findings");

        // Bad settings: a clear 4xx naming the field.
        let mut input: preflight_model::ProjectInput =
            serde_json::from_value(api(&app, Method::GET, &format!("/projects/{pid}"), Some(&tok), None).await.json()).unwrap();
        input.environments[0].settings.max_pages = Some(0);
        let e = preflight_store::projects::update(&pool, pid, &input).await.unwrap_err().to_string();
        assert!(e.contains("settings.max_pages"), "{e}");
        input.environments[0].settings.max_pages = None;
        input.environments[0].settings.nameserver = Some("not-an-ip".into());
        let e = preflight_store::projects::update(&pool, pid, &input).await.unwrap_err().to_string();
        assert!(e.contains("settings.nameserver"), "{e}");
        // Saving the project keeps the credentials (they are not part of the form).
        input.environments[0].settings.nameserver = None;
        preflight_store::projects::update(&pool, pid, &input).await.unwrap();
        let p = preflight_store::projects::get(&pool, pid).await.unwrap();
        assert!(p.environments[0].credentials.is_some());

        // Another server key (secret.key replaced): the run says so rather than check a login page.
        let opened = preflight_store::environments::credentials_for(&pool, &preflight_store::secrets::Sealer::ephemeral(), env_id).await;
        assert!(opened.unwrap_err().contains("set them again"));

        // Removing them: gone from the database.
        assert_eq!(api(&app, Method::DELETE, &format!("/environments/{env_id}/credentials"), Some(&tok), None).await.status, StatusCode::NO_CONTENT);
        let stored: Option<Vec<u8>> = sqlx::query_scalar("SELECT credentials FROM environments WHERE id = $1").bind(env_id).fetch_one(&pool).await.unwrap();
        assert!(stored.is_none());
    }
}
