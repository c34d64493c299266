//! Hostile targets: a full disk, a read-only `/tmp`, a clock years off, a shell that prints junk
//! when it starts, a connection that stalls and one that drops mid-transfer. Each time the error
//! names the host and what happened, nothing is half-written, and once the fault is cleared a
//! re-run converges (and the run after it changes nothing).

use std::process::Stdio;
use std::time::{Duration, Instant};

use super::{deploy, fleet_repo, messages, recap, show, wait_quiet, write_temps};
use crate::support::fleet::Fleet;
use crate::support::repo::TestRepo;

/// Deploys `repo` twice more: the first must succeed, the second must change nothing.
fn converges(repo: &TestRepo, args: &[&str]) {
    let rerun = deploy(repo, args);
    assert_eq!(rerun.code(), 0, "the re-run converges:\n{}", show(&rerun));
    let again = deploy(repo, args);
    assert_eq!(again.code(), 0, "{}", show(&again));
    for (host, [_, changed, unreachable, failed]) in recap(&again) {
        assert_eq!(
            (changed, unreachable, failed),
            (0, 0, 0),
            "{host}:\n{}",
            show(&again)
        );
    }
}

/// Bytes that are not text, `len` long.
fn blob(len: usize, salt: u8) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ salt).collect()
}

#[test]
fn a_full_disk_fails_the_host_naming_it_and_keeps_the_old_file() {
    let fleet = Fleet::start(2);
    let full = fleet.host(0);
    full.in_namespace(
        "mkdir -p /srv/full && mount -t tmpfs -o size=256k tmpfs /srv/full && echo old > /srv/full/big",
    );
    std::fs::create_dir_all(fleet.host(1).srv().join("full")).expect("mkdir");
    std::fs::write(fleet.host(1).srv().join("full/big"), "old\n").expect("write");
    let repo = fleet_repo(
        &fleet,
        "- hosts: fleet\n  tasks:\n    - name: a big file\n      copy: src=big dest=/srv/full/big\n",
    );
    let new = blob(1 << 20, 7);
    std::fs::write(repo.path().join("big"), &new).expect("write big");

    let run = deploy(&repo, &[]);
    assert_eq!(run.code(), 2, "a host failed:\n{}", show(&run));
    let failed = messages(&run, &full.name, "failed");
    assert!(
        failed
            .iter()
            .any(|m| m.contains("No space left on device") && m.contains("/srv/full")),
        "{}: {failed:?}\n{}",
        full.name,
        show(&run)
    );
    assert_eq!(
        recap(&run)[&fleet.host(1).name][1..],
        [1, 0, 0],
        "the other host wrote it"
    );
    let left = full.in_namespace("cat /srv/full/big; ls -A /srv/full");
    assert_eq!(left, "old\nbig\n", "the old file and no temp file");

    full.in_namespace("mount -o remount,size=8m /srv/full");
    converges(&repo, &[]);
    let size = full.in_namespace("stat -c %s /srv/full/big; ls -A /srv/full");
    assert_eq!(size, format!("{}\nbig\n", new.len()));
    assert_eq!(
        std::fs::read(fleet.host(1).srv().join("full/big")).expect("read"),
        new
    );
}

const EVERYDAY: &str = r#"- hosts: fleet
  tasks:
    - name: a directory
      file: path=/srv/app state=directory mode=0755
    - name: a copied file
      copy: content="copied {{ inventory_hostname }}\n" dest=/srv/app/copied backup=yes
    - name: a rendered file
      template: src=conf.j2 dest=/srv/app/conf
    - name: an edited file
      lineinfile: path=/srv/app/edited line="edited = yes" create=yes
    - name: a command
      command: echo hello
      register: hello
      changed_when: false
    - name: its output is intact
      assert:
        that: hello.stdout == "hello" and hello.stderr == ""
    - name: a command that runs once
      shell: echo once > /srv/app/once
      args:
        creates: /srv/app/once
"#;

fn everyday_repo(fleet: &Fleet) -> TestRepo {
    fleet_repo(fleet, EVERYDAY).file("templates/conf.j2", "name = {{ inventory_hostname }}\n")
}

