//! The community.docker modules against real Docker daemons, with ansible-playbook (and the
//! collection as the `ansible` package ships it) as the oracle: the same play runs against two
//! private daemons (`support/docker.rs`), one per side, on this machine through the local
//! connection; the recaps, the resulting containers' inspect fields, the idempotent second
//! run, the recreation on a changed env file and check mode are compared.

use serde_json::{Value as Json, json};

use crate::support::docker::{Daemon, FakeRegistry};
use crate::support::oracle::{ansible_recap, playhook_recap};
use crate::support::repo::{Run, TestRepo};

/// Two daemons with the same images, and a repository whose plays address one of them
/// through `docker_host` (`environment: DOCKER_HOST`) and write under `out`.
pub(crate) struct Sides {
    pub(crate) repo: TestRepo,
    pub(crate) ours: Daemon,
    pub(crate) theirs: Daemon,
}

impl Sides {
    pub(crate) fn start(play: &str) -> Sides {
        let ours = Daemon::start();
        let theirs = Daemon::start();
        for d in [&ours, &theirs] {
            d.import_busybox("local/bb:1");
            d.import_busybox("local/bb:2");
        }
        let repo = TestRepo::local().file("deploy.yaml", play);
        Sides { repo, ours, theirs }
    }

    fn vars(&self, daemon: &Daemon, extra: &[&str]) -> Vec<String> {
        let mut v = vec![
            "-e".to_string(),
            format!("docker_host={}", daemon.host()),
            "-e".to_string(),
            format!("out={}", daemon.scratch().display()),
        ];
        for e in extra {
            v.push("-e".into());
            v.push(e.to_string());
        }
        v
    }

    /// playhook on our daemon (`--json`); must succeed.
    pub(crate) fn playhook(&self, extra: &[&str], flags: &[&str]) -> Run {
        let vars = self.vars(&self.ours, extra);
        let mut args: Vec<&str> = vec!["deploy", "--json"];
        args.extend(flags);
        args.extend(vars.iter().map(String::as_str));
        let run = self.repo.playhook(&args);
        assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
        run
    }

    /// ansible-playbook on their daemon; must succeed.
    pub(crate) fn ansible(&self, extra: &[&str], flags: &[&str]) -> String {
        let vars = self.vars(&self.theirs, extra);
        let mut args: Vec<&str> = vec!["deploy.yaml"];
        args.extend(flags);
        args.extend(vars.iter().map(String::as_str));
        let (code, out) = self.repo.ansible_playbook(&args);
        assert_eq!(code, 0, "{out}");
        out
    }

    /// Both sides run the play; their recaps must be the same. Returns both outputs.
    pub(crate) fn both(&self, extra: &[&str], flags: &[&str]) -> (Run, String) {
        let ansible = self.ansible(extra, flags);
        let run = self.playhook(extra, flags);
        assert_eq!(
            playhook_recap(&run, "localhost"),
            ansible_recap(&ansible, "localhost"),
            "{ansible}\n{}",
            run.stdout()
        );
        (run, ansible)
    }

    /// Asserts both daemons hold the same containers with the same compared fields.
    fn assert_same_containers(&self) {
        assert_eq!(self.ours.containers(), self.theirs.containers());
        for name in self.ours.containers() {
            let ours = projection(&self.ours, &name);
            let theirs = projection(&self.theirs, &name);
            assert_eq!(
                ours, theirs,
                "container {name}: ours (left) and Ansible's (right) differ"
            );
        }
    }
}

