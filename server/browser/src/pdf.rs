//! Printing a document to PDF with the same Chromium the checks use (Page.printToPDF).
//! The document is set directly into a blank tab with scripts off: it must carry everything
//! it shows (inline styles, `data:` images), so nothing is fetched while it prints.

use std::time::{Duration, Instant};

use headless_chrome::protocol::cdp::{Emulation, Page};

use crate::{session::Connection, BrowserError, BrowserSettings, Endpoint};

/// How long the images of the document may take to decode before it is printed anyway.
const SETTLE_LIMIT: Duration = Duration::from_secs(20);

/// An A4 PDF of `html`, printed by the browser at `endpoint` (backgrounds included; the
/// document's `@page` rules win).
pub fn print_pdf(endpoint: &Endpoint, html: &str) -> Result<Vec<u8>, BrowserError> {
    let fail = |what: &str, e: String| BrowserError::Launch(format!("printing the PDF ({what}): {e}"));
    let mut settings = BrowserSettings::new(preflight_engine::config::EnvProfile::Production);
    settings.endpoint = endpoint.clone();
    let conn = Connection::open(&settings, 0, &[])?;
    let tab = conn.browser.new_tab().map_err(|e| fail("opening a tab", e.to_string()))?;
    tab.call_method(Emulation::SetScriptExecutionDisabled { value: true }).map_err(|e| fail("turning scripts off", e.to_string()))?;
    let frame = tab.call_method(Page::GetFrameTree(None)).map_err(|e| fail("reading the tab", e.to_string()))?.frame_tree.frame.id;
    tab.call_method(Page::SetDocumentContent { frame_id: frame, html: html.to_string() }).map_err(|e| fail("setting the document", e.to_string()))?;
    // The document's images are data: URIs; wait until they are decoded.
    let start = Instant::now();
    while start.elapsed() < SETTLE_LIMIT {
        let done = tab
            .evaluate("document.readyState === 'complete' && Array.prototype.every.call(document.images, function (i) { return i.complete; })", false)
            .ok()
            .and_then(|r| r.value)
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let pdf = tab
        .print_to_pdf(Some(headless_chrome::types::PrintToPdfOptions {
            print_background: Some(true),
            prefer_css_page_size: Some(true),
            display_header_footer: Some(false),
            ..Default::default()
        }))
        .map_err(|e| fail("printing", e.to_string()))?;
    let _ = tab.close(false);
    Ok(pdf)
}
