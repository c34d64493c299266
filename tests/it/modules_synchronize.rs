//! `ansible.posix.synchronize` beside ansible-playbook on twin machines: a push of a tree from
//! `files/` (modes, a symlink, owners kept by `archive`), `delete` + `checksum`,
//! `existing_only`, plain options without `archive`, `become` (`--rsync-path='sudo -u root rsync'`), a
//! pull into the controller, and a missing source (rsync's failure, ignored). Compared: the
//! machines' trees (paths, kinds, modes, owners, sizes, link targets, bytes), the recaps, the
//! registered results key by key, the pulled files, `changed=0` on a re-run and a `--check
//! --diff` run that changes nothing. A second test does the same on a `local` connection beside
//! ansible-playbook on localhost.
//!
//! Normalised in the results, and why: `cmd`'s `--rsh='...'` word (Ansible opens a second ssh
//! session with `-S none -o Port=N -o StrictHostKeyChecking=no ...`; playhook goes through the
//! host's own connection with `ssh -S <its control socket>`), the machines' addresses and names
//! (twins differ), the repository's temp path (the same for both tools, but random), and the
//! "Warning: Permanently added ... to the list of known hosts." line that Ansible's new session
//! prints before rsync's own error in a failure's `msg` (playhook's connection knows the key).

use std::os::unix::fs::PermissionsExt as _;

use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{Differential, RESULTS, machines_repo, playhook_fails, read_json};

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: push a tree
      ansible.posix.synchronize:
        src: site/
        dest: /srv/site
      register: push
    - name: mirror with delete and checksum
      synchronize:
        src: site/
        dest: /srv/mirror/
        delete: true
        checksum: true
        times: false
      register: mirror
    - name: update existing files only
      synchronize:
        src: site/
        dest: /srv/existing/
        existing_only: true
      register: existing
    - name: plain options
      synchronize:
        src: site/
        dest: /srv/plain/
        archive: false
        recursive: true
        links: true
        perms: true
        times: true
        compress: false
        rsync_opts: ["--exclude=secret"]
      register: plain
    - name: through sudo
      synchronize:
        src: site/a.txt
        dest: /srv/sudo.txt
      become: true
      register: sudo
    - name: pull to the controller
      synchronize:
        mode: pull
        src: /etc/ph-pull/
        dest: "pulled/{{ inventory_hostname }}/"
      register: pull
    - name: a missing source
      synchronize:
        src: /nonexistent/
        dest: /srv/none
      register: missing
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'push': push, 'mirror': mirror, 'existing': existing, 'plain': plain, 'sudo': sudo, 'pull': pull, 'missing': missing} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

/// What synchronize changes on a machine: every path under /srv with its kind, mode, owner,
/// size and link target, and every file's bytes.
fn state(m: &Machine) -> String {
    m.ok("cd /srv && find . -printf '%p %y %m %u:%g %s %l\\n' | sort && \
         find . -type f | sort | xargs -r md5sum")
}

/// The dumped results with what differs between the twins made neutral (see the module docs).
fn neutral(m: &Machine) -> serde_json::Value {
    let text = serde_json::to_string(&read_json(m, RESULTS)).expect("json");
    let replace = |text: &str, pattern: &str, with: &str| {
        fancy_regex::Regex::new(pattern)
            .expect("pattern")
            .replace_all(text, with)
            .into_owned()
    };
    let text = replace(&text, r"--rsh='[^']*'", "--rsh=RSH");
    // Ansible's second ssh session (UserKnownHostsFile=/dev/null) says so on stderr.
    let text = replace(
        &text,
        r"Warning: Permanently added [^\\]* to the list of known hosts\.\\r\\n",
        "",
    );
    let text = replace(&text, r"127\.0\.0\.\d+", "ADDR");
    let text = replace(&text, r"/pulled/m\d+", "/pulled/HOST");
    let text = replace(&text, r"(?:/[^/\s'\\]+)+?/(files|pulled)/", "REPO/$1/");
    serde_json::from_str(&text).expect("neutral json")
}

