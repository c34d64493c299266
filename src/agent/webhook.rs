//! The webhook: after a pass that did something or went wrong, one POST telling where, what and
//! how it went, with the masked log. The `webhook:` section of the agent's configuration is
//! [`WebhookConfig`]; the run loop calls [`notify_or_warn`] after each pass. A dead receiver
//! costs at most `timeout_secs` and a warning: it never fails the pass.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::report::PassReport;
use super::signature;
use super::webhook_payload::{self, Payload};
use super::webhook_send::{self, DeliveryError, RetryPolicy};
use crate::secrets::{Masker, SecretString};

/// `webhook:` in `/etc/playhook/agent.yaml`.
///
/// ```yaml
/// webhook:
///   url: https://ci.example.org/hooks/playhook
///   format: generic            # generic (default), discord or slack
///   secret_file: /etc/playhook/webhook.key   # signs generic bodies (X-Playhook-Signature-256)
///   send: noteworthy           # noteworthy (default) or always
///   attempts: 4
///   timeout_secs: 30
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where to POST (`http://` or `https://`). A Discord or Slack URL is a credential: the
    /// configuration file stays root-only and playhook never prints more than its host.
    pub url: String,
    /// The body's shape.
    #[serde(default)]
    pub format: WebhookFormat,
    /// A root-only file holding the HMAC-SHA256 key (surrounding whitespace ignored); each body
    /// is then signed in `X-Playhook-Signature-256: sha256=<hex>`, as GitHub and Gitea sign theirs.
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    /// Which passes are announced.
    #[serde(default)]
    pub send: SendWhen,
    /// Attempts in all (1 to 10); transport errors, 408, 429 and 5xx are retried.
    #[serde(default = "default_attempts")]
    pub attempts: u32,
    /// The whole delivery, retries and waits included, ends within this many seconds (1 to 300).
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// The log is cut to its last this many bytes (Slack gets at most its last 3000).
    #[serde(default = "default_max_log_bytes")]
    pub max_log_bytes: usize,
}

fn default_attempts() -> u32 {
    4
}
fn default_timeout_secs() -> u64 {
    30
}
fn default_max_log_bytes() -> usize {
    1 << 20
}

/// The body's shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// playhook's JSON: every field of the pass (see README, "Webhook").
    #[default]
    Generic,
    /// A Discord message with the log as a file attachment.
    Discord,
    /// A Slack incoming-webhook message with the log's tail.
    Slack,
}

/// Which passes are announced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendWhen {
    /// Passes that applied, failed, refused, errored or found drift.
    #[default]
    Noteworthy,
    /// Every pass, up-to-date ones too.
    Always,
}

/// What [`notify`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notified {
    /// Delivered, in this many attempts.
    Delivered(u32),
    /// Nothing to announce (an up-to-date pass under `send: noteworthy`).
    Skipped,
}

/// Why the webhook could not be told.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook: `url` must start with http:// or https://")]
    BadUrl,
    #[error("webhook: `{key}` must be between {min} and {max}")]
    OutOfRange { key: &'static str, min: u64, max: u64 },
    #[error("webhook: reading `secret_file` {}: check it exists and is readable by the agent", path.display())]
    Secret {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("webhook: `secret_file` {} is empty", path.display())]
    EmptySecret { path: PathBuf },
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
}

impl WebhookConfig {
    /// Checks the values a YAML type cannot: the URL's scheme and the bounds.
    pub fn validate(&self) -> Result<(), WebhookError> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(WebhookError::BadUrl);
        }
        if !(1..=10).contains(&self.attempts) {
            return Err(WebhookError::OutOfRange {
                key: "attempts",
                min: 1,
                max: 10,
            });
        }
        if !(1..=300).contains(&self.timeout_secs) {
            return Err(WebhookError::OutOfRange {
                key: "timeout_secs",
                min: 1,
                max: 300,
            });
        }
        Ok(())
    }

    fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            attempts: self.attempts,
            total: Duration::from_secs(self.timeout_secs),
            first_backoff: Duration::from_secs(1),
        }
    }
}

