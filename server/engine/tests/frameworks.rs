//! Detectors proven on what real frameworks emit: the tests start the real software (installed
//! pinned by `scripts/setup.sh --test`) on 127.0.0.1 in its debug and its production
//! configuration and check it with the engine. Debug mode must be found; production must not.

mod common;

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use common::*;
use preflight_engine::{CheckConfig, CheckStatus, EnvProfile, Finding, Report};

/// A server process, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until something accepts connections on `port`.
fn wait_listening(server: &mut Server, port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("{what} exited during start-up ({status}); is it installed? scripts/setup.sh --test installs it");
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not listen on port {port} within 30 s");
}

/// Starts `cmd` (a framework's server that will listen on `port`), checks it as a production
/// site with the engine, and stops it.
async fn check_server(cmd: Command, port: u16, what: &str) -> Vec<Finding> {
    check_server_report(cmd, port, what).await.findings
}

async fn check_server_report(mut cmd: Command, port: u16, what: &str) -> Report {
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap_or_else(|e| panic!("{what} does not start: {e}"));
    let mut server = Server(child);
    wait_listening(&mut server, port, what);
    let mut config = CheckConfig::new(&format!("http://127.0.0.1:{port}/")).unwrap();
    config.env = EnvProfile::Production;
    config.skip_dns = true;
    let report = check(&config).await;
    drop(server);
    report
}

/// A minimal Django project: a home page linking to a view that raises and to a page that
/// does not exist. `DEBUG` comes from the environment.
fn django_project(dir: &Path) {
    let proj = dir.join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(proj.join("__init__.py"), "").unwrap();
    std::fs::write(
        proj.join("settings.py"),
        r#"import os
SECRET_KEY = "preflight-tests-only"
DEBUG = os.environ.get("PF_DEBUG") == "1"
ALLOWED_HOSTS = os.environ.get("PF_HOSTS", "127.0.0.1").split(",")
ROOT_URLCONF = "proj.urls"
INSTALLED_APPS = []
# What `startproject` writes first: CommonMiddleware is what checks the Host against ALLOWED_HOSTS.
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
DATABASES = {}
USE_TZ = True
if os.environ.get("PF_TOOLBAR") == "1":
    INSTALLED_APPS = ["django.contrib.staticfiles", "debug_toolbar"]
    MIDDLEWARE = ["django.middleware.common.CommonMiddleware", "debug_toolbar.middleware.DebugToolbarMiddleware"]
    INTERNAL_IPS = ["127.0.0.1"]
    STATIC_URL = "/static/"
    TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
"#,
    )
    .unwrap();
    std::fs::write(
        proj.join("urls.py"),
        r#"import os
from django.http import HttpResponse
from django.urls import path

def home(request):
    return HttpResponse('<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1><a href="/boom">Order</a> <a href="/missing-page">Old page</a></body></html>')

def boom(request):
    raise RuntimeError("the order service is down")

urlpatterns = [path("", home), path("boom", boom)]
if os.environ.get("PF_TOOLBAR") == "1":
    from django.urls import include
    urlpatterns.append(path("__debug__/", include("debug_toolbar.urls")))
"#,
    )
    .unwrap();
}

async fn run_django(debug: bool) -> Vec<Finding> {
    run_django_with(debug, &[]).await.findings
}

/// Django with extra settings from the environment (`PF_TOOLBAR=1`, `PF_HOSTS=*`).
async fn run_django_with(debug: bool, env: &[(&str, &str)]) -> Report {
    let dir = tempfile::tempdir().unwrap();
    django_project(dir.path());
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "django", "runserver", &format!("127.0.0.1:{port}"), "--noreload", "--nothreading"])
        .env("DJANGO_SETTINGS_MODULE", "proj.settings")
        .env("PYTHONPATH", dir.path())
        .env("PF_DEBUG", if debug { "1" } else { "0" })
        .envs(env.iter().copied());
    check_server_report(cmd, port, "Django's runserver").await
}

