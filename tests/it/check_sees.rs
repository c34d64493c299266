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

#[test]
fn without_a_default_playbook_the_files_that_look_like_one_are_listed() {
    let repo = TestRepo::local()
        .file("main.yml", "- hosts: web\n  tasks:\n    - debug: msg=from-main\n")
        .file("playbooks/web.yaml", "- name: web\n  hosts: web\n  tasks: []\n")
        .file("requirements.yml", "- src: geerlingguy.nginx\n")
        .file("vars.yml", "a: 1\n");
    check_refuses(
        &repo,
        "these look like playbooks: main.yml, playbooks/web.yaml\n  \
         pick one with `--playbook main.yml`, or for every command and the git hook, in ansible.cfg:\n    \
         [playhook]\n    playbook = main.yml",
    );
    succeeds(&repo, &["check", "--playbook", "playbooks/web.yaml"]);
}

#[test]
fn ansible_cfg_names_the_playbook_for_check_and_deploy() {
    let repo = TestRepo::local()
        .file("main.yml", "- hosts: web\n  tasks:\n    - debug: msg=from-main\n")
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = hosts\ngathering = explicit\n[playhook]\nplaybook = main.yml\n",
        );
    let run = succeeds(&repo, &["check"]);
    assert!(
        run.stdout().starts_with(&format!(
            "{}: ok",
            repo.path()
                .canonicalize()
                .expect("canonical")
                .join("main.yml")
                .display()
        )),
        "{}",
        explain(&run)
    );
    let run = succeeds(&repo, &["deploy", "-v"]);
    assert!(run.stdout().contains("from-main"), "{}", explain(&run));
    // --playbook wins over the setting.
    let repo = repo.file(
        "other.yml",
        "- hosts: web\n  tasks:\n    - debug: msg=from-other\n",
    );
    let run = succeeds(&repo, &["deploy", "-v", "--playbook", "other.yml"]);
    assert!(run.stdout().contains("from-other"), "{}", explain(&run));

    let missing = TestRepo::local().file(
        "ansible.cfg",
        "[defaults]\ninventory = hosts\n[playhook]\nplaybook = site/main.yml\n",
    );
    check_refuses(&missing, "ansible.cfg:4: `playbook`: `");
}
