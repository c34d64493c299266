//! YAML output as PyYAML's `yaml.dump` writes it (what Ansible's `to_yaml` / `to_nice_yaml`
//! give): sorted keys, indentless sequences, flow style for leaf collections unless disabled,
//! PyYAML's choice between plain, single- and double-quoted scalars, and line folding at the
//! width limit.

use minijinja::Error;
use minijinja::value::{Value, ValueKind};

use super::fail;
use super::lists::py_cmp;
use crate::template::python;

/// `yaml.dump(value, indent=indent, default_flow_style=flow, width=width, allow_unicode=True)`.
pub(crate) fn dump(value: &Value, indent: usize, flow: Option<bool>, width: usize) -> Result<String, Error> {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        best_indent: indent.clamp(2, 9),
        width: width.max(indent * 2),
        flow_default: flow,
    };
    if is_collection(value) {
        if e.use_flow(value) {
            let indent = e.best_indent;
            e.flow(value, indent)?;
        } else {
            e.block(value, 0, false)?;
        }
        if !e.out.ends_with('\n') {
            e.out.push('\n');
        }
    } else {
        e.scalar(value, 0, false)?;
        e.out.push('\n');
    }
    Ok(e.out)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
}

struct Emitter {
    out: String,
    column: usize,
    best_indent: usize,
    width: usize,
    flow_default: Option<bool>,
}

fn is_collection(v: &Value) -> bool {
    matches!(v.kind(), ValueKind::Map | ValueKind::Seq | ValueKind::Iterable)
}

fn children(v: &Value) -> Result<Vec<Value>, Error> {
    match v.kind() {
        ValueKind::Map => v.try_iter()?.map(|k| v.get_item(&k)).collect(),
        _ => Ok(v.try_iter()?.collect()),
    }
}

/// The keys sorted, as PyYAML sorts them; in their own order when they cannot be compared.
fn sorted_keys(v: &Value) -> Result<Vec<Value>, Error> {
    let original: Vec<Value> = v.try_iter()?.collect();
    let mut keys = original.clone();
    let mut failed = false;
    keys.sort_by(|a, b| {
        py_cmp(a, b).unwrap_or_else(|_| {
            failed = true;
            std::cmp::Ordering::Equal
        })
    });
    Ok(if failed { original } else { keys })
}

