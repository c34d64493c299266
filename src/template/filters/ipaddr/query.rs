//! `ipaddr(value, query, version)` as ansible.utils' `ipaddr_utils.ipaddr` computes it: the
//! input read as an address or network (numbers and numeric CIDRs too), then one query. What
//! is not an address gives `False`; a query for which the address has no answer gives `None`.

use minijinja::Error;
use minijinja::value::{Value, ValueKind};

use super::net::{Net, format_ip, net, parse};
use crate::template::filters::{fail, text};

/// Whether the input was written as an address or as a network (`a/len`).
#[derive(Clone, Copy, PartialEq)]
pub enum Vtype {
    Address,
    Network,
}

/// A parsed input: the network, how it was written, and the value returned by the queries
/// that answer with the input itself.
pub struct Input {
    pub v: Net,
    pub vtype: Vtype,
    pub value: Value,
}

/// The input read as ansible.utils reads it, or `None` where it answers `False`.
pub fn read(value: &Value, version: Option<u8>) -> Option<Input> {
    if !value.is_true() || value.kind() == ValueKind::Bool {
        return None;
    }
    let s = text(value);
    let numeric = matches!(value.kind(), ValueKind::Number | ValueKind::String)
        && !s.is_empty()
        && s.chars().all(|c| c.is_ascii_digit());
    if numeric {
        let n: u128 = s.parse().ok()?;
        let v6 = version == Some(6) || n > u32::MAX as u128;
        let v = Net {
            v6,
            ip: n,
            prefix: if v6 { 128 } else { 32 },
        };
        return Some(Input {
            value: Value::from(v.cidr_text()),
            v,
            vtype: Vtype::Address,
        });
    }
    let s = value.as_str()?;
    if let Some(v) = parse(s) {
        let vtype = if s.split('/').count() == 2 {
            Vtype::Network
        } else {
            Vtype::Address
        };
        return Some(Input {
            v,
            vtype,
            value: value.clone(),
        });
    }
    // A numerical CIDR: `3232235777/24`.
    let (a, p) = s.split_once('/')?;
    let (a, p): (i128, i128) = (a.trim().parse().ok()?, p.trim().parse().ok()?);
    let v = [false, true].into_iter().find_map(|v6| {
        let (bits, max) = if v6 {
            (128, u128::MAX)
        } else {
            (32, u32::MAX as u128)
        };
        (a >= 0 && (a as u128) <= max && (0..=bits).contains(&p)).then_some(Net {
            v6,
            ip: a as u128,
            prefix: p as u32,
        })
    })?;
    Some(Input {
        value: Value::from(v.cidr_text()),
        v,
        vtype: Vtype::Network,
    })
}

