//! The decision's rules, one scenario each: passes over time and boots, as a host lives them.

use super::*;
use crate::agent::reboot::time::parse_time;
use crate::agent::reboot::window::Window;

const HOUR: i64 = 3600;

fn t(s: &str) -> i64 {
    parse_time(s).expect("a test time")
}

fn at(id: &str, time: &str) -> Request {
    Request {
        id: id.into(),
        hosts: "all".into(),
        when: When::At(t(time)),
        grace: None,
        line: 1,
    }
}

fn after(id: &str, time: &str) -> Request {
    Request {
        when: When::After(t(time)),
        ..at(id, time)
    }
}

/// A host in boot `boot_id`, up since `booted_at`.
fn host(boot_id: &str, booted_at: &str) -> HostFacts {
    HostFacts {
        boot_id: boot_id.into(),
        booted_at: t(booted_at),
        reboot_required: false,
    }
}

/// One pass with the default settings.
fn pass(requests: &[Request], state: &mut RebootState, facts: &HostFacts, now: &str) -> Decision {
    after_pass(&RebootConfig::default(), requests, state, facts, t(now))
}

fn status(state: &RebootState, id: &str) -> Status {
    state.requests.get(id).expect("a record").status
}

#[test]
fn a_due_request_reboots_once_and_is_done_after_the_boot() {
    let reqs = [at("k", "2026-12-05 03:00")];
    let mut state = RebootState::default();
    let d = pass(
        &reqs,
        &mut state,
        &host("b1", "2026-12-01 00:00"),
        "2026-12-05 03:10",
    );
    assert_eq!(d.actions, vec![Action::RebootNow]);
    assert_eq!(
        d.lines,
        vec!["reboot `k` for 2026-12-05 03:00:00 UTC: rebooting now"]
    );
    assert_eq!(status(&state, "k"), Status::Rebooting);
    assert_eq!(state.requests["k"].boot_id, "b1");

    // The next boot: done, never again, whatever the time.
    let booted = host("b2", "2026-12-05 03:11");
    let d = pass(&reqs, &mut state, &booted, "2026-12-05 03:12");
    assert!(d.actions.is_empty(), "{d:?}");
    assert_eq!(
        d.lines,
        vec!["reboot `k` for 2026-12-05 03:00:00 UTC: done (the host rebooted: boot id b1 → b2)"]
    );
    assert_eq!(status(&state, "k"), Status::Done);
    for now in ["2026-12-05 03:20", "2026-12-06 00:00"] {
        let d = pass(&reqs, &mut state, &booted, now);
        assert_eq!(d, Decision::default());
    }
    // Even on a later boot that began before the request's time (a clock gone wrong).
    let d = pass(
        &reqs,
        &mut state,
        &host("b3", "2026-12-05 02:00"),
        "2026-12-05 03:30",
    );
    assert_eq!(d, Decision::default());
}

#[test]
fn a_reboot_that_did_not_happen_is_asked_again_in_the_same_boot() {
    let reqs = [at("k", "2026-12-05 03:00")];
    let mut state = RebootState::default();
    let b1 = host("b1", "2026-12-01 00:00");
    pass(&reqs, &mut state, &b1, "2026-12-05 03:00");
    let d = pass(&reqs, &mut state, &b1, "2026-12-05 05:00");
    assert_eq!(d.actions, vec![Action::RebootNow]);
    assert!(d.lines[0].contains("asked 2h ago"), "{:?}", d.lines);
}

