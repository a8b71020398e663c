//! An environment's protected-site credentials (sealed at rest, never shown back, never
//! logged) and importing its old URLs from the old site's sitemap.

use crate::db::Pool;

use super::{error::AppResult, secrets::Sealer, AppError};
use preflight_model::{Credentials, UserInfo};

fn binding(env_id: i64) -> String {
    format!("environment:{env_id}")
}

fn to_engine(c: &Credentials) -> preflight_engine::Credentials {
    match c.clone() {
        Credentials::Basic { username, password } => preflight_engine::Credentials::Basic { username, password },
        Credentials::Header { name, value } => preflight_engine::Credentials::Header { name: name.trim().to_string(), value: value.trim().to_string() },
        Credentials::Cookie { name, value } => preflight_engine::Credentials::Cookie { name: name.trim().to_string(), value: value.trim().to_string() },
    }
}

/// The environment's project and name, or 404.
async fn environment(pool: &Pool, env_id: i64) -> AppResult<(i64, String, String)> {
    sqlx::query_as("SELECT project_id, name, base_url FROM environments WHERE id = $1")
        .bind(env_id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound("environment"))
}

/// Saves (or with `None` removes) the credentials; returns what may be shown of them.
pub async fn set_credentials(pool: &Pool, sealer: &Sealer, actor: &UserInfo, env_id: i64, creds: Option<&Credentials>) -> AppResult<Option<String>> {
    let (project_id, name, _) = environment(pool, env_id).await?;
    let (sealed, hint) = match creds {
        Some(c) => {
            let engine = to_engine(c);
            engine.validate().map_err(AppError::bad)?;
            let json = serde_json::to_vec(&engine).map_err(|_| AppError::Internal)?;
            (Some(sealer.seal(&json, &binding(env_id))), engine.hint())
        }
        None => (None, String::new()),
    };
    let _turn = super::db::write_turn_for(pool).await;
    sqlx::query("UPDATE environments SET credentials = $1, credentials_hint = $2 WHERE id = $3").bind(sealed).bind(&hint).bind(env_id).execute(pool).await?;
    let what = if hint.is_empty() { format!("removed the credentials of {name}") } else { format!("set the credentials of {name}: {hint}") };
    super::activity::log(pool, project_id, &actor.name, "project", &what).await?;
    Ok((!hint.is_empty()).then_some(hint))
}

/// The credentials a run of the environment uses. An error when they cannot be opened (the
/// secret key was replaced): the run then says so instead of checking a login page.
pub async fn credentials_for(pool: &Pool, sealer: &Sealer, env_id: i64) -> Result<Option<preflight_engine::Credentials>, String> {
    let sealed: Option<Option<Vec<u8>>> =
        sqlx::query_scalar("SELECT credentials FROM environments WHERE id = $1").bind(env_id).fetch_optional(pool).await.map_err(|e| e.to_string())?;
    let Some(sealed) = sealed.flatten() else { return Ok(None) };
    let plain = sealer
        .open(&sealed, &binding(env_id))
        .ok_or("the protected site's credentials cannot be opened with this server's secret key (secret.key was replaced?): set them again")?;
    serde_json::from_slice(&plain).map(Some).map_err(|_| "the protected site's stored credentials are unreadable: set them again".to_string())
}

/// Reads the old site's sitemap (through the engine's guarded fetcher), adds its pages to
/// the environment's old URLs and returns the whole list. Pages are stored as paths, so they
/// are checked on this environment: a relaunch keeps the old site's addresses.
pub async fn import_old_urls(pool: &Pool, actor: &UserInfo, env_id: i64, sitemap_url: &str) -> AppResult<Vec<String>> {
    let (project_id, name, base_url) = environment(pool, env_id).await?;
    let sitemap_url = sitemap_url.trim();
    if sitemap_url.is_empty() {
        return Err(AppError::bad("sitemap_url: give the old site's sitemap address, e.g. https://www.example.com/sitemap.xml"));
    }
    let config = preflight_engine::CheckConfig::new(&base_url).map_err(|e| AppError::bad(e.to_string()))?;
    let found = preflight_engine::import_sitemap(&config, sitemap_url).await.map_err(|e| AppError::bad(format!("sitemap_url: {e}")))?;
    let sitemap_host = url::Url::parse(sitemap_url).ok().and_then(|u| u.host_str().map(str::to_string));
    let as_path = |u: String| match url::Url::parse(&u) {
        Ok(p) if p.host_str().map(str::to_string) == sitemap_host => {
            let mut path = p.path().to_string();
            if let Some(q) = p.query() {
                path.push('?');
                path.push_str(q);
            }
            path
        }
        _ => u,
    };
    let current: String = sqlx::query_scalar("SELECT old_urls FROM environments WHERE id = $1").bind(env_id).fetch_one(pool).await?;
    let mut list: Vec<String> = current.lines().map(str::to_string).filter(|l| !l.trim().is_empty()).collect();
    let before = list.len();
    for u in found.into_iter().map(as_path) {
        if list.len() >= preflight_engine::MAX_IMPORTED_URLS {
            break;
        }
        if !list.contains(&u) {
            list.push(u);
        }
    }
    let _turn = super::db::write_turn_for(pool).await;
    sqlx::query("UPDATE environments SET old_urls = $1 WHERE id = $2").bind(list.join("\n")).bind(env_id).execute(pool).await?;
    let summary = format!("imported {} old URL(s) for {name} from {sitemap_url}", list.len() - before);
    super::activity::log(pool, project_id, &actor.name, "project", &summary).await?;
    Ok(list)
}
