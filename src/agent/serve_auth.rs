//! Who may trigger a pass: the signature or token of a request to `POST /trigger`, in any of
//! the headers the git servers send. Every such header present must verify; none present is
//! "unsigned". Comparisons are constant-time.

use super::signature;

/// A header that authenticates a request, by who sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `X-Hub-Signature-256: sha256=<hex>` (GitHub; Gitea and Forgejo send it too).
    GitHub,
    /// `X-Gitea-Signature: <hex>` (Gitea, Forgejo).
    Gitea,
    /// `X-Gitlab-Token: <the secret>` (GitLab sends the token itself, not a signature).
    GitLab,
    /// `X-Playhook-Signature-256: sha256=<hex>`.
    Playhook,
}

impl Scheme {
    pub const ALL: [Scheme; 4] = [Scheme::GitHub, Scheme::Gitea, Scheme::GitLab, Scheme::Playhook];

    pub fn header(self) -> &'static str {
        match self {
            Scheme::GitHub => "X-Hub-Signature-256",
            Scheme::Gitea => "X-Gitea-Signature",
            Scheme::GitLab => "X-Gitlab-Token",
            Scheme::Playhook => signature::PLAYHOOK_HEADER,
        }
    }

    fn accepts(self, secret: &[u8], body: &[u8], value: &str) -> bool {
        match self {
            Scheme::GitHub | Scheme::Playhook => signature::verify_header(secret, body, value),
            Scheme::Gitea => signature::verify_hex(secret, body, value),
            Scheme::GitLab => signature::token_matches(secret, value.trim().as_bytes()),
        }
    }
}

/// The outcome of checking a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every authenticating header verified; the first of them.
    Valid(Scheme),
    /// No authenticating header at all.
    Unsigned,
    /// This header did not verify.
    Invalid(Scheme),
}

/// Checks the request's headers (`header(name)` looks one up, case-insensitively) against the
/// shared secret.
pub fn verify<'h>(secret: &[u8], body: &[u8], header: impl Fn(&str) -> Option<&'h str>) -> Verdict {
    let mut valid = None;
    for scheme in Scheme::ALL {
        if let Some(value) = header(scheme.header()) {
            if !scheme.accepts(secret, body, value) {
                return Verdict::Invalid(scheme);
            }
            valid.get_or_insert(scheme);
        }
    }
    valid.map_or(Verdict::Unsigned, Verdict::Valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(headers: &[(&str, &str)]) -> Verdict {
        verify(b"s3cret", b"{}", |name| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        })
    }

    #[test]
    fn each_scheme_verifies() {
        let hex = signature::sign_hex(b"s3cret", b"{}");
        let prefixed = format!("sha256={hex}");
        assert_eq!(
            check(&[("x-hub-signature-256", &prefixed)]),
            Verdict::Valid(Scheme::GitHub)
        );
        assert_eq!(
            check(&[("X-Gitea-Signature", &hex)]),
            Verdict::Valid(Scheme::Gitea)
        );
        assert_eq!(
            check(&[("X-Gitlab-Token", "s3cret")]),
            Verdict::Valid(Scheme::GitLab)
        );
        assert_eq!(
            check(&[("X-Playhook-Signature-256", &prefixed)]),
            Verdict::Valid(Scheme::Playhook)
        );
        // Gitea sends both of its headers.
        assert_eq!(
            check(&[("X-Gitea-Signature", &hex), ("X-Hub-Signature-256", &prefixed)]),
            Verdict::Valid(Scheme::GitHub)
        );
    }

    #[test]
    fn one_bad_header_spoils_the_request() {
        let hex = signature::sign_hex(b"s3cret", b"{}");
        let wrong = signature::sign_hex(b"other", b"{}");
        assert_eq!(check(&[]), Verdict::Unsigned);
        assert_eq!(check(&[("X-Hub-Signature", "sha1=00")]), Verdict::Unsigned);
        assert_eq!(
            check(&[("X-Gitea-Signature", &wrong)]),
            Verdict::Invalid(Scheme::Gitea)
        );
        assert_eq!(
            check(&[("X-Gitea-Signature", &hex), ("X-Gitlab-Token", "nope")]),
            Verdict::Invalid(Scheme::GitLab)
        );
        // GitHub's header needs its prefix.
        assert_eq!(
            check(&[("X-Hub-Signature-256", &hex)]),
            Verdict::Invalid(Scheme::GitHub)
        );
    }
}
