//! Task keywords and play features end to end: includes, vars_files, delegation, run_once,
//! environment, no_log, loop_control, with_dict, until, the free strategy, import_playbook.

use crate::support::repo::TestRepo;

#[test]
fn includes_vars_files_and_loop_controls() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo
        .file("vars/common.yml", "colour: blue\nsizes:\n  small: 1\n  large: 3\n")
        .file("tasks/extra.yml", &format!("- copy:\n    dest: {}/included-{{{{ which }}}}\n    content: \"{{{{ colour }}}}\\n\"\n", out.display()))
        .file("roles/greeter/tasks/main.yml", &format!("- copy:\n    dest: {}/greeting\n    content: \"{{{{ greeting | default('hello') }}}} from {{{{ role_name }}}}\\n\"\n", out.display()))
        .file(
            "deploy.yaml",
            &format!(
                "- hosts: web\n  vars_files:\n    - vars/common.yml\n  tasks:\n    - include_tasks: tasks/extra.yml\n      vars:\n        which: one\n    - include_role:\n        name: greeter\n      vars:\n        greeting: hi\n    - shell: echo {{{{ item.key }}}}={{{{ item.value }}}} >> {0}/sizes\n      with_dict: \"{{{{ sizes }}}}\"\n    - shell: echo {{{{ idx }}}}:{{{{ fruit.name }}}} >> {0}/fruits\n      loop: [{{name: apple}}, {{name: pear}}]\n      loop_control:\n        loop_var: fruit\n        index_var: idx\n        label: \"{{{{ fruit.name }}}}\"\n",
                out.display()
            ),
        );
    let run = repo.playhook(&["deploy", "--json"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(
        std::fs::read_to_string(out.join("included-one")).expect("include ran"),
        "blue\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("greeting")).expect("role ran"),
        "hi from greeter\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("sizes")).expect("dict loop"),
        "small=1\nlarge=3\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("fruits")).expect("loop"),
        "0:apple\n1:pear\n"
    );
    let labels: Vec<String> = run
        .events()
        .iter()
        .filter(|e| e["event"] == "host_result" && e["item"].is_string())
        .map(|e| e["item"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        labels.contains(&"apple".to_string()),
        "loop_control label is shown: {labels:?}"
    );
}

#[test]
fn environment_until_delegation_and_run_once() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo.file(
        "deploy.yaml",
        &format!(
            "- hosts: web\n  environment:\n    GREETING: bonjour\n  tasks:\n    - shell: echo $GREETING > {0}/env\n    - shell: echo x >> {0}/tries; test $(wc -l < {0}/tries) -ge 2\n      register: r\n      until: r.rc == 0\n      retries: 3\n      delay: 0\n    - local_action: command touch {0}/delegated\n    - command: echo once\n      run_once: true\n      register: once\n    - copy:\n        dest: {0}/once\n        content: \"{{{{ once.stdout }}}} {{{{ r.attempts }}}}\\n\"\n",
            out.display()
        ),
    );
    let run = repo.playhook(&["deploy", "--json"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(
        std::fs::read_to_string(out.join("env")).expect("env"),
        "bonjour\n"
    );
    assert!(out.join("delegated").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("once")).expect("once"),
        "once 2\n"
    );
}

#[test]
fn no_log_hides_arguments_and_results() {
    let repo = TestRepo::local().file(
        "deploy.yaml",
        "- hosts: web\n  tasks:\n    - shell: echo hunter2-password; exit 1\n      no_log: true\n      ignore_errors: true\n",
    );
    let run = repo.playhook(&["deploy", "--json"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert!(!run.stdout().contains("hunter2"), "{}", run.stdout());
    assert!(run.stdout().contains("no_log: true"), "{}", run.stdout());
    assert_eq!(run.recap("localhost")["ignored"], 1);
}

#[test]
fn free_strategy_and_imported_playbooks() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo
        .file("second.yml", &format!("- hosts: web\n  tasks:\n    - command: touch {}/second\n", out.display()))
        .file(
            "deploy.yaml",
            &format!(
                "- hosts: web\n  strategy: free\n  tasks:\n    - command: touch {}/first\n- import_playbook: second.yml\n",
                out.display()
            ),
        );
    let run = repo.playhook(&["deploy", "--json"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert!(out.join("first").exists() && out.join("second").exists());
    let plays = run.events().iter().filter(|e| e["event"] == "play_start").count();
    assert_eq!(plays, 2);
}

#[test]
fn any_errors_fatal_ends_the_play_for_every_host() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo.file(
        "deploy.yaml",
        &format!(
            "- hosts: web\n  any_errors_fatal: true\n  tasks:\n    - command: 'false'\n      ignore_errors: true\n    - command: 'false'\n    - command: touch {}/after\n",
            out.display()
        ),
    );
    let run = repo.playhook(&["deploy", "--json"]);
    assert_eq!(run.code(), 2, "{}{}", run.stdout(), run.stderr());
    assert!(!out.join("after").exists());
    assert_eq!(run.recap("localhost")["ignored"], 1);
}

#[test]
fn written_files_report_their_stat_when_the_result_is_seen() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo.file(
        "deploy.yaml",
        &format!(
            "- hosts: web\n  tasks:\n    - copy: {{dest: {0}/a, content: \"hello\\n\", mode: \"0640\"}}\n      register: a\n    - file: {{path: {0}/d, state: directory, mode: \"0750\"}}\n      register: d\n    - copy: {{dest: {0}/b, content: \"hey\\n\"}}\n    - copy:\n        dest: {0}/summary\n        content: \"{{{{ a.size }}}} {{{{ a.mode }}}} {{{{ a.state }}}} {{{{ d.mode }}}} {{{{ d.state }}}} {{{{ a.owner == d.owner }}}}\\n\"\n",
            out.display()
        ),
    );
    let run = repo.playhook(&["deploy", "--json"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(
        std::fs::read_to_string(out.join("summary")).expect("summary"),
        "6 0640 file 0750 directory True\n"
    );
    assert_eq!(
        run.recap("localhost")["changed"],
        4,
        "changed_when read result.size"
    );

    // Shown with -v, an unregistered write carries its stat too.
    std::fs::remove_file(out.join("b")).expect("remove b");
    let run = repo.playhook(&["deploy", "--json", "-v"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    let events = run.events();
    let b = format!("{}/b", out.display());
    let shown: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["event"] == "host_result" && e["result"]["dest"] == b.as_str())
        .map(|e| &e["result"])
        .collect();
    assert_eq!(shown.len(), 1, "{}", run.stdout());
    assert_eq!(
        (shown[0]["size"].as_u64(), shown[0]["state"].as_str()),
        (Some(4), Some("file"))
    );
}

#[test]
fn a_failing_chown_fails_the_file_task() {
    let repo = TestRepo::local();
    let out = repo.out();
    let file = out.join("f");
    std::fs::write(&file, "x").expect("write");
    let repo = repo.file(
        "deploy.yaml",
        &format!(
            "- hosts: web\n  tasks:\n    - file: {{path: {}, owner: no_such_user_ph, mode: \"0600\"}}\n",
            file.display()
        ),
    );
    let run = repo.playhook(&["deploy", "--json"]);
    assert_eq!(run.code(), 2, "{}{}", run.stdout(), run.stderr());
    assert_eq!(run.recap("localhost")["failed"], 1);
    assert!(run.stdout().contains("no_such_user_ph"), "{}", run.stdout());
}

/// `check` and `copy` search one path: a source beside an imported task file (in its
/// `files/`) is accepted before running and found by the module, and a module's qualified
/// names and control actions resolve the same way (`ansible.builtin.import_tasks`,
/// `ansible.legacy.copy`, `systemd`-style aliases go through one registry).
#[test]
fn sources_beside_a_task_file_and_qualified_names_resolve_in_one_place() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo
        .file("sub/files/motd", "hello from sub\n")
        .file(
            "sub/tasks.yml",
            &format!(
                "- ansible.legacy.copy:\n    src: motd\n    dest: {}/motd\n",
                out.display()
            ),
        )
        .file(
            "deploy.yaml",
            "- hosts: web\n  tasks:\n    - ansible.builtin.import_tasks: sub/tasks.yml\n",
        );
    let check = repo.playhook(&["check"]);
    assert_eq!(check.code(), 0, "{}{}", check.stdout(), check.stderr());
    let run = repo.playhook(&["deploy"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(
        std::fs::read_to_string(out.join("motd")).expect("copied"),
        "hello from sub\n"
    );
}

/// `--task-timeout` stops the command on the host, fails that task naming its file, line and
/// the limit, and keeps the host's session: the next task runs on the same connection.
#[test]
fn the_task_timeout_stops_the_command_and_keeps_the_session() {
    let repo = TestRepo::local();
    let out = repo.out();
    let repo = repo.file(
        "deploy.yaml",
        &format!(
            "- hosts: web\n  tasks:\n    - command: sleep 300\n      ignore_errors: true\n      register: slow\n    - copy:\n        dest: {}/after\n        content: \"{{{{ slow.msg }}}}\\n\"\n",
            out.display()
        ),
    );
    let started = std::time::Instant::now();
    let run = repo.playhook(&["deploy", "--task-timeout", "1"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "the sleep was stopped, not waited for"
    );
    let msg = std::fs::read_to_string(out.join("after")).expect("the next task ran");
    assert!(
        msg.contains("deploy.yaml:3") && msg.contains("did not finish within 1 s"),
        "{msg}"
    );
}

/// `include_vars` as Ansible runs it: a file from the role's `vars/`, a file beside the
/// playbook under `name`, a directory walked in order, the registered result, and the pre-run
/// check knowing the names a constant file defines.
#[test]
fn include_vars_loads_files_and_directories_like_ansible() {
    let repo = TestRepo::local()
        .file("roles/app/vars/extra.yml", "colour: blue\nsize: 3\n")
        .file(
            "roles/app/tasks/main.yml",
            "- include_vars: extra.yml\n  register: inc\n- copy:\n    dest: \"{{ out }}/role\"\n    content: \"{{ colour }} {{ size }} {{ inc.ansible_included_var_files | map('basename') | list }} {{ inc.ansible_facts }}\\n\"\n",
        )
        .file("settings.json", "{\"port\": 8080, \"hosts\": [\"a\", \"b\"]}")
        .file("conf.d/10-first.yml", "order: first\nfirst: 1\n")
        .file("conf.d/20-second.yaml", "order: second\n")
        .file("conf.d/sub/30-deep.yml", "deep: true\n")
        .file("conf.d/README.txt", "not vars\n")
        .file(
            "deploy.yaml",
            "- hosts: localhost\n  connection: local\n  gather_facts: false\n  roles:\n    - app\n  tasks:\n\
             \x20   - include_vars:\n        file: settings.json\n        name: settings\n\
             \x20   - include_vars:\n        dir: conf.d\n        ignore_unknown_extensions: true\n      register: d\n\
             \x20   - copy:\n        dest: \"{{ out }}/play\"\n        content: \"{{ settings.port }} {{ settings.hosts }} {{ order }} {{ first }} {{ deep }} {{ d.ansible_included_var_files | map('basename') | list }}\\n\"\n",
        );
    let check = repo.playhook(&["check"]);
    assert_eq!(check.code(), 0, "{}{}", check.stdout(), check.stderr());
    let both = repo.deploy_beside_ansible();
    both.assert_same_files(&["role", "play"]);
    assert_eq!(
        both.ours("play").as_deref(),
        Some("8080 ['a', 'b'] second 1 True ['10-first.yml', '20-second.yaml', '30-deep.yml']\n")
    );
    both.assert_same_recap("localhost");
}

/// Found by the geerlingguy.redis twin test: a skipped `include_tasks` reported its skip under
/// the previous task's name. Every host result names the task that started last, as Ansible's
/// skip of an include does (`skipping: [host]` under `TASK [include_tasks]`).
#[test]
fn a_skipped_include_reports_under_its_own_name() {
    let repo = TestRepo::local()
        .file("other.yml", "- debug: {msg: never}\n")
        .file(
            "deploy.yaml",
            "- hosts: web\n  tasks:\n    - name: before\n      debug: {msg: hi}\n    \
             - include_tasks: other.yml\n      when: false\n    \
             - name: named include\n      include_tasks: other.yml\n      when: false\n",
        );
    let run = repo.playhook(&["deploy", "--json"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    let mut started = String::new();
    let mut seen = Vec::new();
    for e in run.events() {
        if e["event"] == "task_start" {
            started = e["name"].as_str().unwrap_or_default().to_string();
        } else if e["event"] == "host_result" {
            assert_eq!(e["task"].as_str().unwrap_or_default(), started, "{e}");
            seen.push((
                started.clone(),
                e["status"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    assert_eq!(
        seen,
        [
            ("before".to_string(), "ok".to_string()),
            ("include_tasks".to_string(), "skipped".to_string()),
            ("named include".to_string(), "skipped".to_string()),
        ]
    );
}

/// `hostvars` holds every inventory host, also those no play (or the limit) selects: a proxy
/// picked from another group's inventory variables, as ansible-playbook renders it.
#[test]
fn hostvars_of_hosts_outside_the_play_are_their_inventory_variables() {
    let repo = TestRepo::local()
        .file(
            "hosts",
            "[web]\nlocalhost ansible_connection=local\n\n[proxy]\nproxy-01 ansible_host=10.0.9.1 port=3128\nproxy-02 ansible_host=10.0.9.2\n\n[proxy:vars]\nrole=squid\n",
        )
        .file(
            "deploy.yaml",
            "- hosts: web\n  gather_facts: false\n  tasks:\n    - copy:\n        dest: \"{{ out }}/proxy\"\n        \
             content: \"{{ hostvars[groups['proxy'] | first].ansible_host }}:{{ hostvars['proxy-01'].port }} \
             {{ groups['proxy'] | map('extract', hostvars, 'ansible_host') | list }} {{ hostvars['proxy-02'].role }} \
             {{ hostvars['proxy-02'].group_names }} {{ 'proxy-02' in hostvars }}\\n\"\n",
        );
    let both = repo.deploy_beside_ansible();
    both.assert_same_files(&["proxy"]);
    assert_eq!(
        both.ours("proxy").as_deref(),
        Some("10.0.9.1:3128 ['10.0.9.1', '10.0.9.2'] squid ['proxy'] True\n")
    );
    both.assert_same_recap("localhost");
}
