//! The rsync command line of `synchronize`, built as ansible.posix's module builds it: the same
//! options in the same order, the same `cmd` text (Python's `shlex.quote` words joined by
//! spaces), and the program's arguments as `shlex.split` of that text, which is how Ansible runs
//! it (so a `rsync_opts` entry holding a space becomes two arguments there too). Pure: the module
//! decides the paths and the remote shell, this file only writes them down.

use crate::connection::quote::shlex_quote;
use crate::modules::commands::words::shlex_split;

/// Marks rsync's lines that name an item (`--out-format`); a marked line means a change.
pub const CHANGED_MARKER: &str = "<<CHANGED>>";

/// What the command line says, after the module resolved defaults and paths.
#[derive(Clone, Debug, Default)]
pub struct RsyncArgs {
    /// The controller's rsync (`/usr/bin/rsync`).
    pub rsync: String,
    pub delay_updates: bool,
    pub compress: bool,
    pub timeout: i64,
    pub dry_run: bool,
    pub delete: bool,
    pub existing_only: bool,
    pub checksum: bool,
    pub copy_links: bool,
    pub archive: bool,
    pub recursive: Option<bool>,
    pub links: Option<bool>,
    pub perms: Option<bool>,
    pub times: Option<bool>,
    pub owner: Option<bool>,
    pub group: Option<bool>,
    pub dirs: bool,
    /// The remote shell's words (`ssh -S ...`); none for a local copy or when `rsync_opts` has
    /// its own `--rsh`.
    pub rsh: Option<Vec<String>>,
    pub rsync_path: Option<String>,
    pub rsync_opts: Vec<String>,
    pub partial: bool,
    pub link_dest: Vec<String>,
    pub src: String,
    pub dest: String,
}

/// The registered `cmd` text and the program's arguments (the program first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsyncCommand {
    pub text: String,
    pub argv: Vec<String>,
}

/// Whether `opts` already names a remote shell (Ansible then adds none).
pub fn has_rsh(opts: &[String]) -> bool {
    opts.iter().any(|o| o.contains("--rsh"))
}

/// Builds the command; fails only when the text does not split back (an unbalanced quote in
/// `rsync_opts`), naming it.
pub fn build(a: &RsyncArgs) -> Result<RsyncCommand, String> {
    let mut cmd: Vec<String> = vec![a.rsync.clone()];
    let mut flag = |on: bool, text: &str| {
        if on {
            cmd.push(text.to_string());
        }
    };
    flag(a.delay_updates, "--delay-updates");
    flag(a.delay_updates, "-F");
    flag(a.compress, "--compress");
    if a.timeout != 0 {
        cmd.push(format!("--timeout={}", a.timeout));
    }
    let mut flag = |on: bool, text: &str| {
        if on {
            cmd.push(text.to_string());
        }
    };
    flag(a.dry_run, "--dry-run");
    flag(a.delete, "--delete-after");
    flag(a.existing_only, "--existing");
    flag(a.checksum, "--checksum");
    flag(a.copy_links, "--copy-links");
    let tri = [
        (a.recursive, "recursive"),
        (a.links, "links"),
        (a.perms, "perms"),
        (a.times, "times"),
        (a.owner, "owner"),
        (a.group, "group"),
    ];
    if a.archive {
        cmd.push("--archive".into());
        for (value, name) in tri {
            if value == Some(false) {
                cmd.push(format!("--no-{name}"));
            }
        }
    } else {
        for (value, name) in tri {
            if value == Some(true) {
                cmd.push(format!("--{name}"));
            }
        }
    }
    if a.dirs {
        cmd.push("--dirs".into());
    }
    if let Some(rsh) = &a.rsh {
        let words: Vec<String> = rsh.iter().map(|w| shlex_quote(w)).collect();
        cmd.push(format!("--rsh={}", shlex_quote(&words.join(" "))));
    }
    if let Some(path) = &a.rsync_path {
        cmd.push(format!("--rsync-path={}", shlex_quote(path)));
    }
    cmd.extend(a.rsync_opts.iter().cloned());
    if a.partial {
        cmd.push("--partial".into());
    }
    if !a.link_dest.is_empty() {
        // -vv: rsync does not report a new hard link as a change otherwise.
        cmd.push("-H".into());
        cmd.push("-vv".into());
        for dir in &a.link_dest {
            cmd.push(format!("--link-dest={dir}"));
        }
    }
    cmd.push(format!(
        "--out-format={}",
        shlex_quote(&format!("{CHANGED_MARKER}%i %n%L"))
    ));
    cmd.push(shlex_quote(&a.src));
    cmd.push(shlex_quote(&a.dest));
    let text = cmd.join(" ");
    let argv = shlex_split(&text).map_err(|e| format!("rsync_opts do not form a command line: {e}"))?;
    Ok(RsyncCommand { text, argv })
}

