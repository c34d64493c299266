//! Modules about the host as a whole: `setup` (facts as a task), `user` and `group` (local
//! accounts; their shared pieces in `accounts`, `user_query`, `user_plan`), `reboot` and
//! `wait_for_connection`, which close and reopen the host's connection while it goes away and
//! comes back (`ModuleCtx::reconnect`; `retry.rs` is their shared wait loop), `cron` (its
//! crontab model in `crontab`), `hostname`, `getent`
//! (name-service databases as facts), `locale_gen`, `timezone`, `selinux` and `seboolean`
//! (ansible.posix: SELinux state, policy and booleans),
//! and room for sysctl.

pub mod cron;
pub mod getent;
pub mod group;
pub mod hostname;
pub mod locale_gen;
pub mod reboot;
pub mod retry;
pub mod seboolean;
pub mod selinux;
pub mod setup;
pub mod timezone;
pub mod user;
pub mod wait_for_connection;

mod accounts;
mod crontab;
mod user_plan;
mod user_query;
