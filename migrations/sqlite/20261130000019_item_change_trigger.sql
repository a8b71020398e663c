-- A change to a checklist item is one statement: the UPDATE names what it did
-- (change_action, change_detail) and this trigger records it in the item's history and, for a
-- state change, in the project's activity — in the same statement, so atomically, and without
-- the three more round trips (BEGIN, two INSERTs, COMMIT) the tick path used to hold the
-- write turn for.
ALTER TABLE checklist_items ADD COLUMN change_action TEXT NOT NULL DEFAULT '';
ALTER TABLE checklist_items ADD COLUMN change_detail TEXT NOT NULL DEFAULT '';
CREATE TRIGGER checklist_item_changed AFTER UPDATE OF version ON checklist_items
BEGIN
    INSERT INTO checklist_events (item_id, project_id, user_id, at, action, detail)
        VALUES (NEW.id, NEW.project_id, NEW.updated_by, NEW.updated_at, NEW.change_action, NEW.change_detail);
    INSERT INTO activity (project_id, at, actor, kind, summary)
        SELECT NEW.project_id, NEW.updated_at, u.name, 'tick', NEW.change_detail || ': ' || NEW.title
        FROM users u WHERE u.id = NEW.updated_by AND NEW.change_action = 'state';
END;
