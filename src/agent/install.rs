//! `playhook agent install` / `uninstall`: the configuration file, a systemd service and timer,
//! enabled — or, without systemd, the cron line to add.
//!
//! The service is a oneshot `playhook agent run` started after `network-online.target`; the
//! timer starts it shortly after boot and then every `interval` after the last start, each
//! start delayed by a random part of `splay` (`RandomizedDelaySec`) so a fleet does not pull at
//! once. Installing again rewrites only what changed and restarts the timer only then.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::config::{Config, parse_span};
use super::git::redact_url;

pub const SERVICE: &str = "playhook-agent.service";
pub const TIMER: &str = "playhook-agent.timer";
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

/// The service unit.
pub fn service_unit(config: &Config, exe: &Path, config_path: &Path) -> String {
    let credential = config
        .secrets_credential
        .as_ref()
        .map(|c| format!("# The secrets key, from /etc/credstore/{c} (or a drop-in with LoadCredentialEncrypted=).\nLoadCredential={c}\n"))
        .unwrap_or_default();
    format!(
        "# Written by `playhook agent install`; `playhook agent uninstall` removes it.\n\
         [Unit]\n\
         Description=playhook agent: fetch, compare and apply {repo} ({branch})\n\
         Documentation=man:git(1)\n\
         Wants=network-online.target\n\
         After=network-online.target\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         ExecStart={exe} agent run --config {config} --trigger timer\n\
         TimeoutStartSec=infinity\n\
         {credential}",
        repo = redact_url(&config.repo),
        branch = config.followed_branch(),
        exe = exe.display(),
        config = config_path.display(),
    )
}

/// The timer unit.
pub fn timer_unit(config: &Config) -> String {
    let interval = parse_span(&config.interval).unwrap_or_default().as_secs().max(1);
    let on_boot = interval.min(60);
    format!(
        "# Written by `playhook agent install`; `playhook agent uninstall` removes it.\n\
         [Unit]\n\
         Description=playhook agent every {interval_text}\n\
         \n\
         [Timer]\n\
         OnActiveSec=5s\n\
         OnBootSec={on_boot}s\n\
         OnUnitActiveSec={interval}s\n\
         RandomizedDelaySec={splay}\n\
         AccuracySec=1s\n\
         Unit={SERVICE}\n\
         \n\
         [Install]\n\
         WantedBy=timers.target\n",
        interval_text = config.interval,
        splay = parse_span(&config.splay).unwrap_or_default().as_secs(),
    )
}

/// The `/etc/crontab` line for systems without systemd.
pub fn cron_line(config: &Config, exe: &Path, config_path: &Path) -> String {
    let minutes = (parse_span(&config.interval).unwrap_or_default().as_secs() / 60).clamp(1, 59);
    let every = if minutes == 1 {
        "*".to_string()
    } else {
        format!("*/{minutes}")
    };
    format!(
        "{every} * * * * root {} agent run --config {} --trigger cron",
        exe.display(),
        config_path.display()
    )
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
    if changed {
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
    }
    let mut removed = false;
    for name in [TIMER, SERVICE] {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_carry_the_schedule() {
        let mut c = Config::new("https://bob:token@git.example.com/infra.git");
        c.interval = "10min".into();
        c.splay = "2min".into();
        let s = service_unit(
            &c,
            Path::new("/usr/local/bin/playhook"),
            Path::new("/etc/playhook/agent.yaml"),
        );
        assert!(s.contains("After=network-online.target\n"), "{s}");
        assert!(s.contains("Wants=network-online.target\n"), "{s}");
        assert!(s.contains("ExecStart=/usr/local/bin/playhook agent run --config /etc/playhook/agent.yaml --trigger timer\n"), "{s}");
        assert!(!s.contains("token"), "no credentials in units: {s}");
        let t = timer_unit(&c);
        for line in [
            "OnBootSec=60s",
            "OnUnitActiveSec=600s",
            "RandomizedDelaySec=120",
            "Unit=playhook-agent.service",
            "WantedBy=timers.target",
        ] {
            assert!(t.contains(line), "{line} in {t}");
        }
        assert_eq!(
            cron_line(
                &c,
                Path::new("/usr/local/bin/playhook"),
                Path::new("/etc/playhook/agent.yaml")
            ),
            "*/10 * * * * root /usr/local/bin/playhook agent run --config /etc/playhook/agent.yaml --trigger cron"
        );
        c.secrets_credential = Some("playhook-secrets".into());
        let s = service_unit(&c, Path::new("/p"), Path::new("/c"));
        assert!(s.contains("LoadCredential=playhook-secrets\n"), "{s}");
    }
}
