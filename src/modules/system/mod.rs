//! Modules about the host as a whole: `setup` (facts as a task), `user` and `group` (local
//! accounts; their shared pieces in `accounts`, `user_query`, `user_plan`), and room for
//! cron, hostname, sysctl, reboot and friends.

pub mod group;
pub mod setup;
pub mod user;

mod accounts;
mod user_plan;
mod user_query;
