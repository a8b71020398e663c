//! HTTP fetching with every limit enforced: per-request timeout (connect, headers and
//! body together), body-size cap, redirect hops followed one by one (so chains and loops
//! are visible), host overrides like curl's `--resolve`, and a guard that refuses cloud
//! metadata addresses.

use std::{
    collections::HashSet,
    io::Write,
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

use reqwest::{
    dns::{Addrs, Name, Resolve, Resolving},
    header::{HeaderMap, ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, LOCATION},
    redirect::Policy,
    Method,
};
use url::Url;

use crate::{config::CheckConfig, EngineError};

/// One redirect hop.
#[derive(Debug, Clone)]
pub struct Hop {
    pub url: Url,
    pub status: u16,
    pub location: String,
}

/// A response with its (decoded, possibly truncated) body.
#[derive(Debug, Clone)]
pub struct Response {
    pub url: Url,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The body was longer than the cap and was cut.
    pub truncated: bool,
    /// `Content-Encoding` as sent (before we decoded it).
    pub content_encoding: Option<String>,
    /// Size of the body on the wire (as far as read).
    pub wire_bytes: usize,
    pub elapsed: Duration,
    /// What the checks need from the whole body, read before the crawler trimmed it
    /// (`None`: the body is whole; the checks read it themselves).
    pub scan: Option<Box<crate::checks::BodyScan>>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> String {
        self.header("content-type").unwrap_or("").to_ascii_lowercase()
    }

    pub fn is_html(&self) -> bool {
        let ct = self.content_type();
        is_html_type(&ct) || (ct.is_empty() && self.body.starts_with(b"<"))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn status_line(&self) -> String {
        format!("HTTP {} {}", self.status, reqwest::StatusCode::from_u16(self.status).ok().and_then(|s| s.canonical_reason()).unwrap_or(""))
    }
}

/// Why a URL could not be fetched.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("no complete answer within {0:?}")]
    Timeout(Duration),
    #[error("redirect loop: {0}")]
    RedirectLoop(String),
    #[error("more than {limit} redirects: {chain}")]
    TooManyRedirects { limit: usize, chain: String },
    #[error("refused: {0}")]
    Refused(String),
    #[error("{0}")]
    Connect(String),
}

/// A fetch: the hops followed and the final outcome.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub requested: Url,
    pub hops: Vec<Hop>,
    pub outcome: Result<Response, FetchError>,
}

impl Fetched {
    pub fn response(&self) -> Option<&Response> {
        self.outcome.as_ref().ok()
    }

    pub fn chain(&self) -> String {
        let mut parts: Vec<String> = self.hops.iter().map(|h| format!("{} ({})", h.url, h.status)).collect();
        if let Ok(r) = &self.outcome {
            parts.push(format!("{} ({})", r.url, r.status));
        }
        parts.join(" → ")
    }
}

/// The made-up site a cross-site probe claims to come from.
pub const CROSS_SITE_ORIGIN: &str = "https://preflight-csrf-check.invalid";

/// Cloud metadata endpoints: link-local 169.254/16 (AWS, GCP, Azure, OpenStack),
/// Alibaba's 100.100.100.200, AWS's IPv6 fd00:ec2::254 and IPv6 link-local.
pub fn is_metadata_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local() || v4.octets() == [100, 100, 100, 200],
        IpAddr::V6(v6) => {
            let s = v6.segments();
            (s[0] & 0xffc0) == 0xfe80
                || v6 == "fd00:ec2::254".parse::<std::net::Ipv6Addr>().expect("valid")
                || v6.to_ipv4_mapped().is_some_and(|m| is_metadata_address(IpAddr::V4(m)))
        }
    }
}

/// Names under top-level domains reserved for testing and documentation (RFC 2606/6761),
/// which are never sent to the system resolver.
pub fn is_reserved_name(host: &str) -> bool {
    let tld = host.trim_end_matches('.').rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    matches!(tld.as_str(), "test" | "example" | "invalid" | "localhost" | "local")
}

/// Cloud metadata services' host names.
pub fn is_metadata_host(host: &str) -> bool {
    matches!(host.trim_end_matches('.').to_ascii_lowercase().as_str(), "metadata.google.internal" | "metadata" | "instance-data" | "instance-data.ec2.internal")
}

/// Why a host name (not an IP literal) may not be looked up or contacted, if it may not.
pub fn refused_name(host: &str, allow_metadata: bool) -> Option<String> {
    if !allow_metadata && is_metadata_host(host) {
        return Some(format!("{host} is a cloud metadata address; pass --allow-metadata if you really mean it"));
    }
    is_reserved_name(host).then(|| format!("{host} is a reserved name that public DNS never resolves; map it with --resolve"))
}

