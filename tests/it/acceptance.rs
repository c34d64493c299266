//! The acceptance set (issue 12): public Ansible roles and site repositories, copied unchanged
//! into `tests/fixtures/acceptance/<name>/` (each with its licence and a `SOURCE` file naming the
//! repository, commit and what was copied; a role gets a wrapper `deploy.yml`, `hosts` and
//! `ansible.cfg`; a site gets the galaxy roles and collections its `requirements.yml` names,
//! where `ansible-galaxy install` puts them, and the setup its README asks for), each run through
//! `playhook check`. [`TABLE`] says what each must give:
//! accepted, or the first blocker's message (a substring of the `error:` line, its path
//! relative to the fixture).
//!
//! The table is meant to go stale: when a module, filter or keyword a repository needs lands,
//! that repository's row fails here with what `check` says now. Then run
//!
//! ```text
//! PLAYHOOK_ACCEPTANCE_PRINT=1 cargo test --test it acceptance -- --nocapture
//! ```
//!
//! which prints the actual rows, for [`TABLE`] and for README's "Acceptance set" table (with
//! `ansible-playbook --syntax-check`'s verdict beside them), paste them, and commit.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::ansible_tasks::ansible_command;

/// What `playhook check` gives for a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// `ok (N plays, ...)`: accepted unchanged.
    Accepted,
    /// Refused; the text is found in the `error:` line (paths relative to the fixture).
    Blocked(&'static str),
}

use Outcome::{Accepted, Blocked};

/// One repository of the set.
struct Case {
    /// Its folder under `tests/fixtures/acceptance/`.
    name: &'static str,
    /// The playbook (`--playbook`), when not `deploy.yml`.
    playbook: Option<&'static str>,
    /// The inventory (`-i`), when not the one `ansible.cfg` names.
    inventory: Option<&'static str>,
    expect: Outcome,
}

const fn role(name: &'static str, expect: Outcome) -> Case {
    Case {
        name,
        playbook: None,
        inventory: None,
        expect,
    }
}

const fn site(
    name: &'static str,
    playbook: &'static str,
    inventory: Option<&'static str>,
    expect: Outcome,
) -> Case {
    Case {
        name,
        playbook: Some(playbook),
        inventory,
        expect,
    }
}

/// The expected outcome of each repository (see the module docs to update it).
const TABLE: &[Case] = &[
    role("geerlingguy-apache", Accepted),
    role(
        "geerlingguy-certbot",
        Blocked("tasks/install-with-snap.yml:28: `snap` is neither a supported module"),
    ),
    role("geerlingguy-docker", Accepted),
    role("geerlingguy-firewall", Accepted),
    role("geerlingguy-git", Accepted),
    role("geerlingguy-java", Accepted),
    role(
        "geerlingguy-mysql",
        Blocked("tasks/secure-installation.yml:3: `mysql_user` is neither a supported module"),
    ),
    role("geerlingguy-nginx", Accepted),
    role("geerlingguy-nodejs", Accepted),
    role("geerlingguy-ntp", Accepted),
    role("geerlingguy-php", Accepted),
    role("geerlingguy-pip", Accepted),
    role("geerlingguy-security", Accepted),
    role("devsec-os-hardening", Accepted),
    role(
        "devsec-ssh-hardening",
        Blocked("tasks/selinux.yml:8: `community.general.seport` is neither a supported module"),
    ),
    site(
        "internet-pi",
        "main.yml",
        None,
        Blocked("main.yml:21: `community.general.pacman` is neither a supported module"),
    ),
    site(
        "sovereign",
        "site.yml",
        None,
        Blocked("roles/common/tasks/postgres.yml:15: `postgresql_user` is neither a supported module"),
    ),
    site(
        "ansible-examples-lamp-simple",
        "site.yml",
        None,
        Blocked("roles/web/tasks/main.yml:2: `include` is neither a supported module"),
    ),
    site(
        "ansible-for-devops-lamp-infrastructure",
        "configure.yml",
        Some("inventories/vagrant/inventory"),
        Blocked(
            "./roles/geerlingguy.mysql/tasks/secure-installation.yml:3: `mysql_user` is neither a supported module",
        ),
    ),
    site(
        "ansible-for-devops-security",
        "main.yml",
        Some("hosts"),
        Blocked("main.yml:12: `seport` is neither a supported module"),
    ),
    site(
        "ansible-nas",
        "nas.yml",
        Some("inventories/sample/inventory"),
        Blocked("roles/airsonic/tasks/main.yml:25: module `docker_container` does not take `memory`"),
    ),
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acceptance")
}

