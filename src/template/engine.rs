//! The engine: one minijinja environment configured like Ansible's template module, and the
//! three ways a run uses it (render a template file, template a task's values, evaluate `when`).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::ValueMap;
use minijinja::{Environment, Value};

use super::error::{TemplateError, TemplateErrorKind};
use super::jinja_tests;
use super::search::SearchPath;
use super::{check, condition, filters, loader, lookups, native, python};

/// What the engine needs from the outside world.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// The controller's environment, read by `lookup('env', ...)`. The library never reads the
    /// process environment itself: the command line passes it in.
    pub environment: BTreeMap<String, String>,
    /// Where lookups that make secrets (`password`) put them, for the output to mask.
    pub learned_secrets: crate::secrets::LearnedSecrets,
}

/// Per-template changes to the Jinja settings: the `template` module's `trim_blocks` and
/// `lstrip_blocks` arguments, or a `#jinja2:` first line in the template.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TemplateOverrides {
    pub trim_blocks: Option<bool>,
    pub lstrip_blocks: Option<bool>,
    pub keep_trailing_newline: Option<bool>,
}

impl TemplateOverrides {
    fn is_default(&self) -> bool {
        *self == TemplateOverrides::default()
    }
}

/// Splits a `#jinja2: trim_blocks: False, lstrip_blocks: True` first line off `source`.
fn header_overrides(
    source: &str,
    mut overrides: TemplateOverrides,
) -> Result<(&str, TemplateOverrides), TemplateError> {
    let Some(rest) = source.strip_prefix("#jinja2:") else {
        return Ok((source, overrides));
    };
    let syntax = |m: String| TemplateError::new(TemplateErrorKind::Syntax, m).with_line(Some(1));
    let (line, body) = rest
        .split_once('\n')
        .ok_or_else(|| syntax("Missing newline after '#jinja2:' override.".into()))?;
    for pair in line.split(',') {
        let (key, value) = pair.split_once(':').ok_or_else(|| {
            syntax(format!(
                "Missing key-value separator `:` in '#jinja2:' override pair {pair:?}."
            ))
        })?;
        let value = match value.trim() {
            "True" | "true" => true,
            "False" | "false" => false,
            other => {
                return Err(syntax(format!(
                    "'#jinja2:' override {}: {other} is not True or False",
                    key.trim()
                )));
            }
        };
        match key.trim() {
            "trim_blocks" => overrides.trim_blocks = Some(value),
            "lstrip_blocks" => overrides.lstrip_blocks = Some(value),
            "keep_trailing_newline" => overrides.keep_trailing_newline = Some(value),
            other => {
                return Err(syntax(format!(
                    "'#jinja2:' override {other:?} is not supported; supported: trim_blocks, \
                     lstrip_blocks, keep_trailing_newline"
                )));
            }
        }
    }
    Ok((body, overrides))
}

/// The templating engine shared by a whole run.
pub struct Engine {
    env: Environment<'static>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(EngineOptions::default())
    }
}

impl Engine {
    pub fn new(options: EngineOptions) -> Self {
        let mut env = Environment::new();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(false)
            .keep_trailing_newline(false)
            .build()
            .expect("the default delimiters are valid");
        env.set_syntax(syntax);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        // Debug mode makes undefined errors name the expression that was undefined.
        env.set_debug(true);
        env.set_formatter(|out, _state, value| {
            out.write_str(&python::python_output(value))
                .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
        });
        env.set_unknown_method_callback(super::methods::call_method);
        env.add_global("omit", Value::from(super::OMIT));
        let options = Arc::new(options);
        filters::register(&mut env, &options);
        jinja_tests::register(&mut env);
        lookups::register(&mut env, options);
        Engine { env }
    }

    /// Renders a whole template text (the `template` module): the output keeps as many trailing
    /// newlines as the source has, as Ansible does.
    pub fn render_str(&self, source: &str, vars: &Value) -> Result<String, TemplateError> {
        self.render_template(source, vars, TemplateOverrides::default())
    }

