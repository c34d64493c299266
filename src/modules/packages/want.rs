//! The shared shape of a package module: parse what the task wants ([`Want`]), ask the host
//! once what is installed and installable ([`Known`], from [`PackageManager::query`]), decide
//! purely what to do ([`decide`] → [`Plan`], unit-tested without a host), then act once
//! ([`PackageManager::act`]). In check mode [`converge`] stops after the decision: the task is
//! `changed` exactly when the plan is not empty, as Ansible's package modules report it.
//!
//! `apt` is built on it; `dnf` plugs in its own query (`rpm -q`/`dnf repoquery`), its version
//! order (`rpmvercmp`) and its act step.

use std::cmp::Ordering;
use std::collections::HashMap;

use async_trait::async_trait;

use super::version::fnmatch;
use crate::modules::{ModuleCtx, ModuleError};

/// How a requested version is compared with what is installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `name=VERSION` (a glob: `name=1.2*`).
    Eq,
    /// `name>=VERSION`.
    Ge,
}

/// One package a task names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Want {
    /// As written (`nginx=1.22*`), for messages.
    pub spec: String,
    pub name: String,
    pub version: Option<(Cmp, String)>,
}

impl Want {
    /// Parses `name`, `name=VERSION` and (where the manager supports it) `name>=VERSION`.
    pub fn parse(spec: &str, allow_ge: bool) -> Result<Want, String> {
        let spec = spec.trim();
        if spec.matches('=').count() > 1 {
            return Err(format!("invalid package spec: {spec}"));
        }
        let (name, version) = match spec.split_once('=') {
            Some((name, version)) if allow_ge && name.ends_with('>') => {
                (name.trim_end_matches('>'), Some((Cmp::Ge, version.to_string())))
            }
            Some((name, version)) => (name, Some((Cmp::Eq, version.to_string()))),
            None => (spec, None),
        };
        if name.is_empty() {
            return Err(format!("invalid package spec: {spec}"));
        }
        Ok(Want {
            spec: spec.to_string(),
            name: name.to_string(),
            version,
        })
    }

    /// Every spec of a task's `name` list (already split on commas by the parameter parser).
    pub fn parse_all(specs: &[String], allow_ge: bool) -> Result<Vec<Want>, String> {
        specs.iter().map(|s| Want::parse(s, allow_ge)).collect()
    }
}

/// What the task wants done with its packages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    Present,
    Latest,
    Absent,
}

/// What the host knows about one package name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Known {
    /// The package exists for the manager (has versions: installed or installable).
    pub exists: bool,
    /// The installed version, when fully installed.
    pub installed: Option<String>,
    /// Files remain although it is not installed (dpkg's `config-files`): a purge removes them.
    pub has_files: bool,
    /// The version the manager would install (its policy's candidate), if any.
    pub candidate: Option<String>,
    /// Every available version, preferred first (pin priority, then version).
    pub versions: Vec<String>,
    /// Packages providing this name when it is virtual (no versions of its own).
    pub provided_by: Vec<String>,
}

/// Options of the decision that change its outcome.
#[derive(Clone, Copy, Debug)]
pub struct DecideOpts {
    /// Only upgrade packages already installed (`only_upgrade`).
    pub only_upgrade: bool,
    /// Remove left-over files too (`purge`).
    pub purge: bool,
    /// The manager's version order.
    pub compare: fn(&str, &str) -> Ordering,
}

/// What to do: the arguments to pass to the manager's install and remove commands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// `name` or `name=version`, as the manager's install command takes them.
    pub install: Vec<String>,
    /// Specs to remove, as the task wrote them.
    pub remove: Vec<String>,
    /// Every name the task asked to be present (apt marks them manually installed).
    pub names: Vec<String>,
}

impl Plan {
    /// Nothing to install or remove.
    pub fn is_empty(&self) -> bool {
        self.install.is_empty() && self.remove.is_empty()
    }
}

/// Why a plan cannot be made; the messages are Ansible's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("No package matching '{0}' is available")]
    NoSuchPackage(String),
    #[error("no available installation candidate for {0}")]
    NoCandidate(String),
}

/// Decides what to install or remove so that `wants` reach `goal`, from what the host said.
/// A name missing from `known` counts as unknown to the manager.
pub fn decide(
    wants: &[Want],
    goal: Goal,
    known: &HashMap<String, Known>,
    opts: DecideOpts,
) -> Result<Plan, Refusal> {
    let mut plan = Plan::default();
    let unknown = Known::default();
    for want in wants {
        let k = known.get(&want.name).unwrap_or(&unknown);
        match goal {
            Goal::Absent => {
                if version_matches(want, k, opts) || (k.has_files && opts.purge) {
                    plan.remove.push(want.spec.clone());
                }
            }
            Goal::Present | Goal::Latest => {
                plan.names.push(want.name.clone());
                if let Some(arg) = to_install(want, k, goal == Goal::Latest, known, opts)? {
                    plan.install.push(arg);
                }
            }
        }
    }
    Ok(plan)
}

