//! `playhook secrets` and the secrets library: round trips, clean git diffs, every kind of bad
//! input (each a one-line error naming the file and key path, never showing a value), key file
//! permissions, and masking.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use playhook::secrets::{KeyPath, KeySource, MASK, SecretString, Secrets};

use crate::support::local::require_tool;

const PASSWORD: &str = "s3cr3t-Pa55 with spaces/+&=?";
const TOKEN: &str = "tok_9f8e7d6c5b4a";
const CERT: &str =
    "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END KEY-----\n";

/// A scratch repository and a way to run `playhook secrets` in it with a clean environment.
struct Repo {
    dir: tempfile::TempDir,
    passphrase: Option<String>,
}

impl Repo {
    fn new() -> Repo {
        Repo {
            dir: tempfile::tempdir().expect("tempdir"),
            passphrase: None,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_playhook"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .current_dir(self.path())
            .arg("secrets")
            .args(args);
        if let Some(p) = &self.passphrase {
            cmd.env("SECRETS_KEY", p);
        }
        cmd
    }

    /// Runs with `stdin` fed in (never a terminal).
    fn run_with(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied());
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("playhook starts");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("playhook runs")
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, "", &[])
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run_with(args, stdin, &[]);
        assert!(
            out.status.success(),
            "playhook secrets {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 stdout")
    }

    fn set(&self, name: &str, value: &str) {
        self.ok(&["set", name, "--raw"], value);
    }

    fn get(&self, name: &str) -> String {
        self.ok(&["get", name], "")
    }

    /// A repository with a key file and three secrets.
    fn populated() -> Repo {
        let repo = Repo::new();
        repo.ok(&["init"], "");
        repo.set("db.password", PASSWORD);
        repo.set("api.token", TOKEN);
        repo.set("tls.key", CERT);
        repo
    }

    fn secrets_text(&self) -> String {
        std::fs::read_to_string(self.file("secrets.yaml")).expect("secrets.yaml")
    }

    fn write_secrets(&self, text: &str) {
        std::fs::write(self.file("secrets.yaml"), text).expect("write secrets.yaml");
    }
}

/// Asserts a failed run with one error line that contains every `needle`, and no secret value.
fn assert_error(out: &Output, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        !out.status.success(),
        "expected failure, got success; stderr: {stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "expected a one-line error, got:\n{stderr}"
    );
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "error should mention {needle:?}: {stderr}"
        );
    }
    for secret in [PASSWORD, TOKEN, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"] {
        assert!(
            !stderr.contains(secret) && !stdout.contains(secret),
            "a secret leaked: {stderr}{stdout}"
        );
    }
    assert!(
        stdout.is_empty(),
        "nothing should reach stdout on failure: {stdout}"
    );
    stderr
}

