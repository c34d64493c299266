//! community.docker's comparison of a wanted value with what `docker inspect` shows
//! (`compare_generic`), the comparison modes a task picks per option (`comparisons:`), and the
//! difference tracker whose entries become the `diff` (`before`/`after`) of a task.

use indexmap::IndexMap;
use serde_json::Value as Json;

use super::docker::to_value;
use crate::modules::{Diff, Outcome};

/// How an option is compared (`comparisons:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Equal, or it differs.
    Strict,
    /// Never differs.
    Ignore,
    /// Everything wanted is there; more may be (lists, sets, dicts).
    AllowMorePresent,
}

impl Mode {
    /// The mode a `comparisons:` value names.
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "strict" => Some(Mode::Strict),
            "ignore" => Some(Mode::Ignore),
            "allow_more_present" => Some(Mode::AllowMorePresent),
            _ => None,
        }
    }
}

/// The shape of an option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A scalar (string, number, boolean).
    Value,
    /// A list whose order matters.
    List,
    /// A list (or the keys of a mapping) whose order does not matter.
    Set,
    /// A mapping of values.
    Dict,
}

impl Kind {
    /// Ansible's default comparison for this shape: strict for values and lists, else
    /// allow_more_present.
    pub fn default_mode(self) -> Mode {
        match self {
            Kind::Value | Kind::List => Mode::Strict,
            Kind::Set | Kind::Dict => Mode::AllowMorePresent,
        }
    }
}

/// `compare_generic(a, b, method, datatype)`: whether the wanted `a` matches the container's
/// `b` (`None` = absent or null).
pub fn matches(a: Option<&Json>, b: Option<&Json>, mode: Mode, kind: Kind) -> bool {
    let a = a.filter(|v| !v.is_null());
    let b = b.filter(|v| !v.is_null());
    if mode == Mode::Ignore {
        return true;
    }
    let (a, b) = match (a, b) {
        (None, None) => return true,
        (Some(a), Some(b)) => (a, b),
        (a, b) => {
            if kind == Kind::Value {
                return false;
            }
            if mode == Mode::AllowMorePresent && a.is_none() {
                return true;
            }
            return len(a.or(b).expect("one side is present")) == 0;
        }
    };
    match kind {
        Kind::Value => a == b,
        Kind::List => {
            let (a, b) = (items(a), items(b));
            match mode {
                Mode::Strict => a == b,
                _ => {
                    let mut i = 0;
                    for v in &a {
                        while i < b.len() && b[i] != *v {
                            i += 1;
                        }
                        if i == b.len() {
                            return false;
                        }
                        i += 1;
                    }
                    true
                }
            }
        }
        Kind::Dict => match mode {
            Mode::Strict => a == b,
            _ => dict_allow_more_present(a, b),
        },
        Kind::Set => {
            let (a, b) = (items(a), items(b));
            let a_in_b = a.iter().all(|x| b.contains(x));
            match mode {
                Mode::Strict => a_in_b && b.iter().all(|x| a.contains(x)),
                _ => a_in_b,
            }
        }
    }
}

/// Every key of `a` is in `b` with the same value.
fn dict_allow_more_present(a: &Json, b: &Json) -> bool {
    match (a.as_object(), b.as_object()) {
        (Some(a), Some(b)) => a.iter().all(|(k, v)| b.get(k) == Some(v)),
        _ => a == b,
    }
}

/// The elements of a list, or the keys of a mapping (Python iterates a dict's keys).
fn items(v: &Json) -> Vec<Json> {
    match v {
        Json::Array(a) => a.clone(),
        Json::Object(m) => m.keys().map(|k| Json::String(k.clone())).collect(),
        other => vec![other.clone()],
    }
}

fn len(v: &Json) -> usize {
    match v {
        Json::Array(a) => a.len(),
        Json::Object(m) => m.len(),
        Json::String(s) => s.len(),
        _ => 1,
    }
}

/// The differences found, in order: `DifferenceTracker`.
#[derive(Clone, Debug, Default)]
pub struct Differences {
    entries: Vec<(String, Json, Json)>,
}

impl Differences {
    /// Records that `name` is `active` on the daemon and `parameter` in the task.
    pub fn add(&mut self, name: &str, parameter: Json, active: Json) {
        self.entries.push((name.to_string(), parameter, active));
    }

