//! The value syntaxes FAUCET accepts, with the rules of the Python libraries it relies on:
//! integers in strings (Python `int(s, 0)`, used by os-ken for match fields), MAC addresses
//! (`netaddr`), IP addresses and prefixes for ACL matches (`netaddr`, strict `inet_pton`), and
//! IP interfaces and networks for VIPs, routes and BGP (Python's `ipaddress`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use sluice_wire::MacAddr;

/// Python's `int(s, 0)`: optional surrounding whitespace and sign, `0x`/`0o`/`0b` prefixes
/// (any case), single underscores between digits, and no leading zeros on decimals.
/// Values beyond `i128` saturate.
pub(crate) fn py_int0(s: &str) -> Option<i128> {
    let s = s.trim_matches(|c: char| c.is_whitespace());
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (digits, radix, prefixed) = if let Some(rest) = lower.strip_prefix("0x") {
        (rest, 16, true)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (rest, 8, true)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (rest, 2, true)
    } else {
        (lower.as_str(), 10, false)
    };
    // After a base prefix one underscore may come first ("0x_1f").
    let digits = if prefixed {
        digits.strip_prefix('_').unwrap_or(digits)
    } else {
        digits
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if !clean.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if radix == 10 && clean.len() > 1 && clean.starts_with('0') && clean.chars().any(|c| c != '0') {
        return None;
    }
    let mut value: i128 = 0;
    for c in clean.chars() {
        let d = i128::from(c.to_digit(radix)?);
        value = value.saturating_mul(i128::from(radix)).saturating_add(d);
    }
    Some(if negative { -value } else { value })
}

/// Reduces an integer to `bits` bits the way os-ken encodes OXM integers (`i & 255` per byte,
/// floor division), which is two's complement wrapping.
pub(crate) fn wrap(value: i128, bits: u32) -> u128 {
    let v = value as u128;
    if bits >= 128 {
        v
    } else {
        v & ((1u128 << bits) - 1)
    }
}

/// `netaddr.valid_mac` / `netaddr.EUI(s)`: colon or dash separated 1-2 hex digit groups (six),
/// 1-4 hex digit groups separated by `:`, `-` or `.` (three), 5-6 hex digit groups separated
/// by `:` or `-` (two), or 11-12 bare hex digits.
pub(crate) fn netaddr_mac(s: &str) -> Option<MacAddr> {
    // Python's `$` also matches before a final newline.
    let s = s.strip_suffix('\n').unwrap_or(s);
    let hex = |p: &str, min: usize, max: usize| {
        p.len() >= min && p.len() <= max && p.chars().all(|c| c.is_ascii_hexdigit())
    };
    let value = |groups: &[&str], width: u32| -> Option<u64> {
        let mut v: u64 = 0;
        for g in groups {
            v = (v << width) | u64::from_str_radix(g, 16).ok()?;
        }
        Some(v)
    };
    let bits = if !s.contains([':', '-', '.']) {
        if hex(s, 11, 12) {
            u64::from_str_radix(s, 16).ok()
        } else {
            None
        }
    } else {
        let mut found = None;
        for sep in [':', '-', '.'] {
            if !s.contains(sep) {
                continue;
            }
            let groups: Vec<&str> = s.split(sep).collect();
            let candidate = match groups.len() {
                6 if sep != '.' && groups.iter().all(|g| hex(g, 1, 2)) => value(&groups, 8),
                3 if groups.iter().all(|g| hex(g, 1, 4)) => value(&groups, 16),
                2 if sep != '.' && groups.iter().all(|g| hex(g, 5, 6)) => value(&groups, 24),
                _ => None,
            };
            if candidate.is_some() {
                found = candidate;
                break;
            }
        }
        found
    }?;
    Some(MacAddr::from_u64(bits))
}

/// `netaddr.IPAddress(s, version=4)`: strict dotted quad (no leading zeros, no spaces).
pub(crate) fn netaddr_ipv4(s: &str) -> Option<Ipv4Addr> {
    s.parse().ok()
}

/// `netaddr.IPAddress(s, version=6)`: standard IPv6 text (no zone id).
pub(crate) fn netaddr_ipv6(s: &str) -> Option<Ipv6Addr> {
    s.parse().ok()
}

/// How os-ken's `to_match_ip` splits an ACL IP value: `addr`, `addr/len` (digits: a netaddr
/// `IPNetwork`, host bits allowed) or `addr/mask`.
pub(crate) enum IpMatchText<'a> {
    /// No mask.
    Plain(&'a str),
    /// `addr/len`.
    Prefix(&'a str, u32),
    /// `addr/mask`.
    Mask(&'a str, &'a str),
}

/// Splits an ACL IP match value; `None` when it has more than one `/`, or a prefix length
/// that is too long for any address family.
pub(crate) fn split_ip_match(s: &str) -> Option<IpMatchText<'_>> {
    let Some((addr, mask)) = s.split_once('/') else {
        return Some(IpMatchText::Plain(s));
    };
    if mask.contains('/') {
        return None;
    }
    if !mask.is_empty() && mask.chars().all(|c| c.is_ascii_digit()) {
        let len: u32 = mask.parse().unwrap_or(u32::MAX);
        return Some(IpMatchText::Prefix(addr, len));
    }
    Some(IpMatchText::Mask(addr, mask))
}

/// Parses an IPv4 ACL match value (`ipv4_src`, `arp_tpa`, ...).
pub(crate) fn ipv4_match(s: &str) -> Option<(Ipv4Addr, Option<Ipv4Addr>)> {
    match split_ip_match(s)? {
        IpMatchText::Plain(a) => Some((netaddr_ipv4(a)?, None)),
        IpMatchText::Prefix(a, len) => {
            // IPNetwork accepts either family; the address must then fit the IPv4 field.
            let addr = netaddr_ipv4(a)?;
            if len > 32 {
                return None;
            }
            let mask = Ipv4Addr::from(if len == 0 { 0 } else { u32::MAX << (32 - len) });
            Some((addr, Some(mask)))
        }
        IpMatchText::Mask(a, m) => Some((netaddr_ipv4(a)?, Some(netaddr_ipv4(m)?))),
    }
}

/// Parses an IPv6 ACL match value (`ipv6_src`, `ipv6_nd_target`, ...).
pub(crate) fn ipv6_match(s: &str) -> Option<(Ipv6Addr, Option<Ipv6Addr>)> {
    match split_ip_match(s)? {
        IpMatchText::Plain(a) => Some((netaddr_ipv6(a)?, None)),
        IpMatchText::Prefix(a, len) => {
            let addr = netaddr_ipv6(a)?;
            if len > 128 {
                return None;
            }
            let mask = Ipv6Addr::from(if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            });
            Some((addr, Some(mask)))
        }
        IpMatchText::Mask(a, m) => Some((netaddr_ipv6(a)?, Some(netaddr_ipv6(m)?))),
    }
}

