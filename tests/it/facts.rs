//! Fact gathering over a local connection, compared field by field with what ansible-core's
//! `setup` module reports on the same machine.

use minijinja::Value;
use serde_json::Value as Json;

use crate::support::ansible_tasks::ansible_command;
use crate::support::local::local;
use crate::support::repo::TestRepo;

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
    "machine_id",
    "userspace_bits",
    "userspace_architecture",
    "processor",
    "service_mgr",
    "selinux",
    "selinux_python_present",
    "lsb",
    "default_ipv6",
    "all_ipv6_addresses",
    "virtualization_type",
    "virtualization_role",
    "devices",
    "device_links",
];

/// Facts whose value is a set in Ansible (a Python `set` or a directory listing, in no fixed
/// order): compared sorted.
const SAME_AS_SETUP_SORTED: &[&str] = &[
    "virtualization_tech_guest",
    "virtualization_tech_host",
    "interfaces",
];

/// `ansible -m setup localhost -c local`, as JSON facts (keys with the `ansible_` prefix).
fn setup_facts() -> serde_json::Map<String, Json> {
    setup_facts_with("")
}

/// [`setup_facts`] with module arguments (`gather_subset=... filter=...`).
fn setup_facts_with(args: &str) -> serde_json::Map<String, Json> {
    let out = ansible_command("ansible")
        .args([
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-m",
            "setup",
            "-a",
            args,
        ])
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

/// The facts `selection` picks on this machine, over a local connection.
async fn gather(selection: &playhook::facts::Selection) -> Value {
    let mut conn = local().await;
    playhook::facts::gather(&mut conn, &playhook::connection::Via::plain(), selection)
        .await
        .expect("facts are gathered")
}

fn to_json(v: &Value) -> Json {
    serde_json::to_value(v).expect("facts serialize")
}

#[tokio::test]
async fn facts_match_ansible_setup() {
    let facts = gather(&playhook::facts::Selection::all()).await;
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
    for key in SAME_AS_SETUP_SORTED {
        let sorted = |v: Option<&Json>| {
            let mut items: Vec<String> = v
                .and_then(Json::as_array)
                .unwrap_or_else(|| panic!("fact `{key}` is a list"))
                .iter()
                .map(Json::to_string)
                .collect();
            items.sort();
            items
        };
        assert_eq!(
            sorted(ours.get(*key)),
            sorted(theirs.get(&format!("ansible_{key}"))),
            "fact `{key}` differs from ansible's setup"
        );
    }
    compare_mounts(&ours["mounts"], &theirs["ansible_mounts"]);
    compare_python(&ours, &theirs);
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

/// Mounts: the same file systems with the same fixed fields; free space and inode counts move
/// between the two runs, so those are compared within 1% of the total.
fn compare_mounts(ours: &Json, theirs: &Json) {
    let (ours, theirs) = (
        ours.as_array().expect("mounts list"),
        theirs.as_array().expect("mounts list"),
    );
    let names = |m: &[Json]| m.iter().map(|m| m["mount"].to_string()).collect::<Vec<_>>();
    assert_eq!(names(ours), names(theirs), "mounts differ from ansible's setup");
    for (o, t) in ours.iter().zip(theirs) {
        let exact = [
            "mount",
            "device",
            "fstype",
            "options",
            "dump",
            "passno",
            "uuid",
            "block_size",
            "block_total",
            "inode_total",
            "size_total",
        ];
        for key in exact {
            assert_eq!(
                o[key], t[key],
                "mount {}: `{key}` differs from ansible's setup",
                t["mount"]
            );
        }
        for (key, total) in [
            ("size_available", "size_total"),
            ("block_available", "block_total"),
            ("block_used", "block_total"),
            ("inode_available", "inode_total"),
            ("inode_used", "inode_total"),
        ] {
            let n = |m: &Json, k: &str| {
                m[k].as_i64()
                    .unwrap_or_else(|| panic!("mount `{k}` is a number: {m}"))
            };
            let slack = n(t, total) / 100 + 1;
            assert!(
                (n(o, key) - n(t, key)).abs() <= slack,
                "mount {}: `{key}` is {}, ansible's {}",
                t["mount"],
                n(o, key),
                n(t, key)
            );
        }
    }
}

/// `python`: the host's `python3` as playhook finds it, Ansible's interpreter as the test
/// configures it (`ANSIBLE_PYTHON_INTERPRETER`); the facts agree when they are the same program.
fn compare_python(all_ours: &Json, all_theirs: &serde_json::Map<String, Json>) {
    let (ours, theirs) = (&all_ours["python"], &all_theirs["ansible_python"]);
    assert!(ours.is_object(), "python fact missing: this machine has python3");
    if ours["executable"] != theirs["executable"] {
        eprintln!(
            "python: playhook's python3 is {}, ansible's interpreter {}; comparing the shape only",
            ours["executable"], theirs["executable"]
        );
        for key in ["version", "version_info", "type", "has_sslcontext"] {
            assert!(!ours[key].is_null(), "python fact `{key}` missing");
        }
        return;
    }
    assert_eq!(ours, theirs, "python fact differs from ansible's setup");
    assert_eq!(
        all_ours["python_version"], all_theirs["ansible_python_version"],
        "python_version differs from ansible's setup"
    );
}

#[tokio::test]
async fn top_level_aliases_mirror_ansible_facts() {
    let facts = gather(&playhook::facts::Selection::all()).await;
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

/// `gather_subset` and `filter` select the same facts as ansible's `setup` with the same
/// arguments (among the facts playhook gathers).
#[tokio::test]
async fn subsets_and_filters_select_what_setup_selects() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["!all"], &[]),
        (&["!all", "!min", "pkg_mgr"], &[]),
        (&["!all", "network"], &[]),
        (&["!all", "!min", "mounts"], &[]),
        (&["!hardware"], &[]),
        (&["all"], &["ansible_distribution*", "*_mb"]),
    ];
    for (subset, filter) in cases {
        let to_strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let selection = playhook::facts::Selection::parse(&to_strings(subset), &to_strings(filter))
            .expect("valid subset");
        let facts = gather(&selection).await;
        let mut ours: Vec<String> = to_json(&facts)
            .as_object()
            .expect("facts map")
            .keys()
            .cloned()
            .collect();
        ours.sort();
        let mut args = format!("gather_subset={}", subset.join(","));
        if !filter.is_empty() {
            args.push_str(&format!(" filter={}", filter.join(",")));
        }
        let mut theirs: Vec<String> = setup_facts_with(&args)
            .keys()
            .filter_map(|k| k.strip_prefix("ansible_"))
            .filter(|k| playhook::facts::is_fact(k))
            .map(str::to_string)
            .collect();
        theirs.sort();
        assert_eq!(
            ours, theirs,
            "facts selected by `{args}` differ from ansible's setup"
        );
    }
}

