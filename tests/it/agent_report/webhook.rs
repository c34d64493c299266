//! The webhook against a real HTTP receiver: the three formats as sent, the signature checked
//! by Python, retries against a receiver that fails twice, a hung receiver bounded in time, and
//! a canary secret that never reaches a body.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use playhook::agent::report::{Comparison, PassReport, PassResult};
use playhook::agent::webhook::{self, Notified, WebhookConfig, WebhookError};
use playhook::output::Counts;
use playhook::secrets::Masker;

use super::python_hmac_hex;
use crate::support::http_server::{self, HttpServer, Recorded};

const CANARY: &str = "canary-Zq8v1PXw";
const KEY: &str = "hook-key-3b9f";

fn report(result: PassResult) -> PassReport {
    let mut counts = BTreeMap::new();
    counts.insert(
        "web1".to_string(),
        Counts {
            ok: 7,
            changed: 3,
            ..Counts::default()
        },
    );
    PassReport {
        host: "web1".into(),
        branch: "main".into(),
        fetched: Some("4d3c2b1a00000000000000000000000000000000".into()),
        previous: Some("1111111111111111111111111111111111111111".into()),
        applied: Some("4d3c2b1a00000000000000000000000000000000".into()),
        comparison: Some(Comparison::FastForward),
        result,
        mode: "real".into(),
        started_unix_ms: 1_764_000_000_000,
        duration_secs: 4.5,
        counts,
        drift: vec![],
        frozen: false,
        // The run loop masks the log; a secret that slipped through is masked here again.
        error: Some(format!("password {CANARY} rejected")),
        log: format!(
            "TASK [db : set password]\nchanged: [web1] => {CANARY}\nbase64: {}\n",
            base64_of(CANARY)
        ),
    }
}

fn base64_of(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn config(yaml: &str) -> WebhookConfig {
    serde_yaml_ng::from_str(yaml).expect("webhook config parses")
}

fn masker() -> Masker {
    Masker::new([CANARY])
}

fn assert_no_canary(r: &Recorded) {
    let body = r.body_text();
    assert!(!body.contains(CANARY), "the canary reached the webhook: {body}");
    assert!(
        !body.contains(&base64_of(CANARY)),
        "the canary's base64 reached the webhook"
    );
    assert!(!body.contains(KEY), "the signing key reached the webhook");
    for (name, value) in &r.headers {
        assert!(!value.contains(CANARY), "the canary is in header {name}");
    }
}

fn only_request(server: &HttpServer) -> Recorded {
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{:?}", server.log());
    requests.into_iter().next().expect("one request")
}

#[test]
fn generic_json_is_signed_as_github_signs_and_masked() {
    let server = HttpServer::serve(BTreeMap::new());
    let dir = tempfile::tempdir().expect("tempdir");
    let key_file = dir.path().join("webhook.key");
    std::fs::write(&key_file, format!("{KEY}\n")).expect("key file");
    let cfg = config(&format!(
        "url: {}/hook/generic\nsecret_file: {}\n",
        server.url(),
        key_file.display()
    ));
    let outcome = webhook::notify(&cfg, &report(PassResult::Ok), &masker()).expect("delivered");
    assert_eq!(outcome, Notified::Delivered(1));

    let r = only_request(&server);
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/hook/generic");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-playhook-event"), Some("agent.pass"));
    let want = format!("sha256={}", python_hmac_hex(KEY, &r.body));
    assert_eq!(r.header("x-playhook-signature-256"), Some(want.as_str()));
    assert_no_canary(&r);

    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("a JSON body");
    assert_eq!(v["event"], "agent.pass");
    assert_eq!(v["host"], "web1");
    assert_eq!(v["result"], "ok");
    assert_eq!(v["commit"], "4d3c2b1a00000000000000000000000000000000");
    assert_eq!(v["previous"], "1111111111111111111111111111111111111111");
    assert_eq!(v["comparison"], "fast_forward");
    assert_eq!(v["changed"], 3);
    assert_eq!(v["failed"], 0);
    assert_eq!(v["duration_secs"], 4.5);
    let log = v["log"].as_str().expect("log");
    assert!(log.contains("changed: [web1] => ********"), "{log}");
}

/// Python's email parser reads the multipart body as Discord would: (name, filename, content).
fn multipart_parts(content_type: &str, body: &[u8]) -> Vec<(String, String, String)> {
    use std::io::Write as _;
    let mut child = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, json, email.parser, email.policy\n\
             raw = b'Content-Type: ' + sys.argv[1].encode() + b'\\r\\n\\r\\n' + sys.stdin.buffer.read()\n\
             msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)\n\
             assert msg.is_multipart() and not msg.defects, msg.defects\n\
             print(json.dumps([[p.get_param('name', header='content-disposition'), p.get_filename() or '', p.get_payload(decode=True).decode()] for p in msg.iter_parts()]))",
        )
        .arg(content_type)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body)
        .expect("writing the body");
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(out.status.success(), "python3 could not parse the multipart body");
    serde_json::from_slice(&out.stdout).expect("parts as JSON")
}

