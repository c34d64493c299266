//! `yum_repository`: one `[repoid]` section of `<reposdir>/<file>.repo`, written as
//! ansible-core 2.19 writes it (configparser's format, [`repo_ini`](super::repo_ini)): the
//! section is replaced by the task's options in sorted order (`description` becomes `name`,
//! booleans `0`/`1`, `baseurl`/`gpgkey` lists one per line, `exclude`/`includepkgs` lists
//! space-separated), `state: absent` drops the section and deletes a file left empty.
//! `changed` and the diff compare Ansible's sorted dump, so a file that only differs in order or
//! comments is left alone. Results: `repo`, `state`, `diff`. File attributes `mode`, `owner`,
//! `group` are applied; SELinux contexts are ignored where SELinux is disabled (`params::selinux`), `attributes` refused (`params::refuse_attributes`).

use async_trait::async_trait;
use indexmap::IndexMap;
use minijinja::Value;
use serde::Deserialize;

use super::repo_ini::{self, Ini};
use crate::connection::files::{self, Mode};
use crate::modules::files::dest::{PutFile, put_file};
use crate::modules::params::{ModeParam, refuse_attributes, selinux};
use crate::modules::{Diff, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct YumRepository;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    name: String,
    description: Option<String>,
    state: Option<String>,
    file: Option<String>,
    reposdir: Option<String>,
    baseurl: Option<Vec<String>>,
    gpgkey: Option<Vec<String>>,
    #[serde(alias = "excludepkgs")]
    exclude: Option<Vec<String>>,
    includepkgs: Option<Vec<String>>,
    #[serde(rename = "async")]
    async_: Option<bool>,
    countme: Option<bool>,
    enabled: Option<bool>,
    enablegroups: Option<bool>,
    gpgcheck: Option<bool>,
    keepalive: Option<bool>,
    module_hotfixes: Option<bool>,
    protect: Option<bool>,
    repo_gpgcheck: Option<bool>,
    s3_enabled: Option<bool>,
    skip_if_unavailable: Option<bool>,
    ssl_check_cert_permissions: Option<bool>,
    #[serde(alias = "validate_certs")]
    sslverify: Option<bool>,
    bandwidth: Option<String>,
    cost: Option<String>,
    deltarpm_metadata_percentage: Option<String>,
    deltarpm_percentage: Option<String>,
    failovermethod: Option<String>,
    gpgcakey: Option<String>,
    http_caching: Option<String>,
    include: Option<String>,
    ip_resolve: Option<String>,
    keepcache: Option<String>,
    metadata_expire: Option<String>,
    metadata_expire_filter: Option<String>,
    metalink: Option<String>,
    mirrorlist: Option<String>,
    mirrorlist_expire: Option<String>,
    password: Option<String>,
    priority: Option<String>,
    proxy: Option<String>,
    proxy_password: Option<String>,
    proxy_username: Option<String>,
    retries: Option<String>,
    #[serde(alias = "ca_cert")]
    sslcacert: Option<String>,
    #[serde(alias = "client_cert")]
    sslclientcert: Option<String>,
    #[serde(alias = "client_key")]
    sslclientkey: Option<String>,
    throttle: Option<String>,
    timeout: Option<String>,
    ui_repoid_vars: Option<String>,
    username: Option<String>,
    mode: Option<ModeParam>,
    owner: Option<String>,
    group: Option<String>,
    seuser: Option<String>,
    serole: Option<String>,
    setype: Option<String>,
    selevel: Option<String>,
    #[serde(alias = "attr")]
    attributes: Option<String>,
    unsafe_writes: Option<bool>,
}

