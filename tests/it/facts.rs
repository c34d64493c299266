//! Fact gathering over a local connection, compared field by field with what ansible-core's
//! `setup` module reports on the same machine.

use minijinja::Value;
use serde_json::Value as Json;

use crate::support::ansible_tasks::ansible_command;
use crate::support::local::local;

/// The facts playhook gathers that `setup` also reports, compared exactly.
const SAME_AS_SETUP: &[&str] = &[
    "hostname",
    "nodename",
    "fqdn",
    "domain",
    "distribution",
    "distribution_version",
    "distribution_major_version",
    "distribution_release",
    "os_family",
    "system",
    "kernel",
    "kernel_version",
    "machine",
    "architecture",
    "user_id",
    "user_uid",
    "user_gid",
    "user_gecos",
    "user_dir",
    "user_shell",
    "default_ipv4",
    "all_ipv4_addresses",
    "processor_count",
    "processor_cores",
    "processor_threads_per_core",
    "processor_vcpus",
    "processor_nproc",
    "memtotal_mb",
    "swaptotal_mb",
    "pkg_mgr",
];

/// `ansible -m setup localhost -c local`, as JSON facts (keys with the `ansible_` prefix).
fn setup_facts() -> serde_json::Map<String, Json> {
    let out = ansible_command("ansible")
        .args(["localhost", "-i", "localhost,", "-c", "local", "-m", "setup"])
        .output()
        .expect("ansible is missing: install it with `pip install ansible-core==2.19.14`");
    let text = String::from_utf8_lossy(&out.stdout);
    let start = text.find('{').unwrap_or_else(|| {
        panic!(
            "ansible -m setup printed no result:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let result: Json = serde_json::from_str(&text[start..]).expect("setup prints JSON");
    result["ansible_facts"]
        .as_object()
        .cloned()
        .expect("setup returns ansible_facts")
}

fn to_json(v: &Value) -> Json {
    serde_json::to_value(v).expect("facts serialize")
}

#[tokio::test]
async fn facts_match_ansible_setup() {
    let mut conn = local().await;
    let facts = playhook::facts::gather(&mut conn, None, &playhook::facts::Selection::all())
        .await
        .expect("facts are gathered");
    let ours = to_json(&facts);
    let theirs = setup_facts();
    for key in SAME_AS_SETUP {
        let want = theirs
            .get(&format!("ansible_{key}"))
            .cloned()
            .unwrap_or(Json::Null);
        let got = ours.get(*key).cloned().unwrap_or(Json::Null);
        assert_eq!(got, want, "fact `{key}` differs from ansible's setup");
    }
    for key in ["tz", "tz_dst", "tz_offset", "year"] {
        assert_eq!(
            ours["date_time"][key], theirs["ansible_date_time"][key],
            "date_time fact `{key}` differs from ansible's setup"
        );
    }
    let epoch = |v: &Json| {
        v.as_str()
            .and_then(|s| s.parse::<i64>().ok())
            .expect("epoch is a number")
    };
    let drift = epoch(&ours["date_time"]["epoch"]) - epoch(&theirs["ansible_date_time"]["epoch"]);
    assert!(
        drift.abs() < 120,
        "date_time.epoch is {drift} s away from ansible's"
    );
    // PATH is not compared: the pyenv shim in front of ansible rewrites it.
    assert_eq!(
        ours["env"]["HOME"], theirs["ansible_env"]["HOME"],
        "env fact `HOME` differs from ansible's setup"
    );
}

#[tokio::test]
async fn top_level_aliases_mirror_ansible_facts() {
    let mut conn = local().await;
    let facts = playhook::facts::gather(&mut conn, None, &playhook::facts::Selection::all())
        .await
        .expect("facts are gathered");
    let vars = playhook::facts::top_level_vars(&facts);
    assert_eq!(to_json(&vars["ansible_facts"]), to_json(&facts));
    let hostname = to_json(&vars["ansible_hostname"]);
    assert_eq!(hostname, to_json(&facts)["hostname"]);
    assert!(
        hostname.as_str().is_some_and(|h| !h.is_empty()),
        "hostname is set: {hostname}"
    );
    assert_eq!(
        to_json(&vars["ansible_default_ipv4"])["address"],
        to_json(&facts)["default_ipv4"]["address"]
    );
}