#[test]
fn a_time_long_past_does_not_reboot_unless_the_grace_allows() {
    let mut state = RebootState::default();
    let b1 = host("b1", "2026-12-01 00:00");
    let d = pass(
        &[at("old", "2026-12-05 03:00")],
        &mut state,
        &b1,
        "2026-12-05 04:00:01",
    );
    assert!(d.actions.is_empty());
    assert!(
        d.lines[0].contains("not done, 1h late, more than the grace of 1h"),
        "{:?}",
        d.lines
    );
    assert_eq!(status(&state, "old"), Status::Expired);
    // Expired stays expired: no reboot and no line on later passes.
    assert_eq!(
        pass(
            &[at("old", "2026-12-05 03:00")],
            &mut state,
            &b1,
            "2026-12-05 04:10"
        ),
        Decision::default()
    );

    // Exactly the grace late still reboots; a request's own grace overrides the agent's.
    let mut state = RebootState::default();
    let d = pass(
        &[at("edge", "2026-12-05 03:00")],
        &mut state,
        &b1,
        "2026-12-05 04:00",
    );
    assert!(d.reboots_now());
    let mut long = at("long", "2026-12-01 03:00");
    long.grace = Some(7 * 24 * HOUR);
    let d = pass(&[long], &mut state, &b1, "2026-12-05 04:00");
    assert!(d.reboots_now());
    let config = RebootConfig {
        grace: 10,
        ..RebootConfig::default()
    };
    let d = after_pass(
        &config,
        &[at("short", "2026-12-05 03:00")],
        &mut state,
        &b1,
        t("2026-12-05 03:00:11"),
    );
    assert!(!d.reboots_now());
}

#[test]
fn a_host_booted_after_the_time_has_nothing_to_do() {
    let mut state = RebootState::default();
    let d = pass(
        &[at("k", "2026-12-05 03:00")],
        &mut state,
        &host("new", "2026-12-05 03:05"),
        "2026-12-05 03:06",
    );
    assert!(d.actions.is_empty());
    assert!(
        d.lines[0].contains("nothing to do, the host booted since"),
        "{:?}",
        d.lines
    );
    assert_eq!(status(&state, "k"), Status::Done);
}

#[test]
fn a_future_request_is_scheduled_once_then_done_by_its_timer() {
    let reqs = [at("k", "2026-12-05 03:00")];
    let mut state = RebootState::default();
    let b1 = host("b1", "2026-12-01 00:00");
    let d = pass(&reqs, &mut state, &b1, "2026-12-05 01:00");
    assert_eq!(
        d.actions,
        vec![Action::Schedule {
            unit: "playhook-reboot-request-k".into(),
            at: t("2026-12-05 03:00")
        }]
    );
    assert_eq!(d.pending, Some(t("2026-12-05 03:00")));
    // Later passes of the same boot leave the timer alone and still report it.
    let d = pass(&reqs, &mut state, &b1, "2026-12-05 02:00");
    assert!(d.actions.is_empty());
    assert_eq!(d.pending, Some(t("2026-12-05 03:00")));
    assert_eq!(d.lines, vec!["reboot `k`: scheduled for 2026-12-05 03:00:00 UTC"]);
    // The timer fired: the new boot began after its time.
    let d = pass(
        &reqs,
        &mut state,
        &host("b2", "2026-12-05 03:00:05"),
        "2026-12-05 03:01",
    );
    assert!(d.actions.is_empty());
    assert!(
        d.lines[0].contains("done (the host rebooted at 2026-12-05 03:00:05 UTC)"),
        "{:?}",
        d.lines
    );
    assert_eq!(status(&state, "k"), Status::Done);
}

#[test]
fn an_unrelated_reboot_before_the_time_schedules_again() {
    let reqs = [at("k", "2026-12-05 03:00")];
    let mut state = RebootState::default();
    pass(
        &reqs,
        &mut state,
        &host("b1", "2026-12-01 00:00"),
        "2026-12-05 01:00",
    );
    let d = pass(
        &reqs,
        &mut state,
        &host("b2", "2026-12-05 02:00"),
        "2026-12-05 02:01",
    );
    assert_eq!(
        d.actions,
        vec![Action::Schedule {
            unit: "playhook-reboot-request-k".into(),
            at: t("2026-12-05 03:00")
        }]
    );
    assert_eq!(state.requests["k"].boot_id, "b2");
}

