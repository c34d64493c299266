//! `debconf`: reads a package's answers with `debconf-show` and sets one with
//! `debconf-set-selections` (`-u` for `unseen`), as ansible-core 2.19 does: booleans compared in
//! lower case, passwords read with `debconf-get-selections`, multiselect lists compared sorted.
//! Results `msg`, `current`, `previous` and the before/after diff as Ansible registers them;
//! password values never appear in output beyond what Ansible itself registers.

use std::collections::BTreeMap;

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::quote::quote;
use crate::modules::params::{map_value, opt_bool, opt_string, opt_value, state_diff, string, value_to_text};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Debconf;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "pkg", deserialize_with = "string")]
    name: String,
    #[serde(
        default,
        alias = "selection",
        alias = "setting",
        deserialize_with = "opt_string"
    )]
    question: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    vtype: Option<String>,
    #[serde(default, alias = "answer", deserialize_with = "opt_value")]
    value: Option<Value>,
    #[serde(default, deserialize_with = "opt_bool")]
    unseen: Option<bool>,
}

const VTYPES: &[&str] = &[
    "boolean",
    "error",
    "multiselect",
    "note",
    "password",
    "seen",
    "select",
    "string",
    "text",
    "title",
];

/// `debconf-show` output: question → value (the `*` of seen questions dropped).
pub fn parse_show(out: &str) -> IndexMap<String, String> {
    out.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| {
            (
                k.trim_start_matches(|c: char| c == '*' || c.is_whitespace())
                    .trim()
                    .to_string(),
                v.trim().to_string(),
            )
        })
        .collect()
}

#[async_trait]
impl TypedModule for Debconf {
    type Params = Params;

    const SPEC: Spec = Spec::host("debconf");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if let Some(v) = &p.vtype {
            if !VTYPES.contains(&v.as_str()) {
                return Err(ModuleError::Params(format!(
                    "debconf: vtype must be one of {}, got: {v}",
                    VTYPES.join(", ")
                )));
            }
        }
        let given = [p.question.is_some(), p.vtype.is_some(), p.value.is_some()];
        if given.iter().any(|g| *g) && !given.iter().all(|g| *g) {
            return Err(ModuleError::Params(
                "debconf: parameters are required together: question, vtype, value".into(),
            ));
        }
        let password = p.vtype.as_deref() == Some("password");
        let mut script = format!(
            "command -v debconf-show >/dev/null 2>&1 || {{ echo '__PH_MISSING'; exit 0; }}\ndebconf-show {}",
            quote(&p.name)
        );
        if password {
            script.push_str("\necho __PH_GET\ndebconf-get-selections 2>/dev/null");
        }
        let out = ctx.run(script).await?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if text.contains("__PH_MISSING") {
            return Err(ModuleError::failed(format!(
                "debconf-show is not installed on {}: the debconf module needs the debconf package",
                ctx.host
            )));
        }
        if out.rc != 0 {
            return Err(ModuleError::failed(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        let (shown, selections) = text.split_once("__PH_GET\n").unwrap_or((&text, ""));
        let mut prev = parse_show(shown);
        let (Some(question), Some(vtype), Some(value)) = (&p.question, &p.vtype, &p.value) else {
            return Ok(Outcome::changed(false)
                .with("msg", "")
                .with("current", to_map(&prev)));
        };
        let list = value.kind() == minijinja::value::ValueKind::Seq;
        let mut text_value = if list {
            let mut items: Vec<String> = value
                .try_iter()
                .into_iter()
                .flatten()
                .map(|v| value_to_text(&v))
                .collect();
            items.sort();
            items.join(", ")
        } else {
            value_to_text(value)
        };
        if vtype == "boolean" {
            text_value = text_value.to_lowercase();
        }
        let changed = match prev.get(question) {
            None => true,
            Some(existing) => {
                let existing = match vtype.as_str() {
                    "boolean" => existing.to_lowercase(),
                    "password" => password_value(selections, &p.name, question, vtype),
                    "multiselect" if list => {
                        let mut items: Vec<&str> = existing.split(',').map(str::trim).collect();
                        items.sort_unstable();
                        items.join(", ")
                    }
                    _ => existing.clone(),
                };
                existing != text_value
            }
        };
        if !changed {
            return Ok(Outcome::changed(false)
                .with("msg", "")
                .with("current", to_map(&prev)));
        }
        let mut msg = String::new();
        if !ctx.check {
            let unseen = if p.unseen.unwrap_or(false) { " -u" } else { "" };
            let data = format!("{} {question} {vtype} {text_value}", p.name);
            let mut cmd = ctx.command(format!("debconf-set-selections{unseen}"));
            cmd.stdin = Some(data.into_bytes());
            let set = ctx.conn.run(&cmd, None).await?;
            if set.rc != 0 {
                return Err(ModuleError::failed(
                    String::from_utf8_lossy(&set.stderr).trim().to_string(),
                ));
            }
            msg = String::from_utf8_lossy(&set.stdout).into_owned();
        }
        let current: IndexMap<String, String> =
            [(question.clone(), text_value.clone())].into_iter().collect();
        let previous: IndexMap<String, String> = match prev.shift_remove(question) {
            Some(v) => [(question.clone(), v)].into_iter().collect(),
            None => {
                prev.insert(question.clone(), String::new());
                prev
            }
        };
        let mut outcome = Outcome::changed(true)
            .with("msg", msg)
            .with("current", to_map(&current))
            .with("previous", to_map(&previous));
        if ctx.diff {
            let before: BTreeMap<&str, Value> = previous
                .iter()
                .map(|(k, v)| (k.as_str(), Value::from(v.as_str())))
                .collect();
            let mut after = before.clone();
            after.insert(question.as_str(), Value::from(text_value.as_str()));
            outcome.diff.push(state_diff("", before, after));
        } else {
            outcome = outcome.with("diff", map_value(Vec::<(String, Value)>::new()));
        }
        Ok(outcome)
    }
}

fn to_map(m: &IndexMap<String, String>) -> Value {
    map_value(m.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))))
}

/// A password's current value from `debconf-get-selections` (tab-separated lines).
fn password_value(selections: &str, pkg: &str, question: &str, vtype: &str) -> String {
    for line in selections.lines().filter(|l| l.starts_with(pkg)) {
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() <= 3 {
            return String::new();
        }
        if fields[1] == question && fields[2] == vtype {
            return fields[3].to_string();
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debconf_show_lines_become_questions() {
        let shown = parse_show("* tzdata/Areas: Europe\n  tzdata/Zones/Etc: UTC\n");
        assert_eq!(shown["tzdata/Areas"], "Europe");
        assert_eq!(shown["tzdata/Zones/Etc"], "UTC");
    }
}
