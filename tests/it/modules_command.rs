//! `command`, `shell` and the controller-side modules over a real local connection, compared
//! with what ansible-core's own modules return for the same tasks on the same machine.

use std::path::Path;

use minijinja::Value;
use minijinja::value::Serde;
use playhook::connection::Via;
use playhook::connection::local::LocalConnection;
use playhook::modules::{self, ModuleCtx, ModuleError};
use playhook::template::Engine;
use serde_json::{Value as Json, json};

use crate::support::ansible_tasks as ansible;
use crate::support::local::local;
use crate::support::modules::{Outcome, registered};

/// Runs module `name` with `args` on `conn`, collecting live lines.
async fn run_module(
    conn: &mut LocalConnection,
    name: &str,
    args: &Json,
    check: bool,
    vars: &Value,
) -> (Result<Outcome, ModuleError>, Vec<String>) {
    let module = modules::lookup(name).expect("module is registered");
    let engine = Engine::default();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let args = Value::from(Serde(args));
    let result = {
        let mut ctx = ModuleCtx {
            conn,
            host: "testhost",
            check,
            diff: false,
            via: Via::plain(),
            role_path: None,
            task_dir: None,
            playbook_dir: Path::new("/"),
            templates: &engine,
            vars,
            live: Some(&tx),
            // Results are compared with what Ansible registers.
            result_seen: true,
            delegated: false,
        };
        registered(module.run(&args, &mut ctx).await)
    };
    drop(tx);
    let mut lines = Vec::new();
    while let Some(line) = rx.recv().await {
        lines.push(line);
    }
    (result, lines)
}

/// The registered result as Ansible would show it: data plus the status flags.
fn result_json(outcome: &Outcome) -> Json {
    let mut map = serde_json::Map::new();
    for (k, v) in &outcome.data {
        map.insert(k.clone(), serde_json::to_value(v).expect("values serialize"));
    }
    map.insert("changed".into(), json!(outcome.changed));
    map.insert("failed".into(), json!(outcome.failed));
    if outcome.skipped {
        map.insert("skipped".into(), json!(true));
    }
    Json::Object(map)
}

fn empty_vars() -> Value {
    Value::from(Serde(json!({})))
}

/// The keys compared with Ansible's result for every command case.
const COMPARED: &[&str] = &[
    "changed",
    "failed",
    "skipped",
    "rc",
    "stdout",
    "stderr",
    "stdout_lines",
    "stderr_lines",
    "msg",
    "cmd",
    "warnings",
];

