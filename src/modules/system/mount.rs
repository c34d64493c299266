//! `ansible.posix.mount`: mount points in fstab and live, as the collection's module does it on
//! Linux. One round trip looks (the fstab, created empty when missing as the module does even in
//! check mode; whether the path exists and is a mount point, Python's `ismount`; the mount table
//! from `/proc/self/mountinfo`; `mount -v` for `ephemeral`); the fstab edits are `fstab.rs`'s,
//! the live-mount reading `mount_table.rs`'s. Then, unless in check mode, the module's steps in
//! its order: the mount point's directories, the fstab (atomically, `backup` as Ansible names
//! it), `mount`/`mount -o remount`/`umount`, and the undo of both after a failed mount.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::fstab::{self, Entry};
use super::mount_table::{LinuxMounts, is_bind_mounted, linux_mounts};
use super::os_error::os_error;
use crate::connection::files::{self, WriteOptions};
use crate::connection::quote::quote;
use crate::modules::{Collection, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

/// The `mount` module.
pub struct Mount;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Absent,
    AbsentFromFstab,
    Mounted,
    Present,
    Unmounted,
    Remounted,
    Ephemeral,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Absent => "absent",
            State::AbsentFromFstab => "absent_from_fstab",
            State::Mounted => "mounted",
            State::Present => "present",
            State::Unmounted => "unmounted",
            State::Remounted => "remounted",
            State::Ephemeral => "ephemeral",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "name")]
    path: String,
    src: Option<String>,
    fstype: Option<String>,
    opts: Option<String>,
    opts_no_log: Option<bool>,
    dump: Option<String>,
    passno: Option<String>,
    state: State,
    fstab: Option<String>,
    boot: Option<bool>,
    backup: Option<bool>,
}

const MARK: char = '\u{1e}';

/// The module's `args`: what it works with and returns.
struct Args {
    name: String,
    src: Option<String>,
    fstype: Option<String>,
    opts: String,
    dump: String,
    passno: String,
    fstab: String,
    boot: &'static str,
    warnings: Vec<String>,
    state: State,
    backup: bool,
    /// `opts` when `opts_no_log`: masked wherever it appears in the result.
    secret: Option<String>,
}

impl Args {
    fn from(p: Params) -> Args {
        let mut opts = p.opts.clone().unwrap_or_else(|| "defaults".into());
        let mut boot = "yes";
        let mut warnings = Vec::new();
        let mut list: Vec<String> = opts.split(',').map(str::to_string).collect();
        if p.boot.unwrap_or(true) && list.iter().any(|o| o == "noauto") {
            warnings.push("Ignore the 'boot' due to 'opts' contains 'noauto'.".to_string());
        } else if !p.boot.unwrap_or(true) {
            boot = "no";
            list.push("noauto".into());
            opts = list.join(",");
        }
        Args {
            name: p.path,
            src: p.src,
            fstype: p.fstype,
            opts,
            dump: p.dump.unwrap_or_else(|| "0".into()),
            passno: p.passno.unwrap_or_else(|| "0".into()),
            fstab: p.fstab.unwrap_or_else(|| "/etc/fstab".into()),
            boot,
            warnings,
            state: p.state,
            backup: p.backup.unwrap_or(false),
            secret: p.opts.filter(|o| p.opts_no_log.unwrap_or(false) && !o.is_empty()),
        }
    }

    fn entry(&self) -> Entry {
        Entry {
            src: self.src.clone(),
            name: self.name.clone(),
            fstype: self.fstype.clone(),
            opts: self.opts.clone(),
            dump: self.dump.clone(),
            passno: self.passno.clone(),
        }
    }

    fn mask(&self, text: &str) -> String {
        match &self.secret {
            Some(s) => text.replace(s.as_str(), "********"),
            None => text.to_string(),
        }
    }

