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

/// A repository whose first task would create `touched`, then `tasks`.
fn with_marker(tasks: &str) -> TestRepo {
    let repo = TestRepo::local();
    let marker = repo.path().join("touched");
    repo.file(
        "deploy.yaml",
        &format!(
            "- hosts: web\n  tasks:\n    - command: touch {}\n{tasks}",
            marker.display()
        ),
    )
}

/// Asserts that `check` and `deploy` both refuse the repository with `needle`, touching nothing.
fn refused_before_running(repo: &TestRepo, needle: &str) {
    check_refuses(repo, needle);
    let run = repo.playhook(&["deploy"]);
    assert_eq!(run.code(), 4, "{}", explain(&run));
    assert!(
        run.stderr().contains(needle),
        "expected `{needle}` in:\n{}",
        explain(&run)
    );
    assert!(!repo.path().join("touched").exists(), "no host may be touched");
}

#[test]
fn an_included_file_is_checked_before_running() {
    let repo = with_marker("    - include_tasks: inc.yml\n")
        .file("inc.yml", "- debug: msg=fine\n- frobnicate: {a: 1}\n");
    refused_before_running(&repo, "inc.yml:2: `frobnicate` is neither a supported module");

    // In a role brought by include_role, and in a file that role includes in turn.
    let repo = with_marker("    - include_role: {name: r}\n")
        .file("roles/r/tasks/main.yml", "- include_tasks: more.yml\n")
        .file(
            "roles/r/tasks/more.yml",
            "- copy: content=x dest=/tmp/x colour=red\n",
        );
    refused_before_running(&repo, "more.yml:1: module `copy` does not take `colour`");
}

#[test]
fn a_missing_included_file_or_role_is_refused() {
    let repo = with_marker("    - include_role: {name: missing}\n");
    refused_before_running(&repo, "role `missing` not found");
    let repo = with_marker("    - include_tasks: nowhere.yml\n");
    refused_before_running(&repo, "deploy.yaml:4: include_tasks: cannot find `nowhere.yml`");
}

#[test]
fn templated_include_names_are_followed_as_far_as_known_vars_go() {
    // From play vars, and per item of a loop.
    let repo = with_marker("    - include_tasks: \"{{ which }}.yml\"\n      vars: {which: inc}\n")
        .file("inc.yml", "- frobnicate: 1\n");
    refused_before_running(&repo, "inc.yml:1: `frobnicate`");
    let repo = with_marker("    - include_tasks: \"{{ item }}.yml\"\n      loop: [a, b]\n")
        .file("a.yml", "- debug: msg=a\n")
        .file("b.yml", "- frobnicate: 1\n");
    refused_before_running(&repo, "b.yml:1: `frobnicate`");

    // A name that needs a fact is a note; a missing file behind a `when` is a note too.
    let repo = TestRepo::local().file(
        "deploy.yaml",
        "- hosts: web\n  tasks:\n\
         \x20   - include_tasks: \"{{ ansible_os_family }}.yml\"\n\
         \x20   - include_tasks: other.yml\n      when: false\n",
    );
    let run = succeeds(&repo, &["check"]);
    assert!(
        run.stderr().contains(
            "deploy.yaml:3: include_tasks `{{ ansible_os_family }}.yml` is not followed before the run: \
             its name needs `ansible_os_family`, which is known only at run time"
        ),
        "{}",
        explain(&run)
    );
    assert!(
        run.stderr().contains("deploy.yaml:4: include_tasks: cannot find `other.yml` (an error only on hosts where its `when` holds)"),
        "{}",
        explain(&run)
    );
}

#[test]
fn loops_over_includes_still_check_and_deploy() {
    let repo = TestRepo::local()
        .file("item.yml", "- debug: msg=\"item {{ item }} {{ extra }}\"\n")
        .file("roles/r/tasks/main.yml", "- debug: msg=\"role {{ item }}\"\n")
        .file(
            "deploy.yaml",
            "- hosts: web\n  vars: {extra: e}\n  tasks:\n\
             \x20   - include_tasks: item.yml\n      loop: [1, 2]\n\
             \x20   - include_tasks: \"{{ f }}\"\n      vars: {f: item.yml}\n      with_items: [3]\n\
             \x20   - include_role: {name: r}\n      loop: [x, y]\n",
        );
    let run = succeeds(&repo, &["check"]);
    assert!(!run.stderr().contains("note:"), "{}", explain(&run));
    let run = succeeds(&repo, &["deploy", "-v"]);
    for msg in ["item 1 e", "item 2 e", "item 3 e", "role x", "role y"] {
        assert!(run.stdout().contains(msg), "{msg}: {}", explain(&run));
    }
}

