//! Screenshots of check runs (files in the data folder, rows in the database) and visual
//! diffs between two runs of the same page and viewport.

use std::path::{Path, PathBuf};

use crate::db::Pool;
use image::{ImageFormat, Rgba, RgbaImage};

use super::{error::AppResult, now, AppError};
use preflight_model::{DiffView, Gallery, ScreenshotView, ViewportInfo};

/// What the runner records for each screenshot.
#[derive(Debug, Clone, Default)]
pub struct NewShot {
    pub url: String,
    pub final_url: String,
    pub viewport: String,
    /// Relative to the screenshots folder.
    pub file: String,
    pub thumb: String,
    pub width: i64,
    pub height: i64,
    pub page_height: i64,
    pub load_ms: i64,
    pub overflow_px: i64,
    pub console: Vec<String>,
    pub problems: Vec<String>,
    /// The page's title.
    pub title: String,
}

pub async fn insert(pool: &Pool, run_id: i64, s: &NewShot) -> AppResult<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO screenshots (run_id, url, final_url, viewport, file, thumb, width, height, page_height, load_ms, overflow_px, console, problems, created_at, title)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(run_id)
    .bind(&s.url)
    .bind(&s.final_url)
    .bind(&s.viewport)
    .bind(&s.file)
    .bind(&s.thumb)
    .bind(s.width)
    .bind(s.height)
    .bind(s.page_height)
    .bind(s.load_ms)
    .bind(s.overflow_px)
    .bind(serde_json::to_string(&s.console).unwrap_or_else(|_| "[]".into()))
    .bind(serde_json::to_string(&s.problems).unwrap_or_else(|_| "[]".into()))
    .bind(now())
    .bind(&s.title)
    .fetch_one(pool)
    .await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    run_id: i64,
    url: String,
    final_url: String,
    viewport: String,
    file: String,
    thumb: String,
    width: i64,
    height: i64,
    page_height: i64,
    load_ms: i64,
    overflow_px: i64,
    console: String,
    problems: String,
    compared_with: Option<i64>,
    change_ppm: Option<i64>,
    title: String,
}

impl Row {
    fn view(&self, previous: Option<i64>) -> ScreenshotView {
        let scored = self.compared_with.is_some() && self.compared_with == previous;
        ScreenshotView {
            id: self.id,
            run_id: self.run_id,
            url: self.url.clone(),
            final_url: self.final_url.clone(),
            viewport: self.viewport.clone(),
            width: self.width,
            height: self.height,
            page_height: self.page_height,
            load_ms: self.load_ms,
            overflow_px: self.overflow_px,
            console: serde_json::from_str(&self.console).unwrap_or_default(),
            problems: serde_json::from_str(&self.problems).unwrap_or_default(),
            has_thumbnail: !self.thumb.is_empty(),
            previous,
            review: None,
            change_ppm: if scored { self.change_ppm } else { None },
            team_review: None,
            title: self.title.clone(),
        }
    }
}

const SELECT: &str = "SELECT id, run_id, url, final_url, viewport, file, thumb, width, height, page_height, load_ms, overflow_px, console, problems,
    compared_with, change_ppm, title FROM screenshots";

/// The finished run of the same project and environment before `run_id`.
async fn previous_run(pool: &Pool, run_id: i64) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT p.id FROM runs r JOIN runs p ON p.project_id = r.project_id AND p.environment_name = r.environment_name
         WHERE r.id = $1 AND p.id < r.id AND p.status IN ('passed', 'failed')
           AND EXISTS (SELECT 1 FROM screenshots s WHERE s.run_id = p.id)
         ORDER BY p.id DESC LIMIT 1",
    )
    .bind(run_id)
    .fetch_optional(pool)
    .await?)
}

/// The run an environment's baseline names for `run_id`, if the team accepted one before it.
async fn baseline_for(pool: &Pool, run_id: i64) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT b.run_id FROM runs r JOIN baselines b ON b.environment_id = r.environment_id
         WHERE r.id = $1 AND b.run_id < r.id AND EXISTS (SELECT 1 FROM screenshots s WHERE s.run_id = b.run_id)",
    )
    .bind(run_id)
    .fetch_optional(pool)
    .await?)
}

