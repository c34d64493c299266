//! The secrets file on disk: a YAML or JSON mapping whose keys stay readable and whose values
//! are each `ENC[...]`, followed by a `_playhook` section (format version, Argon2id parameters
//! and salt, key check, MAC). `ARCHITECTURE.md`, section
//! "Encrypted secrets" › "File format, version 1", describes it byte for byte.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use minijinja::Value;

use super::crypto::{EncValue, KdfParams};
use super::emit::{meta_scalar, to_yaml};
use super::error::SecretsError;
use super::path::KeyPath;
use super::tree::{Scalar, Tree};
use crate::yaml::{Node, NodeKind, YamlError};

/// The key that holds the file's own data; no secret may use it.
pub const META_KEY: &str = "_playhook";
/// The file format version this code reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// The names a repository's secrets file may have, in the order they are looked for.
pub const FILE_NAMES: [&str; 3] = ["secrets.yaml", "secrets.yml", "secrets.json"];

/// The syntax of a secrets file, chosen by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    pub fn of(path: &Path) -> Format {
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            Format::Json
        } else {
            Format::Yaml
        }
    }
}

/// The `_playhook` section.
#[derive(Clone, Debug)]
pub struct Meta {
    pub kdf: KdfParams,
    pub key_check: Vec<u8>,
    pub mac: Vec<u8>,
}

/// A secrets file as read, before any decryption.
#[derive(Clone, Debug)]
pub struct EncDoc {
    pub meta: Meta,
    pub tree: Tree<EncValue>,
}

/// The secrets file of a repository, if it has one.
pub fn find(repo_dir: &Path) -> Result<Option<PathBuf>, SecretsError> {
    let found: Vec<PathBuf> = FILE_NAMES
        .iter()
        .map(|n| repo_dir.join(n))
        .filter(|p| p.exists())
        .collect();
    match &found[..] {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        [first, second, ..] => Err(SecretsError::Ambiguous {
            first: first.clone(),
            second: second.clone(),
        }),
    }
}

/// Parses a secrets file's bytes; `path` names it in errors.
pub fn parse(bytes: &[u8], path: &Path) -> Result<EncDoc, SecretsError> {
    let text = std::str::from_utf8(bytes).map_err(|e| SecretsError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.valid_up_to(),
    })?;
    let raw = match Format::of(path) {
        Format::Yaml => parse_yaml(text, path)?,
        Format::Json => parse_json(text, path)?,
    };
    let Some(Tree::Map(mut entries)) = raw else {
        return Err(match raw {
            None => SecretsError::NoMetadata {
                path: path.to_path_buf(),
            },
            Some(_) => SecretsError::Syntax {
                path: path.to_path_buf(),
                line: None,
                message: "the file must be a mapping of names to encrypted values".into(),
            },
        });
    };
    let meta_pos =
        entries
            .iter()
            .position(|(k, _)| k == META_KEY)
            .ok_or_else(|| SecretsError::NoMetadata {
                path: path.to_path_buf(),
            })?;
    let (_, meta) = entries.remove(meta_pos);
    let meta = parse_meta(&meta, path)?;
    let tree = Tree::Map(entries).try_map(&mut |key_path: &KeyPath, leaf: &Value| {
        let bad = |message: String| SecretsError::BadValue {
            path: path.to_path_buf(),
            key_path: key_path.clone(),
            message,
        };
        let text = leaf
            .as_str()
            .ok_or_else(|| bad("is not an encrypted value `ENC[...]`: the file was edited by hand".into()))?;
        EncValue::parse(text).map_err(|m| bad(format!("the value {m}")))
    })?;
    Ok(EncDoc { meta, tree })
}

