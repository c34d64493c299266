//! The `python` collector: `python` (`version`, `version_info`, `executable`, `type`,
//! `has_sslcontext`) of the host's `python3`, set only when the host has one; also the
//! `python_version` the `platform` collector sets (Ansible's comes from its interpreter). playhook never
//! needs Python; this is the one program the collector starts, and only when it exists.

use minijinja::Value;

use super::Facts;
use super::sections::{Sections, Snippet};

/// Runs the host's `python3`, when it has one, to print its details as JSON.
pub const PYTHON: Snippet = Snippet {
    name: "python",
    script: r#"ph_s python
if ph_py=$(command -v python3 2>/dev/null); then
  "$ph_py" -c 'import sys, json
try:
    import ssl; s = hasattr(ssl, "SSLContext")
except ImportError:
    s = False
print(json.dumps([sys.executable, list(sys.version_info), getattr(sys, "implementation", None) and sys.implementation.name, s]))' 2>/dev/null
fi
"#,
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&PYTHON];

/// The facts this collector sets.
pub const FACTS: &[&str] = &["python"];

/// The `python` section: executable, version info, implementation, SSL context support.
fn details(sections: &Sections) -> Option<Vec<serde_json::Value>> {
    let line = sections.get("python").lines().next()?;
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(serde_json::Value::Array(parts)) if parts.len() == 4 => Some(parts),
        _ => None,
    }
}

/// `python_version` (`3.11.2`) of the host's `python3`, if it has one.
pub fn python_version(sections: &Sections) -> Option<String> {
    let parts = details(sections)?;
    let info = parts[1].as_array()?;
    let n = |i: usize| info.get(i).map(|v| v.to_string()).unwrap_or_default();
    Some(format!("{}.{}.{}", n(0), n(1), n(2)))
}

/// Parses the `python` section into `facts`; nothing when the host has no `python3`.
pub fn parse(sections: &Sections, facts: &mut Facts) {
    let Some(parts) = details(sections) else {
        return;
    };
    let [executable, info, kind, ssl] = parts.as_slice() else {
        return;
    };
    let info: Vec<serde_json::Value> = info.as_array().cloned().unwrap_or_default();
    let names = ["major", "minor", "micro", "releaselevel", "serial"];
    let version: Vec<(&str, Value)> = names
        .iter()
        .zip(info.iter())
        .map(|(n, v)| (*n, json_value(v)))
        .collect();
    let python = vec![
        ("version", Value::from_pairs(version)),
        (
            "version_info",
            json_value(&serde_json::Value::Array(info.clone())),
        ),
        ("executable", json_value(executable)),
        ("has_sslcontext", json_value(ssl)),
        ("type", json_value(kind)),
    ];
    facts.insert("python".into(), Value::from_pairs(python));
}

/// A JSON scalar or list as a template value.
fn json_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Value::from)
            .unwrap_or_else(|| Value::from(n.to_string())),
        serde_json::Value::String(s) => Value::from(s.clone()),
        serde_json::Value::Array(items) => Value::from(items.iter().map(json_value).collect::<Vec<_>>()),
        serde_json::Value::Object(_) | serde_json::Value::Null => Value::from(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_facts() {
        let mut facts = Facts::new();
        parse(&Sections::split("@@playhook-facts:python\n"), &mut facts);
        assert!(!facts.contains_key("python"));
        let text =
            "@@playhook-facts:python\n[\"/usr/bin/python3\", [3, 11, 2, \"final\", 0], \"cpython\", true]\n";
        parse(&Sections::split(text), &mut facts);
        let p = &facts["python"];
        assert_eq!(
            p.get_attr("type").ok().map(|v| v.to_string()),
            Some("cpython".into())
        );
        assert_eq!(python_version(&Sections::split(text)).as_deref(), Some("3.11.2"));
        let v = p.get_attr("version").expect("version");
        assert_eq!(v.get_attr("minor").ok().and_then(|v| v.as_i64()), Some(11));
        assert_eq!(
            v.get_attr("releaselevel").ok().map(|v| v.to_string()),
            Some("final".into())
        );
    }
}