#[test]
fn every_variable_value_is_checked_like_a_template() {
    // The case: the variable is used by `debug` (which would print Hello world!) and
    // by `copy` (which would fail mid-deploy with "src (or content) is required").
    let repo = with_marker("    - debug: msg=\"{{ a }}\"\n    - copy: content=\"{{ a }}\" dest=/tmp/never\n");
    let text = std::fs::read_to_string(repo.path().join("deploy.yaml")).expect("read");
    let repo = repo.file(
        "deploy.yaml",
        &text.replacen(
            "  tasks:",
            "  vars:\n    a: \"{{ 'x' | frobnicate }}\"\n  tasks:",
            1,
        ),
    );
    refused_before_running(
        &repo,
        "deploy.yaml:3: variable `a`: line 1: unknown filter 'frobnicate'",
    );

    // Everywhere variables are written, each named with its file:line.
    let repo = TestRepo::local()
        .file(
            "hosts",
            "[web]\nlocalhost ansible_connection=local h=\"{{ 1 | frob_ini }}\"\n",
        )
        .file("group_vars/web.yml", "g:\n  nested: \"{{ 1 | frob_group }}\"\n")
        .file("host_vars/localhost/main.yml", "hv: [\"{{ 1 | frob_host }}\"]\n")
        .file("vars/extra.yml", "vf: \"{{ 1 | frob_vars_file }}\"\n")
        .file("roles/r/defaults/main.yml", "d: \"{{ 1 | frob_default }}\"\n")
        .file("roles/r/vars/main.yml", "rv: \"{{ 1 | frob_role_var }}\"\n")
        .file(
            "roles/r/tasks/main.yml",
            "- debug: msg=x\n  vars: {tv: \"{{ 1 | frob_role_task }}\"}\n",
        )
        .file(
            "deploy.yaml",
            "- hosts: web\n  vars_files: [vars/extra.yml]\n  roles: [r]\n  tasks:\n\
             \x20   - block:\n        - debug: msg=x\n      vars:\n        bv: \"{{ 1 | frob_block }}\"\n\
             \x20   - debug: msg=x\n      vars:\n        t: \"{% if 1 | frob_task %}{% endif %}\"\n",
        );
    let run = repo.playhook(&["check"]);
    assert_eq!(run.code(), 4, "{}", explain(&run));
    for needle in [
        "hosts:2: variable `h`: line 1: unknown filter 'frob_ini'",
        "group_vars/web.yml:2: variable `g.nested`: line 1: unknown filter 'frob_group'",
        "host_vars/localhost/main.yml:1: variable `hv[0]`: line 1: unknown filter 'frob_host'",
        "vars/extra.yml:1: variable `vf`: line 1: unknown filter 'frob_vars_file'",
        "roles/r/defaults/main.yml:1: variable `d`: line 1: unknown filter 'frob_default'",
        "roles/r/vars/main.yml:1: variable `rv`: line 1: unknown filter 'frob_role_var'",
        "roles/r/tasks/main.yml:2: variable `tv`: line 1: unknown filter 'frob_role_task'",
        "deploy.yaml:8: variable `bv`: line 1: unknown filter 'frob_block'",
        "deploy.yaml:11: variable `t`: line 1: unknown filter 'frob_task'",
    ] {
        assert!(
            run.stderr().contains(needle),
            "expected `{needle}` in:\n{}",
            explain(&run)
        );
    }
}

#[test]
fn a_variable_that_fails_to_render_names_itself_and_its_line() {
    // Valid as a template, fails only when rendered: the task fails naming the variable and
    // where it is written; the argument never quietly disappears.
    let repo = TestRepo::local().file(
        "deploy.yaml",
        "- hosts: web\n  vars:\n    b: \"{{ 'not json' | from_json }}\"\n  tasks:\n\
         \x20   - copy: content=\"{{ b }}\" dest=/tmp/never-written\n",
    );
    succeeds(&repo, &["check"]);
    let run = repo.playhook(&["deploy"]);
    assert_eq!(run.code(), 2, "{}", explain(&run));
    assert!(
        run.stdout().contains("deploy.yaml:5: variable `b` (")
            && run
                .stdout()
                .contains("deploy.yaml:3) cannot be templated: line 1: from_json: invalid JSON"),
        "{}",
        explain(&run)
    );
    assert!(
        !run.stdout().contains("src (or content) is required"),
        "{}",
        explain(&run)
    );
}

const VAULT: &str = "$ANSIBLE_VAULT;1.1;AES256\n\
    62313365396662343061393464336163383764373764613633653634306231386433626436623361\n";

const SOPS: &str = "db_password: ENC[AES256_GCM,data:Tr7o=,iv:1=,tag:2=,type:str]\n\
    sops:\n    mac: ENC[AES256_GCM,data:x=,iv:y=,tag:z=,type:str]\n    version: 3.8.1\n";

