//! What one push asks for: the `old new ref` lines git gives the hook, matched against the rules.

use super::HookError;
use super::config::{HookConfig, Rule};

/// One line of the hook's standard input: a ref moved from `old` to `new`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefUpdate {
    pub old: String,
    pub new: String,
    pub refname: String,
}

impl RefUpdate {
    /// A push that deletes the ref (the new id is all zeros).
    pub fn is_delete(&self) -> bool {
        self.new.bytes().all(|b| b == b'0')
    }
}

/// Parses every `old new ref` line (blank lines are ignored).
pub fn parse_updates(text: &str) -> Result<Vec<RefUpdate>, HookError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [] => {}
            [old, new, refname] if is_oid(old) && is_oid(new) => out.push(RefUpdate {
                old: old.to_string(),
                new: new.to_string(),
                refname: refname.to_string(),
            }),
            _ => {
                return Err(HookError::Invalid(format!(
                    "standard input line {}: expected `OLD NEW REF` as git gives hooks, got `{line}`",
                    i + 1
                )));
            }
        }
    }
    Ok(out)
}

fn is_oid(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What the hook does with one pushed ref.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Deploy `update.new` with `rule`.
    Deploy { update: RefUpdate, rule: Box<Rule> },
    /// No rule matches: `No rule to deploy <ref>`.
    NoRule { refname: String },
    /// The ref was deleted: nothing to deploy.
    Deleted { refname: String },
}

/// Decides, in push order, what each ref update does.
pub fn decide(config: &HookConfig, updates: &[RefUpdate]) -> Vec<Decision> {
    updates
        .iter()
        .map(|u| match config.rule_for(&u.refname) {
            _ if u.is_delete() => Decision::Deleted {
                refname: u.refname.clone(),
            },
            Some(rule) => Decision::Deploy {
                update: u.clone(),
                rule: Box::new(rule.clone()),
            },
            None => Decision::NoRule {
                refname: u.refname.clone(),
            },
        })
        .collect()
}

/// Who pushed, as git or the SSH layer tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pusher {
    pub name: String,
    /// Where the name came from: `GL_USER`, `push certificate`, `USER`.
    pub source: String,
}

impl Pusher {
    /// Looks the pusher up through `var` (the caller's environment): `GL_USER` (GitLab,
    /// gitolite), a good push certificate's signer, then the login `USER`/`LOGNAME`.
    pub fn find(var: impl Fn(&str) -> Option<String>) -> Option<Pusher> {
        let found = |name: Option<String>, source: &str| {
            name.filter(|n| !n.trim().is_empty()).map(|n| Pusher {
                name: n,
                source: source.to_string(),
            })
        };
        found(var("GL_USER"), "GL_USER")
            .or_else(|| {
                let good = var("GIT_PUSH_CERT_STATUS").as_deref() == Some("G");
                found(var("GIT_PUSH_CERT_SIGNER").filter(|_| good), "push certificate")
            })
            .or_else(|| found(var("USER"), "USER"))
            .or_else(|| found(var("LOGNAME"), "LOGNAME"))
    }
}

/// The push options through `var`: `GIT_PUSH_OPTION_COUNT` and `GIT_PUSH_OPTION_<n>`.
pub fn raw_push_options(var: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let count: usize = var("GIT_PUSH_OPTION_COUNT")
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(0);
    (0..count)
        .filter_map(|i| var(&format!("GIT_PUSH_OPTION_{i}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const Z: &str = "0000000000000000000000000000000000000000";

    #[test]
    fn every_line_is_decided_in_order() {
        let input =
            format!("{A} {B} refs/heads/main\n{A} {B} refs/heads/topic\n\n{A} {Z} refs/heads/master\n");
        let updates = parse_updates(&input).expect("valid");
        assert_eq!(updates.len(), 3);
        let d = decide(&HookConfig::defaults(), &updates);
        assert!(matches!(&d[0], Decision::Deploy { update, .. } if update.new == B));
        assert_eq!(
            d[1],
            Decision::NoRule {
                refname: "refs/heads/topic".into()
            }
        );
        assert_eq!(
            d[2],
            Decision::Deleted {
                refname: "refs/heads/master".into()
            }
        );
    }

    #[test]
    fn garbage_input_names_the_line() {
        let e = parse_updates(&format!("{A} {B} refs/heads/main\nnonsense\n")).expect_err("bad");
        assert!(e.to_string().contains("line 2"), "{e}");
        let _ = HookConfig::load(Path::new("/nonexistent/playhook.yaml")).expect("defaults");
    }

    #[test]
    fn pusher_and_options_from_variables() {
        let vars: HashMap<&str, &str> = [
            ("USER", "git"),
            ("GIT_PUSH_CERT_SIGNER", "Alice <a@x>"),
            ("GIT_PUSH_CERT_STATUS", "G"),
            ("GIT_PUSH_OPTION_COUNT", "2"),
            ("GIT_PUSH_OPTION_0", "tags=dns"),
            ("GIT_PUSH_OPTION_1", "check"),
        ]
        .into_iter()
        .collect();
        let var = |k: &str| vars.get(k).map(|v| v.to_string());
        let p = Pusher::find(var).expect("found");
        assert_eq!(
            (p.name.as_str(), p.source.as_str()),
            ("Alice <a@x>", "push certificate")
        );
        assert_eq!(raw_push_options(var), vec!["tags=dns", "check"]);
        let p = Pusher::find(|k| (k == "USER").then(|| "bob".to_string())).expect("found");
        assert_eq!(p.source, "USER");
    }
}
