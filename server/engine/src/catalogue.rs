//! The catalogue of automated checks. Ids are kebab-case and never change once published.

use serde::Serialize;

/// Which part of the engine produces a check's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Http,
    Dns,
    Tls,
    Browser,
}

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CheckInfo {
    /// Stable id, e.g. `debug-page-exposed`.
    pub id: &'static str,
    pub category: Category,
    /// What the check looks for, in words a project manager understands.
    pub title: &'static str,
}

const fn check(id: &'static str, category: Category, title: &'static str) -> CheckInfo {
    CheckInfo { id, category, title }
}

use Category::{Browser, Dns, Http, Tls};

/// Every check Preflight knows, in catalogue order.
pub const CATALOGUE: &[CheckInfo] = &[
    check("debug-page-exposed", Http, "Framework debug pages (Django DEBUG, Werkzeug, Rails, Laravel, stack traces) are not exposed"),
    check("server-error", Http, "No page answers with a 5xx server error"),
    check("soft-404", Http, "Missing pages answer 404, not 200"),
    check("error-page-default", Http, "404 and 500 pages are styled, not a framework or server default"),
    check("https-redirect-missing", Http, "Plain http redirects to https"),
    check("hsts-missing", Http, "HTTPS responses send Strict-Transport-Security"),
    check("insecure-sensitive-form", Http, "Login, admin and password forms are served and submitted over https"),
    check("mixed-content", Http, "HTTPS pages load no http:// resources"),
    check("insecure-cookie", Http, "Session cookies are Secure and HttpOnly"),
    check("canonical-host", Http, "http/https and www/apex all reach one canonical host in one 301 hop"),
    check("favicon-missing", Http, "The site has a favicon"),
    check("broken-link", Http, "Internal links resolve"),
    check("broken-asset", Http, "Images, scripts and stylesheets load"),
    check("asset-not-cached", Http, "Static assets send Cache-Control max-age or Expires"),
    check("asset-not-compressed", Http, "Text assets are served compressed"),
    check("placeholder-text", Http, "No Lorem Ipsum, TODO or TBD on pages"),
    check("contact-missing", Http, "The expected contact details appear on the site"),
    check("contact-unexpected", Http, "No e-mail addresses or phone numbers other than the expected ones"),
    check("form-missing-csrf", Http, "POST forms carry a CSRF token"),
    check("security-header-missing", Http, "X-Content-Type-Options, frame protection and Referrer-Policy are set"),
    check("robots-missing", Http, "robots.txt exists"),
    check("robots-disallows-all", Http, "Production robots.txt does not disallow everything"),
    check("robots-allows-indexing-on-dev", Http, "Dev and staging robots.txt disallow everything"),
    check("sitemap-missing", Http, "sitemap.xml exists"),
    check("canonical-tag-missing", Http, "Pages have a canonical tag"),
    check("canonical-tag-mismatch", Http, "Canonical tags point at the canonical host and the page itself"),
    check("title-missing", Http, "Every page has a title"),
    check("title-duplicate", Http, "Titles are unique"),
    check("meta-description-missing", Http, "Every page has a meta description"),
    check("meta-description-duplicate", Http, "Meta descriptions are unique"),
    check("analytics-missing", Http, "Production pages carry an analytics tag"),
    check("duplicate-content", Http, "The same content is not served on several URLs without a canonical"),
    check("old-url-broken", Http, "URLs of the old site redirect instead of answering 404"),
    check("wrong-host-link", Http, "No absolute links to example.com, localhost or the staging host"),
    check("sandbox-credentials-on-production", Http, "Production uses no test/sandbox credentials"),
    check("live-credentials-on-dev", Http, "Dev and staging use no live credentials"),
    check("dev-banner-missing", Http, "Dev and staging pages say DEV SITE / STAGING"),
    check("dns-ttl-not-lowered", Dns, "DNS TTL is lowered before launch"),
    check("dns-ns-missing", Dns, "Nameservers answer for the zone"),
    check("dns-mx-missing", Dns, "The domain has MX records"),
    check("dns-spf-missing", Dns, "The domain publishes SPF"),
    check("dns-dmarc-missing", Dns, "The domain publishes DMARC"),
    check("dns-ptr-mismatch", Dns, "The mail server's PTR matches its name"),
    check("dns-cname-at-apex", Dns, "No CNAME at the zone apex"),
    check("tls-certificate-invalid", Tls, "The TLS certificate is valid"),
    check("tls-certificate-expiring", Tls, "The TLS certificate does not expire within 30 days"),
    check("tls-name-mismatch", Tls, "The certificate covers both www and the apex"),
    check("console-error", Browser, "No errors or warnings in the browser console"),
    check("uncaught-exception", Browser, "No uncaught JavaScript exceptions"),
    check("failed-request", Browser, "No failed or blocked subresource requests"),
    check("horizontal-overflow", Browser, "No content wider than the viewport"),
    check("form-submit-error", Browser, "Forms do not answer test submissions with an error page"),
    check("form-error-message-missing", Browser, "Forms explain bad input in human words"),
    check("form-unicode-mangled", Browser, "Forms keep international / Unicode input intact"),
    check("form-no-effect", Browser, "Form submissions visibly do something"),
    check("old-ie-unsupported", Browser, "Old Internet Explorer gets the site, not an 'unsupported browser' page"),
    check("old-ie-syntax", Browser, "Scripts parse in an ES5-only browser"),
    check("dev-banner-not-visible", Browser, "The DEV SITE marker is visible in the browser"),
];

/// Looks a check up by id.
pub fn find_check(id: &str) -> Option<&'static CheckInfo> {
    CATALOGUE.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut seen = HashSet::new();
        for c in CATALOGUE {
            assert!(seen.insert(c.id), "duplicate id {}", c.id);
            assert!(
                c.id.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
                "{} is not kebab-case",
                c.id
            );
            assert!(!c.id.starts_with('-') && !c.id.ends_with('-') && !c.id.contains("--"));
        }
    }

    #[test]
    fn lookup_finds_known_and_rejects_unknown() {
        assert_eq!(find_check("soft-404").map(|c| c.category), Some(Category::Http));
        assert!(find_check("no-such-check").is_none());
    }
}
