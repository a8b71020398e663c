//! End-to-end: a fresh install in real Chromium — owner setup, sign-in, a new project,
//! ticking an item (no page reload: hydration works) and a second person's browser seeing
//! the tick live. No console errors anywhere (this also proves the CSP lets the WASM run).

use std::time::Duration;

use anyhow::Result;
use end2end::*;

const OWNER_PW: &str = "owner password 1";
const MEMBER_PW: &str = "member password 2";

#[test]
fn setup_login_project_tick_and_live_update() -> Result<()> {
    let server = Server::start()?;
    let chrome = launch_browser()?;

    // --- The owner's browser: first visit offers setup.
    let owner = chrome.browser.new_tab()?;
    let owner_log = ConsoleLog::attach(&owner)?;
    owner.navigate_to(&server.url("/"))?.wait_until_navigated()?;
    assert!(owner.get_url().ends_with("/setup"), "fresh install should offer setup, got {}", owner.get_url());
    screenshot(&owner, "01-setup")?;
    fill(&owner, "input[name=setup_code]", &server.setup_code()?)?;
    fill(&owner, "input[name=name]", "Olivia Owner")?;
    fill(&owner, "input[name=email]", "olivia@example.test")?;
    fill(&owner, "input[name=password]", OWNER_PW)?;
    fill(&owner, "input[name=password2]", OWNER_PW)?;
    owner.find_element("form button[type=submit]")?.click()?;
    wait_for(&owner, "location.pathname === '/' && !!document.querySelector('.empty')", Duration::from_secs(15))?;
    wait_hydrated(&owner)?;
    screenshot(&owner, "02-no-projects")?;

    // --- Create a project through the form (client-side navigation).
    owner.find_element("a[href='/projects/new']")?.click()?;
    wait_for(&owner, "location.pathname === '/projects/new' && !!document.querySelector('form.form')", Duration::from_secs(10))?;
    fill(&owner, "form.form label:nth-of-type(1) input", "ACME relaunch")?;
    let set = |label: &str, value: &str| fill(&owner, &format!("form.form .grid2 label:nth-child({label}) input"), value);
    set("1", "ACME relaunch")?;
    set("2", "ACME Corp")?;
    set("3", "2027-03-01")?;
    set("4", "09:30")?;
    fill(&owner, ".env-row:nth-child(3) input[type=url]", "https://www.acme.test")?;
    fill(&owner, ".env-row:nth-child(1) input[type=url]", &server.url("/login"))?;
    screenshot(&owner, "03-new-project")?;
    owner.evaluate("window.__noReload = 'still here'", false)?;
    owner.find_element("form.form button[type=submit]")?.click()?;
    wait_for(&owner, "/^\\/projects\\/\\d+$/.test(location.pathname) && !!document.querySelector('.item input[type=checkbox]')", Duration::from_secs(15))?;
    let project_path: String = js(&owner, "location.pathname")?.as_str().unwrap_or_default().to_string();
    let items = js(&owner, "document.querySelectorAll('.item').length")?.as_i64().unwrap_or(0);
    assert!(items >= 60, "the new project should have the template's items, found {items}");

    // --- A second person signs in in another browser session and opens the same checklist.
    server.cli(&["user", "add", "mark@example.test", "--name", "Mark Member", "--role", "member"], &format!("{MEMBER_PW}\n"))?;
    let ctx = chrome.browser.new_context()?;
    let member = ctx.new_tab()?;
    let member_log = ConsoleLog::attach(&member)?;
    member.navigate_to(&server.url(&project_path))?.wait_until_navigated()?;
    assert!(member.get_url().contains("/login"), "signed-out visitors go to sign-in, got {}", member.get_url());
    fill(&member, "input[name=email]", "mark@example.test")?;
    fill(&member, "input[name=password]", MEMBER_PW)?;
    member.find_element("form button[type=submit]")?.click()?;
    wait_for(&member, &format!("location.pathname === '{project_path}' && !!document.querySelector('.item')"), Duration::from_secs(15))?;
    wait_hydrated(&member)?;
    wait_for(&member, "document.querySelector('.live.on') !== null", Duration::from_secs(10))?;

    // --- The owner ticks the first item: no reload, and the member sees it live.
    let first = "document.querySelector('.item input[type=checkbox]')";
    assert_eq!(js(&member, &format!("{first}.checked"))?, serde_json::json!(false));
    owner.find_element(".item input[type=checkbox]")?.click()?;
    wait_for(&owner, &format!("{first}.checked && document.querySelector('.item').classList.contains('done')"), Duration::from_secs(10))?;
    assert_eq!(js(&owner, "window.__noReload")?, serde_json::json!("still here"), "ticking must not reload the page");
    let latency = wait_for(&member, &format!("{first}.checked"), Duration::from_secs(10))?;
    eprintln!("live update reached the second browser {} ms after the tick was confirmed", latency.as_millis());
    wait_for(&member, "document.querySelector('.item .item-summary').textContent.includes('Done by Olivia Owner')", Duration::from_secs(5))?;
    screenshot(&member, "04-checklist-live")?;

    // --- Phone and iPad widths: the checklist fits, nothing scrolls sideways.
    for (name, w, h, mobile) in [("phone", 390, 844, true), ("ipad", 768, 1024, true)] {
        set_screen(&member, w, h, mobile)?;
        let overflow = horizontal_overflow(&member)?;
        assert!(overflow <= 0, "the checklist is {overflow} px wider than a {name} screen");
        screenshot(&member, &format!("06-checklist-{name}"))?;
        if name == "phone" {
            // Archive and delete wait in the project's "More" menu, away from the everyday buttons.
            js(&member, "document.querySelector('details.more summary').click()")?;
            let menu = js(&member, "document.querySelector('details.more[open] ul').textContent")?;
            let menu = menu.as_str().unwrap_or_default();
            assert!(menu.contains("Archive the project") && menu.contains("Delete the project…"), "{menu}");
            assert!(horizontal_overflow(&member)? <= 0, "the open menu fits the phone");
            screenshot(&member, "06-checklist-phone-more")?;
            js(&member, "document.querySelector('details.more summary').click()")?;
        }
    }

    // --- Run the automated checks from the page against a site on loopback (Preflight's own
    // sign-in page, as the "dev" environment); progress and the result arrive live.
    member.call_method(headless_chrome::protocol::cdp::Emulation::ClearDeviceMetricsOverride(None))?;
    choose(&owner, ".runs select", "dev")?;
    owner.find_element(".runs button.primary")?.click()?;
    wait_for(&member, "!!document.querySelector('.run-row')", Duration::from_secs(10))?;
    wait_for(
        &owner,
        "!!document.querySelector('.run-row .status-passed, .run-row .status-completed-errors, .run-row .status-failed')",
        Duration::from_secs(60),
    )?;
    wait_for(
        &member,
        "!!document.querySelector('.run-row .status-passed, .run-row .status-completed-errors, .run-row .status-failed')",
        Duration::from_secs(10),
    )?;
    open_all_details(&owner)?;
    wait_for(&owner, "!!document.querySelector('.evidence')", Duration::from_secs(10))?;
    screenshot(&owner, "07-checklist-evidence")?;
    owner.find_element(".run-row a")?.click()?;
    wait_for(&owner, "/^\\/runs\\/\\d+$/.test(location.pathname) && !!document.querySelector('.summary')", Duration::from_secs(10))?;
    screenshot(&owner, "08-run")?;
    // The run's browser checks: a gallery of real screenshots (pages × viewports).
    wait_for(
        &owner,
        "document.querySelectorAll('.gallery .shot img').length >= 4 && [...document.querySelectorAll('.gallery .shot img')].every(i => i.complete && i.naturalWidth > 0)",
        Duration::from_secs(30),
    )?;
    js(&owner, "document.querySelector('.gallery').scrollIntoView()")?;
    screenshot(&owner, "09-run-gallery")?;
    // Run again: every screenshot is compared with the same page and viewport before; the
    // compare view shows the pair (whether or not anything changed).
    owner.find_element(".page-head .actions button")?.click()?;
    wait_for(&owner, "!!document.querySelector('.summary') && !!document.querySelector('.gallery-summary') && document.querySelector('.gallery-summary').textContent.includes('compared with')", Duration::from_secs(60))?;
    let run_id: i64 = js(&owner, "Number(location.pathname.split('/')[2])")?.as_i64().unwrap_or(0);
    let pair = js(
        &owner,
        &format!("fetch('/rpc/get_gallery', {{method: 'POST', headers: {{'Content-Type': 'application/json'}}, body: JSON.stringify({{run_id: {run_id}}})}}).then(r => r.json()).then(g => {{ const s = g.shots.find(s => s.previous); return s ? '/compare/' + s.previous + '/' + s.id : ''; }})"),
    )?;
    let pair = pair.as_str().unwrap_or_default().to_string();
    assert!(pair.starts_with("/compare/"), "the second run's screenshots are compared with the first's: {pair:?}");
    owner.navigate_to(&server.url(&pair))?.wait_until_navigated()?;
    wait_for(
        &owner,
        "document.querySelectorAll('.compare-stage img').length === 2 && [...document.querySelectorAll('.compare-stage img')].every(i => i.complete && i.naturalWidth > 0)",
        Duration::from_secs(30),
    )?;
    let verdict = js(&owner, "document.querySelector('.page-head strong').textContent")?;
    let verdict = verdict.as_str().unwrap_or_default();
    assert!(verdict == "Nothing changed" || verdict.ends_with("of the pixels changed"), "{verdict}");
    screenshot(&owner, "10-visual-diff")?;
    owner.navigate_to(&server.url(&format!("{project_path}/edit")))?.wait_until_navigated()?;
    wait_for(
        &owner,
        "!!document.querySelector('input[name=viewport-old-ie]') && document.querySelector('input[name=viewport-old-ie]').checked",
        Duration::from_secs(10),
    )?;
    screenshot(&owner, "11-project-browser-settings")?;
    // The phone numbers' country and the analytics ids are saved (the region normalised).
    fill(&owner, "input[name=phone_region]", "gb")?;
    fill(&owner, "textarea[name=analytics_ids]", "G-ABC123XYZ")?;
    js(&owner, "document.querySelector('input[name=phone_region]').scrollIntoView({block: 'center'})")?;
    screenshot(&owner, "11b-project-contacts-analytics")?;
    owner.find_element("form button.primary[type=submit]")?.click()?;
    wait_for(&owner, &format!("location.pathname === '{project_path}'"), Duration::from_secs(10))?;
    owner.navigate_to(&server.url(&format!("{project_path}/edit")))?.wait_until_navigated()?;
    wait_for(
        &owner,
        "(document.querySelector('input[name=phone_region]') || {}).value === 'GB' && document.querySelector('textarea[name=analytics_ids]').value === 'G-ABC123XYZ'",
        Duration::from_secs(10),
    )?;

    // --- The agreed scope: add an item, see it listed; training notes start with the
    // talk's advice for the client; the activity log has it all.
    owner.navigate_to(&server.url(&format!("{project_path}/scope")))?.wait_until_navigated()?;
    wait_hydrated(&owner)?;
    fill(&owner, ".inline-grid input[type=text]", "Product pages with size charts")?;
    owner.find_element(".inline-grid button.primary")?.click()?;
    wait_for(&owner, "[...document.querySelectorAll('.scope-item strong')].some(e => e.textContent.includes('size charts'))", Duration::from_secs(10))?;
    screenshot(&owner, "12-scope")?;
    owner.navigate_to(&server.url(&format!("{project_path}/training")))?.wait_until_navigated()?;
    wait_for(
        &owner,
        "!!document.querySelector('.training-note .prose h2') && document.querySelector('.training-note .prose').textContent.includes('super user')",
        Duration::from_secs(10),
    )?;
    screenshot(&owner, "13-training")?;
    owner.navigate_to(&server.url(&format!("{project_path}/activity")))?.wait_until_navigated()?;
    wait_for(&owner, "document.querySelectorAll('.activity li').length >= 3", Duration::from_secs(10))?;
    screenshot(&owner, "14-activity")?;

    // --- Client review: a link from the project page, opened without an account; the client
    // approves one screenshot and asks for changes on another; the team sees both live.
    owner.navigate_to(&server.url(&format!("{project_path}/share")))?.wait_until_navigated()?;
    wait_hydrated(&owner)?;
    owner.find_element(".share-links button.primary")?.click()?;
    wait_for(&owner, "!!document.querySelector('.share-url')", Duration::from_secs(10))?;
    let share_url = js(&owner, "document.querySelector('.share-url').textContent")?.as_str().unwrap_or_default().to_string();
    assert!(share_url.starts_with("http://127.0.0.1:") && share_url.contains("/share/pfs_"), "{share_url}");
    owner.navigate_to(&server.url("/runs/2"))?.wait_until_navigated()?;
    wait_hydrated(&owner)?;
    wait_for(&owner, "document.querySelectorAll('.gallery .shot img').length >= 2", Duration::from_secs(10))?;
    let client_ctx = chrome.browser.new_context()?;
    let client = client_ctx.new_tab()?;
    let client_log = ConsoleLog::attach(&client)?;
    client.navigate_to(&share_url)?.wait_until_navigated()?;
    wait_loaded(&client)?;
    assert_eq!(
        js(&client, "document.querySelectorAll('script[src], link[rel=modulepreload]').length")?,
        serde_json::json!(0),
        "the client's page loads no app"
    );
    wait_for(&client, "document.querySelectorAll('.page-review .thumb-btn').length >= 2", Duration::from_secs(10))?;
    give_name(&client, "Carla Client")?;
    // One picture opened large and approved; another with a change asked.
    js(&client, "document.querySelectorAll('.thumb-btn')[0].click()")?;
    wait_for(&client, "!!document.querySelector('.shot-detail button.approve')", Duration::from_secs(5))?;
    js(&client, "document.querySelector('.shot-detail button.approve').click()")?;
    wait_for(&client, "!!document.querySelector('.thumb-btn.approved')", Duration::from_secs(10))?;
    js(&client, "document.querySelectorAll('.thumb-btn')[1].click()")?;
    wait_for(&client, "document.querySelector('.shot-detail') && document.querySelector('.shot-detail').dataset.shot === document.querySelectorAll('.thumb-btn')[1].dataset.shot", Duration::from_secs(5))?;
    js(&client, "document.querySelector('.shot-detail details.ask summary').click()")?;
    wait_for(&client, "document.querySelector('.shot-detail details.ask').open", Duration::from_secs(5))?;
    fill(&client, ".shot-detail textarea", "The logo is cut off")?;
    js(&client, "document.querySelector('.shot-detail .ask-changes button[type=submit]').click()")?;
    wait_for(&client, "!!document.querySelector('.thumb-btn.changes')", Duration::from_secs(10))?;
    screenshot(&client, "15-client-review")?;
    // The client proposes a scope change (the team decides it) and acknowledges the training
    // notes; a change without a reason is refused with the reason why, shown on the page.
    js(&client, "document.querySelector('details.propose-change').open = true")?;
    fill(&client, ".propose-change input[type=text]", "Add a store locator")?;
    client.find_element(".propose-change button[type=submit]")?.click()?;
    wait_for(
        &client,
        "!!document.querySelector('.alert') || document.querySelector('.propose-change textarea').validity.valueMissing",
        Duration::from_secs(5),
    )?;
    fill(&client, ".propose-change textarea", "Visitors ask where to buy")?;
    client.find_element(".propose-change button[type=submit]")?.click()?;
    wait_for(&client, "[...document.querySelectorAll('.change-list li')].some(l => l.textContent.includes('Add a store locator') && l.textContent.includes('waiting for the team'))", Duration::from_secs(10))?;
    client.find_element(".training-ack button")?.click()?;
    wait_for(&client, "document.querySelector('.training-ack').textContent.includes('acknowledged by Carla Client')", Duration::from_secs(10))?;
    js(&client, "document.querySelector('.scope-share').scrollIntoView()")?;
    screenshot(&client, "15b-client-proposes-and-acknowledges")?;
    wait_for(&owner, "!!document.querySelector('.gallery .review.approved') && !!document.querySelector('.gallery .review.changes')", Duration::from_secs(10))?;
    let said = js(&owner, "document.querySelector('.gallery .review.changes').textContent")?;
    assert!(said.as_str().unwrap_or_default().contains("The logo is cut off"), "{said}");
    screenshot(&owner, "16-team-sees-review")?;
    owner.navigate_to(&server.url(&format!("{project_path}/retro")))?.wait_until_navigated()?;
    wait_for(
        &owner,
        "!!document.querySelector('.suggestions') && document.querySelector('.suggestions').textContent.includes('changes')",
        Duration::from_secs(10),
    )?;
    screenshot(&owner, "17-retro")?;
    // A suggestion becomes an action in one click, with its due day.
    wait_hydrated(&owner)?;
    let before = js(&owner, "document.querySelectorAll('.change-list li').length")?.as_i64().unwrap_or(0);
    owner.find_element(".suggestions li button")?.click()?;
    wait_for(&owner, &format!("document.querySelectorAll('.change-list li').length > {before}"), Duration::from_secs(10))?;
    let added = js(&owner, "[...document.querySelectorAll('.change-list li')].pop().textContent")?;
    assert!(added.as_str().unwrap_or_default().contains("due T-14d"), "{added}");
    let client_errors = client_log.entries();
    assert!(client_errors.is_empty(), "the share page's console reported problems: {client_errors:#?}");

    // Before the restart below, which cuts the live streams on purpose.
    let errors: Vec<String> = owner_log.entries().into_iter().chain(member_log.entries()).collect();
    assert!(errors.is_empty(), "the browser console reported problems: {errors:#?}");

    // --- The owner deactivates Mark on the Team page (two clicks): Mark is signed out at once.
    owner.navigate_to(&server.url("/team"))?.wait_until_navigated()?;
    wait_hydrated(&owner)?;
    wait_for(&owner, "[...document.querySelectorAll('td')].some(t => t.textContent === 'mark@example.test')", Duration::from_secs(10))?;
    // Olivia's own row offers no deactivation; Mark's does.
    assert_eq!(js(&owner, "document.querySelectorAll('td.actions button.danger').length")?, serde_json::json!(1));
    assert_eq!(js(&owner, "document.querySelectorAll('td.actions button').length")?, serde_json::json!(2), "reset password and deactivate");
    owner.find_element("td.actions button.danger")?.click()?;
    wait_for(&owner, "!!document.querySelector('.confirm-delete button.danger')", Duration::from_secs(5))?;
    screenshot(&owner, "11-team-deactivate")?;
    js(&owner, "document.querySelector('.confirm-delete button.danger').click()")?;
    wait_for(
        &owner,
        "!!document.querySelector('.alert.ok') && ![...document.querySelectorAll('td')].some(t => t.textContent === 'mark@example.test')",
        Duration::from_secs(10),
    )?;
    member.navigate_to(&server.url(&project_path))?.wait_until_navigated()?;
    assert!(member.get_url().contains("/login"), "a deactivated member is signed out, got {}", member.get_url());

    // --- A restart keeps everything: sign-in, project, tick.
    drop(member);
    let server = Server::start_in(server.stop()?)?;
    let fresh = chrome.browser.new_context()?;
    let again = fresh.new_tab()?;
    again.navigate_to(&server.url("/login"))?.wait_until_navigated()?;
    fill(&again, "input[name=email]", "olivia@example.test")?;
    fill(&again, "input[name=password]", OWNER_PW)?;
    again.find_element("form button[type=submit]")?.click()?;
    wait_for(&again, "location.pathname === '/' && !!document.querySelector('.project-card')", Duration::from_secs(15))?;
    again.navigate_to(&server.url(&project_path))?.wait_until_navigated()?;
    wait_for(&again, &format!("{first} && {first}.checked"), Duration::from_secs(15))?;
    Ok(())
}

