//! Writing the commands' output: `outln!` to stdout, `errln!` to stderr, each returning the
//! write's failure as an error (`?`) instead of panicking as `println!` does.
//!
//! A reader that goes away (`playhook check | head -1`) makes the next write fail with
//! `BrokenPipe`; [`super::CommandError::exit`] turns that into a quiet exit with status 141,
//! the status a shell reports for git or cargo killed by SIGPIPE. playhook keeps SIGPIPE
//! ignored (Rust's default) because it also writes to the pipes of `ssh` and `sh`, where a
//! closed pipe must be an error to report, not the end of the process.

use std::io;

/// Writes a line to stdout, `?`-returning the failure (see the module docs).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*).map_err($crate::cli::out::stdout_failed)?
    }};
}

/// Writes to stdout without a newline, `?`-returning the failure.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        write!(stdout, $($arg)*)
            .and_then(|()| stdout.flush())
            .map_err($crate::cli::out::stdout_failed)?
    }};
}

/// Writes a line to stderr, `?`-returning the failure.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stderr().lock(), $($arg)*).map_err($crate::cli::out::stderr_failed)?
    }};
}

/// Writes to stderr without a newline, `?`-returning the failure.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stderr = std::io::stderr().lock();
        write!(stderr, $($arg)*)
            .and_then(|()| stderr.flush())
            .map_err($crate::cli::out::stderr_failed)?
    }};
}

pub(crate) use {err, errln, out, outln};

/// The error for a failed write to stdout.
pub(crate) fn stdout_failed(e: io::Error) -> anyhow::Error {
    anyhow::Error::new(e).context("cannot write to standard output")
}

/// The error for a failed write to stderr.
pub(crate) fn stderr_failed(e: io::Error) -> anyhow::Error {
    anyhow::Error::new(e).context("cannot write to standard error")
}

/// Whether `err` is a write to a pipe whose reader has gone.
pub fn is_closed_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
