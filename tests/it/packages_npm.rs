//! `community.general.npm` against the collection's module on real Debian 12 machines (Debian's
//! nodejs and npm are in the test image), hermetic: two tiny packages are packed on each machine
//! with `npm pack` and reached through `file:` dependencies, npm configured offline (no registry,
//! no audit). One play installs a directory's package.json, asks for an installed package at its
//! exact version, `latest`, removes a package from another directory and omits `path` (the
//! module's failure). ansible-playbook applies it to one fresh machine, playhook to its twin:
//! package.json, the lock file, node_modules and every registered result compared; the re-run
//! changes nothing; `--check` on a third machine changes nothing and counts as Ansible counts.
//! A host without npm fails with one line naming it.

use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{Differential, fatal, machines_repo, playhook_fails};

/// Packs `demo-a` and `demo-b` 1.0.0 into /srv/pkgs; /srv/app depends on demo-a (not installed),
/// /srv/app2 on demo-b (installed).
const PREPARE: &str = r#"printf 'offline=true\naudit=false\nfund=false\nupdate-notifier=false\n' >/root/.npmrc
for p in demo-a demo-b; do
  mkdir -p /srv/src/$p && printf '{"name":"%s","version":"1.0.0","main":"index.js"}\n' $p >/srv/src/$p/package.json
  echo "module.exports = '$p';" >/srv/src/$p/index.js
done
mkdir -p /srv/pkgs && cd /srv/pkgs && npm pack /srv/src/demo-a /srv/src/demo-b >/dev/null 2>&1
mkdir -p /srv/app /srv/app2
printf '{"name":"app","version":"1.0.0","dependencies":{"demo-a":"file:/srv/pkgs/demo-a-1.0.0.tgz"}}\n' >/srv/app/package.json
printf '{"name":"app2","version":"1.0.0","dependencies":{"demo-b":"file:/srv/pkgs/demo-b-1.0.0.tgz"}}\n' >/srv/app2/package.json
cd /srv/app2 && npm install >/dev/null 2>&1 && test -f node_modules/demo-b/index.js"#;

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: a directory's package.json
      community.general.npm: {path: /srv/app}
      register: r_install
    - name: an installed package at its version
      npm: {name: demo-a, version: 1.0.0, path: /srv/app}
      register: r_version
    - name: latest
      npm: {path: /srv/app, state: latest}
      register: r_latest
    - name: removed
      community.general.npm: {name: demo-b, path: /srv/app2, state: absent}
      register: r_absent
    - name: no path
      npm: {name: demo-a}
      register: r_nopath
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'install': r_install, 'version': r_version, 'latest': r_latest, 'absent': r_absent,
          'nopath': r_nopath} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

fn state(m: &Machine) -> String {
    m.ok("for d in /srv/app /srv/app2; do echo \"== $d\"; cat $d/package.json $d/package-lock.json 2>/dev/null; \
          (cd $d && find node_modules 2>/dev/null | sort); done")
}

#[test]
fn npm_leaves_what_the_collections_npm_leaves() {
    let trial = Differential::new("packages_npm", PLAY, state).start();
    trial.prepare(PREPARE);
    let outcome = trial.run();
    let ours = state(trial.ours());
    assert!(
        ours.contains("node_modules/demo-a/index.js") && !ours.contains("node_modules/demo-b"),
        "{ours}"
    );
    let r = &outcome.ours;
    assert_eq!(r["install"]["changed"], true, "{r}");
    assert_eq!(r["version"]["changed"], false, "{r}");
    assert_eq!(r["absent"]["changed"], true, "{r}");
    assert_eq!(
        r["nopath"]["msg"], "path must be specified when not using global",
        "{r}"
    );
}

#[test]
fn a_host_without_npm_fails_naming_it() {
    let machines = Machines::start(1);
    let m = machines.machine(0);
    m.ok("rm -f /usr/bin/npm /usr/local/bin/npm");
    let repo = machines_repo(&machines).file(
        "deploy.yaml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: node packages\n      npm: {path: /srv/app}\n",
    );
    let out = playhook_fails(&repo, &["deploy"]);
    let failure = fatal(&out, &m.name);
    assert!(
        failure["msg"]
            .as_str()
            .is_some_and(|msg| msg.starts_with("Failed to find required executable \"npm\" in paths: /")),
        "{out}"
    );
    assert!(out.contains("TASK [node packages]"), "{out}");
}
