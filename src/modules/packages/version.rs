//! Debian version ordering (`dpkg --compare-versions`, apt's `version_compare`) and Python's
//! `fnmatch` globs, which Ansible's apt module matches `name=VERSION` patterns with.

use std::cmp::Ordering;

/// Compares two Debian versions (`[epoch:]upstream[-revision]`) as dpkg does.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| verrevcmp(ua.as_bytes(), ub.as_bytes()))
        .then_with(|| verrevcmp(ra.as_bytes(), rb.as_bytes()))
}

/// Epoch, upstream version and revision.
fn split(v: &str) -> (u64, &str, &str) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit()) => {
            (e.parse().unwrap_or(0), rest)
        }
        _ => (0, v),
    };
    match rest.rsplit_once('-') {
        Some((upstream, revision)) => (epoch, upstream, revision),
        None => (epoch, rest, ""),
    }
}

/// dpkg's character order: `~` before the end, the end before letters, letters before the rest.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// Whether `text` matches the shell-style `pattern` (`*`, `?`, `[seq]`, `[!seq]`), as Python's
/// `fnmatch.fnmatchcase`.
pub fn fnmatch(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    glob(&t, &p)
}

/// Whether `name` holds a glob character (Ansible expands such names against the cache).
pub fn is_glob(name: &str) -> bool {
    name.contains(['*', '?', '[', ']', '!'])
}

fn glob(t: &[char], p: &[char]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some('*') => (0..=t.len()).any(|k| glob(&t[k..], &p[1..])),
        Some('?') => !t.is_empty() && glob(&t[1..], &p[1..]),
        Some('[') => match class(p) {
            Some((set, negated, len)) => {
                let Some(c) = t.first() else { return false };
                set.iter().any(|(lo, hi)| lo <= c && c <= hi) != negated && glob(&t[1..], &p[len..])
            }
            None => t.first() == Some(&'[') && glob(&t[1..], &p[1..]),
        },
        Some(c) => t.first() == Some(c) && glob(&t[1..], &p[1..]),
    }
}

/// A `[...]` class: its ranges, whether negated, and its length in the pattern.
type Class = (Vec<(char, char)>, bool, usize);

/// The `[...]` class at the start of `p`.
fn class(p: &[char]) -> Option<Class> {
    let mut k = 1;
    let negated = p.get(k) == Some(&'!');
    if negated {
        k += 1;
    }
    let mut set = Vec::new();
    let start = k;
    while k < p.len() && (p[k] != ']' || k == start) {
        if p.get(k + 1) == Some(&'-') && p.get(k + 2).is_some_and(|c| *c != ']') {
            set.push((p[k], p[k + 2]));
            k += 3;
        } else {
            set.push((p[k], p[k]));
            k += 1;
        }
    }
    (k < p.len()).then_some((set, negated, k + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_as_dpkg_orders_them() {
        let less = [
            ("1.0", "1.1"),
            ("1.0~rc1", "1.0"),
            ("1.0", "1.0-1"),
            ("1.0-1", "1.0-2"),
            ("1.9", "1.10"),
            ("2.0", "1:0.1"),
            ("1.0a", "1.0b"),
            ("1.0", "1.0a"),
            ("1.0+b1", "1.0.1"),
            ("2.1.0-1", "2.1.0-1+b1"),
        ];
        for (a, b) in less {
            assert_eq!(compare(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(compare(b, a), Ordering::Greater, "{b} > {a}");
        }
        assert_eq!(compare("1.01", "1.1"), Ordering::Equal);
        assert_eq!(compare("0:1.0", "1.0"), Ordering::Equal);
    }

    #[test]
    fn globs_match_as_fnmatch() {
        assert!(fnmatch("1.0-1", "1.0*"));
        assert!(fnmatch("1.0-1", "1.0-?"));
        assert!(!fnmatch("1.0-1", "1.1*"));
        assert!(fnmatch("libfoo2", "libfoo[0-9]"));
        assert!(!fnmatch("libfooa", "libfoo[!a-z]"));
        assert!(fnmatch("2.0", "2.0"));
        assert!(!fnmatch("2.0", "2"));
    }
}
