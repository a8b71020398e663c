//! Login rate limiting. An attempt *reserves* its place before the password is hashed (so 200
//! parallel guesses cannot all slip past a check that only counts finished ones), per
//! account × client address and per client address, in a sliding window. A correct password
//! from a client that has not failed is never blocked by other clients' failures, and a global
//! cap on concurrent password hashes keeps a flood from eating the CPU.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// Attempts allowed per account from one client address within [`WINDOW`].
pub const MAX_FAILURES_PER_ACCOUNT: usize = 10;
/// Attempts allowed per client address (any accounts) within [`WINDOW`].
pub const MAX_FAILURES_PER_ADDRESS: usize = 30;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Password hashes computed at once (argon2id takes tens of milliseconds of CPU each).
pub const MAX_CONCURRENT_HASHES: usize = 4;
/// Keys remembered at most; the oldest are dropped beyond this so memory stays bounded.
const MAX_KEYS: usize = 100_000;

pub struct LoginLimiter {
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
    hashing: Arc<tokio::sync::Semaphore>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter { attempts: Mutex::default(), hashing: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_HASHES)) }
    }
}

/// A reserved attempt: counts as a failure unless [`Reservation::succeeded`] is called.
pub struct Reservation<'a> {
    limiter: &'a LoginLimiter,
    keys: [String; 2],
    at: Instant,
    _hash: tokio::sync::OwnedSemaphorePermit,
}

impl Reservation<'_> {
    /// The password was right: this attempt and the pair's earlier failures are forgotten
    /// (the address's failures with other accounts are not).
    pub fn succeeded(self) {
        let mut map = self.limiter.attempts.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&self.keys[0]);
        if let Some(q) = map.get_mut(&self.keys[1]) {
            if let Some(i) = q.iter().rposition(|t| *t == self.at) {
                q.remove(i);
            }
        }
    }
}

impl LoginLimiter {
    /// Reserves an attempt, waiting for a free hashing slot; `Err(seconds)` when this account
    /// from this address, or this address, must wait.
    pub async fn reserve(&self, account: &str, address: &str) -> Result<Reservation<'_>, u64> {
        let reserved = self.reserve_at(account, address, Instant::now())?;
        let permit = self.hashing.clone().acquire_owned().await.map_err(|_| 1u64)?;
        Ok(Reservation { limiter: self, keys: reserved.0, at: reserved.1, _hash: permit })
    }

    fn reserve_at(&self, account: &str, address: &str, now: Instant) -> Result<([String; 2], Instant), u64> {
        let keys = [pair_key(account, address), address_key(address)];
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = 0u64;
        for (key, max) in keys.iter().zip([MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS]) {
            if let Some(q) = map.get_mut(key) {
                while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    q.pop_front();
                }
                if q.len() >= max {
                    let oldest = q[q.len() - max];
                    wait = wait.max(WINDOW.saturating_sub(now.duration_since(oldest)).as_secs().max(1));
                }
            }
        }
        if wait > 0 {
            return Err(wait);
        }
        if map.len() >= MAX_KEYS {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        for key in &keys {
            let q = map.entry(key.clone()).or_default();
            q.push_back(now);
            if q.len() > MAX_FAILURES_PER_ADDRESS {
                q.pop_front();
            }
        }
        Ok((keys, now))
    }
}

fn pair_key(account: &str, address: &str) -> String {
    format!("a:{}|{address}", account.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("i:{address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_from_one_address_waits_after_too_many_failures_others_do_not() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES_PER_ACCOUNT {
            assert!(l.reserve_at("A@x.org", "1.1.1.1", t0).is_ok());
        }
        let wait = l.reserve_at("a@x.org", "1.1.1.1", t0).unwrap_err();
        assert!(wait > 0 && wait <= WINDOW.as_secs());
        // The real owner, from their own address, is not locked out by the attacker.
        assert!(l.reserve_at("a@x.org", "2.2.2.2", t0).is_ok());
        assert!(l.reserve_at("a@x.org", "1.1.1.1", t0 + WINDOW).is_ok(), "the window moves on");
    }

    #[test]
    fn an_address_waits_across_accounts() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            assert!(l.reserve_at(&format!("user{i}@x.org"), "9.9.9.9", t0).is_ok());
        }
        assert!(l.reserve_at("fresh@x.org", "9.9.9.9", t0).is_err());
        assert!(l.reserve_at("fresh@x.org", "8.8.8.8", t0).is_ok());
    }

    #[tokio::test]
    async fn parallel_attempts_cannot_pass_the_limit_and_success_is_forgotten() {
        let l = Arc::new(LoginLimiter::default());
        // 200 attempts at once: only the limit's worth get a reservation.
        let results: Vec<bool> = futures_like_join(&l, 200).await;
        assert_eq!(results.iter().filter(|ok| **ok).count(), MAX_FAILURES_PER_ACCOUNT);
        // A success forgets the pair's failures.
        let l = LoginLimiter::default();
        for _ in 0..MAX_FAILURES_PER_ACCOUNT - 1 {
            drop(l.reserve("a@x.org", "3.3.3.3").await.unwrap());
        }
        l.reserve("a@x.org", "3.3.3.3").await.unwrap().succeeded();
        assert!(l.reserve("a@x.org", "3.3.3.3").await.is_ok());
    }

    async fn futures_like_join(l: &Arc<LoginLimiter>, n: usize) -> Vec<bool> {
        let mut handles = Vec::new();
        for _ in 0..n {
            let l = l.clone();
            handles.push(tokio::spawn(async move {
                match l.reserve("a@x.org", "1.1.1.1").await {
                    Ok(r) => {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        drop(r);
                        true
                    }
                    Err(_) => false,
                }
            }));
        }
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }
}
