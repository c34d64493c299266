//! `blockinfile`: a block of lines between two marker lines, inserted, replaced or removed,
//! ported from Ansible's algorithm so the resulting bytes are the same.

use async_trait::async_trait;
use fancy_regex::Regex;

use super::edit::{decode, encode, load, save};
use super::edit_params::edit_params;
use crate::modules::params::selinux;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct BlockInFile;

edit_params! {
    pub struct Params {
        #[serde(alias = "dest", alias = "destfile", alias = "name")]
        path: String,
        state: Option<String>,
        marker: Option<String>,
        #[serde(alias = "content")]
        block: Option<String>,
        insertafter: Option<String>,
        insertbefore: Option<String>,
        create: Option<bool>,
        marker_begin: Option<String>,
        marker_end: Option<String>,
        append_newline: Option<bool>,
        prepend_newline: Option<bool>,
    }
}

/// Python's `bytes.splitlines(True)`: splits after `\n`, `\r\n` or `\r`, keeping them.
fn splitlines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        cur.push(c);
        if c == '\n' || (c == '\r' && chars.peek() != Some(&'\n')) {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The block settings of one run.
pub struct Block<'a> {
    pub present: bool,
    pub block: &'a str,
    pub marker0: String,
    pub marker1: String,
    pub insertafter: Option<&'a str>,
    pub insertbefore: Option<&'a str>,
    pub insert_re: Option<(Regex, bool)>,
    pub prepend_newline: bool,
    pub append_newline: bool,
}

/// Ansible's block placement, on the file's text; returns the new text.
pub fn apply(original: &str, b: &Block<'_>) -> String {
    let mut lines = splitlines(original);
    let blocklines: Vec<String> = if b.present && !b.block.is_empty() {
        let mut block = b.block.to_string();
        if !block.ends_with('\n') {
            block.push('\n');
        }
        let mut v = vec![b.marker0.clone()];
        v.extend(splitlines(&block));
        v.push(b.marker1.clone());
        v
    } else {
        Vec::new()
    };
    let (mut n0, mut n1) = (None, None);
    for (i, line) in lines.iter().enumerate() {
        if *line == b.marker0 {
            n0 = Some(i);
        }
        if *line == b.marker1 {
            n1 = Some(i);
        }
    }
    let mut n0 = match (n0, n1) {
        (Some(a), Some(z)) if a < z => {
            lines.drain(a..=z);
            a
        }
        (Some(a), Some(z)) => {
            lines.drain(z..=a);
            z
        }
        _ => match &b.insert_re {
            Some((re, multiline)) => {
                let mut found: Option<usize> = None;
                if *multiline {
                    if let Ok(Some(m)) = re.find(original) {
                        let at = if b.insertafter.is_some() {
                            m.end()
                        } else {
                            m.start()
                        };
                        found = Some(original[..at].matches('\n').count());
                    }
                } else {
                    for (i, line) in lines.iter().enumerate() {
                        if re
                            .is_match(line.strip_suffix('\n').unwrap_or(line))
                            .unwrap_or(false)
                        {
                            found = Some(i);
                        }
                    }
                }
                match found {
                    None => lines.len(),
                    Some(i) if b.insertafter.is_some() => i + 1,
                    Some(i) => i,
                }
            }
            None if b.insertbefore.is_some() => 0,
            None => lines.len(),
        },
    };
    if n0 > 0 && !lines[n0 - 1].ends_with('\n') {
        lines[n0 - 1].push('\n');
    }
    if b.prepend_newline && b.present && n0 != 0 && lines[n0 - 1] != "\n" {
        lines.insert(n0, "\n".into());
        n0 += 1;
    }
    let count = blocklines.len();
    lines.splice(n0..n0, blocklines);
    if b.append_newline && b.present {
        let after = n0 + count;
        if after < lines.len() && lines[after] != "\n" {
            lines.insert(after, "\n".into());
        }
    }
    lines.concat()
}

#[async_trait]
impl TypedModule for BlockInFile {
    type Params = Params;

