//! Screenshots of check runs (files in the data folder, rows in the database) and visual
//! diffs between two runs of the same page and viewport.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

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
}

pub async fn insert(pool: &Pool, run_id: i64, s: &NewShot) -> AppResult<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO screenshots (run_id, url, final_url, viewport, file, thumb, width, height, page_height, load_ms, overflow_px, console, problems, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
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
}

impl Row {
    fn view(&self, previous: Option<i64>) -> ScreenshotView {
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
        }
    }
}

const SELECT: &str =
    "SELECT id, run_id, url, final_url, viewport, file, thumb, width, height, page_height, load_ms, overflow_px, console, problems FROM screenshots";

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

/// A run's screenshots, by page (in the order they were crawled) and viewport.
pub async fn gallery(pool: &Pool, run_id: i64) -> AppResult<Gallery> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE run_id = $1 ORDER BY id")).bind(run_id).fetch_all(pool).await?;
    let previous_run_id = previous_run(pool, run_id).await?;
    let mut before: HashMap<(String, String), i64> = HashMap::new();
    if let Some(p) = previous_run_id {
        let prev: Vec<(i64, String, String)> = sqlx::query_as("SELECT id, url, viewport FROM screenshots WHERE run_id = $1").bind(p).fetch_all(pool).await?;
        before = prev.into_iter().map(|(id, u, v)| ((u, v), id)).collect();
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
    let latest: Vec<(i64, i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT r.id, r.screenshot_id, r.verdict, r.reviewer, r.comment, r.at FROM reviews r JOIN screenshots s ON s.id = r.screenshot_id
         WHERE s.run_id = $1 AND r.id = (SELECT MAX(r2.id) FROM reviews r2 WHERE r2.screenshot_id = r.screenshot_id)",
    )
    .bind(run_id)
    .fetch_all(pool)
    .await?;
    let shots = rows
        .iter()
        .map(|r| {
            let mut v = r.view(before.get(&(r.url.clone(), r.viewport.clone())).copied());
            v.review = latest.iter().find(|l| l.1 == r.id).map(|(id, screenshot_id, verdict, reviewer, comment, at)| preflight_model::Review {
                id: *id,
                screenshot_id: *screenshot_id,
                verdict: verdict.clone(),
                reviewer: reviewer.clone(),
                comment: comment.clone(),
                at: *at,
            });
            v
        })
        .collect();
    Ok(Gallery { shots, viewports, previous_run_id })
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
            let (png, ppm) = tokio::task::spawn_blocking(move || diff_png(&a, &b)).await.map_err(|e| internal(e.to_string()))?.map_err(internal)?;
            let name = format!("diffs/{before_id}-{after_id}.png");
            let path = safe_join(dir, &name)?;
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent).await.map_err(|e| internal(format!("creating {}: {e}", parent.display())))?;
            }
            tokio::fs::write(&path, png).await.map_err(|e| internal(format!("writing {}: {e}", path.display())))?;
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
    let view = DiffView { before: before.view(None), after: after.view(Some(before_id)), changed_ppm: ppm, project_id, project_name };
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
    let a = image::load_from_memory_with_format(before, ImageFormat::Png).map_err(|e| format!("the earlier screenshot: {e}"))?.to_rgba8();
    let b = image::load_from_memory_with_format(after, ImageFormat::Png).map_err(|e| format!("the later screenshot: {e}"))?.to_rgba8();
    let (w, h) = (a.width().max(b.width()), a.height().max(b.height()));
    let mut out = RgbaImage::new(w, h);
    let mut changed: u64 = 0;
    for y in 0..h {
        for x in 0..w {
            let pa = (x < a.width() && y < a.height()).then(|| a.get_pixel(x, y));
            let pb = (x < b.width() && y < b.height()).then(|| b.get_pixel(x, y));
            let same = match (pa, pb) {
                (Some(p), Some(q)) => p.0.iter().zip(q.0.iter()).all(|(u, v)| u.abs_diff(*v) <= TOLERANCE),
                _ => false,
            };
            if same {
                let q = pb.expect("both present");
                let grey = (q.0[0] as u32 * 3 + q.0[1] as u32 * 6 + q.0[2] as u32) / 10;
                let faded = (255 - (255 - grey) / 4) as u8;
                out.put_pixel(x, y, Rgba([faded, faded, faded, 255]));
            } else {
                changed += 1;
                out.put_pixel(x, y, Rgba([230, 0, 120, 255]));
            }
        }
    }
    let total = (w as u64 * h as u64).max(1);
    let mut png = Vec::new();
    out.write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png).map_err(|e| format!("encoding the diff: {e}"))?;
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
