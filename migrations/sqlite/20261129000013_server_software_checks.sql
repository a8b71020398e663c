-- The new server-software checks give existing checklists' items their evidence too.
UPDATE checklist_items SET checks = '["debug-page-exposed","dev-server-in-production"]'
WHERE template_key = 'debug-off' AND checks = '["debug-page-exposed"]';
UPDATE checklist_items SET checks = '["security-header-missing","server-version-disclosed"]'
WHERE template_key = 'security-headers' AND checks = '["security-header-missing"]';