impl Params {
    /// The section's keys and values, as Ansible sets them (sorted by key).
    fn section(&self) -> IndexMap<String, String> {
        let b = |v: Option<bool>| v.map(|v| if v { "1" } else { "0" }.to_string());
        let s = |v: &Option<String>| v.clone();
        let mut keys: Vec<(&str, Option<String>)> = vec![
            ("async", b(self.async_)),
            ("bandwidth", s(&self.bandwidth)),
            ("baseurl", self.baseurl.as_ref().map(|v| v.join("\n"))),
            ("cost", s(&self.cost)),
            ("countme", b(self.countme)),
            (
                "deltarpm_metadata_percentage",
                s(&self.deltarpm_metadata_percentage),
            ),
            ("deltarpm_percentage", s(&self.deltarpm_percentage)),
            ("enabled", b(self.enabled)),
            ("enablegroups", b(self.enablegroups)),
            ("exclude", self.exclude.as_ref().map(|v| v.join(" "))),
            ("failovermethod", s(&self.failovermethod)),
            ("gpgcakey", s(&self.gpgcakey)),
            ("gpgcheck", b(self.gpgcheck)),
            ("gpgkey", self.gpgkey.as_ref().map(|v| v.join("\n"))),
            ("http_caching", s(&self.http_caching)),
            ("include", s(&self.include)),
            ("includepkgs", self.includepkgs.as_ref().map(|v| v.join(" "))),
            ("ip_resolve", s(&self.ip_resolve)),
            ("keepalive", b(self.keepalive)),
            ("keepcache", s(&self.keepcache)),
            ("metadata_expire", s(&self.metadata_expire)),
            ("metadata_expire_filter", s(&self.metadata_expire_filter)),
            ("metalink", s(&self.metalink)),
            ("mirrorlist", s(&self.mirrorlist)),
            ("mirrorlist_expire", s(&self.mirrorlist_expire)),
            ("module_hotfixes", b(self.module_hotfixes)),
            ("name", s(&self.description)),
            ("password", s(&self.password)),
            ("priority", s(&self.priority)),
            ("protect", b(self.protect)),
            ("proxy", s(&self.proxy)),
            ("proxy_password", s(&self.proxy_password)),
            ("proxy_username", s(&self.proxy_username)),
            ("repo_gpgcheck", b(self.repo_gpgcheck)),
            ("retries", s(&self.retries)),
            ("s3_enabled", b(self.s3_enabled)),
            ("skip_if_unavailable", b(self.skip_if_unavailable)),
            ("ssl_check_cert_permissions", b(self.ssl_check_cert_permissions)),
            ("sslcacert", s(&self.sslcacert)),
            ("sslclientcert", s(&self.sslclientcert)),
            ("sslclientkey", s(&self.sslclientkey)),
            ("sslverify", b(self.sslverify)),
            ("throttle", s(&self.throttle)),
            ("timeout", s(&self.timeout)),
            ("ui_repoid_vars", s(&self.ui_repoid_vars)),
            ("username", s(&self.username)),
        ];
        keys.sort_by(|a, b| a.0.cmp(b.0));
        keys.into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
            .collect()
    }
}

/// Allowed values of the options Ansible restricts.
const CHOICES: &[(&str, &[&str])] = &[
    ("failovermethod", &["roundrobin", "priority"]),
    ("http_caching", &["all", "packages", "none"]),
    ("ip_resolve", &["4", "6", "IPv4", "IPv6", "whatever"]),
    ("keepcache", &["0", "1"]),
    (
        "metadata_expire_filter",
        &["never", "read-only:past", "read-only:present", "read-only:future"],
    ),
];

#[async_trait]
impl TypedModule for YumRepository {
    type Params = Params;

