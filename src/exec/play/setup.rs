//! What a play does before its first task: `vars_files` per host, then fact gathering.

use std::sync::Arc;

use futures::future::join_all;
use minijinja::Value;

use super::super::Runner;
use super::super::host::HostState;
use super::super::lazy::LazyVars;
use super::super::task::{ItemResult, display};
use super::Hosts;
use crate::connection::ConnectionError;
use crate::facts::FactsError;
use crate::output::{Event, HostStatus};
use crate::repo::playbook::Play;
use crate::repo::task::{Action, MetaAction, Task};

/// Why a host's facts could not be gathered.
#[derive(Debug, thiserror::Error)]
pub(in crate::exec) enum FactsFailure {
    /// The host could not be reached.
    #[error(transparent)]
    Connect(ConnectionError),
    #[error(transparent)]
    Gather(FactsError),
}

impl Runner<'_> {
    pub(in crate::exec) fn load_vars_files(&self, play: &Play, hosts: Hosts<'_, '_>, play_hosts: &[String]) {
        if play.vars_files.is_empty() {
            return;
        }
        for host in hosts.iter_mut() {
            let raw = self.task_vars(play, None, host, play_hosts);
            let lazy = LazyVars::new(raw, Arc::clone(&self.engine));
            let mut merged = crate::value::empty_map();
            for (file, loc) in &play.vars_files {
                let loaded = self
                    .engine
                    .template_value(file, &lazy.context())
                    .map_err(|e| format!("{loc}: vars_files: {e}"))
                    .and_then(|name| {
                        let path = self.playbook.dir.join(display(&name));
                        crate::repo::vars_file::load_vars_file(&path)
                            .map_err(|e| format!("{loc}: vars_files: {e}"))
                    });
                match loaded {
                    Ok(vars) => merged = crate::value::merged(&merged, &vars),
                    Err(msg) => {
                        self.fail_host(host, "vars_files", msg);
                        break;
                    }
                }
            }
            host.play_vars_files = merged;
        }
    }

    pub(in crate::exec) async fn gather_facts(&self, play: &Play, hosts: Hosts<'_, '_>) {
        self.events.send(Event::TaskStart {
            name: "Gathering Facts".to_string(),
            location: play.loc.to_string(),
            handler: false,
        });
        join_all(hosts.iter_mut().filter(|h| h.active()).map(|h| async move {
            let _permit = self.forks.acquire().await;
            let outcome = self.facts_for(play, h).await;
            let host = &mut **h;
            match outcome {
                Ok(facts) => {
                    host.facts = facts;
                    host.counts.ok += 1;
                    self.hostvars.set(&host.name, self.hostvars_entry(host));
                    self.events.send(Event::HostResult {
                        host: host.name.clone(),
                        task: "Gathering Facts".to_string(),
                        status: HostStatus::Ok,
                        item: None,
                        msg: None,
                        diff: Vec::new(),
                        result: None,
                        ignored: false,
                        delegated_to: None,
                    });
                }
                Err(failure) => {
                    let unreachable = matches!(
                        failure,
                        FactsFailure::Connect(
                            ConnectionError::Unreachable { .. } | ConnectionError::Timeout(_)
                        ) | FactsFailure::Gather(FactsError::Connection(_))
                    );
                    let mut r = ItemResult::default();
                    r.result.insert(
                        "msg".to_string(),
                        Value::from(crate::error_chain::render(&failure)),
                    );
                    r.unreachable = unreachable;
                    r.failed = !unreachable;
                    let task = gather_task(play);
                    self.record(play, &task, host, r, false, false, None);
                }
            }
        }))
        .await;
    }

    pub(in crate::exec) async fn facts_for(
        &self,
        play: &Play,
        host: &mut HostState,
    ) -> Result<Value, FactsFailure> {
        let raw = self.task_vars(play, None, host, &[]);
        let ctx = LazyVars::new(raw, Arc::clone(&self.engine)).context();
        let (mut conn, slot) = self
            .take_connection(play, host, &crate::exec::task::Delegation::None, None, &ctx)
            .await
            .map_err(FactsFailure::Connect)?;
        let result = crate::facts::gather(
            conn.as_mut(),
            &crate::connection::Via::plain(),
            &play.gather_subset,
        )
        .await;
        if matches!(slot, crate::exec::task::Slot::Local) {
            host.local = Some(conn);
        } else {
            host.conn = Some(conn);
        }
        result.map_err(FactsFailure::Gather)
    }
}

pub(in crate::exec) fn gather_task(play: &Play) -> Task {
    Task {
        name: Some("Gathering Facts".to_string()),
        loc: play.loc.clone(),
        action: Action::Meta(MetaAction::Noop),
        tags: Vec::new(),
        when: Vec::new(),
        vars: crate::value::empty_map(),
        loop_spec: None,
        register: None,
        notify: Vec::new(),
        connection: None,
        throttle: 0,
        async_secs: 0,
        background: false,
        changed_when: None,
        failed_when: None,
        until: None,
        retries: None,
        delay: None,
        ignore_errors: None,
        no_log: None,
        run_once: false,
        delegate_to: None,
        delegate_facts: false,
        escalate: None,
        become_user: None,
        become_method: None,
        check_mode: None,
        diff: None,
        environment: Vec::new(),
        role: None,
        listen: Vec::new(),
    }
}
