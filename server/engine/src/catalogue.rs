//! The catalogue of automated checks. Ids are kebab-case and never change once published.

use serde::Serialize;

use crate::config::EnvProfile;

/// Which part of the engine produces a check's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Http,
    Dns,
    Tls,
    Browser,
}

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CheckInfo {
    /// Stable id, e.g. `debug-page-exposed`.
    pub id: &'static str,
    pub category: Category,
    /// The usual severity of its findings (a finding may say otherwise).
    pub severity: Severity,
    /// The piece of the talk's advice the check serves, quoted.
    pub advice: &'static str,
    /// What the check looks for, in words a project manager understands.
    pub title: &'static str,
    /// Which environments it judges; on the others it is `not_applicable`.
    pub scope: Scope,
}

/// The environments a check judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Any,
    Production,
    /// Dev and staging.
    PreProduction,
}

impl Scope {
    pub fn includes(self, env: EnvProfile) -> bool {
        match self {
            Scope::Any => true,
            Scope::Production => env.is_production(),
            Scope::PreProduction => !env.is_production(),
        }
    }

    /// Why a check of this scope does not apply to a run of `env`.
    pub fn mismatch_reason(self, env: EnvProfile) -> String {
        match self {
            Scope::Production => format!("production-only check on a {} run", env.as_str()),
            _ => format!("dev/staging-only check on a {} run", env.as_str()),
        }
    }
}

const fn check(id: &'static str, category: Category, severity: Severity, advice: &'static str, title: &'static str) -> CheckInfo {
    CheckInfo { id, category, severity, advice, title, scope: Scope::Any }
}

/// Judged on production runs only.
const fn prod(c: CheckInfo) -> CheckInfo {
    CheckInfo { scope: Scope::Production, ..c }
}

/// Judged on dev and staging runs only.
const fn pre(c: CheckInfo) -> CheckInfo {
    CheckInfo { scope: Scope::PreProduction, ..c }
}

use Category::{Browser, Dns, Http, Tls};
use Severity::{Error, Info, Warning};

