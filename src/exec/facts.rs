//! Fact gathering (`gather_facts`): one shell script, one round trip, reading only what `sh`,
//! coreutils, `/etc/os-release` and `/proc` (and `ip`/`getent` where present) give, parsed on
//! the controller into the subset of Ansible's `setup` facts that repositories use, with the
//! values `setup` reports on the same machine.

use indexmap::IndexMap;
use minijinja::Value;

use crate::connection::{Become, Command, Connection, ConnectionError};

/// Fact gathering failed on a host.
#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("gathering facts")]
    Connection(#[source] ConnectionError),
    #[error("gathering facts: the fact script exited with {rc}: {stderr}")]
    Script { rc: i32, stderr: String },
}

/// Starts each section of the script's output.
const SECTION: &str = "@@playhook-facts:";

/// The script: prints raw sections; all interpretation happens in [`parse`]. Process starts are
/// what costs on a host, so files are read with the shell's own `read` and only `uname -m`,
/// `id`, `getent`, `ip`, `cat /proc/cpuinfo`, `date` and `env` are started.
fn script() -> String {
    let s = SECTION;
    format!(
        r#"ph_cat() {{ while IFS= read -r ph_l || [ -n "$ph_l" ]; do printf '%s\n' "$ph_l"; done < "$1"; }} 2>/dev/null
printf '%s\n' '{s}os-release'; ph_cat /etc/os-release || ph_cat /usr/lib/os-release
printf '%s\n' '{s}debian_version'; ph_cat /etc/debian_version
printf '%s\n' '{s}uname'
if [ -r /proc/sys/kernel/osrelease ]; then
  ph_cat /proc/sys/kernel/ostype; ph_cat /proc/sys/kernel/hostname
  ph_cat /proc/sys/kernel/osrelease; ph_cat /proc/sys/kernel/version
else
  uname -s; uname -n; uname -r; uname -v
fi
uname -m
printf '%s\n' '{s}id'
ph_id=$(id); printf '%s\n' "$ph_id"
ph_uid=${{ph_id#uid=}}; ph_uid=${{ph_uid%%[!0-9]*}}
printf '%s\n' '{s}passwd'
getent passwd "$ph_uid" 2>/dev/null || ph_cat /etc/passwd
printf '%s\n' '{s}fqdn'
read -r ph_n < /proc/sys/kernel/hostname 2>/dev/null || ph_n=$(uname -n)
set -- $(getent ahosts "$ph_n" 2>/dev/null)
[ -n "$1" ] && getent hosts "$1" 2>/dev/null
printf '%s\n' '{s}ip'
ip -4 -o -force -batch - 2>/dev/null <<'PH_IP' || ph_noip=1
route get 8.8.8.8
addr show
PH_IP
printf '%s\n' '{s}proc-route'; ph_cat /proc/net/route
printf '%s\n' '{s}fib-trie'; [ -n "$ph_noip" ] && ph_cat /proc/net/fib_trie
printf '%s\n' '{s}link'
for d in /sys/class/net/*; do
  [ -r "$d/address" ] || continue
  read -r ph_a < "$d/address"; read -r ph_m < "$d/mtu"; read -r ph_t < "$d/type"
  printf '%s %s %s %s\n' "${{d##*/}}" "$ph_a" "$ph_m" "$ph_t"
done 2>/dev/null
printf '%s\n' '{s}cpuinfo'; cat /proc/cpuinfo 2>/dev/null
printf '%s\n' '{s}nproc'
if [ -r /proc/self/status ]; then ph_cat /proc/self/status; else nproc 2>/dev/null; fi
printf '%s\n' '{s}meminfo'; ph_cat /proc/meminfo
printf '%s\n' '{s}pkg'
for p in /usr/bin/rpm-ostree /usr/bin/yum /usr/bin/dnf-3 /usr/bin/dnf5 /usr/bin/apt-get /usr/bin/zypper \
  /usr/sbin/urpmi /usr/bin/pacman /bin/opkg /sbin/apk /usr/bin/emerge /usr/bin/xbps-install /run/ostree-booted; do
  [ -e "$p" ] && printf '%s\n' "$p"
done
for p in /usr/bin/dnf /usr/bin/microdnf; do
  [ -e "$p" ] && printf '%s %s\n' "$p" "$(readlink -f "$p" 2>/dev/null)"
done
printf '%s\n' '{s}date'
ph_fmt='+%Y|%m|%A|%w|%W|%d|%H|%M|%S|%s|%Z|%z|%N'
date -f - "$ph_fmt" 2>/dev/null <<'PH_DATE' || {{ date "$ph_fmt"; date -d @1735689600 "$ph_fmt"; date -d @1751328000 "$ph_fmt"; }} 2>/dev/null
now
@1735689600
@1751328000
PH_DATE
printf '%s\n' '{s}env'; env
true
"#
    )
}

