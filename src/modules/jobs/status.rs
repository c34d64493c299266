//! Reading a background job's status on the host (for `async_status`), and the JSON of a
//! module's result as a job's status file holds it.
//!
//! One round trip prints the status file's path and, when it exists, the file and the job's
//! side files (`.job`: the module and its arguments; `.out`, `.err`) as base64 sections. The
//! status file is Ansible's format: `{"started": 1, "finished": 0, ...}` while running, a
//! module's result when done; a detached job (see [`super`]) ends with playhook's own record
//! (`"playhook_job": 1`: exit status, times in nanoseconds since the epoch, timeout).

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use indexmap::IndexMap;
use minijinja::Value;
use serde_json::Value as Json;

use super::{ASYNC_DIR, JobOutput};
use crate::connection::Output;
use crate::connection::quote::quote;
use crate::modules::{ModuleCtx, ModuleError, Outcome};

/// Marks a section of the status script's output.
const SECTION: char = '\x1e';

/// What the host holds for a job id.
pub enum Job {
    /// No status file at `path`.
    Missing { path: String },
    /// The status file was removed (`mode: cleanup`).
    Erased { path: String },
    /// The status file and the job's side files.
    Found {
        path: String,
        status: String,
        meta: Option<String>,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    },
}

/// Reads job `jid`'s files, or removes them when `cleanup`. One round trip.
pub async fn read(ctx: &mut ModuleCtx<'_>, jid: &str, cleanup: bool) -> Result<Job, ModuleError> {
    let mut script = format!(
        "d={ASYNC_DIR}; f=\"$d\"/{}\nprintf '%s\\n' \"$f\"\n[ -e \"$f\" ] || {{ echo missing; exit 0; }}\n",
        quote(jid)
    );
    if cleanup {
        script.push_str(
            "rm -f -- \"$f\" \"$f.job\" \"$f.in\" \"$f.out\" \"$f.err\" \"$f.timeout\" \"$f.tmp\" || exit 1\necho erased\n",
        );
    } else {
        script.push_str(&format!(
            "echo found\nfor x in '' .job .out .err; do printf '{SECTION}%s\\n' \"$x\"; \
             if [ -e \"$f$x\" ]; then base64 <\"$f$x\" || exit 1; fi; done\n"
        ));
    }
    let out = ctx.run(script).await?;
    parse(ctx.host, jid, &out)
}

