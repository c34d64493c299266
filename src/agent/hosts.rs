//! Which inventory hosts this machine is: those named like its hostname or one of the
//! configured aliases. The agent applies the playbook to them only, over the local connection.
//!
//! The inventory is read from the fetched commit every pass, after the fetch: a host taken out
//! of the inventory and put back later picks its deploys up again.

use std::path::{Path, PathBuf};

use crate::repo::config::Config as AnsibleConfig;
use crate::repo::inventory::{Inventory, InventoryOptions};

/// The inventory names among `all` hosts of the repository at `dir` that are in `names`
/// (compared without regard to case), in inventory order.
pub fn matching(dir: &Path, names: &[String]) -> Result<Vec<String>, String> {
    let config = AnsibleConfig::load(dir).map_err(|e| e.to_string())?;
    let sources: Vec<PathBuf> = Inventory::default_sources(dir, &config)
        .into_iter()
        .map(|p| if p.is_absolute() { p } else { dir.join(p) })
        .collect();
    let inventory = Inventory::load(
        &sources,
        &InventoryOptions {
            playbook_dir: Some(dir.to_path_buf()),
        },
    )
    .map_err(|e| e.to_string())?;
    let all = inventory.select("all").map_err(|e| e.to_string())?;
    Ok(all
        .into_iter()
        .filter(|h| names.iter().any(|n| n.eq_ignore_ascii_case(h)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostname_and_aliases_select_inventory_hosts() {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::write(
            tmp.path().join("ansible.cfg"),
            "[defaults]\ninventory = inventory.yaml\n",
        )
        .expect("cfg");
        std::fs::write(
            tmp.path().join("inventory.yaml"),
            "all:\n  children:\n    web:\n      hosts:\n        web01:\n        web02:\n    db:\n      hosts:\n        DB01:\n",
        )
        .expect("inventory");
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(matching(tmp.path(), &names(&["web02"])).expect("ok"), ["web02"]);
        assert_eq!(
            matching(tmp.path(), &names(&["db01", "web01"])).expect("ok"),
            ["web01", "DB01"]
        );
        assert!(matching(tmp.path(), &names(&["mail"])).expect("ok").is_empty());
    }
}
