//! The cryptography: Argon2id turns the passphrase into two keys, AES-256-GCM seals each value
//! with its key path as associated data, HMAC-SHA256 authenticates the whole file.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::path::KeyPath;
use super::secret_string::SecretString;
use super::tree::{Kind, Scalar};

/// The version tag of an encrypted value (`ENC[v1,...]`).
pub const VALUE_VERSION: &str = "v1";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const KEY_CHECK_LEN: usize = 16;

/// Argon2id parameters and salt, stored in the file so any copy of the passphrase opens it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    pub salt: Vec<u8>,
}

impl KdfParams {
    /// The argon2 crate's recommended cost (19 MiB, 2 passes, 1 lane) and a fresh 16-byte salt.
    pub fn fresh() -> KdfParams {
        let mut salt = vec![0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        KdfParams {
            memory_kib: argon2::Params::DEFAULT_M_COST,
            iterations: argon2::Params::DEFAULT_T_COST,
            parallelism: argon2::Params::DEFAULT_P_COST,
            salt,
        }
    }

    /// Derives the encryption and MAC keys (64 bytes of Argon2id output, split in two).
    pub fn derive(&self, passphrase: &[u8]) -> Result<Keys, String> {
        let params = argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, Some(64))
            .map_err(|e| e.to_string())?;
        let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; 64]);
        argon
            .hash_password_into(passphrase, &self.salt, out.as_mut())
            .map_err(|e| e.to_string())?;
        let mut keys = Keys {
            enc: Zeroizing::new([0u8; 32]),
            mac: Zeroizing::new([0u8; 32]),
        };
        keys.enc.copy_from_slice(&out[..32]);
        keys.mac.copy_from_slice(&out[32..]);
        Ok(keys)
    }
}

/// The two keys derived from one passphrase; wiped when dropped.
pub struct Keys {
    enc: Zeroizing<[u8; 32]>,
    mac: Zeroizing<[u8; 32]>,
}

/// One encrypted value as stored: `ENC[v1,<type>,<nonce>,<ciphertext and tag>]`, base64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncValue {
    pub kind: Kind,
    pub nonce: Vec<u8>,
    pub sealed: Vec<u8>,
}

impl EncValue {
    pub fn to_text(&self) -> String {
        format!(
            "ENC[{VALUE_VERSION},{},{},{}]",
            self.kind.name(),
            B64.encode(&self.nonce),
            B64.encode(&self.sealed)
        )
    }

    /// Reads the stored form; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<EncValue, String> {
        let inner = text
            .strip_prefix("ENC[")
            .and_then(|t| t.strip_suffix(']'))
            .ok_or("is not an encrypted value `ENC[...]`: the file was edited by hand or truncated")?;
        let parts: Vec<&str> = inner.split(',').collect();
        let [version, kind, nonce, sealed] = parts[..] else {
            return Err("is a damaged encrypted value (it needs 4 comma-separated fields)".into());
        };
        if version != VALUE_VERSION {
            return Err(format!(
                "is encrypted in value format `{version}`, which this playhook does not read (it reads {VALUE_VERSION}): upgrade playhook"
            ));
        }
        let kind = Kind::from_name(kind).ok_or_else(|| format!("has an unknown value type `{kind}`"))?;
        let nonce = B64
            .decode(nonce)
            .map_err(|_| "has a damaged nonce (not base64)".to_string())?;
        let sealed = B64
            .decode(sealed)
            .map_err(|_| "has a damaged ciphertext (not base64)".to_string())?;
        if nonce.len() != NONCE_LEN || sealed.len() < TAG_LEN {
            return Err("is a damaged encrypted value (wrong length)".into());
        }
        Ok(EncValue { kind, nonce, sealed })
    }
}

/// The associated data of a value: format tag, type and key path, so a ciphertext opens only
/// at the place and with the type it was written for.
fn associated_data(kind: Kind, path: &KeyPath) -> Vec<u8> {
    format!(
        "playhook-secrets {VALUE_VERSION}\0{}\0{}",
        kind.name(),
        path.canonical()
    )
    .into_bytes()
}