/// `changed`, `msg` and `stdout_lines` from rsync's output, as the module reads them.
pub fn read_output(out: &str, link_dest: bool) -> (bool, String, Vec<String>) {
    let changed = if link_dest {
        !out.contains(&format!("{CHANGED_MARKER}."))
    } else {
        out.contains(CHANGED_MARKER)
    };
    let clean = out.replace(CHANGED_MARKER, "");
    let lines = clean
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    (changed, clean, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> RsyncArgs {
        RsyncArgs {
            rsync: "/usr/bin/rsync".into(),
            delay_updates: true,
            compress: true,
            archive: true,
            src: "/srv/site/".into(),
            dest: "root@10.0.0.5:/var/www".into(),
            ..RsyncArgs::default()
        }
    }

    #[test]
    fn default_command_is_ansibles() {
        let mut a = args();
        a.rsh = Some(vec!["/usr/bin/ssh".into(), "-S".into(), "/tmp/x/master".into()]);
        let c = build(&a).expect("builds");
        assert_eq!(
            c.text,
            "/usr/bin/rsync --delay-updates -F --compress --archive \
             --rsh='/usr/bin/ssh -S /tmp/x/master' \
             --out-format='<<CHANGED>>%i %n%L' /srv/site/ root@10.0.0.5:/var/www"
        );
        assert_eq!(c.argv[5], "--rsh=/usr/bin/ssh -S /tmp/x/master");
        assert_eq!(c.argv[6], "--out-format=<<CHANGED>>%i %n%L");
        assert_eq!(c.argv.len(), 9);
    }

    #[test]
    fn archive_negations_and_plain_flags() {
        let mut a = args();
        a.recursive = Some(false);
        a.owner = Some(false);
        a.perms = Some(true);
        a.dry_run = true;
        a.delete = true;
        a.timeout = 30;
        let text = build(&a).expect("builds").text;
        assert!(
            text.starts_with(
                "/usr/bin/rsync --delay-updates -F --compress --timeout=30 --dry-run --delete-after \
                 --archive --no-recursive --no-owner "
            ),
            "{text}"
        );
        a.archive = false;
        let text = build(&a).expect("builds").text;
        assert!(text.contains(" --perms --out-format"), "{text}");
        assert!(!text.contains("--no-"), "{text}");
    }

    #[test]
    fn rsync_path_is_quoted_and_opts_are_split_as_ansible_does() {
        let mut a = args();
        a.rsync_path = Some("sudo -u web rsync".into());
        a.rsync_opts = vec!["--exclude=.git".into(), "--chmod=F644 ".into()];
        a.link_dest = vec!["/srv/prev".into()];
        let c = build(&a).expect("builds");
        assert!(
            c.text.contains("--rsync-path='sudo -u web rsync' --exclude=.git"),
            "{}",
            c.text
        );
        assert!(c.argv.contains(&"--rsync-path=sudo -u web rsync".to_string()));
        assert!(c.argv.contains(&"--chmod=F644".to_string()));
        assert!(
            c.text.contains("-H -vv --link-dest=/srv/prev --out-format"),
            "{}",
            c.text
        );
        a.rsync_opts = vec!["--exclude='x".into()];
        assert!(build(&a).is_err());
    }

    #[test]
    fn changes_come_from_the_marker() {
        let (changed, msg, lines) = read_output("<<CHANGED>>>f+++++++++ a.txt\n", false);
        assert!(changed);
        assert_eq!(msg, ">f+++++++++ a.txt\n");
        assert_eq!(lines, [">f+++++++++ a.txt"]);
        assert_eq!(read_output("", false), (false, String::new(), vec![]));
        assert!(!read_output("<<CHANGED>>.d..t...... ./\n", true).0);
        assert!(has_rsh(&["--rsh=ssh -p 2".into()]));
    }
}