/// The line of the file that holds `key` (`  password: ENC[...]`).
fn line_of<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find(|l| l.trim_start().starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no line for {key} in\n{text}"))
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn round_trip_keeps_every_value_exactly() {
    let repo = Repo::populated();
    repo.set("users[0].name", "alice");
    repo.set("users[0].pass", "ünïcødé ✓ \"quoted\" 'single' #hash: colon");
    repo.set("yes_word", "yes");
    repo.set("octal", "0644");
    assert_eq!(repo.get("db.password"), format!("{PASSWORD}\n"));
    assert_eq!(repo.get("api.token"), format!("{TOKEN}\n"));
    assert_eq!(repo.get("tls.key"), CERT);
    assert_eq!(
        repo.get("users[0].pass"),
        "ünïcødé ✓ \"quoted\" 'single' #hash: colon\n"
    );
    assert_eq!(repo.get("yes_word"), "yes\n");
    assert_eq!(repo.get("octal"), "0644\n");
    let users: serde_json::Value = serde_json::from_str(&repo.get("users")).expect("JSON");
    assert_eq!(users[0]["name"], "alice");

    let text = repo.secrets_text();
    for secret in [
        PASSWORD,
        TOKEN,
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
        "alice",
        "ünïcødé",
    ] {
        assert!(!text.contains(secret), "plaintext in the file:\n{text}");
    }
    assert!(line_of(&text, "password").contains("ENC[v1,str,"), "{text}");
    let verify = repo.ok(&["verify"], "");
    assert!(verify.contains("7 values"), "{verify}");

    // The key file is private and ignored by git.
    assert_eq!(crate::support::local::mode_of(&repo.file("secret.key")), 0o600);
    let gitignore = std::fs::read_to_string(repo.file(".gitignore")).expect(".gitignore");
    assert!(gitignore.lines().any(|l| l == "/secret.key"), "{gitignore}");

    // A single-line value from stdin loses its one trailing newline unless --raw.
    repo.ok(&["set", "piped"], "from echo\n");
    assert_eq!(repo.get("piped"), "from echo\n");
    repo.ok(&["rm", "piped"], "");
    assert_error(
        &repo.run(&["get", "piped"]),
        &["secrets.yaml", "`piped` does not exist"],
    );
}

#[test]
fn library_gives_templates_the_values_and_masks_them() {
    let repo = Repo::populated();
    let secrets = Secrets::open(repo.path(), &KeySource::BesideFile)
        .expect("opens")
        .expect("the repository has secrets");
    let value = secrets.to_value();
    assert_eq!(
        value
            .get_attr("db")
            .and_then(|db| db.get_attr("password"))
            .expect("db.password")
            .as_str(),
        Some(PASSWORD)
    );
    assert_eq!(
        secrets
            .get(&KeyPath::parse("api.token").expect("path"))
            .expect("token")
            .as_str(),
        Some(TOKEN)
    );
    let masker = secrets.masker();
    let line = format!("connecting with {PASSWORD} and {TOKEN}");
    assert_eq!(masker.mask(&line), format!("connecting with {MASK} and {MASK}"));
    assert!(
        Secrets::open(
            tempfile::tempdir().expect("tempdir").path(),
            &KeySource::BesideFile
        )
        .expect("no file is fine")
        .is_none()
    );
}

#[test]
fn passphrase_from_secrets_key() {
    let mut repo = Repo::new();
    repo.passphrase = Some("correct horse battery staple".into());
    repo.ok(&["init"], "");
    assert!(
        !repo.file("secret.key").exists(),
        "no key file when SECRETS_KEY is set"
    );
    repo.set("db.password", PASSWORD);
    assert_eq!(repo.get("db.password"), format!("{PASSWORD}\n"));

    repo.passphrase = Some("wrong horse".into());
    assert_error(
        &repo.run(&["get", "db.password"]),
        &["secrets.yaml", "SECRETS_KEY", "wrong key"],
    );

    let lib = Secrets::open(
        repo.path(),
        &KeySource::passphrase(SecretString::new("wrong horse".into()), "SECRETS_KEY"),
    );
    assert!(lib.is_err());

    // SECRETS_KEY together with --key-file is ambiguous.
    std::fs::write(repo.file("other.key"), "x").expect("write");
    assert_error(
        &repo.run(&["--key-file", "other.key", "verify"]),
        &["SECRETS_KEY", "--key-file"],
    );
}

#[test]
fn wrong_key_file() {
    let repo = Repo::populated();
    let other = Repo::new();
    other.ok(&["init"], "");
    std::fs::copy(other.file("secret.key"), repo.file("secret.key")).expect("copy key");
    assert_error(
        &repo.run(&["get", "db.password"]),
        &["secrets.yaml", "secret.key", "wrong key"],
    );
    assert_error(&repo.run(&["verify"]), &["wrong key"]);
}

#[test]
fn missing_key_says_where_it_looked() {
    let repo = Repo::populated();
    std::fs::remove_file(repo.file("secret.key")).expect("remove key");
    let err = assert_error(
        &repo.run(&["get", "db.password"]),
        &["secrets.yaml", "SECRETS_KEY is not set"],
    );
    assert!(
        err.contains(&repo.file("secret.key").display().to_string()) || err.contains("./secret.key"),
        "{err}"
    );
    assert_error(
        &repo.run(&["--key-file", "/nonexistent/k", "verify"]),
        &["/nonexistent/k"],
    );
}

#[test]
fn key_file_readable_by_others_is_refused() {
    let repo = Repo::populated();
    for mode in [0o644, 0o640, 0o604] {
        std::fs::set_permissions(repo.file("secret.key"), std::fs::Permissions::from_mode(mode))
            .expect("chmod");
        assert_error(
            &repo.run(&["get", "db.password"]),
            &["secret.key", "group or others", "chmod 600"],
        );
    }
    std::fs::set_permissions(repo.file("secret.key"), std::fs::Permissions::from_mode(0o400)).expect("chmod");
    assert_eq!(repo.get("api.token"), format!("{TOKEN}\n"));
}

#[test]
fn tampered_value_names_its_key_path() {
    let repo = Repo::populated();
    let text = repo.secrets_text();
    let line = line_of(&text, "password");
    let enc_start = line.find("ENC[").expect("ENC value");
    let mut bytes = line.as_bytes().to_vec();
    let pos = enc_start + 40; // inside the ciphertext
    bytes[pos] = if bytes[pos] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(bytes).expect("ASCII");
    repo.write_secrets(&text.replace(line, &changed));
    assert_error(
        &repo.run(&["get", "api.token"]),
        &["secrets.yaml", "`db.password`", "altered"],
    );
    assert_error(&repo.run(&["verify"]), &["`db.password`"]);
}

#[test]
fn swapped_values_are_detected() {
    let repo = Repo::populated();
    let text = repo.secrets_text();
    let password = line_of(&text, "password")
        .trim_start()
        .trim_start_matches("password: ")
        .to_string();
    let token = line_of(&text, "token")
        .trim_start()
        .trim_start_matches("token: ")
        .to_string();
    let swapped = text
        .replace(&password, "@@P@@")
        .replace(&token, &password)
        .replace("@@P@@", &token);
    repo.write_secrets(&swapped);
    assert_error(
        &repo.run(&["verify"]),
        &["secrets.yaml", "`db.password`", "moved from another key"],
    );
}

#[test]
fn tampered_mac_and_deleted_entries_are_detected() {
    let repo = Repo::populated();
    let text = repo.secrets_text();
    let mac_line = line_of(&text, "mac");
    let mac = mac_line.trim_start().trim_start_matches("mac: ");
    let (first, rest) = mac.split_at(1);
    let forged = format!("{}{rest}", if first == "A" { "B" } else { "A" });
    repo.write_secrets(&text.replace(mac, &forged));
    assert_error(&repo.run(&["verify"]), &["secrets.yaml", "_playhook.mac"]);

    // Deleting a whole entry keeps every remaining value valid: only the MAC can tell.
    let without_token: String = text
        .lines()
        .filter(|l| !l.starts_with("api:") && !l.trim_start().starts_with("token:"))
        .map(|l| format!("{l}\n"))
        .collect();
    repo.write_secrets(&without_token);
    assert_error(
        &repo.run(&["get", "db.password"]),
        &["secrets.yaml", "_playhook.mac", "removed"],
    );

    // So can reordering entries.
    let api_block = format!("{}\n{}\n", line_of(&text, "api"), line_of(&text, "token"));
    let reordered = format!("{api_block}{}", text.replace(&api_block, ""));
    repo.write_secrets(&reordered);
    assert_error(&repo.run(&["verify"]), &["_playhook.mac"]);
}

#[test]
fn truncated_files_are_refused() {
    let repo = Repo::populated();
    let text = repo.secrets_text();
    for cut in [0, text.len() / 3, text.len() / 2, text.len() - 30, text.len() - 3] {
        repo.write_secrets(&text[..cut]);
        assert_error(&repo.run(&["get", "api.token"]), &["secrets.yaml"]);
    }
}

#[test]
fn non_utf8_file_is_refused() {
    let repo = Repo::populated();
    let mut bytes = repo.secrets_text().into_bytes();
    bytes.insert(200, 0xff);
    std::fs::write(repo.file("secrets.yaml"), bytes).expect("write");
    assert_error(
        &repo.run(&["verify"]),
        &["secrets.yaml", "not UTF-8", "offset 200"],
    );
}

#[test]
fn unknown_format_version_is_refused() {
    let repo = Repo::populated();
    repo.write_secrets(&repo.secrets_text().replace("version: 1", "version: 2"));
    assert_error(
        &repo.run(&["verify"]),
        &["secrets.yaml", "_playhook.version", "is 2", "upgrade playhook"],
    );

    let repo = Repo::populated();
    repo.write_secrets(&repo.secrets_text().replacen("ENC[v1,", "ENC[v7,", 1));
    assert_error(
        &repo.run(&["verify"]),
        &["secrets.yaml", "`db.password`", "v7", "upgrade playhook"],
    );
}

#[test]
fn value_edited_by_hand_is_refused() {
    let repo = Repo::populated();
    let text = repo.secrets_text();
    let line = line_of(&text, "token");
    repo.write_secrets(&text.replace(line, "  token: plaintext-by-hand"));
    assert_error(&repo.run(&["verify"]), &["secrets.yaml", "`api.token`", "ENC["]);
}

#[test]
fn json_secrets_file() {
    let repo = Repo::new();
    repo.ok(&["init", "--json"], "");
    repo.set("db.password", PASSWORD);
    repo.set("list[0]", TOKEN);
    assert_eq!(repo.get("db.password"), format!("{PASSWORD}\n"));
    assert_eq!(repo.get("list[0]"), format!("{TOKEN}\n"));
    let path = repo.file("secrets.json");
    let text = std::fs::read_to_string(&path).expect("secrets.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert!(
        json["db"]["password"]
            .as_str()
            .expect("string")
            .starts_with("ENC[v1,str,")
    );
    assert_eq!(json["_playhook"]["version"], 1);
    assert!(!text.contains(PASSWORD));

    std::fs::write(&path, &text[..text.len() / 2]).expect("truncate");
    assert_error(&repo.run(&["verify"]), &["secrets.json", "not valid JSON"]);

    // Two secrets files are ambiguous.
    std::fs::write(&path, &text).expect("restore");
    std::fs::write(repo.file("secrets.yaml"), "x: 1\n").expect("write");
    assert_error(
        &repo.run(&["verify"]),
        &["secrets.yaml", "secrets.json", "keep one"],
    );
}

#[test]
fn changing_one_value_changes_only_its_line_and_the_mac() {
    require_tool("git", "git");
    let repo = Repo::populated();
    repo.set("z.last", "zzzz-last-value");
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "secrets.yaml", ".gitignore"]);
    git(repo.path(), &["commit", "-q", "-m", "secrets"]);

    // Setting the same value again, or editing nothing, rewrites nothing.
    repo.set("api.token", TOKEN);
    assert_eq!(git(repo.path(), &["status", "--porcelain"]), "");

    repo.set("api.token", "a-brand-new-token");
    let diff = git(repo.path(), &["diff", "-U0", "--no-color", "secrets.yaml"]);
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-')) && !l.starts_with("+++") && !l.starts_with("---")
        })
        .collect();
    assert_eq!(
        changed.len(),
        4,
        "expected the token line and the MAC line only:\n{diff}"
    );
    assert!(
        changed[0].starts_with("-  token: ENC[") && changed[1].starts_with("+  token: ENC["),
        "{diff}"
    );
    assert!(
        changed[2].starts_with("-  mac: ") && changed[3].starts_with("+  mac: "),
        "{diff}"
    );
    assert_eq!(repo.get("api.token"), "a-brand-new-token\n");
}

