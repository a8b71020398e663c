-- The exposure, caching, error-tracking, social-tag, IE-mode and malformed-form checks give
-- existing checklists' items their evidence too (only items still as the template wrote them).
UPDATE checklist_items SET checks = '["sensitive-file-exposed"]'
WHERE template_key = 'secrets-out-of-repo' AND checks = '[]';
UPDATE checklist_items SET checks = '["wrong-host-link","host-header-accepted"]'
WHERE template_key = 'sites-record' AND checks = '["wrong-host-link"]';
UPDATE checklist_items SET checks = '["session-page-publicly-cached"]'
WHERE template_key = 'no-session-cache' AND checks = '[]';
UPDATE checklist_items SET checks = '["server-error","uncaught-exception","error-tracking-missing"]'
WHERE template_key = 'error-alerts' AND checks = '["server-error","uncaught-exception"]';
UPDATE checklist_items SET checks = '["title-missing","title-duplicate","meta-description-missing","meta-description-duplicate","social-tags-missing"]'
WHERE template_key = 'meta-tags' AND checks = '["title-missing","title-duplicate","meta-description-missing","meta-description-duplicate"]';
UPDATE checklist_items SET checks = '["old-ie-unsupported","old-ie-syntax","old-ie-document-mode"]'
WHERE template_key = 'old-ie' AND checks = '["old-ie-unsupported","old-ie-syntax"]';
UPDATE checklist_items SET checks = '["form-submit-error","form-error-message-missing","server-error","form-reflects-markup"]'
WHERE template_key = 'test-bad-data' AND checks = '["form-submit-error","form-error-message-missing","server-error"]';
UPDATE checklist_items SET checks = '["analytics-missing","analytics-not-running"]'
WHERE template_key = 'analytics-tags' AND checks = '["analytics-missing"]';
