//! UDP datagrams (RFC 768), with the checksum over the IPv4 or IPv6 pseudo-header.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Source Port          |       Destination Port        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            Length             |           Checksum            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                          Data ...                             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::fmt;
use std::net::IpAddr;

use crate::error::{WireError, WireResult};
use crate::field::{read_u16, write_u16};
use crate::ip::{IpProtocol, checksum};

mod field {
    use crate::field::Field;

    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const LENGTH: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
    pub const PAYLOAD: usize = 8;
}

/// Length of the UDP header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// A read/write view of a UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> UdpPacket<T> {
        UdpPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    ///
    /// # Errors
    /// See [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> WireResult<UdpPacket<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that the header and the length it announces fit, so no accessor panics.
    ///
    /// # Errors
    /// [`WireError::Truncated`]; [`WireError::Malformed`] if the length field is below 8.
    pub fn check_len(&self) -> WireResult<()> {
        let len = self.buffer.as_ref().len();
        WireError::check(HEADER_LEN, len)?;
        let dgram_len = usize::from(self.length());
        if dgram_len < HEADER_LEN {
            return Err(WireError::Malformed("UDP length below 8"));
        }
        WireError::check(dgram_len, len)
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Source port.
    #[inline]
    pub fn src_port(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::SRC_PORT)
    }

    /// Destination port.
    #[inline]
    pub fn dst_port(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::DST_PORT)
    }

    /// Length of header and data.
    pub fn length(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::LENGTH)
    }

    /// Checksum field (0: none, allowed over IPv4 only).
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// Whether the checksum is right for a datagram from `src` to `dst`. A zero checksum
    /// ("not computed") passes over IPv4 and fails over IPv6 (RFC 8200 §8.1).
    pub fn verify_checksum(&self, src: &IpAddr, dst: &IpAddr) -> bool {
        if self.checksum() == 0 {
            return src.is_ipv4();
        }
        let dgram = &self.buffer.as_ref()[..usize::from(self.length())];
        checksum::verify_upper_layer(src, dst, IpProtocol::Udp, dgram)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> UdpPacket<&'a T> {
    /// The data (up to the length field).
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[HEADER_LEN..usize::from(self.length())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::SRC_PORT, v);
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::DST_PORT, v);
    }

    /// Sets the length field.
    pub fn set_length(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::LENGTH, v);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::CHECKSUM, v);
    }

    /// Computes and writes the checksum (0 is sent as 0xffff; call last).
    pub fn fill_checksum(&mut self, src: &IpAddr, dst: &IpAddr) {
        self.set_checksum(0);
        let sum = {
            let dgram = &self.buffer.as_ref()[..usize::from(self.length())];
            checksum::upper_layer(src, dst, IpProtocol::Udp, dgram)
        };
        self.set_checksum(if sum == 0 { 0xffff } else { sum });
    }

    /// The data, for writing.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = usize::from(self.length());
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for UdpPacket<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]>> fmt::Display for UdpPacket<T> {
    /// The header fields (the checksum needs addresses, so this does not check it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.check_len() {
            Ok(()) => write!(
                f,
                "UDP src={} dst={} len={}",
                self.src_port(),
                self.dst_port(),
                usize::from(self.length()) - HEADER_LEN
            ),
            Err(e) => write!(f, "UDP ({e})"),
        }
    }
}

/// The content of a UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UdpRepr<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Data.
    pub payload: &'a [u8],
}

impl<'a> UdpRepr<'a> {
    /// Reads a datagram sent from `src` to `dst`, checking its checksum.
    ///
    /// # Errors
    /// [`WireError::Truncated`], or [`WireError::Malformed`] for a bad checksum.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &UdpPacket<&'a T>,
        src: &IpAddr,
        dst: &IpAddr,
    ) -> WireResult<UdpRepr<'a>> {
        packet.check_len()?;
        if !packet.verify_checksum(src, dst) {
            return Err(WireError::Malformed("bad UDP checksum"));
        }
        Ok(UdpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            payload: packet.payload(),
        })
    }

    /// Length of the datagram this emits.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }

    /// Writes the datagram and its checksum for `src` → `dst`.
    ///
    /// # Panics
    /// If the buffer is shorter than [`buffer_len`](Self::buffer_len), or that is over 65535.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        src: &IpAddr,
        dst: &IpAddr,
        packet: &mut UdpPacket<T>,
    ) {
        let len = u16::try_from(self.buffer_len())
            .unwrap_or_else(|_| panic!("UDP datagram of {} bytes", self.buffer_len()));
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_length(len);
        packet.payload_mut().copy_from_slice(self.payload);
        packet.fill_checksum(src, dst);
    }
}

