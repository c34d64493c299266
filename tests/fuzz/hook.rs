//! What a pusher controls on the server: `playhook.yaml` rules, push options (`-o`), the
//! `OLD NEW REF` lines of the hook's stdin, and the deploy records in `refs/notes/playhook`
//! (read back by `history` and `status`).

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;

use crate::harness::{self, check_message, names_line};
use playhook::hook::config::{DEFAULT_FILE, HookConfig};
use playhook::hook::push_options::PushOptions;
use playhook::hook::run::{decide, parse_updates};

const RULES: &str = "keep_logs: 5\nrules:\n  - ref: main\n    environment: prod\n    tags: [web, dns]\n    limit: 'web:!db'\n    inventory: [inv/prod, inv/extra.yml]\n    playbook: site.yml\n  - ref: 'release/*'\n    check: true\n    tags: all\n";

const RECORD: &str = r#"{"when":"2026-01-02T03:04:05.678Z","unix_ms":1767323045678,"commit":"0123456789abcdef0123456789abcdef01234567","ref":"refs/heads/main","environment":"prod","kind":"push","mode":"real","tags":["web"],"limit":"web1","pusher":"alice","pusher_source":"GL_USER","result":"failed","exit_code":2,"duration_secs":12.5,"hosts":{"web1":{"ok":3,"changed":1,"unreachable":0,"failed":1,"skipped":0,"rescued":0,"ignored":0}},"log":"playhook/logs/x.log","error":null}"#;

proptest! {
    #![proptest_config(harness::config())]

    #[test]
    fn playhook_yaml_loads_or_fails_naming_file_and_line(text in harness::mutated_text(vec![
        RULES.as_bytes().to_vec(), DEFAULT_FILE.as_bytes().to_vec(),
    ])) {
        match HookConfig::parse(&text, Path::new("playhook.yaml")) {
            Ok(config) => {
                for r in ["refs/heads/main", "refs/heads/release/1", "refs/tags/v1", ""] {
                    let _ = config.rule_for(r);
                }
            }
            Err(e) => {
                check_message(&e, true, &["playhook.yaml"])?;
                prop_assert!(names_line(&e.to_string(), "playhook.yaml"), "no line: {}", e);
            }
        }
    }

    #[test]
    fn push_options_parse_or_are_rejected_with_the_option(opts in proptest::collection::vec(
        harness::mutated_text(vec![
            b"tags=dns,web".to_vec(), b"limit=web1:&prod".to_vec(), b"check".to_vec(),
            b"diff".to_vec(), b"no-color".to_vec(), b"tags=".to_vec(),
        ]),
        0..5,
    )) {
        if let Err(e) = PushOptions::parse(&opts) {
            check_message(&e, false, &[])?;
            prop_assert!(opts.iter().any(|o| e.to_string().contains(o.trim())), "names no option: {}", e);
        }
    }

    #[test]
    fn hook_stdin_lines_parse_or_fail_naming_the_line(text in harness::mutated_text(vec![
        format!("{} {} refs/heads/main\n{} {} refs/heads/release/1\n", "0".repeat(40), "a".repeat(40), "b".repeat(40), "0".repeat(40)).into_bytes(),
        format!("{} {} refs/tags/v1\n", "c".repeat(64), "d".repeat(64)).into_bytes(),
    ])) {
        match parse_updates(&text) {
            Ok(updates) => {
                let config = HookConfig::parse(RULES, Path::new("playhook.yaml")).expect("rules");
                let _ = decide(&config, &updates);
                let _ = decide(&HookConfig::defaults(), &updates);
            }
            Err(e) => {
                check_message(&e, false, &["standard input line"])?;
            }
        }
    }
}

/// A bare repository with one commit and `note` as its deploy note.
fn repo_with_note(note: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    let repo = git2::Repository::init_bare(dir.path()).expect("init");
    let sig = git2::Signature::now("t", "t@example.com").expect("signature");
    let tree = repo
        .treebuilder(None)
        .and_then(|t| t.write())
        .expect("empty tree");
    let tree = repo.find_tree(tree).expect("tree");
    let commit = repo
        .commit(Some("refs/heads/main"), &sig, &sig, "c", &tree, &[])
        .expect("commit");
    // git notes are text; git2 takes a &str, so bytes that are not UTF-8 go in as a blob.
    let blob = repo.blob(note).expect("blob");
    let mut builder = repo.treebuilder(None).expect("treebuilder");
    builder
        .insert(commit.to_string(), blob, 0o100644)
        .expect("insert");
    let notes_tree = repo
        .find_tree(builder.write().expect("write"))
        .expect("notes tree");
    repo.commit(Some("refs/notes/playhook"), &sig, &sig, "notes", &notes_tree, &[])
        .expect("notes commit");
    dir
}

fn record_seeds() -> Vec<Vec<u8>> {
    vec![
        RECORD.as_bytes().to_vec(),
        format!("{RECORD}\n\n{RECORD}\n").into_bytes(),
    ]
}

proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: harness::cases() / 4 + 1, ..harness::config() })]

    /// Records read back by `notes::all`, then shown by `playhook history` and `status` (both
    /// text and `--json`, real processes: a quarter of the budget): never a panic, and a line
    /// that is not a record is a warning naming the note and its line.
    #[test]
    fn deploy_notes_are_read_or_reported_and_listed(note in harness::mutated(record_seeds())) {
        let dir = repo_with_note(&note);
        let repo = git2::Repository::open(dir.path()).expect("open");
        let (records, problems) = playhook::hook::notes::all(&repo).expect("notes are listed");
        for p in &problems {
            prop_assert!(p.starts_with("note on ") && p.contains("line "), "{}", p);
            prop_assert!(!p.contains('\n'), "{:?}", p);
        }
        let _ = playhook::hook::status::per_host(&records);
        for args in [&["history"][..], &["history", "--json"], &["status"], &["status", "--json"]] {
            let out = Command::new(env!("CARGO_BIN_EXE_playhook"))
                .args(args)
                .arg("-C")
                .arg(dir.path())
                .env_clear()
                .output()
                .expect("run playhook");
            let stderr = String::from_utf8_lossy(&out.stderr);
            prop_assert_eq!(out.status.code(), Some(0), "{:?}: {}", args, stderr);
            if args.contains(&"--json") {
                for line in String::from_utf8_lossy(&out.stdout).lines() {
                    prop_assert!(serde_json::from_str::<serde_json::Value>(line).is_ok(), "not JSON: {}", line);
                }
            }
        }
    }
}

/// A record whose commit id is not hex (notes are written by anyone with push access) is
/// listed, cut on a character boundary, and its control characters do not reach the terminal.
#[test]
fn a_record_with_a_strange_commit_id_and_escape_codes_is_listed() {
    let record = RECORD
        .replace("0123456789abcdef0123456789abcdef01234567", "€€€€€€€€€€€€")
        .replace("\"alice\"", "\"al\\u001b[2Jice\\nX\"");
    let dir = repo_with_note(record.as_bytes());
    for args in [&["history"][..], &["status"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_playhook"))
            .args(args)
            .arg("-C")
            .arg(dir.path())
            .env_clear()
            .output()
            .expect("run playhook");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("€€€€€€€€€€"), "{stdout}");
        assert!(
            !stdout.contains('\u{1b}'),
            "an escape code reached the terminal: {stdout:?}"
        );
    }
}
