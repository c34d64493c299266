//! One pass at a time, and triggers that coalesce.
//!
//! A pass holds `flock(2)` on `<state dir>/pass.lock`. A pass asked for while another runs (the
//! timer, `playhook agent run`, the HTTP trigger) does not queue up behind it: it leaves the
//! flag file `<state dir>/trigger` and returns; the running pass sees the flag when it ends and
//! runs exactly once more, however many requests came meanwhile.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::fs::{FlockOperation, flock};

use crate::hook::HookError;

fn lock_path(state_dir: &Path) -> PathBuf {
    state_dir.join("pass.lock")
}

fn flag_path(state_dir: &Path) -> PathBuf {
    state_dir.join("trigger")
}

fn open(state_dir: &Path) -> Result<File, HookError> {
    std::fs::create_dir_all(state_dir).map_err(|e| HookError::io("creating", state_dir, e))?;
    let path = lock_path(state_dir);
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| HookError::io("opening the lock file", &path, e))
}

fn try_lock(file: &File, path: &Path) -> Result<bool, HookError> {
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(HookError::io("locking", path, e.into())),
    }
}

/// Asks for one more pass: the flag a running pass picks up.
pub fn request(state_dir: &Path) -> Result<(), HookError> {
    std::fs::create_dir_all(state_dir).map_err(|e| HookError::io("creating", state_dir, e))?;
    let path = flag_path(state_dir);
    std::fs::write(&path, b"").map_err(|e| HookError::io("writing", &path, e))
}

/// Whether a pass has been asked for since the flag was last cleared.
pub fn requested(state_dir: &Path) -> bool {
    flag_path(state_dir).exists()
}

fn clear(state_dir: &Path) {
    let _ = std::fs::remove_file(flag_path(state_dir));
}

/// How [`coalesced`] ended.
#[derive(Debug)]
pub enum Ran<T> {
    /// The passes this call ran (at least one), in order.
    Passes(Vec<T>),
    /// Another pass was running; it runs once more for this request.
    Coalesced,
}

/// Runs `pass` under the pass lock, again while requests arrived during it; or, when a pass is
/// already running, leaves a request for it and returns [`Ran::Coalesced`].
pub fn coalesced<T>(state_dir: &Path, mut pass: impl FnMut() -> T) -> Result<Ran<T>, HookError> {
    let path = lock_path(state_dir);
    let mut out = Vec::new();
    loop {
        let file = open(state_dir)?;
        if !try_lock(&file, &path)? {
            request(state_dir)?;
            // The holder may have looked at the flag and let go just before it was set.
            if !try_lock(&file, &path)? {
                return Ok(if out.is_empty() {
                    Ran::Coalesced
                } else {
                    Ran::Passes(out)
                });
            }
        }
        loop {
            clear(state_dir);
            out.push(pass());
            if !requested(state_dir) {
                break;
            }
        }
        drop(file);
        if !requested(state_dir) {
            return Ok(Ran::Passes(out));
        }
    }
}

/// Runs `f` under the pass lock, waiting for a running pass to end (`on_wait` is called once
/// when it must wait): what `freeze`, `unfreeze` and `rollback` do, so a pass never overwrites
/// their change with its own state.
pub fn exclusive<T>(state_dir: &Path, on_wait: impl FnOnce(), f: impl FnOnce() -> T) -> Result<T, HookError> {
    let path = lock_path(state_dir);
    let file = open(state_dir)?;
    if !try_lock(&file, &path)? {
        on_wait();
        loop {
            match flock(&file, FlockOperation::LockExclusive) {
                Ok(()) => break,
                Err(e) if e == rustix::io::Errno::INTR => std::thread::sleep(Duration::from_millis(50)),
                Err(e) => return Err(HookError::io("locking", &path, e.into())),
            }
        }
    }
    Ok(f())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};

    #[test]
    fn requests_during_a_pass_coalesce_into_one_more() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().to_path_buf();
        let started = Arc::new(Barrier::new(2));
        let proceed = Arc::new(Barrier::new(2));
        let count = Arc::new(AtomicUsize::new(0));
        let runner = {
            let (dir, started, proceed, count) =
                (dir.clone(), started.clone(), proceed.clone(), count.clone());
            std::thread::spawn(move || {
                coalesced(&dir, || {
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    if n == 0 {
                        started.wait();
                        proceed.wait();
                    }
                    n
                })
                .expect("runs")
            })
        };
        started.wait();
        // Three requests while the first pass runs.
        for _ in 0..3 {
            let r = coalesced(&dir, || 99).expect("coalesces");
            assert!(matches!(r, Ran::Coalesced), "{r:?}");
        }
        proceed.wait();
        match runner.join().expect("thread") {
            Ran::Passes(p) => assert_eq!(p, vec![0, 1], "exactly one more pass"),
            Ran::Coalesced => panic!("the first call runs"),
        }
        assert!(!requested(&dir));
        match coalesced(&dir, || 7).expect("free again") {
            Ran::Passes(p) => assert_eq!(p, vec![7]),
            Ran::Coalesced => panic!("nothing runs"),
        }
    }
}
