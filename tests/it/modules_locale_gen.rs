//! `community.general.locale_gen` against the collection's module on real machines: the same
//! play (one locale, a list, one removed that the machine had) run by ansible-playbook on one
//! fresh machine and by playhook on its twin; compared: `locale -a`, the enabled lines and mode
//! of /etc/locale.gen, every registered result key by key; the re-run changes nothing on
//! both; `--check` on a third machine changes nothing and counts what Ansible counts (the
//! module reports no change in check mode). An unknown locale fails with the module's message.

use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{Differential, machines_repo, playhook_fails};

const PREPARE: &str =
    "sed -i 's/^# fr_FR.UTF-8 UTF-8/fr_FR.UTF-8 UTF-8/' /etc/locale.gen && locale-gen >/dev/null";

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - community.general.locale_gen: {name: de_CH.UTF-8}
      register: r_one
    - locale_gen: {name: [en_GB.UTF-8, nl_NL.UTF-8]}
      register: r_list
    - community.general.locale_gen: {name: fr_FR.UTF-8, state: absent}
      register: r_absent
    - copy:
        dest: /root/results.json
        content: "{{ {'one': r_one, 'list': r_list, 'absent': r_absent} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

fn state(m: &Machine) -> String {
    m.ok("locale -a; grep -v '^#' /etc/locale.gen | grep .; stat -c '%a %U' /etc/locale.gen")
}

#[test]
fn locales_end_as_the_collections_module_leaves_them() {
    let trial = Differential {
        check: &["--check"],
        ..Differential::new("modules_locale_gen", PLAY, state)
    }
    .start();
    trial.prepare(PREPARE);
    let before = state(trial.checked());
    assert!(before.contains("fr_FR.utf8"), "{before}");
    trial.run();
    let ours_state = state(trial.ours());
    assert!(
        ours_state.contains("de_CH.utf8") && !ours_state.contains("fr_FR"),
        "{ours_state}"
    );
}

#[test]
fn an_unknown_locale_fails_with_the_modules_message_naming_the_task() {
    let machines = Machines::start(1);
    let m = machines.machine(0);
    let repo = machines_repo(&machines)
        .file(
            "deploy.yaml",
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: made-up locale\n      community.general.locale_gen: {name: xx_YY.UTF-8}\n",
        );
    let out = playhook_fails(&repo, &["deploy"]);
    assert!(
        out.contains("The following locales you have entered are not available on your system: xx_YY.UTF-8")
            && out.contains("made-up locale")
            && out.contains(&m.name),
        "{out}"
    );
}
