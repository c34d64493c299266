//! `replace`: every match of a Python regular expression (compiled with `re.MULTILINE`, as
//! Ansible does) replaced in a remote file, optionally only in the section between `after` and
//! `before` (a `re.DOTALL` search); the replacement takes `\1`, `\g<name>` and Python's escapes.
//! A symlink is written through to the file it points to, as Ansible's `realpath`.

use async_trait::async_trait;
use minijinja::Value;

use super::edit::{load_resolved, save};
use super::edit_params::edit_params;
use crate::modules::params::content_diff;
use crate::modules::params::selinux;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};
use crate::template::filters::{PyRegex, compile_regex};

pub struct Replace;

edit_params! {
    pub struct Params {
        #[serde(alias = "dest", alias = "destfile", alias = "name")]
        path: String,
        regexp: String,
        replace: Option<String>,
        after: Option<String>,
        before: Option<String>,
        encoding: Option<String>,
    }
}

/// The text encodings playhook reads and writes for `encoding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Latin1,
}

impl Encoding {
    /// Python's codec names for the two encodings (case and `-`/`_` insensitive).
    pub fn parse(name: &str) -> Option<Encoding> {
        let n = name.to_ascii_lowercase().replace('_', "-");
        match n.as_str() {
            "utf-8" | "utf8" | "u8" | "utf" | "cp65001" => Some(Encoding::Utf8),
            "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "8859" | "cp819" | "l1" | "latin" => {
                Some(Encoding::Latin1)
            }
            _ => None,
        }
    }

    /// Decodes bytes. UTF-8 that is not valid falls back to Latin-1 byte for byte, so the bytes
    /// the pattern does not touch are written back unchanged (Python keeps them as surrogates).
    pub fn decode(self, bytes: &[u8]) -> (String, Encoding) {
        match (self, std::str::from_utf8(bytes)) {
            (Encoding::Utf8, Ok(s)) => (s.to_string(), Encoding::Utf8),
            _ => (bytes.iter().map(|&b| char::from(b)).collect(), Encoding::Latin1),
        }
    }

    /// Encodes text; a character Latin-1 cannot hold is an error naming it.
    pub fn encode(self, text: &str) -> Result<Vec<u8>, char> {
        match self {
            Encoding::Utf8 => Ok(text.as_bytes().to_vec()),
            Encoding::Latin1 => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).map_err(|_| c))
                .collect(),
        }
    }
}

fn compile(what: &str, pattern: &str) -> Result<PyRegex, ModuleError> {
    compile_regex(pattern, false, false).map_err(|e| {
        ModuleError::Params(format!(
            "replace: {what} `{pattern}` is not a valid regular expression: {e}"
        ))
    })
}

/// What a replacement run decided: the new text, and how many replacements (0 when the
/// section did not change).
pub struct Replaced {
    pub text: String,
    pub count: usize,
}

/// The section `after`/`before` select, as `(start, end)` byte offsets into `contents`, or the
/// message Ansible gives when the pattern does not match. `Ok(None)`: the whole text.
pub fn section(
    contents: &str,
    after: Option<&str>,
    before: Option<&str>,
) -> Result<Result<Option<(usize, usize)>, String>, ModuleError> {
    let after = after.filter(|s| !s.is_empty());
    let before = before.filter(|s| !s.is_empty());
    let pattern = match (after, before) {
        (Some(a), Some(b)) => format!("{a}(?P<subsection>.*?){b}"),
        (Some(a), None) => format!("{a}(?P<subsection>.*)"),
        (None, Some(b)) => format!("(?P<subsection>.*){b}"),
        (None, None) => return Ok(Ok(None)),
    };
    let re = compile("after/before", &format!("(?s){pattern}"))?;
    let found = re
        .search(contents)
        .map_err(|e| ModuleError::failed(format!("Unable to process replace due to error: {e}")))?;
    Ok(
        match found.and_then(|caps| caps.name("subsection").map(|m| (m.start(), m.end()))) {
            Some(range) => Ok(Some(range)),
            None => Err(format!(
                "Pattern for before/after params did not match the given file: {pattern}"
            )),
        },
    )
}

/// Ansible's replacement: `re.subn` on the section, spliced back into the contents.
pub fn replace_in(
    contents: &str,
    range: Option<(usize, usize)>,
    re: &PyRegex,
    template: &str,
) -> Result<Replaced, ModuleError> {
    let (start, end) = range.unwrap_or((0, contents.len()));
    let part = &contents[start..end];
    let (new, count) = re
        .subn(template, part, 0)
        .map_err(|e| ModuleError::failed(format!("Unable to process replace due to error: {e}")))?;
    if count == 0 || new == part {
        return Ok(Replaced {
            text: contents.to_string(),
            count: 0,
        });
    }
    Ok(Replaced {
        text: format!("{}{new}{}", &contents[..start], &contents[end..]),
        count,
    })
}

#[async_trait]
impl TypedModule for Replace {
    type Params = Params;

