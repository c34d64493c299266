//! `playhook.yaml` in the bare repository: the rules mapping pushed refs to what to deploy.
//!
//! ```yaml
//! rules:
//!   - ref: main                  # a branch, a full ref (refs/tags/v*), or a glob with `*`
//!     environment: production    # lock and history name; default `default`
//!     playbook: deploy.yaml      # default: ansible.cfg's [playhook] playbook, else deploy.yaml, ...
//!     tags: [all]                # or "dns,web"; `git push -o tags=...` replaces them
//!     limit: production          # host pattern; `-o limit=...` narrows it further
//!     inventory: [inventory/]    # default: what ansible.cfg says
//!     check: false               # true: only ever a dry run
//! ```
//!
//! The first rule whose `ref` matches decides. Without the file, `main` and `master` deploy
//! everything. A top-level `keep_logs: N` keeps the logs of the last N deploys per environment
//! (default [`DEFAULT_KEEP_LOGS`]; 0 keeps every log).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::HookError;

/// The text `hook install` writes when the repository has no `playhook.yaml` yet.
pub const DEFAULT_FILE: &str = "\
# playhook: which pushed refs deploy what. The first rule whose `ref` matches decides;
# a pushed ref that matches no rule deploys nothing.
#
# Keys of a rule (all but `ref` optional):
#   ref:          branch name (main), full ref (refs/heads/main) or glob (release/*)
#   environment:  lock and history name: letters, digits, _ and - (default: default)
#   playbook:     playbook file (default: ansible.cfg's [playhook] playbook, else deploy.yaml)
#   tags:         tags to run (default: all); `git push -o tags=dns,web` replaces them
#   limit:        host pattern (default: all hosts); `git push -o limit=web1` narrows it
#   inventory:    inventory paths (default: what ansible.cfg says)
#   check:        true to only ever run in check mode (default: false)
#
# keep_logs: 100   logs of the last 100 deploys of each environment are kept (0: all)
rules:
  - ref: main
  - ref: master
";

/// One rule: a ref pattern and what a push to a matching ref deploys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The pattern as written (`main`, `refs/heads/main`, `release/*`).
    pub pattern: String,
    pub environment: String,
    pub playbook: Option<String>,
    /// Empty: everything.
    pub tags: Vec<String>,
    pub limit: Option<String>,
    pub inventory: Vec<String>,
    pub check: bool,
    /// Line of the rule in `playhook.yaml` (0 for the built-in defaults).
    pub line: usize,
}

impl Rule {
    /// A rule deploying everything for `pattern` in environment `default`.
    pub fn everything(pattern: &str) -> Self {
        Rule {
            pattern: pattern.to_string(),
            environment: DEFAULT_ENVIRONMENT.to_string(),
            playbook: None,
            tags: Vec::new(),
            limit: None,
            inventory: Vec::new(),
            check: false,
            line: 0,
        }
    }

    /// Whether a full ref name (`refs/heads/main`) matches this rule.
    pub fn matches(&self, refname: &str) -> bool {
        let full = if self.pattern.starts_with("refs/") {
            self.pattern.clone()
        } else {
            format!("refs/heads/{}", self.pattern)
        };
        glob_match(&full, refname)
    }
}

/// The environment of rules that name none.
pub const DEFAULT_ENVIRONMENT: &str = "default";

/// How many deploy logs of one environment are kept when the file does not say.
pub const DEFAULT_KEEP_LOGS: usize = 100;

/// The rules of one bare repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookConfig {
    pub rules: Vec<Rule>,
    /// Logs of the last `keep_logs` deploys of each environment are kept; 0 keeps all.
    pub keep_logs: usize,
    /// The file they came from, if any.
    pub path: Option<PathBuf>,
}

