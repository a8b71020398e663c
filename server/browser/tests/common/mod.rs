//! A fixture website on 127.0.0.1 with the pages the browser checks must judge, and helpers
//! to run them with the system Chromium.

#![allow(dead_code)]

use std::{net::SocketAddr, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::Form,
    http::{header, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use preflight_browser::{BrowserSettings, Outcome};
use preflight_engine::{EnvProfile, Finding};
use url::Url;

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width, initial-scale=1\"><title>{title}</title></head><body>{body}</body></html>"
    ))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const FORM: &str = "<form method=post><label>Name <input name=name></label><label>E-mail <input type=email name=email></label><textarea name=message></textarea><button>Send</button></form>";

type Fields = Form<Vec<(String, String)>>;

/// Events Plausible's tracker sent to the fixture site's collector.
pub static PLAUSIBLE_EVENTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The tracker's documented set-up, as a module script (`captureOnLocalhost`: the site is on
/// 127.0.0.1).
fn plausible_tag(src: &str) -> String {
    format!(
        r#"<script type="module">import {{ init }} from "{src}"; init({{ domain: "shop.test", endpoint: "/api/event", captureOnLocalhost: true }});</script>"#
    )
}

fn field<'a>(f: &'a [(String, String)], name: &str) -> &'a str {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

