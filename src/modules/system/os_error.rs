//! Python's `OSError` text (`[Errno 39] Directory not empty: '/mnt/x'`), which the modules of
//! the collections put in their messages, rebuilt from what a coreutils program said.

/// An `OSError` as Python prints it (`[Errno 39] Directory not empty: '/mnt/x'`), from the
/// message a coreutils program gave.
pub fn os_error(stderr: &str, path: &str) -> String {
    const ERRNOS: &[(&str, i32)] = &[
        ("Operation not permitted", 1),
        ("No such file or directory", 2),
        ("Permission denied", 13),
        ("Device or resource busy", 16),
        ("File exists", 17),
        ("Not a directory", 20),
        ("Read-only file system", 30),
        ("Directory not empty", 39),
    ];
    match ERRNOS.iter().find(|(text, _)| stderr.contains(text)) {
        Some((text, n)) => format!("[Errno {n}] {text}: '{path}'"),
        None => stderr.trim().to_string(),
    }
}