    const SPEC: Spec = Spec::host("replace");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let opts = p.edit_options("replace")?;
        selinux::check(ctx, "replace", &p.path, selinux::context!(p)).await?;
        let encoding_name = p.encoding.as_deref().unwrap_or("utf-8");
        let encoding = Encoding::parse(encoding_name).ok_or_else(|| {
            ModuleError::Params(format!(
                "replace: encoding `{encoding_name}` is not supported by playhook (utf-8 and latin-1 are)"
            ))
        })?;
        let re = compile_multiline(&p.regexp)?;
        let Some((st, bytes, real)) = load_resolved(ctx, &p.path).await? else {
            return Err(ModuleError::failed(format!("Path {} does not exist !", p.path)).with("rc", 257));
        };
        let (contents, read_as) = encoding.decode(&bytes);
        let range = match section(&contents, p.after.as_deref(), p.before.as_deref())? {
            Ok(range) => range,
            Err(msg) => {
                let outcome = Outcome {
                    msg: Some(msg),
                    ..Outcome::ok()
                };
                return Ok(outcome.with("rc", 0));
            }
        };
        let replaced = replace_in(&contents, range, &re, p.replace.as_deref().unwrap_or(""))?;
        let changed = replaced.count > 0;
        let after = if changed {
            read_as.encode(&replaced.text).map_err(|c| {
                ModuleError::failed(format!(
                    "'{encoding_name}' codec can't encode character {c:?} in the replacement of {}",
                    p.path
                ))
            })?
        } else {
            bytes.clone()
        };
        let msg = if changed {
            format!("{} replacements made", replaced.count)
        } else {
            String::new()
        };
        let diff = if changed && ctx.diff {
            content_diff(&p.path, &p.path, &bytes, &after)
        } else {
            None
        };
        // Ansible's replace diffs the content only (its own headers, above), never attributes.
        let diff_mode = std::mem::replace(&mut ctx.diff, false);
        let target = real.unwrap_or_else(|| p.path.clone());
        let saved = save(ctx, &target, Some(&st), &bytes, &after, changed, msg, &opts).await;
        ctx.diff = diff_mode;
        let mut outcome = saved?;
        outcome.diff.extend(diff);
        let backup = outcome.data.shift_remove("backup");
        if let Some(b) = backup.filter(|b| b.as_str().is_some_and(|s| !s.is_empty())) {
            outcome.data.insert("backup_file".into(), b);
        }
        outcome.data.insert("rc".into(), Value::from(0));
        Ok(outcome)
    }
}

/// The `regexp`, compiled with `re.MULTILINE` as Ansible's module does.
fn compile_multiline(pattern: &str) -> Result<PyRegex, ModuleError> {
    compile_regex(pattern, false, true).map_err(|e| {
        ModuleError::Params(format!(
            "replace: regexp `{pattern}` is not a valid regular expression: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        contents: &str,
        regexp: &str,
        template: &str,
        after: Option<&str>,
        before: Option<&str>,
    ) -> String {
        let re = compile_multiline(regexp).expect("compiles");
        let range = section(contents, after, before)
            .expect("section")
            .expect("matches");
        replace_in(contents, range, &re, template).expect("replaces").text
    }

    #[test]
    fn multiline_backrefs_and_named_groups() {
        assert_eq!(
            run("a = 1\nb = 2\n", r"^(\w+) = (\d+)$", r"\2 := \1", None, None),
            "1 := a\n2 := b\n"
        );
        assert_eq!(
            run("host=x\n", r"^(?P<k>host)=(.*)$", r"\g<k>: \g<2>", None, None),
            "host: x\n"
        );
    }

    #[test]
    fn after_and_before_limit_the_section() {
        let text = "x=1\n[s]\nx=1\n[t]\nx=1\n";
        assert_eq!(
            run(text, "^x=1$", "x=2", Some(r"\[s\]"), Some(r"\[t\]")),
            "x=1\n[s]\nx=2\n[t]\nx=1\n"
        );
        assert_eq!(
            run(text, "^x=1$", "x=2", Some(r"\[t\]"), None),
            "x=1\n[s]\nx=1\n[t]\nx=2\n"
        );
        assert_eq!(
            run(text, "^x=1$", "x=2", None, Some(r"\[s\]")),
            "x=2\n[s]\nx=1\n[t]\nx=1\n"
        );
        let miss = section(text, Some("nope"), None).expect("compiles");
        assert_eq!(
            miss,
            Err(
                "Pattern for before/after params did not match the given file: nope(?P<subsection>.*)".into()
            )
        );
    }

    #[test]
    fn no_change_counts_nothing() {
        let re = compile_multiline("a").expect("compiles");
        assert_eq!(replace_in("abc", None, &re, "a").expect("runs").count, 0);
    }

    #[test]
    fn latin1_round_trips() {
        let (text, enc) = Encoding::Utf8.decode(b"caf\xe9\n");
        assert_eq!(enc, Encoding::Latin1);
        assert_eq!(enc.encode(&text).expect("encodes"), b"caf\xe9\n");
    }
}
