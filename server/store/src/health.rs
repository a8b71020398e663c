//! What finished runs say about an environment's health, told once per change: the site went
//! down (its start page unreachable or answering 5xx) or came back, with a reminder at most
//! hourly while it stays down; and its TLS certificate expiring in 30, 14 or 7 days.

use preflight_model::{FindingView, RunSummary};

use super::{error::AppResult, notify::Notice};

/// How often a site that stays down is brought up again.
pub const REMINDER_SECS: i64 = 3600;

/// Why a run says its environment is down, if it does: it could not reach the site, or the
/// start page answered with a server error.
pub fn down_reason(run: &RunSummary, findings: &[FindingView]) -> Option<String> {
    if run.error.starts_with("site unreachable") {
        return Some(run.error.clone());
    }
    let start = run.base_url.trim_end_matches('/');
    findings
        .iter()
        .find(|f| f.check == "server-error" && f.url.trim_end_matches('/') == start)
        .map(|f| format!("the start page answers with a server error ({})", f.evidence.trim()))
}

/// The certificate-expiry threshold a finding has crossed (30, 14 or 7 days), if any.
pub fn expiry_threshold(f: &FindingView) -> Option<i64> {
    if f.check != "tls-certificate-expiring" {
        return None;
    }
    // "The TLS certificate expires in 12 day(s): …"
    let days: i64 = f.message.split("expires in ").nth(1)?.split_whitespace().next()?.parse().ok()?;
    [7, 14, 30].into_iter().find(|t| days <= *t)
}

/// After a run finished: tells about changes of its environment's health.
pub async fn after_run(store: &crate::Store, run: &RunSummary, findings: &[FindingView], t: i64) -> AppResult<()> {
    let Some(env) = sqlx::query_scalar::<_, Option<i64>>("SELECT environment_id FROM runs WHERE id = $1").bind(run.id).fetch_one(&store.pool).await? else {
        return Ok(());
    };
    let mut notices = Vec::new();
    let mut tx = super::db::begin_write(&store.pool).await?;
    let state: Option<(Option<i64>, Option<i64>)> =
        sqlx::query_as("SELECT down_since, last_alert_at FROM env_health WHERE environment_id = $1").bind(env).fetch_optional(&mut *tx).await?;
    let (down_since, last_alert) = state.unwrap_or((None, None));
    let base = |title: String, body: String, key: String, data: serde_json::Value| Notice {
        rule: "site-down",
        project_id: run.project_id,
        key,
        title,
        body,
        link: format!("/runs/{}", run.id),
        audience: super::notify::Audience::Team,
        data,
    };
    match (down_reason(run, findings), down_since) {
        (Some(why), None) => {
            notices.push(base(
                format!("{} is down", run.environment),
                format!("{} — {why} (run #{})", run.base_url, run.id),
                format!("site-down:env:{env}:down:{t}"),
                serde_json::json!({"state": "down", "environment": run.environment, "url": run.base_url, "reason": why, "run_id": run.id, "since": t}),
            ));
            sqlx::query(
                "INSERT INTO env_health (environment_id, down_since, reason, last_alert_at) VALUES ($1, $2, $3, $2)
                 ON CONFLICT (environment_id) DO UPDATE SET down_since = excluded.down_since, reason = excluded.reason, last_alert_at = excluded.last_alert_at",
            )
            .bind(env)
            .bind(t)
            .bind(&why)
            .execute(&mut *tx)
            .await?;
        }
        (Some(why), Some(since)) if t - last_alert.unwrap_or(since) >= REMINDER_SECS => {
            let hours = (t - since) / 3600;
            notices.push(base(
                format!("{} is still down ({hours} h)", run.environment),
                format!("{} — {why} (run #{})", run.base_url, run.id),
                format!("site-down:env:{env}:down:{since}:reminder:{t}"),
                serde_json::json!({"state": "still_down", "environment": run.environment, "url": run.base_url, "reason": why, "run_id": run.id, "since": since}),
            ));
            sqlx::query("UPDATE env_health SET last_alert_at = $1, reason = $2 WHERE environment_id = $3")
                .bind(t)
                .bind(&why)
                .bind(env)
                .execute(&mut *tx)
                .await?;
        }
        (Some(_), Some(_)) => {}
        (None, Some(since)) => {
            let minutes = (t - since).max(0) / 60;
            notices.push(base(
                format!("{} is back up", run.environment),
                format!("{} answers again after {minutes} min (run #{})", run.base_url, run.id),
                format!("site-down:env:{env}:up:{since}"),
                serde_json::json!({"state": "up", "environment": run.environment, "url": run.base_url, "run_id": run.id, "down_since": since}),
            ));
            sqlx::query("UPDATE env_health SET down_since = NULL, reason = '', last_alert_at = $1 WHERE environment_id = $2")
                .bind(t)
                .bind(env)
                .execute(&mut *tx)
                .await?;
        }
        (None, None) => {}
    }
    for f in findings {
        if let Some(days) = expiry_threshold(f) {
            notices.push(Notice {
                rule: "tls-expiry",
                project_id: run.project_id,
                // Once per certificate (its notAfter) and threshold.
                key: format!("tls-expiry:env:{env}:{}:{days}", f.evidence.trim()),
                title: format!("The TLS certificate of {} expires within {days} days", run.environment),
                body: format!("{} — {}", f.url, f.message),
                link: format!("/runs/{}", run.id),
                audience: super::notify::Audience::Team,
                data: serde_json::json!({"environment": run.environment, "url": f.url, "threshold_days": days, "not_after": f.evidence.trim_start_matches("notAfter ").trim()}),
            });
        }
    }
    let mut told = Vec::new();
    for n in &notices {
        told.extend(super::notify::emit_in(store, &mut tx, n, t).await?);
    }
    tx.commit().await?;
    told.sort_unstable();
    told.dedup();
    super::notify::after_commit(store, run.project_id, &told).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(check: &str, url: &str, message: &str, evidence: &str) -> FindingView {
        FindingView {
            check: check.into(),
            severity: "error".into(),
            url: url.into(),
            message: message.into(),
            evidence: evidence.into(),
            advice: String::new(),
            title: String::new(),
        }
    }

    #[test]
    fn expiry_thresholds_are_30_14_and_7_days() {
        let f = |days: i64| {
            finding(
                "tls-certificate-expiring",
                "https://x.test/",
                &format!("The TLS certificate expires in {days} day(s): renew it before launch."),
                "notAfter x",
            )
        };
        assert_eq!(expiry_threshold(&f(29)), Some(30));
        assert_eq!(expiry_threshold(&f(14)), Some(14));
        assert_eq!(expiry_threshold(&f(8)), Some(14));
        assert_eq!(expiry_threshold(&f(7)), Some(7));
        assert_eq!(expiry_threshold(&f(0)), Some(7));
        assert_eq!(expiry_threshold(&finding("server-error", "u", "expires in 3 day(s)", "")), None);
    }
}
