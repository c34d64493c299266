//! `apt_repository`: one-line `deb`/`deb-src` sources in `/etc/apt/sources.list` and
//! `/etc/apt/sources.list.d/*.list`, as ansible-core 2.19 edits them: a line already there
//! (even commented out) is enabled in place, a new one goes to the file named by `filename` or
//! derived from the repository's host and path (`deb http://ppa.x/y ./` → `ppa_x_y.list`);
//! removal drops enabled copies everywhere; files are rewritten in Ansible's normalised form
//! and a file left empty is deleted. `update_cache` runs `apt-get update` (with retries) after
//! a change. `install_python_apt` is accepted and does nothing: playhook needs no python-apt.
//! `ppa:` repositories (Launchpad's API and key import) are refused. `validate_certs` only
//! concerned Launchpad and is accepted.

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::files::Mode;
use crate::modules::files::dest::{PutFile, put_file};
use crate::modules::params::{ModeParam, opt_bool, opt_int, opt_mode, opt_string, string};
use crate::modules::{Diff, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct AptRepository;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(deserialize_with = "string")]
    repo: String,
    #[serde(default, deserialize_with = "opt_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "opt_mode")]
    mode: Option<ModeParam>,
    #[serde(default, alias = "update-cache", deserialize_with = "opt_bool")]
    update_cache: Option<bool>,
    #[serde(default, deserialize_with = "opt_int")]
    update_cache_retries: Option<i64>,
    #[serde(default, deserialize_with = "opt_int")]
    update_cache_retry_max_delay: Option<i64>,
    #[serde(default, deserialize_with = "opt_string")]
    filename: Option<String>,
    #[serde(default, deserialize_with = "opt_bool")]
    install_python_apt: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    validate_certs: Option<bool>,
    #[serde(default, deserialize_with = "opt_string")]
    codename: Option<String>,
}

const SOURCES_LIST: &str = "/etc/apt/sources.list";
const SOURCES_DIR: &str = "/etc/apt/sources.list.d";

/// One line of a sources file, parsed as Ansible parses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    valid: bool,
    enabled: bool,
    source: String,
    comment: String,
}

/// Parses a line: `#` disables it, a later `#` starts a comment, `deb`/`deb-src` make it valid.
pub fn parse_line(line: &str) -> Line {
    let mut line = line.trim();
    let mut enabled = true;
    if let Some(rest) = line.strip_prefix('#') {
        enabled = false;
        line = rest;
    }
    let mut comment = String::new();
    let mut body = line;
    if let Some(i) = line.find('#') {
        if i > 0 {
            comment = line[i + 1..].trim().to_string();
            body = &line[..i];
        }
    }
    let mut source = body.trim().to_string();
    let chunks: Vec<&str> = source.split_whitespace().collect();
    let valid = matches!(chunks.first(), Some(&"deb") | Some(&"deb-src"));
    if valid {
        source = chunks.join(" ");
    }
    Line {
        valid,
        enabled,
        source,
        comment,
    }
}

/// A file's lines in Ansible's normalised form.
pub fn dump(lines: &[Line]) -> String {
    let mut out = String::new();
    for l in lines {
        if !l.enabled {
            out.push_str("# ");
        }
        out.push_str(&l.source);
        if !l.comment.is_empty() {
            out.push_str(" # ");
            out.push_str(&l.comment);
        }
        out.push('\n');
    }
    out
}

/// The file Ansible puts a new repository line in.
pub fn suggest_filename(source: &str, filename: Option<&str>) -> String {
    let name = match filename {
        Some(f) => f.to_string(),
        None => {
            let mut line = String::new();
            let mut depth = 0;
            for c in source.chars() {
                match c {
                    '[' => depth += 1,
                    ']' if depth > 0 => depth -= 1,
                    _ if depth == 0 => line.push(c),
                    _ => {}
                }
            }
            let parts: Vec<String> = line
                .split_whitespace()
                .filter(|p| *p != "deb" && *p != "deb-src")
                .map(|p| match p.find("://") {
                    Some(i) if p[..i].chars().all(|c| c.is_alphanumeric() || c == '_') => {
                        p[i + 3..].to_string()
                    }
                    _ => p.to_string(),
                })
                .collect();
            let first = parts.first().cloned().unwrap_or_default();
            let first = first
                .split_once('@')
                .map_or(first.as_str(), |(_, h)| h)
                .to_string();
            let cleaned: String = first
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
                .collect();
            cleaned.split_whitespace().collect::<Vec<_>>().join("_")
        }
    };
    let file = format!("{name}.list");
    if file.contains('/') {
        file
    } else {
        format!("{SOURCES_DIR}/{file}")
    }
}

