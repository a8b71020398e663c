//! Page quality of a run: each page's timing and transfer at each viewport, and the
//! accessibility rules it fails, as the browser stage measured them.

use serde::{Deserialize, Serialize};

/// What a page's timing and transfer looked like at one viewport.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageMetrics {
    /// Time to first byte of the document, ms.
    pub ttfb_ms: Option<f64>,
    /// First Contentful Paint, ms.
    pub fcp_ms: Option<f64>,
    /// Largest Contentful Paint, ms, and what it painted.
    pub lcp_ms: Option<f64>,
    #[serde(default)]
    pub lcp_element: String,
    /// Cumulative Layout Shift (its largest session window).
    pub cls: f64,
    /// Total Blocking Time: long tasks after the first paint, beyond 50 ms each.
    pub tbt_ms: f64,
    pub long_tasks: u32,
    /// Bytes transferred by type.
    pub bytes: Transfer,
    pub requests: u32,
    /// The layout shifts seen (time, score, elements), the first five.
    #[serde(default)]
    pub shifts: Vec<Shift>,
    /// Measured as a mid-range phone on a slow network (the project's throttled profile).
    #[serde(default)]
    pub throttled: bool,
}

/// Bytes transferred, by type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    pub html: u64,
    pub js: u64,
    pub css: u64,
    pub image: u64,
    pub font: u64,
    pub other: u64,
}

impl Transfer {
    pub fn total(&self) -> u64 {
        self.html + self.js + self.css + self.image + self.font + self.other
    }
}

/// One layout shift.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Shift {
    pub at: f64,
    pub value: f64,
    #[serde(default)]
    pub nodes: Vec<String>,
}

/// One element an accessibility rule failed on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct A11yNode {
    /// A CSS selector for it (frames and shadow roots joined by ` >>> `).
    pub target: String,
    /// Its HTML, shortened.
    pub html: String,
    /// What axe says to fix.
    pub summary: String,
    /// Where it is on the page in CSS pixels (x, y, width, height), to mark it on the
    /// screenshot; `None` inside frames or when it has no box.
    pub rect: Option<[f64; 4]>,
}

/// One accessibility rule that failed on a page at a viewport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct A11yIssue {
    /// The check id, `a11y-image-alt`.
    pub check: String,
    /// axe's impact: `critical`, `serious`, `moderate` or `minor`.
    pub impact: String,
    /// How many elements fail it.
    pub count: usize,
    pub nodes: Vec<A11yNode>,
}

/// One page at one viewport of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageQuality {
    pub url: String,
    /// The page's title (from its screenshot), for people.
    #[serde(default)]
    pub title: String,
    pub viewport: String,
    /// Its screenshot, to mark the failing elements on (`None`: none was taken).
    pub screenshot_id: Option<i64>,
    /// The screenshot's size in CSS pixels (the viewport's width; the page's height, up to
    /// the screenshot's limit), to place the marks on it.
    #[serde(default)]
    pub css_width: u32,
    #[serde(default)]
    pub css_height: u32,
    pub metrics: Option<PageMetrics>,
    pub a11y: Vec<A11yIssue>,
    /// Why the accessibility checks could not look at this page.
    pub a11y_error: Option<String>,
}

/// A budget a metric is held to, as the run page draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityBudget {
    /// `lcp`, `cls`, `tbt`, `fcp`, `ttfb`, `total`, `js`, …, `requests`.
    pub metric: String,
    pub label: String,
    pub value: f64,
    /// `ms`, `KB`, or empty (a score or a count).
    pub unit: String,
}

/// One finished run of an environment in the quality trend: the worst page at any viewport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub run_id: i64,
    pub at: i64,
    pub lcp_ms: Option<f64>,
    pub cls: Option<f64>,
    pub tbt_ms: Option<f64>,
    /// Accessibility rules failed, counted once per page and rule.
    pub a11y_issues: i64,
}

/// A run's page quality: every page at every viewport, the budgets, and the environment's
/// trend over its recent runs (oldest first, this run last).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunQuality {
    pub run_id: i64,
    pub pages: Vec<PageQuality>,
    pub budgets: Vec<QualityBudget>,
    pub trend: Vec<TrendPoint>,
}