/// Why an address may not be contacted, if it may not: cloud metadata addresses unless
/// allowed, and any address in `also` (a test hook: "refuse this one as if it were one").
pub fn refused_address(ip: IpAddr, allow_metadata: bool, also: &[IpAddr]) -> Option<String> {
    if also.contains(&ip) || (!allow_metadata && is_metadata_address(ip)) {
        return Some(format!("{ip} is a cloud metadata address; pass --allow-metadata if you really mean it"));
    }
    None
}

/// The crawler's address policy, for anything that connects on its behalf (the browser's
/// guard too): system DNS, refused when a name is reserved or resolves to a refused address.
/// The caller connects to exactly the addresses returned (no second lookup to rebind).
pub async fn lookup_guarded(host: &str, port: u16, allow_metadata: bool, also: &[IpAddr]) -> Result<Vec<SocketAddr>, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return match refused_address(ip, allow_metadata, also) {
            Some(why) => Err(why),
            None => Ok(vec![SocketAddr::new(ip, port)]),
        };
    }
    if let Some(why) = refused_name(bare, allow_metadata) {
        return Err(why);
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare, port)).await.map_err(|e| format!("{bare} does not resolve: {e}"))?.collect();
    if let Some(why) = addrs.iter().find_map(|a| refused_address(a.ip(), allow_metadata, also)) {
        return Err(format!("{bare} resolves to a refused address: {why}"));
    }
    Ok(addrs)
}

/// The crawler's DNS guard for another client (webhook deliveries): system DNS, refusing
/// reserved names and names that resolve to cloud metadata addresses.
pub fn guarded_resolver() -> Arc<impl Resolve + 'static> {
    Arc::new(GuardedResolver { allow_metadata: false })
}

