//! `json_query` (community.general's, also bare): a JMESPath expression searched in the value,
//! with the jmespath crate. Known difference: JMESPath objects come back with sorted keys,
//! where Python's jmespath keeps the input's order.

use minijinja::value::Value;
use minijinja::{Environment, Error};

use super::args::bind;
use super::{add, fail, text};

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "json_query", |_, v, a| {
        let a = bind("json_query", &["expr"], a)?;
        json_query(&v, &text(a.required("expr")?))
    });
}

fn json_query(value: &Value, expr: &str) -> Result<Value, Error> {
    let compiled = jmespath::compile(expr).map_err(|e| {
        fail(format!(
            "JMESPathError in json_query filter plugin:\n{e}\n(check the expression's syntax: \
             https://jmespath.org)"
        ))
    })?;
    let data = serde_json::to_value(value)
        .map_err(|e| fail(format!("json_query: the value is not JSON data: {e}")))?;
    let data = jmespath::Variable::from_json(&data.to_string())
        .map_err(|e| fail(format!("json_query: the value is not JSON data: {e}")))?;
    let found = compiled
        .search(data)
        .map_err(|e| fail(format!("JMESPathError in json_query filter plugin:\n{e}")))?;
    let json = serde_json::to_value(&*found)
        .map_err(|e| fail(format!("json_query: cannot convert the result: {e}")))?;
    Ok(Value::from(minijinja::value::Serde(json)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_and_names_bad_expressions() {
        let data = Value::from(minijinja::value::Serde(serde_json::json!({
            "users": [{"name": "a", "uid": 1}, {"name": "b", "uid": 2}]
        })));
        let got = json_query(&data, "users[?uid > `1`].name").expect("searches");
        assert_eq!(got.to_string(), "['b']");
        let err = json_query(&data, "users[?").expect_err("bad expression");
        assert!(
            err.to_string()
                .contains("JMESPathError in json_query filter plugin"),
            "{err}"
        );
    }
}
