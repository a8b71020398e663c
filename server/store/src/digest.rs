//! The daily digest: once a day (from 07:00 UTC), each person is told in one message about their
//! open items that are overdue, due today or due tomorrow — across projects, not a message per
//! item. Projects that turned the `due-digest` rule off are left out.

use preflight_model::{add_days, format_date_ts};

use super::error::AppResult;

/// The hour (UTC) from which the day's digest goes out.
pub const SEND_FROM_HOUR: i64 = 7;

/// One open item of a person, with its due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueItem {
    pub project: String,
    pub project_id: i64,
    pub item_id: i64,
    pub title: String,
    pub due: String,
}

/// The digest's text for a person's items on `today`: overdue first, then today, then
/// tomorrow; `None` when nothing is due.
pub fn compose(items: &[DueItem], today: &str, tomorrow: &str) -> Option<(String, String)> {
    let group = |pick: &dyn Fn(&str) -> bool| items.iter().filter(|i| pick(&i.due)).collect::<Vec<_>>();
    let overdue = group(&|d| d < today);
    let due_today = group(&|d| d == today);
    let due_tomorrow = group(&|d| d == tomorrow);
    let total = overdue.len() + due_today.len() + due_tomorrow.len();
    if total == 0 {
        return None;
    }
    let mut parts = Vec::new();
    if !overdue.is_empty() {
        parts.push(format!("{} overdue", overdue.len()));
    }
    if !due_today.is_empty() {
        parts.push(format!("{} due today", due_today.len()));
    }
    if !due_tomorrow.is_empty() {
        parts.push(format!("{} due tomorrow", due_tomorrow.len()));
    }
    let title = format!("Your checklist items: {}", parts.join(", "));
    let mut body = String::new();
    for (label, list) in [("Overdue", &overdue), ("Due today", &due_today), ("Due tomorrow", &due_tomorrow)] {
        if list.is_empty() {
            continue;
        }
        body += &format!("{label}:\n");
        for i in list.iter() {
            body += &format!("• {} — {} (due {})\n", i.project, i.title, i.due);
        }
    }
    Some((title, body.trim_end().to_string()))
}

/// Sends the day's digests that are due at `t` and not sent yet. Returns how many people were
/// told. Safe to call often and from several servers: each person's digest of a day is
/// recorded once.
pub async fn send_due(store: &crate::Store, t: i64) -> AppResult<usize> {
    if t.rem_euclid(86_400) / 3600 < SEND_FROM_HOUR {
        return Ok(0);
    }
    let today = format_date_ts(t);
    let tomorrow = add_days(&today, 1).unwrap_or_default();
    // Only items in projects the person may still see.
    let rows: Vec<(i64, String, i64, String, i64, String, i64)> = sqlx::query_as(&format!(
        "SELECT c.assignee_id, p.name, p.id, p.launch_date, c.id, c.title, c.due_offset_days
         FROM checklist_items c JOIN projects p ON p.id = c.project_id JOIN users u ON u.id = c.assignee_id
         WHERE c.state = 'todo' AND p.archived_at IS NULL AND u.disabled_at IS NULL AND {sees}
           AND NOT EXISTS (SELECT 1 FROM notification_rules r WHERE r.project_id = p.id AND r.rule = 'due-digest' AND r.enabled = 0)
         ORDER BY c.assignee_id, p.name, c.position, c.id",
        sees = super::access::sees_project_sql("p.id")
    ))
    .fetch_all(&store.pool)
    .await?;
    let mut by_person: std::collections::BTreeMap<i64, Vec<DueItem>> = Default::default();
    for (user, project, project_id, launch, item_id, title, offset) in rows {
        let due = super::projects::due_date(&launch, offset);
        if due <= tomorrow {
            by_person.entry(user).or_default().push(DueItem { project, project_id, item_id, title, due });
        }
    }
    let mut told = 0;
    for (user, items) in by_person {
        let Some((title, body)) = compose(&items, &today, &tomorrow) else { continue };
        let key = format!("due-digest:user:{user}:{today}");
        let mut tx = super::db::begin_write(&store.pool).await?;
        let fresh = sqlx::query("INSERT INTO notify_events (key, project_id, rule, at) VALUES ($1, NULL, 'due-digest', $2) ON CONFLICT (key) DO NOTHING")
            .bind(&key)
            .bind(t)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if fresh == 0 {
            continue;
        }
        let link = if items.iter().all(|i| i.project_id == items[0].project_id) { format!("/projects/{}", items[0].project_id) } else { "/".to_string() };
        sqlx::query("INSERT INTO notifications (user_id, project_id, rule, title, body, link, created_at) VALUES ($1, NULL, 'due-digest', $2, $3, $4, $5)")
            .bind(user)
            .bind(&title)
            .bind(&body)
            .bind(&link)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        if let (Some(_), Some(base)) = (&store.mailer, &store.base_url) {
            if super::mail::wants(&mut tx, user, "due-digest").await? {
                let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1").bind(user).fetch_one(&mut *tx).await?;
                let token = super::mail::unsubscribe_token(&mut tx, user, "due-digest", t).await?;
                let base = base.trim_end_matches('/');
                let unsubscribe = format!("{base}/unsubscribe/{token}");
                let text = format!("{title}\n\n{body}\n\nOpen Preflight: {base}{link}\n\n--\nStop the daily digest: {unsubscribe}\nChoose which e-mails you get: {base}/account#email\n");
                let html = format!(
                    "<p><strong>{}</strong></p><p style=\"white-space: pre-line\">{}</p><p><a href=\"{base}{link}\">Open Preflight</a></p><hr><p style=\"color:#5b6470;font-size:13px\"><a href=\"{}\">Stop the daily digest</a> · <a href=\"{base}/account#email\">Choose which e-mails you get</a></p>",
                    ammonia::clean_text(&title),
                    ammonia::clean_text(&body),
                    ammonia::clean_text(&unsubscribe)
                );
                super::mail::queue(&mut tx, None, "due-digest", &email, (&title, &text, &html), &unsubscribe, t).await?;
            }
        }
        tx.commit().await?;
        super::notify::after_commit(store, 0, &[user]).await;
        told += 1;
    }
    Ok(told)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(title: &str, due: &str) -> DueItem {
        DueItem { project: "Shop".into(), project_id: 1, item_id: 1, title: title.into(), due: due.into() }
    }

    #[test]
    fn the_digest_groups_overdue_today_and_tomorrow() {
        let items = [item("Backups", "2027-02-20"), item("DNS TTL", "2027-03-01"), item("Analytics", "2027-03-02"), item("Later", "2027-03-09")];
        let (title, body) = compose(&items, "2027-03-01", "2027-03-02").unwrap();
        assert_eq!(title, "Your checklist items: 1 overdue, 1 due today, 1 due tomorrow");
        assert_eq!(
            body,
            "Overdue:\n• Shop — Backups (due 2027-02-20)\nDue today:\n• Shop — DNS TTL (due 2027-03-01)\nDue tomorrow:\n• Shop — Analytics (due 2027-03-02)"
        );
        assert_eq!(compose(&[item("Later", "2027-03-09")], "2027-03-01", "2027-03-02"), None);
    }
}
