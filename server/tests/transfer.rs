//! Moving an installation with the real binary: `preflight backup` and `preflight restore` on
//! SQLite and on PostgreSQL, and `preflight migrate-data` from SQLite to PostgreSQL, each
//! verified table by table (row counts and checksums of every row).

mod common;

use std::path::Path;

use assert_cmd::Command;
use preflight_model::{ItemChange, ItemState, Role, ScopeInput};
use preflight_store::{db, testing::TestDb, transfer, Store};

fn preflight(data: &Path, url: &str) -> Command {
    let mut c = Command::cargo_bin("preflight").unwrap();
    c.arg("--data-dir").arg(data).env("PREFLIGHT_DATABASE_URL", url).env("PREFLIGHT_LOG", "warn");
    c
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An installation with a bit of everything: accounts, a session and a token (hashes as
/// bytes), projects with environments and a restricted member on them, a ticked item, scope,
/// and sealed credentials.
async fn populate(pool: &db::Pool) {
    db::migrate(pool).await.unwrap();
    let store = Store::new(pool.clone(), None, None);
    let owner = preflight_store::auth::create_user(pool, "Olivia@Example.test", "Olivia Owner", Role::Owner, common::PASSWORD).await.unwrap();
    let mia = preflight_store::auth::create_user(pool, "mia@example.test", "Mia Member", Role::Member, common::PASSWORD).await.unwrap();
    preflight_store::access::set_restricted(pool, &owner, mia.id, true).await.unwrap();
    preflight_store::auth::create_session(pool, owner.id).await.unwrap();
    preflight_store::auth::create_api_token(pool, owner.id, "ci").await.unwrap();
    for name in ["Alpha", "Beta ünïcode"] {
        let pid = preflight_store::projects::create(pool, &owner, &serde_json::from_value(common::project_body(name)).unwrap()).await.unwrap();
        let item = preflight_store::checklist::items(pool, pid).await.unwrap().remove(0);
        let change = ItemChange::SetState { state: ItemState::NotApplicable, reason: "no forms on this site".into() };
        preflight_store::checklist::update(&store, &owner, item.id, item.version, &change).await.unwrap();
        preflight_store::access::add(pool, &owner, pid, mia.id).await.unwrap();
        let scope = ScopeInput { title: "Blog".into(), description: "Posts and categories".into(), ..Default::default() };
        preflight_store::scope::create(pool, pid, &owner.name, &scope).await.unwrap();
        let env = preflight_store::projects::get(pool, pid).await.unwrap().environments[0].id.unwrap();
        let creds = preflight_model::Credentials::Basic { username: "client".into(), password: "s3cret".into() };
        preflight_store::environments::set_credentials(pool, &store.sealer, &owner, env, Some(&creds)).await.unwrap();
    }
}

fn same(a: &[transfer::TableCopy], b: &[transfer::TableCopy]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!((&x.table, x.rows, &x.checksum), (&y.table, y.rows, &y.checksum), "table {} differs", x.table);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_is_copied() {
    let lite = TestDb::sqlite().await;
    db::migrate(&lite.pool).await.unwrap();
    let mut schema = transfer::schema_tables(&lite.pool).await.unwrap();
    let mut listed: Vec<String> = transfer::TABLES.iter().map(|(t, _)| t.to_string()).chain(transfer::TRANSIENT_TABLES.iter().map(|t| t.to_string())).collect();
    schema.sort();
    listed.sort();
    assert_eq!(schema, listed, "transfer::TABLES or TRANSIENT_TABLES must name every table of the schema");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_and_restore_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/preflight.db", dir.path().display());
    let pool = db::connect(&url).await.unwrap();
    populate(&pool).await;
    let before = transfer::table_digests(&pool).await.unwrap();
    assert!(before.iter().filter(|t| t.rows > 0).count() >= 10, "{before:?}");
    pool.close().await;

    let backup = dir.path().join("backup.db");
    let out = preflight(dir.path(), &url).arg("backup").arg(&backup).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("integrity check ok"), "{}", stderr(&out));

    // Into a new installation.
    let other = tempfile::tempdir().unwrap();
    let other_url = format!("sqlite://{}/preflight.db", other.path().display());
    let out = preflight(other.path(), &other_url).arg("restore").arg(&backup).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let restored = db::connect(&other_url).await.unwrap();
    same(&before, &transfer::table_digests(&restored).await.unwrap());
    // Sign-in works against the restored copy (hashes and case-insensitive e-mail intact).
    assert!(preflight_store::auth::authenticate(&restored, "olivia@example.TEST", common::PASSWORD).await.unwrap().is_some());
    restored.close().await;

    // Over a database with data: refused without --replace, nothing touched.
    let out = preflight(other.path(), &other_url).arg("restore").arg(&backup).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--replace"), "{}", stderr(&out));
    let out = preflight(other.path(), &other_url).args(["restore", "--replace"]).arg(&backup).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("kept as"), "{}", stderr(&out));
    let kept: Vec<_> =
        std::fs::read_dir(other.path()).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().contains(".replaced-")).collect();
    assert_eq!(kept.len(), 1, "the replaced database is kept beside the new one");

    // Not a backup at all.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database").unwrap();
    let out = preflight(other.path(), &other_url).args(["restore", "--replace"]).arg(&junk).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a SQLite backup"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_moves_to_postgres_and_postgres_backs_up_and_restores() {
    let dir = tempfile::tempdir().unwrap();
    let lite_url = format!("sqlite://{}/preflight.db", dir.path().display());
    let lite = db::connect(&lite_url).await.unwrap();
    populate(&lite).await;
    let before = transfer::table_digests(&lite).await.unwrap();
    lite.close().await;
    let Some(pg) = TestDb::postgres().await else { return };

    let out = preflight(dir.path(), &lite_url).args(["migrate-data", "--from", &lite_url, "--to", &pg.url()]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("counts and checksums match"), "{}", stderr(&out));
    let moved = transfer::table_digests(&pg.pool).await.unwrap();
    same(&before, &moved);
    // The moved installation keeps working: sign-in, and new rows continue after the copied ids.
    assert!(preflight_store::auth::authenticate(&pg.pool, "olivia@example.test", common::PASSWORD).await.unwrap().is_some());
    let owner = preflight_store::auth::find_user_by_email(&pg.pool, "olivia@example.test").await.unwrap().unwrap();
    let pid = preflight_store::projects::create(&pg.pool, &owner, &serde_json::from_value(common::project_body("Gamma")).unwrap()).await.unwrap();
    assert_eq!(pid, 3);

    // A second copy into the same target is refused: it holds data now.
    let out = preflight(dir.path(), &lite_url).args(["migrate-data", "--from", &lite_url, "--to", &pg.url()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already holds data"), "{}", stderr(&out));

    // pg_dump / pg_restore through `preflight backup` and `preflight restore`.
    let after = transfer::table_digests(&pg.pool).await.unwrap();
    let dump = dir.path().join("preflight.dump");
    let out = preflight(dir.path(), &pg.url()).arg("backup").arg(&dump).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("pg_restore reads it back"), "{}", stderr(&out));
    let Some(fresh) = TestDb::postgres().await else { return };
    let out = preflight(dir.path(), &fresh.url()).arg("restore").arg(&dump).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    same(&after, &transfer::table_digests(&fresh.pool).await.unwrap());
    let out = preflight(dir.path(), &fresh.url()).arg("restore").arg(&dump).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a database with data is not replaced without --replace");
}