/// System DNS, refusing names that resolve to metadata addresses.
struct GuardedResolver {
    allow_metadata: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow_metadata;
        Box::pin(async move {
            let addrs = lookup_guarded(name.as_str(), 0, allow, &[]).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The engine's HTTP client.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
    max_body: usize,
    max_redirects: usize,
    allow_metadata: bool,
    /// The protected site's credentials and the site they belong to.
    credentials: Option<(crate::Credentials, Url)>,
    /// Bytes kept of a successful non-HTML answer (the rest is counted, not kept); `None`: all.
    keep_head: Option<usize>,
}

impl Fetcher {
    pub fn new(config: &CheckConfig) -> Result<Fetcher, EngineError> {
        let mut b = reqwest::Client::builder()
            .redirect(Policy::none())
            .user_agent(crate::config::USER_AGENT)
            .connect_timeout(config.limits.request_timeout)
            .pool_max_idle_per_host(config.limits.concurrency.max(1))
            .dns_resolver(Arc::new(GuardedResolver { allow_metadata: config.allow_metadata }));
        for r in &config.resolve {
            if !config.allow_metadata && is_metadata_address(r.addr) {
                return Err(EngineError::BadTarget(format!("--resolve {}: {} is a cloud metadata address", r.host, r.addr)));
            }
            b = b.resolve(&r.host, SocketAddr::new(r.addr, 0));
        }
        for pem in &config.extra_ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| EngineError::Setup(format!("CA certificate: {e}")))?;
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        let client = b.build().map_err(|e| EngineError::Setup(format!("HTTP client: {e}")))?;
        Ok(Fetcher {
            client,
            timeout: config.limits.request_timeout,
            max_body: config.limits.max_body_bytes,
            max_redirects: config.limits.max_redirects,
            allow_metadata: config.allow_metadata,
            credentials: config.credentials.clone().map(|c| (c, config.start_url.clone())),
            keep_head: None,
        })
    }

    /// The same client without the protected site's credentials (an anonymous visitor).
    pub fn without_credentials(&self) -> Fetcher {
        Fetcher { credentials: None, ..self.clone() }
    }

    /// The same client keeping only the first `bytes` of a successful answer that is not HTML
    /// (an image or stylesheet nobody reads): its size is still measured.
    pub fn keeping_head(&self, bytes: usize) -> Fetcher {
        Fetcher { keep_head: Some(bytes), ..self.clone() }
    }

    /// GET `url`, following redirects up to the hop limit.
    pub async fn get(&self, url: &Url) -> Fetched {
        self.fetch(Method::GET, url, true).await
    }

    /// GET `url` without following redirects (to inspect the first hop).
    pub async fn get_no_follow(&self, url: &Url) -> Fetched {
        self.fetch(Method::GET, url, false).await
    }

    /// GET `url` with another `Host` header (not followed): does the server answer for a name
    /// that is not its own? The connection still goes to `url`'s host.
    pub async fn get_with_host(&self, url: &Url, host: &str) -> Fetched {
        let outcome = self.one_with(Method::GET, url, &[("host", host)]).await;
        Fetched { requested: url.clone(), hops: Vec::new(), outcome }
    }

    /// An empty POST to a form's action as another site would send it (`Origin` and
    /// `Sec-Fetch-Site: cross-site`), not followed: does the server check where state-changing
    /// requests come from? Only for sign-in forms, where an empty submission changes nothing.
    pub async fn post_cross_site(&self, url: &Url) -> Fetched {
        let headers = [("origin", CROSS_SITE_ORIGIN), ("sec-fetch-site", "cross-site"), ("content-type", "application/x-www-form-urlencoded")];
        let outcome = self.one_with(Method::POST, url, &headers).await;
        Fetched { requested: url.clone(), hops: Vec::new(), outcome }
    }

    pub async fn fetch(&self, method: Method, url: &Url, follow: bool) -> Fetched {
        let mut hops = Vec::new();
        let mut seen = HashSet::new();
        let mut current = url.clone();
        loop {
            seen.insert(current.as_str().to_string());
            let outcome = self.one(method.clone(), &current).await;
            let resp = match outcome {
                Ok(r) => r,
                Err(e) => return Fetched { requested: url.clone(), hops, outcome: Err(e) },
            };
            let location = resp.header(LOCATION.as_str()).map(str::to_string);
            let is_redirect = matches!(resp.status, 301 | 302 | 303 | 307 | 308);
            let next = match (follow && is_redirect, location) {
                (true, Some(loc)) => current.join(&loc).ok().map(|u| (u, loc)),
                _ => None,
            };
            let Some((next, loc)) = next else {
                return Fetched { requested: url.clone(), hops, outcome: Ok(resp) };
            };
            hops.push(Hop { url: current.clone(), status: resp.status, location: loc });
            let chain = || hops.iter().map(|h| format!("{} ({})", h.url, h.status)).chain([next.to_string()]).collect::<Vec<_>>().join(" → ");
            if seen.contains(next.as_str()) {
                return Fetched { requested: url.clone(), outcome: Err(FetchError::RedirectLoop(chain())), hops };
            }
            if hops.len() >= self.max_redirects {
                return Fetched { requested: url.clone(), outcome: Err(FetchError::TooManyRedirects { limit: self.max_redirects, chain: chain() }), hops };
            }
            if !matches!(next.scheme(), "http" | "https") {
                return Fetched { requested: url.clone(), outcome: Err(FetchError::Refused(format!("redirect to a {} URL", next.scheme()))), hops };
            }
            current = next;
        }
    }

    /// One request, no redirects, all within the timeout.
    async fn one(&self, method: Method, url: &Url) -> Result<Response, FetchError> {
        self.one_with(method, url, &[]).await
    }

    async fn one_with(&self, method: Method, url: &Url, headers: &[(&str, &str)]) -> Result<Response, FetchError> {
        if !self.allow_metadata {
            let host = url.host_str().unwrap_or("");
            let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
            if literal.is_some_and(is_metadata_address) || is_metadata_host(host) {
                return Err(FetchError::Refused(format!("{host} is a cloud metadata address; pass --allow-metadata if you really mean it")));
            }
        }
        let start = Instant::now();
        let work = async {
            let mut req =
                self.client.request(method, url.clone()).header(ACCEPT_ENCODING, "gzip, deflate").header(ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8");
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
            if let Some((creds, site)) = &self.credentials {
                if crate::Credentials::applies_to(site, url) {
                    req = with_credentials(req, creds);
                }
            }
            let resp = req.send().await.map_err(|e| FetchError::Connect(describe(&e)))?;
            let status = resp.status().as_u16();
            let headers = owned(resp.headers());
            let final_url = resp.url().clone();
            let encoding = headers.get(CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(|s| s.trim().to_ascii_lowercase());
            // An answer nobody looks into (an image that loaded) is counted, not kept; an error
            // page or an HTML answer is kept whole for the checks.
            // (Without a content type the body may still be HTML: kept whole.)
            let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
            let keep = match self.keep_head {
                Some(head) if status < 500 && !ct.is_empty() && !is_html_type(&ct) => head,
                _ => self.max_body,
            };
            let expected = resp.content_length().map_or(0, |n| n as usize);
            let sink = BodySink { kept: Vec::with_capacity(expected.min(keep)), keep, cap: self.max_body, seen: 0 };
            let mut body = match encoding.as_deref() {
                Some("gzip") | Some("x-gzip") => Decoder::Gzip(flate2::write::GzDecoder::new(sink)),
                Some("deflate") => Decoder::Zlib(flate2::write::ZlibDecoder::new(sink)),
                _ => Decoder::Identity(sink),
            };
            let mut resp = resp;
            let mut wire_bytes = 0usize;
            let mut truncated = false;
            while let Some(chunk) = resp.chunk().await.map_err(|e| FetchError::Connect(describe(&e)))? {
                let room = self.max_body.saturating_sub(wire_bytes);
                let part = &chunk[..chunk.len().min(room)];
                wire_bytes += part.len();
                // A body that does not decode keeps what decoded so far.
                if body.write(part).is_err() || chunk.len() > room || body.full() {
                    truncated = chunk.len() > room || body.full();
                    break;
                }
            }
            let (body, over) = body.finish();
            Ok::<_, FetchError>((status, headers, final_url, body, truncated || over, encoding, wire_bytes))
        };
        let (status, headers, final_url, body, truncated, encoding, wire_bytes) =
            tokio::time::timeout(self.timeout, work).await.map_err(|_| FetchError::Timeout(self.timeout))??;
        Ok(Response { url: final_url, status, headers, body, truncated, content_encoding: encoding, wire_bytes, elapsed: start.elapsed(), scan: None })
    }
}

/// An HTML content type (lower-cased).
fn is_html_type(ct: &str) -> bool {
    ct.contains("text/html") || ct.contains("application/xhtml")
}

/// A copy of response headers that owns its bytes. The client parses header values as slices
/// of its connection's read buffer, so a plain clone keeps that whole buffer (hundreds of KB
/// after a large body on a kept-alive connection) alive for as long as the page is kept.
fn owned(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if let Ok(mut v) = reqwest::header::HeaderValue::from_bytes(value.as_bytes()) {
            v.set_sensitive(value.is_sensitive());
            out.append(name.clone(), v);
        }
    }
    out
}

/// Where a body goes as it arrives: its first `keep` bytes are kept, the rest only counted, up
/// to `cap` bytes (then the body is truncated).
struct BodySink {
    kept: Vec<u8>,
    keep: usize,
    cap: usize,
    seen: usize,
}

impl Write for BodySink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.keep.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&buf[..buf.len().min(room)]);
        self.seen = self.seen.saturating_add(buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A body being decoded (by its `Content-Encoding`) into a [`BodySink`] as it arrives.
enum Decoder {
    Identity(BodySink),
    Gzip(flate2::write::GzDecoder<BodySink>),
    Zlib(flate2::write::ZlibDecoder<BodySink>),
}

impl Decoder {
    fn sink(&self) -> &BodySink {
        match self {
            Decoder::Identity(s) => s,
            Decoder::Gzip(d) => d.get_ref(),
            Decoder::Zlib(d) => d.get_ref(),
        }
    }

    fn write(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Decoder::Identity(s) => s.write_all(buf),
            Decoder::Gzip(d) => d.write_all(buf),
            Decoder::Zlib(d) => d.write_all(buf),
        }
    }

    /// More than the size limit has been decoded.
    fn full(&self) -> bool {
        self.sink().seen > self.sink().cap
    }

    /// The kept bytes (at most the size limit), and whether the decoded body was over it.
    fn finish(self) -> (Vec<u8>, bool) {
        // Whatever the decoder still holds is flushed; a corrupt tail keeps what decoded.
        let empty = || BodySink { kept: Vec::new(), keep: 0, cap: 0, seen: 0 };
        let mut sink = match self {
            Decoder::Identity(s) => s,
            Decoder::Gzip(mut d) => {
                let _ = d.try_finish();
                std::mem::replace(d.get_mut(), empty())
            }
            Decoder::Zlib(mut d) => {
                let _ = d.try_finish();
                std::mem::replace(d.get_mut(), empty())
            }
        };
        let over = sink.seen > sink.cap;
        sink.kept.truncate(sink.cap);
        (sink.kept, over)
    }
}

/// Adds credentials to a request, marked sensitive (never shown in debug output).
fn with_credentials(req: reqwest::RequestBuilder, creds: &crate::Credentials) -> reqwest::RequestBuilder {
    use base64::Engine as _;
    let (name, value) = match creds {
        crate::Credentials::Basic { username, password } => (
            reqwest::header::AUTHORIZATION.as_str().to_string(),
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))),
        ),
        crate::Credentials::Header { name, value } => (name.clone(), value.clone()),
        crate::Credentials::Cookie { name, value } => (reqwest::header::COOKIE.as_str().to_string(), format!("{name}={value}")),
    };
    match (reqwest::header::HeaderName::from_bytes(name.as_bytes()), reqwest::header::HeaderValue::from_str(&value)) {
        (Ok(n), Ok(mut v)) => {
            v.set_sensitive(true);
            req.header(n, v)
        }
        // Validated when stored; a bad one is simply not sent (the site then answers 401).
        _ => req,
    }
}

