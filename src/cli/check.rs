//! `playhook check`: validate a repository without connecting anywhere.

use crate::cli::out::{errln, outln};
use std::sync::Arc;

use anyhow::Result;

use crate::template::Engine;

use super::Exit;
use super::repo_args::RepoArgs;

/// Check the repository (YAML, roles, modules, templates, inventory, secrets) without touching a host.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Exit status: 0 the repository passes; 1 error (e.g. an unreadable key); 4 the repository could not be read or is refused; 5 bad options."
)]
pub struct CheckArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
}

pub fn run(args: CheckArgs) -> Result<Exit> {
    let key = std::env::var("SECRETS_KEY")
        .ok()
        .filter(|k| !k.is_empty())
        .map(crate::secrets::SecretString::new);
    let loaded = args.repo.load(key)?;
    let engine = Arc::new(Engine::new(crate::template::EngineOptions {
        environment: std::env::vars().collect(),
        ..Default::default()
    }));
    let checked = loaded.check(&engine);
    let mask = |text: String| match &loaded.secrets {
        Some(s) => s.masker().mask(&text).into_owned(),
        None => text,
    };
    let notes = match checked {
        Ok(checked) => checked.notes,
        Err(problems) => {
            errln!("{}", mask(problems.to_string()));
            return Ok(Exit::ParseError);
        }
    };
    for note in notes {
        errln!("{}", mask(format!("note: {note}")));
    }
    let tasks = crate::plan::walk::all_tasks(&loaded.playbook).len();
    let hosts = loaded.inventory.select("all").map(|h| h.len()).unwrap_or(0);
    outln!(
        "{}: ok ({} plays, {tasks} tasks, {hosts} hosts)",
        loaded.playbook.path.display(),
        loaded.playbook.plays.len()
    );
    Ok(Exit::Success)
}
