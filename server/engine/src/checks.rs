//! The HTTP and crawl checks. Each is a function from what was fetched to findings; none
//! of them fetches anything itself (the runner does all I/O first).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

use regex::Regex;
use url::Url;

use crate::{
    config::CheckConfig,
    crawl::{same_site, Crawl},
    fetch::{FetchError, Fetched, Response},
    finding::{snippet, Finding, Severity},
    html::AssetKind,
    outcome::Coverage,
};

/// Everything fetched for one site, handed to every check.
pub struct Site<'a> {
    pub config: &'a CheckConfig,
    /// The site's URL after following the start URL's redirects.
    pub start: &'a Url,
    pub start_fetch: &'a Fetched,
    pub crawl: &'a Crawl,
    pub robots: Option<&'a Fetched>,
    pub sitemap: Option<&'a Fetched>,
    /// A URL that cannot exist, to see the 404 page.
    pub probe: Option<&'a Fetched>,
    pub favicon: Option<&'a Fetched>,
    /// Plain-http variant of an https site, not followed.
    pub http_variant: Option<&'a Fetched>,
    /// http/https × www/apex variants, not followed.
    pub host_variants: &'a [Fetched],
    pub old_urls: &'a [Fetched],
    /// The start URL fetched without the credentials, when the run has some (dev/staging only).
    pub anonymous: Option<&'a Fetched>,
    /// Files and consoles that must not be public, each with what came back.
    pub sensitive: &'a [(&'static crate::exposure::SensitiveProbe, Fetched)],
    /// Folders of the site's own files, asked for a listing.
    pub listings: &'a [Fetched],
    /// One unknown URL under each of the first sections of the site, not followed.
    pub section_probes: &'a [Fetched],
    /// The start URL requested with a made-up `Host` header, not followed.
    pub foreign_host: Option<&'a Fetched>,
    /// Empty cross-site POSTs to sign-in forms without a token field.
    pub cross_site_posts: &'a [Fetched],
}

/// The check ids [`run_all`] evaluates ([`coverage`] says which really looked).
pub const HTTP_CHECKS: &[&str] = &[
    "unreachable",
    "redirect-loop",
    "slow-response",
    "response-too-large",
    "crawl-incomplete",
    "server-error",
    "debug-page-exposed",
    "soft-404",
    "error-page-default",
    "https-redirect-missing",
    "hsts-missing",
    "insecure-sensitive-form",
    "mixed-content",
    "insecure-cookie",
    "canonical-host",
    "favicon-missing",
    "broken-link",
    "broken-asset",
    "asset-not-cached",
    "asset-not-compressed",
    "placeholder-text",
    "contact-missing",
    "contact-unexpected",
    "form-missing-csrf",
    "security-header-missing",
    "robots-missing",
    "robots-disallows-all",
    "robots-allows-indexing-on-dev",
    "dev-publicly-accessible",
    "sensitive-file-exposed",
    "host-header-accepted",
    "session-page-publicly-cached",
    "error-tracking-missing",
    "social-tags-missing",
    "old-ie-document-mode",
    "noindex-on-production",
    "dev-server-in-production",
    "server-version-disclosed",
    "sitemap-missing",
    "canonical-tag-missing",
    "canonical-tag-mismatch",
    "title-missing",
    "title-duplicate",
    "meta-description-missing",
    "meta-description-duplicate",
    "analytics-missing",
    "duplicate-content",
    "old-url-broken",
    "wrong-host-link",
    "sandbox-credentials-on-production",
    "live-credentials-on-dev",
    "dev-banner-missing",
];

/// What each HTTP check could look at on this site, and why the others did not (the
/// findings decide between passed and failed afterwards).
pub fn coverage(site: &Site) -> Coverage {
    let mut c = Coverage::default();
    c.looked(HTTP_CHECKS);
    if let Err(e) = &site.start_fetch.outcome {
        // One clear error, not a list of passes: only the check that met the problem
        // failed, and the old URLs (fetched on their own) were still looked at.
        let why = format!("site unreachable ({e})");
        c.skipped(HTTP_CHECKS, why);
        c.looked(&[fetch_error_check(e)]);
        old_url_coverage(site, &mut c);
        return c;
    }
    let env = site.config.env;
    let partly = site.crawl.incomplete.as_ref().map(|why| format!("partly: {why}"));
    if let Some(note) = &partly {
        c.looked_partly(PAGE_CHECKS, note.clone());
    }
    let pages: Vec<_> = html_pages(site).collect();
    let ok_pages = pages.iter().filter(|(_, r, _)| r.status < 300).count();
    if pages.is_empty() {
        let why = match (&site.crawl.incomplete, site.start_fetch.response()) {
            (Some(why), _) => format!("no HTML page was read: {why}"),
            (None, Some(r)) => format!("no HTML page could be read: the site answered {} ({})", r.status_line(), r.content_type()),
            (None, None) => "no HTML page could be read".to_string(),
        };
        c.skipped(PAGE_CHECKS, why.clone());
        c.skipped(ASSET_CHECKS, why);
        c.skipped(&["broken-link"], "no HTML page was read, so no links were followed");
    }
    // Plain http.
    if site.start.scheme() != "https" {
        c.not_applicable(&["hsts-missing", "mixed-content"], "the site is served over plain http");
        if !env.is_production() {
            c.not_applicable(&["https-redirect-missing"], format!("a plain-http {} site (https is required on production)", env.as_str()));
        }
    } else if let Some(Err(e)) = site.http_variant.map(|v| &v.outcome) {
        c.skipped(&["https-redirect-missing"], format!("plain http did not answer ({e})"));
    }
    // The missing-page probe. The error-page check also judges every 5xx page the crawl met:
    // when there was one, it looked even without a 404 page.
    let met_5xx = page_answers(site).any(|(_, r)| r.status >= 500);
    let error_page: &[&str] = if met_5xx { &[] } else { &["error-page-default"] };
    // (Robots, favicon and the probe are always requested from a site that answered: the
    // unreachable case returned above.)
    match site.probe.map(|p| &p.outcome) {
        None => {}
        Some(Err(e)) => {
            c.skipped(&["soft-404"], format!("the missing-page probe got no answer ({e})"));
            c.skipped(error_page, format!("the missing-page probe got no answer ({e}) and no page answered with a server error"));
        }
        Some(Ok(r)) if r.status >= 500 => {
            c.skipped(&["soft-404"], format!("a missing page answers {} (a server error), so there is no 404 page to judge", r.status));
        }
        Some(Ok(r)) if r.status != 404 && r.status != 410 => {
            c.skipped(error_page, format!("a missing page answers {}, so there is no 404 page to judge, and no page answered with a server error", r.status));
        }
        Some(Ok(_)) => {}
    }
    // www/apex × http/https.
    if site.host_variants.is_empty() {
        c.not_applicable(&["canonical-host"], "the site is addressed by IP address, localhost or a single-label name: no www/apex variants");
    } else if site.host_variants.iter().all(|v| v.outcome.is_err()) {
        c.skipped(&["canonical-host"], "none of the www/apex and http/https variants answered");
    }
    // Access control: only a refusal (401/403, a sign-in form) or a readable page says anything.
    match site.anonymous.unwrap_or(site.start_fetch).outcome.as_ref() {
        Err(e) => {
            c.skipped(&["dev-publicly-accessible"], format!("the request without credentials got no answer ({e})"));
        }
        Ok(r) if r.status >= 400 && r.status != 401 && r.status != 403 => {
            c.skipped(
                &["dev-publicly-accessible"],
                format!("the start page answers {} without credentials, which says nothing about access control", r.status_line()),
            );
        }
        Ok(_) => {}
    }
    // Subresources.
    if site.crawl.assets.is_empty() && !pages.is_empty() {
        match &site.crawl.incomplete {
            Some(why) if why.contains("assets") => c.skipped(ASSET_CHECKS, format!("no asset was loaded: {why}")),
            _ => c.not_applicable(ASSET_CHECKS, "the crawled pages use no images, scripts or stylesheets"),
        };
    } else if !site.crawl.assets.iter().any(|a| same_site(site.start, &a.url) && a.fetched.response().is_some_and(|r| r.status < 300)) && !pages.is_empty() {
        c.not_applicable(&["asset-not-cached", "asset-not-compressed"], "no static file of the site itself loaded");
    }
    // Settings that make a check meaningless.
    let expected = &site.config.expected_contacts;
    if expected.iter().all(|e| e.trim().is_empty()) {
        c.not_applicable(&["contact-missing", "contact-unexpected"], "no expected contacts");
    } else if !expected.iter().any(|e| e.contains('@') || is_phone(e.trim())) {
        c.not_applicable(&["contact-unexpected"], "no expected e-mail address or phone number to compare with");
    }
    if !pages.is_empty() {
        if !pages.iter().any(|(_, _, d)| d.forms.iter().any(|f| f.method == "post")) {
            c.not_applicable(&["form-missing-csrf"], "no POST forms on the crawled pages");
        }
        if !pages.iter().any(|(_, _, d)| d.canonical.is_some()) {
            c.not_applicable(&["canonical-tag-mismatch"], "no page has a canonical tag");
        }
        if ok_pages < 2 {
            c.not_applicable(&["title-duplicate", "meta-description-duplicate", "duplicate-content"], "only one page was crawled: nothing to compare");
        }
        let home_html = site.crawl.pages.iter().find(|p| p.depth == 0).and_then(|p| p.fetched.response()).is_some_and(|r| r.is_html());
        if !home_html {
            c.skipped(&["analytics-missing", "social-tags-missing"], "the home page is not HTML");
        }
    }
    if !site.config.old_ie {
        c.not_applicable(&["old-ie-document-mode"], "the project does not target old Internet Explorer (no old-ie viewport)");
    }
    if !site.sensitive.is_empty() && site.sensitive.iter().all(|(_, p)| p.outcome.is_err()) && site.listings.iter().all(|p| p.outcome.is_err()) {
        c.skipped(&["sensitive-file-exposed"], "none of the requests for sensitive files got an answer");
    }
    if let Some(why) = crate::exposure::host_header_unjudged(site) {
        c.skipped(&["host-header-accepted"], why);
    }
    if sign_in_wall(site) {
        c.not_applicable(PUBLIC_SITE_CHECKS, SIGN_IN_WALL);
        if probe_sent_to_sign_in(site) && site.section_probes.is_empty() {
            c.not_applicable(&["soft-404"], "a missing page sends visitors to sign in, like every page behind the login");
        }
    }
    old_url_coverage(site, &mut c);
    c.scope_to(env);
    c
}

fn old_url_coverage(site: &Site, c: &mut Coverage) {
    if site.old_urls.is_empty() {
        c.not_applicable(&["old-url-broken"], "no old URLs configured");
    } else {
        c.looked(&["old-url-broken"]);
    }
}

/// The check a failed fetch is reported under.
fn fetch_error_check(e: &FetchError) -> &'static str {
    match e {
        FetchError::Timeout(_) => "slow-response",
        FetchError::RedirectLoop(_) | FetchError::TooManyRedirects { .. } => "redirect-loop",
        FetchError::Refused(_) | FetchError::Connect(_) => "unreachable",
    }
}

