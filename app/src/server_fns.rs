//! Server functions: the browser app's calls into the server. Each one is thin: it takes
//! the state and the signed-in user from context and calls the same service functions
//! the public JSON API uses.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::model::{
    ApiTokenInfo, ChecklistItem, ChecklistView, Deploy, ItemChange, ItemEvent, NewDeploy, NewItem, Project, ProjectInput, ProjectSummary, Role, RunDetail,
    RunSummary, UpdateOutcome, UserInfo,
};

#[cfg(feature = "ssr")]
pub mod ctx {
    //! Reaching request state from inside a server function.
    use leptos::prelude::*;

    use crate::model::{Role, UserInfo};
    use crate::ssr::{AppError, AppState};

    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState missing from the Leptos context");
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
    Ok(ctx::maybe_user())
}

#[server(prefix = "/rpc", endpoint = "list_projects", input = Json)]
pub async fn list_projects(include_archived: bool) -> Result<Vec<ProjectSummary>, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::projects::list(&ctx::state()?.pool, include_archived).await?)
}

#[server(prefix = "/rpc", endpoint = "get_project", input = Json)]
pub async fn get_project(id: i64) -> Result<Project, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::projects::get(&ctx::state()?.pool, id).await?)
}

/// Creates (`id` = None) or edits a project; returns its id.
#[server(prefix = "/rpc", endpoint = "save_project", input = Json)]
pub async fn save_project(id: Option<i64>, input: ProjectInput) -> Result<i64, ServerFnError> {
    let user = ctx::user()?;
    let pool = ctx::state()?.pool;
    match id {
        None => Ok(crate::ssr::projects::create(&pool, &user, &input).await?),
        Some(id) => {
            crate::ssr::projects::update(&pool, id, &input).await?;
            Ok(id)
        }
    }
}

#[server(prefix = "/rpc", endpoint = "set_project_archived", input = Json)]
pub async fn set_project_archived(id: i64, archived: bool) -> Result<(), ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::projects::set_archived(&ctx::state()?.pool, id, archived).await?)
}

/// Deletes a project (archives it instead when its launch was signed off).
#[server(prefix = "/rpc", endpoint = "delete_project", input = Json)]
pub async fn delete_project(id: i64) -> Result<crate::model::DeleteOutcome, ServerFnError> {
    let user = ctx::user()?;
    let state = ctx::state()?;
    Ok(crate::ssr::projects::delete(&state.pool, &user, id, state.screenshots_dir.as_deref()).await?)
}

#[server(prefix = "/rpc", endpoint = "get_checklist", input = Json)]
pub async fn get_checklist(project_id: i64) -> Result<ChecklistView, ServerFnError> {
    ctx::user()?;
    let pool = ctx::state()?.pool;
    Ok(ChecklistView {
        project: crate::ssr::projects::get(&pool, project_id).await?,
        items: crate::ssr::checklist::items(&pool, project_id).await?,
        members: crate::ssr::auth::list_users(&pool).await?,
        today: crate::ssr::today(),
        runs: crate::ssr::runs::list(&pool, project_id, 5).await?,
        catalogue: preflight_engine::CATALOGUE.iter().map(|c| (c.id.to_string(), c.title.to_string())).collect(),
    })
}

/// Saves (or with `None` removes) a protected environment's credentials; returns what may be
/// shown of them (never the secret).
#[server(prefix = "/rpc", endpoint = "set_credentials", input = Json)]
pub async fn set_credentials(env_id: i64, credentials: Option<crate::model::Credentials>) -> Result<Option<String>, ServerFnError> {
    let user = ctx::user()?;
    let state = ctx::state()?;
    Ok(crate::ssr::environments::set_credentials(&state.pool, &state.sealer, &user, env_id, credentials.as_ref()).await?)
}

/// Adds the pages of the old site's sitemap to an environment's old URLs; returns the list.
#[server(prefix = "/rpc", endpoint = "import_old_urls", input = Json)]
pub async fn import_old_urls(env_id: i64, sitemap_url: String) -> Result<Vec<String>, ServerFnError> {
    let user = ctx::user()?;
    Ok(crate::ssr::environments::import_old_urls(&ctx::state()?.pool, &user, env_id, &sitemap_url).await?)
}

