-- The new `noindex-on-production` check gives the production robots item its evidence too.
UPDATE checklist_items SET checks = '["robots-missing","robots-disallows-all","noindex-on-production"]'
WHERE template_key = 'robots-production' AND checks = '["robots-missing","robots-disallows-all"]';
