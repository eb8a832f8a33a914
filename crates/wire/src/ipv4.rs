//! IPv4 headers (RFC 791 §3.1), with the header checksum.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version|  IHL  |   DSCP    |ECN|          Total Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Identification        |Flags|      Fragment Offset    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Time to Live |    Protocol   |         Header Checksum       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Source Address                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Destination Address                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Options (IHL > 5)                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  Flags: reserved, DF (don't fragment), MF (more fragments); offset in 8-byte units.
//! ```

use std::fmt;
use std::net::Ipv4Addr;

use crate::error::{WireError, WireResult};
use crate::field::{read_array, read_u16, write_u16};
use crate::ip::{IpProtocol, checksum};

mod field {
    use crate::field::Field;

    pub const VER_IHL: usize = 0;
    pub const DSCP_ECN: usize = 1;
    pub const LENGTH: Field = 2..4;
    pub const IDENT: Field = 4..6;
    pub const FLG_OFF: Field = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Field = 10..12;
    pub const SRC_ADDR: Field = 12..16;
    pub const DST_ADDR: Field = 16..20;
}

/// Length of a header without options.
pub const HEADER_LEN: usize = field::DST_ADDR.end;

/// A read/write view of an IPv4 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> Ipv4Packet<T> {
        Ipv4Packet { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    ///
    /// # Errors
    /// See [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> WireResult<Ipv4Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that the header, its options and the total length it announces fit, so no
    /// accessor panics. The buffer may be longer (Ethernet padding).
    ///
    /// # Errors
    /// [`WireError::Truncated`] if the buffer is too short; [`WireError::Malformed`] if the
    /// header length is below 20 or above the total length.
    pub fn check_len(&self) -> WireResult<()> {
        let len = self.buffer.as_ref().len();
        WireError::check(HEADER_LEN, len)?;
        let header_len = usize::from(self.header_len());
        if header_len < HEADER_LEN {
            return Err(WireError::Malformed("IPv4 header length below 20"));
        }
        WireError::check(header_len, len)?;
        let total_len = usize::from(self.total_len());
        if total_len < header_len {
            return Err(WireError::Malformed(
                "IPv4 total length below header length",
            ));
        }
        WireError::check(total_len, len)
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// IP version (4 for IPv4).
    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }

    /// Header length in bytes (IHL × 4).
    #[inline]
    pub fn header_len(&self) -> u8 {
        (self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }

    /// Differentiated services code point.
    pub fn dscp(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN] >> 2
    }

    /// Explicit congestion notification.
    pub fn ecn(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN] & 0x03
    }

    /// Total length (header and payload).
    #[inline]
    pub fn total_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::LENGTH)
    }

    /// Identification.
    pub fn ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::IDENT)
    }

    /// Don't fragment.
    pub fn dont_frag(&self) -> bool {
        read_u16(self.buffer.as_ref(), field::FLG_OFF) & 0x4000 != 0
    }

    /// More fragments follow.
    pub fn more_frags(&self) -> bool {
        read_u16(self.buffer.as_ref(), field::FLG_OFF) & 0x2000 != 0
    }

    /// Fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::FLG_OFF) << 3
    }

    /// Time to live.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    /// Protocol of the payload.
    #[inline]
    pub fn next_header(&self) -> IpProtocol {
        self.buffer.as_ref()[field::PROTOCOL].into()
    }

    /// Header checksum.
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// Source address.
    #[inline]
    pub fn src_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(read_array::<4>(self.buffer.as_ref(), field::SRC_ADDR))
    }

    /// Destination address.
    #[inline]
    pub fn dst_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(read_array::<4>(self.buffer.as_ref(), field::DST_ADDR))
    }

    /// Whether the header checksum is right.
    pub fn verify_checksum(&self) -> bool {
        let header = &self.buffer.as_ref()[..usize::from(self.header_len())];
        checksum::data(header) == 0xffff
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Ipv4Packet<&'a T> {
    /// The options (between the fixed header and the payload).
    pub fn options(&self) -> &'a [u8] {
        &self.buffer.as_ref()[HEADER_LEN..usize::from(self.header_len())]
    }

    /// The payload: from the end of the header to the total length.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[usize::from(self.header_len())..usize::from(self.total_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    /// Sets the version.
    pub fn set_version(&mut self, v: u8) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0x0f) | (v << 4);
    }

    /// Sets the header length in bytes (a multiple of 4, 20..=60).
    pub fn set_header_len(&mut self, len: u8) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0xf0) | ((len / 4) & 0x0f);
    }

    /// Sets the DSCP.
    pub fn set_dscp(&mut self, v: u8) {
        let b = &mut self.buffer.as_mut()[field::DSCP_ECN];
        *b = (*b & 0x03) | (v << 2);
    }

    /// Sets the ECN bits.
    pub fn set_ecn(&mut self, v: u8) {
        let b = &mut self.buffer.as_mut()[field::DSCP_ECN];
        *b = (*b & !0x03) | (v & 0x03);
    }

    /// Sets the total length.
    pub fn set_total_len(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::LENGTH, v);
    }

    /// Sets the identification.
    pub fn set_ident(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::IDENT, v);
    }

    /// Clears the flags and the fragment offset.
    pub fn clear_flags(&mut self) {
        write_u16(self.buffer.as_mut(), field::FLG_OFF, 0);
    }

    fn set_flg_off_bits(&mut self, mask: u16, bits: u16) {
        let v = read_u16(self.buffer.as_ref(), field::FLG_OFF);
        write_u16(self.buffer.as_mut(), field::FLG_OFF, (v & !mask) | bits);
    }

    /// Sets don't fragment.
    pub fn set_dont_frag(&mut self, on: bool) {
        self.set_flg_off_bits(0x4000, if on { 0x4000 } else { 0 });
    }

    /// Sets more fragments.
    pub fn set_more_frags(&mut self, on: bool) {
        self.set_flg_off_bits(0x2000, if on { 0x2000 } else { 0 });
    }

    /// Sets the fragment offset in bytes (a multiple of 8).
    pub fn set_frag_offset(&mut self, bytes: u16) {
        self.set_flg_off_bits(0x1fff, bytes >> 3);
    }

    /// Sets the time to live.
    pub fn set_hop_limit(&mut self, v: u8) {
        self.buffer.as_mut()[field::TTL] = v;
    }

    /// Sets the protocol.
    pub fn set_next_header(&mut self, v: IpProtocol) {
        self.buffer.as_mut()[field::PROTOCOL] = v.into();
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::CHECKSUM, v);
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&a.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&a.octets());
    }

    /// Computes and writes the header checksum (call after every other header field).
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let sum = {
            let header = &self.buffer.as_ref()[..usize::from(self.header_len())];
            checksum::data(header)
        };
        self.set_checksum(!sum);
    }

    /// The payload, for writing.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let range = usize::from(self.header_len())..usize::from(self.total_len());
        &mut self.buffer.as_mut()[range]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Ipv4Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Ipv4Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Ipv4Repr::parse(self) {
            Ok(repr) => write!(f, "{repr}"),
            Err(e) => write!(f, "IPv4 ({e})"),
        }
    }
}

