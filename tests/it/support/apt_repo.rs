//! A local apt repository for hermetic package tests: small `.deb`s built with `dpkg-deb`, indexed
//! with `apt-ftparchive` (a flat repository: `Packages` and `Release` at its top) and served over
//! http on 127.0.0.1:PORT by a thread of the test process. The test machines share the host's
//! network, so `deb [trusted=yes] http://127.0.0.1:PORT/ ./` reaches it from inside
//! ([`Machine::add_apt_repo`](super::machines::Machine::add_apt_repo)).
//!
//! ```ignore
//! let repo = AptRepo::serve(&[Deb::new("hello", "1.0").file("/usr/share/hello/greeting", "hi\n")]);
//! machine.add_apt_repo(&repo, true);
//! machine.ok("apt-get update -q && apt-get install -y -q hello");
//! ```

#![allow(
    dead_code,
    reason = "the API serves the package tests; the smoke tests use part of it"
)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use tempfile::TempDir;

/// A package to build: name, version, files, dependencies, maybe a systemd service.
#[derive(Clone)]
pub struct Deb {
    name: String,
    version: String,
    files: Vec<(String, String)>,
    depends: Option<String>,
    service: Option<String>,
}

/// A served repository; the server stops and the files go on drop.
pub struct AptRepo {
    dir: TempDir,
    port: u16,
    stop: Arc<AtomicBool>,
    server: Option<JoinHandle<()>>,
}

impl Deb {
    /// A package with no files (architecture `all`).
    pub fn new(name: &str, version: &str) -> Deb {
        Deb {
            name: name.into(),
            version: version.into(),
            files: Vec::new(),
            depends: None,
            service: None,
        }
    }

    /// A file the package installs (absolute path, mode 0644).
    pub fn file(mut self, path: &str, text: &str) -> Deb {
        self.files
            .push((path.trim_start_matches('/').into(), text.into()));
        self
    }

    /// The `Depends:` field, as written in a control file (`a (>= 1.0), b`).
    pub fn depends(mut self, depends: &str) -> Deb {
        self.depends = Some(depends.into());
        self
    }

    /// A service `NAME.service` running `sh -c SCRIPT` (for example `exec sleep infinity`, or a
    /// listener written with python3, which the machines have). As Debian's own packages do, the
    /// package enables and starts it when installed, and stops and disables it when removed.
    pub fn service(mut self, script: &str) -> Deb {
        self.service = Some(script.into());
        self
    }

    /// [`service`](Self::service) that only sleeps.
    pub fn sleeping_service(self) -> Deb {
        self.service("exec sleep infinity")
    }

    /// Builds `NAME_VERSION_all.deb` in `out`; returns its path.
    pub fn build(&self, out: &Path) -> PathBuf {
        let tree = tempfile::tempdir().expect("creating a package tree");
        let root = tree.path();
        let debian = root.join("DEBIAN");
        std::fs::create_dir_all(&debian).expect("creating DEBIAN/");
        let mut control = format!(
            "Package: {}\nVersion: {}\nArchitecture: all\nMaintainer: playhook tests <tests@playhook.invalid>\n\
             Section: misc\nPriority: optional\n",
            self.name, self.version
        );
        if let Some(d) = &self.depends {
            control.push_str(&format!("Depends: {d}\n"));
        }
        control.push_str(&format!("Description: playhook test package {}\n", self.name));
        write(&debian.join("control"), &control, 0o644);
        for (path, text) in &self.files {
            write(&root.join(path), text, 0o644);
        }
        if let Some(script) = &self.service {
            let unit = format!(
                "[Unit]\nDescription=playhook test service {name}\n\n[Service]\nExecStart=/bin/sh -c '{script}'\n\n\
                 [Install]\nWantedBy=multi-user.target\n",
                name = self.name,
                script = script.replace('\'', "'\\''")
            );
            write(
                &root.join(format!("lib/systemd/system/{}.service", self.name)),
                &unit,
                0o644,
            );
            let unit = format!("{}.service", self.name);
            let running = "[ -d /run/systemd/system ] || exit 0";
            write(
                &debian.join("postinst"),
                &format!(
                    "#!/bin/sh\nset -e\n{running}\nsystemctl daemon-reload\nsystemctl enable --now {unit}\n"
                ),
                0o755,
            );
            write(
                &debian.join("prerm"),
                &format!("#!/bin/sh\nset -e\n{running}\nsystemctl disable --now {unit}\n"),
                0o755,
            );
            write(
                &debian.join("postrm"),
                &format!("#!/bin/sh\nset -e\n{running}\nsystemctl daemon-reload\n"),
                0o755,
            );
        }
        let deb = out.join(format!("{}_{}_all.deb", self.name, self.version));
        run(Command::new("dpkg-deb")
            .args(["--build", "--root-owner-group", "-Zgzip"])
            .arg(root)
            .arg(&deb));
        deb
    }
}

