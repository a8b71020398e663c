//! The router's state: the [`Store`] (which every handler derefs to) and the Leptos options
//! the pages are rendered with.

use leptos::config::LeptosOptions;
use preflight_store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub leptos_options: LeptosOptions,
}

impl AppState {
    pub fn new(store: Store, leptos_options: LeptosOptions) -> Self {
        AppState { store, leptos_options }
    }
}

impl std::ops::Deref for AppState {
    type Target = Store;

    fn deref(&self) -> &Store {
        &self.store
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Store {
        &mut self.store
    }
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}
