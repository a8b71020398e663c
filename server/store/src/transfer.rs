//! Moving a whole installation's data: backups, restores, and the one-way copy from one
//! database to another (`preflight migrate-data`), verified by row counts and checksums.
//!
//! Backups: SQLite writes a consistent copy with `VACUUM INTO` (safe while the server writes)
//! and checks it with `PRAGMA integrity_check`; PostgreSQL's is `pg_dump --format=custom`
//! (the `pg_dump` of Debian's `postgresql-client`, or of the server's own installation),
//! checked by `pg_restore --list`. A restore writes into a database that holds no data yet, or,
//! asked to replace one, keeps the SQLite file it replaces beside it.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sqlx::{Executor, Row};

use crate::db::{self, Backend, Pool};

/// Every table of the schema in an order where each table comes after the tables it refers
/// to, with the columns its rows are ordered by. `every_table_is_copied` checks it against the
/// schema, so a new table cannot be forgotten.
pub const TABLES: &[(&str, &str)] = &[
    ("users", "id"),
    ("sessions", "id"),
    ("api_tokens", "id"),
    ("template_versions", "id"),
    ("template_items", "id"),
    ("projects", "id"),
    ("environments", "id"),
    ("project_members", "project_id, user_id"),
    ("schedules", "environment_id"),
    ("checklist_items", "id"),
    ("checklist_events", "id"),
    ("deploys", "id"),
    ("runs", "id"),
    ("findings", "id"),
    ("screenshots", "id"),
    ("screenshot_diffs", "before_id, after_id"),
    ("page_quality", "id"),
    ("baselines", "environment_id"),
    ("scope_items", "id"),
    ("scope_history", "id"),
    ("change_requests", "id"),
    ("training_notes", "id"),
    ("activity", "id"),
    ("share_links", "id"),
    ("reviews", "id"),
    ("signoffs", "id"),
    ("retrospectives", "project_id"),
    ("retro_actions", "id"),
    ("training_acks", "id"),
    ("notify_events", "key"),
    ("notifications", "id"),
    ("notification_rules", "project_id, rule"),
    ("webhooks", "id"),
    ("outbox", "id"),
    ("email_prefs", "user_id, rule"),
    ("unsubscribe_tokens", "token_hash"),
    ("account_tokens", "token_hash"),
    ("env_health", "environment_id"),
    ("domain_checks", "domain"),
];

/// Tables whose rows expire within minutes (rate-limit counters): not copied, left empty.
pub const TRANSIENT_TABLES: &[&str] = &["login_attempts", "request_windows"];

/// What a column holds, as the store reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Bytes,
}

/// The tables the schema of `pool` has (migration bookkeeping aside).
pub async fn schema_tables(pool: &Pool) -> Result<Vec<String>, sqlx::Error> {
    let sql = match Backend::of(pool) {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%' ORDER BY 1"
        }
    };
    sqlx::query_scalar(sql).fetch_all(pool).await
}

async fn columns(pool: &Pool, table: &str) -> Result<Vec<(String, Kind)>, sqlx::Error> {
    let rows: Vec<(String, String)> = match Backend::of(pool) {
        Backend::Sqlite => sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY cid").bind(table).fetch_all(pool).await?,
        Backend::Postgres => {
            sqlx::query_as(
                "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|(name, ty)| {
            let ty = ty.to_ascii_lowercase();
            let kind = if ty.contains("int") {
                Kind::Int
            } else if ty.contains("blob") || ty.contains("bytea") {
                Kind::Bytes
            } else {
                Kind::Text
            };
            (name, kind)
        })
        .collect())
}

/// One value of a row, typed by its column.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

fn read(row: &sqlx::any::AnyRow, i: usize, kind: Kind) -> Result<Value, sqlx::Error> {
    Ok(match kind {
        Kind::Int => Value::Int(row.try_get(i)?),
        Kind::Text => Value::Text(row.try_get(i)?),
        Kind::Bytes => Value::Bytes(row.try_get(i)?),
    })
}

