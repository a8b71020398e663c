//! Small building blocks shared by the pages.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::UserResource;

/// The codec of the data a page's resources carry from the server into the page: JSON, read
/// with the same serde_json reader (`from_slice`) as server functions' responses. Leptos'
/// default codec reads with `from_str`, which compiled every type's deserializer into the
/// WASM a second time.
pub struct Json;

impl<T: serde::Serialize> codee::Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(val: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(val)
    }
}

impl<T: serde::de::DeserializeOwned> codee::Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(val: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(val.as_bytes())
    }
}

/// A resource whose data is sent with [`Json`]: `Resource::new` for the app's pages.
#[track_caller]
pub fn resource<S, T, Fut>(source: impl Fn() -> S + Send + Sync + 'static, fetcher: impl Fn(S) -> Fut + Send + Sync + 'static) -> Resource<T, Json>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

/// The top bar: brand, navigation and sign-out, for signed-in users.
#[component]
pub fn Nav() -> impl IntoView {
    let user = expect_context::<UserResource>();
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <img src="/favicon.svg" alt="" width="28" height="28"/>
                <span>"Preflight"</span>
            </a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(u)) => view! {
                            <nav aria-label="Main">
                                <A href="/" exact=true>"Projects"</A>
                                <A href="/my">"My items"</A>
                                <A href="/template">"Template"</A>
                                <A href="/team">"Team"</A>
                                <A href="/account">"Account"</A>
                                <Bell/>
                                <span class="who" title=u.email.clone()>{u.name.clone()}</span>
                                <form method="post" action="/auth/logout" class="inline">
                                    <button type="submit" class="link">"Sign out"</button>
                                </form>
                            </nav>
                        }.into_any(),
                        _ => ().into_any(),
                    }
                })}
            </Transition>
        </header>
    }
}

/// The notification bell: how many of the signed-in person's notifications are unread, kept
/// live by the page's event stream (`/events/live`); it opens the notification centre.
#[component]
pub fn Bell() -> impl IntoView {
    // Unknown until the browser asks (the page renders without waiting for it).
    let unread = RwSignal::new(None::<i64>);
    #[cfg(feature = "hydrate")]
    {
        let reload = move || {
            leptos::task::spawn_local(async move {
                if let Ok(list) = crate::server_fns::get_notifications().await {
                    unread.set(Some(list.unread));
                }
            });
        };
        let sub = crate::live::subscribe_notifications(
            move |n| unread.set(Some(n)),
            // The first open and every reopen: whatever arrived meanwhile, ask again.
            move |_| reload(),
        );
        let sub = StoredValue::new_local(sub);
        on_cleanup(move || sub.update_value(|s| drop(s.take())));
    }
    let label = move || match unread.get() {
        None => "Notifications".to_string(),
        Some(0) => "Notifications: none unread".to_string(),
        Some(1) => "Notifications: 1 unread".to_string(),
        Some(n) => format!("Notifications: {n} unread"),
    };
    view! {
        <A href="/notifications" attr:class="bell" attr:aria-label=label attr:title=label>
            <svg aria-hidden="true" width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9"/>
                <path d="M13.73 21a2 2 0 0 1-3.46 0"/>
            </svg>
            <span class="bell-count" class:none=move || unread.get().unwrap_or(0) == 0>{move || unread.get().map(|n| n.to_string()).unwrap_or_default()}</span>
        </A>
    }
}

/// A labelled progress bar (`<progress>`, so no inline styles are needed under the CSP).
#[component]
pub fn Progress(#[prop(into)] done: Signal<i64>, #[prop(into)] total: Signal<i64>, #[prop(into)] label: String) -> impl IntoView {
    let pct = move || if total.get() == 0 { 0 } else { done.get() * 100 / total.get() };
    view! {
        <div class="progress">
            <progress max=move || total.get().max(1) value=move || done.get() aria-label=label.clone()></progress>
            <span class="progress-text">{move || format!("{} of {} · {}%", done.get(), total.get(), pct())}</span>
        </div>
    }
}

/// An error message box with a role so screen readers announce it.
#[component]
pub fn ErrorBox(#[prop(into)] message: String) -> impl IntoView {
    view! { <div class="alert error" role="alert">{message}</div> }
}

/// Renders a server function error for a page that failed to load.
#[component]
pub fn LoadError(error: ServerFnError) -> impl IntoView {
    let text = crate::server_fns::error_text(&error);
    let signed_out = text.contains("sign in");
    // Server-side, a missing record makes the page a real 404 (not a 200 with an error).
    #[cfg(feature = "ssr")]
    if text.ends_with("not found") {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <div class="alert error" role="alert">
            <p>{text}</p>
            {signed_out.then(|| view! { <p><a href="/login">"Sign in"</a></p> })}
        </div>
    }
}

/// Unix seconds as "26 Nov 2026, 14:05 UTC" (the same on server and browser).
pub fn fmt_time(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .map(|d| format!("{} {} {}, {:02}:{:02} UTC", d.day(), &d.month().to_string()[..3], d.year(), d.hour(), d.minute()))
        .unwrap_or_default()
}

/// "in 12 days", "today", "3 days ago" for a date relative to today (both `YYYY-MM-DD`).
pub fn relative_days(date: &str, today: &str) -> String {
    let (Some(d), Some(t)) = (crate::model::parse_date(date), crate::model::parse_date(today)) else {
        return String::new();
    };
    match (d - t).whole_days() {
        0 => "today".into(),
        1 => "tomorrow".into(),
        -1 => "yesterday".into(),
        n if n > 0 => format!("in {n} days"),
        n => format!("{} days ago", -n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_relative_days() {
        assert_eq!(fmt_time(0), "1 Jan 1970, 00:00 UTC");
        assert_eq!(relative_days("2026-12-01", "2026-11-26"), "in 5 days");
        assert_eq!(relative_days("2026-11-26", "2026-11-26"), "today");
        assert_eq!(relative_days("2026-11-20", "2026-11-26"), "6 days ago");
    }
}
