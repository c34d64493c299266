//! The `playhook` binary: parse arguments, run, map the outcome to an exit code
//! (`playhook::cli` holds the table of exit codes).

use std::process::ExitCode;

use clap::Parser;
use playhook::cli::{self, Cli, CommandError};

fn main() -> ExitCode {
    // ssh runs this binary as its SSH_ASKPASS program, with the prompt as the one argument.
    if let Some(socket) = std::env::var_os(cli::askpass::ASKPASS_SOCKET_ENV) {
        let args: Vec<_> = std::env::args_os().skip(1).collect();
        if let [prompt] = args.as_slice() {
            return cli::askpass::run(&socket, prompt);
        }
    }
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
