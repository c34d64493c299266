//! Modules about the host as a whole: `setup` (facts as a task), `user` and `group` (local
//! accounts; their shared pieces in `accounts`, `user_query`, `user_plan`), `reboot` and
//! `wait_for_connection`, which close and reopen the host's connection while it goes away and
//! comes back (`ModuleCtx::reconnect`; `retry.rs` is their shared wait loop), `cron` (its
//! crontab model in `crontab`), `hostname`, `getent`
//! (name-service databases as facts), `locale_gen`, `timezone`, `selinux` and `seboolean`
//! (ansible.posix: SELinux state, policy and booleans), and the kernel and login settings of
//! ansible.posix and community.general: `mount` (its fstab edits in `fstab`, the live mounts in
//! `mount_table`, `~` in its paths expanded by `home_paths`), `sysctl`, `modprobe`,
//! `authorized_key`, `pam_limits` and `pamd` (its rule model in `pamd_rules`); and
//! community.crypto's `openssh_keypair` (an SSH key pair made by `ssh-keygen`).

pub mod authorized_key;
pub mod cron;
pub mod getent;
pub mod group;
pub mod hostname;
pub mod locale_gen;
pub mod modprobe;
pub mod mount;
pub mod openssh_keypair;
pub mod pam_limits;
pub mod pamd;
pub mod reboot;
pub mod retry;
pub mod seboolean;
pub mod selinux;
pub mod setup;
pub mod sysctl;
pub mod timezone;
pub mod user;
pub mod wait_for_connection;

mod accounts;
mod authorized_keys;
mod crontab;
mod fstab;
mod home_paths;
mod mount_table;
mod os_error;
mod pamd_rules;
mod user_plan;
mod user_query;
