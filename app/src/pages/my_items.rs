//! `/my`: the open checklist items assigned to the signed-in person across projects, soonest
//! due first, ticked right here.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::{ErrorBox, LoadError};
use crate::model::{ItemChange, ItemState, MyItem, UpdateOutcome};
use crate::server_fns::{error_text, my_items, update_item};

#[component]
pub fn MyItemsPage() -> impl IntoView {
    let data = crate::components::resource(|| (), |_| my_items());
    view! {
        <Title text="My items"/>
        <div class="page-head">
            <div>
                <h1>"My items"</h1>
                <p class="muted">"Everything assigned to you that is still open, in every project that is not archived — overdue and soonest due first."</p>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="card muted">"Nothing is assigned to you. Items assigned to you on a project's checklist appear here."</p>
                    }.into_any(),
                    Ok(list) => view! { <MyList list/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MyList(list: Vec<MyItem>) -> impl IntoView {
    let overdue = list.iter().filter(|m| m.item.overdue).count();
    let projects = {
        let mut ids: Vec<i64> = list.iter().map(|m| m.project_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    };
    view! {
        <section class="card">
            <h2>{format!("{} open item(s) in {projects} project(s)", list.len())}</h2>
            {(overdue > 0).then(|| view! { <p class="alert warn">{format!("{overdue} of them overdue.")}</p> })}
            <ul class="items my-items" role="list">
                {list.into_iter().map(|m| view! { <MyRow m/> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn MyRow(m: MyItem) -> impl IntoView {
    let MyItem { project_id, project_name, item } = m;
    let (id, title, overdue) = (item.id, item.title.clone(), item.overdue);
    let version = RwSignal::new(item.version);
    let done = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let toggle = move |ev: leptos::ev::Event| {
        let state = if event_target_checked(&ev) { ItemState::Done } else { ItemState::Todo };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match update_item(id, version.get_untracked(), ItemChange::SetState { state, reason: String::new() }).await {
                Ok(UpdateOutcome::Updated { item }) => {
                    version.set(item.version);
                    done.set(item.state == ItemState::Done);
                    error.set(None);
                }
                Ok(UpdateOutcome::Conflict { current }) => {
                    version.set(current.version);
                    done.set(current.state == ItemState::Done);
                    error.set(Some(format!("{} changed this item first; it now shows their version.", current.updated_by.unwrap_or_else(|| "Someone".into()))));
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
            busy.set(false);
        });
    };
    let box_id = format!("my-{id}");
    view! {
        <li class="item" class:overdue=overdue class:done=move || done.get()>
            <div class="item-main">
                <input type="checkbox" id=box_id.clone() prop:checked=move || done.get() disabled=move || busy.get() on:change=toggle/>
                <label for=box_id class="item-title">{title}</label>
                <span class="due" class:late=overdue>{format!("{} · {}", item.due_label, item.due)} {overdue.then(|| view! { <strong>" · overdue"</strong> })}</span>
            </div>
            <p class="item-summary">
                <A href=format!("/projects/{project_id}#item-{id}")>{project_name}</A>
                <span>{crate::phases::phase(&item.phase).map(|p| p.title).unwrap_or_default()}</span>
            </p>
            {move || error.get().map(|e| view! { <ErrorBox message=e/> })}
        </li>
    }
}