/// The inspect fields that matter, with each side's scratch path as `OUT`.
fn projection(daemon: &Daemon, name: &str) -> Json {
    let c = daemon.inspect(name).expect("container exists");
    let config = &c["Config"];
    let host = &c["HostConfig"];
    let mut env: Vec<String> = config["Env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    env.sort();
    let p = json!({
        "Name": c["Name"],
        "Image": config["Image"],
        "Env": env,
        "Cmd": config["Cmd"],
        "Entrypoint": config["Entrypoint"],
        "Labels": config["Labels"],
        "User": config["User"],
        "WorkingDir": config["WorkingDir"],
        "Healthcheck": config["Healthcheck"],
        "ExposedPorts": config["ExposedPorts"],
        "Volumes": config["Volumes"],
        "AttachStdout": config["AttachStdout"],
        "AttachStderr": config["AttachStderr"],
        "OpenStdin": config["OpenStdin"],
        "Tty": config["Tty"],
        "RestartPolicy": host["RestartPolicy"],
        "NetworkMode": host["NetworkMode"],
        "PortBindings": host["PortBindings"],
        "Binds": host["Binds"],
        "ExtraHosts": host["ExtraHosts"],
        "LogConfig": host["LogConfig"],
        "Privileged": host["Privileged"],
        "Init": host["Init"],
        "Status": c["State"]["Status"],
    });
    let mut p = p;
    // Unset options: the CLI stores restart policy `no` and no port bindings as `{}`, the
    // Engine API call `""` and null; the collection compares neither unless the task sets it.
    if p["RestartPolicy"]["Name"] == "no" {
        p["RestartPolicy"]["Name"] = json!("");
    }
    if p["PortBindings"] == json!({}) {
        p["PortBindings"] = Json::Null;
    }
    let text = p
        .to_string()
        .replace(&daemon.scratch().display().to_string(), "OUT");
    serde_json::from_str(&text).expect("JSON")
}

/// Whether each result of the task named `task` was `changed`, from playhook's `--json` events.
fn task_changed(run: &Run, task: &str) -> Vec<bool> {
    run.events()
        .iter()
        .filter(|e| e["event"] == "host_result" && e["task"].as_str().is_some_and(|t| t == task))
        .map(|e| e["status"] == "changed")
        .collect()
}

const DEPLOY: &str = r#"
- hosts: web
  gather_facts: false
  environment:
    DOCKER_HOST: "{{ docker_host }}"
  tasks:
    - name: env file
      copy:
        dest: "{{ out }}/app.env"
        content: "GREETING={{ greeting | default('hello') }}\nMODE=prod\n"
      register: envfile
    - name: web
      community.docker.docker_container:
        name: web
        image: "local/bb:{{ tag | default('1') }}"
        command: ["sleep", "3600"]
        network_mode: host
        restart_policy: unless-stopped
        env:
          APP_PORT: "8080"
          EMPTY: ""
        env_file: "{{ out }}/app.env"
        labels:
          app: web
          tier: front
        ports:
          - "8080:80"
          - "127.0.0.1:9090:90/udp"
        volumes:
          - "{{ out }}:/data:ro"
          - /cache
        etc_hosts:
          db.local: 10.0.0.5
        healthcheck:
          test: ["CMD-SHELL", "true"]
          interval: 30s
          retries: 3
        log_driver: json-file
        log_options:
          max-size: 10m
        user: "1000"
        working_dir: /tmp
        recreate: "{{ envfile.changed }}"
      register: web
    - name: worker
      docker_container:
        name: worker
        image: local/bb:1
        command: sleep 3600
        state: "{{ worker_state | default('present') }}"
        network_mode: host
        detach: true
    - name: job
      community.docker.docker_container:
        name: job
        image: local/bb:1
        command: ["sh", "-c", "echo done"]
        network_mode: host
        detach: false
        cleanup: true
      register: job
      when: run_job | default(true)
    - name: gone
      community.docker.docker_container:
        name: gone
        image: local/bb:1
        state: absent
    - name: facts
      when: not ansible_check_mode and (run_job | default(true))
      copy:
        dest: "{{ out }}/web.json"
        content: "{{ {'env': web.container.Config.Env | sort, 'status': web.container.State.Status, 'job': job.status | default(none)} | to_json }}"
"#;

#[test]
fn docker_container_deploys_as_ansible_does() {
    let s = Sides::start(DEPLOY);
    // First run: everything is created.
    let (run, _) = s.both(&[], &[]);
    assert_eq!(task_changed(&run, "web"), [true]);
    s.assert_same_containers();
    let web = s.ours.inspect("web").expect("web");
    assert_eq!(web["State"]["Status"], "running");
    let facts = std::fs::read_to_string(s.ours.scratch().join("web.json")).expect("facts");
    let theirs = std::fs::read_to_string(s.theirs.scratch().join("web.json")).expect("facts");
    assert_eq!(facts, theirs, "registered `container` and `status`");
    assert!(
        facts.contains("GREETING=hello") && facts.contains("PATH=/bin"),
        "{facts}"
    );
    assert!(
        s.ours.inspect("job").is_none(),
        "cleanup removed the finished job"
    );

    // Second run: nothing differs, nothing is recreated.
    let id = web["Id"].clone();
    let (run, ansible) = s.both(&[r#"{"run_job": false}"#], &[]);
    assert!(ansible.contains("changed=0"), "{ansible}");
    assert_eq!(task_changed(&run, "web"), [false]);
    assert_eq!(s.ours.inspect("web").expect("web")["Id"], id);

    // Check mode with a changed env file: reported, nothing touched.
    let (run, _) = s.both(
        &[r#"{"run_job": false}"#, "greeting=bonjour"],
        &["--check", "--diff"],
    );
    assert_eq!(task_changed(&run, "web"), [true]);
    // Only `recreate` (the env file is not written in check mode): no option differs.
    let events = run.events();
    let web = events
        .iter()
        .find(|e| e["event"] == "host_result" && e["task"] == "web")
        .expect("web's result");
    assert_eq!(web["diff"][0]["after"], "{}\n", "{web}");
    assert_eq!(s.ours.inspect("web").expect("web")["Id"], id);
    s.assert_same_containers();

    // The env file changes: both recreate.
    let (run, _) = s.both(&[r#"{"run_job": false}"#, "greeting=bonjour"], &["--diff"]);
    assert_eq!(task_changed(&run, "web"), [true]);
    // The diff shows the differing options as Ansible does: sorted JSON.
    let events = run.events();
    let result = events
        .iter()
        .find(|e| e["event"] == "host_result" && e["task"] == "web")
        .expect("web's result");
    let after = result["diff"][0]["after"].as_str().unwrap_or_default();
    assert!(
        after.starts_with("{\n    \"env\": [") && after.contains("GREETING=bonjour"),
        "{result}"
    );
    assert_eq!(result["diff"][0]["before_header"], "", "{result}");
    let web = s.ours.inspect("web").expect("web");
    assert_ne!(web["Id"], id, "recreated");
    assert!(web["Config"]["Env"].to_string().contains("GREETING=bonjour"));
    s.assert_same_containers();

    // A new image tag and a stopped worker: both change the same way.
    s.both(
        &[
            r#"{"run_job": false}"#,
            "greeting=bonjour",
            "tag=2",
            "worker_state=stopped",
        ],
        &[],
    );
    s.assert_same_containers();
    let (_, ansible) = s.both(
        &[
            r#"{"run_job": false}"#,
            "greeting=bonjour",
            "tag=2",
            "worker_state=stopped",
        ],
        &[],
    );
    assert!(ansible.contains("changed=0"), "{ansible}");
}

#[test]
fn docker_container_check_mode_on_an_empty_daemon_creates_nothing() {
    let s = Sides::start(DEPLOY);
    for d in [&s.ours, &s.theirs] {
        std::fs::write(d.scratch().join("app.env"), "GREETING=hello\n").expect("env file");
    }
    s.both(&[], &["--check"]);
    assert!(s.ours.containers().is_empty(), "{:?}", s.ours.containers());
    assert!(s.theirs.containers().is_empty());
}

const OBJECTS: &str = r#"
- hosts: web
  gather_facts: false
  environment:
    DOCKER_HOST: "{{ docker_host }}"
  tasks:
    - name: build context
      copy:
        dest: "{{ out }}/ctx/Dockerfile"
        content: "FROM local/bb:1\nLABEL built=yes\nENV BUILT=1\n"
    - name: build
      community.docker.docker_image:
        name: local/built
        tag: "1"
        source: build
        build:
          path: "{{ out }}/ctx"
      register: built
    - name: archive
      docker_image:
        name: local/bb:1
        source: local
        archive_path: "{{ out }}/bb.tar"
    - name: load
      docker_image:
        name: local/bb
        tag: "1"
        source: load
        load_path: "{{ out }}/bb.tar"
    - name: remove
      docker_image:
        name: local/bb:2
        state: absent
    - name: network
      community.docker.docker_network:
        name: appnet
        internal: true
        labels:
          app: web
        ipam_config:
          - subnet: "{{ subnet }}"
    - name: on the network
      community.docker.docker_container:
        name: netted
        image: local/bb:1
        command: ["sleep", "3600"]
        networks:
          - name: appnet
            aliases:
              - api
        comparisons:
          networks: strict
      when: not ansible_check_mode
    - name: volume
      community.docker.docker_volume:
        name: appdata
        labels:
          app: web
    - name: gone volume
      docker_volume:
        name: nothing
        state: absent
"#;

#[test]
fn docker_image_network_volume_as_ansible_does() {
    let s = Sides::start(OBJECTS);
    let subnet = |d: &Daemon| {
        if std::ptr::eq(d, &s.ours) {
            "subnet=172.30.5.0/24"
        } else {
            "subnet=172.30.6.0/24"
        }
    };
    let run_both = |flags: &[&str]| {
        let ansible = s.ansible(&[subnet(&s.theirs)], flags);
        let run = s.playhook(&[subnet(&s.ours)], flags);
        assert_eq!(
            playhook_recap(&run, "localhost"),
            ansible_recap(&ansible, "localhost"),
            "{ansible}\n{}",
            run.stdout()
        );
        (run, ansible)
    };
    // Check mode first: nothing is built, archived, created or removed (the build context
    // is there, as a build needs it in check mode too).
    for d in [&s.ours, &s.theirs] {
        std::fs::create_dir_all(d.scratch().join("ctx")).expect("context dir");
    }
    run_both(&["--check"]);
    for d in [&s.ours, &s.theirs] {
        assert!(!d.docker(&["image", "inspect", "local/built:1"]).status.success());
        assert!(d.docker(&["image", "inspect", "local/bb:2"]).status.success());
        assert!(!d.docker(&["network", "inspect", "appnet"]).status.success());
    }
    let (run, _) = run_both(&[]);
    assert_eq!(task_changed(&run, "build"), [true]);
    assert_eq!(task_changed(&run, "load"), [false], "the image is there already");
    for d in [&s.ours, &s.theirs] {
        let labels = d.docker_ok(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Labels}}",
            "local/built:1",
        ]);
        assert_eq!(labels.trim(), r#"{"built":"yes"}"#);
        assert!(!d.docker(&["image", "inspect", "local/bb:2"]).status.success());
        assert!(d.scratch().join("bb.tar").exists());
        let net = d.docker_ok(&[
            "network",
            "inspect",
            "--format",
            "{{.Driver}} {{.Internal}} {{json .Labels}}",
            "appnet",
        ]);
        assert_eq!(net.trim(), r#"bridge true {"app":"web"}"#);
        let c = d.inspect("netted").expect("netted");
        assert_eq!(c["HostConfig"]["NetworkMode"], "appnet");
        let aliases = c["NetworkSettings"]["Networks"]["appnet"]["Aliases"].to_string();
        assert!(aliases.contains("\"api\""), "{aliases}");
        let vol = d.docker_ok(&[
            "volume",
            "inspect",
            "--format",
            "{{.Driver}} {{json .Labels}}",
            "appdata",
        ]);
        assert_eq!(vol.trim(), r#"local {"app":"web"}"#);
    }
    // Nothing differs the second time.
    let (run, ansible) = run_both(&[]);
    assert!(ansible.contains("changed=0"), "{ansible}");
    assert_eq!(run.recap("localhost")["changed"], 0);
}

#[test]
fn docker_login_keeps_the_password_out_of_arguments_and_output() {
    let registry = FakeRegistry::start();
    let play = format!(
        r#"
- hosts: web
  gather_facts: false
  environment:
    DOCKER_HOST: "{{{{ docker_host }}}}"
  tasks:
    - name: login
      community.docker.docker_login:
        registry_url: "{address}"
        username: "{user}"
        password: "{{{{ registry_password }}}}"
        config_path: "{{{{ out }}}}/dockercfg/config.json"
      register: login
    - name: logout
      docker_login:
        registry_url: "{address}"
        config_path: "{{{{ out }}}}/dockercfg/config.json"
        state: absent
      when: logout | default(false)
"#,
        address = registry.address(),
        user = FakeRegistry::USER,
    );
    let s = Sides::start(&play);
    let repo = TestRepo::local().file("deploy.yaml", &play).file(
        "group_vars/all.yml",
        &format!("registry_password: \"{}\"\n", FakeRegistry::PASSWORD),
    );
    // A `docker` on the PATH that records every invocation's arguments and environment.
    let wrapper_dir = s.ours.scratch().join("wrapper");
    std::fs::create_dir_all(&wrapper_dir).expect("wrapper dir");
    let log = wrapper_dir.join("argv.log");
    let real = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v docker"])
            .output()
            .expect("sh")
            .stdout,
    )
    .expect("utf8");
    let wrapper = wrapper_dir.join("docker");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$*\" >> {log}\nenv >> {log}\nexec {real} \"$@\"\n",
            log = log.display(),
            real = real.trim()
        ),
    )
    .expect("wrapper");
    std::process::Command::new("chmod")
        .arg("755")
        .arg(&wrapper)
        .status()
        .expect("chmod");
    let path = format!(
        "{}:{}",
        wrapper_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let deploy = |extra: &[&str]| {
        let mut args = vec!["deploy", "--json", "-v"];
        let vars = s.vars(&s.ours, extra);
        args.extend(vars.iter().map(String::as_str));
        let out = repo.command(&args).env("PATH", &path).output().expect("playhook");
        Run(out)
    };
    let ansible = |extra: &[&str]| {
        let vars = s.vars(&s.theirs, extra);
        let mut args: Vec<&str> = vec!["deploy.yaml"];
        args.extend(vars.iter().map(String::as_str));
        let (code, out) = repo.ansible_playbook(&args);
        assert_eq!(code, 0, "{out}");
        out
    };
    // Logged in, still logged in (nothing to do), logged out (the login task unchanged).
    for (extra, changed) in [
        (&[][..], true),
        (&[][..], false),
        (&[r#"{"logout": true}"#][..], false),
    ] {
        let theirs = ansible(extra);
        let run = deploy(extra);
        assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
        assert_eq!(
            playhook_recap(&run, "localhost"),
            ansible_recap(&theirs, "localhost"),
            "{theirs}\n{}",
            run.stdout()
        );
        assert_eq!(task_changed(&run, "login"), [changed]);
        for text in [run.stdout(), run.stderr()] {
            assert!(
                !text.contains(FakeRegistry::PASSWORD),
                "the password is in the output:\n{text}"
            );
        }
    }
    let logged = std::fs::read_to_string(&log).expect("the wrapper ran");
    assert!(
        logged.contains("login --username tester --password-stdin"),
        "{logged}"
    );
    assert!(
        !logged.contains(FakeRegistry::PASSWORD),
        "the password reached docker's arguments or environment"
    );
    let authorizations = registry.authorizations.lock().expect("lock").clone();
    assert!(!authorizations.is_empty(), "the daemon asked the registry");
    let config = std::fs::read_to_string(s.ours.scratch().join("dockercfg/config.json")).expect("config");
    assert!(!config.contains(&registry.address()), "logged out: {config}");
}

/// A `docker` on `PATH` (first) that is the real one without the compose plugin: `compose`
/// is an unknown command and `docker info` lists no `compose` among the client's plugins.
const NO_COMPOSE: &str = r#"#!/bin/sh
info=
for a in "$@"; do
    if [ "$a" = compose ]; then
        echo "docker: 'compose' is not a docker command." >&2
        exit 1
    fi
    [ "$a" != info ] || info=yes
done
if [ -n "$info" ]; then
    /usr/bin/docker "$@" | python3 -c '
import json, sys
info = json.load(sys.stdin)
plugins = (info.get("ClientInfo") or {}).get("Plugins") or []
if plugins:
    info["ClientInfo"]["Plugins"] = [p for p in plugins if p.get("Name") != "compose"]
print(json.dumps(info))'
    exit 0
fi
exec /usr/bin/docker "$@"
"#;

#[test]
fn docker_compose_v2_without_the_plugin_fails_as_ansible_does() {
    let play = r#"
- hosts: web
  gather_facts: false
  environment:
    DOCKER_HOST: "{{ docker_host }}"
    PATH: "{{ bin }}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  tasks:
    - community.docker.docker_compose_v2:
        project_name: demo
        definition:
          services:
            web:
              image: local/bb:1
"#;
    let daemon = Daemon::start();
    let bin = daemon.scratch().join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    std::fs::write(bin.join("docker"), NO_COMPOSE).expect("docker wrapper");
    {
        use std::os::unix::fs::PermissionsExt as _;
        let wrapper = bin.join("docker");
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let repo = TestRepo::local().file("deploy.yaml", play);
    let host = format!("docker_host={}", daemon.host());
    let bin = format!("bin={}", bin.display());
    let (code, ansible) = repo.ansible_playbook(&["deploy.yaml", "-e", &host, "-e", &bin]);
    assert_ne!(code, 0, "{ansible}");
    assert!(
        ansible.contains("does not have the compose plugin installed"),
        "{ansible}"
    );
    let run = repo.playhook(&["deploy", "-e", &host, "-e", &bin]);
    assert_ne!(run.code(), 0);
    let text = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        text.contains("does not have the compose plugin installed"),
        "{text}"
    );
    // The short name is not routed in Ansible, nor here.
    let short = TestRepo::local().file(
        "deploy.yaml",
        &play.replace("community.docker.docker_compose_v2", "docker_compose_v2"),
    );
    let refused = short.playhook(&["check"]);
    assert_ne!(refused.code(), 0, "{}", refused.stdout());
}
