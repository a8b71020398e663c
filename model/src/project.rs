//! Projects: their environments, credentials for protected sites, run settings and deploys.

use serde::{Deserialize, Serialize};

/// What kind of environment a URL is: it decides what the checks expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvKind {
    Dev,
    Staging,
    Production,
}

impl EnvKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EnvKind::Dev => "dev",
            EnvKind::Staging => "staging",
            EnvKind::Production => "production",
        }
    }

    pub fn parse(s: &str) -> Option<EnvKind> {
        match s {
            "dev" => Some(EnvKind::Dev),
            "staging" => Some(EnvKind::Staging),
            "production" => Some(EnvKind::Production),
            _ => None,
        }
    }

    /// Guesses the kind from a free-form environment name ("prod", "uat", "development").
    pub fn infer(name: &str) -> EnvKind {
        let n = name.to_ascii_lowercase();
        if n.contains("prod") || n == "live" || n == "www" {
            EnvKind::Production
        } else if n.contains("dev") || n.contains("local") {
            EnvKind::Dev
        } else {
            EnvKind::Staging
        }
    }
}

/// One place a project is deployed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Environment {
    #[serde(default)]
    pub id: Option<i64>,
    pub name: String,
    #[serde(default)]
    pub kind: Option<EnvKind>,
    pub base_url: String,
    /// Connect to this address instead of resolving the host (like curl's `--resolve`),
    /// to test a new server before DNS moves.
    #[serde(default)]
    pub resolve_ip: Option<String>,
    /// Make test form submissions here: `None` decides by kind (yes on dev and staging, no
    /// on production).
    #[serde(default)]
    pub submit_forms: Option<bool>,
    /// When the latest deploy to it was recorded (read only: record one with
    /// `POST /api/v1/projects/{id}/deploys`). Evidence from runs before it is stale.
    #[serde(default, skip_deserializing)]
    pub last_deploy_at: Option<i64>,
    /// What its check runs are told (the CLI's flags, per environment).
    #[serde(default)]
    pub settings: RunSettings,
    /// The protected site's credentials, as they may be shown: kind and user or header name,
    /// never the secret (read only: set them with `PUT /api/v1/environments/{id}/credentials`).
    #[serde(default, skip_deserializing)]
    pub credentials: Option<String>,
}

/// A protected site's credentials as the browser sends them once (they are never sent back).
/// The same JSON as the engine's `Credentials`: `{"kind": "basic", "username", "password"}`,
/// `{"kind": "header", "name", "value"}` or `{"kind": "cookie", "name", "value"}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Credentials {
    Basic { username: String, password: String },
    Header { name: String, value: String },
    Cookie { name: String, value: String },
}

/// Never prints the secret.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credentials::Basic { .. } => "Credentials::Basic(hidden)",
            Credentials::Header { .. } => "Credentials::Header(hidden)",
            Credentials::Cookie { .. } => "Credentials::Cookie(hidden)",
        })
    }
}

/// An environment's run settings; absent fields keep the engine's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RunSettings {
    /// URLs of the old site (absolute, or paths) that must redirect rather than answer 404.
    #[serde(default)]
    pub old_urls: Vec<String>,
    /// Most pages to crawl (1–5000; default 200).
    #[serde(default)]
    pub max_pages: Option<i64>,
    /// Most links to follow from the start page (0–50; default 6).
    #[serde(default)]
    pub max_depth: Option<i64>,
    /// Seconds the HTTP part of a run may take (10–3600; default 300).
    #[serde(default)]
    pub deadline_secs: Option<i64>,
    /// Also check links to other sites (off: nothing outside the site is contacted).
    #[serde(default)]
    pub check_external_links: bool,
    /// Words that mark a dev or staging page besides the built-in ones.
    #[serde(default)]
    pub dev_markers: Vec<String>,
    /// DNS server for the DNS checks, `IP` or `IP:PORT` (default: the system's resolver).
    #[serde(default)]
    pub nameserver: Option<String>,
}

/// The browser viewports a new project checks.
pub const DEFAULT_VIEWPORTS: &str = "desktop,old-ie,ipad,phone";