/// The checks besides the accessibility rules, in catalogue order.
const CHECKS: &[CheckInfo] = &[
    check(
        "debug-page-exposed",
        Http,
        Error,
        "DEBUG = False",
        "Framework debug pages and toolbars (Django DEBUG, Werkzeug, Starlette, Rails, Laravel, Symfony, PHP errors, stack traces) are not exposed",
    ),
    check("server-error", Http, Error, "Stomp 500s, signal to noise is very important", "No page answers with a 5xx server error"),
    check("soft-404", Http, Warning, "Style your 500 / 404.html", "Missing pages answer 404, not 200"),
    check("error-page-default", Http, Warning, "Style your 500 / 404.html", "404 and 500 pages are styled, not a framework or server default"),
    check("https-redirect-missing", Http, Error, "SSL logins! admins! everything!", "Plain http redirects to https"),
    check("hsts-missing", Http, Warning, "SSL logins! admins! everything!", "HTTPS responses send Strict-Transport-Security"),
    check(
        "insecure-sensitive-form",
        Http,
        Error,
        "HTTPS Admin, login, and .. anywhere sensitive information is submitted",
        "Login, admin and password forms are served and submitted over https",
    ),
    check("mixed-content", Http, Error, "SSL logins! admins! everything!", "HTTPS pages load no http:// resources"),
    check("insecure-cookie", Http, Warning, "Are you assuming anything?", "Session cookies are Secure and HttpOnly"),
    check("canonical-host", Http, Warning, "Redirect to one domain - www", "http/https and www/apex all reach one canonical host in one 301 hop"),
    check("favicon-missing", Http, Warning, "Favicon", "The site has a favicon"),
    check("broken-link", Http, Error, "Run a Site Crawler", "Internal links resolve"),
    check("broken-asset", Http, Error, "Run a Site Crawler", "Images, scripts and stylesheets load"),
    check("asset-not-cached", Http, Warning, "Expire Tags - speed without effort", "Static assets send Cache-Control max-age or Expires"),
    check("asset-not-compressed", Http, Warning, "Expire Tags - speed without effort", "Text assets are served compressed"),
    check("placeholder-text", Http, Error, "No Lorem Ipsum", "No Lorem Ipsum, TODO or TBD on pages"),
    check("contact-missing", Http, Error, "Is the contact information correct?", "The expected contact details appear on the site"),
    check("contact-unexpected", Http, Warning, "Is the contact information correct?", "No e-mail addresses or phone numbers other than the expected ones"),
    check("form-missing-csrf", Http, Warning, "CSRF protection", "POST forms carry a CSRF token"),
    check("security-header-missing", Http, Warning, "Are you assuming anything?", "X-Content-Type-Options, frame protection and Referrer-Policy are set"),
    prod(check("robots-missing", Http, Warning, "robots.txt", "robots.txt exists")),
    prod(check("robots-disallows-all", Http, Error, "robots.txt", "Production robots.txt does not disallow everything")),
    pre(check("robots-allows-indexing-on-dev", Http, Error, "Make sure it has robots.txt disallowing all", "Dev and staging robots.txt disallow everything")),
    prod(check("dev-server-in-production", Http, Error, "We use Nginx + Gunicorn", "Production is not served by a development server")),
    check("server-version-disclosed", Http, Warning, "Security", "Server and X-Powered-By headers name no software versions"),
    prod(check("noindex-on-production", Http, Error, "robots.txt", "Production pages do not tell search engines to stay away (noindex)")),
    check(
        "sensitive-file-exposed",
        Http,
        Error,
        "Beware Stored Passwords!",
        "No .git, .env, database dumps, backup copies, directory listings or framework consoles are public",
    ),
    prod(check("host-header-accepted", Http, Warning, "Make your Sites record accurate", "The site refuses requests for host names that are not its own")),
    check(
        "session-page-publicly-cached",
        Http,
        Error,
        "But, don't cache session specific stuff!",
        "Pages that set a session or carry a CSRF token are not publicly cached",
    ),
    prod(check("error-tracking-missing", Http, Info, "Sentry is cool", "Production pages report JavaScript errors to an error tracker (Sentry, Bugsnag…)")),
    prod(check("social-tags-missing", Http, Info, "meta tags", "The home page has og:title and og:image for link previews")),
    check(
        "old-ie-document-mode",
        Http,
        Warning,
        "As a rule, CEOs use the oldest possible IE version",
        "Pages tell Internet Explorer to use its newest mode (X-UA-Compatible: IE=edge)",
    ),
    pre(check("dev-publicly-accessible", Http, Warning, "If possible, control access", "Dev and staging sites do not open for anyone without a password")),
    prod(check("sitemap-missing", Http, Info, "Pages with rankings are valuable", "sitemap.xml exists")),
    prod(check("canonical-tag-missing", Http, Info, "canonical tags", "Pages have a canonical tag")),
    check("canonical-tag-mismatch", Http, Warning, "canonical tags", "Canonical tags point at the canonical host and the page itself"),
    check("title-missing", Http, Warning, "meta tags", "Every page has a title"),
    check("title-duplicate", Http, Warning, "meta tags", "Titles are unique"),
    prod(check("meta-description-missing", Http, Info, "meta tags", "Every page has a meta description")),
    check("meta-description-duplicate", Http, Info, "meta tags", "Meta descriptions are unique"),
    prod(check("analytics-missing", Http, Warning, "analytics tags", "Production pages carry an analytics tag")),
    check("duplicate-content", Http, Warning, "duplicate content", "The same content is not served on several URLs without a canonical"),
    check("old-url-broken", Http, Error, "If it was a link on Google, don't make it a 404", "URLs of the old site redirect instead of answering 404"),
    check("wrong-host-link", Http, Error, "Make your Sites record accurate", "No absolute links to example.com, localhost or the staging host"),
    prod(check(
        "sandbox-credentials-on-production",
        Http,
        Error,
        "Keep track of any integration credentials for sandbox vs production",
        "Production uses no test/sandbox credentials",
    )),
    check(
        "live-credentials-on-dev",
        Http,
        Error,
        "Keep track of any integration credentials for sandbox vs production",
        "Dev and staging use no live credentials",
    ),
    pre(check(
        "dev-banner-missing",
        Http,
        Warning,
        "Make sure it says \"DEV SITE\" somewhere on the front end",
        "Dev and staging pages say DEV SITE / STAGING",
    )),
    check("redirect-loop", Http, Error, "Run a Site Crawler", "No URL redirects in a loop or through too many hops"),
    check("slow-response", Http, Error, "Does it Perform?", "Every URL answers within the time limit"),
    check("response-too-large", Http, Warning, "Does it Perform?", "No response is larger than the size limit"),
    check("unreachable", Http, Error, "Run a Site Crawler", "The site and its pages can be reached"),
    check("crawl-incomplete", Http, Info, "Run a Site Crawler", "The crawl covered the whole site within its limits"),
    prod(check("dns-ttl-not-lowered", Dns, Warning, "Lower your DNS TTL", "DNS TTL is lowered before launch")),
    prod(check("dns-ns-missing", Dns, Error, "Are the nameservers in your control?", "Nameservers answer for the zone")),
    prod(check("dns-mx-missing", Dns, Warning, "SPF, PTR - make sure your email makes it through the spam filter", "The domain has MX records")),
    prod(check("dns-spf-missing", Dns, Warning, "SPF, PTR - make sure your email makes it through the spam filter", "The domain publishes SPF")),
    prod(check("dns-dmarc-missing", Dns, Info, "SPF, PTR - make sure your email makes it through the spam filter", "The domain publishes DMARC")),
    prod(check("dns-ptr-mismatch", Dns, Warning, "SPF, PTR - make sure your email makes it through the spam filter", "The mail server's PTR matches its name")),
    prod(check("dns-cname-at-apex", Dns, Error, "IT departments don't get CNAMEs, so watch your load balancers!", "No CNAME at the zone apex")),
    check("tls-certificate-invalid", Tls, Error, "SSL logins! admins! everything!", "The TLS certificate is valid"),
    check("tls-certificate-expiring", Tls, Warning, "SSL logins! admins! everything!", "The TLS certificate does not expire within 30 days"),
    check("tls-name-mismatch", Tls, Error, "Redirect to one domain - www", "The certificate covers both www and the apex"),
    check("console-error", Browser, Error, "Check your browser console for errors", "No errors or warnings in the browser console"),
    check("uncaught-exception", Browser, Error, "Check your browser console for errors", "No uncaught JavaScript exceptions"),
    check("failed-request", Browser, Error, "Check your browser console for errors", "No failed or blocked subresource requests"),
    check(
        "horizontal-overflow",
        Browser,
        Warning,
        "There are over 100 million iPads, what does your site look like on one?",
        "No content wider than the viewport",
    ),
    check(
        "form-submit-error",
        Browser,
        Error,
        "Do all your forms submit? Are there human error messages.",
        "Forms do not answer test submissions with an error page",
    ),
    check(
        "form-error-message-missing",
        Browser,
        Warning,
        "Do all your forms submit? Are there human error messages.",
        "Forms explain bad input in human words",
    ),
    check("form-unicode-mangled", Browser, Error, "International Data / Unicode", "Forms keep international / Unicode input intact"),
    check("form-reflects-markup", Browser, Error, "Bad / Missing Data", "Forms do not send submitted HTML or script back unescaped"),
    check("form-no-effect", Browser, Warning, "Do all your forms submit? Are there human error messages.", "Form submissions visibly do something"),
    check(
        "old-ie-unsupported",
        Browser,
        Warning,
        "As a rule, CEOs use the oldest possible IE version",
        "Old Internet Explorer gets the site, not an 'unsupported browser' page",
    ),
    check("old-ie-syntax", Browser, Warning, "As a rule, CEOs use the oldest possible IE version", "Scripts parse in an ES5-only browser"),
    pre(check(
        "dev-banner-not-visible",
        Browser,
        Warning,
        "Make sure it says \"DEV SITE\" somewhere on the front end",
        "The DEV SITE marker is visible in the browser",
    )),
    prod(check(
        "analytics-not-running",
        Browser,
        Warning,
        "analytics tags",
        "The analytics tag runs in the browser (its collector is called or its script loads)",
    )),
    check("page-load-timeout", Browser, Error, "Does it Perform?", "Pages finish loading in the browser within the time limit"),
    check("script-hang", Browser, Error, "Is it Stable?", "No script keeps the page busy without end"),
    check("renderer-crash", Browser, Error, "Is it Stable?", "No page crashes the browser tab"),
    check("javascript-dialog", Browser, Warning, "Test it like a consumer", "Pages do not open alert/confirm/prompt boxes on their own"),
    check("popup-opened", Browser, Warning, "Test it like a consumer", "Pages do not open pop-up windows on their own"),
    check("download-on-visit", Browser, Warning, "Test it like a consumer", "Opening a page shows it instead of starting a download"),
    check(
        "perf-budget-exceeded",
        Browser,
        Warning,
        "Does it Perform?",
        "Every page stays within its performance budgets at every viewport (TTFB, FCP, LCP, CLS, TBT, transfer, requests)",
    ),
    check("render-blocking-resource", Browser, Warning, "Does it Perform?", "No script or stylesheet keeps the first paint waiting"),
    check("image-oversized", Browser, Warning, "Does it Perform?", "Images are served at about the size they are shown"),
    check("image-not-modern", Browser, Info, "Does it Perform?", "Large images come as WebP or AVIF, not JPEG or PNG"),
    check("font-display-missing", Browser, Warning, "Does it Perform?", "Web fonts show text while they load (font-display)"),
    check("viewport-meta-missing", Browser, Error, "what does your site look like on one?", "Pages declare a mobile viewport (width=device-width)"),
    check(
        "tap-target-small",
        Browser,
        Warning,
        "what does your site look like on one?",
        "Links and buttons are at least 24×24 px to tap on phones and tablets",
    ),
    check("text-too-small", Browser, Warning, "what does your site look like on one?", "Text is legible on phones and tablets (mostly 12 px or larger)"),
    check("browser-check-failed", Browser, Warning, "Test it by hand", "The browser could check every page (otherwise, test it by hand)"),
];

