//! The `user` module's commands, decided from the task and the account as it is: `useradd`,
//! `usermod` or `userdel` arguments exactly as ansible-core 2.19 builds them on Linux, and the
//! follow-up script (missing home, ssh key, password ageing) that reports what it did through
//! marker lines.

use std::collections::BTreeSet;

use super::user::Params;
use super::user_query::Current;
use crate::connection::quote::quote;
use crate::modules::ModuleError;

/// `useradd` arguments for a new account.
pub fn useradd(p: &Params, cur: &Current) -> Result<Vec<String>, ModuleError> {
    let mut cmd = vec!["useradd".to_string()];
    if let Some(uid) = p.uid {
        cmd.extend(["-u".into(), uid.to_string()]);
        if p.non_unique.unwrap_or(false) {
            cmd.push("-o".into());
        }
    }
    if let Some(group) = &p.group {
        if cur.group(group).is_none() {
            return Err(missing_group(group));
        }
        cmd.extend(["-g".into(), group.clone()]);
    } else if cur.group(&p.name).is_some() {
        cmd.push("-N".into());
    }
    let groups = p.group_list();
    if !groups.is_empty() {
        for g in &groups {
            if cur.group(g).is_none() {
                return Err(missing_group(g));
            }
        }
        let unique: BTreeSet<&str> = groups.iter().map(String::as_str).collect();
        cmd.extend(["-G".into(), unique.into_iter().collect::<Vec<_>>().join(",")]);
    }
    if let Some(c) = &p.comment {
        cmd.extend(["-c".into(), c.clone()]);
    }
    if let Some(h) = &p.home {
        cmd.extend(["-d".into(), h.clone()]);
    }
    if let Some(s) = &p.shell {
        cmd.extend(["-s".into(), s.clone()]);
    }
    if let Some(e) = p.expires {
        cmd.extend(["-e".into(), expire_date(e)]);
    }
    if let Some(days) = p.password_expire_account_disable {
        cmd.extend(["-f".into(), days.to_string()]);
    }
    if let Some(pw) = &p.password {
        let locked = if p.password_lock == Some(true) {
            format!("!{pw}")
        } else {
            pw.clone()
        };
        cmd.extend(["-p".into(), locked]);
    }
    if p.create_home() {
        cmd.push("-m".into());
        if let Some(k) = &p.skeleton {
            cmd.extend(["-k".into(), k.clone()]);
        }
        if let Some(u) = &p.umask {
            cmd.extend(["-K".into(), format!("UMASK={u}")]);
        }
    } else {
        cmd.push("-M".into());
    }
    if p.system.unwrap_or(false) {
        cmd.push("-r".into());
    }
    if let Some(min) = p.uid_min {
        cmd.extend(["-K".into(), format!("UID_MIN={min}")]);
    }
    if let Some(max) = p.uid_max {
        cmd.extend(["-K".into(), format!("UID_MAX={max}")]);
    }
    cmd.push(p.name.clone());
    Ok(cmd)
}

