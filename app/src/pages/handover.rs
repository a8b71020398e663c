//! `/projects/:id/share`: what a project shares and hands over — the client's review links,
//! the launch report and exports, and the project's settings (environments, contact details)
//! — on a tab of its own, so the checklist page starts with the checklist.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::LoadError;
use crate::model::Project;
use crate::pages::{scope::ProjectNav, share::ShareLinksPanel};
use crate::server_fns::get_project;

#[component]
pub fn HandoverPage() -> impl IntoView {
    let data = Resource::new(crate::pages::scope::project_id(), get_project);
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
