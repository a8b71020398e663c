-- Check runs: durable jobs in the database, and their findings.
--
-- Choices:
-- * A run is claimed with one UPDATE … RETURNING (queued → running); no transaction is
--   held while it runs, so other writers are never blocked by a long crawl.
-- * Findings and the final status are written in one transaction at the end: a run is
--   either finished with all its findings or has none (never half-written).
-- * A server killed mid-run leaves 'running' rows; start-up marks them 'interrupted'.
-- * The environment's URL and kind are copied onto the run, so editing the project later
--   does not rewrite what a past run checked.

CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    project_id       INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    environment_id   INTEGER REFERENCES environments(id) ON DELETE SET NULL,
    environment_name TEXT    NOT NULL,
    env_kind         TEXT    NOT NULL,
    base_url         TEXT    NOT NULL,
    resolve_ip       TEXT,
    status           TEXT    NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'passed', 'failed', 'interrupted')),
    requested_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    progress_phase   TEXT    NOT NULL DEFAULT '',
    progress_done    INTEGER NOT NULL DEFAULT 0,
    progress_total   INTEGER NOT NULL DEFAULT 0,
    pages_crawled    INTEGER NOT NULL DEFAULT 0,
    checks_run       TEXT    NOT NULL DEFAULT '[]', -- JSON array of check ids evaluated
    error            TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX runs_project ON runs(project_id, id);
CREATE INDEX runs_status ON runs(status, id);

CREATE TABLE findings (
    id       INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    check_id TEXT    NOT NULL,
    severity TEXT    NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
    url      TEXT    NOT NULL,
    message  TEXT    NOT NULL,
    evidence TEXT    NOT NULL DEFAULT '',
    advice   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX findings_run ON findings(run_id, check_id);
