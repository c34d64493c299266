//! `lineinfile`: one line present (added, or replacing a `regexp`/`search_string` match) or
//! absent, ported from Ansible's algorithm so the resulting bytes are the same.

use async_trait::async_trait;
use minijinja::Value;

use super::edit::{decode, encode, load, save};
use super::edit_params::edit_params;
use crate::modules::params::selinux;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};
use crate::template::filters::{PyRegex, compile_regex};

pub struct LineInFile;

edit_params! {
    pub struct Params {
        #[serde(alias = "dest", alias = "destfile", alias = "name")]
        path: String,
        state: Option<String>,
        #[serde(alias = "regex")]
        regexp: Option<String>,
        search_string: Option<String>,
        #[serde(alias = "value")]
        line: Option<String>,
        insertafter: Option<String>,
        insertbefore: Option<String>,
        backrefs: Option<bool>,
        create: Option<bool>,
        firstmatch: Option<bool>,
    }
}

/// Compiles a pattern with Python's `re` semantics, as Ansible's module does.
fn compile(what: &str, pattern: &str) -> Result<PyRegex, ModuleError> {
    compile_regex(pattern, false, false).map_err(|e| {
        ModuleError::Params(format!(
            "lineinfile: {what} `{pattern}` is not a valid regular expression: {e}"
        ))
    })
}

/// A line without its `\n`, which is what Python's `$` matches before.
fn body(line: &str) -> &str {
    line.strip_suffix('\n').unwrap_or(line)
}

fn search(re: &PyRegex, line: &str) -> bool {
    matches!(re.search(body(line)), Ok(Some(_)))
}

/// What `present` decided.
pub struct Edit {
    pub lines: Vec<String>,
    pub changed: bool,
    pub msg: String,
}

/// Ansible's `present()`, on lines that keep their `\n`.
#[allow(clippy::too_many_arguments)]
pub fn present(
    mut lines: Vec<String>,
    regexp: Option<&PyRegex>,
    search_string: Option<&str>,
    line: &str,
    insertafter: Option<&str>,
    insertbefore: Option<&str>,
    ins_re: Option<&PyRegex>,
    backrefs: bool,
    firstmatch: bool,
) -> Result<Edit, ModuleError> {
    let mut index: [isize; 2] = [-1, -1];
    let mut matched = false;
    let mut caps_line: Option<usize> = None;
    let mut exact_line_match = false;
    if let Some(re) = regexp {
        for (no, cur) in lines.iter().enumerate() {
            if search(re, cur) {
                index[0] = no as isize;
                matched = true;
                caps_line = Some(no);
                if firstmatch {
                    break;
                }
            }
        }
    }
    if let Some(s) = search_string {
        for (no, cur) in lines.iter().enumerate() {
            if cur.contains(s) {
                index[0] = no as isize;
                matched = true;
                if firstmatch {
                    break;
                }
            }
        }
    }
    if !matched {
        for (no, cur) in lines.iter().enumerate() {
            if line == cur.trim_end_matches(['\r', '\n']) {
                index[0] = no as isize;
                exact_line_match = true;
            } else if let Some(re) = ins_re {
                if search(re, cur) {
                    if insertafter.is_some() {
                        index[1] = no as isize + 1;
                        if firstmatch {
                            break;
                        }
                    }
                    if insertbefore.is_some() {
                        index[1] = no as isize;
                        if firstmatch {
                            break;
                        }
                    }
                }
            }
        }
    }
    let with_nl = format!("{line}\n");
    let ends_open = |lines: &Vec<String>| {
        lines
            .last()
            .is_some_and(|l| !l.ends_with('\n') && !l.ends_with('\r'))
    };
    let mut changed = false;
    let mut msg = String::new();
    let strip = |s: &str| s.trim_end_matches(['\r', '\n']).to_string();
    if index[0] != -1 {
        let i0 = index[0] as usize;
        let mut new_line = match (backrefs, regexp, caps_line) {
            (true, Some(re), Some(at)) => match re.search(body(&lines[at])) {
                Ok(Some(caps)) => re
                    .expand(line, &caps)
                    .map_err(|e| ModuleError::failed(e.to_string()))?,
                _ => line.to_string(),
            },
            _ => line.to_string(),
        };
        if !new_line.ends_with('\n') {
            new_line.push('\n');
        }
        // Ansible's branch for `(regexp, search_string, match) == (None, None, None) and not
        // exact_line_match` cannot be reached here: without a match, index[0] is only set by an
        // exact line match. So a found line is replaced only when its bytes differ.
        let _ = exact_line_match;
        if lines[i0] != new_line {
            lines[i0] = new_line;
            msg = "line replaced".into();
            changed = true;
        }
    } else if backrefs {
        // A backrefs line whose regexp matches nothing is left out.
    } else if insertbefore == Some("BOF") || insertafter == Some("BOF") {
        lines.insert(0, with_nl);
        msg = "line added".into();
        changed = true;
    } else if insertafter == Some("EOF") || index[1] == -1 {
        if ends_open(&lines) {
            lines.push("\n".into());
        }
        lines.push(with_nl);
        msg = "line added".into();
        changed = true;
    } else if insertafter.is_some() && index[1] != -1 {
        let i1 = index[1] as usize;
        if lines.len() == i1 {
            if strip(&lines[i1 - 1]) != line {
                lines.push(with_nl);
                msg = "line added".into();
                changed = true;
            }
        } else if line != strip(&lines[i1]) {
            lines.insert(i1, with_nl);
            msg = "line added".into();
            changed = true;
        }
    } else {
        lines.insert(index[1] as usize, with_nl);
        msg = "line added".into();
        changed = true;
    }
    Ok(Edit { lines, changed, msg })
}