/// The request for a pass: body and headers (signed when a key is given).
pub fn request(
    config: &WebhookConfig,
    report: &PassReport,
    masker: &Masker,
    key: Option<&SecretString>,
) -> (Payload, Vec<(String, String)>) {
    // The signing key is a secret too: it never reaches a body.
    let masker = match key {
        Some(k) => masker.combined(&Masker::new([k.expose()])),
        None => masker.clone(),
    };
    let mut payload = webhook_payload::build(config.format, report, &masker, config.max_log_bytes);
    // Whatever a field held, the whole body is masked once more before it is signed.
    if let Ok(text) = std::str::from_utf8(&payload.body) {
        if let std::borrow::Cow::Owned(masked) = masker.mask(text) {
            payload.body = masked.into_bytes();
        }
    }
    let mut headers = vec![
        ("X-Playhook-Event".to_string(), "agent.pass".to_string()),
        ("X-Playhook-Delivery".to_string(), webhook_payload::random_hex()),
    ];
    if let Some(key) = key {
        headers.push((
            signature::PLAYHOOK_HEADER.to_string(),
            signature::sign_header(key.expose().as_bytes(), &payload.body),
        ));
    }
    (payload, headers)
}

/// Announces the pass when it is noteworthy (or `send: always`). `masker` hides the
/// repository's secrets; the log in the report is masked already and is masked again.
pub fn notify(
    config: &WebhookConfig,
    report: &PassReport,
    masker: &Masker,
) -> Result<Notified, WebhookError> {
    config.validate()?;
    if config.send == SendWhen::Noteworthy && !report.is_noteworthy() {
        return Ok(Notified::Skipped);
    }
    let key = match &config.secret_file {
        Some(path) => Some(signature::read_key_file(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::InvalidData {
                WebhookError::EmptySecret { path: path.clone() }
            } else {
                WebhookError::Secret {
                    path: path.clone(),
                    source,
                }
            }
        })?),
        None => None,
    };
    let (payload, headers) = request(config, report, masker, key.as_ref());
    let attempts = webhook_send::deliver(&config.url, &payload, &headers, config.policy())?;
    Ok(Notified::Delivered(attempts))
}

/// [`notify`], a failure only logged as a warning: the pass's outcome never depends on it.
pub fn notify_or_warn(config: &WebhookConfig, report: &PassReport, masker: &Masker) -> Option<Notified> {
    match notify(config, report, masker) {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::warn!("{}", crate::error_chain::report(&e));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> Result<WebhookConfig, serde_yaml_ng::Error> {
        serde_yaml_ng::from_str(yaml)
    }

    #[test]
    fn defaults_and_unknown_keys() {
        let c = config("url: https://x.example/h").expect("parses");
        assert_eq!(c.format, WebhookFormat::Generic);
        assert_eq!(c.send, SendWhen::Noteworthy);
        assert_eq!((c.attempts, c.timeout_secs), (4, 30));
        assert!(c.validate().is_ok());
        let err = config("url: https://x\nformat: teams").expect_err("unknown format");
        assert!(err.to_string().contains("teams"), "{err}");
        let err = config("url: https://x\nretries: 3").expect_err("unknown key");
        assert!(err.to_string().contains("retries"), "{err}");
    }

    #[test]
    fn validation_names_the_key() {
        let mut c = config("url: ftp://x").expect("parses");
        assert!(matches!(c.validate(), Err(WebhookError::BadUrl)));
        c.url = "http://x".into();
        c.attempts = 0;
        assert!(c.validate().is_err_and(|e| e.to_string().contains("`attempts`")));
        c.attempts = 2;
        c.timeout_secs = 3600;
        assert!(
            c.validate()
                .is_err_and(|e| e.to_string().contains("`timeout_secs`"))
        );
    }

    #[test]
    fn requests_are_signed_and_the_key_masked() {
        let c = config("url: http://x/h").expect("parses");
        let mut report = crate::agent::webhook_payload::tests::report();
        report.log = "the key is webhook-key-123".into();
        let key = SecretString::new("webhook-key-123".into());
        let (payload, headers) = request(&c, &report, &Masker::default(), Some(&key));
        let body = String::from_utf8(payload.body.clone()).expect("utf-8");
        assert!(!body.contains("webhook-key-123"), "{body}");
        let sig = headers
            .iter()
            .find(|(k, _)| k == signature::PLAYHOOK_HEADER)
            .map(|(_, v)| v.clone())
            .expect("signed");
        assert!(signature::verify_header(b"webhook-key-123", &payload.body, &sig));
        let (_, unsigned) = request(&c, &report, &Masker::default(), None);
        assert!(!unsigned.iter().any(|(k, _)| k == signature::PLAYHOOK_HEADER));
    }
}
