//! The differential test of templates that include, import and extend other templates: the
//! repository of `tests/corpus/includes` (a role whose templates use the playbook's
//! `templates/` too) is deployed by ansible-playbook and by `playhook deploy` into two
//! directories, which must hold the same files byte for byte.

use std::path::{Path, PathBuf};

use crate::support::ansible::run_playbook;
use crate::support::ansible_tasks::ansible_command;
use crate::support::repo::TestRepo;
use crate::support::tree;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/includes")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read corpus dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy corpus file");
        }
    }
}

/// The play, for `hosts`, writing into `out`.
fn play(hosts: &str, out: &Path) -> String {
    format!(
        "- hosts: {hosts}\n  gather_facts: false\n  vars:\n    out: '{}'\n    app_name: shop\n    app_port: 8080\n    \
         users: [{{name: ada}}, {{name: bob}}]\n  roles: [web]\n  tasks:\n    \
         - template: {{src: page.j2, dest: '{{{{ out }}}}/page'}}\n",
        out.display()
    )
}

#[test]
fn includes_imports_and_extends_render_like_ansible() {
    let repo = TestRepo::local();
    copy_dir(&corpus_dir(), repo.path());
    let ansible_out = repo.path().join("ansible-out");
    let playhook_out = repo.path().join("playhook-out");
    std::fs::create_dir(&ansible_out).expect("mkdir");
    std::fs::create_dir(&playhook_out).expect("mkdir");

    run_playbook(repo.path(), &play("localhost", &ansible_out), &[]);
    let repo = repo.file("deploy.yaml", &play("web", &playhook_out));
    let run = repo.playhook(&["deploy"]);
    assert_eq!(
        run.code(),
        0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout(),
        run.stderr()
    );

    for name in ["main", "imports", "child", "page"] {
        assert!(ansible_out.join(name).is_file(), "Ansible rendered {name}");
    }
    let main = std::fs::read_to_string(ansible_out.join("main")).expect("read");
    assert!(
        main.contains("shared part from the playbook's templates/ for shop"),
        "{main}"
    );
    assert!(main.contains("- bob as BOB on port 8080"), "{main}");
    let mismatches = tree::compare(&ansible_out, &playhook_out);
    assert!(
        mismatches.is_empty(),
        "{}",
        tree::report(&ansible_out, &playhook_out, &mismatches)
    );
}

#[test]
fn a_render_error_in_an_included_template_names_its_file_and_line() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo
        .file(
            "deploy.yaml",
            &format!(
                "- hosts: web\n  vars:\n    cfg: {{a: 1}}\n  tasks:\n    - template: {{src: t.j2, dest: '{}/t'}}\n",
                out.display()
            ),
        )
        .file("templates/t.j2", "{% include 'part.j2' %}\n")
        .file("templates/part.j2", "a={{ cfg.a }}\nb={{ cfg.missing_key }}\n");
    let run = repo.playhook(&["deploy"]);
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 2, "{all}");
    assert!(
        all.contains("templates/part.j2:2: 'cfg.missing_key' is undefined"),
        "{all}"
    );
    assert!(!out.join("t").exists(), "nothing is written");
}

#[test]
fn an_import_without_context_cannot_read_variables_in_ansible_nor_in_playhook() {
    let repo = TestRepo::local();
    let out = repo.out();
    let play = |hosts: &str| {
        format!(
            "- hosts: {hosts}\n  gather_facts: false\n  vars:\n    hv: value\n  tasks:\n    \
             - template: {{src: t.j2, dest: '{}/t'}}\n",
            out.display()
        )
    };
    let repo = repo
        .file("templates/t.j2", "{% import 'm.j2' as m %}\n{{ m.show() }}\n")
        .file("templates/m.j2", "{% macro show() %}\n{{ hv }}\n{% endmacro %}\n")
        .file("playbook.yml", &play("localhost"))
        .file("deploy.yaml", &play("web"));

    let ansible = ansible_command("ansible-playbook")
        .args(["-i", "localhost,", "-c", "local", "playbook.yml"])
        .current_dir(repo.path())
        .output()
        .expect("run ansible-playbook");
    let said = String::from_utf8_lossy(&ansible.stdout);
    assert_eq!(ansible.status.code(), Some(2), "{said}");
    assert!(said.contains("'hv' is undefined"), "{said}");

    let run = repo.playhook(&["deploy"]);
    assert_eq!(run.code(), 4, "{}{}", run.stdout(), run.stderr());
    assert!(
        run.stderr().contains("templates/m.j2:2: 'hv' is undefined: ")
            && run
                .stderr()
                .contains("templates/t.j2:1 imports this template without context"),
        "{}",
        run.stderr()
    );
    assert!(!out.join("t").exists(), "nothing is written");
}
