//! What a site gives away to anyone who asks for it: files that should never be served
//! (`/.git/`, `/.env`, dumps and backup copies, directory listings, framework consoles),
//! unknown URLs under each section of the site, and answers to a made-up `Host`.
//!
//! The probes are requested by the runner after the crawl; the checks here only judge what
//! came back. A probe counts only when the answer *is* the thing (a `.git/HEAD` that reads
//! like one, a dump with SQL in it), so a site that answers 200 to everything is not flagged.

use std::sync::LazyLock;

use regex::bytes::Regex;
use url::Url;

use crate::{
    checks::Site,
    crawl::same_site,
    fetch::{FetchError, Fetched, Response},
    finding::{snippet, Finding},
};

/// A file or console that must not be public, and how to recognise a real one.
pub struct SensitiveProbe {
    pub path: &'static str,
    /// What it is, for people ("the Git repository's HEAD").
    pub what: &'static str,
    /// Why it matters.
    pub risk: &'static str,
    looks_like: fn(&Response) -> bool,
}

fn body_matches(r: &Response, re: &Regex) -> bool {
    re.is_match(&r.body[..r.body.len().min(64 * 1024)])
}

static GIT_HEAD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\A(?:ref: refs/|[0-9a-f]{40}\s*\z)").expect("valid"));
static GIT_CONFIG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?m)^\[core\]\s*$").expect("valid"));
/// A dotenv file: mostly `NAME=value` lines, not an HTML page.
static DOTENV: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?m)^(?:export\s+)?[A-Z][A-Z0-9_]{1,63}=").expect("valid"));
static SQL_DUMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)-- MySQL dump|-- MariaDB dump|-- PostgreSQL database dump|\bCREATE TABLE\b|\bINSERT INTO\b|PRAGMA foreign_keys").expect("valid")
});
static PHP_SOURCE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<\?php").expect("valid"));
static PHPINFO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<title>PHP [0-9.]+ - phpinfo\(\)</title>").expect("valid"));
static SERVER_STATUS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"Apache Server Status for|<h1>Apache Server Status").expect("valid"));
static SYMFONY_PROFILER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"Symfony Profiler|sf-toolbar|<title>Profiler").expect("valid"));
static TELESCOPE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<title>Telescope|window\.Telescope|telescope/app\.js").expect("valid"));
static ACTUATOR_ENV: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#""propertySources"\s*:|"activeProfiles"\s*:"#).expect("valid"));
static ACTUATOR_HEAPDUMP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\AJAVA PROFILE 1\.0").expect("valid"));
/// Apache's and nginx's autoindex, Python's http.server, Tomcat's and IIS's listings.
pub(crate) static LISTING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<title>Index of /|<h1>Index of /|<title>Directory listing for /|<title>Directory Listing For \[?/|<pre><A HREF=.\[To Parent Directory\]")
        .expect("valid")
});

fn not_html(r: &Response) -> bool {
    !r.is_html() && !r.body.trim_ascii_start().starts_with(b"<")
}

