//! Regular expressions with Python `re` semantics on top of fancy-regex: `regex_search`,
//! `regex_replace`, `regex_findall`, `regex_escape`, shared with the `match`/`search`/`regex`
//! tests. Python syntax is translated (`(?P=name)`, `\Z`, a lone `{`, `$` before a final
//! newline) and replacement templates use Python's `\1`, `\g<1>`, `\g<name>`.

use fancy_regex::{Captures, Regex};
use minijinja::value::{Rest, Value};
use minijinja::{Environment, Error};

use super::args::bind;
use super::{add, fail, text};

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "regex_search", |_, v, a| regex_search(v, Rest(a)));
    add(env, "regex_replace", |_, v, a| regex_replace(v, Rest(a)));
    add(env, "regex_findall", |_, v, a| regex_findall(v, Rest(a)));
    add(env, "regex_escape", |_, v, a| regex_escape(v, Rest(a)));
}

/// A compiled Python-style regular expression.
pub struct PyRegex {
    regex: Regex,
}

/// Compiles `pattern` with Python's `re.I` / `re.M` flags.
pub fn compile(pattern: &str, ignorecase: bool, multiline: bool) -> Result<PyRegex, Error> {
    let mut translated = String::new();
    if ignorecase {
        translated.push_str("(?i)");
    }
    if multiline {
        translated.push_str("(?m)");
    }
    translated.push_str(&translate(pattern, multiline));
    let regex =
        Regex::new(&translated).map_err(|e| fail(format!("invalid regular expression '{pattern}': {e}")))?;
    Ok(PyRegex { regex })
}

impl PyRegex {
    /// `re.search`.
    pub fn search<'t>(&self, text: &'t str) -> Result<Option<Captures<'t>>, Error> {
        self.regex
            .captures(text)
            .map_err(|e| fail(format!("regular expression failed: {e}")))
    }

    /// `re.match`: a match that starts at the beginning of the text.
    pub fn is_match_at_start(&self, text: &str) -> Result<bool, Error> {
        let anchored = Regex::new(&format!("\\A(?:{})", self.regex.as_str()))
            .map_err(|e| fail(format!("invalid regular expression: {e}")))?;
        anchored
            .is_match(text)
            .map_err(|e| fail(format!("regular expression failed: {e}")))
    }

    /// Every match, as `re.finditer` finds them.
    fn all<'t>(&self, text: &'t str) -> Result<Vec<Captures<'t>>, Error> {
        self.regex
            .captures_iter(text)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| fail(format!("regular expression failed: {e}")))
    }

    /// Python's `re.subn(pattern, template, text, count)` (`count` 0: every match), with
    /// Python 3.7's rule for empty matches: one may follow a non-empty match directly, but
    /// never repeat at the position of the previous empty match.
    pub fn subn(&self, template: &str, text: &str, count: usize) -> Result<(String, usize), Error> {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        let mut pos = 0;
        let mut subs = 0;
        while pos <= text.len() && (count == 0 || subs < count) {
            let found = self
                .regex
                .captures_from_pos(text, pos)
                .map_err(|e| fail(format!("regular expression failed: {e}")))?;
            let Some(caps) = found else { break };
            let m = caps.get(0).expect("group 0 always exists");
            out.push_str(&text[last..m.start()]);
            out.push_str(&expand(self, template, &caps)?);
            last = m.end();
            subs += 1;
            pos = if m.start() == m.end() {
                match text[m.end()..].chars().next() {
                    Some(c) => m.end() + c.len_utf8(),
                    None => break,
                }
            } else {
                m.end()
            };
        }
        out.push_str(&text[last..]);
        Ok((out, subs))
    }

    fn group_index(&self, name: &str) -> Option<usize> {
        self.regex.capture_names().position(|n| n == Some(name))
    }

    fn groups(&self) -> usize {
        self.regex.captures_len() - 1
    }

    /// Python's `Match.expand`: `template` with `\1`, `\g<1>`, `\g<name>`, `\n`, `\t`, `\\`
    /// replaced from `caps`.
    pub fn expand(&self, template: &str, caps: &Captures<'_>) -> Result<String, Error> {
        expand(self, template, caps)
    }
}

