//! The rule words of `ansible.builtin.iptables`: ansible-core 2.19's `construct_rule` and
//! `push_arguments`, word for word and in the same order, so `iptables -C/-A/-I/-D` see the same
//! arguments and `iptables-save` prints the same rules Ansible leaves. Pure; unit-tested.

use serde::Deserialize;

/// `tcp_flags`: the flags examined and the ones that must be set.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct TcpFlags {
    pub flags: Option<Vec<String>>,
    pub flags_set: Option<Vec<String>>,
}

/// `syn`.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug, Default)]
#[serde(rename_all = "lowercase")]
pub enum Syn {
    #[default]
    Ignore,
    Match,
    Negate,
}

/// The parameters a rule is made of (those of the module that `construct_rule` reads).
#[derive(Default, Clone, Debug)]
pub struct RuleParams {
    pub protocol: Option<String>,
    pub source: Option<String>,
    pub destination: Option<String>,
    pub matches: Vec<String>,
    pub tcp_flags: Option<TcpFlags>,
    pub jump: Option<String>,
    pub gateway: Option<String>,
    pub log_prefix: Option<String>,
    pub log_level: Option<String>,
    pub to_destination: Option<String>,
    pub destination_ports: Vec<String>,
    pub to_source: Option<String>,
    pub goto: Option<String>,
    pub in_interface: Option<String>,
    pub out_interface: Option<String>,
    pub fragment: Option<String>,
    pub set_counters: Option<String>,
    pub source_port: Option<String>,
    pub destination_port: Option<String>,
    pub to_ports: Option<String>,
    pub set_dscp_mark: Option<String>,
    pub set_dscp_mark_class: Option<String>,
    pub syn: Syn,
    pub ctstate: Vec<String>,
    pub src_range: Option<String>,
    pub dst_range: Option<String>,
    pub match_set: Option<String>,
    pub match_set_flags: Option<String>,
    pub limit: Option<String>,
    pub limit_burst: Option<String>,
    pub uid_owner: Option<String>,
    pub gid_owner: Option<String>,
    pub reject_with: Option<String>,
    pub icmp_type: Option<String>,
    pub comment: Option<String>,
    /// `ip_version`: picks `--icmp-type`, `--icmpv6-type`, or for `both` the one word
    /// `--icmp-type --icmpv6-type` Ansible passes.
    pub ip_version: String,
}

/// Python truthiness of an optional string parameter.
fn set(p: &Option<String>) -> bool {
    p.as_deref().is_some_and(|s| !s.is_empty())
}

/// `append_param`: `FLAG VALUE`, or `! FLAG VALUE` for a value starting with `!`.
fn param(rule: &mut Vec<String>, value: &Option<String>, flag: &str) {
    if let Some(v) = value {
        match v.strip_prefix('!') {
            Some(rest) => rule.extend(["!".into(), flag.into(), rest.into()]),
            None => rule.extend([flag.into(), v.clone()]),
        }
    }
}

/// `append_match`: `-m NAME` when `on`.
fn module(rule: &mut Vec<String>, on: bool, name: &str) {
    if on {
        rule.extend(["-m".into(), name.into()]);
    }
}

/// `append_jump`: `-j TARGET` when `on`.
fn jump(rule: &mut Vec<String>, on: bool, target: &str) {
    if on {
        rule.extend(["-j".into(), target.into()]);
    }
}

/// `append_csv`: `FLAG a,b` when the list is not empty.
fn csv(rule: &mut Vec<String>, values: &[String], flag: &str) {
    if !values.is_empty() {
        rule.extend([flag.into(), values.join(",")]);
    }
}

/// `append_match_flag`: `FLAG` for `match`, `! FLAG` for `negate` when negatable.
fn match_flag(rule: &mut Vec<String>, value: Option<&str>, flag: &str, negatable: bool) {
    match value {
        Some("match") => rule.push(flag.into()),
        Some("negate") if negatable => rule.extend(["!".into(), flag.into()]),
        _ => {}
    }
}

/// The jump target, lowercased, or "" (Python's `params.get('jump').lower()`).
fn jump_lower(p: &RuleParams) -> String {
    p.jump.as_deref().unwrap_or_default().to_lowercase()
}

