//! A throwaway repository on disk and the `playhook` binary run against it with a clean
//! environment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A repository in a temporary directory.
pub struct TestRepo {
    dir: tempfile::TempDir,
}

impl TestRepo {
    /// An empty repository (no inventory, no ansible.cfg).
    pub fn empty() -> Self {
        TestRepo {
            dir: tempfile::tempdir().expect("create a temp dir"),
        }
    }

    /// An empty repository whose inventory is this machine (`ansible_connection=local`).
    pub fn local() -> Self {
        let repo = TestRepo {
            dir: tempfile::tempdir().expect("create a temp dir"),
        };
        repo.file("hosts", "[web]\nlocalhost ansible_connection=local\n")
            .file(
                "ansible.cfg",
                "[defaults]\ninventory = hosts\ngathering = explicit\n",
            )
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating directories); returns self for chaining.
    pub fn file(self, rel: &str, text: &str) -> Self {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a file has a parent")).expect("create dirs");
        std::fs::write(&path, text).expect("write file");
        self
    }

    /// Copies the directory `from` (a fixture) to `rel` in the repository, modes and links kept.
    pub fn tree(&self, rel: &str, from: &Path) -> &Self {
        let to = self.dir.path().join(rel);
        std::fs::create_dir_all(to.parent().expect("a tree has a parent")).expect("create dirs");
        let status = Command::new("cp")
            .arg("-a")
            .arg(from)
            .arg(&to)
            .status()
            .expect("run cp");
        assert!(status.success(), "cp -a {} {}", from.display(), to.display());
        self
    }

    /// A scratch directory inside the repository, for tasks to write to.
    pub fn out(&self) -> PathBuf {
        let p = self.dir.path().join("out");
        std::fs::create_dir_all(&p).expect("create out dir");
        p
    }

    /// Runs `playhook ARGS -C <repo>` with a cleared environment.
    pub fn playhook(&self, args: &[&str]) -> Run {
        Run(self.command(args).output().expect("run playhook"))
    }

    /// [`TestRepo::playhook`] with `stdin` fed in (never a terminal).
    pub fn playhook_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        use std::io::Write as _;
        use std::process::Stdio;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run playhook");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(stdin.as_bytes())
            .expect("write playhook's stdin");
        Run(child.wait_with_output().expect("run playhook"))
    }

    /// The command `playhook ARGS -C <repo>` with a cleared environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_playhook"));
        cmd.args(args).arg("-C").arg(self.path());
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.path());
        cmd
    }
}

/// One repository deployed by playhook and by ansible-playbook, each writing under its own
/// directory, passed to the playbook as the variable `out`.
pub struct Beside {
    pub run: Run,
    pub ours: PathBuf,
    pub theirs: PathBuf,
    /// ansible-playbook's standard output.
    pub ansible: String,
}

impl TestRepo {
    /// Deploys `deploy.yaml` with `playhook deploy --json` and with ansible-playbook; both must
    /// succeed.
    pub fn deploy_beside_ansible(&self) -> Beside {
        let ours = self.out().join("playhook");
        let theirs = self.out().join("ansible");
        for dir in [&ours, &theirs] {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        let run = self.playhook(&["deploy", "--json", "-e", &format!("out={}", ours.display())]);
        assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
        let ansible = super::ansible_tasks::ansible_command("ansible-playbook")
            .args(["deploy.yaml", "-e", &format!("out={}", theirs.display())])
            .current_dir(self.path())
            .output()
            .expect("ansible-playbook runs");
        let text = String::from_utf8_lossy(&ansible.stdout).into_owned();
        assert!(ansible.status.success(), "{text}");
        Beside {
            run,
            ours,
            theirs,
            ansible: text,
        }
    }
}

impl Beside {
    /// What playhook left in `file` under its directory.
    pub fn ours(&self, file: &str) -> Option<String> {
        std::fs::read_to_string(self.ours.join(file)).ok()
    }

    /// Asserts that both left the same contents in each of `files` (absent on both is the same).
    pub fn assert_same_files(&self, files: &[&str]) {
        for file in files {
            assert_eq!(
                self.ours(file),
                std::fs::read_to_string(self.theirs.join(file)).ok(),
                "{file}: {}",
                self.run.stdout()
            );
        }
    }

    /// Asserts that playhook's recap of `host` has Ansible's ok, changed, unreachable, failed
    /// and skipped counts.
    pub fn assert_same_recap(&self, host: &str) {
        let ours = super::oracle::playhook_recap(&self.run, host);
        let theirs = super::oracle::ansible_recap(&self.ansible, host);
        assert_eq!(theirs, ours, "{}", self.ansible);
    }
}

impl TestRepo {
    /// Runs `ansible-playbook ARGS` in the repository (it may fail): exit code and stdout.
    pub fn ansible_playbook(&self, args: &[&str]) -> (i32, String) {
        let out = super::ansible_tasks::ansible_command("ansible-playbook")
            .args(args)
            .current_dir(self.path())
            .output()
            .expect("ansible-playbook runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}

/// The result of one `playhook` run.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    /// The `--json` events, one per line.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.stdout()
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
            .collect()
    }

    /// The recap counts of `host` from `--json` output.
    pub fn recap(&self, host: &str) -> serde_json::Value {
        let events = self.events();
        let recaps: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "recap").collect();
        assert_eq!(recaps.len(), 1, "exactly one recap event:\n{}", self.stdout());
        recaps[0]["hosts"][host].clone()
    }
}

/// Runs a deploy of a [`with_first_task`] repository; asserts it failed with `code`, that
/// stderr names `needle`, and that nothing ran (`touched` was not created).
pub fn refused(repo: TestRepo, code: i32, needle: &str) {
    let marker = repo.path().join("touched");
    let run = repo.playhook(&["deploy"]);
    assert_eq!(
        run.code(),
        code,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout(),
        run.stderr()
    );
    assert!(
        run.stderr().contains(needle),
        "expected `{needle}` in:\n{}",
        run.stderr()
    );
    assert!(!marker.exists(), "no host may be touched");
}

/// A local repository whose play's first task creates `touched` in it, then `extra` (task lines).
pub fn with_first_task(extra: &str) -> TestRepo {
    let repo = TestRepo::local();
    let marker = repo.path().join("touched");
    repo.file(
        "deploy.yaml",
        &format!(
            "- hosts: web\n  tasks:\n    - command: touch {}\n{extra}",
            marker.display()
        ),
    )
}