#[test]
fn wrong_password_is_refused_with_a_human_message() -> Result<()> {
    let server = Server::start()?;
    server.cli(&["user", "add", "olivia@example.test", "--name", "Olivia", "--role", "owner"], &format!("{OWNER_PW}\n"))?;
    let chrome = launch_browser()?;
    let tab = chrome.browser.new_tab()?;
    let log = ConsoleLog::attach(&tab)?;
    // Every title the document has while the page loads and the app starts.
    tab.call_method(headless_chrome::protocol::cdp::Page::AddScriptToEvaluateOnNewDocument {
        source: "window.__titles = []; new MutationObserver(() => { const t = document.querySelector('title'); \
                 if (t) window.__titles.push(t.textContent); }).observe(document, { subtree: true, childList: true, characterData: true });"
            .into(),
        world_name: None,
        include_command_line_api: None,
        run_immediately: None,
    })?;
    tab.navigate_to(&server.url("/login"))?.wait_until_navigated()?;
    wait_hydrated(&tab)?;
    // The sign-in page's chunk has loaded once its form answers; the title never went blank
    // meanwhile (leptos_meta set it before the page's own <Title> was there).
    wait_for(&tab, "window.__titles.length > 0 && document.title === 'Sign in · Preflight'", Duration::from_secs(10))?;
    let titles = js(&tab, "JSON.stringify(window.__titles)")?;
    assert!(!titles.as_str().unwrap_or_default().contains("\"\""), "the title went blank while the app started: {titles}");
    fill(&tab, "input[name=email]", "olivia@example.test")?;
    fill(&tab, "input[name=password]", "not the password")?;
    tab.find_element("form button[type=submit]")?.click()?;
    wait_for(&tab, "!!document.querySelector('[role=alert]')", Duration::from_secs(10))?;
    let text = js(&tab, "document.querySelector('[role=alert]').textContent")?;
    assert!(text.as_str().unwrap_or_default().contains("do not match"), "{text}");
    // The styled 404 page answers for unknown addresses once signed in.
    fill(&tab, "input[name=email]", "olivia@example.test")?;
    fill(&tab, "input[name=password]", OWNER_PW)?;
    tab.find_element("form button[type=submit]")?.click()?;
    wait_for(&tab, "location.pathname === '/'", Duration::from_secs(10))?;
    tab.navigate_to(&server.url("/no/such/page"))?.wait_until_navigated()?;
    wait_for(&tab, "document.querySelector('h1') && document.querySelector('h1').textContent === 'Page not found'", Duration::from_secs(10))?;
    screenshot(&tab, "05-not-found")?;
    // A 404 logs one console error for the document's own status; anything else is a bug.
    let errs: Vec<String> = log.entries().into_iter().filter(|e| !e.contains("404")).collect();
    assert!(errs.is_empty(), "{errs:#?}");
    Ok(())
}

