//! Push to deploy end to end: `playhook hook install` on a bare repository, real `git push`
//! over `file://`, the deploy streamed back, the lock, push options, `--verify`, the notes,
//! `history`, `status` and `rollback`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::fleet::Fleet;
use crate::support::git::{Remote, text, timed_lines};

/// An Ansible repository deploying to this machine (`ansible_connection=local`).
fn ansible_repo(remote: &Remote, tasks: &str) {
    remote
        .file("hosts", "[web]\nlocalhost ansible_connection=local\n")
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = hosts\ngathering = explicit\n",
        )
        .file("deploy.yaml", &format!("- hosts: web\n  tasks:\n{tasks}"));
}

/// A remote with the hook installed (`install`: `hook install`'s extra arguments) and an
/// Ansible repository of `tasks(out)`, `out` the test's output directory; the remote and `out`.
fn hooked(install: &[&str], tasks: impl FnOnce(&Path) -> String) -> (Remote, PathBuf) {
    let remote = Remote::new();
    remote.install(install);
    let out = remote.out();
    ansible_repo(&remote, &tasks(&out));
    (remote, out)
}

/// Writes the bare repository's `playhook.yaml`.
fn rules(remote: &Remote, yaml: &str) {
    std::fs::write(remote.bare.join("playhook.yaml"), yaml).expect("write playhook.yaml");
}

/// `git push ARGS`, which must succeed; its standard error (the deploy's `remote:` lines).
fn push_ok(remote: &Remote, args: &[&str]) -> String {
    let push = remote.push(args);
    let stderr = text(&push.stderr);
    assert!(push.status.success(), "{stderr}");
    stderr
}

