//! Encodings: `b64encode`, `b64decode`, `urlencode` (Jinja's: `/` stays in strings, dicts and
//! lists of pairs become a query string), `urldecode`.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use minijinja::value::{Rest, Value, ValueKind};
use minijinja::{Environment, Error};

use super::args::bind;
use super::{add, fail, text};

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "b64encode", |_, v, a| b64encode(v, Rest(a)));
    add(env, "b64decode", |_, v, a| b64decode(v, Rest(a)));
    add(env, "urlencode", |_, v, a| {
        bind("urlencode", &[], a)?;
        urlencode(v)
    });
    add(env, "urldecode", |_, v, a| {
        bind("urldecode", &[], a)?;
        Ok(Value::from(unquote_plus(&text(&v))))
    });
}

fn b64encode(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("b64encode", &["encoding", "urlsafe"], args.0)?;
    let engine = if a.flag("urlsafe", false) {
        &URL_SAFE
    } else {
        &STANDARD
    };
    Ok(Value::from(engine.encode(text(&value).as_bytes())))
}

fn b64decode(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("b64decode", &["encoding", "urlsafe"], args.0)?;
    let engine = if a.flag("urlsafe", false) {
        &URL_SAFE
    } else {
        &STANDARD
    };
    let input: String = text(&value).chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = engine
        .decode(input.as_bytes())
        .map_err(|e| fail(format!("b64decode: invalid base64 input: {e}")))?;
    Ok(Value::from(String::from_utf8_lossy(&bytes).into_owned()))
}

/// `urllib.parse.quote` with the given extra safe characters.
fn quote(s: &str, safe: &str) -> String {
    let mut out = String::new();
    for b in s.as_bytes() {
        let c = *b as char;
        if c.is_ascii_alphanumeric() || "_.-~".contains(c) || (c.is_ascii() && safe.contains(c)) {
            out.push(c);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn quote_qs(value: &Value) -> String {
    quote(&text(value), "").replace("%20", "+")
}

fn urlencode(value: Value) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::Map => {
            let mut parts = Vec::new();
            for key in value.try_iter()? {
                let v = value.get_item(&key)?;
                parts.push(format!("{}={}", quote_qs(&key), quote_qs(&v)));
            }
            Ok(Value::from(parts.join("&")))
        }
        ValueKind::Seq => {
            let mut parts = Vec::new();
            for pair in value.try_iter()? {
                let k = pair.get_item_by_index(0)?;
                let v = pair.get_item_by_index(1)?;
                parts.push(format!("{}={}", quote_qs(&k), quote_qs(&v)));
            }
            Ok(Value::from(parts.join("&")))
        }
        _ => Ok(Value::from(quote(&text(&value), "/"))),
    }
}

/// `urllib.parse.unquote_plus`.
fn unquote_plus(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(s.get(i + 1..i + 3).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencode_like_jinja() {
        assert_eq!(
            urlencode(Value::from("a/b c?d=é")).expect("ok").to_string(),
            "a/b%20c%3Fd%3D%C3%A9"
        );
        let map = Value::from(minijinja::value::Serde(serde_json::json!({"a b": "c/d", "e": 1})));
        assert_eq!(urlencode(map).expect("ok").to_string(), "a+b=c%2Fd&e=1");
        assert_eq!(unquote_plus("a+b%2Fc%C3%A9"), "a b/cé");
    }
}