impl AptRepo {
    /// Builds `debs` into a new repository and serves it.
    pub fn serve(debs: &[Deb]) -> AptRepo {
        assert!(
            Command::new("apt-ftparchive").arg("--version").output().is_ok(),
            "the local apt repository needs apt-ftparchive: run tests/setup.sh (apt-get install apt-utils)"
        );
        let dir = tempfile::Builder::new()
            .prefix("playhook-apt-")
            .tempdir()
            .expect("creating the repository's dir");
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the repository's http port");
        let port = listener
            .local_addr()
            .expect("a bound socket has an address")
            .port();
        let stop = Arc::new(AtomicBool::new(false));
        let root = dir.path().to_path_buf();
        let stopping = Arc::clone(&stop);
        let server = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = answer(stream, &root);
                }
            }
        });
        let repo = AptRepo {
            dir,
            port,
            stop,
            server: Some(server),
        };
        repo.add(debs);
        repo
    }

    /// Builds more packages into the repository (new versions too) and indexes it again; run
    /// `apt-get update` on the machines afterwards.
    pub fn add(&self, debs: &[Deb]) {
        for deb in debs {
            deb.build(self.dir.path());
        }
        let packages = output(
            Command::new("apt-ftparchive")
                .arg("packages")
                .arg(".")
                .current_dir(self.dir.path()),
        );
        std::fs::write(self.dir.path().join("Packages"), packages).expect("writing Packages");
        // Release must not list itself: index first, then write it.
        let release = output(
            Command::new("apt-ftparchive")
                .arg("release")
                .arg(".")
                .current_dir(self.dir.path()),
        );
        std::fs::write(self.dir.path().join("Release"), release).expect("writing Release");
    }

    /// `http://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The line for `/etc/apt/sources.list.d/`: `deb [trusted=yes] http://127.0.0.1:PORT/ ./`.
    pub fn sources_line(&self) -> String {
        format!("deb [trusted=yes] {} ./", self.url())
    }

    /// The repository's directory (the `.deb`s, `Packages`, `Release`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for AptRepo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the server up from accept().
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(s) = self.server.take() {
            let _ = s.join();
        }
    }
}

/// Answers one http request: the file under `root`, or 404.
fn answer(stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let mut parts = request.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let path = parts
        .next()
        .unwrap_or_default()
        .split('?')
        .next()
        .unwrap_or_default();
    let rel = Path::new(path.trim_start_matches('/'));
    let safe = rel
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    let body = if safe {
        std::fs::read(root.join(rel)).ok()
    } else {
        None
    };
    let mut stream = stream;
    match body {
        Some(body) => {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            if method != "HEAD" {
                stream.write_all(&body)?;
            }
        }
        None => write!(
            stream,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?,
    }
    stream.flush()
}

fn write(path: &Path, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(path.parent().expect("a file has a parent")).expect("creating a package dir");
    std::fs::write(path, text).expect("writing a package file");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .expect("setting a package file's mode");
}

fn run(cmd: &mut Command) {
    output(cmd);
}

fn output(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