    /// The module's result: `changed` and its `args`.
    fn outcome(&self, changed: bool, backup_file: &str) -> Outcome {
        let mut o = Outcome::changed(changed)
            .with("name", self.name.clone())
            .with("opts", self.mask(&self.opts))
            .with("dump", self.dump.clone())
            .with("passno", self.passno.clone())
            .with("fstab", self.fstab.clone())
            .with("boot", self.boot)
            .with("backup_file", backup_file);
        if let Some(src) = &self.src {
            o = o.with("src", src.clone());
        }
        if let Some(fstype) = &self.fstype {
            o = o.with("fstype", fstype.clone());
        }
        if !self.warnings.is_empty() {
            o = o.with("warnings", Value::from(self.warnings.clone()));
        }
        o
    }

    fn fail(&self, msg: impl AsRef<str>) -> ModuleError {
        ModuleError::failed(self.mask(msg.as_ref()))
    }

    /// `-T FSTAB` for a fstab other than /etc/fstab, outside `ephemeral`.
    fn fstab_args(&self) -> String {
        if self.state != State::Ephemeral && !self.fstab.is_empty() && self.fstab != "/etc/fstab" {
            format!(" -T {}", quote(&self.fstab))
        } else {
            String::new()
        }
    }

    /// `-t FSTYPE [-o OPTS] SRC` of `ephemeral`.
    fn ephemeral_args(&self) -> String {
        if self.state != State::Ephemeral {
            return String::new();
        }
        let mut s = format!(" -t {}", quote(self.fstype.as_deref().unwrap_or("")));
        if self.opts != "defaults" {
            s.push_str(&format!(" -o {}", quote(&self.opts)));
        }
        s.push_str(&format!(" {}", quote(self.src.as_deref().unwrap_or(""))));
        s
    }
}

/// What the look found.
#[derive(Default)]
struct Looked {
    exists: bool,
    ismount: bool,
    mounts: Option<LinuxMounts>,
    mount_v: String,
    fstab: String,
}

fn look_script(a: &Args) -> String {
    let mut s = format!(
        "for t in mount umount; do command -v $t >/dev/null 2>&1 || \
         {{ echo \"$t: command not found (ansible.posix.mount needs util-linux's mount on the host)\" >&2; exit 127; }}; done\n\
         p={}\nf={}\n",
        quote(&a.name),
        quote(&a.fstab)
    );
    if a.state != State::Ephemeral {
        s.push_str(
            "if [ ! -e \"$f\" ]; then\n\
             d=$(dirname -- \"$f\"); [ -e \"$d\" ] || mkdir -p -- \"$d\" || exit 1\n\
             if ! e=$( { : >> \"$f\"; } 2>&1 ); then printf '\\036openfail\\n%s\\n' \"$e\"; exit 0; fi\nfi\n",
        );
    }
    s.push_str(
        "printf '\\036state\\n'\n[ -e \"$p\" ] && echo exists\n\
         if [ ! -L \"$p\" ] && a=$(stat -c '%d %i' -- \"$p\" 2>/dev/null) && \
         b=$(stat -c '%d %i' -- \"$(realpath -m -- \"$p/..\")\" 2>/dev/null); then\n\
         { [ \"${a% *}\" != \"${b% *}\" ] || [ \"${a#* }\" = \"${b#* }\" ]; } && echo ismount\nfi\n\
         printf '\\036mountinfo\\n'; cat /proc/self/mountinfo 2>/dev/null || printf '\\036nomountinfo\\n'\n",
    );
    if a.state == State::Ephemeral {
        s.push_str("printf '\\036mountv\\n'; mount -v 2>/dev/null\n");
    } else {
        s.push_str("printf '\\036fstab\\n'; cat -- \"$f\"\n");
    }
    s
}

