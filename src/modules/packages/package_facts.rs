//! `package_facts`: the installed packages as `ansible_facts.packages`, shaped as
//! ansible-core 2.19 returns them: name → list of `{name, version, arch, source, ...}` — for apt
//! also `category` (the section) and `origin` (the origin of the first source apt lists for the
//! installed version, empty for a package known only to dpkg); for rpm `release` and `epoch`
//! (null when none). One round trip: `dpkg-query -W` and `apt-cache policy`, or `rpm -qa`.

use std::collections::HashMap;

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use crate::modules::params::{map_value, opt_list, opt_string};
use crate::modules::{Defines, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct PackageFacts;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default, deserialize_with = "opt_list")]
    manager: Option<Vec<String>>,
    #[serde(default, deserialize_with = "opt_string")]
    strategy: Option<String>,
}

const APT: &str = "if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then echo __PH_APT\n\
LC_ALL=C dpkg-query -W -f '${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${Architecture}\\t${Section}\\n' 2>/dev/null\n\
echo __PH_POLICY\nLC_ALL=C dpkg-query -W -f '${db:Status-Abbrev} ${Package}\\n' 2>/dev/null | awk '$1 ~ /^.i/ {print $2}' | \
xargs -r env LC_ALL=C apt-cache policy 2>/dev/null\necho __PH_SOURCES\nLC_ALL=C apt-cache policy 2>/dev/null\nfi\n";
const RPM: &str = "if command -v rpm >/dev/null 2>&1; then echo __PH_RPM\n\
LC_ALL=C rpm -qa --qf '%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{EPOCH}\\t%{ARCH}\\n' 2>/dev/null\nfi\n";

#[async_trait]
impl TypedModule for PackageFacts {
    type Params = Params;

    const SPEC: Spec = Spec {
        defines: Defines::Facts(&["packages"]),
        ..Spec::host("package_facts")
    };

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let strategy = p.strategy.as_deref().unwrap_or("first");
        if !matches!(strategy, "first" | "all") {
            return Err(ModuleError::Params(format!(
                "package_facts: strategy must be one of first, all, got: {strategy}"
            )));
        }
        let requested: Vec<String> = p
            .manager
            .clone()
            .unwrap_or_else(|| vec!["auto".into()])
            .iter()
            .map(|m| m.to_lowercase())
            .collect();
        let mut managers: Vec<&str> = Vec::new();
        for m in &requested {
            match m.as_str() {
                "auto" => managers.extend(["apt", "rpm"]),
                "apt" => managers.push("apt"),
                "rpm" => managers.push("rpm"),
                other => {
                    return Err(ModuleError::failed(format!(
                        "Unsupported package managers requested: {other} (playhook reads apt and rpm)"
                    )));
                }
            }
        }
        managers.dedup();
        let script: String = managers
            .iter()
            .map(|m| if *m == "apt" { APT } else { RPM })
            .collect();
        let out = ctx.run(script).await?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut packages: IndexMap<String, Vec<Value>> = IndexMap::new();
        let mut found = 0;
        for m in &managers {
            if strategy == "first" && found > 0 {
                break;
            }
            let section = match *m {
                "apt" => section_of(&text, "__PH_APT\n", Some("__PH_RPM\n")).map(apt_packages),
                _ => section_of(&text, "__PH_RPM\n", None).map(rpm_packages),
            };
            if let Some(list) = section.filter(|l| !l.is_empty()) {
                found += 1;
                for (name, details) in list {
                    packages.entry(name).or_default().push(details);
                }
            }
        }
        if found == 0 {
            return Err(ModuleError::failed(format!(
                "Could not detect a supported package manager from the following list: {managers:?} on {}",
                ctx.host
            )));
        }
        let packages = map_value(packages.into_iter().map(|(k, v)| (k, Value::from(v))));
        Ok(Outcome::ok().with("ansible_facts", map_value([("packages", packages)])))
    }
}

fn section_of<'a>(text: &'a str, start: &str, end: Option<&str>) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let rest = &text[from..];
    Some(match end.and_then(|e| rest.find(e)) {
        Some(i) => &rest[..i],
        None => rest,
    })
}

