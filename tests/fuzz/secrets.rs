//! The encrypted secrets file (`secrets.yaml` / `secrets.json`): parsing any bytes, then
//! opening with the right key (a wrong MAC, key check or value must be refused by name).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;

use crate::harness::{self, check_message};
use playhook::secrets::format::{self, EncDoc};
use playhook::secrets::{KeySource, SecretString, SecretsFile, parse_plain};

const PLAIN: &str = "db:\n  password: s3cret-value\n  port: 5432\nusers:\n  - alice\n  - {name: bob, key: 'ssh-ed25519 AAAA'}\nflag: true\nempty: ''\n";

fn key() -> KeySource {
    KeySource::passphrase(
        SecretString::new("correct horse battery staple".into()),
        "the test key",
    )
}

/// Real files written by playhook, YAML and JSON, made once.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temp dir");
        ["secrets.yaml", "secrets.json"]
            .iter()
            .map(|name| {
                let path = dir.path().join(name);
                let mut file = SecretsFile::create(&path, &key()).expect("create");
                *file.plain_mut() = parse_plain(PLAIN, Path::new("plain")).expect("plain values");
                file.save().expect("save");
                std::fs::read(&path).expect("read back")
            })
            .collect()
    })
}

fn name_for(bytes: &[u8]) -> &'static str {
    if bytes.trim_ascii_start().starts_with(b"{") {
        "secrets.json"
    } else {
        "secrets.yaml"
    }
}

/// Parses `bytes` as the file `name`; an error must name the file on one line.
fn parse(bytes: &[u8], name: &str) -> Result<Option<EncDoc>, TestCaseError> {
    match format::parse(bytes, &PathBuf::from(name)) {
        Ok(doc) => Ok(Some(doc)),
        Err(e) => {
            check_message(&e, true, &[name])?;
            Ok(None)
        }
    }
}

proptest! {
    #![proptest_config(harness::config())]

    #[test]
    fn any_bytes_parse_or_fail_naming_the_file(bytes in harness::mutated(seeds().to_vec())) {
        parse(&bytes, name_for(&bytes))?;
    }
}

proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: harness::cases() / 8 + 1, ..harness::config() })]

    /// Opening derives the key (Argon2id): an eighth of the budget, and only files whose cost
    /// stays near the default (the format allows up to 4 GiB). A file that parses but was
    /// changed must not open silently with other values, and secrets never reach the message.
    #[test]
    fn a_changed_file_opens_to_the_same_values_or_is_refused(bytes in harness::mutated(seeds().to_vec())) {
        let name = name_for(&bytes);
        let Some(doc) = parse(&bytes, name)? else { return Ok(()) };
        if doc.meta.kdf.memory_kib > 64 * 1024 || doc.meta.kdf.iterations > 4 || doc.meta.kdf.parallelism > 4 {
            return Ok(());
        }
        match SecretsFile::unlock(doc, Path::new(name), &key()) {
            Ok(file) => {
                let expected = parse_plain(PLAIN, Path::new("plain")).expect("plain values");
                prop_assert!(file.plain() == &expected, "a changed file opened with other values");
            }
            Err(e) => {
                check_message(&e, true, &[name])?;
                let text = playhook::error_chain::render(&e);
                prop_assert!(!text.contains("s3cret-value"), "a secret in the message: {}", text);
            }
        }
    }
}
