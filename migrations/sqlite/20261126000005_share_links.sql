-- Client review through share links, screenshot reviews and launch sign-offs.
--
-- Choices:
-- * A link's token (256 random bits) is shown once; only its SHA-256 is stored. A link
--   opens one project (optionally one run) and nothing else; revoked or expired links are
--   refused at once.
-- * Reviews are appended, never edited: the latest per screenshot is its status, the rest
--   is the conversation.
-- * A sign-off freezes the checklist, the scope and the approved screenshots as JSON in one
--   row that the database refuses to change.

CREATE TABLE share_links (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    run_id     INTEGER REFERENCES runs(id) ON DELETE CASCADE,
    token_hash BLOB    NOT NULL UNIQUE,
    label      TEXT    NOT NULL DEFAULT '',
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX share_links_project ON share_links(project_id, id);

CREATE TABLE reviews (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    screenshot_id INTEGER NOT NULL REFERENCES screenshots(id) ON DELETE CASCADE,
    share_link_id INTEGER REFERENCES share_links(id) ON DELETE SET NULL,
    verdict       TEXT    NOT NULL CHECK (verdict IN ('approved', 'changes_requested')),
    reviewer      TEXT    NOT NULL,
    comment       TEXT    NOT NULL DEFAULT '',
    at            INTEGER NOT NULL
);
CREATE INDEX reviews_screenshot ON reviews(screenshot_id, id);
CREATE INDEX reviews_project ON reviews(project_id, id);

CREATE TABLE signoffs (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    share_link_id INTEGER REFERENCES share_links(id) ON DELETE SET NULL,
    signed_by     TEXT    NOT NULL,
    at            INTEGER NOT NULL,
    snapshot      TEXT    NOT NULL
);
CREATE TRIGGER signoffs_never_change BEFORE UPDATE OF project_id, signed_by, at, snapshot ON signoffs
BEGIN
    SELECT RAISE(ABORT, 'a launch sign-off is a record: it never changes');
END;
