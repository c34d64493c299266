//! `community.general.ini_file` against the collection's own module (installed by
//! `tests/setup.sh`) on copies of the same files: the same bytes, `changed` and `msg`, a
//! second run changing nothing, check mode writing nothing, and bad input refused.

use serde_json::{Value as Json, json};

use crate::support::ansible_tasks::run_tasks;
use crate::support::modules::Harness;

const INI: &str = "; top comment\n[main]\nname = old\n#port = 80\nlist = a\nlist = b\n\n[other]\nkey=value\n";

fn cases() -> Vec<(Option<&'static str>, Json)> {
    vec![
        (
            Some(INI),
            json!({"section": "main", "option": "name", "value": "new"}),
        ),
        (
            Some(INI),
            json!({"section": "main", "option": "port", "value": "8080"}),
        ),
        (
            Some(INI),
            json!({"section": "main", "option": "port", "value": "8080", "modify_inactive_option": false}),
        ),
        (
            Some(INI),
            json!({"section": "main", "option": "list", "values": ["b", "c"]}),
        ),
        (
            Some(INI),
            json!({"section": "main", "option": "list", "values": ["c"], "exclusive": false}),
        ),
        (
            Some(INI),
            json!({"section": "main", "option": "list", "state": "absent"}),
        ),
        (
            Some(INI),
            json!({"section": "main", "option": "list", "value": "a", "state": "absent", "exclusive": false}),
        ),
        (Some(INI), json!({"section": "other", "state": "absent"})),
        (
            Some(INI),
            json!({"section": "new", "option": "x", "value": "1", "no_extra_spaces": true}),
        ),
        (Some(INI), json!({"section": "new"})),
        (Some(INI), json!({"option": "global", "value": "yes"})),
        (
            Some(INI),
            json!({"section": "other", "option": "key", "value": "value", "ignore_spaces": true}),
        ),
        (
            Some(INI),
            json!({"section": "main", "option": "flag", "allow_no_value": true}),
        ),
        (
            Some("[s]\nk = 1"),
            json!({"section": "s", "option": "k", "value": "1"}),
        ),
        (
            Some("[a]\nid = 1\nv = x\n[a]\nid = 2\nv = y\n"),
            json!({"section": "a", "option": "v", "value": "z", "section_has_values": [{"option": "id", "value": "2"}]}),
        ),
        (
            None,
            json!({"section": "s", "option": "k", "value": "v", "mode": "0640"}),
        ),
        (
            Some(INI),
            json!({"section": "main", "option": "name", "value": "old", "mode": "0600"}),
        ),
    ]
}

#[tokio::test]
async fn ini_file_matches_the_collection() {
    let mut h = Harness::new().await;
    let cases = cases();
    let (theirs, ours) = (h.dir().join("a"), h.dir().join("b"));
    std::fs::create_dir_all(&theirs).expect("mkdir");
    std::fs::create_dir_all(&ours).expect("mkdir");
    let mut tasks = Vec::new();
    for (i, (initial, args)) in cases.iter().enumerate() {
        for dir in [&theirs, &ours] {
            if let Some(text) = initial {
                std::fs::write(dir.join(format!("f{i}.ini")), text).expect("write");
            }
        }
        let mut a = args.clone();
        a["path"] = json!(theirs.join(format!("f{i}.ini")));
        tasks.push(("community.general.ini_file", a));
    }
    // Check mode first (nothing written), then twice for real.
    let check = run_tasks(&tasks, true);
    let mut all = tasks.clone();
    all.extend(tasks.iter().cloned());
    let results = run_tasks(&all, false);
    let mut problems = Vec::new();
    for (round, check_mode) in [(0, true), (0, false), (1, false)] {
        for (i, (_, args)) in cases.iter().enumerate() {
            let mut a = args.clone();
            a["path"] = json!(ours.join(format!("f{i}.ini")));
            let out = h
                .run_with("community.general.ini_file", a, check_mode, false)
                .await;
            let expected = if check_mode {
                &check[i]
            } else {
                &results[round * cases.len() + i]
            };
            let label = format!("case {i} {args} (round {round}, check {check_mode})");
            if json!(out.changed) != expected["changed"] {
                problems.push(format!(
                    "{label}: changed {} where ansible has {}",
                    out.changed, expected["changed"]
                ));
            }
            if json!(out.msg) != expected["msg"] {
                problems.push(format!(
                    "{label}: msg {:?} where ansible has {}",
                    out.msg, expected["msg"]
                ));
            }
            if !out.failed {
                for key in ["state", "mode"] {
                    let ov = out.data.get(key).map(|v| serde_json::to_value(v).expect("json"));
                    if ov.as_ref() != expected.get(key) {
                        problems.push(format!(
                            "{label}: `{key}` {ov:?} where ansible has {:?}",
                            expected.get(key)
                        ));
                    }
                }
            }
        }
    }
    for (i, (_, args)) in cases.iter().enumerate() {
        let read = |d: &std::path::Path| std::fs::read_to_string(d.join(format!("f{i}.ini"))).ok();
        if read(&ours) != read(&theirs) {
            problems.push(format!(
                "case {i} {args}: bytes {:?} where ansible has {:?}",
                read(&ours),
                read(&theirs)
            ));
        }
        let mode = |d: &std::path::Path| crate::support::local::mode_of(&d.join(format!("f{i}.ini")));
        if read(&ours).is_some() && mode(&ours) != mode(&theirs) {
            problems.push(format!("case {i}: mode differs"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn bad_input_is_refused() {
    let mut h = Harness::new().await;
    let f = h.dir().join("x.ini");
    let cases = [
        (json!({"path": f, "section": "s", "option": "o"}), "value(s)"),
        (
            json!({"path": f, "section": "s", "option": "o", "value": "1", "values": ["2"]}),
            "mutually exclusive",
        ),
        (
            json!({"path": f, "section": "s", "option": "o", "value": "1", "create": false}),
            "does not exist",
        ),
        (json!({"path": f, "section": "s", "state": "gone"}), "state"),
        (
            json!({"path": f, "section": "s", "option": "o", "value": "1", "bogus": 1}),
            "bogus",
        ),
    ];
    for (args, want) in cases {
        let msg = match h
            .try_run("community.general.ini_file", args.clone(), false, false)
            .await
        {
            Err(e) => e.to_string(),
            Ok(o) if o.failed => o.msg.unwrap_or_default(),
            Ok(o) => panic!("{args} was accepted: {o:?}"),
        };
        assert!(msg.contains(want), "{args}: {msg}");
    }
    assert!(!f.exists(), "nothing was written");
}
