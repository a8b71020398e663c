//! The Preflight server: configuration, the HTTP router (pages, auth, live events, the
//! public JSON API) and the command-line subcommands. The web UI itself lives in `app`;
//! the check engine in `preflight-engine`.

pub mod api;
pub mod api_notify;
pub mod api_scope;
pub mod assets;
pub mod auth_routes;
pub mod check_cmd;
pub mod cli;
pub mod config;
pub mod deploy_cmd;
pub mod events;
pub mod exports;
pub mod middleware;
pub mod pipeline;
pub mod router;
pub mod runner;
pub mod scheduler;
pub mod share_forms;
pub mod shots;
pub mod state;

pub use router::router;
