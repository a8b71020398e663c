//! Launch-plan dates: due offsets (`T-7d`) and strict date and time parsing.

/// Formats a due offset the way launch plans write it: `T-7d`, `T-0d`, `T+2d`.
pub fn due_label(offset_days: i64) -> String {
    if offset_days > 0 {
        format!("T+{offset_days}d")
    } else {
        format!("T-{}d", -offset_days)
    }
}

/// Parses `T-7d` / `T+2d` / `T-0d` into a day offset.
pub fn parse_due_label(s: &str) -> Option<i64> {
    let rest = s.trim().strip_prefix('T')?;
    let (sign, digits) = match rest.chars().next()? {
        '-' => (-1, &rest[1..]),
        '+' => (1, &rest[1..]),
        _ => return None,
    };
    let digits = digits.strip_suffix('d')?;
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) || digits.len() > 4 {
        return None;
    }
    Some(sign * digits.parse::<i64>().ok()?)
}

/// Adds days to a `YYYY-MM-DD` date.
pub fn add_days(date: &str, days: i64) -> Option<String> {
    let d = parse_date(date)?;
    let out = d.checked_add(time::Duration::days(days))?;
    Some(format_date(out))
}

/// Parses a strict `YYYY-MM-DD` date. (By hand: `time`'s format parser would add its whole
/// parsing machinery to the WASM app, for this one format.)
pub fn parse_date(s: &str) -> Option<time::Date> {
    let s = s.trim();
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r.clone()].iter().all(u8::is_ascii_digit).then(|| s[r].parse::<u32>().ok()).flatten();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    time::Date::from_calendar_date(y as i32, time::Month::try_from(u8::try_from(m).ok()?).ok()?, u8::try_from(d).ok()?).ok()
}

pub fn format_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The UTC date of a unix timestamp, `YYYY-MM-DD`.
pub fn format_date_ts(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t).map(|d| format_date(d.date())).unwrap_or_default()
}

/// Parses a strict `HH:MM` time.
pub fn parse_time(s: &str) -> Option<(u8, u8)> {
    let (h, m) = s.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u8, u8) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

#[cfg(test)]
mod tests {
    use crate::*;

    #[test]
    fn due_labels_round_trip() {
        for n in [-30, -7, -1, 0, 1, 14] {
            assert_eq!(parse_due_label(&due_label(n)), Some(n));
        }
        assert_eq!(due_label(0), "T-0d");
        assert_eq!(parse_due_label("T+0d"), Some(0));
        for bad in ["", "T", "T7d", "T-7", "-7d", "T-d", "T-7x", "T--7d", "T-99999d"] {
            assert_eq!(parse_due_label(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_are_strict_and_add_up() {
        assert_eq!(add_days("2026-03-01", -1).as_deref(), Some("2026-02-28"));
        assert_eq!(add_days("2024-03-01", -1).as_deref(), Some("2024-02-29"));
        assert_eq!(add_days("2026-12-31", 1).as_deref(), Some("2027-01-01"));
        assert!(parse_date("2026-02-30").is_none());
        assert!(parse_date("26-02-01").is_none());
        assert!(parse_date("tomorrow").is_none());
        assert!(parse_date("2026-13-01").is_none() && parse_date("2026-1-011").is_none() && parse_date("+026-01-01").is_none());
        assert_eq!(parse_date(" 2024-02-29 ").map(format_date).as_deref(), Some("2024-02-29"));
        assert_eq!(parse_time("09:30"), Some((9, 30)));
        assert_eq!(parse_time("24:00"), None);
        assert_eq!(parse_time("9:30"), None);
    }

    #[test]
    fn environment_kind_is_inferred() {
        assert_eq!(EnvKind::infer("Production"), EnvKind::Production);
        assert_eq!(EnvKind::infer("dev"), EnvKind::Dev);
        assert_eq!(EnvKind::infer("uat"), EnvKind::Staging);
    }

    #[test]
    fn item_change_json_shape() {
        let c: ItemChange = serde_json::from_str(r#"{"kind":"set_state","state":"not_applicable","reason":"no e-mail"}"#).unwrap();
        assert_eq!(c, ItemChange::SetState { state: ItemState::NotApplicable, reason: "no e-mail".into() });
    }
}
