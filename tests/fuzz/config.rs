//! `ansible.cfg` and `-e` extra variables (`k=v`, `@file`, inline YAML or JSON).

use proptest::prelude::*;

use crate::harness::{self, check_message, names_line};
use playhook::repo::config::Config;
use playhook::repo::extra_vars::parse_vars;

fn cfg_seeds() -> Vec<Vec<u8>> {
    harness::seeds(
        |p| p.file_name().is_some_and(|n| n == "ansible.cfg"),
        &[
            "[defaults]\ninventory = hosts, more\nforks = 7\nremote_user = deploy\nhost_key_checking = False\n\
           roles_path = roles:~/r\ntimeout = 30\n  continued\n[privilege_escalation]\nbecome = yes\n\
           become_method = sudo\n[ssh_connection]\nssh_args = -o ControlMaster=auto\n[playhook]\nplaybook = site.yml\n",
        ],
    )
}

proptest! {
    #![proptest_config(harness::config())]

    #[test]
    fn ansible_cfg_loads_or_fails_naming_file_and_line(bytes in harness::mutated(cfg_seeds())) {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(dir.path().join("ansible.cfg"), &bytes).expect("write");
        match Config::load(dir.path()) {
            Ok(config) => {
                let _ = config.role_search_path();
                let _ = config.expand_home(std::path::Path::new("/home/u"));
            }
            Err(e) => {
                check_message(&e, true, &["ansible.cfg"])?;
                if std::str::from_utf8(&bytes).is_ok() {
                    prop_assert!(names_line(&e.to_string(), "ansible.cfg"), "no line: {}", e);
                }
            }
        }
    }

    #[test]
    fn extra_vars_parse_or_fail_naming_the_argument(arg in harness::mutated_text(vec![
        b"k=v k2='v 2' k3=\"a\\\"b\"".to_vec(),
        b"{\"k\": [1, 2, {\"a\": null}], \"n\": 1e3}".to_vec(),
        b"{k: &a [1, 2], j: *a}".to_vec(),
        b"@vars.yml".to_vec(),
        b"[1, 2]".to_vec(),
    ])) {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(dir.path().join("vars.yml"), "a: 1\nb: [x, y]\n").expect("write");
        if let Err(e) = parse_vars(std::slice::from_ref(&arg), dir.path()) {
            check_message(&e, false, &["-e"])?;
        }
    }
}
