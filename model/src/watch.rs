//! Watching a site after launch: scheduled check runs per environment.

use serde::{Deserialize, Serialize};

/// How often an environment is checked on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, Default)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    /// No regular runs (a launch window may still run).
    #[default]
    Off,
    /// Every `interval_minutes`, on the clock (every 30 minutes: at :00 and :30 UTC).
    Interval,
    /// Every day at `at` in the project's time zone.
    Daily,
    /// Every week on `weekday` at `at` in the project's time zone.
    Weekly,
    /// A five-field cron expression (`*/10 8-18 * * 1-5`) in the project's time zone.
    Cron,
}

impl Every {
    pub fn as_str(self) -> &'static str {
        match self {
            Every::Off => "off",
            Every::Interval => "interval",
            Every::Daily => "daily",
            Every::Weekly => "weekly",
            Every::Cron => "cron",
        }
    }

    pub fn parse(s: &str) -> Option<Every> {
        Some(match s {
            "off" => Every::Off,
            "interval" => Every::Interval,
            "daily" => Every::Daily,
            "weekly" => Every::Weekly,
            "cron" => Every::Cron,
            _ => return None,
        })
    }
}

/// The days of the week as schedules name them (`weekday` 1 = Monday … 7 = Sunday).
pub const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

fn fifteen() -> i64 {
    15
}

fn forty_eight() -> i64 {
    48
}

/// An environment's schedule as it is edited (`PUT /api/v1/environments/{id}/schedule`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    #[serde(default)]
    pub every: Every,
    /// `interval`: 5 to 10080 (a week).
    #[serde(default)]
    pub interval_minutes: Option<i64>,
    /// `daily` / `weekly`: `HH:MM`.
    #[serde(default)]
    pub at: Option<String>,
    /// `weekly`: `monday` … `sunday`.
    #[serde(default)]
    pub weekday: Option<String>,
    /// `cron`: five fields, minute hour day-of-month month day-of-week.
    #[serde(default)]
    pub cron: Option<String>,
    /// Light runs: HTTP checks only (no browser), at most `page_budget` pages.
    #[serde(default)]
    pub light: bool,
    /// Pages a light run crawls at most (1–5000; default 20).
    #[serde(default)]
    pub page_budget: Option<i64>,
    /// From the project's launch time, run every `window_minutes` for `window_hours`, then go
    /// back to the normal schedule.
    #[serde(default)]
    pub launch_window: bool,
    #[serde(default = "fifteen")]
    pub window_minutes: i64,
    #[serde(default = "forty_eight")]
    pub window_hours: i64,
    /// Keeps the settings but queues nothing until resumed.
    #[serde(default)]
    pub paused: bool,
}

impl Default for ScheduleInput {
    fn default() -> Self {
        ScheduleInput {
            every: Every::Off,
            interval_minutes: None,
            at: None,
            weekday: None,
            cron: None,
            light: false,
            page_budget: None,
            launch_window: false,
            window_minutes: fifteen(),
            window_hours: forty_eight(),
            paused: false,
        }
    }
}

/// An environment's schedule as stored, with what it will do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub environment_id: i64,
    pub environment: String,
    #[serde(flatten)]
    pub settings: ScheduleInput,
    /// The project's time zone the times are read in (`Europe/Berlin`).
    pub time_zone: String,
    /// In words: "every 30 minutes", "daily at 09:00 (Europe/Berlin)", "launch window: every 15
    /// minutes for 48 hours from 1 Mar 2027, 09:00 — then daily at 09:00".
    pub description: String,
    /// The next slot (unix seconds); `None` when nothing is scheduled or it is paused.
    pub next_at: Option<i64>,
    /// The latest slot the scheduler took, and what it did with it ("queued run #12",
    /// "skipped: run #11 was still going").
    pub last_slot_at: Option<i64>,
    pub last_outcome: String,
    /// Whether the launch window is running now.
    pub in_launch_window: bool,
}

/// The Watch page of a project: every environment's schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchView {
    pub project_id: i64,
    pub project_name: String,
    pub time_zone: String,
    /// When the launch window would open (unix seconds): the launch date and time in the
    /// project's time zone.
    pub launch_at: Option<i64>,
    /// The server's clock (unix seconds), so the page can say "in 12 minutes".
    pub now: i64,
    pub schedules: Vec<Schedule>,
    /// Rules, webhooks and deliveries.
    pub notify: NotifySettings,
}

