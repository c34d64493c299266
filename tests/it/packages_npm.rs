//! `community.general.npm` against the collection's module on real Debian 12 machines (Debian's
//! nodejs and npm are in the test image), hermetic: two tiny packages are packed on each machine
//! with `npm pack` and reached through `file:` dependencies, npm configured offline (no registry,
//! no audit). One play installs a directory's package.json, asks for an installed package at its
//! exact version, `latest`, removes a package from another directory and omits `path` (the
//! module's failure). ansible-playbook applies it to one fresh machine, playhook to its twin:
//! package.json, the lock file, node_modules and every registered result compared; the re-run
//! changes nothing; `--check` on a third machine changes nothing and counts as Ansible counts.
//! Named packages come from a registry on each machine (packuments and `npm pack`ed tarballs
//! served by Python's http.server): a version, `latest`, and a global install, compared the
//! same way. Tasks Ansible reports changed on every run (a package file by name, `global`, `ci`) are
//! compared on twins run twice: same recaps both times, same global and local packages. A host
//! without npm fails with one line naming it.

use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{Differential, Twins, fatal, machines_repo, playhook_fails};

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

fn global_state(m: &Machine) -> String {
    m.ok("ls /usr/local/lib/node_modules 2>/dev/null; cat /usr/local/lib/node_modules/demo-a/package.json 2>/dev/null; \
          cd /srv/app2 && find node_modules | sort")
}

#[test]
fn a_package_file_globally_and_ci_change_on_every_run_as_in_the_collection() {
    let twins = Twins::start(2, |host| {
        format!(
            "- hosts: {host}\n  gather_facts: false\n  tasks:\n\
             \x20   - npm: {{name: /srv/pkgs/demo-a-1.0.0.tgz, global: true}}\n\
             \x20   - community.general.npm: {{path: /srv/app2, ci: true}}\n\
             \x20   - npm: {{name: demo-b, global: true, state: absent}}\n"
        )
    });
    for m in twins.machines.machines() {
        m.ok(PREPARE);
    }
    for _ in 0..2 {
        let theirs = twins.ansible(&[]);
        let ours = twins.playhook(&[]);
        twins.assert_same_recap(&theirs, &ours);
        assert!(theirs.contains("changed=2"), "{theirs}");
        assert_eq!(global_state(twins.ours()), global_state(twins.theirs()));
    }
    let ours = global_state(twins.ours());
    assert!(
        ours.contains("demo-a") && ours.contains("node_modules/demo-b/index.js"),
        "{ours}"
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

/// A registry on the machine's own address: packuments of `demo-c` and `demo-e` (1.0.0 and
/// 2.0.0, latest 2.0.0) and their `npm pack`ed tarballs, served by Python's http.server, and
/// npm pointed at it (`registry=` in /root/.npmrc; no audit).
fn registry_script(address: &str) -> String {
    format!(
        r#"set -e
url=http://{address}:4873
printf 'registry=%s/\naudit=false\nfund=false\nupdate-notifier=false\n' $url >/root/.npmrc
mkdir -p /srv/registry/tarballs /srv/app3
for p in demo-c demo-e; do
  entries=
  for v in 1.0.0 2.0.0; do
    d=/srv/src/$p-$v && mkdir -p $d
    printf '{{"name":"%s","version":"%s","main":"index.js"}}\n' $p $v >$d/package.json
    echo "module.exports = '$p $v';" >$d/index.js
    (cd /srv/registry/tarballs && npm pack $d >/dev/null 2>&1)
    sum=$(sha1sum /srv/registry/tarballs/$p-$v.tgz | cut -d' ' -f1)
    entries="$entries${{entries:+,}}\"$v\":{{\"name\":\"$p\",\"version\":\"$v\",\"dist\":{{\"tarball\":\"$url/tarballs/$p-$v.tgz\",\"shasum\":\"$sum\"}}}}"
  done
  printf '{{"name":"%s","dist-tags":{{"latest":"2.0.0"}},"versions":{{%s}}}}\n' $p "$entries" >/srv/registry/$p
done
systemd-run --quiet --unit=npm-registry --working-directory=/srv/registry python3 -m http.server --bind {address} 4873
for i in $(seq 50); do curl -sf $url/demo-c >/dev/null && exit 0; sleep 0.2; done
exit 1"#
    )
}

const REGISTRY_PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: a version from the registry
      npm: {name: demo-c, version: 1.0.0, path: /srv/app3}
      register: r_version
    - name: the latest from the registry
      community.general.npm: {name: demo-e, path: /srv/app3, state: latest}
      register: r_latest
    - name: globally, a version
      npm: {name: demo-c, version: 2.0.0, global: true}
      register: r_global
    - copy:
        dest: /root/results.json
        content: "{{ {'version': r_version, 'latest': r_latest, 'global': r_global} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

fn registry_state(m: &Machine) -> String {
    m.ok(
        "cat /srv/app3/package.json 2>/dev/null; cd /srv/app3 && find node_modules 2>/dev/null | sort; \
          cat /usr/local/lib/node_modules/demo-c/package.json 2>/dev/null; true",
    )
}

#[test]
fn named_packages_from_a_registry_end_as_with_the_collection() {
    let trial = Differential::new("packages_npm_registry", REGISTRY_PLAY, registry_state).start();
    for m in trial.machines.machines() {
        m.ok(&registry_script(&m.address));
    }
    let outcome = trial.run();
    let ours = registry_state(trial.ours());
    assert!(
        ours.contains("\"demo-c\": \"^1.0.0\"") || ours.contains("\"demo-c\": \"1.0.0\""),
        "{ours}"
    );
    assert!(ours.contains("\"version\":\"2.0.0\""), "{ours}");
    let r = &outcome.ours;
    assert_eq!(r["version"]["changed"], true, "{r}");
    assert_eq!(r["latest"]["changed"], true, "{r}");
    assert_eq!(r["global"]["changed"], true, "{r}");
}
