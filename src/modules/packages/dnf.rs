//! `dnf` (and `yum`, its alias in ansible-core 2.19): RPM packages with the `dnf` and `rpm`
//! programs (no python3-dnf on the target), with 2.19's parameters and results (`msg`,
//! `results`, `rc`; `failures` when a package is unknown), `changed` and check mode.
//!
//! A task with nothing to do costs one round trip ([`dnf_query`](super::dnf_query): one
//! `rpm -q`, and `dnf repoquery` only when something is missing or `latest` is asked);
//! [`dnf_plan`](super::dnf_plan) decides; one more round trip runs `dnf install`/`dnf remove`
//! between two `rpm -qa`, whose difference is the `results` ("Installed: n-v-r.a",
//! "Removed: ..."), as Ansible lists the transaction. In check mode `results` lists the named
//! packages only (not the dependencies dnf would add). Groups (`@group`), modules, local or
//! remote `.rpm` files, `list`, `security` and `bugfix` are refused with a message.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::dnf_plan::{self, DnfPlan, Opts};
use super::dnf_query::{self, DnfSpec, Pkg};
use super::want::Goal;
use crate::connection::quote::quote;
use crate::modules::{ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Dnf;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(alias = "pkg")]
    pub(super) name: Option<Vec<String>>,
    state: Option<String>,
    enablerepo: Option<Vec<String>>,
    disablerepo: Option<Vec<String>>,
    conf_file: Option<String>,
    disable_gpg_check: Option<bool>,
    installroot: Option<String>,
    releasever: Option<String>,
    autoremove: Option<bool>,
    exclude: Option<Vec<String>>,
    disable_excludes: Option<String>,
    #[serde(alias = "expire-cache")]
    update_cache: Option<bool>,
    update_only: Option<bool>,
    security: Option<bool>,
    bugfix: Option<bool>,
    enable_plugin: Option<Vec<String>>,
    disable_plugin: Option<Vec<String>>,
    skip_broken: Option<bool>,
    allowerasing: Option<bool>,
    allow_downgrade: Option<bool>,
    nobest: Option<bool>,
    best: Option<bool>,
    download_only: Option<bool>,
    download_dir: Option<String>,
    install_weak_deps: Option<bool>,
    lock_timeout: Option<i64>,
    cacheonly: Option<bool>,
    validate_certs: Option<bool>,
    sslverify: Option<bool>,
    install_repoquery: Option<bool>,
    list: Option<String>,
    #[serde(alias = "use")]
    use_backend: Option<String>,
}

const STATES: &[&str] = &["absent", "installed", "latest", "present", "removed"];
const BACKENDS: &[&str] = &["auto", "dnf", "dnf4", "yum", "yum4"];

impl Params {
    /// Every spec: list items split on commas too, as Ansible's yumdnf does.
    fn specs(&self) -> Vec<String> {
        self.name
            .iter()
            .flatten()
            .flat_map(|n| n.split(','))
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect()
    }

    /// The options every dnf command of the task takes (repositories, configuration).
    fn common_opts(&self) -> String {
        let mut o: Vec<String> = Vec::new();
        if let Some(c) = &self.conf_file {
            o.push(format!("--config={}", quote(c)));
        }
        if let Some(r) = self.installroot.as_deref().filter(|r| *r != "/") {
            o.push(format!("--installroot={}", quote(r)));
        }
        if let Some(r) = &self.releasever {
            o.push(format!("--releasever={}", quote(r)));
        }
        for r in self.disablerepo.iter().flatten().flat_map(|r| r.split(',')) {
            o.push(format!("--disablerepo={}", quote(r.trim())));
        }
        for r in self.enablerepo.iter().flatten().flat_map(|r| r.split(',')) {
            o.push(format!("--enablerepo={}", quote(r.trim())));
        }
        for e in self.exclude.iter().flatten().flat_map(|e| e.split(',')) {
            o.push(format!("--exclude={}", quote(e.trim())));
        }
        if let Some(d) = &self.disable_excludes {
            o.push(format!("--disableexcludes={}", quote(d)));
        }
        for p in self.enable_plugin.iter().flatten() {
            o.push(format!("--enableplugin={}", quote(p)));
        }
        for p in self.disable_plugin.iter().flatten() {
            o.push(format!("--disableplugin={}", quote(p)));
        }
        if self.disable_gpg_check == Some(true) {
            o.push("--nogpgcheck".into());
        }
        if self.sslverify == Some(false) {
            o.push("--setopt=sslverify=False".into());
        }
        if self.cacheonly == Some(true) {
            o.push("--cacheonly".into());
        }
        if self.update_cache == Some(true) {
            o.push("--refresh".into());
        }
        o.join(" ")
    }

