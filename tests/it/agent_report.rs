//! The agent's reporters and trigger: the webhook against a real receiver, the metrics
//! exposition, and `playhook agent serve` as a real process. Signatures are checked by an
//! independent implementation (Python's `hmac`), not by playhook's own code.

mod metrics;
mod serve;
mod webhook;

use std::io::Write as _;
use std::process::{Command, Stdio};

/// HMAC-SHA256 of `body` under `key` in hex, computed by Python's `hmac` module.
pub fn python_hmac_hex(key: &str, body: &[u8]) -> String {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(
            "import hmac, hashlib, sys; \
             print(hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())",
        )
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("stdin piped")
        .write_all(body)
        .expect("writing to python3");
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(out.status.success(), "python3 hmac failed");
    String::from_utf8(out.stdout).expect("hex").trim().to_string()
}
