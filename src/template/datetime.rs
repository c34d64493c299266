//! Python's `datetime.datetime` and `datetime.timedelta` as template values, for `now()`,
//! `to_datetime` and their subtraction (`(a | to_datetime) - (b | to_datetime)` gives a
//! timedelta with `.days`, `.seconds`, `.microseconds` and `.total_seconds()`). Datetimes are
//! naive, as Python's: a wall-clock time in microseconds since 1970-01-01 00:00:00 of that
//! wall clock. `strftime`/`strptime` for the C locale are in [`super::strftime`].

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use minijinja::value::{DynObject, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, State, Value};

use crate::calendar::{civil_from_days, days_from_civil};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A naive `datetime.datetime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime {
    /// Wall-clock microseconds since 1970-01-01 00:00:00.
    pub micros: i64,
}

/// The broken-down fields of a [`DateTime`].
pub struct Fields {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub microsecond: u32,
    /// Monday is 0, as Python's `weekday()`.
    pub weekday: u32,
    /// Day of the year, 1-based.
    pub yday: u32,
}

impl DateTime {
    /// The datetime of these fields (validated by the caller).
    pub fn from_fields(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, us: u32) -> DateTime {
        let days = days_from_civil(y, mo, d);
        let secs = i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
        DateTime {
            micros: days * MICROS_PER_DAY + secs * 1_000_000 + i64::from(us),
        }
    }

    pub fn fields(&self) -> Fields {
        let days = self.micros.div_euclid(MICROS_PER_DAY);
        let rest = self.micros.rem_euclid(MICROS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let secs = rest / 1_000_000;
        Fields {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            minute: ((secs % 3600) / 60) as u32,
            second: (secs % 60) as u32,
            microsecond: (rest % 1_000_000) as u32,
            // 1970-01-01 was a Thursday (3).
            weekday: (days + 3).rem_euclid(7) as u32,
            yday: (days - days_from_civil(year, 1, 1) + 1) as u32,
        }
    }

    /// Python's `isoformat()` (`sep` between date and time).
    pub fn isoformat(&self, sep: &str) -> String {
        let f = self.fields();
        let mut out = format!(
            "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}",
            f.year, f.month, f.day, f.hour, f.minute, f.second
        );
        if f.microsecond != 0 {
            out.push_str(&format!(".{:06}", f.microsecond));
        }
        out
    }
}

impl Object for DateTime {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let f = self.fields();
        Some(match key.as_str()? {
            "year" => Value::from(f.year),
            "month" => Value::from(f.month),
            "day" => Value::from(f.day),
            "hour" => Value::from(f.hour),
            "minute" => Value::from(f.minute),
            "second" => Value::from(f.second),
            "microsecond" => Value::from(f.microsecond),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match (method, args) {
            ("strftime", [fmt]) => {
                let fmt = fmt
                    .as_str()
                    .ok_or_else(|| bad("strftime() argument 1 must be str"))?;
                Ok(Value::from(super::strftime::format(fmt, self, None)))
            }
            ("isoformat", []) => Ok(Value::from(self.isoformat("T"))),
            ("isoformat", [sep]) => Ok(Value::from(self.isoformat(sep.as_str().unwrap_or("T")))),
            ("weekday", []) => Ok(Value::from(self.fields().weekday)),
            ("isoweekday", []) => Ok(Value::from(self.fields().weekday + 1)),
            ("date", []) => {
                let f = self.fields();
                Ok(Value::from(format!("{:04}-{:02}-{:02}", f.year, f.month, f.day)))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }

    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        Some(self.micros.cmp(&other.downcast_ref::<Self>()?.micros))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.isoformat(" "))
    }
}

/// A `datetime.timedelta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeDelta {
    pub micros: i64,
}

impl TimeDelta {
    fn parts(&self) -> (i64, i64, i64) {
        let days = self.micros.div_euclid(MICROS_PER_DAY);
        let rest = self.micros.rem_euclid(MICROS_PER_DAY);
        (days, rest / 1_000_000, rest % 1_000_000)
    }
}

