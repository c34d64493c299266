//! Jinja templating as Ansible does it: minijinja configured like Ansible's template module,
//! Ansible's filters, tests and lookups, and values printed the way Python prints them.
//!
//! Entry point: [`Engine`]. `render_str` renders a template file, `template_value` templates a
//! task's arguments (a lone `{{ expr }}` keeps its native type), `eval_condition` evaluates
//! `when:`; `check_source` validates a template before anything runs. `render_file` renders a
//! template file whose includes, imports and parents are found through a [`SearchPath`];
//! [`check_tree`] checks such a file together with every template it reaches.

mod check;
mod condition;
pub mod datetime;
mod depth;
mod engine;
mod error;
pub mod filters;
mod fqcn;
mod jinja_tests;
mod loader;
pub mod lookups;
mod methods;
mod native;
pub(crate) mod python;
mod search;
mod spaces;
mod strftime;
mod tree;
mod version;

pub use check::{CheckReport, FUNCTIONS, Reference, ReferenceKind};
pub use engine::{Engine, EngineOptions, TemplateOverrides};
pub use error::{TemplateError, TemplateErrorKind};
pub use python::{float_repr, python_repr, python_str, type_name};
pub use search::SearchPath;
pub use tree::{CheckedFile, FileProblem, TreeCheck, check_tree};

/// The value of Ansible's `omit` variable: a task argument that templates to exactly this string
/// is left out, as if it had not been written (`mode: "{{ m | default(omit) }}"`).
pub const OMIT: &str = "__omit_place_holder__playhook";

/// Names of every filter templates may use.
pub fn supported_filters() -> &'static [&'static str] {
    filters::NAMES
}

/// Names of every test templates may use.
pub fn supported_tests() -> &'static [&'static str] {
    jinja_tests::NAMES
}

/// Names of every lookup templates may use.
pub fn supported_lookups() -> Vec<&'static str> {
    lookups::names()
}

/// An ordered map of values, as templates build them (`Value::from_object(map)`).
pub type ValueMap = indexmap::IndexMap<minijinja::Value, minijinja::Value>;

/// Renders `src` with no variables and the default engine, its error as text: for the filters'
/// unit tests.
#[cfg(test)]
pub(crate) fn render_without_vars(src: &str) -> Result<String, String> {
    Engine::default()
        .render_str(src, &minijinja::Value::from(()))
        .map_err(|e| e.to_string())
}
