//! A project's Watch page: scheduled check runs of each environment after launch, with the
//! launch window.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use crate::components::{fmt_time, ErrorBox, LoadError};
use crate::model::{DeliveryView, Every, HookFormat, NotifySettings, RuleSetting, Schedule, ScheduleInput, WatchView, Webhook, WebhookInput, RULES, WEEKDAYS};
use crate::pages::scope::ProjectNav;
use crate::server_fns::{delete_webhook, error_text, get_watch, retry_delivery, rotate_webhook_secret, save_webhook, set_notify_rule, set_schedule};

#[component]
pub fn WatchPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    // Changes to rules, webhooks and deliveries read the page's data again.
    let reload = RwSignal::new(0u32);
    let data = crate::components::resource(move || (id(), reload.get()), |(id, _)| get_watch(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the schedules…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <Watch view=v reload/> }.into_any(),
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
fn Watch(view: WatchView, reload: RwSignal<u32>) -> impl IntoView {
    let WatchView { project_id, project_name, time_zone, launch_at, now, schedules, notify } = view;
    view! {
        <Title text=format!("Watch · {project_name}")/>
        <div class="page-head">
            <div>
                <p class="crumbs"><A href="/">"Projects"</A> " / " <A href=format!("/projects/{project_id}")>{project_name.clone()}</A></p>
                <h1>"Watch"</h1>
                <p class="muted">
                    "Scheduled check runs keep looking at each environment after launch. Times are in the project's time zone, "
                    <strong>{time_zone.clone()}</strong> " (change it in " <A href=format!("/projects/{project_id}/edit")>"Edit project"</A> ")."
                    {launch_at.map(|t| view! { <span class="launch-at">{format!(" The launch window opens at the launch time: {}.", fmt_time(t))}</span> })}
                </p>
            </div>
        </div>
        <ProjectNav project_id current="watch"/>
        {schedules.is_empty().then(|| view! { <p class="card muted">"The project has no environments yet: add one with its URL (" <A href=format!("/projects/{project_id}/edit")>"Edit project"</A> ") to schedule checks."</p> })}
        {schedules.into_iter().map(|s| view! { <ScheduleCard schedule=s now/> }).collect_view()}
        <NotifyCards settings=notify reload/>
    }
}

/// Rules, webhooks and deliveries of the project.
#[component]
fn NotifyCards(settings: NotifySettings, reload: RwSignal<u32>) -> impl IntoView {
    let NotifySettings { project_id, rules, webhooks, deliveries } = settings;
    let error = RwSignal::new(None::<String>);
    let secret = RwSignal::new(None::<(String, String)>);
    let bump = move || reload.update(|n| *n += 1);
    view! {
        <section class="card" aria-labelledby="rules-title">
            <h2 id="rules-title">"What is worth telling"</h2>
            <p class="muted">"Everyone on the team sees these in their notifications (the bell); assignments and due dates go to the person concerned. Webhooks below get them too."</p>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
            <ul class="plain">
                {rules.into_iter().map(|r| view! { <RuleToggle project_id rule=r error/> }).collect_view()}
            </ul>
        </section>
        <section class="card" aria-labelledby="hooks-title">
            <h2 id="hooks-title">"Webhooks"</h2>
            <p class="muted">
                "Each event is POSTed as JSON, signed: " <code>"X-Preflight-Signature: sha256=HMAC-SHA256(secret, body)"</code>
                ", with " <code>"X-Preflight-Delivery"</code> " as its idempotency key (the same on every retry). Slack, Microsoft Teams and Discord formats post a line of text."
            </p>
            {move || secret.get().map(|(url, s)| view! {
                <div class="alert ok" role="status">
                    <p>{format!("The signing secret of the webhook to {url} — copy it now, it is not shown again:")}</p>
                    <p class="secret-once">{s}</p>
                </div>
            })}
            <ul class="plain">
                {webhooks.into_iter().map(|w| view! { <HookRow hook=w error secret reload/> }).collect_view()}
            </ul>
            <NewHook project_id error secret reload/>
        </section>
        <section class="card" aria-labelledby="deliveries-title">
            <h2 id="deliveries-title">"Deliveries"</h2>
            {deliveries.is_empty().then(|| view! { <p class="muted">"Nothing sent yet."</p> })}
            {(!deliveries.is_empty()).then(|| view! {
                <table class="delivery-list">
                    <thead><tr><th>"When"</th><th>"Event"</th><th>"To"</th><th>"Status"</th><th>"Tries"</th><th>"Last error"</th><th></th></tr></thead>
                    <tbody>
                        {deliveries.into_iter().map(|d| view! { <DeliveryRow d error bump/> }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

#[component]
fn RuleToggle(project_id: i64, rule: RuleSetting, error: RwSignal<Option<String>>) -> impl IntoView {
    let on = RwSignal::new(rule.enabled);
    let id = rule.rule.clone();
    let toggle = move |_| {
        let (id, want) = (id.clone(), !on.get_untracked());
        leptos::task::spawn_local(async move {
            match set_notify_rule(project_id, id, want).await {
                Ok(_) => on.set(want),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    view! {
        <li>
            <label class="check">
                <input type="checkbox" prop:checked=move || on.get() on:change=toggle/>
                <span><strong>{rule.title}</strong> <span class="muted">{format!(" — {}", rule.description)}</span></span>
            </label>
        </li>
    }
}

fn format_label(f: HookFormat) -> &'static str {
    match f {
        HookFormat::Json => "Preflight JSON",
        HookFormat::Slack => "Slack",
        HookFormat::Teams => "Microsoft Teams",
        HookFormat::Discord => "Discord",
    }
}

#[component]
fn HookRow(hook: Webhook, error: RwSignal<Option<String>>, secret: RwSignal<Option<(String, String)>>, reload: RwSignal<u32>) -> impl IntoView {
    let id = hook.id;
    let url = hook.url.clone();
    let remove = move |_| {
        leptos::task::spawn_local(async move {
            match delete_webhook(id).await {
                Ok(()) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let rotate = move |_| {
        let url = url.clone();
        leptos::task::spawn_local(async move {
            match rotate_webhook_secret(id).await {
                Ok(w) => secret.set(w.secret.map(|s| (url, s))),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let rules = if hook.rules.is_empty() { "every event".to_string() } else { hook.rules.join(", ") };
    view! {
        <li class="hook">
            <strong>{if hook.name.is_empty() { hook.url.clone() } else { hook.name.clone() }}</strong>
            {(!hook.active).then(|| view! { " " <span class="chip stale">"paused"</span> })}
            <div class="muted small">{format!("{} · {} · {rules}", hook.url, format_label(hook.format))}</div>
            <div class="inline-form">
                <button type="button" class="small" on:click=rotate>"New secret"</button>
                <button type="button" class="small danger" on:click=remove>"Remove"</button>
            </div>
        </li>
    }
}

#[component]
fn NewHook(project_id: i64, error: RwSignal<Option<String>>, secret: RwSignal<Option<(String, String)>>, reload: RwSignal<u32>) -> impl IntoView {
    let (name, url, format) = (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new("json".to_string()));
    let chosen: Vec<(&'static str, RwSignal<bool>)> = RULES.iter().map(|r| (r.0, RwSignal::new(false))).collect();
    let picked = chosen.clone();
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = WebhookInput {
            name: name.get_untracked(),
            url: url.get_untracked(),
            format: HookFormat::parse(&format.get_untracked()).unwrap_or_default(),
            rules: picked.iter().filter(|(_, on)| on.get_untracked()).map(|(r, _)| r.to_string()).collect(),
            active: true,
        };
        leptos::task::spawn_local(async move {
            match save_webhook(project_id, None, input).await {
                Ok(w) => {
                    secret.set(w.secret.clone().map(|s| (w.url.clone(), s)));
                    url.set(String::new());
                    name.set(String::new());
                    error.set(None);
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    view! {
        <form class="form inline-grid" on:submit=add>
            <h3>"Add a webhook"</h3>
            <label>"Address" <input type="url" required bind:value=url placeholder="https://hooks.slack.com/services/…"/></label>
            <label>"Name" <input type="text" bind:value=name placeholder="#launch channel"/></label>
            <label>"Format"
                <select prop:value=move || format.get() on:change=move |ev| format.set(event_target_value(&ev))>
                    {[HookFormat::Json, HookFormat::Slack, HookFormat::Teams, HookFormat::Discord].into_iter()
                        .map(|f| view! { <option value=f.as_str()>{format_label(f)}</option> }).collect_view()}
                </select>
            </label>
            <fieldset class="wide">
                <legend>"Events (none ticked: every event)"</legend>
                {chosen.into_iter().map(|(r, on)| view! {
                    <label class="check"><input type="checkbox" bind:checked=on/> <span>{crate::model::rule_title(r).to_string()}</span></label>
                }).collect_view()}
            </fieldset>
            <div class="actions"><button type="submit" class="primary">"Add webhook"</button></div>
        </form>
    }
}

#[component]
fn DeliveryRow(d: DeliveryView, error: RwSignal<Option<String>>, bump: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let id = d.id;
    let retry = move |_| {
        leptos::task::spawn_local(async move {
            match retry_delivery(id).await {
                Ok(()) => bump(),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let status_class = match d.status.as_str() {
        "sent" => "chip pass",
        "failed" => "chip fail",
        _ => "chip",
    };
    view! {
        <tr>
            <td>{fmt_time(d.created_at)}</td>
            <td>{crate::model::rule_title(&d.rule).to_string()} <div class="muted small">{d.subject.clone()}</div></td>
            <td class="small">{d.target.clone()}</td>
            <td><span class=status_class>{d.status.clone()}</span>
                {d.next_attempt_at.map(|t| view! { <div class="muted small">{format!("next try {}", fmt_time(t))}</div> })}</td>
            <td>{d.attempts}</td>
            <td class="err small">{d.last_error.clone()}</td>
            <td>{(d.status == "failed").then(|| view! { <button type="button" class="small" on:click=retry>"Send again"</button> })}</td>
        </tr>
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
                            Some(("chip stale", "paused"))
                        } else if c.in_launch_window {
                            Some(("chip pass", "launch window running"))
                        } else {
                            None
                        };
                        let next = match c.next_at {
                            Some(t) => format!("Next run {} ({}).", until(t, now), fmt_time(t)),
                            None if c.settings.paused => "Nothing runs until it is resumed.".into(),
                            None => "Nothing scheduled.".into(),
                        };
                        let last = c.last_slot_at.map(|t| format!("Last slot {}: {}", fmt_time(t), c.last_outcome));
                        view! {
                            {state.map(|(class, text)| view! { <span class=class>{text}</span> })}
                            <strong class="schedule-says">{c.description.clone()}</strong>
                            <span class="muted schedule-next">{next}</span>
                            {last.map(|l| view! { <span class="muted small schedule-last">{l}</span> })}
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
                    <label class="check inline"><input type="radio" name=field("light") prop:checked=move || light.get() on:change=move |_| light.set(true)/>
                        " Light: HTTP checks only, at most "
                        <input type="number" class="narrow" min="1" max="5000" bind:value=budget aria-label="Page budget"/> " pages"</label>
                </fieldset>
                <fieldset class="wide">
                    <legend>"Launch window"</legend>
                    <label class="check inline"><input type="checkbox" bind:checked=window/>
                        " From the launch time, run every "
                        <input type="number" class="narrow" min="5" max="720" bind:value=window_minutes aria-label="Minutes between runs in the launch window"/>
                        " minutes for "
                        <input type="number" class="narrow" min="1" max="336" bind:value=window_hours aria-label="Hours the launch window lasts"/>
                        " hours, then go back to the schedule above"</label>
                </fieldset>
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>"Save schedule"</button>
                    <button type="button" disabled=move || busy.get() on:click=move |_| {
                        if current.with_untracked(|c| c.settings.paused) {
                            save(false, "Resumed: the next slot is planned from now.")
                        } else {
                            save(true, "Paused: nothing runs until you resume.")
                        }
                    }>{move || if current.with(|c| c.settings.paused) { "Resume" } else { "Pause" }}</button>
                </div>
            </form>
        </section>
    }
}
