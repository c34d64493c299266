//! One deploy at a time per bare repository and environment, and queued pushes collapsing.
//!
//! The lock is `flock(2)` on `playhook/locks/<environment>.lock`: the kernel releases it when
//! the holder exits, however it exits. The holder writes who it is into the file so that a
//! waiting push can say whom it waits for. Pushes take a ticket from
//! `<environment>.queue` before waiting; when one gets the lock and a later ticket exists for
//! the same ref, it steps aside and the newest commit deploys instead.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{FlockOperation, flock};
use serde::{Deserialize, Serialize};

use super::HookError;

/// A held lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
}

impl Lock {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The locked open file, shared: a child process given it holds the lock until it exits
    /// too (`flock` locks belong to the open file, not to the descriptor).
    pub fn share(&self) -> Result<File, HookError> {
        self.file
            .try_clone()
            .map_err(|e| HookError::io("sharing the lock file", &self.path, e))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Clear the holder line; the kernel releases the lock when the file closes.
        let _ = self.file.set_len(0);
    }
}

fn open_lock_file(path: &Path) -> Result<File, HookError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| HookError::io("creating", dir, e))?;
    }
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| HookError::io("opening the lock file", path, e))
}

/// Takes the lock at `path`, writing `holder` into it once held.
///
/// While another process holds it, `on_wait(holder_of_the_other, waited)` is called at once and
/// then about every `every`, with what that process wrote.
pub fn acquire(
    path: &Path,
    holder: &str,
    every: Duration,
    on_wait: &mut dyn FnMut(&str, Duration),
) -> Result<Lock, HookError> {
    let mut file = open_lock_file(path)?;
    let start = Instant::now();
    let mut next_report = start;
    loop {
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => break,
            Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => {
                if Instant::now() >= next_report {
                    let mut text = String::new();
                    let _ = file
                        .seek(SeekFrom::Start(0))
                        .and_then(|_| file.read_to_string(&mut text));
                    let who = text.trim();
                    on_wait(
                        if who.is_empty() { "another deploy" } else { who },
                        start.elapsed(),
                    );
                    next_report = Instant::now() + every;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => return Err(HookError::io("locking", path, e.into())),
        }
    }
    file.set_len(0)
        .and_then(|_| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(format!("{holder}\n").as_bytes()))
        .map_err(|e| HookError::io("writing the holder into", path, e))?;
    Ok(Lock {
        file,
        path: path.to_path_buf(),
    })
}

/// The lock file of an environment.
pub fn environment_lock(locks: &Path, environment: &str) -> PathBuf {
    locks.join(format!("{environment}.lock"))
}

/// The pushes waiting per ref: the newest ticket and its commit.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Queue {
    last_ticket: u64,
    refs: BTreeMap<String, Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    ticket: u64,
    commit: String,
}

fn with_queue<T>(locks: &Path, environment: &str, f: impl FnOnce(&mut Queue) -> T) -> Result<T, HookError> {
    let guard_path = locks.join(format!("{environment}.queue.lock"));
    let guard = open_lock_file(&guard_path)?;
    flock(&guard, FlockOperation::LockExclusive)
        .map_err(|e| HookError::io("locking", &guard_path, e.into()))?;
    let path = locks.join(format!("{environment}.queue.json"));
    let mut queue: Queue = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).unwrap_or_default(),
        Err(_) => Queue::default(),
    };
    let out = f(&mut queue);
    let text = serde_json::to_string_pretty(&queue).expect("the queue serializes");
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, &path))
        .map_err(|e| HookError::io("writing", &path, e))?;
    Ok(out)
}

/// Records that a push of `commit` to `refname` waits to deploy; returns its ticket.
pub fn enqueue(locks: &Path, environment: &str, refname: &str, commit: &str) -> Result<u64, HookError> {
    with_queue(locks, environment, |q| {
        q.last_ticket += 1;
        q.refs.insert(
            refname.to_string(),
            Entry {
                ticket: q.last_ticket,
                commit: commit.to_string(),
            },
        );
        q.last_ticket
    })
}

/// The commit of a later push to the same ref, if one queued after `ticket`.
pub fn superseded_by(
    locks: &Path,
    environment: &str,
    refname: &str,
    ticket: u64,
) -> Result<Option<String>, HookError> {
    with_queue(locks, environment, |q| {
        q.refs
            .get(refname)
            .filter(|e| e.ticket > ticket)
            .map(|e| e.commit.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_taker_waits_and_sees_the_holder() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = environment_lock(tmp.path(), "prod");
        let first = acquire(
            &path,
            "alice deploying abc",
            Duration::from_secs(5),
            &mut |_, _| {},
        )
        .expect("free lock");
        let path2 = path.clone();
        let waiter = std::thread::spawn(move || {
            let mut seen = Vec::new();
            let lock = acquire(&path2, "bob", Duration::from_millis(200), &mut |who, _| {
                seen.push(who.to_string())
            })
            .expect("eventually");
            drop(lock);
            seen
        });
        std::thread::sleep(Duration::from_millis(700));
        drop(first);
        let seen = waiter.join().expect("thread");
        assert!(!seen.is_empty());
        assert_eq!(seen[0], "alice deploying abc");
    }

    #[test]
    fn later_pushes_to_the_same_ref_supersede() {
        let tmp = tempfile::tempdir().expect("tmp");
        let a = enqueue(tmp.path(), "prod", "refs/heads/main", "aaa").expect("enqueue");
        let b = enqueue(tmp.path(), "prod", "refs/heads/main", "bbb").expect("enqueue");
        let c = enqueue(tmp.path(), "prod", "refs/heads/other", "ccc").expect("enqueue");
        assert!(a < b && b < c);
        assert_eq!(
            superseded_by(tmp.path(), "prod", "refs/heads/main", a).expect("q"),
            Some("bbb".into())
        );
        assert_eq!(
            superseded_by(tmp.path(), "prod", "refs/heads/main", b).expect("q"),
            None
        );
        assert_eq!(
            superseded_by(tmp.path(), "prod", "refs/heads/other", c).expect("q"),
            None
        );
    }
}
