//! Shared pieces of the file modules: typed parameters with Ansible's lenient scalars
//! (`yes`/`no` booleans, numbers where strings are expected, octal or symbolic modes),
//! failures as outcomes, source-file lookup in `files/` and `templates/`, and diffs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::Value;
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Error as _};

use super::{Diff, ModuleCtx, ModuleError, Outcome};
use crate::connection::files::{FileError, FileStat, Mode, format_mode};

/// Deserializes a module's templated arguments into its parameter struct.
pub fn parse<T: DeserializeOwned>(module: &str, args: &Value) -> Result<T, ModuleError> {
    let args = if args.is_undefined() || args.is_none() {
        Value::from(BTreeMap::<String, Value>::new())
    } else {
        args.clone()
    };
    T::deserialize(args).map_err(|e| ModuleError::Params(format!("{module}: {e}")))
}

/// A scalar as text: strings as they are, numbers and booleans printed (Ansible's `str` type).
fn scalar_text(v: Value) -> Option<String> {
    if let Some(s) = v.as_str() {
        return Some(s.to_string());
    }
    match v.kind() {
        minijinja::value::ValueKind::Number => Some(v.to_string()),
        minijinja::value::ValueKind::Bool => Some(if v.is_true() { "True" } else { "False" }.to_string()),
        _ => None,
    }
}

/// A required string parameter that may be written as a number.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Value::deserialize(d)?;
    scalar_text(v.clone()).ok_or_else(|| D::Error::custom(format!("expected a string, got {v}")))
}

/// An optional string parameter that may be written as a number.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    if v.is_none() || v.is_undefined() {
        return Ok(None);
    }
    scalar_text(v.clone())
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("expected a string, got {v}")))
}

/// Ansible's boolean: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`, `y`/`n`, `t`/`f`.
pub fn to_bool(v: &Value) -> Option<bool> {
    match v.kind() {
        minijinja::value::ValueKind::Bool => Some(v.is_true()),
        minijinja::value::ValueKind::Number => match i64::try_from(v.clone()) {
            Ok(1) => Some(true),
            Ok(0) => Some(false),
            _ => None,
        },
        minijinja::value::ValueKind::String => {
            match v.as_str().unwrap_or("").trim().to_ascii_lowercase().as_str() {
                "yes" | "on" | "1" | "true" | "y" | "t" => Some(true),
                "no" | "off" | "0" | "false" | "n" | "f" | "" => Some(false),
                _ => None,
            }
        }
        _ => None,
    }
}

/// An optional boolean parameter (`None` when absent), Ansible-style.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v = Value::deserialize(d)?;
    if v.is_none() || v.is_undefined() {
        return Ok(None);
    }
    to_bool(&v)
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("`{v}` is not a valid boolean (use true or false)")))
}

/// A `mode:` parameter: `preserve` (copy and template only), octal, integer or symbolic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModeParam {
    Preserve,
    Mode(Mode),
}

/// An optional `mode:` parameter.
pub fn opt_mode<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ModeParam>, D::Error> {
    let v = Value::deserialize(d)?;
    if v.is_none() || v.is_undefined() {
        return Ok(None);
    }
    if v.as_str() == Some("preserve") {
        return Ok(Some(ModeParam::Preserve));
    }
    Mode::from_value(&v)
        .map(|m| Some(ModeParam::Mode(m)))
        .map_err(|e| D::Error::custom(e.to_string()))
}

/// A map value from key/value pairs, keeping their order.
pub fn map_value<K: Into<Value>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
    let map: indexmap::IndexMap<Value, Value> = pairs.into_iter().map(|(k, v)| (k.into(), v)).collect();
    Value::from(map)
}

/// A failed outcome with a message.
pub fn failed(msg: impl Into<String>) -> Outcome {
    Outcome {
        failed: true,
        msg: Some(msg.into()),
        ..Outcome::default()
    }
}

/// A file operation's error as the task's result: the host refusing is a task failure, a
/// broken connection is the connection's error.
pub fn file_failure(e: FileError) -> Result<Outcome, ModuleError> {
    match e {
        FileError::Connection(c) => Err(ModuleError::Connection(c)),
        remote @ FileError::Remote { .. } => Ok(failed(remote.to_string())),
    }
}

