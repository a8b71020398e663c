//! Harness for end-to-end tests: starts the real `preflight` binary on a free loopback
//! port with a fresh data folder, and drives the system Chromium with `headless_chrome`.

use std::{
    ffi::OsStr,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    thread,
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context, Result};
use headless_chrome::{protocol::cdp::types::Event, Browser, LaunchOptions, Tab};

/// The workspace root (end2end/..).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The server binary under test: `PREFLIGHT_BIN`, or the debug build.
pub fn preflight_bin() -> PathBuf {
    std::env::var_os("PREFLIGHT_BIN").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target/debug/preflight"))
}

/// A running server with its own data folder; killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub data: tempfile::TempDir,
}

impl Server {
    pub fn start() -> Result<Server> {
        let data = tempfile::tempdir()?;
        Self::start_in(data)
    }

    pub fn start_in(data: tempfile::TempDir) -> Result<Server> {
        Self::start_at(data, &workspace_root().join("target/site"), None)
    }

    /// A server with a given data folder and built site, on `port` (a restarted server keeps
    /// its address, as a real deployment does) or a free one.
    pub fn start_at(data: tempfile::TempDir, site: &Path, port: Option<u16>) -> Result<Server> {
        let port = match port {
            Some(p) => p,
            None => TcpListener::bind("127.0.0.1:0")?.local_addr()?.port(),
        };
        let bin = preflight_bin();
        if !site.join("pkg/preflight_bg.wasm").exists() {
            bail!("no built WASM in {}: run scripts/build.sh first", site.display());
        }
        let child = Command::new(&bin)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(data.path())
            .arg("--site-root")
            .arg(site)
            .env("PREFLIGHT_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut server = Server { child, base: format!("http://127.0.0.1:{port}"), data };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = self.base.trim_start_matches("http://").to_string();
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited during start-up: {status}");
            }
            if std::net::TcpStream::connect(&addr).is_ok() {
                return Ok(());
            }
            thread::sleep(Duration::from_millis(50));
        }
        bail!("the server did not start listening within 30 s")
    }

    /// Stops the server and hands back its data folder (for a restart).
    pub fn stop(mut self) -> Result<tempfile::TempDir> {
        Ok(std::mem::replace(&mut self.data, tempfile::tempdir()?))
    }

    pub fn port(&self) -> u16 {
        self.base.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or_default()
    }

    /// The one-time setup code a fresh install printed (and keeps in `<data>/setup-code`).
    pub fn setup_code(&self) -> Result<String> {
        Ok(std::fs::read_to_string(self.data.path().join("setup-code")).context("reading the setup code")?.trim().to_string())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Runs a `preflight` subcommand against this server's data folder.
    pub fn cli(&self, args: &[&str], stdin: &str) -> Result<String> {
        use std::io::Write;
        let mut child = Command::new(preflight_bin())
            .args(args)
            .arg("--data-dir")
            .arg(self.data.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes())?;
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!("preflight {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8(out.stdout)?)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies a built site: its files and folders (links, as older builds made, are left out).
pub fn copy_site(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_site(&entry.path(), &to.join(entry.file_name()))?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// The system Chromium: `CHROMIUM`, else the usual Debian paths.
pub fn chromium_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Ok(PathBuf::from(p));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or_else(|| anyhow!("no Chromium found: install it (apt-get install chromium) or set CHROMIUM"))
}

/// A headless Chromium with its own throw-away profile.
pub struct TestBrowser {
    pub browser: Browser,
    _profile: tempfile::TempDir,
}

pub fn launch_browser() -> Result<TestBrowser> {
    let profile = tempfile::tempdir()?;
    let args: Vec<&OsStr> = [
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--disable-domain-reliability",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    let options = LaunchOptions::default_builder()
        .path(Some(chromium_path()?))
        .headless(true)
        .sandbox(false)
        .window_size(Some((1280, 900)))
        .user_data_dir(Some(profile.path().to_path_buf()))
        .idle_browser_timeout(Duration::from_secs(600))
        .args(args)
        .build()
        .map_err(|e| anyhow!("{e}"))?;
    let browser = Browser::new(options)?;
    Ok(TestBrowser { browser, _profile: profile })
}

/// Console errors, warnings and uncaught exceptions a tab reported.
#[derive(Clone, Default)]
pub struct ConsoleLog(pub Arc<Mutex<Vec<String>>>);

impl ConsoleLog {
    pub fn attach(tab: &Tab) -> Result<ConsoleLog> {
        let log = ConsoleLog::default();
        tab.enable_log()?;
        tab.enable_runtime()?;
        let sink = log.0.clone();
        tab.add_event_listener(Arc::new(move |ev: &Event| {
            let line = match ev {
                Event::LogEntryAdded(e) => {
                    let level = format!("{:?}", e.params.entry.level);
                    (level == "Error" || level == "Warning").then(|| format!("log {level}: {}", e.params.entry.text))
                }
                Event::RuntimeExceptionThrown(e) => Some(format!("exception: {}", e.params.exception_details.text)),
                Event::RuntimeConsoleAPICalled(e) => {
                    let kind = format!("{:?}", e.params.Type);
                    (kind == "Error" || kind == "Warning").then(|| {
                        let args: Vec<String> = e.params.args.iter().filter_map(|a| a.value.as_ref().map(|v| v.to_string())).collect();
                        format!("console {kind}: {}", args.join(" "))
                    })
                }
                _ => None,
            };
            if let Some(l) = line {
                sink.lock().unwrap().push(l);
            }
        }))?;
        Ok(log)
    }

    pub fn entries(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Evaluates JavaScript and returns its value as JSON.
pub fn js(tab: &Tab, expr: &str) -> Result<serde_json::Value> {
    let r = tab.evaluate(expr, true)?;
    Ok(r.value.unwrap_or(serde_json::Value::Null))
}

/// Polls `expr` until it is truthy; returns how long that took.
pub fn wait_for(tab: &Tab, expr: &str, timeout: Duration) -> Result<Duration> {
    let start = Instant::now();
    loop {
        // While a form's answer loads there is no page to ask: that is a "not yet".
        let v = match js(tab, expr) {
            Ok(v) => v,
            Err(e) if start.elapsed() <= timeout => {
                let _ = e;
                serde_json::Value::Null
            }
            Err(e) => return Err(e),
        };
        if matches!(v, serde_json::Value::Bool(true)) {
            return Ok(start.elapsed());
        }
        if start.elapsed() > timeout {
            bail!("timed out after {timeout:?} waiting for {expr}; page is {}", tab.get_url());
        }
        thread::sleep(Duration::from_millis(25));
    }
}

/// Waits until the WASM app has hydrated the page.
pub fn wait_hydrated(tab: &Tab) -> Result<()> {
    wait_for(tab, "document.body && document.body.dataset.hydrated === 'true'", Duration::from_secs(30)).map(|_| ())
}

/// Waits until a page without the app (the client's review page) has loaded.
pub fn wait_loaded(tab: &Tab) -> Result<()> {
    wait_for(tab, "document.readyState === 'complete' && !!document.querySelector('main')", Duration::from_secs(30)).map(|_| ())
}

/// Sets a form field's value the way typing would (fires `input` and `change`).
pub fn fill(tab: &Tab, selector: &str, value: &str) -> Result<()> {
    let expr = format!(
        "(() => {{ const el = document.querySelector({sel}); if (!el) return false; el.value = {val}; \
         el.dispatchEvent(new Event('input', {{bubbles: true}})); el.dispatchEvent(new Event('change', {{bubbles: true}})); return true; }})()",
        sel = serde_json::to_string(selector)?,
        val = serde_json::to_string(value)?
    );
    match js(tab, &expr)? {
        serde_json::Value::Bool(true) => Ok(()),
        _ => bail!("no field matches {selector} on {}", tab.get_url()),
    }
}

/// Picks `value` in a `<select>` the way a person would (fires `change`).
pub fn choose(tab: &Tab, selector: &str, value: &str) -> Result<()> {
    let expr = format!(
        "(() => {{ const s = document.querySelector({sel}); if (!s) return false; s.value = {val}; \
         s.dispatchEvent(new Event('change', {{bubbles: true}})); return s.value === {val}; }})()",
        sel = serde_json::to_string(selector)?,
        val = serde_json::to_string(value)?
    );
    match js(tab, &expr)? {
        serde_json::Value::Bool(true) => Ok(()),
        _ => bail!("no select {selector} with an option {value} on {}", tab.get_url()),
    }
}

/// Saves a PNG screenshot under target/e2e-screenshots/ (for people to look at).
pub fn screenshot(tab: &Tab, name: &str) -> Result<PathBuf> {
    use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
    let dir = workspace_root().join("target/e2e-screenshots");
    std::fs::create_dir_all(&dir)?;
    let png = tab.capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)?;
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png)?;
    Ok(path)
}

/// A website for the checks to look at, served on 127.0.0.1 by a thread of the test: each
/// path answers the HTML last set for it (404 otherwise), so a test can change the site
/// between two check runs.
pub struct FixtureSite {
    pub base: String,
    pages: Arc<Mutex<std::collections::HashMap<String, String>>>,
}

impl FixtureSite {
    pub fn start() -> Result<FixtureSite> {
        use std::io::{Read, Write};
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let pages: Arc<Mutex<std::collections::HashMap<String, String>>> = Arc::default();
        let shared = pages.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let pages = shared.clone();
                thread::spawn(move || {
                    let mut stream = stream;
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65_536 {
                        match stream.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf);
                    let path = head.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/").to_string();
                    let page = pages.lock().expect("pages lock").get(&path).cloned();
                    let (status, body) = match page {
                        Some(b) => ("200 OK", b),
                        None => ("404 Not Found", "<!doctype html><title>Not found</title><h1>Not found</h1>".to_string()),
                    };
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                });
            }
        });
        Ok(FixtureSite { base, pages })
    }

    /// Serves `html` at `path` from now on.
    pub fn set(&self, path: &str, html: &str) {
        self.pages.lock().expect("pages lock").insert(path.to_string(), html.to_string());
    }
}

/// Emulates a screen `width` × `height` CSS pixels (touch and mobile layout when `mobile`)
/// and waits until the page has the width.
pub fn set_screen(tab: &Tab, width: u32, height: u32, mobile: bool) -> Result<()> {
    use headless_chrome::protocol::cdp::Emulation::SetDeviceMetricsOverride;
    tab.call_method(SetDeviceMetricsOverride {
        width,
        height,
        device_scale_factor: 1.0,
        mobile,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })?;
    wait_for(tab, &format!("window.innerWidth === {width}"), Duration::from_secs(5))?;
    Ok(())
}

/// How many CSS pixels the page reaches past the right edge of the screen (0: none).
pub fn horizontal_overflow(tab: &Tab) -> Result<i64> {
    Ok(js(tab, "document.documentElement.scrollWidth - window.innerWidth")?.as_i64().unwrap_or(0).max(0))
}
