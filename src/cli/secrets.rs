//! `playhook secrets`: create, change, read and check the repository's encrypted secrets file,
//! and the git textconv driver that shows it decrypted in `git diff`.

use crate::cli::out::{err, errln, outln};
use std::io::{BufRead as _, IsTerminal as _, Read as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use super::Exit;
use crate::secrets::{
    self, KEY_FILE_NAME, KeyPath, KeySource, META_KEY, PrivateDir, Scalar, SecretString, SecretsFile,
    Segment, Tree,
};

/// The environment variable that holds the secrets passphrase.
pub const SECRETS_KEY_VAR: &str = "SECRETS_KEY";

/// Manage the repository's encrypted secrets (secrets.yaml or secrets.json).
///
/// The key is the passphrase in SECRETS_KEY, else the key file (`secret.key` beside the secrets
/// file, or --key-file), which must not be readable by group or others.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 done; 1 error (wrong key, unreadable file, unknown key path); 5 bad options."
)]
pub struct SecretsArgs {
    /// The repository directory.
    #[arg(
        short = 'C',
        long = "dir",
        value_name = "DIR",
        default_value = ".",
        global = true
    )]
    pub dir: PathBuf,

    /// The key file (default: secret.key beside the secrets file). Not with SECRETS_KEY.
    #[arg(long, value_name = "PATH", global = true)]
    pub key_file: Option<PathBuf>,

    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Subcommand)]
pub enum Action {
    /// Create an empty secrets file, and a random key file `secret.key` unless SECRETS_KEY is set.
    Init {
        /// Write secrets.json instead of secrets.yaml.
        #[arg(long)]
        json: bool,
    },
    /// Set a value, read from stdin or from a prompt that does not echo (never from arguments).
    ///
    /// NAME is a key path: `ldap_password`, `db.password`, `users[0]`, `certs["example.com"]`.
    /// One trailing line break of a single-line value read from stdin is dropped.
    Set {
        /// The value's key path.
        name: String,
        /// Keep the value read from stdin exactly, trailing line break included.
        #[arg(long)]
        raw: bool,
        /// Refused: a value on the command line would land in shell history and `ps`.
        #[arg(hide = true, num_args = 0.., allow_hyphen_values = true)]
        refused_value: Vec<String>,
    },
    /// Print one value (a mapping or list as JSON), e.g. for dynamic inventory scripts.
    Get {
        /// The value's key path (`db.password`, `users[0]`).
        name: String,
    },
    /// Print every decrypted value as YAML; only to a terminal unless --force.
    Show {
        /// Print even when stdout is not a terminal.
        #[arg(long)]
        force: bool,
    },
    /// Edit the decrypted values in $VISUAL or $EDITOR, then re-encrypt what changed.
    Edit,
    /// Remove a value (or a whole mapping or list).
    Rm {
        /// The key path to remove.
        name: String,
    },
    /// Re-encrypt every value under a new key: a new passphrase (stdin or prompt) or a key file.
    Rekey {
        /// Use this existing key file as the new key.
        #[arg(long, value_name = "PATH")]
        new_key_file: Option<PathBuf>,
        /// Generate a new random key file (at --new-key-file, else replacing secret.key).
        #[arg(long)]
        generate: bool,
    },
    /// Check that the key opens every value and that the MAC matches.
    Verify,
    /// Print FILE decrypted, for git: `git config diff.playhook.textconv "playhook secrets diff-text"`.
    ///
    /// Never fails: a file that cannot be decrypted is printed as it is, after a comment line.
    DiffText {
        /// The secrets file (git passes a temporary copy for old versions).
        file: PathBuf,
    },
}

