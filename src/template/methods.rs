//! Python methods called on values (`'x'.ljust(3)`, `d.items()`): a few string methods that
//! minijinja-contrib's `pycompat` lacks, then everything `pycompat` provides.

use minijinja::value::Value;
use minijinja::{Error, ErrorKind, State};

/// The unknown-method callback installed in the environment.
pub fn call_method(state: &mut State, value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    if let Some(s) = value.as_str() {
        if let Some(result) = string_method(s, method, args)? {
            return Ok(result);
        }
    }
    minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args)
}

fn int_arg(args: &[Value], i: usize, default: i64) -> Result<i64, Error> {
    match args.get(i) {
        Some(v) if !v.is_none() => v
            .as_i64()
            .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "an integer argument is required")),
        _ => Ok(default),
    }
}

fn fill_arg(args: &[Value], i: usize) -> Result<char, Error> {
    match args.get(i).and_then(|v| v.as_str()) {
        Some(f) if f.chars().count() == 1 => Ok(f.chars().next().unwrap_or(' ')),
        Some(_) => Err(Error::new(
            ErrorKind::InvalidOperation,
            "The fill character must be exactly one character long",
        )),
        None => Ok(' '),
    }
}

fn string_method(s: &str, method: &str, args: &[Value]) -> Result<Option<Value>, Error> {
    let len = s.chars().count() as i64;
    let pad = |n: i64, c: char| c.to_string().repeat(n.max(0) as usize);
    Ok(Some(match method {
        "ljust" => {
            let width = int_arg(args, 0, 0)?;
            Value::from(format!("{s}{}", pad(width - len, fill_arg(args, 1)?)))
        }
        "rjust" => {
            let width = int_arg(args, 0, 0)?;
            Value::from(format!("{}{s}", pad(width - len, fill_arg(args, 1)?)))
        }
        "zfill" => {
            let width = int_arg(args, 0, 0)?;
            let (sign, digits) = match s.chars().next() {
                Some(c @ ('+' | '-')) => (c.to_string(), &s[1..]),
                _ => (String::new(), s),
            };
            Value::from(format!("{sign}{}{digits}", pad(width - len, '0')))
        }
        "center" => {
            let width = int_arg(args, 0, 0)?;
            let fill = fill_arg(args, 1)?;
            if width <= len {
                Value::from(s)
            } else {
                let total = width - len;
                let left = total / 2 + (total & width & 1);
                Value::from(format!("{}{s}{}", pad(left, fill), pad(total - left, fill)))
            }
        }
        "removeprefix" => {
            let prefix = args.first().and_then(|v| v.as_str()).unwrap_or_default();
            Value::from(s.strip_prefix(prefix).unwrap_or(s))
        }
        "removesuffix" => {
            let suffix = args.first().and_then(|v| v.as_str()).unwrap_or_default();
            Value::from(s.strip_suffix(suffix).unwrap_or(s))
        }
        "rsplit" => {
            let max = int_arg(args, 1, -1)?;
            let parts: Vec<String> = match args.first().filter(|v| !v.is_none()).and_then(|v| v.as_str()) {
                Some(sep) if !sep.is_empty() => {
                    let mut parts: Vec<String> = if max < 0 {
                        s.rsplit(sep).map(str::to_string).collect()
                    } else {
                        s.rsplitn(max as usize + 1, sep).map(str::to_string).collect()
                    };
                    parts.reverse();
                    parts
                }
                Some(_) => return Err(Error::new(ErrorKind::InvalidOperation, "empty separator")),
                None => {
                    let mut tail: Vec<String> = Vec::new();
                    let mut head = s.trim_end();
                    while max < 0 || (tail.len() as i64) < max {
                        match head.rfind(char::is_whitespace) {
                            Some(i) => {
                                tail.push(head[i..].trim_start().to_string());
                                head = head[..i].trim_end();
                            }
                            None => break,
                        }
                    }
                    let head = head.trim_start();
                    let mut parts = Vec::new();
                    if !head.is_empty() {
                        parts.push(head.to_string());
                    }
                    parts.extend(tail.into_iter().rev());
                    parts
                }
            };
            Value::from(parts)
        }
        "swapcase" => Value::from(
            s.chars()
                .flat_map(|c| {
                    if c.is_uppercase() {
                        c.to_lowercase().collect::<Vec<_>>()
                    } else {
                        c.to_uppercase().collect::<Vec<_>>()
                    }
                })
                .collect::<String>(),
        ),
        "index" => {
            let sub = args.first().and_then(|v| v.as_str()).unwrap_or_default();
            match s.find(sub) {
                Some(byte) => Value::from(s[..byte].chars().count()),
                None => return Err(Error::new(ErrorKind::InvalidOperation, "substring not found")),
            }
        }
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(s: &str, m: &str, args: &[Value]) -> String {
        string_method(s, m, args)
            .expect("runs")
            .expect("known")
            .to_string()
    }

    #[test]
    fn padding_methods() {
        assert_eq!(call("x", "ljust", &[Value::from(3)]), "x  ");
        assert_eq!(call("x", "rjust", &[Value::from(3), Value::from("-")]), "--x");
        assert_eq!(call("-7", "zfill", &[Value::from(4)]), "-007");
        assert_eq!(
            call(" a  b c ", "rsplit", &[Value::from(()), Value::from(1)]),
            "['a  b', 'c']"
        );
        assert_eq!(
            call("a.b.c", "rsplit", &[Value::from("."), Value::from(1)]),
            "['a.b', 'c']"
        );
    }
}
