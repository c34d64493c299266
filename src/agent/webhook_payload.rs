//! The bodies the webhook sends for one pass: playhook's generic JSON, Discord's multipart
//! message with the log attached (as seed 001's `curl -F file1=@log -F payload_json=...`), and
//! Slack's incoming-webhook JSON. Every text taken from the pass goes through the masker first.

use serde_json::json;

use super::report::{PassReport, PassResult};
use super::webhook::WebhookFormat;
use crate::secrets::Masker;

/// What to POST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Discord refuses a message's `content` over this many characters.
const DISCORD_CONTENT_MAX: usize = 2000;
/// Slack truncates a message's text past about this many characters; the log's tail fits.
const SLACK_LOG_MAX: usize = 3000;

/// The body for `format`, with the log cut to its last `max_log_bytes` bytes.
pub fn build(format: WebhookFormat, report: &PassReport, masker: &Masker, max_log_bytes: usize) -> Payload {
    let masked = Masked::of(report, masker, max_log_bytes);
    match format {
        WebhookFormat::Generic => generic(report, &masked),
        WebhookFormat::Discord => discord(report, &masked, &random_hex()),
        WebhookFormat::Slack => slack(report, &masked),
    }
}

/// The pass's free texts, masked, the log cut to its tail.
struct Masked {
    log: String,
    log_truncated: bool,
    error: Option<String>,
    drift: Vec<String>,
}

impl Masked {
    fn of(report: &PassReport, masker: &Masker, max_log_bytes: usize) -> Masked {
        let log = masker.mask(&report.log);
        let (log, log_truncated) = tail(&log, max_log_bytes);
        Masked {
            log,
            log_truncated,
            error: report.error.as_deref().map(|e| masker.mask(e).into_owned()),
            drift: report.drift.iter().map(|d| masker.mask(d).into_owned()).collect(),
        }
    }
}

/// The last `max` bytes of `text` (at a character boundary), and whether it was cut.
fn tail(text: &str, max: usize) -> (String, bool) {
    if text.len() <= max {
        return (text.to_string(), false);
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    (format!("[... {start} bytes cut ...]\n{}", &text[start..]), true)
}

fn result_name(result: PassResult) -> &'static str {
    match result {
        PassResult::Ok => "ok",
        PassResult::Unchanged => "unchanged",
        PassResult::Failed => "failed",
        PassResult::Refused => "refused",
        PassResult::Error => "error",
    }
}

fn short(commit: Option<&str>) -> &str {
    commit.map_or("-", |c| c.get(..7).unwrap_or(c))
}

/// One line a person reads first: host, result, commit, counts, duration.
pub fn summary(report: &PassReport) -> String {
    let icon = match report.result {
        PassResult::Ok => "\u{2705}",
        PassResult::Unchanged => "\u{2796}",
        PassResult::Failed => "\u{274c}",
        PassResult::Refused => "\u{26d4}",
        PassResult::Error => "\u{26a0}\u{fe0f}",
    };
    let commit = report.applied.as_deref().or(report.fetched.as_deref());
    let mode = if report.mode == "check" {
        " (drift check)"
    } else {
        ""
    };
    format!(
        "{icon} playhook agent on {}: {}{mode} at {}@{}: {} changed, {} failed, {:.1}s",
        report.host,
        result_name(report.result),
        report.branch,
        short(commit),
        report.changed(),
        report.failed(),
        report.duration_secs
    )
}

/// The summary, then the error and the drift, as lines.
fn message(report: &PassReport, masked: &Masked) -> String {
    let mut text = summary(report);
    if let Some(error) = &masked.error {
        text.push_str("\nerror: ");
        text.push_str(error);
    }
    if !masked.drift.is_empty() {
        text.push_str(&format!(
            "\ndrift: {} task(s) would change: {}",
            masked.drift.len(),
            masked.drift.join(", ")
        ));
    }
    text
}

fn generic(report: &PassReport, masked: &Masked) -> Payload {
    let body = json!({
        "event": "agent.pass",
        "host": report.host,
        "branch": report.branch,
        "result": result_name(report.result),
        "mode": report.mode,
        "comparison": report.comparison,
        "commit": report.applied,
        "fetched": report.fetched,
        "previous": report.previous,
        "started_unix_ms": report.started_unix_ms,
        "duration_secs": report.duration_secs,
        "changed": report.changed(),
        "failed": report.failed(),
        "counts": report.counts,
        "drift": masked.drift,
        "frozen": report.frozen,
        "error": masked.error,
        "log": masked.log,
        "log_truncated": masked.log_truncated,
    });
    Payload {
        content_type: "application/json".into(),
        body: body.to_string().into_bytes(),
    }
}

/// A file name of letters, digits, `.`, `-` and `_` only.
fn file_name(report: &PassReport) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let commit = report.applied.as_deref().or(report.fetched.as_deref());
    format!("playhook-{}-{}.log", clean(&report.host), clean(short(commit)))
}

fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('\u{2026}');
    cut
}

