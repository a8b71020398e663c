//! One check run: status and progress (live), what changed since the previous run, and the
//! findings grouped by severity and check, each with its evidence and the advice it serves.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use crate::components::{fmt_time, ErrorBox, LoadError, Progress};
use crate::model::{FindingView, RunDetail, RunStatus};
use crate::pages::gallery::RunGallery;
use crate::server_fns::{error_text, get_run, start_run};

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let reload = RwSignal::new(0u32);
    let data = Resource::new(move || (id(), reload.get()), |(id, _)| get_run(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the run…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <RunView detail=d reload/> }.into_any(),
                    Err(e) => view! { <Title text="Run"/> <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RunView(detail: RunDetail, reload: RwSignal<u32>) -> impl IntoView {
    let RunDetail { run, project_name, findings, checks_run, comparison } = detail;
    let run_id = run.id;
    let project_id = run.project_id;
    let status = RwSignal::new(run.clone());
    let shots = RwSignal::new(0u32);
    // Server-side there is nothing live to reload from.
    #[cfg(not(feature = "hydrate"))]
    let _ = reload;

    // Live progress: the project's event stream carries run updates.
    // (Always: client reviews of the screenshots arrive after the run has finished.)
    #[cfg(feature = "hydrate")]
    {
        let sub = crate::live::subscribe(
            project_id,
            move |u| {
                if let crate::model::LiveUpdate::Review { .. } = &u {
                    shots.update(|n| *n += 1);
                }
                if let crate::model::LiveUpdate::Run { run } = u {
                    if run.id == run_id {
                        let done = run.status.is_finished();
                        if run.progress_phase == "browser" || done {
                            shots.update(|n| *n += 1);
                        }
                        status.set(run);
                        if done {
                            reload.update(|n| *n += 1);
                        }
                    }
                }
            },
            |_| {},
            move || reload.update(|n| *n += 1),
        );
        let sub = StoredValue::new_local(sub);
        on_cleanup(move || sub.update_value(|s| drop(s.take())));
    }

    let rerun_error = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    let env_name = run.environment.clone();
    let rerun = move |_| {
        let (navigate, env_name) = (navigate.clone(), env_name.clone());
        leptos::task::spawn_local(async move {
            match start_run(project_id, env_name).await {
                Ok(r) => navigate(&format!("/runs/{}", r.id), Default::default()),
                Err(e) => rerun_error.set(Some(error_text(&e))),
            }
        });
    };

    let passed: Vec<String> = checks_run.iter().filter(|c| !findings.iter().any(|f| &&f.check == c)).cloned().collect();
    let mut by_severity: BTreeMap<u8, BTreeMap<String, Vec<FindingView>>> = BTreeMap::new();
    for f in findings.iter().cloned() {
        let rank = match f.severity.as_str() {
            "error" => 0,
            "warning" => 1,
            _ => 2,
        };
        by_severity.entry(rank).or_default().entry(f.check.clone()).or_default().push(f);
    }
    let title = format!("Run #{run_id} · {project_name}");
    view! {
        <Title text=title/>
        <div class="page-head">
            <div>
                <p class="crumbs"><A href="/">"Projects"</A> " / " <A href=format!("/projects/{project_id}")>{project_name.clone()}</A></p>
                <h1>{format!("Check run #{run_id}")}</h1>
                <p class="muted">
                    {format!("{} — {} ({})", run.environment, run.base_url, run.env_kind)}
                    {run.requested_by.clone().map(|w| format!(" · started by {w}"))}
                    " · queued " {fmt_time(run.created_at)}
                    {run.finished_at.map(|t| format!(" · finished {}", fmt_time(t)))}
                </p>
            </div>
            <div class="actions">
                {move || {
                    let s = status.get().status;
                    view! { <span class=format!("status status-{}", s.as_str())>{s.as_str()}</span> }
                }}
                <button type="button" on:click=rerun>"Run again"</button>
            </div>
        </div>
        {move || rerun_error.get().map(|m| view! { <ErrorBox message=m/> })}
        {move || {
            let r = status.get();
            (!r.status.is_finished()).then(|| view! {
                <section class="card">
                    <h2>{if r.status == RunStatus::Queued { "Waiting for a free slot…".to_string() } else { format!("Running: {}", r.progress_phase) }}</h2>
                    <Progress done=r.progress_done total=r.progress_total.max(1) label="Run progress"/>
                </section>
            })
        }}
        {(!run.error.is_empty()).then(|| view! { <ErrorBox message=run.error.clone()/> })}
        {run.status.is_finished().then(|| view! {
            <section class="card summary">
                <p>
                    <strong>{format!("{} error(s), {} warning(s), {} info", run.errors, run.warnings, run.infos)}</strong>
                    {format!(" · {} page(s) crawled · {} of {} checks passed", run.pages_crawled, passed.len(), checks_run.len())}
                </p>
                {comparison.clone().map(|c| view! {
                    <p>
                        "Compared with " <A href=format!("/runs/{}", c.previous_run_id)>{format!("run #{}", c.previous_run_id)}</A> ": "
                        <span class="chip fail">{format!("{} new", c.new.len())}</span> " "
                        <span class="chip pass">{format!("{} fixed", c.fixed.len())}</span> " "
                        <span class="chip">{format!("{} unchanged", c.unchanged)}</span>
                    </p>
                    {(!c.fixed.is_empty()).then(|| view! {
                        <details><summary>"Fixed since then"</summary>
                            <ul>{c.fixed.iter().map(|f| view! { <li><code>{f.check.clone()}</code> " " {f.message.clone()} " " <span class="muted">{f.url.clone()}</span></li> }).collect_view()}</ul>
                        </details>
                    })}
                })}
            </section>
        })}
        {by_severity.into_iter().map(|(rank, checks)| {
            let heading = ["Errors", "Warnings", "Information"][rank as usize];
            let new_keys: Vec<(String, String)> = comparison.as_ref().map(|c| c.new.iter().map(|f| (f.check.clone(), f.url.clone())).collect()).unwrap_or_default();
            view! {
                <section class="card findings">
                    <h2>{heading}</h2>
                    {checks.into_iter().map(|(check, list)| {
                        let advice = list[0].advice.clone();
                        let title = list[0].title.clone();
                        view! {
                            <details class="check-group" open=rank == 0>
                                <summary><code>{check.clone()}</code> " " {title} <span class="badge">{list.len()}</span></summary>
                                <ul class="finding-list">
                                    {list.into_iter().map(|f| {
                                        let is_new = new_keys.contains(&(f.check.clone(), f.url.clone()));
                                        view! {
                                            <li>
                                                {is_new.then(|| view! { <span class="chip fail">"new"</span> " " })}
                                                {f.message.clone()}
                                                <div class="muted url">{f.url.clone()}</div>
                                                {(!f.evidence.is_empty()).then(|| view! { <pre class="evidence-text">{f.evidence.clone()}</pre> })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                {(!advice.is_empty()).then(|| view! { <p class="advice">"Launch advice: “" {advice} "”"</p> })}
                            </details>
                        }
                    }).collect_view()}
                </section>
            }
        }).collect_view()}
        <RunGallery run_id refresh=shots/>
        {(!passed.is_empty()).then(|| view! {
            <section class="card">
                <details>
                    <summary>{format!("{} checks passed", passed.len())}</summary>
                    <p>{passed.iter().map(|c| view! { <span class="chip pass">{format!("✓ {c}")}</span> " " }).collect_view()}</p>
                </details>
            </section>
        })}
    }
}
