//! One module per page.

pub mod account;
pub mod auth;
pub mod email;
pub mod errors;
pub mod gallery;
pub mod handover;
pub mod my_items;
pub mod notifications;
pub mod project;
pub mod project_form;
pub mod projects;
pub mod quality;
pub mod retro;
pub mod run;
pub mod scope;
pub mod share;
pub mod team;
pub mod template;
pub mod watch;
