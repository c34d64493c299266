//! ansible.utils' address filters, as its 6.0 collection computes them with netaddr 1.3:
//! `ipaddr`, `ipv4`, `ipv6` (with their queries), `ipwrap`, `ipmath`, `ipsubnet`, `nthhost`,
//! `next_nth_usable`, `previous_nth_usable`, `network_in_usable`, `network_in_network`. Old
//! roles name them bare (`ipaddr`), newer ones `ansible.utils.ipaddr` or
//! `ansible.netcommon.ipaddr` (see `fqcn.rs`).

mod net;
mod query;

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error};

use self::net::{Net, parse, parse_ip};
use self::query::{Vtype, first_last, ipaddr, read};
use super::args::bind;
use super::{add, fail, text};
use crate::template::python::type_name;

pub(super) fn register(env: &mut Environment<'static>) {
    for (name, version) in [("ipaddr", None), ("ipv4", Some(4)), ("ipv6", Some(6))] {
        add(env, name, move |_, v, a| {
            let a = bind(name, &["query"], a)?;
            if !matches!(
                v.kind(),
                ValueKind::String | ValueKind::Seq | ValueKind::Number | ValueKind::Bool
            ) || v.as_str().is_none() && v.kind() == ValueKind::Number && v.as_i64().is_none()
            {
                return Err(unrecognized(name, &v));
            }
            ipaddr(&v, &a.string("query", ""), version, name)
        });
    }
    add(env, "ipwrap", |_, v, a| {
        let a = bind("ipwrap", &["query"], a)?;
        if !matches!(v.kind(), ValueKind::String | ValueKind::Seq | ValueKind::Bool) {
            return Err(unrecognized("ipwrap", &v));
        }
        ipwrap(&v, &a.string("query", ""))
    });
    add(env, "ipmath", |_, v, a| {
        let a = bind("ipmath", &["amount"], a)?;
        ipmath(&v, a.required("amount")?)
    });
    add(env, "ipsubnet", |_, v, a| {
        let a = bind("ipsubnet", &["query", "index"], a)?;
        let index = match a.get("index").filter(|i| !i.is_none()) {
            Some(i) => Some(integer("ipsubnet", "index", i)?),
            None => None,
        };
        ipsubnet(&v, &a.string("query", ""), index)
    });
    add(env, "nthhost", |_, v, a| {
        let a = bind("nthhost", &["query"], a)?;
        Ok(nthhost(&v, &a.string("query", "")))
    });
    for (name, sign) in [("next_nth_usable", 1i128), ("previous_nth_usable", -1)] {
        add(env, name, move |_, v, a| {
            let a = bind(name, &["offset"], a)?;
            let offset = integer(name, "offset", a.required("offset")?)?;
            nth_usable(&v, sign * offset)
        });
    }
    for (name, usable) in [("network_in_usable", true), ("network_in_network", false)] {
        add(env, name, move |_, v, a| {
            let a = bind(name, &["test"], a)?;
            network_in(name, &v, a.required("test")?, usable)
        });
    }
}

fn unrecognized(name: &str, v: &Value) -> Error {
    fail(format!(
        "{name}: Unrecognized type <class '{}'> for {name} filter <value>; give it an address, \
         a network or a list of them",
        type_name(v)
    ))
}

fn integer(filter: &str, name: &str, v: &Value) -> Result<i128, Error> {
    v.as_i64()
        .map(i128::from)
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .ok_or_else(|| fail(format!("{filter}: {name} must be an integer, got {}", text(v))))
}

fn ipwrap(value: &Value, query: &str) -> Result<Value, Error> {
    let wrap = |v: &Value| -> Result<Value, Error> {
        let found = ipaddr(v, query, None, "ipwrap").unwrap_or(Value::from(false));
        if found.is_true() {
            ipaddr(&found, "wrap", None, "ipwrap")
        } else {
            Ok(v.clone())
        }
    };
    if value.kind() == ValueKind::Seq {
        let mut out = Vec::new();
        for item in value.try_iter()? {
            let found = ipaddr(&item, query, None, "ipwrap").unwrap_or(Value::from(false));
            out.push(if found.is_true() {
                ipaddr(&item, "wrap", None, "ipwrap")?
            } else {
                item
            });
        }
        return Ok(Value::from(out));
    }
    wrap(value)
}

