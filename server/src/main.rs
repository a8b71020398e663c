//! `preflight`: the one binary — web app, account admin, migrations and backups.

use std::{io::IsTerminal, net::SocketAddr, path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use preflight_server::config::{Cli, Command, RunnerArgs, SecureCookies, ServeArgs, TokenCommand, UserCommand, DEFAULT_LISTEN, DEFAULT_SITE_ROOT};

fn main() -> ExitCode {
    tune_allocator();
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("the async runtime starts").block_on(async_main())
}

/// The allocator setting Preflight runs with. Under glibc's defaults the threshold above which
/// memory is mapped (and given back when freed) rises to the size of the largest body freed,
/// so the bodies a crawl reads and frees then pile up in the heap and stay resident (a crawl of
/// 250 pages and 600 assets of 5 MB: ~500 MB resident, ~160 MB with a fixed 1 MB threshold;
/// `server/engine/tests/memory.rs`). 1 MB rather than smaller: the tick benchmark lost 8 % to
/// it (15 % with a 128 KB threshold and two arenas).
const ALLOCATOR: (&str, &str) = ("MALLOC_MMAP_THRESHOLD_", "1048576");

/// glibc reads its settings once, at process start: unless it is set already (by the user or
/// a service manager), the process starts itself again with it —
/// `exec`, so the process id, arguments and everything else stay the same.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    use std::os::unix::process::CommandExt;
    let (name, value) = ALLOCATOR;
    if std::env::var_os(name).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut args = std::env::args_os();
    let mut cmd = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        cmd.arg0(arg0);
    }
    let err = cmd.env(name, value).args(args).exec();
    eprintln!("note: could not restart with the allocator setting {ALLOCATOR:?} ({err}); running with glibc's defaults");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

async fn async_main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("PREFLIGHT_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,headless_chrome=warn")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    if let Some(Command::Check(args)) = &cli.command {
        // Needs no server, data folder or database.
        return preflight_server::check_cmd::run(args).await;
    }
    if let Some(Command::Deploy(args)) = &cli.command {
        // Talks to a server; needs no data folder or database.
        return preflight_server::deploy_cmd::run(args).await;
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn open_db(cli: &Cli) -> anyhow::Result<preflight_store::db::Pool> {
    std::fs::create_dir_all(&cli.data_dir).with_context(|| format!("creating the data folder {}", cli.data_dir.display()))?;
    let url = cli.database_url();
    let pool = preflight_store::db::connect(&url).await.with_context(|| format!("opening the database {url}"))?;
    preflight_store::db::migrate(&pool).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    // The database holds password hashes and sealed credentials: its files are the owner's only.
    if let Some(file) = url.strip_prefix("sqlite://").map(|p| p.split('?').next().unwrap_or(p)) {
        for f in [file.to_string(), format!("{file}-wal"), format!("{file}-shm")] {
            preflight_server::cli::make_private(std::path::Path::new(&f));
        }
    }
    Ok(pool)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        None => serve(&cli, ServeArgs::default()).await,
        Some(Command::Serve(args)) => serve(&cli, args.clone()).await,
        Some(Command::Worker(args)) => worker(&cli, args).await,
        Some(Command::Licenses) => {
            let v = preflight_browser::a11y::AXE_VERSION;
            println!("Preflight includes third-party code under its own licence:\n");
            println!("axe-core {v} — Copyright (c) Deque Systems, Inc. — Mozilla Public License 2.0");
            println!("  built in as published on npm (axe-core@{v}, axe.min.js); its source form: the npm");
            println!("  package's axe.js, and https://github.com/dequelabs/axe-core/tree/v{v}\n");
            println!("{}", preflight_browser::a11y::AXE_LICENSE);
            Ok(())
        }
        Some(Command::Migrate) => {
            open_db(&cli).await?;
            println!("Database {} is up to date.", cli.database_url());
            Ok(())
        }
        Some(Command::User(UserCommand::Add { email, name, role })) => {
            let pool = open_db(&cli).await?;
            let msg = preflight_server::cli::user_add(&pool, email, name, *role, std::io::stdin().lock()).await?;
            eprintln!("{msg}");
            Ok(())
        }
        Some(Command::User(UserCommand::Disable { email })) => {
            let pool = open_db(&cli).await?;
            let user = preflight_store::auth::disable_user(&pool, email).await.map_err(|e| anyhow::anyhow!("{e}: there is no account for {email}"))?;
            eprintln!("Deactivated {} <{}>: signed out everywhere, API tokens revoked.", user.name, user.email);
            Ok(())
        }
        Some(Command::Token(TokenCommand::Create { email, name })) => {
            let pool = open_db(&cli).await?;
            println!("{}", preflight_server::cli::token_create(&pool, email, name).await?);
            Ok(())
        }
        Some(Command::Check(_) | Command::Deploy(_)) => unreachable!("handled in main"),
        Some(Command::Backup { path }) => {
            let pool = open_db(&cli).await?;
            let checked = preflight_store::transfer::backup(&pool, path).await.map_err(anyhow::Error::msg)?;
            preflight_server::cli::make_private(path);
            eprintln!("Backup written to {} ({checked}).", path.display());
            Ok(())
        }
        Some(Command::Restore { path, replace }) => {
            let url = cli.database_url();
            let restored = preflight_store::transfer::restore(&url, path, *replace).await.map_err(anyhow::Error::msg)?;
            if let Some(file) = url.strip_prefix("sqlite://").map(|p| p.split('?').next().unwrap_or(p)) {
                preflight_server::cli::make_private(std::path::Path::new(file));
            }
            match restored.kept {
                Some(old) => eprintln!("Restored {} into {url}; the database that was there is kept as {}.", path.display(), old.display()),
                None => eprintln!("Restored {} into {url}.", path.display()),
            }
            Ok(())
        }
        Some(Command::MigrateData { from, to }) => {
            let source = preflight_store::db::connect(from).await.with_context(|| format!("opening {from}"))?;
            let target = preflight_store::db::connect(to).await.with_context(|| format!("opening {to}"))?;
            let copied = preflight_store::transfer::migrate_data(&source, &target).await.map_err(anyhow::Error::msg)?;
            let rows: usize = copied.iter().map(|c| c.rows).sum();
            for c in &copied {
                println!("{:<20} {:>8} rows  sha256 {}", c.table, c.rows, c.checksum);
            }
            eprintln!("Copied {rows} rows in {} tables from {from} to {to}; counts and checksums match on both sides.", copied.len());
            Ok(())
        }
    }
}

