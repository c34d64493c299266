//! A small HTTP/1.0 server on 127.0.0.1 for the download modules' tests, run by a thread of
//! the test process (the test machines share the host's network, so they reach it).
//!
//! Routes, each over the same set of files:
//! - `/files/NAME`: the file, with a fixed `Last-Modified` (2024-01-01), answering
//!   `If-Modified-Since` with 304 as Python's `http.server` does;
//! - `/auth/NAME`: the same behind Basic auth ([`USER`]/[`PASSWORD`]), 401 with a challenge
//!   otherwise;
//! - `/header/NAME`: the same when the request carries `X-Playhook-Token: sekrit`, 403 otherwise;
//! - `/dispo/NAME`: the same with `Content-Disposition: attachment; filename="NAME"`;
//! - `/redirect/NAME`: 302 to `/files/NAME`;
//! - `/echo/ANY`: a JSON object of the request's `method`, `content_type` and `body`, with a
//!   cookie (`Set-Cookie: session=abc123`);
//! - `/hook/ANY`: 200 `ok`, a webhook receiver;
//! - `/flaky/N/ANY`: 500 to the first N requests for that path, then 200 `ok`;
//! - anything else, or a missing file: 404 `Not Found`.
//!
//! Every request line and its headers are logged ([`HttpServer::log`]), and each request kept
//! whole ([`HttpServer::requests`]). [`black_hole`] is a receiver that never answers.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use base64::Engine as _;

pub const USER: &str = "bob";
pub const PASSWORD: &str = "s3cret-pw";
pub const TOKEN: &str = "sekrit";
const LAST_MODIFIED: &str = "Mon, 01 Jan 2024 00:00:00 GMT";

/// A running server; it stops on drop.
pub struct HttpServer {
    port: u16,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<String>>>,
    state: Arc<State>,
    thread: Option<JoinHandle<()>>,
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// The path, query included.
    pub path: String,
    /// Header names lowercased.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    /// When it arrived.
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What the serving thread shares with the test.
#[derive(Default)]
struct State {
    requests: Mutex<Vec<Recorded>>,
    /// Requests so far per `/flaky/` path.
    flaky: Mutex<BTreeMap<String, u32>>,
}

/// A receiver that accepts connections (the kernel does) and never answers: a hung webhook.
/// Keep the listener alive as long as it should hang.
pub fn black_hole() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding the black hole");
    let port = listener
        .local_addr()
        .expect("a bound socket has an address")
        .port();
    (listener, format!("http://127.0.0.1:{port}/hook/hung"))
}

impl HttpServer {
    /// Serves `files` (name → bytes).
    pub fn serve(files: BTreeMap<String, Vec<u8>>) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the test http port");
        let port = listener
            .local_addr()
            .expect("a bound socket has an address")
            .port();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(State::default());
        let (stopping, logged, shared) = (Arc::clone(&stop), Arc::clone(&log), Arc::clone(&state));
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = answer(stream, &files, &logged, &shared);
                }
            }
        });
        HttpServer {
            port,
            stop,
            log,
            state,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The requests so far, each its request line and headers.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("log lock").clone()
    }

    /// The requests so far, whole.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().expect("requests lock").clone()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// "Mon, 01 Jan 2024 00:00:00 GMT" as a comparable tuple.
fn http_date(s: &str) -> Option<(u32, u32, u32, String)> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let w: Vec<&str> = s.split_whitespace().collect();
    let day = w.get(1)?.parse().ok()?;
    let month = MONTHS.iter().position(|m| Some(m) == w.get(2))? as u32;
    let year = w.get(3)?.parse().ok()?;
    Some((year, month, day, (*w.get(4)?).to_string()))
}