    /// [`Engine::render_str`] with the `template` module's `trim_blocks` / `lstrip_blocks`
    /// arguments; a `#jinja2:` first line in the template overrides them, as in Ansible.
    /// The template cannot include others (see [`Engine::render_file`]).
    pub fn render_template(
        &self,
        source: &str,
        vars: &Value,
        overrides: TemplateOverrides,
    ) -> Result<String, TemplateError> {
        self.render(source, vars, overrides, None)
    }

    /// Renders a template file as the `template` module does: `{% include %}`, `{% import %}`
    /// and `{% extends %}` load templates from `search`. An error that happens in a loaded
    /// template names its file ([`TemplateError::file`]).
    pub fn render_file(
        &self,
        source: &str,
        vars: &Value,
        overrides: TemplateOverrides,
        search: &SearchPath,
    ) -> Result<String, TemplateError> {
        self.render(source, vars, overrides, Some(search))
    }

    fn render(
        &self,
        source: &str,
        vars: &Value,
        overrides: TemplateOverrides,
        search: Option<&SearchPath>,
    ) -> Result<String, TemplateError> {
        let (body, overrides) = header_overrides(source, overrides)?;
        let spaced = super::spaces::normalize_template(body);
        let body = spaced.as_deref().unwrap_or(body);
        let short = super::fqcn::strip(body);
        let body = short.as_deref().unwrap_or(body);
        let custom;
        let mut loaded = None;
        let env = if overrides.is_default() && search.is_none() {
            &self.env
        } else {
            let mut env = self.env.clone();
            if !overrides.is_default() {
                let syntax = minijinja::syntax::SyntaxConfig::builder()
                    .trim_blocks(overrides.trim_blocks.unwrap_or(true))
                    .lstrip_blocks(overrides.lstrip_blocks.unwrap_or(false))
                    .keep_trailing_newline(overrides.keep_trailing_newline.unwrap_or(false))
                    .build()
                    .expect("the default delimiters are valid");
                env.set_syntax(syntax);
            }
            if let Some(search) = search {
                loaded = Some(loader::install(&mut env, search.clone()));
            }
            custom = env;
            &custom
        };
        super::depth::check_template(body)?;
        let rewritten = check::rewrite_template(env.syntax(), body);
        let text = rewritten.as_deref().unwrap_or(body);
        let rendered = env.render_str(text, vars).map_err(|e| match (&loaded, search) {
            (Some(loaded), Some(search)) => loader::translate(&e, text, loaded, search),
            _ => TemplateError::from_minijinja(&e, text),
        });
        let mut rendered = rendered?;
        let wanted = trailing_newlines(source);
        let have = trailing_newlines(&rendered);
        if wanted > have {
            rendered.push_str(&"\n".repeat(wanted - have));
        }
        Ok(rendered)
    }

    /// Runs the lookup `name` on a list of terms for a `with_<name>` loop, as Ansible runs
    /// `query(name, *terms)`; `subdir` is where `first_found` searches.
    pub fn run_lookup(
        &self,
        name: &str,
        terms: Vec<Value>,
        vars: &Value,
        subdir: &str,
    ) -> Result<Vec<Value>, TemplateError> {
        let source = format!(
            "query(__playhook_lookup, __playhook_terms, {}=__playhook_subdir)",
            lookups::WITH_KWARG
        );
        let expr = self
            .env
            .compile_expression(&source)
            .map_err(|e| TemplateError::from_minijinja(&e, &source))?;
        let ctx = minijinja::context! {
            __playhook_lookup => name,
            __playhook_terms => terms,
            __playhook_subdir => subdir,
            ..vars.clone()
        };
        let value = expr
            .eval(ctx)
            .map_err(|e| TemplateError::from_minijinja(&e, &source))?;
        Ok(value.try_iter().map(Iterator::collect).unwrap_or_default())
    }