#[test]
fn discord_gets_the_log_as_an_attachment() {
    let server = HttpServer::serve(BTreeMap::new());
    let cfg = config(&format!("url: {}/hook/discord\nformat: discord\n", server.url()));
    webhook::notify(&cfg, &report(PassResult::Failed), &masker()).expect("delivered");
    let r = only_request(&server);
    assert_no_canary(&r);
    let content_type = r.header("content-type").expect("a content type").to_string();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let parts = multipart_parts(&content_type, &r.body);
    assert_eq!(parts.len(), 2, "{parts:?}");
    let (name, _, payload) = &parts[0];
    assert_eq!(name, "payload_json");
    let payload: serde_json::Value = serde_json::from_str(payload).expect("payload_json is JSON");
    let content = payload["content"].as_str().expect("content");
    assert!(
        content.starts_with(
            "\u{274c} playhook agent on web1: failed at main@4d3c2b1: 3 changed, 0 failed, 4.5s"
        ),
        "{content}"
    );
    assert!(content.contains("error: password ******** rejected"), "{content}");
    let (name, filename, log) = &parts[1];
    assert_eq!(name, "files[0]");
    assert_eq!(filename, "playhook-web1-4d3c2b1.log");
    assert!(
        log.starts_with("TASK [db : set password]\nchanged: [web1] => ********\n"),
        "{log}"
    );
}

#[test]
fn slack_gets_the_summary_and_the_log() {
    let server = HttpServer::serve(BTreeMap::new());
    let cfg = config(&format!("url: {}/hook/slack\nformat: slack\n", server.url()));
    webhook::notify(&cfg, &report(PassResult::Refused), &masker()).expect("delivered");
    let r = only_request(&server);
    assert_no_canary(&r);
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON");
    let text = v["text"].as_str().expect("text");
    assert!(
        text.starts_with("\u{26d4} playhook agent on web1: refused"),
        "{text}"
    );
    assert!(text.contains("```\nTASK [db : set password]"), "{text}");
}

#[test]
fn an_up_to_date_pass_is_not_announced_unless_asked() {
    let server = HttpServer::serve(BTreeMap::new());
    let cfg = config(&format!("url: {}/hook/quiet\n", server.url()));
    let outcome = webhook::notify(&cfg, &report(PassResult::Unchanged), &masker()).expect("ok");
    assert_eq!(outcome, Notified::Skipped);
    assert!(server.requests().is_empty());
    let cfg = config(&format!("url: {}/hook/always\nsend: always\n", server.url()));
    let outcome = webhook::notify(&cfg, &report(PassResult::Unchanged), &masker()).expect("ok");
    assert_eq!(outcome, Notified::Delivered(1));
}

#[test]
fn a_receiver_failing_twice_gets_the_third_attempt_after_backing_off() {
    let server = HttpServer::serve(BTreeMap::new());
    let cfg = config(&format!("url: {}/flaky/2/hook\ntimeout_secs: 20\n", server.url()));
    let outcome = webhook::notify(&cfg, &report(PassResult::Ok), &masker()).expect("delivered");
    assert_eq!(outcome, Notified::Delivered(3));
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    // Backoff of 1 s then 2 s, and the same body each time.
    let gaps: Vec<Duration> = requests.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(gaps[0] >= Duration::from_millis(950), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(1950), "{gaps:?}");
    assert_eq!(requests[0].body, requests[2].body);
}

#[test]
fn retries_stop_at_the_attempt_limit_and_a_client_error_is_not_retried() {
    let server = HttpServer::serve(BTreeMap::new());
    let cfg = config(&format!("url: {}/flaky/5/hook\nattempts: 2\n", server.url()));
    let err = webhook::notify(&cfg, &report(PassResult::Ok), &masker()).expect_err("gives up");
    assert!(
        err.to_string().contains("answered 500 after 2 attempt(s)"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 2);

    let cfg = config(&format!("url: {}/nothing/here\n", server.url()));
    let err = webhook::notify(&cfg, &report(PassResult::Ok), &masker()).expect_err("404");
    assert!(
        err.to_string().contains("answered 404 after 1 attempt(s)"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_hung_receiver_costs_at_most_the_time_bound_and_its_token_is_never_shown() {
    let (_listener, url) = http_server::black_hole();
    let url = format!("{url}/SECRET-TOKEN-PATH");
    let cfg = config(&format!("url: {url}\ntimeout_secs: 3\n"));
    let start = Instant::now();
    let outcome = webhook::notify_or_warn(&cfg, &report(PassResult::Failed), &masker());
    let took = start.elapsed();
    assert_eq!(outcome, None);
    assert!(took < Duration::from_millis(4500), "took {took:?}");
    assert!(took >= Duration::from_millis(2500), "gave up early: {took:?}");
    let err = webhook::notify(&cfg, &report(PassResult::Failed), &masker()).expect_err("hung");
    assert!(matches!(err, WebhookError::Delivery(_)), "{err:?}");
    assert!(!err.to_string().contains("SECRET-TOKEN-PATH"), "{err}");
    assert!(err.to_string().contains("http://127.0.0.1:"), "{err}");
}

#[test]
fn a_closed_port_fails_fast_after_bounded_attempts() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let cfg = config(&format!(
        "url: http://127.0.0.1:{port}/hook\nattempts: 3\ntimeout_secs: 10\n"
    ));
    let start = Instant::now();
    let err = webhook::notify(&cfg, &report(PassResult::Ok), &masker()).expect_err("refused");
    // Two waits: 1 s and 2 s.
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    assert!(
        err.to_string().contains("unreachable after 3 attempt(s)"),
        "{err}"
    );
}
