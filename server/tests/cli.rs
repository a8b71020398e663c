//! Tests of the real `preflight` binary: help, accounts and tokens from the shell,
//! migrations, and an online backup taken while another connection keeps writing.

use std::time::Duration;

use assert_cmd::Command;

fn preflight(data: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("preflight").unwrap();
    c.arg("--data-dir").arg(data).env_remove("PREFLIGHT_DATABASE_URL").env("PREFLIGHT_LOG", "warn");
    c
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn help_documents_every_subcommand_and_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out = preflight(dir.path()).arg("--help").output().unwrap();
    let text = stdout(&out);
    for sub in ["serve", "worker", "user", "token", "migrate", "backup", "restore", "migrate-data"] {
        assert!(text.contains(sub), "--help lacks {sub}:\n{text}");
    }
    let out = preflight(dir.path()).args(["serve", "--help"]).output().unwrap();
    let text = stdout(&out);
    for env in ["PREFLIGHT_LISTEN", "PREFLIGHT_DATA_DIR", "PREFLIGHT_DATABASE_URL", "PREFLIGHT_BASE_URL", "PREFLIGHT_SECURE_COOKIES", "PREFLIGHT_SITE_ROOT"] {
        assert!(text.contains(env), "serve --help lacks {env}:\n{text}");
    }
}

#[test]
fn user_add_creates_then_resets_and_token_create_prints_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let out = preflight(dir.path())
        .args(["user", "add", "ann@example.test", "--name", "Ann", "--role", "owner"])
        .write_stdin("first password 123\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Created owner account"), "{}", stderr(&out));
    assert!(dir.path().join("preflight.db").exists(), "the database is created in the data folder");

    let out = preflight(dir.path())
        .args(["user", "add", "ANN@example.test", "--name", "Ann B.", "--role", "member"])
        .write_stdin("second password 456\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stderr(&out).contains("Updated the account"), "{}", stderr(&out));

    let out = preflight(dir.path()).args(["token", "create", "ann@example.test", "--name", "CI"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).trim().to_string();
    assert!(token.starts_with("pft_") && token.len() > 40, "{token}");
    assert_eq!(stdout(&out).lines().count(), 1, "only the token goes to stdout");
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (vec!["user", "add", "not-an-email", "--name", "X"], "long enough password\n", "is not an e-mail address"),
        (vec!["user", "add", "x@example.test", "--name", "X"], "short\n", "at least 10 characters"),
        (vec!["user", "add", "x@example.test", "--name", "X"], "", "no password on standard input"),
        (vec!["token", "create", "nobody@example.test", "--name", "CI"], "", "there is no account for nobody@example.test"),
        (vec!["worker", "--no-browser"], "", "`preflight worker` shares the work of servers through a PostgreSQL database"),
        (vec!["migrate-data", "--from", "mysql://x/y", "--to", "sqlite://z"], "", "is not a sqlite:// or postgres:// URL"),
    ];
    for (args, input, expect) in cases {
        let out = preflight(dir.path()).args(&args).write_stdin(input).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(expect), "{args:?}: {}", stderr(&out));
    }
    let out = preflight(dir.path()).args(["user", "add", "x@example.test", "--name", "X", "--role", "admin"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("owner") && stderr(&out).contains("member"), "clap lists the roles");
}

#[test]
fn migrate_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = preflight(dir.path()).arg("migrate").output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("up to date"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_during_writes_is_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let out = preflight(dir.path()).arg("migrate").output().unwrap();
    assert!(out.status.success());
    let url = format!("sqlite://{}/preflight.db", dir.path().display());
    let pool = preflight_store::db::connect(&url).await.unwrap();
    sqlx::query("CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)").execute(&pool).await.unwrap();

    // A writer that keeps inserting while the backup runs.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (pool, stop) = (pool.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                sqlx::query("INSERT INTO write_probe (payload) VALUES ($1)").bind("x".repeat(200)).execute(&pool).await.unwrap();
                n += 1;
            }
            n
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let backup = dir.path().join("backups/copy.db");
    let data = dir.path().to_path_buf();
    let b2 = backup.clone();
    let out = tokio::task::spawn_blocking(move || preflight(&data).arg("backup").arg(&b2).output().unwrap()).await.unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("integrity check ok"));
    assert!(written > 10, "the writer kept writing ({written} rows)");

    let copy = preflight_store::db::connect(&format!("sqlite://{}", backup.display())).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&copy).await.unwrap();
    assert_eq!(check, "ok");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM write_probe").fetch_one(&copy).await.unwrap();
    assert!(rows > 0 && rows as u64 <= written, "a snapshot of the rows: {rows} of {written}");
    let templates: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM template_items").fetch_one(&copy).await.unwrap();
    assert!(templates > 0);

    // The database and its backup hold password hashes and sealed credentials: owner only.
    use std::os::unix::fs::PermissionsExt;
    for f in [dir.path().join("preflight.db"), backup.clone()] {
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600, "{}", f.display());
    }

    // An existing file is never overwritten.
    let out = preflight(dir.path()).arg("backup").arg(&backup).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already exists"));
}

#[test]
fn user_disable_ends_access_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = preflight(dir.path()).args(["user", "add", "ann@example.test", "--name", "Ann"]).write_stdin("long enough password\n").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = preflight(dir.path()).args(["token", "create", "ann@example.test", "--name", "CI"]).output().unwrap();
    assert!(out.status.success());
    let out = preflight(dir.path()).args(["user", "disable", "ann@example.test"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Deactivated Ann") && stderr(&out).contains("API tokens revoked"), "{}", stderr(&out));
    // Gone for every command: no new token, no second deactivation.
    let out = preflight(dir.path()).args(["token", "create", "ann@example.test", "--name", "CI"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = preflight(dir.path()).args(["user", "disable", "ann@example.test"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no account for ann@example.test"), "{}", stderr(&out));
}
