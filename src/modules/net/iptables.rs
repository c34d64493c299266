//! `ansible.builtin.iptables`: one rule, a chain's policy, a flush, or a user chain, as
//! ansible-core 2.19's module manages them — `iptables -C` asks whether the rule is there and
//! `-A`/`-I`/`-D` change it, with the rule's words in Ansible's order (`iptables_rule.rs`), so
//! the host ends with the same `iptables-save`. `ip_version: both` does it with `iptables` and
//! then `ip6tables`. Everything, the change included, is one round trip: the script decides
//! from each command's status as the module decides from its `rc`.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::iptables_rule::{Command, RuleParams, Syn, TcpFlags, construct};
use crate::connection::quote::{quote, shlex_quote};
use crate::modules::commands::words::{lines_value, python_splitlines};
use crate::modules::params::state::State;
use crate::modules::services::steps::{Said, Steps};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `iptables` module.
pub struct Iptables;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Table {
    Filter,
    Nat,
    Mangle,
    Raw,
    Security,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Append,
    Insert,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum IpVersion {
    Ipv4,
    Ipv6,
    Both,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Policy {
    #[serde(rename = "ACCEPT")]
    Accept,
    #[serde(rename = "DROP")]
    Drop,
    #[serde(rename = "QUEUE")]
    Queue,
    #[serde(rename = "RETURN")]
    Return,
}

impl Policy {
    fn as_str(self) -> &'static str {
        match self {
            Policy::Accept => "ACCEPT",
            Policy::Drop => "DROP",
            Policy::Queue => "QUEUE",
            Policy::Return => "RETURN",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    table: Option<Table>,
    state: Option<State>,
    action: Option<Action>,
    ip_version: Option<IpVersion>,
    chain: Option<String>,
    rule_num: Option<String>,
    protocol: Option<String>,
    wait: Option<String>,
    source: Option<String>,
    to_source: Option<String>,
    destination: Option<String>,
    to_destination: Option<String>,
    #[serde(rename = "match", default)]
    matches: Vec<String>,
    tcp_flags: Option<TcpFlags>,
    jump: Option<String>,
    gateway: Option<String>,
    log_prefix: Option<String>,
    log_level: Option<String>,
    goto: Option<String>,
    in_interface: Option<String>,
    out_interface: Option<String>,
    fragment: Option<String>,
    set_counters: Option<String>,
    source_port: Option<String>,
    destination_port: Option<String>,
    #[serde(default)]
    destination_ports: Vec<String>,
    to_ports: Option<String>,
    set_dscp_mark: Option<String>,
    set_dscp_mark_class: Option<String>,
    comment: Option<String>,
    #[serde(default)]
    ctstate: Vec<String>,
    src_range: Option<String>,
    dst_range: Option<String>,
    match_set: Option<String>,
    match_set_flags: Option<String>,
    limit: Option<String>,
    limit_burst: Option<String>,
    uid_owner: Option<String>,
    gid_owner: Option<String>,
    reject_with: Option<String>,
    icmp_type: Option<String>,
    syn: Option<Syn>,
    flush: Option<bool>,
    policy: Option<Policy>,
    chain_management: Option<bool>,
    numeric: Option<bool>,
}

const LOG_LEVELS: &[&str] = &[
    "0", "1", "2", "3", "4", "5", "6", "7", "emerg", "alert", "crit", "error", "warning", "notice", "info",
    "debug",
];
const MATCH_SET_FLAGS: &[&str] = &["src", "dst", "src,dst", "dst,src", "src,src", "dst,dst"];

/// What the task does, in the order ansible-core's `main` tests for it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Flush,
    Policy(Policy),
    /// `state: absent` without rule words: the chain (deleted with `chain_management`).
    ChainAbsent,
    /// `state: present` without rule words: the chain (created with `chain_management`).
    ChainPresent,
    Rule {
        present: bool,
        insert: bool,
    },
}

fn table_name(t: Table) -> &'static str {
    match t {
        Table::Filter => "filter",
        Table::Nat => "nat",
        Table::Mangle => "mangle",
        Table::Raw => "raw",
        Table::Security => "security",
    }
}

fn version_name(v: IpVersion) -> &'static str {
    match v {
        IpVersion::Ipv4 => "ipv4",
        IpVersion::Ipv6 => "ipv6",
        IpVersion::Both => "both",
    }
}

