//! Host names in inventory files: `name:port` and `[v6]:port` addresses and `web[01:10]` ranges,
//! parsed as Ansible's `parse_address` and `expand_hostname_range` do.

use std::sync::LazyLock;

use fancy_regex::Regex;

/// A host range or address that cannot be expanded.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RangeError(pub String);

const NUMERIC_RANGE: &str = r"\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]";
const HEX_RANGE: &str = r"\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]";
const ALNUM_RANGE: &str = r"\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]";

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the address patterns are valid regular expressions")
}

static BRACKETED_HOSTPORT: LazyLock<Regex> = LazyLock::new(|| compile(r"^\[(.+)\]:([0-9]+)$"));
static HOSTPORT: LazyLock<Regex> = LazyLock::new(|| compile(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$"));

/// An IPv4 address, ranges allowed in place of components.
pub(crate) static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    let c = format!(r"(?:[01]?[0-9]{{1,2}}|2[0-4][0-9]|25[0-5]|{NUMERIC_RANGE})");
    compile(&format!(r"(?i)^(?:{c}\.){{3}}{c}$"))
});

/// An IPv6 address, ranges allowed in place of components.
pub(crate) static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    let c = format!(r"(?:[0-9a-f]{{1,4}}|{HEX_RANGE})");
    let alts = [
        format!(r"(?:{c}:){{7}}{c}"),
        format!(r"(?:{c}:){{1,6}}:"),
        format!(r"(?:{c}:)(?::{c}){{1,6}}"),
        format!(r"(?:{c}:){{2}}(?::{c}){{1,5}}"),
        format!(r"(?:{c}:){{3}}(?::{c}){{1,4}}"),
        format!(r"(?:{c}:){{4}}(?::{c}){{1,3}}"),
        format!(r"(?:{c}:){{5}}(?::{c}){{1,2}}"),
        format!(r"(?:{c}:){{6}}(?::{c})"),
        format!(r":(?::{c}){{1,6}}"),
        format!(r"{c}?::"),
        format!(r"(?:0:){{6}}(?:{c}\.){{3}}{c}"),
        format!(r"::(?:ffff:)?(?:{c}\.){{3}}{c}"),
        format!(r"(?:0:){{5}}ffff:(?:{c}\.){{3}}{c}"),
    ];
    compile(&format!(r"(?i)^({})$", alts.join("|")))
});

static HOSTNAME: LazyLock<Regex> = LazyLock::new(|| {
    let label = format!(r"(?:[\w]|{ALNUM_RANGE})(?:[\w_-]|{ALNUM_RANGE})*(?<![_-])");
    compile(&format!(r"(?i)^{label}(?:\.{label})*$"))
});

fn matches(re: &Regex, s: &str) -> bool {
    re.is_match(s).unwrap_or(false)
}

/// Splits `host:port`, `[host]:port` or `host`; `None` when the text is not a valid host
/// identifier (Ansible then uses the text unchanged, without a port).
pub fn parse_address(address: &str) -> Option<(String, Option<u16>)> {
    let mut host = address.to_string();
    let mut port = None;
    for re in [&*BRACKETED_HOSTPORT, &*HOSTPORT] {
        if let Ok(Some(caps)) = re.captures(&host) {
            let h = caps.get(1).map(|m| m.as_str().to_string()).unwrap_or_default();
            let p = caps.get(2).map(|m| m.as_str()).unwrap_or_default();
            port = Some(p.parse::<u16>().ok()?);
            host = h;
        }
    }
    if matches(&IPV4, &host) || matches(&IPV6, &host) || matches(&HOSTNAME, &host) {
        Some((host, port))
    } else {
        None
    }
}

/// Whether a name is an IP address (for `inventory_hostname_short`).
pub fn is_ip_address(name: &str) -> bool {
    matches(&IPV4, name) || matches(&IPV6, name)
}

