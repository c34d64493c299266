//! Fact gathering (`gather_facts`, and the `setup` module to come): one shell script, one round
//! trip, reading only what `sh`, coreutils, `/etc` and `/proc`/`/sys` (and `ip`, `getent`,
//! `findmnt`, `lsblk`, `lsb_release`, `python3` where present) give, parsed on the controller into
//! the subset of Ansible's `setup` facts that repositories use, with the values `setup` reports on
//! the same machine.
//!
//! Each collector is a file: the shell [`Snippet`]s it needs (printing raw sections) and a parser
//! of those sections into facts. [`gather`] assembles the script from the snippets of the
//! collectors a [`Selection`] picks, runs it once, and lets each collector parse its sections, in
//! an order where a collector's requirements (`pkg_mgr` reads `os_family`) come first.

mod date_time;
mod devices;
mod distribution;
mod env;
mod hardware;
mod lsb;
mod mounts;
mod network;
mod pkg_mgr;
mod platform;
mod python;
mod sections;
mod selection;
mod selinux;
mod service_mgr;
mod user;
mod virtualization;

use indexmap::IndexMap;
use minijinja::Value;

use crate::connection::{Connection, ConnectionError, Via};

use sections::Sections;
pub use sections::Snippet;
pub use selection::{Selection, fnmatch};

/// Facts as collectors build them: names without the `ansible_` prefix.
pub type Facts = IndexMap<String, Value>;

/// Fact gathering failed on a host.
#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("gathering facts")]
    Connection(#[source] ConnectionError),
    #[error("gathering facts: the fact script exited with {rc}: {stderr}")]
    Script { rc: i32, stderr: String },
}

/// One collector of facts.
struct Collector {
    /// The Ansible collector whose facts these are (what `gather_subset` selects).
    ansible: &'static str,
    /// The shell pieces whose sections it reads.
    snippets: &'static [&'static Snippet],
    /// The facts it can set.
    facts: &'static [&'static str],
    /// Turns its sections into facts; may read facts of the collectors before it.
    parse: fn(&Sections, &mut Facts),
}

/// Every collector, each after those whose facts it reads.
const COLLECTORS: &[Collector] = &[
    Collector {
        ansible: "platform",
        snippets: platform::SNIPPETS,
        facts: platform::FACTS,
        parse: platform::parse,
    },
    Collector {
        ansible: "distribution",
        snippets: distribution::SNIPPETS,
        facts: distribution::FACTS,
        parse: distribution::parse,
    },
    Collector {
        ansible: "lsb",
        snippets: lsb::SNIPPETS,
        facts: lsb::FACTS,
        parse: lsb::parse,
    },
    Collector {
        ansible: "selinux",
        snippets: selinux::SNIPPETS,
        facts: selinux::FACTS,
        parse: selinux::parse,
    },
    Collector {
        ansible: "python",
        snippets: python::SNIPPETS,
        facts: python::FACTS,
        parse: python::parse,
    },
    Collector {
        ansible: "user",
        snippets: user::SNIPPETS,
        facts: user::FACTS,
        parse: user::parse,
    },
    Collector {
        ansible: "pkg_mgr",
        snippets: pkg_mgr::SNIPPETS,
        facts: pkg_mgr::FACTS,
        parse: pkg_mgr::parse,
    },
    Collector {
        ansible: "service_mgr",
        snippets: service_mgr::SNIPPETS,
        facts: service_mgr::FACTS,
        parse: service_mgr::parse,
    },
    Collector {
        ansible: "date_time",
        snippets: date_time::SNIPPETS,
        facts: date_time::FACTS,
        parse: date_time::parse,
    },
    Collector {
        ansible: "env",
        snippets: env::SNIPPETS,
        facts: env::FACTS,
        parse: env::parse,
    },
    Collector {
        ansible: "virtual",
        snippets: virtualization::SNIPPETS,
        facts: virtualization::FACTS,
        parse: virtualization::parse,
    },
    Collector {
        ansible: "hardware",
        snippets: hardware::SNIPPETS,
        facts: hardware::FACTS,
        parse: hardware::parse,
    },
    Collector {
        ansible: "hardware",
        snippets: mounts::SNIPPETS,
        facts: mounts::FACTS,
        parse: mounts::parse,
    },
    Collector {
        ansible: "hardware",
        snippets: devices::SNIPPETS,
        facts: devices::FACTS,
        parse: devices::parse,
    },
    Collector {
        ansible: "network",
        snippets: network::SNIPPETS,
        facts: network::FACTS,
        parse: network::parse,
    },
];

