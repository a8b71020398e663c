//! Preflight's check engine.
//!
//! This crate owns the catalogue of automated checks (their stable ids are public interface:
//! they appear in CLI output, the JSON API, SARIF rule ids and the checklist template) and,
//! as it grows, the crawler and the checks themselves. It knows nothing of Leptos or axum so
//! that the CLI, the app's job runner and the tests all drive the same code.

pub mod catalogue;

pub use catalogue::{find_check, CheckInfo, Category, CATALOGUE};
