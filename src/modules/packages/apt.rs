//! `apt`: Debian packages with `apt-get` and `dpkg-query` (no python-apt on the target), with
//! ansible-core 2.19's parameters, results (`cache_updated`, `cache_update_time`, `stdout`,
//! `stderr`, their `_lines`), `changed` and `--diff` (the package lists apt-get prepared).
//!
//! A task with nothing to do costs one round trip: the cache refresh (when asked and due),
//! `dpkg-query -W` and `apt-cache policy` of every named package run in one script
//! ([`apt_query`](super::apt_query)); [`want::converge`](super::want::converge) decides, and one
//! more round trip installs or removes. Each apt-get run waits for the dpkg lock up to
//! `lock_timeout` (`DPkg::Lock::Timeout`, as Ansible passes it) and a lock still held fails
//! naming its holder. `auto_install_module_deps` is accepted and does nothing: playhook needs no
//! python-apt. Name patterns (`nginx*`) expand against `apt-cache pkgnames` (one more round
//! trip). With `aptitude` installed Ansible upgrades through it; playhook refuses `upgrade`
//! there unless `force_apt_get: true`.

use async_trait::async_trait;
use minijinja::Value;
use serde::Deserialize;

use super::apt_deb;
use super::apt_get::{self, APT_GET_ZERO, DPKG_OPTIONS};
use super::apt_query::{self, Answer, CacheUpdate};
use super::version;
use super::want::{self, Acted, DecideOpts, Goal, Known, PackageManager, Plan, Want};
use crate::connection::quote::quote;
use crate::modules::commands::words::{lines_value, python_splitlines};
use crate::modules::params::{opt_bool, opt_int, opt_list, opt_string};
use crate::modules::{Diff, ModuleCtx, ModuleError, Outcome, Spec, TypedModule};

pub struct Apt;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default, alias = "pkg", alias = "package", deserialize_with = "opt_list")]
    pub(super) name: Option<Vec<String>>,
    #[serde(default, deserialize_with = "opt_string")]
    state: Option<String>,
    #[serde(default, alias = "update-cache", deserialize_with = "opt_bool")]
    update_cache: Option<bool>,
    #[serde(default, deserialize_with = "opt_int")]
    update_cache_retries: Option<i64>,
    #[serde(default, deserialize_with = "opt_int")]
    update_cache_retry_max_delay: Option<i64>,
    #[serde(default, deserialize_with = "opt_int")]
    cache_valid_time: Option<i64>,
    #[serde(default, deserialize_with = "opt_bool")]
    purge: Option<bool>,
    #[serde(default, deserialize_with = "opt_string")]
    pub(super) deb: Option<String>,
    #[serde(default, alias = "default-release", deserialize_with = "opt_string")]
    default_release: Option<String>,
    #[serde(default, alias = "install-recommends", deserialize_with = "opt_bool")]
    pub(super) install_recommends: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub(super) force: Option<bool>,
    #[serde(default, deserialize_with = "opt_string")]
    upgrade: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub(super) dpkg_options: Option<String>,
    #[serde(default, deserialize_with = "opt_bool")]
    autoremove: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    autoclean: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub(super) fail_on_autoremove: Option<bool>,
    #[serde(default, deserialize_with = "opt_int")]
    pub(super) policy_rc_d: Option<i64>,
    #[serde(default, deserialize_with = "opt_bool")]
    only_upgrade: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    force_apt_get: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    clean: Option<bool>,
    #[serde(default, alias = "allow-unauthenticated", deserialize_with = "opt_bool")]
    pub(super) allow_unauthenticated: Option<bool>,
    #[serde(
        default,
        alias = "allow-downgrade",
        alias = "allow_downgrades",
        alias = "allow-downgrades",
        deserialize_with = "opt_bool"
    )]
    pub(super) allow_downgrade: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub(super) allow_change_held_packages: Option<bool>,
    #[serde(default, deserialize_with = "opt_int")]
    pub(super) lock_timeout: Option<i64>,
    #[serde(default, deserialize_with = "opt_bool")]
    auto_install_module_deps: Option<bool>,
}