    const SPEC: Spec = Spec::host("yum_repository");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        let _ = p.unsafe_writes;
        let state = p.state.as_deref().unwrap_or("present");
        if !matches!(state, "present" | "absent") {
            return Err(ModuleError::Params(format!(
                "yum_repository: value of state must be one of: present, absent, got: {state}"
            )));
        }
        let section = p.section();
        for (key, allowed) in CHOICES {
            if let Some(v) = section.get(*key).filter(|v| !allowed.contains(&v.as_str())) {
                return Err(ModuleError::Params(format!(
                    "yum_repository: value of {key} must be one of: {}, got: {v}",
                    allowed.join(", ")
                )));
            }
        }
        refuse_attributes("yum_repository", p.attributes.as_deref())?;
        if state == "present" {
            if p.baseurl.is_none() && p.mirrorlist.is_none() && p.metalink.is_none() {
                return Err(ModuleError::failed(
                    "state is present but any of the following are missing: baseurl, mirrorlist, metalink",
                ));
            }
            if p.description.is_none() {
                return Err(ModuleError::failed(
                    "state is present but all of the following are missing: description",
                ));
            }
        }
        let reposdir = p.reposdir.as_deref().unwrap_or("/etc/yum.repos.d");
        let dest = format!(
            "{}/{}.repo",
            reposdir.trim_end_matches('/'),
            p.file.as_deref().unwrap_or(&p.name)
        );
        selinux::check(ctx, "yum_repository", &dest, selinux::context!(p)).await?;
        let (exists, raw) = read(ctx, reposdir, &dest).await?;
        let mut ini = raw.as_deref().map(repo_ini::parse).unwrap_or_default();
        let before = repo_ini::dump(&ini);
        ini.shift_remove(&p.name);
        if state == "present" {
            ini.insert(p.name.clone(), section);
        }
        let after = repo_ini::dump(&ini);
        let mut changed = before != after;
        if changed && !ctx.check {
            save(ctx, &p, &dest, &ini, exists).await?;
        } else if exists && (p.mode.is_some() || p.owner.is_some() || p.group.is_some()) {
            // Only the attributes: the content stays as it is.
            let content = raw.unwrap_or_default();
            let o = put(ctx, &p, &dest, content.as_bytes(), None).await?;
            changed |= o.changed;
        }
        let mut outcome = Outcome::changed(changed)
            .with("repo", p.name.as_str())
            .with("state", state);
        // Ansible masks no_log values (the passwords) wherever they appear in the result.
        let mask = |text: String| {
            [&p.password, &p.proxy_password]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .fold(text, |t, secret| t.replace(secret.as_str(), "********"))
        };
        let diff = Diff {
            before_header: dest.clone(),
            after_header: dest.clone(),
            before: mask(before),
            after: mask(after),
            prepared: None,
        };
        outcome = outcome.with(
            "diff",
            crate::modules::params::map_value([
                ("after", Value::from(diff.after.as_str())),
                ("after_header", Value::from(dest.as_str())),
                ("before", Value::from(diff.before.as_str())),
                ("before_header", Value::from(dest.as_str())),
            ]),
        );
        if ctx.diff && changed {
            outcome.diff.push(diff);
        }
        Ok(outcome)
    }
}

/// Whether the file exists, and its text; fails when the repository directory is missing.
async fn read(ctx: &mut ModuleCtx<'_>, dir: &str, dest: &str) -> Result<(bool, Option<String>), ModuleError> {
    let q = crate::connection::quote::quote;
    let script = format!(
        "[ -d {d} ] || {{ echo __PH_NODIR; exit 0; }}\n[ -f {f} ] || exit 0\necho __PH_FILE\ncat -- {f}",
        d = q(dir),
        f = q(dest)
    );
    let out = ctx.run(script).await?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.starts_with("__PH_NODIR") {
        return Err(ModuleError::failed(format!(
            "Repo directory '{dir}' does not exist."
        )));
    }
    if out.rc != 0 {
        return Err(ModuleError::failed(format!(
            "reading {dest} on {} failed: {}",
            ctx.host,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(match text.strip_prefix("__PH_FILE\n") {
        Some(content) => (true, Some(content.to_string())),
        None => (false, None),
    })
}

/// Writes the file, or removes it when no section is left.
async fn save(
    ctx: &mut ModuleCtx<'_>,
    p: &Params,
    dest: &str,
    ini: &Ini,
    exists: bool,
) -> Result<(), ModuleError> {
    if ini.is_empty() {
        files::remove(ctx.conn, dest, &ctx.via)
            .await
            .map_err(|e| ModuleError::failed(format!("Cannot remove empty repo file {dest}. ({e})")))?;
        return Ok(());
    }
    let text = repo_ini::write(ini);
    let new_mode = (!exists).then_some(ModeParam::Mode(Mode::Bits(0o644)));
    put(ctx, p, dest, text.as_bytes(), new_mode).await?;
    Ok(())
}

async fn put(
    ctx: &mut ModuleCtx<'_>,
    p: &Params,
    dest: &str,
    content: &[u8],
    new_mode: Option<ModeParam>,
) -> Result<Outcome, ModuleError> {
    put_file(
        ctx,
        PutFile {
            dest,
            content,
            mode: p.mode.clone().or(new_mode),
            source_mode: None,
            owner: p.owner.clone(),
            group: p.group.clone(),
            backup: false,
            validate: None,
            force: true,
            existing: None,
            after_header: dest.to_string(),
            before: None,
        },
    )
    .await
}
