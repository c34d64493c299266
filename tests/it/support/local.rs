//! A local connection and scratch directories for tests that drive the library directly.

use std::path::Path;

use playhook::connection::local::LocalConnection;
use playhook::connection::{Command, Connection, Output};

/// Starts a local `sh` session.
pub async fn local() -> LocalConnection {
    LocalConnection::start("testhost").await.expect("local sh starts")
}

/// Runs a script and returns its output, failing the test on a connection error.
pub async fn sh(conn: &mut dyn Connection, script: &str) -> Output {
    conn.run(&Command::new(script), None).await.expect("command runs")
}

/// Fails with an install hint when a tool the test needs is missing.
pub fn require_tool(tool: &str, package: &str) {
    let found = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "`{tool}` is missing: install it with `apt-get install -y {package}`"
    );
}

/// The mode bits of a local path.
pub fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .expect("path exists")
        .permissions()
        .mode()
        & 0o7777
}