    /// The options of the transaction itself.
    fn act_opts(&self) -> String {
        let mut o = vec![self.common_opts()];
        o.push(format!(
            "--setopt=clean_requirements_on_remove={}",
            if self.autoremove == Some(true) {
                "True"
            } else {
                "False"
            }
        ));
        if self.install_weak_deps == Some(false) {
            o.push("--setopt=install_weak_deps=False".into());
        }
        if self.skip_broken == Some(true) {
            o.push("--setopt=strict=False".into());
        }
        match (self.nobest, self.best) {
            (Some(nobest), _) => o.push(format!("--setopt=best={}", if nobest { "False" } else { "True" })),
            (None, Some(best)) => o.push(format!("--setopt=best={}", if best { "True" } else { "False" })),
            _ => {}
        }
        if self.allowerasing == Some(true) {
            o.push("--allowerasing".into());
        }
        if self.download_only == Some(true) {
            o.push("--downloadonly".into());
            if let Some(d) = &self.download_dir {
                o.push(format!("--downloaddir={}", quote(d)));
            }
        }
        o.retain(|s| !s.is_empty());
        o.join(" ")
    }
}

#[async_trait]
impl TypedModule for Dnf {
    type Params = Params;

    const SPEC: Spec = Spec {
        aliases: &["yum"],
        ..Spec::host("dnf")
    };

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        // Accepted as Ansible's dnf accepts them: lock_timeout and install_repoquery are yum's
        // (dnf ignores them), validate_certs only concerns .rpm URLs (refused below).
        let _ = (p.lock_timeout, p.install_repoquery, p.validate_certs);
        validate(&p)?;
        let specs = p.specs();
        if p.update_cache == Some(true) && specs.is_empty() {
            let out = ctx.run(dnf_query::script(&[], &p.common_opts(), true)).await?;
            let answer = dnf_query::parse(&String::from_utf8_lossy(&out.stdout));
            check_answer(ctx, &answer)?;
            return Ok(result(Outcome::changed(false), "Cache updated", &[]));
        }
        let state = match p.state.as_deref() {
            None if p.autoremove == Some(true) => "absent",
            None => "present",
            Some(s) => s,
        };
        if p.autoremove == Some(true) && !matches!(state, "absent" | "removed") {
            return Err(
                ModuleError::failed("Autoremove should be used alone or with state=absent")
                    .with("results", Value::from(Vec::<Value>::new())),
            );
        }
        let goal = match state {
            "absent" | "removed" => Goal::Absent,
            "latest" => Goal::Latest,
            _ => Goal::Present,
        };
        if specs.is_empty() {
            return autoremove(&p, ctx).await;
        }
        let specs: Vec<DnfSpec> = specs.iter().map(|s| DnfSpec::parse(s)).collect();
        // `update_cache` refreshes the metadata even when everything is installed, as Ansible's.
        let ask_repos = goal == Goal::Latest || p.update_cache == Some(true);
        let script = dnf_query::script(&specs, &p.common_opts(), ask_repos);
        let out = ctx.run(script).await?;
        let answer = dnf_query::parse(&String::from_utf8_lossy(&out.stdout));
        check_answer(ctx, &answer)?;
        let opts = Opts {
            allow_downgrade: p.allow_downgrade.unwrap_or(false),
            update_only: p.update_only.unwrap_or(false),
        };
        let plan = dnf_plan::decide(&specs, goal, &answer.installed, &answer.available, opts);
        if !plan.failures.is_empty() {
            return Err(
                ModuleError::failed("Failed to install some of the specified packages")
                    .with("failures", Value::from(plan.failures.clone()))
                    .with("results", Value::from(Vec::<Value>::new()))
                    .with("rc", 1),
            );
        }
        if plan.is_empty() {
            return Ok(result(Outcome::changed(false), "Nothing to do", &plan.notes));
        }
        let download = p.download_only == Some(true);
        if ctx.check || download {
            let mut lines = plan.notes.clone();
            lines.extend(transaction_lines(&plan.installs, &plan.removes, download));
            if ctx.check {
                return Ok(result(
                    Outcome::changed(true),
                    "Check mode: No changes made, but would have if not in check mode",
                    &lines,
                ));
            }
            act(&p, ctx, &plan).await?;
            return Ok(result(Outcome::changed(true), "", &lines));
        }
        let (before, after) = act(&p, ctx, &plan).await?;
        let mut installed: Vec<Pkg> = after.iter().filter(|a| !before.contains(a)).cloned().collect();
        let mut removed: Vec<Pkg> = before.iter().filter(|b| !after.contains(b)).cloned().collect();
        installed.sort_by_key(Pkg::nevra);
        removed.sort_by_key(Pkg::nevra);
        let mut lines = plan.notes.clone();
        lines.extend(transaction_lines(&installed, &removed, false));
        Ok(result(Outcome::changed(true), "", &lines))
    }
}