fn parse_yaml(text: &str, path: &Path) -> Result<Option<Tree<Value>>, SecretsError> {
    let node = crate::yaml::load_str(text, path).map_err(|e| match e {
        YamlError::Syntax { loc, message } | YamlError::Unsupported { loc, message } => {
            SecretsError::Syntax {
                path: path.to_path_buf(),
                line: Some(loc.line),
                message: format!("{message} (the file is damaged; restore it from git)"),
            }
        }
        YamlError::Read { path, source } => SecretsError::Read { path, source },
    })?;
    fn convert(node: &Node) -> Tree<Value> {
        match &node.kind {
            NodeKind::Scalar(v) => Tree::Leaf(v.clone()),
            NodeKind::Seq(items) => Tree::List(items.iter().map(convert).collect()),
            NodeKind::Map(entries) => {
                Tree::Map(entries.iter().map(|(k, v)| (k.clone(), convert(v))).collect())
            }
        }
    }
    Ok(node.filter(|n| !n.is_null()).as_ref().map(convert))
}

fn parse_json(text: &str, path: &Path) -> Result<Option<Tree<Value>>, SecretsError> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| SecretsError::Syntax {
        path: path.to_path_buf(),
        line: Some(e.line()),
        message: format!("not valid JSON: {e} (the file is damaged; restore it from git)"),
    })?;
    fn convert(json: &serde_json::Value) -> Tree<Value> {
        match json {
            serde_json::Value::Array(items) => Tree::List(items.iter().map(convert).collect()),
            serde_json::Value::Object(map) => {
                Tree::Map(map.iter().map(|(k, v)| (k.clone(), convert(v))).collect())
            }
            serde_json::Value::String(s) => Tree::Leaf(Value::from(s.as_str())),
            serde_json::Value::Bool(b) => Tree::Leaf(Value::from(*b)),
            serde_json::Value::Null => Tree::Leaf(Value::from(())),
            serde_json::Value::Number(n) => Tree::Leaf(match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Value::from(i),
                (None, Some(f)) => Value::from(f),
                (None, None) => Value::from(n.to_string()),
            }),
        }
    }
    Ok(Some(convert(&json)))
}

fn parse_meta(meta: &Tree<Value>, path: &Path) -> Result<Meta, SecretsError> {
    let bad = |field: &'static str, message: &str| SecretsError::BadMetadata {
        path: path.to_path_buf(),
        field,
        message: message.to_string(),
    };
    let Tree::Map(fields) = meta else {
        return Err(SecretsError::NoMetadata {
            path: path.to_path_buf(),
        });
    };
    let get = |field: &'static str| -> Result<&Value, SecretsError> {
        match fields.iter().find(|(k, _)| k == field) {
            Some((_, Tree::Leaf(v))) => Ok(v),
            Some(_) => Err(bad(field, "must be a single value")),
            None => Err(bad(
                field,
                "is missing: the file is truncated or was not written by playhook",
            )),
        }
    };
    let version = get("version")?;
    if version.as_i64() != Some(i64::from(FORMAT_VERSION)) {
        return Err(SecretsError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: version.to_string(),
            supported: FORMAT_VERSION,
        });
    }
    for (name, _) in fields {
        if ![
            "version",
            "kdf",
            "memory_kib",
            "iterations",
            "parallelism",
            "salt",
            "key_check",
            "mac",
        ]
        .contains(&name.as_str())
        {
            return Err(SecretsError::BadMetadata {
                path: path.to_path_buf(),
                field: "version",
                message: format!("is {FORMAT_VERSION} but the section has the unknown field `{name}`"),
            });
        }
    }
    if get("kdf")?.as_str() != Some("argon2id") {
        return Err(bad("kdf", "must be `argon2id`"));
    }
    let number = |field: &'static str, max: u32| -> Result<u32, SecretsError> {
        get(field)?
            .as_i64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| bad(field, &format!("must be a whole number from 1 to {max}")))
    };
    let bytes = |field: &'static str| -> Result<Vec<u8>, SecretsError> {
        get(field)?
            .as_str()
            .and_then(|s| B64.decode(s).ok())
            .ok_or_else(|| bad(field, "must be base64 text"))
    };
    let kdf = KdfParams {
        memory_kib: number("memory_kib", 4 * 1024 * 1024)?,
        iterations: number("iterations", 64)?,
        parallelism: number("parallelism", 64)?,
        salt: bytes("salt")?,
    };
    if !(8..=64).contains(&kdf.salt.len()) {
        return Err(bad("salt", "must be 8 to 64 bytes"));
    }
    Ok(Meta {
        kdf,
        key_check: bytes("key_check")?,
        mac: bytes("mac")?,
    })
}

