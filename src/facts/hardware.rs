//! The `hardware` collector's processor and memory facts: `processor` (the list Ansible builds
//! from `/proc/cpuinfo`), `processor_count`, `processor_cores`, `processor_threads_per_core`,
//! `processor_vcpus`, `processor_nproc`, `memtotal_mb`, `memfree_mb`, `swaptotal_mb`,
//! `swapfree_mb`. Mounts are in `mounts.rs`.

use indexmap::IndexMap;
use minijinja::Value;

use super::Facts;
use super::sections::{Sections, Snippet};

/// `/proc/cpuinfo`, the shell's `/proc/self/status` (or `nproc`) and `/proc/meminfo`.
pub const CPU_MEMORY: Snippet = Snippet {
    name: "cpu-memory",
    script: r#"ph_s cpuinfo; cat /proc/cpuinfo 2>/dev/null
ph_s nproc
if [ -r /proc/self/status ]; then ph_cat /proc/self/status; else nproc 2>/dev/null; fi
ph_s meminfo; ph_cat /proc/meminfo
"#,
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&CPU_MEMORY];

/// The facts this collector sets.
pub const FACTS: &[&str] = &[
    "processor",
    "processor_count",
    "processor_cores",
    "processor_threads_per_core",
    "processor_vcpus",
    "processor_nproc",
    "memtotal_mb",
    "memfree_mb",
    "swaptotal_mb",
    "swapfree_mb",
];

/// Parses the processor and memory sections into `facts`; reads `architecture` (the
/// collector requires `platform`).
pub fn parse(sections: &Sections, facts: &mut Facts) {
    let architecture = facts
        .get("architecture")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let cpuinfo = sections.get("cpuinfo");
    if !cpuinfo.trim().is_empty() {
        let list: Vec<Value> = processor_list(cpuinfo).into_iter().map(Value::from).collect();
        facts.insert("processor".into(), Value::from(list));
    }
    for (key, value) in cpu_facts(cpuinfo, &nproc(sections.get("nproc")), &architecture) {
        facts.insert(key.into(), Value::from(value));
    }
    for (key, value) in memory_facts(sections.get("meminfo")) {
        facts.insert(key, Value::from(value));
    }
}

/// `processor`: the value of every `model name`, `Processor`, `vendor_id`, `cpu`, `Vendor`
/// and `processor` line of `/proc/cpuinfo`, in order, as Ansible lists them.
fn processor_list(cpuinfo: &str) -> Vec<String> {
    cpuinfo
        .lines()
        .filter_map(|line| {
            let (key, val) = match line.split_once(':') {
                Some((k, v)) => (k.trim(), v.trim()),
                None => (line.trim(), ""),
            };
            matches!(
                key,
                "model name" | "Processor" | "vendor_id" | "cpu" | "Vendor" | "processor"
            )
            .then(|| val.to_string())
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn processor_list_and_nproc() {
        let info = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\nflags\t: fpu\n\n\
                    processor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\n";
        assert_eq!(
            processor_list(info),
            ["0", "GenuineIntel", "Xeon", "1", "GenuineIntel", "Xeon"]
        );
        assert_eq!(nproc("Name:\tsh\nCpus_allowed_list:\t0-3,6,8-9\n"), "7");
        assert_eq!(nproc("4\n"), "4");
    }
}
