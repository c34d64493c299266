//! `with_<lookup>` loops and lookups, beside ansible-playbook: the items each loop gives and
//! each lookup's value are written as JSON and compared byte for byte.

use crate::support::repo::{TestRepo, with_first_task};

const USERS: &str = "    users:
      - name: alice
        groups: [wheel, dev]
        ssh: {keys: [k1, k2]}
      - name: bob
        groups: [dev]
        ssh: {keys: []}
      - name: carol
    conf: {b: 2, a: 1}
    greeting: hello
";

/// A task looping with `with`, each item shown by `debug` and registered as `reg`.
fn with_loop(reg: &str, with: &str) -> String {
    format!("    - debug: msg=\"{{{{ item }}}}\"\n      {with}\n      register: {reg}\n")
}

#[test]
fn with_loops_give_ansibles_items() {
    let loops = [
        ("ff", "with_first_found: [missing.txt, motd.txt]"),
        ("wf", "with_file: [motd.txt]"),
        ("fg", "with_fileglob: [\"*.conf\"]"),
        ("ne", "with_nested: [[1, 2], [a, b]]"),
        ("to", "with_together: [[1, 2, 3], [a, b]]"),
        (
            "se",
            "with_subelements: [\"{{ users }}\", groups, {skip_missing: true}]",
        ),
        (
            "sd",
            "with_subelements: [\"{{ users }}\", ssh.keys, {skip_missing: true}]",
        ),
        ("sq", "with_sequence: start=1 end=5 stride=2 format=host%02d"),
        ("sc", "with_sequence: count=3"),
        ("ss", "with_sequence: \"4-8/2\""),
        ("ii", "with_indexed_items: [a, b, [c, d]]"),
        ("rc", "with_random_choice: [only]"),
        ("li", "with_lines: \"printf 'one\\\\ntwo\\\\n'\""),
        ("wl", "with_list: [[1, 2], 3]"),
        ("wi", "with_items: [[1, 2], 3]"),
        ("wd", "with_dict: \"{{ conf }}\""),
        ("ih", "with_inventory_hostnames: all"),
    ];
    let mut tasks: String = loops.iter().map(|(r, w)| with_loop(r, w)).collect();
    tasks.push_str(
        "    - debug: msg=\"{{ n }} {{ i }}\"\n      with_items: [1, 2, 3]\n      when: n > 1\n\
         \x20     loop_control: {loop_var: n, index_var: i, label: \"n{{ n }}\"}\n      register: wh\n",
    );
    let names: Vec<&str> = loops.iter().map(|(r, _)| *r).chain(["wh"]).collect();
    let dict: Vec<String> = names
        .iter()
        .map(|r| {
            format!(
                "'{r}': {r}.results | map(attribute='{}') | list",
                if *r == "wh" { "n" } else { "item" }
            )
        })
        .collect();
    tasks.push_str(&format!(
        "    - copy:\n        dest: \"{{{{ out }}}}/loops\"\n        content: \"{{{{ {{{}}} | to_json }}}}\"\n",
        dict.join(", ")
    ));
    tasks.push_str(
        "    - copy:\n        dest: \"{{ out }}/skipped\"\n        content: \"{{ wh.results | map(attribute='skipped', default=False) | list | to_json }}\"\n",
    );
    let repo = TestRepo::local()
        .file("files/motd.txt", "Welcome\n\n")
        .file("files/a.conf", "a")
        .file(
            "deploy.yaml",
            &format!(
                "- hosts: localhost\n  connection: local\n  gather_facts: false\n  vars:\n{USERS}  tasks:\n{tasks}"
            ),
        );
    let both = repo.deploy_beside_ansible();
    both.assert_same_files(&["loops", "skipped"]);
    both.assert_same_recap("localhost");
}

