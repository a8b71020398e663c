-- What app runs can be told, per environment, as the CLI's flags can: old URLs, crawl limits,
-- external links, dev-marker words, the DNS server, and credentials for a protected site.
--
-- Choices:
-- * Lists are newline-separated text; NULL limits mean the engine's defaults.
-- * `credentials` is sealed (ChaCha20-Poly1305) with a key kept in `<data-dir>/secret.key`,
--   outside the database, and bound to the environment's id: a copy of the database alone
--   does not reveal them, and a sealed value moved to another row does not open. Only
--   `credentials_hint` ("HTTP basic authentication as \"preview\"") is ever shown back.
ALTER TABLE environments ADD COLUMN old_urls TEXT NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN max_pages INTEGER;
ALTER TABLE environments ADD COLUMN max_depth INTEGER;
ALTER TABLE environments ADD COLUMN deadline_secs INTEGER;
ALTER TABLE environments ADD COLUMN check_external_links INTEGER NOT NULL DEFAULT 0;
ALTER TABLE environments ADD COLUMN dev_markers TEXT NOT NULL DEFAULT '';
ALTER TABLE environments ADD COLUMN nameserver TEXT;
ALTER TABLE environments ADD COLUMN credentials BLOB;
ALTER TABLE environments ADD COLUMN credentials_hint TEXT NOT NULL DEFAULT '';
