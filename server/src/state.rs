//! The router's state: the [`Store`] (which every handler derefs to) and the Leptos options
//! the pages are rendered with — behind one `Arc`, because every middleware layer and
//! extractor clones the state for every request (cloning the parts themselves was 3 % of the
//! server's CPU under the tick benchmark).

use std::sync::Arc;

use leptos::config::LeptosOptions;
use preflight_store::Store;

#[derive(Clone)]
pub struct AppState(Arc<Parts>);

struct Parts {
    store: Store,
    leptos_options: LeptosOptions,
}

impl AppState {
    pub fn new(store: Store, leptos_options: LeptosOptions) -> Self {
        AppState(Arc::new(Parts { store, leptos_options }))
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn leptos_options(&self) -> &LeptosOptions {
        &self.0.leptos_options
    }

    /// The same state with the store changed by `f` (for setting up tests).
    pub fn map_store(self, f: impl FnOnce(Store) -> Store) -> Self {
        AppState::new(f(self.0.store.clone()), self.0.leptos_options.clone())
    }
}

impl std::ops::Deref for AppState {
    type Target = Store;

    fn deref(&self) -> &Store {
        &self.0.store
    }
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.0.leptos_options.clone()
    }
}
