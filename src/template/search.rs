//! Where `{% include %}`, `{% import %}` and `{% extends %}` find their templates: the search
//! path Ansible's `template` action gives Jinja, and name resolution as Jinja's file loader does.

use std::fmt;
use std::path::{Path, PathBuf};

/// The directories a template's includes are looked up in, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPath {
    dirs: Vec<PathBuf>,
}

impl SearchPath {
    /// The search path of the `template` module: for each of the role directory, the directory
    /// of the task's file, the playbook directory and the directory of the template being
    /// rendered, its `templates/` subdirectory and then the directory itself.
    pub fn for_template(
        role: Option<&Path>,
        task_dir: Option<&Path>,
        playbook_dir: &Path,
        template: &Path,
    ) -> Self {
        let bases = role
            .into_iter()
            .chain(task_dir)
            .chain([playbook_dir])
            .chain(template.parent());
        let mut dirs: Vec<PathBuf> = Vec::new();
        for base in bases {
            for dir in [base.join("templates"), base.to_path_buf()] {
                if !dirs.contains(&dir) {
                    dirs.push(dir);
                }
            }
        }
        SearchPath { dirs }
    }

    /// A search path made of exactly these directories.
    pub fn new(dirs: Vec<PathBuf>) -> Self {
        SearchPath { dirs }
    }

    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The file a template name refers to: the name's segments joined to each directory in turn,
    /// the first existing file wins. As Jinja's loader, `..` is refused and a leading `/` or `.`
    /// segments are ignored.
    pub fn resolve(&self, name: &str) -> Option<PathBuf> {
        let mut relative = PathBuf::new();
        for piece in name.split('/') {
            match piece {
                ".." => return None,
                "" | "." => {}
                other => relative.push(other),
            }
        }
        if relative.as_os_str().is_empty() {
            return None;
        }
        self.dirs.iter().map(|d| d.join(&relative)).find(|p| p.is_file())
    }
}

impl fmt::Display for SearchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, dir) in self.dirs.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", dir.display())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_template_search_order() {
        let search = SearchPath::for_template(
            Some(Path::new("/p/roles/r")),
            Some(Path::new("/p/roles/r/tasks")),
            Path::new("/p"),
            Path::new("/p/roles/r/templates/t.j2"),
        );
        let want: Vec<PathBuf> = [
            "/p/roles/r/templates",
            "/p/roles/r",
            "/p/roles/r/tasks/templates",
            "/p/roles/r/tasks",
            "/p/templates",
            "/p",
            "/p/roles/r/templates/templates",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(search.dirs(), want.as_slice());
    }

    #[test]
    fn resolves_first_match_and_refuses_parent_segments() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(a.join("sub")).expect("mkdir");
        std::fs::create_dir_all(&b).expect("mkdir");
        std::fs::write(b.join("x.j2"), "b").expect("write");
        std::fs::write(a.join("sub/y.j2"), "a").expect("write");
        std::fs::write(dir.path().join("z.j2"), "z").expect("write");
        let search = SearchPath::new(vec![a.clone(), b.clone()]);
        assert_eq!(search.resolve("x.j2"), Some(b.join("x.j2")));
        assert_eq!(search.resolve("./sub/y.j2"), Some(a.join("sub/y.j2")));
        assert_eq!(search.resolve("/sub/y.j2"), Some(a.join("sub/y.j2")));
        assert_eq!(search.resolve("../z.j2"), None);
        assert_eq!(search.resolve("sub"), None, "a directory is not a template");
    }
}
