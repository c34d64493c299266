//! `apt: deb=`: local `.deb` files (or URLs, fetched on the host with curl or wget), as
//! Ansible installs them: skip a file whose version is installed, install its missing
//! dependencies with apt-get (marked manual), then `dpkg -i` with the task's dpkg options.

use std::cmp::Ordering;
use std::collections::HashMap;

use minijinja::Value;

use super::apt::{Params, Ran, apt_failure, run_apt, with_output};
use super::version::compare;
use crate::connection::quote::quote;
use crate::modules::{ModuleCtx, ModuleError, Outcome};

/// An installed package: its version and what it provides.
struct Installed {
    version: String,
    provides: Vec<String>,
}

/// Installs the comma-separated `debs`.
pub async fn install(p: &Params, ctx: &mut ModuleCtx<'_>, debs: &str) -> Result<Outcome, ModuleError> {
    let files: Vec<String> = debs.split(',').map(|f| f.trim().to_string()).collect();
    let out = ctx.run(inspect_script(&files)).await?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if let Some(e) = text.lines().find_map(|l| l.strip_prefix("__PH_ERROR ")) {
        return Err(ModuleError::failed(format!("{e} on {}", ctx.host)));
    }
    let (fields, installed) = parse_inspection(&text);
    let mut to_install: Vec<String> = Vec::new();
    let mut deps: Vec<String> = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let get = |k: &str| f.get(k).cloned().unwrap_or_default();
        let (name, version) = (get("Package"), get("Version"));
        if installed
            .get(&name)
            .is_some_and(|inst| compare(&inst.version, &version) == Ordering::Equal)
        {
            continue;
        }
        for field in ["Pre-Depends", "Depends"] {
            for missing in unsatisfied(&get(field), &installed) {
                if !deps.contains(&missing) {
                    deps.push(missing);
                }
            }
        }
        if p.install_recommends == Some(true) {
            deps.extend(get("Recommends").split_whitespace().map(str::to_string));
        }
        to_install.push(local_path(&files[i], &text, i));
    }
    let mut stdout = String::new();
    let mut stderr = String::new();
    let mut changed = false;
    if !deps.is_empty() {
        let words: Vec<String> = deps.iter().map(|d| quote(d)).collect();
        let mut cmd = format!(
            "apt-get -y {}{}{} install {}",
            p.dpkg_opts(),
            if p.fail_on_autoremove == Some(true) {
                " --no-remove"
            } else {
                ""
            },
            if ctx.check { " --simulate" } else { "" },
            words.join(" ")
        );
        if p.allow_unauthenticated == Some(true) {
            cmd.push_str(" --allow-unauthenticated");
        }
        let mark = if ctx.check {
            String::new()
        } else {
            super::apt_get::mark_manual(&deps)
        };
        let ran = run_apt(ctx, &cmd, p.policy_rc_d, &mark).await?;
        if ran.rc != 0 {
            return Err(apt_failure(ctx, p, &format!("'{cmd}' failed: {}", ran.stderr), &ran).await);
        }
        stdout.push_str(&ran.stdout);
        stderr.push_str(&ran.stderr);
        changed = true;
    }
    let deps_ran = !deps.is_empty();
    if to_install.is_empty() {
        let out = Ran {
            rc: 0,
            stdout,
            stderr,
        };
        let outcome = with_output(Outcome::changed(changed), &out, false);
        // Ansible registers the dependencies' diff, or '' when nothing ran.
        return Ok(match (deps_ran, ctx.diff) {
            (true, true) => prepared_diff(outcome, super::apt_get::prepared(&out.stdout), true),
            (true, false) => outcome,
            (false, _) => outcome.with("diff", ""),
        });
    }
    let mut options: Vec<String> = p
        .dpkg_options
        .as_deref()
        .unwrap_or(super::apt_get::DPKG_OPTIONS)
        .split(',')
        .map(|o| format!("--{}", o.trim()))
        .collect();
    if ctx.check {
        options.push("--simulate".into());
    }
    if p.force == Some(true) {
        options.push("--force-all".into());
    }
    let words: Vec<String> = to_install.iter().map(|f| quote(f)).collect();
    let cmd = format!("dpkg {} -i {}", options.join(" "), words.join(" "));
    let ran = run_apt(ctx, &cmd, p.policy_rc_d, "").await?;
    let deps_prepared = super::apt_get::prepared(&stdout);
    let all = Ran {
        rc: ran.rc,
        stdout: format!("{stdout}{}", ran.stdout),
        stderr: format!("{stderr}{}", ran.stderr),
    };
    if ran.rc != 0 {
        return Err(apt_failure(ctx, p, &format!("{cmd} failed"), &all).await);
    }
    let outcome = with_output(Outcome::changed(true), &all, false);
    // As Ansible: after dependencies, their diff (in --diff mode with dpkg's output appended);
    // without dependencies, dpkg's output, registered even without --diff.
    Ok(match (deps_ran, ctx.diff) {
        (true, true) => prepared_diff(outcome, format!("{deps_prepared}\n\n{}", ran.stdout), true),
        (true, false) => outcome,
        (false, diff) => prepared_diff(outcome, super::apt_get::prepared(&ran.stdout), diff),
    })
}

