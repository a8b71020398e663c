-- The agreed scope, training notes for the client, and the project's activity log.
--
-- Choices:
-- * Scope history keeps a JSON snapshot of the item after every change, so the scope on
--   any date can be rebuilt (the latest snapshot at or before that moment per item) and
--   two dates compared, e.g. launch day against today.
-- * Change requests are separate rows: proposed by the team or the client, then approved
--   or declined (by the client, or recorded by the team on the client's word), dated.
--   Approving one changes or creates the scope item and leaves a history entry.
-- * Actors are stored by name as well as id: clients without accounts act through share
--   links, and names stay readable after a member is removed.

CREATE TABLE scope_items (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    source      TEXT    NOT NULL DEFAULT '',
    agreed_on   TEXT,
    status      TEXT    NOT NULL DEFAULT 'agreed'
                CHECK (status IN ('agreed', 'in_progress', 'delivered', 'out_of_scope')),
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX scope_items_project ON scope_items(project_id, id);

CREATE TABLE scope_history (
    id            INTEGER PRIMARY KEY,
    scope_item_id INTEGER NOT NULL REFERENCES scope_items(id) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    actor         TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    snapshot      TEXT    NOT NULL,
    note          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX scope_history_item ON scope_history(scope_item_id, at, id);

CREATE TABLE change_requests (
    id               INTEGER PRIMARY KEY,
    project_id       INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    scope_item_id    INTEGER REFERENCES scope_items(id) ON DELETE SET NULL,
    title            TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    reason           TEXT    NOT NULL,
    proposed_by_kind TEXT    NOT NULL CHECK (proposed_by_kind IN ('team', 'client')),
    proposed_by      TEXT    NOT NULL,
    proposed_at      INTEGER NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'declined')),
    decided_by       TEXT,
    decided_at       INTEGER,
    decision_note    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX change_requests_project ON change_requests(project_id, id);

CREATE TABLE training_notes (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    title          TEXT    NOT NULL,
    body           TEXT    NOT NULL DEFAULT '',
    client_visible INTEGER NOT NULL DEFAULT 0,
    position       INTEGER NOT NULL DEFAULT 0,
    version        INTEGER NOT NULL DEFAULT 1,
    updated_by     TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX training_notes_project ON training_notes(project_id, position, id);

CREATE TABLE activity (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    summary    TEXT    NOT NULL
);
CREATE INDEX activity_project ON activity(project_id, id);
