//! The play both tools apply, the machine set-up it needs, and what is compared.

use crate::support::machines::Machine;
use crate::support::rpm_repo::{self, Rpm};

/// The packages of each machine's local repository.
pub fn rpms() -> Vec<Rpm> {
    vec![
        Rpm::new("ph-base", "1.0"),
        Rpm::new("ph-base", "2.0"),
        Rpm::new("ph-app", "1.0").requires("ph-base >= 1.0"),
        Rpm::new("ph-tool", "1.0"),
        Rpm::new("ph-loop-a", "1.0"),
        Rpm::new("ph-loop-b", "1.0"),
        Rpm::new("ph-rel", "1.5"),
        Rpm::new("ph-check", "1.0"),
        Rpm::new("ph-pkg", "1.0"),
    ]
}

/// What a fresh machine gets before the play: the repositories directory (Debian's dnf does not
/// create it), the local repository, ph-tool installed by rpm (the play removes it), and a key
/// file to import.
pub fn prepare(m: &Machine, key: &str) {
    m.ok("mkdir -p /etc/yum.repos.d");
    rpm_repo::serve(m, &rpms());
    // A second key, served by the repository's web server (rpm_key fetches it by URL).
    std::fs::write(m.root().join("srv/rpms/ph-key2.asc"), &second_key().0).expect("writing the second key");
    m.ok("rpm -i /srv/rpms/ph-tool-1.0-1.noarch.rpm");
    std::fs::write(m.root().join("root/ph-key.asc"), key).expect("writing the key onto the machine");
}

/// A second armored key and its primary fingerprint (as gpg prints it), made once per test run.
pub fn second_key() -> &'static (String, String) {
    static KEY: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let key = crate::packages::play::public_key();
        let dir = tempfile::tempdir().expect("temp dir");
        let out = std::process::Command::new("gpg")
            .arg("--homedir")
            .arg(dir.path())
            .args(["--batch", "--with-colons", "--show-keys"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write as _;
                c.stdin.take().expect("stdin").write_all(key.as_bytes())?;
                c.wait_with_output()
            })
            .expect("gpg --show-keys");
        let text = String::from_utf8_lossy(&out.stdout);
        let fpr = text
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|l| l.split(':').nth(8))
            .expect("a fingerprint")
            .to_string();
        (key, fpr)
    })
}

/// The play for `host`. `first` run only: the check-mode task (it reports a change every time).
pub fn play(host: &str) -> String {
    let url = rpm_repo::url();
    let fpr = &second_key().1;
    format!(
        r#"- hosts: {host}
  gather_facts: false
  handlers:
    - name: packages changed
      copy: {{content: "handler ran\n", dest: /root/handler-ran}}
  tasks:
    - yum_repository:
        name: ph
        description: playhook local
        baseurl: "{url}"
        gpgcheck: false
      register: r_repo
    - yum_repository:
        name: ph-extra
        file: ph
        description: a second section, disabled
        baseurl: ["http://127.0.0.1:1/a/", "http://127.0.0.1:1/b/"]
        gpgkey: [file:///root/ph-key.asc, "http://127.0.0.1:1/key"]
        exclude: [ph-tool, "ph-x*"]
        enabled: false
        cost: 500
        priority: 7
      register: r_repo2
    - yum_repository: {{name: ph-gone, state: absent}}
      register: r_repo_absent
    - rpm_key: {{key: /root/ph-key.asc}}
      register: r_key
    - rpm_key: {{key: "0xDEADBEEF", state: absent}}
      register: r_key_absent
    - rpm_key:
        key: "{url}ph-key2.asc"
        fingerprint: "{fpr}"
      register: r_key_url
    - dnf: {{name: ph-base-1.0, use_backend: dnf4}}
      register: r_pin
    - dnf: {{name: [ph-app, ph-loop-a], use_backend: dnf4}}
      register: r_install
      notify: packages changed
    - yum: {{name: ph-base, state: latest, use_backend: dnf4}}
      register: r_latest
    - dnf: {{name: "ph-loop-a, ph-loop-b", use_backend: dnf4}}
      register: r_comma
    - dnf: {{name: "ph-rel >= 1.0", use_backend: dnf4}}
      register: r_rel
    - dnf: {{name: [ph-tool, ph-never-there], state: absent, use_backend: dnf4}}
      register: r_remove
    - dnf: {{name: ph-check, use_backend: dnf4}}
      check_mode: true
      register: r_check
      when: first | bool
    - dnf: {{name: ph-base, update_only: true, use_backend: dnf4}}
      register: r_update_only
    - dnf: {{update_cache: true, use_backend: dnf4}}
      register: r_cache
    - package: {{name: ph-pkg, use: dnf, use_backend: dnf4}}
      register: r_package
    - copy:
        dest: /root/results.json
        content: "{{{{ {{'r_repo': r_repo, 'r_repo2': r_repo2, 'r_repo_absent': r_repo_absent, 'r_key': r_key,
          'r_key_absent': r_key_absent, 'r_key_url': r_key_url, 'r_pin': r_pin, 'r_install': r_install, 'r_latest': r_latest,
          'r_comma': r_comma, 'r_rel': r_rel, 'r_remove': r_remove, 'r_check': r_check,
          'r_update_only': r_update_only, 'r_cache': r_cache, 'r_package': r_package}} | to_nice_json }}}}"
      changed_when: false
      check_mode: false
"#
    )
}

/// What a machine's end state is made of, as text to compare.
pub fn end_state(m: &Machine) -> Vec<(&'static str, String)> {
    let probes: &[(&str, &str)] = &[
        (
            "packages",
            "rpm -qa --qf '%{NAME} %{VERSION}-%{RELEASE}\\n' | sort",
        ),
        (
            "repos",
            "for f in /etc/yum.repos.d/*; do [ -e \"$f\" ] || continue; \
             echo \"== $f $(stat -c '%a %U:%G' \"$f\")\"; cat \"$f\"; done",
        ),
        (
            "keys",
            "rpm -q gpg-pubkey --qf '%{VERSION}-%{RELEASE} %{SUMMARY}\\n' 2>&1 | sort",
        ),
        ("handler", "cat /root/handler-ran 2>&1"),
        (
            "files",
            "cat /usr/share/ph-base/version /usr/share/ph-app/version 2>&1",
        ),
    ];
    probes
        .iter()
        .map(|(what, script)| (*what, m.run(script).stdout))
        .collect()
}
