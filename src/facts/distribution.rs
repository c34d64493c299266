//! The `distribution` collector: `distribution`, `distribution_version`,
//! `distribution_major_version`, `distribution_release` and `os_family`, from
//! `/etc/os-release` (and `/etc/debian_version` on Debian), as Ansible derives them.

use indexmap::IndexMap;
use minijinja::Value;

use super::Facts;
use super::platform::{UNAME, uname_field};
use super::sections::{Sections, Snippet};

const FILES: Snippet = Snippet {
    name: "os-release",
    script: r#"ph_s os-release; ph_cat /etc/os-release || ph_cat /usr/lib/os-release
ph_s debian_version; ph_cat /etc/debian_version
"#,
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&FILES, &UNAME];

/// The facts this collector sets.
pub const FACTS: &[&str] = &[
    "distribution",
    "distribution_version",
    "distribution_major_version",
    "distribution_minor_version",
    "distribution_release",
    "distribution_file_parsed",
    "distribution_file_path",
    "distribution_file_variety",
    "os_family",
];

/// Parses the distribution sections into `facts`.
pub fn parse(sections: &Sections, facts: &mut Facts) {
    let system = uname_field(sections, 0);
    for (key, value) in distribution(
        sections.get("os-release"),
        sections.get("debian_version"),
        &system,
    ) {
        facts.insert(key.into(), Value::from(value));
    }
    if facts.contains_key("distribution_file_path") {
        facts.insert("distribution_file_parsed".into(), Value::from(true));
    }
}

fn distribution(os_release_text: &str, debian_version: &str, system: &str) -> Vec<(&'static str, String)> {
    let rel = os_release(os_release_text);
    let get = |k: &str| rel.get(k).cloned().unwrap_or_default();
    let id = get("ID");
    let name = match id.as_str() {
        "" if system != "Linux" => system.to_string(),
        "" => "OtherLinux".to_string(),
        "debian" => "Debian".into(),
        "ubuntu" => "Ubuntu".into(),
        "raspbian" => "Debian".into(),
        "linuxmint" => "Linux Mint".into(),
        "rhel" => "RedHat".into(),
        "centos" => "CentOS".into(),
        "fedora" => "Fedora".into(),
        "rocky" => "Rocky".into(),
        "almalinux" => "AlmaLinux".into(),
        "ol" => "OracleLinux".into(),
        "amzn" => "Amazon".into(),
        "alpine" => "Alpine".into(),
        "arch" => "Archlinux".into(),
        "manjaro" => "Manjaro".into(),
        "gentoo" => "Gentoo".into(),
        "sles" => "SLES".into(),
        "opensuse-leap" => "openSUSE Leap".into(),
        "opensuse-tumbleweed" => "openSUSE Tumbleweed".into(),
        other => python_capitalize(other),
    };
    let mut version = get("VERSION_ID");
    let debian_version = debian_version.trim();
    if name == "Debian" && debian_version.starts_with(|c: char| c.is_ascii_digit()) {
        version = debian_version.to_string();
    }
    if version.is_empty() {
        version = "NA".into();
    }
    let major = version
        .split('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("NA")
        .to_string();
    let mut release = get("VERSION_CODENAME");
    if release.is_empty() {
        release = get("UBUNTU_CODENAME");
    }
    if release.is_empty() {
        release = "NA".into();
    }
    let family = os_family(&name).to_string();
    let minor = version.split('.').nth(1).map(str::to_string);
    let debian_family = family == "Debian";
    let mut facts = vec![
        ("distribution", name),
        ("distribution_version", version),
        ("distribution_major_version", major),
        ("distribution_release", release),
        ("os_family", family),
    ];
    if let Some(minor) = minor {
        facts.push(("distribution_minor_version", minor));
    }
    if debian_family && !os_release_text.is_empty() {
        // Ansible finds Debian-family systems through `/etc/os-release`.
        facts.push(("distribution_file_path", "/etc/os-release".into()));
        facts.push(("distribution_file_variety", "Debian".into()));
    }
    facts
}

/// Values of `/etc/os-release`, unquoted.
fn os_release(text: &str) -> IndexMap<String, String> {
    let mut map = IndexMap::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = if value.len() >= 2
            && ((value.starts_with('"') && value.ends_with('"'))
                || (value.starts_with('\'') && value.ends_with('\'')))
        {
            value[1..value.len() - 1]
                .replace("\\\"", "\"")
                .replace("\\\\", "\\")
        } else {
            value.to_string()
        };
        map.insert(key.trim().to_string(), value);
    }
    map
}

/// Python's `str.capitalize()` on ASCII.
fn python_capitalize(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Ansible's `OS_FAMILY_MAP`, for the distributions named above.
fn os_family(distribution: &str) -> &str {
    match distribution {
        "RedHat" | "RHEL" | "Fedora" | "CentOS" | "OracleLinux" | "Amazon" | "AlmaLinux" | "Rocky"
        | "Scientific" | "CloudLinux" | "EuroLinux" => "RedHat",
        "Debian" | "Ubuntu" | "Raspbian" | "Linux Mint" | "Devuan" | "Kali" | "Pop!_OS" => "Debian",
        "SLES" | "SLED" | "openSUSE" | "openSUSE Leap" | "openSUSE Tumbleweed" | "SUSE_LINUX" => "Suse",
        "Archlinux" | "Manjaro" | "Antergos" => "Archlinux",
        "Gentoo" | "Funtoo" => "Gentoo",
        "Alpine" => "Alpine",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributions() {
        let ubuntu = "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nVERSION_CODENAME=jammy\n";
        let d: IndexMap<_, _> = distribution(ubuntu, "bookworm/sid", "Linux")
            .into_iter()
            .collect();
        assert_eq!(d["distribution"], "Ubuntu");
        assert_eq!(d["distribution_version"], "22.04");
        assert_eq!(d["distribution_major_version"], "22");
        assert_eq!(d["distribution_release"], "jammy");
        assert_eq!(d["os_family"], "Debian");
        let rocky = "ID=\"rocky\"\nVERSION_ID=\"9.3\"\n";
        let d: IndexMap<_, _> = distribution(rocky, "", "Linux").into_iter().collect();
        assert_eq!(d["os_family"], "RedHat");
        assert_eq!(d["distribution_release"], "NA");
    }
}
