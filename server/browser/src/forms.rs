//! Test form submissions: each allowed form is sent plausible data, then nothing in the
//! required fields, then international text, then malformed data (a bad e-mail address,
//! letters in number fields, 10,000 characters, HTML and a script tag in text fields, with the
//! browser's own validation off, as a script would send them), and the answers are judged the
//! way a careful tester would ("Test it like a consumer — bad / missing data, international
//! data / Unicode").
//!
//! Safety: forms are only submitted when the run's [`FormPolicy`](crate::FormPolicy) allows
//! it, only to the page's own site, and never with a password or payment field unless the
//! form is listed explicitly.

use std::time::{Duration, Instant};

use preflight_engine::{finding::snippet, Finding};
use serde::Deserialize;
use url::Url;

use crate::{
    capture::{self, js_string, Found, JobOutput, TabHandle},
    session::{Job, Shared},
};

/// International test text: accents, CJK, Arabic (right to left) and an emoji.
pub const INTERNATIONAL: &str = "Zoë Ångström 李小龍 مرحبا 🚀";

/// A form as found on a page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FormInfo {
    pub index: usize,
    pub id: String,
    pub name: String,
    pub action: String,
    pub method: String,
    /// `name:type` with `*` for required fields.
    pub fields: Vec<String>,
    /// Fields a person types or picks in.
    pub fillable: usize,
    /// `password` or `payment` when the form asks for one.
    pub sensitive: Option<String>,
    /// How people can tell it apart, e.g. `form#contact`.
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct FormJob {
    pub page: Url,
    pub form: FormInfo,
}

/// The kinds of data sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Valid,
    Empty,
    Unicode,
    Malformed,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Valid => "valid",
            Mode::Empty => "empty",
            Mode::Unicode => "unicode",
            Mode::Malformed => "malformed",
        }
    }
}

/// What one submission did.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    pub mode: Option<Mode>,
    /// The browser's own validation stopped it (with this message).
    pub blocked: Option<String>,
    /// Values sent, by field name.
    pub sent: Vec<(String, String)>,
    pub navigated: bool,
    /// HTTP status of the page the submission led to.
    pub status: Option<u32>,
    /// XHR/fetch answers after the submission.
    pub background: Vec<(String, u32)>,
    pub requests: usize,
    pub before: String,
    pub after: Option<After>,
    /// The page did not answer (or was gone) after the submission.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct After {
    pub url: String,
    pub title: String,
    pub text: String,
    pub error_messages: Vec<String>,
    pub values: Vec<String>,
    pub invalid_fields: usize,
    /// Style sheets on the page after the submission (none: a bare error page).
    #[serde(default)]
    pub stylesheets: usize,
    /// The submitted markup came back as elements (not escaped text).
    #[serde(default)]
    pub markup: bool,
    /// The submitted script tag came back and ran.
    #[serde(default)]
    pub script_ran: bool,
}

#[derive(Debug, Deserialize)]
struct Started {
    #[serde(default)]
    sent: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    blocked: bool,
    #[serde(default)]
    validation: String,
    #[serde(default)]
    before: String,
    #[serde(default)]
    error: Option<String>,
}

