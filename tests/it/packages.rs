//! The package modules on real Debian 12 machines (`support/machines.rs`), with ansible-core
//! as the oracle: the same play applied by ansible-playbook to one fresh machine and by
//! `playhook deploy` to another must leave the same packages, sources, keyrings, selections
//! and debconf answers, register the same results, and change nothing when run again.

mod bad_input;
mod oracle;
mod play;
