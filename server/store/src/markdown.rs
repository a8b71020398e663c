//! Markdown for training notes, rendered to HTML that is safe to put in a page: whatever
//! the source says, no script runs — no `<script>`, `<iframe>`, `<svg>`, event handlers,
//! styles, or `javascript:`/`data:` links (ammonia's allow-list, after pulldown-cmark).

use pulldown_cmark::{html, Options, Parser};

/// Text for HTML we build (the launch report, e-mails): the five characters that mean
/// something in HTML, escaped, for element content or quoted attributes. Unlike
/// `ammonia::clean_text` it leaves spaces as they are.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Longest Markdown text accepted (a long guide fits; split longer ones).
pub const MAX_BYTES: usize = 100_000;
/// Deepest nesting of quotes (`>`) and lists accepted: real notes stay far below, and deeper
/// nesting makes the parser's work grow with the square of the text.
pub const MAX_NESTING: usize = 16;

/// Refuses text that would be slow to render, saying why in words for the writer.
pub fn check_bounds(markdown: &str) -> Result<(), String> {
    if markdown.len() > MAX_BYTES {
        return Err(format!("{} characters at most ({} given); split a long guide into several notes", MAX_BYTES, markdown.len()));
    }
    for (n, line) in markdown.lines().enumerate() {
        // `> > > …`: quote markers, with the spaces between them.
        let quotes = line.chars().take_while(|c| *c == '>' || *c == ' ' || *c == '\t').filter(|c| *c == '>').count();
        if quotes > MAX_NESTING {
            return Err(format!("line {} nests quotes {quotes} levels deep; {MAX_NESTING} at most", n + 1));
        }
        // Lists nest by indentation (2–4 columns a level); list markers can also stack on one line.
        let indent: usize = line.chars().take_while(|c| *c == ' ' || *c == '\t').map(|c| if c == '\t' { 4 } else { 1 }).sum();
        let stacked = line.split_whitespace().take_while(|w| matches!(*w, "-" | "*" | "+") || w.trim_end_matches(['.', ')']).parse::<u32>().is_ok()).count();
        if indent / 2 + stacked > MAX_NESTING * 2 {
            return Err(format!("line {} nests lists too deeply; {MAX_NESTING} levels at most", n + 1));
        }
    }
    Ok(())
}

/// [`to_safe_html`] off the async workers (rendering is CPU work), after [`check_bounds`].
pub async fn render(markdown: String) -> Result<String, String> {
    check_bounds(&markdown)?;
    tokio::task::spawn_blocking(move || to_safe_html(&markdown)).await.map_err(|_| "the text could not be rendered".to_string())
}

pub fn to_safe_html(markdown: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, opts));
    ammonia::Builder::default().url_schemes(["http", "https", "mailto", "tel"].into()).link_rel(Some("noopener noreferrer nofollow")).clean(&raw).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders() {
        let h = to_safe_html("# Adding a page\n\n1. Open **Pages**\n2. Press *Add*\n\n[Docs](https://example.com/docs)");
        assert!(h.contains("<h1>Adding a page</h1>") && h.contains("<strong>Pages</strong>") && h.contains("<ol>"), "{h}");
        assert!(h.contains(r#"href="https://example.com/docs""#) && h.contains("noopener"), "{h}");
    }

    #[test]
    fn bounds_refuse_what_is_slow_to_render_and_let_real_notes_through() {
        assert!(check_bounds(&"x".repeat(MAX_BYTES + 1)).unwrap_err().contains("100000 characters at most"));
        assert!(check_bounds(&format!("{} deep", ">".repeat(MAX_NESTING + 1))).unwrap_err().contains("nests quotes 17 levels"));
        assert!(check_bounds(&format!("{} deep", "> ".repeat(MAX_NESTING))).is_ok());
        assert!(check_bounds(&format!("{}- deep", " ".repeat(80))).unwrap_err().contains("nests lists"));
        assert!(check_bounds(&format!("{}deep", "- ".repeat(40))).unwrap_err().contains("nests lists"));
        assert!(check_bounds(STARTER).is_ok());
        // The worst text the bounds let through renders quickly (it took over 60 s and 3 GB
        // before, as 100 KB of nested quotes).
        let worst: String = (0..6000).map(|i| format!("{} q{i}\n", "> ".repeat(MAX_NESTING))).collect::<String>().chars().take(MAX_BYTES - 10).collect();
        assert!(check_bounds(&worst).is_ok());
        let t = std::time::Instant::now();
        let html = to_safe_html(&worst);
        assert!(html.contains("<blockquote>"));
        eprintln!("worst accepted note: {} bytes rendered in {:?}", worst.len(), t.elapsed());
    }

    const STARTER: &str = include_str!("../../../templates/training-starter.md");

    #[test]
    fn nothing_that_runs_survives() {
        let hostile = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
            "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
            "<svg><script>alert(1)</script></svg>",
            "<svg onload=alert(1)>",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "<iframe src=\"https://evil.test\"></iframe>",
            "<object data=x></object><embed src=x>",
            "<p style=\"background:url(javascript:alert(1))\">x</p>",
            "<form action=javascript:alert(1)><button>x</button></form>",
            "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">",
            "<details open ontoggle=alert(1)>",
        ];
        for h in hostile {
            let out = to_safe_html(h).to_ascii_lowercase();
            for bad in
                ["<script", "onerror", "onload", "ontoggle", "javascript:", "data:text", "<iframe", "<svg", "<object", "<embed", "style=", "<form", "<meta"]
            {
                assert!(!out.contains(bad), "{h:?} became {out:?}");
            }
        }
    }
}