/// Rewrites Python-only syntax into the fancy-regex dialect.
fn translate(pattern: &str, multiline: bool) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                let next = chars[i + 1];
                match next {
                    'Z' if !in_class => out.push_str("\\z"),
                    _ => {
                        out.push('\\');
                        out.push(next);
                    }
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` right after `[` or `[^` is a literal in Python.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            '[' if in_class => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '(' if !in_class && chars[i..].starts_with(&['(', '?', 'P', '=']) => {
                let rest: String = chars[i + 4..].iter().collect();
                if let Some(end) = rest.find(')') {
                    out.push_str(&format!("\\k<{}>", &rest[..end]));
                    i += 4 + rest[..end].chars().count() + 1;
                    continue;
                }
                out.push('(');
            }
            '{' if !in_class => {
                if is_quantifier(&chars[i..]) {
                    while i < chars.len() && chars[i] != '}' {
                        out.push(chars[i]);
                        i += 1;
                    }
                    out.push('}');
                } else {
                    out.push_str("\\{");
                }
            }
            '}' if !in_class => out.push_str("\\}"),
            '$' if !in_class && !multiline => out.push_str("(?=\\n?\\z)"),
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// Whether `{` starts a Python quantifier (`{n}`, `{n,}`, `{,m}`, `{n,m}`).
fn is_quantifier(s: &[char]) -> bool {
    let Some(end) = s.iter().position(|c| *c == '}') else {
        return false;
    };
    let inner: String = s[1..end].iter().collect();
    let (lo, hi) = match inner.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (inner.as_str(), None),
    };
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    match hi {
        None => !lo.is_empty() && digits(lo),
        Some(hi) => digits(lo) && digits(hi) && !(lo.is_empty() && hi.is_empty()),
    }
}

/// Expands a Python replacement template for one match.
fn expand(re: &PyRegex, template: &str, caps: &Captures<'_>) -> Result<String, Error> {
    let chars: Vec<char> = template.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let group = |idx: usize| caps.get(idx).map(|m| m.as_str()).unwrap_or("");
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' || i + 1 >= chars.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let next = chars[i + 1];
        match next {
            'g' if chars.get(i + 2) == Some(&'<') => {
                let rest: String = chars[i + 3..].iter().collect();
                let end = rest
                    .find('>')
                    .ok_or_else(|| fail("missing > in group reference"))?;
                let name = &rest[..end];
                let idx = match name.parse::<usize>() {
                    Ok(n) => n,
                    Err(_) => re
                        .group_index(name)
                        .ok_or_else(|| fail(format!("unknown group name '{name}'")))?,
                };
                if idx > re.groups() {
                    return Err(fail(format!("invalid group reference {idx}")));
                }
                out.push_str(group(idx));
                i += 3 + name.chars().count() + 1;
            }
            d if d.is_ascii_digit() => {
                let mut j = i + 1;
                let mut num = String::new();
                while j < chars.len() && chars[j].is_ascii_digit() && num.len() < 2 {
                    num.push(chars[j]);
                    j += 1;
                }
                let idx: usize = num.parse().unwrap_or(0);
                if idx > re.groups() {
                    return Err(fail(format!("invalid group reference {idx}")));
                }
                out.push_str(group(idx));
                i = j;
            }
            'n' => {
                out.push('\n');
                i += 2;
            }
            't' => {
                out.push('\t');
                i += 2;
            }
            'r' => {
                out.push('\r');
                i += 2;
            }
            '\\' => {
                out.push('\\');
                i += 2;
            }
            other if other.is_ascii_alphabetic() => {
                return Err(fail(format!("bad escape \\{other} in replacement")));
            }
            other => {
                out.push('\\');
                out.push(other);
                i += 2;
            }
        }
    }
    Ok(out)
}

fn regex_search(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let mut args = args.0;
    let mut ignorecase = false;
    let mut multiline = false;
    if let Some(last) = args.last().filter(|v| v.is_kwargs()) {
        let kwargs = minijinja::value::Kwargs::try_from(last.clone())?;
        ignorecase = kwargs.has("ignorecase") && kwargs.get::<Value>("ignorecase")?.is_true();
        multiline = kwargs.has("multiline") && kwargs.get::<Value>("multiline")?.is_true();
        args.pop();
    }
    if args.is_empty() {
        return Err(fail("regex_search() missing required argument 'regex'"));
    }
    let pattern = text(&args.remove(0));
    let s = text(&value);
    let re = compile(&pattern, ignorecase, multiline)?;
    let mut groups = Vec::new();
    for arg in &args {
        let arg = text(arg);
        if let Some(name) = arg.strip_prefix("\\g<").and_then(|r| r.strip_suffix('>')) {
            groups.push(match name.parse::<usize>() {
                Ok(n) => n,
                Err(_) => re
                    .group_index(name)
                    .ok_or_else(|| fail(format!("unknown group name '{name}'")))?,
            });
        } else if let Some(num) = arg.strip_prefix('\\') {
            let digits: String = num.chars().take_while(char::is_ascii_digit).collect();
            groups.push(digits.parse().map_err(|_| fail("Unknown argument"))?);
        } else {
            return Err(fail("Unknown argument"));
        }
    }
    let Some(caps) = re.search(&s)? else {
        return Ok(Value::from(()));
    };
    if groups.is_empty() {
        return Ok(Value::from(caps.get(0).map(|m| m.as_str()).unwrap_or("")));
    }
    let mut out = Vec::new();
    for g in groups {
        if g > re.groups() {
            return Err(fail("no such group"));
        }
        out.push(
            caps.get(g)
                .map(|m| Value::from(m.as_str()))
                .unwrap_or(Value::from(())),
        );
    }
    Ok(Value::from(out))
}

fn regex_replace(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind(
        "regex_replace",
        &[
            "pattern",
            "replacement",
            "ignorecase",
            "multiline",
            "count",
            "mandatory_count",
        ],
        args.0,
    )?;
    let s = text(&value);
    let pattern = a.string("pattern", "");
    let replacement = a.string("replacement", "");
    let re = compile(&pattern, a.flag("ignorecase", false), a.flag("multiline", false))?;
    let count = a.int("count", 0)?;
    let mandatory = a.int("mandatory_count", 0)?;
    let (out, subs) = re.subn(&replacement, &s, usize::try_from(count.max(0)).unwrap_or(0))?;
    if mandatory != 0 && i64::try_from(subs).ok() != Some(mandatory) {
        return Err(fail(format!(
            "'{pattern}' should match {mandatory} times, but matches {subs} times in '{s}'"
        )));
    }
    Ok(Value::from(out))
}

fn regex_findall(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("regex_findall", &["regex", "multiline", "ignorecase"], args.0)?;
    let s = text(&value);
    let re = compile(
        &text(a.required("regex")?),
        a.flag("ignorecase", false),
        a.flag("multiline", false),
    )?;
    let groups = re.groups();
    let mut out = Vec::new();
    for caps in re.all(&s)? {
        let g = |i: usize| Value::from(caps.get(i).map(|m| m.as_str()).unwrap_or(""));
        out.push(match groups {
            0 => g(0),
            1 => g(1),
            n => Value::from((1..=n).map(g).collect::<Vec<_>>()),
        });
    }
    Ok(Value::from(out))
}

/// Python's `re.escape`.
fn regex_escape(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("regex_escape", &["re_type"], args.0)?;
    let s = text(&value);
    match a.string("re_type", "python").as_str() {
        "python" => {
            let mut out = String::new();
            for c in s.chars() {
                if "()[]{}?*+-|^$\\.&~# \t\n\r\x0b\x0c".contains(c) {
                    out.push('\\');
                }
                out.push(c);
            }
            Ok(Value::from(out))
        }
        "posix_basic" => {
            let mut out = String::new();
            for c in s.chars() {
                if "].[^$*\\".contains(c) {
                    out.push('\\');
                }
                out.push(c);
            }
            Ok(Value::from(out))
        }
        "posix_extended" => Err(fail("Regex type (posix_extended) not yet implemented")),
        other => Err(fail(format!("Invalid regex type ({other})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: fn(Value, Rest<Value>) -> Result<Value, Error>, v: &str, args: Vec<Value>) -> String {
        crate::template::python::python_repr(&f(Value::from(v), Rest(args)).expect("filter runs"))
    }

    #[test]
    fn replace_uses_python_templates() {
        let args = vec![Value::from(r"(\w+)@(?P<host>\w+)"), Value::from(r"\g<host>:\1")];
        assert_eq!(call(regex_replace, "me@box", args), "'box:me'");
    }

    #[test]
    fn search_returns_groups() {
        let args = vec![
            Value::from(r"(\d+)-(\d+)"),
            Value::from("\\2"),
            Value::from("\\1"),
        ];
        assert_eq!(call(regex_search, "a 10-20", args), "['20', '10']");
        assert_eq!(call(regex_search, "abc", vec![Value::from("x")]), "None");
    }

    #[test]
    fn subn_follows_python_for_empty_matches_and_multiline() {
        let re = compile("x*", false, false).expect("compiles");
        assert_eq!(
            re.subn("-", "abxd", 0).expect("runs"),
            ("-a-b--d-".to_string(), 5)
        );
        assert_eq!(re.subn("-", "ax", 0).expect("runs"), ("-a--".to_string(), 3));
        let re = compile("^", false, true).expect("compiles");
        assert_eq!(
            re.subn("> ", "a\nb\n", 0).expect("runs"),
            ("> a\n> b\n> ".to_string(), 3)
        );
        let re = compile("(?P<k>\\w+)=(\\d+)$", false, true).expect("compiles");
        assert_eq!(
            re.subn("\\g<k>: \\2", "a=1\nb=2\n", 1).expect("runs"),
            ("a: 1\nb=2\n".to_string(), 1)
        );
    }

    #[test]
    fn dollar_matches_before_final_newline() {
        let re = compile("a$", false, false).expect("compiles");
        assert!(re.search("xa\n").expect("runs").is_some());
        assert!(re.search("xa\nb").expect("runs").is_none());
    }

    #[test]
    fn lone_braces_are_literals() {
        let re = compile("{x}", false, false).expect("compiles");
        assert!(re.search("a{x}").expect("runs").is_some());
        let re = compile("a{2}", false, false).expect("compiles");
        assert!(re.search("aa").expect("runs").is_some());
    }

    #[test]
    fn findall_with_groups() {
        let args = vec![Value::from(r"(\w)=(\d)")];
        assert_eq!(call(regex_findall, "a=1 b=2", args), "[['a', '1'], ['b', '2']]");
    }
}
