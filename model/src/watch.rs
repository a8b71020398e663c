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