#[test]
fn git_textconv_shows_decrypted_changes() {
    require_tool("git", "git");
    let repo = Repo::populated();
    git(repo.path(), &["init", "-q"]);
    std::fs::write(repo.file(".gitattributes"), "secrets.yaml diff=playhook\n").expect("write");
    git(
        repo.path(),
        &[
            "config",
            "diff.playhook.textconv",
            &format!("{} secrets diff-text", env!("CARGO_BIN_EXE_playhook")),
        ],
    );
    git(
        repo.path(),
        &["add", "secrets.yaml", ".gitattributes", ".gitignore"],
    );
    git(repo.path(), &["commit", "-q", "-m", "secrets"]);
    repo.set("api.token", "token-after-change");
    let diff = git(repo.path(), &["diff", "--no-color", "secrets.yaml"]);
    assert!(diff.contains(&format!("-  token: {TOKEN}")), "{diff}");
    assert!(diff.contains("+  token: token-after-change"), "{diff}");
    assert!(!diff.contains("ENC["), "{diff}");

    // Without the key, the driver shows the file as it is instead of failing the diff.
    std::fs::remove_file(repo.file("secret.key")).expect("remove key");
    let diff = git(repo.path(), &["diff", "--no-color", "secrets.yaml"]);
    assert!(diff.contains("cannot decrypt"), "{diff}");
    assert!(diff.contains("token: ENC["), "{diff}");
}

