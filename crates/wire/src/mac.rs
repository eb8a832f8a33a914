//! 48-bit Ethernet (IEEE 802) MAC addresses.

use std::fmt;
use std::str::FromStr;

/// A 48-bit Ethernet address, stored in network byte order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// The all-zeros address.
    pub const ZERO: MacAddr = MacAddr([0; 6]);
    /// The broadcast address `ff:ff:ff:ff:ff:ff`.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);
    /// `01:80:c2:00:00:00`, the bridge group address (STP BPDUs; IEEE 802.1Q Table 8-1).
    pub const BRIDGE_GROUP: MacAddr = MacAddr([0x01, 0x80, 0xc2, 0, 0, 0]);
    /// `01:80:c2:00:00:02`, the Slow Protocols address LACPDUs go to (IEEE 802.3 Annex 57A).
    pub const SLOW_PROTOCOLS: MacAddr = MacAddr([0x01, 0x80, 0xc2, 0, 0, 0x02]);
    /// `01:80:c2:00:00:0e`, the nearest-bridge address LLDP beacons go to (IEEE 802.1AB §7.1).
    pub const LLDP_NEAREST_BRIDGE: MacAddr = MacAddr([0x01, 0x80, 0xc2, 0, 0, 0x0e]);
    /// `33:33:00:00:00:01`, the Ethernet address of IPv6 all-nodes (`ff02::1`).
    pub const IPV6_ALL_NODES: MacAddr = MacAddr([0x33, 0x33, 0, 0, 0, 0x01]);
    /// `33:33:00:00:00:02`, the Ethernet address of IPv6 all-routers (`ff02::2`).
    pub const IPV6_ALL_ROUTERS: MacAddr = MacAddr([0x33, 0x33, 0, 0, 0, 0x02]);

    /// The six address bytes.
    pub const fn octets(&self) -> [u8; 6] {
        self.0
    }

    /// Whether the group bit (I/G, the low bit of the first byte) is set: broadcast and
    /// multicast addresses.
    pub const fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// Whether this is `ff:ff:ff:ff:ff:ff`.
    pub fn is_broadcast(&self) -> bool {
        *self == Self::BROADCAST
    }

    /// Whether this is an individual (unicast) address.
    pub const fn is_unicast(&self) -> bool {
        !self.is_multicast()
    }

    /// Whether this is `00:00:00:00:00:00`.
    pub fn is_zero(&self) -> bool {
        *self == Self::ZERO
    }

    /// The first three bytes, the organisationally unique identifier. FAUCET uses the OUI of
    /// `faucet_dp_mac` for its LLDP TLVs.
    pub const fn oui(&self) -> [u8; 3] {
        [self.0[0], self.0[1], self.0[2]]
    }

    /// The Ethernet multicast address an IPv6 multicast address maps to: `33:33` and the low
    /// 32 bits of the address (RFC 2464 §7).
    pub const fn from_ipv6_multicast(addr: &std::net::Ipv6Addr) -> MacAddr {
        let o = addr.octets();
        MacAddr([0x33, 0x33, o[12], o[13], o[14], o[15]])
    }

    /// The address as a number, FAUCET's encoding in the `learned_macs` metric.
    pub fn to_u64(&self) -> u64 {
        self.0
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
    }

    /// The address whose number is the low 48 bits of `n`.
    pub fn from_u64(n: u64) -> MacAddr {
        let b = n.to_be_bytes();
        MacAddr([b[2], b[3], b[4], b[5], b[6], b[7]])
    }
}

impl From<[u8; 6]> for MacAddr {
    fn from(b: [u8; 6]) -> Self {
        MacAddr(b)
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

impl fmt::Debug for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a string is not a MAC address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseMacError;

impl fmt::Display for ParseMacError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected six hex bytes separated by ':' or '-', such as 0e:00:00:00:00:01")
    }
}

impl std::error::Error for ParseMacError {}

impl FromStr for MacAddr {
    type Err = ParseMacError;

    /// Parses `0e:00:00:00:00:01` (also with `-` separators, and upper case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for byte in &mut out {
            let part = parts.next().ok_or(ParseMacError)?;
            if part.is_empty() || part.len() > 2 {
                return Err(ParseMacError);
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| ParseMacError)?;
        }
        if parts.next().is_some() {
            return Err(ParseMacError);
        }
        Ok(MacAddr(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        let m: MacAddr = "0E:00:00:00:00:01".parse().unwrap();
        assert_eq!(m, MacAddr([0x0e, 0, 0, 0, 0, 1]));
        assert_eq!(m.to_string(), "0e:00:00:00:00:01");
        assert_eq!("0e-00-00-00-00-01".parse::<MacAddr>(), Ok(m));
        for bad in [
            "",
            "0e:00:00:00:00",
            "0e:00:00:00:00:01:02",
            "0e:00:00:00:00:zz",
            "0e::00:00:00:00:01",
        ] {
            assert_eq!(bad.parse::<MacAddr>(), Err(ParseMacError), "{bad}");
        }
    }

    #[test]
    fn numeric_form_matches_faucet_metric() {
        // FAUCET's learned_macs: d2:eb:89:4b:9b:fb is 2.31909062581243e+14.
        let m: MacAddr = "d2:eb:89:4b:9b:fb".parse().unwrap();
        assert_eq!(m.to_u64(), 0xd2eb894b9bfb);
        assert_eq!(MacAddr::from_u64(m.to_u64()), m);
    }

    #[test]
    fn kinds() {
        assert!(MacAddr::BROADCAST.is_broadcast());
        assert!(MacAddr([0x01, 0x80, 0xc2, 0, 0, 0x0e]).is_multicast());
        assert!(MacAddr([0x0e, 0, 0, 0, 0, 1]).is_unicast());
        assert!(MacAddr::ZERO.is_zero());
        assert_eq!(MacAddr([0x0e, 1, 2, 3, 4, 5]).oui(), [0x0e, 1, 2]);
    }

    #[test]
    fn ipv6_multicast_mapping() {
        // RFC 2464 §7 example: ff02::1:ff00:2 (solicited-node of ...::2) -> 33:33:ff:00:00:02.
        let a: std::net::Ipv6Addr = "ff02::1:ff00:2".parse().unwrap();
        assert_eq!(
            MacAddr::from_ipv6_multicast(&a),
            MacAddr([0x33, 0x33, 0xff, 0, 0, 2])
        );
        let all_nodes: std::net::Ipv6Addr = "ff02::1".parse().unwrap();
        assert_eq!(
            MacAddr::from_ipv6_multicast(&all_nodes),
            MacAddr::IPV6_ALL_NODES
        );
    }
}
