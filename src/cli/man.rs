//! `playhook man`: the manual page in roff, generated from the same clap definitions as
//! `--help` (clap_mangen), with a section per subcommand and the table of exit statuses.

use clap::CommandFactory as _;
use clap_mangen::roff::{Roff, bold, italic, roman};

use crate::cli::out::out;
use crate::cli::{EXIT_CODES, Exit};

/// Print the manual page (roff): `playhook man | man -l -`, or save it as
/// `/usr/local/share/man/man1/playhook.1`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Exit status: 0 printed; 1 stdout could not be written.")]
pub struct ManArgs {}

pub fn run(_args: ManArgs) -> anyhow::Result<Exit> {
    out!("{}", render());
    Ok(Exit::Success)
}

/// The whole page: clap_mangen's page for `playhook`, then one section per subcommand (nested
/// ones included, hidden ones left out), then EXIT STATUS.
pub fn render() -> String {
    let mut cmd = super::Cli::command();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)
        .and_then(|()| man.render_name_section(&mut page))
        .and_then(|()| man.render_synopsis_section(&mut page))
        .and_then(|()| man.render_description_section(&mut page))
        .and_then(|()| man.render_options_section(&mut page))
        .and_then(|()| man.render_version_section(&mut page))
        .expect("writing to a Vec cannot fail");
    let mut roff = Roff::default();
    for sub in shown(&cmd) {
        subcommand_section(&mut roff, "playhook", sub);
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in EXIT_CODES {
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        roff.text([roman(*meaning)]);
    }
    let mut text = String::from_utf8_lossy(&page).into_owned();
    text.push_str(&roff.render());
    text
}

fn subcommand_section(roff: &mut Roff, parent: &str, cmd: &clap::Command) {
    let name = format!("{parent} {}", cmd.get_name());
    roff.control("SH", [name.to_uppercase().as_str()]);
    let usage = cmd.clone().render_usage().to_string();
    roff.text([bold(usage.trim_start_matches("Usage: "))]);
    if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
        for paragraph in about.to_string().split("\n\n") {
            roff.control("PP", []);
            roff.text([roman(paragraph.replace('\n', " "))]);
        }
    }
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        roff.control("TP", []);
        roff.text([bold(flag_text(arg))]);
        if let Some(help) = arg.get_long_help().or(arg.get_help()) {
            roff.text([roman(help.to_string().replace('\n', " "))]);
        }
    }
    if let Some(after) = cmd.get_after_long_help().or(cmd.get_after_help()) {
        roff.control("PP", []);
        roff.text([italic(after.to_string().replace('\n', " "))]);
    }
    for sub in shown(cmd) {
        subcommand_section(roff, &name, sub);
    }
}

/// The subcommands a reader needs: not hidden ones, not clap's `help`.
fn shown(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// `-C, --dir <DIR>` for an option, `<TAG>` for a positional argument.
fn flag_text(arg: &clap::Arg) -> String {
    let mut names = Vec::new();
    if let Some(short) = arg.get_short() {
        names.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        names.push(format!("--{long}"));
    }
    let value = arg
        .get_value_names()
        .map(|v| v.iter().map(|n| format!("<{n}>")).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| format!("<{}>", arg.get_id().as_str().to_uppercase()));
    if names.is_empty() {
        return value;
    }
    if arg.get_action().takes_values() {
        format!("{} {value}", names.join(", "))
    } else {
        names.join(", ")
    }
}
