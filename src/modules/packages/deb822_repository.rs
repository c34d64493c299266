//! `deb822_repository`: writes `/etc/apt/sources.list.d/<slug>.sources` in the deb822 format,
//! field for field as ansible-core 2.19 dumps it (fields sorted by parameter name, booleans as
//! `yes`/`no`, lists space-separated, multi-line values such as an inline `signed_by` key
//! indented), `mode` 0644 by default. A `signed_by` URL is fetched on the host (curl or wget)
//! into `/etc/apt/keyrings/<slug>.asc|gpg`; a path on the host or inline key text is written as
//! given. `state: absent` removes the file and the slug's key files.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use crate::connection::files::Mode;
use crate::connection::quote::quote;
use crate::modules::files::dest::{PutFile, put_file};
use crate::modules::params::{ModeParam, opt_bool, opt_int, opt_list, opt_mode, opt_string, string};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Deb822Repository;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default, deserialize_with = "opt_bool")]
    allow_downgrade_to_insecure: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    allow_insecure: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    allow_weak: Option<bool>,
    #[serde(default, deserialize_with = "opt_list")]
    architectures: Option<Vec<String>>,
    #[serde(default, deserialize_with = "opt_bool")]
    by_hash: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    check_date: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    check_valid_until: Option<bool>,
    #[serde(default, deserialize_with = "opt_list")]
    components: Option<Vec<String>>,
    #[serde(default, deserialize_with = "opt_int")]
    date_max_future: Option<i64>,
    #[serde(default, deserialize_with = "opt_bool")]
    enabled: Option<bool>,
    #[serde(default, deserialize_with = "opt_string")]
    inrelease_path: Option<String>,
    #[serde(default, deserialize_with = "opt_list")]
    languages: Option<Vec<String>>,
    #[serde(deserialize_with = "string")]
    name: String,
    #[serde(default, deserialize_with = "opt_bool")]
    pdiffs: Option<bool>,
    #[serde(default, deserialize_with = "opt_string")]
    signed_by: Option<String>,
    #[serde(default, deserialize_with = "opt_list")]
    suites: Option<Vec<String>>,
    #[serde(default, deserialize_with = "opt_list")]
    targets: Option<Vec<String>>,
    #[serde(default, deserialize_with = "opt_bool")]
    trusted: Option<bool>,
    #[serde(default, deserialize_with = "opt_list")]
    types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "opt_list")]
    uris: Option<Vec<String>>,
    #[serde(default, deserialize_with = "opt_mode")]
    mode: Option<ModeParam>,
    #[serde(default, deserialize_with = "opt_string")]
    state: Option<String>,
}

const KEYRINGS: &str = "/etc/apt/keyrings";

/// The file name Ansible derives from `name`: lower case, `_` and spaces to `-`, the rest of
/// `[^a-z0-9-]` dropped.
pub fn slug(name: &str) -> String {
    let lower = name.to_lowercase();
    let mut dashed = String::new();
    let mut in_run = false;
    for c in lower.chars() {
        if c == '_' || c.is_whitespace() {
            if !in_run {
                dashed.push('-');
            }
            in_run = true;
        } else {
            dashed.push(c);
            in_run = false;
        }
    }
    dashed
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect()
}

/// A field name as Ansible writes it (`X-Repolib-Name`, `URIs`, `Signed-By`, ...).
fn field_name(param: &str) -> String {
    match param {
        "name" => "X-Repolib-Name".into(),
        "uris" => "URIs".into(),
        _ => {
            let mut out = String::new();
            let mut upper = true;
            for c in param.replace('_', "-").chars() {
                if c.is_alphabetic() {
                    out.extend(if upper {
                        c.to_uppercase().collect::<Vec<_>>()
                    } else {
                        c.to_lowercase().collect()
                    });
                    upper = false;
                } else {
                    out.push(c);
                    upper = true;
                }
            }
            out
        }
    }
}

/// A multi-line value: each line indented by four spaces, empty lines as `.`.
fn multiline(v: &str) -> String {
    let lines: Vec<String> = v
        .trim()
        .lines()
        .map(|l| {
            let t = l.trim();
            format!("    {}", if t.is_empty() { "." } else { t })
        })
        .collect();
    format!("\n{}", lines.join("\n"))
}