/// The `remote:` lines of a push, without the prefix.
fn remote_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("remote: "))
        .map(|l| l.trim_end().to_string())
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[test]
fn install_writes_a_shim_running_this_binary_and_uninstall_restores_the_old_hook() {
    let remote = Remote::new();
    let old = "#!/bin/sh\necho the old hook\n";
    std::fs::write(remote.bare.join("hooks/post-receive"), old).expect("write old hook");
    remote.install(&[]);
    remote.install(&[]);
    let shim = read(&remote.bare.join("hooks/post-receive"));
    let exe = Path::new(env!("CARGO_BIN_EXE_playhook"))
        .canonicalize()
        .expect("binary path");
    assert!(
        shim.contains(&format!("exec '{}' hook run", exe.display())),
        "{shim}"
    );
    assert_eq!(read(&remote.bare.join("hooks/post-receive.before-playhook")), old);
    assert!(read(&remote.bare.join("playhook.yaml")).contains("- ref: main"));
    let cfg = remote.git_bare(&["config", "receive.advertisePushOptions"]);
    assert_eq!(text(&cfg.stdout).trim(), "true");

    let bare = remote.bare.to_string_lossy().into_owned();
    let out = remote.playhook(&["hook", "uninstall", &bare]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(read(&remote.bare.join("hooks/post-receive")), old);
    assert!(!remote.bare.join("hooks/post-receive.before-playhook").exists());
}

#[test]
fn a_branch_without_a_rule_deploys_nothing_and_says_so() {
    let (remote, out) = hooked(&[], |out| format!("    - command: touch {}/ran\n", out.display()));
    remote.git(&["checkout", "-q", "-b", "topic"]);
    remote.commit("topic work");
    let stderr = push_ok(&remote, &["-q", "origin", "topic"]);
    let lines = remote_lines(&stderr);
    assert_eq!(lines, vec!["No rule to deploy refs/heads/topic"]);
    assert!(!out.join("ran").exists());
    assert!(remote.history().is_empty());
}

#[test]
fn an_unknown_push_option_is_an_error_message_and_nothing_deploys() {
    let (remote, out) = hooked(&[], |out| format!("    - command: touch {}/ran\n", out.display()));
    remote.commit("one");
    let push = remote.push(&["-q", "-o", "tag=dns", "origin", "main"]);
    assert!(push.status.success(), "the ref moves: {}", text(&push.stderr));
    let stderr = text(&push.stderr);
    assert!(
        stderr.contains("push option `tag=dns` is not understood"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was deployed"), "{stderr}");
    assert!(!out.join("ran").exists());
    assert!(remote.history().is_empty());
}

#[test]
fn a_broken_rules_file_is_reported_with_its_line() {
    let remote = Remote::new();
    remote.install(&[]);
    rules(&remote, "rules:\n  - ref: main\n    tagz: dns\n");
    remote.commit("one");
    let out = remote.push(&["-q", "origin", "main"]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("playhook.yaml:3"), "{stderr}");
    assert!(stderr.contains("tagz"), "{stderr}");
}

#[test]
fn history_and_status_of_a_repository_never_deployed() {
    let remote = Remote::new();
    assert!(remote.history().is_empty());
    assert!(remote.status().is_empty());
    let bare = remote.bare.to_string_lossy().into_owned();
    let out = remote.playhook(&["history", "-C", &bare]);
    assert!(
        text(&out.stderr).contains("no deploys recorded"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_push_deploys_and_lines_arrive_while_it_runs() {
    let (remote, out) = hooked(&[], |out| {
        format!(
            "    - name: first\n      command: echo first\n    - name: wait a while\n      command: sleep 5\n    - name: last\n      command: touch {}/done\n",
            out.display()
        )
    });
    let commit = remote.commit("one");
    let started = Instant::now();
    let mut push = remote.push_child(&["origin", "main"]);
    let lines = timed_lines(&mut push);
    let mut seen: Vec<(Duration, String)> = Vec::new();
    for (at, line) in lines.iter() {
        seen.push((at - started, line));
    }
    let status = push.wait().expect("push ends");
    let ended = started.elapsed();
    let all: Vec<&str> = seen.iter().map(|(_, l)| l.as_str()).collect();
    assert!(status.success(), "{all:#?}");
    let waiting = seen
        .iter()
        .find(|(_, l)| l.contains("TASK [wait a while]"))
        .expect("the task line");
    assert!(
        ended - waiting.0 > Duration::from_secs(3),
        "the task line came only at the end: {all:#?}"
    );
    assert!(
        all.iter()
            .any(|l| l.contains("still deploying: TASK [wait a while]")),
        "keepalive: {all:#?}"
    );
    assert!(
        all.iter().any(|l| l.contains("localhost") && l.contains("ok=")),
        "recap: {all:#?}"
    );
    assert!(out.join("done").exists());

    let history = remote.history();
    assert_eq!(history.len(), 1, "{history:#?}");
    let r = &history[0];
    assert_eq!(r["commit"], commit.as_str());
    assert_eq!(r["ref"], "refs/heads/main");
    assert_eq!(r["result"], "ok");
    assert_eq!(r["mode"], "real");
    assert_eq!(r["pusher"], "tester");
    assert_eq!(r["hosts"]["localhost"]["failed"], 0);
    assert!(r["hosts"]["localhost"]["ok"].as_u64().expect("count") >= 3, "{r}");
    let log = read(&remote.bare.join(r["log"].as_str().expect("log path")));
    assert!(log.contains("TASK [wait a while]"), "{log}");
    assert!(!log.contains('\x1b'), "the log has no colour codes: {log}");
    let note = remote.git_bare(&["notes", "--ref", "playhook", "show", &commit]);
    assert!(
        text(&note.stdout).contains("\"result\":\"ok\""),
        "{}",
        text(&note.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(remote.tmp())
        .expect("tmp")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("playhook-checkout-"))
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "the checkout was removed: {left:?}");
    let status = remote.status();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0]["host"], "localhost");
    assert_eq!(status[0]["commit"], commit.as_str());
    assert_eq!(status[0]["result"], "ok");
}

#[test]
fn push_options_select_tags_and_check_mode() {
    let (remote, out) = hooked(&[], |out| {
        format!(
            "    - command: touch {0}/dns\n      tags: dns\n    - command: touch {0}/web\n      tags: web\n",
            out.display()
        )
    });
    remote.commit("one");
    let stderr = push_ok(&remote, &["-o", "tags=dns", "origin", "main"]);
    assert!(out.join("dns").exists(), "{stderr}");
    assert!(!out.join("web").exists(), "{stderr}");
    let history = remote.history();
    assert_eq!(history[0]["tags"], serde_json::json!(["dns"]));

    remote.commit("two");
    let push = remote.push(&[
        "-o", "check", "-o", "tags=web", "-o", "no-color", "origin", "main",
    ]);
    let stderr = text(&push.stderr);
    assert!(!stderr.contains('\x1b'), "no-color: {stderr}");
    assert!(!out.join("web").exists(), "check mode changes nothing: {stderr}");
    let history = remote.history();
    assert_eq!(history[0]["mode"], "check");
    let status = remote.status();
    assert_eq!(
        status[0]["commit"], history[1]["commit"],
        "a check run is not an applied commit"
    );
}

#[test]
fn concurrent_pushes_deploy_one_after_the_other_and_queued_ones_collapse() {
    let (remote, out) = hooked(&[], |out| {
        format!(
            "    - shell: echo \"start {{{{ label }}}}\" >> {0}/order; sleep 3; echo \"end {{{{ label }}}}\" >> {0}/order\n",
            out.display()
        )
    });
    remote.file("group_vars/all.yaml", "label: a\n");
    remote.commit("a");
    // By URL: concurrent pushes must not race for the clone's remote-tracking ref.
    let url = remote.url();
    let mut first = remote.push_child(&[&url, "main"]);
    let first_lines = timed_lines(&mut first);
    let holding = first_lines
        .iter()
        .find(|(_, l)| l.contains("playhook: deploying"));
    assert!(holding.is_some(), "the first push deploys");
    remote.file("group_vars/all.yaml", "label: b\n");
    remote.commit("b");
    let mut second = remote.push_child(&[&url, "main"]);
    let second_lines = timed_lines(&mut second);
    let (_, waiting) = second_lines
        .iter()
        .find(|(_, l)| l.contains("waiting for the `default` deploy lock"))
        .expect("the second push says it waits");
    assert!(
        waiting.contains("tester deploying"),
        "names the holder: {waiting}"
    );
    // A third push while the second waits: the second steps aside for it.
    remote.file("group_vars/all.yaml", "label: c\n");
    remote.commit("c");
    let third = remote.push(&[&url, "main"]);
    let second_rest: Vec<String> = second_lines.iter().map(|(_, l)| l).collect();
    assert!(second.wait().expect("push ends").success());
    assert!(first.wait().expect("push ends").success());
    let _ = first_lines.iter().count();
    assert!(
        second_rest
            .iter()
            .any(|l| l.contains("not deploying") && l.contains("newer push")),
        "{second_rest:#?}"
    );
    assert!(third.status.success(), "{}", text(&third.stderr));
    assert_eq!(read(&out.join("order")), "start a\nend a\nstart c\nend c\n");
}

#[test]
fn verify_rejects_a_push_that_breaks_a_template() {
    let (remote, out) = hooked(&["--verify"], |out| {
        format!("    - template: src=conf.j2 dest={}/conf\n", out.display())
    });
    remote.file("templates/conf.j2", "name = {{ inventory_hostname }}\n");
    let good = remote.commit("good");
    push_ok(&remote, &["origin", "main"]);
    assert_eq!(read(&out.join("conf")), "name = localhost\n");

    remote.file(
        "templates/conf.j2",
        "name = {{ inventory_hostname | no_such_filter }}\n",
    );
    remote.commit("broken");
    let push = remote.push(&["origin", "main"]);
    let stderr = text(&push.stderr);
    assert!(!push.status.success(), "{stderr}");
    assert!(stderr.contains("no_such_filter"), "{stderr}");
    assert!(stderr.contains("rejected"), "{stderr}");
    let head = remote.git_bare(&["rev-parse", "main"]);
    assert_eq!(text(&head.stdout).trim(), good, "the ref did not move");
    assert_eq!(remote.history().len(), 1);
}

#[test]
fn rollback_deploys_an_earlier_commit_and_the_next_push_deploys_normally() {
    let (remote, out) = hooked(&[], |out| {
        format!(
            "    - copy: content={{{{ label }}}} dest={}/label\n",
            out.display()
        )
    });
    let mut commits = Vec::new();
    for label in ["one", "two"] {
        remote.file("group_vars/all.yaml", &format!("label: {label}\n"));
        commits.push(remote.commit(label));
        push_ok(&remote, &["origin", "main"]);
    }
    assert_eq!(read(&out.join("label")), "two");

    let bare = remote.bare.to_string_lossy().into_owned();
    let rb = remote.playhook(&["rollback", "main~1", "-C", &bare]);
    assert!(rb.status.success(), "{}", text(&rb.stderr));
    assert_eq!(read(&out.join("label")), "one");
    let history = remote.history();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0]["kind"], "rollback");
    assert_eq!(history[0]["commit"], commits[0].as_str());
    assert_eq!(remote.status()[0]["commit"], commits[0].as_str());

    remote.file("group_vars/all.yaml", "label: three\n");
    let three = remote.commit("three");
    assert!(remote.push(&["origin", "main"]).status.success());
    assert_eq!(read(&out.join("label")), "three");
    assert_eq!(remote.status()[0]["commit"], three.as_str());
}

#[test]
fn the_pusher_leaving_does_not_stop_the_deploy() {
    let (remote, out) = hooked(&[], |out| {
        format!(
            "    - name: wait\n      command: sleep 3\n    - command: touch {}/done\n",
            out.display()
        )
    });
    remote.commit("one");
    let mut push = remote.push_child(&["origin", "main"]);
    let lines = timed_lines(&mut push);
    for (_, line) in lines.iter() {
        if line.contains("TASK [wait]") {
            break;
        }
    }
    // Ctrl-C in the pusher's terminal: SIGINT to its whole process group.
    let pgid = rustix::process::Pid::from_raw(push.id() as i32).expect("pid");
    rustix::process::kill_process_group(pgid, rustix::process::Signal::INT).expect("signal");
    let _ = push.wait();
    let deadline = Instant::now() + Duration::from_secs(60);
    while remote.history().is_empty() {
        assert!(Instant::now() < deadline, "the deploy was not recorded");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(out.join("done").exists(), "the deploy finished");
    let history = remote.history();
    assert_eq!(history[0]["result"], "ok");
    let log = read(&remote.bare.join(history[0]["log"].as_str().expect("log")));
    assert!(
        log.contains("localhost") && log.contains("ok="),
        "the log has the recap: {log}"
    );
}

#[test]
fn a_push_over_ssh_deploys_to_the_fleet() {
    let fleet = Fleet::start(3);
    // The git server is h11: its /srv holds the bare repository; the repository deploys to every
    // host of the fleet (h11 included) over SSH.
    let server = fleet.host(0);
    let bare = server.srv().join("infra.git");
    let init = std::process::Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(&bare)
        .output()
        .expect("git init runs");
    assert!(init.status.success(), "{}", text(&init.stderr));
    let remote = Remote::new();
    let out = remote.playhook(&["hook", "install", &bare.to_string_lossy()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    remote
        .file("inventory.yaml", &fleet.inventory_yaml())
        .file("ansible.cfg", "[defaults]\ninventory = inventory.yaml\ngathering = explicit\n")
        .file(
            "deploy.yaml",
            "- hosts: fleet\n  tasks:\n    - name: say hello\n      copy: content={{ inventory_hostname }} dest=/srv/hello\n",
        );
    let commit = remote.commit("fleet");
    let url = format!("ssh://{}/srv/infra.git", server.name);
    let ssh = format!("ssh -F {}", fleet.ssh_config().display());
    let mut cmd = std::process::Command::new("git");
    cmd.args(["push", &url, "main"]).current_dir(&remote.work);
    remote.env(&mut cmd);
    let push = cmd.env("GIT_SSH_COMMAND", ssh).output().expect("git push runs");
    let stderr = text(&push.stderr);
    assert!(push.status.success(), "{stderr}");
    assert!(stderr.contains("remote: playhook: deploying"), "{stderr}");
    assert!(stderr.contains("TASK [say hello]"), "{stderr}");
    for h in fleet.hosts() {
        assert_eq!(read(&h.srv().join("hello")), h.name, "{stderr}");
    }
    let history = remote.playhook(&["history", "-C", &bare.to_string_lossy(), "--json"]);
    let records = crate::support::git::json_lines(&text(&history.stdout));
    assert_eq!(records.len(), 1, "{}", text(&history.stderr));
    assert_eq!(records[0]["commit"], commit.as_str());
    assert_eq!(records[0]["result"], "ok");
    assert_eq!(records[0]["hosts"].as_object().map(|h| h.len()), Some(3));
}

#[test]
fn secrets_open_with_the_key_in_the_bare_repository_and_never_show() {
    const SECRET: &str = "hunter2-s3cret-value";
    let (remote, out) = hooked(&[], |out| {
        format!(
            "    - name: use the secret\n      command: echo \"the password is {{{{ secrets.db_password }}}}\"\n    - copy: content={{{{ secrets.db_password }}}} dest={}/pw\n",
            out.display()
        )
    });
    let work = remote.work.to_string_lossy().into_owned();
    let init = remote.playhook(&["secrets", "-C", &work, "init"]);
    assert!(init.status.success(), "{}", text(&init.stderr));
    let mut set = std::process::Command::new(env!("CARGO_BIN_EXE_playhook"));
    set.args(["secrets", "-C", &work, "set", "db_password"]);
    remote.env(&mut set);
    set.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = set.spawn().expect("playhook secrets set");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), SECRET.as_bytes()).expect("write");
    let done = child.wait_with_output().expect("secrets set ends");
    assert!(done.status.success(), "{}", text(&done.stderr));
    // The key lives on the server, not in the repository.
    let key = remote.bare.join("secret.key");
    std::fs::rename(remote.work.join("secret.key"), &key).expect("move the key");
    let commit = remote.commit("with secrets");
    let committed = remote.git(&["ls-files"]);
    assert!(!committed.contains("secret.key"), "{committed}");

    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let push = remote.push(&["origin", "main"]);
    let stderr = text(&push.stderr);
    assert!(
        stderr.contains("chmod 600"),
        "a readable key is refused: {stderr}"
    );
    assert!(!out.join("pw").exists());

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    remote.commit("again");
    let stderr = push_ok(&remote, &["origin", "main"]);
    assert!(out.join("pw").exists(), "the deploy ran: {stderr}");
    assert_eq!(read(&out.join("pw")), SECRET, "the secret reached the target");
    assert!(stderr.contains("the password is ********"), "{stderr}");
    assert!(!stderr.contains(SECRET), "the stream shows the secret: {stderr}");
    for entry in std::fs::read_dir(remote.bare.join("playhook/logs")).expect("logs") {
        let path = entry.expect("entry").path();
        assert!(
            !read(&path).contains(SECRET),
            "{} shows the secret",
            path.display()
        );
    }
    let notes = remote.git_bare(&["log", "-p", "refs/notes/playhook"]);
    assert!(!text(&notes.stdout).contains(SECRET));
    let history = remote.history();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["commit"], commit.as_str());
    assert_eq!(history[1]["result"], "error");
    assert_eq!(history[0]["result"], "ok");
}

#[test]
fn rules_map_branches_to_environments_and_their_hosts() {
    let remote = Remote::new();
    remote.install(&[]);
    rules(
        &remote,
        "rules:\n  - ref: main\n    environment: production\n    limit: production\n  - ref: staging\n    environment: staging\n    limit: staging\n",
    );
    let out = remote.out();
    remote
        .file(
            "hosts",
            "[staging]\nstage1 ansible_connection=local\n\n[production]\nprod1 ansible_connection=local\n",
        )
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = hosts\ngathering = explicit\n",
        )
        .file(
            "deploy.yaml",
            &format!(
                "- hosts: all\n  tasks:\n    - command: touch {}/{{{{ inventory_hostname }}}}\n",
                out.display()
            ),
        );
    remote.commit("one");
    remote.git(&["branch", "staging"]);
    remote.git(&["branch", "topic"]);
    // One push, three refs: each is decided on its own.
    let stderr = push_ok(&remote, &["origin", "staging", "topic"]);
    assert!(stderr.contains("No rule to deploy refs/heads/topic"), "{stderr}");
    assert!(out.join("stage1").exists(), "{stderr}");
    assert!(
        !out.join("prod1").exists(),
        "the staging rule deploys staging only: {stderr}"
    );
    let status = remote.status();
    assert_eq!(status.len(), 1);
    assert_eq!(
        (&status[0]["host"], &status[0]["environment"]),
        (&"stage1".into(), &"staging".into())
    );

    let push = remote.push(&["origin", "main", ":topic"]);
    let stderr = text(&push.stderr);
    assert!(out.join("prod1").exists(), "{stderr}");
    let status = remote.status();
    assert_eq!(status.len(), 2, "{status:#?}");
    assert_eq!(remote.history()[0]["environment"], "production");
    assert_eq!(remote.history()[0]["limit"], "production");
}

#[test]
fn a_failed_deploy_is_recorded_as_failed() {
    let (remote, _) = hooked(&[], |_| {
        "    - command: sh -c 'echo broken >&2; exit 3'\n".to_string()
    });
    let commit = remote.commit("broken");
    let push = remote.push(&["origin", "main"]);
    let stderr = text(&push.stderr);
    assert!(push.status.success(), "the ref moved anyway: {stderr}");
    assert!(stderr.contains("failed in"), "{stderr}");
    let history = remote.history();
    assert_eq!(history[0]["commit"], commit.as_str());
    assert_eq!(history[0]["result"], "failed");
    assert_eq!(history[0]["exit_code"], 2);
    assert_eq!(history[0]["hosts"]["localhost"]["failed"], 1);
    let status = remote.status();
    assert_eq!(status[0]["result"], "failed");
    assert_eq!(status[0]["pending_handlers"], serde_json::json!([]));
    // Handlers owed to a host (as a failed run leaves them) show in the status.
    let pending = remote.bare.join("playhook/pending/default.json");
    std::fs::create_dir_all(pending.parent().expect("dir")).expect("mkdir");
    std::fs::write(&pending, "{\"localhost\": [\"restart nginx\"]}\n").expect("write");
    assert_eq!(
        remote.status()[0]["pending_handlers"],
        serde_json::json!(["restart nginx"])
    );
}

#[test]
fn verify_rejects_unknown_push_options_before_the_ref_moves() {
    let (remote, out) = hooked(&["--verify"], |out| {
        format!("    - command: touch {}/ran\n", out.display())
    });
    remote.commit("one");
    let push = remote.push(&["-o", "force", "origin", "main"]);
    let stderr = text(&push.stderr);
    assert!(!push.status.success(), "{stderr}");
    assert!(
        stderr.contains("push option `force` is not understood"),
        "{stderr}"
    );
    assert!(
        !remote
            .git_bare(&["rev-parse", "--verify", "-q", "main"])
            .status
            .success(),
        "main did not move"
    );
    assert!(!out.join("ran").exists());
}

#[test]
fn old_logs_go_beyond_keep_logs_and_history_says_so() {
    let (remote, _) = hooked(&[], |_| "    - command: 'true'\n".to_string());
    rules(&remote, "keep_logs: 2\nrules:\n  - ref: main\n");
    for n in 1..=3 {
        remote.commit(&format!("deploy {n}"));
        push_ok(&remote, &["origin", "main"]);
    }
    let logs = remote.bare.join("playhook/logs");
    let kept: Vec<String> = std::fs::read_dir(&logs)
        .expect("logs")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".log"))
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    let history = remote.history();
    assert_eq!(history.len(), 3, "every record stays");
    for (i, record) in history.iter().enumerate() {
        let log = record["log"].as_str().expect("log");
        assert_eq!(remote.bare.join(log).exists(), i < 2, "record {i}: {log}");
    }
    let bare = remote.bare.to_string_lossy().into_owned();
    let listing = text(&remote.playhook(&["history", "-C", &bare]).stdout);
    assert_eq!(listing.matches("(removed: keep_logs)").count(), 1, "{listing}");
}
