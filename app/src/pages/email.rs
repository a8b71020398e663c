//! Pages opened from Preflight's e-mails, signed in or not: stop a kind of e-mail, accept an
//! invitation, choose a new password; and asking for a password reset. The links' tokens are
//! the key; each account link works once and for a short time.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::ErrorBox;
use crate::model::{AccountLink, EmailPrefs};
use crate::server_fns::{
    account_link_info, error_text, get_email_prefs, request_password_reset, set_email_pref, unsubscribe, unsubscribe_info, use_account_link,
};

fn token() -> impl Fn() -> String + Copy {
    let params = use_params_map();
    move || params.read().get("token").unwrap_or_default()
}

#[component]
pub fn UnsubscribePage() -> impl IntoView {
    let token = token();
    let info = crate::components::resource(token, unsubscribe_info);
    let done = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let stop = move |_| {
        leptos::task::spawn_local(async move {
            match unsubscribe(token()).await {
                Ok((email, rule)) => done.set(Some(format!("Done: {email} gets no more \"{rule}\" e-mails from Preflight."))),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    view! {
        <Title text="Stop e-mails"/>
        <section class="card narrow">
            <h1>"Stop these e-mails"</h1>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match info.await {
                        Ok((email, rule)) => view! {
                            <p>{format!("Stop sending \"{rule}\" e-mails to {email}? Your other e-mails and the notifications in the app stay as they are.")}</p>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox message=error_text(&e)/> }.into_any(),
                    }
                })}
            </Transition>
            {move || match done.get() {
                Some(m) => view! { <p class="alert ok" role="status">{m}</p> }.into_any(),
                None => view! { <button type="button" class="primary" on:click=stop>"Stop these e-mails"</button> }.into_any(),
            }}
            <p class="muted">"Choose which e-mails you get on your " <a href="/account#email">"Account"</a> " page (sign in first)."</p>
        </section>
    }
}

/// `/invite/{token}` and `/reset/{token}`: choose a password.
#[component]
pub fn AccountLinkPage() -> impl IntoView {
    let token = token();
    let info = crate::components::resource(token, account_link_info);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match info.await {
                    Ok(link) => view! { <ChoosePassword link token=token()/> }.into_any(),
                    Err(e) => view! {
                        <Title text="Link"/>
                        <section class="card narrow">
                            <h1>"This link does not work"</h1>
                            <ErrorBox message=error_text(&e)/>
                            <p><a href="/forgot">"Ask for a new password link"</a> " or ask an owner of your team for a new invitation."</p>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ChoosePassword(link: AccountLink, token: String) -> impl IntoView {
    let invite = link.kind == "invite";
    let (password, password2) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let token = StoredValue::new(token);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        leptos::task::spawn_local(async move {
            match use_account_link(token.get_value(), password.get_untracked(), password2.get_untracked()).await {
                Ok(email) => {
                    error.set(None);
                    done.set(Some(email));
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let title = if invite { "Join the team" } else { "Choose a new password" };
    view! {
        <Title text=title/>
        <section class="card narrow">
            <h1>{title}</h1>
            <p>{if invite { format!("Welcome, {}. Choose the password for {}.", link.name, link.email) } else { format!("A new password for {}. Signing in elsewhere ends.", link.email) }}</p>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
            {move || match done.get() {
                Some(email) => view! {
                    <p class="alert ok" role="status">{format!("Done. Sign in as {email} with your new password.")}</p>
                    <p><a class="button primary" href="/login">"Sign in"</a></p>
                }.into_any(),
                None => view! {
                    <form class="stack" on:submit=submit>
                        <input type="email" hidden autocomplete="username" prop:value=link.email.clone()/>
                        <label>"Password (at least 10 characters)" <input type="password" required minlength="10" autocomplete="new-password" bind:value=password/></label>
                        <label>"The same again" <input type="password" required minlength="10" autocomplete="new-password" bind:value=password2/></label>
                        <button type="submit" class="primary">{if invite { "Create my account" } else { "Set the new password" }}</button>
                    </form>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
pub fn ForgotPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let said = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        leptos::task::spawn_local(async move {
            match request_password_reset(email.get_untracked()).await {
                Ok(m) => {
                    error.set(None);
                    said.set(Some(m));
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    view! {
        <Title text="Forgot your password"/>
        <section class="card narrow">
            <h1>"Forgot your password?"</h1>
            <p class="muted">"Give the e-mail address you sign in with: a link to choose a new password is sent there."</p>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
            {move || said.get().map(|m| view! { <p class="alert ok" role="status">{m}</p> })}
            <form class="stack" on:submit=submit>
                <label>"E-mail" <input type="email" required autocomplete="username" bind:value=email/></label>
                <button type="submit" class="primary">"Send me a link"</button>
            </form>
            <p class="muted">"No e-mail from this server? An owner can set a new password for you on the shell: " <code>"preflight user add"</code> "."</p>
        </section>
    }
}

/// The Account page's e-mail section: which notifications come by e-mail.
#[component]
pub fn EmailPrefsCard() -> impl IntoView {
    let data = crate::components::resource(|| (), |_| get_email_prefs());
    view! {
        <section class="card" id="email" aria-labelledby="email-title">
            <h2 id="email-title">"E-mail notifications"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(p) => view! { <Prefs prefs=p/> }.into_any(),
                        Err(e) => view! { <ErrorBox message=error_text(&e)/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Prefs(prefs: EmailPrefs) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    view! {
        <p class="muted">
            {if prefs.mail_on {
                format!("These notifications are also e-mailed to {}. Every e-mail has a link to stop its kind.", prefs.address)
            } else {
                "This server sends no e-mail (it has no --smtp-url and --base-url): your choices apply once it does.".to_string()
            }}
        </p>
        {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
        <ul class="plain">
            {prefs.rules.into_iter().map(|r| {
                let on = RwSignal::new(r.enabled);
                let rule = r.rule.clone();
                let toggle = move |_| {
                    let (rule, want) = (rule.clone(), !on.get_untracked());
                    leptos::task::spawn_local(async move {
                        match set_email_pref(rule, want).await {
                            Ok(_) => on.set(want),
                            Err(e) => error.set(Some(error_text(&e))),
                        }
                    });
                };
                view! {
                    <li><label class="check"><input type="checkbox" prop:checked=move || on.get() on:change=toggle/>
                        <span><strong>{r.title}</strong> <span class="muted">{format!(" — {}", r.description)}</span></span></label></li>
                }
            }).collect_view()}
        </ul>
    }
}