impl Params {
    pub(super) fn lock_timeout(&self) -> i64 {
        self.lock_timeout.unwrap_or(60)
    }

    /// Ansible's `-o Dpkg::Options::=...` options and the lock timeout.
    pub(super) fn dpkg_opts(&self) -> String {
        apt_get::dpkg_options(
            self.dpkg_options.as_deref().unwrap_or(DPKG_OPTIONS),
            self.lock_timeout(),
        )
    }

    fn flag(&self, on: Option<bool>, flag: &str) -> String {
        if on.unwrap_or(false) {
            format!(" {flag}")
        } else {
            String::new()
        }
    }
}

const STATES: &[&str] = &["absent", "build-dep", "fixed", "latest", "present"];
const UPGRADES: &[&str] = &["dist", "full", "no", "safe", "yes"];

#[async_trait]
impl TypedModule for Apt {
    type Params = Params;

    const SPEC: Spec = Spec::host("apt");

    async fn run(&self, p: Params, ctx: &mut ModuleCtx<'_>) -> Result<Outcome, ModuleError> {
        // Nothing to install: playhook needs no python-apt on the host.
        let _ = p.auto_install_module_deps;
        let state = p.state.as_deref().unwrap_or("present");
        if !STATES.contains(&state) {
            return Err(ModuleError::Params(format!(
                "apt: state must be one of {}, got: {state}",
                STATES.join(", ")
            )));
        }
        let upgrade = p.upgrade.as_deref().unwrap_or("no");
        if !UPGRADES.contains(&upgrade) {
            return Err(ModuleError::Params(format!(
                "apt: upgrade must be one of {}, got: {upgrade}",
                UPGRADES.join(", ")
            )));
        }
        let upgrade = (upgrade != "no").then_some(upgrade);
        let given = [p.deb.is_some(), p.name.is_some(), upgrade.is_some()];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(ModuleError::Params(
                "apt: parameters are mutually exclusive: deb|package|upgrade".into(),
            ));
        }
        if !given.iter().any(|g| *g)
            && p.update_cache.is_none()
            && p.autoremove.is_none()
            && p.autoclean.is_none()
            && p.clean != Some(true)
        {
            return Err(ModuleError::Params(
                "apt: one of the following is required: autoremove, deb, package, update_cache, upgrade"
                    .into(),
            ));
        }
        let specs: Vec<String> = p.name.clone().unwrap_or_default();
        let all_installed = specs.iter().any(|s| s == "*");
        let specs: Vec<String> = specs
            .into_iter()
            .filter(|s| s != "*")
            .map(|s| s.trim().to_string())
            .collect();
        let mut wants = Want::parse_all(&specs, true).map_err(ModuleError::failed)?;
        let globbed = wants.iter().any(|w| version::is_glob(&w.name));

        if p.clean == Some(true) {
            let cleaned = run_apt(ctx, "apt-get clean", None, "").await?;
            if !cleaned.stderr.is_empty() || cleaned.rc != 0 {
                return Err(
                    ModuleError::failed(format!("apt-get clean failed: {}", cleaned.stderr.trim()))
                        .with("stdout", cleaned.stdout.as_str())
                        .with("rc", cleaned.rc),
                );
            }
            if specs.is_empty() && !all_installed && upgrade.is_none() && p.deb.is_none() {
                let text = cleaned.stdout.clone();
                return Ok(with_output(Outcome::changed(true), &cleaned, ctx.diff).with("msg", text));
            }
        }

