//! Creating and editing a project: name, client, launch date and time, environments and
//! the contact details the content checks will expect.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::{ErrorBox, LoadError};
use crate::model::{Credentials, EnvKind, Environment, Project, ProjectInput, RunSettings, DEFAULT_VIEWPORTS};

/// The standard viewports, with what the form says about them.
const STANDARD_VIEWPORTS: [(&str, &str); 4] = [
    ("desktop", "Desktop 1440×900"),
    ("old-ie", "Old IE emulation 1024×768 (IE 11 user agent — catches sniffing and old-browser pages, not IE's engine)"),
    ("ipad", "iPad 768×1024 @2×, touch"),
    ("phone", "Phone 390×844 @3×, touch"),
];
use crate::server_fns::{error_text, get_project, import_old_urls, save_project, set_credentials};

#[component]
pub fn NewProjectPage() -> impl IntoView {
    view! {
        <Title text="New project"/>
        <h1>"New project"</h1>
        <ProjectForm project=None/>
    }
}

#[component]
pub fn EditProjectPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let project = crate::components::resource(id, get_project);
    view! {
        <Title text="Edit project"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match project.await {
                    Ok(p) => view! { <h1>"Edit " {p.name.clone()}</h1> <ProjectForm project=Some(p)/> }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One editable environment row.
#[derive(Clone, Copy)]
struct EnvRow {
    key: usize,
    id: Option<i64>,
    name: RwSignal<String>,
    kind: RwSignal<String>,
    base_url: RwSignal<String>,
    resolve_ip: RwSignal<String>,
    /// "" (by kind), "yes" or "no".
    submit_forms: RwSignal<String>,
    old_urls: RwSignal<String>,
    max_pages: RwSignal<String>,
    max_depth: RwSignal<String>,
    deadline: RwSignal<String>,
    external: RwSignal<bool>,
    markers: RwSignal<String>,
    nameserver: RwSignal<String>,
    /// What may be shown of the saved credentials ("HTTP basic authentication as …").
    credentials: RwSignal<Option<String>>,
}

impl EnvRow {
    fn new(key: usize, e: &Environment) -> Self {
        EnvRow {
            key,
            id: e.id,
            name: RwSignal::new(e.name.clone()),
            kind: RwSignal::new(e.kind.unwrap_or_else(|| EnvKind::infer(&e.name)).as_str().to_string()),
            base_url: RwSignal::new(e.base_url.clone()),
            resolve_ip: RwSignal::new(e.resolve_ip.clone().unwrap_or_default()),
            submit_forms: RwSignal::new(match e.submit_forms {
                None => String::new(),
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
            }),
            old_urls: RwSignal::new(e.settings.old_urls.join("\n")),
            max_pages: RwSignal::new(e.settings.max_pages.map(|v| v.to_string()).unwrap_or_default()),
            max_depth: RwSignal::new(e.settings.max_depth.map(|v| v.to_string()).unwrap_or_default()),
            deadline: RwSignal::new(e.settings.deadline_secs.map(|v| v.to_string()).unwrap_or_default()),
            external: RwSignal::new(e.settings.check_external_links),
            markers: RwSignal::new(e.settings.dev_markers.join("\n")),
            nameserver: RwSignal::new(e.settings.nameserver.clone().unwrap_or_default()),
            credentials: RwSignal::new(e.credentials.clone()),
        }
    }

    fn value(&self) -> Environment {
        let ip = self.resolve_ip.get_untracked();
        Environment {
            id: self.id,
            name: self.name.get_untracked(),
            kind: EnvKind::parse(&self.kind.get_untracked()),
            base_url: self.base_url.get_untracked(),
            resolve_ip: (!ip.trim().is_empty()).then_some(ip),
            submit_forms: match self.submit_forms.get_untracked().as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            settings: RunSettings {
                old_urls: lines(&self.old_urls.get_untracked()),
                // An unreadable number is sent as 0, which the server refuses with the range.
                max_pages: number(&self.max_pages.get_untracked()),
                max_depth: number(&self.max_depth.get_untracked()),
                deadline_secs: number(&self.deadline.get_untracked()),
                check_external_links: self.external.get_untracked(),
                dev_markers: lines(&self.markers.get_untracked()),
                nameserver: Some(self.nameserver.get_untracked()).filter(|n| !n.trim().is_empty()),
            },
            ..Default::default()
        }
    }
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

/// Blank: `None` (the default); otherwise the number, or 0 when it is not one.
fn number(s: &str) -> Option<i64> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.parse().unwrap_or(0))
}

/// Offered while typing a time zone (any IANA name is accepted).
const COMMON_TIME_ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Europe/Helsinki",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
];

