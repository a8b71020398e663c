//! Rate limits, kept in the database so that every server process behind one address shares
//! them.
//!
//! Sign-in: an attempt *reserves* its place before the password is hashed (so 200 parallel
//! guesses cannot all slip past a check that only counts finished ones), per account × client
//! address and per client address, in a sliding window. A correct password from a client that
//! has not failed is never blocked by other clients' failures, and a cap on concurrent password
//! hashes per process keeps a flood from eating the CPU.
//!
//! Share pages: a fixed one-minute budget of requests per client address.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use crate::db::{self, Backend, Pool};

/// Attempts allowed per account from one client address within [`WINDOW`].
pub const MAX_FAILURES_PER_ACCOUNT: usize = 10;
/// Attempts allowed per client address (any accounts) within [`WINDOW`].
pub const MAX_FAILURES_PER_ADDRESS: usize = 30;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Password hashes computed at once by one process (argon2id takes tens of milliseconds of
/// CPU each).
pub const MAX_CONCURRENT_HASHES: usize = 4;
/// The window of [`count_request`].
pub const REQUEST_WINDOW: Duration = Duration::from_secs(60);

/// Why an attempt may not go ahead.
#[derive(Debug)]
pub enum Denied {
    /// Too many attempts: the client must wait this many seconds.
    Wait(u64),
    /// The database could not be asked.
    Store(sqlx::Error),
}

impl From<sqlx::Error> for Denied {
    fn from(e: sqlx::Error) -> Self {
        Denied::Store(e)
    }
}

pub struct LoginLimiter {
    hashing: Arc<tokio::sync::Semaphore>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter { hashing: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_HASHES)) }
    }
}

/// A reserved attempt: it stays counted as a failure unless [`Reservation::succeeded`] is
/// called.
pub struct Reservation {
    pool: Pool,
    pair_key: String,
    /// The attempt's row under the address's key.
    address_row: i64,
    _hash: tokio::sync::OwnedSemaphorePermit,
}

impl Reservation {
    /// The password was right: this attempt and the pair's earlier failures are forgotten
    /// (the address's failures with other accounts are not).
    pub async fn succeeded(self) -> Result<(), sqlx::Error> {
        let _turn = db::write_turn_for(&self.pool).await;
        sqlx::query("DELETE FROM login_attempts WHERE key = $1 OR id = $2").bind(&self.pair_key).bind(self.address_row).execute(&self.pool).await?;
        Ok(())
    }
}

impl LoginLimiter {
    /// Reserves an attempt, then waits for a free hashing slot; [`Denied::Wait`] when this
    /// account from this address, or this address, must wait.
    pub async fn reserve(&self, pool: &Pool, account: &str, address: &str) -> Result<Reservation, Denied> {
        let keys = [pair_key(account, address), address_key(address)];
        let address_row = reserve_at(pool, &keys, now_ms()).await?;
        let permit = self.hashing.clone().acquire_owned().await.map_err(|_| Denied::Wait(1))?;
        let [pair_key, _] = keys;
        Ok(Reservation { pool: pool.clone(), pair_key, address_row, _hash: permit })
    }
}

