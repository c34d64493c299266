//! The command line: one file per subcommand, one dispatch `match`, and the exit codes.
//!
//! Exit codes follow `ansible-playbook`'s. A command that ran returns its [`Exit`]; a command
//! that could not do its job returns an error, and [`CommandError::exit`] is the one place that
//! maps errors to codes; [`CommandError::print`] the one place that prints them.
//!
//! | code | meaning | from |
//! |------|---------|------|
//! | 0 | success; also `--help` and `--version` | |
//! | 1 | error (missing key, unreadable file, a deploy that could not start, ...) | any other error |
//! | 2 | one or more hosts failed | `deploy`, `rollback`, `hook run` |
//! | 3 | one or more hosts were unreachable | `deploy`, `rollback`, `hook run` |
//! | 4 | parse error: the repository could not be read or is refused | [`repo_args::RepoError`], `plan::check` |
//! | 5 | bad or incomplete options | clap's usage errors, rejected push options |
//! | 6 | refused: the applied commit is ahead of the branch, diverged from it, or the branch was rewound | `agent run` |
//! | 99 | interrupted | a deploy run by `hook run` or `rollback` that was stopped |
//! | 141 | the output pipe closed early (`playhook check \| head -1`); nothing is printed | [`out::is_closed_pipe`] |
//! | 250 | unexpected error: a bug in playhook (a panic) | [`CommandError::Internal`] |
//!
//! [`EXIT_CODES`] says the same for `--help` and `playhook man`; each subcommand's `--help`
//! ends with the statuses it returns.

pub mod agent;
pub mod agent_serve;
pub mod askpass;
pub mod completions;
pub mod history;
pub mod hook;
pub mod inventory;
pub mod man;
pub mod reboot_check;
pub mod rollback;
pub mod status;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod check;
pub mod deploy;
mod listing;
pub mod out;
pub mod repo_args;
pub mod secrets;

/// Exit statuses, as `ansible-playbook` uses them (the table in the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Success = 0,
    Error = 1,
    HostFailed = 2,
    HostUnreachable = 3,
    ParseError = 4,
    BadOptions = 5,
    /// `agent run` refused to apply: local ahead, diverged or rewound (see `agent::compare`).
    Refused = 6,
    Interrupted = 99,
    /// The reader of stdout or stderr went away (`playhook check | head -1`): what a shell
    /// reports for a process killed by SIGPIPE, as git and cargo are.
    PipeClosed = 141,
    Unexpected = 250,
}

impl Exit {
    /// The exit status for a deploy record's result (`hook run`, `rollback`).
    pub fn for_result(result: &str) -> Exit {
        match result {
            "ok" => Exit::Success,
            "failed" => Exit::HostFailed,
            "unreachable" => Exit::HostUnreachable,
            "interrupted" => Exit::Interrupted,
            _ => Exit::Error,
        }
    }
}

/// Every exit status and what it means: the table of the module docs, for `--help` and the
/// manual page.
pub const EXIT_CODES: &[(u8, &str)] = &[
    (0, "success; also --help and --version"),
    (
        1,
        "error (a missing key, an unreadable file, a deploy that could not start, ...)",
    ),
    (
        2,
        "one or more hosts failed (deploy, rollback, hook run, agent run)",
    ),
    (
        3,
        "one or more hosts were unreachable (deploy, rollback, hook run, agent run)",
    ),
    (
        4,
        "the repository could not be read or is refused (deploy, check)",
    ),
    (5, "bad or incomplete options; push options the hook rejects"),
    (
        6,
        "agent run refused: the branch was rewound, diverged, or is behind the applied commit",
    ),
    (
        99,
        "interrupted (a deploy run by hook run or rollback that was stopped)",
    ),
    (
        141,
        "the reader of the output went away (playhook check | head -1)",
    ),
    (
        250,
        "unexpected error: a bug in playhook (a panic); please report it",
    ),
];

/// The short form of [`EXIT_CODES`] at the end of `playhook --help`.
const EXIT_HELP: &str = "Exit status: 0 success; 1 error; 2 a host failed; 3 a host was \
unreachable; 4 the repository could not be read; 5 bad options; 6 agent run refused; \
99 interrupted; 141 output closed; 250 a bug in playhook. Each subcommand's --help lists its \
own; `playhook man` explains them.";

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// git-push deploys for Ansible repositories.
///
/// Runs a repository's playbook (`deploy.yaml`, roles, inventory, group_vars) against its hosts
/// over SSH, with nothing but `sh` on the targets.
#[derive(Debug, Parser)]
#[command(name = "playhook", version, propagate_version = true, after_help = EXIT_HELP)]
pub struct Cli {
    /// More output: -v shows task results, -vv debug logs, -vvv protocol traces.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Deploy(deploy::DeployArgs),
    Check(check::CheckArgs),
    Inventory(inventory::Args),
    Secrets(secrets::SecretsArgs),
    /// Make `git push` to a bare repository deploy it (install, uninstall; run and verify are
    /// called by git).
    Hook(hook::HookArgs),
    /// List the recorded deploys, newest first.
    History(history::HistoryArgs),
    /// Show per host the last commit applied and its result.
    Status(status::StatusArgs),
    /// Deploy an earlier commit out of band.
    Rollback(rollback::RollbackArgs),
    /// Pull mode: this server fetches the repository and applies it to itself (install, run,
    /// status, freeze, unfreeze, rollback).
    Agent(agent::AgentArgs),
    /// The reboot step of an agent pass alone (for tests).
    #[command(hide = true)]
    RebootCheck(reboot_check::RebootCheckArgs),
    Completions(completions::CompletionsArgs),
    Man(man::ManArgs),
}