        let refresh = p.update_cache == Some(true) || p.cache_valid_time.unwrap_or(0) > 0;
        let mut manager = AptManager {
            p: &p,
            update: refresh.then(|| CacheUpdate {
                valid_time: p.cache_valid_time.unwrap_or(0),
                retries: p.update_cache_retries.unwrap_or(5),
                max_delay: p.update_cache_retry_max_delay.unwrap_or(12),
                check: ctx.check,
                lock_timeout: p.lock_timeout(),
            }),
            answer: Answer::default(),
            extra: String::new(),
            pkgnames: false,
            first: None,
        };
        let mut specs = specs;
        if globbed {
            // Patterns first (after the refresh), then the query of the names they matched.
            manager.pkgnames = true;
            manager.ask(ctx, &[]).await?;
            let first = std::mem::take(&mut manager.answer);
            specs = apt_query::expand(&specs, &first.pkgnames).map_err(ModuleError::failed)?;
            wants = Want::parse_all(&specs, true).map_err(ModuleError::failed)?;
            manager.pkgnames = false;
            manager.update = None;
            manager.first = Some(first);
        }
        let names: Vec<String> = if matches!(state, "present" | "latest" | "fixed" | "absent") {
            wants.iter().map(|w| w.name.clone()).collect()
        } else {
            Vec::new()
        };
        // The query (and the refresh) runs once; converge below reuses its answer.
        let known = manager.ask(ctx, &names).await?;
        if let Some(first) = manager.first.take() {
            manager.answer.update_wanted = first.update_wanted;
            manager.answer.stamp_before = first.stamp_before;
        }
        let cache_updated = manager.answer.update_wanted
            && (ctx.check || manager.answer.stamp_before != manager.answer.stamp_after);
        let cache_time = manager.answer.stamp_after;
        let cache = |o: Outcome| {
            o.with("cache_updated", cache_updated)
                .with("cache_update_time", cache_time)
        };
        if refresh && specs.is_empty() && !all_installed && upgrade.is_none() && p.deb.is_none() {
            return Ok(cache(Outcome::changed(cache_updated)));
        }
        let force_apt_get = p.force_apt_get.unwrap_or(false);
        if let Some(mode) = upgrade {
            return self
                .upgrade(&p, ctx, mode, manager.answer.aptitude && !force_apt_get)
                .await;
        }
        if let Some(deb) = &p.deb {
            if state != "present" {
                return Err(ModuleError::failed("deb only supports state=present"));
            }
            return apt_deb::install(&p, ctx, deb).await;
        }
        if state == "latest" && all_installed {
            if !specs.is_empty() {
                return Err(ModuleError::failed(
                    "unable to install additional packages when upgrading all installed packages",
                ));
            }
            return self
                .upgrade(&p, ctx, "yes", manager.answer.aptitude && !force_apt_get)
                .await;
        }
        if specs.is_empty() {
            for (on, op, mark) in [
                (p.autoclean, "autoclean", "Del "),
                (
                    p.autoremove,
                    "autoremove",
                    "The following packages will be REMOVED",
                ),
            ] {
                if on == Some(true) {
                    return cleanup(&p, ctx, op, mark).await;
                }
            }
        }
        match state {
            "build-dep" => build_dep(&p, ctx, &specs).await.map(cache),
            "absent" => {
                let opts = decide_opts(&p);
                manager.extra = String::new();
                let done = converge(&mut manager, ctx, &wants, Goal::Absent, opts, known).await?;
                if !done.changed() {
                    return Ok(Outcome::changed(false));
                }
                finish(ctx, &mut manager, done, Goal::Absent).await
            }
            _ => {
                let goal = if state == "latest" {
                    Goal::Latest
                } else {
                    Goal::Present
                };
                if state == "fixed" {
                    manager.extra = " --fix-broken".into();
                }
                let opts = decide_opts(&p);
                let done = converge(&mut manager, ctx, &wants, goal, opts, known).await?;
                // apt-mark manual for names installed as dependencies, as Ansible marks them.
                if !ctx.check && !done.changed() {
                    let auto: Vec<String> = done
                        .plan
                        .names
                        .iter()
                        .filter(|n| manager.answer.auto.contains(n))
                        .cloned()
                        .collect();
                    if !auto.is_empty() {
                        let out = run_apt(ctx, "true", None, &apt_get::mark_manual(&auto)).await?;
                        let (failed, _) = apt_get::take_mark_failure(&out.stderr);
                        if let Some(m) = failed {
                            return Err(ModuleError::failed(format!("'apt-mark manual' failed: {m}")));
                        }
                    }
                }
                if !done.changed() {
                    return Ok(cache(Outcome::changed(false)));
                }
                finish(ctx, &mut manager, done, goal).await.map(cache)
            }
        }
    }
}

