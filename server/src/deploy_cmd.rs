//! `preflight deploy`: records a deploy on a Preflight server from a CI pipeline, which starts
//! a check run of the environment; with `--wait` it waits for the run and exits like
//! `preflight check` (0 clean, 1 findings at or above `--fail-on`, 2 anything that kept it
//! from knowing).

use std::{
    io::{IsTerminal, Write},
    process::ExitCode,
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use preflight_model::{DeployRecorded, FindingView, RunState, RunSummary};
use serde_json::{json, Value};

use crate::{
    check_cmd::{EXIT_ERROR, EXIT_FINDINGS},
    config::{DeployArgs, DeployFormat, FailOn},
};

/// How often `--wait` asks the server about the run.
const POLL: Duration = Duration::from_secs(2);
/// Findings listed in the text summary; the run page has them all.
const LISTED: usize = 20;

pub async fn run(args: &DeployArgs) -> ExitCode {
    match run_inner(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// A client of one server's API with one token.
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    fn new(args: &DeployArgs) -> anyhow::Result<Api> {
        let server = args.server.trim().trim_end_matches('/');
        let parsed = url::Url::parse(server).with_context(|| format!("--server {server:?} is not a URL (e.g. https://preflight.example.com)"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            bail!("--server {server:?} must be an http:// or https:// address");
        }
        if args.token.trim().is_empty() {
            bail!("--token (or PREFLIGHT_TOKEN) is empty: create a token on the Account page or with `preflight token create`");
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("preflight-deploy/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Api { http, base: server.to_string(), token: args.token.trim().to_string() })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// Sends a request and reads the JSON answer; a refusal becomes an error with the
    /// server's own message.
    async fn call(&self, req: reqwest::RequestBuilder, what: &str) -> anyhow::Result<Value> {
        let res = req.bearer_auth(&self.token).send().await.with_context(|| format!("{what}: could not reach {}", self.base))?;
        let status = res.status();
        let body = res.text().await.with_context(|| format!("{what}: reading the answer"))?;
        let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        if !status.is_success() {
            let why = value["error"].as_str().map(str::to_string).unwrap_or_else(|| body.chars().take(200).collect());
            bail!("{what}: the server answered {status}: {why}");
        }
        if value.is_null() {
            bail!("{what}: the server's answer is not JSON — is {} a Preflight server?", self.base);
        }
        Ok(value)
    }

    async fn get(&self, path: &str, what: &str) -> anyhow::Result<Value> {
        self.call(self.http.get(self.url(path)), what).await
    }
}

/// The project's id: `--project` as a number, or the one project of that exact name.
async fn project_id(api: &Api, project: &str) -> anyhow::Result<i64> {
    if let Ok(id) = project.trim().parse::<i64>() {
        return Ok(id);
    }
    let list = api.get("/projects", "listing projects").await?;
    let projects = list["projects"].as_array().cloned().unwrap_or_default();
    let named: Vec<&Value> = projects.iter().filter(|p| p["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(project.trim()))).collect();
    match named.as_slice() {
        [one] => one["id"].as_i64().context("the project has no id"),
        [] => {
            let names: Vec<&str> = projects.iter().filter_map(|p| p["name"].as_str()).collect();
            bail!("no project is named {project:?}; the projects are: {}", if names.is_empty() { "(none)".to_string() } else { names.join(", ") })
        }
        _ => bail!("{} projects are named {project:?}: give --project its id instead", named.len()),
    }
}

async fn run_inner(args: &DeployArgs) -> anyhow::Result<ExitCode> {
    if args.wait && !(args.timeout.is_finite() && args.timeout > 0.0) {
        bail!("--timeout must be a positive number of seconds");
    }
    let api = Api::new(args)?;
    let project = project_id(&api, &args.project).await?;
    let body = json!({
        "environment": args.environment,
        "revision": args.revision,
        "description": args.description,
        "start_run": !args.no_run,
    });
    let answer = api.call(api.http.post(api.url(&format!("/projects/{project}/deploys"))).json(&body), "recording the deploy").await?;
    let recorded: DeployRecorded = serde_json::from_value(answer.clone()).context("reading the recorded deploy")?;
    let d = &recorded.deploy;
    let link = |run_id: i64| format!("{}/runs/{run_id}", api.base);
    let mut out = std::io::stdout().lock();
    match (args.format, d.run_id) {
        (DeployFormat::Json, _) => writeln!(out, "{answer}")?,
        (DeployFormat::Text, Some(run_id)) => {
            writeln!(out, "Deploy {} to {} recorded (deploy #{}); check run #{run_id} queued: {}", d.short(), d.environment, d.id, link(run_id))?
        }
        (DeployFormat::Text, None) => writeln!(out, "Deploy {} to {} recorded (deploy #{}); no check run started.", d.short(), d.environment, d.id)?,
    }
    drop(out);
    let Some(run_id) = d.run_id.filter(|_| args.wait) else {
        return Ok(ExitCode::SUCCESS);
    };

    // Wait for the run, showing its progress on a terminal.
    let show_progress = std::io::stderr().is_terminal();
    let deadline = Instant::now() + Duration::from_secs_f64(args.timeout);
    let run = loop {
        let value = api.get(&format!("/runs/{run_id}"), "reading the check run").await?;
        let run: RunSummary = serde_json::from_value(value).context("reading the check run")?;
        if run.status.is_finished() {
            if show_progress {
                eprint!("\r\x1b[2K");
            }
            break run;
        }
        if show_progress {
            let phase = if run.progress_phase.is_empty() { "waiting for a free slot" } else { &run.progress_phase };
            eprint!("\r\x1b[2Krun #{run_id}: {phase} {}/{}", run.progress_done, run.progress_total);
        }
        if Instant::now() >= deadline {
            bail!("check run #{run_id} had not finished after {} s (it goes on on the server: {})", args.timeout, link(run_id));
        }
        tokio::time::sleep(POLL).await;
    };
    let findings: Vec<FindingView> = serde_json::from_value(api.get(&format!("/runs/{run_id}/findings"), "reading the findings").await?["findings"].take())
        .context("reading the findings")?;
    let mut out = std::io::stdout().lock();
    match args.format {
        DeployFormat::Json => writeln!(out, "{}", json!({ "run": run, "findings": findings }))?,
        DeployFormat::Text => write!(out, "{}", summary(&run, &findings, &link(run_id)))?,
    }
    drop(out);
    Ok(match verdict(&run, args.fail_on) {
        Verdict::Clean => ExitCode::SUCCESS,
        Verdict::Findings => ExitCode::from(EXIT_FINDINGS),
        Verdict::DidNotComplete => {
            eprintln!("error: check run #{run_id} did not complete: {}", run.label);
            ExitCode::from(EXIT_ERROR)
        }
    })
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Clean,
    Findings,
    DidNotComplete,
}

/// How a finished run ends the command: a run that could not look never passes.
fn verdict(run: &RunSummary, fail_on: FailOn) -> Verdict {
    if run.state != RunState::Completed {
        return Verdict::DidNotComplete;
    }
    let over = match fail_on {
        FailOn::Error => run.errors,
        FailOn::Warning => run.errors + run.warnings,
        FailOn::Never => 0,
    };
    if over > 0 {
        Verdict::Findings
    } else {
        Verdict::Clean
    }
}

/// The finished run for a CI log: its label, counts, link, and the worst findings first.
fn summary(run: &RunSummary, findings: &[FindingView], link: &str) -> String {
    let mut s = format!(
        "Check run #{} of {} ({}): {}\n  {} error(s), {} warning(s), {} note(s), {} page(s) crawled\n  {link}\n",
        run.id, run.environment, run.base_url, run.label, run.errors, run.warnings, run.infos, run.pages_crawled
    );
    let rank = |f: &FindingView| match f.severity.as_str() {
        "error" => 0,
        "warning" => 1,
        _ => 2,
    };
    let mut worst: Vec<&FindingView> = findings.iter().filter(|f| rank(f) < 2).collect();
    worst.sort_by_key(|f| rank(f));
    for f in worst.iter().take(LISTED) {
        s += &format!("  {:<7} {:<22} {} — {}\n", f.severity, f.check, f.url, f.message);
    }
    if worst.len() > LISTED {
        s += &format!("  … and {} more on the run page\n", worst.len() - LISTED);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use preflight_model::RunStatus;

    fn run(state: RunState, errors: i64, warnings: i64) -> RunSummary {
        let status = match state {
            RunState::Completed if errors > 0 => RunStatus::Failed,
            RunState::Completed => RunStatus::Passed,
            RunState::Failed => RunStatus::Failed,
            _ => RunStatus::Interrupted,
        };
        RunSummary {
            id: 7,
            project_id: 1,
            environment: "production".into(),
            env_kind: "production".into(),
            base_url: "https://example.test/".into(),
            status,
            requested_by: None,
            created_at: 0,
            started_at: None,
            finished_at: Some(1),
            progress_phase: String::new(),
            progress_done: 0,
            progress_total: 0,
            pages_crawled: 3,
            errors,
            warnings,
            infos: 0,
            error: String::new(),
            state,
            label: "completed".into(),
            cause: Default::default(),
            deploy: None,
            light: false,
        }
    }

    #[test]
    fn the_exit_follows_the_threshold_and_a_run_that_did_not_look_never_passes() {
        assert_eq!(verdict(&run(RunState::Completed, 0, 0), FailOn::Error), Verdict::Clean);
        assert_eq!(verdict(&run(RunState::Completed, 0, 2), FailOn::Error), Verdict::Clean);
        assert_eq!(verdict(&run(RunState::Completed, 0, 2), FailOn::Warning), Verdict::Findings);
        assert_eq!(verdict(&run(RunState::Completed, 3, 0), FailOn::Error), Verdict::Findings);
        assert_eq!(verdict(&run(RunState::Completed, 3, 0), FailOn::Never), Verdict::Clean);
        assert_eq!(verdict(&run(RunState::Failed, 0, 0), FailOn::Never), Verdict::DidNotComplete);
        assert_eq!(verdict(&run(RunState::Interrupted, 0, 0), FailOn::Error), Verdict::DidNotComplete);
    }

    #[test]
    fn the_summary_lists_the_worst_findings_first_and_says_how_many_more() {
        let f = |severity: &str, n: usize| FindingView {
            check: "broken-link".into(),
            severity: severity.into(),
            url: format!("https://example.test/{n}"),
            message: "404".into(),
            evidence: String::new(),
            advice: String::new(),
            title: String::new(),
        };
        let mut findings: Vec<FindingView> = (0..25).map(|n| f("warning", n)).collect();
        findings.push(f("error", 99));
        findings.push(f("info", 100));
        let text = summary(&run(RunState::Completed, 1, 25), &findings, "http://127.0.0.1/runs/7");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[3].starts_with("  error"), "{text}");
        assert!(text.contains("… and 6 more on the run page"), "{text}");
        assert!(!text.contains("/100"), "notes are not listed: {text}");
    }
}