/// `usermod` arguments for an existing account, or `None` when nothing differs.
pub fn usermod(p: &Params, cur: &Current) -> Result<Option<Vec<String>>, ModuleError> {
    let info = cur.passwd.clone().unwrap_or_default();
    let append = p.append.unwrap_or(false);
    let mut cmd = vec!["usermod".to_string()];
    if let Some(uid) = p.uid.filter(|u| *u != info.uid) {
        cmd.extend(["-u".into(), uid.to_string()]);
        if p.non_unique.unwrap_or(false) {
            cmd.push("-o".into());
        }
    }
    if let Some(group) = &p.group {
        let (_, gid) = cur.group(group).ok_or_else(|| missing_group(group))?;
        if *gid != info.gid {
            cmd.extend(["-g".into(), gid.to_string()]);
        }
    }
    if p.groups.is_some() {
        let current: BTreeSet<&str> = cur.member_of.iter().map(String::as_str).collect();
        let asked = p.group_list();
        let mut wanted = BTreeSet::new();
        for g in &asked {
            let (name, _) = cur.group(g).ok_or_else(|| missing_group(g))?;
            wanted.insert(name.as_str());
        }
        let need = if asked.is_empty() {
            !current.is_empty() && !append
        } else {
            let diff: BTreeSet<&str> = current.symmetric_difference(&wanted).copied().collect();
            if diff.is_empty() {
                false
            } else if append {
                let missing = wanted.iter().any(|g| diff.contains(g));
                if missing {
                    cmd.push("-a".into());
                }
                missing
            } else {
                true
            }
        };
        if need {
            cmd.extend(["-G".into(), wanted.into_iter().collect::<Vec<_>>().join(",")]);
        }
    }
    if let Some(c) = p.comment.as_ref().filter(|c| **c != info.comment) {
        cmd.extend(["-c".into(), c.clone()]);
    }
    if let Some(h) = p.home.as_ref().filter(|h| **h != info.home) {
        cmd.extend(["-d".into(), h.clone()]);
        if p.move_home.unwrap_or(false) {
            cmd.push("-m".into());
        }
    }
    if let Some(s) = p.shell.as_ref().filter(|s| **s != info.shell) {
        cmd.extend(["-s".into(), s.clone()]);
    }
    if let Some(e) = p.expires {
        let current = cur.shadow.as_ref().map_or(0, |s| s.expire);
        let differs = if e < 0.0 {
            current >= 0
        } else {
            current < 0 || current != (e / 86400.0).floor() as i64
        };
        if differs {
            cmd.extend(["-e".into(), expire_date(e)]);
        }
    }
    if let Some(days) = p.password_expire_account_disable {
        cmd.extend(["-f".into(), days.to_string()]);
    }
    let password = cur.password();
    match p.password_lock {
        Some(true) if !password.starts_with('!') => cmd.push("-L".into()),
        Some(false) if password.starts_with('!') => cmd.push("-U".into()),
        _ => {}
    }
    if let Some(pw) = &p.password {
        if p.update_password() && password.trim_start_matches('!') != pw.trim_start_matches('!') {
            cmd.retain(|c| c != "-U" && c != "-L");
            let locked = if p.password_lock == Some(true) {
                format!("!{pw}")
            } else {
                pw.clone()
            };
            cmd.extend(["-p".into(), locked]);
        }
    }
    if cmd.len() == 1 {
        return Ok(None);
    }
    cmd.push(p.name.clone());
    Ok(Some(cmd))
}

/// `userdel` arguments.
pub fn userdel(p: &Params) -> Vec<String> {
    let mut cmd = vec!["userdel".to_string()];
    if p.force.unwrap_or(false) {
        cmd.push("-f".into());
    }
    if p.remove.unwrap_or(false) {
        cmd.push("-r".into());
    }
    cmd.push(p.name.clone());
    cmd
}

/// Ansible's failure for a group that does not exist.
fn missing_group(group: &str) -> ModuleError {
    ModuleError::failed(format!("Group {group} does not exist"))
}