/// Finds a task's `src` on the controller: absolute as given; else the role's `SUBDIR/`, the
/// role directory, the playbook directory's `SUBDIR/`, then the playbook directory.
pub fn find_source(ctx: &ModuleCtx<'_>, subdir: &str, src: &str) -> Result<PathBuf, ModuleError> {
    let path = Path::new(src);
    if path.is_absolute() {
        if path.exists() {
            return Ok(path.to_path_buf());
        }
        return Err(ModuleError::Local(format!(
            "could not find `{src}` on the controller"
        )));
    }
    let mut candidates = Vec::new();
    if let Some(role) = ctx.role_path {
        candidates.push(role.join(subdir).join(path));
        candidates.push(role.join(path));
    }
    candidates.push(ctx.playbook_dir.join(subdir).join(path));
    candidates.push(ctx.playbook_dir.join(path));
    if let Some(found) = candidates.iter().find(|c| c.exists()) {
        return Ok(found.clone());
    }
    let searched: Vec<String> = candidates.iter().map(|c| c.display().to_string()).collect();
    Err(ModuleError::Local(format!(
        "could not find `{src}`; searched: {}",
        searched.join(", ")
    )))
}

/// The largest file Ansible shows in a diff (`MAX_FILE_SIZE_FOR_DIFF`).
pub const MAX_DIFF_SIZE: usize = 104_448;

/// A before/after diff of file contents, or `None` for binary or very large files.
pub fn content_diff(before_header: &str, after_header: &str, before: &[u8], after: &[u8]) -> Option<Diff> {
    if before.len() > MAX_DIFF_SIZE || after.len() > MAX_DIFF_SIZE {
        return None;
    }
    let (Ok(b), Ok(a)) = (std::str::from_utf8(before), std::str::from_utf8(after)) else {
        return None;
    };
    if b.contains('\0') || a.contains('\0') {
        return None;
    }
    Some(Diff {
        before_header: before_header.to_string(),
        after_header: after_header.to_string(),
        before: b.to_string(),
        after: a.to_string(),
    })
}

/// A diff of two small state maps, printed as Ansible prints dict diffs (sorted JSON, indent 4).
pub fn state_diff(path: &str, before: BTreeMap<&str, Value>, after: BTreeMap<&str, Value>) -> Diff {
    Diff {
        before_header: path.to_string(),
        after_header: path.to_string(),
        before: pretty_json(&before),
        after: pretty_json(&after),
    }
}

fn pretty_json(map: &BTreeMap<&str, Value>) -> String {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    if serde::Serialize::serialize(map, &mut ser).is_err() {
        return String::new();
    }
    let mut text = String::from_utf8_lossy(&out).into_owned();
    text.push('\n');
    text
}

/// The registered fields Ansible's file-writing modules return about a path.
pub fn file_fields(st: &FileStat, outcome: &mut Outcome) {
    let d = &mut outcome.data;
    d.insert("mode".into(), Value::from(format_mode(st.mode)));
    d.insert("owner".into(), Value::from(st.owner.clone()));
    d.insert("group".into(), Value::from(st.group.clone()));
    d.insert("uid".into(), Value::from(st.uid));
    d.insert("gid".into(), Value::from(st.gid));
    d.insert("size".into(), Value::from(st.size));
    let state = match st.kind {
        crate::connection::files::FileKind::Directory => "directory",
        crate::connection::files::FileKind::Symlink => "link",
        _ => "file",
    };
    d.insert("state".into(), Value::from(state));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct P {
        #[serde(deserialize_with = "string")]
        name: String,
        #[serde(default, deserialize_with = "opt_bool")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "opt_mode")]
        mode: Option<ModeParam>,
    }

    #[test]
    fn lenient_scalars() {
        let args = minijinja::context! { name => 42, flag => "yes", mode => 420 };
        let p: P = parse("t", &args).expect("parses");
        assert_eq!(p.name, "42");
        assert_eq!(p.flag, Some(true));
        assert_eq!(p.mode, Some(ModeParam::Mode(Mode::Bits(0o644))));
        let err = parse::<P>("t", &minijinja::context! { name => "x", bogus => 1 }).expect_err("unknown");
        assert!(err.to_string().contains("bogus"), "{err}");
    }

    #[test]
    fn dict_diffs_look_like_ansible() {
        let before = BTreeMap::from([("state", Value::from("absent")), ("path", Value::from("/x"))]);
        let d = state_diff("/x", before, BTreeMap::new());
        assert_eq!(
            d.before,
            "{\n    \"path\": \"/x\",\n    \"state\": \"absent\"\n}\n"
        );
    }
}
