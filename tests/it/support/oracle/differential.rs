//! The standard differential run on three fresh machines (`theirs`, `ours`, `checked`): the
//! play in check mode on `checked` by playhook and by ansible-playbook (same recap, the state
//! unchanged), then applied with `-e dump=true` by ansible-playbook to `theirs` and by playhook
//! to `ours` (same recap, same state, the dumped registered results compared key by key), then
//! re-run on both (nothing changed, the state still the same).

use serde_json::Value as Json;

use super::super::machines::{Machine, Machines};
use super::super::repo::{Run, TestRepo};
use super::{
    Rule, Site, ansible_playbook, ansible_recap, assert_same_results, machines_repo, playhook_deploy,
    playhook_recap, read_json, skipping,
};

/// Where a play dumps its registered results when run with `-e dump=true`.
pub const RESULTS: &str = "/root/results.json";

/// One play and how to compare its two applications; [`Differential::start`] boots the machines.
pub struct Differential {
    /// Names the comparison in [`assert_same_results`]' messages.
    pub label: &'static str,
    /// The play, as `deploy.yaml` of the repository.
    pub play: String,
    /// What the play changes on a machine, as text compared between machines and runs.
    pub state: fn(&Machine) -> String,
    /// Keys of the registered results not compared (see [`skipping`]).
    pub skipped: &'static [&'static str],
    /// How the results are compared, when the test needs more than `skipped` (then `skipped`
    /// is not used).
    pub rule: Option<fn(&Site) -> Rule>,
    /// The check-mode arguments, `--check` with or without `--diff`.
    pub check: &'static [&'static str],
    /// A machine's dumped results, as compared; [`dumped`] unless a test makes them neutral.
    pub results: fn(&Machine) -> Json,
    /// Boots the machines with a network namespace each
    /// ([`Machines::start_with_private_network`]): for firewall tests.
    pub private_network: bool,
}

/// The registered results a play dumped to [`RESULTS`].
pub fn dumped(m: &Machine) -> Json {
    read_json(m, RESULTS)
}

impl Differential {
    /// A differential run of `play` compared by `state`, `--check --diff`, results read whole.
    pub fn new(label: &'static str, play: impl Into<String>, state: fn(&Machine) -> String) -> Differential {
        Differential {
            label,
            play: play.into(),
            state,
            skipped: &["invocation", "_ansible_no_log"],
            rule: None,
            check: &["--check", "--diff"],
            results: dumped,
            private_network: false,
        }
    }

    /// Boots the three machines and writes the repository; nothing runs yet.
    pub fn start(self) -> Trial {
        let machines = if self.private_network {
            Machines::start_with_private_network(3)
        } else {
            Machines::start(3)
        };
        let repo = machines_repo(&machines).file("deploy.yaml", &self.play);
        Trial {
            plan: self,
            machines,
            repo,
        }
    }
}

/// A [`Differential`] with its machines and repository, to prepare before [`Trial::run`].
pub struct Trial {
    pub plan: Differential,
    pub machines: Machines,
    pub repo: TestRepo,
}

/// What a [`Trial::run`] leaves for a test's own assertions.
pub struct Outcome {
    pub theirs: Json,
    pub ours: Json,
    /// playhook's first (dumping) run on `ours`.
    pub ours_run: Run,
}

impl Trial {
    /// Ansible's machine.
    pub fn theirs(&self) -> &Machine {
        self.machines.machine(0)
    }

    /// playhook's machine.
    pub fn ours(&self) -> &Machine {
        self.machines.machine(1)
    }

    /// The machine of the check-mode runs.
    pub fn checked(&self) -> &Machine {
        self.machines.machine(2)
    }

    /// Runs the shell `script` on every machine; it must succeed.
    pub fn prepare(&self, script: &str) {
        for m in self.machines.machines() {
            m.ok(script);
        }
    }

    fn ansible(&self, m: &Machine, args: &[&str]) -> String {
        let mut all = vec!["-l", m.name.as_str()];
        all.extend_from_slice(args);
        ansible_playbook(&self.repo, &self.machines, "deploy.yaml", &all)
    }

    fn playhook(&self, m: &Machine, args: &[&str]) -> Run {
        let mut all = vec!["-l", m.name.as_str()];
        all.extend_from_slice(args);
        playhook_deploy(&self.repo, &all)
    }

    /// The check-mode runs on `checked`: both leave its state as it was and count alike.
    pub fn run_check(&self) {
        let (state, checked) = (self.plan.state, self.checked());
        let before = state(checked);
        let check = self.playhook(checked, self.plan.check);
        assert_eq!(
            state(checked),
            before,
            "playhook's check mode changed {}",
            checked.name
        );
        let ansible_check = self.ansible(checked, self.plan.check);
        assert_eq!(
            state(checked),
            before,
            "ansible's check mode changed {}",
            checked.name
        );
        assert_eq!(
            playhook_recap(&check, &checked.name),
            ansible_recap(&ansible_check, &checked.name),
            "check-mode recaps differ:\n{}\n{ansible_check}",
            check.stdout()
        );
    }

    /// The applying runs on the twins: same recap, same state, same dumped results.
    pub fn run_apply(&self) -> Outcome {
        let (theirs, ours, state) = (self.theirs(), self.ours(), self.plan.state);
        let theirs_run = self.ansible(theirs, &["-e", "dump=true"]);
        let ours_run = self.playhook(ours, &["-e", "dump=true"]);
        assert_eq!(
            playhook_recap(&ours_run, &ours.name),
            ansible_recap(&theirs_run, &theirs.name),
            "recaps differ:\n{theirs_run}\n{}",
            ours_run.stdout()
        );
        assert_eq!(state(ours), state(theirs), "end state");
        let outcome = Outcome {
            theirs: (self.plan.results)(theirs),
            ours: (self.plan.results)(ours),
            ours_run,
        };
        match self.plan.rule {
            Some(rule) => assert_same_results(self.plan.label, &outcome.theirs, &outcome.ours, &rule),
            None => assert_same_results(
                self.plan.label,
                &outcome.theirs,
                &outcome.ours,
                &skipping(self.plan.skipped),
            ),
        }
        outcome
    }

    /// The re-runs on the twins change nothing, and their states stay alike.
    pub fn run_again(&self) {
        let (theirs, ours, state) = (self.theirs(), self.ours(), self.plan.state);
        let theirs_again = self.ansible(theirs, &[]);
        assert!(
            ansible_recap(&theirs_again, &theirs.name).contains("changed=0"),
            "{theirs_again}"
        );
        let ours_again = self.playhook(ours, &[]);
        assert_eq!(
            ours_again.recap(&ours.name)["changed"],
            0,
            "{}",
            ours_again.stdout()
        );
        assert_eq!(state(ours), state(theirs), "end state after the re-runs");
    }

    /// The whole flow: [`Trial::run_check`], [`Trial::run_apply`], [`Trial::run_again`].
    pub fn run(&self) -> Outcome {
        self.run_check();
        let outcome = self.run_apply();
        self.run_again();
        outcome
    }
}
