//! The store's state, shared by every request, the runner and the CLI: the database pool,
//! configuration and the live-update channel. Server functions reach it with
//! `use_context::<Store>()`; the server's router state derefs to it.

use std::sync::Arc;

use crate::db::Pool;
use tokio::sync::broadcast;

use super::ratelimit::LoginLimiter;
use preflight_model::{ChecklistItem, LiveUpdate};

/// A change that every viewer of a project should see.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LiveEvent {
    pub project_id: i64,
    #[serde(flatten)]
    pub update: LiveUpdate,
}

#[derive(Clone)]
pub struct Store {
    pub pool: Pool,
    /// Set the `Secure` flag on cookies: `Some(yes)` forced, `None` decided per request
    /// (https base URL, or a proxy saying the request came over https).
    pub secure_cookies: Option<bool>,
    /// Public base URL, e.g. `https://preflight.example.com`; used for CSRF origin checks
    /// and links. `None`: trust the request's Host header.
    pub base_url: Option<String>,
    pub events: broadcast::Sender<LiveEvent>,
    pub limiter: Arc<LoginLimiter>,
    /// Wakes the check-run runner when a run is queued.
    pub run_queued: Arc<tokio::sync::Notify>,
    /// Wakes the scheduler when a schedule changed.
    pub schedules_changed: Arc<tokio::sync::Notify>,
    /// Wakes the delivery worker when a message was queued in the outbox.
    pub outbox_queued: Arc<tokio::sync::Notify>,
    /// How webhook and e-mail deliveries are tried (tries, backoff, timeout).
    pub delivery: super::notify::DeliveryPolicy,
    /// How e-mail is sent (`--smtp-url`, `--smtp-from`); `None`: no e-mail.
    pub mailer: Option<super::mail::Mailer>,
    /// The RDAP service domain registrations are looked up at (`--rdap-url`); `None`: never.
    /// The browser that prints launch reports to PDF (`None`: started with `--no-browser`).
    pub pdf_browser: Option<preflight_browser::Endpoint>,
    pub rdap_base: Option<String>,
    /// Where check runs keep their screenshots (`<data>/screenshots`); `None`: no
    /// screenshots are taken or served.
    pub screenshots_dir: Option<std::path::PathBuf>,
    /// Seals the secrets kept in the database (see [`super::secrets`]).
    pub sealer: Arc<super::secrets::Sealer>,
    /// The one-time code that creating the first owner needs, printed when a fresh install
    /// starts (`None`: setup is refused; create the owner with `preflight user add`).
    pub setup_code: Arc<std::sync::Mutex<Option<String>>>,
    /// Where the setup code is also kept (`<data-dir>/setup-code`), removed once used.
    pub setup_code_file: Option<std::path::PathBuf>,
    /// Where live updates go to reach other processes too (PostgreSQL; see [`crate::relay`]).
    pub relay: Arc<std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<String>>>,
}

impl Store {
    pub fn new(pool: Pool, secure_cookies: Option<bool>, base_url: Option<String>) -> Self {
        let (events, _) = broadcast::channel(1024);
        Store {
            pool,
            secure_cookies,
            base_url,
            events,
            limiter: Arc::new(LoginLimiter::default()),
            run_queued: Arc::new(tokio::sync::Notify::new()),
            schedules_changed: Arc::new(tokio::sync::Notify::new()),
            outbox_queued: Arc::new(tokio::sync::Notify::new()),
            delivery: super::notify::DeliveryPolicy::default(),
            mailer: None,
            rdap_base: None,
            pdf_browser: None,
            screenshots_dir: None,
            sealer: Arc::new(super::secrets::Sealer::ephemeral()),
            setup_code: Arc::default(),
            setup_code_file: None,
            relay: Arc::default(),
        }
    }

    /// Requires `code` to create the first owner.
    pub fn with_setup_code(self, code: impl Into<String>) -> Self {
        if let Ok(mut c) = self.setup_code.lock() {
            *c = Some(code.into());
        }
        self
    }

    /// Is `given` the setup code (case, spaces and dashes aside)? Compared as digests.
    pub fn setup_code_matches(&self, given: &str) -> bool {
        use sha2::{Digest, Sha256};
        let norm = |s: &str| Sha256::digest(s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase().as_bytes());
        self.setup_code.lock().ok().and_then(|c| c.clone()).is_some_and(|code| norm(&code) == norm(given))
    }

    /// Uses the key in `<data-dir>/secret.key` (created the first time).
    pub fn with_sealer(mut self, sealer: super::secrets::Sealer) -> Self {
        self.sealer = Arc::new(sealer);
        self
    }

    pub fn with_screenshots_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.screenshots_dir = Some(dir);
        self
    }

    /// The origin (`scheme://host`) links for people are made with: the base URL, else the
    /// request's Host (https when a proxy says the request came over https).
    pub fn public_origin(&self, headers: &http::HeaderMap) -> Option<String> {
        if let Some(base) = &self.base_url {
            return Some(base.clone());
        }
        let host = headers.get(http::header::HOST)?.to_str().ok()?;
        let https = headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
        Some(format!("{}://{host}", if https { "https" } else { "http" }))
    }

    /// Whether a cookie set in answer to a request with these headers gets `Secure`.
    pub fn cookie_secure(&self, headers: &http::HeaderMap) -> bool {
        self.secure_cookies.unwrap_or_else(|| {
            self.base_url.as_deref().is_some_and(|u| u.starts_with("https://"))
                || headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
        })
    }

    /// Tells every live viewer about a changed item. Nobody listening is fine.
    pub fn publish(&self, item: ChecklistItem) {
        self.publish_update(item.project_id, LiveUpdate::Item { item });
    }

    pub fn publish_update(&self, project_id: i64, update: LiveUpdate) {
        let event = LiveEvent { project_id, update };
        match self.relay.get() {
            // Every process, this one too, hears it back from PostgreSQL.
            Some(relay) => match serde_json::to_string(&event) {
                Ok(json) if json.len() < 7900 => {
                    let _ = relay.send(json);
                }
                // Over NOTIFY's 8000-byte limit: this server's viewers still get it.
                _ => {
                    let _ = self.events.send(event);
                }
            },
            None => {
                let _ = self.events.send(event);
            }
        }
    }
}
