//! Command-line and environment configuration. `preflight --help` and
//! `preflight serve --help` are the reference for every setting.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Default address to listen on: loopback only, so a fresh install is not exposed.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
/// Default data folder, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "data";
/// Default folder holding the built web assets (`pkg/` with the WASM app and CSS).
pub const DEFAULT_SITE_ROOT: &str = "target/site";

#[derive(Debug, Parser)]
#[command(name = "preflight", version, about = "Launch coordination for website teams: a shared launch checklist with automated evidence.")]
pub struct Cli {
    /// Folder for the SQLite database and other data; created when missing.
    #[arg(long, env = "PREFLIGHT_DATA_DIR", default_value = DEFAULT_DATA_DIR, global = true)]
    pub data_dir: PathBuf,

    /// Database URL. Defaults to `sqlite://<data-dir>/preflight.db`.
    #[arg(long, env = "PREFLIGHT_DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app (the default when no subcommand is given).
    Serve(ServeArgs),
    /// Manage team accounts from the shell.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens from the shell.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Apply database migrations and seed the checklist template, then exit.
    Migrate,
    /// Check a website from the command line (no server or database needed). Exit status:
    /// 0 clean, 1 findings at or above --fail-on, 2 usage or infrastructure error.
    Check(Box<CheckArgs>),
    /// Run queued check runs and nothing else, beside servers sharing a PostgreSQL database
    /// (`--database-url postgres://…`): claims runs from the database, tells it every few
    /// seconds it is still working on them, and stops on SIGTERM. A run whose worker died is
    /// started again by another process (once; then it is marked interrupted).
    Worker(RunnerArgs),
    /// Write an online, consistent copy of the database to PATH (safe while the server runs).
    /// SQLite: a database file; PostgreSQL: a `pg_dump --format=custom` archive.
    Backup {
        /// Where to write the copy; must not exist yet.
        path: PathBuf,
    },
    /// Restore a backup made by `preflight backup` into the configured database (of the same
    /// kind). Stop the server first. A database holding accounts or projects is replaced only
    /// with --replace; a SQLite file that was there is kept beside it.
    Restore {
        /// The backup to restore.
        path: PathBuf,
        /// Replace a database that already holds data.
        #[arg(long)]
        replace: bool,
    },
    /// Print the licences of the third-party code built into Preflight (axe-core, MPL-2.0)
    /// and where its source is.
    Licenses,
    /// Record a deploy on a Preflight server from a CI pipeline (after deploying): earlier
    /// evidence of the environment goes stale and a check run of it starts. With --wait, wait
    /// for the run and exit like `preflight check`: 0 clean, 1 findings at or above --fail-on,
    /// 2 usage or infrastructure error (server unreachable, refused, run failed or interrupted,
    /// --timeout reached).
    Deploy(DeployArgs),
    /// Copy a whole installation from one database to another, e.g. from SQLite to PostgreSQL
    /// when a team outgrows one machine. The target must hold no accounts or projects; every
    /// table is verified by row count and checksum afterwards. Stop the server first.
    MigrateData {
        /// The database to copy from, e.g. sqlite://data/preflight.db.
        #[arg(long)]
        from: String,
        /// The database to copy into, e.g. postgres://preflight@db.internal/preflight.
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a team account, or reset the name, role and password of an existing one.
    /// The password is read from standard input (first line).
    Add {
        email: String,
        /// The person's name as the team sees it.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value_t = RoleArg::Member)]
        role: RoleArg,
    },
    /// Deactivate an account: it can no longer sign in; its sessions end and its API tokens
    /// are revoked at once. Its history stays. (`user add` with the same e-mail does not
    /// reactivate it.)
    Disable { email: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for the account and print it on standard output.
    Create {
        email: String,
        /// A label to tell tokens apart, e.g. "CI pipeline".
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Owner,
    Member,
}

#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "PREFLIGHT_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: Option<SocketAddr>,

    /// Public base URL people use to reach Preflight, e.g. https://preflight.example.com.
    /// Used for cross-site request checks and links; when unset, the request's Host is trusted.
    #[arg(long, env = "PREFLIGHT_BASE_URL")]
    pub base_url: Option<String>,

    /// Mark cookies `Secure`: `auto` does so when the base URL is https or a proxy says the
    /// request came over https (X-Forwarded-Proto).
    #[arg(long, env = "PREFLIGHT_SECURE_COOKIES", value_enum, default_value_t = SecureCookies::Auto)]
    pub secure_cookies: SecureCookies,

    /// Folder with the built web assets (pkg/preflight.js, pkg/preflight_bg.wasm, pkg/preflight.css).
    #[arg(long, env = "PREFLIGHT_SITE_ROOT", default_value = DEFAULT_SITE_ROOT)]
    pub site_root: Option<PathBuf>,

    /// This server runs no check runs itself: `preflight worker` processes do (PostgreSQL).
    #[arg(long, env = "PREFLIGHT_NO_RUNNER")]
    pub no_runner: bool,

    #[command(flatten)]
    pub runner: RunnerArgs,

    #[command(flatten)]
    pub delivery: DeliveryArgs,

    #[command(flatten)]
    pub mail: MailArgs,
}

/// E-mail: notifications, invitations and password resets.
#[derive(Debug, Clone, Args)]
pub struct MailArgs {
    /// The SMTP server: `smtp://USER:PASSWORD@HOST:587?tls=required` (STARTTLS),
    /// `smtps://USER:PASSWORD@HOST:465` (TLS) or `smtp://HOST:25` (plain, a relay nearby).
    /// Unset: no e-mail. Links in e-mails need --base-url.
    #[arg(long, env = "PREFLIGHT_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The From address of Preflight's e-mail, e.g. "Preflight <preflight@example.com>".
    #[arg(long, env = "PREFLIGHT_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// The RDAP service production sites' domain registrations are looked up at (daily, for
    /// the `domain-expiry` notice); `off` turns the lookups off.
    #[arg(long, env = "PREFLIGHT_RDAP_URL", default_value = "https://rdap.org")]
    pub rdap_url: String,
}

impl Default for MailArgs {
    fn default() -> Self {
        MailArgs { smtp_url: None, smtp_from: None, rdap_url: "https://rdap.org".into() }
    }
}

impl MailArgs {
    /// The RDAP base URL, or `None` when lookups are off.
    pub fn rdap(&self) -> anyhow::Result<Option<String>> {
        match self.rdap_url.trim() {
            "" | "off" => Ok(None),
            u if u.starts_with("http://") || u.starts_with("https://") => Ok(Some(u.trim_end_matches('/').to_string())),
            u => anyhow::bail!("--rdap-url {u:?} must be an http(s) address or off"),
        }
    }
}

impl MailArgs {
    /// The mailer these flags describe, if e-mail is on.
    pub fn mailer(&self, timeout: std::time::Duration) -> anyhow::Result<Option<preflight_store::mail::Mailer>> {
        match (&self.smtp_url, &self.smtp_from) {
            (None, None) => Ok(None),
            (Some(_), None) => anyhow::bail!("--smtp-url needs --smtp-from (PREFLIGHT_SMTP_FROM), e.g. \"Preflight <preflight@example.com>\""),
            (None, Some(_)) => anyhow::bail!("--smtp-from needs --smtp-url (PREFLIGHT_SMTP_URL)"),
            (Some(url), Some(from)) => Ok(Some(preflight_store::mail::Mailer::new(url, from, timeout).map_err(anyhow::Error::msg)?)),
        }
    }
}

/// How webhook (and e-mail) deliveries are tried.
#[derive(Debug, Clone, Args)]
pub struct DeliveryArgs {
    /// Tries before a delivery ends as failed (its last error shown on the deliveries page).
    #[arg(long, env = "PREFLIGHT_DELIVERY_ATTEMPTS", default_value_t = 6, value_parser = clap::value_parser!(i64).range(1..=50))]
    pub delivery_attempts: i64,
    /// Seconds to wait after the first failed try; the wait doubles after each (at most an hour).
    #[arg(long, env = "PREFLIGHT_DELIVERY_BACKOFF", default_value_t = 30.0)]
    pub delivery_backoff: f64,
    /// Seconds one try may take (connect, send, answer).
    #[arg(long, env = "PREFLIGHT_DELIVERY_TIMEOUT", default_value_t = 10.0)]
    pub delivery_timeout: f64,
}

impl DeliveryArgs {
    /// The policy these flags describe; a try claimed by a process that died is taken again
    /// after twice the timeout and five seconds.
    pub fn policy(&self) -> anyhow::Result<preflight_store::notify::DeliveryPolicy> {
        anyhow::ensure!(
            self.delivery_backoff.is_finite() && (0.0..=3600.0).contains(&self.delivery_backoff),
            "--delivery-backoff must be between 0 and 3600 seconds"
        );
        anyhow::ensure!(
            self.delivery_timeout.is_finite() && (0.1..=300.0).contains(&self.delivery_timeout),
            "--delivery-timeout must be between 0.1 and 300 seconds"
        );
        Ok(preflight_store::notify::DeliveryPolicy {
            max_attempts: self.delivery_attempts,
            first_backoff_ms: (self.delivery_backoff * 1000.0) as u64,
            timeout: std::time::Duration::from_secs_f64(self.delivery_timeout),
            stale_after_secs: (self.delivery_timeout * 2.0).ceil() as i64 + 5,
        })
    }
}

impl Default for DeliveryArgs {
    fn default() -> Self {
        DeliveryArgs { delivery_attempts: 6, delivery_backoff: 30.0, delivery_timeout: 10.0 }
    }
}

/// How a process runs checks: `preflight serve` (unless --no-runner) and `preflight worker`.
#[derive(Debug, Clone, Args, Default)]
pub struct RunnerArgs {
    /// Check runs executed at once; more queue up.
    #[arg(long, env = "PREFLIGHT_MAX_RUNS", default_value_t = 2)]
    pub max_runs: usize,

    /// The Chromium check runs start for their browser checks (default: /usr/bin/chromium
    /// and the other usual places).
    #[arg(long, env = "PREFLIGHT_CHROMIUM", value_name = "PATH")]
    pub chromium: Option<PathBuf>,

    /// Use a browser running elsewhere (its DevTools websocket,
    /// ws://HOST:PORT/devtools/browser/ID) instead of starting Chromium. Give it more than once
    /// (or comma-separated) for a pool: runs spread over the browsers, one that does not
    /// answer is skipped and tried again later, and a dying one's pages carry on elsewhere.
    #[arg(long, env = "PREFLIGHT_BROWSER_WS", value_name = "WS-URL", value_delimiter = ',')]
    pub browser_ws: Vec<String>,

    /// Check runs skip the browser checks (no screenshots).
    #[arg(long, env = "PREFLIGHT_NO_BROWSER")]
    pub no_browser: bool,

    /// Most crawled pages a run looks at in the browser.
    #[arg(long, env = "PREFLIGHT_BROWSER_PAGES", default_value_t = 20, value_name = "N")]
    pub browser_pages: usize,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum SecureCookies {
    #[default]
    Auto,
    Always,
    Never,
}

impl Cli {
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}/preflight.db", self.data_dir.display()))
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Json,
    Junit,
    Sarif,
}

/// `preflight deploy`: talks to a running server over its API (no database needed).
#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    /// The Preflight server's address, e.g. https://preflight.example.com.
    #[arg(long, env = "PREFLIGHT_SERVER")]
    pub server: String,
    /// An API token (create one on the Account page or with `preflight token create`).
    #[arg(long, env = "PREFLIGHT_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The project: its id or its exact name.
    #[arg(long)]
    pub project: String,
    /// The environment deployed: its name (e.g. production) or id.
    #[arg(long)]
    pub environment: String,
    /// What was deployed, e.g. a commit id (`$CI_COMMIT_SHA`).
    #[arg(long, default_value = "")]
    pub revision: String,
    /// A line about the deploy.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Record the deploy only; start no check run.
    #[arg(long, conflicts_with = "wait")]
    pub no_run: bool,
    /// Wait for the check run to finish and exit from its result.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: exit 1 when the run found findings of this severity or worse.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// With --wait: give up (exit 2) after this many seconds.
    #[arg(long, default_value_t = 1800.0)]
    pub timeout: f64,
    /// What to print on standard output: text, or the API's JSON (the deploy, then with
    /// --wait the finished run).
    #[arg(long, value_enum, default_value_t = DeployFormat::Text)]
    pub format: DeployFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DeployFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum EnvArg {
    Production,
    Staging,
    Dev,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The site to check, e.g. https://www.example.com (http and https only).
    pub url: String,

    /// Which environment the site is: decides what is expected (robots.txt, DEV SITE banner,
    /// sandbox or live credentials, analytics).
    #[arg(long, value_enum, default_value_t = EnvArg::Production)]
    pub env: EnvArg,

    /// Connect to ADDR for HOST:PORT instead of using DNS, like curl's --resolve
    /// (check a new server before DNS moves). Repeatable.
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<preflight_engine::ResolveOverride>,

    /// File of old URLs (one per line: absolute, or paths relative to the site) that must
    /// redirect rather than answer 404.
    #[arg(long, value_name = "FILE")]
    pub old_urls: Option<PathBuf>,

    /// A contact detail (e-mail, phone number or address text) the site must show. Repeatable;
    /// e-mails and phone numbers on the site that are not listed are reported.
    #[arg(long, value_name = "VALUE")]
    pub expect_contact: Vec<String>,

    /// Host of another environment (e.g. the staging host) that this site must not link to. Repeatable.
    #[arg(long, value_name = "HOST")]
    pub other_host: Vec<String>,

    /// Most pages to crawl.
    #[arg(long, default_value_t = preflight_engine::config::DEFAULT_MAX_PAGES)]
    pub max_pages: usize,

    /// Most links to follow from the start page.
    #[arg(long, default_value_t = preflight_engine::config::DEFAULT_MAX_DEPTH)]
    pub max_depth: usize,

    /// Requests in flight at once.
    #[arg(long, default_value_t = preflight_engine::config::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,

    /// Seconds one request (connect, headers and body) may take.
    #[arg(long, value_name = "SECONDS", default_value_t = preflight_engine::config::DEFAULT_REQUEST_TIMEOUT.as_secs_f64())]
    pub timeout: f64,

    /// Seconds the whole run may take; what is unchecked by then is reported.
    #[arg(long, value_name = "SECONDS", default_value_t = preflight_engine::config::DEFAULT_DEADLINE.as_secs_f64())]
    pub deadline: f64,

    /// Largest response body read, in bytes; longer bodies are cut and reported.
    #[arg(long, value_name = "BYTES", default_value_t = preflight_engine::config::DEFAULT_MAX_BODY_BYTES)]
    pub max_body: usize,

    /// Most redirect hops followed for one URL.
    #[arg(long, default_value_t = preflight_engine::config::DEFAULT_MAX_REDIRECTS)]
    pub max_redirects: usize,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// Exit with status 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,

    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also fetch links and assets on other sites (off: nothing outside the site is contacted).
    #[arg(long)]
    pub check_external_links: bool,

    /// DNS server for the DNS checks, e.g. the zone's authoritative server for exact TTLs
    /// (default: the system's resolver). ADDR or ADDR:PORT.
    #[arg(long, value_name = "ADDR")]
    pub nameserver: Option<String>,

    /// Launch date (YYYY-MM-DD): from a week before, a DNS TTL above 300 s is reported.
    #[arg(long, value_name = "DATE")]
    pub launch_date: Option<String>,

    /// Skip the DNS checks.
    #[arg(long)]
    pub no_dns: bool,

    /// Words that mark a dev or staging page besides the built-in "DEV SITE", "staging",
    /// "test site"… (for the dev-banner checks). Repeatable.
    #[arg(long, value_name = "WORDS")]
    pub dev_marker: Vec<String>,

    /// The country national phone numbers are written in (two letters: GB, US, DE…), so that
    /// an expected "0117 496 0123" matches the site's "+44 117 496 0123".
    #[arg(long, value_name = "CC")]
    pub phone_region: Option<String>,

    /// An analytics id every production page must carry (G-XXXXXXX, GTM-XXXX, a Plausible
    /// domain…). Repeatable.
    #[arg(long, value_name = "ID")]
    pub analytics_id: Vec<String>,

    /// The site must work in old Internet Explorer: check that pages ask for IE's newest
    /// document mode (also on when --browser runs the old-ie viewport).
    #[arg(long)]
    pub old_ie: bool,

    /// A protected site's HTTP basic authentication, USER:PASSWORD (better given in the
    /// environment than on the command line). Sent only to the site's own host.
    #[arg(long, value_name = "USER:PASSWORD", env = "PREFLIGHT_BASIC_AUTH", hide_env_values = true, conflicts_with_all = ["auth_header", "auth_cookie"])]
    pub basic_auth: Option<String>,

    /// A protected site's extra request header, 'NAME: VALUE' (e.g. a preview token). Sent
    /// only to the site's own host.
    #[arg(long, value_name = "NAME: VALUE", env = "PREFLIGHT_AUTH_HEADER", hide_env_values = true, conflicts_with = "auth_cookie")]
    pub auth_header: Option<String>,

    /// A protected site's cookie, NAME=VALUE. Sent only to the site's own host.
    #[arg(long, value_name = "NAME=VALUE", env = "PREFLIGHT_AUTH_COOKIE", hide_env_values = true)]
    pub auth_cookie: Option<String>,

    /// Port where an https site's plain-http side listens (default 80), for servers on
    /// non-standard ports.
    #[arg(long, value_name = "PORT")]
    pub http_port: Option<u16>,

    /// Also trust the CA certificate(s) in this PEM file (e.g. a company CA on staging). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,

    /// Allow cloud metadata addresses such as 169.254.169.254 (refused by default).
    #[arg(long)]
    pub allow_metadata: bool,

    /// No progress indicator on stderr.
    #[arg(long)]
    pub quiet: bool,

    /// Also look at the crawled pages in Chromium: console errors, failed requests, layout
    /// overflow, old-IE problems and screenshots at every viewport.
    #[arg(long)]
    pub browser: bool,

    /// With --browser: make test submissions of the site's forms whatever --env says (forms
    /// with password or payment fields are still left alone unless given with --form).
    #[arg(long, requires = "browser")]
    pub submit_forms: bool,

    /// With --browser: also submit this form even on production and even with a password or
    /// payment field: a page URL or path (every form on it), or PAGE#FORM-ID. Repeatable.
    #[arg(long, value_name = "PAGE[#ID]", requires = "browser")]
    pub form: Vec<String>,

    /// With --browser: write a full-page PNG per page and viewport to DIR (e.g.
    /// about-team--ipad.png) and list them in the report.
    #[arg(long, value_name = "DIR", requires = "browser")]
    pub screenshots: Option<PathBuf>,

    /// With --browser: viewports to use, by name (desktop, old-ie, ipad, phone) or as
    /// NAME=WIDTHxHEIGHT[@SCALE][,mobile][,touch][,ua=AGENT], separated by commas or ';'.
    #[arg(long, value_name = "LIST", requires = "browser", default_value = "desktop,old-ie,ipad,phone")]
    pub viewports: String,

    /// With --browser: the Chromium to start (default: PREFLIGHT_CHROMIUM, else
    /// /usr/bin/chromium and the other usual places).
    #[arg(long, value_name = "PATH", env = "PREFLIGHT_CHROMIUM")]
    pub chromium: Option<PathBuf>,

    /// With --browser: use a browser already running elsewhere, by its DevTools websocket
    /// (ws://HOST:PORT/devtools/browser/ID), instead of starting Chromium. More than once (or
    /// comma-separated): a pool of browsers.
    #[arg(long, value_name = "WS-URL", requires = "browser", value_delimiter = ',')]
    pub browser_ws: Vec<String>,

    /// With --browser: most browser pages, in addition to the HTTP crawl's limit.
    #[arg(long, value_name = "N", requires = "browser", default_value_t = 50)]
    pub browser_pages: usize,

    /// With --browser: tabs driven at once.
    #[arg(long, value_name = "N", requires = "browser", default_value_t = preflight_browser::DEFAULT_CONCURRENCY)]
    pub browser_concurrency: usize,

    /// With --browser: seconds a page may take to load in the browser.
    #[arg(long, value_name = "SECONDS", requires = "browser", default_value_t = preflight_browser::DEFAULT_LOAD_TIMEOUT.as_secs_f64())]
    pub page_timeout: f64,

    /// With --browser: the WCAG level the accessibility checks (axe-core, on every page at
    /// every viewport) hold the site to. With A, the level-AA rules are not applicable.
    #[arg(long, value_enum, requires = "browser", default_value_t = WcagArg::AA)]
    pub wcag_level: WcagArg,

    /// With --browser: leave an accessibility rule out, saying why: RULE=REASON, where RULE is
    /// axe's rule id (color-contrast) or the check id (a11y-color-contrast). Repeatable.
    #[arg(long, value_name = "RULE=REASON", requires = "browser")]
    pub a11y_ignore: Vec<String>,

    /// With --browser: a performance budget over the defaults (TTFB 800 ms, FCP 1.8 s, LCP
    /// 2.5 s, CLS 0.1, TBT 200 ms), as METRIC=VALUE: lcp=2s, cls=0.05, tbt=300ms, js=300KB,
    /// total=1.5MB, requests=60. Repeatable.
    #[arg(long, value_name = "METRIC=VALUE", requires = "browser")]
    pub budget: Vec<String>,

    /// With --browser: load the phone and tablet viewports as a mid-range phone on a slow
    /// network (CPU 4× slower, 150 ms round trips, 1.6 Mbit/s down, 750 kbit/s up), as
    /// Lighthouse's mobile profile does.
    #[arg(long, requires = "browser")]
    pub throttle_mobile: bool,

    /// With --browser: no accessibility checks (the a11y-* checks are not applicable).
    #[arg(long, requires = "browser", conflicts_with = "a11y_ignore")]
    pub no_a11y: bool,
}

/// A WCAG conformance level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum WcagArg {
    #[value(name = "A")]
    A,
    #[default]
    #[value(name = "AA")]
    AA,
}
