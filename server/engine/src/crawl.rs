//! The crawler: same-site pages by links and `sitemap.xml`, then every internal image,
//! script, stylesheet and icon, within the configured limits.

use std::{
    collections::{BTreeMap, HashSet, VecDeque},
    time::Instant,
};

use futures::{stream::FuturesUnordered, StreamExt};
use url::Url;

use crate::{
    config::CheckConfig,
    fetch::{Fetched, Fetcher},
    html::{self, AssetKind, PageData},
    Progress,
};

/// Bytes of a page's body kept after the checks' scan (enough for error-page judgements and
/// evidence snippets); the rest is dropped as soon as the page is parsed and scanned.
pub const RETAINED_BODY: usize = 64 * 1024;
/// Bytes of an asset's body kept (an asset's body matters only when it is an error page).
pub const RETAINED_ASSET_BODY: usize = 16 * 1024;
/// Pages larger than this are parsed at most [`BIG_PARSES`] at a time.
const BIG_PAGE: usize = 1024 * 1024;
const BIG_PARSES: usize = 2;
/// Most subresources loaded per run; more are reported as an incomplete crawl.
pub const MAX_ASSETS: usize = 1000;

/// Reads what the checks need from the whole body once (so no check reads it again), then
/// drops all but its start. `scan`: whether the checks look into this body at all.
fn scan_and_trim(analytics_ids: &[String], fetched: &mut Fetched, keep: usize, scan: bool) {
    if let Ok(r) = &mut fetched.outcome {
        if scan {
            r.scan = Some(Box::new(crate::checks::BodyScan::of(analytics_ids, &r.body)));
        }
        if r.body.len() > keep {
            r.body.truncate(keep);
            r.body.shrink_to_fit();
        }
    }
}

/// A crawled page.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: Url,
    pub depth: usize,
    pub fetched: Fetched,
    /// Parsed contents, for HTML answers.
    pub data: Option<PageData>,
}

/// A fetched subresource and the pages that use it.
#[derive(Debug, Clone)]
pub struct Asset {
    pub kind: AssetKind,
    pub url: Url,
    pub fetched: Fetched,
    pub used_on: Vec<Url>,
}

#[derive(Debug, Clone, Default)]
pub struct Crawl {
    pub pages: Vec<Page>,
    pub assets: Vec<Asset>,
    /// Internal link targets and the pages linking to them.
    pub linked_from: BTreeMap<String, Vec<Url>>,
    /// Why the crawl stopped early, if it did.
    pub incomplete: Option<String>,
}

/// Same site: same host, ignoring a leading `www.` (links between www and apex are
/// internal; the canonical-host check judges the redirects).
pub fn same_site(a: &Url, b: &Url) -> bool {
    let strip = |u: &Url| u.host_str().map(|h| h.trim_start_matches("www.").to_ascii_lowercase());
    strip(a) == strip(b) && a.port_or_known_default() == b.port_or_known_default()
}

