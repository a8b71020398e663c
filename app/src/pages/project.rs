//! A project's page: its summary and the shared launch checklist — grouped by phase, with
//! progress, filters, ticking, not-applicable reasons, assignees, notes, history, custom
//! items, and live updates from everyone else viewing it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use crate::components::{fmt_time, relative_days, ErrorBox, LoadError, Progress};
use crate::model::{
    CheckEvidence, CheckStatus, ChecklistItem, ChecklistView, DeployRecorded, Environment, EvidenceFrom, ItemChange, ItemState, NewDeploy, NewItem, RunSummary,
    SignalEvidence, UpdateOutcome, UserInfo,
};
use crate::phases::PHASES;
use crate::server_fns::{
    add_item, bulk_update_phase, delete_project, error_text, get_checklist, item_history, record_deploy, replan_checklist, set_project_archived, start_run,
    update_item,
};

#[component]
pub fn ProjectPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let data = crate::components::resource(id, get_checklist);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading the checklist…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Board data=view/> }.into_any(),
                    Err(e) => view! { <Title text="Project"/> <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Filter settings of the checklist.
#[derive(Clone, Copy)]
struct Filters {
    phase: RwSignal<String>,
    status: RwSignal<String>,
    assignee: RwSignal<String>,
    overdue: RwSignal<bool>,
    text: RwSignal<String>,
}

impl Filters {
    fn matches(&self, it: &ChecklistItem) -> bool {
        let phase = self.phase.get();
        let status = self.status.get();
        let assignee = self.assignee.get();
        let text = self.text.get().to_lowercase();
        (phase.is_empty() || it.phase == phase)
            && (status.is_empty() || it.state.as_str() == status)
            && match assignee.as_str() {
                "" => true,
                "none" => it.assignee_id.is_none(),
                id => it.assignee_id.map(|a| a.to_string()).as_deref() == Some(id),
            }
            && (!self.overdue.get() || it.overdue)
            && (text.is_empty() || it.title.to_lowercase().contains(&text) || it.notes.to_lowercase().contains(&text))
    }

    fn active(&self) -> bool {
        !self.phase.get().is_empty() || !self.status.get().is_empty() || !self.assignee.get().is_empty() || self.overdue.get() || !self.text.get().is_empty()
    }

    fn clear(&self) {
        self.phase.set(String::new());
        self.status.set(String::new());
        self.assignee.set(String::new());
        self.overdue.set(false);
        self.text.set(String::new());
    }
}

/// Puts a newer copy of an item into the list (or adds a new item). Older copies, e.g. an
/// event that arrives after our own update's answer, are ignored.
fn apply_item(items: RwSignal<Vec<ChecklistItem>>, it: ChecklistItem) {
    items.update(|v| match v.iter_mut().find(|x| x.id == it.id) {
        Some(x) if it.version >= x.version => *x = it,
        Some(_) => {}
        None => v.push(it),
    });
}

#[component]
fn Board(data: ChecklistView) -> impl IntoView {
    let ChecklistView { project, items, members, today, runs, catalogue } = data;
    let project_id = project.id;
    let items = RwSignal::new(items);
    let runs = RwSignal::new(runs);
    let members = StoredValue::new(members);
    let live = RwSignal::new(false);
    let filters = Filters {
        phase: RwSignal::new(String::new()),
        status: RwSignal::new(String::new()),
        assignee: RwSignal::new(String::new()),
        overdue: RwSignal::new(false),
        text: RwSignal::new(String::new()),
    };

    // Live updates: only in the browser. A reconnect reloads everything we may have missed.
    #[cfg(feature = "hydrate")]
    {
        let sub = crate::live::subscribe(
            project_id,
            move |update| match update {
                crate::model::LiveUpdate::Item { item } => apply_item(items, item),
                crate::model::LiveUpdate::Run { run } => {
                    let finished = run.status.is_finished();
                    apply_run(runs, run);
                    if finished {
                        // New evidence for the checklist items.
                        leptos::task::spawn_local(async move {
                            if let Ok(fresh) = get_checklist(project_id).await {
                                items.set(fresh.items);
                            }
                        });
                    }
                }
                // Client reviews show on the run pages; notifications on the bell.
                crate::model::LiveUpdate::Review { .. } | crate::model::LiveUpdate::Notification { .. } => {}
            },
            move |ok| live.set(ok),
            move |_| {
                leptos::task::spawn_local(async move {
                    if let Ok(fresh) = get_checklist(project_id).await {
                        for it in fresh.items {
                            apply_item(items, it);
                        }
                        runs.set(fresh.runs);
                    }
                })
            },
        );
        let sub = StoredValue::new_local(sub);
        on_cleanup(move || sub.update_value(|s| drop(s.take())));
    }

    let total = Memo::new(move |_| items.with(|v| v.len() as i64));
    let settled = Memo::new(move |_| items.with(|v| v.iter().filter(|i| i.state.is_settled()).count() as i64));
    let overdue = Memo::new(move |_| items.with(|v| v.iter().filter(|i| i.overdue).count() as i64));
    // Re-planning a late start, confirmed first.
    let replanning = RwSignal::new(false);
    let replan_note = RwSignal::new(None::<(bool, String)>);
    let replan = move |_| {
        leptos::task::spawn_local(async move {
            match replan_checklist(project_id).await {
                Ok(moved) => {
                    let n = moved.len();
                    items.update(|v| {
                        for m in moved {
                            if let Some(i) = v.iter_mut().find(|i| i.id == m.id) {
                                *i = m;
                            }
                        }
                    });
                    replan_note.set(Some((true, format!("{n} item(s) re-planned from today to the day before launch."))));
                }
                Err(e) => replan_note.set(Some((false, error_text(&e)))),
            }
            replanning.set(false);
        });
    };
    // j / k move between the checklist's items, x ticks or unticks the focused one.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| checklist_key(&ev));
    on_cleanup(move || {
        keys.remove();
        forget_key_position();
    });
    let countdown = relative_days(&project.launch_date, &today);
    let archived = RwSignal::new(project.archived);
    let archive_error = RwSignal::new(None::<String>);
    let toggle_archive = move |_| {
        let to = !archived.get_untracked();
        leptos::task::spawn_local(async move {
            match set_project_archived(project_id, to).await {
                Ok(()) => archived.set(to),
                Err(e) => archive_error.set(Some(error_text(&e))),
            }
        });
    };

    let confirm_delete = RwSignal::new(false);
    let navigate = leptos_router::hooks::use_navigate();
    let delete = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match delete_project(project_id).await {
                Ok(o) if o.deleted => navigate("/", Default::default()),
                Ok(o) => {
                    confirm_delete.set(false);
                    archived.set(o.archived);
                    archive_error.set(Some(o.message));
                }
                Err(e) => archive_error.set(Some(error_text(&e))),
            }
        });
    };

    view! {
        <Title text=project.name.clone()/>
        <div class="page-head">
            <div>
                <p class="crumbs"><A href="/">"Projects"</A></p>
                <h1>{project.name.clone()}</h1>
                <p class="muted">
                    {(!project.client.is_empty()).then(|| format!("for {} · ", project.client))}
                    "Launch " <strong>{project.launch_date.clone()} {project.launch_time.clone().map(|t| format!(" {t}"))}</strong>
                    " (" {countdown} ")"
                    {move || archived.get().then(|| view! { <span class="badge">"archived"</span> })}
                </p>
            </div>
            <div class="actions">
                // On a phone only the dot shows (the words are still read out): its width must not
                // change when it connects, or the buttons beside it would move.
                <span class="live" class:on=move || live.get() title="Changes by others appear here as they happen">
                    <span aria-hidden="true">{move || if live.get() { "●" } else { "○" }}</span>
                    " "
                    <span class="live-text">{move || if live.get() { "Live" } else { "Connecting…" }}</span>
                </span>
                <details class="downloads">
                    <summary class="button">"Hand over"</summary>
                    <ul>
                        <li><a href=format!("/projects/{project_id}/report") target="_blank" rel="noopener">"Launch report (HTML)"</a></li>
                        <li><a href=format!("/projects/{project_id}/report.pdf") target="_blank" rel="noopener">"Launch report (PDF)"</a></li>
                        <li><a href=format!("/projects/{project_id}/export/checklist.csv") download="">"Checklist (CSV)"</a></li>
                    </ul>
                </details>
                <A href=format!("/projects/{project_id}/edit") attr:class="button" attr:aria-label="Edit project">"Edit"</A>
                // Rarely wanted, never next to the everyday buttons.
                <details class="downloads more">
                    <summary class="button">"More"</summary>
                    <ul>
                        <li><button type="button" on:click=toggle_archive>{move || if archived.get() { "Unarchive the project" } else { "Archive the project" }}</button></li>
                        <li>{move || if confirm_delete.get() {
                            view! {
                                <span class="confirm-delete" role="group" aria-label="Confirm deletion">
                                    "Delete everything in this project? "
                                    <button type="button" class="danger" on:click=delete.clone()>"Delete for good"</button>
                                    <button type="button" on:click=move |_| confirm_delete.set(false)>"Keep it"</button>
                                </span>
                            }.into_any()
                        } else {
                            view! { <button type="button" class="danger" on:click=move |_| confirm_delete.set(true)>"Delete the project…"</button> }.into_any()
                        }}</li>
                    </ul>
                </details>
            </div>
        </div>
        {move || archive_error.get().map(|m| view! { <ErrorBox message=m/> })}
        <crate::pages::scope::ProjectNav project_id current="checklist"/>
        <section class="card overall" aria-label="Overall progress">
            <div class="overall-head">
                <h2>"Launch checklist"</h2>
                <Progress done=settled total=total label="Overall progress"/>
            </div>
            <p class="hint">
                {move || match overdue.get() { 0 => "Nothing overdue.".to_string(), n => format!("{n} item(s) overdue.") }}
                " Template version " {project.template_version.map(|v| v.to_string()).unwrap_or_else(|| "—".into())} ". "
                <span class="keys-hint">"Keys: " <kbd>"j"</kbd> " / " <kbd>"k"</kbd> " next / previous item, " <kbd>"x"</kbd> " tick or untick it, " <kbd>"o"</kbd> " open or close its details."</span>
            </p>
            {move || (overdue.get() > 0).then(|| if replanning.get() {
                view! {
                    <div class="confirm" role="group" aria-label="Confirm re-planning">
                        <p>{format!("Give the {} overdue item(s) new due dates, spread from today to the day before launch in their order? Each change is in the item's history.", overdue.get())}</p>
                        <div class="chips">
                            <button type="button" class="primary" on:click=replan>"Re-plan"</button>
                            <button type="button" on:click=move |_| replanning.set(false)>"Cancel"</button>
                        </div>
                    </div>
                }.into_any()
            } else {
                view! { <button type="button" class="small" on:click=move |_| replanning.set(true)>"Re-plan from today…"</button> }.into_any()
            })}
            {move || replan_note.get().map(|(ok, m)| if ok {
                view! { <p class="alert ok" role="status">{m}</p> }.into_any()
            } else {
                view! { <ErrorBox message=m/> }.into_any()
            })}
        </section>
        <RunsPanel project_id environments=project.environments.clone() runs items/>
        <FilterBar filters members=members.get_value()/>
        <div class="phases">
            {PHASES.iter().map(|phase| {
                let key = phase.key;
                let all = Memo::new(move |_| items.with(|v| {
                    let mine: Vec<_> = v.iter().filter(|i| i.phase == key).collect();
                    (mine.iter().filter(|i| i.state.is_settled()).count() as i64, mine.len() as i64)
                }));
                let visible = Memo::new(move |_| items.with(|v| v.iter().filter(|i| i.phase == key && filters.matches(i)).map(|i| i.id).collect::<Vec<_>>()));
                view! {
                    <Show when=move || !visible.with(Vec::is_empty)>
                        <section class="phase card" aria-labelledby=format!("phase-{key}")>
                            <div class="phase-head">
                                <h3 id=format!("phase-{key}")>{phase.title}</h3>
                                <Progress done=Signal::derive(move || all.get().0) total=Signal::derive(move || all.get().1) label=format!("{} progress", phase.title)/>
                                <PhaseBulk project_id=project.id phase=key title=phase.title items members/>
                            </div>
                            <ul class="items" role="list">
                                <For each=move || visible.get() key=|id| *id let:id>
                                    <ItemRow id items members/>
                                </For>
                            </ul>
                        </section>
                    </Show>
                }
            }).collect_view()}
            <Show when=move || filters.active() && PHASES.iter().all(|p| items.with(|v| !v.iter().any(|i| i.phase == p.key && filters.matches(i))))>
                <p class="card muted">"No items match these filters. " <button type="button" class="link" on:click=move |_| filters.clear()>"Clear filters"</button></p>
            </Show>
        </div>
        <AddItem project_id items catalogue/>
    }
}

