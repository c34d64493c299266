//! The pam.d service file as community.general.pamd models it: a doubly linked list of lines
//! (comments, `@include`s, empty lines, rules parsed by the module's regular expression), the
//! module's edits done with the very same link updates (so its quirks stay: inserting next to a
//! rule drops the comments between it and the neighbouring rule), its validation, and its
//! writer (rules as `{type:<11}{control} {path} {args}`, the `# Updated by Ansible - TIME`
//! mark as the second line).

use std::collections::{BTreeMap, BTreeSet};

use fancy_regex::Regex;

use crate::modules::commands::words::python_splitlines;

pub const VALID_TYPES: &[&str] = &[
    "account",
    "-account",
    "auth",
    "-auth",
    "password",
    "-password",
    "session",
    "-session",
];
const SIMPLE_CONTROLS: &[&str] = &[
    "required",
    "requisite",
    "sufficient",
    "optional",
    "include",
    "substack",
    "definitive",
];
const CONTROL_VALUES: &[&str] = &[
    "success",
    "open_err",
    "symbol_err",
    "service_err",
    "system_err",
    "buf_err",
    "perm_denied",
    "auth_err",
    "cred_insufficient",
    "authinfo_unavail",
    "user_unknown",
    "maxtries",
    "new_authtok_reqd",
    "acct_expired",
    "session_err",
    "cred_unavail",
    "cred_expired",
    "cred_err",
    "no_module_data",
    "conv_err",
    "authtok_err",
    "authtok_recover_err",
    "authtok_lock_busy",
    "authtok_disable_aging",
    "try_again",
    "ignore",
    "abort",
    "authtok_expired",
    "module_unknown",
    "bad_item",
    "conv_again",
    "incomplete",
    "default",
];
const CONTROL_ACTIONS: &[&str] = &["ignore", "bad", "die", "ok", "done", "reset"];

const RULE: &str = r"(-?(?:auth|account|session|password))\s+(\[.*\]|\S*)\s+(\S*)\s*(.*)\s*";
const ARG: &str = r"(\[.*\]|\S*)";

/// A rule's control: a word, or the bracketed `value=action` list.
#[derive(Clone, Debug, PartialEq)]
enum Control {
    Simple(String),
    Complex(Vec<String>),
}

impl Control {
    /// The module's `rule_control` setter.
    fn parse(s: &str) -> Control {
        if s.starts_with('[') {
            let inner = s.replace(" = ", "=").replace(['[', ']'], "");
            Control::Complex(inner.split(' ').map(str::to_string).collect())
        } else {
            Control::Simple(s.to_string())
        }
    }

