//! `template`: a controller template (searched in `templates/`) rendered with the task's
//! variables, as the `template` module would render it.

use minijinja::value::ValueKind;
use minijinja::{Error, Value};

use super::search::find;
use super::{Ctx, fail, string_terms};

pub(crate) fn template(ctx: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let mut vars: Vec<(String, Value)> = Vec::new();
    for name in ctx.state.known_variables() {
        if let Some(v) = ctx.var(&name) {
            vars.push((name.into_owned(), v));
        }
    }
    if let Some(extra) = ctx.kwarg("template_vars")?.filter(|v| v.kind() == ValueKind::Map) {
        for (k, v) in crate::value::entries(&extra) {
            vars.push((k.to_string(), v));
        }
    }
    let context = crate::value::map_of(vars);
    let mut out = Vec::new();
    for term in string_terms(&terms)? {
        let path = find(ctx, Some("templates"), &term).ok_or_else(|| {
            fail(format!(
                "the template file {term} could not be found for the lookup"
            ))
        })?;
        let source = std::fs::read_to_string(&path)
            .map_err(|e| fail(format!("cannot read the template `{}`: {e}", path.display())))?;
        let env = ctx.state.env();
        let short = crate::template::fqcn::strip(&source);
        let body = short.as_deref().unwrap_or(&source);
        let rewritten = crate::template::check::rewrite_template(env.syntax(), body);
        let text = rewritten.as_deref().unwrap_or(body);
        let mut rendered = env.render_str(text, &context)?;
        if source.ends_with('\n') && !rendered.ends_with('\n') {
            rendered.push('\n');
        }
        out.push(Value::from(rendered));
    }
    Ok(out)
}