/// Bulk actions for a phase's open items: assign them all, or mark them all not applicable.
#[component]
fn PhaseBulk(
    project_id: i64,
    phase: &'static str,
    title: &'static str,
    items: RwSignal<Vec<ChecklistItem>>,
    members: StoredValue<Vec<UserInfo>>,
) -> impl IntoView {
    let open = Memo::new(move |_| items.with(|v| v.iter().filter(|i| i.phase == phase && i.state == ItemState::Todo).count()));
    let assignee = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let note = RwSignal::new(None::<(bool, String)>);
    let busy = RwSignal::new(false);
    let apply = move |change: ItemChange, done: &'static str| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match bulk_update_phase(project_id, phase.to_string(), change).await {
                Ok(changed) => {
                    let n = changed.len();
                    for it in changed {
                        apply_item(items, it);
                    }
                    reason.set(String::new());
                    note.set(Some((true, format!("{n} item(s) of {title} {done}."))));
                }
                Err(e) => note.set(Some((false, error_text(&e)))),
            }
            busy.set(false);
        });
    };
    let assign = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let choice = assignee.get_untracked();
        if choice.is_empty() {
            note.set(Some((false, "Choose who gets the open items (or Nobody, to unassign them).".into())));
            return;
        }
        let user_id = choice.parse().ok();
        apply(ItemChange::Assign { user_id }, if user_id.is_some() { "assigned" } else { "unassigned" });
    };
    let not_applicable = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        apply(ItemChange::SetState { state: ItemState::NotApplicable, reason: reason.get_untracked() }, "marked not applicable");
    };
    view! {
        <details class="bulk">
            <summary>{move || format!("Change all {} open items…", open.get())}</summary>
            <div class="bulk-body">
                <form class="inline-form" on:submit=assign>
                    <label>{format!("Assign the open items of {title} to")}
                        <select on:change=move |ev| assignee.set(event_target_value(&ev)) prop:value=move || assignee.get()>
                            <option value="">"Choose…"</option>
                            <option value="nobody">"Nobody (unassign them)"</option>
                            {members.get_value().into_iter().map(|m| view! { <option value=m.id.to_string()>{m.name}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="small primary" disabled=move || busy.get() || open.get() == 0>"Assign"</button>
                </form>
                <form class="inline-form" on:submit=not_applicable>
                    <label>"Mark them not applicable, because" <input type="text" required maxlength="2000" bind:value=reason placeholder="e.g. No shop on this site"/></label>
                    <button type="submit" class="small" disabled=move || busy.get() || open.get() == 0>"Mark not applicable"</button>
                </form>
                {move || note.get().map(|(ok, m)| if ok {
                    view! { <p class="alert ok" role="status">{m}</p> }.into_any()
                } else {
                    view! { <ErrorBox message=m/> }.into_any()
                })}
            </div>
        </details>
    }
}

/// Puts a newer state of a run into the list (newest first).
fn apply_run(runs: RwSignal<Vec<RunSummary>>, run: RunSummary) {
    runs.update(|v| match v.iter_mut().find(|r| r.id == run.id) {
        // A late answer ("queued") must not undo a live update that already said "finished".
        Some(r) if r.status.is_finished() && !run.status.is_finished() => {}
        Some(r) => *r = run,
        None => {
            v.insert(0, run);
            v.truncate(5);
        }
    });
}

/// Starting check runs and watching them progress.
#[component]
fn RunsPanel(project_id: i64, environments: Vec<Environment>, runs: RwSignal<Vec<RunSummary>>, items: RwSignal<Vec<ChecklistItem>>) -> impl IntoView {
    let first =
        environments.iter().find(|e| e.kind.map(|k| k.as_str()) == Some("production")).or(environments.first()).map(|e| e.name.clone()).unwrap_or_default();
    let env = RwSignal::new(first);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let has_envs = !environments.is_empty();
    let start = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match start_run(project_id, env.get_untracked()).await {
                Ok(run) => {
                    apply_run(runs, run);
                    error.set(None);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
            busy.set(false);
        });
    };
    let notice = RwSignal::new(None::<String>);
    let deployed = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let environment = env.get_untracked();
            let new = NewDeploy { environment: environment.clone(), revision: String::new(), note: String::new(), start_run: true };
            match record_deploy(project_id, new).await {
                Ok(DeployRecorded { deploy: d, run }) => {
                    error.set(None);
                    let started = run.as_ref().map(|r| format!(" Check run #{} started.", r.id)).unwrap_or_default();
                    notice.set(Some(format!(
                        "Deploy to {} recorded at {}: earlier check results for it are now stale.{started}",
                        d.environment,
                        fmt_time(d.at)
                    )));
                    if let Some(run) = run {
                        apply_run(runs, run);
                    }
                    if let Ok(fresh) = get_checklist(project_id).await {
                        items.set(fresh.items);
                    }
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card runs" aria-labelledby="runs-title">
            <div class="runs-head">
                <h2 id="runs-title">"Automated checks"</h2>
                {if has_envs {
                    view! {
                        <div class="inline-form">
                            <label>"Environment"
                                <select prop:value=move || env.get() on:change=move |ev| env.set(event_target_value(&ev))>
                                    {environments.iter().map(|e| view! { <option value=e.name.clone()>{format!("{} — {}", e.name, e.base_url)}</option> }).collect_view()}
                                </select>
                            </label>
                            <button type="button" class="primary" on:click=start disabled=move || busy.get()>"Run checks"</button>
                            <button type="button" class="deploy" on:click=deployed disabled=move || busy.get()
                                title="Record that this environment was just deployed and check it: check results from before become stale">"Just deployed"</button>
                        </div>
                    }.into_any()
                } else {
                    view! { <p class="muted">"Add an environment with its URL (" <A href=format!("/projects/{project_id}/edit")>"Edit project"</A> ") to run checks."</p> }.into_any()
                }}
            </div>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
            {move || notice.get().map(|m| view! { <p class="alert ok" role="status">{m}</p> })}
            <ul class="run-list" role="list">
                <For each=move || runs.get() key=|r| (r.id, r.status, r.progress_done, r.progress_phase.clone()) let:run>
                    <RunRow run/>
                </For>
            </ul>
            <Show when=move || runs.with(Vec::is_empty)>
                <p class="hint">"No check runs yet. A run crawls the site and checks it against the launch advice; its results become evidence on the items below."</p>
            </Show>
        </section>
    }
}

#[component]
fn RunRow(run: RunSummary) -> impl IntoView {
    let (badge, label) = (run.badge_class(), run.label.clone());
    let active = !run.status.is_finished();
    let when = fmt_time(run.finished_at.or(run.started_at).unwrap_or(run.created_at));
    view! {
        <li class="run-row">
            <a href=format!("/runs/{}", run.id)>{format!("Run #{}", run.id)}</a>
            <span class=badge>{label}</span>
            <span>{run.environment.clone()}</span>
            <span class="muted">{when}</span>
            {run.origin().map(|o| view! { <span class="chip origin">{o}</span> })}
            {if active {
                let label = format!("Run {} progress", run.id);
                view! {
                    <span class="run-progress">
                        <Progress done=run.progress_done total=run.progress_total.max(1) label/>
                        <span class="muted">{if run.progress_phase.is_empty() { "waiting for a free slot".to_string() } else { run.progress_phase.clone() }}</span>
                    </span>
                }.into_any()
            } else {
                view! {
                    <span class="counts">
                        {format!("{} error(s), {} warning(s), {} page(s)", run.errors, run.warnings, run.pages_crawled)}
                        {(!run.error.is_empty()).then(|| view! { <span class="muted">" · " {run.error.clone()}</span> })}
                    </span>
                }.into_any()
            }}
        </li>
    }
}

#[component]
fn FilterBar(filters: Filters, members: Vec<UserInfo>) -> impl IntoView {
    view! {
        <form class="filters card" role="search" aria-label="Filter the checklist" on:submit=|ev| ev.prevent_default()>
            <label>"Phase"
                <select prop:value=move || filters.phase.get() on:change=move |ev| filters.phase.set(event_target_value(&ev))>
                    <option value="">"All phases"</option>
                    {PHASES.iter().map(|p| view! { <option value=p.key>{p.title}</option> }).collect_view()}
                </select>
            </label>
            <label>"Status"
                <select prop:value=move || filters.status.get() on:change=move |ev| filters.status.set(event_target_value(&ev))>
                    <option value="">"Any status"</option>
                    <option value="todo">"To do"</option>
                    <option value="done">"Done"</option>
                    <option value="not_applicable">"Not applicable"</option>
                </select>
            </label>
            <label>"Assignee"
                <select prop:value=move || filters.assignee.get() on:change=move |ev| filters.assignee.set(event_target_value(&ev))>
                    <option value="">"Anyone"</option>
                    <option value="none">"Unassigned"</option>
                    {members.into_iter().map(|m| view! { <option value=m.id.to_string()>{m.name}</option> }).collect_view()}
                </select>
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || filters.overdue.get() on:change=move |ev| filters.overdue.set(event_target_checked(&ev))/>
                "Overdue only"
            </label>
            <label>"Search" <input type="search" placeholder="Title or notes" bind:value=filters.text/></label>
        </form>
    }
}

#[component]
fn ItemRow(id: i64, items: RwSignal<Vec<ChecklistItem>>, members: StoredValue<Vec<UserInfo>>) -> impl IntoView {
    let item = Memo::new(move |_| items.with(|v| v.iter().find(|i| i.id == id).cloned()));
    let get = move || item.get().expect("item rows exist only for items in the list");
    let message = RwSignal::new(None::<(bool, String)>);
    let na_open = RwSignal::new(false);
    let na_reason = RwSignal::new(String::new());
    let notes_open = RwSignal::new(false);
    let notes_draft = RwSignal::new(String::new());
    let history = RwSignal::new(None::<Vec<crate::model::ItemEvent>>);
    let busy = RwSignal::new(false);
    // The row shows one line; assignee, evidence, notes and actions open below it.
    let open = RwSignal::new(false);

    let send = move |change: ItemChange| {
        let Some(it) = item.get_untracked() else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match update_item(it.id, it.version, change).await {
                Ok(UpdateOutcome::Updated { item }) => {
                    apply_item(items, item);
                    message.set(None);
                    na_open.set(false);
                    notes_open.set(false);
                }
                Ok(UpdateOutcome::Conflict { current }) => {
                    let who = current.updated_by.clone().unwrap_or_else(|| "Someone".into());
                    message.set(Some((
                        true,
                        format!(
                            "{who} changed this item at {} before your change arrived, so yours was not saved. \
                         The item now shows their version; make your change again if it is still needed.",
                            fmt_time(current.updated_at)
                        ),
                    )));
                    apply_item(items, current);
                }
                Err(e) => message.set(Some((true, error_text(&e)))),
            }
            busy.set(false);
            if history.get_untracked().is_some() {
                history.set(item_history(id).await.ok());
            }
        });
    };

    let toggle_done = move |ev: leptos::ev::Event| {
        let state = if event_target_checked(&ev) { ItemState::Done } else { ItemState::Todo };
        send(ItemChange::SetState { state, reason: String::new() });
    };
    let open_notes = move |_| {
        notes_draft.set(item.get_untracked().map(|i| i.notes).unwrap_or_default());
        notes_open.update(|o| *o = !*o);
    };
    let toggle_history = move |_| {
        if history.get_untracked().is_some() {
            history.set(None);
        } else {
            leptos::task::spawn_local(async move { history.set(Some(item_history(id).await.unwrap_or_default())) });
        }
    };
    let check_id = format!("item-{id}");
    let details_id = format!("item-details-{id}");

    view! {
        <li class="item" class:done=move || get().state == ItemState::Done class:na=move || get().state == ItemState::NotApplicable
            class:overdue=move || get().overdue data-item-id=id data-key=move || get().template_key.unwrap_or_default()>
            <div class="item-main">
                <input type="checkbox" id=check_id.clone() prop:checked=move || get().state == ItemState::Done
                    disabled=move || busy.get() on:change=toggle_done/>
                <label for=check_id class="item-title">{move || get().title}</label>
                <span class="due" class:late=move || get().overdue title=move || format!("Due {}", get().due)>
                    {move || get().due_label} " · " {move || get().due}
                    {move || get().overdue.then(|| view! { <strong>" · overdue"</strong> })}
                </span>
                <button type="button" class="small details-toggle" aria-controls=details_id.clone() aria-expanded=move || open.get().to_string()
                    aria-label=move || format!("Details of {}", get().title) on:click=move |_| open.update(|o| *o = !*o)>
                    "Details"
                </button>
            </div>
            <p class="item-summary">{move || summary_chips(&get())}</p>
            {move || message.get().map(|(_, m)| view! { <div class="alert warn" role="alert">{m}</div> })}
            // Rendered only while open: 88 rows of assignee lists, evidence and actions made
            // the page heavy to load and hydrate.
            <div class="item-details" id=details_id hidden=move || !open.get()>
            <Show when=move || open.get()>
            <div class="item-meta">
                {move || {
                    let it = get();
                    match (it.state, it.state_changed_by, it.state_changed_at) {
                        (ItemState::Done, Some(who), Some(at)) => format!("Done by {who}, {}", fmt_time(at)),
                        (ItemState::NotApplicable, who, at) => format!(
                            "Not applicable{}: {}", who.map(|w| format!(" (by {w}, {})", at.map(fmt_time).unwrap_or_default())).unwrap_or_default(), it.na_reason),
                        _ => String::new(),
                    }
                }}
                <label class="assign">"Assignee "
                    <select prop:value=move || get().assignee_id.map(|a| a.to_string()).unwrap_or_default()
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            send(ItemChange::Assign { user_id: v.parse().ok() });
                        }>
                        <option value="">"Nobody"</option>
                        {members.get_value().into_iter().map(|m| view! { <option value=m.id.to_string()>{m.name}</option> }).collect_view()}
                    </select>
                </label>
                // The checks an item names, until evidence shows them with their outcomes.
                {move || (!get().checks.is_empty() && get().evidence.is_empty()).then(|| view! {
                    <span class="checks" title="Automated checks that provide evidence for this item">
                        {get().checks.into_iter().map(|c| view! { <code class="chip">{c}</code> }).collect_view()}
                    </span>
                })}
            </div>
            {move || {
                let it = get();
                (!it.checks.is_empty() || !it.signals.is_empty()).then(|| {
                    let from = it.evidence_from.label();
                    view! {
                        <div class="evidence" class:regression=it.regression>
                            {it.regression.then(|| view! { <strong class="badge danger">"Regression: ticked, but its checks now fail"</strong> })}
                            {it.evidence_missing.map(|m| view! {
                                <p class="evidence-run"><span class="chip na">"not checked"</span> " " <span class="muted">{format!("Evidence from {from}: {m}.")}</span></p>
                            })}
                            {group_by_run(it.evidence).into_iter().map(|group| {
                                let first = group[0].clone();
                                // One reason for every check not looked at ("site unreachable"): say it once.
                                let mut reasons: Vec<&str> =
                                    group.iter().filter(|e| matches!(e.status, CheckStatus::NotApplicable | CheckStatus::Skipped)).map(|e| e.reason.as_str()).collect();
                                reasons.dedup();
                                let shared = (reasons.len() == 1 && group.iter().filter(|e| !e.passed && e.status != CheckStatus::Failed).count() > 1)
                                    .then(|| reasons[0].to_string());
                                let per_chip = shared.is_none();
                                view! {
                                    <p class="evidence-run" class:stale=first.stale.is_some()>
                                        <span class="muted">"From "</span>
                                        <a href=format!("/runs/{}", first.run_id)>{format!("run #{} on {} ({})", first.run_id, first.environment, fmt_time(first.finished_at))}</a>
                                        {first.after_deploy.clone().map(|d| view! { <span class="muted">{format!(" after deploy {d}")}</span> })}
                                        {first.stale.clone().map(|why| view! { " " <span class="chip stale" title="A pass from this run no longer counts for the one-click tick">{format!("stale: {why}")}</span> })}
                                        ": "
                                        {group.into_iter().map(|e| evidence_chip(e, per_chip)).collect_view()}
                                        {shared.map(|why| view! { <span class="muted small reason">{format!("(not checked: {why})")}</span> })}
                                    </p>
                                }
                            }).collect_view()}
                            {(!it.signal_evidence.is_empty()).then(|| view! {
                                <p class="evidence-run signals">
                                    <span class="muted">"From Preflight: "</span>
                                    {it.signal_evidence.into_iter().map(signal_chip).collect_view()}
                                </p>
                            })}
                            {(it.evidence_passed && it.state == ItemState::Todo).then(|| view! {
                                <button type="button" class="small" on:click=move |_| send(ItemChange::SetState { state: ItemState::Done, reason: String::new() })>
                                    "Tick — checks passed"
                                </button>
                            })}
                        </div>
                    }
                })
            }}
            <div class="item-actions">
                <details class="why">
                    <summary>"Why"</summary>
                    <p>{move || get().why}</p>
                </details>
                {move || match get().state {
                    ItemState::NotApplicable => view! {
                        <button type="button" class="link" on:click=move |_| send(ItemChange::SetState { state: ItemState::Todo, reason: String::new() })>"Make applicable again"</button>
                    }.into_any(),
                    _ => view! {
                        <button type="button" class="link" aria-expanded=move || na_open.get().to_string() on:click=move |_| na_open.update(|o| *o = !*o)>"Not applicable…"</button>
                    }.into_any(),
                }}
                <button type="button" class="link" aria-expanded=move || notes_open.get().to_string() on:click=open_notes>
                    {move || if get().notes.is_empty() { "Add notes".to_string() } else { "Notes".to_string() }}
                </button>
                <button type="button" class="link" on:click=toggle_history>{move || if history.get().is_some() { "Hide history" } else { "History" }}</button>
            </div>
            {move || (!get().notes.is_empty() && !notes_open.get()).then(|| view! { <p class="notes">{get().notes}</p> })}
            <Show when=move || na_open.get()>
                <form class="inline-form" on:submit=move |ev| {
                    ev.prevent_default();
                    send(ItemChange::SetState { state: ItemState::NotApplicable, reason: na_reason.get_untracked() });
                }>
                    <label>"Why does this not apply?" <input type="text" required bind:value=na_reason/></label>
                    <button type="submit" class="primary">"Mark not applicable"</button>
                </form>
            </Show>
            <Show when=move || notes_open.get()>
                <form class="inline-form" on:submit=move |ev| {
                    ev.prevent_default();
                    send(ItemChange::Notes { notes: notes_draft.get_untracked() });
                }>
                    <label>"Notes" <textarea rows="3" bind:value=notes_draft></textarea></label>
                    <button type="submit" class="primary">"Save notes"</button>
                </form>
            </Show>
            {move || history.get().map(|h| view! {
                <ol class="history" aria-label="History">
                    {if h.is_empty() { view! { <li class="muted">"No changes yet."</li> }.into_any() } else {
                        h.into_iter().map(|e| view! {
                            <li>{fmt_time(e.at)} " · " {e.user.unwrap_or_else(|| "someone".into())} " · " {e.action} {(!e.detail.is_empty()).then(|| format!(": {}", e.detail))}</li>
                        }).collect_view().into_any()
                    }}
                </ol>
            })}
            </Show>
            </div>
        </li>
    }
}

