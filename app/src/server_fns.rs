//! Server functions: the browser app's calls into the server. Each one is thin: it takes
//! the state and the signed-in user from context and calls the same service functions
//! the public JSON API uses.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::model::{
    ApiTokenInfo, ChecklistItem, ChecklistView, DeployRecorded, ItemChange, ItemEvent, NewDeploy, NewItem, Project, ProjectInput, ProjectSummary, Role,
    RunDetail, RunSummary, UpdateOutcome, UserInfo,
};

#[cfg(feature = "ssr")]
use ctx::serve;
#[cfg(feature = "ssr")]
use preflight_store::access::Resource as R;

#[cfg(feature = "ssr")]
pub mod ctx {
    //! Reaching request state from inside a server function.
    use leptos::prelude::*;

    use crate::model::{Role, UserInfo};
    use preflight_store::{access::Resource, AppError, Store};

    /// Runs a server function's body: the store's error becomes the function's, keeping its
    /// HTTP status — bad input is a 4xx with the message, as in the JSON API, never a 500.
    pub async fn serve<T>(body: impl std::future::Future<Output = Result<T, AppError>>) -> Result<T, ServerFnError> {
        body.await.map_err(|e| {
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                res.set_status(e.status());
            }
            ServerFnError::ServerError(e.to_string())
        })
    }

    pub fn state() -> Result<Store, AppError> {
        use_context::<Store>().ok_or_else(|| {
            tracing::error!("the Store is missing from the Leptos context");
            AppError::Internal
        })
    }

    /// The user the session middleware attached to the request, if any.
    pub fn maybe_user() -> Option<UserInfo> {
        use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<UserInfo>().cloned())
    }

    pub fn user() -> Result<UserInfo, AppError> {
        maybe_user().ok_or(AppError::Unauthorized)
    }

    /// The signed-in user, when they may see every record named (a record in a project a
    /// restricted member was not added to is "not found", as if it did not exist).
    pub async fn user_for(records: &[(Resource, i64)]) -> Result<UserInfo, AppError> {
        let u = user()?;
        if u.restricted {
            let pool = state()?.pool;
            for (what, id) in records {
                preflight_store::access::check(&pool, &u, *what, *id).await?;
            }
        }
        Ok(u)
    }

    /// Records to check: some always named, one only when given.
    pub fn records<const N: usize>(always: [(Resource, i64); N], optional: Option<(Resource, i64)>) -> Vec<(Resource, i64)> {
        always.into_iter().chain(optional).collect()
    }

    pub fn owner() -> Result<UserInfo, AppError> {
        let u = user()?;
        if u.role != Role::Owner {
            return Err(AppError::Forbidden("Only an owner can manage the team.".into()));
        }
        Ok(u)
    }
}

/// The message of a server function error, without the framework's prefix.
pub fn error_text(e: &ServerFnError) -> String {
    match e {
        ServerFnError::ServerError(m) => m.clone(),
        ServerFnError::Request(_) => "The server could not be reached. Check your connection and try again.".into(),
        other => other.to_string(),
    }
}

#[server(prefix = "/rpc", endpoint = "current_user", input = Json)]
pub async fn current_user() -> Result<Option<UserInfo>, ServerFnError> {
    serve(async move { Ok(ctx::maybe_user()) }).await
}

#[server(prefix = "/rpc", endpoint = "list_projects", input = Json)]
pub async fn list_projects(include_archived: bool) -> Result<Vec<ProjectSummary>, ServerFnError> {
    serve(async move {
        let user = ctx::user()?;
        preflight_store::projects::list_for(&ctx::state()?.pool, &user, include_archived).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "get_project", input = Json)]
pub async fn get_project(id: i64) -> Result<Project, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Project, id)]).await?;
        preflight_store::projects::get(&ctx::state()?.pool, id).await
    })
    .await
}

