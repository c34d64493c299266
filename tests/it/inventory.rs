//! `playhook inventory` and the inventory library against `ansible-inventory` (the oracle) on
//! the corpus in `tests/corpus/inventory/`, plus the errors users see for broken inventories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use playhook::repo::inventory::{Inventory, InventoryOptions};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/inventory")
}

/// Fails with an install hint when ansible-core is missing.
fn require_ansible() {
    let found = Command::new("ansible-inventory")
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`ansible-inventory` is missing: install the oracle with `pip install ansible-core==2.19.14`"
    );
}

/// A command with a small, fixed environment, run in `dir`.
fn hermetic(program: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear().current_dir(dir);
    for key in ["PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION"] {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd.env("ANSIBLE_NOCOLOR", "1").env("LC_ALL", "C.UTF-8");
    cmd
}

fn playhook(dir: &Path, args: &[String]) -> Output {
    hermetic(env!("CARGO_BIN_EXE_playhook"), dir)
        .arg("inventory")
        .args(["-C", "."])
        .args(args)
        .output()
        .expect("playhook runs")
}

fn ansible_inventory(dir: &Path, args: &[String]) -> Output {
    hermetic("ansible-inventory", dir)
        .args(["--playbook-dir", "."])
        .args(args)
        .output()
        .expect("ansible-inventory runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One corpus case: its directory and the keys of its `case.txt`.
struct Case {
    dir: PathBuf,
    sources: Vec<String>,
    patterns: Vec<String>,
    limits: Vec<String>,
}

impl Case {
    fn load(name: &str) -> Case {
        let dir = corpus().join(name);
        let spec = std::fs::read_to_string(dir.join("case.txt")).expect("case.txt exists");
        let get = |key: &str| -> Option<String> {
            spec.lines()
                .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':')))
                .map(|v| v.trim().to_string())
        };
        let list = |key: &str| -> Vec<String> {
            get(key)
                .map(|v| {
                    v.split(" ; ")
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        Case {
            sources: get("sources")
                .map(|v| v.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
            patterns: list("patterns"),
            limits: list("limits"),
            dir,
        }
    }

    fn source_args(&self) -> Vec<String> {
        self.sources
            .iter()
            .flat_map(|s| ["-i".to_string(), s.clone()])
            .collect()
    }

    /// Runs both tools with the same arguments; their stdout must be equal.
    fn compare(&self, extra: &[&str]) -> String {
        let mut args = self.source_args();
        args.extend(extra.iter().map(|s| s.to_string()));
        let ours = playhook(&self.dir, &args);
        let theirs = ansible_inventory(&self.dir, &args);
        assert!(
            theirs.status.success(),
            "ansible-inventory {args:?} failed in {}:\n{}",
            self.dir.display(),
            text(&theirs.stderr)
        );
        assert!(
            ours.status.success(),
            "playhook inventory {args:?} failed in {}:\n{}",
            self.dir.display(),
            text(&ours.stderr)
        );
        let (ours, theirs) = (text(&ours.stdout), text(&theirs.stdout));
        assert_eq!(
            ours,
            theirs,
            "playhook inventory {args:?} differs from ansible-inventory in {}",
            self.dir.display()
        );
        ours
    }

    fn inventory(&self) -> Inventory {
        let sources: Vec<PathBuf> = self.sources.iter().map(|s| self.dir.join(s)).collect();
        let sources = if sources.is_empty() {
            let config = playhook::repo::config::Config::load(&self.dir).expect("ansible.cfg loads");
            Inventory::default_sources(&self.dir, &config)
        } else {
            sources
        };
        let options = InventoryOptions {
            playbook_dir: Some(self.dir.clone()),
        };
        Inventory::load(&sources, &options).expect("inventory loads")
    }

    /// Everything the case can compare: list, graph with vars, one host, limits and patterns.
    fn check(&self) {
        require_ansible();
        self.compare(&["--list"]);
        self.compare(&["--graph", "--vars"]);
        let inventory = self.inventory();
        let hosts = inventory.select("all").expect("all selects");
        if let Some(host) = hosts.last() {
            self.compare(&["--host", host]);
        }
        if !self.limits.is_empty() {
            self.compare(&["--list", "--limit", &self.limits[0]]);
        }
        let expected = self.oracle_selections();
        let mut lines = expected.lines();
        for pattern in &self.patterns {
            let line = lines.next().expect("one oracle line per pattern");
            let ours = inventory
                .select(pattern)
                .unwrap_or_else(|e| panic!("pattern `{pattern}`: {e}"));
            assert_eq!(
                serde_json::to_string(&ours).expect("json"),
                line,
                "pattern `{pattern}` in {}",
                self.dir.display()
            );
        }
        for limit in &self.limits {
            let line = lines.next().expect("one oracle line per limit");
            let ours = inventory
                .select_limited("all", Some(limit), &self.dir)
                .unwrap_or_else(|e| panic!("limit `{limit}`: {e}"));
            assert_eq!(
                serde_json::to_string(&ours).expect("json"),
                line,
                "limit `{limit}` in {}",
                self.dir.display()
            );
        }
    }

    /// The hosts Ansible's own `InventoryManager` selects for each pattern, then for each limit,
    /// one JSON list a line (one Python process for all of them).
    fn oracle_selections(&self) -> String {
        const SCRIPT: &str = r#"
import json, sys
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
spec = json.loads(sys.argv[1])
inv = InventoryManager(loader=DataLoader(), sources=spec["sources"])
for p in spec["patterns"]:
    print(json.dumps([h.name for h in inv.get_hosts(p)], separators=(",", ":")))
for l in spec["limits"]:
    inv.subset(l)
    print(json.dumps([h.name for h in inv.get_hosts("all")], separators=(",", ":")))
    inv.subset(None)
"#;
        let inventory = self.inventory();
        let sources: Vec<String> = inventory
            .sources()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let spec = serde_json::json!({"sources": sources, "patterns": self.patterns, "limits": self.limits});
        let out = hermetic(&python(), &self.dir)
            .args(["-c", SCRIPT, &spec.to_string()])
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "the pattern oracle failed:\n{}",
            text(&out.stderr)
        );
        text(&out.stdout)
    }
}

/// The Python that runs ansible-core (the interpreter of `ansible-inventory`).
fn python() -> String {
    static PYTHON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PYTHON.get_or_init(find_python).clone()
}

fn find_python() -> String {
    let out = Command::new("ansible-inventory")
        .arg("--version")
        .output()
        .expect("ansible-inventory runs");
    let version = text(&out.stdout);
    let exe = version
        .lines()
        .find_map(|l| l.trim().strip_prefix("python version = "))
        .and_then(|l| {
            l.rsplit_once('(')
                .map(|(_, p)| p.trim_end_matches(')').to_string())
        });
    exe.expect("ansible-inventory --version names its python")
}

#[test]
fn yaml_inventory_with_group_vars_ranges_and_precedence() {
    Case::load("yaml_basic").check();
}
