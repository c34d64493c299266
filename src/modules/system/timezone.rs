//! `community.general.timezone` on systemd hosts: the time zone (`name`) and whether the RTC
//! keeps local time (`hwclock`), read from `timedatectl status` and set with `timedatectl
//! set-timezone` / `set-local-rtc`, with the collection's result: `changed`, the `diff`
//! (`before`/`after` of the keys asked for) and `msg` listing the commands run. Hosts without
//! a working `timedatectl` are refused (the collection edits /etc/timezone there).

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::quote::quote;
use crate::modules::params::map_value;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `timezone` module.
pub struct Timezone;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
pub enum Hwclock {
    #[serde(rename = "local")]
    Local,
    #[serde(rename = "UTC")]
    Utc,
}

impl Hwclock {
    fn as_str(self) -> &'static str {
        match self {
            Hwclock::Local => "local",
            Hwclock::Utc => "UTC",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "rtc")]
    hwclock: Option<Hwclock>,
    name: Option<String>,
}

/// What `timedatectl status` says: the zone and the RTC mode.
fn status_of(text: &str) -> (Option<String>, Option<&'static str>) {
    let mut zone = None;
    let mut rtc = None;
    for line in text.lines() {
        let l = line.trim_start();
        let value = |rest: &str| {
            rest.trim_start()
                .strip_prefix(':')
                .map(|v| v.split_whitespace().next().unwrap_or_default().to_string())
        };
        if zone.is_none() {
            if let Some(rest) = l.strip_prefix("Time zone").or_else(|| l.strip_prefix("Timezone")) {
                zone = value(rest);
            }
        }
        if rtc.is_none() {
            if let Some(rest) = l.strip_prefix("RTC in local TZ") {
                rtc = value(rest).map(|v| {
                    if crate::truthy::boolean(&Value::from(v.as_str())) == Some(true) {
                        "local"
                    } else {
                        "UTC"
                    }
                });
            }
        }
    }
    (zone, rtc)
}

#[async_trait]
impl TypedModule for Timezone {
    type Params = Params;

    const SPEC: Spec = Spec::host("timezone").collection(Collection::General);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if p.hwclock.is_none() && p.name.is_none() {
            return Err(ModuleError::Params(
                "timezone: one of the following is required: hwclock, name".into(),
            ));
        }
        let zone_check = match &p.name {
            Some(n) => format!(
                "[ -f {} ] || {{ echo tzmissing; exit 0; }}\n",
                quote(&format!("/usr/share/zoneinfo/{n}"))
            ),
            None => String::new(),
        };
        let script = format!(
            "t=$(command -v timedatectl) && s=$(timedatectl status 2>/dev/null) || {{ echo nosystemd; exit 0; }}\n\
             {zone_check}echo \"$t\"; printf '%s\\n' \"$s\""
        );
        let out = ctx.run(script).await?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (first, status) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        match first {
            "nosystemd" => {
                return Err(ModuleError::failed(format!(
                    "timezone on {}: no working timedatectl; playhook sets the time zone on systemd hosts only",
                    ctx.host
                )));
            }
            "tzmissing" => {
                return Err(ModuleError::failed(format!(
                    "Error message:\ngiven timezone \"{}\" is not available",
                    p.name.as_deref().unwrap_or_default()
                )));
            }
            _ => {}
        }
        let timedatectl = first.to_string();
        let (zone, rtc) = status_of(status);
        let before_zone = zone.unwrap_or_default();
        let before_rtc = rtc.unwrap_or("UTC");
        let mut commands: Vec<Vec<String>> = Vec::new();
        if let Some(h) = p.hwclock {
            if h.as_str() != before_rtc {
                let v = if h == Hwclock::Local { "yes" } else { "no" };
                commands.push(vec![timedatectl.clone(), "set-local-rtc".into(), v.into()]);
            }
        }
        if let Some(n) = &p.name {
            if *n != before_zone {
                commands.push(vec![timedatectl.clone(), "set-timezone".into(), n.clone()]);
            }
        }
        let (after_zone, after_rtc) = if ctx.check || commands.is_empty() {
            (
                p.name.clone().unwrap_or_else(|| before_zone.clone()),
                p.hwclock.map(Hwclock::as_str).unwrap_or(before_rtc),
            )
        } else {
            let script: Vec<String> = commands
                .iter()
                .map(|c| c.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" "))
                .collect();
            let out = ctx
                .run(format!("{} && timedatectl status", script.join(" && ")))
                .await?;
            if out.rc != 0 {
                let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                return Err(ModuleError::failed(stderr.trim_end().to_string())
                    .with("rc", out.rc)
                    .with("stderr", stderr));
            }
            let (z, r) = status_of(&String::from_utf8_lossy(&out.stdout));
            (z.unwrap_or_default(), r.unwrap_or("UTC"))
        };
        let side = |zone: &str, rtc: &str| {
            let mut pairs: Vec<(&str, Value)> = Vec::new();
            if p.hwclock.is_some() {
                pairs.push(("hwclock", Value::from(rtc)));
            }
            if p.name.is_some() {
                pairs.push(("name", Value::from(zone)));
            }
            map_value(pairs)
        };
        let before = side(&before_zone, before_rtc);
        let after = side(&after_zone, after_rtc);
        if !ctx.check {
            if let (Some(n), false) = (&p.name, commands.is_empty()) {
                if *n != after_zone {
                    return Err(ModuleError::failed(format!(
                        "Error message:\nstill not desired state, though changes have made - planned: {n}, after: {after_zone}"
                    )));
                }
            }
        }
        let changed =
            before_zone != after_zone && p.name.is_some() || before_rtc != after_rtc && p.hwclock.is_some();
        let mut o = Outcome::changed(changed).with("diff", map_value([("before", before), ("after", after)]));
        if !ctx.check && !commands.is_empty() {
            let msg = commands
                .iter()
                .map(|c| format!("executed `{}`", c.join(" ")))
                .collect::<Vec<_>>()
                .join("\n");
            o.msg = Some(msg.clone());
            o = o.with("msg", msg);
        }
        Ok(o)
    }
}
