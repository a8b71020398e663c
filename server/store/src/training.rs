//! Training notes: Markdown pages the team writes for the client ("Not everyone groks
//! abstractions, explain how to do things"), each team-only or client-visible, rendered
//! through the sanitiser.

use crate::db::Pool;

use super::{activity, error::AppResult, markdown, now, AppError};
use preflight_model::{TrainingInput, TrainingNote};

/// The starter page every new project gets, from the talk's training advice.
pub const STARTER_TITLE: &str = "Running your new site";
pub const STARTER_BODY: &str = include_str!("../../../templates/training-starter.md");

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    project_id: i64,
    title: String,
    body: String,
    html: Option<String>,
    client_visible: i64,
    version: i64,
    updated_by: String,
    updated_at: i64,
}

/// What a note shows: its stored HTML; a note saved before HTML was stored is rendered now
/// (off the async workers) and kept — or, past the bounds, shown as plain text.
async fn shown(pool: &Pool, r: Row) -> AppResult<TrainingNote> {
    let html = match r.html.clone() {
        Some(h) => h,
        None => {
            let html = match markdown::render(r.body.clone()).await {
                Ok(h) => h,
                Err(why) => format!(
                    "<p><em>This note is not shown formatted ({}); edit it to fix that.</em></p><pre>{}</pre>",
                    ammonia::clean_text(&why),
                    ammonia::clean_text(&r.body)
                ),
            };
            sqlx::query("UPDATE training_notes SET html = $1 WHERE id = $2 AND version = $3").bind(&html).bind(r.id).bind(r.version).execute(pool).await?;
            html
        }
    };
    Ok(TrainingNote { html, ..r.into() })
}

impl From<Row> for TrainingNote {
    fn from(r: Row) -> Self {
        TrainingNote {
            html: r.html.unwrap_or_default(),
            id: r.id,
            project_id: r.project_id,
            title: r.title,
            body: r.body,
            client_visible: r.client_visible != 0,
            version: r.version,
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        }
    }
}

const COLUMNS: &str = "id, project_id, title, body, html, client_visible, version, updated_by, updated_at";

/// The title, the body and the body's sanitised HTML (rendered once, here).
async fn validate(input: &TrainingInput) -> AppResult<(String, String, String)> {
    let title = input.title.trim().to_string();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(AppError::bad("title: give the note a title of 1 to 200 characters."));
    }
    let html = markdown::render(input.body.clone()).await.map_err(|why| AppError::bad(format!("body: {why}.")))?;
    Ok((title, input.body.clone(), html))
}

/// A project's notes; `client_only` for what a client may see.
pub async fn list(pool: &Pool, project_id: i64, client_only: bool) -> AppResult<Vec<TrainingNote>> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM training_notes WHERE project_id = $1 AND ($2 = 0 OR client_visible = 1) ORDER BY position, id"))
            .bind(project_id)
            .bind(i64::from(client_only))
            .fetch_all(pool)
            .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(shown(pool, r).await?);
    }
    Ok(out)
}

pub async fn get(pool: &Pool, id: i64) -> AppResult<TrainingNote> {
    let row: Row = sqlx::query_as(&format!("SELECT {COLUMNS} FROM training_notes WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound("training note"))?;
    shown(pool, row).await
}

/// Inserts a note (also used to seed the starter page inside project creation).
/// (`html` is the body's sanitised HTML; `None` renders it on first read.)
#[allow(clippy::too_many_arguments)]
pub async fn insert_in(
    conn: &mut crate::db::Conn,
    project_id: i64,
    actor: &str,
    title: &str,
    body: &str,
    html: Option<&str>,
    client_visible: bool,
) -> AppResult<i64> {
    let t = now();
    let pos: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM training_notes WHERE project_id = $1").bind(project_id).fetch_one(&mut *conn).await?;
    Ok(sqlx::query_scalar::<_, i64>(
        "INSERT INTO training_notes (project_id, title, body, html, client_visible, position, updated_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(project_id)
    .bind(title)
    .bind(body)
    .bind(html)
    .bind(i64::from(client_visible))
    .bind(pos)
    .bind(actor)
    .bind(t)
    .bind(t)
    .fetch_one(&mut *conn)
    .await?)
}

pub async fn create(pool: &Pool, project_id: i64, actor: &str, input: &TrainingInput) -> AppResult<TrainingNote> {
    let (title, body, html) = validate(input).await?;
    super::projects::get(pool, project_id).await?;
    let mut tx = super::db::begin_write(pool).await?;
    let id = insert_in(&mut tx, project_id, actor, &title, &body, Some(&html), input.client_visible).await?;
    let vis = if input.client_visible { "client-visible" } else { "team-only" };
    activity::log_in(&mut tx, project_id, actor, "training", &format!("wrote the {vis} training note \"{title}\""), now()).await?;
    tx.commit().await?;
    get(pool, id).await
}

/// Saves a note if it is still at `input.version`.
pub async fn update(pool: &Pool, id: i64, actor: &str, input: &TrainingInput) -> AppResult<TrainingNote> {
    let (title, body, html) = validate(input).await?;
    let Some(version) = input.version else {
        return Err(AppError::bad("version: send the version you edited, so concurrent edits are not lost."));
    };
    let before = get(pool, id).await?;
    let mut tx = super::db::begin_write(pool).await?;
    let r = sqlx::query(
        "UPDATE training_notes SET title = $1, body = $2, html = $3, client_visible = $4, version = version + 1, updated_by = $5, updated_at = $6 WHERE id = $7 AND version = $8",
    )
    .bind(&title)
    .bind(&body)
    .bind(&html)
    .bind(i64::from(input.client_visible))
    .bind(actor)
    .bind(now())
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() == 0 {
        let current = get(pool, id).await?;
        return Err(AppError::Conflict(format!("{} saved this note while you were editing it; copy your text, reload and merge.", current.updated_by)));
    }
    activity::log_in(&mut tx, before.project_id, actor, "training", &format!("edited the training note \"{title}\""), now()).await?;
    tx.commit().await?;
    get(pool, id).await
}

pub async fn delete(pool: &Pool, id: i64, actor: &str) -> AppResult<()> {
    let note = get(pool, id).await?;
    let mut tx = super::db::begin_write(pool).await?;
    sqlx::query("DELETE FROM training_notes WHERE id = $1").bind(id).execute(&mut *tx).await?;
    activity::log_in(&mut tx, note.project_id, actor, "training", &format!("deleted the training note \"{}\"", note.title), now()).await?;
    tx.commit().await?;
    Ok(())
}
