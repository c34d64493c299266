//! The service modules on real machines, with ansible-playbook as the oracle: one play using
//! `copy`ed units, `notify` → a handler doing `daemon_reload` + restart, `systemd_service`,
//! `service` (in a loop), `masked`, `wait_for` on the service's port (each machine's own
//! 127.0.0.N), `service_facts`, `reboot` and a task after it — run by ansible-playbook on one
//! fresh machine and by playhook on another. Compared: systemd's view of every unit, the files,
//! and the registered results key by key; `--check --diff` first changes nothing; the re-run
//! changes nothing. Bad input (a unit that does not exist, a host without `systemctl`) fails
//! in one line naming the unit or program and the host, while other hosts finish.

use crate::support::ansible_tasks::ansible_command;
use crate::support::machines::{Machine, Machines};
use crate::support::oracle::{Rule, Site, Twins, assert_same_results, machines_repo, read_json};

const PORT: u16 = 18765;
const UNITS: &[&str] = &["phdemo", "phsleep-a", "phsleep-b", "phsleep-c", "phmasked"];

/// The play, for one host.
fn play(host: &str) -> String {
    format!(
        r#"- hosts: {host}
  gather_facts: false
  handlers:
    - name: reload and restart
      systemd:
        name: phdemo
        daemon_reload: true
        state: restarted
      register: r_handler
  tasks:
    - name: first run only
      stat:
        path: /root/rebooted-once
      register: marker
    - name: the demo unit
      copy:
        dest: /etc/systemd/system/phdemo.service
        content: |
          [Unit]
          Description=playhook demo
          [Service]
          ExecStart=/usr/bin/python3 -m http.server --bind {{{{ ansible_host }}}} {PORT}
          [Install]
          WantedBy=multi-user.target
      notify: reload and restart
    - name: sleeper units
      copy:
        dest: "/etc/systemd/system/phsleep-{{{{ item }}}}.service"
        content: |
          [Unit]
          Description=playhook sleeper {{{{ item }}}}
          [Service]
          ExecStart=/bin/sleep infinity
          [Install]
          WantedBy=multi-user.target
      loop: [a, b, c]
    - name: reload systemd
      systemd:
        daemon-reload: true
      register: r_reload
    - name: reload systemd through the service module, as roles write it
      service:
        daemon_reload: true
      register: r_svc_reload
    - name: start and enable the demo
      systemd_service:
        name: phdemo.service
        state: started
        enabled: true
      register: r_demo
    - name: sleepers through the service module
      service:
        name: "phsleep-{{{{ item }}}}"
        state: started
        enabled: true
      loop: [a, b]
      register: r_sleepers
    - name: stop and disable one
      systemd:
        unit: phsleep-c
        state: stopped
        enabled: false
      register: r_stop
    - name: mask a unit
      systemd:
        name: phmasked.service
        masked: true
      register: r_mask
    - name: query only
      systemd:
        name: phsleep-a
        state: started
      register: r_query
    - meta: flush_handlers
    - name: the demo listens
      wait_for:
        host: "{{{{ ansible_host }}}}"
        port: {PORT}
        timeout: 60
      register: r_wait
    - name: the unit file says what it runs
      wait_for:
        path: /etc/systemd/system/phdemo.service
        search_regex: 'ExecStart=(?P<program>\S+) (\S+)'
        timeout: 5
      register: r_waitfile
    - name: nothing listens on the next port
      wait_for:
        host: "{{{{ ansible_host }}}}"
        port: {next}
        state: stopped
        timeout: 5
      register: r_stopped
    - service_facts:
      register: r_facts
    - name: dump results
      copy:
        dest: /root/results.json
        content: "{{{{ {{'reload': r_reload, 'svc_reload': r_svc_reload, 'demo': r_demo, 'sleepers': r_sleepers, 'stop': r_stop, 'mask': r_mask, 'query': r_query, 'handler': r_handler, 'wait': r_wait, 'waitfile': r_waitfile, 'stopped': r_stopped, 'facts': r_facts}} | to_nice_json }}}}"
      when: not marker.stat.exists
    - name: facts are ansible_facts
      copy:
        dest: /root/facts-demo.json
        content: "{{{{ ansible_facts.services['phdemo.service'] | to_nice_json }}}}"
    - reboot:
        reboot_timeout: 120
      register: r_reboot
      when: not marker.stat.exists
    - name: after the reboot
      command: systemctl is-active phdemo
      register: r_after
      changed_when: false
    - name: the demo listens again
      wait_for:
        host: "{{{{ ansible_host }}}}"
        port: {PORT}
        timeout: 60
    - name: the connection answers
      wait_for_connection:
        timeout: 30
      register: r_connection
    - name: no such file
      wait_for:
        path: /nonexistent/file
        state: absent
        timeout: 5
      register: r_absent
    - name: the demo port has no connections
      wait_for:
        host: "{{{{ ansible_host }}}}"
        port: {PORT}
        state: drained
        timeout: 10
      register: r_drained
    - name: dump the reboot
      copy:
        dest: /root/after.json
        content: "{{{{ {{'reboot': r_reboot, 'after': r_after, 'connection': r_connection, 'absent': r_absent, 'drained': r_drained}} | to_nice_json }}}}"
      when: not marker.stat.exists
    - name: remember the reboot
      copy:
        dest: /root/rebooted-once
        content: "yes\n"
"#,
        next = PORT + 1
    )
}

