//! The agent's configuration: `/etc/playhook/agent.yaml`, readable by root only.
//!
//! ```yaml
//! repo: ssh://git@git.example.com/infra.git   # fetched with the system git
//! branch: main
//! interval: 5min            # the timer's period (systemd time span: 30s, 5min, 1h)
//! splay: 1min               # RandomizedDelaySec: a fleet does not pull at once
//! tags: [web, dns]          # empty: everything
//! host: web01               # default: this machine's hostname
//! aliases: [localhost]      # more inventory names this machine answers to
//! secrets_key_file: /etc/playhook/secret.key   # 0600, or:
//! secrets_credential: playhook-secrets          # a systemd credential (LoadCredential=)
//! allow_rewind: false       # apply a branch force-pushed to an older commit
//! drift: { every: 12, action: report }          # check mode every 12th pass; or correct
//! pre_apply: systemctl stop myapp               # sh -c, before an apply; failing skips it
//! post_apply: systemctl start myapp             # sh -c, after an apply (PLAYHOOK_RESULT set)
//! canary_branch: canary     # follow this branch instead of `branch` (and of the inventory's
//!                           # `playhook_agent_branch`, see `agent::canary`)
//! keep_logs: 50             # per-pass logs kept (0: all)
//! ```
//!
//! Unknown keys are refused. The sections `webhook`, `metrics`, `serve` (`agent::reporters`)
//! and `reboot` (`agent::reboot::config`) are kept as YAML and checked by their owners when the
//! file is read (and written back as given by `install`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Where `install` writes the configuration and every command reads it by default.
pub const DEFAULT_PATH: &str = "/etc/playhook/agent.yaml";

/// Where the agent keeps its state, checkout and logs by default.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/playhook/agent";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub repo: String,
    #[serde(default = "default_branch")]
    pub branch: String,
    #[serde(default = "default_interval")]
    pub interval: String,
    #[serde(default = "default_splay")]
    pub splay: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_key_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_credential: Option<String>,
    #[serde(default)]
    pub allow_rewind: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_apply: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_apply: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_branch: Option<String>,
    #[serde(default = "default_keep_logs")]
    pub keep_logs: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_dir: Option<PathBuf>,
    /// Announce passes (`agent::webhook::WebhookConfig`, checked by `agent::reporters`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<serde_yaml_ng::Value>,
    /// Export metrics (`agent::metrics::MetricsConfig`, checked by `agent::reporters`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<serde_yaml_ng::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serve: Option<serde_yaml_ng::Value>,
    /// Reboot settings (see `agent::reboot::config`), read by `RebootConfig::load`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot: Option<serde_yaml_ng::Value>,
}

/// Check-mode passes that look for drift.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drift {
    /// Every Nth pass that has nothing new to apply is a drift pass (1: every one).
    pub every: u32,
    #[serde(default)]
    pub action: DriftAction,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftAction {
    /// Report what would change, change nothing.
    #[default]
    Report,
    /// Report, then apply the commit again to put it right.
    Correct,
}

