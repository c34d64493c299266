//! `password_hash`: crypt(3) hashes as ansible-core 2.19 makes them through passlib —
//! `sha512` (`$6$`), `sha256` (`$5$`), `md5` (`$1$`) and `blowfish` (bcrypt, `$2b$`), with
//! passlib's defaults as Ansible pins them (656000 / 535000 rounds, cost 12), its checks of salt
//! and rounds, and a random salt of passlib's length when none is given.

use minijinja::value::Value;
use minijinja::{Environment, Error};
use rand::Rng;

use super::args::{Bound, bind};
use super::{add, fail, text};

/// The crypt(3) alphabet (passlib's `HASH64_CHARS`, also bcrypt's with another order).
const CRYPT64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BCRYPT64: &[u8] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "password_hash", |_, v, a| password_hash(v, a));
}

/// The schemes, by Ansible's name and passlib's.
#[derive(Clone, Copy, PartialEq)]
enum Scheme {
    Md5,
    Bcrypt,
    Sha256,
    Sha512,
}

impl Scheme {
    fn parse(name: &str) -> Option<Scheme> {
        Some(match name {
            "md5" | "md5_crypt" => Scheme::Md5,
            "blowfish" | "bcrypt" => Scheme::Bcrypt,
            "sha256" | "sha256_crypt" => Scheme::Sha256,
            "sha512" | "sha512_crypt" => Scheme::Sha512,
            _ => return None,
        })
    }

    /// passlib's name, which its errors use.
    fn passlib(self) -> &'static str {
        match self {
            Scheme::Md5 => "md5_crypt",
            Scheme::Bcrypt => "bcrypt",
            Scheme::Sha256 => "sha256_crypt",
            Scheme::Sha512 => "sha512_crypt",
        }
    }

    fn max_salt(self) -> usize {
        match self {
            Scheme::Md5 => 8,
            Scheme::Bcrypt => 22,
            Scheme::Sha256 | Scheme::Sha512 => 16,
        }
    }

    /// Ansible's `implicit_rounds`, and passlib's bounds.
    fn rounds(self) -> Option<(i64, i64, i64)> {
        match self {
            Scheme::Md5 => None,
            Scheme::Bcrypt => Some((12, 4, 31)),
            Scheme::Sha256 => Some((535_000, 1000, 999_999_999)),
            Scheme::Sha512 => Some((656_000, 1000, 999_999_999)),
        }
    }
}

fn password_hash(value: Value, args: Vec<Value>) -> Result<Value, Error> {
    let a = bind(
        "password_hash",
        &["hashtype", "salt", "salt_size", "rounds", "ident"],
        args,
    )?;
    let hashtype = a.string("hashtype", "sha512");
    let scheme = Scheme::parse(&hashtype).ok_or_else(|| {
        fail(format!(
            "password_hash: {hashtype} is not in the list of supported passlib algorithms: \
             md5, blowfish, sha256, sha512"
        ))
    })?;
    let secret = value.as_str().ok_or_else(|| {
        fail(format!(
            "password_hash: secret must be unicode or bytes, not {}; give it a string \
             (`| string`)",
            crate::template::python::type_name(&value)
        ))
    })?;
    let could_not = |why: String| fail(format!("password_hash: Could not hash the secret: {why}"));
    let rounds = match (scheme.rounds(), optional(&a, "rounds")?) {
        (None, Some(_)) => {
            return Err(fail(
                "password_hash: md5_crypt takes no rounds; remove the rounds argument",
            ));
        }
        (None, None) => 0,
        (Some((default, _, _)), None) => default,
        (Some((_, min, _)), Some(r)) if r < min => {
            return Err(could_not(format!(
                "{}: min_desired_rounds ({r}) is too low, must be at least {min}",
                scheme.passlib()
            )));
        }
        (Some((_, _, max)), Some(r)) if r > max => {
            return Err(could_not(format!(
                "{}: min_desired_rounds ({r}) is too large, cannot be more than {max}",
                scheme.passlib()
            )));
        }
        (Some(_), Some(r)) => r,
    };
    let salt = match a.get("salt").filter(|s| s.is_true()) {
        Some(salt) => check_salt(scheme, &text(salt)).map_err(could_not)?,
        None => random_salt(scheme, optional(&a, "salt_size")?).map_err(could_not)?,
    };
    let hash = match scheme {
        Scheme::Md5 => md5_crypt(secret.as_bytes(), salt.as_bytes()),
        Scheme::Sha256 | Scheme::Sha512 => sha_crypt(scheme, secret, &salt, rounds)?,
        Scheme::Bcrypt => {
            let ident = match a.get("ident").filter(|i| i.is_true()) {
                Some(i) => text(i),
                None => "2b".to_string(),
            };
            bcrypt(secret, &salt, rounds, &ident).map_err(could_not)?
        }
    };
    Ok(Value::from(hash))
}

