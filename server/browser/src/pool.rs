//! A pool of browsers running elsewhere (`--browser-ws` given more than once). Each browser
//! session of a run takes the endpoint with the fewest sessions on it; an endpoint that does
//! not answer is skipped and tried again after [`RETRY_DEAD_AFTER`]; when a browser dies
//! under a run, the run reconnects to another endpoint and the pages it was on are checked
//! there (see `session.rs`).

use std::{
    collections::HashMap,
    net::{TcpStream, ToSocketAddrs},
    sync::{LazyLock, Mutex},
    time::{Duration, Instant},
};

/// How long an endpoint that did not answer is left alone (unless no other answers either).
pub const RETRY_DEAD_AFTER: Duration = Duration::from_secs(30);
/// How long reaching an endpoint's address may take before it counts as not answering.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Default, Clone, Copy)]
struct Health {
    /// Browser sessions on this endpoint now (in this process).
    active: usize,
    /// Not answering: left alone until then.
    dead_until: Option<Instant>,
}

/// Every endpoint this process has used, by websocket URL: runs share what they learn.
static HEALTH: LazyLock<Mutex<HashMap<String, Health>>> = LazyLock::new(Default::default);

fn health() -> std::sync::MutexGuard<'static, HashMap<String, Health>> {
    HEALTH.lock().unwrap_or_else(|e| e.into_inner())
}

/// A session's hold on an endpoint: counted until dropped.
#[derive(Debug)]
pub struct Lease {
    pub ws_url: String,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(h) = health().get_mut(&self.ws_url) {
            h.active = h.active.saturating_sub(1);
        }
    }
}

/// The order to try `urls` in now: answering endpoints with the fewest sessions first (ties in
/// the given order), then those that did not answer lately, the soonest due first.
pub fn candidates(urls: &[String]) -> Vec<String> {
    candidates_at(urls, Instant::now())
}

fn candidates_at(urls: &[String], now: Instant) -> Vec<String> {
    let map = health();
    let mut live: Vec<(usize, usize, &String)> = Vec::new();
    let mut dead: Vec<(Instant, usize, &String)> = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let h = map.get(url).copied().unwrap_or_default();
        match h.dead_until {
            Some(until) if until > now => dead.push((until, i, url)),
            _ => live.push((h.active, i, url)),
        }
    }
    live.sort();
    dead.sort();
    live.into_iter().map(|(_, _, u)| u.clone()).chain(dead.into_iter().map(|(_, _, u)| u.clone())).collect()
}

/// Counts a session on `url` (it answered).
pub fn lease(url: &str) -> Lease {
    let mut map = health();
    let h = map.entry(url.to_string()).or_default();
    h.active += 1;
    h.dead_until = None;
    Lease { ws_url: url.to_string() }
}

/// `url` did not answer: left alone for [`RETRY_DEAD_AFTER`].
pub fn mark_dead(url: &str) {
    health().entry(url.to_string()).or_default().dead_until = Some(Instant::now() + RETRY_DEAD_AFTER);
}

/// Whether `ws_url`'s host and port take a TCP connection within [`CONNECT_TIMEOUT`] (an
/// unreachable machine would otherwise hold the run for the system's TCP timeout).
pub fn reachable(ws_url: &str) -> Result<(), String> {
    let url = url::Url::parse(ws_url).map_err(|e| format!("{ws_url} is not a URL: {e}"))?;
    let host = url.host_str().ok_or_else(|| format!("{ws_url} names no host"))?;
    let port = url.port_or_known_default().unwrap_or(9222);
    let addrs: Vec<_> = (host.trim_matches(['[', ']']), port).to_socket_addrs().map_err(|e| format!("{host}: {e}"))?.collect();
    let mut last = format!("{host} has no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| format!("ws://{n}.pool-test:9222/devtools/browser/x")).collect()
    }

    #[test]
    fn sessions_spread_over_endpoints_and_dead_ones_go_last_until_due() {
        let u = urls(&["a", "b", "c"]);
        assert_eq!(candidates(&u), u, "nothing known yet: the given order");
        let a = lease(&u[0]);
        assert_eq!(candidates(&u)[0], u[1], "the endpoint with fewest sessions first");
        let b = lease(&u[1]);
        assert_eq!(candidates(&u)[0], u[2]);
        mark_dead(&u[2]);
        assert_eq!(candidates(&u), vec![u[0].clone(), u[1].clone(), u[2].clone()], "a dead one is tried last");
        assert_eq!(candidates_at(&u, Instant::now() + RETRY_DEAD_AFTER + Duration::from_secs(1))[0], u[2], "and again once due");
        drop(a);
        assert_eq!(candidates(&u)[0], u[0], "a finished session frees its endpoint");
        drop(lease(&u[2]));
        assert_eq!(candidates(&u)[0], u[0]);
        assert_eq!(candidates(&u)[1], u[2], "an endpoint that answered again is live");
        drop(b);
    }

    #[test]
    fn reachability_is_asked_of_the_address_with_a_short_timeout() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(reachable(&format!("ws://127.0.0.1:{port}/devtools/browser/x")).is_ok());
        drop(listener);
        let e = reachable(&format!("ws://127.0.0.1:{port}/devtools/browser/x")).unwrap_err();
        assert!(e.contains("127.0.0.1"), "{e}");
        assert!(reachable("not a url").is_err());
    }
}