#[test]
fn show_writes_only_to_a_terminal_unless_forced() {
    let repo = Repo::populated();
    assert_error(&repo.run(&["show"]), &["--force"]);
    let shown = repo.ok(&["show", "--force"], "");
    assert!(
        shown.contains(&format!("password: {PASSWORD}")) || shown.contains(PASSWORD),
        "{shown}"
    );
    assert!(shown.contains("key: |\n    -----BEGIN KEY-----\n"), "{shown}");
}

#[test]
fn edit_reencrypts_and_wipes_the_temp_file() {
    let repo = Repo::populated();
    let record = repo.file("edited-path");
    let script = repo.file("editor.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nset -e\necho \"$1\" > '{}'\nls -ld \"$(dirname \"$1\")\" | cut -c1-10 >> '{}'\nsed -i 's/^  token: .*/  token: edited-token/' \"$1\"\nprintf 'added: new-value\\n' >> \"$1\"\n",
            record.display(),
            record.display()
        ),
    )
    .expect("write editor");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let before = repo.secrets_text();
    let out = repo.run_with(&["edit"], "", &[("EDITOR", script.to_str().expect("UTF-8 path"))]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(repo.get("api.token"), "edited-token\n");
    assert_eq!(repo.get("added"), "new-value\n");
    assert_eq!(repo.get("db.password"), format!("{PASSWORD}\n"));
    let after = repo.secrets_text();
    assert_eq!(
        line_of(&before, "password"),
        line_of(&after, "password"),
        "unchanged values keep their ciphertext"
    );
    let recorded = std::fs::read_to_string(&record).expect("editor ran");
    let mut lines = recorded.lines();
    let temp = PathBuf::from(lines.next().expect("temp path"));
    assert_eq!(lines.next(), Some("drwx------"), "the temp dir is private");
    assert!(
        !temp.exists() && !temp.parent().expect("dir").exists(),
        "temp file left behind: {}",
        temp.display()
    );

    // A failing editor changes nothing and still wipes the file.
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$1\" > '{}'\nexit 3\n", record.display()),
    )
    .expect("write");
    let out = repo.run_with(&["edit"], "", &[("EDITOR", script.to_str().expect("UTF-8 path"))]);
    assert_error(&out, &["editor", "nothing was changed"]);
    let temp = PathBuf::from(std::fs::read_to_string(&record).expect("editor ran").trim());
    assert!(!temp.parent().expect("dir").exists());
    assert_eq!(repo.secrets_text(), after);

    // So does an edit that is not valid YAML.
    std::fs::write(&script, "#!/bin/sh\nprintf 'bad: [unclosed\\n' >> \"$1\"\n").expect("write");
    let out = repo.run_with(&["edit"], "", &[("EDITOR", script.to_str().expect("UTF-8 path"))]);
    assert!(!out.status.success());
    assert_eq!(repo.secrets_text(), after);
}