fn assert_everyday(fleet: &Fleet) {
    for h in fleet.hosts() {
        let conf = std::fs::read_to_string(h.srv().join("app/conf")).expect("conf");
        assert_eq!(conf, format!("name = {}\n", h.name));
        let edited = std::fs::read_to_string(h.srv().join("app/edited")).expect("edited");
        assert_eq!(edited, "edited = yes\n");
        assert!(write_temps(&h.srv()).is_empty(), "{}", h.name);
    }
}

#[test]
fn a_read_only_tmp_does_not_matter() {
    let fleet = Fleet::start(1);
    // The fleet's own files live under /tmp: they stay writable (their own mount, carried over
    // by --rbind), the rest of /tmp becomes read-only.
    let own = fleet.root().display().to_string();
    fleet.host(0).in_namespace(&format!(
        "mount --bind {own} {own} && mount --rbind /tmp /tmp && mount -o remount,bind,ro /tmp \
         && ! touch /tmp/playhook-probe 2>/dev/null && touch {own}/probe"
    ));
    let repo = everyday_repo(&fleet);
    let run = deploy(&repo, &[]);
    assert_eq!(run.code(), 0, "{}", show(&run));
    assert_everyday(&fleet);
    converges(&repo, &[]);
}

#[test]
fn a_clock_years_off_changes_nothing_in_the_outcome() {
    let fleet = Fleet::start(1);
    let host = fleet.host(0);
    // `date` says 1998 and every file the run finds was modified in 2046.
    let bin = host.root_home().join("fakebin");
    std::fs::create_dir_all(&bin).expect("mkdir fakebin");
    std::fs::write(
        bin.join("date"),
        "#!/bin/sh\nexec /bin/date -d @883612800 \"$@\"\n",
    )
    .expect("fake date");
    crate::support::ssh_client::set_mode(&bin.join("date"), 0o755);
    std::fs::write(
        host.root_home().join(".bashrc"),
        "export PATH=/root/fakebin:$PATH\n",
    )
    .expect(".bashrc");
    assert!(
        host.in_namespace("PATH=/root/fakebin:$PATH date +%Y")
            .starts_with("1998"),
        "the fake date works"
    );
    let repo = everyday_repo(&fleet);
    let run = deploy(&repo, &[]);
    assert_eq!(run.code(), 0, "{}", show(&run));
    host.in_namespace("find /srv -exec touch -h -d 2046-01-01 {} +");
    converges(&repo, &[]);
    assert_everyday(&fleet);
}

#[test]
fn a_shell_printing_junk_on_start_does_not_reach_results() {
    let fleet = Fleet::start(1);
    let host = fleet.host(0);
    let junk = "echo JUNK-OUT; echo JUNK-ERR >&2; printf '\\000\\377\\n'; printf 'no newline'\n";
    for file in [".bashrc", ".profile", ".bash_profile"] {
        std::fs::write(host.root_home().join(file), junk).expect("start-up file");
    }
    let repo = everyday_repo(&fleet);
    let run = deploy(&repo, &[]);
    assert_eq!(run.code(), 0, "{}", show(&run));
    assert!(!run.stdout().contains("JUNK"), "{}", show(&run));
    assert_everyday(&fleet);
    converges(&repo, &[]);
}

const STALL: &str = r#"- hosts: fleet
  tasks:
    - name: first
      copy: content=one dest=/srv/one
    - name: meanwhile
      command: sleep 2
      changed_when: false
    - name: a big file
      copy: src=big dest=/srv/big
    - name: last
      copy: content=two dest=/srv/two
"#;