/// Checks that judge the contents of HTML pages: nothing to judge without one.
const PAGE_CHECKS: &[&str] = &[
    "noindex-on-production",
    "session-page-publicly-cached",
    "error-tracking-missing",
    "social-tags-missing",
    "old-ie-document-mode",
    "insecure-sensitive-form",
    "mixed-content",
    "placeholder-text",
    "contact-missing",
    "contact-unexpected",
    "form-missing-csrf",
    "security-header-missing",
    "canonical-tag-missing",
    "canonical-tag-mismatch",
    "title-missing",
    "title-duplicate",
    "meta-description-missing",
    "meta-description-duplicate",
    "duplicate-content",
    "wrong-host-link",
    "dev-banner-missing",
    "analytics-missing",
    "insecure-cookie",
    "sandbox-credentials-on-production",
    "live-credentials-on-dev",
];
const ASSET_CHECKS: &[&str] = &["broken-asset", "asset-not-cached", "asset-not-compressed"];

pub fn run_all(site: &Site) -> Vec<Finding> {
    let mut f = Vec::new();
    fetch_problems(site, &mut f);
    if site.start_fetch.outcome.is_err() {
        // Nothing else can be judged about a site that cannot be reached.
        old_urls(site, &mut f);
        return f;
    }
    type Check = fn(&Site, &mut Vec<Finding>);
    const ALL: &[(&str, Check)] = &[
        ("server errors", server_errors_and_debug_pages),
        ("404 page", not_found_page),
        ("500 pages", server_error_pages),
        ("https", https),
        ("canonical host", canonical_host),
        ("favicon", favicon),
        ("links and assets", broken_links_and_assets),
        ("caching", asset_caching),
        ("content", content),
        ("forms", forms),
        ("security headers", security_headers),
        ("robots", robots_and_sitemap),
        ("dev access", dev_access),
        ("noindex", noindex),
        ("server software", server_software),
        ("seo", seo),
        ("analytics", analytics),
        ("old urls", old_urls),
        ("wrong hosts", wrong_hosts),
        ("credentials", credentials),
        ("dev banner", dev_banner),
        ("sensitive files", crate::exposure::sensitive_files),
        ("host header", crate::exposure::host_header),
        ("session caching", session_caching),
        ("error tracking", error_tracking),
        ("social tags", social_tags),
        ("old ie mode", old_ie_document_mode),
    ];
    // PREFLIGHT_PROFILE_CHECKS=1 prints how long each group of checks takes.
    let walled = sign_in_wall(site);
    let profile = std::env::var_os("PREFLIGHT_PROFILE_CHECKS").is_some();
    for (name, check) in ALL {
        let t = std::time::Instant::now();
        check(site, &mut f);
        if profile {
            eprintln!("check {name}: {:.1} ms", t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    if walled {
        f.retain(|x| !PUBLIC_SITE_CHECKS.contains(&x.check.as_str()));
        if probe_sent_to_sign_in(site) {
            let probe = site.probe.map(|p| p.requested.as_str());
            f.retain(|x| !(x.check == "soft-404" && Some(x.url.as_str()) == probe));
        }
    }
    f
}

/// The HTML pages read, each once: a link that redirects to a page also crawled (`/` →
/// `/login`) is the same page, not a duplicate of it.
fn html_pages<'a>(site: &'a Site) -> impl Iterator<Item = (&'a Url, &'a Response, &'a crate::html::PageData)> {
    let mut seen = std::collections::HashSet::new();
    site.crawl.pages.iter().filter_map(move |p| {
        let (r, d) = (p.fetched.response()?, p.data.as_ref()?);
        seen.insert(r.url.as_str()).then_some((&p.url, r, d))
    })
}

/// Checks about pages meant for search engines and the public, which say nothing about a web
/// app that shows visitors only its sign-in page.
const PUBLIC_SITE_CHECKS: &[&str] = &[
    "robots-missing",
    "robots-disallows-all",
    "noindex-on-production",
    "sitemap-missing",
    "canonical-tag-missing",
    "meta-description-missing",
    "social-tags-missing",
    "analytics-missing",
];
const SIGN_IN_WALL: &str = "visitors see only a sign-in page (a web app behind a login): search and public-site checks do not apply";

/// Every page a visitor can read (2xx HTML) is a sign-in (or account setup, or password
/// recovery) form: the site is an app behind a login, not a public site.
fn sign_in_wall(site: &Site) -> bool {
    let mut pages = html_pages(site).filter(|(_, r, _)| r.status < 300).peekable();
    pages.peek().is_some() && pages.all(|(_, r, d)| d.forms.iter().any(|f| f.has_password() || f.is_account_recovery(&r.url)))
}

/// Behind a login, a missing page sends visitors to sign in like every other page: that is
/// the wall, not a soft 404.
fn probe_sent_to_sign_in(site: &Site) -> bool {
    site.probe.and_then(Fetched::response).is_some_and(|r| (300..400).contains(&r.status)) && sign_in_wall(site)
}

fn fetch_error_finding(url: &str, e: &FetchError, what: &str) -> Finding {
    match e {
        FetchError::Timeout(t) => Finding::new("slow-response", url, format!("The {what} did not answer completely within {t:?}."), e.to_string()),
        FetchError::RedirectLoop(chain) => {
            Finding::new("redirect-loop", url, format!("The {what} redirects in a loop, so browsers show an error."), chain.clone())
        }
        FetchError::TooManyRedirects { chain, .. } => Finding::new("redirect-loop", url, format!("The {what} goes through too many redirects."), chain.clone()),
        FetchError::Refused(m) | FetchError::Connect(m) => Finding::new("unreachable", url, format!("The {what} could not be reached."), m.clone()),
    }
}

fn fetch_problems(site: &Site, f: &mut Vec<Finding>) {
    if let Err(e) = &site.start_fetch.outcome {
        f.push(fetch_error_finding(site.start_fetch.requested.as_str(), e, "site"));
    }
    for p in site.crawl.pages.iter().skip_while(|p| p.depth == 0 && site.start_fetch.outcome.is_err()) {
        match &p.fetched.outcome {
            Err(e) if p.depth > 0 => f.push(fetch_error_finding(p.url.as_str(), e, "page")),
            Ok(r) if r.truncated => f.push(Finding::new(
                "response-too-large",
                p.url.as_str(),
                "The page is larger than the size limit; only its beginning was checked.",
                format!("more than {} bytes", site.config.limits.max_body_bytes),
            )),
            _ => {}
        }
    }
    for a in &site.crawl.assets {
        if let Err(e @ (FetchError::Timeout(_) | FetchError::RedirectLoop(_) | FetchError::TooManyRedirects { .. })) = &a.fetched.outcome {
            f.push(fetch_error_finding(a.url.as_str(), e, a.kind.label()));
        }
    }
    if let Some(why) = &site.crawl.incomplete {
        f.push(Finding::new("crawl-incomplete", site.start.as_str(), "Not every page was checked.", why.clone()));
    }
}

/// Byte regexes in ASCII mode: they scan raw bodies without decoding them first, and their
/// automata stay small (Unicode classes made these checks the slowest part of a run).
static DEBUG_SIGNATURES: LazyLock<Vec<(&'static str, regex::bytes::Regex)>> = LazyLock::new(|| {
    // Framework-specific pages first, generic stack traces last (the first match names the page).
    // Where the markers come from: README.md ("Frameworks the debug signatures are proven on")
    // and server/engine/tests/corpus/markers/README.md.
    [
        // Django 5 writes a typographic apostrophe (U+2019, UTF-8 E2 80 99) and `<th scope="row">`.
        (
            "Django debug page (DEBUG = True)",
            r"You(?:'|\xE2\x80\x99|&#x27;|&#39;|&rsquo;)re seeing this error because you have <code>DEBUG = True</code>|<th[^>]*>Django Version:</th>",
        ),
        ("Werkzeug / Flask debugger", r"Werkzeug Debugger|The debugger caught an exception in your WSGI application"),
        // Starlette's ServerErrorMiddleware with debug=True (FastAPI's debug page is the same).
        ("Starlette / FastAPI debug page", r"<title>Starlette Debugger</title>"),
        ("Django Debug Toolbar", r#"id="djDebug"|/debug_toolbar/js/toolbar\.js"#),
        ("phpinfo() page", r"<title>PHP [0-9.]+ - phpinfo\(\)</title>"),
        // ActionDispatch::DebugExceptions (rescues/layout.erb, diagnostics.html.erb), Rails 2.3–8.1.
        ("Rails exception page", r"<title>Action Controller: Exception caught</title>|<p><code>Rails\.root: |ActionView::Template::Error"),
        // Laravel 11+'s own renderer, Ignition (Laravel 6–10), Whoops (5.x).
        (
            "Laravel / Ignition error page",
            r"window\.ignite\(window\.data\)|<!-- Hide dumps asap -->|>Exception trace</h3>|'Copied to clipboard' : 'Copy as Markdown'|PHP [0-9.]+ \xE2\x80\x94 Laravel [0-9.]+|Whoops! There was an error\.|Illuminate\\[A-Za-z\\]+Exception",
        ),
        // symfony/error-handler exception_full.html.php.
        ("Symfony exception page", r#"Symfony Exception</h1>|<div class="exception-summary|<h1 class="break-long-words exception-message"#),
        // WebProfilerBundle's toolbar (toolbar_js.html.twig).
        ("Symfony web debug toolbar", r#"<div id="sfwdt|class="sf-toolbar sf-display-none"|Sfjs\.loadToolbar\("#),
        // Spring Boot's Whitelabel page with `include-stacktrace` on (or devtools).
        ("Spring Boot error page with a stack trace", r"(?s)Whitelabel Error Page</h1>.{0,2000}<div style='white-space:pre-wrap;'>"),
        // ASP.NET Core's DeveloperExceptionPage (ErrorPage.cshtml).
        ("ASP.NET Core developer exception page", r#"<h1>An unhandled exception occurred while processing the request\.</h1>|<pre class="rawExceptionStackTrace">"#),
        // Classic ASP.NET's "yellow screen" with details (ErrorFormatter.cs); its safe
        // "Runtime Error" page has none of these.
        ("ASP.NET error page", r"<b>\s*Stack Trace:\s*</b>|<b>\s*Exception Details:\s*</b>|<b>\s*Version Information:\s*</b>"),
        ("Python traceback", r"Traceback \(most recent call last\):"),
        // PHP's display_errors: `<b>Warning</b>:  … in <b>/path</b> on line <b>4</b>`; an uncaught
        // error writes its stack trace between the message and `thrown in <b>/path</b>`.
        (
            "PHP error with file paths",
            r"<b>(?:Fatal error|Parse error|Warning|Notice|Deprecated)</b>:[^\n]* in (?:<b>)?(?:/|[A-Z]:\\)[^<\n]+(?:</b>)? on line|thrown in <b>(?:/|[A-Z]:\\)[^<]+</b> on line",
        ),
        // Java 9+ writes the module: `at java.base/java.lang.Thread.run(Thread.java:1583)`.
        ("Java stack trace", r"(?m)^\s*at (?:[\w.]+/)?(?:java|javax|jakarta|jdk|sun|org\.springframework|org\.apache)\.[\w.$]+\([\w]+\.java:\d+\)"),
        // Express's development error page writes the frames as `<br> &nbsp; &nbsp;at …`.
        (
            "Node.js stack trace",
            r"(?:^|\n|>|;)\s*at [\w.<>$]+ \((?:/|[A-Z]:\\)[^)]+\.[cm]?js:\d+:\d+\)|(?:^|\n|>|;)\s*at (?:/|[A-Z]:\\)[^ <]+\.[cm]?js:\d+:\d+",
        ),
    ]
    .into_iter()
    .map(|(n, r)| (n, regex::bytes::Regex::new(&format!("(?-u){r}")).expect("valid debug signature")))
    .collect()
});

/// All debug signatures in one automaton: one pass tells whether any matches.
static DEBUG_ANY: LazyLock<regex::bytes::RegexSet> =
    LazyLock::new(|| regex::bytes::RegexSet::new(DEBUG_SIGNATURES.iter().map(|(_, re)| re.as_str())).expect("valid debug signatures"));

/// The debug-page signature a body matches, with a snippet around it.
pub fn debug_signature(body: &[u8]) -> Option<(&'static str, String)> {
    let hits = DEBUG_ANY.matches(body);
    if !hits.matched_any() {
        return None;
    }
    hits.iter().map(|i| &DEBUG_SIGNATURES[i]).find_map(|(name, re)| {
        re.find(body).map(|m| {
            let start = m.start().saturating_sub(40);
            (*name, snippet(&String::from_utf8_lossy(&body[start..(m.end() + 120).min(body.len())]), 160))
        })
    })
}

fn server_errors_and_debug_pages(site: &Site, f: &mut Vec<Finding>) {
    let mut responses: Vec<(&Url, &Response)> = site.crawl.pages.iter().filter_map(|p| Some((&p.url, p.fetched.response()?))).collect();
    responses.extend(site.crawl.assets.iter().filter_map(|a| Some((&a.url, a.fetched.response()?))));
    responses.extend(site.probe.and_then(|p| Some((&p.requested, p.response()?))));
    responses.extend(site.section_probes.iter().filter_map(|p| Some((&p.requested, p.response()?))));
    responses.extend(site.old_urls.iter().filter_map(|p| Some((&p.requested, p.response()?))));
    let mut debug_seen = BTreeSet::new();
    for (url, r) in responses {
        if r.status >= 500 {
            f.push(Finding::new("server-error", url.as_str(), format!("The server answered with an error ({}).", r.status), r.status_line()));
        }
        if r.is_html() || r.status >= 500 {
            let debug = match &r.scan {
                Some(s) => s.debug.clone(),
                None => debug_signature(&r.body),
            };
            if let Some((name, evidence)) = debug {
                if debug_seen.insert(name) {
                    f.push(Finding::new(
                        "debug-page-exposed",
                        url.as_str(),
                        format!("A {name} is shown to visitors: it reveals code, settings and sometimes secrets."),
                        evidence,
                    ));
                }
            }
        }
    }
}

/// Framework and server default error pages (404 and 5xx), by name.
static DEFAULT_ERROR_PAGES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("nginx", r"<center>nginx[^<]*</center>"),
        ("Apache", r"<address>Apache[^<]*Server at|The server encountered an internal error or|The requested URL [^ ]+ was not found on this server"),
        ("Django", r"<h1>Server Error \(500\)</h1>|<h1>Bad Request \(400\)</h1>|<title>Page not found at /"),
        ("IIS", r"HTTP Error 404\.0 - Not Found"),
        ("ASP.NET", r"<title>Runtime Error</title>|<h2> <i>Runtime Error</i> </h2>"),
        ("Express", r"<pre>Cannot GET [^<]*</pre>"),
        // public/404.html and 500.html of a new Rails app (Rails 8.0 writes ’).
        (
            "Rails",
            r"<!-- This file lives in public/\d{3}\.html -->|The page you were looking for doesn(?:'|’)t exist\.|We(?:'|’)re sorry, but something went wrong",
        ),
        // minimal.blade.php; `items-top` is a typo class in every version from 8 to 13.
        ("Laravel", r"items-top justify-center min-h-screen"),
        ("Symfony", r"<h1>Oops! An Error Occurred</h1>"),
        ("Spring Boot", r"Whitelabel Error Page"),
        ("Caddy / Go net/http", r"^404 page not found\s*$"),
    ]
    .into_iter()
    .map(|(n, r)| (n, Regex::new(r).expect("valid error-page signature")))
    .collect()
});

/// The framework or server whose default error page this is, if it is one.
pub fn default_error_page(text: &str) -> Option<&'static str> {
    DEFAULT_ERROR_PAGES.iter().find(|(_, re)| re.is_match(text)).map(|(name, _)| *name)
}

/// The 500 pages visitors meet: every server error the crawl got (pages, old URLs, the
/// probe) is judged like the 404 page — a framework or server default, or bare, is a finding,
/// once per kind of page.
fn server_error_pages(site: &Site, f: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    for (url, r) in page_answers(site).filter(|(_, r)| r.status >= 500) {
        let text = r.text();
        if let Some(v) = ErrorPage::judge(r, &text) {
            if seen.insert(v.kind()) {
                f.push(Finding::new("error-page-default", url.as_str(), v.message(r.status), snippet(&crate::html::collapse(&text), 160)));
            }
        }
    }
}

/// The answers to page requests: crawled pages, old URLs and the missing-page probe.
fn page_answers<'a>(site: &'a Site) -> impl Iterator<Item = (&'a Url, &'a Response)> {
    site.crawl
        .pages
        .iter()
        .filter_map(|p| Some((&p.url, p.fetched.response()?)))
        .chain(site.old_urls.iter().filter_map(|p| Some((&p.requested, p.response()?))))
        .chain(site.probe.and_then(|p| Some((&p.requested, p.response()?))))
        .chain(site.section_probes.iter().filter_map(|p| Some((&p.requested, p.response()?))))
}

