//! The browser's network guard: every request a local Chromium makes — the page, its frames,
//! images, scripts, `fetch`, websockets, after redirects and JavaScript navigations — goes
//! through this forward proxy on 127.0.0.1 (`--proxy-server`, with loopback not bypassed), which
//! applies the crawler's address policy ([`preflight_engine::fetch::lookup_guarded`]): it
//! resolves the name itself, refuses cloud metadata addresses (unless allowed) and reserved names
//! without an override, and connects to exactly the address it checked, so DNS cannot rebind
//! between the check and the connection. Refusals are recorded and become findings.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::Duration,
};

use preflight_engine::ResolveOverride;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

/// What the guard allows.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub allow_metadata: bool,
    /// `--resolve` overrides: `host:port` connects to this address (checked like any other).
    pub resolve: Vec<ResolveOverride>,
    /// Addresses refused as if they were metadata addresses (the policy's test hook).
    pub also_refused: Vec<IpAddr>,
}

/// A request the guard refused: `host:port` and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub authority: String,
    pub reason: String,
}

/// A running guard; it stops when dropped.
pub struct Guard {
    pub addr: SocketAddr,
    refused: Arc<Mutex<Vec<Refusal>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Longest request or response head read (larger heads are refused).
const MAX_HEAD: usize = 64 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

impl Guard {
    /// Starts the guard on its own thread.
    pub fn start(policy: Policy) -> std::io::Result<Guard> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let refused: Arc<Mutex<Vec<Refusal>>> = Arc::default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let log = refused.clone();
        let policy = Arc::new(policy);
        std::thread::Builder::new().name("browser-guard".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return tracing::error!("the browser guard cannot start: {e}"),
            };
            rt.block_on(async move {
                let Ok(listener) = TcpListener::from_std(listener) else { return };
                let serve = async {
                    loop {
                        let Ok((conn, _)) = listener.accept().await else { continue };
                        let (policy, log) = (policy.clone(), log.clone());
                        tokio::spawn(async move {
                            let _ = handle(conn, &policy, &log).await;
                        });
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = stopped => {}
                }
            });
        })?;
        Ok(Guard { addr, refused, stop: Some(stop) })
    }

    /// The Chromium switches that send everything through the guard.
    pub fn chromium_args(&self) -> Vec<String> {
        vec![format!("--proxy-server=http://{}", self.addr), "--proxy-bypass-list=<-loopback>".into()]
    }

    /// The refusals so far.
    pub fn refused(&self) -> Vec<Refusal> {
        self.refused.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Why requests to this URL's `host:port` were refused, if they were.
    pub fn refusal_for(&self, url: &str) -> Option<String> {
        let u = url::Url::parse(url).ok()?;
        let authority = format!("{}:{}", u.host_str()?, u.port_or_known_default()?);
        self.refused().into_iter().find(|r| r.authority.eq_ignore_ascii_case(&authority)).map(|r| r.reason)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Where `host:port` may be reached, under the policy.
async fn resolve(host: &str, port: u16, policy: &Policy) -> Result<Vec<SocketAddr>, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    if let Some(o) = policy.resolve.iter().find(|o| o.host == bare && o.port == port) {
        if let Some(why) = preflight_engine::fetch::refused_address(o.addr, policy.allow_metadata, &policy.also_refused) {
            return Err(why);
        }
        return Ok(vec![SocketAddr::new(o.addr, port)]);
    }
    preflight_engine::fetch::lookup_guarded(&bare, port, policy.allow_metadata, &policy.also_refused).await
}

async fn connect(addrs: &[SocketAddr]) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::other("no address");
    for a in addrs {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(a)).await {
            Ok(Ok(s)) => return Ok(s),
            Ok(Err(e)) => last = e,
            Err(_) => last = std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"),
        }
    }
    Err(last)
}

/// Reads an HTTP head (through the blank line).
async fn read_head<R: tokio::io::AsyncBufRead + Unpin>(r: &mut R) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    loop {
        let n = r.read_until(b'\n', &mut head).await?;
        if n == 0 || head.len() > MAX_HEAD {
            return Err(std::io::Error::other("no complete head"));
        }
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            return Ok(head);
        }
    }
}

