//! The marker of a deploy in progress, so that a deploy whose hook was killed outright is still
//! recorded.
//!
//! Once a deploy holds its environment's lock it writes `playhook/running/<env>.json`: the
//! record it would write if it were interrupted, and where its event file is. A deploy that ends
//! (however it ends, short of SIGKILL or a crash) appends its own record and removes the marker.
//! The next deploy of the environment takes the lock, so the marker's writer is gone by then
//! (the deploy child holds the lock too, see [`super::stream`]); it finds the marker, fills in
//! the host counts the event file got before the end and the time the log was last written,
//! records the deploy as `interrupted` and removes the marker.

use std::path::{Path, PathBuf};

use git2::Repository;
use serde::{Deserialize, Serialize};

use super::HookError;
use super::layout::Layout;
use super::notes::{self, Record};

/// What the marker holds.
#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    record: Record,
    events: PathBuf,
    log: PathBuf,
}

/// Why the record of a recovered deploy says `interrupted`.
pub const KILLED: &str = "the hook running this deploy was killed before it ended (SIGKILL, a crash, \
                          the machine stopping); the next deploy of the environment recorded it";

/// Writes the marker of the deploy about to run: `record` is what to record if it never ends.
pub fn mark(layout: &Layout, record: &Record, events: &Path, log: &Path) -> Result<(), HookError> {
    let path = layout.running(&record.environment);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| HookError::io("creating", dir, e))?;
    }
    let marker = Marker {
        record: record.clone(),
        events: events.to_path_buf(),
        log: log.to_path_buf(),
    };
    let text = serde_json::to_string_pretty(&marker).expect("a marker serializes");
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, &path))
        .map_err(|e| HookError::io("writing", &path, e))
}

/// Removes the marker of `environment` (the deploy recorded itself).
pub fn clear(layout: &Layout, environment: &str) -> Result<(), HookError> {
    let path = layout.running(environment);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(HookError::io("removing", &path, e)),
    }
}

/// Records the deploy a killed hook left unfinished in `environment`, if any, and removes its
/// marker. Call it holding the environment's lock. A marker that cannot be read is removed
/// (there is nothing to record from it) and reported as the error.
pub fn recover(layout: &Layout, repo: &Repository, environment: &str) -> Result<Option<Record>, HookError> {
    let path = layout.running(environment);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(HookError::io("reading", &path, e)),
    };
    let marker: Marker = match serde_json::from_str(&text) {
        Ok(m) => m,
        Err(e) => {
            clear(layout, environment)?;
            return Err(HookError::Invalid(format!(
                "`{}` (the marker of an unfinished deploy) is not readable: {e}; removed",
                path.display()
            )));
        }
    };
    let mut record = marker.record;
    let events = super::deploy::read_events(&marker.events);
    record.hosts = events.recap;
    record.result = "interrupted".into();
    record.exit_code = None;
    record.error = Some(KILLED.into());
    if let Some(ended_ms) = modified_ms(&marker.log) {
        let secs = (ended_ms - record.unix_ms).max(0) as f64 / 1000.0;
        record.duration_secs = (secs * 1000.0).round() / 1000.0;
    }
    notes::append(layout, repo, &record)?;
    clear(layout, environment)?;
    Ok(Some(record))
}

/// When `path` was last written, in milliseconds since the Unix epoch.
fn modified_ms(path: &Path) -> Option<i64> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(since.as_millis()).ok()
}
