//! Projects and their environments: validation, create, edit, archive, list.

use std::net::IpAddr;

use crate::db::Pool;
use sqlx::Row;

use super::{error::AppResult, now, today, AppError};
use preflight_model::{add_days, parse_date, parse_time, DeleteOutcome, EnvKind, Environment, Project, ProjectInput, ProjectSummary, RunSettings, UserInfo};

const MAX_ENVIRONMENTS: usize = 20;

/// Checks and normalises a project form / API body; every problem gets a message that
/// names the field.
pub fn validate(input: &ProjectInput) -> AppResult<ProjectInput> {
    let mut out = input.clone();
    out.name = input.name.trim().to_string();
    if out.name.is_empty() {
        return Err(AppError::bad("name: please give the project a name."));
    }
    if out.name.chars().count() > 200 {
        return Err(AppError::bad("name: 200 characters at most."));
    }
    out.client = input.client.trim().to_string();
    if out.client.chars().count() > 200 {
        return Err(AppError::bad("client: 200 characters at most."));
    }
    out.launch_date = input.launch_date.trim().to_string();
    if parse_date(&out.launch_date).is_none() {
        return Err(AppError::bad(format!("launch_date: \"{}\" is not a date; use YYYY-MM-DD, e.g. 2027-03-01.", out.launch_date)));
    }
    out.launch_time = match input.launch_time.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) if parse_time(t).is_some() => Some(t.to_string()),
        Some(t) => return Err(AppError::bad(format!("launch_time: \"{t}\" is not a time; use HH:MM, e.g. 09:30."))),
    };
    out.time_zone = match input.time_zone.trim() {
        "" => "UTC".into(),
        tz => match jiff::tz::TimeZone::get(tz) {
            Ok(_) => tz.to_string(),
            Err(_) => {
                return Err(AppError::bad(format!("time_zone: \"{tz}\" is not a time zone; give its IANA name, e.g. Europe/Berlin, America/New_York or UTC.")))
            }
        },
    };
    if input.environments.len() > MAX_ENVIRONMENTS {
        return Err(AppError::bad(format!("environments: {MAX_ENVIRONMENTS} at most.")));
    }
    let mut names = std::collections::HashSet::new();
    out.environments = Vec::new();
    for (i, env) in input.environments.iter().enumerate() {
        let n = i + 1;
        let name = env.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 50 {
            return Err(AppError::bad(format!("environments[{n}].name: give each environment a name of 1 to 50 characters (dev, staging, production).")));
        }
        if !names.insert(name.to_lowercase()) {
            return Err(AppError::bad(format!("environments[{n}].name: \"{name}\" is used twice.")));
        }
        let base_url = validate_base_url(&env.base_url).map_err(|m| AppError::bad(format!("environments[{n}].base_url: {m}")))?;
        let resolve_ip = match env.resolve_ip.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(ip) => match ip.parse::<IpAddr>() {
                Ok(a) => Some(a.to_string()),
                Err(_) => return Err(AppError::bad(format!("environments[{n}].resolve_ip: \"{ip}\" is not an IP address."))),
            },
        };
        let kind = env.kind.unwrap_or_else(|| EnvKind::infer(&name));
        let settings = validate_settings(&env.settings).map_err(|m| AppError::bad(format!("environments[{n}].settings.{m}")))?;
        out.environments.push(Environment {
            id: env.id,
            name,
            kind: Some(kind),
            base_url,
            resolve_ip,
            submit_forms: env.submit_forms,
            settings,
            ..Default::default()
        });
    }
    out.contact_emails = clean_list(&input.contact_emails);
    for e in &out.contact_emails {
        super::auth::validate_email(e).map_err(|_| AppError::bad(format!("contact_emails: \"{e}\" is not an e-mail address.")))?;
    }
    out.contact_phones = clean_list(&input.contact_phones);
    for p in &out.contact_phones {
        let digits = p.chars().filter(|c| c.is_ascii_digit()).count();
        if digits < 5 || !p.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
            return Err(AppError::bad(format!("contact_phones: \"{p}\" is not a phone number.")));
        }
    }
    out.postal_address = input.postal_address.trim().to_string();
    if out.postal_address.len() > 1000 {
        return Err(AppError::bad("postal_address: 1000 characters at most."));
    }
    out.viewports = Some(match input.viewports.as_deref().map(str::trim) {
        None => preflight_model::DEFAULT_VIEWPORTS.to_string(),
        Some("") => String::new(),
        Some(v) => {
            let list = preflight_browser::viewport::parse_list(v).map_err(|e| AppError::bad(format!("viewports: {e}.")))?;
            if list.len() > 8 {
                return Err(AppError::bad("viewports: 8 at most."));
            }
            let defaults = preflight_browser::viewport::defaults();
            let specs: Vec<String> = list.iter().map(|vp| if defaults.contains(vp) { vp.name.clone() } else { vp.spec() }).collect();
            specs.join(if specs.iter().any(|s| s.contains('=')) { "; " } else { "," })
        }
    });
    out.evidence_max_age_days = Some(input.evidence_max_age_days.unwrap_or(7));
    if !(1..=365).contains(&out.evidence_max_age_days.unwrap_or(7)) {
        return Err(AppError::bad("evidence_max_age_days: give a number of days from 1 to 365."));
    }
    out.phone_region = input.phone_region.trim().to_ascii_uppercase();
    if !out.phone_region.is_empty() && !preflight_engine::checks::is_phone_region(&out.phone_region) {
        return Err(AppError::bad(format!(
            "phone_region: \"{}\" is not a country code; give the two letters of the country the phone numbers are written in (GB, US, DE…).",
            out.phone_region
        )));
    }
    out.analytics_ids = clean_list(&input.analytics_ids);
    if out.analytics_ids.len() > 10 {
        return Err(AppError::bad("analytics_ids: 10 at most."));
    }
    if let Some(bad) = out.analytics_ids.iter().find(|a| a.len() < 3 || a.len() > 200 || a.chars().any(char::is_whitespace)) {
        return Err(AppError::bad(format!(
            "analytics_ids: \"{bad}\" is not an analytics id; write it as the site's snippet has it, e.g. G-ABC123XYZ or example.com."
        )));
    }
    out.ignore_regions = clean_lines(&input.ignore_regions);
    if out.ignore_regions.len() > 30 {
        return Err(AppError::bad("ignore_regions: 30 at most."));
    }
    for line in &out.ignore_regions {
        preflight_model::IgnoreRegion::parse(line).map_err(|e| AppError::bad(format!("ignore_regions: {e}")))?;
    }
    out.a11y_ignore = clean_lines(&input.a11y_ignore);
    if out.a11y_ignore.len() > 100 {
        return Err(AppError::bad("a11y_ignore: 100 rules at most."));
    }
    use preflight_browser::a11y::A11yPolicy;
    let level = A11yPolicy::parse_level(&input.wcag_level).map_err(|e| AppError::bad(format!("wcag_level: {e}.")))?;
    let ignored = A11yPolicy::parse_ignore(&out.a11y_ignore).map_err(|e| AppError::bad(format!("a11y_ignore: {e}.")))?;
    out.wcag_level = format!("{level:?}");
    // One entry per rule, in the form people read back: `color-contrast = reason`.
    out.a11y_ignore = ignored.iter().map(|(rule, reason)| format!("{rule} = {reason}")).collect();
    out.perf_budgets = clean_lines(&input.perf_budgets);
    if out.perf_budgets.len() > 20 {
        return Err(AppError::bad("perf_budgets: 20 at most."));
    }
    preflight_browser::quality::Budgets::parse(&out.perf_budgets).map_err(|e| AppError::bad(format!("perf_budgets: {e}.")))?;
    out.forms_listed = clean_lines(&input.forms_listed);
    if out.forms_listed.len() > 50 {
        return Err(AppError::bad("forms_listed: 50 forms at most."));
    }
    for f in &out.forms_listed {
        let page = f.split('#').next().unwrap_or_default();
        let ok = page.starts_with('/') || url::Url::parse(page).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            return Err(AppError::bad(format!("forms_listed: \"{f}\" is not a page; write a path like /contact or /contact#enquiry, or a full URL.")));
        }
    }
    Ok(out)
}

