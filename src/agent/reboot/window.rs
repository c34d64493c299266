//! The maintenance window: the hours (and days) inside which the agent may reboot on its own
//! account (`/run/reboot-required`) or for an `after:` request.
//!
//! Written `02:00-04:00` (UTC) or `02:00-04:00 +01:00`; a window may cross midnight
//! (`23:00-01:00`), and then belongs to the day it opens on. `days` (`mon` ... `sun`) restricts
//! the days it opens on; without it, every day.

use super::time::parse_offset;

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A daily maintenance window; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Minutes after midnight (in `offset`'s time) it opens and closes.
    start: i64,
    end: i64,
    /// Seconds east of UTC the hours are written in.
    offset: i64,
    /// Days it opens on, Monday first.
    days: [bool; 7],
}

impl Window {
    /// Parses `HH:MM-HH:MM [offset]` and day names; the message says what is wrong.
    pub fn parse(hours: &str, days: &[String]) -> Result<Window, String> {
        let bad = || {
            format!(
                "window `{hours}`: write `HH:MM-HH:MM` (UTC), optionally followed by an offset such as `+01:00`"
            )
        };
        let (span, zone) = hours.trim().split_once(' ').unwrap_or((hours.trim(), ""));
        let (a, b) = span.split_once('-').ok_or_else(bad)?;
        let start = minutes(a).ok_or_else(bad)?;
        let end = minutes(b).ok_or_else(bad)?;
        if start == end {
            return Err(format!("window `{hours}` opens and closes at the same minute"));
        }
        let offset = parse_offset(zone).ok_or_else(bad)?;
        let mut allowed = [days.is_empty(); 7];
        for day in days {
            let i = DAY_NAMES
                .iter()
                .position(|d| day.trim().to_ascii_lowercase().starts_with(d))
                .ok_or_else(|| format!("window day `{day}`: write mon, tue, wed, thu, fri, sat or sun"))?;
            allowed[i] = true;
        }
        Ok(Window {
            start,
            end,
            offset,
            days: allowed,
        })
    }

    /// Whether `t` (Unix seconds) is inside the window.
    pub fn contains(&self, t: i64) -> bool {
        let local = t + self.offset;
        let day = local.div_euclid(86_400);
        let minute = local.rem_euclid(86_400) / 60;
        if self.start < self.end {
            self.opens_on(day) && (self.start..self.end).contains(&minute)
        } else {
            (minute >= self.start && self.opens_on(day)) || (minute < self.end && self.opens_on(day - 1))
        }
    }

    /// `t` itself when inside the window, else the next moment it opens (None: no day allowed).
    pub fn next_open(&self, t: i64) -> Option<i64> {
        if self.contains(t) {
            return Some(t);
        }
        let today = (t + self.offset).div_euclid(86_400);
        (today..today + 8)
            .filter(|&day| self.opens_on(day))
            .map(|day| day * 86_400 + self.start * 60 - self.offset)
            .find(|&open| open > t)
    }

    /// Whether the window opens on the day `day` (days since 1970-01-01, a Thursday).
    fn opens_on(&self, day: i64) -> bool {
        let monday_first = (day + 3).rem_euclid(7);
        self.days[monday_first as usize]
    }
}

/// Minutes after midnight of `HH:MM` (24:00 allowed, as an end).
fn minutes(s: &str) -> Option<i64> {
    let (h, m) = s.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m) || (h == 24 && m == 0)).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::reboot::time::parse_time;

    fn t(s: &str) -> i64 {
        parse_time(s).expect("a test time")
    }

    #[test]
    fn inside_and_outside_a_daily_window() {
        let w = Window::parse("02:00-04:00", &[]).expect("valid");
        assert!(w.contains(t("2026-12-05 02:00")));
        assert!(w.contains(t("2026-12-05 03:59:59")));
        assert!(!w.contains(t("2026-12-05 04:00")));
        assert!(!w.contains(t("2026-12-05 01:59:59")));
        assert_eq!(w.next_open(t("2026-12-05 03:00")), Some(t("2026-12-05 03:00")));
        assert_eq!(w.next_open(t("2026-12-05 05:00")), Some(t("2026-12-06 02:00")));
        assert_eq!(w.next_open(t("2026-12-05 01:00")), Some(t("2026-12-05 02:00")));
    }

    #[test]
    fn offsets_days_and_midnight() {
        // 2026-12-05 is a Saturday.
        let w = Window::parse("23:00-01:00 +01:00", &["sat".into()]).expect("valid");
        // Saturday 23:30 at +01:00 is 22:30 UTC.
        assert!(w.contains(t("2026-12-05 22:30")));
        // Sunday 00:30 at +01:00: still Saturday's window.
        assert!(w.contains(t("2026-12-05 23:30")));
        // Sunday 23:30 at +01:00: Sunday's window does not open.
        assert!(!w.contains(t("2026-12-06 22:30")));
        assert_eq!(w.next_open(t("2026-12-06 12:00")), Some(t("2026-12-12 22:00")));
        let never = Window::parse("02:00-04:00", &["mon".into()]).expect("valid");
        assert!(never.next_open(t("2026-12-05 12:00")).is_some());
    }

    #[test]
    fn bad_windows_say_what_to_write() {
        assert!(
            Window::parse("2-4", &[])
                .expect_err("bad")
                .contains("HH:MM-HH:MM")
        );
        assert!(Window::parse("02:00-02:00", &[]).is_err());
        assert!(
            Window::parse("02:00-04:00", &["someday".into()])
                .expect_err("bad")
                .contains("mon")
        );
    }
}