/// The probes, in request order.
pub const SENSITIVE: &[SensitiveProbe] = &[
    SensitiveProbe {
        path: "/.git/HEAD",
        what: "the Git repository (.git/HEAD)",
        risk: "anyone can download the site's source code and its history, secrets included",
        looks_like: |r| body_matches(r, &GIT_HEAD),
    },
    SensitiveProbe {
        path: "/.git/config",
        what: "the Git repository's configuration (.git/config)",
        risk: "anyone can download the site's source code and see where it is hosted",
        looks_like: |r| not_html(r) && body_matches(r, &GIT_CONFIG),
    },
    SensitiveProbe {
        path: "/.env",
        what: "the environment file (.env)",
        risk: "it usually holds database passwords, API keys and the app's secret key",
        looks_like: |r| not_html(r) && body_matches(r, &DOTENV),
    },
    SensitiveProbe {
        path: "/.env.production",
        what: "the production environment file (.env.production)",
        risk: "it usually holds database passwords, API keys and the app's secret key",
        looks_like: |r| not_html(r) && body_matches(r, &DOTENV),
    },
    SensitiveProbe {
        path: "/.DS_Store",
        what: "a macOS folder index (.DS_Store)",
        risk: "it lists the names of every file in the folder, including ones not linked anywhere",
        looks_like: |r| r.body.starts_with(b"\0\0\0\x01Bud1"),
    },
    SensitiveProbe {
        path: "/backup.sql",
        what: "a database dump (backup.sql)",
        risk: "it holds the site's whole database: customers, orders, password hashes",
        looks_like: |r| not_html(r) && body_matches(r, &SQL_DUMP),
    },
    SensitiveProbe {
        path: "/dump.sql",
        what: "a database dump (dump.sql)",
        risk: "it holds the site's whole database: customers, orders, password hashes",
        looks_like: |r| not_html(r) && body_matches(r, &SQL_DUMP),
    },
    SensitiveProbe {
        path: "/db.sql",
        what: "a database dump (db.sql)",
        risk: "it holds the site's whole database: customers, orders, password hashes",
        looks_like: |r| not_html(r) && body_matches(r, &SQL_DUMP),
    },
    SensitiveProbe {
        path: "/database.sql",
        what: "a database dump (database.sql)",
        risk: "it holds the site's whole database: customers, orders, password hashes",
        looks_like: |r| not_html(r) && body_matches(r, &SQL_DUMP),
    },
    SensitiveProbe {
        path: "/db.sqlite3",
        what: "the SQLite database (db.sqlite3)",
        risk: "it is the site's whole database",
        looks_like: |r| r.body.starts_with(b"SQLite format 3\0"),
    },
    SensitiveProbe {
        path: "/backup.zip",
        what: "a backup archive (backup.zip)",
        risk: "backups hold the code, its settings and often the database",
        looks_like: |r| r.body.starts_with(b"PK\x03\x04"),
    },
    SensitiveProbe {
        path: "/backup.tar.gz",
        what: "a backup archive (backup.tar.gz)",
        risk: "backups hold the code, its settings and often the database",
        looks_like: |r| r.body.starts_with(b"\x1f\x8b") || r.content_encoding.as_deref() == Some("gzip") && !r.is_html(),
    },
    SensitiveProbe {
        path: "/wp-config.php.bak",
        what: "a backup copy of WordPress's settings (wp-config.php.bak)",
        risk: "a backup copy is served as text, database password and keys included",
        looks_like: |r| body_matches(r, &PHP_SOURCE),
    },
    SensitiveProbe {
        path: "/config.php.bak",
        what: "a backup copy of the settings (config.php.bak)",
        risk: "a backup copy is served as text, database password and keys included",
        looks_like: |r| body_matches(r, &PHP_SOURCE),
    },
    SensitiveProbe {
        path: "/index.php~",
        what: "an editor's backup copy of the source (index.php~)",
        risk: "the source code is served as text",
        looks_like: |r| body_matches(r, &PHP_SOURCE),
    },
    SensitiveProbe {
        path: "/phpinfo.php",
        what: "a phpinfo() page (phpinfo.php)",
        risk: "it shows the server's configuration, paths, modules and environment variables",
        looks_like: |r| body_matches(r, &PHPINFO),
    },
    SensitiveProbe {
        path: "/info.php",
        what: "a phpinfo() page (info.php)",
        risk: "it shows the server's configuration, paths, modules and environment variables",
        looks_like: |r| body_matches(r, &PHPINFO),
    },
    SensitiveProbe {
        path: "/server-status",
        what: "Apache's server status page (/server-status)",
        risk: "it shows every request being served, with visitors' addresses and URLs",
        looks_like: |r| body_matches(r, &SERVER_STATUS),
    },
    SensitiveProbe {
        path: "/_profiler/",
        what: "the Symfony profiler (/_profiler/)",
        risk: "it shows every recent request with its data, queries and settings",
        looks_like: |r| body_matches(r, &SYMFONY_PROFILER),
    },
    SensitiveProbe {
        path: "/telescope",
        what: "Laravel Telescope (/telescope)",
        risk: "it shows every recent request, query, job and exception with its data",
        looks_like: |r| body_matches(r, &TELESCOPE),
    },
    SensitiveProbe {
        path: "/actuator/env",
        what: "Spring Boot's actuator environment endpoint (/actuator/env)",
        risk: "it lists the application's configuration and environment variables",
        looks_like: |r| body_matches(r, &ACTUATOR_ENV),
    },
    SensitiveProbe {
        path: "/actuator/heapdump",
        what: "Spring Boot's actuator heap dump (/actuator/heapdump)",
        risk: "a heap dump holds passwords, keys and session data from the running application",
        looks_like: |r| body_matches(r, &ACTUATOR_HEAPDUMP),
    },
];