fn of<'a>(f: &'a [Finding], check: &str) -> Vec<&'a Finding> {
    f.iter().filter(|x| x.check == check).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn django_debug_pages_are_found_and_production_pages_are_not() {
    let version = Command::new("python3").args(["-c", "import django; print(django.get_version())"]).output().expect("python3 runs");
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), "5.2.8", "scripts/setup.sh --test installs Django 5.2.8");

    // DEBUG = True: the technical 404 and 500 pages give the site away.
    let debug = run_django(true).await;
    let exposed = of(&debug, "debug-page-exposed");
    assert_eq!(exposed.len(), 1, "one finding per kind of debug page: {debug:#?}");
    assert!(exposed[0].message.contains("Django debug page"), "{:?}", exposed[0]);
    assert!(of(&debug, "server-error").iter().any(|f| f.url.ends_with("/boom")), "{debug:#?}");

    // DEBUG = False: the same failures, but no debug page; Django's bare default 500 page is
    // recognised as a default error page.
    let prod = run_django(false).await;
    assert!(of(&prod, "debug-page-exposed").is_empty(), "{prod:#?}");
    assert!(of(&prod, "server-error").iter().any(|f| f.url.ends_with("/boom")), "{prod:#?}");
    let default_500 = of(&prod, "error-page-default").into_iter().find(|f| f.url.ends_with("/boom")).cloned();
    let default_500 = default_500.unwrap_or_else(|| panic!("{prod:#?}"));
    assert!(default_500.message.contains("Django's default page"), "{default_500:?}");
    // runserver answering a production site: a development server, naming its versions.
    assert!(of(&prod, "dev-server-in-production").iter().any(|f| f.evidence.starts_with("Server: WSGIServer/")), "{prod:#?}");
    assert!(of(&prod, "server-version-disclosed").iter().any(|f| f.evidence.contains("CPython/")), "{prod:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn djangos_debug_toolbar_and_allowed_hosts_are_seen() {
    let version = Command::new("python3").args(["-c", "import importlib.metadata as m; print(m.version('django-debug-toolbar'))"]).output();
    assert_eq!(String::from_utf8_lossy(&version.expect("python3 runs").stdout).trim(), "8.0.0", "scripts/setup.sh --test installs django-debug-toolbar 8.0.0");
    // The toolbar on every page (DEBUG with the toolbar installed), and ALLOWED_HOSTS = ["*"].
    let toolbar = run_django_with(true, &[("PF_TOOLBAR", "1"), ("PF_HOSTS", "*")]).await;
    let exposed = of(&toolbar.findings, "debug-page-exposed");
    assert!(exposed.iter().any(|f| f.message.contains("Django Debug Toolbar")), "{:#?}", toolbar.findings);
    let host = of(&toolbar.findings, "host-header-accepted");
    assert_eq!(host.len(), 1, "ALLOWED_HOSTS = ['*'] answers any host: {:#?}", toolbar.findings);

    // ALLOWED_HOSTS naming the site: Django answers a made-up Host with 400, which passes.
    let strict = run_django_with(false, &[]).await;
    let outcome = strict.checks.iter().find(|c| c.id == "host-header-accepted").unwrap();
    assert_eq!(outcome.status, CheckStatus::Passed, "{}", strict.to_text(false));
}

/// A minimal Starlette app (what FastAPI's `debug=True` also shows), served by uvicorn.
const STARLETTE_APP: &str = r#"import os
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

async def home(request):
    return HTMLResponse('<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1><a href="/boom">Order</a></body></html>')

async def boom(request):
    raise RuntimeError("the order service is down")

app = Starlette(debug=os.environ.get("PF_DEBUG") == "1", routes=[Route("/", home), Route("/boom", boom)])
"#;

async fn run_starlette(debug: bool) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("shop.py"), STARLETTE_APP).unwrap();
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "uvicorn", "shop:app", "--host", "127.0.0.1", "--port", &port.to_string(), "--log-level", "critical"])
        .current_dir(dir.path())
        .env("PF_DEBUG", if debug { "1" } else { "0" });
    check_server(cmd, port, "uvicorn with the Starlette app").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starlettes_debug_page_is_found_and_its_production_page_is_not() {
    let version = Command::new("python3").args(["-c", "import importlib.metadata as m; print(m.version('starlette'), m.version('uvicorn'))"]).output();
    assert_eq!(
        String::from_utf8_lossy(&version.expect("python3 runs").stdout).trim(),
        "1.10.0 0.54.0",
        "scripts/setup.sh --test installs Starlette 1.10.0 and uvicorn 0.54.0"
    );
    let debug = run_starlette(true).await;
    let exposed = of(&debug, "debug-page-exposed");
    assert_eq!(exposed.len(), 1, "{debug:#?}");
    assert!(exposed[0].message.contains("Starlette") && exposed[0].url.ends_with("/boom"), "{:?}", exposed[0]);

    let prod = run_starlette(false).await;
    assert!(of(&prod, "debug-page-exposed").is_empty(), "{prod:#?}");
    assert!(of(&prod, "server-error").iter().any(|f| f.url.ends_with("/boom")), "{prod:#?}");
    assert!(of(&prod, "error-page-default").iter().any(|f| f.url.ends_with("/boom") && f.message.contains("bare text")), "{prod:#?}");
    // uvicorn is a production server and names no version.
    assert!(of(&prod, "dev-server-in-production").is_empty() && of(&prod, "server-version-disclosed").is_empty(), "{prod:#?}");
}

