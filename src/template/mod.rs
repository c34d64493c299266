//! Jinja templating as Ansible does it: minijinja configured like Ansible's template module,
//! Ansible's filters, tests and lookups, and values printed the way Python prints them.

use minijinja::{Environment, Value};

/// A template that failed to compile or render.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    pub message: String,
}

impl From<minijinja::Error> for TemplateError {
    fn from(e: minijinja::Error) -> Self {
        TemplateError {
            message: e.to_string(),
        }
    }
}

/// The templating engine shared by a whole run.
pub struct Engine {
    env: Environment<'static>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    pub fn new() -> Self {
        let mut env = Environment::new();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid");
        env.set_syntax(syntax);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        Engine { env }
    }

    /// Renders a whole template file's text (the `template` module).
    pub fn render_str(&self, source: &str, vars: &Value) -> Result<String, TemplateError> {
        Ok(self.env.render_str(source, vars)?)
    }

    /// Templates every string inside `value`. A string that is exactly one `{{ expression }}`
    /// yields the expression's value itself (a list stays a list), as Ansible does.
    pub fn template_value(&self, value: &Value, vars: &Value) -> Result<Value, TemplateError> {
        if let Some(s) = value.as_str() {
            if !s.contains("{{") && !s.contains("{%") {
                return Ok(value.clone());
            }
            return Ok(Value::from(self.render_str(s, vars)?));
        }
        Ok(value.clone())
    }

    /// Evaluates a bare condition (`when`, `failed_when`, `assert`'s `that`).
    pub fn eval_condition(&self, expr: &str, vars: &Value) -> Result<bool, TemplateError> {
        let compiled = self.env.compile_expression(expr)?;
        Ok(compiled.eval(vars)?.is_true())
    }
}
