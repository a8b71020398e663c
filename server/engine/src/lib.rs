//! Preflight's check engine.
//!
//! It owns the catalogue of automated checks (their stable ids are public interface: they
//! appear in CLI output, the JSON API, SARIF rule ids and the checklist template), the
//! crawler, the checks and the report formats. It knows nothing of Leptos or axum, so the
//! `preflight check` CLI, the app's job runner and the tests all drive the same code.
//!
//! A failed check is data (a [`Finding`]); `Err` is only for a run that could not start.

pub mod a11y;
pub mod catalogue;
pub mod checks;
pub mod config;
pub mod crawl;
pub mod dns;
pub mod exposure;
pub mod fetch;
pub mod finding;
pub mod html;
pub mod outcome;
pub mod report;
pub mod tls;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub use catalogue::{find_check, problem_title, Category, CheckInfo, Scope, Severity, CATALOGUE};
pub use config::{CheckConfig, Credentials, EnvProfile, Limits, ResolveOverride};
pub use finding::Finding;
pub use outcome::{CheckOutcome, CheckStatus, Coverage};
pub use report::Report;

use fetch::{Fetched, Fetcher};
use url::Url;

/// A run that could not start (bad target, unusable settings).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    BadTarget(String),
    #[error("{0}")]
    Setup(String),
}

/// Most URLs read from an old site's sitemap (and the sitemaps an index names).
pub const MAX_IMPORTED_URLS: usize = 10_000;

/// Reads the page URLs of an old site's sitemap.xml, for the old-URL list: fetched through
/// the engine's guarded fetcher (the same limits, metadata refusal and `--resolve` overrides
/// as a run), following a sitemap index one level down (at most 50 sitemaps). The error says
/// what was wrong in words for people.
pub async fn import_sitemap(config: &CheckConfig, sitemap_url: &str) -> Result<Vec<String>, String> {
    let url = config::parse_target(sitemap_url).map_err(|e| e.to_string())?;
    let fetcher = Fetcher::new(config).map_err(|e| e.to_string())?;
    let read = |f: fetch::Fetched| -> Result<String, String> {
        let r = f.outcome.map_err(|e| format!("{} could not be read: {e}", f.requested))?;
        if r.status >= 300 {
            return Err(format!("{} answered {}", r.url, r.status_line()));
        }
        if !checks::is_sitemap(&r.body) {
            return Err(format!("{} is not a sitemap (no <urlset> or <sitemapindex>; content type {})", r.url, r.content_type()));
        }
        Ok(r.text())
    };
    let first = read(fetcher.get(&url).await)?;
    let mut out: Vec<String> = Vec::new();
    let push = |locs: Vec<String>, out: &mut Vec<String>| {
        for l in locs {
            if out.len() < MAX_IMPORTED_URLS && !out.contains(&l) {
                out.push(l);
            }
        }
    };
    if first.contains("<sitemapindex") || first.contains(":sitemapindex") {
        for child in crawl::sitemap_locs(&first).into_iter().take(50) {
            let Ok(child) = url.join(&child) else { continue };
            if !matches!(child.scheme(), "http" | "https") {
                continue;
            }
            let text = read(fetcher.get(&child).await)?;
            push(crawl::sitemap_locs(&text), &mut out);
        }
    } else {
        push(crawl::sitemap_locs(&first), &mut out);
    }
    if out.is_empty() {
        return Err(format!("{url} lists no pages"));
    }
    Ok(out)
}

/// Where a run is, for progress bars.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Progress {
    pub phase: &'static str,
    pub done: usize,
    pub total: usize,
}

