//! Delivering one webhook request: a POST retried with exponential backoff on transport errors,
//! 408, 429 and 5xx, within a total time bound, never following redirects. Errors name the
//! receiver by scheme and host only: a Discord or Slack URL's path is its token.

use std::time::{Duration, Instant};

use ureq::tls::{RootCerts, TlsConfig, TlsProvider};

use super::webhook_payload::Payload;

/// How hard to try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The whole delivery, waits included, ends by then.
    pub total: Duration,
    /// The wait before the second attempt; it doubles each time.
    pub first_backoff: Duration,
}

/// Why a delivery gave up.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("webhook {receiver} answered {status} after {attempts} attempt(s)")]
    Status {
        receiver: String,
        status: u16,
        attempts: u32,
    },
    #[error("webhook {receiver} unreachable after {attempts} attempt(s): {reason}")]
    Transport {
        receiver: String,
        attempts: u32,
        reason: String,
    },
}

/// The receiver as a person may see it: `https://discord.com/...`.
pub fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            // user:password@ never shown either.
            let host = authority.rsplit('@').next().unwrap_or_default();
            format!("{scheme}://{host}/...")
        }
        None => "(an invalid URL)".into(),
    }
}

enum Attempt {
    Delivered,
    /// Worth another try, after at least this long (Retry-After).
    Retry(Failure, Option<Duration>),
    Fatal(Failure),
}

enum Failure {
    Status(u16),
    Transport(String),
}

/// POSTs the payload with `headers`; the number of attempts it took.
pub fn deliver(
    url: &str,
    payload: &Payload,
    headers: &[(String, String)],
    policy: RetryPolicy,
) -> Result<u32, DeliveryError> {
    let start = Instant::now();
    let mut backoff = policy.first_backoff;
    let mut attempts = 0;
    loop {
        let remaining = policy.total.saturating_sub(start.elapsed());
        attempts += 1;
        match attempt(url, payload, headers, remaining) {
            Attempt::Delivered => return Ok(attempts),
            Attempt::Fatal(f) => return Err(error(url, f, attempts)),
            Attempt::Retry(f, retry_after) => {
                let wait = retry_after.map_or(backoff, |r| r.max(backoff));
                let left = policy.total.saturating_sub(start.elapsed());
                // Another attempt needs the wait and at least a moment to connect.
                if attempts >= policy.attempts || wait + Duration::from_millis(200) >= left {
                    return Err(error(url, f, attempts));
                }
                std::thread::sleep(wait);
            }
        }
        backoff = backoff.saturating_mul(2);
    }
}

fn error(url: &str, failure: Failure, attempts: u32) -> DeliveryError {
    let receiver = redacted(url);
    match failure {
        Failure::Status(status) => DeliveryError::Status {
            receiver,
            status,
            attempts,
        },
        Failure::Transport(reason) => DeliveryError::Transport {
            receiver,
            attempts,
            // An error may quote the URL it was given.
            reason: reason.replace(url, &redacted(url)),
        },
    }
}

fn attempt(url: &str, payload: &Payload, headers: &[(String, String)], timeout: Duration) -> Attempt {
    let tls = TlsConfig::builder()
        .provider(TlsProvider::NativeTls)
        .root_certs(RootCerts::PlatformVerifier)
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(concat!("playhook/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build()
        .into();
    let mut request = agent
        .post(url)
        .header("Content-Type", payload.content_type.as_str());
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    match request.send(payload.body.as_slice()) {
        Ok(response) => {
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            match status {
                200..=299 => Attempt::Delivered,
                408 | 429 | 500..=599 => Attempt::Retry(Failure::Status(status), retry_after),
                _ => Attempt::Fatal(Failure::Status(status)),
            }
        }
        Err(ureq::Error::BadUri(reason)) => Attempt::Fatal(Failure::Transport(reason)),
        Err(e) => Attempt::Retry(Failure::Transport(e.to_string()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivers_are_shown_without_their_token() {
        assert_eq!(
            redacted("https://discord.com/api/webhooks/123/SECRETTOKEN?wait=true"),
            "https://discord.com/..."
        );
        assert_eq!(
            redacted("http://u:pw@example.org:8080"),
            "http://example.org:8080/..."
        );
        assert_eq!(redacted("nonsense"), "(an invalid URL)");
    }
}
