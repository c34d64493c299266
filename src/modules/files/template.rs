//! `template`: renders a Jinja template from the role's `templates/` (then the playbook's) on
//! the controller and puts the result on the host like `copy` does.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::dest::{PutFile, parent_dir, put_file, stat_with_parent};
use crate::modules::params::{ModeParam, selinux};
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};
use crate::template::{SearchPath, TemplateOverrides};

pub struct Template;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    src: String,
    dest: String,
    mode: Option<ModeParam>,
    owner: Option<String>,
    group: Option<String>,
    backup: Option<bool>,
    force: Option<bool>,
    validate: Option<String>,
    follow: Option<bool>,
    newline_sequence: Option<String>,
    trim_blocks: Option<bool>,
    lstrip_blocks: Option<bool>,
    output_encoding: Option<String>,
    seuser: Option<String>,
    serole: Option<String>,
    setype: Option<String>,
    selevel: Option<String>,
}

#[async_trait]
impl TypedModule for Template {
    type Params = Params;

    const SPEC: Spec = Spec::host("template").source("src", "templates", true);

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        if p.trim_blocks == Some(false) || p.lstrip_blocks == Some(true) {
            return Err(ModuleError::Params(
                "template: only trim_blocks: true and lstrip_blocks: false (Ansible's defaults) are supported"
                    .into(),
            ));
        }
        if let Some(enc) = &p.output_encoding {
            if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
                return Err(ModuleError::Params(format!(
                    "template: output_encoding `{enc}` is not supported (only utf-8)"
                )));
            }
        }
        selinux::check(ctx, "template", &p.dest, selinux::context!(p)).await?;
        let newline = match p.newline_sequence.as_deref() {
            None | Some("\n") | Some("\\n") => "\n",
            Some("\r") | Some("\\r") => "\r",
            Some("\r\n") | Some("\\r\\n") => "\r\n",
            Some(_) => {
                return Err(ModuleError::failed(
                    "newline_sequence needs to be one of: \\n, \\r or \\r\\n",
                ));
            }
        };
        if let Some(v) = &p.validate {
            if !v.contains("%s") {
                return Err(ModuleError::failed(format!("validate must contain %s: {v}")));
            }
        }
        if p.dest.ends_with('/') {
            return Err(ModuleError::failed("can not use content with a dir as dest"));
        }
        let path = ctx.find_source("templates", &p.src)?;
        let source = std::fs::read_to_string(&path)
            .map_err(|e| ModuleError::Local(format!("cannot read template `{}`: {e}", path.display())))?;
        // Jinja normalises the template's own line endings to the newline sequence.
        let source = source.replace("\r\n", "\n").replace('\r', "\n");
        let vars = template_vars(ctx.vars, &p.src, &path, &p.dest);
        let search = SearchPath::for_template(ctx.role_path, ctx.task_dir, ctx.playbook_dir, &path);
        let rendered = match ctx
            .templates
            .render_file(&source, &vars, TemplateOverrides::default(), &search)
        {
            Ok(text) => text,
            Err(e) => {
                return Err(ModuleError::failed(format!(
                    "{}: {}",
                    e.location(&path),
                    e.message
                )));
            }
        };
        let rendered = if newline == "\n" {
            rendered
        } else {
            rendered.replace('\n', newline)
        };
        let source_mode = std::fs::metadata(&path).ok().map(|m| m.mode() & 0o7777);
        // Follow a link when asked; a directory as dest gets the template's file name inside it.
        let mut dest = p.dest.clone();
        let mut existing = None;
        for _ in 0..4 {
            match stat_with_parent(ctx, &dest).await {
                Err(e) => return Err(e),
                Ok((Some(st), _)) if st.is_link() && p.follow.unwrap_or(false) => {
                    dest = st.link_source.clone().unwrap_or(dest);
                }
                Ok((Some(st), _)) if st.is_dir() => {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    dest = format!("{}/{name}", dest.trim_end_matches('/'));
                }
                Ok((st, parent)) => {
                    if st.is_none() && parent.as_ref().is_none_or(|d| !d.is_dir()) && !ctx.check {
                        return Err(ModuleError::failed(format!(
                            "Destination directory {} does not exist",
                            parent_dir(&dest)
                        )));
                    }
                    existing = Some(st);
                    break;
                }
            }
        }
        let mut outcome = put_file(
            ctx,
            PutFile {
                dest: &dest,
                content: rendered.as_bytes(),
                mode: p.mode.clone(),
                source_mode,
                owner: p.owner.clone(),
                group: p.group.clone(),
                backup: p.backup.unwrap_or(false),
                validate: p.validate.clone(),
                force: p.force.unwrap_or(true),
                existing,
                after_header: path.display().to_string(),
                before: None,
            },
        )
        .await?;
        outcome
            .data
            .insert("src".into(), Value::from(path.display().to_string()));
        Ok(outcome)
    }
}

/// The task's variables plus the ones Ansible adds for templates (`template_path`,
/// `template_fullpath`, `template_destpath`, `template_host`, `template_uid`,
/// `ansible_managed`); as in Ansible these win over the task's, except an `ansible_managed`
/// the user set.
fn template_vars(vars: &Value, src: &str, full: &Path, dest: &str) -> Value {
    let mut extra: Vec<(&str, Value)> = vec![
        ("template_host", Value::from(controller_hostname())),
        ("template_path", Value::from(src)),
        ("template_fullpath", Value::from(full.display().to_string())),
        ("template_destpath", Value::from(dest)),
        ("template_uid", template_uid(full)),
    ];
    let has_managed = vars
        .get_attr("ansible_managed")
        .map(|v| !v.is_undefined())
        .unwrap_or(false);
    if !has_managed {
        extra.push(("ansible_managed", Value::from("Ansible managed")));
    }
    minijinja::value::merge_maps([vars.clone(), crate::modules::params::map_value(extra)])
}

fn controller_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".to_string())
}

/// The template file owner's name (its uid when it has none), as Ansible's `template_uid`.
fn template_uid(path: &Path) -> Value {
    let Ok(meta) = std::fs::metadata(path) else {
        return Value::from(());
    };
    let uid = meta.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id: u32 = f.nth(1)?.parse().ok()?;
            (id == uid).then(|| name.to_string())
        })
        .next()
        .map(Value::from)
        .unwrap_or_else(|| Value::from(uid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_vars_are_visible() {
        let vars = crate::modules::params::map_value([("domain", Value::from("x"))]);
        let v = template_vars(&vars, "a.j2", Path::new("/nonexistent"), "/d");
        let engine = crate::template::Engine::default();
        assert_eq!(
            engine
                .render_str("{{ domain }} {{ ansible_managed }}", &v)
                .expect("renders"),
            "x Ansible managed"
        );
    }
}