/// `-e`'s value: `YYYY-MM-DD` (UTC) of an epoch time, or empty (no expiry) before 1970.
pub fn expire_date(epoch: f64) -> String {
    if epoch < 0.0 {
        return String::new();
    }
    let (y, m, d) = crate::calendar::civil_from_days((epoch / 86400.0).floor() as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The account's words as a quoted command line.
pub fn command_line(words: &[String]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// Before `useradd`: Ansible creates a home whose parent is missing itself (from the skeleton),
/// as `useradd -m` cannot; after it, the tree is chowned to the new account.
pub fn with_home_parents(p: &Params, useradd: &[String], parent_is_dir: bool) -> String {
    match (&p.home, p.create_home() && !parent_is_dir) {
        (Some(home), true) => format!(
            "{create}\n{cmd}\nrc=$?\n[ $rc -eq 0 ] && chown -R \"$(id -u -- {u}):$(id -g -- {u})\" -- {h}\nexit $rc\n",
            create = create_home_script(&quote(home), p.skeleton.as_deref()),
            cmd = command_line(useradd),
            u = quote(&p.name),
            h = quote(home),
        ),
        _ => command_line(useradd),
    }
}

/// The follow-up actions, run as the account now is (`$u` is its name): create a missing home,
/// generate the ssh key, set password ageing. Each prints a marker line when it acted; a
/// failure prints to stderr and exits 1.
pub fn actions(p: &Params) -> String {
    let mut s = String::from(
        "pw=$(getent passwd -- \"$u\"); uid=$(printf '%s' \"$pw\" | cut -d: -f3); gid=$(printf '%s' \"$pw\" | cut -d: -f4)\n\
         phome=$(printf '%s' \"$pw\" | cut -d: -f6)\n",
    );
    if p.create_home() {
        let home = match &p.home {
            Some(h) => quote(h),
            None => "\"$phome\"".into(),
        };
        s.push_str(&format!(
            "if [ ! -e {home} ]; then (\n{}) || exit 1\nchown -R \"$uid:$gid\" -- {home} || exit 1\necho action-home\nfi\n",
            create_home_script(&home, p.skeleton.as_deref())
        ));
    }
    if p.generate_ssh_key.unwrap_or(false) {
        s.push_str(&keygen_script(p));
    }
    let ageing = [
        ("-m", 4, p.password_expire_min),
        ("-M", 5, p.password_expire_max),
        ("-W", 6, p.password_expire_warn),
    ];
    if ageing.iter().any(|(_, _, v)| v.is_some()) {
        s.push_str("sh_=$(getent shadow -- \"$u\"); set --\n");
        for (flag, field, value) in ageing {
            if let Some(v) = value {
                s.push_str(&format!(
                    "[ \"$(printf '%s' \"$sh_\" | cut -d: -f{field})\" = {v} ] || set -- \"$@\" {flag} {v}\n"
                ));
            }
        }
        s.push_str("if [ $# -gt 0 ]; then chage \"$@\" -- \"$u\" >&2 || exit 1; echo action-chage; fi\n");
    }
    s
}

/// Creates a home (`home`: a shell word) as Ansible's `create_homedir`: a copy of the
/// skeleton (or an empty directory), its mode from `UMASK` in `/etc/login.defs`.
fn create_home_script(home: &str, skeleton: Option<&str>) -> String {
    format!(
        "h={home}; sk={skel}\n\
         if [ -e \"$sk\" ] && [ \"$sk\" != /dev/null ]; then mkdir -p -- \"$(dirname -- \"$h\")\" && cp -a -- \"$sk\" \"$h\" || exit 1; else mkdir -p -- \"$h\" || exit 1; fi\n\
         um=$(sed -n 's/^UMASK[[:space:]]\\{{1,\\}}\\([0-9]\\{{1,\\}}\\)$/\\1/p' /etc/login.defs 2>/dev/null | tail -n 1)\n\
         [ -z \"$um\" ] || chmod \"$(printf '%o' $((0777 & ~0$um)))\" -- \"$h\"\n",
        skel = quote(skeleton.unwrap_or("/etc/skel")),
    )
}

fn keygen_script(p: &Params) -> String {
    let force = if p.force.unwrap_or(false) { "yes" } else { "no" };
    let mut keygen = vec![
        "ssh-keygen".to_string(),
        "-t".into(),
        p.ssh_key_type().to_string(),
    ];
    if let Some(bits) = p.ssh_key_bits.filter(|b| *b > 0) {
        keygen.extend(["-b".into(), bits.to_string()]);
    }
    let comment = match &p.ssh_key_comment {
        Some(c) => quote(c),
        None => "\"ansible-generated on $(uname -n)\"".into(),
    };
    let passphrase = quote(p.ssh_key_passphrase.as_deref().unwrap_or(""));
    format!(
        "k={file}\n\
         case $k in /*) ;; *) [ -e \"$phome\" ] || {{ echo \"User $u home directory does not exist\" >&2; exit 1; }}; k=\"$phome/$k\";; esac\n\
         d=$(dirname -- \"$k\")\n\
         if [ ! -e \"$d\" ]; then mkdir -m 0700 -- \"$d\" && chown \"$uid:$gid\" -- \"$d\" || {{ echo \"Failed to create $d\" >&2; exit 1; }}; fi\n\
         if [ -e \"$k\" ] && [ {force} = no ]; then printf 'action-key-kept-private\\t%s\\n' \"$k\"\n\
         elif [ -e \"$k.pub\" ] && [ {force} = no ]; then printf 'action-key-kept-public\\t%s\\n' \"$k.pub\"\n\
         else\n\
         ow=n; [ -e \"$k\" ] && {{ ow=y; printf 'action-key-overwrote-private\\t%s\\n' \"$k\"; }}\n\
         [ -e \"$k.pub\" ] && {{ rm -f -- \"$k.pub\"; printf 'action-key-overwrote-public\\t%s\\n' \"$k.pub\"; }}\n\
         printf '%s\\n' \"$ow\" | {cmd} -C {comment} -f \"$k\" -N {passphrase} >/dev/null || exit 1\n\
         chown \"$uid:$gid\" -- \"$k\" \"$k.pub\" || exit 1\n\
         echo action-key\n\
         fi\n",
        file = quote(&p.ssh_key_file()),
        cmd = command_line(&keygen),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_dates_are_utc_days() {
        assert_eq!(expire_date(0.0), "1970-01-01");
        assert_eq!(expire_date(1_767_225_599.9), "2025-12-31");
        assert_eq!(expire_date(951_782_400.0), "2000-02-29");
        assert_eq!(expire_date(-1.0), "");
    }
}
