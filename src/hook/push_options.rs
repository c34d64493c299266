//! `git push -o ...`: the options a pusher gives one deploy.
//!
//! git hands them to the hooks as `GIT_PUSH_OPTION_COUNT` and `GIT_PUSH_OPTION_<n>` when the
//! repository sets `receive.advertisePushOptions` (which `hook install` does).

use super::HookError;

/// What the pusher asked for with `-o`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PushOptions {
    /// `tags=dns,web`: replaces the rule's tags.
    pub tags: Option<Vec<String>>,
    /// `limit=PATTERN`: narrows the rule's hosts.
    pub limit: Option<String>,
    /// `check`: dry run.
    pub check: bool,
    /// `diff`: show file differences.
    pub diff: bool,
    /// `no-color`: plain output.
    pub no_color: bool,
}

/// The options playhook understands, for messages.
pub const SUPPORTED: &str = "tags=TAG,TAG  limit=PATTERN  check  diff  no-color";

impl PushOptions {
    /// Parses the raw option strings in the order given.
    pub fn parse(raw: &[String]) -> Result<Self, HookError> {
        let mut out = PushOptions::default();
        for opt in raw {
            let (key, value) = match opt.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (opt.trim(), None),
            };
            match (key, value) {
                ("tags", Some(v)) => {
                    let tags: Vec<String> = v
                        .split(',')
                        .map(|t| t.trim().to_string())
                        .filter(|t| !t.is_empty())
                        .collect();
                    if tags.is_empty() {
                        return Err(bad(opt, "give at least one tag, e.g. `-o tags=dns,web`"));
                    }
                    out.tags = Some(tags.into_iter().filter(|t| t != "all").collect());
                }
                ("limit", Some(v)) if !v.is_empty() => out.limit = Some(v.to_string()),
                ("limit", _) => return Err(bad(opt, "give a host pattern, e.g. `-o limit=web1`")),
                ("check", None) => out.check = true,
                ("diff", None) => out.diff = true,
                ("no-color" | "no-colour", None) => out.no_color = true,
                _ => return Err(bad(opt, &format!("playhook understands: {SUPPORTED}"))),
            }
        }
        Ok(out)
    }
}

fn bad(opt: &str, what: &str) -> HookError {
    HookError::Invalid(format!(
        "push option `{opt}` is not understood: {what}; nothing was deployed"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(opts: &[&str]) -> Result<PushOptions, HookError> {
        PushOptions::parse(&opts.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn known_options() {
        let o = parse(&["tags=dns, web", "limit=web1", "check", "diff", "no-color"]).expect("valid");
        assert_eq!(o.tags, Some(vec!["dns".to_string(), "web".to_string()]));
        assert_eq!(o.limit.as_deref(), Some("web1"));
        assert!(o.check && o.diff && o.no_color);
        assert_eq!(parse(&["tags=all"]).expect("valid").tags, Some(vec![]));
    }

    #[test]
    fn unknown_options_are_errors_naming_the_option() {
        let e = parse(&["force"]).expect_err("unknown");
        assert!(e.to_string().contains("`force`"), "{e}");
        assert!(e.to_string().contains("tags=TAG"), "{e}");
        assert!(parse(&["tags="]).is_err());
        assert!(parse(&["check=yes"]).is_err());
    }
}