/// An accessibility rule as a check: rules of a WCAG level are errors, advice is a warning
/// (each finding takes its severity from axe's impact).
const fn a11y_check(r: &crate::a11y::A11yRule) -> CheckInfo {
    let severity = match r.level {
        crate::a11y::WcagLevel::Advice => Warning,
        _ => Error,
    };
    check(r.check, Browser, severity, "Test it like a consumer", r.help)
}

const ALL: [CheckInfo; CHECKS.len() + crate::a11y::A11Y_RULES.len()] = {
    let rules = crate::a11y::A11Y_RULES;
    let mut all = [CHECKS[0]; CHECKS.len() + crate::a11y::A11Y_RULES.len()];
    let mut i = 0;
    while i < CHECKS.len() {
        all[i] = CHECKS[i];
        i += 1;
    }
    while i < all.len() {
        all[i] = a11y_check(&rules[i - CHECKS.len()]);
        i += 1;
    }
    all
};

/// Every check Preflight knows, in catalogue order: the accessibility rules (`a11y-*`) last.
pub const CATALOGUE: &[CheckInfo] = &ALL;

/// Looks a check up by id.
pub fn find_check(id: &str) -> Option<&'static CheckInfo> {
    if id == A11Y_FAMILY.id {
        return Some(&A11Y_FAMILY);
    }
    CATALOGUE.iter().find(|c| c.id == id)
}

