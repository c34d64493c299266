//! Bad repositories are refused before any host is touched, with file and line.

use crate::support::repo::{TestRepo, refused, with_first_task};

#[test]
fn unknown_module() {
    refused(
        with_first_task("    - name: bad\n      frobnicate: yes\n"),
        4,
        "deploy.yaml:5: `frobnicate` is neither a supported module",
    );
}

#[test]
fn unknown_module_parameter() {
    refused(
        with_first_task("    - copy: content=x dest=/tmp/x colour=red\n"),
        4,
        "deploy.yaml:4: module `copy` does not take `colour`",
    );
}

#[test]
fn unknown_play_keyword() {
    let repo = TestRepo::local().file("deploy.yaml", "- hosts: web\n  vars_prompt: []\n  tasks: []\n");
    refused(
        repo,
        4,
        "deploy.yaml:2: `vars_prompt` is not a supported play keyword",
    );
}

#[test]
fn unknown_gather_subset() {
    let repo = TestRepo::local().file(
        "deploy.yaml",
        "- hosts: web\n  gather_subset: [network, hardwre]\n  tasks: []\n",
    );
    refused(
        repo,
        4,
        "deploy.yaml:2: `gather_subset`: Bad subset 'hardwre' given to Ansible. gather_subset options allowed: all, ",
    );
}

#[test]
fn missing_role() {
    refused(
        with_first_task("    - import_role:\n        name: nosuch\n"),
        4,
        "role `nosuch` not found",
    );
}

#[test]
fn missing_template() {
    refused(
        with_first_task("    - template: src=nope.j2 dest=/tmp/nope\n"),
        4,
        "deploy.yaml:4: `template` source `nope.j2` not found",
    );
}

#[test]
fn yaml_syntax_error() {
    let repo = TestRepo::local().file(
        "deploy.yaml",
        "- hosts: web\n  tasks:\n    - command: [unclosed\n",
    );
    refused(repo, 4, "deploy.yaml:");
}

#[test]
fn inventory_script_failing() {
    let repo = TestRepo::local()
        .file(
            "inv.sh",
            "#!/bin/sh\necho 'cannot reach the cloud API' >&2\nexit 3\n",
        )
        .file("deploy.yaml", "- hosts: all\n  tasks: []\n");
    make_executable(&repo.path().join("inv.sh"));
    let run = repo.playhook(&[
        "deploy",
        "-i",
        repo.path().join("inv.sh").to_str().expect("utf-8"),
    ]);
    assert_ne!(run.code(), 0);
    assert!(
        run.stderr().contains("inv.sh") && run.stderr().contains("cannot reach the cloud API"),
        "{}",
        run.stderr()
    );
}

#[test]
fn inventory_script_printing_invalid_json() {
    let repo = TestRepo::local()
        .file("inv.sh", "#!/bin/sh\necho '{not json'\n")
        .file("deploy.yaml", "- hosts: all\n  tasks: []\n");
    make_executable(&repo.path().join("inv.sh"));
    let run = repo.playhook(&[
        "deploy",
        "-i",
        repo.path().join("inv.sh").to_str().expect("utf-8"),
    ]);
    assert_ne!(run.code(), 0);
    assert!(run.stderr().contains("inv.sh"), "{}", run.stderr());
}

#[test]
fn handler_that_does_not_exist() {
    refused(
        with_first_task("    - command: 'true'\n      notify: nobody\n"),
        4,
        "notifies `nobody`",
    );
}

