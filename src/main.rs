//! The `playhook` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = playhook::cli::Cli::parse();
    playhook::cli::init_logging(cli.verbose);
    match playhook::cli::run(cli) {
        Ok(code) => code.into(),
        Err(err) => {
            let code = playhook::cli::report_error(&err);
            code.into()
        }
    }
}
