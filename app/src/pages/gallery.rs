//! Screenshots: a run's gallery (pages × viewports, filling in while the run goes on) and the
//! visual diff of one page and viewport between two runs.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use crate::components::LoadError;
use crate::model::{DiffView, Gallery, ScreenshotView};
use crate::server_fns::{get_diff, get_gallery};

/// The gallery of run `run_id`; bump `refresh` to fetch it again.
#[component]
pub fn RunGallery(run_id: i64, refresh: RwSignal<u32>) -> impl IntoView {
    let data = Resource::new(move || (run_id, refresh.get()), |(id, _)| get_gallery(id));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(g) if g.shots.is_empty() => ().into_any(),
                    Ok(g) => view! { <GalleryView gallery=g/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A URL without its scheme and host, for headings.
fn short(url: &str) -> String {
    match url.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string())) {
        Some(path) if !path.is_empty() => path,
        _ => url.to_string(),
    }
}

#[component]
fn GalleryView(gallery: Gallery) -> impl IntoView {
    let Gallery { shots, viewports, previous_run_id } = gallery;
    let mut pages: Vec<String> = Vec::new();
    for s in &shots {
        if !pages.contains(&s.url) {
            pages.push(s.url.clone());
        }
    }
    let notes: Vec<String> =
        viewports.iter().filter_map(|v| v.note.as_ref().map(|n| format!("{}: {}", v.label, n.trim_start_matches("Emulation: ")))).collect();
    let count = shots.len();
    view! {
        <section class="card gallery" aria-labelledby="gallery-title">
            <h2 id="gallery-title">"Screenshots"</h2>
            <p class="muted">
                {format!("{} page(s) × {} viewport(s), {count} screenshot(s). ", pages.len(), viewports.len())}
                "Open a thumbnail for the full page."
                {previous_run_id.map(|p| view! { " Compared with " <A href=format!("/runs/{p}")>{format!("run #{p}")}</A> "." })}
            </p>
            {notes.into_iter().map(|n| view! { <p class="note">{n}</p> }).collect_view()}
            {pages.into_iter().map(|page| {
                let row: Vec<(String, Option<ScreenshotView>)> = viewports
                    .iter()
                    .map(|v| (v.label.clone(), shots.iter().find(|s| s.url == page && s.viewport == v.name).cloned()))
                    .collect();
                view! {
                    <div class="shot-row">
                        <h3 class="shot-page"><a href=page.clone() rel="noopener noreferrer" target="_blank">{short(&page)}</a></h3>
                        <div class="shots">
                            {row.into_iter().map(|(label, shot)| match shot {
                                Some(s) => view! { <Shot shot=s label/> }.into_any(),
                                None => view! { <figure class="shot pending"><div class="shot-placeholder">"Not taken (yet)"</div><figcaption><strong>{label}</strong></figcaption></figure> }.into_any(),
                            }).collect_view()}
                        </div>
                    </div>
                }
            }).collect_view()}
        </section>
    }
}