/// Creates (`id` = None) or edits a project; returns its id.
#[server(prefix = "/rpc", endpoint = "save_project", input = Json)]
pub async fn save_project(id: Option<i64>, input: ProjectInput) -> Result<i64, ServerFnError> {
    serve(async move {
        let user = ctx::user()?;
        let pool = ctx::state()?.pool;
        match id {
            None => Ok(preflight_store::projects::create(&pool, &user, &input).await?),
            Some(id) => {
                preflight_store::access::check(&pool, &user, R::Project, id).await?;
                preflight_store::projects::update(&pool, id, &input).await?;
                Ok(id)
            }
        }
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "set_project_archived", input = Json)]
pub async fn set_project_archived(id: i64, archived: bool) -> Result<(), ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Project, id)]).await?;
        preflight_store::projects::set_archived(&ctx::state()?.pool, id, archived).await
    })
    .await
}

/// Deletes a project (archives it instead when its launch was signed off).
#[server(prefix = "/rpc", endpoint = "delete_project", input = Json)]
pub async fn delete_project(id: i64) -> Result<crate::model::DeleteOutcome, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Project, id)]).await?;
        let state = ctx::state()?;
        preflight_store::projects::delete(&state.pool, &user, id, state.screenshots_dir.as_deref()).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "get_checklist", input = Json)]
pub async fn get_checklist(project_id: i64) -> Result<ChecklistView, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::checklist::view(&ctx::state()?.pool, project_id).await
    })
    .await
}

/// Saves (or with `None` removes) a protected environment's credentials; returns what may be
/// shown of them (never the secret).
#[server(prefix = "/rpc", endpoint = "set_credentials", input = Json)]
pub async fn set_credentials(env_id: i64, credentials: Option<crate::model::Credentials>) -> Result<Option<String>, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Environment, env_id)]).await?;
        let state = ctx::state()?;
        preflight_store::environments::set_credentials(&state.pool, &state.sealer, &user, env_id, credentials.as_ref()).await
    })
    .await
}

/// Adds the pages of the old site's sitemap to an environment's old URLs; returns the list.
#[server(prefix = "/rpc", endpoint = "import_old_urls", input = Json)]
pub async fn import_old_urls(env_id: i64, sitemap_url: String) -> Result<Vec<String>, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Environment, env_id)]).await?;
        preflight_store::environments::import_old_urls(&ctx::state()?.pool, &user, env_id, &sitemap_url).await
    })
    .await
}

/// Records that an environment was just deployed (passes from earlier runs go stale) and
/// starts a check run of it.
#[server(prefix = "/rpc", endpoint = "record_deploy", input = Json)]
pub async fn record_deploy(project_id: i64, deploy: NewDeploy) -> Result<DeployRecorded, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::deploys::record(&ctx::state()?, &user, project_id, &deploy).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "update_item", input = Json)]
pub async fn update_item(item_id: i64, version: i64, change: ItemChange) -> Result<UpdateOutcome, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::ChecklistItem, item_id)]).await?;
        preflight_store::checklist::update(&ctx::state()?, &user, item_id, version, &change).await
    })
    .await
}

/// The signed-in person's open items across projects, soonest due first.
#[server(prefix = "/rpc", endpoint = "my_items", input = Json)]
pub async fn my_items() -> Result<Vec<crate::model::MyItem>, ServerFnError> {
    serve(async move {
        let user = ctx::user()?;
        preflight_store::checklist::assigned_to(&ctx::state()?.pool, &user).await
    })
    .await
}

/// Assigns, or marks not applicable, every open item of a phase; answers the changed items.
#[server(prefix = "/rpc", endpoint = "bulk_update_phase", input = Json)]
pub async fn bulk_update_phase(project_id: i64, phase: String, change: ItemChange) -> Result<Vec<ChecklistItem>, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::checklist::bulk(&ctx::state()?, &user, project_id, &phase, &change).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "add_item", input = Json)]
pub async fn add_item(project_id: i64, item: NewItem) -> Result<ChecklistItem, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::checklist::add_item(&ctx::state()?, &user, project_id, &item).await
    })
    .await
}

