//! Host patterns as Ansible evaluates them (`hosts:` of a play, `--limit`): `all`, `*`,
//! globs, `~regex`, unions `a:b` or `a,b`, intersections `a:&b`, exclusions `a:!b`, and
//! subscripts `web[0]`, `web[0:2]`, `web[1:]`. Results keep inventory order.

use std::collections::HashSet;
use std::path::Path;
use std::sync::LazyLock;

use fancy_regex::Regex;

use crate::repo::inventory::hostrange::parse_address;
use crate::repo::inventory::{Inventory, LOCALHOST_NAMES};
use crate::shown::shown;

/// A pattern that cannot be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum PatternError {
    #[error(
        "host pattern `{}`: `{}` is neither a group nor a host of the inventory{hint}",
        shown(pattern),
        shown(name)
    )]
    Unknown {
        pattern: String,
        name: String,
        hint: String,
    },
    #[error(
        "host pattern `{}`: invalid pattern `{}`: {}",
        shown(pattern),
        shown(part),
        shown(message)
    )]
    Invalid {
        pattern: String,
        part: String,
        message: String,
    },
    #[error(
        "host pattern `{}`: no hosts matched the subscripted pattern `{}`",
        shown(pattern),
        shown(part)
    )]
    Subscript { pattern: String, part: String },
    #[error("cannot read limit file `{}`", shown(&path.display().to_string()))]
    LimitFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

static SUBSCRIPT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$").expect("the subscript pattern is valid")
});

