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

use leptos_router::Lazy;

use crate::components::Nav;
use crate::pages::{
    account::AccountPage,
    auth::{LoginPage, SetupPage},
    email::{AccountLinkPage, ForgotPage, UnsubscribePage},
    errors::NotFound,
    gallery::ComparePage,
    handover::HandoverPage,
    my_items::MyItemsPage,
    notifications::NotificationsPage,
    project::ProjectPage,
    project_form::{EditProjectPage, NewProjectPage},
    projects::ProjectsPage,
    retro::RetroPage,
    run::RunPage,
    scope::{ActivityPage, ScopePage, TrainingPage},
    share::SharePage,
    team::TeamPage,
    template::TemplatePage,
    watch::WatchPage,
};

/// The app's pages, in four groups whose code is loaded when a page of the group is first
/// visited: in the browser each group is a split point of the WASM (`scripts/build.sh` cuts
/// the module there), so a page loads the app's core and its group, not every page. Few groups
/// keep the chunks few (code shared by several groups becomes chunks of its own); the groups
/// are the checklist, the client's review page, run results, and everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Projects,
    Login,
    Setup,
    NewProject,
    Project,
    EditProject,
    Scope,
    Training,
    Activity,
    Retro,
    Watch,
    Handover,
    Template,
    MyItems,
    Run,
    Compare,
    Share,
    Team,
    Account,
    Notifications,
    Unsubscribe,
    AccountLink,
    Forgot,
}

/// The checklist: the page people work in most.
#[leptos::lazy]
fn checklist_group() -> AnyView {
    view! { <ProjectPage/> }.into_any()
}

/// The client's review page (share link): clients load nothing of the team's pages.
#[leptos::lazy]
fn client_group() -> AnyView {
    view! { <SharePage/> }.into_any()
}

/// A run's results and the screenshot compare view.
#[leptos::lazy]
fn runs_group(page: Page) -> AnyView {
    match page {
        Page::Compare => view! { <ComparePage/> }.into_any(),
        _ => view! { <RunPage/> }.into_any(),
    }
}

/// Every other page.
#[leptos::lazy]
fn other_group(page: Page) -> AnyView {
    match page {
        Page::Login => view! { <LoginPage/> }.into_any(),
        Page::Setup => view! { <SetupPage/> }.into_any(),
        Page::NewProject => view! { <NewProjectPage/> }.into_any(),
        Page::EditProject => view! { <EditProjectPage/> }.into_any(),
        Page::Scope => view! { <ScopePage/> }.into_any(),
        Page::Training => view! { <TrainingPage/> }.into_any(),
        Page::Activity => view! { <ActivityPage/> }.into_any(),
        Page::Retro => view! { <RetroPage/> }.into_any(),
        Page::Watch => view! { <WatchPage/> }.into_any(),
        Page::Handover => view! { <HandoverPage/> }.into_any(),
        Page::Template => view! { <TemplatePage/> }.into_any(),
        Page::MyItems => view! { <MyItemsPage/> }.into_any(),
        Page::Team => view! { <TeamPage/> }.into_any(),
        Page::Account => view! { <AccountPage/> }.into_any(),
        Page::Notifications => view! { <NotificationsPage/> }.into_any(),
        Page::Unsubscribe => view! { <UnsubscribePage/> }.into_any(),
        Page::AccountLink => view! { <AccountLinkPage/> }.into_any(),
        Page::Forgot => view! { <ForgotPage/> }.into_any(),
        _ => view! { <ProjectsPage/> }.into_any(),
    }
}

/// A route per page (`Lazy::<ProjectRoute>` in the router), each loading its page's group.
/// The pages fetch their own data.
macro_rules! lazy_routes {
    ($($route:ident => $page:ident),* $(,)?) => {
        $(
            #[derive(Debug)]
            pub struct $route;

            impl leptos_router::LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                // Loads the group's code before the page is shown or hydrated (a page
                // hydrated before its code is there would not match the server's HTML).
                async fn preload() {
                    #[cfg(target_arch = "wasm32")]
                    match Page::$page {
                        Page::Project => __preload_checklist_group().await,
                        Page::Share => __preload_client_group().await,
                        Page::Run | Page::Compare => __preload_runs_group().await,
                        _ => __preload_other_group().await,
                    }
                }

                async fn view(_: Self) -> AnyView {
                    match Page::$page {
                        Page::Project => checklist_group().await,
                        Page::Share => client_group().await,
                        page @ (Page::Run | Page::Compare) => runs_group(page).await,
                        page => other_group(page).await,
                    }
                }
            }
        )*
    };
}

