//! Live updates in the browser: one `EventSource` per page on `GET /events/live`, shared by
//! everything on the page that listens — the project's changes (checklist, runs, reviews) and
//! the signed-in person's notifications (the bell). One connection per page, not one per
//! feature: browsers allow six connections per server over HTTP/1.1, across all tabs.
//!
//! The stream opens once the page has finished loading (earlier, it would keep the page
//! "loading" in the browser's eyes), and reopens when the project listened to changes.

#[cfg(feature = "hydrate")]
use crate::model::LiveUpdate;

#[cfg(feature = "hydrate")]
mod hub {
    use std::{
        cell::{Cell, RefCell},
        rc::Rc,
    };

    use wasm_bindgen::{closure::Closure, JsCast};

    /// One listener: a project's changes, or the person's notifications.
    pub struct Listener {
        pub id: u64,
        /// `Some`: this project's changes; `None`: notifications.
        pub project: Option<i64>,
        /// Gets the message's JSON text: each listener reads what it needs, so the code that
        /// reads a checklist item or a run loads with the pages that show them, not with
        /// every page's notification bell.
        pub on_update: Box<dyn Fn(&str)>,
        pub on_status: Box<dyn Fn(bool)>,
        pub on_open: Box<dyn Fn(bool)>,
        pub opened_before: Cell<bool>,
    }

    type OnMessage = Closure<dyn FnMut(web_sys::MessageEvent)>;
    type OnEvent = Closure<dyn FnMut()>;

    struct Open {
        url: String,
        source: web_sys::EventSource,
        /// Kept only so the callbacks live as long as the stream.
        _closures: (OnMessage, OnEvent, OnEvent),
    }

    #[derive(Default)]
    struct Hub {
        next: u64,
        listeners: Vec<Rc<Listener>>,
        open: Option<Open>,
        waiting_for_load: Option<Closure<dyn FnMut()>>,
        /// `pagehide` / `pageshow` listeners, installed once.
        page_events: Option<(OnEvent, OnEvent)>,
        /// The page is hidden (left, perhaps kept in the back/forward cache): no stream.
        hidden: bool,
    }

    thread_local! {
        static HUB: RefCell<Hub> = RefCell::new(Hub::default());
    }

    /// What the hub reads of a message to route it: the project it is about, and its kind.
    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        #[serde(default)]
        project_id: i64,
        kind: &'a str,
    }

    pub fn next_id() -> u64 {
        HUB.with(|h| {
            let mut h = h.borrow_mut();
            h.next += 1;
            h.next
        })
    }

    pub fn add(listener: Listener) {
        HUB.with(|h| h.borrow_mut().listeners.push(Rc::new(listener)));
        reconcile();
    }

    pub fn remove(id: u64) {
        let removed = HUB.with(|h| {
            let mut h = h.borrow_mut();
            let before = h.listeners.len();
            h.listeners.retain(|l| l.id != id);
            before != h.listeners.len()
        });
        if removed {
            reconcile();
        }
    }

    fn listeners() -> Vec<Rc<Listener>> {
        HUB.with(|h| h.borrow().listeners.clone())
    }

    /// A page the browser keeps in its back/forward cache would keep its stream — a
    /// connection of the six per server — open while it is not shown; a few such pages and
    /// the shown page's requests wait for ever. So the stream closes when the page is hidden
    /// and opens again (listeners reload) when it is shown.
    fn watch_page_visibility() {
        if HUB.with(|h| h.borrow().page_events.is_some()) {
            return;
        }
        let Some(window) = web_sys::window() else { return };
        let on_hide = Closure::<dyn FnMut()>::new(|| {
            HUB.with(|h| h.borrow_mut().hidden = true);
            if let Some(old) = HUB.with(|h| h.borrow_mut().open.take()) {
                old.source.close();
            }
        });
        let on_show = Closure::<dyn FnMut()>::new(|| {
            HUB.with(|h| h.borrow_mut().hidden = false);
            reconcile();
        });
        let _ = window.add_event_listener_with_callback("pagehide", on_hide.as_ref().unchecked_ref());
        let _ = window.add_event_listener_with_callback("pageshow", on_show.as_ref().unchecked_ref());
        HUB.with(|h| h.borrow_mut().page_events = Some((on_hide, on_show)));
    }

    /// Opens, reopens or closes the stream to match the listeners.
    fn reconcile() {
        watch_page_visibility();
        if HUB.with(|h| h.borrow().hidden) {
            return;
        }
        let wanted = HUB.with(|h| {
            let h = h.borrow();
            if h.listeners.is_empty() {
                return None;
            }
            Some(match h.listeners.iter().find_map(|l| l.project) {
                Some(p) => format!("/events/live?project={p}"),
                None => "/events/live".to_string(),
            })
        });
        let current = HUB.with(|h| h.borrow().open.as_ref().map(|o| o.url.clone()));
        if wanted == current {
            return;
        }
        if let Some(old) = HUB.with(|h| h.borrow_mut().open.take()) {
            old.source.close();
        }
        let Some(url) = wanted else { return };
        let Some(window) = web_sys::window() else { return };
        let loaded = window.document().is_some_and(|d| d.ready_state() == "complete");
        if !loaded {
            if HUB.with(|h| h.borrow().waiting_for_load.is_none()) {
                let on_load = Closure::<dyn FnMut()>::new(reconcile);
                let _ = window.add_event_listener_with_callback("load", on_load.as_ref().unchecked_ref());
                HUB.with(|h| h.borrow_mut().waiting_for_load = Some(on_load));
            }
            return;
        }
        if let Some(open) = open(url) {
            HUB.with(|h| h.borrow_mut().open = Some(open));
        }
    }

    fn open(url: String) -> Option<Open> {
        let source = web_sys::EventSource::new(&url).ok()?;
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let Some(text) = ev.data().as_string() else { return };
            let Ok(msg) = serde_json::from_slice::<Envelope>(text.as_bytes()) else { return };
            let for_bell = msg.kind == "notification";
            for l in listeners() {
                let wants = match l.project {
                    None => for_bell,
                    Some(p) => !for_bell && p == msg.project_id,
                };
                if wants {
                    (l.on_update)(&text);
                }
            }
        });
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // Every open, the first included, lets each listener reload: whatever changed between
        // the page's render and the stream's start would otherwise never arrive.
        let on_open = Closure::<dyn FnMut()>::new(move || {
            for l in listeners() {
                (l.on_status)(true);
                (l.on_open)(!l.opened_before.replace(true));
            }
        });
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        let on_error = Closure::<dyn FnMut()>::new(move || {
            for l in listeners() {
                (l.on_status)(false);
            }
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some(Open { url, source, _closures: (on_message, on_open, on_error) })
    }
}

