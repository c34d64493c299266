//! `get_url` beside ansible-playbook: the same play on twin fresh machines (files, checksums,
//! a checksum file, Content-Disposition, redirects, basic auth with and without a challenge,
//! headers, If-Modified-Since, force, a 404 and a 403), then the downloaded files' bytes,
//! modes and owners and every registered result compared; a re-run changes nothing on both;
//! `--check` on a fresh machine changes nothing and counts what Ansible counts.

use std::collections::BTreeMap;

use sha1::Digest as _;

use crate::support::http_server::{self, HttpServer};
use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{
    Differential, ansible_playbook, ansible_recap, assert_same_results, machines_repo,
    playhook_deploy as playhook, playhook_fails, playhook_recap, read_json, skipping,
};

/// Result keys that cannot be equal: the temp file's random name (`src`), timings, Ansible's
/// echo of the arguments, and the executor's own bookkeeping.
const SKIPPED: &[&str] = &[
    "invocation",
    "src",
    "elapsed",
    "warnings",
    "deprecations",
    "_ansible_no_log",
];

/// What every machine has before the play: the download directory and files already there.
const PREPARE: &str =
    "mkdir -p /opt/dl/sub && for f in existing forced stale; do echo old > /opt/dl/$f.txt; done";

fn files() -> BTreeMap<String, Vec<u8>> {
    let mut f = BTreeMap::new();
    f.insert("hello.txt".to_string(), b"hello from the test server\n".to_vec());
    f.insert("data.bin".to_string(), (0u8..=255).cycle().take(3000).collect());
    f.insert("tool.sh".to_string(), b"#!/bin/sh\necho tool\n".to_vec());
    f.insert("app.tar.gz".to_string(), b"not really an archive\n".repeat(50));
    f.insert("secret.txt".to_string(), b"top secret\n".to_vec());
    let sums = format!(
        "{}  tool.sh\n{} *app.tar.gz\n",
        sha256(&f["tool.sh"]),
        sha256(&f["app.tar.gz"])
    );
    f.insert("SHA256SUMS".to_string(), sums.into_bytes());
    f
}

fn sha256(b: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(b))
}

fn play(base: &str, files: &BTreeMap<String, Vec<u8>>) -> String {
    let app = sha256(&files["app.tar.gz"]);
    let hello_sha1 = hex::encode(sha1::Sha1::digest(&files["hello.txt"]));
    let (user, password, token) = (http_server::USER, http_server::PASSWORD, http_server::TOKEN);
    format!(
        r#"- hosts: all
  gather_facts: false
  vars:
    base: {base}
  tasks:
    - get_url: {{url: "{{{{ base }}}}/files/hello.txt", dest: /opt/dl/hello.txt, mode: "0640"}}
      register: plain
    - get_url: {{url: "{{{{ base }}}}/dispo/data.bin", dest: /opt/dl/}}
      register: dispo
    - get_url: {{url: "{{{{ base }}}}/redirect/tool.sh", dest: /opt/dl/sub}}
      register: redirected
    - get_url: {{url: "{{{{ base }}}}/files/app.tar.gz", dest: /opt/dl/app.tgz, checksum: "sha256:{app}"}}
      register: summed
    - get_url:
        url: "{{{{ base }}}}/files/tool.sh"
        dest: /opt/dl/tool2.sh
        checksum: "sha256:{{{{ base }}}}/files/SHA256SUMS"
        mode: "0755"
      register: sums_file
    - get_url:
        url: "{{{{ base }}}}/auth/secret.txt"
        dest: /opt/dl/secret.txt
        url_username: {user}
        url_password: {password}
        force_basic_auth: true
        owner: nobody
        group: nogroup
        mode: "0600"
      register: auth_forced
    - get_url: {{url: "{{{{ base }}}}/auth/secret.txt", dest: /opt/dl/secret2.txt, username: {user}, password: {password}}}
      register: auth_challenged
    - get_url:
        url: "{{{{ base }}}}/header/hello.txt"
        dest: /opt/dl/hdr.txt
        headers: {{X-Playhook-Token: {token}}}
      register: with_header
    - get_url: {{url: "{{{{ base }}}}/files/hello.txt", dest: /opt/dl/existing.txt}}
      register: not_modified
    - get_url: {{url: "{{{{ base }}}}/files/hello.txt", dest: /opt/dl/forced.txt, force: true}}
      register: forced
    - get_url: {{url: "{{{{ base }}}}/files/hello.txt", dest: /opt/dl/stale.txt, checksum: "sha1:{hello_sha1}"}}
      register: stale
    - get_url: {{url: "{{{{ base }}}}/files/missing.txt", dest: /opt/dl/missing.txt}}
      register: missing
      ignore_errors: true
    - get_url: {{url: "{{{{ base }}}}/header/hello.txt", dest: /opt/dl/denied.txt}}
      register: denied
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{{{ {{'plain': plain, 'dispo': dispo, 'redirected': redirected, 'summed': summed, 'sums_file': sums_file, 'auth_forced': auth_forced, 'auth_challenged': auth_challenged, 'with_header': with_header, 'not_modified': not_modified, 'forced': forced, 'stale': stale, 'missing': missing, 'denied': denied}} | to_nice_json }}}}"
      when: dump | default(false) | bool
"#
    )
}

