//! Running the deploy as a child and teeing its output: live to the pusher, plain to the log.
//!
//! The pusher's side may go away at any moment (terminal closed, Ctrl-C, network gone): the
//! runner ignores SIGINT, SIGHUP and SIGPIPE ([`shield_signals`]), runs the deploy in its own
//! process group so the pusher's Ctrl-C never reaches it, writes to the pusher from a separate
//! thread so a stalled connection cannot stall the deploy, and keeps writing the log. SIGTERM
//! is passed on to the deploy, which stops cleanly. The deploy holds the environment's lock too,
//! so a runner killed outright (SIGKILL) leaves no deploy running unlocked.

use std::fs::File;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::signal::unix::{SignalKind, signal};

use super::HookError;
use super::lock::Lock;

/// The pusher's terminal: lines go out from a thread of their own; after the first write
/// error (the pusher is gone) further lines are dropped.
pub struct Sink {
    tx: Option<mpsc::Sender<String>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sink {
    /// Writes lines to `out` (the hook's stderr: git shows it as `remote:` lines).
    pub fn new(mut out: Box<dyn Write + Send>) -> Self {
        let (tx, rx) = mpsc::channel::<String>();
        let thread = std::thread::spawn(move || {
            let mut gone = false;
            for line in rx {
                // Once the pusher is gone, the rest is drained without writing.
                if !gone {
                    gone = out
                        .write_all(line.as_bytes())
                        .and_then(|_| out.write_all(b"\n"))
                        .and_then(|_| out.flush())
                        .is_err();
                }
            }
        });
        Sink {
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    /// Queues one line for the pusher.
    pub fn line(&self, text: &str) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(text.to_string());
        }
    }

    /// Waits until every queued line is written (or dropped).
    pub fn finish(mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Makes SIGINT, SIGHUP and SIGPIPE harmless to this process from now on: their handlers stay
/// installed for the life of the process and do nothing.
pub fn shield_signals() -> Result<(), HookError> {
    let rt = runtime()?;
    rt.block_on(async {
        for kind in [SignalKind::interrupt(), SignalKind::hangup(), SignalKind::pipe()] {
            // Dropping the stream keeps the handler: tokio never uninstalls one.
            let _registered = signal(kind)
                .map_err(|e| HookError::io("installing a signal handler for", "hook runner", e))?;
        }
        Ok(())
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, HookError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| HookError::io("starting the runtime for", "hook runner", e))
}

/// How the child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finished {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// A SIGTERM arrived and was passed on.
    pub terminated: bool,
}

/// Runs `cmd`, sending each line of its stdout and stderr to `sink` (as is, colours included)
/// and to `log` (colours removed). When nothing was sent for `keepalive`, sends a line saying
/// the deploy still runs (naming the last `TASK [...]` seen).
///
/// The child inherits `hold` (the environment's lock) as its stdin: when this process is killed
/// outright, the deploy runs on to its end (as when the pusher leaves) and the next deploy waits
/// for it instead of running beside it.
pub fn run(
    mut cmd: std::process::Command,
    sink: &Sink,
    log: &mut File,
    keepalive: Duration,
    hold: Option<&Lock>,
) -> Result<Finished, HookError> {
    // The lock's open file as the child's stdin: the lock is the open file's, so the child holds
    // it until it exits (the deploy reads nothing from stdin).
    let stdin = match hold {
        Some(lock) => Stdio::from(lock.share()?),
        None => Stdio::null(),
    };
    cmd.stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let program = cmd.get_program().to_os_string();
    let rt = runtime()?;
    rt.block_on(async move {
        let mut term = signal(SignalKind::terminate())
            .map_err(|e| HookError::io("installing a signal handler for", "hook runner", e))?;
        let mut child = tokio::process::Command::from(cmd)
            .spawn()
            .map_err(|e| HookError::io("starting", program.clone(), e))?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        if let Some(out) = child.stdout.take() {
            tokio::spawn(forward(out, tx.clone()));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(forward(err, tx.clone()));
        }
        drop(tx);
        let started = Instant::now();
        let mut last_sent = Instant::now();
        let mut last_task = String::new();
        let mut terminated = false;
        let mut log_ok = true;
        loop {
            let wake = tokio::time::Instant::from_std(last_sent + keepalive);
            tokio::select! {
                line = rx.recv() => match line {
                    Some(line) => {
                        let plain = strip_ansi(&line);
                        if let Some(task) = plain.trim_start().strip_prefix("TASK [") {
                            last_task = format!("TASK [{}", task.trim_end().trim_end_matches('*').trim_end());
                        }
                        if log_ok {
                            log_ok = writeln!(log, "{plain}").and_then(|_| log.flush()).is_ok();
                        }
                        sink.line(&line);
                        last_sent = Instant::now();
                    }
                    None => break,
                },
                _ = tokio::time::sleep_until(wake) => {
                    let secs = started.elapsed().as_secs();
                    if last_task.is_empty() {
                        sink.line(&format!("playhook: still deploying ({secs}s)"));
                    } else {
                        sink.line(&format!("playhook: still deploying: {last_task} ({secs}s)"));
                    }
                    last_sent = Instant::now();
                }
                _ = term.recv() => {
                    terminated = true;
                    if let Some(pid) = child.id().and_then(|p| rustix::process::Pid::from_raw(p as i32)) {
                        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::TERM);
                    }
                }
            }
        }
        let status = child
            .wait()
            .await
            .map_err(|e| HookError::io("waiting for", program, e))?;
        Ok(Finished {
            code: status.code(),
            terminated,
        })
    })
}

async fn forward(stream: impl AsyncRead + Unpin, tx: tokio::sync::mpsc::UnboundedSender<String>) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let text = String::from_utf8_lossy(&buf);
                let line = text.trim_end_matches(['\n', '\r']).to_string();
                if tx.send(line).is_err() {
                    return;
                }
            }
        }
    }
}

