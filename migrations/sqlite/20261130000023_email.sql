-- E-mail. `email_prefs`: which rules a person gets by e-mail (a rule without a row is on).
-- `unsubscribe_tokens`: the one-click unsubscribe link of each message (List-Unsubscribe),
-- stored hashed. `account_tokens`: invitations and password resets sent by e-mail — single
-- use (`used_at`), short-lived (`expires_at`), stored hashed.
CREATE TABLE email_prefs (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    rule    TEXT    NOT NULL,
    enabled INTEGER NOT NULL,
    PRIMARY KEY (user_id, rule)
);
CREATE TABLE unsubscribe_tokens (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    rule       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE account_tokens (
    token_hash BLOB    PRIMARY KEY,
    kind       TEXT    NOT NULL,
    user_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,
    email      TEXT    NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    role       TEXT    NOT NULL DEFAULT 'member',
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX account_tokens_email ON account_tokens(email, kind);
-- The one-click unsubscribe address of an e-mail in the outbox (its List-Unsubscribe header).
ALTER TABLE outbox ADD COLUMN list_unsubscribe TEXT NOT NULL DEFAULT '';
