//! Rendering an error with its chain of causes: the one place that decides how a cause chain
//! reads, used by the CLI's error report and by every message that puts an error on one line.
//!
//! Each error in the chain contributes its text once: a cause whose text is already contained
//! in what was rendered before it (an error that repeats its source in its own message) is
//! skipped, and so is an empty text. Rendering only builds strings; printing is the CLI's job.

use std::error::Error;

/// The texts of `err` and of each of its causes, outermost first, each text once.
pub fn texts(err: &(dyn Error + 'static)) -> Vec<String> {
    texts_with(err, |e| e.to_string())
}

/// [`texts`], taking each error's text from `text` instead of its `Display`.
pub fn texts_with(
    err: &(dyn Error + 'static),
    text: impl Fn(&(dyn Error + 'static)) -> String,
) -> Vec<String> {
    let mut shown: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let t = text(e);
        if !t.is_empty() && !shown.iter().any(|s| s.contains(&t)) {
            shown.push(t);
        }
        next = e.source();
    }
    shown
}

/// `err` and its causes on one line: `outer: cause: root cause`.
pub fn render(err: &(dyn Error + 'static)) -> String {
    texts(err).join(": ")
}

/// [`render`], taking each error's text from `text` instead of its `Display` (for errors whose
/// `Display` adds what the message must not carry, such as minijinja's location suffix).
pub fn render_with(err: &(dyn Error + 'static), text: impl Fn(&(dyn Error + 'static)) -> String) -> String {
    texts_with(err, text).join(": ")
}

/// `err` as the CLI reports it: `error: outer`, then one `  caused by: cause` line per cause.
pub fn report(err: &(dyn Error + 'static)) -> String {
    let mut out = String::from("error: ");
    for (i, t) in texts(err).iter().enumerate() {
        if i > 0 {
            out.push_str("\n  caused by: ");
        }
        out.push_str(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer {
        text: &'static str,
        source: Option<Box<Layer>>,
    }

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.text)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.source.as_deref().map(|s| s as &(dyn Error + 'static))
        }
    }

    fn chain(texts: &[&'static str]) -> Layer {
        let mut layer: Option<Box<Layer>> = None;
        for text in texts.iter().rev() {
            layer = Some(Box::new(Layer { text, source: layer }));
        }
        *layer.expect("at least one text")
    }

    #[test]
    fn distinct_causes_are_each_rendered() {
        let err = chain(&["reading `hosts`", "permission denied", "os error 13"]);
        assert_eq!(render(&err), "reading `hosts`: permission denied: os error 13");
        assert_eq!(
            report(&err),
            "error: reading `hosts`\n  caused by: permission denied\n  caused by: os error 13"
        );
    }

    #[test]
    fn a_cause_repeated_in_its_parent_is_rendered_once() {
        let err = chain(&[
            "deploy.yaml:3: unknown module `frob`",
            "unknown module `frob`",
            "see the list",
        ]);
        assert_eq!(render(&err), "deploy.yaml:3: unknown module `frob`: see the list");
        assert_eq!(
            report(&err),
            "error: deploy.yaml:3: unknown module `frob`\n  caused by: see the list"
        );
    }

    #[test]
    fn a_cause_repeated_further_up_is_rendered_once() {
        let err = chain(&["a: timed out", "connecting", "timed out"]);
        assert_eq!(render(&err), "a: timed out: connecting");
    }

    #[test]
    fn empty_texts_are_skipped() {
        let err = chain(&["outer", "", "root"]);
        assert_eq!(texts(&err), vec!["outer", "root"]);
    }

    #[test]
    fn a_single_error_is_its_text() {
        assert_eq!(render(&chain(&["alone"])), "alone");
        assert_eq!(report(&chain(&["alone"])), "error: alone");
    }

    #[test]
    fn render_with_takes_the_given_texts() {
        let err = chain(&["outer (at line 1)", "inner (at line 2)"]);
        let text = |e: &(dyn Error + 'static)| {
            let t = e.to_string();
            t.split(" (").next().unwrap_or_default().to_string()
        };
        assert_eq!(render_with(&err, text), "outer: inner");
    }
}
