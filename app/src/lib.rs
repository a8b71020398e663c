//! Preflight's web app: Leptos components, routes and server functions, shared by the
//! server (feature `ssr`) and the WASM frontend (feature `hydrate`).

#![recursion_limit = "256"]

pub mod components;
pub mod live;
/// The shared types (the `preflight-model` crate), under the name the UI has always used.
pub use preflight_model as model;
pub mod pages;
/// The launch phases (shared with the server's store).
pub use preflight_model::phases;
pub mod server_fns;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use crate::components::Nav;
use crate::pages::{
    account::AccountPage,
    auth::{LoginPage, SetupPage},
    errors::NotFound,
    project::ProjectPage,
    project_form::{EditProjectPage, NewProjectPage},
    projects::ProjectsPage,
    run::RunPage,
    team::TeamPage,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_security_headers();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // The assets' folder is versioned by content (pkg/<hash>): cached for good.
                <link rel="stylesheet" href=format!("/{}/preflight.css", options.site_pkg_dir)/>
                <HydrationScripts options/>
                <leptos_meta::MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The Content-Security-Policy of every page: scripts only from us or carrying this
/// response's nonce (the hydration bootstrap), WASM compilation allowed, no inline styles,
/// no framing, forms only to us.
#[cfg(feature = "ssr")]
fn set_security_headers() {
    use http::{header, HeaderValue};
    let Some(res) = use_context::<leptos_axum::ResponseOptions>() else { return };
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string()).unwrap_or_default();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.insert_header(header::CONTENT_SECURITY_POLICY, v);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // The signed-in user, for the navigation bar and pages that adapt to the role.
    let user = Resource::new(|| (), |_| server_fns::current_user());
    provide_context(user);
    view! {
        <Title formatter=|t: String| if t.is_empty() { "Preflight".to_string() } else { format!("{t} · Preflight") }/>
        <Router>
            <a class="skip" href="#main">"Skip to content"</a>
            <Nav/>
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=ProjectsPage/>
                    <Route path=path!("/login") view=LoginPage/>
                    <Route path=path!("/setup") view=SetupPage/>
                    <Route path=path!("/projects/new") view=NewProjectPage/>
                    <Route path=path!("/projects/:id") view=ProjectPage/>
                    <Route path=path!("/projects/:id/edit") view=EditProjectPage/>
                    <Route path=path!("/projects/:id/scope") view=pages::scope::ScopePage/>
                    <Route path=path!("/projects/:id/training") view=pages::scope::TrainingPage/>
                    <Route path=path!("/projects/:id/activity") view=pages::scope::ActivityPage/>
                    <Route path=path!("/projects/:id/retro") view=pages::retro::RetroPage/>
                    <Route path=path!("/projects/:id/watch") view=pages::watch::WatchPage/>
                    <Route path=path!("/projects/:id/share") view=pages::handover::HandoverPage/>
                    <Route path=path!("/template") view=pages::template::TemplatePage/>
                    <Route path=path!("/my") view=pages::my_items::MyItemsPage/>
                    <Route path=path!("/runs/:id") view=RunPage/>
                    <Route path=path!("/compare/:before/:after") view=pages::gallery::ComparePage/>
                    // Whole-page (async) rendering: a dead link answers with a real 404.
                    <Route path=path!("/share/:token") view=pages::share::SharePage ssr=leptos_router::SsrMode::Async/>
                    <Route path=path!("/team") view=TeamPage/>
                    <Route path=path!("/account") view=AccountPage/>
                    <Route path=path!("/notifications") view=pages::notifications::NotificationsPage/>
                    <Route path=path!("/unsubscribe/:token") view=pages::email::UnsubscribePage/>
                    <Route path=path!("/invite/:token") view=pages::email::AccountLinkPage/>
                    <Route path=path!("/reset/:token") view=pages::email::AccountLinkPage/>
                    <Route path=path!("/forgot") view=pages::email::ForgotPage/>
                </Routes>
            </main>
        </Router>
    }
}

/// The signed-in user resource provided by [`App`].
pub type UserResource = Resource<Result<Option<model::UserInfo>, ServerFnError>>;
