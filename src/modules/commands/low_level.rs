//! The result of Ansible's `_low_level_execute_command`, which `raw` and `script` register:
//! `rc`, `stdout`, `stderr` and their `*_lines`, unstripped, `changed: true`, and a failure
//! with `non-zero return code` when the exit status is not 0.

use crate::connection::Output;
use crate::modules::commands::words::{lines_value, python_splitlines};
use crate::modules::{ModuleError, Outcome};

/// The registered result of a command run the low-level way.
pub fn result(out: &Output) -> Result<Outcome, ModuleError> {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let outcome = Outcome::changed(true)
        .with("rc", out.rc)
        .with("stdout", stdout.as_str())
        .with("stdout_lines", lines_value(python_splitlines(&stdout)))
        .with("stderr", stderr.as_str())
        .with("stderr_lines", lines_value(python_splitlines(&stderr)));
    if out.rc != 0 {
        return Err(ModuleError::failed_with("non-zero return code", outcome));
    }
    Ok(outcome)
}
