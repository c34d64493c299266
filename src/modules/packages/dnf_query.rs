//! What the host's rpm and dnf know about a `dnf` task's packages, in one round trip: one
//! `rpm -q --qf` of every spec (installed packages), then — only when something is not
//! installed or the state needs the repositories (`latest`) — one `dnf repoquery` of the specs.
//! Also the package specs as dnf reads them (`name`, `name.arch`, `name-ver[-rel][.arch]`,
//! `name-epoch:ver-rel`, globs, `name >= ver`) and how one matches a package.

use std::cmp::Ordering;

use super::rpm_version::Evr;
use super::version::{fnmatch, is_glob};
use crate::connection::quote::quote;

/// One rpm package: installed, or available in a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pkg {
    pub name: String,
    pub evr: Evr,
    pub arch: String,
    /// The repository it comes from (empty for installed packages).
    pub repo: String,
}

impl Pkg {
    /// As dnf prints a package (`str(package)`): `name-[epoch:]version-release.arch`.
    pub fn nevra(&self) -> String {
        format!("{}-{}.{}", self.name, self.evr, self.arch)
    }

    /// `name-[epoch:]version-release`, which `dnf install` takes to pick exactly this version.
    pub fn nevr(&self) -> String {
        format!("{}-{}", self.name, self.evr)
    }
}

/// A relational operator of a `name >= version` spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

/// One package spec of the task, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnfSpec {
    pub text: String,
    /// `name op version`, when relational.
    pub relation: Option<(String, Op, Evr)>,
}

impl DnfSpec {
    pub fn parse(text: &str) -> DnfSpec {
        let text = text.trim().to_string();
        for (sym, op) in [
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("==", Op::Eq),
            (">", Op::Gt),
            ("<", Op::Lt),
            ("=", Op::Eq),
        ] {
            if let Some((name, version)) = text.split_once(sym) {
                let (name, version) = (name.trim(), version.trim());
                if !name.is_empty() && !version.is_empty() {
                    return DnfSpec {
                        relation: Some((name.to_string(), op, Evr::parse(version))),
                        text,
                    };
                }
            }
        }
        DnfSpec { text, relation: None }
    }

    /// The word `rpm -q` is given for this spec.
    pub fn rpm_arg(&self) -> &str {
        match &self.relation {
            Some((name, _, _)) => name,
            None => &self.text,
        }
    }

    /// The words `rpm -q` is given for this spec: the spec, and for `name-version[-release]`
    /// the names it may start with, so that another installed version of the name is seen.
    pub fn rpm_args(&self) -> Vec<String> {
        let mut args = vec![self.rpm_arg().to_string()];
        if self.relation.is_none() {
            let t = &self.text;
            for (i, _) in t.match_indices('-') {
                if t[i + 1..].starts_with(|c: char| c.is_ascii_digit()) && i > 0 {
                    args.push(t[..i].to_string());
                }
            }
        }
        args
    }

    /// The spec carries a version (then an older or newer installed version does not match).
    pub fn has_version(&self) -> bool {
        self.relation.is_some() || self.version_of_name().is_some()
    }

    /// For a `name-version[-release]` spec whose name part is `name`: its version.
    fn version_of_name(&self) -> Option<()> {
        self.text
            .rsplit_once('-')
            .filter(|(_, v)| v.starts_with(|c: char| c.is_ascii_digit()))
            .map(|_| ())
    }

    /// Whether `pkg` is one of the packages this spec names.
    pub fn matches(&self, pkg: &Pkg) -> bool {
        if let Some((name, op, want)) = &self.relation {
            if !fnmatch(&pkg.name, name) {
                return false;
            }
            let ord = pkg.evr.compare(want);
            return match op {
                Op::Lt => ord == Ordering::Less,
                Op::Le => ord != Ordering::Greater,
                Op::Eq => ord == Ordering::Equal,
                Op::Ge => ord != Ordering::Less,
                Op::Gt => ord == Ordering::Greater,
            };
        }
        self.forms(pkg).iter().any(|f| fnmatch(f, &self.text))
    }

