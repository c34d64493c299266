//! `git` against ansible-core 2.19 on real machines: every machine gets the same repositories
//! (fixed author and dates, so commit ids are equal everywhere), served as bare repositories
//! from /srv by path and `file://` URL; one play clones and updates them in the ways roles do
//! (the remote HEAD, a branch shallow, a tag without submodules, a commit id, bare, single
//! branch with a umask, local modifications with `force`, a changed remote URL, `update: no`,
//! `clone: no`, local modifications without `force`) run by ansible-playbook on one fresh
//! machine and by playhook on its twin. Compared: each checkout's HEAD, refs, status, remote
//! and branch config, submodules and the worktree's files with modes, and every registered
//! result key by key; a re-run changes nothing on both; `--check --diff` on a third fresh
//! machine changes nothing and counts what Ansible counts. Bad input fails naming the task.

use serde_json::Value as Json;

use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{Differential, machines_repo, playhook_fails};

/// Makes the repositories and the prepared checkouts on a machine.
const PREPARE: &str = r#"set -e
git config --system protocol.file.allow always
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export GIT_AUTHOR_DATE=2020-01-01T00:00:00Z GIT_COMMITTER_DATE=2020-01-01T00:00:00Z
mkdir -p /srv/work && cd /srv/work
git init -q -b main lib && cd lib && echo lib >lib.txt && git add . && git commit -qm lib && cd ..
git clone -q --bare lib /srv/lib.git
git init -q -b main app && cd app
echo one >f.txt && git add . && git commit -qm one && git tag v1
echo two >f.txt && git commit -qam two && git tag -a v2 -m 'release 2'
git submodule -q add /srv/lib.git lib && git commit -qm 'lib submodule'
git checkout -qb dev && echo three >f.txt && mkdir -p bin && echo '#!/bin/sh' >bin/run && chmod 755 bin/run && git add . && git commit -qm three
git checkout -q main && cd ..
git clone -q --bare app /srv/app.git
git clone -q /srv/app.git /srv/co-mods && echo changed >/srv/co-mods/f.txt
git clone -q /srv/app.git /srv/co-dirty && echo dirty >/srv/co-dirty/f.txt
git clone -q /srv/work/app /srv/co-url
"#;

/// The play; with `dump`, every registered result is written to /root/results.json.
const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - command: git -C /srv/work/app rev-list --max-parents=0 HEAD
      register: first
      changed_when: false
      check_mode: false
    - git: {repo: /srv/app.git, dest: /srv/co-head}
      register: r_head
    - git: {repo: "file:///srv/app.git", dest: /srv/co-dev, version: dev, depth: 1}
      register: r_dev
    - ansible.builtin.git: {repo: /srv/app.git, dest: /srv/co-tag, version: v2, recursive: false}
      register: r_tag
    - git: {repo: /srv/app.git, dest: /srv/co-sha, version: "{{ first.stdout }}"}
      register: r_sha
    - git: {repo: /srv/app.git, dest: /srv/bare.git, bare: true}
      register: r_bare
    - git: {repo: /srv/app.git, dest: /srv/co-single, version: dev, single_branch: true, umask: "0027"}
      register: r_single
    - git: {repo: /srv/app.git, dest: /srv/co-mods, force: true}
      register: r_mods
    - git: {name: /srv/app.git, dest: /srv/co-url, accept_hostkey: true}
      register: r_url
    - git: {repo: /srv/app.git, dest: /srv/co-head, update: false}
      register: r_noupdate
    - git: {repo: /srv/app.git, version: v1, clone: false}
      register: r_noclone
      changed_when: false
    - git: {repo: /srv/app.git, dest: /srv/co-dirty}
      register: r_dirty
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'head': r_head, 'dev': r_dev, 'tag': r_tag, 'sha': r_sha, 'bare': r_bare, 'single': r_single, 'mods': r_mods, 'url': r_url, 'noupdate': r_noupdate, 'noclone': r_noclone, 'dirty': r_dirty} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

