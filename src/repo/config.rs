//! `ansible.cfg` in the repository: the settings playhook honours, with Ansible's defaults.
//!
//! Read as Python's `configparser` reads it (`key = value` or `key: value`, `#`/`;` comment
//! lines, ` ;` inline comments, indented continuation lines, keys case-insensitive, no
//! interpolation). Relative paths are relative to the file's directory; `~` is left for the
//! caller to expand. Unknown sections and keys are logged at debug level and ignored.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::loc::Loc;

/// When facts are gathered (`[defaults] gathering`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Gathering {
    /// Gather unless a play says `gather_facts: false` (Ansible's default).
    #[default]
    Implicit,
    /// Gather only when a play says `gather_facts: true`.
    Explicit,
    /// Gather once per host per run.
    Smart,
}

/// `[privilege_escalation]` defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BecomeDefaults {
    pub enabled: bool,
    pub method: String,
    pub user: String,
    pub ask_pass: bool,
}

impl Default for BecomeDefaults {
    fn default() -> Self {
        BecomeDefaults {
            enabled: false,
            method: "sudo".into(),
            user: "root".into(),
            ask_pass: false,
        }
    }
}

/// The settings of a repository's `ansible.cfg` (Ansible's defaults when absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The file read, if the repository has one.
    pub file: Option<PathBuf>,
    /// `[defaults] inventory`: sources, comma-separated, relative to the file.
    pub inventory: Vec<PathBuf>,
    pub forks: usize,
    pub remote_user: Option<String>,
    pub private_key_file: Option<PathBuf>,
    pub host_key_checking: bool,
    /// `[defaults] force_handlers`: the default of the play keyword.
    pub force_handlers: bool,
    pub gathering: Gathering,
    /// `[defaults] roles_path`, colon-separated, relative to the file.
    pub roles_path: Vec<PathBuf>,
    /// `[defaults] collections_path` (or `collections_paths`): directories holding
    /// `ansible_collections/NAMESPACE/COLLECTION`, for roles named `namespace.collection.role`;
    /// Ansible's `~/.ansible/collections:/usr/share/ansible/collections` when not set.
    pub collections_path: Vec<PathBuf>,
    /// SSH connection timeout in seconds.
    pub timeout: u64,
    /// `[ssh_connection] ssh_args`, as written (Ansible's default when `None`).
    pub ssh_args: Option<String>,
    pub become_defaults: BecomeDefaults,
    /// `[playhook] playbook`: the repository's playbook when `--playbook` is not given, as
    /// written (relative to the repository), and where.
    pub playbook: Option<(PathBuf, Loc)>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            file: None,
            inventory: Vec::new(),
            forks: 5,
            remote_user: None,
            private_key_file: None,
            host_key_checking: true,
            force_handlers: false,
            gathering: Gathering::Implicit,
            roles_path: Vec::new(),
            collections_path: vec![
                PathBuf::from("~/.ansible/collections"),
                PathBuf::from("/usr/share/ansible/collections"),
            ],
            timeout: 10,
            ssh_args: None,
            become_defaults: BecomeDefaults::default(),
            playbook: None,
        }
    }
}

/// An `ansible.cfg` that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{loc}: {message}")]
    Invalid { loc: Loc, message: String },
}

/// One `key = value` of the file, with the line it is on.
#[derive(Clone, Debug)]
pub struct Entry {
    pub section: String,
    pub key: String,
    pub value: String,
    pub line: usize,
}

impl Config {
    /// Reads `ansible.cfg` from the repository directory; defaults when there is none.
    pub fn load(repo_dir: &Path) -> Result<Config, ConfigError> {
        let path = repo_dir.join("ansible.cfg");
        if !path.is_file() {
            return Ok(Config::default());
        }
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        Config::from_str(&text, &path)
    }

