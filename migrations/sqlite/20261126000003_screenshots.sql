-- Browser checks: the screenshots a run took (one per page and viewport) and the visual
-- diffs made between runs.
--
-- Choices:
-- * Images live as files in the data folder (screenshots/run-<id>/…); the database keeps
--   what the gallery shows beside them, and file names relative to that folder.
-- * Rows are written as each screenshot is taken, so the gallery fills in during the run;
--   a run's findings are still written all at once at its end.
-- * Diffs are made on first request and kept; the share of changed pixels is stored in
--   parts per million.

CREATE TABLE screenshots (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    url         TEXT    NOT NULL,
    final_url   TEXT    NOT NULL DEFAULT '',
    viewport    TEXT    NOT NULL,
    file        TEXT    NOT NULL,
    thumb       TEXT    NOT NULL DEFAULT '',
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    page_height INTEGER NOT NULL DEFAULT 0,
    load_ms     INTEGER NOT NULL DEFAULT 0,
    overflow_px INTEGER NOT NULL DEFAULT 0,
    console     TEXT    NOT NULL DEFAULT '[]', -- JSON array of lines
    problems    TEXT    NOT NULL DEFAULT '[]', -- JSON array of check ids
    created_at  INTEGER NOT NULL
);
CREATE INDEX screenshots_run ON screenshots(run_id, url, viewport);

CREATE TABLE screenshot_diffs (
    before_id   INTEGER NOT NULL REFERENCES screenshots(id) ON DELETE CASCADE,
    after_id    INTEGER NOT NULL REFERENCES screenshots(id) ON DELETE CASCADE,
    changed_ppm INTEGER NOT NULL,
    file        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (before_id, after_id)
);

-- Per project: the viewports its runs use ('' turns the browser checks off) and forms to
-- submit whatever the environment (one PAGE or PAGE#FORM-ID per line).
ALTER TABLE projects ADD COLUMN viewports TEXT NOT NULL DEFAULT 'desktop,old-ie,ipad,phone';
ALTER TABLE projects ADD COLUMN forms_listed TEXT NOT NULL DEFAULT '';
-- Per environment: submit test forms (NULL: yes on dev and staging, no on production).
ALTER TABLE environments ADD COLUMN submit_forms INTEGER;
