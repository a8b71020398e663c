#![recursion_limit = "256"]
//! The WASM entry point: hydrates the server-rendered page so it becomes interactive.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // The routes' pages are loaded on demand (split WASM): hydration waits for the current
    // page's code, so it runs as a task.
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) else { return };
        let owner = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        owner.forget();
        // Lets tests (and curious people) see that the page is interactive.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