/// Runs the HTTP and crawl checks against `config.start_url`.
pub async fn run(config: &CheckConfig, progress: &(dyn Fn(Progress) + Send + Sync)) -> Result<Report, EngineError> {
    let started_at = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let t0 = Instant::now();
    let deadline = t0 + config.limits.deadline;
    let fetcher = Fetcher::new(config)?;
    progress(Progress { phase: "starting", done: 0, total: 1 });

    let start_fetch = fetcher.get(&config.start_url).await;
    let start: Url = start_fetch.response().map(|r| r.url.clone()).unwrap_or_else(|| config.start_url.clone());
    let origin = |path: &str| start.join(path).expect("joining an absolute path");

    // Side requests, all at once.
    let probe_url = origin(&finding::probe_path());
    let http_variant_url = (start.scheme() == "https").then(|| {
        let mut u = start.clone();
        let _ = u.set_scheme("http");
        let _ = u.set_port(config.http_port.filter(|p| *p != 80));
        u
    });
    // When the site itself is reached through a host override (a server before DNS moves),
    // only variants that are overridden too say anything about that server.
    let overridden = |u: &Url| config.resolve.iter().any(|r| Some(r.host.as_str()) == u.host_str());
    let host_variant_urls: Vec<Url> = host_variants(&start)
        .into_iter()
        .map(|mut v| {
            if v.scheme() == "http" && start.scheme() == "https" {
                let _ = v.set_port(config.http_port.filter(|p| *p != 80));
            }
            v
        })
        .filter(|v| !overridden(&start) || overridden(v))
        .collect();
    let old: Vec<Url> = config
        .old_urls
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty() && !s.starts_with('#'))
        .filter_map(|s| if s.starts_with("http://") || s.starts_with("https://") { Url::parse(s).ok() } else { start.join(s).ok() })
        .collect();
    let site_reachable = start_fetch.outcome.is_ok();
    // A protected dev/staging site: would it also let in someone without the credentials?
    let anonymous = match (&config.credentials, config.env.is_production(), site_reachable) {
        (Some(_), false, true) => Some(fetcher.without_credentials().get(&config.start_url).await),
        _ => None,
    };
    let (robots, sitemap, probe, favicon, http_variant, variants, old_fetched) = if site_reachable {
        let (robots_url, sitemap_url, favicon_url) = (origin("/robots.txt"), origin("/sitemap.xml"), origin("/favicon.ico"));
        let (robots, sitemap, probe, favicon) =
            tokio::join!(fetcher.get(&robots_url), fetcher.get(&sitemap_url), fetcher.get_no_follow(&probe_url), fetcher.get(&favicon_url));
        let http_variant = match &http_variant_url {
            Some(u) => Some(fetcher.get_no_follow(u).await),
            None => None,
        };
        let variants: Vec<Fetched> = futures::future::join_all(host_variant_urls.iter().map(|u| fetcher.get_no_follow(u))).await;
        let old_fetched: Vec<Fetched> = futures::future::join_all(old.iter().map(|u| fetcher.get(u))).await;
        (Some(robots), Some(sitemap), Some(probe), Some(favicon), http_variant, variants, old_fetched)
    } else {
        let old_fetched: Vec<Fetched> = futures::future::join_all(old.iter().map(|u| fetcher.get(u))).await;
        (None, None, None, None, None, Vec::new(), old_fetched)
    };

    let sitemap_urls: Vec<Url> = sitemap
        .as_ref()
        .and_then(Fetched::response)
        .filter(|r| r.status < 400)
        .map(|r| crawl::sitemap_locs(&r.text()).into_iter().filter_map(|s| Url::parse(&s).ok()).collect())
        .unwrap_or_default();
    let crawl = if site_reachable { crawl::crawl(&fetcher, config, &start, &sitemap_urls, deadline, progress).await } else { crawl::Crawl::default() };
    let probes = if site_reachable { probe_exposure(&fetcher, config, &start, &crawl).await } else { Exposure::default() };
    progress(Progress { phase: "checking", done: 0, total: 1 });
    let site = checks::Site {
        config,
        start: &start,
        start_fetch: &start_fetch,
        crawl: &crawl,
        robots: robots.as_ref(),
        sitemap: sitemap.as_ref(),
        probe: probe.as_ref(),
        favicon: favicon.as_ref(),
        http_variant: http_variant.as_ref(),
        host_variants: &variants,
        old_urls: &old_fetched,
        anonymous: anonymous.as_ref(),
        sensitive: &probes.sensitive,
        listings: &probes.listings,
        section_probes: &probes.sections,
        foreign_host: probes.foreign_host.as_ref(),
        cross_site_posts: &probes.cross_site_posts,
    };
    let mut findings = checks::run_all(&site);
    let mut coverage = checks::coverage(&site);
    // TLS and DNS: judged on the site's canonical host (not reachable: not judged at all).
    progress(Progress { phase: "tls and dns", done: 0, total: 2 });
    if site_reachable {
        let (tls_findings, tls_coverage) = tls::check(config, &start).await;
        findings.extend(tls_findings);
        coverage.extend(tls_coverage);
        let (dns_findings, dns_coverage) = dns::check(config, &start).await;
        findings.extend(dns_findings);
        coverage.extend(dns_coverage);
    } else {
        let why = "site unreachable";
        coverage.skipped(tls::TLS_CHECKS, why).skipped(dns::ALL_DNS_CHECKS, why);
    }
    let browser_checks: Vec<&str> = CATALOGUE.iter().filter(|c| c.category == Category::Browser).map(|c| c.id).collect();
    coverage.skipped(&browser_checks, BROWSER_NOT_RUN);
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.check.cmp(&b.check)).then_with(|| a.url.cmp(&b.url)));
    findings.dedup();
    progress(Progress { phase: "done", done: 1, total: 1 });
    Ok(Report {
        target: config.start_url.to_string(),
        final_url: start.to_string(),
        env: config.env,
        started_at,
        duration_ms: t0.elapsed().as_millis() as u64,
        reachable: site_reachable,
        pages_crawled: crawl.pages.len(),
        assets_checked: crawl.assets.len(),
        checks_run: Vec::new(),
        checks: Vec::new(),
        findings,
        pages: crawl.pages.iter().filter(|p| p.data.is_some() && p.fetched.response().is_some_and(|r| r.status < 400)).map(|p| p.url.to_string()).collect(),
        screenshots: Vec::new(),
    }
    .with_coverage(coverage))
}