    /// Parses the text of an `ansible.cfg` found at `path`.
    pub fn from_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let file = Arc::new(path.to_path_buf());
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let mut config = Config {
            file: Some(path.to_path_buf()),
            ..Config::default()
        };
        for entry in parse_ini(text, &file)? {
            let loc = Loc::new(&file, entry.line);
            let bad = |what: &str| ConfigError::Invalid {
                loc: loc.clone(),
                message: format!(
                    "`{}` in [{}] must be {what}, got `{}`",
                    entry.key,
                    entry.section,
                    crate::shown::shown(&entry.value)
                ),
            };
            let v = entry.value.as_str();
            match (entry.section.as_str(), entry.key.as_str()) {
                ("defaults", "inventory" | "hostfile") => {
                    config.inventory = v
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| resolve(&base, s))
                        .collect();
                }
                ("defaults", "forks") => {
                    config.forks = v
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| bad("a positive integer"))?
                }
                ("defaults", "remote_user") => config.remote_user = Some(v.to_string()),
                ("defaults", "private_key_file") => config.private_key_file = Some(resolve(&base, v)),
                ("defaults" | "ssh_connection", "host_key_checking") => {
                    config.host_key_checking = boolean(v).ok_or_else(|| bad("a boolean"))?
                }
                ("defaults", "force_handlers") => {
                    config.force_handlers = boolean(v).ok_or_else(|| bad("a boolean"))?
                }
                ("defaults", "gathering") => {
                    config.gathering = match v {
                        "implicit" => Gathering::Implicit,
                        "explicit" => Gathering::Explicit,
                        "smart" => Gathering::Smart,
                        _ => return Err(bad("one of implicit, explicit, smart")),
                    }
                }
                ("defaults", "collections_path" | "collections_paths") => {
                    config.collections_path = v
                        .split(':')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(|p| resolve(&base, p))
                        .collect();
                }
                ("defaults", "roles_path") => {
                    config.roles_path = v
                        .split(':')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| resolve(&base, s))
                        .collect();
                }
                ("defaults", "timeout") | ("ssh_connection", "timeout") => {
                    config.timeout = v.parse().map_err(|_| bad("a whole number of seconds"))?
                }
                ("ssh_connection", "ssh_args") => config.ssh_args = Some(v.to_string()),
                ("privilege_escalation", "become") => {
                    config.become_defaults.enabled = boolean(v).ok_or_else(|| bad("a boolean"))?
                }
                ("privilege_escalation", "become_method") => config.become_defaults.method = v.to_string(),
                ("privilege_escalation", "become_user") => config.become_defaults.user = v.to_string(),
                ("privilege_escalation", "become_ask_pass") => {
                    config.become_defaults.ask_pass = boolean(v).ok_or_else(|| bad("a boolean"))?
                }
                ("defaults", "hash_behaviour") => match v.to_ascii_lowercase().as_str() {
                    "replace" => {}
                    "merge" => {
                        return Err(ConfigError::Invalid {
                            loc: loc.clone(),
                            message: "`hash_behaviour = merge` is not supported: playhook replaces a \
                                      dictionary variable defined at two precedence levels, as Ansible does \
                                      by default; remove the setting and combine the dictionaries where they \
                                      are used (`{{ a | combine(b, recursive=true) }}`)"
                                .into(),
                        });
                    }
                    _ => return Err(bad("`replace` or `merge`")),
                },
                ("playhook", "playbook") => config.playbook = Some((PathBuf::from(v), loc.clone())),
                (section, key) => {
                    tracing::debug!("{loc}: ignoring `{key}` in [{section}]: playhook does not use it");
                }
            }
        }
        Ok(config)
    }
}

impl Config {
    /// Expands a leading `~/` in the path settings with the given home directory (the library
    /// does not read `HOME` itself).
    pub fn expand_home(mut self, home: &Path) -> Config {
        let expand = |p: &mut PathBuf| {
            if let Ok(rest) = p.strip_prefix("~") {
                *p = home.join(rest);
            }
        };
        self.inventory.iter_mut().for_each(expand);
        self.roles_path.iter_mut().for_each(expand);
        self.collections_path.iter_mut().for_each(expand);
        if let Some(p) = self.private_key_file.as_mut() {
            expand(p);
        }
        self
    }
}

impl Config {
    /// Where roles are looked up, in order: `roles_path`, then the collection directories
    /// (for `namespace.collection.role` names); only those that exist.
    pub fn role_search_path(&self) -> Vec<PathBuf> {
        self.roles_path
            .iter()
            .chain(&self.collections_path)
            .filter(|p| p.is_dir())
            .cloned()
            .collect()
    }
}