/// The download directory: every path with type, mode, owner, group, size, and each file's md5.
fn state(m: &Machine) -> String {
    m.ok("cd /opt/dl && find . -printf '%p %y %m %u %g %s\\n' | sort && find . -type f | sort | xargs md5sum")
}

/// Puts a wrapper in front of `program` on `m` that logs its arguments and environment to
/// `/tmp/PROGRAM-args.log` before running it.
fn spy(m: &Machine, program: &str) {
    m.ok(&format!(
        "mv /usr/bin/{program} /usr/bin/{program}.real && \
         printf '#!/bin/sh\\nprintf \"%%s\\\\n\" \"$*\" >> /tmp/{program}-args.log\\nenv >> /tmp/{program}-args.log\\nexec /usr/bin/{program}.real \"$@\"\\n' > /usr/bin/{program} && \
         chmod 0755 /usr/bin/{program}"
    ));
}

/// The password reached no process's arguments or environment, and `program` did run.
fn assert_no_secret_in_args(m: &Machine, program: &str) {
    let log = m.ok(&format!("cat /tmp/{program}-args.log"));
    assert!(
        log.contains("PWD="),
        "{program} never ran through the wrapper: {log}"
    );
    assert!(
        !log.contains(http_server::PASSWORD),
        "the password is in {program}'s arguments or environment:\n{log}"
    );
}

#[test]
fn get_url_downloads_as_ansible_does_and_registers_the_same_results() {
    let files = files();
    let server = HttpServer::serve(files.clone());
    let trial = Differential {
        skipped: SKIPPED,
        check: &["--check"],
        ..Differential::new("get_url", play(&server.url(), &files), state)
    }
    .start();
    trial.prepare(PREPARE);
    let ours = trial.ours();
    spy(ours, "curl");
    let ours_run = trial.run().ours_run;
    assert_eq!(
        ours.ok("cat /opt/dl/hello.txt /opt/dl/sub/tool.sh /opt/dl/existing.txt"),
        "hello from the test server\n#!/bin/sh\necho tool\nold\n"
    );
    let output = format!("{}{}", ours_run.stdout(), ours_run.stderr());
    assert!(
        !output.contains(http_server::PASSWORD),
        "the password is printed: {output}"
    );
    assert_no_secret_in_args(ours, "curl");
    // Without force_basic_auth the credentials answer the server's challenge, as urllib does.
    let log = server.log();
    assert!(
        log.iter()
            .any(|r| r.starts_with("GET /auth/secret.txt") && !r.contains("Authorization")),
        "{log:?}"
    );
}