#[async_trait]
impl TypedModule for AptRepository {
    type Params = Params;

    const SPEC: Spec = Spec::host("apt_repository");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let _ = (p.install_python_apt, p.validate_certs, &p.codename);
        let state = p.state.as_deref().unwrap_or("present");
        if !matches!(state, "present" | "absent") {
            return Err(ModuleError::Params(format!(
                "apt_repository: state must be one of absent, present, got: {state}"
            )));
        }
        if p.repo.is_empty() {
            return Err(ModuleError::failed(
                "Please set argument 'repo' to a non-empty value",
            ));
        }
        if p.repo.starts_with("ppa:") {
            return Err(ModuleError::failed(format!(
                "apt_repository on {}: ppa: repositories are not supported by playhook; write the deb line and add its key with deb822_repository's signed_by",
                ctx.host
            )));
        }
        let new = parse_line(&p.repo);
        if !new.valid || !new.enabled {
            return Err(ModuleError::failed(format!(
                "Invalid repository string: {}",
                p.repo.trim()
            )));
        }
        let mut files = read_sources(ctx).await?;
        let before: IndexMap<String, String> = dumps(&files);
        match state {
            "present" => {
                let mut found = false;
                for lines in files.values_mut() {
                    for l in lines.iter_mut().filter(|l| l.valid && l.source == new.source) {
                        l.enabled = true;
                        found = true;
                    }
                }
                if !found {
                    let file = suggest_filename(&new.source, p.filename.as_deref());
                    files.entry(file).or_default().push(new.clone());
                }
            }
            _ => {
                for lines in files.values_mut() {
                    lines.retain(|l| !(l.valid && l.enabled && l.source == new.source));
                }
            }
        }
        let after = dumps(&files);
        let changed = before != after;
        let added: Vec<String> = after
            .keys()
            .filter(|k| !before.contains_key(*k))
            .cloned()
            .collect();
        let removed: Vec<String> = before
            .keys()
            .filter(|k| !after.contains_key(*k))
            .cloned()
            .collect();
        let mut outcome = Outcome::changed(changed);
        if changed && ctx.diff {
            for f in added.iter().chain(&removed) {
                outcome.diff.push(Diff {
                    before_header: if before.contains_key(f) {
                        f.clone()
                    } else {
                        "/dev/null".into()
                    },
                    after_header: if after.contains_key(f) {
                        f.clone()
                    } else {
                        "/dev/null".into()
                    },
                    before: before.get(f).cloned().unwrap_or_default(),
                    after: after.get(f).cloned().unwrap_or_default(),
                    prepared: None,
                });
            }
        }
        if changed && !ctx.check {
            save(ctx, &p, &before, &after, &added).await?;
            if p.update_cache.unwrap_or(true) {
                update(ctx, &p).await?;
            }
        }
        let list = |v: Vec<String>| Value::from(v.into_iter().map(Value::from).collect::<Vec<_>>());
        outcome = outcome
            .with("repo", p.repo.as_str())
            .with("sources_added", list(added))
            .with("sources_removed", list(removed))
            .with("state", state);
        if outcome.diff.is_empty() {
            outcome = outcome.with("diff", Value::from(Vec::<Value>::new()));
        }
        Ok(outcome)
    }
}

/// Every sources file's lines, in one round trip.
async fn read_sources(ctx: &mut ModuleCtx<'_>) -> Result<IndexMap<String, Vec<Line>>, ModuleError> {
    let script = format!(
        "for f in {SOURCES_LIST} {SOURCES_DIR}/*.list; do [ -f \"$f\" ] || continue; \
         printf '__PH_FILE %s\\n' \"$f\"; cat -- \"$f\"; printf '\\n__PH_END\\n'; done; true"
    );
    let out = ctx.run(script).await?;
    Ok(parse_sources(&String::from_utf8_lossy(&out.stdout)))
}