/// Ansible's `absent()`: drops every matching line, returns how many.
pub fn absent(
    lines: Vec<String>,
    regexp: Option<&PyRegex>,
    search_string: Option<&str>,
    line: Option<&str>,
) -> (Vec<String>, usize) {
    let mut found = 0;
    let kept = lines
        .into_iter()
        .filter(|cur| {
            let hit = match (regexp, search_string, line) {
                (Some(re), _, _) => search(re, cur),
                (None, Some(s), _) => cur.contains(s),
                (None, None, Some(l)) => l == cur.trim_end_matches(['\r', '\n']),
                _ => false,
            };
            if hit {
                found += 1;
            }
            !hit
        })
        .collect();
    (kept, found)
}

/// Splits like Python's `readlines()` on bytes: at `\n`, keeping it.
pub fn split_lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_string).collect()
}

#[async_trait]
impl TypedModule for LineInFile {
    type Params = Params;

    const SPEC: Spec = Spec::host("lineinfile");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        for (a, b, x, y) in [
            (&p.insertbefore, &p.insertafter, "insertbefore", "insertafter"),
            (&p.regexp, &p.search_string, "regexp", "search_string"),
        ] {
            if a.is_some() && b.is_some() {
                return Err(ModuleError::failed(format!(
                    "parameters are mutually exclusive: {x}|{y}"
                )));
            }
        }
        if p.backrefs == Some(true) && p.search_string.is_some() {
            return Err(ModuleError::failed(
                "parameters are mutually exclusive: backrefs|search_string",
            ));
        }
        let opts = p.edit_options("lineinfile")?;
        selinux::check(ctx, "lineinfile", &p.path, selinux::context!(p)).await?;
        let state = p.state.as_deref().unwrap_or("present");
        let regexp = p.regexp.as_deref().map(|r| compile("regexp", r)).transpose()?;
        let existing = load(ctx, &p.path).await?;
        match state {
            "present" => {
                let backrefs = p.backrefs.unwrap_or(false);
                if backrefs && regexp.is_none() {
                    return Err(ModuleError::failed("regexp is required with backrefs=true"));
                }
                let Some(line) = p.line.as_deref() else {
                    return Err(ModuleError::failed("line is required with state=present"));
                };
                let (ins_bef, ins_aft) = match (p.insertbefore.as_deref(), p.insertafter.as_deref()) {
                    (None, None) => (None, Some("EOF")),
                    other => other,
                };
                let ins_re = match (ins_aft, ins_bef) {
                    (Some(a), _) if a != "BOF" && a != "EOF" => Some(compile("insertafter", a)?),
                    (_, Some(b)) if b != "BOF" => Some(compile("insertbefore", b)?),
                    _ => None,
                };
                if existing.is_none() && !p.create.unwrap_or(false) {
                    return Err(
                        ModuleError::failed(format!("Destination {} does not exist !", p.path))
                            .with("rc", 257),
                    );
                }
                let before = existing.as_ref().map(|(_, b)| b.clone()).unwrap_or_default();
                let (text, utf8) = decode(&before);
                let edit = present(
                    split_lines(&text),
                    regexp.as_ref(),
                    p.search_string.as_deref(),
                    line,
                    ins_aft,
                    ins_bef,
                    ins_re.as_ref(),
                    backrefs,
                    p.firstmatch.unwrap_or(false),
                )?;
                let after = encode(&edit.lines.concat(), utf8);
                let st = existing.as_ref().map(|(st, _)| st);
                save(ctx, &p.path, st, &before, &after, edit.changed, edit.msg, &opts).await
            }
            "absent" => {
                if regexp.is_none() && p.search_string.is_none() && p.line.is_none() {
                    return Err(ModuleError::failed(
                        "one of line, search_string, or regexp is required with state=absent",
                    ));
                }
                let Some((st, before)) = existing else {
                    return Ok(Outcome {
                        msg: Some("file not present".into()),
                        ..Outcome::default()
                    });
                };
                let (text, utf8) = decode(&before);
                let (kept, found) = absent(
                    split_lines(&text),
                    regexp.as_ref(),
                    p.search_string.as_deref(),
                    p.line.as_deref(),
                );
                let after = encode(&kept.concat(), utf8);
                let msg = if found > 0 {
                    format!("{found} line(s) removed")
                } else {
                    String::new()
                };
                let mut outcome =
                    save(ctx, &p.path, Some(&st), &before, &after, found > 0, msg, &opts).await?;
                outcome.data.insert("found".into(), Value::from(found));
                Ok(outcome)
            }
            other => Err(ModuleError::Params(format!(
                "lineinfile: state `{other}` is not one of present, absent"
            ))),
        }
    }
}
