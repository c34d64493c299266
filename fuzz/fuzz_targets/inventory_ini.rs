//! libFuzzer target: an INI inventory file, loaded and queried as a deploy does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use playhook::repo::inventory::{Inventory, InventoryOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("hosts.ini");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(inv) = Inventory::load(&[path], &InventoryOptions::default()) {
        for host in inv.select("all").unwrap_or_default().iter().take(20) {
            let _ = inv.host_vars(host);
        }
    }
});