/// An optional integer argument (`None`, absent and 0 mean "not given", as in Ansible).
fn optional(a: &Bound, name: &str) -> Result<Option<i64>, Error> {
    let Some(v) = a.get(name).filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let n = v
        .as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .ok_or_else(|| fail(format!("password_hash: {name} must be an integer, got {v}")))?;
    Ok((n != 0).then_some(n))
}

fn check_salt(scheme: Scheme, salt: &str) -> Result<String, String> {
    let max = scheme.max_salt();
    if scheme == Scheme::Bcrypt && salt.len() < max {
        return Err(format!("salt too small (bcrypt requires exactly {max} chars)"));
    }
    if salt.len() > max {
        let need = if scheme == Scheme::Bcrypt { "exactly" } else { "<=" };
        return Err(format!(
            "salt too large ({} requires {need} {max} chars)",
            scheme.passlib()
        ));
    }
    if !salt.bytes().all(|b| CRYPT64.contains(&b)) {
        return Err(format!("invalid characters in {} salt", scheme.passlib()));
    }
    Ok(salt.to_string())
}

/// passlib's random salt: `salt_size` (default the scheme's largest) characters of the crypt
/// alphabet; bcrypt's last character carries only two bits.
fn random_salt(scheme: Scheme, size: Option<i64>) -> Result<String, String> {
    let max = scheme.max_salt() as i64;
    let size = match (scheme, size) {
        (Scheme::Bcrypt, Some(n)) if n != max => {
            return Err(format!("bcrypt: salt_size ({n}) must be exactly {max}"));
        }
        (_, Some(n)) if n > max => {
            return Err(format!(
                "{}: salt_size ({n}) above max_salt_size ({max})",
                scheme.passlib()
            ));
        }
        (_, Some(n)) if n < 0 => return Err(format!("salt_size ({n}) must be positive")),
        (_, Some(n)) => n as usize,
        (_, None) => max as usize,
    };
    let mut rng = rand::rng();
    let mut salt: String = (0..size)
        .map(|_| CRYPT64[rng.random_range(0..CRYPT64.len())] as char)
        .collect();
    if scheme == Scheme::Bcrypt {
        salt.pop();
        salt.push(b".Oeu"[rng.random_range(0..4)] as char);
    }
    Ok(salt)
}

fn sha_crypt(scheme: Scheme, secret: &str, salt: &str, rounds: i64) -> Result<String, Error> {
    let rounds = usize::try_from(rounds).map_err(|_| fail("password_hash: rounds out of range"))?;
    let bad = |e: sha_crypt::CryptError| fail(format!("password_hash: {e:?}"));
    let (id, digest) = if scheme == Scheme::Sha512 {
        let params = sha_crypt::Sha512Params::new(rounds).map_err(bad)?;
        let d = sha_crypt::sha512_crypt_b64(secret.as_bytes(), salt.as_bytes(), &params);
        ("6", d.map_err(bad)?)
    } else {
        let params = sha_crypt::Sha256Params::new(rounds).map_err(bad)?;
        let d = sha_crypt::sha256_crypt_b64(secret.as_bytes(), salt.as_bytes(), &params);
        ("5", d.map_err(bad)?)
    };
    // passlib leaves the default number of rounds implicit, as crypt(3) does.
    if rounds == 5000 {
        Ok(format!("${id}${salt}${digest}"))
    } else {
        Ok(format!("${id}$rounds={rounds}${salt}${digest}"))
    }
}

fn bcrypt(secret: &str, salt: &str, cost: i64, ident: &str) -> Result<String, String> {
    let version = match ident {
        "2a" => bcrypt::Version::TwoA,
        "2b" => bcrypt::Version::TwoB,
        "2y" => bcrypt::Version::TwoY,
        other => {
            return Err(format!(
                "invalid ident: '{other}' (playhook supports 2a, 2b and 2y)"
            ));
        }
    };
    // The salt's 22 characters hold 132 bits: the first 128 are the raw salt, the last 4 are
    // dropped (passlib's `repair_unused`).
    let mut bits: u128 = 0;
    let mut raw = [0u8; 16];
    let mut filled = 0;
    let mut n = 0u32;
    for c in salt.bytes() {
        let v = BCRYPT64
            .iter()
            .position(|x| *x == c)
            .ok_or("invalid characters in bcrypt salt")?;
        bits = (bits << 6) | v as u128;
        n += 6;
        while n >= 8 && filled < 16 {
            n -= 8;
            raw[filled] = (bits >> n) as u8;
            filled += 1;
        }
    }
    // passlib truncates secrets to bcrypt's 72 bytes.
    let bytes = &secret.as_bytes()[..secret.len().min(72)];
    let parts = bcrypt::hash_with_salt(bytes, cost as u32, raw).map_err(|e| e.to_string())?;
    Ok(parts.format_for_version(version))
}

