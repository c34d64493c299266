//! `community.docker.docker_compose_v2` against real Docker daemons with the Compose v2 plugin
//! (`tests/setup.sh` installs it), ansible-playbook as the oracle: the same play runs against
//! two private daemons (`containers.rs`'s `Sides`), one project given as `definition` and one
//! as `project_src` (a `compose.yaml` on disk), two services each. Compared after every step:
//! the recaps, and the containers left (names, `com.docker.compose.*` labels, state, env,
//! command). Steps: up (changed, then ok), check mode (nothing touched), a changed env
//! (only that service recreated), stopped, restarted, absent.

use serde_json::{Value as Json, json};

use crate::containers::Sides;
use crate::support::docker::Daemon;

const PLAY: &str = r#"
- hosts: web
  gather_facts: false
  environment:
    DOCKER_HOST: "{{ docker_host }}"
  tasks:
    - name: defined
      community.docker.docker_compose_v2:
        project_name: defined
        state: "{{ st | default('present') }}"
        definition:
          services:
            one:
              image: local/bb:1
              command: ["sleep", "3600"]
              network_mode: host
              stop_signal: SIGKILL
              environment:
                GREETING: "{{ greeting | default('hello') }}"
            two:
              image: local/bb:1
              command: ["sleep", "3601"]
              network_mode: host
              stop_signal: SIGKILL
    - name: on file
      community.docker.docker_compose_v2:
        project_src: "{{ out }}/proj"
        state: "{{ st | default('present') }}"
"#;

const COMPOSE_YAML: &str = r#"services:
  front:
    image: local/bb:1
    command: ["sleep", "3602"]
    network_mode: host
    stop_signal: SIGKILL
    environment:
      ROLE: front
  back:
    image: local/bb:2
    command: ["sleep", "3603"]
    network_mode: host
    stop_signal: SIGKILL
"#;

/// The compared fields of a Compose container: its project directory's path (a temporary
/// directory for a `definition`, the scratch directory for `project_src`) made comparable,
/// the image ID label dropped (the two daemons' imported images have different IDs) and the
/// replaced container's ID masked.
fn projection(daemon: &Daemon, name: &str) -> Json {
    let c = daemon.inspect(name).expect("container exists");
    let config = &c["Config"];
    let scratch = daemon.scratch().display().to_string();
    let mut labels = serde_json::Map::new();
    let project = config["Labels"]["com.docker.compose.project"].clone();
    for (k, v) in config["Labels"].as_object().into_iter().flatten() {
        if !k.starts_with("com.docker.compose.") || k == "com.docker.compose.image" {
            continue;
        }
        let v = match k.as_str() {
            "com.docker.compose.project.working_dir" | "com.docker.compose.project.config_files"
                if project == "defined" =>
            {
                json!("TMP")
            }
            // The ID of the container a recreation replaced.
            "com.docker.compose.replace" => json!("ID"),
            _ => json!(v.as_str().unwrap_or_default().replace(&scratch, "OUT")),
        };
        labels.insert(k.clone(), v);
    }
    let mut env: Vec<String> = config["Env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    env.sort();
    json!({
        "Name": c["Name"],
        "Image": config["Image"],
        "Cmd": config["Cmd"],
        "Env": env,
        "Labels": labels,
        "Status": c["State"]["Status"],
    })
}

fn assert_same_containers(s: &Sides) {
    assert_eq!(s.ours.containers(), s.theirs.containers());
    for name in s.ours.containers() {
        assert_eq!(
            projection(&s.ours, &name),
            projection(&s.theirs, &name),
            "container {name}: ours (left) and Ansible's (right) differ"
        );
    }
}

/// Each container's name and ID on our daemon.
fn ids(daemon: &Daemon) -> Vec<(String, String)> {
    daemon
        .containers()
        .into_iter()
        .map(|n| {
            let id = daemon.inspect(&n).expect("container")["Id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (n, id)
        })
        .collect()
}

fn statuses(daemon: &Daemon) -> Vec<String> {
    daemon
        .containers()
        .iter()
        .map(|n| {
            daemon.inspect(n).expect("container")["State"]["Status"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn docker_compose_v2_matches_ansible() {
    let s = Sides::start(PLAY);
    for d in [&s.ours, &s.theirs] {
        let plugin = d.docker(&["compose", "version"]);
        assert!(
            plugin.status.success(),
            "no `docker compose` here: run tests/setup.sh as root"
        );
        let dir = d.scratch().join("proj");
        std::fs::create_dir_all(&dir).expect("project dir");
        std::fs::write(dir.join("compose.yaml"), COMPOSE_YAML).expect("compose.yaml");
    }
    let names = ["defined-one-1", "defined-two-1", "proj-back-1", "proj-front-1"];

    // Up: both projects created, then nothing to do.
    let (run, _) = s.both(&[], &[]);
    assert_eq!(run.recap("localhost")["changed"], 2, "{}", run.stdout());
    assert_eq!(s.ours.containers(), names);
    assert_eq!(statuses(&s.ours), ["running"; 4]);
    assert_same_containers(&s);
    let (run, _) = s.both(&[], &[]);
    assert_eq!(run.recap("localhost")["changed"], 0, "{}", run.stdout());
    let before = ids(&s.ours);

    // Check mode: a changed env is reported, nothing is touched.
    let (run, _) = s.both(&["greeting=bonjour"], &["--check"]);
    assert_eq!(run.recap("localhost")["changed"], 1, "{}", run.stdout());
    assert_eq!(ids(&s.ours), before);
    assert_same_containers(&s);

    // The changed service alone is recreated.
    let (run, _) = s.both(&["greeting=bonjour"], &[]);
    assert_eq!(run.recap("localhost")["changed"], 1, "{}", run.stdout());
    let after = ids(&s.ours);
    for ((name, old), (_, new)) in before.iter().zip(&after) {
        assert_eq!(old != new, name == "defined-one-1", "{name} recreated?");
    }
    assert_same_containers(&s);

    let greeting = "greeting=bonjour";
    let (run, _) = s.both(&[greeting, "st=stopped"], &[]);
    assert_eq!(run.recap("localhost")["changed"], 2, "{}", run.stdout());
    assert_eq!(statuses(&s.ours), ["exited"; 4]);
    assert_same_containers(&s);
    s.both(&[greeting, "st=stopped"], &[]);

    let (run, _) = s.both(&[greeting, "st=restarted"], &[]);
    assert_eq!(run.recap("localhost")["changed"], 2, "{}", run.stdout());
    assert_eq!(statuses(&s.ours), ["running"; 4]);
    assert_eq!(ids(&s.ours), after);
    assert_same_containers(&s);

    // Absent in check mode touches nothing; then both projects are gone.
    s.both(&[greeting, "st=absent"], &["--check"]);
    assert_eq!(ids(&s.ours), after);
    let (run, _) = s.both(&[greeting, "st=absent"], &[]);
    assert_eq!(run.recap("localhost")["changed"], 2, "{}", run.stdout());
    assert!(s.ours.containers().is_empty());
    assert!(s.theirs.containers().is_empty());
    let (run, _) = s.both(&[greeting, "st=absent"], &[]);
    assert_eq!(run.recap("localhost")["changed"], 0, "{}", run.stdout());
}
