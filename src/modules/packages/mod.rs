//! Package modules: `apt` and its Debian companions (`apt_repository`, `deb822_repository`,
//! `apt_key`, `dpkg_selections`, `debconf`), the generic `package` and `package_facts`.
//!
//! [`want`] is what every package manager module shares: the task's packages parsed into
//! [`want::Want`]s, one query of the host ([`want::PackageManager::query`]), a pure
//! [`want::decide`] of what to install or remove, one act step, and check mode stopping after
//! the decision ([`want::converge`]). `apt` plugs `dpkg-query`/`apt-cache policy`
//! ([`apt_query`]) and `apt-get` ([`apt_get`]) into it; `dnf` is meant to plug in `rpm -q` and
//! `dnf` the same way, with rpm's version order instead of [`version::compare`].

pub mod apt;
pub mod apt_deb;
pub mod apt_get;
pub mod apt_key;
pub mod apt_query;
pub mod apt_repository;
pub mod deb822_repository;
pub mod debconf;
pub mod dpkg_selections;
pub mod package;
pub mod package_facts;
pub mod version;
pub mod want;
