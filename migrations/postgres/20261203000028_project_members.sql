-- Per-project membership, for contractors and freelancers. A member whose account is
-- restricted sees only the projects they were added to (project_members); everyone else sees
-- every project, as before. Owners are never restricted.
ALTER TABLE users ADD COLUMN restricted BIGINT NOT NULL DEFAULT 0;

CREATE TABLE project_members (
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    added_at   BIGINT NOT NULL,
    added_by   TEXT    NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members(user_id, project_id);
