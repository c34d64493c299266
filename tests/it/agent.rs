//! Pull mode on real machines: `playhook agent` installed on Debian 12 machines (systemd as PID
//! 1, the built binary copied in) fetching from a real git server (`git daemon` on 127.0.0.1,
//! pushes allowed for the history notes), driven by its real systemd timer or run by hand.

use std::time::{Duration, Instant};

use crate::support::git::Remote;
use crate::support::git_daemon::GitDaemon;
use crate::support::http_server::HttpServer;
use crate::support::machines::{Machine, Machines, Ran};

mod canary;
mod origins;
mod setup;

/// Machines, a repository whose inventory names them, served over git://.
pub(crate) struct Pull {
    pub machines: Machines,
    pub remote: Remote,
    pub daemon: GitDaemon,
}

const PLAY: &str = "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: motd\n      copy:\n        dest: /etc/motd-playhook\n        content: \"version {{ version }}\\n\"\n";

impl Pull {
    /// Boots one machine, writes the repository (`deploy.yaml` = `play`, `version: 1` in
    /// group_vars) and pushes it, copies playhook into the machine.
    fn start(play: &str) -> Pull {
        Pull::start_with(play, 1, true)
    }

    /// [`Pull::start`] with `n` machines (all in the inventory), the git server read-only
    /// unless `writable`.
    pub fn start_with(play: &str, n: usize, writable: bool) -> Pull {
        let machines = Machines::start(n);
        let remote = Remote::new();
        let hosts: String = machines
            .machines()
            .iter()
            .map(|m| format!("    {}:\n", m.name))
            .collect();
        remote
            .file("ansible.cfg", "[defaults]\ninventory = inventory.yaml\n")
            .file(
                "inventory.yaml",
                &format!("all:\n  hosts:\n{hosts}    elsewhere.example:\n"),
            )
            .file("deploy.yaml", play)
            .file("group_vars/all.yaml", "version: 1\n");
        remote.commit("version 1");
        push(&remote, &["origin", "main"]);
        let daemon = if writable {
            GitDaemon::serve(remote.root())
        } else {
            GitDaemon::serve_read_only(remote.root())
        };
        for m in machines.machines() {
            let bin = m.root().join("usr/local/bin/playhook");
            std::fs::copy(env!("CARGO_BIN_EXE_playhook"), &bin).expect("copy playhook into the machine");
            m.ok("chmod 755 /usr/local/bin/playhook && git --version");
        }
        Pull {
            machines,
            remote,
            daemon,
        }
    }

    pub fn m(&self) -> &Machine {
        self.machines.machine(0)
    }

    pub fn url(&self) -> String {
        self.daemon.url("bare.git")
    }

    /// `playhook agent install --repo URL EXTRA...`, which must succeed; its stdout.
    pub fn install(&self, extra: &str) -> String {
        install_on(self.m(), &self.url(), extra)
    }

    /// Stops the timer and waits for a running pass to end, so passes run only by hand.
    pub fn stop_timer(&self) {
        stop_timer(self.m());
    }

    /// Sets `version` and pushes; returns the commit.
    pub fn push_version(&self, v: u32) -> String {
        self.push_version_to(v, "main")
    }

    /// Sets `version` on the checked-out branch and pushes it as `branch`; returns the commit.
    pub fn push_version_to(&self, v: u32, branch: &str) -> String {
        self.remote
            .file("group_vars/all.yaml", &format!("version: {v}\n"));
        let c = self.remote.commit(&format!("version {v}"));
        push(&self.remote, &["origin", &format!("HEAD:refs/heads/{branch}")]);
        c
    }

    pub fn run(&self) -> Ran {
        self.m().run("playhook agent run")
    }

    pub fn motd(&self) -> Option<String> {
        motd(self.m())
    }

    pub fn status(&self) -> serde_json::Value {
        status(self.m())
    }