/// Evidence per environment: a production run that finds problems and a dev run whose site is
/// down. Production items show failed chips, dev items say "not checked" with the reason, and
/// neither offers the one-click tick; an item naming checks that did not look never does.
#[test]
fn checklist_evidence_comes_from_the_right_environment() -> Result<()> {
    let (server, token) = server_with_owner("erin@example.test", "Erin Evidence")?;
    let chrome = launch_browser()?;
    let tab = chrome.browser.new_tab()?;
    let log = ConsoleLog::attach(&tab)?;
    tab.navigate_to(&server.url("/login"))?.wait_until_navigated()?;
    fill(&tab, "input[name=email]", "erin@example.test")?;
    fill(&tab, "input[name=password]", OWNER_PW)?;
    tab.find_element("form button[type=submit]")?.click()?;
    wait_for(&tab, "location.pathname === '/'", Duration::from_secs(15))?;

    // Production: Preflight's own sign-in page over plain http (no https, a password form on
    // http). Dev: a port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = closed.local_addr()?.port();
    drop(closed);
    let body = serde_json::json!({"name": "Evidence", "launch_date": "2027-03-01", "viewports": "desktop", "environments": [
        {"name": "production", "base_url": server.url("/login"), "kind": "production"},
        {"name": "dev", "base_url": format!("http://127.0.0.1:{port}/"), "kind": "dev"}
    ]});
    let pid = js(
        &tab,
        &format!(
            "fetch('/api/v1/projects', {{method: 'POST', headers: {{'Authorization': 'Bearer {token}', 'Content-Type': 'application/json'}}, body: JSON.stringify({body})}}).then(r => r.json()).then(j => j.id)"
        ),
    )?
    .as_i64()
    .expect("the project was created");
    tab.navigate_to(&server.url(&format!("/projects/{pid}")))?.wait_until_navigated()?;
    wait_hydrated(&tab)?;

    // Run dev, then production, from the page.
    for env in ["dev", "production"] {
        choose(&tab, ".runs select", env)?;
        let before = js(&tab, "document.querySelectorAll('.run-row').length")?.as_i64().unwrap_or(0);
        tab.find_element(".runs button.primary")?.click()?;
        wait_for(&tab, &format!("document.querySelectorAll('.run-row').length > {before}"), Duration::from_secs(10))?;
        let finished = wait_for(
            &tab,
            "document.querySelectorAll('.run-row .status-passed, .run-row .status-completed-errors, .run-row .status-failed').length === document.querySelectorAll('.run-row').length",
            Duration::from_secs(90),
        );
        if let Err(e) = finished {
            screenshot(&tab, "20-evidence-run-not-finished")?;
            let api = js(&tab, &format!("fetch('/api/v1/projects/{pid}/runs', {{headers: {{'Authorization': 'Bearer {token}'}}}}).then(r => r.text())"))?;
            panic!("{e}: {}\nAPI: {api}", js(&tab, "[...document.querySelectorAll('.run-row')].map(r => r.outerHTML).join('\\n')")?);
        }
    }
    let dev_label = js(&tab, "[...document.querySelectorAll('.run-row')].map(r => r.textContent).find(t => t.includes('dev')) || ''")?;
    open_all_details(&tab)?;
    assert!(dev_label.as_str().unwrap_or_default().contains("site unreachable"), "{dev_label}");
    if let Err(e) = wait_for(&tab, "!!document.querySelector('.item[data-key=ssl-everywhere] .chip.fail')", Duration::from_secs(15)) {
        screenshot(&tab, "20-evidence-no-failure")?;
        panic!("{e}: {}", js(&tab, "document.querySelector('.item[data-key=ssl-everywhere]').outerHTML")?);
    }

    let text = |key: &str| -> Result<String> {
        Ok(js(&tab, &format!("(document.querySelector('.item[data-key=\"{key}\"] .evidence') || {{}}).textContent || ''"))?
            .as_str()
            .unwrap_or_default()
            .to_string())
    };
    // Production items: failed chips from the production run, nothing from dev.
    for key in ["ssl-everywhere", "https-sensitive-forms"] {
        let t = text(key)?;
        assert!(t.contains("on production") && !t.contains("on dev"), "{key}: {t}");
        assert!(t.contains('✗'), "{key} should show a failed check: {t}");
        assert!(!t.contains("Tick"), "{key} offers the tick on failing evidence: {t}");
    }
    // Dev items: "not checked", with the reason, from the dev run only.
    for key in ["dev-banner", "dev-robots-disallow"] {
        let t = text(key)?;
        assert!(t.contains("on dev") && !t.contains("on production"), "{key}: {t}");
        assert!(t.contains("not checked") && t.contains("site unreachable"), "{key}: {t}");
        assert!(!t.contains('✓') && !t.contains("Tick"), "{key}: {t}");
    }
    // An item for any environment shows both, and the dev half is not a pass.
    let t = text("browser-console-clean")?;
    assert!(t.contains("on production") && t.contains("on dev") && t.contains("site unreachable"), "{t}");
    // Wherever the tick is offered, one fresh run passed every named check and none failed one.
    let bad = js(
        &tab,
        "[...document.querySelectorAll('.evidence')].filter(e => [...e.querySelectorAll('button')].some(b => b.textContent.includes('Tick')))
           .filter(e => e.querySelector('.chip.fail') || ![...e.querySelectorAll('.evidence-run')].some(r =>
               !r.querySelector('.chip.stale, .chip.na, .chip.skipped, .chip.fail') && r.querySelector('.chip.pass'))).length",
    )?;
    assert_eq!(bad, serde_json::json!(0), "a tick is offered on evidence that did not all pass");
    js(&tab, "document.querySelector('.item[data-key=\"dev-banner\"]').scrollIntoView({block: 'center'})")?;
    screenshot(&tab, "20-evidence-per-environment")?;

    // Recording a deploy makes production's passes stale, shown on the chips.
    choose(&tab, ".runs select", "production")?;
    tab.find_element(".runs button.deploy")?.click()?;
    wait_for(&tab, "!!document.querySelector('.runs .alert.ok') && !!document.querySelector('.chip.stale')", Duration::from_secs(10))?;

    // Each environment's run settings, behind a disclosure on the project form.
    tab.navigate_to(&server.url(&format!("/projects/{pid}/edit")))?.wait_until_navigated()?;
    wait_hydrated(&tab)?;
    wait_for(&tab, "document.querySelectorAll('details.env-settings').length === 2", Duration::from_secs(10))?;
    js(&tab, "(() => { const d = document.querySelectorAll('details.env-settings')[1]; d.open = true; d.scrollIntoView(); return true; })()")?;
    let text = js(&tab, "document.querySelectorAll('details.env-settings')[1].textContent")?;
    let text = text.as_str().unwrap_or_default();
    assert!(text.contains("Old URLs") && text.contains("Protected site") && text.contains("Import"), "{text}");
    screenshot(&tab, "21-environment-run-settings")?;
    let errors = log.entries();
    assert!(errors.is_empty(), "the browser console reported problems: {errors:#?}");
    Ok(())
}

