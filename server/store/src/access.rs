//! Who may see which project. Everyone on the team sees every project, except members an
//! owner has *restricted* (contractors, freelancers): they see only the projects they were
//! added to. One place decides, for the JSON API, the pages, the server functions, exports,
//! screenshots and live events alike; to anyone else a project they may not see does not
//! exist (404), so ids reveal nothing.

use std::collections::HashSet;

use preflight_model::{ProjectAccess, ProjectMember, Role, UserInfo};

use crate::{db::Pool, error::AppResult, now, AppError};

/// A kind of record that belongs to one project, named as in URLs (`/runs/7`, `/api/v1/scope-items/3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Project,
    ChecklistItem,
    Environment,
    Run,
    Screenshot,
    ScopeItem,
    ChangeRequest,
    TrainingNote,
    ShareLink,
    RetroAction,
    Webhook,
    Delivery,
}

impl Resource {
    /// The resource a URL's collection segment names.
    pub fn from_collection(segment: &str) -> Option<Resource> {
        Some(match segment {
            "projects" => Resource::Project,
            "checklist-items" => Resource::ChecklistItem,
            "environments" => Resource::Environment,
            "runs" => Resource::Run,
            "screenshots" => Resource::Screenshot,
            "scope-items" => Resource::ScopeItem,
            "change-requests" => Resource::ChangeRequest,
            "training-notes" => Resource::TrainingNote,
            "share-links" => Resource::ShareLink,
            "retro-actions" => Resource::RetroAction,
            "webhooks" => Resource::Webhook,
            "deliveries" => Resource::Delivery,
            _ => return None,
        })
    }

    /// What the 404 says was not found.
    pub fn noun(self) -> &'static str {
        match self {
            Resource::Project => "project",
            Resource::ChecklistItem => "checklist item",
            Resource::Environment => "environment",
            Resource::Run => "run",
            Resource::Screenshot => "screenshot",
            Resource::ScopeItem => "scope item",
            Resource::ChangeRequest => "change request",
            Resource::TrainingNote => "training note",
            Resource::ShareLink => "share link",
            Resource::RetroAction => "retrospective action",
            Resource::Webhook => "webhook",
            Resource::Delivery => "delivery",
        }
    }

    fn project_sql(self) -> &'static str {
        match self {
            Resource::Project => "SELECT id FROM projects WHERE id = $1",
            Resource::ChecklistItem => "SELECT project_id FROM checklist_items WHERE id = $1",
            Resource::Environment => "SELECT project_id FROM environments WHERE id = $1",
            Resource::Run => "SELECT project_id FROM runs WHERE id = $1",
            Resource::Screenshot => "SELECT r.project_id FROM screenshots s JOIN runs r ON r.id = s.run_id WHERE s.id = $1",
            Resource::ScopeItem => "SELECT project_id FROM scope_items WHERE id = $1",
            Resource::ChangeRequest => "SELECT project_id FROM change_requests WHERE id = $1",
            Resource::TrainingNote => "SELECT project_id FROM training_notes WHERE id = $1",
            Resource::ShareLink => "SELECT project_id FROM share_links WHERE id = $1",
            Resource::RetroAction => "SELECT project_id FROM retro_actions WHERE id = $1",
            Resource::Webhook => "SELECT project_id FROM webhooks WHERE id = $1",
            Resource::Delivery => "SELECT project_id FROM outbox WHERE id = $1",
        }
    }
}

/// The records a URL path names, for the access check in front of every route: `/runs/7/…`,
/// `/api/v1/scope-items/3`, `/events/projects/2`, `/screenshots/4/diff/5`, `/compare/4/5`.
/// Segments that are not numbers name nothing (the route itself answers them).
pub fn resources_in_path(path: &str) -> Vec<(Resource, i64)> {
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let id = |i: usize| segs.get(i).and_then(|s| s.parse::<i64>().ok());
    let mut found = Vec::new();
    match segs.first().copied() {
        Some("compare") => {
            found.extend(id(1).map(|i| (Resource::Screenshot, i)));
            found.extend(id(2).map(|i| (Resource::Screenshot, i)));
        }
        Some("events") if segs.get(1) == Some(&"projects") => found.extend(id(2).map(|i| (Resource::Project, i))),
        Some(collection) => {
            if let (Some(r), Some(i)) = (Resource::from_collection(collection), id(1)) {
                found.push((r, i));
                if r == Resource::Screenshot && segs.get(2) == Some(&"diff") {
                    found.extend(id(3).map(|i| (Resource::Screenshot, i)));
                }
            }
        }
        None => {}
    }
    found
}

