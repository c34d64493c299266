//! `pause`: waits `seconds` or `minutes` on the controller. playhook never reads a terminal, so
//! a `prompt` without a duration continues at once with empty `user_input`, as Ansible does when
//! its standard input is not interactive. Runs once per task, as Ansible's bypasses the host
//! loop. The result has Ansible's fields: `start`, `stop`, `delta`, `stdout`
//! (`Paused for 2.0 seconds`), `user_input`, `echo`, `rc`, `stderr`.

use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use crate::calendar::python_datetime;
use crate::modules::params::value_to_text;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `pause` module.
pub struct Pause;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    echo: Option<Value>,
    minutes: Option<Value>,
    seconds: Option<Value>,
    /// Shown by Ansible on a terminal; playhook has none (see the module docs).
    #[allow(dead_code)]
    prompt: Option<Value>,
}

#[async_trait]
impl TypedModule for Pause {
    type Params = Params;

    const SPEC: Spec = Spec::controller("pause");

    async fn run(&self, p: Params, _ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let echo = match &p.echo {
            None => true,
            Some(v) => crate::truthy::boolean(v).ok_or_else(|| {
                ModuleError::Params(format!("pause: argument 'echo': '{v}' is not a valid boolean"))
            })?,
        };
        let (seconds, unit) = match (&p.minutes, &p.seconds) {
            (Some(_), Some(_)) => {
                return Err(ModuleError::Params(
                    "parameters are mutually exclusive: minutes|seconds".into(),
                ));
            }
            (Some(m), None) => (Some(whole(m, "minutes")? * 60), "minutes"),
            (None, Some(s)) => (Some(whole(s, "seconds")?), "seconds"),
            (None, None) => (None, "minutes"),
        };
        let start_wall = SystemTime::now();
        let start = Instant::now();
        if let Some(seconds) = seconds {
            tokio::time::sleep(Duration::from_secs(seconds.max(1))).await;
        }
        let elapsed = start.elapsed().as_secs_f64();
        let shown = if unit == "minutes" {
            elapsed / 60.0
        } else {
            elapsed
        };
        Ok(Outcome::ok()
            .with("rc", 0)
            .with("stderr", "")
            .with("stdout", format!("Paused for {} {unit}", python_float_2(shown)))
            .with("start", python_datetime(start_wall))
            .with("stop", python_datetime(SystemTime::now()))
            .with("delta", elapsed as u64)
            .with("echo", echo)
            .with("user_input", ""))
    }
}

/// Python's `int()` of a number or a numeric string, not negative.
fn whole(v: &Value, name: &str) -> Result<u64, ModuleError> {
    let text = value_to_text(v);
    let n = text.trim().parse::<i64>().ok().or_else(|| {
        v.as_str()
            .is_none()
            .then(|| text.parse::<f64>().ok().map(|f| f as i64))
            .flatten()
    });
    match n {
        Some(n) => Ok(u64::try_from(n).unwrap_or(0)),
        None => Err(ModuleError::Params(format!(
            "pause: argument '{name}' is of type {} and we were unable to convert to int: '{text}'",
            crate::modules::params::python_type(v)
        ))),
    }
}

/// `round(x, 2)` printed as Python prints a float (`2.0`, `2.01`).
fn python_float_2(x: f64) -> String {
    let rounded = (x * 100.0).round() / 100.0;
    let text = format!("{rounded}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_print_as_python() {
        assert_eq!(whole(&Value::from(3), "seconds").ok(), Some(3));
        assert_eq!(whole(&Value::from("4"), "seconds").ok(), Some(4));
        assert_eq!(whole(&Value::from(2.7), "seconds").ok(), Some(2));
        assert!(whole(&Value::from("soon"), "seconds").is_err());
        assert_eq!(python_float_2(2.0), "2.0");
        assert_eq!(python_float_2(1.0049), "1.0");
        assert_eq!(python_float_2(0.0334), "0.03");
    }
}
