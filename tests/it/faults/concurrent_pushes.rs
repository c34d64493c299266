//! Concurrent pushes: five to one environment deploy one at a time and the last pushed commit
//! is what the host ends with; five to five environments deploy at the same time. Every push
//! leaves a record.

use std::process::Child;

use crate::support::git::{Remote, text, timed_lines};

/// A remote with the hook installed deploying to this machine (`ansible_connection=local`),
/// the rules `rules` and the tasks `tasks`.
fn remote_with(rules: &str, tasks: &str) -> Remote {
    let remote = Remote::new();
    remote.install(&[]);
    std::fs::write(remote.bare.join("playhook.yaml"), rules).expect("write playhook.yaml");
    remote
        .file("hosts", "[web]\nlocalhost ansible_connection=local\n")
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = hosts\ngathering = explicit\n",
        )
        .file("deploy.yaml", &format!("- hosts: web\n  tasks:\n{tasks}"));
    remote
}

fn finish(push: Child, lines: Vec<String>) -> Vec<String> {
    let out = push.wait_with_output().expect("push ends");
    assert!(out.status.success(), "{lines:#?}\n{}", text(&out.stderr));
    lines
}

#[test]
fn five_pushes_to_one_environment_deploy_one_at_a_time_and_the_last_one_wins() {
    let out_dir = tempfile::tempdir().expect("tmp");
    let out = out_dir.path();
    // `mkdir` fails when another deploy of the environment is inside the task.
    let remote = remote_with(
        "rules:\n  - ref: main\n    environment: production\n",
        &format!(
            "    - name: alone\n      shell: mkdir {0}/busy && sleep 1 && echo {{{{ label }}}} >> {0}/order && rmdir {0}/busy\n    \
             - name: label\n      copy: content={{{{ label }}}} dest={0}/label\n",
            out.display()
        ),
    );
    let url = remote.url();
    let mut commits = Vec::new();
    let mut pushes = Vec::new();
    for n in 1..=5 {
        remote.file("group_vars/all.yaml", &format!("label: c{n}\n"));
        commits.push(remote.commit(&format!("c{n}")));
        let mut push = remote.push_child(&[&url, "main"]);
        let rx = timed_lines(&mut push);
        // The ref has moved once the hook speaks: the next push is a fast-forward of this one.
        let mut lines = Vec::new();
        for (_, line) in rx.iter() {
            let started = line.contains("playhook: deploying") || line.contains("waiting for the");
            lines.push(line);
            if started {
                break;
            }
        }
        pushes.push((push, rx, lines));
    }
    let mut all = Vec::new();
    for (push, rx, mut lines) in pushes {
        lines.extend(rx.iter().map(|(_, l)| l));
        all.push(finish(push, lines));
    }
    assert_eq!(
        std::fs::read_to_string(out.join("label")).expect("label"),
        "c5",
        "the last pushed commit is deployed: {all:#?}"
    );
    let order = std::fs::read_to_string(out.join("order")).expect("order");
    assert!(order.ends_with("c5\n"), "{order}");
    let history = remote.history();
    for (n, commit) in commits.iter().enumerate() {
        let records: Vec<_> = history
            .iter()
            .filter(|r| r["commit"] == commit.as_str())
            .collect();
        assert_eq!(records.len(), 1, "push c{} is recorded once: {history:#?}", n + 1);
        let result = records[0]["result"].as_str().unwrap_or_default();
        assert!(
            result == "ok" || result == "superseded",
            "c{}: {result} (a failed `alone` task means two deploys overlapped): {history:#?}\n{all:#?}",
            n + 1
        );
        if result == "superseded" {
            assert!(
                records[0]["error"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("newer push"),
                "{history:#?}"
            );
        }
    }
    // History is newest first; a push that stepped aside is recorded when it did.
    let newest = history
        .iter()
        .find(|r| r["result"] == "ok")
        .expect("a deploy ran");
    assert_eq!(newest["commit"], commits[4].as_str(), "{history:#?}");
    let status = remote.status();
    assert_eq!(status[0]["commit"], commits[4].as_str(), "{status:#?}");
}

#[test]
fn five_pushes_to_five_environments_deploy_at_the_same_time() {
    let out_dir = tempfile::tempdir().expect("tmp");
    let out = out_dir.path();
    let rules: String = (1..=5)
        .map(|n| format!("  - ref: e{n}\n    environment: env{n}\n"))
        .collect();
    // Each deploy waits (up to 60 s) until all five are inside this task: deploys that ran one
    // after the other would fail it.
    let remote = remote_with(
        &format!("rules:\n{rules}"),
        &format!(
            "    - name: together\n      shell: |\n        touch {0}/in-{{{{ label }}}}\n        \
             for i in $(seq 600); do [ \"$(ls {0} | grep -c '^in-')\" -ge 5 ] && exit 0; sleep 0.1; done\n        \
             exit 1\n    - name: label\n      copy: content={{{{ label }}}} dest={0}/label-{{{{ label }}}}\n",
            out.display()
        ),
    );
    let url = remote.url();
    let mut commits = Vec::new();
    remote.commit("base");
    for n in 1..=5 {
        remote.git(&["checkout", "-q", "-B", &format!("e{n}"), "main"]);
        remote.file("group_vars/all.yaml", &format!("label: env{n}\n"));
        commits.push(remote.commit(&format!("env{n}")));
    }
    let pushes: Vec<Child> = (1..=5)
        .map(|n| remote.push_child(&[&url, &format!("e{n}")]))
        .collect();
    let mut all = String::new();
    for push in pushes {
        let out = push.wait_with_output().expect("push ends");
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(
            !stderr.contains("waiting for the"),
            "no push waits for another: {stderr}"
        );
        all.push_str(&stderr);
    }
    for n in 1..=5 {
        assert_eq!(
            std::fs::read_to_string(out.join(format!("label-env{n}"))).unwrap_or_default(),
            format!("env{n}"),
            "{all}"
        );
    }
    let history = remote.history();
    assert_eq!(history.len(), 5, "{history:#?}");
    for (n, commit) in commits.iter().enumerate() {
        let r = history
            .iter()
            .find(|r| r["commit"] == commit.as_str())
            .unwrap_or_else(|| panic!("env{} recorded: {history:#?}", n + 1));
        assert_eq!(r["result"], "ok", "{r}");
        assert_eq!(r["environment"], format!("env{}", n + 1));
    }
}
