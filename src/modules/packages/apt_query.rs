//! What the host's apt knows, in one round trip: the script that (when asked) refreshes the
//! cache, then runs `dpkg-query -W` and `apt-cache policy` for the task's names, and the
//! parsers of their output. No python-apt: only `dpkg-query`, `apt-cache`, `awk` and `stat`.

use std::collections::HashMap;

use super::want::Known;
use crate::connection::quote::quote;

/// Where Ansible reads the cache's age: the periodic stamp, else the lists directory.
const STAMP: &str = "{ stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null \
                     || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0; }";

/// The environment every apt command of a task runs with, as Ansible's apt module sets it.
pub const APT_ENV: &str = "export DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical \
                           LANG=C.UTF-8 LC_ALL=C.UTF-8 LC_MESSAGES=C.UTF-8 LC_CTYPE=C.UTF-8 LANGUAGE=C.UTF-8";

/// When and how to refresh the cache before asking.
#[derive(Clone, Debug)]
pub struct CacheUpdate {
    /// Refresh when the cache is older than this many seconds (0: always).
    pub valid_time: i64,
    pub retries: i64,
    pub max_delay: i64,
    /// Check mode: say whether it would refresh, and don't.
    pub check: bool,
    pub lock_timeout: i64,
}

/// The programs the apt module needs; the first missing one is reported.
pub fn require(programs: &[&str]) -> String {
    let mut s = String::new();
    for p in programs {
        s.push_str(&format!(
            "command -v {p} >/dev/null 2>&1 || {{ echo '__PH_MISSING {p}'; exit 0; }}\n"
        ));
    }
    s
}

/// The query script for `names` (possibly none: only the cache's state).
pub fn script(
    names: &[String],
    update: Option<&CacheUpdate>,
    default_release: Option<&str>,
    pkgnames: bool,
) -> String {
    let mut s = format!("{APT_ENV}\n{}", require(&["apt-get", "apt-cache", "dpkg-query"]));
    s.push_str(&format!(
        "before=$({STAMP})\necho \"__PH_STAMP_BEFORE $before\"\n"
    ));
    if let Some(u) = update {
        s.push_str(&format!(
            "if [ $((before + {valid})) -lt \"$(date +%s)\" ]; then\n  echo __PH_UPDATE_WANTED\n",
            valid = u.valid_time.max(0)
        ));
        if !u.check {
            s.push_str(&format!(
                "  n=0\n  while :; do\n    err=$(apt-get update -q -o DPkg::Lock::Timeout={lock} 2>&1 >/dev/null) && break\n    \
                 n=$((n + 1))\n    if [ $n -ge {retries} ]; then printf '__PH_UPDATE_FAILED %s\\n' \"$err\" | tr '\\n' ' '; echo; exit 0; fi\n    \
                 d=$((1 << (n - 1))); [ $d -gt {max} ] && d={max}; sleep $d\n  done\n",
                lock = u.lock_timeout,
                retries = u.retries.max(1),
                max = u.max_delay.max(0)
            ));
        }
        s.push_str("fi\n");
    }
    s.push_str(&format!("echo \"__PH_STAMP_AFTER $({STAMP})\"\n"));
    s.push_str("echo \"__PH_APTITUDE $(command -v aptitude)\"\n");
    if pkgnames {
        s.push_str("echo __PH_PKGNAMES\napt-cache pkgnames 2>/dev/null\n");
    }
    if names.is_empty() {
        return s;
    }
    let words: Vec<String> = names.iter().map(|n| quote(n)).collect();
    let words = words.join(" ");
    s.push_str(&format!(
        "echo __PH_DPKG\ndpkg-query -W -f '${{Package}}\\t${{db:Status-Abbrev}}\\t${{Version}}\\n' -- {words} 2>/dev/null\n"
    ));
    s.push_str(
        "echo __PH_AUTO\nawk -v RS= '/\\nAuto-Installed: 1/ {print $2}' /var/lib/apt/extended_states 2>/dev/null\n",
    );
    let release = default_release
        .map(|r| format!(" -o {}", quote(&format!("APT::Default-Release={r}"))))
        .unwrap_or_default();
    s.push_str(&format!(
        "echo __PH_POLICY\napt-cache{release} policy -- {words} 2>/dev/null\n"
    ));
    s
}

