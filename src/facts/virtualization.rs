//! The `virtual` collector: `virtualization_type`, `virtualization_role`,
//! `virtualization_tech_guest` and `virtualization_tech_host`, following Ansible's
//! `LinuxVirtual` checks (container markers of PID 1, `/proc` flags, DMI names, kernel
//! modules, `/dev/kvm`). Not ported: `dmidecode`, `lscpu` on s390 and the RHEV `vdsm` probe.

use minijinja::Value;

use super::Facts;
use super::hardware::CPU_MEMORY;
use super::sections::{Sections, Snippet};

const VIRTUAL: Snippet = Snippet {
    name: "virtual",
    script: r#"ph_s cgroup1; ph_cat /proc/1/cgroup
ph_s environ1; [ -r /proc/1/environ ] && tr '\0' '\n' < /proc/1/environ 2>/dev/null
ph_s virt-paths
for p in /proc/vz /proc/lve /proc/bc /.dockerenv /.dockerinit /proc/xen /dev/kvm; do
  [ -e "$p" ] && printf '%s\n' "$p"
done
ph_s systemd-container; ph_cat /run/systemd/container
ph_s xen-caps; ph_cat /proc/xen/capabilities
for f in product_name sys_vendor product_family bios_vendor; do
  ph_s "dmi-$f"; ph_cat "/sys/devices/virtual/dmi/id/$f"
done
ph_s modules
[ -r /proc/modules ] && while read -r ph_m ph_rest; do printf '%s\n' "$ph_m"; done < /proc/modules
"#,
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&VIRTUAL, &CPU_MEMORY];

/// The facts this collector sets.
pub const FACTS: &[&str] = &[
    "virtualization_type",
    "virtualization_role",
    "virtualization_tech_guest",
    "virtualization_tech_host",
];

/// What the checks found so far, as Ansible's `get_virtual_facts` tracks it.
#[derive(Default)]
struct Found {
    kind: Option<String>,
    role: Option<String>,
    done: bool,
    guest: Vec<String>,
    host: Vec<String>,
}

impl Found {
    fn guest(&mut self, tech: &str, kind: &str, role: Option<&str>) {
        add(&mut self.guest, tech);
        self.first(kind, role);
    }
    fn host(&mut self, tech: &str, kind: &str, role: Option<&str>) {
        add(&mut self.host, tech);
        self.first(kind, role);
    }
    /// Sets type and role unless an earlier check already decided.
    fn first(&mut self, kind: &str, role: Option<&str>) {
        if !self.done {
            self.kind = Some(kind.to_string());
            if let Some(r) = role {
                self.role = Some(r.to_string());
            }
            self.done = true;
        }
    }
}

fn add(set: &mut Vec<String>, tech: &str) {
    if !set.iter().any(|t| t == tech) {
        set.push(tech.to_string());
    }
}

