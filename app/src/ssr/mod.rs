//! Server-only code: database access, authentication and the services that both the
//! server functions and the public JSON API call. Compiled only with the `ssr` feature.

pub mod activity;
pub mod auth;
pub mod checklist;
pub mod db;
pub mod deploys;
pub mod environments;
pub mod error;
pub mod evidence;
pub mod markdown;
pub mod projects;
pub mod ratelimit;
pub mod retro;
pub mod runs;
pub mod scope;
pub mod screenshots;
pub mod secrets;
pub mod share;
pub mod state;
pub mod template;
pub mod training;

pub use error::AppError;
pub use state::{AppState, LiveEvent};

/// Current time in unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    crate::model::format_date(time::OffsetDateTime::now_utc().date())
}