impl Object for TimeDelta {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let (days, seconds, micros) = self.parts();
        Some(match key.as_str()? {
            "days" => Value::from(days),
            "seconds" => Value::from(seconds),
            "microseconds" => Value::from(micros),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match (method, args) {
            ("total_seconds", []) => Ok(Value::from(self.micros as f64 / 1e6)),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }

    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        Some(self.micros.cmp(&other.downcast_ref::<Self>()?.micros))
    }

    /// Python's `str(timedelta)`: `[-]N day[s], H:MM:SS[.ffffff]`.
    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, secs, micros) = self.parts();
        if days != 0 {
            let plural = if days.abs() == 1 { "" } else { "s" };
            write!(f, "{days} day{plural}, ")?;
        }
        write!(f, "{}:{:02}:{:02}", secs / 3600, (secs % 3600) / 60, secs % 60)?;
        if micros != 0 {
            write!(f, ".{micros:06}")?;
        }
        Ok(())
    }
}

fn bad(msg: &str) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.to_string())
}

/// Python's `a - b` where either side may be a datetime or timedelta; anything else is
/// minijinja's own subtraction (numbers).
pub fn subtract(a: &Value, b: &Value) -> Result<Value, Error> {
    let dt = |v: &Value| v.downcast_object_ref::<DateTime>().copied();
    let td = |v: &Value| v.downcast_object_ref::<TimeDelta>().copied();
    match (dt(a), dt(b), td(a), td(b)) {
        (Some(x), Some(y), _, _) => Ok(Value::from_object(TimeDelta {
            micros: x.micros - y.micros,
        })),
        (Some(x), None, _, Some(d)) => Ok(Value::from_object(DateTime {
            micros: x.micros - d.micros,
        })),
        (None, None, Some(x), Some(y)) => Ok(Value::from_object(TimeDelta {
            micros: x.micros - y.micros,
        })),
        (None, None, None, None) => number_sub(a, b),
        _ => Err(bad(&format!(
            "unsupported operand type(s) for -: '{}' and '{}'",
            type_name(a),
            type_name(b)
        ))),
    }
}

fn type_name(v: &Value) -> &'static str {
    if v.downcast_object_ref::<DateTime>().is_some() {
        "datetime.datetime"
    } else if v.downcast_object_ref::<TimeDelta>().is_some() {
        "datetime.timedelta"
    } else {
        match v.kind() {
            minijinja::value::ValueKind::String => "str",
            minijinja::value::ValueKind::Number if v.is_integer() => "int",
            minijinja::value::ValueKind::Number => "float",
            _ => "object",
        }
    }
}

/// Subtraction of two numbers as Jinja does it.
fn number_sub(a: &Value, b: &Value) -> Result<Value, Error> {
    if let (Ok(x), Ok(y)) = (i64::try_from(a.clone()), i64::try_from(b.clone())) {
        if a.is_integer() && b.is_integer() {
            return x
                .checked_sub(y)
                .map(Value::from)
                .ok_or_else(|| bad("integer overflow"));
        }
    }
    match (f64::try_from(a.clone()), f64::try_from(b.clone())) {
        (Ok(x), Ok(y)) => Ok(Value::from(x - y)),
        _ => Err(bad(&format!(
            "unsupported operand type(s) for -: '{}' and '{}'",
            type_name(a),
            type_name(b)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_text_are_pythons() {
        let d = DateTime::from_fields(2024, 2, 29, 13, 5, 9, 120);
        let f = d.fields();
        assert_eq!(
            (f.year, f.month, f.day, f.hour, f.minute, f.second),
            (2024, 2, 29, 13, 5, 9)
        );
        assert_eq!((f.weekday, f.yday), (3, 60));
        assert_eq!(Value::from_object(d).to_string(), "2024-02-29 13:05:09.000120");
        let later = DateTime::from_fields(2024, 3, 2, 12, 0, 0, 0);
        let delta = subtract(&Value::from_object(later), &Value::from_object(d)).expect("sub");
        assert_eq!(delta.to_string(), "1 day, 22:54:50.999880");
        let back = subtract(&Value::from_object(d), &Value::from_object(later)).expect("sub");
        assert_eq!(back.to_string(), "-2 days, 1:05:09.000120");
        assert_eq!(back.get_attr("days").expect("days"), Value::from(-2));
        assert_eq!(
            subtract(&Value::from(5), &Value::from(7)).expect("ints"),
            Value::from(-2)
        );
    }
}
