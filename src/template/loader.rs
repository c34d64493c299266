//! The minijinja loader behind `{% include %}`, `{% import %}` and `{% extends %}` in template
//! files, and the translation of errors raised inside the templates it loaded so that they name
//! that template's file and line.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use minijinja::{Environment, Error, ErrorKind};

use super::error::TemplateError;
use super::search::SearchPath;
use super::{check, fqcn};

/// The templates loaded during one render, by the name they were asked for: their file and the
/// text minijinja compiled.
#[derive(Clone, Default)]
pub(crate) struct Loaded(Arc<Mutex<BTreeMap<String, (PathBuf, String)>>>);

impl Loaded {
    fn get(&self, name: &str) -> Option<(PathBuf, String)> {
        self.0.lock().ok()?.get(name).cloned()
    }
}

/// Makes `env` load templates from `search`, prepared as the rendered template is (line endings,
/// `ansible.builtin.` names, undefined-tolerant chains).
pub(crate) fn install(env: &mut Environment<'static>, search: SearchPath) -> Loaded {
    let loaded = Loaded::default();
    let record = loaded.clone();
    let syntax = env.syntax().clone();
    env.set_loader(move |name| {
        let Some(path) = search.resolve(name) else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("cannot read template {}: {e}", path.display()),
            )
        })?;
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        if let Err(e) = super::depth::check_template(&text) {
            return Err(Error::new(
                ErrorKind::SyntaxError,
                format!("{}:{}: {}", path.display(), e.line.unwrap_or(1), e.message),
            ));
        }
        let text = fqcn::strip(&text).unwrap_or(text);
        let text = check::rewrite_template(&syntax, &text).unwrap_or(text);
        if let Ok(mut map) = record.0.lock() {
            map.insert(name.to_string(), (path, text.clone()));
        }
        Ok(Some(text))
    });
    loaded
}

/// Translates an error from rendering `main` (the template text itself) with `loaded` templates
/// reachable through `search`: the error names the template it happened in and its line there.
pub(crate) fn translate(err: &Error, main: &str, loaded: &Loaded, search: &SearchPath) -> TemplateError {
    let mut inner = err;
    while inner.kind() == ErrorKind::BadInclude {
        match std::error::Error::source(inner).and_then(|s| s.downcast_ref::<Error>()) {
            Some(cause) => inner = cause,
            None => break,
        }
    }
    let found = inner.name().and_then(|name| loaded.get(name));
    let text = found.as_ref().map_or(main, |(_, text)| text.as_str());
    let mut error = TemplateError::from_minijinja(inner, text);
    error.file = found.map(|(path, _)| path);
    if inner.kind() == ErrorKind::TemplateNotFound {
        let detail = inner.detail().unwrap_or_default();
        let wanted = quoted(detail).unwrap_or(detail);
        error.message = format!(
            "template '{wanted}' not found in the template search path: {search}; create it in one \
             of these directories (usually the role's or the playbook's templates/), or write \
             `ignore missing` after the name of an include that may be absent"
        );
    }
    error
}

/// The first `'...'` or `"..."` in minijinja's message: the name of the missing template.
fn quoted(detail: &str) -> Option<&str> {
    let start = detail.find(['\'', '"'])?;
    let quote = detail[start..].chars().next()?;
    let rest = &detail[start + 1..];
    rest.find(quote).map(|end| &rest[..end])
}

#[cfg(test)]
mod tests {
    use minijinja::Value;

    use crate::template::{Engine, SearchPath, TemplateErrorKind, TemplateOverrides};

    fn render(
        files: &[(&str, &str)],
        main: &str,
    ) -> (tempfile::TempDir, Result<String, super::TemplateError>) {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        let search = SearchPath::new(vec![dir.path().to_path_buf()]);
        let vars = Value::from(minijinja::value::Serde(
            serde_json::json!({"d": {"a": 1}, "which": "dyn.j2", "l": [1, 2]}),
        ));
        let got = Engine::default().render_file(main, &vars, TemplateOverrides::default(), &search);
        (dir, got)
    }

    #[test]
    fn included_templates_render_with_the_same_variables() {
        let (_dir, got) = render(
            &[("inc.j2", "<{{ x }}:{{ d.a }}>\n"), ("dyn.j2", "dyn\r\n")],
            "{% for x in l %}{% include 'inc.j2' %}{% endfor %}\n{% include which %}|{% include 'no.j2' ignore missing %}\n",
        );
        assert_eq!(got.map_err(|e| e.to_string()).as_deref(), Ok("<1:1><2:1>dyn|\n"));
    }

    #[test]
    fn errors_in_included_templates_name_the_file_and_line() {
        let (dir, got) = render(
            &[("inc.j2", "ok\n\n{{ d.nope }}\n")],
            "a\n{% include 'inc.j2' %}\n",
        );
        let err = got.expect_err("undefined in the included template");
        assert_eq!(err.kind, TemplateErrorKind::Undefined);
        assert_eq!(err.file, Some(dir.path().join("inc.j2")));
        assert_eq!(err.line, Some(3));
        assert_eq!(err.message, "'d.nope' is undefined: 'd' has no attribute 'nope'");
    }

    #[test]
    fn a_missing_template_names_the_search_path() {
        let (dir, got) = render(&[], "a\n\n{% include which %}\n");
        let err = got.expect_err("missing");
        assert_eq!((err.file.as_ref(), err.line), (None, Some(3)));
        assert!(
            err.message.starts_with(&format!(
                "template 'dyn.j2' not found in the template search path: {};",
                dir.path().display()
            )),
            "{}",
            err.message
        );
        let (_dir, got) = render(&[], "{% import 'm.j2' as m %}");
        assert!(
            got.expect_err("missing")
                .message
                .starts_with("template 'm.j2' not found")
        );
    }

    #[test]
    fn endless_recursion_is_an_error() {
        let (dir, got) = render(
            &[("loop.j2", "x{% include which2 | default('loop.j2') %}")],
            "{% include 'loop.j2' %}",
        );
        let err = got.expect_err("endless include");
        assert_eq!(err.file, Some(dir.path().join("loop.j2")));
        assert!(err.message.contains("recursion"), "{}", err.message);
    }
}