/// The forms on the page just measured that this run may submit, as jobs (each form once
/// per run, however many pages carry it).
pub(crate) fn discover(shared: &Shared, h: &TabHandle, page: &Url) -> Vec<Job> {
    let policy = &shared.settings.forms;
    if !policy.submit_found && policy.listed.is_empty() {
        return Vec::new();
    }
    let Ok(forms) = capture::forms_on_page(h) else {
        return Vec::new();
    };
    let mut jobs = Vec::new();
    for form in forms {
        let listed = policy.lists(page, &form.id) || (!form.name.is_empty() && policy.lists(page, &form.name));
        let allowed = listed || (policy.submit_found && form.sensitive.is_none());
        if !allowed && policy.submit_found && form.sensitive.is_some() {
            shared.forms_withheld.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        if !allowed || form.fillable == 0 || !same_site(page, &form.action) {
            continue;
        }
        let key = format!("{} {} {}", form.method, form.action.split('?').next().unwrap_or_default(), form.fields.join(","));
        if !shared.seen_forms.lock().expect("forms lock").insert(key) {
            continue;
        }
        jobs.push(Job::Form { job: Box::new(FormJob { page: page.clone(), form }), attempt: 0 });
    }
    jobs
}

fn same_site(page: &Url, action: &str) -> bool {
    match page.join(action) {
        Ok(a) => matches!(a.scheme(), "http" | "https") && a.host_str() == page.host_str() && a.port_or_known_default() == page.port_or_known_default(),
        Err(_) => false,
    }
}

/// Submits one form three ways and judges the answers.
pub(crate) fn run(shared: &Shared, h: &TabHandle, job: &FormJob) -> Result<JobOutput, String> {
    let settings = &shared.settings;
    let vp = &settings.viewports[0];
    h.emulate(vp, &shared.user_agent, false)?;
    let mut subs = Vec::new();
    for mode in [Mode::Valid, Mode::Empty, Mode::Unicode, Mode::Malformed] {
        subs.push(submit(h, job, mode, settings.load_timeout)?);
    }
    let what = format!("form {}", job.form.label);
    let found = judge(job.page.as_str(), &job.form.label, &subs).into_iter().map(|f| Found::at(f, &what)).collect();
    Ok(JobOutput { found, form_tested: true, ..Default::default() })
}

fn submit(h: &TabHandle, job: &FormJob, mode: Mode, load_timeout: Duration) -> Result<Submission, String> {
    h.events.lock().expect("events lock").reset();
    if !h.navigate(job.page.as_str(), load_timeout)? {
        return Ok(Submission { mode: Some(mode), problem: Some("the page with the form did not load".into()), ..Default::default() });
    }
    h.settle(Duration::from_millis(200), Duration::from_millis(1000));
    let expr =
        format!("window.__preflight ? window.__preflight.fillAndSubmit({}, {}, {}) : null", job.form.index, js_string(mode.as_str()), js_string(INTERNATIONAL));
    h.events.lock().expect("events lock").mark();
    let (started, _) = h.eval_json::<Started>(&expr)?;
    let Some(started) = started else {
        return Ok(Submission { mode: Some(mode), problem: Some("the page's helper script did not run".into()), ..Default::default() });
    };
    if let Some(e) = started.error {
        return Ok(Submission { mode: Some(mode), problem: Some(e), ..Default::default() });
    }
    let sent: Vec<(String, String)> = started.sent.into_iter().map(|(k, v)| (k, v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))).collect();
    if started.blocked {
        return Ok(Submission { mode: Some(mode), blocked: Some(started.validation), sent, before: started.before, ..Default::default() });
    }
    // Wait for the answer: a new page, or background requests that have gone quiet.
    let t0 = Instant::now();
    h.wait_for(load_timeout.min(Duration::from_secs(10)), |e| {
        let navigated = e.main_navigations > 0;
        let quiet = e.last_activity.is_none_or(|l| l.elapsed() > Duration::from_millis(700));
        (navigated && e.loaded) || (!navigated && t0.elapsed() > Duration::from_millis(1200) && quiet) || e.crashed
    });
    h.settle(Duration::from_millis(200), Duration::from_millis(1000));
    let (navigated, status, background, requests) = {
        let e = h.events.lock().expect("events lock");
        let background = e
            .responses
            .iter()
            .filter(|r| {
                matches!(
                    r.kind,
                    Some(headless_chrome::protocol::cdp::Network::ResourceType::Xhr | headless_chrome::protocol::cdp::Network::ResourceType::Fetch)
                )
            })
            .map(|r| (r.url.clone(), r.status))
            .collect();
        (e.main_navigations > 0, e.document_status, background, e.requests_sent)
    };
    let after = h.eval_json::<After>("window.__preflight ? window.__preflight.afterSubmit() : null").ok().and_then(|(a, _)| a);
    Ok(Submission {
        mode: Some(mode),
        blocked: None,
        sent,
        navigated,
        status: if navigated { status } else { None },
        background,
        requests,
        before: started.before,
        problem: after.is_none().then(|| "the page did not answer after the submission".to_string()),
        after,
    })
}