/// Spreads the overdue open items from today to the day before launch (a late start).
#[server(prefix = "/rpc", endpoint = "replan_checklist", input = Json)]
pub async fn replan_checklist(project_id: i64) -> Result<Vec<ChecklistItem>, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::checklist::replan(&ctx::state()?, &user, project_id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "item_history", input = Json)]
pub async fn item_history(item_id: i64) -> Result<Vec<ItemEvent>, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::ChecklistItem, item_id)]).await?;
        preflight_store::checklist::history(&ctx::state()?.pool, item_id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_members", input = Json)]
pub async fn list_members() -> Result<Vec<UserInfo>, ServerFnError> {
    serve(async move {
        ctx::user()?;
        preflight_store::auth::list_users(&ctx::state()?.pool).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "add_member", input = Json)]
pub async fn add_member(email: String, name: String, role: Role, password: String) -> Result<UserInfo, ServerFnError> {
    serve(async move {
        ctx::owner()?;
        preflight_store::auth::create_user(&ctx::state()?.pool, &email, &name, role, &password).await
    })
    .await
}

/// Deactivates a team member (owners only, not themselves): they can no longer sign in, their
/// sessions and live views end and their API tokens are revoked at once.
#[server(prefix = "/rpc", endpoint = "deactivate_member", input = Json)]
pub async fn deactivate_member(id: i64) -> Result<UserInfo, ServerFnError> {
    serve(async move {
        let owner = ctx::owner()?;
        preflight_store::auth::disable_member(&ctx::state()?.pool, &owner, id).await
    })
    .await
}

/// An owner makes a member an owner or a member (the team keeps at least one owner).
#[server(prefix = "/rpc", endpoint = "set_member_role", input = Json)]
pub async fn set_member_role(id: i64, role: Role) -> Result<UserInfo, ServerFnError> {
    serve(async move {
        let owner = ctx::owner()?;
        preflight_store::auth::set_role(&ctx::state()?.pool, &owner, id, role).await
    })
    .await
}

/// An owner resets a member's password: they are signed out everywhere; answers the one-hour
/// link to pass on (also e-mailed when the server sends e-mail).
#[server(prefix = "/rpc", endpoint = "reset_member_password", input = Json)]
pub async fn reset_member_password(id: i64) -> Result<String, ServerFnError> {
    serve(async move {
        let owner = ctx::owner()?;
        let state = ctx::state()?;
        let (_, path) = preflight_store::mail::owner_reset(&state, &owner, id).await?;
        let headers = use_context::<http::request::Parts>().map(|p| p.headers).unwrap_or_default();
        Ok(format!("{}{path}", state.public_origin(&headers).unwrap_or_default()))
    })
    .await
}

/// Changes the signed-in person's password: every other session of theirs ends, and with
/// `revoke_tokens` their API tokens are revoked too. Returns how many tokens were revoked.
#[server(prefix = "/rpc", endpoint = "change_password", input = Json)]
pub async fn change_password(current: String, new: String, revoke_tokens: Option<bool>) -> Result<u64, ServerFnError> {
    serve(async move {
        let user = ctx::user()?;
        // This session stays; every other one of this person ends.
        let headers: http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
        let this = preflight_store::auth::session_secret(&headers);
        let pool = &ctx::state()?.pool;
        preflight_store::auth::change_password(pool, &user, &current, &new, this.as_deref(), revoke_tokens.unwrap_or(false)).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_tokens", input = Json)]
pub async fn list_tokens() -> Result<Vec<ApiTokenInfo>, ServerFnError> {
    serve(async move {
        let user = ctx::user()?;
        preflight_store::auth::list_api_tokens(&ctx::state()?.pool, user.id).await
    })
    .await
}

/// Creates an API token; the secret is returned this once and never again.
#[server(prefix = "/rpc", endpoint = "create_token", input = Json)]
pub async fn create_token(name: String) -> Result<String, ServerFnError> {
    serve(async move {
        let user = ctx::user()?;
        Ok(preflight_store::auth::create_api_token(&ctx::state()?.pool, user.id, &name).await?.1)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "revoke_token", input = Json)]
pub async fn revoke_token(id: i64) -> Result<(), ServerFnError> {
    serve(async move {
        let user = ctx::user()?;
        preflight_store::auth::revoke_api_token(&ctx::state()?.pool, user.id, id).await
    })
    .await
}

/// Queues a check run of one of the project's environments.
#[server(prefix = "/rpc", endpoint = "start_run", input = Json)]
pub async fn start_run(project_id: i64, environment: String) -> Result<RunSummary, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::runs::queue(&ctx::state()?, &user, project_id, &environment).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_runs", input = Json)]
pub async fn list_runs(project_id: i64) -> Result<Vec<RunSummary>, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::runs::list(&ctx::state()?.pool, project_id, 10).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "get_run", input = Json)]
pub async fn get_run(run_id: i64) -> Result<RunDetail, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Run, run_id)]).await?;
        preflight_store::runs::detail(&ctx::state()?.pool, run_id).await
    })
    .await
}