#[test]
fn tag_matching_nothing_is_a_warning() {
    let repo = TestRepo::local().file(
        "deploy.yaml",
        "- hosts: web\n  tasks:\n    - command: 'true'\n      tags: web\n",
    );
    let run = repo.playhook(&["deploy", "nosuchtag"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains("tag `nosuchtag` matches no task"),
        "{}",
        run.stderr()
    );
}

fn make_executable(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn undefined_variable_in_arguments() {
    refused(
        with_first_task("    - debug:\n        msg: \"{{ nosuchvar }}\"\n"),
        4,
        "deploy.yaml:4: 'nosuchvar' is undefined",
    );
}

#[test]
fn fact_playhook_does_not_gather() {
    refused(
        with_first_task("    - debug:\n        msg: \"{{ ansible_totally_made_up }}\"\n"),
        4,
        "deploy.yaml:4: 'ansible_totally_made_up' is undefined: playhook does not gather the fact `totally_made_up`",
    );
}

#[test]
fn ansible_names_defined_by_the_repository_are_accepted() {
    let repo = TestRepo::local().file(
        "deploy.yaml",
        "- hosts: web\n  gather_facts: true\n  vars:\n    ansible_custom_port: 1\n  tasks:\n    - set_fact:\n        ansible_my_fact: 2\n    \
         - debug:\n        msg: \"{{ ansible_custom_port }} {{ ansible_my_fact }} {{ ansible_os_family }} {{ ansible_play_hosts }}\"\n",
    );
    let run = repo.playhook(&["deploy"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
}

#[test]
fn undefined_variable_in_a_template_file() {
    let repo = with_first_task("    - template: src=t.j2 dest=/tmp/playhook-never-written\n")
        .file("templates/t.j2", "a={{ missing_in_template }}\n");
    refused(repo, 4, "t.j2:1: 'missing_in_template' is undefined");
}

#[test]
fn guarded_variables_are_not_refused() {
    let repo = TestRepo::local().file(
        "deploy.yaml",
        "- hosts: web\n  tasks:\n    - debug:\n        msg: \"{{ maybe | default('none') }}\"\n      when: other is not defined\n",
    );
    let run = repo.playhook(&["deploy"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
}

#[test]
fn template_with_unknown_filter() {
    let repo = with_first_task("    - template: src=t.j2 dest=/tmp/playhook-never-written\n")
        .file("templates/t.j2", "line one\n{{ 'x' | frobnicate }}\n");
    refused(repo, 4, "t.j2:2:");
}

#[test]
fn missing_included_template() {
    let repo = with_first_task("    - template: src=t.j2 dest=/tmp/playhook-never-written\n")
        .file("templates/t.j2", "line one\n{% include 'nosuch.j2' %}\n");
    refused(
        repo,
        4,
        "templates/t.j2:2: `{% include %}`: template 'nosuch.j2' not found in the template search path: ",
    );
}

#[test]
fn undefined_variable_in_an_included_template() {
    let repo = with_first_task("    - template: src=t.j2 dest=/tmp/playhook-never-written\n")
        .file(
            "templates/t.j2",
            "{% set known_here = 1 %}\n{% include 'part.j2' %}\n",
        )
        .file("templates/part.j2", "{{ known_here }}\n{{ missing_in_part }}\n");
    refused(repo, 4, "templates/part.j2:2: 'missing_in_part' is undefined");
}

#[test]
fn unknown_filter_in_an_imported_template() {
    let repo = with_first_task("    - template: src=t.j2 dest=/tmp/playhook-never-written\n")
        .file("templates/t.j2", "{% import 'm.j2' as m %}\n{{ m.f(1) }}\n")
        .file(
            "templates/m.j2",
            "{% macro f(a) %}\n{{ a | frobnicate }}\n{% endmacro %}\n",
        );
    refused(repo, 4, "templates/m.j2:2: unknown filter 'frobnicate'");
}

#[test]
fn template_extending_itself() {
    let repo = with_first_task("    - template: src=t.j2 dest=/tmp/playhook-never-written\n")
        .file("templates/t.j2", "{% extends 'base.j2' %}\n")
        .file("templates/base.j2", "x\n{% extends 't.j2' %}\n");
    refused(
        repo,
        4,
        "templates/base.j2:2: `{% extends %}` makes an endless cycle: ",
    );
}

#[test]
fn include_in_a_task_argument() {
    refused(
        with_first_task("    - debug:\n        msg: \"{% include 'x.j2' %}\"\n"),
        4,
        "deploy.yaml:4: line 1: `{% include %}` only works in template files",
    );
}
