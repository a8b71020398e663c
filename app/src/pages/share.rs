//! The client's review page behind a share link (`/share/:token`, no account), and the
//! team's panel for making and revoking links.
//!
//! The client's page is plain HTML with forms: the document loads no WASM and no script (the
//! shell leaves the app out for `/share/…`), so it is light on any phone and works in any
//! browser. Each action posts to `/share/{token}/…` (the server's `share_forms`), which
//! answers with a redirect back to where the client was; the reviewer's name and the message
//! about a refused action come back in cookies of the link's own path.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::{fmt_time, ErrorBox};
use crate::model::{ChangeStatus, ScreenshotView, ShareLink, ShareLinkInput, ShareView};
use crate::server_fns::{create_share_link, error_text, list_share_links, revoke_share_link, share_view};

/// The reviewer's name and the message about the last action, from the request's cookies (on
/// the server; the message is shown once, so its cookie is cleared).
fn reviewer_and_message(token: &str) -> (String, Option<String>) {
    #[cfg(feature = "ssr")]
    {
        use preflight_store::share::{cookie, link_cookie, FLASH_COOKIE, NAME_COOKIE};
        let Some(parts) = use_context::<http::request::Parts>() else { return (String::new(), None) };
        let name = cookie(&parts.headers, NAME_COOKIE).unwrap_or_default();
        let message = cookie(&parts.headers, FLASH_COOKIE).filter(|m| !m.is_empty());
        if message.is_some() {
            let secure = crate::server_fns::ctx::state().is_ok_and(|st| st.cookie_secure(&parts.headers));
            if let (Some(res), Ok(v)) =
                (use_context::<leptos_axum::ResponseOptions>(), http::HeaderValue::from_str(&link_cookie(secure, token, FLASH_COOKIE, "", 0)))
            {
                res.append_header(http::header::SET_COOKIE, v);
            }
        }
        (name, message)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = token;
        (String::new(), None)
    }
}