/// How an error page (404 or 5xx) falls short of one in the site's style.
enum ErrorPage {
    /// A framework's or server's default page, by name.
    Default(&'static str),
    /// HTML without any style sheet; its visible text.
    Unstyled(String),
    /// A short non-HTML body.
    BareText,
}

impl ErrorPage {
    fn judge(r: &Response, text: &str) -> Option<ErrorPage> {
        if let Some(name) = default_error_page(text) {
            return Some(ErrorPage::Default(name));
        }
        if r.is_html() {
            let d = crate::html::parse(&r.url, text);
            return (!d.has_stylesheet).then_some(ErrorPage::Unstyled(d.text));
        }
        (text.len() < 200).then_some(ErrorPage::BareText)
    }

    /// One finding per kind of page.
    fn kind(&self) -> String {
        match self {
            ErrorPage::Default(name) => format!("default:{name}"),
            ErrorPage::Unstyled(_) => "bare-html".into(),
            ErrorPage::BareText => "bare-text".into(),
        }
    }

    fn message(&self, status: impl std::fmt::Display) -> String {
        match self {
            ErrorPage::Default(name) => format!("The {status} page is {name}'s default page, not one in the site's style."),
            ErrorPage::Unstyled(_) => format!("The {status} page has no styling: visitors see a bare page with no way back."),
            ErrorPage::BareText => format!("The {status} page is bare text, not a page in the site's style."),
        }
    }
}

fn not_found_page(site: &Site, f: &mut Vec<Finding>) {
    // The root probe, then one unknown URL per section (`/blog/<slug>`): an unknown slug
    // must be a 404 too. Each kind of unstyled 404 page is reported once.
    let mut kinds = BTreeSet::new();
    for probe in site.probe.into_iter().chain(site.section_probes) {
        let Some(r) = probe.response() else { continue };
        let url = probe.requested.as_str();
        let section = !site.probe.is_some_and(|p| std::ptr::eq(p, probe));
        if (200..300).contains(&r.status) {
            let message = if section {
                "An unknown URL in this section answers 200 OK instead of 404: every made-up link shows a page, and search engines index them."
            } else {
                "A page that does not exist answers 200 OK instead of 404, so search engines index error pages."
            };
            f.push(Finding::new("soft-404", url, message, format!("GET {url} → {}", r.status_line())));
            continue;
        }
        if r.status != 404 && r.status != 410 {
            // A section that redirects unknown slugs to its index is a choice, not an error.
            if r.status < 500 && !section {
                f.push(Finding::new("soft-404", url, format!("A page that does not exist answers {} instead of 404.", r.status), r.status_line()));
            }
            continue;
        }
        let text = r.text();
        if let Some(v) = ErrorPage::judge(r, &text) {
            if !kinds.insert(v.kind()) {
                continue;
            }
            let evidence = match &v {
                ErrorPage::Default(_) => snippet(&crate::html::collapse(&text), 160),
                ErrorPage::Unstyled(visible) => snippet(visible, 160),
                ErrorPage::BareText => snippet(&text, 160),
            };
            f.push(Finding::new("error-page-default", url, v.message(404), evidence));
        }
    }
}

fn https(site: &Site, f: &mut Vec<Finding>) {
    let start_https = site.start.scheme() == "https";
    if !start_https && site.config.env.is_production() {
        f.push(Finding::new(
            "https-redirect-missing",
            site.start.as_str(),
            "The production site is served over plain http.",
            format!("final URL {}", site.start),
        ));
    }
    if let Some(v) = site.http_variant {
        match v.response() {
            Some(r) if matches!(r.status, 301 | 302 | 303 | 307 | 308) => {
                let loc = r.header("location").unwrap_or("");
                let target = v.requested.join(loc).ok();
                if target.as_ref().is_none_or(|t| t.scheme() != "https") {
                    f.push(Finding::new(
                        "https-redirect-missing",
                        v.requested.as_str(),
                        "Plain http redirects, but not to https.",
                        format!("{} → {loc}", r.status),
                    ));
                }
            }
            Some(r) if r.status < 400 => f.push(Finding::new(
                "https-redirect-missing",
                v.requested.as_str(),
                "Plain http serves the site instead of redirecting to https.",
                r.status_line(),
            )),
            _ => {}
        }
    }
    if start_https {
        if let Some(r) = site.start_fetch.response() {
            match r.header("strict-transport-security") {
                None => f.push(Finding::new(
                    "hsts-missing",
                    site.start.as_str(),
                    "HTTPS pages do not send Strict-Transport-Security, so browsers may still try plain http.",
                    "no Strict-Transport-Security header",
                )),
                Some(h) => {
                    let max_age =
                        h.split(';').find_map(|p| p.trim().strip_prefix("max-age=")).and_then(|v| v.trim_matches('"').parse::<u64>().ok()).unwrap_or(0);
                    if max_age < 15_552_000 {
                        f.push(
                            Finding::new(
                                "hsts-missing",
                                site.start.as_str(),
                                "Strict-Transport-Security is set with a short max-age (less than 180 days).",
                                format!("Strict-Transport-Security: {h}"),
                            )
                            .with_severity(Severity::Info),
                        );
                    }
                }
            }
        }
    }
    for (url, r, d) in html_pages(site) {
        let page_https = r.url.scheme() == "https";
        for form in &d.forms {
            let sensitive = form.has_password()
                || ["login", "signin", "sign-in", "admin", "password", "checkout", "payment"]
                    .iter()
                    .any(|w| form.action.path().to_ascii_lowercase().contains(w));
            if sensitive && (!page_https || form.action.scheme() != "https") {
                let sev = if site.config.env.is_production() { Severity::Error } else { Severity::Warning };
                f.push(
                    Finding::new(
                        "insecure-sensitive-form",
                        url.as_str(),
                        "A login, admin or password form is served or submitted over plain http: passwords travel readable.",
                        format!("<form method={} action={}> on {}", form.method, form.action, r.url),
                    )
                    .with_severity(sev),
                );
            }
        }
        if page_https {
            for refr in d.insecure_refs.iter().take(3) {
                f.push(Finding::new("mixed-content", url.as_str(), "An https page loads a resource over plain http; browsers block it or warn.", refr.clone()));
            }
        }
    }
    // Session cookies.
    let mut seen = BTreeSet::new();
    for p in &site.crawl.pages {
        let Some(r) = p.fetched.response() else {
            continue;
        };
        for c in r.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let name = c.split('=').next().unwrap_or("").trim().to_string();
            let lower = c.to_ascii_lowercase();
            let session_like = ["sess", "sid", "auth", "token", "login", "remember"].iter().any(|w| name.to_ascii_lowercase().contains(w));
            if !session_like || !seen.insert(name.clone()) {
                continue;
            }
            let attrs: Vec<String> = lower.split(';').skip(1).map(|a| a.trim().to_string()).collect();
            let mut missing = Vec::new();
            if r.url.scheme() == "https" && !attrs.iter().any(|a| a == "secure") {
                missing.push("Secure");
            }
            if !attrs.iter().any(|a| a == "httponly") {
                missing.push("HttpOnly");
            }
            if !attrs.iter().any(|a| a.starts_with("samesite")) {
                missing.push("SameSite");
            }
            if !missing.is_empty() {
                f.push(Finding::new(
                    "insecure-cookie",
                    p.url.as_str(),
                    format!("The cookie {name} lacks {}.", missing.join(", ")),
                    format!("Set-Cookie: {}", snippet(c, 120)),
                ));
            }
        }
    }
}

