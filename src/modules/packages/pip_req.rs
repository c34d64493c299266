//! What `pip` knows about the names a task gives, as ansible-core 2.19's pip.py reads them on a
//! Debian host (`pkg_resources.Requirement`, packaging 23): the names rebuilt from a split list
//! (`_recover_package_name`), a requirement's canonical name, its text as pip receives it
//! (`str(Requirement)`: specifiers sorted and joined by commas) and whether an installed
//! version satisfies it (PEP 440, pre-releases allowed), which check mode asks.

use std::cmp::Ordering;

/// The comparison operators a version specifier starts with (pip.py's `op_dict`).
const OPS: &[&str] = &[">=", "<=", ">", "<", "==", "!=", "~="];

/// pip.py's `_recover_package_name`: the task's names, split on commas as a list parameter is,
/// joined back so `['django>1.11.1', '<1.11.3']` is one requirement again.
pub fn recover_names(names: &[String]) -> Vec<String> {
    let parts: Vec<&str> = names.iter().flat_map(|n| n.split(',')).collect();
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut in_brackets = false;
    for part in parts {
        let is_name = !OPS.iter().any(|op| part.trim_start().starts_with(op));
        if is_name && !in_brackets {
            if !current.is_empty() {
                out.push(current.join(","));
            }
            current.clear();
        }
        if part.contains('[') {
            in_brackets = true;
        }
        if in_brackets && part.contains(']') {
            in_brackets = false;
        }
        current.push(part);
    }
    out.push(current.join(","));
    out
}

/// One requirement of the task (pip.py's `Package`).
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    /// The canonical project name, or the text as given when it is not a requirement (a URL).
    pub name: String,
    /// The parsed requirement; `None` for text pip gets as it is (VCS URLs, paths).
    req: Option<Requirement>,
    raw: String,
}

#[derive(Debug, Clone, PartialEq)]
struct Requirement {
    name: String,
    extras: Vec<String>,
    specs: Vec<(String, String)>,
    url: Option<String>,
    marker: Option<String>,
}

impl Package {
    /// `Package(name_string, version_string)`: a version starting with a digit is `==version`,
    /// any other is a specifier written after the name.
    pub fn new(name: &str, version: Option<&str>) -> Package {
        let text = match version.map(str::trim_start) {
            Some(v) if !v.is_empty() => {
                let sep = if v.starts_with(|c: char| c.is_ascii_digit()) {
                    "=="
                } else {
                    " "
                };
                format!("{name}{sep}{v}")
            }
            _ => name.to_string(),
        };
        match parse(&text) {
            Some(req) => Package {
                name: canonical(&req.name),
                req: Some(req),
                raw: text,
            },
            None => Package {
                name: text.clone(),
                req: None,
                raw: text,
            },
        }
    }

    /// Whether the requirement has a version specifier.
    pub fn has_version_specifier(&self) -> bool {
        self.req.as_ref().is_some_and(|r| !r.specs.is_empty())
    }

    /// Whether `version` satisfies every specifier (pre-releases allowed).
    pub fn satisfied_by(&self, version: &str) -> bool {
        let Some(req) = &self.req else { return false };
        let Some(v) = Version::parse(version) else {
            return false;
        };
        req.specs.iter().all(|(op, spec)| matches(&v, version, op, spec))
    }

    /// Whether a line of `pip list --format=freeze` says this requirement is installed.
    pub fn present_in(&self, freeze: &[&str]) -> bool {
        freeze.iter().any(|line| {
            let Some((name, version)) = line.split_once("==") else {
                return false;
            };
            if version.contains("==") {
                return false;
            }
            canonical(name) == self.name && self.satisfied_by(version)
        })
    }
}