    fn text(&self) -> String {
        match self {
            Control::Simple(s) => s.clone(),
            Control::Complex(parts) => format!("[{}]", parts.join(" ")),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Rule {
    kind: String,
    control: Control,
    path: String,
    args: Vec<String>,
}

impl Rule {
    pub fn new(kind: &str, control: &str, path: &str, args: &[String]) -> Result<Rule, String> {
        Ok(Rule {
            kind: kind.to_string(),
            control: Control::parse(control),
            path: path.to_string(),
            args: parse_args(args)?,
        })
    }

    fn matches(&self, kind: &str, control: &str, path: &str) -> bool {
        self.kind == kind && self.control.text() == control && self.path == path
    }

    fn text(&self) -> String {
        let head = format!("{:<11}{} {}", self.kind, self.control.text(), self.path);
        if self.args.is_empty() {
            head
        } else {
            format!("{head} {}", self.args.join(" "))
        }
    }

    /// The module's `PamdRule.validate`.
    fn validate(&self) -> Result<(), String> {
        if !VALID_TYPES.contains(&self.kind.as_str()) {
            return Err(format!(
                "Rule type, {}, is not valid in rule {}",
                self.kind,
                self.text()
            ));
        }
        match &self.control {
            Control::Simple(c) if !SIMPLE_CONTROLS.contains(&c.as_str()) => {
                Err(format!("Rule control, {c}, is not valid in rule {}", self.text()))
            }
            Control::Simple(_) => Ok(()),
            Control::Complex(parts) => {
                for part in parts {
                    let fields: Vec<&str> = part.split('=').collect();
                    let [value, action] = fields[..] else {
                        return Err(format!(
                            "the control {part:?} of rule {} is not value=action (the module fails \
                             with a Python error here)",
                            self.text()
                        ));
                    };
                    if !CONTROL_VALUES.contains(&value) {
                        return Err(format!(
                            "Rule control value, {value}, is not valid in rule {}",
                            self.text()
                        ));
                    }
                    let number = action.trim().parse::<i64>().is_ok_and(|n| n >= 0);
                    if !CONTROL_ACTIONS.contains(&action) && !number {
                        return Err(format!(
                            "Rule control action, {action}, is not valid in rule {}",
                            self.text()
                        ));
                    }
                }
                Ok(())
            }
        }
    }
}

/// One line of the file.
#[derive(Clone, Debug)]
enum Line {
    Comment(String),
    Include(String),
    Empty(String),
    Rule(Rule),
}

impl Line {
    fn text(&self) -> String {
        match self {
            Line::Comment(s) | Line::Include(s) | Line::Empty(s) => s.clone(),
            Line::Rule(r) => r.text(),
        }
    }

    fn matches(&self, kind: &str, control: &str, path: &str) -> bool {
        matches!(self, Line::Rule(r) if r.matches(kind, control, path))
    }

    fn is_comment_or_empty(&self) -> bool {
        matches!(self, Line::Comment(_) | Line::Empty(_))
    }

    /// The module's `validate` of each line kind (a comment or include indented by blanks is
    /// invalid, as the module finds).
    fn validate(&self) -> Result<(), String> {
        let ok = match self {
            Line::Comment(s) => s.starts_with('#'),
            Line::Include(s) => s.starts_with("@include"),
            Line::Empty(s) => s.trim().is_empty(),
            Line::Rule(r) => return r.validate(),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("Rule is not valid {}", self.text()))
        }
    }
}

struct Node {
    line: Line,
    prev: Option<usize>,
    next: Option<usize>,
}

/// The module's `PamdService`.
pub struct Service {
    nodes: Vec<Node>,
    head: Option<usize>,
    tail: Option<usize>,
}

/// The module's `parse_module_arguments` of a list of strings.
pub fn parse_args(args: &[String]) -> Result<Vec<String>, String> {
    if args.len() == 1 && args[0].is_empty() {
        return Ok(Vec::new());
    }
    let re = Regex::new(ARG).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for arg in args {
        for m in re.find_iter(arg) {
            let m = m.map_err(|e| e.to_string())?;
            if !m.as_str().is_empty() {
                out.push(m.as_str().to_string());
            }
        }
    }
    Ok(out)
}

impl Service {
    /// Parses `content` as the module does; a line no rule pattern matches fails it, as it fails
    /// the module.
    pub fn parse(content: &str) -> Result<Service, String> {
        let re = Regex::new(RULE).map_err(|e| e.to_string())?;
        let mut s = Service {
            nodes: Vec::new(),
            head: None,
            tail: None,
        };
        for line in python_splitlines(content) {
            let left = line.trim_start();
            let parsed = if left.starts_with('#') {
                Line::Comment(line)
            } else if left.starts_with("@include") {
                Line::Include(line)
            } else if line.trim().is_empty() {
                Line::Empty(line)
            } else {
                let caps = re
                    .captures(&line)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("the line {line:?} is no PAM rule the module can parse"))?;
                let g = |i: usize| caps.get(i).map(|m| m.as_str()).unwrap_or_default();
                Line::Rule(Rule::new(g(1), g(2), g(3), &[g(4).to_string()])?)
            };
            s.append(parsed);
        }
        Ok(s)
    }

    fn push(&mut self, line: Line) -> usize {
        self.nodes.push(Node {
            line,
            prev: None,
            next: None,
        });
        self.nodes.len() - 1
    }

    fn append(&mut self, line: Line) {
        let i = self.push(line);
        match self.tail {
            None => (self.head, self.tail) = (Some(i), Some(i)),
            Some(t) => {
                self.nodes[i].prev = Some(t);
                self.nodes[t].next = Some(i);
                self.tail = Some(i);
            }
        }
    }

    fn walk(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut cur = self.head;
        while let Some(i) = cur {
            out.push(i);
            cur = self.nodes[i].next;
        }
        out
    }

    fn get(&self, kind: &str, control: &str, path: &str) -> Vec<usize> {
        self.walk()
            .into_iter()
            .filter(|i| self.nodes[*i].line.matches(kind, control, path))
            .collect()
    }

    fn rule(&mut self, i: usize) -> &mut Rule {
        match &mut self.nodes[i].line {
            Line::Rule(r) => r,
            _ => unreachable!("get() returns rules only"),
        }
    }

    /// `state: absent`.
    pub fn remove(&mut self, kind: &str, control: &str, path: &str) -> Result<usize, String> {
        let mut changed = 0;
        let mut cur = self.head;
        while let Some(i) = cur {
            if self.nodes[i].line.matches(kind, control, path) {
                let (prev, next) = (self.nodes[i].prev, self.nodes[i].next);
                if let Some(p) = prev {
                    self.nodes[p].next = next;
                    if let Some(n) = next {
                        self.nodes[n].prev = prev;
                    }
                } else {
                    let n =
                        next.ok_or("the only line of the file cannot be removed (the module fails here)")?;
                    self.head = Some(n);
                    self.nodes[n].prev = None;
                }
                changed += 1;
            }
            cur = self.nodes[i].next;
        }
        Ok(changed)
    }

    /// `state: updated`; `args` None leaves the arguments alone.
    pub fn update(
        &mut self,
        find: [&str; 3],
        new: [Option<&str>; 3],
        args: Option<&[String]>,
    ) -> Result<usize, String> {
        let args = args.map(parse_args).transpose()?;
        let mut changes = 0;
        for i in self.get(find[0], find[1], find[2]) {
            let r = self.rule(i);
            let mut changed = false;
            if let Some(t) = new[0].filter(|t| !t.is_empty()) {
                changed |= r.kind != t;
                r.kind = t.to_string();
            }
            if let Some(c) = new[1].filter(|c| !c.is_empty()) {
                if r.control.text() != c {
                    changed = true;
                    r.control = Control::parse(c);
                }
            }
            if let Some(p) = new[2].filter(|p| !p.is_empty()) {
                changed |= r.path != p;
                r.path = p.to_string();
            }
            if let Some(a) = &args {
                if r.args != *a {
                    changed = true;
                    r.args = parse_args(a)?;
                }
            }
            changes += usize::from(changed);
        }
        Ok(changes)
    }

    /// `state: before`.
    pub fn insert_before(&mut self, find: [&str; 3], new: &Rule) -> usize {
        let mut changes = 0;
        for cur in self.get(find[0], find[1], find[2]) {
            let n = self.push(Line::Rule(new.clone()));
            let mut prev = self.nodes[cur].prev;
            while let Some(p) = prev.filter(|p| self.nodes[*p].line.is_comment_or_empty()) {
                prev = self.nodes[p].prev;
            }
            match prev {
                Some(p)
                    if !self.nodes[p]
                        .line
                        .matches(&new.kind, &new.control.text(), &new.path) =>
                {
                    self.nodes[p].next = Some(n);
                    self.nodes[n].prev = Some(p);
                    self.nodes[n].next = Some(cur);
                    self.nodes[cur].prev = Some(n);
                    changes += 1;
                }
                Some(_) => {}
                None => {
                    match self.nodes[cur].prev {
                        None => self.head = Some(n),
                        Some(p) => self.nodes[p].next = Some(n),
                    }
                    self.nodes[n].prev = self.nodes[cur].prev;
                    self.nodes[n].next = Some(cur);
                    self.nodes[cur].prev = Some(n);
                    changes += 1;
                }
            }
        }
        changes
    }

    /// `state: after`.
    pub fn insert_after(&mut self, find: [&str; 3], new: &Rule) -> usize {
        let mut changes = 0;
        for cur in self.get(find[0], find[1], find[2]) {
            let mut next = self.nodes[cur].next;
            while let Some(x) = next.filter(|x| self.nodes[*x].line.is_comment_or_empty()) {
                next = self.nodes[x].next;
            }
            let n = self.push(Line::Rule(new.clone()));
            match next {
                Some(x)
                    if !self.nodes[x]
                        .line
                        .matches(&new.kind, &new.control.text(), &new.path) =>
                {
                    self.nodes[x].prev = Some(n);
                    self.nodes[n].next = Some(x);
                    self.nodes[n].prev = Some(cur);
                    self.nodes[cur].next = Some(n);
                    changes += 1;
                }
                Some(_) => {}
                None => {
                    self.nodes[n].prev = self.tail;
                    self.nodes[n].next = None;
                    if let Some(t) = self.tail {
                        self.nodes[t].next = Some(n);
                    }
                    self.tail = Some(n);
                    self.nodes[cur].next = Some(n);
                    changes += 1;
                }
            }
        }
        changes
    }

    /// `state: args_present`. Arguments new to a rule are added in the order given (the module
    /// adds them in Python's set order, which varies from run to run when there are several).
    pub fn add_args(&mut self, find: [&str; 3], args: &[String]) -> Result<usize, String> {
        let args = parse_args(args)?;
        let split = |a: &str| -> Result<(String, String), String> {
            let parts: Vec<&str> = a.split('=').collect();
            match parts[..] {
                [k, v] => Ok((k.to_string(), v.to_string())),
                _ => Err(format!(
                    "the argument {a:?} has more than one '=' (the module fails with a Python error here)"
                )),
            }
        };
        let (mut simple_new, mut kv_new) = (Vec::<String>::new(), Vec::<(String, String)>::new());
        for a in args.iter().filter(|a| !a.starts_with('[')) {
            if a.contains('=') {
                let (k, v) = split(a)?;
                match kv_new.iter_mut().find(|(key, _)| *key == k) {
                    Some(e) => e.1 = v,
                    None => kv_new.push((k, v)),
                }
            } else if !simple_new.contains(a) {
                simple_new.push(a.clone());
            }
        }
        let mut changes = 0;
        for i in self.get(find[0], find[1], find[2]) {
            let r = self.rule(i);
            let mut simple_cur = BTreeSet::new();
            let mut kv_cur = BTreeMap::new();
            for a in r.args.iter().filter(|a| !a.starts_with('[')) {
                if a.contains('=') {
                    let (k, v) = split(a)?;
                    kv_cur.insert(k, v);
                } else {
                    simple_cur.insert(a.clone());
                }
            }
            let mut add: Vec<String> = simple_new
                .iter()
                .filter(|a| !simple_cur.contains(*a))
                .cloned()
                .collect();
            add.extend(
                kv_new
                    .iter()
                    .filter(|(k, _)| !kv_cur.contains_key(k))
                    .map(|(k, v)| format!("{k}={v}")),
            );
            let mut changed = !add.is_empty();
            if changed {
                r.args.extend(add);
                r.args = parse_args(&r.args)?;
            }
            for (k, v) in &kv_new {
                if let Some(old) = kv_cur.get(k).filter(|old| *old != v) {
                    let was = format!("{k}={old}");
                    if let Some(pos) = r.args.iter().position(|a| *a == was) {
                        r.args[pos] = format!("{k}={v}");
                    }
                    changed = true;
                }
            }
            changes += usize::from(changed);
        }
        Ok(changes)
    }

    /// `state: args_absent`.
    pub fn remove_args(&mut self, find: [&str; 3], args: &[String]) -> Result<usize, String> {
        let args = parse_args(args)?;
        let mut changes = 0;
        for i in self.get(find[0], find[1], find[2]) {
            let r = self.rule(i);
            if !r.args.iter().any(|a| args.contains(a)) {
                continue;
            }
            r.args.retain(|a| !args.contains(a));
            changes += 1;
        }
        Ok(changes)
    }

    /// The module's `validate`: the first invalid line's message.
    pub fn validate(&self) -> Result<(), String> {
        self.walk()
            .into_iter()
            .try_for_each(|i| self.nodes[i].line.validate())
    }

    /// The file as the module writes it, `now` the time of its mark (Python's `isoformat`).
    pub fn render(&self, now: &str) -> String {
        let mut lines: Vec<String> = self
            .walk()
            .into_iter()
            .map(|i| self.nodes[i].line.text())
            .collect();
        let mark = format!("# Updated by Ansible - {now}");
        if lines.len() <= 1 {
            lines.insert(0, String::new());
            lines.insert(1, mark);
        } else if lines[1].starts_with("# Updated by Ansible") {
            lines[1] = mark;
        } else {
            lines.insert(1, mark);
        }
        format!("{}\n", lines.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTH: &str = "#\n# common-auth\n#\nauth\t[success=1 default=ignore]\tpam_unix.so nullok\n\
        # here's the fallback\nauth\trequisite\t\t\tpam_deny.so\n\nauth\trequired\t\t\tpam_permit.so\n";

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rules_are_rewritten_as_the_module_writes_them() {
        let mut s = Service::parse(AUTH).expect("test input");
        assert_eq!(s.validate(), Ok(()));
        let n = s
            .update(
                ["auth", "requisite", "pam_deny.so"],
                [None, Some("required"), None],
                None,
            )
            .expect("test input");
        assert_eq!(n, 1);
        assert_eq!(
            s.render("T"),
            "#\n# Updated by Ansible - T\n# common-auth\n#\nauth       [success=1 default=ignore] pam_unix.so nullok\n\
             # here's the fallback\nauth       required pam_deny.so\n\nauth       required pam_permit.so\n"
        );
    }

    #[test]
    fn inserting_drops_the_comments_between_the_rules_as_the_module_does() {
        let mut s = Service::parse(AUTH).expect("test input");
        let new = Rule::new("auth", "optional", "pam_faildelay.so", &v(&["delay=1"])).expect("test input");
        assert_eq!(s.insert_before(["auth", "requisite", "pam_deny.so"], &new), 1);
        assert_eq!(s.insert_before(["auth", "requisite", "pam_deny.so"], &new), 0);
        let text = s.render("T");
        assert!(
            text.contains(
                "nullok\nauth       optional pam_faildelay.so delay=1\nauth       requisite pam_deny.so\n"
            ),
            "{text}"
        );
        let mut s = Service::parse(AUTH).expect("test input");
        let new = Rule::new("session", "optional", "pam_x.so", &[]).expect("test input");
        assert_eq!(s.insert_after(["auth", "required", "pam_permit.so"], &new), 1);
        assert!(
            s.render("T")
                .ends_with("pam_permit.so\nsession    optional pam_x.so\n")
        );
    }

    #[test]
    fn arguments_are_added_replaced_and_removed() {
        let mut s = Service::parse(AUTH).expect("test input");
        let find = ["auth", "[success=1 default=ignore]", "pam_unix.so"];
        assert_eq!(
            s.add_args(find, &v(&["try_first_pass", "rounds=5"]))
                .expect("test input"),
            1
        );
        assert_eq!(s.add_args(find, &v(&["rounds=6"])).expect("test input"), 1);
        assert_eq!(s.add_args(find, &v(&["nullok"])).expect("test input"), 0);
        assert_eq!(s.remove_args(find, &v(&["nullok"])).expect("test input"), 1);
        assert!(s.render("T").contains("pam_unix.so try_first_pass rounds=6\n"));
    }

    #[test]
    fn invalid_lines_fail_as_the_module_fails() {
        let s = Service::parse("auth bogus pam_x.so\n").expect("test input");
        assert_eq!(
            s.validate(),
            Err("Rule control, bogus, is not valid in rule auth       bogus pam_x.so".into())
        );
        let s = Service::parse("  # indented\n").expect("test input");
        assert_eq!(s.validate(), Err("Rule is not valid   # indented".into()));
        assert!(Service::parse("nonsense\n").is_err());
    }
}
