//! Network modules: `wait_for` (ports and files on the target, read with `sh` and `/proc`),
//! `get_url` and `uri` (HTTP requests made on the target with curl or wget, [`http`]);
//! the firewall modules `iptables` (its rule words in [`iptables_rule`]) and
//! `community.general.ufw`.

pub mod get_url;
pub mod http;
pub mod iptables;
pub mod iptables_rule;
pub mod tcp;
pub mod ufw;
pub mod uri;
pub mod wait_for;
