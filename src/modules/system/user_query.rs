//! The `user` module's one question to the host: the account (`getent passwd`, `getent
//! shadow`), the groups that list it as a member, the groups the task names, whether its home
//! exists, and its ssh key — one script, parsed into [`Current`]. The same text follows the
//! changes, so the result reports the account as it ends.

use std::collections::BTreeMap;

use crate::connection::quote::quote;

/// What the task asks about: the account, the groups it names, the home it wants, the key file.
pub struct Question<'a> {
    pub name: &'a str,
    pub groups: Vec<String>,
    pub home: Option<&'a str>,
    pub key_file: Option<&'a str>,
}

/// The account's `/etc/passwd` entry.
#[derive(Clone, Debug, Default)]
pub struct Passwd {
    pub password: String,
    pub uid: i64,
    pub gid: i64,
    pub comment: String,
    pub home: String,
    pub shell: String,
}

/// The account's `/etc/shadow` entry (the fields the module compares).
#[derive(Clone, Debug, Default)]
pub struct Shadow {
    pub hash: String,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub warn: Option<i64>,
    /// Days since the epoch; -1 when the field is empty, as `getspnam` reports it.
    pub expire: i64,
}

/// The ssh key at the module's key path.
#[derive(Clone, Debug, Default)]
pub struct Key {
    pub path: String,
    pub dir_exists: bool,
    pub exists: bool,
    pub pub_exists: bool,
    pub fingerprint: String,
    pub public: Option<String>,
}

/// What the host said.
#[derive(Clone, Debug, Default)]
pub struct Current {
    pub passwd: Option<Passwd>,
    pub shadow: Option<Shadow>,
    /// Groups listing the account as a member (`gr_mem`).
    pub member_of: Vec<String>,
    /// Each group the task names (by name or gid): its name and gid, when it exists.
    pub groups: BTreeMap<String, (String, i64)>,
    /// Whether the wanted home (the `home` argument, else the account's) exists.
    pub home_exists: bool,
    /// Whether the parent of the `home` argument is a directory.
    pub home_parent_is_dir: bool,
    pub key: Option<Key>,
}

impl Current {
    /// The password as Ansible's `user_info` sees it: the passwd field, or the shadow hash
    /// when that field is `x` or empty.
    pub fn password(&self) -> String {
        match &self.passwd {
            Some(p) if p.password.len() > 1 => p.password.clone(),
            _ => self.shadow.as_ref().map(|s| s.hash.clone()).unwrap_or_default(),
        }
    }

    /// A group the task names, as (name, gid), when it exists.
    pub fn group(&self, group: &str) -> Option<&(String, i64)> {
        self.groups.get(group)
    }
}

/// The script asking the question; `actions` run first (they may use `$u`).
pub fn script(q: &Question<'_>, actions: &str) -> String {
    let mut s = format!("u={}\n{actions}", quote(q.name));
    s.push_str(
        "pw=$(getent passwd -- \"$u\") && printf 'passwd\\t%s\\n' \"$pw\"\n\
         getent shadow -- \"$u\" | sed 's/^/shadow\\t/'\n\
         getent group | awk -F: -v u=\"$u\" '{n=split($4,m,\",\");for(i=1;i<=n;i++)if(m[i]==u){print \"member\\t\" $1;break}}'\n",
    );
    for g in &q.groups {
        s.push_str(&format!(
            "g={}; r=$(getent group -- \"$g\") && printf 'group\\t%s\\t%s\\n' \"$g\" \"$r\"\n",
            quote(g)
        ));
    }
    match q.home {
        Some(h) => s.push_str(&format!("home={}\n", quote(h))),
        None => s.push_str("home=$(printf '%s' \"$pw\" | cut -d: -f6)\n"),
    }
    s.push_str(
        "[ -n \"$home\" ] && [ -e \"$home\" ] && echo home-exists\n\
         [ -n \"$home\" ] && [ -d \"$(dirname -- \"$home\")\" ] && echo home-parent-is-dir\n",
    );
    if let Some(file) = q.key_file {
        s.push_str(&format!(
            "k={}\ncase $k in /*) ;; *) k=\"$(printf '%s' \"$pw\" | cut -d: -f6)/$k\";; esac\n",
            quote(file)
        ));
        s.push_str(
            "printf 'key\\t%s\\n' \"$k\"\n\
             [ -e \"$(dirname -- \"$k\")\" ] && echo key-dir-exists\n\
             [ -e \"$k.pub\" ] && echo key-pub-exists\n\
             if [ -e \"$k\" ]; then echo key-exists\n\
             fp=$(ssh-keygen -l -f \"$k\" 2>/dev/null) && printf 'key-fingerprint\\t%s\\n' \"$fp\"\nfi\n\
             [ -r \"$k.pub\" ] && printf 'key-public\\t%s\\n' \"$(cat -- \"$k.pub\")\"\n",
        );
    }
    s.push_str("true\n");
    s
}

