//! Python literals as `ast.literal_eval` reads them, for INI inventory values: numbers,
//! strings, `True`/`False`/`None`, lists, tuples, sets and dicts. Anything else is `None`,
//! and the INI parser then keeps the raw text, as Ansible does.

use minijinja::Value;

/// The value of a Python literal, or `None` when the text is not one.
pub fn literal_eval(text: &str) -> Option<Value> {
    let mut p = Parser {
        s: text.as_bytes(),
        src: text,
        i: 0,
    };
    // literal_eval refuses leading whitespace on the first line (an indentation error).
    if text.starts_with([' ', '\t']) {
        return None;
    }
    let v = p.expr()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Option<Value> {
        self.ws();
        match self.peek()? {
            b'[' => {
                self.i += 1;
                Some(Value::from(self.items(b']')?))
            }
            b'(' => {
                self.i += 1;
                let start = self.i;
                let items = self.items(b')')?;
                // `(1)` is just 1; `(1,)` and `()` are tuples.
                let inner = &self.src[start..self.i - 1];
                if items.len() == 1 && !inner.trim_end().ends_with(',') {
                    return items.into_iter().next();
                }
                Some(Value::from(items))
            }
            b'{' => {
                self.i += 1;
                self.dict_or_set()
            }
            b'-' | b'+' => {
                let neg = self.peek() == Some(b'-');
                self.i += 1;
                self.ws();
                let v = self.number()?;
                if !neg {
                    return Some(v);
                }
                if let Some(i) = v.as_i64() {
                    Some(Value::from(-i))
                } else {
                    f64::try_from(v).ok().map(|f| Value::from(-f))
                }
            }
            b'0'..=b'9' | b'.' => self.number(),
            b'\'' | b'"' => self.strings(),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                {
                    self.i += 1;
                }
                let word = &self.src[start..self.i];
                match word {
                    "True" => Some(Value::from(true)),
                    "False" => Some(Value::from(false)),
                    "None" => Some(Value::from(())),
                    _ if matches!(self.peek(), Some(b'\'' | b'"')) && is_string_prefix(word) => {
                        let bytes_or_raw = word.to_ascii_lowercase();
                        self.string_with_prefix(&bytes_or_raw)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn items(&mut self, close: u8) -> Option<Vec<Value>> {
        let mut out = Vec::new();
        loop {
            if self.eat(close) {
                return Some(out);
            }
            out.push(self.expr()?);
            if self.eat(b',') {
                continue;
            }
            if self.eat(close) {
                return Some(out);
            }
            return None;
        }
    }

    /// After a collection's first item: `, ITEM` until `close`, a trailing comma allowed.
    fn rest<T>(
        &mut self,
        close: u8,
        out: &mut Vec<T>,
        mut item: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<()> {
        loop {
            if self.eat(close) {
                return Some(());
            }
            if !self.eat(b',') {
                return None;
            }
            if self.eat(close) {
                return Some(());
            }
            out.push(item(self)?);
        }
    }

    fn dict_or_set(&mut self) -> Option<Value> {
        if self.eat(b'}') {
            return Some(Value::from_pairs(Vec::<(Value, Value)>::new()));
        }
        let first = self.expr()?;
        if self.eat(b':') {
            let mut pairs = vec![(first, self.expr()?)];
            self.rest(b'}', &mut pairs, |p| {
                let k = p.expr()?;
                p.eat(b':').then_some(())?;
                Some((k, p.expr()?))
            })?;
            let mut map = indexmap::IndexMap::new();
            for (k, v) in pairs {
                map.insert(k, v);
            }
            Some(Value::from_pairs(map))
        } else {
            let mut items = vec![first];
            self.rest(b'}', &mut items, Self::expr)?;
            let mut unique: Vec<Value> = Vec::new();
            for v in items {
                if !unique.contains(&v) {
                    unique.push(v);
                }
            }
            Some(Value::from(unique))
        }
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
            || (self.i > start
                && matches!(self.peek(), Some(b'+' | b'-'))
                && matches!(self.s[self.i - 1], b'e' | b'E')
                && !self.src[start..].starts_with("0x")
                && !self.src[start..].starts_with("0X"))
        {
            self.i += 1;
        }
        let text = &self.src[start..self.i];
        parse_number(text)
    }

    fn strings(&mut self) -> Option<Value> {
        // Adjacent string literals concatenate.
        let mut out = String::new();
        loop {
            self.ws();
            match self.peek() {
                Some(b'\'' | b'"') => out.push_str(&self.one_string(false)?),
                Some(c) if c.is_ascii_alphabetic() => {
                    let save = self.i;
                    let start = self.i;
                    while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                        self.i += 1;
                    }
                    let word = self.src[start..self.i].to_ascii_lowercase();
                    if is_string_prefix(&word) && matches!(self.peek(), Some(b'\'' | b'"')) {
                        out.push_str(&self.one_string(word.contains('r'))?);
                    } else {
                        self.i = save;
                        break;
                    }
                }
                _ => break,
            }
        }
        Some(Value::from(out))
    }

    fn string_with_prefix(&mut self, prefix: &str) -> Option<Value> {
        let first = self.one_string(prefix.contains('r'))?;
        let rest = self.strings()?;
        Some(Value::from(format!(
            "{first}{}",
            rest.as_str().unwrap_or_default()
        )))
    }

    fn one_string(&mut self, raw: bool) -> Option<String> {
        let q = self.peek()?;
        let triple = self.s[self.i..].starts_with(&[q, q, q]);
        self.i += if triple { 3 } else { 1 };
        let mut out = String::new();
        loop {
            let rest = &self.src[self.i..];
            let mut chars = rest.chars();
            let c = chars.next()?;
            if c as u32 == u32::from(q) {
                if !triple {
                    self.i += 1;
                    return Some(out);
                }
                if rest.as_bytes().starts_with(&[q, q, q]) {
                    self.i += 3;
                    return Some(out);
                }
            }
            if c == '\n' && !triple {
                return None;
            }
            if c == '\\' {
                let next = chars.next()?;
                if raw {
                    out.push('\\');
                    out.push(next);
                    self.i += 1 + next.len_utf8();
                    continue;
                }
                self.i += 1;
                self.escape(&mut out)?;
                continue;
            }
            out.push(c);
            self.i += c.len_utf8();
        }
    }

    fn escape(&mut self, out: &mut String) -> Option<()> {
        let rest = &self.src[self.i..];
        let c = rest.chars().next()?;
        let simple = match c {
            '\n' => Some(None),
            '\\' => Some(Some('\\')),
            '\'' => Some(Some('\'')),
            '"' => Some(Some('"')),
            'a' => Some(Some('\x07')),
            'b' => Some(Some('\x08')),
            'f' => Some(Some('\x0c')),
            'n' => Some(Some('\n')),
            'r' => Some(Some('\r')),
            't' => Some(Some('\t')),
            'v' => Some(Some('\x0b')),
            _ => None,
        };
        if let Some(ch) = simple {
            out.extend(ch);
            self.i += c.len_utf8();
            return Some(());
        }
        let hex = |len: usize| -> Option<char> {
            let digits = rest.get(1..1 + len)?;
            char::from_u32(u32::from_str_radix(digits, 16).ok()?)
        };
        match c {
            'x' => {
                out.push(hex(2)?);
                self.i += 3;
            }
            'u' => {
                out.push(hex(4)?);
                self.i += 5;
            }
            'U' => {
                out.push(hex(8)?);
                self.i += 9;
            }
            '0'..='7' => {
                let digits: String = rest
                    .chars()
                    .take(3)
                    .take_while(|c| ('0'..='7').contains(c))
                    .collect();
                out.push(char::from_u32(u32::from_str_radix(&digits, 8).ok()?)?);
                self.i += digits.len();
            }
            _ => {
                out.push('\\');
                out.push(c);
                self.i += c.len_utf8();
            }
        }
        Some(())
    }
}

fn is_string_prefix(word: &str) -> bool {
    matches!(word.to_ascii_lowercase().as_str(), "r" | "u" | "b" | "br" | "rb")
}

/// A Python numeric literal: decimal, `0x`/`0o`/`0b`, underscores, floats; complex numbers
/// become their text, as Ansible does with them.
fn parse_number(text: &str) -> Option<Value> {
    if text.is_empty() || text.starts_with('_') || text.ends_with('_') || text.contains("__") {
        return None;
    }
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = lower.strip_prefix(prefix) {
            return i64::from_str_radix(digits, radix).ok().map(Value::from);
        }
    }
    if lower.ends_with('j') {
        return lower[..lower.len() - 1]
            .parse::<f64>()
            .ok()
            .map(|_| Value::from(complex_repr(&lower)));
    }
    if lower.bytes().all(|b| b.is_ascii_digit()) {
        // Python refuses leading zeros in decimal integers (except 0 itself).
        if lower.len() > 1 && lower.starts_with('0') && lower.bytes().any(|b| b != b'0') {
            return None;
        }
        return lower.parse::<i64>().ok().map(Value::from);
    }
    if lower.contains("inf") || lower.contains("nan") {
        return None;
    }
    lower.parse::<f64>().ok().map(Value::from)
}

fn complex_repr(lower: &str) -> String {
    let body = &lower[..lower.len() - 1];
    match body.parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 1e16 => format!("{}j", f as i64),
        Ok(f) => format!("{f}j"),
        Err(_) => lower.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(s: &str) -> Option<Value> {
        literal_eval(s)
    }

    #[test]
    fn python_literals_evaluate() {
        assert_eq!(eval("22"), Some(Value::from(22)));
        assert_eq!(eval("-3"), Some(Value::from(-3)));
        assert_eq!(eval("1.5"), Some(Value::from(1.5)));
        assert_eq!(eval("1e3"), Some(Value::from(1000.0)));
        assert_eq!(eval("0x1f"), Some(Value::from(31)));
        assert_eq!(eval("True"), Some(Value::from(true)));
        assert_eq!(eval("None"), Some(Value::from(())));
        assert_eq!(eval("'a b'"), Some(Value::from("a b")));
        assert_eq!(eval(r#""x\ty""#), Some(Value::from("x\ty")));
        assert_eq!(eval("'a' 'b'"), Some(Value::from("ab")));
        assert_eq!(
            eval("[1, 'x']"),
            Some(Value::from(vec![Value::from(1), Value::from("x")]))
        );
        assert_eq!(eval("(1,)"), Some(Value::from(vec![Value::from(1)])));
        let d = eval("{'a': 1, 'b': [2]}").expect("dict");
        assert_eq!(d.get_attr("a").expect("a"), Value::from(1));
    }

    #[test]
    fn non_literals_are_refused() {
        for s in [
            "yes", "10.0.0.1", "web01", "017", "a=b", "[1,", "foo()", "1 2", "~/x", "",
        ] {
            assert_eq!(eval(s), None, "{s}");
        }
    }
}
