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
    }
}
