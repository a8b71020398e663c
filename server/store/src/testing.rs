//! Fresh databases for tests, on SQLite and on PostgreSQL (feature `testing`).
//!
//! [`db_test!`](crate::db_test) writes a test once and runs it on both: `NAME::sqlite` on a
//! new file in a temporary folder, `NAME::postgres` on a new database of the PostgreSQL server
//! that `PREFLIGHT_TEST_POSTGRES` names (an admin URL such as
//! `postgres://preflight@localhost/postgres?host=/tmp/pg`; `scripts/test.sh` starts a
//! throwaway server and sets it). Without it the PostgreSQL half fails and says how to run it;
//! `PREFLIGHT_TEST_POSTGRES=skip` skips it on purpose, saying so.

use sqlx::Executor;

use crate::db::{self, Pool};

/// A database that exists for one test.
pub struct TestDb {
    pub pool: Pool,
    _dir: Option<tempfile::TempDir>,
}

/// Every test database of this process is made from one migrated template, created once per
/// migration set (its name carries their checksum), under an advisory lock so test binaries
/// running at once agree.
const LOCK: i64 = 0x5052_4546_4c49;

impl TestDb {
    /// The database's URL, for a `preflight` process to open.
    pub fn url(&self) -> String {
        self.pool.connect_options().database_url.to_string()
    }

    /// A new SQLite database file (not yet migrated).
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let pool = db::connect(&format!("sqlite://{}/test.db", dir.path().display())).await.expect("opening a SQLite test database");
        TestDb { pool, _dir: Some(dir) }
    }

    /// A new PostgreSQL database, already migrated; `None` when PostgreSQL tests are skipped
    /// on purpose.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = match std::env::var("PREFLIGHT_TEST_POSTGRES") {
            Ok(u) if u == "skip" => {
                eprintln!("PREFLIGHT_TEST_POSTGRES=skip: the PostgreSQL half of this test did not run");
                return None;
            }
            Ok(u) => u,
            Err(_) => panic!(
                "this test also runs on PostgreSQL: run it through scripts/test.sh (which starts a throwaway PostgreSQL), \
                 or set PREFLIGHT_TEST_POSTGRES to an admin URL such as postgres://USER@localhost/postgres (or to `skip`)"
            ),
        };
        let admin = db::connect(&admin_url).await.unwrap_or_else(|e| panic!("connecting to PostgreSQL at {admin_url}: {e}"));
        let template = format!("preflight_tpl_{:x}", migration_digest());
        let name =
            format!("preflight_test_{}", crate::auth::new_secret().chars().filter(char::is_ascii_alphanumeric).take(16).collect::<String>().to_lowercase());
        let mut conn = admin.acquire().await.expect("a PostgreSQL connection");
        sqlx::query("SELECT pg_advisory_lock($1)").bind(LOCK).execute(&mut *conn).await.expect("the template lock");
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT 1::BIGINT FROM pg_database WHERE datname = $1").bind(&template).fetch_optional(&mut *conn).await.expect("pg_database");
        if exists.is_none() {
            conn.execute(format!("CREATE DATABASE {template}").as_str()).await.expect("creating the template database");
            let tpl = db::connect(&with_database(&admin_url, &template)).await.expect("opening the template database");
            db::migrate(&tpl).await.expect("migrating the template database");
            tpl.close().await;
        }
        conn.execute(format!("CREATE DATABASE {name} TEMPLATE {template}").as_str()).await.expect("creating a test database");
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(LOCK).execute(&mut *conn).await.expect("releasing the template lock");
        drop(conn);
        admin.close().await;
        let pool = db::connect(&with_database(&admin_url, &name)).await.expect("opening the test database");
        Some(TestDb { pool, _dir: None })
    }
}

/// The one multi-thread runtime every [`db_test!`](crate::db_test) of a test binary runs on,
/// as the real server runs on one: page-rendering tests, each on a runtime of its own, hung now
/// and then when two ran at once.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::LazyLock<tokio::runtime::Runtime> =
        std::sync::LazyLock::new(|| tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime"));
    &RUNTIME
}

/// `url` with its database (the path) replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let mut u = url::Url::parse(url).expect("a PostgreSQL URL");
    u.set_path(&format!("/{name}"));
    u.to_string()
}

/// A digest of the PostgreSQL migrations, so a changed migration gets a new template.
fn migration_digest() -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for m in db::POSTGRES_MIGRATOR.iter() {
        m.version.hash(&mut h);
        m.checksum.hash(&mut h);
    }
    h.finish()
}

/// Writes a database test once and runs it on SQLite and on PostgreSQL, as `NAME::sqlite` and
/// `NAME::postgres`, on [`runtime`]. The body gets a fresh [`Pool`](crate::db::Pool) as `$pool`.
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($pool:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($pool: $crate::db::Pool) $body

            #[test]
            fn sqlite() {
                $crate::testing::runtime().block_on(async {
                    let db = $crate::testing::TestDb::sqlite().await;
                    body(db.pool.clone()).await;
                });
            }

            #[test]
            fn postgres() {
                $crate::testing::runtime().block_on(async {
                    if let Some(db) = $crate::testing::TestDb::postgres().await {
                        body(db.pool.clone()).await;
                    }
                });
            }
        }
    };
}