/// Preflight passes its own checks: `preflight check --browser` on a real server (the
/// production profile, on loopback) finds no error and no warning except what plain http on
/// loopback causes and IE 11 not running the app — on a fresh install (setup page) and once
/// an owner exists (sign-in page), at every viewport, accessibility and page quality included.
#[test]
fn preflight_passes_its_own_checks() -> Result<()> {
    let server = Server::start()?;
    // Only plain http on loopback may cause these (production wants https), and the app is a
    // WASM app: Internet Explorer 11 cannot run it, nor its start-up script.
    const EXPECTED: &[&str] = &["https-redirect-missing", "insecure-sensitive-form", "insecure-cookie", "old-ie-syntax"];
    let check = |stage: &str| -> Result<()> {
        // With the browser: its pages at every viewport, accessibility and page quality too.
        let out = std::process::Command::new(preflight_bin())
            .args(["check", &server.url("/"), "--no-dns", "--browser", "--format", "json", "--fail-on", "never"])
            .output()?;
        anyhow::ensure!(out.status.success(), "{stage}: {}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        let serious: Vec<String> = report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["severity"] != "info" && !EXPECTED.contains(&f["check"].as_str().unwrap_or_default()))
            .map(|f| format!("{} {}: {} ({})", f["check"], f["url"], f["message"], f["evidence"]))
            .collect();
        anyhow::ensure!(serious.is_empty(), "{stage}: Preflight fails its own checks:\n{}", serious.join("\n"));
        // The assets it loads are cacheable for good (content-versioned), which the check saw.
        let checks = report["checks"].as_array().cloned().unwrap_or_default();
        let passed = |id: &str| checks.iter().any(|c| c["id"] == id && c["status"] == "passed");
        for id in ["asset-not-cached", "asset-not-compressed", "host-header-accepted", "form-missing-csrf", "security-header-missing", "sensitive-file-exposed"]
        {
            anyhow::ensure!(passed(id), "{stage}: {id} did not pass: {:?}", checks.iter().find(|c| c["id"] == id));
        }
        Ok(())
    };
    check("fresh install")?;
    server.cli(&["user", "add", "owner@example.test", "--name", "Olivia", "--role", "owner"], &format!("{OWNER_PW}\n"))?;
    check("with an owner")?;
    Ok(())
}

/// The bell: a client signs off through a review link in another browser context, and the
/// owner's bell counts it live (no reload); the notification centre lists it and clears it.
/// On the way, the Watch tab sets a schedule.
#[test]
fn the_bell_counts_a_client_sign_off_live_and_the_launch_report_carries_it() -> Result<()> {
    let (server, token) = server_with_owner("olivia@example.test", "Olivia Owner")?;
    let chrome = launch_browser()?;
    let owner = chrome.browser.new_tab()?;
    let owner_log = ConsoleLog::attach(&owner)?;
    owner.navigate_to(&server.url("/login"))?.wait_until_navigated()?;
    fill(&owner, "input[name=email]", "olivia@example.test")?;
    fill(&owner, "input[name=password]", OWNER_PW)?;
    owner.find_element("form button[type=submit]")?.click()?;
    wait_for(&owner, "location.pathname === '/'", Duration::from_secs(10))?;
    // A project and a review link, through the API.
    let api = |method: &str, path: &str, body: &str| -> Result<serde_json::Value> {
        let expr = format!(
            "fetch({url}, {{method: {method}, headers: {{'Authorization': 'Bearer ' + {tok}, 'Content-Type': 'application/json'}}, body: {body}}}).then(r => r.text())",
            url = serde_json::to_string(&format!("/api/v1{path}"))?,
            method = serde_json::to_string(method)?,
            tok = serde_json::to_string(&token)?,
            body = serde_json::to_string(body)?,
        );
        let text = owner.evaluate(&expr, true)?.value.and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        Ok(serde_json::from_str(&text)?)
    };
    let project = api(
        "POST",
        "/projects",
        r#"{"name": "Bell relaunch", "client": "Bell & Co", "launch_date": "2027-03-01", "launch_time": "09:30", "time_zone": "Europe/London",
            "environments": [{"name": "production", "base_url": "https://www.bell.test"}]}"#,
    )?;
    let pid = project["id"].as_i64().expect("project created");
    let link = api("POST", &format!("/projects/{pid}/share-links"), "{}")?;
    let share_url = link["url"].as_str().expect("share link").to_string();

    // The Watch tab: every 30 minutes, light, with the launch window.
    owner.navigate_to(&server.url(&format!("/projects/{pid}/watch")))?.wait_until_navigated()?;
    wait_hydrated(&owner)?;
    wait_for(&owner, "!!document.querySelector('section.schedule form')", Duration::from_secs(10))?;
    choose(&owner, "section.schedule select", "interval")?;
    wait_for(&owner, "!!document.querySelector('section.schedule input[type=number][min=\"5\"][max=\"10080\"]')", Duration::from_secs(5))?;
    fill(&owner, "section.schedule input[type=number][min=\"5\"][max=\"10080\"]", "30")?;
    js(&owner, "document.querySelectorAll('section.schedule input[type=radio]')[1].click()")?;
    js(&owner, "document.querySelector('section.schedule fieldset:nth-of-type(2) input[type=checkbox]').click()")?;
    owner.find_element("section.schedule button[type=submit]")?.click()?;
    wait_for(
        &owner,
        "document.querySelector('.schedule-now').textContent.includes('launch window: every 15 minutes for 48 hours from 1 Mar 2027, 09:30, then every 30 minutes, light')",
        Duration::from_secs(10),
    )?;
    screenshot(&owner, "18-watch")?;
    wait_for(&owner, "document.querySelector('.bell-count').textContent === '0'", Duration::from_secs(10))?;

    // The client signs off in a browser of their own.
    let client_ctx = chrome.browser.new_context()?;
    let client = client_ctx.new_tab()?;
    let client_log = ConsoleLog::attach(&client)?;
    client.navigate_to(&share_url)?.wait_until_navigated()?;
    wait_loaded(&client)?;
    give_name(&client, "Carla Client")?;
    js(&client, "document.querySelector('.signoff-confirm summary').click()")?;
    wait_for(&client, "document.querySelector('.signoff-confirm').open", Duration::from_secs(5))?;
    js(&client, "[...document.querySelectorAll('.confirm button.primary')].find(b => b.textContent === 'Yes, sign off').click()")?;
    wait_for(&client, "document.body.textContent.includes('Signed off by Carla Client')", Duration::from_secs(10))?;

    // The owner's bell counts it without a reload.
    let waited = wait_for(&owner, "document.querySelector('.bell-count').textContent === '1'", Duration::from_secs(10))?;
    eprintln!("the bell counted the sign-off {} ms after it was made", waited.as_millis());
    let label = js(&owner, "document.querySelector('a.bell').getAttribute('aria-label')")?;
    assert_eq!(label, serde_json::json!("Notifications: 1 unread"));
    screenshot(&owner, "19-bell")?;
    owner.find_element("a.bell")?.click()?;
    wait_for(
        &owner,
        "location.pathname === '/notifications' && document.body.textContent.includes('Carla Client signed off the launch')",
        Duration::from_secs(10),
    )?;
    screenshot(&owner, "20-notifications")?;
    wait_hydrated(&owner)?;
    js(&owner, "[...document.querySelectorAll('button')].find(b => b.textContent === 'Mark all read').click()")?;
    wait_for(
        &owner,
        "document.querySelector('.bell-count').textContent === '0' && !document.querySelector('.notice-list li.unread')",
        Duration::from_secs(10),
    )?;
    // The launch report the team hands over: the PDF link on Share & settings, printed by the
    // same Chromium, names the project and the client's sign-off.
    owner.navigate_to(&server.url(&format!("/projects/{pid}/share")))?.wait_until_navigated()?;
    wait_for(&owner, "!!document.querySelector('a[href$=\"/report.pdf\"]')", Duration::from_secs(10))?;
    // As hex: the page's answer comes back as a string.
    let hex = js(
        &owner,
        "fetch(document.querySelector('a[href$=\"/report.pdf\"]').href).then(r => r.ok ? r.arrayBuffer() : Promise.reject('HTTP ' + r.status)).then(b => Array.from(new Uint8Array(b), x => x.toString(16).padStart(2, '0')).join(''))",
    )?;
    let hex = hex.as_str().unwrap_or_default();
    let pdf: Vec<u8> = (0..hex.len() / 2).filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect();
    assert!(pdf.starts_with(b"%PDF"), "a PDF: {} bytes", pdf.len());
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("launch-report.pdf");
    std::fs::write(&file, &pdf)?;
    let out = std::process::Command::new("pdftotext").arg(&file).arg("-").output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Bell relaunch") && text.contains("Signed off by Carla Client"), "the report names the project and the sign-off: {text}");
    let errors: Vec<String> = owner_log.entries().into_iter().chain(client_log.entries()).collect();
    assert!(errors.is_empty(), "the browser console reported problems: {errors:#?}");
    Ok(())
}

/// On the client's review page: gives the reviewer's name (remembered for the link).
fn give_name(tab: &headless_chrome::Tab, name: &str) -> Result<()> {
    fill(tab, "input[autocomplete=name]", name)?;
    js(tab, "document.querySelector('.name-form button[type=submit]').click()")?;
    wait_for(tab, "document.querySelector('.name-form label').textContent.startsWith('Reviewing as')", Duration::from_secs(10))?;
    Ok(())
}

/// Signs `email` in on `tab` and waits for the projects page.
/// Opens every checklist row's details (rendered only while open), and waits until they show.
fn open_all_details(tab: &headless_chrome::Tab) -> Result<()> {
    js(tab, "document.querySelectorAll('.item-details[hidden]').forEach(d => d.closest('li.item').querySelector('.details-toggle').click())")?;
    wait_for(
        tab,
        "document.querySelectorAll('.item-details[hidden]').length === 0 && document.querySelectorAll('.item-details .item-meta').length === document.querySelectorAll('li.item').length",
        Duration::from_secs(10),
    )?;
    Ok(())
}

#[test]
fn page_quality_shows_vitals_against_budgets_and_marks_accessibility_issues_on_the_screenshot() -> Result<()> {
    let (server, token) = server_with_owner("quinn@example.test", "Quinn Quality")?;
    let site = bakery_site()?;
    // The about page: a photo without alt text and faint grey text.
    site.set(
        "/about",
        &fixture_page("About", "<h1>About us</h1><img src=\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='120' height='80'/%3E\" width=120 height=80><p style=\"color:#c8c8c8\">Since 1950.</p>"),
    );
    let chrome = launch_browser()?;
    let tab = chrome.browser.new_tab()?;
    let log = ConsoleLog::attach(&tab)?;
    sign_in(&tab, &server, "quinn@example.test", OWNER_PW)?;
    let project = call_api(
        &tab,
        &token,
        "POST",
        "/projects",
        &serde_json::json!({"name": "Bakery", "launch_date": "2027-03-01", "viewports": "desktop,phone", "perf_budgets": ["lcp = 2s"],
            "environments": [{"name": "dev", "kind": "dev", "base_url": format!("{}/", site.base)}]}),
    )?;
    let pid = project["id"].as_i64().expect("project created");
    run_and_wait(&tab, &token, pid, "dev")?;
    let run = run_and_wait(&tab, &token, pid, "dev")?;

    tab.navigate_to(&server.url(&format!("/runs/{run}")))?.wait_until_navigated()?;
    wait_hydrated(&tab)?;
    wait_for(&tab, "document.querySelectorAll('.quality-table tbody tr').length === 6", Duration::from_secs(15))?;
    // Every page at both viewports with its vitals against the project's budgets (LCP 2 s).
    let budgets = js(&tab, "document.querySelector('.quality p.muted').textContent")?;
    assert!(budgets.as_str().unwrap_or_default().contains("Largest Contentful Paint 2.0 s"), "{budgets}");
    assert!(js(&tab, "document.querySelectorAll('.quality-table td.metric .bar').length >= 6")?.as_bool().unwrap_or(false), "vitals drawn as bars");
    assert!(js(&tab, "!!document.querySelector('.trend svg')")?.as_bool().unwrap_or(false), "two runs: a trend");
    let rules = js(&tab, "document.querySelector('.a11y-rules').textContent")?;
    let rules = rules.as_str().unwrap_or_default();
    assert!(rules.contains("a11y-image-alt") && rules.contains("a11y-color-contrast") && rules.contains("/about @ desktop"), "{rules}");
    // The about page's issues, marked on its screenshot.
    js(&tab, "[...document.querySelectorAll('.quality-table tbody tr')].find(r => r.textContent.includes('/about') && r.textContent.includes('desktop')).querySelector('td button').click()")?;
    wait_for(
        &tab,
        "document.querySelectorAll('.a11y-marks .mark').length >= 2 && document.querySelector('.marked-shot img').complete",
        Duration::from_secs(10),
    )?;
    let caption = js(&tab, "document.querySelector('.a11y-marks figcaption').textContent")?;
    assert!(caption.as_str().unwrap_or_default().starts_with("/about at desktop"), "{caption}");
    js(&tab, "document.querySelector('.a11y-marks').scrollIntoView()")?;
    screenshot(&tab, "24-page-quality-marks")?;
    js(&tab, "document.querySelector('.quality').scrollIntoView()")?;
    screenshot(&tab, "25-page-quality")?;

    // The checklist's accessibility item takes its evidence from every a11y check as one.
    let checklist = call_api(&tab, &token, "GET", &format!("/projects/{pid}/checklist"), &serde_json::Value::Null)?;
    let item =
        checklist["items"].as_array().and_then(|items| items.iter().find(|i| i["template_key"] == "accessibility")).cloned().expect("the accessibility item");
    let ev = item["evidence"].as_array().and_then(|e| e.first()).cloned().expect("evidence");
    assert_eq!((ev["check"].as_str(), ev["status"].as_str()), (Some("a11y-*"), Some("failed")), "{ev}");
    assert!(ev["reason"].as_str().unwrap_or_default().contains("a11y-image-alt"), "{ev}");
    let errors = log.entries();
    assert!(errors.is_empty(), "the browser console reported problems: {errors:#?}");
    Ok(())
}

fn sign_in(tab: &headless_chrome::Tab, server: &Server, email: &str, password: &str) -> Result<()> {
    tab.navigate_to(&server.url("/login"))?.wait_until_navigated()?;
    fill(tab, "input[name=email]", email)?;
    fill(tab, "input[name=password]", password)?;
    tab.find_element("form button[type=submit]")?.click()?;
    wait_for(tab, "location.pathname === '/'", Duration::from_secs(15))?;
    Ok(())
}

