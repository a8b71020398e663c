-- Per project: the region national phone numbers are written in (ISO 3166 alpha-2, '' for
-- none), and the analytics ids every production page must carry (one per line).
ALTER TABLE projects ADD COLUMN phone_region TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN analytics_ids TEXT NOT NULL DEFAULT '';
