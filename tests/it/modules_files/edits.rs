//! `lineinfile` and `blockinfile` against ansible-core: the same cases on copies of the same
//! files must leave the same bytes and report the same `changed`, and a second run changes
//! nothing.

use serde_json::{Value as Json, json};

use crate::support::ansible_tasks::run_tasks;
use crate::support::modules::Harness;

struct Case {
    module: &'static str,
    initial: Option<&'static str>,
    args: Json,
}

fn case(module: &'static str, initial: Option<&'static str>, args: Json) -> Case {
    Case {
        module,
        initial,
        args,
    }
}

const SSHD: &str = "# sshd\nPort 22\n#PermitRootLogin yes\nPasswordAuthentication yes\nUsePAM yes\n";

fn cases() -> Vec<Case> {
    vec![
        case("lineinfile", Some("a\nb"), json!({"line": "c"})),
        case(
            "lineinfile",
            Some(SSHD),
            json!({"regexp": "^#?PermitRootLogin", "line": "PermitRootLogin no"}),
        ),
        case(
            "lineinfile",
            Some(SSHD),
            json!({"regexp": "^MaxAuthTries", "line": "MaxAuthTries 3"}),
        ),
        case(
            "lineinfile",
            Some(SSHD),
            json!({"insertafter": "^Port", "line": "ListenAddress 0.0.0.0"}),
        ),
        case(
            "lineinfile",
            Some(SSHD),
            json!({"insertbefore": "^UsePAM", "line": "X11Forwarding no"}),
        ),
        case(
            "lineinfile",
            Some(SSHD),
            json!({"insertbefore": "BOF", "line": "# managed"}),
        ),
        case(
            "lineinfile",
            Some(SSHD),
            json!({"regexp": "^(\\s*)#?Port\\s+(\\d+)$", "line": "\\1Port 2222 # was \\2", "backrefs": true}),
        ),
        case(
            "lineinfile",
            Some(SSHD),
            json!({"regexp": "^Nope(.*)", "line": "x\\1", "backrefs": true}),
        ),
        case(
            "lineinfile",
            Some(SSHD),
            json!({"regexp": "^Pass", "state": "absent"}),
        ),
        case(
            "lineinfile",
            Some(SSHD),
            json!({"line": "UsePAM yes", "state": "absent"}),
        ),
        case(
            "lineinfile",
            Some(SSHD),
            json!({"search_string": "PermitRoot", "line": "PermitRootLogin prohibit-password"}),
        ),
        case(
            "lineinfile",
            Some("x\nk=1\nk=2\n"),
            json!({"insertafter": "^k=", "line": "new", "firstmatch": true}),
        ),
        case(
            "lineinfile",
            Some("x\nk=1\nk=2\n"),
            json!({"insertafter": "^k=", "line": "new"}),
        ),
        case(
            "lineinfile",
            Some("a\nb\nc\n"),
            json!({"insertafter": "^c", "line": "a"}),
        ),
        case("lineinfile", Some("a\r\nb\r\n"), json!({"line": "a"})),
        case(
            "lineinfile",
            None,
            json!({"line": "first", "create": true, "mode": "0600"}),
        ),
        case(
            "lineinfile",
            Some("é=1\n"),
            json!({"regexp": "^é=", "line": "é=2"}),
        ),
        case("blockinfile", Some("a\nb\n"), json!({"block": "x\ny"})),
        case(
            "blockinfile",
            Some("a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nb\n"),
            json!({"block": "new\nlines\n"}),
        ),
        case(
            "blockinfile",
            Some("a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nb\n"),
            json!({"state": "absent"}),
        ),
        case(
            "blockinfile",
            Some(SSHD),
            json!({"block": "Match User git\n  X11Forwarding no", "insertafter": "^Port"}),
        ),
        case(
            "blockinfile",
            Some(SSHD),
            json!({"block": "top", "insertbefore": "BOF"}),
        ),
        case(
            "blockinfile",
            Some("a\n"),
            json!({"block": "<p>x</p>", "marker": "<!-- {mark} ph -->", "marker_begin": "start", "marker_end": "stop"}),
        ),
        case(
            "blockinfile",
            Some("a\nb\n"),
            json!({"block": "m", "insertafter": "^a", "prepend_newline": true, "append_newline": true}),
        ),
        case("blockinfile", Some("no newline"), json!({"block": "z"})),
        case("blockinfile", None, json!({"block": "fresh", "create": true})),
        case("blockinfile", Some("a\n"), json!({"block": ""})),
        case(
            "replace",
            Some(SSHD),
            json!({"regexp": "^#?PermitRootLogin .*$", "replace": "PermitRootLogin no"}),
        ),
        case(
            "replace",
            Some("a = 1\nb = 22\nc = x\n"),
            json!({"regexp": "^(\\w+) = (\\d+)$", "replace": "\\2 := \\1"}),
        ),
        case(
            "replace",
            Some("host=db\nport=5432\n"),
            json!({"regexp": "^(?P<key>\\w+)=(?P<val>.*)$", "replace": "\\g<key>: \\g<val>\\t# set"}),
        ),
        case(
            "replace",
            Some("x=1\n[main]\nx=1\ny=2\n[other]\nx=1\n"),
            json!({"regexp": "^x=1$", "replace": "x=2", "after": "\\[main\\]", "before": "\\[other\\]"}),
        ),
        case(
            "replace",
            Some("x=1\n[main]\nx=1\n"),
            json!({"regexp": "^x=1$", "replace": "x=9", "after": "\\[main\\]"}),
        ),
        case(
            "replace",
            Some("x=1\n[main]\nx=1\n"),
            json!({"regexp": "^x=1$", "replace": "x=9", "before": "\\[main\\]"}),
        ),
        case(
            "replace",
            Some("x=1\n"),
            json!({"regexp": "^x=1$", "replace": "x=9", "after": "^nomatch"}),
        ),
        case(
            "replace",
            Some("keep\nremove me\nkeep\n"),
            json!({"regexp": "^remove.*\\n"}),
        ),
        case("replace", Some("abxd"), json!({"regexp": "x*", "replace": "-"})),
        case(
            "replace",
            Some("café=1\nnaïve=2\n"),
            json!({"regexp": "^(\\w+)=", "replace": "\\1 := "}),
        ),
        case(
            "replace",
            Some("same\n"),
            json!({"regexp": "same", "replace": "same"}),
        ),
        case(
            "replace",
            Some("line1\r\nline2\r\n"),
            json!({"regexp": "line(\\d)$", "replace": "L\\1", "mode": "0600"}),
        ),
        case(
            "replace",
            Some("a\n"),
            json!({"regexp": "^b$", "replace": "c", "mode": "u=rw,g=,o="}),
        ),
    ]
}

