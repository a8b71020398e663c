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