/// Sets up debug logging on stderr: `RUST_LOG` if set, else from the `-v` count.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 | 1 => "warn",
        2 => "playhook=debug",
        _ => "playhook=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::secrets::MaskedStderr)
        .with_target(false)
        .without_time()
        .init();
}

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Deploy(args) => deploy::run(args, cli.verbose),
        Command::Check(args) => check::run(args),
        Command::Inventory(args) => inventory::run(args),
        Command::Secrets(args) => secrets::run(args),
        Command::Hook(args) => hook::run(args),
        Command::History(args) => history::run(args),
        Command::Status(args) => status::run(args),
        Command::Rollback(args) => rollback::run(args),
        Command::Agent(args) => agent::run(args),
        Command::RebootCheck(args) => reboot_check::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
    }
}

/// Why `playhook` could not do what it was asked.
#[derive(Debug)]
pub enum CommandError {
    /// The command line did not parse, or asked for `--help` or `--version` (clap's "errors").
    Usage(clap::Error),
    /// A command failed; its exit code depends on the error's type (see [`CommandError::exit`]).
    Failed(anyhow::Error),
    /// A panic: a bug in playhook. The panic hook ([`install_panic_report`]) has printed it.
    Internal,
}

impl From<anyhow::Error> for CommandError {
    fn from(err: anyhow::Error) -> Self {
        CommandError::Failed(err)
    }
}

impl CommandError {
    /// The exit code for this error: the one mapping from errors to exit codes.
    pub fn exit(&self) -> Exit {
        match self {
            // `--help` and `--version` come back as clap errors that go to stdout.
            CommandError::Usage(err) if !err.use_stderr() => Exit::Success,
            CommandError::Usage(_) => Exit::BadOptions,
            CommandError::Failed(err) if out::is_closed_pipe(err) => Exit::PipeClosed,
            CommandError::Failed(err) => {
                if err.chain().any(|e| e.is::<repo_args::RepoError>()) {
                    Exit::ParseError
                } else {
                    Exit::Error
                }
            }
            CommandError::Internal => Exit::Unexpected,
        }
    }

    /// Prints the error: clap's message as clap prints it (help and version on stdout, usage
    /// errors on stderr), anything else with its causes on stderr. Fails when the stream's
    /// reader has gone.
    pub fn print(&self) -> std::io::Result<()> {
        match self {
            CommandError::Usage(err) => err.print(),
            // The reader went away: there is no one to tell.
            CommandError::Failed(err) if out::is_closed_pipe(err) => Ok(()),
            CommandError::Failed(err) => {
                use std::io::Write as _;
                writeln!(
                    std::io::stderr().lock(),
                    "{}",
                    crate::error_chain::report(err.as_ref())
                )
            }
            CommandError::Internal => Ok(()),
        }
    }
}

/// Runs the chosen subcommand ([`run`]), turning a panic into [`CommandError::Internal`].
pub fn run_guarded(cli: Cli) -> Result<Exit, CommandError> {
    guarded(|| run(cli))
}

fn guarded(command: impl FnOnce() -> anyhow::Result<Exit>) -> Result<Exit, CommandError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(command)) {
        Ok(result) => Ok(result?),
        Err(_) => Err(CommandError::Internal),
    }
}

/// Prints the error of a failed run and returns the exit code of the outcome.
pub fn finish(outcome: Result<Exit, CommandError>) -> Exit {
    match outcome {
        Ok(exit) => exit,
        Err(err) => match err.print() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::PipeClosed,
            // Nothing sensible is left to do when stderr is otherwise gone.
            _ => err.exit(),
        },
    }
}

/// Makes every panic, on any thread, end with a line saying it is a bug to report, after the
/// standard panic message (which names the place).
pub fn install_panic_report() {
    let standard = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        standard(info);
        eprintln!(
            "error: internal error in playhook {} (a bug, not a problem with your repository or hosts); \
             please report it with the message above and the command that caused it",
            env!("CARGO_PKG_VERSION")
        );
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(args: &[&str]) -> CommandError {
        let err = Cli::try_parse_from(args).expect_err("does not parse");
        CommandError::Usage(err)
    }

    #[test]
    fn usage_errors_exit_5_and_help_and_version_0() {
        assert_eq!(
            usage(&["playhook", "deploy", "--no-such-flag"]).exit(),
            Exit::BadOptions
        );
        assert_eq!(usage(&["playhook"]).exit(), Exit::BadOptions);
        assert_eq!(usage(&["playhook", "--help"]).exit(), Exit::Success);
        assert_eq!(usage(&["playhook", "--version"]).exit(), Exit::Success);
    }

    #[test]
    fn repository_errors_exit_4_by_type_even_under_context() {
        let err = repo_args::RepoError::Playbook(crate::repo::error::LoadError::Other("x".into()));
        let err = anyhow::Error::from(err).context("loading the repository");
        assert_eq!(CommandError::from(err).exit(), Exit::ParseError);
    }

    #[test]
    fn other_errors_exit_1_and_panics_250() {
        let err = anyhow::anyhow!("deploy.yaml:4: `template` source `nope.j2` not found");
        assert_eq!(CommandError::from(err).exit(), Exit::Error);
        assert_eq!(CommandError::Internal.exit(), Exit::Unexpected);
    }

    #[test]
    fn a_panic_in_a_command_is_an_internal_error() {
        let outcome = guarded(|| panic!("a bug"));
        assert!(matches!(outcome, Err(CommandError::Internal)), "{outcome:?}");
        assert_eq!(finish(outcome), Exit::Unexpected);
        assert_eq!(Exit::Unexpected as u8, 250);
        assert!(matches!(guarded(|| Ok(Exit::HostFailed)), Ok(Exit::HostFailed)));
    }
}
