//! Smoke tests of the test machines (`support/machines.rs`): real Debian 12 hosts with systemd as
//! PID 1, independent of each other, reachable by ansible-playbook and playhook through the
//! generated inventory, and back with their files after a reboot.

use crate::support::ansible_tasks::ansible_command;
use crate::support::apt_repo::{AptRepo, Deb};
use crate::support::machines::Machines;
use crate::support::repo::TestRepo;

#[test]
fn machines_are_independent_systemd_hosts_with_packages_from_a_local_repository() {
    let machines = Machines::start(2);
    for m in machines.machines() {
        assert_eq!(m.ok("cat /proc/1/comm"), "systemd\n", "{}: PID 1", m.name);
        let state = m.run("systemctl is-system-running").stdout;
        assert!(
            ["running\n", "degraded\n"].contains(&state.as_str()),
            "{}: {state}",
            m.name
        );
        assert_eq!(m.ok("hostname"), format!("{}\n", m.name));
        assert_eq!(m.read("/etc/hostname"), Some(format!("{}\n", m.name)));
    }
    let (one, other) = (machines.machine(0), machines.machine(1));
    assert_ne!(one.address, other.address);
    assert_ne!(
        one.ok("cat /etc/ssh/ssh_host_ed25519_key.pub")
            .split_whitespace()
            .nth(1),
        other
            .ok("cat /etc/ssh/ssh_host_ed25519_key.pub")
            .split_whitespace()
            .nth(1),
        "each machine has its own host key"
    );

    let repo = AptRepo::serve(&[
        Deb::new("playhook-base", "2.0").file("/usr/share/playhook-base/version", "2.0\n"),
        Deb::new("playhook-hello", "1.0")
            .file("/usr/share/playhook-hello/greeting", "hello\n")
            .depends("playhook-base (>= 2.0)")
            .sleeping_service(),
    ]);
    for m in machines.machines() {
        m.add_apt_repo(&repo, true);
    }
    one.ok("apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q playhook-hello");

    assert_eq!(
        one.ok("dpkg-query -W -f '${Package} ${Version} ${Status}\\n' playhook-hello playhook-base"),
        "playhook-base 2.0 install ok installed\nplayhook-hello 1.0 install ok installed\n"
    );
    assert_eq!(one.ok("systemctl is-enabled playhook-hello"), "enabled\n");
    assert_eq!(one.ok("systemctl is-active playhook-hello"), "active\n");
    assert_eq!(
        one.read("/usr/share/playhook-hello/greeting").as_deref(),
        Some("hello\n")
    );
    assert!(one.upper().join("usr/share/playhook-hello/greeting").exists());

    let absent = other.run("dpkg-query -W playhook-hello");
    assert_ne!(
        absent.code, 0,
        "installed on the other machine: {}",
        absent.stdout
    );
    assert_eq!(
        other.run("systemctl is-active playhook-hello").stdout,
        "inactive\n"
    );
    assert_eq!(other.read("/usr/share/playhook-hello/greeting"), None);
}

#[test]
fn ansible_and_playhook_deploy_to_machines_that_come_back_after_a_reboot() {
    let machines = Machines::start(2);
    let (theirs, ours) = (machines.machine(0), machines.machine(1));
    let play = |host: &str, by: &str| {
        format!(
            "- hosts: {host}\n  gather_facts: false\n  tasks:\n    \
             - copy: {{content: \"deployed by {by} to {{{{ inventory_hostname }}}}\\n\", dest: /root/deployed}}\n    \
             - command: systemctl is-enabled ssh\n      register: ssh\n      changed_when: false\n    \
             - copy: {{content: \"{{{{ ssh.stdout }}}}\\n\", dest: /root/ssh-enabled}}\n"
        )
    };
    let repo = TestRepo::local()
        .file("inventory.yml", &machines.inventory_yaml())
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = inventory.yml\ngathering = explicit\n",
        )
        .file("ansible.yaml", &play(&theirs.name, "ansible"))
        .file("deploy.yaml", &play(&ours.name, "playhook"));

    let ansible = ansible_command("ansible-playbook")
        .arg("-i")
        .arg(machines.inventory())
        .arg("ansible.yaml")
        .current_dir(repo.path())
        .env("HOME", repo.path())
        .output()
        .expect("running ansible-playbook (pip install ansible-core==2.19.14)");
    let stdout = String::from_utf8_lossy(&ansible.stdout);
    assert!(
        ansible.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&ansible.stderr)
    );
    assert!(
        stdout.contains(&format!("{} ", theirs.name)) && stdout.contains("changed=2"),
        "{stdout}"
    );

    // playhook needs nothing but sh on the target: take python away from its machine.
    ours.ok("chmod a-x /usr/bin/python3.11");
    let run = repo.playhook(&["deploy", "--json"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    ours.ok("chmod a+x /usr/bin/python3.11");

    for (m, by) in [(theirs, "ansible"), (ours, "playhook")] {
        assert_eq!(
            m.read("/root/deployed"),
            Some(format!("deployed by {by} to {}\n", m.name))
        );
        assert_eq!(m.read("/root/ssh-enabled").as_deref(), Some("enabled\n"));
    }

    ours.ok("echo gone > /run/until-reboot");
    assert_eq!(ours.boots(), 1);
    ours.reboot();
    assert_eq!(ours.boots(), 2);
    assert_eq!(ours.ok("cat /proc/1/comm"), "systemd\n");
    assert_eq!(
        ours.run("cat /run/until-reboot").code,
        1,
        "/run is a fresh tmpfs after a real reboot"
    );
    assert_eq!(
        ours.read("/root/deployed"),
        Some(format!("deployed by playhook to {}\n", ours.name)),
        "files survive the reboot"
    );
    assert_eq!(theirs.boots(), 1, "the other machine kept running");
}

#[test]
fn machines_with_a_private_network_change_their_own_firewall_only() {
    let machines = Machines::start_with_private_network(2);
    let host_netns = std::fs::read_link("/proc/self/ns/net").expect("the host's network namespace");
    let mut seen = Vec::new();
    for m in machines.machines() {
        let netns = m.ok("readlink /proc/self/ns/net");
        assert_ne!(
            netns.trim(),
            host_netns.to_string_lossy(),
            "{} is in the host's namespace",
            m.name
        );
        assert!(!seen.contains(&netns), "{} shares a namespace", m.name);
        seen.push(netns);
        let interfaces = m.ok("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
        assert_eq!(interfaces, "lo\n", "{}: only a loopback interface", m.name);
        m.ok("iptables -A INPUT -p tcp --dport 9 -j DROP && ip6tables -P FORWARD DROP");
    }
    let (a, b) = (machines.machine(0), machines.machine(1));
    assert!(a.ok("iptables-save").contains("--dport 9 -j DROP"));
    b.ok("iptables -F INPUT");
    assert!(
        a.ok("iptables-save").contains("--dport 9 -j DROP"),
        "flushing b changed a"
    );
    assert!(!b.ok("iptables-save").contains("--dport 9"));
}