/// Gathers the facts of the host behind `conn`.
///
/// Returns the `ansible_facts` mapping (keys without the `ansible_` prefix); use
/// [`top_level_vars`] for the variables a play sees.
pub async fn gather(conn: &mut dyn Connection, privilege: Option<Become>) -> Result<Value, FactsError> {
    let mut cmd = Command::new(script());
    cmd.privilege = privilege;
    let out = conn.run(&cmd, None).await.map_err(FactsError::Connection)?;
    if out.rc != 0 {
        return Err(FactsError::Script {
            rc: out.rc,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(parse(&String::from_utf8_lossy(&out.stdout)))
}

/// The variables gathering adds to a host: `ansible_facts` and an `ansible_<name>` alias for
/// each fact, as Ansible injects them.
pub fn top_level_vars(facts: &Value) -> IndexMap<String, Value> {
    let mut vars = IndexMap::new();
    vars.insert("ansible_facts".to_string(), facts.clone());
    if let Ok(keys) = facts.try_iter() {
        for key in keys {
            if let Some(name) = key.as_str() {
                vars.insert(
                    format!("ansible_{name}"),
                    facts.get_item(&key).unwrap_or_default(),
                );
            }
        }
    }
    vars
}

/// Turns the script's output into the facts mapping.
pub fn parse(output: &str) -> Value {
    let sections = split_sections(output);
    let get = |name: &str| sections.get(name).map(String::as_str).unwrap_or("");
    let mut facts: IndexMap<String, Value> = IndexMap::new();

    let uname: Vec<&str> = get("uname").lines().collect();
    let field = |i: usize| uname.get(i).copied().unwrap_or("").to_string();
    let nodename = field(1);
    let hostname = nodename.split('.').next().unwrap_or("").to_string();
    let fqdn = fqdn(get("fqdn"), &nodename);
    let domain = fqdn
        .split_once('.')
        .map(|(_, d)| d.to_string())
        .unwrap_or_default();

    facts.insert("hostname".into(), Value::from(hostname));
    facts.insert("nodename".into(), Value::from(nodename.clone()));
    facts.insert("fqdn".into(), Value::from(fqdn));
    facts.insert("domain".into(), Value::from(domain));

    let system = field(0);
    for (key, value) in distribution(get("os-release"), get("debian_version"), &system) {
        facts.insert(key.into(), Value::from(value));
    }
    let machine = field(4);
    facts.insert("system".into(), Value::from(system));
    facts.insert("kernel".into(), Value::from(field(2)));
    facts.insert("kernel_version".into(), Value::from(field(3)));
    facts.insert("machine".into(), Value::from(machine.clone()));
    facts.insert("architecture".into(), Value::from(architecture(&machine)));

    let (user_name, uid, gid) = parse_id(get("id"));
    let passwd_line = get("passwd").lines().find(|l| {
        let f: Vec<&str> = l.split(':').collect();
        f.len() >= 7 && uid.is_some_and(|u| f[2] == u.to_string())
    });
    let user_id = user_name.or_else(|| passwd_line.map(|l| l.split(':').next().unwrap_or("").to_string()));
    facts.insert("user_id".into(), Value::from(user_id.unwrap_or_default()));
    if let Some(uid) = uid {
        facts.insert("user_uid".into(), Value::from(uid));
    }
    if let Some(gid) = gid {
        facts.insert("user_gid".into(), Value::from(gid));
    }
    if let Some(line) = passwd_line {
        let parts: Vec<&str> = line.split(':').collect();
        if parts.len() >= 7 {
            facts.insert("user_gecos".into(), Value::from(parts[4]));
            facts.insert("user_dir".into(), Value::from(parts[5]));
            facts.insert("user_shell".into(), Value::from(parts[6]));
        }
    }

    let (route_get, addr) = split_ip_output(get("ip"));
    let ipv4 = default_ipv4(&route_get, &addr, get("proc-route"), get("fib-trie"), get("link"));
    facts.insert("default_ipv4".into(), Value::from_pairs(ipv4));

    let all_ipv4: Vec<Value> = addr
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let pos = words.iter().position(|w| *w == "inet")?;
            let ip = words.get(pos + 1)?.split('/').next()?;
            (!ip.starts_with("127.")).then(|| Value::from(ip))
        })
        .collect();
    facts.insert("all_ipv4_addresses".into(), Value::from(all_ipv4));
    let architecture_name = architecture(&machine);
    for (key, value) in cpu_facts(get("cpuinfo"), &nproc(get("nproc")), &architecture_name) {
        facts.insert(key.into(), Value::from(value));
    }
    for (key, value) in memory_facts(get("meminfo")) {
        facts.insert(key, Value::from(value));
    }
    let family = facts.get("os_family").map(|v| v.to_string()).unwrap_or_default();
    facts.insert("pkg_mgr".into(), Value::from(pkg_mgr(get("pkg"), &family)));
    if let Some(date_time) = date_time(get("date")) {
        facts.insert("date_time".into(), Value::from_pairs(date_time));
    }

    let env: IndexMap<String, Value> = parse_env(get("env"));
    facts.insert("env".into(), Value::from_pairs(env));
    Value::from_pairs(facts)
}

/// `id` output (`uid=0(root) gid=0(root) groups=...`): user name, uid, gid.
fn parse_id(text: &str) -> (Option<String>, Option<i64>, Option<i64>) {
    let mut name = None;
    let mut uid = None;
    let mut gid = None;
    for field in text.split_whitespace() {
        let Some((key, value)) = field.split_once('=') else {
            continue;
        };
        let number = value.split('(').next().and_then(|n| n.parse().ok());
        match key {
            "uid" => {
                uid = number;
                name = value
                    .split_once('(')
                    .and_then(|(_, rest)| rest.strip_suffix(')'))
                    .map(str::to_string);
            }
            "gid" => gid = number,
            _ => {}
        }
    }
    (name, uid, gid)
}

/// `ip -batch` output: the `route get` line(s), then the `addr show` lines.
fn split_ip_output(text: &str) -> (String, String) {
    let mut route = String::new();
    let mut addr = String::new();
    for line in text.lines() {
        let target = if line.starts_with("8.8.8.8 ") {
            &mut route
        } else {
            &mut addr
        };
        target.push_str(line);
        target.push('\n');
    }
    (route, addr)
}

/// The number of CPUs the shell may run on: `Cpus_allowed_list` of its status, else `nproc`.
fn nproc(text: &str) -> String {
    let Some(list) = text.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")) else {
        return text.trim().to_string();
    };
    let count: u64 = list
        .trim()
        .split(',')
        .filter_map(|range| match range.split_once('-') {
            Some((a, b)) => Some(b.trim().parse::<u64>().ok()? - a.trim().parse::<u64>().ok()? + 1),
            None => range.trim().parse::<u64>().ok().map(|_| 1),
        })
        .sum();
    count.to_string()
}

