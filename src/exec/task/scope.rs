//! Keywords evaluated against a task's variables: its shown name, `when`-style conditions,
//! boolean and numeric keywords, and error messages that name the variable that failed.

use std::sync::Arc;

use minijinja::Value;

use super::super::Runner;
use super::super::lazy::LazyVars;
use crate::repo::task::Task;
use crate::truthy::boolean;

impl Runner<'_> {
    /// The task's name as shown: templated with the host's variables, as Ansible does.
    pub(in crate::exec) fn title(&self, task: &Task, lazy: &Arc<LazyVars>) -> String {
        let plain = task.display_name();
        if !plain.contains("{{") {
            return plain;
        }
        self.engine.render_str(&plain, &lazy.context()).unwrap_or(plain)
    }

    /// Evaluates `when`-style conditions (all must hold).
    pub(in crate::exec) fn conditions(&self, conds: &[Value], lazy: &Arc<LazyVars>) -> Result<bool, String> {
        let ctx = lazy.context();
        for cond in conds {
            let literal = match cond.kind() {
                minijinja::value::ValueKind::None | minijinja::value::ValueKind::Undefined => Some(false),
                minijinja::value::ValueKind::String => None,
                _ => boolean(cond),
            };
            if let Some(b) = literal {
                if !b {
                    return Ok(false);
                }
                continue;
            }
            let text = display(cond);
            match self.engine.eval_condition(&text, &ctx) {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e) => return Err(self.explain(lazy, &format!("condition `{text}`: {e}"))),
            }
        }
        Ok(true)
    }

    /// A keyword that may be templated and must be a boolean.
    pub(in crate::exec) fn flag(&self, value: &Option<Value>, lazy: &Arc<LazyVars>) -> Option<bool> {
        let v = value.as_ref()?;
        let v = self.engine.template_value(v, &lazy.context()).ok()?;
        boolean(&v).or(Some(v.is_true()))
    }

    pub(in crate::exec) fn number(&self, value: &Value, lazy: &Arc<LazyVars>) -> Option<u64> {
        let v = self.engine.template_value(value, &lazy.context()).ok()?;
        u64::try_from(v.clone())
            .ok()
            .or_else(|| v.as_str()?.trim().parse().ok())
    }

    pub(in crate::exec) fn template_failure(
        &self,
        task: &Task,
        lazy: &Arc<LazyVars>,
        message: &str,
    ) -> String {
        format!("{}: {}", task.loc, self.explain(lazy, message))
    }

    /// Prefers the error met while templating a variable over a bare "undefined".
    pub(in crate::exec) fn explain(&self, lazy: &Arc<LazyVars>, message: &str) -> String {
        match lazy.take_error() {
            Some((name, e)) => {
                let at = self
                    .opts
                    .var_sources
                    .find(&name, lazy.raw(&name).as_ref())
                    .map(|loc| format!(" ({loc})"))
                    .unwrap_or_default();
                if message.contains(&format!("'{name}' is undefined")) {
                    // The variable is not undefined: its value failed to render.
                    format!("variable `{name}`{at} cannot be templated: {e}")
                } else {
                    format!("{message} (while templating variable `{name}`{at}: {e})")
                }
            }
            None => message.to_string(),
        }
    }
}

/// A value as text: strings as they are, anything else as Python would print it.
pub(in crate::exec) fn display(v: &Value) -> String {
    match v.as_str() {
        Some(s) => s.to_string(),
        None => crate::template::python_repr(v),
    }
}

pub(in crate::exec) fn condition_text(conds: &[Value]) -> String {
    conds.iter().map(display).collect::<Vec<_>>().join(" and ")
}
