//! What a shell user expects from the command line: completion scripts and the manual page,
//! generated from the clap definitions (checked against real bash and man), and `--json` on
//! every listing, parsed back as JSON.

use std::process::Command;

use crate::support::repo::{Run, TestRepo};

/// Runs `playhook ARGS` with a cleared environment, from a temporary directory.
fn playhook(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("create a temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_playhook"))
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .output()
        .expect("run playhook");
    Run(output)
}

/// The visible subcommands, from `playhook --help` (the same clap definitions).
fn subcommands() -> Vec<String> {
    let help = playhook(&["-h"]).stdout();
    let commands = help
        .split("Commands:")
        .nth(1)
        .expect("--help lists commands")
        .split("\n\n")
        .next()
        .expect("a block of commands");
    let names: Vec<String> = commands
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    names
}

#[test]
fn the_bash_completion_sources_in_bash_and_completes_subcommands() {
    let run = playhook(&["completions", "bash"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let dir = tempfile::tempdir().expect("create a temp dir");
    let script = dir.path().join("playhook.bash");
    std::fs::write(&script, run.stdout()).expect("write the script");
    // Source it, show the registration, then ask the function what `playhook de<TAB>` completes.
    let probe = format!(
        "set -e; source '{}'; complete -p playhook; \
         COMP_WORDS=(playhook de); COMP_CWORD=1; COMP_LINE='playhook de'; COMP_POINT=11; \
         _playhook playhook de playhook; printf 'reply:%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &probe])
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("complete ") && l.ends_with("-F _playhook playhook")),
        "`complete -p playhook` shows the registration: {stdout}"
    );
    assert!(stdout.contains("reply:deploy"), "{stdout}");
    assert!(
        !stdout.contains("reply:check"),
        "only what starts with `de`: {stdout}"
    );
}

#[test]
fn zsh_fish_and_other_completions_name_every_subcommand() {
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let run = playhook(&["completions", shell]);
        assert_eq!(run.code(), 0, "{shell}: {}", run.stderr());
        let script = run.stdout();
        for name in subcommands() {
            assert!(script.contains(&name), "{shell} completion lacks `{name}`");
        }
    }
    let run = playhook(&["completions", "tcsh"]);
    assert_eq!(run.code(), 5, "an unknown shell is a usage error");
}

#[test]
fn the_man_page_renders_with_man_and_has_every_subcommand_and_exit_status() {
    let run = playhook(&["man"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let dir = tempfile::tempdir().expect("create a temp dir");
    let page = dir.path().join("playhook.1");
    std::fs::write(&page, run.stdout()).expect("write the page");
    let out = Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("run man");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "troff warnings: {stderr}");
    let text = String::from_utf8_lossy(&out.stdout);
    for name in subcommands() {
        let heading = format!("PLAYHOOK {}", name.to_uppercase());
        assert!(text.contains(&heading), "the page lacks {heading}:\n{text}");
    }
    for nested in [
        "PLAYHOOK HOOK RUN",
        "PLAYHOOK AGENT STATUS",
        "PLAYHOOK SECRETS SET",
    ] {
        assert!(text.contains(nested), "the page lacks {nested}");
    }
    assert!(
        !text.contains("PLAYHOOK HELP"),
        "clap's help subcommand is left out"
    );
    assert!(!text.contains("REBOOT-CHECK"), "hidden subcommands are left out");
    let exit = text.split("EXIT STATUS").nth(1).expect("an EXIT STATUS section");
    for code in ["0", "1", "2", "3", "4", "5", "6", "99", "141", "250"] {
        assert!(
            exit.lines()
                .any(|l| l.trim_start().starts_with(&format!("{code} "))),
            "exit status {code} missing:\n{exit}"
        );
    }
}

#[test]
fn help_ends_with_the_exit_statuses_of_each_subcommand() {
    assert!(playhook(&["--help"]).stdout().contains("Exit status: 0 success"));
    for name in subcommands() {
        let run = playhook(&[&name, "--help"]);
        assert_eq!(run.code(), 0, "{name}: {}", run.stderr());
        assert!(
            run.stdout().contains("Exit status: 0"),
            "{name} --help:\n{}",
            run.stdout()
        );
    }
}

fn listing_repo() -> TestRepo {
    TestRepo::empty()
        .file(
            "hosts",
            "[web]\nweb1 ansible_host=10.0.0.1\nweb2\n[db]\ndb1 port=5432\n[prod:children]\nweb\n",
        )
        .file("ansible.cfg", "[defaults]\ninventory = hosts\n")
        .file(
            "deploy.yaml",
            "- hosts: web\n  name: Web\n  gather_facts: false\n  tasks:\n\
             \x20   - name: one\n      debug: msg=1\n      tags: [b, a]\n\
             \x20   - name: two\n      debug: msg=2\n      tags: c\n\
             - hosts: db\n  gather_facts: false\n  tasks:\n    - ping:\n",
        )
}

fn json(run: &Run) -> serde_json::Value {
    assert_eq!(run.code(), 0, "{}", run.stderr());
    serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout()))
}

