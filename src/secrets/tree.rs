//! The secrets tree: nested mappings and lists whose leaves are values (plaintext [`Scalar`]s
//! once decrypted, encrypted values in the file).

use minijinja::Value;

use super::path::{KeyPath, Segment};
use super::secret_string::SecretString;

/// Nested mappings (in file order) and lists with leaves of type `L`.
#[derive(Clone, Debug, PartialEq)]
pub enum Tree<L> {
    Leaf(L),
    Map(Vec<(String, Tree<L>)>),
    List(Vec<Tree<L>>),
}

/// The type a plaintext value had, kept so `port: 5432` comes back as a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Float,
    Bool,
    Null,
}

impl Kind {
    /// The name written in an encrypted value and bound into its ciphertext.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Str => "str",
            Kind::Int => "int",
            Kind::Float => "float",
            Kind::Bool => "bool",
            Kind::Null => "null",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "str" => Kind::Str,
            "int" => Kind::Int,
            "float" => Kind::Float,
            "bool" => Kind::Bool,
            "null" => Kind::Null,
            _ => return None,
        })
    }
}

/// One decrypted value: its type and its text (`"5432"` for the number 5432).
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub kind: Kind,
    pub text: SecretString,
}

impl Scalar {
    pub fn string(text: String) -> Scalar {
        Scalar {
            kind: Kind::Str,
            text: SecretString::new(text),
        }
    }

    /// A scalar from a template value (as the YAML loader resolved it).
    pub fn from_value(value: &Value) -> Scalar {
        let (kind, text) = if let Some(s) = value.as_str() {
            (Kind::Str, s.to_string())
        } else if value.is_none() || value.is_undefined() {
            (Kind::Null, String::new())
        } else if value.kind() == minijinja::value::ValueKind::Bool {
            (
                Kind::Bool,
                if value.is_true() { "true" } else { "false" }.to_string(),
            )
        } else if value.is_integer() {
            (Kind::Int, value.to_string())
        } else if value.kind() == minijinja::value::ValueKind::Number {
            (Kind::Float, value.to_string())
        } else {
            (Kind::Str, value.to_string())
        };
        Scalar {
            kind,
            text: SecretString::new(text),
        }
    }

    /// The value as templates see it.
    pub fn to_value(&self) -> Value {
        let text = self.text.expose();
        match self.kind {
            Kind::Str => Value::from(text),
            Kind::Null => Value::from(()),
            Kind::Bool => Value::from(text == "true"),
            Kind::Int => text
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| text.parse::<i128>().map(Value::from))
                .unwrap_or_else(|_| Value::from(text)),
            Kind::Float => text
                .parse::<f64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::from(text)),
        }
    }
}

impl<L> Tree<L> {
    pub fn empty_map() -> Tree<L> {
        Tree::Map(Vec::new())
    }

    /// Every leaf with its path, in document order.
    pub fn leaves(&self) -> Vec<(KeyPath, &L)> {
        let mut out = Vec::new();
        self.collect_leaves(KeyPath::root(), &mut out);
        out
    }

    fn collect_leaves<'a>(&'a self, path: KeyPath, out: &mut Vec<(KeyPath, &'a L)>) {
        match self {
            Tree::Leaf(l) => out.push((path, l)),
            Tree::Map(entries) => {
                for (k, v) in entries {
                    v.collect_leaves(path.key(k), out);
                }
            }
            Tree::List(items) => {
                for (i, v) in items.iter().enumerate() {
                    v.collect_leaves(path.index(i), out);
                }
            }
        }
    }

    /// The same shape with every leaf transformed (stopping at the first error).
    pub fn try_map<M, E>(&self, f: &mut impl FnMut(&KeyPath, &L) -> Result<M, E>) -> Result<Tree<M>, E> {
        self.try_map_at(&KeyPath::root(), f)
    }

