//! Events: what the engine reports while it runs. Printers turn them into lines, bars or JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::modules::Diff;

/// The result of one task on one host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HostStatus {
    Ok,
    Changed,
    Failed,
    Skipped,
    Unreachable,
}

/// Per-host totals for the recap, like Ansible's PLAY RECAP. The same type is the `recap` JSON
/// event and the `hosts` of a deploy record (`hook::notes`): the field names and their order are
/// an on-disk format, and a missing field reads as 0 (records of older versions still read).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counts {
    pub ok: u32,
    pub changed: u32,
    pub unreachable: u32,
    pub failed: u32,
    pub skipped: u32,
    pub rescued: u32,
    pub ignored: u32,
}

impl Counts {
    /// `unreachable`, `failed` or `ok`: the host's result, the worst first.
    pub fn result(&self) -> &'static str {
        if self.unreachable > 0 {
            "unreachable"
        } else if self.failed > 0 {
            "failed"
        } else {
            "ok"
        }
    }
}

/// One thing that happened during a run. Serialized as one JSON object per line with `--json`.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    PlayStart {
        name: String,
        hosts: Vec<String>,
    },
    TaskStart {
        name: String,
        /// `file:line` of the task.
        location: String,
        handler: bool,
    },
    /// A line of live output from a running command.
    Output {
        host: String,
        line: String,
    },
    HostResult {
        host: String,
        task: String,
        status: HostStatus,
        #[serde(skip_serializing_if = "Option::is_none")]
        item: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        msg: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        diff: Vec<Diff>,
        /// Registered output shown on failure or with `-v`, already masked.
        #[serde(skip_serializing_if = "Option::is_none")]
        result: Option<serde_json::Value>,
        ignored: bool,
        /// Where the task was delegated, as Ansible shows it: `db1`, or `db1(10.0.0.5)` when
        /// its `ansible_host` is not its name.
        #[serde(skip_serializing_if = "Option::is_none")]
        delegated_to: Option<String>,
    },
    Warning {
        message: String,
    },
    /// Handlers notified on a host that stopped (failed or unreachable) before they ran; they
    /// are owed to the host and run on its next deploy (`--pending-handlers`).
    HandlersPending {
        host: String,
        handlers: Vec<String>,
    },
    Recap {
        hosts: BTreeMap<String, Counts>,
    },
}