#[test]
fn deploy_listings_take_json() {
    let repo = listing_repo();
    let v = json(&repo.playhook(&["deploy", "--list-hosts", "--list-tasks", "--list-tags", "--json"]));
    let plays = v["plays"].as_array().expect("plays");
    assert_eq!(plays.len(), 2, "{v}");
    assert_eq!(plays[0]["name"], "Web");
    assert_eq!(plays[0]["pattern"], "web");
    assert_eq!(plays[0]["hosts"], serde_json::json!(["web1", "web2"]));
    assert_eq!(
        plays[0]["tasks"][0],
        serde_json::json!({"name": "one", "tags": ["a", "b"]})
    );
    assert_eq!(plays[0]["tags"], serde_json::json!(["a", "b", "c"]));
    assert_eq!(plays[1]["hosts"], serde_json::json!(["db1"]));
    assert!(v["playbook"].as_str().expect("playbook").ends_with("deploy.yaml"));

    // Only what was asked for, with the tag selection and limit applied.
    let v = json(&repo.playhook(&["deploy", "c", "--list-tasks", "--json"]));
    assert_eq!(
        v["plays"][0]["tasks"],
        serde_json::json!([{"name": "two", "tags": ["c"]}])
    );
    assert!(v["plays"][0].get("hosts").is_none(), "{v}");
    let v = json(&repo.playhook(&["deploy", "--list-hosts", "-l", "web2", "--json"]));
    assert_eq!(v["plays"][0]["hosts"], serde_json::json!(["web2"]));

    // Without --json, ansible-playbook's text, unchanged.
    let text = repo.playhook(&["deploy", "--list-hosts"]).stdout();
    assert!(text.contains("  play #1 (web): Web\tTAGS: []"), "{text}");
    assert!(text.contains("    hosts (2):\n      web1\n      web2"), "{text}");
}

#[test]
fn the_inventory_graph_takes_json() {
    let repo = listing_repo();
    let v = json(&repo.playhook(&["inventory", "--graph", "--json"]));
    assert_eq!(v["name"], "all");
    let kids: Vec<&str> = v["children"]
        .as_array()
        .expect("children")
        .iter()
        .filter_map(|k| k["name"].as_str())
        .collect();
    assert!(kids.contains(&"prod") && kids.contains(&"db"), "{v}");
    let prod = v["children"]
        .as_array()
        .expect("children")
        .iter()
        .find(|k| k["name"] == "prod")
        .expect("prod");
    assert_eq!(prod["children"][0]["name"], "web");
    assert_eq!(prod["children"][0]["hosts"][1]["name"], "web2");

    let v = json(&repo.playhook(&["inventory", "--graph", "db", "--vars", "--json"]));
    assert_eq!(v["hosts"][0]["name"], "db1");
    assert_eq!(v["hosts"][0]["vars"]["port"], 5432);

    // --list and --host are JSON already; --json is accepted with them.
    let v = json(&repo.playhook(&["inventory", "--list", "--json"]));
    assert_eq!(v["web"]["hosts"], serde_json::json!(["web1", "web2"]));
    let v = json(&repo.playhook(&["inventory", "--host", "web1", "--json"]));
    assert_eq!(v["ansible_host"], "10.0.0.1");
}