fn command_cases(dir: &Path) -> Vec<(&'static str, Json)> {
    let d = dir.display().to_string();
    vec![
        (
            "command",
            json!({"_raw_params": r#"echo $HOME ~ ~/x $NOPE_UNSET_X ${HOME}x "a  b" '*'"#}),
        ),
        (
            "command",
            json!({"_raw_params": r#"printf '%s|' a\ b "c'd" 'e"f' "g\\h" "a\$b""#}),
        ),
        (
            "command",
            json!({"_raw_params": "echo a;b | c > /dev/null && $(id) `id`"}),
        ),
        (
            "command",
            json!({"cmd": "echo $HOME ~", "expand_argument_vars": false}),
        ),
        (
            "command",
            json!({"argv": ["printf", "%s|", "a b", "$HOME", "~/y", ""]}),
        ),
        (
            "shell",
            json!({"_raw_params": "echo $HOME; echo out; echo err >&2; exit 3"}),
        ),
        (
            "shell",
            json!({"_raw_params": "echo \"$0\"; printf 'no newline'"}),
        ),
        ("shell", json!({"cmd": "echo \"$0\"", "executable": "/bin/bash"})),
        ("command", json!({"_raw_params": "nonexistent_program_xyz a"})),
        ("command", json!({"cmd": "cat", "stdin": "hello"})),
        (
            "command",
            json!({"cmd": "cat", "stdin": "hello", "stdin_add_newline": false, "strip_empty_ends": false}),
        ),
        (
            "shell",
            json!({"cmd": "printf 'x\\n\\n'; printf 'e\\r\\n' >&2", "strip_empty_ends": false}),
        ),
        (
            "shell",
            json!({"cmd": "printf 'a\\nb\\n\\n'; printf 'e\\r\\n' >&2"}),
        ),
        ("command", json!({"cmd": "pwd", "chdir": d})),
        ("command", json!({"cmd": "pwd", "chdir": "/nonexistent_dir_xyz"})),
        (
            "command",
            json!({"cmd": "echo hi", "creates": format!("{d}/*.txt")}),
        ),
        (
            "command",
            json!({"cmd": "echo hi", "creates": format!("{d}/none*.txt")}),
        ),
        (
            "command",
            json!({"cmd": "echo hi", "removes": format!("{d}/missing*")}),
        ),
        (
            "command",
            json!({"cmd": "echo hi", "removes": "present.txt", "chdir": d}),
        ),
        (
            "shell",
            json!({"cmd": "echo hi", "creates": "present.txt", "chdir": d}),
        ),
        (
            "shell",
            json!({"cmd": "exit 1", "creates": "absent.txt", "chdir": d}),
        ),
    ]
}

/// Every case once normally and once in check mode, against ansible-playbook.
#[tokio::test]
async fn command_and_shell_match_ansible() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("present.txt"), "x").expect("write");
    let cases = command_cases(dir.path());
    // Both ansible runs at once: each takes seconds.
    let oracle = |check: bool| {
        let tasks = cases.clone();
        std::thread::spawn(move || {
            let borrowed: Vec<(&str, Json)> = tasks.iter().map(|(m, a)| (*m, a.clone())).collect();
            ansible::run_tasks(&borrowed, check)
        })
    };
    let runs = [(false, oracle(false)), (true, oracle(true))];
    for (check, oracle) in runs {
        let expected = oracle.join().expect("the ansible run finishes");
        let mut conn = local().await;
        for ((module, args), want) in cases.iter().zip(expected) {
            let (result, _) = run_module(&mut conn, module, args, check, &empty_vars()).await;
            let got = result_json(&result.expect("module runs"));
            for key in COMPARED {
                let want_v = want.get(*key).cloned().unwrap_or(match *key {
                    "failed" | "skipped" => json!(false),
                    _ => Json::Null,
                });
                let got_v = got.get(*key).cloned().unwrap_or(match *key {
                    "failed" | "skipped" => json!(false),
                    _ => Json::Null,
                });
                assert_eq!(
                    got_v, want_v,
                    "`{key}` differs for {module} {args} (check mode: {check})\nplayhook: {got:#}\nansible: {want:#}"
                );
            }
        }
    }
}

#[tokio::test]
async fn times_are_python_formatted() {
    let mut conn = local().await;
    let (result, _) = run_module(
        &mut conn,
        "command",
        &json!({"cmd": "true"}),
        false,
        &empty_vars(),
    )
    .await;
    let got = result_json(&result.expect("runs"));
    let start = got["start"].as_str().expect("start is set");
    let end = got["end"].as_str().expect("end is set");
    let delta = got["delta"].as_str().expect("delta is set");
    let datetime = |s: &str| {
        s.len() >= 19
            && s.as_bytes()[4] == b'-'
            && s.as_bytes()[10] == b' '
            && s.as_bytes()[13] == b':'
            && (s.len() == 19 || (s.len() == 26 && s.as_bytes()[19] == b'.'))
    };
    assert!(datetime(start), "start {start:?}");
    assert!(datetime(end), "end {end:?}");
    assert!(start <= end, "{start} > {end}");
    assert!(delta.starts_with("0:00:0"), "delta {delta:?}");
}

#[tokio::test]
async fn creates_and_removes_make_commands_idempotent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path().display().to_string();
    let mut conn = local().await;
    let create = json!({"cmd": "touch made.txt", "chdir": d, "creates": "made.txt"});
    let (first, _) = run_module(&mut conn, "command", &create, false, &empty_vars()).await;
    let first = first.expect("runs");
    assert!(first.changed && !first.failed);
    assert!(dir.path().join("made.txt").exists());
    let (second, _) = run_module(&mut conn, "command", &create, false, &empty_vars()).await;
    let second = second.expect("runs");
    assert!(!second.changed && !second.skipped && !second.failed);
    assert_eq!(
        second.msg.as_deref(),
        Some("Did not run command since 'made.txt' exists")
    );

    let remove = json!({"cmd": format!("rm {d}/made.txt"), "removes": format!("{d}/made.*")});
    let (first, _) = run_module(&mut conn, "command", &remove, false, &empty_vars()).await;
    assert!(first.expect("runs").changed);
    assert!(!dir.path().join("made.txt").exists());
    let (second, _) = run_module(&mut conn, "command", &remove, false, &empty_vars()).await;
    let second = second.expect("runs");
    assert!(!second.changed);
    assert_eq!(
        second.msg,
        Some(format!("Did not run command since '{d}/made.*' does not exist"))
    );
}

#[tokio::test]
async fn check_mode_runs_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let marker = dir.path().join("ran");
    let mut conn = local().await;
    let script = format!("touch {}", marker.display());
    let (plain, _) = run_module(&mut conn, "shell", &json!({"cmd": script}), true, &empty_vars()).await;
    let plain = plain.expect("runs");
    assert!(plain.skipped && !plain.changed);
    assert_eq!(
        plain.msg.as_deref(),
        Some("Command would have run if not in check mode")
    );
    let with_creates = json!({"cmd": script, "creates": marker.display().to_string()});
    let (decided, _) = run_module(&mut conn, "shell", &with_creates, true, &empty_vars()).await;
    let decided = decided.expect("runs");
    assert!(decided.changed && !decided.skipped);
    assert!(!marker.exists(), "check mode must not run the command");
}