/// dpkg's installed packages with apt's origins.
fn apt_packages(text: &str) -> Vec<(String, Value)> {
    let (list, policy) = text.split_once("__PH_POLICY\n").unwrap_or((text, ""));
    let (policy, sources) = policy.split_once("__PH_SOURCES\n").unwrap_or((policy, ""));
    let origins = origins(policy, &source_origins(sources));
    let mut out = Vec::new();
    for line in list.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let [status, name, version, arch, section] = f.as_slice() else {
            continue;
        };
        if status.as_bytes().get(1) != Some(&b'i') {
            continue;
        }
        let origin = origins.get(*name).cloned().unwrap_or_default();
        let details = map_value([
            ("name", Value::from(*name)),
            ("version", Value::from(*version)),
            ("arch", Value::from(*arch)),
            ("category", Value::from(*section)),
            ("origin", Value::from(origin)),
            ("source", Value::from("apt")),
        ]);
        out.push(((*name).to_string(), details));
    }
    out
}

/// From `apt-cache policy` without arguments: each source (`URL DIST/COMP ARCH Packages`) and
/// the origin (`o=`) of its release.
fn source_origins(text: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let mut source: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(release) = trimmed.strip_prefix("release ") {
            if let Some(s) = source.take() {
                let origin = release
                    .split(',')
                    .find_map(|kv| kv.strip_prefix("o="))
                    .unwrap_or_default();
                map.insert(s, origin.to_string());
            }
        } else if line.starts_with(' ')
            && trimmed
                .split_whitespace()
                .next()
                .is_some_and(|p| p.parse::<i64>().is_ok())
        {
            source = Some(without_priority(trimmed));
        }
    }
    map
}

/// A source line without its leading pin priority.
fn without_priority(line: &str) -> String {
    line.split_once(' ')
        .map_or("", |(_, rest)| rest)
        .trim()
        .to_string()
}

/// From `apt-cache policy NAMES`: the origin of the first source of each installed version
/// (empty when that is dpkg's status file, or a release without an origin).
fn origins(policy: &str, sources: &HashMap<String, String>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let mut name = String::new();
    let mut waiting = false;
    for line in policy.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            name = line.trim_end_matches(':').to_string();
            waiting = false;
        } else if line.starts_with(" *** ") {
            waiting = true;
        } else if line.starts_with("     ") && !line.starts_with("      ") {
            waiting = false;
        } else if waiting && line.starts_with("        ") {
            let source = without_priority(line.trim());
            map.insert(name.clone(), sources.get(&source).cloned().unwrap_or_default());
            waiting = false;
        }
    }
    map
}

/// rpm's installed packages.
fn rpm_packages(text: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let [name, version, release, epoch, arch] = f.as_slice() else {
            continue;
        };
        let epoch = if *epoch == "(none)" {
            Value::from(())
        } else {
            Value::from(*epoch)
        };
        let details = map_value([
            ("name", Value::from(*name)),
            ("version", Value::from(*version)),
            ("release", Value::from(*release)),
            ("epoch", epoch),
            ("arch", Value::from(*arch)),
            ("source", Value::from("rpm")),
        ]);
        out.push(((*name).to_string(), details));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apt_packages_carry_their_origin() {
        let text = "ii \ttree\t2.1.0-1\tamd64\tutils\nrc \told\t1.0\tall\tmisc\nii \tph\t1.0\tall\tmisc\n__PH_POLICY\n\
tree:\n  Installed: 2.1.0-1\n  Candidate: 2.1.0-1\n  Version table:\n *** 2.1.0-1 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n\
        100 /var/lib/dpkg/status\nph:\n  Installed: 1.0\n  Candidate: 1.0\n  Version table:\n *** 1.0 100\n        100 /var/lib/dpkg/status\n\
__PH_SOURCES\nPackage files:\n 100 /var/lib/dpkg/status\n     release a=now\n 500 http://deb.debian.org/debian bookworm/main amd64 Packages\n\
     release v=12.8,o=Debian,a=stable,n=bookworm,l=Debian,c=main,b=amd64\n     origin deb.debian.org\nPinned packages:\n";
        let list = apt_packages(text);
        let names: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["tree", "ph"]);
        let tree = &list[0].1;
        assert_eq!(tree.get_attr("origin").expect("origin").as_str(), Some("Debian"));
        assert_eq!(
            tree.get_attr("category").expect("category").as_str(),
            Some("utils")
        );
        assert_eq!(list[1].1.get_attr("origin").expect("origin").as_str(), Some(""));
    }
}