#[test]
fn a_stopped_timer_is_decided_anew() {
    let reqs = [at("k", "2026-12-05 03:00")];
    let mut state = RebootState::default();
    let b1 = host("b1", "2026-12-01 00:00");
    pass(&reqs, &mut state, &b1, "2026-12-05 01:00");
    // Same boot, the time long gone: the timer never fired, and it is too late now.
    let d = pass(&reqs, &mut state, &b1, "2026-12-05 06:00");
    assert!(!d.reboots_now());
    assert_eq!(status(&state, "k"), Status::Expired);
}

#[test]
fn a_new_id_supersedes_and_a_removed_request_is_cancelled() {
    let mut state = RebootState::default();
    let b1 = host("b1", "2026-12-01 00:00");
    pass(
        &[at("k1", "2026-12-05 03:00")],
        &mut state,
        &b1,
        "2026-12-05 01:00",
    );
    let d = pass(
        &[at("k2", "2026-12-05 04:00")],
        &mut state,
        &b1,
        "2026-12-05 01:05",
    );
    assert_eq!(
        d.actions,
        vec![
            Action::Cancel {
                unit: "playhook-reboot-request-k1".into()
            },
            Action::Schedule {
                unit: "playhook-reboot-request-k2".into(),
                at: t("2026-12-05 04:00")
            }
        ]
    );
    assert_eq!(status(&state, "k1"), Status::Cancelled);
    assert_eq!(d.pending, Some(t("2026-12-05 04:00")));
    let d = pass(&[], &mut state, &b1, "2026-12-05 01:10");
    assert_eq!(
        d.actions,
        vec![Action::Cancel {
            unit: "playhook-reboot-request-k2".into()
        }]
    );
    // Nothing left to cancel.
    assert_eq!(
        pass(&[], &mut state, &b1, "2026-12-05 01:15"),
        Decision::default()
    );
}

#[test]
fn a_new_time_under_the_same_id_is_a_new_request() {
    let mut state = RebootState::default();
    let b1 = host("b1", "2026-12-01 00:00");
    let d = pass(
        &[at("k", "2026-12-05 03:00")],
        &mut state,
        &b1,
        "2026-12-05 03:00",
    );
    assert!(d.reboots_now());
    let b2 = host("b2", "2026-12-05 03:01");
    pass(
        &[at("k", "2026-12-05 03:00")],
        &mut state,
        &b2,
        "2026-12-05 03:02",
    );
    assert_eq!(status(&state, "k"), Status::Done);
    // Done; the same id with a new time reboots again (once).
    let d = pass(
        &[at("k", "2026-12-06 03:00")],
        &mut state,
        &b2,
        "2026-12-06 03:00",
    );
    assert!(d.reboots_now());
    assert_eq!(state.requests["k"].time, t("2026-12-06 03:00"));
    // Moving a scheduled time replaces its timer.
    let mut state = RebootState::default();
    pass(
        &[at("k", "2026-12-07 03:00")],
        &mut state,
        &b2,
        "2026-12-06 04:00",
    );
    let d = pass(
        &[at("k", "2026-12-07 05:00")],
        &mut state,
        &b2,
        "2026-12-06 04:05",
    );
    let unit = "playhook-reboot-request-k".to_string();
    assert_eq!(
        d.actions,
        vec![
            Action::Cancel { unit: unit.clone() },
            Action::Schedule {
                unit,
                at: t("2026-12-07 05:00")
            }
        ]
    );
}

