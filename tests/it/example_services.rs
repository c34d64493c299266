//! The second bundled example (`examples/services`) end to end: real pushes to a bare repository
//! with the hook installed and the example's own rules (`playhook.yaml`: `staging` deploys the
//! staging group, `main` production), deploying docker services to three real machines (one
//! staging, two production) behind the stand-in load balancer of `support/load_balancer.rs`.
//!
//! The pushed repository is the example as it is, but for its inventory (the machines, the load
//! balancer's URL, `docker_pull: missing`: the images are imported, no registry; the syslog
//! address of `support/syslog_sink.rs`). Each machine's docker daemon runs on this host
//! (`support/docker_hosts.rs` says why and how), so the containers are inspected there.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::ansible_tasks::ansible_command;
use crate::support::docker_hosts::DockerHost;
use crate::support::git::{Remote, text};
use crate::support::load_balancer::{Event, LoadBalancer};
use crate::support::machines::{Machine, Machines};
use crate::support::syslog_sink::SyslogSink;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/services");
const SERVICES: [&str; 2] = ["web", "worker"];
/// The images the example's fragments name, and the one the test promotes web to.
const IMAGES: [&str; 3] = [
    "registry.example.org/acme/web:4f2a9c1",
    "registry.example.org/acme/worker:b7e01d3",
    "registry.example.org/acme/web:9d0e4b2",
];

/// Copies the example into the clone (all but its inventory), with an inventory of the
/// machines, and the example's rules into the bare repository.
fn example_repo(remote: &Remote, machines: &Machines, lb: &LoadBalancer, syslog: &SyslogSink) {
    write_example(&remote.work, machines, lb, syslog);
    std::fs::copy(
        Path::new(EXAMPLE).join("playhook.yaml"),
        remote.bare.join("playhook.yaml"),
    )
    .expect("copying the example's rules into the bare repository");
}

/// Copies the example into `dir` and replaces its inventory with the machines: the first in
/// staging, the others in production.
fn write_example(dir: &Path, machines: &Machines, lb: &LoadBalancer, syslog: &SyslogSink) {
    copy_tree(Path::new(EXAMPLE), dir);
    // The machines' own python3 for ansible-playbook's modules; playhook does not use it.
    let host = |m: &Machine| {
        format!(
            "            {}: {{ansible_host: {}, ansible_port: {}, ansible_python_interpreter: /usr/bin/python3}}\n",
            m.name, m.address, m.port
        )
    };
    let all = machines.machines();
    let production: String = all[1..].iter().map(host).collect();
    let inventory = format!(
        "all:\n  children:\n    docker_hosts:\n      children:\n        staging:\n          hosts:\n{}        \
         production:\n          hosts:\n{production}    proxy:\n      hosts:\n        proxy-01: {{ansible_host: 127.0.0.9}}\n  \
         vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: {}\n    ansible_ssh_common_args: \"-F {}\"\n    \
         lb_url: {}\n    docker_pull: missing\n    syslog_address: {}\n",
        host(&all[0]),
        machines.client_key().display(),
        machines.ssh_config().display(),
        lb.url(),
        syslog.address(),
    );
    std::fs::write(dir.join("inventory/hosts.yaml"), inventory).expect("writing the inventory");
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("reading the example") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            std::fs::create_dir_all(&target).expect("creating a directory");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copying a file");
        }
    }
}

/// `git push ARGS`, which must succeed and deploy without failure; the `remote:` lines.
fn push(remote: &Remote, args: &[&str]) -> String {
    let out = remote.push(args);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("failed=1"), "a host failed:\n{stderr}");
    stderr
}

/// The newest deploy record, which must be of `environment` and successful.
fn last_deploy(remote: &Remote, environment: &str, stderr: &str) -> Value {
    let history = remote.history();
    let record = history.first().expect("a deploy record").clone();
    assert_eq!(record["environment"], environment, "{record}\n{stderr}");
    assert_eq!(record["result"], "ok", "{record}\n{stderr}");
    record
}

/// The ids of the services' containers on a docker host (absent ones missing); each must be
/// running.
fn container_ids(d: &DockerHost) -> BTreeMap<String, String> {
    let out = d
        .daemon
        .docker_ok(&["ps", "-a", "--format", "{{.Names}} {{.ID}} {{.State}}"]);
    out.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (name, id, state) = (w.next()?, w.next()?, w.next()?);
            assert_eq!(state, "running", "{name}: {out}");
            Some((name.to_string(), id.to_string()))
        })
        .collect()
}