    /// Whether `pkg` has the name this spec is about (any version): for `name-1.0`, `name`.
    pub fn names(&self, pkg: &Pkg) -> bool {
        if let Some((name, _, _)) = &self.relation {
            return fnmatch(&pkg.name, name);
        }
        let t = &self.text;
        fnmatch(&pkg.name, t)
            || fnmatch(&format!("{}.{}", pkg.name, pkg.arch), t)
            || t.strip_prefix(&format!("{}-", pkg.name))
                .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    }

    /// The names dnf knows `pkg` by.
    fn forms(&self, pkg: &Pkg) -> Vec<String> {
        let (n, a) = (&pkg.name, &pkg.arch);
        let (v, r, e) = (&pkg.evr.version, &pkg.evr.release, pkg.evr.epoch);
        vec![
            n.clone(),
            format!("{n}.{a}"),
            format!("{n}-{v}"),
            format!("{n}-{v}-{r}"),
            format!("{n}-{v}-{r}.{a}"),
            format!("{n}-{e}:{v}-{r}"),
            format!("{n}-{e}:{v}-{r}.{a}"),
            format!("{n}-{v}.{a}"),
        ]
    }

    pub fn is_glob(&self) -> bool {
        is_glob(self.rpm_arg())
    }
}

/// The `--qf` of both queries: name, epoch, version, release, arch (and repository).
const RPM_QF: &str = "__PH_PKG\t%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n";
const REPO_QF: &str = "__PH_PKG\t%{name}\t%{epoch}\t%{version}\t%{release}\t%{arch}\t%{repoid}";

/// The query script: `dnf_opts` are the task's repository options for repoquery;
/// `always_repos` asks the repositories even when everything is installed.
pub fn script(specs: &[DnfSpec], dnf_opts: &str, always_repos: bool) -> String {
    let mut s = String::from("export LC_ALL=C.UTF-8 LANG=C.UTF-8\n");
    for p in ["rpm", "dnf"] {
        s.push_str(&format!(
            "command -v {p} >/dev/null 2>&1 || {{ echo '__PH_MISSING {p}'; exit 0; }}\n"
        ));
    }
    if specs.is_empty() {
        if !dnf_opts.is_empty() && always_repos {
            s.push_str(&format!(
                "err=$(dnf -q {dnf_opts} makecache 2>&1 >/dev/null) || printf '__PH_REPO_FAILED %s\\n' \"$err\" | tr '\\n' ' '\n"
            ));
        }
        return s;
    }
    let globbed = specs.iter().any(DnfSpec::is_glob);
    let args: Vec<String> = specs
        .iter()
        .flat_map(DnfSpec::rpm_args)
        .map(|a| quote(&a))
        .collect();
    let rpm = if globbed {
        // rpm -q does not expand patterns: list everything once.
        format!("rpm -qa --qf {}", quote(RPM_QF))
    } else {
        format!("rpm -q --qf {} -- {}", quote(RPM_QF), args.join(" "))
    };
    s.push_str(&format!("echo __PH_RPM\n{rpm} 2>/dev/null\nrc=$?\n"));
    // repoquery does not read `name >= version`: ask for the name, the decision filters.
    let words: Vec<String> = specs.iter().map(|s| quote(s.rpm_arg())).collect();
    let test = if always_repos || globbed {
        "true"
    } else {
        "[ $rc -ne 0 ]"
    };
    s.push_str(&format!(
        "if {test}; then\n  echo __PH_REPO\n  err=$(dnf -q {dnf_opts} repoquery --qf {} -- {} 2>&1 >&3) || printf '__PH_REPO_FAILED %s\\n' \"$err\" | tr '\\n' ' '\nfi 3>&1\n",
        quote(REPO_QF),
        words.join(" ")
    ));
    s
}

/// What the query found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answer {
    pub missing: Option<String>,
    /// dnf could not read the repositories: its message.
    pub repo_failed: Option<String>,
    /// Whether the repositories were asked.
    pub asked_repos: bool,
    pub installed: Vec<Pkg>,
    pub available: Vec<Pkg>,
}

