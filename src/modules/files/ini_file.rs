//! `community.general.ini_file`: options and sections of an INI file set or removed, ported
//! line for line from the collection's algorithm (fake sections around the file, commented
//! options reused, `exclusive`, `allow_no_value`, `section_has_values`, `ignore_spaces`), so
//! the bytes and `msg` are the module's. Read and write through [`edit`](super::edit).

use async_trait::async_trait;
use serde::Deserialize;

use super::edit::{decode, encode, load_resolved, save};
use super::edit_params::edit_params;
use crate::modules::contract::Collection;
use crate::modules::params::path_info;
use crate::modules::params::selinux;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};
use crate::template::filters::{PyRegex, compile_regex};

pub struct IniFile;

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    option: String,
    value: Option<String>,
    values: Option<Vec<String>>,
}

edit_params! {
    pub struct Params {
        #[serde(alias = "dest")]
        path: String,
        section: Option<String>,
        section_has_values: Option<Vec<Condition>>,
        option: Option<String>,
        value: Option<String>,
        values: Option<Vec<String>>,
        state: Option<String>,
        exclusive: Option<bool>,
        no_extra_spaces: Option<bool>,
        ignore_spaces: Option<bool>,
        allow_no_value: Option<bool>,
        modify_inactive_option: Option<bool>,
        create: Option<bool>,
        follow: Option<bool>,
    }
}

const FAKE: &str = "ad01e11446efb704fcdbdb21f2c43757423d91c5";

fn re(pattern: &str) -> Result<PyRegex, ModuleError> {
    compile_regex(&format!("\\A(?:{pattern})"), false, false)
        .map_err(|e| ModuleError::failed(format!("ini_file: bad pattern: {e}")))
}

/// `match_opt` / `match_active_opt`: group 2 is the comment mark, group 8 the value.
struct OptMatcher(PyRegex);

impl OptMatcher {
    fn new(option: &str, inactive_too: bool) -> Result<OptMatcher, ModuleError> {
        let o = fancy_regex::escape(option);
        let head = if inactive_too { "( |\\t)*([#;]?)" } else { "()()" };
        re(&format!("{head}( |\\t)*({o})( |\\t)*(=|$)( |\\t)*(.*)")).map(OptMatcher)
    }

    /// `(comment mark, value)` when the line holds the option.
    fn check(&self, line: &str) -> Option<(String, String)> {
        let caps = self.0.search(line).ok()??;
        let g = |i: usize| caps.get(i).map(|m| m.as_str().to_string()).unwrap_or_default();
        Some((g(2), g(8)))
    }
}

/// The inputs of one run, as `do_ini` takes them.
pub struct Ini<'a> {
    pub section: Option<&'a str>,
    pub has_values: Option<Vec<(String, Vec<String>)>>,
    pub option: Option<&'a str>,
    pub values: Vec<String>,
    pub present: bool,
    pub exclusive: bool,
    pub no_extra_spaces: bool,
    pub ignore_spaces: bool,
    pub allow_no_value: bool,
    pub modify_inactive: bool,
}