/// A field of a container's `docker inspect`, by JSON pointer.
fn inspect(d: &DockerHost, name: &str, pointer: &str) -> Value {
    let c = d
        .daemon
        .inspect(name)
        .unwrap_or_else(|| panic!("no container {name}"));
    c.pointer(pointer).cloned().unwrap_or(Value::Null)
}

/// When a container last started, in seconds since the epoch.
fn started_at(d: &DockerHost, name: &str) -> f64 {
    let at = inspect(d, name, "/State/StartedAt");
    let out = std::process::Command::new("date")
        .args(["-d", at.as_str().expect("a start time"), "+%s.%N"])
        .output()
        .expect("running date");
    text(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{name}'s start time {at}: {e}"))
}

/// The load balancer's events after the first `since`.
fn events_since(lb: &LoadBalancer, since: usize) -> Vec<Event> {
    lb.events().into_iter().skip(since).collect()
}

/// Asserts that in `events` each of `hosts` (in this order) was removed from `pool` and added
/// back, one host after the other, and that each of `restarted` (host, container) started
/// while its host was out of the pool.
fn assert_rolled(
    events: &[Event],
    pool: &str,
    hosts: &[&Machine],
    restarted: &[(&Machine, &DockerHost, &str)],
) {
    let seen: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| (e.what, e.pool.as_str(), e.name.as_str()))
        .collect();
    let want: Vec<(&str, &str, &str)> = hosts
        .iter()
        .flat_map(|m| {
            [
                ("removed", pool, m.name.as_str()),
                ("added", pool, m.name.as_str()),
            ]
        })
        .collect();
    assert_eq!(seen, want, "one host out of the pool at a time, in order");
    for (m, docker, container) in restarted {
        let out = events
            .iter()
            .find(|e| e.what == "removed" && e.name == m.name)
            .expect("removed")
            .at;
        let back = events
            .iter()
            .find(|e| e.what == "added" && e.name == m.name)
            .expect("added")
            .at;
        let started = started_at(docker, container);
        assert!(
            out < started && started < back,
            "{container} on {} started at {started}, outside its host's time out of the pool \
             ({out} to {back}): {events:#?}",
            m.name
        );
    }
}

/// A docker host for the machine, with every image the test uses: busybox, tagged with each
/// name.
fn docker_host(m: &Machine) -> DockerHost {
    let d = DockerHost::attach(m);
    for image in IMAGES {
        d.daemon.import_busybox(image);
    }
    d
}

