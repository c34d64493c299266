//! `user` and `group` against ansible-core 2.19 on real machines: the same play applied by
//! ansible-playbook to one fresh Debian machine and by playhook to another, then the account
//! databases, the homes and the registered results compared; a re-run changes nothing on
//! both, and `--check` on a fresh machine changes nothing and counts what Ansible counts.

use serde_json::{Value as Json, json};

use crate::support::machines::{Machine, Machines};
use crate::support::modules::Harness;
use crate::support::repo::TestRepo;
use crate::support::twin::{ansible, ansible_recap, compare_results, json_file, playhook, recap_of};

const HASH: &str =
    "$6$playhooksalt$7P.Tf.Mzk6IuSnZosZjJVh21Frwx/x7c3asJUA6/Sbnn9p4lBfwGMbIZ6BwP.K6n0CNJHj5hVXcuJBOdeS07b.";

/// The play: groups, a loop of users, then changes to existing accounts and removals (of
/// `dave` and `doomed`, which [`PREPARE`] made, so a re-run has nothing to do); with `dump`,
/// every registered result is written to /root/results.json.
fn play() -> String {
    format!(
        r#"- hosts: all
  gather_facts: false
  tasks:
    - group: {{name: deploy, gid: 2001}}
      register: g_deploy
    - group: {{name: sysgrp, system: true}}
      register: g_sys
    - group: {{name: doomed, state: absent}}
      register: g_doomed
    - group: {{name: never-there, state: absent}}
      register: g_never
    - user:
        name: "{{{{ item.name }}}}"
        uid: "{{{{ item.uid | default(omit) }}}}"
        group: "{{{{ item.group | default(omit) }}}}"
        groups: "{{{{ item.groups | default(omit) }}}}"
        append: "{{{{ item.append | default(omit) }}}}"
        comment: "{{{{ item.comment | default(omit) }}}}"
        home: "{{{{ item.home | default(omit) }}}}"
        shell: "{{{{ item.shell | default(omit) }}}}"
        password: "{{{{ item.password | default(omit) }}}}"
        system: "{{{{ item.system | default(omit) }}}}"
        create_home: "{{{{ item.create_home | default(omit) }}}}"
        expires: "{{{{ item.expires | default(omit) }}}}"
        generate_ssh_key: "{{{{ item.key | default(omit) }}}}"
        ssh_key_type: ed25519
        ssh_key_comment: "{{{{ item.name }}}} key"
      loop:
        - {{name: alice, uid: 3001, groups: [deploy, adm], comment: Alice A, shell: /bin/bash, password: "{HASH}", expires: 1893456000}}
        - {{name: bob, groups: "deploy,users", append: true, home: /srv/bob, key: true}}
        - {{name: svc, system: true, group: sysgrp, create_home: false, shell: /usr/sbin/nologin}}
        - {{name: carol, groups: [deploy], append: true}}
        - {{name: frank, expires: -1}}
        - {{name: erin, home: /opt/people/erin}}
      register: users
    - user: {{name: carol, groups: [sysgrp], append: true, password_lock: true}}
      register: carol_more
    - user: {{name: alice, groups: "adm, deploy", update_password: on_create, password: "{HASH}"}}
      register: alice_fewer
    - user: {{name: dave, state: absent, remove: true}}
      register: dave_gone
    - user: {{name: nobody-here, state: absent}}
      register: never_user
    - copy:
        dest: /root/results.json
        content: "{{{{ {{'g_deploy': g_deploy, 'g_sys': g_sys, 'g_doomed': g_doomed, 'g_never': g_never, 'users': users, 'carol_more': carol_more, 'alice_fewer': alice_fewer, 'dave_gone': dave_gone, 'never_user': never_user}} | to_nice_json }}}}"
      when: dump | default(false) | bool
"#
    )
}

/// Keys both tools register but that cannot be equal or are not the module's: Ansible's
/// `invocation` (module arguments, playhook does not echo them), `warnings`/`deprecations`
/// (printed, compared on the terminal elsewhere), `_ansible_*` and loop bookkeeping
/// (`ansible_loop_var`, `item` are the executor's, compared by the loop tests), and the ssh
/// key material, random per machine (compared by shape below).
const SKIPPED: &[&str] = &[
    "invocation",
    "warnings",
    "deprecations",
    "_ansible_no_log",
    "_ansible_item_label",
    "ansible_loop_var",
    "item",
    "ssh_fingerprint",
    "ssh_public_key",
];

/// What every machine has before the play: an account and a group to remove.
const PREPARE: &str = "groupadd doomed && useradd -m dave";