/// How many folders of the site's own files are asked for a directory listing.
const MAX_LISTING_PROBES: usize = 4;
/// How many sections of the site get an unknown-URL probe.
const MAX_SECTION_PROBES: usize = 3;

/// The made-up host name sent in the `Host` header probe (`.invalid` never resolves).
pub const FOREIGN_HOST: &str = "preflight-host-check.invalid";

/// Folders holding the site's own static files (`/static/css/`), to ask for a listing.
pub fn listing_probe_urls(start: &Url, assets: &[Url]) -> Vec<Url> {
    let mut out: Vec<Url> = Vec::new();
    for a in assets.iter().filter(|a| same_site(start, a)) {
        let path = a.path();
        let Some(i) = path.rfind('/') else { continue };
        if i == 0 {
            continue;
        }
        let Ok(dir) = a.join(&path[..=i]) else { continue };
        if !out.contains(&dir) {
            out.push(dir);
        }
        if out.len() >= MAX_LISTING_PROBES {
            break;
        }
    }
    out
}

/// One unknown child path under each of the first sections (`/blog/`, `/products/`) the
/// crawl found. The slug is derived from the host and the section, so the same site gets
/// the same probe URLs every run.
pub fn section_probe_urls(start: &Url, pages: &[Url]) -> Vec<Url> {
    let mut sections: Vec<String> = Vec::new();
    for p in pages.iter().filter(|p| same_site(start, p)) {
        let mut segs = p.path_segments().into_iter().flatten().filter(|s| !s.is_empty());
        let (Some(first), Some(_child)) = (segs.next(), segs.next()) else { continue };
        let section = format!("/{first}/");
        if !sections.contains(&section) {
            sections.push(section);
        }
        if sections.len() >= MAX_SECTION_PROBES {
            break;
        }
    }
    sections
        .into_iter()
        .filter_map(|s| {
            let seed = format!("{}{s}", start.host_str().unwrap_or(""));
            start.join(&format!("{s}preflight-{:08x}-missing", fnv1a(seed.as_bytes()) as u32)).ok()
        })
        .collect()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100000001b3))
}

/// Most sign-in forms whose action is asked about cross-site requests.
const MAX_CROSS_SITE_POSTS: usize = 3;

/// The same-site actions of POST forms with a password field and no CSRF token field (sign-in,
/// sign-up, setup): an empty cross-site POST to them is harmless, and a refusal (403) shows
/// the server checks where requests come from (Origin / Fetch Metadata) instead of a token.
pub fn sign_in_form_actions(start: &Url, crawl: &crate::crawl::Crawl) -> Vec<Url> {
    let mut out: Vec<Url> = Vec::new();
    for form in crawl.pages.iter().filter_map(|p| p.data.as_ref()).flat_map(|d| d.forms.iter()) {
        if form.method == "post" && form.has_password() && !crate::checks::has_csrf_token(form) && same_site(start, &form.action) && !out.contains(&form.action)
        {
            out.push(form.action.clone());
        }
        if out.len() >= MAX_CROSS_SITE_POSTS {
            break;
        }
    }
    out
}

/// `sensitive-file-exposed`: each probe that came back as the real thing, and folders that
/// answer with a listing of their files.
pub fn sensitive_files(site: &Site, f: &mut Vec<Finding>) {
    for (probe, fetched) in site.sensitive {
        let Some(r) = fetched.response() else { continue };
        if r.status < 300 && (probe.looks_like)(r) {
            f.push(Finding::new(
                "sensitive-file-exposed",
                r.url.as_str(),
                format!("Anyone can download {}: {}.", probe.what, probe.risk),
                snippet(&String::from_utf8_lossy(&r.body[..r.body.len().min(400)]), 120),
            ));
        }
    }
    let crawled = site.crawl.pages.iter().filter_map(|p| p.fetched.response());
    let mut listed = std::collections::BTreeSet::new();
    for r in site.listings.iter().filter_map(Fetched::response).chain(crawled) {
        let listing = r.scan.as_ref().map(|s| s.listing).unwrap_or_else(|| body_matches(r, &LISTING));
        if r.status < 300 && r.is_html() && listing && listed.insert(r.url.to_string()) {
            f.push(Finding::new(
                "sensitive-file-exposed",
                r.url.as_str(),
                "A folder answers with a listing of its files: every file in it can be found, including ones never linked.",
                snippet(&crate::html::collapse(&r.text()), 120),
            ));
        }
    }
}