/// The run `run_id`'s screenshots are compared with: its environment's baseline, or else the
/// previous finished run with screenshots.
pub async fn reference_run(pool: &Pool, run_id: i64) -> AppResult<Option<i64>> {
    match baseline_for(pool, run_id).await? {
        Some(b) => Ok(Some(b)),
        None => previous_run(pool, run_id).await,
    }
}

/// Scores a newly recorded screenshot against the same page and viewport of its reference
/// run and stores the result. `None`: nothing to compare with (a new page or a first run),
/// or the files could not be read (logged; the shot then reads "not compared").
pub async fn score(pool: &Pool, dir: &Path, shot_id: i64) -> AppResult<Option<i64>> {
    let after = row(pool, shot_id).await?;
    let Some(reference) = reference_run(pool, after.run_id).await? else { return Ok(None) };
    let before: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE run_id = $1 AND url = $2 AND viewport = $3 ORDER BY id LIMIT 1"))
        .bind(reference)
        .bind(&after.url)
        .bind(&after.viewport)
        .fetch_optional(pool)
        .await?;
    let Some(before) = before else { return Ok(None) };
    let files = (safe_join(dir, &before.file)?, safe_join(dir, &after.file)?);
    let ppm = tokio::task::spawn_blocking(move || -> Result<i64, String> {
        let a = std::fs::read(&files.0).map_err(|e| format!("reading {}: {e}", files.0.display()))?;
        let b = std::fs::read(&files.1).map_err(|e| format!("reading {}: {e}", files.1.display()))?;
        compare(&a, &b, false).map(|(_, ppm)| ppm)
    })
    .await
    .map_err(|e| internal(e.to_string()))?;
    let ppm = match ppm {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!(shot = shot_id, "the screenshot could not be compared: {e}");
            None
        }
    };
    sqlx::query("UPDATE screenshots SET compared_with = $1, change_ppm = $2 WHERE id = $3").bind(before.id).bind(ppm).bind(shot_id).execute(pool).await?;
    Ok(ppm)
}

/// A run's screenshots, by page (in the order they were crawled) and viewport, each with its
/// change against the reference run, the client's and the team's latest review; and, once the
/// run has finished, the pages and viewports the reference run had that this one lacks.
pub async fn gallery(pool: &Pool, run_id: i64) -> AppResult<Gallery> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE run_id = $1 ORDER BY id")).bind(run_id).fetch_all(pool).await?;
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM runs WHERE id = $1").bind(run_id).fetch_optional(pool).await?;
    let Some(status) = status else { return Err(AppError::NotFound("run")) };
    let running = matches!(status.as_str(), "queued" | "running");
    // Shots scored when they were recorded name the run they were compared with; older ones
    // are matched with the reference run by page and viewport.
    let scored_against: Option<i64> = match rows.iter().find_map(|r| r.compared_with) {
        Some(c) => sqlx::query_scalar("SELECT run_id FROM screenshots WHERE id = $1").bind(c).fetch_optional(pool).await?,
        None => None,
    };
    let previous_run_id = match scored_against {
        Some(r) => Some(r),
        None => reference_run(pool, run_id).await?,
    };
    let baseline_run_id: Option<i64> =
        sqlx::query_scalar("SELECT b.run_id FROM runs r JOIN baselines b ON b.environment_id = r.environment_id WHERE r.id = $1")
            .bind(run_id)
            .fetch_optional(pool)
            .await?;
    let mut before: Vec<Row> = Vec::new();
    if let Some(p) = previous_run_id {
        before = sqlx::query_as(&format!("{SELECT} WHERE run_id = $1 ORDER BY id")).bind(p).fetch_all(pool).await?;
    }
    let defaults = preflight_browser::viewport::defaults();
    let mut names: Vec<String> = Vec::new();
    for r in &rows {
        if !names.contains(&r.viewport) {
            names.push(r.viewport.clone());
        }
    }
    names.sort_by_key(|n| defaults.iter().position(|d| &d.name == n).unwrap_or(usize::MAX));
    let viewports = names
        .into_iter()
        .map(|name| match defaults.iter().find(|d| d.name == name) {
            Some(d) => ViewportInfo { name, label: d.label.clone(), note: d.emulation_note.clone() },
            None => ViewportInfo { label: name.clone(), name, note: None },
        })
        .collect();
    let latest: Vec<ReviewRow> = sqlx::query_as(
        "SELECT r.id, r.screenshot_id, r.verdict, r.reviewer, r.comment, r.at, r.source FROM reviews r JOIN screenshots s ON s.id = r.screenshot_id
         WHERE s.run_id = $1 AND r.id = (SELECT MAX(r2.id) FROM reviews r2 WHERE r2.screenshot_id = r.screenshot_id AND r2.source = r.source)",
    )
    .bind(run_id)
    .fetch_all(pool)
    .await?;
    let shots = rows
        .iter()
        .map(|r| {
            let previous = r.compared_with.or_else(|| before.iter().find(|b| b.url == r.url && b.viewport == r.viewport).map(|b| b.id));
            let mut v = r.view(previous);
            let review = |source: &str| latest.iter().find(|l| l.screenshot_id == r.id && l.source == source).map(ReviewRow::review);
            v.review = review("client");
            v.team_review = review("team");
            v
        })
        .collect();
    let gone = if running {
        Vec::new()
    } else {
        before.iter().filter(|b| !rows.iter().any(|r| r.url == b.url && r.viewport == b.viewport)).map(|b| b.view(None)).collect()
    };
    Ok(Gallery { shots, viewports, previous_run_id, baseline_run_id, gone, running })
}

