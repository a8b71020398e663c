//! The client's review page behind a share link (`/share/:token`, no account), and the
//! team's panel for making and revoking links.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;

use crate::components::{fmt_time, ErrorBox};
use crate::model::{ChangeStatus, Review, ScreenshotView, ShareLink, ShareLinkInput, ShareView};
use crate::server_fns::{
    create_share_link, error_text, list_share_links, revoke_share_link, share_acknowledge_training, share_decide, share_propose_change, share_review,
    share_sign_off, share_view,
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

#[component]
fn ShareBoard(view: ShareView, token: String, reload: RwSignal<u32>, name: RwSignal<String>) -> impl IntoView {
    let ShareView { project_name, client, launch_date, run_id, gallery, reviews, training, scope, change_requests, signoffs, expires_at, training_ack } = view;
    let has_training = !training.is_empty();
    let error = RwSignal::new(None::<String>);
    let token = StoredValue::new(token);
    let bump = move || reload.update(|n| *n += 1);
    let sign = move |_| {
        let t = token.get_value();
        leptos::task::spawn_local(async move {
            match share_sign_off(t, name.get_untracked()).await {
                Ok(_) => bump(),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let shots: Vec<ScreenshotView> = gallery.as_ref().map(|g| g.shots.clone()).unwrap_or_default();
    let mut pages: Vec<String> = Vec::new();
    for s in &shots {
        if !pages.contains(&s.url) {
            pages.push(s.url.clone());
        }
    }
    let viewports = gallery.as_ref().map(|g| g.viewports.clone()).unwrap_or_default();
    let reviews = StoredValue::new(reviews);
    view! {
        <Title text=format!("Review · {project_name}")/>
        <div class="page-head">
            <div>
                <h1>{format!("Review: {project_name}")}</h1>
                <p class="muted">
                    {(!client.is_empty()).then(|| format!("For {client} · "))}
                    {format!("launch {launch_date}")}
                    {run_id.map(|r| format!(" · screenshots of check run #{r}"))}
                    {expires_at.map(|t| format!(" · this link works until {}", fmt_time(t)))}
                </p>
            </div>
        </div>
        <section class="card">
            <label>"Your name (shown with your approvals and comments)"
                <input type="text" autocomplete="name" bind:value=name placeholder="Carla Client"/>
            </label>
            {move || error.get().map(|m| view! { <ErrorBox message=m/> })}
        </section>
        <section class="card gallery">
            <h2>"Screenshots"</h2>
            {shots.is_empty().then(|| view! { <p class="muted">"No screenshots yet."</p> })}
            {viewports.iter().filter_map(|v| v.note.clone()).map(|n| view! { <p class="note">{n}</p> }).collect_view()}
            {pages.into_iter().map(|page| {
                let row: Vec<ScreenshotView> = viewports.iter().filter_map(|v| shots.iter().find(|s| s.url == page && s.viewport == v.name).cloned()).collect();
                view! {
                    <div class="shot-row">
                        <h3 class="shot-page">{page.clone()}</h3>
                        <div class="shots">
                            {row.into_iter().map(|s| view! { <ReviewShot shot=s token=token.get_value() name error reload reviews=reviews.get_value()/> }).collect_view()}
                        </div>
                    </div>
                }
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
            view! {
            <section class="card scope-share">
                <h2>"What we agreed to build"</h2>
                {scope.is_empty().then(|| view! { <p class="muted">"Nothing is listed yet."</p> })}
                <ul class="scope-list">
                    {scope.into_iter().map(|i| view! { <li><strong>{i.title}</strong> " " <span class="chip">{i.status.label()}</span> {(!i.description.is_empty()).then(|| view! { <p>{i.description}</p> })}</li> }).collect_view()}
                </ul>
                {(!change_requests.is_empty()).then(|| view! { <h3>"Change requests"</h3> })}
                <ul class="change-list">
                    {change_requests.into_iter().map(|c| {
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
                <form class="inline-form propose-change" on:submit=propose>
                    <h3>"Propose a change"</h3>
                    <label>"What should change" <input type="text" required bind:value=cr_title/></label>
                    <label>"Why" <textarea rows="2" required bind:value=cr_reason></textarea></label>
                    <button type="submit">"Propose the change"</button>
                    <p class="muted small">"The team decides it; your name above is recorded with it."</p>
                </form>
            </section>
            }
        }
        {training.into_iter().map(|n| view! {
            <section class="card training-note"><h2>{n.title}</h2><div class="prose" inner_html=n.html></div></section>
        }).collect_view()}
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
        <section class="card">
            <h2>"Launch sign-off"</h2>
            <p class="muted">"Signing off records your name and the time, with the checklist, the agreed scope and the screenshots you approved as they stand now."</p>
            {signoffs.into_iter().map(|s| view! { <p>{format!("✓ Signed off by {} on {}", s.signed_by, fmt_time(s.at))}</p> }).collect_view()}
            <button type="button" class="primary" on:click=sign>"Sign off the launch"</button>
        </section>
    }
}

#[component]
fn ReviewShot(
    shot: ScreenshotView,
    token: String,
    name: RwSignal<String>,
    error: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
    reviews: Vec<Review>,
) -> impl IntoView {
    let id = shot.id;
    let full = format!("/share/{token}/screenshots/{id}");
    let thumb = if shot.has_thumbnail { format!("{full}/thumb") } else { full.clone() };
    let comment = RwSignal::new(String::new());
    let token = StoredValue::new(token);
    let send = move |approve: bool| {
        let t = token.get_value();
        leptos::task::spawn_local(async move {
            match share_review(t, id, approve, name.get_untracked(), comment.get_untracked()).await {
                Ok(_) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let mine: Vec<Review> = reviews.into_iter().filter(|r| r.screenshot_id == id).collect();
    let latest = mine.first().cloned();
    let class = match latest.as_ref().map(|r| r.verdict.as_str()) {
        Some("approved") => "shot reviewed-ok",
        Some(_) => "shot has-problems",
        None => "shot",
    };
    let diff = shot.previous.map(|p| format!("/share/{}/diff/{p}/{id}", token.get_value()));
    view! {
        <figure class=class data-shot=id>
            <a href=full target="_blank" rel="noopener"><img src=thumb alt=format!("{} at {}", shot.url, shot.viewport) loading="lazy" width="360"/></a>
            <figcaption>
                <strong>{shot.viewport.clone()}</strong>
                {diff.map(|d| view! { " " <a href=d target="_blank" rel="noopener" class="chip link">"What changed since last review"</a> })}
                {latest.map(|r| view! {
                    <p class=if r.verdict == "approved" { "review approved" } else { "review changes" }>
                        {if r.verdict == "approved" { format!("✓ Approved by {}", r.reviewer) } else { format!("✎ {} asked: “{}”", r.reviewer, r.comment) }}
                    </p>
                })}
                <label class="sr-only" for=format!("comment-{id}")>"Comment"</label>
                <textarea id=format!("comment-{id}") rows="2" placeholder="What should change?" bind:value=comment></textarea>
                <div class="chips">
                    <button type="button" class="small approve" on:click=move |_| send(true)>"Approve"</button>
                    <button type="button" class="small request" on:click=move |_| send(false)>"Request changes"</button>
                </div>
            </figcaption>
        </figure>
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
                    made.set(l.url);
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(error_text(&e))),
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
