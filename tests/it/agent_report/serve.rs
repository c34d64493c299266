//! `playhook agent serve` as a real process: each provider's header good, bad and missing;
//! 405, 404, 413 and 429; a GitHub ping; coalescing of triggers during a pass; the refusal to
//! listen without a secret; each refusal in the log. Signatures come from Python's `hmac`.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::python_hmac_hex;

pub const SECRET: &str = "trigger-secret-5e1f";
const PLAYHOOK: &str = env!("CARGO_BIN_EXE_playhook");

/// A running `playhook agent serve`; killed on drop.
pub struct Served {
    child: Child,
    pub url: String,
    lines: Arc<Mutex<Vec<String>>>,
    pub dir: tempfile::TempDir,
}

impl Served {
    /// Starts the server on a free loopback port with `serve_yaml` as its `serve:` section
    /// (indented by the caller), the secret in a file unless `secret` is false, and `extra`
    /// arguments. Each pass appends a line to `runs` in the scratch directory.
    pub fn start(serve_yaml: &str, secret: bool, extra: &[&str]) -> Served {
        let dir = tempfile::tempdir().expect("tempdir");
        let (child, lines, url) =
            spawn(dir.path(), serve_yaml, secret, "127.0.0.1:0", extra).expect("the server starts");
        Served {
            child,
            url,
            lines,
            dir,
        }
    }

    pub fn runs(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("runs"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    pub fn log(&self) -> String {
        self.lines.lock().expect("log lock").join("\n")
    }

    /// Waits up to `within` for a log line containing `needle`.
    pub fn wait_log(&self, needle: &str, within: Duration) -> bool {
        let end = Instant::now() + within;
        while Instant::now() < end {
            if self.log().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The pass a trigger runs in these tests: one line in `runs` at its start and one at its end.
fn pass_command(dir: &Path, seconds: &str) -> String {
    let runs = dir.join("runs");
    format!(
        "[sh, -c, 'echo start $(date +%s.%N) >> {0}; sleep {seconds}; echo end $(date +%s.%N) >> {0}']",
        runs.display()
    )
}

type Spawned = (Child, Arc<Mutex<Vec<String>>>, String);

/// Starts the server; `Err(stderr)` when it exits instead of listening.
fn spawn(
    dir: &Path,
    serve_yaml: &str,
    secret: bool,
    listen: &str,
    extra: &[&str],
) -> Result<Spawned, String> {
    let config = dir.join("agent.yaml");
    let seconds = if serve_yaml.contains("slow") { "2" } else { "0.2" };
    let serve_yaml = serve_yaml.replace("  slow: true\n", "");
    let state = dir.join("state");
    std::fs::write(
        &config,
        format!(
            "repo: /nonexistent.git\nstate_dir: {}\nserve:\n  command: {}\n{serve_yaml}",
            state.display(),
            pass_command(dir, seconds)
        ),
    )
    .expect("config");
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600))
            .expect("chmod 600 the config");
    }
    let key = dir.join("trigger.key");
    std::fs::write(&key, format!("{SECRET}\n")).expect("key");
    std::fs::create_dir_all(&state).expect("state dir");
    let mut cmd = Command::new(PLAYHOOK);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["agent", "serve", "--listen", listen, "--config"])
        .arg(&config)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if secret {
        cmd.arg("--secret-file").arg(&key);
    }
    let mut child = cmd.spawn().expect("playhook runs");
    let stderr = child.stderr.take().expect("stderr piped");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let kept = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.split("listening on ").nth(1) {
                let addr = addr.split_whitespace().next().unwrap_or_default().to_string();
                let _ = tx.send(addr);
            }
            kept.lock().expect("log lock").push(line);
        }
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(addr) => Ok((child, lines, format!("http://{addr}"))),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(100));
            Err(lines.lock().expect("log lock").join("\n"))
        }
    }
}

/// Answer of a request: status, headers (lowercase names), body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn request(method: &str, url: &str, headers: &[(&str, String)], body: &[u8]) -> Answer {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        builder = builder.header(*k, v.as_str());
    }
    let req = builder.body(body.to_vec()).expect("a request");
    let mut response = agent.run(req).expect("the server answers");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    Answer {
        status,
        headers,
        body,
    }
}