/// A review as the database holds it.
#[derive(sqlx::FromRow)]
pub(crate) struct ReviewRow {
    pub id: i64,
    pub screenshot_id: i64,
    pub verdict: String,
    pub reviewer: String,
    pub comment: String,
    pub at: i64,
    pub source: String,
}

impl ReviewRow {
    pub fn review(&self) -> preflight_model::Review {
        preflight_model::Review {
            id: self.id,
            screenshot_id: self.screenshot_id,
            verdict: self.verdict.clone(),
            reviewer: self.reviewer.clone(),
            comment: self.comment.clone(),
            at: self.at,
            source: self.source.clone(),
        }
    }
}

/// The team approves a screenshot or asks for changes (a comment is then required).
pub async fn team_review(pool: &Pool, user: &preflight_model::UserInfo, shot_id: i64, approve: bool, comment: &str) -> AppResult<preflight_model::Review> {
    let comment = comment.trim();
    if !approve && comment.is_empty() {
        return Err(AppError::bad("comment: say what should change."));
    }
    if comment.chars().count() > 5000 {
        return Err(AppError::bad("comment: 5,000 characters at most."));
    }
    let shot = row(pool, shot_id).await?;
    let project_id: i64 = sqlx::query_scalar("SELECT project_id FROM runs WHERE id = $1").bind(shot.run_id).fetch_one(pool).await?;
    let verdict = if approve { "approved" } else { "changes_requested" };
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO reviews (project_id, screenshot_id, share_link_id, verdict, reviewer, comment, at, source) VALUES ($1, $2, NULL, $3, $4, $5, $6, 'team') RETURNING id",
    )
    .bind(project_id)
    .bind(shot_id)
    .bind(verdict)
    .bind(&user.name)
    .bind(comment)
    .bind(t)
    .fetch_one(&mut *tx)
    .await?;
    let what = if approve { "approved the screenshot of" } else { "asked for changes to" };
    super::activity::log_in(&mut tx, project_id, &user.name, "review", &format!("{what} {} at {} (run #{})", shot.url, shot.viewport, shot.run_id), t).await?;
    tx.commit().await?;
    Ok(preflight_model::Review {
        id,
        screenshot_id: shot_id,
        verdict: verdict.into(),
        reviewer: user.name.clone(),
        comment: comment.into(),
        at: t,
        source: "team".into(),
    })
}