/// Sets the result's diff to `{prepared: text}`: shown with `--diff`, registered either way.
fn prepared_diff(mut outcome: Outcome, text: String, shown: bool) -> Outcome {
    outcome.data.shift_remove("diff");
    if shown {
        outcome.diff.push(crate::modules::Diff {
            prepared: Some(text),
            ..crate::modules::Diff::default()
        });
        outcome
    } else {
        outcome.with(
            "diff",
            crate::modules::params::map_value([("prepared", Value::from(text))]),
        )
    }
}

/// One script: fetch URLs, then every file's control fields, then what is installed.
fn inspect_script(files: &[String]) -> String {
    let mut s = String::from(
        "export LC_ALL=C\ncommand -v dpkg-deb >/dev/null 2>&1 || { echo '__PH_ERROR dpkg-deb is not installed'; exit 0; }\n",
    );
    for (i, f) in files.iter().enumerate() {
        let q = quote(f);
        if f.contains("://") {
            let name = f.rsplit('/').next().unwrap_or("package.deb");
            s.push_str(&format!(
                "d=$(mktemp -d) || exit 1; t=\"$d\"/{n}\n\
                 if command -v curl >/dev/null 2>&1; then curl -fsSL -o \"$t\" {q} || {{ echo '__PH_ERROR cannot download '{q}; exit 0; }}\n\
                 elif command -v wget >/dev/null 2>&1; then wget -q -O \"$t\" {q} || {{ echo '__PH_ERROR cannot download '{q}; exit 0; }}\n\
                 else echo '__PH_ERROR neither curl nor wget is installed to download '{q}; exit 0; fi\n\
                 echo \"__PH_LOCAL {i} $t\"\n",
                n = quote(name)
            ));
            s.push_str("f=\"$t\"\n");
        } else {
            s.push_str(&format!(
                "f={q}\n[ -r \"$f\" ] || {{ echo '__PH_ERROR '{q}' does not exist'; exit 0; }}\n"
            ));
        }
        s.push_str(&format!(
            "echo '__PH_DEB {i}'\ndpkg-deb -f \"$f\" Package Version Architecture Pre-Depends Depends Recommends \
             || {{ echo '__PH_ERROR '{q}' is not a readable .deb'; exit 0; }}\n"
        ));
    }
    s.push_str("echo __PH_INSTALLED\ndpkg-query -W -f '${Package}\\t${db:Status-Abbrev}\\t${Version}\\t${Provides}\\n' 2>/dev/null\ntrue\n");
    s
}

