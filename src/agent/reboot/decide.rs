//! The decision, pure: given the requests for this host, the settings, what the state remembers,
//! the host's boot and the time, what to do and what to report. No clock, no file, no command.
//!
//! The rules, per request (id and time):
//! - done or expired before: nothing, ever again;
//! - asked to reboot now in an earlier boot (the boot id changed): done;
//! - scheduled in an earlier boot: done when that boot began at or after the time the timer was
//!   to fire; otherwise the timer died with an unrelated reboot, and the request is decided anew;
//! - new: done already when the host booted at or after the requested time; scheduled when its
//!   time is ahead; rebooted now when its time passed within the grace (`after`: always);
//!   expired when later than that.
//!
//! Records of requests gone from the repository (or no longer for this host, or whose time
//! changed) are cancelled, their timer removed. `/run/reboot-required` reboots (when enabled)
//! wait for the maintenance window and happen at most once in [`REQUIRED_MIN_INTERVAL`].

use super::config::RebootConfig;
use super::request::{Request, When};
use super::state::{Entry, RebootState, Required, Status};
use super::time::{format_duration, format_utc};

/// A boot that began this long before a timer's time still counts as the timer's reboot
/// (clocks and the measure of a boot's start are not exact).
const BOOT_SLACK: i64 = 60;
/// A timer this late in the boot it was set in has failed (stopped by hand): decide anew.
const TIMER_LATE: i64 = 600;
/// The least time between two `/run/reboot-required` reboots: a file that comes back after the
/// reboot must not reboot the host in a loop.
pub const REQUIRED_MIN_INTERVAL: i64 = 86_400;
/// The timer of the `/run/reboot-required` reboot.
pub const REQUIRED_UNIT: &str = "playhook-reboot-required";

/// What the agent knows about the running host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostFacts {
    /// `/proc/sys/kernel/random/boot_id`: new on every boot.
    pub boot_id: String,
    /// When this boot began (Unix seconds).
    pub booted_at: i64,
    /// Whether `/run/reboot-required` exists.
    pub reboot_required: bool,
}

/// One thing to do on the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A timer `unit` reboots the host at `at` (Unix seconds); replaces a timer of that name.
    Schedule { unit: String, at: i64 },
    /// Remove the timer `unit`.
    Cancel { unit: String },
    /// Reboot now (after the pass's reports are out).
    RebootNow,
}

/// What to do, and a line for each request worth reporting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    pub actions: Vec<Action>,
    /// For the pass's log, one per request that was acted on or is pending.
    pub lines: Vec<String>,
    /// The earliest scheduled reboot, if any (for `agent status`).
    pub pending: Option<i64>,
}

impl Decision {
    /// Whether the host reboots now.
    pub fn reboots_now(&self) -> bool {
        self.actions.contains(&Action::RebootNow)
    }

    fn schedule(&mut self, unit: String, at: i64) {
        self.pending = Some(self.pending.map_or(at, |p| p.min(at)));
        self.actions.push(Action::Schedule { unit, at });
    }

    fn reboot_now(&mut self) {
        if !self.reboots_now() {
            self.actions.push(Action::RebootNow);
        }
    }
}

/// The timer unit of request `id` (ids are checked to be valid in unit names).
pub fn unit_for(id: &str) -> String {
    format!("playhook-reboot-request-{id}")
}

/// Decides, and updates `state` to what will be true once the actions ran.
pub fn after_pass(
    config: &RebootConfig,
    requests: &[Request],
    state: &mut RebootState,
    facts: &HostFacts,
    now: i64,
) -> Decision {
    let mut d = Decision::default();
    cancel_withdrawn(requests, state, facts, now, &mut d);
    for r in requests {
        let entry = decide_request(config, r, state.requests.get(&r.id), facts, now, &mut d);
        if let Some(entry) = entry {
            state.requests.insert(r.id.clone(), entry);
        }
    }
    decide_required(config, state, facts, now, &mut d);
    d
}

/// Records of requests no longer asked for: cancelled (their timer removed when it still runs).
fn cancel_withdrawn(
    requests: &[Request],
    state: &mut RebootState,
    facts: &HostFacts,
    now: i64,
    d: &mut Decision,
) {
    for (id, e) in &mut state.requests {
        let asked = requests.iter().any(|r| &r.id == id && r.when.time() == e.time);
        if asked {
            continue;
        }
        let this_boot = e.boot_id == facts.boot_id;
        match e.status {
            Status::Scheduled => {
                if this_boot {
                    d.actions.push(Action::Cancel { unit: unit_for(id) });
                    d.lines.push(format!(
                        "reboot `{id}` for {}: cancelled, no longer requested for this host",
                        format_utc(e.time)
                    ));
                }
                *e = Entry {
                    status: Status::Cancelled,
                    boot_id: facts.boot_id.clone(),
                    since: now,
                    fire: None,
                    ..e.clone()
                };
            }
            // Asked for and then withdrawn: the reboot happened all the same once the boot changed.
            Status::Rebooting if !this_boot => {
                e.status = Status::Done;
                e.boot_id = facts.boot_id.clone();
                e.since = now;
            }
            _ => {}
        }
    }
}