/// Crawls from `start` (the site's URL after redirects), plus `extra` URLs (the sitemap's).
pub async fn crawl(
    fetcher: &Fetcher,
    config: &CheckConfig,
    start: &Url,
    extra: &[Url],
    deadline: Instant,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Crawl {
    let limits = &config.limits;
    let ids = std::sync::Arc::new(config.analytics_ids.clone());
    let mut out = Crawl::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut queue: VecDeque<(Url, usize)> = VecDeque::new();
    let enqueue = |u: Url, depth: usize, seen: &mut HashSet<String>, queue: &mut VecDeque<(Url, usize)>| {
        if seen.insert(u.as_str().to_string()) {
            queue.push_back((u, depth));
        }
    };
    enqueue(start.clone(), 0, &mut seen, &mut queue);
    for u in extra.iter().filter(|u| same_site(start, u)) {
        enqueue(u.clone(), 1, &mut seen, &mut queue);
    }
    let big_parses = std::sync::Arc::new(tokio::sync::Semaphore::new(BIG_PARSES));
    let mut in_flight = FuturesUnordered::new();
    let mut started = 0usize;
    loop {
        while in_flight.len() < limits.concurrency.max(1) && started < limits.max_pages {
            let Some((url, depth)) = queue.pop_front() else { break };
            started += 1;
            let f = fetcher.clone();
            let ids = ids.clone();
            let big_parses = big_parses.clone();
            in_flight.push(async move {
                let fetched = f.get(&url).await;
                // A parsed page takes a few times its size while it is read: huge pages are
                // read a few at a time, so memory is bounded by the body cap, not by concurrency.
                let _permit = match fetched.response().is_some_and(|r| r.body.len() > BIG_PAGE) {
                    true => Some(big_parses.acquire_owned().await.expect("the semaphore is never closed")),
                    false => None,
                };
                // Parsing and scanning are CPU work: off the async workers. The body is then
                // trimmed, so memory does not grow with the size of the site.
                let (fetched, data) = tokio::task::spawn_blocking(move || {
                    let mut fetched = fetched;
                    // (Borrowed when the body is UTF-8, as nearly all pages are: no copy of it.)
                    let data = fetched.response().filter(|r| r.is_html() && r.status < 400).map(|r| match std::str::from_utf8(&r.body) {
                        Ok(text) => html::parse(&r.url, text),
                        Err(_) => html::parse(&r.url, &r.text()),
                    });
                    scan_and_trim(&ids, &mut fetched, RETAINED_BODY, true);
                    (fetched, data)
                })
                .await
                .expect("parsing does not panic");
                Page { url, depth, fetched, data }
            });
        }
        if in_flight.is_empty() {
            break;
        }
        let next = tokio::time::timeout_at(deadline.into(), in_flight.next()).await;
        let page = match next {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(_) => {
                out.incomplete = Some(format!("the {:?} deadline passed with {} page(s) still loading", limits.deadline, in_flight.len()));
                break;
            }
        };
        if let Some(data) = &page.data {
            let here = page.fetched.response().map(|r| r.url.clone()).unwrap_or_else(|| page.url.clone());
            for link in &data.links {
                if same_site(start, link) {
                    out.linked_from.entry(link.as_str().to_string()).or_default().push(here.clone());
                    if page.depth < limits.max_depth {
                        enqueue(link.clone(), page.depth + 1, &mut seen, &mut queue);
                    }
                }
            }
        }
        out.pages.push(page);
        progress(Progress { phase: "crawling", done: out.pages.len(), total: (out.pages.len() + in_flight.len() + queue.len()).min(limits.max_pages) });
    }
    if out.incomplete.is_none() && !queue.is_empty() {
        out.incomplete = Some(format!("the page limit ({}) was reached with {} more page(s) found", limits.max_pages, queue.len()));
    }
    out.pages.sort_by(|a, b| a.url.as_str().cmp(b.url.as_str()));

    // Subresources of the crawled pages.
    let mut assets: BTreeMap<(String, AssetKind), (Url, Vec<Url>)> = BTreeMap::new();
    for p in &out.pages {
        for (kind, url) in p.data.iter().flat_map(|d| d.assets.iter()) {
            if same_site(start, url) || config.check_external_links {
                assets.entry((url.as_str().to_string(), *kind)).or_insert_with(|| (url.clone(), Vec::new())).1.push(p.url.clone());
            }
        }
    }
    if assets.len() > MAX_ASSETS {
        let more = assets.len() - MAX_ASSETS;
        out.incomplete.get_or_insert_with(|| format!("the asset limit ({MAX_ASSETS}) was reached with {more} more image(s), script(s) or stylesheet(s) found"));
    }
    let total = assets.len().min(MAX_ASSETS);
    let mut jobs = futures::stream::iter(assets.into_iter().take(MAX_ASSETS).map(|((_, kind), (url, used_on))| {
        // Only scripts are read whole (for credentials and error trackers); of anything else
        // that loaded, the start is kept and the size measured.
        let f = if kind == AssetKind::Script { fetcher.clone() } else { fetcher.keeping_head(RETAINED_ASSET_BODY) };
        let ids = ids.clone();
        async move {
            let fetched = f.get(&url).await;
            let fetched = tokio::task::spawn_blocking(move || {
                let mut fetched = fetched;
                // Scripts are read for credentials and error trackers, error pages for debug
                // output; an image's or stylesheet's body is never looked into.
                let read = kind == AssetKind::Script || fetched.response().is_some_and(|r| r.status >= 500 || r.is_html());
                scan_and_trim(&ids, &mut fetched, RETAINED_ASSET_BODY, read);
                fetched
            })
            .await
            .expect("scanning does not panic");
            Asset { kind, url, fetched, used_on }
        }
    }))
    .buffer_unordered(limits.concurrency.max(1));
    loop {
        match tokio::time::timeout_at(deadline.into(), jobs.next()).await {
            Ok(Some(a)) => {
                out.assets.push(a);
                progress(Progress { phase: "assets", done: out.assets.len(), total });
            }
            Ok(None) => break,
            Err(_) => {
                out.incomplete.get_or_insert_with(|| format!("the {:?} deadline passed while loading assets", limits.deadline));
                break;
            }
        }
    }
    out.assets.sort_by(|a, b| a.url.as_str().cmp(b.url.as_str()));
    out
}

/// The `<loc>` URLs of a sitemap (or sitemap index) document.
pub fn sitemap_locs(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find("<loc>") {
        rest = &rest[i + 5..];
        let Some(j) = rest.find("</loc>") else { break };
        let loc = rest[..j].trim().replace("&amp;", "&");
        if !loc.is_empty() {
            out.push(loc);
        }
        rest = &rest[j + 6..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_site_ignores_www_but_not_ports_or_other_hosts() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(same_site(&u("https://www.a.test/"), &u("https://a.test/x")));
        assert!(same_site(&u("http://127.0.0.1:8080/"), &u("http://127.0.0.1:8080/y")));
        assert!(!same_site(&u("http://127.0.0.1:8080/"), &u("http://127.0.0.1:9090/")));
        assert!(!same_site(&u("https://a.test/"), &u("https://b.test/")));
    }

    #[test]
    fn sitemap_locs_are_read() {
        let xml = "<urlset><url><loc> https://a.test/x?a=1&amp;b=2 </loc></url><url><loc>https://a.test/y</loc></url></urlset>";
        assert_eq!(sitemap_locs(xml), vec!["https://a.test/x?a=1&b=2", "https://a.test/y"]);
    }
}