/// The script's output cut at the section markers.
fn split_sections(output: &str) -> IndexMap<String, String> {
    let mut sections = IndexMap::new();
    let mut current: Option<(String, String)> = None;
    for line in output.split_inclusive('\n') {
        if let Some(name) = line.trim_end_matches('\n').strip_prefix(SECTION) {
            if let Some((n, body)) = current.take() {
                sections.insert(n, body);
            }
            current = Some((name.to_string(), String::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
        }
    }
    if let Some((n, body)) = current {
        sections.insert(n, body);
    }
    sections
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
fn architecture(machine: &str) -> String {
    match machine {
        "i486" | "i586" | "i686" => "i386".to_string(),
        _ => machine.to_string(),
    }
}

/// `processor_count`, `processor_cores`, `processor_threads_per_core`, `processor_vcpus` and
/// `processor_nproc`, counted from `/proc/cpuinfo` as Ansible's Linux hardware facts do.
fn cpu_facts(cpuinfo: &str, nproc: &str, architecture: &str) -> Vec<(&'static str, i64)> {
    if cpuinfo.trim().is_empty() {
        return Vec::new();
    }
    let mut i: i64 = 0;
    let (mut vendor_ids, mut model_names, mut processors) = (0i64, 0i64, 0i64);
    let mut physid = String::from("0");
    let mut coreid = String::from("0");
    let mut sockets: IndexMap<String, i64> = IndexMap::new();
    let mut cores: IndexMap<String, i64> = IndexMap::new();
    for line in cpuinfo.lines() {
        let (key, val) = match line.split_once(':') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (line.trim(), ""),
        };
        match key {
            "model name" | "Processor" | "vendor_id" | "cpu" | "Vendor" | "processor" => {
                match key {
                    "vendor_id" => vendor_ids += 1,
                    "model name" => model_names += 1,
                    "processor" => processors += 1,
                    _ => {}
                }
                i += 1;
            }
            "physical id" => {
                physid = val.to_string();
                sockets.entry(physid.clone()).or_insert(1);
            }
            "core id" => {
                coreid = val.to_string();
                if !sockets.contains_key(&coreid) {
                    cores.insert(coreid.clone(), 1);
                }
            }
            "cpu cores" => {
                sockets.insert(physid.clone(), val.parse().unwrap_or(0));
            }
            "siblings" => {
                cores.insert(coreid.clone(), val.parse().unwrap_or(0));
            }
            _ => {}
        }
    }
    if vendor_ids > 0 && vendor_ids == model_names {
        i = vendor_ids;
    }
    if architecture.starts_with("armv")
        || architecture.starts_with("aarch")
        || architecture.starts_with("ppc")
    {
        i = processors;
    }
    let count = if sockets.is_empty() {
        i
    } else {
        sockets.len() as i64
    };
    let cores_per_socket = match sockets.values().next() {
        Some(&n) if n != 0 => n,
        _ => 1,
    };
    let threads = match cores.values().next() {
        Some(&n) => python_round_div(n, cores_per_socket),
        None => python_round_div(1, cores_per_socket),
    };
    let nproc = nproc.trim().parse().unwrap_or(processors);
    vec![
        ("processor_count", count),
        ("processor_cores", cores_per_socket),
        ("processor_threads_per_core", threads),
        ("processor_vcpus", threads * count * cores_per_socket),
        ("processor_nproc", nproc),
    ]
}

/// Python's `round(a / b)`: to the nearest integer, halves to even.
fn python_round_div(a: i64, b: i64) -> i64 {
    if b == 0 {
        return 0;
    }
    let q = a.div_euclid(b);
    let r2 = 2 * a.rem_euclid(b);
    match r2.cmp(&b.abs()) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

/// `memtotal_mb`, `memfree_mb`, `swaptotal_mb`, `swapfree_mb` from `/proc/meminfo`.
fn memory_facts(meminfo: &str) -> Vec<(String, i64)> {
    meminfo
        .lines()
        .filter_map(|line| {
            let (key, rest) = line.split_once(':')?;
            if !matches!(key, "MemTotal" | "SwapTotal" | "MemFree" | "SwapFree") {
                return None;
            }
            let kb: i64 = rest.split_whitespace().next()?.parse().ok()?;
            Some((format!("{}_mb", key.to_ascii_lowercase()), kb / 1024))
        })
        .collect()
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

/// `date_time` from `date` on the host (local time), with the UTC forms computed from the epoch.
fn date_time(text: &str) -> Option<Vec<(&'static str, String)>> {
    let mut lines = text.lines();
    let f: Vec<&str> = lines.next()?.split('|').collect();
    if f.len() < 13 {
        return None;
    }
    let epoch: u64 = f[9].parse().ok()?;
    let micros = f[12]
        .get(..6)
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("000000")
        .to_string();
    fn tz_of(line: &str) -> Option<(&str, &str)> {
        let f: Vec<&str> = line.split('|').collect();
        Some((f.get(10).copied()?, f.get(11).copied()?))
    }
    let tz_dst = {
        let winter = lines.next().and_then(tz_of);
        let summer = lines.next().and_then(tz_of);
        match (winter, summer) {
            (Some((wn, wo)), Some((sn, so))) => {
                let offset = |o: &str| o.parse::<i64>().unwrap_or(0);
                if offset(so) >= offset(wo) {
                    sn.to_string()
                } else {
                    wn.to_string()
                }
            }
            _ => f[10].to_string(),
        }
    };
    let utc = crate::calendar::python_datetime(std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch));
    let utc_date = utc.get(..10)?.to_string();
    let utc_time = utc.get(11..19)?.to_string();
    let (y, mo, wd, wdn, wn, d, h, mi, sec) = (f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]);
    Some(vec![
        ("year", y.to_string()),
        ("month", mo.to_string()),
        ("weekday", wd.to_string()),
        ("weekday_number", wdn.to_string()),
        ("weeknumber", wn.to_string()),
        ("day", d.to_string()),
        ("hour", h.to_string()),
        ("minute", mi.to_string()),
        ("second", sec.to_string()),
        ("epoch", epoch.to_string()),
        ("epoch_int", epoch.to_string()),
        ("date", format!("{y}-{mo}-{d}")),
        ("time", format!("{h}:{mi}:{sec}")),
        ("iso8601_micro", format!("{utc_date}T{utc_time}.{micros}Z")),
        ("iso8601", format!("{utc_date}T{utc_time}Z")),
        ("iso8601_basic", format!("{y}{mo}{d}T{h}{mi}{sec}{micros}")),
        ("iso8601_basic_short", format!("{y}{mo}{d}T{h}{mi}{sec}")),
        ("tz", f[10].to_string()),
        ("tz_dst", tz_dst),
        ("tz_offset", f[11].to_string()),
    ])
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

/// `distribution`, `distribution_version`, `distribution_major_version`,
/// `distribution_release` and `os_family`, as Ansible derives them.
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
    vec![
        ("distribution", name),
        ("distribution_version", version),
        ("distribution_major_version", major),
        ("distribution_release", release),
        ("os_family", family),
    ]
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

/// `default_ipv4`: the interface and source address of the route to the internet, with the
/// interface's address details. Uses `ip` when the host has it, else `/proc/net`.
fn default_ipv4(
    route_get: &str,
    addr: &str,
    proc_route: &str,
    fib_trie: &str,
    links: &str,
) -> IndexMap<String, Value> {
    let mut out = IndexMap::new();
    let mut interface = None;
    let mut address = None;
    let mut gateway = None;
    let words: Vec<&str> = route_get.split_whitespace().collect();
    for pair in words.windows(2) {
        match pair[0] {
            "dev" => interface = interface.or(Some(pair[1].to_string())),
            "src" => address = address.or(Some(pair[1].to_string())),
            "via" => gateway = gateway.or(Some(pair[1].to_string())),
            _ => {}
        }
    }
    let routes = parse_proc_route(proc_route);
    if interface.is_none() {
        if let Some(default) = routes.iter().find(|r| r.destination == 0 && r.mask == 0) {
            interface = Some(default.iface.clone());
            gateway = Some(ipv4_text(default.gateway));
        }
    }
    let Some(interface) = interface else {
        return out;
    };
    // The interface's address and prefix: from `ip -o addr`, else from the routing tables.
    let mut prefix = None;
    let mut broadcast = None;
    for line in addr.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.get(1).map(|w| w.trim_end_matches(':')) != Some(interface.as_str()) {
            continue;
        }
        let Some(pos) = words.iter().position(|w| *w == "inet") else {
            continue;
        };
        let Some((ip, len)) = words.get(pos + 1).and_then(|c| c.split_once('/')) else {
            continue;
        };
        if address.as_deref().is_none_or(|a| a == ip) {
            address = Some(ip.to_string());
            prefix = len.parse::<u32>().ok();
            broadcast = words
                .iter()
                .position(|w| *w == "brd")
                .and_then(|i| words.get(i + 1))
                .map(|s| s.to_string());
            break;
        }
    }
    if address.is_none() || prefix.is_none() {
        let locals = fib_local_addresses(fib_trie);
        for route in routes.iter().filter(|r| r.iface == interface && r.mask != 0) {
            let found = locals.iter().find(|a| {
                address.as_deref().is_none_or(|want| ipv4_text(**a) == want)
                    && (**a & route.mask) == route.destination
            });
            if let Some(a) = found {
                address = Some(ipv4_text(*a));
                prefix = Some(route.mask.count_ones());
                break;
            }
        }
    }
    let Some(address) = address else {
        return out;
    };
    out.insert("address".into(), Value::from(address.clone()));
    out.insert("alias".into(), Value::from(interface.clone()));
    if let Some(b) = broadcast {
        out.insert("broadcast".into(), Value::from(b));
    }
    if let Some(g) = gateway {
        out.insert("gateway".into(), Value::from(g));
    }
    out.insert("interface".into(), Value::from(interface.clone()));
    for line in links.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.first() == Some(&interface.as_str()) {
            if let Some(mac) = parts.get(1) {
                out.insert("macaddress".into(), Value::from(*mac));
            }
            if let Some(mtu) = parts.get(2).and_then(|m| m.parse::<i64>().ok()) {
                out.insert("mtu".into(), Value::from(mtu));
            }
        }
    }
    if let (Some(p), Some(ip)) = (prefix, parse_ipv4(&address)) {
        let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
        out.insert("netmask".into(), Value::from(ipv4_text(mask)));
        out.insert("network".into(), Value::from(ipv4_text(ip & mask)));
        out.insert("prefix".into(), Value::from(p.to_string()));
    }
    for line in links.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.first() == Some(&interface.as_str()) {
            let kind = match parts.get(3).copied() {
                Some("1") => "ether",
                Some("772") => "loopback",
                _ => "unknown",
            };
            out.insert("type".into(), Value::from(kind));
        }
    }
    out
}

