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

fn playhook(dir: &Path, args: &[String], env: &[(String, String)]) -> Output {
    hermetic(env!("CARGO_BIN_EXE_playhook"), dir)
        .envs(env.iter().cloned())
        .arg("inventory")
        .args(["-C", "."])
        .args(args)
        .output()
        .expect("playhook runs")
}

fn ansible_inventory(dir: &Path, args: &[String], env: &[(String, String)]) -> Output {
    hermetic("ansible-inventory", dir)
        .envs(env.iter().cloned())
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
    /// `-e` arguments given to both tools.
    extra_vars: Vec<String>,
    /// Variables added to the environment of both tools (inventory scripts read them).
    env: Vec<(String, String)>,
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
            extra_vars: list("extra_vars"),
            env: get("env")
                .map(|v| {
                    v.split_whitespace()
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect()
                })
                .unwrap_or_default(),
            dir,
        }
    }

    fn source_args(&self) -> Vec<String> {
        self.sources
            .iter()
            .flat_map(|s| ["-i".to_string(), s.clone()])
            .collect()
    }

    /// The sources and the `-e` arguments.
    fn common_args(&self) -> Vec<String> {
        let mut args = self.source_args();
        args.extend(self.extra_vars.iter().flat_map(|e| ["-e".to_string(), e.clone()]));
        args
    }

    /// Runs both tools with the same arguments; their stdout must be equal.
    fn compare(&self, extra: &[&str]) -> String {
        let mut args = self.common_args();
        args.extend(extra.iter().map(|s| s.to_string()));
        let ours = playhook(&self.dir, &args, &self.env);
        let theirs = ansible_inventory(&self.dir, &args, &self.env);
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
            .envs(self.env.iter().cloned())
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

#[test]
fn ini_inventory_with_python_literals_children_and_ports() {
    Case::load("ini_basic").check();
}

#[test]
fn directory_of_yaml_ini_and_script_with_ignored_files_and_vars_directories() {
    Case::load("directory").check();
}

#[test]
fn script_without_meta_is_asked_per_host_and_inherits_the_environment() {
    Case::load("script_host").check();
}

#[test]
fn precedence_of_groups_priorities_sources_and_playbook_vars() {
    Case::load("precedence").check();
}

#[test]
fn inventory_from_ansible_cfg_when_none_is_given() {
    Case::load("config_default").check();
}

/// A scratch repository with the given files (`+x` on names ending in `.sh` or without a dot).
fn scratch(files: &[(&str, &str)]) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, content).expect("write");
        if content.starts_with("#!") {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }
    dir
}

/// Runs `playhook inventory ARGS` in `dir`; it must fail. Returns its stderr.
fn failing(dir: &Path, args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = playhook(dir, &args, &[]);
    assert!(!out.status.success(), "playhook inventory {args:?} should fail");
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout when failing: {}",
        text(&out.stdout)
    );
    text(&out.stderr)
}

#[test]
fn a_failing_script_is_named_with_its_exit_status_and_stderr() {
    let repo = scratch(&[("inv.sh", "#!/bin/sh\necho 'cannot reach the API' >&2\nexit 3\n")]);
    let err = failing(repo.path(), &["-i", "inv.sh", "--list"]);
    assert!(
        err.contains("inventory script `inv.sh --list` exited with status 3"),
        "{err}"
    );
    assert!(err.contains("cannot reach the API"), "{err}");
}

#[test]
fn a_script_printing_invalid_json_is_named_with_its_stderr() {
    let repo = scratch(&[(
        "inv.sh",
        "#!/bin/sh\necho 'fetching...' >&2\necho '{\"web\": ['\n",
    )]);
    let err = failing(repo.path(), &["-i", "inv.sh", "--graph"]);
    assert!(
        err.contains("inventory script `inv.sh --list` printed invalid JSON"),
        "{err}"
    );
    assert!(err.contains("fetching..."), "{err}");
}

