-- Page quality per run: each page at each viewport, as the browser stage measured it — its
-- timing and transfer (JSON, preflight_model::PageMetrics) and the accessibility rules it
-- failed with their elements (JSON, [preflight_model::A11yIssue]). Kept per run, so an
-- environment's trend shows across runs.
CREATE TABLE page_quality (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    url         TEXT    NOT NULL,
    viewport    TEXT    NOT NULL,
    metrics     TEXT,
    a11y        TEXT    NOT NULL DEFAULT '[]',
    a11y_error  TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX page_quality_run ON page_quality(run_id, url, viewport);
