-- Scheduled check runs (one schedule per environment) and the project's time zone they are
-- read in. `every`: 'off', 'interval' (every `interval_minutes`), 'daily' / 'weekly' (at
-- `at_time` HH:MM, weekly on `weekday` 1 = Monday … 7 = Sunday) or 'cron' (`cron`, five
-- fields). A launch window (`launch_window`) runs every `window_minutes` for `window_hours`
-- from the project's launch time, then the normal schedule goes on. `next_at` is the next slot
-- (unix seconds): a scheduler takes a due slot by moving `next_at` on (one process wins) and
-- queues a run unless one of the environment is queued or running. Light runs check over HTTP
-- only, `page_budget` pages at most.
ALTER TABLE projects ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
CREATE TABLE schedules (
    environment_id   BIGINT PRIMARY KEY REFERENCES environments(id) ON DELETE CASCADE,
    project_id       BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    every            TEXT    NOT NULL DEFAULT 'off',
    interval_minutes BIGINT,
    at_time          TEXT,
    weekday          BIGINT,
    cron             TEXT,
    light            BIGINT NOT NULL DEFAULT 0,
    page_budget      BIGINT,
    launch_window    BIGINT NOT NULL DEFAULT 0,
    window_minutes   BIGINT NOT NULL DEFAULT 15,
    window_hours     BIGINT NOT NULL DEFAULT 48,
    paused           BIGINT NOT NULL DEFAULT 0,
    next_at          BIGINT,
    last_slot_at     BIGINT,
    last_outcome     TEXT    NOT NULL DEFAULT '',
    updated_at       BIGINT NOT NULL,
    updated_by       BIGINT REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX schedules_due ON schedules(next_at);
CREATE INDEX schedules_project ON schedules(project_id);
ALTER TABLE runs ADD COLUMN light BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN page_budget BIGINT;