lazy_routes! {
    ProjectsRoute => Projects,
    LoginRoute => Login,
    SetupRoute => Setup,
    NewProjectRoute => NewProject,
    ProjectRoute => Project,
    EditProjectRoute => EditProject,
    ScopeRoute => Scope,
    TrainingRoute => Training,
    ActivityRoute => Activity,
    RetroRoute => Retro,
    WatchRoute => Watch,
    HandoverRoute => Handover,
    TemplateRoute => Template,
    MyItemsRoute => MyItems,
    RunRoute => Run,
    CompareRoute => Compare,
    ShareRoute => Share,
    TeamRoute => Team,
    AccountRoute => Account,
    NotificationsRoute => Notifications,
    UnsubscribeRoute => Unsubscribe,
    AccountLinkRoute => AccountLink,
    ForgotRoute => Forgot,
}

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The code group of the requested page; none for the client's review page (a share link),
    // which is HTML with forms: no app to load or hydrate.
    #[cfg(feature = "ssr")]
    let group = route_group(use_context::<http::request::Parts>().as_ref().map(|p| p.uri.path()).unwrap_or("/"));
    #[cfg(not(feature = "ssr"))]
    let group: Option<&'static str> = None;
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
                {group.map(|group| view! { <AppScripts options group/> })}
                <leptos_meta::MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Starts the WASM app once the page has loaded: the server-rendered content is shown first,
/// and the app's code (the main module, then the chunks of the page's group, all fetched at
/// once) never competes with it for the network. Leptos' own `HydrationScripts` preloads the
/// code from the page's head instead, ahead of the content; this is the same bootstrap
/// (`init`, then `hydrate`), started from the `load` event.
#[component]
fn AppScripts(options: LeptosOptions, group: &'static str) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        let chunks = split_chunks(&options.site_root, group);
        let pkg = format!("/{}", options.site_pkg_dir);
        let chunks: Vec<String> = chunks.iter().map(|c| format!("{pkg}/{c}.wasm")).collect();
        let script = format!(
            r#"((js, wasm, chunks) => {{
  const start = () => {{
    for (const href of chunks) {{
      const l = document.createElement("link");
      l.rel = "preload"; l.as = "fetch"; l.type = "application/wasm"; l.crossOrigin = ""; l.href = href;
      document.head.append(l);
    }}
    import(js).then((m) => m.default({{ module_or_path: wasm }}).then(() => m.hydrate()));
  }};
  if (document.readyState === "complete") setTimeout(start); else addEventListener("load", () => setTimeout(start), {{ once: true }});
}})({}, {}, {})"#,
            serde_json::to_string(&format!("{pkg}/preflight.js")).unwrap_or_default(),
            serde_json::to_string(&format!("{pkg}/preflight_bg.wasm")).unwrap_or_default(),
            serde_json::to_string(&chunks).unwrap_or_default(),
        );
        let nonce = leptos::nonce::use_nonce();
        view! { <script type="module" nonce=nonce>{script}</script> }
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = (options, group);
    }
}

/// The lazy route group (see [`Page`]) whose code a path's page needs; `None` for the client's
/// review page, which loads no app.
#[cfg(feature = "ssr")]
fn route_group(path: &str) -> Option<&'static str> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["share", ..] => None,
        ["projects", id] if id.parse::<i64>().is_ok() => Some("checklist_group"),
        ["runs", _] | ["compare", _, _] => Some("runs_group"),
        _ => Some("other_group"),
    }
}

