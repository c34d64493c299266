//! The `network` collector: `default_ipv4`, `default_ipv6`, `all_ipv4_addresses`,
//! `all_ipv6_addresses` and `interfaces`, from one `ip -batch` run (the routes Ansible asks for
//! and `addr show`), `/sys/class/net`, and `/proc/net` on hosts without `ip`.

use indexmap::IndexMap;
use minijinja::Value;

use super::Facts;
use super::sections::{Sections, Snippet};

/// Where Ansible asks the route to, for IPv4 and IPv6 (`ip route get`).
const V4_PROBE: &str = "8.8.8.8";
const V6_PROBE: &str = "2404:6800:400a:800::1012";

const NETWORK: Snippet = Snippet {
    name: "network",
    script: r#"ph_s ip
ip -o -force -batch - 2>/dev/null <<'PH_IP' || ph_noip=1
route get 8.8.8.8
route get 2404:6800:400a:800::1012
addr show
PH_IP
ph_s proc-route; ph_cat /proc/net/route
ph_s fib-trie; [ -n "$ph_noip" ] && ph_cat /proc/net/fib_trie
ph_s link
for d in /sys/class/net/*; do
  [ -r "$d/address" ] || continue
  read -r ph_a < "$d/address"; read -r ph_m < "$d/mtu"; read -r ph_t < "$d/type"
  printf '%s %s %s %s\n' "${d##*/}" "$ph_a" "$ph_m" "$ph_t"
done 2>/dev/null
"#,
};

/// The snippets this collector reads.
pub const SNIPPETS: &[&Snippet] = &[&NETWORK];

/// The facts this collector sets.
pub const FACTS: &[&str] = &[
    "interfaces",
    "default_ipv4",
    "default_ipv6",
    "all_ipv4_addresses",
    "all_ipv6_addresses",
];

/// Parses the network sections into `facts`.
pub fn parse(sections: &Sections, facts: &mut Facts) {
    let ip = split_ip_output(sections.get("ip"));
    let links = sections.get("link");
    let ipv4 = default_ipv4(
        &ip.route4,
        &ip.addr,
        sections.get("proc-route"),
        sections.get("fib-trie"),
        links,
    );
    facts.insert("default_ipv4".into(), Value::from_pairs(ipv4));
    facts.insert(
        "default_ipv6".into(),
        Value::from_pairs(default_ipv6(&ip.route6, &ip.addr, links)),
    );
    let all_ipv4: Vec<Value> = addresses(&ip.addr, "inet")
        .filter(|(_, a, _)| !a.starts_with("127."))
        .map(|(_, a, _)| Value::from(a))
        .collect();
    facts.insert("all_ipv4_addresses".into(), Value::from(all_ipv4));
    let all_ipv6: Vec<Value> = addresses(&ip.addr, "inet6")
        .filter(|(_, a, _)| a != "::1")
        .map(|(_, a, _)| Value::from(a))
        .collect();
    facts.insert("all_ipv6_addresses".into(), Value::from(all_ipv6));
    let interfaces: Vec<Value> = links
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|name| Value::from(name.replace(':', "_")))
        .collect();
    facts.insert("interfaces".into(), Value::from(interfaces));
}

/// The parts of the `ip -batch` output.
#[derive(Debug, Default)]
struct IpOutput {
    route4: String,
    route6: String,
    addr: String,
}

/// `ip -batch` output: the `route get` lines (they start with the probed address), then the
/// `addr show` lines.
fn split_ip_output(text: &str) -> IpOutput {
    let mut out = IpOutput::default();
    for line in text.lines() {
        let target = if line.starts_with(&format!("{V4_PROBE} ")) {
            &mut out.route4
        } else if line.starts_with(&format!("{V6_PROBE} ")) {
            &mut out.route6
        } else {
            &mut out.addr
        };
        target.push_str(line);
        target.push('\n');
    }
    out
}

/// `(interface, address, prefix)` of every `family` (`inet`, `inet6`) line of `ip -o addr`.
fn addresses<'a>(addr: &'a str, family: &'a str) -> impl Iterator<Item = (String, String, String)> + 'a {
    addr.lines().filter_map(move |line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let pos = words.iter().position(|w| *w == family)?;
        let (ip, prefix) = words.get(pos + 1)?.split_once('/')?;
        let device = words.get(1)?.trim_end_matches(':').to_string();
        Some((device, ip.to_string(), prefix.to_string()))
    })
}

/// The `dev`, `src` and `via` words of a `route get` line, as Ansible reads them.
fn route_words(route_get: &str, probe: &str) -> (Option<String>, Option<String>, Option<String>) {
    let (mut interface, mut address, mut gateway) = (None, None, None);
    let words: Vec<&str> = route_get
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    for pair in words.windows(2) {
        match pair[0] {
            "dev" => interface = Some(pair[1].to_string()),
            "src" => address = Some(pair[1].to_string()),
            "via" if pair[1] != probe => gateway = Some(pair[1].to_string()),
            _ => {}
        }
    }
    (interface, address, gateway)
}