/// Counts one attempt under both keys (pair, address) at `now` unless either is over its
/// limit; returns the attempt's row under the address key.
async fn reserve_at(pool: &Pool, keys: &[String; 2], now: i64) -> Result<i64, Denied> {
    let window = WINDOW.as_millis() as i64;
    let mut tx = db::begin_write(pool).await?;
    if db::Backend::of(pool) == Backend::Postgres {
        // Servers count the same keys at once: each key is counted by one transaction at a
        // time (in one order, so two never wait for each other).
        let mut sorted = keys.clone();
        sorted.sort();
        for key in &sorted {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").bind(key).execute(&mut *tx).await?;
        }
    }
    sqlx::query("DELETE FROM login_attempts WHERE at_ms <= $1").bind(now - window).execute(&mut *tx).await?;
    let mut wait = 0i64;
    for (key, max) in keys.iter().zip([MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS]) {
        // The max-th newest attempt: once it leaves the window, one more may be made.
        let nth: Option<i64> = sqlx::query_scalar("SELECT at_ms FROM login_attempts WHERE key = $1 ORDER BY at_ms DESC, id DESC LIMIT 1 OFFSET $2")
            .bind(key)
            .bind(max as i64 - 1)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(at) = nth {
            wait = wait.max((at + window - now).div_euclid(1000).max(1));
        }
    }
    if wait > 0 {
        return Err(Denied::Wait(wait as u64));
    }
    let mut address_row = 0;
    for key in keys {
        address_row =
            sqlx::query_scalar("INSERT INTO login_attempts (key, at_ms) VALUES ($1, $2) RETURNING id").bind(key).bind(now).fetch_one(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(address_row)
}

/// Counts a request under `key` (e.g. a client address) in the current one-minute window;
/// `Some(seconds)` to wait when this request goes over `per_minute`.
pub async fn count_request(pool: &Pool, key: &str, per_minute: u32) -> Result<Option<u64>, sqlx::Error> {
    count_request_at(pool, key, per_minute, now_ms()).await
}

async fn count_request_at(pool: &Pool, key: &str, per_minute: u32, now: i64) -> Result<Option<u64>, sqlx::Error> {
    let window = REQUEST_WINDOW.as_millis() as i64;
    let _turn = db::write_turn_for(pool).await;
    // One statement: servers counting the same key at once each see their own count.
    let (count, started): (i64, i64) = sqlx::query_as(
        "INSERT INTO request_windows (key, started_ms, count) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           count = CASE WHEN request_windows.started_ms <= $3 THEN 1 ELSE request_windows.count + 1 END, \
           started_ms = CASE WHEN request_windows.started_ms <= $3 THEN $2 ELSE request_windows.started_ms END \
         RETURNING count, started_ms",
    )
    .bind(key)
    .bind(now)
    .bind(now - window)
    .fetch_one(pool)
    .await?;
    if count == 1 {
        // A window began: windows that ended are forgotten.
        sqlx::query("DELETE FROM request_windows WHERE started_ms <= $1").bind(now - window).execute(pool).await?;
    }
    Ok((count > i64::from(per_minute)).then(|| ((started + window - now).div_euclid(1000)).clamp(1, REQUEST_WINDOW.as_secs() as i64) as u64))
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn pair_key(account: &str, address: &str) -> String {
    format!("a:{}|{address}", account.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("i:{address}")
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;

    fn keys(account: &str, address: &str) -> [String; 2] {
        [pair_key(account, address), address_key(address)]
    }

    fn wait_of(r: Result<i64, Denied>) -> u64 {
        match r {
            Err(Denied::Wait(s)) => s,
            other => panic!("expected a wait, got {:?}", other.map_err(|e| format!("{e:?}"))),
        }
    }

    crate::db_test! {
        async fn an_account_from_one_address_waits_after_too_many_failures_others_do_not(pool) {
            crate::db::migrate(&pool).await.unwrap();
            let t0 = now_ms();
            for _ in 0..MAX_FAILURES_PER_ACCOUNT {
                reserve_at(&pool, &keys("A@x.org", "1.1.1.1"), t0).await.unwrap();
            }
            let wait = wait_of(reserve_at(&pool, &keys("a@x.org", "1.1.1.1"), t0).await);
            assert!(wait > 0 && wait <= WINDOW.as_secs(), "{wait}");
            // The real owner, from their own address, is not locked out by the attacker.
            reserve_at(&pool, &keys("a@x.org", "2.2.2.2"), t0).await.unwrap();
            let later = t0 + WINDOW.as_millis() as i64;
            reserve_at(&pool, &keys("a@x.org", "1.1.1.1"), later).await.expect("the window moves on");
        }
    }

    crate::db_test! {
        async fn an_address_waits_across_accounts(pool) {
            crate::db::migrate(&pool).await.unwrap();
            let t0 = now_ms();
            for i in 0..MAX_FAILURES_PER_ADDRESS {
                reserve_at(&pool, &keys(&format!("user{i}@x.org"), "9.9.9.9"), t0).await.unwrap();
            }
            wait_of(reserve_at(&pool, &keys("fresh@x.org", "9.9.9.9"), t0).await);
            reserve_at(&pool, &keys("fresh@x.org", "8.8.8.8"), t0).await.unwrap();
        }
    }

    crate::db_test! {
        async fn parallel_attempts_through_two_pools_cannot_pass_the_limit_and_success_is_forgotten(pool) {
            crate::db::migrate(&pool).await.unwrap();
            // A second pool on the same database stands for a second server process.
            let other = crate::db::connect(pool.connect_options().database_url.as_ref()).await.unwrap();
            let limiters = [Arc::new(LoginLimiter::default()), Arc::new(LoginLimiter::default())];
            let mut handles = Vec::new();
            for i in 0..200 {
                let (limiter, pool) = (limiters[i % 2].clone(), if i % 2 == 0 { pool.clone() } else { other.clone() });
                handles.push(tokio::spawn(async move {
                    match limiter.reserve(&pool, "a@x.org", "1.1.1.1").await {
                        Ok(r) => {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                            drop(r);
                            Ok(true)
                        }
                        Err(Denied::Wait(_)) => Ok(false),
                        Err(Denied::Store(e)) => Err(e.to_string()),
                    }
                }));
            }
            let mut passed = 0;
            for h in handles {
                passed += usize::from(h.await.unwrap().unwrap());
            }
            assert_eq!(passed, MAX_FAILURES_PER_ACCOUNT, "only the limit's worth of 200 parallel attempts get through");
            // A success forgets the pair's failures.
            let l = &limiters[0];
            for _ in 0..MAX_FAILURES_PER_ACCOUNT - 1 {
                drop(l.reserve(&pool, "b@x.org", "3.3.3.3").await.unwrap());
            }
            l.reserve(&other, "b@x.org", "3.3.3.3").await.unwrap().succeeded().await.unwrap();
            for _ in 0..MAX_FAILURES_PER_ACCOUNT {
                drop(l.reserve(&pool, "b@x.org", "3.3.3.3").await.unwrap());
            }
            other.close().await;
        }
    }

    crate::db_test! {
        async fn requests_are_counted_per_minute_and_the_window_moves_on(pool) {
            crate::db::migrate(&pool).await.unwrap();
            let t0 = now_ms();
            for _ in 0..5 {
                assert_eq!(count_request_at(&pool, "i:1.1.1.1", 5, t0).await.unwrap(), None);
            }
            let wait = count_request_at(&pool, "i:1.1.1.1", 5, t0 + 1500).await.unwrap().unwrap();
            assert!((58..=59).contains(&wait), "{wait}");
            assert_eq!(count_request_at(&pool, "i:2.2.2.2", 5, t0).await.unwrap(), None, "another address has its own budget");
            let next_minute = t0 + REQUEST_WINDOW.as_millis() as i64;
            assert_eq!(count_request_at(&pool, "i:1.1.1.1", 5, next_minute).await.unwrap(), None);
            // The ended window of the other address was forgotten when this one began.
            let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM request_windows").fetch_one(&pool).await.unwrap();
            assert_eq!(left, 1);
        }
    }
}
