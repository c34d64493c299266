//! `find`: files under `paths` selected as ansible-core 2.19's module selects them (glob or
//! Python-regex `patterns`/`excludes` on the name, `file_type`, `age`, `size`, `mode`,
//! `contains`, `hidden`, `recurse`/`depth`, `follow`, `limit`), with its `files` list (the same
//! stat keys), `matched`, `examined`, `skipped_paths` and `msg`. The host lists the entries in
//! one round trip ([`find_walk`](super::find_walk)); the selection replays `os.walk` here. Only
//! `contains` and `get_checksum` need a second round trip, for the candidates alone.

use std::collections::HashMap;

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::find_walk::{
    Entry, Extra, Listing, by_parent, extra_script, list_script, normpath, parse_extra, parse_listing,
};
use super::replace::Encoding;
use crate::connection::files::Mode;
use crate::modules::params::{map_value, python_type};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};
use crate::template::filters::{PyRegex, compile_regex};

pub struct Find;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "name", alias = "path")]
    paths: Vec<String>,
    #[serde(default, alias = "pattern")]
    patterns: Vec<String>,
    #[serde(alias = "exclude")]
    excludes: Option<Vec<String>>,
    contains: Option<String>,
    read_whole_file: Option<bool>,
    file_type: Option<FileType>,
    age: Option<String>,
    age_stamp: Option<AgeStamp>,
    size: Option<String>,
    recurse: Option<bool>,
    hidden: Option<bool>,
    follow: Option<bool>,
    get_checksum: Option<bool>,
    #[serde(alias = "checksum", alias = "checksum_algo")]
    checksum_algorithm: Option<Algorithm>,
    use_regex: Option<bool>,
    depth: Option<i64>,
    mode: Option<Value>,
    exact_mode: Option<bool>,
    encoding: Option<String>,
    limit: Option<i64>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum FileType {
    Any,
    Directory,
    File,
    Link,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum AgeStamp {
    Atime,
    Ctime,
    Mtime,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Algorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    fn tool(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5sum",
            Algorithm::Sha1 => "sha1sum",
            Algorithm::Sha224 => "sha224sum",
            Algorithm::Sha256 => "sha256sum",
            Algorithm::Sha384 => "sha384sum",
            Algorithm::Sha512 => "sha512sum",
        }
    }
}

/// A name pattern: a glob (`fnmatch`) or a Python regex, both matched from the name's start.
struct NameMatch(PyRegex);

impl NameMatch {
    fn new(pattern: &str, regex: bool) -> Result<NameMatch, ModuleError> {
        let source = if regex {
            pattern.to_string()
        } else {
            fnmatch_regex(pattern)
        };
        compile_regex(&source, false, false).map(NameMatch).map_err(|e| {
            ModuleError::Params(format!(
                "find: pattern `{pattern}` is not a valid regular expression: {e}"
            ))
        })
    }

    /// `re.match`: a match starting at the first character (the leftmost match starts there
    /// whenever one does).
    fn matches(&self, name: &str) -> bool {
        matches!(self.0.search(name), Ok(Some(c)) if c.get(0).is_some_and(|m| m.start() == 0))
    }
}

/// Python's `fnmatch.translate`: `*`, `?`, `[seq]`, `[!seq]`, matched over the whole name.
fn fnmatch_regex(pat: &str) -> String {
    let chars: Vec<char> = pat.chars().collect();
    let mut out = String::from("(?s:");
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => {
                while chars.get(i) == Some(&'*') {
                    i += 1;
                }
                out.push_str(".*");
            }
            '?' => out.push('.'),
            '[' => {
                let mut j = i;
                if chars.get(j) == Some(&'!') {
                    j += 1;
                }
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    out.push_str("\\[");
                    continue;
                }
                let mut body: String = chars[i..j].iter().collect();
                i = j + 1;
                body = body.replace('\\', "\\\\");
                if let Some(rest) = body.strip_prefix('!') {
                    body = format!("^{rest}");
                } else if body.starts_with('^') || body.starts_with('[') {
                    body = format!("\\{body}");
                }
                out.push('[');
                out.push_str(&body);
                out.push(']');
            }
            c => out.push_str(&fancy_regex::escape(&c.to_string())),
        }
    }
    out.push_str(")\\Z");
    out
}