impl Emitter {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
        match s.rfind('\n') {
            Some(i) => self.column = s[i + 1..].chars().count(),
            None => self.column += s.chars().count(),
        }
    }

    fn line_break(&mut self, indent: usize) {
        self.out.push('\n');
        self.out.push_str(&" ".repeat(indent));
        self.column = indent;
    }

    fn use_flow(&self, v: &Value) -> bool {
        let empty = v.len() == Some(0);
        match self.flow_default {
            Some(flow) => flow || empty,
            None => {
                empty
                    || children(v)
                        .map(|c| c.iter().all(|x| !is_collection(x)))
                        .unwrap_or(false)
            }
        }
    }

    /// A block collection whose first line continues the current line when `inline`.
    fn block(&mut self, v: &Value, indent: usize, inline: bool) -> Result<(), Error> {
        match v.kind() {
            ValueKind::Map => {
                for (i, key) in sorted_keys(v)?.into_iter().enumerate() {
                    if i > 0 || !inline {
                        if !self.out.is_empty() && !self.out.ends_with('\n') {
                            self.line_break(0);
                        }
                        self.write(&" ".repeat(indent));
                    }
                    self.scalar(&key, indent, true)?;
                    self.write(":");
                    let item = v.get_item(&key)?;
                    self.value_after(&item, indent, true)?;
                }
            }
            _ => {
                for (i, item) in v.try_iter()?.enumerate() {
                    if i > 0 || !inline {
                        if !self.out.is_empty() && !self.out.ends_with('\n') {
                            self.line_break(0);
                        }
                        self.write(&" ".repeat(indent));
                    }
                    self.write("-");
                    self.value_after(&item, indent, false)?;
                }
            }
        }
        Ok(())
    }

    /// Writes the value that follows `key:` (in a mapping) or `-` (in a sequence).
    fn value_after(&mut self, item: &Value, indent: usize, in_mapping: bool) -> Result<(), Error> {
        let child_indent = indent + self.best_indent;
        if !is_collection(item) {
            self.write(" ");
            self.scalar(item, child_indent, false)?;
            return Ok(());
        }
        if self.use_flow(item) {
            self.write(" ");
            return self.flow(item, child_indent);
        }
        if in_mapping {
            if item.kind() == ValueKind::Map {
                self.line_break(0);
                self.block(item, child_indent, false)
            } else {
                self.line_break(0);
                self.block(item, indent, false)
            }
        } else {
            let pad = self.best_indent - 1;
            self.write(&" ".repeat(pad));
            self.block(item, child_indent, true)
        }
    }

    fn flow(&mut self, v: &Value, indent: usize) -> Result<(), Error> {
        match v.kind() {
            ValueKind::Map => {
                self.write("{");
                for (i, key) in sorted_keys(v)?.into_iter().enumerate() {
                    if i > 0 {
                        self.write(",");
                        self.flow_space(indent);
                    }
                    self.flow_scalar_or_collection(&key, indent)?;
                    self.write(":");
                    self.write(" ");
                    let item = v.get_item(&key)?;
                    self.flow_scalar_or_collection(&item, indent)?;
                }
                self.write("}");
            }
            _ => {
                self.write("[");
                for (i, item) in v.try_iter()?.enumerate() {
                    if i > 0 {
                        self.write(",");
                        self.flow_space(indent);
                    }
                    self.flow_scalar_or_collection(&item, indent)?;
                }
                self.write("]");
            }
        }
        Ok(())
    }

    fn flow_space(&mut self, indent: usize) {
        if self.column > self.width {
            self.line_break(indent);
        } else {
            self.write(" ");
        }
    }

    fn flow_scalar_or_collection(&mut self, v: &Value, indent: usize) -> Result<(), Error> {
        if is_collection(v) {
            self.flow(v, indent + self.best_indent)
        } else {
            self.scalar_in(v, indent + self.best_indent, false, true)
                .map(|_| ())
        }
    }

    fn scalar(&mut self, v: &Value, indent: usize, simple_key: bool) -> Result<Style, Error> {
        self.scalar_in(v, indent, simple_key, false)
    }

    fn scalar_in(&mut self, v: &Value, indent: usize, simple_key: bool, flow: bool) -> Result<Style, Error> {
        let text = match v.kind() {
            ValueKind::None => "null".to_string(),
            ValueKind::Bool => (if v.is_true() { "true" } else { "false" }).to_string(),
            ValueKind::Number if v.is_integer() => v.to_string(),
            ValueKind::Number => float_text(f64::try_from(v.clone()).unwrap_or(f64::NAN)),
            ValueKind::String => {
                let s = v.as_str().unwrap_or_default();
                let style = choose_style(s, flow, simple_key);
                match style {
                    Style::Plain => self.write_plain(s, indent, !simple_key),
                    Style::Single => self.write_single(s, indent, !simple_key),
                    Style::Double => self.write_double(s, indent, !simple_key),
                }
                return Ok(style);
            }
            ValueKind::Undefined => return Err(fail("cannot serialize an undefined value to YAML")),
            _ => {
                return Err(fail(format!(
                    "cannot represent an object of type {} in YAML",
                    python::type_name(v)
                )));
            }
        };
        self.write(&text);
        Ok(Style::Plain)
    }

    fn write_plain(&mut self, text: &str, indent: usize, split: bool) {
        let chars: Vec<char> = text.chars().collect();
        let mut start = 0;
        let mut end = 0;
        let mut spaces = false;
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > self.width && split {
                        self.line_break(indent);
                    } else {
                        let s: String = chars[start..end].iter().collect();
                        self.write(&s);
                    }
                    start = end;
                }
            } else if ch.is_none() || ch == Some(' ') {
                let s: String = chars[start..end].iter().collect();
                self.write(&s);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
            }
            end += 1;
        }
    }

    fn write_single(&mut self, text: &str, indent: usize, split: bool) {
        self.write("'");
        let chars: Vec<char> = text.chars().collect();
        let mut start = 0;
        let mut end = 0;
        let mut spaces = false;
        let mut breaks = false;
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > self.width
                        && split
                        && start != 0
                        && end != chars.len()
                    {
                        self.line_break(indent);
                    } else {
                        let s: String = chars[start..end].iter().collect();
                        self.write(&s);
                    }
                    start = end;
                }
            } else if breaks {
                if ch != Some('\n') {
                    if chars[start] == '\n' {
                        self.out.push('\n');
                    }
                    for _ in start..end {
                        self.out.push('\n');
                    }
                    self.out.push_str(&" ".repeat(indent));
                    self.column = indent;
                    start = end;
                }
            } else if (ch.is_none() || matches!(ch, Some(' ' | '\n' | '\''))) && start < end {
                let s: String = chars[start..end].iter().collect();
                self.write(&s);
                start = end;
            }
            if ch == Some('\'') {
                self.write("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = c == '\n';
            }
            end += 1;
        }
        self.write("'");
    }

    fn write_double(&mut self, text: &str, indent: usize, split: bool) {
        self.write("\"");
        let chars: Vec<char> = text.chars().collect();
        let mut start = 0usize;
        let mut end = 0usize;
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            let needs_escape = match ch {
                None => true,
                Some(c) => {
                    "\"\\\u{85}\u{2028}\u{2029}\u{feff}".contains(c)
                        || !((' '..='~').contains(&c)
                            || ('\u{a0}'..='\u{d7ff}').contains(&c)
                            || ('\u{e000}'..='\u{fffd}').contains(&c))
                }
            };
            if needs_escape {
                if start < end {
                    let s: String = chars[start..end].iter().collect();
                    self.write(&s);
                    start = end;
                }
                if let Some(c) = ch {
                    let esc = match c {
                        '\0' => "\\0".to_string(),
                        '\u{7}' => "\\a".to_string(),
                        '\u{8}' => "\\b".to_string(),
                        '\t' => "\\t".to_string(),
                        '\n' => "\\n".to_string(),
                        '\u{b}' => "\\v".to_string(),
                        '\u{c}' => "\\f".to_string(),
                        '\r' => "\\r".to_string(),
                        '\u{1b}' => "\\e".to_string(),
                        '"' => "\\\"".to_string(),
                        '\\' => "\\\\".to_string(),
                        '\u{85}' => "\\N".to_string(),
                        '\u{a0}' => "\\_".to_string(),
                        '\u{2028}' => "\\L".to_string(),
                        '\u{2029}' => "\\P".to_string(),
                        c if (c as u32) <= 0xff => format!("\\x{:02X}", c as u32),
                        c if (c as u32) <= 0xffff => format!("\\u{:04X}", c as u32),
                        c => format!("\\U{:08X}", c as u32),
                    };
                    self.write(&esc);
                    start = end + 1;
                }
            }
            let pending = end as isize - start as isize;
            if end > 0
                && end + 1 < chars.len()
                && (ch == Some(' ') || start >= end)
                && self.column as isize + pending > self.width as isize
                && split
            {
                let s: String = if start < end {
                    chars[start..end].iter().collect()
                } else {
                    String::new()
                };
                if start < end {
                    start = end;
                }
                self.write(&s);
                self.write("\\");
                self.line_break(indent);
                if chars.get(start) == Some(&' ') {
                    self.write("\\");
                }
            }
            end += 1;
        }
        self.write("\"");
    }
}

