//! A project's agreed scope, training notes and activity log: the pages beside the checklist.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use crate::components::{fmt_time, ErrorBox, LoadError};
use crate::model::{ChangeRequestInput, ChangeStatus, Decision, ScopeInput, ScopeItem, ScopeStatus, ScopeView, TrainingInput, TrainingNote};
use crate::server_fns::{
    compare_scope, decide_change, delete_scope_item, delete_training, error_text, get_activity, get_scope, get_training, preview_markdown, propose_change,
    restore_scope_item, save_scope_item, save_training, scope_history,
};

/// The tabs of a project: checklist, scope, training, retrospective, watch, activity, share & settings.
#[component]
pub fn ProjectNav(project_id: i64, current: &'static str) -> impl IntoView {
    let tab = move |key: &'static str, label: &'static str, path: String| {
        view! { <A href=path attr:class=if key == current { "tab current" } else { "tab" } attr:aria-current=(key == current).then_some("page")>{label}</A> }
    };
    view! {
        <nav class="tabs" aria-label="Project">
            {tab("checklist", "Checklist", format!("/projects/{project_id}"))}
            {tab("scope", "Agreed scope", format!("/projects/{project_id}/scope"))}
            {tab("training", "Training notes", format!("/projects/{project_id}/training"))}
            {tab("retro", "Retrospective", format!("/projects/{project_id}/retro"))}
            {tab("watch", "Watch", format!("/projects/{project_id}/watch"))}
            {tab("activity", "Activity", format!("/projects/{project_id}/activity"))}
            {tab("share", "Share & settings", format!("/projects/{project_id}/share"))}
        </nav>
    }
}

/// The `:id` of a project page's route (0 when it is not a number: the page then says not found).
pub(crate) fn project_id() -> impl Fn() -> i64 + Copy {
    let params = use_params_map();
    move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0)
}