/// The key source a command should use: SECRETS_KEY when set, else `key_file`, else
/// `secret.key` beside the secrets file. Both SECRETS_KEY and a key file is an error.
pub fn key_source_from_env(key_file: Option<&Path>) -> anyhow::Result<KeySource> {
    let passphrase = std::env::var_os(SECRETS_KEY_VAR).filter(|v| !v.is_empty());
    match (passphrase, key_file) {
        (Some(_), Some(file)) => bail!(
            "both {SECRETS_KEY_VAR} and the key file `{}` were given: unset {SECRETS_KEY_VAR} or drop --key-file",
            file.display()
        ),
        (Some(value), None) => {
            let value = value
                .into_string()
                .map_err(|_| anyhow!("{SECRETS_KEY_VAR} is not UTF-8 text"))?;
            Ok(KeySource::passphrase(SecretString::new(value), SECRETS_KEY_VAR))
        }
        (None, Some(file)) => Ok(KeySource::KeyFile(file.to_path_buf())),
        (None, None) => Ok(KeySource::BesideFile),
    }
}

/// Runs one `playhook secrets` action.
pub fn run(args: SecretsArgs) -> anyhow::Result<Exit> {
    let key = key_source_from_env(args.key_file.as_deref())?;
    match args.action {
        Action::Init { json } => init(&args.dir, &key, json),
        Action::Set {
            name,
            raw,
            refused_value,
        } => {
            if !refused_value.is_empty() {
                bail!(
                    "values are never taken from the command line (shell history, `ps`): run `playhook secrets set {name}` and type it, or pipe it in"
                );
            }
            set(&args.dir, &key, &name, raw)
        }
        Action::Get { name } => get(&args.dir, &key, &name),
        Action::Show { force } => show(&args.dir, &key, force),
        Action::Edit => edit(&args.dir, &key),
        Action::Rm { name } => rm(&args.dir, &key, &name),
        Action::Rekey {
            new_key_file,
            generate,
        } => rekey(&args.dir, &key, new_key_file, generate),
        Action::Verify => verify(&args.dir, &key),
        Action::DiffText { file } => Ok(diff_text(&args.dir, &key, &file)),
    }
}

fn secrets_path(dir: &Path) -> anyhow::Result<PathBuf> {
    secrets::find_file(dir)?.ok_or_else(|| {
        anyhow!(
            "no secrets file in `{}` (looked for {}): run `playhook secrets init`",
            dir.display(),
            secrets::FILE_NAMES.join(", ")
        )
    })
}

fn open(dir: &Path, key: &KeySource) -> anyhow::Result<SecretsFile> {
    Ok(SecretsFile::open(&secrets_path(dir)?, key)?)
}

fn parse_name(name: &str) -> anyhow::Result<KeyPath> {
    let path = KeyPath::parse(name)?;
    if matches!(path.segments().first(), Some(Segment::Key(k)) if k == META_KEY) {
        bail!("`{META_KEY}` is reserved for the secrets file's own data; choose another name");
    }
    Ok(path)
}

fn init(dir: &Path, key: &KeySource, json: bool) -> anyhow::Result<Exit> {
    if let Some(existing) = secrets::find_file(dir)? {
        bail!(
            "`{}` already exists; change it with `playhook secrets set` or `edit`",
            existing.display()
        );
    }
    let path = dir.join(if json { "secrets.json" } else { "secrets.yaml" });
    let mut created_key = None;
    let key = match key.key_file_for(&path) {
        Some(key_file) if !key_file.exists() => {
            secrets::generate_key_file(&key_file)?;
            created_key = Some(key_file.clone());
            KeySource::KeyFile(key_file)
        }
        _ => key.clone(),
    };
    let mut file = SecretsFile::create(&path, &key)?;
    file.save()?;
    errln!("created `{}`", path.display());
    if let Some(key_file) = created_key {
        let ignored = ignore_key_file(dir, &key_file)?;
        errln!(
            "created the key file `{}` (mode 600{}): keep a copy somewhere safe, the secrets cannot be read without it",
            key_file.display(),
            if ignored { ", listed in .gitignore" } else { "" }
        );
    }
    Ok(Exit::Success)
}

