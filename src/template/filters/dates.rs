//! Dates: the `now(utc=False, fmt=None)` function, the `to_datetime(format)` and
//! `strftime(second=None, utc=False)` filters as ansible-core 2.19 defines them, and
//! `__pysub`, Python's subtraction for datetimes and timedeltas, which the engine rewrites
//! `a - b` into when either side mentions `to_datetime` or `now(` (see `check.rs`).

use minijinja::value::{Rest, ValueOrKwargs};
use minijinja::{Environment, Value};

use super::args::bind;
use super::{add, fail, text};
use crate::template::datetime::{self, DateTime};
use crate::template::strftime;

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_function("now", |args: Rest<ValueOrKwargs>| {
        let args = args.0.into_iter().map(ValueOrKwargs::into_value).collect();
        let a = bind("now", &["utc", "fmt"], args)?;
        let dt = strftime::now(a.flag("utc", false));
        match a.get("fmt").filter(|f| !f.is_none() && f.is_true()) {
            Some(fmt) => Ok(Value::from(strftime::format(&text(fmt), &dt, None))),
            None => Ok(Value::from_object(dt)),
        }
    });
    add(env, "to_datetime", |_, v, args| {
        let a = bind("to_datetime", &["format"], args)?;
        let format = a
            .get("format")
            .map_or_else(|| "%Y-%m-%d %H:%M:%S".to_string(), text);
        let input = v
            .as_str()
            .ok_or_else(|| fail(format!("strptime() argument 1 must be str, not {}", kind(&v))))?;
        strftime::parse(input, &format)
            .map(Value::from_object)
            .map_err(fail)
    });
    add(env, "strftime", |_, v, args| {
        let a = bind("strftime", &["second", "utc"], args)?;
        let secs = match a.get("second").filter(|s| !s.is_none()) {
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
            Some(s) => {
                epoch(s).ok_or_else(|| fail(format!("Invalid value for epoch value ({})", text(s))))?
            }
        };
        let (dt, zone) = strftime::time_struct(secs, a.flag("utc", false));
        Ok(Value::from(strftime::format(&text(&v), &dt, Some(&zone))))
    });
    env.add_filter("__pysub", |a: Value, b: Value| datetime::subtract(&a, &b));
}

/// `float(second)` truncated to whole seconds, as `time.localtime` takes it.
fn epoch(v: &Value) -> Option<i64> {
    if let Ok(f) = f64::try_from(v.clone()) {
        return Some(f.floor() as i64);
    }
    v.as_str()?.trim().parse::<f64>().ok().map(|f| f.floor() as i64)
}

fn kind(v: &Value) -> &'static str {
    if v.downcast_object_ref::<DateTime>().is_some() {
        "datetime.datetime"
    } else if v.is_integer() {
        "int"
    } else {
        "object"
    }
}
