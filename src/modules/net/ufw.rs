//! `community.general.ufw`: the state, default policies, logging and rules of ufw, as the
//! collection's module drives the `ufw` command — `ufw status verbose` and the `### tuple` lines
//! of the rules files before, the commands in the module's order (`state`, `default`, `rule`,
//! `logging`), each one built as the module builds its command string, then the status and
//! rules after, compared for `changed`. In check mode a rule runs with `--dry-run` and its
//! output is compared with the rules files as the module compares them. One round trip (two
//! with `insert_relative_to` other than `zero`, which reads `ufw status numbered` first).

use async_trait::async_trait;
use fancy_regex::Regex;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::quote::quote;
use crate::modules::commands::words::shlex_split;
use crate::modules::services::steps::{Said, Steps};
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `ufw` module.
pub struct Ufw;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Enabled,
    Disabled,
    Reloaded,
    Reset,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    Allow,
    Deny,
    Limit,
    Reject,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Default {
    Allow,
    Deny,
    Reject,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Logging {
    Full,
    High,
    Low,
    Medium,
    Off,
    On,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    In,
    Incoming,
    Out,
    Outgoing,
    Routed,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "kebab-case")]
pub enum RelativeTo {
    Zero,
    FirstIpv4,
    LastIpv4,
    FirstIpv6,
    LastIpv6,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Ah,
    Any,
    Esp,
    Ipv6,
    Tcp,
    Udp,
    Gre,
    Igmp,
    Vrrp,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    state: Option<State>,
    #[serde(alias = "policy")]
    default: Option<Default>,
    logging: Option<Logging>,
    direction: Option<Direction>,
    delete: Option<bool>,
    route: Option<bool>,
    insert: Option<i64>,
    insert_relative_to: Option<RelativeTo>,
    rule: Option<Rule>,
    #[serde(alias = "if")]
    interface: Option<String>,
    #[serde(alias = "if_in")]
    interface_in: Option<String>,
    #[serde(alias = "if_out")]
    interface_out: Option<String>,
    log: Option<bool>,
    #[serde(alias = "from", alias = "src")]
    from_ip: Option<String>,
    from_port: Option<String>,
    #[serde(alias = "dest", alias = "to")]
    to_ip: Option<String>,
    #[serde(alias = "port")]
    to_port: Option<String>,
    #[serde(alias = "protocol")]
    proto: Option<Proto>,
    #[serde(alias = "app")]
    name: Option<String>,
    comment: Option<String>,
}

/// The files whose `### tuple` lines are the rules, as the module lists them.
const RULE_FILES: &[&str] = &[
    "/lib/ufw/user.rules",
    "/lib/ufw/user6.rules",
    "/etc/ufw/user.rules",
    "/etc/ufw/user6.rules",
    "/var/lib/ufw/user.rules",
    "/var/lib/ufw/user6.rules",
];