/// The files the read script printed, each as Python iterates its lines.
fn parse_sources(text: &str) -> IndexMap<String, Vec<Line>> {
    let mut files: IndexMap<String, Vec<Line>> = IndexMap::new();
    let mut rest = text;
    while let Some(start) = rest.find("__PH_FILE ") {
        let after = &rest[start + "__PH_FILE ".len()..];
        let Some((name, body)) = after.split_once('\n') else {
            break;
        };
        let Some(end) = body.find("\n__PH_END\n") else {
            break;
        };
        let lines = body[..end].split_inclusive('\n').map(parse_line).collect();
        files.insert(name.to_string(), lines);
        rest = &body[end + "\n__PH_END\n".len()..];
    }
    files
}

/// Each file's normalised text (files without lines are absent).
fn dumps(files: &IndexMap<String, Vec<Line>>) -> IndexMap<String, String> {
    files
        .iter()
        .filter(|(_, lines)| !lines.is_empty())
        .map(|(f, lines)| (f.clone(), dump(lines)))
        .collect()
}

/// Writes what changed, removes files left empty.
async fn save(
    ctx: &mut ModuleCtx<'_>,
    p: &Params,
    before: &IndexMap<String, String>,
    after: &IndexMap<String, String>,
    added: &[String],
) -> Result<(), ModuleError> {
    for (file, text) in after {
        if before.get(file) == Some(text) {
            continue;
        }
        let mode = if added.contains(file) {
            p.mode.clone().or(Some(ModeParam::Mode(Mode::Bits(0o644))))
        } else {
            None
        };
        put_file(
            ctx,
            PutFile {
                dest: file,
                content: text.as_bytes(),
                mode,
                source_mode: None,
                owner: None,
                group: None,
                backup: false,
                validate: None,
                force: true,
                existing: None,
                after_header: file.clone(),
                before: None,
            },
        )
        .await?;
    }
    for file in before.keys().filter(|f| !after.contains_key(*f)) {
        crate::connection::files::remove(ctx.conn, file, &ctx.via).await?;
    }
    Ok(())
}

/// `apt-get update` with Ansible's retries.
async fn update(ctx: &mut ModuleCtx<'_>, p: &Params) -> Result<(), ModuleError> {
    let retries = p.update_cache_retries.unwrap_or(5).max(1);
    let max = p.update_cache_retry_max_delay.unwrap_or(12).max(0);
    let script = format!(
        "{}\nn=0\nwhile :; do\n  err=$(apt-get update -q 2>&1 >/dev/null) && exit 0\n  n=$((n + 1))\n  \
         [ $n -ge {retries} ] && {{ printf '%s\\n' \"$err\"; exit 1; }}\n  d=$((1 << (n - 1))); [ $d -gt {max} ] && d={max}; sleep $d\ndone",
        super::apt_query::APT_ENV
    );
    let out = ctx.run(script).await?;
    if out.rc != 0 {
        return Err(ModuleError::failed(format!(
            "Failed to update apt cache after {retries} retries: {}",
            String::from_utf8_lossy(&out.stdout).trim()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_derived_as_ansible_derives_them() {
        assert_eq!(
            suggest_filename("deb [trusted=yes] http://127.0.0.1:8080/ ./", None),
            "/etc/apt/sources.list.d/127_0_0_1_8080.list"
        );
        assert_eq!(
            suggest_filename(
                "deb http://user:pw@dl.google.com/linux/chrome/deb/ stable main",
                None
            ),
            "/etc/apt/sources.list.d/dl_google_com_linux_chrome_deb.list"
        );
        assert_eq!(
            suggest_filename("deb http://x/ y", Some("google-chrome")),
            "/etc/apt/sources.list.d/google-chrome.list"
        );
    }

    #[test]
    fn files_are_read_line_by_line() {
        let files = parse_sources(
            "__PH_FILE /a\ndeb http://x y\n\n__PH_END\n__PH_FILE /b\ndeb http://z w\n__PH_END\n",
        );
        assert_eq!(files["/a"].len(), 1);
        assert_eq!(dump(&files["/b"]), "deb http://z w\n");
    }

    #[test]
    fn lines_normalise_as_ansible_writes_them() {
        let lines: Vec<Line> = ["#deb  http://a  b c # note", "deb http://x y", "", "# just text"]
            .iter()
            .map(|l| parse_line(l))
            .collect();
        assert!(!lines[0].enabled && lines[0].valid);
        assert_eq!(
            dump(&lines),
            "# deb http://a b c # note\ndeb http://x y\n\n# just text\n"
        );
    }
}