fn resolve(base: &Path, value: &str) -> PathBuf {
    let path = Path::new(value);
    if path.is_absolute() || value.starts_with('~') {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// Ansible's boolean strings; anything else is refused rather than read as false.
fn boolean(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "y" | "yes" | "on" | "1" | "true" | "t" | "1.0" => Some(true),
        "n" | "no" | "off" | "0" | "false" | "f" | "0.0" | "" => Some(false),
        _ => None,
    }
}

/// The entries of an INI file as `configparser` reads them.
pub fn parse_ini(text: &str, file: &Arc<PathBuf>) -> Result<Vec<Entry>, ConfigError> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut section: Option<String> = None;
    let mut sections_seen: Vec<String> = Vec::new();
    // Indentation of the current option's line, for continuation lines.
    let mut current: Option<(usize, usize)> = None;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let invalid = |message: String| ConfigError::Invalid {
            loc: Loc::new(file, line_no),
            message,
        };
        let stripped = raw.trim();
        if stripped.starts_with(['#', ';']) {
            continue;
        }
        let content = strip_inline_comment(raw);
        let trimmed = content.trim();
        let indent = raw.len() - raw.trim_start().len();
        if trimmed.is_empty() {
            current = None;
            continue;
        }
        if let Some((entry_index, key_indent)) = current {
            if indent > key_indent && section.is_some() {
                let entry = &mut entries[entry_index];
                if !entry.value.is_empty() {
                    entry.value.push('\n');
                }
                entry.value.push_str(trimmed);
                continue;
            }
        }
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            let name = trimmed[1..trimmed.len() - 1].to_string();
            if sections_seen.contains(&name) {
                return Err(invalid(format!("section [{name}] appears twice")));
            }
            sections_seen.push(name.clone());
            section = Some(name);
            current = None;
            continue;
        }
        let Some(section) = &section else {
            return Err(invalid("a setting before any [section] header".into()));
        };
        let Some(pos) = trimmed.find(['=', ':']) else {
            return Err(invalid(format!("expected `key = value`, got `{trimmed}`")));
        };
        let key = trimmed[..pos].trim().to_ascii_lowercase();
        let value = trimmed[pos + 1..].trim().to_string();
        if key.is_empty() {
            return Err(invalid(format!("expected `key = value`, got `{trimmed}`")));
        }
        if entries.iter().any(|e| e.section == *section && e.key == key) {
            return Err(invalid(format!("`{key}` is set twice in [{section}]")));
        }
        entries.push(Entry {
            section: section.clone(),
            key,
            value,
            line: line_no,
        });
        current = Some((entries.len() - 1, indent));
    }
    Ok(entries)
}

/// Removes a `;` comment preceded by whitespace.
fn strip_inline_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b';' && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return &line[..i];
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_str(text, Path::new("/repo/ansible.cfg"))
    }

    #[test]
    fn settings_are_read_with_paths_relative_to_the_file() {
        let cfg = parse(
            "# comment\n[defaults]\ninventory = inventory/hosts.yml, ./more ; two sources\nforks: 20\n\
             host_key_checking = False\nroles_path = roles:/opt/roles\nunknown_thing = 1\n\
             [ssh_connection]\nssh_args = -o ControlMaster=auto\n  -o ControlPersist=60s\n\
             [privilege_escalation]\nbecome = yes\n",
        )
        .expect("valid");
        assert_eq!(
            cfg.inventory,
            [
                PathBuf::from("/repo/inventory/hosts.yml"),
                PathBuf::from("/repo/./more")
            ]
        );
        assert_eq!(cfg.forks, 20);
        assert!(!cfg.host_key_checking);
        assert_eq!(
            cfg.roles_path,
            [PathBuf::from("/repo/roles"), PathBuf::from("/opt/roles")]
        );
        assert_eq!(
            cfg.ssh_args.as_deref(),
            Some("-o ControlMaster=auto\n-o ControlPersist=60s")
        );
        assert!(cfg.become_defaults.enabled);
    }

    #[test]
    fn home_is_expanded_on_request() {
        let cfg = parse("[defaults]\nprivate_key_file = ~/.ssh/deploy\ninventory = ~/inv,hosts\n")
            .expect("valid")
            .expand_home(Path::new("/home/me"));
        assert_eq!(cfg.private_key_file, Some(PathBuf::from("/home/me/.ssh/deploy")));
        assert_eq!(
            cfg.inventory,
            [PathBuf::from("/home/me/inv"), PathBuf::from("/repo/hosts")]
        );
    }

    #[test]
    fn collections_path_defaults_to_ansibles_and_either_spelling_replaces_it() {
        let cfg = parse("[defaults]\n")
            .expect("valid")
            .expand_home(Path::new("/home/me"));
        assert_eq!(
            cfg.collections_path,
            [
                PathBuf::from("/home/me/.ansible/collections"),
                PathBuf::from("/usr/share/ansible/collections")
            ]
        );
        for key in ["collections_path", "collections_paths"] {
            let cfg = parse(&format!("[defaults]\n{key} = vendor:/opt/c\n")).expect("valid");
            assert_eq!(
                cfg.collections_path,
                [PathBuf::from("/repo/vendor"), PathBuf::from("/opt/c")]
            );
        }
    }

    #[test]
    fn bad_values_name_file_and_line() {
        let err = parse("[defaults]\n\nforks = many\n").expect_err("bad");
        assert_eq!(
            err.to_string(),
            "/repo/ansible.cfg:3: `forks` in [defaults] must be a positive integer, got `many`"
        );
        let err = parse("forks = 1\n").expect_err("no section");
        assert!(err.to_string().starts_with("/repo/ansible.cfg:1:"), "{err}");
    }
}
