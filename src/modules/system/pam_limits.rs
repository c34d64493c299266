//! `community.general.pam_limits`: one `domain type item value` line of
//! /etc/security/limits.conf (or `dest`), edited as the collection's module edits it. One round
//! trip reads the file (and whether it, or its directory, may be written); the edit is a pure
//! function with the module's quirks kept (the first comment met becomes the new line's
//! comment, whitespace collapsed only to parse, `use_min`/`use_max` comparing numbers); the file
//! is then written atomically. The result is `changed`, `msg` (the line that holds the limit)
//! and `diff` (`before`/`after`, always, as the module returns it), plus `backup_file` when
//! `backup` is asked for: the module backs the file up on every run that is not check mode.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::files::{self, WriteOptions};
use crate::connection::quote::quote_path;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `pam_limits` module.
pub struct PamLimits;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    domain: String,
    limit_type: String,
    limit_item: String,
    value: String,
    use_max: Option<bool>,
    use_min: Option<bool>,
    backup: Option<bool>,
    dest: Option<String>,
    comment: Option<String>,
}

const ITEMS: &[&str] = &[
    "core",
    "data",
    "fsize",
    "memlock",
    "nofile",
    "rss",
    "stack",
    "cpu",
    "nproc",
    "as",
    "maxlogins",
    "maxsyslogins",
    "priority",
    "locks",
    "sigpending",
    "msgqueue",
    "nice",
    "rtprio",
    "chroot",
];
const TYPES: &[&str] = &["soft", "hard", "-"];
const UNLIMITED: &[&str] = &["unlimited", "infinity", "-1"];

/// The module's `_assert_is_valid_value`: its message when `value` is no value for `item`.
fn invalid_value(item: &str, value: &str, prefix: &str) -> Option<String> {
    if item == "nice" || item == "priority" {
        let ok = value.trim().parse::<i64>().is_ok_and(|v| (-20..=19).contains(&v));
        (!ok).then(|| {
            format!(
                "{prefix} Value of '{value}' for item '{item}' is invalid. Value must be a number in the \
                 range -20 to 19 inclusive. Refer to the limits.conf(5) manual pages for more details."
            )
        })
    } else {
        let ok =
            UNLIMITED.contains(&value) || (!value.is_empty() && value.chars().all(|c| c.is_ascii_digit()));
        (!ok).then(|| {
            format!(
                "{prefix} Value of '{value}' for item '{item}' is invalid. Value must either be 'unlimited', \
                 'infinity' or -1, all of which indicate no limit, or a limit of 0 or larger. Refer to the \
                 limits.conf(5) manual pages for more details."
            )
        })
    }
}

/// What the edit asks for.
struct Want<'a> {
    domain: &'a str,
    kind: &'a str,
    item: &'a str,
    value: &'a str,
    use_max: bool,
    use_min: bool,
    comment: String,
}

/// The edited file, or the module's failure message.
#[derive(Debug, PartialEq)]
struct Edit {
    changed: bool,
    msg: String,
    after: String,
}

fn number(s: &str) -> Result<i128, String> {
    s.trim()
        .parse::<i128>()
        .map_err(|_| format!("invalid literal for int() with base 10: '{s}'"))
}

