//! `ansible.posix.synchronize`: rsync run on the controller, as ansible.posix's action plugin
//! and module do it together: the controller side of the copy is a path on the controller
//! (relative ones found in `files/` as the action finds them), the host side is
//! `user@address:path`, `mode: pull` swaps them, `become` with sudo becomes `--rsync-path='sudo
//! -u USER rsync'` (`root` unless set), `changed` comes from `--itemize-changes`
//! lines marked by `--out-format`, check mode is `--dry-run` and the diff is rsync's list.
//!
//! The transfer runs over the host's own connection: rsync's remote shell is `ssh -S` on the
//! connection's control socket, so it reaches the host exactly as every other task does (port,
//! user, key, ssh_config, ProxyJump, known_hosts, password login — already logged in, no second
//! authentication). `private_key`, `verify_host`, `use_ssh_args` and
//! `ssh_connection_multiplexing` only shape how Ansible opens its second ssh session, which
//! playhook does not open; `dest_port` other than the connection's port is refused (it would
//! reach another server). On a `local` connection both sides are paths of this machine and rsync
//! runs through the host's shell, with the task's become, as Ansible runs its module there.

use std::path::Path;
use std::process::Stdio;

use async_trait::async_trait;
use serde::Deserialize;

use super::rsync_cmd::{self, RsyncArgs, RsyncCommand};
use crate::connection::quote::quote;
use crate::connection::{BecomeMethod, RemoteShell};
use minijinja::Value;

use crate::modules::params::map_value;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Synchronize;

#[derive(Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Push,
    Pull,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    src: Option<String>,
    dest: Option<String>,
    dest_port: Option<i64>,
    mode: Option<Mode>,
    archive: Option<bool>,
    checksum: Option<bool>,
    compress: Option<bool>,
    existing_only: Option<bool>,
    delete: Option<bool>,
    dirs: Option<bool>,
    recursive: Option<bool>,
    links: Option<bool>,
    copy_links: Option<bool>,
    perms: Option<bool>,
    times: Option<bool>,
    owner: Option<bool>,
    group: Option<bool>,
    rsync_path: Option<String>,
    rsync_timeout: Option<i64>,
    set_remote_user: Option<bool>,
    /// Shapes only Ansible's second ssh session (see the module docs).
    #[serde(rename = "ssh_connection_multiplexing")]
    _ssh_connection_multiplexing: Option<bool>,
    rsync_opts: Option<Vec<String>>,
    partial: Option<bool>,
    /// Shapes only Ansible's second ssh session (see the module docs).
    #[serde(rename = "verify_host")]
    _verify_host: Option<bool>,
    /// Shapes only Ansible's second ssh session (see the module docs).
    #[serde(rename = "private_key")]
    _private_key: Option<String>,
    link_dest: Option<Vec<String>>,
    delay_updates: Option<bool>,
    /// Shapes only Ansible's second ssh session (see the module docs).
    #[serde(rename = "use_ssh_args")]
    _use_ssh_args: Option<bool>,
}

/// Where the controller looks for `rsync` and `ssh`: a standard `PATH`, as Ansible's
/// `get_bin_path` searches it with the sbin directories.
const BIN_DIRS: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

#[async_trait]
impl TypedModule for Synchronize {
    type Params = Params;

