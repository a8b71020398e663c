//! Login rate limiting: failed attempts are counted per account and per client address
//! in a sliding window; too many and further attempts are refused until the window moves.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

/// Failed attempts allowed per account within [`WINDOW`].
pub const MAX_FAILURES_PER_ACCOUNT: usize = 10;
/// Failed attempts allowed per client address within [`WINDOW`].
pub const MAX_FAILURES_PER_ADDRESS: usize = 30;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys remembered at most; the oldest are dropped beyond this so memory stays bounded.
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// `Err(seconds)` when the account or the address must wait.
    pub fn check(&self, account: &str, address: &str) -> Result<(), u64> {
        self.check_at(account, address, Instant::now())
    }

    fn check_at(&self, account: &str, address: &str, now: Instant) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = 0u64;
        for (key, max) in [(account_key(account), MAX_FAILURES_PER_ACCOUNT), (address_key(address), MAX_FAILURES_PER_ADDRESS)] {
            if let Some(q) = map.get_mut(&key) {
                while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    q.pop_front();
                }
                if q.len() >= max {
                    let oldest = q[q.len() - max];
                    let left = WINDOW.saturating_sub(now.duration_since(oldest)).as_secs().max(1);
                    wait = wait.max(left);
                }
            }
        }
        if wait > 0 {
            Err(wait)
        } else {
            Ok(())
        }
    }

    pub fn record_failure(&self, account: &str, address: &str) {
        self.record_failure_at(account, address, Instant::now());
    }

    fn record_failure_at(&self, account: &str, address: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        for key in [account_key(account), address_key(address)] {
            let q = map.entry(key).or_default();
            q.push_back(now);
            if q.len() > MAX_FAILURES_PER_ADDRESS {
                q.pop_front();
            }
        }
    }

    /// A successful login forgets the account's failures (not the address's).
    pub fn record_success(&self, account: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&account_key(account));
    }
}

fn account_key(account: &str) -> String {
    format!("a:{}", account.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("i:{address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_is_locked_after_too_many_failures_and_unlocks_later() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES_PER_ACCOUNT {
            assert!(l.check_at("a@x.org", "1.1.1.1", t0).is_ok());
            l.record_failure_at("A@x.org", "1.1.1.1", t0);
        }
        let wait = l.check_at("a@x.org", "2.2.2.2", t0).unwrap_err();
        assert!(wait > 0 && wait <= WINDOW.as_secs());
        // Another account from another address is unaffected.
        assert!(l.check_at("b@x.org", "2.2.2.2", t0).is_ok());
        assert!(l.check_at("a@x.org", "2.2.2.2", t0 + WINDOW).is_ok());
    }

    #[test]
    fn address_is_locked_across_accounts() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            l.record_failure_at(&format!("user{i}@x.org"), "9.9.9.9", t0);
        }
        assert!(l.check_at("fresh@x.org", "9.9.9.9", t0).is_err());
        assert!(l.check_at("fresh@x.org", "8.8.8.8", t0).is_ok());
    }

    #[test]
    fn success_clears_account_failures() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES_PER_ACCOUNT {
            l.record_failure_at("a@x.org", &format!("{}", t0.elapsed().as_nanos()), t0);
        }
        l.record_success("a@x.org");
        assert!(l.check_at("a@x.org", "3.3.3.3", t0).is_ok());
    }
}