/// What the query found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answer {
    /// A program the module needs is not installed.
    pub missing: Option<String>,
    /// The cache refresh failed after its retries (apt-get's messages).
    pub update_failed: Option<String>,
    /// The cache was old enough to refresh (in check mode: would have been refreshed).
    pub update_wanted: bool,
    pub stamp_before: i64,
    pub stamp_after: i64,
    /// `aptitude`'s path, when installed (Ansible upgrades with it).
    pub aptitude: bool,
    pub known: HashMap<String, Known>,
    /// Installed names marked automatically installed.
    pub auto: Vec<String>,
    /// Names with a policy entry but no versions: perhaps virtual.
    pub versionless: Vec<String>,
    /// Every package name apt knows (`apt-cache pkgnames`), when asked for.
    pub pkgnames: Vec<String>,
}

/// Parses the query script's output.
pub fn parse(out: &str) -> Answer {
    let mut a = Answer::default();
    let mut section = "";
    let mut policy: Vec<&str> = Vec::new();
    let mut dpkg: Vec<(String, String, String)> = Vec::new();
    for line in out.lines() {
        if let Some(p) = line.strip_prefix("__PH_MISSING ") {
            a.missing = Some(p.to_string());
        } else if let Some(e) = line.strip_prefix("__PH_UPDATE_FAILED ") {
            a.update_failed = Some(e.trim().to_string());
        } else if line == "__PH_UPDATE_WANTED" {
            a.update_wanted = true;
        } else if let Some(t) = line.strip_prefix("__PH_STAMP_BEFORE ") {
            a.stamp_before = t.trim().parse().unwrap_or(0);
        } else if let Some(t) = line.strip_prefix("__PH_STAMP_AFTER ") {
            a.stamp_after = t.trim().parse().unwrap_or(0);
        } else if let Some(p) = line.strip_prefix("__PH_APTITUDE") {
            a.aptitude = !p.trim().is_empty();
        } else if let Some(s) = line.strip_prefix("__PH_") {
            section = match s {
                "DPKG" => "dpkg",
                "AUTO" => "auto",
                "POLICY" => "policy",
                "PKGNAMES" => "pkgnames",
                _ => section,
            };
        } else {
            match section {
                "dpkg" => {
                    let mut f = line.splitn(3, '\t');
                    if let (Some(n), Some(st), Some(v)) = (f.next(), f.next(), f.next()) {
                        dpkg.push((n.to_string(), st.to_string(), v.to_string()));
                    }
                }
                "auto" if !line.is_empty() => a.auto.push(line.to_string()),
                "policy" => policy.push(line),
                "pkgnames" if !line.is_empty() => a.pkgnames.push(line.to_string()),
                _ => {}
            }
        }
    }
    for (name, k) in parse_policy(&policy) {
        if !k.exists {
            a.versionless.push(name.clone());
        }
        a.known.insert(name, k);
    }
    for (name, status, version) in dpkg {
        let k = a.known.entry(name).or_default();
        let state = status.as_bytes().get(1).copied().unwrap_or(b'n');
        if state == b'i' {
            k.installed = Some(version);
            k.exists = true;
        }
        k.has_files |= state != b'n';
    }
    a
}

/// `apt-cache policy` blocks: candidate and version table per name.
fn parse_policy(lines: &[&str]) -> Vec<(String, Known)> {
    let mut out: Vec<(String, Known)> = Vec::new();
    for line in lines {
        if !line.starts_with(' ') && line.ends_with(':') {
            let name = line.trim_end_matches(':');
            out.push((name.to_string(), Known::default()));
            continue;
        }
        let Some((_, k)) = out.last_mut() else { continue };
        let trimmed = line.trim();
        if let Some(c) = trimmed.strip_prefix("Candidate:") {
            let c = c.trim();
            k.candidate = (c != "(none)").then(|| c.to_string());
        } else if line.starts_with(" *** ") || (line.starts_with("     ") && !line.starts_with("      ")) {
            if let Some(v) = line[5..].split_whitespace().next() {
                k.versions.push(v.to_string());
                k.exists = true;
            }
        }
    }
    out
}