/// `macaddress`, `mtu` and `type` of an interface, from the `link` section.
fn link_details(links: &str, interface: &str, out: &mut IndexMap<String, Value>) {
    for line in links.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.first() != Some(&interface) {
            continue;
        }
        if let Some(mac) = parts.get(1) {
            out.insert("macaddress".into(), Value::from(*mac));
        }
        if let Some(mtu) = parts.get(2).and_then(|m| m.parse::<i64>().ok()) {
            out.insert("mtu".into(), Value::from(mtu));
        }
        let kind = match parts.get(3).copied() {
            Some("1") => "ether",
            Some("772") => "loopback",
            _ => "unknown",
        };
        out.insert("type".into(), Value::from(kind));
    }
}

/// `default_ipv6`: the interface, source address and gateway of the route to Ansible's IPv6
/// probe, with the address's prefix and scope and the interface's details; empty without one.
fn default_ipv6(route_get: &str, addr: &str, links: &str) -> IndexMap<String, Value> {
    let mut out = IndexMap::new();
    let (interface, address, gateway) = route_words(route_get, V6_PROBE);
    if let Some(i) = &interface {
        out.insert("interface".into(), Value::from(i.clone()));
    }
    if let Some(a) = &address {
        out.insert("address".into(), Value::from(a.clone()));
    }
    if let Some(g) = gateway {
        out.insert("gateway".into(), Value::from(g));
    }
    let Some(address) = address else {
        return out;
    };
    for line in addr.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(pos) = words.iter().position(|w| *w == "inet6") else {
            continue;
        };
        let Some((ip, prefix)) = words.get(pos + 1).and_then(|w| w.split_once('/')) else {
            continue;
        };
        if ip != address {
            continue;
        }
        // Ansible reads `scope` two words after the address (after `peer X` when there is one).
        let scope = words
            .iter()
            .position(|w| *w == "scope")
            .and_then(|i| words.get(i + 1))
            .copied()
            .unwrap_or("");
        out.insert("prefix".into(), Value::from(prefix));
        out.insert("scope".into(), Value::from(scope));
        let device = words.get(1).map(|d| d.trim_end_matches(':')).unwrap_or("");
        link_details(links, device, &mut out);
        break;
    }
    out
}

/// `default_ipv4`: the interface and source address of the route to the internet, with the
/// interface's address details. Uses `ip` when the host has it, else `/proc/net`.
fn default_ipv4(
    route_get: &str,
    addr: &str,
    proc_route: &str,
    fib_trie: &str,
    links: &str,
) -> IndexMap<String, Value> {
    let mut out = IndexMap::new();
    let mut interface = None;
    let mut address = None;
    let mut gateway = None;
    let words: Vec<&str> = route_get.split_whitespace().collect();
    for pair in words.windows(2) {
        match pair[0] {
            "dev" => interface = interface.or(Some(pair[1].to_string())),
            "src" => address = address.or(Some(pair[1].to_string())),
            "via" => gateway = gateway.or(Some(pair[1].to_string())),
            _ => {}
        }
    }
    let routes = parse_proc_route(proc_route);
    if interface.is_none() {
        if let Some(default) = routes.iter().find(|r| r.destination == 0 && r.mask == 0) {
            interface = Some(default.iface.clone());
            gateway = Some(ipv4_text(default.gateway));
        }
    }
    let Some(interface) = interface else {
        return out;
    };
    // The interface's address and prefix: from `ip -o addr`, else from the routing tables.
    let mut prefix = None;
    let mut broadcast = None;
    for line in addr.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.get(1).map(|w| w.trim_end_matches(':')) != Some(interface.as_str()) {
            continue;
        }
        let Some(pos) = words.iter().position(|w| *w == "inet") else {
            continue;
        };
        let Some((ip, len)) = words.get(pos + 1).and_then(|c| c.split_once('/')) else {
            continue;
        };
        if address.as_deref().is_none_or(|a| a == ip) {
            address = Some(ip.to_string());
            prefix = len.parse::<u32>().ok();
            broadcast = words
                .iter()
                .position(|w| *w == "brd")
                .and_then(|i| words.get(i + 1))
                .map(|s| s.to_string());
            break;
        }
    }
    if address.is_none() || prefix.is_none() {
        let locals = fib_local_addresses(fib_trie);
        for route in routes.iter().filter(|r| r.iface == interface && r.mask != 0) {
            let found = locals.iter().find(|a| {
                address.as_deref().is_none_or(|want| ipv4_text(**a) == want)
                    && (**a & route.mask) == route.destination
            });
            if let Some(a) = found {
                address = Some(ipv4_text(*a));
                prefix = Some(route.mask.count_ones());
                break;
            }
        }
    }
    let Some(address) = address else {
        return out;
    };
    out.insert("address".into(), Value::from(address.clone()));
    out.insert("alias".into(), Value::from(interface.clone()));
    if let Some(b) = broadcast {
        out.insert("broadcast".into(), Value::from(b));
    }
    if let Some(g) = gateway {
        out.insert("gateway".into(), Value::from(g));
    }
    out.insert("interface".into(), Value::from(interface.clone()));
    for line in links.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.first() == Some(&interface.as_str()) {
            if let Some(mac) = parts.get(1) {
                out.insert("macaddress".into(), Value::from(*mac));
            }
            if let Some(mtu) = parts.get(2).and_then(|m| m.parse::<i64>().ok()) {
                out.insert("mtu".into(), Value::from(mtu));
            }
        }
    }
    if let (Some(p), Some(ip)) = (prefix, parse_ipv4(&address)) {
        let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
        out.insert("netmask".into(), Value::from(ipv4_text(mask)));
        out.insert("network".into(), Value::from(ipv4_text(ip & mask)));
        out.insert("prefix".into(), Value::from(p.to_string()));
    }
    for line in links.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.first() == Some(&interface.as_str()) {
            let kind = match parts.get(3).copied() {
                Some("1") => "ether",
                Some("772") => "loopback",
                _ => "unknown",
            };
            out.insert("type".into(), Value::from(kind));
        }
    }
    out
}