fn ipmath(value: &Value, amount: &Value) -> Result<Value, Error> {
    let s = text(value);
    let parsed = if s.contains('/') {
        parse(&s).map(|n| (n.v6, n.ip))
    } else {
        parse_ip(&s)
    };
    let Some((v6, ip)) = parsed else {
        return Err(fail(format!(
            "ipmath: You must pass a valid IP address; {s} is invalid"
        )));
    };
    let Some(amount) = amount.as_i64().filter(|_| amount.kind() == ValueKind::Number) else {
        return Err(fail(format!(
            "ipmath: You must pass an integer for arithmetic; {} is not a valid integer",
            text(amount)
        )));
    };
    let max = if v6 { u128::MAX } else { u32::MAX as u128 };
    let result = if amount >= 0 {
        ip.checked_add(amount as u128)
    } else {
        ip.checked_sub(amount.unsigned_abs() as u128)
    };
    match result.filter(|r| *r <= max) {
        Some(r) => Ok(Value::from(net::format_ip(v6, r))),
        None => Err(fail(format!(
            "ipmath: {s} + {amount} is outside the valid IP address boundary"
        ))),
    }
}

/// The network named by an address (`a` as `a/32`) or a network, as the helpers read it.
fn cidr_of(value: &Value) -> Option<Net> {
    let input = read(value, None)?;
    Some(input.v)
}

fn nthhost(value: &Value, query: &str) -> Value {
    let (Some(v), false) = (cidr_of(value), query.is_empty()) else {
        return Value::from(false);
    };
    let Ok(n) = query.trim().parse::<i128>() else {
        return Value::from(false);
    };
    let size = v.size().map(|s| s as i128).unwrap_or(i128::MAX);
    let n = if n < 0 { n + size } else { n };
    if size > n && n >= 0 {
        Value::from(v.addr(v.network() + n as u128))
    } else {
        Value::from(false)
    }
}

fn nth_usable(value: &Value, offset: i128) -> Result<Value, Error> {
    let Some(v) = cidr_of(value) else {
        return Ok(Value::from(false));
    };
    let Some((first, last)) = first_last(&v) else {
        return Ok(Value::from(()));
    };
    let nth = v.ip as i128 + offset;
    if nth >= 0 && first <= nth as u128 && nth as u128 <= last {
        Ok(Value::from(v.addr(nth as u128)))
    } else {
        Ok(Value::from(()))
    }
}

fn network_in(name: &str, value: &Value, test: &Value, usable: bool) -> Result<Value, Error> {
    let bad = |v: &Value| {
        fail(format!(
            "{name}: {} is not an address or a network; give it one such as 192.168.0.0/24",
            text(v)
        ))
    };
    let outer = cidr_of(value).ok_or_else(|| bad(value))?;
    let inner = cidr_of(test).ok_or_else(|| bad(test))?;
    let outer = Net {
        ip: outer.network(),
        ..outer
    };
    // ansible.utils takes a network's last address from `broadcast`, which netaddr leaves
    // out for /31 and /32: their last address is then their first.
    let last_of = |n: &Net| if n.size_over(2) { n.last() } else { n.network() };
    let (first, last) = match (usable, first_last(&outer)) {
        (true, Some(range)) => range,
        (true, None) => (outer.network(), outer.network()),
        (false, _) => (outer.network(), last_of(&outer)),
    };
    let (w_first, w_last) = (inner.network(), last_of(&inner));
    // The addresses are compared as numbers, whatever their family, as ansible.utils does.
    let inside = first <= w_first && w_last <= last;
    Ok(Value::from(inside))
}