    const SPEC: Spec = Spec::host("synchronize")
        .collection(Collection::Posix)
        .no_remote_delegation();

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let (Some(src), Some(dest)) = (p.src.clone(), p.dest.clone()) else {
            return Err(ModuleError::failed(
                "synchronize requires both src and dest parameters are set",
            ));
        };
        if ctx.delegated {
            return Err(ModuleError::failed(
                "synchronize with delegate_to is not supported: playhook runs rsync on the controller and \
                 reaches this host over its own connection (a push or pull between the controller and the \
                 host); rsync between two remote hosts (delegate_to another host) is not implemented; remove \
                 delegate_to",
            ));
        }
        let shell = ctx.conn.remote_shell();
        let mut args = options(&p, ctx.check);
        args.rsync = match ctx
            .vars
            .get_attr("ansible_rsync_path")
            .ok()
            .filter(|v| !v.is_none() && !v.is_undefined())
        {
            Some(v) => v.to_string(),
            None => "rsync".into(),
        };
        let link_dest = !args.link_dest.is_empty();
        match shell {
            RemoteShell::Unsupported => Err(ModuleError::failed(
                "synchronize uses rsync to function. rsync needs to connect to the remote host via ssh \
                 or a direct filesystem copy; this host's connection offers neither",
            )),
            RemoteShell::Local => {
                // The host is this machine: its rsync is found as the controller's.
                args.rsync = bin_path(&args.rsync)?;
                args.src = controller_path(ctx, &src);
                args.dest = controller_path(ctx, &dest);
                args.rsync_path = p.rsync_path.clone();
                let cmd = rsync_cmd::build(&args).map_err(ModuleError::failed)?;
                let script = cmd.argv.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
                let out = ctx.run(script).await?;
                finish(ctx, &cmd, out.rc, &out.stdout, &out.stderr, link_dest)
            }
            RemoteShell::Ssh {
                control,
                address,
                user,
                port,
            } => {
                if let Some(wanted) = p.dest_port
                    && wanted != i64::from(port.unwrap_or(22))
                {
                    return Err(ModuleError::failed(format!(
                        "dest_port {wanted} differs from the port of this host's connection ({}): playhook's rsync \
                         goes over that connection; set ansible_port for the host instead",
                        port.unwrap_or(22)
                    )));
                }
                args.rsync = bin_path(&args.rsync)?;
                let user = match p.set_remote_user.unwrap_or(true) {
                    true => user,
                    false => None,
                };
                let local_side = match p.mode.unwrap_or_default() {
                    Mode::Push => &src,
                    Mode::Pull => &dest,
                };
                let local_side = controller_path(ctx, local_side);
                let remote_side = match p.mode.unwrap_or_default() {
                    Mode::Push => &dest,
                    Mode::Pull => &src,
                };
                let remote_side = rsh_target(&address, remote_side, user.as_deref());
                (args.src, args.dest) = match p.mode.unwrap_or_default() {
                    Mode::Push => (local_side, remote_side),
                    Mode::Pull => (remote_side, local_side),
                };
                args.rsync_path = rsync_path(ctx, p.rsync_path.clone())?;
                if !rsync_cmd::has_rsh(&args.rsync_opts) {
                    args.rsh = Some(vec![
                        bin_path("ssh")?,
                        "-S".into(),
                        control.display().to_string(),
                        "-o".into(),
                        "ControlMaster=no".into(),
                    ]);
                }
                let cmd = rsync_cmd::build(&args).map_err(ModuleError::failed)?;
                let out = run_on_controller(&cmd, ctx.via.timeout).await?;
                finish(ctx, &cmd, out.rc, &out.stdout, &out.stderr, link_dest)
            }
        }
    }
}

/// The rsync options of the parameters, with the module's defaults.
fn options(p: &Params, check: bool) -> RsyncArgs {
    RsyncArgs {
        delay_updates: p.delay_updates.unwrap_or(true),
        compress: p.compress.unwrap_or(true),
        timeout: p.rsync_timeout.unwrap_or(0),
        dry_run: check,
        delete: p.delete.unwrap_or(false),
        existing_only: p.existing_only.unwrap_or(false),
        checksum: p.checksum.unwrap_or(false),
        copy_links: p.copy_links.unwrap_or(false),
        archive: p.archive.unwrap_or(true),
        recursive: p.recursive,
        links: p.links,
        perms: p.perms,
        times: p.times,
        owner: p.owner,
        group: p.group,
        dirs: p.dirs.unwrap_or(false),
        rsync_opts: p.rsync_opts.clone().unwrap_or_default(),
        partial: p.partial.unwrap_or(false),
        link_dest: p.link_dest.clone().unwrap_or_default(),
        ..RsyncArgs::default()
    }
}

/// `--rsync-path`: the task's, else `sudo -u USER rsync` when the task becomes a user with sudo
/// (as the action plugin writes it; the become user is `root` unless set); a sudo password cannot be typed into rsync's session.
fn rsync_path(ctx: &ModuleCtx<'_>, given: Option<String>) -> Result<Option<String>, ModuleError> {
    if given.is_some() {
        return Ok(given);
    }
    let Some(privilege) = &ctx.via.privilege else {
        return Ok(None);
    };
    if privilege.method != BecomeMethod::Sudo {
        return Ok(None);
    }
    if privilege.password.is_some() {
        return Err(ModuleError::failed(
            "synchronize with become runs `sudo rsync` on the host, which cannot ask for the become \
             password: allow the user passwordless sudo for rsync, or set rsync_path",
        ));
    }
    Ok(Some(format!("sudo -u {} rsync", privilege.user)))
}

/// A controller path as the action plugin makes it absolute: kept when it names a host (`:`)
/// or is absolute, else found under `files/` like `copy`'s `src` (the playbook directory when
/// missing), with its trailing `/` kept (it means "the contents of").
fn controller_path(ctx: &ModuleCtx<'_>, path: &str) -> String {
    if path.contains(':') || path.starts_with('/') {
        return path.to_string();
    }
    let found = ctx
        .find_source("files", path)
        .unwrap_or_else(|_| ctx.playbook_dir.join(path));
    let mut shown = found.display().to_string();
    if path.ends_with('/') && !shown.ends_with('/') {
        shown.push('/');
    }
    shown
}

