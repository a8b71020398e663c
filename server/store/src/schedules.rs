//! Scheduled check runs: one schedule per environment (every N minutes, daily or weekly at a
//! time, or a cron expression, in the project's time zone), an optional launch window (every
//! 15 minutes for 48 hours from the launch time, then the normal schedule again), light runs
//! (HTTP checks only, a page budget), pause and resume.
//!
//! A schedule keeps its next slot (`next_at`). [`tick`] takes every due slot: it moves
//! `next_at` to the first slot after *now* — so a server that was down runs a missed slot
//! once, not once per missed slot — with a conditional update only one process can win, and
//! queues a run unless one of that environment is queued or running (no pile-up). Slots are
//! computed by [`Plan`], a pure function of the settings and a clock the caller passes.

use std::str::FromStr;

use croner::{
    parser::{CronParser, Seconds},
    Cron,
};
use jiff::{civil, tz::TimeZone, Timestamp};
use preflight_model::{parse_date, parse_time, Every, RunCause, Schedule, ScheduleInput, UserInfo, WEEKDAYS};

use super::{error::AppResult, now, AppError};
use crate::db::{Conn, Pool};

/// Pages a light run crawls when the schedule names no budget.
pub const DEFAULT_PAGE_BUDGET: i64 = 20;

/// When a schedule runs, as a function of time.
#[derive(Debug, Clone)]
pub struct Plan {
    every: Every,
    interval: i64,
    cron: Option<Cron>,
    tz: TimeZone,
    window: Option<Window>,
}

/// The launch window: every `step` seconds from `start` until `end` (unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    start: i64,
    end: i64,
    step: i64,
}

impl Window {
    /// The first window slot after `after`, if the window has one left.
    fn next_after(&self, after: i64) -> Option<i64> {
        let t = if after < self.start { self.start } else { self.start + ((after - self.start) / self.step + 1) * self.step };
        (t < self.end).then_some(t)
    }
}

impl Plan {
    /// The plan of validated settings, read in `time_zone`, with the launch at `launch` (unix
    /// seconds; the window needs it).
    pub fn new(s: &ScheduleInput, time_zone: &str, launch: Option<i64>) -> Result<Plan, String> {
        let tz = TimeZone::get(time_zone).map_err(|_| format!("the project's time zone {time_zone:?} is unknown"))?;
        let cron = match cron_expression(s)? {
            Some(expr) => Some(parse_cron(&expr)?),
            None => None,
        };
        let window = match (s.launch_window, launch) {
            (true, Some(start)) => Some(Window { start, end: start + s.window_hours * 3600, step: s.window_minutes * 60 }),
            _ => None,
        };
        Ok(Plan { every: s.every, interval: s.interval_minutes.unwrap_or(60) * 60, cron, tz, window })
    }

    /// The normal schedule's first slot strictly after `after`.
    fn regular_after(&self, after: i64) -> Option<i64> {
        match self.every {
            Every::Off => None,
            // On the clock: every 30 minutes is :00 and :30 (UTC).
            Every::Interval => Some((after.div_euclid(self.interval) + 1) * self.interval),
            Every::Daily | Every::Weekly | Every::Cron => {
                let cron = self.cron.as_ref()?;
                let from = Timestamp::from_second(after).ok()?.to_zoned(self.tz.clone());
                cron.find_next_occurrence(&from, false).ok().map(|z| z.timestamp().as_second())
            }
        }
    }

    /// The first slot strictly after `after`: the launch window's while it runs (the normal
    /// schedule waits), the normal schedule's before and after it.
    pub fn next_after(&self, after: i64) -> Option<i64> {
        let Some(w) = self.window.filter(|w| after < w.end) else {
            return self.regular_after(after);
        };
        if after < w.start {
            // Before the launch: the normal schedule until the window opens.
            if let Some(t) = self.regular_after(after).filter(|t| *t < w.start) {
                return Some(t);
            }
        }
        w.next_after(after).or_else(|| self.regular_after(w.end - 1))
    }

    /// Whether the launch window is running at `t`.
    pub fn in_window(&self, t: i64) -> bool {
        self.window.is_some_and(|w| w.start <= t && t < w.end)
    }
}