/// The text without ANSI escape sequences (colours, cursor movement).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('[') => {
                chars.next();
                // Parameters and intermediates, then one final byte in @..~.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                // OSC: up to BEL or ESC \.
                while let Some(c) = chars.next() {
                    if c == '\x07' || (c == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            Some(_) => {
                chars.next();
            }
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn strips_colours() {
        assert_eq!(strip_ansi("\x1b[1;32mok\x1b[0m: [web1]"), "ok: [web1]");
        assert_eq!(strip_ansi("\x1b]0;title\x07plain"), "plain");
    }

    #[test]
    fn tees_lines_and_keeps_alive() {
        let shared = Shared::default();
        let sink = Sink::new(Box::new(shared.clone()));
        let tmp = tempfile::tempdir().expect("tmp");
        let log_path = tmp.path().join("x.log");
        let mut log = File::create(&log_path).expect("log");
        let mut cmd = std::process::Command::new("sh");
        cmd.args([
            "-c",
            "printf '\\033[32mTASK [a]\\033[0m\\n'; sleep 1.5; echo done >&2; exit 3",
        ]);
        let fin = run(cmd, &sink, &mut log, Duration::from_millis(500), None).expect("runs");
        sink.finish();
        assert_eq!(
            fin,
            Finished {
                code: Some(3),
                terminated: false
            }
        );
        let mut logged = String::new();
        File::open(&log_path)
            .expect("open")
            .read_to_string(&mut logged)
            .expect("read");
        assert_eq!(logged, "TASK [a]\ndone\n");
        let pushed = String::from_utf8(shared.0.lock().expect("lock").clone()).expect("utf8");
        assert!(pushed.starts_with("\x1b[32mTASK [a]\x1b[0m\n"), "{pushed}");
        assert!(
            pushed.contains("playhook: still deploying: TASK [a] ("),
            "{pushed}"
        );
        assert!(pushed.ends_with("done\n"), "{pushed}");
    }
}
