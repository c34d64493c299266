//! The `template` module.

use minijinja::Value;
use serde_json::json;

use crate::support::local::mode_of;
use crate::support::modules::Harness;

fn setup(h: &mut Harness) -> std::path::PathBuf {
    let role = h.dir().join("roles/dns");
    std::fs::create_dir_all(role.join("templates")).expect("mkdir");
    std::fs::write(
        role.join("templates/zone.j2"),
        "; {{ ansible_managed }}\n$ORIGIN {{ domain }}.\n{% for h in hosts %}\n{{ h }} IN A 10.0.0.{{ loop.index }}\n{% endfor %}\n",
    )
    .expect("write");
    h.role = Some(role.clone());
    h.vars = playhook::modules::params::map_value([
        ("domain", Value::from("example.org")),
        ("hosts", Value::from(vec!["ns1", "www"])),
    ]);
    role
}

#[tokio::test]
async fn renders_from_the_role_and_is_idempotent() {
    let mut h = Harness::new().await;
    let role = setup(&mut h);
    let dest = h.dir().join("db.example");
    let args = json!({"src": "zone.j2", "dest": dest, "mode": "0640"});
    let first = h.run_with("template", args.clone(), false, true).await;
    assert!(first.changed && !first.failed, "{first:?}");
    assert_eq!(
        std::fs::read_to_string(&dest).expect("read"),
        "; Ansible managed\n$ORIGIN example.org.\nns1 IN A 10.0.0.1\nwww IN A 10.0.0.2\n"
    );
    assert_eq!(mode_of(&dest), 0o640);
    assert_eq!(
        first.diff[0].after_header,
        role.join("templates/zone.j2").display().to_string()
    );
    assert_eq!(first.diff[0].before, "");

    assert!(!h.run("template", args.clone()).await.changed);

    h.vars = playhook::modules::params::map_value([
        ("domain", Value::from("example.net")),
        ("hosts", Value::from(vec!["ns1"])),
    ]);
    let check = h.run_with("template", args.clone(), true, true).await;
    assert!(check.changed);
    assert!(check.diff[0].after.contains("example.net"));
    assert!(
        std::fs::read_to_string(&dest)
            .expect("read")
            .contains("example.org"),
        "check mode wrote"
    );
    assert!(h.run("template", args).await.changed);
    assert!(
        std::fs::read_to_string(&dest)
            .expect("read")
            .contains("example.net")
    );
}

#[tokio::test]
async fn errors_name_the_template_and_validate_guards_the_dest() {
    let mut h = Harness::new().await;
    let role = setup(&mut h);
    std::fs::write(role.join("templates/bad.j2"), "ok\n{{ nope }}\n").expect("write");
    let dest = h.dir().join("out");
    let out = h.run("template", json!({"src": "bad.j2", "dest": dest})).await;
    assert!(out.failed);
    let msg = out.msg.expect("msg");
    assert!(msg.contains("bad.j2:2: ") && msg.contains("nope"), "{msg}");
    assert!(!dest.exists());

    let err = h
        .try_run(
            "template",
            json!({"src": "missing.j2", "dest": dest}),
            false,
            false,
        )
        .await;
    assert!(err.expect_err("missing").to_string().contains("missing.j2"));

    std::fs::write(&dest, "keep\n").expect("write");
    let out = h
        .run(
            "template",
            json!({"src": "zone.j2", "dest": dest, "validate": "grep -q ORIGIN-NOT-THERE %s"}),
        )
        .await;
    assert!(out.failed, "{out:?}");
    assert_eq!(std::fs::read_to_string(&dest).expect("read"), "keep\n");
    let out = h
        .run(
            "template",
            json!({"src": "zone.j2", "dest": dest, "validate": "grep -q ORIGIN %s"}),
        )
        .await;
    assert!(out.changed && !out.failed, "{out:?}");
}