/// Records that an environment was just deployed: passes from earlier runs go stale.
#[server(prefix = "/rpc", endpoint = "record_deploy", input = Json)]
pub async fn record_deploy(project_id: i64, deploy: NewDeploy) -> Result<Deploy, ServerFnError> {
    let user = ctx::user()?;
    let state = ctx::state()?;
    let d = crate::ssr::deploys::record(&state.pool, &user, project_id, &deploy).await?;
    Ok(d)
}

#[server(prefix = "/rpc", endpoint = "update_item", input = Json)]
pub async fn update_item(item_id: i64, version: i64, change: ItemChange) -> Result<UpdateOutcome, ServerFnError> {
    let user = ctx::user()?;
    let state = ctx::state()?;
    let outcome = crate::ssr::checklist::update(&state.pool, &user, item_id, version, &change).await?;
    if let UpdateOutcome::Updated { item } = &outcome {
        state.publish(item.clone());
    }
    Ok(outcome)
}

#[server(prefix = "/rpc", endpoint = "add_item", input = Json)]
pub async fn add_item(project_id: i64, item: NewItem) -> Result<ChecklistItem, ServerFnError> {
    let user = ctx::user()?;
    let state = ctx::state()?;
    let created = crate::ssr::checklist::add_item(&state.pool, &user, project_id, &item).await?;
    state.publish(created.clone());
    Ok(created)
}

#[server(prefix = "/rpc", endpoint = "item_history", input = Json)]
pub async fn item_history(item_id: i64) -> Result<Vec<ItemEvent>, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::checklist::history(&ctx::state()?.pool, item_id).await?)
}

#[server(prefix = "/rpc", endpoint = "list_members", input = Json)]
pub async fn list_members() -> Result<Vec<UserInfo>, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::auth::list_users(&ctx::state()?.pool).await?)
}

#[server(prefix = "/rpc", endpoint = "add_member", input = Json)]
pub async fn add_member(email: String, name: String, role: Role, password: String) -> Result<UserInfo, ServerFnError> {
    ctx::owner()?;
    Ok(crate::ssr::auth::create_user(&ctx::state()?.pool, &email, &name, role, &password).await?)
}

/// Deactivates a team member (owners only, not themselves): they can no longer sign in, their
/// sessions and live views end and their API tokens are revoked at once.
#[server(prefix = "/rpc", endpoint = "deactivate_member", input = Json)]
pub async fn deactivate_member(id: i64) -> Result<UserInfo, ServerFnError> {
    let owner = ctx::owner()?;
    Ok(crate::ssr::auth::disable_member(&ctx::state()?.pool, &owner, id).await?)
}

/// Changes the signed-in person's password: every other session of theirs ends, and with
/// `revoke_tokens` their API tokens are revoked too. Returns how many tokens were revoked.
#[server(prefix = "/rpc", endpoint = "change_password", input = Json)]
pub async fn change_password(current: String, new: String, revoke_tokens: Option<bool>) -> Result<u64, ServerFnError> {
    let user = ctx::user()?;
    // This session stays; every other one of this person ends.
    let headers: http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    let this = crate::ssr::auth::session_secret(&headers);
    let pool = &ctx::state()?.pool;
    Ok(crate::ssr::auth::change_password(pool, &user, &current, &new, this.as_deref(), revoke_tokens.unwrap_or(false)).await?)
}

#[server(prefix = "/rpc", endpoint = "list_tokens", input = Json)]
pub async fn list_tokens() -> Result<Vec<ApiTokenInfo>, ServerFnError> {
    let user = ctx::user()?;
    Ok(crate::ssr::auth::list_api_tokens(&ctx::state()?.pool, user.id).await?)
}

/// Creates an API token; the secret is returned this once and never again.
#[server(prefix = "/rpc", endpoint = "create_token", input = Json)]
pub async fn create_token(name: String) -> Result<String, ServerFnError> {
    let user = ctx::user()?;
    Ok(crate::ssr::auth::create_api_token(&ctx::state()?.pool, user.id, &name).await?.1)
}