#[tokio::test]
async fn edits_match_ansible_byte_for_byte() {
    let mut h = Harness::new().await;
    let cases = cases();
    let theirs = h.dir().join("ansible");
    let ours = h.dir().join("playhook");
    std::fs::create_dir_all(&theirs).expect("mkdir");
    std::fs::create_dir_all(&ours).expect("mkdir");
    let mut tasks = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        for dir in [&theirs, &ours] {
            if let Some(text) = c.initial {
                std::fs::write(dir.join(format!("f{i}")), text).expect("write fixture");
            }
        }
        let mut args = c.args.clone();
        args["path"] = json!(theirs.join(format!("f{i}")));
        tasks.push((c.module, args));
    }
    // Twice: the second run must change nothing, for both.
    let mut all_tasks = tasks.clone();
    all_tasks.extend(tasks.iter().cloned());
    let results = run_tasks(&all_tasks, false);

    for round in 0..2 {
        for (i, c) in cases.iter().enumerate() {
            let mut args = c.args.clone();
            args["path"] = json!(ours.join(format!("f{i}")));
            let out = h.run(c.module, args).await;
            let expected = &results[round * cases.len() + i];
            assert!(!out.failed, "case {i} failed: {:?}", out.msg);
            assert_eq!(
                Json::Bool(out.changed),
                expected["changed"],
                "case {i} ({} {}), round {round}: changed differs; ansible said {expected}",
                c.module,
                c.args
            );
            assert_eq!(
                out.msg.as_deref().map(Json::from).unwrap_or(Json::Null),
                expected["msg"],
                "case {i} ({} {}), round {round}: msg differs",
                c.module,
                c.args
            );
        }
    }
    for (i, c) in cases.iter().enumerate() {
        let a = std::fs::read(theirs.join(format!("f{i}"))).expect("ansible's file");
        let b = std::fs::read(ours.join(format!("f{i}"))).expect("our file");
        assert_eq!(
            String::from_utf8_lossy(&b),
            String::from_utf8_lossy(&a),
            "case {i} ({} {}): bytes differ",
            c.module,
            c.args
        );
        let mode = |p: std::path::PathBuf| crate::support::local::mode_of(&p);
        assert_eq!(
            mode(ours.join(format!("f{i}"))),
            mode(theirs.join(format!("f{i}"))),
            "case {i}: mode differs"
        );
    }
}

#[tokio::test]
async fn check_mode_and_failures() {
    let mut h = Harness::new().await;
    let f = h.dir().join("conf");
    std::fs::write(&f, SSHD).expect("write");
    let args = json!({"path": f, "regexp": "^Port", "line": "Port 2222"});
    let check = h.run_with("lineinfile", args.clone(), true, true).await;
    assert!(check.changed);
    assert_eq!(check.diff[0].before, SSHD);
    assert!(check.diff[0].after.contains("Port 2222"));
    assert_eq!(
        std::fs::read_to_string(&f).expect("read"),
        SSHD,
        "check mode wrote"
    );
    let block = json!({"path": f, "block": "x"});
    assert!(h.run_with("blockinfile", block, true, false).await.changed);
    assert_eq!(
        std::fs::read_to_string(&f).expect("read"),
        SSHD,
        "check mode wrote"
    );

    let missing = h
        .run("lineinfile", json!({"path": h.dir().join("nope"), "line": "x"}))
        .await;
    assert!(missing.failed);
    assert!(missing.msg.expect("msg").contains("does not exist"));
    let dir = h.run("blockinfile", json!({"path": h.dir(), "block": "x"})).await;
    assert!(dir.failed);
    let err = h
        .try_run(
            "lineinfile",
            json!({"path": f, "line": "x", "regexp": "("}),
            false,
            false,
        )
        .await;
    assert!(
        err.expect_err("bad regexp")
            .to_string()
            .contains("regular expression")
    );

    let backup = h
        .run(
            "lineinfile",
            json!({"path": f, "line": "Extra 1", "backup": true}),
        )
        .await;
    let saved = backup.data["backup"].as_str().expect("backup path").to_string();
    assert_eq!(std::fs::read_to_string(saved).expect("backup"), SSHD);
}
