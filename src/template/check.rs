//! Validation before anything runs: a template must parse, and every filter, test, function and
//! lookup it names must be one playhook provides. Walks minijinja's syntax tree, so names are
//! found wherever they appear (nested expressions, macros, loop filters) with their line.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::machinery::ast::{BinOp, BinOpKind, CallArg, Expr, Spanned, Stmt};
use minijinja::syntax::SyntaxConfig;

use super::error::{TemplateError, TemplateErrorKind};
use super::{filters, jinja_tests, lookups};

/// Functions callable as `name(...)` in templates.
pub const FUNCTIONS: &[&str] = &[
    "lookup",
    "query",
    "q",
    "range",
    "dict",
    "namespace",
    "joiner",
    "cycler",
    "now",
];

/// Names that may be called without being global functions (macros' helpers, recursive loops).
const CALLABLE_LOCALS: &[&str] = &["caller", "loop", "super", "varargs", "kwargs"];

/// What a template uses, once it is known to be valid.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub filters: BTreeSet<String>,
    pub tests: BTreeSet<String>,
    pub lookups: BTreeSet<String>,
    /// Variables read by the template that it does not set itself (top-level names only).
    pub variables: BTreeSet<String>,
    /// The first line each of `variables` is read on.
    pub variable_lines: BTreeMap<String, usize>,
    /// Names the template sets (`set`, loop variables, macros, imports), which templates it
    /// includes can read.
    pub assigned: BTreeSet<String>,
    /// The `{% include %}`, `{% import %}` and `{% extends %}` of a template file.
    pub references: Vec<Reference>,
}

/// How a template refers to another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceKind {
    Include,
    Import,
    Extends,
}

impl ReferenceKind {
    pub fn tag(self) -> &'static str {
        match self {
            ReferenceKind::Include => "include",
            ReferenceKind::Import => "import",
            ReferenceKind::Extends => "extends",
        }
    }
}

/// One `{% include %}`, `{% import %}`, `{% from ... import %}` or `{% extends %}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub kind: ReferenceKind,
    /// The template names it tries in order; empty when the name is computed at render time.
    pub names: Vec<String>,
    pub line: usize,
    pub ignore_missing: bool,
    /// Whether the referenced template sees the variables (imports only with `with context`).
    pub with_context: bool,
    /// Whether it sits inside an `if`, a loop or a macro, so that it may not always run.
    pub conditional: bool,
}

/// Checks a whole template text written in a task argument, where templates cannot refer to
/// other templates.
pub fn check_source(syntax: &SyntaxConfig, source: &str) -> Result<CheckReport, TemplateError> {
    check_text(syntax, source, false)
}

/// Checks the text of a template file; its references to other templates are listed in
/// [`CheckReport::references`], to be checked in turn.
pub fn check_file_source(syntax: &SyntaxConfig, source: &str) -> Result<CheckReport, TemplateError> {
    check_text(syntax, source, true)
}

fn check_text(syntax: &SyntaxConfig, source: &str, file: bool) -> Result<CheckReport, TemplateError> {
    super::depth::check_template(source)?;
    let ast = minijinja::machinery::parse(source, "<template>", syntax.clone())
        .map_err(|e| TemplateError::from_minijinja(&e, source))?;
    let mut walker = Walker {
        file,
        source: source.to_string(),
        ..Walker::default()
    };
    walker.stmt(&ast);
    walker.chains.clear();
    walker.finish()
}

/// Checks a bare expression (a condition).
pub fn check_expression(expr: &str) -> Result<CheckReport, TemplateError> {
    super::depth::check_expression(expr)?;
    let ast = minijinja::machinery::parse_expr(expr).map_err(|e| TemplateError::from_minijinja(&e, expr))?;
    let mut walker = Walker::default();
    walker.expr(&ast);
    walker.finish()
}

