//! `community.general.git_config` beside ansible-playbook on twin machines: each scope
//! (`global`, the default `system`, `local` in a repository, `file`), `add_mode: add`,
//! `replace-all` over several values (a list in the diff), `state: absent` of a missing and of a
//! set value, and `local` outside a repository (git's failure, ignored). Compared: every config
//! file's bytes, the recaps, the registered results key by key (nothing normalised: the
//! commands and paths are the same on both machines), `changed=0` on a re-run, and a
//! `--check --diff` run that changes nothing.

use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{Differential, machines_repo, playhook_fails};

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - git_config: {name: user.name, value: Deploy Bot, scope: global}
      register: set_global
    - community.general.git_config: {name: core.editor, value: vim}
      register: set_system
    - git_config:
        name: remote.origin.fetch
        value: "+refs/heads/*:refs/remotes/origin/*"
        scope: local
        repo: /srv/repo
      register: set_local
    - git_config: {name: alias.st, value: status, scope: file, file: /srv/extra.gitconfig}
      register: set_file
    - git_config: {name: url.x.insteadOf, value: a, scope: global, add_mode: add}
      register: add_first
    - git_config: {name: url.x.insteadOf, value: b, scope: global, add_mode: add}
      register: add_second
    - git_config: {name: core.pager, scope: global, state: absent}
      register: unset_missing
    - git_config: {name: color.ui, scope: global, state: absent}
      register: unset
    - git_config: {name: multi.v, value: z, scope: global}
      register: replace_multi
    - git_config: {name: a.b, value: x, scope: local, repo: /srv/notarepo}
      register: not_repo
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'set_global': set_global, 'set_system': set_system, 'set_local': set_local, 'set_file': set_file, 'add_first': add_first, 'add_second': add_second, 'unset_missing': unset_missing, 'unset': unset, 'replace_multi': replace_multi, 'not_repo': not_repo} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

/// Every config file the play writes, byte for byte.
fn state(m: &Machine) -> String {
    m.ok(
        "for f in /root/.gitconfig /etc/gitconfig /srv/repo/.git/config /srv/extra.gitconfig; do \
         echo \"== $f\"; cat \"$f\" 2>/dev/null || echo missing; done",
    )
}

#[test]
fn git_config_sets_as_the_collection_does() {
    let trial = Differential::new("git_config", PLAY, state).start();
    trial.prepare(
        "git init -q /srv/repo && mkdir /srv/notarepo && git config --global color.ui true && \
         git config --global --add multi.v x && git config --global --add multi.v y",
    );
    let outcome = trial.run();
    let ours = &outcome.ours;
    assert_eq!(ours["set_global"]["changed"], true, "{ours}");
    assert_eq!(ours["unset_missing"]["msg"], "no setting to unset", "{ours}");
    assert_eq!(
        ours["replace_multi"]["diff"]["before"],
        serde_json::json!(["x", "y"])
    );
    assert_eq!(ours["not_repo"]["failed"], true, "{ours}");
    let files = state(trial.ours());
    for line in [
        "name = Deploy Bot",
        "editor = vim",
        "fetch = +refs/heads/*:refs/remotes/origin/*",
        "st = status",
        "insteadOf = a\n\tinsteadOf = b",
    ] {
        assert!(files.contains(line), "{line} in\n{files}");
    }
    assert!(!files.contains("color"), "color.ui unset:\n{files}");
}

#[test]
fn git_config_bad_input_fails_naming_the_task() {
    let machines = Machines::start(1);
    for (task, want) in [
        ("git_config: {name: a.b, scope: local, value: x}", "missing: repo"),
        ("git_config: {name: a.b, scope: global}", "missing: value"),
        ("git_config: {list_all: true}", "git_config_info"),
        ("git_config: {name: a.b, value: x, type: bool}", "type"),
        (
            "git_config: {name: a.b, value: x, scope: global}\n      environment: {PATH: /nowhere}",
            "`git` is not installed on this host",
        ),
    ] {
        let repo = machines_repo(&machines).file(
            "deploy.yaml",
            &format!("- hosts: all\n  gather_facts: false\n  tasks:\n    - name: set it\n      {task}\n"),
        );
        let out = playhook_fails(&repo, &["deploy"]);
        assert!(out.contains(want), "{task}: {out}");
        assert!(
            out.contains("set it") || out.contains("deploy.yaml"),
            "{task}: {out}"
        );
    }
    let config = machines.machine(0).ok("cat /root/.gitconfig 2>/dev/null || true");
    assert!(
        !config.contains("a.b") && !config.contains("[a]"),
        "nothing set: {config}"
    );
}
