//! `password`: a random password kept in a controller file, as Ansible's lookup: the first run
//! writes it (directories mode 0700, file mode 0600, the password and a newline), later runs
//! read it back. Options, in the term (`path length=16 chars=ascii_letters,digits`) or as
//! keywords: `length` (20), `chars` (letters, digits and `.,:-_`), `seed` (the same seed gives
//! the password Ansible gives: Python's generator is reproduced). `encrypt` and `ident`
//! (hashing) are refused. `/dev/null` gives a new password each time.
//!
//! The password is a secret: it joins the run's [`crate::secrets::LearnedSecrets`], and output
//! printed after the lookup ran shows it as `********`.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use minijinja::{Error, Value};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::search::base_dir;
use super::{Ctx, fail, string_terms};
use crate::template::filters::pyrandom::PyRandom;

const KEYS: &[&str] = &["length", "encrypt", "chars", "ident", "seed"];

pub(crate) fn password(ctx: &Ctx<'_, '_, '_>, terms: Vec<Value>) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for term in string_terms(&terms)? {
        let (relpath, mut params) = parse_term(&term)?;
        for key in KEYS {
            if !params.iter().any(|(k, _)| k == key) {
                if let Some(v) = ctx.kwarg(key)?.filter(|v| !v.is_none()) {
                    let text = match v.kind() {
                        minijinja::value::ValueKind::Seq => {
                            v.try_iter()?.map(|c| c.to_string()).collect::<Vec<_>>().join(",")
                        }
                        _ => v.to_string(),
                    };
                    params.push((key.to_string(), text));
                }
            }
        }
        let get = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        for key in ["encrypt", "ident"] {
            if get(key).is_some_and(|v| !v.is_empty()) {
                return Err(fail(format!(
                    "the password lookup's `{key}` (hashed passwords) is not supported by playhook; \
                     hash the plain password with the `password_hash` filter instead"
                )));
            }
        }
        let length = match get("length") {
            Some(l) => l.parse::<usize>().map_err(|_| {
                fail(format!(
                    "the password lookup's length must be a number, got '{l}'"
                ))
            })?,
            None => 20,
        };
        let chars = candidate_chars(get("chars"));
        if chars.is_empty() {
            return Err(fail(
                "the password lookup's chars give no characters to choose from",
            ));
        }
        let path = base_dir(ctx).join(&relpath);
        let password = match read(&path)? {
            Some(content) if relpath != "/dev/null" => parse_content(&content),
            _ => {
                // The option is a string: `seed=42` seeds as Python's `Random("42")`.
                let seed = get("seed").map(PyRandom::from_str_seed);
                let password = generate(length, &chars, seed);
                if relpath != "/dev/null" {
                    write(&path, &password)?;
                }
                password
            }
        };
        ctx.options.learned_secrets.add(&password);
        out.push(Value::from(password));
    }
    Ok(out)
}

/// `path key=value ...`: the path, then the options.
fn parse_term(term: &str) -> Result<(String, Vec<(String, String)>), Error> {
    let Some((path, rest)) = term.split_once(' ') else {
        return Ok((term.to_string(), Vec::new()));
    };
    let mut path = path.to_string();
    let mut params = Vec::new();
    for (key, value) in crate::repo::kv::parse_kv(rest, false) {
        if key == "_raw_params" {
            path = format!("{path} {value}");
            if !term.starts_with(&path) {
                return Err(fail(
                    "Unrecognized value after key=value parameters given to password lookup",
                ));
            }
        } else if KEYS.contains(&key.as_str()) {
            params.push((key, value));
        } else {
            return Err(fail(format!(
                "Unrecognized parameter(s) given to password lookup: {key}"
            )));
        }
    }
    Ok((path, params))
}

/// The characters to choose from: each comma-separated spec is a name from Python's `string`
/// module or characters taken as they are (`,,` is a comma); quotes are dropped.
fn candidate_chars(spec: Option<&str>) -> Vec<char> {
    let specs: Vec<String> = match spec {
        None => vec!["ascii_letters".into(), "digits".into(), ".,:-_".into()],
        Some(s) => {
            let mut v = Vec::new();
            if s.contains(",,") {
                v.push(",".to_string());
            }
            v.extend(
                s.replace(",,", ",")
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string),
            );
            v
        }
    };
    let lower = "abcdefghijklmnopqrstuvwxyz";
    let upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let punctuation = r##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##;
    let mut out = String::new();
    for spec in specs {
        out.push_str(&match spec.as_str() {
            "ascii_letters" => format!("{lower}{upper}"),
            "ascii_lowercase" => lower.to_string(),
            "ascii_uppercase" => upper.to_string(),
            "digits" => "0123456789".to_string(),
            "hexdigits" => "0123456789abcdefABCDEF".to_string(),
            "octdigits" => "01234567".to_string(),
            "punctuation" => punctuation.to_string(),
            other => other.to_string(),
        });
    }
    out.chars().filter(|c| *c != '"' && *c != '\'').collect()
}

/// `random_password`: `length` choices from `chars`, by Python's `random.Random(seed)` when
/// seeded (as Ansible), else by the operating system's generator.
fn generate(length: usize, chars: &[char], seed: Option<PyRandom>) -> String {
    match seed {
        Some(mut py) => (0..length)
            .map(|_| chars[usize::try_from(py.below(chars.len() as u128)).unwrap_or(0)])
            .collect(),
        None => {
            let mut rng = StdRng::from_os_rng();
            (0..length)
                .map(|_| chars[rng.random_range(0..chars.len())])
                .collect()
        }
    }
}

fn read(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text.trim_end().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fail(format!(
            "cannot read the password file `{}`: {e}",
            path.display()
        ))),
    }
}

/// The password of a stored `password salt=... ident=...` line.
fn parse_content(content: &str) -> String {
    match content.rfind(" salt=") {
        Some(i) => content[..i].to_string(),
        None => content.to_string(),
    }
}

fn write(path: &PathBuf, password: &str) -> Result<(), Error> {
    let io = |e: std::io::Error| {
        fail(format!(
            "cannot write the password file `{}`: {e}",
            path.display()
        ))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    file.write_all(format!("{password}\n").as_bytes()).map_err(io)?;
    Ok(())
}