/// The unit files as a machine had them before the play (other descriptions, so `copy`
/// changes them and notifies), disabled and stopped but for `phsleep-c`, enabled and running.
fn seed(m: &Machine) {
    m.ok(&format!(
        "printf '[Unit]\\nDescription=seeded\\n[Service]\\nExecStart=/usr/bin/python3 -m http.server --bind {addr} {PORT}\\n' \
           > /etc/systemd/system/phdemo.service && \
         for x in a b c; do printf '[Unit]\\nDescription=seeded\\n[Service]\\nExecStart=/bin/sleep infinity\\n' \
           > /etc/systemd/system/phsleep-$x.service; done && \
         printf '[Install]\nWantedBy=multi-user.target\n' >> /etc/systemd/system/phsleep-c.service && \
         systemctl daemon-reload && systemctl enable --now phsleep-c",
        addr = m.address
    ));
}

/// systemd's view of the play's units: is-enabled, is-active and stable properties.
fn systemd_view(m: &Machine) -> String {
    let mut out = String::new();
    for u in UNITS {
        let ran = m.run(&format!(
            "systemctl is-enabled {u}; systemctl is-active {u}; \
             systemctl show -p LoadState,ActiveState,SubState,UnitFileState,FragmentPath,Description {u}"
        ));
        out.push_str(&format!("{u}:\n{}", ran.stdout));
    }
    out
}

/// What is not compared, and why.
fn rule(at: &Site) -> Rule {
    let path = at.path;
    let last = path.rsplit('.').next().unwrap_or("");
    // Ansible echoes the module's arguments; playhook registers no `invocation`.
    if last == "invocation" || last.starts_with("invocation[") {
        return Rule::Skip;
    }
    // Every result Ansible registers carries `failed: false`, and a loop's `msg` and
    // `skipped`: the executor's, not these modules' (playhook's executor registers `failed` only
    // when true): not compared.
    if last == "failed" || path.ends_with("sleepers.msg") || path.ends_with("sleepers.skipped") {
        return Rule::Skip;
    }
    // systemd unloads a unit stopped moments before (phsleep-c) on its own schedule: Ansible's
    // service_facts reads `stopped` from `list-units` while it is loaded, `inactive` from
    // `systemctl show` once it is not (playhook reads both places as Ansible does). Which one
    // a machine shows depends on timing, so this one value is compared by type.
    if path.ends_with("services.phsleep-c.service.state") {
        return Rule::Type;
    }
    // The machines' own boot units vary between twin machines (systemd-remount-fs fails on
    // some boots of the containers): their names and sources are compared, their state and
    // status by type. The play's units (ph*) are compared in full.
    if path.contains(".services.") && !path.contains(".services.ph") && (last == "state" || last == "status")
    {
        return Rule::Type;
    }
    // Wall-clock seconds.
    if last == "elapsed" || last == "start" || last == "end" || last == "delta" {
        return Rule::Type;
    }
    // A unit's properties that change with every start or boot: times, PIDs, ids, counters,
    // memory and CPU use. The set of property names is compared; these values by type.
    if path.contains(".status.")
        && ["After", "Before", "Requires", "Wants", "WantedBy", "Names"].contains(&last)
    {
        return Rule::Words;
    }
    if path.contains(".status.") {
        const STABLE: &[&str] = &[
            "Id",
            "Names",
            "LoadState",
            "ActiveState",
            "SubState",
            "UnitFileState",
            "UnitFilePreset",
            "FragmentPath",
            "Description",
            "Type",
            "Restart",
            "WantedBy",
            "Before",
            "After",
            "Requires",
            "CanStart",
            "CanStop",
            "CanReload",
            "Result",
            "NeedDaemonReload",
        ];
        if !STABLE.contains(&last) {
            return Rule::Type;
        }
    }
    Rule::Equal
}