/// Framework and server error pages.
const ERROR_PAGE: &str = r"(?i)traceback \(most recent call last\)|internal server error|server error \(5\d\d\)|whoops, looks like something went wrong|stack trace:|exception (was thrown|value:)|fatal error:|an unexpected error (has )?occurred|application error";
/// Words of a human error message.
const ERROR_WORDS: &str = r"(?i)\b(required|invalid|error|please (enter|fill|provide|choose|select|check)|must|missing|can'?t be (blank|empty)|cannot be (blank|empty)|is not valid|fill (in|out)|mandatory|incorrect)\b";

/// Findings from the three submissions of one form.
pub fn judge(page: &str, label: &str, subs: &[Submission]) -> Vec<Finding> {
    let error_page = regex::Regex::new(ERROR_PAGE).expect("a valid pattern");
    let error_words = regex::Regex::new(ERROR_WORDS).expect("a valid pattern");
    let mut out = Vec::new();
    for s in subs {
        let Some(mode) = s.mode else { continue };
        if s.blocked.is_some() {
            continue;
        }
        let with = match mode {
            Mode::Valid => "plausible data",
            Mode::Empty => "required fields left empty",
            Mode::Unicode => "international text (accents, CJK, Arabic, emoji)",
            Mode::Malformed => "malformed data (a bad e-mail address, letters in number fields, 10,000 characters, HTML)",
        };
        let server_error = s.status.filter(|c| *c >= 500).or_else(|| s.background.iter().map(|b| b.1).find(|c| *c >= 500));
        if let Some(code) = server_error {
            out.push(Finding::new("form-submit-error", page, format!("The form {label} answers {with} with a server error (HTTP {code})"), sent_evidence(s)));
            // The 500 page itself, as visitors see it: styled like the site, or a bare default?
            if let (Some(doc), Some(after)) = (s.status.filter(|c| *c >= 500), s.after.as_ref()) {
                if after.stylesheets == 0 {
                    out.push(Finding::new(
                        "error-page-default",
                        after.url.as_str(),
                        format!("The error page (HTTP {doc}) the form {label} leads to has no styling: visitors see a bare page with no way back."),
                        format!("the page says \"{}\"", snippet(format!("{} {}", after.title, after.text).trim(), 120)),
                    ));
                }
            }
            continue;
        }
        if let Some(hit) = s.after.as_ref().and_then(|a| error_page.find(&format!("{}\n{}", a.title, a.text)).map(|m| m.as_str().to_string())) {
            out.push(Finding::new(
                "form-submit-error",
                page,
                format!("The form {label} answers {with} with an error page"),
                format!("the page says \"{}\"", snippet(&hit, 100)),
            ));
            continue;
        }
        let Some(after) = &s.after else { continue };
        match mode {
            Mode::Malformed => {
                if after.markup || after.script_ran {
                    let what = if after.script_ran { "the submitted script tag came back and ran" } else { "the submitted HTML came back as markup" };
                    out.push(Finding::new(
                        "form-reflects-markup",
                        page,
                        format!("The form {label} sends submitted HTML back unescaped ({what}): anyone can inject content or scripts into the page (cross-site scripting)"),
                        format!("{}; answer at {}", sent_evidence(s), after.url),
                    ));
                }
            }
            Mode::Valid => {
                let changed = s.navigated || s.requests > 0 || after.text.trim() != s.before.trim();
                if !changed {
                    out.push(Finding::new(
                        "form-no-effect",
                        page,
                        format!("Submitting the form {label} does nothing visible"),
                        "no new page, no request and no change on the page after pressing submit",
                    ));
                }
            }
            Mode::Empty => {
                let new_text: Vec<&str> = after.text.lines().filter(|l| !s.before.contains(l.trim())).collect();
                let said = !after.error_messages.is_empty() || after.invalid_fields > 0 || new_text.iter().any(|l| error_words.is_match(l));
                if !said {
                    let msg = if s.navigated || after.text.trim() != s.before.trim() {
                        format!("The form {label} accepts an empty submission without a word about the missing data")
                    } else {
                        format!("The form {label} shows no human-readable error message for missing data")
                    };
                    let evidence = if new_text.is_empty() {
                        "nothing new appeared on the page".to_string()
                    } else {
                        format!("the page then says: \"{}\"", snippet(&new_text.join(" "), 160))
                    };
                    out.push(Finding::new("form-error-message-missing", page, msg, evidence));
                }
            }
            Mode::Unicode => {
                let mut haystack = after.text.clone();
                for v in &after.values {
                    haystack.push('\n');
                    haystack.push_str(v);
                }
                if let Some((sent, seen)) = mangled(&s.sent, &haystack) {
                    out.push(Finding::new(
                        "form-unicode-mangled",
                        page,
                        format!("The form {label} mangles international text"),
                        format!("sent \"{}\", the page shows \"{}\"", snippet(&sent, 60), snippet(&seen, 60)),
                    ));
                }
            }
        }
    }
    out
}

