//! `unarchive` beside ansible-playbook: tar.gz, tar.xz, tar.bz2 and zip archives from the
//! controller's `files/`, a tar.zst already on the host (`remote_src`, `extra_opts`), a URL,
//! `creates`, `exclude`, `list_files`, owner/group/mode; the unpacked trees (paths, types,
//! modes, owners, bytes) and every registered result compared on twin machines; a re-run
//! changes nothing on both; `--check` on a fresh machine changes nothing and counts what
//! Ansible counts (tar archives are skipped, zip compared).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::support::http_server::HttpServer;
use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{Differential, RESULTS, machines_repo, playhook_fails, read_json};

/// Keys that cannot be equal: the uploaded archive's temp path (`src`, and in the extract
/// command), Ansible's echo of the arguments.
const SKIPPED: &[&str] = &[
    "invocation",
    "src",
    "cmd",
    "warnings",
    "deprecations",
    "_ansible_no_log",
];

const PREPARE: &str =
    "mkdir -p /opt/un/gz /opt/un/xz /opt/un/bz2 /opt/un/zst /opt/un/zip /opt/un/url /opt/un/created/site";

/// Builds the archives of one small site tree with the local tools; name → bytes.
fn archives() -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let site = root.join("site");
    std::fs::create_dir_all(site.join("css")).expect("mkdir");
    std::fs::create_dir_all(site.join("bin")).expect("mkdir");
    std::fs::write(site.join("index.html"), "<h1>hello</h1>\n").expect("write");
    std::fs::write(site.join("css/style.css"), "body { color: red }\n").expect("write");
    std::fs::write(site.join("skip.txt"), "left out\n").expect("write");
    std::fs::write(site.join("bin/run.sh"), "#!/bin/sh\necho run\n").expect("write");
    let sh = |script: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(root)
            .output()
            .expect("sh");
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sh(
        "chmod 0755 site/bin/run.sh && chmod 0640 site/skip.txt && find site -exec touch -h -d '2024-01-01 12:00:00' {} +",
    );
    sh(
        "tar czf site.tar.gz site && tar cJf site.tar.xz site && tar cjf site.tar.bz2 site && tar --zstd -cf site.tar.zst site && zip -qr site.zip site",
    );
    [
        "site.tar.gz",
        "site.tar.xz",
        "site.tar.bz2",
        "site.tar.zst",
        "site.zip",
    ]
    .iter()
    .map(|n| (n.to_string(), std::fs::read(root.join(n)).expect("archive")))
    .collect()
}

fn play(base: &str) -> String {
    format!(
        r#"- hosts: all
  gather_facts: false
  tasks:
    - unarchive: {{src: site.tar.gz, dest: /opt/un/gz}}
      register: gz
    - unarchive: {{src: site.tar.xz, dest: /opt/un/xz, owner: nobody, group: nogroup, mode: "u=rwX,g=rX,o="}}
      register: xz
    - unarchive: {{src: site.tar.bz2, dest: /opt/un/bz2, list_files: true, exclude: ["site/skip*"]}}
      register: bz2
    - unarchive: {{src: /root/site.tar.zst, dest: /opt/un/zst, remote_src: true, extra_opts: ["--strip-components=1"]}}
      register: zst
    - unarchive: {{src: site.zip, dest: /opt/un/zip, list_files: true}}
      register: zip
    - unarchive: {{src: "{base}/files/site.tar.gz", dest: /opt/un/url, remote_src: true}}
      register: url
    - unarchive: {{src: site.tar.gz, dest: /opt/un/created, creates: /opt/un/created/site}}
      register: created
    - copy:
        dest: /root/results.json
        content: "{{{{ {{'gz': gz, 'xz': xz, 'bz2': bz2, 'zst': zst, 'zip': zip, 'url': url, 'created': created}} | to_nice_json }}}}"
      when: dump | default(false) | bool
"#
    )
}

