//! The play both tools apply, the local repository it installs from, and what is compared.

use std::path::Path;
use std::process::Command;

use crate::support::apt_repo::{AptRepo, Deb};
use crate::support::machines::Machine;

/// The packages of the local repository (ph-base in two versions).
pub fn repository() -> AptRepo {
    AptRepo::serve(&[
        Deb::new("ph-base", "1.0").file("/usr/share/ph-base/version", "1.0\n"),
        Deb::new("ph-base", "2.0").file("/usr/share/ph-base/version", "2.0\n"),
        Deb::new("ph-app", "1.0")
            .file("/usr/share/ph-app/app", "app\n")
            .depends("ph-base (>= 1.0)"),
        Deb::new("ph-tool", "1.0").file("/usr/share/ph-tool/tool", "tool\n"),
        Deb::new("ph-loop-a", "1.0"),
        Deb::new("ph-loop-b", "1.0"),
        Deb::new("ph-check", "1.0"),
        Deb::new("ph-pkg", "1.0"),
        Deb::new("ph-dep", "1.0"),
        Deb::new("ph-glob-one", "1.0"),
        Deb::new("ph-glob-two", "1.0"),
    ])
}

/// `ph-local`, a `.deb` outside the repository (it depends on ph-dep, which is in it), put at
/// `/root/ph-local_1.0_all.deb` on each machine.
pub fn put_local_deb(machines: &[&Machine]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let deb = Deb::new("ph-local", "1.0")
        .file("/usr/share/ph-local/local", "local\n")
        .depends("ph-dep")
        .build(dir.path());
    for m in machines {
        std::fs::copy(&deb, m.root().join("root/ph-local_1.0_all.deb"))
            .expect("copying the .deb onto the machine");
    }
}

/// An armored public key made with gpg on the controller.
pub fn public_key() -> String {
    let home = tempfile::tempdir().expect("temp dir");
    let gpg = |args: &[&str]| {
        let out = Command::new("gpg")
            .arg("--homedir")
            .arg(home.path())
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(args)
            .output()
            .expect("gpg runs (apt-get install gpg)");
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    gpg(&[
        "--quick-gen-key",
        "playhook test <test@playhook.invalid>",
        "ed25519",
        "sign",
        "never",
    ]);
    gpg(&["--armor", "--export", "test@playhook.invalid"])
}

/// The play for `host`. `first` run only: the version pin (ph-base goes to 2.0 later), ph-tool
/// (removed later) and the check-mode task (it reports a change every time).
pub fn play(host: &str, repo_url: &str, key: &str) -> String {
    let key: String = key.lines().map(|l| format!("      {l}\n")).collect();
    format!(
        r#"- hosts: {host}
  gather_facts: false
  vars:
    repo_url: "{repo_url}"
    key: |
{key}  handlers:
    - name: packages changed
      copy: {{content: "handler ran\n", dest: /root/handler-ran}}
  tasks:
    - name: the local repository as a one-line source
      apt_repository: {{repo: "deb [trusted=yes] {{{{ repo_url }}}} ./", update_cache: false}}
      register: r_repo
    - name: the same repository in deb822
      deb822_repository: {{name: PH Local_Repo, uris: "{{{{ repo_url }}}}", suites: ./, trusted: true}}
      register: r_deb822
    - apt: {{update_cache: true, cache_valid_time: "{{{{ 1 if first | bool else 3600 }}}}"}}
      register: r_update
    - apt: {{name: ph-base=1.0}}
      register: r_pin
      when: first | bool
    - apt: {{name: "ph-app, ph-loop-a"}}
      register: r_install
      notify: packages changed
    - apt: {{name: [ph-tool], state: present}}
      register: r_tool
      when: first | bool
    - apt: {{name: ph-base, state: latest}}
      register: r_latest
    - apt: {{name: "{{{{ item }}}}"}}
      loop: [ph-loop-a, ph-loop-b]
      register: r_loop
    - apt: {{name: "ph-glob-*"}}
      register: r_glob
    - apt: {{name: ph-tool, state: absent, purge: true}}
      register: r_remove
    - apt: {{deb: /root/ph-local_1.0_all.deb}}
      register: r_deb
      when: not ansible_check_mode
    - apt: {{name: ph-check}}
      check_mode: true
      register: r_check
      when: first | bool
    - apt: {{name: ph-never}}
      when: false
      register: r_skipped
    - name: a real Debian package, through the mirror
      apt: {{name: [gpg, gpg-agent], install_recommends: false}}
      register: r_mirror
    - apt_key: {{data: "{{{{ key }}}}", keyring: /etc/apt/trusted.gpg.d/ph.gpg}}
      register: r_key
      when: not ansible_check_mode
    - dpkg_selections: {{name: ph-app, selection: hold}}
      register: r_hold
      when: not ansible_check_mode
    - debconf: {{name: debconf, question: debconf/priority, vtype: select, value: critical}}
      register: r_debconf
    - package: {{name: ph-pkg}}
      register: r_package
    - package_facts: {{manager: apt}}
      register: r_facts
    - copy:
        dest: /root/results.json
        content: "{{{{ {{'r_repo': r_repo, 'r_deb822': r_deb822, 'r_update': r_update, 'r_pin': r_pin,
          'r_install': r_install, 'r_tool': r_tool, 'r_latest': r_latest, 'r_loop': r_loop, 'r_glob': r_glob, 'r_remove': r_remove,
          'r_deb': r_deb, 'r_check': r_check, 'r_skipped': r_skipped, 'r_mirror': r_mirror, 'r_key': r_key,
          'r_hold': r_hold, 'r_debconf': r_debconf, 'r_package': r_package,
          'r_facts': {{'changed': r_facts.changed, 'packages': ansible_facts.packages}}}} | to_nice_json }}}}"
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
            "dpkg-query -W -f '${Package} ${Version} ${Status}\\n' | sort",
        ),
        ("manual", "apt-mark showmanual | sort"),
        (
            "selections",
            "dpkg --get-selections | grep -v '\\sinstall$' | sort",
        ),
        (
            "sources",
            "for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do [ -e \"$f\" ] || continue; \
             echo \"== $f $(stat -c '%a %U:%G' \"$f\")\"; cat \"$f\"; done",
        ),
        (
            "keyrings",
            "for f in /etc/apt/trusted.gpg.d/* /etc/apt/keyrings/*; do [ -e \"$f\" ] || continue; \
             echo \"== $f $(stat -c '%a %U:%G' \"$f\")\"; \
             gpg --no-default-keyring --keyring \"$f\" --list-keys --with-colons 2>/dev/null | grep '^fpr'; done",
        ),
        ("debconf", "debconf-show debconf | sort"),
        ("handler", "cat /root/handler-ran 2>&1"),
        (
            "files",
            "cat /usr/share/ph-base/version /usr/share/ph-local/local 2>&1",
        ),
    ];
    probes
        .iter()
        .map(|(what, script)| (*what, m.ok(&format!("{{ {script}; }} 2>&1; true"))))
        .collect()
}

/// The results the play dumped on the machine.
pub fn results(m: &Machine) -> serde_json::Value {
    let text = m
        .read("/root/results.json")
        .unwrap_or_else(|| panic!("{}: no results.json", m.name));
    serde_json::from_str(&text).expect("results.json is JSON")
}

/// Writes what was compared for a human to read when a test fails.
pub fn keep(dir: &Path, name: &str, text: &str) {
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(dir.join(name), text);
}
