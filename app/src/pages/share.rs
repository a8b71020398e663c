//! The client's review page behind a share link (`/share/:token`, no account), and the
//! team's panel for making and revoking links.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;

use crate::components::{fmt_time, ErrorBox};
use crate::model::{ChangeStatus, ScreenshotView, ShareLink, ShareLinkInput, ShareView};
use crate::server_fns::{
    create_share_link, error_text, list_share_links, revoke_share_link, share_acknowledge_training, share_approve_many, share_decide, share_propose_change,
    share_review, share_sign_off, share_view,
};

#[component]
pub fn SharePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let reload = RwSignal::new(0u32);
    // Kept outside the board, which is rebuilt after every answer.
    let name = RwSignal::new(String::new());
    let data = Resource::new(move || (token(), reload.get()), |(t, _)| share_view(t));
    view! {
        <Meta name="referrer" content="no-referrer"/>
        <Meta name="robots" content="noindex, nofollow"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <ShareBoard view=v token=token() reload name/> }.into_any(),
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

#[component]
fn ShareBoard(view: ShareView, token: String, reload: RwSignal<u32>, name: RwSignal<String>) -> impl IntoView {
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
    let error = RwSignal::new(None::<String>);
    let token = StoredValue::new(token);
    let bump = move || {
        error.set(None);
        reload.update(|n| *n += 1)
    };
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
    let selected = RwSignal::new(None::<i64>);
    let open_changes = change_requests.iter().filter(|c| c.status == ChangeStatus::Proposed).count();
    let scope_counts: Vec<String> = crate::model::ScopeStatus::ALL
        .iter()
        .filter_map(|st| {
            let n = scope.iter().filter(|i| i.status == *st).count();
            (n > 0).then(|| format!("{n} {}", st.label().to_lowercase()))
        })
        .collect();
    let signed_now = signoffs.first().filter(|s| s.run_id == run_id).cloned();
    let project_label = StoredValue::new(project_name.clone());
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
            <label>"Your name (shown with your approvals and comments)"
                <input type="text" autocomplete="name" bind:value=name placeholder="Carla Client"/>
            </label>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
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
                view! { <PageReview shots=row token=token.get_value() name error reload selected/> }
            }).collect_view()}
        </section>
        {
            let cr_title = RwSignal::new(String::new());
            let cr_reason = RwSignal::new(String::new());
            let propose = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let t = token.get_value();
                leptos::task::spawn_local(async move {
                    match share_propose_change(t, name.get_untracked(), cr_title.get_untracked(), cr_reason.get_untracked()).await {
                        Ok(_) => bump(),
                        Err(e) => error.set(Some(error_text(&e))),
                    }
                });
            };
            let scope_items = scope.clone();
            let requests = change_requests.clone();
            view! {
            <section class="card scope-share">
                <h2>"What we agreed to build"</h2>
                {scope_items.is_empty().then(|| view! { <p class="muted">"Nothing is listed yet."</p> })}
                <ul class="scope-list">
                    {scope_items.into_iter().map(|i| view! { <li><strong>{i.title}</strong> " " <span class="chip">{i.status.label()}</span> {(!i.description.is_empty()).then(|| view! { <p>{i.description}</p> })}</li> }).collect_view()}
                </ul>
                {(!requests.is_empty()).then(|| view! { <h3>"Change requests"</h3> })}
                <ul class="change-list">
                    {requests.into_iter().map(|c| {
                        let id = c.id;
                        let decide = move |approve: bool| {
                            let t = token.get_value();
                            leptos::task::spawn_local(async move {
                                match share_decide(t, id, approve, name.get_untracked(), String::new()).await {
                                    Ok(_) => bump(),
                                    Err(e) => error.set(Some(error_text(&e))),
                                }
                            });
                        };
                        view! {
                            <li>
                                <strong>{c.title.clone()}</strong> " — " {c.reason.clone()}
                                {match c.status {
                                    ChangeStatus::Proposed if c.proposed_by_kind == "client" => view! {
                                        <span class="chip">{format!("proposed by {}: waiting for the team's decision", c.proposed_by)}</span>
                                    }.into_any(),
                                    ChangeStatus::Proposed => view! {
                                        <div class="inline-form">
                                            <button type="button" class="small" on:click=move |_| decide(true)>"Approve change"</button>
                                            <button type="button" class="small" on:click=move |_| decide(false)>"Decline"</button>
                                        </div>
                                    }.into_any(),
                                    ChangeStatus::Approved => view! { <span class="chip pass">{format!("approved by {}", c.decided_by.clone().unwrap_or_default())}</span> }.into_any(),
                                    ChangeStatus::Declined => view! { <span class="chip fail">{format!("declined by {}", c.decided_by.clone().unwrap_or_default())}</span> }.into_any(),
                                }}
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <details class="propose-change">
                    <summary>"Propose a change to what we agreed"</summary>
                    <form class="inline-form" on:submit=propose>
                        <label>"What should change" <input type="text" required bind:value=cr_title/></label>
                        <label>"Why" <textarea rows="2" required bind:value=cr_reason></textarea></label>
                        <button type="submit">"Propose the change"</button>
                        <p class="muted small">"The team decides it; your name above is recorded with it."</p>
                    </form>
                </details>
            </section>
            }
        }
        {has_training.then(|| view! {
            <section class="card training-notes" aria-labelledby="training-title">
                <h2 id="training-title">"Training notes"</h2>
                {training.into_iter().map(|n| view! {
                    <details class="training-note"><summary>{n.title}</summary><div class="prose" inner_html=n.html></div></details>
                }).collect_view()}
            </section>
        })}
        {has_training.then(|| {
            let acknowledge = move |_| {
                let t = token.get_value();
                leptos::task::spawn_local(async move {
                    match share_acknowledge_training(t, name.get_untracked()).await {
                        Ok(_) => bump(),
                        Err(e) => error.set(Some(error_text(&e))),
                    }
                });
            };
            view! {
                <section class="card training-ack">
                    {match training_ack.clone() {
                        Some((who, at)) => view! { <p>{format!("✓ Training notes acknowledged by {who} on {}", fmt_time(at))}</p> }.into_any(),
                        None => view! { <p class="muted">"Let the team know you have read the training notes above."</p> }.into_any(),
                    }}
                    <button type="button" on:click=acknowledge>"I have read the training notes"</button>
                </section>
            }
        })}
        {
            let confirming = RwSignal::new(false);
            let ask = move |_| {
                if name.get_untracked().trim().is_empty() {
                    error.set(Some("Please give your name at the top of the page first: it is recorded with the sign-off.".into()));
                } else {
                    confirming.set(true);
                }
            };
            let sign = move |_| {
                let t = token.get_value();
                leptos::task::spawn_local(async move {
                    match share_sign_off(t, name.get_untracked()).await {
                        Ok(_) => {
                            confirming.set(false);
                            bump();
                        }
                        Err(e) => {
                            confirming.set(false);
                            error.set(Some(error_text(&e)));
                        }
                    }
                });
            };
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
                            {move || if confirming.get() {
                                view! {
                                    <div class="confirm" role="alertdialog" aria-labelledby="confirm-title">
                                        <p id="confirm-title"><strong>{move || format!("Sign off the launch of {} as {}?", project_label.get_value(), name.get().trim())}</strong></p>
                                        {(unreviewed > 0 || asked > 0 || open_changes > 0).then(|| view! {
                                            <p class="attention">"Some screenshots are not reviewed or have a change asked, or change requests wait for a decision: you can still sign off, and they are recorded as they are."</p>
                                        })}
                                        <div class="chips">
                                            <button type="button" class="primary" on:click=sign>"Yes, sign off"</button>
                                            <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                                        </div>
                                    </div>
                                }.into_any()
                            } else {
                                view! { <button type="button" class="primary" on:click=ask>"Sign off the launch…"</button> }.into_any()
                            }}
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
/// client opened, large, with its approve / ask-for-a-change.
#[component]
fn PageReview(
    shots: Vec<ScreenshotView>,
    token: String,
    name: RwSignal<String>,
    error: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
    selected: RwSignal<Option<i64>>,
) -> impl IntoView {
    let Some(first) = shots.first() else { return ().into_any() };
    let (heading, path) = page_heading(first);
    let ids: Vec<i64> = shots.iter().map(|s| s.id).collect();
    let approved = shots.iter().filter(|s| s.review.as_ref().is_some_and(|r| r.verdict == "approved")).count();
    let asked = shots.iter().filter(|s| s.review.as_ref().is_some_and(|r| r.verdict != "approved")).count();
    let n = shots.len();
    let token = StoredValue::new(token);
    let approve_page = move |_| {
        let (t, ids) = (token.get_value(), ids.clone());
        leptos::task::spawn_local(async move {
            match share_approve_many(t, ids, name.get_untracked()).await {
                Ok(_) => {
                    error.set(None);
                    reload.update(|n| *n += 1)
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
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
    let details = shots.clone();
    view! {
        <article class="page-review" aria-labelledby=page_id.clone()>
            <div class="page-review-head">
                <h3 id=page_id.clone()>{heading} {(path != "/").then(|| view! { " " <span class="muted small path">{path.clone()}</span> })}</h3>
                <span class=status_class>{status}</span>
                {(approved < n).then(|| view! { <button type="button" class="small approve" on:click=approve_page>"Approve page"</button> })}
            </div>
            <div class="page-thumbs">
                {shots.into_iter().map(|s| {
                    let id = s.id;
                    let label = crate::model::viewport_for_people(&s.viewport);
                    let src = format!("/share/{}/screenshots/{id}{}", token.get_value(), if s.has_thumbnail { "/thumb" } else { "" });
                    let (mark, class) = match s.review.as_ref().map(|r| r.verdict.as_str()) {
                        Some("approved") => ("✓", "thumb-btn approved"),
                        Some(_) => ("✎", "thumb-btn changes"),
                        None => ("", "thumb-btn"),
                    };
                    view! {
                        <button type="button" class=class data-shot=id aria-expanded=move || (selected.get() == Some(id)).to_string()
                            on:click=move |_| selected.update(|sel| *sel = if *sel == Some(id) { None } else { Some(id) })>
                            <img src=src alt=format!("{label}: a small picture") loading="lazy"/>
                            <span class="thumb-label">{(!mark.is_empty()).then(|| view! { <span class="mark" aria-hidden="true">{mark}</span> " " })}{label.clone()}</span>
                        </button>
                    }
                }).collect_view()}
            </div>
            {move || selected.get().and_then(|sel| details.iter().find(|s| s.id == sel).cloned()).map(|s| view! {
                <ShotDetail shot=s token=token.get_value() name error reload/>
            })}
        </article>
    }
    .into_any()
}

#[component]
fn ShotDetail(shot: ScreenshotView, token: String, name: RwSignal<String>, error: RwSignal<Option<String>>, reload: RwSignal<u32>) -> impl IntoView {
    let id = shot.id;
    let full = format!("/share/{token}/screenshots/{id}");
    let label = crate::model::viewport_for_people(&shot.viewport);
    let comment = RwSignal::new(String::new());
    let asking = RwSignal::new(false);
    let token = StoredValue::new(token);
    let send = move |approve: bool| {
        let t = token.get_value();
        leptos::task::spawn_local(async move {
            match share_review(t, id, approve, name.get_untracked(), comment.get_untracked()).await {
                Ok(_) => {
                    error.set(None);
                    reload.update(|n| *n += 1)
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let diff = shot.previous.map(|p| format!("/share/{}/diff/{p}/{id}", token.get_value()));
    view! {
        <div class="shot-detail" data-shot=id>
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
                <button type="button" class="small approve" on:click=move |_| send(true)>"Approve"</button>
                <button type="button" class="small request" aria-expanded=move || asking.get().to_string() on:click=move |_| asking.update(|a| *a = !*a)>"Ask for a change"</button>
            </div>
            {move || asking.get().then(|| view! {
                <form class="ask-changes" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); send(false); }>
                    <label for=format!("comment-{id}")>"What should change?"</label>
                    <textarea id=format!("comment-{id}") rows="3" required bind:value=comment></textarea>
                    <button type="submit" class="small request">"Send"</button>
                </form>
            })}
        </div>
    }
}

/// The team's panel on the project page: make a link (optionally for one run), see and
/// revoke the existing ones.
#[component]
pub fn ShareLinksPanel(project_id: i64) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let links = Resource::new(move || reload.get(), move |_| list_share_links(project_id));
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