#[test]
fn pushes_roll_the_services_out_environment_by_environment() {
    let machines = Machines::start(3);
    let (stage, prod1, prod2) = (machines.machine(0), machines.machine(1), machines.machine(2));
    let (d_stage, d_prod1, d_prod2) = (docker_host(stage), docker_host(prod1), docker_host(prod2));
    let lb = LoadBalancer::start(&[
        ("staging", &stage.name, &stage.address),
        ("production", &prod1.name, &prod1.address),
        ("production", &prod2.name, &prod2.address),
    ]);
    let syslog = SyslogSink::start();
    let remote = Remote::new();
    remote.install(&[]);
    example_repo(&remote, &machines, &lb, &syslog);
    remote.commit("services as of today");

    // 1. The first push to staging deploys the staging host only.
    remote.git(&["checkout", "-q", "-b", "staging"]);
    let stderr = push(&remote, &["origin", "staging"]);
    let record = last_deploy(&remote, "staging", &stderr);
    assert_eq!(
        record["hosts"]
            .as_object()
            .expect("hosts")
            .keys()
            .collect::<Vec<_>>(),
        vec![&stage.name],
        "{stderr}"
    );
    let staged = container_ids(&d_stage);
    assert_eq!(staged.keys().collect::<Vec<_>>(), SERVICES, "{stderr}");
    assert!(container_ids(&d_prod1).is_empty() && container_ids(&d_prod2).is_empty());
    let env = stage.read("/etc/acme/web.env").expect("web's env file");
    for line in [
        "GREETING=hello\n",
        "ENVIRONMENT=staging\n",
        "GIT_COMMIT=4f2a9c1\n",
        "HTTPS_PROXY=http://127.0.0.9:3128\n",
    ] {
        assert!(env.contains(line), "{line} in {env}");
    }
    assert_eq!(
        [
            inspect(&d_stage, "web", "/HostConfig/LogConfig/Type"),
            inspect(&d_stage, "web", "/HostConfig/NetworkMode"),
            inspect(&d_stage, "web", "/HostConfig/RestartPolicy/Name"),
            inspect(&d_stage, "web", "/Config/Labels/org.example.git-commit"),
        ],
        ["syslog", "host", "always", "4f2a9c1"]
    );
    let logged = syslog.wait_for(&format!("web 4f2a9c1 on {}:8081 says hello", stage.address));
    assert!(
        logged.starts_with("<134>"),
        "facility local0, stdout as info: {logged}"
    );
    assert!(logged.contains("acme"), "the tag: {logged}");
    assert_rolled(
        &lb.events(),
        "staging",
        &[stage],
        &[(stage, &d_stage, "web"), (stage, &d_stage, "worker")],
    );
    assert_eq!(
        lb.members("production"),
        vec![prod1.name.clone(), prod2.name.clone()]
    );

    // 2. The same commit on main: production, one host at a time.
    let before = lb.events().len();
    remote.git(&["checkout", "-q", "main"]);
    let stderr = push(&remote, &["origin", "main"]);
    last_deploy(&remote, "production", &stderr);
    let production = [container_ids(&d_prod1), container_ids(&d_prod2)];
    for ids in &production {
        assert_eq!(ids.keys().collect::<Vec<_>>(), SERVICES, "{stderr}");
    }
    assert_rolled(
        &events_since(&lb, before),
        "production",
        &[prod1, prod2],
        &[
            (prod1, &d_prod1, "web"),
            (prod1, &d_prod1, "worker"),
            (prod2, &d_prod2, "web"),
            (prod2, &d_prod2, "worker"),
        ],
    );
    assert_eq!(container_ids(&d_stage), staged, "staging untouched");

    // 3. A changed env var on staging recreates that service's container only.
    remote.git(&["checkout", "-q", "staging"]);
    let web = std::fs::read_to_string(remote.work.join("services/web.yaml")).expect("web.yaml");
    remote.file(
        "services/web.yaml",
        &web.replace("GREETING: hello", "GREETING: bonjour"),
    );
    remote.commit("web: say bonjour");
    let before = lb.events().len();
    let stderr = push(&remote, &["origin", "staging"]);
    last_deploy(&remote, "staging", &stderr);
    let restaged = container_ids(&d_stage);
    assert_ne!(restaged["web"], staged["web"], "web recreated: {stderr}");
    assert_eq!(restaged["worker"], staged["worker"], "worker kept: {stderr}");
    let env = stage.read("/etc/acme/web.env").expect("web's env file");
    assert!(env.contains("GREETING=bonjour\n"), "{env}");
    syslog.wait_for(&format!("on {}:8081 says bonjour", stage.address));
    assert_rolled(
        &events_since(&lb, before),
        "staging",
        &[stage],
        &[(stage, &d_stage, "web")],
    );
    assert_eq!(
        [container_ids(&d_prod1), container_ids(&d_prod2)],
        production,
        "production untouched by a push to staging"
    );

    // 4. A new web image too, then promoted to production: web replaced on both hosts, one
    //    after the other; worker kept.
    let web = std::fs::read_to_string(remote.work.join("services/web.yaml")).expect("web.yaml");
    remote.file("services/web.yaml", &web.replace("4f2a9c1", "9d0e4b2"));
    remote.commit("web: build 124");
    push(&remote, &["origin", "staging"]);
    remote.git(&["checkout", "-q", "main"]);
    remote.git(&["merge", "-q", "--ff-only", "staging"]);
    let before = lb.events().len();
    let stderr = push(&remote, &["origin", "main"]);
    last_deploy(&remote, "production", &stderr);
    for (d, old) in [&d_prod1, &d_prod2].into_iter().zip(&production) {
        let ids = container_ids(d);
        assert_ne!(ids["web"], old["web"], "web replaced: {stderr}");
        assert_eq!(ids["worker"], old["worker"], "worker kept: {stderr}");
        assert_eq!(inspect(d, "web", "/Config/Image"), IMAGES[2]);
    }
    assert_rolled(
        &events_since(&lb, before),
        "production",
        &[prod1, prod2],
        &[(prod1, &d_prod1, "web"), (prod2, &d_prod2, "web")],
    );

    // 5. A push that changes nothing the hosts run: changed=0, every container kept.
    let production = [container_ids(&d_prod1), container_ids(&d_prod2)];
    remote.commit("nothing to deploy");
    let stderr = push(&remote, &["origin", "main"]);
    let record = last_deploy(&remote, "production", &stderr);
    for m in [prod1, prod2] {
        assert_eq!(record["hosts"][&m.name]["changed"], 0, "{record}\n{stderr}");
        assert_eq!(record["hosts"][&m.name]["failed"], 0, "{record}\n{stderr}");
    }
    assert_eq!([container_ids(&d_prod1), container_ids(&d_prod2)], production);
    assert_eq!(
        lb.members("production"),
        vec![prod1.name.clone(), prod2.name.clone()]
    );
    assert_eq!(lb.members("staging"), vec![stage.name.clone()]);
}