/// Every fact playhook can gather (names without `ansible_`).
pub fn names() -> impl Iterator<Item = &'static str> {
    COLLECTORS.iter().flat_map(|c| c.facts.iter().copied())
}

/// Whether playhook can gather fact `name` (without `ansible_`).
pub fn is_fact(name: &str) -> bool {
    names().any(|n| n == name)
}

fn selected(selection: &Selection) -> impl Iterator<Item = &'static Collector> + '_ {
    COLLECTORS.iter().filter(|c| selection.runs(c.ansible))
}

/// The script gathering the selected facts.
pub fn script(selection: &Selection) -> String {
    sections::script(selected(selection).flat_map(|c| c.snippets.iter().copied()))
}

/// Gathers the facts `selection` picks from the host behind `conn`, in one command.
///
/// Returns the `ansible_facts` mapping (keys without the `ansible_` prefix); use
/// [`top_level_vars`] for the variables a play sees.
pub async fn gather(
    conn: &mut dyn Connection,
    via: &Via,
    selection: &Selection,
) -> Result<Value, FactsError> {
    let cmd = via.command(script(selection));
    let out = conn.run(&cmd, None).await.map_err(FactsError::Connection)?;
    if out.rc != 0 {
        return Err(FactsError::Script {
            rc: out.rc,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(parse(&String::from_utf8_lossy(&out.stdout), selection))
}

/// Turns the script's output into the facts mapping.
pub fn parse(output: &str, selection: &Selection) -> Value {
    let sections = Sections::split(output);
    let mut facts = Facts::new();
    for collector in selected(selection) {
        (collector.parse)(&sections, &mut facts);
    }
    facts.retain(|name, _| selection.keeps(name));
    Value::from_pairs(facts)
}

/// The variables gathering adds to a host: `ansible_facts` and an `ansible_<name>` alias for
/// each fact, as Ansible injects them.
pub fn top_level_vars(facts: &Value) -> IndexMap<String, Value> {
    let mut vars = IndexMap::new();
    vars.insert("ansible_facts".to_string(), facts.clone());
    if let Ok(keys) = facts.try_iter() {
        for key in keys {
            if let Some(name) = key.as_str() {
                vars.insert(
                    format!("ansible_{name}"),
                    facts.get_item(&key).unwrap_or_default(),
                );
            }
        }
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets_run_fewer_programs() {
        let all = script(&Selection::all());
        assert!(all.contains("ph_s cpuinfo") && all.contains("ph_s ip"));
        assert_eq!(all.matches("ph_s uname").count(), 1, "shared snippets run once");
        let min = Selection::parse(&["!all".to_string()], &[]).expect("valid");
        let text = script(&min);
        assert!(text.contains("ph_s os-release") && !text.contains("ph_s ip") && !text.contains("cpuinfo"));
    }

    #[test]
    fn every_fact_name_is_known() {
        assert!(is_fact("default_ipv4") && is_fact("pkg_mgr") && is_fact("mounts"));
        assert!(!is_fact("totally_made_up"));
    }

    #[test]
    fn filter_keeps_matching_facts() {
        let out = "@@playhook-facts:uname\nLinux\nweb1\n6.1\n#1 SMP\nx86_64\n";
        let sel = Selection::parse(&[], &["kernel*".to_string()]).expect("valid");
        let facts = parse(out, &sel);
        let keys: Vec<String> = facts.try_iter().expect("map").map(|k| k.to_string()).collect();
        assert_eq!(keys, ["kernel", "kernel_version"]);
    }
}