/// A run's page quality: every page at every viewport, budgets, and the environment's trend.
#[server(prefix = "/rpc", endpoint = "get_run_quality", input = Json)]
pub async fn get_run_quality(run_id: i64) -> Result<crate::model::RunQuality, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Run, run_id)]).await?;
        preflight_store::quality::for_run(&ctx::state()?.pool, run_id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "get_gallery", input = Json)]
pub async fn get_gallery(run_id: i64) -> Result<crate::model::Gallery, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Run, run_id)]).await?;
        preflight_store::screenshots::gallery(&ctx::state()?.pool, run_id).await
    })
    .await
}

/// The team approves a screenshot or asks for changes (with a comment).
#[server(prefix = "/rpc", endpoint = "team_review", input = Json)]
pub async fn team_review(screenshot_id: i64, approve: bool, comment: String) -> Result<crate::model::Review, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Screenshot, screenshot_id)]).await?;
        preflight_store::screenshots::team_review(&ctx::state()?.pool, &user, screenshot_id, approve, &comment).await
    })
    .await
}

/// Approves every unchanged screenshot of a finished run; answers how many.
#[server(prefix = "/rpc", endpoint = "approve_unchanged", input = Json)]
pub async fn approve_unchanged(run_id: i64) -> Result<i64, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Run, run_id)]).await?;
        preflight_store::screenshots::approve_unchanged(&ctx::state()?.pool, &user, run_id).await
    })
    .await
}

/// Accepts a finished run as its environment's visual baseline.
#[server(prefix = "/rpc", endpoint = "accept_baseline", input = Json)]
pub async fn accept_baseline(run_id: i64) -> Result<crate::model::Baseline, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Run, run_id)]).await?;
        preflight_store::screenshots::accept_baseline(&ctx::state()?.pool, &user, run_id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "get_diff", input = Json)]
pub async fn get_diff(before: i64, after: i64) -> Result<crate::model::DiffView, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Screenshot, before), (R::Screenshot, after)]).await?;
        let state = ctx::state()?;
        let dir = state.screenshots_dir.clone().ok_or(preflight_store::AppError::NotFound("screenshots on this server"))?;
        Ok(preflight_store::screenshots::diff(&state.pool, &dir, before, after).await?.0)
    })
    .await
}

// ----- Watch: schedules -----

#[server(prefix = "/rpc", endpoint = "get_watch", input = Json)]
pub async fn get_watch(project_id: i64) -> Result<crate::model::WatchView, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::schedules::view(&ctx::state()?.pool, project_id).await
    })
    .await
}

/// Sets (or pauses, or resumes) an environment's schedule.
#[server(prefix = "/rpc", endpoint = "set_schedule", input = Json)]
pub async fn set_schedule(environment_id: i64, schedule: crate::model::ScheduleInput) -> Result<crate::model::Schedule, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Environment, environment_id)]).await?;
        preflight_store::schedules::set(&ctx::state()?, &user, environment_id, &schedule).await
    })
    .await
}

// ----- Notifications -----

/// The signed-in person's notifications (the bell).
#[server(prefix = "/rpc", endpoint = "get_notifications", input = Json)]
pub async fn get_notifications() -> Result<crate::model::NotificationList, ServerFnError> {
    serve(async move {
        let user = ctx::user()?;
        preflight_store::notify::list_for(&ctx::state()?.pool, user.id, 50).await
    })
    .await
}