fn state(m: &Machine) -> String {
    m.ok("cd /opt/un && find . -printf '%p %y %m %u %g %s\\n' | sort && find . -type f | sort | xargs md5sum")
}

/// The dumped results with unzip's first line, which names the uploaded temp file, cut.
fn results(m: &Machine) -> serde_json::Value {
    let mut r = read_json(m, RESULTS);
    let out = &mut r["zip"]["extract_results"]["out"];
    let text = out.as_str().unwrap_or_default().to_string();
    assert!(text.starts_with("Archive:  "), "{text}");
    *out = serde_json::Value::from(text.split_once('\n').map(|(_, rest)| rest).unwrap_or(""));
    r
}

#[test]
fn unarchive_unpacks_as_ansible_does_and_registers_the_same_results() {
    let archives = archives();
    let server = HttpServer::serve(archives.clone());
    let mut trial = Differential {
        skipped: SKIPPED,
        check: &["--check"],
        results,
        ..Differential::new("unarchive", play(&server.url()), state)
    }
    .start();
    for name in ["site.tar.gz", "site.tar.xz", "site.tar.bz2", "site.zip"] {
        let path = trial.repo.path().join("files").join(name);
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new("."))).expect("mkdir files");
        std::fs::write(&path, &archives[name]).expect("write archive");
    }
    trial.repo = trial.repo.file("files/.keep", "");
    trial.prepare(PREPARE);
    trial.prepare(&format!(
        "curl -fsSo /root/site.tar.zst {}/files/site.tar.zst",
        server.url()
    ));
    let outcome = trial.run();
    assert!(trial.ours().ok("cat /opt/un/zst/index.html").contains("hello"));
    // The extract command of an archive already on the host has no temp path: compared whole.
    assert_eq!(
        outcome.ours["zst"]["extract_results"]["cmd"],
        outcome.theirs["zst"]["extract_results"]["cmd"]
    );
}

#[test]
fn unarchive_bad_input_fails_naming_the_task_and_what_is_missing() {
    let archives = archives();
    let machines = Machines::start(1);
    let m = machines.machine(0);
    m.ok("mkdir -p /opt/un && mv /usr/bin/unzip /usr/bin/unzip.hidden");
    let cases = [
        (
            "unarchive: {src: site.tar.gz, dest: /opt/nowhere}",
            "dest '/opt/nowhere' must be an existing dir",
        ),
        (
            "unarchive: {src: nope.tar.gz, dest: /opt/un}",
            "source `nope.tar.gz` not found",
        ),
        (
            "unarchive: {src: site.tar.gz, dest: /opt/un, copy: false, remote_src: true}",
            "mutually exclusive",
        ),
        (
            "unarchive: {src: /root/missing.tgz, dest: /opt/un, remote_src: true}",
            "Source '/root/missing.tgz' does not exist",
        ),
        (
            "unarchive: {src: site.zip, dest: /opt/un}",
            "`unzip` is not installed",
        ),
        (
            "unarchive: {src: site.tar.gz, dest: /opt/un, exclude_files: [a]}",
            "exclude_files",
        ),
    ];
    for (task, want) in cases {
        let mut repo = machines_repo(&machines).file(
            "deploy.yaml",
            &format!("- hosts: all\n  gather_facts: false\n  tasks:\n    - name: unpack it\n      {task}\n"),
        );
        for name in ["site.tar.gz", "site.zip"] {
            let path = repo.path().join("files").join(name);
            std::fs::create_dir_all(path.parent().unwrap_or(Path::new("."))).expect("mkdir files");
            std::fs::write(&path, &archives[name]).expect("write archive");
        }
        repo = repo.file("files/.keep", "");
        let out = playhook_fails(&repo, &["deploy"]);
        assert!(out.contains(want), "{task}: {out}");
        assert!(
            out.contains("unpack it") || out.contains("deploy.yaml"),
            "{task}: names the task: {out}"
        );
    }
    assert_eq!(m.ok("ls -A /opt/un"), "", "nothing was unpacked");
}
