//! An address with its prefix, as netaddr's `IPNetwork` holds it: parsing (inet_pton's strict
//! forms, `a/len`, `a/netmask`, `a/hostmask`), the numbers derived from it, and the text forms
//! (IPv6 as glibc's `inet_ntop` writes it, which netaddr uses).

use std::net::{Ipv4Addr, Ipv6Addr};

/// An address of one family and a prefix length: `ip` keeps the host bits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Net {
    pub v6: bool,
    pub ip: u128,
    pub prefix: u32,
}

impl Net {
    pub fn bits(&self) -> u32 {
        if self.v6 { 128 } else { 32 }
    }

    pub fn version(&self) -> u8 {
        if self.v6 { 6 } else { 4 }
    }

    pub fn max(&self) -> u128 {
        if self.v6 { u128::MAX } else { u32::MAX as u128 }
    }

    pub fn hostmask(&self) -> u128 {
        let host_bits = self.bits() - self.prefix;
        if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        }
    }

    pub fn netmask(&self) -> u128 {
        self.max() ^ self.hostmask()
    }

    pub fn network(&self) -> u128 {
        self.ip & self.netmask()
    }

    pub fn last(&self) -> u128 {
        self.network() | self.hostmask()
    }

    /// The number of addresses; `None` for `::/0`, whose 2^128 no integer here holds.
    pub fn size(&self) -> Option<u128> {
        self.hostmask().checked_add(1)
    }

    /// Compares the size with a small number without overflowing.
    pub fn size_is(&self, n: u128) -> bool {
        self.size() == Some(n)
    }

    pub fn size_over(&self, n: u128) -> bool {
        self.size().is_none_or(|s| s > n)
    }

    /// netaddr's `broadcast`: none for networks of one or two addresses.
    pub fn broadcast(&self) -> Option<u128> {
        (self.bits() - self.prefix > 1).then(|| self.last())
    }

    /// Whether all of `other`'s addresses are in this network (netaddr's `in`).
    pub fn contains(&self, other: &Net) -> bool {
        self.v6 == other.v6 && self.network() <= other.network() && other.last() <= self.last()
    }

    pub fn contains_ip(&self, ip: u128) -> bool {
        self.network() <= ip && ip <= self.last()
    }

    pub fn addr(&self, ip: u128) -> String {
        format_ip(self.v6, ip)
    }

    /// `str(IPNetwork)`: the address as given, then the prefix.
    pub fn cidr_text(&self) -> String {
        format!("{}/{}", self.addr(self.ip), self.prefix)
    }
}

/// A network from its text (`parse("10.0.0.0/8")`).
pub fn net(text: &str) -> Net {
    parse(text).expect("a built-in network is valid")
}

/// netaddr's `IPNetwork(text)` in its default (strict) mode.
pub fn parse(text: &str) -> Option<Net> {
    let (addr, mask) = match text.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (text, None),
    };
    let (v6, ip) = parse_ip(addr)?;
    let bits = if v6 { 128 } else { 32 };
    let prefix = match mask {
        None => bits,
        Some(m) if !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()) => {
            let p: u32 = m.parse().ok()?;
            (p <= bits).then_some(p)?
        }
        Some(m) => {
            let (mv6, mask) = parse_ip(m)?;
            if mv6 != v6 {
                return None;
            }
            mask_prefix(mask, bits)?
        }
    };
    Some(Net { v6, ip, prefix })
}

/// The prefix length of a netmask (`255.255.255.0`) or of a hostmask (`0.0.0.255`).
fn mask_prefix(mask: u128, bits: u32) -> Option<u32> {
    let max = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    let host = (mask ^ max).wrapping_add(1);
    if host & host.wrapping_sub(1) == 0 {
        return Some(bits - (mask ^ max).count_ones());
    }
    let plus = mask.wrapping_add(1);
    if plus & plus.wrapping_sub(1) == 0 {
        return Some(bits - mask.count_ones());
    }
    None
}

/// An address as `inet_pton` reads it: IPv4 dotted quad or IPv6.
pub fn parse_ip(text: &str) -> Option<(bool, u128)> {
    if let Ok(a) = text.parse::<Ipv4Addr>() {
        return Some((false, u32::from(a) as u128));
    }
    text.parse::<Ipv6Addr>().ok().map(|a| (true, u128::from(a)))
}

/// An address as netaddr writes it (glibc's `inet_ntop` for IPv6).
pub fn format_ip(v6: bool, ip: u128) -> String {
    if !v6 {
        return Ipv4Addr::from(ip as u32).to_string();
    }
    let words: Vec<u16> = (0..8).map(|i| (ip >> (112 - 16 * i)) as u16).collect();
    // The first longest run of two or more zero words.
    let (mut best, mut cur) = ((0usize, 0usize), (0usize, 0usize));
    for (i, w) in words.iter().enumerate() {
        if *w == 0 {
            if cur.1 == 0 {
                cur.0 = i;
            }
            cur.1 += 1;
            if cur.1 > best.1 {
                best = cur;
            }
        } else {
            cur.1 = 0;
        }
    }
    if best.1 < 2 {
        return words
            .iter()
            .map(|w| format!("{w:x}"))
            .collect::<Vec<_>>()
            .join(":");
    }
    if best.0 == 0 && (best.1 == 6 || (best.1 == 5 && words[5] == 0xffff)) {
        let mapped = if best.1 == 5 { "ffff:" } else { "" };
        return format!("::{mapped}{}", Ipv4Addr::from(ip as u32));
    }
    let hex = |ws: &[u16]| ws.iter().map(|w| format!("{w:x}")).collect::<Vec<_>>().join(":");
    format!("{}::{}", hex(&words[..best.0]), hex(&words[best.0 + best.1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> String {
        let n = parse(s).expect(s);
        n.addr(n.ip)
    }

    #[test]
    fn writes_like_inet_ntop() {
        for (i, o) in [
            ("::1.2.3.4", "::1.2.3.4"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::2", "::2"),
            ("::1:0:0", "::1:0:0"),
            ("1:0:0:1::", "1:0:0:1::"),
            ("1:0:0:0:1:0:0:0", "1::1:0:0:0"),
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("::", "::"),
            ("::ffff:0:1.2.3.4", "::ffff:0:102:304"),
        ] {
            assert_eq!(f(i), o, "{i}");
        }
        assert_eq!(parse("10.0.0.1/0.0.0.255").map(|n| n.prefix), Some(24));
        assert_eq!(parse("10.0.0.1/255.255.255.0").map(|n| n.prefix), Some(24));
        assert_eq!(parse("1.2.3"), None);
        assert_eq!(parse("10.0.0.1/33"), None);
    }
}
