//! Which facts to gather: `gather_subset` resolved as ansible-core's
//! `ansible.module_utils.facts.collector` does on Linux (`all`, `min`, collector names and the
//! fact names they are known by, `!` to exclude, the collectors they require), and `filter`,
//! fnmatch patterns on fact names.

use std::collections::BTreeSet;

/// Ansible's Linux collectors: (name, the other names it is selected by, required collectors).
/// playhook gathers only some of them (see `super::COLLECTORS`); the others are accepted and
/// gather nothing.
const ANSIBLE_COLLECTORS: &[(&str, &[&str], &[&str])] = &[
    (
        "platform",
        &[
            "system",
            "kernel",
            "kernel_version",
            "machine",
            "python_version",
            "architecture",
            "machine_id",
        ],
        &[],
    ),
    (
        "distribution",
        &[
            "distribution_version",
            "distribution_release",
            "distribution_major_version",
            "os_family",
        ],
        &[],
    ),
    ("lsb", &[], &[]),
    ("selinux", &[], &[]),
    ("apparmor", &[], &[]),
    ("chroot", &[], &[]),
    ("fips", &[], &[]),
    ("python", &[], &[]),
    (
        "caps",
        &["system_capabilities", "system_capabilities_enforced"],
        &[],
    ),
    ("pkg_mgr", &[], &["distribution"]),
    ("service_mgr", &[], &["platform", "distribution"]),
    ("cmdline", &[], &[]),
    ("date_time", &[], &[]),
    ("env", &[], &[]),
    ("loadavg", &[], &[]),
    (
        "ssh_pub_keys",
        &[
            "ssh_host_pub_keys",
            "ssh_host_key_dsa_public",
            "ssh_host_key_rsa_public",
            "ssh_host_key_ecdsa_public",
            "ssh_host_key_ed25519_public",
        ],
        &[],
    ),
    (
        "user",
        &[
            "user_id",
            "user_uid",
            "user_gid",
            "user_gecos",
            "user_dir",
            "user_shell",
            "real_user_id",
            "effective_user_id",
            "effective_group_ids",
        ],
        &[],
    ),
    ("systemd", &[], &[]),
    (
        "virtual",
        &[
            "virtualization_type",
            "virtualization_role",
            "virtualization_tech_guest",
            "virtualization_tech_host",
        ],
        &[],
    ),
    (
        "hardware",
        &[
            "processor",
            "processor_cores",
            "processor_count",
            "mounts",
            "devices",
        ],
        &["platform"],
    ),
    ("dns", &[], &[]),
    ("fibre_channel_wwn", &[], &[]),
    (
        "network",
        &[
            "interfaces",
            "default_ipv4",
            "default_ipv6",
            "all_ipv4_addresses",
            "all_ipv6_addresses",
        ],
        &["distribution", "platform"],
    ),
    ("iscsi", &[], &[]),
    ("nvme", &[], &[]),
    ("local", &[], &[]),
    ("facter", &[], &[]),
    ("ohai", &[], &[]),
];

/// What the `setup` module gathers even for `gather_subset: "!all"`.
const MINIMAL: &[&str] = &[
    "apparmor",
    "caps",
    "cmdline",
    "date_time",
    "distribution",
    "dns",
    "env",
    "fips",
    "local",
    "lsb",
    "pkg_mgr",
    "platform",
    "python",
    "selinux",
    "service_mgr",
    "ssh_pub_keys",
    "user",
];

/// The facts to gather: the Ansible collectors selected and the fact name patterns kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    collectors: BTreeSet<&'static str>,
    filter: Vec<String>,
}

impl Default for Selection {
    fn default() -> Self {
        Selection::all()
    }
}

impl Selection {
    /// Everything (`gather_subset: all`, no filter), what a play gathers by default.
    pub fn all() -> Selection {
        Selection {
            collectors: ANSIBLE_COLLECTORS.iter().map(|(n, _, _)| *n).collect(),
            filter: Vec::new(),
        }
    }