/// Adds the key file to the repository's `.gitignore` when it lies in the repository.
fn ignore_key_file(dir: &Path, key_file: &Path) -> anyhow::Result<bool> {
    let Ok(relative) = key_file.strip_prefix(dir) else {
        return Ok(false);
    };
    let line = format!("/{}", relative.display());
    let gitignore = dir.join(".gitignore");
    let current = match std::fs::read_to_string(&gitignore) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading `{}`", gitignore.display())),
    };
    if current
        .lines()
        .any(|l| l.trim() == line || l.trim() == relative.to_string_lossy())
    {
        return Ok(true);
    }
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&line);
    text.push('\n');
    std::fs::write(&gitignore, text).with_context(|| format!("writing `{}`", gitignore.display()))?;
    Ok(true)
}

/// Reads a value from stdin (not a terminal) or from a prompt without echo, asked twice.
fn read_value(what: &str, raw: bool) -> anyhow::Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        let first = prompt_hidden(&format!("{what}: "))?;
        let second = prompt_hidden(&format!("{what} again: "))?;
        if first != second {
            bail!("the two entries differ; nothing was changed");
        }
        if first.is_empty() {
            bail!("empty value; nothing was changed");
        }
        return Ok(first);
    }
    let mut bytes = Zeroizing::new(Vec::new());
    std::io::stdin()
        .read_to_end(&mut bytes)
        .context("reading the value from stdin")?;
    let mut text = Zeroizing::new(
        String::from_utf8(bytes.to_vec()).map_err(|_| anyhow!("the value on stdin is not UTF-8 text"))?,
    );
    if !raw {
        let body_len = text.trim_end_matches(['\n', '\r']).len();
        let single_line = !text[..body_len].contains('\n');
        if single_line && (text.ends_with("\r\n") || text.ends_with('\n')) {
            let cut = if text.ends_with("\r\n") { 2 } else { 1 };
            let new_len = text.len() - cut;
            text.truncate(new_len);
        }
    }
    Ok(text)
}

/// Asks on the terminal with echo off; echo comes back even when reading fails.
fn prompt_hidden(prompt: &str) -> anyhow::Result<Zeroizing<String>> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("opening the terminal to ask for the value")?;
    let saved = tcgetattr(&tty).context("reading the terminal settings")?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    tty.write_all(prompt.as_bytes())?;
    tty.flush()?;
    tcsetattr(&tty, OptionalActions::Now, &quiet).context("turning terminal echo off")?;
    let mut line = Zeroizing::new(String::new());
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    let restored = tcsetattr(&tty, OptionalActions::Now, &saved);
    let _ = tty.write_all(b"\n");
    read.context("reading the value from the terminal")?;
    restored.context("turning terminal echo back on")?;
    let len = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(len);
    Ok(line)
}

fn set(dir: &Path, key: &KeySource, name: &str, raw: bool) -> anyhow::Result<Exit> {
    let path = parse_name(name)?;
    let mut file = open(dir, key)?;
    let value = read_value(&format!("value for {path}"), raw)?;
    let scalar = Scalar::string(value.to_string());
    file.plain_mut()
        .set(&path, Tree::Leaf(scalar))
        .map_err(|message| anyhow!("`{}`: cannot set `{path}`: {message}", file.path().display()))?;
    if file.is_changed() {
        file.save()?;
        errln!("`{}`: set `{path}`", file.path().display());
    } else {
        errln!(
            "`{}`: `{path}` already has that value; nothing changed",
            file.path().display()
        );
    }
    Ok(Exit::Success)
}

