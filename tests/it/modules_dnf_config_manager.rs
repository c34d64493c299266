//! `community.general.dnf_config_manager` against the collection's module on real machines
//! (Debian's dnf with dnf-plugins-core, a local repository served by `support::rpm_repo` under
//! three ids): the standard differential run (check mode on a third machine, the play applied
//! by both tools on twins, the re-run changing nothing). Compared: the `.repo` files (bytes,
//! mode) and `dnf repolist --all`'s states, and the registered results key by key
//! (`changed_repos`, `repo_states_pre`, `repo_states_post`); an unknown id fails alike.

use crate::support::machines::Machine;
use crate::support::oracle::Differential;
use crate::support::rpm_repo::{self, Rpm};

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: enable one (the lamp-infrastructure role's task)
      community.general.dnf_config_manager:
        name: ph-crb
        state: enabled
      register: r_enable
    - name: disable two, one already disabled
      community.general.dnf_config_manager: {name: [ph-main, ph-off], state: disabled}
      register: r_disable
    - name: nothing to do
      community.general.dnf_config_manager: {name: [ph-crb]}
      register: r_same
    - name: an unknown id
      community.general.dnf_config_manager: {name: ph-nope, state: enabled}
      register: r_unknown
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'enable': r_enable, 'disable': r_disable, 'same': r_same, 'unknown': r_unknown} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

fn state(m: &Machine) -> String {
    m.ok(
        "for f in /etc/yum.repos.d/*.repo; do stat -c '== %n %a' \"$f\"; cat \"$f\"; done; \
          LC_ALL=C dnf -q repolist --all | sort",
    )
}

fn prepare(m: &Machine) {
    m.ok("mkdir -p /etc/yum.repos.d");
    rpm_repo::serve(m, &[Rpm::new("ph-cm", "1.0")]);
    let url = rpm_repo::url();
    m.ok(&format!(
        "printf '[ph-main]\\nname=main\\nbaseurl={url}\\ngpgcheck=0\\nenabled=1\\n\\n[ph-crb]\\nname=crb\\nbaseurl={url}\\ngpgcheck=0\\nenabled=0\\n' > /etc/yum.repos.d/ph.repo\n\
         printf '[ph-off]\\nname=off\\nbaseurl={url}\\ngpgcheck=0\\nenabled=0\\n' > /etc/yum.repos.d/ph-off.repo"
    ));
}

#[test]
fn repositories_are_enabled_and_disabled_as_the_collections_module_does() {
    let trial = Differential {
        skipped: &[
            "invocation",
            "_ansible_no_log",
            "exception",
            "rc",
            "stdout",
            "stderr",
            "stdout_lines",
            "stderr_lines",
            "cmd",
        ],
        ..Differential::new("modules_dnf_config_manager", PLAY, state)
    }
    .start();
    for m in trial.machines.machines() {
        prepare(m);
    }
    let outcome = trial.run();
    let r = &outcome.ours;
    assert_eq!(r["enable"]["changed_repos"], serde_json::json!(["ph-crb"]), "{r}");
    assert_eq!(
        r["disable"]["changed_repos"],
        serde_json::json!(["ph-main"]),
        "{r}"
    );
    assert_eq!(r["same"]["changed"], false, "{r}");
    assert_eq!(r["unknown"]["failed"], true, "{r}");
    let ours = state(trial.ours());
    assert!(ours.contains("[ph-crb]\nname=crb\nbaseurl="), "{ours}");
    assert!(ours.contains("ph-crb") && ours.contains("enabled"), "{ours}");
}
