//! HMAC-SHA256 request signatures, as GitHub, Gitea and playhook's webhooks carry them: the
//! outgoing webhook signs its body, the trigger server verifies what it is sent. Comparisons are
//! constant-time.

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use crate::secrets::SecretString;

/// The header playhook's own webhooks sign with (`sha256=<hex>`, as GitHub's
/// `X-Hub-Signature-256`).
pub const PLAYHOOK_HEADER: &str = "X-Playhook-Signature-256";

fn mac(key: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length")
}

/// The lowercase hex HMAC-SHA256 of `body` under `key`.
pub fn sign_hex(key: &[u8], body: &[u8]) -> String {
    let mut m = mac(key);
    m.update(body);
    hex::encode(m.finalize().into_bytes())
}

/// `sha256=<hex>`: the value of [`PLAYHOOK_HEADER`] and GitHub's `X-Hub-Signature-256`.
pub fn sign_header(key: &[u8], body: &[u8]) -> String {
    format!("sha256={}", sign_hex(key, body))
}

/// Whether `given_hex` (any case) is the HMAC-SHA256 of `body` under `key`, compared in
/// constant time. Anything that is not 64 hex digits is false.
pub fn verify_hex(key: &[u8], body: &[u8], given_hex: &str) -> bool {
    let Ok(given) = hex::decode(given_hex.trim()) else {
        return false;
    };
    let mut m = mac(key);
    m.update(body);
    m.verify_slice(&given).is_ok()
}

/// Whether a `sha256=<hex>` header value signs `body` under `key`.
pub fn verify_header(key: &[u8], body: &[u8], value: &str) -> bool {
    value
        .trim()
        .strip_prefix("sha256=")
        .is_some_and(|h| verify_hex(key, body, h))
}

/// Constant-time equality of a shared token (GitLab's `X-Gitlab-Token`). The length is not
/// hidden; the content is.
pub fn token_matches(expected: &[u8], given: &[u8]) -> bool {
    expected.ct_eq(given).into()
}

/// Reads a shared-secret file (the webhook's key, the trigger's secret): its content without surrounding whitespace, never empty.
pub fn read_key_file(path: &Path) -> Result<SecretString, std::io::Error> {
    let text = SecretString::new(std::fs::read_to_string(path)?);
    let trimmed = text.expose().trim();
    if trimmed.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file is empty",
        ));
    }
    Ok(SecretString::new(trimmed.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_rfc_4231_test_case_2() {
        assert_eq!(
            sign_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verifies_its_own_signature_and_nothing_else() {
        let sig = sign_header(b"k", b"body");
        assert!(verify_header(b"k", b"body", &sig));
        assert!(verify_header(
            b"k",
            b"body",
            &sig.to_uppercase().replace("SHA256=", "sha256=")
        ));
        assert!(!verify_header(b"k", b"body2", &sig));
        assert!(!verify_header(b"k2", b"body", &sig));
        assert!(!verify_header(b"k", b"body", sig.trim_start_matches("sha256=")));
        assert!(!verify_hex(b"k", b"body", "zz"));
        assert!(!verify_hex(b"k", b"body", ""));
        assert!(!verify_hex(b"k", b"body", &sign_hex(b"k", b"body")[..62]));
    }

    #[test]
    fn tokens_match_exactly() {
        assert!(token_matches(b"tok", b"tok"));
        assert!(!token_matches(b"tok", b"tok2"));
        assert!(!token_matches(b"tok", b"tox"));
        assert!(!token_matches(b"tok", b""));
    }
}