/// Calls the JSON API from inside `tab` with a bearer token; answers the parsed body.
fn call_api(tab: &headless_chrome::Tab, token: &str, method: &str, path: &str, body: &serde_json::Value) -> Result<serde_json::Value> {
    let expr = format!(
        "fetch({url}, {{method: {method}, headers: {{'Authorization': 'Bearer ' + {tok}, 'Content-Type': 'application/json'}}, body: {body}}}).then(r => r.text())",
        url = serde_json::to_string(&format!("/api/v1{path}"))?,
        method = serde_json::to_string(method)?,
        tok = serde_json::to_string(token)?,
        body = if method == "GET" { "undefined".to_string() } else { serde_json::to_string(&body.to_string())? },
    );
    let text = tab.evaluate(&expr, true)?.value.and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    Ok(serde_json::from_str(&text)?)
}

/// Starts a run of `env` through the API and waits until it has finished; answers its id.
fn run_and_wait(tab: &headless_chrome::Tab, token: &str, pid: i64, env: &str) -> Result<i64> {
    let run = call_api(tab, token, "POST", &format!("/projects/{pid}/runs"), &serde_json::json!({"environment": env}))?;
    let id = run["id"].as_i64().ok_or_else(|| anyhow::anyhow!("no run started: {run}"))?;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let r = call_api(tab, token, "GET", &format!("/runs/{id}"), &serde_json::Value::Null)?;
        if matches!(r["status"].as_str(), Some("passed" | "failed" | "interrupted")) {
            return Ok(id);
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "run {id} did not finish: {r}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A server with one owner (password [`OWNER_PW`]) and an API token of theirs.
fn server_with_owner(email: &str, name: &str) -> Result<(Server, String)> {
    let server = Server::start()?;
    server.cli(&["user", "add", email, "--name", name, "--role", "owner"], &format!("{OWNER_PW}\n"))?;
    let token = server.cli(&["token", "create", email, "--name", "e2e"], "")?.trim().to_string();
    Ok((server, token))
}

/// A three-page bakery site (home, about, contact) on loopback.
fn bakery_site() -> Result<FixtureSite> {
    let site = FixtureSite::start()?;
    site.set("/", &fixture_page("Home", "<h1>Welcome</h1><p>Fresh bread every day.</p>"));
    site.set("/about", &fixture_page("About", "<h1>About us</h1><p>Since 1950.</p>"));
    site.set("/contact", &fixture_page("Contact", "<h1>Contact</h1><p>Call 0117 496 0000.</p>"));
    Ok(site)
}

fn fixture_page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>{title}</title></head>\
         <body style=\"margin:0;font:18px sans-serif\"><nav><a href=/>Home</a> <a href=/about>About</a> <a href=/contact>Contact</a></nav>{body}</body></html>"
    )
}

#[test]
fn visual_review_compare_modes_keys_and_approve_all() -> Result<()> {
    let (server, token) = server_with_owner("vera@example.test", "Vera Visual")?;
    let site = bakery_site()?;
    let chrome = launch_browser()?;
    let tab = chrome.browser.new_tab()?;
    let log = ConsoleLog::attach(&tab)?;
    sign_in(&tab, &server, "vera@example.test", OWNER_PW)?;
    let project = call_api(
        &tab,
        &token,
        "POST",
        "/projects",
        &serde_json::json!({"name": "Bakery", "launch_date": "2027-03-01", "viewports": "desktop",
            "environments": [{"name": "dev", "kind": "dev", "base_url": format!("{}/", site.base)}]}),
    )?;
    let pid = project["id"].as_i64().expect("project created");
    run_and_wait(&tab, &token, pid, "dev")?;
    // Two pages change, one does not.
    site.set("/", &fixture_page("Home", "<h1>Welcome</h1><div style=\"height:240px;background:#b00020;color:#fff\">Spring sale</div>"));
    site.set("/about", &fixture_page("About", "<h1>About us</h1><p>Since 1950, in the same street.</p>"));
    let run = run_and_wait(&tab, &token, pid, "dev")?;

    // The gallery: what changed first, "changed only", approve all unchanged.
    tab.navigate_to(&server.url(&format!("/runs/{run}")))?.wait_until_navigated()?;
    wait_hydrated(&tab)?;
    wait_for(
        &tab,
        "!!document.querySelector('.gallery-summary') && document.querySelector('.gallery-summary').textContent.includes('2 changed')",
        Duration::from_secs(15),
    )?;
    let first = js(&tab, "document.querySelector('.shot-row .shot-page').textContent")?;
    assert_ne!(first, serde_json::json!("/contact"), "changed pages come first");
    screenshot(&tab, "21-gallery-changes")?;
    js(&tab, "[...document.querySelectorAll('.toolbar button')].find(b => b.textContent.includes('Changed only')).click()")?;
    wait_for(&tab, "[...document.querySelectorAll('.shot-row:not(.hidden) .shot-page')].map(h => h.textContent).join() === '/,/about' || [...document.querySelectorAll('.shot-row:not(.hidden) .shot-page')].map(h => h.textContent).join() === '/about,/'", Duration::from_secs(5))?;
    js(&tab, "[...document.querySelectorAll('.toolbar button')].find(b => b.textContent.includes('Approve all unchanged (1)')).click()")?;
    wait_for(&tab, "document.body.textContent.includes('Approved 1 unchanged screenshot(s).')", Duration::from_secs(10))?;
    wait_for(
        &tab,
        "[...document.querySelectorAll('.shot[data-change=Unchanged] .review.approved')].some(p => p.textContent.includes('Vera Visual (team)'))",
        Duration::from_secs(10),
    )?;

    // The compare view: modes by key, the slider by arrows, zoom, next / previous, approve.
    let href = js(&tab, "document.querySelector('.shot a.chip.link').getAttribute('href')")?;
    let href = href.as_str().expect("a compare link").to_string();
    tab.navigate_to(&server.url(&href))?.wait_until_navigated()?;
    wait_hydrated(&tab)?;
    wait_for(&tab, "document.querySelector('.compare-stage').dataset.mode === 'slider'", Duration::from_secs(15))?;
    assert!(js(&tab, "document.body.textContent.includes('Change 1 of 2')")?.as_bool().unwrap_or(false), "the walk through the changes");
    assert!(js(&tab, "document.querySelector('.keys-list').textContent.includes('next / previous changed screenshot')")?.as_bool().unwrap_or(false));
    tab.press_key("ArrowRight")?;
    wait_for(&tab, "document.querySelector('.stack img.top').style.clipPath === 'inset(0px 0px 0px 55%)'", Duration::from_secs(5))?;
    screenshot(&tab, "22-compare-slider")?;
    for (key, mode) in [("1", "side"), ("3", "overlay"), ("4", "diff"), ("2", "slider")] {
        tab.press_key(key)?;
        wait_for(&tab, &format!("document.querySelector('.compare-stage').dataset.mode === '{mode}'"), Duration::from_secs(5))?;
        if mode == "side" {
            screenshot(&tab, "23-compare-side")?;
        }
    }
    tab.press_key("z")?;
    wait_for(&tab, "[...document.querySelectorAll('.compare-bar button')].some(b => b.textContent === 'Zoom: 100 %')", Duration::from_secs(5))?;
    tab.press_key("n")?;
    wait_for(
        &tab,
        &format!("location.pathname !== {} && document.body.textContent.includes('Change 2 of 2')", serde_json::to_string(&href)?),
        Duration::from_secs(10),
    )?;
    assert!(
        js(&tab, "document.querySelector('.compare-bar button[aria-pressed=true]').textContent === 'Slider'")?.as_bool().unwrap_or(false),
        "the mode stays"
    );
    tab.press_key("p")?;
    wait_for(
        &tab,
        &format!("location.pathname === {} && document.body.textContent.includes('Change 1 of 2')", serde_json::to_string(&href)?),
        Duration::from_secs(10),
    )?;
    tab.press_key("a")?;
    wait_for(&tab, "document.querySelector('.compare-review').textContent.includes('Approved by Vera Visual (team)')", Duration::from_secs(10))?;
    let errors = log.entries();
    assert!(errors.is_empty(), "the browser console reported problems: {errors:#?}");
    Ok(())
}

