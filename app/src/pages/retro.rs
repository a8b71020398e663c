//! The retrospective of a project and the checklist template's versions.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use crate::components::{fmt_time, ErrorBox, LoadError};
use crate::model::{RetroActionInput, RetroInput, Retrospective};
use crate::pages::scope::ProjectNav;
use crate::server_fns::{add_retro_action, error_text, get_retro, promote_retro_action, save_retro};

#[component]
pub fn RetroPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let reload = RwSignal::new(0u32);
    let data = crate::components::resource(move || (id(), reload.get()), |(id, _)| get_retro(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the retrospective…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(r) => view! { <RetroBoard retro=r reload/> }.into_any(),
                    Err(e) => view! { <Title text="Retrospective"/> <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RetroBoard(retro: Retrospective, reload: RwSignal<u32>) -> impl IntoView {
    let Retrospective { project_id, project_name, launch_date, went_well, smoother, version, updated_by, actions, suggestions } = retro;
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let (well, smooth) = (RwSignal::new(went_well), RwSignal::new(smoother));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = RetroInput { went_well: well.get_untracked(), smoother: smooth.get_untracked(), version };
        leptos::task::spawn_local(async move {
            match save_retro(project_id, input).await {
                Ok(_) => {
                    saved.set(true);
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let (title, phase, why) = (RwSignal::new(String::new()), RwSignal::new("launch-week".to_string()), RwSignal::new(String::new()));
    let due = RwSignal::new(crate::phases::phase("launch-week").map(|p| p.default_due).unwrap_or(0).to_string());
    let checks = RwSignal::new(String::new());
    let add_input = move |input: RetroActionInput| {
        leptos::task::spawn_local(async move {
            match add_retro_action(project_id, input).await {
                Ok(_) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(due_offset_days) = due.get_untracked().trim().parse::<i64>() else {
            error.set(Some("Give the due day as a number of days from launch, e.g. -7 for a week before.".into()));
            return;
        };
        add_input(RetroActionInput {
            title: title.get_untracked(),
            phase: phase.get_untracked(),
            why: why.get_untracked(),
            due_offset_days: Some(due_offset_days),
            checks: checks.get_untracked().split([',', ' ', '\n']).map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect(),
        });
    };
    view! {
        <Title text=format!("Retrospective · {project_name}")/>
        <div class="page-head">
            <div>
                <p class="crumbs"><A href="/">"Projects"</A> " / " <A href=format!("/projects/{project_id}")>{project_name.clone()}</A></p>
                <h1>"Retrospective"</h1>
                <p class="muted">{format!("Launched {launch_date}. Don't focus on the bad things, focus on what was achieved — and what simple things would make the next one smoother.")}</p>
            </div>
        </div>
        <ProjectNav project_id current="retro"/>
        {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
        {(!suggestions.is_empty()).then(|| view! {
            <section class="card">
                <h2>"From the launch data"</h2>
                <ul class="suggestions">
                    {suggestions.into_iter().map(|s| {
                        let action = s.action.clone();
                        view! {
                            <li>
                                <span class="chip">{s.kind}</span> " " {s.text}
                                {action.map(|a| {
                                    let label = format!("Make it an action: {}", a.title);
                                    view! { " " <button type="button" class="small" on:click=move |_| add_input(a.clone())>{label}</button> }
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        })}
        <form class="card form" on:submit=save>
            <label>"What went well (what was achieved)" <textarea rows="5" bind:value=well></textarea></label>
            <label>"What could be smoother" <textarea rows="5" bind:value=smooth></textarea></label>
            <div class="actions">
                <button type="submit" class="primary">"Save"</button>
                {(!updated_by.is_empty()).then(|| view! { <span class="muted">{format!("Last saved by {updated_by}")}</span> })}
                {move || saved.get().then(|| view! { <span class="chip pass">"Saved"</span> })}
            </div>
        </form>
        <section class="card">
            <h2>"Action items"</h2>
            <ul class="change-list">
                {actions.into_iter().map(|a| {
                    let id = a.id;
                    let promote = move |_| {
                        leptos::task::spawn_local(async move {
                            match promote_retro_action(id).await {
                                Ok(_) => reload.update(|n| *n += 1),
                                Err(e) => error.set(Some(error_text(&e))),
                            }
                        });
                    };
                    view! {
                        <li>
                            <strong>{a.title.clone()}</strong> " " <span class="chip">{crate::phases::phase_title(&a.phase).to_string()}</span>
                            {(!a.why.is_empty()).then(|| view! { <div class="muted">{a.why.clone()}</div> })}
                            <div class="muted small">{format!("{} · {} · due {}", a.created_by, fmt_time(a.created_at), crate::model::due_label(a.due_offset_days))}</div>
                            {(!a.checks.is_empty()).then(|| view! { <div class="checks">{a.checks.iter().map(|c| view! { <code class="chip">{c.clone()}</code> " " }).collect_view()}</div> })}
                            {match a.promoted_version {
                                Some(v) => view! { <span class="chip pass">{format!("in the checklist template since v{v}")}</span> }.into_any(),
                                None => view! { <button type="button" class="small" on:click=promote>"Add to the checklist template"</button> }.into_any(),
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <form class="form inline-grid" on:submit=add>
                <h3>"New action item"</h3>
                <label>"What to do next time" <input type="text" required bind:value=title/></label>
                <label>"Phase"
                    <select prop:value=move || phase.get() on:change=move |ev| {
                        let key = event_target_value(&ev);
                        // A phase brings its usual due day; the field stays editable.
                        if let Some(p) = crate::phases::phase(&key) {
                            due.set(p.default_due.to_string());
                        }
                        phase.set(key);
                    }>
                        {crate::phases::PHASES.iter().map(|p| view! { <option value=p.key>{p.title}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Due (days from launch)" <input type="number" min="-365" max="365" bind:value=due/></label>
                <label>"Automated checks (optional)" <input type="text" placeholder="e.g. broken-link" bind:value=checks/></label>
                <label class="wide">"Why" <input type="text" bind:value=why/></label>
                <div class="actions"><button type="submit">"Add action"</button></div>
            </form>
        </section>
    }
}
