//! Page quality per run: what the browser stage measured on each page at each viewport (timing,
//! transfer, accessibility issues), the budgets it was held to, and the environment's trend.

use preflight_browser::quality::Budgets;
use preflight_model::{A11yIssue, PageMetrics, PageQuality, QualityBudget, RunQuality, TrendPoint};

use super::{error::AppResult, now, AppError};
use crate::db::Pool;

/// Runs of an environment the trend shows (this one and those before it).
pub const TREND_RUNS: i64 = 20;

/// Records one page at one viewport of run `run_id`.
pub async fn insert(
    pool: &Pool,
    run_id: i64,
    url: &str,
    viewport: &str,
    metrics: Option<&PageMetrics>,
    a11y: &[A11yIssue],
    a11y_error: Option<&str>,
) -> AppResult<()> {
    sqlx::query("INSERT INTO page_quality (run_id, url, viewport, metrics, a11y, a11y_error, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(run_id)
        .bind(url)
        .bind(viewport)
        .bind(metrics.map(|m| serde_json::to_string(m).expect("metrics serialise")))
        .bind(serde_json::to_string(a11y).expect("issues serialise"))
        .bind(a11y_error)
        .bind(now())
        .execute(pool)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow, Default)]
struct Row {
    url: String,
    viewport: String,
    metrics: Option<String>,
    a11y: String,
    a11y_error: Option<String>,
    screenshot_id: Option<i64>,
    title: Option<String>,
    width: Option<i64>,
    height: Option<i64>,
}

impl Row {
    fn metrics(&self) -> Option<PageMetrics> {
        self.metrics.as_deref().and_then(|m| serde_json::from_str(m).ok())
    }

    fn a11y(&self) -> Vec<A11yIssue> {
        serde_json::from_str(&self.a11y).unwrap_or_default()
    }
}

/// A run's rows with their screenshot (one per page and viewport; the first if a page was
/// retried).
const ROWS: &str = "SELECT q.url, q.viewport, q.metrics, q.a11y, q.a11y_error, s.id AS screenshot_id, s.title, s.width, s.height
     FROM page_quality q
     LEFT JOIN screenshots s ON s.id = (SELECT MIN(x.id) FROM screenshots x WHERE x.run_id = q.run_id AND x.url = q.url AND x.viewport = q.viewport)";

/// Run `run_id`'s page quality, with its project's budgets and its environment's trend.
/// `NotFound("run")` for an unknown run.
pub async fn for_run(pool: &Pool, run_id: i64) -> AppResult<RunQuality> {
    let run: Option<(i64, Option<i64>, String)> =
        sqlx::query_as("SELECT r.project_id, r.environment_id, p.perf_budgets FROM runs r JOIN projects p ON p.id = r.project_id WHERE r.id = $1")
            .bind(run_id)
            .fetch_optional(pool)
            .await?;
    let (_, environment_id, budgets) = run.ok_or(AppError::NotFound("run"))?;
    let rows: Vec<Row> = sqlx::query_as(&format!("{ROWS} WHERE q.run_id = $1 ORDER BY q.id")).bind(run_id).fetch_all(pool).await?;
    // The screenshot's pixel size over the viewport's scale is its CSS size: the scale is read
    // from the default viewports (1 for custom ones).
    let defaults = preflight_browser::viewport::defaults();
    let scale = |vp: &str| defaults.iter().find(|v| v.name == vp).map(|v| v.scale).unwrap_or(1.0);
    // Page by page (in the order they were first measured), viewports in their usual order.
    let order = |vp: &str| defaults.iter().position(|v| v.name == vp).unwrap_or(usize::MAX);
    let mut first_seen: Vec<&str> = Vec::new();
    for r in &rows {
        if !first_seen.contains(&r.url.as_str()) {
            first_seen.push(&r.url);
        }
    }
    let mut rows: Vec<&Row> = rows.iter().collect();
    rows.sort_by_key(|r| (first_seen.iter().position(|u| *u == r.url), order(&r.viewport)));
    let pages = rows
        .into_iter()
        .map(|r| PageQuality {
            url: r.url.clone(),
            title: r.title.clone().unwrap_or_default(),
            viewport: r.viewport.clone(),
            screenshot_id: r.screenshot_id,
            css_width: r.width.map(|w| (w as f64 / scale(&r.viewport)).round() as u32).unwrap_or(0),
            css_height: r.height.map(|h| (h as f64 / scale(&r.viewport)).round() as u32).unwrap_or(0),
            metrics: r.metrics(),
            a11y: r.a11y(),
            a11y_error: r.a11y_error.clone(),
        })
        .collect();
    let lines: Vec<String> = budgets.lines().map(str::to_string).collect();
    let budgets = Budgets::parse(&lines).unwrap_or_default();
    Ok(RunQuality { run_id, pages, budgets: budget_list(&budgets), trend: trend(pool, environment_id, run_id).await? })
}