/// Python `ipaddress.ip_address(s)` for a string: IPv4 dotted quad or IPv6 (a `%zone` is
/// accepted and dropped).
pub(crate) fn py_ip_address(s: &str) -> Option<IpAddr> {
    if let Ok(v4) = s.parse::<Ipv4Addr>() {
        return Some(IpAddr::V4(v4));
    }
    let no_zone = match s.split_once('%') {
        Some((addr, zone)) if !zone.is_empty() => addr,
        Some(_) => return None,
        None => s,
    };
    no_zone.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

/// Python `ipaddress.ip_address(n)` for an integer.
pub(crate) fn py_ip_address_int(n: i128) -> Option<IpAddr> {
    if n < 0 {
        return None;
    }
    let n = n as u128;
    if n < (1u128 << 32) {
        #[allow(clippy::cast_possible_truncation)]
        Some(IpAddr::V4(Ipv4Addr::from(n as u32)))
    } else {
        Some(IpAddr::V6(Ipv6Addr::from(n)))
    }
}

/// The prefix length part of a Python `ipaddress` interface or network: decimal digits, or
/// for IPv4 a netmask or hostmask.
fn py_prefix(text: &str, v4: bool) -> Option<u8> {
    let max: u32 = if v4 { 32 } else { 128 };
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        let len: u32 = text.parse().ok()?;
        return (len <= max).then_some(u8::try_from(len).ok()?);
    }
    if !v4 {
        return None;
    }
    let mask: Ipv4Addr = text.parse().ok()?;
    let bits = u32::from(mask);
    // A netmask: ones then zeros.
    let ones = bits.leading_ones();
    if ones == 32 || bits << ones == 0 {
        return u8::try_from(ones).ok();
    }
    // A hostmask: zeros then ones.
    let zeros = bits.leading_zeros();
    if bits
        .checked_shl(zeros)
        .is_some_and(|b| b.leading_ones() == 32 - zeros)
    {
        return u8::try_from(zeros).ok();
    }
    None
}