fn answer(
    stream: TcpStream,
    files: &BTreeMap<String, Vec<u8>>,
    log: &Mutex<Vec<String>>,
    state: &State,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut logged = request.trim().to_string();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        logged.push('\n');
        logged.push_str(header.trim());
        if let Some((k, v)) = header.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            if k == "content-length" {
                length = v.trim().parse().unwrap_or(0);
            }
            headers.insert(k, v.trim().to_string());
        }
    }
    let mut body = vec![0u8; length];
    std::io::Read::read_exact(&mut reader, &mut body)?;
    if !body.is_empty() {
        logged.push_str("\n\n");
        logged.push_str(&String::from_utf8_lossy(&body));
    }
    log.lock().expect("log lock").push(logged);
    let mut parts = request.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let full_path = parts.next().unwrap_or_default().to_string();
    state.requests.lock().expect("requests lock").push(Recorded {
        method: method.clone(),
        path: full_path.clone(),
        headers: headers.clone(),
        body: body.clone(),
        at: Instant::now(),
    });
    let path = full_path.split('?').next().unwrap_or_default().to_string();
    let (route, name) = path.trim_start_matches('/').split_once('/').unwrap_or(("", ""));
    let file = files.get(name);
    let mut extra: Vec<String> = Vec::new();
    let mut content_type = if name.ends_with(".json") {
        "application/json"
    } else if name.ends_with(".txt") {
        "text/plain"
    } else {
        "application/octet-stream"
    };
    let (status, reason, content): (u16, &str, Vec<u8>) = match (route, file) {
        ("echo", _) => {
            let echo = serde_json::json!({
                "method": method,
                "content_type": headers.get("content-type").cloned().unwrap_or_default(),
                "body": String::from_utf8_lossy(&body),
            });
            extra.push("Set-Cookie: session=abc123; Path=/".into());
            content_type = "application/json";
            (200, "OK", echo.to_string().into_bytes())
        }
        ("hook", _) => (200, "OK", b"ok\n".to_vec()),
        ("flaky", _) => {
            let failures: u32 = name.split('/').next().and_then(|n| n.parse().ok()).unwrap_or(0);
            let mut seen = state.flaky.lock().expect("flaky lock");
            let count = seen.entry(path.clone()).or_insert(0);
            *count += 1;
            if *count <= failures {
                (500, "Internal Server Error", b"not yet\n".to_vec())
            } else {
                (200, "OK", b"ok\n".to_vec())
            }
        }
        ("redirect", Some(_)) => {
            extra.push(format!("Location: /files/{name}"));
            (302, "Found", Vec::new())
        }
        ("auth", Some(_)) if !authorized(&headers) => {
            extra.push("WWW-Authenticate: Basic realm=\"playhook\"".into());
            (401, "Unauthorized", b"who are you?\n".to_vec())
        }
        ("header", Some(_)) if headers.get("x-playhook-token").map(String::as_str) != Some(TOKEN) => {
            (403, "Forbidden", b"no token\n".to_vec())
        }
        ("files" | "auth" | "header" | "dispo", Some(bytes)) => {
            let fresh = headers
                .get("if-modified-since")
                .and_then(|d| http_date(d))
                .is_some_and(|since| http_date(LAST_MODIFIED).is_some_and(|lm| lm <= since));
            extra.push(format!("Last-Modified: {LAST_MODIFIED}"));
            if route == "dispo" {
                extra.push(format!("Content-Disposition: attachment; filename=\"{name}\""));
            }
            if fresh {
                (304, "Not Modified", Vec::new())
            } else {
                (200, "OK", bytes.clone())
            }
        }
        _ => (404, "Not Found", b"nothing here\n".to_vec()),
    };
    let mut s = stream;
    let mut head = format!("HTTP/1.0 {status} {reason}\r\nServer: playhook-test\r\nConnection: close\r\n");
    if status != 304 {
        head.push_str(&format!(
            "Content-Length: {}\r\nContent-Type: {content_type}\r\n",
            content.len()
        ));
    }
    for h in extra {
        head.push_str(&h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    if method != "HEAD" {
        s.write_all(&content)?;
    }
    s.flush()
}

fn authorized(headers: &BTreeMap<String, String>) -> bool {
    let want = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    headers
        .get("authorization")
        .is_some_and(|v| v.trim() == format!("Basic {want}"))
}
