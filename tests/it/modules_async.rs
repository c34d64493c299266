//! Background jobs (`async` with `poll: 0`) and `async_status` against ansible-core on twin
//! Debian machines: a long shell job started in the background while other tasks run, the
//! connection reset while it runs (the job survives), `async_status` polled with
//! `until: job.finished`; a job killed at its `async` limit (`Timeout exceeded`); a failing
//! command fed on stdin; `mode: cleanup` then `could not find job`. Compared: the recaps, what the
//! jobs left on the machines, and every registered result key by key (job ids, paths, times and
//! attempts by type only). Check mode on a third machine: same recap, nothing run.

use crate::support::machines::Machine;
use crate::support::oracle::{Differential, Rule, Site};

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - shell: "sleep 4; echo out; echo err >&2; echo done > /root/job-done"
      async: 60
      poll: 0
      register: job
    - command: echo meanwhile
      register: meanwhile
    - stat: {path: /root/job-done}
      register: early
    - meta: reset_connection
    - async_status: {jid: "{{ job.ansible_job_id }}"}
      register: status
      until: status.finished
      retries: 30
      delay: 1
    - command: sleep 30
      async: 3
      poll: 0
      register: slow
    - async_status: {jid: "{{ slow.ansible_job_id }}"}
      register: slow_status
      until: slow_status.finished
      retries: 30
      delay: 1
      ignore_errors: true
    - command: cat
      args: {stdin: fed}
      async: 20
      poll: 0
      register: fed
    - shell: "cat >/dev/null; echo failing >&2; exit 3"
      async: 20
      poll: 0
      register: failing
    - async_status: {jid: "{{ fed.ansible_job_id }}"}
      register: fed_status
      until: fed_status.finished
      retries: 20
      delay: 1
    - async_status: {jid: "{{ failing.ansible_job_id }}"}
      register: failing_status
      until: failing_status.finished
      retries: 20
      delay: 1
      ignore_errors: true
    - async_status: {jid: "{{ job.ansible_job_id }}", mode: cleanup}
      register: cleaned
    - async_status: {jid: "{{ job.ansible_job_id }}"}
      register: gone
      ignore_errors: true
    - copy:
        dest: /root/results.json
        content: "{{ {'job': job, 'meanwhile': meanwhile, 'early': early.stat.exists,
                      'status': status, 'slow': slow, 'slow_status': slow_status,
                      'fed': fed_status, 'failing': failing_status,
                      'cleaned': cleaned, 'gone': gone} | to_nice_json }}"
      when: dump | default(false) | bool
"#;

/// What the jobs did: the file the long job writes. (Both tools keep job status files in check
/// mode too, so those are compared on their own, after the applying runs.)
fn state(m: &Machine) -> String {
    m.ok("cat /root/job-done 2>&1 || true")
}

fn rule(site: &Site) -> Rule {
    match site.key {
        "ansible_job_id" | "results_file" | "erased" | "start" | "end" | "delta" | "attempts" => Rule::Type,
        "child_pid" => Rule::Integer,
        "exception" | "invocation" | "_ansible_no_log" => Rule::Skip,
        _ => Rule::Equal,
    }
}

#[test]
fn background_jobs_run_detached_and_async_status_reports_them_as_ansible() {
    let trial = Differential {
        check: &["--check"],
        rule: Some(rule),
        ..Differential::new("modules_async", PLAY, state)
    }
    .start();
    trial.run_check();
    let theirs_before = state(trial.checked());
    assert!(theirs_before.contains("No such file"), "{theirs_before}");
    let ours = trial.run_apply().ours;
    assert_eq!(state(trial.ours()), state(trial.theirs()), "end state");
    let jobs = |m: &Machine| m.ok("ls /root/.ansible_async | grep -c '^j[0-9]*\\.[0-9]*$'");
    assert_eq!(jobs(trial.ours()), jobs(trial.theirs()), "status files kept");
    // The job ran while the other tasks did, and past the connection's reset.
    assert_eq!(ours["early"], serde_json::json!(false), "{ours}");
    assert_eq!(ours["status"]["stdout"], "out", "{ours}");
    assert_eq!(ours["slow_status"]["msg"], "Timeout exceeded", "{ours}");
    assert_eq!(ours["failing"]["rc"], 3, "{ours}");
    // The slow job's whole session was killed at its limit.
    let left = trial.ours().ok(
        "for p in /proc/[0-9]*; do tr '\\0' ' ' <$p/cmdline 2>/dev/null; echo; done | grep -c '^sleep 30' || true",
    );
    assert_eq!(left.trim(), "0", "the timed-out job still runs");
}
