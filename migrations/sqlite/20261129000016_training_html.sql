-- Training notes keep their sanitised HTML, rendered once when saved (the share page and the
-- API only read it). NULL: written before this column, rendered on first read.
ALTER TABLE training_notes ADD COLUMN html TEXT;