/// The cron expression a daily, weekly or cron schedule runs on.
fn cron_expression(s: &ScheduleInput) -> Result<Option<String>, String> {
    let at = || -> Result<(u8, u8), String> {
        let t = s.at.as_deref().unwrap_or("").trim();
        parse_time(t).ok_or_else(|| format!("at: \"{t}\" is not a time; use HH:MM, e.g. 09:00."))
    };
    Ok(match s.every {
        Every::Off | Every::Interval => None,
        Every::Daily => {
            let (h, m) = at()?;
            Some(format!("{m} {h} * * *"))
        }
        Every::Weekly => {
            let (h, m) = at()?;
            let day = weekday_number(s.weekday.as_deref().unwrap_or(""))?;
            // cron counts Sunday as 0.
            Some(format!("{m} {h} * * {}", day % 7))
        }
        Every::Cron => Some(s.cron.clone().unwrap_or_default()),
    })
}

/// `monday` … `sunday` (or their first three letters) as 1 … 7.
fn weekday_number(name: &str) -> Result<u8, String> {
    let n = name.trim().to_ascii_lowercase();
    WEEKDAYS
        .iter()
        .position(|d| n.len() >= 3 && d.starts_with(&n))
        .map(|i| i as u8 + 1)
        .ok_or_else(|| format!("weekday: \"{name}\" is not a day of the week; use monday … sunday."))
}

/// A five-field cron expression (minute hour day-of-month month day-of-week).
fn parse_cron(expr: &str) -> Result<Cron, String> {
    let expr = expr.trim();
    if expr.split_whitespace().count() != 5 {
        return Err(format!(
            "cron: \"{expr}\" needs five fields: minute hour day-of-month month day-of-week, e.g. \"*/30 8-18 * * 1-5\" (every 30 minutes, 8:00–18:30, Monday to Friday)."
        ));
    }
    CronParser::builder().seconds(Seconds::Disallowed).build().parse(expr).map_err(|e| format!("cron: \"{expr}\" is not a cron expression ({e})."))
}

/// Checks and normalises a schedule; every problem names its field.
pub fn validate(input: &ScheduleInput) -> AppResult<ScheduleInput> {
    let mut s = ScheduleInput { every: input.every, light: input.light, launch_window: input.launch_window, paused: input.paused, ..Default::default() };
    match input.every {
        Every::Off => {}
        Every::Interval => {
            let m = input.interval_minutes.ok_or_else(|| AppError::bad("interval_minutes: give the minutes between runs (5 to 10080)."))?;
            if !(5..=10_080).contains(&m) {
                return Err(AppError::bad("interval_minutes: from 5 minutes to 10080 (a week)."));
            }
            s.interval_minutes = Some(m);
        }
        Every::Daily | Every::Weekly => {
            s.at = input.at.as_deref().map(|t| t.trim().to_string());
            if input.every == Every::Weekly {
                let day = weekday_number(input.weekday.as_deref().unwrap_or("")).map_err(AppError::bad)?;
                s.weekday = Some(WEEKDAYS[day as usize - 1].to_string());
            }
        }
        Every::Cron => s.cron = input.cron.as_deref().map(|c| c.split_whitespace().collect::<Vec<_>>().join(" ")),
    }
    cron_expression(&s).and_then(|e| e.map(|e| parse_cron(&e).map(drop)).transpose()).map_err(AppError::bad)?;
    if input.light {
        let budget = input.page_budget.unwrap_or(DEFAULT_PAGE_BUDGET);
        if !(1..=5000).contains(&budget) {
            return Err(AppError::bad("page_budget: from 1 to 5000 pages."));
        }
        s.page_budget = Some(budget);
    }
    if !(5..=720).contains(&input.window_minutes) {
        return Err(AppError::bad("window_minutes: from 5 to 720 minutes."));
    }
    if !(1..=336).contains(&input.window_hours) {
        return Err(AppError::bad("window_hours: from 1 to 336 hours (two weeks)."));
    }
    s.window_minutes = input.window_minutes;
    s.window_hours = input.window_hours;
    Ok(s)
}

