//! Screenshots: a run's gallery (pages × viewports, filling in while the run goes on; what
//! changed first) and the compare view of one page and viewport between two runs.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_navigate, hooks::use_params_map};

use crate::components::{ErrorBox, LoadError};
use crate::model::{percent, DiffView, Gallery, Review, ScreenshotView, ShotChange};
use crate::server_fns::{accept_baseline, approve_unchanged, error_text, get_diff, get_gallery, team_review};

/// The gallery of run `run_id`; bump `refresh` to fetch it again.
#[component]
pub fn RunGallery(run_id: i64, refresh: RwSignal<u32>) -> impl IntoView {
    let data = crate::components::resource(move || (run_id, refresh.get()), |(id, _)| get_gallery(id));
    // Kept outside the gallery, which is rebuilt on every refresh.
    let changed_only = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let told = RwSignal::new(None::<String>);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(g) if g.shots.is_empty() && g.gone.is_empty() => ().into_any(),
                    Ok(g) => view! { <GalleryView gallery=g run_id refresh changed_only error told/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A URL without its scheme and host, for headings.
pub fn short(url: &str) -> String {
    match url.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string())) {
        Some(path) if !path.is_empty() => path,
        _ => url.to_string(),
    }
}

/// The chip saying how a screenshot changed.
fn change_chip(change: ShotChange) -> impl IntoView {
    let class = match change {
        ShotChange::Changed(_) => "chip warn change",
        ShotChange::New => "chip info change",
        ShotChange::Unchanged => "chip pass change",
        ShotChange::NotCompared => "chip change",
    };
    view! { <span class=class>{change.label()}</span> }
}

/// One viewport of a page row: its label, the screenshot if taken, and how it changed.
type Cell = (String, Option<ScreenshotView>, ShotChange);

