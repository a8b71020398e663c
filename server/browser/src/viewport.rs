//! Viewports: the screen sizes and browsers a page is looked at with.

use serde::{Deserialize, Serialize};

/// Internet Explorer 11 on Windows 10.
pub const IE11_USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko";
/// Safari on an iPad (iPadOS 17).
pub const IPAD_USER_AGENT: &str =
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
/// Safari on an iPhone (iOS 17).
pub const PHONE_USER_AGENT: &str =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/// One way of looking at a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Viewport {
    /// Short stable name used in file names and reports: `desktop`, `old-ie`, `ipad`, `phone`.
    pub name: String,
    /// What people read, e.g. "iPad (768×1024 @2×)".
    pub label: String,
    pub width: u32,
    pub height: u32,
    /// Device pixels per CSS pixel.
    pub scale: f64,
    /// Mobile layout (meta viewport honoured, overlay scrollbars).
    pub mobile: bool,
    pub touch: bool,
    /// `None`: the browser's own user agent.
    pub user_agent: Option<String>,
    /// Set for viewports that only pretend to be another browser: said in reports and the UI.
    pub emulation_note: Option<String>,
}

impl Viewport {
    /// Whether this viewport pretends to be Internet Explorer (enables the old-IE checks).
    pub fn is_old_ie(&self) -> bool {
        self.user_agent.as_deref().is_some_and(|ua| ua.contains("Trident/") || ua.contains("MSIE "))
    }

    /// Screenshot size in device pixels for a page `css_height` CSS pixels tall.
    pub fn pixel_size(&self, css_height: u32) -> (u32, u32) {
        ((self.width as f64 * self.scale).round() as u32, (css_height as f64 * self.scale).round() as u32)
    }

    /// Parses `NAME=WIDTHxHEIGHT[@SCALE][,mobile][,touch][,ua=USER AGENT]`, or a default's name.
    pub fn parse(spec: &str) -> Result<Viewport, String> {
        let spec = spec.trim();
        if let Some(v) = defaults().into_iter().find(|v| v.name == spec) {
            return Ok(v);
        }
        let bad =
            |why: &str| format!("\"{spec}\" is not a viewport ({why}); use desktop, old-ie, ipad, phone or NAME=WIDTHxHEIGHT[@SCALE][,mobile][,touch][,ua=…]");
        let (name, rest) = spec.split_once('=').ok_or_else(|| bad("no NAME="))?;
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(bad("the name may use letters, digits, - and _"));
        }
        let mut parts = rest.split(',');
        let size = parts.next().unwrap_or_default().trim();
        let (dims, scale) = match size.split_once('@') {
            Some((d, s)) => (d, s.trim_end_matches('x').parse::<f64>().map_err(|_| bad("the scale is not a number"))?),
            None => (size, 1.0),
        };
        let (w, h) = dims.split_once(['x', '×']).ok_or_else(|| bad("the size is not WIDTHxHEIGHT"))?;
        let width: u32 = w.trim().parse().map_err(|_| bad("the width is not a number"))?;
        let height: u32 = h.trim().parse().map_err(|_| bad("the height is not a number"))?;
        if !(200..=4000).contains(&width) || !(200..=4000).contains(&height) {
            return Err(bad("width and height must be between 200 and 4000"));
        }
        if !(0.5..=4.0).contains(&scale) {
            return Err(bad("the scale must be between 0.5 and 4"));
        }
        let mut v = Viewport {
            name: name.to_string(),
            label: String::new(),
            width,
            height,
            scale,
            mobile: false,
            touch: false,
            user_agent: None,
            emulation_note: None,
        };
        // A user agent may contain commas: everything after `ua=` belongs to it.
        let rest_parts: Vec<&str> = parts.collect();
        let mut i = 0;
        while i < rest_parts.len() {
            let p = rest_parts[i].trim();
            match p {
                "mobile" => v.mobile = true,
                "touch" => v.touch = true,
                _ if p.starts_with("ua=") => {
                    v.user_agent = Some(rest_parts[i..].join(",").trim().trim_start_matches("ua=").to_string());
                    break;
                }
                other => return Err(bad(&format!("unknown option \"{other}\""))),
            }
            i += 1;
        }
        v.label = format!("{name} ({width}×{height}{})", if scale != 1.0 { format!(" @{scale}×") } else { String::new() });
        if v.is_old_ie() {
            v.emulation_note = Some(OLD_IE_NOTE.to_string());
        }
        Ok(v)
    }

    /// The spec [`Viewport::parse`] reads back.
    pub fn spec(&self) -> String {
        let mut s = format!("{}={}x{}", self.name, self.width, self.height);
        if self.scale != 1.0 {
            s.push_str(&format!("@{}", self.scale));
        }
        if self.mobile {
            s.push_str(",mobile");
        }
        if self.touch {
            s.push_str(",touch");
        }
        if let Some(ua) = &self.user_agent {
            s.push_str(&format!(",ua={ua}"));
        }
        s
    }
}

