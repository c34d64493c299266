//! `playhook agent`: pull mode on a server. One file per subcommand (`agent_*.rs`), dispatched
//! here.

use crate::cli::Exit;
use crate::cli::agent_serve;

/// Pull mode: this server fetches the repository and applies it to itself.
#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    #[command(subcommand)]
    pub command: AgentCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AgentCommand {
    Serve(agent_serve::ServeArgs),
}

pub fn run(args: AgentArgs) -> anyhow::Result<Exit> {
    match args.command {
        AgentCommand::Serve(a) => agent_serve::run(a),
    }
}
