//! `/projects/:id/share`: what a project shares and hands over — the client's review links,
//! the launch report and exports, who on the team sees the project, and the project's settings
//! (environments, contact details) — on a tab of its own, so the checklist page starts with
//! the checklist.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::{ErrorBox, LoadError};
use crate::model::{Project, Role};
use crate::pages::{scope::ProjectNav, share::ShareLinksPanel};
use crate::server_fns::{error_text, get_project, get_project_access, set_project_member};
use crate::UserResource;

#[component]
pub fn HandoverPage() -> impl IntoView {
    let data = crate::components::resource(crate::pages::scope::project_id(), get_project);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(p) => view! { <Handover project=p/> }.into_any(),
                    Err(e) => view! { <Title text="Share and settings"/> <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Handover(project: Project) -> impl IntoView {
    let project_id = project.id;
    let list = |v: &[String]| if v.is_empty() { "none given".to_string() } else { v.join(", ") };
    view! {
        <Title text=format!("Share and settings · {}", project.name)/>
        <div class="page-head">
            <div>
                <p class="crumbs"><A href="/">"Projects"</A> " / " <A href=format!("/projects/{project_id}")>{project.name.clone()}</A></p>
                <h1>"Share and settings"</h1>
                <p class="muted">"Review links for the client, the launch report and exports, and the project's environments and contact details."</p>
            </div>
        </div>
        <ProjectNav project_id current="share"/>
        <ShareLinksPanel project_id/>
        <section class="card" aria-labelledby="handover-title">
            <h2 id="handover-title">"Hand over"</h2>
            <ul class="downloads-list">
                <li><a href=format!("/projects/{project_id}/report") target="_blank" rel="noopener">"Launch report (HTML)"</a> <span class="muted small">"— checklist with evidence, latest runs, screenshots with the client's decisions, scope, sign-off"</span></li>
                <li><a href=format!("/projects/{project_id}/report.pdf") target="_blank" rel="noopener">"Launch report (PDF)"</a></li>
                <li><a href=format!("/projects/{project_id}/export/checklist.csv") download="">"Checklist (CSV)"</a></li>
            </ul>
        </section>
        <ProjectPeople project_id/>
        <section class="card" aria-labelledby="settings-title">
            <h2 id="settings-title">"Settings"</h2>
            <h3>{format!("{} environment(s)", project.environments.len())}</h3>
            <ul class="env-list">
                {project.environments.iter().map(|e| view! {
                    <li>
                        <strong>{e.name.clone()}</strong> " "
                        <span class="badge">{e.kind.map(|k| k.as_str()).unwrap_or("")}</span> " "
                        <code class="url">{e.base_url.clone()}</code>
                        {e.resolve_ip.clone().map(|ip| view! { " → connects to " <code>{ip}</code> })}
                    </li>
                }).collect_view()}
            </ul>
            <h3>"Contact details the checks expect"</h3>
            <p>"E-mail: " {list(&project.contact_emails)}</p>
            <p>"Phone: " {list(&project.contact_phones)}</p>
            <p>"Address: " {if project.postal_address.is_empty() { "none given".to_string() } else { project.postal_address.clone() }}</p>
            <p><A href=format!("/projects/{project_id}/edit") attr:class="button">"Edit project settings"</A></p>
        </section>
    }
}

/// Who sees the project: everyone unrestricted, and the restricted members (contractors,
/// freelancers) an owner added. Owners add and remove them here.
#[component]
fn ProjectPeople(project_id: i64) -> impl IntoView {
    let user = expect_context::<UserResource>();
    let reload = RwSignal::new(0u32);
    let access = crate::components::resource(move || reload.get(), move |_| get_project_access(project_id));
    let message = RwSignal::new(None::<(bool, String)>);
    let choice = RwSignal::new(String::new());
    let change = move |user_id: i64, name: String, add: bool| {
        leptos::task::spawn_local(async move {
            match set_project_member(project_id, user_id, add).await {
                Ok(_) if add => message.set(Some((true, format!("{name} can now see this project.")))),
                Ok(_) => message.set(Some((true, format!("{name} no longer sees this project: their next page or request is refused.")))),
                Err(e) => message.set(Some((false, error_text(&e)))),
            }
            choice.set(String::new());
            reload.update(|n| *n += 1);
        });
    };
    view! {
        <section class="card" aria-labelledby="people-title">
            <h2 id="people-title">"Who sees this project"</h2>
            {move || message.get().map(|(ok, m)| match ok {
                true => view! { <div class="alert ok" role="status">{m}</div> }.into_any(),
                false => view! { <ErrorBox message=m/> }.into_any(),
            })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let owner = matches!(user.await, Ok(Some(u)) if u.role == Role::Owner);
                    let a = match access.await {
                        Ok(a) => a,
                        Err(e) => return view! { <LoadError error=e/> }.into_any(),
                    };
                    let everyone = a.everyone.iter().map(|u| u.name.clone()).collect::<Vec<_>>().join(", ");
                    let none_added = a.added.is_empty();
                    let added = a.added.into_iter().map(|m| {
                        let (id, name) = (m.user.id, m.user.name.clone());
                        let label = format!("Take {name} off this project");
                        view! {
                            <li>
                                <strong>{m.user.name.clone()}</strong> " "
                                <span class="muted small">{format!("added by {}", m.added_by)}</span>
                                {owner.then(|| view! {
                                    " " <button type="button" class="link danger" aria-label=label on:click=move |_| change(id, name.clone(), false)>"Remove"</button>
                                })}
                            </li>
                        }
                    }).collect_view();
                    let addable = a.addable.clone();
                    let add_form = (owner && !addable.is_empty()).then(|| {
                        let names = addable.clone();
                        let submit = move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            let Ok(id) = choice.get_untracked().parse::<i64>() else {
                                message.set(Some((false, "Choose the person to add.".into())));
                                return;
                            };
                            let name = names.iter().find(|u| u.id == id).map(|u| u.name.clone()).unwrap_or_default();
                            change(id, name, true);
                        };
                        view! {
                            <form class="inline-form" on:submit=submit>
                                <label>"Add a restricted member "
                                    <select on:change=move |ev| choice.set(event_target_value(&ev))>
                                        <option value="" selected=move || choice.get().is_empty()>"Choose…"</option>
                                        {addable.into_iter().map(|u| view! { <option value=u.id.to_string()>{u.name}</option> }).collect_view()}
                                    </select>
                                </label>
                                " " <button type="submit">"Add to project"</button>
                            </form>
                        }
                    });
                    view! {
                        <p>"Everyone on the team sees every project, except members an owner restricted to the projects they are added to (on the Team page)."</p>
                        <p><span class="muted">"Sees every project: "</span> {everyone}</p>
                        <h3>"Restricted members on this project"</h3>
                        {if none_added {
                            view! { <p class="muted">"None."</p> }.into_any()
                        } else {
                            view! { <ul class="people-list">{added}</ul> }.into_any()
                        }}
                        {add_form}
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}
