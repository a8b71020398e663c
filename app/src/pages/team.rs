//! The team: everyone with an account; owners add members.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{ErrorBox, LoadError};
use crate::model::Role;
use crate::server_fns::{
    add_member, deactivate_member, error_text, invite_member, list_members, reset_member_password, set_member_restricted, set_member_role,
};
use crate::UserResource;

#[component]
pub fn TeamPage() -> impl IntoView {
    let user = expect_context::<UserResource>();
    let reload = RwSignal::new(0u32);
    let members = crate::components::resource(move || reload.get(), |_| list_members());
    let message = RwSignal::new(None::<(bool, String)>);
    // The member whose deactivation waits for a second click.
    let confirming = RwSignal::new(None::<i64>);
    let deactivate = move |id: i64| {
        leptos::task::spawn_local(async move {
            match deactivate_member(id).await {
                Ok(u) => {
                    message.set(Some((true, format!("{} ({}) is deactivated: signed out everywhere, API tokens revoked.", u.name, u.email))));
                    reload.update(|n| *n += 1);
                }
                Err(e) => message.set(Some((false, error_text(&e)))),
            }
            confirming.set(None);
        });
    };
    let change_role = move |id: i64, role: Role| {
        leptos::task::spawn_local(async move {
            match set_member_role(id, role).await {
                Ok(u) => message.set(Some((true, format!("{} is now {}.", u.name, if u.role == Role::Owner { "an owner" } else { "a member" })))),
                Err(e) => message.set(Some((false, error_text(&e)))),
            }
            reload.update(|n| *n += 1);
        });
    };
    let restrict = move |id: i64, restricted: bool| {
        leptos::task::spawn_local(async move {
            match set_member_restricted(id, restricted).await {
                Ok(u) if u.restricted => {
                    message.set(Some((true, format!("{} now sees only the projects they are added to (on each project's Share & settings tab).", u.name))))
                }
                Ok(u) => message.set(Some((true, format!("{} now sees every project.", u.name)))),
                Err(e) => message.set(Some((false, error_text(&e)))),
            }
            reload.update(|n| *n += 1);
        });
    };
    let reset = move |id: i64, name: String| {
        leptos::task::spawn_local(async move {
            match reset_member_password(id).await {
                Ok(link) => message.set(Some((
                    true,
                    format!("{name} is signed out everywhere. Give them this link to choose a new password (it works once, for an hour): {link}"),
                ))),
                Err(e) => message.set(Some((false, error_text(&e)))),
            }
        });
    };
    view! {
        <Title text="Team"/>
        <h1>"Team"</h1>
        {move || message.get().map(|(ok, m)| match ok {
            true => view! { <div class="alert ok" role="status">{m}</div> }.into_any(),
            false => view! { <ErrorBox message=m/> }.into_any(),
        })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = user.await.ok().flatten();
                let owner = me.as_ref().is_some_and(|u| u.role == Role::Owner);
                let my_id = me.map(|u| u.id);
                match members.await {
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                    Ok(list) => view! {
                        <table class="card table">
                            <caption class="sr-only">"Team members"</caption>
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"E-mail"</th><th scope="col">"Role"</th><th scope="col">"Sees"</th>
                                {owner.then(|| view! { <th scope="col"><span class="sr-only">"Actions"</span></th> })}
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|m| {
                                    let id = m.id;
                                    let name = m.name.clone();
                                    let action = (owner && Some(id) != my_id).then(|| view! {
                                        <td class="actions">
                                            {move || if confirming.get() == Some(id) {
                                                view! {
                                                    <span class="confirm-delete" role="group" aria-label="Confirm deactivation">
                                                        {format!("Sign {name} out everywhere and stop their access? ")}
                                                        <button type="button" class="danger" on:click=move |_| deactivate(id)>"Deactivate"</button>
                                                        <button type="button" on:click=move |_| confirming.set(None)>"Cancel"</button>
                                                    </span>
                                                }.into_any()
                                            } else {
                                                let who = name.clone();
                                                view! {
                                                    <button type="button" class="link" on:click=move |_| reset(id, who.clone())>"Reset password"</button>
                                                    <button type="button" class="link danger" on:click=move |_| confirming.set(Some(id))>"Deactivate…"</button>
                                                }.into_any()
                                            }}
                                        </td>
                                    });
                                    let role_cell = if owner && Some(id) != my_id {
                                        let current = m.role;
                                        view! {
                                            <select aria-label=format!("Role of {}", m.name) on:change=move |ev| {
                                                if let Some(r) = Role::parse(&event_target_value(&ev)) {
                                                    if r != current {
                                                        change_role(id, r);
                                                    }
                                                }
                                            }>
                                                <option value="member" selected=current == Role::Member>"member"</option>
                                                <option value="owner" selected=current == Role::Owner>"owner"</option>
                                            </select>
                                        }.into_any()
                                    } else {
                                        view! { {m.role.as_str()} }.into_any()
                                    };
                                    let sees_cell = if owner && Some(id) != my_id && m.role == Role::Member {
                                        let restricted = m.restricted;
                                        view! {
                                            <select aria-label=format!("Projects {} sees", m.name) on:change=move |ev| {
                                                let want = event_target_value(&ev) == "added";
                                                if want != restricted {
                                                    restrict(id, want);
                                                }
                                            }>
                                                <option value="all" selected=!restricted>"Every project"</option>
                                                <option value="added" selected=restricted>"Only projects they are added to"</option>
                                            </select>
                                        }.into_any()
                                    } else {
                                        view! { {if m.restricted { "Only projects they are added to" } else { "Every project" }} }.into_any()
                                    };
                                    view! { <tr><td>{m.name}</td><td>{m.email}</td><td>{role_cell}</td><td>{sees_cell}</td>{action}</tr> }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let is_owner = matches!(user.await, Ok(Some(u)) if u.role == Role::Owner);
                if is_owner {
                    view! { <AddMember reload/> <InviteMember/> }.into_any()
                } else {
                    view! { <p class="muted">"Only owners can add team members."</p> }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn AddMember(reload: RwSignal<u32>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new("member".to_string());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let r = Role::parse(&role.get_untracked()).unwrap_or(Role::Member);
        leptos::task::spawn_local(async move {
            match add_member(email.get_untracked(), name.get_untracked(), r, password.get_untracked()).await {
                Ok(u) => {
                    done.set(Some(format!(
                        "{} can now sign in as {} with the password you chose; ask them to change it on their Account page.",
                        u.name, u.email
                    )));
                    error.set(None);
                    email.set(String::new());
                    name.set(String::new());
                    password.set(String::new());
                    reload.update(|n| *n += 1);
                }
                Err(e) => {
                    error.set(Some(error_text(&e)));
                    done.set(None);
                }
            }
        });
    };
    view! {
        <form class="card form" on:submit=submit>
            <h2>"Add a team member"</h2>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
            {move || done.get().map(|m| view! { <div class="alert ok" role="status">{m}</div> })}
            <div class="grid2">
                <PersonFields name email role/>
                <label>"First password (at least 10 characters)" <input type="password" required minlength="10" bind:value=password autocomplete="new-password"/></label>
            </div>
            <button type="submit" class="primary">"Add member"</button>
        </form>
    }
}

/// Invites someone by e-mail: they choose their own password through the link (7 days, once).
#[component]
fn InviteMember() -> impl IntoView {
    let (email, name, role) = (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new("member".to_string()));
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let r = Role::parse(&role.get_untracked()).unwrap_or(Role::Member);
        let to = email.get_untracked();
        leptos::task::spawn_local(async move {
            match invite_member(to.clone(), name.get_untracked(), r).await {
                Ok(()) => {
                    done.set(Some(format!("Invitation sent to {to}: the link lets them choose a password (it works once, for 7 days).")));
                    error.set(None);
                    email.set(String::new());
                    name.set(String::new());
                }
                Err(e) => {
                    error.set(Some(error_text(&e)));
                    done.set(None);
                }
            }
        });
    };
    view! {
        <form class="card form invite" on:submit=submit>
            <h2>"Invite by e-mail"</h2>
            <p class="muted">"They get a link to choose their own password, so you never handle it."</p>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
            {move || done.get().map(|m| view! { <div class="alert ok" role="status">{m}</div> })}
            <div class="grid2">
                <PersonFields name email role/>
            </div>
            <button type="submit" class="primary">"Send invitation"</button>
        </form>
    }
}

/// Name, e-mail and role of a new team member.
#[component]
fn PersonFields(name: RwSignal<String>, email: RwSignal<String>, role: RwSignal<String>) -> impl IntoView {
    view! {
        <label>"Name" <input type="text" required bind:value=name autocomplete="off"/></label>
        <label>"E-mail" <input type="email" required bind:value=email autocomplete="off"/></label>
        <label>"Role"
            <select prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                <option value="member">"Member"</option>
                <option value="owner">"Owner (can manage the team)"</option>
            </select>
        </label>
    }
}