pub fn router() -> Router {
    Router::new()
        .route("/", get(|| async { page("Home", "<h1>Fixture home</h1><p>Plain page.</p>") }))
        .route(
            "/console",
            get(|| async {
                page(
                    "Console",
                    "<h1>Console</h1><script>console.error('boom from the fixture')</script><script>undefinedFunction()</script><script src=\"/missing.js\"></script>",
                )
            }),
        )
        .route(
            "/overflow",
            get(|| async {
                page("Overflow", "<style>body{margin:0}.wide{width:1000px;height:50px;background:#c33}</style><h1>Wide</h1><div class=wide>1000 px</div>")
            }),
        )
        .route(
            "/ie-sniff",
            get(|headers: HeaderMap| async move {
                let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
                if ua.contains("Trident/") {
                    page("Unsupported", "<h1>Your browser is not supported.</h1><p>Please upgrade your browser.</p>")
                } else {
                    page("Shop", "<h1>Welcome to the shop</h1>")
                }
            }),
        )
        .route("/es2015", get(|| async { page("Modern", "<h1>Modern</h1><script src=\"/modern.js\"></script><script>var ok = 1;</script>") }))
        .route(
            "/modern.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], "var a = 1;\nconst double = (x) => x * 2;\nwindow.result = `${double(a)}`;\n") }),
        )
        .route("/dev-hidden", get(|| async { page("Dev", "<div style=\"display:none\">DEV SITE</div><h1>Hidden marker</h1>") }))
        .route("/dev-visible", get(|| async { page("Dev", "<div class=banner>DEV SITE</div><h1>Visible marker</h1>") }))
        // Forms.
        .route(
            "/form-good",
            get(|| async { page("Good form", FORM) }).post(|Form(f): Fields| async move {
                let name = field(&f, "name");
                if name.trim().is_empty() {
                    page("Good form", &format!("<p class=error role=alert>Please enter your name.</p>{FORM}"))
                } else {
                    page("Thanks", &format!("<p>Thank you, {}!</p>", escape(name)))
                }
            }),
        )
        .route(
            "/form-500",
            get(|| async { page("Fragile form", FORM) }).post(|Form(f): Fields| async move {
                if f.iter().any(|(_, v)| !v.is_ascii()) {
                    return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
                }
                page("Thanks", "<p>Thank you!</p>").into_response()
            }),
        )
        // Plausible's real tracker (npm, tests/corpus/analytics), proxied through the site as
        // Plausible documents: it sends its pageview to /api/event.
        .route(
            "/js/plausible.js",
            get(|| async {
                let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/analytics/node_modules/@plausible-analytics/tracker/plausible.js");
                let js = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e} (scripts/setup.sh --test installs it)", file.display()));
                ([(header::CONTENT_TYPE, "text/javascript")], js)
            }),
        )
        .route(
            "/api/event",
            axum::routing::post(|| async {
                PLAUSIBLE_EVENTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                (StatusCode::ACCEPTED, "ok")
            }),
        )
        .route("/analytics-ok", get(|| async { page("Shop", &format!("<h1>Shop</h1>{}", plausible_tag("/js/plausible.js"))) }))
        .route("/analytics-broken", get(|| async { page("Shop", &format!("<h1>Shop</h1>{}", plausible_tag("/js/plausible-renamed.js"))) }))
        .route(
            "/form-reflect",
            get(|| async { page("Search", FORM) }).post(|Form(f): Fields| async move {
                // Shows the name back without escaping it.
                page("Thanks", &format!("<p>Thank you, {}!</p>", field(&f, "name")))
            }),
        )
        .route("/form-silent", get(|| async { page("Silent form", FORM) }).post(|| async { page("Thanks", "<p>Thanks!</p>") }))
        .route(
            "/form-mangle",
            get(|| async { page("Mangling form", FORM) }).post(|Form(f): Fields| async move {
                let name = field(&f, "name");
                if name.trim().is_empty() {
                    return page("Mangling form", &format!("<p class=error>Name is required.</p>{FORM}"));
                }
                // Stores UTF-8 bytes in a Latin-1 column and shows them back.
                let mojibake: String = name.bytes().map(|b| b as char).collect();
                page("Thanks", &format!("<p>Thank you, {}!</p>", escape(&mojibake)))
            }),
        )
        .route(
            "/form-nothing",
            get(|| async { page("Dead form", "<form onsubmit=\"return false\"><input name=q required><button>Go</button></form>") }),
        )
        .route(
            "/login",
            get(|| async { page("Login", "<form method=post><input name=user><input type=password name=pass><button>Log in</button></form>") })
                .post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error") }),
        )
        // Hostile pages.
        .route("/alert-loop", get(|| async { page("Alerts", "<h1>Alerts</h1><script>while (true) { alert('hello'); }</script>") }))
        .route("/popup", get(|| async { page("Popup", "<h1>Popup</h1><script>window.open('/');window.open('/console')</script>") }))
        .route(
            "/download",
            get(|| async { ([(header::CONTENT_TYPE, "application/octet-stream"), (header::CONTENT_DISPOSITION, "attachment; filename=\"data.bin\"")], vec![0u8; 4096]) }),
        )
        .route(
            "/never-loads",
            get(|| async {
                let stream = endless_body();
                Response::builder().header(header::CONTENT_TYPE, "text/html; charset=utf-8").body(Body::from_stream(stream)).unwrap()
            }),
        )
        // Never loads, and holds ~240 MB (so a test can tell its renderer from the others).
        .route(
            "/heavy-never-loads",
            get(|| async {
                let head = futures::stream::once(async {
                    Ok::<_, std::io::Error>(Bytes::from_static(b"<!doctype html><title>Heavy</title><script>window.keep = new Float64Array(3e7).fill(1.5);</script>"))
                });
                use futures::StreamExt;
                Response::builder().header(header::CONTENT_TYPE, "text/html; charset=utf-8").body(Body::from_stream(head.chain(endless_body()))).unwrap()
            }),
        )
        .route("/endless-script", get(|| async { page("Busy", "<h1>Busy</h1><script>while (true) {}</script>") }))
        // Pages that leave as soon as they have loaded.
        .route("/leaves-by-script", get(|| async { page("Leaving", "<h1>Leaving</h1><script>addEventListener('load', function () { location.href = '/'; });</script>") }))
        .route("/leaves-by-refresh", get(|| async { page("Leaving", "<meta http-equiv=refresh content=\"0; url=/\"><h1>Leaving</h1>") }))
        // Changes only its fragment and history entry after loading: it stays.
        .route(
            "/stays",
            get(|| async { page("Stays", "<h1>Stays</h1><script>addEventListener('load', function () { location.hash = 'top'; history.pushState({}, '', '/stays?tab=2'); });</script>") }),
        )
        // An endless loop that starts 10 ms after the page has loaded.
        .route(
            "/late-loop",
            get(|| async { page("Late loop", "<h1>Late loop</h1><script>addEventListener('load', function () { setTimeout(function () { for (;;) {} }, 10); });</script>") }),
        )
        .route(
            "/crash",
            get(|| async { page("Crash", "<h1>Crash</h1><script>var a = []; for (;;) { a.push(new Array(4000000).fill(1.5)); }</script>") }),
        )
        .merge(a11y_pages())
        .merge(quality_pages())
}