/// What the old-IE viewport can and cannot tell.
pub const OLD_IE_NOTE: &str = "Emulation: Chromium with Internet Explorer 11's user agent at 1024×768. It catches user-agent sniffing, \"upgrade your browser\" pages, scripts IE cannot parse and layout at that size — not IE's own rendering engine.";

/// The four default viewports: desktop, old-IE emulation, iPad and phone.
pub fn defaults() -> Vec<Viewport> {
    vec![
        Viewport {
            name: "desktop".into(),
            label: "Desktop (1440×900)".into(),
            width: 1440,
            height: 900,
            scale: 1.0,
            mobile: false,
            touch: false,
            user_agent: None,
            emulation_note: None,
        },
        Viewport {
            name: "old-ie".into(),
            label: "Old IE emulation (1024×768, IE11 user agent)".into(),
            width: 1024,
            height: 768,
            scale: 1.0,
            mobile: false,
            touch: false,
            user_agent: Some(IE11_USER_AGENT.into()),
            emulation_note: Some(OLD_IE_NOTE.into()),
        },
        Viewport {
            name: "ipad".into(),
            label: "iPad (768×1024 @2×)".into(),
            width: 768,
            height: 1024,
            scale: 2.0,
            mobile: true,
            touch: true,
            user_agent: Some(IPAD_USER_AGENT.into()),
            emulation_note: None,
        },
        Viewport {
            name: "phone".into(),
            label: "Phone (390×844 @3×)".into(),
            width: 390,
            height: 844,
            scale: 3.0,
            mobile: true,
            touch: true,
            user_agent: Some(PHONE_USER_AGENT.into()),
            emulation_note: None,
        },
    ]
}

/// Parses a comma-free list of specs separated by `;` or newlines (or the default names
/// separated by commas), e.g. `desktop,phone` or `desktop; tv=1920x1080`.
pub fn parse_list(spec: &str) -> Result<Vec<Viewport>, String> {
    let items: Vec<&str> = if spec.contains('=') { spec.split([';', '\n']).collect() } else { spec.split([',', ';', '\n']).collect() };
    let mut out: Vec<Viewport> = Vec::new();
    for item in items.into_iter().map(str::trim).filter(|s| !s.is_empty()) {
        let v = Viewport::parse(item)?;
        if out.iter().any(|o| o.name == v.name) {
            return Err(format!("the viewport name \"{}\" is used twice", v.name));
        }
        out.push(v);
    }
    if out.is_empty() {
        return Err("no viewports given".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_brief() {
        let d = defaults();
        let names: Vec<&str> = d.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["desktop", "old-ie", "ipad", "phone"]);
        assert_eq!(d[2].pixel_size(1024), (1536, 2048));
        assert_eq!(d[3].pixel_size(844), (1170, 2532));
        assert!(d[1].is_old_ie() && d[1].emulation_note.is_some());
        assert!(!d[0].is_old_ie() && !d[2].is_old_ie());
    }

    #[test]
    fn specs_round_trip_and_bad_ones_say_why() {
        let v = Viewport::parse("tv=1920x1080@1.5,touch,ua=Mozilla/5.0 (X11, Linux)").unwrap();
        assert_eq!((v.width, v.height, v.scale, v.touch, v.mobile), (1920, 1080, 1.5, true, false));
        assert_eq!(v.user_agent.as_deref(), Some("Mozilla/5.0 (X11, Linux)"));
        assert_eq!(Viewport::parse(&v.spec()).unwrap(), v);
        for (bad, why) in [
            ("tv", "no NAME="),
            ("tv=1920", "WIDTHxHEIGHT"),
            ("tv=10x10", "between 200"),
            ("tv=800x600@9", "scale"),
            ("tv=800x600,wobbly", "unknown option"),
            ("t v=800x600", "letters"),
        ] {
            let e = Viewport::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn lists_take_names_and_specs() {
        assert_eq!(parse_list("desktop,phone").unwrap().len(), 2);
        assert_eq!(parse_list("desktop; tv=1920x1080").unwrap()[1].name, "tv");
        assert!(parse_list("desktop,desktop").unwrap_err().contains("twice"));
        assert!(parse_list(" ").is_err());
    }
}