/// `age` (`-3d`, `2w`, `3600`) in seconds, or Ansible's failure.
fn parse_scaled(value: &str, units: &[(char, i64)], what: &str) -> Result<i64, ModuleError> {
    let v = value.to_lowercase();
    let (num, unit) = match v.chars().last() {
        Some(c) if c.is_ascii_alphabetic() => (&v[..v.len() - 1], Some(c)),
        _ => (v.as_str(), None),
    };
    let digits = num.strip_prefix('-').unwrap_or(num);
    let scale = match unit {
        None => Some(1),
        Some(u) => units.iter().find(|(c, _)| *c == u).map(|(_, s)| *s),
    };
    match (
        scale,
        digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()),
    ) {
        (Some(scale), false) => num.parse::<i64>().map(|n| n * scale).map_err(|_| {
            ModuleError::failed(format!("failed to process {what}")).with(what, value.to_string())
        }),
        _ => Err(ModuleError::failed(format!("failed to process {what}")).with(what, value.to_string())),
    }
}

/// Everything the selection needs, checked.
struct Select {
    patterns: Vec<NameMatch>,
    excludes: Vec<NameMatch>,
    contains: Option<PyRegex>,
    whole_file: bool,
    file_type: FileType,
    age: Option<i64>,
    age_stamp: AgeStamp,
    size: Option<i64>,
    recurse: bool,
    hidden: bool,
    follow: bool,
    checksum: bool,
    depth: Option<i64>,
    mode: Option<u32>,
    exact_mode: bool,
    encoding: Option<Encoding>,
    limit: Option<usize>,
}

impl Select {
    fn names(&self, name: &str) -> bool {
        if !self.patterns.iter().any(|p| p.matches(name)) {
            return false;
        }
        !self.excludes.iter().any(|e| e.matches(name))
    }

    fn age_ok(&self, e: &Entry, now: f64) -> bool {
        let Some(age) = self.age else { return true };
        let stamp = match self.age_stamp {
            AgeStamp::Atime => e.atime,
            AgeStamp::Ctime => e.ctime,
            AgeStamp::Mtime => e.mtime,
        };
        let limit = age.unsigned_abs() as f64;
        if age >= 0 {
            now - stamp >= limit
        } else {
            now - stamp <= limit
        }
    }

    fn size_ok(&self, e: &Entry) -> bool {
        let Some(size) = self.size else { return true };
        let limit = size.unsigned_abs();
        if size >= 0 {
            e.size >= limit
        } else {
            e.size <= limit
        }
    }

    fn mode_ok(&self, e: &Entry) -> bool {
        let Some(mode) = self.mode else { return true };
        let have = e.mode & 0o7777;
        if self.exact_mode {
            have == mode
        } else {
            have & mode != 0
        }
    }
}

/// The outcome of the content test for one file.
enum Content {
    Yes,
    No,
    /// Not text in the encoding: Ansible gives up on the whole searched path with this message.
    Undecodable(String),
}

