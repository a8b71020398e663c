-- Domain registration lookups (RDAP), at most one a day per domain: when it was looked up,
-- when the registration expires (NULL: unknown), and the last lookup's error.
CREATE TABLE domain_checks (
    domain     TEXT    PRIMARY KEY,
    checked_at INTEGER NOT NULL,
    expires_at INTEGER,
    error      TEXT    NOT NULL DEFAULT ''
);
