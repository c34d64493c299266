//! Loading YAML into a tree of [`Node`]s that remember their line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::Value;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::loc::Loc;

use super::resolve::{python_str, resolve_plain};

/// Lists and mappings nested deeper than this are refused: real files nest a few levels, and
/// the code that walks values recurses.
pub const MAX_DEPTH: usize = 200;

/// Nodes a document may hold once aliases are expanded: an alias bomb ("billion laughs") is
/// refused here instead of filling memory.
pub const MAX_NODES: usize = 1_000_000;

/// A YAML document that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum YamlError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{loc}: YAML syntax error: {message}")]
    Syntax { loc: Loc, message: String },
    #[error("{loc}: {message}")]
    Unsupported { loc: Loc, message: String },
}

/// One YAML node with the line it starts on.
#[derive(Clone, Debug)]
pub struct Node {
    pub kind: NodeKind,
    pub loc: Loc,
    /// For a mapping, the line each key is written on (keys brought by `<<` merges have none).
    pub key_lines: Vec<(String, usize)>,
}

#[derive(Clone, Debug)]
pub enum NodeKind {
    /// A scalar, already resolved (plain scalars as YAML 1.1, quoted ones as strings).
    Scalar(Value),
    Seq(Vec<Node>),
    /// A mapping, in file order. Keys are strings as Ansible uses them.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// The node as a plain value, dropping line information.
    pub fn to_value(&self) -> Value {
        match &self.kind {
            NodeKind::Scalar(v) => v.clone(),
            NodeKind::Seq(items) => Value::from(items.iter().map(Node::to_value).collect::<Vec<_>>()),
            NodeKind::Map(entries) => Value::from_pairs(
                entries
                    .iter()
                    .map(|(k, v)| (Value::from(k.as_str()), v.to_value())),
            ),
        }
    }

    pub fn as_map(&self) -> Option<&[(String, Node)]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(v) => v.as_str(),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(v) if v.is_none())
    }

    /// Where `key` of this mapping is written; the node's own location when unknown.
    pub fn key_loc(&self, key: &str) -> Loc {
        match self.key_lines.iter().find(|(k, _)| k == key) {
            Some((_, line)) => Loc::new(&self.loc.file, *line),
            None => self.loc.clone(),
        }
    }

    /// The value under `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A short name of the node's type for error messages ("a mapping", "a list", "a string").
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Map(_) => "a mapping",
            NodeKind::Seq(_) => "a list",
            NodeKind::Scalar(v) if v.is_none() => "empty",
            NodeKind::Scalar(v) if v.as_str().is_some() => "a string",
            NodeKind::Scalar(_) => "a scalar",
        }
    }
}

/// Reads and parses a YAML file. An empty file yields `None`.
pub fn load_file(path: &Path) -> Result<Option<Node>, YamlError> {
    let text = std::fs::read_to_string(path).map_err(|source| YamlError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_str(&text, path)
}

/// Parses YAML text that came from `path` (used in locations only). Only the first document
/// is read, as Ansible does for playbooks and variable files.
pub fn load_str(text: &str, path: &Path) -> Result<Option<Node>, YamlError> {
    let root = build(text, path, false)?.root;
    refuse_sops(root.as_ref())?;
    Ok(root)
}

/// A SOPS-encrypted document (a top-level `sops:` mapping with SOPS's own keys) is refused.
fn refuse_sops(root: Option<&Node>) -> Result<(), YamlError> {
    if let Some(sops) = root.and_then(|r| r.get("sops")) {
        if sops.as_map().is_some_and(|m| {
            m.iter()
                .any(|(k, _)| matches!(k.as_str(), "mac" | "version" | "lastmodified"))
        }) {
            return Err(YamlError::Unsupported {
                loc: sops.loc.clone(),
                message: SOPS_FILE.into(),
            });
        }
    }
    Ok(())
}

/// Every document of YAML text (`from_yaml_all`); an empty document is `None`.
pub fn load_all_str(text: &str, path: &Path) -> Result<Vec<Option<Node>>, YamlError> {
    Ok(build(text, path, true)?.documents)
}

fn build(text: &str, path: &Path, all: bool) -> Result<Builder, YamlError> {
    let file = Arc::new(path.to_path_buf());
    if text.trim_start().starts_with("$ANSIBLE_VAULT;") {
        return Err(YamlError::Unsupported {
            loc: Loc::new(&file, 1),
            message: VAULT_FILE.into(),
        });
    }
    let mut builder = Builder {
        file: Arc::clone(&file),
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        root: None,
        error: None,
        all,
        documents: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    // The parser's own `load` recurses once per nesting level (a stack overflow on deep input)
    // and asserts on its events; its event iterator does neither, and lets us stop at the
    // first error.
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| YamlError::Syntax {
            loc: Loc::new(&file, e.marker().line()),
            message: e.info().to_string(),
        })?;
        let stop = match ev {
            Event::StreamEnd => true,
            Event::DocumentEnd => !all,
            _ => false,
        };
        builder.on_event(ev, mark);
        if stop || builder.error.is_some() {
            break;
        }
    }
    if let Some(err) = builder.error.take() {
        return Err(err);
    }
    Ok(builder)
}