fn get(dir: &Path, key: &KeySource, name: &str) -> anyhow::Result<Exit> {
    let path = parse_name(name)?;
    let file = open(dir, key)?;
    let node = file
        .plain()
        .get(&path)
        .ok_or_else(|| anyhow!("`{}`: `{path}` does not exist", file.path().display()))?;
    let mut text = Zeroizing::new(match node {
        Tree::Leaf(s) if s.kind == secrets::Kind::Str => s.text.expose().to_string(),
        Tree::Leaf(s) => s.to_value().to_string(),
        tree => serde_json::to_string_pretty(&tree.to_json()).context("formatting the value as JSON")?,
    });
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(Exit::Success)
}

fn show(dir: &Path, key: &KeySource, force: bool) -> anyhow::Result<Exit> {
    if !force && !std::io::stdout().is_terminal() {
        bail!("refusing to print decrypted secrets to a pipe or a file; add --force if you mean it");
    }
    let file = open(dir, key)?;
    let text = secrets::to_plain_yaml(file.plain());
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(Exit::Success)
}

const EDIT_HEADER: &str = "\
# Decrypted secrets. Save and quit to re-encrypt them; this file is wiped afterwards.
# Values are YAML: quote strings that would read as numbers or booleans ('0644', 'yes').
";

fn edit(dir: &Path, key: &KeySource) -> anyhow::Result<Exit> {
    let mut file = open(dir, key)?;
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| std::env::var("EDITOR").ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_string());
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() && rustix::fs::access(shm, rustix::fs::Access::WRITE_OK).is_ok() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let private = PrivateDir::new_in(&base)?;
    let mut text = Zeroizing::new(EDIT_HEADER.to_string());
    text.push_str(&secrets::to_plain_yaml(file.plain()));
    let name = file
        .path()
        .file_name()
        .map_or("secrets.yaml".into(), |n| n.to_string_lossy().into_owned());
    let name = if name.ends_with(".json") {
        name.replace(".json", ".yaml")
    } else {
        name
    };
    let temp = private.write(&name, &text)?;
    let _signals = SignalsHeld::new();
    let label = PathBuf::from(format!("edited {name}"));
    let tree = loop {
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("playhook-editor")
            .arg(&temp)
            .status()
            .with_context(|| format!("starting the editor `{editor}`"))?;
        if !status.success() {
            bail!("the editor `{editor}` failed ({status}); nothing was changed");
        }
        let bytes = private.read(&temp)?;
        let parsed = std::str::from_utf8(&bytes)
            .map_err(|_| anyhow!("the edited text is not UTF-8"))
            .and_then(|t| secrets::parse_plain(t, &label).map_err(anyhow::Error::from));
        match parsed {
            Ok(tree) => break tree,
            Err(err) if std::io::stdin().is_terminal() => {
                errln!("{}", crate::error_chain::report(err.as_ref()));
                if !ask_yes("edit again? [Y/n] ")? {
                    bail!("nothing was changed");
                }
            }
            Err(err) => return Err(err.context("nothing was changed")),
        }
    };
    drop(private);
    *file.plain_mut() = tree;
    if file.is_changed() {
        file.save()?;
        errln!(
            "`{}`: saved; unchanged values keep their ciphertext",
            file.path().display()
        );
    } else {
        errln!("`{}`: no changes", file.path().display());
    }
    Ok(Exit::Success)
}

fn ask_yes(question: &str) -> anyhow::Result<bool> {
    err!("{question}");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(!answer.trim().to_ascii_lowercase().starts_with('n'))
}

/// Keeps SIGINT, SIGTERM and SIGHUP from killing the process while an editor runs, so the
/// decrypted temp file is always wiped.
struct SignalsHeld {
    _runtime: Option<tokio::runtime::Runtime>,
    _signals: Vec<tokio::signal::unix::Signal>,
}

impl SignalsHeld {
    fn new() -> SignalsHeld {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            return SignalsHeld {
                _runtime: None,
                _signals: Vec::new(),
            };
        };
        let signals = {
            let _entered = runtime.enter();
            [
                SignalKind::interrupt(),
                SignalKind::terminate(),
                SignalKind::hangup(),
            ]
            .into_iter()
            .filter_map(|kind| signal(kind).ok())
            .collect()
        };
        SignalsHeld {
            _runtime: Some(runtime),
            _signals: signals,
        }
    }
}