fn content_test(sel: &Select, path: &str, extra: Option<&Extra>) -> Content {
    let Some(re) = &sel.contains else {
        return Content::Yes;
    };
    let Some(bytes) = extra.and_then(|x| x.content.as_ref()) else {
        return Content::No;
    };
    let text = match sel.encoding.unwrap_or(Encoding::Utf8) {
        Encoding::Utf8 => match std::str::from_utf8(bytes) {
            Ok(t) => t.to_string(),
            Err(_) => {
                let enc = match sel.encoding {
                    Some(_) => "utf-8".to_string(),
                    None => "None (default determined by the Python built-in function \"open\")".to_string(),
                };
                return Content::Undecodable(format!(
                    "Failed to read the file {path} due to an encoding error. current encoding: {enc}"
                ));
            }
        },
        Encoding::Latin1 => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    // Text mode: universal newlines.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let hit = |s: &str| matches!(re.search(s), Ok(Some(c)) if c.get(0).is_some_and(|m| m.start() == 0));
    let found = if sel.whole_file {
        matches!(re.search(&text), Ok(Some(_)))
    } else {
        text.split_inclusive('\n').any(hit)
    };
    if found { Content::Yes } else { Content::No }
}

/// Ansible's `statinfo()` for a matched entry, with `path` first.
fn file_value(e: &Entry, checksum: Option<&str>) -> Value {
    let m = e.mode;
    let bit = |b: u32| Value::from(m & b != 0);
    let mut pairs: Vec<(&str, Value)> = vec![
        ("path", Value::from(normpath(&e.path))),
        ("mode", Value::from(format!("{:04o}", m & 0o7777))),
        ("isdir", Value::from(e.kind == 'd')),
        ("ischr", Value::from(e.kind == 'c')),
        ("isblk", Value::from(e.kind == 'b')),
        ("isreg", Value::from(e.kind == 'f')),
        ("isfifo", Value::from(e.kind == 'p')),
        ("islnk", Value::from(e.kind == 'l')),
        ("issock", Value::from(e.kind == 's')),
        ("uid", Value::from(e.uid)),
        ("gid", Value::from(e.gid)),
        ("size", Value::from(e.size)),
        ("inode", Value::from(e.inode)),
        ("dev", Value::from(e.dev)),
        ("nlink", Value::from(e.nlink)),
        ("atime", Value::from(e.atime)),
        ("mtime", Value::from(e.mtime)),
        ("ctime", Value::from(e.ctime)),
        ("gr_name", Value::from(e.group.clone())),
        ("pw_name", Value::from(e.user.clone())),
        ("wusr", bit(0o200)),
        ("rusr", bit(0o400)),
        ("xusr", bit(0o100)),
        ("wgrp", bit(0o020)),
        ("rgrp", bit(0o040)),
        ("xgrp", bit(0o010)),
        ("woth", bit(0o002)),
        ("roth", bit(0o004)),
        ("xoth", bit(0o001)),
        ("isuid", bit(0o4000)),
        ("isgid", bit(0o2000)),
    ];
    if let Some(sum) = checksum {
        pairs.push(("checksum", Value::from(sum)));
    }
    map_value(pairs)
}

/// The run of the selection over all searched paths.
#[derive(Default)]
struct Found<'a> {
    files: Vec<(&'a Entry, bool)>,
    looked: usize,
    skipped: Vec<(String, String)>,
    warnings: Vec<String>,
    limit_hit: bool,
}

/// Replays Ansible's loop over `os.walk` for one searched path. `extras` is `None` in the
/// first pass, which only collects candidates (content test assumed true, no limit).
fn walk<'a>(
    sel: &Select,
    npath: &str,
    listing: &'a Listing,
    now: f64,
    extras: Option<&HashMap<String, Extra>>,
    found: &mut Found<'a>,
) {
    if !listing.is_dir {
        let msg = format!("'{npath}' is not a directory");
        found.warnings.push(format!(
            "Skipped '{npath}' path due to this access issue: {msg}\n"
        ));
        found.skipped.push((npath.to_string(), msg));
        return;
    }
    found.skipped.extend(listing.errors.iter().cloned());
    let Some(first) = listing.entries.first() else {
        return;
    };
    let children = by_parent(&listing.entries);
    let limit = if extras.is_some() { sel.limit } else { None };
    // (directory key, depth of its entries)
    let mut stack: Vec<(&str, i64)> = vec![(first.parent.as_str(), 1)];
    while let Some((dir, depth)) = stack.pop() {
        let entries = children.get(dir).map(Vec::as_slice).unwrap_or(&[]);
        let (dirs, files): (Vec<&Entry>, Vec<&Entry>) = entries.iter().partition(|e| e.is_dir);
        found.looked += entries.len();
        let mut prune = false;
        let mut stop = false;
        for e in files.iter().chain(dirs.iter()) {
            if sel.depth.is_some_and(|d| d != 0 && depth > d) {
                prune = true;
                continue;
            }
            if e.name.starts_with('.') && !sel.hidden {
                continue;
            }
            let base = sel.names(&e.name) && sel.age_ok(e, now) && sel.mode_ok(e);
            let path = normpath(&e.path);
            let take = match (sel.file_type, e.kind) {
                (FileType::Any, 'f') => base && sel.size_ok(e),
                (FileType::Any, _) => base,
                (FileType::Directory, 'd') | (FileType::Link, 'l') => base,
                (FileType::File, 'f') => {
                    base && sel.size_ok(e) && {
                        match extras {
                            None => true,
                            Some(x) => match content_test(sel, &path, x.get(&e.path)) {
                                Content::Yes => true,
                                Content::No => false,
                                Content::Undecodable(msg) => {
                                    found.warnings.push(format!(
                                        "Skipped '{npath}' path due to this access issue: {msg}\n"
                                    ));
                                    found.skipped.push((npath.to_string(), msg));
                                    return;
                                }
                            },
                        }
                    }
                }
                _ => false,
            };
            if take {
                found.files.push((e, e.kind == 'f' && sel.checksum));
            }
            if limit.is_some_and(|l| found.files.len() == l) {
                found.limit_hit = true;
                stop = true;
                break;
            }
        }
        if !sel.recurse || stop {
            return;
        }
        if !prune {
            for d in dirs.iter().rev() {
                if sel.follow || d.kind != 'l' {
                    stack.push((d.path.as_str(), depth + 1));
                }
            }
        }
    }
}

