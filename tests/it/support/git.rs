//! A bare repository pushes go to, a clone to push from, and `git`/`playhook` run with a
//! cleared, fixed environment (HOME, USER and TMPDIR inside the test's directory).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Instant;

/// `BARE.git` plus a working clone `work/`, in one temporary directory.
pub struct Remote {
    dir: tempfile::TempDir,
    pub bare: PathBuf,
    pub work: PathBuf,
}

impl Remote {
    /// An empty bare repository (default branch `main`) and a clone of it.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("create a temp dir");
        let root = dir.path().to_path_buf();
        for d in ["home", "tmp", "out"] {
            std::fs::create_dir_all(root.join(d)).expect("create dir");
        }
        let remote = Remote {
            bare: root.join("bare.git"),
            work: root.join("work"),
            dir,
        };
        let out = remote.git_in(&root, &["init", "-q", "--bare", "-b", "main", "bare.git"]);
        assert!(
            out.status.success(),
            "git init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = remote.git_in(
            &root,
            &[
                "clone",
                "-q",
                &format!("file://{}", remote.bare.display()),
                "work",
            ],
        );
        assert!(
            out.status.success(),
            "git clone: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        remote
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `file://BARE`.
    pub fn url(&self) -> String {
        format!("file://{}", self.bare.display())
    }

    /// Where tasks may write (`ROOT/out`).
    pub fn out(&self) -> PathBuf {
        self.root().join("out")
    }

    /// The temporary directory the hook and playhook see (`ROOT/tmp`).
    pub fn tmp(&self) -> PathBuf {
        self.root().join("tmp")
    }

    /// The fixed environment of every command: nothing from the test runner but PATH.
    pub fn env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.root().join("home"))
            .env("USER", "tester")
            .env("TMPDIR", self.tmp())
            .env("LANG", "C")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Tester")
            .env("GIT_AUTHOR_EMAIL", "tester@example.org")
            .env("GIT_COMMITTER_NAME", "Tester")
            .env("GIT_COMMITTER_EMAIL", "tester@example.org");
    }

    fn git_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(dir);
        self.env(&mut cmd);
        cmd.output()
            .expect("git runs (install it with `apt-get install -y git`)")
    }

    /// `git ARGS` in the clone; fails the test if git fails.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_in(&self.work, args);
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `git ARGS` in the bare repository.
    pub fn git_bare(&self, args: &[&str]) -> Output {
        self.git_in(&self.bare, args)
    }

    /// Writes a file in the clone (creating directories).
    pub fn file(&self, rel: &str, text: &str) -> &Self {
        let path = self.work.join(rel);
        std::fs::create_dir_all(path.parent().expect("a file has a parent")).expect("create dirs");
        std::fs::write(&path, text).expect("write file");
        self
    }

    /// Commits everything in the clone; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// `git push ARGS` from the clone, to the end.
    pub fn push(&self, args: &[&str]) -> Output {
        self.push_child(args).wait_with_output().expect("git push runs")
    }

    /// `git push ARGS` started in its own process group, stderr piped.
    pub fn push_child(&self, args: &[&str]) -> Child {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new("git");
        cmd.arg("push").args(args).current_dir(&self.work);
        self.env(&mut cmd);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        cmd.spawn().expect("git push starts")
    }

    /// `playhook ARGS` with the fixed environment.
    pub fn playhook(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_playhook"));
        cmd.args(args).current_dir(self.root());
        self.env(&mut cmd);
        cmd.output().expect("playhook runs")
    }

    /// `playhook hook install BARE EXTRA...`, which must succeed.
    pub fn install(&self, extra: &[&str]) {
        let bare = self.bare.to_string_lossy().into_owned();
        let mut args = vec!["hook", "install", bare.as_str()];
        args.extend_from_slice(extra);
        let out = self.playhook(&args);
        assert!(out.status.success(), "hook install: {}", text(&out.stderr));
    }

    /// `playhook history -C BARE --json`, parsed.
    pub fn history(&self) -> Vec<serde_json::Value> {
        let bare = self.bare.to_string_lossy().into_owned();
        let out = self.playhook(&["history", "-C", &bare, "--json"]);
        assert!(out.status.success(), "history: {}", text(&out.stderr));
        json_lines(&text(&out.stdout))
    }

    /// `playhook status -C BARE --json`, parsed.
    pub fn status(&self) -> Vec<serde_json::Value> {
        let bare = self.bare.to_string_lossy().into_owned();
        let out = self.playhook(&["status", "-C", &bare, "--json"]);
        assert!(out.status.success(), "status: {}", text(&out.stderr));
        json_lines(&text(&out.stdout))
    }
}

impl Default for Remote {
    fn default() -> Self {
        Self::new()
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

/// Reads a child's stderr line by line as it comes, stamping each line with its arrival time.
pub fn timed_lines(child: &mut Child) -> std::sync::mpsc::Receiver<(Instant, String)> {
    let stderr = child.stderr.take().expect("stderr is piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if tx.send((Instant::now(), line)).is_err() {
                return;
            }
        }
    });
    rx
}