#[tokio::test]
async fn live_lines_stream_without_markers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut conn = local().await;
    let args =
        json!({"cmd": "echo one; echo two >&2; echo three", "chdir": dir.path().display().to_string()});
    let (result, lines) = run_module(&mut conn, "shell", &args, false, &empty_vars()).await;
    assert_eq!(result.expect("runs").data["stdout"].as_str(), Some("one\nthree"));
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(sorted, ["one", "three", "two"], "live lines: {lines:?}");

    let skip = json!({"cmd": "echo never", "creates": "/"});
    let (result, lines) = run_module(&mut conn, "shell", &skip, false, &empty_vars()).await;
    assert!(!result.expect("runs").changed);
    assert!(lines.is_empty(), "a skipped command shows no lines: {lines:?}");
}

#[tokio::test]
async fn shell_executable_comes_from_the_host_vars() {
    let mut conn = local().await;
    let vars = Value::from(Serde(json!({"ansible_shell_executable": "/bin/bash"})));
    let args = json!({"_raw_params": "echo \"$0\""});
    let (result, _) = run_module(&mut conn, "shell", &args, false, &vars).await;
    assert_eq!(result.expect("runs").data["stdout"].as_str(), Some("/bin/bash"));
    let with_param = json!({"_raw_params": "echo \"$0\"", "executable": "/bin/sh"});
    let (result, _) = run_module(&mut conn, "shell", &with_param, false, &vars).await;
    assert_eq!(result.expect("runs").data["stdout"].as_str(), Some("/bin/sh"));
}

#[tokio::test]
async fn parameter_errors_name_the_problem() {
    let mut conn = local().await;
    let (both, _) = run_module(
        &mut conn,
        "command",
        &json!({"_raw_params": "ls", "cmd": "ls"}),
        false,
        &empty_vars(),
    )
    .await;
    let err = both.expect_err("two commands are refused").to_string();
    assert!(err.contains("mutually exclusive: _raw_params|cmd"), "{err}");
    let (none, _) = run_module(&mut conn, "shell", &json!({"chdir": "/"}), false, &empty_vars()).await;
    let err = none.expect_err("no command is refused").to_string();
    assert!(err.contains("one of the following is required"), "{err}");
    let (quote, _) = run_module(
        &mut conn,
        "command",
        &json!({"_raw_params": "echo 'open"}),
        false,
        &empty_vars(),
    )
    .await;
    let err = quote.expect_err("unbalanced quote is refused").to_string();
    assert!(err.contains("No closing quotation"), "{err}");
}

/// `debug`, `assert`, `fail`, `set_fact` and `ping`, against what ansible-playbook registers
/// for the same tasks (Ansible drops its internal `_ansible_*` keys when registering).
#[tokio::test]
async fn controller_modules_match_ansible() {
    let play_vars = json!({"answer": 42, "greeting": "hi", "items_list": [1, "two", {"k": "v"}]});
    let tasks: Vec<(&str, Json)> = vec![
        ("debug", json!({})),
        ("debug", json!({"msg": "a {{ greeting }} b"})),
        ("debug", json!({"msg": [1, {"k": "v"}]})),
        ("debug", json!({"var": "answer"})),
        ("debug", json!({"var": "items_list"})),
        ("debug", json!({"var": "answer + 1"})),
        ("debug", json!({"var": "no_such_var"})),
        ("debug", json!({"msg": "hidden", "verbosity": 2})),
        ("assert", json!({"that": ["answer == 42", "answer > 50"]})),
        (
            "assert",
            json!({"that": "answer == 42", "quiet": true, "success_msg": "fine"}),
        ),
        ("assert", json!({"that": ["answer == 42", "greeting == 'hi'"]})),
        ("assert", json!({"that": "answer == 1", "msg": ["a", "b"]})),
        ("assert", json!({"that": "answer == 1", "fail_msg": "no good"})),
        ("fail", json!({})),
        ("fail", json!({"msg": "stop here"})),
        ("set_fact", json!({"a": 1, "b": [1, "x"], "c": "text"})),
        ("set_fact", json!({"d": true, "cacheable": true})),
        ("ping", json!({})),
        ("ping", json!({"data": "hello"})),
    ];
    let expected = ansible::run_tasks_with_vars(&tasks, false, &play_vars);
    // Ansible templates the arguments before the module sees them; so does the executor.
    let engine = Engine::default();
    let mut vars_map = serde_json::Map::new();
    vars_map.insert("ansible_verbosity".into(), json!(0));
    for (k, v) in play_vars.as_object().expect("vars are a map") {
        vars_map.insert(k.clone(), v.clone());
    }
    let vars = Value::from(Serde(Json::Object(vars_map)));
    let mut conn = local().await;
    for ((name, args), want) in tasks.iter().zip(expected) {
        let templated = engine
            .template_value(&Value::from(Serde(args)), &vars)
            .expect("arguments template");
        let args_json = serde_json::to_value(&templated).expect("arguments serialize");
        let (result, _) = run_module(&mut conn, name, &args_json, false, &vars).await;
        let mut got = result_json(&result.expect("module runs"));
        let mut want = want.clone();
        for map in [&mut got, &mut want] {
            let obj = map.as_object_mut().expect("results are maps");
            obj.retain(|k, _| !k.starts_with("_ansible") && k != "exception");
            obj.entry("failed").or_insert(json!(false));
        }
        assert_eq!(got, want, "{name} {args}");
    }
}

