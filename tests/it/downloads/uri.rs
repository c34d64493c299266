//! `uri` beside ansible-playbook on twin machines: GET, JSON responses (`json`, `content`),
//! POST/PUT bodies as JSON and form-urlencoded, basic auth, headers, redirects followed and
//! not, a 404, `dest` (written, then a 304 on the re-run), `creates`; every registered result
//! compared key by key; a re-run changes nothing; `--check` skips it as Ansible does.

use std::collections::BTreeMap;

use crate::support::http_server::{self, HttpServer};
use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{
    Differential, assert_same_results, machines_repo, playhook_fails, read_json, skipping,
};

const SKIPPED: &[&str] = &[
    "invocation",
    "elapsed",
    "warnings",
    "deprecations",
    "_ansible_no_log",
];

fn files() -> BTreeMap<String, Vec<u8>> {
    let mut f = BTreeMap::new();
    f.insert("hello.txt".to_string(), b"hello from the test server\n".to_vec());
    f.insert(
        "data.json".to_string(),
        br#"{"name": "playhook", "items": [1, 2, {"deep": true}]}"#.to_vec(),
    );
    f.insert("secret.txt".to_string(), b"top secret\n".to_vec());
    f
}

fn play(base: &str) -> String {
    let (user, password, token) = (http_server::USER, http_server::PASSWORD, http_server::TOKEN);
    format!(
        r#"- hosts: all
  gather_facts: false
  tasks:
    - uri: {{url: "{base}/files/hello.txt"}}
      register: plain
    - uri: {{url: "{base}/files/data.json", return_content: true}}
      register: js
    - uri:
        url: "{base}/echo/x"
        method: POST
        body_format: json
        body: {{a: 1, b: [x, "y z"], c: {{d: null}}}}
      register: posted_json
    - uri:
        url: "{base}/echo/x"
        method: PUT
        body_format: form-urlencoded
        body: {{name: "a b&c", tags: [1, 2]}}
        return_content: true
      register: posted_form
    - uri: {{url: "{base}/auth/secret.txt", user: {user}, password: {password}, force_basic_auth: true, return_content: true}}
      register: auth
    - uri: {{url: "{base}/redirect/hello.txt"}}
      register: redirected
    - uri: {{url: "{base}/redirect/hello.txt", follow_redirects: none, status_code: [302]}}
      register: not_followed
    - uri: {{url: "{base}/header/hello.txt", headers: {{X-Playhook-Token: {token}}}, status_code: "200,201"}}
      register: with_header
    - uri: {{url: "{base}/files/missing.txt", return_content: true}}
      register: missing
      ignore_errors: true
    - uri: {{url: "{base}/files/hello.txt", dest: /opt/dl/uri.txt, mode: "0600", status_code: [200, 304]}}
      register: saved
    - uri: {{url: "{base}/files/hello.txt", creates: /etc/hostname}}
      register: created
    - copy:
        dest: /root/results.json
        content: "{{{{ {{'plain': plain, 'js': js, 'posted_json': posted_json, 'posted_form': posted_form, 'auth': auth, 'redirected': redirected, 'not_followed': not_followed, 'with_header': with_header, 'missing': missing, 'created': created}} | to_nice_json }}}}"
      when: dump | default(false) | bool
    - copy:
        dest: /root/saved.json
        content: "{{{{ saved | to_nice_json }}}}"
      when: dump | default(false) | bool
"#
    )
}

fn state(m: &Machine) -> String {
    m.ok("cd /opt/dl && find . -printf '%p %y %m %u %g %s\\n' | sort && find . -type f | sort | xargs -r md5sum")
}

#[test]
fn uri_requests_as_ansible_does_and_registers_the_same_results() {
    let server = HttpServer::serve(files());
    let trial = Differential {
        skipped: SKIPPED,
        check: &["--check"],
        ..Differential::new("uri", play(&server.url()), state)
    }
    .start();
    trial.prepare("mkdir -p /opt/dl");
    let ours_run = trial.run().ours_run;
    let (theirs, ours) = (trial.theirs(), trial.ours());
    assert_same_results(
        "uri",
        &read_json(theirs, "/root/saved.json"),
        &read_json(ours, "/root/saved.json"),
        &skipping(SKIPPED),
    );
    let output = format!("{}{}", ours_run.stdout(), ours_run.stderr());
    assert!(!output.contains(http_server::PASSWORD), "the password is printed");
}

#[test]
fn uri_bad_input_fails_naming_the_task() {
    let machines = Machines::start(1);
    let cases = [
        (
            "uri: {url: 'http://127.0.0.1:9/x', method: 'get it'}",
            "Parameter 'method' needs to be a single word",
        ),
        (
            "uri: {url: 'http://127.0.0.1:9/x', body_format: xml, body: a}",
            "value of body_format must be one of",
        ),
        (
            "uri: {url: 'http://127.0.0.1:9/x', follow_redirect: all}",
            "follow_redirect",
        ),
        (
            "uri: {url: 'http://127.0.0.1:9/x'}",
            "Status code was -1 and not [200]: Request failed",
        ),
    ];
    for (task, want) in cases {
        let repo = machines_repo(&machines).file(
            "deploy.yaml",
            &format!("- hosts: all\n  gather_facts: false\n  tasks:\n    - name: call it\n      {task}\n"),
        );
        let out = playhook_fails(&repo, &["deploy"]);
        assert!(out.contains(want), "{task}: {out}");
        assert!(
            out.contains("call it") || out.contains("deploy.yaml"),
            "{task}: names the task: {out}"
        );
    }
}