/// Marks the named notifications read, or all of them when `ids` is `None`.
#[server(prefix = "/rpc", endpoint = "mark_notifications_read", input = Json)]
pub async fn mark_notifications_read(ids: Option<Vec<i64>>) -> Result<crate::model::NotificationList, ServerFnError> {
    serve(async move {
        let user = ctx::user()?;
        preflight_store::notify::mark_read(&ctx::state()?, user.id, ids.as_deref()).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "get_notify_settings", input = Json)]
pub async fn get_notify_settings(project_id: i64) -> Result<crate::model::NotifySettings, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Project, project_id)]).await?;
        let pool = ctx::state()?.pool;
        preflight_store::projects::get(&pool, project_id).await?;
        preflight_store::notify::settings(&pool, project_id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "set_notify_rule", input = Json)]
pub async fn set_notify_rule(project_id: i64, rule: String, enabled: bool) -> Result<Vec<crate::model::RuleSetting>, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::notify::set_rule(&ctx::state()?.pool, &user, project_id, &rule, enabled).await
    })
    .await
}

/// Adds a webhook (`webhook_id` `None`; the answer carries its secret once) or changes one.
#[server(prefix = "/rpc", endpoint = "save_webhook", input = Json)]
pub async fn save_webhook(project_id: i64, webhook_id: Option<i64>, input: crate::model::WebhookInput) -> Result<crate::model::Webhook, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&ctx::records([(R::Project, project_id)], webhook_id.map(|w| (R::Webhook, w)))).await?;
        let state = ctx::state()?;
        match webhook_id {
            Some(id) => preflight_store::notify::update_webhook(&state, &user, id, &input).await,
            None => preflight_store::notify::create_webhook(&state, &user, project_id, &input).await,
        }
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "delete_webhook", input = Json)]
pub async fn delete_webhook(webhook_id: i64) -> Result<(), ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Webhook, webhook_id)]).await?;
        preflight_store::notify::delete_webhook(&ctx::state()?, &user, webhook_id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "rotate_webhook_secret", input = Json)]
pub async fn rotate_webhook_secret(webhook_id: i64) -> Result<crate::model::Webhook, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Webhook, webhook_id)]).await?;
        preflight_store::notify::rotate_secret(&ctx::state()?, &user, webhook_id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "retry_delivery", input = Json)]
pub async fn retry_delivery(delivery_id: i64) -> Result<(), ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Delivery, delivery_id)]).await?;
        preflight_store::notify::retry(&ctx::state()?, delivery_id).await
    })
    .await
}

// ----- E-mail: preferences, unsubscribe, invitations, password resets -----

