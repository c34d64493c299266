//! The `date_time` collector: the `date_time` mapping, from `date` on the host (local time),
//! with the UTC forms computed from the epoch.

use minijinja::Value;

use super::Facts;
use super::sections::{Sections, Snippet};

const DATE: Snippet = Snippet {
    name: "date",
    script: r#"ph_s date
ph_fmt='+%Y|%m|%A|%w|%W|%d|%H|%M|%S|%s|%Z|%z|%N'
date -f - "$ph_fmt" 2>/dev/null <<'PH_DATE' || { date "$ph_fmt"; date -d @1735689600 "$ph_fmt"; date -d @1751328000 "$ph_fmt"; } 2>/dev/null
now
@1735689600
@1751328000
PH_DATE
"#,
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&DATE];

/// The facts this collector sets.
pub const FACTS: &[&str] = &["date_time"];

/// Parses the `date` section into `facts`.
pub fn parse(sections: &Sections, facts: &mut Facts) {
    if let Some(date_time) = date_time(sections.get("date")) {
        facts.insert("date_time".into(), Value::from_pairs(date_time));
    }
}

/// `date_time` from `date` on the host (local time), with the UTC forms computed from the epoch.
fn date_time(text: &str) -> Option<Vec<(&'static str, String)>> {
    let mut lines = text.lines();
    let f: Vec<&str> = lines.next()?.split('|').collect();
    if f.len() < 13 {
        return None;
    }
    let epoch: u64 = f[9].parse().ok()?;
    let micros = f[12]
        .get(..6)
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("000000")
        .to_string();
    fn tz_of(line: &str) -> Option<(&str, &str)> {
        let f: Vec<&str> = line.split('|').collect();
        Some((f.get(10).copied()?, f.get(11).copied()?))
    }
    let tz_dst = {
        let winter = lines.next().and_then(tz_of);
        let summer = lines.next().and_then(tz_of);
        match (winter, summer) {
            (Some((wn, wo)), Some((sn, so))) => {
                let offset = |o: &str| o.parse::<i64>().unwrap_or(0);
                if offset(so) >= offset(wo) {
                    sn.to_string()
                } else {
                    wn.to_string()
                }
            }
            _ => f[10].to_string(),
        }
    };
    let (utc_date, utc_time) = utc_date_time(epoch);
    let (y, mo, wd, wdn, wn, d, h, mi, sec) = (f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]);
    Some(vec![
        ("year", y.to_string()),
        ("month", mo.to_string()),
        ("weekday", wd.to_string()),
        ("weekday_number", wdn.to_string()),
        ("weeknumber", wn.to_string()),
        ("day", d.to_string()),
        ("hour", h.to_string()),
        ("minute", mi.to_string()),
        ("second", sec.to_string()),
        ("epoch", epoch.to_string()),
        ("epoch_int", epoch.to_string()),
        ("date", format!("{y}-{mo}-{d}")),
        ("time", format!("{h}:{mi}:{sec}")),
        ("iso8601_micro", format!("{utc_date}T{utc_time}.{micros}Z")),
        ("iso8601", format!("{utc_date}T{utc_time}Z")),
        ("iso8601_basic", format!("{y}{mo}{d}T{h}{mi}{sec}{micros}")),
        ("iso8601_basic_short", format!("{y}{mo}{d}T{h}{mi}{sec}")),
        ("tz", f[10].to_string()),
        ("tz_dst", tz_dst),
        ("tz_offset", f[11].to_string()),
    ])
}

/// `YYYY-MM-DD` and `HH:MM:SS` in UTC of a Unix time.
fn utc_date_time(epoch: u64) -> (String, String) {
    let secs = i64::try_from(epoch).unwrap_or(i64::MAX);
    let (y, m, d) = crate::calendar::civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    (
        format!("{y:04}-{m:02}-{d:02}"),
        format!("{:02}:{:02}:{:02}", sod / 3600, (sod % 3600) / 60, sod % 60),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    #[test]
    fn date_time_from_date_output() {
        let text = "2026|11|Sunday|0|46|22|02|44|29|1795315469|UTC|+0000|165533123\n\
                    2025|01|Wednesday|3|00|01|00|00|00|1735689600|UTC|+0000|000000000\n\
                    2025|07|Tuesday|2|26|01|00|00|00|1751328000|UTC|+0000|000000000\n";
        let d: IndexMap<_, _> = date_time(text).expect("parses").into_iter().collect();
        assert_eq!(d["iso8601"], "2026-11-22T02:44:29Z");
        assert_eq!(d["iso8601_micro"], "2026-11-22T02:44:29.165533Z");
        assert_eq!(d["iso8601_basic"], "20261122T024429165533");
        assert_eq!(d["date"], "2026-11-22");
        assert_eq!(d["tz_dst"], "UTC");
        let berlin =
            "2026|07|Monday|1|27|06|12|00|00|1783332000|CEST|+0200|000000000\nCET|+0100\nCEST|+0200\n";
        let d: IndexMap<_, _> = date_time(berlin).expect("parses").into_iter().collect();
        assert_eq!(d["tz_dst"], "CEST");
        assert_eq!(d["iso8601"], "2026-07-06T10:00:00Z");
    }
}
