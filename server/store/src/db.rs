//! Opening the database: SQLite (the default, a file in the data folder) or PostgreSQL, through
//! one pool type, with each backend's migrations and the few spellings that differ.

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{ConnectOptions, Executor};

/// The store's connection pool: SQLite or PostgreSQL, chosen by the database URL. Every
/// statement in the store is written once, in the SQL both understand (`$1` parameters,
/// `RETURNING id`, integers for flags and unix-second times).
pub type Pool = sqlx::AnyPool;
/// One connection of the pool (what a transaction derefs to).
pub type Conn = sqlx::AnyConnection;

/// Which database a pool talks to, for the few statements the two spell differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names (`sqlite://…`, `postgres://…` or `postgresql://…`).
    pub fn of_url(url: &str) -> Option<Backend> {
        let scheme = url.split_once(':')?.0;
        match scheme {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }

    pub fn of(pool: &Pool) -> Backend {
        Backend::of_url(pool.connect_options().database_url.as_str()).unwrap_or(Backend::Sqlite)
    }

    /// The row lock a claim takes so that concurrent workers skip each other's rows
    /// (PostgreSQL); SQLite's write turn already makes a claim one writer's.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// The migrations of this kind of database.
    pub fn migrator(self) -> &'static sqlx::migrate::Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        }
    }

    /// SQL for the `YYYY-MM-DD` date `days` days after the `YYYY-MM-DD` text `date`.
    pub fn date_plus_days(self, date: &str, days: &str) -> String {
        match self {
            Backend::Sqlite => format!("date({date}, {days} || ' days')"),
            Backend::Postgres => format!("to_char(CAST({date} AS date) + CAST({days} AS integer), 'YYYY-MM-DD')"),
        }
    }
}

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

/// [`write_turn`] where one is needed: SQLite's single writer; PostgreSQL takes none.
pub async fn write_turn_for(pool: &Pool) -> Option<tokio::sync::MutexGuard<'static, ()>> {
    match Backend::of(pool) {
        Backend::Sqlite => Some(write_turn().await),
        Backend::Postgres => None,
    }
}

/// A write transaction that holds the process's write turn until it commits or is dropped
/// (rolled back). Every multi-statement write goes through [`begin_write`].
pub struct WriteTx {
    // Declared first, so a dropped transaction rolls back before the turn is released.
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::MutexGuard<'static, ()>>,
}

/// Begins a write transaction. On SQLite it first takes the process's write turn (one writer
/// at a time, queued here rather than in SQLite's busy loop); PostgreSQL runs writers
/// concurrently and needs no turn.
pub async fn begin_write(pool: &Pool) -> Result<WriteTx, sqlx::Error> {
    let turn = write_turn_for(pool).await;
    Ok(WriteTx { tx: pool.begin().await?, _turn: turn })
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.tx
    }
}

/// The SQLite migrations, embedded in the binary.
pub static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
/// The PostgreSQL migrations: the same schema, kept in step by a test (`migrations_in_step`).
pub static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Opens the database at `url`: `sqlite://PATH` (created if missing; WAL, a busy timeout and
/// foreign keys on) or `postgres://…`.
pub async fn connect(url: &str) -> Result<Pool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(url).ok_or_else(|| sqlx::Error::Configuration(format!("{url:?} is not a sqlite:// or postgres:// URL").into()))?;
    let url = match backend {
        Backend::Sqlite if !url.contains("mode=") => format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' }),
        _ => url.to_string(),
    };
    let opts = AnyConnectOptions::from_url(&url.parse().map_err(|e| sqlx::Error::Configuration(Box::new(e)))?)?.disable_statement_logging();
    let pool = AnyPoolOptions::new().max_connections(8).acquire_timeout(Duration::from_secs(30));
    let pool = match backend {
        // A read-only look (a backup being checked) changes nothing, not even the journal mode.
        Backend::Sqlite if url.contains("mode=ro") => pool,
        Backend::Sqlite => pool.after_connect(|conn, _| {
            Box::pin(async move {
                // Checkpoints are the server's background task (see `start_checkpoints`); a
                // connection checkpoints on its own only if the WAL reaches 8,000 pages (~32 MB)
                // anyway, e.g. in a command run beside a busy server.
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;
                     PRAGMA wal_autocheckpoint = 8000; PRAGMA journal_size_limit = 67108864",
                )
                .await?;
                Ok(())
            })
        }),
        Backend::Postgres => pool,
    };
    pool.connect_with(opts).await
}

/// How often the server copies SQLite's write-ahead log into the database.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// With SQLite, copies the write-ahead log into the database every [`CHECKPOINT_EVERY`] in the
/// background (nothing on PostgreSQL). Left to SQLite, the commit that fills the log does the
/// copy, holding the one write turn while every other writer waits: under 100 ticking clients
/// that was the slowest part of the tick path. A passive checkpoint waits for nobody and
/// nobody waits for it.
pub fn start_checkpoints(pool: &Pool) {
    if Backend::of(pool) != Backend::Sqlite {
        return;
    }
    let pool = pool.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(CHECKPOINT_EVERY).await;
            if pool.is_closed() {
                return;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").fetch_all(&pool).await {
                tracing::debug!(error = %e, "a background checkpoint failed; the next one tries again");
            }
        }
    });
}

/// Applies pending migrations and seeds the built-in checklist template.
pub async fn migrate(pool: &Pool) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    Backend::of(pool).migrator().run(pool).await.map_err(|e| format!("applying database migrations failed: {e}"))?;
    super::template::ensure_builtin(pool).await.map_err(|e| format!("seeding the checklist template failed: {e}"))?;
    Ok(())
}