#[test]
fn services_play_ends_as_ansible_leaves_it_and_reruns_clean() {
    let twins = Twins::start(2, play);
    let (theirs, ours) = (twins.theirs(), twins.ours());
    for m in [theirs, ours] {
        seed(m);
    }
    let before = systemd_view(ours);
    assert_eq!(systemd_view(theirs), before);

    // --check --diff on the fresh machines: the same report, and systemd unchanged.
    let checked = twins.ansible(&["--check", "--diff"]);
    let run = twins.playhook(&["--check", "--diff"]);
    twins.assert_same_recap(&checked, &run);
    for m in [theirs, ours] {
        assert_eq!(systemd_view(m), before, "{} after --check", m.name);
        assert_eq!(m.boots(), 1, "{}: --check rebooted", m.name);
        assert_eq!(m.read("/root/results.json"), None);
        assert!(
            m.read("/etc/systemd/system/phdemo.service")
                .is_some_and(|t| t.contains("seeded"))
        );
        assert_eq!(
            m.run("test -L /etc/systemd/system/phmasked.service").code,
            1,
            "{}: --check masked",
            m.name
        );
    }

    // The real run.
    let applied = twins.ansible(&[]);
    let run = twins.playhook(&[]);
    twins.assert_same_recap(&applied, &run);
    for m in [theirs, ours] {
        assert_eq!(m.boots(), 2, "{} rebooted once", m.name);
    }
    let view = systemd_view(ours);
    assert_eq!(systemd_view(theirs), view);
    assert!(view.contains("phdemo:\nenabled\nactive\n"), "{view}");
    assert!(view.contains("phsleep-b:\nenabled\nactive\n"), "{view}");
    assert!(view.contains("phsleep-c:\ndisabled\ninactive\n"), "{view}");
    assert!(view.contains("phmasked:\nmasked\n"), "{view}");
    for file in [
        "/etc/systemd/system/phdemo.service",
        "/etc/systemd/system/phsleep-a.service",
        "/root/rebooted-once",
    ] {
        let mine = ours.read(file).map(|t| t.replace(&ours.address, "ADDR"));
        assert_eq!(
            theirs.read(file).map(|t| t.replace(&theirs.address, "ADDR")),
            mine,
            "{file}"
        );
    }
    assert_eq!(
        ours.ok("readlink /etc/systemd/system/phmasked.service"),
        theirs.ok("readlink /etc/systemd/system/phmasked.service")
    );

    for file in ["/root/results.json", "/root/after.json", "/root/facts-demo.json"] {
        assert_same_results(file, &read_json(theirs, file), &read_json(ours, file), &rule);
    }
    let results = read_json(ours, "/root/results.json");
    assert_eq!(results["demo"]["changed"], true);
    assert_eq!(results["demo"]["status"]["ActiveState"], "inactive");
    assert_eq!(results["query"]["changed"], false);
    assert_eq!(results["stop"]["changed"], true);
    assert_eq!(results["stop"]["enabled"], false);
    assert_eq!(
        results["facts"]["ansible_facts"]["services"]["phdemo.service"]["state"],
        "running"
    );
    assert_eq!(read_json(ours, "/root/after.json")["reboot"]["rebooted"], true);

    // The re-run changes nothing, on both.
    let again = twins.ansible(&[]);
    let run = twins.playhook(&[]);
    twins.assert_same_recap(&again, &run);
    twins.assert_changed_nothing(&again, &run);
    assert_eq!(systemd_view(ours), view);
}