fn parse(host: &str, jid: &str, out: &Output) -> Result<Job, ModuleError> {
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let (path, word) = match (out.rc, lines.next(), lines.next()) {
        (0, Some(path), Some(word)) => (path.to_string(), word),
        _ => {
            return Err(ModuleError::failed(format!(
                "could not read job {jid} in {ASYNC_DIR} on {host}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
            .with("rc", out.rc));
        }
    };
    match word {
        "missing" => return Ok(Job::Missing { path }),
        "erased" => return Ok(Job::Erased { path }),
        _ => {}
    }
    let mut sections: IndexMap<String, String> = IndexMap::new();
    let mut current: Option<String> = None;
    for line in lines {
        if let Some(name) = line.strip_prefix(SECTION) {
            current = Some(name.to_string());
            sections.insert(name.to_string(), String::new());
        } else if let Some(name) = &current {
            if let Some(body) = sections.get_mut(name) {
                body.push_str(line.trim());
            }
        }
    }
    let decode = |name: &str| -> Option<Vec<u8>> {
        let b64 = sections.get(name)?;
        base64::engine::general_purpose::STANDARD.decode(b64).ok()
    };
    let text_of = |name: &str| decode(name).map(|b| String::from_utf8_lossy(&b).into_owned());
    Ok(Job::Found {
        path,
        status: text_of("").unwrap_or_default(),
        meta: text_of(".job"),
        stdout: decode(".out").unwrap_or_default(),
        stderr: decode(".err").unwrap_or_default(),
    })
}

/// A detached job's end as its supervisor recorded it.
pub struct Ended {
    pub rc: i32,
    pub timeout: bool,
    pub child_pid: i64,
    pub start: SystemTime,
    pub elapsed: Duration,
}

/// playhook's end record of a detached job, if `status` is one.
pub fn ended(status: &Json) -> Option<Ended> {
    if status.get("playhook_job").and_then(Json::as_i64) != Some(1) {
        return None;
    }
    let int = |key: &str| status.get(key).and_then(Json::as_i64);
    let nanos = |key: &str| status.get(key).and_then(Json::as_u64).unwrap_or(0);
    let (start_ns, end_ns) = (nanos("start_ns"), nanos("end_ns"));
    Some(Ended {
        rc: int("rc").and_then(|rc| i32::try_from(rc).ok()).unwrap_or(-1),
        timeout: status.get("timeout").and_then(Json::as_bool) == Some(true),
        child_pid: int("child_pid").unwrap_or(0),
        start: SystemTime::UNIX_EPOCH + Duration::from_nanos(start_ns),
        elapsed: Duration::from_nanos(end_ns.saturating_sub(start_ns)),
    })
}

impl Ended {
    /// The job's output for the module's `job_outcome`.
    pub fn output(&self, stdout: Vec<u8>, stderr: Vec<u8>) -> JobOutput {
        JobOutput {
            output: Output {
                rc: self.rc,
                stdout,
                stderr,
            },
            start: self.start,
            elapsed: self.elapsed,
        }
    }
}

/// A module's successful result as a status file holds it: its registered fields.
pub fn result_json(outcome: &Outcome) -> Json {
    let mut map = serde_json::Map::new();
    map.insert("changed".into(), Json::Bool(outcome.changed));
    for (k, v) in &outcome.data {
        map.insert(k.clone(), to_json(v));
    }
    if let Some(msg) = &outcome.msg {
        map.entry("msg").or_insert_with(|| Json::String(msg.clone()));
    }
    if outcome.skipped {
        map.insert("skipped".into(), Json::Bool(true));
    }
    Json::Object(map)
}

/// A module's failure as a status file holds it.
pub fn failure_json(msg: &str, data: &IndexMap<String, Value>) -> Json {
    let mut map = serde_json::Map::new();
    for (k, v) in data {
        map.insert(k.clone(), to_json(v));
    }
    map.insert("failed".into(), Json::Bool(true));
    map.insert("msg".into(), Json::String(msg.to_string()));
    Json::Object(map)
}

fn to_json(v: &Value) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(stdout: &str) -> Output {
        Output {
            rc: 0,
            stdout: stdout.as_bytes().to_vec(),
            stderr: Vec::new(),
        }
    }

    #[test]
    fn sections_are_decoded() {
        let out = output(
            "/root/.ansible_async/j1.2\nfound\n\x1e\neyJhIjogMX0=\n\x1e.job\n\x1e.out\naGkK\n\x1e.err\n",
        );
        let Ok(Job::Found {
            path,
            status,
            meta,
            stdout,
            stderr,
        }) = parse("h", "j1.2", &out)
        else {
            panic!("found");
        };
        assert_eq!(path, "/root/.ansible_async/j1.2");
        assert_eq!(status, "{\"a\": 1}");
        assert_eq!(meta.as_deref(), Some(""));
        assert_eq!(stdout, b"hi\n");
        assert!(stderr.is_empty());
        assert!(matches!(
            parse("h", "j", &output("/x/j\nmissing\n")),
            Ok(Job::Missing { .. })
        ));
    }

    #[test]
    fn the_end_record_gives_status_and_times() {
        let status: Json = serde_json::from_str(
            r#"{"started": 1, "finished": 1, "playhook_job": 1, "rc": 137, "start_ns": 1000000000, "end_ns": 3500000000, "timeout": true, "child_pid": 42}"#,
        )
        .expect("json");
        let end = ended(&status).expect("a playhook record");
        assert_eq!((end.rc, end.timeout, end.child_pid), (137, true, 42));
        assert_eq!(end.elapsed, Duration::from_millis(2500));
        assert!(ended(&serde_json::json!({"started": 1, "finished": 0})).is_none());
    }
}
