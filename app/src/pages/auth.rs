//! Sign-in and first-run setup. The forms post to plain HTTP handlers (`/auth/…`) so they
//! work before the WASM app has loaded; errors come back as a short code in the query.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Maps the `error` code the auth handlers redirect with to a message. Codes, not text,
/// so a crafted link cannot put words in our mouth.
pub fn auth_error_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "credentials" => "That e-mail and password do not match an account. Check both and try again.",
        "rate" => "Too many failed attempts. Wait a few minutes before trying again.",
        "email" => "Please enter a valid e-mail address.",
        "password" => "The password must be at least 10 characters long.",
        "name" => "Please enter your name.",
        "exists" => "Setup is already done: an owner account exists. Sign in instead.",
        "mismatch" => "The two passwords do not match.",
        "code" => "That is not the setup code. It is in the server's log (and in the data folder's setup-code file) since it started.",
        "nocode" => "This server has no setup code: restart it to get one, or create the owner with `preflight user add` on the server.",
        "session" => "Your session has ended. Please sign in again.",
        _ => return None,
    })
}

fn error_from_query() -> impl Fn() -> Option<&'static str> + Copy {
    let q = use_query_map();
    move || q.read().get("error").and_then(|c| auth_error_message(&c))
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let error = error_from_query();
    let q = use_query_map();
    let next = move || q.read().get("next").filter(|n| n.starts_with('/') && !n.starts_with("//")).unwrap_or_else(|| "/".into());
    view! {
        <Title text="Sign in"/>
        <section class="card narrow">
            <h1>"Sign in"</h1>
            {move || error().map(|m| view! { <div class="alert error" role="alert">{m}</div> })}
            <form method="post" action="/auth/login" class="stack">
                <input type="hidden" name="next" value=next/>
                <label>"E-mail" <input type="email" name="email" autocomplete="username" required autofocus/></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required/></label>
                <button type="submit" class="primary">"Sign in"</button>
            </form>
            <p class="muted"><a href="/forgot">"Forgot your password?"</a> " No account yet? Ask an owner of your team to invite you."</p>
        </section>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let error = error_from_query();
    view! {
        <Title text="Welcome"/>
        <section class="card narrow">
            <h1>"Welcome to Preflight"</h1>
            <p>"This is a fresh installation. Create the owner account: owners add the rest of the team."</p>
            {move || error().map(|m| view! { <div class="alert error" role="alert">{m}</div> })}
            <form method="post" action="/auth/setup" class="stack">
                <label>"Setup code"
                    <input type="text" name="setup_code" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" placeholder="XXXX-XXXX-XXXX" required autofocus/>
                    <span class="hint">"Printed in the server's log when it started, and kept in the data folder's setup-code file until the owner exists."</span>
                </label>
                <label>"Your name" <input type="text" name="name" autocomplete="name" required/></label>
                <label>"E-mail" <input type="email" name="email" autocomplete="username" required/></label>
                <label>"Password (at least 10 characters)"
                    <input type="password" name="password" autocomplete="new-password" minlength="10" required/>
                </label>
                <label>"Password again" <input type="password" name="password2" autocomplete="new-password" minlength="10" required/></label>
                <button type="submit" class="primary">"Create owner account"</button>
            </form>
        </section>
    }
}