#[test]
fn lookups_give_ansibles_values() {
    let lookups = [
        ("ff", "lookup('first_found', ['nope.txt', 'top.txt'])"),
        (
            "ffp",
            "query('first_found', {'files': ['nope.txt', 'top.txt'], 'paths': [playbook_dir]})",
        ),
        ("ffs", "query('first_found', 'nope.txt', skip=True)"),
        ("glob", "query('fileglob', '*.conf') | map('basename') | sort"),
        ("file", "lookup('file', 'motd.txt')"),
        ("tpl", "lookup('template', 'greet.j2')"),
        ("pipe", "lookup('pipe', 'echo hi; echo there')"),
        ("vars", "lookup('vars', 'greeting')"),
        ("vdef", "lookup('vars', 'nope', default='dflt')"),
        ("vnames", "query('varnames', '^gree')"),
        ("items", "query('items', [1, [2, 3]])"),
        ("list", "query('list', [1, [2, 3]])"),
        ("dict", "query('dict', conf)"),
        ("seq", "query('sequence', 'start=0 end=3')"),
        ("seqs", "lookup('sequence', '1-3')"),
        (
            "sub",
            "query('subelements', users, 'groups', {'skip_missing': True})",
        ),
        ("nested", "query('nested', [1, 2], ['a'])"),
        ("together", "query('together', [1, 2], ['a'])"),
        ("indexed", "query('indexed_items', ['x', 'y'])"),
        ("lines", "query('lines', 'echo a; echo b')"),
        ("random", "q('random_choice', 'only')"),
        ("hosts", "query('inventory_hostnames', 'all')"),
        ("env", "lookup('env', 'NO_SUCH_VARIABLE', default='none')"),
        ("seeded", "lookup('password', '/dev/null seed=fixed length=16')"),
        (
            "seededkw",
            "lookup('password', '/dev/null', seed=42, chars=['digits'])",
        ),
    ];
    let dict: Vec<String> = lookups.iter().map(|(k, e)| format!("'{k}': {e}")).collect();
    let content = format!("{{{{ {{{}}} | to_json }}}}", dict.join(", "));
    let repo = TestRepo::local()
        .file("files/motd.txt", "Welcome\n\n")
        .file("files/a.conf", "a")
        .file("files/b.conf", "b")
        .file("top.txt", "top")
        .file(
            "templates/greet.j2",
            "{{ greeting }} from {{ inventory_hostname }}\n",
        )
        .file(
            "deploy.yaml",
            &format!(
                "- hosts: localhost\n  connection: local\n  gather_facts: false\n  vars:\n{USERS}  tasks:\n\
                 \x20   - copy:\n        dest: \"{{{{ out }}}}/lookups\"\n        content: {}\n",
                serde_json::to_string(&content).expect("json string")
            ),
        );
    let both = repo.deploy_beside_ansible();
    both.assert_same_files(&["lookups"]);
    both.assert_same_recap("localhost");
}

#[test]
fn password_is_stored_like_ansible_and_kept() {
    let repo = TestRepo::local().file(
        "deploy.yaml",
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n\
         \x20   - copy:\n        dest: \"{{ out }}/pw\"\n        content: \"{{ lookup('password', 'creds/db length=12 chars=ascii_letters,digits') }}\"\n\
         \x20   - debug: msg=\"pw {{ lookup('password', 'creds/db') }}\"\n",
    );
    // playhook writes the file first; Ansible then reads it back and must find the same password.
    let both = repo.deploy_beside_ansible();
    both.assert_same_files(&["pw"]);
    let stored = repo.path().join("creds/db");
    let text = std::fs::read_to_string(&stored).expect("password file");
    let password = both.ours("pw").expect("password written");
    assert_eq!(text, format!("{password}\n"));
    assert_eq!(password.len(), 12);
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()), "{password}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&stored).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let dir_mode = std::fs::metadata(repo.path().join("creds"))
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o700);
    let again = repo.deploy_beside_ansible();
    assert_eq!(again.ours("pw"), Some(password.clone()));
    assert!(
        !again.run.stdout().contains(&password),
        "the password is not printed"
    );
}

/// A deploy whose first task would create `touched`, then `extra`: refused with exit 4 naming
/// `needle`, and nothing ran.
fn refused(extra: &str, needle: &str) {
    crate::support::repo::refused(with_first_task(extra), 4, needle);
}

#[test]
fn unknown_with_loop_is_refused_before_running() {
    refused(
        "    - debug: msg=x\n      with_frobs: [1]\n",
        "deploy.yaml:5: `with_frobs` loops over an unknown lookup; supported: loop, with_dict",
    );
}

#[test]
fn unknown_lookup_is_refused_before_running() {
    refused(
        "    - debug: msg=\"{{ lookup('frob', 'x') }}\"\n",
        "deploy.yaml:4: line 1: unknown lookup 'frob'. Supported lookups: dict, env, file",
    );
}

#[test]
fn first_found_in_a_role_searches_its_directories_like_ansible() {
    let repo = TestRepo::local()
        .file("roles/app/files/role.txt", "role file")
        .file("roles/app/templates/r.j2", "rendered {{ 1 + 1 }}\n")
        .file(
            "roles/app/tasks/main.yml",
            "- debug: msg=\"{{ item | basename }}\"\n  with_first_found: [nope.txt, role.txt]\n  register: ff\n\
             - template: src=\"{{ item }}\" dest=\"{{ out }}/r\"\n  with_first_found: [nope.j2, r.j2]\n\
             - copy:\n    dest: \"{{ out }}/ff\"\n    content: \"{{ ff.results | map(attribute='item') | map('basename') | list | to_json }} {{ lookup('file', 'role.txt') }} {{ lookup('template', 'r.j2') }}\"\n",
        )
        .file(
            "deploy.yaml",
            "- hosts: localhost\n  connection: local\n  gather_facts: false\n  roles: [app]\n",
        );
    let both = repo.deploy_beside_ansible();
    both.assert_same_files(&["r", "ff"]);
    both.assert_same_recap("localhost");
}