/// A PHP front controller: a page that calls an undefined function, one with warnings, and a
/// phpinfo() page where careless deployments leave one.
const PHP_APP: &str = r#"<?php
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if ($path === '/boom') { undefined_function_call(); }
if ($path === '/cart') { echo '<!doctype html><html><head><title>Cart</title></head><body>'; echo $undefined_var['x']; echo '</body></html>'; exit; }
if ($path === '/info.php' && getenv('PF_DEBUG') === '1') { phpinfo(); exit; }
if ($path !== '/') { http_response_code(404); echo '<!doctype html><html><head><title>Not found</title><style>body{margin:0}</style></head><body><h1>Not found</h1></body></html>'; exit; }
echo '<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1><a href="/boom">Order</a> <a href="/cart">Cart</a></body></html>';
"#;

/// PHP's built-in server (Debian's php8.2-cli) with `display_errors` on or off.
async fn run_php(debug: bool) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.php"), PHP_APP).unwrap();
    let port = free_port();
    let mut cmd = Command::new("php");
    cmd.args(["-S", &format!("127.0.0.1:{port}"), "-d", if debug { "display_errors=1" } else { "display_errors=0" }, "index.php"])
        .current_dir(dir.path())
        .env("PF_DEBUG", if debug { "1" } else { "0" });
    check_server(cmd, port, "PHP's built-in server").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn php_errors_and_phpinfo_are_found_and_production_php_is_quiet() {
    let version = Command::new("php").args(["-r", "echo PHP_MAJOR_VERSION, '.', PHP_MINOR_VERSION;"]).output();
    let version = version.expect("php runs: scripts/setup.sh --test installs php8.2-cli");
    assert_eq!(String::from_utf8_lossy(&version.stdout), "8.2", "Debian 12's PHP 8.2");
    let debug = run_php(true).await;
    let exposed = of(&debug, "debug-page-exposed");
    assert!(exposed.iter().any(|f| f.message.contains("PHP error with file paths")), "{debug:#?}");
    // Nothing links to the phpinfo() page: the sensitive-file probe finds it.
    let info = of(&debug, "sensitive-file-exposed");
    assert!(info.len() == 1 && info[0].url.ends_with("/info.php") && info[0].message.contains("phpinfo()"), "{debug:#?}");

    let prod = run_php(false).await;
    assert!(of(&prod, "debug-page-exposed").is_empty() && of(&prod, "sensitive-file-exposed").is_empty(), "{prod:#?}");
    assert!(of(&prod, "server-error").iter().any(|f| f.url.ends_with("/boom")), "{prod:#?}");
    assert!(of(&prod, "dev-server-in-production").iter().any(|f| f.evidence.contains("PHP's built-in server")), "{prod:#?}");
    assert!(of(&prod, "server-version-disclosed").iter().any(|f| f.evidence.starts_with("X-Powered-By: PHP/8.2.")), "{prod:#?}");
}

/// A minimal Flask app: a home page linking to a view that raises. `debug` turns on the
/// Werkzeug debugger (what `flask run --debug` does).
const FLASK_APP: &str = r#"import os, sys
from flask import Flask
app = Flask(__name__)

@app.route("/")
def home():
    return '<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1><a href="/boom">Order</a></body></html>'

@app.route("/boom")
def boom():
    raise RuntimeError("the order service is down")

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), debug=os.environ.get("PF_DEBUG") == "1", use_reloader=False)
"#;

async fn run_flask(debug: bool) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("shop.py"), FLASK_APP).unwrap();
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.arg(dir.path().join("shop.py")).arg(port.to_string()).env("PF_DEBUG", if debug { "1" } else { "0" });
    check_server(cmd, port, "Flask's development server").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_werkzeug_debugger_is_found_and_flasks_production_pages_are_not() {
    let version = Command::new("python3").args(["-c", "import importlib.metadata as m; print(m.version('flask'), m.version('werkzeug'))"]).output();
    let version = version.expect("python3 runs");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        "3.1.3 3.1.9",
        "scripts/setup.sh --test installs Flask 3.1.3 with Werkzeug 3.1.9: {}",
        String::from_utf8_lossy(&version.stderr)
    );

    let debug = run_flask(true).await;
    let exposed = of(&debug, "debug-page-exposed");
    assert_eq!(exposed.len(), 1, "{debug:#?}");
    assert!(exposed[0].message.contains("Werkzeug"), "{:?}", exposed[0]);
    assert!(exposed[0].url.ends_with("/boom"));

    let prod = run_flask(false).await;
    assert!(of(&prod, "debug-page-exposed").is_empty(), "{prod:#?}");
    assert!(of(&prod, "server-error").iter().any(|f| f.url.ends_with("/boom")), "{prod:#?}");
    assert!(of(&prod, "error-page-default").iter().any(|f| f.url.ends_with("/boom") && f.message.contains("500 page")), "{prod:#?}");
    assert!(of(&prod, "dev-server-in-production").iter().any(|f| f.evidence.starts_with("Server: Werkzeug/3.1.9")), "{prod:#?}");
    assert!(of(&prod, "server-version-disclosed").iter().any(|f| f.evidence.contains("Werkzeug/3.1.9")), "{prod:#?}");
}

