//! The client's review page works as plain HTML forms: no WASM and no script, so the page a
//! client opens on any phone or old browser is HTML and a stylesheet. Each action is a POST
//! to `/share/{token}/…` that answers with a redirect back to the page, at the place the
//! client was (`#page-…`, `#shot-…`). The reviewer's name is kept in a cookie of the link's
//! own path once given; what went wrong comes back in a one-time cookie the page shows in
//! words (never in the URL, so nobody can send a client a link with made-up messages).

use axum::{
    extract::{Path, RawForm, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Redirect, Response},
    routing::post,
    Router,
};

use preflight_store::{
    share::{self, cookie, FLASH_COOKIE, NAME_COOKIE},
    AppError,
};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/share/{token}/name", post(set_name))
        .route("/share/{token}/review", post(review))
        .route("/share/{token}/approve", post(approve_page))
        .route("/share/{token}/changes", post(propose_change))
        .route("/share/{token}/changes/{id}/decision", post(decide))
        .route("/share/{token}/training", post(acknowledge_training))
        .route("/share/{token}/sign-off", post(sign_off))
}

/// A form's fields, in order (a field may repeat: `screenshot_id`).
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(form: &RawForm) -> Fields {
        Fields(url::form_urlencoded::parse(&form.0).into_owned().collect())
    }

    fn get(&self, key: &str) -> &str {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    fn ids(&self, key: &str) -> Vec<i64> {
        self.0.iter().filter(|(k, _)| k == key).filter_map(|(_, v)| v.trim().parse().ok()).collect()
    }
}

/// A `Set-Cookie` value on the link's path; `max_age` 0 removes it.
fn set_cookie(state: &AppState, headers: &HeaderMap, token: &str, name: &str, value: &str, max_age: i64) -> Option<HeaderValue> {
    HeaderValue::from_str(&share::link_cookie(state.cookie_secure(headers), token, name, value, max_age)).ok()
}

/// The reviewer's name: from the form when it has one (then remembered), else the cookie.
fn reviewer(headers: &HeaderMap, f: &Fields) -> String {
    let given = f.get("name").trim();
    if given.is_empty() {
        cookie(headers, NAME_COOKIE).unwrap_or_default()
    } else {
        given.to_string()
    }
}

/// Back to the page at `anchor`, with the name remembered and a message for the page when the
/// action was refused.
fn back(state: &AppState, headers: &HeaderMap, token: &str, anchor: &str, name: &str, outcome: Result<(), AppError>) -> Response {
    let page = format!("/share/{}", url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>());
    let (target, flash) = match outcome {
        Ok(()) => (format!("{page}{anchor}"), None),
        // A link that does not work shows its own page; no message is needed.
        Err(AppError::NotFound("share link")) => (page.clone(), None),
        Err(e) => {
            let status = e.status();
            if status.is_server_error() {
                tracing::error!("client review: {e}");
            }
            let message = if status.is_server_error() { "Something went wrong on our side; please try again.".to_string() } else { e.to_string() };
            (format!("{page}#message"), Some(message))
        }
    };
    let mut res = Redirect::to(&target).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(c) = share::reviewer_name(name).ok().and_then(|n| set_cookie(state, headers, token, NAME_COOKIE, &n, 180 * 86400)) {
        h.append(header::SET_COOKIE, c);
    }
    if let Some(c) = flash.and_then(|m| set_cookie(state, headers, token, FLASH_COOKIE, &m, 120)) {
        h.append(header::SET_COOKIE, c);
    }
    res
}

async fn set_name(State(s): State<AppState>, Path(token): Path<String>, headers: HeaderMap, form: RawForm) -> Response {
    let f = Fields::parse(&form);
    let name = f.get("name").trim().to_string();
    let outcome = match share::resolve(&s.pool, &token).await {
        Ok(_) => share::reviewer_name(&name).map(drop),
        Err(e) => Err(e),
    };
    back(&s, &headers, &token, "#name", &name, outcome)
}

async fn review(State(s): State<AppState>, Path(token): Path<String>, headers: HeaderMap, form: RawForm) -> Response {
    let f = Fields::parse(&form);
    let name = reviewer(&headers, &f);
    let id = f.ids("screenshot_id").first().copied().unwrap_or_default();
    let approve = f.get("verdict") != "changes";
    let outcome = async {
        let grant = share::resolve(&s.pool, &token).await?;
        share::review(s.store(), &grant, id, approve, &name, f.get("comment")).await.map(drop)
    }
    .await;
    back(&s, &headers, &token, &format!("?shot={id}#shot-{id}"), &name, outcome)
}

async fn approve_page(State(s): State<AppState>, Path(token): Path<String>, headers: HeaderMap, form: RawForm) -> Response {
    let f = Fields::parse(&form);
    let name = reviewer(&headers, &f);
    let ids = f.ids("screenshot_id");
    let anchor = format!("#page-{}", ids.first().copied().unwrap_or_default());
    let outcome = async {
        let grant = share::resolve(&s.pool, &token).await?;
        share::approve_many(s.store(), &grant, &ids, &name).await.map(drop)
    }
    .await;
    back(&s, &headers, &token, &anchor, &name, outcome)
}

async fn propose_change(State(s): State<AppState>, Path(token): Path<String>, headers: HeaderMap, form: RawForm) -> Response {
    let f = Fields::parse(&form);
    let name = reviewer(&headers, &f);
    let outcome = async {
        let grant = share::resolve(&s.pool, &token).await?;
        share::propose_change(&s.pool, &grant, &name, f.get("title"), f.get("reason")).await.map(drop)
    }
    .await;
    back(&s, &headers, &token, "#scope-title", &name, outcome)
}

async fn decide(State(s): State<AppState>, Path((token, id)): Path<(String, String)>, headers: HeaderMap, form: RawForm) -> Response {
    let f = Fields::parse(&form);
    let name = reviewer(&headers, &f);
    let outcome = async {
        let id: i64 = id.parse().map_err(|_| AppError::NotFound("change request"))?;
        let grant = share::resolve(&s.pool, &token).await?;
        share::decide(&s.pool, &grant, id, f.get("approve") == "true", &name, f.get("note")).await.map(drop)
    }
    .await;
    back(&s, &headers, &token, "#scope-title", &name, outcome)
}

async fn acknowledge_training(State(s): State<AppState>, Path(token): Path<String>, headers: HeaderMap, form: RawForm) -> Response {
    let f = Fields::parse(&form);
    let name = reviewer(&headers, &f);
    let outcome = async {
        let grant = share::resolve(&s.pool, &token).await?;
        share::acknowledge_training(&s.pool, &grant, &name).await.map(drop)
    }
    .await;
    back(&s, &headers, &token, "#training-title", &name, outcome)
}

async fn sign_off(State(s): State<AppState>, Path(token): Path<String>, headers: HeaderMap, form: RawForm) -> Response {
    let f = Fields::parse(&form);
    let name = reviewer(&headers, &f);
    let outcome = async {
        if f.get("confirm") != "yes" {
            return Err(AppError::bad("Confirm the sign-off with “Yes, sign off”."));
        }
        let grant = share::resolve(&s.pool, &token).await?;
        share::sign_off(s.store(), &grant, &name).await.map(drop)
    }
    .await;
    back(&s, &headers, &token, "#signoff-title", &name, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_are_kept() {
        let f = Fields::parse(&RawForm("screenshot_id=3&screenshot_id=x&screenshot_id=5&name=+Carla+".into()));
        assert_eq!(f.ids("screenshot_id"), [3, 5]);
        assert_eq!(f.get("name"), " Carla ");
        assert_eq!(f.get("missing"), "");
    }
}