#[component]
pub fn SharePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let data = crate::components::resource(token, share_view);
    view! {
        <Meta name="referrer" content="same-origin"/>
        <Meta name="robots" content="noindex, nofollow"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => {
                        let token = token();
                        let (name, message) = reviewer_and_message(&token);
                        let selected = query.read().get("shot").and_then(|s| s.parse::<i64>().ok());
                        view! { <ShareBoard view=v token name message selected/> }.into_any()
                    }
                    Err(e) => {
                        #[cfg(feature = "ssr")]
                        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                            res.set_status(http::StatusCode::NOT_FOUND);
                        }
                        let _ = e;
                        view! {
                            <Title text="Review link"/>
                            <section class="card narrow center">
                                <h1>"This review link does not work"</h1>
                                <p>"It may have expired or been withdrawn. Please ask the team for a new one."</p>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// A page's heading for people: its title, or "Home page" / its path.
fn page_heading(shot: &ScreenshotView) -> (String, String) {
    let path = crate::pages::gallery::short(&shot.url);
    let title = shot.title.trim();
    let heading = if !title.is_empty() {
        title.to_string()
    } else if path == "/" {
        "Home page".to_string()
    } else {
        path.clone()
    };
    (heading, path)
}

/// What the old-IE emulation is, in plain words (said once on the page).
const OLD_IE_PLAIN: &str = "“Old Internet Explorer” is shown by a modern browser pretending to be it: it shows how the pages hold up at that screen size and when the site thinks it is talking to Internet Explorer, not exactly what a real old Internet Explorer would draw.";

/// A form that posts one action of the review page.
#[component]
fn ActionForm(token: String, action: &'static str, #[prop(optional, into)] class: String, children: Children) -> impl IntoView {
    view! {
        <form method="post" action=format!("/share/{token}/{action}") class=class>
            {children()}
        </form>
    }
}

#[component]
fn ShareBoard(view: ShareView, token: String, name: String, message: Option<String>, selected: Option<i64>) -> impl IntoView {
    let ShareView {
        project_name,
        client,
        launch_date,
        run_id,
        gallery,
        reviews: _,
        training,
        scope,
        change_requests,
        signoffs,
        expires_at,
        training_ack,
        checklist_done,
        checklist_total,
    } = view;
    let has_training = !training.is_empty();
    let shots: Vec<ScreenshotView> = gallery.as_ref().map(|g| g.shots.clone()).unwrap_or_default();
    let total = shots.len();
    let approved = shots.iter().filter(|s| s.review.as_ref().is_some_and(|r| r.verdict == "approved")).count();
    let asked = shots.iter().filter(|s| s.review.as_ref().is_some_and(|r| r.verdict != "approved")).count();
    let reviewed = approved + asked;
    let mut pages: Vec<String> = Vec::new();
    for s in &shots {
        if !pages.contains(&s.url) {
            pages.push(s.url.clone());
        }
    }
    let viewports = gallery.as_ref().map(|g| g.viewports.clone()).unwrap_or_default();
    let emulated = viewports.iter().any(|v| v.note.is_some());
    let earlier_review = gallery.as_ref().and_then(|g| g.previous_run_id);
    let open_changes = change_requests.iter().filter(|c| c.status == ChangeStatus::Proposed).count();
    let scope_counts: Vec<String> = crate::model::ScopeStatus::ALL
        .iter()
        .filter_map(|st| {
            let n = scope.iter().filter(|i| i.status == *st).count();
            (n > 0).then(|| format!("{n} {}", st.label().to_lowercase()))
        })
        .collect();
    let signed_now = signoffs.first().filter(|s| s.run_id == run_id).cloned();
    let signer = name.trim().to_string();
    let named = !signer.is_empty();
    let t = token.clone();
    view! {
        <Title text=format!("Review · {project_name}")/>
        <section class="card share-head">
            <h1>{format!("Review: {project_name}")}</h1>
            <p class="muted">
                {(!client.is_empty()).then(|| format!("For {client} · "))}
                {format!("launch {launch_date}")}
                {expires_at.map(|t| format!(" · this link works until {}", fmt_time(t)))}
            </p>
            {(total > 0).then(|| view! {
                <div class="review-progress">
                    <progress max=total.to_string() value=reviewed.to_string() aria-label="Screenshots reviewed"></progress>
                    <p><strong>{format!("{reviewed} of {total} screenshots reviewed")}</strong>
                        {format!(" · {approved} approved · {asked} with a change asked")}</p>
                </div>
            })}
            <div id="message">{message.map(|m| view! { <ErrorBox message=m/> })}</div>
            <ActionForm token=t.clone() action="name" class="name-form">
                <label for="name">{if named { "Reviewing as (shown with your approvals and comments)" } else { "Your name (shown with your approvals and comments)" }}</label>
                <div class="name-row">
                    <input type="text" id="name" name="name" autocomplete="name" required maxlength="100" value=name.clone() placeholder="Carla Client"/>
                    <button type="submit" class="small">{if named { "Change name" } else { "Save name" }}</button>
                </div>
                {(!named).then(|| view! { <p class="muted small">"Give your name first: approvals, comments and the sign-off carry it."</p> })}
            </ActionForm>
        </section>
        <section class="card review-pages" aria-labelledby="pages-title">
            <h2 id="pages-title">"The pages"</h2>
            {if total == 0 {
                view! { <p class="muted">"No screenshots yet: the team will send the link again when there are."</p> }.into_any()
            } else {
                view! {
                    <p class="muted">
                        "Tap a picture to see it large, then approve it or ask for a change. “Approve page” approves every screen size of a page at once."
                        {earlier_review.map(|_| " Pictures that changed since your last review say so.")}
                    </p>
                }.into_any()
            }}
            {emulated.then(|| view! { <p class="note">{OLD_IE_PLAIN}</p> })}
            {pages.into_iter().map(|page| {
                let row: Vec<ScreenshotView> = viewports.iter().filter_map(|v| shots.iter().find(|s| s.url == page && s.viewport == v.name).cloned()).collect();
                view! { <PageReview shots=row token=t.clone() selected/> }
            }).collect_view()}
        </section>
        <section class="card scope-share" aria-labelledby="scope-title">
            <h2 id="scope-title">"What we agreed to build"</h2>
            {scope.is_empty().then(|| view! { <p class="muted">"Nothing is listed yet."</p> })}
            <ul class="scope-list">
                {scope.into_iter().map(|i| view! { <li><strong>{i.title}</strong> " " <span class="chip">{i.status.label()}</span> {(!i.description.is_empty()).then(|| view! { <p>{i.description}</p> })}</li> }).collect_view()}
            </ul>
            {(!change_requests.is_empty()).then(|| view! { <h3>"Change requests"</h3> })}
            <ul class="change-list">
                {change_requests.into_iter().map(|c| view! {
                    <li>
                        <strong>{c.title.clone()}</strong> " — " {c.reason.clone()}
                        {match c.status {
                            ChangeStatus::Proposed if c.proposed_by_kind == "client" => view! {
                                <span class="chip">{format!("proposed by {}: waiting for the team's decision", c.proposed_by)}</span>
                            }.into_any(),
                            ChangeStatus::Proposed => view! {
                                <form method="post" action=format!("/share/{}/changes/{}/decision", t, c.id) class="inline-form">
                                    <button type="submit" name="approve" value="true" class="small">"Approve change"</button>
                                    <button type="submit" name="approve" value="false" class="small">"Decline"</button>
                                </form>
                            }.into_any(),
                            ChangeStatus::Approved => view! { <span class="chip pass">{format!("approved by {}", c.decided_by.clone().unwrap_or_default())}</span> }.into_any(),
                            ChangeStatus::Declined => view! { <span class="chip fail">{format!("declined by {}", c.decided_by.clone().unwrap_or_default())}</span> }.into_any(),
                        }}
                    </li>
                }).collect_view()}
            </ul>
            <details class="propose-change">
                <summary>"Propose a change to what we agreed"</summary>
                <ActionForm token=t.clone() action="changes" class="inline-form">
                    <label>"What should change" <input type="text" name="title" required maxlength="200"/></label>
                    <label>"Why" <textarea name="reason" rows="2" required></textarea></label>
                    <button type="submit">"Propose the change"</button>
                    <p class="muted small">"The team decides it; your name is recorded with it."</p>
                </ActionForm>
            </details>
        </section>
        {has_training.then(|| view! {
            <section class="card training-notes" aria-labelledby="training-title">
                <h2 id="training-title">"Training notes"</h2>
                {training.into_iter().map(|n| view! {
                    <details class="training-note"><summary>{n.title}</summary><div class="prose" inner_html=n.html></div></details>
                }).collect_view()}
            </section>
            <section class="card training-ack">
                {match training_ack.clone() {
                    Some((who, at)) => view! { <p>{format!("✓ Training notes acknowledged by {who} on {}", fmt_time(at))}</p> }.into_any(),
                    None => view! { <p class="muted">"Let the team know you have read the training notes above."</p> }.into_any(),
                }}
                <ActionForm token=t.clone() action="training">
                    <button type="submit">"I have read the training notes"</button>
                </ActionForm>
            </section>
        })}
        {
            let unreviewed = total - reviewed;
            let summary = view! {
                <ul class="signoff-summary">
                    <li class=if unreviewed == 0 && asked == 0 { "ok" } else { "attention" }>
                        {format!("Screenshots: {reviewed} of {total} reviewed — {approved} approved, {asked} with a change asked, {unreviewed} not reviewed")}
                    </li>
                    <li class=if open_changes == 0 { "ok" } else { "attention" }>
                        {if open_changes == 0 { "Change requests: none waiting for a decision".to_string() } else { format!("Change requests: {open_changes} waiting for a decision") }}
                    </li>
                    <li class=if checklist_done == checklist_total { "ok" } else { "attention" }>
                        {format!("Launch checklist: {checklist_done} of {checklist_total} items done")}
                    </li>
                    <li>{if scope_counts.is_empty() { "Scope: nothing listed".to_string() } else { format!("Scope: {}", scope_counts.join(", ")) }}</li>
                </ul>
            };
            view! {
                <section class="card signoff" aria-labelledby="signoff-title">
                    <h2 id="signoff-title">"Launch sign-off"</h2>
                    {match signed_now.clone() {
                        Some(s) => view! {
                            <p class="alert ok" role="status">{format!("✓ Signed off by {} on {}", s.signed_by, fmt_time(s.at))}</p>
                            <p class="muted">"These screenshots are signed off. If something changes, the team will send new screenshots to sign off."</p>
                        }.into_any(),
                        None => view! {
                            <p class="muted">"Signing off records your name and the time, with the checklist, the agreed scope and the screenshots you approved as they stand now. Where things stand:"</p>
                            {summary}
                            <details class="signoff-confirm">
                                <summary class="button primary"><span class="when-closed">"Sign off the launch…"</span><span class="when-open">"Cancel"</span></summary>
                                <div class="confirm" role="group" aria-labelledby="confirm-title">
                                    {if named {
                                        view! {
                                            <p id="confirm-title"><strong>{format!("Sign off the launch of {project_name} as {signer}?")}</strong></p>
                                            {(unreviewed > 0 || asked > 0 || open_changes > 0).then(|| view! {
                                                <p class="attention">"Some screenshots are not reviewed or have a change asked, or change requests wait for a decision: you can still sign off, and they are recorded as they are."</p>
                                            })}
                                            <ActionForm token=t.clone() action="sign-off">
                                                <button type="submit" name="confirm" value="yes" class="primary">"Yes, sign off"</button>
                                            </ActionForm>
                                        }.into_any()
                                    } else {
                                        view! {
                                            <p id="confirm-title"><strong>"Who is signing off?"</strong></p>
                                            <p><a href="#name">"Give your name at the top of the page"</a>" first: it is recorded with the sign-off."</p>
                                        }.into_any()
                                    }}
                                </div>
                            </details>
                        }.into_any(),
                    }}
                    {signoffs.iter().filter(|s| Some(s.id) != signed_now.as_ref().map(|n| n.id)).map(|s| view! {
                        <p class="muted small">{format!("Earlier: signed off by {} on {}{}", s.signed_by, fmt_time(s.at), if s.superseded || signed_now.is_none() { " (superseded: the screenshots have changed since)" } else { "" })}</p>
                    }).collect_view()}
                </section>
            }
        }
    }
}

/// One page at every viewport: small pictures, a page-wide approve, and the picture the
/// client opened (`?shot=…`), large, with its approve / ask-for-a-change.
#[component]
fn PageReview(shots: Vec<ScreenshotView>, token: String, selected: Option<i64>) -> impl IntoView {
    let Some(first) = shots.first() else { return ().into_any() };
    let (heading, path) = page_heading(first);
    let approved = shots.iter().filter(|s| s.review.as_ref().is_some_and(|r| r.verdict == "approved")).count();
    let asked = shots.iter().filter(|s| s.review.as_ref().is_some_and(|r| r.verdict != "approved")).count();
    let n = shots.len();
    let status = if approved == n {
        "✓ Approved".to_string()
    } else if asked > 0 {
        format!("{asked} with a change asked · {approved} of {n} approved")
    } else {
        format!("{approved} of {n} approved")
    };
    let status_class = if approved == n {
        "chip pass"
    } else if asked > 0 {
        "chip fail"
    } else {
        "chip"
    };
    let page_id = format!("page-{}", first.id);
    let open = shots.iter().find(|s| Some(s.id) == selected).cloned();
    let ids: Vec<i64> = shots.iter().map(|s| s.id).collect();
    view! {
        <article class="page-review" id=page_id.clone() aria-labelledby=format!("{page_id}-title")>
            <div class="page-review-head">
                <h3 id=format!("{page_id}-title")>{heading} {(path != "/").then(|| view! { " " <span class="muted small path">{path.clone()}</span> })}</h3>
                <span class=status_class>{status}</span>
                {(approved < n).then(|| view! {
                    <ActionForm token=token.clone() action="approve" class="inline">
                        {ids.iter().map(|id| view! { <input type="hidden" name="screenshot_id" value=*id/> }).collect_view()}
                        <button type="submit" class="small approve">"Approve page"</button>
                    </ActionForm>
                })}
            </div>
            <div class="page-thumbs">
                {shots.into_iter().map(|s| {
                    let id = s.id;
                    let label = crate::model::viewport_for_people(&s.viewport);
                    let src = format!("/share/{token}/screenshots/{id}{}", if s.has_thumbnail { "/thumb" } else { "" });
                    let (mark, class) = match s.review.as_ref().map(|r| r.verdict.as_str()) {
                        Some("approved") => ("✓", "thumb-btn approved"),
                        Some(_) => ("✎", "thumb-btn changes"),
                        None => ("", "thumb-btn"),
                    };
                    let is_open = selected == Some(id);
                    // Open: the link closes it again (back to the page's row).
                    let href = if is_open { format!("?#{page_id}") } else { format!("?shot={id}#shot-{id}") };
                    view! {
                        <a class=class href=href data-shot=id aria-current=is_open.then_some("true")>
                            <img src=src alt=format!("{label}: a small picture") loading="lazy"/>
                            <span class="thumb-label">{(!mark.is_empty()).then(|| view! { <span class="mark" aria-hidden="true">{mark}</span> " " })}{label.clone()}</span>
                        </a>
                    }
                }).collect_view()}
            </div>
            {open.map(|s| view! { <ShotDetail shot=s token=token.clone()/> })}
        </article>
    }
    .into_any()
}

#[component]
fn ShotDetail(shot: ScreenshotView, token: String) -> impl IntoView {
    let id = shot.id;
    let full = format!("/share/{token}/screenshots/{id}");
    let label = crate::model::viewport_for_people(&shot.viewport);
    let diff = shot.previous.map(|p| format!("/share/{token}/diff/{p}/{id}"));
    view! {
        <div class="shot-detail" id=format!("shot-{id}") data-shot=id>
            <p class="shot-detail-head"><strong>{label.clone()}</strong>
                " · " <a href=full.clone() target="_blank" rel="noopener">"Open full size"</a>
                {diff.map(|d| view! { " · " <a href=d target="_blank" rel="noopener">"What changed since your last review"</a> })}
            </p>
            <a href=full.clone() target="_blank" rel="noopener" class="shot-large"><img src=full.clone() alt=format!("The page at {label}")/></a>
            {shot.review.clone().map(|r| view! {
                <p class=if r.verdict == "approved" { "review approved" } else { "review changes" }>
                    {if r.verdict == "approved" { format!("✓ Approved by {}", r.reviewer) } else { format!("✎ {} asked: “{}”", r.reviewer, r.comment) }}
                </p>
            })}
            <div class="chips">
                <ActionForm token=token.clone() action="review" class="inline">
                    <input type="hidden" name="screenshot_id" value=id/>
                    <input type="hidden" name="verdict" value="approve"/>
                    <button type="submit" class="small approve">"Approve"</button>
                </ActionForm>
            </div>
            <details class="ask">
                <summary class="button small request">"Ask for a change"</summary>
                <ActionForm token=token.clone() action="review" class="ask-changes">
                    <input type="hidden" name="screenshot_id" value=id/>
                    <input type="hidden" name="verdict" value="changes"/>
                    <label for=format!("comment-{id}")>"What should change?"</label>
                    <textarea id=format!("comment-{id}") name="comment" rows="3" required></textarea>
                    <button type="submit" class="small request">"Send"</button>
                </ActionForm>
            </details>
        </div>
    }
}

/// The team's panel on the project page: make a link (optionally for one run), see and
/// revoke the existing ones.
#[component]
pub fn ShareLinksPanel(project_id: i64) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let links = crate::components::resource(move || reload.get(), move |_| list_share_links(project_id));
    let expires = RwSignal::new(String::new());
    let run = RwSignal::new(String::new());
    let made = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let e = expires.get_untracked();
        let input = ShareLinkInput {
            expires_at: (!e.trim().is_empty()).then_some(serde_json::Value::String(e)),
            run_id: run.get_untracked().trim().parse().ok(),
            label: String::new(),
        };
        leptos::task::spawn_local(async move {
            match create_share_link(project_id, input).await {
                Ok(l) => {
                    error.set(None);
                    made.set(l.url);
                    reload.update(|n| *n += 1);
                }
                Err(e) => {
                    made.set(None);
                    error.set(Some(error_text(&e)));
                }
            }
        });
    };
    view! {
        <section class="card share-links" aria-labelledby="share-title">
            <h2 id="share-title">"Client review links"</h2>
            <p class="muted">"A link lets the client see this project's screenshots, client-visible training notes and scope, approve or comment, and sign off — without an account. Only people with the link can open it."</p>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
            {move || made.get().map(|u| view! {
                <div class="alert ok" role="status">"New link (copy it now — it is not shown again): " <code class="share-url">{u}</code></div>
            })}
            <form class="inline-form" on:submit=create>
                <label>"Works until" <input type="date" bind:value=expires/></label>
                <label>"Only run # (optional)" <input type="text" inputmode="numeric" size="6" bind:value=run/></label>
                <button type="submit" class="primary">"Make a link"</button>
            </form>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list: Vec<ShareLink> = links.await.unwrap_or_default();
                    view! {
                        <ul class="change-list">
                            {list.into_iter().map(|l| {
                                let id = l.id;
                                let active = l.revoked_at.is_none();
                                let revoke = move |_| {
                                    leptos::task::spawn_local(async move {
                                        match revoke_share_link(id).await {
                                            Ok(()) => reload.update(|n| *n += 1),
                                            Err(e) => error.set(Some(error_text(&e))),
                                        }
                                    });
                                };
                                view! {
                                    <li>
                                        {format!("Link #{id} by {} · {}", l.created_by, l.run_id.map(|r| format!("run #{r}")).unwrap_or_else(|| "latest run".into()))}
                                        {l.expires_at.map(|t| format!(" · until {}", fmt_time(t)))}
                                        {if active {
                                            view! { " " <button type="button" class="small link danger" on:click=revoke>"Revoke"</button> }.into_any()
                                        } else {
                                            view! { " " <span class="chip fail">"revoked"</span> }.into_any()
                                        }}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Transition>
        </section>
    }
}
