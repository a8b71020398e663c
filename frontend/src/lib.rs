#![recursion_limit = "256"]
//! The WASM entry point: hydrates the server-rendered page so it becomes interactive.

use wasm_bindgen::prelude::wasm_bindgen;

// Plain JavaScript, so that it still runs after the WASM has stopped: a page whose build has
// been replaced on the server (a redeploy while the tab was open) asks for page code that is
// no longer there, and the app stops. Then the browser goes where the person was going (the
// link they followed) or loads the page again, with the new build; once per build, so a page
// that fails for another reason is not reloaded in a loop.
#[wasm_bindgen(inline_js = r#"
let next = null;
export function remember_links() {
  document.addEventListener("click", (ev) => {
    const a = ev.target instanceof Element ? ev.target.closest("a[href]") : null;
    next = a && a.origin === location.origin ? a.href : null;
  }, true);
}
export function reload_if_rebuilt() {
  // This file is pkg/<version>/snippets/<crate>/inline0.js: the app's own URL is beside it.
  const app = new URL("../../preflight.js", import.meta.url).href;
  const key = "preflight-reloaded-for";
  fetch(app, { method: "HEAD", cache: "no-store" }).then((res) => {
    if (res.status !== 404 || sessionStorage.getItem(key) === app) return;
    sessionStorage.setItem(key, app);
    location.assign(next || location.href);
  }, () => {});
}
"#)]
extern "C" {
    fn remember_links();
    fn reload_if_rebuilt();
}

#[wasm_bindgen]
pub fn hydrate() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        reload_if_rebuilt();
    }));
    remember_links();
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