/// A PNG of `w`×`h` pixels of noise (so it does not compress away): a large photo-like image.
pub fn noise_png(w: u32, h: u32) -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        image::Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// The system's sans-serif font file (fontconfig, which Chromium needs anyway).
fn system_font() -> Vec<u8> {
    let out = std::process::Command::new("fc-match").args(["-f", "%{file}", "sans"]).output().expect("fc-match (fontconfig) runs");
    std::fs::read(String::from_utf8_lossy(&out.stdout).trim()).expect("the font fc-match names")
}

/// A vector logo whose own size (150×150) is far larger than the fixture shows it (28×28).
const SVG_LOGO: &str =
    r##"<svg xmlns="http://www.w3.org/2000/svg" width="150" height="150" viewBox="0 0 150 150"><rect width="150" height="150" rx="24" fill="#1f4fd1"/></svg>"##;

/// Pages with known performance: `/quality/vitals` paints its largest element (an image that
/// takes 700 ms to arrive), shifts its content 90 px down 150 ms after its HTML is parsed and
/// then blocks the main thread for 300 ms; `/quality/heavy` has a slow stylesheet in its head, an 800×600
/// PNG shown at 200×150 (and two SVGs shown far smaller than their size, which is fine), a web font without font-display, and — on a phone — no viewport,
/// tiny text and a tiny link.
fn quality_pages() -> Router {
    let vitals = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Vitals</title>
<style>body { margin: 0; font: 16px sans-serif } #content { height: 450px; background: #eef }</style></head>
<body><div id="content"><h1>Vitals</h1><img id="hero" src="/quality/hero.png" width="600" height="300" alt="Hero"></div>
<script>addEventListener('DOMContentLoaded', function () {
  setTimeout(function () {
    var b = document.createElement('div'); b.style.height = '90px'; b.textContent = 'Late banner';
    document.body.insertBefore(b, document.body.firstChild);
    setTimeout(function () { var t = Date.now(); while (Date.now() - t < 300) {} }, 50);
  }, 150);
});</script></body></html>"#;
    let heavy = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Heavy</title>
<link rel="stylesheet" href="/quality/slow.css">
<style>@font-face { font-family: Fixture; src: url(/quality/font.ttf) format("truetype") } body { font-family: Fixture, sans-serif }</style></head>
<body><main><h1>Heavy</h1><img src="/quality/big.png" width="200" height="150" alt="Noise">
<img src="/quality/logo.svg" width="28" height="28" alt="Logo"><img src="/quality/mark" width="28" height="28" alt="Mark">
<p style="font-size: 9px">The fine print of this page is set in nine pixel type, which nobody can read on a phone without zooming in first.</p>
<a href="/quality/vitals" style="display: inline-block; font-size: 9px; line-height: 10px">x</a></main></body></html>"#;
    Router::new()
        .route("/quality/vitals", get(move || async move { Html(vitals) }))
        .route(
            "/quality/hero.png",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(700)).await;
                ([(header::CONTENT_TYPE, "image/png")], noise_png(600, 300))
            }),
        )
        .route("/quality/heavy", get(move || async move { Html(heavy) }))
        .route(
            "/quality/slow.css",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                ([(header::CONTENT_TYPE, "text/css")], "h1 { color: #333 }")
            }),
        )
        .route("/quality/big.png", get(|| async { ([(header::CONTENT_TYPE, "image/png")], noise_png(800, 600)) }))
        // 150×150 vector images, one named .svg, one known only by its content type.
        .route("/quality/logo.svg", get(|| async { ([(header::CONTENT_TYPE, "image/svg+xml")], SVG_LOGO) }))
        .route("/quality/mark", get(|| async { ([(header::CONTENT_TYPE, "image/svg+xml")], SVG_LOGO) }))
        .route("/quality/font.ttf", get(|| async { ([(header::CONTENT_TYPE, "font/ttf")], system_font()) }))
}