/// `apt-cache showpkg` output: the providers of each name.
pub fn parse_providers(out: &str) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    let mut current: Option<String> = None;
    let mut in_provides = false;
    for line in out.lines() {
        if let Some(name) = line.strip_prefix("Package: ") {
            current = Some(name.trim().to_string());
            in_provides = false;
        } else if line.starts_with("Reverse Provides:") {
            in_provides = true;
        } else if in_provides {
            if let (Some(name), Some(provider)) = (&current, line.split_whitespace().next()) {
                let list = map.entry(name.clone()).or_default();
                if !list.iter().any(|p| p == provider) {
                    list.push(provider.to_string());
                }
            }
        }
    }
    map
}

/// Ansible's expansion of name patterns (`nginx*`): each pattern becomes every package name
/// matching it (names with an architecture only when the pattern has one), its version dropped.
pub fn expand(specs: &[String], pkgnames: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for spec in specs {
        let name = spec.split(['=', '>']).next().unwrap_or(spec);
        if !super::version::is_glob(name) {
            out.push(spec.clone());
            continue;
        }
        let mut matches: Vec<String> = pkgnames
            .iter()
            .filter(|n| name.contains(':') || !n.contains(':'))
            .filter(|n| super::version::fnmatch(n, name))
            .cloned()
            .collect();
        if matches.is_empty() {
            return Err(format!("No package(s) matching '{name}' available"));
        }
        out.append(&mut matches);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn patterns_expand_to_known_names() {
        let names: Vec<String> = ["ph-a", "ph-b", "libx:i386", "other"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let specs: Vec<String> = ["ph-*=1.0", "other"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            expand(&specs, &names).expect("matches"),
            ["ph-a", "ph-b", "other"]
        );
        assert_eq!(
            expand(&["nope*".to_string()], &names),
            Err("No package(s) matching 'nope*' available".to_string())
        );
        assert!(
            expand(&["lib*".to_string()], &names).is_err(),
            "no architecture in the pattern"
        );
    }

    use super::*;

    const OUT: &str = "__PH_STAMP_BEFORE 100\n__PH_UPDATE_WANTED\n__PH_STAMP_AFTER 200\n__PH_APTITUDE \n\
__PH_DPKG\ntree\tii \t2.1.0-1\nold\trc \t1.0\n__PH_AUTO\ntree\nother\n__PH_POLICY\n\
tree:\n  Installed: 2.1.0-1\n  Candidate: 2.1.1-1\n  Version table:\n     2.1.1-1 500\n        500 http://x ./ Packages\n \
*** 2.1.0-1 100\n        100 /var/lib/dpkg/status\nmta:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n\
old:\n  Installed: (none)\n  Candidate: 1.0\n  Version table:\n     1.0 500\n        500 http://x ./ Packages\n";

    #[test]
    fn the_answer_holds_installed_versions_candidates_and_the_cache_state() {
        let a = parse(OUT);
        assert!(a.update_wanted && !a.aptitude && a.missing.is_none());
        assert_eq!((a.stamp_before, a.stamp_after), (100, 200));
        let tree = &a.known["tree"];
        assert_eq!(tree.installed.as_deref(), Some("2.1.0-1"));
        assert_eq!(tree.candidate.as_deref(), Some("2.1.1-1"));
        assert_eq!(tree.versions, ["2.1.1-1", "2.1.0-1"]);
        let old = &a.known["old"];
        assert!(old.installed.is_none() && old.has_files && old.exists);
        assert!(!a.known["mta"].exists);
        assert_eq!(a.versionless, ["mta"]);
        assert_eq!(a.auto, ["tree", "other"]);
        assert!(!a.known.contains_key("nope"));
    }

    #[test]
    fn providers_come_from_reverse_provides() {
        let out = "Package: mta\nVersions: \n\nReverse Depends: \n  x,mta\nDependencies: \nProvides: \n\
Reverse Provides: \nexim4-daemon-light 4.96-15 (= )\npostfix 3.7 (= )\n";
        assert_eq!(parse_providers(out)["mta"], ["exim4-daemon-light", "postfix"]);
    }

    #[test]
    fn a_missing_program_is_reported() {
        assert_eq!(
            parse("__PH_MISSING apt-get\n").missing.as_deref(),
            Some("apt-get")
        );
        assert!(script(&[], None, None, false).contains("command -v apt-get"));
    }
}