/// The project a record belongs to; `None` when there is no such record.
pub async fn project_of(pool: &Pool, what: Resource, id: i64) -> AppResult<Option<i64>> {
    let row: Option<Option<i64>> = sqlx::query_scalar(what.project_sql()).bind(id).fetch_optional(pool).await?;
    Ok(row.flatten())
}

/// Whether `user` may see the project (which need not exist).
pub async fn can_see(pool: &Pool, user: &UserInfo, project_id: i64) -> AppResult<bool> {
    if !user.restricted {
        return Ok(true);
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM project_members WHERE project_id = $1 AND user_id = $2")
        .bind(project_id)
        .bind(user.id)
        .fetch_one(pool)
        .await?;
    Ok(n > 0)
}

/// Refuses (404, as if it did not exist) a record in a project `user` may not see.
pub async fn check(pool: &Pool, user: &UserInfo, what: Resource, id: i64) -> AppResult<()> {
    if !user.restricted {
        return Ok(());
    }
    match project_of(pool, what, id).await? {
        Some(project) if can_see(pool, user, project).await? => Ok(()),
        _ => Err(AppError::NotFound(what.noun())),
    }
}

/// The projects `user` may see: `None` for all of them.
pub async fn visible_projects(pool: &Pool, user: &UserInfo) -> AppResult<Option<HashSet<i64>>> {
    if !user.restricted {
        return Ok(None);
    }
    let ids: Vec<i64> = sqlx::query_scalar("SELECT project_id FROM project_members WHERE user_id = $1").bind(user.id).fetch_all(pool).await?;
    Ok(Some(ids.into_iter().collect()))
}

/// Refuses what changes the whole team's way of working (new projects, the checklist
/// template) to a restricted member.
pub fn team_wide(user: &UserInfo, what: &str) -> AppResult<()> {
    if user.restricted {
        return Err(AppError::Forbidden(format!("Your account sees only the projects you were added to, so you cannot {what}; ask an owner.")));
    }
    Ok(())
}

/// SQL condition: the user `u` may see the project whose id is the expression `project`.
pub fn sees_project_sql(project: &str) -> String {
    format!("(u.restricted = 0 OR EXISTS (SELECT 1 FROM project_members m WHERE m.user_id = u.id AND m.project_id = {project}))")
}

/// The team members who may see a project (for assigning work and notices).
pub async fn people(pool: &Pool, project_id: i64) -> AppResult<Vec<UserInfo>> {
    let added: Vec<i64> = added(pool, project_id).await?.into_iter().map(|m| m.user.id).collect();
    Ok(crate::auth::list_users(pool).await?.into_iter().filter(|u| !u.restricted || added.contains(&u.id)).collect())
}

/// An active team member who may be given work in the project: a clear 422 otherwise.
pub async fn assignable(pool: &Pool, project_id: i64, user_id: i64) -> AppResult<UserInfo> {
    let user = crate::auth::user_by_id(pool, user_id).await?.ok_or_else(|| AppError::bad("That team member does not exist."))?;
    if !can_see(pool, &user, project_id).await? {
        return Err(AppError::bad(format!(
            "{} sees only the projects they were added to and is not on this one: add them on the project's Share & settings tab first.",
            user.name
        )));
    }
    Ok(user)
}

/// The restricted members added to a project.
async fn added(pool: &Pool, project_id: i64) -> AppResult<Vec<ProjectMember>> {
    let rows: Vec<(i64, String, String, String, i64, String)> = sqlx::query_as(
        "SELECT u.id, u.email, u.name, u.role, m.added_at, m.added_by FROM project_members m JOIN users u ON u.id = m.user_id
         WHERE m.project_id = $1 AND u.disabled_at IS NULL AND u.restricted = 1 ORDER BY lower(u.name), u.id",
    )
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, email, name, role, added_at, added_by)| ProjectMember {
            user: UserInfo { id, email, name, role: Role::parse(&role).unwrap_or(Role::Member), restricted: true },
            added_at,
            added_by,
        })
        .collect())
}

/// Who sees a project: everyone unrestricted, the restricted members added to it, and the
/// restricted members who could be added.
pub async fn project_access(pool: &Pool, project_id: i64) -> AppResult<ProjectAccess> {
    crate::projects::get(pool, project_id).await?;
    let team = crate::auth::list_users(pool).await?;
    let added = added(pool, project_id).await?;
    let addable = team.iter().filter(|u| u.restricted && !added.iter().any(|m| m.user.id == u.id)).cloned().collect();
    Ok(ProjectAccess { everyone: team.into_iter().filter(|u| !u.restricted).collect(), added, addable })
}

