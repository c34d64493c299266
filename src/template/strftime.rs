//! C-locale `strftime` and Python's `strptime` for [`super::datetime::DateTime`], and the
//! controller's local time (`/etc/localtime`, a TZif file) that `now()` and the `strftime`
//! filter use as Python's `datetime.now()` / `time.localtime()` do on the controller.

use std::time::{SystemTime, UNIX_EPOCH};

use super::datetime::DateTime;

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The zone of a time struct (`time.localtime`/`gmtime`): its abbreviation and UTC offset in
/// seconds. A naive datetime has none (`%Z`, `%z` print nothing).
pub struct Zone {
    pub name: String,
    pub offset: i64,
}

/// `strftime(fmt)` of `dt` in the C locale.
pub fn format(fmt: &str, dt: &DateTime, zone: Option<&Zone>) -> String {
    let f = dt.fields();
    let mut out = String::new();
    let mut chars = fmt.chars();
    let hour12 = if f.hour % 12 == 0 { 12 } else { f.hour % 12 };
    // Sunday-based and Monday-based week numbers (%U, %W).
    let sunday_wday = (f.weekday + 1) % 7;
    let week_u = (f.yday + 6 - sunday_wday) / 7;
    let week_w = (f.yday + 6 - f.weekday) / 7;
    let (iso_year, iso_week) = iso_week(dt);
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(d) = chars.next() else {
            out.push('%');
            break;
        };
        let piece = match d {
            'a' => DAYS[f.weekday as usize][..3].to_string(),
            'A' => DAYS[f.weekday as usize].to_string(),
            'b' | 'h' => MONTHS[f.month as usize - 1][..3].to_string(),
            'B' => MONTHS[f.month as usize - 1].to_string(),
            'c' => format("%a %b %e %H:%M:%S %Y", dt, zone),
            'C' => format!("{:02}", f.year / 100),
            'd' => format!("{:02}", f.day),
            'D' | 'x' => format("%m/%d/%y", dt, zone),
            'e' => format!("{:2}", f.day),
            'f' => format!("{:06}", f.microsecond),
            'F' => format!("{:04}-{:02}-{:02}", f.year, f.month, f.day),
            'g' => format!("{:02}", iso_year.rem_euclid(100)),
            'G' => iso_year.to_string(),
            'H' => format!("{:02}", f.hour),
            'I' => format!("{hour12:02}"),
            'j' => format!("{:03}", f.yday),
            'k' => format!("{:2}", f.hour),
            'l' => format!("{hour12:2}"),
            'm' => format!("{:02}", f.month),
            'M' => format!("{:02}", f.minute),
            'n' => "\n".to_string(),
            'p' => (if f.hour < 12 { "AM" } else { "PM" }).to_string(),
            'P' => (if f.hour < 12 { "am" } else { "pm" }).to_string(),
            'r' => format("%I:%M:%S %p", dt, zone),
            'R' => format("%H:%M", dt, zone),
            's' => {
                let offset = zone.map_or_else(|| local_offset(dt.micros.div_euclid(1_000_000)), |z| z.offset);
                (dt.micros.div_euclid(1_000_000) - offset).to_string()
            }
            'S' => format!("{:02}", f.second),
            't' => "\t".to_string(),
            'T' | 'X' => format("%H:%M:%S", dt, zone),
            'u' => (f.weekday + 1).to_string(),
            'U' => format!("{week_u:02}"),
            'V' => format!("{iso_week:02}"),
            'w' => sunday_wday.to_string(),
            'W' => format!("{week_w:02}"),
            'y' => format!("{:02}", f.year.rem_euclid(100)),
            'Y' => f.year.to_string(),
            'z' => zone.map_or_else(String::new, |z| {
                let sign = if z.offset < 0 { '-' } else { '+' };
                let a = z.offset.abs();
                format!("{sign}{:02}{:02}", a / 3600, (a % 3600) / 60)
            }),
            'Z' => zone.map_or_else(String::new, |z| z.name.clone()),
            '%' => "%".to_string(),
            other => format!("%{other}"),
        };
        out.push_str(&piece);
    }
    out
}

/// ISO 8601 year and week of `dt`.
fn iso_week(dt: &DateTime) -> (i64, u32) {
    let f = dt.fields();
    let thursday = DateTime {
        micros: dt.micros + (3 - i64::from(f.weekday)) * 86_400_000_000,
    };
    let t = thursday.fields();
    (t.year, (t.yday - 1) / 7 + 1)
}

