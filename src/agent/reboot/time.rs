//! Times and durations as reboot requests and the agent's config write them.
//!
//! A time is `YYYY-MM-DD HH:MM[:SS]` (or with a `T`), in UTC unless it ends with `Z`, `UTC` or an
//! offset such as `+01:00`; a duration is a number with a unit (`90s`, `15min`, `1h`, `2d`), a
//! bare number being seconds. Everything inside is Unix seconds.

use crate::calendar::{civil_from_days, days_from_civil};

/// Unix seconds of a time as written in `playhook.yaml` (see the module docs).
pub fn parse_time(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "`{text}` is not a time: write `YYYY-MM-DD HH:MM` (UTC), optionally with seconds and \
             an offset such as `+01:00`"
        )
    };
    let (date, rest) = t.split_at_checked(10).ok_or_else(bad)?;
    let rest = rest.strip_prefix([' ', 'T']).ok_or_else(bad)?;
    let mut ymd = date.split('-');
    let (Some(y), Some(m), Some(d), None) = (ymd.next(), ymd.next(), ymd.next(), ymd.next()) else {
        return Err(bad());
    };
    let (y, m, d) = (
        number(y, 4).ok_or_else(bad)?,
        number(m, 2).ok_or_else(bad)?,
        number(d, 2).ok_or_else(bad)?,
    );
    // The clock: HH:MM or HH:MM:SS, then the zone.
    let clock_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':'))
        .unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(clock_len);
    let parts: Vec<&str> = clock.split(':').collect();
    let (h, min, s) = match parts.as_slice() {
        [h, m] => (number(h, 2), number(m, 2), Some(0)),
        [h, m, s] => (number(h, 2), number(m, 2), number(s, 2)),
        _ => return Err(bad()),
    };
    let (h, min, s) = (h.ok_or_else(bad)?, min.ok_or_else(bad)?, s.ok_or_else(bad)?);
    let valid_day = (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m);
    if !valid_day || h > 23 || min > 59 || s > 59 {
        return Err(format!("`{text}`: no such date or time of day"));
    }
    let offset = parse_offset(zone).ok_or_else(bad)?;
    let days = days_from_civil(i64::from(y), m, d);
    Ok(days * 86_400 + i64::from(h * 3600 + min * 60 + s) - offset)
}

/// Seconds east of UTC of a zone suffix: empty, `Z` or `UTC` (0), `+01:00`, `-0500`.
pub fn parse_offset(zone: &str) -> Option<i64> {
    let zone = zone.trim();
    if zone.is_empty() || zone == "Z" || zone.eq_ignore_ascii_case("UTC") {
        return Some(0);
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !zone[1..].chars().all(|c| c.is_ascii_digit() || c == ':') {
        return None;
    }
    let h = number(&digits[..2], 2)?;
    let m = number(&digits[2..], 2)?;
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * i64::from(h * 3600 + m * 60))
}

/// Seconds of a duration (see the module docs).
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let bad = || format!("`{text}` is not a duration: write e.g. `90s`, `15min`, `1h` or `2d`");
    let n: i64 = n.parse().map_err(|_| bad())?;
    let unit_secs = match unit.trim() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 7 * 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(unit_secs).ok_or_else(bad)
}

/// A time as systemd's calendar specs and our messages write it: `2026-12-05 03:00:00 UTC`.
pub fn format_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let sod = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

/// A duration for messages: `45s`, `12min`, `3h 5min`, `2d 4h`.
pub fn format_duration(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}min", secs / 60),
        3600..86_400 if secs % 3600 >= 60 => format!("{}h {}min", secs / 3600, (secs % 3600) / 60),
        3600..86_400 => format!("{}h", secs / 3600),
        _ if secs % 86_400 >= 3600 => format!("{}d {}h", secs / 86_400, (secs % 86_400) / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// A run of exactly `len` ASCII digits.
fn number(s: &str, len: usize) -> Option<u32> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_utc_unless_an_offset_says_otherwise() {
        let t = 1_796_439_600; // 2026-12-05 03:00:00 UTC
        assert_eq!(parse_time("2026-12-05 03:00"), Ok(t));
        assert_eq!(parse_time("2026-12-05 03:00:00"), Ok(t));
        assert_eq!(parse_time("2026-12-05T03:00:00Z"), Ok(t));
        assert_eq!(parse_time("2026-12-05 03:00 UTC"), Ok(t));
        assert_eq!(parse_time("2026-12-05 04:00+01:00"), Ok(t));
        assert_eq!(parse_time("2026-12-04 22:00:00-0500"), Ok(t));
        assert_eq!(format_utc(t), "2026-12-05 03:00:00 UTC");
        assert_eq!(parse_time(&format_utc(t)), Ok(t));
    }

    #[test]
    fn bad_times_are_refused_with_the_expected_form() {
        for bad in [
            "2026-12-05",
            "tomorrow",
            "2026-13-01 00:00",
            "2026-02-30 00:00",
            "2026-12-05 24:00",
            "2026-12-05 03:00 CET",
            "2026-1-05 03:00",
        ] {
            let err = parse_time(bad).expect_err(bad);
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(90));
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("15min"), Ok(900));
        assert_eq!(parse_duration("1h"), Ok(3600));
        assert_eq!(parse_duration("2 days"), Ok(172_800));
        assert!(parse_duration("1y").is_err());
        assert!(parse_duration("h").is_err());
        assert_eq!(format_duration(45), "45s");
        assert_eq!(format_duration(3 * 3600 + 300), "3h 5min");
        assert_eq!(format_duration(2 * 86_400), "2d");
    }
}