/// `do_ini` on the file's text: the new text, `changed` and `msg`.
pub fn do_ini(text: &str, a: &Ini<'_>) -> Result<(String, bool, String), ModuleError> {
    let mut values: Vec<String> = Vec::new();
    for v in &a.values {
        if !values.contains(v) {
            values.push(v.clone());
        }
    }
    let mut ini: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let mut changed = false;
    if ini.is_empty() {
        ini.push("\n".into());
    }
    if let Some(last) = ini.last_mut() {
        if !last.ends_with('\n') {
            last.push('\n');
            changed = true;
        }
    }
    ini.insert(0, format!("[{FAKE}]"));
    ini.push("[".into());
    let section = a.section.filter(|s| !s.is_empty()).unwrap_or(FAKE);
    let mut within = section.is_empty();
    let (mut start, mut end) = (0, 0);
    let mut msg = "OK".to_string();
    let fmt = |o: &str, v: &str| {
        if a.no_extra_spaces {
            format!("{o}={v}\n")
        } else {
            format!("{o} = {v}\n")
        }
    };
    let blank_or_comment = re(r"^[ \t]*([#;].*)?$")?;
    let section_re = re(&format!(r"^\[\s*{}\s*]", fancy_regex::escape(section.trim())))?;
    let has_values_ok = |lines: &[String]| -> Result<bool, ModuleError> {
        let Some(conds) = &a.has_values else {
            return Ok(true);
        };
        for (opt, vals) in conds {
            let m = OptMatcher::new(opt, true)?;
            let hit = lines.iter().any(|l| {
                m.check(l)
                    .is_some_and(|(_, v)| vals.is_empty() || vals.contains(&v))
            });
            if !hit {
                return Ok(false);
            }
        }
        Ok(true)
    };
    for (index, line) in ini.iter().enumerate() {
        if within && line.starts_with('[') {
            if has_values_ok(&ini[start..index])? {
                end = index;
                break;
            }
            within = false;
            start = 0;
            end = 0;
        }
        if matches!(section_re.search(line), Ok(Some(_))) {
            within = true;
            start = index;
        }
    }
    let before: Vec<String> = ini[..start].to_vec();
    let mut lines: Vec<String> = ini[start..end].to_vec();
    let after: Vec<String> = ini[end..].to_vec();
    let mut changed_lines = vec![false; lines.len()];
    let option = a.option.filter(|o| !o.is_empty());
    let mut no_value_present = false;
    let update = |lines: &mut Vec<String>,
                  changed_lines: &mut Vec<bool>,
                  index: usize,
                  newline: String,
                  changed: &mut bool,
                  msg: &mut String|
     -> Result<(), ModuleError> {
        let opt = option.unwrap_or("");
        let mut option_changed = None;
        if a.ignore_spaces {
            let m = OptMatcher::new(opt, true)?;
            if let Some((mark, old)) = m.check(&lines[index]) {
                if mark.is_empty() {
                    option_changed = Some(Some(old) != m.check(&newline).map(|(_, v)| v));
                }
            }
        }
        let option_changed = option_changed.unwrap_or(lines[index] != newline);
        if option_changed {
            lines[index] = newline;
            *msg = "option changed".into();
        }
        *changed = *changed || option_changed;
        changed_lines[index] = true;
        Ok(())
    };
    if let Some(opt) = option {
        let m = OptMatcher::new(opt, a.modify_inactive)?;
        if a.present {
            for index in 0..lines.len() {
                let Some((_, val)) = m.check(&lines[index]) else {
                    continue;
                };
                if !values.is_empty() && values.contains(&val) {
                    let newline = if val.is_empty() && a.allow_no_value {
                        no_value_present = true;
                        format!("{opt}\n")
                    } else {
                        fmt(opt, &val)
                    };
                    update(
                        &mut lines,
                        &mut changed_lines,
                        index,
                        newline,
                        &mut changed,
                        &mut msg,
                    )?;
                    if let Some(at) = values.iter().position(|v| *v == val) {
                        values.remove(at);
                    }
                } else if values.is_empty() && a.allow_no_value {
                    update(
                        &mut lines,
                        &mut changed_lines,
                        index,
                        format!("{opt}\n"),
                        &mut changed,
                        &mut msg,
                    )?;
                    no_value_present = true;
                    break;
                }
            }
        }
        if a.present && a.exclusive && !a.allow_no_value {
            if !values.is_empty() {
                for index in 0..lines.len() {
                    if !changed_lines[index] && m.check(&lines[index]).is_some() {
                        let v = values.remove(0);
                        update(
                            &mut lines,
                            &mut changed_lines,
                            index,
                            fmt(opt, &v),
                            &mut changed,
                            &mut msg,
                        )?;
                        if values.is_empty() {
                            break;
                        }
                    }
                }
            }
            let mut index = lines.len();
            while index > 1 {
                index -= 1;
                if !changed_lines[index] && m.check(&lines[index]).is_some() {
                    lines.remove(index);
                    changed_lines.remove(index);
                    changed = true;
                    msg = "option changed".into();
                }
            }
        }
    }
    if a.present {
        let mut index = lines.len();
        while index > 0 {
            if !matches!(blank_or_comment.search(&lines[index - 1]), Ok(Some(_))) {
                match option {
                    Some(opt) if !values.is_empty() => {
                        for v in values.iter().rev() {
                            lines.insert(index, fmt(opt, v));
                            msg = "option added".into();
                            changed = true;
                        }
                    }
                    Some(opt) if a.allow_no_value && !no_value_present => {
                        lines.insert(index, format!("{opt}\n"));
                        msg = "option added".into();
                        changed = true;
                    }
                    _ => {}
                }
                break;
            }
            index -= 1;
        }
    } else if let Some(opt) = option {
        let active = OptMatcher::new(opt, false)?;
        let kept: Vec<String> = lines
            .iter()
            .filter(|l| match active.check(l) {
                None => true,
                Some((_, v)) => !a.exclusive && !values.contains(&v),
            })
            .cloned()
            .collect();
        if (a.exclusive || !values.is_empty()) && kept != lines {
            changed = true;
            msg = "option changed".into();
            lines = kept;
        }
    } else if !lines.is_empty() {
        lines.clear();
        msg = "section removed".into();
        changed = true;
    }
    let mut out: Vec<String> = before.into_iter().chain(lines).chain(after).collect();
    out.remove(0);
    out.pop();
    if !within && a.present {
        out.push(format!("[{section}]\n"));
        msg = "section and option added".into();
        if let Some(conds) = &a.has_values {
            for (copt, cvals) in conds {
                if Some(copt.as_str()) != option {
                    if !cvals.is_empty() {
                        for v in cvals {
                            out.push(fmt(copt, v));
                        }
                    } else if a.allow_no_value {
                        out.push(format!("{copt}\n"));
                    }
                } else if !a.exclusive {
                    for v in cvals {
                        if !values.contains(v) {
                            values.push(v.clone());
                        }
                    }
                }
            }
        }
        match option {
            Some(opt) if !values.is_empty() => {
                for v in &values {
                    out.push(fmt(opt, v));
                }
            }
            Some(opt) if a.allow_no_value => out.push(format!("{opt}\n")),
            _ => msg = "only section added".into(),
        }
        changed = true;
    }
    Ok((out.concat(), changed, msg))
}