fn canonical_host(site: &Site, f: &mut Vec<Finding>) {
    let canonical_host = site.start.host_str().unwrap_or("");
    for v in site.host_variants {
        let url = v.requested.as_str();
        let same_as_canonical = v.requested.host_str() == Some(canonical_host) && v.requested.scheme() == site.start.scheme();
        if same_as_canonical {
            continue;
        }
        match &v.outcome {
            Err(_) => {} // an unreachable variant (e.g. no https on a dev box) is not this check's business
            Ok(r) if matches!(r.status, 301 | 308) => {
                let loc = r.header("location").unwrap_or("");
                let target = v.requested.join(loc).ok();
                let ok = target.as_ref().is_some_and(|t| t.host_str() == Some(canonical_host) && t.scheme() == site.start.scheme());
                if !ok {
                    f.push(Finding::new(
                        "canonical-host",
                        url,
                        format!("{url} redirects, but not straight to the canonical {}://{canonical_host} — it takes more than one hop.", site.start.scheme()),
                        format!("{} → {loc}", r.status),
                    ));
                }
            }
            Ok(r) if matches!(r.status, 302 | 303 | 307) => f.push(Finding::new(
                "canonical-host",
                url,
                "A temporary redirect is used where a permanent one (301) keeps search rankings.",
                format!("{} → {}", r.status, r.header("location").unwrap_or("")),
            )),
            Ok(r) if r.status < 400 => f.push(Finding::new(
                "canonical-host",
                url,
                format!("The site also answers at {url} instead of redirecting to one domain: duplicate content for search engines."),
                r.status_line(),
            )),
            Ok(_) => {}
        }
    }
}

fn favicon(site: &Site, f: &mut Vec<Finding>) {
    let declared: Vec<&crate::crawl::Asset> = site.crawl.assets.iter().filter(|a| a.kind == AssetKind::Icon).collect();
    let declared_ok = declared.iter().any(|a| a.fetched.response().is_some_and(|r| r.status < 400 && !r.body.is_empty()));
    let root_ok = site.favicon.and_then(Fetched::response).is_some_and(|r| r.status < 400 && !r.body.is_empty() && !r.is_html());
    if !declared_ok && !root_ok {
        let evidence = match site.favicon.and_then(Fetched::response) {
            Some(r) => format!("/favicon.ico → {}", r.status_line()),
            None => "/favicon.ico could not be fetched".into(),
        };
        f.push(Finding::new("favicon-missing", site.start.as_str(), "The site has no favicon: tabs and bookmarks show a blank icon.", evidence));
    }
}

fn broken_links_and_assets(site: &Site, f: &mut Vec<Finding>) {
    let by_url: HashMap<&str, &crate::crawl::Page> = site.crawl.pages.iter().map(|p| (p.url.as_str(), p)).collect();
    for (target, from) in &site.crawl.linked_from {
        let Some(page) = by_url.get(target.as_str()) else {
            continue;
        };
        let problem = match &page.fetched.outcome {
            Ok(r) if r.status >= 400 => Some(r.status_line()),
            Err(FetchError::Connect(m)) | Err(FetchError::Refused(m)) => Some(m.clone()),
            _ => None,
        };
        if let Some(p) = problem {
            let mut refs: Vec<String> = from.iter().map(|u| u.to_string()).collect();
            refs.dedup();
            f.push(Finding::new(
                "broken-link",
                target.as_str(),
                format!("A link on the site leads to a broken page ({p})."),
                format!("linked from {}", refs.into_iter().take(3).collect::<Vec<_>>().join(", ")),
            ));
        }
    }
    for a in &site.crawl.assets {
        let problem = match &a.fetched.outcome {
            Ok(r) if r.status >= 400 => Some(r.status_line()),
            Err(FetchError::Connect(m)) | Err(FetchError::Refused(m)) => Some(m.clone()),
            _ => None,
        };
        if let Some(p) = problem {
            let what = a.kind.label();
            f.push(Finding::new(
                "broken-asset",
                a.url.as_str(),
                format!("A broken {what} ({p})."),
                format!("used on {}", a.used_on.iter().take(3).map(|u| u.to_string()).collect::<Vec<_>>().join(", ")),
            ));
        }
    }
}

fn max_age(cc: &str) -> Option<u64> {
    cc.split(',').find_map(|p| p.trim().to_ascii_lowercase().strip_prefix("max-age=").and_then(|v| v.trim_matches('"').parse().ok()))
}

fn asset_caching(site: &Site, f: &mut Vec<Finding>) {
    let (mut uncached, mut uncompressed) = (Vec::new(), Vec::new());
    for a in site.crawl.assets.iter().filter(|a| same_site(site.start, &a.url)) {
        let Some(r) = a.fetched.response() else {
            continue;
        };
        if r.status >= 300 {
            continue;
        }
        let cc = r.header("cache-control").unwrap_or("");
        let cached = max_age(cc).is_some_and(|s| s > 0) || (r.header("expires").is_some() && !cc.contains("no-cache") && !cc.contains("no-store"));
        if !cached {
            uncached.push((a.url.clone(), if cc.is_empty() { "no Cache-Control or Expires".to_string() } else { format!("Cache-Control: {cc}") }));
        }
        let ct = r.content_type();
        let texty = matches!(a.kind, AssetKind::Script | AssetKind::Stylesheet) || ct.contains("svg") || ct.starts_with("text/");
        if texty && r.wire_bytes > 1024 && r.content_encoding.is_none() {
            uncompressed.push((a.url.clone(), format!("{} bytes, no Content-Encoding", r.wire_bytes)));
        }
    }
    for (url, ev) in uncached.iter().take(20) {
        f.push(Finding::new("asset-not-cached", url.as_str(), "A static file has no caching headers, so every visit downloads it again.", ev.clone()));
    }
    if uncached.len() > 20 {
        f.push(Finding::new(
            "asset-not-cached",
            site.start.as_str(),
            format!("{} more static files have no caching headers.", uncached.len() - 20),
            String::new(),
        ));
    }
    for (url, ev) in uncompressed.iter().take(20) {
        f.push(Finding::new(
            "asset-not-compressed",
            url.as_str(),
            "A text file is served uncompressed; gzip or brotli would make it several times smaller.",
            ev.clone(),
        ));
    }
}

static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:lorem ipsum|dolor sit amet|TODO|TBD|FIXME|placeholder text|coming soon)(?-u:\b)|\[insert [^\]]*\]").expect("valid")
});
/// Image services that serve stand-in pictures while the real ones are being made.
static PLACEHOLDER_IMAGE_HOSTS: &[&str] = &[
    "placehold.co",
    "placehold.it",
    "placeholder.com",
    "via.placeholder.com",
    "picsum.photos",
    "dummyimage.com",
    "placekitten.com",
    "loremflickr.com",
    "fakeimg.pl",
    "placeimg.com",
];
/// Addresses written to fool harvesters: `info [at] example [dot] com`, `info(at)example.com`.
static OBFUSCATED_EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([a-z0-9._%+-]+)\s*(?:\[at\]|\(at\)|\{at\}|\[@\]|\(@\))\s*([a-z0-9-]+(?:(?:\s*(?:\[dot\]|\(dot\)|\{dot\})\s*|\.)[a-z0-9-]+)+)\b")
        .expect("valid")
});
static DOT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\s*(?:\[dot\]|\(dot\)|\{dot\})\s*").expect("valid"));

/// The addresses in a page's text, obfuscated ones read back.
fn emails_in(text: &str) -> impl Iterator<Item = String> + '_ {
    EMAIL
        .find_iter(text)
        .map(|m| m.as_str().to_string())
        .chain(OBFUSCATED_EMAIL.captures_iter(text).map(|c| format!("{}@{}", &c[1], DOT.replace_all(&c[2], "."))))
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i-u)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b").expect("valid"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?-u)(?:\+|\b)[0-9][0-9 ().-]{6,}[0-9]\b").expect("valid"));

/// Digits of a phone number, for comparing different spellings.
pub fn phone_digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A phone number as libphonenumber reads it (country code, national number): written
/// internationally (`+44 117 496 0123`, `tel:+441174960123`), or nationally in the project's
/// region (`0117 496 0123` with region GB).
fn parse_phone(s: &str, region: Option<&str>) -> Option<(u16, u64)> {
    let id = region.and_then(|r| r.trim().to_ascii_uppercase().parse::<phonenumber::country::Id>().ok());
    let n = phonenumber::parse(id, s.trim()).ok()?;
    Some((n.code().value(), n.national().value()))
}

/// Is `region` a region libphonenumber knows (ISO 3166 alpha-2: GB, US, DE…)?
pub fn is_phone_region(region: &str) -> bool {
    region.len() == 2 && region.to_ascii_uppercase().parse::<phonenumber::country::Id>().is_ok()
}

