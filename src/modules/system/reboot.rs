//! `reboot`: records the host's boot id, runs `shutdown -r`, then reopens the connection until
//! the boot id changed and the test command succeeds, as Ansible 2.19's reboot action does
//! (results `rebooted`, `changed`, `elapsed`). Linux defaults; `reboot_command` and
//! `boot_time_command` replace them.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::retry::{Pause, Waiter};
use crate::connection::quote::quote;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Reboot;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    reboot_timeout: Option<i64>,
    connect_timeout: Option<i64>,
    pre_reboot_delay: Option<i64>,
    post_reboot_delay: Option<i64>,
    test_command: Option<String>,
    msg: Option<String>,
    search_paths: Option<Vec<String>>,
    boot_time_command: Option<String>,
    reboot_command: Option<String>,
}

const BOOT_TIME_COMMAND: &str = "cat /proc/sys/kernel/random/boot_id";
const SEARCH_PATHS: &[&str] = &["/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin"];

fn secs(v: Option<i64>, default: u64) -> u64 {
    v.map(|n| n.max(0).unsigned_abs()).unwrap_or(default)
}

#[async_trait]
impl TypedModule for Reboot {
    type Params = Params;

    const SPEC: Spec = Spec::host("reboot").without_async();

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let local = ctx
            .vars
            .get_attr("ansible_connection")
            .ok()
            .and_then(|v| v.as_str().map(str::to_string));
        if local.as_deref() == Some("local") {
            let outcome = Outcome::ok().with("elapsed", 0).with("rebooted", false);
            return Err(ModuleError::failed_with(
                "Running reboot with local connection would reboot the control node.",
                outcome,
            ));
        }
        if ctx.check {
            return Ok(Outcome::changed(true).with("elapsed", 0).with("rebooted", true));
        }
        let reboot_timeout = Duration::from_secs(secs(p.reboot_timeout, 600));
        let connect_timeout = p
            .connect_timeout
            .filter(|n| *n > 0)
            .map(|n| Duration::from_secs(n.unsigned_abs()));
        let pre_delay = secs(p.pre_reboot_delay, 0);
        let post_delay = secs(p.post_reboot_delay, 0);
        let boot_cmd = p
            .boot_time_command
            .clone()
            .unwrap_or_else(|| BOOT_TIME_COMMAND.into());
        let test_cmd = p.test_command.clone().unwrap_or_else(|| "whoami".into());

        // One round trip: the boot id and where the shutdown command is.
        let (bin, args) = match &p.reboot_command {
            Some(cmd) => match cmd.split_once(' ') {
                Some((bin, args)) => (bin.to_string(), args.to_string()),
                None => (cmd.clone(), String::new()),
            },
            None => {
                let msg = p.msg.as_deref().unwrap_or("Reboot initiated by Ansible");
                ("shutdown".to_string(), format!("-r {} \"{msg}\"", pre_delay / 60))
            }
        };
        let paths: Vec<String> = p
            .search_paths
            .clone()
            .unwrap_or_else(|| SEARCH_PATHS.iter().map(|s| s.to_string()).collect());
        let find = if bin.starts_with('/') {
            format!("echo {}", quote(&bin))
        } else {
            let dirs: Vec<String> = paths.iter().map(|d| quote(d)).collect();
            format!(
                "for d in {}; do [ -e \"$d\"/{} ] && {{ printf '%s\\n' \"${{d%/}}\"/{}; break; }}; done",
                dirs.join(" "),
                quote(&bin),
                quote(&bin)
            )
        };
        let script = format!("found=$({find}); printf '%s\\n' \"@@shutdown $found\"\n{boot_cmd}");
        let out = ctx.run(script).await?;
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let (first, boot) = stdout.split_once('\n').unwrap_or((stdout.as_str(), ""));
        let shutdown = first.strip_prefix("@@shutdown ").unwrap_or("").trim().to_string();
        if out.rc != 0 {
            return Err(ModuleError::failed(format!(
                "reboot: failed to get host boot time info, rc: {}, stdout: {boot}, stderr: {}",
                out.rc,
                String::from_utf8_lossy(&out.stderr)
            ))
            .with("rebooted", false));
        }
        let previous = boot.trim().to_string();
        if shutdown.is_empty() {
            return Err(ModuleError::failed(format!(
                "Unable to find command \"{bin}\" in search paths: {paths:?} on {}",
                ctx.host
            )));
        }

        let command = format!("{shutdown} {args}");
        match ctx.run(command).await {
            Ok(out) if out.rc != 0 => {
                let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
                let outcome = Outcome::ok().with("rebooted", false).with("elapsed", 0);
                return Err(ModuleError::failed_with(
                    format!(
                        "Reboot command failed. Error was: '{}, {}'",
                        text(&out.stdout),
                        text(&out.stderr)
                    ),
                    outcome,
                ));
            }
            // The connection dropping while the host goes down is the reboot happening.
            Ok(_) | Err(_) => {}
        }
        let start = Instant::now();
        if post_delay > 0 {
            tokio::time::sleep(Duration::from_secs(post_delay)).await;
        }

        let timed_out = |what: &str, start: Instant| {
            let outcome = Outcome::ok()
                .with("rebooted", true)
                .with("elapsed", start.elapsed().as_secs());
            ModuleError::failed_with(
                format!(
                    "Timed out waiting for {what} (timeout={})",
                    reboot_timeout.as_secs()
                ),
                outcome,
            )
        };
        let mut wait = Waiter::new(reboot_timeout, Pause::Backoff);
        let mut back = false;
        while wait.alive() {
            match boot_changed(ctx, connect_timeout, &boot_cmd, &previous).await {
                Ok(()) => {
                    back = true;
                    break;
                }
                Err(e) => wait.failed(e).await,
            }
        }
        if !back {
            return Err(timed_out("last boot time check", start));
        }
        let mut wait = Waiter::new(reboot_timeout, Pause::Backoff);
        let mut tested = false;
        while wait.alive() {
            match test(ctx, &test_cmd).await {
                Ok(()) => {
                    tested = true;
                    break;
                }
                Err(e) => wait.failed(e).await,
            }
        }
        if !tested {
            return Err(timed_out("post-reboot test command", start));
        }
        Ok(Outcome::changed(true)
            .with("rebooted", true)
            .with("elapsed", Value::from(start.elapsed().as_secs())))
    }
}

/// Reopens the connection and reads the boot id; `Ok` once it differs from `previous`.
async fn boot_changed(
    ctx: &mut ModuleCtx<'_>,
    connect_timeout: Option<Duration>,
    boot_cmd: &str,
    previous: &str,
) -> Result<(), String> {
    ctx.reconnect(connect_timeout).await.map_err(|e| e.to_string())?;
    let out = ctx.run(boot_cmd.to_string()).await.map_err(|e| e.to_string())?;
    if out.rc != 0 {
        return Err(format!(
            "failed to get host boot time info, rc: {}, stderr: {}",
            out.rc,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let now = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if now.is_empty() || now == previous {
        return Err("boot time has not changed".into());
    }
    Ok(())
}

/// Runs the post-reboot test command; a broken connection is reopened for the next try.
async fn test(ctx: &mut ModuleCtx<'_>, test_cmd: &str) -> Result<(), String> {
    match ctx.run(test_cmd.to_string()).await {
        Ok(out) if out.rc == 0 => Ok(()),
        Ok(out) => Err(format!(
            "Test command failed: {} {}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        )),
        Err(e) => {
            let _ = ctx.reconnect(None).await;
            Err(e.to_string())
        }
    }
}