/// How long requests may take to finish once the server is asked to stop.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

async fn serve(cli: &Cli, args: ServeArgs) -> anyhow::Result<()> {
    // `ServeArgs::default()` (no subcommand) leaves the clap defaults unset: apply them,
    // still honouring the environment variables.
    let listen: SocketAddr = match args.listen {
        Some(a) => a,
        None => std::env::var("PREFLIGHT_LISTEN")
            .unwrap_or_else(|_| DEFAULT_LISTEN.into())
            .parse()
            .context("PREFLIGHT_LISTEN is not an address like 127.0.0.1:3000")?,
    };
    let site_root = args.site_root.or_else(|| std::env::var_os("PREFLIGHT_SITE_ROOT").map(PathBuf::from)).unwrap_or_else(|| PathBuf::from(DEFAULT_SITE_ROOT));
    let base_url = args.base_url.or_else(|| std::env::var("PREFLIGHT_BASE_URL").ok()).map(|u| u.trim_end_matches('/').to_string());
    let secure = match args.secure_cookies {
        SecureCookies::Always => Some(true),
        SecureCookies::Never => Some(false),
        SecureCookies::Auto => match std::env::var("PREFLIGHT_SECURE_COOKIES").as_deref() {
            Ok("always") => Some(true),
            Ok("never") => Some(false),
            _ => None,
        },
    };
    if !site_root.join("pkg").join("preflight_bg.wasm").exists() {
        tracing::warn!("no built web assets in {}: pages will render but not become interactive. Build them with ./scripts/build.sh", site_root.display());
    }
    let pool = open_db(cli).await?;
    let options = leptos::config::LeptosOptions::builder()
        .output_name("preflight")
        .site_root(site_root.display().to_string())
        // `pkg/<hash of the built files>`: pages load content-versioned, long-cached URLs.
        .site_pkg_dir(preflight_server::assets::pkg_dir(&site_root))
        .site_addr(listen)
        .build();
    let sealer = preflight_store::secrets::Sealer::from_key_file(&cli.data_dir.join("secret.key")).map_err(|e| anyhow::anyhow!(e))?;
    let mut state = preflight_store::Store::new(pool.clone(), secure, base_url).with_screenshots_dir(cli.data_dir.join("screenshots")).with_sealer(sealer);
    state.delivery = args.delivery.policy()?;
    state.mailer = args.mail.mailer(state.delivery.timeout)?;
    state.rdap_base = args.mail.rdap()?;
    if !args.runner.no_browser {
        state.pdf_browser = Some(preflight_browser::Endpoint::from_ws_urls(args.runner.browser_ws.clone(), args.runner.chromium.clone()));
    }
    if let Some(m) = &state.mailer {
        tracing::info!(smtp = %m.shown, "e-mail is on");
        if state.base_url.is_none() {
            tracing::warn!("e-mail is on but --base-url is not set: notification e-mails are not sent, and invitations and password resets are refused (their links need the public address)");
        }
    }
    if preflight_browser::chromium::running_as_root() && !args.runner.no_browser {
        tracing::warn!(
            "Preflight runs as root, so Chromium runs without its sandbox: a hostile site's page is then less contained. Run it as a dedicated user (README, Security: a systemd unit)."
        );
    }
    // A fresh install: creating the first owner needs a one-time code from this terminal (or
    // the data folder), so a page that reaches the server first cannot take it over.
    let code_file = cli.data_dir.join("setup-code");
    let state = if preflight_store::auth::user_count(&pool).await.map_err(|e| anyhow::anyhow!("{e}"))? == 0 {
        let code = preflight_store::auth::new_setup_code();
        write_private(&code_file, &format!("{code}\n")).with_context(|| format!("writing {}", code_file.display()))?;
        eprintln!(
            "\n  Fresh install: to create the owner account, open /setup and enter the setup code\n\n      {code}\n\n  (also in {}; or create the owner with `preflight user add EMAIL --name NAME --role owner`)\n",
            code_file.display()
        );
        tracing::info!(file = %code_file.display(), "fresh install: the first owner needs the setup code printed above");
        preflight_store::Store { setup_code_file: Some(code_file), ..state.with_setup_code(code) }
    } else {
        let _ = std::fs::remove_file(&code_file);
        state
    };
    let shutdown = preflight_server::runner::shutdown::Signal::default();
    // With PostgreSQL, live updates travel through the database to every server.
    preflight_store::relay::start(&state).await;
    preflight_store::db::start_checkpoints(&state.pool);
    preflight_server::scheduler::start(state.clone(), shutdown.clone());
    preflight_server::scheduler::start_deliveries(state.clone(), shutdown.clone());
    if args.no_runner {
        tracing::info!("this server runs no checks (--no-runner): `preflight worker` processes do");
    } else {
        start_runner(state.clone(), &args.runner, shutdown.clone()).await?;
    }
    let app = preflight_server::router(preflight_server::state::AppState::new(state, options));
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
    tracing::info!("Preflight is listening on http://{listen} (data in {})", cli.data_dir.display());
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown({
        let shutdown = shutdown.clone();
        async move {
            shutdown_signal().await;
            shutdown.trigger();
        }
    });
    // Open live-event streams never finish on their own: after the signal, requests get
    // SHUTDOWN_GRACE to complete, then the server stops anyway (well within systemd's 90 s).
    tokio::select! {
        served = server => served.context("serving")?,
        _ = async {
            shutdown.wait().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => tracing::info!("stopping with connections still open (live-event streams)"),
    }
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Starts claiming and running queued check runs, as `args` say.
async fn start_runner(store: preflight_store::Store, args: &RunnerArgs, shutdown: preflight_server::runner::shutdown::Signal) -> anyhow::Result<()> {
    let browser = (!args.no_browser).then(|| preflight_server::runner::BrowserRunner {
        endpoint: preflight_browser::Endpoint::from_ws_urls(args.browser_ws.clone(), args.chromium.clone()),
        max_pages: args.browser_pages.max(1),
        concurrency: preflight_browser::DEFAULT_CONCURRENCY,
    });
    if let Some(b) = &browser {
        if let Err(e) = preflight_browser::preflight(&b.endpoint) {
            tracing::warn!("browser checks will report that they cannot run: {e}");
        }
    }
    let max_runs = if args.max_runs == 0 {
        std::env::var("PREFLIGHT_MAX_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(preflight_server::runner::DEFAULT_MAX_RUNS)
    } else {
        args.max_runs
    };
    preflight_server::runner::start_with_browser(store, max_runs, browser, shutdown).await
}

/// `preflight worker`: runs checks for servers that share a PostgreSQL database.
async fn worker(cli: &Cli, args: &RunnerArgs) -> anyhow::Result<()> {
    let pool = open_db(cli).await?;
    if preflight_store::db::Backend::of(&pool) != preflight_store::db::Backend::Postgres {
        anyhow::bail!(
            "`preflight worker` shares the work of servers through a PostgreSQL database (--database-url postgres://…); with SQLite, `preflight serve` runs the checks itself"
        );
    }
    let sealer = preflight_store::secrets::Sealer::from_key_file(&cli.data_dir.join("secret.key")).map_err(|e| anyhow::anyhow!(e))?;
    let store = preflight_store::Store::new(pool.clone(), None, None).with_screenshots_dir(cli.data_dir.join("screenshots")).with_sealer(sealer);
    let shutdown = preflight_server::runner::shutdown::Signal::default();
    // Its runs' progress reaches the people watching them through the servers.
    preflight_store::relay::start(&store).await;
    start_runner(store, args, shutdown.clone()).await?;
    tracing::info!("worker started (data in {})", cli.data_dir.display());
    shutdown_signal().await;
    shutdown.trigger();
    // Runs still in progress are not finished here: their heartbeats stop with the process,
    // and another process starts them again once they are not heard of.
    pool.close().await;
    tracing::info!("worker stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Writes a file only its owner can read (0600 on Unix).
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)?.write_all(text.as_bytes())
}