/// The requirement as pip receives it: `str(Requirement)`, or the text as given.
impl std::fmt::Display for Package {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(r) = &self.req else {
            return f.write_str(&self.raw);
        };
        f.write_str(&r.name)?;
        if !r.extras.is_empty() {
            let mut extras = r.extras.clone();
            extras.sort();
            write!(f, "[{}]", extras.join(","))?;
        }
        let mut specs: Vec<String> = r.specs.iter().map(|(op, v)| format!("{op}{v}")).collect();
        specs.sort();
        f.write_str(&specs.join(","))?;
        if let Some(url) = &r.url {
            write!(f, "@ {url}")?;
            if r.marker.is_some() {
                f.write_str(" ")?;
            }
        }
        if let Some(m) = &r.marker {
            write!(f, "; {m}")?;
        }
        Ok(())
    }
}

/// PEP 503's normal form of a project name.
pub fn canonical(name: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep {
                out.push('-');
                sep = false;
            }
            out.extend(c.to_lowercase());
        }
    }
    if sep {
        out.push('-');
    }
    out
}

/// PEP 508 `name [extras] (specifiers | @ url) ; marker`, or `None` when it is not one.
fn parse(text: &str) -> Option<Requirement> {
    let s = text.trim();
    let name_len = s
        .char_indices()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .last()
        .map(|(i, c)| i + c.len_utf8())?;
    let name = &s[..name_len];
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return None;
    }
    let mut rest = s[name_len..].trim_start();
    let mut extras = Vec::new();
    if let Some(after) = rest.strip_prefix('[') {
        let (inner, tail) = after.split_once(']')?;
        for e in inner.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if !e
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            {
                return None;
            }
            extras.push(e.to_string());
        }
        rest = tail.trim_start();
    }
    let (body, marker) = match rest.split_once(';') {
        Some((b, m)) => (b.trim(), Some(m.trim().to_string()).filter(|m| !m.is_empty())),
        None => (rest.trim(), None),
    };
    if marker.is_none() && rest.contains(';') {
        return None;
    }
    let mut url = None;
    let mut specs = Vec::new();
    if let Some(u) = body.strip_prefix('@') {
        let u = u.trim();
        if u.is_empty() || u.contains(char::is_whitespace) {
            return None;
        }
        url = Some(u.to_string());
    } else {
        let body = match body.strip_prefix('(') {
            Some(b) => b.strip_suffix(')')?.trim(),
            None => body,
        };
        if !body.is_empty() {
            for spec in body.split(',') {
                specs.push(specifier(spec.trim())?);
            }
        }
    }
    Some(Requirement {
        name: name.to_string(),
        extras,
        specs,
        url,
        marker,
    })
}

/// One specifier `op version`, checked as packaging's grammar checks it.
fn specifier(spec: &str) -> Option<(String, String)> {
    let op = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"]
        .into_iter()
        .find(|op| spec.starts_with(op))?;
    let version = spec[op.len()..].trim();
    if version.is_empty() {
        return None;
    }
    if op == "===" {
        return Some((op.to_string(), version.to_string()));
    }
    let plain = version
        .strip_suffix(".*")
        .filter(|_| matches!(op, "==" | "!="))
        .unwrap_or(version);
    Version::parse(plain)?;
    Some((op.to_string(), version.to_string()))
}

/// packaging's `_cmpkey` without the local part: epoch, release without trailing zeros, then
/// (kind, number) of pre, post and dev, where absent sorts as packaging's infinities.
type SortKey = (u64, Vec<u64>, (i64, u64), (i64, u64), (i64, u64));

/// A PEP 440 version: epoch, release, pre, post, dev, local.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    epoch: u64,
    release: Vec<u64>,
    pre: Option<(u8, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Vec<String>,
}