/// Two phone numbers are the same number: compared by libphonenumber when it can read both
/// (national numbers need the project's region), else by digits — one's digits ending with
/// the other's national number, "0117 496 0123" = "+44 117 496 0123", at least seven agreeing.
pub fn same_phone(a: &str, b: &str, region: Option<&str>) -> bool {
    if let (Some(x), Some(y)) = (parse_phone(a, region), parse_phone(b, region)) {
        return x == y;
    }
    let (a, b) = (phone_digits(a), phone_digits(b));
    let (na, nb) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    let (short, long) = if na.len() <= nb.len() { (na, nb) } else { (nb, na) };
    short.len() >= 7 && long.ends_with(short)
}

fn is_phone(s: &str) -> bool {
    let d = phone_digits(s);
    (7..=15).contains(&d.len()) && !s.contains("..") && s.chars().filter(|c| *c == '.').count() < 2
}

fn content(site: &Site, f: &mut Vec<Finding>) {
    let region = site.config.phone_region.as_deref();
    let mut found_emails: BTreeMap<String, Url> = BTreeMap::new();
    let mut found_phones: BTreeMap<String, (String, Url)> = BTreeMap::new();
    for (url, _r, d) in html_pages(site) {
        if let Some(m) = PLACEHOLDER.find(&d.text) {
            let start = d.text[..m.start()].char_indices().rev().nth(40).map(|(i, _)| i).unwrap_or(0);
            f.push(Finding::new(
                "placeholder-text",
                url.as_str(),
                format!("Placeholder text \"{}\" is on the page.", m.as_str()),
                snippet(&d.text[start..], 120),
            ));
        }
        let placeholder_image = d
            .assets
            .iter()
            .find(|(k, u)| *k == AssetKind::Image && u.host_str().is_some_and(|h| PLACEHOLDER_IMAGE_HOSTS.contains(&h.trim_start_matches("www."))));
        if let Some((_, img)) = placeholder_image {
            f.push(Finding::new(
                "placeholder-text",
                url.as_str(),
                format!("A placeholder image from {} is on the page.", img.host_str().unwrap_or_default()),
                img.to_string(),
            ));
        }
        for e in emails_in(&d.text).chain(d.mailto.iter().cloned()) {
            found_emails.entry(e.to_ascii_lowercase()).or_insert_with(|| url.clone());
        }
        for p in PHONE.find_iter(&d.text).map(|m| m.as_str().to_string()).filter(|p| is_phone(p)).chain(d.tel.iter().cloned()) {
            let key = parse_phone(&p, region).map(|(c, n)| format!("+{c}{n}")).unwrap_or_else(|| phone_digits(&p));
            found_phones.entry(key).or_insert_with(|| (p.trim().to_string(), url.clone()));
        }
    }
    let expected = &site.config.expected_contacts;
    if expected.is_empty() {
        return;
    }
    let exp_emails: Vec<String> = expected.iter().filter(|c| c.contains('@')).map(|c| c.trim().to_ascii_lowercase()).collect();
    let exp_phones: Vec<&String> = expected.iter().filter(|c| !c.contains('@') && is_phone(c)).collect();
    // Text (a postal address line) is compared as words: case, punctuation and line breaks
    // do not matter ("1 Garden Road, Springfield" matches "1 Garden Road<br>Springfield").
    let words = |s: &str| s.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    // Looked for page by page (one page's words at a time, not the whole site's text at once).
    let texts: Vec<String> = expected.iter().map(|c| c.trim()).filter(|c| !c.contains('@') && !is_phone(c)).map(|c| format!(" {} ", words(c))).collect();
    let mut texts_found = vec![false; texts.len()];
    for (_, _, d) in html_pages(site) {
        if texts_found.iter().all(|f| *f) {
            break;
        }
        let page = format!(" {} ", words(&d.text));
        for (t, found) in texts.iter().zip(texts_found.iter_mut()) {
            *found = *found || page.contains(t.as_str());
        }
    }
    for c in expected {
        let c_trim = c.trim();
        let present = if c_trim.contains('@') {
            found_emails.contains_key(&c_trim.to_ascii_lowercase())
        } else if is_phone(c_trim) {
            found_phones.values().any(|(shown, _)| same_phone(shown, c_trim, region))
        } else {
            let key = format!(" {} ", words(c_trim));
            texts.iter().zip(&texts_found).any(|(t, found)| *found && *t == key)
        };
        if !present {
            f.push(Finding::new(
                "contact-missing",
                site.start.as_str(),
                format!("The expected contact detail \"{c_trim}\" appears on no page."),
                format!("searched {} page(s)", site.crawl.pages.len()),
            ));
        }
    }
    if !exp_emails.is_empty() {
        for (e, url) in &found_emails {
            if !exp_emails.contains(e) {
                f.push(Finding::new(
                    "contact-unexpected",
                    url.as_str(),
                    format!("The e-mail address {e} is on the site but not among the expected contacts."),
                    e.clone(),
                ));
            }
        }
    }
    if !exp_phones.is_empty() {
        for (shown, url) in found_phones.values() {
            let known = exp_phones.iter().any(|x| same_phone(x, shown, region));
            if !known {
                f.push(Finding::new(
                    "contact-unexpected",
                    url.as_str(),
                    format!("The phone number {shown} is on the site but not among the expected contacts."),
                    shown.clone(),
                ));
            }
        }
    }
}

/// The hidden field named like a CSRF token (Django, Rails, Laravel, ASP.NET, Magento,
/// Drupal, WordPress…), if the form has one.
pub fn csrf_token_field(form: &crate::html::FormInfo) -> Option<&str> {
    const TOKEN_NAMES: &[&str] =
        &["csrf", "xsrf", "_token", "authenticity_token", "csrfmiddlewaretoken", "__requestverificationtoken", "nonce", "form_key", "form_build_id"];
    form.fields.iter().find(|(n, t)| t == "hidden" && TOKEN_NAMES.iter().any(|k| n.to_ascii_lowercase().contains(k))).map(|(n, _)| n.as_str())
}

pub fn has_csrf_token(form: &crate::html::FormInfo) -> bool {
    csrf_token_field(form).is_some()
}

