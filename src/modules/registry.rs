//! Every module, and the one place where the names tasks use are resolved: short names,
//! aliases (`systemd` = `systemd_service`), and fully qualified names of the collections
//! playhook knows (`ansible.builtin.`, `ansible.legacy.`, `ansible.posix.`,
//! `community.general.`, `community.docker.`).
//!
//! Adding a module: one file in its family folder, and one line in [`all`].

use super::contract::{Collection, Module};
use super::{commands, containers, control, files, net, packages, services, system, vcs};

/// Every module, in the order `playhook check` lists them.
pub fn all() -> &'static [&'static dyn Module] {
    &[
        &commands::command::Command,
        &commands::shell::Shell,
        &commands::raw::Raw,
        &commands::script::Script,
        &files::copy::Copy,
        &files::file::File,
        &files::lineinfile::LineInFile,
        &files::blockinfile::BlockInFile,
        &files::replace::Replace,
        &files::find::Find,
        &files::tempfile::TempFile,
        &files::known_hosts::KnownHosts,
        &files::ini_file::IniFile,
        &files::slurp::Slurp,
        &files::unarchive::Unarchive,
        &files::fetch::Fetch,
        &files::synchronize::Synchronize,
        &files::stat::Stat,
        &files::template::Template,
        &packages::apt::Apt,
        &packages::apt_repository::AptRepository,
        &packages::deb822_repository::Deb822Repository,
        &packages::apt_key::AptKey,
        &packages::dpkg_selections::DpkgSelections,
        &packages::debconf::Debconf,
        &packages::dnf::Dnf,
        &packages::yum_repository::YumRepository,
        &packages::rpm_key::RpmKey,
        &packages::package::Package,
        &packages::package_facts::PackageFacts,
        &packages::pip::Pip,
        &packages::npm::Npm,
        &control::debug::Debug,
        &control::set_fact::SetFact,
        &control::include_vars::IncludeVars,
        &control::assert::Assert,
        &control::fail::Fail,
        &control::add_host::AddHost,
        &control::group_by::GroupBy,
        &control::pause::Pause,
        &control::ping::Ping,
        &control::async_status::AsyncStatus,
        &system::setup::Setup,
        &system::selinux::Selinux,
        &system::seboolean::SeBoolean,
        &services::systemd_service::SystemdService,
        &services::service::Service,
        &services::service_facts::ServiceFacts,
        &services::sysvinit::Sysvinit,
        &system::reboot::Reboot,
        &system::wait_for_connection::WaitForConnection,
        &net::wait_for::WaitFor,
        &net::get_url::GetUrl,
        &net::uri::Uri,
        &net::iptables::Iptables,
        &net::ufw::Ufw,
        &system::user::User,
        &system::group::Group,
        &vcs::git::Git,
        &vcs::git_config::GitConfig,
        &system::cron::Cron,
        &system::hostname::Hostname,
        &system::getent::Getent,
        &system::locale_gen::LocaleGen,
        &system::timezone::Timezone,
        &system::mount::Mount,
        &system::sysctl::Sysctl,
        &system::modprobe::Modprobe,
        &system::authorized_key::AuthorizedKey,
        &system::pam_limits::PamLimits,
        &system::pamd::Pamd,
        &containers::docker_container::DockerContainer,
        &containers::docker_image::DockerImage,
        &containers::docker_network::DockerNetwork,
        &containers::docker_volume::DockerVolume,
        &containers::docker_login::DockerLogin,
        &containers::docker_compose_v2::DockerComposeV2,
    ]
}

/// Task actions the loader and executor handle themselves (not modules), in
/// `ansible.builtin`.
pub const CONTROL_ACTIONS: &[&str] = &[
    "import_tasks",
    "include_tasks",
    "import_role",
    "include_role",
    "meta",
];

/// A name split into its collection (if qualified) and short name.
fn split(name: &str) -> (Option<Collection>, &str) {
    const PREFIXES: &[(&str, Collection)] = &[
        ("ansible.builtin.", Collection::Builtin),
        ("ansible.legacy.", Collection::Builtin),
        ("ansible.posix.", Collection::Posix),
        ("community.general.", Collection::General),
        ("community.docker.", Collection::Docker),
    ];
    for (prefix, collection) in PREFIXES {
        if let Some(short) = name.strip_prefix(prefix) {
            return (Some(*collection), short);
        }
    }
    (None, name)
}

/// The module a task names: its short name or an alias, bare or qualified by its own
/// collection.
pub fn lookup(name: &str) -> Option<&'static dyn Module> {
    let (collection, short) = split(name);
    all().iter().copied().find(|m| {
        let spec = m.spec();
        (spec.name == short || spec.aliases.contains(&short))
            && match collection {
                Some(c) => c == spec.collection,
                None => !spec.fqcn_only,
            }
    })
}

/// The short name of a control action (`ansible.builtin.include_tasks` → `include_tasks`), or
/// `None` when `name` is not one.
pub fn control_action(name: &str) -> Option<&'static str> {
    let (collection, short) = split(name);
    if collection.is_some_and(|c| c != Collection::Builtin) {
        return None;
    }
    CONTROL_ACTIONS.iter().copied().find(|a| *a == short)
}

/// Whether `name` is the ansible-core action `short`, bare or as `ansible.builtin.`/`ansible.legacy.`
/// (`import_playbook`, which is no task action).
pub fn is_builtin(name: &str, short: &str) -> bool {
    let (collection, bare) = split(name);
    bare == short && collection.is_none_or(|c| c == Collection::Builtin)
}

/// Every name a task may use for a module or control action, sorted, for error messages.
pub fn known_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = all()
        .iter()
        .filter(|m| !m.spec().fqcn_only)
        .flat_map(|m| std::iter::once(m.spec().name).chain(m.spec().aliases.iter().copied()))
        .chain(CONTROL_ACTIONS.iter().copied())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_in_one_place() {
        for name in ["copy", "ansible.builtin.copy", "ansible.legacy.copy"] {
            assert_eq!(lookup(name).map(|m| m.name()), Some("copy"), "{name}");
        }
        assert!(lookup("community.general.copy").is_none());
        assert!(lookup("ansible.builtin.nope").is_none());
        for name in [
            "import_tasks",
            "ansible.builtin.import_tasks",
            "ansible.legacy.include_tasks",
        ] {
            assert!(control_action(name).is_some(), "{name}");
        }
        assert!(control_action("community.general.import_tasks").is_none());
    }

    #[test]
    fn docker_modules_resolve_as_ansible_routes_them() {
        for short in [
            "docker_container",
            "docker_image",
            "docker_network",
            "docker_volume",
            "docker_login",
        ] {
            assert_eq!(lookup(short).map(|m| m.name()), Some(short));
            assert_eq!(
                lookup(&format!("community.docker.{short}")).map(|m| m.name()),
                Some(short)
            );
        }
        assert!(lookup("community.docker.docker_compose_v2").is_some());
        assert!(
            lookup("docker_compose_v2").is_none(),
            "ansible-core routes no short name to it"
        );
        assert!(!known_names().contains(&"docker_compose_v2"));
    }

    #[test]
    fn every_name_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for m in all() {
            for name in std::iter::once(m.spec().name).chain(m.spec().aliases.iter().copied()) {
                assert!(seen.insert(name), "{name} is declared twice");
            }
        }
    }
}
