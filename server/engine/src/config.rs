//! What to check and within which limits. Defaults are named constants.

use std::{net::IpAddr, time::Duration};

use serde::{Deserialize, Serialize};
use url::Url;

pub const DEFAULT_MAX_PAGES: usize = 200;
pub const DEFAULT_MAX_DEPTH: usize = 6;
pub const DEFAULT_CONCURRENCY: usize = 8;
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(300);
pub const DEFAULT_MAX_BODY_BYTES: usize = 5 * 1024 * 1024;
pub const DEFAULT_MAX_REDIRECTS: usize = 10;
pub const USER_AGENT: &str = concat!("Preflight/", env!("CARGO_PKG_VERSION"), " (launch checks)");

/// The environment a site is: it decides what the checks expect (robots, banner,
/// credentials, analytics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EnvProfile {
    #[default]
    Production,
    Staging,
    Dev,
}

impl EnvProfile {
    pub fn parse(s: &str) -> Option<EnvProfile> {
        match s {
            "production" | "prod" => Some(EnvProfile::Production),
            "staging" => Some(EnvProfile::Staging),
            "dev" | "development" => Some(EnvProfile::Dev),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EnvProfile::Production => "production",
            EnvProfile::Staging => "staging",
            EnvProfile::Dev => "dev",
        }
    }

    pub fn is_production(self) -> bool {
        self == EnvProfile::Production
    }
}

/// Connect to `addr` whenever `host:port` is requested (curl's `--resolve`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveOverride {
    pub host: String,
    pub port: u16,
    pub addr: IpAddr,
}

impl std::str::FromStr for ResolveOverride {
    type Err = String;

    /// `HOST:PORT:ADDR`, e.g. `www.example.com:443:203.0.113.10` (IPv6 in brackets).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("\"{s}\" is not HOST:PORT:ADDR, e.g. www.example.com:443:203.0.113.10");
        let (host, rest) = s.split_once(':').ok_or_else(bad)?;
        let (port, addr) = rest.split_once(':').ok_or_else(bad)?;
        let port: u16 = port.parse().map_err(|_| bad())?;
        let addr: IpAddr = addr.trim_start_matches('[').trim_end_matches(']').parse().map_err(|_| bad())?;
        if host.is_empty() {
            return Err(bad());
        }
        Ok(ResolveOverride { host: host.to_ascii_lowercase(), port, addr })
    }
}

/// Bounds on a run. Every one is enforced; hitting one is reported, never a hang.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Limits {
    pub max_pages: usize,
    pub max_depth: usize,
    pub concurrency: usize,
    pub request_timeout: Duration,
    pub deadline: Duration,
    pub max_body_bytes: usize,
    pub max_redirects: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pages: DEFAULT_MAX_PAGES,
            max_depth: DEFAULT_MAX_DEPTH,
            concurrency: DEFAULT_CONCURRENCY,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            deadline: DEFAULT_DEADLINE,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_redirects: DEFAULT_MAX_REDIRECTS,
        }
    }
}

/// Everything a run needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckConfig {
    pub start_url: Url,
    pub env: EnvProfile,
    pub resolve: Vec<ResolveOverride>,
    /// Old URLs (absolute, or paths relative to the site) that must not 404.
    pub old_urls: Vec<String>,
    /// Contact details (e-mail addresses, phone numbers) the site must show.
    pub expected_contacts: Vec<String>,
    /// Hosts of the project's other environments: links to them are wrong here.
    pub other_hosts: Vec<String>,
    pub limits: Limits,
    /// Allow cloud metadata addresses (169.254.169.254 and friends). Off by default.
    pub allow_metadata: bool,
    /// Also check links to other sites (off: nothing outside the site is contacted).
    pub check_external_links: bool,
    /// Extra trusted CA certificates (PEM), e.g. a company CA on a staging server.
    #[serde(default)]
    pub extra_ca_pem: Vec<String>,
    /// DNS server for the DNS checks (default: the system's resolver).
    #[serde(default)]
    pub nameserver: Option<std::net::SocketAddr>,
    /// Launch date `YYYY-MM-DD`, for the DNS TTL check.
    #[serde(default)]
    pub launch_date: Option<String>,
    /// Skip the DNS checks.
    #[serde(default)]
    pub skip_dns: bool,
    /// Port of the plain-http side of an https site (default 80), for the http→https and
    /// canonical-host checks of servers on non-standard ports.
    #[serde(default)]
    pub http_port: Option<u16>,
    /// Words that mark a dev or staging page besides the built-in ones ("DEV SITE",
    /// "staging", "test site"…), e.g. a team's own banner text.
    #[serde(default)]
    pub dev_markers: Vec<String>,
    /// The region national phone numbers are written in (ISO 3166: GB, US, DE…), for comparing
    /// the expected contacts with the site's numbers. None: international numbers only.
    #[serde(default)]
    pub phone_region: Option<String>,
    /// Analytics ids every production page must carry (`G-XXXXXXX`, `GTM-XXXX`, a Plausible
    /// domain, a Matomo site URL…).
    #[serde(default)]
    pub analytics_ids: Vec<String>,
    /// The project targets old Internet Explorer (its runs include the old-ie viewport): pages
    /// must ask for IE's newest document mode.
    #[serde(default)]
    pub old_ie: bool,
    /// Credentials for a protected (dev/staging) site: sent only to the site's own host
    /// (and its www/apex twin), never to other sites. Never serialised.
    #[serde(skip)]
    pub credentials: Option<Credentials>,
}