/// A play's `gather_subset` gathers only what it names (and `min`), as in Ansible.
#[test]
fn play_gather_subset_limits_the_facts() {
    let repo = TestRepo::local().file(
        "deploy.yaml",
        "- hosts: web\n  gather_facts: true\n  gather_subset: '!all,!min,pkg_mgr'\n  tasks:\n    - debug:\n        \
         msg: \"{{ ansible_pkg_mgr }} {{ ansible_os_family }} {{ ansible_hostname is defined }} {{ ansible_mounts is defined }}\"\n",
    );
    let run = repo.playhook(&["deploy"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert!(
        run.stdout().contains(" False False\""),
        "pkg_mgr and its required distribution facts only:\n{}",
        run.stdout()
    );
}

/// `setup` as a task: the subset it gathers, its registered result (`ansible_`-prefixed facts,
/// `gather_subset`, `module_setup`) and the facts the following tasks see, as Ansible's.
#[test]
fn setup_as_a_task_adds_facts_like_ansible() {
    let repo = crate::support::repo::TestRepo::local().file(
        "deploy.yaml",
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n\
         \x20   - setup:\n        gather_subset: ['!all', 'distribution']\n        filter: ['ansible_distribution*', 'ansible_os_family']\n      register: r\n\
         \x20   - setup:\n        gather_subset: '!all,!min,pkg_mgr'\n      register: r2\n\
         \x20   - copy:\n        dest: \"{{ out }}/facts\"\n        content: |\n\
         \x20         {{ r.ansible_facts | dictsort | map('first') | join(',') }} {{ r.changed }}\n\
         \x20         {{ r2.ansible_facts.gather_subset }} {{ r2.ansible_facts.module_setup }} {{ ansible_pkg_mgr }}\n\
         \x20         {{ ansible_distribution }} {{ ansible_facts.os_family }} {{ ansible_facts.distribution_major_version }}\n\
         \x20         {{ ansible_facts.architecture is defined }} {{ os_family is defined }}\n",
    );
    let both = repo.deploy_beside_ansible();
    both.assert_same_files(&["facts"]);
    let ours = both.ours("facts").unwrap_or_default();
    assert!(ours.contains("ansible_distribution,"), "{ours}");
    both.assert_same_recap("localhost");
}