impl Keys {
    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new_from_slice(self.enc.as_ref()).expect("the key is 32 bytes, as AES-256 needs")
    }

    /// Encrypts one value for `path` with a fresh random nonce.
    pub fn seal(&self, path: &KeyPath, value: &Scalar) -> EncValue {
        let mut nonce = vec![0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = associated_data(value.kind, path);
        let sealed = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: value.text.expose().as_bytes(),
                    aad: &aad,
                },
            )
            .expect("AES-GCM encryption of an in-memory value cannot fail");
        EncValue {
            kind: value.kind,
            nonce,
            sealed,
        }
    }

    /// Decrypts one value stored at `path`; `None` when the key, path or bytes do not match.
    pub fn open(&self, path: &KeyPath, value: &EncValue) -> Option<Scalar> {
        let aad = associated_data(value.kind, path);
        let plain = Zeroizing::new(
            self.cipher()
                .decrypt(
                    Nonce::from_slice(&value.nonce),
                    Payload {
                        msg: &value.sealed,
                        aad: &aad,
                    },
                )
                .ok()?,
        );
        let text = String::from_utf8(plain.to_vec()).ok()?;
        Some(Scalar {
            kind: value.kind,
            text: SecretString::new(text),
        })
    }

    fn hmac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(self.mac.as_ref()).expect("HMAC takes keys of any length")
    }

    /// A short tag that tells a wrong key from a damaged file.
    pub fn key_check(&self) -> Vec<u8> {
        let mut mac = self.hmac();
        mac.update(b"playhook-secrets key check");
        mac.finalize().into_bytes()[..KEY_CHECK_LEN].to_vec()
    }

    pub fn key_check_matches(&self, stored: &[u8]) -> bool {
        let mut mac = self.hmac();
        mac.update(b"playhook-secrets key check");
        stored.len() == KEY_CHECK_LEN && mac.verify_truncated_left(stored).is_ok()
    }

    /// The MAC over the file's canonical content (see `format::mac_input`).
    pub fn file_mac(&self, content: &[u8]) -> Vec<u8> {
        let mut mac = self.hmac();
        mac.update(content);
        mac.finalize().into_bytes().to_vec()
    }

    pub fn file_mac_matches(&self, content: &[u8], stored: &[u8]) -> bool {
        let mut mac = self.hmac();
        mac.update(content);
        mac.verify_slice(stored).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pass: &str) -> Keys {
        let params = KdfParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
            salt: vec![7; 16],
        };
        params.derive(pass.as_bytes()).expect("derive")
    }

    #[test]
    fn values_open_only_at_their_path_with_their_key() {
        let k = keys("one");
        let a = KeyPath::parse("a").expect("path");
        let b = KeyPath::parse("b").expect("path");
        let sealed = k.seal(&a, &Scalar::string("hunter2".into()));
        let text = sealed.to_text();
        let parsed = EncValue::parse(&text).expect("parses");
        assert_eq!(parsed, sealed);
        assert_eq!(k.open(&a, &parsed).expect("opens").text.expose(), "hunter2");
        assert!(k.open(&b, &parsed).is_none());
        assert!(keys("two").open(&a, &parsed).is_none());
        let mut retyped = parsed.clone();
        retyped.kind = Kind::Int;
        assert!(k.open(&a, &retyped).is_none());
        assert!(k.key_check_matches(&k.key_check()));
        assert!(!keys("two").key_check_matches(&k.key_check()));
    }

    #[test]
    fn damaged_values_are_described() {
        for bad in [
            "plain",
            "ENC[v1,str,AAAA]",
            "ENC[v9,str,AAAA,BBBB]",
            "ENC[v1,blob,AAAA,BBBB]",
            "ENC[v1,str,!!,BBBB]",
        ] {
            assert!(EncValue::parse(bad).is_err(), "{bad}");
        }
    }
}