/// `user@host:path` (`[user@host]:path` for IPv6), as the action plugin formats it.
fn rsh_target(host: &str, path: &str, user: Option<&str>) -> String {
    if path.starts_with("rsync://") {
        return path.to_string();
    }
    let prefix = user.map(|u| format!("{u}@")).unwrap_or_default();
    if host.contains(':') {
        format!("[{prefix}{host}]:{path}")
    } else if !path.contains(':') {
        format!("{prefix}{host}:{path}")
    } else if !path.contains('@') {
        format!("{prefix}{path}")
    } else {
        path.to_string()
    }
}

/// The program's path on the controller, as `get_bin_path` finds it.
fn bin_path(program: &str) -> Result<String, ModuleError> {
    if program.contains('/') {
        return Ok(program.to_string());
    }
    BIN_DIRS
        .iter()
        .map(|d| Path::new(d).join(program))
        .find(|p| p.is_file())
        .map(|p| p.display().to_string())
        .ok_or_else(|| {
            ModuleError::failed(format!(
                "synchronize needs `{program}` on the controller (this machine) and found it in none of {}: \
                 install it (Debian: apt-get install {})",
                BIN_DIRS.join(":"),
                if program == "ssh" {
                    "openssh-client"
                } else {
                    program
                }
            ))
        })
}

/// What rsync said.
struct Ran {
    rc: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs rsync here, within the task's time limit.
async fn run_on_controller(
    cmd: &RsyncCommand,
    limit: Option<std::time::Duration>,
) -> Result<Ran, ModuleError> {
    let Some((program, rest)) = cmd.argv.split_first() else {
        return Err(ModuleError::failed(
            "synchronize built an empty command (a bug in playhook)",
        ));
    };
    let child = tokio::process::Command::new(program)
        .args(rest)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = match limit {
        Some(limit) => match tokio::time::timeout(limit, child).await {
            Ok(out) => out,
            Err(_) => return Err(crate::connection::ConnectionError::Timeout(limit).into()),
        },
        None => child.await,
    }
    .map_err(|e| ModuleError::failed(format!("cannot run `{program}` on the controller: {e}")))?;
    Ok(Ran {
        rc: output.status.code().unwrap_or(-1),
        stdout: output.stdout,
        stderr: output.stderr,
    })
}

/// The result: a failure with rsync's stderr, or `changed`, `msg`, `rc`, `cmd`, `stdout_lines`
/// and the prepared diff.
fn finish(
    ctx: &ModuleCtx<'_>,
    cmd: &RsyncCommand,
    rc: i32,
    stdout: &[u8],
    stderr: &[u8],
    link_dest: bool,
) -> Result<Outcome, ModuleError> {
    if rc != 0 {
        // Ansible 2.19 registers a placeholder traceback with a module's failure.
        return Err(ModuleError::failed(String::from_utf8_lossy(stderr).into_owned())
            .with("exception", "(traceback unavailable)")
            .with("rc", rc)
            .with("cmd", cmd.text.as_str()));
    }
    let (changed, msg, lines) = rsync_cmd::read_output(&String::from_utf8_lossy(stdout), link_dest);
    let mut outcome = Outcome::changed(changed)
        .with("msg", msg.as_str())
        .with("rc", rc)
        .with("cmd", cmd.text.as_str())
        .with("stdout_lines", lines);
    if ctx.diff {
        // Registered as the module returns it, only in diff mode: one dict.
        outcome = outcome.with("diff", map_value([("prepared", Value::from(msg))]));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_targets_are_formatted_as_ansible_does() {
        assert_eq!(rsh_target("10.0.0.5", "/srv", Some("root")), "root@10.0.0.5:/srv");
        assert_eq!(rsh_target("10.0.0.5", "/srv", None), "10.0.0.5:/srv");
        assert_eq!(rsh_target("fe80::1", "/srv", Some("u")), "[u@fe80::1]:/srv");
        assert_eq!(rsh_target("h", "other:/srv", Some("u")), "u@other:/srv");
        assert_eq!(rsh_target("h", "v@other:/srv", Some("u")), "v@other:/srv");
        assert_eq!(rsh_target("h", "rsync://m/x", Some("u")), "rsync://m/x");
    }

    #[test]
    fn a_missing_program_is_named() {
        let err = bin_path("no-such-rsync-here").expect_err("missing");
        assert!(
            err.to_string().contains("`no-such-rsync-here` on the controller"),
            "{err}"
        );
        assert_eq!(bin_path("/opt/rsync").expect("kept"), "/opt/rsync");
    }
}
