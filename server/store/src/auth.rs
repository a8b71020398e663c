//! Accounts, passwords, sessions and API tokens.
//!
//! Passwords are hashed with argon2id. Session ids and API tokens are 256-bit random
//! values given to the client once and stored only as SHA-256 hashes.

use crate::db::Pool;
use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{error::AppResult, now, AppError};
use preflight_model::{ApiTokenInfo, Role, UserInfo};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "preflight_session";
/// Over https the session cookie carries the `__Host-` prefix: browsers then keep it only if
/// it is Secure, for this host alone, on path `/` — no subdomain or plain-http page can set or
/// shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-preflight_session";

/// The session secret among a request's cookies (under either name).
pub fn session_secret(headers: &http::HeaderMap) -> Option<String> {
    let pairs =
        || headers.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).filter_map(|kv| kv.trim().split_once('='));
    [SECURE_SESSION_COOKIE, SESSION_COOKIE].iter().find_map(|name| pairs().find(|(k, _)| k == name).map(|(_, v)| v.to_string()))
}
/// Sessions end this long after login, whatever happens.
pub const SESSION_LIFETIME_SECS: i64 = 14 * 24 * 3600;
pub const MIN_PASSWORD_LEN: usize = 10;
/// API tokens start with this, so secret scanners and people recognise them.
pub const TOKEN_PREFIX: &str = "pft_";

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> AppResult<String> {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|_| AppError::Internal)?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::Internal
    })
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()).unwrap_or(false)
}

/// A new 256-bit random secret, base64url without padding.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

pub fn validate_password(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::bad(format!("The password must be at least {MIN_PASSWORD_LEN} characters long.")));
    }
    if password.len() > 1024 {
        return Err(AppError::bad("The password is too long (1024 bytes at most)."));
    }
    Ok(())
}

pub fn validate_email(email: &str) -> AppResult<String> {
    let email = email.trim();
    let ok = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(email.to_string())
    } else {
        Err(AppError::bad(format!("\"{email}\" is not an e-mail address.")))
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    restricted: i64,
}

impl From<UserRow> for UserInfo {
    fn from(r: UserRow) -> Self {
        UserInfo { id: r.id, email: r.email, name: r.name, role: Role::parse(&r.role).unwrap_or(Role::Member), restricted: r.restricted != 0 }
    }
}

/// A one-time setup code: 12 characters people can read out and type (no 0/O, 1/I/L),
/// grouped by four — 60 bits of chance.
pub fn new_setup_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let chars: Vec<char> = (0..12).map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

pub async fn user_count(pool: &Pool) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await?)
}

