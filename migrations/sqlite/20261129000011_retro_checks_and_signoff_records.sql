-- Retrospective actions may name the automated checks that will give the future checklist
-- item its evidence; a launch sign-off is a record that is never deleted (a project that has
-- one is archived instead of deleted).
ALTER TABLE retro_actions ADD COLUMN checks TEXT NOT NULL DEFAULT '[]';

CREATE TRIGGER signoffs_never_deleted BEFORE DELETE ON signoffs
BEGIN
    SELECT RAISE(ABORT, 'a launch sign-off is a record: it is never deleted');
END;
