-- What started a run ('manual', 'deploy' or 'schedule'), and the latest deploy of its
-- environment when it was queued: runs and checklist evidence read "after deploy abc1234".
ALTER TABLE runs ADD COLUMN cause TEXT NOT NULL DEFAULT 'manual';
ALTER TABLE runs ADD COLUMN deploy_id BIGINT REFERENCES deploys(id) ON DELETE SET NULL;
UPDATE runs SET deploy_id = (SELECT d.id FROM deploys d WHERE d.environment_id = runs.environment_id AND d.at <= runs.created_at
                             ORDER BY d.at DESC, d.id DESC LIMIT 1);
CREATE INDEX runs_deploy ON runs(deploy_id);