/// The project's launch as unix seconds: its date and time (midnight without one) in its time
/// zone.
pub fn launch_instant(launch_date: &str, launch_time: Option<&str>, time_zone: &str) -> Option<i64> {
    let date = parse_date(launch_date)?;
    let (h, m) = launch_time.and_then(parse_time).unwrap_or((0, 0));
    let dt = civil::date(date.year() as i16, u8::from(date.month()) as i8, date.day() as i8).at(h as i8, m as i8, 0, 0);
    let tz = TimeZone::get(time_zone).ok()?;
    dt.to_zoned(tz).ok().map(|z| z.timestamp().as_second())
}

/// The schedule in words.
pub fn describe(s: &ScheduleInput, time_zone: &str, launch: Option<i64>) -> String {
    let regular = match s.every {
        Every::Off => "no regular runs".to_string(),
        Every::Interval => match s.interval_minutes.unwrap_or(60) {
            m if m % 1440 == 0 => plural(m / 1440, "day"),
            m if m % 60 == 0 => plural(m / 60, "hour"),
            m => plural(m, "minute"),
        },
        Every::Daily => format!("daily at {} ({time_zone})", s.at.as_deref().unwrap_or("")),
        Every::Weekly => {
            let day = s.weekday.as_deref().unwrap_or("");
            let day = day[..1.min(day.len())].to_uppercase() + &day[1.min(day.len())..];
            format!("every {day} at {} ({time_zone})", s.at.as_deref().unwrap_or(""))
        }
        Every::Cron => {
            let expr = s.cron.as_deref().unwrap_or("");
            let words = Cron::from_str(expr).map(|c| c.describe()).unwrap_or_default();
            format!("cron \"{expr}\" ({time_zone}){}", if words.is_empty() { String::new() } else { format!(": {}", words.trim_end_matches('.')) })
        }
    };
    let regular = if s.every == Every::Interval { format!("every {regular}") } else { regular };
    let kind = if s.light { format!(", light (HTTP checks only, {} pages at most)", s.page_budget.unwrap_or(DEFAULT_PAGE_BUDGET)) } else { String::new() };
    let text = if s.launch_window {
        let from = match launch.and_then(|t| Timestamp::from_second(t).ok()) {
            Some(t) => t.to_zoned(TimeZone::get(time_zone).unwrap_or(TimeZone::UTC)).strftime("%-d %b %Y, %H:%M").to_string(),
            None => "the launch".into(),
        };
        format!("launch window: every {} for {} from {from}, then {regular}", plural(s.window_minutes, "minute"), count(s.window_hours, "hour"))
    } else {
        regular
    };
    format!("{text}{kind}{}", if s.paused { " — paused" } else { "" })
}

/// "minute", "15 minutes": after "every".
fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        unit.to_string()
    } else {
        count(n, unit)
    }
}

