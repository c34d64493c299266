//! Decrypted secrets as people read and edit them: YAML text to and from a [`Tree`] of [`Scalar`]s.

use std::path::Path;

use zeroize::Zeroizing;

use super::error::SecretsError;
use super::format::META_KEY;
use super::tree::{Scalar, Tree};
use crate::yaml::{Node, NodeKind, YamlError};

/// The tree for a loaded YAML node, every scalar keeping its type.
pub fn tree_from_node(node: &Node) -> Tree<Scalar> {
    match &node.kind {
        NodeKind::Scalar(v) => Tree::Leaf(Scalar::from_value(v)),
        NodeKind::Seq(items) => Tree::List(items.iter().map(tree_from_node).collect()),
        NodeKind::Map(entries) => Tree::Map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), tree_from_node(v)))
                .collect(),
        ),
    }
}

/// Reads decrypted secrets written by a person; `label` names the text in errors.
pub fn parse_plain(text: &str, label: &Path) -> Result<Tree<Scalar>, SecretsError> {
    let node = crate::yaml::load_str(text, label).map_err(|e| match e {
        YamlError::Syntax { loc, message } | YamlError::Unsupported { loc, message } => {
            SecretsError::Syntax {
                path: label.to_path_buf(),
                line: Some(loc.line),
                message,
            }
        }
        YamlError::Read { path, source } => SecretsError::Read { path, source },
    })?;
    let Some(node) = node else {
        return Ok(Tree::empty_map());
    };
    if node.is_null() {
        return Ok(Tree::empty_map());
    }
    if node.as_map().is_none() {
        return Err(SecretsError::Syntax {
            path: label.to_path_buf(),
            line: Some(node.loc.line),
            message: format!(
                "the secrets must be a mapping of names to values, not {}",
                node.type_name()
            ),
        });
    }
    if let Some(meta) = node.get(META_KEY) {
        return Err(SecretsError::Syntax {
            path: label.to_path_buf(),
            line: Some(meta.loc.line),
            message: format!("`{META_KEY}` is reserved for the file's own data; rename that key"),
        });
    }
    Ok(tree_from_node(&node))
}

/// The decrypted secrets as YAML, for `show`, `edit` and `diff-text`.
pub fn to_plain_yaml(tree: &Tree<Scalar>) -> Zeroizing<String> {
    super::emit::to_yaml(tree)
}
