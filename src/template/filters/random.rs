//! `random` and `shuffle`, reproducible: with `seed=` they pick exactly what Ansible picks
//! (Python's generator); without, the seed is the host's `inventory_hostname`, so a host gets
//! the same value on every run instead of a different one.

use minijinja::value::{Rest, Value, ValueKind};
use minijinja::{Environment, Error, State};

use super::args::bind;
use super::lists::items;
use super::pyrandom::PyRandom;
use super::{add, fail, text};

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "random", |s, v, a| random(s, v, Rest(a)));
    add(env, "shuffle", |s, v, a| shuffle(s, v, Rest(a)));
}

fn generator(state: &State, seed: Option<&Value>) -> PyRandom {
    let seed = match seed.filter(|s| !s.is_none()) {
        Some(s) => s.clone(),
        None => state
            .lookup("inventory_hostname")
            .unwrap_or_else(|| Value::from("")),
    };
    if seed.is_integer() {
        if let Ok(n) = i128::try_from(seed.clone()) {
            return PyRandom::from_int_seed(n);
        }
    }
    PyRandom::from_str_seed(&text(&seed))
}

fn random(state: &State, end: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("random", &["start", "step", "seed"], args.0)?;
    let mut rng = generator(state, a.get("seed"));
    if end.is_integer() {
        let stop = i128::try_from(end)?;
        let start = a
            .get("start")
            .filter(|v| v.is_true())
            .map(|v| i128::try_from(v.clone()))
            .transpose()?;
        let step = a
            .get("step")
            .filter(|v| v.is_true())
            .map(|v| i128::try_from(v.clone()))
            .transpose()?;
        let n = rng
            .randrange(start.unwrap_or(0), stop, step.unwrap_or(1))
            .ok_or_else(|| fail("random: empty range"))?;
        return Ok(super::types::int_value(n));
    }
    if matches!(
        end.kind(),
        ValueKind::Seq | ValueKind::String | ValueKind::Iterable
    ) {
        if a.get("start").is_some_and(|v| v.is_true()) || a.get("step").is_some_and(|v| v.is_true()) {
            return Err(fail("start and step can only be used with integer values"));
        }
        let list = items(&end)?;
        if list.is_empty() {
            return Err(fail("Cannot choose from an empty sequence"));
        }
        let i = rng.below(list.len() as u128) as usize;
        return Ok(list[i].clone());
    }
    Err(fail("random can only be used on sequences and integers"))
}

fn shuffle(state: &State, value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("shuffle", &["seed"], args.0)?;
    let mut list = items(&value)?;
    generator(state, a.get("seed")).shuffle(&mut list);
    Ok(Value::from(list))
}
