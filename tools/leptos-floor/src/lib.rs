//! The framework's floor: the least a Leptos 0.8 app that hydrates a server-rendered checklist
//! ships. A router with two routes and links, the document title, one resource read from a
//! server function, a keyed list of items with a checkbox each whose change calls a second
//! server function — what the checklist page needs from Leptos, and none of its own features.
//!
//! `scripts/bench-web.sh` builds it exactly as the app's WASM is built (same profile, same
//! `erase_components`, wasm-bindgen, `wasm-opt -Oz`, brotli 11) and prints its weight beside
//! the app's pages: what any page of a Leptos app costs before its own code. Only the WASM side
//! is built; the server functions are their client stubs (their bodies are server code).

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes, A},
    path,
};
use serde::{Deserialize, Serialize};

/// A checklist row, with the kinds of fields the app's own items have.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Item {
    pub id: i64,
    pub phase: String,
    pub title: String,
    pub done: bool,
    pub assignee: Option<i64>,
    pub due: Option<String>,
    pub note: String,
    pub status: String,
}

/// The list (on the server it would read the database; only the client stub is built here).
#[server]
pub async fn get_items() -> Result<Vec<Item>, ServerFnError> {
    Ok(Vec::new())
}

/// Ticks or unticks an item and answers with the item as stored.
#[server]
pub async fn set_done(id: i64, done: bool) -> Result<Item, ServerFnError> {
    Err(ServerFnError::new(format!("no item {id} to set to {done}")))
}

#[component]
fn Checklist() -> impl IntoView {
    let items = Resource::new(|| (), |_| get_items());
    view! {
        <h1>"Checklist"</h1>
        <Suspense fallback=|| "Loading">
            {move || Suspend::new(async move {
                let list = RwSignal::new(items.await.unwrap_or_default());
                view! {
                    <ul>
                        <For each=move || list.get() key=|it| it.id let:it>
                            <li>
                                <input
                                    type="checkbox"
                                    prop:checked=it.done
                                    on:change=move |_| {
                                        let (id, done) = (it.id, !it.done);
                                        leptos::task::spawn_local(async move {
                                            if let Ok(stored) = set_done(id, done).await {
                                                list.update(|l| {
                                                    if let Some(x) = l.iter_mut().find(|x| x.id == stored.id) {
                                                        *x = stored;
                                                    }
                                                });
                                            }
                                        });
                                    }
                                />
                                <span>{it.title.clone()}</span>
                                <span>{it.phase.clone()}</span>
                                <select>
                                    <option value="">"Nobody"</option>
                                </select>
                                {it.due.clone().map(|d| view! { <time>{d}</time> })}
                            </li>
                        </For>
                    </ul>
                }
            })}
        </Suspense>
    }
}

#[component]
fn Home() -> impl IntoView {
    view! { <A href="/checklist">"Checklist"</A> }
}

#[component]
pub fn App() -> impl IntoView {
    leptos_meta::provide_meta_context();
    view! {
        <leptos_meta::Title text="Floor"/>
        <Router>
            <nav>
                <A href="/">"Home"</A>
            </nav>
            <main>
                <Routes fallback=|| "Not found">
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/checklist") view=Checklist/>
                </Routes>
            </main>
        </Router>
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_body(App);
}