/// The content of an unfragmented IPv4 header without options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Repr {
    /// Source address.
    pub src_addr: Ipv4Addr,
    /// Destination address.
    pub dst_addr: Ipv4Addr,
    /// Protocol of the payload.
    pub next_header: IpProtocol,
    /// Length of the payload.
    pub payload_len: usize,
    /// Time to live.
    pub hop_limit: u8,
}

impl Ipv4Repr {
    /// Reads a header: version 4, a correct checksum, not a fragment. Options are skipped.
    ///
    /// # Errors
    /// [`WireError::Truncated`] or [`WireError::Malformed`] (with the rule broken).
    pub fn parse<T: AsRef<[u8]>>(packet: &Ipv4Packet<T>) -> WireResult<Ipv4Repr> {
        packet.check_len()?;
        if packet.version() != 4 {
            return Err(WireError::Malformed("IPv4 version is not 4"));
        }
        if !packet.verify_checksum() {
            return Err(WireError::Malformed("bad IPv4 header checksum"));
        }
        if packet.more_frags() || packet.frag_offset() != 0 {
            return Err(WireError::Malformed("IPv4 fragment"));
        }
        Ok(Ipv4Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            next_header: packet.next_header(),
            payload_len: usize::from(packet.total_len()) - usize::from(packet.header_len()),
            hop_limit: packet.hop_limit(),
        })
    }

    /// Length of the header this emits (20).
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header as FAUCET does (no DSCP, identification 0, no flags) and its
    /// checksum. The buffer must hold the header and the payload.
    ///
    /// # Panics
    /// If the buffer is shorter than 20 bytes, or `payload_len + 20` exceeds 65535.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Ipv4Packet<T>) {
        packet.set_version(4);
        packet.set_header_len(HEADER_LEN as u8);
        packet.set_dscp(0);
        packet.set_ecn(0);
        let total = u16::try_from(HEADER_LEN + self.payload_len)
            .unwrap_or_else(|_| panic!("IPv4 payload of {} bytes", self.payload_len));
        packet.set_total_len(total);
        packet.set_ident(0);
        packet.clear_flags();
        packet.set_hop_limit(self.hop_limit);
        packet.set_next_header(self.next_header);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
        packet.fill_checksum();
    }
}