/// The head's lines with the hop-by-hop connection headers replaced by `Connection: close`
/// (each request gets its own upstream connection, so a reused proxy connection can never
/// carry a request to another host). Upgrades (websockets) keep theirs.
fn rewrite_head(first_line: &str, lines: &[&str]) -> Vec<u8> {
    let upgrade = lines.iter().any(|l| l.to_ascii_lowercase().starts_with("upgrade:"));
    let mut out = format!("{first_line}\r\n");
    for l in lines {
        let lower = l.to_ascii_lowercase();
        if lower.starts_with("proxy-connection:") || lower.starts_with("proxy-authorization:") || lower.starts_with("keep-alive:") {
            continue;
        }
        if !upgrade && lower.starts_with("connection:") {
            continue;
        }
        out.push_str(l);
        out.push_str("\r\n");
    }
    if !upgrade {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn refuse(log: &Mutex<Vec<Refusal>>, authority: String, reason: String) -> Vec<u8> {
    tracing::info!(%authority, %reason, "the browser guard refused a request");
    if let Ok(mut l) = log.lock() {
        if l.len() < 1000 {
            l.push(Refusal { authority, reason: reason.clone() });
        }
    }
    let body = format!("Refused by Preflight: {reason}\n");
    format!("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
        .into_bytes()
}

/// A connection to `host:port` under the policy, or the answer to give the browser instead
/// (403 for a refusal, which is recorded; 502 when nothing answers).
async fn upstream(host: &str, port: u16, policy: &Policy, log: &Mutex<Vec<Refusal>>) -> Result<TcpStream, Vec<u8>> {
    let addrs = resolve(host, port, policy).await.map_err(|why| refuse(log, format!("{host}:{port}"), why))?;
    connect(&addrs).await.map_err(|_| b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n".to_vec())
}

async fn handle(conn: TcpStream, policy: &Policy, log: &Mutex<Vec<Refusal>>) -> std::io::Result<()> {
    let mut client = BufReader::new(conn);
    let head = tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut client)).await.map_err(|_| std::io::Error::other("head timeout"))??;
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let request_line = lines.next().unwrap_or_default().to_string();
    let headers: Vec<&str> = lines.collect();
    let mut parts = request_line.split_whitespace();
    let (method, target, version) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default(), parts.next().unwrap_or("HTTP/1.1"));

    if method.eq_ignore_ascii_case("CONNECT") {
        // https and wss: a tunnel to host:port.
        let (host, port) = match target.rsplit_once(':').and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?))) {
            Some(hp) => hp,
            None => return client.get_mut().write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n").await,
        };
        let mut upstream = match upstream(host, port, policy, log).await {
            Ok(s) => s,
            Err(answer) => return client.get_mut().write_all(&answer).await,
        };
        client.get_mut().write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await?;
        let buffered = client.buffer().to_vec();
        upstream.write_all(&buffered).await?;
        let mut client = client.into_inner();
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        return Ok(());
    }

    // Plain http (and ws): an absolute URL to forward.
    let Ok(url) = url::Url::parse(target) else {
        return client.get_mut().write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n").await;
    };
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return client.get_mut().write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n").await;
    };
    if !matches!(url.scheme(), "http" | "ws") {
        return client.get_mut().write_all(&refuse(log, format!("{host}:{port}"), format!("{} URLs are not fetched", url.scheme()))).await;
    }
    let mut upstream = match upstream(host, port, policy, log).await {
        Ok(s) => s,
        Err(answer) => return client.get_mut().write_all(&answer).await,
    };
    let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
    upstream.write_all(&rewrite_head(&format!("{method} {path} {version}"), &headers)).await?;
    let buffered = client.buffer().to_vec();
    upstream.write_all(&buffered).await?;
    let mut client = client.into_inner();
    let (mut client_read, mut client_write) = client.split();
    let (upstream_read, mut upstream_write) = upstream.split();
    // Request body → upstream, while the response comes back with `Connection: close` so the
    // browser does not reuse this connection for another host.
    let to_upstream = async {
        let _ = tokio::io::copy(&mut client_read, &mut upstream_write).await;
        let _ = upstream_write.shutdown().await;
    };
    let to_client = async {
        let mut upstream_read = BufReader::new(upstream_read);
        if let Ok(head) = read_head(&mut upstream_read).await {
            let text = String::from_utf8_lossy(&head).into_owned();
            let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
            let status = lines.next().unwrap_or_default().to_string();
            let headers: Vec<&str> = lines.collect();
            let switching = status.split_whitespace().nth(1) == Some("101");
            let head = if switching { head.clone() } else { rewrite_head(&status, &headers) };
            if client_write.write_all(&head).await.is_ok() {
                let rest = upstream_read.buffer().to_vec();
                let _ = client_write.write_all(&rest).await;
                let mut inner = upstream_read.into_inner();
                let _ = tokio::io::copy(&mut inner, &mut client_write).await;
            }
        }
        let _ = client_write.shutdown().await;
    };
    // (A connection is never held longer than ten minutes.)
    let _ = tokio::time::timeout(Duration::from_secs(600), async { tokio::join!(to_upstream, to_client) }).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_lose_keep_alive_but_upgrades_keep_theirs() {
        let head =
            String::from_utf8(rewrite_head("GET /x HTTP/1.1", &["Host: a.test", "Proxy-Connection: keep-alive", "Connection: keep-alive", "Accept: */*"]))
                .unwrap();
        assert_eq!(head, "GET /x HTTP/1.1\r\nHost: a.test\r\nAccept: */*\r\nConnection: close\r\n\r\n");
        let ws = String::from_utf8(rewrite_head("GET /ws HTTP/1.1", &["Host: a.test", "Connection: Upgrade", "Upgrade: websocket"])).unwrap();
        assert!(ws.contains("Connection: Upgrade") && !ws.contains("close"), "{ws}");
    }

    #[tokio::test]
    async fn the_policy_refuses_metadata_and_the_test_hook() {
        let p = Policy { also_refused: vec!["127.0.0.2".parse().unwrap()], ..Default::default() };
        assert!(resolve("169.254.169.254", 80, &p).await.is_err());
        assert!(resolve("[fd00:ec2::254]", 80, &p).await.is_err());
        assert!(resolve("metadata.google.internal", 80, &p).await.is_err());
        assert!(resolve("127.0.0.2", 8080, &p).await.is_err());
        assert_eq!(resolve("127.0.0.1", 8080, &p).await.unwrap(), vec!["127.0.0.1:8080".parse().unwrap()]);
        // An override is checked like any other address.
        let o = Policy { resolve: vec!["shop.test:443:169.254.169.254".parse().unwrap()], ..Default::default() };
        assert!(resolve("shop.test", 443, &o).await.is_err());
        let ok = Policy { resolve: vec!["shop.test:443:127.0.0.1".parse().unwrap()], ..Default::default() };
        assert_eq!(resolve("shop.test", 443, &ok).await.unwrap(), vec!["127.0.0.1:443".parse().unwrap()]);
    }
}