/// Reads a table's rows in a stable order.
async fn rows(pool: &Pool, table: &str, order: &str, cols: &[(String, Kind)]) -> Result<Vec<Vec<Value>>, sqlx::Error> {
    let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
    let sql = format!("SELECT {} FROM {table} ORDER BY {order}", names.join(", "));
    let raw = sqlx::query(&sql).fetch_all(pool).await?;
    raw.iter().map(|r| cols.iter().enumerate().map(|(i, (_, k))| read(r, i, *k)).collect()).collect()
}

/// A table's row count and a SHA-256 over its rows in order (each value tagged with its kind
/// and length, so no two different tables of values hash alike).
fn digest(rows: &[Vec<Value>]) -> String {
    let mut h = Sha256::new();
    for row in rows {
        for v in row {
            match v {
                Value::Int(None) | Value::Text(None) | Value::Bytes(None) => h.update([0u8]),
                Value::Int(Some(i)) => {
                    h.update([1u8]);
                    h.update(i.to_le_bytes());
                }
                Value::Text(Some(s)) => {
                    h.update([2u8]);
                    h.update((s.len() as u64).to_le_bytes());
                    h.update(s.as_bytes());
                }
                Value::Bytes(Some(b)) => {
                    h.update([3u8]);
                    h.update((b.len() as u64).to_le_bytes());
                    h.update(b);
                }
            }
        }
        h.update([0xffu8]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One table as copied: rows and checksum on both sides.
#[derive(Debug, Clone)]
pub struct TableCopy {
    pub table: String,
    pub rows: usize,
    pub checksum: String,
}

/// Copies every row of the installation at `from` into the database at `to`, which is
/// migrated first and must hold no accounts and no projects (its seeded checklist template
/// is replaced by the source's). One transaction on the target: a failure leaves it as it
/// was. Afterwards every table is read back from both sides and compared by row count and
/// checksum; any difference is an error.
pub async fn migrate_data(from: &Pool, to: &Pool) -> Result<Vec<TableCopy>, String> {
    let e = |what: &str| {
        let what = what.to_string();
        move |err: sqlx::Error| format!("{what}: {err}")
    };
    let source_tables = schema_tables(from).await.map_err(e("reading the source's tables"))?;
    if !source_tables.iter().any(|t| t == "users") {
        return Err("the source holds no Preflight database (no users table)".into());
    }
    // The source must be at the schema this build knows, or its columns would not match.
    db::migrate(from).await.map_err(|err| format!("bringing the source up to date: {err}"))?;
    Backend::of(to).migrator().run(to).await.map_err(|err| format!("migrating the target: {err}"))?;
    if holds_data(to).await {
        return Err("the target already holds data (accounts or projects); migrate into a new, empty database".into());
    }
    let mut tx = to.begin().await.map_err(e("starting the copy"))?;
    // Whatever the target holds (a seeded template, tables emptied by hand) goes first,
    // dependents before what they refer to.
    for (table, _) in TABLES.iter().rev() {
        tx.execute(format!("DELETE FROM {table}").as_str()).await.map_err(e(&format!("emptying {table} in the target")))?;
    }
    let mut copied = Vec::new();
    for (table, order) in TABLES {
        let cols = columns(from, table).await.map_err(e(&format!("reading the columns of {table}")))?;
        let data = rows(from, table, order, &cols).await.map_err(e(&format!("reading {table}")))?;
        let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
        let params: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        let sql = format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), params.join(", "));
        for row in &data {
            let mut q = sqlx::query(&sql);
            for v in row {
                q = match v {
                    Value::Int(i) => q.bind(*i),
                    Value::Text(s) => q.bind(s.clone()),
                    Value::Bytes(b) => q.bind(b.clone()),
                };
            }
            q.execute(&mut *tx).await.map_err(e(&format!("writing {table}")))?;
        }
        copied.push(TableCopy { table: table.to_string(), rows: data.len(), checksum: digest(&data) });
    }
    if Backend::of(to) == Backend::Postgres {
        // Identity columns continue after the copied ids.
        for (table, order) in TABLES {
            if *order == "id" {
                tx.execute(format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}").as_str())
                    .await
                    .map_err(e(&format!("continuing the ids of {table}")))?;
            }
        }
    }
    tx.commit().await.map_err(e("committing the copy"))?;
    let back = table_digests(to).await.map_err(e("reading the target back"))?;
    for (c, b) in copied.iter().zip(&back) {
        if b.rows != c.rows || b.checksum != c.checksum {
            return Err(format!(
                "{} differs after the copy: {} row(s) and checksum {} in the source, {} and {} in the target",
                c.table, c.rows, c.checksum, b.rows, b.checksum
            ));
        }
    }
    Ok(copied)
}

/// Every table's row count and checksum, in [`TABLES`] order: equal on two databases when
/// they hold the same data, whichever kinds they are.
pub async fn table_digests(pool: &Pool) -> Result<Vec<TableCopy>, sqlx::Error> {
    let mut out = Vec::with_capacity(TABLES.len());
    for (table, order) in TABLES {
        let cols = columns(pool, table).await?;
        let data = rows(pool, table, order, &cols).await?;
        out.push(TableCopy { table: table.to_string(), rows: data.len(), checksum: digest(&data) });
    }
    Ok(out)
}

/// Finds a PostgreSQL client tool: on the PATH, else the newest of Debian's installations.
pub fn pg_tool(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|f| f.is_file()));
    on_path.or_else(|| {
        let mut found: Vec<PathBuf> =
            std::fs::read_dir("/usr/lib/postgresql").ok()?.filter_map(|d| Some(d.ok()?.path().join("bin").join(name))).filter(|p| p.is_file()).collect();
        found.sort_by_key(|p| p.components().rev().nth(2).and_then(|c| c.as_os_str().to_str()?.parse::<u32>().ok()).unwrap_or(0));
        found.pop()
    })
}