fn is_unicode_printable(c: char) -> bool {
    let n = c as u32;
    n == 0x85
        || (0xA0..=0xD7FF).contains(&n)
        || (0xE000..=0xFFFD).contains(&n)
        || (0x10000..=0x10FFFF).contains(&n)
}

/// PyYAML's float representation.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf".into() } else { "-.inf".into() };
    }
    let r = python::float_repr(f).to_lowercase();
    if !r.contains('.') && r.contains('e') {
        r.replacen('e', ".0e", 1)
    } else {
        r
    }
}

/// Whether PyYAML's resolver would read the plain scalar as something other than a string.
fn resolves_to_non_string(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On",
        "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~", "", "=", "<<", ".inf", ".Inf", ".INF",
        "-.inf", "-.Inf", "-.INF", "+.inf", "+.Inf", "+.INF", ".nan", ".NaN", ".NAN",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let digits_us = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '_');
    // ints: decimal, 0b, 0x, octal, sexagesimal
    if digits_us(body) && body.starts_with(|c: char| c.is_ascii_digit()) {
        return true;
    }
    if let Some(rest) = body.strip_prefix("0b") {
        if !rest.is_empty() && rest.chars().all(|c| matches!(c, '0' | '1' | '_')) {
            return true;
        }
    }
    if let Some(rest) = body.strip_prefix("0x") {
        if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit() || c == '_') {
            return true;
        }
    }
    let sexagesimal = |t: &str| {
        let mut parts = t.split(':');
        let first = parts.next().unwrap_or_default();
        let rest: Vec<&str> = parts.collect();
        !rest.is_empty()
            && digits_us(first)
            && !first.starts_with('0')
            && rest.iter().all(|p| {
                !p.is_empty()
                    && p.len() <= 2
                    && p.chars().all(|c| c.is_ascii_digit())
                    && p.parse::<u32>().map(|n| n < 60).unwrap_or(false)
            })
    };
    if sexagesimal(body) {
        return true;
    }
    // floats: need a dot (PyYAML's YAML 1.1 float pattern)
    let float_body = |t: &str| -> bool {
        let (mant, exp) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], Some(&t[i + 1..])),
            None => (t, None),
        };
        if let Some(exp) = exp {
            let e = exp.strip_prefix(['-', '+']);
            match e {
                Some(d) if !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()) => {}
                _ => return false,
            }
        }
        match mant.split_once('.') {
            Some((int, frac)) => {
                let int_ok =
                    int.is_empty() || (int.starts_with(|c: char| c.is_ascii_digit()) && digits_us(int));
                let frac_ok = frac.chars().all(|c| c.is_ascii_digit() || c == '_');
                if int.is_empty() {
                    !frac.is_empty() && frac_ok
                } else {
                    int_ok && frac_ok
                }
            }
            None => false,
        }
    };
    if float_body(body) {
        return true;
    }
    if let Some((int, frac)) = body.split_once('.') {
        if sexagesimal(int) && frac.chars().all(|c| c.is_ascii_digit() || c == '_') {
            return true;
        }
    }
    is_timestamp(s)
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    if b.len() < 8 || !(0..4).all(digit) || b[4] != b'-' {
        return false;
    }
    // YYYY-M(M)-D(D) at least
    let rest = &s[5..];
    let mut parts = rest.splitn(2, '-');
    let month = parts.next().unwrap_or_default();
    let day_and_more = parts.next().unwrap_or_default();
    let day: String = day_and_more.chars().take_while(char::is_ascii_digit).collect();
    (1..=2).contains(&month.len())
        && month.chars().all(|c| c.is_ascii_digit())
        && (1..=2).contains(&day.len())
}