/// All the accessibility checks as one, for checklist items: `a11y-*` fails when any `a11y-`
/// check fails and passes when they looked and none failed (rules a project leaves out, or
/// its WCAG level does not ask for, do not count). Not a catalogue entry of its own: runs
/// report the rules one by one.
pub static A11Y_FAMILY: CheckInfo =
    check("a11y-*", Browser, Error, "Test it like a consumer", "Every page passes the accessibility checks (axe-core) at every viewport");

/// What a failing check means, in words for people ("Broken images, scripts or stylesheets"):
/// the heading of its findings. [`CheckInfo::title`] says what passing means.
pub fn problem_title(id: &str) -> &'static str {
    match id {
        "debug-page-exposed" => "Framework debug pages are exposed",
        "server-error" => "Pages answer with a server error (5xx)",
        "soft-404" => "Missing pages answer 200 instead of 404",
        "error-page-default" => "Error pages are unstyled framework or server defaults",
        "https-redirect-missing" => "Plain http does not redirect to https",
        "hsts-missing" => "HTTPS responses lack Strict-Transport-Security",
        "insecure-sensitive-form" => "Login, admin or password forms travel over plain http",
        "mixed-content" => "HTTPS pages load http:// resources",
        "insecure-cookie" => "Session cookies lack Secure or HttpOnly",
        "canonical-host" => "http/https and www/apex do not reach one host in one 301",
        "favicon-missing" => "No favicon",
        "broken-link" => "Broken links",
        "broken-asset" => "Broken images, scripts or stylesheets",
        "asset-not-cached" => "Static assets are not cacheable",
        "asset-not-compressed" => "Text assets are served uncompressed",
        "placeholder-text" => "Placeholder text (Lorem Ipsum, TODO, TBD) on pages",
        "contact-missing" => "Expected contact details are missing",
        "contact-unexpected" => "Unexpected e-mail addresses or phone numbers",
        "form-missing-csrf" => "POST forms without a CSRF token",
        "security-header-missing" => "Security headers are missing",
        "robots-missing" => "No robots.txt",
        "robots-disallows-all" => "Production robots.txt blocks all search engines",
        "robots-allows-indexing-on-dev" => "Dev or staging robots.txt lets search engines in",
        "sensitive-file-exposed" => "Files or consoles that must not be public can be downloaded",
        "host-header-accepted" => "The site answers for made-up host names",
        "session-page-publicly-cached" => "Pages with a session or CSRF token are publicly cached",
        "error-tracking-missing" => "No error tracker reports JavaScript errors",
        "social-tags-missing" => "The home page has no og:title / og:image for link previews",
        "old-ie-document-mode" => "Pages do not tell Internet Explorer to use its newest mode",
        "form-reflects-markup" => "Forms send submitted HTML or script back unescaped",
        "dev-publicly-accessible" => "Dev or staging site opens for anyone without a password",
        "noindex-on-production" => "Production pages tell search engines not to index them",
        "dev-server-in-production" => "A development server answers on production",
        "server-version-disclosed" => "Response headers name software versions",
        "sitemap-missing" => "No sitemap.xml",
        "canonical-tag-missing" => "Pages without a canonical tag",
        "canonical-tag-mismatch" => "Canonical tags point elsewhere",
        "title-missing" => "Pages without a title",
        "title-duplicate" => "Duplicate page titles",
        "meta-description-missing" => "Pages without a meta description",
        "meta-description-duplicate" => "Duplicate meta descriptions",
        "analytics-missing" => "Production pages without an analytics tag",
        "duplicate-content" => "The same content on several URLs without a canonical",
        "old-url-broken" => "Old URLs answer 404 instead of redirecting",
        "wrong-host-link" => "Links to example.com, localhost or another environment",
        "sandbox-credentials-on-production" => "Production uses test/sandbox credentials",
        "live-credentials-on-dev" => "Live credentials on dev or staging",
        "dev-banner-missing" => "Dev or staging pages do not say DEV SITE",
        "redirect-loop" => "URLs redirect in a loop or through too many hops",
        "slow-response" => "URLs answer too slowly",
        "response-too-large" => "Responses larger than the size limit",
        "unreachable" => "The site or some of its pages cannot be reached",
        "crawl-incomplete" => "The crawl did not cover the whole site",
        "dns-ttl-not-lowered" => "DNS TTL not lowered before launch",
        "dns-ns-missing" => "Nameservers do not answer for the zone",
        "dns-mx-missing" => "The domain has no MX records",
        "dns-spf-missing" => "The domain publishes no SPF",
        "dns-dmarc-missing" => "The domain publishes no DMARC",
        "dns-ptr-mismatch" => "The mail server's PTR does not match its name",
        "dns-cname-at-apex" => "CNAME at the zone apex",
        "tls-certificate-invalid" => "The TLS certificate is not valid",
        "tls-certificate-expiring" => "The TLS certificate expires within 30 days",
        "tls-name-mismatch" => "The certificate does not cover both www and the apex",
        "console-error" => "Errors or warnings in the browser console",
        "uncaught-exception" => "Uncaught JavaScript exceptions",
        "failed-request" => "Failed or blocked requests in the browser",
        "horizontal-overflow" => "Content wider than the screen",
        "form-submit-error" => "Forms answer test submissions with an error page",
        "form-error-message-missing" => "Forms do not explain bad input",
        "form-unicode-mangled" => "Forms mangle international / Unicode input",
        "form-no-effect" => "Form submissions visibly do nothing",
        "old-ie-unsupported" => "Old Internet Explorer gets an 'unsupported browser' page",
        "old-ie-syntax" => "Scripts do not parse in an ES5-only browser",
        "dev-banner-not-visible" => "The DEV SITE marker is hidden in the browser",
        "analytics-not-running" => "The analytics tag is on the page but does not run in the browser",
        "page-load-timeout" => "Pages do not finish loading in time",
        "script-hang" => "A script keeps the page busy without end",
        "renderer-crash" => "A page crashes the browser tab",
        "javascript-dialog" => "Pages open alert/confirm/prompt boxes on their own",
        "popup-opened" => "Pages open pop-up windows on their own",
        "download-on-visit" => "Opening a page starts a download",
        "perf-budget-exceeded" => "Pages are over their performance budgets",
        "render-blocking-resource" => "Scripts or stylesheets hold up the first paint",
        "image-oversized" => "Images are served much larger than shown",
        "image-not-modern" => "Large images are JPEG or PNG instead of WebP/AVIF",
        "font-display-missing" => "Web fonts hide the text while they load",
        "viewport-meta-missing" => "Pages have no mobile viewport",
        "tap-target-small" => "Links and buttons are too small to tap",
        "text-too-small" => "Text is too small to read on phones and tablets",
        "browser-check-failed" => "The browser could not check some pages (test them by hand)",
        a11y if a11y.starts_with("a11y-") => crate::a11y::find(a11y).map(|r| r.problem).unwrap_or("Other problems"),
        _ => "Other problems",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_check_says_what_is_wrong_when_it_fails() {
        for c in CATALOGUE {
            let p = problem_title(c.id);
            assert!(p != "Other problems" && p != c.title && !p.is_empty(), "{} needs a failure wording", c.id);
        }
    }

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut seen = HashSet::new();
        for c in CATALOGUE {
            assert!(seen.insert(c.id), "duplicate id {}", c.id);
            assert!(c.id.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'), "{} is not kebab-case", c.id);
            assert!(!c.id.starts_with('-') && !c.id.ends_with('-') && !c.id.contains("--"));
        }
    }

    #[test]
    fn advice_quotes_the_talk() {
        let talk = include_str!("../../../templates/talk.txt");
        for c in CATALOGUE {
            assert!(talk.contains(c.advice), "{}: {:?} is not in the talk", c.id, c.advice);
        }
    }

    #[test]
    fn lookup_finds_known_and_rejects_unknown() {
        assert_eq!(find_check("soft-404").map(|c| c.category), Some(Category::Http));
        assert_eq!(find_check("a11y-*").map(|c| c.id), Some("a11y-*"), "the accessibility family, for checklist items");
        assert!(!CATALOGUE.iter().any(|c| c.id == "a11y-*"), "runs report the rules one by one");
        assert!(find_check("no-such-check").is_none());
    }
}