/// The module's loop over the file's lines (`file`: the name its messages give).
fn edit(before: &str, want: &Want<'_>, file: &str) -> Result<Edit, String> {
    let mut comment = want.comment.clone();
    let (mut out, mut msg, mut found, mut changed) = (String::new(), String::new(), false, false);
    let mut new_value = want.value.to_string();
    for line in before.split_inclusive('\n') {
        if line.starts_with('#') {
            out.push_str(line);
            continue;
        }
        let collapsed = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            out.push_str(line);
            continue;
        }
        let newline = collapsed.split('#').next().unwrap_or_default().trim_end();
        let old_comment = line.split_once('#').map(|(_, c)| c).unwrap_or_default();
        if comment.is_empty() {
            comment = old_comment.to_string();
        }
        let fields: Vec<&str> = newline.split(' ').collect();
        let [domain, kind, item, actual] = fields[..] else {
            out.push_str(line);
            continue;
        };
        let prefix = format!("Invalid configuration found in '{file}'.");
        if let Some(m) = invalid_value(item, actual, &prefix) {
            return Err(m);
        }
        if !(domain == want.domain && kind == want.kind && item == want.item) {
            out.push_str(line);
            continue;
        }
        found = true;
        if want.value == actual {
            msg = line.to_string();
            out.push_str(line);
            continue;
        }
        // The module asks whether the *type* is nice or priority, so both are always false here.
        let actual_unlimited = UNLIMITED.contains(&actual);
        let value_unlimited = UNLIMITED.contains(&want.value);
        if want.use_max {
            new_value = if actual_unlimited {
                actual.to_string()
            } else if value_unlimited {
                want.value.to_string()
            } else {
                number(want.value)?.max(number(actual)?).to_string()
            };
        }
        if want.use_min {
            new_value = match (actual_unlimited, value_unlimited) {
                (true, true) => actual.to_string(),
                (true, false) => want.value.to_string(),
                (false, true) => actual.to_string(),
                (false, false) => number(want.value)?.min(number(actual)?).to_string(),
            };
        }
        if new_value != actual {
            changed = true;
            if !comment.is_empty() {
                comment = format!("\t#{comment}");
            }
            msg = format!(
                "{}\t{}\t{}\t{new_value}{comment}\n",
                want.domain, want.kind, want.item
            );
            out.push_str(&msg);
        } else {
            msg = line.to_string();
            out.push_str(line);
        }
    }
    if !found {
        changed = true;
        if !comment.is_empty() {
            comment = format!("\t#{comment}");
        }
        msg = format!(
            "{}\t{}\t{}\t{new_value}{comment}\n",
            want.domain, want.kind, want.item
        );
        out.push_str(&msg);
    }
    Ok(Edit {
        changed,
        msg,
        after: out,
    })
}

/// The round trip's answer: `file\0` (exists, writable), `nofile\0` (may be created) or
/// `nodir\0`, then the backup's suffix `PID.DATE~\0`, then the file's bytes.
fn script(dest: &str) -> String {
    format!(
        "f={}\nif [ -f \"$f\" ]; then [ -w \"$f\" ] && s=file || s=ro\n\
         else d=$(dirname -- \"$f\"); [ -d \"$d\" ] && [ -w \"$d\" ] && s=nofile || s=nodir; fi\n\
         printf '%s\\0%s.%s\\0' \"$s\" \"$$\" \"$(date +%Y-%m-%d@%H:%M:%S~)\"\n\
         if [ \"$s\" = file ]; then cat -- \"$f\"; fi",
        quote_path(dest)
    )
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => "",
    }
}

#[async_trait]
impl TypedModule for PamLimits {
    type Params = Params;

