//! The `dnf` module's decision, pure and unit-tested: from the task's specs, the installed
//! packages and (when asked) the available ones, what `dnf` must install or remove and what
//! Ansible's dnf module would report — the same rules as its `_mark_package_install`
//! (a newer installed version is left alone unless `allow_downgrade`), `latest` upgrading to
//! the best available version, `update_only`, and removal of installed matches only (a spec
//! with nothing installed is noted "No match for argument: X", as dnf says).

use std::cmp::Ordering;

use super::dnf_query::{DnfSpec, Pkg};
use super::want::Goal;

/// What to do and what to say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnfPlan {
    /// Arguments of `dnf install` (specs as written, or `name-evr` for upgrades).
    pub install: Vec<String>,
    /// Arguments of `dnf remove`.
    pub remove: Vec<String>,
    /// What the transaction is expected to install / remove (for check mode's `results`).
    pub installs: Vec<Pkg>,
    pub removes: Vec<Pkg>,
    /// Lines Ansible reports whether or not anything changes.
    pub notes: Vec<String>,
    /// Specs no repository has: `No package X available.`
    pub failures: Vec<String>,
}

impl DnfPlan {
    pub fn is_empty(&self) -> bool {
        self.install.is_empty() && self.remove.is_empty()
    }
}

/// Options of the decision.
#[derive(Clone, Copy, Debug, Default)]
pub struct Opts {
    pub allow_downgrade: bool,
    pub update_only: bool,
}

/// The best (highest) of `pkgs` matching `spec`.
fn best<'a>(spec: &DnfSpec, pkgs: &'a [Pkg]) -> Option<&'a Pkg> {
    pkgs.iter()
        .filter(|p| spec.matches(p))
        .max_by(|a, b| a.evr.compare(&b.evr).then_with(|| a.name.cmp(&b.name)))
}

pub fn decide(specs: &[DnfSpec], goal: Goal, installed: &[Pkg], available: &[Pkg], opts: Opts) -> DnfPlan {
    let mut plan = DnfPlan::default();
    for spec in specs {
        let have: Vec<&Pkg> = installed.iter().filter(|p| spec.matches(p)).collect();
        if goal == Goal::Absent {
            if have.is_empty() {
                plan.notes.push(format!("No match for argument: {}", spec.text));
            } else {
                plan.remove.push(spec.text.clone());
                plan.removes.extend(have.into_iter().cloned());
            }
            continue;
        }
        let same_name: Vec<&Pkg> = installed.iter().filter(|p| spec.names(p)).collect();
        let upgrade = goal == Goal::Latest || opts.update_only;
        if same_name.is_empty() && opts.update_only {
            plan.notes.push(format!(
                "Packages providing {} not installed due to update_only specified",
                spec.text
            ));
            continue;
        }
        let candidate = best(spec, available);
        if !have.is_empty() {
            if !upgrade || spec.has_version() {
                continue;
            }
            // Installed: `latest` upgrades each installed match to the best of its name.
            for old in have {
                let newer = available
                    .iter()
                    .filter(|p| p.name == old.name && (p.arch == old.arch || p.arch == "noarch"))
                    .filter(|p| p.evr.compare(&old.evr) == Ordering::Greater)
                    .max_by(|a, b| a.evr.compare(&b.evr));
                if let Some(new) = newer {
                    plan.install.push(new.nevr());
                    plan.installs.push(new.clone());
                    plan.removes.push(old.clone());
                }
            }
            continue;
        }
        let Some(candidate) = candidate else {
            plan.failures.push(format!("No package {} available.", spec.text));
            continue;
        };
        // Another version of the name is installed.
        if let Some(old) = same_name.iter().max_by(|a, b| a.evr.compare(&b.evr)) {
            if old.evr.compare(&candidate.evr) == Ordering::Greater && !opts.allow_downgrade {
                continue;
            }
            plan.removes.push((*old).clone());
        }
        plan.install.push(spec.text.clone());
        plan.installs.push(candidate.clone());
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::packages::rpm_version::Evr;

    fn pkg(name: &str, evr: &str) -> Pkg {
        Pkg {
            name: name.into(),
            evr: Evr::parse(evr),
            arch: "noarch".into(),
            repo: String::new(),
        }
    }

    fn specs(s: &[&str]) -> Vec<DnfSpec> {
        s.iter().map(|t| DnfSpec::parse(t)).collect()
    }

    #[test]
    fn present_installs_only_what_is_missing() {
        let inst = [pkg("a", "1.0-1")];
        let avail = [pkg("a", "2.0-1"), pkg("b", "1.0-1"), pkg("a", "1.0-1")];
        let plan = decide(&specs(&["a", "b"]), Goal::Present, &inst, &avail, Opts::default());
        assert_eq!(plan.install, ["b"]);
        assert_eq!(plan.installs, [pkg("b", "1.0-1")]);
        let plan = decide(&specs(&["nope"]), Goal::Present, &inst, &avail, Opts::default());
        assert_eq!(plan.failures, ["No package nope available."]);
        let plan = decide(&specs(&["a-2.0"]), Goal::Present, &inst, &avail, Opts::default());
        assert_eq!(
            (plan.install, plan.removes),
            (vec!["a-2.0".to_string()], vec![pkg("a", "1.0-1")])
        );
    }

    #[test]
    fn a_newer_installed_version_stays_unless_downgrades_are_allowed() {
        let inst = [pkg("a", "2.0-1")];
        let avail = [pkg("a", "1.0-1"), pkg("a", "2.0-1")];
        let plan = decide(&specs(&["a-1.0"]), Goal::Present, &inst, &avail, Opts::default());
        assert!(plan.is_empty());
        let o = Opts {
            allow_downgrade: true,
            ..Opts::default()
        };
        let plan = decide(&specs(&["a-1.0"]), Goal::Present, &inst, &avail, o);
        assert_eq!(plan.install, ["a-1.0"]);
    }

    #[test]
    fn latest_upgrades_installed_names_and_update_only_skips_missing_ones() {
        let inst = [pkg("a", "1.0-1")];
        let avail = [pkg("a", "2.0-1"), pkg("b", "1.0-1")];
        let plan = decide(&specs(&["a", "b"]), Goal::Latest, &inst, &avail, Opts::default());
        assert_eq!(plan.install, ["a-2.0-1", "b"]);
        assert_eq!(plan.removes, [pkg("a", "1.0-1")]);
        let o = Opts {
            update_only: true,
            ..Opts::default()
        };
        let plan = decide(&specs(&["a", "b"]), Goal::Latest, &inst, &avail, o);
        assert_eq!(plan.install, ["a-2.0-1"]);
        assert_eq!(
            plan.notes,
            ["Packages providing b not installed due to update_only specified"]
        );
        let plan = decide(&specs(&["a"]), Goal::Latest, &[pkg("a", "2.0-1")], &avail, o);
        assert!(plan.is_empty());
    }

    #[test]
    fn absent_removes_installed_matches_and_notes_the_rest() {
        let inst = [pkg("a", "1.0-1")];
        let avail = [pkg("b", "1.0-1")];
        let plan = decide(
            &specs(&["a", "b", "c"]),
            Goal::Absent,
            &inst,
            &avail,
            Opts::default(),
        );
        assert_eq!(plan.remove, ["a"]);
        assert_eq!(
            plan.notes,
            ["No match for argument: b", "No match for argument: c"]
        );
    }
}