/// Splits a pattern into its parts, on commas, or else on colons outside brackets (unless the
/// whole pattern is one host address such as an IPv6 address).
pub fn split(pattern: &str) -> Vec<String> {
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_string).collect()
    } else if parse_address(pattern).is_some() {
        vec![pattern.to_string()]
    } else {
        let mut parts = Vec::new();
        let mut cur = String::new();
        let mut depth = 0;
        for c in pattern.chars() {
            match c {
                '[' => {
                    depth += 1;
                    cur.push(c);
                }
                ']' => {
                    depth -= 1;
                    cur.push(c);
                }
                ':' if depth == 0 => parts.push(std::mem::take(&mut cur)),
                c if c.is_whitespace() && depth == 0 => parts.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        parts.push(cur);
        parts
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Regular parts first, then `&` intersections, then `!` exclusions; `all` when none is regular.
fn order(parts: Vec<String>) -> Vec<String> {
    let (mut regular, mut and, mut not) = (Vec::new(), Vec::new(), Vec::new());
    for p in parts {
        if p.starts_with('!') {
            not.push(p);
        } else if p.starts_with('&') {
            and.push(p);
        } else {
            regular.push(p);
        }
    }
    if regular.is_empty() {
        regular.push("all".to_string());
    }
    regular.into_iter().chain(and).chain(not).collect()
}

/// Options of an evaluation.
struct Eval<'a> {
    inv: &'a Inventory,
    pattern: &'a str,
    /// Names matching nothing are errors (else they are reported back).
    strict: bool,
    unmatched: Vec<String>,
}

/// The hosts matching a pattern, in inventory order. A name that is neither a group nor a host
/// is an error.
pub fn select(inv: &Inventory, pattern: &str) -> Result<Vec<String>, PatternError> {
    let mut eval = Eval {
        inv,
        pattern,
        strict: true,
        unmatched: Vec::new(),
    };
    eval.evaluate(split(pattern))
}

/// Like [`select`], but names matching nothing are returned for a warning instead.
pub fn select_lenient(inv: &Inventory, pattern: &str) -> Result<(Vec<String>, Vec<String>), PatternError> {
    let mut eval = Eval {
        inv,
        pattern,
        strict: false,
        unmatched: Vec::new(),
    };
    let hosts = eval.evaluate(split(pattern))?;
    Ok((hosts, eval.unmatched))
}

/// The hosts matching `pattern` that also match `limit` (`--limit`, which may name files
/// with `@FILE`, one pattern a line, relative to `base_dir`).
pub fn select_limited(
    inv: &Inventory,
    pattern: &str,
    limit: Option<&str>,
    base_dir: &Path,
) -> Result<Vec<String>, PatternError> {
    let hosts = select(inv, pattern)?;
    let Some(limit) = limit else { return Ok(hosts) };
    let mut parts = Vec::new();
    for p in split(limit) {
        if let Some(file) = p.strip_prefix('@') {
            let path = base_dir.join(file);
            let text = std::fs::read_to_string(&path).map_err(|source| PatternError::LimitFile {
                path: path.clone(),
                source,
            })?;
            parts.extend(
                text.split('\n')
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty()),
            );
        } else {
            parts.push(p);
        }
    }
    let mut eval = Eval {
        inv,
        pattern: limit,
        strict: true,
        unmatched: Vec::new(),
    };
    let allowed: HashSet<String> = eval.evaluate(parts)?.into_iter().collect();
    Ok(hosts.into_iter().filter(|h| allowed.contains(h)).collect())
}

impl Eval<'_> {
    fn evaluate(&mut self, parts: Vec<String>) -> Result<Vec<String>, PatternError> {
        let mut hosts: Vec<String> = Vec::new();
        let mut present: HashSet<String> = HashSet::new();
        for p in order(parts) {
            if self.inv.has_host(&p) {
                if present.insert(p.clone()) {
                    hosts.push(p);
                }
                continue;
            }
            let that = self.match_one(&p)?;
            if p.starts_with('!') || p.starts_with('&') {
                let keep_matching = p.starts_with('&');
                let that: HashSet<&String> = that.iter().collect();
                hosts.retain(|h| that.contains(h) == keep_matching);
                present = hosts.iter().cloned().collect();
            } else {
                for h in that {
                    if present.insert(h.clone()) {
                        hosts.push(h);
                    }
                }
            }
        }
        Ok(hosts)
    }

    fn match_one(&mut self, part: &str) -> Result<Vec<String>, PatternError> {
        let bare = part.strip_prefix(['&', '!']).unwrap_or(part);
        let (expr, subscript) = split_subscript(bare);
        let hosts = self.enumerate(&expr)?;
        let Some((start, end)) = subscript else {
            return Ok(hosts);
        };
        if hosts.is_empty() {
            return Ok(hosts);
        }
        let len = hosts.len() as i64;
        let out_of_range = || PatternError::Subscript {
            pattern: self.pattern.to_string(),
            part: bare.to_string(),
        };
        match end {
            None => {
                let idx = if start < 0 { len + start } else { start };
                if idx < 0 || idx >= len {
                    return Err(out_of_range());
                }
                Ok(vec![hosts[idx as usize].clone()])
            }
            Some(end) => {
                let end = if end == -1 { len - 1 } else { end };
                let (s, e) = (start.clamp(0, len) as usize, (end + 1).clamp(0, len) as usize);
                Ok(if s < e { hosts[s..e].to_vec() } else { Vec::new() })
            }
        }
    }

    fn enumerate(&mut self, pattern: &str) -> Result<Vec<String>, PatternError> {
        let graph = self.inv.graph();
        let matcher = Matcher::new(pattern).map_err(|message| PatternError::Invalid {
            pattern: self.pattern.to_string(),
            part: pattern.to_string(),
            message,
        })?;
        let mut results: Vec<String> = Vec::new();
        let groups: Vec<&String> = graph.groups.keys().filter(|g| matcher.matches(g)).collect();
        for g in &groups {
            results.extend(graph.group_hosts(g));
        }
        if groups.is_empty() || pattern.starts_with('~') || pattern.contains(['.', '?', '*', '[']) {
            results.extend(graph.hosts.keys().filter(|h| matcher.matches(h)).cloned());
        }
        if results.is_empty() && LOCALHOST_NAMES.contains(&pattern) {
            results.push(pattern.to_string());
        }
        if results.is_empty() && groups.is_empty() && pattern != "all" {
            let is_plain = !pattern.starts_with('~') && !pattern.contains(['?', '*', '[']);
            if self.strict && is_plain {
                let mut known: Vec<&str> = graph
                    .groups
                    .keys()
                    .map(String::as_str)
                    .filter(|g| *g != "all" && *g != "ungrouped")
                    .collect();
                known.sort();
                let hint = if known.is_empty() {
                    String::new()
                } else {
                    format!(" (groups: {})", known.join(", "))
                };
                return Err(PatternError::Unknown {
                    pattern: self.pattern.to_string(),
                    name: pattern.to_string(),
                    hint,
                });
            }
            self.unmatched.push(pattern.to_string());
        }
        // Duplicates stay (a host in two matching groups), as subscripts count them in Ansible.
        Ok(results)
    }
}

