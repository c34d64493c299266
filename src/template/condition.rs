//! Ansible conditionals (`when`, `changed_when`, `failed_when`, `assert`): a bare expression
//! whose result must be a boolean. A condition wholly inside `{{ }}` is templated first and its
//! text used as the expression, as Ansible allows.

use minijinja::Value;
use minijinja::value::ValueKind;

use super::engine::Engine;
use super::error::{TemplateError, TemplateErrorKind};
use super::python;

/// Evaluates one condition string.
pub fn evaluate(engine: &Engine, expr: &str, vars: &Value) -> Result<bool, TemplateError> {
    let trimmed = expr.trim();
    if trimmed.is_empty() {
        return Ok(true);
    }
    let expression = if trimmed.starts_with("{{") && trimmed.ends_with("}}") {
        let value = engine
            .template_value(&Value::from(trimmed), vars)
            .map_err(|e| conditional_error(e, expr))?;
        match value.as_str() {
            Some(text) if !text.trim().is_empty() => text.trim().to_string(),
            Some(_) => return Ok(true),
            None => return to_bool(&value, expr),
        }
    } else {
        trimmed.to_string()
    };
    let value = engine
        .eval_expression(&expression, vars)
        .map_err(|e| conditional_error(e, expr))?;
    to_bool(&value, expr)
}

/// Evaluates a condition given as a YAML value: a boolean, `None` (true) or an expression.
pub fn evaluate_value(engine: &Engine, cond: &Value, vars: &Value) -> Result<bool, TemplateError> {
    match cond.kind() {
        ValueKind::Bool => Ok(cond.is_true()),
        ValueKind::None | ValueKind::Undefined => Ok(true),
        ValueKind::String => evaluate(engine, cond.as_str().unwrap_or_default(), vars),
        _ => Err(TemplateError::new(
            TemplateErrorKind::Conditional,
            format!(
                "Conditional expressions must be strings, got {} ({})",
                python::python_repr(cond),
                python::type_name(cond)
            ),
        )),
    }
}

fn to_bool(value: &Value, expr: &str) -> Result<bool, TemplateError> {
    if value.kind() == ValueKind::Bool {
        return Ok(value.is_true());
    }
    Err(TemplateError::new(
        TemplateErrorKind::Conditional,
        format!(
            "Conditional result ({}) was derived from value of type '{}' in `{}`. \
             Conditionals must have a boolean result; compare explicitly (for example \
             `x | length > 0` or `x | bool`).",
            if value.is_true() { "True" } else { "False" },
            python::type_name(value),
            expr.trim()
        ),
    ))
}

fn conditional_error(mut e: TemplateError, expr: &str) -> TemplateError {
    e.message = format!(
        "error while evaluating conditional ({}): {}",
        expr.trim(),
        e.message
    );
    e
}
