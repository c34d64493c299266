//! A canary host: the inventory of main sets `playhook_agent_branch: canary` on a group holding
//! one of two real machines; that machine applies the canary branch while the other stays on
//! main, and comes back to main when the variable is removed there.

use super::{Pull, all, install_on, motd, push, status, stop_timer};
use crate::support::machines::Machine;

const PLAY: &str = super::PLAY;

#[test]
fn the_inventory_puts_one_host_on_the_canary_branch_and_the_other_stays_on_main() {
    let p = Pull::start_with(PLAY, 2, true);
    let (m0, m1) = (p.machines.machine(0), p.machines.machine(1));
    let inventory = |canary_vars: &str| {
        format!(
            "all:\n  hosts:\n    {}:\n  children:\n    canary:\n      hosts:\n        {}:\n{canary_vars}",
            m0.name, m1.name
        )
    };
    p.remote.file(
        "inventory.yaml",
        &inventory("      vars:\n        playhook_agent_branch: canary\n"),
    );
    p.remote.commit("m1 is a canary");
    push(&p.remote, &["origin", "main"]);
    // The canary branch sets version 2; main stays at version 1.
    p.remote.git(&["checkout", "-q", "-b", "canary"]);
    let c2 = p.push_version_to(2, "canary");
    p.remote.git(&["checkout", "-q", "main"]);

    for m in [m0, m1] {
        install_on(m, &p.url(), "--interval 1h --splay 0");
        stop_timer(m);
    }
    let run = |m: &Machine| {
        let ran = m.run("playhook agent run");
        assert_eq!(ran.code, 0, "{}: {}", m.name, all(&ran));
        ran
    };
    let ran0 = run(m0);
    let ran1 = run(m1);
    assert_eq!(motd(m0).as_deref(), Some("version 1\n"), "{}", all(&ran0));
    assert_eq!(motd(m1).as_deref(), Some("version 2\n"), "{}", all(&ran1));
    let says = format!(
        "following canary: `playhook_agent_branch: canary` is set for {} in the inventory of main",
        m1.name
    );
    assert!(ran1.stdout.contains(&says), "{}", all(&ran1));
    assert!(!ran0.stdout.contains("following"), "{}", all(&ran0));
    assert_eq!(status(m1)["branch"], "canary");
    assert_eq!(status(m1)["applied"], c2.as_str());
    assert_eq!(status(m0)["branch"], "main");
    let canary_records: Vec<_> = p
        .remote
        .history()
        .into_iter()
        .filter(|r| r["pusher"] == format!("agent@{}", m1.name))
        .collect();
    assert!(
        canary_records
            .iter()
            .any(|r| r["ref"] == "refs/heads/canary" && r["commit"] == c2.as_str()),
        "{canary_records:#?}"
    );

    // A new canary commit reaches the canary only.
    p.remote.git(&["checkout", "-q", "canary"]);
    p.push_version_to(3, "canary");
    run(m0);
    run(m1);
    assert_eq!(motd(m0).as_deref(), Some("version 1\n"));
    assert_eq!(motd(m1).as_deref(), Some("version 3\n"));

    // The canary is merged into main and the variable removed there: both follow main.
    p.remote.git(&["checkout", "-q", "main"]);
    p.remote.git(&["merge", "-q", "--ff-only", "canary"]);
    p.remote.file("inventory.yaml", &inventory(""));
    let merged = p.remote.commit("canary done");
    push(&p.remote, &["origin", "main"]);
    let ran0 = run(m0);
    let ran1 = run(m1);
    assert!(ran1.stdout.contains("fast-forward"), "{}", all(&ran1));
    assert!(!ran1.stdout.contains("following"), "{}", all(&ran1));
    for (m, ran) in [(m0, &ran0), (m1, &ran1)] {
        assert_eq!(motd(m).as_deref(), Some("version 3\n"), "{}", all(ran));
        assert_eq!(status(m)["branch"], "main");
        assert_eq!(status(m)["applied"], merged.as_str());
    }

    // A branch that is not on origin: the pass says where the name came from, applies nothing.
    p.remote.file(
        "inventory.yaml",
        &inventory("      vars:\n        playhook_agent_branch: no-such-branch\n"),
    );
    p.remote.commit("a canary branch nobody pushed");
    push(&p.remote, &["origin", "main"]);
    let ran = m1.run("playhook agent run");
    assert_eq!(ran.code, 1, "{}", all(&ran));
    assert!(
        ran.stdout.contains(&format!(
            "fetch failed, nothing applied: branch no-such-branch (`playhook_agent_branch` of {} in the inventory of main)",
            m1.name
        )),
        "{}",
        all(&ran)
    );
    assert_eq!(status(m1)["applied"], merged.as_str());
}