fn trigger(s: &Served, headers: &[(&str, String)], body: &[u8]) -> Answer {
    request("POST", &format!("{}/trigger", s.url), headers, body)
}

const PUSH: &[u8] = br#"{"ref":"refs/heads/main","after":"$(touch /tmp/playhook-pwned)"}"#;

fn good(header: &str, body: &[u8]) -> String {
    let hex = python_hmac_hex(SECRET, body);
    match header {
        "X-Hub-Signature-256" | "X-Playhook-Signature-256" => format!("sha256={hex}"),
        "X-Gitea-Signature" => hex,
        "X-Gitlab-Token" => SECRET.into(),
        other => panic!("no such header {other}"),
    }
}

fn bad(header: &str, body: &[u8]) -> String {
    let hex = python_hmac_hex("not-the-secret", body);
    match header {
        "X-Hub-Signature-256" | "X-Playhook-Signature-256" => format!("sha256={hex}"),
        "X-Gitea-Signature" => hex,
        "X-Gitlab-Token" => format!("{SECRET}x"),
        other => panic!("no such header {other}"),
    }
}

const HEADERS: [&str; 4] = [
    "X-Hub-Signature-256",
    "X-Gitea-Signature",
    "X-Gitlab-Token",
    "X-Playhook-Signature-256",
];

#[test]
fn each_providers_signature_is_checked() {
    let _ = std::fs::remove_file("/tmp/playhook-pwned");
    let s = Served::start("  burst: 100\n", true, &[]);
    for header in HEADERS {
        let a = trigger(&s, &[(header, good(header, PUSH))], PUSH);
        assert_eq!(a.status, 202, "{header}: {}", a.body);
        assert!(a.body.contains("\"pass\":"), "{}", a.body);
        let a = trigger(&s, &[(header, bad(header, PUSH))], PUSH);
        assert_eq!(a.status, 403, "{header} badly signed: {}", a.body);
        assert!(a.body.contains(header), "{}", a.body);
        // A signature of another body does not do either.
        if header != "X-Gitlab-Token" {
            let a = trigger(&s, &[(header, good(header, b"{}"))], PUSH);
            assert_eq!(a.status, 403, "{header} of another body");
        }
    }
    let a = trigger(&s, &[], PUSH);
    assert_eq!(a.status, 401, "{}", a.body);
    // GitHub's legacy SHA-1 header alone is no signature.
    let a = trigger(&s, &[("X-Hub-Signature", "sha1=00".into())], PUSH);
    assert_eq!(a.status, 401);
    // One good and one bad header: refused.
    let a = trigger(
        &s,
        &[
            ("X-Gitea-Signature", good("X-Gitea-Signature", PUSH)),
            ("X-Hub-Signature-256", bad("X-Hub-Signature-256", PUSH)),
        ],
        PUSH,
    );
    assert_eq!(a.status, 403);
    assert!(s.wait_log("trigger from 127.0.0.1:", Duration::from_secs(5)));
    let log = s.log();
    assert!(log.contains("(X-Gitlab-Token): pass"), "{log}");
    assert!(log.contains("refused POST /trigger from 127.0.0.1:"), "{log}");
    assert!(log.contains(": 401 unsigned"), "{log}");
    assert!(
        log.contains(": 403 bad X-Gitea-Signature for this secret"),
        "{log}"
    );
    assert!(!log.contains(SECRET), "the secret is in the log: {log}");
    // Passes ran; nothing of the request did.
    assert!(s.wait_log("pass done", Duration::from_secs(10)), "{log}");
    assert!(!Path::new("/tmp/playhook-pwned").exists());
}

#[test]
fn a_github_ping_is_answered_without_a_pass() {
    let s = Served::start("", true, &[]);
    let body = br#"{"zen":"Keep it logically awesome."}"#;
    let a = trigger(
        &s,
        &[
            ("X-GitHub-Event", "ping".into()),
            ("X-Hub-Signature-256", good("X-Hub-Signature-256", body)),
        ],
        body,
    );
    assert_eq!((a.status, a.body.as_str()), (200, "pong\n"));
    std::thread::sleep(Duration::from_millis(500));
    assert!(s.runs().is_empty());
}

