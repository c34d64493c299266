//! Playbooks, roles, task files and templates as `playhook check` reads them (`RepoArgs::load`
//! then the check pass), and `k=v` free-form arguments.

use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;

use crate::harness::{self, check_message};
use playhook::cli::repo_args::RepoArgs;
use playhook::repo::kv::{parse_kv, split_args};
use playhook::template::{Engine, EngineOptions};

const PLAYBOOK: &str =
    "- hosts: all\n  gather_facts: false\n  roles:\n    - app\n  tasks:\n    - include_tasks: extra.yml\n";
const TASKS: &str = "- name: conf\n  template: src=t.j2 dest=/tmp/t mode=0644\n  notify: restart\n- debug: msg=\"{{ greeting | default('hi') }}\"\n  when: x is defined\n";
const HANDLERS: &str = "- name: restart\n  command: /bin/true\n";
const TEMPLATE: &str = "{% for h in groups['all'] %}{{ h }} {{ hostvars[h].x | default(1) }}\n{% endfor %}\n";

/// Writes a small repository whose files are the given texts; returns its directory.
fn repo(playbook: &[u8], tasks: &[u8], extra: &[u8], template: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    let files: [(&str, &[u8]); 7] = [
        ("ansible.cfg", b"[defaults]\ninventory = hosts\n"),
        ("hosts", b"[web]\nweb1 x=1\n"),
        ("deploy.yaml", playbook),
        ("extra.yml", extra),
        ("roles/app/tasks/main.yml", tasks),
        ("roles/app/handlers/main.yml", HANDLERS.as_bytes()),
        ("roles/app/templates/t.j2", template),
    ];
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

/// Loads and checks the repository as `playhook check` does; every error must name one of the
/// repository's files.
fn load_and_check(dir: &Path) -> Result<(), TestCaseError> {
    let args = RepoArgs {
        dir: dir.to_path_buf(),
        playbook: None,
        inventory: Vec::new(),
        extra_vars: Vec::new(),
        key_file: None,
    };
    let names = ["deploy.yaml", "extra.yml", "main.yml", "t.j2"];
    match args.load(None) {
        Ok(loaded) => {
            let engine = Arc::new(Engine::new(EngineOptions::default()));
            if let Err(problems) = loaded.check(&engine) {
                prop_assert!(!problems.0.is_empty());
                for p in &problems.0 {
                    prop_assert!(!p.trim().is_empty(), "an empty problem");
                    prop_assert!(
                        names.iter().any(|n| p.contains(n)) || p.contains("hosts") || p.contains("app"),
                        "the problem names no file: {}",
                        p
                    );
                }
            }
        }
        // Refusals of what is not supported list what is, on indented lines after the first:
        // the first line names the file (and line).
        Err(e) => {
            let text = playhook::error_chain::render(e.as_ref());
            let first = text.lines().next().unwrap_or_default();
            prop_assert!(!first.trim().is_empty(), "an empty first line: {:?}", text);
            prop_assert!(
                names.iter().any(|n| first.contains(n)),
                "the first line names no file: {}",
                text
            );
            prop_assert!(
                text.lines().skip(1).all(|l| l.starts_with("  ")),
                "lines after the first are not the indented details: {:?}",
                text
            );
        }
    }
    Ok(())
}

fn task_seeds() -> Vec<Vec<u8>> {
    harness::seeds(
        |p| harness::ext(p, &["yml", "yaml"]) && p.to_string_lossy().contains("/tasks/"),
        &[TASKS],
    )
}

fn playbook_seeds() -> Vec<Vec<u8>> {
    harness::seeds(
        |p| {
            harness::ext(p, &["yml", "yaml"])
                && !p.to_string_lossy().contains("/roles/")
                && std::fs::read_to_string(p).is_ok_and(|t| t.contains("hosts:"))
        },
        &[PLAYBOOK],
    )
}

fn template_seeds() -> Vec<Vec<u8>> {
    harness::seeds(|p| harness::ext(p, &["j2"]), &[TEMPLATE])
}

proptest! {
    #![proptest_config(harness::config())]

    #[test]
    fn a_mutated_playbook_loads_or_fails_naming_it(pb in harness::mutated(playbook_seeds())) {
        let dir = repo(&pb, TASKS.as_bytes(), TASKS.as_bytes(), TEMPLATE.as_bytes());
        load_and_check(dir.path())?;
    }

    #[test]
    fn mutated_role_tasks_load_or_fail_naming_them(
        tasks in harness::mutated(task_seeds()),
        extra in harness::mutated(task_seeds()),
    ) {
        let dir = repo(PLAYBOOK.as_bytes(), &tasks, &extra, TEMPLATE.as_bytes());
        load_and_check(dir.path())?;
    }

    #[test]
    fn a_mutated_template_is_checked_or_refused_naming_it(t in harness::mutated(template_seeds())) {
        let dir = repo(PLAYBOOK.as_bytes(), TASKS.as_bytes(), TASKS.as_bytes(), &t);
        load_and_check(dir.path())?;
    }

    #[test]
    fn free_form_arguments_never_panic(text in harness::mutated_text(vec![
        b"src=a.j2 dest=/etc/a mode=0644 owner=root".to_vec(),
        b"/usr/bin/foo --x 'a b' \"c d\" creates=/tmp/x chdir=/".to_vec(),
        b"msg=\"{{ a | default('b c') }}\" k='v=w' x=\\'y".to_vec(),
    ])) {
        let _ = split_args(&text);
        let _ = parse_kv(&text, true);
        let _ = parse_kv(&text, false);
    }
}

/// `check_message` is used by the other families; a sanity check that it fails on what it must.
#[test]
fn the_message_check_refuses_an_empty_or_anonymous_error() {
    let err = std::io::Error::other("");
    assert!(check_message(&err, true, &[]).is_err());
    let err = std::io::Error::other("bad value");
    assert!(check_message(&err, true, &["deploy.yaml"]).is_err());
    let err = std::io::Error::other("deploy.yaml:3: bad\nvalue");
    assert!(check_message(&err, true, &["deploy.yaml"]).is_err());
    assert!(check_message(&err, false, &["deploy.yaml"]).is_ok());
}