/// How a protected site lets Preflight in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Credentials {
    /// HTTP basic authentication.
    Basic { username: String, password: String },
    /// An extra request header, e.g. `X-Preview-Token`.
    Header { name: String, value: String },
    /// A cookie, `name=value`.
    Cookie { name: String, value: String },
}

/// Never prints a secret, even in debug output.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hint())
    }
}

impl Credentials {
    /// What may be shown back: the kind and the non-secret part, never the secret.
    pub fn hint(&self) -> String {
        match self {
            Credentials::Basic { username, .. } => format!("HTTP basic authentication as \"{username}\" (password hidden)"),
            Credentials::Header { name, .. } => format!("header {name} (value hidden)"),
            Credentials::Cookie { name, .. } => format!("cookie {name} (value hidden)"),
        }
    }

    /// Checks the parts can go into an HTTP request; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        let printable = |s: &str| !s.is_empty() && s.len() <= 4096 && s.chars().all(|c| c == '\t' || (' '..='~').contains(&c) || (c as u32) >= 0x80);
        match self {
            Credentials::Basic { username, password } => {
                if username.is_empty() || username.contains(':') || !printable(username) {
                    return Err("username: give the user name, without a colon".into());
                }
                if !printable(password) {
                    return Err("password: give the password (printable characters, no line breaks)".into());
                }
            }
            Credentials::Header { name, value } => {
                if !token(name) {
                    return Err(format!("name: \"{name}\" is not a header name (letters, digits and - only, e.g. X-Preview-Token)"));
                }
                let lower = name.to_ascii_lowercase();
                if ["host", "content-length", "transfer-encoding", "connection", "cookie"].contains(&lower.as_str()) {
                    return Err(format!("name: {name} is set by Preflight itself; use the cookie option for cookies"));
                }
                if !printable(value) {
                    return Err("value: give the header's value (printable characters, no line breaks)".into());
                }
            }
            Credentials::Cookie { name, value } => {
                if !token(name) {
                    return Err(format!("name: \"{name}\" is not a cookie name"));
                }
                if value.is_empty() || value.len() > 4096 || value.bytes().any(|b| b <= b' ' || b == b';' || b == b',' || b == b'"' || b == b'\\' || b >= 0x7f)
                {
                    return Err("value: give the cookie's value (no spaces, commas, semicolons or quotes)".into());
                }
            }
        }
        Ok(())
    }

    /// Whether a request to `url` may carry these credentials: only the site's own host or
    /// its www/apex twin, on the site's port or the standard http/https port of that host.
    pub fn applies_to(site: &Url, url: &Url) -> bool {
        let bare = |h: &str| h.trim_end_matches('.').to_ascii_lowercase().trim_start_matches("www.").to_string();
        match (site.host_str(), url.host_str()) {
            (Some(a), Some(b)) if bare(a) == bare(b) => site.port_or_known_default() == url.port_or_known_default() || url.port().is_none(),
            _ => false,
        }
    }
}

