//! `--list-tags`, `--list-tasks` and `--list-hosts`, printed as ansible-playbook prints them,
//! or with `--json` as one JSON object.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde::Serialize;

use crate::plan::TagFilter;
use crate::plan::walk::tasks_in;

use super::repo_args::Loaded;

/// What to list.
#[derive(Debug, Clone, Copy)]
pub struct Lists {
    pub tags: bool,
    pub tasks: bool,
    pub hosts: bool,
}

/// The listing of a playbook: `{"playbook": PATH, "plays": [...]}` in JSON.
#[derive(Debug, Serialize)]
pub struct Listing {
    pub playbook: String,
    pub plays: Vec<PlayListing>,
}

/// One play; the lists not asked for are left out.
#[derive(Debug, Serialize)]
pub struct PlayListing {
    pub name: String,
    pub pattern: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Vec<TaskListing>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

/// A task the tag selection keeps, with its tags sorted.
#[derive(Debug, Serialize)]
pub struct TaskListing {
    pub name: String,
    pub tags: Vec<String>,
}

/// The listing of what a deploy with these tags and limit would run.
pub fn collect(loaded: &Loaded, tags: &TagFilter, limit: Option<&str>, lists: Lists) -> Listing {
    let mut plays = Vec::new();
    for play in &loaded.playbook.plays {
        let hosts = lists.hosts.then(|| {
            let mut hosts = loaded.inventory.select(&play.hosts).unwrap_or_default();
            if let Some(limit) = limit {
                let allowed = loaded.inventory.select(limit).unwrap_or_default();
                hosts.retain(|h| allowed.contains(h));
            }
            hosts
        });
        let mut all = Vec::new();
        for section in &play.sections {
            tasks_in(section, &mut all);
        }
        let tasks = lists.tasks.then(|| {
            all.iter()
                .filter(|t| tags.selects(&t.tags))
                .map(|task| {
                    let sorted: BTreeSet<&String> = task.tags.iter().collect();
                    TaskListing {
                        name: task.display_name(),
                        tags: sorted.into_iter().cloned().collect(),
                    }
                })
                .collect()
        });
        let tag_list = lists.tags.then(|| {
            let set: BTreeSet<&str> = all
                .iter()
                .flat_map(|t| t.tags.iter().map(String::as_str))
                .collect();
            set.into_iter().map(str::to_string).collect()
        });
        plays.push(PlayListing {
            name: play.name.clone(),
            pattern: play.hosts.clone(),
            hosts,
            tasks,
            tags: tag_list,
        });
    }
    Listing {
        playbook: loaded.playbook.path.display().to_string(),
        plays,
    }
}

/// The listing as ansible-playbook prints it.
pub fn render(listing: &Listing) -> String {
    let mut out = format!("\nplaybook: {}\n", listing.playbook);
    for (index, play) in listing.plays.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n  play #{} ({}): {}\tTAGS: []",
            index + 1,
            play.pattern,
            play.name
        );
        if let Some(hosts) = &play.hosts {
            let _ = writeln!(
                out,
                "    pattern: ['{}']\n    hosts ({}):",
                play.pattern,
                hosts.len()
            );
            for h in hosts {
                let _ = writeln!(out, "      {h}");
            }
        }
        if let Some(tasks) = &play.tasks {
            let _ = writeln!(out, "    tasks:");
            for task in tasks {
                let _ = writeln!(out, "      {}\tTAGS: [{}]", task.name, task.tags.join(", "));
            }
        }
        if let Some(tags) = &play.tags {
            let _ = writeln!(out, "      TASK TAGS: [{}]", tags.join(", "));
        }
    }
    out
}
