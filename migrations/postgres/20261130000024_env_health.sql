-- What the runs say about an environment's health: down since when (NULL: up), why, and when
-- the team was last told — one alert per change, a reminder at most hourly while it is down.
CREATE TABLE env_health (
    environment_id BIGINT PRIMARY KEY REFERENCES environments(id) ON DELETE CASCADE,
    down_since     BIGINT,
    reason         TEXT    NOT NULL DEFAULT '',
    last_alert_at  BIGINT
);