#[component]
fn ProjectForm(project: Option<Project>) -> impl IntoView {
    let id = project.as_ref().map(|p| p.id);
    let p = project.unwrap_or_else(|| Project {
        id: 0,
        name: String::new(),
        client: String::new(),
        launch_date: String::new(),
        launch_time: None,
        time_zone: "UTC".into(),
        environments: ["dev", "staging", "production"]
            .iter()
            .map(|n| Environment { name: n.to_string(), kind: EnvKind::parse(n), ..Default::default() })
            .collect(),
        contact_emails: vec![],
        contact_phones: vec![],
        postal_address: String::new(),
        viewports: DEFAULT_VIEWPORTS.to_string(),
        forms_listed: vec![],
        evidence_max_age_days: 7,
        phone_region: String::new(),
        analytics_ids: vec![],
        ignore_regions: vec![],
        wcag_level: crate::model::default_wcag_level(),
        a11y_ignore: vec![],
        perf_budgets: vec![],
        throttle_mobile: false,
        archived: false,
        template_version: None,
        created_at: 0,
        updated_at: 0,
    });
    let name = RwSignal::new(p.name.clone());
    let client = RwSignal::new(p.client.clone());
    let launch_date = RwSignal::new(p.launch_date.clone());
    let launch_time = RwSignal::new(p.launch_time.clone().unwrap_or_default());
    let time_zone = RwSignal::new(p.time_zone.clone());
    let emails = RwSignal::new(p.contact_emails.join("\n"));
    let phones = RwSignal::new(p.contact_phones.join("\n"));
    let address = RwSignal::new(p.postal_address.clone());
    // Browser checks: the standard viewports as checkboxes, anything else as specs.
    let listed: Vec<String> = p.viewports.split([',', ';']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    let standard: Vec<(&'static str, &'static str, RwSignal<bool>)> =
        STANDARD_VIEWPORTS.iter().map(|(n, l)| (*n, *l, RwSignal::new(listed.iter().any(|x| x == n)))).collect();
    let custom = RwSignal::new(listed.iter().filter(|x| !STANDARD_VIEWPORTS.iter().any(|(n, _)| n == x)).cloned().collect::<Vec<_>>().join("; "));
    let forms = RwSignal::new(p.forms_listed.join("\n"));
    let max_age = RwSignal::new(p.evidence_max_age_days.to_string());
    let phone_region = RwSignal::new(p.phone_region.clone());
    let analytics = RwSignal::new(p.analytics_ids.join("\n"));
    let ignore = RwSignal::new(p.ignore_regions.join("\n"));
    let wcag_level = RwSignal::new(p.wcag_level.clone());
    let a11y_ignore = RwSignal::new(p.a11y_ignore.join("\n"));
    let budgets = RwSignal::new(p.perf_budgets.join("\n"));
    let throttle = RwSignal::new(p.throttle_mobile);
    let standard_for_submit = standard.clone();
    let next_key = StoredValue::new(p.environments.len());
    let envs = RwSignal::new(p.environments.iter().enumerate().map(|(i, e)| EnvRow::new(i, e)).collect::<Vec<_>>());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let navigate = use_navigate();

    let add_env = move |_| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        let blank = Environment { kind: Some(EnvKind::Staging), ..Default::default() };
        envs.update(|v| v.push(EnvRow::new(key, &blank)));
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ProjectInput {
            name: name.get_untracked(),
            client: client.get_untracked(),
            launch_date: launch_date.get_untracked(),
            launch_time: Some(launch_time.get_untracked()),
            time_zone: time_zone.get_untracked(),
            environments: envs.get_untracked().iter().map(EnvRow::value).filter(|e| !(e.base_url.trim().is_empty() && e.id.is_none())).collect(),
            contact_emails: lines(&emails.get_untracked()),
            contact_phones: lines(&phones.get_untracked()),
            postal_address: address.get_untracked(),
            viewports: Some({
                let mut v: Vec<String> = standard_for_submit.iter().filter(|(_, _, on)| on.get_untracked()).map(|(n, _, _)| n.to_string()).collect();
                v.extend(custom.get_untracked().split(';').map(str::trim).filter(|s| !s.is_empty()).map(String::from));
                v.join("; ")
            }),
            forms_listed: lines(&forms.get_untracked()),
            evidence_max_age_days: max_age.get_untracked().trim().parse().ok(),
            phone_region: phone_region.get_untracked(),
            analytics_ids: lines(&analytics.get_untracked()),
            ignore_regions: lines(&ignore.get_untracked()),
            wcag_level: wcag_level.get_untracked(),
            a11y_ignore: lines(&a11y_ignore.get_untracked()),
            perf_budgets: lines(&budgets.get_untracked()),
            throttle_mobile: throttle.get_untracked(),
        };
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match save_project(id, input).await {
                Ok(pid) => navigate(&format!("/projects/{pid}"), Default::default()),
                Err(e) => {
                    error.set(Some(error_text(&e)));
                    busy.set(false);
                }
            }
        });
    };

    view! {
        <form class="card form" on:submit=submit novalidate>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
            <div class="grid2">
                <label>"Project name" <input type="text" required bind:value=name/></label>
                <label>"Client" <input type="text" bind:value=client/></label>
                <label>"Launch date" <input type="date" required bind:value=launch_date/></label>
                <label>"Launch time (optional)" <input type="time" bind:value=launch_time/></label>
                <label>"Time zone"
                    <input type="text" list="time-zones" bind:value=time_zone placeholder="UTC" autocomplete="off" spellcheck="false"/>
                    <span class="hint">"The launch time and scheduled checks are read in it: an IANA name such as Europe/London or America/New_York."</span>
                </label>
                <datalist id="time-zones">
                    {COMMON_TIME_ZONES.iter().map(|z| view! { <option value=*z/> }).collect_view()}
                </datalist>
            </div>
            <fieldset>
                <legend>"Environments"</legend>
                <p class="hint">"Leave a URL empty to skip that environment. \"Connect to IP\" checks the site on a new server before DNS moves, like an /etc/hosts entry."</p>
                <div class="env-rows">
                    <For each=move || envs.get() key=|r| r.key let:row>
                        <div class="env-row" role="group" aria-label=move || format!("Environment {}", row.name.get())>
                            <label>"Name" <input type="text" bind:value=row.name/></label>
                            <label>"Kind"
                                <select prop:value=move || row.kind.get() on:change=move |ev| row.kind.set(event_target_value(&ev))>
                                    <option value="dev">"dev"</option>
                                    <option value="staging">"staging"</option>
                                    <option value="production">"production"</option>
                                </select>
                            </label>
                            <label class="wide">"Base URL" <input type="url" placeholder="https://www.example.com" bind:value=row.base_url/></label>
                            <label>"Connect to IP (optional)" <input type="text" inputmode="decimal" placeholder="203.0.113.10" bind:value=row.resolve_ip/></label>
                            <label>"Test form submissions"
                                <select prop:value=move || row.submit_forms.get() on:change=move |ev| row.submit_forms.set(event_target_value(&ev))>
                                    <option value="">"By kind (dev and staging only)"</option>
                                    <option value="yes">"Yes"</option>
                                    <option value="no">"No"</option>
                                </select>
                            </label>
                            <EnvSettings row/>
                            <button type="button" class="link danger" on:click=move |_| envs.update(|v| v.retain(|r| r.key != row.key))
                                aria-label=move || format!("Remove environment {}", row.name.get())>"Remove"</button>
                        </div>
                    </For>
                </div>
                <button type="button" on:click=add_env>"Add environment"</button>
            </fieldset>
            <fieldset>
                <legend>"Expected contact details"</legend>
                <p class="hint">"The content checks look for these on the site, and flag addresses and numbers that are not on this list."</p>
                <div class="grid2">
                    <label>"E-mail addresses (one per line)" <textarea rows="3" bind:value=emails></textarea></label>
                    <label>"Phone numbers (one per line)" <textarea rows="3" bind:value=phones></textarea></label>
                </div>
                <div class="grid2">
                    <label>"Postal address" <textarea rows="3" bind:value=address></textarea></label>
                    <label>"Country of the phone numbers (two letters, e.g. GB)"
                        <input type="text" name="phone_region" maxlength="2" autocapitalize="characters" placeholder="GB" bind:value=phone_region/>
                        <span class="hint">"National numbers like 0117 496 0123 are then compared as numbers with +44 117 496 0123."</span>
                    </label>
                </div>
            </fieldset>
            <fieldset>
                <legend>"Analytics"</legend>
                <label>"Analytics ids every production page must carry (one per line)"
                    <textarea rows="2" name="analytics_ids" placeholder="G-ABC123XYZ" bind:value=analytics></textarea>
                </label>
                <p class="hint">"A GA4 or Tag Manager id, a Plausible domain, a Matomo site URL… Without one, any analytics snippet on the home page counts; with one, every production page must have it."</p>
            </fieldset>
            <fieldset>
                <legend>"Browser checks"</legend>
                <p class="hint">"Each crawled page is opened in Chromium at these viewports: screenshots, console errors, layout overflow, old-IE problems. Untick all to skip the browser checks."</p>
                <div class="checks">
                    {standard.into_iter().map(|(name, label, on)| view! {
                        <label class="check"><input type="checkbox" name=format!("viewport-{name}") bind:checked=on/> {label}</label>
                    }).collect_view()}
                </div>
                <label>"More viewports (optional, separated by ;)"
                    <input type="text" placeholder="tv=1920x1080; watch=320x360@2,mobile,touch" bind:value=custom/>
                </label>
                <label>"Forms to submit on every environment (one per line: a page, or page#form-id)"
                    <textarea rows="3" placeholder="/contact#enquiry" bind:value=forms></textarea>
                </label>
                <p class="hint">"Test submissions (plausible data, empty fields, international text) are made on dev and staging by default and never to forms with a password or payment field — unless the form is listed here."</p>
                <label>"Ignore regions (one per line: a CSS selector, or a page path then a selector)"
                    <textarea rows="3" name="ignore_regions" placeholder=".carousel\n/news time" bind:value=ignore></textarea>
                </label>
                <p class="hint">"Masked with a hatched box before every screenshot, so carousels, dates and live chat never count as a visual change."</p>
            </fieldset>
            <fieldset>
                <legend>"Accessibility"</legend>
                <p class="hint">"Every page is checked at every viewport with axe-core, the engine behind Lighthouse's accessibility score: missing text alternatives, labels, contrast, language, names of links and buttons, heading order and more."</p>
                <label>"WCAG level"
                    <select name="wcag_level" prop:value=move || wcag_level.get() on:change=move |ev| wcag_level.set(event_target_value(&ev))>
                        <option value="AA">"AA — what most laws and contracts ask for"</option>
                        <option value="A">"A — the minimum"</option>
                    </select>
                </label>
                <label>"Rules to leave out (one per line: rule = why)"
                    <textarea rows="2" name="a11y_ignore" placeholder="color-contrast = the client's brand colours are fixed until the redesign" bind:value=a11y_ignore></textarea>
                </label>
                <p class="hint">"A rule left out shows as not applicable on every run, with your reason. Rule ids are axe-core's, as the findings show them without the a11y- prefix."</p>
            </fieldset>
            <fieldset>
                <legend>"Performance budgets"</legend>
                <p class="hint">"Every page at every viewport is held to the Core Web Vitals' “good” thresholds — time to first byte 800 ms, First Contentful Paint 1.8 s, Largest Contentful Paint 2.5 s, Cumulative Layout Shift 0.1 — and 200 ms of Total Blocking Time. Set stricter or looser ones, or budgets for transfer sizes and requests."</p>
                <label>"Budgets (optional, one per line: metric = value)"
                    <textarea rows="3" name="perf_budgets" placeholder="lcp = 2s
js = 300KB
requests = 60" bind:value=budgets></textarea>
                </label>
                <p class="hint">"Metrics: ttfb, fcp, lcp, tbt (times, in ms or s), cls (a score), total, html, js, css, images, fonts (sizes, in KB or MB), requests (a count)."</p>
                <label class="check"><input type="checkbox" name="throttle_mobile" bind:checked=throttle/>
                    "Load the phone and iPad viewports as a mid-range phone on a slow network (4× slower CPU, 1.6 Mbit/s, 150 ms round trips)"</label>
            </fieldset>
            <fieldset>
                <legend>"Evidence"</legend>
                <label>"Check results go stale after (days)"
                    <input type="number" min="1" max="365" inputmode="numeric" name="evidence_max_age_days" bind:value=max_age/>
                </label>
                <p class="hint">"A checklist item is ticked in one click only on fresh evidence: a run newer than this, and newer than the environment's last recorded deploy."</p>
            </fieldset>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Saving…" } else if id.is_some() { "Save changes" } else { "Create project" }}
                </button>
                <a href=id.map(|i| format!("/projects/{i}")).unwrap_or_else(|| "/".into()) class="button">"Cancel"</a>
            </div>
        </form>
    }
}

