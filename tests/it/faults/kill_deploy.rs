//! `playhook deploy` SIGKILLed at random points of a write-heavy run: afterwards every managed
//! file on every host holds its old or its new content, byte for byte; the next run converges,
//! removes nothing it should keep and leaves no temp file; the run after it changes nothing.
//!
//! The kill points are drawn from the measured duration of an undisturbed run, with a seed
//! printed for reproducibility (`PLAYHOOK_FAULT_SEED=N` replays one).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use super::{fleet_repo, recap, show, wait_quiet, write_temps};
use crate::support::fleet::Fleet;
use crate::support::repo::{Run, TestRepo};

const HOSTS: usize = 2;
const FILES: usize = 24;
const KILLS: usize = 50;

const PLAYBOOK: &str = r#"- hosts: fleet
  tasks:
    - name: the app directory
      file: path=/srv/app state=directory mode=0755
    - name: many files
      copy: src=files/f{{ item }} dest=/srv/app/f{{ item }} mode=0640
      loop: "{{ range(0, 24) | list }}"
    - name: one rendered file
      template: src=big.j2 dest=/srv/app/big.conf
"#;

/// Writes generation `gen` of the repository's files: each file's bytes depend on the
/// generation, the file and the seed; sizes vary from 1 to about 64 KiB.
fn write_generation(repo: &TestRepo, seed: u64, generation: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ generation.wrapping_mul(0x9e37_79b9));
    let dir = repo.path().join("files");
    std::fs::create_dir_all(&dir).expect("mkdir files");
    for i in 0..FILES {
        let len = rng.random_range(1..65_536);
        let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        std::fs::write(dir.join(format!("f{i}")), bytes).expect("write a repo file");
    }
    let lines: String = (0..2_000)
        .map(|i| format!("line {i} of generation {generation} on {{{{ inventory_hostname }}}}\n"))
        .collect();
    std::fs::write(repo.path().join("templates/big.j2"), lines).expect("write the template");
}

/// What generation `gen` puts in `/srv/app` of `host`.
fn expected(repo: &TestRepo, host: &str) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for i in 0..FILES {
        let name = format!("f{i}");
        out.insert(
            name.clone(),
            std::fs::read(repo.path().join("files").join(&name)).expect("read a repo file"),
        );
    }
    let template = std::fs::read_to_string(repo.path().join("templates/big.j2")).expect("template");
    out.insert(
        "big.conf".into(),
        template.replace("{{ inventory_hostname }}", host).into_bytes(),
    );
    out
}

/// The managed files of one host's `/srv/app` (absent ones are missing from the map).
fn on_host(app: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for i in 0..FILES {
        let name = format!("f{i}");
        if let Ok(bytes) = std::fs::read(app.join(&name)) {
            out.insert(name, bytes);
        }
    }
    if let Ok(bytes) = std::fs::read(app.join("big.conf")) {
        out.insert("big.conf".into(), bytes);
    }
    out
}

/// `playhook deploy --json` on `repo` with `tmp` as its TMPDIR.
fn command(repo: &TestRepo, tmp: &Path) -> std::process::Command {
    let mut cmd = repo.command(&["deploy", "--json", "--color", "never"]);
    cmd.env("TMPDIR", tmp);
    cmd
}

fn deploy(repo: &TestRepo, tmp: &Path) -> Run {
    Run(command(repo, tmp).output().expect("run playhook deploy"))
}

/// What is left in the controller's TMPDIR.
fn leftovers(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .expect("reading TMPDIR")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_deploy_killed_at_random_points_leaves_old_or_new_files_and_a_rerun_converges() {
    let seed = std::env::var("PLAYHOOK_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    println!("kill_deploy seed: {seed} (replay with PLAYHOOK_FAULT_SEED={seed})");
    let fleet = Fleet::start(HOSTS);
    let repo = fleet_repo(&fleet, PLAYBOOK);
    let tmp_dir = tempfile::tempdir().expect("a TMPDIR");
    let tmp = tmp_dir.path();
    std::fs::create_dir_all(repo.path().join("templates")).expect("mkdir templates");
    write_generation(&repo, seed, 0);

    // The undisturbed run: its duration bounds the kill points.
    let started = Instant::now();
    let first = deploy(&repo, tmp);
    let undisturbed = started.elapsed();
    assert_eq!(first.code(), 0, "{}", show(&first));
    println!("undisturbed run: {undisturbed:?}");

    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut before: Vec<BTreeMap<String, Vec<u8>>> = fleet
        .hosts()
        .iter()
        .map(|h| on_host(&h.srv().join("app")))
        .collect();
    let mut temps_left = 0;
    let mut dirs_seen = 0;
    for generation in 1..=KILLS as u64 {
        write_generation(&repo, seed, generation);
        let delay = Duration::from_micros(rng.random_range(0..undisturbed.as_micros() as u64));
        let mut child = command(&repo, tmp)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start playhook deploy");
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        for (i, host) in fleet.hosts().iter().enumerate() {
            // What the killed run had sent still completes on the host; then the shell ends.
            wait_quiet(host);
            let new = expected(&repo, &host.name);
            let now = on_host(&host.srv().join("app"));
            for (name, bytes) in &now {
                assert!(
                    before[i].get(name) == Some(bytes) || new.get(name) == Some(bytes),
                    "seed {seed}, kill {generation} after {delay:?}: {}:/srv/app/{name} is neither \
                     the old nor the new content ({} bytes)",
                    host.name,
                    bytes.len()
                );
            }
            for name in before[i].keys() {
                assert!(
                    now.contains_key(name),
                    "seed {seed}, kill {generation}: {}:/srv/app/{name} disappeared",
                    host.name
                );
            }
            temps_left += write_temps(&host.srv()).len();
            dirs_seen = dirs_seen.max(leftovers(tmp).len());
            before[i] = now;
        }
    }
    println!(
        "{KILLS} kills; temp files seen right after a kill: {temps_left}; most controller temp \
         dirs seen at once after a kill: {dirs_seen}"
    );

    let rerun = deploy(&repo, tmp);
    assert_eq!(rerun.code(), 0, "the re-run converges:\n{}", show(&rerun));
    for host in fleet.hosts() {
        assert_eq!(
            on_host(&host.srv().join("app")),
            expected(&repo, &host.name),
            "{} holds the last generation",
            host.name
        );
        let temps = write_temps(&host.srv());
        assert!(temps.is_empty(), "temp files left after the re-run: {temps:?}");
    }
    let again = deploy(&repo, tmp);
    assert_eq!(again.code(), 0, "{}", show(&again));
    assert!(
        leftovers(tmp).is_empty(),
        "the killed runs' ssh session dirs are removed by the next run: {:?}",
        leftovers(tmp)
    );
    for (host, [_, changed, unreachable, failed]) in recap(&again) {
        assert_eq!(
            (changed, unreachable, failed),
            (0, 0, 0),
            "{host}: the second re-run changes nothing\n{}",
            show(&again)
        );
    }
}
