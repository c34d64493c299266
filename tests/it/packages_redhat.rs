//! The RedHat-family package modules (`dnf`/`yum`, `yum_repository`, `rpm_key`, `package` on
//! dnf) on real Debian 12 machines that carry Debian's dnf and rpm, with ansible-core (its dnf
//! module on python3-dnf) as the oracle: the same play on two fresh machines must leave the same
//! rpm packages, `.repo` files and imported keys, register the same results, change nothing when
//! run again; `--check --diff` changes nothing; bad input fails clearly.

mod bad_input;
mod oracle;
mod play;
