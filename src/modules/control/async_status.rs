//! `async_status`: the status of a background job (`async` with `poll: 0`) on the host, or its
//! removal (`mode: cleanup`), with the result ansible-core 2.19's action and module give: the
//! action's fields (`ansible_job_id`, `started`, `finished`, `results_file` or `erased`, empty
//! `stdout`/`stderr` and their lines) under the job's own result once it finished (the
//! module's result: `rc`, `stdout`, ... for `command`), and the failures `could not find job`
//! and `Timeout exceeded`. The job's files are read by [`crate::modules::jobs::status`].

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::jobs::status::{self, Job};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `async_status` module.
pub struct AsyncStatus;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    jid: String,
    mode: Option<String>,
}

#[async_trait]
impl TypedModule for AsyncStatus {
    type Params = Params;

    const SPEC: Spec = Spec::host("async_status");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let cleanup = match p.mode.as_deref().unwrap_or("status") {
            "status" => false,
            "cleanup" => true,
            other => {
                return Err(ModuleError::failed(format!(
                    "value of mode must be one of: status, cleanup, got: {other}"
                )));
            }
        };
        let jid = p.jid;
        let mut base: IndexMap<String, Json> = IndexMap::new();
        base.insert("ansible_job_id".into(), Json::from(jid.as_str()));
        for key in ["started", "finished"] {
            base.insert(key.into(), Json::Bool(false));
        }
        for key in ["stdout", "stderr"] {
            base.insert(key.into(), Json::from(""));
            base.insert(format!("{key}_lines"), Json::Array(Vec::new()));
        }
        match status::read(ctx, &jid, cleanup).await? {
            Job::Erased { path } => {
                base.insert("erased".into(), Json::from(path));
                finish(base, serde_json::Map::new())
            }
            Job::Missing { path } => {
                base.insert("results_file".into(), Json::from(path));
                let mut result = serde_json::Map::new();
                result.insert("msg".into(), Json::from("could not find job"));
                result.insert("failed".into(), Json::Bool(true));
                result.insert("started".into(), Json::Bool(true));
                result.insert("finished".into(), Json::Bool(true));
                finish(base, result)
            }
            Job::Found {
                path,
                status: text,
                meta,
                stdout,
                stderr,
            } => {
                base.insert("results_file".into(), Json::from(path));
                base.insert("started".into(), Json::Bool(true));
                let result = match serde_json::from_str::<Json>(&text) {
                    // Not written yet, or being written: running, as Ansible's module says.
                    Err(_) => running(),
                    Ok(data) => match status::ended(&data) {
                        Some(end) if end.timeout => {
                            let mut r = serde_json::Map::new();
                            r.insert("msg".into(), Json::from("Timeout exceeded"));
                            r.insert("failed".into(), Json::Bool(true));
                            r.insert("child_pid".into(), Json::from(end.child_pid));
                            r.insert("finished".into(), Json::Bool(true));
                            r
                        }
                        Some(end) => {
                            let done = end.output(stdout, stderr);
                            let mut r = job_result(ctx, &jid, meta.as_deref(), &done)?;
                            r.insert("finished".into(), Json::Bool(true));
                            r
                        }
                        None => ansible_format(data),
                    },
                };
                finish(base, result)
            }
        }
    }
}

/// A job still running.
fn running() -> serde_json::Map<String, Json> {
    let mut r = serde_json::Map::new();
    r.insert("started".into(), Json::Bool(true));
    r.insert("finished".into(), Json::Bool(false));
    r
}

/// A status file in Ansible's format, read as its `async_status` module reads it: a result
/// without `started` is a finished job's.
fn ansible_format(data: Json) -> serde_json::Map<String, Json> {
    let Json::Object(mut map) = data else {
        return running();
    };
    if !map.contains_key("started") {
        map.insert("finished".into(), Json::Bool(true));
    } else if !map.contains_key("finished") {
        map.insert("finished".into(), Json::Bool(false));
    }
    for key in ["started", "finished"] {
        if let Some(n) = map.get(key).and_then(Json::as_i64) {
            map.insert(key.into(), Json::Bool(n != 0));
        }
    }
    map
}

/// The result of a detached job's module, from the arguments kept beside the job.
fn job_result(
    ctx: &ModuleCtx<'_>,
    jid: &str,
    meta: Option<&str>,
    done: &crate::modules::jobs::JobOutput,
) -> Result<serde_json::Map<String, Json>, ModuleError> {
    let meta: Json = meta
        .and_then(|m| serde_json::from_str(m).ok())
        .ok_or_else(|| ModuleError::failed(format!("job {jid} on {} has no readable .job file", ctx.host)))?;
    let name = meta.get("module").and_then(Json::as_str).unwrap_or_default();
    let module = crate::modules::lookup(name)
        .ok_or_else(|| ModuleError::failed(format!("job {jid} ran an unknown module `{name}`")))?;
    let args = Value::from(minijinja::value::Serde(meta.get("args").unwrap_or(&Json::Null)));
    let result = match module.job_outcome(&args, ctx, done) {
        Ok(outcome) => status::result_json(&outcome),
        Err(ModuleError::Failed { msg, data }) => status::failure_json(&msg, &data),
        Err(e) => return Err(e),
    };
    Ok(match result {
        Json::Object(map) => map,
        _ => serde_json::Map::new(),
    })
}

/// The action's fields under the job's result, as the task's outcome or failure.
fn finish(
    base: IndexMap<String, Json>,
    result: serde_json::Map<String, Json>,
) -> Result<Outcome, ModuleError> {
    let mut merged = base;
    for (k, v) in result {
        merged.insert(k, v);
    }
    let flag = |m: &mut IndexMap<String, Json>, key: &str| {
        m.shift_remove(key).is_some_and(|v| v.as_bool() == Some(true))
    };
    let changed = flag(&mut merged, "changed");
    let failed = flag(&mut merged, "failed");
    let skipped = flag(&mut merged, "skipped");
    let data: IndexMap<String, Value> = merged
        .into_iter()
        .map(|(k, v)| (k, Value::from(minijinja::value::Serde(&v))))
        .collect();
    let msg = data.get("msg").and_then(|m| m.as_str().map(str::to_string));
    if failed {
        let mut data = data;
        data.shift_remove("msg");
        data.insert("changed".into(), Value::from(changed));
        return Err(ModuleError::Failed {
            msg: msg.unwrap_or_default(),
            data,
        });
    }
    Ok(Outcome {
        changed,
        skipped,
        msg: msg.filter(|m| !m.is_empty()),
        diff: Vec::new(),
        data,
    })
}