/// `web[1]` → (`web`, (1, None)); `web[0:2]` → (`web`, (0, Some(2))); `web[1:]` → (1, Some(-1)).
fn split_subscript(pattern: &str) -> (String, Option<(i64, Option<i64>)>) {
    if pattern.starts_with('~') {
        return (pattern.to_string(), None);
    }
    let Ok(Some(caps)) = SUBSCRIPT.captures(pattern) else {
        return (pattern.to_string(), None);
    };
    let base = caps.get(1).map(|m| m.as_str().to_string()).unwrap_or_default();
    if let Some(idx) = caps.get(2) {
        return (base, idx.as_str().parse().ok().map(|i| (i, None)));
    }
    let start = caps.get(3).and_then(|m| m.as_str().parse().ok()).unwrap_or(0);
    let end = caps
        .get(5)
        .map(|m| m.as_str())
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse().ok())
        .unwrap_or(-1);
    (base, Some((start, Some(end))))
}

/// A glob (fnmatch) or, after `~`, a regular expression matched at the start of the name.
struct Matcher(Regex);

impl Matcher {
    fn new(pattern: &str) -> Result<Matcher, String> {
        let source = match pattern.strip_prefix('~') {
            Some(re) => format!("^(?:{re})"),
            None => format!("^(?s:{})$", glob_to_regex(pattern)),
        };
        Regex::new(&source).map(Matcher).map_err(|e| e.to_string())
    }

    fn matches(&self, name: &str) -> bool {
        self.0.is_match(name).unwrap_or(false)
    }
}

/// Python's `fnmatch.translate`.
fn glob_to_regex(glob: &str) -> String {
    let chars: Vec<char> = glob.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '[' => {
                let mut j = i;
                if j < chars.len() && chars[j] == '!' {
                    j += 1;
                }
                if j < chars.len() && chars[j] == ']' {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    out.push_str("\\[");
                } else {
                    let mut class: String = chars[i..j].iter().collect();
                    class = class.replace('\\', "\\\\");
                    i = j + 1;
                    if let Some(rest) = class.strip_prefix('!') {
                        class = format!("^{rest}");
                    } else if class.starts_with('^') {
                        class = format!("\\{class}");
                    }
                    out.push('[');
                    out.push_str(&class);
                    out.push(']');
                }
            }
            c => out.push_str(&fancy_regex::escape(&c.to_string())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_split_like_ansible() {
        assert_eq!(split("web:&prod:!web2"), ["web", "&prod", "!web2"]);
        assert_eq!(split("a, b[1], c[2:3] , d"), ["a", "b[1]", "c[2:3]", "d"]);
        assert_eq!(split("web[0:2]:db"), ["web[0:2]", "db"]);
        assert_eq!(split("::1"), ["::1"]);
        assert_eq!(order(split("!a:&b")), ["all", "&b", "!a"]);
    }

    #[test]
    fn subscripts_and_globs() {
        assert_eq!(split_subscript("web[1]"), ("web".into(), Some((1, None))));
        assert_eq!(split_subscript("web[0:2]"), ("web".into(), Some((0, Some(2)))));
        assert_eq!(split_subscript("web[1:]"), ("web".into(), Some((1, Some(-1)))));
        assert_eq!(split_subscript("~web[1]"), ("~web[1]".into(), None));
        let m = Matcher::new("web*").expect("glob");
        assert!(m.matches("web01") && !m.matches("db"));
        let m = Matcher::new("w[!x]b").expect("glob");
        assert!(m.matches("wab") && !m.matches("wxb"));
        let r = Matcher::new("~(db|web)0[12]").expect("regex");
        assert!(r.matches("web01") && r.matches("db02x") && !r.matches("xweb01"));
    }
}
