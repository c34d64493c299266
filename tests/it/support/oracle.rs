//! ansible-core as the oracle on twin machines: the same play applied by `ansible-playbook` to
//! one fresh machine and by `playhook deploy` to its twin, then their recaps and registered
//! results compared (`results.rs`, key by key with named exceptions), a re-run that must change
//! nothing, and check-mode runs. Also the one-line failure reader of the bad-input tests.
//!
//! A test holds a [`Twins`]: machine 0 is Ansible's (`theirs`, playbook `ansible.yaml`), machine 1
//! playhook's (`ours`, playbook `deploy.yaml`); further machines are the test's own.
//! [`Differential`] is the standard whole flow (check mode on a third machine, the applying
//! runs with their dumped results compared, the re-runs) for one play both sides share.

mod differential;
mod results;

pub use differential::{Differential, RESULTS};
pub use results::{Rule, Site, assert_same_results};

use serde_json::Value as Json;

use super::ansible_tasks::ansible_command;
use super::machines::{Machine, Machines};
use super::repo::{Run, TestRepo};

/// A repository whose inventory is `machines` (`inventory.yml`, facts gathered only on request).
pub fn machines_repo(machines: &Machines) -> TestRepo {
    TestRepo::local()
        .file("inventory.yml", &machines.inventory_yaml())
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = inventory.yml\ngathering = explicit\n",
        )
}

/// Runs `ansible-playbook -i <machines' inventory> PLAYBOOK ARGS` in `repo`; panics with its
/// output unless it succeeds, returns its standard output.
pub fn ansible_playbook(repo: &TestRepo, machines: &Machines, playbook: &str, args: &[&str]) -> String {
    let out = ansible_command("ansible-playbook")
        .arg("-i")
        .arg(machines.inventory())
        .arg(playbook)
        .args(args)
        .current_dir(repo.path())
        .env("HOME", repo.path())
        .output()
        .expect("running ansible-playbook");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ansible-playbook {playbook} {args:?}:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs `playhook ARGS` in `repo`; panics with its output unless it exits 0.
pub fn playhook_ok(repo: &TestRepo, args: &[&str]) -> Run {
    let run = repo.playhook(args);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    run
}

/// `playhook deploy --json ARGS` in `repo`, which must exit 0.
pub fn playhook_deploy(repo: &TestRepo, args: &[&str]) -> Run {
    let mut all = vec!["deploy", "--json"];
    all.extend_from_slice(args);
    playhook_ok(repo, &all)
}

/// The rule that skips `keys` wherever they are and compares everything else in full.
pub fn skipping<'a>(keys: &'a [&'a str]) -> impl Fn(&Site) -> Rule + 'a {
    move |site| {
        if keys.contains(&site.key) {
            Rule::Skip
        } else {
            Rule::Equal
        }
    }
}

/// Ansible's recap of `host` as `ok=N changed=N unreachable=N failed=N skipped=N`.
pub fn ansible_recap(stdout: &str, host: &str) -> String {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(host) && l.contains("ok="))
        .unwrap_or_default()
        .split_whitespace()
        .skip(2)
        .take(5)
        .collect::<Vec<_>>()
        .join(" ")
}

/// playhook's recap of `host` (from `--json` events) in the words of [`ansible_recap`].
pub fn playhook_recap(run: &Run, host: &str) -> String {
    let recap = run.recap(host);
    ["ok", "changed", "unreachable", "failed", "skipped"]
        .map(|k| format!("{k}={}", recap[k]))
        .join(" ")
}

/// Asserts playhook's recap of each of `hosts` is Ansible's (`ansible`: its standard output).
pub fn assert_same_recaps(ansible: &str, run: &Run, hosts: &[&str]) {
    for host in hosts {
        assert_eq!(
            playhook_recap(run, host),
            ansible_recap(ansible, host),
            "{host}\n{ansible}\n{}",
            run.stdout()
        );
    }
}

/// A machine's JSON file (the registered results a play dumped).
pub fn read_json(m: &Machine, path: &str) -> Json {
    let text = m.read(path).unwrap_or_else(|| panic!("{path} on {}", m.name));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} on {}: {e}\n{text}", m.name))
}

