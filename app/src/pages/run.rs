//! One check run: status and progress (live), what changed since the previous run, and the
//! findings grouped by severity and check, each with its evidence and the advice it serves.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use crate::components::{fmt_time, ErrorBox, LoadError, Progress};
use crate::model::{CheckResult, CheckStatus, FindingView, RunDetail, RunStatus};
use crate::pages::gallery::RunGallery;
use crate::server_fns::{error_text, get_run, start_run};

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let reload = RwSignal::new(0u32);
    let data = crate::components::resource(move || (id(), reload.get()), |(id, _)| get_run(id));
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
    let RunDetail { run, project_name, findings, checks, comparison, .. } = detail;
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
            // A finished run does not change (reviews arrive as their own updates): reload it
            // only after a dropped stream, or when it was still going at render time.
            // Re-rendering the whole run view while its gallery is still loading would drop
            // the gallery mid-load, so the first open only refreshes the status, and reloads
            // the view only when the run turns out to have finished meanwhile.
            move |first| {
                if !first {
                    reload.update(|n| *n += 1);
                    return;
                }
                if status.get_untracked().status.is_finished() {
                    return;
                }
                leptos::task::spawn_local(async move {
                    if let Ok(d) = get_run(run_id).await {
                        let done = d.run.status.is_finished();
                        if status.try_set(d.run).is_none() && done {
                            reload.try_update(|n| *n += 1);
                        }
                    }
                });
            },
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

    let of = |st: CheckStatus| checks.iter().filter(|c| c.status == st).cloned().collect::<Vec<CheckResult>>();
    let (passed, failed, not_applicable, skipped) =
        (of(CheckStatus::Passed), of(CheckStatus::Failed), of(CheckStatus::NotApplicable), of(CheckStatus::Skipped));
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
                    {run.origin().map(|o| format!(" · {o}"))}
                    " · queued " {fmt_time(run.created_at)}
                    {run.finished_at.map(|t| format!(" · finished {}", fmt_time(t)))}
                </p>
            </div>
            <div class="actions">
                {move || {
                    let r = status.get();
                    let class = r.badge_class();
                    view! { <span class=class>{r.label}</span> }
                }}
                <button type="button" on:click=rerun>"Run again"</button>
            </div>
        </div>
        {move || status.get().status.is_finished().then(|| view! {
            <p class="downloads-line muted">"Download: "
                <a href=format!("/runs/{run_id}/export/findings.csv") download="">"findings (CSV)"</a> " · "
                <a href=format!("/runs/{run_id}/export/report.sarif") download="">"SARIF"</a> " · "
                <a href=format!("/runs/{run_id}/export/junit.xml") download="">"JUnit XML"</a>
            </p>
        })}
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
        {(!run.error.is_empty()).then(|| view! { <ErrorBox message=format!("This run could not complete: {}", run.error)/> })}
        {run.status.is_finished().then(|| view! {
            <section class="card summary">
                <p>
                    <strong>{format!("{} error(s), {} warning(s), {} info", run.errors, run.warnings, run.infos)}</strong>
                    {format!(" · {} page(s) crawled", run.pages_crawled)}
                </p>
                <p class="check-counts">
                    "Checks: "
                    <span class="chip pass">{format!("{} passed", passed.len())}</span> " "
                    <span class="chip fail">{format!("{} failed", failed.len())}</span> " "
                    <span class="chip na">{format!("{} not applicable", not_applicable.len())}</span> " "
                    <span class="chip skipped">{format!("{} skipped", skipped.len())}</span>
                    {(!skipped.is_empty()).then(|| view! { " " <a href="#not-checked">"why some checks did not look"</a> })}
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
                        let count = list.len();
                        let mut pages: Vec<&str> = list.iter().map(|f| f.url.as_str()).collect();
                        pages.sort_unstable();
                        pages.dedup();
                        let spread = format!("{count} finding{} on {} page{}", if count == 1 { "" } else { "s" }, pages.len(), if pages.len() == 1 { "" } else { "s" });
                        // Many findings of one check: the first few, the rest behind a disclosure.
                        let shown = if count > 6 { 3 } else { count };
                        let mut rest = list;
                        let first: Vec<FindingView> = rest.drain(..shown).collect();
                        let item = {
                            let new_keys = new_keys.clone();
                            move |f: FindingView| {
                                let is_new = new_keys.contains(&(f.check.clone(), f.url.clone()));
                                view! {
                                    <li>
                                        {is_new.then(|| view! { <span class="chip fail">"new"</span> " " })}
                                        {f.message.clone()}
                                        <div class="muted url">{url_link(&f.url)}</div>
                                        {(!f.evidence.is_empty()).then(|| view! { <pre class="evidence-text">{f.evidence.clone()}</pre> })}
                                    </li>
                                }
                            }
                        };
                        let more = rest.len();
                        view! {
                            <details class="check-group" open=rank == 0>
                                <summary>
                                    <strong>{title}</strong> " " <span class="badge">{count}</span> " "
                                    <span class="muted small">{spread}</span> " " <code class="check-id">{check.clone()}</code>
                                </summary>
                                <ul class="finding-list">
                                    {first.into_iter().map(item.clone()).collect_view()}
                                </ul>
                                {(more > 0).then(|| view! {
                                    <details class="more-findings">
                                        <summary>{format!("Show the other {more}")}</summary>
                                        <ul class="finding-list">{rest.into_iter().map(item.clone()).collect_view()}</ul>
                                    </details>
                                })}
                                {(!advice.is_empty()).then(|| view! { <p class="advice">"Launch advice: “" {advice} "”"</p> })}
                            </details>
                        }
                    }).collect_view()}
                </section>
            }
        }).collect_view()}
        <RunGallery run_id refresh=shots/>
        <crate::pages::quality::RunQualitySection run_id refresh=shots/>
        {run.status.is_finished().then(|| view! {
            <section class="card" id="not-checked">
                <h2>"What each check concluded"</h2>
                <p class="muted">"A check that did not look at anything never counts as passed: it is skipped (it could not look) or not applicable (it does not apply to this run), with the reason."</p>
                <CheckList title="Skipped — could not look" list=skipped open=true class="skipped"/>
                <CheckList title="Not applicable to this run" list=not_applicable open=false class="na"/>
                <CheckList title="Passed" list=passed open=false class="pass"/>
                <CheckList title="Failed" list=failed open=false class="fail"/>
            </section>
        })}
    }
}