#[test]
fn rekey_with_a_passphrase_and_with_a_generated_key_file() {
    let mut repo = Repo::populated();
    repo.ok(&["rekey", "--generate"], "");
    assert_eq!(repo.get("db.password"), format!("{PASSWORD}\n"));
    assert!(!repo.file("secret.key.new").exists());
    assert_eq!(crate::support::local::mode_of(&repo.file("secret.key")), 0o600);

    repo.ok(&["rekey"], "a new passphrase\n");
    assert_error(&repo.run(&["verify"]), &["wrong key"]);
    repo.passphrase = Some("a new passphrase".into());
    assert_eq!(repo.get("tls.key"), CERT);
}

#[test]
fn set_never_takes_the_value_from_arguments() {
    let repo = Repo::populated();
    let err = assert_error(
        &repo.run(&["set", "x", "the-value"]),
        &["never taken from the command line"],
    );
    assert!(!err.contains("the-value"), "{err}");
    assert_error(&repo.run(&["get", "x"]), &["`x` does not exist"]);
    assert_error(&repo.run(&["set", "_playhook.x"]), &["reserved"]);
}

/// The forms a secret can take in output: plain, base64 (both alphabets), URL-encoded.
fn leaked_forms(secret: &str) -> Vec<(String, &'static str)> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let url = |keep: &str| -> String {
        secret
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || keep.as_bytes().contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    vec![
        (secret.to_string(), "plain"),
        (STANDARD.encode(secret), "base64"),
        (URL_SAFE_NO_PAD.encode(secret), "base64url"),
        (url("-._~"), "URL-encoded"),
        (url("-._~/"), "URL-encoded (keeping /)"),
        (url("-._~").to_lowercase(), "URL-encoded (lower hex)"),
    ]
}

