//! `pip` against ansible-core's module on real Debian 12 machines, hermetic: tiny wheels are
//! written on each machine (a Python script zipping a module, its METADATA, WHEEL and RECORD)
//! and installed with `--no-index --find-links`, so no PyPI is needed. One play creates a venv
//! (`python3 -m venv`), installs with a version and with specifiers, a requirements file, an
//! upgrade (`latest`) and a removal, installs into Debian's "externally managed" system Python
//! (PEP 668: refused, then allowed with `break_system_packages`), and asks for programs that
//! are missing (`executable: pip9`, the default `virtualenv`). ansible-playbook applies it to
//! one fresh machine, playhook to its twin: the venv's and the system's packages, the venv's
//! files and every registered result (failures included) compared; the re-run changes nothing;
//! `--check` on a third machine changes nothing and counts as Ansible counts.

use crate::support::machines::Machine;
use crate::support::oracle::Differential;

/// Writes wheels of `demo-a` 1.0 and 2.0, `demo-b` 1.0, `demo-c` 1.0 and `demo-d` 1.0 and 2.0
/// to /srv/wheels, a requirements file, and installs `demo-d` 1.0 and `demo-b` 1.0 into the
/// system Python.
const PREPARE: &str = r#"mkdir -p /srv/wheels && cat >/srv/mkwheel.py <<'EOF'
import base64, hashlib, sys, zipfile
def wheel(name, version):
    mod = name.replace("-", "_")
    info = f"{mod}-{version}.dist-info"
    files = {
        f"{mod}/__init__.py": f"VERSION = {version!r}\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: playhook-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(f"/srv/wheels/{mod}-{version}-py3-none-any.whl", "w") as z:
        for path, text in files.items():
            z.writestr(zipfile.ZipInfo(path, (2024, 1, 1, 0, 0, 0)), text)
for spec in sys.argv[1:]:
    wheel(*spec.split("=="))
EOF
python3 /srv/mkwheel.py demo-a==1.0 demo-a==2.0 demo-b==1.0 demo-c==1.0 demo-d==1.0 demo-d==2.0
printf 'demo-c==1.0\n' >/srv/requirements.txt
python3 -m pip install -q --break-system-packages --no-index --find-links /srv/wheels demo-d==1.0 demo-b==1.0 2>/dev/null"#;

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  vars:
    local: --no-index --find-links /srv/wheels
  tasks:
    - name: a venv created, a pinned version
      pip: {name: demo-a, version: "1.0", virtualenv: /opt/venv, virtualenv_command: python3 -m venv, extra_args: "{{ local }}"}
      register: r_venv
    - name: specifiers, one already there
      ansible.builtin.pip:
        name: ["demo-b>=1.0", "<2", demo-a]
        virtualenv: /opt/venv
        extra_args: "{{ local }}"
      register: r_specs
    - name: a requirements file
      pip: {requirements: requirements.txt, chdir: /srv, virtualenv: /opt/venv, extra_args: "{{ local }}"}
      register: r_requirements
    - name: removed from the system Python, allowed
      pip: {name: demo-b, state: absent, break_system_packages: true}
      register: r_absent
    - name: externally managed system Python
      pip: {name: demo-a, extra_args: "{{ local }}"}
      register: r_pep668
      ignore_errors: true
    - name: upgraded in the system Python, allowed
      pip: {name: demo-d, state: latest, break_system_packages: true, extra_args: "{{ local }}"}
      register: r_latest
    - name: present without extra arguments
      pip: {name: wheel, break_system_packages: true}
      register: r_present
    - name: no such pip
      pip: {name: demo-a, executable: pip9}
      register: r_nopip
      ignore_errors: true
    - name: no virtualenv program
      pip: {name: demo-a, virtualenv: /opt/venv2}
      register: r_novirtualenv
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'venv': r_venv, 'specs': r_specs, 'requirements': r_requirements, 'absent': r_absent,
          'pep668': r_pep668, 'latest': r_latest, 'present': r_present, 'nopip': r_nopip,
          'novirtualenv': r_novirtualenv} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

fn state(m: &Machine) -> String {
    m.ok(
        "/opt/venv/bin/pip list --format=freeze 2>/dev/null | grep -i demo; \
          python3 -m pip list --format=freeze 2>/dev/null | grep -i -e demo -e wheel; \
          ls /opt/venv/bin 2>/dev/null | sort; cat /opt/venv/pyvenv.cfg 2>/dev/null; \
          ls -d /opt/venv2 2>/dev/null; true",
    )
}

#[test]
fn pip_leaves_what_ansibles_pip_leaves() {
    let trial = Differential::new("packages_pip", PLAY, state).start();
    trial.prepare(PREPARE);
    let outcome = trial.run();
    let ours = state(trial.ours());
    assert!(
        ours.contains("demo-a==1.0")
            && ours.contains("demo-b==1.0")
            && ours.contains("demo-c==1.0")
            && ours.contains("demo-d==2.0")
            && ours.matches("demo-b").count() == 1,
        "{ours}"
    );
    let r = &outcome.ours;
    assert_eq!(r["venv"]["changed"], true, "{r}");
    assert_eq!(r["absent"]["changed"], true, "{r}");
    assert_eq!(r["specs"]["cmd"][5], "demo-b<2,>=1.0", "{r}");
    assert!(
        r["pep668"]["msg"]
            .as_str()
            .is_some_and(|m| m.contains("externally-managed-environment")),
        "{r}"
    );
    assert_eq!(r["present"]["changed"], false, "{r}");
    assert_eq!(
        r["nopip"]["msg"], "Unable to find any of pip9 to use.  pip needs to be installed.",
        "{r}"
    );
    assert!(
        r["novirtualenv"]["msg"]
            .as_str()
            .is_some_and(|m| m.starts_with("Failed to find required executable \"virtualenv\"")),
        "{r}"
    );
}
