//! The `selinux` collector: `selinux` (`status`, and when enabled `mode`, `config_mode`, `type`,
//! `policyvers`) and `selinux_python_present`, read from selinuxfs and `/etc/selinux/config`.
//!
//! Ansible asks libselinux through Python and reports `Missing selinux Python library` where
//! that library is absent; playhook reads the kernel's files directly, so it always knows, and
//! reports `selinux_python_present: true` as Ansible does where it can read SELinux's state.

use minijinja::Value;

use super::Facts;
use super::sections::{Sections, Snippet};

const SELINUX: Snippet = Snippet {
    name: "selinux",
    script: r#"ph_s selinux-enforce; ph_cat /sys/fs/selinux/enforce
ph_s selinux-policyvers; ph_cat /sys/fs/selinux/policyvers
ph_s selinux-config; ph_cat /etc/selinux/config
"#,
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&SELINUX];

/// The facts this collector sets.
pub const FACTS: &[&str] = &["selinux", "selinux_python_present"];

/// Parses the SELinux sections into `facts`.
pub fn parse(sections: &Sections, facts: &mut Facts) {
    let enforce = sections.get("selinux-enforce").trim();
    let mut selinux: Vec<(&str, Value)> = Vec::new();
    if enforce.is_empty() {
        selinux.push(("status", Value::from("disabled")));
    } else {
        selinux.push(("status", Value::from("enabled")));
        let policyvers = sections.get("selinux-policyvers").trim();
        selinux.push((
            "policyvers",
            policyvers
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::from("unknown")),
        ));
        let config = |key: &str| {
            sections
                .get("selinux-config")
                .lines()
                .filter_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
                .next_back()
                .map(|v| v.trim().trim_matches('"').to_string())
        };
        let config_mode = match config("SELINUX").as_deref() {
            Some(m @ ("enforcing" | "permissive" | "disabled")) => m.to_string(),
            _ => "unknown".to_string(),
        };
        selinux.push(("config_mode", Value::from(config_mode)));
        let mode = match enforce {
            "1" => "enforcing",
            "0" => "permissive",
            _ => "unknown",
        };
        selinux.push(("mode", Value::from(mode)));
        selinux.push((
            "type",
            Value::from(config("SELINUXTYPE").unwrap_or_else(|| "unknown".into())),
        ));
    }
    facts.insert("selinux".into(), Value::from_pairs(selinux));
    facts.insert("selinux_python_present".into(), Value::from(true));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_and_enforcing() {
        let mut facts = Facts::new();
        parse(&Sections::split(""), &mut facts);
        assert_eq!(facts["selinux"].to_string(), "{'status': 'disabled'}");
        let text = "@@playhook-facts:selinux-enforce\n1\n@@playhook-facts:selinux-policyvers\n33\n\
                    @@playhook-facts:selinux-config\nSELINUX=enforcing\nSELINUXTYPE=targeted\n";
        parse(&Sections::split(text), &mut facts);
        let s = &facts["selinux"];
        assert_eq!(
            s.get_attr("mode").ok().map(|v| v.to_string()),
            Some("enforcing".into())
        );
        assert_eq!(
            s.get_attr("type").ok().map(|v| v.to_string()),
            Some("targeted".into())
        );
        assert_eq!(s.get_attr("policyvers").ok().and_then(|v| v.as_i64()), Some(33));
    }
}
