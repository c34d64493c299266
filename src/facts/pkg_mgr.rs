//! The `pkg_mgr` collector: `pkg_mgr`, the package manager Ansible's package module would use,
//! from which of Ansible's known package manager programs exist and the `os_family`.

use indexmap::IndexMap;
use minijinja::Value;

use super::Facts;
use super::sections::{Sections, Snippet};

const PKG: Snippet = Snippet {
    name: "pkg",
    script: r#"ph_s pkg
for p in /usr/bin/rpm-ostree /usr/bin/yum /usr/bin/dnf-3 /usr/bin/dnf5 /usr/bin/apt-get /usr/bin/zypper \
  /usr/sbin/urpmi /usr/bin/pacman /bin/opkg /sbin/apk /usr/bin/emerge /usr/bin/xbps-install /run/ostree-booted; do
  [ -e "$p" ] && printf '%s\n' "$p"
done
for p in /usr/bin/dnf /usr/bin/microdnf; do
  [ -e "$p" ] && printf '%s %s\n' "$p" "$(readlink -f "$p" 2>/dev/null)"
done
"#,
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&PKG];

/// The facts this collector sets.
pub const FACTS: &[&str] = &["pkg_mgr"];

/// Parses the `pkg` section into `facts`; reads `os_family` (the collector requires
/// `distribution`).
pub fn parse(sections: &Sections, facts: &mut Facts) {
    let family = facts
        .get("os_family")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    facts.insert(
        "pkg_mgr".into(),
        Value::from(pkg_mgr(sections.get("pkg"), &family)),
    );
}

/// `pkg_mgr`: the last package manager found in Ansible's list, then the family's default.
fn pkg_mgr(found: &str, os_family: &str) -> String {
    let paths: IndexMap<&str, &str> = found
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(2, ' ');
            Some((parts.next()?, parts.next().unwrap_or("")))
        })
        .collect();
    const ORDER: &[(&str, &str)] = &[
        ("/usr/bin/rpm-ostree", "atomic_container"),
        ("/usr/bin/yum", "dnf"),
        ("/usr/bin/dnf-3", "dnf"),
        ("/usr/bin/dnf5", "dnf5"),
        ("/usr/bin/apt-get", "apt"),
        ("/usr/bin/zypper", "zypper"),
        ("/usr/sbin/urpmi", "urpmi"),
        ("/usr/bin/pacman", "pacman"),
        ("/bin/opkg", "opkg"),
        ("/sbin/apk", "apk"),
        ("/usr/bin/emerge", "portage"),
        ("/usr/bin/xbps-install", "xbps"),
    ];
    let mut name = ORDER
        .iter()
        .filter(|(path, _)| paths.contains_key(path))
        .map(|(_, name)| *name)
        .next_back()
        .unwrap_or("unknown")
        .to_string();
    if os_family == "RedHat" {
        name = if paths.contains_key("/run/ostree-booted") {
            "atomic_container".into()
        } else if let Some(real) = paths
            .get("/usr/bin/dnf")
            .or_else(|| paths.get("/usr/bin/microdnf"))
        {
            if *real == "/usr/bin/dnf5" {
                "dnf5".into()
            } else {
                "dnf".into()
            }
        } else {
            "unknown".into()
        };
    } else if os_family == "Debian" {
        name = "apt".into();
    }
    name
}
