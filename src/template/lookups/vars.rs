//! Lookups that read variables: `vars` (a variable's value by name, with `default`),
//! `varnames` (the names matching regular expressions) and `env` (the controller's environment).

use minijinja::{Error, Value};

use super::{Ctx, fail, string_terms};

pub(crate) fn env(ctx: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let default = ctx.kwarg("default")?.unwrap_or_else(|| Value::from(""));
    Ok(string_terms(&terms)?
        .iter()
        .map(|term| {
            let var = term.split_whitespace().next().unwrap_or_default();
            match ctx.options.environment.get(var) {
                Some(v) => Value::from(v.as_str()),
                None => default.clone(),
            }
        })
        .collect())
}

pub(crate) fn vars(ctx: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let default = ctx.kwarg("default")?;
    let mut out = Vec::new();
    for term in terms {
        let Some(name) = term.as_str() else {
            return Err(fail(format!(
                "Invalid setting identifier, \"{}\" is not a string, it is a {}",
                crate::template::python_str(&term),
                crate::template::type_name(&term)
            )));
        };
        match (ctx.var(name), &default) {
            (Some(v), _) => out.push(v),
            (None, Some(d)) => out.push(d.clone()),
            (None, None) => {
                return Err(fail(format!("No variable named '{name}' was found")));
            }
        }
    }
    Ok(out)
}

pub(crate) fn varnames(ctx: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let mut names: Vec<String> = ctx
        .state
        .known_variables()
        .into_iter()
        .map(|n| n.into_owned())
        .collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for term in string_terms(&terms)? {
        let re = fancy_regex::Regex::new(&term)
            .map_err(|e| fail(format!("Unable to use \"{term}\" as a search parameter: {e}")))?;
        for name in &names {
            if re.is_match(name).unwrap_or(false) {
                out.push(Value::from(name.as_str()));
            }
        }
    }
    Ok(out)
}
