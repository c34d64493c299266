//! rpm's version order (`rpmvercmp`) and the `[epoch:]version-release` values dnf compares,
//! so the `dnf` module decides "newer", "older" and "latest" exactly as rpm does.

use std::cmp::Ordering;

/// rpm's `rpmvercmp`: alternating runs of digits and letters compared in turn, numbers
/// numerically, `~` sorting before anything (even the end) and `^` after the end only.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while a.first().is_some_and(|c| sep(*c)) {
            a = &a[1..];
        }
        while b.first().is_some_and(|c| sep(*c)) {
            b = &b[1..];
        }
        match (a.first(), b.first()) {
            (Some(b'~'), Some(b'~')) => {
                a = &a[1..];
                b = &b[1..];
                continue;
            }
            (Some(b'~'), _) => return Ordering::Less,
            (_, Some(b'~')) => return Ordering::Greater,
            (Some(b'^'), Some(b'^')) => {
                a = &a[1..];
                b = &b[1..];
                continue;
            }
            (Some(b'^'), None) => return Ordering::Greater,
            (None, Some(b'^')) => return Ordering::Less,
            (Some(b'^'), _) => return Ordering::Less,
            (_, Some(b'^')) => return Ordering::Greater,
            (None, None) => return Ordering::Equal,
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            _ => {}
        }
        let numeric = a[0].is_ascii_digit();
        let run = |s: &[u8]| {
            s.iter()
                .take_while(|c| {
                    if numeric {
                        c.is_ascii_digit()
                    } else {
                        c.is_ascii_alphabetic()
                    }
                })
                .count()
        };
        let (la, lb) = (run(a), run(b));
        if lb == 0 {
            // Different kinds of segment: a number is newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (sa, sb) = (&a[..la], &b[..lb]);
        let ord = if numeric {
            let ta = trim_zeros(sa);
            let tb = trim_zeros(sb);
            ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
        } else {
            sa.cmp(sb)
        };
        if ord != Ordering::Equal {
            return ord;
        }
        a = &a[la..];
        b = &b[lb..];
    }
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| **c == b'0').count();
    &s[n..]
}

/// An rpm package's epoch, version and release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evr {
    pub epoch: u64,
    pub version: String,
    /// Empty when a spec gave none (then any release matches).
    pub release: String,
}

impl Evr {
    /// Parses `[epoch:]version[-release]`.
    pub fn parse(s: &str) -> Evr {
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) if e.chars().all(|c| c.is_ascii_digit()) && !e.is_empty() => {
                (e.parse().unwrap_or(0), rest)
            }
            _ => (0, s),
        };
        let (version, release) = rest.rsplit_once('-').unwrap_or((rest, ""));
        Evr {
            epoch,
            version: version.to_string(),
            release: release.to_string(),
        }
    }

    /// rpm's order; a missing release on either side compares equal on the release (as rpm
    /// compares a dependency `name >= 1.0` with `1.0-3`).
    pub fn compare(&self, other: &Evr) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| {
                if self.release.is_empty() || other.release.is_empty() {
                    Ordering::Equal
                } else {
                    rpmvercmp(&self.release, &other.release)
                }
            })
    }
}

impl std::fmt::Display for Evr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}:", self.epoch)?;
        }
        write!(f, "{}", self.version)?;
        if !self.release.is_empty() {
            write!(f, "-{}", self.release)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn rpmvercmp_follows_rpm() {
        for (a, b, want) in [
            ("1.0", "1.0", Equal),
            ("1.0", "2.0", Less),
            ("2.0.1", "2.0", Greater),
            ("1.10", "1.9", Greater),
            ("1.01", "1.1", Equal),
            ("1.0a", "1.0", Greater),
            ("a", "1", Less),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1", "1.0~rc2", Less),
            ("1.0^git1", "1.0", Greater),
            ("1.0^git1", "1.0.1", Less),
            ("1_0", "1.0", Equal),
            ("fc4", "fc.4", Equal),
        ] {
            assert_eq!(rpmvercmp(a, b), want, "{a} vs {b}");
        }
    }

    #[test]
    fn evrs_parse_and_compare() {
        let e = Evr::parse("2:1.0-3.el9");
        assert_eq!(
            (e.epoch, e.version.as_str(), e.release.as_str()),
            (2, "1.0", "3.el9")
        );
        assert_eq!(e.to_string(), "2:1.0-3.el9");
        assert_eq!(Evr::parse("1.0-1").compare(&Evr::parse("1.0")), Equal);
        assert_eq!(Evr::parse("1:0.1-1").compare(&Evr::parse("9.0-1")), Greater);
        assert_eq!(Evr::parse("1.0-2").compare(&Evr::parse("1.0-10")), Less);
    }
}