/// PyYAML's choice of scalar style for a string.
fn choose_style(s: &str, flow: bool, simple_key: bool) -> Style {
    if s.is_empty() {
        return Style::Single;
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut previous_space = false;
    let mut previous_break = false;
    if s.starts_with("---") || s.starts_with("...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let len = chars.len();
    for (index, &ch) in chars.iter().enumerate() {
        let followed_by_whitespace =
            index + 1 >= len || " \t\r\n\u{85}\u{2028}\u{2029}\0".contains(chars[index + 1]);
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_indicators = true;
                block_indicators = true;
            }
            if "?:".contains(ch) {
                flow_indicators = true;
                if followed_by_whitespace {
                    block_indicators = true;
                }
            }
            if ch == '-' && followed_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        } else {
            if ",?[]{}".contains(ch) {
                flow_indicators = true;
            }
            if ch == ':' {
                flow_indicators = true;
                if followed_by_whitespace {
                    block_indicators = true;
                }
            }
            if ch == '#' && preceded_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        }
        if "\n\u{85}\u{2028}\u{2029}".contains(ch) {
            line_breaks = true;
        }
        if !(ch == '\n' || (' '..='~').contains(&ch)) {
            if is_unicode_printable(ch) && ch != '\u{feff}' {
                // allowed with allow_unicode
            } else {
                special = true;
            }
        }
        if ch == ' ' {
            if index == 0 {
                leading_space = true;
            }
            if index == len - 1 {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if "\n\u{85}\u{2028}\u{2029}".contains(ch) {
            if index == 0 {
                leading_break = true;
            }
            if index == len - 1 {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = " \t\r\n\u{85}\u{2028}\u{2029}\0".contains(ch);
    }
    let mut allow_flow_plain = true;
    let mut allow_block_plain = true;
    let mut allow_single = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_flow_plain = false;
        allow_block_plain = false;
    }
    if trailing_space {
        // block styles only
    }
    if break_space {
        allow_flow_plain = false;
        allow_block_plain = false;
        allow_single = false;
    }
    if space_break || special {
        allow_flow_plain = false;
        allow_block_plain = false;
        allow_single = false;
    }
    if line_breaks {
        allow_flow_plain = false;
        allow_block_plain = false;
    }
    if flow_indicators {
        allow_flow_plain = false;
    }
    if block_indicators {
        allow_block_plain = false;
    }
    let plain_ok = if flow { allow_flow_plain } else { allow_block_plain };
    if plain_ok && !(simple_key && line_breaks) && !resolves_to_non_string(s) {
        return Style::Plain;
    }
    if allow_single && !(simple_key && line_breaks) {
        return Style::Single;
    }
    Style::Double
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(json: serde_json::Value, indent: usize, flow: Option<bool>) -> String {
        dump(&Value::from(minijinja::value::Serde(json)), indent, flow, 80).expect("dumps")
    }

    #[test]
    fn leaf_collections_flow_by_default() {
        assert_eq!(
            y(serde_json::json!({"b": 1, "a": "x"}), 2, None),
            "{a: x, b: 1}\n"
        );
        assert_eq!(
            y(serde_json::json!({"b": [1, 2], "a": {"c": "yes"}}), 2, None),
            "a: {c: 'yes'}\nb: [1, 2]\n"
        );
    }

    #[test]
    fn nice_yaml_blocks() {
        assert_eq!(
            y(
                serde_json::json!({"k": [{"a": 1, "b": [1]}], "e": []}),
                4,
                Some(false)
            ),
            "e: []\nk:\n-   a: 1\n    b:\n    - 1\n"
        );
    }

    #[test]
    fn root_scalars() {
        assert_eq!(y(serde_json::json!("abc"), 2, None), "abc\n");
        assert_eq!(y(serde_json::json!("yes"), 2, None), "'yes'\n");
    }
}