fn parse_look(text: &str) -> Looked {
    let (head, fstab) = match text.split_once("\u{1e}fstab\n") {
        Some((h, f)) => (h, f.to_string()),
        None => (text, String::new()),
    };
    let mut l = Looked {
        fstab,
        ..Looked::default()
    };
    let mut section = "";
    let mut mountinfo = String::new();
    let mut have_mountinfo = true;
    for line in head.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix(MARK) {
            section = name.trim_end();
            if section == "nomountinfo" {
                have_mountinfo = false;
            }
            continue;
        }
        match section {
            "state" => match line.trim_end() {
                "exists" => l.exists = true,
                "ismount" => l.ismount = true,
                _ => {}
            },
            "mountinfo" => mountinfo.push_str(line),
            "mountv" => l.mount_v.push_str(line),
            _ => {}
        }
    }
    l.mounts = have_mountinfo.then(|| linux_mounts(&mountinfo));
    l
}

/// A command's status and `stdout + stderr`, as the module reports a failed one.
async fn sh(ctx: &mut ModuleCtx<'_>, script: String) -> Result<(i32, String), ModuleError> {
    let out = ctx.run(script).await?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((out.rc, text))
}

#[async_trait]
impl TypedModule for Mount {
    type Params = Params;

    const SPEC: Spec = Spec::host("mount").collection(Collection::Posix);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if matches!(p.state, State::Mounted | State::Present | State::Ephemeral) {
            let missing: Vec<&str> = [("src", p.src.is_none()), ("fstype", p.fstype.is_none())]
                .into_iter()
                .filter_map(|(n, m)| m.then_some(n))
                .collect();
            if !missing.is_empty() {
                return Err(ModuleError::failed(format!(
                    "state is {} but all of the following are missing: {}",
                    p.state.as_str(),
                    missing.join(", ")
                )));
            }
        }
        let a = Args::from(p);
        let out = ctx.run(look_script(&a)).await?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.rc != 0 {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(a.fail(format!(
                "mount on {}: {}",
                ctx.host,
                err.trim()
                    .lines()
                    .last()
                    .unwrap_or("the look at the mount point failed")
            )));
        }
        if let Some((_, why)) = text.split_once("\u{1e}openfail\n") {
            return Err(a.fail(if why.contains("Permission denied") {
                format!("Failed to open {} due to permission issue", a.fstab)
            } else {
                format!("Failed to open {} due to {}", a.fstab, why.trim())
            }));
        }
        let l = parse_look(&text);
        match a.state {
            State::AbsentFromFstab | State::Absent => absent(ctx, &a, &l).await,
            State::Unmounted => {
                let mounted = l.ismount || is_bind_mounted(l.mounts.as_ref(), &a.name, None);
                if mounted && !ctx.check {
                    umount(ctx, &a).await?;
                }
                Ok(a.outcome(mounted, ""))
            }
            State::Mounted | State::Ephemeral => mounted(ctx, &a, &l).await,
            State::Present => {
                let set = fstab::set(&l.fstab, &a.entry());
                let mut backup_file = String::new();
                if set.changed && !ctx.check {
                    backup_file = write_fstab(ctx, &a, &set.lines.concat()).await?;
                }
                Ok(a.outcome(set.changed, &backup_file))
            }
            State::Remounted => {
                if !ctx.check {
                    let (rc, msg) = remount(ctx, &a).await?;
                    if rc != 0 {
                        return Err(a.fail(format!("Error remounting {}: {msg}", a.name)));
                    }
                }
                Ok(a.outcome(true, ""))
            }
        }
    }
}

/// `absent_from_fstab`, and `absent` (which also unmounts and removes the mount point).
async fn absent(ctx: &mut ModuleCtx<'_>, a: &Args, l: &Looked) -> Result<Outcome, ModuleError> {
    let (lines, changed) = fstab::unset(&l.fstab, &a.name, a.src.as_deref());
    if changed && !ctx.check {
        // The module makes the backup here but does not return its name.
        write_fstab(ctx, a, &lines.concat()).await?;
        if a.state == State::Absent {
            if l.ismount || is_bind_mounted(l.mounts.as_ref(), &a.name, None) {
                umount(ctx, a).await?;
            }
            if l.exists {
                let (rc, msg) = sh(ctx, format!("rmdir -- {}", quote(&a.name))).await?;
                if rc != 0 {
                    return Err(a.fail(format!("Error rmdir {}: {}", a.name, os_error(&msg, &a.name))));
                }
            }
        }
    }
    Ok(a.outcome(changed, ""))
}

