//! Extracting what the checks need from an HTML page, in one parse.

use scraper::{Html, Selector};
use url::Url;

/// What kind of subresource an asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    Image,
    Script,
    Stylesheet,
    Icon,
    Frame,
    Media,
}

impl AssetKind {
    pub fn label(self) -> &'static str {
        match self {
            AssetKind::Image => "image",
            AssetKind::Script => "script",
            AssetKind::Stylesheet => "stylesheet",
            AssetKind::Icon => "icon",
            AssetKind::Frame => "frame",
            AssetKind::Media => "media file",
        }
    }
}

#[derive(Debug, Clone)]
pub struct FormInfo {
    pub method: String,
    pub action: Url,
    /// (name, type) of each input, select and textarea.
    pub fields: Vec<(String, String)>,
}

impl FormInfo {
    pub fn has_password(&self) -> bool {
        self.fields.iter().any(|(_, t)| t == "password")
    }

    /// A "forgot your password?" form: one e-mail or user-name field (hidden fields aside), on
    /// a page or posting to an address that names a password reset (`/forgot`,
    /// `/password_reset`, `wp-login.php?action=lostpassword`…). Part of a sign-in wall.
    pub fn is_account_recovery(&self, page: &Url) -> bool {
        let visible: Vec<&(String, String)> = self.fields.iter().filter(|(_, t)| !matches!(t.as_str(), "hidden" | "submit" | "button")).collect();
        let one_account_field = matches!(visible.as_slice(), [(name, kind)]
            if kind == "email" || (kind == "text" && ["email", "user", "login", "username", "user_login"].iter().any(|n| name.to_ascii_lowercase().contains(n))));
        let names_reset = |u: &Url| {
            let s = format!("{}?{}", u.path(), u.query().unwrap_or("")).to_ascii_lowercase();
            ["forgot", "reset", "lostpassword", "lost-password", "recover", "password"].iter().any(|w| s.contains(w))
        };
        one_account_field && (names_reset(page) || names_reset(&self.action))
    }
}

/// Everything the checks read from one page.
#[derive(Debug, Clone, Default)]
pub struct PageData {
    pub title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical: Option<Url>,
    pub robots_meta: Option<String>,
    pub links: Vec<Url>,
    pub assets: Vec<(AssetKind, Url)>,
    /// Subresource references written with plain `http://` (mixed content on https pages).
    pub insecure_refs: Vec<String>,
    pub forms: Vec<FormInfo>,
    /// Visible text: the body without scripts, styles and templates, whitespace collapsed.
    pub text: String,
    pub mailto: Vec<String>,
    pub tel: Vec<String>,
    /// Inline script text (for analytics and credentials).
    pub scripts: String,
    pub has_stylesheet: bool,
    /// Open Graph properties (`og:title`, `og:image`…) with content.
    pub open_graph: Vec<String>,
    /// `<meta http-equiv="X-UA-Compatible" content="…">`.
    pub x_ua_compatible: Option<String>,
}

/// Visible text and inline script kept per page (the content checks read these; a page's
/// text beyond this is not judged, which keeps a crawl of huge pages in bounded memory).
pub const MAX_KEPT_TEXT: usize = 256 * 1024;