/// The team approves every screenshot of a finished run that is unchanged against its
/// reference run and has no team review yet. Returns how many were approved.
pub async fn approve_unchanged(pool: &Pool, user: &preflight_model::UserInfo, run_id: i64) -> AppResult<i64> {
    let g = gallery(pool, run_id).await?;
    let project_id: i64 =
        sqlx::query_scalar("SELECT project_id FROM runs WHERE id = $1").bind(run_id).fetch_optional(pool).await?.ok_or(AppError::NotFound("run"))?;
    if g.running {
        return Err(AppError::Conflict("the run is still going: approve its unchanged screenshots when it has finished.".into()));
    }
    let ids: Vec<i64> = g.shots.iter().filter(|s| g.change_of(s) == preflight_model::ShotChange::Unchanged && s.team_review.is_none()).map(|s| s.id).collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    for id in &ids {
        sqlx::query("INSERT INTO reviews (project_id, screenshot_id, share_link_id, verdict, reviewer, comment, at, source) VALUES ($1, $2, NULL, 'approved', $3, '', $4, 'team')")
            .bind(project_id)
            .bind(id)
            .bind(&user.name)
            .bind(t)
            .execute(&mut *tx)
            .await?;
    }
    super::activity::log_in(&mut tx, project_id, &user.name, "review", &format!("approved {} unchanged screenshot(s) of run #{run_id}", ids.len()), t).await?;
    tx.commit().await?;
    Ok(ids.len() as i64)
}

/// The team accepts a finished run's screenshots as its environment's baseline: later runs
/// are compared with it instead of with their previous run.
pub async fn accept_baseline(pool: &Pool, user: &preflight_model::UserInfo, run_id: i64) -> AppResult<preflight_model::Baseline> {
    let run: Option<(i64, Option<i64>, String, String)> =
        sqlx::query_as("SELECT project_id, environment_id, environment_name, status FROM runs WHERE id = $1").bind(run_id).fetch_optional(pool).await?;
    let Some((project_id, env, env_name, status)) = run else { return Err(AppError::NotFound("run")) };
    let Some(env) = env else {
        return Err(AppError::Conflict(format!("the environment \"{env_name}\" of run #{run_id} no longer exists.")));
    };
    if !matches!(status.as_str(), "passed" | "failed") {
        return Err(AppError::Conflict(format!("run #{run_id} has not finished: only a finished run can be the baseline.")));
    }
    let shots: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM screenshots WHERE run_id = $1").bind(run_id).fetch_one(pool).await?;
    if shots == 0 {
        return Err(AppError::Conflict(format!("run #{run_id} took no screenshots, so it cannot be the baseline.")));
    }
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    sqlx::query(
        "INSERT INTO baselines (environment_id, run_id, set_by, set_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (environment_id) DO UPDATE SET run_id = excluded.run_id, set_by = excluded.set_by, set_at = excluded.set_at",
    )
    .bind(env)
    .bind(run_id)
    .bind(&user.name)
    .bind(t)
    .execute(&mut *tx)
    .await?;
    super::activity::log_in(&mut tx, project_id, &user.name, "baseline", &format!("accepted run #{run_id} as the visual baseline of {env_name}"), t).await?;
    tx.commit().await?;
    Ok(preflight_model::Baseline { environment: env_name, run_id, set_by: user.name.clone(), set_at: t })
}

async fn row(pool: &Pool, id: i64) -> AppResult<Row> {
    sqlx::query_as(&format!("{SELECT} WHERE id = $1")).bind(id).fetch_optional(pool).await?.ok_or(AppError::NotFound("screenshot"))
}

/// Which file of a screenshot to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Full,
    Thumbnail,
}

/// The file of a screenshot under `dir`, with its content type.
/// Removes the screenshot folders (`<dir>/run-<id>`) of `runs`, whose rows are gone or reset.
pub fn remove_run_dirs(dir: &Path, runs: &[i64]) {
    for id in runs {
        let _ = std::fs::remove_dir_all(dir.join(format!("run-{id}")));
    }
}

pub async fn file(pool: &Pool, dir: &Path, id: i64, variant: Variant) -> AppResult<(PathBuf, &'static str)> {
    let r = row(pool, id).await?;
    let (name, kind) = match variant {
        Variant::Full => (r.file, "image/png"),
        Variant::Thumbnail if !r.thumb.is_empty() => (r.thumb, "image/jpeg"),
        Variant::Thumbnail => (r.file, "image/png"),
    };
    Ok((safe_join(dir, &name)?, kind))
}

