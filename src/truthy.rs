//! Ansible's boolean conversion (`boolean()` in `module_utils.parsing.convert_bool`), the one
//! implementation used for keywords (`become`, `no_log`), connection variables and module
//! parameters alike.

use minijinja::Value;
use minijinja::value::ValueKind;

/// `true`/`false` for a value Ansible's strict `boolean()` accepts: booleans, the numbers 1
/// and 0 (also `1.0` and `0.0`), and the strings yes/no, on/off, true/false, y/n, t/f, 1/0 in
/// any case, surrounding blanks ignored. `None` for anything else, the empty string and null
/// included (callers decide what an absent value means).
pub fn boolean(v: &Value) -> Option<bool> {
    match v.kind() {
        ValueKind::Bool => Some(v.is_true()),
        ValueKind::Number => match f64::try_from(v.clone()).ok() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        ValueKind::String => {
            let s = v.as_str()?.trim().to_ascii_lowercase();
            match s.as_str() {
                "yes" | "on" | "true" | "y" | "t" | "1" => Some(true),
                "no" | "off" | "false" | "n" | "f" | "0" => Some(false),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_ansible_strict_boolean() {
        for (v, want) in [
            (Value::from(true), Some(true)),
            (Value::from(1), Some(true)),
            (Value::from(1.0), Some(true)),
            (Value::from(0.0), Some(false)),
            (Value::from(" Yes "), Some(true)),
            (Value::from("OFF"), Some(false)),
            (Value::from("t"), Some(true)),
            (Value::from(2), None),
            (Value::from(0.5), None),
            (Value::from(""), None),
            (Value::from(()), None),
            (Value::from("maybe"), None),
        ] {
            assert_eq!(boolean(&v), want, "{v:?}");
        }
    }
}
