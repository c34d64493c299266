//! Inventories: INI and YAML files, the JSON an inventory script prints, and host patterns
//! (`hosts:`, `--limit`, `--limit @FILE`).

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use crate::harness::{self, check_message, names_line};
use playhook::repo::inventory::{Inventory, InventoryError, InventoryOptions};

const SCRIPT_JSON: &str = r#"{"web": {"hosts": ["w1", "w2"], "vars": {"port": 80}, "children": ["db"]},
 "db": ["d1"], "_meta": {"hostvars": {"w1": {"ansible_host": "10.0.0.1", "n": [1, {"a": null}]}}}}"#;

fn load(path: &Path) -> Result<Inventory, InventoryError> {
    let options = InventoryOptions {
        playbook_dir: path.parent().map(Path::to_path_buf),
    };
    Inventory::load(&[path.to_path_buf()], &options)
}

/// Loads `bytes` written as `name`; an error must name the file (and a line for INI and YAML
/// syntax), and a loaded inventory must answer every query.
fn load_bytes(name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    match load(&path) {
        Ok(inv) => exercise(&inv),
        Err(e) => {
            check_message(&e, true, &[name])?;
            if matches!(e, InventoryError::Invalid { .. } | InventoryError::Yaml(_)) {
                prop_assert!(names_line(&e.to_string(), name), "no line: {}", e);
            }
            Ok(())
        }
    }
}

/// Every query a deploy makes of a loaded inventory.
fn exercise(inv: &Inventory) -> Result<(), TestCaseError> {
    let hosts = inv.select("all").unwrap_or_default();
    for h in hosts.iter().take(20) {
        let _ = inv.host_vars(h);
        let _ = inv.group_names(h);
        let _ = inv.magic_vars(h);
    }
    let _ = inv.groups_value();
    let _ = playhook::repo::inventory::dump::list(inv, &hosts, &Default::default());
    let _ = playhook::repo::inventory::dump::graph(inv, "all", true, &Default::default());
    Ok(())
}

fn ini_seeds() -> Vec<Vec<u8>> {
    harness::seeds(
        |p| harness::ext(p, &["ini"]) || p.file_name().is_some_and(|n| n == "hosts" || n == "inventory"),
        &["[web]\nweb[01:03].example.com ansible_port=22 x='a b'\n[db:vars]\ny=1\n[all:children]\nweb\n"],
    )
}

fn yaml_seeds() -> Vec<Vec<u8>> {
    harness::seeds(
        |p| {
            harness::ext(p, &["yml", "yaml"])
                && std::fs::read_to_string(p).is_ok_and(|t| t.contains("hosts:") && t.contains("children:"))
        },
        &[
            "all:\n  hosts:\n    h1:\n      ansible_host: 1.2.3.4\n  children:\n    web:\n      hosts:\n        w[1:3]:\n      vars: {a: 1}\n",
        ],
    )
}

fn fixed_inventory() -> (tempfile::TempDir, Inventory) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("hosts.ini");
    std::fs::write(
        &path,
        "[web]\nweb1\nweb2\nweb3\n[db]\ndb1\ndb2\n[prod:children]\nweb\ndb\n[stage]\nweb3\n",
    )
    .expect("write");
    let inv = load(&path).expect("the fixed inventory loads");
    (dir, inv)
}

proptest! {
    #![proptest_config(harness::config())]

    #[test]
    fn an_ini_inventory_loads_or_fails_naming_file_and_line(bytes in harness::mutated(ini_seeds())) {
        load_bytes("hosts.ini", &bytes)?;
    }

    #[test]
    fn a_yaml_inventory_loads_or_fails_naming_file_and_line(bytes in harness::mutated(yaml_seeds())) {
        load_bytes("hosts.yml", &bytes)?;
    }

    #[test]
    fn host_patterns_and_limits_select_or_fail_naming_the_pattern(pattern in harness::mutated_text(vec![
        b"web:&prod:!db".to_vec(), b"web[0:1],db[-1]".to_vec(), b"~web[0-9]+:db?".to_vec(),
        b"all:!stage".to_vec(), b"web*".to_vec(), b"prod[1:]".to_vec(), b"@limit.txt".to_vec(),
    ])) {
        let (dir, inv) = fixed_inventory();
        std::fs::write(dir.path().join("limit.txt"), "web1\n# c\ndb[0]\n").expect("write");
        if let Err(e) = inv.select(&pattern) {
            check_message(&e, true, &[])?;
            let text = e.to_string();
            prop_assert!(text.contains("host pattern") || text.contains("limit"), "{}", text);
        }
        if let Err(e) = inv.select_limited("all", Some(&pattern), dir.path()) {
            check_message(&e, true, &[])?;
        }
        let _ = inv.select_lenient(&pattern);
    }
}

proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: harness::cases() / 4 + 1, ..harness::config() })]

    /// Each case runs a real script (a process): a quarter of the budget.
    #[test]
    fn an_inventory_script_s_json_loads_or_fails_naming_the_script(json in harness::mutated(
        harness::seeds(|p| harness::ext(p, &["json"]), &[SCRIPT_JSON])
    )) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let data = dir.path().join("out.json");
        std::fs::write(&data, &json).expect("write");
        let script: PathBuf = dir.path().join("inv.sh");
        std::fs::write(
            &script,
            format!("#!/bin/sh\n[ \"$1\" = --list ] && exec cat '{}'\necho '{{}}'\n", data.display()),
        ).expect("write");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        match load(&script) {
            Ok(inv) => exercise(&inv)?,
            Err(e) => check_message(&e, true, &["inv.sh"])?,
        }
    }
}