#[server(prefix = "/rpc", endpoint = "revoke_token", input = Json)]
pub async fn revoke_token(id: i64) -> Result<(), ServerFnError> {
    let user = ctx::user()?;
    Ok(crate::ssr::auth::revoke_api_token(&ctx::state()?.pool, user.id, id).await?)
}

/// Queues a check run of one of the project's environments.
#[server(prefix = "/rpc", endpoint = "start_run", input = Json)]
pub async fn start_run(project_id: i64, environment: String) -> Result<RunSummary, ServerFnError> {
    let user = ctx::user()?;
    let state = ctx::state()?;
    let run = crate::ssr::runs::queue(&state.pool, &user, project_id, &environment).await?;
    state.run_queued.notify_one();
    state.publish_update(project_id, crate::model::LiveUpdate::Run { run: run.clone() });
    Ok(run)
}

#[server(prefix = "/rpc", endpoint = "list_runs", input = Json)]
pub async fn list_runs(project_id: i64) -> Result<Vec<RunSummary>, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::runs::list(&ctx::state()?.pool, project_id, 10).await?)
}

#[server(prefix = "/rpc", endpoint = "get_run", input = Json)]
pub async fn get_run(run_id: i64) -> Result<RunDetail, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::runs::detail(&ctx::state()?.pool, run_id).await?)
}

#[server(prefix = "/rpc", endpoint = "get_gallery", input = Json)]
pub async fn get_gallery(run_id: i64) -> Result<crate::model::Gallery, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::screenshots::gallery(&ctx::state()?.pool, run_id).await?)
}

#[server(prefix = "/rpc", endpoint = "get_diff", input = Json)]
pub async fn get_diff(before: i64, after: i64) -> Result<crate::model::DiffView, ServerFnError> {
    ctx::user()?;
    let state = ctx::state()?;
    let dir = state.screenshots_dir.clone().ok_or_else(|| ServerFnError::new("this server keeps no screenshots"))?;
    Ok(crate::ssr::screenshots::diff(&state.pool, &dir, before, after).await?.0)
}

// ----- Scope register, training notes, activity -----

#[server(prefix = "/rpc", endpoint = "get_scope", input = Json)]
pub async fn get_scope(project_id: i64) -> Result<crate::model::ScopeView, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::scope::view(&ctx::state()?.pool, project_id).await?)
}

#[server(prefix = "/rpc", endpoint = "save_scope_item", input = Json)]
pub async fn save_scope_item(project_id: i64, item_id: Option<i64>, input: crate::model::ScopeInput) -> Result<crate::model::ScopeItem, ServerFnError> {
    let user = ctx::user()?;
    let pool = ctx::state()?.pool;
    Ok(match item_id {
        Some(id) => crate::ssr::scope::update(&pool, id, &user.name, &input).await?,
        None => crate::ssr::scope::create(&pool, project_id, &user.name, &input).await?,
    })
}

#[server(prefix = "/rpc", endpoint = "scope_history", input = Json)]
pub async fn scope_history(item_id: i64) -> Result<Vec<crate::model::ScopeHistoryEntry>, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::scope::history(&ctx::state()?.pool, item_id).await?)
}

/// Compares the scope at the end of day `from` with the end of day `to` (`YYYY-MM-DD`).
#[server(prefix = "/rpc", endpoint = "compare_scope", input = Json)]
pub async fn compare_scope(project_id: i64, from: String, to: String) -> Result<crate::model::ScopeComparison, ServerFnError> {
    ctx::user()?;
    let day = |d: &str| crate::ssr::scope::end_of_day(d).ok_or_else(|| ServerFnError::new(format!("\"{d}\" is not a date; use YYYY-MM-DD")));
    Ok(crate::ssr::scope::compare(&ctx::state()?.pool, project_id, day(&from)?, day(&to)?).await?)
}

#[server(prefix = "/rpc", endpoint = "propose_change", input = Json)]
pub async fn propose_change(project_id: i64, input: crate::model::ChangeRequestInput) -> Result<crate::model::ChangeRequest, ServerFnError> {
    let user = ctx::user()?;
    Ok(crate::ssr::scope::propose(&ctx::state()?.pool, project_id, &user.name, false, &input).await?)
}

