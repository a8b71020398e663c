-- Rate limits live in the database, so several servers behind one address share them: sign-in
-- attempts (a sliding window per account × address and per address) and requests to public
-- share pages (a one-minute window per address). Both expire within minutes and are not
-- copied by `preflight migrate-data`.
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX login_attempts_key ON login_attempts(key, at_ms);
CREATE INDEX login_attempts_at ON login_attempts(at_ms);
CREATE TABLE request_windows (
    key TEXT PRIMARY KEY NOT NULL,
    started_ms INTEGER NOT NULL,
    count INTEGER NOT NULL
);
CREATE INDEX request_windows_started ON request_windows(started_ms);
