//! The signed-in user's account: password and API tokens for scripts and CI.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{fmt_time, ErrorBox, LoadError};
use crate::server_fns::{change_password, create_token, error_text, list_tokens, revoke_token};

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Account"/>
        <h1>"Account"</h1>
        <Tokens/>
        <crate::pages::email::EmailPrefsCard/>
        <PasswordForm/>
    }
}

#[component]
fn Tokens() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let tokens = crate::components::resource(move || reload.get(), |_| list_tokens());
    let label = RwSignal::new(String::new());
    let created = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        leptos::task::spawn_local(async move {
            match create_token(label.get_untracked()).await {
                Ok(t) => {
                    created.set(Some(t));
                    label.set(String::new());
                    error.set(None);
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let revoke = move |id: i64| {
        leptos::task::spawn_local(async move {
            match revoke_token(id).await {
                Ok(()) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    view! {
        <section class="card">
            <h2>"API tokens"</h2>
            <p class="hint">"Scripts and CI pipelines use the JSON API at " <code>"/api/v1"</code> " with "
                <code>"Authorization: Bearer <token>"</code> ". The API is described at "
                <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a> "."</p>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
            {move || created.get().map(|t| view! {
                <div class="alert ok" role="status">
                    <p>"Your new token — copy it now, it will not be shown again:"</p>
                    <p><code class="token">{t}</code></p>
                </div>
            })}
            <form class="inline-form" on:submit=create>
                <label>"Label" <input type="text" required placeholder="e.g. CI pipeline" bind:value=label/></label>
                <button type="submit" class="primary">"Create token"</button>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Err(e) => view! { <LoadError error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="table">
                                <thead><tr><th scope="col">"Label"</th><th scope="col">"Starts with"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t| {
                                        let id = t.id;
                                        let name = t.name.clone();
                                        view! {
                                            <tr>
                                                <td>{t.name}</td>
                                                <td><code>{t.prefix} "…"</code></td>
                                                <td>{fmt_time(t.created_at)}</td>
                                                <td>{t.last_used_at.map(fmt_time).unwrap_or_else(|| "never".into())}</td>
                                                <td><button type="button" class="danger" aria-label=format!("Revoke token {name}") on:click=move |_| revoke(id)>"Revoke"</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let revoke = RwSignal::new(false);
    let message = RwSignal::new(None::<(bool, String)>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        leptos::task::spawn_local(async move {
            match change_password(current.get_untracked(), new.get_untracked(), Some(revoke.get_untracked())).await {
                Ok(revoked) => {
                    let tokens = match revoked {
                        0 => String::new(),
                        1 => " Your API token was revoked: scripts using it need a new one.".to_string(),
                        n => format!(" Your {n} API tokens were revoked: scripts using them need new ones."),
                    };
                    message.set(Some((true, format!("Your password was changed; you were signed out everywhere else.{tokens}"))));
                    current.set(String::new());
                    new.set(String::new());
                    revoke.set(false);
                }
                Err(e) => message.set(Some((false, error_text(&e)))),
            }
        });
    };
    view! {
        <form class="card form" on:submit=submit>
            <h2>"Change password"</h2>
            {move || message.get().map(|(ok, m)| view! { <div class=if ok { "alert ok" } else { "alert error" } role="alert">{m}</div> })}
            <div class="grid2">
                <label>"Current password" <input type="password" required autocomplete="current-password" bind:value=current/></label>
                <label>"New password (at least 10 characters)" <input type="password" required minlength="10" autocomplete="new-password" bind:value=new/></label>
            </div>
            <p class="hint">"Your other sessions (other browsers and devices) end when the password changes."</p>
            <label class="check">
                <input type="checkbox" bind:checked=revoke/>
                " Also revoke my API tokens (if someone may have copied one: scripts using them stop working)"
            </label>
            <button type="submit" class="primary">"Change password"</button>
        </form>
    }
}
