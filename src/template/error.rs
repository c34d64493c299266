//! The one error type of templating: what went wrong, in words close to Ansible's, and the line
//! of the template it happened on. Callers prefix the file name, unless the error happened in an
//! included, imported or parent template, which the error names itself.

use std::path::PathBuf;

use minijinja::ErrorKind;

/// What kind of failure a [`TemplateError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateErrorKind {
    /// The template does not parse.
    Syntax,
    /// A variable, attribute or key used by the template does not exist.
    Undefined,
    /// A filter, test or lookup that playhook does not provide.
    Unsupported,
    /// A conditional that did not evaluate to a boolean.
    Conditional,
    /// Anything else that failed while rendering (a filter given bad input, ...).
    Render,
}

/// A template that failed to compile or render.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.describe())]
pub struct TemplateError {
    pub kind: TemplateErrorKind,
    /// Line in the template text, counted from 1, when known.
    pub line: Option<usize>,
    /// The included, imported or parent template the error happened in; `None` for the
    /// template that was rendered.
    pub file: Option<PathBuf>,
    pub message: String,
}

impl TemplateError {
    pub fn new(kind: TemplateErrorKind, message: impl Into<String>) -> Self {
        TemplateError {
            kind,
            line: None,
            file: None,
            message: message.into(),
        }
    }

    pub fn with_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    fn describe(&self) -> String {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => format!("{}:{line}: {}", file.display(), self.message),
            (Some(file), None) => format!("{}: {}", file.display(), self.message),
            (None, Some(line)) => format!("line {line}: {}", self.message),
            (None, None) => self.message.clone(),
        }
    }

    /// `path:line` of where the error happened, given the path of the rendered template.
    pub fn location(&self, rendered: &std::path::Path) -> String {
        let file = self.file.as_deref().unwrap_or(rendered);
        match self.line {
            Some(line) => format!("{}:{line}", file.display()),
            None => file.display().to_string(),
        }
    }

    /// Translates a minijinja error raised while handling `source`.
    pub(crate) fn from_minijinja(err: &minijinja::Error, source: &str) -> Self {
        let line = err.line();
        let kind = match err.kind() {
            ErrorKind::SyntaxError | ErrorKind::BadEscape => TemplateErrorKind::Syntax,
            ErrorKind::UndefinedError => TemplateErrorKind::Undefined,
            ErrorKind::UnknownFilter | ErrorKind::UnknownTest | ErrorKind::UnknownFunction => {
                TemplateErrorKind::Unsupported
            }
            _ => TemplateErrorKind::Render,
        };
        let message = match kind {
            TemplateErrorKind::Undefined => undefined_message(err, source),
            TemplateErrorKind::Syntax => format!(
                "template syntax error: {}",
                err.detail().unwrap_or("invalid syntax")
            ),
            _ => full_detail(err),
        };
        let (kind, message) = match message.find("` is undefined") {
            Some(end) if kind == TemplateErrorKind::Render => {
                let start = message[..end].rfind('`').unwrap_or(end);
                let name = message[start + 1..end].to_string();
                let message = message.replacen(
                    &format!("`{name}` is undefined"),
                    &format!("'{name}' is undefined"),
                    1,
                );
                (TemplateErrorKind::Undefined, message)
            }
            _ => (kind, message),
        };
        TemplateError {
            kind,
            line,
            file: None,
            message,
        }
    }
}

/// The error's own text plus its causes, without minijinja's location suffix.
fn full_detail(err: &minijinja::Error) -> String {
    crate::error_chain::render_with(err, |e| match e.downcast_ref::<minijinja::Error>() {
        Some(inner) => match inner.detail() {
            Some(detail) => detail.to_string(),
            None => inner.kind().to_string(),
        },
        None => e.to_string(),
    })
}

/// Ansible's wording: `'name' is undefined`, naming the expression that failed.
fn undefined_message(err: &minijinja::Error, source: &str) -> String {
    if let Some(detail) = err.detail() {
        if let Some(name) = detail
            .strip_prefix('`')
            .and_then(|d| d.strip_suffix("` is undefined"))
        {
            return match undefined_name(name) {
                Some((base, Some(attr))) => {
                    format!("'{name}' is undefined: '{base}' has no attribute '{attr}'")
                }
                _ => format!("'{name}' is undefined"),
            };
        }
        if detail.contains("is undefined") || detail.contains("has no attribute") {
            return detail.to_string();
        }
    }
    let Some(range) = err.range() else {
        return "a variable is undefined".into();
    };
    let Some(text) = source.get(range) else {
        return "a variable is undefined".into();
    };
    let text = text.trim();
    match undefined_name(text) {
        Some((base, None)) => format!("'{base}' is undefined"),
        Some((base, Some(attr))) => format!("object '{base}' has no attribute '{attr}'"),
        None => format!("'{text}' is undefined"),
    }
}

/// Splits `a.b.c` into (`a.b`, `c`); a bare name yields just the name.
fn undefined_name(text: &str) -> Option<(&str, Option<&str>)> {
    let is_path = text.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.');
    if !is_path || text.is_empty() {
        return None;
    }
    match text.rsplit_once('.') {
        Some((base, attr)) => Some((base, Some(attr))),
        None => Some((text, None)),
    }
}
