//! `preflight check URL`: the check engine from the command line, for people and CI.

use std::{
    io::{IsTerminal, Write},
    process::ExitCode,
    time::Duration,
};

use anyhow::Context;
use preflight_engine::{CheckConfig, EnvProfile, Limits, Progress, Severity};

use crate::config::{CheckArgs, EnvArg, FailOn, OutputFormat};

/// Exit status for findings at or above the threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status for usage and infrastructure errors.
pub const EXIT_ERROR: u8 = 2;

pub fn config_from_args(args: &CheckArgs) -> anyhow::Result<CheckConfig> {
    let mut config = CheckConfig::new(&args.url)?;
    config.env = match args.env {
        EnvArg::Production => EnvProfile::Production,
        EnvArg::Staging => EnvProfile::Staging,
        EnvArg::Dev => EnvProfile::Dev,
    };
    config.resolve = args.resolve.clone();
    if let Some(path) = &args.old_urls {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading the old-URL list {}", path.display()))?;
        config.old_urls = text.lines().map(str::to_string).collect();
    }
    config.expected_contacts = args.expect_contact.clone();
    config.other_hosts = args.other_host.clone();
    let secs = |s: f64, what: &str| -> anyhow::Result<Duration> {
        anyhow::ensure!(s.is_finite() && s > 0.0 && s < 86_400.0, "--{what} must be a number of seconds between 0 and 86400");
        Ok(Duration::from_secs_f64(s))
    };
    anyhow::ensure!(args.max_pages > 0, "--max-pages must be at least 1");
    anyhow::ensure!(args.concurrency > 0 && args.concurrency <= 256, "--concurrency must be between 1 and 256");
    anyhow::ensure!(args.max_body >= 1024, "--max-body must be at least 1024 bytes");
    config.limits = Limits {
        max_pages: args.max_pages,
        max_depth: args.max_depth,
        concurrency: args.concurrency,
        request_timeout: secs(args.timeout, "timeout")?,
        deadline: secs(args.deadline, "deadline")?,
        max_body_bytes: args.max_body,
        max_redirects: args.max_redirects,
    };
    for path in &args.ca_cert {
        config.extra_ca_pem.push(std::fs::read_to_string(path).with_context(|| format!("reading the CA certificate {}", path.display()))?);
    }
    if let Some(ns) = &args.nameserver {
        let addr = ns
            .parse::<std::net::SocketAddr>()
            .or_else(|_| ns.parse::<std::net::IpAddr>().map(|ip| std::net::SocketAddr::new(ip, 53)))
            .map_err(|_| anyhow::anyhow!("--nameserver {ns:?} is not an IP address or IP:PORT"))?;
        config.nameserver = Some(addr);
    }
    if let Some(d) = &args.launch_date {
        let ok = d.len() == 10 && d.split('-').map(|p| p.parse::<u32>().is_ok()).filter(|ok| *ok).count() == 3;
        anyhow::ensure!(ok, "--launch-date {d:?} is not a date; use YYYY-MM-DD");
        config.launch_date = Some(d.clone());
    }
    config.skip_dns = args.no_dns;
    config.http_port = args.http_port;
    config.allow_metadata = args.allow_metadata;
    config.check_external_links = args.check_external_links;
    config.dev_markers = args.dev_marker.iter().map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect();
    config.credentials = credentials_from_args(args)?;
    if let Some(r) = &args.phone_region {
        anyhow::ensure!(
            preflight_engine::checks::is_phone_region(r.trim()),
            "--phone-region {r:?} is not a country code; give two letters such as GB, US or DE"
        );
        config.phone_region = Some(r.trim().to_ascii_uppercase());
    }
    config.analytics_ids = args.analytics_id.iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
    config.old_ie = args.old_ie || (args.browser && args.viewports.split([',', ';']).any(|v| v.trim() == "old-ie" || v.trim().starts_with("old-ie=")));
    Ok(config)
}

/// `--basic-auth`, `--auth-header` or `--auth-cookie`; the error names the flag, never the secret.
fn credentials_from_args(args: &CheckArgs) -> anyhow::Result<Option<preflight_engine::Credentials>> {
    use preflight_engine::Credentials;
    let (flag, creds) = if let Some(v) = &args.basic_auth {
        let (u, p) = v.split_once(':').ok_or_else(|| anyhow::anyhow!("--basic-auth: write it as USER:PASSWORD"))?;
        ("--basic-auth", Credentials::Basic { username: u.to_string(), password: p.to_string() })
    } else if let Some(v) = &args.auth_header {
        let (n, val) = v.split_once(':').ok_or_else(|| anyhow::anyhow!("--auth-header: write it as 'NAME: VALUE'"))?;
        ("--auth-header", Credentials::Header { name: n.trim().to_string(), value: val.trim().to_string() })
    } else if let Some(v) = &args.auth_cookie {
        let (n, val) = v.split_once('=').ok_or_else(|| anyhow::anyhow!("--auth-cookie: write it as NAME=VALUE"))?;
        ("--auth-cookie", Credentials::Cookie { name: n.trim().to_string(), value: val.trim().to_string() })
    } else {
        return Ok(None);
    };
    creds.validate().map_err(|e| anyhow::anyhow!("{flag}: {e}"))?;
    Ok(Some(creds))
}

