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
    /// Write an online, consistent copy of the database to PATH (safe while the server runs).
    Backup {
        /// Where to write the copy; must not exist yet.
        path: PathBuf,
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