/// The example runs unchanged under ansible-playbook (community.docker's own modules): staging,
/// then production one host at a time behind the load balancer; playhook then finds every host
/// as it would have left it (`changed=0`, the same containers).
#[test]
fn ansible_playbook_rolls_the_example_out_and_playhook_agrees_with_what_it_left() {
    let machines = Machines::start(3);
    let (stage, prod1, prod2) = (machines.machine(0), machines.machine(1), machines.machine(2));
    let docker: Vec<DockerHost> = machines.machines().iter().map(docker_host).collect();
    for (m, d) in machines.machines().iter().zip(&docker) {
        d.serve_socket(m);
    }
    let lb = LoadBalancer::start(&[
        ("staging", &stage.name, &stage.address),
        ("production", &prod1.name, &prod1.address),
        ("production", &prod2.name, &prod2.address),
    ]);
    let syslog = SyslogSink::start();
    let repo = tempfile::tempdir().expect("a temp dir");
    write_example(repo.path(), &machines, &lb, &syslog);

    for (limit, pool, hosts) in [
        ("staging", "staging", vec![stage]),
        ("production", "production", vec![prod1, prod2]),
    ] {
        let before = lb.events().len();
        let out = ansible_command("ansible-playbook")
            .args(["deploy.yaml", "-l", limit])
            .env("ANSIBLE_CONFIG", repo.path().join("ansible.cfg"))
            .env("ANSIBLE_LOCAL_TEMP", repo.path().join(".ansible-tmp"))
            .current_dir(repo.path())
            .output()
            .expect("running ansible-playbook");
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
        let restarted: Vec<(&Machine, &DockerHost, &str)> = hosts
            .iter()
            .flat_map(|m| {
                let i = machines
                    .machines()
                    .iter()
                    .position(|x| x.name == m.name)
                    .expect("a machine");
                SERVICES.map(|s| (*m, &docker[i], s))
            })
            .collect();
        assert_rolled(&events_since(&lb, before), pool, &hosts, &restarted);
    }
    let ids: Vec<_> = docker.iter().map(container_ids).collect();
    for each in &ids {
        assert_eq!(each.keys().collect::<Vec<_>>(), SERVICES);
    }
    syslog.wait_for(&format!("web 4f2a9c1 on {}:8081 says hello", prod2.address));

    let run = std::process::Command::new(env!("CARGO_BIN_EXE_playhook"))
        .args(["deploy", "--json", "-C"])
        .arg(repo.path())
        .output()
        .expect("running playhook");
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{stdout}{}", text(&run.stderr));
    for m in machines.machines() {
        let recap = playhook_recap_of(&stdout, &m.name);
        assert_eq!(recap["changed"], 0, "{}: {stdout}", m.name);
        assert_eq!(recap["failed"], 0, "{}: {stdout}", m.name);
    }
    let after: Vec<_> = docker.iter().map(container_ids).collect();
    assert_eq!(after, ids, "no container recreated");
}

/// A host's counts in the recap event of `playhook deploy --json` output.
fn playhook_recap_of(stdout: &str, host: &str) -> Value {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["event"] == "recap")
        .map(|e| e["hosts"][host].clone())
        .unwrap_or_else(|| panic!("no recap of {host}: {stdout}"))
}