#[test]
fn a_missing_unit_or_systemctl_fails_in_one_line_and_other_hosts_finish() {
    let machines = Machines::start(3);
    let (first, second, third) = (machines.machine(0), machines.machine(1), machines.machine(2));
    // The second machine has no systemctl (as a host without systemd).
    second.ok("mv /usr/bin/systemctl /usr/bin/systemctl.off");
    let play = format!(
        "- hosts: machines\n  gather_facts: false\n  tasks:\n    \
         - name: a unit nobody has\n      systemd:\n        name: nope-missing\n        state: started\n      \
           when: inventory_hostname == '{first}'\n    \
         - name: ssh runs\n      systemd_service:\n        name: ssh\n        state: started\n    \
         - copy:\n        dest: /root/finished\n        content: \"yes\\n\"\n",
        first = first.name
    );
    let repo = machines_repo(&machines).file("deploy.yaml", &play);
    let run = repo.playhook(&["deploy", "--json"]);
    second.ok("mv /usr/bin/systemctl.off /usr/bin/systemctl");
    assert_ne!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    let all = format!("{}{}", run.stdout(), run.stderr());
    let failures: Vec<String> = run
        .events()
        .iter()
        .filter(|e| e["failed"] == true || e["status"] == "failed")
        .map(|e| e.to_string())
        .collect();
    assert!(
        all.contains("Could not find the requested service nope-missing: host"),
        "{all}"
    );
    assert!(
        failures
            .iter()
            .any(|f| f.contains(&first.name) && f.contains("nope-missing")),
        "{failures:#?}"
    );
    assert!(
        failures
            .iter()
            .any(|f| f.contains(&second.name) && f.contains("`systemctl` not found on")),
        "{failures:#?}"
    );
    assert_eq!(third.read("/root/finished").as_deref(), Some("yes\n"));
    assert_eq!(first.read("/root/finished"), None);
    assert_eq!(second.read("/root/finished"), None);
    assert_eq!(run.recap(&third.name)["failed"], 0);
    assert_eq!(run.recap(&first.name)["failed"], 1);
    assert_eq!(run.recap(&second.name)["failed"], 1);

    // Ansible says the same of the missing unit.
    let out = ansible_command("ansible-playbook")
        .args(["-i", "inventory.yml", "deploy.yaml", "--limit"])
        .arg(&first.name)
        .current_dir(repo.path())
        .env("HOME", repo.path())
        .output()
        .expect("running ansible-playbook");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("\"msg\": \"Could not find the requested service nope-missing: host\""),
        "{stdout}"
    );
}

/// A connection that counts its round trips.
struct Counting {
    inner: Box<dyn playhook::connection::Connection>,
    runs: usize,
}

#[async_trait::async_trait]
impl playhook::connection::Connection for Counting {
    async fn run(
        &mut self,
        cmd: &playhook::connection::Command,
        live: Option<&playhook::connection::LiveLines>,
    ) -> Result<playhook::connection::Output, playhook::connection::ConnectionError> {
        self.runs += 1;
        self.inner.run(cmd, live).await
    }

    async fn close(&mut self) {
        self.inner.close().await
    }

    async fn reopen(
        &mut self,
        connect_timeout: Option<std::time::Duration>,
    ) -> Result<(), playhook::connection::ConnectionError> {
        self.inner.reopen(connect_timeout).await
    }
}