#[component]
fn GalleryView(
    gallery: Gallery,
    run_id: i64,
    refresh: RwSignal<u32>,
    changed_only: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    told: RwSignal<Option<String>>,
) -> impl IntoView {
    let (changed, unchanged, new, not_compared) = gallery.counts();
    let to_approve = gallery.shots.iter().filter(|s| gallery.change_of(s) == ShotChange::Unchanged && s.team_review.is_none()).count();
    let bump = move || refresh.update(|n| *n += 1);
    let approve_all = move |_| {
        leptos::task::spawn_local(async move {
            match approve_unchanged(run_id).await {
                Ok(n) => {
                    error.set(None);
                    told.set(Some(format!("Approved {n} unchanged screenshot(s).")));
                    bump();
                }
                Err(e) => {
                    told.set(None);
                    error.set(Some(error_text(&e)));
                }
            }
        });
    };
    let baseline = move |_| {
        leptos::task::spawn_local(async move {
            match accept_baseline(run_id).await {
                Ok(b) => {
                    error.set(None);
                    told.set(Some(format!("Run #{} is now the baseline of {}: later runs are compared with it.", b.run_id, b.environment)));
                    bump();
                }
                Err(e) => {
                    told.set(None);
                    error.set(Some(error_text(&e)));
                }
            }
        });
    };
    let is_baseline = gallery.baseline_run_id == Some(run_id);
    let running = gallery.running;
    let compared = gallery.previous_run_id;
    let compared_is_baseline = compared.is_some() && compared == gallery.baseline_run_id;
    let notes: Vec<String> =
        gallery.viewports.iter().filter_map(|v| v.note.as_ref().map(|n| format!("{}: {}", v.label, n.trim_start_matches("Emulation: ")))).collect();
    // Pages in crawl order, those with a change first.
    let mut pages: Vec<String> = Vec::new();
    for s in &gallery.shots {
        if !pages.contains(&s.url) {
            pages.push(s.url.clone());
        }
    }
    let page_changed = |p: &String| gallery.shots.iter().any(|s| &s.url == p && gallery.change_of(s).is_changed());
    pages.sort_by_key(|p| !page_changed(p));
    let rows: Vec<(String, bool, Vec<Cell>)> = pages
        .iter()
        .map(|page| {
            let row = gallery
                .viewports
                .iter()
                .map(|v| {
                    let shot = gallery.shots.iter().find(|s| &s.url == page && s.viewport == v.name).cloned();
                    let change = shot.as_ref().map(|s| gallery.change_of(s)).unwrap_or(ShotChange::NotCompared);
                    (v.label.clone(), shot, change)
                })
                .collect();
            (page.clone(), page_changed(page), row)
        })
        .collect();
    let gone = gallery.gone.clone();
    let count = gallery.shots.len();
    view! {
        <section class="card gallery" aria-labelledby="gallery-title">
            <div class="gallery-head">
                <h2 id="gallery-title">"Screenshots"</h2>
                <p class="muted gallery-summary">
                    {format!("{count} screenshot(s) of {} page(s). ", pages.len())}
                    {match compared {
                        Some(p) => view! {
                            <strong>{format!("{changed} changed")}</strong> {format!(" · {unchanged} unchanged · {new} new")}
                            {(!gone.is_empty()).then(|| format!(" · {} gone", gone.len()))}
                            {(not_compared > 0).then(|| format!(" · {not_compared} not compared"))}
                            " — compared with " <A href=format!("/runs/{p}")>{format!("run #{p}")}</A>
                            {compared_is_baseline.then_some(" (the baseline)")} "."
                        }.into_any(),
                        None => view! { "Nothing to compare with yet: this is the environment's first run with screenshots." }.into_any(),
                    }}
                    {running.then_some(" The run is still going; more screenshots will come.")}
                </p>
                <div class="toolbar" role="group" aria-label="Screenshot review">
                    <button type="button" class="small" aria-pressed=move || changed_only.get().to_string()
                        on:click=move |_| changed_only.update(|c| *c = !*c)>
                        {move || if changed_only.get() { "Showing changed only" } else { "Changed only" }}
                    </button>
                    {(to_approve > 0 && !running).then(|| view! {
                        <button type="button" class="small approve" on:click=approve_all>{format!("Approve all unchanged ({to_approve})")}</button>
                    })}
                    {if is_baseline {
                        view! { <span class="chip pass">"This run is the baseline"</span> }.into_any()
                    } else if !running {
                        view! { <button type="button" class="small" on:click=baseline
                            title="Later runs of this environment are compared with this run instead of with their previous run">"Accept as baseline"</button> }.into_any()
                    } else {
                        ().into_any()
                    }}
                </div>
            </div>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
            {move || told.get().map(|m| view! { <p class="alert ok" role="status">{m}</p> })}
            {notes.into_iter().map(|n| view! { <p class="note">{n}</p> }).collect_view()}
            {rows.into_iter().map(|(page, any_change, row)| {
                view! {
                    <div class="shot-row" class:hidden=move || changed_only.get() && !any_change>
                        <h3 class="shot-page"><a href=page.clone() rel="noopener noreferrer" target="_blank">{short(&page)}</a></h3>
                        <div class="shots">
                            {row.into_iter().map(|(label, shot, change)| match shot {
                                Some(s) => view! { <Shot shot=s label change changed_only error refresh/> }.into_any(),
                                None => view! {
                                    <figure class="shot pending" class:hidden=move || changed_only.get()>
                                        <div class="shot-placeholder">"Not taken (yet)"</div>
                                        <figcaption><strong>{label}</strong></figcaption>
                                    </figure>
                                }.into_any(),
                            }).collect_view()}
                        </div>
                    </div>
                }
            }).collect_view()}
            {(!gone.is_empty()).then(|| view! {
                <div class="shot-row gone">
                    <h3 class="shot-page">"Gone since the compared run"</h3>
                    <ul class="gone-list">
                        {gone.into_iter().map(|s| view! {
                            <li><a href=format!("/screenshots/{}", s.id) target="_blank" rel="noopener">{format!("{} at {}", short(&s.url), s.viewport)}</a></li>
                        }).collect_view()}
                    </ul>
                </div>
            })}
        </section>
    }
}

