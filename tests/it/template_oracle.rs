//! The differential test of the template engine: every template of `tests/corpus/templates`
//! is rendered by ansible-playbook (the `template` module) and by playhook's engine with the
//! same variables; the files must be byte-identical.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::Value;
use playhook::template::{Engine, EngineOptions};

use crate::support::ansible::render_templates;

const ENV: &[(&str, &str)] = &[("PLAYHOOK_CORPUS_VAR", "corpus value")];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/templates")
}

fn corpus() -> Vec<(String, PathBuf)> {
    let mut list: Vec<(String, PathBuf)> = std::fs::read_dir(corpus_dir())
        .expect("the corpus directory exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "j2"))
        .map(|p| {
            (
                p.file_name()
                    .expect("file name")
                    .to_string_lossy()
                    .replace(".j2", ".out"),
                p,
            )
        })
        .collect();
    list.sort();
    list
}

/// The variables playhook renders with: the vars file plus the magic variables Ansible sets.
fn playhook_vars(playbook_dir: &Path) -> Value {
    let node = playhook::yaml::load_file(&corpus_dir().join("vars.yml"))
        .expect("vars.yml parses")
        .expect("vars.yml is not empty");
    let mut vars: BTreeMap<String, Value> = BTreeMap::new();
    let loaded = node.to_value();
    for key in loaded.try_iter().expect("vars.yml is a mapping") {
        vars.insert(key.to_string(), loaded.get_item(&key).expect("key exists"));
    }
    vars.insert("inventory_hostname".into(), Value::from("localhost"));
    vars.insert(
        "playbook_dir".into(),
        Value::from(playbook_dir.to_string_lossy().as_ref()),
    );
    Value::from(vars)
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (la, lb)) in a.lines().zip(b.lines()).enumerate() {
        if la != lb {
            return format!("line {}:\n  ansible:  {la:?}\n  playhook: {lb:?}", i + 1);
        }
    }
    format!(
        "lengths differ: ansible {} lines / {} bytes, playhook {} lines / {} bytes; ends {:?} vs {:?}",
        a.lines().count(),
        a.len(),
        b.lines().count(),
        b.len(),
        &a[a.len().saturating_sub(20)..],
        &b[b.len().saturating_sub(20)..]
    )
}

#[test]
fn corpus_renders_like_ansible() {
    let work = tempfile::tempdir().expect("temp dir");
    let files = work.path().join("files");
    std::fs::create_dir(&files).expect("mkdir files");
    for entry in std::fs::read_dir(corpus_dir().join("files")).expect("corpus files") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, files.join(path.file_name().expect("name"))).expect("copy corpus file");
    }
    let ansible_out = work.path().join("ansible");
    let playhook_out = work.path().join("playhook");
    std::fs::create_dir(&ansible_out).expect("mkdir");
    std::fs::create_dir(&playhook_out).expect("mkdir");
    let templates = corpus();
    assert!(templates.len() >= 10, "the corpus has its templates");

    // While working on the engine, PLAYHOOK_ORACLE_REUSE=DIR keeps Ansible's outputs in DIR and
    // reuses them on the next runs (Ansible takes most of this test's time).
    let reuse = std::env::var_os("PLAYHOOK_ORACLE_REUSE").map(PathBuf::from);
    match &reuse {
        Some(dir) if dir.join("printing.out").exists() => {
            for (name, _) in &templates {
                std::fs::copy(dir.join(name), ansible_out.join(name)).expect("reuse Ansible's output");
            }
        }
        _ => {
            render_templates(
                work.path(),
                &templates,
                &corpus_dir().join("vars.yml"),
                &ansible_out,
                ENV,
            );
            if let Some(dir) = &reuse {
                std::fs::create_dir_all(dir).expect("mkdir");
                for (name, _) in &templates {
                    std::fs::copy(ansible_out.join(name), dir.join(name)).expect("keep Ansible's output");
                }
            }
        }
    }

    let engine = Engine::new(EngineOptions {
        environment: ENV.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..EngineOptions::default()
    });
    let vars = playhook_vars(work.path());
    let mut failures = Vec::new();
    for (name, src) in &templates {
        let source = std::fs::read_to_string(src).expect("read template");
        let expected = std::fs::read_to_string(ansible_out.join(name)).expect("ansible wrote the file");
        match engine.render_str(&source, &vars) {
            Ok(got) => {
                std::fs::write(playhook_out.join(name), &got).expect("write output");
                if got != expected {
                    failures.push(format!("{name}: {}", first_difference(&expected, &got)));
                }
            }
            Err(e) => failures.push(format!("{name}: playhook failed: {e}")),
        }
    }
    if let Some(dir) = &reuse {
        for (name, _) in &templates {
            let _ = std::fs::copy(playhook_out.join(name), dir.join(format!("{name}.playhook")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} templates differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
