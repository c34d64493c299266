//! The `service_mgr` collector: `service_mgr`, the init system Ansible's `service` module would
//! drive, from PID 1's name and the systemd, upstart, openrc, sysvinit and dinit markers.
//! Not ported: the `ps -p 1` fallback for hosts whose `/proc/1/comm` cannot be read.

use minijinja::Value;

use super::Facts;
use super::sections::{Sections, Snippet};

/// PID 1's name; where that does not decide (`init`, a shell, unreadable), `/sbin/init`'s
/// target; the markers Ansible tests.
const SERVICE_MGR: Snippet = Snippet {
    name: "service_mgr",
    script: r#"ph_s proc1-comm; ph_c=; read -r ph_c < /proc/1/comm 2>/dev/null && printf '%s\n' "$ph_c"
ph_s sbin-init
case $ph_c in '' | init | *sh) [ -L /sbin/init ] && readlink /sbin/init 2>/dev/null ;; esac
ph_s service-paths
for p in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/ /etc/init/ /sbin/openrc /etc/init.d/ /etc/dinit.d/; do
  [ -e "$p" ] && printf '%s\n' "$p"
done
for p in systemctl initctl; do command -v "$p" >/dev/null 2>&1 && printf '%s\n' "$p"; done
"#,
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&SERVICE_MGR];

/// The facts this collector sets.
pub const FACTS: &[&str] = &["service_mgr"];

/// Parses the service manager sections into `facts`; reads `system` and `distribution` (the
/// collector requires `platform` and `distribution`).
pub fn parse(sections: &Sections, facts: &mut Facts) {
    let fact = |k: &str| {
        facts
            .get(k)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let (system, distribution) = (fact("system"), fact("distribution"));
    let found: Vec<&str> = sections.get("service-paths").lines().collect();
    let has = |p: &str| found.contains(&p);
    let mut proc_1 = sections
        .get("proc1-comm")
        .lines()
        .next()
        .filter(|_| sections.has("proc1-comm") && !sections.get("proc1-comm").is_empty())
        .map(str::to_string);
    if proc_1.is_none() {
        proc_1 = sections.get("sbin-init").lines().next().map(str::to_string);
    }
    let proc_1 = proc_1
        .map(|p| p.rsplit('/').next().unwrap_or("").trim().to_string())
        .filter(|p| p != "init" && !p.ends_with("sh"));
    let name = if let Some(p) = proc_1 {
        match p.as_str() {
            "procd" => "openwrt_init".to_string(),
            "runit-init" => "runit".to_string(),
            "svscan" => "svc".to_string(),
            "openrc-init" => "openrc".to_string(),
            other => other.to_string(),
        }
    } else if system.contains("BSD") || system == "Bitrig" || system == "DragonFly" {
        "bsdinit".into()
    } else if system == "AIX" {
        "src".into()
    } else if system == "SunOS" {
        "smf".into()
    } else if distribution == "OpenWrt" {
        "openwrt_init".into()
    } else if distribution == "SMGL" {
        "simpleinit_msb".into()
    } else if system == "Linux" {
        let systemd_canary = ["/run/systemd/system/", "/dev/.run/systemd/", "/dev/.systemd/"]
            .iter()
            .any(|p| has(p));
        let init_link = sections.get("sbin-init").trim();
        let systemd_offline = init_link.rsplit('/').next() == Some("systemd");
        if has("systemctl") && systemd_canary {
            "systemd".into()
        } else if has("initctl") && has("/etc/init/") {
            "upstart".into()
        } else if has("/sbin/openrc") {
            "openrc".into()
        } else if has("systemctl") && systemd_offline {
            "systemd".into()
        } else if has("/etc/init.d/") {
            "sysvinit".into()
        } else if has("/etc/dinit.d/") {
            "dinit".into()
        } else {
            "service".into()
        }
    } else {
        "service".into()
    };
    facts.insert("service_mgr".into(), Value::from(name));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mgr(text: &str, system: &str) -> String {
        let mut facts = Facts::new();
        facts.insert("system".into(), Value::from(system));
        parse(&Sections::split(text), &mut facts);
        facts["service_mgr"].to_string()
    }

    #[test]
    fn service_managers() {
        assert_eq!(mgr("@@playhook-facts:proc1-comm\nsystemd\n", "Linux"), "systemd");
        assert_eq!(
            mgr("@@playhook-facts:proc1-comm\nprocd\n", "Linux"),
            "openwrt_init"
        );
        let container = "@@playhook-facts:proc1-comm\nbash\n@@playhook-facts:service-paths\n/etc/init.d/\n";
        assert_eq!(mgr(container, "Linux"), "sysvinit");
        let booted = "@@playhook-facts:proc1-comm\ninit\n@@playhook-facts:service-paths\n/run/systemd/system/\nsystemctl\n";
        assert_eq!(mgr(booted, "Linux"), "systemd");
        assert_eq!(mgr("@@playhook-facts:proc1-comm\nsh\n", "Linux"), "service");
    }
}