#[test]
fn the_client_reviews_on_a_phone_approves_a_page_and_signs_off_with_a_summary() -> Result<()> {
    let (server, token) = server_with_owner("tom@example.test", "Tom Team")?;
    // Twelve pages, at the four standard viewports: 48 screenshots.
    let site = FixtureSite::start()?;
    let names = ["Home", "About us", "Our bread", "Cakes", "Catering", "Opening hours", "Find us", "Jobs", "Press", "Blog", "Contact", "Privacy"];
    let paths: Vec<String> = (0..names.len()).map(|i| if i == 0 { "/".to_string() } else { format!("/page-{i}") }).collect();
    let nav: String = paths.iter().zip(names).map(|(p, n)| format!("<a href={p}>{n}</a> ")).collect();
    for (p, n) in paths.iter().zip(names) {
        site.set(
            p,
            &format!(
                "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>{n} · Bakery</title></head>\
             <body style=\"margin:0;font:18px sans-serif\"><nav>{nav}</nav><h1>{n}</h1><p>Fresh bread every day.</p></body></html>"
            ),
        );
    }
    let chrome = launch_browser()?;
    let team = chrome.browser.new_tab()?;
    sign_in(&team, &server, "tom@example.test", OWNER_PW)?;
    let project = call_api(
        &team,
        &token,
        "POST",
        "/projects",
        &serde_json::json!({"name": "Bakery", "client": "Bakery Ltd", "launch_date": "2027-03-01",
        "environments": [{"name": "staging", "kind": "staging", "base_url": format!("{}/", site.base)}]}),
    )?;
    let pid = project["id"].as_i64().expect("project created");
    let started = std::time::Instant::now();
    run_and_wait(&team, &token, pid, "staging")?;
    eprintln!("48 screenshots taken in {:.1} s", started.elapsed().as_secs_f64());
    let link = call_api(&team, &token, "POST", &format!("/projects/{pid}/share-links"), &serde_json::json!({}))?;
    let share_url = link["url"].as_str().expect("share link").to_string();

    // The client, on a phone.
    let ctx = chrome.browser.new_context()?;
    let client = ctx.new_tab()?;
    let log = ConsoleLog::attach(&client)?;
    client.navigate_to(&share_url)?.wait_until_navigated()?;
    wait_loaded(&client)?;
    set_screen(&client, 390, 844, true)?;
    wait_for(&client, "document.body.textContent.includes('0 of 48 screenshots reviewed')", Duration::from_secs(10))?;
    screenshot(&client, "24-client-phone")?;
    let height = js(&client, "document.documentElement.scrollHeight")?.as_i64().unwrap_or(i64::MAX);
    eprintln!("the client page for 48 screenshots is {height} px tall on a phone");
    assert!(height < 6000, "the client page is {height} px tall on a phone");
    assert_eq!(horizontal_overflow(&client)?, 0, "nothing scrolls sideways on a phone");
    let text = js(&client, "document.querySelector('.review-pages').innerText")?.as_str().unwrap_or_default().to_string();
    assert!(!text.contains("http://") && !text.contains("old-ie") && !text.contains("ipad"), "people's words, not ids and URLs: {text}");
    assert!(text.contains("Opening hours · Bakery") && text.contains("Old Internet Explorer (emulated)") && text.contains("iPad"), "{text}");
    assert!(!text.contains("What changed since"), "a first review has nothing to compare with");
    assert_eq!(js(&client, "document.querySelectorAll('.review-pages textarea').length")?, serde_json::json!(0), "comments only when asked");
    assert_eq!(js(&client, "document.querySelectorAll('.review-pages .note').length")?, serde_json::json!(1), "one emulation note");

    // A whole page approved at once; one picture opened large with a change asked.
    // Approving before giving a name: the answer says what is missing, in words.
    js(&client, "document.querySelector('.page-review button.approve').click()")?;
    wait_for(
        &client,
        "!!document.querySelector('#message .alert') && document.querySelector('#message .alert').textContent.includes('your name')",
        Duration::from_secs(10),
    )?;
    give_name(&client, "Carla Client")?;
    assert_eq!(js(&client, "document.querySelectorAll('#message .alert').length")?, serde_json::json!(0), "a message is shown once");
    js(&client, "document.querySelector('.page-review button.approve').click()")?;
    wait_for(&client, "document.body.textContent.includes('4 of 48 screenshots reviewed')", Duration::from_secs(10))?;
    js(&client, "document.querySelectorAll('.page-review')[1].querySelector('.thumb-btn').click()")?;
    wait_for(&client, "!!document.querySelector('.shot-detail img')", Duration::from_secs(5))?;
    js(&client, "[...document.querySelectorAll('.shot-detail summary')].find(b => b.textContent === 'Ask for a change').click()")?;
    wait_for(&client, "document.querySelector('.shot-detail details.ask').open", Duration::from_secs(5))?;
    fill(&client, ".shot-detail textarea", "The phone number is missing")?;
    js(&client, "document.querySelector('.shot-detail .ask-changes button[type=submit]').click()")?;
    wait_for(&client, "document.body.textContent.includes('5 of 48 screenshots reviewed')", Duration::from_secs(10))?;
    screenshot(&client, "25-client-detail")?;

    // Sign-off: a summary, a confirmation, then no second one.
    js(&client, "document.querySelector('.signoff-confirm summary').click()")?;
    wait_for(&client, "document.querySelector('.signoff-confirm').open", Duration::from_secs(5))?;
    let summary = js(&client, "document.querySelector('.signoff').innerText")?.as_str().unwrap_or_default().to_string();
    assert!(summary.contains("5 of 48 reviewed — 4 approved, 1 with a change asked, 43 not reviewed"), "{summary}");
    assert!(summary.contains("Launch checklist: 0 of") && summary.contains("Sign off the launch of Bakery as Carla Client?"), "{summary}");
    js(&client, "document.querySelector('.signoff').scrollIntoView()")?;
    screenshot(&client, "26-client-confirm")?;
    js(&client, "[...document.querySelectorAll('.confirm button')].find(b => b.textContent === 'Yes, sign off').click()")?;
    wait_for(&client, "document.querySelector('.signoff').textContent.includes('Signed off by Carla Client')", Duration::from_secs(10))?;
    assert_eq!(js(&client, "[...document.querySelectorAll('.signoff button')].length")?, serde_json::json!(0), "no second sign-off of the same screenshots");

    // Tablet and desktop widths fit too.
    for (w, h, mobile) in [(768, 1024, true), (1440, 900, false)] {
        set_screen(&client, w, h, mobile)?;
        assert_eq!(horizontal_overflow(&client)?, 0, "the client page scrolls sideways at {w} px");
    }
    screenshot(&client, "27-client-desktop")?;
    let errors = log.entries();
    assert!(errors.is_empty(), "the browser console reported problems: {errors:#?}");
    Ok(())
}

#[test]
fn a_removed_member_loses_access_at_once_and_roles_change_on_the_team_page() -> Result<()> {
    let (server, token) = server_with_owner("owen@example.test", "Owen Owner")?;
    server.cli(&["user", "add", "mia@example.test", "--name", "Mia Member", "--role", "member"], &format!("{MEMBER_PW}\n"))?;
    server.cli(&["user", "add", "fred@example.test", "--name", "Fred Freelancer", "--role", "member"], &format!("{MEMBER_PW}\n"))?;
    let chrome = launch_browser()?;
    let owner = chrome.browser.new_tab()?;
    let log = ConsoleLog::attach(&owner)?;
    sign_in(&owner, &server, "owen@example.test", OWNER_PW)?;
    let project = call_api(
        &owner,
        &token,
        "POST",
        "/projects",
        &serde_json::json!({"name": "Team test", "launch_date": "2027-03-01",
        "environments": [{"name": "production", "base_url": "https://team.test"}]}),
    )?;
    let pid = project["id"].as_i64().expect("project created");
    // Mia works on the project in her own browser.
    let ctx = chrome.browser.new_context()?;
    let member = ctx.new_tab()?;
    sign_in(&member, &server, "mia@example.test", MEMBER_PW)?;
    member.navigate_to(&server.url(&format!("/projects/{pid}")))?.wait_until_navigated()?;
    wait_hydrated(&member)?;

    // The owner makes Fred an owner, then deactivates Mia.
    owner.navigate_to(&server.url("/team"))?.wait_until_navigated()?;
    wait_hydrated(&owner)?;
    choose(&owner, "select[aria-label='Role of Fred Freelancer']", "owner")?;
    wait_for(&owner, "document.body.textContent.includes('Fred Freelancer is now an owner.')", Duration::from_secs(10))?;
    js(&owner, "[...document.querySelectorAll('tr')].find(r => r.textContent.includes('Mia Member')).querySelector('button.danger').click()")?;
    wait_for(&owner, "!!document.querySelector('.confirm-delete')", Duration::from_secs(5))?;
    js(&owner, "document.querySelector('.confirm-delete button.danger').click()")?;
    wait_for(&owner, "document.body.textContent.includes('Mia Member (mia@example.test) is deactivated')", Duration::from_secs(10))?;
    wait_for(&owner, "![...document.querySelectorAll('td')].some(t => t.textContent === 'mia@example.test')", Duration::from_secs(10))?;
    screenshot(&owner, "28-team")?;

    // Mia's very next request is turned away: back to the sign-in page.
    member.reload(false, None)?;
    wait_for(&member, "location.pathname === '/login'", Duration::from_secs(10))?;
    fill(&member, "input[name=email]", "mia@example.test")?;
    fill(&member, "input[name=password]", MEMBER_PW)?;
    member.find_element("form button[type=submit]")?.click()?;
    wait_for(&member, "location.pathname === '/login' && !!document.querySelector('[role=alert]')", Duration::from_secs(10))?;
    let errors = log.entries();
    assert!(errors.is_empty(), "the browser console reported problems: {errors:#?}");
    Ok(())
}

#[test]
fn a_contractor_sees_only_the_projects_an_owner_adds_them_to() -> Result<()> {
    let (server, token) = server_with_owner("owen@example.test", "Owen Owner")?;
    server.cli(&["user", "add", "cleo@example.test", "--name", "Cleo Contractor", "--role", "member"], &format!("{MEMBER_PW}\n"))?;
    let chrome = launch_browser()?;
    let owner = chrome.browser.new_tab()?;
    let log = ConsoleLog::attach(&owner)?;
    sign_in(&owner, &server, "owen@example.test", OWNER_PW)?;
    let mut ids = Vec::new();
    for name in ["Ours", "Theirs"] {
        let body = serde_json::json!({"name": name, "launch_date": "2027-03-01", "environments": [{"name": "production", "base_url": "https://team.test"}]});
        ids.push(call_api(&owner, &token, "POST", "/projects", &body)?["id"].as_i64().expect("project created"));
    }
    let (ours, theirs) = (ids[0], ids[1]);

    // The owner restricts Cleo on the Team page, then adds her to Ours on its Share & settings tab.
    owner.navigate_to(&server.url("/team"))?.wait_until_navigated()?;
    wait_hydrated(&owner)?;
    choose(&owner, "select[aria-label='Projects Cleo Contractor sees']", "added")?;
    wait_for(&owner, "document.body.textContent.includes('Cleo Contractor now sees only the projects they are added to')", Duration::from_secs(10))?;
    owner.navigate_to(&server.url(&format!("/projects/{ours}/share")))?.wait_until_navigated()?;
    wait_hydrated(&owner)?;
    wait_for(&owner, "!!document.querySelector('section[aria-labelledby=people-title] select')", Duration::from_secs(10))?;
    let cleo_id =
        js(&owner, "[...document.querySelectorAll('section[aria-labelledby=people-title] option')].find(o => o.textContent === 'Cleo Contractor').value")?;
    choose(&owner, "section[aria-labelledby=people-title] select", cleo_id.as_str().unwrap_or_default())?;
    js(&owner, "document.querySelector('section[aria-labelledby=people-title] button[type=submit]').click()")?;
    wait_for(&owner, "document.body.textContent.includes('Cleo Contractor can now see this project.')", Duration::from_secs(10))?;
    wait_for(&owner, "!!document.querySelector('section[aria-labelledby=people-title] .people-list')", Duration::from_secs(10))?;
    js(&owner, "document.getElementById('people-title').scrollIntoView()")?;
    screenshot(&owner, "33-project-people")?;

    // Cleo sees Ours and only Ours; Theirs does not exist for her.
    let ctx = chrome.browser.new_context()?;
    let cleo = ctx.new_tab()?;
    sign_in(&cleo, &server, "cleo@example.test", MEMBER_PW)?;
    wait_for(&cleo, "document.body.textContent.includes('Ours') && !document.body.textContent.includes('Theirs')", Duration::from_secs(10))?;
    cleo.navigate_to(&server.url(&format!("/projects/{theirs}")))?.wait_until_navigated()?;
    wait_for(&cleo, "document.body.textContent.includes('belongs to a project you have not been added to')", Duration::from_secs(10))?;
    cleo.navigate_to(&server.url(&format!("/projects/{ours}")))?.wait_until_navigated()?;
    wait_hydrated(&cleo)?;
    wait_for(&cleo, "document.querySelectorAll('.item').length > 10", Duration::from_secs(10))?;

    // Taken off Ours: her next page is refused.
    js(&owner, "document.querySelector('section[aria-labelledby=people-title] .people-list button.danger').click()")?;
    wait_for(&owner, "document.body.textContent.includes('Cleo Contractor no longer sees this project')", Duration::from_secs(10))?;
    cleo.reload(false, None)?;
    wait_for(&cleo, "document.body.textContent.includes('belongs to a project you have not been added to')", Duration::from_secs(10))?;
    let errors = log.entries();
    assert!(errors.is_empty(), "the browser console reported problems: {errors:#?}");
    Ok(())
}

