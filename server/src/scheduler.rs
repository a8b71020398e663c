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
        // The day whose digest this process has sent: it looks once a day, not every wake-up.
        let mut digest_day = None;
        loop {
            let t = preflight_store::now();
            let day = t.div_euclid(86_400);
            if digest_day != Some(day) && t.rem_euclid(86_400) / 3600 >= preflight_store::digest::SEND_FROM_HOUR {
                match preflight_store::digest::send_due(&store, t).await {
                    Ok(n) => {
                        digest_day = Some(day);
                        if n > 0 {
                            tracing::info!(people = n, "sent the daily digest");
                        }
                    }
                    Err(e) => tracing::warn!("the daily digest could not be sent (tried again at the next wake-up): {e}"),
                }
            }
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

/// The delivery worker: sends what the outbox holds (webhooks), retrying with backoff, until
/// the server stops. It wakes when something is queued, and at least every few seconds for
/// retries that came due (and for deliveries another process queued or left half-sent).
pub fn start_deliveries(store: Store, shutdown: Signal) {
    const POLL: Duration = Duration::from_secs(5);
    tokio::spawn(async move {
        let http = preflight_store::notify::http_client();
        let worker = crate::runner::worker_id();
        loop {
            match preflight_store::notify::deliver(&store, &worker, &http).await {
                Ok(pass) if pass != Default::default() => tracing::info!(?pass, "deliveries"),
                Ok(_) => {}
                Err(e) => tracing::warn!("the delivery worker could not read the outbox: {e}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = store.outbox_queued.notified() => {}
                _ = shutdown.wait() => break,
            }
        }
    });
}
