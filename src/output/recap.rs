//! The final per-host summary, like Ansible's PLAY RECAP.

use std::collections::BTreeMap;

use super::event::Counts;

/// One aligned line per host: `host : ok=N changed=N unreachable=N failed=N skipped=N rescued=N ignored=N`.
pub fn recap_lines(hosts: &BTreeMap<String, Counts>, color: bool) -> Vec<String> {
    let width = hosts.keys().map(|h| h.chars().count()).max().unwrap_or(0).max(26);
    hosts
        .iter()
        .map(|(host, c)| {
            let code = if c.failed > 0 || c.unreachable > 0 {
                "31"
            } else if c.changed > 0 {
                "33"
            } else {
                "32"
            };
            let name = if color {
                format!("\x1b[{code}m{host:<width$}\x1b[0m")
            } else {
                format!("{host:<width$}")
            };
            let field = |label: &str, n: u32| format!("{:<15}", format!("{label}={n}"));
            format!(
                "{name} : {}{}{}{}{}{}ignored={}",
                field("ok", c.ok),
                field("changed", c.changed),
                field("unreachable", c.unreachable),
                field("failed", c.failed),
                field("skipped", c.skipped),
                field("rescued", c.rescued),
                c.ignored
            )
        })
        .collect()
}