#[test]
fn a_script_failing_for_one_host_is_named_with_the_host() {
    let script = "#!/bin/sh\nif [ \"$1\" = --list ]; then echo '{\"web\": [\"w1\"]}'; else echo \"no such host $2\" >&2; exit 1; fi\n";
    let repo = scratch(&[("inv.sh", script)]);
    let err = failing(repo.path(), &["-i", "inv.sh", "--list"]);
    assert!(
        err.contains("inventory script `inv.sh --host w1` exited with status 1"),
        "{err}"
    );
    assert!(err.contains("no such host w1"), "{err}");
}

#[test]
fn yaml_and_ini_mistakes_name_file_and_line() {
    let repo = scratch(&[
        ("bad.yml", "web:\n  hosts:\n    w1: [unclosed\n"),
        ("bad.ini", "[web]\nw1\nw2 novalue\n"),
        ("children.ini", "[all:children]\nweb\n"),
        ("vars/hosts.yml", "web:\n  hosts:\n    w1:\n"),
        ("vars/group_vars/web.yml", "ok: 1\n- not a mapping\n"),
    ]);
    let err = failing(repo.path(), &["-i", "bad.yml", "--list"]);
    assert!(err.contains("bad.yml:4:") || err.contains("bad.yml:3:"), "{err}");
    let err = failing(repo.path(), &["-i", "bad.ini", "--list"]);
    assert!(
        err.contains("bad.ini:3: expected key=value host variable, got `novalue`"),
        "{err}"
    );
    let err = failing(repo.path(), &["-i", "children.ini", "--list"]);
    assert!(err.contains("children.ini:2:") && err.contains("`web`"), "{err}");
    let err = failing(repo.path(), &["-i", "vars/hosts.yml", "--list"]);
    assert!(err.contains("group_vars/web.yml:"), "{err}");
}

#[test]
fn unknown_names_in_patterns_are_errors_naming_them() {
    let repo = scratch(&[("hosts.yml", "web:\n  hosts:\n    w1:\ndb:\n  hosts:\n    d1:\n")]);
    let inventory =
        Inventory::load(&[repo.path().join("hosts.yml")], &InventoryOptions::default()).expect("loads");
    let err = inventory.select("web:webservers").expect_err("unknown group");
    assert_eq!(
        err.to_string(),
        "host pattern `web:webservers`: `webservers` is neither a group nor a host of the inventory \
         (groups: db, web)"
    );
    // Globs and regexes matching nothing are empty, as in Ansible.
    assert_eq!(inventory.select("x*").expect("glob"), Vec::<String>::new());
    assert_eq!(
        inventory.select("web[5]").expect_err("subscript").to_string(),
        "host pattern `web[5]`: no hosts matched the subscripted pattern `web[5]`"
    );
    let (hosts, unmatched) = inventory.select_lenient("web:webservers").expect("lenient");
    assert_eq!(
        (hosts, unmatched),
        (vec!["w1".to_string()], vec!["webservers".to_string()])
    );
    let err = failing(repo.path(), &["-i", "hosts.yml", "--host", "nosuch"]);
    assert!(err.contains("`nosuch`"), "{err}");
    let err = failing(repo.path(), &["-i", "hosts.yml", "--graph", "nosuch"]);
    assert!(err.contains("no group `nosuch`"), "{err}");
}

#[test]
fn bad_ansible_cfg_values_name_the_line() {
    let repo = scratch(&[("ansible.cfg", "[defaults]\n# many\nforks = lots\n")]);
    let err = failing(repo.path(), &["--list"]);
    assert!(
        err.contains("ansible.cfg:3: `forks` in [defaults] must be a positive integer, got `lots`"),
        "{err}"
    );
}

#[test]
fn default_inventory_is_the_repository_inventory_dir_then_hosts_then_localhost() {
    let config = playhook::repo::config::Config::default();
    let both = scratch(&[("inventory/a.yml", "g:\n  hosts:\n    a:\n"), ("hosts", "b\n")]);
    assert_eq!(
        Inventory::default_sources(both.path(), &config),
        [both.path().join("inventory")]
    );
    let hosts = scratch(&[("hosts", "b\n")]);
    assert_eq!(
        Inventory::default_sources(hosts.path(), &config),
        [hosts.path().join("hosts")]
    );
    let none = scratch(&[]);
    let sources = Inventory::default_sources(none.path(), &config);
    assert!(sources.is_empty());
    let inventory = Inventory::load(&sources, &InventoryOptions::default()).expect("empty inventory");
    assert_eq!(inventory.select("all").expect("all"), Vec::<String>::new());
    assert_eq!(inventory.select("localhost").expect("localhost"), ["localhost"]);
    assert_eq!(
        inventory
            .host_vars("localhost")
            .get_attr("ansible_connection")
            .expect("var"),
        "local".into()
    );
}