fn default_branch() -> String {
    "main".into()
}
fn default_interval() -> String {
    "5min".into()
}
fn default_splay() -> String {
    "1min".into()
}
fn default_keep_logs() -> usize {
    50
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot read the agent configuration `{path}`: {source}; run `playhook agent install --repo URL` first"
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "{path} is readable by others (mode {mode:04o}); it may name a key and webhook secrets: `chmod 600 {path}`"
    )]
    Mode { path: PathBuf, mode: u32 },
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Config {
    /// A configuration with defaults for everything but the repository.
    pub fn new(repo: &str) -> Config {
        let mut c: Config = serde_yaml_ng::from_str(&format!("repo: {}", serde_json::json!(repo)))
            .expect("a repository alone is a configuration");
        c.repo = repo.to_string();
        c
    }

    /// Reads and checks `path`; it must not be readable by group or others.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let read = |source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(read)?;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(ConfigError::Mode {
                path: path.to_path_buf(),
                mode,
            });
        }
        let text = std::fs::read_to_string(path).map_err(read)?;
        Config::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses and checks the text of a configuration.
    pub fn parse(text: &str) -> Result<Config, String> {
        let c: Config = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
        c.check()?;
        Ok(c)
    }

    fn check(&self) -> Result<(), String> {
        if self.repo.trim().is_empty() {
            return Err("`repo` is empty: give the repository URL".into());
        }
        for (key, branch) in [
            ("branch", Some(&self.branch)),
            ("canary_branch", self.canary_branch.as_ref()),
        ] {
            if let Some(b) = branch {
                if !is_branch_name(b) {
                    return Err(format!("`{key}: {b}` is not a branch name"));
                }
            }
        }
        parse_span(&self.interval).map_err(|e| format!("`interval`: {e}"))?;
        parse_span(&self.splay).map_err(|e| format!("`splay`: {e}"))?;
        if let Some(d) = &self.drift {
            if d.every == 0 {
                return Err("`drift.every` must be 1 or more (1: every pass)".into());
            }
        }
        if let Some(r) = &self.reboot {
            let raw: super::reboot::config::RawRebootConfig =
                serde_yaml_ng::from_value(r.clone()).map_err(|e| format!("`reboot`: {e}"))?;
            raw.check(Path::new("reboot")).map_err(|e| e.to_string())?;
        }
        if self.secrets_key_file.is_some() && self.secrets_credential.is_some() {
            return Err("give `secrets_key_file` or `secrets_credential`, not both".into());
        }
        super::reporters::check_sections(self.webhook.as_ref(), self.metrics.as_ref(), self.serve.as_ref())?;
        Ok(())
    }

    /// The branch this host follows: the canary branch when set.
    pub fn followed_branch(&self) -> &str {
        self.canary_branch.as_deref().unwrap_or(&self.branch)
    }

    /// The state directory.
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR))
    }

    /// Writes the configuration to `path`, mode 0600, atomically. Returns whether the file
    /// changed.
    pub fn save(&self, path: &Path) -> Result<bool, ConfigError> {
        let text = format!(
            "# playhook agent configuration (`playhook agent --help`); keep it mode 0600.\n{}",
            serde_yaml_ng::to_string(self).expect("a configuration serializes")
        );
        crate::agent::atomic::write_private(path, text.as_bytes()).map_err(|source| ConfigError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Whether `b` can name a branch to fetch (no spaces, no revision syntax, no templates).
pub fn is_branch_name(b: &str) -> bool {
    !(b.is_empty()
        || b.starts_with('-')
        || b.contains([' ', ':', '~', '^', '?', '*', '[', '\\', '{', '}'])
        || b.contains(".."))
}

/// A systemd time span as the timer takes it: `30s`, `5min`, `1h`, `1h30min`, or plain seconds.
pub fn parse_span(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty time span".into());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(format!("`{text}` is not a time span (like 30s, 5min, 1h)"));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{text}`: number too large"))?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_alphabetic()).len();
        let unit = &rest[..unit_len];
        rest = rest[unit_len..].trim_start();
        let mult = match unit {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hr" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            _ => return Err(format!("`{text}`: unknown unit `{unit}` (use s, min, h or d)")),
        };
        total = total.saturating_add(n.saturating_mul(mult));
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_parse_like_systemd() {
        assert_eq!(parse_span("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_span("5min"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_span("1h30min"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_span("90"), Ok(Duration::from_secs(90)));
        assert!(parse_span("soon").is_err());
        assert!(parse_span("5 parsecs").is_err());
    }

    #[test]
    fn defaults_and_refusals() {
        let c = Config::parse("repo: git://127.0.0.1/infra.git\n").expect("minimal");
        assert_eq!(
            (c.branch.as_str(), c.interval.as_str(), c.keep_logs),
            ("main", "5min", 50)
        );
        assert_eq!(c, Config::new("git://127.0.0.1/infra.git"));
        let e = Config::parse("repo: x\nintervall: 5min\n").expect_err("typo");
        assert!(e.contains("intervall"), "{e}");
        let e = Config::parse("repo: x\ndrift: {every: 0}\n").expect_err("zero");
        assert!(e.contains("drift.every"), "{e}");
        let e = Config::parse("repo: x\nbranch: a..b\n").expect_err("bad branch");
        assert!(e.contains("branch"), "{e}");
        let c = Config::parse("repo: x\ncanary_branch: canary\ndrift: {every: 2, action: correct}\n")
            .expect("canary");
        assert_eq!(c.followed_branch(), "canary");
        assert_eq!(c.drift.map(|d| d.action), Some(DriftAction::Correct));
    }

    #[test]
    fn saved_private_and_read_back() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("etc/agent.yaml");
        let mut c = Config::new("https://git.example.com/infra.git");
        c.tags = vec!["web".into()];
        assert!(c.save(&path).expect("first write"));
        assert!(!c.save(&path).expect("same again"));
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(Config::load(&path).expect("reads"), c);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = Config::load(&path).expect_err("open to others").to_string();
        assert!(e.contains("chmod 600"), "{e}");
    }
}
