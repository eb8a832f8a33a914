//! IPv6 fixed headers (RFC 8200 §3), and the multicast addresses neighbour discovery uses
//! (RFC 4291 §2.7.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Traffic Class |           Flow Label                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Payload Length        |  Next Header  |   Hop Limit   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      Source Address (16)                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   Destination Address (16)                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Extension headers are part of the payload here; [`PacketMeta`](crate::PacketMeta) skips
//! the common ones to find the upper layer.

use std::fmt;
use std::net::Ipv6Addr;

use crate::error::{WireError, WireResult};
use crate::field::{read_array, read_u16, read_u32, write_u16, write_u32};
use crate::ip::IpProtocol;

mod field {
    use crate::field::{Field, Rest};

    pub const VER_TC_FLOW: Field = 0..4;
    pub const LENGTH: Field = 4..6;
    pub const NXT_HDR: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC_ADDR: Field = 8..24;
    pub const DST_ADDR: Field = 24..40;
    pub const PAYLOAD: Rest = 40..;
}

/// Length of the fixed header.
pub const HEADER_LEN: usize = field::PAYLOAD.start;

/// `ff02::1`, all nodes on the link.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// `ff02::2`, all routers on the link.
pub const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);

/// The solicited-node multicast address of `addr`: `ff02::1:ff00:0/104` and its low 24 bits
/// (RFC 4291 §2.7.1), where neighbour solicitations for `addr` go.
pub const fn solicited_node(addr: &Ipv6Addr) -> Ipv6Addr {
    let o = addr.octets();
    Ipv6Addr::new(
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | o[13] as u16,
        ((o[14] as u16) << 8) | o[15] as u16,
    )
}

/// A read/write view of an IPv6 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> Ipv6Packet<T> {
        Ipv6Packet { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    ///
    /// # Errors
    /// See [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> WireResult<Ipv6Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that the header and the payload length it announces fit (the buffer may be
    /// longer), so no accessor panics.
    ///
    /// # Errors
    /// [`WireError::Truncated`].
    pub fn check_len(&self) -> WireResult<()> {
        let len = self.buffer.as_ref().len();
        WireError::check(HEADER_LEN, len)?;
        WireError::check(HEADER_LEN + usize::from(self.payload_len()), len)
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// IP version (6).
    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[0] >> 4
    }

    /// Traffic class.
    pub fn traffic_class(&self) -> u8 {
        (read_u32(self.buffer.as_ref(), field::VER_TC_FLOW) >> 20) as u8
    }

    /// Flow label (20 bits).
    pub fn flow_label(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::VER_TC_FLOW) & 0x000f_ffff
    }

    /// Payload length (extension headers included).
    #[inline]
    pub fn payload_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::LENGTH)
    }

    /// Type of the header after this one.
    #[inline]
    pub fn next_header(&self) -> IpProtocol {
        self.buffer.as_ref()[field::NXT_HDR].into()
    }

    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }

    /// Source address.
    #[inline]
    pub fn src_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(read_array::<16>(self.buffer.as_ref(), field::SRC_ADDR))
    }

    /// Destination address.
    #[inline]
    pub fn dst_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(read_array::<16>(self.buffer.as_ref(), field::DST_ADDR))
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Ipv6Packet<&'a T> {
    /// The payload (as long as the payload length says).
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[HEADER_LEN..HEADER_LEN + usize::from(self.payload_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    fn set_ver_tc_flow(&mut self, mask: u32, bits: u32) {
        let v = read_u32(self.buffer.as_ref(), field::VER_TC_FLOW);
        write_u32(self.buffer.as_mut(), field::VER_TC_FLOW, (v & !mask) | bits);
    }

    /// Sets the version.
    pub fn set_version(&mut self, v: u8) {
        self.set_ver_tc_flow(0xf000_0000, u32::from(v & 0x0f) << 28);
    }

    /// Sets the traffic class.
    pub fn set_traffic_class(&mut self, v: u8) {
        self.set_ver_tc_flow(0x0ff0_0000, u32::from(v) << 20);
    }

    /// Sets the flow label (low 20 bits).
    pub fn set_flow_label(&mut self, v: u32) {
        self.set_ver_tc_flow(0x000f_ffff, v & 0x000f_ffff);
    }

    /// Sets the payload length.
    pub fn set_payload_len(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::LENGTH, v);
    }

    /// Sets the next header.
    pub fn set_next_header(&mut self, v: IpProtocol) {
        self.buffer.as_mut()[field::NXT_HDR] = v.into();
    }

    /// Sets the hop limit.
    pub fn set_hop_limit(&mut self, v: u8) {
        self.buffer.as_mut()[field::HOP_LIMIT] = v;
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&a.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&a.octets());
    }

    /// The payload, for writing.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = HEADER_LEN + usize::from(self.payload_len());
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Ipv6Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Ipv6Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Ipv6Repr::parse(self) {
            Ok(repr) => write!(f, "{repr}"),
            Err(e) => write!(f, "IPv6 ({e})"),
        }
    }
}

/// The content of an IPv6 fixed header (traffic class and flow label zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Repr {
    /// Source address.
    pub src_addr: Ipv6Addr,
    /// Destination address.
    pub dst_addr: Ipv6Addr,
    /// Type of the next header.
    pub next_header: IpProtocol,
    /// Length of the payload.
    pub payload_len: usize,
    /// Hop limit.
    pub hop_limit: u8,
}