/// Parameters that playhook cannot honour, or that Ansible refuses.
fn validate(p: &Params) -> Result<(), ModuleError> {
    if let Some(s) = p.state.as_deref().filter(|s| !STATES.contains(s)) {
        return Err(ModuleError::Params(format!(
            "dnf: value of state must be one of: {}, got: {s}",
            STATES.join(", ")
        )));
    }
    if let Some(b) = p.use_backend.as_deref().filter(|b| !BACKENDS.contains(b)) {
        return Err(ModuleError::Params(format!(
            "dnf: use_backend {b} is not supported by playhook, which drives dnf 4 (use auto, dnf or dnf4)"
        )));
    }
    if p.name.is_some() && p.list.is_some() {
        return Err(ModuleError::Params(
            "dnf: parameters are mutually exclusive: name|list".into(),
        ));
    }
    if p.best.is_some() && p.nobest.is_some() {
        return Err(ModuleError::Params(
            "dnf: parameters are mutually exclusive: best|nobest".into(),
        ));
    }
    if p.list.is_some() {
        return Err(ModuleError::Params(
            "dnf: list is not supported by playhook; query with `rpm -q` or `dnf repoquery` in a command task".into(),
        ));
    }
    if p.security == Some(true) || p.bugfix == Some(true) {
        return Err(ModuleError::Params(
            "dnf: security and bugfix are not supported by playhook; run `dnf upgrade --security` in a command task".into(),
        ));
    }
    if p.name.is_none() && p.update_cache.is_none() && p.autoremove != Some(true) {
        return Err(ModuleError::Params(
            "dnf: one of the following is required: name, list, update_cache".into(),
        ));
    }
    let specs = p.specs();
    if let Some(s) = specs
        .iter()
        .find(|s| s.contains(' ') && !s.contains(['@', '>', '<', '=']))
    {
        return Err(ModuleError::Params(format!(
            "dnf: It appears that a space separated string of packages was passed in as an argument ({s}). \
             To operate on several packages, pass a comma separated string of packages or a list of packages."
        )));
    }
    if let Some(s) = specs.iter().find(|s| {
        s.starts_with('@')
            || s.starts_with('/')
            || s.contains("://")
            || s.ends_with(".rpm")
            || s.contains('/')
    }) {
        return Err(ModuleError::Params(format!(
            "dnf: {s}: groups, modules, file paths and .rpm files are not supported by playhook; name packages"
        )));
    }
    if specs.iter().any(|s| s == "*") {
        return Err(ModuleError::Params(
            "dnf: name '*' (upgrade everything) is not supported by playhook; run `dnf -y upgrade` in a command task".into(),
        ));
    }
    Ok(())
}

/// A failed query: a missing program, or repositories dnf could not read.
fn check_answer(ctx: &ModuleCtx<'_>, answer: &dnf_query::Answer) -> Result<(), ModuleError> {
    if let Some(program) = &answer.missing {
        return Err(ModuleError::failed(format!(
            "{program} is not installed on {}: the dnf module needs rpm and dnf (a RedHat-family host, or install them)",
            ctx.host
        )));
    }
    if let Some(err) = &answer.repo_failed {
        return Err(
            ModuleError::failed(format!("Failed to synchronize repodata: {err}"))
                .with("results", Value::from(Vec::<Value>::new()))
                .with("rc", 1),
        );
    }
    Ok(())
}

