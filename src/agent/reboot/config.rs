//! The agent's own reboot settings: the `reboot:` key of `/etc/playhook/agent.yaml`.
//!
//! ```yaml
//! reboot:
//!   grace: 1h              # an `at` request seen later than this after its time is not done
//!   when_required: true    # also reboot when /run/reboot-required exists (at most once a day)
//!   window: 02:00-04:00    # maintenance window (UTC, or `02:00-04:00 +01:00`)
//!   days: [sat, sun]       # the days the window opens on (default: every day)
//! ```
//!
//! The window governs `after` requests and `when_required`; an `at` request names its own time.

use std::path::Path;

use serde::Deserialize;

use super::RebootError;
use super::time::parse_duration;
use super::window::Window;

/// The grace when the config gives none: one hour.
pub const DEFAULT_GRACE: i64 = 3600;

/// Checked reboot settings; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RebootConfig {
    /// Seconds after an `at` request's time it is still done.
    pub grace: i64,
    pub when_required: bool,
    pub window: Option<Window>,
}

impl Default for RebootConfig {
    fn default() -> Self {
        RebootConfig {
            grace: DEFAULT_GRACE,
            when_required: false,
            window: None,
        }
    }
}

/// The `reboot:` key as written (for embedding in the agent's config struct).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRebootConfig {
    pub grace: Option<String>,
    pub when_required: Option<bool>,
    pub window: Option<String>,
    pub days: Option<Vec<String>>,
}

impl RawRebootConfig {
    /// Checks the settings; `path` is for messages.
    pub fn check(&self, path: &Path) -> Result<RebootConfig, RebootError> {
        let err = |message: String| RebootError::Config {
            path: path.to_path_buf(),
            message,
        };
        let grace = match &self.grace {
            Some(g) => parse_duration(g).map_err(|m| err(format!("reboot.grace: {m}")))?,
            None => DEFAULT_GRACE,
        };
        let window = match (&self.window, &self.days) {
            (Some(w), days) => Some(
                Window::parse(w, days.as_deref().unwrap_or_default())
                    .map_err(|m| err(format!("reboot.{m}")))?,
            ),
            (None, Some(_)) => {
                return Err(err(
                    "reboot.days without reboot.window: give the window's hours".into()
                ));
            }
            (None, None) => None,
        };
        Ok(RebootConfig {
            grace,
            when_required: self.when_required.unwrap_or(false),
            window,
        })
    }
}

impl RebootConfig {
    /// The `reboot:` key of the agent's config file; defaults when the file or key is absent.
    pub fn load(path: &Path) -> Result<RebootConfig, RebootError> {
        #[derive(Deserialize)]
        struct File {
            #[serde(default)]
            reboot: RawRebootConfig,
        }
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(RebootConfig::default()),
            Err(e) => {
                return Err(RebootError::Io {
                    doing: "reading",
                    path: path.to_path_buf(),
                    source: e,
                });
            }
        };
        let file: Option<File> = serde_yaml_ng::from_str(&text).map_err(|e| RebootError::Config {
            path: path.to_path_buf(),
            message: match e.location() {
                Some(l) => format!("line {}: {e}", l.line()),
                None => e.to_string(),
            },
        })?;
        file.map_or_else(|| Ok(RebootConfig::default()), |f| f.reboot.check(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<RebootConfig, String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("agent.yaml");
        std::fs::write(&path, text).expect("write");
        RebootConfig::load(&path).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_settings() {
        assert_eq!(load("repo: x\n"), Ok(RebootConfig::default()));
        assert_eq!(load(""), Ok(RebootConfig::default()));
        let c = load(
            "repo: x\nreboot:\n  grace: 30min\n  when_required: true\n  window: 02:00-04:00\n  days: [sat]\n",
        )
        .expect("valid");
        assert_eq!(c.grace, 1800);
        assert!(c.when_required);
        assert_eq!(c.window, Window::parse("02:00-04:00", &["sat".into()]).ok());
    }

    #[test]
    fn mistakes_name_the_file_and_key() {
        for (text, what) in [
            ("reboot:\n  grace: soon\n", "reboot.grace"),
            ("reboot:\n  days: [sat]\n", "reboot.days without reboot.window"),
            ("reboot:\n  window: 2-4\n", "reboot.window `2-4`"),
            ("reboot:\n  windows: 02:00-04:00\n", "unknown field `windows`"),
        ] {
            let err = load(text).expect_err(text);
            assert!(
                err.contains("agent.yaml") && err.contains(what),
                "{text}\n→ {err}"
            );
        }
    }
}
