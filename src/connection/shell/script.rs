//! The text sent to the long-lived shell for one command (see `ARCHITECTURE.md`,
//! section "Targets, become and file modules" › "The remote-shell protocol").
//!
//! ```text
//! base64 -d <<'N_in' | (          or   (
//! <stdin data, base64, 76 columns>
//! N_in
//! export 'K=V'                          environment, in the subshell only
//! cd -- '/dir' || exit 1                chdir, in the subshell only
//! eval '<script>'                       or: [sudo -n -u U --] [timeout] sh -c '<inner>'
//! )                                     or   ) </dev/null
//! __ph_rc=$?; printf '\nN:%s\n' "$__ph_rc"; printf '\nN\n' >&2
//! ```
//!
//! A script that decodes its input itself ([`Command::stdin_base64`]) gets the base64 text as a
//! here-document of the subshell, inside braces: `{ ( ... ) <<'N_in'`, the data, `N_in`, `}`.
//! The shell parses the whole brace group, data included, before running any of it, so a
//! transfer cut short is a syntax error and nothing runs; a shell executes a command whose
//! here-document ends early, but never an unclosed group.
//!
//! The script runs in a subshell, so `cd`, `export` and `exit` never touch the session's shell,
//! and through `eval` of one quoted word, so even a syntax error cannot disturb the protocol.
//! Its standard input is always redirected, so nothing it reads can come from the session's own
//! script stream. Both output streams end with a line holding the per-command nonce `N`, preceded
//! by a newline the reader strips, so output without a trailing newline stays exact.

use std::fmt::Write as _;

use base64::Engine as _;

use super::super::Command;
use super::super::r#become::Escalation;
use super::super::quote::quote;

/// Bytes of input per base64 line (76 columns once encoded).
const B64_LINE: usize = 57;

/// Appends `data` to `out` as base64 lines.
pub(crate) fn push_base64_lines(out: &mut String, data: &[u8]) {
    let engine = base64::engine::general_purpose::STANDARD;
    out.reserve(data.len() / 3 * 4 + data.len() / B64_LINE + 8);
    for chunk in data.chunks(B64_LINE) {
        engine.encode_string(chunk, out);
        out.push('\n');
    }
}