impl fmt::Display for Ipv4Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IPv4 src={} dst={} proto={} ttl={} len={}",
            self.src_addr, self.dst_addr, self.next_header, self.hop_limit, self.payload_len
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ICMP echo request from a namespace behind an Open vSwitch access port (captured on the
    // trunk; this is the frame from byte 18, after Ethernet and the VLAN tag).
    static PACKET_BYTES: [u8; 44] = [
        0x45, 0x00, 0x00, 0x2c, 0x2a, 0xad, 0x40, 0x00, 0x40, 0x01, 0xfc, 0x21, 0x0a, 0x00, 0x00,
        0x01, 0x0a, 0x00, 0x00, 0x02, 0x08, 0x00, 0x8b, 0xba, 0x3f, 0x10, 0x00, 0x01, 0xa0, 0xc4,
        0x01, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x7e, 0x04, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    // FAUCET's echo reply header (valve_packet.echo_reply, os-ken): no identification, no
    // flags, TTL 255.
    static FAUCET_HEADER_BYTES: [u8; 20] = [
        0x45, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0xff, 0x01, 0xa6, 0xda, 0x0a, 0x00, 0x00,
        0xfe, 0x0a, 0x00, 0x00, 0x01,
    ];

    #[test]
    fn deconstruct() {
        let p = Ipv4Packet::new_checked(&PACKET_BYTES[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.dscp(), 0);
        assert_eq!(p.ecn(), 0);
        assert_eq!(p.total_len(), 44);
        assert_eq!(p.ident(), 0x2aad);
        assert!(p.dont_frag());
        assert!(!p.more_frags());
        assert_eq!(p.frag_offset(), 0);
        assert_eq!(p.hop_limit(), 64);
        assert_eq!(p.next_header(), IpProtocol::Icmp);
        assert_eq!(p.checksum(), 0xfc21);
        assert_eq!(p.src_addr(), Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(p.dst_addr(), Ipv4Addr::new(10, 0, 0, 2));
        assert!(p.verify_checksum());
        assert!(p.options().is_empty());
        assert_eq!(p.payload(), &PACKET_BYTES[20..]);
        assert_eq!(
            p.to_string(),
            "IPv4 src=10.0.0.1 dst=10.0.0.2 proto=ICMP ttl=64 len=24"
        );
    }

    #[test]
    fn construct() {
        let mut bytes = [0xa5u8; 44];
        let mut p = Ipv4Packet::new_unchecked(&mut bytes);
        p.set_version(4);
        p.set_header_len(20);
        p.set_dscp(0);
        p.set_ecn(0);
        p.set_total_len(44);
        p.set_ident(0x2aad);
        p.clear_flags();
        p.set_dont_frag(true);
        p.set_more_frags(false);
        p.set_frag_offset(0);
        p.set_hop_limit(64);
        p.set_next_header(IpProtocol::Icmp);
        p.set_src_addr(Ipv4Addr::new(10, 0, 0, 1));
        p.set_dst_addr(Ipv4Addr::new(10, 0, 0, 2));
        p.fill_checksum();
        p.payload_mut().copy_from_slice(&PACKET_BYTES[20..]);
        assert_eq!(bytes, PACKET_BYTES);
    }

    #[test]
    fn parse() {
        let p = Ipv4Packet::new_unchecked(&PACKET_BYTES[..]);
        assert_eq!(
            Ipv4Repr::parse(&p),
            Ok(Ipv4Repr {
                src_addr: Ipv4Addr::new(10, 0, 0, 1),
                dst_addr: Ipv4Addr::new(10, 0, 0, 2),
                next_header: IpProtocol::Icmp,
                payload_len: 24,
                hop_limit: 64,
            })
        );
    }

    #[test]
    fn emit() {
        let repr = Ipv4Repr {
            src_addr: Ipv4Addr::new(10, 0, 0, 254),
            dst_addr: Ipv4Addr::new(10, 0, 0, 1),
            next_header: IpProtocol::Icmp,
            payload_len: 16,
            hop_limit: 255,
        };
        let mut bytes = [0xa5u8; 36];
        repr.emit(&mut Ipv4Packet::new_unchecked(&mut bytes));
        assert_eq!(bytes[..20], FAUCET_HEADER_BYTES);
        assert_eq!(repr.buffer_len(), 20);
    }

    #[test]
    fn bad_packets() {
        let check = |b: &[u8]| Ipv4Packet::new_checked(b).map(|_| ());
        assert_eq!(
            check(&PACKET_BYTES[..19]),
            Err(WireError::Truncated { need: 20, have: 19 })
        );
        assert_eq!(
            check(&PACKET_BYTES[..40]),
            Err(WireError::Truncated { need: 44, have: 40 })
        );
        let mut b = PACKET_BYTES;
        b[0] = 0x44;
        assert_eq!(
            check(&b),
            Err(WireError::Malformed("IPv4 header length below 20"))
        );
        let mut b = PACKET_BYTES;
        b[3] = 10;
        assert_eq!(
            check(&b),
            Err(WireError::Malformed(
                "IPv4 total length below header length"
            ))
        );
        let parse = |b: &[u8]| Ipv4Repr::parse(&Ipv4Packet::new_unchecked(b));
        let mut b = PACKET_BYTES;
        b[11] ^= 1;
        assert_eq!(
            parse(&b),
            Err(WireError::Malformed("bad IPv4 header checksum"))
        );
        let mut b = PACKET_BYTES;
        b[0] = 0x65;
        assert_eq!(
            parse(&b),
            Err(WireError::Malformed("IPv4 version is not 4"))
        );
        let mut b = PACKET_BYTES;
        let mut p = Ipv4Packet::new_unchecked(&mut b[..]);
        p.set_more_frags(true);
        p.fill_checksum();
        assert_eq!(parse(&b), Err(WireError::Malformed("IPv4 fragment")));
        // Ethernet padding after the total length is fine and not part of the payload.
        let mut padded = PACKET_BYTES.to_vec();
        padded.extend_from_slice(&[0; 6]);
        let p = Ipv4Packet::new_checked(&padded[..]).unwrap();
        assert_eq!(p.payload().len(), 24);
    }
}
