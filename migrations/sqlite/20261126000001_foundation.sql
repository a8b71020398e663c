-- Foundation schema: team accounts, sessions, API tokens, projects, environments, the
-- versioned checklist template and each project's checklist with its change history.
--
-- Choices:
-- * Timestamps are unix seconds (INTEGER): cheap to compare, no time-zone ambiguity.
-- * Secrets (session ids, API tokens) are stored only as SHA-256 hashes: a leaked
--   database does not leak a usable credential. They are 256-bit random values, so a
--   fast hash is enough (a password hash would only slow every request).
-- * Checklist items carry `version`, bumped on every change, for optimistic concurrency:
--   an update names the version it saw and is refused when it is stale.
-- * A project's checklist is a *copy* of the template version current at creation, so
--   later template changes never rewrite a running project's list.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('owner', 'member')),
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER
);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  BLOB    NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE,
    -- first characters of the token, shown in the UI so people can tell tokens apart
    prefix       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE template_versions (
    id         INTEGER PRIMARY KEY,
    version    INTEGER NOT NULL UNIQUE,
    -- where this version came from: 'built-in' or a note such as 'retro of project 4'
    source     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE template_items (
    id                  INTEGER PRIMARY KEY,
    template_version_id INTEGER NOT NULL REFERENCES template_versions(id) ON DELETE CASCADE,
    key                 TEXT    NOT NULL,
    phase               TEXT    NOT NULL,
    position            INTEGER NOT NULL,
    title               TEXT    NOT NULL,
    why                 TEXT    NOT NULL,
    due_offset_days     INTEGER NOT NULL,
    checks              TEXT    NOT NULL DEFAULT '[]', -- JSON array of check ids
    talk                TEXT    NOT NULL DEFAULT '',
    origin              TEXT    NOT NULL DEFAULT 'built-in',
    UNIQUE (template_version_id, key)
);

CREATE TABLE projects (
    id                  INTEGER PRIMARY KEY,
    name                TEXT    NOT NULL,
    client              TEXT    NOT NULL DEFAULT '',
    launch_date         TEXT    NOT NULL,          -- YYYY-MM-DD
    launch_time         TEXT,                      -- HH:MM, local to the team
    contact_emails      TEXT    NOT NULL DEFAULT '[]', -- JSON arrays
    contact_phones      TEXT    NOT NULL DEFAULT '[]',
    postal_address      TEXT    NOT NULL DEFAULT '',
    template_version_id INTEGER REFERENCES template_versions(id),
    created_by          INTEGER REFERENCES users(id),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    archived_at         INTEGER
);

CREATE TABLE environments (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('dev', 'staging', 'production')),
    base_url   TEXT    NOT NULL,
    resolve_ip TEXT,
    position   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (project_id, name)
);

CREATE TABLE checklist_items (
    id              INTEGER PRIMARY KEY,
    project_id      INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    template_key    TEXT,                 -- NULL for custom items
    phase           TEXT    NOT NULL,
    position        INTEGER NOT NULL,
    title           TEXT    NOT NULL,
    why             TEXT    NOT NULL DEFAULT '',
    due_offset_days INTEGER NOT NULL,
    checks          TEXT    NOT NULL DEFAULT '[]',
    state           TEXT    NOT NULL DEFAULT 'todo' CHECK (state IN ('todo', 'done', 'not_applicable')),
    na_reason       TEXT    NOT NULL DEFAULT '',
    assignee_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    notes           TEXT    NOT NULL DEFAULT '',
    version         INTEGER NOT NULL DEFAULT 1,
    state_changed_at INTEGER,
    state_changed_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    updated_at      INTEGER NOT NULL,
    updated_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX checklist_items_project ON checklist_items(project_id, phase, position);

-- Every change to an item: who, when, what. Never updated, only appended.
CREATE TABLE checklist_events (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES checklist_items(id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    at         INTEGER NOT NULL,
    action     TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX checklist_events_item ON checklist_events(item_id, at);
CREATE INDEX checklist_events_project ON checklist_events(project_id, at);
