//! Types shared by the server and the browser: what server functions and the JSON API send
//! and receive, by feature. Nothing here touches the database or the web framework (serde and
//! time only), so the WASM app and the server use the same definitions.

mod account;
mod checklist;
mod dates;
pub mod phases;
mod project;
mod quality;
mod retro;
mod runs;
mod scope;
mod share;
mod watch;

pub use account::*;
pub use checklist::*;
pub use dates::*;
pub use project::*;
pub use quality::*;
pub use retro::*;
pub use runs::*;
pub use scope::*;
pub use share::*;
pub use watch::*;
