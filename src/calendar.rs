//! Calendar arithmetic shared by everything that prints dates (command results, deploy records).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Year, month, day of a count of days since 1970-01-01 (proleptic Gregorian calendar).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a year, month, day (the inverse of [`civil_from_days`]).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A wall-clock instant formatted like Python's `str(datetime)` (UTC).
pub fn python_datetime(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, dd) = civil_from_days(days);
    let base = format!(
        "{y:04}-{m:02}-{dd:02} {:02}:{:02}:{:02}",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    );
    let micros = d.subsec_micros();
    if micros == 0 {
        base
    } else {
        format!("{base}.{micros:06}")
    }
}

/// A duration formatted like Python's `str(timedelta)`.
pub fn python_timedelta(d: Duration) -> String {
    let secs = d.as_secs();
    let days = secs / 86_400;
    let sod = secs % 86_400;
    let mut out = String::new();
    if days > 0 {
        out.push_str(&format!("{days} day{}, ", if days == 1 { "" } else { "s" }));
    }
    out.push_str(&format!(
        "{}:{:02}:{:02}",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    ));
    let micros = d.subsec_micros();
    if micros != 0 {
        out.push_str(&format!(".{micros:06}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_time_formats() {
        let t = UNIX_EPOCH + Duration::from_micros(1_795_315_469_165_533);
        assert_eq!(python_datetime(t), "2026-11-22 02:44:29.165533");
        assert_eq!(python_datetime(UNIX_EPOCH), "1970-01-01 00:00:00");
        assert_eq!(python_timedelta(Duration::from_micros(4153)), "0:00:00.004153");
        assert_eq!(python_timedelta(Duration::from_secs(90_061)), "1 day, 1:01:01");
    }
}