/// The browser part of `preflight check --browser`.
pub fn browser_settings_from_args(args: &CheckArgs, config: &CheckConfig) -> anyhow::Result<preflight_browser::BrowserSettings> {
    let mut s = preflight_browser::BrowserSettings::new(config.env);
    s.endpoint = preflight_browser::Endpoint::from_ws_urls(args.browser_ws.clone(), args.chromium.clone());
    preflight_browser::preflight(&s.endpoint)?;
    s.viewports = preflight_browser::viewport::parse_list(&args.viewports).map_err(|e| anyhow::anyhow!("--viewports: {e}"))?;
    anyhow::ensure!((1..=8).contains(&args.browser_concurrency), "--browser-concurrency must be between 1 and 8");
    anyhow::ensure!(args.browser_pages > 0, "--browser-pages must be at least 1");
    anyhow::ensure!(args.page_timeout.is_finite() && args.page_timeout > 0.0 && args.page_timeout <= 600.0, "--page-timeout must be between 0 and 600 seconds");
    s.concurrency = args.browser_concurrency;
    s.load_timeout = Duration::from_secs_f64(args.page_timeout);
    s.step_deadline = s.load_timeout + Duration::from_secs(25);
    s.screenshot_dir = args.screenshots.clone();
    s.forms = preflight_browser::FormPolicy { submit_found: args.submit_forms || !config.env.is_production(), listed: args.form.clone() };
    s.resolve = config.resolve.clone();
    // The browser's network guard applies the crawler's policy: metadata addresses only with
    // --allow-metadata.
    s.allow_metadata = config.allow_metadata;
    s.dev_marker = preflight_engine::checks::dev_marker_pattern(&config.dev_markers);
    s.credentials = config.credentials.clone().map(|c| (c, config.start_url.clone()));
    let level = match args.wcag_level {
        crate::config::WcagArg::A => "A",
        crate::config::WcagArg::AA => "AA",
    };
    s.budgets = preflight_browser::quality::Budgets::parse(&args.budget).map_err(|e| anyhow::anyhow!("--budget: {e}"))?;
    s.throttle_mobile = args.throttle_mobile;
    s.a11y = if args.no_a11y {
        None
    } else {
        Some(preflight_browser::a11y::A11yPolicy::parse(level, &args.a11y_ignore).map_err(|e| anyhow::anyhow!("--a11y-ignore: {e}"))?)
    };
    Ok(s)
}

pub async fn run(args: &CheckArgs) -> ExitCode {
    match run_inner(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

async fn run_inner(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let config = config_from_args(args)?;
    let browser = if args.browser { Some(browser_settings_from_args(args, &config)?) } else { None };
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let progress = move |p: Progress| {
        if show_progress {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{} {}/{}", p.phase, p.done, p.total);
            if p.phase == "done" {
                let _ = write!(err, "\r\x1b[2K");
            }
            let _ = err.flush();
        }
    };
    let plan = match browser {
        Some(settings) => crate::pipeline::BrowserPlan::Run { settings: Box::new(settings), max_pages: args.browser_pages },
        None => crate::pipeline::BrowserPlan::Skip,
    };
    let outcome = crate::pipeline::run(&config, plan, &progress, |_| {}).await?;
    progress(Progress { phase: "done", done: 1, total: 1 });
    if let Some(why) = outcome.browser_error {
        anyhow::bail!("{why}");
    }
    let report = outcome.report;
    let color = args.output.is_none() && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let text = match args.format {
        OutputFormat::Text => report.to_text(color),
        OutputFormat::Json => report.to_json() + "\n",
        OutputFormat::Junit => report.to_junit(),
        OutputFormat::Sarif => report.to_sarif() + "\n",
    };
    match &args.output {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?,
        None => std::io::stdout().write_all(text.as_bytes()).context("writing the report")?,
    }
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Never => None,
    };
    Ok(if report.fails(threshold) { ExitCode::from(EXIT_FINDINGS) } else { ExitCode::SUCCESS })
}