fn forms(site: &Site, f: &mut Vec<Finding>) {
    // Sign-in forms whose server refused a cross-site POST are protected without a token.
    let refuses_cross_site = |action: &Url| site.cross_site_posts.iter().any(|p| &p.requested == action && p.response().is_some_and(|r| r.status == 403));
    for (url, _r, d) in html_pages(site) {
        for form in d.forms.iter().filter(|f| f.method == "post") {
            if !has_csrf_token(form) && same_site(site.start, &form.action) && !refuses_cross_site(&form.action) {
                f.push(Finding::new(
                    "form-missing-csrf",
                    url.as_str(),
                    "A POST form carries no CSRF token; another site could submit it on a visitor's behalf.",
                    format!(
                        "<form method=post action={}> fields: {}",
                        form.action,
                        form.fields.iter().map(|(n, _)| n.as_str()).filter(|n| !n.is_empty()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
    }
}

fn security_headers(site: &Site, f: &mut Vec<Finding>) {
    let Some((url, r, _)) = html_pages(site).next() else {
        return;
    };
    let csp = r.header("content-security-policy").unwrap_or("");
    let mut missing = Vec::new();
    if !r.header("x-content-type-options").is_some_and(|v| v.eq_ignore_ascii_case("nosniff")) {
        missing.push("X-Content-Type-Options: nosniff");
    }
    if r.header("x-frame-options").is_none() && !csp.contains("frame-ancestors") {
        missing.push("X-Frame-Options or CSP frame-ancestors");
    }
    if r.header("referrer-policy").is_none() {
        missing.push("Referrer-Policy");
    }
    for m in missing {
        f.push(Finding::new("security-header-missing", url.as_str(), format!("The response lacks {m}."), format!("headers of {}", r.url)));
    }
}

/// Whether robots.txt disallows everything for all user agents.
pub fn robots_disallows_all(txt: &str) -> bool {
    let mut applies = false;
    let mut in_group_header = false;
    for line in txt.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        match k.as_str() {
            "user-agent" => {
                if !in_group_header {
                    applies = false;
                }
                in_group_header = true;
                if v == "*" {
                    applies = true;
                }
            }
            "disallow" => {
                in_group_header = false;
                if applies && v == "/" {
                    return true;
                }
            }
            _ => in_group_header = false,
        }
    }
    false
}

/// A dev or staging site should not open for anyone who finds its address: the talk's "If
/// possible, control access". The anonymous answer decides: 401/403, or a sign-in form, is
/// controlled; a page anyone can read is not.
fn dev_access(site: &Site, f: &mut Vec<Finding>) {
    if site.config.env.is_production() {
        return;
    }
    let fetched = site.anonymous.unwrap_or(site.start_fetch);
    let Some(r) = fetched.response() else { return };
    let body = String::from_utf8_lossy(&r.body).to_ascii_lowercase();
    let sign_in = r.is_html() && body.contains("type=\"password\"") || body.contains("type=password");
    if r.status < 400 && !sign_in {
        f.push(Finding::new(
            "dev-publicly-accessible",
            r.url.as_str(),
            format!(
                "The {} site answers anyone who asks, without a password: put it behind HTTP basic authentication or an IP allow-list.",
                site.config.env.as_str()
            ),
            format!("{} without credentials", r.status_line()),
        ));
    }
}

/// Development servers by their `Server` header: Django's runserver (`WSGIServer/… CPython/…`),
/// Werkzeug's, Python's http.server, Twisted's.
static DEV_SERVER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:WSGIServer/|Werkzeug/|SimpleHTTP/|BaseHTTP/|TwistedWeb/|webpack-dev-server|vite)").expect("valid"));
/// Development clients in a page: Vite's and webpack's hot reloading.
static DEV_CLIENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"/@vite/client|webpack-dev-server|__webpack_hmr|/sockjs-node/").expect("valid"));
/// A software name with a version number (`nginx/1.22.1`, `PHP/8.2.7`, `Werkzeug/3.1.9`).
static VERSIONED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z][\w.+-]*/\d+(?:\.\d+)+").expect("valid"));

/// "We use Nginx + Gunicorn": production answered by a development server (or serving a dev
/// client), and headers that tell attackers which versions to look up.
fn server_software(site: &Site, f: &mut Vec<Finding>) {
    let responses: Vec<(&Url, &Response)> = site
        .start_fetch
        .response()
        .map(|r| (&r.url, r))
        .into_iter()
        .chain(site.crawl.pages.iter().filter_map(|p| Some((&p.url, p.fetched.response()?))))
        .collect();
    let header = |r: &Response, name: &str| r.headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect::<Vec<_>>();
    if site.config.env.is_production() {
        // PHP's built-in server (`php -S`) sends no Server header but echoes the request's
        // Host back as a response header, which no production server does.
        let php_builtin = |r: &Response| {
            let host = r.header("host")?;
            header(r, "x-powered-by")
                .iter()
                .any(|p| p.starts_with("PHP"))
                .then(|| format!("Host: {host} sent back as a response header (PHP's built-in server)"))
        };
        let by_header = responses.iter().find_map(|(u, r)| {
            header(r, "server").into_iter().find(|s| DEV_SERVER.is_match(s)).map(|s| format!("Server: {s}")).or_else(|| php_builtin(r)).map(|e| (*u, e))
        });
        let by_page = || {
            responses
                .iter()
                .find_map(|(u, r)| r.is_html().then(|| scan_of(site.config, r).dev_client.clone().map(|m| (*u, format!("the page loads {m}")))).flatten())
        };
        if let Some((url, evidence)) = by_header.or_else(by_page) {
            f.push(Finding::new(
                "dev-server-in-production",
                url.as_str(),
                "Production is served by a development server: it is slow, single-threaded and not hardened. Put a production server (Gunicorn, uWSGI, a built bundle behind nginx…) in front.",
                evidence,
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for (url, r) in &responses {
        for (name, shown) in
            [("server", "Server"), ("x-powered-by", "X-Powered-By"), ("x-aspnet-version", "X-AspNet-Version"), ("x-aspnetmvc-version", "X-AspNetMvc-Version")]
        {
            for value in header(r, name) {
                let versioned = VERSIONED.is_match(&value) || (name.starts_with("x-aspnet") && value.chars().any(|c| c.is_ascii_digit()));
                if versioned && seen.insert(format!("{shown}: {value}")) && seen.len() <= 3 {
                    f.push(Finding::new(
                        "server-version-disclosed",
                        url.as_str(),
                        format!("The {shown} header names software versions, which tells attackers which known flaws to try."),
                        format!("{shown}: {value}"),
                    ));
                }
            }
        }
    }
}

/// A page that asks search engines not to index it: `<meta name="robots|googlebot"
/// content="noindex">` (or `none`), or an `X-Robots-Tag` header saying so.
fn says_noindex(r: &Response, d: &crate::html::PageData) -> bool {
    let noindex = |v: &str| {
        let v = v.to_ascii_lowercase();
        v.contains("noindex") || v.split([',', ' ', ':']).any(|t| t.trim() == "none")
    };
    r.headers.get_all("x-robots-tag").iter().filter_map(|v| v.to_str().ok()).any(noindex) || d.robots_meta.as_deref().is_some_and(noindex)
}

/// The launch disaster of a staging setting carried over: production pages that tell search
/// engines to stay away. (On dev and staging the same markers are the wanted protection.)
fn noindex(site: &Site, f: &mut Vec<Finding>) {
    if !site.config.env.is_production() {
        return;
    }
    let pages: Vec<&Url> = html_pages(site).filter(|(_, r, d)| r.status < 300 && says_noindex(r, d)).map(|(u, _, _)| u).collect();
    if let Some(first) = pages.first() {
        f.push(Finding::new(
            "noindex-on-production",
            first.as_str(),
            format!("{} production page(s) tell search engines not to index them (noindex): they will drop out of search results.", pages.len()),
            pages.iter().take(5).map(|u| u.to_string()).collect::<Vec<_>>().join(", "),
        ));
    }
}

fn robots_and_sitemap(site: &Site, f: &mut Vec<Finding>) {
    let robots_url = site.start.join("/robots.txt").map(|u| u.to_string()).unwrap_or_default();
    let robots = site.robots.and_then(Fetched::response).filter(|r| r.status < 400);
    let env = site.config.env;
    // On dev and staging, noindex on every page protects as well as a disallow-all robots.txt.
    let ok_pages: Vec<(&Response, &crate::html::PageData)> = html_pages(site).filter(|(_, r, _)| r.status < 300).map(|(_, r, d)| (r, d)).collect();
    let all_noindex = !ok_pages.is_empty() && ok_pages.iter().all(|(r, d)| says_noindex(r, d));
    match robots {
        None => {
            if env.is_production() {
                f.push(Finding::new(
                    "robots-missing",
                    robots_url.clone(),
                    "There is no robots.txt.",
                    site.robots.and_then(Fetched::response).map(|r| r.status_line()).unwrap_or_else(|| "not reachable".into()),
                ));
            } else if !all_noindex {
                f.push(Finding::new(
                    "robots-allows-indexing-on-dev",
                    robots_url.clone(),
                    format!("The {} site has no robots.txt disallowing everything, so search engines may index it.", env.as_str()),
                    "no robots.txt",
                ));
            }
        }
        Some(r) => {
            let all = robots_disallows_all(&r.text());
            if env.is_production() && all {
                f.push(Finding::new(
                    "robots-disallows-all",
                    robots_url.clone(),
                    "robots.txt tells search engines to stay away from the whole production site.",
                    "User-agent: * / Disallow: /",
                ));
            }
            if !env.is_production() && !all && !all_noindex {
                f.push(Finding::new(
                    "robots-allows-indexing-on-dev",
                    robots_url.clone(),
                    format!("The {} site's robots.txt does not disallow everything.", env.as_str()),
                    snippet(&r.text(), 120),
                ));
            }
        }
    }
    if env.is_production() {
        // A sign-in page or a catch-all HTML page answering 200 at /sitemap.xml is no sitemap:
        // only an XML document with <urlset> or <sitemapindex> counts.
        let answer = site.sitemap.and_then(Fetched::response);
        let sitemap_ok = answer.is_some_and(|r| r.status < 300 && is_sitemap(&r.body));
        let declared = robots.is_some_and(|r| r.text().lines().any(|l| l.trim().to_ascii_lowercase().starts_with("sitemap:")));
        if !sitemap_ok && !declared {
            let evidence = match answer {
                Some(r) if r.status < 300 => format!(
                    "/sitemap.xml answers {} ({}) with no <urlset> or <sitemapindex>, and robots.txt names no sitemap",
                    r.status_line(),
                    if r.content_type().is_empty() { "no content type".to_string() } else { r.content_type() }
                ),
                _ => "/sitemap.xml not found and none named in robots.txt".to_string(),
            };
            f.push(Finding::new(
                "sitemap-missing",
                site.start.join("/sitemap.xml").map(|u| u.to_string()).unwrap_or_default(),
                "There is no sitemap.xml to tell search engines about every page.",
                evidence,
            ));
        }
    }
}

/// An XML sitemap or sitemap index (the sitemaps.org protocol's root elements).
pub(crate) fn is_sitemap(body: &[u8]) -> bool {
    let head = &body[..body.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head);
    text.contains("<urlset") || text.contains("<sitemapindex") || text.contains(":urlset") || text.contains(":sitemapindex")
}

fn seo(site: &Site, f: &mut Vec<Finding>) {
    let prod = site.config.env.is_production();
    let mut titles: BTreeMap<String, Vec<&Url>> = BTreeMap::new();
    let mut descriptions: BTreeMap<String, Vec<&Url>> = BTreeMap::new();
    let mut bodies: BTreeMap<u64, Vec<(&Url, Option<&Url>)>> = BTreeMap::new();
    for (url, r, d) in html_pages(site) {
        if r.status >= 300 {
            continue;
        }
        match &d.title {
            None => f.push(Finding::new("title-missing", url.as_str(), "The page has no <title>.", String::new())),
            Some(t) => titles.entry(t.clone()).or_default().push(url),
        }
        match &d.meta_description {
            None if prod => {
                f.push(Finding::new("meta-description-missing", url.as_str(), "The page has no meta description for search results.", String::new()))
            }
            None => {}
            Some(m) => descriptions.entry(m.clone()).or_default().push(url),
        }
        match &d.canonical {
            None if prod => f.push(Finding::new("canonical-tag-missing", url.as_str(), "The page has no canonical tag.", String::new())),
            None => {}
            Some(c) if c.host_str() != site.start.host_str() || c.scheme() != site.start.scheme() => f.push(Finding::new(
                "canonical-tag-mismatch",
                url.as_str(),
                "The canonical tag points at another host or scheme than the site's.",
                format!("<link rel=canonical href={c}>"),
            )),
            Some(_) => {}
        }
        if !d.text.is_empty() {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            d.text.hash(&mut h);
            bodies.entry(h.finish()).or_default().push((url, d.canonical.as_ref()));
        }
    }
    for (t, urls) in titles.iter().filter(|(_, u)| u.len() > 1) {
        f.push(Finding::new(
            "title-duplicate",
            urls[0].as_str(),
            format!("{} pages share the title \"{t}\".", urls.len()),
            urls.iter().take(5).map(|u| u.to_string()).collect::<Vec<_>>().join(", "),
        ));
    }
    for (t, urls) in descriptions.iter().filter(|(_, u)| u.len() > 1) {
        f.push(Finding::new(
            "meta-description-duplicate",
            urls[0].as_str(),
            format!("{} pages share the meta description \"{}\".", urls.len(), snippet(t, 60)),
            urls.iter().take(5).map(|u| u.to_string()).collect::<Vec<_>>().join(", "),
        ));
    }
    for group in bodies.values().filter(|g| g.len() > 1) {
        // Fine when all copies name one canonical URL.
        let canonicals: BTreeSet<Option<&str>> = group.iter().map(|(_, c)| c.map(|c| c.as_str())).collect();
        if canonicals.len() == 1 && canonicals.iter().next().is_some_and(Option::is_some) {
            continue;
        }
        f.push(Finding::new(
            "duplicate-content",
            group[0].0.as_str(),
            format!("The same content is served at {} URLs without a canonical tag naming one of them.", group.len()),
            group.iter().take(5).map(|(u, _)| u.to_string()).collect::<Vec<_>>().join(", "),
        ));
    }
}

static ANALYTICS: LazyLock<Regex> = LazyLock::new(|| {
    // Vendors' documented snippets, including self-hosted and proxied forms: Plausible's
    // `data-domain` with a renamed script, Matomo's `_paq`, Umami's `data-website-id`, Fathom's
    // `data-site`, Cloudflare's beacon, Pirsch, Simple Analytics, PostHog, Clarity, Segment.
    Regex::new(
        r#"(?i)googletagmanager\.com|google-analytics\.com|gtag\(|ga\('create'|plausible\.io|/plausible[\w.-]*\.js|<script[^>]+data-domain=|/matomo\.js|/piwik\.js|_paq\.push|usefathom\.com|<script[^>]+data-site="[A-Z]{5,}"|umami\.is|data-website-id|static\.cloudflareinsights\.com|data-cf-beacon|clarity\.ms|cdn\.segment\.com|analytics\.js|simpleanalytics|pirsch\.io|posthog\.init|posthog\.com"#,
    )
    .expect("valid")
});

/// Does this HTML carry an analytics vendor's snippet (for the browser stage, which then
/// looks for the vendor's collector request or global)?
pub fn has_analytics_tag(html: &str) -> bool {
    ANALYTICS.is_match(html)
}

fn analytics(site: &Site, f: &mut Vec<Finding>) {
    if !site.config.env.is_production() {
        return;
    }
    let Some(p) = site.crawl.pages.iter().find(|p| p.depth == 0) else {
        return;
    };
    let Some(r) = p.fetched.response() else {
        return;
    };
    // The project's own ids: on every production page, not just some tag.
    for (n, id) in site.config.analytics_ids.iter().enumerate().filter(|(_, i)| !i.trim().is_empty()) {
        let id = id.trim();
        let lacking: Vec<&Url> = html_pages(site)
            .filter(|(_, r, _)| r.status < 300)
            .filter(|(_, r, _)| !scan_of(site.config, r).analytics_ids.get(n).copied().unwrap_or(false))
            .map(|(u, _, _)| u)
            .collect();
        if let Some(first) = lacking.first() {
            f.push(Finding::new(
                "analytics-missing",
                first.as_str(),
                format!("{} production page(s) do not carry the expected analytics id {id}: their visits will not be counted.", lacking.len()),
                lacking.iter().take(5).map(|u| u.to_string()).collect::<Vec<_>>().join(", "),
            ));
        }
    }
    if r.is_html() && !scan_of(site.config, r).analytics {
        f.push(Finding::new(
            "analytics-missing",
            p.url.as_str(),
            "The home page carries no analytics tag, so launch traffic will not be measured.",
            "no Google Analytics/Tag Manager, Plausible, Matomo, Fathom, Umami or similar snippet",
        ));
    }
}

fn old_urls(site: &Site, f: &mut Vec<Finding>) {
    for o in site.old_urls {
        match &o.outcome {
            Ok(r) if r.status == 404 || r.status == 410 => f.push(Finding::new(
                "old-url-broken",
                o.requested.as_str(),
                "A URL of the old site now answers 404; it should redirect to its new home to keep its search ranking.",
                if o.hops.is_empty() { r.status_line() } else { o.chain() },
            )),
            Ok(r) if r.status >= 400 => {
                f.push(Finding::new("old-url-broken", o.requested.as_str(), format!("A URL of the old site now answers {}.", r.status), o.chain()))
            }
            Err(e) => f.push(Finding::new("old-url-broken", o.requested.as_str(), "A URL of the old site cannot be reached.", e.to_string())),
            _ => {}
        }
    }
}

static BAD_HOSTS: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new(r#"(?i-u)(?:https?:)?//((?:[a-z0-9-]+\.)*example\.(?:com|org|net)|localhost|127\.0\.0\.1|0\.0\.0\.0|[a-z0-9.-]+\.(?:local|test|invalid|localhost))(?::\d+)?[/"'\s>]"#).expect("valid")
});

fn wrong_hosts(site: &Site, f: &mut Vec<Finding>) {
    let own = site.start.host_str().unwrap_or("").to_ascii_lowercase();
    let others: Vec<String> = site.config.other_hosts.iter().map(|h| h.to_ascii_lowercase()).filter(|h| *h != own).collect();
    for p in &site.crawl.pages {
        let Some(r) = p.fetched.response().filter(|r| r.is_html()) else {
            continue;
        };
        let Some(d) = &p.data else { continue };
        let mut bad: BTreeSet<String> = BTreeSet::new();
        for u in d.links.iter().chain(d.assets.iter().map(|(_, u)| u)).chain(d.canonical.iter()) {
            let h = u.host_str().unwrap_or("").to_ascii_lowercase();
            if h != own && (others.contains(&h) || BAD_HOSTS.is_match(format!("//{h}/").as_bytes())) {
                bad.insert(u.to_string());
            }
        }
        for (h, seen) in &scan_of(site.config, r).bad_hosts {
            if *h != own {
                bad.insert(seen.clone());
            }
        }
        for b in bad.iter().take(5) {
            f.push(Finding::new(
                "wrong-host-link",
                p.url.as_str(),
                "The page points at a placeholder, local or other-environment host (check the Sites record / base URL setting).",
                b.clone(),
            ));
        }
    }
}

static TEST_CREDENTIALS: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new(r"(?-u)\b(?:pk_test_[0-9A-Za-z]{8,}|sk_test_[0-9A-Za-z]{8,}|sandbox\.paypal\.com|www\.sandbox\.paypal\.com|js\.braintreegateway\.com/[^\s]*sandbox|6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI|api\.sandbox\.[a-z.]+)").expect("valid")
});
static SECRET_LIVE_KEY: LazyLock<regex::bytes::Regex> = LazyLock::new(|| regex::bytes::Regex::new(r"(?-u)\b(?:sk|rk)_live_[0-9A-Za-z]{8,}").expect("valid"));
static LIVE_CREDENTIALS: LazyLock<regex::bytes::Regex> =
    LazyLock::new(|| regex::bytes::Regex::new(r"(?-u)\b(?:pk_live_[0-9A-Za-z]{8,}|sk_live_[0-9A-Za-z]{8,}|rk_live_[0-9A-Za-z]{8,})").expect("valid"));

fn credentials(site: &Site, f: &mut Vec<Finding>) {
    let prod = site.config.env.is_production();
    let mut seen = BTreeSet::new();
    let bodies = site
        .crawl
        .pages
        .iter()
        .filter_map(|p| Some((&p.url, p.fetched.response()?)))
        .chain(site.crawl.assets.iter().filter(|a| a.kind == AssetKind::Script).filter_map(|a| Some((&a.url, a.fetched.response()?))));
    for (url, r) in bodies {
        let scan = scan_of(site.config, r);
        if prod {
            if let Some(m) = scan.test_credentials.clone() {
                if seen.insert(m.clone()) {
                    f.push(Finding::new(
                        "sandbox-credentials-on-production",
                        url.as_str(),
                        "Production uses test/sandbox credentials: payments and integrations will not really happen.",
                        mask(&m),
                    ));
                }
            }
        } else if let Some(m) = scan.live_credentials.clone() {
            if seen.insert(m.clone()) {
                f.push(Finding::new(
                    "live-credentials-on-dev",
                    url.as_str(),
                    format!("The {} site uses live credentials: test actions will charge real cards or send real data.", site.config.env.as_str()),
                    mask(&m),
                ));
            }
        }
        if let Some(m) = scan.secret_live_key.clone() {
            if seen.insert(format!("secret:{m}")) {
                f.push(
                    Finding::new("live-credentials-on-dev", url.as_str(), "A secret live API key is visible to every visitor: revoke it now.", mask(&m))
                        .with_severity(Severity::Error),
                );
            }
        }
    }
}

/// What the checks need from a response body, read once from the whole body: after this the
/// crawler keeps only the first [`crate::crawl::RETAINED_BODY`] bytes, so a crawl's memory
/// stays bounded however large the pages are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyScan {
    pub debug: Option<(&'static str, String)>,
    /// `BAD_HOSTS` matches: (host, what was seen).
    pub bad_hosts: Vec<(String, String)>,
    pub test_credentials: Option<String>,
    pub live_credentials: Option<String>,
    pub secret_live_key: Option<String>,
    pub error_tracker: bool,
    pub analytics: bool,
    /// Which of the run's analytics ids the body carries (in `CheckConfig::analytics_ids` order).
    pub analytics_ids: Vec<bool>,
    pub dev_client: Option<String>,
    pub listing: bool,
}

impl BodyScan {
    /// `analytics_ids`: the run's expected ids ([`CheckConfig::analytics_ids`]).
    pub fn of(analytics_ids: &[String], body: &[u8]) -> BodyScan {
        let found = |re: &regex::bytes::Regex| re.find(body).map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned());
        let text = String::from_utf8_lossy(body);
        BodyScan {
            debug: debug_signature(body),
            bad_hosts: BAD_HOSTS
                .captures_iter(body)
                .take(20)
                .map(|m| {
                    (String::from_utf8_lossy(&m[1]).to_ascii_lowercase(), snippet(String::from_utf8_lossy(&m[0]).trim_end_matches(['"', '\'', '>', ' ']), 80))
                })
                .collect(),
            test_credentials: found(&TEST_CREDENTIALS),
            live_credentials: found(&LIVE_CREDENTIALS),
            secret_live_key: found(&SECRET_LIVE_KEY),
            error_tracker: ERROR_TRACKER.is_match(body),
            analytics: ANALYTICS.is_match(&text),
            analytics_ids: analytics_ids
                .iter()
                .map(|id| {
                    // Case-insensitive, without a lowercased copy of a body of megabytes.
                    let re = regex::bytes::RegexBuilder::new(&regex::escape(id.trim())).case_insensitive(true).unicode(false).build();
                    re.is_ok_and(|re| re.is_match(body))
                })
                .collect(),
            dev_client: DEV_CLIENT.find(&text).map(|m| m.as_str().to_string()),
            listing: crate::exposure::LISTING.is_match(&body[..body.len().min(64 * 1024)]),
        }
    }
}

/// The scan of a response: the one the crawler kept, or read now from the (whole) body.
pub fn scan_of<'a>(config: &CheckConfig, r: &'a Response) -> std::borrow::Cow<'a, BodyScan> {
    match &r.scan {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(BodyScan::of(&config.analytics_ids, &r.body)),
    }
}