/// Parses the virtualization sections into `facts`.
pub fn parse(sections: &Sections, facts: &mut Facts) {
    let mut f = Found::default();
    let content = |name: &str| sections.get(name).trim().to_string();
    for line in sections.get("cgroup1").lines() {
        if line.contains("/docker/") || docker_scope(line) {
            f.guest("docker", "docker", Some("guest"));
        }
        if line.contains("/lxc/") || line.contains("/machine.slice/machine-lxc") {
            f.guest("lxc", "lxc", Some("guest"));
        }
        if line.contains("/system.slice/containerd.service") {
            f.guest("containerd", "containerd", Some("guest"));
        }
    }
    for line in sections.get("environ1").lines() {
        if line.contains("container=lxc") {
            f.guest("lxc", "lxc", Some("guest"));
        }
        if line.contains("container=podman") {
            f.guest("podman", "podman", Some("guest"));
        }
        if line.len() > "container=".len() && line.starts_with("container=") {
            f.guest("container", "container", Some("guest"));
        }
    }
    let paths: Vec<&str> = sections.get("virt-paths").lines().collect();
    let exists = |p: &str| paths.contains(&p);
    if exists("/proc/vz") && !exists("/proc/lve") {
        f.kind = Some("openvz".into());
        if exists("/proc/bc") {
            add(&mut f.host, "openvz");
            if !f.done {
                f.role = Some("host".into());
            }
        } else {
            add(&mut f.guest, "openvz");
            if !f.done {
                f.role = Some("guest".into());
            }
        }
        f.done = true;
    }
    let systemd_container = content("systemd-container");
    if !systemd_container.is_empty() {
        f.guest(&systemd_container, &systemd_container, Some("guest"));
    }
    if exists("/.dockerenv") || exists("/.dockerinit") {
        f.guest("docker", "docker", Some("guest"));
    }
    let containers = ["docker", "lxc", "podman", "openvz", "containerd"];
    if f.guest.iter().any(|t| containers.contains(&t.as_str())) || !systemd_container.is_empty() {
        add(&mut f.guest, "container");
    }
    if exists("/proc/xen") {
        if sections.get("xen-caps").contains("control_d") {
            f.host("xen", "xen", Some("host"));
        } else if !f.done {
            f.kind = Some("xen".into());
            f.role = Some("guest".into());
        }
        f.done = true;
    }
    // Ansible assumes a guest for the DMI checks and takes it back when none matched.
    let assumed = !f.done;
    if assumed {
        f.role = Some("guest".into());
    }
    let product_name = content("dmi-product_name");
    let sys_vendor = content("dmi-sys_vendor");
    let product_family = content("dmi-product_family");
    let bios_vendor = content("dmi-bios_vendor");
    if ["KVM", "KVM Server", "Bochs", "AHV", "CloudStack KVM Hypervisor"].contains(&product_name.as_str()) {
        f.guest("kvm", "kvm", None);
    }
    if sys_vendor == "oVirt" {
        f.guest("oVirt", "oVirt", None);
    }
    if sys_vendor == "Red Hat" {
        if product_family == "RHV" {
            f.guest("RHV", "RHV", None);
        } else if product_name == "RHEV Hypervisor" {
            f.guest("RHEV", "RHEV", None);
        }
    }
    if product_name.starts_with("VMware") {
        f.guest("VMware", "VMware", None);
    }
    if ["OpenStack Compute", "OpenStack Nova"].contains(&product_name.as_str()) {
        f.guest("openstack", "openstack", None);
    }
    if bios_vendor == "Xen" {
        f.guest("xen", "xen", None);
    }
    if bios_vendor == "innotek GmbH" {
        f.guest("virtualbox", "virtualbox", None);
    }
    if ["Amazon EC2", "DigitalOcean", "Hetzner", "Linode"].contains(&bios_vendor.as_str()) {
        f.guest("kvm", "kvm", None);
    }
    if [
        "QEMU",
        "Amazon EC2",
        "DigitalOcean",
        "Google",
        "Scaleway",
        "Nutanix",
    ]
    .contains(&sys_vendor.as_str())
    {
        f.guest("kvm", "kvm", None);
    }
    for (vendor, tech) in [
        ("KubeVirt", "KubeVirt"),
        ("Microsoft Corporation", "VirtualPC"),
        ("Parallels Software International Inc.", "parallels"),
        ("OpenStack Foundation", "openstack"),
    ] {
        if sys_vendor == vendor {
            f.guest(tech, tech, None);
        }
    }
    if assumed && !f.done {
        f.role = None;
    }
    for line in sections.get("nproc").lines() {
        let Some(id) = line.strip_prefix("VxID:").map(str::trim) else {
            continue;
        };
        if id.parse::<u64>().is_err() {
            continue;
        }
        let role = if id == "0" { "host" } else { "guest" };
        let set = if id == "0" { &mut f.host } else { &mut f.guest };
        add(set, "linux_vserver");
        f.first("linux_vserver", Some(role));
    }
    for line in sections.get("cpuinfo").lines() {
        let tech = if line.starts_with("model name") && line.contains("QEMU Virtual CPU") {
            "kvm"
        } else if line.starts_with("vendor_id") && line.contains("User Mode Linux")
            || line.starts_with("model name") && line.contains("UML")
        {
            "uml"
        } else if line.starts_with("vendor_id") && line.contains("PowerVM Lx86") {
            "powervm_lx86"
        } else {
            continue;
        };
        f.guest(tech, tech, Some("guest"));
    }
    let modules: Vec<&str> = sections.get("modules").lines().collect();
    if modules.contains(&"kvm") {
        f.host("kvm", "kvm", Some("host"));
    }
    if modules.contains(&"vboxdrv") {
        f.host("virtualbox", "virtualbox", Some("host"));
    }
    if modules.contains(&"virtio") {
        f.host("kvm", "kvm", Some("guest"));
    }
    if exists("/dev/kvm") {
        f.host("kvm", "kvm", Some("host"));
    }
    f.guest.sort();
    f.host.sort();
    let na = || Value::from("NA");
    let done = f.done;
    let kind = f.kind.map(Value::from).filter(|_| done).unwrap_or_else(na);
    let role = f.role.map(Value::from).filter(|_| done).unwrap_or_else(na);
    facts.insert("virtualization_type".into(), kind);
    facts.insert("virtualization_role".into(), role);
    facts.insert("virtualization_tech_guest".into(), Value::from(f.guest));
    facts.insert("virtualization_tech_host".into(), Value::from(f.host));
}

/// Ansible's `/docker-[0-9a-f]+\.scope` (systemd's cgroup name for a container).
fn docker_scope(line: &str) -> bool {
    line.split("/docker-").skip(1).any(|rest| {
        rest.split_once(".scope")
            .is_some_and(|(id, _)| !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn virt(text: &str) -> Facts {
        let mut facts = Facts::new();
        parse(&Sections::split(text), &mut facts);
        facts
    }

    #[test]
    fn docker_on_kvm() {
        let f = virt("@@playhook-facts:virt-paths\n/.dockerenv\n/dev/kvm\n");
        assert_eq!(f["virtualization_type"].as_str(), Some("docker"));
        assert_eq!(f["virtualization_role"].as_str(), Some("guest"));
        assert_eq!(
            f["virtualization_tech_guest"].to_string(),
            "['container', 'docker']"
        );
        assert_eq!(f["virtualization_tech_host"].to_string(), "['kvm']");
    }

    #[test]
    fn bare_metal_and_kvm_guest() {
        let f = virt("@@playhook-facts:virt-paths\n");
        assert_eq!(f["virtualization_type"].as_str(), Some("NA"));
        assert_eq!(f["virtualization_role"].as_str(), Some("NA"));
        let f = virt("@@playhook-facts:dmi-sys_vendor\nQEMU\n");
        assert_eq!(f["virtualization_type"].as_str(), Some("kvm"));
        assert_eq!(f["virtualization_role"].as_str(), Some("guest"));
        assert!(docker_scope("0::/system.slice/docker-0abc.scope"));
        assert!(!docker_scope("0::/system.slice/docker-xyz.scope"));
    }
}