/// Why a whole file encrypted with Ansible Vault is refused, and what to do.
const VAULT_FILE: &str = "this file is encrypted with Ansible Vault (`$ANSIBLE_VAULT;...`), which playhook \
    does not read; move its values to playhook's secrets: `ansible-vault view FILE` shows them, \
    `playhook secrets set NAME` stores each one (or `playhook secrets edit` to paste them all), \
    and `{{ secrets.NAME }}` uses it (README: Encrypted secrets); then delete the vault file";

/// Why a SOPS-encrypted file is refused, and what to do.
const SOPS_FILE: &str = "this file is encrypted with SOPS (a top-level `sops:` key and `ENC[...]` values), \
    which playhook does not decrypt: its values would be read as the encrypted text; move them to \
    playhook's secrets: `sops -d FILE` shows them, `playhook secrets set NAME` stores each one (or \
    `playhook secrets edit` to paste them all), and `{{ secrets.NAME }}` uses it (README: Encrypted secrets)";

enum Frame {
    Seq {
        items: Vec<Node>,
        line: usize,
        anchor: usize,
        /// Nodes inside, aliases expanded.
        size: usize,
    },
    Map {
        entries: Vec<(String, Node)>,
        key_lines: Vec<(String, usize)>,
        pending_key: Option<Node>,
        line: usize,
        anchor: usize,
        size: usize,
    },
}

struct Builder {
    file: Arc<PathBuf>,
    stack: Vec<Frame>,
    /// Anchored nodes and their sizes (nodes, aliases expanded).
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes built so far, aliases expanded (see [`MAX_NODES`]).
    nodes: usize,
    root: Option<Node>,
    error: Option<YamlError>,
    /// Whether every document is kept in `documents` (else only the first, in `root`).
    all: bool,
    documents: Vec<Option<Node>>,
}

impl Builder {
    fn loc(&self, line: usize) -> Loc {
        Loc::new(&self.file, line)
    }

    /// Counts `new` nodes made at `line`; refuses the document once it holds more than
    /// [`MAX_NODES`] (aliases expanded). Returns whether the document is still accepted.
    fn count(&mut self, new: usize, line: usize) -> bool {
        self.nodes = self.nodes.saturating_add(new);
        if self.nodes > MAX_NODES {
            self.error = Some(YamlError::Unsupported {
                loc: self.loc(line),
                message: format!(
                    "the document holds more than {MAX_NODES} values once its aliases (`*name`) are \
                     expanded; an alias of an alias of ... (a YAML alias bomb) is refused"
                ),
            });
        }
        self.error.is_none()
    }