/// Shows a key's kind but not the key.
fn mask(s: &str) -> String {
    match s.find('_').and_then(|i| s[i + 1..].find('_').map(|j| i + 1 + j + 1)) {
        Some(cut) if s.len() > cut + 4 => format!("{}{}…", &s[..cut], &s[cut..cut + 4]),
        _ => s.to_string(),
    }
}

/// The words that mark a dev or staging page, as a regular expression both the HTTP checks
/// and the browser (JavaScript `RegExp`, flag `i`) understand: the built-in phrases plus
/// `extra` words (matched literally, any run of spaces in them matching any whitespace).
pub fn dev_marker_pattern(extra: &[String]) -> String {
    let mut alternatives = vec![
        r"dev(?:elopment)?\s+site".to_string(),
        r"dev\s+server".into(),
        r"staging(?:\s+site|\s+server)?".into(),
        r"test\s+site".into(),
        r"test\s+server".into(),
        r"demo\s+site".into(),
        r"not\s+the\s+live\s+site".into(),
        r"preview\s+site".into(),
    ];
    for w in extra.iter().map(|w| w.split_whitespace().map(regex::escape).collect::<Vec<_>>().join(r"\s+")).filter(|w| !w.is_empty()) {
        alternatives.push(w);
    }
    format!(r"(?:^|[^\w])(?:{})(?:$|[^\w])", alternatives.join("|"))
}

fn dev_banner(site: &Site, f: &mut Vec<Finding>) {
    if site.config.env.is_production() {
        return;
    }
    let Ok(marker) = Regex::new(&format!("(?i){}", dev_marker_pattern(&site.config.dev_markers))) else {
        return;
    };
    let missing: Vec<&Url> = html_pages(site).filter(|(_, r, d)| r.status < 300 && !marker.is_match(&d.text)).map(|(u, _, _)| u).collect();
    if let Some(first) = missing.first() {
        f.push(Finding::new(
            "dev-banner-missing",
            first.as_str(),
            format!(
                "{} page(s) of the {} site do not say DEV SITE / STAGING anywhere, so people may mistake it for the live site.",
                missing.len(),
                site.config.env.as_str()
            ),
            missing.iter().take(5).map(|u| u.to_string()).collect::<Vec<_>>().join(", "),
        ));
    }
}

/// Session cookies by their usual names (Django, PHP, Java, ASP.NET, Express, Rails, Laravel)
/// and CSRF cookies.
static SESSION_COOKIE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:sessionid|session|sess|sid|phpsessid|jsessionid|asp\.net_sessionid|connect\.sid|laravel_session|_[a-z0-9_]*_session|[a-z0-9_]*session[a-z0-9_]*|csrftoken|xsrf-token|_csrf)$").expect("valid")
});
static LOG_OUT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\b(?:log ?out|sign ?out|abmelden)\b").expect("valid"));