#[test]
fn wrong_methods_paths_and_sizes_are_refused() {
    let s = Served::start("  max_body_bytes: 4096\n", true, &[]);
    let a = request("GET", &format!("{}/trigger", s.url), &[], b"");
    assert_eq!(a.status, 405);
    assert_eq!(a.header("allow"), Some("POST"));
    let a = request("PUT", &format!("{}/trigger", s.url), &[], b"x");
    assert_eq!(a.status, 405);
    let a = request("POST", &format!("{}/metrics", s.url), &[], b"x");
    assert_eq!((a.status, a.header("allow")), (405, Some("GET")));
    let a = request("GET", &format!("{}/nope", s.url), &[], b"");
    assert_eq!(a.status, 404);
    // Over the limit, even well signed.
    let big = vec![b'x'; 5000];
    let a = trigger(
        &s,
        &[("X-Hub-Signature-256", good("X-Hub-Signature-256", &big))],
        &big,
    );
    assert_eq!(a.status, 413, "{}", a.body);
    // At the limit: fine.
    let full = vec![b'y'; 4096];
    let a = trigger(
        &s,
        &[("X-Hub-Signature-256", good("X-Hub-Signature-256", &full))],
        &full,
    );
    assert_eq!(a.status, 202, "{}", a.body);
    let log = s.log();
    for status in ["405", "404", "413"] {
        assert!(
            log.contains(&format!(": {status} ")),
            "{status} not logged: {log}"
        );
    }
}

#[test]
fn too_frequent_triggers_get_429() {
    let s = Served::start("  burst: 2\n  refill_secs: 60\n", true, &[]);
    let sig = || vec![("X-Playhook-Signature-256", good("X-Playhook-Signature-256", PUSH))];
    assert_eq!(trigger(&s, &sig(), PUSH).status, 202);
    assert_eq!(trigger(&s, &sig(), PUSH).status, 202);
    let a = trigger(&s, &sig(), PUSH);
    assert_eq!(a.status, 429, "{}", a.body);
    let retry: u64 = a
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    // Unsigned requests are refused before they count.
    assert_eq!(trigger(&s, &[], PUSH).status, 401);
    assert!(
        s.wait_log(": 429 too many triggers", Duration::from_secs(5)),
        "{}",
        s.log()
    );
}

#[test]
fn triggers_during_a_pass_coalesce_into_exactly_one_more() {
    let s = Served::start("  slow: true\n  burst: 20\n", true, &[]);
    let sig = || vec![("X-Gitlab-Token", SECRET.to_string())];
    let answers: Vec<String> = (0..5).map(|_| trigger(&s, &sig(), PUSH).body).collect();
    assert!(answers[0].contains("started"), "{answers:?}");
    assert!(answers[1].contains("queued"), "{answers:?}");
    assert!(
        answers[2..].iter().all(|a| a.contains("coalesced")),
        "{answers:?}"
    );
    // Two passes of 2 s each, one after the other.
    let end = Instant::now() + Duration::from_secs(15);
    while s.runs().len() < 4 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(3));
    let runs = s.runs();
    let kinds: Vec<&str> = runs.iter().map(|l| l.split(' ').next().unwrap_or("")).collect();
    assert_eq!(kinds, ["start", "end", "start", "end"], "{runs:?}");
    // A trigger after the passes starts a new one.
    assert!(trigger(&s, &sig(), PUSH).body.contains("started"));
}

#[test]
fn no_secret_is_refused_unless_on_loopback_and_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = spawn(dir.path(), "", false, "127.0.0.1:0", &[]).expect_err("refused");
    assert!(err.contains("no secret to check triggers with"), "{err}");
    let err = spawn(dir.path(), "", false, "0.0.0.0:0", &["--insecure-no-secret"]).expect_err("refused");
    assert!(err.contains("for loopback addresses only"), "{err}");
    let (mut child, _lines, url) =
        spawn(dir.path(), "", false, "127.0.0.1:0", &["--insecure-no-secret"]).expect("starts");
    let a = request("POST", &format!("{url}/trigger"), &[], PUSH);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(a.status, 202, "{}", a.body);
}

/// The scratch directory's state dir, where `serve` reads the metrics snapshot.
pub fn state_dir(s: &Served) -> PathBuf {
    s.dir.path().join("state")
}
