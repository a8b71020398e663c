//! The project list: every launch the team is working on, nearest launch first.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::{LoadError, Progress};
use crate::server_fns::list_projects;

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let show_archived = RwSignal::new(false);
    let projects = crate::components::resource(move || show_archived.get(), list_projects);
    view! {
        <Title text="Projects"/>
        <div class="page-head">
            <h1>"Projects"</h1>
            <div class="actions">
                <label class="check">
                    <input type="checkbox" prop:checked=move || show_archived.get()
                        on:change=move |ev| show_archived.set(event_target_checked(&ev))/>
                    "Show archived"
                </label>
                <A href="/projects/new" attr:class="button primary">"New project"</A>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading projects…"</p> }>
            {move || Suspend::new(async move {
                match projects.await {
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <section class="card empty">
                            <h2>"No projects yet"</h2>
                            <p>"Create a project for your next launch: it gets the full launch checklist, due dates counted back from launch day."</p>
                            <A href="/projects/new" attr:class="button primary">"Create the first project"</A>
                        </section>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="project-grid" role="list">
                            {list.into_iter().map(|p| {
                                let href = format!("/projects/{}", p.id);
                                let progress_label = format!("{} checklist progress", p.name);
                                view! {
                                    <li class="card project-card" class:archived=p.archived>
                                        <h2><A href=href>{p.name.clone()}</A></h2>
                                        <p class="muted">{p.client.clone()}</p>
                                        <p>"Launch: " <strong>{p.launch_date.clone()}</strong>
                                            {p.launch_time.clone().map(|t| format!(" {t}"))}
                                            {p.archived.then(|| view! { <span class="badge">"archived"</span> })}
                                        </p>
                                        <Progress done=p.done total=p.total label=progress_label/>
                                        {(p.overdue > 0).then(|| view! {
                                            <p class="overdue-note">{format!("{} overdue", p.overdue)}</p>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