/// A project as edited in the project form and returned by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProjectInput {
    pub name: String,
    #[serde(default)]
    pub client: String,
    /// `YYYY-MM-DD`.
    pub launch_date: String,
    /// `HH:MM`, optional.
    #[serde(default)]
    pub launch_time: Option<String>,
    /// The IANA time zone the launch time and schedules are read in (`Europe/Berlin`); empty:
    /// UTC.
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub environments: Vec<Environment>,
    #[serde(default)]
    pub contact_emails: Vec<String>,
    #[serde(default)]
    pub contact_phones: Vec<String>,
    #[serde(default)]
    pub postal_address: String,
    /// Viewports of the browser checks: default names (desktop, old-ie, ipad, phone) and
    /// `NAME=WIDTHxHEIGHT[@SCALE][,mobile][,touch][,ua=…]` specs, separated by `,` or `;`.
    /// `""` turns the browser checks off; absent: [`DEFAULT_VIEWPORTS`].
    #[serde(default)]
    pub viewports: Option<String>,
    /// Forms submitted on every environment, even with a password or payment field: a page
    /// (path or URL) or `PAGE#FORM-ID` per entry.
    #[serde(default)]
    pub forms_listed: Vec<String>,
    /// Check evidence older than this many days is stale (1–365; absent: 7).
    #[serde(default)]
    pub evidence_max_age_days: Option<i64>,
    /// The region the site's national phone numbers are written in (ISO 3166 alpha-2, `GB`,
    /// `US`…): "0117 496 0123" is then the same number as "+44 117 496 0123". Empty: none.
    #[serde(default)]
    pub phone_region: String,
    /// Analytics ids every production page must carry: `G-XXXXXXX`, `GTM-XXXX`, a Plausible
    /// domain, a Matomo site id URL…
    #[serde(default)]
    pub analytics_ids: Vec<String>,
    /// Ignore regions: parts of pages masked before every screenshot (carousels, dates,
    /// live chat), so they never count as a visual change. One per entry:
    /// `[/path-prefix] css-selector-list`, e.g. `.carousel` (every page) or
    /// `/news time, .ticker` (pages under /news).
    #[serde(default)]
    pub ignore_regions: Vec<String>,
    /// The WCAG level the accessibility checks hold the site to: `A` or `AA` (the default).
    #[serde(default = "default_wcag_level")]
    pub wcag_level: String,
    /// Accessibility rules left out of this project's runs, each with the reason:
    /// `RULE = REASON`, RULE being axe-core's rule id (`color-contrast`).
    #[serde(default)]
    pub a11y_ignore: Vec<String>,
    /// Performance budgets over the defaults, one `metric = value` per entry: `lcp = 2s`,
    /// `cls = 0.05`, `tbt = 300ms`, `js = 300KB`, `requests = 60` (metrics: ttfb, fcp, lcp,
    /// cls, tbt, total, html, js, css, images, fonts, requests).
    #[serde(default)]
    pub perf_budgets: Vec<String>,
    /// Load the phone and tablet viewports as a mid-range phone on a slow network (CPU 4×
    /// slower, 150 ms round trips, 1.6 Mbit/s down, 750 kbit/s up), as Lighthouse's mobile
    /// profile does: their timings then say what phone users see.
    #[serde(default)]
    pub throttle_mobile: bool,
}

/// Projects hold their sites to WCAG level AA unless they say A.
pub fn default_wcag_level() -> String {
    "AA".to_string()
}

/// One ignore region: the pages it applies to (a path prefix; `None`: every page) and the CSS
/// selectors whose elements are masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRegion {
    pub path_prefix: Option<String>,
    pub selector: String,
}

