-- Accessibility checks (axe-core) per project: the WCAG level the site is held to, and the
-- rules left out with the reason, one `rule = reason` per line.
ALTER TABLE projects ADD COLUMN wcag_level TEXT NOT NULL DEFAULT 'AA' CHECK (wcag_level IN ('A', 'AA'));
ALTER TABLE projects ADD COLUMN a11y_ignore TEXT NOT NULL DEFAULT '';
