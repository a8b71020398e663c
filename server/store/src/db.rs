//! Opening the database. This and the SQL in the service modules are the seam where
//! another engine (PostgreSQL) would plug in.

use std::{str::FromStr, time::Duration};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// Serialises this process's write transactions. SQLite allows one writer at a time; a
/// writer that finds the lock taken backs off with sleeps of up to 100 ms, which shows up
/// as tail latency under concurrent ticking. Queuing writers here instead keeps the wait
/// as short as the transaction ahead. (Other processes, e.g. `preflight backup`, still get
/// SQLite's busy timeout.)
static WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Takes the process-wide write turn; hold it for the length of one short transaction.
pub async fn write_turn() -> tokio::sync::MutexGuard<'static, ()> {
    WRITER.lock().await
}

/// A write transaction that holds the process's write turn until it commits or is dropped
/// (rolled back). Every multi-statement write goes through [`begin_write`].
pub struct WriteTx {
    // Declared first, so a dropped transaction rolls back before the turn is released.
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// Takes the write turn, then begins a transaction.
pub async fn begin_write(pool: &SqlitePool) -> Result<WriteTx, sqlx::Error> {
    let turn = write_turn().await;
    Ok(WriteTx { tx: pool.begin().await?, _turn: turn })
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::SqliteConnection;

    fn deref(&self) -> &sqlx::SqliteConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.tx
    }
}

/// Migrations embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

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
    super::template::ensure_builtin(pool).await.map_err(|e| format!("seeding the checklist template failed: {e}"))?;
    Ok(())
}
