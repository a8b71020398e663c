//! A second, direct DevTools session on a tab for the calls made on every page (emulation,
//! navigation, measuring, screenshots), typed with `headless_chrome`'s protocol types.
//!
//! Why: `headless_chrome`'s transport reads its websocket with a 100 ms timeout while
//! holding the lock that sending needs, so every call waits 0–100 ms before it is even
//! sent (measured here: `Runtime.evaluate` of a constant took 5–220 ms). Events, dialogs,
//! crash reports and everything else still go through `headless_chrome`; this session
//! enables no domains, so it carries only the answers to its own calls.

use std::{
    net::TcpStream,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::Duration,
};

use headless_chrome::protocol::cdp::types::Method;
use serde::Serialize;
use tungstenite::{stream::MaybeTlsStream, Message, WebSocket};

pub(crate) struct Direct {
    socket: Mutex<WebSocket<MaybeTlsStream<TcpStream>>>,
    next_id: AtomicU64,
}

impl Direct {
    /// Opens a session on the page `target_id` of the browser whose DevTools websocket is
    /// `browser_ws` (`ws://HOST:PORT/devtools/browser/ID`). Only plain `ws://` endpoints.
    pub fn connect(browser_ws: &str, target_id: &str, read_timeout: Duration) -> Result<Direct, String> {
        let base = browser_ws.strip_prefix("ws://").ok_or("only ws:// endpoints get a direct session")?;
        let host = base.split('/').next().unwrap_or_default();
        Direct::open(&format!("ws://{host}/devtools/page/{target_id}"), read_timeout)
    }

    /// A session on the browser itself (`ws://HOST:PORT/devtools/browser/ID`): for the
    /// `Target` calls a page that no longer answers cannot take.
    pub fn browser(browser_ws: &str, read_timeout: Duration) -> Result<Direct, String> {
        if !browser_ws.starts_with("ws://") {
            return Err("only ws:// endpoints get a direct session".into());
        }
        Direct::open(browser_ws, read_timeout)
    }

    fn open(url: &str, read_timeout: Duration) -> Result<Direct, String> {
        let (socket, _) = tungstenite::connect(url).map_err(|e| format!("cannot open a session on the tab: {e}"))?;
        if let MaybeTlsStream::Plain(tcp) = socket.get_ref() {
            tcp.set_read_timeout(Some(read_timeout)).map_err(|e| e.to_string())?;
            let _ = tcp.set_nodelay(true);
        }
        Ok(Direct { socket: Mutex::new(socket), next_id: AtomicU64::new(1) })
    }

    /// Sends `method` and waits for its answer.
    pub fn call<C: Method + Serialize>(&self, method: C) -> Result<C::ReturnObject, String> {
        self.call_until(method, None, &|| false)
    }

    /// [`Direct::call`], giving up after `limit` or as soon as `give_up` says so (checked
    /// every 100 ms). An answer that comes later is skipped by the next call.
    pub fn call_within<C: Method + Serialize>(&self, method: C, limit: Duration, give_up: &dyn Fn() -> bool) -> Result<C::ReturnObject, String> {
        self.call_until(method, Some(std::time::Instant::now() + limit), give_up)
    }

    fn call_until<C: Method + Serialize>(
        &self,
        method: C,
        deadline: Option<std::time::Instant>,
        give_up: &dyn Fn() -> bool,
    ) -> Result<C::ReturnObject, String> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let params = serde_json::to_value(&method).map_err(|e| e.to_string())?;
        let request = serde_json::json!({ "id": id, "method": C::NAME, "params": params });
        let mut socket = self.socket.lock().map_err(|_| "the session lock is poisoned".to_string())?;
        socket.send(Message::text(request.to_string())).map_err(|e| format!("{}: {e}", C::NAME))?;
        let tcp = |s: &WebSocket<MaybeTlsStream<TcpStream>>| match s.get_ref() {
            MaybeTlsStream::Plain(tcp) => tcp.try_clone().ok(),
            _ => None,
        };
        let stream = tcp(&socket);
        let usual = stream.as_ref().and_then(|t| t.read_timeout().ok().flatten());
        let result = loop {
            if let (Some(deadline), Some(t)) = (deadline, &stream) {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    break Err(format!("{}: no answer within the time limit", C::NAME));
                }
                if give_up() {
                    break Err(format!("{}: given up (the page went elsewhere)", C::NAME));
                }
                let _ = t.set_read_timeout(Some(left.min(Duration::from_millis(100))));
            }
            let msg = match socket.read() {
                Ok(msg) => msg,
                Err(tungstenite::Error::Io(e)) if deadline.is_some() && matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    continue
                }
                Err(e) => break Err(format!("{}: the browser did not answer ({e})", C::NAME)),
            };
            let Message::Text(text) = msg else { continue };
            let value: serde_json::Value = serde_json::from_str(text.as_str()).map_err(|e| e.to_string())?;
            if value.get("id").and_then(|v| v.as_u64()) != Some(id) {
                continue; // an event, or the answer to a call given up on
            }
            if let Some(err) = value.get("error") {
                let message = err.get("message").and_then(|m| m.as_str()).unwrap_or("unknown error");
                break Err(format!("{}: {message}", C::NAME));
            }
            let result = value.get("result").cloned().unwrap_or(serde_json::Value::Object(Default::default()));
            break serde_json::from_value(result).map_err(|e| format!("{}: unexpected answer ({e})", C::NAME));
        };
        if let (Some(_), Some(t)) = (deadline, &stream) {
            let _ = t.set_read_timeout(usual);
        }
        result
    }
}