#[test]
fn magic_variables_and_groups_for_the_executor() {
    let repo = scratch(&[(
        "hosts.ini",
        "[web]\nweb1.example.com\n10.0.0.5\n[prod:children]\nweb\n",
    )]);
    let inventory =
        Inventory::load(&[repo.path().join("hosts.ini")], &InventoryOptions::default()).expect("loads");
    assert_eq!(inventory.group_names("web1.example.com"), ["prod", "web"]);
    let magic = inventory.magic_vars("web1.example.com");
    assert_eq!(magic["inventory_hostname_short"], "web1".into());
    assert_eq!(
        inventory.magic_vars("10.0.0.5")["inventory_hostname_short"],
        "10.0.0.5".into()
    );
    assert_eq!(magic["inventory_dir"], repo.path().display().to_string().into());
    let groups = inventory.groups_value();
    let prod: Vec<String> = groups
        .get_attr("prod")
        .expect("prod")
        .try_iter()
        .expect("list")
        .map(|h| h.to_string())
        .collect();
    assert_eq!(prod, ["web1.example.com", "10.0.0.5"]);
    assert_eq!(groups.get_attr("ungrouped").expect("ungrouped").len(), Some(0));
}

#[test]
fn ini_and_yaml_sources_sharing_groups_hosts_and_priorities() {
    Case::load("mixed").check();
}

/// Variable names and values, as written in an inventory file.
type Pairs = Vec<(String, String)>;

/// A small deterministic generator (the tests must be reproducible).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.next(100) < percent
    }
}

