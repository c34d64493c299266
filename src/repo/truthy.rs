//! Ansible's boolean conversion (`boolean()`), used for keywords such as `become` and `no_log`.

use minijinja::Value;
use minijinja::value::ValueKind;

/// `true`/`false` for a value Ansible accepts as a boolean: booleans, 1/0, and the strings
/// yes/no, on/off, true/false, y/n, t/f, 1/0 (any case). `None` for anything else.
pub fn literal_bool(v: &Value) -> Option<bool> {
    match v.kind() {
        ValueKind::Bool => Some(v.is_true()),
        ValueKind::Number => match i64::try_from(v.clone()) {
            Ok(1) => Some(true),
            Ok(0) => Some(false),
            _ => None,
        },
        ValueKind::String => {
            let s = v.as_str()?.trim().to_ascii_lowercase();
            match s.as_str() {
                "yes" | "on" | "true" | "y" | "t" | "1" => Some(true),
                "no" | "off" | "false" | "n" | "f" | "0" | "" => Some(false),
                _ => None,
            }
        }
        ValueKind::None | ValueKind::Undefined => Some(false),
        _ => None,
    }
}