/// Joins a stored relative name to the folder, refusing anything that would leave it.
fn safe_join(dir: &Path, name: &str) -> AppResult<PathBuf> {
    let p = Path::new(name);
    if p.is_absolute() || p.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
        return Err(AppError::NotFound("screenshot"));
    }
    Ok(dir.join(p))
}

/// The diff of two screenshots of the same page and viewport: made once, then kept.
/// Returns the view and the diff image's path.
pub async fn diff(pool: &Pool, dir: &Path, before_id: i64, after_id: i64) -> AppResult<(DiffView, PathBuf)> {
    let (before, after) = (row(pool, before_id).await?, row(pool, after_id).await?);
    if before.viewport != after.viewport {
        return Err(AppError::BadRequest("these screenshots are of different viewports".into()));
    }
    let (project_id, project_name): (i64, String) =
        sqlx::query_as("SELECT p.id, p.name FROM runs r JOIN projects p ON p.id = r.project_id WHERE r.id = $1").bind(after.run_id).fetch_one(pool).await?;
    let cached: Option<(i64, String)> = sqlx::query_as("SELECT changed_ppm, file FROM screenshot_diffs WHERE before_id = $1 AND after_id = $2")
        .bind(before_id)
        .bind(after_id)
        .fetch_optional(pool)
        .await?;
    let (ppm, name) = match cached {
        Some((ppm, name)) if safe_join(dir, &name)?.exists() => (ppm, name),
        _ => {
            let a = tokio::fs::read(safe_join(dir, &before.file)?).await.map_err(|e| internal(format!("reading a screenshot: {e}")))?;
            let b = tokio::fs::read(safe_join(dir, &after.file)?).await.map_err(|e| internal(format!("reading a screenshot: {e}")))?;
            let (png, ppm) = tokio::task::spawn_blocking(move || compare(&a, &b, true)).await.map_err(|e| internal(e.to_string()))?.map_err(internal)?;
            let name = format!("diffs/{before_id}-{after_id}.png");
            let path = safe_join(dir, &name)?;
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent).await.map_err(|e| internal(format!("creating {}: {e}", parent.display())))?;
            }
            tokio::fs::write(&path, png.unwrap_or_default()).await.map_err(|e| internal(format!("writing {}: {e}", path.display())))?;
            sqlx::query(
                "INSERT INTO screenshot_diffs (before_id, after_id, changed_ppm, file, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (before_id, after_id) DO UPDATE SET changed_ppm = excluded.changed_ppm, file = excluded.file, created_at = excluded.created_at",
            )
            .bind(before_id)
            .bind(after_id)
            .bind(ppm)
            .bind(&name)
            .bind(now())
            .execute(pool)
            .await?;
            (ppm, name)
        }
    };
    // The gallery of the later run gives the shot's reviews and the walk through its changes.
    let g = gallery(pool, after.run_id).await?;
    let steps = g
        .changed_order()
        .into_iter()
        .filter_map(|s| {
            s.previous.map(|b| preflight_model::CompareStep {
                before: b,
                after: s.id,
                url: s.url.clone(),
                viewport: s.viewport.clone(),
                change_ppm: s.change_ppm,
            })
        })
        .collect();
    let viewport_label = g.viewports.iter().find(|v| v.name == after.viewport).map(|v| v.label.clone()).unwrap_or_else(|| after.viewport.clone());
    let after_view = g.shots.iter().find(|s| s.id == after_id).cloned().unwrap_or_else(|| after.view(Some(before_id)));
    let view = DiffView { before: before.view(None), after: after_view, changed_ppm: ppm, project_id, project_name, steps, viewport_label };
    Ok((view, safe_join(dir, &name)?))
}

fn internal(msg: String) -> AppError {
    tracing::error!("screenshots: {msg}");
    AppError::Internal
}

/// Channels may differ this much before a pixel counts as changed (anti-aliasing noise).
const TOLERANCE: u8 = 24;

/// A diff image of two PNGs — changed pixels in magenta over a faded copy of the newer
/// shot, areas only one of them covers counted as changed — and the share of changed pixels
/// in parts per million.
pub fn diff_png(before: &[u8], after: &[u8]) -> Result<(Vec<u8>, i64), String> {
    compare(before, after, true).map(|(png, ppm)| (png.unwrap_or_default(), ppm))
}

