//! The `user` collector: `user_id`, `user_uid`, `user_gid`, `user_gecos`, `user_dir` and
//! `user_shell` of the user the facts are gathered as, from `id` and the passwd entry.

use minijinja::Value;

use super::Facts;
use super::sections::{Sections, Snippet};

const ID: Snippet = Snippet {
    name: "user",
    script: r#"ph_s id
ph_id=$(id); printf '%s\n' "$ph_id"
ph_uid=${ph_id#uid=}; ph_uid=${ph_uid%%[!0-9]*}
ph_s passwd
getent passwd "$ph_uid" 2>/dev/null || ph_cat /etc/passwd
"#,
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&ID];

/// The facts this collector sets.
pub const FACTS: &[&str] = &[
    "user_id",
    "user_uid",
    "user_gid",
    "user_gecos",
    "user_dir",
    "user_shell",
];

/// Parses the user sections into `facts`.
pub fn parse(sections: &Sections, facts: &mut Facts) {
    let (user_name, uid, gid) = parse_id(sections.get("id"));
    let passwd_line = sections.get("passwd").lines().find(|l| {
        let f: Vec<&str> = l.split(':').collect();
        f.len() >= 7 && uid.is_some_and(|u| f[2] == u.to_string())
    });
    let user_id = user_name.or_else(|| passwd_line.map(|l| l.split(':').next().unwrap_or("").to_string()));
    facts.insert("user_id".into(), Value::from(user_id.unwrap_or_default()));
    if let Some(uid) = uid {
        facts.insert("user_uid".into(), Value::from(uid));
    }
    if let Some(gid) = gid {
        facts.insert("user_gid".into(), Value::from(gid));
    }
    if let Some(line) = passwd_line {
        let parts: Vec<&str> = line.split(':').collect();
        if parts.len() >= 7 {
            facts.insert("user_gecos".into(), Value::from(parts[4]));
            facts.insert("user_dir".into(), Value::from(parts[5]));
            facts.insert("user_shell".into(), Value::from(parts[6]));
        }
    }
}

/// `id` output (`uid=0(root) gid=0(root) groups=...`): user name, uid, gid.
fn parse_id(text: &str) -> (Option<String>, Option<i64>, Option<i64>) {
    let mut name = None;
    let mut uid = None;
    let mut gid = None;
    for field in text.split_whitespace() {
        let Some((key, value)) = field.split_once('=') else {
            continue;
        };
        let number = value.split('(').next().and_then(|n| n.parse().ok());
        match key {
            "uid" => {
                uid = number;
                name = value
                    .split_once('(')
                    .and_then(|(_, rest)| rest.strip_suffix(')'))
                    .map(str::to_string);
            }
            "gid" => gid = number,
            _ => {}
        }
    }
    (name, uid, gid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_output() {
        assert_eq!(
            parse_id("uid=1000(deploy) gid=1001(staff) groups=1001(staff),27(sudo)"),
            (Some("deploy".to_string()), Some(1000), Some(1001))
        );
        assert_eq!(
            parse_id("uid=1234 gid=1234 groups=1234"),
            (None, Some(1234), Some(1234))
        );
    }
}
