//! Live updates between processes sharing PostgreSQL (two stores here, as two servers would
//! have): an update published by one reaches the viewers of both, once each, in order.

use std::time::Duration;

use preflight_model::LiveUpdate;
use preflight_store::{relay, testing::TestDb, Store};

fn update(n: i64) -> LiveUpdate {
    let review =
        preflight_model::Review { id: n, screenshot_id: 1, verdict: "approved".into(), reviewer: format!("reviewer {n}"), comment: String::new(), at: 0 };
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