    /// Resolves `gather_subset` (empty means `all`) and keeps `filter` (empty means every
    /// fact). An unknown subset name is an error with Ansible's message; an unknown name after
    /// `!` is ignored, as in Ansible.
    pub fn parse(subset: &[String], filter: &[String]) -> Result<Selection, String> {
        let valid: BTreeSet<&'static str> = ANSIBLE_COLLECTORS
            .iter()
            .flat_map(|(n, ids, _)| std::iter::once(*n).chain(ids.iter().copied()))
            .collect();
        let minimal: BTreeSet<&'static str> = MINIMAL.iter().copied().collect();
        let mut added: BTreeSet<&'static str> = BTreeSet::new();
        let mut excluded: BTreeSet<&str> = BTreeSet::new();
        let mut explicit: BTreeSet<&str> = BTreeSet::new();
        let all = ["all".to_string()];
        let subset = if subset.is_empty() { &all[..] } else { subset };
        for item in std::iter::once("min").chain(subset.iter().map(|s| s.trim())) {
            match item {
                "min" => added.extend(&minimal),
                "all" => added.extend(&valid),
                "!min" => excluded.extend(&minimal),
                "!all" => excluded.extend(valid.difference(&minimal)),
                _ => {
                    if let Some(name) = item.strip_prefix('!') {
                        excluded.insert(name);
                        if let Some((_, ids, _)) = ANSIBLE_COLLECTORS.iter().find(|(n, _, _)| *n == name) {
                            excluded.extend(ids.iter().copied());
                        }
                    } else if let Some(name) = valid.get(item) {
                        explicit.insert(name);
                        added.insert(name);
                    } else {
                        let names: Vec<&str> = valid.iter().copied().collect();
                        return Err(format!(
                            "Bad subset '{item}' given to Ansible. gather_subset options allowed: all, {}",
                            names.join(", ")
                        ));
                    }
                }
            }
        }
        if added.is_empty() {
            added.extend(&valid);
        }
        let names: BTreeSet<&'static str> = added
            .into_iter()
            .filter(|n| !excluded.contains(n) || explicit.contains(n))
            .collect();
        // Each name selects its collector; the collectors they require come along.
        let mut collectors: BTreeSet<&'static str> = ANSIBLE_COLLECTORS
            .iter()
            .filter(|(n, ids, _)| names.contains(n) || ids.iter().any(|i| names.contains(i)))
            .map(|(n, _, _)| *n)
            .collect();
        loop {
            let required: Vec<&'static str> = ANSIBLE_COLLECTORS
                .iter()
                .filter(|(n, _, _)| collectors.contains(n))
                .flat_map(|(_, _, req)| req.iter().copied())
                .filter(|r| !collectors.contains(r))
                .collect();
            if required.is_empty() {
                break;
            }
            collectors.extend(required);
        }
        Ok(Selection {
            collectors,
            filter: filter.iter().map(|f| f.trim().to_string()).collect(),
        })
    }

    /// Whether Ansible's collector `name` runs.
    pub fn runs(&self, name: &str) -> bool {
        self.collectors.contains(name)
    }

    /// Whether fact `name` (without `ansible_`) passes the filter: a pattern matches the name
    /// with the `ansible_` prefix, or, unless it starts with `ansible_`, `facter` or `ohai`,
    /// with the prefix added to the pattern.
    pub fn keeps(&self, name: &str) -> bool {
        if self.filter.is_empty() || self.filter.iter().all(|f| f == "*") {
            return true;
        }
        let key = format!("ansible_{name}");
        self.filter.iter().any(|f| {
            f.is_empty()
                || fnmatch(f, &key)
                || (!["ansible_", "facter", "ohai"].iter().any(|p| f.starts_with(p))
                    && fnmatch(&format!("ansible_{f}"), &key))
        })
    }
}

/// Python's `fnmatch.fnmatch` on POSIX: `*`, `?`, `[seq]`, `[!seq]`, case-sensitive.
pub fn fnmatch(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    matches_at(&p, &n)
}