#[tokio::test]
async fn a_service_task_with_nothing_to_do_costs_one_round_trip() {
    use minijinja::Value;
    use playhook::modules::{ModuleCtx, lookup};

    let machines = Machines::start(1);
    let m = machines.machine(0);
    let inner = playhook::connection::connect(&machines.target(0))
        .await
        .expect("ssh to the machine");
    let mut conn = Counting { inner, runs: 0 };
    let engine = playhook::template::Engine::default();
    let dir = tempfile::tempdir().expect("tempdir");
    let vars = playhook::modules::params::map_value([("inventory_hostname", Value::from(m.name.as_str()))]);
    let cases = [
        (
            "systemd",
            serde_json::json!({"name": "ssh", "state": "started", "enabled": true}),
            false,
            false,
        ),
        (
            "service",
            serde_json::json!({"name": "ssh.service", "state": "started"}),
            false,
            false,
        ),
        ("service_facts", serde_json::json!({}), false, false),
        (
            "wait_for",
            serde_json::json!({"host": m.address, "port": m.port, "timeout": 5}),
            false,
            false,
        ),
        // Check mode says what would change and changes nothing.
        (
            "systemd_service",
            serde_json::json!({"name": "ssh", "state": "stopped"}),
            true,
            true,
        ),
    ];
    for (module, args, check, changed) in cases {
        conn.runs = 0;
        let mut ctx = ModuleCtx {
            conn: &mut conn,
            host: &m.name,
            check,
            diff: check,
            via: playhook::connection::Via::plain(),
            role_path: None,
            task_dir: None,
            playbook_dir: dir.path(),
            templates: &engine,
            vars: &vars,
            live: None,
            result_seen: false,
            delegated: false,
        };
        let args = Value::from(minijinja::value::Serde(&args));
        let out = lookup(module)
            .expect("registered")
            .run(&args, &mut ctx)
            .await
            .unwrap_or_else(|e| panic!("{module}: {e}"));
        assert_eq!(out.changed, changed, "{module}: {:?}", out.data);
        assert_eq!(conn.runs, 1, "{module}: round trips");
    }
    assert_eq!(m.ok("systemctl is-active ssh"), "active\n");

    // Reopening the connection gives a working session on the same host.
    conn.inner
        .reopen(Some(std::time::Duration::from_secs(5)))
        .await
        .expect("reopens");
    let out = conn
        .inner
        .run(&playhook::connection::Command::new("hostname"), None)
        .await
        .expect("runs after reopening");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{}\n", m.name));
    conn.inner.close().await;
}

/// On a host without systemd (this controller, when it runs none), `service_facts` lists the
/// SysV scripts exactly as Ansible's does, and `service` refuses in one line.
#[tokio::test]
async fn without_systemd_service_facts_lists_sysv_scripts_as_ansible_and_service_refuses() {
    if std::path::Path::new("/run/systemd/system").exists() {
        eprintln!("skipped: this machine runs systemd; the machines tests cover it");
        return;
    }
    let theirs = crate::support::ansible_tasks::run_tasks(&[("service_facts", serde_json::json!({}))], false);
    let mut h = crate::support::modules::Harness::new().await;
    let ours = h.run("service_facts", serde_json::json!({})).await;
    let ours_services = ours
        .data
        .get("ansible_facts")
        .map(|f| serde_json::to_value(f).expect("json"))
        .unwrap_or_default();
    match theirs[0].get("ansible_facts") {
        Some(facts) => assert_eq!(ours_services, *facts),
        None => {
            assert_eq!(theirs[0]["skipped"], true, "{}", theirs[0]);
            assert!(ours.skipped);
            assert_eq!(
                Some(theirs[0]["msg"].as_str().unwrap_or_default()),
                ours.msg.as_deref()
            );
        }
    }

    let err = h
        .try_run(
            "service",
            serde_json::json!({"name": "ssh", "state": "started"}),
            false,
            false,
        )
        .await
        .expect("a host's answer");
    assert!(err.failed);
    let msg = err.msg.unwrap_or_default();
    assert!(
        msg.contains("testhost is not managed by systemd") && !msg.contains('\n'),
        "{msg}"
    );
}