/// A review line: "✓ Approved by Ann" or "✎ Changes requested by Ann: “…”".
pub fn review_line(r: Review, who: &'static str) -> impl IntoView {
    let approved = r.verdict == "approved";
    view! {
        <p class=if approved { "review approved" } else { "review changes" }>
            {if approved { format!("✓ Approved by {} ({who})", r.reviewer) } else { format!("✎ Changes requested by {} ({who})", r.reviewer) }}
            {(!r.comment.is_empty()).then(|| view! { <span class="comment">{format!(": “{}”", r.comment)}</span> })}
        </p>
    }
}

#[component]
fn Shot(
    shot: ScreenshotView,
    label: String,
    change: ShotChange,
    changed_only: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let id = shot.id;
    let full = format!("/screenshots/{id}");
    let thumb = if shot.has_thumbnail { format!("/screenshots/{id}/thumb") } else { full.clone() };
    let alt = format!("{} at {label}", shot.url);
    let problems = shot.problems.len();
    let console = shot.console.clone();
    let class = if problems > 0 { "shot has-problems" } else { "shot" };
    let compare = shot.previous.filter(|_| change.is_changed()).map(|p| format!("/compare/{p}/{id}"));
    let asking = RwSignal::new(false);
    let comment = RwSignal::new(String::new());
    let send = move |approve: bool| {
        leptos::task::spawn_local(async move {
            match team_review(id, approve, comment.get_untracked()).await {
                Ok(_) => refresh.update(|n| *n += 1),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let ask = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(false);
    };
    view! {
        <figure class=class id=format!("shot-{id}") data-change=format!("{change:?}") class:hidden=move || changed_only.get() && !change.is_changed()>
            <a href=full.clone() target="_blank" rel="noopener" title="Open the full-page screenshot" class="thumb">
                <img src=thumb alt=alt loading="lazy"/>
            </a>
            <figcaption>
                <strong>{label}</strong>
                <span class="muted">{format!(" {}×{} px · {:.1} s", shot.width, shot.height, shot.load_ms as f64 / 1000.0)}</span>
                <div class="chips">
                    {change_chip(change)}
                    {compare.map(|href| view! { <A href=href attr:class="chip link">"Compare"</A> })}
                    {(shot.overflow_px > 1).then(|| view! { <span class="chip fail">{format!("{} px too wide", shot.overflow_px)}</span> })}
                    {(!console.is_empty()).then(|| view! { <span class="chip fail">{format!("{} console problem(s)", console.len())}</span> })}
                    {(problems == 0).then(|| view! { <span class="chip pass">"✓ no problems"</span> })}
                </div>
                {shot.team_review.clone().map(|r| review_line(r, "team"))}
                {shot.review.clone().map(|r| review_line(r, "client"))}
                <div class="chips review-actions">
                    <button type="button" class="small approve" on:click=move |_| send(true)>"Approve"</button>
                    <button type="button" class="small request" aria-expanded=move || asking.get().to_string() on:click=move |_| asking.update(|a| *a = !*a)>
                        "Request changes"
                    </button>
                </div>
                {move || asking.get().then(|| view! {
                    <form class="ask-changes" on:submit=ask>
                        <label class="sr-only" for=format!("team-comment-{id}")>"What should change"</label>
                        <textarea id=format!("team-comment-{id}") rows="2" required placeholder="What should change?" bind:value=comment></textarea>
                        <button type="submit" class="small request">"Send"</button>
                    </form>
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

/// `/compare/:before/:after`: two screenshots of the same page and viewport, side by side,
/// under a slider, overlaid, or as a diff; with zoom and a walk through the run's changes.
#[component]
pub fn ComparePage() -> impl IntoView {
    let params = use_params_map();
    let ids = move || {
        let p = params.read();
        let get = |k: &str| p.get(k).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
        (get("before"), get("after"))
    };
    let reload = RwSignal::new(0u32);
    let data = crate::components::resource(move || (ids(), reload.get()), |((b, a), _)| get_diff(b, a));
    // The view's settings outlive the step: moving to the next change keeps mode and zoom.
    let mode = RwSignal::new(Mode::Slider);
    let zoom = RwSignal::new(Zoom::Fit);
    let split = RwSignal::new(50u32);
    let opacity = RwSignal::new(50u32);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Comparing the screenshots… (the first time takes a moment)"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <DiffPage diff=d settings=CompareSettings { mode, zoom, split, opacity } reload/> }.into_any(),
                    Err(e) => view! { <Title text="Compare"/> <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Side,
    Slider,
    Overlay,
    Diff,
}

impl Mode {
    const ALL: [Mode; 4] = [Mode::Side, Mode::Slider, Mode::Overlay, Mode::Diff];

    fn label(self) -> &'static str {
        match self {
            Mode::Side => "Side by side",
            Mode::Slider => "Slider",
            Mode::Overlay => "Overlay",
            Mode::Diff => "Changed pixels",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Mode::Side => "1",
            Mode::Slider => "2",
            Mode::Overlay => "3",
            Mode::Diff => "4",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zoom {
    Fit,
    Actual,
    Double,
}

impl Zoom {
    fn next(self) -> Zoom {
        match self {
            Zoom::Fit => Zoom::Actual,
            Zoom::Actual => Zoom::Double,
            Zoom::Double => Zoom::Fit,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Zoom::Fit => "Fit",
            Zoom::Actual => "100 %",
            Zoom::Double => "200 %",
        }
    }

    /// The images' CSS width for an image `px` device pixels wide.
    fn width(self, px: i64) -> String {
        match self {
            Zoom::Fit => "100%".into(),
            Zoom::Actual => format!("{px}px"),
            Zoom::Double => format!("{}px", px * 2),
        }
    }
}

#[derive(Clone, Copy)]
struct CompareSettings {
    mode: RwSignal<Mode>,
    zoom: RwSignal<Zoom>,
    split: RwSignal<u32>,
    opacity: RwSignal<u32>,
}

/// The keys of the compare view, as the page lists them.
const KEYS: &[(&str, &str)] = &[
    ("1 2 3 4", "side by side, slider, overlay, changed pixels"),
    ("← →", "move the slider or the overlay (5 % a press)"),
    ("z", "zoom: fit, 100 %, 200 %"),
    ("n / p", "next / previous changed screenshot"),
    ("a", "approve this screenshot"),
    ("r", "request changes (write what should change)"),
];

#[component]
fn DiffPage(diff: DiffView, settings: CompareSettings, reload: RwSignal<u32>) -> impl IntoView {
    let DiffView { before, after, changed_ppm, project_id, project_name, steps, viewport_label } = diff;
    let CompareSettings { mode, zoom, split, opacity } = settings;
    let verdict = if changed_ppm == 0 { "Nothing changed".to_string() } else { format!("{} of the pixels changed", percent(changed_ppm)) };
    let title = format!("{} at {} · run #{} vs #{}", short(&after.url), viewport_label, before.run_id, after.run_id);
    let here = steps.iter().position(|s| s.after == after.id);
    let href = |i: usize| steps.get(i).map(|s| format!("/compare/{}/{}", s.before, s.after));
    let prev = here.and_then(|i| i.checked_sub(1)).and_then(href);
    let next = match here {
        Some(i) => href(i + 1),
        None => href(0),
    };
    let position = here.map(|i| format!("Change {} of {}", i + 1, steps.len())).unwrap_or_else(|| format!("{} changed screenshot(s) in this run", steps.len()));
    let (before_src, after_src, diff_src) =
        (format!("/screenshots/{}", before.id), format!("/screenshots/{}", after.id), format!("/screenshots/{}/diff/{}", before.id, after.id));
    let px = before.width.max(after.width);
    let after_id = after.id;
    let error = RwSignal::new(None::<String>);
    let comment = RwSignal::new(String::new());
    let asking = RwSignal::new(false);
    let send = move |approve: bool| {
        leptos::task::spawn_local(async move {
            match team_review(after_id, approve, comment.get_untracked()).await {
                Ok(_) => {
                    asking.set(false);
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let (prev_k, next_k) = (StoredValue::new(prev.clone()), StoredValue::new(next.clone()));
    let navigate = use_navigate();
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let typing = ev
            .target()
            .map(|t| leptos::wasm_bindgen::JsCast::unchecked_into::<leptos::web_sys::Element>(t).tag_name())
            .is_some_and(|tag| matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if typing {
            return;
        }
        let step = |s: RwSignal<u32>, up: bool| s.update(|v| *v = if up { (*v + 5).min(100) } else { v.saturating_sub(5) });
        match ev.key().as_str() {
            "1" => mode.set(Mode::Side),
            "2" => mode.set(Mode::Slider),
            "3" => mode.set(Mode::Overlay),
            "4" => mode.set(Mode::Diff),
            "z" => zoom.update(|z| *z = z.next()),
            "ArrowLeft" | "ArrowRight" => {
                let up = ev.key() == "ArrowRight";
                match mode.get_untracked() {
                    Mode::Slider => step(split, up),
                    Mode::Overlay => step(opacity, up),
                    _ => return,
                }
            }
            "n" => match next_k.get_value() {
                Some(h) => navigate(&h, Default::default()),
                None => return,
            },
            "p" => match prev_k.get_value() {
                Some(h) => navigate(&h, Default::default()),
                None => return,
            },
            "a" => send(true),
            "r" => asking.set(true),
            _ => return,
        }
        ev.prevent_default();
    });
    on_cleanup(move || handle.remove());
    let width = move || zoom.get().width(px);
    // The stage is drawn in the browser only: its sizes and clipping are set through the
    // CSS object model, which the Content-Security-Policy allows (style attributes in the
    // server's HTML it does not).
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    view! {
        <Title text=title/>
        <div class="page-head">
            <div>
                <p class="crumbs">
                    <A href="/">"Projects"</A> " / " <A href=format!("/projects/{project_id}")>{project_name}</A>
                    " / " <A href=format!("/runs/{}", after.run_id)>{format!("run #{}", after.run_id)}</A>
                </p>
                <h1>{format!("{} · {}", if after.title.trim().is_empty() { short(&after.url) } else { after.title.trim().to_string() }, viewport_label)}</h1>
                <p class="muted small">{after.url.clone()}</p>
                <p class="muted">{format!("Run #{} (before) against run #{} (after). ", before.run_id, after.run_id)} <strong>{verdict}</strong></p>
            </div>
        </div>
        <section class="card compare" aria-label="Compare the screenshots">
            <div class="compare-bar">
                <div class="segmented" role="group" aria-label="How to compare">
                    {Mode::ALL.into_iter().map(|m| view! {
                        <button type="button" class="small" aria-pressed=move || (mode.get() == m).to_string() on:click=move |_| mode.set(m)
                            title=format!("{} (key {})", m.label(), m.key())>{m.label()}</button>
                    }).collect_view()}
                </div>
                <button type="button" class="small" on:click=move |_| zoom.update(|z| *z = z.next()) title="Zoom (key z)">
                    {move || format!("Zoom: {}", zoom.get().label())}
                </button>
                <nav class="steps" aria-label="Changed screenshots">
                    {match prev.clone() {
                        Some(h) => view! { <A href=h attr:class="button small" attr:rel="prev">"← Previous"</A> }.into_any(),
                        None => view! { <span class="button small disabled" aria-disabled="true">"← Previous"</span> }.into_any(),
                    }}
                    <span class="muted small">{position}</span>
                    {match next.clone() {
                        Some(h) => view! { <A href=h attr:class="button small" attr:rel="next">"Next →"</A> }.into_any(),
                        None => view! { <span class="button small disabled" aria-disabled="true">"Next →"</span> }.into_any(),
                    }}
                </nav>
            </div>
            {move || match mode.get() {
                Mode::Slider => view! {
                    <label class="range">"Slider: before on the left, after on the right"
                        <input type="range" min="0" max="100" prop:value=move || split.get().to_string()
                            on:input=move |ev| split.set(event_target_value(&ev).parse().unwrap_or(50))/>
                    </label>
                }.into_any(),
                Mode::Overlay => view! {
                    <label class="range">"Overlay: how much of the after screenshot shows"
                        <input type="range" min="0" max="100" prop:value=move || opacity.get().to_string()
                            on:input=move |ev| opacity.set(event_target_value(&ev).parse().unwrap_or(50))/>
                    </label>
                }.into_any(),
                _ => ().into_any(),
            }}
            <div class="compare-stage" data-mode=move || format!("{:?}", mode.get()).to_lowercase()>
                {move || if !mounted.get() { view! { <p class="muted loading-stage">"Loading the comparison…"</p> }.into_any() } else { match mode.get() {
                    Mode::Side => view! {
                        <div class="side">
                            <figure><figcaption>{format!("Before (run #{})", before.run_id)}</figcaption>
                                <img src=before_src.clone() alt="The earlier screenshot" style:width=width/></figure>
                            <figure><figcaption>{format!("After (run #{})", after.run_id)}</figcaption>
                                <img src=after_src.clone() alt="The later screenshot" style:width=width/></figure>
                        </div>
                    }.into_any(),
                    Mode::Slider => view! {
                        <div class="stack">
                            <img src=before_src.clone() alt="The earlier screenshot" style:width=width/>
                            <img src=after_src.clone() alt="The later screenshot, shown right of the slider" class="top"
                                style:width=width style:clip-path=move || format!("inset(0 0 0 {}%)", split.get())/>
                            <div class="split-line" style:left=move || format!("{}%", split.get()) aria-hidden="true"></div>
                        </div>
                    }.into_any(),
                    Mode::Overlay => view! {
                        <div class="stack">
                            <img src=before_src.clone() alt="The earlier screenshot" style:width=width/>
                            <img src=after_src.clone() alt="The later screenshot, overlaid" class="top" style:width=width
                                style:opacity=move || format!("{:.2}", opacity.get() as f64 / 100.0)/>
                        </div>
                    }.into_any(),
                    Mode::Diff => view! {
                        <div class="stack">
                            <img src=diff_src.clone() alt="Changed pixels in magenta over a faded copy of the later screenshot" style:width=width/>
                        </div>
                    }.into_any(),
                }}}
            </div>
        </section>
        <section class="card compare-review" aria-label="Your verdict">
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
            {after.team_review.clone().map(|r| review_line(r, "team"))}
            {after.review.clone().map(|r| review_line(r, "client"))}
            <div class="chips">
                <button type="button" class="approve" on:click=move |_| send(true)>"Approve (a)"</button>
                <button type="button" class="request" on:click=move |_| asking.set(true)>"Request changes (r)"</button>
            </div>
            {move || asking.get().then(|| view! {
                <form class="ask-changes" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); send(false); }>
                    <label for="compare-comment">"What should change"</label>
                    <textarea id="compare-comment" rows="2" required autofocus bind:value=comment></textarea>
                    <button type="submit" class="request">"Send the request"</button>
                </form>
            })}
        </section>
        <section class="card keys" aria-labelledby="keys-title">
            <h2 id="keys-title">"Keyboard shortcuts"</h2>
            <dl class="keys-list">
                {KEYS.iter().map(|(k, what)| view! { <dt><kbd>{*k}</kbd></dt> <dd>{*what}</dd> }).collect_view()}
            </dl>
        </section>
    }
}
