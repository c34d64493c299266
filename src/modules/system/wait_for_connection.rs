//! `wait_for_connection`: reopens the host's connection until a command runs there, as Ansible
//! 2.19's action (`ping` module test) with `timeout`, `delay`, `sleep` and `connect_timeout`;
//! registers `elapsed`. Skipped in check mode, as Ansible skips it.
//!
//! playhook opens a host's connection before a task runs, so a host that never answered
//! since the play started is reported unreachable before this module runs; this module waits
//! for a host that went away during the run (a reboot by other means, a network restart).

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;

use super::retry::{Pause, Waiter};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct WaitForConnection;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    connect_timeout: Option<i64>,
    delay: Option<i64>,
    sleep: Option<i64>,
    timeout: Option<i64>,
}

fn secs(v: Option<i64>, default: u64) -> Duration {
    Duration::from_secs(v.map(|n| n.max(0).unsigned_abs()).unwrap_or(default))
}

#[async_trait]
impl TypedModule for WaitForConnection {
    type Params = Params;

    const SPEC: Spec = Spec::host("wait_for_connection").without_async();

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if ctx.check {
            let mut outcome = Outcome::ok();
            outcome.skipped = true;
            return Ok(outcome);
        }
        let connect_timeout = secs(p.connect_timeout, 5);
        let start = Instant::now();
        tokio::time::sleep(secs(p.delay, 0)).await;
        let mut wait = Waiter::new(secs(p.timeout, 600), Pause::Fixed(secs(p.sleep, 1)));
        while wait.alive() {
            match ping(ctx, connect_timeout).await {
                Ok(()) => return Ok(Outcome::ok().with("elapsed", start.elapsed().as_secs())),
                Err(e) => wait.failed(e).await,
            }
        }
        let outcome = Outcome::ok().with("elapsed", start.elapsed().as_secs());
        Err(ModuleError::failed_with(
            format!(
                "timed out waiting for ping module test: {}",
                wait.last_error.unwrap_or_default()
            ),
            outcome,
        ))
    }
}

/// Reopens the connection and runs a command that must answer `pong`.
async fn ping(ctx: &mut ModuleCtx<'_>, connect_timeout: Duration) -> Result<(), String> {
    ctx.reconnect(Some(connect_timeout))
        .await
        .map_err(|e| e.to_string())?;
    let out = ctx.run("echo pong").await.map_err(|e| e.to_string())?;
    match String::from_utf8_lossy(&out.stdout).trim() {
        "pong" => Ok(()),
        _ => Err("ping test failed".into()),
    }
}
