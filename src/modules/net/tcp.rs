//! The target's TCP sockets as `/proc/net/tcp` and `/proc/net/tcp6` list them, and addresses in
//! their notation (hex, little-endian per 32-bit word), for `wait_for`. The files are read on
//! the target with `cat`; they are parsed here, on the controller.

use std::net::IpAddr;

/// An address family of `/proc/net`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

/// One socket line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Socket {
    pub family: Family,
    /// Local address, hex as in the file.
    pub local_ip: String,
    pub local_port: u16,
    pub remote_ip: String,
    /// The state code (`0A` is LISTEN, `01` ESTABLISHED).
    pub state: String,
}

pub const LISTEN: &str = "0A";
pub const ANY_V4: &str = "00000000";
pub const ANY_V6: &str = "00000000000000000000000000000000";
const MAPPED_PREFIX: &str = "0000000000000000FFFF0000";
const MAPPED_ANY: &str = "0000000000000000FFFF000000000000";

/// The socket lines of the two files, `cat`ed one after the other (each starts with its header;
/// the width of the address tells the family).
pub fn parse(text: &str) -> Vec<Socket> {
    let mut out = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 4 || fields[1] == "local_address" {
            continue;
        }
        let (Some((lip, lport)), Some((rip, _))) = (fields[1].split_once(':'), fields[2].split_once(':'))
        else {
            continue;
        };
        let Ok(local_port) = u16::from_str_radix(lport, 16) else {
            continue;
        };
        let family = if lip.len() == 32 { Family::V6 } else { Family::V4 };
        out.push(Socket {
            family,
            local_ip: lip.to_uppercase(),
            local_port,
            remote_ip: rip.to_uppercase(),
            state: fields[3].to_uppercase(),
        });
    }
    out
}

/// An address as `/proc/net` writes it, with its family; IPv4 addresses also as their
/// IPv4-mapped IPv6 form (as Ansible's `_convert_host_to_hex`).
pub fn hex_forms(ip: IpAddr) -> Vec<(Family, String)> {
    match ip {
        IpAddr::V4(v4) => {
            let mapped = v4.to_ipv6_mapped();
            vec![
                (Family::V4, words(&v4.octets())),
                (Family::V6, words(&mapped.octets())),
            ]
        }
        IpAddr::V6(v6) => vec![(Family::V6, words(&v6.octets()))],
    }
}

/// Bytes as hex, each 32-bit word's bytes reversed.
fn words(bytes: &[u8]) -> String {
    bytes
        .chunks(4)
        .flat_map(|w| w.iter().rev())
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// The state code of a name in `active_connection_states`.
pub fn state_id(name: &str) -> Option<&'static str> {
    Some(match name {
        "ESTABLISHED" => "01",
        "SYN_SENT" => "02",
        "SYN_RECV" => "03",
        "FIN_WAIT1" => "04",
        "FIN_WAIT2" => "05",
        "TIME_WAIT" => "06",
        _ => return None,
    })
}

/// Whether a socket's local address is one of `ips` as Ansible matches it for `drained`:
/// the address itself, the family's any-address given as host, or an IPv4-mapped local
/// address when the mapped any-address was given.
pub fn local_matches(s: &Socket, ips: &[(Family, String)]) -> bool {
    let any = match s.family {
        Family::V4 => ANY_V4,
        Family::V6 => ANY_V6,
    };
    ips.contains(&(s.family, s.local_ip.clone()))
        || ips.contains(&(s.family, any.to_string()))
        || (s.local_ip.starts_with(MAPPED_PREFIX) && ips.contains(&(s.family, MAPPED_ANY.to_string())))
}

/// Whether a listening socket accepts connections to one of `ips`: bound to it, or to the
/// any-address of its family (an IPv6 any-address also takes IPv4, as Linux's default).
pub fn listens_for(s: &Socket, port: u16, ips: &[(Family, String)]) -> bool {
    if s.state != LISTEN || s.local_port != port {
        return false;
    }
    ips.contains(&(s.family, s.local_ip.clone())) || s.local_ip == ANY_V4 || s.local_ip == ANY_V6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_net_tcp_is_read() {
        let text = "  sl  local_address rem_address   st tx_queue\n\
           0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000\n\
           1: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 0\n";
        let s = parse(text);
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].family, s[0].local_ip.as_str(), s[0].local_port),
            (Family::V4, "0100007F", 8080)
        );
        assert_eq!(s[1].family, Family::V6);
        let ips = hex_forms("127.0.0.1".parse().expect("ip"));
        assert_eq!(ips[0], (Family::V4, "0100007F".to_string()));
        assert_eq!(
            ips[1],
            (Family::V6, "0000000000000000FFFF00000100007F".to_string())
        );
        assert!(listens_for(&s[0], 8080, &ips));
        assert!(!listens_for(&s[0], 8081, &ips));
        let other = hex_forms("127.0.0.2".parse().expect("ip"));
        assert!(!listens_for(&s[0], 8080, &other));
        assert_eq!(
            hex_forms("::1".parse().expect("ip"))[0].1,
            ANY_V6[..24].to_string() + "01000000"
        );
    }
}