/// Records the client's decision on a change request (as told to the team member).
#[server(prefix = "/rpc", endpoint = "decide_change", input = Json)]
pub async fn decide_change(change_id: i64, decision: crate::model::Decision) -> Result<crate::model::ChangeRequest, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::scope::decide(&ctx::state()?.pool, change_id, &decision).await?)
}

#[server(prefix = "/rpc", endpoint = "get_training", input = Json)]
pub async fn get_training(project_id: i64) -> Result<(String, Vec<crate::model::TrainingNote>), ServerFnError> {
    ctx::user()?;
    let pool = ctx::state()?.pool;
    let project = crate::ssr::projects::get(&pool, project_id).await?;
    Ok((project.name, crate::ssr::training::list(&pool, project_id, false).await?))
}

#[server(prefix = "/rpc", endpoint = "save_training", input = Json)]
pub async fn save_training(project_id: i64, note_id: Option<i64>, input: crate::model::TrainingInput) -> Result<crate::model::TrainingNote, ServerFnError> {
    let user = ctx::user()?;
    let pool = ctx::state()?.pool;
    Ok(match note_id {
        Some(id) => crate::ssr::training::update(&pool, id, &user.name, &input).await?,
        None => crate::ssr::training::create(&pool, project_id, &user.name, &input).await?,
    })
}

#[server(prefix = "/rpc", endpoint = "delete_training", input = Json)]
pub async fn delete_training(note_id: i64) -> Result<(), ServerFnError> {
    let user = ctx::user()?;
    Ok(crate::ssr::training::delete(&ctx::state()?.pool, note_id, &user.name).await?)
}

/// Renders Markdown the way a saved note will look.
#[server(prefix = "/rpc", endpoint = "preview_markdown", input = Json)]
pub async fn preview_markdown(body: String) -> Result<String, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::markdown::render(body).await.map_err(|why| crate::ssr::AppError::bad(format!("The text cannot be previewed: {why}.")))?)
}

#[server(prefix = "/rpc", endpoint = "get_activity", input = Json)]
pub async fn get_activity(project_id: i64, kind: Option<String>, actor: Option<String>) -> Result<(String, Vec<crate::model::ActivityEntry>), ServerFnError> {
    ctx::user()?;
    let pool = ctx::state()?.pool;
    let project = crate::ssr::projects::get(&pool, project_id).await?;
    Ok((project.name, crate::ssr::activity::list(&pool, project_id, kind.as_deref(), actor.as_deref(), 500).await?))
}

// ----- Client review through a share link (no account: the token is the key) -----

#[server(prefix = "/rpc", endpoint = "share_view", input = Json)]
pub async fn share_view(token: String) -> Result<crate::model::ShareView, ServerFnError> {
    let pool = ctx::state()?.pool;
    let grant = crate::ssr::share::resolve(&pool, &token).await?;
    Ok(crate::ssr::share::view(&pool, &grant).await?)
}

#[server(prefix = "/rpc", endpoint = "share_review", input = Json)]
pub async fn share_review(token: String, screenshot_id: i64, approve: bool, name: String, comment: String) -> Result<crate::model::Review, ServerFnError> {
    let state = ctx::state()?;
    let grant = crate::ssr::share::resolve(&state.pool, &token).await?;
    let review = crate::ssr::share::review(&state.pool, &grant, screenshot_id, approve, &name, &comment).await?;
    state.publish_update(grant.project_id, crate::model::LiveUpdate::Review { review: review.clone() });
    Ok(review)
}

#[server(prefix = "/rpc", endpoint = "share_decide", input = Json)]
pub async fn share_decide(token: String, change_id: i64, approve: bool, name: String, note: String) -> Result<crate::model::ChangeRequest, ServerFnError> {
    let state = ctx::state()?;
    let grant = crate::ssr::share::resolve(&state.pool, &token).await?;
    Ok(crate::ssr::share::decide(&state.pool, &grant, change_id, approve, &name, &note).await?)
}

#[server(prefix = "/rpc", endpoint = "share_propose_change", input = Json)]
pub async fn share_propose_change(token: String, name: String, title: String, reason: String) -> Result<crate::model::ChangeRequest, ServerFnError> {
    let state = ctx::state()?;
    let grant = crate::ssr::share::resolve(&state.pool, &token).await?;
    Ok(crate::ssr::share::propose_change(&state.pool, &grant, &name, &title, &reason).await?)
}

