//! The two databases' migrations are kept in step: after migrating, SQLite and PostgreSQL have
//! the same tables, columns (with the same NOT NULL), indexes, triggers, and the same latest
//! version.

use std::collections::BTreeSet;

use preflight_store::db::{self, Pool};
use preflight_store::testing::TestDb;

type Columns = BTreeSet<(String, String, bool)>;

async fn sqlite_schema(pool: &Pool) -> (Columns, BTreeSet<String>) {
    let cols: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT m.name, p.name, p.\"notnull\", p.pk FROM sqlite_master m JOIN pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let indexes: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetch_all(pool).await.unwrap();
    // An INTEGER PRIMARY KEY is the rowid: never NULL, whatever the pragma says.
    (cols.into_iter().map(|(t, c, nn, pk)| (t, c, nn != 0 || pk != 0)).collect(), indexes.into_iter().collect())
}

async fn postgres_schema(pool: &Pool) -> (Columns, BTreeSet<String>) {
    let cols: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), CAST(is_nullable AS TEXT) FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    // Indexes made by hand (constraints' own indexes aside); users_email stands for SQLite's
    // COLLATE NOCASE on the column.
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(i.indexname AS TEXT) FROM pg_indexes i WHERE i.schemaname = 'public' AND i.indexname != 'users_email'
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    (cols.into_iter().map(|(t, c, nullable)| (t, c, nullable == "NO")).collect(), indexes.into_iter().collect())
}

#[tokio::test]
async fn migrations_in_step() {
    let lite = TestDb::sqlite().await;
    db::migrate(&lite.pool).await.unwrap();
    let Some(pg) = TestDb::postgres().await else { return };
    let (lite_cols, lite_idx) = sqlite_schema(&lite.pool).await;
    let (pg_cols, pg_idx) = postgres_schema(&pg.pool).await;
    assert!(lite_cols.len() > 150, "{} columns read from SQLite", lite_cols.len());
    let only_lite: Vec<_> = lite_cols.difference(&pg_cols).collect();
    let only_pg: Vec<_> = pg_cols.difference(&lite_cols).collect();
    assert!(only_lite.is_empty() && only_pg.is_empty(), "columns differ — only in SQLite: {only_lite:?}; only in PostgreSQL: {only_pg:?}");
    assert_eq!(lite_idx, pg_idx, "the indexes differ");
    let lite_triggers: BTreeSet<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetch_all(&lite.pool).await.unwrap().into_iter().collect();
    let pg_triggers: BTreeSet<String> =
        sqlx::query_scalar("SELECT CAST(tgname AS TEXT) FROM pg_trigger WHERE NOT tgisinternal").fetch_all(&pg.pool).await.unwrap().into_iter().collect();
    assert!(lite_triggers.contains("checklist_item_changed"), "{lite_triggers:?}");
    assert_eq!(lite_triggers, pg_triggers, "the triggers differ");
    let latest = |m: &sqlx::migrate::Migrator| m.iter().map(|m| m.version).max().unwrap();
    assert_eq!(
        latest(&db::SQLITE_MIGRATOR),
        latest(&db::POSTGRES_MIGRATOR),
        "each schema change needs a migration in migrations/sqlite and in migrations/postgres, with the same version"
    );
    let lite_versions: BTreeSet<i64> = db::SQLITE_MIGRATOR.iter().map(|m| m.version).collect();
    for m in db::POSTGRES_MIGRATOR.iter() {
        assert!(lite_versions.contains(&m.version), "PostgreSQL migration {} has no SQLite twin", m.version);
    }
}
