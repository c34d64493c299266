//! ansible-core as the oracle for single tasks: runs tasks on localhost with the local
//! connection and returns each task's registered result.

use std::process::Command;

use serde_json::{Value as Json, json};

/// The Python interpreter that has ansible-core, for the module side of ansible.
pub fn python_with_ansible() -> String {
    let out = Command::new("python3")
        .args(["-c", "import ansible, sys; print(sys.executable)"])
        .output()
        .expect("python3 runs (install it with `apt-get install -y python3`)");
    assert!(
        out.status.success(),
        "ansible-core is missing: install it with `pip install ansible-core==2.19.14`"
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A command for `ansible`/`ansible-playbook` with a fixed, quiet configuration (the collections
/// `tests/setup.sh` installs are in Python's path).
pub fn ansible_command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("ANSIBLE_PYTHON_INTERPRETER", python_with_ansible())
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCALHOST_WARNING", "False")
        .env("ANSIBLE_INVENTORY_UNPARSED_WARNING", "False")
        .env("ANSIBLE_DEPRECATION_WARNINGS", "False")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "False");
    cmd
}

/// Runs `(module, args)` tasks in one play on localhost; returns each task's result.
/// An `_raw_params` argument becomes the free form, as a playbook writes it.
pub fn run_tasks(tasks: &[(&str, Json)], check: bool) -> Vec<Json> {
    run_tasks_with_vars(tasks, check, &json!({}))
}

/// [`run_tasks`] with play variables.
pub fn run_tasks_with_vars(tasks: &[(&str, Json)], check: bool, vars: &Json) -> Vec<Json> {
    let dir = tempfile::tempdir().expect("temp dir");
    let results_file = dir.path().join("results.json");
    let mut list: Vec<Json> = tasks
        .iter()
        .enumerate()
        .map(|(i, (module, args))| {
            let mut args = args.as_object().cloned().unwrap_or_default();
            let mut task = serde_json::Map::new();
            match args.remove("_raw_params") {
                Some(raw) => {
                    task.insert(module.to_string(), raw);
                    if !args.is_empty() {
                        task.insert("args".into(), Json::Object(args));
                    }
                }
                None => {
                    task.insert(module.to_string(), Json::Object(args));
                }
            }
            task.insert("ignore_errors".into(), json!(true));
            task.insert("register".into(), json!(format!("result_{i}")));
            Json::Object(task)
        })
        .collect();
    let names: Vec<String> = (0..tasks.len()).map(|i| format!("result_{i}")).collect();
    list.push(json!({
        "copy": {
            "content": format!("{{{{ [{}] | to_json }}}}", names.join(", ")),
            "dest": results_file.display().to_string(),
        },
        "check_mode": false,
    }));
    let play = json!([{"hosts": "localhost", "gather_facts": false, "vars": vars, "tasks": list}]);
    let playbook = dir.path().join("play.yml");
    std::fs::write(&playbook, play.to_string()).expect("write playbook");
    let mut cmd = ansible_command("ansible-playbook");
    cmd.args(["-i", "localhost,", "-c", "local"]).arg(&playbook);
    if check {
        cmd.arg("--check");
    }
    let out = cmd
        .output()
        .expect("ansible-playbook is missing: install it with `pip install ansible-core==2.19.14`");
    let text = std::fs::read_to_string(&results_file).unwrap_or_else(|e| {
        panic!(
            "ansible-playbook wrote no results ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let results: Vec<Json> = serde_json::from_str(&text).expect("the results file is JSON");
    assert_eq!(results.len(), tasks.len(), "one result per task: {text}");
    results
}
