//! The command line: one file per subcommand, one dispatch `match`, and the exit codes.
//!
//! Exit codes follow `ansible-playbook`'s:
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | success |
//! | 1 | error (bad repository, missing key, ...) |
//! | 2 | one or more hosts failed |
//! | 3 | one or more hosts were unreachable |
//! | 4 | parse error: the repository could not be read |
//! | 5 | bad or incomplete options |
//! | 99 | interrupted by the user |
//! | 250 | unexpected error |

pub mod history;
pub mod hook;
pub mod inventory;
pub mod rollback;
pub mod status;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod check;
pub mod deploy;
mod listing;
pub mod repo_args;
pub mod secrets;

/// Exit statuses, as `ansible-playbook` uses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Success = 0,
    Error = 1,
    HostFailed = 2,
    HostUnreachable = 3,
    ParseError = 4,
    BadOptions = 5,
    Interrupted = 99,
    Unexpected = 250,
}

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
#[command(name = "playhook", version, propagate_version = true)]
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
    }
}

/// Prints an error and its causes once, on stderr, and picks the exit code.
pub fn report_error(err: &anyhow::Error) -> Exit {
    print_error(err);
    Exit::Error
}

/// Prints an error with its chain of causes, each text once.
pub fn print_error(err: &anyhow::Error) {
    let mut message = format!("error: {err}");
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(&format!("\n  caused by: {text}"));
        }
    }
    eprintln!("{message}");
}
