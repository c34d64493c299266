//! The command line of the system `ssh` for one host, built from its [`Target`].
//!
//! Options are "first value wins" in ssh, on the command line as in config files, so the order is
//! the policy: what playhook needs to work comes first and cannot be overridden (master mode,
//! batch mode), then the host's own inventory settings (port, user, key, connect timeout), then
//! the user's `ssh_args` / `ansible_ssh_common_args` verbatim, then defaults the user may override
//! there (strict host key checking, keep-alives). Everything else (`~/.ssh/config`, `-F`,
//! ProxyJump, agents) is ssh's own business.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use super::super::Target;

/// How long the master stays up without clients: covers the moment between authentication and
/// the shell's start, and bounds how long a master outlives a controller that was killed.
const CONTROL_PERSIST_SECS: u32 = 60;

/// The connect timeout when the target leaves it unset (zero).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Options for the connection itself and the destination, shared by the master, `ssh -G` and the
/// host key probe: everything but how the master runs.
pub(crate) fn connection_args(target: &Target) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    if target.password.is_some() {
        // Batch mode disables password authentication; the password is asked for once (a wrong
        // one is not retried, as Ansible does not, so an account is not locked).
        opt(&mut args, "BatchMode=no".into());
        opt(&mut args, "NumberOfPasswordPrompts=1".into());
    } else {
        opt(&mut args, "BatchMode=yes".into());
    }
    if target.skip_host_key_checking {
        opt(&mut args, "StrictHostKeyChecking=no".into());
    } else if target.accept_new_host_keys {
        opt(&mut args, "StrictHostKeyChecking=accept-new".into());
    }
    let secs = connect_timeout(target).as_secs().max(1);
    opt(&mut args, format!("ConnectTimeout={secs}"));
    if let Some(port) = target.port {
        opt(&mut args, format!("Port={port}"));
    }
    if let Some(user) = &target.user {
        args.push("-l".into());
        args.push(user.into());
    }
    if let Some(key) = &target.private_key_file {
        args.push("-i".into());
        args.push(key.into());
    }
    args.extend(target.ssh_args.iter().map(OsString::from));
    opt(&mut args, "StrictHostKeyChecking=yes".into());
    opt(
        &mut args,
        format!("ServerAliveInterval={}", keepalive(connect_timeout(target))),
    );
    opt(&mut args, "ServerAliveCountMax=3".into());
    args.push("--".into());
    args.push(target.address.clone().into());
    args
}

/// The full command line of the master connection: authenticates once, then forks into the
/// background (`-f -N`) and serves every later session through the control socket `control`.
pub(crate) fn master_args(target: &Target, control: &Path, log: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "-E".into(),
        log.into(),
        "-S".into(),
        control.into(),
        "-M".into(),
        "-f".into(),
        "-N".into(),
        "-o".into(),
        format!("ControlPersist={CONTROL_PERSIST_SECS}").into(),
    ];
    args.extend(connection_args(target));
    args
}

/// The target's connect timeout; zero (unset) means ssh's usual 10 seconds for playhook.
pub(crate) fn connect_timeout(target: &Target) -> Duration {
    if target.connect_timeout.is_zero() {
        DEFAULT_CONNECT_TIMEOUT
    } else {
        target.connect_timeout
    }
}

fn opt(args: &mut Vec<OsString>, option: String) {
    args.push("-o".into());
    args.push(option.into());
}

/// Seconds between keep-alive probes: a dead peer is noticed after three missed probes.
fn keepalive(connect_timeout: Duration) -> u64 {
    connect_timeout.as_secs().clamp(5, 30)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            name: "web1".into(),
            address: "10.0.0.5".into(),
            port: Some(2222),
            user: Some("deploy".into()),
            private_key_file: Some("~/.ssh/id_deploy".into()),
            ssh_args: vec![
                "-F".into(),
                "/etc/deploy/ssh_config".into(),
                "-o".into(),
                "Compression=yes".into(),
            ],
            connect_timeout: Duration::from_secs(10),
            ..Target::default()
        }
    }

    fn strings(args: Vec<OsString>) -> Vec<String> {
        args.into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn inventory_settings_come_before_user_args_and_defaults_after() {
        let args = strings(connection_args(&target()));
        let pos = |s: &str| {
            args.iter()
                .position(|a| a == s)
                .unwrap_or_else(|| panic!("{s} in {args:?}"))
        };
        assert!(pos("Port=2222") < pos("-F"));
        assert!(pos("BatchMode=yes") < pos("-F"));
        assert!(pos("-F") < pos("StrictHostKeyChecking=yes"));
        assert_eq!(args[pos("-l") + 1], "deploy");
        assert_eq!(args[pos("-i") + 1], "~/.ssh/id_deploy");
        assert_eq!(&args[args.len() - 2..], ["--", "10.0.0.5"]);
    }

    #[test]
    fn host_key_options_come_first_when_asked_for() {
        let mut t = target();
        t.accept_new_host_keys = true;
        let args = strings(connection_args(&t));
        let accept = args.iter().position(|a| a == "StrictHostKeyChecking=accept-new");
        let strict = args.iter().position(|a| a == "StrictHostKeyChecking=yes");
        assert!(accept < strict, "{args:?}");
        t.skip_host_key_checking = true;
        let args = strings(connection_args(&t));
        let no = args.iter().position(|a| a == "StrictHostKeyChecking=no");
        let strict = args.iter().position(|a| a == "StrictHostKeyChecking=yes");
        assert!(no < strict, "{args:?}");
    }

    #[test]
    fn a_password_turns_batch_mode_off_and_asks_once() {
        let mut t = target();
        t.password = Some(crate::secrets::SecretString::new("pw".into()));
        let args = strings(connection_args(&t));
        assert_eq!(
            args[..4],
            ["-o", "BatchMode=no", "-o", "NumberOfPasswordPrompts=1"]
        );
        assert!(!args.iter().any(|a| a.contains("pw") && a != "-o"), "{args:?}");
    }

    #[test]
    fn master_runs_in_the_background_on_a_control_socket() {
        let args = strings(master_args(
            &target(),
            Path::new("/tmp/x/ctl"),
            Path::new("/tmp/x/log"),
        ));
        assert_eq!(
            args[..7],
            ["-E", "/tmp/x/log", "-S", "/tmp/x/ctl", "-M", "-f", "-N"]
        );
        assert!(args.contains(&"ControlPersist=60".to_string()));
    }

    #[test]
    fn absent_settings_are_left_to_ssh_config() {
        let t = Target {
            address: "web1".into(),
            connect_timeout: Duration::from_secs(10),
            ..Target::default()
        };
        let args = strings(connection_args(&t));
        assert!(
            !args
                .iter()
                .any(|a| a == "-l" || a == "-i" || a.starts_with("Port=")),
            "{args:?}"
        );
    }
}