    /// Templates every string inside `value`, recursing through maps and lists. A string that is
    /// exactly one `{{ expression }}` yields the expression's value itself (a list stays a list),
    /// as Ansible does; other strings render to strings.
    pub fn template_value(&self, value: &Value, vars: &Value) -> Result<Value, TemplateError> {
        if let Some(s) = value.as_str() {
            return self.template_string(s, vars);
        }
        match value.kind() {
            minijinja::value::ValueKind::Map => {
                let mut map = ValueMap::new();
                for key in value.try_iter().map_err(render_error)? {
                    let item = value.get_item(&key).map_err(render_error)?;
                    let key = self.template_value(&key, vars)?;
                    map.insert(key, self.template_value(&item, vars)?);
                }
                Ok(Value::from_object(map))
            }
            minijinja::value::ValueKind::Seq => {
                let items = value
                    .try_iter()
                    .map_err(render_error)?
                    .map(|item| self.template_value(&item, vars))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::from(items))
            }
            _ => Ok(value.clone()),
        }
    }

    fn template_string(&self, s: &str, vars: &Value) -> Result<Value, TemplateError> {
        let spaced = super::spaces::normalize_template(s);
        let s = spaced.as_deref().unwrap_or(s);
        if !native::may_be_template(s) {
            return Ok(Value::from(s));
        }
        if let Some(expr) = native::single_expression(s) {
            // An undefined result is an error, as in Ansible: never an argument or variable
            // that quietly disappears.
            let value = self.eval_expression(expr, vars)?;
            if value.is_undefined() {
                return Err(TemplateError::new(
                    TemplateErrorKind::Undefined,
                    format!("'{}' is undefined", expr.trim()),
                ));
            }
            return Ok(value);
        }
        Ok(Value::from(self.render_str(s, vars)?))
    }

    /// Evaluates a bare Jinja expression (no delimiters) to its native value.
    pub fn eval_expression(&self, expr: &str, vars: &Value) -> Result<Value, TemplateError> {
        let spaced = super::spaces::normalize_expression(expr);
        let expr = spaced.as_deref().unwrap_or(expr);
        let short = super::fqcn::strip(expr);
        let expr = short.as_deref().unwrap_or(expr);
        super::depth::check_expression(expr)?;
        let rewritten = check::rewrite_expression(expr);
        let expr = rewritten.as_deref().unwrap_or(expr);
        let compiled = self
            .env
            .compile_expression(expr)
            .map_err(|e| TemplateError::from_minijinja(&e, expr))?;
        let value = compiled
            .eval(vars)
            .map_err(|e| TemplateError::from_minijinja(&e, expr))?;
        Ok(native::finalize(value))
    }

    /// Evaluates a condition (`when`, `failed_when`, `changed_when`, `assert`'s `that`) with
    /// Ansible's rules: the result must be a boolean.
    pub fn eval_condition(&self, expr: &str, vars: &Value) -> Result<bool, TemplateError> {
        condition::evaluate(self, expr, vars)
    }

    /// Evaluates a condition given as a YAML value: booleans stand for themselves, strings are
    /// expressions (see [`Engine::eval_condition`]).
    pub fn eval_condition_value(&self, cond: &Value, vars: &Value) -> Result<bool, TemplateError> {
        condition::evaluate_value(self, cond, vars)
    }

    /// Validates a template written in a task argument before anything runs: syntax, that every
    /// filter, test and lookup it uses is one playhook provides, and that it does not include,
    /// import or extend other templates.
    pub fn check_source(&self, source: &str) -> Result<check::CheckReport, TemplateError> {
        let spaced = super::spaces::normalize_template(source);
        let source = spaced.as_deref().unwrap_or(source);
        let short = super::fqcn::strip(source);
        check::check_source(self.env.syntax(), short.as_deref().unwrap_or(source))
    }

    /// Validates the text of a template file like [`Engine::check_source`], except that it may
    /// refer to other templates: [`check::CheckReport::references`] lists them.
    pub fn check_template(&self, source: &str) -> Result<check::CheckReport, TemplateError> {
        let spaced = super::spaces::normalize_template(source);
        let source = spaced.as_deref().unwrap_or(source);
        let short = super::fqcn::strip(source);
        check::check_file_source(self.env.syntax(), short.as_deref().unwrap_or(source))
    }

    /// Validates a bare expression (a `when:` condition) the same way as [`Engine::check_source`].
    pub fn check_expression(&self, expr: &str) -> Result<check::CheckReport, TemplateError> {
        let spaced = super::spaces::normalize_expression(expr);
        let expr = spaced.as_deref().unwrap_or(expr);
        let short = super::fqcn::strip(expr);
        check::check_expression(short.as_deref().unwrap_or(expr))
    }
}