impl Ipv6Repr {
    /// Reads a fixed header (version 6).
    ///
    /// # Errors
    /// [`WireError::Truncated`], or [`WireError::Malformed`] if the version is not 6.
    pub fn parse<T: AsRef<[u8]>>(packet: &Ipv6Packet<T>) -> WireResult<Ipv6Repr> {
        packet.check_len()?;
        if packet.version() != 6 {
            return Err(WireError::Malformed("IPv6 version is not 6"));
        }
        Ok(Ipv6Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            next_header: packet.next_header(),
            payload_len: usize::from(packet.payload_len()),
            hop_limit: packet.hop_limit(),
        })
    }

    /// Length of the header this emits (40).
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header.
    ///
    /// # Panics
    /// If the buffer is shorter than 40 bytes or the payload is longer than 65535 bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Ipv6Packet<T>) {
        packet.set_version(6);
        packet.set_traffic_class(0);
        packet.set_flow_label(0);
        let len = u16::try_from(self.payload_len)
            .unwrap_or_else(|_| panic!("IPv6 payload of {} bytes", self.payload_len));
        packet.set_payload_len(len);
        packet.set_next_header(self.next_header);
        packet.set_hop_limit(self.hop_limit);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
    }
}

impl fmt::Display for Ipv6Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IPv6 src={} dst={} nxt={} hlim={} len={}",
            self.src_addr, self.dst_addr, self.next_header, self.hop_limit, self.payload_len
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // An ICMPv6 echo request between two Linux namespaces (fc00::1 -> fc00::2), captured
    // with tcpdump on a veth; it has a flow label.
    static PACKET_BYTES: [u8; 64] = [
        0x60, 0x07, 0x2c, 0xe0, 0x00, 0x18, 0x3a, 0x40, 0xfc, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfc, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x80, 0x00, 0x71, 0x1d, 0x41,
        0x15, 0x00, 0x01, 0xb3, 0xc4, 0x01, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x1d, 0x45, 0x03, 0x00,
        0x00, 0x00, 0x00, 0x00,
    ];

    // The header of the neighbour advertisement that answered it (no flow label).
    static NA_HEADER_BYTES: [u8; 40] = [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0xfc, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xfc, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    ];

    fn addr(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    fn na_repr() -> Ipv6Repr {
        Ipv6Repr {
            src_addr: addr("fc00::2"),
            dst_addr: addr("fc00::1"),
            next_header: IpProtocol::Icmpv6,
            payload_len: 32,
            hop_limit: 255,
        }
    }

    #[test]
    fn deconstruct() {
        let p = Ipv6Packet::new_checked(&PACKET_BYTES[..]).unwrap();
        assert_eq!(p.version(), 6);
        assert_eq!(p.traffic_class(), 0);
        assert_eq!(p.flow_label(), 0x72ce0);
        assert_eq!(p.payload_len(), 24);
        assert_eq!(p.next_header(), IpProtocol::Icmpv6);
        assert_eq!(p.hop_limit(), 64);
        assert_eq!(p.src_addr(), addr("fc00::1"));
        assert_eq!(p.dst_addr(), addr("fc00::2"));
        assert_eq!(p.payload(), &PACKET_BYTES[40..]);
        assert_eq!(
            p.to_string(),
            "IPv6 src=fc00::1 dst=fc00::2 nxt=ICMPv6 hlim=64 len=24"
        );
    }

    #[test]
    fn construct() {
        let mut bytes = [0xa5u8; 64];
        let mut p = Ipv6Packet::new_unchecked(&mut bytes);
        p.set_version(6);
        p.set_traffic_class(0);
        p.set_flow_label(0x72ce0);
        p.set_payload_len(24);
        p.set_next_header(IpProtocol::Icmpv6);
        p.set_hop_limit(64);
        p.set_src_addr(addr("fc00::1"));
        p.set_dst_addr(addr("fc00::2"));
        p.payload_mut().copy_from_slice(&PACKET_BYTES[40..]);
        assert_eq!(bytes, PACKET_BYTES);
    }

    #[test]
    fn parse() {
        let mut bytes = NA_HEADER_BYTES.to_vec();
        bytes.resize(72, 0);
        let p = Ipv6Packet::new_unchecked(&bytes[..]);
        assert_eq!(Ipv6Repr::parse(&p), Ok(na_repr()));
    }

    #[test]
    fn emit() {
        let mut bytes = [0xa5u8; 40];
        na_repr().emit(&mut Ipv6Packet::new_unchecked(&mut bytes));
        assert_eq!(bytes, NA_HEADER_BYTES);
    }

    #[test]
    fn bad_packets_and_multicast() {
        assert_eq!(
            Ipv6Packet::new_checked(&PACKET_BYTES[..39]),
            Err(WireError::Truncated { need: 40, have: 39 })
        );
        assert_eq!(
            Ipv6Packet::new_checked(&PACKET_BYTES[..50]),
            Err(WireError::Truncated { need: 64, have: 50 })
        );
        let mut b = PACKET_BYTES;
        b[0] = 0x40;
        assert_eq!(
            Ipv6Repr::parse(&Ipv6Packet::new_unchecked(&b[..])),
            Err(WireError::Malformed("IPv6 version is not 6"))
        );
        // RFC 4291 §2.7.1: fc00::2 -> ff02::1:ff00:2 (as the captured NS was sent to).
        assert_eq!(solicited_node(&addr("fc00::2")), addr("ff02::1:ff00:2"));
        assert_eq!(
            solicited_node(&addr("2001:db8::1234:5678")),
            addr("ff02::1:ff34:5678")
        );
    }
}