/// One line of `/proc/net/route`, addresses in host order.
struct Route {
    iface: String,
    destination: u32,
    gateway: u32,
    mask: u32,
}

fn parse_proc_route(text: &str) -> Vec<Route> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let hex = |i: usize| f.get(i).and_then(|h| u32::from_str_radix(h, 16).ok());
            Some(Route {
                iface: f.first()?.to_string(),
                destination: hex(1)?.swap_bytes(),
                gateway: hex(2)?.swap_bytes(),
                mask: hex(7)?.swap_bytes(),
            })
        })
        .collect()
}

/// The host's own IPv4 addresses: the `/32 host LOCAL` leaves of `/proc/net/fib_trie`.
fn fib_local_addresses(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut last_leaf = None;
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(leaf) = t.strip_prefix("|-- ") {
            last_leaf = parse_ipv4(leaf.trim());
        } else if t.starts_with("/32 host LOCAL") {
            if let Some(a) = last_leaf {
                if a >> 24 != 127 && !out.contains(&a) {
                    out.push(a);
                }
            }
        }
    }
    out
}

fn parse_ipv4(s: &str) -> Option<u32> {
    s.parse::<std::net::Ipv4Addr>().ok().map(u32::from)
}

fn ipv4_text(a: u32) -> String {
    std::net::Ipv4Addr::from(a).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_route_and_fib_trie_give_the_default_address() {
        let proc_route = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
            eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
            eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        let fib = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n     +-- 192.0.2.0/24 2 0 2\n        |-- 192.0.2.2\n           /32 host LOCAL\n";
        let v = default_ipv4("", "", proc_route, fib, "eth0 02:fc:00:00:00:01 1400 1\n");
        assert_eq!(v["address"].as_str(), Some("192.0.2.2"));
        assert_eq!(v["interface"].as_str(), Some("eth0"));
        assert_eq!(v["gateway"].as_str(), Some("192.0.2.1"));
        assert_eq!(v["netmask"].as_str(), Some("255.255.255.0"));
        assert_eq!(v["network"].as_str(), Some("192.0.2.0"));
        assert_eq!(v["prefix"].as_str(), Some("24"));
        assert_eq!(v["type"].as_str(), Some("ether"));
    }

    #[test]
    fn ip_output_and_ipv6() {
        let ip = "8.8.8.8 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0 \\    cache \n\
                  2404:6800:400a:800::1012 from :: via fd00::1 dev eth0 src fd00::2 metric 1024 pref medium\n\
                  1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n\
                  1: lo    inet6 ::1/128 scope host \\       valid_lft forever\n\
                  4: eth0    inet6 fd00::2/64 scope global nodad \\       valid_lft forever\n";
        let out = split_ip_output(ip);
        assert!(out.route4.starts_with("8.8.8.8 via"), "{out:?}");
        assert!(out.route6.starts_with("2404:"), "{out:?}");
        assert!(out.addr.starts_with("1: lo"), "{out:?}");
        let v6 = default_ipv6(&out.route6, &out.addr, "eth0 02:fc:00:00:00:01 1400 1\n");
        assert_eq!(v6["address"].as_str(), Some("fd00::2"));
        assert_eq!(v6["gateway"].as_str(), Some("fd00::1"));
        assert_eq!(v6["prefix"].as_str(), Some("64"));
        assert_eq!(v6["scope"].as_str(), Some("global"));
        assert_eq!(v6["mtu"].as_i64(), Some(1400));
    }
}
