//! Bad input on real machines: a package no repository has, a host without dnf. Each fails its
//! host with one clear line naming what and where; the other hosts finish the play.

use super::play::prepare;
use crate::packages::play::public_key;
use crate::support::machines::Machines;
use crate::support::oracle::{deploy_failing, fatal};

#[test]
fn missing_packages_and_hosts_without_dnf_fail_clearly_and_alone() {
    let machines = Machines::start(3);
    let [nope, no_dnf, fine] = [0, 1, 2].map(|i| machines.machine(i));
    let key = public_key();
    for m in machines.machines() {
        prepare(m, &key);
        m.ok(&format!(
            "printf '[ph]\\nname=ph\\nbaseurl={}\\ngpgcheck=0\\n' > /etc/yum.repos.d/ph.repo",
            crate::support::rpm_repo::url()
        ));
    }
    no_dnf.ok("mv /usr/bin/dnf /usr/bin/dnf.away");
    let text = deploy_failing(
        &machines,
        &format!(
            "dnf: {{name: \"{{{{ 'ph-does-not-exist' if inventory_hostname == '{nope}' else 'ph-pkg' }}}}\"}}",
            nope = nope.name
        ),
    );
    // Ansible's own failure for an unknown package: its message and `failures`.
    let r = fatal(&text, &nope.name);
    assert_eq!(
        r["msg"], "Failed to install some of the specified packages",
        "{r}"
    );
    assert_eq!(
        r["failures"],
        serde_json::json!(["No package ph-does-not-exist available."]),
        "{r}"
    );
    assert_eq!(r["rc"], 1, "{r}");
    let r = fatal(&text, &no_dnf.name);
    let msg = r["msg"].as_str().unwrap_or_default();
    assert!(
        msg.contains("dnf is not installed on") && msg.contains(&no_dnf.name),
        "{msg}"
    );
    assert!(!text.contains(&format!("fatal: [{}]", fine.name)), "{text}");
    assert_eq!(fine.ok("cat /root/finished"), "finished\n");
    assert_eq!(fine.ok("rpm -q --qf '%{NAME}\\n' ph-pkg"), "ph-pkg\n");
    for m in [nope, no_dnf] {
        assert!(
            m.read("/root/finished").is_none(),
            "{} stopped at its failure",
            m.name
        );
    }
}
