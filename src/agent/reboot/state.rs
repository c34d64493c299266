//! What the agent remembers about reboots, on disk so it survives them: per request id, what
//! was done in which boot. Written atomically (a temporary file renamed over the old one).
//!
//! ```json
//! {"requests": {"kernel-1": {"time": 1796439600, "status": "rebooting", "boot_id": "…", "since": 1796439601}},
//!  "required": {"status": "rebooting", "boot_id": "…", "since": 1796439000}}
//! ```

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::RebootError;

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A timer reboots at `fire` (in the boot `boot_id`; timers do not survive a reboot).
    Scheduled,
    /// The agent asked for the reboot now, in the boot `boot_id`.
    Rebooting,
    /// Done: the host booted at or after the requested time. Never acted on again.
    Done,
    /// The agent first saw it more than the grace after its time: never acted on.
    Expired,
    /// Removed from the repository or replaced (new id or time) before it was done.
    Cancelled,
}

/// One request's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The requested time (Unix seconds): with the id, what identifies the request.
    pub time: i64,
    pub status: Status,
    /// The boot the status was set in (`/proc/sys/kernel/random/boot_id`).
    pub boot_id: String,
    /// When the status was set.
    pub since: i64,
    /// When the scheduled reboot fires (for `scheduled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fire: Option<i64>,
}

/// The `/run/reboot-required` reboot's record (at most one a day).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Required {
    /// `scheduled` or `rebooting`.
    pub status: Status,
    pub boot_id: String,
    /// When it was decided.
    pub since: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fire: Option<i64>,
}

/// The agent's reboot memory; see the module docs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebootState {
    #[serde(default)]
    pub requests: BTreeMap<String, Entry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<Required>,
}

impl RebootState {
    /// The earliest reboot scheduled in the boot `boot_id` (timers die with a boot), for
    /// `agent status`.
    pub fn pending(&self, boot_id: &str) -> Option<i64> {
        let requests = self.requests.values().map(|e| (e.status, &e.boot_id, e.fire));
        let required = self.required.iter().map(|r| (r.status, &r.boot_id, r.fire));
        requests
            .chain(required)
            .filter(|(status, boot, _)| *status == Status::Scheduled && *boot == boot_id)
            .filter_map(|(_, _, fire)| fire)
            .min()
    }

    /// Reads the state; an absent file is an empty state.
    pub fn load(path: &Path) -> Result<RebootState, RebootError> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| RebootError::State {
                path: path.to_path_buf(),
                message: format!(
                    "{e}; it is the agent's record of reboots done: fix it, or remove it and any \
                     request whose time is within the grace may reboot the host once more"
                ),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(RebootState::default()),
            Err(e) => Err(RebootError::Io {
                doing: "reading",
                path: path.to_path_buf(),
                source: e,
            }),
        }
    }

    /// Writes the state atomically (mode 0600), creating its directory; synced to disk before
    /// the rename, since a reboot may follow at once.
    pub fn save(&self, path: &Path) -> Result<(), RebootError> {
        let io = |doing: &'static str, source: std::io::Error| RebootError::Io {
            doing,
            path: path.to_path_buf(),
            source,
        };
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| io("creating the directory of", e))?;
        let json = serde_json::to_string_pretty(self).expect("the reboot state serializes");
        let mut tmp = tempfile::Builder::new()
            .prefix(".reboots.")
            .tempfile_in(dir)
            .map_err(|e| io("creating a temporary file beside", e))?;
        tmp.write_all(json.as_bytes())
            .and_then(|()| tmp.write_all(b"\n"))
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| io("writing", e))?;
        tmp.persist(path).map_err(|e| io("renaming onto", e.error))?;
        if let Ok(d) = std::fs::File::open(dir) {
            // The rename itself must reach the disk too; a failure here loses nothing yet.
            let _ = d.sync_all();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_a_round_trip_and_an_absent_file_is_empty() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub/reboots.json");
        assert_eq!(RebootState::load(&path).expect("absent"), RebootState::default());
        let mut state = RebootState::default();
        state.requests.insert(
            "k".into(),
            Entry {
                time: 10,
                status: Status::Rebooting,
                boot_id: "b1".into(),
                since: 11,
                fire: None,
            },
        );
        state.requests.insert(
            "later".into(),
            Entry {
                time: 50,
                status: Status::Scheduled,
                boot_id: "b1".into(),
                since: 11,
                fire: Some(60),
            },
        );
        state.save(&path).expect("saved");
        assert_eq!(RebootState::load(&path).expect("read"), state);
        assert_eq!(state.pending("b1"), Some(60));
        assert_eq!(state.pending("b2"), None);
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(&path, "{").expect("write");
        let err = RebootState::load(&path).expect_err("broken").to_string();
        assert!(err.contains("reboots.json"), "{err}");
    }
}