/// An environment's run settings, behind a disclosure: old URLs (and importing them from the
/// old site's sitemap), crawl limits, external links, dev-marker words, the DNS server, and
/// the credentials of a protected site (saved at once, never shown back).
#[component]
fn EnvSettings(row: EnvRow) -> impl IntoView {
    let sitemap = RwSignal::new(String::new());
    let note = RwSignal::new(None::<(bool, String)>);
    let kind = RwSignal::new("basic".to_string());
    let user = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let import = move |_| {
        let Some(env_id) = row.id else { return };
        let url = sitemap.get_untracked();
        leptos::task::spawn_local(async move {
            match import_old_urls(env_id, url).await {
                Ok(list) => {
                    let n = list.len();
                    row.old_urls.set(list.join("\n"));
                    note.set(Some((false, format!("{n} old URL(s) imported and saved; edit the list here and save the project to change it."))));
                }
                Err(e) => note.set(Some((true, error_text(&e)))),
            }
        });
    };
    let save_credentials = move |remove: bool| {
        let Some(env_id) = row.id else { return };
        let creds = (!remove).then(|| match kind.get_untracked().as_str() {
            "header" => Credentials::Header { name: user.get_untracked().trim().to_string(), value: secret.get_untracked() },
            "cookie" => Credentials::Cookie { name: user.get_untracked().trim().to_string(), value: secret.get_untracked() },
            _ => Credentials::Basic { username: user.get_untracked(), password: secret.get_untracked() },
        });
        leptos::task::spawn_local(async move {
            match set_credentials(env_id, creds).await {
                Ok(hint) => {
                    secret.set(String::new());
                    note.set(Some((false, if hint.is_some() { "Credentials saved.".to_string() } else { "Credentials removed.".to_string() })));
                    row.credentials.set(hint);
                }
                Err(e) => note.set(Some((true, error_text(&e)))),
            }
        });
    };
    view! {
        <details class="env-settings wide">
            <summary>"Run settings"</summary>
            <div class="grid2">
                <label>"Most pages to crawl" <input type="number" min="1" max="5000" placeholder="200" bind:value=row.max_pages/></label>
                <label>"Most links deep" <input type="number" min="0" max="50" placeholder="6" bind:value=row.max_depth/></label>
                <label>"Time limit (seconds)" <input type="number" min="10" max="3600" placeholder="300" bind:value=row.deadline/></label>
                <label>"DNS server (optional)" <input type="text" inputmode="decimal" placeholder="203.0.113.53" bind:value=row.nameserver/></label>
            </div>
            <label class="check"><input type="checkbox" bind:checked=row.external/> "Also check links to other sites"</label>
            <label>"Dev-site words, besides DEV SITE / staging / test site (one per line)"
                <textarea rows="2" placeholder="Vorschau" bind:value=row.markers></textarea>
            </label>
            <label>"Old URLs that must redirect, not 404 (one per line)"
                <textarea rows="4" placeholder="/old-page" bind:value=row.old_urls></textarea>
            </label>
            {move || match row.id {
                Some(_) => view! {
                    <div class="inline-form">
                        <label>"Import from the old site's sitemap"
                            <input type="url" placeholder="https://old.example.com/sitemap.xml" bind:value=sitemap/>
                        </label>
                        <button type="button" on:click=import>"Import"</button>
                    </div>
                    <div class="credentials" role="group" aria-label="Protected site">
                        <p class="hint">
                            {move || match row.credentials.get() {
                                Some(h) => format!("Protected site: {h}. Saved sealed; never shown back."),
                                None => "Protected site? Give Preflight a way in: it is sent only to this environment's own host.".to_string(),
                            }}
                        </p>
                        <div class="grid2">
                            <label>"Kind"
                                <select prop:value=move || kind.get() on:change=move |ev| kind.set(event_target_value(&ev))>
                                    <option value="basic">"HTTP basic authentication"</option>
                                    <option value="header">"Extra request header"</option>
                                    <option value="cookie">"Cookie"</option>
                                </select>
                            </label>
                            <label>{move || if kind.get() == "basic" { "User name" } else { "Name" }}
                                <input type="text" autocomplete="off" bind:value=user/>
                            </label>
                            <label>{move || if kind.get() == "basic" { "Password" } else { "Value" }}
                                <input type="password" autocomplete="new-password" bind:value=secret/>
                            </label>
                        </div>
                        <button type="button" on:click=move |_| save_credentials(false)>"Save credentials"</button>
                        {move || row.credentials.get().map(|_| view! {
                            <button type="button" class="link danger" on:click=move |_| save_credentials(true)>"Remove credentials"</button>
                        })}
                    </div>
                }.into_any(),
                None => view! { <p class="hint">"Save the project first to import old URLs or give credentials for a protected site."</p> }.into_any(),
            }}
            {move || note.get().map(|(bad, m)| view! { <p class=if bad { "alert error" } else { "alert ok" } role="status">{m}</p> })}
        </details>
    }
}