#[test]
fn several_due_requests_make_one_reboot() {
    let mut state = RebootState::default();
    let reqs = [at("a", "2026-12-05 03:00"), at("b", "2026-12-05 03:01")];
    let d = pass(
        &reqs,
        &mut state,
        &host("b1", "2026-12-01 00:00"),
        "2026-12-05 03:02",
    );
    assert_eq!(d.actions, vec![Action::RebootNow]);
    assert_eq!(d.lines.len(), 2);
    let d = pass(
        &reqs,
        &mut state,
        &host("b2", "2026-12-05 03:03"),
        "2026-12-05 03:04",
    );
    assert!(d.actions.is_empty());
    assert_eq!(
        (status(&state, "a"), status(&state, "b")),
        (Status::Done, Status::Done)
    );
}

#[test]
fn after_requests_wait_for_the_window_and_never_expire() {
    let config = RebootConfig {
        window: Window::parse("02:00-04:00", &[]).ok(),
        ..RebootConfig::default()
    };
    let b1 = host("b1", "2026-11-01 00:00");
    let mut state = RebootState::default();
    // Outside the window: the next opening.
    let d = after_pass(
        &config,
        &[after("a", "2026-12-05 00:00")],
        &mut state,
        &b1,
        t("2026-12-05 12:00"),
    );
    assert_eq!(
        d.actions,
        vec![Action::Schedule {
            unit: "playhook-reboot-request-a".into(),
            at: t("2026-12-06 02:00")
        }]
    );
    // Weeks late, inside the window: now.
    let mut state = RebootState::default();
    let d = after_pass(
        &config,
        &[after("a", "2026-11-05 00:00")],
        &mut state,
        &b1,
        t("2026-12-05 03:00"),
    );
    assert_eq!(d.actions, vec![Action::RebootNow]);
    // Without a window: the time itself, or now when it passed.
    let mut state = RebootState::default();
    let d = pass(
        &[after("a", "2026-11-05 00:00")],
        &mut state,
        &b1,
        "2026-12-05 12:00",
    );
    assert_eq!(d.actions, vec![Action::RebootNow]);
}

#[test]
fn reboot_required_waits_for_the_window_and_never_loops() {
    let config = RebootConfig {
        when_required: true,
        window: Window::parse("02:00-04:00", &[]).ok(),
        ..RebootConfig::default()
    };
    let mut b1 = host("b1", "2026-12-01 00:00");
    b1.reboot_required = true;
    let mut state = RebootState::default();
    let d = after_pass(&config, &[], &mut state, &b1, t("2026-12-05 12:00"));
    assert_eq!(
        d.actions,
        vec![Action::Schedule {
            unit: REQUIRED_UNIT.into(),
            at: t("2026-12-06 02:00")
        }]
    );
    assert!(
        after_pass(&config, &[], &mut state, &b1, t("2026-12-05 12:05"))
            .actions
            .is_empty()
    );
    // The timer fired; the file is there again after the boot: no second reboot that day.
    let mut b2 = host("b2", "2026-12-06 02:00:03");
    b2.reboot_required = true;
    let d = after_pass(&config, &[], &mut state, &b2, t("2026-12-06 02:05"));
    assert!(d.actions.is_empty());
    assert!(
        d.lines[0].contains("not rebooting again before 2026-12-07 02:00:00 UTC"),
        "{:?}",
        d.lines
    );
    // A day later, inside the window: once more.
    let d = after_pass(&config, &[], &mut state, &b2, t("2026-12-07 02:30"));
    assert_eq!(d.actions, vec![Action::RebootNow]);

    // The file went away before the window: the timer is removed.
    let mut state = RebootState::default();
    after_pass(&config, &[], &mut state, &b1, t("2026-12-05 12:00"));
    b1.reboot_required = false;
    let d = after_pass(&config, &[], &mut state, &b1, t("2026-12-05 13:00"));
    assert_eq!(
        d.actions,
        vec![Action::Cancel {
            unit: REQUIRED_UNIT.into()
        }]
    );
    assert_eq!(state.required, None);
    // Not enabled: the file alone does nothing.
    b1.reboot_required = true;
    let d = pass(&[], &mut RebootState::default(), &b1, "2026-12-05 03:00");
    assert_eq!(d, Decision::default());
}
