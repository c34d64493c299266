//! The `playhook` binary: parse arguments, run, map the outcome to an exit code
//! (`playhook::cli` holds the table of exit codes).

use std::process::ExitCode;

use clap::Parser;
use playhook::cli::{self, Cli, CommandError};

fn main() -> ExitCode {
    cli::install_panic_report();
    let outcome = match Cli::try_parse() {
        Ok(args) => {
            cli::init_logging(args.verbose);
            cli::run_guarded(args)
        }
        Err(usage) => Err(CommandError::Usage(usage)),
    };
    cli::finish(outcome).into()
}
