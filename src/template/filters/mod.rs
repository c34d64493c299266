//! Ansible's filters, one file per family. Where Ansible's behaviour differs from minijinja's
//! built-in filter of the same name, the built-in is replaced.

mod args;
mod comment;
mod dates;
mod dicts;
mod encoding;
mod hashing;
mod host_paths;
mod ipaddr;
mod json_query;
mod lists;
mod math;
mod password;
mod paths;
mod printf;
pub(crate) mod pyrandom;
mod pyset;
mod random;
mod regex;
pub(crate) mod serialization;
mod strings;
mod types;
mod yaml_dump;

use minijinja::value::{Rest, StringInput, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind, State, Value};

pub(crate) use self::args::bind as bind_args;
pub use self::dicts::merge_hash;
pub use self::regex::{PyRegex, compile as compile_regex};

/// Every filter a template may use.
pub const NAMES: &[&str] = &[
    "abs",
    "b64decode",
    "b64encode",
    "basename",
    "batch",
    "bool",
    "capitalize",
    "center",
    "checksum",
    "combinations",
    "combine",
    "comment",
    "commonpath",
    "count",
    "d",
    "default",
    "dict2items",
    "dictsort",
    "difference",
    "dirname",
    "expanduser",
    "expandvars",
    "extract",
    "first",
    "flatten",
    "float",
    "format",
    "from_json",
    "from_yaml",
    "from_yaml_all",
    "groupby",
    "hash",
    "human_readable",
    "human_to_bytes",
    "indent",
    "int",
    "intersect",
    "ipaddr",
    "ipmath",
    "ipsubnet",
    "ipv4",
    "ipv6",
    "ipwrap",
    "items",
    "items2dict",
    "join",
    "json_query",
    "last",
    "length",
    "list",
    "log",
    "lower",
    "mandatory",
    "map",
    "max",
    "md5",
    "min",
    "network_in_network",
    "network_in_usable",
    "next_nth_usable",
    "normpath",
    "nthhost",
    "password_hash",
    "path_join",
    "permutations",
    "pow",
    "previous_nth_usable",
    "product",
    "quote",
    "random",
    "realpath",
    "regex_escape",
    "regex_findall",
    "regex_replace",
    "regex_search",
    "reject",
    "rejectattr",
    "relpath",
    "replace",
    "reverse",
    "root",
    "round",
    "select",
    "selectattr",
    "sha1",
    "shuffle",
    "sort",
    "split",
    "splitext",
    "strftime",
    "string",
    "subelements",
    "sum",
    "symmetric_difference",
    "ternary",
    "title",
    "to_datetime",
    "to_json",
    "to_nice_json",
    "to_nice_yaml",
    "to_uuid",
    "to_yaml",
    "tojson",
    "trim",
    "type_debug",
    "union",
    "unique",
    "upper",
    "urldecode",
    "urlencode",
    "wordcount",
    "zip",
    "zip_longest",
];

pub(crate) fn register(env: &mut Environment<'static>, options: &std::sync::Arc<super::EngineOptions>) {
    types::register(env);
    comment::register(env);
    strings::register(env);
    lists::register(env);
    dicts::register(env);
    regex::register(env);
    encoding::register(env);
    hashing::register(env);
    serialization::register(env);
    paths::register(env);
    host_paths::register(env, options.clone());
    password::register(env);
    ipaddr::register(env);
    printf::register(env);
    json_query::register(env);
    math::register(env);
    dates::register(env);
    env.add_function("joiner", minijinja_contrib::globals::joiner);
    env.add_function("cycler", |items: Rest<Value>| {
        minijinja_contrib::globals::cycler(items.0)
    });
    random::register(env);
    env.add_filter("__chain", chain);
}

/// `(a | __chain('b', 'c'))`: `a.b.c`, or undefined as soon as a link is missing. Templates
/// never name it: the engine rewrites chains under `is defined` and `| default` into it.
fn chain(value: Value, keys: Rest<Value>) -> Value {
    let mut current = value;
    for key in keys.0 {
        if current.is_undefined() || current.is_none() {
            return Value::UNDEFINED;
        }
        let next = current.get_item(&key).unwrap_or(Value::UNDEFINED);
        current = match (next.is_undefined(), key.as_str()) {
            (true, Some(name)) => current.get_attr(name).unwrap_or(Value::UNDEFINED),
            _ => next,
        };
    }
    current
}

/// Filters that take undefined values on purpose (anything else fails on them, as in Ansible).
const ACCEPTS_UNDEFINED: &[&str] = &["default", "d", "mandatory", "ternary"];

/// Registers a filter that fails, naming the variable, when given an undefined value.
pub(crate) fn add<F>(env: &mut Environment<'static>, name: &'static str, f: F)
where
    F: Fn(&State, Value, Vec<Value>) -> Result<Value, Error> + Send + Sync + 'static,
{
    let lenient = ACCEPTS_UNDEFINED.contains(&name);
    env.add_filter(
        name,
        move |state: &State, value: Value, args: Rest<ValueOrKwargs>| {
            let args: Vec<Value> = args.0.into_iter().map(ValueOrKwargs::into_value).collect();
            if !lenient {
                for v in std::iter::once(&value).chain(args.iter()) {
                    if v.is_undefined() {
                        // Produces minijinja's undefined error, which names the expression.
                        StringInput::new(state, v)?;
                    }
                }
            }
            f(state, value, args)
        },
    );
}

/// Python's `str()` of a value, as Ansible's `to_text` gives it to filters.
pub(crate) fn text(value: &Value) -> String {
    super::python::python_str(value)
}

/// An error raised by a filter, worded for the user.
pub(crate) fn fail(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}
