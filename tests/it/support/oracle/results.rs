//! Registered results compared key by key, Ansible's (`theirs`) against playhook's (`ours`),
//! with the exceptions a test names: a [`Rule`] per place, chosen by the test from the place's
//! path, its key and what each side has there.

use std::collections::BTreeSet;

use serde_json::Value as Json;

/// How one place in the results is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// In full: the same value on both (objects and arrays key by key, item by item).
    Equal,
    /// Not compared, present or not.
    Skip,
    /// By JSON type only; missing on one side is a difference.
    Type,
    /// A space-separated list whose order does not matter: compared as a set of words.
    Words,
    /// An array whose order does not matter: its items sorted (by their JSON text) on both sides,
    /// then compared in full.
    Unordered,
    /// Ansible's value not compared, but playhook must have the key, as an integer.
    Integer,
}

/// One place: its path (`.key[0].key`), its last key (empty for the root and array items), and
/// what each side has there.
pub struct Site<'a> {
    pub path: &'a str,
    pub key: &'a str,
    pub theirs: Option<&'a Json>,
    pub ours: Option<&'a Json>,
}

/// The differences between `theirs` and `ours` under `rule`, one line each; `root` starts each
/// path.
fn differences(root: &str, theirs: &Json, ours: &Json, rule: &dyn Fn(&Site) -> Rule) -> Vec<String> {
    let mut out = Vec::new();
    walk(root, "", Some(theirs), Some(ours), rule, &mut out);
    out
}

/// Asserts [`differences`] finds none; `what` names the results in the message.
pub fn assert_same_results(what: &str, theirs: &Json, ours: &Json, rule: &dyn Fn(&Site) -> Rule) {
    let found = differences("", theirs, ours, rule);
    assert!(
        found.is_empty(),
        "{what}: registered results differ (Ansible / playhook):\n{}",
        found.join("\n")
    );
}

fn walk(
    path: &str,
    key: &str,
    theirs: Option<&Json>,
    ours: Option<&Json>,
    rule: &dyn Fn(&Site) -> Rule,
    out: &mut Vec<String>,
) {
    let site = Site {
        path,
        key,
        theirs,
        ours,
    };
    let how = rule(&site);
    let (a, b) = match (how, theirs, ours) {
        (Rule::Skip, _, _) | (_, None, None) => return,
        (Rule::Integer, Some(_), None) => return out.push(format!("{path}: missing in playhook's result")),
        (Rule::Integer, _, Some(b)) => {
            if !b.is_i64() {
                out.push(format!("{path}: not an integer in playhook's result ({b})"));
            }
            return;
        }
        (_, Some(a), None) => {
            return out.push(format!("{path}: missing in playhook's result (Ansible: {a})"));
        }
        (_, None, Some(b)) => return out.push(format!("{path}: only in playhook's result ({b})")),
        (_, Some(a), Some(b)) => (a, b),
    };
    match how {
        Rule::Type => {
            if std::mem::discriminant(a) != std::mem::discriminant(b) {
                out.push(format!("{path}: type of Ansible {a} / playhook {b}"));
            }
            return;
        }
        Rule::Words => {
            if let (Json::String(x), Json::String(y)) = (a, b) {
                let words = |s: &str| {
                    s.split_whitespace()
                        .map(str::to_string)
                        .collect::<BTreeSet<String>>()
                };
                if words(x) != words(y) {
                    out.push(format!("{path}: Ansible {a} / playhook {b}"));
                }
                return;
            }
        }
        Rule::Unordered => {
            if let (Json::Array(x), Json::Array(y)) = (a, b) {
                let sorted = |items: &Vec<Json>| {
                    let mut items = items.clone();
                    items.sort_by_key(|i| i.to_string());
                    items
                };
                return items(path, &sorted(x), &sorted(y), rule, out);
            }
        }
        Rule::Equal | Rule::Skip | Rule::Integer => {}
    }
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                walk(&format!("{path}.{k}"), k, x.get(k), y.get(k), rule, out);
            }
        }
        (Json::Array(x), Json::Array(y)) => items(path, x, y, rule, out),
        _ if a != b => out.push(format!("{path}: Ansible {a} / playhook {b}")),
        _ => {}
    }
}

fn items(path: &str, a: &[Json], b: &[Json], rule: &dyn Fn(&Site) -> Rule, out: &mut Vec<String>) {
    if a.len() != b.len() {
        return out.push(format!(
            "{path}: {} items in Ansible's result, {} in playhook's: {a:?} / {b:?}",
            a.len(),
            b.len()
        ));
    }
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        walk(&format!("{path}[{i}]"), "", Some(x), Some(y), rule, out);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_rule_finds_what_it_should_and_only_that() {
        let theirs = json!({"a": 1, "b": [2, 1], "c": "x y", "t": 5, "n": 7, "gone": 1, "same": {"k": [1]}});
        let ours = json!({"a": 2, "b": [1, 2], "c": "y x", "t": "5", "n": 7.5, "new": 1, "same": {"k": [1]}});
        let equal = differences("", &theirs, &ours, &|_| Rule::Equal);
        assert_eq!(equal.len(), 8, "{equal:#?}");
        let rule = |at: &Site| match at.key {
            "a" | "gone" | "new" => Rule::Skip,
            "b" => Rule::Unordered,
            "c" => Rule::Words,
            "t" => Rule::Type,
            "n" => Rule::Integer,
            _ => Rule::Equal,
        };
        let found = differences("", &theirs, &ours, &rule);
        assert_eq!(
            found,
            [
                ".n: not an integer in playhook's result (7.5)",
                ".t: type of Ansible 5 / playhook \"5\""
            ],
            "{found:#?}"
        );
        let missing = differences("", &json!({"n": 1, "k": 1}), &json!({}), &rule);
        assert_eq!(missing.len(), 2, "{missing:#?}");
    }
}
