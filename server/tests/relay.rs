//! Live updates between processes sharing PostgreSQL (two stores here, as two servers would
//! have): an update published by one reaches the viewers of both, once each, in order.

use std::time::Duration;

use preflight_model::LiveUpdate;
use preflight_model::Role;
use preflight_store::{auth, relay, testing::TestDb, Store};

fn update(n: i64) -> LiveUpdate {
    let review = preflight_model::Review {
        id: n,
        screenshot_id: 1,
        verdict: "approved".into(),
        reviewer: format!("reviewer {n}"),
        comment: String::new(),
        at: 0,
        source: "client".into(),
    };
    LiveUpdate::Review { review }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_reach_every_server_once_and_in_order() {
    let Some(pg) = TestDb::postgres().await else { return };
    let one = Store::new(pg.pool.clone(), None, None);
    let two = Store::new(preflight_store::db::connect(&pg.url()).await.unwrap(), None, None);
    relay::start(&one).await;
    relay::start(&two).await;
    let (mut heard_one, mut heard_two) = (one.events.subscribe(), two.events.subscribe());
    for n in 1..=20 {
        one.publish_update(7, update(n));
    }
    for heard in [&mut heard_one, &mut heard_two] {
        for n in 1..=20 {
            let ev = tokio::time::timeout(Duration::from_secs(2), heard.recv()).await.expect("the update arrives").unwrap();
            assert_eq!(ev.project_id, 7);
            assert_eq!(ev.update, update(n), "in the order published");
        }
        assert!(tokio::time::timeout(Duration::from_millis(200), heard.recv()).await.is_err(), "each update once");
    }
}

#[tokio::test]
async fn sqlite_keeps_updates_in_its_one_process() {
    let lite = TestDb::sqlite().await;
    let store = Store::new(lite.pool.clone(), None, None);
    relay::start(&store).await;
    assert!(store.relay.get().is_none(), "nothing to relay with one process");
    let mut heard = store.events.subscribe();
    store.publish_update(3, update(1));
    assert_eq!(heard.recv().await.unwrap().update, update(1));
}

/// With PostgreSQL a server keeps API tokens in memory only while it listens for revocations:
/// one revoked through another server is forgotten here as soon as that server says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_through_another_server_is_forgotten_here_at_once() {
    let Some(pg) = TestDb::postgres().await else { return };
    let here = Store::new(pg.pool.clone(), None, None);
    relay::start(&here).await;
    let user = auth::create_user(&pg.pool, "ann@example.test", "Ann", Role::Owner, "a long enough password").await.unwrap();
    let token = auth::create_api_token(&pg.pool, user.id, "ci").await.unwrap().1;
    assert!(auth::token_user(&here.pool, &token).await.unwrap().is_some());
    // The other server: its own connection and its own memory. It revokes the token and, once
    // that has committed, tells every server (what `auth::revoke_api_token` does there).
    let other = preflight_store::db::connect(&pg.url()).await.unwrap();
    sqlx::query("UPDATE api_tokens SET revoked_at = 1").execute(&other).await.unwrap();
    assert!(auth::token_user(&here.pool, &token).await.unwrap().is_some(), "kept in memory here while this server listens");
    sqlx::query("SELECT pg_notify($1, $2)").bind(relay::CONTROL_CHANNEL).bind(relay::FORGET_TOKENS).execute(&other).await.unwrap();
    let started = std::time::Instant::now();
    while auth::token_user(&here.pool, &token).await.unwrap().is_some() {
        assert!(started.elapsed() < Duration::from_secs(2), "the revocation was not heard");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!("a revocation through another server was heard here after {:?}", started.elapsed());
}
