//! The notification centre: the signed-in person's notifications, newest first, with links to
//! what they are about.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::{fmt_time, ErrorBox, LoadError};
use crate::model::{rule_title, NotificationList};
use crate::server_fns::{error_text, get_notifications, mark_notifications_read};

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let data = crate::components::resource(|| (), |_| get_notifications());
    view! {
        <Title text="Notifications"/>
        <Transition fallback=|| view! { <p class="muted">"Loading your notifications…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(list) => view! { <Centre list/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Centre(list: NotificationList) -> impl IntoView {
    let list = RwSignal::new(list);
    let error = RwSignal::new(None::<String>);
    let mark = move |ids: Option<Vec<i64>>| {
        leptos::task::spawn_local(async move {
            match mark_notifications_read(ids).await {
                Ok(fresh) => {
                    list.set(fresh);
                    error.set(None);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    view! {
        <div class="page-head">
            <div>
                <h1>"Notifications"</h1>
                <p class="muted">
                    "What Preflight told you: client reviews, new errors, regressions, assignments. Choose what each project tells on its "
                    <strong>"Watch"</strong> " tab."
                </p>
            </div>
            <div class="actions">
                <button type="button" on:click=move |_| mark(None) disabled=move || list.with(|l| l.unread == 0)>"Mark all read"</button>
            </div>
        </div>
        {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
        <section class="card">
            <h2>{move || match list.with(|l| l.unread) { 0 => "Nothing unread".to_string(), n => format!("{n} unread") }}</h2>
            {move || list.with(|l| l.items.is_empty()).then(|| view! { <p class="muted">"No notifications yet."</p> })}
            <ul class="notice-list" role="list">
                {move || list.get().items.into_iter().map(|n| {
                    let id = n.id;
                    let unread = !n.read;
                    view! {
                        <li class:unread=unread>
                            <div>
                                <span class="chip">{rule_title(&n.rule).to_string()}</span> " "
                                <a href=n.link.clone() on:click=move |_| if unread { mark(Some(vec![id])) }><strong>{n.title.clone()}</strong></a>
                                <div class="muted small">
                                    {n.project.clone().zip(n.project_id).map(|(name, pid)| view! { <A href=format!("/projects/{pid}")>{name}</A> })}
                                    <span class="when">{fmt_time(n.created_at)}</span>
                                </div>
                            </div>
                            <div>
                                {unread.then(|| view! { <button type="button" class="small" on:click=move |_| mark(Some(vec![id]))>"Mark read"</button> })}
                            </div>
                            {(!n.body.is_empty()).then(|| view! { <div class="body">{n.body.clone()}</div> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