    /// Adds a finished node of `size` nodes (aliases expanded) to its parent.
    fn push_node(&mut self, node: Node, size: usize) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq {
                items, size: total, ..
            }) => {
                *total = total.saturating_add(size);
                items.push(node);
            }
            Some(Frame::Map {
                entries,
                pending_key,
                key_lines,
                size: total,
                ..
            }) => match pending_key.take() {
                None => {
                    *total = total.saturating_add(size);
                    *pending_key = Some(node);
                }
                Some(key) => {
                    *total = total.saturating_add(size);
                    if let Some(name) = key.as_str() {
                        key_lines.push((name.to_string(), key.loc.line));
                    }
                    if let Err(e) = insert_entry(entries, key, node) {
                        self.error.get_or_insert(e);
                    }
                }
            },
        }
    }

    fn scalar(
        &self,
        text: String,
        style: TScalarStyle,
        tag: Option<Tag>,
        line: usize,
    ) -> Result<Node, YamlError> {
        let loc = self.loc(line);
        let value = match (&tag, style) {
            (Some(tag), _) if tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:" => {
                match tag.suffix.as_str() {
                    "str" => Value::from(text),
                    "int" | "float" | "bool" | "null" => resolve_plain(&text),
                    other => {
                        return Err(YamlError::Unsupported {
                            loc,
                            message: format!("the YAML tag `!!{other}` is not supported"),
                        });
                    }
                }
            }
            (Some(tag), _) if tag.handle == "!" && tag.suffix == "unsafe" => Value::from(text),
            (Some(tag), _) if tag.handle == "!" && tag.suffix == "vault" => {
                return Err(YamlError::Unsupported {
                    loc,
                    message: "Ansible Vault values (`!vault`) are not supported; move the value to \
                              the secrets file (`playhook secrets set NAME`) and use `{{ secrets.NAME }}`"
                        .into(),
                });
            }
            (Some(tag), _) => {
                return Err(YamlError::Unsupported {
                    loc,
                    message: format!("the YAML tag `{}{}` is not supported", tag.handle, tag.suffix),
                });
            }
            (None, TScalarStyle::Plain) => resolve_plain(&text),
            (None, _) => Value::from(text),
        };
        Ok(Node {
            kind: NodeKind::Scalar(value),
            loc,
            key_lines: Vec::new(),
        })
    }
}

