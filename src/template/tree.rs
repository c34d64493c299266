//! Checking a template file together with every template it includes, imports or extends,
//! before anything runs: each file is checked where it is, missing templates and endless
//! cycles are reported at the line that refers to them, and a template imported without
//! context may not read the task's variables (Ansible gives it none).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::check::{CheckReport, FUNCTIONS, Reference};
use super::engine::Engine;
use super::search::SearchPath;

/// Names every template can read, with or without context.
const GLOBALS: &[&str] = &["omit"];

/// One template of the tree, checked.
#[derive(Debug)]
pub struct CheckedFile {
    pub path: PathBuf,
    pub source: String,
    pub report: CheckReport,
    /// Names set by the templates that include this one, which it can read.
    pub inherited: BTreeSet<String>,
    /// Imported without context: it reads no variable of the task, and any it reads is already
    /// one of [`TreeCheck::problems`].
    pub isolated: bool,
}

/// A problem in one template of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub path: PathBuf,
    /// Counted from 1; 0 when the whole file is meant.
    pub line: usize,
    pub message: String,
}

/// The result of [`check_tree`].
#[derive(Debug, Default)]
pub struct TreeCheck {
    pub files: Vec<CheckedFile>,
    pub problems: Vec<FileProblem>,
}

/// Checks the template `root` and, recursively, the templates it refers to through `search`.
pub fn check_tree(engine: &Engine, root: &Path, search: &SearchPath) -> TreeCheck {
    let mut walk = Walk {
        engine,
        search,
        out: TreeCheck::default(),
        stack: Vec::new(),
        seen: BTreeSet::new(),
    };
    walk.visit(root, BTreeSet::new(), None, false);
    walk.out
}

struct Walk<'a> {
    engine: &'a Engine,
    search: &'a SearchPath,
    out: TreeCheck,
    /// The templates being checked, outermost first, each with whether it was reached from a
    /// conditional reference.
    stack: Vec<(PathBuf, bool)>,
    seen: BTreeSet<PathBuf>,
}