/// The template with undefined-tolerant attribute chains rewritten (see `Walker::chain`), or
/// `None` when there is nothing to rewrite or the text does not parse (rendering reports that).
/// Python's `"fmt" % args` becomes `("fmt" | __pyformat(args))` the same way (see
/// `Walker::percent`). Rewrites inside a rewritten one are done by the next pass.
pub(crate) fn rewrite_template(syntax: &SyntaxConfig, source: &str) -> Option<String> {
    rewrite_passes(source, |text| {
        super::depth::check_template(text).ok()?;
        let ast = minijinja::machinery::parse(text, "<template>", syntax.clone()).ok()?;
        let mut walker = Walker {
            source: text.to_string(),
            ..Walker::default()
        };
        walker.stmt(&ast);
        apply_chains(text, walker.chains)
    })
}

/// [`rewrite_template`] for a bare expression.
pub(crate) fn rewrite_expression(expr: &str) -> Option<String> {
    rewrite_passes(expr, |text| {
        super::depth::check_expression(text).ok()?;
        let ast = minijinja::machinery::parse_expr(text).ok()?;
        let mut walker = Walker {
            source: text.to_string(),
            ..Walker::default()
        };
        walker.expr(&ast);
        apply_chains(text, walker.chains)
    })
}

/// Applies `pass` until it has nothing left to rewrite (nested rewrites need a pass each).
fn rewrite_passes(text: &str, pass: impl Fn(&str) -> Option<String>) -> Option<String> {
    if !might_chain(text) {
        return None;
    }
    let mut current: Option<String> = None;
    for _ in 0..16 {
        match pass(current.as_deref().unwrap_or(text)) {
            Some(next) => current = Some(next),
            None => break,
        }
    }
    current
}

fn might_chain(text: &str) -> bool {
    ["defined", "default", "mandatory", "d(", "| d", "|d"]
        .iter()
        .any(|needle| text.contains(needle))
        || percent_after_string(text)
}

/// Whether a `%` follows a closing quote (`"%s" % x`), not a `%}`.
fn percent_after_string(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, b)| {
        *b == b'%'
            && bytes.get(i + 1) != Some(&b'}')
            && bytes[..i]
                .iter()
                .rev()
                .find(|c| !c.is_ascii_whitespace())
                .is_some_and(|c| *c == b'"' || *c == b'\'')
    })
}

fn apply_chains(source: &str, mut chains: Vec<(usize, usize, String)>) -> Option<String> {
    if chains.is_empty() {
        return None;
    }
    // Outer chains first; drop any chain inside one already taken.
    chains.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut out = String::with_capacity(source.len() + 32);
    let mut pos = 0;
    for (start, end, replacement) in chains {
        if start < pos {
            continue;
        }
        out.push_str(&source[pos..start]);
        out.push_str(&replacement);
        pos = end;
    }
    out.push_str(&source[pos..]);
    Some(out)
}

/// Where an expression's text starts and ends: a filter's or test's span starts at its name,
/// so the operands on the left are looked into.
fn extent(e: &Expr<'_>) -> (usize, usize) {
    let span = e.span();
    let own = (span.start_offset as usize, span.end_offset as usize);
    let mut children: Vec<&Expr<'_>> = Vec::new();
    match e {
        Expr::Filter(f) => children.extend(f.expr.as_ref()),
        Expr::Test(t) => children.push(&t.expr),
        Expr::GetAttr(g) => children.push(&g.expr),
        Expr::GetItem(g) => children.push(&g.expr),
        Expr::BinOp(b) => children.extend([&b.left, &b.right]),
        Expr::UnaryOp(u) => children.push(&u.expr),
        Expr::IfExpr(i) => {
            children.extend([&i.test_expr, &i.true_expr]);
            children.extend(i.false_expr.as_ref());
        }
        Expr::Call(c) => children.push(&c.expr),
        Expr::Slice(s) => children.push(&s.expr),
        _ => {}
    }
    children
        .into_iter()
        .map(extent)
        .fold(own, |(a, b), (c, d)| (a.min(c), b.max(d)))
}