fn rm(dir: &Path, key: &KeySource, name: &str) -> anyhow::Result<Exit> {
    let path = parse_name(name)?;
    let mut file = open(dir, key)?;
    file.plain_mut()
        .remove(&path)
        .map_err(|message| anyhow!("`{}`: cannot remove `{path}`: {message}", file.path().display()))?;
    file.save()?;
    errln!("`{}`: removed `{path}`", file.path().display());
    Ok(Exit::Success)
}

fn rekey(dir: &Path, key: &KeySource, new_key_file: Option<PathBuf>, generate: bool) -> anyhow::Result<Exit> {
    let mut file = open(dir, key)?;
    let secrets_dir = file.path().parent().unwrap_or(Path::new(".")).to_path_buf();
    if generate {
        let target = new_key_file.unwrap_or_else(|| secrets_dir.join(KEY_FILE_NAME));
        let staged = if target.exists() {
            let mut name = target.as_os_str().to_owned();
            name.push(".new");
            PathBuf::from(name)
        } else {
            target.clone()
        };
        secrets::generate_key_file(&staged)?;
        file.rekey(&KeySource::KeyFile(staged.clone()))?;
        file.save()?;
        if staged != target {
            std::fs::rename(&staged, &target).with_context(|| {
                format!(
                    "moving the new key `{}` to `{}`",
                    staged.display(),
                    target.display()
                )
            })?;
        }
        errln!(
            "`{}`: re-encrypted with the new key in `{}`; copy it everywhere the repository is deployed",
            file.path().display(),
            target.display()
        );
    } else if let Some(new_file) = new_key_file {
        file.rekey(&KeySource::KeyFile(new_file.clone()))?;
        file.save()?;
        errln!(
            "`{}`: re-encrypted with the key in `{}`",
            file.path().display(),
            new_file.display()
        );
    } else {
        let passphrase = read_value("new passphrase", false)?;
        if passphrase.is_empty() {
            bail!("the new passphrase is empty; nothing was changed");
        }
        file.rekey(&KeySource::passphrase(
            SecretString::new(passphrase.to_string()),
            "the new passphrase",
        ))?;
        file.save()?;
        errln!(
            "`{}`: re-encrypted with the new passphrase; set {SECRETS_KEY_VAR} to it everywhere the repository is deployed",
            file.path().display()
        );
    }
    Ok(Exit::Success)
}

fn verify(dir: &Path, key: &KeySource) -> anyhow::Result<Exit> {
    let file = open(dir, key)?;
    outln!(
        "`{}`: {} values, the key opens every one and the MAC matches",
        file.path().display(),
        file.plain().leaves().len()
    );
    Ok(Exit::Success)
}

/// The textconv driver: the decrypted YAML, or the file as it is after a comment saying why.
fn diff_text(dir: &Path, key: &KeySource, path: &Path) -> Exit {
    // git hands over a temp copy of old versions, so also look for the key in the work tree.
    let key = match key.key_file_for(path) {
        Some(beside) if !beside.exists() && matches!(key, KeySource::BesideFile) => {
            KeySource::KeyFile(dir.join(KEY_FILE_NAME))
        }
        _ => key.clone(),
    };
    let text = match SecretsFile::open(path, &key) {
        Ok(file) => {
            let mut text = Zeroizing::new("# decrypted by playhook secrets diff-text\n".to_string());
            text.push_str(&secrets::to_plain_yaml(file.plain()));
            text
        }
        Err(err) => {
            let raw = std::fs::read(path).unwrap_or_default();
            Zeroizing::new(format!(
                "# playhook secrets diff-text: cannot decrypt: {}\n{}",
                crate::error_chain::render(&err),
                String::from_utf8_lossy(&raw)
            ))
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    Exit::Success
}
