//! Lookups: `lookup('file', 'motd')`, `query('fileglob', '*.conf')`, `q(...)`, and the
//! `with_<name>:` loops, which are `query('<name>', terms)` (see [`crate::exec`]'s loops).
//!
//! One table, [`LOOKUPS`], names every lookup and the function that runs it; the pre-run check
//! and the loader read [`names`] / [`known`] from it. Each lookup gets its terms (the positional
//! arguments; for a `with_` loop, the templated list) and its keyword arguments in a [`Ctx`],
//! and returns a list; `lookup()` then joins a list of several strings with commas, as Ansible.

mod command;
mod files;
mod lists;
mod password;
mod search;
mod sequence;
mod subelements;
mod template;
mod vars;

use std::sync::Arc;

use minijinja::value::{Kwargs, Rest, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind, State, Value};

use super::engine::EngineOptions;

/// What a lookup gets besides its terms.
pub(crate) struct Ctx<'a, 't, 'e> {
    pub state: &'a State<'t, 'e>,
    pub options: &'a EngineOptions,
    kwargs: Option<Kwargs>,
    /// Set when the lookup runs for a `with_` loop: the directory `first_found` searches.
    pub with_subdir: Option<String>,
}

impl Ctx<'_, '_, '_> {
    /// A keyword argument, if given.
    pub fn kwarg(&self, key: &str) -> Result<Option<Value>, Error> {
        match &self.kwargs {
            Some(k) if k.has(key) => Ok(Some(k.get::<Value>(key)?)),
            _ => Ok(None),
        }
    }

    /// A boolean keyword argument, `default` when absent.
    pub fn flag(&self, key: &str, default: bool) -> Result<bool, Error> {
        Ok(self
            .kwarg(key)?
            .map_or(default, |v| crate::truthy::boolean(&v).unwrap_or(v.is_true())))
    }

    /// A variable of the task.
    pub fn var(&self, name: &str) -> Option<Value> {
        self.state.lookup(name).filter(|v| !v.is_undefined())
    }
}

type Run = fn(&Ctx<'_, '_, '_>, Vec<Value>) -> Result<Vec<Value>, Error>;

/// Every lookup playhook provides, with the function that runs it.
const LOOKUPS: &[(&str, Run)] = &[
    ("dict", lists::dict),
    ("env", vars::env),
    ("file", files::file),
    ("fileglob", files::fileglob),
    ("first_found", files::first_found),
    ("indexed_items", lists::indexed_items),
    ("inventory_hostnames", lists::inventory_hostnames),
    ("items", lists::items),
    ("lines", command::lines),
    ("list", lists::list),
    ("nested", lists::nested),
    ("password", password::password),
    ("pipe", command::pipe),
    ("random_choice", lists::random_choice),
    ("sequence", sequence::sequence),
    ("subelements", subelements::subelements),
    ("template", template::template),
    ("together", lists::together),
    ("varnames", vars::varnames),
    ("vars", vars::vars),
    ("community.general.flattened", lists::flattened),
];

/// The names of the lookups playhook provides, for messages, the loader (`with_<name>`) and
/// the pre-run check; read from [`LOOKUPS`], the one list.
pub fn names() -> Vec<&'static str> {
    LOOKUPS.iter().map(|(name, _)| *name).collect()
}

/// The lookup called `name` (short or `ansible.builtin.` name), if playhook has it.
pub fn known(name: &str) -> Option<&'static str> {
    let short = name.strip_prefix("ansible.builtin.").unwrap_or(name);
    // ansible-core routes the lookups moved to community.general by their short names.
    let short = match short {
        "flattened" => "community.general.flattened",
        other => other,
    };
    LOOKUPS.iter().map(|(n, _)| *n).find(|n| *n == short)
}

/// The keyword argument a `with_` loop passes (see [`super::Engine::run_lookup`]): the one
/// positional argument is then the whole list of terms.
pub(crate) const WITH_KWARG: &str = "_playhook_with_subdir";

pub(crate) fn register(env: &mut Environment<'static>, options: Arc<EngineOptions>) {
    for (name, want_list) in [("lookup", false), ("query", true), ("q", true)] {
        let options = options.clone();
        env.add_function(name, move |state: &State, args: Rest<ValueOrKwargs>| {
            let args = args.0.into_iter().map(ValueOrKwargs::into_value).collect();
            call(state, &options, want_list, args)
        });
    }
}

