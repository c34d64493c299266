//! The one parameter toolkit of the modules: typed parameters deserialized from templated
//! arguments the way Ansible converts them ([`lenient`]: `yes`/`no` booleans, numbers where
//! strings are expected, comma-separated lists, choices as enums), with the failing parameter
//! named; the accepted names derived from the same type; modes; value formatting as Ansible
//! prints it; and diffs.

pub mod lenient;
pub mod selinux;

use std::collections::BTreeMap;

use minijinja::Value;
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, Error as _, Visitor};

use super::{Diff, ModuleError, Outcome};
use crate::connection::files::{FileStat, Mode, format_mode};

/// Deserializes a module's templated arguments into its parameter type; an error names the
/// parameter it concerns.
pub fn parse<T: DeserializeOwned>(module: &str, args: &Value) -> Result<T, ModuleError> {
    let args = if args.is_undefined() || args.is_none() {
        Value::from(BTreeMap::<String, Value>::new())
    } else {
        args.clone()
    };
    serde_path_to_error::deserialize(lenient::Lenient(args)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path.is_empty() || path == "." {
            ModuleError::Params(format!("{module}: {inner}"))
        } else {
            ModuleError::Params(format!("{module}: argument '{path}': {inner}"))
        }
    })
}

/// The parameter names a `Params` type accepts, aliases included, or `None` when it takes any
/// name (a map). Read from the field list serde's derive hands to the deserializer, so the
/// names are declared once, on the struct.
pub fn names<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    match T::deserialize(NameProbe) {
        Err(Probed::Fields(fields)) => Some(fields),
        Err(Probed::Map | Probed::Other) | Ok(_) => None,
    }
}

/// What [`NameProbe`] saw.
#[derive(Debug)]
enum Probed {
    Fields(&'static [&'static str]),
    Map,
    Other,
}

impl std::fmt::Display for Probed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for Probed {}

impl de::Error for Probed {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Probed::Other
    }
}

/// A deserializer that only asks the type how it wants to be read.
struct NameProbe;

impl<'de> Deserializer<'de> for NameProbe {
    type Error = Probed;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
        Err(Probed::Other)
    }

    fn deserialize_map<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
        Err(Probed::Map)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Probed> {
        Err(Probed::Fields(fields))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct enum identifier ignored_any
    }
}

/// A value as Python's `str()` would give it for scalars.
pub use crate::yaml::python_str as value_to_text;

/// A message value as one line of text: strings as they are, anything else as JSON.
pub fn display_text(v: &Value) -> String {
    if let Some(s) = v.as_str() {
        return s.to_string();
    }
    serde_json::to_string(v).unwrap_or_else(|_| v.to_string())
}

/// The Python type name Ansible's messages use for a value.
pub fn python_type(v: &Value) -> &'static str {
    use minijinja::value::ValueKind;
    match v.kind() {
        ValueKind::Bool => "bool",
        ValueKind::Number => {
            if v.as_i64().is_some() {
                "int"
            } else {
                "float"
            }
        }
        ValueKind::String => "str",
        ValueKind::Seq | ValueKind::Iterable => "list",
        ValueKind::Map => "dict",
        ValueKind::None | ValueKind::Undefined => "NoneType",
        _ => "object",
    }
}

/// A `mode:` parameter: `preserve` (copy and template only), octal, integer or symbolic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModeParam {
    Preserve,
    Mode(Mode),
}

impl<'de> Deserialize<'de> for ModeParam {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        if v.as_str() == Some("preserve") {
            return Ok(ModeParam::Preserve);
        }
        Mode::from_value(&v)
            .map(ModeParam::Mode)
            .map_err(|e| D::Error::custom(e.to_string()))
    }
}

/// A map value from key/value pairs, keeping their order.
pub fn map_value<K: Into<Value>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
    let map: indexmap::IndexMap<Value, Value> = pairs.into_iter().map(|(k, v)| (k.into(), v)).collect();
    Value::from(map)
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
        prepared: None,
    })
}

/// A diff of two small state maps, printed as Ansible prints dict diffs (sorted JSON, indent 4).
pub fn state_diff(path: &str, before: BTreeMap<&str, Value>, after: BTreeMap<&str, Value>) -> Diff {
    Diff {
        before_header: path.to_string(),
        after_header: path.to_string(),
        before: pretty_json(&before),
        after: pretty_json(&after),
        prepared: None,
    }
}

/// A mapping as Ansible's callback shows a dict `before`/`after` of a diff
/// (`_serialize_diff`: JSON, keys sorted, four-space indents, a final newline).
pub fn json_diff_text(value: &serde_json::Value) -> String {
    fn sorted(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                serde_json::Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&m[k]))).collect())
            }
            serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    if serde::Serialize::serialize(&sorted(value), &mut ser).is_err() {
        return value.to_string();
    }
    let mut text = String::from_utf8_lossy(&out).into_owned();
    text.push('\n');
    text
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

/// The file fields Ansible adds to any result naming a `path` (its `add_path_info`): owner,
/// mode, size, ... and `state` as the kind of file; nothing when the path does not exist. One
/// round trip.
pub async fn path_info(
    ctx: &mut super::ModuleCtx<'_>,
    path: &str,
    outcome: &mut Outcome,
) -> Result<(), ModuleError> {
    let opts = crate::connection::files::StatOptions {
        follow: false,
        checksum: false,
        checksum_tool: None,
    };
    if let Some(st) = crate::connection::files::stat(ctx.conn, path, opts, &ctx.via).await? {
        file_fields(&st, outcome);
    }
    Ok(())
}

/// Ansible's file argument playhook cannot honour, refused by name rather than ignored:
/// `attributes` (chattr flags; even an empty one, which Ansible applies as `=`, clearing them).
/// The SELinux context arguments are decided on the host by [`selinux::check`].
pub fn refuse_attributes(module: &str, attributes: Option<&str>) -> Result<(), ModuleError> {
    if attributes.is_some() {
        return Err(ModuleError::Params(format!(
            "{module}: `attributes` (chattr flags) is not supported by playhook; \
             set them with a `command: chattr ...` task instead"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct P {
        name: String,
        flag: Option<bool>,
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

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Aliased {
        #[serde(alias = "pkg", alias = "package")]
        name: Option<Vec<String>>,
        state: Option<String>,
    }

    #[test]
    fn accepted_names_come_from_the_params_type_aliases_included() {
        let accepted = names::<Aliased>().expect("a struct has names");
        assert_eq!(accepted, ["name", "package", "pkg", "state"]);
        assert_eq!(
            names::<indexmap::IndexMap<String, Value>>(),
            None,
            "a map takes any name"
        );
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

    #[test]
    fn attributes_are_refused_by_name() {
        assert!(refuse_attributes("copy", None).is_ok());
        // An empty `attributes` clears every flag in Ansible: refused too.
        let err = refuse_attributes("get_url", Some("")).expect_err("attributes");
        assert!(err.to_string().contains("get_url: `attributes`"), "{err}");
    }
}