/// Inserts a mapping entry; `<<` merge keys are expanded as PyYAML does (existing keys win).
fn insert_entry(entries: &mut Vec<(String, Node)>, key: Node, value: Node) -> Result<(), YamlError> {
    let name = match &key.kind {
        NodeKind::Scalar(v) => match v.as_str() {
            Some(s) => s.to_string(),
            None if v.is_none() => "null".to_string(),
            None => python_str(v),
        },
        _ => {
            return Err(YamlError::Unsupported {
                loc: key.loc,
                message: "a mapping key must be a scalar".into(),
            });
        }
    };
    if name == "<<" && matches!(&key.kind, NodeKind::Scalar(v) if v.as_str().is_some()) {
        let sources: Vec<&Node> = match &value.kind {
            NodeKind::Map(_) => vec![&value],
            NodeKind::Seq(items) => items.iter().collect(),
            NodeKind::Scalar(_) => {
                return Err(YamlError::Unsupported {
                    loc: value.loc,
                    message: "a `<<` merge key needs a mapping or a list of mappings".into(),
                });
            }
        };
        for source in sources {
            if let NodeKind::Map(merged) = &source.kind {
                for (k, v) in merged {
                    if !entries.iter().any(|(existing, _)| existing == k) {
                        entries.push((k.clone(), v.clone()));
                    }
                }
            }
        }
        return Ok(());
    }
    // A later duplicate key wins, as in PyYAML.
    if let Some(slot) = entries.iter_mut().find(|(k, _)| *k == name) {
        slot.1 = value;
    } else {
        entries.push((name, value));
    }
    Ok(())
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let line = mark.line();
        match ev {
            Event::Scalar(text, style, anchor, tag) => match self.scalar(text, style, tag, line) {
                Ok(node) => {
                    if anchor > 0 {
                        self.anchors.insert(anchor, (node.clone(), 1));
                    }
                    if self.count(1, line) {
                        self.push_node(node, 1);
                    }
                }
                Err(e) => self.error = Some(e),
            },
            Event::SequenceStart(..) | Event::MappingStart(..) if self.stack.len() >= MAX_DEPTH => {
                self.error = Some(YamlError::Unsupported {
                    loc: self.loc(line),
                    message: format!(
                        "lists and mappings nested more than {MAX_DEPTH} levels deep are refused"
                    ),
                });
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq {
                items: Vec::new(),
                line,
                anchor,
                size: 0,
            }),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map {
                entries: Vec::new(),
                key_lines: Vec::new(),
                pending_key: None,
                line,
                anchor,
                size: 0,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq {
                        items,
                        line,
                        anchor,
                        size,
                    }) => (
                        Node {
                            kind: NodeKind::Seq(items),
                            loc: self.loc(line),
                            key_lines: Vec::new(),
                        },
                        anchor,
                        size,
                    ),
                    Some(Frame::Map {
                        entries,
                        key_lines,
                        line,
                        anchor,
                        size,
                        ..
                    }) => (
                        Node {
                            kind: NodeKind::Map(entries),
                            loc: self.loc(line),
                            key_lines,
                        },
                        anchor,
                        size,
                    ),
                    None => return,
                };
                let (node, anchor, size) = (node.0, node.1, node.2.saturating_add(1));
                if !self.count(1, line) {
                    return;
                }
                if anchor > 0 {
                    self.anchors.insert(anchor, (node.clone(), size));
                }
                self.push_node(node, size);
            }
            // Counted before the copy is made: a bomb is refused before it is built.
            Event::Alias(id) => match self.anchors.get(&id).map(|(_, size)| *size) {
                Some(size) => {
                    if self.count(size, line) {
                        if let Some((node, _)) = self.anchors.get(&id) {
                            let node = node.clone();
                            self.push_node(node, size);
                        }
                    }
                }
                None => {
                    self.error = Some(YamlError::Syntax {
                        loc: self.loc(line),
                        message: "alias to an unknown anchor".into(),
                    })
                }
            },
            Event::DocumentEnd if self.all => {
                let root = self.root.take();
                self.documents.push(root);
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Node {
        load_str(text, Path::new("t.yaml"))
            .expect("valid yaml")
            .expect("non-empty")
    }

    #[test]
    fn nodes_keep_their_lines() {
        let doc = load("- hosts: all\n  tasks:\n    - name: one\n      debug: msg=hi\n");
        let play = &doc.as_seq().expect("seq")[0];
        let task = &play.get("tasks").expect("tasks").as_seq().expect("seq")[0];
        assert_eq!(task.loc.line, 3);
        assert_eq!(task.get("debug").expect("debug").loc.line, 4);
        assert_eq!(task.loc.to_string(), "t.yaml:3");
    }

    #[test]
    fn quoted_scalars_stay_strings_and_merge_keys_expand() {
        let doc = load("base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\nq: 'yes'\nm: 0644\n");
        assert_eq!(doc.get("q").expect("q").to_value(), Value::from("yes"));
        assert_eq!(doc.get("m").expect("m").to_value(), Value::from(420));
        let x = doc.get("x").expect("x").to_value();
        assert_eq!(x.get_attr("a").expect("a"), Value::from(1));
        assert_eq!(x.get_attr("b").expect("b"), Value::from(3));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = load_str("a: 1\nb: [unclosed\n", Path::new("bad.yaml")).expect_err("syntax error");
        assert!(err.to_string().starts_with("bad.yaml:"), "{err}");
    }

    #[test]
    fn vault_and_sops_files_are_refused_naming_them() {
        let err = load_str("$ANSIBLE_VAULT;1.1;AES256\n6162\n", Path::new("v.yml")).expect_err("vault");
        assert!(
            err.to_string()
                .starts_with("v.yml:1: this file is encrypted with Ansible Vault"),
            "{err}"
        );
        let sops =
            "db: ENC[AES256_GCM,data:abc=,iv:x=,tag:y=,type:str]\nsops:\n  mac: ENC[x]\n  version: 3.8.1\n";
        let err = load_str(sops, Path::new("s.yml")).expect_err("sops");
        assert!(
            err.to_string()
                .starts_with("s.yml:3: this file is encrypted with SOPS"),
            "{err}"
        );
        // A variable named sops is just a variable.
        assert!(load_str("sops:\n  enabled: true\n", Path::new("x.yml")).is_ok());
    }

    #[test]
    fn vault_tags_are_refused_with_advice() {
        let err = load_str("p: !vault |\n  $ANSIBLE_VAULT;1.1\n", Path::new("v.yaml")).expect_err("refused");
        assert!(err.to_string().contains("playhook secrets set"), "{err}");
    }
}
