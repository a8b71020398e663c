//! What a team hands over: CSV exports of the checklist and of a run's findings, a run as
//! SARIF or JUnit (the CLI's own formats), and the launch report — one self-contained HTML
//! document (styles inline, screenshots embedded) that the browser prints to PDF.

use std::path::Path;

use preflight_model::{ChangeStatus, ChecklistItem, ItemState, RunSummary};

use crate::{db::Pool, error::AppResult, markdown::escape_text as esc, now, AppError};

/// A spreadsheet cell that cannot run as a formula when the file is opened in Excel or
/// LibreOffice (`=`, `+`, `-`, `@`, tab and carriage return start one).
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn csv_of(header: &[&str], rows: Vec<Vec<String>>) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| {
        tracing::error!("writing CSV: {e}");
        AppError::Internal
    };
    w.write_record(header).map_err(fail)?;
    for r in rows {
        w.write_record(r.iter().map(|c| cell(c))).map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| {
        tracing::error!("writing CSV: {e}");
        AppError::Internal
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The checklist as CSV: one row per item, in checklist order.
pub async fn checklist_csv(pool: &Pool, project_id: i64) -> AppResult<String> {
    let view = super::checklist::view(pool, project_id).await?;
    let rows = view
        .items
        .iter()
        .map(|i| {
            vec![
                i.phase.clone(),
                i.title.clone(),
                i.state.label().to_string(),
                i.na_reason.clone(),
                i.due.clone(),
                if i.overdue && i.state == ItemState::Todo { "yes".into() } else { String::new() },
                i.assignee_name.clone().unwrap_or_default(),
                i.state_changed_by.clone().unwrap_or_default(),
                i.state_changed_at.map(preflight_model::format_date_ts).unwrap_or_default(),
                i.checks.join(" "),
                evidence_text(i),
                i.notes.clone(),
            ]
        })
        .collect();
    csv_of(&["phase", "item", "state", "not applicable because", "due", "overdue", "assignee", "changed by", "changed on", "checks", "evidence", "notes"], rows)
}

/// The evidence of an item's checks in words: "production: passed (run #12); dev: failed".
fn evidence_text(i: &ChecklistItem) -> String {
    let mut parts: Vec<String> = i.evidence.iter().map(|e| format!("{} in {}: {} (run #{})", e.check, e.environment, e.status.as_str(), e.run_id)).collect();
    parts.extend(i.signal_evidence.iter().map(|s| {
        let place = s.environment.as_deref().map(|e| format!(" in {e}")).unwrap_or_default();
        format!("{}{place}: {}{}", s.title, s.status.as_str(), if s.detail.is_empty() { String::new() } else { format!(" ({})", s.detail) })
    }));
    if let Some(m) = &i.evidence_missing {
        parts.push(m.clone());
    }
    parts.join("; ")
}

/// A run's findings as CSV, most severe first.
pub async fn findings_csv(pool: &Pool, run_id: i64) -> AppResult<String> {
    let findings = super::runs::findings(pool, run_id).await?;
    let rows = findings.into_iter().map(|f| vec![f.severity, f.check, f.title, f.url, f.message, f.evidence, f.advice]).collect();
    csv_of(&["severity", "check", "problem", "url", "message", "evidence", "advice"], rows)
}

/// A stored run as the engine's report, so it has the CLI's SARIF and JUnit forms.
pub async fn engine_report(pool: &Pool, run_id: i64) -> AppResult<preflight_engine::report::Report> {
    use preflight_engine::{outcome::CheckOutcome, outcome::CheckStatus, Finding, Severity};
    let detail = super::runs::detail(pool, run_id).await?;
    let run = &detail.run;
    if run.finished_at.is_none() {
        return Err(AppError::Conflict(format!("run #{run_id} has not finished: its report is made when it has.")));
    }
    let findings = detail
        .findings
        .iter()
        .map(|f| Finding {
            check: f.check.clone(),
            severity: match f.severity.as_str() {
                "error" => Severity::Error,
                "info" => Severity::Info,
                _ => Severity::Warning,
            },
            url: f.url.clone(),
            message: f.message.clone(),
            evidence: f.evidence.clone(),
            advice: f.advice.clone(),
        })
        .collect();
    let checks = detail
        .checks
        .iter()
        .map(|c| CheckOutcome { id: c.id.clone(), status: CheckStatus::parse(c.status.as_str()).unwrap_or(CheckStatus::Skipped), reason: c.reason.clone() })
        .collect();
    let started = run.started_at.unwrap_or(run.created_at);
    Ok(preflight_engine::report::Report {
        target: run.base_url.clone(),
        final_url: run.base_url.clone(),
        env: preflight_engine::config::EnvProfile::parse(&run.env_kind).unwrap_or_default(),
        started_at: started,
        duration_ms: (run.finished_at.unwrap_or(started) - started).max(0) as u64 * 1000,
        reachable: true,
        pages_crawled: run.pages_crawled.max(0) as usize,
        assets_checked: 0,
        checks_run: detail.checks_run.clone(),
        checks,
        findings,
        pages: Vec::new(),
        screenshots: Vec::new(),
    })
}

/// A moment for people: `30 Nov 2026, 15:35` (UTC).
fn utc(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .map(|d| format!("{} {} {}, {:02}:{:02}", d.day(), &d.month().to_string()[..3], d.year(), d.hour(), d.minute()))
        .unwrap_or_default()
}

/// A file name part from a project name: `Bakery relaunch` → `bakery-relaunch`.
pub fn slug(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let s = s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    if s.is_empty() {
        "project".into()
    } else {
        s
    }
}

const REPORT_CSS: &str = r#"
@page { size: A4; margin: 16mm 14mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1c2330; margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 20pt; margin: 0 0 .2rem; }
h2 { font-size: 14pt; margin: 1.6rem 0 .5rem; border-bottom: 2px solid #dfe3ea; padding-bottom: .2rem; break-after: avoid; }
h3 { font-size: 11.5pt; margin: 1rem 0 .3rem; break-after: avoid; }
.muted { color: #5b6577; }
table { width: 100%; border-collapse: collapse; margin: .3rem 0 .8rem; }
th, td { text-align: left; vertical-align: top; padding: .25rem .4rem; border-bottom: 1px solid #e6e9ef; }
th { font-size: 9pt; text-transform: uppercase; letter-spacing: .03em; color: #5b6577; }
tr { break-inside: avoid; }
.state-done { color: #17753a; font-weight: 600; }
.state-todo { color: #9a5b00; font-weight: 600; }
.state-na { color: #5b6577; }
.sev-error { color: #b3261e; font-weight: 600; }
.sev-warning { color: #9a5b00; }
.summary { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; margin: .6rem 0; }
.summary div { border: 1px solid #dfe3ea; border-radius: 6px; padding: .4rem .7rem; }
.summary strong { display: block; font-size: 14pt; }
.shots { display: grid; grid-template-columns: repeat(4, 1fr); gap: .5rem; }
.shots figure { margin: 0; border: 1px solid #dfe3ea; border-radius: 6px; padding: .3rem; break-inside: avoid; }
.shots img { width: 100%; height: auto; max-height: 9rem; object-fit: contain; object-position: top; display: block; background: #f1f3f6; }
.shots figcaption { font-size: 8.5pt; }
.signoff { border: 2px solid #17753a; border-radius: 8px; padding: .6rem .9rem; }
.none { border-color: #9a5b00; }
"#;

/// The launch report of a project: the checklist with evidence, the latest run of each
/// environment, the screenshots of the latest run that has them with the client's
/// decisions, the scope and change requests, and the sign-off. One HTML document with
/// everything inside it (no requests when it is opened or printed).
pub async fn launch_report_html(pool: &Pool, screenshots_dir: Option<&Path>, project_id: i64) -> AppResult<String> {
    let view = super::checklist::view(pool, project_id).await?;
    let project = &view.project;
    let scope = super::scope::items(pool, project_id).await?;
    let changes = super::scope::change_requests(pool, project_id).await?;
    let signoffs = super::share::signoffs(pool, project_id).await?;
    let runs = super::runs::list(pool, project_id, 200).await?;
    let mut out = String::with_capacity(64 * 1024);
    let title = format!("Launch report · {}", project.name);
    out.push_str(&format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{REPORT_CSS}</style></head><body><main>",
        esc(&title)
    ));
    let settled = view.items.iter().filter(|i| i.state != ItemState::Todo).count();
    out.push_str(&format!(
        "<h1>{}</h1><p class=\"muted\">{}Launch {}{} · report made {} UTC</p>",
        esc(&title),
        if project.client.is_empty() { String::new() } else { format!("For {} · ", esc(&project.client)) },
        esc(&project.launch_date),
        project.launch_time.as_deref().map(|t| format!(" {} ({})", esc(t), esc(&project.time_zone))).unwrap_or_default(),
        esc(&utc(now())),
    ));

    // The sign-off first: it is what the report is handed over for.
    out.push_str("<h2>Sign-off</h2>");
    match signoffs.first() {
        Some(s) => {
            let approved = s.snapshot["approved_screenshots"].as_array().map(Vec::len).unwrap_or(0);
            out.push_str(&format!(
                "<div class=\"signoff\"><p><strong>Signed off by {} on {} UTC</strong></p><p class=\"muted\">At that moment: {approved} screenshot(s) approved{}.</p></div>",
                esc(&s.signed_by),
                esc(&utc(s.at)),
                s.run_id.map(|r| format!(", the screenshots of run #{r}")).unwrap_or_default()
            ));
            for old in signoffs.iter().skip(1) {
                out.push_str(&format!("<p class=\"muted\">Earlier (superseded): {} on {} UTC</p>", esc(&old.signed_by), esc(&utc(old.at))));
            }
        }
        None => out.push_str("<div class=\"signoff none\"><p><strong>Not signed off yet.</strong></p></div>"),
    }

    // Summary figures.
    out.push_str(&format!(
        "<div class=\"summary\"><div><strong>{settled} of {}</strong>checklist items done or not applicable</div><div><strong>{}</strong>overdue</div><div><strong>{}</strong>scope items</div><div><strong>{}</strong>change requests waiting</div></div>",
        view.items.len(),
        view.items.iter().filter(|i| i.overdue && i.state == ItemState::Todo).count(),
        scope.len(),
        changes.iter().filter(|c| c.status == ChangeStatus::Proposed).count(),
    ));

    // The checklist, by phase, with its evidence.
    out.push_str("<h2>Checklist</h2>");
    let mut phase = "";
    for i in &view.items {
        if i.phase != phase {
            if !phase.is_empty() {
                out.push_str("</tbody></table>");
            }
            phase = &i.phase;
            out.push_str(&format!(
                "<h3>{}</h3><table><thead><tr><th>Item</th><th>State</th><th>Due</th><th>Who</th><th>Evidence</th></tr></thead><tbody>",
                esc(preflight_model::phases::phase_title(phase))
            ));
        }
        let (class, state) = match i.state {
            ItemState::Done => ("state-done", "Done".to_string()),
            ItemState::NotApplicable => ("state-na", format!("Not applicable: {}", i.na_reason)),
            ItemState::Todo if i.overdue => ("state-todo", "To do (overdue)".to_string()),
            ItemState::Todo => ("state-todo", "To do".to_string()),
        };
        out.push_str(&format!(
            "<tr><td>{}</td><td class=\"{class}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&i.title),
            esc(&state),
            esc(&i.due),
            esc(&i.state_changed_by.clone().or_else(|| i.assignee_name.clone()).unwrap_or_default()),
            esc(&evidence_text(i)),
        ));
    }
    if !phase.is_empty() {
        out.push_str("</tbody></table>");
    }

    // The latest finished run of each environment.
    out.push_str("<h2>Automated checks</h2>");
    let mut latest: Vec<&RunSummary> = Vec::new();
    for r in &runs {
        if r.finished_at.is_some() && !latest.iter().any(|l| l.environment == r.environment) {
            latest.push(r);
        }
    }
    if latest.is_empty() {
        out.push_str("<p>No check run has finished yet.</p>");
    }
    for r in &latest {
        let findings = super::runs::findings(pool, r.id).await?;
        out.push_str(&format!(
            "<h3>{} — run #{} on {} UTC: {} error(s), {} warning(s), {} page(s)</h3>",
            esc(&r.environment),
            r.id,
            esc(&utc(r.finished_at.unwrap_or(r.created_at))),
            r.errors,
            r.warnings,
            r.pages_crawled
        ));
        let shown: Vec<_> = findings.iter().filter(|f| f.severity != "info").take(40).collect();
        if shown.is_empty() {
            out.push_str("<p>No errors or warnings.</p>");
        } else {
            out.push_str("<table><thead><tr><th>Severity</th><th>Problem</th><th>Where</th><th>What was seen</th></tr></thead><tbody>");
            for f in &shown {
                out.push_str(&format!(
                    "<tr><td class=\"sev-{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&f.severity),
                    esc(&f.severity),
                    esc(&f.message),
                    esc(&f.url),
                    esc(&f.evidence.chars().take(200).collect::<String>())
                ));
            }
            out.push_str("</tbody></table>");
            let more = findings.iter().filter(|f| f.severity != "info").count().saturating_sub(shown.len());
            if more > 0 {
                out.push_str(&format!("<p class=\"muted\">… and {more} more (the run's CSV export lists them all).</p>"));
            }
        }
    }

    // Screenshots of the latest run that has them, with the client's decisions.
    out.push_str("<h2>Screenshots and client decisions</h2>");
    let shot_run: Option<i64> = sqlx::query_scalar(
        "SELECT r.id FROM runs r WHERE r.project_id = $1 AND r.status IN ('passed', 'failed') AND EXISTS (SELECT 1 FROM screenshots s WHERE s.run_id = r.id)
         ORDER BY r.id DESC LIMIT 1",
    )
    .bind(project_id)
    .fetch_optional(pool)
    .await?;
    match shot_run {
        None => out.push_str("<p>No screenshots yet.</p>"),
        Some(run) => {
            let g = super::screenshots::gallery(pool, run).await?;
            let approved = g.shots.iter().filter(|s| s.review.as_ref().is_some_and(|r| r.verdict == "approved")).count();
            out.push_str(&format!(
                "<p class=\"muted\">Run #{run}: {} screenshot(s), {approved} approved by the client.</p><div class=\"shots\">",
                g.shots.len()
            ));
            for s in &g.shots {
                let img = match screenshots_dir {
                    Some(d) => thumbnail_data_uri(pool, d, s.id).await,
                    None => None,
                };
                let decision = match &s.review {
                    Some(r) if r.verdict == "approved" => format!("✓ approved by {}", r.reviewer),
                    Some(r) => format!("✎ {} asked: “{}”", r.reviewer, r.comment),
                    None => "not reviewed".into(),
                };
                let page = if s.title.trim().is_empty() { s.url.clone() } else { format!("{} — {}", s.title.trim(), s.url) };
                out.push_str(&format!(
                    "<figure>{}<figcaption><strong>{}</strong> · {}<br>{}</figcaption></figure>",
                    img.map(|src| format!("<img src=\"{src}\" alt=\"\">")).unwrap_or_default(),
                    esc(&preflight_model::viewport_for_people(&s.viewport)),
                    esc(&page),
                    esc(&decision)
                ));
            }
            out.push_str("</div>");
        }
    }

    // Scope and change requests.
    out.push_str("<h2>Scope</h2>");
    if scope.is_empty() {
        out.push_str("<p>Nothing is listed.</p>");
    } else {
        out.push_str("<table><thead><tr><th>Item</th><th>Status</th><th>Agreed</th></tr></thead><tbody>");
        for i in &scope {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&i.title),
                esc(i.status.label()),
                esc(&i.agreed_on.clone().unwrap_or_default())
            ));
        }
        out.push_str("</tbody></table>");
    }
    if !changes.is_empty() {
        out.push_str("<h3>Change requests</h3><table><thead><tr><th>Change</th><th>Proposed by</th><th>Decision</th></tr></thead><tbody>");
        for c in &changes {
            let decision = match c.status {
                ChangeStatus::Proposed => "waiting".to_string(),
                ChangeStatus::Approved => format!("approved by {}", c.decided_by.clone().unwrap_or_default()),
                ChangeStatus::Declined => format!("declined by {}", c.decided_by.clone().unwrap_or_default()),
            };
            out.push_str(&format!("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", esc(&c.title), esc(&c.proposed_by), esc(&decision)));
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</main></body></html>");
    Ok(out)
}

/// A screenshot's thumbnail (JPEG) as a `data:` URI, for the self-contained report.
async fn thumbnail_data_uri(pool: &Pool, dir: &Path, id: i64) -> Option<String> {
    use base64::Engine;
    let (path, kind) = super::screenshots::file(pool, dir, id, super::screenshots::Variant::Thumbnail).await.ok()?;
    if kind != "image/jpeg" {
        return None;
    }
    let bytes = tokio::fs::read(path).await.ok()?;
    Some(format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_become_formulas_and_names_become_slugs() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("plain"), "plain");
        let csv = csv_of(&["a", "b"], vec![vec!["x, \"y\"".into(), "@SUM(1)".into()]]).unwrap();
        assert_eq!(csv, "a,b\n\"x, \"\"y\"\"\",'@SUM(1)\n");
        assert_eq!(slug("Bakery relaunch 2027!"), "bakery-relaunch-2027");
        assert_eq!(slug("—"), "project");
        assert_eq!(esc("<b a=\"x\">Tom & Jerry's</b>"), "&lt;b a=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;");
    }
}