impl Params {
    fn rule_params(&self) -> RuleParams {
        RuleParams {
            protocol: self.protocol.clone(),
            source: self.source.clone(),
            destination: self.destination.clone(),
            matches: self.matches.clone(),
            tcp_flags: self.tcp_flags.clone(),
            jump: self.jump.clone(),
            gateway: self.gateway.clone(),
            log_prefix: self.log_prefix.clone(),
            log_level: self.log_level.clone(),
            to_destination: self.to_destination.clone(),
            destination_ports: self.destination_ports.clone(),
            to_source: self.to_source.clone(),
            goto: self.goto.clone(),
            in_interface: self.in_interface.clone(),
            out_interface: self.out_interface.clone(),
            fragment: self.fragment.clone(),
            set_counters: self.set_counters.clone(),
            source_port: self.source_port.clone(),
            destination_port: self.destination_port.clone(),
            to_ports: self.to_ports.clone(),
            set_dscp_mark: self.set_dscp_mark.clone(),
            set_dscp_mark_class: self.set_dscp_mark_class.clone(),
            syn: self.syn.unwrap_or_default(),
            ctstate: self.ctstate.clone(),
            src_range: self.src_range.clone(),
            dst_range: self.dst_range.clone(),
            match_set: self.match_set.clone(),
            match_set_flags: self.match_set_flags.clone(),
            limit: self.limit.clone(),
            limit_burst: self.limit_burst.clone(),
            uid_owner: self.uid_owner.clone(),
            gid_owner: self.gid_owner.clone(),
            reject_with: self.reject_with.clone(),
            icmp_type: self.icmp_type.clone(),
            comment: self.comment.clone(),
            ip_version: version_name(self.ip_version.unwrap_or(IpVersion::Ipv4)).to_string(),
        }
    }

