//! A run's page quality: every page at every viewport with its vitals drawn against their
//! budgets, the accessibility rules it fails (marked on its screenshot on request), and the
//! environment's trend over its recent runs.

use leptos::prelude::*;

use crate::components::LoadError;
use crate::model::{PageMetrics, PageQuality, QualityBudget, RunQuality, TrendPoint};
use crate::pages::gallery::short;
use crate::server_fns::get_run_quality;

/// The page-quality section of run `run_id`; bump `refresh` to fetch it again.
#[component]
pub fn RunQualitySection(run_id: i64, refresh: RwSignal<u32>) -> impl IntoView {
    let data = crate::components::resource(move || (run_id, refresh.get()), |(id, _)| get_run_quality(id));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(q) if q.pages.is_empty() => ().into_any(),
                    Ok(q) => view! { <QualityView quality=q/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// How a value stands against its budget: within, over, or past the "poor" line.
fn standing(value: f64, budget: f64, poor: f64) -> &'static str {
    if value <= budget {
        "ok"
    } else if value <= poor.max(budget) {
        "over"
    } else {
        "poor"
    }
}

fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1} s", v / 1000.0)
    } else {
        format!("{v:.0} ms")
    }
}

fn kb(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / 1024.0 / 1024.0)
    } else {
        format!("{:.0} KB", bytes as f64 / 1024.0)
    }
}

/// One metric in a table cell: its value, and a bar that fills at the budget and runs to twice
/// it, coloured by where it stands.
fn metric_cell(value: Option<f64>, budget: Option<&QualityBudget>, poor: f64, text: impl Fn(f64) -> String) -> impl IntoView {
    match (value, budget) {
        (Some(v), Some(b)) => {
            let class = standing(v, b.value, poor);
            // SVG, not a style attribute: the app's Content Security Policy allows no inline styles.
            let width = format!("{:.1}", (v / b.value / 2.0).clamp(0.02, 1.0) * 100.0);
            let tip = format!("{} against a budget of {}", text(v), text(b.value));
            view! {
                <td class=format!("metric {class}") title=tip>
                    <span class="value">{text(v)}</span>
                    <svg class="bar" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">
                        <rect class="track" width="100" height="6" rx="3"></rect>
                        <rect class="fill" width=width height="6" rx="3"></rect>
                        <line class="budget-line" x1="50" x2="50" y1="0" y2="6"></line>
                    </svg>
                </td>
            }
            .into_any()
        }
        (Some(v), None) => view! { <td class="metric">{text(v)}</td> }.into_any(),
        (None, _) => view! { <td class="metric muted" title="The browser did not report it for this page">"—"</td> }.into_any(),
    }
}