#[async_trait]
impl TypedModule for IniFile {
    type Params = Params;

    const SPEC: Spec = Spec::host("ini_file").collection(Collection::General);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let opts = p.edit_options("ini_file")?;
        selinux::check(ctx, "ini_file", &p.path, selinux::context!(p)).await?;
        let present = match p.state.as_deref().unwrap_or("present") {
            "present" => true,
            "absent" => false,
            other => {
                return Err(ModuleError::Params(format!(
                    "ini_file: state `{other}` is not one of present, absent"
                )));
            }
        };
        if p.value.is_some() && p.values.is_some() {
            return Err(ModuleError::failed(
                "parameters are mutually exclusive: value|values",
            ));
        }
        let allow_no_value = p.allow_no_value.unwrap_or(false);
        if present && !allow_no_value && p.value.is_none() && p.values.as_ref().is_none_or(Vec::is_empty) {
            return Err(ModuleError::failed(
                "Parameter 'value(s)' must be defined if state=present and allow_no_value=False.",
            ));
        }
        let values = match (&p.value, &p.values) {
            (Some(v), _) => vec![v.clone()],
            (None, Some(vs)) => vs.clone(),
            (None, None) => Vec::new(),
        };
        let has_values = p.section_has_values.as_ref().map(|conds| {
            conds
                .iter()
                .map(|c| {
                    let vals = match (&c.value, &c.values) {
                        (Some(v), _) => vec![v.clone()],
                        (None, Some(vs)) => vs.clone(),
                        (None, None) => Vec::new(),
                    };
                    (c.option.clone(), vals)
                })
                .collect()
        });
        let existing = load_resolved(ctx, &p.path).await?;
        let target = match &existing {
            Some((_, _, Some(real))) if p.follow.unwrap_or(false) => real.clone(),
            _ => p.path.clone(),
        };
        if existing.is_none() && !p.create.unwrap_or(true) {
            return Err(
                ModuleError::failed(format!("Destination {} does not exist!", p.path)).with("rc", 257),
            );
        }
        let before = existing.as_ref().map(|(_, b, _)| b.clone()).unwrap_or_default();
        let (text, utf8) = decode(&before);
        // Python reads with `utf-8-sig`: a byte-order mark is dropped.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
        let ini = Ini {
            section: p.section.as_deref(),
            has_values,
            option: p.option.as_deref(),
            values,
            present,
            exclusive: p.exclusive.unwrap_or(true),
            no_extra_spaces: p.no_extra_spaces.unwrap_or(false),
            ignore_spaces: p.ignore_spaces.unwrap_or(false),
            allow_no_value,
            modify_inactive: p.modify_inactive_option.unwrap_or(true),
        };
        let (new_text, changed, msg) = do_ini(&text, &ini)?;
        let after = encode(&new_text, utf8);
        let st = existing.as_ref().map(|(st, _, _)| st);
        // The collection settles attributes only outside check mode.
        let opts = if ctx.check {
            super::edit::EditOptions {
                mode: None,
                owner: None,
                group: None,
                ..opts
            }
        } else {
            opts
        };
        let mut outcome = save(ctx, &target, st, &before, &after, changed, String::new(), &opts).await?;
        let backup = outcome.data.shift_remove("backup");
        if let Some(b) = backup.filter(|b| b.as_str().is_some_and(|s| !s.is_empty())) {
            outcome.data.insert("backup_file".into(), b);
        }
        outcome.msg = Some(msg);
        outcome
            .data
            .insert("path".into(), minijinja::Value::from(p.path.clone()));
        if ctx.result_seen {
            path_info(ctx, &p.path, &mut outcome).await?;
        }
        Ok(outcome)
    }
}
