//! A project's Watch page: scheduled check runs of each environment after launch, with the
//! launch window.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use crate::components::{fmt_time, ErrorBox, LoadError};
use crate::model::{Every, Schedule, ScheduleInput, WatchView, WEEKDAYS};
use crate::pages::scope::ProjectNav;
use crate::server_fns::{error_text, get_watch, set_schedule};

#[component]
pub fn WatchPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let data = Resource::new(id, get_watch);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the schedules…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <Watch view=v/> }.into_any(),
                    Err(e) => view! { <Title text="Watch"/> <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// "in 12 minutes", "in 3 hours", "in 2 days" — or the time when it is further away.
fn until(t: i64, now: i64) -> String {
    let d = t - now;
    match d {
        ..=59 => "in less than a minute".into(),
        60..=5_399 => format!("in {} minutes", (d + 30) / 60),
        5_400..=129_599 => format!("in {} hours", (d + 1_800) / 3_600),
        _ => fmt_time(t),
    }
}

#[component]
fn Watch(view: WatchView) -> impl IntoView {
    let WatchView { project_id, project_name, time_zone, launch_at, now, schedules } = view;
    view! {
        <Title text=format!("Watch · {project_name}")/>
        <div class="page-head">
            <div>
                <p class="crumbs"><A href="/">"Projects"</A> " / " <A href=format!("/projects/{project_id}")>{project_name.clone()}</A></p>
                <h1>"Watch"</h1>
                <p class="muted">
                    "Scheduled check runs keep looking at each environment after launch. Times are in the project's time zone, "
                    <strong>{time_zone.clone()}</strong> " (change it in " <A href=format!("/projects/{project_id}/edit")>"Edit project"</A> ")."
                    {launch_at.map(|t| format!(" The launch window opens at the launch time: {}.", fmt_time(t)))}
                </p>
            </div>
        </div>
        <ProjectNav project_id current="watch"/>
        {schedules.is_empty().then(|| view! { <p class="card muted">"The project has no environments yet: add one with its URL (Edit project) to schedule checks."</p> })}
        {schedules.into_iter().map(|s| view! { <ScheduleCard schedule=s now/> }).collect_view()}
    }
}

fn opt_num(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

#[component]
fn ScheduleCard(schedule: Schedule, now: i64) -> impl IntoView {
    let env_id = schedule.environment_id;
    let current = RwSignal::new(schedule.clone());
    let s = schedule.settings;
    let every = RwSignal::new(s.every.as_str().to_string());
    let interval = RwSignal::new(s.interval_minutes.unwrap_or(60).to_string());
    let at = RwSignal::new(s.at.clone().unwrap_or_else(|| "09:00".into()));
    let weekday = RwSignal::new(s.weekday.clone().unwrap_or_else(|| "monday".into()));
    let cron = RwSignal::new(s.cron.clone().unwrap_or_default());
    let light = RwSignal::new(s.light);
    let budget = RwSignal::new(s.page_budget.unwrap_or(20).to_string());
    let window = RwSignal::new(s.launch_window);
    let window_minutes = RwSignal::new(s.window_minutes.to_string());
    let window_hours = RwSignal::new(s.window_hours.to_string());
    let (error, saved, busy) = (RwSignal::new(None::<String>), RwSignal::new(None::<String>), RwSignal::new(false));
    let input = move |paused: bool| ScheduleInput {
        every: Every::parse(&every.get_untracked()).unwrap_or_default(),
        interval_minutes: opt_num(&interval.get_untracked()),
        at: Some(at.get_untracked()),
        weekday: Some(weekday.get_untracked()),
        cron: Some(cron.get_untracked()),
        light: light.get_untracked(),
        page_budget: opt_num(&budget.get_untracked()),
        launch_window: window.get_untracked(),
        window_minutes: opt_num(&window_minutes.get_untracked()).unwrap_or(0),
        window_hours: opt_num(&window_hours.get_untracked()).unwrap_or(0),
        paused,
    };
    let save = move |paused: bool, what: &'static str| {
        busy.set(true);
        let body = input(paused);
        leptos::task::spawn_local(async move {
            match set_schedule(env_id, body).await {
                Ok(fresh) => {
                    current.set(fresh);
                    error.set(None);
                    saved.set(Some(what.to_string()));
                }
                Err(e) => {
                    saved.set(None);
                    error.set(Some(error_text(&e)));
                }
            }
            busy.set(false);
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save(current.get_untracked().settings.paused, "Schedule saved.");
    };
    let shown = move |kinds: &'static [&'static str]| move || kinds.contains(&every.get().as_str());
    let heading = format!("{} schedule", schedule.environment);
    let field = |name: &str| format!("sched-{env_id}-{name}");
    view! {
        <section class="card schedule" aria-label=heading.clone()>
            <div class="runs-head">
                <h2>{schedule.environment.clone()}</h2>
                <p class="schedule-now" role="status">
                    {move || current.with(|c| {
                        let state = if c.settings.paused {
                            view! { <span class="chip stale">"paused"</span> }.into_any()
                        } else if c.in_launch_window {
                            view! { <span class="chip pass">"launch window running"</span> }.into_any()
                        } else {
                            ().into_any()
                        };
                        let next = match c.next_at {
                            Some(t) => format!("Next run {} ({}).", until(t, now), fmt_time(t)),
                            None if c.settings.paused => "Nothing runs until it is resumed.".into(),
                            None => "Nothing scheduled.".into(),
                        };
                        view! {
                            {state} " " <strong>{c.description.clone()}</strong> <br/>
                            <span class="muted">{next}</span>
                            {c.last_slot_at.map(|t| view! { <br/> <span class="muted small">{format!("Last slot {}: {}", fmt_time(t), c.last_outcome)}</span> })}
                        }
                    })}
                </p>
            </div>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
            {move || saved.get().map(|m| view! { <p class="alert ok" role="status">{m}</p> })}
            <form class="form inline-grid" on:submit=submit>
                <label for=field("every")>"Runs"
                    <select id=field("every") prop:value=move || every.get() on:change=move |ev| every.set(event_target_value(&ev))>
                        <option value="off">"Off"</option>
                        <option value="interval">"Every N minutes"</option>
                        <option value="daily">"Daily"</option>
                        <option value="weekly">"Weekly"</option>
                        <option value="cron">"Cron expression"</option>
                    </select>
                </label>
                <Show when=shown(&["interval"])>
                    <label>"Minutes between runs" <input type="number" min="5" max="10080" bind:value=interval/></label>
                </Show>
                <Show when=shown(&["weekly"])>
                    <label>"Day"
                        <select prop:value=move || weekday.get() on:change=move |ev| weekday.set(event_target_value(&ev))>
                            {WEEKDAYS.iter().map(|d| view! { <option value=*d>{d[..1].to_uppercase() + &d[1..]}</option> }).collect_view()}
                        </select>
                    </label>
                </Show>
                <Show when=shown(&["daily", "weekly"])>
                    <label>"At" <input type="time" bind:value=at/></label>
                </Show>
                <Show when=shown(&["cron"])>
                    <label class="wide">"Cron (minute hour day month weekday)"
                        <input type="text" bind:value=cron placeholder="*/30 8-18 * * 1-5" spellcheck="false" autocomplete="off"/>
                    </label>
                </Show>
                <fieldset class="wide">
                    <legend>"Kind of run"</legend>
                    <label class="check"><input type="radio" name=field("light") prop:checked=move || !light.get() on:change=move |_| light.set(false)/>
                        " Full: every check, browser screenshots included"</label>
                    <label class="check"><input type="radio" name=field("light") prop:checked=move || light.get() on:change=move |_| light.set(true)/>
                        " Light: HTTP checks only, at most "
                        <input type="number" class="narrow" min="1" max="5000" bind:value=budget aria-label="Page budget"/> " pages"</label>
                </fieldset>
                <fieldset class="wide">
                    <legend>"Launch window"</legend>
                    <label class="check"><input type="checkbox" bind:checked=window/>
                        " From the launch time, run every "
                        <input type="number" class="narrow" min="5" max="720" bind:value=window_minutes aria-label="Minutes between runs in the launch window"/>
                        " minutes for "
                        <input type="number" class="narrow" min="1" max="336" bind:value=window_hours aria-label="Hours the launch window lasts"/>
                        " hours, then go back to the schedule above"</label>
                </fieldset>
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>"Save schedule"</button>
                    {move || if current.with(|c| c.settings.paused) {
                        view! { <button type="button" disabled=move || busy.get() on:click=move |_| save(false, "Resumed: the next slot is planned from now.")>"Resume"</button> }.into_any()
                    } else {
                        view! { <button type="button" disabled=move || busy.get() on:click=move |_| save(true, "Paused: nothing runs until you resume.")>"Pause"</button> }.into_any()
                    }}
                </div>
            </form>
        </section>
    }
}
