//! `playhook agent install` / `uninstall`: the configuration file, a systemd service and timer,
//! enabled — or, without systemd, the cron line to add.
//!
//! With a `serve:` section in the configuration, `playhook-serve.service` runs `playhook agent
//! serve` too (enabled, restarted by each install, as the configuration may have changed).
//!
//! The service is a oneshot `playhook agent run` started after `network-online.target`; the
//! timer starts it shortly after boot and then every `interval` after the last start, each
//! start delayed by a random part of `splay` (`RandomizedDelaySec`) so a fleet does not pull at
//! once. Installing again rewrites only what changed and restarts the timer only then. The
//! units' text is rendered from `templates/agent/` ([`super::units`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::config::Config;
pub use super::units::{cron_line, serve_unit, service_unit, timer_unit};

pub use super::units::SERVICE;
pub const TIMER: &str = "playhook-agent.timer";
/// `playhook agent serve`, installed when the configuration has a `serve:` section.
pub const SERVE: &str = "playhook-serve.service";
/// Where the units go.
pub const UNIT_DIR: &str = "/etc/systemd/system";

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot remove `{}`: {source}", path.display())]
    Remove {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`systemctl {args}` failed: {message}")]
    Systemctl { args: String, message: String },
}

/// Whether systemd is the running init (`/run/systemd/system` exists).
pub fn systemd_running() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

fn systemctl(args: &[&str]) -> Result<(), InstallError> {
    let out = Command::new("systemctl")
        .args(args)
        .output()
        .map_err(|e| InstallError::Systemctl {
            args: args.join(" "),
            message: e.to_string(),
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(InstallError::Systemctl {
            args: args.join(" "),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// Writes the units into `unit_dir`, reloads systemd when they changed, enables and starts the
/// timer. Returns what it did, one line each.
pub fn install_units(
    config: &Config,
    exe: &Path,
    config_path: &Path,
    unit_dir: &Path,
) -> Result<Vec<String>, InstallError> {
    let mut done = Vec::new();
    let mut changed = false;
    for (name, text) in [
        (SERVICE, service_unit(config, exe, config_path)),
        (TIMER, timer_unit(config)),
    ] {
        let path = unit_dir.join(name);
        let wrote =
            super::atomic::write(&path, text.as_bytes(), 0o644).map_err(|source| InstallError::Write {
                path: path.clone(),
                source,
            })?;
        changed |= wrote;
        done.push(format!(
            "{} {}",
            if wrote { "wrote" } else { "unchanged" },
            path.display()
        ));
    }
    let serve_path = unit_dir.join(SERVE);
    let serve_changed = if config.serve.is_some() {
        let text = serve_unit(exe, config_path);
        let wrote = super::atomic::write(&serve_path, text.as_bytes(), 0o644).map_err(|source| {
            InstallError::Write {
                path: serve_path.clone(),
                source,
            }
        })?;
        done.push(format!(
            "{} {}",
            if wrote { "wrote" } else { "unchanged" },
            serve_path.display()
        ));
        wrote
    } else if serve_path.exists() {
        // `serve:` was taken out of the configuration.
        let _ = systemctl(&["disable", "--now", SERVE]);
        std::fs::remove_file(&serve_path).map_err(|source| InstallError::Remove {
            path: serve_path.clone(),
            source,
        })?;
        done.push(format!(
            "removed {} (no `serve:` in the configuration)",
            serve_path.display()
        ));
        true
    } else {
        false
    };
    if changed || serve_changed {
        systemctl(&["daemon-reload"])?;
        done.push("reloaded systemd (systemctl daemon-reload)".into());
    }
    systemctl(&["enable", TIMER])?;
    if changed {
        systemctl(&["restart", TIMER])?;
        done.push(format!("enabled and (re)started {TIMER}"));
    } else {
        systemctl(&["start", TIMER])?;
        done.push(format!("{TIMER} enabled and running"));
    }
    if config.serve.is_some() {
        // The configuration may have changed even when the unit did not: serve reads it at start.
        systemctl(&["enable", SERVE])?;
        systemctl(&["restart", SERVE])?;
        done.push(format!("enabled and (re)started {SERVE}"));
    }
    Ok(done)
}

/// Stops and disables the timer, removes the units. The configuration and the state stay
/// unless the caller removes them.
pub fn uninstall_units(unit_dir: &Path) -> Result<Vec<String>, InstallError> {
    let mut done = Vec::new();
    if systemd_running() {
        // Not installed is fine: uninstall is safe to run twice.
        let _ = systemctl(&["disable", "--now", TIMER]);
        let _ = systemctl(&["stop", SERVICE]);
        done.push(format!("stopped and disabled {TIMER}"));
        if unit_dir.join(SERVE).exists() {
            let _ = systemctl(&["disable", "--now", SERVE]);
            done.push(format!("stopped and disabled {SERVE}"));
        }
    }
    let mut removed = false;
    for name in [TIMER, SERVICE, SERVE] {
        let path = unit_dir.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {
                removed = true;
                done.push(format!("removed {}", path.display()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(InstallError::Remove { path, source }),
        }
    }
    if removed && systemd_running() {
        systemctl(&["daemon-reload"])?;
        done.push("reloaded systemd (systemctl daemon-reload)".into());
    }
    Ok(done)
}