/// Express (npm, pinned in tests/corpus/express) under `NODE_ENV=development` and `production`.
async fn run_express(env: &str) -> Vec<Finding> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/express");
    assert!(dir.join("node_modules/express").exists(), "scripts/setup.sh --test installs Express (npm ci in {})", dir.display());
    let port = free_port();
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("app.js")).arg(port.to_string()).env("NODE_ENV", env).current_dir(&dir);
    check_server(cmd, port, "the Express app").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn express_stack_traces_are_found_in_development_and_not_in_production() {
    let dev = run_express("development").await;
    let exposed = of(&dev, "debug-page-exposed");
    assert_eq!(exposed.len(), 1, "{dev:#?}");
    assert!(exposed[0].message.contains("Node.js stack trace") && exposed[0].url.ends_with("/boom"), "{:?}", exposed[0]);
    assert!(exposed[0].evidence.contains("app.js:"), "{:?}", exposed[0]);

    let prod = run_express("production").await;
    assert!(of(&prod, "debug-page-exposed").is_empty(), "{prod:#?}");
    assert!(of(&prod, "error-page-default").iter().any(|f| f.url.ends_with("/boom")), "{prod:#?}");
    // Node serving Express is a production server; "X-Powered-By: Express" names no version.
    assert!(of(&prod, "dev-server-in-production").is_empty() && of(&prod, "server-version-disclosed").is_empty(), "{prod:#?}");
}

/// Frameworks that cannot run here (Rails, Laravel, Symfony, Spring Boot, ASP.NET): fixture
/// pages that reproduce their real error pages, each built from the framework's template source
/// at the version its first line names (tests/corpus/markers/README.md lists the sources).
/// Debug pages must be found by name; production pages must not be debug pages, and the
/// framework's default pages must be recognised as such.
#[test]
fn error_pages_of_frameworks_that_cannot_run_here() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/markers");
    // (fixture, the debug page it is, or the default page it is)
    let debug: &[(&str, &str)] = &[
        ("rails-debug.html", "Rails exception page"),
        ("laravel-debug.html", "Laravel / Ignition error page"),
        ("laravel-ignition-debug.html", "Laravel / Ignition error page"),
        ("symfony-debug.html", "Symfony exception page"),
        ("symfony-toolbar.html", "Symfony web debug toolbar"),
        ("spring-boot-trace.html", "Spring Boot error page with a stack trace"),
        ("aspnet-core-debug.html", "ASP.NET Core developer exception page"),
        ("aspnet-classic-debug.html", "ASP.NET error page"),
    ];
    let production: &[(&str, &str)] = &[
        ("rails-production-500.html", "Rails"),
        ("rails-production-404.html", "Rails"),
        ("rails-8.0-production-404.html", "Rails"),
        ("laravel-production-500.html", "Laravel"),
        ("laravel-production-404.html", "Laravel"),
        ("symfony-production-500.html", "Symfony"),
        ("spring-boot-whitelabel.html", "Spring Boot"),
        ("aspnet-classic-production-500.html", "ASP.NET"),
    ];
    let page = |name: &str| {
        let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.starts_with("<!-- framework: "), "{name} starts with its provenance");
        // Line 1 names the framework and the source: not part of the page.
        text.split_once('\n').map(|(_, rest)| rest.to_string()).unwrap_or_default()
    };
    for (name, expected) in debug {
        let found = preflight_engine::checks::debug_signature(page(name).as_bytes()).map(|(n, _)| n);
        assert_eq!(found, Some(*expected), "{name}");
    }
    for (name, expected) in production {
        let body = page(name);
        assert_eq!(preflight_engine::checks::debug_signature(body.as_bytes()).map(|(n, _)| n), None, "{name} is not a debug page");
        assert_eq!(preflight_engine::checks::default_error_page(&body), Some(*expected), "{name}");
    }
    let listed: std::collections::BTreeSet<&str> = debug.iter().chain(production).map(|(n, _)| *n).collect();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.ends_with(".html") || listed.contains(name.as_str()), "{name} is not asserted");
    }
}
