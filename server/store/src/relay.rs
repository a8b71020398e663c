//! Live updates across processes. With SQLite there is one process and its broadcast channel
//! reaches every open live view. With PostgreSQL several servers share the database, so an
//! update goes out through `NOTIFY preflight_events` instead, and every process — the sender
//! too — hears it with `LISTEN` and hands it to its own viewers: a tick made through one
//! server reaches the browsers connected to another.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::{LiveEvent, Store};

/// The PostgreSQL channel the updates travel on.
pub const CHANNEL: &str = "preflight_events";
/// The channel that tells every server to forget what it keeps in memory (see
/// [`crate::auth`]'s token cache).
pub const CONTROL_CHANNEL: &str = "preflight_control";
/// On [`CONTROL_CHANNEL`]: an API token was revoked or its user changed.
pub const FORGET_TOKENS: &str = "forget_tokens";

/// Starts relaying this store's live updates through PostgreSQL (nothing on SQLite): returns
/// once this process listens, so nothing published after it is missed. Updates are sent in
/// the order they are published, by one task.
pub async fn start(store: &Store) {
    if crate::db::Backend::of(&store.pool) != crate::db::Backend::Postgres {
        return;
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    if store.relay.set(tx).is_err() {
        return; // already relaying
    }
    let (pool, events) = (store.pool.clone(), store.events.clone());
    tokio::spawn(async move {
        while let Some(payload) = rx.recv().await {
            if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(&payload).execute(&pool).await {
                // The other servers miss this one; this server's own viewers still get it.
                tracing::warn!(error = %e, "a live update could not be sent to the other servers");
                if let Ok(event) = serde_json::from_str::<LiveEvent>(&payload) {
                    let _ = events.send(event);
                }
            }
        }
    });
    let (url, events) = (store.pool.connect_options().database_url.to_string(), store.events.clone());
    // Listening before returning: nothing published from here on is missed.
    let mut listener = subscribe(&url).await;
    tokio::spawn(async move {
        loop {
            let e = match listener {
                Ok(l) => relay(l, &events).await,
                Err(e) => e,
            };
            // Revocations made meanwhile would go unheard: no cached tokens until listening again.
            crate::auth::HEARS_REVOCATIONS.store(false, std::sync::atomic::Ordering::SeqCst);
            crate::auth::forget_local_tokens();
            tracing::warn!(error = %e, "listening for live updates failed; retrying in 2 s");
            tokio::time::sleep(Duration::from_secs(2)).await;
            listener = subscribe(&url).await;
        }
    });
}

/// Listens on both channels; from then on this process hears revocations and may keep API
/// tokens in memory.
async fn subscribe(url: &str) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut l = sqlx::postgres::PgListener::connect(url).await?;
    l.listen_all([CHANNEL, CONTROL_CHANNEL]).await?;
    crate::auth::HEARS_REVOCATIONS.store(true, std::sync::atomic::Ordering::SeqCst);
    Ok(l)
}

/// Hands every update heard to this process's viewers, until the connection fails.
async fn relay(mut listener: sqlx::postgres::PgListener, events: &tokio::sync::broadcast::Sender<LiveEvent>) -> sqlx::Error {
    loop {
        let n = match listener.recv().await {
            Ok(n) => n,
            Err(e) => return e,
        };
        if n.channel() == CONTROL_CHANNEL {
            if n.payload() == FORGET_TOKENS {
                crate::auth::forget_local_tokens();
            }
            continue;
        }
        match serde_json::from_str::<LiveEvent>(n.payload()) {
            Ok(event) => {
                let _ = events.send(event);
            }
            Err(e) => tracing::warn!(error = %e, "an unreadable live update was ignored"),
        }
    }
}