#[server(prefix = "/rpc", endpoint = "share_acknowledge_training", input = Json)]
pub async fn share_acknowledge_training(token: String, name: String) -> Result<(String, i64), ServerFnError> {
    let state = ctx::state()?;
    let grant = crate::ssr::share::resolve(&state.pool, &token).await?;
    Ok(crate::ssr::share::acknowledge_training(&state.pool, &grant, &name).await?)
}

#[server(prefix = "/rpc", endpoint = "share_sign_off", input = Json)]
pub async fn share_sign_off(token: String, name: String) -> Result<crate::model::SignOff, ServerFnError> {
    let state = ctx::state()?;
    let grant = crate::ssr::share::resolve(&state.pool, &token).await?;
    Ok(crate::ssr::share::sign_off(&state.pool, &grant, &name).await?)
}

/// The team's view of client reviews of a run's screenshots.
#[server(prefix = "/rpc", endpoint = "get_reviews", input = Json)]
pub async fn get_reviews(project_id: i64) -> Result<Vec<crate::model::Review>, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::share::reviews(&ctx::state()?.pool, project_id).await?)
}

#[server(prefix = "/rpc", endpoint = "create_share_link", input = Json)]
pub async fn create_share_link(project_id: i64, input: crate::model::ShareLinkInput) -> Result<crate::model::ShareLink, ServerFnError> {
    let user = ctx::user()?;
    let state = ctx::state()?;
    let mut link = crate::ssr::share::create(&state.pool, &user, project_id, &input).await?;
    // Shown absolute, so it can be copied into an e-mail.
    let headers = use_context::<http::request::Parts>().map(|p| p.headers).unwrap_or_default();
    let origin = state.public_origin(&headers);
    link.url = link.url.map(|p| format!("{}{p}", origin.unwrap_or_default()));
    Ok(link)
}

#[server(prefix = "/rpc", endpoint = "list_share_links", input = Json)]
pub async fn list_share_links(project_id: i64) -> Result<Vec<crate::model::ShareLink>, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::share::list(&ctx::state()?.pool, project_id).await?)
}

#[server(prefix = "/rpc", endpoint = "revoke_share_link", input = Json)]
pub async fn revoke_share_link(link_id: i64) -> Result<(), ServerFnError> {
    let user = ctx::user()?;
    Ok(crate::ssr::share::revoke(&ctx::state()?.pool, &user, link_id).await?)
}

// ----- Retrospective and template -----

#[server(prefix = "/rpc", endpoint = "get_retro", input = Json)]
pub async fn get_retro(project_id: i64) -> Result<crate::model::Retrospective, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::retro::get(&ctx::state()?.pool, project_id).await?)
}

#[server(prefix = "/rpc", endpoint = "save_retro", input = Json)]
pub async fn save_retro(project_id: i64, input: crate::model::RetroInput) -> Result<crate::model::Retrospective, ServerFnError> {
    let user = ctx::user()?;
    Ok(crate::ssr::retro::save(&ctx::state()?.pool, project_id, &user.name, &input).await?)
}

#[server(prefix = "/rpc", endpoint = "add_retro_action", input = Json)]
pub async fn add_retro_action(project_id: i64, input: crate::model::RetroActionInput) -> Result<crate::model::RetroAction, ServerFnError> {
    let user = ctx::user()?;
    Ok(crate::ssr::retro::add_action(&ctx::state()?.pool, project_id, &user.name, &input).await?)
}

#[server(prefix = "/rpc", endpoint = "promote_retro_action", input = Json)]
pub async fn promote_retro_action(action_id: i64) -> Result<i64, ServerFnError> {
    let user = ctx::user()?;
    Ok(crate::ssr::retro::promote(&ctx::state()?.pool, action_id, &user.name).await?.version)
}

#[server(prefix = "/rpc", endpoint = "get_template_versions", input = Json)]
pub async fn get_template_versions() -> Result<Vec<crate::model::TemplateVersionView>, ServerFnError> {
    ctx::user()?;
    Ok(crate::ssr::retro::versions(&ctx::state()?.pool).await?)
}