/// Why a shared cache may keep this answer for others, if it may.
fn publicly_cached(r: &Response) -> Option<String> {
    let cc = r.header("cache-control").unwrap_or("").to_ascii_lowercase();
    let private = ["private", "no-store", "no-cache"].iter().any(|d| cc.split(',').any(|x| x.trim() == *d));
    if let Some(hit) = ["x-cache", "cf-cache-status", "x-cache-status", "x-varnish-cache", "x-proxy-cache"]
        .iter()
        .find_map(|h| r.header(h).filter(|v| v.to_ascii_uppercase().contains("HIT")).map(|v| format!("{h}: {v}")))
    {
        return Some(format!("a shared cache served it ({hit})"));
    }
    if let Some(age) = r.header("age").and_then(|a| a.trim().parse::<u64>().ok()).filter(|a| *a > 0) {
        return Some(format!("a shared cache served it (Age: {age})"));
    }
    if private {
        return None;
    }
    let s_maxage = cc.split(',').find_map(|d| d.trim().strip_prefix("s-maxage=").and_then(|v| v.parse::<u64>().ok())).filter(|v| *v > 0);
    if cc.split(',').any(|d| d.trim() == "public") || s_maxage.is_some() || max_age(&cc).is_some_and(|v| v > 0) {
        return Some(format!("Cache-Control: {cc}"));
    }
    None
}

/// "Don't cache session specific stuff": a page that starts a session or carries a CSRF token
/// or a log-out link, answered so that a shared cache (CDN, Varnish, proxy) keeps it for
/// everyone — the next visitor gets someone else's session or token.
fn session_caching(site: &Site, f: &mut Vec<Finding>) {
    let mut hits: Vec<(&Url, String, String)> = Vec::new();
    for (url, r, d) in html_pages(site).filter(|(_, r, _)| r.status < 300) {
        let Some(cached) = publicly_cached(r) else { continue };
        let cookie = r
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|c| c.split('=').next().map(str::trim))
            .find(|name| SESSION_COOKIE.is_match(name))
            .map(|name| format!("sets the cookie {name}"));
        let token = || d.forms.iter().find_map(csrf_token_field).map(|n| format!("carries the CSRF token {n}"));
        let logged_in = || LOG_OUT.find(&d.text).map(|m| format!("shows \"{}\"", m.as_str()));
        if let Some(why) = cookie.or_else(token).or_else(logged_in) {
            hits.push((url, why, cached));
        }
    }
    if let Some((url, why, cached)) = hits.first() {
        f.push(Finding::new(
            "session-page-publicly-cached",
            url.as_str(),
            format!(
                "{} page(s) with session data may be kept by shared caches and served to other visitors: this one {why}. Send Cache-Control: private (or no-store) on them.",
                hits.len()
            ),
            format!("{cached}; {}", hits.iter().take(5).map(|(u, _, _)| u.to_string()).collect::<Vec<_>>().join(", ")),
        ));
    }
}

/// Browser error trackers: the vendors' loader snippets and CDN URLs in the page, or their SDK
/// inside the site's own scripts (a bundled `@sentry/browser`).
static ERROR_TRACKER: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new(
        r"(?i-u)sentry-cdn\.com|\bSentry\.init\(|\bSentry\.onLoad\(|__SENTRY__|sentry\.javascript\.|ingest\.sentry\.io|bugsnag\.com|Bugsnag\.start\(|bugsnag-js|_rollbarConfig|cdn\.rollbar\.com|rollbar\.min\.js|honeybadger\.io|Honeybadger\.configure\(|raygun\.io|rg4js\(|trackjs\.com|TrackJS\.install\(|datadoghq-browser-agent|DD_RUM\.init|@datadog/browser-rum|js-agent\.newrelic\.com|\bNREUM\b|appsignal|airbrake|glitchtip|elastic-apm-rum|logrocket",
    )
    .expect("valid")
});

fn error_tracking(site: &Site, f: &mut Vec<Finding>) {
    if !site.config.env.is_production() {
        return;
    }
    let in_pages = html_pages(site).any(|(_, r, _)| scan_of(site.config, r).error_tracker);
    let in_scripts = || {
        site.crawl
            .assets
            .iter()
            .filter(|a| a.kind == AssetKind::Script)
            .filter_map(|a| a.fetched.response())
            .any(|r| r.status < 300 && scan_of(site.config, r).error_tracker)
    };
    if !in_pages && !in_scripts() && html_pages(site).next().is_some() {
        f.push(Finding::new(
            "error-tracking-missing",
            site.start.as_str(),
            "No page reports JavaScript errors to an error tracker: visitors' errors after launch go unseen. Add Sentry (or Bugsnag, Rollbar, Honeybadger…).",
            format!("no error-tracker snippet or SDK in {} page(s) and their scripts", html_pages(site).count()),
        ));
    }
}

/// Link previews (chat apps, social networks) need `og:title` and `og:image` on the home page.
fn social_tags(site: &Site, f: &mut Vec<Finding>) {
    if !site.config.env.is_production() {
        return;
    }
    let Some((url, d)) = site.crawl.pages.iter().find(|p| p.depth == 0).and_then(|p| Some((&p.url, p.data.as_ref()?))) else { return };
    let missing: Vec<&str> = ["og:title", "og:image"].into_iter().filter(|t| !d.open_graph.iter().any(|o| o == t)).collect();
    if !missing.is_empty() {
        f.push(Finding::new(
            "social-tags-missing",
            url.as_str(),
            format!("The home page has no {}: links shared in chats and social networks show no proper preview.", missing.join(" or ")),
            format!("Open Graph tags present: {}", if d.open_graph.is_empty() { "none".to_string() } else { d.open_graph.join(", ") }),
        ));
    }
}

/// Old Internet Explorer falls back to an old document mode ("Compatibility View", on intranets
/// by default) unless the page says `X-UA-Compatible: IE=edge`.
fn old_ie_document_mode(site: &Site, f: &mut Vec<Finding>) {
    if !site.config.old_ie {
        return;
    }
    let edge = |v: &str| v.to_ascii_lowercase().replace(' ', "").contains("ie=edge");
    let lacking: Vec<&Url> = html_pages(site)
        .filter(|(_, r, _)| r.status < 300)
        .filter(|(_, r, d)| !r.header("x-ua-compatible").is_some_and(edge) && !d.x_ua_compatible.as_deref().is_some_and(edge))
        .map(|(u, _, _)| u)
        .collect();
    if let Some(first) = lacking.first() {
        f.push(Finding::new(
            "old-ie-document-mode",
            first.as_str(),
            format!(
                "{} page(s) do not send X-UA-Compatible: IE=edge, so old Internet Explorer may show them in an outdated document mode (Compatibility View).",
                lacking.len()
            ),
            lacking.iter().take(5).map(|u| u.to_string()).collect::<Vec<_>>().join(", "),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_compare_as_numbers() {
        // Without a region: digits, with the trunk prefix.
        assert!(same_phone("0117 496 0123", "+441174960123", None), "national with trunk 0 = international");
        assert!(same_phone("+1 (555) 010-0123", "555.010.0123", None));
        assert!(!same_phone("0117 496 0123", "0117 496 0124", None));
        assert!(!same_phone("12345", "12345", None), "too short to be a phone number");
        // With the project's region, libphonenumber reads national numbers.
        let gb = Some("GB");
        assert!(same_phone("0117 496 0123", "tel:+44-117-496-0123", gb));
        assert!(same_phone("(0117) 4960123", "+44 (0)117 496 0123", gb));
        assert!(!same_phone("0117 496 0123", "+1 117 496 0123", gb), "the same digits in another country are another number");
        assert!(same_phone("030 1234567", "+49 30 1234567", Some("de")));
        assert!(same_phone("(202) 555-0143", "+1 202-555-0143", Some("US")));
        assert!(is_phone_region("gb") && !is_phone_region("XX") && !is_phone_region("GBR"));
    }

    #[test]
    fn analytics_snippets_of_the_vendors_are_recognised() {
        for snippet in [
            r#"<script defer data-domain="shop.test" src="/static/js/plausible.1a2b3c.js"></script>"#,
            r#"<script defer data-domain="shop.test" src="https://plausible.io/js/script.js"></script>"#,
            r#"<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABC123"></script>"#,
            r#"<script>var _paq = window._paq = window._paq || []; _paq.push(['trackPageView']);</script>"#,
            r#"<script defer src="https://cloud.umami.is/script.js" data-website-id="94db1cb1"></script>"#,
            r#"<script src="https://cdn.usefathom.com/script.js" data-site="ABCDEFG" defer></script>"#,
            r#"<script defer src="https://static.cloudflareinsights.com/beacon.min.js" data-cf-beacon='{"token": "x"}'></script>"#,
            r#"<script defer src="https://api.pirsch.io/pa.js" id="pianjs" data-code="x"></script>"#,
            r#"<script async defer src="https://scripts.simpleanalyticscdn.com/latest.js"></script>"#,
            r#"<script>!function(t,e){}(document,window.posthog||[]);posthog.init('phc_x',{api_host:'https://eu.i.posthog.com'})</script>"#,
        ] {
            assert!(ANALYTICS.is_match(snippet), "{snippet}");
        }
        assert!(!ANALYTICS.is_match("<script src=/app.js></script>"));
        // Words in the text are not a tag.
        assert!(!ANALYTICS.is_match("<p>A plausible plan: ask PostHog fans and Pirsch users.</p><div data-site=\"x\">"));
    }

    #[test]
    fn debug_signatures_match_framework_pages() {
        assert!(debug_signature(b"<p>You're seeing this error because you have <code>DEBUG = True</code> in your Django settings</p>").is_some());
        assert!(debug_signature(b"Traceback (most recent call last):\n  File \"x.py\"").is_some());
        assert!(debug_signature(b"<title>Werkzeug Debugger</title>").is_some());
        assert!(debug_signature(b"<h1>Whoops! There was an error.</h1>").is_some());
        assert!(debug_signature(b"<h1>Welcome to our shop</h1>").is_none());
    }

    #[test]
    fn robots_rules() {
        assert!(robots_disallows_all("User-agent: *\nDisallow: /\n"));
        assert!(robots_disallows_all("User-agent: Googlebot\nUser-agent: *\nDisallow: / # everything\n"));
        assert!(!robots_disallows_all("User-agent: *\nDisallow: /admin\n"));
        assert!(!robots_disallows_all("User-agent: BadBot\nDisallow: /\n\nUser-agent: *\nDisallow:\n"));
    }

    #[test]
    fn credentials_are_masked_and_phones_compared_by_digits() {
        assert_eq!(mask("pk_test_51Habcdefghijkl"), "pk_test_51Ha…");
        assert_eq!(phone_digits("+1 (555) 010-2000"), "15550102000");
        assert!(is_phone("+1 (555) 010-2000") && !is_phone("2026") && !is_phone("1.2.3.4.5.6.7"));
    }

    #[test]
    fn obfuscated_addresses_are_read_back() {
        let found: Vec<String> = emails_in("Write to info [at] good [dot] test. Or sales(at)good.co.uk or plain@good.test. Meet us at the fair.").collect();
        assert_eq!(found, vec!["plain@good.test", "info@good.test", "sales@good.co.uk"]);
    }
}