/// An inventory host key: the host names it stands for and the port it sets, if any.
pub fn expand_host_pattern(pattern: &str) -> Result<(Vec<String>, Option<u16>), RangeError> {
    let (base, port) = parse_address(pattern).unwrap_or_else(|| (pattern.to_string(), None));
    let names = if base.contains('[') {
        expand_range(&base)?
    } else {
        vec![base]
    };
    Ok((names, port))
}

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Host names one inventory line may expand to: `web[1:99999999]` is a mistake (or an attempt
/// to fill the controller's memory), refused before anything is built.
pub const MAX_RANGE_HOSTS: usize = 100_000;

fn too_many(line: &str) -> RangeError {
    RangeError(format!(
        "host range `{line}` expands to more than {MAX_RANGE_HOSTS} hosts; split it or check its bounds"
    ))
}

/// Expands the first `[beg:end(:step)]` of a name, recursively, as Ansible does.
pub fn expand_range(line: &str) -> Result<Vec<String>, RangeError> {
    let open = line
        .find('[')
        .ok_or_else(|| RangeError(format!("no range in `{line}`")))?;
    let rest = &line[open + 1..];
    let close = rest
        .find(']')
        .ok_or_else(|| RangeError(format!("host range in `{line}` is missing its `]`")))?;
    let (head, nrange, tail) = (&line[..open], &rest[..close], &rest[close + 1..]);
    let bounds: Vec<&str> = nrange.split(':').collect();
    if bounds.len() != 2 && bounds.len() != 3 {
        return Err(RangeError(format!(
            "host range `[{nrange}]` in `{line}` must be begin:end or begin:end:step"
        )));
    }
    let beg = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    if end.is_empty() {
        return Err(RangeError(format!(
            "host range `[{nrange}]` in `{line}` must specify an end value"
        )));
    }
    let step: usize = match bounds.get(2) {
        Some(s) => s.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
            RangeError(format!(
                "host range step `{s}` in `{line}` must be a positive integer"
            ))
        })?,
        None => 1,
    };
    let width = if beg.starts_with('0') && beg.len() > 1 {
        if beg.len() != end.len() {
            return Err(RangeError(format!(
                "host range `[{nrange}]` in `{line}` must have begin and end of equal length"
            )));
        }
        beg.len()
    } else {
        0
    };
    let seq: Vec<String> = match (LETTERS.find(beg), LETTERS.find(end)) {
        (Some(b), Some(e)) if beg.len() == 1 && end.len() == 1 => {
            if b > e {
                return Err(RangeError(format!(
                    "host range `[{nrange}]` in `{line}` must have begin <= end"
                )));
            }
            LETTERS[b..=e].chars().step_by(step).map(String::from).collect()
        }
        _ => {
            let parse = |s: &str| {
                s.parse::<i64>().map_err(|_| {
                    RangeError(format!(
                        "host range `[{nrange}]` in `{line}` is not numeric or alphabetic"
                    ))
                })
            };
            let (b, e) = (parse(beg)?, parse(end)?);
            let count = if e < b {
                0
            } else {
                (e.abs_diff(b) / step as u64).saturating_add(1)
            };
            if count > MAX_RANGE_HOSTS as u64 {
                return Err(too_many(line));
            }
            (b..=e).step_by(step).map(|n| format!("{n:0width$}")).collect()
        }
    };
    let mut hosts = Vec::new();
    for item in seq {
        let name = format!("{head}{item}{tail}");
        if name.contains('[') {
            hosts.extend(expand_range(&name)?);
        } else {
            hosts.push(name);
        }
        if hosts.len() > MAX_RANGE_HOSTS {
            return Err(too_many(line));
        }
    }
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand_like_ansible() {
        assert_eq!(
            expand_range("web[01:03]").expect("ok"),
            ["web01", "web02", "web03"]
        );
        assert_eq!(
            expand_range("db[a:c]-x").expect("ok"),
            ["dba-x", "dbb-x", "dbc-x"]
        );
        assert_eq!(expand_range("h[1:5:2]").expect("ok"), ["h1", "h3", "h5"]);
        assert_eq!(
            expand_range("n[1:2]s[a:b]").expect("ok"),
            ["n1sa", "n1sb", "n2sa", "n2sb"]
        );
        assert!(expand_range("h[01:100]").is_err());
    }

    #[test]
    fn ranges_past_the_limit_are_refused_before_they_are_built() {
        assert_eq!(expand_range("h[1:100000]").expect("at the limit").len(), 100_000);
        for line in [
            "h[1:100001]",
            "h[0:9223372036854775807]",
            "h[1:1000]x[1:1000]",
            "h[-9223372036854775808:9223372036854775807]",
        ] {
            let err = expand_range(line).expect_err("too many");
            assert!(err.to_string().contains("more than 100000 hosts"), "{err}");
        }
    }

    #[test]
    fn addresses_split_host_and_port() {
        assert_eq!(parse_address("web1:2222"), Some(("web1".into(), Some(2222))));
        assert_eq!(parse_address("[::1]:22"), Some(("::1".into(), Some(22))));
        assert_eq!(parse_address("10.0.0.1"), Some(("10.0.0.1".into(), None)));
        assert_eq!(
            parse_address("web[01:02].example.com"),
            Some(("web[01:02].example.com".into(), None))
        );
        assert_eq!(parse_address("bad name"), None);
        assert_eq!(
            expand_host_pattern("web[1:2]:2200").expect("ok"),
            (vec!["web1".to_string(), "web2".to_string()], Some(2200))
        );
    }
}
