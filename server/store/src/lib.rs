//! Preflight's store: every SQL statement, authentication and the services that the server
//! functions, the JSON API, the runner and the CLI call. No web framework: the services take
//! a pool or the [`Store`] and return [`AppError`], which the server maps to HTTP in one place.

pub mod access;
pub mod activity;
pub mod auth;
pub mod checklist;
pub mod db;
pub mod deploys;
pub mod digest;
pub mod environments;
pub mod error;
pub mod evidence;
pub mod health;
pub mod mail;
pub mod markdown;
pub mod notify;
pub mod projects;
pub mod quality;
pub mod ratelimit;
pub mod rdap;
pub mod relay;
pub mod report;
pub mod retro;
pub mod runs;
pub mod schedules;
pub mod scope;
pub mod screenshots;
pub mod secrets;
pub mod share;
pub mod state;
pub mod template;
#[cfg(feature = "testing")]
pub mod testing;
pub mod training;
pub mod transfer;

pub use error::AppError;
pub use state::{LiveEvent, Store};

/// Current time in unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    preflight_model::format_date(time::OffsetDateTime::now_utc().date())
}