#[test]
fn synchronize_transfers_as_ansible_does() {
    let trial = Differential {
        skipped: &["invocation", "_ansible_no_log", "warnings"],
        results: neutral,
        ..Differential::new("synchronize", PLAY, state)
    }
    .start();
    let root = trial.repo.path().to_path_buf();
    let site = root.join("files/site");
    std::fs::create_dir_all(site.join("b")).expect("mkdir");
    for (path, text, mode) in [
        ("a.txt", "alpha\n", 0o644),
        ("b/c.sh", "#!/bin/sh\necho c\n", 0o755),
        ("secret", "s3cret\n", 0o600),
    ] {
        std::fs::write(site.join(path), text).expect("write");
        std::fs::set_permissions(site.join(path), std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    std::os::unix::fs::symlink("a.txt", site.join("link")).expect("symlink");
    // rsync makes only the last directory of a destination.
    std::fs::create_dir_all(root.join("pulled")).expect("mkdir pulled");
    // Fixed times on the machines' side: rsync's itemized lines (`t`) depend on them, and the
    // twins are prepared a moment apart.
    trial.prepare(
        "mkdir -p /srv/mirror /srv/existing /etc/ph-pull && echo stale > /srv/mirror/stale.txt && \
         echo old > /srv/existing/a.txt && printf 'from the host\\n' > /etc/ph-pull/note && \
         chmod 0640 /etc/ph-pull/note && \
         touch -d '2020-01-01 00:00:00' /srv/existing/a.txt /srv/existing /srv/mirror/stale.txt /srv/mirror",
    );

    let outcome = trial.run();
    // The comparison above would pass on two runs that both did nothing: the play did its work.
    let (theirs, ours) = (trial.theirs(), trial.ours());
    let tree = state(ours);
    for line in [
        "./site/b/c.sh f 755 root:root",
        "./site/link l 777 root:root 5 a.txt",
        "./site/secret f 600 root:root",
        "./existing/a.txt f 644",
        "./sudo.txt f 644",
    ] {
        assert!(tree.contains(line), "{line} in\n{tree}");
    }
    assert!(!tree.contains("stale.txt"), "delete removed it:\n{tree}");
    assert!(
        !tree.contains("./existing/b"),
        "existing_only created nothing:\n{tree}"
    );
    assert!(
        !tree.contains("./plain/secret"),
        "rsync_opts excluded it:\n{tree}"
    );
    assert_eq!(outcome.ours["push"]["changed"], true, "{}", outcome.ours);
    assert_eq!(outcome.ours["missing"]["rc"], 23, "{}", outcome.ours);
    let cmd = outcome.ours["sudo"]["cmd"].as_str().expect("cmd");
    assert!(cmd.contains("--rsync-path='sudo -u root rsync'"), "{cmd}");
    for m in [theirs, ours] {
        let pulled = root.join("pulled").join(&m.name).join("note");
        let bytes = std::fs::read(&pulled).unwrap_or_else(|e| panic!("{}: {e}", pulled.display()));
        assert_eq!(bytes, b"from the host\n");
        let mode = std::fs::metadata(&pulled).expect("stat").permissions().mode() & 0o7777;
        assert_eq!(mode, 0o640, "{}", pulled.display());
    }
}

#[test]
fn synchronize_bad_input_fails_naming_the_task() {
    let machines = Machines::start(1);
    let m = machines.machine(0);
    for (task, want) in [
        ("synchronize: {dest: /srv/x}", "requires both src and dest"),
        (
            "synchronize: {src: /etc/hostname, dest: /srv/x, dest_port: 1}",
            "dest_port 1 differs from the port of this host's connection",
        ),
        (
            "synchronize: {src: /etc/hostname, dest: /srv/x, ssh_args: -v}",
            "ssh_args",
        ),
        (
            "synchronize: {src: /etc/hostname, dest: /srv/x}\n      delegate_to: other",
            "synchronize with delegate_to `other` is not supported",
        ),
        (
            "synchronize: {src: /etc/hostname, dest: /srv/x}\n      delegate_to: localhost",
            "synchronize with delegate_to is not supported",
        ),
    ] {
        let repo = machines_repo(&machines).file(
            "deploy.yaml",
            &format!("- hosts: all\n  gather_facts: false\n  tasks:\n    - name: sync it\n      {task}\n"),
        );
        let out = playhook_fails(&repo, &["deploy"]);
        assert!(out.contains(want), "{task}: {out}");
        assert!(
            out.contains("sync it") || out.contains("deploy.yaml"),
            "{task}: {out}"
        );
    }
    assert!(!m.ok("ls /srv").contains('x'), "nothing was transferred");
}

/// The play of the local-connection test, writing under `out`.
fn local_play(hosts: &str, out: &str) -> String {
    format!(
        "- hosts: {hosts}\n  gather_facts: false\n  tasks:\n    \
         - synchronize: {{src: site/, dest: {out}/site}}\n      register: push\n    \
         - synchronize: {{src: site/, dest: {out}/site, delete: true}}\n      register: again\n    \
         - synchronize: {{src: site/, dest: {out}/check}}\n      check_mode: true\n      register: checked\n    \
         - copy:\n        dest: {out}/results.json\n        \
         content: \"{{{{ {{'push': push, 'again': again, 'checked': checked}} | to_nice_json }}}}\"\n"
    )
}

/// On a `local` connection both sides are paths of this machine, as in Ansible: the same tree,
/// the same results (`cmd` has no remote shell at all, so nothing is normalised but the two
/// output directories), a second run unchanged, check mode writing nothing.
#[test]
fn synchronize_on_a_local_connection_copies_as_ansible_does() {
    let repo = crate::support::repo::TestRepo::local()
        .file("files/site/a.txt", "alpha\n")
        .file("files/site/sub/b.txt", "beta\n");
    std::os::unix::fs::symlink("a.txt", repo.path().join("files/site/link")).expect("symlink");
    let theirs = repo.path().join("theirs");
    let ours = repo.path().join("ours");
    for dir in [&theirs, &ours] {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    crate::support::ansible::run_playbook(
        repo.path(),
        &local_play("localhost", &theirs.display().to_string()),
        &[],
    );
    let repo = repo.file("deploy.yaml", &local_play("web", &ours.display().to_string()));
    let run = repo.playhook(&["deploy"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());

    let mismatches = crate::support::tree::compare(&theirs.join("site"), &ours.join("site"));
    assert!(
        mismatches.is_empty(),
        "{}",
        crate::support::tree::report(&theirs, &ours, &mismatches)
    );
    assert!(ours.join("site/sub/b.txt").exists() && !ours.join("check").exists());
    let results = |dir: &std::path::Path| {
        let text = std::fs::read_to_string(dir.join("results.json")).expect("results");
        let text = text.replace(&dir.display().to_string(), "OUT");
        serde_json::from_str::<serde_json::Value>(&text).expect("json")
    };
    crate::support::oracle::assert_same_results(
        "synchronize (local)",
        &results(&theirs),
        &results(&ours),
        &crate::support::oracle::skipping(&["invocation", "_ansible_no_log"]),
    );
    let ours_results = results(&ours);
    assert_eq!(ours_results["push"]["changed"], true);
    assert_eq!(ours_results["again"]["changed"], false);
    assert!(
        ours_results["push"]["cmd"]
            .as_str()
            .is_some_and(|c| c.ends_with("/files/site/ OUT/site") && !c.contains("--rsh")),
        "{ours_results}"
    );
}