/// The `.sources` text, with the `signed_by` value already resolved.
pub fn render(fields: &[(&str, Option<String>)]) -> String {
    let mut out = String::new();
    let mut sorted: Vec<&(&str, Option<String>)> = fields.iter().collect();
    sorted.sort_by_key(|(k, _)| *k);
    for (key, value) in sorted {
        let Some(value) = value else { continue };
        let value = if value.contains('\n') {
            multiline(value)
        } else {
            value.clone()
        };
        if value.is_empty() || value.starts_with('\n') {
            out.push_str(&format!("{}:{value}\n", field_name(key)));
        } else {
            out.push_str(&format!("{}: {value}\n", field_name(key)));
        }
    }
    out
}

fn yes_no(v: Option<bool>) -> Option<String> {
    v.map(|b| if b { "yes" } else { "no" }.to_string())
}

fn words(v: &Option<Vec<String>>) -> Option<String> {
    v.as_ref().map(|l| l.join(" "))
}

#[async_trait]
impl TypedModule for Deb822Repository {
    type Params = Params;

    const SPEC: Spec = Spec::host("deb822_repository");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let state = p.state.as_deref().unwrap_or("present");
        if !matches!(state, "present" | "absent") {
            return Err(ModuleError::Params(format!(
                "deb822_repository: state must be one of present, absent, got: {state}"
            )));
        }
        let types = p.types.clone().unwrap_or_else(|| vec!["deb".into()]);
        if let Some(t) = types.iter().find(|t| *t != "deb" && *t != "deb-src") {
            return Err(ModuleError::Params(format!(
                "deb822_repository: argument 'types': value of types must be one or more of: deb, deb-src. Got no match for: {t}"
            )));
        }
        let slug = slug(&p.name);
        let dest = format!("/etc/apt/sources.list.d/{slug}.sources");
        let key_file = |ext: &str| format!("{KEYRINGS}/{slug}.{ext}");
        if state == "absent" {
            let paths = [dest.clone(), key_file("asc"), key_file("gpg")];
            let words: Vec<String> = paths.iter().map(|p| quote(p)).collect();
            let rm = if ctx.check { "" } else { "rm -f -- \"$f\"; " };
            let script = format!(
                "for f in {}; do [ -e \"$f\" ] && {{ {rm}echo \"$f\"; }}; done; true",
                words.join(" ")
            );
            let out = ctx.run(script).await?;
            let changed = !String::from_utf8_lossy(&out.stdout).trim().is_empty();
            let mut outcome = Outcome::changed(changed)
                .with("repo", Value::from(()))
                .with("dest", dest.as_str())
                .with("key_filename", key_file("gpg"));
            if !ctx.check || !changed {
                outcome = outcome.with("state", "absent");
            }
            return Ok(outcome);
        }
        let mut changed = false;
        let mut key_filename = Value::from(());
        let signed_by = match &p.signed_by {
            None => None,
            Some(v) => {
                let (c, value, file) = signed_by(ctx, v, &key_file("asc"), &key_file("gpg")).await?;
                changed |= c;
                if let Some(f) = file {
                    key_filename = Value::from(f);
                }
                Some(value)
            }
        };
        let fields: Vec<(&str, Option<String>)> = vec![
            (
                "allow_downgrade_to_insecure",
                yes_no(p.allow_downgrade_to_insecure),
            ),
            ("allow_insecure", yes_no(p.allow_insecure)),
            ("allow_weak", yes_no(p.allow_weak)),
            ("architectures", words(&p.architectures)),
            ("by_hash", yes_no(p.by_hash)),
            ("check_date", yes_no(p.check_date)),
            ("check_valid_until", yes_no(p.check_valid_until)),
            ("components", words(&p.components)),
            ("date_max_future", p.date_max_future.map(|d| d.to_string())),
            ("enabled", yes_no(p.enabled)),
            ("inrelease_path", p.inrelease_path.clone()),
            ("languages", words(&p.languages)),
            ("name", Some(p.name.clone())),
            ("pdiffs", yes_no(p.pdiffs)),
            ("signed_by", signed_by),
            ("suites", words(&p.suites)),
            ("targets", words(&p.targets)),
            ("trusted", yes_no(p.trusted)),
            ("types", Some(types.join(" "))),
            ("uris", words(&p.uris)),
        ];
        let repo = render(&fields);
        let mode = p.mode.clone().unwrap_or(ModeParam::Mode(Mode::Bits(0o644)));
        let put = put_file(
            ctx,
            PutFile {
                dest: &dest,
                content: repo.as_bytes(),
                mode: Some(mode),
                source_mode: None,
                owner: None,
                group: None,
                backup: false,
                validate: None,
                force: true,
                existing: None,
                after_header: dest.clone(),
                before: None,
            },
        )
        .await?;
        changed |= put.changed;
        let mut outcome = Outcome::changed(changed)
            .with("repo", repo.as_str())
            .with("dest", dest.as_str())
            .with("key_filename", key_filename);
        // Ansible adds the file's attributes to a result with `dest`.
        for key in ["gid", "group", "mode", "owner", "size", "state", "uid"] {
            if let Some(v) = put.data.get(key) {
                outcome.data.insert(key.into(), v.clone());
            }
        }
        outcome.diff = put.diff;
        Ok(outcome)
    }
}