/// Keys that are not the module's or cannot be equal: Ansible's `invocation`, the
/// executor's `_ansible_*`, `exception` (2.19's "(traceback unavailable)" on every module
/// failure, not the module's), and `cmd` (Ansible quotes its argument list with shlex).
const SKIPPED: &[&str] = &["invocation", "_ansible_no_log", "exception", "cmd"];

const CHECKOUTS: &str = "/srv/co-head /srv/co-dev /srv/co-tag /srv/co-sha /srv/bare.git /srv/co-single /srv/co-mods /srv/co-url /srv/co-dirty";

/// Each checkout as git sees it, and the worktrees' files with their modes.
fn state(m: &Machine) -> String {
    m.ok(&format!(
        r#"for d in {CHECKOUTS}; do
  echo "== $d"; [ -e "$d" ] || continue
  git -C "$d" rev-parse HEAD
  git -C "$d" for-each-ref --format='%(refname) %(objectname)'
  git -C "$d" status --porcelain 2>&1 || true
  git -C "$d" config --get-regexp '^(remote|branch|core\.bare)' || true
  git -C "$d" submodule status 2>/dev/null || true
  git -C "$d" rev-parse --is-shallow-repository
done
find /srv -path /srv/work -prune -o -path '*/.git' -prune -o -path /srv/bare.git -prune -o -path /srv/app.git -prune -o -path /srv/lib.git -prune -o -printf '%p %y %m\n' | sort"#
    ))
}

#[test]
fn git_checkouts_end_as_ansible_leaves_them_and_register_the_same_results() {
    let trial = Differential {
        skipped: SKIPPED,
        ..Differential::new("git", PLAY, state)
    }
    .start();
    trial.prepare(PREPARE);
    assert_eq!(
        state(trial.ours()),
        state(trial.theirs()),
        "the machines start alike"
    );
    let ours_results = trial.run().ours;
    let ours_state = state(trial.ours());
    assert!(
        ours_state.contains("/srv/co-single/bin/run f 750"),
        "umask 0027: {ours_state}"
    );
    let r = |k: &str| ours_results[k].clone();
    assert_eq!(r("head")["before"], Json::Null);
    assert_eq!(r("url")["remote_url_changed"], Json::Bool(true));
    assert_eq!(r("mods")["changed"], Json::Bool(true));
    assert_eq!(r("dirty")["failed"], Json::Bool(true));
    assert!(r("noclone")["after"].as_str().is_some_and(|s| s.len() == 40));
}

#[test]
fn a_version_the_remote_lacks_fails_naming_it_and_refused_parameters_name_the_task() {
    let machines = Machines::start(1);
    let m = machines.machine(0);
    m.ok(PREPARE);
    let repo = machines_repo(&machines)
        .file(
            "deploy.yaml",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: no such version\n      git: {repo: /srv/app.git, dest: /srv/co-x, version: nosuch}\n",
        )
        .file(
            "verify.yaml",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: signed\n      git: {repo: /srv/app.git, dest: /srv/co-y, verify_commit: true}\n",
        )
        .file(
            "bogus.yaml",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - git: {repo: /srv/app.git, dest: /srv/co-z, bogus: 1}\n",
        );
    let out = playhook_fails(&repo, &["deploy"]);
    assert!(
        out.contains("Failed to checkout nosuch") && out.contains(&m.name) && out.contains("no such version"),
        "{out}"
    );
    let out = playhook_fails(&repo, &["deploy", "--playbook", "verify.yaml"]);
    assert!(out.contains("verify_commit") && out.contains("signed"), "{out}");
    assert!(m.run("test -e /srv/co-y").code != 0, "nothing was cloned");
    let out = playhook_fails(&repo, &["check", "--playbook", "bogus.yaml"]);
    assert!(out.contains("bogus") && out.contains("bogus.yaml"), "{out}");
}