impl CheckConfig {
    /// A configuration with defaults for `url`; fails for anything but absolute http(s) URLs.
    pub fn new(url: &str) -> Result<CheckConfig, crate::EngineError> {
        Ok(CheckConfig {
            start_url: parse_target(url)?,
            env: EnvProfile::default(),
            resolve: Vec::new(),
            old_urls: Vec::new(),
            expected_contacts: Vec::new(),
            other_hosts: Vec::new(),
            limits: Limits::default(),
            allow_metadata: false,
            check_external_links: false,
            extra_ca_pem: Vec::new(),
            nameserver: None,
            launch_date: None,
            skip_dns: false,
            http_port: None,
            dev_markers: Vec::new(),
            phone_region: None,
            analytics_ids: Vec::new(),
            old_ie: false,
            credentials: None,
        })
    }
}

/// Accepts only absolute `http`/`https` URLs with a host.
pub fn parse_target(raw: &str) -> Result<Url, crate::EngineError> {
    use crate::EngineError::BadTarget;
    let url = Url::parse(raw.trim()).map_err(|e| BadTarget(format!("\"{raw}\" is not a URL ({e}); write it like https://www.example.com")))?;
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(BadTarget(format!("\"{raw}\" uses {other}: only http and https sites can be checked"))),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(BadTarget(format!("\"{raw}\" has no host name")));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_go_to_the_site_only_and_never_print() {
        let site = Url::parse("https://dev.shop.test:8443/").unwrap();
        for ok in ["https://dev.shop.test:8443/a", "https://www.dev.shop.test:8443/", "http://dev.shop.test/x"] {
            assert!(Credentials::applies_to(&site, &Url::parse(ok).unwrap()), "{ok}");
        }
        for no in ["https://cdn.test/a.js", "https://dev.shop.test:9000/", "https://shop.test:8443/", "https://evil.test/?dev.shop.test"] {
            assert!(!Credentials::applies_to(&site, &Url::parse(no).unwrap()), "{no}");
        }
        let c = Credentials::Basic { username: "preview".into(), password: "s3cret-pw".into() };
        assert!(!format!("{c:?}").contains("s3cret") && format!("{c:?}").contains("preview"));
        let mut config = CheckConfig::new("https://dev.shop.test/").unwrap();
        config.credentials = Some(c);
        assert!(!serde_json::to_string(&config).unwrap().contains("s3cret"), "never serialised with the config");
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn credentials_are_validated_with_field_names() {
        let basic = |u: &str, p: &str| Credentials::Basic { username: u.into(), password: p.into() }.validate();
        assert!(basic("a", "b").is_ok());
        assert!(basic("a:b", "c").unwrap_err().starts_with("username"));
        assert!(basic("a", "line\nbreak").unwrap_err().starts_with("password"));
        let header = |n: &str, v: &str| Credentials::Header { name: n.into(), value: v.into() }.validate();
        assert!(header("X-Preview-Token", "abc").is_ok());
        assert!(header("Bad Name", "abc").unwrap_err().starts_with("name"));
        assert!(header("Host", "abc").unwrap_err().contains("set by Preflight"));
        assert!(header("X-A", "a\r\nInjected: 1").unwrap_err().starts_with("value"));
        let cookie = |n: &str, v: &str| Credentials::Cookie { name: n.into(), value: v.into() }.validate();
        assert!(cookie("preview", "tok123").is_ok());
        assert!(cookie("preview", "a; b=c").unwrap_err().starts_with("value"));
    }

    #[test]
    fn targets_must_be_http_or_https() {
        assert!(parse_target("https://www.example.com").is_ok());
        for bad in ["ftp://example.com", "file:///etc/passwd", "javascript:alert(1)", "example.com", "", "http://"] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolve_overrides_parse_like_curl() {
        let r: ResolveOverride = "www.Example.com:443:203.0.113.10".parse().unwrap();
        assert_eq!((r.host.as_str(), r.port), ("www.example.com", 443));
        let r6: ResolveOverride = "example.com:80:[::1]".parse().unwrap();
        assert!(r6.addr.is_ipv6());
        for bad in ["example.com", "example.com:x:1.2.3.4", "example.com:80:not-ip", ":80:1.2.3.4"] {
            assert!(bad.parse::<ResolveOverride>().is_err(), "{bad}");
        }
    }
}
