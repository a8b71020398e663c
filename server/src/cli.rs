//! The non-serving subcommands: accounts, tokens, migrations and backups from the shell.

use std::{io::BufRead, path::Path};

use anyhow::{bail, Context};
use preflight_store::db::Pool;

use preflight_model::Role;
use preflight_store::auth;

use crate::config::RoleArg;

/// `preflight user add EMAIL --name NAME --role ROLE`, password on stdin.
pub async fn user_add(pool: &Pool, email: &str, name: &str, role: RoleArg, stdin: impl BufRead) -> anyhow::Result<String> {
    let password = read_password(stdin)?;
    let role = match role {
        RoleArg::Owner => Role::Owner,
        RoleArg::Member => Role::Member,
    };
    let (user, created) = auth::upsert_user(pool, email, name, role, &password).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(if created {
        format!("Created {} account for {} <{}>.", user.role.as_str(), user.name, user.email)
    } else {
        format!("Updated the account of {} <{}> (role {}, new password; signed out everywhere).", user.name, user.email, user.role.as_str())
    })
}

fn read_password(mut stdin: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    stdin.read_line(&mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        bail!("no password on standard input: pipe it in, e.g. `printf '%s\\n' \"$PASSWORD\" | preflight user add …`");
    }
    Ok(password)
}

/// `preflight token create EMAIL --name LABEL`: returns the token.
pub async fn token_create(pool: &Pool, email: &str, label: &str) -> anyhow::Result<String> {
    let user = auth::find_user_by_email(pool, email)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_context(|| format!("there is no account for {email}; create it with `preflight user add`"))?;
    let (_, token) = auth::create_api_token(pool, user.id, label).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(token)
}

/// Makes a file readable and writable by its owner only (0600), if it exists (Unix).
pub fn make_private(path: &Path) {
    #[cfg(unix)]
    if path.exists() {
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!(path = %path.display(), "could not make the file private: {e}");
        }
    }
}