/// Runs `repo`'s deploy in the background, calls `fault` once `ready` holds (or the run ended),
/// and returns the run: it must end by itself within `limit`.
fn with_fault(
    repo: &TestRepo,
    args: &[&str],
    ready: impl Fn() -> bool,
    fault: impl FnOnce(),
    limit: Duration,
) -> crate::support::repo::Run {
    let mut all = vec!["deploy", "--json", "--color", "never"];
    all.extend_from_slice(args);
    let mut child = repo
        .command(&all)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start playhook deploy");
    let started = Instant::now();
    while !ready() && child.try_wait().expect("try_wait").is_none() {
        assert!(started.elapsed() < limit, "the fault's moment never came");
        std::thread::sleep(Duration::from_millis(5));
    }
    fault();
    let pid = child.id();
    let watchdog = std::thread::spawn(move || {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            std::thread::sleep(Duration::from_millis(100));
            if std::fs::metadata(format!("/proc/{pid}")).is_err() {
                return false;
            }
        }
        let _ = rustix::process::kill_process(
            rustix::process::Pid::from_raw(pid as i32).expect("a pid"),
            rustix::process::Signal::KILL,
        );
        true
    });
    let out = child.wait_with_output().expect("wait for playhook");
    assert!(
        !watchdog.join().expect("watchdog"),
        "the run did not end within {limit:?}: killed"
    );
    crate::support::repo::Run(out)
}

#[test]
fn a_stalled_host_is_unreachable_and_the_others_finish() {
    let fleet = Fleet::start(3);
    let stalled = fleet.host(1);
    let repo = fleet_repo(&fleet, STALL);
    let big = blob(4 << 20, 3);
    std::fs::write(repo.path().join("big"), &big).expect("write big");
    let run = with_fault(
        &repo,
        &["--timeout", "3"],
        || stalled.srv().join("one").exists(),
        || stalled.freeze_all(),
        Duration::from_secs(120),
    );
    stalled.thaw_all();
    assert_eq!(run.code(), 3, "a host unreachable:\n{}", show(&run));
    let recap = recap(&run);
    assert_eq!(recap[&stalled.name][2], 1, "{recap:?}");
    let why = messages(&run, &stalled.name, "unreachable");
    assert!(
        why.iter()
            .any(|m| m.contains(&stalled.name) || m.contains(&stalled.address)),
        "the message names the host: {why:?}"
    );
    for i in [0, 2] {
        let h = fleet.host(i);
        assert_eq!(recap[&h.name][2..], [0, 0], "{recap:?}");
        assert_eq!(std::fs::read(h.srv().join("big")).expect("big"), big);
        assert_eq!(std::fs::read_to_string(h.srv().join("two")).expect("two"), "two");
    }
    if let Ok(now) = std::fs::read(stalled.srv().join("big")) {
        assert!(now == big, "half-written: {} bytes", now.len());
    }
    wait_quiet(stalled);
    converges(&repo, &["--timeout", "3"]);
    assert!(write_temps(&stalled.srv()).is_empty());
}

#[test]
fn a_connection_dropped_mid_transfer_is_unreachable_and_nothing_is_half_written() {
    let fleet = Fleet::start(2);
    let cut = fleet.host(0);
    let repo = fleet_repo(
        &fleet,
        "- hosts: fleet\n  tasks:\n    - name: a big file\n      copy: src=big dest=/srv/big\n",
    );
    let big = blob(24 << 20, 5);
    std::fs::write(repo.path().join("big"), &big).expect("write big");
    for h in fleet.hosts() {
        std::fs::write(h.srv().join("big"), "old\n").expect("old");
    }
    let run = with_fault(
        &repo,
        &[],
        || cut.session_commands().iter().any(|c| c.starts_with("base64")),
        || cut.drop_connections(),
        Duration::from_secs(120),
    );
    assert_eq!(run.code(), 3, "{}", show(&run));
    let why = messages(&run, &cut.name, "unreachable");
    assert!(!why.is_empty(), "{}", show(&run));
    assert_eq!(recap(&run)[&fleet.host(1).name][2..], [0, 0]);
    let now = std::fs::read(cut.srv().join("big")).expect("big");
    assert!(now == b"old\n" || now == big, "half-written: {} bytes", now.len());
    wait_quiet(cut);
    converges(&repo, &[]);
    assert!(
        write_temps(&cut.srv()).is_empty(),
        "{:?}",
        write_temps(&cut.srv())
    );
    assert_eq!(std::fs::read(cut.srv().join("big")).expect("big"), big);
}
