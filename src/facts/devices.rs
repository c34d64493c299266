//! The `hardware` collector's `devices` and `device_links`: the block devices of `/sys/block`
//! with their partitions, sizes, queue settings and holders, and the `/dev/disk/by-*` links, as
//! Ansible's Linux hardware facts build them. Not ported: `host` (Ansible's `lspci` lookup, left
//! empty) and serial numbers through `sg_inq`.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use minijinja::Value;

use super::Facts;
use super::sections::{Sections, Snippet};

const DEVICES: Snippet = Snippet {
    name: "devices",
    script: r#"ph_s devices
ph_kv() { for k in "$@"; do [ -r "$ph_dir/$k" ] && { ph_v=; read -r ph_v < "$ph_dir/$k"; printf '%s%s %s\n' "$ph_pre" "$k" "$ph_v"; }; done 2>/dev/null; }
ph_holders() { for h in "$1"/holders/dm-*; do [ -e "$h" ] || continue; ph_v=; read -r ph_v < "$h/dm/name" 2>/dev/null; printf '%sholder %s %s\n' "$ph_pre" "${h##*/}" "$ph_v"; done; }
for d in /sys/block/*; do
  [ -e "$d" ] || continue
  ph_n=${d##*/}; printf 'dev %s\n' "$ph_n"
  if [ ! -L "$d" ]; then
    printf 'nolink\n'; for f in "$d"/*device*; do [ -e "$f" ] && { printf 'hasdevice\n'; break; }; done
  fi
  ph_dir=$d; ph_pre=
  ph_kv device/vendor device/model device/sas_address device/sas_device_handle device/serial removable size \
    queue/discard_max_hw_bytes queue/discard_granularity queue/rotational queue/scheduler \
    queue/logical_block_size queue/hw_sector_size
  ph_holders "$d"
  for p in "$d/$ph_n"*; do
    [ -d "$p" ] || continue
    printf 'part %s\n' "${p##*/}"; ph_dir=$p; ph_pre=part/
    ph_kv start size queue/logical_block_size queue/hw_sector_size
    ph_holders "$p"; ph_pre=
  done
