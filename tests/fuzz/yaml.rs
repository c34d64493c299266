//! The YAML loader (`playhook::yaml`): every playbook, role, vars file and YAML inventory goes
//! through it.

use std::path::Path;

use proptest::prelude::*;

use crate::harness::{self, check_message, names_line};
use playhook::yaml::{YamlError, load_all_str, load_file, load_str};

fn seeds() -> Vec<Vec<u8>> {
    harness::seeds(|p| harness::ext(p, &["yml", "yaml"]), &[])
}

fn check_yaml_error(e: &YamlError, file: &str) -> Result<(), TestCaseError> {
    check_message(e, true, &[file])?;
    let text = playhook::error_chain::render(e);
    if !matches!(e, YamlError::Read { .. }) {
        prop_assert!(names_line(&text, file), "no line named: {}", text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(harness::config())]

    #[test]
    fn any_text_loads_or_fails_naming_file_and_line(text in harness::mutated_text(seeds())) {
        let path = Path::new("roles/x/tasks/main.yml");
        if let Err(e) = load_str(&text, path) {
            check_yaml_error(&e, "roles/x/tasks/main.yml")?;
        }
        match load_all_str(&text, path) {
            Ok(docs) => for d in docs.into_iter().flatten() { let _ = d.to_value(); },
            Err(e) => check_yaml_error(&e, "roles/x/tasks/main.yml")?,
        }
    }

    #[test]
    fn any_bytes_in_a_file_load_or_fail_naming_the_file(bytes in harness::mutated(seeds())) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("vars.yml");
        std::fs::write(&path, &bytes).expect("write");
        if let Err(e) = load_file(&path) {
            check_message(&e, true, &[&path.display().to_string()])?;
        }
    }
}

/// The classic billion laughs: nine levels of ten aliases each expand to 10^9 nodes.
#[test]
fn a_billion_laughs_is_refused_not_expanded() {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        let list = [prev.as_str(); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{list}]\n"));
    }
    let started = std::time::Instant::now();
    let err = load_str(&text, Path::new("bomb.yml")).expect_err("an alias bomb is refused");
    let message = err.to_string();
    assert!(message.starts_with("bomb.yml:"), "{message}");
    assert!(message.contains("alias"), "{message}");
    assert!(started.elapsed().as_secs() < 5, "refused quickly");
    let err = load_all_str(&text, Path::new("bomb.yml")).expect_err("refused in every document too");
    assert!(err.to_string().contains("alias"), "{err}");
}

/// Aliases that are merely shared (a few hundred uses) still load.
#[test]
fn ordinary_aliases_and_merge_keys_still_load() {
    let mut text = String::from("base: &b {user: deploy, port: 22}\nhosts:\n");
    for i in 0..500 {
        text.push_str(&format!("  h{i}:\n    <<: *b\n    id: {i}\n"));
    }
    let root = load_str(&text, Path::new("ok.yml"))
        .expect("loads")
        .expect("a document");
    let hosts = root.get("hosts").and_then(|h| h.as_map()).expect("hosts");
    assert_eq!(hosts.len(), 500);
}

/// Deep nesting in flow and block style neither overflows the stack nor is silently accepted
/// past the limit.
#[test]
fn deep_nesting_is_refused_with_its_line() {
    for text in [
        "[".repeat(100_000),
        format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000)),
        format!("{}x", "{a: ".repeat(5_000)),
        (0..3_000)
            .map(|i| format!("{}- \n", "  ".repeat(i)))
            .collect::<String>(),
    ] {
        let err = load_str(&text, Path::new("deep.yml")).expect_err("too deep");
        assert!(names_line(&err.to_string(), "deep.yml"), "{err}");
    }
    let ok = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    load_str(&ok, Path::new("ok.yml")).expect("100 levels load");
}
