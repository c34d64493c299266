//! The key ids and fingerprints of an OpenPGP public key, read on the controller from its
//! ASCII armor (or binary form), so `rpm_key` needs no `gpg` on the host: v4 fingerprints are
//! the SHA-1 of the key packet, the key id its last 8 bytes (RFC 4880 §12.2).

use base64::Engine as _;
use sha1::{Digest, Sha1};

/// One primary key or subkey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// Upper-case hex, 40 digits.
    pub fingerprint: String,
    /// Upper-case hex, 16 digits.
    pub keyid: String,
    pub primary: bool,
}

/// Whether `text` holds an armored public key block (Ansible's `is_pubkey`).
pub fn is_armored_pubkey(text: &str) -> bool {
    text.find("-----BEGIN PGP PUBLIC KEY BLOCK-----")
        .is_some_and(|at| text[at..].contains("-----END PGP PUBLIC KEY BLOCK-----"))
}

/// The binary packets of an armored (or already binary) key.
fn dearmor(data: &[u8]) -> Option<Vec<u8>> {
    let text = String::from_utf8_lossy(data);
    if !is_armored_pubkey(&text) {
        return Some(data.to_vec());
    }
    let start = text.find("-----BEGIN PGP PUBLIC KEY BLOCK-----")?;
    let body = &text[start..];
    let mut lines = body.lines().skip(1);
    // Armor headers end at the first empty line.
    for l in lines.by_ref() {
        if l.trim().is_empty() {
            break;
        }
    }
    let mut b64 = String::new();
    for l in lines {
        let l = l.trim();
        if l.starts_with("-----END") || l.starts_with('=') {
            break;
        }
        b64.push_str(l);
    }
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// Every primary key and subkey of the key material `data`; empty when it is not a key.
pub fn keys(data: &[u8]) -> Vec<KeyInfo> {
    let Some(bin) = dearmor(data) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut at = 0;
    while at < bin.len() {
        let Some((tag, body, next)) = packet(&bin, at) else {
            break;
        };
        if (tag == 6 || tag == 14) && body.first() == Some(&4) {
            let mut h = Sha1::new();
            h.update([0x99, (body.len() >> 8) as u8, body.len() as u8]);
            h.update(body);
            let fpr = hex::encode_upper(h.finalize());
            out.push(KeyInfo {
                keyid: fpr[24..].to_string(),
                fingerprint: fpr,
                primary: tag == 6,
            });
        }
        at = next;
    }
    out
}

/// The packet at `at`: its tag, body and where the next one starts.
fn packet(bin: &[u8], at: usize) -> Option<(u8, &[u8], usize)> {
    let head = *bin.get(at)?;
    if head & 0x80 == 0 {
        return None;
    }
    let (tag, len, start) = if head & 0x40 != 0 {
        let tag = head & 0x3f;
        let first = *bin.get(at + 1)? as usize;
        match first {
            0..=191 => (tag, first, at + 2),
            192..=223 => {
                let second = *bin.get(at + 2)? as usize;
                (tag, ((first - 192) << 8) + second + 192, at + 3)
            }
            255 => {
                let b = bin.get(at + 2..at + 6)?;
                (tag, u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize, at + 6)
            }
            _ => return None,
        }
    } else {
        let tag = (head >> 2) & 0x0f;
        match head & 3 {
            0 => (tag, *bin.get(at + 1)? as usize, at + 2),
            1 => {
                let b = bin.get(at + 1..at + 3)?;
                (tag, u16::from_be_bytes([b[0], b[1]]) as usize, at + 3)
            }
            2 => {
                let b = bin.get(at + 1..at + 5)?;
                (tag, u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize, at + 5)
            }
            _ => (tag, bin.len() - (at + 1), at + 1),
        }
    };
    let body = bin.get(start..start + len)?;
    Some((tag, body, start + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_and_new_packet_headers_are_read() {
        // An old-format user id packet (tag 13, one-byte length), then a new-format one.
        let bin = [0xb4, 2, b'h', b'i', 0xcd, 1, b'x'];
        assert_eq!(packet(&bin, 0), Some((13, &b"hi"[..], 4)));
        assert_eq!(packet(&bin, 4), Some((13, &b"x"[..], 7)));
        assert!(keys(b"not a key").is_empty());
        assert!(is_armored_pubkey(
            "x\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAA==\n-----END PGP PUBLIC KEY BLOCK-----\n"
        ));
    }
}