impl IgnoreRegion {
    /// Reads `[/path-prefix] selector-list`; `Err` says what is wrong in words.
    pub fn parse(line: &str) -> Result<IgnoreRegion, String> {
        let line = line.trim();
        let (prefix, selector) = match line.strip_prefix('/') {
            Some(_) => match line.split_once(char::is_whitespace) {
                Some((p, rest)) => (Some(p.to_string()), rest.trim()),
                None => return Err(format!("\"{line}\" names pages but no CSS selector; write e.g. \"{line} .carousel\".")),
            },
            None => (None, line),
        };
        if selector.is_empty() {
            return Err("an ignore region needs a CSS selector, e.g. .carousel or #clock.".into());
        }
        if selector.len() > 300 {
            return Err(format!(
                "\"{}…\" is longer than 300 characters.",
                &selector[..selector.char_indices().nth(40).map(|(i, _)| i).unwrap_or(selector.len())]
            ));
        }
        if selector.contains(['{', '}', '<', ';', '\\']) {
            return Err(format!("\"{selector}\" is not a CSS selector (no braces, semicolons, backslashes or HTML)."));
        }
        let balanced = |open: char, close: char| {
            let mut depth = 0i32;
            for c in selector.chars() {
                if c == open {
                    depth += 1;
                } else if c == close {
                    depth -= 1;
                    if depth < 0 {
                        return false;
                    }
                }
            }
            depth == 0
        };
        if !balanced('[', ']') || !balanced('(', ')') || selector.matches('"').count() % 2 == 1 || selector.matches('\'').count() % 2 == 1 {
            return Err(format!("\"{selector}\" is not a CSS selector: its brackets or quotes do not close."));
        }
        Ok(IgnoreRegion { path_prefix: prefix, selector: selector.to_string() })
    }

    /// Whether the region applies to the page at `path`.
    pub fn applies_to(&self, path: &str) -> bool {
        match &self.path_prefix {
            None => true,
            Some(p) => path == p || path.starts_with(&format!("{}/", p.trim_end_matches('/'))) || (p.ends_with('/') && path.starts_with(p.as_str())),
        }
    }
}

/// A project with its environments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub client: String,
    pub launch_date: String,
    pub launch_time: Option<String>,
    /// See [`ProjectInput::time_zone`].
    #[serde(default = "utc")]
    pub time_zone: String,
    pub environments: Vec<Environment>,
    pub contact_emails: Vec<String>,
    pub contact_phones: Vec<String>,
    pub postal_address: String,
    /// See [`ProjectInput::viewports`]; `""`: no browser checks.
    pub viewports: String,
    pub forms_listed: Vec<String>,
    /// Check evidence older than this many days is stale.
    pub evidence_max_age_days: i64,
    /// See [`ProjectInput::phone_region`].
    #[serde(default)]
    pub phone_region: String,
    /// See [`ProjectInput::analytics_ids`].
    #[serde(default)]
    pub analytics_ids: Vec<String>,
    /// See [`ProjectInput::ignore_regions`].
    #[serde(default)]
    pub ignore_regions: Vec<String>,
    /// See [`ProjectInput::wcag_level`].
    #[serde(default = "default_wcag_level")]
    pub wcag_level: String,
    /// See [`ProjectInput::a11y_ignore`].
    #[serde(default)]
    pub a11y_ignore: Vec<String>,
    /// See [`ProjectInput::perf_budgets`].
    #[serde(default)]
    pub perf_budgets: Vec<String>,
    /// See [`ProjectInput::throttle_mobile`].
    #[serde(default)]
    pub throttle_mobile: bool,
    pub archived: bool,
    pub template_version: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A row of the project list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    pub id: i64,
    pub name: String,
    pub client: String,
    pub launch_date: String,
    pub launch_time: Option<String>,
    pub archived: bool,
    pub done: i64,
    pub total: i64,
    pub overdue: i64,
}

/// What deleting a project did: deleted it, or — when the client signed off its launch — kept
/// the sign-off record and archived the project instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteOutcome {
    pub deleted: bool,
    pub archived: bool,
    pub message: String,
}

/// A deploy to one of a project's environments, as recorded by the team or CI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deploy {
    pub id: i64,
    pub environment: String,
    pub at: i64,
    pub revision: String,
    /// What the deploy was about (given as `description` or `note`).
    pub note: String,
    pub recorded_by: Option<String>,
    /// The check run the deploy started, if it started one.
    #[serde(default)]
    pub run_id: Option<i64>,
}

impl Deploy {
    /// How people see which deploy this was: `abc1234` (a commit id shortened to 7), the
    /// revision as given, or `#12` when none was given.
    pub fn short(&self) -> String {
        short_revision(self.id, &self.revision)
    }
}

/// A revision as people read it: a long hexadecimal commit id is shortened to 7 characters,
/// other revisions (`v2.3.1`) stay whole, and a deploy without one is `#id`.
pub fn short_revision(deploy_id: i64, revision: &str) -> String {
    let r = revision.trim();
    if r.is_empty() {
        format!("#{deploy_id}")
    } else if r.len() > 12 && r.chars().all(|c| c.is_ascii_hexdigit()) {
        r[..7].to_string()
    } else {
        r.to_string()
    }
}