/// Runs `playhook ARGS` in `repo`, which must fail; its standard output and error.
pub fn playhook_fails(repo: &TestRepo, args: &[&str]) -> String {
    let run = repo.playhook(args);
    let text = format!("{}{}", run.stdout(), run.stderr());
    assert_ne!(run.code(), 0, "playhook {args:?} succeeded:\n{text}");
    text
}

/// The one failure printed for `host` in `text` (`fatal: [HOST]: FAILED! => {...}`), as JSON;
/// asserts there is exactly one and that its `msg` is one non-empty line.
pub fn fatal(text: &str, host: &str) -> Json {
    let start = format!("fatal: [{host}]: FAILED! => ");
    let blocks: Vec<&str> = text.split(start.as_str()).skip(1).collect();
    assert_eq!(blocks.len(), 1, "one failure for {host}:\n{text}");
    let json = match blocks[0].find("\n}") {
        Some(end) => &blocks[0][..end + 2],
        None => blocks[0].lines().next().unwrap_or_default(),
    };
    let result: Json = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let msg = result["msg"].as_str().unwrap_or_default();
    assert!(
        !msg.is_empty() && !msg.contains('\n'),
        "one line for {host}: {msg:?}"
    );
    result
}

/// Deploys, with playhook, a play on every machine of `machines`: `task` (one task as a YAML
/// flow mapping, e.g. `apt: {name: x}`), then a copy writing `finished` to `/root/finished`.
/// The deploy must fail; its stdout and stderr.
pub fn deploy_failing(machines: &Machines, task: &str) -> String {
    let play = format!(
        "- hosts: machines\n  gather_facts: false\n  tasks:\n    - {task}\n    \
         - copy: {{content: \"finished\\n\", dest: /root/finished}}\n"
    );
    let repo = machines_repo(machines).file("deploy.yaml", &play);
    playhook_fails(&repo, &["deploy"])
}

/// Fresh machines and a repository for a differential run; see the module docs.
pub struct Twins {
    pub machines: Machines,
    pub repo: TestRepo,
}

impl Twins {
    /// Boots `n` (at least 2) machines; the repository has their inventory, `ansible.yaml` =
    /// `play(theirs)` and `deploy.yaml` = `play(ours)`, `play` given the host's inventory name.
    pub fn start(n: usize, play: impl Fn(&str) -> String) -> Twins {
        assert!(n >= 2, "twins are two machines at least");
        let machines = Machines::start(n);
        let repo = machines_repo(&machines)
            .file("ansible.yaml", &play(&machines.machine(0).name))
            .file("deploy.yaml", &play(&machines.machine(1).name));
        Twins { machines, repo }
    }

    /// Ansible's machine.
    pub fn theirs(&self) -> &Machine {
        self.machines.machine(0)
    }

    /// playhook's machine.
    pub fn ours(&self) -> &Machine {
        self.machines.machine(1)
    }

    /// `ansible-playbook ansible.yaml ARGS`, which must succeed; its standard output.
    pub fn ansible(&self, args: &[&str]) -> String {
        ansible_playbook(&self.repo, &self.machines, "ansible.yaml", args)
    }

    /// `playhook deploy --json ARGS`, which must exit 0.
    pub fn playhook(&self, args: &[&str]) -> Run {
        playhook_deploy(&self.repo, args)
    }

    /// Asserts playhook's recap of its machine is Ansible's of its own.
    pub fn assert_same_recap(&self, ansible: &str, run: &Run) {
        assert_eq!(
            playhook_recap(run, &self.ours().name),
            ansible_recap(ansible, &self.theirs().name),
            "recaps differ:\n{ansible}\n{}",
            run.stdout()
        );
    }

    /// Asserts both runs (a re-run) changed nothing.
    pub fn assert_changed_nothing(&self, ansible: &str, run: &Run) {
        assert!(
            ansible_recap(ansible, &self.theirs().name).contains("changed=0"),
            "{ansible}"
        );
        assert!(
            playhook_recap(run, &self.ours().name).contains("changed=0"),
            "{}",
            run.stdout()
        );
    }
}
