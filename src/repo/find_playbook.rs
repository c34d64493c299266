//! Which file is the playbook: `--playbook`, else `[playhook] playbook` in `ansible.cfg`, else
//! the first default name that exists; when none does, the YAML files that look like playbooks
//! are listed with how to pick one.

use std::path::{Path, PathBuf};

use crate::loc::Loc;
use crate::modules::registry::is_builtin;
use crate::yaml;

use super::error::LoadError;

/// Playbook file names tried, in order, when none is given.
pub const DEFAULT_PLAYBOOKS: &[&str] = &[
    "deploy.yaml",
    "deploy.yml",
    "site.yml",
    "site.yaml",
    "playbook.yml",
    "playbook.yaml",
];

/// The folder besides the top that is searched for playbooks to suggest.
const PLAYBOOKS_DIR: &str = "playbooks";

/// Finds the playbook: `explicit` (relative to `dir`) if given, else `configured` (the
/// `[playhook] playbook` setting and where it is written), else the first of
/// [`DEFAULT_PLAYBOOKS`] in `dir`.
pub fn find_playbook(
    dir: &Path,
    explicit: Option<&Path>,
    configured: Option<(&Path, &Loc)>,
) -> Result<PathBuf, LoadError> {
    if let Some(p) = explicit {
        let p = dir.join(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(LoadError::Other(format!("playbook `{}` not found", p.display())))
        };
    }
    if let Some((p, loc)) = configured {
        let p = dir.join(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(LoadError::at(
                loc,
                format!("`playbook`: `{}` not found", p.display()),
            ))
        };
    }
    if let Some(found) = DEFAULT_PLAYBOOKS
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
    {
        return Ok(found);
    }
    Err(LoadError::Other(no_playbook_message(dir)))
}

/// The error when no default playbook exists: what looks like a playbook, and how to pick it.
fn no_playbook_message(dir: &Path) -> String {
    let mut text = format!(
        "no playbook in `{}`: none of {} exists",
        dir.display(),
        DEFAULT_PLAYBOOKS.join(", ")
    );
    let candidates = candidates(dir);
    let Some(first) = candidates.first() else {
        text.push_str(&format!(
            "\n  and no YAML file here or in {PLAYBOOKS_DIR}/ looks like a playbook (a list of plays with `hosts:`);\n  \
             pass the playbook with --playbook FILE"
        ));
        return text;
    };
    text.push_str(&format!(
        "\n  these look like playbooks: {}\n  \
         pick one with `--playbook {first}`, or for every command and the git hook, in ansible.cfg:\n    \
         [playhook]\n    playbook = {first}",
        candidates.join(", ")
    ));
    text
}

/// The YAML files at the top of `dir` and in `dir/playbooks/` that look like playbooks, as
/// paths relative to `dir`, sorted.
pub fn candidates(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for sub in [None, Some(PLAYBOOKS_DIR)] {
        let folder = sub.map_or_else(|| dir.to_path_buf(), |s| dir.join(s));
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
            .filter(|n| looks_like_playbook(&folder.join(n)))
            .collect();
        names.sort();
        found.extend(names.into_iter().map(|n| match sub {
            Some(s) => format!("{s}/{n}"),
            None => n,
        }));
    }
    found
}

/// A non-empty list of mappings, one of them a play (`hosts:`) or an `import_playbook`.
fn looks_like_playbook(path: &Path) -> bool {
    let Ok(Some(doc)) = yaml::load_file(path) else {
        return false;
    };
    let Some(items) = doc.as_seq() else {
        return false;
    };
    let maps: Option<Vec<_>> = items.iter().map(|i| i.as_map()).collect();
    maps.is_some_and(|maps| {
        maps.iter().any(|m| {
            m.iter()
                .any(|(k, _)| k == "hosts" || is_builtin(k, "import_playbook"))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_plays_at_the_top_and_in_playbooks() {
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |rel: &str, text: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        };
        write("main.yml", "- hosts: all\n  tasks: []\n");
        write("local.yaml", "- ansible.builtin.import_playbook: main.yml\n");
        write("vars.yml", "a: 1\n");
        write("tasks.yml", "- debug: msg=x\n");
        write("broken.yml", "- [unclosed\n");
        write("playbooks/web.yml", "- name: web\n  hosts: web\n");
        write("roles/r/tasks/main.yml", "- hosts: all\n");
        assert_eq!(
            candidates(dir.path()),
            ["local.yaml", "main.yml", "playbooks/web.yml"]
        );
        let err = find_playbook(dir.path(), None, None).expect_err("no default");
        let text = err.to_string();
        assert!(
            text.contains("these look like playbooks: local.yaml, main.yml, playbooks/web.yml"),
            "{text}"
        );
        assert!(text.contains("--playbook local.yaml"), "{text}");
    }
}
