//! `--check --diff` headers beside ansible-playbook on localhost (found by the geerlingguy.redis
//! twin test): the `file` module's dict diff has no headers (`--- before`), and a new file's
//! content diff (`copy`, `template`) names no destination before it exists, while an existing one
//! is named (`--- before: PATH`). The `+++` header of a template is Ansible's temp file, so only
//! the `---` lines are compared.

use crate::support::ansible_tasks::ansible_command;
use crate::support::repo::TestRepo;

fn before_headers(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("--- "))
        .map(str::to_string)
        .collect()
}

#[test]
fn diff_headers_are_ansibles() {
    let repo = TestRepo::local();
    let out = repo.out();
    std::fs::write(out.join("existing.conf"), "old\n").expect("write");
    let play = format!(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    \
         - file: {{path: {o}/newdir, state: directory}}\n    \
         - copy: {{content: \"new\\n\", dest: {o}/new.conf}}\n    \
         - template: {{src: t.j2, dest: {o}/newdir/t.conf}}\n    \
         - copy: {{content: \"new\\n\", dest: {o}/existing.conf}}\n",
        o = out.display()
    );
    let repo = repo
        .file("templates/t.j2", "x={{ 1 }}\n")
        .file("deploy.yaml", &play);
    let ours = repo.playhook(&["deploy", "--check", "--diff"]);
    assert_eq!(ours.code(), 0, "{}{}", ours.stdout(), ours.stderr());
    let theirs = ansible_command("ansible-playbook")
        .args([
            "-i",
            "localhost,",
            "-c",
            "local",
            "deploy.yaml",
            "--check",
            "--diff",
        ])
        .current_dir(repo.path())
        .output()
        .expect("ansible-playbook runs");
    let theirs = String::from_utf8_lossy(&theirs.stdout).into_owned();
    let expected = before_headers(&theirs);
    assert_eq!(
        expected,
        [
            "--- before".to_string(),
            "--- before".to_string(),
            "--- before".to_string(),
            format!("--- before: {}/existing.conf", out.display()),
        ],
        "{theirs}"
    );
    assert_eq!(before_headers(&ours.stdout()), expected, "{}", ours.stdout());
}