pub async fn list_users(pool: &Pool) -> AppResult<Vec<UserInfo>> {
    let rows: Vec<UserRow> =
        sqlx::query_as("SELECT id, email, name, role, restricted FROM users WHERE disabled_at IS NULL ORDER BY lower(name), id").fetch_all(pool).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn find_user_by_email(pool: &Pool, email: &str) -> AppResult<Option<UserInfo>> {
    let row: Option<UserRow> = sqlx::query_as("SELECT id, email, name, role, restricted FROM users WHERE lower(email) = lower($1) AND disabled_at IS NULL")
        .bind(email.trim())
        .fetch_optional(pool)
        .await?;
    Ok(row.map(Into::into))
}

/// Creates an account. Fails with a clear message when the e-mail is taken.
pub async fn create_user(pool: &Pool, email: &str, name: &str, role: Role, password: &str) -> AppResult<UserInfo> {
    let email = validate_email(email)?;
    let name = validate_name(name)?;
    validate_password(password)?;
    let hash = hash_password_blocking(password.to_string()).await?;
    let res = sqlx::query_scalar("INSERT INTO users (email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(&email)
        .bind(&name)
        .bind(role.as_str())
        .bind(&hash)
        .bind(now())
        .fetch_one(pool)
        .await;
    match res {
        Ok(id) => Ok(UserInfo { id, email, name, role, restricted: false }),
        Err(sqlx::Error::Database(e)) if e.kind() == sqlx::error::ErrorKind::UniqueViolation => {
            Err(AppError::Conflict(format!("There is already an account for {email}.")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates the owner account of a fresh install. Refused (Conflict) once any account
/// exists, atomically, so two people racing through setup cannot both become owner.
pub async fn create_first_owner(pool: &Pool, email: &str, name: &str, password: &str) -> AppResult<UserInfo> {
    let email = validate_email(email)?;
    let name = validate_name(name)?;
    validate_password(password)?;
    let hash = hash_password_blocking(password.to_string()).await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO users (email, name, role, password_hash, created_at)
         SELECT $1, $2, 'owner', $3, $4 WHERE NOT EXISTS (SELECT 1 FROM users) RETURNING id",
    )
    .bind(&email)
    .bind(&name)
    .bind(&hash)
    .bind(now())
    .fetch_optional(pool)
    .await?;
    let Some(id) = id else {
        return Err(AppError::Conflict("Setup is already done.".into()));
    };
    Ok(UserInfo { id, email, name, role: Role::Owner, restricted: false })
}

/// Creates the account, or resets name, role and password of an existing one (the
/// `preflight user add` command). Resetting signs the user out everywhere.
pub async fn upsert_user(pool: &Pool, email: &str, name: &str, role: Role, password: &str) -> AppResult<(UserInfo, bool)> {
    let email = validate_email(email)?;
    match find_user_by_email(pool, &email).await? {
        None => Ok((create_user(pool, &email, name, role, password).await?, true)),
        Some(existing) => {
            let name = validate_name(name)?;
            validate_password(password)?;
            let hash = hash_password_blocking(password.to_string()).await?;
            let mut tx = super::db::begin_write(pool).await?;
            // Owners see every project: an account made an owner is no longer restricted.
            let restricted = existing.restricted && role != Role::Owner;
            sqlx::query("UPDATE users SET name = $1, role = $2, password_hash = $3, restricted = $4 WHERE id = $5")
                .bind(&name)
                .bind(role.as_str())
                .bind(&hash)
                .bind(i64::from(restricted))
                .bind(existing.id)
                .execute(&mut *tx)
                .await?;
            end_all_access(&mut tx, existing.id).await?;
            tx.commit().await?;
            forget_cached_tokens(pool).await;
            Ok((UserInfo { id: existing.id, email: existing.email, name, role, restricted }, false))
        }
    }
}

pub fn validate_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::bad("Please give a name."));
    }
    if name.chars().count() > 100 {
        return Err(AppError::bad("The name is too long (100 characters at most)."));
    }
    Ok(name.to_string())
}

async fn hash_password_blocking(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|_| AppError::Internal)?
}

/// Checks e-mail and password. Always spends the time of one hash, so timing does not
/// reveal whether the account exists.
pub async fn authenticate(pool: &Pool, email: &str, password: &str) -> AppResult<Option<UserInfo>> {
    let row: Option<(i64, String)> = sqlx::query_as("SELECT id, password_hash FROM users WHERE lower(email) = lower($1) AND disabled_at IS NULL")
        .bind(email.trim())
        .fetch_optional(pool)
        .await?;
    // A valid hash of a random password: verifying against it costs the same as a real one.
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let (id, hash) = match row {
        Some((id, h)) => (Some(id), h),
        None => (None, DUMMY.get_or_init(|| hash_password(&new_secret()).unwrap_or_default()).clone()),
    };
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.map_err(|_| AppError::Internal)?;
    match (id, ok) {
        (Some(id), true) => user_by_id(pool, id).await,
        _ => Ok(None),
    }
}

pub async fn user_by_id(pool: &Pool, id: i64) -> AppResult<Option<UserInfo>> {
    let row: Option<UserRow> =
        sqlx::query_as("SELECT id, email, name, role, restricted FROM users WHERE id = $1 AND disabled_at IS NULL").bind(id).fetch_optional(pool).await?;
    Ok(row.map(Into::into))
}

/// Changes the password and signs the person out everywhere else: every session but
/// `keep_session` (the one making the change) ends.
/// Changes a password; every other session of the person ends, and with `revoke_tokens`
/// their API tokens are revoked too. Returns how many tokens were revoked.
pub async fn change_password(pool: &Pool, user: &UserInfo, current: &str, new: &str, keep_session: Option<&str>, revoke_tokens: bool) -> AppResult<u64> {
    if authenticate(pool, &user.email, current).await?.is_none() {
        return Err(AppError::bad("The current password is not right."));
    }
    validate_password(new)?;
    let hash = hash_password_blocking(new.to_string()).await?;
    let mut tx = super::db::begin_write(pool).await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(user.id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash != $2")
        .bind(user.id)
        .bind(keep_session.map(hash_secret).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
    let revoked = match revoke_tokens {
        true => sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now())
            .bind(user.id)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        false => 0,
    };
    tx.commit().await?;
    if revoked > 0 {
        forget_cached_tokens(pool).await;
    }
    Ok(revoked)
}

/// Sets a new password through a reset link: every session ends and every API token is
/// revoked, as with a reset from the shell.
pub async fn reset_password(pool: &Pool, user_id: i64, new: &str) -> AppResult<()> {
    validate_password(new)?;
    let hash = hash_password_blocking(new.to_string()).await?;
    let mut tx = super::db::begin_write(pool).await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(user_id).execute(&mut *tx).await?;
    end_all_access(&mut tx, user_id).await?;
    tx.commit().await?;
    forget_cached_tokens(pool).await;
    Ok(())
}

/// Ends every session and revokes every API token of a user (a reset or a deactivation).
async fn end_all_access(tx: &mut crate::db::Conn, user_id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL").bind(now()).bind(user_id).execute(&mut *tx).await?;
    Ok(())
}

/// Deactivates an account: it can no longer sign in, its sessions end and its API tokens are
/// revoked at once (open live-event streams end within seconds). Its history stays.
pub async fn disable_user(pool: &Pool, email: &str) -> AppResult<UserInfo> {
    let user = find_user_by_email(pool, email).await?.ok_or(AppError::NotFound("account"))?;
    disable(pool, user).await
}

/// [`disable_user`] by id, as an owner does it on the Team page: not their own account, and
/// never the last owner.
pub async fn disable_member(pool: &Pool, by: &UserInfo, id: i64) -> AppResult<UserInfo> {
    if by.id == id {
        return Err(AppError::bad("You cannot deactivate your own account; another owner can."));
    }
    let user: Option<UserRow> =
        sqlx::query_as("SELECT id, email, name, role, restricted FROM users WHERE id = $1 AND disabled_at IS NULL").bind(id).fetch_optional(pool).await?;
    let user: UserInfo = user.ok_or(AppError::NotFound("team member"))?.into();
    disable(pool, user).await
}

/// An active team member by id (`NotFound` for deactivated or unknown ones).
pub(crate) async fn active_member(pool: &Pool, id: i64) -> AppResult<UserInfo> {
    let user: Option<UserRow> =
        sqlx::query_as("SELECT id, email, name, role, restricted FROM users WHERE id = $1 AND disabled_at IS NULL").bind(id).fetch_optional(pool).await?;
    Ok(user.ok_or(AppError::NotFound("team member"))?.into())
}

/// An owner changes a member's role. The team always keeps an owner: the last one cannot
/// become a member.
pub async fn set_role(pool: &Pool, by: &UserInfo, id: i64, role: Role) -> AppResult<UserInfo> {
    if by.role != Role::Owner {
        return Err(AppError::Forbidden("Only an owner can change roles.".into()));
    }
    let user = active_member(pool, id).await?;
    if user.role == role {
        return Ok(user);
    }
    let mut tx = super::db::begin_write(pool).await?;
    if user.role == Role::Owner {
        let owners: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'owner' AND disabled_at IS NULL").fetch_one(&mut *tx).await?;
        if owners <= 1 {
            return Err(AppError::Conflict(format!("{} is the team's only owner: make someone else an owner first.", user.name)));
        }
    }
    // Owners see every project: a member made an owner is no longer restricted.
    let restricted = user.restricted && role != Role::Owner;
    sqlx::query("UPDATE users SET role = $1, restricted = $2 WHERE id = $3").bind(role.as_str()).bind(i64::from(restricted)).bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    forget_cached_tokens(pool).await;
    Ok(UserInfo { role, restricted, ..user })
}

/// Signs a member out everywhere (their sessions end at once; API tokens stay), as an owner's
/// password reset does.
pub async fn end_sessions(pool: &Pool, id: i64) -> AppResult<UserInfo> {
    let user = active_member(pool, id).await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(pool).await?;
    Ok(user)
}

async fn disable(pool: &Pool, user: UserInfo) -> AppResult<UserInfo> {
    let mut tx = super::db::begin_write(pool).await?;
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2").bind(now()).bind(user.id).execute(&mut *tx).await?;
    end_all_access(&mut tx, user.id).await?;
    tx.commit().await?;
    forget_cached_tokens(pool).await;
    Ok(user)
}

/// Starts a session and returns the secret for the cookie. A fresh id on every login
/// (no session fixation).
pub async fn create_session(pool: &Pool, user_id: i64) -> AppResult<String> {
    let secret = new_secret();
    let t = now();
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(t).execute(pool).await?;
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(hash_secret(&secret))
        .bind(user_id)
        .bind(t)
        .bind(t + SESSION_LIFETIME_SECS)
        .execute(pool)
        .await?;
    Ok(secret)
}

pub async fn session_user(pool: &Pool, secret: &str) -> AppResult<Option<UserInfo>> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT u.id, u.email, u.name, u.role, u.restricted FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
    )
    .bind(hash_secret(secret))
    .bind(now())
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Into::into))
}