    const SPEC: Spec = Spec::host("pam_limits").collection(Collection::General);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if !TYPES.contains(&p.limit_type.as_str()) {
            return Err(ModuleError::failed(format!(
                "value of limit_type must be one of: {}, got: {}",
                TYPES.join(", "),
                p.limit_type
            )));
        }
        if !ITEMS.contains(&p.limit_item.as_str()) {
            return Err(ModuleError::failed(format!(
                "value of limit_item must be one of: {}, got: {}",
                ITEMS.join(", "),
                p.limit_item
            )));
        }
        let dest = p.dest.unwrap_or_else(|| "/etc/security/limits.conf".into());
        let out = ctx.run(script(&dest)).await?;
        if out.rc != 0 {
            return Err(ModuleError::failed(format!(
                "pam_limits on {}: reading {dest} failed: {}",
                ctx.host,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut parts = text.splitn(3, '\0');
        let (state, suffix, before) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        match state {
            "file" | "nofile" => {}
            "ro" => return Err(ModuleError::failed(format!("{dest} is not writable. Use sudo"))),
            _ => {
                return Err(ModuleError::failed(format!(
                    "directory {} is not writable (check presence, access rights, use sudo)",
                    parent(&dest)
                )));
            }
        }
        let (use_max, use_min, backup) = (
            p.use_max.unwrap_or(false),
            p.use_min.unwrap_or(false),
            p.backup.unwrap_or(false),
        );
        if use_max && use_min {
            return Err(ModuleError::failed(
                "Cannot use use_min and use_max at the same time.",
            ));
        }
        if let Some(m) = invalid_value(&p.limit_item, &p.value, "") {
            return Err(ModuleError::failed(m));
        }
        let exists = state == "file";
        let want = Want {
            domain: &p.domain,
            kind: &p.limit_type,
            item: &p.limit_item,
            value: &p.value,
            use_max,
            use_min,
            comment: p.comment.unwrap_or_default(),
        };
        // The module backs the file up before it reads it, so a bad line fails after the copy.
        let mut backup_file = match (backup, exists) {
            (true, true) => format!("{dest}.{suffix}"),
            _ => String::new(),
        };
        let edited = edit(before, &want, &dest);
        let write_now =
            !ctx.check && (backup && exists || edited.as_ref().is_ok_and(|e| e.changed || !exists));
        if write_now {
            let content = match &edited {
                Ok(e) => e.after.as_bytes(),
                Err(_) => before.as_bytes(),
            };
            let opts = WriteOptions {
                backup: backup && exists,
                ..WriteOptions::default()
            };
            let res = files::write_atomic(ctx.conn, &dest, content, &opts, &ctx.via).await?;
            if let Some(b) = res.backup_file {
                backup_file = b;
            }
        }
        let e = edited.map_err(ModuleError::failed)?;
        let diff = Value::from(std::collections::BTreeMap::from([
            ("before", before.to_string()),
            ("after", e.after.clone()),
        ]));
        let mut outcome = Outcome::changed(e.changed || !exists)
            .with("msg", e.msg)
            .with("diff", diff);
        if backup {
            outcome = outcome.with("backup_file", backup_file);
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want<'a>(value: &'a str, comment: &str) -> Want<'a> {
        Want {
            domain: "*",
            kind: "soft",
            item: "nofile",
            value,
            use_max: false,
            use_min: false,
            comment: comment.into(),
        }
    }

    #[test]
    fn a_new_line_takes_the_first_comment_met() {
        let before = "# head\n\n@adm  hard  core  0   # old one\n*\tsoft\tnofile\t10\n";
        let e = edit(before, &want("20", ""), "/f").expect("test input");
        assert!(e.changed);
        assert_eq!(e.msg, "*\tsoft\tnofile\t20\t# old one\n\n");
        assert_eq!(
            e.after,
            format!("# head\n\n@adm  hard  core  0   # old one\n{}", e.msg)
        );
        let e = edit("", &want("unlimited", "mine"), "/f").expect("test input");
        assert_eq!(e.after, "*\tsoft\tnofile\tunlimited\t#mine\n");
    }

    #[test]
    fn an_equal_line_is_left_as_it_is() {
        let before = "*   soft nofile 20\n";
        let e = edit(before, &want("20", "x"), "/f").expect("test input");
        assert_eq!(
            (e.changed, e.msg.as_str(), e.after.as_str()),
            (false, before, before)
        );
    }

    #[test]
    fn use_max_and_use_min_compare_numbers() {
        let before = "* soft nofile 100\n";
        let mut w = want("50", "");
        w.use_max = true;
        assert!(!edit(before, &w, "/f").expect("test input").changed);
        w.value = "0200";
        assert_eq!(
            edit(before, &w, "/f").expect("test input").after,
            "*\tsoft\tnofile\t200\n"
        );
        w.use_max = false;
        w.use_min = true;
        w.value = "unlimited";
        assert!(!edit(before, &w, "/f").expect("test input").changed);
    }

    #[test]
    fn invalid_values_fail_as_the_module_fails() {
        assert!(invalid_value("nofile", "-2", "").is_some());
        assert!(invalid_value("nice", "-20", "").is_none());
        assert!(invalid_value("priority", "20", "").is_some());
        let err = edit("* soft nofile lots\n", &want("1", ""), "/f").expect_err("a bad line");
        assert!(
            err.starts_with("Invalid configuration found in '/f'. Value of 'lots'"),
            "{err}"
        );
    }
}