/// The WASM chunks of a route group, from the split build's manifest (read once); none when
/// the build is not split.
#[cfg(feature = "ssr")]
fn split_chunks(site_root: &str, group: &str) -> Vec<String> {
    use std::collections::HashMap;
    static MANIFEST: std::sync::OnceLock<HashMap<String, Vec<String>>> = std::sync::OnceLock::new();
    let manifest = MANIFEST.get_or_init(|| {
        std::fs::read_to_string(std::path::Path::new(site_root).join("pkg/__wasm_split_manifest.json"))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    });
    // Keys are the group's function name and a hash: `checklist_group_1493…`.
    manifest.iter().find(|(k, _)| k.strip_prefix(group).is_some_and(|rest| rest.starts_with('_'))).map(|(_, v)| v.clone()).unwrap_or_default()
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

/// Every page's title ends with the product's name.
const TITLE_SUFFIX: &str = "Preflight";

/// The title while no page has set its own. leptos_meta sets the document's title as soon as
/// the app hydrates, before the page's code (a lazy chunk) has loaded and put the page's
/// `<Title>` in: the tab's title went blank for that moment, and a check looking at the page
/// then (Preflight's own accessibility check did) found no title. So the title the server sent
/// stays until the app moves to another address; from then on it is the product's name.
#[component]
fn TitleFallback() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let start = location.pathname.get_untracked();
    #[cfg(feature = "hydrate")]
    let sent = {
        let title = document().title();
        title.strip_suffix(&format!(" · {TITLE_SUFFIX}")).map(str::to_string).unwrap_or_default()
    };
    #[cfg(not(feature = "hydrate"))]
    let sent = String::new();
    let text = move || if location.pathname.with(|p| *p == start) { sent.clone() } else { String::new() };
    view! { <Title text=text/> }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // The signed-in user, for the navigation bar and pages that adapt to the role.
    let user = crate::components::resource(|| (), |_| server_fns::current_user());
    provide_context(user);
    view! {
        <Title formatter=|t: String| if t.is_empty() { TITLE_SUFFIX.to_string() } else { format!("{t} · {TITLE_SUFFIX}") }/>
        <Router>
            <TitleFallback/>
            <a class="skip" href="#main">"Skip to content"</a>
            <Nav/>
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view={Lazy::<ProjectsRoute>::new()}/>
                    <Route path=path!("/login") view={Lazy::<LoginRoute>::new()}/>
                    <Route path=path!("/setup") view={Lazy::<SetupRoute>::new()}/>
                    <Route path=path!("/projects/new") view={Lazy::<NewProjectRoute>::new()}/>
                    <Route path=path!("/projects/:id") view={Lazy::<ProjectRoute>::new()}/>
                    <Route path=path!("/projects/:id/edit") view={Lazy::<EditProjectRoute>::new()}/>
                    <Route path=path!("/projects/:id/scope") view={Lazy::<ScopeRoute>::new()}/>
                    <Route path=path!("/projects/:id/training") view={Lazy::<TrainingRoute>::new()}/>
                    <Route path=path!("/projects/:id/activity") view={Lazy::<ActivityRoute>::new()}/>
                    <Route path=path!("/projects/:id/retro") view={Lazy::<RetroRoute>::new()}/>
                    <Route path=path!("/projects/:id/watch") view={Lazy::<WatchRoute>::new()}/>
                    <Route path=path!("/projects/:id/share") view={Lazy::<HandoverRoute>::new()}/>
                    <Route path=path!("/template") view={Lazy::<TemplateRoute>::new()}/>
                    <Route path=path!("/my") view={Lazy::<MyItemsRoute>::new()}/>
                    <Route path=path!("/runs/:id") view={Lazy::<RunRoute>::new()}/>
                    <Route path=path!("/compare/:before/:after") view={Lazy::<CompareRoute>::new()}/>
                    // Whole-page (async) rendering: a dead link answers with a real 404.
                    <Route path=path!("/share/:token") view={Lazy::<ShareRoute>::new()} ssr=leptos_router::SsrMode::Async/>
                    <Route path=path!("/team") view={Lazy::<TeamRoute>::new()}/>
                    <Route path=path!("/account") view={Lazy::<AccountRoute>::new()}/>
                    <Route path=path!("/notifications") view={Lazy::<NotificationsRoute>::new()}/>
                    <Route path=path!("/unsubscribe/:token") view={Lazy::<UnsubscribeRoute>::new()}/>
                    <Route path=path!("/invite/:token") view={Lazy::<AccountLinkRoute>::new()}/>
                    <Route path=path!("/reset/:token") view={Lazy::<AccountLinkRoute>::new()}/>
                    <Route path=path!("/forgot") view={Lazy::<ForgotRoute>::new()}/>
                </Routes>
            </main>
        </Router>
    }
}

/// The signed-in user resource provided by [`App`].
pub type UserResource = Resource<Result<Option<model::UserInfo>, ServerFnError>, components::Json>;

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::route_group;

    #[test]
    fn pages_load_their_route_group() {
        assert_eq!(route_group("/projects/12"), Some("checklist_group"));
        assert_eq!(route_group("/projects/12/scope"), Some("other_group"));
        assert_eq!(route_group("/projects/new"), Some("other_group"));
        assert_eq!(route_group("/runs/3"), Some("runs_group"));
        assert_eq!(route_group("/compare/3/4"), Some("runs_group"));
        assert_eq!(route_group("/"), Some("other_group"));
        assert_eq!(route_group("/share/pfs_x"), None);
    }
}
