//! Several commands in one round trip, each one's exit status, stdout and stderr kept apart:
//! the service modules ask `systemctl` a few questions per task and must not pay a round trip
//! for each.
//!
//! [`Steps`] builds one script in which every step's output is framed by marker lines on both
//! streams; [`Said::parse`] splits the streams back into the steps' results.

use std::collections::HashMap;

use crate::connection::Output;

const MARK: &str = "@@playhook-step@@";

/// A script made of named steps (and plain shell text between them).
#[derive(Default)]
pub struct Steps {
    script: String,
}

impl Steps {
    /// Starts a script with `prelude` (variables, checks that `exit` early).
    pub fn new(prelude: &str) -> Steps {
        let mut s = Steps::default();
        s.shell(prelude);
        s
    }

    /// Adds shell text run as it is.
    pub fn shell(&mut self, text: &str) -> &mut Self {
        self.script.push_str(text);
        if !text.ends_with('\n') {
            self.script.push('\n');
        }
        self
    }

    /// Adds a step named `name` (no spaces) running `command`; its status is left in `$rc`.
    pub fn step(&mut self, name: &str, command: &str) -> &mut Self {
        self.script.push_str(&format!(
            "printf '{MARK} begin {name}\\n'; printf '{MARK} begin {name}\\n' >&2\n{command}\nrc=$?\n\
             printf '\\n{MARK} end {name} %s\\n' \"$rc\"; printf '\\n{MARK} end {name}\\n' >&2\n"
        ));
        self
    }

    /// Adds a step that stops the script when it fails (the actions of a task).
    pub fn action(&mut self, name: &str, command: &str) -> &mut Self {
        self.step(name, command);
        self.script.push_str("[ \"$rc\" -eq 0 ] || exit 0\n");
        self
    }

    pub fn script(&self) -> &str {
        &self.script
    }
}

/// One step's result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The results of the steps that ran, and what the script printed outside them.
#[derive(Debug, Default)]
pub struct Said {
    steps: HashMap<String, Step>,
    /// Lines of stdout outside any step (markers of the prelude).
    pub outside: Vec<String>,
}

impl Said {
    pub fn parse(out: &Output) -> Said {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut said = Said::default();
        let mut rest: &str = &stdout;
        while let Some((before, name, body, rc, after)) = next_frame(rest, true) {
            said.outside.extend(before.lines().map(str::to_string));
            said.steps.insert(
                name.to_string(),
                Step {
                    rc,
                    stdout: body.to_string(),
                    stderr: String::new(),
                },
            );
            rest = after;
        }
        said.outside.extend(rest.lines().map(str::to_string));
        let mut rest: &str = &stderr;
        while let Some((_, name, body, _, after)) = next_frame(rest, false) {
            if let Some(step) = said.steps.get_mut(name) {
                step.stderr = body.to_string();
            }
            rest = after;
        }
        said
    }

    /// The result of step `name`, when it ran.
    pub fn get(&self, name: &str) -> Option<&Step> {
        self.steps.get(name)
    }

    /// Whether the prelude printed the line `marker`.
    pub fn said(&self, marker: &str) -> bool {
        self.outside.iter().any(|l| l == marker)
    }
}

/// The next frame of `text`: what came before it, its name, its body, its status (stdout
/// only) and the text after it.
fn next_frame(text: &str, with_rc: bool) -> Option<(&str, &str, &str, i32, &str)> {
    let begin = format!("{MARK} begin ");
    let start = find_line(text, &begin)?;
    let before = &text[..start];
    let line_end = text[start..].find('\n').map(|i| start + i + 1)?;
    let name = text[start + begin.len()..line_end - 1].trim();
    let end_marker = format!("\n{MARK} end {name}");
    let body_end = text[line_end..].find(&end_marker).map(|i| line_end + i)?;
    let body = &text[line_end..body_end];
    let end_line_start = body_end + 1;
    let end_line_end = text[end_line_start..]
        .find('\n')
        .map(|i| end_line_start + i)
        .unwrap_or(text.len());
    let end_line = &text[end_line_start..end_line_end];
    let rc = if with_rc {
        end_line
            .rsplit(' ')
            .next()
            .and_then(|r| r.parse().ok())
            .unwrap_or(-1)
    } else {
        0
    };
    let after = text.get(end_line_end + 1..).unwrap_or("");
    Some((before, name, body, rc, after))
}

/// The byte offset of the first line of `text` that starts with `prefix`.
fn find_line(text: &str, prefix: &str) -> Option<usize> {
    if text.starts_with(prefix) {
        return Some(0);
    }
    text.find(&format!("\n{prefix}")).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_come_back_apart() {
        let mut s = Steps::new("echo early");
        s.step("one", "echo out; echo err >&2; false")
            .step("two", "printf 'no newline'");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(s.script())
            .output()
            .expect("sh runs");
        let said = Said::parse(&Output {
            rc: 0,
            stdout: out.stdout,
            stderr: out.stderr,
        });
        assert!(said.said("early"));
        let one = said.get("one").expect("one ran");
        assert_eq!(
            (one.rc, one.stdout.as_str(), one.stderr.as_str()),
            (1, "out\n", "err\n")
        );
        let two = said.get("two").expect("two ran");
        assert_eq!(
            (two.rc, two.stdout.as_str(), two.stderr.as_str()),
            (0, "no newline", "")
        );
        assert!(said.get("three").is_none());
    }
}