/// A repository that deploys to this machine and uses the secret `canary` in a template, a
/// copied file, an inventory variable, command output, a failing module and a failing command.
fn canary_repo(canary: &str) -> Repo {
    let repo = Repo::new();
    let out_dir = repo.file("out");
    std::fs::create_dir_all(&out_dir).expect("out dir");
    let write = |rel: &str, text: &str| {
        let path = repo.file(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(path, text).expect("write");
    };
    write("hosts", "[web]\nlocalhost ansible_connection=local\n");
    write("group_vars/web.yaml", "app_password: \"{{ secrets.canary }}\"\n");
    write(
        "ansible.cfg",
        "[defaults]\ninventory = hosts\ngathering = explicit\n",
    );
    write(
        "conf.j2",
        "password = {{ secrets.canary }}\nb64 = {{ secrets.canary | b64encode }}\nurl = {{ secrets.canary | urlencode }}\n",
    );
    let out = out_dir.display();
    write(
        "deploy.yaml",
        &format!(
            r#"- hosts: web
  tasks:
    - name: render a template that holds the secret
      template:
        src: conf.j2
        dest: {out}/conf.txt
    - name: copy content that holds the secret
      copy:
        content: "pw={{{{ secrets.canary }}}}\n"
        dest: {out}/copy.txt
    - name: copy an inventory variable that holds the secret
      copy:
        content: "{{{{ app_password }}}}"
        dest: {out}/inv.txt
    - name: print the secret in several encodings
      shell: "echo '{{{{ secrets.canary }}}}'; echo {{{{ secrets.canary | b64encode }}}}; echo '{{{{ secrets.canary | urlencode }}}}'"
      register: printed
    - name: show what was printed
      debug:
        var: printed
    - name: fail with a message that holds the secret
      fail:
        msg: "bad {{{{ secrets.canary }}}}"
      ignore_errors: true
    - name: fail while showing the secret
      shell: "echo 'failing with {{{{ secrets.canary }}}}' >&2; echo {{{{ secrets.canary | b64encode }}}}; exit 3"
"#
        ),
    );
    repo.ok(&["init"], "");
    repo.set("canary", canary);
    repo
}

#[test]
fn canary_secret_never_reaches_any_output() {
    use rand::RngCore as _;
    let mut raw = [0u8; 8];
    rand::rng().fill_bytes(&mut raw);
    let canary = format!("Cn4ry/{}+&=?~x", hex::encode(raw));

    let repo = canary_repo(&canary);
    let out_dir = repo.file("out");

    let events = repo.file("events.jsonl");
    let runs = [
        vec!["--diff", "--json", "-vvv"],
        vec!["--diff", "-vvv", "--events", events.to_str().expect("UTF-8 path")],
    ];
    let mut everything = String::new();
    for args in runs {
        // The template and copy change on each run, so their diffs hold the secret.
        let _ = std::fs::remove_file(out_dir.join("conf.txt"));
        let _ = std::fs::remove_file(out_dir.join("inv.txt"));
        let _ = std::fs::remove_file(out_dir.join("copy.txt"));
        std::fs::write(out_dir.join("copy.txt"), format!("old {canary}\n")).expect("write");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_playhook"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", repo.path())
            .arg("deploy")
            .arg("-C")
            .arg(repo.path())
            .args(&args);
        let output = cmd.output().expect("playhook deploy runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "the last task fails the host:\n{stdout}\n{stderr}"
        );
        everything.push_str(&stdout);
        everything.push_str(&stderr);
    }
    everything.push_str(&std::fs::read_to_string(&events).expect("events file written"));

    // The secret was really used: the files on the host hold it.
    let conf = std::fs::read_to_string(out_dir.join("conf.txt")).expect("template rendered");
    assert!(conf.contains(&format!("password = {canary}")), "{conf}");
    let inv = std::fs::read_to_string(out_dir.join("inv.txt")).expect("inventory variable used");
    assert_eq!(inv, canary);
    assert!(everything.contains(MASK), "the masked value shows as {MASK}");
    assert!(
        everything.contains("failing with"),
        "the failing task's output is shown"
    );

    for (form, what) in leaked_forms(&canary) {
        let count = everything.matches(&form).count();
        assert_eq!(
            count, 0,
            "the {what} secret `{form}` appears {count} times in the output:\n{everything}"
        );
    }
}