/// The MD5-based crypt of FreeBSD (`$1$`), as passlib's `md5_crypt`.
fn md5_crypt(secret: &[u8], salt: &[u8]) -> String {
    use md5::{Digest, Md5};
    let mut alt = Md5::new();
    alt.update(secret);
    alt.update(salt);
    alt.update(secret);
    let alt = alt.finalize();

    let mut ctx = Md5::new();
    ctx.update(secret);
    ctx.update(b"$1$");
    ctx.update(salt);
    let mut n = secret.len();
    while n > 0 {
        ctx.update(&alt[..n.min(16)]);
        n = n.saturating_sub(16);
    }
    let mut i = secret.len();
    while i > 0 {
        if i & 1 == 1 {
            ctx.update([0u8]);
        } else {
            ctx.update(&secret[..1]);
        }
        i >>= 1;
    }
    let mut digest = ctx.finalize();
    for round in 0..1000 {
        let mut c = Md5::new();
        if round & 1 == 1 {
            c.update(secret);
        } else {
            c.update(digest);
        }
        if round % 3 != 0 {
            c.update(salt);
        }
        if round % 7 != 0 {
            c.update(secret);
        }
        if round & 1 == 1 {
            c.update(digest);
        } else {
            c.update(secret);
        }
        digest = c.finalize();
    }
    let d = digest;
    let mut out = format!("$1${}$", String::from_utf8_lossy(salt));
    for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        let v = (u32::from(d[a]) << 16) | (u32::from(d[b]) << 8) | u32::from(d[c]);
        push64(&mut out, v, 4);
    }
    push64(&mut out, u32::from(d[11]), 2);
    out
}

fn push64(out: &mut String, mut v: u32, n: usize) {
    for _ in 0..n {
        out.push(CRYPT64[(v & 0x3f) as usize] as char);
        v >>= 6;
    }
}

#[cfg(test)]
mod tests {
    use crate::template::render_without_vars as render;

    #[test]
    fn hashes_match_passlib() {
        // Outputs of ansible-core 2.19's filter (passlib 1.7.4).
        for (src, want) in [
            (
                "{{ 'secret' | password_hash('md5', 'abcdefgh') }}",
                "$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1",
            ),
            (
                "{{ 'secret' | password_hash('sha256', 'abcdefgh', rounds=10000) }}",
                "$5$rounds=10000$abcdefgh$xH5OIv1xXYrZ3ShkQqwef3DzYdGY9C2Tq1B2B75WTC0",
            ),
            (
                "{{ 'secret' | password_hash('blowfish', 'abcdefghijklmnopqrstuv', rounds=5, ident='2a') }}",
                "$2a$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a",
            ),
        ] {
            assert_eq!(render(src).as_deref(), Ok(want), "{src}");
        }
    }

    #[test]
    fn bad_input_is_named() {
        for (src, want) in [
            (
                "\n{{ 'x' | password_hash('nope') }}",
                "line 2: password_hash: nope is not in the list of supported passlib algorithms",
            ),
            (
                "{{ 'x' | password_hash('sha512', 'a$b') }}",
                "line 1: password_hash: Could not hash the secret: invalid characters in sha512_crypt salt",
            ),
            (
                "{{ 'x' | password_hash('sha512', rounds=999) }}",
                "line 1: password_hash: Could not hash the secret: sha512_crypt: min_desired_rounds (999) is too low",
            ),
            (
                "{{ 5 | password_hash('sha512') }}",
                "line 1: password_hash: secret must be unicode or bytes, not int",
            ),
        ] {
            let got = render(src).expect_err(src);
            assert!(got.starts_with(want), "{src}: {got}");
        }
    }

    #[test]
    fn random_salts_have_passlibs_shape() {
        let sha = render("{{ 'x' | password_hash }}").expect("renders");
        let parts: Vec<&str> = sha.split('$').collect();
        assert_eq!(parts[..3], ["", "6", "rounds=656000"]);
        assert_eq!((parts[3].len(), parts[4].len()), (16, 86));
        let md5 = render("{{ 'x' | password_hash('md5') }}").expect("renders");
        assert_eq!(md5.split('$').nth(2).map(str::len), Some(8));
        let bf = render("{{ 'x' | password_hash('blowfish', rounds=4) }}").expect("renders");
        assert_eq!((bf.len(), &bf[..7]), (60, "$2b$04$"));
        assert!(".Oeu".contains(&bf[28..29]), "{bf}");
    }
}