    const SPEC: Spec = Spec::host("blockinfile");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if p.insertbefore.is_some() && p.insertafter.is_some() {
            return Err(ModuleError::failed(
                "parameters are mutually exclusive: insertbefore|insertafter",
            ));
        }
        let opts = p.edit_options("blockinfile")?;
        selinux::check(ctx, "blockinfile", &p.path, selinux::context!(p)).await?;
        let present = match p.state.as_deref().unwrap_or("present") {
            "present" => true,
            "absent" => false,
            other => {
                return Err(ModuleError::Params(format!(
                    "blockinfile: state `{other}` is not one of present, absent"
                )));
            }
        };
        let existing = load(ctx, &p.path).await?;
        if existing.is_none() {
            if !p.create.unwrap_or(false) {
                return Err(ModuleError::failed(format!("Path {} does not exist !", p.path)).with("rc", 257));
            }
            if !present {
                return Ok(Outcome {
                    msg: Some(format!("File {} not present", p.path)),
                    ..Outcome::default()
                });
            }
        }
        let (insertafter, insertbefore) = match (p.insertafter.as_deref(), p.insertbefore.as_deref()) {
            (None, None) => (Some("EOF"), None),
            other => other,
        };
        let pattern = match (insertafter, insertbefore) {
            (Some(a), _) if a != "EOF" => Some(a),
            (_, Some(b)) if b != "BOF" => Some(b),
            _ => None,
        };
        let insert_re = match pattern {
            Some(pat) => Some((
                Regex::new(pat).map_err(|e| {
                    ModuleError::Params(format!(
                        "blockinfile: `{pat}` is not a valid regular expression: {e}"
                    ))
                })?,
                pat.contains("(?m") || pat.contains("(?sm") || pat.contains("(?im"),
            )),
            None => None,
        };
        let marker = p.marker.as_deref().unwrap_or("# {mark} ANSIBLE MANAGED BLOCK");
        let block = p.block.clone().unwrap_or_default();
        let settings = Block {
            present,
            block: &block,
            marker0: format!(
                "{}\n",
                marker.replace("{mark}", p.marker_begin.as_deref().unwrap_or("BEGIN"))
            ),
            marker1: format!(
                "{}\n",
                marker.replace("{mark}", p.marker_end.as_deref().unwrap_or("END"))
            ),
            insertafter,
            insertbefore,
            insert_re,
            prepend_newline: p.prepend_newline.unwrap_or(false),
            append_newline: p.append_newline.unwrap_or(false),
        };
        let before = existing.as_ref().map(|(_, b)| b.clone()).unwrap_or_default();
        let (text, utf8) = decode(&before);
        let result = encode(&apply(&text, &settings), utf8);
        let (changed, msg) = if existing.is_some() && before == result {
            (false, "")
        } else if existing.is_none() {
            (true, "File created")
        } else if !present || block.is_empty() {
            (true, "Block removed")
        } else {
            (true, "Block inserted")
        };
        let st = existing.as_ref().map(|(st, _)| st);
        let mut outcome = save(
            ctx,
            &p.path,
            st,
            &before,
            &result,
            changed,
            msg.to_string(),
            &opts,
        )
        .await?;
        if let Some(b) = outcome.data.shift_remove("backup") {
            if b.as_str().is_some_and(|s| !s.is_empty()) {
                outcome.data.insert("backup_file".into(), b);
            }
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block<'a>(text: &'a str, after: Option<&'a str>, before: Option<&'a str>) -> Block<'a> {
        let pat = after.filter(|a| *a != "EOF").or(before.filter(|b| *b != "BOF"));
        Block {
            present: true,
            block: text,
            marker0: "# BEGIN X\n".into(),
            marker1: "# END X\n".into(),
            insertafter: after,
            insertbefore: before,
            insert_re: pat.map(|p| (Regex::new(p).expect("valid"), false)),
            prepend_newline: false,
            append_newline: false,
        }
    }

    #[test]
    fn inserts_replaces_and_removes() {
        let b = block("a\nb", Some("EOF"), None);
        assert_eq!(apply("x\ny", &b), "x\ny\n# BEGIN X\na\nb\n# END X\n");
        let again = apply("x\ny\n# BEGIN X\nold\n# END X\nz\n", &b);
        assert_eq!(again, "x\ny\n# BEGIN X\na\nb\n# END X\nz\n");
        let mut gone = block("", Some("EOF"), None);
        gone.present = false;
        assert_eq!(apply(&again, &gone), "x\ny\nz\n");
        assert_eq!(
            apply("x\n", &block("a", None, Some("BOF"))),
            "# BEGIN X\na\n# END X\nx\n"
        );
        assert_eq!(
            apply("x\ny\nz\n", &block("a", Some("^y"), None)),
            "x\ny\n# BEGIN X\na\n# END X\nz\n"
        );
    }
}