/// The source text of a binary operation (its span covers both operands).
fn text_of(source: &str, b: &Spanned<BinOp<'_>>) -> Option<(usize, usize, String)> {
    let span = b.span();
    let (l, r) = (extent(&b.left), extent(&b.right));
    let start = (span.start_offset as usize).min(l.0);
    let end = (span.end_offset as usize).max(r.1);
    source.get(start..end).map(|t| (start, end, t.to_string()))
}

#[derive(Default)]
struct Walker {
    report: CheckReport,
    /// Names assigned in the template (set, for, macro arguments, ...).
    assigned: BTreeSet<String>,
    macros: BTreeSet<String>,
    /// Calls to names that are not global functions, checked once macros are all known.
    calls: Vec<(String, usize)>,
    problems: Vec<(usize, String)>,
    /// The text being walked, to cut chains out of it.
    source: String,
    /// Attribute chains under `is defined`, `| default`, ...: (start, end, replacement).
    chains: Vec<(usize, usize, String)>,
    /// Whether this is a template file, which may refer to other templates.
    file: bool,
    /// How many `if`s, loops and macros enclose the statement being walked.
    nesting: usize,
}

impl Walker {
    fn finish(mut self) -> Result<CheckReport, TemplateError> {
        for (name, line) in std::mem::take(&mut self.calls) {
            if !self.macros.contains(&name) && !self.assigned.contains(&name) {
                self.problems.push((
                    line,
                    format!(
                        "unknown function '{name}'. Supported functions: {}",
                        FUNCTIONS.join(", ")
                    ),
                ));
            }
        }
        if let Some((line, message)) = self.problems.into_iter().min_by_key(|(line, _)| *line) {
            return Err(TemplateError::new(TemplateErrorKind::Unsupported, message).with_line(Some(line)));
        }
        let assigned = &self.assigned;
        self.report
            .variables
            .retain(|v| !assigned.contains(v) && !CALLABLE_LOCALS.contains(&v.as_str()) && v != "self");
        let variables = &self.report.variables;
        self.report.variable_lines.retain(|v, _| variables.contains(v));
        self.report.assigned = self.assigned;
        Ok(self.report)
    }