    pub fn merge(&mut self, other: Differences) {
        self.entries.extend(other.entries);
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `get_before_after`: the container's values and the task's, by name.
    pub fn before_after(&self) -> (Json, Json) {
        let mut before = IndexMap::new();
        let mut after = IndexMap::new();
        for (name, parameter, active) in &self.entries {
            before.insert(name.clone(), active.clone());
            after.insert(name.clone(), parameter.clone());
        }
        (
            serde_json::to_value(before).unwrap_or_default(),
            serde_json::to_value(after).unwrap_or_default(),
        )
    }

    /// `get_legacy_docker_diffs`: the names that differ.
    pub fn names(&self) -> Vec<String> {
        self.entries.iter().map(|(name, _, _)| name.clone()).collect()
    }

    /// `get_legacy_docker_container_diffs`: `[{name: {parameter, container}}]`.
    pub fn legacy(&self) -> Json {
        Json::Array(
            self.entries
                .iter()
                .map(|(name, parameter, active)| {
                    serde_json::json!({ name.clone(): { "parameter": parameter, "container": active } })
                })
                .collect(),
        )
    }
}

/// The `diff` result of `docker_network` and `docker_volume` (under `--diff` or check mode):
/// `differences` (the names that differed, when compared) and, under `--diff`, `before` and
/// `after`, which are also shown as the task's diff.
pub fn with_diff(
    mut out: Outcome,
    show_diff: bool,
    check: bool,
    legacy: Option<Vec<String>>,
    tracker: &Differences,
) -> Outcome {
    if !(show_diff || check) {
        return out;
    }
    let mut diff = serde_json::Map::new();
    if let Some(names) = legacy {
        diff.insert("differences".into(), serde_json::json!(names));
    }
    if show_diff {
        let (before, after) = tracker.before_after();
        out.diff.push(Diff {
            before: diff_text(&before),
            after: diff_text(&after),
            ..Diff::default()
        });
        diff.insert("before".into(), before);
        diff.insert("after".into(), after);
    }
    out.with("diff", to_value(&Json::Object(diff)))
}

/// Ansible's rendering of a dict diff: JSON with sorted keys and four-space indents.
pub fn diff_text(value: &Json) -> String {
    crate::modules::params::json_diff_text(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sets_allow_more_present() {
        let want = json!(["A=1"]);
        let have = json!(["PATH=/bin", "A=1"]);
        assert!(matches(
            Some(&want),
            Some(&have),
            Mode::AllowMorePresent,
            Kind::Set
        ));
        assert!(!matches(Some(&want), Some(&have), Mode::Strict, Kind::Set));
        assert!(!matches(
            Some(&json!(["A=2"])),
            Some(&have),
            Mode::AllowMorePresent,
            Kind::Set
        ));
        assert!(matches(Some(&json!([])), None, Mode::Strict, Kind::Set));
        assert!(matches(None, Some(&have), Mode::AllowMorePresent, Kind::Set));
    }

    #[test]
    fn values_and_dicts() {
        assert!(!matches(Some(&json!(false)), None, Mode::Strict, Kind::Value));
        assert!(matches(
            Some(&json!("x")),
            Some(&json!("y")),
            Mode::Ignore,
            Kind::Value
        ));
        let want = json!({"a": "1"});
        let have = json!({"a": "1", "b": "2"});
        assert!(matches(
            Some(&want),
            Some(&have),
            Mode::AllowMorePresent,
            Kind::Dict
        ));
        assert!(!matches(Some(&want), Some(&have), Mode::Strict, Kind::Dict));
        assert!(matches(
            Some(&json!(["a", "c"])),
            Some(&json!(["a", "b", "c"])),
            Mode::AllowMorePresent,
            Kind::List
        ));
        assert!(!matches(
            Some(&json!(["c", "a"])),
            Some(&json!(["a", "b", "c"])),
            Mode::AllowMorePresent,
            Kind::List
        ));
    }

    #[test]
    fn diff_text_is_sorted_and_indented() {
        let text = diff_text(&json!({"b": 1, "a": [true]}));
        assert_eq!(text, "{\n    \"a\": [\n        true\n    ],\n    \"b\": 1\n}\n");
    }
}