impl Walk<'_> {
    fn problem(&mut self, path: &Path, line: usize, message: String) {
        self.out.problems.push(FileProblem {
            path: path.to_path_buf(),
            line,
            message,
        });
    }

    /// `isolated` is the `file:line` of an import without context that led here.
    fn visit(
        &mut self,
        path: &Path,
        inherited: BTreeSet<String>,
        isolated: Option<String>,
        conditional: bool,
    ) {
        self.seen.insert(path.to_path_buf());
        let source = match std::fs::read_to_string(path) {
            Ok(text) => text.replace("\r\n", "\n").replace('\r', "\n"),
            Err(e) => {
                self.problem(path, 0, format!("cannot read the template: {e}"));
                return;
            }
        };
        let report = match self.engine.check_template(&source) {
            Ok(report) => report,
            Err(e) => {
                self.problem(path, e.line.unwrap_or(0), e.message);
                return;
            }
        };
        if let Some(importer) = &isolated {
            for (name, line) in &report.variable_lines {
                if !GLOBALS.contains(&name.as_str()) && !FUNCTIONS.contains(&name.as_str()) {
                    self.problem(
                        path,
                        *line,
                        format!(
                            "'{name}' is undefined: {importer} imports this template without context, \
                             and Ansible gives such a template no variables; add `with context` to that \
                             import, or pass the value to the macro as an argument"
                        ),
                    );
                }
            }
        }
        self.stack.push((path.to_path_buf(), conditional));
        let mut visible = inherited.clone();
        visible.extend(report.assigned.iter().cloned());
        for reference in &report.references {
            self.follow(path, reference, &visible);
        }
        self.stack.pop();
        self.out.files.push(CheckedFile {
            path: path.to_path_buf(),
            source,
            report,
            inherited,
            isolated: isolated.is_some(),
        });
    }

    fn follow(&mut self, from: &Path, reference: &Reference, visible: &BTreeSet<String>) {
        if reference.names.is_empty() {
            // A computed name: known only when the template renders.
            return;
        }
        let Some(target) = reference.names.iter().find_map(|n| self.search.resolve(n)) else {
            if !reference.ignore_missing {
                let names: Vec<String> = reference.names.iter().map(|n| format!("'{n}'")).collect();
                self.problem(
                    from,
                    reference.line,
                    format!(
                        "`{{% {} %}}`: template {} not found in the template search path: {}; create it \
                         in one of these directories (usually the role's or the playbook's templates/), \
                         or write `ignore missing` after the name of an include that may be absent",
                        reference.kind.tag(),
                        names.join(" or "),
                        self.search
                    ),
                );
            }
            return;
        };
        if let Some(start) = self.stack.iter().position(|(p, _)| *p == target) {
            let always = !reference.conditional && self.stack[start + 1..].iter().all(|(_, c)| !c);
            if always {
                let mut cycle: Vec<String> = self.stack[start..]
                    .iter()
                    .map(|(p, _)| p.display().to_string())
                    .collect();
                cycle.push(target.display().to_string());
                self.problem(
                    from,
                    reference.line,
                    format!(
                        "`{{% {} %}}` makes an endless cycle: {}; put the reference under a condition \
                         or remove it",
                        reference.kind.tag(),
                        cycle.join(" -> ")
                    ),
                );
            }
            return;
        }
        if self.seen.contains(&target) {
            return;
        }
        let (inherited, isolated) = if reference.with_context {
            (visible.clone(), None)
        } else {
            (
                BTreeSet::new(),
                Some(format!("{}:{}", from.display(), reference.line)),
            )
        };
        self.visit(&target, inherited, isolated, reference.conditional);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, TreeCheck) {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        let search = SearchPath::new(vec![dir.path().to_path_buf()]);
        let check = check_tree(&Engine::default(), &dir.path().join(files[0].0), &search);
        (dir, check)
    }

    fn messages(check: &TreeCheck) -> Vec<String> {
        check
            .problems
            .iter()
            .map(|p| {
                let name = p.path.file_name().expect("name").to_string_lossy();
                format!("{name}:{}: {}", p.line, p.message)
            })
            .collect()
    }

    #[test]
    fn follows_includes_imports_and_parents() {
        let (_dir, check) = tree(&[
            (
                "t.j2",
                "{% extends 'base.j2' %}{% block b %}{% include 'inc.j2' %}{% endblock %}",
            ),
            (
                "base.j2",
                "{% import 'm.j2' as m %}{% block b %}{% endblock %}{{ m.f(1) }}",
            ),
            ("inc.j2", "{% for x in [1] %}{{ x }}{% endfor %}"),
            ("m.j2", "{% macro f(a) %}{{ a }}{% endmacro %}"),
        ]);
        assert_eq!(messages(&check), Vec::<String>::new());
        let mut names: Vec<String> = check
            .files
            .iter()
            .map(|f| f.path.file_name().expect("name").to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["base.j2", "inc.j2", "m.j2", "t.j2"]);
    }

    #[test]
    fn problems_in_included_files_name_that_file_and_line() {
        let (_dir, check) = tree(&[
            (
                "t.j2",
                "a\n{% include 'inc.j2' %}\n{% include 'gone.j2' %}\n{% include 'opt.j2' ignore missing %}",
            ),
            ("inc.j2", "x\n\n{{ v | frobnicate }}"),
        ]);
        let got = messages(&check);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got[0].starts_with("inc.j2:3: unknown filter 'frobnicate'"),
            "{got:?}"
        );
        assert!(
            got[1].starts_with(
                "t.j2:3: `{% include %}`: template 'gone.j2' not found in the template search path: /"
            ),
            "{got:?}"
        );
    }

    #[test]
    fn included_templates_see_what_the_includer_sets() {
        let (_dir, check) = tree(&[
            ("t.j2", "{% for item in l %}{% include 'inc.j2' %}{% endfor %}"),
            ("inc.j2", "{{ item }} {{ other }}"),
        ]);
        let inc = check
            .files
            .iter()
            .find(|f| f.path.ends_with("inc.j2"))
            .expect("inc.j2 checked");
        assert!(inc.inherited.contains("item"));
        assert!(inc.report.variables.contains("other"));
    }

    #[test]
    fn imports_without_context_may_not_read_variables() {
        let (_dir, check) = tree(&[
            (
                "t.j2",
                "{% import 'm.j2' as m %}\n{% from 'w.j2' import g with context %}{{ m.f() }}{{ g() }}",
            ),
            (
                "m.j2",
                "{% macro f() %}\n{{ hv | default('x') }} {{ omit }}{% endmacro %}",
            ),
            ("w.j2", "{% macro g() %}{{ hv }}{% endmacro %}"),
        ]);
        let got = messages(&check);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with("m.j2:2: 'hv' is undefined: "), "{got:?}");
        assert!(
            got[0].contains("t.j2:1 imports this template without context"),
            "{got:?}"
        );
    }

    #[test]
    fn endless_cycles_are_reported_and_recursion_under_a_condition_is_not() {
        let (_dir, check) = tree(&[
            ("a.j2", "x\n{% include 'b.j2' %}"),
            ("b.j2", "{% include 'a.j2' %}"),
        ]);
        let got = messages(&check);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("b.j2:1: `{% include %}` makes an endless cycle: "),
            "{got:?}"
        );
        let (_dir, check) = tree(&[(
            "node.j2",
            "{{ n.name }}{% for n in n.children %}{% include 'node.j2' %}{% endfor %}",
        )]);
        assert_eq!(messages(&check), Vec::<String>::new());
    }
}
