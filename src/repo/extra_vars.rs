//! Extra variables (`-e`), read as `ansible-playbook -e` reads them: `k=v k2='v 2'` (values
//! stay strings), `@file.yml` (YAML or JSON, relative to the base directory), or an inline
//! YAML/JSON mapping `{"k": 1}`. Later arguments replace earlier keys.

use std::path::{Path, PathBuf};

use minijinja::Value;

use crate::repo::inventory::{Vars, vars_to_value};
use crate::repo::kv::split_args;
use crate::yaml::{YamlError, load_file, load_str};

/// An `-e` argument that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ExtraVarsError {
    #[error("-e {arg}: a file name must start with `@` (`-e @{arg}`)")]
    PathWithoutAt { arg: String },
    #[error("-e {arg}: cannot read the variables")]
    Yaml {
        arg: String,
        #[source]
        source: YamlError,
    },
    #[error("-e {arg}: the variables must be a mapping (key: value), got {got}")]
    NotMapping { arg: String, got: String },
    #[error("-e {arg}: `{word}` is not `key=value`")]
    NotKeyValue { arg: String, word: String },
}

/// Parses all `-e` arguments into one mapping.
pub fn parse(args: &[String], base_dir: &Path) -> Result<Value, ExtraVarsError> {
    Ok(vars_to_value(&parse_vars(args, base_dir)?))
}

/// [`parse`] as an ordered map.
pub fn parse_vars(args: &[String], base_dir: &Path) -> Result<Vars, ExtraVarsError> {
    let mut vars = Vars::new();
    for arg in args {
        if arg.is_empty() {
            continue;
        }
        let yaml_err = |source| ExtraVarsError::Yaml {
            arg: arg.clone(),
            source,
        };
        let node = if let Some(file) = arg.strip_prefix('@') {
            let path = base_dir.join(file);
            load_file(&path).map_err(yaml_err)?
        } else if arg.starts_with(['/', '.']) {
            return Err(ExtraVarsError::PathWithoutAt { arg: arg.clone() });
        } else if arg.starts_with(['[', '{']) {
            load_str(arg, &PathBuf::from("<-e>")).map_err(yaml_err)?
        } else {
            for (k, v) in parse_kv(arg)? {
                vars.insert(k, Value::from(v));
            }
            continue;
        };
        let Some(node) = node else { continue };
        let Some(entries) = node.as_map() else {
            return Err(ExtraVarsError::NotMapping {
                arg: arg.clone(),
                got: node.type_name().into(),
            });
        };
        for (k, v) in entries {
            vars.insert(k.clone(), v.to_value());
        }
    }
    Ok(vars)
}

/// `k=v k2="v 2"` into pairs, as Ansible's `parse_kv` (values unquoted, escapes decoded).
pub fn parse_kv(arg: &str) -> Result<Vec<(String, String)>, ExtraVarsError> {
    let mut out = Vec::new();
    for word in split_args(arg) {
        let x = decode_escapes(&word);
        let pos = x
            .char_indices()
            .skip(1)
            .find(|(i, c)| *c == '=' && !x[..*i].ends_with('\\'))
            .map(|(i, _)| i);
        let Some(pos) = pos else {
            return Err(ExtraVarsError::NotKeyValue {
                arg: arg.to_string(),
                word,
            });
        };
        let key = x[..pos].trim().to_string();
        let value = unquote(x[pos + 1..].trim()).to_string();
        out.push((key, value));
    }
    Ok(out)
}

fn unquote(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// Python-style escapes Ansible decodes in `k=v` arguments: `\n`, `\t`, `\\`, `\'`, `\"`,
/// `\xHH`, `\uHHHH`, `\UHHHHHHHH` and the other single-letter ones.
fn decode_escapes(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() {
            let n = chars[i + 1];
            let simple = match n {
                '\\' => Some('\\'),
                '\'' => Some('\''),
                '"' => Some('"'),
                'a' => Some('\x07'),
                'b' => Some('\x08'),
                'f' => Some('\x0c'),
                'n' => Some('\n'),
                'r' => Some('\r'),
                't' => Some('\t'),
                'v' => Some('\x0b'),
                _ => None,
            };
            if let Some(c) = simple {
                out.push(c);
                i += 2;
                continue;
            }
            let width = match n {
                'x' => 2,
                'u' => 4,
                'U' => 8,
                _ => 0,
            };
            if width > 0 && i + 2 + width <= chars.len() {
                let hex: String = chars[i + 2..i + 2 + width].iter().collect();
                if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(c);
                    i += 2 + width;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn key_value_json_and_files_merge_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("vars.yml"), "a: 1\nlist: [x]\n").expect("write");
        let vars = parse_vars(
            &args(&[
                "a=0 b='two words' c=\"{{ x }}\"",
                "@vars.yml",
                r#"{"d": {"e": true}}"#,
                "b=3",
            ]),
            dir.path(),
        )
        .expect("parses");
        assert_eq!(vars["a"], Value::from(1));
        assert_eq!(vars["b"], Value::from("3"));
        assert_eq!(vars["c"], Value::from("{{ x }}"));
        assert_eq!(
            vars["d"].get_attr("e").expect("e"),
            Value::from(true),
            "{:?}",
            vars["d"]
        );
        assert_eq!(vars.keys().collect::<Vec<_>>(), ["a", "b", "c", "list", "d"]);
    }

    #[test]
    fn bad_arguments_are_explained() {
        let dir = Path::new("/nonexistent");
        assert!(matches!(
            parse_vars(&args(&["./x.yml"]), dir),
            Err(ExtraVarsError::PathWithoutAt { .. })
        ));
        assert!(matches!(
            parse_vars(&args(&["[1, 2]"]), dir),
            Err(ExtraVarsError::NotMapping { .. })
        ));
        assert!(matches!(
            parse_vars(&args(&["novalue"]), dir),
            Err(ExtraVarsError::NotKeyValue { .. })
        ));
        assert!(matches!(
            parse_vars(&args(&["@missing.yml"]), dir),
            Err(ExtraVarsError::Yaml { .. })
        ));
    }
}
