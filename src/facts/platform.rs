//! The `platform` collector: `system`, `kernel`, `kernel_version`, `machine`, `architecture`,
//! `userspace_bits`, `userspace_architecture`, `machine_id`, `python_version` (of the host's
//! `python3`, when it has one) and the host's names (`hostname`, `nodename`, `fqdn`, `domain`),
//! from `/proc/sys/kernel` (or `uname`) and `getent`.

use minijinja::Value;

use super::Facts;
use super::sections::{Sections, Snippet};

/// `uname -s`, `-n`, `-r`, `-v` (read from `/proc` where it can) and `-m`, one per line.
pub const UNAME: Snippet = Snippet {
    name: "uname",
    script: r#"ph_s uname
if [ -r /proc/sys/kernel/osrelease ]; then
  ph_cat /proc/sys/kernel/ostype; ph_cat /proc/sys/kernel/hostname
  ph_cat /proc/sys/kernel/osrelease; ph_cat /proc/sys/kernel/version
else
  uname -s; uname -n; uname -r; uname -v
fi
uname -m
"#,
};

/// The `getent hosts` line of the host's first address, for Python's `socket.getfqdn()`, and
/// the machine id.
const NAMES: Snippet = Snippet {
    name: "fqdn",
    script: r#"ph_s fqdn
read -r ph_n < /proc/sys/kernel/hostname 2>/dev/null || ph_n=$(uname -n)
set -- $(getent ahosts "$ph_n" 2>/dev/null)
[ -n "$1" ] && getent hosts "$1" 2>/dev/null
ph_s machine-id; ph_cat /var/lib/dbus/machine-id || ph_cat /etc/machine-id
"#,
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&UNAME, &NAMES, &super::python::PYTHON];

/// The facts this collector sets.
pub const FACTS: &[&str] = &[
    "hostname",
    "nodename",
    "fqdn",
    "domain",
    "system",
    "kernel",
    "kernel_version",
    "machine",
    "architecture",
    "userspace_bits",
    "userspace_architecture",
    "machine_id",
    "python_version",
];

/// Field `i` of the `uname` section (0: system, 1: node name, 2: release, 3: version, 4: machine).
pub fn uname_field(sections: &Sections, i: usize) -> String {
    sections.get("uname").lines().nth(i).unwrap_or("").to_string()
}

/// Parses the platform sections into `facts`.
pub fn parse(sections: &Sections, facts: &mut Facts) {
    let nodename = uname_field(sections, 1);
    let hostname = nodename.split('.').next().unwrap_or("").to_string();
    let fqdn = fqdn(sections.get("fqdn"), &nodename);
    let domain = fqdn
        .split_once('.')
        .map(|(_, d)| d.to_string())
        .unwrap_or_default();
    facts.insert("hostname".into(), Value::from(hostname));
    facts.insert("nodename".into(), Value::from(nodename));
    facts.insert("fqdn".into(), Value::from(fqdn));
    facts.insert("domain".into(), Value::from(domain));
    let machine = uname_field(sections, 4);
    facts.insert("system".into(), Value::from(uname_field(sections, 0)));
    facts.insert("kernel".into(), Value::from(uname_field(sections, 2)));
    facts.insert("kernel_version".into(), Value::from(uname_field(sections, 3)));
    facts.insert("machine".into(), Value::from(machine.clone()));
    facts.insert("architecture".into(), Value::from(architecture(&machine)));
    let bits = userspace_bits(&machine);
    facts.insert("userspace_bits".into(), Value::from(bits));
    if machine == "x86_64" || matches!(machine.as_str(), "i86pc" | "i86xen") {
        let arch = if bits == "64" { "x86_64" } else { "i386" };
        facts.insert("userspace_architecture".into(), Value::from(arch));
    }
    if let Some(id) = sections
        .get("machine-id")
        .lines()
        .next()
        .filter(|l| !l.is_empty())
    {
        facts.insert("machine_id".into(), Value::from(id));
    }
    if let Some(version) = super::python::python_version(sections) {
        facts.insert("python_version".into(), Value::from(version));
    }
}

/// Python's `socket.getfqdn()`: the first name with a dot among the canonical name and aliases
/// of the host's first address, else the canonical name; the node name when lookups fail.
fn fqdn(lookup: &str, nodename: &str) -> String {
    let names: Vec<&str> = lookup.split_whitespace().skip(1).collect();
    match names.first() {
        None => nodename.to_string(),
        Some(canonical) => names
            .iter()
            .find(|n| n.contains('.'))
            .unwrap_or(canonical)
            .to_string(),
    }
}

/// `architecture` as Ansible reports it (`uname -m`, with `i386` for the 32-bit x86 names).
pub fn architecture(machine: &str) -> String {
    match machine {
        "i486" | "i586" | "i686" => "i386".to_string(),
        _ => machine.to_string(),
    }
}

/// `userspace_bits`. Ansible asks its Python interpreter's binary (`platform.architecture()`);
/// playhook starts no program for it and takes the word size of the kernel's machine, so a
/// 32-bit userland on a 64-bit kernel reports 64.
fn userspace_bits(machine: &str) -> &'static str {
    let m = machine;
    if m.ends_with("64") || m.starts_with("aarch64") || m.starts_with("ppc64") || m == "s390x" {
        "64"
    } else {
        "32"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_like_python() {
        assert_eq!(fqdn("127.0.0.1       localhost\n", "vm"), "localhost");
        assert_eq!(
            fqdn("10.0.0.5 web1 web1.example.com\n", "web1"),
            "web1.example.com"
        );
        assert_eq!(fqdn("", "vm"), "vm");
    }

    #[test]
    fn userspace() {
        assert_eq!(userspace_bits("x86_64"), "64");
        assert_eq!(userspace_bits("armv7l"), "32");
        assert_eq!(userspace_bits("i686"), "32");
        assert_eq!(architecture("i686"), "i386");
    }
}
