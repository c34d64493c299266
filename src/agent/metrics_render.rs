//! Prometheus text exposition (format 0.0.4) of a metrics [`Snapshot`]: `# HELP` and `# TYPE`
//! before each family, label values escaped, one sample a line.

use std::fmt::Write as _;

use super::metrics::Snapshot;
use super::report::PassResult;

/// The `Content-Type` of [`render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

const RESULTS: [(PassResult, &str); 5] = [
    (PassResult::Ok, "ok"),
    (PassResult::Unchanged, "unchanged"),
    (PassResult::Failed, "failed"),
    (PassResult::Refused, "refused"),
    (PassResult::Error, "error"),
];

/// A label value with `\`, `"` and newlines escaped.
pub fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

struct Out(String);

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            let inner: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                .collect();
            let _ = write!(self.0, "{{{}}}", inner.join(","));
        }
        let _ = writeln!(self.0, " {value}");
    }

    fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, "gauge", help);
        self.sample(name, &[], value);
    }
}

/// The exposition of the agent's state; before any pass, only the counters (at 0).
pub fn render(snapshot: Option<&Snapshot>) -> String {
    let mut out = Out(String::new());
    let fresh = Snapshot::default();
    let s = snapshot.unwrap_or(&fresh);
    if snapshot.is_some() {
        out.family(
            "playhook_agent_info",
            "gauge",
            "The commit applied on this host, its branch and the host; always 1.",
        );
        out.sample(
            "playhook_agent_info",
            &[
                ("host", &s.host),
                ("branch", &s.branch),
                ("commit", s.commit.as_deref().unwrap_or("")),
                ("fetched", s.fetched.as_deref().unwrap_or("")),
            ],
            1.0,
        );
        if let Some(t) = s.last_run_unix {
            out.gauge(
                "playhook_agent_last_run_timestamp_seconds",
                "When the last pass ended, seconds since the Unix epoch.",
                t,
            );
        }
        if let Some(t) = s.last_success_unix {
            out.gauge(
                "playhook_agent_last_success_timestamp_seconds",
                "When the last pass that ended ok or up to date ended, seconds since the Unix epoch.",
                t,
            );
        }
        if let Some(result) = s.result {
            out.family(
                "playhook_agent_last_run_result",
                "gauge",
                "The last pass's result: 1 for it, 0 for the others.",
            );
            for (r, name) in RESULTS {
                let v = if r == result { 1.0 } else { 0.0 };
                out.sample("playhook_agent_last_run_result", &[("result", name)], v);
            }
        }
        out.gauge(
            "playhook_agent_last_run_changed_tasks",
            "Tasks the last pass changed (or, for a drift check, would change).",
            f64::from(s.changed),
        );
        out.gauge(
            "playhook_agent_last_run_failed_tasks",
            "Tasks that failed in the last pass, unreachable hosts counted.",
            f64::from(s.failed),
        );
        out.gauge(
            "playhook_agent_last_run_duration_seconds",
            "How long the last pass took.",
            s.duration_secs,
        );
        out.gauge(
            "playhook_agent_drift_tasks",
            "Tasks the last drift check found would change; 0 once an apply corrected them.",
            f64::from(s.drift),
        );
        out.gauge(
            "playhook_agent_frozen",
            "1 when the agent is frozen (it fetches but applies nothing).",
            if s.frozen { 1.0 } else { 0.0 },
        );
    }
    out.family("playhook_agent_runs_total", "counter", "Passes run.");
    out.sample("playhook_agent_runs_total", &[], s.runs_total as f64);
    out.family(
        "playhook_agent_fetch_errors_total",
        "counter",
        "Passes whose fetch failed.",
    );
    out.sample(
        "playhook_agent_fetch_errors_total",
        &[],
        s.fetch_errors_total as f64,
    );
    out.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn before_any_pass_only_the_counters() {
        assert_eq!(
            render(None),
            "# HELP playhook_agent_runs_total Passes run.\n\
             # TYPE playhook_agent_runs_total counter\n\
             playhook_agent_runs_total 0\n\
             # HELP playhook_agent_fetch_errors_total Passes whose fetch failed.\n\
             # TYPE playhook_agent_fetch_errors_total counter\n\
             playhook_agent_fetch_errors_total 0\n"
        );
    }

    #[test]
    fn a_snapshot_renders_every_family() {
        let s = Snapshot {
            host: "web\"1".into(),
            branch: "main".into(),
            commit: Some("abc".into()),
            last_run_unix: Some(1_764_000_004.5),
            result: Some(PassResult::Failed),
            changed: 2,
            failed: 1,
            duration_secs: 4.5,
            runs_total: 3,
            ..Snapshot::default()
        };
        let text = render(Some(&s));
        assert!(text.contains(
            "playhook_agent_info{host=\"web\\\"1\",branch=\"main\",commit=\"abc\",fetched=\"\"} 1\n"
        ));
        assert!(text.contains("playhook_agent_last_run_timestamp_seconds 1764000004.5\n"));
        assert!(!text.contains("last_success"));
        assert!(text.contains("playhook_agent_last_run_result{result=\"failed\"} 1\n"));
        assert!(text.contains("playhook_agent_last_run_result{result=\"ok\"} 0\n"));
        assert!(text.contains("playhook_agent_last_run_duration_seconds 4.5\n"));
        assert!(text.contains("playhook_agent_runs_total 3\n"));
    }
}
