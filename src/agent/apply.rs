//! Applying one commit: `playhook deploy` on the checked-out commit, as a child process, limited
//! to this machine's inventory hosts and forced onto the local connection — the same engine,
//! printer and secret masking as a push deploy. Its output is teed to the pass's log; its
//! `--events` file gives the recap, the changed tasks (drift) and the handlers still owed.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use super::report::PassResult;
use crate::hook::HookError;
use crate::hook::deploy::read_events;
use crate::hook::pending::Pending;
use crate::hook::stream::{self, Sink};
use crate::output::Counts;

/// One run of the playbook.
#[derive(Debug)]
pub struct Job<'a> {
    /// The `playhook` binary.
    pub exe: &'a Path,
    pub checkout: &'a Path,
    /// This machine's inventory names.
    pub hosts: &'a [String],
    pub tags: &'a [String],
    /// Check mode: report what would change (a drift pass).
    pub check: bool,
    pub key_file: Option<&'a Path>,
    /// Handlers owed from an earlier pass (`--pending-handlers`).
    pub pending_file: Option<&'a Path>,
    pub events: &'a Path,
    /// Who holds the host's deploy lock while this runs.
    pub holder: &'a str,
}

/// What the run did.
#[derive(Debug)]
pub struct Applied {
    pub result: PassResult,
    pub exit_code: Option<i32>,
    pub counts: BTreeMap<String, Counts>,
    /// `host: task` for every task that changed (or in check mode would change).
    pub changed_tasks: Vec<String>,
    pub pending: Pending,
}

impl Job<'_> {
    /// The child's command line.
    pub fn args(&self) -> Vec<OsString> {
        let mut a: Vec<OsString> = vec![
            "deploy".into(),
            "-C".into(),
            self.checkout.into(),
            "--color".into(),
            "never".into(),
            "--events".into(),
            self.events.into(),
            "-l".into(),
            self.hosts.join(",").into(),
            "-e".into(),
            "ansible_connection=local".into(),
            "--lock-holder".into(),
            self.holder.into(),
        ];
        if self.check {
            a.push("--check".into());
        }
        if let Some(k) = self.key_file {
            a.extend(["--key-file".into(), k.into()]);
        }
        if let Some(p) = self.pending_file {
            a.extend(["--pending-handlers".into(), p.into()]);
        }
        if !self.tags.is_empty() {
            a.push("--".into());
            a.extend(self.tags.iter().map(OsString::from));
        }
        a
    }

    /// Runs the playbook, its lines to `sink` and `log`.
    pub fn run(&self, sink: &Sink, log: &mut std::fs::File) -> Result<Applied, HookError> {
        let mut cmd = std::process::Command::new(self.exe);
        cmd.args(self.args()).current_dir(self.checkout);
        // The key reaches the child as a file, never through the environment.
        cmd.env_remove("SECRETS_KEY");
        let finished = stream::run(cmd, sink, log, Duration::from_secs(60), None)?;
        let events = read_events(self.events);
        let result = match finished.code {
            Some(0) => PassResult::Ok,
            Some(2) | Some(3) => PassResult::Failed,
            _ => PassResult::Error,
        };
        Ok(Applied {
            result,
            exit_code: finished.code,
            counts: events.recap,
            changed_tasks: changed_tasks(self.events),
            pending: events.pending,
        })
    }
}

/// `host: task` of every `changed` result in an events file.
fn changed_tasks(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "host_result" && v["status"] == "changed")
        .map(|v| {
            let item = v["item"].as_str().map(|i| format!(" ({i})")).unwrap_or_default();
            format!(
                "{}: {}{item}",
                v["host"].as_str().unwrap_or("?"),
                v["task"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_limits_to_this_host_over_local() {
        let hosts = vec!["web01".to_string(), "localhost".to_string()];
        let tags = vec!["dns".to_string()];
        let job = Job {
            exe: Path::new("/usr/local/bin/playhook"),
            checkout: Path::new("/tmp/co"),
            hosts: &hosts,
            tags: &tags,
            check: true,
            key_file: Some(Path::new("/etc/playhook/secret.key")),
            pending_file: None,
            events: Path::new("/var/lib/playhook/agent/logs/x.events.jsonl"),
            holder: "playhook agent",
        };
        let line: Vec<String> = job
            .args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            line.join(" "),
            "deploy -C /tmp/co --color never --events /var/lib/playhook/agent/logs/x.events.jsonl \
             -l web01,localhost -e ansible_connection=local --lock-holder playhook agent --check \
             --key-file /etc/playhook/secret.key -- dns"
        );
    }

    #[test]
    fn changed_results_are_the_drift() {
        let tmp = tempfile::tempdir().expect("tmp");
        let p = tmp.path().join("e.jsonl");
        std::fs::write(
            &p,
            "{\"event\":\"host_result\",\"host\":\"m1\",\"task\":\"motd\",\"status\":\"changed\",\"ignored\":false}\n\
             {\"event\":\"host_result\",\"host\":\"m1\",\"task\":\"ok one\",\"status\":\"ok\",\"ignored\":false}\n",
        )
        .expect("write");
        assert_eq!(changed_tasks(&p), ["m1: motd"]);
    }
}