impl Version {
    fn parse(text: &str) -> Option<Version> {
        let s = text.trim().to_ascii_lowercase();
        let s = s.strip_prefix('v').unwrap_or(&s);
        let (public, local) = match s.split_once('+') {
            Some((p, l)) => (p, l.split(['.', '-', '_']).map(str::to_string).collect()),
            None => (s, Vec::new()),
        };
        let (epoch, public) = match public.split_once('!') {
            Some((e, p)) => (e.parse().ok()?, p),
            None => (0, public),
        };
        let bytes = public.as_bytes();
        let mut i = 0;
        let mut release = Vec::new();
        loop {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if start == i {
                return None;
            }
            release.push(public[start..i].parse().ok()?);
            if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                i += 1;
            } else {
                break;
            }
        }
        let mut rest = &public[i..];
        let mut pre = None;
        let mut post = None;
        let mut dev = None;
        let number = |r: &mut &str| -> u64 {
            let t = r.trim_start_matches(['.', '-', '_']);
            let n: String = t.chars().take_while(char::is_ascii_digit).collect();
            *r = &t[n.len()..];
            n.parse().unwrap_or(0)
        };
        for (words, kind) in [
            (&["alpha", "a"][..], 0u8),
            (&["beta", "b"][..], 1),
            (&["preview", "pre", "rc", "c"][..], 2),
        ] {
            let t = rest.trim_start_matches(['.', '-', '_']);
            if let Some(w) = words.iter().find(|w| t.starts_with(*w)) {
                rest = &t[w.len()..];
                pre = Some((kind, number(&mut rest)));
                break;
            }
        }
        let t = rest.trim_start_matches(['.', '_']);
        if let Some(w) = ["post", "rev", "r"].iter().find(|w| t.starts_with(*w)) {
            rest = &t[w.len()..];
            post = Some(number(&mut rest));
        } else if let Some(n) = rest
            .strip_prefix('-')
            .filter(|n| n.starts_with(|c: char| c.is_ascii_digit()))
        {
            rest = n;
            post = Some(number(&mut rest));
        }
        let t = rest.trim_start_matches(['.', '-', '_']);
        if let Some(d) = t.strip_prefix("dev") {
            rest = d;
            dev = Some(number(&mut rest));
        }
        if !rest.is_empty() {
            return None;
        }
        Some(Version {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    fn public(&self) -> Version {
        Version {
            local: Vec::new(),
            ..self.clone()
        }
    }

    fn base(&self) -> Version {
        Version {
            epoch: self.epoch,
            release: self.release.clone(),
            pre: None,
            post: None,
            dev: None,
            local: Vec::new(),
        }
    }

    fn is_pre(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// packaging's sort key, compared field by field.
    fn key(&self) -> SortKey {
        let mut release = self.release.clone();
        while release.len() > 1 && release.last() == Some(&0) {
            release.pop();
        }
        let pre = match (self.pre, self.post, self.dev) {
            (None, None, Some(_)) => (-1, 0),
            (None, _, _) => (i64::MAX, 0),
            (Some((k, n)), _, _) => (i64::from(k), n),
        };
        let post = self.post.map_or((-1, 0), |n| (0, n));
        let dev = self.dev.map_or((i64::MAX, 0), |n| (0, n));
        (self.epoch, release, pre, post, dev)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key()).then_with(|| {
            let local = |v: &Version| -> Vec<(u64, String)> {
                v.local
                    .iter()
                    .map(|p| match p.parse::<u64>() {
                        Ok(n) => (1, format!("{n:020}")),
                        Err(_) => (0, p.clone()),
                    })
                    .collect()
            };
            local(self).cmp(&local(other))
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Whether `v` (as written: `raw`) matches `op spec` (packaging's `Specifier.contains`).
fn matches(v: &Version, raw: &str, op: &str, spec: &str) -> bool {
    if op == "===" {
        return raw.trim().eq_ignore_ascii_case(spec);
    }
    if let Some(prefix) = spec.strip_suffix(".*").filter(|_| matches!(op, "==" | "!=")) {
        let Some(p) = Version::parse(prefix) else {
            return false;
        };
        let mut want = p.release.clone();
        let mut have = v.public().release.clone();
        if p.epoch != v.epoch {
            return op == "!=";
        }
        let len = want.len().max(have.len());
        want.resize(want.len().max(1), 0);
        have.resize(len, 0);
        let hit = have.starts_with(&want) && (p.pre.is_none() || p.pre == v.pre);
        return hit == (op == "==");
    }
    let Some(s) = Version::parse(spec) else {
        return false;
    };
    match op {
        "==" | "!=" => {
            let same = if s.local.is_empty() {
                v.public() == s
            } else {
                *v == s
            };
            let same = same || (s.local.is_empty() && v.public().cmp(&s) == Ordering::Equal);
            same == (op == "==")
        }
        ">=" => v.public() >= s,
        "<=" => v.public() <= s,
        "<" => v < &s && !(!s.is_pre() && v.is_pre() && v.base() == s.base()),
        ">" => {
            v > &s
                && !(s.post.is_none() && v.post.is_some() && v.base() == s.base())
                && (v.local.is_empty() || v.public() != s)
        }
        "~=" => {
            let mut prefix = s.release.clone();
            if prefix.len() < 2 {
                return false;
            }
            prefix.pop();
            let mut have = v.release.clone();
            have.resize(have.len().max(prefix.len()), 0);
            v.public() >= s && v.epoch == s.epoch && have.starts_with(&prefix)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn split_specifiers_join_back_to_their_name() {
        assert_eq!(
            recover_names(&names(&[
                "django>1.11.1",
                "<1.11.3",
                "ipaddress",
                "simpleproject>1.1.0",
                "<2.0.0"
            ])),
            ["django>1.11.1,<1.11.3", "ipaddress", "simpleproject>1.1.0,<2.0.0"]
        );
        assert_eq!(
            recover_names(&names(&["foo[a", "b]>=1", "bar"])),
            ["foo[a,b]>=1", "bar"]
        );
    }

    #[test]
    fn the_text_pip_gets_is_packagings_str() {
        assert_eq!(
            Package::new("Django >= 1.11, <2", None).to_string(),
            "Django<2,>=1.11"
        );
        assert_eq!(Package::new("foo", Some("1.0")).to_string(), "foo==1.0");
        assert_eq!(Package::new("foo", Some(">=1.0")).to_string(), "foo>=1.0");
        assert_eq!(Package::new("foo[b, a]", None).to_string(), "foo[a,b]");
        let url = "git+https://example.com/x.git#egg=x";
        assert_eq!(Package::new(url, None).to_string(), url);
        assert_eq!(Package::new(url, None).name, url);
        assert_eq!(Package::new("Foo_Bar.baz", None).name, "foo-bar-baz");
        assert!(Package::new("foo>=1", None).has_version_specifier());
        assert!(!Package::new("foo", None).has_version_specifier());
    }

    #[test]
    fn installed_versions_satisfy_specifiers_as_pep_440_says() {
        let p = |s: &str| Package::new(s, None);
        assert!(p("foo").satisfied_by("0.1"));
        assert!(p("foo==1.0").satisfied_by("1.0.0"));
        assert!(!p("foo==1.0").satisfied_by("1.0.1"));
        assert!(p("foo==1.*").satisfied_by("1.4"));
        assert!(!p("foo==1.*").satisfied_by("2.0"));
        assert!(p("foo>=1.0,<2").satisfied_by("1.9"));
        assert!(!p("foo>=1.0,<2").satisfied_by("2.0"));
        assert!(p("foo~=1.4").satisfied_by("1.9"));
        assert!(!p("foo~=1.4.2").satisfied_by("1.5.0"));
        assert!(p("foo>1.0").satisfied_by("1.1rc1"));
        assert!(!p("foo<2.0").satisfied_by("2.0rc1"));
        assert!(p("foo!=1.0").satisfied_by("1.1"));
        assert!(Version::parse("1.0.dev1") < Version::parse("1.0a1"));
        assert!(Version::parse("1.0") < Version::parse("1.0.post1"));
        let freeze = ["Foo-Bar==1.2", "other==3"];
        assert!(p("foo_bar>=1").present_in(&freeze));
        assert!(!p("foo_bar>=2").present_in(&freeze));
        assert!(!p("missing").present_in(&freeze));
    }
}