/// ansible-core 2.19's `construct_rule`.
pub fn construct(p: &RuleParams) -> Vec<String> {
    let mut r = Vec::new();
    let has = |m: &str| p.matches.iter().any(|x| x == m);
    param(&mut r, &p.protocol, "-p");
    param(&mut r, &p.source, "-s");
    param(&mut r, &p.destination, "-d");
    for m in &p.matches {
        param(&mut r, &Some(m.clone()), "-m");
    }
    if let Some(TcpFlags {
        flags: Some(flags),
        flags_set: Some(flags_set),
    }) = &p.tcp_flags
    {
        r.extend(["--tcp-flags".into(), flags.join(","), flags_set.join(",")]);
    }
    param(&mut r, &p.jump, "-j");
    if jump_lower(p) == "tee" {
        param(&mut r, &p.gateway, "--gateway");
    }
    param(&mut r, &p.log_prefix, "--log-prefix");
    param(&mut r, &p.log_level, "--log-level");
    param(&mut r, &p.to_destination, "--to-destination");
    module(&mut r, !p.destination_ports.is_empty(), "multiport");
    csv(&mut r, &p.destination_ports, "--dports");
    param(&mut r, &p.to_source, "--to-source");
    param(&mut r, &p.goto, "-g");
    param(&mut r, &p.in_interface, "-i");
    param(&mut r, &p.out_interface, "-o");
    param(&mut r, &p.fragment, "-f");
    param(&mut r, &p.set_counters, "-c");
    param(&mut r, &p.source_port, "--source-port");
    param(&mut r, &p.destination_port, "--destination-port");
    param(&mut r, &p.to_ports, "--to-ports");
    param(&mut r, &p.set_dscp_mark, "--set-dscp");
    if set(&p.set_dscp_mark) && jump_lower(p) != "dscp" {
        jump(&mut r, true, "DSCP");
    }
    param(&mut r, &p.set_dscp_mark_class, "--set-dscp-class");
    if set(&p.set_dscp_mark_class) && jump_lower(p) != "dscp" {
        jump(&mut r, true, "DSCP");
    }
    let syn = match p.syn {
        Syn::Ignore => "ignore",
        Syn::Match => "match",
        Syn::Negate => "negate",
    };
    match_flag(&mut r, Some(syn), "--syn", true);
    if has("conntrack") {
        csv(&mut r, &p.ctstate, "--ctstate");
    } else if has("state") {
        csv(&mut r, &p.ctstate, "--state");
    } else if !p.ctstate.is_empty() {
        module(&mut r, true, "conntrack");
        csv(&mut r, &p.ctstate, "--ctstate");
    }
    if has("iprange") {
        param(&mut r, &p.src_range, "--src-range");
        param(&mut r, &p.dst_range, "--dst-range");
    } else if set(&p.src_range) || set(&p.dst_range) {
        module(&mut r, true, "iprange");
        param(&mut r, &p.src_range, "--src-range");
        param(&mut r, &p.dst_range, "--dst-range");
    }
    if has("set") {
        param(&mut r, &p.match_set, "--match-set");
        match_set_flags(&mut r, p);
    } else if set(&p.match_set) {
        module(&mut r, true, "set");
        param(&mut r, &p.match_set, "--match-set");
        match_set_flags(&mut r, p);
    }
    module(&mut r, set(&p.limit) || set(&p.limit_burst), "limit");
    param(&mut r, &p.limit, "--limit");
    param(&mut r, &p.limit_burst, "--limit-burst");
    module(&mut r, set(&p.uid_owner), "owner");
    match_flag(&mut r, p.uid_owner.as_deref(), "--uid-owner", true);
    param(&mut r, &p.uid_owner, "--uid-owner");
    module(&mut r, set(&p.gid_owner), "owner");
    match_flag(&mut r, p.gid_owner.as_deref(), "--gid-owner", true);
    param(&mut r, &p.gid_owner, "--gid-owner");
    if p.jump.is_none() {
        jump(&mut r, set(&p.reject_with), "REJECT");
        jump(&mut r, set(&p.set_dscp_mark_class), "DSCP");
        jump(&mut r, set(&p.set_dscp_mark), "DSCP");
    }
    param(&mut r, &p.reject_with, "--reject-with");
    let icmp = match p.ip_version.as_str() {
        "ipv6" => "--icmpv6-type",
        "both" => "--icmp-type --icmpv6-type",
        _ => "--icmp-type",
    };
    param(&mut r, &p.icmp_type, icmp);
    module(&mut r, set(&p.comment), "comment");
    param(&mut r, &p.comment, "--comment");
    r
}

