//! The pull-mode agent's configuration (`/etc/playhook/agent.yaml`), spans included.

use std::os::unix::fs::PermissionsExt as _;

use proptest::prelude::*;

use crate::harness::{self, check_message};
use playhook::agent::config::{Config, parse_span};

const CONFIG: &str = "repo: ssh://git@example.com/infra.git\nbranch: main\ncanary_branch: canary\ninterval: 5min\nsplay: 30s\n\
tags: [web, dns]\nlimit: web1\nallow_rewind: false\ndrift:\n  every: 3\n  action: report\n\
reboot:\n  when: required\n  window: 'Sun 03:00-05:00'\n\
webhook:\n  url: https://hooks.example.com/x\n  events: [applied, failed]\nmetrics:\n  path: /var/lib/node_exporter/playhook.prom\n";

proptest! {
    #![proptest_config(harness::config())]

    #[test]
    fn the_agent_config_loads_or_fails_naming_the_file(bytes in harness::mutated(vec![CONFIG.as_bytes().to_vec()])) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("agent.yaml");
        std::fs::write(&path, &bytes).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        match Config::load(&path) {
            Ok(config) => {
                let _ = config.followed_branch();
                let _ = config.state_dir();
            }
            Err(e) => check_message(&e, true, &["agent.yaml"])?,
        }
    }

    #[test]
    fn spans_parse_or_fail(text in harness::mutated_text(vec![b"5min".to_vec(), b"1h30m".to_vec(), b"30s".to_vec(), b"2d".to_vec()])) {
        if let Err(e) = parse_span(&text) {
            prop_assert!(!e.trim().is_empty());
        }
    }
}