#[server(prefix = "/rpc", endpoint = "get_email_prefs", input = Json)]
pub async fn get_email_prefs() -> Result<crate::model::EmailPrefs, ServerFnError> {
    serve(async move {
        let user = ctx::user()?;
        let state = ctx::state()?;
        Ok(crate::model::EmailPrefs {
            mail_on: state.mailer.is_some() && state.base_url.is_some(),
            address: user.email.clone(),
            rules: preflight_store::mail::prefs(&state.pool, user.id).await?,
        })
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "set_email_pref", input = Json)]
pub async fn set_email_pref(rule: String, enabled: bool) -> Result<Vec<crate::model::RuleSetting>, ServerFnError> {
    serve(async move {
        let user = ctx::user()?;
        preflight_store::mail::set_pref(&ctx::state()?.pool, user.id, &rule, enabled).await
    })
    .await
}

/// Who an unsubscribe link is for and which e-mails it stops.
#[server(prefix = "/rpc", endpoint = "unsubscribe_info", input = Json)]
pub async fn unsubscribe_info(token: String) -> Result<(String, String), ServerFnError> {
    serve(async move { preflight_store::mail::unsubscribe_target(&ctx::state()?.pool, &token).await }).await
}

#[server(prefix = "/rpc", endpoint = "unsubscribe", input = Json)]
pub async fn unsubscribe(token: String) -> Result<(String, String), ServerFnError> {
    serve(async move { preflight_store::mail::unsubscribe(&ctx::state()?.pool, &token).await }).await
}

/// An owner invites someone by e-mail.
#[server(prefix = "/rpc", endpoint = "invite_member", input = Json)]
pub async fn invite_member(email: String, name: String, role: Role) -> Result<(), ServerFnError> {
    serve(async move {
        let user = ctx::owner()?;
        preflight_store::mail::invite(&ctx::state()?, &user, &email, &name, role).await
    })
    .await
}

/// Sends a reset link if the address has an account; answers the same either way.
#[server(prefix = "/rpc", endpoint = "request_password_reset", input = Json)]
pub async fn request_password_reset(email: String) -> Result<String, ServerFnError> {
    serve(async move {
        preflight_store::mail::request_reset(&ctx::state()?, &email).await?;
        Ok(format!("If {} has an account here, a link to choose a new password is on its way. It works once, for an hour.", email.trim()))
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "account_link_info", input = Json)]
pub async fn account_link_info(token: String) -> Result<crate::model::AccountLink, ServerFnError> {
    serve(async move { preflight_store::mail::link_info(&ctx::state()?.pool, &token).await }).await
}

/// Uses an invitation or reset link: the new account, or the new password. Answers the
/// account's e-mail, to sign in with.
#[server(prefix = "/rpc", endpoint = "use_account_link", input = Json)]
pub async fn use_account_link(token: String, password: String, password2: String) -> Result<String, ServerFnError> {
    serve(async move {
        if password != password2 {
            return Err(preflight_store::AppError::bad("The two passwords are not the same."));
        }
        Ok(preflight_store::mail::use_account_link(&ctx::state()?.pool, &token, &password).await?.email)
    })
    .await
}

// ----- Scope register, training notes, activity -----

#[server(prefix = "/rpc", endpoint = "get_scope", input = Json)]
pub async fn get_scope(project_id: i64) -> Result<crate::model::ScopeView, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::scope::view(&ctx::state()?.pool, project_id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "save_scope_item", input = Json)]
pub async fn save_scope_item(project_id: i64, item_id: Option<i64>, input: crate::model::ScopeInput) -> Result<crate::model::ScopeItem, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&ctx::records([(R::Project, project_id)], item_id.map(|i| (R::ScopeItem, i)))).await?;
        let pool = ctx::state()?.pool;
        Ok(match item_id {
            Some(id) => preflight_store::scope::update(&pool, id, &user.name, &input).await?,
            None => preflight_store::scope::create(&pool, project_id, &user.name, &input).await?,
        })
    })
    .await
}

/// Takes a scope item out of the register (it keeps its history and can be restored).
#[server(prefix = "/rpc", endpoint = "delete_scope_item", input = Json)]
pub async fn delete_scope_item(item_id: i64, version: i64, reason: String) -> Result<(), ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::ScopeItem, item_id)]).await?;
        preflight_store::scope::delete(&ctx::state()?.pool, item_id, &user.name, Some(version), &reason).await?;
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "restore_scope_item", input = Json)]
pub async fn restore_scope_item(item_id: i64) -> Result<(), ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::ScopeItem, item_id)]).await?;
        preflight_store::scope::restore(&ctx::state()?.pool, item_id, &user.name).await?;
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "scope_history", input = Json)]
pub async fn scope_history(item_id: i64) -> Result<Vec<crate::model::ScopeHistoryEntry>, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::ScopeItem, item_id)]).await?;
        preflight_store::scope::history(&ctx::state()?.pool, item_id).await
    })
    .await
}

/// Compares the scope at the end of day `from` with the end of day `to` (`YYYY-MM-DD`).
#[server(prefix = "/rpc", endpoint = "compare_scope", input = Json)]
pub async fn compare_scope(project_id: i64, from: String, to: String) -> Result<crate::model::ScopeComparison, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Project, project_id)]).await?;
        let day =
            |d: &str| preflight_store::scope::end_of_day(d).ok_or_else(|| preflight_store::AppError::bad(format!("\"{d}\" is not a date; use YYYY-MM-DD")));
        preflight_store::scope::compare(&ctx::state()?.pool, project_id, day(&from)?, day(&to)?).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "propose_change", input = Json)]