impl Apt {
    /// `upgrade: yes/safe/full/dist` (and `name: '*'` with `state: latest`).
    async fn upgrade(
        &self,
        p: &Params,
        ctx: &mut ModuleCtx<'_>,
        mode: &str,
        aptitude: bool,
    ) -> Result<Outcome, ModuleError> {
        if aptitude && mode != "dist" {
            return Err(ModuleError::failed(format!(
                "aptitude is installed on {}: Ansible would upgrade with aptitude, which playhook does not drive; \
                 set force_apt_get: true to upgrade with apt-get",
                ctx.host
            )));
        }
        let command = if matches!(mode, "dist" | "full") {
            format!("dist-upgrade{}", p.flag(p.autoremove, "--auto-remove"))
        } else {
            format!("upgrade --with-new-pkgs{}", p.flag(p.autoremove, "--auto-remove"))
        };
        let mut cmd = format!(
            "apt-get -y {}{}{}{}{}{} {command}",
            p.dpkg_opts(),
            p.flag(p.force, "--force-yes"),
            p.flag(p.fail_on_autoremove, "--no-remove"),
            p.flag(p.allow_unauthenticated, "--allow-unauthenticated"),
            p.flag(p.allow_downgrade, "--allow-downgrades"),
            if ctx.check { " --simulate" } else { "" },
        );
        if let Some(r) = &p.default_release {
            cmd.push_str(&format!(" -t {}", quote(r)));
        }
        let out = run_apt(ctx, &cmd, p.policy_rc_d, "").await?;
        if out.rc != 0 {
            return Err(apt_failure(
                ctx,
                p,
                &format!("'apt-get {command}' failed: {}", out.stderr),
                &out,
            )
            .await);
        }
        let changed = !out.stdout.contains(APT_GET_ZERO);
        let outcome = Outcome::changed(changed).with("msg", out.stdout.as_str());
        if !changed {
            return Ok(with_output(outcome, &out, false).without_diff());
        }
        Ok(with_output(outcome, &out, ctx.diff))
    }
}

/// `autoremove`/`autoclean` without packages.
async fn cleanup(p: &Params, ctx: &mut ModuleCtx<'_>, op: &str, mark: &str) -> Result<Outcome, ModuleError> {
    let cmd = format!(
        "apt-get -y {}{}{} {op}{}",
        p.dpkg_opts(),
        p.flag(p.purge, "--purge"),
        p.flag(p.force, "--force-yes"),
        if ctx.check { " --simulate" } else { "" },
    );
    let out = run_apt(ctx, &cmd, p.policy_rc_d, "").await?;
    if out.rc != 0 {
        return Err(apt_failure(ctx, p, &format!("'apt-get {op}' failed: {}", out.stderr), &out).await);
    }
    Ok(with_output(
        Outcome::changed(out.stdout.contains(mark)),
        &out,
        ctx.diff,
    ))
}

/// `state: build-dep`: `apt-get build-dep`, changed unless apt-get had nothing to do.
async fn build_dep(p: &Params, ctx: &mut ModuleCtx<'_>, specs: &[String]) -> Result<Outcome, ModuleError> {
    if specs.is_empty() {
        return Ok(Outcome::changed(false));
    }
    let words: Vec<String> = specs.iter().map(|s| quote(s)).collect();
    let cmd = format!(
        "apt-get -y {}{}{}{} build-dep {}",
        p.dpkg_opts(),
        p.flag(p.force, "--force-yes"),
        p.flag(p.fail_on_autoremove, "--no-remove"),
        if ctx.check { " --simulate" } else { "" },
        words.join(" ")
    );
    let out = run_apt(ctx, &cmd, p.policy_rc_d, "").await?;
    if out.rc != 0 {
        return Err(apt_failure(ctx, p, &format!("'{cmd}' failed: {}", out.stderr), &out).await);
    }
    Ok(with_output(
        Outcome::changed(!out.stdout.contains(APT_GET_ZERO)),
        &out,
        ctx.diff,
    ))
}

