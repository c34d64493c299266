//! How the applied commit relates to the fetched one, and what a pass does about it.
//!
//! | comparison | the applied commit ... | pass |
//! |---|---|---|
//! | first | none yet | apply |
//! | up to date | is the fetched one | nothing (a drift pass when scheduled) |
//! | fast-forward | is an ancestor of the fetched one | apply |
//! | rewound | descends from the fetched one, on the same branch (force-pushed back) | refuse; apply with `allow_rewind` |
//! | local ahead | descends from the fetched one, applied from elsewhere (another branch, a rollback) | refuse; apply with `allow_rewind` |
//! | diverged | neither (history rewritten, or unknown here) | refuse; apply with `allow_rewind` |

pub use super::report::Comparison;

/// Decides the comparison. `is_ancestor(a, b)` says whether `a` is an ancestor of `b`
/// (`None`: a commit unknown to the mirror). `same_branch`: the applied commit came from the
/// branch now fetched.
pub fn compare(
    applied: Option<&str>,
    fetched: &str,
    same_branch: bool,
    is_ancestor: impl Fn(&str, &str) -> Option<bool>,
) -> Comparison {
    let Some(applied) = applied else {
        return Comparison::First;
    };
    if applied == fetched {
        return Comparison::UpToDate;
    }
    match (is_ancestor(applied, fetched), is_ancestor(fetched, applied)) {
        (Some(true), _) => Comparison::FastForward,
        (_, Some(true)) if same_branch => Comparison::Rewound,
        (_, Some(true)) => Comparison::LocalAhead,
        _ => Comparison::Diverged,
    }
}

/// Whether a pass applies the fetched commit.
pub fn applies(c: Comparison, allow_rewind: bool) -> bool {
    match c {
        Comparison::First | Comparison::FastForward => true,
        Comparison::UpToDate => false,
        Comparison::Rewound | Comparison::LocalAhead | Comparison::Diverged => allow_rewind,
    }
}

/// The comparison in words, for logs and status.
pub fn describe(c: Comparison) -> &'static str {
    match c {
        Comparison::First => "first pass: nothing applied yet",
        Comparison::UpToDate => "up to date",
        Comparison::FastForward => "fast-forward",
        Comparison::LocalAhead => {
            "local ahead: the applied commit is not on the branch but descends from its head"
        }
        Comparison::Diverged => "diverged: the applied commit and the branch head have each moved on",
        Comparison::Rewound => "rewound: the branch was force-pushed back to an older commit",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// History: a <- b <- c on the branch, x forked from a.
    fn ancestry(a: &str, b: &str) -> Option<bool> {
        let line = ["a", "b", "c"];
        if a == "zzz" || b == "zzz" {
            return None;
        }
        if a == b {
            return Some(true);
        }
        match (
            line.iter().position(|x| *x == a),
            line.iter().position(|x| *x == b),
        ) {
            (Some(i), Some(j)) => Some(i <= j),
            _ => Some(a == "a" && b == "x"),
        }
    }

    #[test]
    fn each_relation() {
        assert_eq!(compare(None, "c", true, ancestry), Comparison::First);
        assert_eq!(compare(Some("c"), "c", true, ancestry), Comparison::UpToDate);
        assert_eq!(compare(Some("a"), "c", true, ancestry), Comparison::FastForward);
        assert_eq!(compare(Some("c"), "a", true, ancestry), Comparison::Rewound);
        assert_eq!(compare(Some("c"), "a", false, ancestry), Comparison::LocalAhead);
        assert_eq!(compare(Some("x"), "c", true, ancestry), Comparison::Diverged);
        assert_eq!(compare(Some("zzz"), "c", true, ancestry), Comparison::Diverged);
    }

    #[test]
    fn only_forward_applies_unless_rewinds_are_allowed() {
        assert!(applies(Comparison::First, false));
        assert!(applies(Comparison::FastForward, false));
        assert!(!applies(Comparison::UpToDate, true));
        for c in [Comparison::Rewound, Comparison::LocalAhead, Comparison::Diverged] {
            assert!(!applies(c, false));
            assert!(applies(c, true));
        }
    }
}
