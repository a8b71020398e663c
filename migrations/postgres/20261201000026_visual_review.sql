-- Visual review. Each screenshot is scored when it is recorded against the same page and
-- viewport of its environment's baseline run (or, without one, its previous finished run):
-- `compared_with` is that screenshot, `change_ppm` the share of pixels that differ in parts
-- per million. Both NULL: nothing to compare with (a new page, or a first run).
ALTER TABLE screenshots ADD COLUMN compared_with BIGINT REFERENCES screenshots(id) ON DELETE SET NULL;
-- The page's <title>, for headings people read (the client page).
ALTER TABLE screenshots ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE screenshots ADD COLUMN change_ppm BIGINT;

-- Reviews come from the client (through a share link) or from the team (signed in).
ALTER TABLE reviews ADD COLUMN source TEXT NOT NULL DEFAULT 'client' CHECK (source IN ('client', 'team'));

-- Ignore regions: one per line, `[/path-prefix] css-selector-list`; masked before each screenshot.
ALTER TABLE projects ADD COLUMN ignore_regions TEXT NOT NULL DEFAULT '';

-- The run an environment's screenshots are compared with, as accepted by the team.
CREATE TABLE baselines (
    environment_id BIGINT PRIMARY KEY REFERENCES environments(id) ON DELETE CASCADE,
    run_id         BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    set_by         TEXT    NOT NULL,
    set_at         BIGINT NOT NULL
);