/// `mounted` and `ephemeral`.
async fn mounted(ctx: &mut ModuleCtx<'_>, a: &Args, l: &Looked) -> Result<Outcome, ModuleError> {
    let mut created: Vec<String> = Vec::new();
    if !l.exists && !ctx.check {
        created = make_dirs(ctx, a).await?;
    }
    let (mut changed, old_lines, backup_file) = if a.state == State::Ephemeral {
        (false, Vec::new(), String::new())
    } else {
        let set = fstab::set(&l.fstab, &a.entry());
        let mut backup_file = String::new();
        if set.changed && !ctx.check {
            backup_file = write_fstab(ctx, a, &set.lines.concat()).await?;
        }
        (set.changed, set.old_lines, backup_file)
    };
    let src = a.src.as_deref();
    let mut res = (0, String::new());
    if l.ismount || is_bind_mounted(l.mounts.as_ref(), &a.name, src) {
        if changed && !ctx.check {
            res = remount(ctx, a).await?;
        }
        if a.state == State::Ephemeral {
            if same_mount_src(a, l, src.unwrap_or(""))? {
                changed = true;
                if !ctx.check {
                    res = remount(ctx, a).await?;
                }
            } else {
                return Err(a.fail(
                    "Ephemeral mount point is already mounted with a different source than the specified one. \
                     Failing in order to prevent an unwanted unmount or override operation. Try replacing this \
                     command with a \"state: unmounted\" followed by a \"state: ephemeral\", or use a different \
                     destination path.",
                ));
            }
        }
    } else {
        changed = true;
        if !ctx.check {
            res = mount(ctx, a).await?;
        }
    }
    if res.0 != 0 {
        // Undo what the task did, as the module does (ansible/ansible#59183); errors ignored.
        if a.state != State::Ephemeral {
            let _ = write_fstab(ctx, a, &old_lines.concat()).await;
        }
        if !created.is_empty() {
            let dirs: Vec<String> = created.iter().rev().map(|d| quote(d)).collect();
            let _ = ctx.run(format!("rmdir -- {} 2>/dev/null", dirs.join(" "))).await;
        }
        return Err(a.fail(format!("Error mounting {}: {}", a.name, res.1)));
    }
    Ok(a.outcome(changed, &backup_file))
}

/// The module's `_is_same_mount_src` on Linux, from the look's mount table and `mount -v`.
fn same_mount_src(a: &Args, l: &Looked, src: &str) -> Result<bool, ModuleError> {
    if !l.ismount && !is_bind_mounted(l.mounts.as_ref(), &a.name, None) {
        return Ok(false);
    }
    if l.mounts.is_some() && is_bind_mounted(l.mounts.as_ref(), &a.name, Some(src)) {
        return Ok(true);
    }
    if l.mount_v.is_empty() {
        return Err(a.fail("Unable to retrieve mount info with command 'mount -v'"));
    }
    Ok(l.mount_v.trim().split('\n').any(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        f.first() == Some(&src) && f.get(2) == Some(&a.name.as_str())
    }))
}