/// A finding's URL: a link when it is a web address (opens in a new tab, no referrer), text
/// otherwise.
fn url_link(url: &str) -> AnyView {
    if url.starts_with("http://") || url.starts_with("https://") {
        view! { <a href=url.to_string() target="_blank" rel="noopener noreferrer">{url.to_string()}</a> }.into_any()
    } else {
        view! { <span>{url.to_string()}</span> }.into_any()
    }
}

/// One status's checks with their reasons, behind a disclosure.
#[component]
fn CheckList(title: &'static str, list: Vec<CheckResult>, open: bool, class: &'static str) -> impl IntoView {
    (!list.is_empty()).then(|| {
        view! {
            <details class="check-status" open=open>
                <summary>{format!("{title} ({})", list.len())}</summary>
                <ul class="check-outcomes">
                    {list.into_iter().map(|c| view! {
                        <li>
                            <span class=format!("chip {class}")>{c.status.label()}</span> " "
                            {c.title.clone()} " " <code class="check-id">{c.id.clone()}</code>
                            {(c.findings > 0).then(|| format!(" · {} finding(s)", c.findings))}
                            {(!c.reason.is_empty()).then(|| view! { <div class="muted reason">{c.reason.clone()}</div> })}
                        </li>
                    }).collect_view()}
                </ul>
            </details>
        }
    })
}
