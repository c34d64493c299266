//! `community.general.locale_gen` against the collection's module on real machines: the same
//! play (one locale, a list, one removed that the machine had) run by ansible-playbook on one
//! fresh machine and by playhook on its twin; compared: `locale -a`, the enabled lines and mode
//! of /etc/locale.gen, every registered result key by key; the re-run changes nothing on
//! both; `--check` on a third machine changes nothing and counts what Ansible counts (the
//! module reports no change in check mode). An unknown locale fails with the module's message.

use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{
    ansible_playbook, ansible_recap, assert_same_results, machines_repo, playhook_deploy as playhook,
    playhook_recap, read_json, skipping,
};

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

const SKIPPED: &[&str] = &["invocation", "_ansible_no_log"];

fn state(m: &Machine) -> String {
    m.ok("locale -a; grep -v '^#' /etc/locale.gen | grep .; stat -c '%a %U' /etc/locale.gen")
}

#[test]
fn locales_end_as_the_collections_module_leaves_them() {
    let machines = Machines::start(3);
    let (theirs, ours, checked) = (machines.machine(0), machines.machine(1), machines.machine(2));
    let repo = machines_repo(&machines).file("deploy.yaml", PLAY);
    for m in machines.machines() {
        m.ok(PREPARE);
    }
    let before = state(checked);
    assert!(before.contains("fr_FR.utf8"), "{before}");
    let check = playhook(&repo, &["--check", "-l", &checked.name]);
    assert_eq!(state(checked), before, "--check changed the locales");
    let ansible_check = ansible_playbook(&repo, &machines, "deploy.yaml", &["--check", "-l", &checked.name]);
    assert_eq!(
        playhook_recap(&check, &checked.name),
        ansible_recap(&ansible_check, &checked.name),
        "{}\n{ansible_check}",
        check.stdout()
    );

    let theirs_run = ansible_playbook(
        &repo,
        &machines,
        "deploy.yaml",
        &["-l", &theirs.name, "-e", "dump=true"],
    );
    let ours_run = playhook(&repo, &["-l", &ours.name, "-e", "dump=true"]);
    assert_eq!(
        playhook_recap(&ours_run, &ours.name),
        ansible_recap(&theirs_run, &theirs.name)
    );
    let ours_state = state(ours);
    assert_eq!(ours_state, state(theirs));
    assert!(
        ours_state.contains("de_CH.utf8") && !ours_state.contains("fr_FR"),
        "{ours_state}"
    );
    assert_same_results(
        "modules_locale_gen",
        &read_json(theirs, "/root/results.json"),
        &read_json(ours, "/root/results.json"),
        &skipping(SKIPPED),
    );

    let theirs_again = ansible_playbook(&repo, &machines, "deploy.yaml", &["-l", &theirs.name]);
    assert!(
        ansible_recap(&theirs_again, &theirs.name).contains("changed=0"),
        "{theirs_again}"
    );
    let ours_again = playhook(&repo, &["-l", &ours.name]);
    assert_eq!(
        ours_again.recap(&ours.name)["changed"],
        0,
        "{}",
        ours_again.stdout()
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
    let run = repo.playhook(&["deploy"]);
    assert_ne!(run.code(), 0);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        out.contains("The following locales you have entered are not available on your system: xx_YY.UTF-8")
            && out.contains("made-up locale")
            && out.contains(&m.name),
        "{out}"
    );
}