#[test]
fn bad_secrets_stop_the_deploy_before_any_task() {
    let canary = "canary-for-a-stopped-deploy";
    let repo = canary_repo(canary);
    let deploy = |env: &[(&str, &str)]| {
        let output = Command::new(env!("CARGO_BIN_EXE_playhook"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", repo.path())
            .envs(env.iter().copied())
            .arg("deploy")
            .arg("-C")
            .arg(repo.path())
            .output()
            .expect("playhook deploy runs");
        assert!(
            !repo.file("out/conf.txt").exists(),
            "no task may run: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        output
    };
    let check = |output: &Output, needles: &[&str]| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "the deploy must fail: {stderr}");
        assert!(!stderr.contains(canary) && !String::from_utf8_lossy(&output.stdout).contains(canary));
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one error line: {stderr}");
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "error should mention {needle:?}: {stderr}"
            );
        }
    };

    check(
        &deploy(&[("SECRETS_KEY", "not the key")]),
        &["secrets.yaml", "wrong key"],
    );

    let key = repo.file("secret.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    check(&deploy(&[]), &["secret.key", "chmod 600"]);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");

    let text = repo.secrets_text();
    let line = line_of(&text, "canary");
    let (head, tail) = line.split_at(line.len() - 6);
    let flipped = format!(
        "{head}{}{}",
        if tail.starts_with('A') { "B" } else { "A" },
        &tail[1..]
    );
    repo.write_secrets(&text.replace(line, &flipped));
    check(&deploy(&[]), &["secrets.yaml", "`canary`"]);

    repo.write_secrets(&text);
    std::fs::remove_file(&key).expect("remove key");
    check(&deploy(&[]), &["secrets.yaml", "SECRETS_KEY", "secret.key"]);
}