/// Checks an environment's run settings; the error starts with the field's name.
pub fn validate_settings(s: &RunSettings) -> Result<RunSettings, String> {
    let mut out = s.clone();
    out.old_urls = clean_lines(&s.old_urls);
    if out.old_urls.len() > preflight_engine::MAX_IMPORTED_URLS {
        return Err(format!("old_urls: {} at most", preflight_engine::MAX_IMPORTED_URLS));
    }
    if let Some(bad) = out.old_urls.iter().find(|u| !(u.starts_with('/') || url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))) {
        return Err(format!("old_urls: \"{bad}\" is not a URL or a path; write https://old.example.com/page or /page"));
    }
    let range = |v: Option<i64>, lo: i64, hi: i64, field: &str, what: &str| match v {
        Some(x) if !(lo..=hi).contains(&x) => Err(format!("{field}: give {what} from {lo} to {hi}")),
        _ => Ok(()),
    };
    range(s.max_pages, 1, 5000, "max_pages", "a number of pages")?;
    range(s.max_depth, 0, 50, "max_depth", "a number of links")?;
    range(s.deadline_secs, 10, 3600, "deadline_secs", "a number of seconds")?;
    out.dev_markers = clean_lines(&s.dev_markers);
    if out.dev_markers.len() > 20 || out.dev_markers.iter().any(|w| w.chars().count() > 100) {
        return Err("dev_markers: at most 20 words or phrases of up to 100 characters".into());
    }
    out.nameserver = match s.nameserver.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(ns) => Some(nameserver_addr(ns).map(|_| ns.to_string()).ok_or_else(|| format!("nameserver: \"{ns}\" is not an IP address or IP:PORT"))?),
    };
    Ok(out)
}

