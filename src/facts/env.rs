//! The `env` collector: the environment of the shell the facts are gathered in (`env`).

use indexmap::IndexMap;
use minijinja::Value;

use super::Facts;
use super::sections::{Sections, Snippet};

const ENV: Snippet = Snippet {
    name: "env",
    script: "ph_s env; env\n",
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&ENV];

/// The facts this collector sets.
pub const FACTS: &[&str] = &["env"];

/// Parses the `env` section into `facts`.
pub fn parse(sections: &Sections, facts: &mut Facts) {
    facts.insert("env".into(), Value::from_pairs(parse_env(sections.get("env"))));
}

/// `env` output (`NAME=value` lines; a line without `=` continues the previous value).
fn parse_env(text: &str) -> IndexMap<String, Value> {
    let mut vars: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        match line.split_once('=') {
            Some((k, v)) if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
                vars.push((k.to_string(), v.to_string()));
            }
            _ => {
                if let Some((_, v)) = vars.last_mut() {
                    v.push('\n');
                    v.push_str(line);
                }
            }
        }
    }
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars.into_iter().map(|(k, v)| (k, Value::from(v))).collect()
}
