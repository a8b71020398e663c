//! E-mail through a small SMTP server the test runs on 127.0.0.1, on both databases:
//! notifications as text + HTML with one-click unsubscribe (which really stops them), an SMTP
//! server that defers is retried then marked failed, and invitations and password resets whose
//! links work once and expire.

mod common;

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{
    body::Body,
    http::{header, Method, StatusCode},
    Router,
};
use preflight_store::notify;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use common::*;

/// A minimal SMTP server: plain ESMTP, no authentication; every message's raw text is kept.
/// While `defer` is set it answers `451` to MAIL FROM.
#[derive(Clone, Default)]
struct Sink {
    defer: Arc<AtomicBool>,
    got: Arc<Mutex<Vec<String>>>,
}

impl Sink {
    async fn start(&self) -> u16 {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let sink = self.clone();
        tokio::spawn(async move {
            loop {
                let (sock, _) = l.accept().await.unwrap();
                let sink = sink.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut lines = BufReader::new(r).lines();
                    w.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                        let answer: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250-sink.test\r\n250 8BITMIME\r\n",
                            "MAIL" if sink.defer.load(Ordering::SeqCst) => b"451 4.3.0 Mailbox busy, try later\r\n",
                            "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 2.0.0 OK\r\n",
                            "DATA" => {
                                w.write_all(b"354 go ahead\r\n").await.unwrap();
                                let mut data = String::new();
                                while let Ok(Some(l)) = lines.next_line().await {
                                    if l == "." {
                                        break;
                                    }
                                    data.push_str(&l);
                                    data.push('\n');
                                }
                                sink.got.lock().unwrap().push(data);
                                b"250 2.0.0 queued\r\n"
                            }
                            "QUIT" => {
                                let _ = w.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"502 5.5.2 not implemented\r\n",
                        };
                        if w.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        port
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.got.lock().unwrap())
    }
}

/// A header's value in a raw message (unfolded).
fn header_of(raw: &str, name: &str) -> String {
    let unfolded = raw.replace("\n ", " ").replace("\n\t", " ");
    unfolded.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).unwrap_or_default().to_string()
}

/// The raw message without quoted-printable soft line breaks.
fn plain(raw: &str) -> String {
    raw.replace("=\n", "").replace("=3D", "=")
}

/// The token after `path` in a message's link.
fn link_token(raw: &str, path: &str) -> String {
    let p = plain(raw);
    let at = p.find(path).unwrap_or_else(|| panic!("no {path} link in {p}")) + path.len();
    p[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect()
}

async fn rpc(app: &Router, cookie: Option<&str>, name: &str, body: Value) -> Res {
    let mut req = browser(Method::POST, &format!("/rpc/{name}")).header(header::CONTENT_TYPE, "application/json");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    send(app, req.body(Body::from(body.to_string())).unwrap()).await
}

async fn mailing_state(pool: preflight_store::db::Pool, port: u16) -> preflight_server::state::AppState {
    state(pool).await.map_store(|mut s| {
        s.mailer = Some(
            preflight_store::mail::Mailer::new(&format!("smtp://127.0.0.1:{port}"), "Preflight <preflight@example.test>", Duration::from_secs(2)).unwrap(),
        );
        s.delivery = notify::DeliveryPolicy { max_attempts: 3, first_backoff_ms: 0, timeout: Duration::from_secs(2), stale_after_secs: 5 };
        s
    })
}

preflight_store::db_test! {
    async fn notifications_are_mailed_with_one_click_unsubscribe_and_deferrals_are_retried(pool) {
        let sink = Sink::default();
        let port = sink.start().await;
        let st = mailing_state(pool.clone(), port).await;
        let user = owner(&st).await;
        let tok = token(&st, &user).await;
        preflight_store::auth::create_user(&pool, "mia@example.test", "Mia Member", preflight_model::Role::Member, PASSWORD).await.unwrap();
        let app = preflight_server::router(st.clone());
        let http = notify::http_client();
        let pid = api(&app, Method::POST, "/projects", Some(&tok), Some(project_body("Shop"))).await.json()["id"].as_i64().unwrap();
        let link = api(&app, Method::POST, &format!("/projects/{pid}/share-links"), Some(&tok), Some(json!({}))).await.json();
        let share = link["url"].as_str().unwrap().rsplit("/share/").next().unwrap().to_string();

        assert_eq!(share_form(&app, &share, "sign-off", &[("name", "Clara Client"), ("confirm", "yes")]).await, Ok(()));
        assert_eq!(notify::deliver(&st, "test", &http).await.unwrap().sent, 2, "one e-mail per team member");
        let mails = sink.take();
        assert_eq!(mails.len(), 2);
        let to_mia = mails.iter().find(|m| header_of(m, "To").contains("mia@example.test")).expect("Mia's copy");
        assert_eq!(header_of(to_mia, "Subject"), "[Shop] Clara Client signed off the launch");
        assert_eq!(header_of(to_mia, "From"), "Preflight <preflight@example.test>");
        assert!(header_of(to_mia, "Message-ID").starts_with("<pfd_") && header_of(to_mia, "Message-ID").ends_with("@example.test>"));
        let unsubscribe = header_of(to_mia, "List-Unsubscribe");
        assert!(unsubscribe.starts_with("<http://preflight.test/unsubscribe/pfu_"), "{unsubscribe}");
        assert_eq!(header_of(to_mia, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
        assert!(header_of(to_mia, "Content-Type").starts_with("multipart/alternative"), "{to_mia}");
        let body = plain(to_mia);
        assert!(body.contains("text/plain") && body.contains("text/html"), "{body}");
        assert!(body.contains("http://preflight.test/projects/") && body.contains("Stop these e-mails"), "{body}");

        // One click, as a mail provider posts it (no Origin): Mia gets no more of these.
        let token = unsubscribe.trim_start_matches("<http://preflight.test/unsubscribe/").trim_end_matches('>').to_string();
        let req = axum::http::Request::builder()
            .method(Method::POST)
            .uri(format!("/unsubscribe/{token}"))
            .header(header::HOST, "preflight.test")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("List-Unsubscribe=One-Click"))
            .unwrap();
        let res = send(&app, req).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.body, "Done: mia@example.test gets no more \"Client review\" e-mails from Preflight.");
        // (A sign-off of an unchanged state is refused: the scope changes in between.)
        assert!(share_form(&app, &share, "sign-off", &[("name", "Clara Client"), ("confirm", "yes")]).await.unwrap_err().contains("already signed off"));
        api(&app, Method::POST, &format!("/projects/{pid}/scope-items"), Some(&tok), Some(json!({"title": "Add a map"}))).await;
        assert_eq!(share_form(&app, &share, "sign-off", &[("name", "Clara Client"), ("confirm", "yes")]).await, Ok(()));
        assert_eq!(notify::deliver(&st, "test", &http).await.unwrap().sent, 1);
        let mails = sink.take();
        assert!(header_of(&mails[0], "To").contains("owner@example.test"), "only Olivia now: {mails:?}");
        let mia = preflight_store::auth::find_user_by_email(&pool, "mia@example.test").await.unwrap().unwrap();
        assert_eq!(notify::list_for(&pool, mia.id, 10).await.unwrap().unread, 2, "the bell still counts it");
        let res = send(&app, axum::http::Request::builder().method(Method::POST).uri("/unsubscribe/pfu_nonsense").header(header::HOST, "preflight.test").body(Body::empty()).unwrap()).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);

        // An SMTP server that defers: tried three times, then failed with its answer.
        sink.defer.store(true, Ordering::SeqCst);
        api(&app, Method::POST, &format!("/projects/{pid}/scope-items"), Some(&tok), Some(json!({"title": "Add a shop"}))).await;
        assert_eq!(share_form(&app, &share, "sign-off", &[("name", "Clara Client"), ("confirm", "yes")]).await, Ok(()));
        let pass = notify::deliver(&st, "test", &http).await.unwrap();
        assert_eq!((pass.sent, pass.failed), (0, 1), "{pass:?}");
        let d = api(&app, Method::GET, &format!("/projects/{pid}/deliveries"), Some(&tok), None).await.json();
        let failed = d["deliveries"].as_array().unwrap().iter().find(|d| d["channel"] == "email" && d["status"] == "failed").unwrap().clone();
        assert_eq!(failed["target"], "owner@example.test");
        let why = failed["last_error"].as_str().unwrap();
        assert!(why.starts_with("failed after 3 tries: the SMTP server deferred it (451"), "{why}");
    }
}

preflight_store::db_test! {
    async fn invitations_and_password_resets_work_once_and_expire(pool) {
        let sink = Sink::default();
        let port = sink.start().await;
        let st = mailing_state(pool.clone(), port).await;
        owner(&st).await;
        let app = preflight_server::router(st.clone());
        let http = notify::http_client();
        let cookie = session_cookie(&login(&app, "owner@example.test", PASSWORD).await);

        // An invitation: the link creates the account with the password the person chooses.
        let res = rpc(&app, Some(&cookie), "invite_member", json!({"email": "nina@example.test", "name": "Nina New", "role": "member"})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        notify::deliver(&st, "test", &http).await.unwrap();
        let mail = sink.take().pop().expect("the invitation");
        assert_eq!(header_of(&mail, "Subject"), "Olivia Owner invites you to Preflight");
        let invite = link_token(&mail, "http://preflight.test/invite/");
        assert!(invite.starts_with("pfa_") && invite.len() > 40, "{invite}");
        let info = rpc(&app, None, "account_link_info", json!({"token": invite})).await.json();
        assert_eq!((info["kind"].as_str(), info["email"].as_str(), info["name"].as_str()), (Some("invite"), Some("nina@example.test"), Some("Nina New")));
        let res = rpc(&app, None, "use_account_link", json!({"token": invite, "password": "nina's password 1", "password2": "nina's password 2"})).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        let res = rpc(&app, None, "use_account_link", json!({"token": invite, "password": "nina's password 1", "password2": "nina's password 1"})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(session_cookie(&login(&app, "nina@example.test", "nina's password 1").await).starts_with("preflight_session="), "Nina signs in");
        let again = rpc(&app, None, "use_account_link", json!({"token": invite, "password": "another password 1", "password2": "another password 1"})).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.body.contains("used already"), "{}", again.body);
        // Inviting someone who has an account is refused.
        let res = rpc(&app, Some(&cookie), "invite_member", json!({"email": "NINA@example.test", "name": "Nina", "role": "member"})).await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);

        // A reset: the same answer for unknown addresses, and no mail for them.
        let res = rpc(&app, None, "request_password_reset", json!({"email": "nobody@example.test"})).await;
        assert_eq!(res.status, StatusCode::OK);
        let known = rpc(&app, None, "request_password_reset", json!({"email": "nina@example.test"})).await;
        assert_eq!(res.body.replace("nobody", "X"), known.body.replace("nina", "X"), "no account probing");
        notify::deliver(&st, "test", &http).await.unwrap();
        let mails = sink.take();
        assert_eq!(mails.len(), 1, "only the account that exists gets a link");
        let reset = link_token(&mails[0], "http://preflight.test/reset/");
        let nina_session = session_cookie(&login(&app, "nina@example.test", "nina's password 1").await);
        let res = rpc(&app, None, "use_account_link", json!({"token": reset, "password": "nina's new password", "password2": "nina's new password"})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(login(&app, "nina@example.test", "nina's new password").await.header("set-cookie").contains("preflight_session="));
        let res = send(&app, browser(Method::GET, "/").header(header::COOKIE, &nina_session).body(Body::empty()).unwrap()).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "a reset signs out everywhere");
        // Links expire: an hour for resets.
        rpc(&app, None, "request_password_reset", json!({"email": "nina@example.test"})).await;
        notify::deliver(&st, "test", &http).await.unwrap();
        let late = link_token(&sink.take()[0], "http://preflight.test/reset/");
        sqlx::query("UPDATE account_tokens SET expires_at = expires_at - 3601 WHERE used_at IS NULL").execute(&pool).await.unwrap();
        let res = rpc(&app, None, "use_account_link", json!({"token": late, "password": "too late password", "password2": "too late password"})).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("expired"), "{}", res.body);
        // Tokens are stored hashed.
        let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM account_tokens").fetch_all(&pool).await.unwrap();
        assert!(stored.iter().all(|h| h.len() == 32 && !String::from_utf8_lossy(h).contains("pfa_")));
    }
}

preflight_store::db_test! {
    async fn without_smtp_invitations_say_what_to_configure(pool) {
        let st = state(pool.clone()).await;
        owner(&st).await;
        let app = preflight_server::router(st.clone());
        let cookie = session_cookie(&login(&app, "owner@example.test", PASSWORD).await);
        let res = rpc(&app, Some(&cookie), "invite_member", json!({"email": "nina@example.test", "name": "Nina", "role": "member"})).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("--smtp-url"), "{}", res.body);
        let res = rpc(&app, None, "request_password_reset", json!({"email": "owner@example.test"})).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let res = rpc(&app, None, "invite_member", json!({"email": "x@example.test", "name": "X", "role": "member"})).await;
        assert!(res.status.is_client_error(), "signed out: {}", res.status);
    }
}