/// A random inventory: groups `g0..g5` (children only point to higher numbers, so no loops),
/// hosts `h0..h9`, conflicting variables at every level, `ansible_group_priority` sometimes,
/// `group_vars/`/`host_vars/` beside the inventory and beside the playbook.
fn random_repo(seed: u64, ini: bool) -> tempfile::TempDir {
    let mut rng = Lcg(seed);
    let groups: Vec<String> = (0..6).map(|i| format!("g{i}")).collect();
    let hosts: Vec<String> = (0..10).map(|i| format!("h{i}")).collect();
    let values = ["1", "two", "3.5", "yes", "[1, 2]", "{'a': 1}", "''"];
    let yaml_values = ["1", "two", "3.5", "yes", "[1, 2]", "{a: 1}", "''", "{b: [x]}"];
    let mut members: Vec<Vec<(String, Pairs)>> = vec![Vec::new(); groups.len()];
    let mut children: Vec<Vec<String>> = vec![Vec::new(); groups.len()];
    let mut gvars: Vec<Vec<(String, String)>> = vec![Vec::new(); groups.len()];
    for (gi, _) in groups.iter().enumerate() {
        for (ci, child) in groups.iter().enumerate().skip(gi + 1) {
            if rng.chance(25) && ci != gi {
                children[gi].push(child.clone());
            }
        }
        for h in &hosts {
            if rng.chance(30) {
                let mut hv = Vec::new();
                for k in 0..3 {
                    if rng.chance(30) {
                        let v = if ini {
                            values[rng.next(values.len())]
                        } else {
                            yaml_values[rng.next(yaml_values.len())]
                        };
                        hv.push((format!("k{k}"), v.to_string()));
                    }
                }
                members[gi].push((h.clone(), hv));
            }
        }
        for k in 0..4 {
            if rng.chance(40) {
                let v = if ini {
                    values[rng.next(values.len())]
                } else {
                    yaml_values[rng.next(yaml_values.len())]
                };
                gvars[gi].push((format!("k{k}"), v.to_string()));
            }
        }
        if rng.chance(60) {
            gvars[gi].push(("ansible_group_priority".into(), (rng.next(9) + 1).to_string()));
        }
        gvars[gi].push(("from".into(), format!("inline-{}", groups[gi])));
    }
    let mut text = String::new();
    if ini {
        text.push_str("lonely k0=ungrouped\n");
        for (gi, g) in groups.iter().enumerate() {
            text.push_str(&format!("[{g}]\n"));
            for (h, hv) in &members[gi] {
                let vars: Vec<String> = hv.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
                text.push_str(&format!("{h} {}\n", vars.join(" ")));
            }
            if !children[gi].is_empty() {
                text.push_str(&format!("[{g}:children]\n{}\n", children[gi].join("\n")));
            }
            text.push_str(&format!("[{g}:vars]\n"));
            for (k, v) in &gvars[gi] {
                text.push_str(&format!("{k}={v}\n"));
            }
        }
        text.push_str("[all:vars]\nk0=all\nk1=all\n");
    } else {
        text.push_str("all:\n  vars: {k0: all, k1: all}\n  hosts:\n    lonely: {k0: ungrouped}\n");
        for (gi, g) in groups.iter().enumerate() {
            text.push_str(&format!("{g}:\n  vars:\n"));
            for (k, v) in &gvars[gi] {
                text.push_str(&format!("    {k}: {v}\n"));
            }
            if !members[gi].is_empty() {
                text.push_str("  hosts:\n");
                for (h, hv) in &members[gi] {
                    let vars: Vec<String> = hv.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                    text.push_str(&format!("    {h}: {{{}}}\n", vars.join(", ")));
                }
            }
            if !children[gi].is_empty() {
                text.push_str("  children:\n");
                for c in &children[gi] {
                    text.push_str(&format!("    {c}:\n"));
                }
            }
        }
    }
    let mut files: Vec<(String, String)> =
        vec![(format!("inv/hosts.{}", if ini { "ini" } else { "yml" }), text)];
    for (dir, label) in [("inv/", "inv"), ("", "playbook")] {
        for g in groups.iter().chain(["all".to_string()].iter()) {
            if rng.chance(35) {
                files.push((
                    format!("{dir}group_vars/{g}.yml"),
                    format!("k{}: {label}-{g}\nfrom: {label}\n", rng.next(4)),
                ));
            }
        }
        for h in &hosts {
            if rng.chance(20) {
                files.push((
                    format!("{dir}host_vars/{h}"),
                    format!("k{}: {label}-{h}\n", rng.next(4)),
                ));
            }
        }
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    scratch(&refs)
}

#[test]
fn random_inventories_match_ansible() {
    require_ansible();
    for (seed, ini) in [
        (1, false),
        (2, true),
        (3, false),
        (4, true),
        (5, false),
        (6, true),
    ] {
        let repo = random_repo(seed, ini);
        let source = format!("inv/hosts.{}", if ini { "ini" } else { "yml" });
        let case = Case {
            dir: repo.path().to_path_buf(),
            sources: vec![source],
            patterns: Vec::new(),
            limits: Vec::new(),
            extra_vars: Vec::new(),
            env: Vec::new(),
        };
        case.compare(&["--list"]);
        case.compare(&["--graph", "--vars"]);
    }
}

#[test]
fn dash_c_finds_sources_extra_vars_and_playbook_vars_in_the_repository() {
    let repo = corpus().join("yaml_basic");
    let args = |dir: &str| -> Vec<String> {
        [
            "-C",
            dir,
            "-i",
            "inv/hosts.yml",
            "-e",
            "@extra.yml",
            "--host",
            "web01",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let inside = hermetic(env!("CARGO_BIN_EXE_playhook"), &repo)
        .arg("inventory")
        .args(args("."))
        .output()
        .expect("runs");
    let outside = hermetic(env!("CARGO_BIN_EXE_playhook"), Path::new("/"))
        .arg("inventory")
        .args(args(&repo.display().to_string()))
        .output()
        .expect("runs");
    assert!(inside.status.success(), "{}", text(&inside.stderr));
    assert_eq!(
        text(&inside.stdout),
        text(&outside.stdout),
        "{}",
        text(&outside.stderr)
    );
    let vars: serde_json::Value = serde_json::from_slice(&outside.stdout).expect("json");
    assert_eq!(vars["phv"], "playbook", "host_vars beside the playbook apply");
    assert_eq!(vars["from_file"], 1, "-e @file is read from the repository");
}
