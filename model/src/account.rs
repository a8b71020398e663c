//! Accounts: team members, their roles and API tokens.

use serde::{Deserialize, Serialize};

/// A team member's role. Owners manage the team; members do everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

/// The signed-in user, as the UI sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Sees only the projects they were added to (a contractor or freelancer); everyone
    /// else sees every project. Owners are never restricted.
    #[serde(default)]
    pub restricted: bool,
}

/// An API token as listed on the account page (the secret itself is shown once only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A restricted member added to a project: who added them, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectMember {
    pub user: UserInfo,
    pub added_at: i64,
    pub added_by: String,
}

/// Who sees a project: everyone unrestricted, the restricted members added to it, and the
/// restricted members an owner could add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProjectAccess {
    pub everyone: Vec<UserInfo>,
    pub added: Vec<ProjectMember>,
    pub addable: Vec<UserInfo>,
}
