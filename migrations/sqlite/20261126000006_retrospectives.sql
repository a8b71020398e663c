-- Retrospectives after launch, and their action items (which can be promoted into the
-- checklist template: a new template version, the item's origin naming the project).

CREATE TABLE retrospectives (
    project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    went_well  TEXT    NOT NULL DEFAULT '',
    smoother   TEXT    NOT NULL DEFAULT '',
    version    INTEGER NOT NULL DEFAULT 1,
    updated_by TEXT    NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);

CREATE TABLE retro_actions (
    id               INTEGER PRIMARY KEY,
    project_id       INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    title            TEXT    NOT NULL,
    phase            TEXT    NOT NULL,
    why              TEXT    NOT NULL DEFAULT '',
    due_offset_days  INTEGER NOT NULL DEFAULT 0,
    created_by       TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    promoted_version INTEGER,
    promoted_at      INTEGER
);
CREATE INDEX retro_actions_project ON retro_actions(project_id, id);