fn decide_opts(p: &Params) -> DecideOpts {
    DecideOpts {
        only_upgrade: p.only_upgrade.unwrap_or(false),
        purge: p.purge.unwrap_or(false),
        compare: version::compare,
    }
}

/// [`want::converge`] with the answer already in hand (the query ran with the cache refresh).
async fn converge(
    manager: &mut AptManager<'_>,
    ctx: &mut ModuleCtx<'_>,
    wants: &[Want],
    goal: Goal,
    opts: DecideOpts,
    known: std::collections::HashMap<String, Known>,
) -> Result<want::Converged, ModuleError> {
    manager.answer.known = known;
    want::converge(manager, ctx, wants, goal, opts).await
}

/// The result of a changing run: apt-get's output, or in check mode its simulation when the
/// result is read or diffed (Ansible always simulates; nothing else needs it).
async fn finish(
    ctx: &mut ModuleCtx<'_>,
    manager: &mut AptManager<'_>,
    done: want::Converged,
    goal: Goal,
) -> Result<Outcome, ModuleError> {
    let acted = match done.acted {
        Some(acted) => Some(acted),
        None if ctx.diff || ctx.result_seen => Some(manager.act(ctx, &done.plan, goal).await?),
        None => None,
    };
    let outcome = Outcome::changed(true);
    Ok(match acted {
        Some(a) => with_output(
            outcome,
            &Ran {
                rc: 0,
                stdout: a.stdout,
                stderr: a.stderr,
            },
            ctx.diff,
        ),
        None => outcome,
    })
}

