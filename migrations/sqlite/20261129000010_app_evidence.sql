-- Evidence from the app's own data: checklist items name "signals" besides checks
-- (screenshots approved, training notes shared and acknowledged, scope agreed, a dev site that
-- answers, a retrospective saved and an action promoted), and the client's acknowledgement of
-- the training notes through the review link.
ALTER TABLE template_items ADD COLUMN signals TEXT NOT NULL DEFAULT '[]';
ALTER TABLE checklist_items ADD COLUMN signals TEXT NOT NULL DEFAULT '[]';

UPDATE checklist_items SET signals = '["screenshots-approved"]' WHERE template_key = 'content-review';
UPDATE checklist_items SET signals = '["training-notes-shared","training-acknowledged"]' WHERE template_key = 'how-to-guides';
UPDATE checklist_items SET signals = '["scope-agreed"]' WHERE template_key = 'agreed-scope';
UPDATE checklist_items SET signals = '["dev-environment-reached"]' WHERE template_key = 'dev-site';
UPDATE checklist_items SET signals = '["retrospective-saved"]' WHERE template_key = 'retrospective';
UPDATE checklist_items SET signals = '["retro-action-promoted"]' WHERE template_key = 'update-checklist';
UPDATE checklist_items SET checks = '["dev-publicly-accessible"]' WHERE template_key = 'dev-access-control' AND checks = '[]';

CREATE TABLE training_acks (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    share_link_id INTEGER REFERENCES share_links(id) ON DELETE SET NULL,
    name          TEXT    NOT NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX training_acks_project ON training_acks(project_id, at);