/// `IP` (port 53) or `IP:PORT`.
pub fn nameserver_addr(ns: &str) -> Option<std::net::SocketAddr> {
    ns.parse::<std::net::SocketAddr>().ok().or_else(|| ns.parse::<IpAddr>().ok().map(|ip| std::net::SocketAddr::new(ip, 53)))
}

/// One entry per line (commas are part of URLs here), trimmed, without repeats.
fn clean_lines(v: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v.iter().flat_map(|s| s.lines()).map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

fn clean_list(v: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v.iter().flat_map(|s| s.split([',', '\n'])).map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(s)) {
            out.push(s.to_string());
        }
    }
    out
}

/// Accepts only absolute http(s) URLs with a host; returns them without a trailing slash.
pub fn validate_base_url(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("give the environment's address, e.g. https://www.example.com".into());
    }
    let url = url::Url::parse(raw).map_err(|e| format!("\"{raw}\" is not a URL ({e}); write it like https://www.example.com"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("\"{raw}\" uses {}: only http and https sites can be checked", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("\"{raw}\" has no host name"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("put no user name or password in the URL".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: i64,
    name: String,
    client: String,
    launch_date: String,
    launch_time: Option<String>,
    time_zone: String,
    contact_emails: String,
    contact_phones: String,
    postal_address: String,
    archived_at: Option<i64>,
    template_version: Option<i64>,
    created_at: i64,
    updated_at: i64,
    viewports: String,
    forms_listed: String,
    evidence_max_age_days: i64,
    phone_region: String,
    analytics_ids: String,
    ignore_regions: String,
    wcag_level: String,
    a11y_ignore: String,
    perf_budgets: String,
    throttle_mobile: i64,
}

#[derive(sqlx::FromRow)]
struct EnvRow {
    id: i64,
    name: String,
    kind: String,
    base_url: String,
    resolve_ip: Option<String>,
    submit_forms: Option<i64>,
    last_deploy_at: Option<i64>,
    old_urls: String,
    max_pages: Option<i64>,
    max_depth: Option<i64>,
    deadline_secs: Option<i64>,
    check_external_links: i64,
    dev_markers: String,
    nameserver: Option<String>,
    credentials_hint: String,
}

/// `NotFound("project")` unless project `id` exists.
pub async fn exists(pool: &Pool, id: i64) -> AppResult<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM projects WHERE id = $1").bind(id).fetch_optional(pool).await?;
    found.map(|_| ()).ok_or(AppError::NotFound("project"))
}

pub async fn get(pool: &Pool, id: i64) -> AppResult<Project> {
    let row: ProjectRow = sqlx::query_as(
        "SELECT p.id, p.name, p.client, p.launch_date, p.launch_time, p.time_zone, p.contact_emails, p.contact_phones,
                p.postal_address, p.archived_at, v.version AS template_version, p.created_at, p.updated_at,
                p.viewports, p.forms_listed, p.evidence_max_age_days, p.phone_region, p.analytics_ids, p.ignore_regions,
                p.wcag_level, p.a11y_ignore, p.perf_budgets, p.throttle_mobile
         FROM projects p LEFT JOIN template_versions v ON v.id = p.template_version_id WHERE p.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound("project"))?;
    let envs: Vec<EnvRow> =
        sqlx::query_as(
            "SELECT e.id, e.name, e.kind, e.base_url, e.resolve_ip, e.submit_forms, (SELECT MAX(d.at) FROM deploys d WHERE d.environment_id = e.id) AS last_deploy_at,
                    e.old_urls, e.max_pages, e.max_depth, e.deadline_secs, e.check_external_links, e.dev_markers, e.nameserver, e.credentials_hint
             FROM environments e WHERE e.project_id = $1 ORDER BY e.position, e.id",
        )
            .bind(id)
            .fetch_all(pool)
            .await?;
    Ok(Project {
        id: row.id,
        name: row.name,
        client: row.client,
        launch_date: row.launch_date,
        launch_time: row.launch_time,
        time_zone: row.time_zone,
        environments: envs
            .into_iter()
            .map(|e| Environment {
                id: Some(e.id),
                name: e.name,
                kind: EnvKind::parse(&e.kind),
                base_url: e.base_url,
                resolve_ip: e.resolve_ip,
                submit_forms: e.submit_forms.map(|f| f != 0),
                last_deploy_at: e.last_deploy_at,
                settings: RunSettings {
                    old_urls: e.old_urls.lines().map(str::to_string).collect(),
                    max_pages: e.max_pages,
                    max_depth: e.max_depth,
                    deadline_secs: e.deadline_secs,
                    check_external_links: e.check_external_links != 0,
                    dev_markers: e.dev_markers.lines().map(str::to_string).collect(),
                    nameserver: e.nameserver,
                },
                credentials: (!e.credentials_hint.is_empty()).then_some(e.credentials_hint),
            })
            .collect(),
        contact_emails: serde_json::from_str(&row.contact_emails).unwrap_or_default(),
        contact_phones: serde_json::from_str(&row.contact_phones).unwrap_or_default(),
        postal_address: row.postal_address,
        viewports: row.viewports,
        forms_listed: row.forms_listed.lines().map(str::to_string).collect(),
        evidence_max_age_days: row.evidence_max_age_days,
        phone_region: row.phone_region,
        analytics_ids: row.analytics_ids.lines().map(str::to_string).collect(),
        ignore_regions: row.ignore_regions.lines().map(str::to_string).collect(),
        wcag_level: row.wcag_level,
        a11y_ignore: row.a11y_ignore.lines().map(str::to_string).collect(),
        perf_budgets: row.perf_budgets.lines().map(str::to_string).collect(),
        throttle_mobile: row.throttle_mobile != 0,
        archived: row.archived_at.is_some(),
        template_version: row.template_version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// A project list row: id, name, client, launch date and time, archived at, done, items, overdue.
type ListRow = (i64, String, String, String, Option<String>, Option<i64>, i64, i64, i64);

/// The projects `user` may see (a restricted member: only those they were added to).
pub async fn list_for(pool: &Pool, user: &preflight_model::UserInfo, include_archived: bool) -> AppResult<Vec<ProjectSummary>> {
    let visible = crate::access::visible_projects(pool, user).await?;
    Ok(list(pool, include_archived).await?.into_iter().filter(|p| visible.as_ref().is_none_or(|v| v.contains(&p.id))).collect())
}

pub async fn list(pool: &Pool, include_archived: bool) -> AppResult<Vec<ProjectSummary>> {
    let due = crate::db::Backend::of(pool).date_plus_days("p.launch_date", "c.due_offset_days");
    let rows: Vec<ListRow> = sqlx::query_as(&format!(
        "SELECT p.id, p.name, p.client, p.launch_date, p.launch_time, p.archived_at,
                COUNT(c.id) FILTER (WHERE c.state != 'todo'),
                COUNT(c.id),
                COUNT(c.id) FILTER (WHERE c.state = 'todo' AND {due} < $1)
         FROM projects p LEFT JOIN checklist_items c ON c.project_id = p.id
         WHERE ($2 OR p.archived_at IS NULL)
         GROUP BY p.id ORDER BY p.archived_at IS NOT NULL, p.launch_date, p.name"
    ))
    .bind(today())
    .bind(include_archived)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, client, launch_date, launch_time, archived_at, done, total, overdue)| ProjectSummary {
            id,
            name,
            client,
            launch_date,
            launch_time,
            archived: archived_at.is_some(),
            done,
            total,
            overdue,
        })
        .collect())
}

/// Creates a project with its environments and a copy of the current checklist template.
/// Binds a project's fourteen editable fields as `$1`…`$14`, in the order `create` and `update`
/// name their columns.
fn bind_fields<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    p: &'q ProjectInput,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(&p.name)
        .bind(&p.client)
        .bind(&p.launch_date)
        .bind(&p.launch_time)
        .bind(serde_json::to_string(&p.contact_emails).unwrap_or_default())
        .bind(serde_json::to_string(&p.contact_phones).unwrap_or_default())
        .bind(&p.postal_address)
        .bind(p.viewports.as_deref().unwrap_or(preflight_model::DEFAULT_VIEWPORTS))
        .bind(p.forms_listed.join("\n"))
        .bind(p.evidence_max_age_days.unwrap_or(7))
        .bind(&p.phone_region)
        .bind(p.analytics_ids.join("\n"))
        .bind(&p.time_zone)
        .bind(p.ignore_regions.join("\n"))
        .bind(&p.wcag_level)
        .bind(p.a11y_ignore.join("\n"))
        .bind(p.perf_budgets.join("\n"))
        .bind(p.throttle_mobile as i64)
}

pub async fn create(pool: &Pool, actor: &UserInfo, input: &ProjectInput) -> AppResult<i64> {
    crate::access::team_wide(actor, "create projects")?;
    let p = validate(input)?;
    let template = super::template::current_version_id(pool).await?;
    let t = now();
    let mut tx = super::db::begin_write(pool).await?;
    let id: i64 = bind_fields(
        sqlx::query(
            "INSERT INTO projects (name, client, launch_date, launch_time, contact_emails, contact_phones, postal_address,
                               viewports, forms_listed, evidence_max_age_days, phone_region, analytics_ids, time_zone, ignore_regions, wcag_level, a11y_ignore, perf_budgets, throttle_mobile, template_version_id, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) RETURNING id",
        ),
        &p,
    )
    .bind(template)
    .bind(actor.id)
    .bind(t)
    .bind(t)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    insert_environments(&mut tx, id, &p.environments).await?;
    sqlx::query(
        "INSERT INTO checklist_items (project_id, template_key, phase, position, title, why, due_offset_days, checks,
                                      evidence_from, signals, updated_at, created_at)
         SELECT $1, key, phase, position, title, why, due_offset_days, checks, evidence_from, signals, $2, $3 FROM template_items
         WHERE template_version_id = $4 ORDER BY position",
    )
    .bind(id)
    .bind(t)
    .bind(t)
    .bind(template)
    .execute(&mut *tx)
    .await?;
    super::training::insert_in(&mut tx, id, &actor.name, super::training::STARTER_TITLE, super::training::STARTER_BODY, None, true).await?;
    super::activity::log_in(&mut tx, id, &actor.name, "project", &format!("created the project \"{}\"", p.name), t).await?;
    tx.commit().await?;
    Ok(id)
}