fn discord(report: &PassReport, masked: &Masked, boundary_seed: &str) -> Payload {
    let payload = json!({
        "content": truncate_chars(&message(report, masked), DISCORD_CONTENT_MAX),
        // Nothing in a log may ping @everyone or a role.
        "allowed_mentions": { "parse": [] },
    });
    let mut boundary = format!("playhook-{boundary_seed}");
    while masked.log.contains(&boundary) {
        boundary.push_str(&random_hex());
    }
    let mut body = String::new();
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\
         Content-Type: application/json\r\n\r\n{payload}\r\n"
    ));
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"{}\"\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
        file_name(report),
        masked.log
    ));
    body.push_str(&format!("--{boundary}--\r\n"));
    Payload {
        content_type: format!("multipart/form-data; boundary={boundary}"),
        body: body.into_bytes(),
    }
}

/// Slack's three control characters in message text.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn slack(report: &PassReport, masked: &Masked) -> Payload {
    let mut text = slack_escape(&message(report, masked));
    if !masked.log.trim().is_empty() {
        let (log, _) = tail(&masked.log, SLACK_LOG_MAX);
        text.push_str("\n```\n");
        text.push_str(&slack_escape(log.replace("```", "'''").trim_end()));
        text.push_str("\n```");
    }
    Payload {
        content_type: "application/json".into(),
        body: json!({ "text": text }).to_string().into_bytes(),
    }
}

/// 16 random bytes as hex: multipart boundaries and delivery ids.
pub fn random_hex() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::agent::report::Comparison;
    use crate::output::Counts;

    pub(crate) fn report() -> PassReport {
        let mut counts = BTreeMap::new();
        counts.insert(
            "web1".to_string(),
            Counts {
                ok: 5,
                changed: 2,
                failed: 1,
                ..Counts::default()
            },
        );
        PassReport {
            host: "web1".into(),
            branch: "main".into(),
            fetched: Some("0123456789abcdef".into()),
            previous: Some("fedcba9876543210".into()),
            applied: Some("0123456789abcdef".into()),
            comparison: Some(Comparison::FastForward),
            result: PassResult::Failed,
            mode: "real".into(),
            started_unix_ms: 1_700_000_000_000,
            duration_secs: 12.34,
            counts,
            drift: vec![],
            frozen: false,
            error: Some("task `x` failed with hunter2-canary".into()),
            log: "TASK [x]\nfailed: hunter2-canary <b> & ```\n".into(),
        }
    }

    fn masker() -> Masker {
        Masker::new(["hunter2-canary"])
    }

    #[test]
    fn generic_json_carries_the_pass_masked() {
        let p = build(WebhookFormat::Generic, &report(), &masker(), 1 << 20);
        assert_eq!(p.content_type, "application/json");
        let text = String::from_utf8(p.body).expect("utf-8");
        assert!(!text.contains("hunter2"), "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["result"], "failed");
        assert_eq!(v["commit"], "0123456789abcdef");
        assert_eq!(v["comparison"], "fast_forward");
        assert_eq!(v["changed"], 2);
        assert_eq!(v["failed"], 1);
        assert_eq!(v["counts"]["web1"]["ok"], 5);
        assert_eq!(v["log_truncated"], false);
        assert!(v["log"].as_str().is_some_and(|l| l.contains("********")));
    }

    #[test]
    fn the_log_keeps_its_tail_when_cut() {
        let (cut, truncated) = tail("aaaa\u{e9}bbbb", 5);
        assert!(truncated);
        assert!(cut.ends_with("\nbbbb"), "{cut}");
        assert!(cut.starts_with("[... 6 bytes cut ...]"), "{cut}");
        assert_eq!(tail("abc", 5), ("abc".to_string(), false));
    }

    #[test]
    fn discord_sends_the_log_as_an_attachment() {
        let masked = Masked::of(&report(), &masker(), 1 << 20);
        let p = discord(&report(), &masked, "B");
        assert_eq!(p.content_type, "multipart/form-data; boundary=playhook-B");
        let text = String::from_utf8(p.body).expect("utf-8");
        assert!(
            text.starts_with("--playhook-B\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n")
        );
        assert!(text.contains(
            "name=\"files[0]\"; filename=\"playhook-web1-0123456.log\"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTASK [x]\n"
        ));
        assert!(text.ends_with("\r\n--playhook-B--\r\n"));
        assert!(text.contains(r#""allowed_mentions":{"parse":[]}"#));
        assert!(!text.contains("hunter2"));
    }

    #[test]
    fn slack_escapes_and_quotes_the_log() {
        let p = build(WebhookFormat::Slack, &report(), &masker(), 1 << 20);
        let v: serde_json::Value = serde_json::from_slice(&p.body).expect("json");
        let text = v["text"].as_str().expect("text");
        assert!(text.starts_with("\u{274c} playhook agent on web1: failed at main@0123456: 2 changed, 1 failed, 12.3s\nerror: task `x` failed with ********"), "{text}");
        assert!(text.contains("&lt;b&gt; &amp; '''"), "{text}");
        assert!(text.ends_with("\n```"));
    }

    #[test]
    fn file_names_are_tame() {
        let mut r = report();
        r.host = "../etc/x y".into();
        r.applied = None;
        r.fetched = None;
        assert_eq!(file_name(&r), "playhook-.._etc_x_y--.log");
    }
}
