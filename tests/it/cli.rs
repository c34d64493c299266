//! The command line's exit codes and error reports: usage errors exit 5 with clap's message,
//! `--help` and `--version` exit 0, a repository that cannot be read exits 4 naming file and
//! line, and an error's causes are each printed once.

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

fn explain(run: &Run) -> String {
    format!("stdout:\n{}\nstderr:\n{}", run.stdout(), run.stderr())
}

#[test]
fn an_unknown_option_exits_5_with_clap_s_message() {
    let run = playhook(&["deploy", "--no-such-flag"]);
    assert_eq!(run.code(), 5, "{}", explain(&run));
    assert!(
        run.stderr()
            .contains("error: unexpected argument '--no-such-flag' found"),
        "{}",
        explain(&run)
    );
    assert!(
        run.stderr().contains("Usage: playhook deploy"),
        "{}",
        explain(&run)
    );
    assert_eq!(run.stdout(), "", "nothing on stdout");
}

#[test]
fn a_malformed_option_value_exits_5() {
    let run = playhook(&["deploy", "--forks", "many"]);
    assert_eq!(run.code(), 5, "{}", explain(&run));
    assert!(run.stderr().contains("--forks"), "{}", explain(&run));
    assert_eq!(run.stdout(), "");
}

#[test]
fn a_missing_subcommand_exits_5() {
    let run = playhook(&[]);
    assert_eq!(run.code(), 5, "{}", explain(&run));
    assert_eq!(run.stdout(), "");
}

#[test]
fn help_and_version_exit_0_on_stdout() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["deploy", "--help"],
        &["help", "secrets"],
    ] {
        let run = playhook(args);
        assert_eq!(run.code(), 0, "{args:?}: {}", explain(&run));
        assert!(
            run.stdout().contains("Usage: playhook"),
            "{args:?}: {}",
            explain(&run)
        );
        assert_eq!(run.stderr(), "", "{args:?}");
    }
    let run = playhook(&["--version"]);
    assert_eq!(run.code(), 0, "{}", explain(&run));
    assert_eq!(run.stdout(), format!("playhook {}\n", env!("CARGO_PKG_VERSION")));
    assert_eq!(run.stderr(), "");
}

#[test]
fn a_playbook_that_does_not_parse_exits_4_naming_file_and_line() {
    let repo = TestRepo::local().file(
        "deploy.yaml",
        "- hosts: web\n  tasks:\n    - command: [unclosed\n",
    );
    for command in ["deploy", "check"] {
        let run = repo.playhook(&[command]);
        assert_eq!(run.code(), 4, "{command}: {}", explain(&run));
        assert!(
            run.stderr().starts_with("error: ") && run.stderr().contains("deploy.yaml:"),
            "{command}: {}",
            explain(&run)
        );
        assert_eq!(run.stdout(), "", "{command}");
    }
}

#[test]
fn a_bad_ansible_cfg_exits_4_and_says_it_once() {
    let repo = TestRepo::local()
        .file("ansible.cfg", "[defaults]\ninventory = hosts\nforks = many\n")
        .file("deploy.yaml", "- hosts: web\n  tasks: []\n");
    let run = repo.playhook(&["check"]);
    assert_eq!(run.code(), 4, "{}", explain(&run));
    let stderr = run.stderr();
    assert!(stderr.contains("ansible.cfg:3"), "{}", explain(&run));
    assert_eq!(
        stderr.matches("ansible.cfg:3").count(),
        1,
        "the message is printed once, not again as its own cause:\n{stderr}"
    );
}

#[test]
fn an_extra_vars_file_that_does_not_parse_exits_4_with_its_cause() {
    let repo = TestRepo::local()
        .file("vars.yml", "a: [unclosed\n")
        .file("deploy.yaml", "- hosts: web\n  tasks: []\n");
    let run = repo.playhook(&["check", "-e", "@vars.yml"]);
    assert_eq!(run.code(), 4, "{}", explain(&run));
    let stderr = run.stderr();
    assert!(
        stderr.starts_with("error: -e @vars.yml: cannot read the variables\n  caused by: "),
        "the YAML error is kept as the cause:\n{stderr}"
    );
    assert!(stderr.contains("vars.yml"), "{stderr}");
}

#[test]
fn other_errors_exit_1_with_their_causes() {
    let run = playhook(&["check", "-C", "/nonexistent/playhook-repo"]);
    assert_eq!(run.code(), 1, "{}", explain(&run));
    assert_eq!(
        run.stderr(),
        "error: repository directory `/nonexistent/playhook-repo` not found\n  caused by: No such file or directory (os error 2)\n"
    );
}

/// Runs `playhook ARGS` in `repo` with stdout (and stderr, when `both`) a pipe whose reader is
/// already closed, as `playhook check | head -1` leaves it once `head` has its line.
fn with_closed_pipe(repo: &TestRepo, args: &[&str], both: bool) -> Run {
    // A real pipe whose reader is gone: the stdin of a `true` that has exited.
    let mut reader = Command::new("true")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("run true");
    let writer = reader.stdin.take().expect("a piped stdin");
    reader.wait().expect("true exits");
    let mut cmd = repo.command(args);
    if both {
        let fd = std::os::fd::OwnedFd::from(writer);
        cmd.stderr(fd.try_clone().expect("duplicate the pipe"));
        cmd.stdout(fd);
    } else {
        cmd.stderr(std::process::Stdio::piped());
        cmd.stdout(writer);
    }
    Run(cmd.output().expect("run playhook"))
}

#[test]
fn a_closed_output_pipe_ends_quietly_with_status_141() {
    let repo = TestRepo::local().file("deploy.yaml", "- hosts: web\n  tasks:\n    - debug: msg=hi\n");
    for args in [
        &["check"][..],
        &["deploy", "--list-tasks"],
        &["inventory", "--list"],
        &["inventory", "--graph"],
    ] {
        let run = with_closed_pipe(&repo, args, false);
        assert_eq!(run.code(), 141, "{args:?}: {}", explain(&run));
        assert_eq!(run.stderr(), "", "{args:?}: no panic, no message");
    }
    // A refused repository with both streams on the closed pipe (`2>&1 | head -1`).
    let bad = TestRepo::local().file("deploy.yaml", "- hosts: web\n  tasks:\n    - frobnicate: 1\n");
    let run = with_closed_pipe(&bad, &["check"], true);
    assert_eq!(run.code(), 141, "{}", explain(&run));
}