fn only_owner(by: &UserInfo) -> AppResult<()> {
    if by.role != Role::Owner {
        return Err(AppError::Forbidden("Only an owner can choose who sees which project.".into()));
    }
    Ok(())
}

/// An owner adds a restricted member to a project (adding twice changes nothing).
pub async fn add(pool: &Pool, by: &UserInfo, project_id: i64, user_id: i64) -> AppResult<ProjectAccess> {
    only_owner(by)?;
    crate::projects::get(pool, project_id).await?;
    let user = crate::auth::active_member(pool, user_id).await?;
    if !user.restricted {
        return Err(AppError::bad(format!("{} already sees every project.", user.name)));
    }
    {
        let _turn = crate::db::write_turn_for(pool).await;
        sqlx::query(
            "INSERT INTO project_members (project_id, user_id, added_at, added_by) VALUES ($1, $2, $3, $4) ON CONFLICT (project_id, user_id) DO NOTHING",
        )
        .bind(project_id)
        .bind(user_id)
        .bind(now())
        .bind(&by.name)
        .execute(pool)
        .await?;
    }
    crate::activity::log(pool, project_id, &by.name, "access", &format!("{} can now see this project", user.name)).await?;
    project_access(pool, project_id).await
}

/// An owner takes a restricted member off a project: from the next request on, they no
/// longer see it (live pages they hold open close within seconds).
pub async fn remove(pool: &Pool, by: &UserInfo, project_id: i64, user_id: i64) -> AppResult<ProjectAccess> {
    only_owner(by)?;
    crate::projects::get(pool, project_id).await?;
    let user = crate::auth::active_member(pool, user_id).await?;
    let n = {
        let _turn = crate::db::write_turn_for(pool).await;
        sqlx::query("DELETE FROM project_members WHERE project_id = $1 AND user_id = $2").bind(project_id).bind(user_id).execute(pool).await?.rows_affected()
    };
    if n > 0 {
        crate::activity::log(pool, project_id, &by.name, "access", &format!("{} can no longer see this project", user.name)).await?;
    }
    project_access(pool, project_id).await
}

/// An owner restricts a member to the projects they are added to, or lets them see every
/// project again. Owners cannot be restricted.
pub async fn set_restricted(pool: &Pool, by: &UserInfo, user_id: i64, restricted: bool) -> AppResult<UserInfo> {
    if by.role != Role::Owner {
        return Err(AppError::Forbidden("Only an owner can restrict a member to some projects.".into()));
    }
    let user = crate::auth::active_member(pool, user_id).await?;
    if restricted && user.role == Role::Owner {
        return Err(AppError::bad(format!("{} is an owner, and owners see every project: make them a member first.", user.name)));
    }
    {
        let _turn = crate::db::write_turn_for(pool).await;
        sqlx::query("UPDATE users SET restricted = $1 WHERE id = $2").bind(i64::from(restricted)).bind(user_id).execute(pool).await?;
    }
    crate::auth::forget_cached_tokens(pool).await;
    Ok(UserInfo { restricted, ..user })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_records_they_touch() {
        assert_eq!(resources_in_path("/api/v1/projects/12/checklist"), vec![(Resource::Project, 12)]);
        assert_eq!(resources_in_path("/projects/3/share"), vec![(Resource::Project, 3)]);
        assert_eq!(resources_in_path("/api/v1/checklist-items/9"), vec![(Resource::ChecklistItem, 9)]);
        assert_eq!(resources_in_path("/events/projects/4"), vec![(Resource::Project, 4)]);
        assert_eq!(resources_in_path("/screenshots/4/diff/5"), vec![(Resource::Screenshot, 4), (Resource::Screenshot, 5)]);
        assert_eq!(resources_in_path("/compare/7/8"), vec![(Resource::Screenshot, 7), (Resource::Screenshot, 8)]);
        assert_eq!(resources_in_path("/runs/2/export/junit.xml"), vec![(Resource::Run, 2)]);
        assert_eq!(resources_in_path("/api/v1/deliveries/6/retry"), vec![(Resource::Delivery, 6)]);
        // Not numbers, not records, or token-keyed: nothing to check here.
        assert!(resources_in_path("/projects/new").is_empty());
        assert!(resources_in_path("/api/v1/projects").is_empty());
        assert!(resources_in_path("/share/abc/screenshots/3").is_empty());
        assert!(resources_in_path("/template").is_empty());
        assert!(resources_in_path("/").is_empty());
    }
}