/// "Installed: n-v-r.a" (or "Downloaded: ...") then "Removed: ..." lines.
fn transaction_lines(installs: &[Pkg], removes: &[Pkg], download: bool) -> Vec<String> {
    let verb = if download { "Downloaded" } else { "Installed" };
    let sorted = |pkgs: &[Pkg]| {
        let mut names: Vec<String> = pkgs.iter().map(Pkg::nevra).collect();
        names.sort();
        names.dedup();
        names
    };
    let mut lines: Vec<String> = sorted(installs).iter().map(|n| format!("{verb}: {n}")).collect();
    if !download {
        lines.extend(sorted(removes).iter().map(|n| format!("Removed: {n}")));
    }
    lines
}

/// The registered result: `msg`, `results`, `rc`.
fn result(o: Outcome, msg: &str, lines: &[String]) -> Outcome {
    let mut o = o.with("results", Value::from(lines.to_vec())).with("rc", 0);
    o.msg = Some(msg.to_string());
    o
}

/// One round trip: `rpm -qa`, the transaction, `rpm -qa`. Returns the two package lists.
async fn act(
    p: &Params,
    ctx: &mut ModuleCtx<'_>,
    plan: &DnfPlan,
) -> Result<(Vec<Pkg>, Vec<Pkg>), ModuleError> {
    let opts = p.act_opts();
    let mut cmds = Vec::new();
    if !plan.remove.is_empty() {
        let w: Vec<String> = plan.remove.iter().map(|s| quote(s)).collect();
        cmds.push(format!("dnf -y -q {opts} remove -- {}", w.join(" ")));
    }
    if !plan.install.is_empty() {
        let w: Vec<String> = plan.install.iter().map(|s| quote(s)).collect();
        cmds.push(format!("dnf -y -q {opts} install -- {}", w.join(" ")));
    }
    transaction(ctx, &cmds.join(" && ")).await
}

async fn transaction(ctx: &mut ModuleCtx<'_>, cmd: &str) -> Result<(Vec<Pkg>, Vec<Pkg>), ModuleError> {
    let script = format!(
        "export LC_ALL=C.UTF-8 LANG=C.UTF-8\necho __PH_BEFORE\n{all}\n{cmd} >&2\nrc=$?\necho __PH_AFTER\n{all}\nexit $rc\n",
        all = dnf_query::RPM_ALL
    );
    let out = ctx.run(script).await?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (before, after) = text.split_once("__PH_AFTER\n").unwrap_or((&text, ""));
    if out.rc != 0 {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(ModuleError::failed(format!("dnf failed on {}: {err}", ctx.host))
            .with("failures", Value::from(vec![err.clone()]))
            .with("results", Value::from(Vec::<Value>::new()))
            .with("rc", 1));
    }
    Ok((dnf_query::parse_all(before), dnf_query::parse_all(after)))
}

/// `autoremove: true` without packages: `dnf autoremove` (in check mode `--assumeno`, reading
/// whether it would remove anything).
async fn autoremove(p: &Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
    let opts = p.act_opts();
    if ctx.check {
        let out = ctx
            .run(format!(
                "LC_ALL=C.UTF-8 dnf --assumeno {opts} autoremove 2>&1; true"
            ))
            .await?;
        let text = String::from_utf8_lossy(&out.stdout);
        let changed = text.contains("Removing");
        let msg = if changed {
            "Check mode: No changes made, but would have if not in check mode"
        } else {
            "Nothing to do"
        };
        return Ok(result(Outcome::changed(changed), msg, &[]));
    }
    let (before, after) = transaction(ctx, &format!("dnf -y -q {opts} autoremove")).await?;
    let removed: Vec<Pkg> = before.iter().filter(|b| !after.contains(b)).cloned().collect();
    if removed.is_empty() {
        return Ok(result(Outcome::changed(false), "Nothing to do", &[]));
    }
    Ok(result(
        Outcome::changed(true),
        "",
        &transaction_lines(&[], &removed, false),
    ))
}