/// Whether the installed version satisfies the want (any version when none is asked).
fn version_matches(want: &Want, k: &Known, opts: DecideOpts) -> bool {
    let Some(installed) = &k.installed else {
        return false;
    };
    match &want.version {
        None => true,
        Some((Cmp::Eq, v)) => fnmatch(installed, v),
        Some((Cmp::Ge, v)) => (opts.compare)(installed, v) != Ordering::Less,
    }
}

/// The best version to install for `want`, when it differs from the installed one.
fn installable(want: &Want, k: &Known, opts: DecideOpts) -> Option<String> {
    let best = match &want.version {
        Some((Cmp::Eq, v)) => k.versions.iter().find(|c| fnmatch(c, v)).cloned(),
        _ => k.candidate.clone(),
    }?;
    let Some(installed) = &k.installed else {
        return Some(best);
    };
    let fits = match &want.version {
        None => true,
        Some((Cmp::Eq, v)) => fnmatch(&best, v),
        Some((Cmp::Ge, v)) => (opts.compare)(&best, v) != Ordering::Less,
    };
    (fits && *installed != best).then_some(best)
}

/// The install argument for one want, as Ansible's apt module chooses it.
fn to_install(
    want: &Want,
    k: &Known,
    upgrade: bool,
    known: &HashMap<String, Known>,
    opts: DecideOpts,
) -> Result<Option<String>, Refusal> {
    if !k.exists {
        if k.provided_by.is_empty() {
            return Err(Refusal::NoSuchPackage(want.name.clone()));
        }
        // A virtual package: done when its only provider is installed, else install the name.
        if let [only] = k.provided_by.as_slice() {
            if known.get(only).is_some_and(|p| p.installed.is_some()) {
                return Ok(None);
            }
        }
        return Ok((!opts.only_upgrade).then(|| want.name.clone()));
    }
    let installed = k.installed.is_some();
    if !installed && opts.only_upgrade {
        return Ok(None);
    }
    let satisfied = version_matches(want, k, opts);
    let best = installable(want, k, opts);
    let Some(best) = best else {
        if satisfied {
            return Ok(None);
        }
        return Err(Refusal::NoCandidate(want.spec.clone()));
    };
    if !installed || upgrade || !satisfied {
        return Ok(Some(format!("{}={best}", want.name)));
    }
    match &want.version {
        Some((Cmp::Eq, v)) => Ok(Some(format!("{}={v}", want.name))),
        _ => Ok(None),
    }
}

/// What acting printed.
#[derive(Clone, Debug, Default)]
pub struct Acted {
    pub stdout: String,
    pub stderr: String,
}

/// A package manager, as [`converge`] drives it.
#[async_trait]
pub trait PackageManager: Send {
    /// One round trip: what the host knows about `names`.
    async fn query(
        &mut self,
        ctx: &mut ModuleCtx<'_>,
        names: &[String],
    ) -> Result<HashMap<String, Known>, ModuleError>;