    fn try_map_at<M, E>(
        &self,
        path: &KeyPath,
        f: &mut impl FnMut(&KeyPath, &L) -> Result<M, E>,
    ) -> Result<Tree<M>, E> {
        Ok(match self {
            Tree::Leaf(l) => Tree::Leaf(f(path, l)?),
            Tree::Map(entries) => Tree::Map(
                entries
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), v.try_map_at(&path.key(k), f)?)))
                    .collect::<Result<_, E>>()?,
            ),
            Tree::List(items) => Tree::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v.try_map_at(&path.index(i), f))
                    .collect::<Result<_, E>>()?,
            ),
        })
    }

    /// The node at `path`, if there is one.
    pub fn get(&self, path: &KeyPath) -> Option<&Tree<L>> {
        let mut node = self;
        for segment in path.segments() {
            node = match (node, segment) {
                (Tree::Map(entries), Segment::Key(k)) => {
                    entries.iter().find(|(key, _)| key == k).map(|(_, v)| v)?
                }
                (Tree::List(items), Segment::Index(i)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// Puts `value` at `path`, creating the mappings on the way; a list index may point one past
    /// the end to append. Returns a message when the path crosses a value or a missing list item.
    pub fn set(&mut self, path: &KeyPath, value: Tree<L>) -> Result<(), String> {
        let Some((last, parents)) = path.segments().split_last() else {
            *self = value;
            return Ok(());
        };
        let mut node = self;
        let mut walked = KeyPath::root();
        let nexts = path.segments().iter().skip(1);
        for (segment, next) in parents.iter().zip(nexts) {
            node = node.child_mut(segment, &walked, Some(next))?;
            walked = walked.child(segment.clone());
        }
        match (node, last) {
            (Tree::Map(entries), Segment::Key(k)) => {
                match entries.iter_mut().find(|(key, _)| key == k) {
                    Some((_, slot)) => *slot = value,
                    None => entries.push((k.clone(), value)),
                }
                Ok(())
            }
            (Tree::List(items), Segment::Index(i)) if *i < items.len() => {
                items[*i] = value;
                Ok(())
            }
            (Tree::List(items), Segment::Index(i)) if *i == items.len() => {
                items.push(value);
                Ok(())
            }
            (node, _) => Err(mismatch(node, &walked)),
        }
    }

    /// The child at `segment`; a missing mapping key is created (as a list when `create` is an
    /// index) when `create` gives the segment that follows.
    fn child_mut(
        &mut self,
        segment: &Segment,
        walked: &KeyPath,
        create: Option<&Segment>,
    ) -> Result<&mut Tree<L>, String> {
        match (self, segment) {
            (Tree::Map(entries), Segment::Key(k)) => {
                let pos = match entries.iter().position(|(key, _)| key == k) {
                    Some(pos) => pos,
                    None if create.is_some() => {
                        let empty = match create {
                            Some(Segment::Index(_)) => Tree::List(Vec::new()),
                            _ => Tree::Map(Vec::new()),
                        };
                        entries.push((k.clone(), empty));
                        entries.len() - 1
                    }
                    None => return Err(format!("`{}` does not exist", walked.key(k))),
                };
                Ok(&mut entries[pos].1)
            }
            (Tree::List(items), Segment::Index(i)) => {
                let len = items.len();
                if *i == len {
                    match create {
                        Some(Segment::Index(_)) => items.push(Tree::List(Vec::new())),
                        Some(Segment::Key(_)) => items.push(Tree::Map(Vec::new())),
                        None => {}
                    }
                }
                items
                    .get_mut(*i)
                    .ok_or_else(|| format!("`{}` has only {len} items", display_or_root(walked)))
            }
            (node, _) => Err(mismatch(node, walked)),
        }
    }

    /// Removes and returns the node at `path`.
    pub fn remove(&mut self, path: &KeyPath) -> Result<Tree<L>, String> {
        let Some((last, parents)) = path.segments().split_last() else {
            return Err("cannot remove the whole file".into());
        };
        let mut node = self;
        let mut walked = KeyPath::root();
        for segment in parents {
            node = node.child_mut(segment, &walked, None)?;
            walked = walked.child(segment.clone());
        }
        match (node, last) {
            (Tree::Map(entries), Segment::Key(k)) => match entries.iter().position(|(key, _)| key == k) {
                Some(pos) => Ok(entries.remove(pos).1),
                None => Err(format!("`{path}` does not exist")),
            },
            (Tree::List(items), Segment::Index(i)) if *i < items.len() => Ok(items.remove(*i)),
            (Tree::List(_), Segment::Index(_)) => Err(format!("`{path}` does not exist")),
            (node, _) => Err(mismatch(node, &walked)),
        }
    }
}

fn display_or_root(path: &KeyPath) -> String {
    if path.is_root() {
        "the file".into()
    } else {
        path.to_string()
    }
}

fn mismatch<L>(node: &Tree<L>, path: &KeyPath) -> String {
    let what = match node {
        Tree::Leaf(_) => "a value",
        Tree::Map(_) => "a mapping",
        Tree::List(_) => "a list",
    };
    format!(
        "{} is {what}, which that path cannot go through",
        display_or_root(path)
    )
}

impl Tree<Scalar> {
    /// The tree as the `secrets` template variable.
    pub fn to_value(&self) -> Value {
        match self {
            Tree::Leaf(s) => s.to_value(),
            Tree::List(items) => Value::from(items.iter().map(Tree::to_value).collect::<Vec<_>>()),
            Tree::Map(entries) => Value::from_pairs(entries.iter().map(|(k, v)| (k.as_str(), v.to_value()))),
        }
    }

    /// The tree as JSON (for `secrets get` of a mapping or list).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Tree::Leaf(s) => serde_json::to_value(s.to_value()).unwrap_or(serde_json::Value::Null),
            Tree::List(items) => serde_json::Value::Array(items.iter().map(Tree::to_json).collect()),
            Tree::Map(entries) => {
                serde_json::Value::Object(entries.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(s: &str) -> Tree<Scalar> {
        Tree::Leaf(Scalar::string(s.into()))
    }

    #[test]
    fn set_creates_mappings_and_appends_to_lists() {
        let mut tree = Tree::empty_map();
        tree.set(&KeyPath::parse("db.password").expect("path"), leaf("x"))
            .expect("set");
        tree.set(&KeyPath::parse("db.users").expect("path"), Tree::List(vec![]))
            .expect("set");
        tree.set(&KeyPath::parse("db.users[0]").expect("path"), leaf("a"))
            .expect("set");
        assert!(
            tree.set(&KeyPath::parse("db.users[5]").expect("path"), leaf("b"))
                .is_err()
        );
        assert!(
            tree.set(&KeyPath::parse("db.password.x").expect("path"), leaf("b"))
                .is_err()
        );
        let paths: Vec<String> = tree.leaves().iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(paths, ["db.password", "db.users[0]"]);
        tree.remove(&KeyPath::parse("db.password").expect("path"))
            .expect("remove");
        assert!(
            tree.remove(&KeyPath::parse("db.password").expect("path"))
                .is_err()
        );
        assert_eq!(tree.leaves().len(), 1);
    }
}
