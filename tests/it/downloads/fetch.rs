//! `fetch` beside ansible-playbook on twin machines: `dest/<host>/<path>` and `flat`, a
//! missing file with and without `fail_on_missing`, a directory; the fetched files' bytes and
//! modes and the registered results compared (host names and the repository path made
//! neutral); a re-run changes nothing; `--check` skips it as Ansible does.

use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{
    Differential, ansible_playbook, ansible_recap, assert_same_results, machines_repo,
    playhook_deploy as playhook, playhook_fails, playhook_recap, skipping,
};

const SKIPPED: &[&str] = &["invocation", "warnings", "deprecations", "_ansible_no_log"];

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - fetch: {src: /etc/ph-fetch.txt, dest: fetched}
      register: layout
    - fetch: {src: /etc/ph-fetch.txt, dest: "flat/{{ inventory_hostname }}.txt", flat: true}
      register: flat
    - fetch: {src: /etc/ph-fetch.txt, dest: "intodir/", flat: true}
      register: intodir
    - fetch: {src: /etc/nope, dest: fetched, fail_on_missing: false}
      register: missing_ok
    - fetch: {src: /etc/nope, dest: fetched}
      register: missing
      ignore_errors: true
    - fetch: {src: /etc, dest: fetched, fail_on_missing: false}
      register: dir_ok
    - copy:
        dest: /root/results.json
        content: "{{ {'layout': layout, 'flat': flat, 'intodir': intodir, 'missing_ok': missing_ok, 'missing': missing, 'dir_ok': dir_ok} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

/// The file fetched from a machine, which fetch leaves as it was.
fn state(m: &Machine) -> String {
    m.ok("stat -c '%a %U %s' /etc/ph-fetch.txt && cat /etc/ph-fetch.txt")
}

#[test]
fn fetch_copies_to_the_controller_as_ansible_does() {
    let trial = Differential {
        skipped: SKIPPED,
        check: &["--check"],
        ..Differential::new("fetch", PLAY, state)
    }
    .start();
    trial.prepare("printf 'fetched from a machine\\n' > /etc/ph-fetch.txt && chmod 0600 /etc/ph-fetch.txt");
    let (theirs, ours) = (trial.theirs(), trial.ours());
    let root = trial.repo.path().to_path_buf();

    trial.run_check();
    assert!(
        !root.join("fetched").exists() && !root.join("flat").exists(),
        "--check fetched"
    );

    let theirs_run = ansible_playbook(
        &trial.repo,
        &trial.machines,
        "deploy.yaml",
        &["-l", &theirs.name, "-e", "dump=true"],
    );
    // ansible-playbook's intodir/ph-fetch.txt is the same path for both: keep it aside.
    let into = root.join("intodir/ph-fetch.txt");
    let theirs_into = std::fs::read(&into).expect("ansible's intodir file");
    std::fs::remove_dir_all(root.join("intodir")).expect("rm intodir");
    let ours_run = playhook(&trial.repo, &["-l", &ours.name, "-e", "dump=true"]);
    assert_eq!(
        playhook_recap(&ours_run, &ours.name),
        ansible_recap(&theirs_run, &theirs.name)
    );
    assert_eq!(std::fs::read(&into).expect("our intodir file"), theirs_into);
    let local = |host: &str| {
        let layout = root.join("fetched").join(host).join("etc/ph-fetch.txt");
        let flat = root.join("flat").join(format!("{host}.txt"));
        [layout, flat].map(|p| {
            use std::os::unix::fs::PermissionsExt as _;
            let meta = std::fs::metadata(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (
                std::fs::read(&p).expect("fetched"),
                meta.permissions().mode() & 0o7777,
            )
        })
    };
    assert_eq!(local(&ours.name), local(&theirs.name), "fetched files and modes");
    assert_eq!(local(&ours.name)[0].0, b"fetched from a machine\n");

    let neutral = |m: &Machine| {
        let text = m.read("/root/results.json").expect("results");
        let text = text
            .replace(&m.name, "HOST")
            .replace(&root.display().to_string(), "REPO");
        serde_json::from_str::<serde_json::Value>(&text).expect("json")
    };
    assert_same_results("fetch", &neutral(theirs), &neutral(ours), &skipping(SKIPPED));

    trial.run_again();
}

#[test]
fn fetch_bad_input_fails_naming_the_task() {
    let machines = Machines::start(1);
    let cases = [
        (
            "fetch: {src: /etc/hostname, dest: adir, flat: true}",
            "dest is an existing directory, use a trailing slash",
        ),
        ("fetch: {dest: fetched}", "src and dest are required"),
        (
            "fetch: {src: /etc/hostname, dest: fetched, flatten: true}",
            "flatten",
        ),
        (
            "fetch: {src: /etc/nope, dest: fetched}",
            "the remote file does not exist",
        ),
    ];
    for (task, want) in cases {
        let repo = machines_repo(&machines)
            .file(
                "deploy.yaml",
                &format!(
                    "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: bring it\n      {task}\n"
                ),
            )
            .file("adir/.keep", "");
        let out = playhook_fails(&repo, &["deploy"]);
        assert!(out.contains(want), "{task}: {out}");
        assert!(
            out.contains("bring it") || out.contains("deploy.yaml"),
            "{task}: names the task: {out}"
        );
        assert!(!repo.path().join("fetched").exists(), "{task}: nothing fetched");
    }
}