pub fn parse(out: &str) -> Answer {
    let mut a = Answer::default();
    let mut in_repo = false;
    for line in out.lines() {
        if let Some(p) = line.strip_prefix("__PH_MISSING ") {
            a.missing = Some(p.to_string());
        } else if let Some(e) = line.strip_prefix("__PH_REPO_FAILED ") {
            a.repo_failed = Some(e.trim().to_string());
        } else if line == "__PH_REPO" {
            in_repo = true;
            a.asked_repos = true;
        } else if let Some(pkg) = parse_pkg(line) {
            if !in_repo {
                if !a.installed.contains(&pkg) {
                    a.installed.push(pkg);
                }
            } else if pkg.repo != "@System" && pkg.repo != "installed" {
                a.available.push(pkg);
            }
        }
    }
    a
}

fn parse_pkg(line: &str) -> Option<Pkg> {
    let f: Vec<&str> = line.strip_prefix("__PH_PKG\t")?.split('\t').collect();
    let (name, epoch, version, release, arch) = (f.first()?, f.get(1)?, f.get(2)?, f.get(3)?, f.get(4)?);
    Some(Pkg {
        name: (*name).to_string(),
        evr: Evr {
            epoch: epoch.parse().unwrap_or(0),
            version: (*version).to_string(),
            release: (*release).to_string(),
        },
        arch: (*arch).to_string(),
        repo: f.get(5).map(|r| r.to_string()).unwrap_or_default(),
    })
}

/// `rpm -qa` as the act step lists it before and after, to report what changed.
pub const RPM_ALL: &str =
    "rpm -qa --qf '__PH_PKG\\t%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n'";

/// Packages listed by [`RPM_ALL`] (or the query) in `out`.
pub fn parse_all(out: &str) -> Vec<Pkg> {
    out.lines().filter_map(parse_pkg).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, evr: &str, arch: &str) -> Pkg {
        Pkg {
            name: name.into(),
            evr: Evr::parse(evr),
            arch: arch.into(),
            repo: String::new(),
        }
    }

    #[test]
    fn specs_match_packages_as_dnf_names_them() {
        let p = pkg("hello", "1:2.0-3", "noarch");
        for spec in [
            "hello",
            "hello.noarch",
            "hello-2.0",
            "hello-2.0-3",
            "hello-2.0-3.noarch",
            "hello-1:2.0-3",
            "hel*",
            "hello >= 1:1.0",
            "hello > 1:1.0",
            "hello = 1:2.0",
        ] {
            assert!(DnfSpec::parse(spec).matches(&p), "{spec}");
        }
        for spec in [
            "hello-1.0",
            "hello.x86_64",
            "hello >= 2:0",
            "hello < 1:2.0",
            "hell",
        ] {
            assert!(!DnfSpec::parse(spec).matches(&p), "{spec}");
        }
        assert!(DnfSpec::parse("hello-1.0").names(&p));
        assert!(!DnfSpec::parse("hello-world").names(&p));
        assert!(DnfSpec::parse("hello-1.0").has_version());
        assert!(!DnfSpec::parse("hello").has_version());
        assert_eq!(DnfSpec::parse("hello >= 1.0").rpm_arg(), "hello");
        assert_eq!(
            DnfSpec::parse("ph-base-1.0-1").rpm_args(),
            ["ph-base-1.0-1", "ph-base", "ph-base-1.0"]
        );
    }

    #[test]
    fn the_answer_separates_installed_and_available() {
        let out = "__PH_RPM\n__PH_PKG\ta\t0\t1.0\t1\tnoarch\npackage b is not installed\n__PH_REPO\n\
                   __PH_PKG\tb\t0\t2.0\t1\tnoarch\tlocal\n__PH_PKG\ta\t0\t1.0\t1\tnoarch\t@System\n";
        let a = parse(out);
        assert_eq!(a.installed, [pkg("a", "1.0-1", "noarch")]);
        assert_eq!(a.available.len(), 1);
        assert_eq!(a.available[0].nevra(), "b-2.0-1.noarch");
        assert!(a.asked_repos);
        assert_eq!(parse("__PH_MISSING dnf\n").missing.as_deref(), Some("dnf"));
    }
}
