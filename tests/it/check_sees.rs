//! `playhook check` sees everything before any host is touched: what included files and roles
//! hold, every variable's template, every spelling of a supported action, encrypted files it
//! cannot read, and the playbook a repository keeps under another name.

use crate::support::repo::{Run, TestRepo};

fn explain(run: &Run) -> String {
    format!("stdout:\n{}\nstderr:\n{}", run.stdout(), run.stderr())
}

/// Asserts that `check` refuses the repository (exit 4) with `needle` on stderr.
fn check_refuses(repo: &TestRepo, needle: &str) {
    let run = repo.playhook(&["check"]);
    assert_eq!(run.code(), 4, "{}", explain(&run));
    assert!(
        run.stderr().contains(needle),
        "expected `{needle}` in:\n{}",
        explain(&run)
    );
}

/// Asserts that `ARGS` succeeds.
fn succeeds(repo: &TestRepo, args: &[&str]) -> Run {
    let run = repo.playhook(args);
    assert_eq!(run.code(), 0, "{args:?}: {}", explain(&run));
    run
}

#[test]
fn every_fqcn_spelling_of_imports_and_includes_is_accepted() {
    let repo = TestRepo::local()
        .file("inc.yml", "- debug: msg=included\n")
        .file("roles/r/tasks/main.yml", "- debug: msg=role\n")
        .file("v.yml", "v: 1\n")
        .file(
            "tasks.yaml",
            "- hosts: web\n  tasks:\n\
             \x20   - ansible.builtin.import_tasks: inc.yml\n\
             \x20   - ansible.legacy.import_tasks: inc.yml\n\
             \x20   - ansible.builtin.include_tasks: inc.yml\n\
             \x20   - ansible.legacy.include_tasks: inc.yml\n\
             \x20   - ansible.builtin.import_role: {name: r}\n\
             \x20   - ansible.legacy.import_role: {name: r}\n\
             \x20   - ansible.builtin.include_role: {name: r}\n\
             \x20   - ansible.legacy.include_role: {name: r}\n\
             \x20   - ansible.builtin.include_vars: {file: v.yml}\n\
             \x20   - ansible.legacy.include_vars: {file: v.yml}\n\
             \x20   - ansible.builtin.meta: noop\n\
             \x20   - ansible.legacy.meta: noop\n",
        )
        .file(
            "deploy.yaml",
            "- import_playbook: tasks.yaml\n\
             - ansible.builtin.import_playbook: tasks.yaml\n\
             - ansible.legacy.import_playbook: tasks.yaml\n",
        );
    let run = succeeds(&repo, &["check"]);
    assert!(run.stdout().contains("(3 plays"), "{}", explain(&run));
    let run = succeeds(&repo, &["deploy", "--json"]);
    assert_eq!(run.recap("localhost")["failed"], 0, "{}", explain(&run));
    let msgs = run
        .events()
        .iter()
        .filter(|e| e.to_string().contains("\"included\""))
        .count();
    assert!(
        msgs >= 12,
        "each play runs inc.yml four times:\n{}",
        explain(&run)
    );
}
