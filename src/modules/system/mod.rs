//! Modules about the host as a whole: `setup` (facts as a task), and room for users, groups,
//! cron, hostname, sysctl, reboot and friends.

pub mod setup;