/// Runs `playhook check` on a case: `Ok` when it accepts the repository, else its `error:`
/// line with the fixture's path taken out.
fn check(case: &Case, home: &Path) -> Result<(), String> {
    let dir = fixtures().join(case.name);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_playhook"));
    cmd.arg("check").arg("-C").arg(&dir);
    if let Some(playbook) = case.playbook {
        cmd.args(["--playbook", playbook]);
    }
    if let Some(inventory) = case.inventory {
        cmd.args(["-i", inventory]);
    }
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home);
    let out = cmd.output().expect("run playhook check");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .replace(&format!("{}/", dir.display()), "")
    .replace(&dir.display().to_string(), ".");
    if out.status.success() {
        assert!(
            all.contains(": ok ("),
            "{}: accepted without its summary:\n{all}",
            case.name
        );
        return Ok(());
    }
    let line = all
        .lines()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or_else(|| panic!("{}: refused without an `error:` line:\n{all}", case.name))
        .to_string();
    Err(line)
}

/// Where a case comes from, from its `SOURCE` file: the repository's URL, or the folder's at the
/// commit copied.
fn source_url(case: &Case) -> String {
    let source = std::fs::read_to_string(fixtures().join(case.name).join("SOURCE")).unwrap_or_default();
    let field = |name: &str| {
        source
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_default()
            .to_string()
    };
    match field("path: ").as_str() {
        "/" | "" => field("url: "),
        path => format!("{}/tree/{}/{path}", field("url: "), field("commit: ")),
    }
}

/// `ansible-playbook --syntax-check`'s verdict, for the printed README table.
fn ansible_syntax(case: &Case) -> String {
    let dir = fixtures().join(case.name);
    let mut cmd = ansible_command("ansible-playbook");
    cmd.arg("--syntax-check")
        .arg(case.playbook.unwrap_or("deploy.yml"))
        .current_dir(&dir);
    if let Some(inventory) = case.inventory {
        cmd.args(["-i", inventory]);
    }
    let out = cmd.output().expect("run ansible-playbook");
    if out.status.success() {
        return "accepted".into();
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let first = text
        .lines()
        .find(|l| l.starts_with("ERROR!") || l.starts_with("[ERROR]"))
        .unwrap_or("refused");
    format!("refused: {}", first.replace(&format!("{}/", dir.display()), ""))
}

#[test]
fn the_acceptance_set_gives_the_outcomes_its_table_records() {
    let print = std::env::var_os("PLAYHOOK_ACCEPTANCE_PRINT").is_some();
    let home = tempfile::tempdir().expect("a temp HOME");
    assert!(TABLE.len() >= 15, "the set has at least 15 repositories");
    let mut wrong = Vec::new();
    let (mut rows, mut readme) = (String::new(), String::new());
    for case in TABLE {
        assert!(
            fixtures().join(case.name).join("SOURCE").is_file(),
            "{}: no SOURCE file",
            case.name
        );
        let outcome = check(case, home.path());
        let matches = match (&case.expect, &outcome) {
            (Accepted, Ok(())) => true,
            (Blocked(want), Err(line)) => line.contains(want),
            _ => false,
        };
        if !matches {
            wrong.push(format!(
                "{}: expected {:?}, `playhook check` says: {}",
                case.name,
                case.expect,
                outcome.as_ref().err().map_or("ok", |l| l.as_str())
            ));
        }
        if print {
            let (verdict, blocker) = match &outcome {
                Ok(()) => ("accepted", "—".to_string()),
                Err(line) => {
                    let short = line.split("; supported").next().unwrap_or(line);
                    ("blocked", format!("`{}`", short.replace('`', "'")))
                }
            };
            let expect = match &outcome {
                Ok(()) => "Accepted".to_string(),
                Err(line) => format!("Blocked({line:?})"),
            };
            rows.push_str(&format!("    {}: {expect}\n", case.name));
            readme.push_str(&format!(
                "| [{}]({}) | {verdict} | {blocker} | {} |\n",
                case.name,
                source_url(case),
                ansible_syntax(case)
            ));
        }
    }
    if print {
        println!("TABLE rows:\n{rows}\nREADME rows:\n{readme}");
    }
    assert!(
        wrong.is_empty(),
        "the acceptance set changed; update TABLE and README (see this file's docs):\n{}",
        wrong.join("\n")
    );
}