/// One line of `/proc/net/route`, addresses in host order.
struct Route {
    iface: String,
    destination: u32,
    gateway: u32,
    mask: u32,
}

fn parse_proc_route(text: &str) -> Vec<Route> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let hex = |i: usize| f.get(i).and_then(|h| u32::from_str_radix(h, 16).ok());
            Some(Route {
                iface: f.first()?.to_string(),
                destination: hex(1)?.swap_bytes(),
                gateway: hex(2)?.swap_bytes(),
                mask: hex(7)?.swap_bytes(),
            })
        })
        .collect()
}

/// The host's own IPv4 addresses: the `/32 host LOCAL` leaves of `/proc/net/fib_trie`.
fn fib_local_addresses(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut last_leaf = None;
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(leaf) = t.strip_prefix("|-- ") {
            last_leaf = parse_ipv4(leaf.trim());
        } else if t.starts_with("/32 host LOCAL") {
            if let Some(a) = last_leaf {
                if a >> 24 != 127 && !out.contains(&a) {
                    out.push(a);
                }
            }
        }
    }
    out
}

fn parse_ipv4(s: &str) -> Option<u32> {
    s.parse::<std::net::Ipv4Addr>().ok().map(u32::from)
}

fn ipv4_text(a: u32) -> String {
    std::net::Ipv4Addr::from(a).to_string()
}