/// What the exposure probes got back.
#[derive(Default)]
struct Exposure {
    sensitive: Vec<(&'static exposure::SensitiveProbe, Fetched)>,
    listings: Vec<Fetched>,
    sections: Vec<Fetched>,
    foreign_host: Option<Fetched>,
    cross_site_posts: Vec<Fetched>,
}

/// After the crawl: files that must not be public, listings of the folders the site's files
/// live in, an unknown URL per section, and the home page for a made-up `Host`. At most
/// `concurrency` requests at a time.
async fn probe_exposure(fetcher: &Fetcher, config: &CheckConfig, start: &Url, crawl: &crawl::Crawl) -> Exposure {
    use futures::StreamExt as _;
    let n = config.limits.concurrency.max(1);
    let asset_urls: Vec<Url> = crawl.assets.iter().map(|a| a.url.clone()).collect();
    let listing_urls = exposure::listing_probe_urls(start, &asset_urls);
    let page_urls: Vec<Url> = crawl.pages.iter().filter(|p| p.data.is_some()).map(|p| p.url.clone()).collect();
    let section_urls = exposure::section_probe_urls(start, &page_urls);
    let (n_sensitive, n_listings) = (exposure::SENSITIVE.len(), listing_urls.len());
    let urls = exposure::SENSITIVE.iter().map(|p| start.join(p.path).expect("joining an absolute path")).chain(listing_urls).chain(section_urls);
    // The futures own what they use: borrowing futures inside `buffered` make the whole run
    // future lose `Send` (a known rustc limitation), which the runner's `tokio::spawn` needs.
    let gets: Vec<_> = urls
        .map(|u| {
            let f = fetcher.clone();
            async move { f.get_no_follow(&u).await }
        })
        .collect();
    let all = futures::stream::iter(gets).buffered(n).collect::<Vec<Fetched>>();
    // Sign-in forms without a CSRF token: does the server refuse a cross-site POST?
    let sign_in_actions: Vec<Url> = exposure::sign_in_form_actions(start, crawl);
    let posts = futures::future::join_all(sign_in_actions.iter().map(|u| fetcher.post_cross_site(u)));
    let (mut all, foreign_host, cross_site_posts) = tokio::join!(all, fetcher.get_with_host(start, exposure::FOREIGN_HOST), posts);
    let sections = all.split_off(n_sensitive + n_listings);
    let listings = all.split_off(n_sensitive);
    let sensitive = exposure::SENSITIVE.iter().zip(all).collect();
    Exposure { sensitive, listings, sections, foreign_host: Some(foreign_host), cross_site_posts }
}

/// Why the browser checks have no verdict in a run of the HTTP checks alone.
pub const BROWSER_NOT_RUN: &str = "the browser checks were not part of this run";

/// The other three of http/https × www/apex for a domain name (none for IP addresses,
/// `localhost` or single-label hosts).
pub fn host_variants(start: &Url) -> Vec<Url> {
    let Some(host) = start.host_str() else {
        return Vec::new();
    };
    if start.host().is_some_and(|h| !matches!(h, url::Host::Domain(_))) || !host.contains('.') || host.ends_with("localhost") {
        return Vec::new();
    }
    let apex = host.trim_start_matches("www.");
    let www = format!("www.{apex}");
    let schemes: &[&str] = if start.scheme() == "https" { &["https", "http"] } else { &["http"] };
    let mut out = Vec::new();
    for scheme in schemes {
        for h in [apex, www.as_str()] {
            let mut u = start.clone();
            u.set_path("/");
            u.set_query(None);
            if u.set_scheme(scheme).is_err() || u.set_host(Some(h)).is_err() {
                continue;
            }
            if scheme != &start.scheme() {
                let _ = u.set_port(None);
            }
            if u.host_str() == start.host_str() && u.scheme() == start.scheme() {
                continue;
            }
            out.push(u);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_variants_cover_the_matrix() {
        let v = host_variants(&Url::parse("https://www.example.com/shop").unwrap());
        let s: Vec<String> = v.iter().map(|u| u.to_string()).collect();
        assert_eq!(s, vec!["https://example.com/", "http://example.com/", "http://www.example.com/"]);
        assert!(host_variants(&Url::parse("http://127.0.0.1:8080/").unwrap()).is_empty());
        assert!(host_variants(&Url::parse("http://localhost:3000/").unwrap()).is_empty());
        let dev = host_variants(&Url::parse("http://example.test:8080/").unwrap());
        assert_eq!(dev.iter().map(|u| u.to_string()).collect::<Vec<_>>(), vec!["http://www.example.test:8080/"]);
    }
}