/// CSS selectors, parsed once.
struct Selectors {
    base: Selector,
    title: Selector,
    meta: Selector,
    link: Selector,
    style: Selector,
    anchors: Selector,
    assets: [(Selector, &'static str, AssetKind); 5],
    form: Selector,
    fields: Selector,
    inline_script: Selector,
    body: Selector,
}

static SELECTORS: std::sync::LazyLock<Selectors> = std::sync::LazyLock::new(|| {
    let sel = |s: &str| Selector::parse(s).expect("valid selector");
    Selectors {
        base: sel("base[href]"),
        title: sel("title"),
        meta: sel("meta"),
        link: sel("link[rel][href]"),
        style: sel("style"),
        anchors: sel("a[href], area[href]"),
        assets: [
            (sel("img[src]"), "src", AssetKind::Image),
            (sel("script[src]"), "src", AssetKind::Script),
            (sel("iframe[src]"), "src", AssetKind::Frame),
            (sel("video[src], audio[src], source[src]"), "src", AssetKind::Media),
            (sel("input[type=image][src]"), "src", AssetKind::Image),
        ],
        form: sel("form"),
        fields: sel("input, select, textarea"),
        inline_script: sel("script:not([src])"),
        body: sel("body"),
    }
});

/// Resolves a reference against the page; only http(s), without the fragment.
fn resolve(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let mut u = base.join(href).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    u.set_fragment(None);
    Some(u)
}

pub fn parse(base: &Url, html: &str) -> PageData {
    let doc = Html::parse_document(html);
    let sel = &*SELECTORS;
    let mut d = PageData::default();
    let base = doc.select(&sel.base).next().and_then(|b| b.value().attr("href")).and_then(|h| base.join(h).ok()).unwrap_or_else(|| base.clone());

    d.title = doc.select(&sel.title).next().map(|t| collapse(&t.text().collect::<String>())).filter(|t| !t.is_empty());
    for m in doc.select(&sel.meta) {
        let name = m.value().attr("name").unwrap_or("").to_ascii_lowercase();
        let content = m.value().attr("content").map(collapse);
        // Open Graph uses `property`, though many sites write `name`.
        let property = m.value().attr("property").unwrap_or("").to_ascii_lowercase();
        for og in [&property, &name] {
            if og.starts_with("og:") && content.as_ref().is_some_and(|c| !c.is_empty()) && !d.open_graph.contains(og) {
                d.open_graph.push(og.clone());
            }
        }
        if m.value().attr("http-equiv").is_some_and(|h| h.eq_ignore_ascii_case("x-ua-compatible")) {
            d.x_ua_compatible = content.clone();
        }
        match name.as_str() {
            "description" => d.meta_description = content.filter(|c| !c.is_empty()),
            // Both address the same question; either saying noindex is enough.
            "robots" | "googlebot" => {
                d.robots_meta = Some(match (d.robots_meta.take(), content) {
                    (Some(a), Some(b)) => format!("{a}, {b}"),
                    (a, b) => a.or(b).unwrap_or_default(),
                })
            }
            _ => {}
        }
    }
    for l in doc.select(&sel.link) {
        let rel = l.value().attr("rel").unwrap_or("").to_ascii_lowercase();
        let href = l.value().attr("href").unwrap_or("");
        let rels: Vec<&str> = rel.split_whitespace().collect();
        if rels.contains(&"canonical") {
            d.canonical = base.join(href.trim()).ok();
        }
        if rels.contains(&"stylesheet") {
            d.has_stylesheet = true;
            push_asset(&mut d, &base, AssetKind::Stylesheet, href);
        }
        if rels.contains(&"icon") || rels.contains(&"apple-touch-icon") {
            push_asset(&mut d, &base, AssetKind::Icon, href);
        }
    }
    if doc.select(&sel.style).next().is_some() {
        d.has_stylesheet = true;
    }
    for a in doc.select(&sel.anchors) {
        let href = a.value().attr("href").unwrap_or("");
        let lower = href.trim().to_ascii_lowercase();
        if let Some(m) = lower.strip_prefix("mailto:") {
            // `mailto:?subject=…` (a "share by e-mail" link) names no address; percent-encoded
            // and comma-separated addresses are read as such.
            let to = m.split('?').next().unwrap_or("");
            for a in to.split(',').map(|a| percent_encoding::percent_decode_str(a.trim()).decode_utf8_lossy().trim().to_string()).filter(|a| a.contains('@')) {
                d.mailto.push(a);
            }
        } else if lower.starts_with("tel:") {
            d.tel.push(href.trim()[4..].to_string());
        } else if let Some(u) = resolve(&base, href) {
            d.links.push(u);
        }
    }
    for (selector, attr, kind) in &sel.assets {
        for e in doc.select(selector) {
            push_asset(&mut d, &base, *kind, e.value().attr(attr).unwrap_or(""));
        }
    }
    for f in doc.select(&sel.form) {
        let method = f.value().attr("method").unwrap_or("get").to_ascii_lowercase();
        let action = f.value().attr("action").and_then(|a| base.join(a.trim()).ok()).unwrap_or_else(|| base.clone());
        let fields = f
            .select(&sel.fields)
            .map(|i| {
                let v = i.value();
                let ty = match v.name() {
                    "input" => v.attr("type").unwrap_or("text").to_ascii_lowercase(),
                    other => other.to_string(),
                };
                (v.attr("name").unwrap_or("").to_string(), ty)
            })
            .collect();
        d.forms.push(FormInfo { method, action, fields });
    }
    let mut scripts = String::new();
    for s in doc.select(&sel.inline_script) {
        if scripts.len() >= MAX_KEPT_TEXT {
            break;
        }
        push_capped(&mut scripts, &s.text().collect::<String>());
        scripts.push('\n');
    }
    d.scripts = scripts;
    if let Some(body) = doc.select(&sel.body).next() {
        let mut text = String::new();
        for node in body.descendants() {
            if text.len() >= MAX_KEPT_TEXT {
                break;
            }
            if let Some(t) = node.value().as_text() {
                let hidden = node.ancestors().any(|a| a.value().as_element().is_some_and(|e| matches!(e.name(), "script" | "style" | "noscript" | "template")));
                if !hidden {
                    push_capped(&mut text, t);
                    text.push(' ');
                }
            }
        }
        d.text = collapse(&text);
    }
    d.links.sort();
    d.links.dedup();
    d.assets.sort();
    d.assets.dedup();
    d
}

fn push_asset(d: &mut PageData, base: &Url, kind: AssetKind, href: &str) {
    let h = href.trim();
    if h.to_ascii_lowercase().starts_with("http://") && kind != AssetKind::Icon {
        d.insecure_refs.push(h.to_string());
    }
    if let Some(u) = resolve(base, h) {
        d.assets.push((kind, u));
    }
}

/// Appends as much of `t` as fits under [`MAX_KEPT_TEXT`] (a single huge text node is cut
/// too, on a character boundary).
fn push_capped(dst: &mut String, t: &str) {
    let room = MAX_KEPT_TEXT.saturating_sub(dst.len());
    let cut = if t.len() <= room { t.len() } else { (0..=room).rev().find(|i| t.is_char_boundary(*i)).unwrap_or(0) };
    dst.push_str(&t[..cut]);
}

/// Collapses runs of whitespace into single spaces.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_recovery_forms_are_account_forms() {
        let page = |path: &str, html: &str| {
            let base = Url::parse(&format!("https://app.example.test{path}")).unwrap();
            let d = parse(&base, html);
            d.forms.first().is_some_and(|f| f.is_account_recovery(&base))
        };
        // Preflight's own /forgot (rendered without name attributes), GitHub's and WordPress's shapes.
        assert!(page(
            "/forgot",
            r#"<form class="stack"><label>E-mail <input type="email" required autocomplete="username"></label><button type="submit">Send</button></form>"#
        ));
        assert!(page(
            "/password_reset",
            r#"<form action="/password_reset" method="post"><input type="hidden" name="authenticity_token" value="x"><input type="text" name="email"><input type="submit" value="Send"></form>"#
        ));
        assert!(page(
            "/wp-login.php",
            r#"<form name="lostpasswordform" action="/wp-login.php?action=lostpassword" method="post"><input type="text" name="user_login"><input type="hidden" name="redirect_to"><input type="submit" name="wp-submit"></form>"#
        ));
        // A newsletter sign-up or a search is not.
        assert!(!page("/", r#"<form action="/subscribe"><input type="email" name="email"></form>"#));
        assert!(!page("/forgot", r#"<form><input type="search" name="q"></form>"#));
        assert!(!page("/reset", r#"<form><input type="email" name="email"><textarea name="message"></textarea></form>"#));
    }

    #[test]
    fn extracts_what_the_checks_need() {
        let base = Url::parse("https://www.example.test/shop/").unwrap();
        let html = r#"<!doctype html><html><head><title> Shop
            home </title><meta name="description" content="Buy things"><link rel="canonical" href="/shop/">
            <link rel="stylesheet" href="/s.css"><link rel="icon" href="/favicon.png">
            <script src="http://cdn.example.test/x.js"></script><script>gtag('config')</script></head>
            <body><a href="a.html#top">A</a><a href="mailto:info@example.test?subject=hi">mail</a>
            <a href="tel:+1 555 0100">call</a><a href="javascript:void(0)">js</a><img src="/i.png">
            <form method="POST" action="/login"><input name="user"><input type="password" name="pw"></form>
            <p>Hello   <b>world</b></p><script>var hidden = 1;</script></body></html>"#;
        let d = parse(&base, html);
        assert_eq!(d.title.as_deref(), Some("Shop home"));
        assert_eq!(d.meta_description.as_deref(), Some("Buy things"));
        assert_eq!(d.canonical.as_ref().map(Url::as_str), Some("https://www.example.test/shop/"));
        assert_eq!(d.links, vec![Url::parse("https://www.example.test/shop/a.html").unwrap()]);
        assert_eq!(d.mailto, vec!["info@example.test"]);
        // A share link names no address; encoded and listed addresses are read.
        let share = parse(&base, r#"<a href="mailto:?subject=Look&body=x">Share</a><a href="mailto:a%40x.test,b@y.test">Both</a>"#);
        assert_eq!(share.mailto, vec!["a@x.test", "b@y.test"]);
        assert_eq!(d.tel, vec!["+1 555 0100"]);
        assert!(d.assets.iter().any(|(k, u)| *k == AssetKind::Image && u.path() == "/i.png"));
        assert_eq!(d.insecure_refs, vec!["http://cdn.example.test/x.js"]);
        assert!(d.forms[0].has_password() && d.forms[0].method == "post");
        assert!(d.text.contains("Hello world") && !d.text.contains("hidden"));
        assert!(d.scripts.contains("gtag"));
        let social = parse(
            &base,
            r#"<meta property="og:title" content="Shop"><meta name="og:image" content="/i.png"><meta property="og:url" content="">
            <meta http-equiv="X-UA-Compatible" content="IE=edge">"#,
        );
        assert_eq!(social.open_graph, vec!["og:title", "og:image"]);
        assert_eq!(social.x_ua_compatible.as_deref(), Some("IE=edge"));
    }
}