#[component]
fn QualityView(quality: RunQuality) -> impl IntoView {
    let RunQuality { pages, budgets, trend, .. } = quality;
    let budget = |m: &str| budgets.iter().find(|b| b.metric == m).cloned();
    let (lcp, cls, tbt, fcp) = (budget("lcp"), budget("cls"), budget("tbt"), budget("fcp"));
    let total = budget("total");
    let summary: Vec<String> = budgets
        .iter()
        .map(|b| match b.unit.as_str() {
            "ms" => format!("{} {}", b.label, ms(b.value)),
            "KB" => format!("{} {}", b.label, kb((b.value * 1024.0) as u64)),
            _ => format!("{} {}", b.label, b.value),
        })
        .collect();
    let rules = by_rule(&pages);
    let checked = pages.iter().filter(|p| p.a11y_error.is_none()).count();
    let marked = RwSignal::new(None::<usize>);
    let pages = StoredValue::new(pages);
    view! {
        <section class="card quality" aria-labelledby="quality-title">
            <h2 id="quality-title">"Page quality"</h2>
            <p class="muted small">"Measured in Chromium on every page at every viewport. Budgets: " {summary.join(" · ")} "."</p>
            {(trend.len() >= 2).then(|| view! { <Trend points=trend.clone()/> })}
            <div class="table-scroll">
                <table class="table quality-table">
                    <caption class="visually-hidden">"Timing, transfer and accessibility of each page at each viewport"</caption>
                    <thead><tr>
                        <th scope="col">"Page"</th><th scope="col">"Viewport"</th>
                        <th scope="col"><abbr title="Largest Contentful Paint">"LCP"</abbr></th>
                        <th scope="col"><abbr title="Cumulative Layout Shift">"CLS"</abbr></th>
                        <th scope="col"><abbr title="Total Blocking Time">"TBT"</abbr></th>
                        <th scope="col"><abbr title="First Contentful Paint">"FCP"</abbr></th>
                        <th scope="col">"Transfer"</th><th scope="col">"Accessibility"</th>
                    </tr></thead>
                    <tbody>
                        {pages.get_value().into_iter().enumerate().map(|(i, p)| {
                            let m: PageMetrics = p.metrics.clone().unwrap_or_default();
                            let has = p.metrics.is_some();
                            let a11y = match (&p.a11y_error, p.a11y.len()) {
                                (Some(e), _) => view! { <span class="chip skipped" title=e.clone()>"not checked"</span> }.into_any(),
                                (None, 0) => view! { <span class="chip pass">"no issues"</span> }.into_any(),
                                (None, n) => {
                                    let label = format!("{n} rule{}", if n == 1 { "" } else { "s" });
                                    match p.screenshot_id {
                                        Some(_) => view! {
                                            <button type="button" class="small" aria-expanded=move || (marked.get() == Some(i)).to_string()
                                                on:click=move |_| marked.update(|v| *v = if *v == Some(i) { None } else { Some(i) })>
                                                {label} " · show on screenshot"
                                            </button>
                                        }.into_any(),
                                        None => view! { <span class="chip fail">{label}</span> }.into_any(),
                                    }
                                }
                            };
                            view! {
                                <tr>
                                    <th scope="row"><a href=p.url.clone() target="_blank" rel="noopener noreferrer" title=p.url.clone()>
                                        {if p.title.is_empty() { short(&p.url) } else { format!("{} ({})", p.title, short(&p.url)) }}
                                    </a></th>
                                    <td>{p.viewport.clone()} {m.throttled.then(|| view! { " " <span class="chip" title="Loaded as a mid-range phone on a slow network: 4× slower CPU, 1.6 Mbit/s, 150 ms round trips">"throttled"</span> })}</td>
                                    {metric_cell(m.lcp_ms.filter(|_| has), lcp.as_ref(), 4000.0, ms)}
                                    {metric_cell(has.then_some(m.cls), cls.as_ref(), 0.25, |v| format!("{v:.3}"))}
                                    {metric_cell(has.then_some(m.tbt_ms), tbt.as_ref(), 600.0, ms)}
                                    {metric_cell(m.fcp_ms.filter(|_| has), fcp.as_ref(), 3000.0, ms)}
                                    {metric_cell(has.then_some(m.bytes.total() as f64), total.as_ref(), f64::MAX, |v| kb(v as u64))}
                                    <td>{a11y}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {move || marked.get().and_then(|i| pages.with_value(|p| p.get(i).cloned())).map(|p| view! { <Marks page=p/> })}
            <h3>"Accessibility by rule"</h3>
            {if rules.is_empty() {
                view! { <p class="muted">{format!("axe-core found no issues on the {checked} page view(s) it checked.")}</p> }.into_any()
            } else {
                view! {
                    <ul class="a11y-rules">
                        {rules.into_iter().map(|(check, impact, views)| view! {
                            <li>
                                <span class=format!("chip impact-{impact}")>{impact.clone()}</span> " "
                                <code>{check.clone()}</code> " "
                                <span class="muted small">{views.join(", ")}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// Rules failed anywhere in the run, worst impact first: (check, impact, "page @ viewport (n)").
fn by_rule(pages: &[PageQuality]) -> Vec<(String, String, Vec<String>)> {
    let rank = |impact: &str| ["critical", "serious", "moderate", "minor"].iter().position(|i| *i == impact).unwrap_or(4);
    let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
    for p in pages {
        for i in &p.a11y {
            let at = format!("{} @ {} ({})", short(&p.url), p.viewport, i.count);
            match out.iter_mut().find(|(c, _, _)| *c == i.check) {
                Some(entry) => {
                    entry.2.push(at);
                    if rank(&i.impact) < rank(&entry.1) {
                        entry.1 = i.impact.clone();
                    }
                }
                None => out.push((i.check.clone(), i.impact.clone(), vec![at])),
            }
        }
    }
    out.sort_by(|a, b| rank(&a.1).cmp(&rank(&b.1)).then_with(|| b.2.len().cmp(&a.2.len())).then_with(|| a.0.cmp(&b.0)));
    out
}

/// A page's screenshot with its failing elements outlined and numbered, and the list of them;
/// issues of the whole page (no landmark, no language) or without a place are listed apart.
#[component]
fn Marks(page: PageQuality) -> impl IntoView {
    let Some(id) = page.screenshot_id else { return ().into_any() };
    let (w, h) = (page.css_width.max(1) as f64, page.css_height.max(1) as f64);
    let mut placed: Vec<(String, String, [f64; 4])> = Vec::new();
    let mut apart: Vec<(String, String)> = Vec::new();
    for issue in &page.a11y {
        for n in &issue.nodes {
            match n.rect {
                // Within the screenshot and smaller than most of the page.
                Some(r) if r[1] < h && r[2] * r[3] < 0.6 * w * h => placed.push((issue.check.clone(), n.target.clone(), r)),
                _ => apart.push((issue.check.clone(), n.target.clone())),
            }
        }
    }
    // Large boxes first, so the small ones (and their numbers) are drawn on top of them.
    placed.sort_by(|a, b| (b.2[2] * b.2[3]).total_cmp(&(a.2[2] * a.2[3])));
    // One box per place; elements at the same place share it ("3, 4").
    let mut spots: Vec<([f64; 4], Vec<usize>)> = Vec::new();
    for (k, (_, _, r)) in placed.iter().enumerate() {
        match spots.iter_mut().find(|(at, _)| at.iter().zip(r).all(|(a, b)| (a - b).abs() < 1.0)) {
            Some((_, ks)) => ks.push(k + 1),
            None => spots.push((*r, vec![k + 1])),
        }
    }
    // The marks are an SVG in the page's own coordinates laid over the screenshot.
    let label = (w / 70.0).max(12.0);
    view! {
        <figure class="a11y-marks">
            <figcaption>{format!("{} at {}: {} element(s) marked", short(&page.url), page.viewport, placed.len())}</figcaption>
            <div class="marked-shot">
                <img src=format!("/screenshots/{id}") alt=format!("Screenshot of {} at {}", short(&page.url), page.viewport)/>
                <svg class="marks" viewBox=format!("0 0 {w} {h}") preserveAspectRatio="none" aria-hidden="true">
                    {spots.into_iter().map(|(r, ks)| view! {
                        <g class="mark">
                            <rect x=format!("{:.1}", r[0]) y=format!("{:.1}", r[1]) width=format!("{:.1}", r[2].max(4.0)) height=format!("{:.1}", r[3].max(4.0))></rect>
                            <text x=format!("{:.1}", r[0] + 2.0) y=format!("{:.1}", r[1] + label) font-size=format!("{label:.0}")>
                                {ks.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", ")}
                            </text>
                        </g>
                    }).collect_view()}
                </svg>
            </div>
            <ol class="mark-list">
                {placed.into_iter().map(|(check, target, _)| view! { <li><code>{check}</code> " " <code class="muted">{target}</code></li> }).collect_view()}
            </ol>
            {(!apart.is_empty()).then(|| view! {
                <p class="muted small">"Not marked (the whole page, or no place on the screenshot):"</p>
                <ul class="mark-list">
                    {apart.into_iter().map(|(check, target)| view! { <li><code>{check}</code> " " <code class="muted">{target}</code></li> }).collect_view()}
                </ul>
            })}
        </figure>
    }
    .into_any()
}

/// The environment's recent runs: the worst LCP (line) and the accessibility issues (bars).
#[component]
fn Trend(points: Vec<TrendPoint>) -> impl IntoView {
    let (w, h, pad) = (320.0_f64, 70.0_f64, 4.0_f64);
    let n = points.len().max(2) as f64;
    let x = move |i: usize| pad + i as f64 * (w - 2.0 * pad) / (n - 1.0);
    let max_lcp = points.iter().filter_map(|p| p.lcp_ms).fold(1.0_f64, f64::max);
    let max_a11y = points.iter().map(|p| p.a11y_issues).max().unwrap_or(0).max(1) as f64;
    let line: Vec<String> =
        points.iter().enumerate().filter_map(|(i, p)| p.lcp_ms.map(|v| format!("{:.1},{:.1}", x(i), h - pad - v / max_lcp * (h - 2.0 * pad)))).collect();
    let last = points.last().cloned();
    let first = points.first().cloned();
    let describe = match (first, last) {
        (Some(f), Some(l)) => format!(
            "Over the last {} runs of this environment: worst LCP {} → {}; accessibility issues {} → {}.",
            points.len(),
            f.lcp_ms.map(ms).unwrap_or("—".into()),
            l.lcp_ms.map(ms).unwrap_or("—".into()),
            f.a11y_issues,
            l.a11y_issues
        ),
        _ => String::new(),
    };
    view! {
        <figure class="trend">
            <svg viewBox=format!("0 0 {w} {h}") width=w.to_string() height=h.to_string() role="img" aria-label=describe.clone()>
                {points.iter().enumerate().map(|(i, p)| {
                    let bh = p.a11y_issues as f64 / max_a11y * (h - 2.0 * pad) * 0.6;
                    view! { <rect class="trend-bar" x=format!("{:.1}", x(i) - 3.0) y=format!("{:.1}", h - pad - bh) width="6" height=format!("{bh:.1}")></rect> }
                }).collect_view()}
                <polyline class="trend-line" points=line.join(" ")/>
            </svg>
            <figcaption class="muted small">{describe} " " <span class="legend-line">"— worst LCP"</span> " " <span class="legend-bar">"▮ accessibility issues"</span></figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stand_against_budget_and_poor_lines() {
        assert_eq!(standing(2000.0, 2500.0, 4000.0), "ok");
        assert_eq!(standing(3000.0, 2500.0, 4000.0), "over");
        assert_eq!(standing(5000.0, 2500.0, 4000.0), "poor");
        assert_eq!(standing(5000.0, 6000.0, 4000.0), "ok", "a looser budget than the poor line");
        assert_eq!((ms(250.0).as_str(), ms(2500.0).as_str(), kb(1536).as_str()), ("250 ms", "2.5 s", "2 KB"));
    }
}
