//! The agent's metrics: a [`Snapshot`] of its state, updated after each pass and kept on disk
//! (`metrics.json` in the agent's state directory), rendered as Prometheus text
//! ([`super::metrics_render`]), written for node_exporter's textfile collector and served at
//! `GET /metrics` by `playhook agent serve`. The `metrics:` section of the agent's configuration
//! is [`MetricsConfig`]; the run loop calls [`record`] after each pass.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::metrics_render;
use super::report::{PassReport, PassResult};

/// The snapshot's file in the agent's state directory.
pub const SNAPSHOT_FILE: &str = "metrics.json";

/// `metrics:` in `/etc/playhook/agent.yaml`.
///
/// ```yaml
/// metrics:
///   textfile: /var/lib/prometheus/node-exporter/playhook.prom
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Where to write the metrics for node_exporter's textfile collector after each pass
    /// (written whole, then renamed into place; the name must end in `.prom`).
    #[serde(default)]
    pub textfile: Option<PathBuf>,
}

/// What the metrics say: the last pass, and counters over all passes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Snapshot {
    pub host: String,
    pub branch: String,
    /// The commit applied on this host.
    pub commit: Option<String>,
    /// The commit last fetched.
    pub fetched: Option<String>,
    /// When the last pass ended, seconds since the Unix epoch.
    pub last_run_unix: Option<f64>,
    /// When the last pass that ended ok or up to date ended.
    pub last_success_unix: Option<f64>,
    pub result: Option<PassResult>,
    pub changed: u32,
    pub failed: u32,
    pub duration_secs: f64,
    /// Tasks the last drift check found would change; 0 once an apply ran.
    pub drift: u32,
    pub frozen: bool,
    pub runs_total: u64,
    pub fetch_errors_total: u64,
}

impl Snapshot {
    /// The snapshot after `pass`.
    pub fn record(&mut self, pass: &PassReport) {
        let ended = pass.started_unix_ms as f64 / 1000.0 + pass.duration_secs;
        self.host.clone_from(&pass.host);
        self.branch.clone_from(&pass.branch);
        if let Some(c) = pass.applied.as_ref().or(pass.previous.as_ref()) {
            self.commit = Some(c.clone());
        }
        if pass.fetched.is_some() {
            self.fetched.clone_from(&pass.fetched);
        }
        self.last_run_unix = Some(ended);
        if matches!(pass.result, PassResult::Ok | PassResult::Unchanged) {
            self.last_success_unix = Some(ended);
        }
        self.result = Some(pass.result);
        self.changed = pass.changed();
        self.failed = pass.failed();
        self.duration_secs = pass.duration_secs;
        if pass.mode == "check" {
            self.drift = u32::try_from(pass.drift.len()).unwrap_or(u32::MAX);
        } else if pass.result == PassResult::Ok {
            self.drift = 0;
        }
        self.frozen = pass.frozen;
        self.runs_total += 1;
        if pass.result == PassResult::Error && pass.fetched.is_none() {
            self.fetch_errors_total += 1;
        }
    }
}