#[test]
fn vault_and_sops_files_are_refused_naming_them() {
    let play = "- hosts: web\n  vars_files: [secret.yml]\n  tasks: []\n";
    let repo = TestRepo::local()
        .file("deploy.yaml", play)
        .file("secret.yml", VAULT);
    check_refuses(
        &repo,
        "secret.yml:1: this file is encrypted with Ansible Vault (`$ANSIBLE_VAULT;...`), which playhook does not read; \
         move its values to playhook's secrets",
    );
    let repo = TestRepo::local()
        .file("deploy.yaml", "- hosts: web\n  tasks: []\n")
        .file("group_vars/web.yml", VAULT);
    check_refuses(
        &repo,
        "group_vars/web.yml:1: this file is encrypted with Ansible Vault",
    );
    let repo = TestRepo::local()
        .file("deploy.yaml", "- hosts: web\n  tasks: []\n")
        .file(
            "group_vars/web.yml",
            "p: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6231\n",
        );
    check_refuses(
        &repo,
        "group_vars/web.yml:2: Ansible Vault values (`!vault`) are not supported",
    );
    for (file, play) in [
        ("group_vars/all.yml", "- hosts: web\n  tasks: []\n"),
        ("secret.yml", play),
    ] {
        let repo = TestRepo::local().file("deploy.yaml", play).file(file, SOPS);
        check_refuses(&repo, &format!("{file}:3: this file is encrypted with SOPS"));
    }
}

#[test]
fn hash_behaviour_merge_is_refused_naming_ansible_cfg() {
    let repo = TestRepo::local()
        .file("deploy.yaml", "- hosts: web\n  tasks: []\n")
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = hosts\nhash_behaviour = merge\n",
        );
    check_refuses(&repo, "ansible.cfg:3: `hash_behaviour = merge` is not supported");
    let repo = repo.file(
        "ansible.cfg",
        "[defaults]\ninventory = hosts\nhash_behaviour = replace\n",
    );
    succeeds(&repo, &["check"]);
}

#[test]
fn a_refused_module_or_argument_names_its_own_line() {
    let repo = with_marker(
        "    - name: bad\n      copy:\n        content: x\n        dest: /tmp/x\n        colour: red\n",
    );
    refused_before_running(&repo, "deploy.yaml:8: module `copy` does not take `colour`");
    let repo = with_marker("    - copy: dest=/tmp/x\n      args:\n        content: x\n        colour: red\n");
    refused_before_running(&repo, "deploy.yaml:7: module `copy` does not take `colour`");
    let repo = with_marker("    - copy: content=x dest=/tmp/x colour=red\n");
    refused_before_running(&repo, "deploy.yaml:4: module `copy` does not take `colour`");
    let repo = with_marker("    - name: bad\n      frobnicate:\n        a: 1\n");
    refused_before_running(&repo, "deploy.yaml:5: `frobnicate` is neither a supported module");
    let repo =
        with_marker("    - name: bad\n      when: true\n      ansible.builtin.frobnicate:\n        a: 1\n");
    refused_before_running(&repo, "deploy.yaml:6: `ansible.builtin.frobnicate` is neither");
}

#[test]
fn unicode_spaces_inside_tags_are_whitespace_as_in_jinja() {
    // U+00A0 and U+2003 between tokens are whitespace for Jinja (Python's `\s`); inside a
    // string literal they are kept. ansible-playbook is the oracle.
    let repo = TestRepo::local().file(
        "deploy.yaml",
        "- hosts: web\n  vars:\n    x: v\n    y: \"{{\u{a0}x\u{a0}|\u{2003}upper }}\"\n  tasks:\n\
         \x20   - copy: content=\"{{\u{a0}x\u{a0}}}\" dest={{ out }}/a\n\
         \x20   - copy: content=\"{{ y }}{{ 'a\u{a0}b' }}\" dest={{ out }}/b\n\
         \x20   - copy: content=\"{%\u{a0}if x\u{a0}is defined %}yes{% endif %}\" dest={{ out }}/c\n\
         \x20     when: x\u{a0}==\u{a0}'v'\n",
    );
    succeeds(&repo, &["check", "-e", "out=/tmp"]);
    let beside = repo.deploy_beside_ansible();
    beside.assert_same_files(&["a", "b", "c"]);
    assert_eq!(beside.ours("b").as_deref(), Some("Va\u{a0}b"));
    beside.assert_same_recap("localhost");
}

#[test]
fn a_file_for_another_platform_is_a_note_and_any_other_guard_still_refuses() {
    let repo = TestRepo::local()
        .file("setup-FreeBSD.yml", "- pkgng: {name: nginx}\n")
        .file(
            "deploy.yaml",
            "- hosts: web\n  tasks:\n    - include_tasks: setup-FreeBSD.yml\n      when: ansible_facts.os_family == 'FreeBSD'\n",
        );
    let run = succeeds(&repo, &["check"]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        out.contains("deploy.yaml:3") && out.contains("pkgng") && out.contains("platform"),
        "{}",
        explain(&run)
    );
    assert!(
        !out.contains("supported modules:"),
        "the note is one line: {}",
        explain(&run)
    );
    let repo = repo.file(
        "deploy.yaml",
        "- hosts: web\n  vars: {on: true}\n  tasks:\n    - include_tasks: setup-FreeBSD.yml\n      when: on | bool\n",
    );
    check_refuses(&repo, "pkgng");
}