/// The budgets as the run page draws them (those set, with the defaults).
fn budget_list(b: &Budgets) -> Vec<QualityBudget> {
    let item = |metric: &str, label: &str, value: f64, unit: &str| QualityBudget { metric: metric.into(), label: label.into(), value, unit: unit.into() };
    let mut out = vec![
        item("ttfb", "Time to first byte", b.ttfb_ms, "ms"),
        item("fcp", "First Contentful Paint", b.fcp_ms, "ms"),
        item("lcp", "Largest Contentful Paint", b.lcp_ms, "ms"),
        item("cls", "Cumulative Layout Shift", b.cls, ""),
        item("tbt", "Total Blocking Time", b.tbt_ms, "ms"),
    ];
    let sizes = [
        ("total", "Transfer (all)", b.total_kb),
        ("html", "HTML", b.html_kb),
        ("js", "JavaScript", b.js_kb),
        ("css", "CSS", b.css_kb),
        ("images", "Images", b.image_kb),
        ("fonts", "Fonts", b.font_kb),
    ];
    out.extend(sizes.into_iter().filter_map(|(m, l, v)| v.map(|v| item(m, l, v, "KB"))));
    out.extend(b.requests.map(|n| item("requests", "Requests", n as f64, "")));
    out
}

/// The environment's finished runs up to `run_id` (the last [`TREND_RUNS`]), oldest first:
/// the worst page of each at any viewport.
async fn trend(pool: &Pool, environment_id: Option<i64>, run_id: i64) -> AppResult<Vec<TrendPoint>> {
    let Some(env) = environment_id else {
        return Ok(Vec::new());
    };
    let runs: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT r.id, COALESCE(r.finished_at, r.created_at) FROM runs r
         WHERE r.environment_id = $1 AND r.id <= $2 AND EXISTS (SELECT 1 FROM page_quality q WHERE q.run_id = r.id)
         ORDER BY r.id DESC LIMIT $3",
    )
    .bind(env)
    .bind(run_id)
    .bind(TREND_RUNS)
    .fetch_all(pool)
    .await?;
    // Every measured page of those runs in one query, grouped by run below.
    let rows: Vec<(i64, String, Option<String>, String)> = sqlx::query_as(
        "SELECT q.run_id, q.url, q.metrics, q.a11y FROM page_quality q JOIN runs r ON r.id = q.run_id
         WHERE r.environment_id = $1 AND q.run_id >= $2 AND q.run_id <= $3",
    )
    .bind(env)
    .bind(runs.last().map(|r| r.0).unwrap_or(run_id))
    .bind(run_id)
    .fetch_all(pool)
    .await?;
    Ok(runs
        .into_iter()
        .rev()
        .map(|(id, at)| {
            let of_run: Vec<Row> = rows
                .iter()
                .filter(|r| r.0 == id)
                .map(|(_, url, metrics, a11y)| Row { url: url.clone(), metrics: metrics.clone(), a11y: a11y.clone(), ..Row::default() })
                .collect();
            trend_point(id, at, &of_run)
        })
        .collect())
}

fn trend_point(run_id: i64, at: i64, rows: &[Row]) -> TrendPoint {
    let metrics: Vec<PageMetrics> = rows.iter().filter_map(Row::metrics).collect();
    let worst = |f: fn(&PageMetrics) -> Option<f64>| metrics.iter().filter_map(f).fold(None, |acc: Option<f64>, v| Some(acc.map_or(v, |a| a.max(v))));
    let mut rules: Vec<(String, String)> = rows.iter().flat_map(|r| r.a11y().into_iter().map(|i| (r.url.clone(), i.check))).collect();
    rules.sort();
    rules.dedup();
    TrendPoint { run_id, at, lcp_ms: worst(|m| m.lcp_ms), cls: worst(|m| Some(m.cls)), tbt_ms: worst(|m| Some(m.tbt_ms)), a11y_issues: rules.len() as i64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(url: &str, metrics: Option<PageMetrics>, rules: &[&str]) -> Row {
        let a11y: Vec<A11yIssue> = rules.iter().map(|c| A11yIssue { check: c.to_string(), impact: "serious".into(), count: 2, nodes: vec![] }).collect();
        Row {
            url: url.into(),
            viewport: "desktop".into(),
            metrics: metrics.map(|m| serde_json::to_string(&m).unwrap()),
            a11y: serde_json::to_string(&a11y).unwrap(),
            a11y_error: None,
            screenshot_id: None,
            title: None,
            width: None,
            height: None,
        }
    }

    #[test]
    fn a_trend_point_is_the_worst_page_and_counts_rules_once_per_page() {
        let m = |lcp: f64, cls: f64| PageMetrics { lcp_ms: Some(lcp), cls, ..Default::default() };
        let rows = [
            row("/a", Some(m(1200.0, 0.3)), &["a11y-image-alt"]),
            row("/a", Some(m(2600.0, 0.0)), &["a11y-image-alt", "a11y-label"]),
            row("/b", None, &["a11y-image-alt"]),
        ];
        let p = trend_point(7, 99, &rows);
        assert_eq!((p.lcp_ms, p.cls, p.a11y_issues), (Some(2600.0), Some(0.3), 3));
        assert_eq!(trend_point(8, 1, &[]).lcp_ms, None, "no metrics: unknown, not zero");
    }

    #[test]
    fn budgets_list_the_defaults_and_what_was_set() {
        let b = Budgets::parse(&["js = 300KB".into(), "requests = 60".into()]).unwrap();
        let list = budget_list(&b);
        let metrics: Vec<&str> = list.iter().map(|b| b.metric.as_str()).collect();
        assert_eq!(metrics, vec!["ttfb", "fcp", "lcp", "cls", "tbt", "js", "requests"]);
        assert_eq!((list[2].value, list[2].unit.as_str()), (2500.0, "ms"));
    }
}