/// The accessibility fixture site (tests/corpus/a11y-site, also what scripts/bench-quality.sh
/// serves to Lighthouse and Preflight): `/{name}.html`, each page breaking one rule family, a
/// clean page breaking none, and their `/site.css`.
fn a11y_pages() -> Router {
    Router::new().route(
        "/{file}",
        get(|axum::extract::Path(file): axum::extract::Path<String>| async move {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/a11y-site");
            let kind = if file.ends_with(".html") {
                Some("text/html; charset=utf-8")
            } else if file.ends_with(".css") {
                Some("text/css")
            } else {
                None
            };
            let ok = !file.contains('/') && !file.starts_with('.');
            match kind.filter(|_| ok).and_then(|k| std::fs::read_to_string(dir.join(&file)).ok().map(|body| (k, body))) {
                Some((kind, body)) => ([(header::CONTENT_TYPE, kind)], body).into_response(),
                None => (StatusCode::NOT_FOUND, "not here").into_response(),
            }
        }),
    )
}

/// A page body that never ends: a bit of HTML, then a comment every 200 ms, forever.
fn endless_body() -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    use futures::StreamExt;
    let head = Bytes::from_static(b"<!doctype html><html><head><title>Slow</title></head><body><h1>Loading forever</h1>");
    futures::stream::once(async move { Ok(head) }).chain(futures::stream::unfold((), |_| async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Some((Ok(Bytes::from_static(b"<!-- still loading -->\n")), ()))
    }))
}

/// Serves the fixture site on a free loopback port.
pub async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router()).await.unwrap() });
    addr
}

pub fn urls(addr: SocketAddr, paths: &[&str]) -> Vec<Url> {
    paths.iter().map(|p| Url::parse(&format!("http://{addr}{p}")).unwrap()).collect()
}

pub fn settings(env: EnvProfile) -> BrowserSettings {
    BrowserSettings::new(env)
}

pub async fn run(settings: BrowserSettings, pages: Vec<Url>) -> Outcome {
    preflight_browser::run(settings, pages, |_| {}).await.expect("the browser run")
}

/// Findings of `check` about the page whose path is `path`.
pub fn about<'a>(o: &'a Outcome, check: &str, path: &str) -> Vec<&'a Finding> {
    o.findings.iter().filter(|f| f.check == check && Url::parse(&f.url).map(|u| u.path() == path).unwrap_or(false)).collect()
}

/// Chromium processes this test process started that are still running.
pub fn my_browsers() -> Vec<u32> {
    preflight_browser::chromium::owned_by(std::process::id()).0
}

/// Asserts every browser this process started is gone (allowing a moment for exit).
pub fn assert_no_browsers_left() {
    for _ in 0..40 {
        if my_browsers().is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("Chromium processes left running: {:?}", my_browsers());
}

/// Resident memory of a process, in MB.
pub fn rss_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) / 1024
}

/// The renderer processes of the browsers this test process started.
pub fn my_renderers() -> Vec<u32> {
    let browsers = my_browsers();
    let parent = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        // (Chromium rewrites its processes' titles: the arguments may be one string.)
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).map(|c| String::from_utf8_lossy(&c).into_owned()).unwrap_or_default();
        let is_renderer = cmdline.contains("--type=renderer") && !cmdline.contains("--top-chrome-webui");
        if !is_renderer {
            continue;
        }
        let mut p = parent(pid);
        for _ in 0..6 {
            match p {
                Some(pp) if browsers.contains(&pp) => {
                    out.push(pid);
                    break;
                }
                Some(pp) if pp > 1 => p = parent(pp),
                _ => break,
            }
        }
    }
    out
}