#[test]
fn user_and_group_end_as_ansible_leaves_them_and_register_the_same_results() {
    let machines = Machines::start(3);
    let (theirs, ours, checked) = (machines.machine(0), machines.machine(1), machines.machine(2));
    let repo = TestRepo::local()
        .file("inventory.yml", &machines.inventory_yaml())
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = inventory.yml\ngathering = explicit\n",
        )
        .file("deploy.yaml", &play());

    for m in machines.machines() {
        m.ok(PREPARE);
    }
    // --check on a fresh machine: nothing changes, and the counts are Ansible's.
    let before = accounts(checked);
    let check = playhook(&repo, &["--check", "-l", &checked.name]);
    assert_eq!(accounts(checked), before, "--check changed the accounts");
    assert!(checked.run("test -e /srv/bob || test -e /home/alice").code != 0);
    let ansible_check = ansible(&repo, &machines, &["--check", "-l", &checked.name]);
    assert_eq!(
        recap_of(&check, &checked.name),
        ansible_recap(&ansible_check, &checked.name)
    );

    // The real run, with the results dumped.
    let theirs_run = ansible(&repo, &machines, &["-l", &theirs.name, "-e", "dump=true"]);
    let ours_run = playhook(&repo, &["-l", &ours.name, "-e", "dump=true"]);
    assert_eq!(
        recap_of(&ours_run, &ours.name),
        ansible_recap(&theirs_run, &theirs.name)
    );

    for file in ["/etc/passwd", "/etc/group", "/etc/gshadow"] {
        assert_eq!(ours.read(file), theirs.read(file), "{file}");
    }
    assert_eq!(shadow(ours), shadow(theirs), "/etc/shadow");
    assert!(
        ours.ok("getent shadow alice").contains(HASH),
        "alice's hash is set"
    );
    assert!(
        ours.ok("getent shadow carol").starts_with("carol:!"),
        "carol is locked"
    );
    assert_eq!(homes(ours), homes(theirs), "homes: paths, modes, owners");
    assert!(ours.run("getent passwd dave").code != 0 && ours.run("test -e /home/dave").code != 0);

    let ours_results = results(ours);
    let theirs_results = results(theirs);
    compare_results(&ours_results, &theirs_results, SKIPPED);
    let bob = |r: &Json| r["users"]["results"][1].clone();
    for (r, m) in [(&ours_results, ours), (&theirs_results, theirs)] {
        let key = bob(r);
        let public = key["ssh_public_key"].as_str().unwrap_or_default().to_string();
        assert!(
            public.starts_with("ssh-ed25519 ") && public.ends_with(" bob key"),
            "{public}"
        );
        assert_eq!(
            m.ok("cat /srv/bob/.ssh/id_ed25519.pub").trim(),
            public,
            "{}: the registered public key is the file's",
            m.name
        );
        let fp = key["ssh_fingerprint"].as_str().unwrap_or_default();
        assert!(
            fp.starts_with("256 SHA256:") && fp.ends_with(" bob key (ED25519)"),
            "{fp}"
        );
    }
    // The hash is in the loop's items, which both print as the item's label (Ansible too);
    // nowhere else.
    let leaks: Vec<String> = format!("{}{}", ours_run.stdout(), ours_run.stderr())
        .lines()
        .filter(|l| l.contains(HASH) && !l.contains("\"item\""))
        .map(str::to_string)
        .collect();
    assert!(leaks.is_empty(), "the password hash is printed: {leaks:?}");

    // A re-run changes nothing, on both.
    let theirs_again = ansible(&repo, &machines, &["-l", &theirs.name]);
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
fn a_missing_group_fails_with_ansibles_message_naming_the_host() {
    let machines = Machines::start(1);
    let m = machines.machine(0);
    let repo = TestRepo::local()
        .file("inventory.yml", &machines.inventory_yaml())
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = inventory.yml\ngathering = explicit\n",
        )
        .file(
            "deploy.yaml",
            &format!("- hosts: all\n  gather_facts: false\n  tasks:\n    - user: {{name: zed, groups: [nosuch], password: \"{HASH}\"}}\n"),
        );
    let run = repo.playhook(&["deploy"]);
    assert_ne!(run.code(), 0);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        out.contains("Group nosuch does not exist") && out.contains(&m.name),
        "{out}"
    );
    assert!(m.run("getent passwd zed").code != 0, "nothing was created");
}

#[tokio::test]
async fn an_account_with_nothing_to_change_costs_one_round_trip_and_check_mode_none_more() {
    let mut h = Harness::new().await;
    let tasks = [
        (
            "user",
            json!({"name": "root", "uid": 0, "group": "root", "home": "/root"}),
        ),
        ("group", json!({"name": "root", "gid": 0})),
        ("user", json!({"name": "playhook-nobody-here", "state": "absent"})),
        (
            "group",
            json!({"name": "playhook-nobody-here", "state": "absent"}),
        ),
    ];
    for (module, args) in &tasks {
        h.conn.runs = 0;
        let r = h.run(module, args.clone()).await;
        assert!(
            !r.failed && !r.changed,
            "{module} {args}: {:?} {:?}",
            r.msg,
            r.data
        );
        assert_eq!(h.conn.runs, 1, "{module} {args}: round trips");
    }
    h.conn.runs = 0;
    let r = h
        .run_with(
            "user",
            json!({"name": "playhook-nobody-here", "groups": ["root"]}),
            true,
            false,
        )
        .await;
    assert!(
        r.changed && r.data.is_empty(),
        "check mode registers only `changed`: {:?}",
        r.data
    );
    assert_eq!(h.conn.runs, 1);
}

/// The account databases and the homes' tree, for "nothing changed".
fn accounts(m: &Machine) -> String {
    m.ok("cat /etc/passwd /etc/group /etc/shadow /etc/gshadow; ls -la /home /srv /opt")
}

/// /etc/shadow with the last-change day (the day each ran) checked and blanked.
fn shadow(m: &Machine) -> String {
    let today = m
        .ok("echo $(( $(date +%s) / 86400 ))")
        .trim()
        .parse::<i64>()
        .expect("a day");
    m.read("/etc/shadow")
        .expect("/etc/shadow")
        .lines()
        .map(|l| {
            let mut f: Vec<String> = l.split(':').map(str::to_string).collect();
            if let Ok(day) = f[2].parse::<i64>() {
                if day >= today - 1 {
                    f[2] = "<today>".into();
                }
            }
            f.join(":")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path under the homes with its type, mode, owner and group.
fn homes(m: &Machine) -> String {
    m.ok("find /home /srv /opt/people -printf '%p %y %m %u %g\\n' | sort")
}

fn results(m: &Machine) -> Json {
    json_file(m, "/root/results.json")
}
