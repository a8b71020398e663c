-- Scope items can be deleted and restored. A deleted item leaves the register but keeps its
-- row and history (the "deleted" entry records who and why), so the scope on an earlier date
-- and comparisons still show it where it stood.
ALTER TABLE scope_items ADD COLUMN deleted_at INTEGER;
ALTER TABLE scope_items ADD COLUMN deleted_by TEXT;
