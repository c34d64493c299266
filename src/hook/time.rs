//! Timestamps for records and log names: UTC, RFC 3339, from the system clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_unix_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// `2026-11-22T02:43:25.123Z` for a Unix time in milliseconds.
pub fn rfc3339_ms(unix_ms: i64) -> String {
    let secs = rfc3339(unix_ms.div_euclid(1000));
    format!("{}.{:03}Z", secs.trim_end_matches('Z'), unix_ms.rem_euclid(1000))
}

/// `2026-11-22T02:43:25Z` for a Unix time.
pub fn rfc3339(unix: i64) -> String {
    let (date, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (y, m, d) = crate::calendar::civil_from_days(date);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// `20261122T024325Z`, for file names that sort by time.
pub fn compact(unix: i64) -> String {
    rfc3339(unix).replace(['-', ':'], "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_315_405), "2026-11-22T02:43:25Z");
        assert_eq!(compact(1_795_315_405), "20261122T024325Z");
        assert_eq!(rfc3339_ms(1_795_315_405_007), "2026-11-22T02:43:25.007Z");
    }
}
