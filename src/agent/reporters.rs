//! The reporters a pass ends with, from the `webhook:` and `metrics:` sections of the agent's
//! configuration (and the check of `serve:`): parsed and checked when the configuration is
//! read ([`check_sections`]), run after each pass ([`Reporters::after_pass`]), where a failure
//! is a warning line, never the pass's failure.

use std::path::Path;

use super::metrics::{self, MetricsConfig};
use super::report::PassReport;
use super::serve::ServeConfig;
use super::webhook::{self, WebhookConfig};
use crate::secrets::Masker;

/// The configured reporters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reporters {
    pub webhook: Option<WebhookConfig>,
    pub metrics: MetricsConfig,
}

fn section<T: serde::de::DeserializeOwned>(
    name: &str,
    value: Option<&serde_yaml_ng::Value>,
) -> Result<Option<T>, String> {
    value
        .map(|v| serde_yaml_ng::from_value(v.clone()).map_err(|e| format!("`{name}:` {e}")))
        .transpose()
}

impl Reporters {
    /// The reporters of these sections, checked.
    pub fn parse(
        webhook: Option<&serde_yaml_ng::Value>,
        metrics: Option<&serde_yaml_ng::Value>,
    ) -> Result<Reporters, String> {
        let webhook: Option<WebhookConfig> = section("webhook", webhook)?;
        if let Some(w) = &webhook {
            w.validate().map_err(|e| e.to_string())?;
        }
        let metrics: MetricsConfig = section("metrics", metrics)?.unwrap_or_default();
        metrics.validate().map_err(|e| e.to_string())?;
        Ok(Reporters { webhook, metrics })
    }

    /// Records the pass in the metrics and tells the webhook (when it is noteworthy). Returns
    /// what went wrong, as warnings; the pass's outcome does not depend on it.
    pub fn after_pass(&self, state_dir: &Path, report: &PassReport, masker: &Masker) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Err(e) = metrics::record(state_dir, &self.metrics, report) {
            warnings.push(crate::error_chain::render(&e));
        }
        if let Some(w) = &self.webhook {
            if let Err(e) = webhook::notify(w, report, masker) {
                warnings.push(crate::error_chain::render(&e));
            }
        }
        warnings
    }
}

/// Checks the sections this module owns (`webhook:`, `metrics:`, `serve:`) as the configuration
/// is read, so a mistake is found before any pass.
pub fn check_sections(
    webhook: Option<&serde_yaml_ng::Value>,
    metrics: Option<&serde_yaml_ng::Value>,
    serve: Option<&serde_yaml_ng::Value>,
) -> Result<(), String> {
    Reporters::parse(webhook, metrics)?;
    if let Some(s) = section::<ServeConfig>("serve", serve)? {
        s.validate().map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> serde_yaml_ng::Value {
        serde_yaml_ng::from_str(text).expect("yaml")
    }

    #[test]
    fn sections_are_checked_by_name() {
        assert!(check_sections(None, None, None).is_ok());
        let w = yaml("url: https://x/h\nformat: slack");
        let m = yaml("textfile: /var/lib/node/playhook.prom");
        let s = yaml("listen: 0.0.0.0:9222\nburst: 3");
        assert!(check_sections(Some(&w), Some(&m), Some(&s)).is_ok());
        let err = check_sections(Some(&yaml("url: https://x\nformt: slack")), None, None).expect_err("typo");
        assert!(err.starts_with("`webhook:` unknown field `formt`"), "{err}");
        let err = check_sections(None, Some(&yaml("textfile: /x.txt")), None).expect_err("name");
        assert!(err.contains(".prom"), "{err}");
        let err = check_sections(None, None, Some(&yaml("burst: 0"))).expect_err("zero");
        assert!(err.contains("`burst`"), "{err}");
    }

    #[test]
    fn after_pass_records_metrics_and_warns_about_a_dead_webhook() {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let w = yaml(&format!(
            "url: http://127.0.0.1:{port}/h\nattempts: 1\ntimeout_secs: 2"
        ));
        let reporters = Reporters::parse(Some(&w), None).expect("parses");
        let mut report = crate::agent::webhook_payload::tests::report();
        report.result = crate::agent::report::PassResult::Failed;
        let warnings = reporters.after_pass(dir.path(), &report, &Masker::default());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("unreachable after 1 attempt(s)"),
            "{warnings:?}"
        );
        assert_eq!(
            metrics::load(dir.path()).expect("loads").map(|s| s.runs_total),
            Some(1)
        );
    }
}
