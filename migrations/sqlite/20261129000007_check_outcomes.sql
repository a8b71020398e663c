-- Every check's outcome per run: passed, failed, not_applicable or skipped, with the reason.
--
-- Choices:
-- * A JSON array [{id, status, reason}] beside `checks_run` (kept: the ids that really looked),
--   written with the findings in the run's one final transaction, like the rest of a run.
-- * Runs finished before this column existed keep '[]'; readers derive their outcomes from
--   `checks_run` and the findings (a check not listed there is "not recorded", never passed).
ALTER TABLE runs ADD COLUMN checks TEXT NOT NULL DEFAULT '[]';