fn tree_json(tree: &Tree<EncValue>) -> serde_json::Value {
    match tree {
        Tree::Leaf(v) => serde_json::Value::from(v.to_text()),
        Tree::List(items) => serde_json::Value::Array(items.iter().map(tree_json).collect()),
        Tree::Map(entries) => {
            serde_json::Value::Object(entries.iter().map(|(k, v)| (k.clone(), tree_json(v))).collect())
        }
    }
}

fn meta_fields(meta: &Meta, with_mac: bool) -> Vec<(&'static str, Value)> {
    let mut fields = vec![
        ("version", Value::from(FORMAT_VERSION)),
        ("kdf", Value::from("argon2id")),
        ("memory_kib", Value::from(meta.kdf.memory_kib)),
        ("iterations", Value::from(meta.kdf.iterations)),
        ("parallelism", Value::from(meta.kdf.parallelism)),
        ("salt", Value::from(B64.encode(&meta.kdf.salt))),
        ("key_check", Value::from(B64.encode(&meta.key_check))),
    ];
    if with_mac {
        fields.push(("mac", Value::from(B64.encode(&meta.mac))));
    }
    fields
}

/// The bytes the file MAC covers: a tag, then the JSON array `[meta without mac, tree]` with
/// every value in its stored `ENC[...]` form, keys in file order.
pub fn mac_input(meta: &Meta, tree: &Tree<EncValue>) -> Vec<u8> {
    let meta_json: serde_json::Map<String, serde_json::Value> = meta_fields(meta, false)
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    let content = serde_json::Value::Array(vec![serde_json::Value::Object(meta_json), tree_json(tree)]);
    let mut out = b"playhook-secrets mac v1\n".to_vec();
    out.extend_from_slice(content.to_string().as_bytes());
    out
}

const YAML_HEADER: &str = "\
# playhook secrets: every value is encrypted (AES-256-GCM); the keys stay readable.
# Change values with `playhook secrets set|edit|rm`, never by hand: the MAC below covers them all.
";

/// The file's text in the given format.
pub fn render(doc: &EncDoc, format: Format) -> String {
    match format {
        Format::Yaml => {
            let mut entries = match &doc.tree {
                Tree::Map(entries) => entries
                    .iter()
                    .map(|(k, v)| (k.clone(), enc_as_scalars(v)))
                    .collect::<Vec<_>>(),
                _ => Vec::new(),
            };
            let meta = meta_fields(&doc.meta, true)
                .into_iter()
                .map(|(k, v)| (k.to_string(), meta_scalar(v)));
            entries.push((META_KEY.to_string(), Tree::Map(meta.collect())));
            let body = to_yaml(&Tree::Map(entries));
            format!("{YAML_HEADER}{}", body.as_str())
        }
        Format::Json => {
            let mut root = match tree_json(&doc.tree) {
                serde_json::Value::Object(map) => map,
                _ => serde_json::Map::new(),
            };
            let meta = meta_fields(&doc.meta, true)
                .into_iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
                    )
                })
                .collect();
            root.insert(META_KEY.to_string(), serde_json::Value::Object(meta));
            let mut text = serde_json::to_string_pretty(&serde_json::Value::Object(root))
                .expect("a JSON value always serializes");
            text.push('\n');
            text
        }
    }
}

fn enc_as_scalars(tree: &Tree<EncValue>) -> Tree<Scalar> {
    let converted: Result<Tree<Scalar>, std::convert::Infallible> =
        tree.try_map(&mut |_, v: &EncValue| Ok(Scalar::string(v.to_text())));
    match converted {
        Ok(t) => t,
        Err(never) => match never {},
    }
}
