//! The scheduler: queues scheduled check runs when their slot comes. The slots, the
//! no-pile-up rule and the one catch-up run after downtime are in
//! [`preflight_store::schedules`]; this loop only wakes at the next slot (at most a minute
//! apart, sooner when a schedule changes) and stops with the server. Several servers sharing a
//! PostgreSQL database may all run it: each slot is taken by one of them.

use std::time::Duration;

use preflight_store::{schedules, Store};

use crate::runner::shutdown::Signal;

/// The longest the scheduler sleeps: a schedule another server changed is seen this soon.
const MAX_SLEEP_SECS: i64 = 60;

pub fn start(store: Store, shutdown: Signal) {
    tokio::spawn(async move {
        loop {
            match schedules::tick(&store, preflight_store::now()).await {
                Ok(slots) => {
                    for slot in slots {
                        tracing::info!(?slot, "scheduled run slot");
                    }
                }
                Err(e) => tracing::warn!("the scheduler could not take due slots: {e}"),
            }
            let secs = match schedules::next_due(&store.pool).await {
                Ok(Some(next)) => (next - preflight_store::now()).clamp(1, MAX_SLEEP_SECS),
                _ => MAX_SLEEP_SECS,
            };
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(secs as u64)) => {}
                _ = store.schedules_changed.notified() => {}
                _ = shutdown.wait() => break,
            }
        }
    });
}
