//! Opening the database. This and the SQL in the service modules are the seam where
//! another engine (PostgreSQL) would plug in.

use std::{str::FromStr, time::Duration};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// Migrations embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Opens (creating if missing) the SQLite database at `url` with WAL, a busy timeout and
/// foreign keys on.
pub async fn connect(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let opts = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    SqlitePoolOptions::new().max_connections(8).connect_with(opts).await
}

/// Applies pending migrations and seeds the built-in checklist template.
pub async fn migrate(pool: &SqlitePool) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    MIGRATOR.run(pool).await.map_err(|e| format!("applying database migrations failed: {e}"))?;
    super::template::ensure_builtin(pool)
        .await
        .map_err(|e| format!("seeding the checklist template failed: {e}"))?;
    Ok(())
}