impl fmt::Display for UdpRepr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "UDP src={} dst={} len={}",
            self.src_port,
            self.dst_port,
            self.payload.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    // `socat` sending "hello-udp\n" from a namespace behind an OVS access port (10.0.0.1 ->
    // 10.0.0.2), captured on the trunk.
    static PACKET_BYTES: [u8; 18] = [
        0x9e, 0x15, 0x14, 0xe9, 0x00, 0x12, 0x0f, 0x5b, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x2d, 0x75,
        0x64, 0x70, 0x0a,
    ];

    // scapy 2.8.0: UDP 546 -> 547 "dhcp6" from fc00::1 to fc00::2.
    static V6_BYTES: [u8; 13] = [
        0x02, 0x22, 0x02, 0x23, 0x00, 0x0d, 0x05, 0xb2, 0x64, 0x68, 0x63, 0x70, 0x36,
    ];

    fn v4() -> (IpAddr, IpAddr) {
        (
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        )
    }

    fn v6() -> (IpAddr, IpAddr) {
        let a = |s: &str| IpAddr::V6(s.parse::<Ipv6Addr>().unwrap());
        (a("fc00::1"), a("fc00::2"))
    }

    fn repr() -> UdpRepr<'static> {
        UdpRepr {
            src_port: 40469,
            dst_port: 5353,
            payload: b"hello-udp\n",
        }
    }

    #[test]
    fn deconstruct() {
        let p = UdpPacket::new_checked(&PACKET_BYTES[..]).unwrap();
        assert_eq!(p.src_port(), 40469);
        assert_eq!(p.dst_port(), 5353);
        assert_eq!(p.length(), 18);
        assert_eq!(p.checksum(), 0x0f5b);
        assert_eq!(p.payload(), b"hello-udp\n");
        let (s, d) = v4();
        assert!(p.verify_checksum(&s, &d));
        assert!(!p.verify_checksum(&d, &IpAddr::V4(Ipv4Addr::new(10, 0, 0, 3))));
        assert_eq!(p.to_string(), "UDP src=40469 dst=5353 len=10");
    }

    #[test]
    fn construct() {
        let mut bytes = [0xa5u8; 18];
        let mut p = UdpPacket::new_unchecked(&mut bytes);
        p.set_src_port(40469);
        p.set_dst_port(5353);
        p.set_length(18);
        p.payload_mut().copy_from_slice(b"hello-udp\n");
        let (s, d) = v4();
        p.fill_checksum(&s, &d);
        assert_eq!(bytes, PACKET_BYTES);
    }

    #[test]
    fn parse() {
        let (s, d) = v4();
        let p = UdpPacket::new_unchecked(&PACKET_BYTES[..]);
        assert_eq!(UdpRepr::parse(&p, &s, &d), Ok(repr()));
        let (s, d) = v6();
        let p = UdpPacket::new_unchecked(&V6_BYTES[..]);
        assert_eq!(
            UdpRepr::parse(&p, &s, &d),
            Ok(UdpRepr {
                src_port: 546,
                dst_port: 547,
                payload: b"dhcp6",
            })
        );
    }

    #[test]
    fn emit() {
        let (s, d) = v4();
        let mut bytes = [0xa5u8; 18];
        repr().emit(&s, &d, &mut UdpPacket::new_unchecked(&mut bytes));
        assert_eq!(bytes, PACKET_BYTES);
        let (s, d) = v6();
        let v6 = UdpRepr {
            src_port: 546,
            dst_port: 547,
            payload: b"dhcp6",
        };
        let mut bytes = [0xa5u8; 13];
        v6.emit(&s, &d, &mut UdpPacket::new_unchecked(&mut bytes));
        assert_eq!(bytes, V6_BYTES);
    }

    #[test]
    fn bad_packets() {
        assert_eq!(
            UdpPacket::new_checked(&PACKET_BYTES[..7]),
            Err(WireError::Truncated { need: 8, have: 7 })
        );
        assert_eq!(
            UdpPacket::new_checked(&PACKET_BYTES[..17]),
            Err(WireError::Truncated { need: 18, have: 17 })
        );
        let mut b = PACKET_BYTES;
        b[5] = 7;
        assert_eq!(
            UdpPacket::new_checked(&b[..]),
            Err(WireError::Malformed("UDP length below 8"))
        );
        let (s, d) = v4();
        let mut b = PACKET_BYTES;
        b[8] = b'j';
        assert_eq!(
            UdpRepr::parse(&UdpPacket::new_unchecked(&b[..]), &s, &d),
            Err(WireError::Malformed("bad UDP checksum"))
        );
        // No checksum: fine over IPv4, not over IPv6.
        let mut b = PACKET_BYTES;
        b[6] = 0;
        b[7] = 0;
        assert!(UdpRepr::parse(&UdpPacket::new_unchecked(&b[..]), &s, &d).is_ok());
        let (s, d) = v6();
        assert!(UdpRepr::parse(&UdpPacket::new_unchecked(&b[..]), &s, &d).is_err());
    }
}