/// Python's `datetime.strptime(text, fmt)` for the directives the C locale reads.
pub fn parse(text: &str, fmt: &str) -> Result<DateTime, String> {
    let mismatch = || {
        format!(
            "time data {} does not match format {}",
            py_quote(text),
            py_quote(fmt)
        )
    };
    let (mut year, mut month, mut day, mut hour, mut minute, mut second, mut micro) =
        (1900i64, 1u32, 1u32, 0u32, 0u32, 0u32, 0u32);
    let mut pm: Option<bool> = None;
    let mut yday: Option<u32> = None;
    let mut rest = text;
    let mut spec = fmt.chars();
    while let Some(c) = spec.next() {
        if c != '%' {
            if c.is_whitespace() {
                rest = rest.trim_start();
                continue;
            }
            rest = rest.strip_prefix(c).ok_or_else(mismatch)?;
            continue;
        }
        let d = spec.next().ok_or_else(mismatch)?;
        let num = |rest: &mut &str, max_len: usize| take_number(rest, max_len).ok_or_else(mismatch);
        match d {
            'Y' => year = i64::from(num(&mut rest, 4)?),
            'y' => {
                let y = num(&mut rest, 2)?;
                year = i64::from(if y < 69 { 2000 + y } else { 1900 + y });
            }
            'm' => month = num(&mut rest, 2)?,
            'd' => day = num(&mut rest, 2)?,
            'H' => hour = num(&mut rest, 2)?,
            'I' => hour = num(&mut rest, 2)?,
            'M' => minute = num(&mut rest, 2)?,
            'S' => second = num(&mut rest, 2)?,
            'j' => yday = Some(num(&mut rest, 3)?),
            'f' => {
                let len = rest.bytes().take(6).take_while(u8::is_ascii_digit).count();
                let digits = num(&mut rest, 6)?;
                micro = digits * 10u32.pow(6 - len as u32);
            }
            'p' => {
                let lower = rest.get(..2).map(str::to_ascii_lowercase);
                pm = Some(match lower.as_deref() {
                    Some("am") => false,
                    Some("pm") => true,
                    _ => return Err(mismatch()),
                });
                rest = &rest[2..];
            }
            'b' | 'B' | 'h' => {
                let found = MONTHS.iter().enumerate().find_map(|(i, name)| {
                    let full = rest
                        .get(..name.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(name));
                    let short = rest.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(&name[..3]));
                    match (full, short) {
                        (true, _) => Some((i, name.len())),
                        (false, true) => Some((i, 3)),
                        _ => None,
                    }
                });
                let (i, len) = found.ok_or_else(mismatch)?;
                month = i as u32 + 1;
                rest = &rest[len..];
            }
            'a' | 'A' => {
                let len = DAYS
                    .iter()
                    .find_map(|name| {
                        if rest
                            .get(..name.len())
                            .is_some_and(|p| p.eq_ignore_ascii_case(name))
                        {
                            Some(name.len())
                        } else if rest.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(&name[..3])) {
                            Some(3)
                        } else {
                            None
                        }
                    })
                    .ok_or_else(mismatch)?;
                rest = &rest[len..];
            }
            '%' => rest = rest.strip_prefix('%').ok_or_else(mismatch)?,
            other => {
                return Err(format!(
                    "'{other}' is a bad directive in format {}",
                    py_quote(fmt)
                ));
            }
        }
    }
    if !rest.is_empty() {
        return Err(format!("unconverted data remains: {rest}"));
    }
    if let Some(pm) = pm {
        hour = match (hour, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    let valid_day = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
    if !valid_day || hour > 23 || minute > 59 || second > 61 {
        return Err(if !(1..=12).contains(&month) {
            mismatch()
        } else {
            "day is out of range for month".into()
        });
    }
    let mut dt = DateTime::from_fields(year, month, day, hour, minute, second.min(59), micro);
    if let Some(yday) = yday {
        let jan1 = DateTime::from_fields(year, 1, 1, hour, minute, second.min(59), micro);
        dt = DateTime {
            micros: jan1.micros + (i64::from(yday) - 1) * 86_400_000_000,
        };
    }
    Ok(dt)
}

/// The number of at most `max_len` digits at the start of `rest`, taken off it.
fn take_number(rest: &mut &str, max_len: usize) -> Option<u32> {
    let len = rest.bytes().take(max_len).take_while(u8::is_ascii_digit).count();
    if len == 0 {
        return None;
    }
    let (n, tail) = rest.split_at(len);
    *rest = tail;
    n.parse::<u32>().ok()
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn py_quote(s: &str) -> String {
    crate::template::python_repr(&minijinja::Value::from(s))
}

/// The controller's wall clock now, local (`utc` false) or UTC, as a naive datetime.
pub fn now(utc: bool) -> DateTime {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let offset = if utc { 0 } else { local_zone(secs).offset };
    DateTime {
        micros: (secs + offset) * 1_000_000 + i64::from(d.subsec_micros()),
    }
}

/// The time struct of epoch second `secs` (`time.localtime` / `time.gmtime`), as a datetime
/// and its zone.
pub fn time_struct(secs: i64, utc: bool) -> (DateTime, Zone) {
    let zone = if utc {
        Zone {
            name: "GMT".into(),
            offset: 0,
        }
    } else {
        local_zone(secs)
    };
    let dt = DateTime {
        micros: (secs + zone.offset) * 1_000_000,
    };
    (dt, zone)
}

/// The UTC offset of the local wall-clock second `wall` (for `%s` of a naive datetime).
fn local_offset(wall: i64) -> i64 {
    local_zone(wall).offset
}

/// The controller's zone at epoch second `secs`, from `/etc/localtime`; UTC when it cannot be
/// read.
pub fn local_zone(secs: i64) -> Zone {
    std::fs::read("/etc/localtime")
        .ok()
        .and_then(|data| tzif_zone(&data, secs))
        .unwrap_or(Zone {
            name: "UTC".into(),
            offset: 0,
        })
}

/// The zone a TZif file gives at `secs` (version 2+ 64-bit data when present).
fn tzif_zone(data: &[u8], secs: i64) -> Option<Zone> {
    let header = |at: usize| -> Option<[usize; 6]> {
        if data.get(at..at + 4)? != b"TZif" {
            return None;
        }
        let mut counts = [0usize; 6];
        for (i, c) in counts.iter_mut().enumerate() {
            let b = data.get(at + 20 + i * 4..at + 24 + i * 4)?;
            *c = u32::from_be_bytes(b.try_into().ok()?) as usize;
        }
        Some(counts)
    };
    let [isut, isstd, leap, time, typ, chars] = header(0)?;
    let v1_len = 44 + time * 5 + typ * 6 + chars + leap * 8 + isstd + isut;
    let (base, tsize, counts) = if data.get(4).copied().unwrap_or(0) >= b'2' {
        (v1_len + 44, 8usize, header(v1_len)?)
    } else {
        (44, 4usize, [isut, isstd, leap, time, typ, chars])
    };
    let [_, _, _, time, typ, _] = counts;
    let times_at = base;
    let idx_at = times_at + time * tsize;
    let types_at = idx_at + time;
    let chars_at = types_at + typ * 6;
    let read_time = |i: usize| -> Option<i64> {
        let b = data.get(times_at + i * tsize..times_at + (i + 1) * tsize)?;
        Some(if tsize == 8 {
            i64::from_be_bytes(b.try_into().ok()?)
        } else {
            i64::from(i32::from_be_bytes(b.try_into().ok()?))
        })
    };
    let mut type_index = 0usize;
    for i in 0..time {
        if read_time(i)? <= secs {
            type_index = *data.get(idx_at + i)? as usize;
        } else {
            break;
        }
    }
    let t = data.get(types_at + type_index * 6..types_at + type_index * 6 + 6)?;
    let offset = i64::from(i32::from_be_bytes(t[..4].try_into().ok()?));
    let name_at = chars_at + t[5] as usize;
    let name_bytes = data.get(name_at..)?;
    let end = name_bytes.iter().position(|b| *b == 0)?;
    Some(Zone {
        name: String::from_utf8_lossy(&name_bytes[..end]).into_owned(),
        offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_as_python() {
        let dt = DateTime::from_fields(2024, 1, 2, 15, 4, 5, 0);
        assert_eq!(
            format(
                "%a %A %b %B %d %e %H %I %j %m %M %p %S %y %Y %U %W %u %w %G %V %F %T %%",
                &dt,
                None
            ),
            "Tue Tuesday Jan January 02  2 15 03 002 01 04 PM 05 24 2024 00 01 2 2 2024 01 2024-01-02 15:04:05 %"
        );
        assert_eq!(format("%c", &dt, None), "Tue Jan  2 15:04:05 2024");
        assert_eq!(format("[%z][%Z]", &dt, None), "[][]");
        let parsed = parse("2024-01-02 15:04:05", "%Y-%m-%d %H:%M:%S").expect("parses");
        assert_eq!(parsed, dt);
        assert_eq!(
            parse("2024-01-02", "%Y-%m-%d %H:%M:%S").expect_err("short"),
            "time data '2024-01-02' does not match format '%Y-%m-%d %H:%M:%S'"
        );
        assert_eq!(
            parse("2024-01-02 1", "%Y-%m-%d").expect_err("long"),
            "unconverted data remains:  1"
        );
        let p = parse("05/Mar/2023:10:11:12.5 pm", "%d/%b/%Y:%I:%M:%S.%f %p").expect("parses");
        assert_eq!(p.isoformat(" "), "2023-03-05 22:11:12.500000");
    }
}