done
ph_s disk-links
[ -d /dev/disk ] && ls -l /dev/disk/by-id /dev/disk/by-uuid /dev/disk/by-label 2>/dev/null
ph_s slaves
for s in /sys/block/*/slaves/*; do [ -e "$s" ] && printf '%s\n' "$s"; done
"#,
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&DEVICES];

/// The facts this collector sets.
pub const FACTS: &[&str] = &["devices", "device_links"];

/// `ids`, `uuids`, `labels` (from `/dev/disk/by-*`) and `masters`: device name → sorted names.
type Links = BTreeMap<&'static str, BTreeMap<String, BTreeSet<String>>>;

/// One block device or partition as the script printed it.
#[derive(Default)]
struct Raw {
    name: String,
    no_link: bool,
    has_device: bool,
    values: IndexMap<String, String>,
    holders: Vec<(String, String)>,
    parts: Vec<Raw>,
}

/// Parses the device sections into `facts`.
pub fn parse(sections: &Sections, facts: &mut Facts) {
    let links = links(sections.get("disk-links"), sections.get("slaves"));
    let mut devices: IndexMap<String, Value> = IndexMap::new();
    for raw in raw_devices(sections.get("devices")) {
        devices.insert(raw.name.clone(), device(&raw, &links));
    }
    facts.insert("devices".into(), Value::from_pairs(devices));
    let device_links: Vec<(&str, Value)> = links
        .iter()
        .map(|(kind, map)| {
            let map: Vec<(String, Value)> = map
                .iter()
                .map(|(dev, names)| {
                    (
                        dev.clone(),
                        Value::from(names.iter().cloned().collect::<Vec<_>>()),
                    )
                })
                .collect();
            (*kind, Value::from_pairs(map))
        })
        .collect();
    facts.insert("device_links".into(), Value::from_pairs(device_links));
}

fn raw_devices(text: &str) -> Vec<Raw> {
    let mut devices: Vec<Raw> = Vec::new();
    for line in text.lines() {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        if key == "dev" {
            devices.push(Raw {
                name: value.to_string(),
                ..Raw::default()
            });
            continue;
        }
        let Some(dev) = devices.last_mut() else {
            continue;
        };
        match key {
            "nolink" => dev.no_link = true,
            "hasdevice" => dev.has_device = true,
            "part" => dev.parts.push(Raw {
                name: value.to_string(),
                ..Raw::default()
            }),
            _ => {
                let (target, key) = match key.strip_prefix("part/") {
                    Some(k) => match dev.parts.last_mut() {
                        Some(p) => (p, k),
                        None => continue,
                    },
                    None => (&mut *dev, key),
                };
                if key == "holder" {
                    let (dm, name) = value.split_once(' ').unwrap_or((value, ""));
                    target.holders.push((dm.to_string(), name.to_string()));
                } else {
                    target.values.insert(key.to_string(), value.trim().to_string());
                }
            }
        }
    }
    devices
}

/// `ls -l /dev/disk/by-*` (`/dev/disk/by-id:` headers, then `... name -> target`) and the
/// `/sys/block/*/slaves/*` paths, as Ansible's `get_all_device_links`.
fn links(ls: &str, slaves: &str) -> Links {
    let mut out: Links = BTreeMap::new();
    for kind in ["ids", "uuids", "labels", "masters"] {
        out.insert(kind, BTreeMap::new());
    }
    let mut kind = None;
    for line in ls.lines() {
        if let Some(dir) = line.strip_suffix(':') {
            kind = match dir {
                "/dev/disk/by-id" => Some("ids"),
                "/dev/disk/by-uuid" => Some("uuids"),
                "/dev/disk/by-label" => Some("labels"),
                _ => None,
            };
            continue;
        }
        let (Some(kind), Some((left, target))) = (kind, line.split_once(" -> ")) else {
            continue;
        };
        let Some(name) = left.split_whitespace().last() else {
            continue;
        };
        let target = target.rsplit('/').next().unwrap_or(target);
        if let Some(map) = out.get_mut(kind) {
            map.entry(target.to_string())
                .or_default()
                .insert(name.to_string());
        }
    }
    for path in slaves.lines() {
        let parts: Vec<&str> = path.split('/').collect();
        if let (Some(device), Some(target)) = (parts.get(3), parts.get(5)) {
            if let Some(map) = out.get_mut("masters") {
                map.entry(target.to_string())
                    .or_default()
                    .insert(device.to_string());
            }
        }
    }
    out
}

fn links_of(name: &str, links: &Links) -> Value {
    let map: Vec<(&str, Value)> = links
        .iter()
        .map(|(kind, map)| {
            let names: Vec<String> = map
                .get(name)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            (*kind, Value::from(names))
        })
        .collect();
    Value::from_pairs(map)
}

/// A value as Ansible's `get_file_content` returns it: stripped, `None` when missing or empty.
fn content(raw: &Raw, key: &str) -> Option<String> {
    raw.values.get(key).filter(|v| !v.is_empty()).cloned()
}

fn opt(v: Option<String>) -> Value {
    v.map(Value::from).unwrap_or_else(|| Value::from(()))
}

fn holders(raw: &Raw) -> Value {
    let names: Vec<String> = raw
        .holders
        .iter()
        .map(|(dm, name)| if name.is_empty() { dm.clone() } else { name.clone() })
        .collect();
    Value::from(names)
}

fn device(raw: &Raw, links: &Links) -> Value {
    let mut d: IndexMap<&str, Value> = IndexMap::new();
    let virtual_ = if raw.no_link && raw.has_device { 0 } else { 1 };
    d.insert("virtual", Value::from(virtual_));
    d.insert("links", links_of(&raw.name, links));
    for key in ["vendor", "model", "sas_address", "sas_device_handle"] {
        d.insert(key, opt(content(raw, &format!("device/{key}"))));
    }
    if let Some(serial) = content(raw, "device/serial") {
        d.insert("serial", Value::from(serial));
    }
    d.insert("removable", opt(content(raw, "removable")));
    let discard = if content(raw, "queue/discard_max_hw_bytes").as_deref() == Some("0") {
        Some("0".to_string())
    } else {
        content(raw, "queue/discard_granularity")
    };
    d.insert("support_discard", opt(discard));
    if let Some(wwn) = links
        .get("ids")
        .and_then(|ids| ids.get(&raw.name))
        .and_then(|names| names.iter().find_map(|n| n.strip_prefix("wwn-")))
    {
        d.insert("wwn", Value::from(wwn));
    }
    let mut partitions: IndexMap<String, Value> = IndexMap::new();
    for part in raw.parts.iter().filter(|p| is_partition(&raw.name, &p.name)) {
        partitions.insert(part.name.clone(), partition(part, links));
    }
    d.insert("partitions", Value::from_pairs(partitions));
    d.insert("rotational", opt(content(raw, "queue/rotational")));
    let scheduler = content(raw, "queue/scheduler")
        .and_then(|s| {
            let open = s.find('[')?;
            let close = s.rfind(']').filter(|c| *c > open)?;
            Some(s[open + 1..close].to_string())
        })
        .unwrap_or_default();
    d.insert("scheduler_mode", Value::from(scheduler));
    let sectorsize =
        content(raw, "queue/logical_block_size").or_else(|| content(raw, "queue/hw_sector_size"));
    let size_bytes: i64 = content(raw, "size").and_then(|s| s.parse().ok()).unwrap_or(0);
    let sector_n: i64 = sectorsize.as_deref().and_then(|s| s.parse().ok()).unwrap_or(512);
    let sectors = if sector_n > 0 {
        size_bytes * 512 / sector_n
    } else {
        0
    };
    d.insert(
        "sectorsize",
        sectorsize.map(Value::from).unwrap_or_else(|| Value::from(512)),
    );
    d.insert("sectors", Value::from(sectors));
    d.insert(
        "size",
        Value::from(bytes_to_human(sectors as f64 * sector_n as f64)),
    );
    d.insert("host", Value::from(""));
    d.insert("holders", holders(raw));
    Value::from_pairs(d.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Vec<_>>())
}

/// Ansible's `re.search(disk + r"[p]?\d+", folder)`, for folders named after the disk.
fn is_partition(disk: &str, folder: &str) -> bool {
    let Some(rest) = folder.strip_prefix(disk) else {
        return false;
    };
    let rest = rest.strip_prefix('p').unwrap_or(rest);
    rest.starts_with(|c: char| c.is_ascii_digit())
}

fn partition(raw: &Raw, links: &Links) -> Value {
    let mut p: IndexMap<&str, Value> = IndexMap::new();
    p.insert("links", links_of(&raw.name, links));
    p.insert(
        "start",
        content(raw, "start")
            .map(Value::from)
            .unwrap_or_else(|| Value::from(0)),
    );
    let sectorsize =
        content(raw, "queue/logical_block_size").or_else(|| content(raw, "queue/hw_sector_size"));
    let sector_n: i64 = sectorsize.as_deref().and_then(|s| s.parse().ok()).unwrap_or(512);
    p.insert(
        "sectorsize",
        sectorsize.map(Value::from).unwrap_or_else(|| Value::from(512)),
    );
    let size: i64 = content(raw, "size").and_then(|s| s.parse().ok()).unwrap_or(0);
    let sectors = if sector_n > 0 { size * 512 / sector_n } else { 0 };
    p.insert("sectors", Value::from(sectors));
    p.insert(
        "size",
        Value::from(bytes_to_human(sectors as f64 * sector_n as f64)),
    );
    let uuid = links
        .get("uuids")
        .and_then(|u| u.get(&raw.name))
        .and_then(|names| names.iter().next().cloned());
    p.insert("uuid", opt(uuid));
    p.insert("holders", holders(raw));
    Value::from_pairs(p.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Vec<_>>())
}

/// Ansible's `bytes_to_human`: `256.00 GB`, `0.00 Bytes`.
fn bytes_to_human(size: f64) -> String {
    const UNITS: &[(&str, u32)] = &[
        ("Y", 80),
        ("Z", 70),
        ("E", 60),
        ("P", 50),
        ("T", 40),
        ("G", 30),
        ("M", 20),
        ("K", 10),
    ];
    for (suffix, shift) in UNITS {
        let limit = 2f64.powi(*shift as i32);
        if size >= limit {
            return format!("{:.2} {suffix}B", size / limit);
        }
    }
    format!("{size:.2} Bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_like_ansible() {
        let text = "@@playhook-facts:devices\ndev vda\ndevice/vendor 0x1af4\nremovable 0\nsize 536870912\n\
            queue/discard_max_hw_bytes 2147483136\nqueue/discard_granularity 4096\nqueue/rotational 1\n\
            queue/scheduler [mq-deadline] none\nqueue/logical_block_size 512\n\
            part vda1\npart/start 2048\npart/size 1024\n\
            @@playhook-facts:disk-links\n/dev/disk/by-uuid:\nlrwxrwxrwx 1 root root 10 Jan 1 00:00 abcd-1234 -> ../../vda1\n";
        let mut facts = Facts::new();
        parse(&Sections::split(text), &mut facts);
        let vda = facts["devices"].get_attr("vda").expect("vda");
        let s = |v: &Value, k: &str| v.get_attr(k).map(|v| v.to_string()).unwrap_or_default();
        assert_eq!(s(&vda, "size"), "256.00 GB");
        assert_eq!(s(&vda, "scheduler_mode"), "mq-deadline");
        assert_eq!(s(&vda, "support_discard"), "4096");
        assert_eq!(s(&vda, "model"), "None");
        let part = vda
            .get_attr("partitions")
            .and_then(|p| p.get_attr("vda1"))
            .expect("vda1");
        assert_eq!(s(&part, "uuid"), "abcd-1234");
        assert_eq!(s(&part, "size"), "512.00 KB");
        assert_eq!(bytes_to_human(0.0), "0.00 Bytes");
        assert!(is_partition("nvme0n1", "nvme0n1p2") && !is_partition("sda", "sdab"));
    }
}
