//! Package modules: `apt` and its Debian companions (`apt_repository`, `deb822_repository`,
//! `apt_key`, `dpkg_selections`, `debconf`), `dnf` (alias `yum`) and its RedHat companions
//! (`yum_repository`, `rpm_key`, community.general's `dnf_config_manager`), the generic `package` and `package_facts`, and the language
//! package managers `pip` ([`pip_req`] reads its requirements) and `npm`.
//!
//! [`want`] is what every package manager module shares: the task's packages parsed into
//! [`want::Want`]s, one query of the host ([`want::PackageManager::query`]), a pure
//! [`want::decide`] of what to install or remove, one act step, and check mode stopping after
//! the decision ([`want::converge`]). `apt` plugs `dpkg-query`/`apt-cache policy`
//! ([`apt_query`]) and `apt-get` ([`apt_get`]) into it; `dnf` has its own spec forms and
//! decision ([`dnf_query`], [`dnf_plan`]) over the same [`want::Goal`], with rpm's version
//! order ([`rpm_version`]).

pub mod apt;
pub mod apt_deb;
pub mod apt_get;
pub mod apt_key;
pub mod apt_query;
pub mod apt_repository;
pub mod deb822_repository;
pub mod debconf;
pub mod dnf;
pub mod dnf_config_manager;
pub mod dnf_plan;
pub mod dnf_query;
pub mod dpkg_selections;
pub mod npm;
pub mod package;
pub mod package_facts;
pub mod pgp_key;
pub mod pip;
pub mod pip_req;
pub mod repo_ini;
pub mod rpm_key;
pub mod rpm_version;
pub mod version;
pub mod want;
pub mod yum_repository;