#[component]
pub fn ScopePage() -> impl IntoView {
    let id = project_id();
    let reload = RwSignal::new(0u32);
    let data = crate::components::resource(move || (id(), reload.get()), |(id, _)| get_scope(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the scope…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <ScopeBoard view=v reload/> }.into_any(),
                    Err(e) => view! { <Title text="Scope"/> <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn status_chip(s: ScopeStatus) -> impl IntoView {
    let class = match s {
        ScopeStatus::Delivered => "chip pass",
        ScopeStatus::OutOfScope => "chip fail",
        _ => "chip",
    };
    view! { <span class=class>{s.label()}</span> }
}

#[component]
fn ScopeBoard(view: ScopeView, reload: RwSignal<u32>) -> impl IntoView {
    let ScopeView { project_id, project_name, launch_date, today, items, change_requests, deleted } = view;
    let error = RwSignal::new(None::<String>);
    let bump = move || reload.update(|n| *n += 1);
    // New item form.
    let (title, description, source, agreed_on) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ScopeInput {
            title: title.get_untracked(),
            description: description.get_untracked(),
            source: source.get_untracked(),
            agreed_on: Some(agreed_on.get_untracked()),
            ..Default::default()
        };
        leptos::task::spawn_local(async move {
            match save_scope_item(project_id, None, input).await {
                Ok(_) => {
                    title.set(String::new());
                    description.set(String::new());
                    bump();
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    // Change request form.
    let (cr_title, cr_reason, cr_item) = (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let propose = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ChangeRequestInput {
            scope_item_id: cr_item.get_untracked().parse().ok(),
            title: cr_title.get_untracked(),
            description: String::new(),
            reason: cr_reason.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match propose_change(project_id, input).await {
                Ok(_) => {
                    cr_title.set(String::new());
                    cr_reason.set(String::new());
                    bump();
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    // Comparison: launch day against today by default.
    let from = RwSignal::new(launch_date.clone());
    let to = RwSignal::new(today);
    let comparison = crate::components::resource(move || (from.get(), to.get()), move |(f, t)| compare_scope(project_id, f, t));
    let item_options: Vec<(i64, String)> = items.iter().map(|i| (i.id, i.title.clone())).collect();
    let open_changes = change_requests.iter().filter(|c| c.status == ChangeStatus::Proposed).count();
    view! {
        <Title text=format!("Scope · {project_name}")/>
        <div class="page-head">
            <div>
                <p class="crumbs"><A href="/">"Projects"</A> " / " <A href=format!("/projects/{project_id}")>{project_name.clone()}</A></p>
                <h1>"Agreed scope"</h1>
                <p class="muted">"Keep track of what you agreed to build. Good fences make good neighbors."</p>
            </div>
        </div>
        <ProjectNav project_id current="scope"/>
        {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
        <section class="card">
            <h2>{format!("{} item(s)", items.len())}</h2>
            {items.is_empty().then(|| view! { <p class="muted">"Nothing recorded yet. Add what the contract or the client's e-mails say you will build."</p> })}
            <ul class="scope-list">
                {items.into_iter().map(|item| view! { <ScopeRow item error reload/> }).collect_view()}
            </ul>
            {(!deleted.is_empty()).then(|| view! {
                <details class="deleted-scope">
                    <summary>{format!("Deleted items ({})", deleted.len())}</summary>
                    <ul class="scope-list">
                        {deleted.into_iter().map(|item| view! { <DeletedScopeRow item error reload/> }).collect_view()}
                    </ul>
                </details>
            })}
            <form class="form inline-grid" on:submit=add>
                <h3>"Add an agreed item"</h3>
                <label>"Title" <input type="text" required bind:value=title placeholder="Product pages with size charts"/></label>
                <label>"Source" <input type="text" bind:value=source placeholder="Contract §3, e-mail from Ann of 2 May…"/></label>
                <label>"Agreed on" <input type="date" bind:value=agreed_on/></label>
                <label class="wide">"Description" <textarea rows="2" bind:value=description></textarea></label>
                <div class="actions"><button type="submit" class="primary">"Add to scope"</button></div>
            </form>
        </section>
        <section class="card">
            <h2>"Change requests" {(open_changes > 0).then(|| view! { " " <span class="badge">{format!("{open_changes} open")}</span> })}</h2>
            <ul class="change-list">
                {change_requests.into_iter().map(|c| {
                    let id = c.id;
                    let decider = RwSignal::new(String::new());
                    let decide = move |approve: bool| {
                        let d = Decision { approve, decided_by: decider.get_untracked(), note: String::new() };
                        leptos::task::spawn_local(async move {
                            match decide_change(id, d).await {
                                Ok(_) => bump(),
                                Err(e) => error.set(Some(error_text(&e))),
                            }
                        });
                    };
                    let (label, class) = match c.status {
                        ChangeStatus::Proposed => ("proposed", "chip"),
                        ChangeStatus::Approved => ("approved", "chip pass"),
                        ChangeStatus::Declined => ("declined", "chip fail"),
                    };
                    view! {
                        <li>
                            <span class=class>{label}</span> " " <strong>{c.title.clone()}</strong>
                            <div class="muted">{format!("Proposed by {} ({}) {} — why: {}", c.proposed_by, c.proposed_by_kind, fmt_time(c.proposed_at), c.reason)}</div>
                            {c.decided_by.clone().map(|d| view! { <div class="muted">{format!("Decided by {d} {}", c.decided_at.map(fmt_time).unwrap_or_default())}</div> })}
                            {(c.status == ChangeStatus::Proposed).then(|| view! {
                                <div class="inline-form">
                                    <label>"Client's name" <input type="text" bind:value=decider placeholder="Who decided"/></label>
                                    <button type="button" class="small" on:click=move |_| decide(true)>"Record approval"</button>
                                    <button type="button" class="small" on:click=move |_| decide(false)>"Record decline"</button>
                                </div>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <form class="form inline-grid" on:submit=propose>
                <h3>"Propose a change"</h3>
                <label>"What should change" <input type="text" required bind:value=cr_title/></label>
                <label>"Changes the item"
                    <select on:change=move |ev| cr_item.set(event_target_value(&ev))>
                        <option value="">"(a new item)"</option>
                        {item_options.into_iter().map(|(id, t)| view! { <option value=id.to_string()>{t}</option> }).collect_view()}
                    </select>
                </label>
                <label class="wide">"Why" <textarea rows="2" required bind:value=cr_reason></textarea></label>
                <div class="actions"><button type="submit">"Propose"</button></div>
            </form>
        </section>
        <section class="card">
            <h2>"Scope then and now"</h2>
            <div class="inline-form">
                <label>"From (end of day)" <input type="date" bind:value=from/></label>
                <label>"To (end of day)" <input type="date" bind:value=to/></label>
            </div>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match comparison.await {
                        Ok(c) => view! {
                            <p>
                                <span class="chip pass">{format!("{} added", c.added.len())}</span> " "
                                <span class="chip fail">{format!("{} removed", c.removed.len())}</span> " "
                                <span class="chip">{format!("{} changed", c.changed.len())}</span> " "
                                <span class="chip">{format!("{} unchanged", c.unchanged.len())}</span>
                            </p>
                            <ul>
                                {c.added.into_iter().map(|i| view! { <li>"Added: " <strong>{i.title}</strong></li> }).collect_view()}
                                {c.removed.into_iter().map(|i| view! { <li>"Not yet recorded then: " <strong>{i.title}</strong></li> }).collect_view()}
                                {c.changed.into_iter().map(|(a, b)| view! {
                                    <li>"Changed: " <strong>{b.title.clone()}</strong> " — " {a.status.label()} " → " {b.status.label()}
                                        {(a.title != b.title).then(|| format!(" (was \"{}\")", a.title))}</li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox message=error_text(&e)/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// After a change: the board reloads and the error clears, or the error is shown.
fn settle<T>(result: Result<T, ServerFnError>, error: RwSignal<Option<String>>, reload: RwSignal<u32>) {
    match result {
        Ok(_) => {
            error.set(None);
            reload.update(|n| *n += 1);
        }
        Err(e) => error.set(Some(error_text(&e))),
    }
}

/// An item's history, loaded when its disclosure opens.
#[component]
fn ScopeHistory(id: i64) -> impl IntoView {
    let show_history = RwSignal::new(false);
    let history = crate::components::resource(
        move || show_history.get(),
        move |open| async move {
            if open {
                scope_history(id).await
            } else {
                Ok(vec![])
            }
        },
    );
    view! {
        <details on:toggle=move |_| show_history.update(|o| *o = !*o)>
            <summary>"History"</summary>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    history.await.map(|h| view! {
                        <ol class="history">
                            {h.into_iter().map(|e| view! {
                                <li>{format!("{} — {} {} ", fmt_time(e.at), e.actor, e.action)} {status_chip(e.item.status)} " " {e.item.title}
                                    {(!e.note.is_empty()).then(|| format!(" — {}", e.note))}</li>
                            }).collect_view()}
                        </ol>
                    }).unwrap_or_else(|e| view! { <ol class="history"><li>{error_text(&e)}</li></ol> })
                })}
            </Transition>
        </details>
    }
}

#[component]
fn ScopeRow(item: ScopeItem, error: RwSignal<Option<String>>, reload: RwSignal<u32>) -> impl IntoView {
    let id = item.id;
    let project_id = item.project_id;
    let version = item.version;
    // What the row shows: the item, the edit form, or the delete confirmation.
    let mode = RwSignal::new("view");
    let (title, description, source, agreed_on, note) = (
        RwSignal::new(item.title.clone()),
        RwSignal::new(item.description.clone()),
        RwSignal::new(item.source.clone()),
        RwSignal::new(item.agreed_on.clone().unwrap_or_default()),
        RwSignal::new(String::new()),
    );
    let reason = RwSignal::new(String::new());
    let save = move |input: ScopeInput| {
        leptos::task::spawn_local(async move {
            settle(save_scope_item(project_id, Some(id), input).await, error, reload);
        });
    };
    let current = item.clone();
    let set_status = move |ev: leptos::ev::Event| {
        let Some(status) = ScopeStatus::parse(&event_target_value(&ev)) else { return };
        save(ScopeInput {
            title: current.title.clone(),
            description: current.description.clone(),
            source: current.source.clone(),
            agreed_on: current.agreed_on.clone(),
            status: Some(status),
            version: Some(current.version),
            note: String::new(),
        });
    };
    let status = item.status;
    let edit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save(ScopeInput {
            title: title.get_untracked(),
            description: description.get_untracked(),
            source: source.get_untracked(),
            agreed_on: Some(agreed_on.get_untracked()),
            status: Some(status),
            version: Some(version),
            note: note.get_untracked(),
        });
    };
    let delete = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let why = reason.get_untracked();
        leptos::task::spawn_local(async move {
            settle(delete_scope_item(id, version, why).await, error, reload);
        });
    };
    let t = item.title.clone();
    view! {
        <li class="scope-item">
            <div class="scope-head">
                <strong>{item.title.clone()}</strong> " " {status_chip(item.status)}
                <label class="sr-only" for=format!("status-{id}")>{format!("Status of {t}")}</label>
                <select id=format!("status-{id}") prop:value=item.status.as_str() on:change=set_status>
                    {ScopeStatus::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=s == status>{s.label()}</option> }).collect_view()}
                </select>
                <button class="small" aria-label=format!("Edit {t}") aria-expanded=move || (mode.get() == "edit").to_string()
                    on:click=move |_| mode.update(|m| *m = if *m == "edit" { "view" } else { "edit" })>"Edit"</button>
                <button class="small danger" aria-label=format!("Delete {t}") aria-expanded=move || (mode.get() == "delete").to_string()
                    on:click=move |_| mode.update(|m| *m = if *m == "delete" { "view" } else { "delete" })>"Delete"</button>
            </div>
            {(!item.description.is_empty()).then(|| view! { <p>{item.description.clone()}</p> })}
            <p class="muted small">
                {(!item.source.is_empty()).then(|| format!("Source: {} · ", item.source))}
                {item.agreed_on.clone().map(|d| format!("agreed {d} · "))}
                {format!("last change {}", fmt_time(item.updated_at))}
            </p>
            {move || match mode.get() {
                "edit" => view! {
                    <form class="form inline-grid" on:submit=edit>
                        <h3>"Edit the item"</h3>
                        <label>"Title" <input type="text" required maxlength="300" bind:value=title/></label>
                        <label>"Source" <input type="text" maxlength="300" bind:value=source/></label>
                        <label>"Agreed on" <input type="date" bind:value=agreed_on/></label>
                        <label class="wide">"Description" <textarea rows="3" bind:value=description></textarea></label>
                        <label class="wide">"Why it changed (kept in the history)" <input type="text" maxlength="2000" bind:value=note placeholder="e.g. Client's e-mail of 3 June"/></label>
                        <div class="actions toolbar">
                            <button type="submit" class="primary">"Save changes"</button>
                            <button type="button" on:click=move |_| mode.set("view")>"Cancel"</button>
                        </div>
                    </form>
                }.into_any(),
                "delete" => view! {
                    <form class="form inline-grid confirm" on:submit=delete>
                        <p class="wide"><strong>"Delete this item from the scope?"</strong> " It leaves the register but keeps its history; the scope on earlier dates still shows it, and you can restore it."</p>
                        <label class="wide">"Why (kept in the history)" <input type="text" maxlength="2000" bind:value=reason placeholder="e.g. Dropped in the call of 4 June"/></label>
                        <div class="actions toolbar">
                            <button type="submit" class="danger">"Delete the item"</button>
                            <button type="button" on:click=move |_| mode.set("view")>"Keep it"</button>
                        </div>
                    </form>
                }.into_any(),
                _ => ().into_any(),
            }}
            <ScopeHistory id/>
        </li>
    }
}

/// A deleted item: who deleted it and when, its history, and a way back.
#[component]
fn DeletedScopeRow(item: ScopeItem, error: RwSignal<Option<String>>, reload: RwSignal<u32>) -> impl IntoView {
    let id = item.id;
    let restore = move |_| {
        leptos::task::spawn_local(async move {
            settle(restore_scope_item(id).await, error, reload);
        });
    };
    view! {
        <li class="scope-item">
            <div class="scope-head">
                <strong>{item.title.clone()}</strong> " " {status_chip(item.status)}
                <button class="small" aria-label=format!("Restore {}", item.title) on:click=restore>"Restore"</button>
            </div>
            <p class="muted small">{format!("Deleted by {} {}", item.deleted_by.clone().unwrap_or_default(), item.deleted_at.map(fmt_time).unwrap_or_default())}</p>
            <ScopeHistory id/>
        </li>
    }
}

#[component]
pub fn TrainingPage() -> impl IntoView {
    let id = project_id();
    let reload = RwSignal::new(0u32);
    let data = crate::components::resource(move || (id(), reload.get()), |(id, _)| get_training(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the training notes…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((name, notes)) => view! { <TrainingBoard project_id=id() project_name=name notes reload/> }.into_any(),
                    Err(e) => view! { <Title text="Training"/> <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TrainingBoard(project_id: i64, project_name: String, notes: Vec<TrainingNote>, reload: RwSignal<u32>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    view! {
        <Title text=format!("Training · {project_name}")/>
        <div class="page-head">
            <div>
                <p class="crumbs"><A href="/">"Projects"</A> " / " <A href=format!("/projects/{project_id}")>{project_name.clone()}</A></p>
                <h1>"Training notes"</h1>
                <p class="muted">"Not everyone groks abstractions, explain how to do things. Client-visible notes appear on the client's share page."</p>
            </div>
        </div>
        <ProjectNav project_id current="training"/>
        {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
        {notes.into_iter().map(|n| view! { <NoteEditor project_id note=Some(n) error reload/> }).collect_view()}
        <NoteEditor project_id note=None error reload/>
    }
}

#[component]
fn NoteEditor(project_id: i64, note: Option<TrainingNote>, error: RwSignal<Option<String>>, reload: RwSignal<u32>) -> impl IntoView {
    let id = note.as_ref().map(|n| n.id);
    let version = note.as_ref().map(|n| n.version);
    let editing = RwSignal::new(note.is_none());
    let title = RwSignal::new(note.as_ref().map(|n| n.title.clone()).unwrap_or_default());
    let body = RwSignal::new(note.as_ref().map(|n| n.body.clone()).unwrap_or_default());
    let visible = RwSignal::new(note.as_ref().is_some_and(|n| n.client_visible));
    let html = RwSignal::new(note.as_ref().map(|n| n.html.clone()).unwrap_or_default());
    let preview = move |_| {
        leptos::task::spawn_local(async move {
            match preview_markdown(body.get_untracked()).await {
                Ok(h) => html.set(h),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = TrainingInput { title: title.get_untracked(), body: body.get_untracked(), client_visible: visible.get_untracked(), version };
        leptos::task::spawn_local(async move {
            match save_training(project_id, id, input).await {
                Ok(_) => {
                    if id.is_none() {
                        title.set(String::new());
                        body.set(String::new());
                    }
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let remove = move |_| {
        let Some(id) = id else { return };
        leptos::task::spawn_local(async move {
            match delete_training(id).await {
                Ok(()) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    view! {
        <section class="card training-note">
            {move || (!editing.get()).then(|| view! {
                <div class="page-head">
                    <h2>{title.get()} " " <span class=if visible.get() { "chip pass" } else { "chip" }>{if visible.get() { "client-visible" } else { "team only" }}</span></h2>
                    <div class="actions"><button type="button" class="small" on:click=move |_| editing.set(true)>"Edit"</button></div>
                </div>
                <div class="prose" inner_html=html.get()></div>
            })}
            {move || editing.get().then(|| view! {
                <form class="form" on:submit=save>
                    <h2>{if id.is_some() { "Edit note" } else { "New note" }}</h2>
                    <label>"Title" <input type="text" required bind:value=title/></label>
                    <label>"Text (Markdown)" <textarea rows="12" bind:value=body></textarea></label>
                    <label class="check"><input type="checkbox" bind:checked=visible/> "The client may see this note"</label>
                    <div class="actions">
                        <button type="submit" class="primary">{if id.is_some() { "Save note" } else { "Add note" }}</button>
                        <button type="button" on:click=preview>"Preview"</button>
                        {id.map(|_| view! { <button type="button" class="link danger" on:click=remove>"Delete"</button> })}
                    </div>
                    <div class="prose preview" inner_html=move || html.get()></div>
                </form>
            })}
        </section>
    }
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let id = project_id();
    let kind = RwSignal::new(String::new());
    let actor = RwSignal::new(String::new());
    let data = crate::components::resource(move || (id(), kind.get(), actor.get()), |(id, k, a)| get_activity(id, Some(k), Some(a)));
    let nav_id = use_params_map().with_untracked(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    view! {
        <Title text="Activity"/>
        <div class="page-head"><div><h1>"Activity"</h1><p class="muted">"Who did what and when on this project."</p></div></div>
        <ProjectNav project_id=nav_id current="activity"/>
        <section class="card filters" aria-label="Filter the activity">
            <label>"Kind"
                <select prop:value=move || kind.get() on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="">"Everything"</option>
                    {crate::model::ACTIVITY_KINDS.iter().map(|k| view! { <option value=*k>{*k}</option> }).collect_view()}
                </select>
            </label>
            <label>"Person" <input type="search" placeholder="Name" bind:value=actor/></label>
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading the activity…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((name, entries)) => view! {
                        <section class="card" aria-label=format!("Activity of {name}")>
                            <ul class="activity">
                                {entries.is_empty().then(|| view! { <li class="muted">"Nothing matches."</li> })}
                                {entries.into_iter().map(|e| view! {
                                    <li><span class="muted">{fmt_time(e.at)}</span> " " <span class="chip">{e.kind}</span> " " <strong>{e.actor}</strong> " " {e.summary}</li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