/// The share of changed pixels in parts per million, and the diff image when `image` is set.
fn compare(before: &[u8], after: &[u8], image: bool) -> Result<(Option<Vec<u8>>, i64), String> {
    let a = image::load_from_memory_with_format(before, ImageFormat::Png).map_err(|e| format!("the earlier screenshot: {e}"))?.to_rgba8();
    let b = image::load_from_memory_with_format(after, ImageFormat::Png).map_err(|e| format!("the later screenshot: {e}"))?.to_rgba8();
    let (w, h) = (a.width().max(b.width()), a.height().max(b.height()));
    let mut out = image.then(|| RgbaImage::new(w, h));
    let mut changed: u64 = 0;
    for y in 0..h {
        for x in 0..w {
            let pa = (x < a.width() && y < a.height()).then(|| a.get_pixel(x, y));
            let pb = (x < b.width() && y < b.height()).then(|| b.get_pixel(x, y));
            let same = match (pa, pb) {
                (Some(p), Some(q)) => p.0.iter().zip(q.0.iter()).all(|(u, v)| u.abs_diff(*v) <= TOLERANCE),
                _ => false,
            };
            if !same {
                changed += 1;
            }
            if let Some(out) = out.as_mut() {
                let pixel = match pb {
                    Some(q) if same => {
                        let grey = (q.0[0] as u32 * 3 + q.0[1] as u32 * 6 + q.0[2] as u32) / 10;
                        let faded = (255 - (255 - grey) / 4) as u8;
                        Rgba([faded, faded, faded, 255])
                    }
                    _ => Rgba([230, 0, 120, 255]),
                };
                out.put_pixel(x, y, pixel);
            }
        }
    }
    let total = (w as u64 * h as u64).max(1);
    let png = match out {
        Some(out) => {
            let mut png = Vec::new();
            out.write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png).map_err(|e| format!("encoding the diff: {e}"))?;
            Some(png)
        }
        None => None,
    };
    Ok((png, (changed * 1_000_000 / total) as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, paint: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
        let img = RgbaImage::from_fn(w, h, |x, y| {
            let [r, g, b] = paint(x, y);
            Rgba([r, g, b, 255])
        });
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn identical_shots_differ_nowhere_and_a_moved_block_is_counted() {
        let white = png(100, 100, |_, _| [255, 255, 255]);
        let (_, ppm) = diff_png(&white, &white).unwrap();
        assert_eq!(ppm, 0);
        // A 10×10 block: 100 of 10,000 pixels = 1 % = 10,000 ppm.
        let block = png(100, 100, |x, y| if x < 10 && y < 10 { [0, 0, 0] } else { [255, 255, 255] });
        let (img, ppm) = diff_png(&white, &block).unwrap();
        assert_eq!(ppm, 10_000);
        let d = image::load_from_memory(&img).unwrap().to_rgba8();
        assert_eq!(d.get_pixel(5, 5).0, [230, 0, 120, 255]);
        assert_ne!(d.get_pixel(50, 50).0, [230, 0, 120, 255]);
        // Anti-aliasing noise below the tolerance is not a change.
        let noisy = png(100, 100, |_, _| [245, 250, 255]);
        assert_eq!(diff_png(&white, &noisy).unwrap().1, 0);
    }

    #[test]
    fn a_taller_page_counts_its_new_part_as_changed() {
        let short = png(50, 100, |_, _| [255, 255, 255]);
        let tall = png(50, 200, |_, _| [255, 255, 255]);
        let (img, ppm) = diff_png(&short, &tall).unwrap();
        assert_eq!(ppm, 500_000);
        assert_eq!(image::load_from_memory(&img).unwrap().height(), 200);
        assert!(diff_png(b"not a png", &tall).is_err());
    }

    #[test]
    fn stored_names_cannot_leave_the_folder() {
        let dir = Path::new("/data/screenshots");
        assert!(safe_join(dir, "run-1/home--desktop.png").is_ok());
        for bad in ["../secrets", "/etc/passwd", "run-1/../../x"] {
            assert!(safe_join(dir, bad).is_err(), "{bad}");
        }
    }
}