fn sent_evidence(s: &Submission) -> String {
    let fields: Vec<String> = s.sent.iter().take(4).map(|(k, v)| format!("{k}=\"{}\"", snippet(v, 40))).collect();
    if fields.is_empty() {
        "sent: nothing".into()
    } else {
        format!("sent: {}", fields.join(", "))
    }
}

/// The first non-ASCII value that comes back broken: as mojibake (UTF-8 read as Latin-1 or
/// Windows-1252), as question marks, or with replacement characters. Values that do not
/// come back at all say nothing.
pub fn mangled(sent: &[(String, String)], page: &str) -> Option<(String, String)> {
    for (_, value) in sent.iter().filter(|(_, v)| !v.is_ascii()) {
        for word in value.split_whitespace().filter(|w| !w.is_ascii()) {
            if page.contains(word) {
                continue;
            }
            for variant in [latin1_mojibake(word), cp1252_mojibake(word), question_marks(word)] {
                if page.contains(&variant) {
                    return Some((word.to_string(), variant));
                }
            }
            if let Some(pos) = page.find('\u{FFFD}') {
                let start = page[..pos].char_indices().rev().nth(10).map_or(0, |(i, _)| i);
                return Some((word.to_string(), page[start..].chars().take(24).collect()));
            }
        }
    }
    None
}

fn latin1_mojibake(s: &str) -> String {
    s.bytes().map(|b| b as char).collect()
}

fn cp1252_mojibake(s: &str) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™',
        'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    s.bytes().map(|b| if (0x80..0xa0).contains(&b) { HIGH[(b - 0x80) as usize] } else { b as char }).collect()
}

