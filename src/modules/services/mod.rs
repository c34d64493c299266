//! Service modules: `systemd_service` (alias `systemd`), `service` (dispatching on the
//! service manager), `service_facts`, `sysvinit` (`/etc/init.d` scripts and their runlevel links); `steps.rs` runs several `systemctl` questions in one round
//! trip and `systemctl.rs` holds what they share about systemctl.

pub mod service;
pub mod service_facts;
pub mod steps;
pub mod systemctl;
pub mod systemd_service;
pub mod sysvinit;