/// "1 hour", "48 hours".
fn count(n: i64, unit: &str) -> String {
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[derive(sqlx::FromRow)]
struct Row {
    environment_id: i64,
    environment: String,
    project_id: i64,
    time_zone: String,
    launch_date: String,
    launch_time: Option<String>,
    archived: i64,
    every: Option<String>,
    interval_minutes: Option<i64>,
    at_time: Option<String>,
    weekday: Option<i64>,
    cron: Option<String>,
    light: Option<i64>,
    page_budget: Option<i64>,
    launch_window: Option<i64>,
    window_minutes: Option<i64>,
    window_hours: Option<i64>,
    paused: Option<i64>,
    next_at: Option<i64>,
    last_slot_at: Option<i64>,
    last_outcome: Option<String>,
}

/// Every environment with its schedule (an environment without one reads as `off`).
const SELECT: &str = "
    SELECT e.id AS environment_id, e.name AS environment, p.id AS project_id, p.time_zone, p.launch_date, p.launch_time,
           CASE WHEN p.archived_at IS NULL THEN 0 ELSE 1 END AS archived,
           s.every, s.interval_minutes, s.at_time, s.weekday, s.cron, s.light, s.page_budget, s.launch_window,
           s.window_minutes, s.window_hours, s.paused, s.next_at, s.last_slot_at, s.last_outcome
    FROM environments e JOIN projects p ON p.id = e.project_id LEFT JOIN schedules s ON s.environment_id = e.id";

impl Row {
    fn settings(&self) -> ScheduleInput {
        ScheduleInput {
            every: self.every.as_deref().and_then(Every::parse).unwrap_or_default(),
            interval_minutes: self.interval_minutes,
            at: self.at_time.clone(),
            weekday: self.weekday.and_then(|d| WEEKDAYS.get((d - 1).clamp(0, 6) as usize)).map(|d| d.to_string()),
            cron: self.cron.clone(),
            light: self.light.unwrap_or(0) != 0,
            page_budget: self.page_budget,
            launch_window: self.launch_window.unwrap_or(0) != 0,
            window_minutes: self.window_minutes.unwrap_or(15),
            window_hours: self.window_hours.unwrap_or(48),
            paused: self.paused.unwrap_or(0) != 0,
        }
    }

    fn launch(&self) -> Option<i64> {
        launch_instant(&self.launch_date, self.launch_time.as_deref(), &self.time_zone)
    }

    fn plan(&self) -> Result<Plan, String> {
        Plan::new(&self.settings(), &self.time_zone, self.launch())
    }

    fn view(self, t: i64) -> Schedule {
        let settings = self.settings();
        let in_launch_window = self.plan().is_ok_and(|p| p.in_window(t));
        Schedule {
            environment_id: self.environment_id,
            description: describe(&settings, &self.time_zone, self.launch()),
            environment: self.environment,
            settings,
            time_zone: self.time_zone,
            next_at: self.next_at,
            last_slot_at: self.last_slot_at,
            last_outcome: self.last_outcome.unwrap_or_default(),
            in_launch_window,
        }
    }
}

/// The schedules of a project's environments, in the environments' order.
pub async fn list(pool: &Pool, project_id: i64) -> AppResult<Vec<Schedule>> {
    super::projects::get(pool, project_id).await?;
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE p.id = $1 ORDER BY e.position, e.id")).bind(project_id).fetch_all(pool).await?;
    let t = now();
    Ok(rows.into_iter().map(|r| r.view(t)).collect())
}

/// The project's Watch page.
pub async fn view(pool: &Pool, project_id: i64) -> AppResult<preflight_model::WatchView> {
    let project = super::projects::get(pool, project_id).await?;
    Ok(preflight_model::WatchView {
        project_id,
        launch_at: launch_instant(&project.launch_date, project.launch_time.as_deref(), &project.time_zone),
        project_name: project.name,
        time_zone: project.time_zone,
        now: now(),
        schedules: list(pool, project_id).await?,
        notify: super::notify::settings(pool, project_id).await?,
    })
}

pub async fn get(pool: &Pool, environment_id: i64) -> AppResult<Schedule> {
    Ok(row(pool, environment_id).await?.view(now()))
}

async fn row(pool: &Pool, environment_id: i64) -> AppResult<Row> {
    sqlx::query_as(&format!("{SELECT} WHERE e.id = $1")).bind(environment_id).fetch_optional(pool).await?.ok_or(AppError::NotFound("environment"))
}

/// Sets an environment's schedule; its next slot is the first after now (none while paused).
pub async fn set(store: &crate::Store, actor: &UserInfo, environment_id: i64, input: &ScheduleInput) -> AppResult<Schedule> {
    let s = validate(input)?;
    let before = row(&store.pool, environment_id).await?;
    let launch = before.launch();
    let plan = Plan::new(&s, &before.time_zone, launch).map_err(AppError::bad)?;
    let t = now();
    let next_at = if s.paused { None } else { plan.next_after(t) };
    let weekday = s.weekday.as_deref().and_then(|d| weekday_number(d).ok()).map(i64::from);
    let mut tx = super::db::begin_write(&store.pool).await?;
    sqlx::query(
        "INSERT INTO schedules (environment_id, project_id, every, interval_minutes, at_time, weekday, cron, light, page_budget, launch_window,
                                window_minutes, window_hours, paused, next_at, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (environment_id) DO UPDATE SET every = excluded.every, interval_minutes = excluded.interval_minutes, at_time = excluded.at_time,
             weekday = excluded.weekday, cron = excluded.cron, light = excluded.light, page_budget = excluded.page_budget,
             launch_window = excluded.launch_window, window_minutes = excluded.window_minutes, window_hours = excluded.window_hours,
             paused = excluded.paused, next_at = excluded.next_at, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(environment_id)
    .bind(before.project_id)
    .bind(s.every.as_str())
    .bind(s.interval_minutes)
    .bind(&s.at)
    .bind(weekday)
    .bind(&s.cron)
    .bind(i64::from(s.light))
    .bind(s.page_budget)
    .bind(i64::from(s.launch_window))
    .bind(s.window_minutes)
    .bind(s.window_hours)
    .bind(i64::from(s.paused))
    .bind(next_at)
    .bind(t)
    .bind(actor.id)
    .execute(&mut *tx)
    .await?;
    let what = match (before.settings().paused, s.paused) {
        (false, true) => "paused the schedule of".to_string(),
        (true, false) => "resumed the schedule of".to_string(),
        _ => "set the schedule of".to_string(),
    };
    let summary = format!("{what} {}: {}", before.environment, describe(&s, &before.time_zone, launch));
    super::activity::log_in(&mut tx, before.project_id, &actor.name, "schedule", &summary, t).await?;
    tx.commit().await?;
    store.schedules_changed.notify_one();
    get(&store.pool, environment_id).await
}

/// After a project's launch time or time zone changed: every schedule of it plans again from
/// `t` (in the caller's transaction).
pub async fn replan_project(conn: &mut Conn, project_id: i64, t: i64) -> AppResult<()> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE p.id = $1 AND s.environment_id IS NOT NULL")).bind(project_id).fetch_all(&mut *conn).await?;
    for row in rows {
        let next = if row.settings().paused { None } else { row.plan().ok().and_then(|p| p.next_after(t)) };
        sqlx::query("UPDATE schedules SET next_at = $1 WHERE environment_id = $2").bind(next).bind(row.environment_id).execute(&mut *conn).await?;
    }
    Ok(())
}

/// The earliest slot of any schedule (for the scheduler's sleep).
pub async fn next_due(pool: &Pool) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT MIN(next_at) FROM schedules WHERE paused = 0").fetch_one(pool).await?)
}

