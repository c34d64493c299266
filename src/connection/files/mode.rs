//! File modes as tasks write them: octal strings (`"0644"`, `"644"`), integers (YAML 1.1 reads
//! an unquoted `0644` as 420), or symbolic (`u=rw,g=r,o=r`, `a+X`), resolved as Ansible does.

use minijinja::Value;

/// A requested mode, before it is resolved against the file it applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Permission bits (`0o7777` at most).
    Bits(u32),
    /// A symbolic mode such as `u=rw,g=r`.
    Symbolic(String),
}

/// A mode that is neither octal nor valid symbolic notation.
#[derive(Debug, thiserror::Error)]
#[error("mode `{0}` must be in octal (\"0644\") or symbolic (\"u=rw,g=r,o=r\") form")]
pub struct ModeError(pub String);

const PERM_BITS: u32 = 0o7777;

impl Mode {
    /// Parses a task's `mode:` value.
    pub fn from_value(value: &Value) -> Result<Mode, ModeError> {
        if let Some(s) = value.as_str() {
            return Mode::parse(s);
        }
        match i64::try_from(value.clone()) {
            Ok(n) if (0..=i64::from(PERM_BITS)).contains(&n) => Ok(Mode::Bits(
                u32::try_from(n).map_err(|_| ModeError(n.to_string()))?,
            )),
            _ => Err(ModeError(value.to_string())),
        }
    }

    /// Parses a mode string: octal digits (with an optional `0o`), else symbolic.
    pub fn parse(s: &str) -> Result<Mode, ModeError> {
        let t = s.trim();
        let digits = t.strip_prefix("0o").unwrap_or(t);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return match u32::from_str_radix(digits, 8) {
                Ok(bits) if bits <= PERM_BITS => Ok(Mode::Bits(bits)),
                _ => Err(ModeError(s.to_string())),
            };
        }
        // Validate now so errors come before anything runs.
        resolve_symbolic(t, 0, false, 0o022).map(|_| Mode::Symbolic(t.to_string()))
    }

    /// The permission bits this mode gives a file whose current bits are `current`.
    /// `umask` applies to clauses without a `who` (`+x`), as in chmod.
    pub fn resolve(&self, current: u32, is_dir: bool, umask: u32) -> u32 {
        match self {
            Mode::Bits(bits) => *bits,
            Mode::Symbolic(s) => resolve_symbolic(s, current & PERM_BITS, is_dir, umask).unwrap_or(current),
        }
    }
}

/// Formats permission bits as Ansible prints them (`0644`, `01777`).
pub fn format_mode(bits: u32) -> String {
    format!("{bits:04o}")
}

fn resolve_symbolic(spec: &str, current: u32, is_dir: bool, umask: u32) -> Result<u32, ModeError> {
    let bad = || ModeError(spec.to_string());
    let mut mode = current;
    for clause in spec.split(',') {
        let op_at = clause.find(['+', '-', '=']).ok_or_else(bad)?;
        let who = &clause[..op_at];
        if !who.bytes().all(|b| b"ugoa".contains(&b)) {
            return Err(bad());
        }
        let use_umask = who.is_empty();
        let users: Vec<u8> = if who.is_empty() || who.contains('a') {
            b"ugo".to_vec()
        } else {
            who.bytes().collect()
        };
        // Split the rest into (operator, perms) pairs: `u=rw-x+X`.
        let rest = &clause[op_at..];
        let mut pairs: Vec<(u8, &str)> = Vec::new();
        let mut start = 0usize;
        let bytes = rest.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || b"+-=".contains(&bytes[i]) {
                pairs.push((bytes[start], &rest[start + 1..i]));
                start = i;
            }
        }
        for (op, perms) in pairs {
            if !perms.bytes().all(|b| b"rwxXstugo".contains(&b)) {
                return Err(bad());
            }
            for &user in &users {
                let apply = perms_bits(user, perms, mode, is_dir, use_umask, umask);
                mode = match op {
                    b'=' => {
                        let mask = match user {
                            b'u' => 0o4700,
                            b'g' => 0o2070,
                            _ => 0o1007,
                        };
                        (mode & (mask ^ PERM_BITS)) | apply
                    }
                    b'+' => mode | apply,
                    _ => mode & !apply,
                };
            }
        }
    }
    Ok(mode)
}

/// The bits `perms` stand for, for one of `u`, `g`, `o` (Ansible's table).
fn perms_bits(user: u8, perms: &str, prev: u32, is_dir: bool, use_umask: bool, umask: u32) -> u32 {
    let shift = match user {
        b'u' => 6,
        b'g' => 3,
        _ => 0,
    };
    let rev_umask = if use_umask { !umask & PERM_BITS } else { PERM_BITS };
    let apply_x = is_dir || prev & 0o111 != 0;
    let mut bits = 0;
    for p in perms.bytes() {
        bits |= match p {
            b'r' => (0o4 << shift) & rev_umask,
            b'w' => (0o2 << shift) & rev_umask,
            b'x' => (0o1 << shift) & rev_umask,
            b'X' if apply_x => 0o1 << shift,
            b's' if user == b'u' => 0o4000,
            b's' if user == b'g' => 0o2000,
            b't' if user == b'o' => 0o1000,
            b'u' => ((prev >> 6) & 0o7) << shift,
            b'g' => ((prev >> 3) & 0o7) << shift,
            b'o' => (prev & 0o7) << shift,
            _ => 0,
        };
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_forms() {
        assert_eq!(Mode::parse("0644").expect("valid"), Mode::Bits(0o644));
        assert_eq!(Mode::parse("755").expect("valid"), Mode::Bits(0o755));
        assert_eq!(Mode::parse("0o600").expect("valid"), Mode::Bits(0o600));
        assert_eq!(
            Mode::from_value(&Value::from(420)).expect("valid"),
            Mode::Bits(0o644)
        );
        assert!(Mode::parse("0999").is_err());
        assert!(Mode::parse("u=rw,q=r").is_err());
        assert!(Mode::parse("rw").is_err());
    }

    #[test]
    fn symbolic_like_ansible() {
        let m = |s: &str| Mode::parse(s).expect("valid");
        assert_eq!(m("u=rw,g=r,o=r").resolve(0o777, false, 0o022), 0o644);
        assert_eq!(m("u+x").resolve(0o644, false, 0o022), 0o744);
        assert_eq!(m("a+X").resolve(0o644, false, 0o022), 0o644);
        assert_eq!(m("a+X").resolve(0o644, true, 0o022), 0o755);
        assert_eq!(m("+w").resolve(0o444, false, 0o022), 0o644);
        assert_eq!(m("go-rwx").resolve(0o755, false, 0o022), 0o700);
        assert_eq!(m("u=rwx,g=u-w").resolve(0, false, 0o022), 0o750);
        assert_eq!(m("o+t").resolve(0o777, true, 0o022), 0o1777);
        assert_eq!(m("u+s").resolve(0o755, false, 0o022), 0o4755);
        assert_eq!(format_mode(0o644), "0644");
    }
}