fn question_marks(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii() { c } else { '?' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(mode: Mode) -> Submission {
        Submission { mode: Some(mode), before: "Contact us\nName".into(), ..Default::default() }
    }

    #[test]
    fn a_bare_500_page_after_a_submission_is_judged_as_an_error_page() {
        let after = |sheets: usize| -> After {
            serde_json::from_value(serde_json::json!({"url": "http://x/contact", "title": "", "text": "Internal Server Error", "errorMessages": [], "values": [], "invalidFields": 0, "stylesheets": sheets}))
                .unwrap()
        };
        let mut s = sub(Mode::Valid);
        s.navigated = true;
        s.status = Some(500);
        s.after = Some(after(0));
        let f = judge("http://x/contact", "form#c", &[s]);
        let ids: Vec<&str> = f.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(ids, vec!["form-submit-error", "error-page-default"]);
        assert!(f[1].message.contains("HTTP 500") && f[1].evidence.contains("Internal Server Error"), "{:?}", f[1]);
        let mut styled = sub(Mode::Valid);
        styled.navigated = true;
        styled.status = Some(502);
        styled.after = Some(after(2));
        assert_eq!(judge("http://x/contact", "form#c", &[styled]).len(), 1, "a styled error page is fine");
    }

    #[test]
    fn server_errors_and_error_pages_are_submit_errors() {
        let mut s = sub(Mode::Unicode);
        s.navigated = true;
        s.status = Some(500);
        s.sent = vec![("name".into(), INTERNATIONAL.into())];
        let f = judge("http://x/", "form#c", &[s]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].check, "form-submit-error");
        assert!(f[0].message.contains("international") && f[0].message.contains("500"), "{}", f[0].message);

        let mut s = sub(Mode::Valid);
        s.navigated = true;
        s.status = Some(200);
        s.after = Some(After { text: "Traceback (most recent call last):\n  File x".into(), ..Default::default() });
        assert_eq!(judge("http://x/", "form#c", &[s])[0].check, "form-submit-error");
    }

    #[test]
    fn empty_submissions_need_a_message() {
        let mut quiet = sub(Mode::Empty);
        quiet.after = Some(After { text: "Contact us\nName".into(), ..Default::default() });
        assert_eq!(judge("http://x/", "f", &[quiet])[0].check, "form-error-message-missing");

        let mut thanks = sub(Mode::Empty);
        thanks.navigated = true;
        thanks.after = Some(After { text: "Thank you!".into(), ..Default::default() });
        let f = judge("http://x/", "f", &[thanks]);
        assert!(f[0].message.contains("accepts an empty submission"), "{}", f[0].message);

        let mut good = sub(Mode::Empty);
        good.after = Some(After { text: "Contact us\nName\nPlease enter your name.".into(), ..Default::default() });
        assert!(judge("http://x/", "f", &[good]).is_empty());

        let mut native = sub(Mode::Empty);
        native.blocked = Some("name: Please fill in this field.".into());
        assert!(judge("http://x/", "f", &[native]).is_empty());
    }

    #[test]
    fn a_form_that_does_nothing_is_found() {
        let mut s = sub(Mode::Valid);
        s.after = Some(After { text: "Contact us\nName".into(), ..Default::default() });
        assert_eq!(judge("http://x/", "f", &[s])[0].check, "form-no-effect");
    }

    #[test]
    fn mojibake_question_marks_and_replacement_characters_are_mangling() {
        let sent = vec![("name".to_string(), INTERNATIONAL.to_string())];
        assert!(mangled(&sent, &format!("Thanks, {INTERNATIONAL}!")).is_none());
        assert!(mangled(&sent, "Thanks, someone").is_none());
        let (word, seen) = mangled(&sent, "Thanks, ZoÃ« Ã…ngstrÃ¶m").unwrap();
        assert_eq!((word.as_str(), seen.as_str()), ("Zoë", "ZoÃ«"));
        assert!(mangled(&sent, "Thanks, Zo? ?ngstr?m").is_some());
        assert!(mangled(&sent, "Thanks, Zo\u{FFFD} x").is_some());
        assert_eq!(cp1252_mojibake("’"), "â€™");
    }

    #[test]
    fn only_same_site_actions_are_submitted() {
        let page = Url::parse("http://127.0.0.1:8080/contact").unwrap();
        assert!(same_site(&page, "/send"));
        assert!(same_site(&page, "http://127.0.0.1:8080/x"));
        assert!(!same_site(&page, "http://127.0.0.1:9090/x"));
        assert!(!same_site(&page, "https://forms.example/x"));
        assert!(!same_site(&page, "javascript:void(0)"));
    }
}