    /// Waits until the motd says `version v`.
    fn wait_version(&self, v: u32, within: Duration) {
        let want = format!("version {v}\n");
        let deadline = Instant::now() + within;
        while self.motd().as_deref() != Some(want.as_str()) {
            assert!(
                Instant::now() < deadline,
                "the timer did not apply version {v}: motd {:?}\n{}",
                self.motd(),
                self.m()
                    .run("journalctl -u playhook-agent --no-pager | tail -40")
                    .stdout
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// `playhook agent install --repo URL EXTRA...` on `m`, which must succeed; its stdout.
pub(crate) fn install_on(m: &Machine, url: &str, extra: &str) -> String {
    m.ok(&format!("playhook agent install --repo {url} {extra}"))
}

/// Stops `m`'s timer and waits for a running pass to end, so passes run only by hand.
/// Waits up to a minute for the timer's pass to write `path` on `m`; the agent's journal on
/// failure.
pub(crate) fn wait_file(m: &Machine, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while m.read(path).is_none() {
        assert!(
            Instant::now() < deadline,
            "{path} not written: {}",
            m.run("journalctl -u playhook-agent --no-pager | tail -30").stdout
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

pub(crate) fn stop_timer(m: &Machine) {
    m.ok("systemctl stop playhook-agent.timer; while systemctl is-active -q playhook-agent.service; do sleep 0.2; done");
}

/// The file the test plays write: `version N`.
pub(crate) fn motd(m: &Machine) -> Option<String> {
    m.read("/etc/motd-playhook")
}

/// `playhook agent status --json` on `m`.
pub(crate) fn status(m: &Machine) -> serde_json::Value {
    serde_json::from_str(&m.ok("playhook agent status --json")).expect("status is JSON")
}

/// Encrypts `value` as the repository's secret `name` (`playhook secrets init` first when
/// `init`), commits and pushes main; returns the key, which stays out of the repository.
pub(crate) fn push_secret(
    remote: &Remote,
    name: &str,
    value: &str,
    init: bool,
    key: Option<&[u8]>,
) -> Vec<u8> {
    let work = remote.work.display().to_string();
    let key_path = remote.work.join("secret.key");
    if init {
        let out = remote.playhook(&["secrets", "-C", &work, "init"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    if let Some(k) = key {
        std::fs::write(&key_path, k).expect("the key back for `secrets set`");
        std::fs::set_permissions(&key_path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("chmod");
    }
    let mut set = std::process::Command::new(env!("CARGO_BIN_EXE_playhook"));
    set.args(["secrets", "-C", &work, "set", name]);
    remote.env(&mut set);
    set.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = set.spawn().expect("secrets set");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), value.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("ends");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key_text = std::fs::read(&key_path).expect("key");
    std::fs::remove_file(&key_path).expect("the key stays out of the repository");
    remote.commit(&format!("secret {name}"));
    push(remote, &["origin", "main"]);
    key_text
}

pub(crate) fn push(remote: &Remote, args: &[&str]) {
    let out = remote.push(args);
    assert!(
        out.status.success(),
        "git push: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn all(ran: &Ran) -> String {
    format!("{}{}", ran.stdout, ran.stderr)
}

#[test]
fn the_timer_applies_pushes_and_each_comparison_does_what_it_says() {
    let p = Pull::start(PLAY);
    let m = p.m();
    let out = p.install("--interval 3s --splay 0");
    assert!(
        out.contains("wrote /etc/playhook/agent.yaml (mode 0600)"),
        "{out}"
    );
    assert!(out.contains("playhook-agent.timer"), "{out}");
    assert_eq!(m.ok("stat -c %a /etc/playhook/agent.yaml").trim(), "600");
    assert_eq!(
        m.ok("systemctl is-enabled playhook-agent.timer").trim(),
        "enabled"
    );
    let unit = m
        .read("/etc/systemd/system/playhook-agent.service")
        .expect("service unit");
    assert!(unit.contains("After=network-online.target"), "{unit}");
    let timer = m
        .read("/etc/systemd/system/playhook-agent.timer")
        .expect("timer unit");
    assert!(
        timer.contains("OnUnitActiveSec=3s") && timer.contains("OnBootSec="),
        "{timer}"
    );

    // The timer's first pass applies the branch, and a push is applied by a later one.
    p.wait_version(1, Duration::from_secs(60));
    let v2 = p.push_version(2);
    p.wait_version(2, Duration::from_secs(60));
    // Installing again changes nothing.
    let again = p.install("--interval 3s --splay 0");
    assert!(again.contains("unchanged /etc/playhook/agent.yaml"), "{again}");
    assert!(
        again.contains("unchanged /etc/systemd/system/playhook-agent.timer"),
        "{again}"
    );

    // The passes are in the server's history beside push deploys, from the agent.
    let history = p.remote.history();
    let pulled: Vec<_> = history
        .iter()
        .filter(|r| r["pusher"] == format!("agent@{}", m.name) && r["result"] == "ok")
        .collect();
    assert!(pulled.iter().any(|r| r["commit"] == v2.as_str()), "{history:#?}");
    assert_eq!(pulled[0]["kind"], "pull", "{history:#?}");
    assert!(pulled[0]["hosts"][&m.name].is_object(), "{history:#?}");

    p.stop_timer();
    // Up to date: nothing applied.
    let ran = p.run();
    assert_eq!(ran.code, 0, "{}", all(&ran));
    assert!(ran.stdout.contains("up to date"), "{}", all(&ran));
    assert!(!ran.stdout.contains("applying"), "{}", all(&ran));

    // Rewound: the branch force-pushed back to version 1 is refused, exit 6.
    p.remote.git(&["reset", "-q", "--hard", "HEAD~1"]);
    push(&p.remote, &["-f", "origin", "main"]);
    let ran = p.run();
    assert_eq!(ran.code, 6, "{}", all(&ran));
    assert!(ran.stdout.contains("rewound"), "{}", all(&ran));
    assert_eq!(p.motd().as_deref(), Some("version 2\n"));

    // Diverged: a history that does not contain the applied commit.
    p.push_version(3);
    let ran = p.run();
    assert_eq!(ran.code, 6, "{}", all(&ran));
    assert!(ran.stdout.contains("diverged"), "{}", all(&ran));
    assert_eq!(p.motd().as_deref(), Some("version 2\n"));
    assert_eq!(p.status()["last"]["comparison"], "diverged");

    // allow_rewind applies the branch head whatever its history. (The configuration is edited
    // in place from here on: `install` restarts the timer, whose pass would race these.)
    m.ok("sed -i 's/^allow_rewind: false/allow_rewind: true/' /etc/playhook/agent.yaml");
    let ran = p.run();
    assert_eq!(ran.code, 0, "{}", all(&ran));
    assert_eq!(p.motd().as_deref(), Some("version 3\n"));
    m.ok("sed -i '/^allow_rewind:/d' /etc/playhook/agent.yaml");

    // Local ahead: the host applied a canary branch the followed branch is behind of.
    p.remote.git(&["checkout", "-q", "-b", "canary"]);
    p.push_version_to(4, "canary");
    m.ok("echo 'canary_branch: canary' >> /etc/playhook/agent.yaml");
    let ran = p.run();
    assert_eq!(ran.code, 0, "{}", all(&ran));
    assert!(ran.stdout.contains("fast-forward"), "{}", all(&ran));
    assert_eq!(p.motd().as_deref(), Some("version 4\n"));
    m.ok("sed -i '/^canary_branch:/d' /etc/playhook/agent.yaml");
    let ran = p.run();
    assert_eq!(ran.code, 6, "{}", all(&ran));
    assert!(ran.stdout.contains("local ahead"), "{}", all(&ran));
    assert_eq!(p.motd().as_deref(), Some("version 4\n"));
    let refused: Vec<_> = p
        .remote
        .history()
        .into_iter()
        .filter(|r| r["result"] == "refused")
        .collect();
    assert_eq!(
        refused.len(),
        3,
        "rewound, diverged and ahead are recorded: {refused:#?}"
    );

    // Uninstall removes the units and keeps the configuration; twice is fine; --purge removes it.
    let out = m.ok("playhook agent uninstall && playhook agent uninstall");
    assert!(
        out.contains("removed /etc/systemd/system/playhook-agent.timer"),
        "{out}"
    );
    assert!(m.read("/etc/systemd/system/playhook-agent.service").is_none());
    assert_ne!(
        m.run("systemctl is-enabled playhook-agent.timer").stdout.trim(),
        "enabled"
    );
    assert!(m.read("/etc/playhook/agent.yaml").is_some());
    m.ok("playhook agent uninstall --purge");
    assert!(m.read("/etc/playhook/agent.yaml").is_none());
    assert!(m.read("/var/lib/playhook/agent/state.json").is_none());
}

#[test]
fn freeze_and_rollback_survive_a_restart_and_a_reboot() {
    let p = Pull::start(PLAY);
    let m = p.m();
    p.install("--interval 3s --splay 0");
    p.wait_version(1, Duration::from_secs(60));
    let v1 = m.ok("cat /var/lib/playhook/agent/state.json");
    let v1: serde_json::Value = serde_json::from_str(&v1).expect("state");
    let v1 = v1["applied"].as_str().expect("applied").to_string();
    p.push_version(2);
    p.wait_version(2, Duration::from_secs(60));

    let ran = m.run(&format!("playhook agent rollback {}", &v1[..8]));
    assert_eq!(ran.code, 0, "{}", all(&ran));
    assert_eq!(p.motd().as_deref(), Some("version 1\n"));
    let s = p.status();
    assert_eq!(
        (s["frozen"].as_bool(), s["pin"].as_str()),
        (Some(true), Some(v1.as_str())),
        "{s:#}"
    );

    // Passes go on (they fetch and say how far behind) and apply nothing.
    p.push_version(3);
    let passes = |p: &Pull| p.status()["passes"].as_u64().unwrap_or(0);
    let wait_passes = |p: &Pull, n: u64| {
        let start = passes(p);
        let deadline = Instant::now() + Duration::from_secs(60);
        while passes(p) < start + n {
            assert!(Instant::now() < deadline, "the timer stopped running passes");
            std::thread::sleep(Duration::from_millis(300));
        }
    };
    wait_passes(&p, 2);
    assert_eq!(p.motd().as_deref(), Some("version 1\n"));
    let s = p.status();
    assert_eq!(s["behind"].as_u64(), Some(2), "{s:#}");

    m.ok("systemctl restart playhook-agent.timer playhook-agent.service");
    wait_passes(&p, 2);
    assert_eq!(p.motd().as_deref(), Some("version 1\n"));

    m.reboot();
    wait_passes(&p, 2);
    assert_eq!(p.motd().as_deref(), Some("version 1\n"));
    let s = p.status();
    assert_eq!(
        (s["frozen"].as_bool(), s["pin"].as_str()),
        (Some(true), Some(v1.as_str())),
        "{s:#}"
    );

    let out = m.ok("playhook agent unfreeze");
    assert!(out.contains("unfrozen"), "{out}");
    p.wait_version(3, Duration::from_secs(60));
    assert_eq!(p.status()["frozen"].as_bool(), Some(false));

    // A plain freeze holds a new push back too.
    m.ok("playhook agent freeze");
    p.push_version(4);
    wait_passes(&p, 2);
    assert_eq!(p.motd().as_deref(), Some("version 3\n"));
}

/// Appends `start`/`end` lines with times around a 3 s sleep: overlapping runs would interleave.
const SLOW_PLAY: &str = "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: slow\n      shell: \"echo start {{ who | default('agent') }} >> /root/runs; sleep 3; echo end {{ who | default('agent') }} >> /root/runs\"\n    - name: motd\n      copy:\n        dest: /etc/motd-playhook\n        content: \"version {{ version }}\\n\"\n";

/// The runs' lines, `start X` / `end X`, in order.
fn runs(m: &Machine) -> Vec<String> {
    m.read("/root/runs")
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn wait_line(m: &Machine, line: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !runs(m).iter().any(|l| l == line) {
        assert!(Instant::now() < deadline, "no `{line}` in {:?}", runs(m));
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_manual_deploy_and_the_agent_never_overlap() {
    let p = Pull::start(SLOW_PLAY);
    let m = p.m();
    p.install("--interval 1h --splay 0");
    p.stop_timer();
    m.ok("rm -f /root/runs /etc/motd-playhook");

    // The agent first; the deploy from the controller waits for it, saying for whom.
    let agent = m.ssh().arg("playhook agent run").output_async();
    wait_line(m, "start agent");
    let work = p.remote.work.display().to_string();
    let inventory = p.machines.inventory().display().to_string();
    let deploy = p
        .remote
        .playhook(&["deploy", "-C", &work, "-i", &inventory, "-e", "who=deploy"]);
    let agent = agent.wait();
    assert_eq!(agent.code, 0, "{}", all(&agent));
    let deploy_out = format!(
        "{}{}",
        String::from_utf8_lossy(&deploy.stdout),
        String::from_utf8_lossy(&deploy.stderr)
    );
    assert!(deploy.status.success(), "{deploy_out}");
    assert!(deploy_out.contains("waiting for the deploy lock"), "{deploy_out}");
    assert!(
        deploy_out.contains(&format!("playhook agent (manual) on {}", m.name)),
        "{deploy_out}"
    );
    assert_eq!(
        runs(m),
        ["start agent", "end agent", "start deploy", "end deploy"]
    );

    // The deploy first; the agent waits for it.
    m.ok("rm -f /root/runs");
    p.push_version(2);
    let (agent, deploy) = std::thread::scope(|scope| {
        let deploy = scope.spawn(|| {
            p.remote
                .playhook(&["deploy", "-C", &work, "-i", &inventory, "-e", "who=deploy"])
        });
        wait_line(m, "start deploy");
        let agent = p.run();
        (agent, deploy.join().expect("deploy thread"))
    });
    assert!(
        deploy.status.success(),
        "{}",
        String::from_utf8_lossy(&deploy.stderr)
    );
    assert_eq!(agent.code, 0, "{}", all(&agent));
    assert!(
        agent.stdout.contains("waiting for the deploy lock"),
        "{}",
        all(&agent)
    );
    assert!(
        agent.stdout.contains("playhook deploy by tester@"),
        "{}",
        all(&agent)
    );
    assert_eq!(
        runs(m),
        ["start deploy", "end deploy", "start agent", "end agent"]
    );
}

#[test]
fn drift_is_reported_or_corrected_as_configured() {
    let p = Pull::start(PLAY);
    let m = p.m();
    p.install("--interval 1h --splay 0 --drift-every 1 --drift-action report");
    p.stop_timer();
    let ran = p.run();
    assert_eq!(ran.code, 0, "{}", all(&ran));
    assert_eq!(p.motd().as_deref(), Some("version 1\n"));

    // Nothing changed on the machine: no drift.
    let ran = p.run();
    assert!(ran.stdout.contains("no drift"), "{}", all(&ran));

    m.ok("echo edited by hand > /etc/motd-playhook");
    let ran = p.run();
    assert_eq!(ran.code, 0, "{}", all(&ran));
    assert!(
        ran.stdout
            .contains(&format!("drift: 1 task(s) would change: {}: motd", m.name)),
        "{}",
        all(&ran)
    );
    assert_eq!(p.motd().as_deref(), Some("edited by hand\n"), "report only");
    assert_eq!(
        p.status()["drift"],
        serde_json::json!([format!("{}: motd", m.name)])
    );
    let drift_records: Vec<_> = p
        .remote
        .history()
        .into_iter()
        .filter(|r| r["mode"] == "check")
        .collect();
    assert_eq!(drift_records.len(), 1, "{drift_records:#?}");

    m.ok("sed -i 's/action: report/action: correct/' /etc/playhook/agent.yaml");
    let ran = p.run();
    assert_eq!(ran.code, 0, "{}", all(&ran));
    assert!(ran.stdout.contains("correcting the drift"), "{}", all(&ran));
    assert_eq!(p.motd().as_deref(), Some("version 1\n"));
    assert_eq!(p.status()["drift"], serde_json::json!([]));
}

#[test]
fn secrets_never_reach_logs_state_journal_or_notes() {
    const CANARY: &str = "canary-7f3a9b-do-not-leak";
    let play = "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: token\n      copy:\n        dest: /root/token\n        content: \"{{ secrets.token }}\"\n        mode: \"0600\"\n    - name: say it\n      shell: \"echo the token is {{ secrets.token }}; exit 1\"\n      ignore_errors: true\n";
    let p = Pull::start(play);
    let m = p.m();
    let key_text = push_secret(&p.remote, "token", CANARY, true, None);
    std::fs::create_dir_all(m.root().join("etc/playhook")).expect("mkdir");
    std::fs::write(m.root().join("etc/playhook/secret.key"), key_text).expect("key into the machine");
    m.ok("chmod 600 /etc/playhook/secret.key");

    // Reporters configured before install, which keeps them.
    let receiver = HttpServer::serve(Default::default());
    let config = format!(
        "repo: {}\nwebhook:\n  url: {}/hook/generic\n  send: always\nmetrics:\n  textfile: /var/lib/playhook/agent.prom\n",
        p.url(),
        receiver.url()
    );
    std::fs::write(m.root().join("etc/playhook/agent.yaml"), config).expect("config");
    m.ok("chmod 600 /etc/playhook/agent.yaml");
    p.install("--interval 2s --splay 0 --key-file /etc/playhook/secret.key");
    wait_file(m, "/root/token");
    assert_eq!(
        m.read("/root/token").as_deref(),
        Some(CANARY),
        "the secret was applied"
    );
    p.stop_timer();
    let logs = m.ok("cat /var/lib/playhook/agent/logs/*");
    assert!(logs.contains("say it"), "the failing task ran: {logs}");
    let places = [
        ("logs", logs),
        ("state", m.ok("cat /var/lib/playhook/agent/state.json")),
        ("journal", m.ok("journalctl -u playhook-agent --no-pager")),
        ("status", m.ok("playhook agent status --json")),
        ("notes", format!("{:?}", p.remote.history())),
    ];
    let applied = p.status()["applied"].as_str().expect("applied").to_string();
    let hooks = receiver.requests();
    assert!(!hooks.is_empty(), "the webhook was called");
    assert!(
        hooks.iter().any(|r| r.body_text().contains(&applied)),
        "a webhook names the applied commit: {:?}",
        hooks.iter().map(|r| r.body_text()).collect::<Vec<_>>()
    );
    let metrics = m
        .read("/var/lib/playhook/agent.prom")
        .expect("the metrics textfile");
    assert!(metrics.contains(&format!("commit=\"{applied}\"")), "{metrics}");
    let bodies: String = hooks.iter().map(|r| r.body_text()).collect();
    let places = places
        .into_iter()
        .chain([("webhook", bodies), ("metrics", metrics)]);
    for (what, text) in places {
        assert!(!text.contains(CANARY), "the secret is in the {what}:\n{text}");
    }
}

#[test]
fn a_signed_trigger_applies_at_once_and_the_webhook_and_metrics_report_the_pass() {
    use crate::agent_report::python_hmac_hex;
    use crate::agent_report::serve::request;
    use crate::support::http_server::HttpServer;

    let receiver = HttpServer::serve(Default::default());
    let p = Pull::start(PLAY);
    let m = p.m();
    p.install("--interval 2s --splay 0");
    p.wait_version(1, Duration::from_secs(60));
    p.stop_timer();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    // The pass runs as serve's child (`command`): starting the service again after
    // `stop_timer` fails in these containers (219/CGROUP), so the default trigger
    // (`systemctl start --no-block`) is not what this test exercises.
    m.ok(&format!(
        "umask 077; echo trigger-key-e2e > /etc/playhook/trigger.key; echo webhook-key-e2e > /etc/playhook/webhook.key\n\
         cat >> /etc/playhook/agent.yaml <<EOF\n\
         webhook:\n  url: {}/hook/agent\n  secret_file: /etc/playhook/webhook.key\n\
         metrics:\n  textfile: /var/lib/playhook/agent/playhook.prom\n\
         serve:\n  listen: 127.0.0.1:{port}\n  secret_file: /etc/playhook/trigger.key\n\
         \x20 command: [/usr/local/bin/playhook, agent, run, --trigger, http]\n\
         EOF\n\
         playhook agent status >/dev/null\n\
         systemd-run --unit playhook-serve playhook agent serve",
        receiver.url()
    ));
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{}",
            m.run("journalctl -u playhook-serve --no-pager").stdout
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // A bad signature is refused and applies nothing.
    let c2 = p.push_version(2);
    let body = br#"{"ref":"refs/heads/main"}"#;
    let bad = format!("sha256={}", python_hmac_hex("wrong-key", body));
    let a = request(
        "POST",
        &format!("{base}/trigger"),
        &[("X-Hub-Signature-256", bad)],
        body,
    );
    assert_eq!(a.status, 403, "{}", a.body);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        p.motd().as_deref(),
        Some("version 1\n"),
        "applied without a good signature"
    );

    // A good one applies the push at once (the timer is stopped).
    let good = format!("sha256={}", python_hmac_hex("trigger-key-e2e", body));
    let sent = Instant::now();
    let a = request(
        "POST",
        &format!("{base}/trigger"),
        &[("X-Hub-Signature-256", good)],
        body,
    );
    assert_eq!(a.status, 202, "{}", a.body);
    p.wait_version(2, Duration::from_secs(30));
    let took = sent.elapsed();

    // The webhook: one signed POST for the pass that applied version 2.
    let deadline = Instant::now() + Duration::from_secs(20);
    let hook = loop {
        let found = receiver.requests().into_iter().find(|r| {
            serde_json::from_slice::<serde_json::Value>(&r.body).is_ok_and(|v| v["commit"] == c2.as_str())
        });
        if let Some(r) = found {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "no webhook for {c2}: {:?}",
            receiver.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let want = format!("sha256={}", python_hmac_hex("webhook-key-e2e", &hook.body));
    assert_eq!(hook.header("x-playhook-signature-256"), Some(want.as_str()));
    let v: serde_json::Value = serde_json::from_slice(&hook.body).expect("JSON");
    assert_eq!(v["result"], "ok");
    assert_eq!(v["host"], m.name.as_str());
    assert_eq!(v["comparison"], "fast_forward");
    assert!(v["changed"].as_u64().is_some_and(|n| n >= 1), "{v}");
    assert!(v["log"].as_str().is_some_and(|l| l.contains("motd")), "{v}");

    // The metrics, served and in the textfile, carry the applied commit.
    let metrics = request("GET", &format!("{base}/metrics"), &[], b"");
    assert_eq!(metrics.status, 200);
    let info = format!("commit=\"{c2}\"");
    assert!(metrics.body.contains(&info), "{}", metrics.body);
    assert!(
        metrics
            .body
            .contains("playhook_agent_last_run_result{result=\"ok\"} 1\n"),
        "{}",
        metrics.body
    );
    let textfile = m
        .read("/var/lib/playhook/agent/playhook.prom")
        .expect("the textfile");
    assert!(textfile.contains(&info), "{textfile}");
    let journal = m.ok("journalctl -u playhook-serve --no-pager");
    assert!(journal.contains("refused POST /trigger"), "{journal}");
    assert!(
        journal.contains("(X-Hub-Signature-256): pass started"),
        "{journal}"
    );
    assert!(!journal.contains("trigger-key-e2e"), "{journal}");
    eprintln!("a signed trigger applied version 2 in {took:?}");
}

/// A command started now and waited for later.
struct Pending(std::process::Child);

trait OutputAsync {
    fn output_async(&mut self) -> Pending;
}

impl OutputAsync for std::process::Command {
    fn output_async(&mut self) -> Pending {
        Pending(
            self.stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("starts"),
        )
    }
}

impl Pending {
    fn wait(self) -> Ran {
        let out = self.0.wait_with_output().expect("ends");
        Ran {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }
}