/// `env` output (`NAME=value` lines; a line without `=` continues the previous value).
fn parse_env(text: &str) -> IndexMap<String, Value> {
    let mut vars: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        match line.split_once('=') {
            Some((k, v)) if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
                vars.push((k.to_string(), v.to_string()));
            }
            _ => {
                if let Some((_, v)) = vars.last_mut() {
                    v.push('\n');
                    v.push_str(line);
                }
            }
        }
    }
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars.into_iter().map(|(k, v)| (k, Value::from(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_route_and_fib_trie_give_the_default_address() {
        let proc_route = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
            eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
            eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        let fib = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n     +-- 192.0.2.0/24 2 0 2\n        |-- 192.0.2.2\n           /32 host LOCAL\n";
        let v = default_ipv4("", "", proc_route, fib, "eth0 02:fc:00:00:00:01 1400 1\n");
        assert_eq!(v["address"].as_str(), Some("192.0.2.2"));
        assert_eq!(v["interface"].as_str(), Some("eth0"));
        assert_eq!(v["gateway"].as_str(), Some("192.0.2.1"));
        assert_eq!(v["netmask"].as_str(), Some("255.255.255.0"));
        assert_eq!(v["network"].as_str(), Some("192.0.2.0"));
        assert_eq!(v["prefix"].as_str(), Some("24"));
        assert_eq!(v["type"].as_str(), Some("ether"));
    }

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

    #[test]
    fn cpu_counts_like_ansible() {
        let cpu = |id: u32, core: u32| {
            format!(
                "processor\t: {id}\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\nphysical id\t: 0\n\
                 siblings\t: 4\ncore id\t\t: {core}\ncpu cores\t: 2\n\n"
            )
        };
        let info: String = [cpu(0, 0), cpu(1, 1), cpu(2, 0), cpu(3, 1)].concat();
        let facts: IndexMap<_, _> = cpu_facts(&info, "4\n", "x86_64").into_iter().collect();
        assert_eq!(facts["processor_count"], 1);
        assert_eq!(facts["processor_cores"], 2);
        assert_eq!(facts["processor_threads_per_core"], 2);
        assert_eq!(facts["processor_vcpus"], 4);
        assert_eq!(facts["processor_nproc"], 4);
        assert_eq!(python_round_div(1, 2), 0);
        assert_eq!(python_round_div(3, 2), 2);
    }

    #[test]
    fn date_time_from_date_output() {
        let text = "2026|11|Sunday|0|46|22|02|44|29|1795315469|UTC|+0000|165533123\n\
                    2025|01|Wednesday|3|00|01|00|00|00|1735689600|UTC|+0000|000000000\n\
                    2025|07|Tuesday|2|26|01|00|00|00|1751328000|UTC|+0000|000000000\n";
        let d: IndexMap<_, _> = date_time(text).expect("parses").into_iter().collect();
        assert_eq!(d["iso8601"], "2026-11-22T02:44:29Z");
        assert_eq!(d["iso8601_micro"], "2026-11-22T02:44:29.165533Z");
        assert_eq!(d["iso8601_basic"], "20261122T024429165533");
        assert_eq!(d["date"], "2026-11-22");
        assert_eq!(d["tz_dst"], "UTC");
        let berlin =
            "2026|07|Monday|1|27|06|12|00|00|1783332000|CEST|+0200|000000000\nCET|+0100\nCEST|+0200\n";
        let d: IndexMap<_, _> = date_time(berlin).expect("parses").into_iter().collect();
        assert_eq!(d["tz_dst"], "CEST");
        assert_eq!(d["iso8601"], "2026-07-06T10:00:00Z");
    }

    #[test]
    fn id_ip_and_nproc_outputs() {
        assert_eq!(
            parse_id("uid=1000(deploy) gid=1001(staff) groups=1001(staff),27(sudo)"),
            (Some("deploy".to_string()), Some(1000), Some(1001))
        );
        assert_eq!(
            parse_id("uid=1234 gid=1234 groups=1234"),
            (None, Some(1234), Some(1234))
        );
        let ip = "8.8.8.8 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0 \\    cache \n\
                  1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n";
        let (route, addr) = split_ip_output(ip);
        assert!(route.starts_with("8.8.8.8 via"), "{route}");
        assert!(addr.starts_with("1: lo"), "{addr}");
        assert_eq!(nproc("Name:\tsh\nCpus_allowed_list:\t0-3,6,8-9\n"), "7");
        assert_eq!(nproc("4\n"), "4");
    }

    #[test]
    fn fqdn_like_python() {
        assert_eq!(fqdn("127.0.0.1       localhost\n", "vm"), "localhost");
        assert_eq!(
            fqdn("10.0.0.5 web1 web1.example.com\n", "web1"),
            "web1.example.com"
        );
        assert_eq!(fqdn("", "vm"), "vm");
    }
}
