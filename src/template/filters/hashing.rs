//! Hashes of a string's UTF-8 bytes: `hash(type)`, `md5`, `sha1`, `checksum`, and `to_uuid`
//! (a version 5 UUID in Ansible's namespace).

use md5::Md5;
use minijinja::value::{Rest, Value};
use minijinja::{Environment, Error};
use sha1::{Digest, Sha1};
use sha2::{Sha224, Sha256, Sha384, Sha512};

use super::args::bind;
use super::{add, fail, text};

/// ansible-core's `UUID_NAMESPACE_ANSIBLE`.
const ANSIBLE_NAMESPACE: &str = "361E6D51-FAEC-444A-9079-341386DA8E2E";

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "hash", |_, v, a| hash(v, Rest(a)));
    add(env, "md5", |_, v, a| {
        bind("md5", &[], a)?;
        Ok(Value::from(hex::encode(Md5::digest(text(&v).as_bytes()))))
    });
    add(env, "to_uuid", |_, v, a| {
        let a = bind("to_uuid", &["namespace"], a)?;
        let ns = a.string("namespace", ANSIBLE_NAMESPACE);
        let ns = uuid::Uuid::parse_str(&ns).map_err(|e| {
            fail(format!(
                "to_uuid: Invalid value '{ns}' for 'namespace': {e}; give a UUID such as {ANSIBLE_NAMESPACE}"
            ))
        })?;
        Ok(Value::from(
            uuid::Uuid::new_v5(&ns, text(&v).as_bytes()).to_string(),
        ))
    });
    for name in ["sha1", "checksum"] {
        add(env, name, move |_, v, a| {
            bind(name, &[], a)?;
            Ok(Value::from(hex::encode(Sha1::digest(text(&v).as_bytes()))))
        });
    }
}

fn hash(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    let a = bind("hash", &["hashtype"], args.0)?;
    let data = text(&value);
    let data = data.as_bytes();
    let digest = match a.string("hashtype", "sha1").as_str() {
        "md5" => hex::encode(Md5::digest(data)),
        "sha1" => hex::encode(Sha1::digest(data)),
        "sha224" => hex::encode(Sha224::digest(data)),
        "sha256" => hex::encode(Sha256::digest(data)),
        "sha384" => hex::encode(Sha384::digest(data)),
        "sha512" => hex::encode(Sha512::digest(data)),
        other => {
            return Err(fail(format!(
                "unsupported hash type {other}; supported: md5, sha1, sha224, sha256, sha384, sha512"
            )));
        }
    };
    Ok(Value::from(digest))
}