#[test]
fn a_late_project_is_re_planned_and_the_checklist_answers_j_k_x() -> Result<()> {
    let (server, token) = server_with_owner("kim@example.test", "Kim Keys")?;
    let chrome = launch_browser()?;
    let tab = chrome.browser.new_tab()?;
    let log = ConsoleLog::attach(&tab)?;
    sign_in(&tab, &server, "kim@example.test", OWNER_PW)?;
    // A project created four days before its launch: most of the template is overdue.
    let launch = js(&tab, "new Date(Date.now() + 4 * 86400000).toISOString().slice(0, 10)")?.as_str().unwrap_or_default().to_string();
    let project = call_api(
        &tab,
        &token,
        "POST",
        "/projects",
        &serde_json::json!({"name": "Late start", "launch_date": launch,
        "environments": [{"name": "production", "base_url": "https://late.test"}]}),
    )?;
    let pid = project["id"].as_i64().expect("project created");
    tab.navigate_to(&server.url(&format!("/projects/{pid}")))?.wait_until_navigated()?;
    wait_hydrated(&tab)?;
    let overdue = js(&tab, "document.querySelectorAll('.items .item.overdue').length")?.as_i64().unwrap_or(0);
    assert!(overdue > 20, "a late start has many overdue items: {overdue}");
    js(&tab, "[...document.querySelectorAll('.overall button')].find(b => b.textContent.includes('Re-plan from today')).click()")?;
    wait_for(&tab, "!!document.querySelector('.overall .confirm')", Duration::from_secs(5))?;
    js(&tab, "document.querySelector('.overall .confirm button.primary').click()")?;
    wait_for(&tab, &format!("document.body.textContent.includes('{overdue} item(s) re-planned from today')"), Duration::from_secs(10))?;
    wait_for(
        &tab,
        "document.querySelectorAll('.items .item.overdue').length === 0 && document.body.textContent.includes('Nothing overdue.')",
        Duration::from_secs(10),
    )?;

    // j / k walk the items in the order shown; x ticks the focused one and unticks it again.
    let focused = "document.activeElement && document.activeElement.closest('.items') ? [...document.querySelectorAll('.items input[type=checkbox]')].indexOf(document.activeElement) : -1";
    tab.press_key("j")?;
    wait_for(&tab, &format!("({focused}) === 0"), Duration::from_secs(5))?;
    tab.press_key("j")?;
    tab.press_key("j")?;
    wait_for(&tab, &format!("({focused}) === 2"), Duration::from_secs(5))?;
    tab.press_key("k")?;
    wait_for(&tab, &format!("({focused}) === 1"), Duration::from_secs(5))?;
    tab.press_key("x")?;
    wait_for(
        &tab,
        "document.querySelectorAll('.items input[type=checkbox]')[1].checked && document.querySelectorAll('.items .item.done').length === 1",
        Duration::from_secs(10),
    )?;
    screenshot(&tab, "29-checklist-keys")?;
    wait_for(&tab, "!document.querySelectorAll('.items input[type=checkbox]')[1].disabled", Duration::from_secs(10))?;
    tab.press_key("x")?;
    wait_for(&tab, "document.querySelectorAll('.items .item.done').length === 0", Duration::from_secs(10))?;
    assert!(
        js(&tab, "document.querySelector('.keys-hint').textContent.includes('tick or untick')")?.as_bool().unwrap_or(false),
        "the keys are documented on the page"
    );
    let errors = log.entries();
    assert!(errors.is_empty(), "the browser console reported problems: {errors:#?}");
    Ok(())
}