pub async fn propose_change(project_id: i64, input: crate::model::ChangeRequestInput) -> Result<crate::model::ChangeRequest, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::scope::propose(&ctx::state()?.pool, project_id, &user.name, false, &input).await
    })
    .await
}

/// Records the client's decision on a change request (as told to the team member).
#[server(prefix = "/rpc", endpoint = "decide_change", input = Json)]
pub async fn decide_change(change_id: i64, decision: crate::model::Decision) -> Result<crate::model::ChangeRequest, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::ChangeRequest, change_id)]).await?;
        preflight_store::scope::decide(&ctx::state()?.pool, change_id, &decision).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "get_training", input = Json)]
pub async fn get_training(project_id: i64) -> Result<(String, Vec<crate::model::TrainingNote>), ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Project, project_id)]).await?;
        let pool = ctx::state()?.pool;
        let project = preflight_store::projects::get(&pool, project_id).await?;
        Ok((project.name, preflight_store::training::list(&pool, project_id, false).await?))
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "save_training", input = Json)]
pub async fn save_training(project_id: i64, note_id: Option<i64>, input: crate::model::TrainingInput) -> Result<crate::model::TrainingNote, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&ctx::records([(R::Project, project_id)], note_id.map(|n| (R::TrainingNote, n)))).await?;
        let pool = ctx::state()?.pool;
        Ok(match note_id {
            Some(id) => preflight_store::training::update(&pool, id, &user.name, &input).await?,
            None => preflight_store::training::create(&pool, project_id, &user.name, &input).await?,
        })
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "delete_training", input = Json)]
pub async fn delete_training(note_id: i64) -> Result<(), ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::TrainingNote, note_id)]).await?;
        preflight_store::training::delete(&ctx::state()?.pool, note_id, &user.name).await
    })
    .await
}

/// Renders Markdown the way a saved note will look.
#[server(prefix = "/rpc", endpoint = "preview_markdown", input = Json)]
pub async fn preview_markdown(body: String) -> Result<String, ServerFnError> {
    serve(async move {
        ctx::user()?;
        preflight_store::markdown::render(body).await.map_err(|why| preflight_store::AppError::bad(format!("The text cannot be previewed: {why}.")))
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "get_activity", input = Json)]
pub async fn get_activity(project_id: i64, kind: Option<String>, actor: Option<String>) -> Result<(String, Vec<crate::model::ActivityEntry>), ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Project, project_id)]).await?;
        let pool = ctx::state()?.pool;
        let project = preflight_store::projects::get(&pool, project_id).await?;
        Ok((project.name, preflight_store::activity::list(&pool, project_id, kind.as_deref(), actor.as_deref(), 500).await?))
    })
    .await
}

// ----- Client review through a share link (no account: the token is the key) -----
// The page's data; what the client does there (review, approve, sign off…) is a plain form
// post to the server's `share_forms`, the one way in for those actions.

#[server(prefix = "/rpc", endpoint = "share_view", input = Json)]
pub async fn share_view(token: String) -> Result<crate::model::ShareView, ServerFnError> {
    serve(async move {
        let pool = ctx::state()?.pool;
        let grant = preflight_store::share::resolve(&pool, &token).await?;
        preflight_store::share::view(&pool, &grant).await
    })
    .await
}

/// The team's view of client reviews of a run's screenshots.
#[server(prefix = "/rpc", endpoint = "get_reviews", input = Json)]
pub async fn get_reviews(project_id: i64) -> Result<Vec<crate::model::Review>, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::share::reviews(&ctx::state()?.pool, project_id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "create_share_link", input = Json)]
pub async fn create_share_link(project_id: i64, input: crate::model::ShareLinkInput) -> Result<crate::model::ShareLink, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Project, project_id)]).await?;
        let state = ctx::state()?;
        let mut link = preflight_store::share::create(&state.pool, &user, project_id, &input).await?;
        // Shown absolute, so it can be copied into an e-mail.
        let headers = use_context::<http::request::Parts>().map(|p| p.headers).unwrap_or_default();
        let origin = state.public_origin(&headers);
        link.url = link.url.map(|p| format!("{}{p}", origin.unwrap_or_default()));
        Ok(link)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_share_links", input = Json)]