/// A small play for the wget test: a file, a redirect into a directory, basic auth, a header,
/// an If-Modified-Since hit, and a 404.
fn wget_play(base: &str) -> String {
    let (user, password, token) = (http_server::USER, http_server::PASSWORD, http_server::TOKEN);
    format!(
        r#"- hosts: all
  gather_facts: false
  tasks:
    - get_url: {{url: "{base}/files/hello.txt", dest: /opt/dl/hello.txt, mode: "0600"}}
      register: plain
    - get_url: {{url: "{base}/redirect/tool.sh", dest: /opt/dl/sub}}
      register: redirected
    - get_url: {{url: "{base}/auth/secret.txt", dest: /opt/dl/secret.txt, url_username: {user}, url_password: {password}}}
      register: auth
    - get_url: {{url: "{base}/header/hello.txt", dest: /opt/dl/hdr.txt, headers: {{X-Playhook-Token: {token}}}}}
      register: with_header
    - get_url: {{url: "{base}/files/hello.txt", dest: /opt/dl/existing.txt}}
      register: not_modified
    - get_url: {{url: "{base}/files/missing.txt", dest: /opt/dl/missing.txt}}
      register: missing
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{{{ {{'plain': plain, 'redirected': redirected, 'auth': auth, 'with_header': with_header, 'not_modified': not_modified, 'missing': missing}} | to_nice_json }}}}"
"#
    )
}

#[test]
fn get_url_with_only_wget_on_the_host_ends_as_ansible_does() {
    let server = HttpServer::serve(files());
    let machines = Machines::start(2);
    let (theirs, ours) = (machines.machine(0), machines.machine(1));
    let repo = machines_repo(&machines).file("deploy.yaml", &wget_play(&server.url()));
    for m in machines.machines() {
        m.ok(PREPARE);
    }
    ours.ok("mv /usr/bin/curl /usr/bin/curl.hidden");
    spy(ours, "wget");
    let theirs_run = ansible_playbook(&repo, &machines, "deploy.yaml", &["-l", &theirs.name]);
    let ours_run = playhook(&repo, &["-l", &ours.name]);
    assert_eq!(
        playhook_recap(&ours_run, &ours.name),
        ansible_recap(&theirs_run, &theirs.name)
    );
    assert_eq!(state(ours), state(theirs), "the downloaded files");
    assert_same_results(
        "get_url",
        &read_json(theirs, "/root/results.json"),
        &read_json(ours, "/root/results.json"),
        &skipping(SKIPPED),
    );
    let ours_again = playhook(&repo, &["-l", &ours.name]);
    assert_eq!(
        ours_again.recap(&ours.name)["changed"],
        1,
        "only the results file: {}",
        ours_again.stdout()
    );
    assert_no_secret_in_args(ours, "wget");

    // Neither curl nor wget: a clear failure naming both, the host and the task.
    ours.ok("mv /usr/bin/wget /usr/bin/wget.hidden");
    let out = playhook_fails(&repo, &["deploy", "-l", &ours.name]);
    assert!(
        out.contains("needs curl or wget") && out.contains(&ours.name) && out.contains("get_url"),
        "{out}"
    );
}

#[test]
fn get_url_bad_input_fails_naming_the_task_and_parameter() {
    let machines = Machines::start(1);
    let m = machines.machine(0);
    let cases = [
        (
            "get_url: {url: 'http://127.0.0.1:9/x', dest: /tmp/x, checksum: 'sha256'}",
            "The checksum parameter has to be in format <algorithm>:<checksum>",
        ),
        (
            "get_url: {url: 'http://127.0.0.1:9/x', dest: /tmp/x, checksum: 'sha256:zz-not-hex'}",
            "The checksum format is invalid",
        ),
        (
            "get_url: {url: 'http://127.0.0.1:9/x', dest: /tmp/x, checksum: 'crc32:abcd'}",
            "checksum algorithm `crc32` is not supported",
        ),
        (
            "get_url: {url: 'http://127.0.0.1:9/x', dest: /tmp/x, chcksum: 'sha256:ab'}",
            "chcksum",
        ),
        (
            "get_url: {url: 'http://127.0.0.1:9/x', dest: /tmp/x}",
            "Request failed",
        ),
    ];
    for (task, want) in cases {
        let repo = machines_repo(&machines).file(
            "deploy.yaml",
            &format!("- hosts: all\n  gather_facts: false\n  tasks:\n    - name: fetch it\n      {task}\n"),
        );
        let out = playhook_fails(&repo, &["deploy"]);
        assert!(out.contains(want), "{task}: {out}");
        assert!(
            out.contains("fetch it") || out.contains("deploy.yaml"),
            "{task}: names the task: {out}"
        );
    }
    assert!(m.run("test -e /tmp/x").code != 0, "nothing was written");
}
