//! What IPv4 and IPv6 share: the protocol numbers of what they carry, and the Internet
//! checksum (RFC 1071) with the pseudo-headers of RFC 768/793 (IPv4) and RFC 8200 §8.1 (IPv6).

use std::net::IpAddr;

use crate::macros::enum_with_unknown;

enum_with_unknown! {
    /// An IP protocol number / IPv6 next header (IANA "Assigned Internet Protocol Numbers").
    pub enum IpProtocol(u8) {
        /// IPv6 hop-by-hop options header.
        HopByHop = 0 => "hop-by-hop",
        /// ICMP for IPv4.
        Icmp = 1 => "ICMP",
        /// IGMP.
        Igmp = 2 => "IGMP",
        /// TCP.
        Tcp = 6 => "TCP",
        /// UDP.
        Udp = 17 => "UDP",
        /// IPv6 routing header.
        Ipv6Route = 43 => "IPv6-route",
        /// IPv6 fragment header.
        Ipv6Frag = 44 => "IPv6-frag",
        /// Encapsulating security payload.
        Esp = 50 => "ESP",
        /// Authentication header.
        Ah = 51 => "AH",
        /// ICMP for IPv6.
        Icmpv6 = 58 => "ICMPv6",
        /// IPv6 "no next header".
        Ipv6NoNxt = 59 => "IPv6-no-next",
        /// IPv6 destination options header.
        Ipv6Opts = 60 => "IPv6-opts",
        /// VRRP.
        Vrrp = 112 => "VRRP",
        /// SCTP.
        Sctp = 132 => "SCTP",
    }
    unknown = "{}";
}

/// The Internet checksum: the 16-bit one's complement of the one's complement sum.
pub mod checksum {
    use super::*;

    /// The one's complement sum of `data` as 16-bit big-endian words (an odd last byte is
    /// padded with zero), folded to 16 bits but not complemented.
    pub fn data(data: &[u8]) -> u16 {
        let mut sum: u64 = 0;
        let mut chunks = data.chunks_exact(8);
        for c in &mut chunks {
            // Four words at a time; a u64 cannot overflow for any buffer that fits in memory
            // of a real frame (2^48 words).
            sum += u64::from(u16::from_be_bytes([c[0], c[1]]))
                + u64::from(u16::from_be_bytes([c[2], c[3]]))
                + u64::from(u16::from_be_bytes([c[4], c[5]]))
                + u64::from(u16::from_be_bytes([c[6], c[7]]));
        }
        let mut words = chunks.remainder().chunks_exact(2);
        for w in &mut words {
            sum += u64::from(u16::from_be_bytes([w[0], w[1]]));
        }
        if let [last] = words.remainder() {
            sum += u64::from(u16::from_be_bytes([*last, 0]));
        }
        fold(sum)
    }

    /// Adds partial sums (one's complement), folded to 16 bits.
    pub fn combine(sums: &[u16]) -> u16 {
        fold(sums.iter().map(|s| u64::from(*s)).sum())
    }

    fn fold(mut sum: u64) -> u16 {
        while sum >> 16 != 0 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum as u16
    }

    /// The sum of the pseudo-header of an upper-layer checksum: the addresses, the protocol
    /// and the upper-layer length. IPv4 (RFC 768) and IPv6 (RFC 8200 §8.1) lay the pseudo
    /// header out differently but it sums to the same for lengths below 65536.
    pub fn pseudo_header(src: &IpAddr, dst: &IpAddr, protocol: IpProtocol, length: u32) -> u16 {
        let addr = |a: &IpAddr| match a {
            IpAddr::V4(a) => data(&a.octets()),
            IpAddr::V6(a) => data(&a.octets()),
        };
        combine(&[
            addr(src),
            addr(dst),
            u16::from(u8::from(protocol)),
            (length >> 16) as u16,
            length as u16,
        ])
    }

    /// The checksum field value for an upper-layer packet: the complement of the pseudo-header
    /// sum combined with the sum of `packet` (whose checksum field must be zero).
    pub fn upper_layer(src: &IpAddr, dst: &IpAddr, protocol: IpProtocol, packet: &[u8]) -> u16 {
        !combine(&[
            pseudo_header(src, dst, protocol, packet.len() as u32),
            data(packet),
        ])
    }

    /// Whether `packet` (checksum field included) sums to all ones with its pseudo-header.
    pub fn verify_upper_layer(
        src: &IpAddr,
        dst: &IpAddr,
        protocol: IpProtocol,
        packet: &[u8],
    ) -> bool {
        combine(&[
            pseudo_header(src, dst, protocol, packet.len() as u32),
            data(packet),
        ]) == 0xffff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: the sum of 0001 f203 f4f5 f6f7 is ddf2 (after folding the carry).
        assert_eq!(
            checksum::data(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0xddf2
        );
        // Odd length: the last byte is the high half of a word.
        assert_eq!(checksum::data(&[0x01, 0x02, 0x03]), 0x0402);
        assert_eq!(checksum::combine(&[0xffff, 0x0001]), 0x0001);
        assert_eq!(IpProtocol::from(58), IpProtocol::Icmpv6);
        assert_eq!(IpProtocol::from(200).to_string(), "200");
    }
}
