-- Performance budgets per project over the defaults (Core Web Vitals' "good" thresholds):
-- one `metric = value` per line, e.g. `lcp = 2s` or `js = 300KB`.
ALTER TABLE projects ADD COLUMN perf_budgets TEXT NOT NULL DEFAULT '';
