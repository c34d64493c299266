//! A 100-host deploy where 10 hosts are dead (5 addresses nobody listens on, 5 sshd frozen with
//! SIGSTOP): the 90 others finish, the dead ones are reported unreachable by name, and the run
//! takes no longer than a healthy run of the same fleet plus the connect timeout, with a
//! generous margin (both measured here, on this machine, in this test).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use super::{deploy, messages, recap, show};
use crate::support::fleet::Fleet;
use crate::support::repo::TestRepo;

const ALIVE: usize = 95;
const FROZEN: usize = 5;
const NOBODY: usize = 5;
const TIMEOUT: u64 = 10;

const PLAYBOOK: &str = r#"- hosts: all
  tasks:
    - name: a file per host
      copy: content="{{ inventory_hostname }} {{ round }}" dest=/srv/hello
"#;

#[test]
fn ten_dead_hosts_of_a_hundred_are_unreachable_by_name_and_the_ninety_others_finish() {
    let fleet = Fleet::start(ALIVE);
    // Addresses in 127.0.0.0/8 where nothing listens: the connection is refused at once.
    let mut inventory = fleet.inventory_yaml();
    let vars = inventory
        .split_once("      vars:\n")
        .map(|(_, v)| v.to_string())
        .expect("the fleet inventory has group vars");
    inventory.push_str("    nobody:\n      hosts:\n");
    let nobody: Vec<String> = (0..NOBODY).map(|i| format!("gone{i}")).collect();
    for (i, name) in nobody.iter().enumerate() {
        writeln!(
            inventory,
            "        {name}:\n          ansible_host: 127.0.0.{}\n          ansible_port: {}",
            240 + i,
            fleet.port()
        )
        .expect("a String");
    }
    inventory.push_str("      vars:\n");
    inventory.push_str(&vars);
    let repo = TestRepo::empty()
        .file("inventory.yaml", &inventory)
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = inventory.yaml\ngathering = explicit\n",
        )
        .file("deploy.yaml", PLAYBOOK);
    let timeout = TIMEOUT.to_string();

    // The healthy run: every live host, nothing dead.
    let started = Instant::now();
    let healthy = deploy(&repo, &["--timeout", &timeout, "-l", "fleet", "-e", "round=1"]);
    let healthy_time = started.elapsed();
    let failures: Vec<String> = healthy
        .events()
        .iter()
        .filter(|e| e["event"] == "host_result" && e["status"] != "ok" && e["status"] != "changed")
        .map(|e| e.to_string())
        .collect();
    assert_eq!(healthy.code(), 0, "the healthy run: {failures:#?}");

    let frozen: Vec<&str> = fleet.hosts()[..FROZEN].iter().map(|h| h.name.as_str()).collect();
    for h in &fleet.hosts()[..FROZEN] {
        h.freeze();
    }
    let started = Instant::now();
    let run = deploy(&repo, &["--timeout", &timeout, "-e", "round=2"]);
    let faulty_time = started.elapsed();
    for h in &fleet.hosts()[..FROZEN] {
        h.thaw();
    }
    println!(
        "healthy run ({ALIVE} hosts): {healthy_time:?}; with {} dead of {}: {faulty_time:?}",
        FROZEN + NOBODY,
        ALIVE + NOBODY
    );
    assert_eq!(run.code(), 3, "{}", show(&run));
    let recap = recap(&run);
    assert_eq!(recap.len(), ALIVE + NOBODY, "{recap:?}");
    for name in frozen.iter().copied().chain(nobody.iter().map(String::as_str)) {
        assert_eq!(recap[name][2], 1, "{name} is unreachable: {:?}", recap[name]);
        let why = messages(&run, name, "unreachable");
        assert!(
            why.iter()
                .any(|m| m.contains(name) && m.contains("cannot connect")),
            "{name}: {why:?}"
        );
    }
    for h in &fleet.hosts()[FROZEN..] {
        assert_eq!(recap[&h.name][1..], [1, 0, 0], "{}: {:?}", h.name, recap[&h.name]);
        assert_eq!(
            std::fs::read_to_string(h.srv().join("hello")).expect("hello"),
            format!("{} 2", h.name)
        );
    }
    let bound = healthy_time * 3 + Duration::from_secs(TIMEOUT * 3 + 15);
    assert!(
        faulty_time < bound,
        "the dead hosts slowed the run down beyond the connect timeout: {faulty_time:?} \
         (healthy {healthy_time:?}, bound {bound:?})"
    );
}