pub async fn delete_session(pool: &Pool, secret: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash_secret(secret)).execute(pool).await?;
    Ok(())
}

/// Creates an API token for a user; returns its id and the secret (shown once).
pub async fn create_api_token(pool: &Pool, user_id: i64, name: &str) -> AppResult<(i64, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad("Give the token a label of 1 to 100 characters, e.g. \"CI pipeline\"."));
    }
    let token = format!("{TOKEN_PREFIX}{}", new_secret());
    let prefix: String = token.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let id: i64 = sqlx::query_scalar("INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(user_id)
        .bind(name)
        .bind(hash_secret(&token))
        .bind(prefix)
        .bind(now())
        .fetch_one(pool)
        .await?;
    Ok((id, token))
}

pub async fn list_api_tokens(pool: &Pool, user_id: i64) -> AppResult<Vec<ApiTokenInfo>> {
    let rows: Vec<(i64, String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, name, prefix, created_at, last_used_at FROM api_tokens
         WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name, prefix, created_at, last_used_at)| ApiTokenInfo { id, name, prefix, created_at, last_used_at }).collect())
}

pub async fn revoke_api_token(pool: &Pool, user_id: i64, token_id: i64) -> AppResult<()> {
    let r = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(now())
        .bind(token_id)
        .bind(user_id)
        .execute(pool)
        .await?;
    if r.rows_affected() == 0 {
        return Err(AppError::NotFound("token"));
    }
    forget_cached_tokens(pool).await;
    Ok(())
}