/// Why the metrics could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("metrics: `textfile` {} must end in `.prom` (node_exporter reads no other name)", path.display())]
    NotProm { path: PathBuf },
    #[error("metrics: reading {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("metrics: {} is not a metrics snapshot; delete it to start the counters again", path.display())]
    Corrupt {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("metrics: writing {}: check the directory exists and the agent may write there", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl MetricsConfig {
    pub fn validate(&self) -> Result<(), MetricsError> {
        match &self.textfile {
            Some(path) if path.extension().is_none_or(|e| e != "prom") => {
                Err(MetricsError::NotProm { path: path.clone() })
            }
            _ => Ok(()),
        }
    }
}

/// The snapshot kept in `state_dir`; `None` before the first pass.
pub fn load(state_dir: &Path) -> Result<Option<Snapshot>, MetricsError> {
    let path = state_dir.join(SNAPSHOT_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(MetricsError::Read { path, source }),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| MetricsError::Corrupt { path, source })
}

/// Records a pass: updates the snapshot in `state_dir` and, when configured, rewrites the
/// textfile. Returns the new snapshot.
pub fn record(state_dir: &Path, config: &MetricsConfig, pass: &PassReport) -> Result<Snapshot, MetricsError> {
    config.validate()?;
    let mut snapshot = load(state_dir)?.unwrap_or_default();
    snapshot.record(pass);
    let json = serde_json::to_vec_pretty(&snapshot).expect("a snapshot always serializes");
    write_atomic(&state_dir.join(SNAPSHOT_FILE), &json, 0o600)?;
    if let Some(textfile) = &config.textfile {
        let text = metrics_render::render(Some(&snapshot));
        write_atomic(textfile, text.as_bytes(), 0o644)?;
    }
    Ok(snapshot)
}

/// Writes `bytes` to a hidden temporary file beside `path` (node_exporter skips it), then
/// renames it into place: a reader sees the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), MetricsError> {
    let err = |source| MetricsError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".playhook-")
        .tempfile_in(dir)
        .map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(result: PassResult, fetched: Option<&str>, applied: Option<&str>) -> PassReport {
        PassReport {
            host: "web1".into(),
            branch: "main".into(),
            fetched: fetched.map(String::from),
            previous: None,
            applied: applied.map(String::from),
            comparison: None,
            result,
            mode: "real".into(),
            started_unix_ms: 1_000_000,
            duration_secs: 2.5,
            counts: Default::default(),
            drift: vec![],
            frozen: false,
            error: None,
            log: String::new(),
        }
    }

    #[test]
    fn counters_accumulate_and_a_failed_fetch_keeps_the_commit() {
        let mut s = Snapshot::default();
        s.record(&pass(PassResult::Ok, Some("c1"), Some("c1")));
        assert_eq!(s.commit.as_deref(), Some("c1"));
        assert_eq!(s.last_success_unix, Some(1002.5));
        s.record(&pass(PassResult::Error, None, None));
        assert_eq!(s.commit.as_deref(), Some("c1"));
        assert_eq!(s.fetched.as_deref(), Some("c1"));
        assert_eq!((s.runs_total, s.fetch_errors_total), (2, 1));
        assert_eq!(s.result, Some(PassResult::Error));
        assert_eq!(s.last_success_unix, Some(1002.5));
    }

    #[test]
    fn drift_holds_until_an_apply() {
        let mut s = Snapshot::default();
        let mut check = pass(PassResult::Unchanged, Some("c1"), Some("c1"));
        check.mode = "check".into();
        check.drift = vec!["copy motd".into(), "template x".into()];
        s.record(&check);
        assert_eq!(s.drift, 2);
        s.record(&pass(PassResult::Unchanged, Some("c1"), Some("c1")));
        assert_eq!(s.drift, 2);
        s.record(&pass(PassResult::Ok, Some("c2"), Some("c2")));
        assert_eq!(s.drift, 0);
    }

    #[test]
    fn record_keeps_the_snapshot_and_writes_the_textfile() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = MetricsConfig {
            textfile: Some(dir.path().join("playhook.prom")),
        };
        record(dir.path(), &config, &pass(PassResult::Ok, Some("c1"), Some("c1"))).expect("recorded");
        let s = record(
            dir.path(),
            &config,
            &pass(PassResult::Failed, Some("c2"), Some("c2")),
        )
        .expect("recorded");
        assert_eq!(s.runs_total, 2);
        assert_eq!(load(dir.path()).expect("loads"), Some(s));
        let text = std::fs::read_to_string(dir.path().join("playhook.prom")).expect("textfile");
        assert!(text.contains("commit=\"c2\""), "{text}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file is left: {names:?}");
    }

    #[test]
    fn the_textfile_must_be_a_prom_file() {
        let config = MetricsConfig {
            textfile: Some("/tmp/x.txt".into()),
        };
        assert!(config.validate().is_err_and(|e| e.to_string().contains(".prom")));
    }
}