/// Builds the protocol text for `cmd`, whose end markers carry `nonce`.
pub(super) fn build(cmd: &Command, nonce: &str, escalation: Option<&Escalation>) -> String {
    let mut inner = String::new();
    for (k, v) in &cmd.env {
        let _ = writeln!(inner, "export {}", quote(&format!("{k}={v}")));
    }
    if let Some(dir) = &cmd.chdir {
        let _ = writeln!(inner, "cd -- {} || exit 1", quote(dir));
    }
    let _ = writeln!(inner, "eval {}", quote(&cmd.script));

    let stdin: Option<Vec<u8>> = match (escalation.and_then(|e| e.stdin_password.as_ref()), &cmd.stdin) {
        (Some(pw), data) => {
            let mut bytes = pw.lines().next().unwrap_or("").as_bytes().to_vec();
            bytes.push(b'\n');
            bytes.extend_from_slice(data.as_deref().unwrap_or_default());
            Some(bytes)
        }
        (None, data) => data.clone(),
    };

    let mut text = String::with_capacity(inner.len() + 256);
    let encoded = cmd.stdin_base64 && cmd.stdin.is_some();
    match &stdin {
        Some(_) if encoded => text.push_str("{ (\n"),
        Some(data) => {
            let _ = writeln!(text, "base64 -d <<'{nonce}_in' | (");
            push_base64_lines(&mut text, data);
            let _ = writeln!(text, "{nonce}_in");
        }
        None => text.push_str("(\n"),
    }
    match (escalation, cmd.timeout) {
        (None, None) => text.push_str(&inner),
        (esc, timeout) => {
            let mut words = String::new();
            if let Some(t) = timeout {
                let _ = write!(words, "timeout -k 5 {} ", t.as_secs_f64());
            }
            let _ = write!(words, "sh -c {}", quote(&inner));
            match esc {
                Some(e) => text.push_str(&e.wrap(&words)),
                None => {
                    text.push_str(&words);
                    text.push('\n');
                }
            }
        }
    }
    match &stdin {
        Some(_) if encoded => {
            let _ = writeln!(text, ") <<'{nonce}_in'");
            // A `su` password line (see `become`) stays raw text in front of the base64.
            if let Some(pw) = escalation.and_then(|e| e.stdin_password.as_ref()) {
                let _ = writeln!(text, "{}", pw.lines().next().unwrap_or(""));
            }
            push_base64_lines(&mut text, cmd.stdin.as_deref().unwrap_or_default());
            let _ = writeln!(text, "{nonce}_in\n}}");
        }
        Some(_) => text.push_str(")\n"),
        None => text.push_str(") </dev/null\n"),
    }
    let _ = writeln!(
        text,
        "__ph_rc=$?; printf '\\n%s:%s\\n' '{nonce}' \"$__ph_rc\"; printf '\\n%s\\n' '{nonce}' >&2"
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_command_reads_dev_null() {
        let text = build(&Command::new("echo hi"), "N", None);
        assert_eq!(
            text,
            "(\neval 'echo hi'\n) </dev/null\n__ph_rc=$?; printf '\\n%s:%s\\n' 'N' \"$__ph_rc\"; \
             printf '\\n%s\\n' 'N' >&2\n"
        );
    }

    #[test]
    fn stdin_travels_as_base64_heredoc() {
        let mut cmd = Command::new("cat");
        cmd.stdin = Some(b"\0\xff".to_vec());
        let text = build(&cmd, "N", None);
        assert!(
            text.starts_with("base64 -d <<'N_in' | (\nAP8=\nN_in\neval 'cat'\n)\n"),
            "{text}"
        );
    }

    #[test]
    fn encoded_stdin_is_a_heredoc_inside_a_brace_group() {
        let mut cmd = Command::new("base64 -d");
        cmd.stdin = Some(b"\0\xff".to_vec());
        cmd.stdin_base64 = true;
        let text = build(&cmd, "N", None);
        assert!(
            text.starts_with("{ (\neval 'base64 -d'\n) <<'N_in'\nAP8=\nN_in\n}\n"),
            "{text}"
        );
    }

    /// Feeds `text` to a real `sh` and returns its standard output.
    fn run_sh(text: &str) -> String {
        use std::io::Write as _;
        let mut sh = std::process::Command::new("sh")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("sh starts");
        sh.stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
        String::from_utf8(sh.wait_with_output().expect("sh ends").stdout).expect("utf-8")
    }

    #[test]
    fn encoded_stdin_reaches_the_script_whole_or_not_at_all() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let mut cmd = Command::new(format!("base64 -d > '{}' && echo wrote", out.display()));
        cmd.stdin = Some((0..=255u8).cycle().take(10_000).collect());
        cmd.stdin_base64 = true;
        let text = build(&cmd, "N", None);

        // Cut inside the data, at a line end: a shell runs a command whose here-document ends
        // early, but not an unclosed brace group, so nothing runs.
        let data_line = text.find("\nAAECAwQF").expect("data") + 1;
        let cut = data_line + text[data_line..].find('\n').expect("line end") + 1;
        assert_eq!(run_sh(&text[..cut]), "");
        assert!(!out.exists(), "a cut transfer ran the script");

        // Whole, it decodes to the same bytes.
        assert!(run_sh(&text).starts_with("wrote\n"));
        assert_eq!(
            std::fs::read(&out).expect("written"),
            cmd.stdin.clone().expect("stdin")
        );
    }

    #[test]
    fn base64_lines_are_76_columns() {
        let mut out = String::new();
        push_base64_lines(&mut out, &[7u8; 200]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[..3].iter().all(|l| l.len() == 76));
    }
}