#[async_trait]
impl TypedModule for Find {
    type Params = Params;

    const SPEC: Spec = Spec::host("find");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let use_regex = p.use_regex.unwrap_or(false);
        let mode = match &p.mode {
            None => None,
            Some(v) if v.as_str().is_some_and(str::is_empty) => None,
            Some(v) => {
                let Some(text) = v.as_str() else {
                    return Err(ModuleError::failed(format!(
                        "argument 'mode' is not a string and conversion is not allowed, value is of type {}",
                        python_type(v)
                    )));
                };
                Some(
                    Mode::parse(text)
                        .map_err(|e| ModuleError::Params(format!("find: {e}")))?
                        .resolve(0, false, 0o022)
                        & 0o7777,
                )
            }
        };
        let encoding = match p.encoding.as_deref() {
            None => None,
            Some(name) => Some(Encoding::parse(name).ok_or_else(|| {
                ModuleError::Params(format!(
                    "find: encoding `{name}` is not supported by playhook (utf-8 and latin-1 are)"
                ))
            })?),
        };
        if let Some(l) = p.limit.filter(|l| *l <= 0) {
            return Err(ModuleError::failed(format!(
                "limit cannot be {l} (use None for unlimited)"
            )));
        }
        let patterns = if p.patterns.is_empty() {
            vec![if use_regex {
                ".*".to_string()
            } else {
                "*".to_string()
            }]
        } else {
            p.patterns.clone()
        };
        let age = match p.age.as_deref() {
            None => None,
            Some(a) => Some(parse_scaled(
                a,
                &[('s', 1), ('m', 60), ('h', 3600), ('d', 86400), ('w', 604_800)],
                "age",
            )?),
        };
        let size = match p.size.as_deref() {
            None => None,
            Some(s) => Some(parse_scaled(
                s,
                &[
                    ('b', 1),
                    ('k', 1 << 10),
                    ('m', 1 << 20),
                    ('g', 1 << 30),
                    ('t', 1 << 40),
                ],
                "size",
            )?),
        };
        let sel = Select {
            patterns: patterns
                .iter()
                .map(|x| NameMatch::new(x, use_regex))
                .collect::<Result<_, _>>()?,
            excludes: p
                .excludes
                .iter()
                .flatten()
                .map(|x| NameMatch::new(x, use_regex))
                .collect::<Result<_, _>>()?,
            contains: match p.contains.as_deref() {
                None => None,
                Some(c) => Some(compile_regex(c, false, false).map_err(|e| {
                    ModuleError::Params(format!(
                        "find: contains `{c}` is not a valid regular expression: {e}"
                    ))
                })?),
            },
            whole_file: p.read_whole_file.unwrap_or(false),
            file_type: p.file_type.unwrap_or(FileType::File),
            age,
            age_stamp: p.age_stamp.unwrap_or(AgeStamp::Mtime),
            size,
            recurse: p.recurse.unwrap_or(false),
            hidden: p.hidden.unwrap_or(false),
            follow: p.follow.unwrap_or(false),
            checksum: p.get_checksum.unwrap_or(false),
            depth: p.depth,
            mode,
            exact_mode: p.exact_mode.unwrap_or(true),
            encoding,
            limit: p.limit.and_then(|l| usize::try_from(l).ok()),
        };
        // Entries one level deeper than `depth` are counted in `examined`, as os.walk lists
        // them before Ansible prunes.
        let maxdepth = match (sel.recurse, sel.depth) {
            (false, _) => Some(1),
            (true, Some(d)) if d > 0 => u32::try_from(d + 1).ok(),
            _ => None,
        };
        let out = ctx.run(list_script(&p.paths, maxdepth, sel.follow)).await?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.rc == 127 {
            return Err(ModuleError::failed(
                stderr.lines().last().unwrap_or_default().to_string(),
            ));
        }
        let listings = parse_listing(&out.stdout, &stderr)
            .filter(|l| l.paths.len() == p.paths.len())
            .ok_or_else(|| {
                ModuleError::failed(format!(
                    "find: could not read the listing of {} from the host: {}",
                    p.paths.join(", "),
                    stderr.trim()
                ))
            })?;
        let extras = if (sel.contains.is_some() && sel.file_type == FileType::File) || sel.checksum {
            let mut first = Found::default();
            for (npath, listing) in p.paths.iter().zip(&listings.paths) {
                walk(&sel, npath, listing, listings.now, None, &mut first);
            }
            let regular: Vec<&str> = first
                .files
                .iter()
                .filter(|(e, _)| e.kind == 'f')
                .map(|(e, _)| e.path.as_str())
                .collect();
            let read: Vec<&str> = if sel.contains.is_some() && sel.file_type == FileType::File {
                regular.clone()
            } else {
                Vec::new()
            };
            let sums: Vec<&str> = if sel.checksum { regular } else { Vec::new() };
            if read.is_empty() && sums.is_empty() {
                HashMap::new()
            } else {
                let tool = p.checksum_algorithm.unwrap_or(Algorithm::Sha1).tool();
                let out = ctx.run(extra_script(&read, &sums, tool)).await?;
                parse_extra(&out.stdout, &read)
            }
        } else {
            HashMap::new()
        };
        let mut found = Found::default();
        for (npath, listing) in p.paths.iter().zip(&listings.paths) {
            walk(&sel, npath, listing, listings.now, Some(&extras), &mut found);
        }
        let msg = if !found.warnings.is_empty() {
            "Not all paths examined, check warnings for details"
        } else if found.limit_hit {
            "Limit of matches reached"
        } else {
            "All paths examined"
        };
        let files: Vec<Value> = found
            .files
            .iter()
            .map(|(e, sum)| {
                let checksum = if *sum {
                    extras.get(&e.path).and_then(|x| x.checksum.as_deref())
                } else {
                    None
                };
                file_value(e, checksum)
            })
            .collect();
        let matched = files.len();
        let skipped = map_value(found.skipped.into_iter().map(|(k, v)| (k, Value::from(v))));
        let mut outcome = Outcome::ok()
            .with("files", files)
            .with("matched", matched)
            .with("examined", found.looked)
            .with("skipped_paths", skipped);
        outcome.msg = Some(msg.to_string());
        if !found.warnings.is_empty() {
            outcome
                .data
                .insert("warnings".into(), Value::from(found.warnings));
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_is_pythons() {
        let m = |p: &str, n: &str| NameMatch::new(p, false).expect("compiles").matches(n);
        assert!(m("*.log", "a.log") && !m("*.log", "a.log.1"));
        assert!(m("*", ".hidden"));
        assert!(m("[!a]*", "b") && !m("[!a]*", "ab"));
        assert!(m("a[", "a[") && m("?", "x") && !m("?", "xy"));
    }

    #[test]
    fn regex_patterns_match_from_the_start() {
        let m = |p: &str, n: &str| NameMatch::new(p, true).expect("compiles").matches(n);
        assert!(m(r".*\.log", "a.log.1"));
        assert!(!m(r"log", "a.log"));
    }

    #[test]
    fn ages_and_sizes_scale() {
        let units = [('s', 1), ('m', 60), ('h', 3600), ('d', 86400), ('w', 604_800)];
        assert_eq!(parse_scaled("2d", &units, "age").expect("parses"), 172_800);
        assert_eq!(parse_scaled("-3600", &units, "age").expect("parses"), -3600);
        assert!(parse_scaled("2x", &units, "age").is_err());
        assert!(parse_scaled("d", &units, "age").is_err());
    }
}