fn render_error(e: minijinja::Error) -> TemplateError {
    TemplateError::new(TemplateErrorKind::Render, e.to_string())
}

fn trailing_newlines(s: &str) -> usize {
    s.bytes().rev().take_while(|b| *b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Value {
        Value::from(minijinja::value::Serde(serde_json::json!({
            "d": {"a": 1}, "l": [1, 2], "n": null, "s": "x", "flag": false
        })))
    }

    fn render(src: &str) -> Result<String, String> {
        Engine::default()
            .render_str(src, &vars())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn prints_like_python() {
        assert_eq!(
            render("{{ 1.0 }} {{ [1, 'a', none, true] }} {{ d }} {{ 10 / 4 }} {{ n }}|").as_deref(),
            Ok("1.0 [1, 'a', None, True] {'a': 1} 2.5 |")
        );
    }

    #[test]
    fn undefined_names_the_variable_and_line() {
        assert_eq!(
            render("a\n{{ nope }}"),
            Err("line 2: 'nope' is undefined".to_string())
        );
    }

    #[test]
    fn undefined_everywhere_names_the_expression() {
        for (src, want) in [
            ("x\n{{ nope | upper }}", "line 2: 'nope' is undefined"),
            ("{% for i in nope %}{% endfor %}", "line 1: 'nope' is undefined"),
            ("{% if nope %}{% endif %}", "line 1: 'nope' is undefined"),
            (
                "{{ d.nope }}",
                "line 1: 'd.nope' is undefined: 'd' has no attribute 'nope'",
            ),
            ("{{ nope.x }}", "line 1: 'nope' is undefined"),
            (
                "{{ nope | length }}",
                "line 1: cannot calculate length of value of type undefined ('nope' is undefined)",
            ),
        ] {
            assert_eq!(render(src), Err(want.to_string()), "{src}");
        }
        assert_eq!(
            render("{{ nope.x is defined }} {{ nope.x | default(1) }}").as_deref(),
            Ok("False 1")
        );
    }

    #[test]
    fn trailing_newlines_are_kept() {
        assert_eq!(
            render("{% for i in l %}\n{{ i }}\n{% endfor %}\n").as_deref(),
            Ok("1\n2\n")
        );
        assert_eq!(render("a\n\n").as_deref(), Ok("a\n\n"));
        assert_eq!(render("{{ s }}\n").as_deref(), Ok("x\n"));
    }

    #[test]
    fn overrides_change_whitespace_handling() {
        let e = Engine::default();
        let src = "#jinja2: lstrip_blocks: True, trim_blocks: False\n  {% if s %}\nx\n  {% endif %}\n";
        assert_eq!(
            e.render_str(src, &vars()).map_err(|e| e.to_string()).as_deref(),
            Ok("\nx\n")
        );
        let o = TemplateOverrides {
            lstrip_blocks: Some(true),
            ..TemplateOverrides::default()
        };
        let got = e
            .render_template("  {% if s %}\nx\n  {% endif %}\n", &vars(), o)
            .expect("renders");
        assert_eq!(got, "x\n");
        assert!(
            e.render_str("#jinja2: variable_start_string: '[['\nx", &vars())
                .is_err()
        );
    }

    #[test]
    fn single_expressions_stay_native() {
        let e = Engine::default();
        let v = e
            .template_value(&Value::from("{{ l }}"), &vars())
            .expect("renders");
        assert_eq!(v.kind(), minijinja::value::ValueKind::Seq);
        let v = e
            .template_value(&Value::from("{{ l }} "), &vars())
            .expect("renders");
        assert_eq!(v.as_str(), Some("[1, 2] "));
    }

    #[test]
    fn conditions_must_be_boolean() {
        let e = Engine::default();
        assert!(e.eval_condition("not flag", &vars()).expect("evaluates"));
        assert!(
            e.eval_condition("nope is not defined", &vars())
                .expect("evaluates")
        );
        assert!(e.eval_condition("s", &vars()).is_err());
        assert!(e.eval_condition("{{ flag }}", &vars()).is_ok());
    }
}