/// What is worth telling: every rule's id (the webhook payload's `event`), its name and what
/// it covers. All are on for a new project.
pub const RULES: &[(&str, &str, &str)] = &[
    ("run-new-errors", "New errors in a run", "A run found errors the previous run of that environment did not have."),
    ("item-regressed", "A ticked item regressed", "A check named by a ticked item fails in the environment's latest run."),
    ("site-down", "Site down or back up", "The start page is unreachable or answers 5xx, and when it is back; a reminder at most hourly while down."),
    ("tls-expiry", "Certificate expiring", "The site's TLS certificate expires in 30, 14 or 7 days."),
    ("domain-expiry", "Domain expiring", "The domain's registration (RDAP) expires in 60 or 30 days."),
    ("client-review", "Client review", "A client approved a screenshot, asked for changes or signed off the launch through a review link."),
    ("item-assigned", "Assigned to you", "A checklist item was assigned to you."),
    ("due-digest", "Due and overdue", "Once a day: your items due tomorrow and your overdue items."),
];

/// A rule's name for people (the id when unknown).
pub fn rule_title(rule: &str) -> &str {
    RULES.iter().find(|r| r.0 == rule).map(|r| r.1).unwrap_or(rule)
}

/// One entry of a person's notification centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: i64,
    pub project_id: Option<i64>,
    pub project: Option<String>,
    pub rule: String,
    pub title: String,
    pub body: String,
    /// Where it points in the app (`/runs/12`).
    pub link: String,
    pub created_at: i64,
    pub read: bool,
}

/// A person's notifications, newest first, and how many are unread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NotificationList {
    pub unread: i64,
    pub items: Vec<NotificationView>,
}

/// A project's rule, on or off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetting {
    pub rule: String,
    pub title: String,
    pub description: String,
    pub enabled: bool,
}

/// The body a webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, Default)]
#[serde(rename_all = "snake_case")]
pub enum HookFormat {
    /// Preflight's own JSON (documented in the OpenAPI file as `WebhookEvent`).
    #[default]
    Json,
    /// `{"text": …}` for Slack incoming webhooks (Mattermost and Rocket.Chat take it too).
    Slack,
    /// `{"text": …}` as a Microsoft Teams incoming webhook / workflow takes it.
    Teams,
    /// `{"content": …}` for Discord webhooks.
    Discord,
}

impl HookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            HookFormat::Json => "json",
            HookFormat::Slack => "slack",
            HookFormat::Teams => "teams",
            HookFormat::Discord => "discord",
        }
    }

    pub fn parse(s: &str) -> Option<HookFormat> {
        Some(match s {
            "json" => HookFormat::Json,
            "slack" => HookFormat::Slack,
            "teams" => HookFormat::Teams,
            "discord" => HookFormat::Discord,
            _ => return None,
        })
    }
}

fn on() -> bool {
    true
}

/// A webhook as it is created or edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    #[serde(default)]
    pub name: String,
    /// `http://` or `https://`; never a cloud metadata address.
    pub url: String,
    #[serde(default)]
    pub format: HookFormat,
    /// The rules it is told about; empty: every rule.
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default = "on")]
    pub active: bool,
}

/// A project's webhook. `secret` is only in the answer that created it (or a new secret):
/// keep it to check `X-Preflight-Signature`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub url: String,
    pub format: HookFormat,
    pub rules: Vec<String>,
    pub active: bool,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// One message in the outbox, as the deliveries page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: i64,
    /// `webhook` or `email`.
    pub channel: String,
    /// The webhook's URL or the e-mail address.
    pub target: String,
    pub rule: String,
    pub idempotency_key: String,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_error: String,
    /// The receiver's last HTTP status.
    pub last_status: Option<i64>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub subject: String,
}

/// A person's e-mail choices: which rules they get by e-mail, and whether the server sends
/// e-mail at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EmailPrefs {
    pub mail_on: bool,
    pub address: String,
    pub rules: Vec<RuleSetting>,
}

/// What an e-mailed account link is for: `invite` or `reset`, for whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLink {
    pub kind: String,
    pub email: String,
    pub name: String,
}

/// The project's notification settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifySettings {
    pub project_id: i64,
    pub rules: Vec<RuleSetting>,
    pub webhooks: Vec<Webhook>,
    pub deliveries: Vec<DeliveryView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_body_fills_in_the_window_defaults_and_refuses_unknown_fields() {
        let s: ScheduleInput = serde_json::from_str(r#"{"every":"daily","at":"09:00"}"#).unwrap();
        assert_eq!((s.every, s.window_minutes, s.window_hours, s.paused), (Every::Daily, 15, 48, false));
        assert!(serde_json::from_str::<ScheduleInput>(r#"{"every":"hourly"}"#).is_err());
        assert!(serde_json::from_str::<ScheduleInput>(r#"{"every":"off","when":"x"}"#).is_err());
        for e in [Every::Off, Every::Interval, Every::Daily, Every::Weekly, Every::Cron] {
            assert_eq!(Every::parse(e.as_str()), Some(e));
        }
    }
}