/// What one [`tick`] did with a due slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    Queued {
        environment_id: i64,
        run_id: i64,
    },
    /// A run of the environment was queued or running: no second one (no pile-up).
    Skipped {
        environment_id: i64,
        busy_run: i64,
    },
    /// The project is archived: nothing runs.
    Archived {
        environment_id: i64,
    },
}

/// Takes every slot due at `t`: queues a run for each (marked `schedule`, light or full as the
/// schedule says) unless the environment has a run queued or running, and moves each
/// schedule's next slot past `t`. Another process that took the same slot first wins; this
/// one then leaves it alone.
pub async fn tick(store: &crate::Store, t: i64) -> AppResult<Vec<Slot>> {
    let due: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE s.next_at IS NOT NULL AND s.next_at <= $1 AND s.paused = 0 ORDER BY s.next_at"))
        .bind(t)
        .fetch_all(&store.pool)
        .await?;
    let mut done = Vec::new();
    for row in due {
        let (slot, next) = (row.next_at.unwrap_or(t), row.plan().ok().and_then(|p| p.next_after(t)));
        let mut tx = super::db::begin_write(&store.pool).await?;
        let took = sqlx::query("UPDATE schedules SET next_at = $1, last_slot_at = $2 WHERE environment_id = $3 AND next_at = $4")
            .bind(next)
            .bind(slot)
            .bind(row.environment_id)
            .bind(slot)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if took == 0 {
            continue;
        }
        let busy: Option<i64> = sqlx::query_scalar("SELECT MIN(id) FROM runs WHERE environment_id = $1 AND status IN ('queued', 'running')")
            .bind(row.environment_id)
            .fetch_one(&mut *tx)
            .await?;
        let settings = row.settings();
        let outcome = if row.archived != 0 {
            Slot::Archived { environment_id: row.environment_id }
        } else if let Some(busy_run) = busy {
            Slot::Skipped { environment_id: row.environment_id, busy_run }
        } else {
            let project = super::projects::get(&store.pool, row.project_id).await?;
            let env = project.environments.iter().find(|e| e.id == Some(row.environment_id)).ok_or(AppError::NotFound("environment"))?;
            let run_id = super::runs::insert_in(&mut tx, row.project_id, None, env, RunCause::Schedule).await?;
            if settings.light {
                sqlx::query("UPDATE runs SET light = 1, page_budget = $1 WHERE id = $2")
                    .bind(settings.page_budget.unwrap_or(DEFAULT_PAGE_BUDGET))
                    .bind(run_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let kind = if settings.light { "light" } else { "full" };
            super::activity::log_in(&mut tx, row.project_id, "Schedule", "run", &format!("started scheduled {kind} check run #{run_id} of {}", env.name), t)
                .await?;
            Slot::Queued { environment_id: row.environment_id, run_id }
        };
        let said = match &outcome {
            Slot::Queued { run_id, .. } => format!("queued run #{run_id}"),
            Slot::Skipped { busy_run, .. } => format!("skipped: run #{busy_run} was still going"),
            Slot::Archived { .. } => "skipped: the project is archived".into(),
        };
        sqlx::query("UPDATE schedules SET last_outcome = $1 WHERE environment_id = $2").bind(said).bind(row.environment_id).execute(&mut *tx).await?;
        tx.commit().await?;
        if let Slot::Queued { run_id, .. } = outcome {
            super::runs::announce(store, run_id).await?;
        }
        done.push(outcome);
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_second()
    }

    fn input(every: Every) -> ScheduleInput {
        ScheduleInput { every, ..Default::default() }
    }

    #[test]
    fn intervals_are_on_the_clock() {
        let s = ScheduleInput { interval_minutes: Some(30), ..input(Every::Interval) };
        let p = Plan::new(&validate(&s).unwrap(), "UTC", None).unwrap();
        assert_eq!(p.next_after(at("2027-03-01T10:07:00Z")), Some(at("2027-03-01T10:30:00Z")));
        assert_eq!(p.next_after(at("2027-03-01T10:30:00Z")), Some(at("2027-03-01T11:00:00Z")), "strictly after");
    }

    #[test]
    fn daily_and_weekly_times_are_read_in_the_project_time_zone_across_summer_time() {
        let s = validate(&ScheduleInput { at: Some("09:00".into()), ..input(Every::Daily) }).unwrap();
        let p = Plan::new(&s, "Europe/Berlin", None).unwrap();
        // Winter: 09:00 in Berlin is 08:00 UTC; after the change on 28 March 2027, 07:00 UTC.
        assert_eq!(p.next_after(at("2027-03-01T12:00:00Z")), Some(at("2027-03-02T08:00:00Z")));
        assert_eq!(p.next_after(at("2027-03-28T12:00:00Z")), Some(at("2027-03-29T07:00:00Z")));
        let s = validate(&ScheduleInput { at: Some("18:30".into()), weekday: Some("Fri".into()), ..input(Every::Weekly) }).unwrap();
        assert_eq!(s.weekday.as_deref(), Some("friday"));
        let p = Plan::new(&s, "America/New_York", None).unwrap();
        // Monday 1 March 2027 → Friday 5 March, 18:30 EST = 23:30 UTC.
        assert_eq!(p.next_after(at("2027-03-01T00:00:00Z")), Some(at("2027-03-05T23:30:00Z")));
        let sunday = validate(&ScheduleInput { at: Some("06:00".into()), weekday: Some("sunday".into()), ..input(Every::Weekly) }).unwrap();
        assert_eq!(Plan::new(&sunday, "UTC", None).unwrap().next_after(at("2027-03-01T00:00:00Z")), Some(at("2027-03-07T06:00:00Z")));
    }

    #[test]
    fn cron_expressions_use_a_cron_library_and_must_have_five_fields() {
        let s = validate(&ScheduleInput { cron: Some("*/20  9-10 * * 1-5".into()), ..input(Every::Cron) }).unwrap();
        assert_eq!(s.cron.as_deref(), Some("*/20 9-10 * * 1-5"));
        let p = Plan::new(&s, "UTC", None).unwrap();
        // Friday 5 March 2027, 10:41 → Monday 09:00.
        assert_eq!(p.next_after(at("2027-03-05T10:41:00Z")), Some(at("2027-03-08T09:00:00Z")));
        assert_eq!(p.next_after(at("2027-03-08T09:00:00Z")), Some(at("2027-03-08T09:20:00Z")));
        for bad in ["* * * * * *", "61 * * * *", "every day", ""] {
            let e = validate(&ScheduleInput { cron: Some(bad.into()), ..input(Every::Cron) }).unwrap_err().to_string();
            assert!(e.starts_with("cron:"), "{bad}: {e}");
        }
    }

    #[test]
    fn bad_settings_name_their_field() {
        for (s, field) in [
            (ScheduleInput { interval_minutes: Some(1), ..input(Every::Interval) }, "interval_minutes:"),
            (input(Every::Interval), "interval_minutes:"),
            (ScheduleInput { at: Some("25:00".into()), ..input(Every::Daily) }, "at:"),
            (input(Every::Daily), "at:"),
            (ScheduleInput { at: Some("09:00".into()), weekday: Some("someday".into()), ..input(Every::Weekly) }, "weekday:"),
            (ScheduleInput { light: true, page_budget: Some(0), ..input(Every::Off) }, "page_budget:"),
            (ScheduleInput { window_minutes: 1, ..input(Every::Off) }, "window_minutes:"),
            (ScheduleInput { window_hours: 0, ..input(Every::Off) }, "window_hours:"),
        ] {
            let e = validate(&s).unwrap_err().to_string();
            assert!(e.starts_with(field), "{s:?}: {e}");
        }
    }

    #[test]
    fn the_launch_window_replaces_the_normal_schedule_for_its_hours() {
        let s = validate(&ScheduleInput { at: Some("06:00".into()), launch_window: true, window_hours: 2, ..input(Every::Daily) }).unwrap();
        let launch = launch_instant("2027-03-01", Some("10:00"), "UTC").unwrap();
        assert_eq!(launch, at("2027-03-01T10:00:00Z"));
        let p = Plan::new(&s, "UTC", Some(launch)).unwrap();
        // Before the launch day's window: the daily 06:00 run, then the window opens at 10:00.
        assert_eq!(p.next_after(at("2027-02-28T12:00:00Z")), Some(at("2027-03-01T06:00:00Z")));
        assert_eq!(p.next_after(at("2027-03-01T06:00:00Z")), Some(at("2027-03-01T10:00:00Z")));
        // Every 15 minutes in it, and no daily run while it lasts.
        assert_eq!(p.next_after(at("2027-03-01T10:00:00Z")), Some(at("2027-03-01T10:15:00Z")));
        assert_eq!(p.next_after(at("2027-03-01T11:44:00Z")), Some(at("2027-03-01T11:45:00Z")));
        assert!(p.in_window(at("2027-03-01T11:50:00Z")) && !p.in_window(at("2027-03-01T12:00:00Z")));
        // After 2 hours: back to daily at 06:00.
        assert_eq!(p.next_after(at("2027-03-01T11:45:00Z")), Some(at("2027-03-02T06:00:00Z")));
        // A window with nothing else scheduled ends in nothing.
        let only = validate(&ScheduleInput { launch_window: true, window_hours: 1, ..input(Every::Off) }).unwrap();
        let p = Plan::new(&only, "UTC", Some(launch)).unwrap();
        assert_eq!(p.next_after(at("2027-03-01T10:45:00Z")), None);
        assert_eq!(p.next_after(at("2027-03-01T09:00:00Z")), Some(launch));
    }

    #[test]
    fn schedules_read_as_sentences() {
        let s = validate(&ScheduleInput { interval_minutes: Some(120), light: true, ..input(Every::Interval) }).unwrap();
        assert_eq!(describe(&s, "UTC", None), "every 2 hours, light (HTTP checks only, 20 pages at most)");
        let s = validate(&ScheduleInput { at: Some("09:00".into()), weekday: Some("mon".into()), paused: true, ..input(Every::Weekly) }).unwrap();
        assert_eq!(describe(&s, "Europe/Berlin", None), "every Monday at 09:00 (Europe/Berlin) — paused");
        let s = validate(&ScheduleInput { launch_window: true, ..input(Every::Off) }).unwrap();
        let launch = launch_instant("2027-03-01", Some("09:30"), "Europe/Berlin");
        assert_eq!(describe(&s, "Europe/Berlin", launch), "launch window: every 15 minutes for 48 hours from 1 Mar 2027, 09:30, then no regular runs");
    }
}