fn utc() -> String {
    "UTC".into()
}

fn yes() -> bool {
    true
}

/// Input for recording a deploy: the environment's name (or id), optionally the revision
/// deployed and a description (`note` is the older name of the same field). A deploy starts a
/// check run of the environment unless `start_run` is false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDeploy {
    pub environment: String,
    #[serde(default)]
    pub revision: String,
    #[serde(default, alias = "description")]
    pub note: String,
    #[serde(default = "yes")]
    pub start_run: bool,
}

/// What recording a deploy did: the deploy (with `run_id`) and the run it queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "DeployRecordedWire")]
pub struct DeployRecorded {
    #[serde(flatten)]
    pub deploy: Deploy,
    pub run: Option<crate::RunSummary>,
}

/// [`DeployRecorded`]'s JSON read as one flat object: serde reads `flatten` by buffering the
/// object into an untyped tree, which doubled the deserializers compiled into the web app.
#[derive(Deserialize)]
struct DeployRecordedWire {
    id: i64,
    environment: String,
    at: i64,
    revision: String,
    note: String,
    recorded_by: Option<String>,
    #[serde(default)]
    run_id: Option<i64>,
    run: Option<crate::RunSummary>,
}

impl From<DeployRecordedWire> for DeployRecorded {
    fn from(w: DeployRecordedWire) -> Self {
        let DeployRecordedWire { id, environment, at, revision, note, recorded_by, run_id, run } = w;
        DeployRecorded { deploy: Deploy { id, environment, at, revision, note, recorded_by, run_id }, run }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_deploy_reads_back_its_flat_json() {
        let recorded = DeployRecorded {
            deploy: Deploy { id: 4, environment: "staging".into(), at: 9, revision: "v2".into(), note: "fix".into(), recorded_by: None, run_id: Some(12) },
            run: None,
        };
        let json = serde_json::to_value(&recorded).unwrap();
        assert_eq!(json["id"], 4);
        assert_eq!(json["run_id"], 12);
        assert_eq!(serde_json::from_value::<DeployRecorded>(json).unwrap(), recorded);
    }

    #[test]
    fn revisions_read_short() {
        assert_eq!(short_revision(3, "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6"), "0f1e2d3");
        assert_eq!(short_revision(3, "v2.3.1"), "v2.3.1");
        assert_eq!(short_revision(3, "abc1234"), "abc1234");
        assert_eq!(short_revision(3, "  "), "#3");
    }

    #[test]
    fn a_deploy_takes_description_or_note_and_starts_a_run_by_default() {
        let d: NewDeploy = serde_json::from_str(r#"{"environment":"production","revision":"abc","description":"Fix menu"}"#).unwrap();
        assert_eq!((d.note.as_str(), d.start_run), ("Fix menu", true));
        let d: NewDeploy = serde_json::from_str(r#"{"environment":"production","note":"x","start_run":false}"#).unwrap();
        assert_eq!((d.note.as_str(), d.start_run), ("x", false));
        assert!(serde_json::from_str::<NewDeploy>(r#"{"environment":"p","sha":"x"}"#).is_err());
    }

    #[test]
    fn ignore_regions_read_pages_and_selectors_and_refuse_what_is_not_css() {
        let all = IgnoreRegion::parse(".carousel, #clock").unwrap();
        assert_eq!((all.path_prefix.as_deref(), all.selector.as_str()), (None, ".carousel, #clock"));
        assert!(all.applies_to("/") && all.applies_to("/news/1"));
        let news = IgnoreRegion::parse("/news  time[datetime], .ticker > span").unwrap();
        assert_eq!((news.path_prefix.as_deref(), news.selector.as_str()), (Some("/news"), "time[datetime], .ticker > span"));
        assert!(news.applies_to("/news") && news.applies_to("/news/today"));
        assert!(!news.applies_to("/newsletter") && !news.applies_to("/"));
        for bad in ["/news", "", "a { color: red }", "div;", "<script>", "a[href", "p:not(.x", "a[title=\"x]"] {
            assert!(IgnoreRegion::parse(bad).is_err(), "{bad}");
        }
    }
}