/// `host-header-accepted`: the start page requested with a made-up `Host`.
pub fn host_header(site: &Site, f: &mut Vec<Finding>) {
    let Some(r) = site.foreign_host.and_then(Fetched::response) else { return };
    let url = site.start.as_str();
    if let Some(loc) = r.header("location").filter(|l| l.contains(FOREIGN_HOST)) {
        f.push(
            Finding::new(
                "host-header-accepted",
                url,
                "The site builds its redirects from the request's Host header: a forged Host sends visitors (and password-reset links) to an attacker's site.",
                format!("Host: {FOREIGN_HOST} → {} Location: {loc}", r.status),
            )
            .with_severity(crate::Severity::Error),
        );
        return;
    }
    if r.status >= 300 {
        return;
    }
    let body = r.text();
    if body.contains(FOREIGN_HOST) {
        let at = body.find(FOREIGN_HOST).unwrap_or(0);
        let from = body[..at].char_indices().rev().nth(60).map(|(i, _)| i).unwrap_or(0);
        f.push(
            Finding::new(
                "host-header-accepted",
                url,
                "The site writes the request's Host header into its pages: a forged Host puts an attacker's address into links (cache poisoning, password-reset links).",
                snippet(&body[from..], 160),
            )
            .with_severity(crate::Severity::Error),
        );
        return;
    }
    let home_title = site.crawl.pages.iter().find(|p| p.depth == 0).and_then(|p| p.data.as_ref()).and_then(|d| d.title.clone());
    let same_page = r.is_html() && home_title.as_ref().is_some_and(|t| crate::html::parse(&r.url, &body).title.as_ref() == Some(t));
    if same_page {
        f.push(Finding::new(
            "host-header-accepted",
            url,
            "The site answers requests for any host name with its pages (the black-box form of Django's ALLOWED_HOSTS): refuse unknown hosts so forged Host headers cannot reach the app.",
            format!("Host: {FOREIGN_HOST} → {} with the home page", r.status_line()),
        ));
    }
}

/// Why the host-header probe says nothing, if it does not.
pub fn host_header_unjudged(site: &Site) -> Option<String> {
    match site.foreign_host.map(|p| &p.outcome) {
        None => Some("the made-up Host request was not sent".into()),
        Some(Err(e @ FetchError::Timeout(_))) => Some(format!("the request with a made-up Host got no answer ({e})")),
        // A server that closes the connection on an unknown host refuses it: that passes.
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_probes_are_deterministic_per_site_and_limited() {
        let start = Url::parse("https://shop.example.test/").unwrap();
        let pages: Vec<Url> =
            ["/", "/blog/one", "/blog/two", "/products/a", "/about", "/help/faq/x", "/news/1"].iter().map(|p| start.join(p).unwrap()).collect();
        let a = section_probe_urls(&start, &pages);
        let b = section_probe_urls(&start, &pages);
        assert_eq!(a, b);
        let paths: Vec<&str> = a.iter().map(Url::path).collect();
        assert_eq!(paths.len(), 3, "{paths:?}");
        assert!(paths[0].starts_with("/blog/preflight-") && paths[1].starts_with("/products/") && paths[2].starts_with("/help/"), "{paths:?}");
        let other = section_probe_urls(&Url::parse("https://other.example.test/").unwrap(), &[Url::parse("https://other.example.test/blog/x").unwrap()]);
        assert_ne!(other[0].path(), a[0].path(), "another site gets another slug");
    }

    #[test]
    fn listing_probes_are_the_folders_of_own_assets() {
        let start = Url::parse("https://a.test/").unwrap();
        let assets: Vec<Url> = ["https://a.test/static/css/x.css", "https://a.test/static/css/y.css", "https://a.test/logo.png", "https://cdn.test/lib/z.js"]
            .iter()
            .map(|s| Url::parse(s).unwrap())
            .collect();
        let dirs: Vec<String> = listing_probe_urls(&start, &assets).iter().map(Url::to_string).collect();
        assert_eq!(dirs, vec!["https://a.test/static/css/"]);
    }
}