/// Recently resolved API tokens, so a busy CI job does not cost a query per request. Revoking a
/// token, or changing or disabling its user, clears it at once: in this process directly, and
/// in every other server through PostgreSQL (`NOTIFY preflight_control`, see
/// [`crate::relay`]). With PostgreSQL the cache is used only while this process listens for
/// that; a server whose listening connection dropped asks the database every time (and
/// forgets what it had) until it listens again.
static TOKEN_CACHE: std::sync::LazyLock<std::sync::Mutex<TokenCache>> = std::sync::LazyLock::new(Default::default);
/// Token hash → its user and when that was looked up.
type TokenCache = std::collections::HashMap<Vec<u8>, (UserInfo, std::time::Instant)>;
const TOKEN_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(30);
const TOKEN_CACHE_MAX: usize = 10_000;
/// Set while this process hears the other servers' revocations (PostgreSQL `LISTEN`).
pub(crate) static HEARS_REVOCATIONS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Forgets this process's cached tokens.
pub(crate) fn forget_local_tokens() {
    TOKEN_CACHE.lock().unwrap_or_else(|e| e.into_inner()).clear();
}

/// Forgets cached tokens here and, with PostgreSQL, on every other server. Called after the
/// change has committed, so no server can read the old state back into its cache.
pub(crate) async fn forget_cached_tokens(pool: &Pool) {
    forget_local_tokens();
    if super::db::Backend::of(pool) == super::db::Backend::Postgres {
        if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)").bind(crate::relay::CONTROL_CHANNEL).bind(crate::relay::FORGET_TOKENS).execute(pool).await {
            tracing::warn!(error = %e, "other servers could not be told to forget cached API tokens; they do within 30 s");
        }
    }
}

fn caches_tokens(pool: &Pool) -> bool {
    super::db::Backend::of(pool) == super::db::Backend::Sqlite || HEARS_REVOCATIONS.load(std::sync::atomic::Ordering::SeqCst)
}

/// Resolves a bearer token to its user; records (coarsely) when it was last used.
pub async fn token_user(pool: &Pool, token: &str) -> AppResult<Option<UserInfo>> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let hash = hash_secret(token);
    let cached = caches_tokens(pool);
    if cached {
        if let Some((user, at)) = TOKEN_CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(&hash) {
            if at.elapsed() < TOKEN_CACHE_TTL {
                return Ok(Some(user.clone()));
            }
        }
    }
    let row: Option<(i64, String, String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT u.id, u.email, u.name, u.role, u.restricted, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
    )
    .bind(&hash)
    .fetch_optional(pool)
    .await?;
    let Some((id, email, name, role, restricted, last_used)) = row else {
        return Ok(None);
    };
    // Coarse (once a minute) so a busy CI job does not write on every request.
    if last_used.is_none_or(|at| at < now() - 60) {
        let _turn = super::db::write_turn_for(pool).await;
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 AND (last_used_at IS NULL OR last_used_at < $3)")
            .bind(now())
            .bind(&hash)
            .bind(now() - 60)
            .execute(pool)
            .await?;
    }
    let user = UserInfo::from(UserRow { id, email, name, role, restricted });
    if cached {
        let mut cache = TOKEN_CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= TOKEN_CACHE_MAX {
            cache.clear();
        }
        cache.insert(hash, (user.clone(), std::time::Instant::now()));
    }
    Ok(Some(user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_is_argon2id_and_verifies() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn secrets_are_random_and_long() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43); // 32 bytes, base64url, no padding
        assert_eq!(hash_secret(&a).len(), 32);
    }

    #[test]
    fn email_and_password_validation() {
        assert!(validate_email("ann@example.org").is_ok());
        for bad in ["", "ann", "@x.org", "ann@x", "a nn@x.org", "ann@.org"] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
        assert!(validate_password("short").is_err());
        assert!(validate_password("long enough pw").is_ok());
    }
}
