//! The `lsb` collector: `lsb` (`id`, `release`, `major_release`, `description`, `codename`)
//! from `lsb_release -a` when the host has it, else `/etc/lsb-release`; `{}` without either,
//! as Ansible reports it.

use indexmap::IndexMap;
use minijinja::Value;

use super::Facts;
use super::sections::{Sections, Snippet};

const LSB: Snippet = Snippet {
    name: "lsb",
    script: r#"ph_s lsb-bin
command -v lsb_release >/dev/null 2>&1 && ph_o=$(lsb_release -a 2>/dev/null) && printf '%s\n' "$ph_o"
ph_s lsb-file; ph_cat /etc/lsb-release
"#,
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&LSB];

/// The facts this collector sets.
pub const FACTS: &[&str] = &["lsb"];

/// Parses the LSB sections into `facts`.
pub fn parse(sections: &Sections, facts: &mut Facts) {
    let mut lsb: IndexMap<&str, String> = IndexMap::new();
    for line in sections.get("lsb-bin").lines() {
        let Some((_, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_string();
        let key = if line.contains("LSB Version:") || line.contains("Release:") {
            "release"
        } else if line.contains("Distributor ID:") {
            "id"
        } else if line.contains("Description:") {
            "description"
        } else if line.contains("Codename:") {
            "codename"
        } else {
            continue;
        };
        lsb.insert(key, value);
    }
    if lsb.is_empty() {
        for line in sections.get("lsb-file").lines() {
            let Some((_, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim().to_string();
            for (marker, key) in [
                ("DISTRIB_ID", "id"),
                ("DISTRIB_RELEASE", "release"),
                ("DISTRIB_DESCRIPTION", "description"),
                ("DISTRIB_CODENAME", "codename"),
            ] {
                if line.contains(marker) {
                    lsb.insert(key, value);
                    break;
                }
            }
        }
    }
    if let Some(release) = lsb.get("release") {
        let major = release.split('.').next().unwrap_or("").to_string();
        lsb.insert("major_release", major);
    }
    let strip = |v: &str| v.trim_matches(['\'', '"', '\\']).to_string();
    let lsb: Vec<(&str, Value)> = lsb
        .iter()
        .map(|(k, v)| (*k, Value::from(if v.is_empty() { v.clone() } else { strip(v) })))
        .collect();
    facts.insert("lsb".into(), Value::from_pairs(lsb));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_program_and_file() {
        let mut facts = Facts::new();
        let bin = "@@playhook-facts:lsb-bin\nDistributor ID:\tDebian\nDescription:\tDebian GNU/Linux 12 (bookworm)\n\
                   Release:\t12\nCodename:\tbookworm\n";
        parse(&Sections::split(bin), &mut facts);
        let l = &facts["lsb"];
        assert_eq!(
            l.get_attr("major_release").ok().map(|v| v.to_string()),
            Some("12".into())
        );
        assert_eq!(
            l.get_attr("id").ok().map(|v| v.to_string()),
            Some("Debian".into())
        );
        let file = "@@playhook-facts:lsb-file\nDISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_DESCRIPTION=\"Ubuntu 22.04.4 LTS\"\n";
        parse(&Sections::split(file), &mut facts);
        let l = &facts["lsb"];
        assert_eq!(
            l.get_attr("description").ok().map(|v| v.to_string()),
            Some("Ubuntu 22.04.4 LTS".into())
        );
        assert_eq!(
            l.get_attr("major_release").ok().map(|v| v.to_string()),
            Some("22".into())
        );
        parse(&Sections::split(""), &mut facts);
        assert_eq!(facts["lsb"].to_string(), "{}");
    }
}
