//! `playhook completions SHELL`: the shell completion script, generated from the same clap
//! definitions as `--help` (clap_complete).

use clap::CommandFactory as _;
use clap_complete::Shell;

use crate::cli::Exit;

/// Print the shell completion script for bash, zsh, fish, elvish or PowerShell.
///
/// bash: `source <(playhook completions bash)`, or save it as
/// `/etc/bash_completion.d/playhook`. zsh: save it as `_playhook` in a directory of `$fpath`.
/// fish: save it as `~/.config/fish/completions/playhook.fish`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Exit status: 0 printed; 1 stdout could not be written.")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> anyhow::Result<Exit> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut super::Cli::command(), "playhook", &mut script);
    super::out::out!("{}", String::from_utf8_lossy(&script));
    Ok(Exit::Success)
}