/// `ipaddr(value, query, version)`, lists included; `alias` names the filter in errors.
pub fn ipaddr(value: &Value, query: &str, version: Option<u8>, alias: &str) -> Result<Value, Error> {
    if matches!(value.kind(), ValueKind::Seq | ValueKind::Iterable) {
        let mut out = Vec::new();
        for item in value.try_iter()? {
            let r = ipaddr(&item, query, version, alias)?;
            if r.is_true() {
                out.push(r);
            }
        }
        return Ok(Value::from(out));
    }
    let Some(input) = read(value, version) else {
        return Ok(Value::from(false));
    };
    // A query that is itself a network asks whether the input is inside it.
    let lookup = (!query.is_empty() && !KNOWN.contains(&query) && !is_digits(query))
        .then(|| read(&Value::from(query), None))
        .flatten();
    if version.is_some_and(|want| input.v.version() != want) {
        return Ok(Value::from(false));
    }
    if let Some(list) = lookup {
        let inside = list.v.contains(&Net {
            ip: input.v.network(),
            ..input.v
        });
        return Ok(if inside { input.value } else { Value::from(()) });
    }
    answer(&input, query, alias)
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

/// Every query ansible.utils knows (besides an index and a network to look in).
pub const KNOWN: &[&str] = &[
    "",
    "6to4",
    "address",
    "address/prefix",
    "bool",
    "broadcast",
    "cidr",
    "first_usable",
    "gateway",
    "gw",
    "host",
    "host/prefix",
    "hostmask",
    "hostnet",
    "int",
    "ip",
    "ip/prefix",
    "ip_netmask",
    "ipv4",
    "ipv6",
    "last_usable",
    "link-local",
    "lo",
    "loopback",
    "multicast",
    "net",
    "next_usable",
    "netmask",
    "network",
    "network_id",
    "network/prefix",
    "network_netmask",
    "network_wildcard",
    "peer",
    "prefix",
    "previous_usable",
    "private",
    "public",
    "range_usable",
    "revdns",
    "router",
    "size",
    "size_usable",
    "subnet",
    "type",
    "unicast",
    "v4",
    "v6",
    "version",
    "wildcard",
    "wrap",
];

fn none() -> Value {
    Value::from(())
}

fn int(n: u128) -> Value {
    match i64::try_from(n) {
        Ok(n) => Value::from(n),
        Err(_) => Value::from(n),
    }
}

fn answer(input: &Input, query: &str, alias: &str) -> Result<Value, Error> {
    let Input { v, vtype, value } = input;
    let (v, vtype) = (*v, *vtype);
    let s = |x: String| Value::from(x);
    let ip = v.addr(v.ip);
    let ip_prefix = format!("{ip}/{}", v.prefix);
    let is_net = v.ip == v.network();
    let not_a_network = || {
        fail(format!(
            "{alias}: Not a network address; give it a network (a/len)"
        ))
    };
    Ok(match query {
        "" => match vtype {
            Vtype::Address => s(ip),
            Vtype::Network => s(v.cidr_text()),
        },
        "address" | "ip" => {
            if v.size_is(1) || !is_net || v.broadcast().is_none() || v.v6 {
                s(ip)
            } else {
                none()
            }
        }
        "address/prefix" | "gateway" | "gw" | "host/prefix" | "hostnet" | "router" => {
            if v.size_over(2) && (is_net || Some(v.ip) == v.broadcast()) {
                Value::from(false)
            } else {
                s(ip_prefix)
            }
        }
        "bool" => Value::from(true),
        "broadcast" => match v.broadcast() {
            Some(b) if v.size_over(2) => s(v.addr(b)),
            _ => none(),
        },
        "cidr" => s(v.cidr_text()),
        "first_usable" | "last_usable" | "next_usable" | "previous_usable" | "range_usable"
            if vtype == Vtype::Address =>
        {
            return Err(not_a_network());
        }
        "first_usable" => {
            if v.size_is(2) {
                s(v.addr(v.network()))
            } else if v.size_over(1) {
                s(v.addr(v.network() + 1))
            } else {
                none()
            }
        }
        "last_usable" | "range_usable" | "next_usable" | "previous_usable" => {
            let Some((first, last)) = first_last(&v) else {
                return Ok(none());
            };
            match query {
                "last_usable" => s(v.addr(last)),
                "range_usable" => s(format!("{}-{}", v.addr(first), v.addr(last))),
                "next_usable" => match v.ip.checked_add(1) {
                    Some(n) if first <= n && n <= last => s(v.addr(n)),
                    _ => none(),
                },
                _ => match v.ip.checked_sub(1) {
                    Some(n) if first <= n && n <= last => s(v.addr(n)),
                    _ => none(),
                },
            }
        }
        "host" => {
            if v.size_is(1) {
                s(v.cidr_text())
            } else if !is_net || v.broadcast().is_none() {
                s(ip_prefix)
            } else {
                none()
            }
        }
        "hostmask" | "wildcard" => s(v.addr(v.hostmask())),
        "int" => match vtype {
            Vtype::Address => int(v.ip),
            Vtype::Network => s(format!("{}/{}", v.ip, v.prefix)),
        },
        "ip/prefix" => {
            if v.size_is(2) || (v.size_over(1) && !is_net) {
                s(ip_prefix)
            } else {
                none()
            }
        }
        "ip_netmask" => {
            if v.size_is(2) || (v.size_over(1) && !is_net) {
                s(format!("{ip} {}", v.addr(v.netmask())))
            } else {
                none()
            }
        }
        "ipv4" | "v4" => {
            if !v.v6 {
                value.clone()
            } else {
                match to_ipv4(&v) {
                    Some(n) => s(n.cidr_text()),
                    None => Value::from(false),
                }
            }
        }
        "ipv6" | "v6" => {
            if v.v6 {
                value.clone()
            } else {
                s(Net {
                    v6: true,
                    ip: v.ip | 0xffff_0000_0000,
                    prefix: v.prefix + 96,
                }
                .cidr_text())
            }
        }
        "link-local" => {
            let range = if v.v6 { "fe80::/10" } else { "169.254.0.0/16" };
            if net(range).contains_ip(v.ip) {
                value.clone()
            } else {
                none()
            }
        }
        "lo" | "loopback" => {
            let range = if v.v6 { "::1/128" } else { "127.0.0.0/8" };
            if net(range).contains_ip(v.ip) {
                value.clone()
            } else {
                none()
            }
        }
        "multicast" | "unicast" => {
            let multicast = net(if v.v6 { "ff00::/8" } else { "224.0.0.0/4" }).contains(&v);
            if multicast == (query == "multicast") {
                value.clone()
            } else {
                none()
            }
        }
        "net" => {
            if v.size_over(1) && is_net {
                s(format!("{}/{}", v.addr(v.network()), v.prefix))
            } else {
                none()
            }
        }
        "netmask" => s(v.addr(v.netmask())),
        "network" | "network_id" => s(v.addr(v.network())),
        "network/prefix" | "subnet" => s(format!("{}/{}", v.addr(v.network()), v.prefix)),
        "network_netmask" => s(format!("{} {}", v.addr(v.network()), v.addr(v.netmask()))),
        "network_wildcard" => s(format!("{} {}", v.addr(v.network()), v.addr(v.hostmask()))),
        "peer" => {
            if vtype == Vtype::Address {
                return Err(not_a_network());
            }
            if v.size_is(2) {
                s(v.addr(v.ip ^ 1))
            } else if v.size_is(4) {
                match v.ip % 4 {
                    0 => return Err(fail(format!("{alias}: Network address of /30 has no peer"))),
                    3 => {
                        return Err(fail(format!("{alias}: Broadcast address of /30 has no peer")));
                    }
                    _ => s(v.addr(v.ip ^ 3)),
                }
            } else {
                return Err(fail(format!("{alias}: Not a point-to-point network")));
            }
        }
        "prefix" => Value::from(v.prefix),
        "private" => {
            if is_global(v.v6, v.ip) {
                none()
            } else {
                value.clone()
            }
        }
        "public" => {
            let unicast = !net(if v.v6 { "ff00::/8" } else { "224.0.0.0/4" }).contains_ip(v.ip);
            let loopback = net(if v.v6 { "::1/128" } else { "127.0.0.0/8" }).contains_ip(v.ip);
            let max = v.max();
            let is_hostmask = v.ip.wrapping_add(1) & v.ip == 0 || v.ip == max;
            let inverted = (v.ip ^ max).wrapping_add(1);
            let is_netmask = inverted & inverted.wrapping_sub(1) == 0;
            if unicast && is_global(v.v6, v.ip) && !loopback && !is_netmask && !is_hostmask {
                value.clone()
            } else {
                none()
            }
        }
        "revdns" => s(revdns(&v)),
        "size" => match v.size() {
            Some(n) => int(n),
            None => s("340282366920938463463374607431768211456".to_string()),
        },
        "size_usable" => match v.size() {
            Some(1) => Value::from(0),
            Some(2) => Value::from(2),
            Some(n) => int(n - 2),
            None => int(u128::MAX - 1),
        },
        "type" => {
            if v.size_is(1) || !is_net {
                s("address".to_string())
            } else {
                s("network".to_string())
            }
        }
        "version" => Value::from(v.version()),
        "wrap" => {
            if !v.v6 {
                value.clone()
            } else {
                match vtype {
                    Vtype::Address => s(format!("[{ip}]")),
                    Vtype::Network => s(format!("[{ip}]/{}", v.prefix)),
                }
            }
        }
        "6to4" => six_to_four(input)?,
        _ => index(input, query, alias)?,
    })
}

/// netaddr's `v[n]` for a numeric query, and the error for an unknown one.
fn index(input: &Input, query: &str, alias: &str) -> Result<Value, Error> {
    let v = input.v;
    let trimmed = query.trim();
    if trimmed.parse::<f64>().is_err() {
        return Err(fail(format!(
            "{alias}: unknown filter type: {query}; use a query such as address, network, \
             netmask, prefix, host, public, private, size or a number"
        )));
    }
    if v.size_is(1) {
        return Ok(Value::from(match input.vtype {
            Vtype::Address => v.addr(v.ip),
            Vtype::Network => v.cidr_text(),
        }));
    }
    let Ok(n) = trimmed.parse::<i128>() else {
        return Ok(Value::from(false));
    };
    let size = v.size().map(|s| s as i128).unwrap_or(i128::MAX);
    let n = if n < 0 { n + size } else { n };
    if n < 0 || n >= size {
        return Ok(Value::from(false));
    }
    Ok(Value::from(format!(
        "{}/{}",
        v.addr(v.network() + n as u128),
        v.prefix
    )))
}

/// netaddr's `IPNetwork.ipv4()`: IPv4-compatible and IPv4-mapped addresses.
fn to_ipv4(v: &Net) -> Option<Net> {
    let ip = if v.ip <= u32::MAX as u128 {
        v.ip
    } else if v.ip <= 0xffff_ffff_ffff {
        v.ip - 0xffff_0000_0000
    } else {
        return None;
    };
    Some(Net {
        v6: false,
        ip,
        prefix: v.prefix.checked_sub(96)?,
    })
}

/// `_first_last`: the usable range (both addresses of a /31, the inner ones otherwise).
pub fn first_last(v: &Net) -> Option<(u128, u128)> {
    if v.size_is(2) {
        Some((v.network(), v.last()))
    } else if v.size_over(1) {
        Some((v.network() + 1, v.last() - 1))
    } else {
        None
    }
}

/// netaddr's `is_global`: not in IANA's not-globally-reachable blocks, or in their exceptions.
fn is_global(v6: bool, ip: u128) -> bool {
    let (blocked, exceptions): (&[&str], &[&str]) = if v6 {
        (
            &[
                "::1/128",
                "::/128",
                "::ffff:0:0/96",
                "64:ff9b:1::/48",
                "100::/64",
                "2001::/23",
                "2001:db8::/32",
                "2002::/16",
                "fc00::/7",
                "fe80::/10",
            ],
            &[
                "2001:1::1/128",
                "2001:1::2/128",
                "2001:3::/32",
                "2001:4:112::/48",
                "2001:20::/28",
                "2001:30::/28",
            ],
        )
    } else {
        (
            &[
                "0.0.0.0/8",
                "10.0.0.0/8",
                "100.64.0.0/10",
                "127.0.0.0/8",
                "169.254.0.0/16",
                "172.16.0.0/12",
                "192.0.0.0/24",
                "192.0.0.170/31",
                "192.0.2.0/24",
                "192.168.0.0/16",
                "198.18.0.0/15",
                "198.51.100.0/24",
                "203.0.113.0/24",
                "240.0.0.0/4",
                "255.255.255.255/32",
            ],
            &["192.0.0.9/32", "192.0.0.10/32"],
        )
    };
    let within = |list: &[&str]| list.iter().any(|n| net(n).contains_ip(ip));
    !within(blocked) || within(exceptions)
}

fn revdns(v: &Net) -> String {
    if v.v6 {
        let hex = format!("{:032x}", v.ip);
        let nibbles: Vec<String> = hex.chars().rev().map(|c| c.to_string()).collect();
        format!("{}.ip6.arpa.", nibbles.join("."))
    } else {
        let o = (v.ip as u32).to_be_bytes();
        format!("{}.{}.{}.{}.in-addr.arpa.", o[3], o[2], o[1], o[0])
    }
}

fn six_to_four(input: &Input) -> Result<Value, Error> {
    let v = input.v;
    if !v.v6 {
        if v.size_over(1) && v.ip == v.network() {
            return Ok(Value::from(false));
        }
        let addr = Value::from(format_ip(false, v.ip));
        let public = ipaddr(&addr, "public", None, "ipaddr")?.is_true();
        let private = ipaddr(&addr, "private", None, "ipaddr")?.is_true();
        if !(public || private) {
            return Ok(Value::from(false));
        }
        let o = (v.ip as u32).to_be_bytes();
        return Ok(Value::from(format!(
            "2002:{:02x}{:02x}:{:02x}{:02x}::1/48",
            o[0], o[1], o[2], o[3]
        )));
    }
    let six = net("2002::/16");
    let inside = match input.vtype {
        Vtype::Address => six.contains(&v),
        Vtype::Network => v.ip != v.network() && six.contains_ip(v.ip),
    };
    Ok(if inside {
        input.value.clone()
    } else {
        Value::from(false)
    })
}