fn run_tool(name: &str, args: &[&std::ffi::OsStr]) -> Result<String, String> {
    let tool = pg_tool(name).ok_or_else(|| format!("{name} was not found: install PostgreSQL's client tools (sudo apt-get install postgresql-client-15)"))?;
    let out = std::process::Command::new(&tool).args(args).output().map_err(|e| format!("running {}: {e}", tool.display()))?;
    if !out.status.success() {
        return Err(format!("{name} failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Writes a consistent copy of the database to `path` (which must not exist) and checks it.
/// SQLite: `VACUUM INTO` and `PRAGMA integrity_check`; PostgreSQL: `pg_dump --format=custom`
/// and `pg_restore --list`. Returns how it was checked, for people.
pub async fn backup(pool: &Pool, path: &Path) -> Result<&'static str, String> {
    if path.exists() {
        return Err(format!("{} already exists; choose a new file name", path.display()));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    let target = path.to_str().ok_or("the backup path must be valid UTF-8")?;
    match Backend::of(pool) {
        Backend::Sqlite => {
            sqlx::query("VACUUM INTO $1").bind(target).execute(pool).await.map_err(|e| format!("writing the backup: {e}"))?;
            let copy = db::connect(&format!("sqlite://{target}?mode=ro")).await.map_err(|e| format!("opening the backup: {e}"))?;
            let check: Result<String, _> = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&copy).await;
            copy.close().await;
            match check {
                Ok(c) if c == "ok" => Ok("integrity check ok"),
                Ok(c) => Err(format!("the backup failed its integrity check: {c}")),
                Err(e) => Err(format!("checking the backup: {e}")),
            }
        }
        Backend::Postgres => {
            let url = pool.connect_options().database_url.to_string();
            let file = format!("--file={target}");
            run_tool("pg_dump", &["--format=custom".as_ref(), "--no-owner".as_ref(), file.as_ref(), "--dbname".as_ref(), url.as_ref()])?;
            run_tool("pg_restore", &["--list".as_ref(), target.as_ref()]).map_err(|e| format!("the backup cannot be read back: {e}"))?;
            Ok("pg_restore reads it back")
        }
    }
}

/// Whether the database at `pool` holds any account or project.
async fn holds_data(pool: &Pool) -> bool {
    let mut any = false;
    for t in ["users", "projects"] {
        any |= sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {t}")).fetch_one(pool).await.is_ok_and(|n| n > 0);
    }
    any
}

/// What [`restore`] did.
#[derive(Debug)]
pub struct Restored {
    /// The SQLite file that was there before, kept under this name.
    pub kept: Option<PathBuf>,
}

/// Restores the backup at `path` (made by [`backup`] from the same kind of database) into the
/// database at `url`. The server must not be running. A database that holds accounts or
/// projects is replaced only when `replace` is set; a SQLite file that was there is always kept
/// beside the new one (`<file>.replaced-<unix time>`). Migrations run afterwards, so an older backup
/// comes up to this build's schema.
pub async fn restore(url: &str, path: &Path, replace: bool) -> Result<Restored, String> {
    let backend = Backend::of_url(url).ok_or_else(|| format!("{url:?} is not a sqlite:// or postgres:// URL"))?;
    if !path.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    let source = path.to_str().ok_or("the backup path must be valid UTF-8")?;
    let mut kept = None;
    match backend {
        Backend::Sqlite => {
            let check = {
                let copy = db::connect(&format!("sqlite://{source}?mode=ro")).await.map_err(|e| format!("{} is not a SQLite backup: {e}", path.display()))?;
                let c: Result<String, _> = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&copy).await;
                let tables = schema_tables(&copy).await.unwrap_or_default();
                copy.close().await;
                c.map_err(|e| format!("{} is not a SQLite backup: {e}", path.display()))?;
                tables
            };
            if !check.iter().any(|t| t == "users") {
                return Err(format!("{} is not a Preflight backup (no users table)", path.display()));
            }
            let file = PathBuf::from(url.trim_start_matches("sqlite://").split('?').next().unwrap_or_default());
            if file.exists() {
                let pool = db::connect(url).await.map_err(|e| format!("opening {}: {e}", file.display()))?;
                let busy = holds_data(&pool).await;
                pool.close().await;
                if busy && !replace {
                    return Err(format!(
                        "{} holds accounts or projects; to replace it, stop the server and pass --replace (the current file is kept beside it)",
                        file.display()
                    ));
                }
                let aside = PathBuf::from(format!("{}.replaced-{}", file.display(), crate::now()));
                std::fs::rename(&file, &aside).map_err(|e| format!("moving {} aside: {e}", file.display()))?;
                for ext in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", file.display()));
                }
                kept = Some(aside);
            } else if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
            }
            std::fs::copy(path, &file).map_err(|e| format!("copying the backup to {}: {e}", file.display()))?;
        }
        Backend::Postgres => {
            let pool = db::connect(url).await.map_err(|e| format!("opening {url}: {e}"))?;
            let has_tables = schema_tables(&pool).await.map(|t| t.iter().any(|t| t == "users")).unwrap_or(false);
            let busy = has_tables && holds_data(&pool).await;
            pool.close().await;
            if busy && !replace {
                return Err("the database holds accounts or projects; to replace it, stop the servers and pass --replace".into());
            }
            let dbname = format!("--dbname={url}");
            run_tool(
                "pg_restore",
                &["--clean".as_ref(), "--if-exists".as_ref(), "--no-owner".as_ref(), "--single-transaction".as_ref(), dbname.as_ref(), source.as_ref()],
            )?;
        }
    }
    let pool = db::connect(url).await.map_err(|e| format!("opening the restored database: {e}"))?;
    db::migrate(&pool).await.map_err(|e| format!("bringing the restored database up to date: {e}"))?;
    pool.close().await;
    Ok(Restored { kept })
}