/// `append_match_flag(rule, 'match', match_set_flags, False)`: the flags word itself. Ansible
/// adds `None` when `match_set_flags` is missing and then fails joining the rule; the caller
/// refuses that case first.
fn match_set_flags(r: &mut Vec<String>, p: &RuleParams) {
    if let Some(flags) = &p.match_set_flags {
        r.push(flags.clone());
    }
}

/// What `push_arguments` builds around the rule: `-t TABLE ACTION [CHAIN] [NUM] [-w WAIT]`.
pub struct Command<'a> {
    pub table: &'a str,
    pub action: &'a str,
    pub chain: Option<&'a str>,
    pub rule_num: Option<&'a str>,
    pub wait: Option<&'a str>,
}

impl Command<'_> {
    /// The arguments after the program, with `rule` appended when given.
    pub fn words(&self, rule: Option<&[String]>) -> Vec<String> {
        let mut cmd = vec!["-t".to_string(), self.table.to_string(), self.action.to_string()];
        // run_command drops None arguments: no chain means all chains (`-F`).
        if let Some(chain) = self.chain {
            cmd.push(chain.to_string());
        }
        if self.action == "-I" {
            if let Some(n) = self.rule_num.filter(|n| !n.is_empty()) {
                cmd.push(n.to_string());
            }
        }
        if let Some(w) = self.wait.filter(|w| !w.is_empty()) {
            cmd.extend(["-w".to_string(), w.to_string()]);
        }
        if let Some(rule) = rule {
            cmd.extend(rule.iter().cloned());
        }
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> RuleParams {
        RuleParams {
            ip_version: "ipv4".into(),
            ..RuleParams::default()
        }
    }

    #[test]
    fn a_port_rule_in_ansibles_order() {
        let rule = RuleParams {
            protocol: Some("tcp".into()),
            destination_port: Some("22".into()),
            ctstate: vec!["NEW".into(), "ESTABLISHED".into()],
            jump: Some("ACCEPT".into()),
            comment: Some("ssh".into()),
            source: Some("!10.0.0.0/8".into()),
            ..p()
        };
        assert_eq!(
            construct(&rule).join(" "),
            "-p tcp ! -s 10.0.0.0/8 -j ACCEPT --destination-port 22 -m conntrack --ctstate NEW,ESTABLISHED \
             -m comment --comment ssh"
        );
    }

    #[test]
    fn implied_matches_and_jumps() {
        let rule = RuleParams {
            matches: vec!["state".into()],
            ctstate: vec!["NEW".into()],
            src_range: Some("10.0.0.1-10.0.0.9".into()),
            limit: Some("2/second".into()),
            uid_owner: Some("!1000".into()),
            reject_with: Some("tcp-reset".into()),
            syn: Syn::Negate,
            destination_ports: vec!["80".into(), "443:445".into()],
            ..p()
        };
        assert_eq!(
            construct(&rule).join(" "),
            "-m state -m multiport --dports 80,443:445 ! --syn --state NEW -m iprange --src-range \
             10.0.0.1-10.0.0.9 -m limit --limit 2/second -m owner ! --uid-owner 1000 -j REJECT \
             --reject-with tcp-reset"
        );
    }

    #[test]
    fn push_arguments_puts_number_and_wait_before_the_rule() {
        let c = Command {
            table: "nat",
            action: "-I",
            chain: Some("PREROUTING"),
            rule_num: Some("2"),
            wait: Some("5"),
        };
        assert_eq!(
            c.words(Some(&["-j".into(), "ACCEPT".into()])).join(" "),
            "-t nat -I PREROUTING 2 -w 5 -j ACCEPT"
        );
        let flush = Command {
            table: "filter",
            action: "-F",
            chain: None,
            rule_num: Some("2"),
            wait: None,
        };
        assert_eq!(flush.words(None).join(" "), "-t filter -F");
    }
}