    /// One round trip: carries out `plan` (never called with an empty plan or in check mode).
    async fn act(&mut self, ctx: &mut ModuleCtx<'_>, plan: &Plan, goal: Goal) -> Result<Acted, ModuleError>;
}

/// What [`converge`] did.
#[derive(Clone, Debug, Default)]
pub struct Converged {
    pub plan: Plan,
    pub known: HashMap<String, Known>,
    /// `None` when there was nothing to do, or in check mode.
    pub acted: Option<Acted>,
}

impl Converged {
    /// Whether the task changed (or, in check mode, would change) the host.
    pub fn changed(&self) -> bool {
        !self.plan.is_empty()
    }
}

/// Query, decide, act: the whole of a package task. In check mode it stops after deciding.
pub async fn converge<M: PackageManager>(
    manager: &mut M,
    ctx: &mut ModuleCtx<'_>,
    wants: &[Want],
    goal: Goal,
    opts: DecideOpts,
) -> Result<Converged, ModuleError> {
    let names: Vec<String> = wants.iter().map(|w| w.name.clone()).collect();
    let known = manager.query(ctx, &names).await?;
    let plan = decide(wants, goal, &known, opts).map_err(|r| ModuleError::failed(r.to_string()))?;
    let acted = if plan.is_empty() || ctx.check {
        None
    } else {
        Some(manager.act(ctx, &plan, goal).await?)
    };
    Ok(Converged { plan, known, acted })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::packages::version::compare;

    fn opts() -> DecideOpts {
        DecideOpts {
            only_upgrade: false,
            purge: false,
            compare,
        }
    }

    fn known(installed: Option<&str>, versions: &[&str]) -> Known {
        Known {
            exists: true,
            installed: installed.map(str::to_string),
            has_files: installed.is_some(),
            candidate: versions.first().map(|v| v.to_string()),
            versions: versions.iter().map(|v| v.to_string()).collect(),
            provided_by: Vec::new(),
        }
    }

    fn host(pairs: &[(&str, Known)]) -> HashMap<String, Known> {
        pairs.iter().map(|(n, k)| (n.to_string(), k.clone())).collect()
    }

    fn wants(specs: &[&str]) -> Vec<Want> {
        let specs: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        Want::parse_all(&specs, true).expect("valid specs")
    }

    #[test]
    fn specs_parse_into_names_and_versions() {
        let w = Want::parse(" nginx=1.22* ", true).expect("valid");
        assert_eq!(
            (w.name.as_str(), w.version),
            ("nginx", Some((Cmp::Eq, "1.22*".into())))
        );
        let w = Want::parse("tree>=2.0", true).expect("valid");
        assert_eq!(w.version, Some((Cmp::Ge, "2.0".into())));
        let w = Want::parse("tree>=2.0", false).expect("valid");
        assert_eq!(
            (w.name.as_str(), w.version),
            ("tree>", Some((Cmp::Eq, "2.0".into())))
        );
        assert!(Want::parse("a=1=2", true).is_err());
        assert!(Want::parse("=1", true).is_err());
    }

    #[test]
    fn present_installs_the_candidate_of_what_is_missing_only() {
        let h = host(&[
            ("a", known(Some("1.0"), &["2.0", "1.0"])),
            ("b", known(None, &["3.0"])),
        ]);
        let plan = decide(&wants(&["a", "b"]), Goal::Present, &h, opts()).expect("plan");
        assert_eq!(plan.install, ["b=3.0"]);
        assert_eq!(plan.names, ["a", "b"]);
        let plan = decide(&wants(&["a"]), Goal::Present, &h, opts()).expect("plan");
        assert!(plan.is_empty());
    }

    #[test]
    fn latest_upgrades_and_versions_pick_a_matching_candidate() {
        let h = host(&[("a", known(Some("1.0"), &["2.0", "1.5", "1.0"]))]);
        let plan = decide(&wants(&["a"]), Goal::Latest, &h, opts()).expect("plan");
        assert_eq!(plan.install, ["a=2.0"]);
        let plan = decide(&wants(&["a=1.5"]), Goal::Present, &h, opts()).expect("plan");
        assert_eq!(plan.install, ["a=1.5"]);
        let plan = decide(&wants(&["a=1.*"]), Goal::Present, &h, opts()).expect("plan");
        assert_eq!(
            plan.install,
            ["a=1.*"],
            "Ansible passes the pattern on when one matches"
        );
        let plan = decide(&wants(&["a=1.0"]), Goal::Present, &h, opts()).expect("plan");
        assert!(plan.is_empty());
        let plan = decide(&wants(&["a>=1.0"]), Goal::Present, &h, opts()).expect("plan");
        assert!(plan.is_empty());
        let plan = decide(&wants(&["a>=1.2"]), Goal::Present, &h, opts()).expect("plan");
        assert_eq!(plan.install, ["a=2.0"]);
        assert_eq!(
            decide(&wants(&["a=9*"]), Goal::Present, &h, opts()),
            Err(Refusal::NoCandidate("a=9*".into()))
        );
    }

    #[test]
    fn unknown_names_are_refused_and_virtual_ones_installed_by_name() {
        let mut h = host(&[(
            "mta",
            Known {
                provided_by: vec!["exim4".into()],
                ..Known::default()
            },
        )]);
        assert_eq!(
            decide(&wants(&["nope"]), Goal::Present, &h, opts()).map_err(|e| e.to_string()),
            Err("No package matching 'nope' is available".into())
        );
        let plan = decide(&wants(&["mta"]), Goal::Present, &h, opts()).expect("plan");
        assert_eq!(plan.install, ["mta"]);
        h.insert("exim4".into(), known(Some("4.96"), &["4.96"]));
        assert!(
            decide(&wants(&["mta"]), Goal::Present, &h, opts())
                .expect("plan")
                .is_empty()
        );
    }

    #[test]
    fn only_upgrade_skips_what_is_not_installed() {
        let h = host(&[
            ("a", known(None, &["1.0"])),
            ("b", known(Some("1.0"), &["2.0", "1.0"])),
        ]);
        let o = DecideOpts {
            only_upgrade: true,
            ..opts()
        };
        let plan = decide(&wants(&["a", "b"]), Goal::Latest, &h, o).expect("plan");
        assert_eq!(plan.install, ["b=2.0"]);
    }

    #[test]
    fn absent_removes_what_is_installed_and_purges_left_files() {
        let mut conf = known(None, &["1.0"]);
        conf.has_files = true;
        let h = host(&[
            ("a", known(Some("1.0"), &["1.0"])),
            ("b", known(None, &["1.0"])),
            ("c", conf),
        ]);
        let plan = decide(&wants(&["a", "b", "c", "nope"]), Goal::Absent, &h, opts()).expect("plan");
        assert_eq!(plan.remove, ["a"]);
        let o = DecideOpts {
            purge: true,
            ..opts()
        };
        let plan = decide(&wants(&["a", "b", "c"]), Goal::Absent, &h, o).expect("plan");
        assert_eq!(plan.remove, ["a", "c"]);
        let plan = decide(&wants(&["a=2.0"]), Goal::Absent, &h, opts()).expect("plan");
        assert!(plan.is_empty(), "another version is installed");
    }
}