/// Lowercase name of a choice (its serde name).
fn name<T: std::fmt::Debug>(v: T) -> String {
    let debug = format!("{v:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// One command of the run: its step name, the module's command string (with `@ufw` or
/// `@grep` for the program's path), and whether its failure fails the task.
struct Cmd {
    step: String,
    text: String,
    variant: Option<String>,
    fails: bool,
}

impl Params {
    fn validate(&self) -> Result<(), ModuleError> {
        if self.state.is_none() && self.default.is_none() && self.rule.is_none() && self.logging.is_none() {
            return Err(ModuleError::failed(
                "one of the following is required: state, default, rule, logging",
            ));
        }
        let exclusive = [self.name.is_some(), self.proto.is_some(), self.logging.is_some()];
        if exclusive.iter().filter(|x| **x).count() > 1 {
            return Err(ModuleError::failed(
                "parameters are mutually exclusive: name|proto|logging",
            ));
        }
        for (other, set) in [
            ("interface_in", self.interface_in.is_some()),
            ("interface_out", self.interface_out.is_some()),
        ] {
            if self.direction.is_some() && set {
                return Err(ModuleError::failed(format!(
                    "parameters are mutually exclusive: direction|{other}"
                )));
            }
        }
        if self.interface.is_some() && self.direction.is_none() {
            return Err(ModuleError::failed(
                "missing parameter(s) required by 'interface': direction",
            ));
        }
        Ok(())
    }

    /// The rule's command string after `ufw [--dry-run]`, as the module joins it; the comment
    /// part apart (the module adds it only for ufw 0.35 and later).
    fn rule_words(&self, rule: Rule, insert_to: Option<i64>) -> (Vec<String>, Option<String>) {
        let mut w = Vec::new();
        if self.route.unwrap_or(false) {
            w.push("route".to_string());
        }
        if self.delete.unwrap_or(false) {
            w.push("delete".to_string());
        }
        if let Some(n) = insert_to.filter(|_| !self.delete.unwrap_or(false)) {
            w.push(format!("insert {n}"));
        }
        w.push(name(rule));
        if let Some(d) = self.direction {
            w.push(name(d));
        }
        let opt =
            |v: &Option<String>, f: &dyn Fn(&str) -> String| v.as_deref().filter(|s| !s.is_empty()).map(f);
        w.extend(opt(&self.interface, &|i| format!("on {i}")));
        w.extend(opt(&self.interface_in, &|i| format!("in on {i}")));
        w.extend(opt(&self.interface_out, &|i| format!("out on {i}")));
        if self.log.unwrap_or(false) {
            w.push("log".to_string());
        }
        let from = Some(self.from_ip.clone().unwrap_or_else(|| "any".into()));
        let to = Some(self.to_ip.clone().unwrap_or_else(|| "any".into()));
        w.extend(opt(&from, &|v| format!("from {v}")));
        w.extend(opt(&self.from_port, &|v| format!("port {v}")));
        w.extend(opt(&to, &|v| format!("to {v}")));
        w.extend(opt(&self.to_port, &|v| format!("port {v}")));
        if let Some(p) = self.proto {
            w.push(format!("proto {}", name(p)));
        }
        w.extend(opt(&self.name, &|v| format!("app '{v}'")));
        let comment = opt(&self.comment, &|v| format!("comment '{v}'"));
        (w, comment)
    }
}

#[async_trait]
impl TypedModule for Ufw {
    type Params = Params;

    const SPEC: Spec = Spec::host("ufw").collection(Collection::General);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        p.validate()?;
        if let Some(d) = p.direction {
            if p.default.is_some()
                && !matches!(d, Direction::Outgoing | Direction::Incoming | Direction::Routed)
            {
                return Err(ModuleError::failed(
                    "For default, direction must be one of \"outgoing\", \"incoming\" and \"routed\", or direction must not be specified.",
                ));
            }
            if p.rule.is_some() && !matches!(d, Direction::In | Direction::Out) {
                return Err(ModuleError::failed(
                    "For rules, direction must be one of \"in\" and \"out\", or direction must not be specified.",
                ));
            }
        }
        if p.rule.is_some()
            && !p.route.unwrap_or(false)
            && p.interface_in.is_some()
            && p.interface_out.is_some()
        {
            return Err(ModuleError::failed(
                "Only route rules can combine interface_in and interface_out",
            ));
        }
        let check = ctx.check;
        let insert_to = match (p.insert, p.insert_relative_to.unwrap_or(RelativeTo::Zero)) {
            (None, _) => None,
            (Some(n), RelativeTo::Zero) => Some(n),
            (Some(_), _) if p.delete.unwrap_or(false) => None,
            (Some(n), relative) => relative_insert(ctx, n, relative).await?,
        };
        let dry = if check { " --dry-run" } else { "" };
        let mut cmds = vec![
            Cmd::new("pre_state", "@ufw status verbose", true),
            Cmd::new(
                "pre_rules",
                &format!("@grep -h '^### tuple' {}", RULE_FILES.join(" ")),
                false,
            ),
        ];
        if let Some(state) = p.state {
            if !check {
                let verb = match state {
                    State::Enabled => "enable",
                    State::Disabled => "disable",
                    State::Reloaded => "reload",
                    State::Reset => "reset",
                };
                cmds.push(Cmd::new("state", &format!("@ufw -f {verb}"), true));
            }
        }
        if let Some(default) = p.default {
            if !check {
                let direction = p.direction.map(|d| format!(" {}", name(d))).unwrap_or_default();
                cmds.push(Cmd::new(
                    "default",
                    &format!("@ufw default {}{direction}", name(default)),
                    true,
                ));
            }
        }
        if let Some(rule) = p.rule {
            cmds.push(Cmd::new("version", "@ufw --version", true));
            let (words, comment) = p.rule_words(rule, insert_to);
            let base = format!("@ufw{dry} {}", words.join(" "));
            let mut c = Cmd::new("rule", &base, true);
            c.variant = comment.map(|comment| format!("{base} {comment}"));
            cmds.push(c);
        }
        if let Some(logging) = p.logging {
            if !check {
                cmds.push(Cmd::new(
                    "logging",
                    &format!("@ufw logging {}", name(logging)),
                    true,
                ));
            }
        }
        if !check {
            cmds.push(Cmd::new("post_state", "@ufw status verbose", true));
            cmds.push(Cmd::new("post_rules", &cmds[1].text.clone(), false));
        }
        let out = ctx.run(script(&cmds)?).await?;
        let said = Said::parse(&out);
        if let Some(line) = said.outside.iter().find_map(|l| l.strip_prefix("@missing ")) {
            let (bin, paths) = line.split_once(' ').unwrap_or((line, ""));
            return Err(ModuleError::failed(format!(
                "Failed to find required executable \"{bin}\" in paths: {paths}"
            )));
        }
        let path = |marker: &str, default: &str| {
            said.outside
                .iter()
                .find_map(|l| l.strip_prefix(marker))
                .unwrap_or(default)
                .to_string()
        };
        let (ufw, grep) = (path("@ufw ", "ufw"), path("@grep ", "grep"));
        let comments = said.said("@comment");
        let shown = |c: &Cmd| {
            let text = if comments {
                c.variant.as_ref().unwrap_or(&c.text)
            } else {
                &c.text
            };
            text.replacen("@ufw", &ufw, 1).replacen("@grep", &grep, 1)
        };
        let mut commands: Vec<String> = Vec::new();
        let mut outputs = std::collections::HashMap::new();
        for c in &cmds {
            let Some(step) = said.get(&c.step) else {
                if said.said("@badversion") && c.step == "version" {
                    commands.push(shown(c));
                    return Err(ModuleError::failed("Failed to get ufw version.").with("rc", 0));
                }
                continue;
            };
            if c.step != "post_rules" {
                commands.push(shown(c));
            }
            if c.fails && step.rc != 0 {
                let msg = if step.stderr.is_empty() {
                    &step.stdout
                } else {
                    &step.stderr
                };
                return Err(ModuleError::failed(msg.as_str()).with("commands", strings(&commands)));
            }
            outputs.insert(c.step.as_str(), step.stdout.as_str());
        }
        if said.said("@badversion") {
            return Err(ModuleError::failed("Failed to get ufw version.").with("rc", 0));
        }
        let pre_state = outputs.get("pre_state").copied().unwrap_or_default();
        let pre_rules = outputs.get("pre_rules").copied().unwrap_or_default();
        let mut changed = false;
        if let Some(state) = p.state {
            if matches!(state, State::Reloaded | State::Reset) {
                changed = true;
            }
            if check {
                let enabled = pre_state.contains(" active");
                if (state == State::Disabled && enabled) || (state == State::Enabled && !enabled) {
                    changed = true;
                }
            }
        }
        if let Some(default) = p.default {
            if check {
                changed |= default_changes(pre_state, &name(default), p.direction.map(name));
            }
        }
        if p.rule.is_some() && check {
            let dry = outputs.get("rule").copied().unwrap_or_default();
            changed |= dry_run_changes(
                pre_rules,
                dry,
                p.from_ip.as_deref().unwrap_or("any"),
                p.to_ip.as_deref().unwrap_or("any"),
            );
        }
        if let Some(logging) = p.logging {
            changed |= logging_changes(pre_state, &name(logging));
        }
        if check {
            return Ok(Outcome::changed(changed).with("commands", strings(&commands)));
        }
        let post_state = outputs.get("post_state").copied().unwrap_or_default();
        if !changed {
            if let Some(c) = cmds.iter().find(|c| c.step == "post_rules") {
                commands.push(shown(c));
            }
            let post_rules = outputs.get("post_rules").copied().unwrap_or_default();
            changed = pre_state != post_state || pre_rules != post_rules;
        }
        let mut o = Outcome::changed(changed).with("commands", strings(&commands));
        o.msg = Some(post_state.trim_end().to_string());
        Ok(o)
    }
}

impl Cmd {
    fn new(step: &str, text: &str, fails: bool) -> Cmd {
        Cmd {
            step: step.to_string(),
            text: text.to_string(),
            variant: None,
            fails,
        }
    }
}

fn strings(v: &[String]) -> Value {
    Value::from(v.iter().map(|s| Value::from(s.as_str())).collect::<Vec<_>>())
}

/// A command string as the shell runs it: split as `run_command` splits a string
/// (`shlex.split`), the program word replaced by its path variable, `LANG=C`.
fn shell_words(text: &str) -> Result<String, ModuleError> {
    let words =
        shlex_split(text).map_err(|e| ModuleError::failed(format!("ufw: cannot split `{text}`: {e}")))?;
    let mut out = vec!["LANG=C".to_string()];
    for (i, w) in words.iter().enumerate() {
        out.push(match (i, w.as_str()) {
            (0, "@ufw") => "\"$u\"".to_string(),
            (0, "@grep") => "\"$g\"".to_string(),
            _ => quote(w),
        });
    }
    Ok(out.join(" "))
}

/// The one script: both programs found, then every command in order; a failing command that
/// fails the task stops it.
fn script(cmds: &[Cmd]) -> Result<String, ModuleError> {
    let mut s = Steps::new(
        "sbin=$PATH:/sbin:/usr/sbin:/usr/local/sbin\n\
         u=$(PATH=$sbin; command -v ufw) || { echo \"@missing ufw $sbin\"; exit 0; }\n\
         g=$(PATH=$sbin; command -v grep) || { echo \"@missing grep $sbin\"; exit 0; }\n\
         echo \"@ufw $u\"; echo \"@grep $g\"",
    );
    for c in cmds {
        let run = shell_words(&c.text)?;
        if c.step == "version" {
            s.action(
                "version",
                &format!("vout=$({run}); st=$?; printf '%s\\n' \"$vout\"; (exit $st)"),
            );
            s.shell(
                "vl=$(printf '%s\\n' \"$vout\" | grep -v '^[[:space:]]*$' | head -n 1)\n\
                 mm=$(printf '%s\\n' \"$vl\" | sed -nE 's/^ufw.+([0-9]+)\\.([0-9]+)(\\.([0-9]+))?.*$/\\1 \\2/p')\n\
                 [ -n \"$mm\" ] || { echo @badversion; exit 0; }\n\
                 set -- $mm\n\
                 if [ \"$1\" -gt 0 ] || [ \"$2\" -ge 35 ]; then echo @comment; fi",
            );
            continue;
        }
        let command = match &c.variant {
            Some(v) => format!(
                "if [ \"$2\" -ge 35 ] || [ \"$1\" -gt 0 ]; then {}; else {run}; fi",
                shell_words(v)?
            ),
            None => run,
        };
        if c.fails {
            s.action(&c.step, &command);
        } else {
            s.step(&c.step, &command);
        }
    }
    Ok(s.script().to_string())
}

/// `insert_relative_to`: the rule number from `ufw status numbered`, or None when past the
/// last rule (ufw refuses those).
async fn relative_insert(
    ctx: &mut ModuleCtx<'_>,
    insert: i64,
    relative: RelativeTo,
) -> Result<Option<i64>, ModuleError> {
    let out = ctx
        .run("u=$(PATH=$PATH:/sbin:/usr/sbin:/usr/local/sbin; command -v ufw) && \"$u\" status numbered")
        .await?;
    let text = String::from_utf8_lossy(&out.stdout);
    let numbered = Regex::new(r"^\[ *([0-9]+)\] ").map_err(|e| ModuleError::failed(e.to_string()))?;
    let lines: Vec<(i64, bool)> = text
        .lines()
        .filter_map(|l| {
            let caps = numbered.captures(l).ok()??;
            Some((caps.get(1)?.as_str().parse().ok()?, l.contains("(v6)")))
        })
        .collect();
    let last = lines.iter().map(|(n, _)| *n).max().unwrap_or(0);
    let last_v4 = lines.iter().filter(|(_, v6)| !v6).map(|(n, _)| *n).max();
    let has_v6 = lines.iter().any(|(_, v6)| *v6);
    let relative_to = match relative {
        RelativeTo::Zero | RelativeTo::FirstIpv4 => 1,
        RelativeTo::LastIpv4 => last_v4.unwrap_or(1),
        RelativeTo::FirstIpv6 => last_v4.map(|n| n + 1).unwrap_or(1),
        RelativeTo::LastIpv6 => {
            if has_v6 {
                last
            } else {
                last + 1
            }
        }
    };
    let to = insert + relative_to;
    Ok((to <= last).then_some(to))
}

/// Check mode's `default`: the current policy of the direction differs (and is not
/// `disabled`).
fn default_changes(pre_state: &str, value: &str, direction: Option<String>) -> bool {
    let re = Regex::new(
        r"Default: (deny|allow|reject) \(incoming\), (deny|allow|reject) \(outgoing\), (deny|allow|reject|disabled) \(routed\)",
    )
    .expect("a valid regex");
    let Ok(Some(caps)) = re.captures(pre_state) else {
        return true;
    };
    let group = match direction.as_deref() {
        Some("outgoing") => 2,
        Some("routed") => 3,
        _ => 1,
    };
    let current = caps.get(group).map(|m| m.as_str()).unwrap_or_default();
    current != value && current != "disabled"
}

/// `logging`: whether the level differs from `Logging: on (low)` in the status.
fn logging_changes(pre_state: &str, value: &str) -> bool {
    let re = Regex::new(r"Logging: (on|off)(?: \(([a-z]+)\))?").expect("a valid regex");
    let Ok(Some(caps)) = re.captures(pre_state) else {
        return true;
    };
    let on_off = caps.get(1).map(|m| m.as_str()).unwrap_or_default();
    let level = caps.get(2).map(|m| m.as_str());
    if value != "off" {
        on_off == "off" || (value != "on" && Some(value) != level)
    } else {
        on_off != "off"
    }
}

/// Lines with their ends, as Python's `splitlines(True)`.
fn lines_with_ends(s: &str) -> Vec<&str> {
    s.split_inclusive('\n').collect()
}

const IPV4: &str =
    r"((25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])";
const IPV6: &str = concat!(
    r"(([0-9a-fA-F]{1,4}:){7,7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:",
    r"|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}",
    r"(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4})",
    r"{1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]",
    r"{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:((:[0-9a-fA-F]",
    r"{1,4}){1,6})|:((:[0-9a-fA-F]{1,4}){1,7}|:)|fe80:(:[0-9a-fA-F]{0,4})",
    r"{0,4}%[0-9a-zA-Z]{1,}|::(ffff(:0{1,4}){0,1}:){0,1}((25[0-5]|(2[0-4]",
    r"|1{0,1}[0-9]){0,1}[0-9])\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}",
    r"[0-9])|([0-9a-fA-F]{1,4}:){1,4}:((25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}",
    r"[0-9])\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9]))"
);

/// The lines of `text` the pattern finds something in.
fn lines_matching(re: &Regex, text: &str) -> String {
    lines_with_ends(text)
        .into_iter()
        .filter(|l| re.is_match(l).unwrap_or(false))
        .collect()
}

/// Check mode's rule: the module's comparison of the dry run's `### tuple` lines with the
/// rules files' (only the address family of `from_ip`/`to_ip` when one is an address).
fn dry_run_changes(pre_rules: &str, dry: &str, from_ip: &str, to_ip: &str) -> bool {
    let lines = lines_with_ends(dry);
    let skipping = lines.iter().filter(|l| l.contains("Skipping")).count();
    if skipping > 0 && skipping == lines.len() {
        return false;
    }
    let tuples: String = lines.into_iter().filter(|l| l.starts_with("### tuple")).collect();
    let v4 = Regex::new(IPV4).expect("a valid regex");
    let v6 = Regex::new(IPV6).expect("a valid regex");
    let v4_start = Regex::new(&format!(r"\A(?:{IPV4})")).expect("a valid regex");
    let v6_start = Regex::new(&format!(r"\A(?:{IPV6})")).expect("a valid regex");
    let starts = |re: &Regex, s: &str| re.is_match(s).unwrap_or(false);
    if starts(&v4_start, from_ip) || starts(&v4_start, to_ip) {
        lines_matching(&v4, pre_rules) != lines_matching(&v4, &tuples)
    } else if starts(&v6_start, from_ip) || starts(&v6_start, to_ip) {
        lines_matching(&v6, pre_rules) != lines_matching(&v6, &tuples)
    } else {
        pre_rules != tuples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logging_levels() {
        let on_low = "Status: active\nLogging: on (low)\n";
        assert!(!logging_changes(on_low, "on"));
        assert!(!logging_changes(on_low, "low"));
        assert!(logging_changes(on_low, "medium"));
        assert!(logging_changes(on_low, "off"));
        assert!(logging_changes("Logging: off\n", "on"));
    }

    #[test]
    fn rule_words_in_the_modules_order() {
        let p = Params {
            state: None,
            default: None,
            logging: None,
            direction: Some(Direction::In),
            delete: None,
            route: None,
            insert: Some(1),
            insert_relative_to: None,
            rule: Some(Rule::Allow),
            interface: Some("eth0".into()),
            interface_in: None,
            interface_out: None,
            log: Some(true),
            from_ip: None,
            from_port: None,
            to_ip: None,
            to_port: Some("22".into()),
            proto: Some(Proto::Tcp),
            name: None,
            comment: Some("ssh in".into()),
        };
        let (words, comment) = p.rule_words(Rule::Allow, Some(1));
        assert_eq!(
            words.join(" "),
            "insert 1 allow in on eth0 log from any to any port 22 proto tcp"
        );
        assert_eq!(comment.as_deref(), Some("comment 'ssh in'"));
        assert_eq!(name(RelativeTo::FirstIpv4), "first-ipv4");
    }

    #[test]
    fn dry_run_comparison() {
        let pre = "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n";
        assert!(!dry_run_changes(
            pre,
            "Skipping adding existing rule\n",
            "any",
            "any"
        ));
        assert!(dry_run_changes(
            pre,
            "### tuple ### allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in\n",
            "any",
            "any"
        ));
    }
}