#[component]
fn Shot(shot: ScreenshotView, label: String) -> impl IntoView {
    let full = format!("/screenshots/{}", shot.id);
    let thumb = if shot.has_thumbnail { format!("/screenshots/{}/thumb", shot.id) } else { full.clone() };
    let alt = format!("{} at {label}", shot.url);
    let problems = shot.problems.len();
    let console = shot.console.clone();
    let class = if problems > 0 { "shot has-problems" } else { "shot" };
    view! {
        <figure class=class>
            <a href=full.clone() target="_blank" rel="noopener" title="Open the full-page screenshot">
                <img src=thumb alt=alt loading="lazy" width="360"/>
            </a>
            <figcaption>
                <strong>{label}</strong>
                <span class="muted">{format!(" {}×{} px · {:.1} s", shot.width, shot.height, shot.load_ms as f64 / 1000.0)}</span>
                <div class="chips">
                    {(shot.overflow_px > 1).then(|| view! { <span class="chip fail">{format!("{} px too wide", shot.overflow_px)}</span> })}
                    {(!console.is_empty()).then(|| view! { <span class="chip fail">{format!("{} console problem(s)", console.len())}</span> })}
                    {(problems == 0).then(|| view! { <span class="chip pass">"✓ no problems"</span> })}
                    {shot.previous.map(|p| view! { <A href=format!("/compare/{p}/{}", shot.id) attr:class="chip link">"Compare with before"</A> })}
                </div>
                {shot.review.clone().map(|r| {
                    let approved = r.verdict == "approved";
                    view! {
                        <p class=if approved { "review approved" } else { "review changes" }>
                            {if approved { format!("✓ Approved by {}", r.reviewer) } else { format!("✎ Changes requested by {}", r.reviewer) }}
                            {(!r.comment.is_empty()).then(|| view! { <span class="comment">{format!(": “{}”", r.comment)}</span> })}
                        </p>
                    }
                })}
                {(!console.is_empty()).then(|| view! {
                    <details class="console">
                        <summary>"Console"</summary>
                        <ul>{console.into_iter().map(|l| view! { <li><code>{l}</code></li> }).collect_view()}</ul>
                    </details>
                })}
                {(!shot.problems.is_empty()).then(|| view! {
                    <p class="muted small">{shot.problems.iter().map(|p| view! { <code>{p.clone()}</code> " " }).collect_view()}</p>
                })}
            </figcaption>
        </figure>
    }
}

/// `/compare/:before/:after`: two screenshots of the same page and viewport and their diff.
#[component]
pub fn ComparePage() -> impl IntoView {
    let params = use_params_map();
    let ids = move || {
        let p = params.read();
        let get = |k: &str| p.get(k).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
        (get("before"), get("after"))
    };
    let data = Resource::new(ids, |(b, a)| get_diff(b, a));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Comparing the screenshots… (the first time takes a moment)"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <DiffPage diff=d/> }.into_any(),
                    Err(e) => view! { <Title text="Compare"/> <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DiffPage(diff: DiffView) -> impl IntoView {
    let DiffView { before, after, changed_ppm, project_id, project_name } = diff;
    let pct = changed_ppm as f64 / 10_000.0;
    let verdict = if changed_ppm == 0 {
        "Nothing changed".to_string()
    } else if pct < 0.01 {
        "Less than 0.01 % of the pixels changed".to_string()
    } else {
        format!("{pct:.2} % of the pixels changed")
    };
    let title = format!("{} at {} · run #{} vs #{}", short(&after.url), after.viewport, before.run_id, after.run_id);
    let diff_src = format!("/screenshots/{}/diff/{}", before.id, after.id);
    let diff_href = diff_src.clone();
    view! {
        <Title text=title/>
        <div class="page-head">
            <div>
                <p class="crumbs">
                    <A href="/">"Projects"</A> " / " <A href=format!("/projects/{project_id}")>{project_name}</A>
                    " / " <A href=format!("/runs/{}", after.run_id)>{format!("run #{}", after.run_id)}</A>
                </p>
                <h1>"Visual diff"</h1>
                <p class="muted">{format!("{} at {} — run #{} against run #{}", after.url, after.viewport, before.run_id, after.run_id)}</p>
            </div>
        </div>
        <section class="card">
            <p><strong>{verdict}</strong> " " <span class="muted">"Changed pixels are magenta over a faded copy of the newer screenshot."</span></p>
            <meter min="0" max="100" low="1" high="10" optimum="0" value=pct.min(100.0) aria-label="Share of pixels changed"></meter>
            <div class="diff-grid">
                <figure>
                    <figcaption>{format!("Before (run #{})", before.run_id)}</figcaption>
                    <a href=format!("/screenshots/{}", before.id) target="_blank"><img src=format!("/screenshots/{}", before.id) alt="The earlier screenshot"/></a>
                </figure>
                <figure>
                    <figcaption>{format!("After (run #{})", after.run_id)}</figcaption>
                    <a href=format!("/screenshots/{}", after.id) target="_blank"><img src=format!("/screenshots/{}", after.id) alt="The later screenshot"/></a>
                </figure>
                <figure>
                    <figcaption>"What changed"</figcaption>
                    <a href=diff_href target="_blank"><img src=diff_src alt="Changed pixels highlighted"/></a>
                </figure>
            </div>
        </section>
    }
}