pub(crate) fn fail(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

fn call(
    state: &State,
    options: &EngineOptions,
    want_list: bool,
    mut args: Vec<Value>,
) -> Result<Value, Error> {
    let kwargs = match args.last() {
        Some(last) if last.is_kwargs() => Some(Kwargs::try_from(args.pop().unwrap_or_default())?),
        _ => None,
    };
    if args.is_empty() {
        return Err(Error::new(
            ErrorKind::MissingArgument,
            "lookup() needs the name of a lookup",
        ));
    }
    let name_value = args.remove(0);
    let name = name_value
        .as_str()
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "the lookup name must be a string"))?;
    let run = LOOKUPS
        .iter()
        .find(|(n, _)| Some(*n) == known(name))
        .map(|(_, run)| *run)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownFunction,
                format!(
                    "unknown lookup '{name}'. Supported lookups: {}",
                    names().join(", ")
                ),
            )
        })?;
    let mut ctx = Ctx {
        state,
        options,
        kwargs,
        with_subdir: None,
    };
    let mut terms = args;
    if let Some(subdir) = ctx.kwarg(WITH_KWARG)? {
        ctx.with_subdir = Some(subdir.to_string());
        terms = match terms.pop() {
            Some(list) => list.try_iter()?.collect(),
            None => Vec::new(),
        };
    }
    let wantlist = ctx.flag("wantlist", want_list)?;
    let results = run(&ctx, terms)?;
    if wantlist {
        return Ok(Value::from(results));
    }
    if results.len() == 1 {
        return Ok(results.into_iter().next().unwrap_or_default());
    }
    if results.iter().all(|v| v.as_str().is_some()) && !results.is_empty() {
        let joined: Vec<String> = results.iter().map(super::python::python_str).collect();
        return Ok(Value::from(joined.join(",")));
    }
    Ok(Value::from(results))
}

/// The terms as strings, a list term giving each of its elements (`lookup('file', ['a', 'b'])`).
pub(crate) fn string_terms(terms: &[Value]) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for term in terms {
        match term.as_str() {
            Some(s) => out.push(s.to_string()),
            None if term.kind() == ValueKind::Seq => {
                for item in term.try_iter()? {
                    out.push(super::python::python_str(&item));
                }
            }
            None => out.push(super::python::python_str(term)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use minijinja::Value;

    use crate::template::{Engine, EngineOptions};

    #[test]
    fn file_lookup_searches_role_then_playbook() {
        let dir = tempfile::tempdir().expect("temp dir");
        let role = dir.path().join("roles/web");
        std::fs::create_dir_all(role.join("files")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("files")).expect("mkdir");
        std::fs::write(role.join("files/a.txt"), "from role\n\n").expect("write");
        std::fs::write(dir.path().join("files/a.txt"), "from playbook files").expect("write");
        std::fs::write(dir.path().join("files/b.txt"), "  b  ").expect("write");
        std::fs::write(dir.path().join("c.txt"), "c").expect("write");
        let vars = Value::from_pairs([
            ("role_path", Value::from(role.to_string_lossy().as_ref())),
            ("playbook_dir", Value::from(dir.path().to_string_lossy().as_ref())),
        ]);
        let engine = Engine::new(EngineOptions {
            environment: [("HOME".to_string(), "/home/x".to_string())]
                .into_iter()
                .collect(),
            ..EngineOptions::default()
        });
        let render = |src: &str| engine.render_str(src, &vars).map_err(|e| e.to_string());
        assert_eq!(
            render("{{ lookup('file', 'a.txt') }}").as_deref(),
            Ok("from role")
        );
        assert_eq!(render("[{{ lookup('file', 'b.txt') }}]").as_deref(), Ok("[  b]"));
        assert_eq!(render("{{ lookup('file', 'c.txt') }}").as_deref(), Ok("c"));
        assert_eq!(
            render("{{ query('file', 'c.txt', 'c.txt') }}").as_deref(),
            Ok("['c', 'c']")
        );
        assert_eq!(render("{{ lookup('env', 'HOME') }}").as_deref(), Ok("/home/x"));
        let err = render("{{ lookup('file', 'missing.txt') }}").expect_err("missing file");
        assert!(err.contains("missing.txt"), "{err}");
    }

    #[test]
    fn list_lookups_reshape_terms_like_ansible() {
        let engine = Engine::default();
        let vars = Value::from(());
        let render = |src: &str| engine.render_str(src, &vars).map_err(|e| e.to_string());
        assert_eq!(
            render("{{ query('nested', [1, 2], ['a', 'b']) }}").as_deref(),
            Ok("[[1, 'a'], [1, 'b'], [2, 'a'], [2, 'b']]")
        );
        assert_eq!(
            render("{{ query('together', [1], ['a', 'b']) }}").as_deref(),
            Ok("[[1, 'a'], [None, 'b']]")
        );
        assert_eq!(
            render("{{ query('subelements', [{'n': 1, 'l': [7, 8]}], 'l') }}").as_deref(),
            Ok("[[{'n': 1}, 7], [{'n': 1}, 8]]")
        );
        assert_eq!(
            render("{{ lookup('sequence', 'start=8 count=3 stride=-2 format=x%d') }}").as_deref(),
            // Ansible's `end = start + count * stride - 1` gives four numbers here.
            Ok("x8,x6,x4,x2")
        );
        let err = render("{{ lookup('sequence', '') }}").expect_err("no end");
        assert!(err.contains("must specify count or end"), "{err}");
        let err = render("{{ lookup('frob') }}").expect_err("unknown");
        assert!(err.contains("Supported lookups: dict, env"), "{err}");
    }
}