fn ipsubnet(value: &Value, query: &str, index: Option<i128>) -> Result<Value, Error> {
    let Some(input) = read(value, None) else {
        return Ok(Value::from(false));
    };
    let v = Net {
        ip: input.v.network(),
        ..input.v
    };
    if query.is_empty() {
        return Ok(Value::from(v.cidr_text()));
    }
    let vtype = if v.size_is(1) {
        Vtype::Address
    } else {
        Vtype::Network
    };
    let bits = v.bits();
    if !query.is_empty() && query.chars().all(|c| c.is_ascii_digit()) {
        let Ok(q) = query.parse::<u32>() else {
            return Ok(Value::from(false));
        };
        if q > bits {
            return Ok(Value::from(false));
        }
        let supernet = |p: u32| {
            let n = Net { prefix: p, ..v };
            Net { ip: n.network(), ..n }
        };
        return Ok(match (index, vtype) {
            (None, Vtype::Address) => Value::from(supernet(q).cidr_text()),
            (None, Vtype::Network) => {
                if q < v.prefix {
                    return Err(fail(format!(
                        "ipsubnet: Requested subnet size of {q} is invalid; ask for a prefix of \
                         at least {}",
                        v.prefix
                    )));
                }
                Value::from(
                    1u128
                        .checked_shl(q - v.prefix)
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "340282366920938463463374607431768211456".into()),
                )
            }
            (Some(i), Vtype::Address) => {
                // netaddr's `supernet(q)`: the supernets of prefix q .. prefix-1.
                let list: Vec<Net> = (q..v.prefix).map(supernet).collect();
                let len = list.len() as i128;
                if i > i128::from(bits) + 1 - i || i < i128::from(q) - i128::from(bits) {
                    return Ok(Value::from(false));
                }
                let at = if i < 0 { i + len } else { i };
                match usize::try_from(at).ok().and_then(|at| list.get(at)) {
                    Some(n) => Value::from(n.cidr_text()),
                    None => {
                        return Err(fail(format!(
                            "ipsubnet: index {i} is out of range of the {len} supernets"
                        )));
                    }
                }
            }
            (Some(i), Vtype::Network) => {
                if q < v.prefix {
                    return Ok(Value::from(false));
                }
                let count = 1i128.checked_shl(q - v.prefix).unwrap_or(i128::MAX);
                let i = if i < 0 { i + count } else { i };
                if i < 0 || i >= count {
                    return Ok(Value::from(false));
                }
                let step = 1u128.checked_shl(bits - q).unwrap_or(0);
                let ip = v.network() + (i as u128) * step;
                Value::from(Net { ip, prefix: q, ..v }.cidr_text())
            }
        });
    }
    let Some(outer) = read(&Value::from(query), None) else {
        return Err(fail(format!(
            "ipsubnet: You must pass a valid subnet or IP address; {query} is invalid"
        )));
    };
    let q = Net {
        ip: outer.v.network(),
        ..outer.v
    };
    let shift = |x: u128, by: u32| x.checked_shr(by).unwrap_or(0);
    if v.v6 == q.v6 && shift(v.ip, bits - q.prefix) == shift(q.ip, bits - q.prefix) {
        let low = bits - v.prefix;
        let width = v.prefix.saturating_sub(q.prefix);
        let mask = 1u128
            .checked_shl(width)
            .map(|m| m - 1)
            .unwrap_or(u128::MAX)
            .checked_shl(low)
            .unwrap_or(0);
        return Ok(Value::from((shift(v.ip & mask, low) + 1).to_string()));
    }
    Err(fail(format!(
        "ipsubnet: {} is not in the subnet {}",
        v.cidr_text(),
        q.cidr_text()
    )))
}

#[cfg(test)]
mod tests {
    use crate::template::render_without_vars as render;

    #[test]
    fn bare_names_are_the_collections() {
        let src = "{{ '10.1.2.3/8' | ipaddr('network') }} {{ '10.1.2.3/8' | ansible.utils.ipaddr('network') }} {{ '::1' | ipv4 }}";
        assert_eq!(render(src).as_deref(), Ok("10.0.0.0 10.0.0.0 False"));
    }

    #[test]
    fn bad_input_is_named() {
        for (src, want) in [
            (
                "\n{{ none | ipaddr }}",
                "line 2: ipaddr: Unrecognized type <class 'NoneType'> for ipaddr filter <value>",
            ),
            (
                "{{ '10.0.0.1' | ansible.utils.ipaddr('nope') }}",
                "line 1: ipaddr: unknown filter type: nope; use a query such as",
            ),
            (
                "{{ '10.0.0.1' | ipaddr('first_usable') }}",
                "line 1: ipaddr: Not a network address",
            ),
            (
                "{{ 'web01' | ipmath(1) }}",
                "line 1: ipmath: You must pass a valid IP address; web01 is invalid",
            ),
            (
                "{{ '10.0.0.1' | ipmath('1') }}",
                "line 1: ipmath: You must pass an integer for arithmetic",
            ),
            (
                "{{ '255.255.255.255' | ipmath(1) }}",
                "line 1: ipmath: 255.255.255.255 + 1 is outside",
            ),
            (
                "{{ 'x' | network_in_usable('10.0.0.1') }}",
                "line 1: network_in_usable: x is not an address or a network",
            ),
        ] {
            let got = render(src).expect_err(src);
            assert!(got.starts_with(want), "{src}: {got}");
        }
    }
}