/// `debug`, `assert`, `fail`, `set_fact` and `ping`, with the results ansible-core 2.19 gives.
#[tokio::test]
async fn controller_modules_return_ansible_results() {
    let mut conn = local().await;
    let vars = Value::from(Serde(
        json!({"answer": 42, "greeting": "hi", "ansible_verbosity": 0}),
    ));
    let run = |name: &'static str, args: Json| (name, args);
    let cases = [
        (
            run("debug", json!({})),
            json!({"msg": "Hello world!", "_ansible_verbose_always": true, "changed": false, "failed": false}),
        ),
        (
            run("debug", json!({"var": "greeting"})),
            json!({"greeting": "hi", "_ansible_verbose_always": true, "changed": false, "failed": false}),
        ),
        (
            run("debug", json!({"var": "answer"})),
            json!({"answer": 42, "_ansible_verbose_always": true, "changed": false, "failed": false}),
        ),
        (
            run("debug", json!({"var": "answer + 1"})),
            json!({"answer + 1": 43, "_ansible_verbose_always": true, "changed": false, "failed": false}),
        ),
        (
            run("debug", json!({"var": "no_such_var"})),
            json!({
                "no_such_var": "<< error 1 - 'no_such_var' is undefined >>",
                "warnings": ["Encountered 1 template error.\nerror 1 - 'no_such_var' is undefined"],
                "_ansible_verbose_always": true, "changed": false, "failed": false
            }),
        ),
        (
            run("debug", json!({"msg": "hidden", "verbosity": 2})),
            json!({"skipped_reason": "Verbosity threshold not met.", "changed": false, "failed": false, "skipped": true}),
        ),
        (
            run("assert", json!({"that": ["answer == 42", "answer > 50"]})),
            json!({"_ansible_verbose_always": true, "assertion": "answer > 50", "evaluated_to": false, "msg": "Assertion failed", "changed": false, "failed": true}),
        ),
        (
            run(
                "assert",
                json!({"that": "answer == 42", "quiet": true, "success_msg": "fine"}),
            ),
            json!({"msg": "fine", "changed": false, "failed": false}),
        ),
        (
            run("assert", json!({"that": "answer == 1", "msg": ["a", "b"]})),
            json!({"_ansible_verbose_always": true, "assertion": "answer == 1", "evaluated_to": false, "msg": ["a", "b"], "changed": false, "failed": true}),
        ),
        (
            run("fail", json!({})),
            json!({"msg": "Failed as requested from task", "changed": false, "failed": true}),
        ),
        (
            run("fail", json!({"msg": "stop here"})),
            json!({"msg": "stop here", "changed": false, "failed": true}),
        ),
        (
            run("set_fact", json!({"a": 1, "b": [1, "x"], "cacheable": true})),
            json!({"ansible_facts": {"a": 1, "b": [1, "x"]}, "_ansible_facts_cacheable": true, "changed": false, "failed": false}),
        ),
        (
            run("ping", json!({})),
            json!({"ping": "pong", "changed": false, "failed": false}),
        ),
    ];
    for ((name, args), want) in cases {
        let (result, _) = run_module(&mut conn, name, &args, false, &vars).await;
        let outcome = result.expect("module runs");
        assert_eq!(result_json(&outcome), want, "{name} {args}");
        if name == "fail" {
            let want_msg = args
                .get("msg")
                .and_then(Json::as_str)
                .unwrap_or("Failed as requested from task");
            assert_eq!(outcome.msg.as_deref(), Some(want_msg));
        }
    }
    let (bad, _) = run_module(&mut conn, "set_fact", &json!({"not valid": 1}), false, &vars).await;
    assert!(
        bad.expect_err("bad names are refused")
            .to_string()
            .contains("Invalid variable name 'not valid'")
    );
}
