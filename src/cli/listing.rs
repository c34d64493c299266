//! `--list-tags`, `--list-tasks` and `--list-hosts`, printed as ansible-playbook prints them.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::plan::TagFilter;
use crate::plan::walk::tasks_in;

use super::repo_args::Loaded;

pub fn render(
    loaded: &Loaded,
    tags: &TagFilter,
    limit: Option<&str>,
    list_tags: bool,
    list_tasks: bool,
    list_hosts: bool,
) -> String {
    let mut out = format!("\nplaybook: {}\n", loaded.playbook.path.display());
    for (index, play) in loaded.playbook.plays.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n  play #{} ({}): {}\tTAGS: []",
            index + 1,
            play.hosts,
            play.name
        );
        if list_hosts {
            let mut hosts = loaded.inventory.select(&play.hosts).unwrap_or_default();
            if let Some(limit) = limit {
                let allowed = loaded.inventory.select(limit).unwrap_or_default();
                hosts.retain(|h| allowed.contains(h));
            }
            let _ = writeln!(
                out,
                "    pattern: ['{}']\n    hosts ({}):",
                play.hosts,
                hosts.len()
            );
            for h in hosts {
                let _ = writeln!(out, "      {h}");
            }
        }
        let mut tasks = Vec::new();
        for section in &play.sections {
            tasks_in(section, &mut tasks);
        }
        if list_tasks {
            let _ = writeln!(out, "    tasks:");
            for task in tasks.iter().filter(|t| tags.selects(&t.tags)) {
                let mut task_tags: Vec<&String> = task.tags.iter().collect();
                task_tags.sort();
                task_tags.dedup();
                let list: Vec<&str> = task_tags.iter().map(|s| s.as_str()).collect();
                let _ = writeln!(out, "      {}\tTAGS: [{}]", task.display_name(), list.join(", "));
            }
        }
        if list_tags {
            let all: BTreeSet<&str> = tasks
                .iter()
                .flat_map(|t| t.tags.iter().map(String::as_str))
                .collect();
            let list: Vec<&str> = all.into_iter().collect();
            let _ = writeln!(out, "      TASK TAGS: [{}]", list.join(", "));
        }
    }
    out
}
