//! `playhook status`: per host, the last commit a real deploy applied and how it went.

use super::notes::Record;
use crate::output::Counts;

/// One host's last real deploy.
#[derive(Clone, Debug, PartialEq)]
pub struct HostState {
    pub host: String,
    pub counts: Counts,
    pub record: Record,
}

/// Walks the records (newest first) and keeps, per host, the newest real (not check-mode)
/// deploy that reached it. Sorted by host name.
pub fn per_host(records: &[Record]) -> Vec<HostState> {
    let mut out: Vec<HostState> = Vec::new();
    for r in records.iter().filter(|r| r.mode == "real") {
        for (host, counts) in &r.hosts {
            if !out.iter().any(|s| &s.host == host) {
                out.push(HostState {
                    host: host.clone(),
                    counts: *counts,
                    record: r.clone(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.host.cmp(&b.host));
    out
}