/// The one line under a closed item: who ticked it or why it does not apply, who has it,
/// what its evidence says, and whether it has notes.
fn summary_chips(it: &ChecklistItem) -> impl IntoView {
    let state = match (it.state, &it.state_changed_by, it.state_changed_at) {
        (ItemState::Done, Some(who), Some(at)) => Some(format!("Done by {who}, {}", fmt_time(at))),
        (ItemState::NotApplicable, _, _) => Some(format!("Not applicable: {}", it.na_reason)),
        _ => None,
    };
    let failed = it.evidence.iter().filter(|e| e.status == CheckStatus::Failed).count();
    let evidence = if it.regression {
        Some(("chip fail", "regression".to_string()))
    } else if failed > 0 {
        Some(("chip fail", format!("{failed} check(s) fail")))
    } else if it.evidence_passed {
        Some(("chip pass", "checks pass".to_string()))
    } else if it.evidence_missing.is_some() {
        Some(("chip na", "not checked".to_string()))
    } else {
        None
    };
    view! {
        {state.map(|s| view! { <span>{s}</span> })}
        {it.assignee_name.clone().map(|n| view! { <span class="assignee">{format!("→ {n}")}</span> })}
        {evidence.map(|(class, text)| view! { <span class=class>{text}</span> })}
        {(!it.notes.is_empty()).then(|| view! { <span class="chip">"notes"</span> })}
    }
}