/// A reqwest error as one line, with its cause (e.g. "connection refused").
/// Says what went wrong in words a person can act on: the innermost cause decides (the layers
/// above it repeat it in library terms, "client error (Connect)").
fn describe(e: &reqwest::Error) -> String {
    let mut causes: Vec<&(dyn std::error::Error + 'static)> = Vec::new();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        causes.push(s);
        src = s.source();
    }
    let io_kind = causes.iter().find_map(|c| c.downcast_ref::<std::io::Error>()).map(std::io::Error::kind);
    let innermost = causes.last().map(|c| c.to_string()).unwrap_or_default();
    match io_kind {
        Some(std::io::ErrorKind::ConnectionRefused) => return "could not connect: connection refused (nothing answers on that port)".into(),
        Some(std::io::ErrorKind::ConnectionReset) => return "the connection was reset by the server".into(),
        Some(std::io::ErrorKind::TimedOut) => return "could not connect: the connection timed out".into(),
        _ => {}
    }
    if e.is_connect() {
        let lower = innermost.to_ascii_lowercase();
        if lower.contains("dns error") || lower.contains("failed to lookup address") || lower.contains("name or service not known") {
            return format!("could not connect: the host name does not resolve ({innermost})");
        }
        return if innermost.is_empty() { "could not connect".into() } else { format!("could not connect: {innermost}") };
    }
    if innermost.is_empty() {
        e.to_string()
    } else {
        format!("{e}: {innermost}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sink(keep: usize, cap: usize) -> BodySink {
        BodySink { kept: Vec::new(), keep, cap, seen: 0 }
    }

    #[test]
    fn a_body_is_kept_up_to_its_head_and_counted_up_to_the_cap() {
        let mut d = Decoder::Identity(sink(4, 10));
        d.write(b"hello").unwrap();
        assert!(!d.full());
        d.write(b" world").unwrap();
        assert!(d.full());
        assert_eq!(d.finish(), (b"hell".to_vec(), true));
    }

    #[test]
    fn gzip_is_decoded_as_it_arrives() {
        let text: Vec<u8> = (0..20_000u32).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&text).unwrap();
        let gz = z.finish().unwrap();
        // Whole, fed in pieces as a connection delivers it.
        let mut d = Decoder::Gzip(flate2::write::GzDecoder::new(sink(usize::MAX, 1 << 20)));
        for piece in gz.chunks(1000) {
            d.write(piece).unwrap();
        }
        assert_eq!(d.finish(), (text.clone(), false));
        // Only its start kept; its decoded size still over a smaller cap.
        let mut d = Decoder::Gzip(flate2::write::GzDecoder::new(sink(16, 100_000)));
        d.write(&gz).unwrap();
        assert!(d.full());
        assert_eq!(d.finish(), (text[..16].to_vec(), true));
        // A corrupt tail keeps what decoded before it.
        let mut d = Decoder::Gzip(flate2::write::GzDecoder::new(sink(usize::MAX, 1 << 20)));
        let _ = d.write(&gz[..gz.len() / 2]);
        let (kept, _) = d.finish();
        assert!(!kept.is_empty() && text.starts_with(&kept));
    }

    #[test]
    fn metadata_addresses_are_recognised() {
        for ip in ["169.254.169.254", "100.100.100.200", "fd00:ec2::254", "fe80::1", "::ffff:169.254.169.254"] {
            assert!(is_metadata_address(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["127.0.0.1", "10.0.0.1", "203.0.113.10", "::1"] {
            assert!(!is_metadata_address(ip.parse().unwrap()), "{ip}");
        }
        assert!(is_metadata_host("metadata.google.internal."));
    }
}