/// Each file's control fields, and the installed packages.
fn parse_inspection(text: &str) -> (Vec<HashMap<String, String>>, HashMap<String, Installed>) {
    let mut debs: Vec<HashMap<String, String>> = Vec::new();
    let mut installed = HashMap::new();
    let mut in_installed = false;
    let mut last_key = String::new();
    for line in text.lines() {
        if line.starts_with("__PH_DEB ") {
            debs.push(HashMap::new());
            in_installed = false;
        } else if line == "__PH_INSTALLED" {
            in_installed = true;
        } else if line.starts_with("__PH_") {
        } else if in_installed {
            let f: Vec<&str> = line.splitn(4, '\t').collect();
            if let [name, status, version, provides] = f.as_slice() {
                if status.as_bytes().get(1) == Some(&b'i') {
                    let provides = provides
                        .split(',')
                        .filter_map(|p| p.split_whitespace().next().map(str::to_string))
                        .collect();
                    installed.insert(
                        (*name).to_string(),
                        Installed {
                            version: (*version).to_string(),
                            provides,
                        },
                    );
                }
            }
        } else if let Some(d) = debs.last_mut() {
            if line.starts_with(' ') {
                if let Some(v) = d.get_mut(&last_key) {
                    v.push(' ');
                    v.push_str(line.trim());
                }
            } else if let Some((k, v)) = line.split_once(':') {
                last_key = k.to_string();
                d.insert(last_key.clone(), v.trim().to_string());
            }
        }
    }
    (debs, installed)
}

/// The path a fetched URL was saved at on the host, else the file as given.
fn local_path(file: &str, text: &str, i: usize) -> String {
    let prefix = format!("__PH_LOCAL {i} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map_or_else(|| file.to_string(), str::to_string)
}

/// The first alternative of each dependency group no installed package satisfies.
fn unsatisfied(depends: &str, installed: &HashMap<String, Installed>) -> Vec<String> {
    let mut missing = Vec::new();
    for group in depends.split(',').map(str::trim).filter(|g| !g.is_empty()) {
        let alternatives: Vec<&str> = group.split('|').map(str::trim).collect();
        if alternatives.iter().any(|a| satisfied(a, installed)) {
            continue;
        }
        if let Some(first) = alternatives.first() {
            let name = first.split([' ', '(']).next().unwrap_or(first);
            missing.push(name.split(':').next().unwrap_or(name).to_string());
        }
    }
    missing
}

/// Whether `dep` (`name [(op version)]`) holds for what is installed.
fn satisfied(dep: &str, installed: &HashMap<String, Installed>) -> bool {
    let (name, constraint) = match dep.split_once('(') {
        Some((n, c)) => (n.trim(), Some(c.trim_end_matches(')').trim())),
        None => (dep.trim(), None),
    };
    let name = name.split(':').next().unwrap_or(name);
    if let Some(inst) = installed.get(name) {
        let Some(c) = constraint else { return true };
        let (op, version) = c.split_at(c.find(|ch: char| !"<>=".contains(ch)).unwrap_or(c.len()));
        let ord = compare(&inst.version, version.trim());
        return match op {
            "<<" | "<" => ord == Ordering::Less,
            "<=" => ord != Ordering::Greater,
            "=" => ord == Ordering::Equal,
            ">=" => ord != Ordering::Less,
            ">>" | ">" => ord == Ordering::Greater,
            _ => true,
        };
    }
    constraint.is_none() && installed.values().any(|i| i.provides.iter().any(|p| p == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_dependencies_are_the_first_unsatisfied_alternatives() {
        let text = "__PH_DEB 0\nPackage: app\nVersion: 1.0\nArchitecture: all\nDepends: base (>= 2.0), mta | exim4,\n libc6\n\
__PH_INSTALLED\nbase\tii \t1.5\t\nlibc6\tii \t2.36\t\npostfix\tii \t3.7\tmail-transport-agent, mta\n";
        let (debs, installed) = parse_inspection(text);
        assert_eq!(debs[0]["Package"], "app");
        assert_eq!(debs[0]["Depends"], "base (>= 2.0), mta | exim4, libc6");
        assert_eq!(unsatisfied(&debs[0]["Depends"], &installed), ["base"]);
        assert!(unsatisfied("base (>= 1.0), mta", &installed).is_empty());
    }
}
