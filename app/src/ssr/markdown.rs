//! Markdown for training notes, rendered to HTML that is safe to put in a page: whatever
//! the source says, no script runs — no `<script>`, `<iframe>`, `<svg>`, event handlers,
//! styles, or `javascript:`/`data:` links (ammonia's allow-list, after pulldown-cmark).

use pulldown_cmark::{html, Options, Parser};

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
