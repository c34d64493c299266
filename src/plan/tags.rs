//! Tag selection with Ansible's rules: `--tags`/`--skip-tags`, and the special tags `always`,
//! `never`, `all`, `tagged` and `untagged`.

use std::collections::BTreeSet;

/// The `--tags` and `--skip-tags` of a run.
#[derive(Clone, Debug, Default)]
pub struct TagFilter {
    /// Tags to run; empty means `all`.
    pub only: BTreeSet<String>,
    pub skip: BTreeSet<String>,
}

impl TagFilter {
    pub fn new(only: impl IntoIterator<Item = String>, skip: impl IntoIterator<Item = String>) -> Self {
        let split = |items: Vec<String>| -> BTreeSet<String> {
            items
                .iter()
                .flat_map(|s| s.split(','))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        TagFilter {
            only: split(only.into_iter().collect()),
            skip: split(skip.into_iter().collect()),
        }
    }

    /// Whether a task with `tags` runs, as Ansible's `Taggable.evaluate_tags` decides.
    pub fn selects(&self, tags: &[String]) -> bool {
        let untagged = tags.is_empty();
        let has = |t: &str| tags.iter().any(|x| x == t);
        let only_all = self.only.is_empty() || self.only.contains("all");
        let run = has("always")
            || (only_all && !has("never"))
            || tags.iter().any(|t| self.only.contains(t))
            || (self.only.contains("untagged") && untagged)
            || (self.only.contains("tagged") && !untagged && !has("never"));
        if !run || self.skip.is_empty() {
            return run;
        }
        if self.skip.contains("all") {
            return has("always") && !self.skip.contains("always");
        }
        let skipped = tags.iter().any(|t| self.skip.contains(t))
            || (untagged && self.skip.contains("untagged"))
            || (self.skip.contains("tagged") && !untagged);
        !skipped
    }

    /// Tags asked for that no task has (Ansible warns about these).
    pub fn unmatched<'a>(&'a self, known: &'a BTreeSet<String>) -> impl Iterator<Item = &'a String> + 'a {
        const SPECIAL: &[&str] = &["all", "always", "never", "tagged", "untagged"];
        self.only
            .iter()
            .filter(move |t| !known.contains(*t) && !SPECIAL.contains(&t.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn filter(only: &[&str], skip: &[&str]) -> TagFilter {
        TagFilter::new(tags(only), tags(skip))
    }

    #[test]
    fn everything_but_never_runs_by_default() {
        let all = filter(&[], &[]);
        assert!(all.selects(&tags(&[])));
        assert!(all.selects(&tags(&["web"])));
        assert!(!all.selects(&tags(&["never"])));
        assert!(all.selects(&tags(&["never", "always"])));
    }

    #[test]
    fn only_tags_select_matching_always_and_requested_never() {
        let dns = filter(&["dns"], &[]);
        assert!(dns.selects(&tags(&["dns"])));
        assert!(!dns.selects(&tags(&["web"])));
        assert!(!dns.selects(&tags(&[])));
        assert!(dns.selects(&tags(&["always"])));
        assert!(filter(&["debug"], &[]).selects(&tags(&["never", "debug"])));
        assert!(filter(&["tagged"], &[]).selects(&tags(&["x"])));
        assert!(!filter(&["tagged"], &[]).selects(&tags(&[])));
        assert!(filter(&["untagged"], &[]).selects(&tags(&[])));
        assert!(filter(&["a,b"], &[]).selects(&tags(&["b"])));
    }

    #[test]
    fn skip_tags_win_except_always_under_skip_all() {
        assert!(!filter(&[], &["web"]).selects(&tags(&["web", "dns"])));
        assert!(filter(&[], &["all"]).selects(&tags(&["always"])));
        assert!(!filter(&[], &["all", "always"]).selects(&tags(&["always"])));
        assert!(!filter(&[], &["always"]).selects(&tags(&["always"])));
        assert!(!filter(&[], &["untagged"]).selects(&tags(&[])));
    }
}