#[test]
fn the_template_is_edited_into_a_new_version_and_scope_items_are_edited_deleted_and_restored() -> Result<()> {
    let (server, token) = server_with_owner("tess@example.test", "Tess Template")?;
    let chrome = launch_browser()?;
    let tab = chrome.browser.new_tab()?;
    let log = ConsoleLog::attach(&tab)?;
    sign_in(&tab, &server, "tess@example.test", OWNER_PW)?;
    let base = call_api(&tab, &token, "GET", "/template/current", &serde_json::Value::Null)?["version"].as_i64().expect("a template");

    // Edit the first item, add one to Launch week, remove the second, move one: one new version.
    tab.navigate_to(&server.url("/template"))?.wait_until_navigated()?;
    wait_hydrated(&tab)?;
    wait_for(&tab, "document.querySelectorAll('.tpl-item').length > 60", Duration::from_secs(10))?;
    js(&tab, "document.querySelector('.tpl-item button[aria-label^=\"Edit:\"]').click()")?;
    wait_for(&tab, "!!document.querySelector('.tpl-form')", Duration::from_secs(5))?;
    fill(&tab, ".tpl-form input[type=text]", "Agree the scope in writing, signed by the client")?;
    fill(&tab, ".tpl-form input[placeholder='T-7d']", "a week before")?;
    js(&tab, "document.querySelector('.tpl-form button[type=submit]').click()")?;
    wait_for(&tab, "document.querySelector('.tpl-form [role=alert]')?.textContent.includes('is not a due')", Duration::from_secs(5))?;
    fill(&tab, ".tpl-form input[placeholder='T-7d']", "T-30d")?;
    js(&tab, "document.querySelector('.tpl-form button[type=submit]').click()")?;
    wait_for(&tab, "!document.querySelector('.tpl-form') && document.querySelector('.tpl-item .chip.warn')?.textContent === 'edited'", Duration::from_secs(5))?;
    js(&tab, "document.querySelectorAll('.tpl-item button[aria-label^=\"Remove:\"]')[1].click()")?;
    js(&tab, "document.querySelectorAll('.tpl-item button[aria-label^=\"Move down:\"]')[2].click()")?;
    js(&tab, "[...document.querySelectorAll('.tpl-phase button')].find(b => b.textContent === 'Add an item to Launch week').click()")?;
    wait_for(&tab, "!!document.querySelector('.tpl-form')", Duration::from_secs(5))?;
    fill(&tab, ".tpl-form input[type=text]", "Check the cookie banner's wording")?;
    fill(&tab, ".tpl-form textarea", "The client's lawyer asked for it on the last launch.")?;
    fill(&tab, ".tpl-form input[placeholder^='e.g. broken-link']", "favicon-missing")?;
    js(&tab, "document.querySelector('.tpl-form button[type=submit]').click()")?;
    wait_for(&tab, "document.querySelector('.save-summary').textContent === 'Unsaved: 1 changed · 1 added · 1 removed · reordered'", Duration::from_secs(5))?;
    fill(&tab, ".save-bar input", "After the Acme launch")?;
    screenshot(&tab, "30-template-editor")?;
    js(&tab, "document.querySelector('.save-bar button.primary').click()")?;
    let next = base + 1;
    wait_for(&tab, &format!("document.body.textContent.includes('Saved as version {next}.')"), Duration::from_secs(10))?;
    wait_for(&tab, &format!("document.querySelector('#tpl-head').textContent.startsWith('Version {next}')"), Duration::from_secs(10))?;
    let versions = js(&tab, "document.querySelector('.version-list').innerText")?.as_str().unwrap_or_default().to_string();
    assert!(versions.contains(&format!("v{base} edited by Tess Template: 1 changed, 1 added, 1 removed, reordered — After the Acme launch")), "{versions}");
    // The next project gets the new item.
    let project = call_api(&tab, &token, "POST", "/projects", &serde_json::json!({"name": "Cookie shop", "launch_date": "2027-03-01", "environments": []}))?;
    let pid = project["id"].as_i64().expect("project created");
    let list = call_api(&tab, &token, "GET", &format!("/projects/{pid}/checklist"), &serde_json::Value::Null)?;
    assert!(list["items"].as_array().expect("items").iter().any(|i| i["title"] == "Check the cookie banner's wording"), "{list}");

    // Scope: add, edit with a note, delete with a reason, restore.
    call_api(&tab, &token, "POST", &format!("/projects/{pid}/scope-items"), &serde_json::json!({"title": "Online shop", "source": "Contract §3"}))?;
    tab.navigate_to(&server.url(&format!("/projects/{pid}/scope")))?.wait_until_navigated()?;
    wait_hydrated(&tab)?;
    js(&tab, "document.querySelector('button[aria-label=\"Edit Online shop\"]').click()")?;
    wait_for(&tab, "!!document.querySelector('.scope-item form')", Duration::from_secs(5))?;
    fill(&tab, ".scope-item form input[type=text]", "Online shop with gift cards")?;
    fill(&tab, ".scope-item form input[placeholder^='e.g. Client']", "Client's e-mail of 3 June")?;
    js(&tab, "document.querySelector('.scope-item form button[type=submit]').click()")?;
    wait_for(&tab, "!!document.querySelector('button[aria-label=\"Delete Online shop with gift cards\"]')", Duration::from_secs(10))?;
    js(&tab, "document.querySelector('button[aria-label=\"Delete Online shop with gift cards\"]').click()")?;
    wait_for(&tab, "!!document.querySelector('.scope-item form.confirm')", Duration::from_secs(5))?;
    fill(&tab, ".scope-item form.confirm input", "Dropped in the call of 4 June")?;
    screenshot(&tab, "31-scope-delete")?;
    js(&tab, "document.querySelector('.scope-item form.confirm button.danger').click()")?;
    wait_for(&tab, "document.querySelector('.deleted-scope summary')?.textContent === 'Deleted items (1)'", Duration::from_secs(10))?;
    js(&tab, "document.querySelector('.deleted-scope').open = true")?;
    let deleted = js(&tab, "document.querySelector('.deleted-scope').innerText")?.as_str().unwrap_or_default().to_string();
    assert!(deleted.contains("Deleted by Tess Template"), "{deleted}");
    js(&tab, "document.querySelector('button[aria-label=\"Restore Online shop with gift cards\"]').click()")?;
    wait_for(
        &tab,
        "!document.querySelector('.deleted-scope') && !!document.querySelector('button[aria-label=\"Edit Online shop with gift cards\"]')",
        Duration::from_secs(10),
    )?;
    let history = call_api(&tab, &token, "GET", &format!("/projects/{pid}/scope-items"), &serde_json::Value::Null)?;
    let sid = history["items"][0]["id"].as_i64().expect("the item");
    let steps = call_api(&tab, &token, "GET", &format!("/scope-items/{sid}/history"), &serde_json::Value::Null)?;
    let steps: Vec<(String, String)> = steps["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| (h["action"].as_str().unwrap_or_default().to_string(), h["note"].as_str().unwrap_or_default().to_string()))
        .collect();
    let expected = [("created", ""), ("edited", "Client's e-mail of 3 June"), ("deleted", "Dropped in the call of 4 June"), ("restored", "")];
    assert_eq!(steps, expected.map(|(a, n)| (a.to_string(), n.to_string())));
    let errors = log.entries();
    assert!(errors.is_empty(), "the browser console reported problems: {errors:#?}");
    Ok(())
}

#[test]
fn every_page_fits_a_phone_a_tablet_and_a_desktop() -> Result<()> {
    let (server, token) = server_with_owner("lola@example.test", "Lola Layout")?;
    let site = bakery_site()?;
    let chrome = launch_browser()?;
    let tab = chrome.browser.new_tab()?;
    let log = ConsoleLog::attach(&tab)?;
    sign_in(&tab, &server, "lola@example.test", OWNER_PW)?;
    let project = call_api(
        &tab,
        &token,
        "POST",
        "/projects",
        &serde_json::json!({"name": "A bakery with a rather long project name for small screens", "client": "Bakery Ltd", "launch_date": "2027-03-01",
            "viewports": "desktop", "environments": [{"name": "staging", "kind": "staging", "base_url": format!("{}/", site.base)}]}),
    )?;
    let pid = project["id"].as_i64().expect("project created");
    let first = run_and_wait(&tab, &token, pid, "staging")?;
    site.set("/", &fixture_page("Home", "<h1>Welcome</h1><div style=\"height:240px;background:#b00020;color:#fff\">Spring sale</div>"));
    let second = run_and_wait(&tab, &token, pid, "staging")?;
    call_api(&tab, &token, "POST", &format!("/projects/{pid}/scope-items"), &serde_json::json!({"title": "Online shop", "source": "Contract §3"}))?;
    let link = call_api(&tab, &token, "POST", &format!("/projects/{pid}/share-links"), &serde_json::json!({}))?;
    let share = link["url"].as_str().expect("share link").to_string();
    let gallery = call_api(&tab, &token, "GET", &format!("/runs/{second}/screenshots"), &serde_json::Value::Null)?;
    let shot = gallery["shots"].as_array().and_then(|s| s.iter().find(|s| s["previous"].is_i64())).expect("a screenshot compared with the first run");
    let (before, after) = (shot["previous"].as_i64().unwrap_or_default(), shot["id"].as_i64().unwrap_or_default());
    assert_eq!(gallery["previous_run_id"], serde_json::json!(first));

    let mut pages: Vec<String> = ["/", "/projects/new", "/template", "/team", "/account", "/notifications"].map(String::from).to_vec();
    for p in ["", "/edit", "/scope", "/training", "/activity", "/retro", "/watch", "/share"] {
        pages.push(format!("/projects/{pid}{p}"));
    }
    pages.push(format!("/runs/{second}"));
    pages.push(format!("/compare/{before}/{after}"));
    let mut wide = Vec::new();
    for (w, h, mobile) in [(390, 844, true), (768, 1024, true), (1440, 900, false)] {
        set_screen(&tab, w, h, mobile)?;
        for p in &pages {
            tab.navigate_to(&server.url(p))?.wait_until_navigated()?;
            wait_hydrated(&tab)?;
            wait_for(&tab, "!document.body.textContent.includes('Loading')", Duration::from_secs(15))?;
            let over = horizontal_overflow(&tab)?;
            if over > 0 {
                let culprit = js(
                    &tab,
                    "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(-3).map(e => e.tagName + '.' + e.className).join(' ')",
                )?;
                wide.push(format!("{p} at {w} px: {over} px too wide ({culprit})"));
                screenshot(&tab, &format!("layout-{w}-{}", p.replace('/', "_")))?;
            }
        }
    }
    // Signed out: the sign-in and password pages, and the client's page.
    let ctx = chrome.browser.new_context()?;
    let guest = ctx.new_tab()?;
    let guest_log = ConsoleLog::attach(&guest)?;
    guest.navigate_to(&server.url("/login"))?.wait_until_navigated()?;
    for (w, h, mobile) in [(390, 844, true), (768, 1024, true), (1440, 900, false)] {
        set_screen(&guest, w, h, mobile)?;
        for url in [server.url("/login"), server.url("/forgot"), share.clone()] {
            guest.navigate_to(&url)?.wait_until_navigated()?;
            if url.contains("/share/") {
                wait_loaded(&guest)?;
            } else {
                wait_hydrated(&guest)?;
            }
            let over = horizontal_overflow(&guest)?;
            if over > 0 {
                wide.push(format!("{url} at {w} px: {over} px too wide"));
            }
        }
    }
    screenshot(&guest, "32-share-desktop")?;
    assert!(wide.is_empty(), "pages scroll sideways:\n{}", wide.join("\n"));
    let errors: Vec<String> = log.entries().into_iter().chain(guest_log.entries()).collect();
    assert!(errors.is_empty(), "the browser console reported problems: {errors:#?}");
    Ok(())
}

#[test]
fn a_phase_is_assigned_at_once_and_my_items_ticks_across_projects() -> Result<()> {
    let (server, token) = server_with_owner("bo@example.test", "Bo Bulk")?;
    let chrome = launch_browser()?;
    let tab = chrome.browser.new_tab()?;
    let log = ConsoleLog::attach(&tab)?;
    sign_in(&tab, &server, "bo@example.test", OWNER_PW)?;
    let mut pids = Vec::new();
    for name in ["Shop", "Blog"] {
        let p = call_api(&tab, &token, "POST", "/projects", &serde_json::json!({"name": name, "launch_date": "2027-03-01", "environments": []}))?;
        pids.push(p["id"].as_i64().expect("project created"));
    }
    let me = js(
        &tab,
        "fetch('/rpc/current_user', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'}).then(r => r.json()).then(u => u.id)",
    )?;
    let me = me.as_i64().expect("my id");

    // Compact rows: one line each; details open with the button or the o key.
    tab.navigate_to(&server.url(&format!("/projects/{}", pids[0])))?.wait_until_navigated()?;
    wait_hydrated(&tab)?;
    assert_eq!(js(&tab, "document.querySelectorAll('.item-details:not([hidden])').length")?, serde_json::json!(0), "rows start closed");
    let first_item = js(&tab, "document.querySelector('.items .item').getBoundingClientRect().top + window.scrollY")?.as_f64().unwrap_or(f64::MAX);
    eprintln!("the first checklist item starts {first_item:.0} px down the page");
    tab.press_key("j")?;
    tab.press_key("o")?;
    wait_for(&tab, "document.querySelector('.items .item .details-toggle').getAttribute('aria-expanded') === 'true' && !document.querySelector('.items .item .item-details').hidden", Duration::from_secs(5))?;
    tab.press_key("o")?;
    wait_for(&tab, "document.querySelector('.items .item .item-details').hidden", Duration::from_secs(5))?;

    // Foundations, all at once, to me.
    js(&tab, "document.querySelector('.phase .bulk').open = true")?;
    choose(&tab, ".phase .bulk select", &me.to_string())?;
    js(&tab, "document.querySelector('.phase .bulk form button[type=submit]').click()")?;
    wait_for(&tab, "/\\d+ item\\(s\\) of Foundations assigned\\./.test(document.querySelector('.phase .bulk').textContent)", Duration::from_secs(10))?;
    let assigned = js(&tab, "[...document.querySelectorAll('.phase')][0].querySelectorAll('.item-summary .assignee').length")?.as_i64().unwrap_or(0);
    assert!(assigned >= 5, "the rows say who has them: {assigned}");
    // Dev site does not apply on this project.
    js(&tab, "document.querySelectorAll('.phase .bulk')[1].open = true")?;
    fill(&tab, ".phase:nth-of-type(2) .bulk input[type=text]", "The client hosts the dev site")?;
    js(&tab, "document.querySelectorAll('.phase .bulk')[1].querySelectorAll('form')[1].querySelector('button').click()")?;
    wait_for(&tab, "document.querySelectorAll('.phase')[1].querySelectorAll('.item.na').length === document.querySelectorAll('.phase')[1].querySelectorAll('.item').length", Duration::from_secs(10))?;
    screenshot(&tab, "33-checklist-bulk")?;

    // One more in the other project, then My items lists them all and ticks one.
    let blog = call_api(&tab, &token, "GET", &format!("/projects/{}/checklist", pids[1]), &serde_json::Value::Null)?;
    let item = blog["items"].as_array().and_then(|v| v.last()).cloned().expect("an item");
    call_api(&tab, &token, "PATCH", &format!("/checklist-items/{}", item["id"]), &serde_json::json!({"assignee_id": me, "version": item["version"]}))?;
    tab.navigate_to(&server.url("/my"))?.wait_until_navigated()?;
    wait_hydrated(&tab)?;
    wait_for(&tab, &format!("document.querySelector('h2').textContent === '{} open item(s) in 2 project(s)'", assigned + 1), Duration::from_secs(10))?;
    js(&tab, "document.querySelector('.my-items input[type=checkbox]').click()")?;
    wait_for(&tab, "!!document.querySelector('.my-items .item.done')", Duration::from_secs(10))?;
    screenshot(&tab, "34-my-items")?;
    let mine = call_api(&tab, &token, "GET", "/my-items", &serde_json::Value::Null)?;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(assigned as usize), "the ticked item is no longer open");
    let errors = log.entries();
    assert!(errors.is_empty(), "the browser console reported problems: {errors:#?}");
    Ok(())
}

/// A tab left open across a redeploy: the page it goes to next is in a chunk of the old build,
/// which the server no longer has. The app does not stop there: the page loads again, with the
/// new build.
#[test]
fn a_tab_open_across_a_redeploy_loads_the_new_build() -> Result<()> {
    let site = tempfile::tempdir()?;
    copy_site(&workspace_root().join("target/site"), site.path())?;
    let server = Server::start_at(tempfile::tempdir()?, site.path(), None)?;
    server.cli(&["user", "add", "rita@example.test", "--name", "Rita Redeploy", "--role", "owner"], &format!("{OWNER_PW}\n"))?;
    let token = server.cli(&["token", "create", "rita@example.test", "--name", "e2e"], "")?.trim().to_string();
    let chrome = launch_browser()?;
    let tab = chrome.browser.new_tab()?;
    sign_in(&tab, &server, "rita@example.test", OWNER_PW)?;
    let body =
        serde_json::json!({"name": "Redeployed", "launch_date": "2027-03-01", "environments": [{"name": "production", "base_url": "https://team.test"}]});
    let pid = call_api(&tab, &token, "POST", "/projects", &body)?["id"].as_i64().expect("project created");
    tab.navigate_to(&server.url("/"))?.wait_until_navigated()?;
    wait_hydrated(&tab)?;
    wait_for(&tab, "!!document.querySelector('.project-card a')", Duration::from_secs(10))?;
    let old_build = js(&tab, "document.querySelector('link[rel=stylesheet]').href")?;
    assert!(old_build.as_str().is_some_and(|h| h.contains("/pkg/")), "the app is loaded from a versioned folder: {old_build}");
    js(&tab, "window.oldTab = true")?;

    // A new build on the same address (here the stylesheet changed, so every URL did).
    let port = server.port();
    let data = server.stop()?;
    let css = site.path().join("pkg/preflight.css");
    std::fs::write(&css, format!("{}\n/* redeployed */\n", std::fs::read_to_string(&css)?))?;
    for stale in ["preflight.css.gz", "preflight.css.br"] {
        let _ = std::fs::remove_file(site.path().join("pkg").join(stale));
    }
    let server = Server::start_at(data, site.path(), Some(port))?;

    // The old tab opens the checklist, whose code it never loaded: the old chunk is gone (404),
    // and the browser goes to the checklist with the new build instead of stopping.
    tab.find_element(".project-card a")?.click()?;
    wait_for(&tab, "window.oldTab === undefined && document.body.dataset.hydrated === 'true'", Duration::from_secs(20))?;
    let new_build = js(&tab, "document.querySelector('link[rel=stylesheet]').href")?;
    assert_ne!(new_build, old_build, "the page was loaded again with the new build");
    assert!(tab.get_url().ends_with(&format!("/projects/{pid}")), "it went where the link led: {}", tab.get_url());
    wait_for(&tab, "document.querySelectorAll('li.item').length > 10", Duration::from_secs(15))?;
    drop(server);
    Ok(())
}