/// The new record of request `r`, if it changes; pushes actions and lines onto `d`.
fn decide_request(
    config: &RebootConfig,
    r: &Request,
    known: Option<&Entry>,
    facts: &HostFacts,
    now: i64,
    d: &mut Decision,
) -> Option<Entry> {
    let time = r.when.time();
    let id = &r.id;
    let entry = |status, fire| Entry {
        time,
        status,
        boot_id: facts.boot_id.clone(),
        since: now,
        fire,
    };
    // A record for another time of the same id is another request: decided anew.
    if let Some(e) = known.filter(|e| e.time == time) {
        let this_boot = e.boot_id == facts.boot_id;
        match e.status {
            Status::Done | Status::Expired => return None,
            Status::Rebooting if !this_boot => {
                d.lines.push(format!(
                    "reboot `{id}` for {}: done (the host rebooted: boot id {} → {})",
                    format_utc(time),
                    short(&e.boot_id),
                    short(&facts.boot_id)
                ));
                return Some(entry(Status::Done, None));
            }
            Status::Rebooting => {
                d.lines.push(format!(
                    "reboot `{id}` for {}: asked {} ago and the host has not rebooted yet; asking again",
                    format_utc(time),
                    format_duration(now - e.since)
                ));
                d.reboot_now();
                return None;
            }
            Status::Scheduled => {
                let fire = e.fire.unwrap_or(time);
                if !this_boot && facts.booted_at + BOOT_SLACK >= fire {
                    d.lines.push(format!(
                        "reboot `{id}` for {}: done (the host rebooted at {})",
                        format_utc(time),
                        format_utc(facts.booted_at)
                    ));
                    return Some(entry(Status::Done, None));
                }
                if this_boot && now < fire + TIMER_LATE {
                    d.pending = Some(d.pending.map_or(fire, |p| p.min(fire)));
                    d.lines
                        .push(format!("reboot `{id}`: scheduled for {}", format_utc(fire)));
                    return None;
                }
                // The timer died with an earlier reboot, or was stopped: decide anew.
            }
            Status::Cancelled => {}
        }
    }
    if facts.booted_at >= time {
        d.lines.push(format!(
            "reboot `{id}` for {}: nothing to do, the host booted since (at {})",
            format_utc(time),
            format_utc(facts.booted_at)
        ));
        return Some(entry(Status::Done, None));
    }
    let fire = match (r.when, &config.window) {
        (When::At(t), _) => t,
        (When::After(t), Some(w)) => match w.next_open(t.max(now)) {
            Some(open) => open,
            None => {
                d.lines
                    .push(format!("reboot `{id}`: the maintenance window never opens"));
                return None;
            }
        },
        (When::After(t), None) => t.max(now),
    };
    if fire > now {
        d.schedule(unit_for(id), fire);
        d.lines
            .push(format!("reboot `{id}`: scheduled for {}", format_utc(fire)));
        return Some(entry(Status::Scheduled, Some(fire)));
    }
    let late = now - fire;
    let grace = r.grace.unwrap_or(config.grace);
    if matches!(r.when, When::At(_)) && late > grace {
        d.lines.push(format!(
            "reboot `{id}` for {}: not done, {} late, more than the grace of {} (give the request a \
             `grace:` or a new time to have it done)",
            format_utc(time),
            format_duration(late),
            format_duration(grace)
        ));
        return Some(entry(Status::Expired, None));
    }
    d.lines
        .push(format!("reboot `{id}` for {}: rebooting now", format_utc(time)));
    d.reboot_now();
    Some(entry(Status::Rebooting, None))
}

/// The `/run/reboot-required` reboot; see the module docs.
fn decide_required(
    config: &RebootConfig,
    state: &mut RebootState,
    facts: &HostFacts,
    now: i64,
    d: &mut Decision,
) {
    let wanted = config.when_required && facts.reboot_required;
    if let Some(req) = &state.required {
        let this_boot = req.boot_id == facts.boot_id;
        match (this_boot, req.status, wanted) {
            (true, Status::Scheduled, false) => {
                d.actions.push(Action::Cancel {
                    unit: REQUIRED_UNIT.into(),
                });
                d.lines
                    .push("reboot for /run/reboot-required: cancelled, no longer required".into());
                state.required = None;
                return;
            }
            (true, Status::Scheduled, true) => {
                let fire = req.fire.unwrap_or(now);
                d.pending = Some(d.pending.map_or(fire, |p| p.min(fire)));
                d.lines.push(format!(
                    "reboot for /run/reboot-required: scheduled for {}",
                    format_utc(fire)
                ));
                return;
            }
            (true, _, true) => {
                d.lines.push(
                    "reboot for /run/reboot-required: the host has not rebooted yet; asking again".into(),
                );
                d.reboot_now();
                return;
            }
            (false, _, true) if now - req.fire.unwrap_or(req.since) < REQUIRED_MIN_INTERVAL => {
                let at = req.fire.unwrap_or(req.since);
                d.lines.push(format!(
                    "reboot for /run/reboot-required: still required after the reboot at {}; not \
                     rebooting again before {}",
                    format_utc(at),
                    format_utc(at + REQUIRED_MIN_INTERVAL)
                ));
                return;
            }
            (false, _, false) => {
                state.required = None;
                return;
            }
            _ => {}
        }
    }
    if !wanted {
        return;
    }
    let fire = config.window.as_ref().map_or(Some(now), |w| w.next_open(now));
    let Some(fire) = fire else {
        d.lines
            .push("reboot for /run/reboot-required: the maintenance window never opens".into());
        return;
    };
    let (status, fire) = if fire > now {
        d.schedule(REQUIRED_UNIT.into(), fire);
        d.lines.push(format!(
            "reboot for /run/reboot-required: scheduled for {}",
            format_utc(fire)
        ));
        (Status::Scheduled, Some(fire))
    } else {
        d.lines
            .push("reboot for /run/reboot-required: rebooting now".into());
        d.reboot_now();
        (Status::Rebooting, None)
    };
    state.required = Some(Required {
        status,
        boot_id: facts.boot_id.clone(),
        since: now,
        fire,
    });
}

/// The first 8 characters of a boot id, for messages.
fn short(boot_id: &str) -> &str {
    boot_id.get(..8).unwrap_or(boot_id)
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
