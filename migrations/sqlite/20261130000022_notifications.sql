-- Notifications. Something worth telling (a rule's event) is written in the same transaction
-- as the change that caused it:
-- * `notify_events`: one row per event key ("run-new-errors:run:12"), so a repeat of the same
--   event tells nobody again;
-- * `notifications`: the in-app notification centre, one row per person;
-- * `outbox`: every message still to send (webhook now; e-mail too), durable: a delivery
--   worker claims rows, retries with exponential backoff, and ends each as sent or failed
--   after N tries with the last error. The idempotency key is made once, at queueing, and is
--   the same on every try, so receivers can drop duplicates.
-- `notification_rules` turns a rule off for a project (a rule without a row is on).
CREATE TABLE notify_events (
    key        TEXT    PRIMARY KEY,
    project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
    rule       TEXT    NOT NULL,
    at         INTEGER NOT NULL
);
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
    rule       TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL DEFAULT '',
    link       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, read_at, id);
CREATE TABLE notification_rules (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    rule       TEXT    NOT NULL,
    enabled    INTEGER NOT NULL,
    PRIMARY KEY (project_id, rule)
);
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL DEFAULT '',
    url        TEXT    NOT NULL,
    format     TEXT    NOT NULL DEFAULT 'json',
    rules      TEXT    NOT NULL DEFAULT '',
    secret     BLOB    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX webhooks_project ON webhooks(project_id);
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    project_id      INTEGER REFERENCES projects(id) ON DELETE CASCADE,
    channel         TEXT    NOT NULL,
    webhook_id      INTEGER REFERENCES webhooks(id) ON DELETE CASCADE,
    email_to        TEXT,
    rule            TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL UNIQUE,
    subject         TEXT    NOT NULL DEFAULT '',
    body            TEXT    NOT NULL,
    html            TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_by      TEXT,
    claimed_at      INTEGER,
    last_error      TEXT    NOT NULL DEFAULT '',
    last_status     INTEGER,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE INDEX outbox_project ON outbox(project_id, id);