/// Parses the script's output.
pub fn parse(q: &Question<'_>, out: &str) -> Current {
    let mut c = Current::default();
    let mut key = q.key_file.map(|_| Key::default());
    for line in out.lines() {
        let (tag, rest) = line.split_once('\t').unwrap_or((line, ""));
        match tag {
            "passwd" => c.passwd = parse_passwd(rest),
            "shadow" => c.shadow = Some(parse_shadow(rest)),
            "member" => c.member_of.push(rest.to_string()),
            "group" => {
                if let Some((asked, entry)) = rest.split_once('\t') {
                    let fields: Vec<&str> = entry.split(':').collect();
                    if let (Some(name), Some(gid)) =
                        (fields.first(), fields.get(2).and_then(|g| g.parse().ok()))
                    {
                        c.groups.insert(asked.to_string(), (name.to_string(), gid));
                    }
                }
            }
            "home-exists" => c.home_exists = true,
            "home-parent-is-dir" => c.home_parent_is_dir = true,
            _ => {
                if let Some(k) = key.as_mut() {
                    match tag {
                        "key" => k.path = rest.to_string(),
                        "key-dir-exists" => k.dir_exists = true,
                        "key-pub-exists" => k.pub_exists = true,
                        "key-exists" => k.exists = true,
                        "key-fingerprint" => k.fingerprint = rest.trim().to_string(),
                        "key-public" => k.public = Some(rest.trim().to_string()),
                        _ => {}
                    }
                }
            }
        }
    }
    c.key = key;
    c
}

fn parse_passwd(line: &str) -> Option<Passwd> {
    let f: Vec<&str> = line.split(':').collect();
    if f.len() < 7 {
        return None;
    }
    Some(Passwd {
        password: f[1].to_string(),
        uid: f[2].parse().ok()?,
        gid: f[3].parse().ok()?,
        comment: f[4].to_string(),
        home: f[5].to_string(),
        shell: f[6].to_string(),
    })
}

fn parse_shadow(line: &str) -> Shadow {
    let f: Vec<&str> = line.split(':').collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok());
    Shadow {
        hash: f.get(1).map(|s| s.to_string()).unwrap_or_default(),
        min: num(3),
        max: num(4),
        warn: num(5),
        expire: num(7).unwrap_or(-1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_account_its_groups_and_key() {
        let q = Question {
            name: "ann",
            groups: vec!["adm".into(), "1001".into()],
            home: None,
            key_file: Some(".ssh/id_rsa"),
        };
        let out = "passwd\tann:x:1001:1001:Ann:/home/ann:/bin/bash\n\
                   shadow\tann:$6$x$y:20000:0:99999:7:::\n\
                   member\tadm\n\
                   group\tadm\tadm:x:4:ann\n\
                   group\t1001\tann:x:1001:\n\
                   home-exists\n\
                   key\t/home/ann/.ssh/id_rsa\n\
                   key-exists\n\
                   key-fingerprint\t3072 SHA256:abc c (RSA)\n";
        let c = parse(&q, out);
        let p = c.passwd.as_ref().expect("passwd");
        assert_eq!((p.uid, p.gid, p.home.as_str()), (1001, 1001, "/home/ann"));
        assert_eq!(c.password(), "$6$x$y");
        let s = c.shadow.as_ref().expect("shadow");
        assert_eq!((s.expire, s.max), (-1, Some(99999)));
        assert_eq!(c.member_of, vec!["adm".to_string()]);
        assert_eq!(c.group("1001"), Some(&("ann".to_string(), 1001)));
        assert!(c.home_exists && !c.home_parent_is_dir);
        let k = c.key.expect("key");
        assert!(k.exists && !k.pub_exists);
        assert_eq!(k.fingerprint, "3072 SHA256:abc c (RSA)");
    }
}
