//! The live mounts as `ansible.posix.mount` reads them on Linux: `/proc/self/mountinfo` into
//! its `get_linux_mounts` table (a mount under another gets its root prefixed by the parent's
//! mount point as `src`, records changed in place in file order, as the module's loop does),
//! and `is_bind_mounted` over it. Pure, unit-tested.

use std::collections::HashMap;

use indexmap::IndexMap;

struct Record {
    parent_id: i64,
    root: String,
    dst: String,
    src: String,
}

/// Mount point → the source the module compares (`src`).
pub type LinuxMounts = HashMap<String, String>;

/// The module's `get_linux_mounts` over the text of `/proc/self/mountinfo`.
pub fn linux_mounts(text: &str) -> LinuxMounts {
    let mut info: IndexMap<i64, Record> = IndexMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 7 {
            continue;
        }
        let (Ok(id), Ok(parent_id)) = (f[0].parse::<i64>(), f[1].parse::<i64>()) else {
            continue;
        };
        info.insert(
            id,
            Record {
                parent_id,
                root: f[3].to_string(),
                dst: f[4].to_string(),
                src: f[f.len() - 2].to_string(),
            },
        );
    }
    let mut mounts = LinuxMounts::new();
    for i in 0..info.len() {
        let parent_id = info[i].parent_id;
        let parent = (parent_id != 1)
            .then(|| info.get(&parent_id))
            .flatten()
            .map(|m| (m.root.clone(), m.dst.clone()));
        let src = match parent {
            Some((proot, pdst)) => {
                let mnt = &mut info[i];
                if proot.len() > 1 && mnt.root.starts_with(&format!("{proot}/")) {
                    mnt.root = mnt.root[proot.len()..].to_string();
                }
                if pdst != "/" {
                    mnt.root = format!("{pdst}{}", mnt.root);
                }
                mnt.root.clone()
            }
            None => info[i].src.clone(),
        };
        mounts.insert(info[i].dst.clone(), src);
    }
    mounts
}

/// The module's `is_bind_mounted` on Linux: `dest` is a mount point (with `src` as its source
/// when given).
pub fn is_bind_mounted(mounts: Option<&LinuxMounts>, dest: &str, src: Option<&str>) -> bool {
    let Some(mounts) = mounts else {
        return false;
    };
    match (mounts.get(dest), src) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(have), Some(want)) => have == want,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_the_modules() {
        let text = "126 105 0:40 / / rw - overlay overlay rw\n\
                    127 126 0:43 / /tmp rw - tmpfs tmpfs rw\n\
                    150 127 0:43 /aaa /srv/bbb rw - tmpfs tmpfs rw\n\
                    151 126 254:0 /srv/data /mnt/bind rw - ext4 /dev/vda rw\n";
        let m = linux_mounts(text);
        assert_eq!(m["/"], "overlay");
        assert_eq!(m["/tmp"], "/");
        assert_eq!(m["/srv/bbb"], "/tmp/aaa");
        assert_eq!(m["/mnt/bind"], "/srv/data");
        assert!(is_bind_mounted(Some(&m), "/mnt/bind", Some("/srv/data")));
        assert!(!is_bind_mounted(Some(&m), "/mnt/bind", Some("/dev/vda")));
        assert!(is_bind_mounted(Some(&m), "/tmp", None));
        assert!(!is_bind_mounted(None, "/tmp", None));
    }
}
