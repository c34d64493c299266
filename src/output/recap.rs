//! The final per-host summary, like Ansible's PLAY RECAP.

use std::collections::BTreeMap;

use super::event::Counts;

/// One aligned line per host: `host : ok=N changed=N unreachable=N failed=N skipped=N rescued=N ignored=N`.
pub fn recap_lines(hosts: &BTreeMap<String, Counts>, color: bool) -> Vec<String> {
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
            let name = if color { format!("\x1b[{code}m{host:<26}\x1b[0m") } else { format!("{host:<26}") };
            format!(
                "{name} : ok={:<4} changed={:<4} unreachable={:<4} failed={:<4} skipped={:<4} rescued={:<4} ignored={:<4}",
                c.ok, c.changed, c.unreachable, c.failed, c.skipped, c.rescued, c.ignored
            )
            .trim_end()
            .to_string()
        })
        .collect()
}