impl HookConfig {
    /// Reads `path`, or the default rules when it does not exist.
    pub fn load(path: &Path) -> Result<Self, HookError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::defaults()),
            Err(e) => Err(HookError::io("reading", path, e)),
        }
    }

    /// `main` and `master` deploy everything.
    pub fn defaults() -> Self {
        HookConfig {
            rules: vec![Rule::everything("main"), Rule::everything("master")],
            keep_logs: DEFAULT_KEEP_LOGS,
            path: None,
        }
    }

    /// Parses the text of `playhook.yaml`; `path` is for messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, HookError> {
        let err = |line: usize, message: String| HookError::Config {
            path: path.to_path_buf(),
            line,
            message,
        };
        let raw: RawConfig = serde_yaml_ng::from_str(text).map_err(|e| {
            let line = e.location().map_or(1, |l| l.line());
            err(
                line,
                format!("{e}; see the comment at the top of a fresh `playhook hook install` file"),
            )
        })?;
        let lines = rule_lines(text);
        let mut rules = Vec::new();
        for (i, r) in raw.rules.into_iter().enumerate() {
            let line = lines.get(i).copied().unwrap_or(1);
            if r.refname.trim().is_empty() {
                return Err(err(
                    line,
                    "`ref` is empty: give a branch name such as `main`".into(),
                ));
            }
            let environment = r.environment.unwrap_or_else(|| DEFAULT_ENVIRONMENT.to_string());
            // Names become lock file names: no `.`, which separates their suffixes.
            if environment.is_empty()
                || !environment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
            {
                return Err(err(
                    line,
                    format!("environment `{environment}`: use letters, digits, `_` and `-` only"),
                ));
            }
            let tags = r.tags.map(OneOrMany::into_list).unwrap_or_default();
            rules.push(Rule {
                pattern: r.refname.trim().to_string(),
                environment,
                playbook: r.playbook,
                tags: tags.into_iter().filter(|t| t != "all").collect(),
                limit: r.limit.filter(|l| !l.trim().is_empty()),
                inventory: r.inventory.map(OneOrMany::into_list).unwrap_or_default(),
                check: r.check.unwrap_or(false),
                line,
            });
        }
        Ok(HookConfig {
            rules,
            keep_logs: raw.keep_logs.unwrap_or(DEFAULT_KEEP_LOGS),
            path: Some(path.to_path_buf()),
        })
    }

    /// The first rule matching a full ref name.
    pub fn rule_for(&self, refname: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.matches(refname))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: Vec<RawRule>,
    keep_logs: Option<usize>,
    /// The pull agent's reboot requests (`agent::reboot::request` reads them).
    #[serde(default, rename = "reboots")]
    _reboots: serde::de::IgnoredAny,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(rename = "ref")]
    refname: String,
    environment: Option<String>,
    playbook: Option<String>,
    tags: Option<OneOrMany>,
    limit: Option<String>,
    inventory: Option<OneOrMany>,
    check: Option<bool>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_list(self) -> Vec<String> {
        let items = match self {
            OneOrMany::One(s) => s.split(',').map(str::to_string).collect(),
            OneOrMany::Many(v) => v,
        };
        items
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// Line numbers of the list items under `rules:`, in order (for messages).
fn rule_lines(text: &str) -> Vec<usize> {
    let mut in_rules = false;
    let mut indent = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let depth = line.len() - trimmed.len();
        if depth == 0 {
            in_rules = trimmed.starts_with("rules:");
            continue;
        }
        if in_rules && trimmed.starts_with('-') && *indent.get_or_insert(depth) == depth {
            out.push(i + 1);
        }
    }
    out
}

/// `*` matches any run of characters (including `/`); everything else literally.
fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_parses_to_the_defaults() {
        let c = HookConfig::parse(DEFAULT_FILE, Path::new("playhook.yaml")).expect("valid");
        assert_eq!(c.rules.len(), 2);
        assert!(c.rule_for("refs/heads/main").is_some());
        assert!(c.rule_for("refs/heads/master").is_some());
        assert!(c.rule_for("refs/heads/feature").is_none());
        assert_eq!(c.rules[0].line, 15);
        assert_eq!(c.keep_logs, DEFAULT_KEEP_LOGS);
        let kept = HookConfig::parse("keep_logs: 5\nrules: []\n", Path::new("p.yaml")).expect("valid");
        assert_eq!(kept.keep_logs, 5);
        // The pull agent's `reboots:` list shares the file.
        let text = "rules: []\nreboots:\n  - id: k\n    hosts: all\n    at: 2026-12-05 03:00\n";
        assert!(HookConfig::parse(text, Path::new("p.yaml")).is_ok());
        let err = HookConfig::parse("keep_logs: some\n", Path::new("p.yaml")).expect_err("not a number");
        assert!(err.to_string().contains("p.yaml"), "{err}");
    }

    #[test]
    fn rules_keep_their_fields_and_match_globs() {
        let text = "rules:\n  - ref: release/*\n    environment: staging\n    tags: dns, web\n    limit: staging\n  - ref: refs/tags/v*\n    tags: [all]\n    inventory: inv/prod\n    check: true\n";
        let c = HookConfig::parse(text, Path::new("p.yaml")).expect("valid");
        let r = c.rule_for("refs/heads/release/1.2").expect("matches");
        assert_eq!(r.environment, "staging");
        assert_eq!(r.tags, vec!["dns", "web"]);
        assert_eq!(r.limit.as_deref(), Some("staging"));
        assert_eq!(r.line, 2);
        let t = c.rule_for("refs/tags/v1").expect("tag rule");
        assert!(t.tags.is_empty());
        assert_eq!(t.inventory, vec!["inv/prod"]);
        assert!(t.check);
        assert_eq!(t.line, 6);
        assert!(c.rule_for("refs/heads/main").is_none());
    }

    #[test]
    fn unknown_keys_and_bad_environments_name_the_line() {
        let e = HookConfig::parse("rules:\n  - ref: main\n    tag: dns\n", Path::new("p.yaml"))
            .expect_err("unknown key");
        let msg = e.to_string();
        assert!(msg.starts_with("p.yaml:"), "{msg}");
        assert!(msg.contains("tag"), "{msg}");
        let e = HookConfig::parse(
            "rules:\n  - ref: main\n  - ref: x\n    environment: a.b\n",
            Path::new("p.yaml"),
        )
        .expect_err("bad environment");
        assert!(e.to_string().starts_with("p.yaml:3: environment `a.b`"), "{e}");
    }

    #[test]
    fn globs() {
        assert!(glob_match("refs/heads/*", "refs/heads/a/b"));
        assert!(glob_match("refs/heads/r*-x", "refs/heads/r1-x"));
        assert!(!glob_match("refs/heads/r*-x", "refs/heads/r1-y"));
        assert!(!glob_match("refs/heads/main", "refs/heads/main2"));
    }
}