/// Consecutive evidence of one run together (the server lists it run by run).
fn group_by_run(evidence: Vec<CheckEvidence>) -> Vec<Vec<CheckEvidence>> {
    let mut groups: Vec<Vec<CheckEvidence>> = Vec::new();
    for e in evidence {
        match groups.last_mut() {
            Some(g) if g[0].run_id == e.run_id => g.push(e),
            _ => groups.push(vec![e]),
        }
    }
    groups
}

/// One check's outcome: passed, failed with its number of findings, or not checked and why.
fn evidence_chip(e: CheckEvidence, with_reason: bool) -> impl IntoView {
    let (class, text, tip) = match e.status {
        CheckStatus::Passed => ("chip pass", format!("✓ {}", e.check), "passed".to_string()),
        CheckStatus::Failed => ("chip fail", format!("✗ {} ({})", e.check, e.findings), format!("{} finding(s)", e.findings)),
        CheckStatus::NotApplicable => ("chip na", format!("– {} not checked", e.check), e.reason.clone()),
        CheckStatus::Skipped => ("chip skipped", format!("– {} not checked", e.check), e.reason.clone()),
    };
    let reason = (with_reason && !matches!(e.status, CheckStatus::Passed | CheckStatus::Failed))
        .then(|| view! { <span class="muted small reason">{format!("({tip})")}</span> });
    view! { <span class=class title=tip>{text}</span> {reason} " " }
}

