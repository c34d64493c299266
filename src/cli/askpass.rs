//! The askpass helper mode: ssh runs the playhook binary as `SSH_ASKPASS` to get a host's login
//! password from the running deploy (see `connection::ssh::askpass` for the whole mechanism).

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use crate::connection::ssh::askpass;

pub use askpass::ASKPASS_SOCKET_ENV;

/// Answers ssh's `prompt` with what the deploy listening on `socket` returns: the password on
/// stdout, exit 0; nothing and exit 1 when the prompt is not for the password (ssh then gives
/// up on that question) or the deploy cannot be asked.
pub fn run(socket: &OsStr, prompt: &OsStr) -> ExitCode {
    let reply = match askpass::answer(Path::new(socket), &prompt.to_string_lossy()) {
        Ok(reply) => reply,
        Err(e) => {
            eprintln!("playhook askpass: cannot ask the running deploy for the password: {e}");
            return ExitCode::FAILURE;
        }
    };
    if reply.is_empty() {
        return ExitCode::FAILURE;
    }
    let mut out = std::io::stdout().lock();
    let written = out
        .write_all(&reply)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if written.is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
