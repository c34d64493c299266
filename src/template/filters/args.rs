//! Binding a filter's arguments the way Python binds them: positionally or by keyword, with
//! errors that name the filter and the parameter.

use minijinja::value::{Kwargs, Value};
use minijinja::{Error, ErrorKind};

/// The arguments of one call, bound to the filter's parameter names.
pub struct Bound {
    filter: &'static str,
    names: &'static [&'static str],
    values: Vec<Option<Value>>,
}

/// Binds `args` (positional values, then possibly a kwargs value) to `names`.
pub fn bind(
    filter: &'static str,
    names: &'static [&'static str],
    mut args: Vec<Value>,
) -> Result<Bound, Error> {
    let kwargs = match args.last() {
        Some(last) if last.is_kwargs() => Some(Kwargs::try_from(args.pop().unwrap_or_default())?),
        _ => None,
    };
    if args.len() > names.len() {
        return Err(Error::new(
            ErrorKind::TooManyArguments,
            format!(
                "{filter}() takes at most {} arguments, {} given",
                names.len() + 1,
                args.len() + 1
            ),
        ));
    }
    let mut values: Vec<Option<Value>> = names.iter().map(|_| None).collect();
    for (i, arg) in args.into_iter().enumerate() {
        values[i] = Some(arg);
    }
    if let Some(kwargs) = kwargs {
        for key in kwargs.args() {
            let Some(i) = names.iter().position(|n| *n == key) else {
                return Err(Error::new(
                    ErrorKind::TooManyArguments,
                    format!("{filter}() got an unexpected keyword argument '{key}'"),
                ));
            };
            if values[i].is_some() {
                return Err(Error::new(
                    ErrorKind::TooManyArguments,
                    format!("{filter}() got multiple values for argument '{key}'"),
                ));
            }
            values[i] = Some(kwargs.get::<Value>(key)?);
        }
    }
    Ok(Bound {
        filter,
        names,
        values,
    })
}

impl Bound {
    fn index(&self, name: &str) -> usize {
        self.names
            .iter()
            .position(|n| *n == name)
            .expect("parameter names are static and checked")
    }

    /// The argument, if given.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values[self.index(name)].as_ref()
    }

    /// The argument, or an error naming it.
    pub fn required(&self, name: &str) -> Result<&Value, Error> {
        self.get(name).ok_or_else(|| {
            Error::new(
                ErrorKind::MissingArgument,
                format!("{}() missing required argument '{name}'", self.filter),
            )
        })
    }

    /// The argument as a Python truth value (`default` when absent).
    pub fn flag(&self, name: &str, default: bool) -> bool {
        self.get(name).map(|v| v.is_true()).unwrap_or(default)
    }

    /// The argument as a string, `default` when absent or `None`.
    pub fn string(&self, name: &str, default: &str) -> String {
        match self.get(name) {
            Some(v) if !v.is_none() => super::text(v),
            _ => default.to_string(),
        }
    }

    /// The argument as an integer, `default` when absent or `None`.
    pub fn int(&self, name: &str, default: i64) -> Result<i64, Error> {
        match self.get(name) {
            Some(v) if !v.is_none() => v.as_i64().ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidOperation,
                    format!("{}(): '{name}' must be an integer", self.filter),
                )
            }),
            _ => Ok(default),
        }
    }
}
