//! Live checklist updates in the browser: an `EventSource` on the project's event stream.
//! The server side is `GET /events/projects/{id}` (server-sent events).

#[cfg(feature = "hydrate")]
use crate::model::LiveUpdate;

/// Subscribes to a project's live updates. `on_update` gets every changed item or run;
/// `on_open(first)` runs whenever the stream opens — the first time and after a drop — since
/// changes may have been missed meanwhile (a run that finished between the page's render and
/// the stream's start), so the caller reloads what may have changed. Returns a handle that closes the stream when dropped.
#[cfg(feature = "hydrate")]
pub fn subscribe(
    project_id: i64,
    on_update: impl Fn(LiveUpdate) + 'static,
    on_status: impl Fn(bool) + 'static,
    on_open: impl Fn(bool) + 'static,
) -> Option<Subscription> {
    subscribe_to(&format!("/events/projects/{project_id}"), on_update, on_status, on_open)
}

/// Subscribes to any of the server's event streams (`/events/notifications`: the bell).
#[cfg(feature = "hydrate")]
pub fn subscribe_to(
    path: &str,
    on_update: impl Fn(LiveUpdate) + 'static,
    on_status: impl Fn(bool) + 'static,
    on_open: impl Fn(bool) + 'static,
) -> Option<Subscription> {
    use wasm_bindgen::{closure::Closure, JsCast};

    let source = web_sys::EventSource::new(path).ok()?;
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        let Some(text) = ev.data().as_string() else { return };
        if let Ok(update) = serde_json::from_str::<LiveUpdate>(&text) {
            on_update(update);
        }
    });
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let on_status = std::rc::Rc::new(on_status);
    let status_open = on_status.clone();
    // Every open, the first included, reloads: whatever changed between the page's render and
    // the stream's start (a run that finished in that gap) would otherwise never arrive.
    let opened_before = std::cell::Cell::new(false);
    let on_open = Closure::<dyn FnMut()>::new(move || {
        status_open(true);
        on_open(!opened_before.replace(true));
    });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    let on_error = Closure::<dyn FnMut()>::new(move || on_status(false));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Some(Subscription { source, _closures: (on_message, on_open, on_error) })
}

/// An open event stream; closed when dropped.
#[cfg(feature = "hydrate")]
pub struct Subscription {
    source: web_sys::EventSource,
    /// Kept only so the callbacks live as long as the stream.
    _closures: (MessageCallback, Callback, Callback),
}

#[cfg(feature = "hydrate")]
type MessageCallback = wasm_bindgen::closure::Closure<dyn FnMut(web_sys::MessageEvent)>;
#[cfg(feature = "hydrate")]
type Callback = wasm_bindgen::closure::Closure<dyn FnMut()>;

#[cfg(feature = "hydrate")]
impl Drop for Subscription {
    fn drop(&mut self) {
        self.source.close();
    }
}