    fn body(&mut self, stmts: &[Stmt<'_>]) {
        for stmt in stmts {
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: &Stmt<'_>) {
        match stmt {
            Stmt::Template(t) => self.body(&t.children),
            Stmt::EmitExpr(e) => self.expr(&e.expr),
            Stmt::EmitRaw(_) => {}
            Stmt::ForLoop(f) => {
                self.expr(&f.iter);
                self.assign(&f.target);
                self.assigned.insert("loop".into());
                if let Some(filter) = &f.filter_expr {
                    self.expr(filter);
                }
                self.nested(|w| {
                    w.body(&f.body);
                    w.body(&f.else_body);
                });
            }
            Stmt::IfCond(i) => {
                self.expr(&i.expr);
                self.nested(|w| {
                    w.body(&i.true_body);
                    w.body(&i.false_body);
                });
            }
            Stmt::WithBlock(w) => {
                for (target, value) in &w.assignments {
                    self.expr(value);
                    self.assign(target);
                }
                self.body(&w.body);
            }
            Stmt::Set(s) => {
                self.expr(&s.expr);
                self.assign(&s.target);
            }
            Stmt::SetBlock(s) => {
                self.assign(&s.target);
                if let Some(filter) = &s.filter {
                    self.expr(filter);
                }
                self.body(&s.body);
            }
            Stmt::AutoEscape(a) => {
                self.expr(&a.enabled);
                self.body(&a.body);
            }
            Stmt::FilterBlock(f) => {
                self.expr(&f.filter);
                self.body(&f.body);
            }
            Stmt::Block(b) => self.body(&b.body),
            Stmt::Import(i) => {
                self.assign(&i.name);
                let context = self.says_with_context(i.span());
                self.reference(ReferenceKind::Import, &i.expr, i.span(), false, context);
            }
            Stmt::FromImport(i) => {
                for (name, alias) in &i.names {
                    self.assign(alias.as_ref().unwrap_or(name));
                }
                let context = self.says_with_context(i.span());
                self.reference(ReferenceKind::Import, &i.expr, i.span(), false, context);
            }
            Stmt::Extends(e) => self.reference(ReferenceKind::Extends, &e.name, e.span(), false, true),
            Stmt::Include(i) => {
                self.reference(ReferenceKind::Include, &i.name, i.span(), i.ignore_missing, true)
            }
            Stmt::Macro(m) => {
                self.macros.insert(m.name.to_string());
                self.assigned.insert(m.name.to_string());
                for arg in &m.args {
                    self.assign(arg);
                }
                for default in &m.defaults {
                    self.expr(default);
                }
                self.nested(|w| w.body(&m.body));
            }
            Stmt::CallBlock(c) => {
                self.call(&c.call.expr, &c.call.args, c.call.span().start_line as usize);
                for arg in &c.macro_decl.args {
                    self.assign(arg);
                }
                self.nested(|w| w.body(&c.macro_decl.body));
            }
            Stmt::Continue(_) | Stmt::Break(_) => {}
            Stmt::Do(d) => self.call(&d.call.expr, &d.call.args, d.call.span().start_line as usize),
        }
    }

    fn nested(&mut self, walk: impl FnOnce(&mut Self)) {
        self.nesting += 1;
        walk(self);
        self.nesting -= 1;
    }

    /// Records a reference to another template, or refuses it outside template files.
    fn reference(
        &mut self,
        kind: ReferenceKind,
        name: &Expr<'_>,
        span: minijinja::machinery::Span,
        ignore_missing: bool,
        with_context: bool,
    ) {
        let line = span.start_line as usize;
        if !self.file {
            self.problems.push((
                line,
                format!(
                    "`{{% {} %}}` only works in template files rendered by the `template` module: in a \
                     task argument Ansible looks for the file in the playbook directory alone; move \
                     this text into a template file",
                    kind.tag()
                ),
            ));
            return;
        }
        self.expr(name);
        let names = match name.as_const() {
            Some(v) if v.as_str().is_some() => v.as_str().map(str::to_string).into_iter().collect(),
            Some(v) => v
                .try_iter()
                .map(|items| items.filter_map(|i| i.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
            None => match name {
                Expr::List(l) => l
                    .items
                    .iter()
                    .filter_map(|i| i.as_const().and_then(|v| v.as_str().map(str::to_string)))
                    .collect(),
                _ => Vec::new(),
            },
        };
        self.report.references.push(Reference {
            kind,
            names,
            line,
            ignore_missing,
            with_context,
            conditional: self.nesting > 0,
        });
    }

    /// Whether the statement at `span` ends with `with context` (imports default to without).
    fn says_with_context(&self, span: minijinja::machinery::Span) -> bool {
        let text = self
            .source
            .get(span.start_offset as usize..span.end_offset as usize)
            .unwrap_or_default();
        let words: Vec<&str> = text.split_whitespace().collect();
        words.windows(2).any(|w| w == ["with", "context"])
    }

    fn assign(&mut self, target: &Expr<'_>) {
        match target {
            Expr::Var(v) => {
                self.assigned.insert(v.id.to_string());
            }
            Expr::List(l) => l.items.iter().for_each(|i| self.assign(i)),
            Expr::Tuple(t) => t.items.iter().for_each(|i| self.assign(i)),
            other => self.expr(other),
        }
    }

    fn args(&mut self, args: &[CallArg<'_>]) {
        for arg in args {
            match arg {
                CallArg::Pos(e) | CallArg::Kwarg(_, e) | CallArg::PosSplat(e) | CallArg::KwargSplat(e) => {
                    self.expr(e)
                }
            }
        }
    }

    fn call(&mut self, callee: &Expr<'_>, args: &[CallArg<'_>], line: usize) {
        match callee {
            Expr::Var(v) => {
                let name = v.id;
                if matches!(name, "lookup" | "query" | "q") {
                    self.lookup_name(args, line);
                } else if !FUNCTIONS.contains(&name) && !CALLABLE_LOCALS.contains(&name) {
                    self.calls.push((name.to_string(), line));
                }
                if !FUNCTIONS.contains(&name) && !CALLABLE_LOCALS.contains(&name) {
                    self.report.variables.insert(name.to_string());
                    self.report.variable_lines.entry(name.to_string()).or_insert(line);
                }
            }
            other => self.expr(other),
        }
        self.args(args);
    }

    fn lookup_name(&mut self, args: &[CallArg<'_>], line: usize) {
        let first = args.iter().find_map(|a| match a {
            CallArg::Pos(e) => Some(e),
            _ => None,
        });
        let Some(first) = first else {
            self.problems
                .push((line, "lookup() needs the lookup's name as first argument".into()));
            return;
        };
        let Some(name) = first.as_const().and_then(|v| v.as_str().map(str::to_string)) else {
            // A computed lookup name is checked when it runs.
            return;
        };
        let short = name.strip_prefix("ansible.builtin.").unwrap_or(&name);
        if lookups::known(short).is_some() {
            self.report.lookups.insert(short.to_string());
        } else {
            self.problems.push((
                line,
                format!(
                    "unknown lookup '{}'. Supported lookups: {}",
                    crate::shown::shown(&name),
                    lookups::names().join(", ")
                ),
            ));
        }
    }

    fn expr(&mut self, expr: &Expr<'_>) {
        match expr {
            Expr::Var(v) => {
                self.report.variables.insert(v.id.to_string());
                self.report
                    .variable_lines
                    .entry(v.id.to_string())
                    .or_insert(v.span().start_line as usize);
            }
            Expr::Const(_) => {}
            Expr::Slice(s) => {
                self.expr(&s.expr);
                for part in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(part);
                }
            }
            Expr::UnaryOp(u) => self.expr(&u.expr),
            Expr::BinOp(b) => {
                if matches!(b.op, BinOpKind::Rem) {
                    self.percent(b);
                }
                if matches!(b.op, BinOpKind::Sub) {
                    self.minus(b);
                }
                self.expr(&b.left);
                self.expr(&b.right);
            }
            Expr::Compare(c) => {
                self.expr(&c.expr);
                for op in &c.ops {
                    self.expr(&op.expr);
                }
            }
            Expr::IfExpr(i) => {
                self.expr(&i.test_expr);
                self.expr(&i.true_expr);
                if let Some(f) = &i.false_expr {
                    self.expr(f);
                }
            }
            Expr::Filter(f) => {
                let line = f.span().start_line as usize;
                if filters::NAMES.contains(&f.name) {
                    self.report.filters.insert(f.name.to_string());
                } else {
                    self.problems.push((
                        line,
                        format!(
                            "unknown filter '{}'. Supported filters: {}",
                            f.name,
                            filters::NAMES.join(", ")
                        ),
                    ));
                }
                if let Some(e) = &f.expr {
                    if matches!(f.name, "default" | "d" | "mandatory") {
                        self.chain(e);
                    }
                    self.expr(e);
                }
                self.name_args(f.name, &f.args, line);
                self.args(&f.args);
            }
            Expr::Test(t) => {
                let line = t.span().start_line as usize;
                if jinja_tests::NAMES.contains(&t.name) {
                    self.report.tests.insert(t.name.to_string());
                } else {
                    self.problems.push((
                        line,
                        format!(
                            "unknown test '{}'. Supported tests: {}",
                            t.name,
                            jinja_tests::NAMES.join(", ")
                        ),
                    ));
                }
                if matches!(t.name, "defined" | "undefined") {
                    self.chain(&t.expr);
                }
                self.expr(&t.expr);
                self.args(&t.args);
            }
            Expr::GetAttr(g) => self.expr(&g.expr),
            Expr::GetItem(g) => {
                self.expr(&g.expr);
                self.expr(&g.subscript_expr);
            }
            Expr::Call(c) => self.call(&c.expr, &c.args, c.span().start_line as usize),
            Expr::List(l) => l.items.iter().for_each(|i| self.expr(i)),
            Expr::Tuple(t) => t.items.iter().for_each(|i| self.expr(i)),
            Expr::Map(m) => {
                m.keys.iter().for_each(|k| self.expr(k));
                m.values.iter().for_each(|v| self.expr(v));
            }
        }
    }

    /// Records `a.b['c'][d]` (a variable followed by constant or variable keys) so that it can
    /// be rewritten into `(a | __chain('b', 'c', d))`, which yields undefined instead of failing
    /// when a link is missing, as Ansible's undefined values allow.
    fn chain(&mut self, expr: &Expr<'_>) {
        let end = expr.span().end_offset as usize;
        let mut keys: Vec<String> = Vec::new();
        let mut current = expr;
        loop {
            match current {
                Expr::GetAttr(g) => {
                    keys.push(format!("'{}'", g.name));
                    current = &g.expr;
                }
                Expr::GetItem(g) => {
                    match &g.subscript_expr {
                        Expr::Const(_) | Expr::Var(_) => {
                            let span = g.subscript_expr.span();
                            let Some(text) = self
                                .source
                                .get(span.start_offset as usize..span.end_offset as usize)
                            else {
                                return;
                            };
                            keys.push(text.to_string());
                        }
                        _ => return,
                    }
                    current = &g.expr;
                }
                Expr::Var(v) => {
                    if keys.is_empty() {
                        return;
                    }
                    let start = v.span().start_offset as usize;
                    let Some(original) = self.source.get(start..end) else {
                        return;
                    };
                    if original.contains('\n') {
                        return;
                    }
                    keys.reverse();
                    let replacement = format!("({} | __chain({}))", v.id, keys.join(", "));
                    self.chains.push((start, end, replacement));
                    return;
                }
                _ => return,
            }
        }
    }

    /// Records `"fmt" % args` (a constant string on the left) to be rewritten into
    /// `("fmt" | __pyformat(args))`: Python's printf-style formatting, which Jinja's `%` does
    /// on strings. A tuple on the right gives the filter its items, anything else one value.
    fn percent(&mut self, b: &Spanned<BinOp<'_>>) {
        let Expr::Const(c) = &b.left else {
            return;
        };
        if c.value.as_str().is_none() {
            return;
        }
        let text = |e: &Expr<'_>| {
            let (start, end) = extent(e);
            self.source.get(start..end).map(str::to_string)
        };
        let (Some(left), Some((start, end, whole))) = (text(&b.left), text_of(&self.source, b)) else {
            return;
        };
        let args: Option<Vec<String>> = match &b.right {
            Expr::Tuple(t) => t.items.iter().map(text).collect(),
            other => text(other).map(|t| vec![t]),
        };
        let Some(args) = args else {
            return;
        };
        let mut replacement = format!("({left} | __pyformat({}", args.join(", "));
        // Keep the lines of what follows where they were.
        let lost =
            whole.matches('\n').count() - replacement.matches('\n').count().min(whole.matches('\n').count());
        replacement.push_str(&"\n".repeat(lost));
        replacement.push_str("))");
        self.chains.push((start, end, replacement));
    }

    /// Records `a - b` to be rewritten into `(a | __pysub(b))`, Python's subtraction of
    /// datetimes and timedeltas (minijinja subtracts numbers only), when the expression
    /// mentions `to_datetime` or `now(`, where datetimes come from.
    fn minus(&mut self, b: &Spanned<BinOp<'_>>) {
        let text = |e: &Expr<'_>| {
            let (start, end) = extent(e);
            self.source.get(start..end).map(str::to_string)
        };
        let (Some(left), Some(right), Some((start, end, whole))) =
            (text(&b.left), text(&b.right), text_of(&self.source, b))
        else {
            return;
        };
        if !whole.contains("to_datetime") && !whole.contains("now(") {
            return;
        }
        let mut replacement = format!("(({left}) | __pysub({right}");
        let lost =
            whole.matches('\n').count() - replacement.matches('\n').count().min(whole.matches('\n').count());
        replacement.push_str(&"\n".repeat(lost));
        replacement.push_str("))");
        self.chains.push((start, end, replacement));
    }

    /// `map('upper')`, `select('defined')`, `selectattr('x', 'match', ...)` name filters and
    /// tests in string arguments: check those too when they are constants.
    fn name_args(&mut self, filter: &str, args: &[CallArg<'_>], line: usize) {
        let (index, is_test) = match filter {
            "map" => (0, false),
            "select" | "reject" => (0, true),
            "selectattr" | "rejectattr" => (1, true),
            _ => return,
        };
        let positional: Vec<&Expr<'_>> = args
            .iter()
            .filter_map(|a| match a {
                CallArg::Pos(e) => Some(e),
                _ => None,
            })
            .collect();
        let Some(name) = positional
            .get(index)
            .and_then(|e| e.as_const())
            .and_then(|v| v.as_str().map(str::to_string))
        else {
            return;
        };
        let (known, kind, list) = if is_test {
            (
                jinja_tests::NAMES.contains(&name.as_str()),
                "test",
                jinja_tests::NAMES,
            )
        } else {
            (filters::NAMES.contains(&name.as_str()), "filter", filters::NAMES)
        };
        if known {
            if is_test {
                self.report.tests.insert(name);
            } else {
                self.report.filters.insert(name);
            }
        } else {
            self.problems.push((
                line,
                format!(
                    "unknown {kind} '{name}' given to {filter}(). Supported {kind}s: {}",
                    list.join(", ")
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(src: &str) -> Result<CheckReport, TemplateError> {
        check_source(&SyntaxConfig::default(), src)
    }

    #[test]
    fn reports_what_a_template_uses() {
        let report = check("{% for u in users %}{{ u.name | upper }}{% endfor %}{{ x is defined }}")
            .expect("valid template");
        assert!(report.filters.contains("upper"));
        assert!(report.tests.contains("defined"));
        assert_eq!(report.variables.iter().collect::<Vec<_>>(), vec!["users", "x"]);
    }

    #[test]
    fn refuses_unknown_filters_with_line_and_list() {
        let err = check("a\n{{ x | frobnicate }}").expect_err("unknown filter");
        assert_eq!(err.line, Some(2));
        assert_eq!(err.kind, TemplateErrorKind::Unsupported);
        assert!(
            err.message.contains("unknown filter 'frobnicate'"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("regex_replace"),
            "lists the supported filters"
        );
    }

    #[test]
    fn refuses_unknown_tests_lookups_and_functions() {
        let err = check("{% if x is frob %}{% endif %}").expect_err("unknown test");
        assert!(err.message.contains("unknown test 'frob'"));
        let err = check("\n\n{{ lookup('frob', 'date') }}").expect_err("unknown lookup");
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("unknown lookup 'frob'"));
        let err = check("{{ later() }}").expect_err("unknown function");
        assert!(err.message.contains("unknown function 'later'"));
        let err = check("{{ l | map('frob') | list }}").expect_err("unknown filter in map");
        assert!(err.message.contains("unknown filter 'frob' given to map()"));
        let err = check("{{ l | selectattr('a', 'frob') | list }}").expect_err("unknown test");
        assert!(err.message.contains("unknown test 'frob' given to selectattr()"));
    }

    #[test]
    fn accepts_macros_and_lookups() {
        let report = check(
            "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1) }}{{ lookup('file', 'x') }}{{ query('env', 'H') }}",
        )
        .expect("valid");
        assert!(report.lookups.contains("file") && report.lookups.contains("env"));
    }

    #[test]
    fn task_arguments_cannot_refer_to_templates() {
        for (src, tag) in [
            ("a\n{% include 'other.j2' %}", "include"),
            ("a\n{% import 'm.j2' as m %}", "import"),
            ("a\n{% from 'm.j2' import f %}", "import"),
            ("a\n{% extends 'base.j2' %}", "extends"),
        ] {
            let err = check(src).expect_err("refused in a task argument");
            assert_eq!(err.line, Some(2), "{src}");
            assert!(
                err.message
                    .starts_with(&format!("`{{% {tag} %}}` only works in template files")),
                "{src}: {}",
                err.message
            );
        }
    }

    #[test]
    fn template_files_list_their_references() {
        let src = "{% extends 'base.j2' %}\n{% import 'm.j2' as m %}\n{% from 'w.j2' import f as g with context %}\n\
                   {% if x %}{% include ['a.j2', 'b.j2'] ignore missing %}{% endif %}\n{% include name %}{{ m.h() }}{{ g() }}";
        let report = check_file_source(&SyntaxConfig::default(), src).expect("valid template file");
        let got: Vec<String> = report
            .references
            .iter()
            .map(|r| {
                format!(
                    "{} {:?} line {} missing-ok={} context={} conditional={}",
                    r.kind.tag(),
                    r.names,
                    r.line,
                    r.ignore_missing,
                    r.with_context,
                    r.conditional
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                r#"extends ["base.j2"] line 1 missing-ok=false context=true conditional=false"#,
                r#"import ["m.j2"] line 2 missing-ok=false context=false conditional=false"#,
                r#"import ["w.j2"] line 3 missing-ok=false context=true conditional=false"#,
                r#"include ["a.j2", "b.j2"] line 4 missing-ok=true context=true conditional=true"#,
                r#"include [] line 5 missing-ok=false context=true conditional=false"#,
            ]
        );
        assert!(report.assigned.contains("m") && report.assigned.contains("g"));
        assert_eq!(report.variables.iter().collect::<Vec<_>>(), vec!["name", "x"]);
        assert_eq!(report.variable_lines.get("name"), Some(&5));
        let report = check_file_source(
            &SyntaxConfig::default(),
            "{% macro f() %}{{ varargs }}{{ caller() }}{% endmacro %}{% block b %}{{ self.c() }}{{ super() }}{% endblock %}",
        )
        .expect("valid");
        assert!(report.variables.is_empty(), "{:?}", report.variables);
    }

    #[test]
    fn reports_syntax_errors_with_line() {
        let err = check("ok\n{% if x %}\nno end").expect_err("syntax error");
        assert_eq!(err.kind, TemplateErrorKind::Syntax);
        assert!(err.line.is_some());
        let err = check_expression("x is").expect_err("bad expression");
        assert_eq!(err.kind, TemplateErrorKind::Syntax);
    }

    #[test]
    fn percent_formatting_is_rewritten() {
        assert_eq!(
            rewrite_expression("'%s-%d' % (a.b, c | int) ~ 'x'").as_deref(),
            Some("('%s-%d' | __pyformat(a.b, c | int)) ~ 'x'")
        );
        assert_eq!(
            rewrite_expression("'%s' % ('%d' % n)").as_deref(),
            Some("('%s' | __pyformat(('%d' | __pyformat(n))))")
        );
        assert_eq!(rewrite_expression("n % 2"), None);
    }

    #[test]
    fn chains_are_rewritten() {
        assert_eq!(
            rewrite_expression("a.b['c'][d] is defined").as_deref(),
            Some("(a | __chain('b', 'c', d)) is defined")
        );
        assert_eq!(rewrite_expression("a is defined"), None);
        assert_eq!(
            rewrite_expression("x.y | default(1)").as_deref(),
            Some("(x | __chain('y')) | default(1)")
        );
    }
}
