//! `playhook deploy` end to end on this machine: tags, handlers, blocks, loops, registers,
//! idempotence and the recap.

use crate::support::repo::TestRepo;

fn play(tasks: &str) -> String {
    format!("- hosts: web\n  tasks:\n{tasks}")
}

#[test]
fn a_second_run_changes_nothing() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo.file(
        "deploy.yaml",
        &play(&format!(
            "    - name: write a file\n      copy:\n        content: \"hello\\n\"\n        dest: {0}/hello.txt\n        mode: '0640'\n    - name: a directory\n      file: path={0}/d state=directory\n",
            out.display()
        )),
    );
    let first = repo.playhook(&["deploy", "--json"]);
    assert_eq!(first.code(), 0, "{}{}", first.stdout(), first.stderr());
    assert_eq!(first.recap("localhost")["changed"], 2);
    assert_eq!(
        std::fs::read_to_string(out.join("hello.txt")).expect("written"),
        "hello\n"
    );
    let second = repo.playhook(&["deploy", "--json"]);
    assert_eq!(second.recap("localhost")["changed"], 0, "{}", second.stdout());
    assert_eq!(second.recap("localhost")["ok"], 2);
}

#[test]
fn tags_select_roles_imported_with_tags() {
    let repo = TestRepo::local();
    let out = repo.out();
    let touch = |name: &str| format!("- name: {name}\n  command: touch {}/{name}\n", out.display());
    let repo = repo
        .file("roles/web/tasks/main.yaml", &touch("web"))
        .file("roles/dns/tasks/main.yaml", &touch("dns"))
        .file("roles/base/tasks/main.yaml", &format!("{}- name: never\n  command: touch {}/never\n  tags: never\n", touch("base"), out.display()))
        .file("roles/dns/meta/main.yaml", "dependencies:\n  - role: base\n")
        .file(
            "deploy.yaml",
            "- hosts: web\n  tasks:\n    - import_role:\n        name: web\n      tags: web\n    - import_role:\n        name: dns\n      tags: dns\n",
        );
    let run = repo.playhook(&["deploy", "dns", "--json"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert!(out.join("dns").exists(), "the dns role ran");
    assert!(out.join("base").exists(), "its dependency ran with the dns tag");
    assert!(!out.join("web").exists(), "the web role did not run");
    assert!(
        out.join("never").exists(),
        "as in Ansible, a `never` task runs when a tag it inherits is asked for"
    );

    std::fs::remove_file(out.join("never")).expect("remove");
    let all = repo.playhook(&["deploy", "all", "--json"]);
    assert_eq!(all.code(), 0, "{}{}", all.stdout(), all.stderr());
    assert!(out.join("web").exists(), "`all` runs every role");
    assert!(!out.join("never").exists(), "`all` does not run `never` tasks");

    let listed = repo.playhook(&["deploy", "--list-tags"]);
    assert!(
        listed.stdout().contains("TASK TAGS: [dns, never, web]"),
        "{}",
        listed.stdout()
    );
}

#[test]
fn handlers_run_once_at_the_end_only_when_notified() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo.file(
        "deploy.yaml",
        &format!(
            "- hosts: web\n  tasks:\n    - copy: content=a dest={0}/a\n      notify: restart\n    - copy: content=b dest={0}/b\n      notify: [restart, other]\n    - command: 'true'\n      changed_when: false\n      notify: unrelated\n  handlers:\n    - name: restart\n      shell: echo x >> {0}/restarts\n    - name: other\n      shell: echo y >> {0}/others\n    - name: unrelated\n      shell: echo z >> {0}/unrelated\n",
            out.display()
        ),
    );
    let run = repo.playhook(&["deploy", "--json"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(
        std::fs::read_to_string(out.join("restarts")).expect("handler ran"),
        "x\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("others")).expect("handler ran"),
        "y\n"
    );
    assert!(
        !out.join("unrelated").exists(),
        "a task that did not change notifies nothing"
    );
    let again = repo.playhook(&["deploy", "--json"]);
    assert_eq!(
        std::fs::read_to_string(out.join("restarts")).expect("still there"),
        "x\n",
        "no change, no handler"
    );
    assert_eq!(again.code(), 0);
}

#[test]
fn rescue_and_always_run_and_the_recap_counts_the_rescue() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo.file(
        "deploy.yaml",
        &play(&format!(
            "    - block:\n        - command: 'false'\n        - command: touch {0}/not-reached\n      rescue:\n        - command: touch {0}/rescued\n      always:\n        - command: touch {0}/always\n",
            out.display()
        )),
    );
    let run = repo.playhook(&["deploy", "--json"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert!(out.join("rescued").exists() && out.join("always").exists());
    assert!(!out.join("not-reached").exists());
    let recap = run.recap("localhost");
    assert_eq!(recap["failed"], 0);
    assert_eq!(recap["rescued"], 1);
}

#[test]
fn a_failed_task_stops_the_host_and_exits_2() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo.file(
        "deploy.yaml",
        &play(&format!(
            "    - command: sh -c 'echo oops >&2; exit 3'\n    - command: touch {0}/after\n",
            out.display()
        )),
    );
    let run = repo.playhook(&["deploy", "--json"]);
    assert_eq!(run.code(), 2);
    assert!(!out.join("after").exists());
    let failed = run
        .events()
        .into_iter()
        .find(|e| e["status"] == "failed")
        .expect("a failure event");
    assert_eq!(failed["result"]["rc"], 3);
    assert_eq!(failed["result"]["stderr"], "oops");
}

#[test]
fn loops_registers_and_conditions_follow_ansible() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo.file(
        "deploy.yaml",
        &format!(
            "- hosts: web\n  vars:\n    users: [ann, bob, cy]\n    greeting: \"hi {{{{ target }}}}\"\n    target: world\n  tasks:\n    - shell: echo {{{{ item }}}}\n      loop: \"{{{{ users }}}}\"\n      when: item != 'bob'\n      register: echoed\n      changed_when: false\n    - copy:\n        dest: {0}/summary\n        content: \"{{{{ echoed.results | selectattr('stdout', 'defined') | map(attribute='stdout') | join(',') }}}} {{{{ greeting }}}}\\n\"\n",
            out.display()
        ),
    );
    let run = repo.playhook(&["deploy", "--json"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(
        std::fs::read_to_string(out.join("summary")).expect("written"),
        "ann,cy hi world\n"
    );
}

#[test]
fn check_mode_changes_nothing_but_reports_changes() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo.file(
        "deploy.yaml",
        &play(&format!("    - copy: content=x dest={0}/x\n", out.display())),
    );
    let run = repo.playhook(&["deploy", "--check", "--json"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(run.recap("localhost")["changed"], 1);
    assert!(!out.join("x").exists());
}

#[test]
fn handlers_owed_by_a_failed_deploy_are_reported_and_run_next_time() {
    let repo = TestRepo::local();
    let out = repo.out();
    let flag = out.join("fail-now");
    std::fs::write(&flag, "").expect("flag");
    let repo = repo.file(
        "deploy.yaml",
        &format!(
            "- hosts: web\n  tasks:\n    - copy: content=v1 dest={0}/conf\n      notify: restart\n    - command: test ! -e {1}\n  handlers:\n    - name: restart\n      shell: echo restarted >> {0}/restarts\n",
            out.display(),
            flag.display()
        ),
    );
    let failed = repo.playhook(&["deploy", "--json"]);
    assert_eq!(failed.code(), 2);
    let owed: Vec<serde_json::Value> = failed
        .events()
        .into_iter()
        .filter(|e| e["event"] == "handlers_pending")
        .collect();
    assert_eq!(owed.len(), 1, "{}", failed.stdout());
    assert_eq!(owed[0]["host"], "localhost");
    assert_eq!(owed[0]["handlers"], serde_json::json!(["restart"]));
    assert!(!out.join("restarts").exists());

    std::fs::remove_file(&flag).expect("unflag");
    let pending = repo.path().join("pending.json");
    std::fs::write(&pending, r#"{"localhost": ["restart"]}"#).expect("pending file");
    let next = repo.playhook(&[
        "deploy",
        "--json",
        "--pending-handlers",
        pending.to_str().expect("utf-8"),
    ]);
    assert_eq!(next.code(), 0, "{}{}", next.stdout(), next.stderr());
    assert_eq!(
        std::fs::read_to_string(out.join("restarts")).expect("the owed handler ran"),
        "restarted\n"
    );
    assert!(next.events().iter().all(|e| e["event"] != "handlers_pending"));
}

#[test]
fn handlers_of_an_included_role_run_like_ansible() {
    let repo = TestRepo::local()
        .file(
            "roles/svc/tasks/main.yml",
            "- copy:\n    dest: \"{{ out }}/conf-{{ which }}\"\n    content: \"{{ which }}\\n\"\n  notify: restart svc\n- command: 'true'\n  notify: svc configured\n",
        )
        .file(
            "roles/svc/handlers/main.yml",
            "- name: restart svc\n  shell: echo restart >> {{ out }}/restarts\n- name: log\n  listen: svc configured\n  shell: echo heard >> {{ out }}/heard\n",
        )
        .file(
            "deploy.yaml",
            "- hosts: web\n  tasks:\n    - include_role:\n        name: svc\n      vars:\n        which: one\n    - include_role:\n        name: svc\n      vars:\n        which: two\n    - command: 'true'\n      notify: \"svc : restart svc\"\n",
        );
    let both = repo.deploy_beside_ansible();
    both.assert_same_files(&["conf-one", "conf-two", "restarts", "heard"]);
    assert_eq!(both.ours("restarts").as_deref(), Some("restart\n"));
    both.assert_same_recap("localhost");
}

#[test]
fn includes_loop_over_items_like_ansible() {
    let repo = TestRepo::local()
        .file(
            "tasks/one.yml",
            "- shell: echo {{ x }}-{{ i }} >> {{ out }}/tasks\n",
        )
        .file("tasks/two.yml", "- shell: echo {{ item }} >> {{ out }}/dups\n")
        .file(
            "roles/greet/tasks/main.yml",
            "- shell: echo hello {{ item }} >> {{ out }}/roles\n",
        )
        .file(
            "deploy.yaml",
            "- hosts: web\n  tasks:\n    - include_tasks: tasks/one.yml\n      loop: [a, b, c]\n      loop_control:\n        loop_var: x\n        index_var: i\n      when: x != 'b'\n    - include_role:\n        name: greet\n      loop: [ann, bob]\n    - include_tasks: tasks/one.yml\n      loop: []\n    - include_tasks: tasks/two.yml\n      loop: [z, y, z]\n",
        );
    let both = repo.deploy_beside_ansible();
    assert_eq!(both.ours("tasks").as_deref(), Some("a-0\nc-2\n"));
    assert_eq!(
        both.ours("dups").as_deref(),
        Some("z\ny\nz\n"),
        "a repeated item runs again"
    );
    both.assert_same_files(&["tasks", "roles", "dups"]);
    both.assert_same_recap("localhost");
}

#[test]
fn a_handler_owed_by_an_included_role_runs_once_the_role_is_included() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo
        .file(
            "roles/svc/tasks/main.yml",
            "- command: 'true'\n  changed_when: false\n",
        )
        .file(
            "roles/svc/handlers/main.yml",
            &format!(
                "- name: restart svc\n  shell: echo restarted >> {}/restarts\n",
                out.display()
            ),
        )
        .file(
            "deploy.yaml",
            "- hosts: web\n  tasks:\n    - include_role:\n        name: svc\n",
        );
    let pending = repo.path().join("pending.json");
    std::fs::write(&pending, r#"{"localhost": ["restart svc"]}"#).expect("pending file");
    let run = repo.playhook(&[
        "deploy",
        "--json",
        "--pending-handlers",
        pending.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(
        std::fs::read_to_string(out.join("restarts")).ok().as_deref(),
        Some("restarted\n"),
        "{}",
        run.stdout()
    );
}

#[test]
fn handler_order_and_choice_follow_ansible() {
    let repo = TestRepo::local()
        .file("roles/r/tasks/main.yml", "- command: 'true'\n  notify: [ph, rh]\n")
        .file("roles/r/handlers/main.yml", "- name: rh\n  shell: echo rh >> {{ out }}/order\n")
        .file("roles/i/tasks/main.yml", "- command: 'true'\n  notify: h\n")
        .file(
            "roles/i/handlers/main.yml",
            "- name: h\n  shell: echo role-{{ item }} >> {{ out }}/chosen\n",
        )
        .file(
            "deploy.yaml",
            "- hosts: web\n  roles: [r]\n  tasks:\n    - include_role:\n        name: i\n      loop: [a, b]\n  handlers:\n    - name: ph\n      shell: echo ph >> {{ out }}/order\n    - name: h\n      shell: echo play >> {{ out }}/chosen\n",
        );
    let both = repo.deploy_beside_ansible();
    // Roles' handlers run before the play's own; a name answers with the last one loaded.
    assert_eq!(both.ours("order").as_deref(), Some("rh\nph\n"));
    assert_eq!(both.ours("chosen").as_deref(), Some("role-b\n"));
    both.assert_same_files(&["order", "chosen"]);
}

#[test]
fn roles_of_collections_beside_the_playbook_and_in_collections_path_run_like_ansible() {
    let role = |who: &str| {
        format!(
            "- copy:\n    dest: \"{{{{ out }}}}/{who}\"\n    content: \"{{{{ greeting }}}} from {who}\\n\"\n"
        )
    };
    let repo = TestRepo::local()
        .file(
            "collections/ansible_collections/acme/web/roles/site/tasks/main.yml",
            &role("site"),
        )
        .file(
            "collections/ansible_collections/acme/web/roles/site/defaults/main.yml",
            "greeting: hello\n",
        )
        .file(
            "vendor/ansible_collections/acme/db/roles/pg/tasks/main.yml",
            &role("pg"),
        )
        .file(
            "ansible.cfg",
            "[defaults]\ninventory = hosts\ngathering = explicit\ncollections_path = vendor\n",
        )
        .file(
            "deploy.yaml",
            "- hosts: web\n  roles:\n    - acme.web.site\n  tasks:\n    - include_role: {name: acme.db.pg}\n      vars: {greeting: hi}\n",
        );
    let both = repo.deploy_beside_ansible();
    both.assert_same_files(&["site", "pg"]);
    assert_eq!(both.ours("pg").as_deref(), Some("hi from pg\n"));
    both.assert_same_recap("localhost");

    let repo = repo.file("deploy.yaml", "- hosts: web\n  roles:\n    - acme.web.missing\n");
    let run = repo.playhook(&["check"]);
    assert_eq!(run.code(), 4, "{}{}", run.stdout(), run.stderr());
    assert!(
        run.stderr().contains("role `acme.web.missing` not found"),
        "{}",
        run.stderr()
    );
}