async fn insert_environments(tx: &mut crate::db::Conn, project_id: i64, envs: &[Environment]) -> AppResult<()> {
    for (pos, e) in envs.iter().enumerate() {
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO environments (project_id, name, kind, base_url, resolve_ip, submit_forms, position) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(project_id)
        .bind(&e.name)
        .bind(e.kind.unwrap_or_else(|| EnvKind::infer(&e.name)).as_str())
        .bind(&e.base_url)
        .bind(&e.resolve_ip)
        .bind(e.submit_forms.map(i64::from))
        .bind(pos as i64)
        .fetch_one(&mut *tx)
        .await?;
        write_settings(tx, id, &e.settings).await?;
    }
    Ok(())
}

async fn write_settings(tx: &mut crate::db::Conn, env_id: i64, s: &RunSettings) -> AppResult<()> {
    sqlx::query(
        "UPDATE environments SET old_urls = $1, max_pages = $2, max_depth = $3, deadline_secs = $4, check_external_links = $5, dev_markers = $6, nameserver = $7
         WHERE id = $8",
    )
    .bind(s.old_urls.join("\n"))
    .bind(s.max_pages)
    .bind(s.max_depth)
    .bind(s.deadline_secs)
    .bind(i64::from(s.check_external_links))
    .bind(s.dev_markers.join("\n"))
    .bind(&s.nameserver)
    .bind(env_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Edits a project. Environments are matched by id (kept, so later check runs stay linked)
/// or by name; the rest are replaced.
pub async fn update(pool: &Pool, id: i64, input: &ProjectInput) -> AppResult<()> {
    let p = validate(input)?;
    let mut tx = super::db::begin_write(pool).await?;
    let r = bind_fields(
        sqlx::query(
            "UPDATE projects SET name = $1, client = $2, launch_date = $3, launch_time = $4, contact_emails = $5,
                contact_phones = $6, postal_address = $7, viewports = $8, forms_listed = $9, evidence_max_age_days = $10,
                phone_region = $11, analytics_ids = $12, time_zone = $13, ignore_regions = $14, wcag_level = $15, a11y_ignore = $16,
                perf_budgets = $17, throttle_mobile = $18, updated_at = $19 WHERE id = $20",
        ),
        &p,
    )
    .bind(now())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() == 0 {
        return Err(AppError::NotFound("project"));
    }
    let existing: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM environments WHERE project_id = $1").bind(id).fetch_all(&mut *tx).await?;
    let mut keep = Vec::new();
    let mut fresh = Vec::new();
    for (pos, e) in p.environments.iter().enumerate() {
        let matched = existing.iter().find(|(eid, name)| Some(*eid) == e.id || name.eq_ignore_ascii_case(&e.name)).map(|(eid, _)| *eid);
        match matched {
            Some(eid) if !keep.iter().any(|(k, _, _)| *k == eid) => keep.push((eid, pos, e.clone())),
            _ => fresh.push(e.clone()),
        }
    }
    let keep_ids: Vec<i64> = keep.iter().map(|(eid, _, _)| *eid).collect();
    for (eid, _) in &existing {
        if !keep_ids.contains(eid) {
            sqlx::query("DELETE FROM environments WHERE id = $1").bind(eid).execute(&mut *tx).await?;
        }
    }
    for (eid, pos, e) in &keep {
        sqlx::query("UPDATE environments SET name = $1, kind = $2, base_url = $3, resolve_ip = $4, submit_forms = $5, position = $6 WHERE id = $7")
            .bind(&e.name)
            .bind(e.kind.unwrap_or(EnvKind::Staging).as_str())
            .bind(&e.base_url)
            .bind(&e.resolve_ip)
            .bind(e.submit_forms.map(i64::from))
            .bind(*pos as i64)
            .bind(eid)
            .execute(&mut *tx)
            .await?;
        write_settings(&mut tx, *eid, &e.settings).await?;
    }
    insert_environments(&mut tx, id, &fresh).await?;
    // The launch time or time zone may have moved: schedules plan again.
    super::schedules::replan_project(&mut tx, id, now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a project with everything in it (runs, screenshots on disk, checklist, scope…) —
/// unless the client signed off its launch: a sign-off is a record that is never deleted, so
/// the project is archived instead and says so.
pub async fn delete(pool: &Pool, actor: &UserInfo, id: i64, screenshots_dir: Option<&std::path::Path>) -> AppResult<DeleteOutcome> {
    let project = get(pool, id).await?;
    let signoffs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM signoffs WHERE project_id = $1").bind(id).fetch_one(pool).await?;
    if signoffs > 0 {
        set_archived(pool, id, true).await?;
        super::activity::log(pool, id, &actor.name, "project", "asked to delete the project; archived it instead (the launch sign-off is kept)").await?;
        return Ok(DeleteOutcome {
            deleted: false,
            archived: true,
            message: format!("\"{}\" has a launch sign-off, which is a record that is never deleted: the project was archived instead.", project.name),
        });
    }
    let runs: Vec<i64> = sqlx::query_scalar("SELECT id FROM runs WHERE project_id = $1").bind(id).fetch_all(pool).await?;
    let _turn = super::db::write_turn_for(pool).await;
    sqlx::query("DELETE FROM projects WHERE id = $1").bind(id).execute(pool).await?;
    if let Some(dir) = screenshots_dir {
        super::screenshots::remove_run_dirs(dir, &runs);
    }
    tracing::info!(project = id, by = %actor.email, "project deleted");
    Ok(DeleteOutcome { deleted: true, archived: false, message: format!("\"{}\" was deleted.", project.name) })
}

pub async fn set_archived(pool: &Pool, id: i64, archived: bool) -> AppResult<()> {
    let r = sqlx::query("UPDATE projects SET archived_at = CASE WHEN $1 THEN COALESCE(archived_at, $2) ELSE NULL END, updated_at = $3 WHERE id = $4")
        .bind(archived)
        .bind(now())
        .bind(now())
        .bind(id)
        .execute(pool)
        .await?;
    if r.rows_affected() == 0 {
        return Err(AppError::NotFound("project"));
    }
    Ok(())
}

/// The project's environment called `wanted` (case-insensitive) or with that id; otherwise a
/// 422 that lists the environments there are.
pub fn environment_named<'a>(project: &'a Project, wanted: &str) -> AppResult<&'a Environment> {
    let wanted = wanted.trim();
    project.environments.iter().find(|e| e.name.eq_ignore_ascii_case(wanted) || e.id.map(|i| i.to_string()).as_deref() == Some(wanted)).ok_or_else(|| {
        let names: Vec<&str> = project.environments.iter().map(|e| e.name.as_str()).collect();
        AppError::bad(if names.is_empty() {
            "The project has no environments yet: add one with its URL first.".to_string()
        } else {
            format!("environment: \"{wanted}\" is not one of this project's environments ({}).", names.join(", "))
        })
    })
}

/// The due date of an item `offset` days from the project's launch.
pub fn due_date(launch_date: &str, offset: i64) -> String {
    add_days(launch_date, offset).unwrap_or_else(|| launch_date.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ProjectInput {
        ProjectInput {
            name: " Shop relaunch ".into(),
            client: "ACME".into(),
            launch_date: "2027-03-01".into(),
            launch_time: Some("09:30".into()),
            time_zone: String::new(),
            environments: vec![
                Environment {
                    id: None,
                    name: "production".into(),
                    kind: None,
                    base_url: "https://www.acme.test/".into(),
                    resolve_ip: Some("127.0.0.1".into()),
                    submit_forms: None,
                    ..Default::default()
                },
                Environment {
                    id: None,
                    name: "dev".into(),
                    kind: None,
                    base_url: "http://dev.acme.test".into(),
                    resolve_ip: None,
                    submit_forms: None,
                    ..Default::default()
                },
            ],
            contact_emails: vec!["info@acme.test, sales@acme.test".into()],
            contact_phones: vec!["+1 (555) 010-2000".into()],
            postal_address: "1 Road".into(),
            viewports: None,
            forms_listed: vec![],
            evidence_max_age_days: None,
            phone_region: "gb".into(),
            analytics_ids: vec!["G-ABC123".into()],
            ignore_regions: vec![" .carousel ".into(), ".carousel".into(), "/news time".into()],
            wcag_level: "aa".into(),
            a11y_ignore: vec!["a11y-region = the CMS owns the page layout".into()],
            perf_budgets: vec!["lcp = 2s".into(), " js = 300KB ".into()],
            throttle_mobile: true,
        }
    }

    #[test]
    fn valid_input_is_normalised() {
        let v = validate(&input()).unwrap();
        assert_eq!(v.name, "Shop relaunch");
        assert_eq!(v.environments[0].base_url, "https://www.acme.test");
        assert_eq!(v.environments[0].kind, Some(EnvKind::Production));
        assert_eq!(v.environments[1].kind, Some(EnvKind::Dev));
        assert_eq!(v.contact_emails, vec!["info@acme.test", "sales@acme.test"]);
        assert_eq!(v.viewports.as_deref(), Some(preflight_model::DEFAULT_VIEWPORTS), "absent: the four defaults");
        assert_eq!(v.phone_region, "GB");
        assert_eq!(v.analytics_ids, vec!["G-ABC123"]);
        assert_eq!(v.ignore_regions, vec![".carousel", "/news time"], "trimmed, once each");
        assert_eq!(v.wcag_level, "AA");
        assert_eq!(v.a11y_ignore, vec!["region = the CMS owns the page layout"], "axe's rule id, read back as written");
        assert_eq!(v.perf_budgets, vec!["lcp = 2s", "js = 300KB"]);
    }

    #[test]
    fn browser_settings_are_checked_and_normalised() {
        let mut p = input();
        p.viewports = Some(" phone , desktop ".into());
        assert_eq!(validate(&p).unwrap().viewports.as_deref(), Some("phone,desktop"));
        p.viewports = Some("desktop; tv=1920x1080".into());
        assert_eq!(validate(&p).unwrap().viewports.as_deref(), Some("desktop; tv=1920x1080"));
        p.viewports = Some("".into());
        assert_eq!(validate(&p).unwrap().viewports.as_deref(), Some(""), "empty turns the browser checks off");
        p.forms_listed = vec!["/contact#enquiry\nhttps://www.acme.test/login\n/contact#enquiry".into()];
        assert_eq!(validate(&p).unwrap().forms_listed, vec!["/contact#enquiry", "https://www.acme.test/login"]);
    }

    #[test]
    fn bad_input_names_the_field() {
        type Spoil = Box<dyn Fn(&mut ProjectInput)>;
        let cases: Vec<(Spoil, &str)> = vec![
            (Box::new(|p| p.name = "  ".into()), "name:"),
            (Box::new(|p| p.ignore_regions = vec!["/news".into()]), "ignore_regions:"),
            (Box::new(|p| p.ignore_regions = vec!["a { display: none }".into()]), "ignore_regions:"),
            (Box::new(|p| p.wcag_level = "AAA".into()), "wcag_level:"),
            (Box::new(|p| p.a11y_ignore = vec!["colour-contrast = brand".into()]), "a11y_ignore:"),
            (Box::new(|p| p.a11y_ignore = vec!["region".into()]), "a11y_ignore:"),
            (Box::new(|p| p.perf_budgets = vec!["speed = fast".into()]), "perf_budgets:"),
            (Box::new(|p| p.launch_date = "01/03/2027".into()), "launch_date:"),
            (Box::new(|p| p.launch_time = Some("9am".into())), "launch_time:"),
            (Box::new(|p| p.environments[0].base_url = "ftp://x.test".into()), "only http and https"),
            (Box::new(|p| p.environments[0].base_url = "javascript:alert(1)".into()), "only http and https"),
            (Box::new(|p| p.environments[0].base_url = "not a url".into()), "is not a URL"),
            (Box::new(|p| p.environments[0].resolve_ip = Some("1.2.3".into())), "resolve_ip"),
            (Box::new(|p| p.environments[1].name = "Production".into()), "used twice"),
            (Box::new(|p| p.contact_emails = vec!["nope".into()]), "contact_emails"),
            (Box::new(|p| p.contact_phones = vec!["call me".into()]), "contact_phones"),
            (Box::new(|p| p.viewports = Some("desktop,watch".into())), "viewports:"),
            (Box::new(|p| p.viewports = Some("tv=10x10".into())), "viewports:"),
            (Box::new(|p| p.forms_listed = vec!["contact".into()]), "forms_listed:"),
            (Box::new(|p| p.phone_region = "Britain".into()), "phone_region:"),
            (Box::new(|p| p.analytics_ids = vec!["G ABC".into()]), "analytics_ids:"),
        ];
        for (mutate, expect) in cases {
            let mut p = input();
            mutate(&mut p);
            let err = validate(&p).unwrap_err().to_string();
            assert!(err.contains(expect), "{err} should contain {expect}");
        }
    }
}