/// The mount point's missing directories, one `mkdir` each as the module makes them; the ones
/// created, for the undo.
async fn make_dirs(ctx: &mut ModuleCtx<'_>, a: &Args) -> Result<Vec<String>, ModuleError> {
    let mut paths = Vec::new();
    let mut cur = String::new();
    for part in a.name.trim_matches('/').split('/') {
        cur = format!("{cur}/{part}");
        let path = if a.name.starts_with('/') {
            cur.clone()
        } else {
            cur.trim_start_matches('/').to_string()
        };
        paths.push(path);
    }
    let script = paths
        .iter()
        .map(|d| {
            format!(
                "d={}; if [ ! -e \"$d\" ]; then if e=$(mkdir -- \"$d\" 2>&1); then printf 'created\\0%s\\0' \"$d\"; \
                 elif [ ! -d \"$d\" ]; then printf 'failed\\0%s\\0%s\\0' \"$d\" \"$e\"; exit 0; fi; fi",
                quote(d)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let out = ctx.run(script).await?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut tokens = text.split('\0');
    let mut created = Vec::new();
    while let Some(t) = tokens.next() {
        match t {
            "created" => created.extend(tokens.next().map(str::to_string)),
            "failed" => {
                let dir = tokens.next().unwrap_or_default().to_string();
                let why = tokens.next().unwrap_or_default();
                return Err(a.fail(format!("Error making dir {}: {}", a.name, os_error(why, &dir))));
            }
            _ => {}
        }
    }
    Ok(created)
}

/// Writes the fstab (a backup first when asked); the backup's name, or empty.
async fn write_fstab(ctx: &mut ModuleCtx<'_>, a: &Args, content: &str) -> Result<String, ModuleError> {
    let opts = WriteOptions {
        backup: a.backup,
        ..WriteOptions::default()
    };
    let written = files::write_atomic(ctx.conn, &a.fstab, content.as_bytes(), &opts, &ctx.via).await?;
    Ok(written.backup_file.unwrap_or_default())
}

/// `mount [-T FSTAB] PATH`, or `mount -t FSTYPE [-o OPTS] SRC PATH` for `ephemeral`.
async fn mount(ctx: &mut ModuleCtx<'_>, a: &Args) -> Result<(i32, String), ModuleError> {
    let cmd = format!("mount{}{} {}", a.fstab_args(), a.ephemeral_args(), quote(&a.name));
    let (rc, msg) = sh(ctx, cmd).await?;
    Ok((rc, if rc == 0 { String::new() } else { msg }))
}

/// `umount PATH`, failing the task as the module does.
async fn umount(ctx: &mut ModuleCtx<'_>, a: &Args) -> Result<(), ModuleError> {
    let (rc, msg) = sh(ctx, format!("umount {}", quote(&a.name))).await?;
    if rc != 0 {
        return Err(a.fail(format!("Error unmounting {}: {msg}", a.name)));
    }
    Ok(())
}

/// The module's `remount`: `mount -o remount[,OPTS]`, else `umount` then `mount`.
async fn remount(ctx: &mut ModuleCtx<'_>, a: &Args) -> Result<(i32, String), ModuleError> {
    let with_opts = a.state == State::Remounted && a.opts != "defaults";
    let o = if with_opts {
        format!("remount,{}", a.opts)
    } else {
        "remount".to_string()
    };
    let cmd = format!(
        "mount -o {}{}{} {}",
        quote(&o),
        a.fstab_args(),
        a.ephemeral_args(),
        quote(&a.name)
    );
    let (rc, _) = sh(ctx, cmd).await?;
    if rc == 0 {
        return Ok((0, String::new()));
    }
    if with_opts {
        return Err(a.fail(
            "Options were specified with remounted, but the remount command failed. Failing in order to \
             prevent an unexpected mount result. Try replacing this command with a \"state: unmounted\" \
             followed by a \"state: mounted\" using the full desired mount options instead.",
        ));
    }
    let (rc, msg) = sh(ctx, format!("umount {}", quote(&a.name))).await?;
    if rc != 0 {
        return Ok((rc, msg));
    }
    mount(ctx, a).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_look_is_read_by_section() {
        let text = "\u{1e}state\nexists\nismount\n\u{1e}mountinfo\n1 0 0:1 / / rw - ext4 /dev/a rw\n\
                    \u{1e}fstab\n# x\n\u{1e}not a section\n";
        let l = parse_look(text);
        assert!(l.exists && l.ismount);
        assert_eq!(l.fstab, "# x\n\u{1e}not a section\n");
        assert_eq!(l.mounts.expect("mountinfo")["/"], "/dev/a");
        assert_eq!(
            os_error("rmdir: failed to remove '/m': Directory not empty", "/m"),
            "[Errno 39] Directory not empty: '/m'"
        );
    }
}