/// `signed_by`: a file on the host stays a path, a URL is fetched into the keyrings directory
/// (`.asc` when armored), anything else is key text. Returns (changed, value, key file).
async fn signed_by(
    ctx: &mut ModuleCtx<'_>,
    v: &str,
    asc: &str,
    gpg: &str,
) -> Result<(bool, String, Option<String>), ModuleError> {
    let is_url = v.split_once("://").is_some_and(|(s, _)| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    let probe = ctx.run(format!("[ -f {} ] && echo file; true", quote(v))).await?;
    if String::from_utf8_lossy(&probe.stdout).trim() == "file" {
        return Ok((false, v.to_string(), None));
    }
    if !is_url {
        return Ok((false, v.to_string(), None));
    }
    let q = quote(v);
    let script = format!(
        "t=$(mktemp) || exit 1\nif command -v curl >/dev/null 2>&1; then curl -fsSL -o \"$t\" {q} || {{ rm -f \"$t\"; echo 'cannot download'; exit 3; }}\n\
         elif command -v wget >/dev/null 2>&1; then wget -q -O \"$t\" {q} || {{ rm -f \"$t\"; echo 'cannot download'; exit 3; }}\n\
         else rm -f \"$t\"; echo 'neither curl nor wget is installed'; exit 3; fi\n\
         if grep -q -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' \"$t\"; then f={asc}; else f={gpg}; fi\necho \"$f\"\n\
         if cmp -s \"$t\" \"$f\"; then rm -f \"$t\"; chmod 0644 \"$f\" 2>/dev/null; echo same; exit 0; fi\necho differs\n\
         if [ {check} = 1 ]; then rm -f \"$t\"; exit 0; fi\n\
         mkdir -p {keyrings} && chmod 0755 {keyrings} && chmod 0644 \"$t\" && mv -f \"$t\" \"$f\"",
        asc = quote(asc),
        gpg = quote(gpg),
        check = u8::from(ctx.check),
        keyrings = KEYRINGS
    );
    let out = ctx.run(script).await?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.rc != 0 {
        return Err(ModuleError::failed(format!(
            "Could not fetch signed_by key: {} ({v} on {})",
            text.trim(),
            ctx.host
        )));
    }
    let mut lines = text.lines();
    let file = lines.next().unwrap_or(gpg).to_string();
    let changed = lines.next() == Some("differs");
    Ok((changed, file.clone(), Some(file)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_fields_are_written_as_ansible_writes_them() {
        assert_eq!(slug("PH Local_Repo!"), "ph-local-repo");
        assert_eq!(
            field_name("allow_downgrade_to_insecure"),
            "Allow-Downgrade-To-Insecure"
        );
        assert_eq!(field_name("signed_by"), "Signed-By");
        let text = render(&[
            ("uris", Some("http://x/".into())),
            ("types", Some("deb".into())),
            ("name", Some("PH".into())),
            ("trusted", Some("yes".into())),
            (
                "signed_by",
                Some("-----BEGIN-----\n\nabc\n-----END-----\n".into()),
            ),
            ("components", None),
        ]);
        assert_eq!(
            text,
            "X-Repolib-Name: PH\nSigned-By:\n    -----BEGIN-----\n    .\n    abc\n    -----END-----\nTrusted: yes\nTypes: deb\nURIs: http://x/\n"
        );
    }
}
