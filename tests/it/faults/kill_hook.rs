//! The push hook SIGKILLed in the middle of a deploy: the environment's lock is free again (the
//! next push deploys), the killed deploy is recorded as interrupted (by the next deploy, since
//! the killed hook could not), and its checkout is removed.

use std::path::Path;

use crate::support::git::{Remote, text, timed_lines};

/// The pids of the processes of process group `pgid` whose command line holds `needle`.
fn group_processes(pgid: u32, needle: &str) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("reading /proc").flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let group = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(2))
            .and_then(|g| g.parse::<u32>().ok());
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if group == Some(pgid) && cmdline.contains(needle) {
            found.push(pid);
        }
    }
    found
}

fn checkouts(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .expect("reading the hook's TMPDIR")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("playhook-checkout-"))
        .collect()
}

#[test]
fn a_hook_killed_mid_deploy_frees_the_lock_is_recorded_interrupted_and_cleaned() {
    let remote = Remote::new();
    remote.install(&[]);
    let out = remote.out();
    remote
        .file("hosts", "[web]\nlocalhost ansible_connection=local\n")
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = hosts\ngathering = explicit\n",
        )
        .file(
            "deploy.yaml",
            &format!(
                "- hosts: web\n  tasks:\n    - name: begin\n      shell: echo \"start {{{{ label }}}}\" >> {0}/order\n    \
                 - name: work\n      command: sleep 4\n    - name: end\n      shell: echo \"end {{{{ label }}}}\" >> {0}/order\n    \
                 - name: label\n      copy: content={{{{ label }}}} dest={0}/label\n",
                out.display()
            ),
        )
        .file("group_vars/all.yaml", "label: a\n");
    let first = remote.commit("a");
    let url = remote.url();
    let mut push = remote.push_child(&[&url, "main"]);
    let lines = timed_lines(&mut push);
    let seen: Vec<String> = lines
        .iter()
        .map(|(_, l)| l)
        .take_while(|l| !l.contains("TASK [work]"))
        .collect();
    let hooks = group_processes(push.id(), "hook run");
    assert_eq!(hooks.len(), 1, "one hook process: {hooks:?}\n{seen:#?}");
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(hooks[0]).expect("a pid"),
        rustix::process::Signal::KILL,
    )
    .expect("SIGKILL the hook");
    let rest: Vec<String> = lines.iter().map(|(_, l)| l).collect();
    let _ = push.wait();
    assert!(
        remote.history().is_empty(),
        "nothing could record the killed deploy yet: {rest:#?}"
    );

    remote.file("group_vars/all.yaml", "label: b\n");
    let second = remote.commit("b");
    let push = remote.push(&[&url, "main"]);
    let stderr = text(&push.stderr);
    assert!(push.status.success(), "the next push deploys: {stderr}");
    assert!(
        stderr.contains("did not end (its hook was killed); recorded as interrupted"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(out.join("label")).expect("label"), "b");

    let history = remote.history();
    assert_eq!(history.len(), 2, "{history:#?}");
    let killed = history
        .iter()
        .find(|r| r["commit"] == first.as_str())
        .expect("the killed deploy is recorded");
    assert_eq!(killed["result"], "interrupted", "{killed}");
    assert!(
        killed["error"].as_str().unwrap_or_default().contains("killed"),
        "{killed}"
    );
    assert!(killed["log"].is_string(), "{killed}");
    let next = history
        .iter()
        .find(|r| r["commit"] == second.as_str())
        .expect("the next deploy is recorded");
    assert_eq!(next["result"], "ok", "{next}");

    // One deploy at a time: what the killed deploy still did ended before the next began.
    let order = std::fs::read_to_string(out.join("order")).expect("order");
    let b = order.find("start b").expect("b started");
    assert!(
        !order[b..].contains(" a\n"),
        "the killed deploy ran beside the next one:\n{order}"
    );
    assert!(
        checkouts(&remote.tmp()).is_empty(),
        "checkouts left: {:?}",
        checkouts(&remote.tmp())
    );
    assert!(
        !remote.bare.join("playhook/running/default.json").exists(),
        "the marker is gone"
    );
}