pub async fn list_share_links(project_id: i64) -> Result<Vec<crate::model::ShareLink>, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::share::list(&ctx::state()?.pool, project_id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "revoke_share_link", input = Json)]
pub async fn revoke_share_link(link_id: i64) -> Result<(), ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::ShareLink, link_id)]).await?;
        preflight_store::share::revoke(&ctx::state()?.pool, &user, link_id).await
    })
    .await
}

// ----- Retrospective and template -----

#[server(prefix = "/rpc", endpoint = "get_retro", input = Json)]
pub async fn get_retro(project_id: i64) -> Result<crate::model::Retrospective, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::retro::get(&ctx::state()?.pool, project_id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "save_retro", input = Json)]
pub async fn save_retro(project_id: i64, input: crate::model::RetroInput) -> Result<crate::model::Retrospective, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::retro::save(&ctx::state()?.pool, project_id, &user.name, &input).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "add_retro_action", input = Json)]
pub async fn add_retro_action(project_id: i64, input: crate::model::RetroActionInput) -> Result<crate::model::RetroAction, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::retro::add_action(&ctx::state()?.pool, project_id, &user.name, &input).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "promote_retro_action", input = Json)]
pub async fn promote_retro_action(action_id: i64) -> Result<i64, ServerFnError> {
    serve(async move {
        let user = ctx::user_for(&[(R::RetroAction, action_id)]).await?;
        preflight_store::access::team_wide(&user, "change the checklist template")?;
        Ok(preflight_store::retro::promote(&ctx::state()?.pool, action_id, &user.name).await?.version)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "get_template_versions", input = Json)]
pub async fn get_template_versions() -> Result<Vec<crate::model::TemplateVersionView>, ServerFnError> {
    serve(async move {
        ctx::user()?;
        preflight_store::retro::versions(&ctx::state()?.pool).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "get_template_draft", input = Json)]
pub async fn get_template_draft() -> Result<crate::model::TemplateDraft, ServerFnError> {
    serve(async move {
        ctx::user()?;
        preflight_store::template::current(&ctx::state()?.pool).await
    })
    .await
}

/// Saves the template editor's list as a new version; returns the version number.
#[server(prefix = "/rpc", endpoint = "save_template", input = Json)]
pub async fn save_template(input: crate::model::TemplateSave) -> Result<i64, ServerFnError> {
    serve(async move {
        let user = ctx::user()?;
        preflight_store::access::team_wide(&user, "change the checklist template")?;
        Ok(preflight_store::template::save_edit(&ctx::state()?.pool, &user.name, &input).await?.version)
    })
    .await
}

// ----- Who sees which project -----

#[server(prefix = "/rpc", endpoint = "get_project_access", input = Json)]
pub async fn get_project_access(project_id: i64) -> Result<crate::model::ProjectAccess, ServerFnError> {
    serve(async move {
        ctx::user_for(&[(R::Project, project_id)]).await?;
        preflight_store::access::project_access(&ctx::state()?.pool, project_id).await
    })
    .await
}

/// An owner adds (`add` = true) or takes off a restricted member from a project.
#[server(prefix = "/rpc", endpoint = "set_project_member", input = Json)]
pub async fn set_project_member(project_id: i64, user_id: i64, add: bool) -> Result<crate::model::ProjectAccess, ServerFnError> {
    serve(async move {
        let owner = ctx::owner()?;
        let pool = ctx::state()?.pool;
        if add {
            preflight_store::access::add(&pool, &owner, project_id, user_id).await
        } else {
            preflight_store::access::remove(&pool, &owner, project_id, user_id).await
        }
    })
    .await
}

/// An owner restricts a member to the projects they are added to, or lifts that.
#[server(prefix = "/rpc", endpoint = "set_member_restricted", input = Json)]
pub async fn set_member_restricted(id: i64, restricted: bool) -> Result<UserInfo, ServerFnError> {
    serve(async move {
        let owner = ctx::owner()?;
        preflight_store::access::set_restricted(&ctx::state()?.pool, &owner, id, restricted).await
    })
    .await
}
