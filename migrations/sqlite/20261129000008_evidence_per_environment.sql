-- Evidence per environment kind, freshness, and deploys.
--
-- Choices:
-- * Every template and checklist item says which environments supply its evidence:
--   'production', 'pre_production' (dev and staging) or 'any'. A dev run then never stands in
--   for production evidence, nor a production run for a dev-only check.
-- * Items of projects created before this migration get the kind the built-in template now
--   gives them (by template key); custom items stay 'any'.
-- * Evidence goes stale when the environment was deployed after the run, or when the run is
--   older than the project's `evidence_max_age_days` (7 unless changed).
-- * Deploys are appended, never updated: who recorded which revision on which environment.
ALTER TABLE template_items ADD COLUMN evidence_from TEXT NOT NULL DEFAULT 'any'
    CHECK (evidence_from IN ('production', 'pre_production', 'any'));
ALTER TABLE checklist_items ADD COLUMN evidence_from TEXT NOT NULL DEFAULT 'any'
    CHECK (evidence_from IN ('production', 'pre_production', 'any'));
ALTER TABLE projects ADD COLUMN evidence_max_age_days INTEGER NOT NULL DEFAULT 7
    CHECK (evidence_max_age_days BETWEEN 1 AND 365);

UPDATE checklist_items SET evidence_from = 'pre_production'
WHERE template_key IN ('dev-site', 'dev-banner', 'dev-robots-disallow', 'dev-access-control', 'dev-integration-credentials');

UPDATE checklist_items SET evidence_from = 'production'
WHERE template_key IN (
    'debug-off', 'https-sensitive-forms', 'sites-record', 'one-canonical-domain',
    'ssl-everywhere', 'tls-certificate', 'cookie-flags', 'security-headers',
    'static-cache-headers', 'compression', 'cdn',
    'robots-production', 'meta-tags', 'canonical-tags', 'duplicate-content', 'sitemap', 'old-urls-redirect', 'analytics-tags',
    'lower-dns-ttl', 'dns-record-inventory', 'production-integrations', 'mail-spf-ptr', 'apex-load-balancer', 'hosts-file-test',
    'verify-dns', 'verify-https-live', 'walk-through', 'real-transactions', 'verify-mail-delivery', 'doubt-everything',
    'error-alerts', 'production-watch', 'stomp-500s');

-- The dev item named a production-only check; production-integrations covers that one.
UPDATE checklist_items SET checks = '["live-credentials-on-dev"]'
WHERE template_key = 'dev-integration-credentials' AND checks = '["live-credentials-on-dev","sandbox-credentials-on-production"]';

CREATE TABLE deploys (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    environment_id INTEGER NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
    at             INTEGER NOT NULL,
    revision       TEXT    NOT NULL DEFAULT '',
    note           TEXT    NOT NULL DEFAULT '',
    recorded_by    INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX deploys_environment ON deploys(environment_id, at);
CREATE INDEX deploys_project ON deploys(project_id, at);