/// One signal's outcome: what the app's own data says, with the run it looked at if any.
fn signal_chip(e: SignalEvidence) -> impl IntoView {
    let (class, mark) = match e.status {
        CheckStatus::Passed => ("chip pass", "✓"),
        CheckStatus::Failed => ("chip fail", "✗"),
        CheckStatus::NotApplicable => ("chip na", "–"),
        CheckStatus::Skipped => ("chip skipped", "–"),
    };
    let source = match (e.run_id, e.environment) {
        (Some(run), Some(env)) => format!(" (run #{run} on {env})"),
        _ => String::new(),
    };
    let stale = e.stale.map(|s| format!(" · stale: {s}")).unwrap_or_default();
    view! {
        <span class=class title=e.title.clone()>{format!("{mark} {}", e.signal)}</span>
        <span class="muted small reason">{format!("{}{source}{stale}", e.detail)}</span>
        " "
    }
}

#[component]
fn AddItem(project_id: i64, items: RwSignal<Vec<ChecklistItem>>, catalogue: Vec<(String, String)>) -> impl IntoView {
    let title = RwSignal::new(String::new());
    let phase = RwSignal::new("launch-week".to_string());
    let due = RwSignal::new("-1".to_string());
    let why = RwSignal::new(String::new());
    let checks = RwSignal::new(String::new());
    let from = RwSignal::new("any".to_string());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(due_offset_days) = due.get_untracked().trim().parse::<i64>() else {
            error.set(Some("Give the due day as a number of days from launch, e.g. -7 for a week before.".into()));
            return;
        };
        let new = NewItem {
            title: title.get_untracked(),
            phase: phase.get_untracked(),
            why: why.get_untracked(),
            due_offset_days,
            checks: checks.get_untracked().split([',', ' ', '\n']).map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect(),
            evidence_from: EvidenceFrom::parse(&from.get_untracked()).unwrap_or_default(),
            signals: Vec::new(),
        };
        leptos::task::spawn_local(async move {
            match add_item(project_id, new).await {
                Ok(it) => {
                    apply_item(items, it);
                    title.set(String::new());
                    why.set(String::new());
                    checks.set(String::new());
                    error.set(None);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    view! {
        <form class="card form add-item" on:submit=submit>
            <h2>"Add an item for this project"</h2>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
            <div class="grid2">
                <label>"Title" <input type="text" required bind:value=title placeholder="e.g. Send the press release"/></label>
                <label>"Phase"
                    <select prop:value=move || phase.get() on:change=move |ev| phase.set(event_target_value(&ev))>
                        {PHASES.iter().map(|p| view! { <option value=p.key>{p.title}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Due (days from launch, e.g. -7)" <input type="number" min="-365" max="365" bind:value=due/></label>
                <label>"Why (optional)" <input type="text" bind:value=why/></label>
                <label>"Automated checks (optional, check ids separated by commas)"
                    <input type="text" list="check-ids" autocomplete="off" placeholder="e.g. broken-link, console-error" bind:value=checks/>
                </label>
                <label>"Evidence from"
                    <select prop:value=move || from.get() on:change=move |ev| from.set(event_target_value(&ev))>
                        {EvidenceFrom::ALL.iter().map(|e| view! { <option value=e.as_str()>{e.label()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <datalist id="check-ids">
                {catalogue.into_iter().map(|(id, title)| view! { <option value=id>{title}</option> }).collect_view()}
            </datalist>
            <button type="submit" class="primary">"Add item"</button>
        </form>
    }
}

#[cfg(feature = "hydrate")]
thread_local! {
    // The item the keys were last on (a tick box loses focus while its change is saved);
    // forgotten when the page goes.
    static LAST: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Forgets where the checklist's keys were.
fn forget_key_position() {
    #[cfg(feature = "hydrate")]
    LAST.with(|l| l.set(None));
}

/// The checklist's keys: `j` / `k` focus the next / previous item's tick box (in the order
/// shown), `x` ticks or unticks the focused one, `o` opens or closes its details. Typing in a
/// field is left alone.
#[cfg(feature = "hydrate")]
fn checklist_key(ev: &leptos::ev::KeyboardEvent) {
    use leptos::wasm_bindgen::JsCast;
    if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
        return;
    }
    let key = ev.key();
    if !matches!(key.as_str(), "j" | "k" | "x" | "o") {
        return;
    }
    let target: Option<web_sys::Element> = ev.target().and_then(|t| t.dyn_into().ok());
    let on_item = target
        .as_ref()
        .is_some_and(|t| t.tag_name() == "INPUT" && t.closest(".items").ok().flatten().is_some() && t.get_attribute("type").as_deref() == Some("checkbox"));
    let typing =
        target.as_ref().is_some_and(|t| matches!(t.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || t.get_attribute("contenteditable").is_some());
    if typing && !on_item {
        return;
    }
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(list) = doc.query_selector_all(".items input[type=checkbox]") else { return };
    let boxes: Vec<web_sys::HtmlInputElement> = (0..list.length()).filter_map(|i| list.item(i)).filter_map(|n| n.dyn_into().ok()).collect();
    if boxes.is_empty() {
        return;
    }
    let active = doc.active_element();
    let current = active
        .and_then(|a| boxes.iter().position(|b| AsRef::<web_sys::Element>::as_ref(b) == &a))
        .or_else(|| LAST.with(|l| l.get()).map(|i| i.min(boxes.len() - 1)));
    let at = match key.as_str() {
        "j" => current.map(|i| (i + 1).min(boxes.len() - 1)).unwrap_or(0),
        "k" => current.map(|i| i.saturating_sub(1)).unwrap_or(0),
        "o" => match current {
            Some(i) => {
                let toggle = boxes[i].closest("li.item").ok().flatten().and_then(|li| li.query_selector(".details-toggle").ok().flatten());
                if let Some(b) = toggle.and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) {
                    b.click();
                }
                let _ = boxes[i].focus();
                i
            }
            None => return,
        },
        _ => match current {
            Some(i) if !boxes[i].disabled() => {
                let _ = boxes[i].focus();
                boxes[i].click();
                i
            }
            _ => return,
        },
    };
    if key == "j" || key == "k" {
        let _ = boxes[at].focus();
    }
    LAST.with(|l| l.set(Some(at)));
    ev.prevent_default();
}

#[cfg(not(feature = "hydrate"))]
fn checklist_key(_ev: &leptos::ev::KeyboardEvent) {}