    /// AnsibleModule's checks of this module's spec, with its messages.
    fn validate(&self) -> Result<(), ModuleError> {
        if let Some(level) = &self.log_level {
            if !LOG_LEVELS.contains(&level.as_str()) {
                return Err(ModuleError::failed(format!(
                    "value of log_level must be one of: {}, got: {level}",
                    LOG_LEVELS.join(", ")
                )));
            }
        }
        if let Some(flags) = &self.match_set_flags {
            if !MATCH_SET_FLAGS.contains(&flags.as_str()) {
                return Err(ModuleError::failed(format!(
                    "value of match_set_flags must be one of: {}, got: {flags}",
                    MATCH_SET_FLAGS.join(", ")
                )));
            }
        }
        if self.set_dscp_mark.is_some() && self.set_dscp_mark_class.is_some() {
            return Err(ModuleError::failed(
                "parameters are mutually exclusive: set_dscp_mark|set_dscp_mark_class",
            ));
        }
        if self.flush.is_some() && self.policy.is_some() {
            return Err(ModuleError::failed(
                "parameters are mutually exclusive: flush|policy",
            ));
        }
        for (name, value) in [
            ("set_dscp_mark", &self.set_dscp_mark),
            ("set_dscp_mark_class", &self.set_dscp_mark_class),
        ] {
            if value.is_some() && self.jump.is_none() {
                return Err(ModuleError::failed(format!(
                    "missing parameter(s) required by '{name}': jump"
                )));
            }
        }
        if let Some(jump @ ("TEE" | "tee")) = self.jump.as_deref() {
            if self.gateway.is_none() {
                return Err(ModuleError::failed(format!(
                    "jump is {jump} but all of the following are missing: gateway"
                )));
            }
        }
        if !self.flush.unwrap_or(false) && self.chain.is_none() {
            return Err(ModuleError::failed(
                "flush is False but all of the following are missing: chain",
            ));
        }
        if self.match_set.as_deref().is_some_and(|s| !s.is_empty()) && self.match_set_flags.is_none()
            || self.matches.iter().any(|m| m == "set") && self.match_set_flags.is_none()
        {
            // Ansible puts None in the rule and fails with a Python TypeError.
            return Err(ModuleError::failed(
                "iptables: match_set needs match_set_flags (ansible-core fails on this rule too: \
                 sequence item: expected str instance, NoneType found)",
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl TypedModule for Iptables {
    type Params = Params;

    const SPEC: Spec = Spec::host("iptables");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        p.validate()?;
        let table = table_name(p.table.unwrap_or(Table::Filter));
        let state = p.state.unwrap_or(State::Present);
        let ip_version = p.ip_version.unwrap_or(IpVersion::Ipv4);
        let flush = p.flush.unwrap_or(false);
        let chain_management = p.chain_management.unwrap_or(false);
        let mut rule_params = p.rule_params();
        let shown_rule = construct(&rule_params).join(" ");
        let result = Outcome::ok()
            .with("ip_version", version_name(ip_version))
            .with("table", table)
            .with("chain", opt(&p.chain))
            .with("flush", flush)
            .with("rule", shown_rule.as_str())
            .with(
                "state",
                if state == State::Present {
                    "present"
                } else {
                    "absent"
                },
            )
            .with("chain_management", chain_management)
            .with("wait", opt(&p.wait));
        if p.log_prefix.is_some() || p.log_level.is_some() {
            match rule_params.jump.as_deref() {
                None => rule_params.jump = Some("LOG".into()),
                Some("LOG") => {}
                Some(_) => {
                    return Err(ModuleError::failed(
                        "Logging options can only be used with the LOG jump target.",
                    ));
                }
            }
        }
        let rule = construct(&rule_params);
        let mode = if flush {
            Mode::Flush
        } else if let Some(policy) = p.policy {
            Mode::Policy(policy)
        } else if shown_rule.is_empty() {
            if state == State::Absent {
                Mode::ChainAbsent
            } else {
                Mode::ChainPresent
            }
        } else {
            Mode::Rule {
                present: state == State::Present,
                insert: p.action == Some(Action::Insert),
            }
        };
        let bins: &[&str] = match ip_version {
            IpVersion::Ipv4 => &["iptables"],
            IpVersion::Ipv6 => &["ip6tables"],
            IpVersion::Both => &["iptables", "ip6tables"],
        };
        let plan = Plan {
            table,
            chain: p.chain.as_deref(),
            rule_num: p.rule_num.as_deref(),
            wait: p.wait.as_deref(),
            numeric: p.numeric.unwrap_or(false),
            chain_management,
            rule: &rule,
            mode,
            check: ctx.check,
        };
        let out = ctx.run(plan.script(bins)).await?;
        let said = Said::parse(&out);
        if let Some(line) = said.outside.iter().find_map(|l| l.strip_prefix("@missing ")) {
            let (bin, paths) = line.split_once(' ').unwrap_or((line, ""));
            return Err(ModuleError::failed(format!(
                "Failed to find required executable \"{bin}\" in paths: {paths}"
            )));
        }
        let mut changed = false;
        for (i, bin) in bins.iter().enumerate() {
            let path = said
                .outside
                .iter()
                .find_map(|l| l.strip_prefix(&format!("@bin{i} ")))
                .unwrap_or(bin)
                .to_string();
            let waits = said.said(&format!("@wait{i}"));
            let cmd = |action: &str, with_rule: bool| plan.command_text(&path, action, with_rule, waits);
            let step = |name: &str| said.get(&format!("{name}{i}"));
            if let Some(v) = step("version").filter(|s| s.rc != 0) {
                return Err(check_rc(&format!("{} --version", shlex_quote(&path)), v));
            }
            match mode {
                Mode::Flush => {
                    changed = true;
                    failed_step(step("act"), || cmd("-F", false))?;
                }
                Mode::Policy(want) => {
                    let Some(list) = step("list") else {
                        return Err(incomplete(ctx.host, &out));
                    };
                    if list.rc != 0 {
                        return Err(check_rc(&cmd("-L", false), list));
                    }
                    let Some(current) = current_policy(&list.stdout) else {
                        return Err(ModuleError::failed("Can't detect current policy"));
                    };
                    changed |= current != want.as_str();
                    failed_step(step("act"), || cmd("-P", false))?;
                }
                Mode::ChainAbsent | Mode::ChainPresent => {
                    let Some(list) = step("list") else {
                        return Err(incomplete(ctx.host, &out));
                    };
                    let present = list.rc == 0;
                    changed |= present == (mode == Mode::ChainAbsent);
                    let action = if mode == Mode::ChainAbsent { "-X" } else { "-N" };
                    failed_step(step("act"), || cmd(action, false))?;
                }
                Mode::Rule { present, insert } => {
                    let Some(check) = step("check") else {
                        return Err(incomplete(ctx.host, &out));
                    };
                    changed |= (check.rc == 0) != present;
                    let action = match (present, insert) {
                        (false, _) => "-D",
                        (true, true) => "-I",
                        (true, false) => "-A",
                    };
                    failed_step(step("act"), || cmd(action, true))?;
                }
            }
        }
        let mut result = result;
        result.changed = changed;
        Ok(result)
    }
}

fn opt(s: &Option<String>) -> Value {
    s.as_deref().map(Value::from).unwrap_or(Value::from(()))
}

/// The `(policy X)` of `iptables -L CHAIN`'s first line.
fn current_policy(listing: &str) -> Option<&str> {
    let first = listing.split('\n').next()?;
    let start = first.find("(policy ")? + "(policy ".len();
    let rest = &first[start..];
    let end = rest.find(|c: char| !c.is_ascii_uppercase())?;
    (end > 0 && rest[end..].starts_with(')')).then(|| &rest[..end])
}

/// `run_command(..., check_rc=True)`'s failure (only its own fields, as `fail_json` gets them).
fn check_rc(cmd: &str, step: &crate::modules::services::steps::Step) -> ModuleError {
    let lines = |t: &str| lines_value(python_splitlines(t));
    ModuleError::failed(step.stderr.trim_end())
        .with("stdout_lines", lines(&step.stdout))
        .with("stderr_lines", lines(&step.stderr))
        .with("cmd", cmd)
        .with("rc", step.rc)
        .with("stdout", step.stdout.as_str())
        .with("stderr", step.stderr.as_str())
}

/// Fails with `check_rc`'s failure when the action step ran and failed.
fn failed_step(
    step: Option<&crate::modules::services::steps::Step>,
    cmd: impl FnOnce() -> String,
) -> Result<(), ModuleError> {
    match step {
        Some(s) if s.rc != 0 => Err(check_rc(&cmd(), s)),
        _ => Ok(()),
    }
}

fn incomplete(host: &str, out: &crate::connection::Output) -> ModuleError {
    ModuleError::failed(format!(
        "iptables on {host}: the script stopped early: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    ))
}

/// The one script's inputs.
struct Plan<'a> {
    table: &'a str,
    chain: Option<&'a str>,
    rule_num: Option<&'a str>,
    wait: Option<&'a str>,
    numeric: bool,
    chain_management: bool,
    rule: &'a [String],
    mode: Mode,
    check: bool,
}

impl Plan<'_> {
    /// The arguments of one command (after the program), with or without `-w`.
    fn words(&self, action: &str, with_rule: bool, wait: bool) -> Vec<String> {
        let mut words = Command {
            table: self.table,
            action,
            chain: self.chain,
            rule_num: self.rule_num,
            wait: if wait { self.wait } else { None },
        }
        .words(with_rule.then_some(self.rule));
        if action == "-L" && self.numeric {
            words.push("--numeric".into());
        }
        if let Mode::Policy(p) = self.mode {
            if action == "-P" {
                words.push(p.as_str().into());
            }
        }
        words
    }

    /// The command as Ansible shows it (`cmd` of a failure).
    fn command_text(&self, path: &str, action: &str, with_rule: bool, wait: bool) -> String {
        std::iter::once(path.to_string())
            .chain(self.words(action, with_rule, wait))
            .map(|w| shlex_quote(&w))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Shell text running one command with binary `i`: `-w` only where the version takes
    /// seconds (1.6.0 and later), as the module decides.
    fn shell(&self, i: usize, action: &str, with_rule: bool) -> String {
        let line = |wait: bool| {
            let words: Vec<String> = self
                .words(action, with_rule, wait)
                .iter()
                .map(|w| quote(w))
                .collect();
            format!("\"$b{i}\" {}", words.join(" "))
        };
        if self.wait.is_some_and(|w| !w.is_empty()) {
            format!(
                "if [ \"$W{i}\" = 1 ]; then {}; else {}; fi",
                line(true),
                line(false)
            )
        } else {
            line(false)
        }
    }

    fn script(&self, bins: &[&str]) -> String {
        let mut s = Steps::new("sbin=$PATH:/sbin:/usr/sbin:/usr/local/sbin");
        for (i, bin) in bins.iter().enumerate() {
            s.shell(&format!(
                "b{i}=$(PATH=$sbin; command -v {bin}) || {{ echo \"@missing {bin} $sbin\"; exit 0; }}\n\
                 echo \"@bin{i} $b{i}\""
            ));
        }
        for i in 0..bins.len() {
            s.action(
                &format!("version{i}"),
                &format!("v=$(\"$b{i}\" --version) && printf '%s\\n' \"$v\""),
            );
            s.shell(&format!(
                "ver=${{v#*v}}; ver=${{ver%% *}}; W{i}=0\n\
                 [ \"$(printf '%s\\n1.6.0\\n' \"$ver\" | sort -V | head -n 1)\" = 1.6.0 ] && W{i}=1 && echo @wait{i}"
            ));
            let act = |s: &mut Steps, cond: &str, action: &str, with_rule: bool| {
                if self.check {
                    return;
                }
                s.shell(&format!("if {cond}; then"));
                s.action(&format!("act{i}"), &self.shell(i, action, with_rule));
                s.shell("fi");
            };
            match self.mode {
                Mode::Flush => act(&mut s, "true", "-F", false),
                Mode::Policy(want) => {
                    s.step(
                        &format!("list{i}"),
                        &format!(
                            "out=$({}); st=$?; printf '%s\\n' \"$out\"; (exit $st)",
                            self.shell(i, "-L", false)
                        ),
                    );
                    s.shell(
                        "cur=$(printf '%s\\n' \"$out\" | head -n 1 | sed -n 's/.*(policy \\([A-Z][A-Z]*\\)).*/\\1/p')",
                    );
                    act(
                        &mut s,
                        &format!(
                            "[ \"$rc\" -eq 0 ] && [ -n \"$cur\" ] && [ \"$cur\" != {} ]",
                            want.as_str()
                        ),
                        "-P",
                        false,
                    );
                }
                Mode::ChainAbsent | Mode::ChainPresent => {
                    s.step(&format!("list{i}"), &self.shell(i, "-L", false));
                    if self.chain_management {
                        let (cond, action) = if self.mode == Mode::ChainAbsent {
                            ("[ \"$rc\" -eq 0 ]", "-X")
                        } else {
                            ("[ \"$rc\" -ne 0 ]", "-N")
                        };
                        act(&mut s, cond, action, false);
                    }
                }
                Mode::Rule { present, insert } => {
                    s.step(&format!("check{i}"), &self.shell(i, "-C", true));
                    let (cond, action) = match (present, insert) {
                        (false, _) => ("[ \"$rc\" -eq 0 ]", "-D"),
                        (true, true) => ("[ \"$rc\" -ne 0 ]", "-I"),
                        (true, false) => ("[ \"$rc\" -ne 0 ]", "-A"),
                    };
                    act(&mut s, cond, action, true);
                }
            }
        }
        s.script().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_of_the_first_line() {
        assert_eq!(
            current_policy("Chain INPUT (policy DROP)\ntarget     prot opt source"),
            Some("DROP")
        );
        assert_eq!(current_policy("Chain web (0 references)\n"), None);
    }
}