/// Listens to a project's live updates (changed items, runs, reviews). `on_open(first)` runs
/// whenever the stream opens — the first time and after a drop — since changes may have been
/// missed meanwhile, so the caller reloads what may have changed. Stops when the returned
/// handle is dropped.
#[cfg(feature = "hydrate")]
pub fn subscribe(
    project_id: i64,
    on_update: impl Fn(LiveUpdate) + 'static,
    on_status: impl Fn(bool) + 'static,
    on_open: impl Fn(bool) + 'static,
) -> Option<Subscription> {
    let on_update = move |text: &str| {
        // The message's `project_id` is ignored: the hub routed it here.
        if let Ok(update) = serde_json::from_slice::<LiveUpdate>(text.as_bytes()) {
            on_update(update);
        }
    };
    listen(Some(project_id), on_update, on_status, on_open)
}

/// Listens to the signed-in person's notifications (the bell): `on_unread` gets the number
/// of unread notifications whenever it changes.
#[cfg(feature = "hydrate")]
pub fn subscribe_notifications(on_unread: impl Fn(i64) + 'static, on_open: impl Fn(bool) + 'static) -> Option<Subscription> {
    #[derive(serde::Deserialize)]
    struct Unread {
        unread: i64,
    }
    let on_update = move |text: &str| {
        if let Ok(n) = serde_json::from_slice::<Unread>(text.as_bytes()) {
            on_unread(n.unread);
        }
    };
    listen(None, on_update, |_| {}, on_open)
}

#[cfg(feature = "hydrate")]
fn listen(
    project: Option<i64>,
    on_update: impl Fn(&str) + 'static,
    on_status: impl Fn(bool) + 'static,
    on_open: impl Fn(bool) + 'static,
) -> Option<Subscription> {
    let id = hub::next_id();
    hub::add(hub::Listener {
        id,
        project,
        on_update: Box::new(on_update),
        on_status: Box::new(on_status),
        on_open: Box::new(on_open),
        opened_before: std::cell::Cell::new(false),
    });
    Some(Subscription { id })
}

/// A listener of the page's stream; removed when dropped (the stream closes with the last).
#[cfg(feature = "hydrate")]
pub struct Subscription {
    id: u64,
}

#[cfg(feature = "hydrate")]
impl Drop for Subscription {
    fn drop(&mut self) {
        hub::remove(self.id);
    }
}