/// What an apt command printed.
pub(super) struct Ran {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` as apt commands run (environment, policy-rc.d), then `after`.
pub(super) async fn run_apt(
    ctx: &mut ModuleCtx<'_>,
    command: &str,
    policy_rc_d: Option<i64>,
    after: &str,
) -> Result<Ran, ModuleError> {
    let out = ctx.run(apt_get::wrap(command, policy_rc_d, after)).await?;
    Ok(Ran {
        rc: out.rc,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// A failed apt command: a clear message for a held lock (naming its holder, asked of the host
/// when apt did not say), else `msg`; with its output.
pub(super) async fn apt_failure(ctx: &mut ModuleCtx<'_>, p: &Params, msg: &str, out: &Ran) -> ModuleError {
    let msg = match apt_get::held_lock(&out.stderr) {
        Some((path, holder)) => {
            let holder = match holder {
                Some(h) => Some(h),
                None => ctx
                    .run(apt_get::lock_holder_script(&path))
                    .await
                    .ok()
                    .map(|o| {
                        String::from_utf8_lossy(&o.stdout)
                            .lines()
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .filter(|h| !h.is_empty()),
            };
            apt_get::lock_message(&path, holder.as_deref(), ctx.host, p.lock_timeout())
        }
        None => msg.trim_end().to_string(),
    };
    ModuleError::failed(msg)
        .with("stdout", out.stdout.as_str())
        .with("stderr", out.stderr.as_str())
        .with("rc", out.rc)
        .with("stdout_lines", lines_value(python_splitlines(&out.stdout)))
        .with("stderr_lines", lines_value(python_splitlines(&out.stderr)))
}

/// `stdout`, `stderr`, their lines and the diff (`{}` unless diffing), as Ansible registers them.
pub(super) fn with_output(mut o: Outcome, out: &Ran, diff: bool) -> Outcome {
    o = o
        .with("stdout", out.stdout.as_str())
        .with("stderr", out.stderr.as_str())
        .with("stdout_lines", lines_value(python_splitlines(&out.stdout)))
        .with("stderr_lines", lines_value(python_splitlines(&out.stderr)));
    if diff {
        o.diff.push(Diff {
            prepared: Some(apt_get::prepared(&out.stdout)),
            ..Diff::default()
        });
        o
    } else {
        o.with(
            "diff",
            Value::from(std::collections::BTreeMap::<String, Value>::new()),
        )
    }
}

trait WithoutDiff {
    fn without_diff(self) -> Self;
}

impl WithoutDiff for Outcome {
    /// An unchanged upgrade registers no diff.
    fn without_diff(mut self) -> Self {
        self.data.shift_remove("diff");
        self.diff.clear();
        self
    }
}

/// apt as [`want::converge`] drives it.
struct AptManager<'p> {
    p: &'p Params,
    update: Option<CacheUpdate>,
    answer: Answer,
    /// Extra apt-get install flags of the state (`--fix-broken` for `fixed`).
    extra: String,
    /// Ask for every package name too (to expand patterns).
    pkgnames: bool,
    /// The answer of the patterns' round trip (its cache refresh counts).
    first: Option<Answer>,
}

impl AptManager<'_> {
    /// The one query round trip (with the cache refresh), plus one for virtual packages.
    async fn ask(
        &mut self,
        ctx: &mut ModuleCtx<'_>,
        names: &[String],
    ) -> Result<std::collections::HashMap<String, Known>, ModuleError> {
        let script = apt_query::script(
            names,
            self.update.as_ref(),
            self.p.default_release.as_deref(),
            self.pkgnames,
        );
        let out = ctx.run(script).await?;
        let text = String::from_utf8_lossy(&out.stdout);
        let answer = apt_query::parse(&text);
        if let Some(program) = &answer.missing {
            return Err(ModuleError::failed(format!(
                "{program} is not installed on {}: the apt module needs apt-get, apt-cache and dpkg-query (a Debian or Ubuntu host)",
                ctx.host
            )));
        }
        if let Some(err) = &answer.update_failed {
            let retries = self.update.as_ref().map_or(5, |u| u.retries);
            let msg = match apt_get::held_lock(err) {
                Some((path, holder)) => {
                    apt_get::lock_message(&path, holder.as_deref(), ctx.host, self.p.lock_timeout())
                }
                None => format!("Failed to update apt cache after {retries} retries: {err}"),
            };
            return Err(ModuleError::failed(msg));
        }
        if out.rc != 0 {
            return Err(ModuleError::failed(format!(
                "querying apt on {} failed: {}",
                ctx.host,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let mut known = answer.known.clone();
        if !answer.versionless.is_empty() {
            self.providers(ctx, &answer.versionless, &mut known).await?;
        }
        self.answer = answer;
        Ok(known)
    }

    /// Providers of virtual packages, and whether they are installed.
    async fn providers(
        &mut self,
        ctx: &mut ModuleCtx<'_>,
        names: &[String],
        known: &mut std::collections::HashMap<String, Known>,
    ) -> Result<(), ModuleError> {
        let words: Vec<String> = names.iter().map(|n| quote(n)).collect();
        let script = format!(
            "out=$(LC_ALL=C apt-cache showpkg -- {} 2>/dev/null); printf '%s\\n' \"$out\"; echo __PH_DPKG; \
             printf '%s\\n' \"$out\" | awk '/^Package:/{{p=0}} p{{print $1}} /^Reverse Provides:/{{p=1}}' | \
             xargs -r dpkg-query -W -f '${{Package}}\\t${{db:Status-Abbrev}}\\t${{Version}}\\n' 2>/dev/null; true",
            words.join(" ")
        );
        let out = ctx.run(script).await?;
        let text = String::from_utf8_lossy(&out.stdout);
        let (shown, installed) = text.split_once("__PH_DPKG\n").unwrap_or((&text, ""));
        for (name, providers) in apt_query::parse_providers(shown) {
            known.entry(name).or_default().provided_by = providers;
        }
        for line in installed.lines() {
            let f: Vec<&str> = line.splitn(3, '\t').collect();
            if let [name, status, version] = f.as_slice() {
                if status.as_bytes().get(1) == Some(&b'i') {
                    let k = known.entry((*name).to_string()).or_default();
                    k.installed = Some((*version).to_string());
                    k.exists = true;
                }
            }
        }
        Ok(())
    }

    fn install_command(&self, plan: &Plan, check: bool) -> String {
        let p = self.p;
        let words: Vec<String> = plan.install.iter().map(|s| quote(s)).collect();
        let mut cmd = format!(
            "apt-get -y {}{}{}{}{}{}{} install {}",
            p.dpkg_opts(),
            p.flag(p.only_upgrade, "--only-upgrade"),
            self.extra,
            p.flag(p.force, "--force-yes"),
            p.flag(p.autoremove, "--auto-remove"),
            p.flag(p.fail_on_autoremove, "--no-remove"),
            if check { " --simulate" } else { "" },
            words.join(" ")
        );
        if let Some(r) = &p.default_release {
            cmd.push_str(&format!(" -t {}", quote(r)));
        }
        match p.install_recommends {
            Some(false) => cmd.push_str(" -o APT::Install-Recommends=no"),
            Some(true) => cmd.push_str(" -o APT::Install-Recommends=yes"),
            None => {}
        }
        cmd.push_str(&p.flag(p.allow_unauthenticated, "--allow-unauthenticated"));
        cmd.push_str(&p.flag(p.allow_downgrade, "--allow-downgrades"));
        cmd.push_str(&p.flag(p.allow_change_held_packages, "--allow-change-held-packages"));
        cmd
    }

    fn remove_command(&self, plan: &Plan, check: bool) -> String {
        let p = self.p;
        let words: Vec<String> = plan.remove.iter().map(|s| quote(s)).collect();
        format!(
            "apt-get -q -y {}{}{}{}{}{} remove {}",
            p.dpkg_opts(),
            p.flag(p.purge, "--purge"),
            p.flag(p.force, "--force-yes"),
            p.flag(p.autoremove, "--auto-remove"),
            if check { " --simulate" } else { "" },
            p.flag(p.allow_change_held_packages, "--allow-change-held-packages"),
            words.join(" ")
        )
    }
}

#[async_trait]
impl PackageManager for AptManager<'_> {
    /// The answer of [`AptManager::ask`], which ran before (with the cache refresh).
    async fn query(
        &mut self,
        _ctx: &mut ModuleCtx<'_>,
        _names: &[String],
    ) -> Result<std::collections::HashMap<String, Known>, ModuleError> {
        Ok(self.answer.known.clone())
    }

    async fn act(&mut self, ctx: &mut ModuleCtx<'_>, plan: &Plan, goal: Goal) -> Result<Acted, ModuleError> {
        let check = ctx.check;
        let (cmd, after) = match goal {
            Goal::Absent => (self.remove_command(plan, check), String::new()),
            _ => {
                let after = if check {
                    String::new()
                } else {
                    apt_get::mark_manual(&plan.names)
                };
                (self.install_command(plan, check), after)
            }
        };
        let out = run_apt(ctx, &cmd, self.p.policy_rc_d, &after).await?;
        let (mark_failed, stderr) = apt_get::take_mark_failure(&out.stderr);
        let out = Ran { stderr, ..out };
        if out.rc != 0 {
            let msg = match (goal, mark_failed) {
                (_, Some(m)) if !out.stdout.is_empty() && out.stderr.is_empty() => {
                    format!("'apt-mark manual' failed: {m}")
                }
                (Goal::Absent, _) => format!(
                    "'apt-get remove {}' failed: {}",
                    plan.remove.join(" "),
                    out.stderr
                ),
                _ => format!("'{cmd}' failed: {}", out.stderr),
            };
            return Err(apt_failure(ctx, self.p, &msg, &out).await);
        }
        Ok(Acted {
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}