/// Python `ipaddress.ip_interface(s)`: an address with an optional prefix (default: a host
/// prefix); host bits are kept.
pub(crate) fn py_ip_interface(s: &str) -> Option<IpNet> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    match py_ip_address(addr)? {
        IpAddr::V4(a) => {
            let len = match prefix {
                Some(p) => py_prefix(p, true)?,
                None => 32,
            };
            Ipv4Net::new(a, len).ok().map(IpNet::V4)
        }
        IpAddr::V6(a) => {
            let len = match prefix {
                Some(p) => py_prefix(p, false)?,
                None => 128,
            };
            Ipv6Net::new(a, len).ok().map(IpNet::V6)
        }
    }
}

/// Python `ipaddress.ip_network(s)` (strict): like an interface, but host bits must be zero.
pub(crate) fn py_ip_network(s: &str) -> Option<IpNet> {
    let net = py_ip_interface(s)?;
    (net.addr() == net.network()).then_some(net)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_int_base_zero() {
        assert_eq!(py_int0("80"), Some(80));
        assert_eq!(py_int0(" 80 "), Some(80));
        assert_eq!(py_int0("0x50"), Some(80));
        assert_eq!(py_int0("0X50"), Some(80));
        assert_eq!(py_int0("0x_50"), Some(80));
        assert_eq!(py_int0("-1"), Some(-1));
        assert_eq!(py_int0("1_000"), Some(1000));
        assert_eq!(py_int0("000"), Some(0));
        assert_eq!(py_int0("080"), None);
        assert_eq!(py_int0("1__0"), None);
        assert_eq!(py_int0("_1"), None);
        assert_eq!(py_int0("True"), None);
        assert_eq!(py_int0(""), None);
    }

    #[test]
    fn netaddr_mac_formats() {
        let m = "01:02:03:04:05:06".parse::<MacAddr>().ok();
        assert_eq!(netaddr_mac("01:02:03:04:05:06"), m);
        assert_eq!(netaddr_mac("01-02-03-04-05-06"), m);
        assert_eq!(netaddr_mac("0102.0304.0506"), m);
        assert_eq!(netaddr_mac("1:2:3:4:5:6"), m);
        assert_eq!(netaddr_mac("010203040506"), m);
        assert_eq!(netaddr_mac("010203-040506"), m);
        assert_eq!(netaddr_mac("zz"), None);
        assert_eq!(netaddr_mac("01:02:03:04:05"), None);
        assert_eq!(netaddr_mac("01:02:03-04:05:06"), None);
    }

    #[test]
    fn python_ipaddress() {
        assert_eq!(
            py_ip_interface("10.0.0.1/255.255.255.0").map(|n| n.to_string()),
            Some("10.0.0.1/24".to_string())
        );
        assert_eq!(
            py_ip_interface("10.0.0.1/0.0.0.255").map(|n| n.to_string()),
            Some("10.0.0.1/24".to_string())
        );
        assert!(py_ip_interface("010.0.0.1/24").is_none());
        assert!(py_ip_network("10.0.0.1/24").is_none());
        assert!(py_ip_network("10.0.0.0/24").is_some());
        assert!(py_ip_interface("fe80::1%eth0/64").is_some());
    }

    #[test]
    fn acl_ip_values() {
        assert!(ipv4_match("10.0.0.1/8").is_some());
        assert!(ipv4_match("10.0.0.0/255.0.0.0").is_some());
        assert!(ipv4_match("10.0.0.0/33").is_none());
        assert!(ipv4_match("10.0.0").is_none());
        assert!(ipv4_match("fe80::1").is_none());
        assert!(ipv6_match("fe80::/10").is_some());
    }
}
