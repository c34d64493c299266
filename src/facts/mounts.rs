//! The `hardware` collector's `mounts`: the mounted file systems of `/etc/mtab` (else
//! `/proc/mounts`) that Ansible lists (a device path or `host:/path`, type not `none`), with
//! `statvfs` figures from one `stat -f` for all of them, bind mounts from `findmnt` and UUIDs
//! from `lsblk` when those exist.

use indexmap::IndexMap;
use minijinja::Value;

use super::Facts;
use super::sections::{Sections, Snippet};

const MOUNTS: Snippet = Snippet {
    name: "mounts",
    script: r#"ph_mtab=/etc/mtab; [ -e "$ph_mtab" ] || ph_mtab=/proc/mounts
ph_s mtab; ph_cat "$ph_mtab"
ph_s statvfs
set --
while read -r ph_d ph_m ph_f ph_rest; do
  case $ph_d in /*|\\*|*:/*) ;; *) continue ;; esac
  [ "$ph_f" = none ] && continue
  case $ph_m in *\\*) ph_m=$(printf '%b.' "$ph_m"); ph_m=${ph_m%.} ;; esac
  set -- "$@" "$ph_m"
done < "$ph_mtab" 2>/dev/null
[ $# -gt 0 ] && stat -f -c '%S %s %b %a %c %d %n' -- "$@" 2>/dev/null
ph_s findmnt
command -v findmnt >/dev/null 2>&1 && findmnt --list --noheadings --notruncate 2>/dev/null
ph_s lsblk
command -v lsblk >/dev/null 2>&1 && lsblk --list --noheadings --paths --output NAME,UUID --exclude 2 2>/dev/null
"#,
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&MOUNTS];

/// The facts this collector sets.
pub const FACTS: &[&str] = &["mounts"];

/// Parses the mount sections into `facts`.
pub fn parse(sections: &Sections, facts: &mut Facts) {
    let sizes = statvfs(sections.get("statvfs"));
    let binds = bind_mounts(sections.get("findmnt"));
    let uuids: IndexMap<&str, &str> = sections
        .get("lsblk")
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 2).then(|| (f[0], f[1]))
        })
        .collect();
    let mut mounts = Vec::new();
    for line in sections.get("mtab").lines() {
        let fields: Vec<String> = line.split_whitespace().map(octal_unescape).collect();
        if fields.len() < 6 {
            continue;
        }
        let (device, mount, fstype) = (&fields[0], &fields[1], &fields[2]);
        let (Ok(dump), Ok(passno)) = (fields[4].parse::<i64>(), fields[5].parse::<i64>()) else {
            continue;
        };
        if (!device.starts_with(['/', '\\']) && !device.contains(":/")) || fstype == "none" {
            continue;
        }
        let mut options = fields[3].clone();
        if binds.contains(&mount.as_str()) && !options.contains("bind") {
            options.push_str(",bind");
        }
        let mut m: IndexMap<String, Value> = IndexMap::new();
        m.insert("mount".into(), Value::from(mount.clone()));
        m.insert("device".into(), Value::from(device.clone()));
        m.insert("fstype".into(), Value::from(fstype.clone()));
        m.insert("options".into(), Value::from(options));
        m.insert("dump".into(), Value::from(dump));
        m.insert("passno".into(), Value::from(passno));
        if let Some(size) = sizes.get(mount.as_str()) {
            for (k, v) in size {
                m.insert((*k).into(), Value::from(*v));
            }
        }
        let uuid = uuids.get(device.as_str()).copied().unwrap_or("N/A");
        m.insert("uuid".into(), Value::from(uuid));
        mounts.push(Value::from_pairs(m));
    }
    facts.insert("mounts".into(), Value::from(mounts));
}

/// Ansible's `get_mount_size`: the figures of `stat -f -c '%S %s %b %a %c %d %n'` lines
/// (fragment size, block size, blocks, blocks available, inodes, inodes free, mount point).
fn statvfs(text: &str) -> IndexMap<&str, Vec<(&'static str, i64)>> {
    let mut out = IndexMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(7, ' ');
        let mut n = [0i64; 6];
        let mut ok = true;
        for slot in n.iter_mut() {
            match parts.next().and_then(|p| p.parse().ok()) {
                Some(v) => *slot = v,
                None => ok = false,
            }
        }
        let Some(mount) = parts.next().filter(|_| ok) else {
            continue;
        };
        let [frsize, bsize, blocks, bavail, files, ffree] = n;
        out.insert(
            mount,
            vec![
                ("size_total", frsize * blocks),
                ("size_available", frsize * bavail),
                ("block_size", bsize),
                ("block_total", blocks),
                ("block_available", bavail),
                ("block_used", blocks - bavail),
                ("inode_total", files),
                ("inode_available", ffree),
                ("inode_used", files - ffree),
            ],
        );
    }
    out
}

/// Targets of bind mounts: `findmnt --list` lines whose source ends with `[/path]`.
fn bind_mounts(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let target = f.next()?;
            f.next()?.ends_with(']').then_some(target)
        })
        .collect()
}

/// `/proc/mounts` escapes (`\040` for a space) decoded.
fn octal_unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let digits = bytes.get(i + 1..i + 4);
        match digits {
            Some(d) if bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_like_ansible() {
        let text = "@@playhook-facts:mtab\n\
            /dev/vda / ext4 rw,relatime 0 1\n\
            proc /proc proc rw 0 0\n\
            /dev/vdb /srv/my\\040data xfs rw 0 2\n\
            @@playhook-facts:statvfs\n\
            4096 4096 100 40 50 10 /\n\
            @@playhook-facts:findmnt\n\
            /srv/my\\x20data /dev/vdb[/data] xfs rw\n\
            @@playhook-facts:lsblk\n\
            /dev/vda 1234-abcd\n";
        let mut facts = Facts::new();
        parse(&Sections::split(text), &mut facts);
        let mounts = &facts["mounts"];
        assert_eq!(mounts.len(), Some(2));
        let root = mounts.get_item(&Value::from(0)).expect("root");
        assert_eq!(
            root.get_attr("size_total").ok().and_then(|v| v.as_i64()),
            Some(409_600)
        );
        assert_eq!(
            root.get_attr("block_used").ok().and_then(|v| v.as_i64()),
            Some(60)
        );
        assert_eq!(
            root.get_attr("inode_used").ok().and_then(|v| v.as_i64()),
            Some(40)
        );
        assert_eq!(
            root.get_attr("uuid")
                .ok()
                .and_then(|v| v.as_str().map(str::to_string)),
            Some("1234-abcd".into())
        );
        let data = mounts.get_item(&Value::from(1)).expect("data");
        assert_eq!(
            data.get_attr("mount")
                .ok()
                .and_then(|v| v.as_str().map(str::to_string)),
            Some("/srv/my data".into())
        );
        assert_eq!(
            data.get_attr("uuid")
                .ok()
                .and_then(|v| v.as_str().map(str::to_string)),
            Some("N/A".into())
        );
        assert!(data.get_attr("size_total").is_ok_and(|v| v.is_undefined()));
    }
}