fn matches_at(p: &[char], n: &[char]) -> bool {
    let Some((&first, rest)) = p.split_first() else {
        return n.is_empty();
    };
    match first {
        '*' => (0..=n.len()).any(|i| matches_at(rest, &n[i..])),
        '?' => !n.is_empty() && matches_at(rest, &n[1..]),
        '[' => match class_end(rest) {
            Some(end) => {
                let Some((&c, tail)) = n.split_first() else {
                    return false;
                };
                in_class(&rest[..end], c) && matches_at(&rest[end + 1..], tail)
            }
            None => n.first() == Some(&'[') && matches_at(rest, &n[1..]),
        },
        c => n.first() == Some(&c) && matches_at(rest, &n[1..]),
    }
}

/// The index of the `]` closing a class that starts after `[` (a `]` right after `[` or `[!`
/// is a member).
fn class_end(p: &[char]) -> Option<usize> {
    let mut i = usize::from(p.first() == Some(&'!'));
    if p.get(i) == Some(&']') {
        i += 1;
    }
    p[i..].iter().position(|&c| c == ']').map(|j| i + j)
}

fn in_class(class: &[char], c: char) -> bool {
    let (negated, class) = match class.split_first() {
        Some(('!', rest)) => (true, rest),
        _ => (false, class),
    };
    let mut i = 0;
    let mut hit = false;
    while i < class.len() {
        if i + 2 < class.len() && class[i + 1] == '-' {
            hit |= class[i] <= c && c <= class[i + 2];
            i += 3;
        } else {
            hit |= class[i] == c;
            i += 1;
        }
    }
    hit != negated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(subset: &[&str]) -> Selection {
        let subset: Vec<String> = subset.iter().map(|s| s.to_string()).collect();
        Selection::parse(&subset, &[]).expect("valid subset")
    }

    #[test]
    fn subsets_like_ansible() {
        assert_eq!(sel(&[]), Selection::all());
        assert_eq!(sel(&["all"]), Selection::all());
        let min = sel(&["!all"]);
        assert!(min.runs("distribution") && min.runs("pkg_mgr") && !min.runs("hardware"));
        assert!(!min.runs("network") && !min.runs("virtual"));
        let none = sel(&["!all", "!min"]);
        assert!(!none.runs("distribution") && !none.runs("date_time"));
        // A required collector comes along.
        let pkg = sel(&["!all", "!min", "pkg_mgr"]);
        assert!(pkg.runs("pkg_mgr") && pkg.runs("distribution") && !pkg.runs("platform"));
        // A fact name selects its collector.
        let mounts = sel(&["!all", "!min", "mounts"]);
        assert!(mounts.runs("hardware") && mounts.runs("platform") && !mounts.runs("network"));
        // Excluding a collector excludes the names it is known by.
        let no_hw = sel(&["all", "!hardware"]);
        assert!(!no_hw.runs("hardware") && no_hw.runs("network"));
        // Explicitly named beats excluded.
        assert!(sel(&["!hardware", "hardware"]).runs("hardware"));
        // Only exclusions: what remains of `min`, as in Ansible (`!hardware` alone is `min`).
        let only_min = sel(&["!nosuch"]);
        assert!(only_min.runs("distribution") && !only_min.runs("network"));
        assert_eq!(sel(&["!hardware"]), only_min);
        let err = Selection::parse(&["nosuch".to_string()], &[]).expect_err("bad subset");
        assert!(
            err.starts_with("Bad subset 'nosuch' given to Ansible. gather_subset options allowed: all, "),
            "{err}"
        );
    }

    #[test]
    fn filters_like_ansible() {
        let f = |pats: &[&str]| {
            let pats: Vec<String> = pats.iter().map(|s| s.to_string()).collect();
            Selection::parse(&[], &pats).expect("valid")
        };
        assert!(f(&[]).keeps("anything"));
        assert!(f(&["*"]).keeps("anything"));
        let d = f(&["distribution*"]);
        assert!(d.keeps("distribution_version") && !d.keeps("os_family"));
        let d = f(&["ansible_os_*", "*_mb"]);
        assert!(d.keeps("os_family") && d.keeps("memtotal_mb") && !d.keeps("hostname"));
        assert!(fnmatch("a[!b-d]?", "axy") && !fnmatch("a[!b-d]?", "acy"));
        assert!(fnmatch("[]]", "]") && fnmatch("x[", "x["));
    }
}
