//! ARP packets (RFC 826; Ethernet/IPv4 is the only pair [`ArpRepr`] represents).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Hardware type (HTYPE = 1)   |   Protocol type (PTYPE 0x0800)|
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  HLEN (6)     |  PLEN (4)     |   Operation (OPER)            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Sender hardware address (SHA, HLEN bytes) ...                |
//! |  Sender protocol address (SPA, PLEN bytes) ...                |
//! |  Target hardware address (THA, HLEN bytes) ...                |
//! |  Target protocol address (TPA, PLEN bytes) ...                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::fmt;
use std::net::Ipv4Addr;

use crate::error::{WireError, WireResult};
use crate::ethernet::EtherType;
use crate::field::{Field, read_u16, write_u16};
use crate::mac::MacAddr;
use crate::macros::enum_with_unknown;

enum_with_unknown! {
    /// ARP hardware type (IANA "Hardware Types").
    pub enum Hardware(u16) {
        /// Ethernet (10Mb).
        Ethernet = 1 => "Ethernet",
    }
    unknown = "{}";
}

enum_with_unknown! {
    /// ARP operation (IANA "Operation Codes").
    pub enum ArpOperation(u16) {
        /// Request.
        Request = 1 => "request",
        /// Reply.
        Reply = 2 => "reply",
    }
    unknown = "{}";
}

mod field {
    #![allow(non_snake_case)]

    use crate::field::Field;

    pub const HTYPE: Field = 0..2;
    pub const PTYPE: Field = 2..4;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: Field = 6..8;

    #[inline]
    pub const fn SHA(hlen: u8, _plen: u8) -> Field {
        let start = OPER.end;
        start..(start + hlen as usize)
    }

    #[inline]
    pub const fn SPA(hlen: u8, plen: u8) -> Field {
        let start = SHA(hlen, plen).end;
        start..(start + plen as usize)
    }

    #[inline]
    pub const fn THA(hlen: u8, plen: u8) -> Field {
        let start = SPA(hlen, plen).end;
        start..(start + hlen as usize)
    }

    #[inline]
    pub const fn TPA(hlen: u8, plen: u8) -> Field {
        let start = THA(hlen, plen).end;
        start..(start + plen as usize)
    }
}

/// Length of the fixed part, before the addresses.
pub const FIXED_LEN: usize = field::OPER.end;

/// Length of an Ethernet/IPv4 ARP packet.
pub const ETHERNET_IPV4_LEN: usize = FIXED_LEN + 2 * (6 + 4);

/// A read/write view of an ARP packet of any hardware and protocol address lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    /// Wraps a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> ArpPacket<T> {
        ArpPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    ///
    /// # Errors
    /// See [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> WireResult<ArpPacket<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that the fixed part and the four addresses (of the lengths the packet
    /// announces) fit, so no accessor panics.
    ///
    /// # Errors
    /// [`WireError::Truncated`] if they do not.
    pub fn check_len(&self) -> WireResult<()> {
        let len = self.buffer.as_ref().len();
        WireError::check(FIXED_LEN, len)?;
        WireError::check(
            field::TPA(self.hardware_len(), self.protocol_len()).end,
            len,
        )
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Hardware type.
    pub fn hardware_type(&self) -> Hardware {
        read_u16(self.buffer.as_ref(), field::HTYPE).into()
    }

    /// Protocol type (an EtherType).
    pub fn protocol_type(&self) -> EtherType {
        read_u16(self.buffer.as_ref(), field::PTYPE).into()
    }

    /// Length of a hardware address.
    pub fn hardware_len(&self) -> u8 {
        self.buffer.as_ref()[field::HLEN]
    }

    /// Length of a protocol address.
    pub fn protocol_len(&self) -> u8 {
        self.buffer.as_ref()[field::PLEN]
    }

    /// Operation.
    pub fn operation(&self) -> ArpOperation {
        read_u16(self.buffer.as_ref(), field::OPER).into()
    }

    fn addr(&self, f: fn(u8, u8) -> Field) -> &[u8] {
        &self.buffer.as_ref()[f(self.hardware_len(), self.protocol_len())]
    }

    /// Sender hardware address.
    pub fn source_hardware_addr(&self) -> &[u8] {
        self.addr(field::SHA)
    }

    /// Sender protocol address.
    pub fn source_protocol_addr(&self) -> &[u8] {
        self.addr(field::SPA)
    }

    /// Target hardware address.
    pub fn target_hardware_addr(&self) -> &[u8] {
        self.addr(field::THA)
    }

    /// Target protocol address.
    pub fn target_protocol_addr(&self) -> &[u8] {
        self.addr(field::TPA)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ArpPacket<T> {
    /// Sets the hardware type.
    pub fn set_hardware_type(&mut self, v: Hardware) {
        write_u16(self.buffer.as_mut(), field::HTYPE, v.into());
    }

    /// Sets the protocol type.
    pub fn set_protocol_type(&mut self, v: EtherType) {
        write_u16(self.buffer.as_mut(), field::PTYPE, v.into());
    }

    /// Sets the hardware address length.
    pub fn set_hardware_len(&mut self, v: u8) {
        self.buffer.as_mut()[field::HLEN] = v;
    }

    /// Sets the protocol address length.
    pub fn set_protocol_len(&mut self, v: u8) {
        self.buffer.as_mut()[field::PLEN] = v;
    }

    /// Sets the operation.
    pub fn set_operation(&mut self, v: ArpOperation) {
        write_u16(self.buffer.as_mut(), field::OPER, v.into());
    }

    fn set_addr(&mut self, f: fn(u8, u8) -> Field, v: &[u8]) {
        let r = f(self.hardware_len(), self.protocol_len());
        self.buffer.as_mut()[r].copy_from_slice(v);
    }

    /// Sets the sender hardware address (`v` must be `hardware_len` bytes).
    pub fn set_source_hardware_addr(&mut self, v: &[u8]) {
        self.set_addr(field::SHA, v);
    }

    /// Sets the sender protocol address (`v` must be `protocol_len` bytes).
    pub fn set_source_protocol_addr(&mut self, v: &[u8]) {
        self.set_addr(field::SPA, v);
    }

    /// Sets the target hardware address.
    pub fn set_target_hardware_addr(&mut self, v: &[u8]) {
        self.set_addr(field::THA, v);
    }

    /// Sets the target protocol address.
    pub fn set_target_protocol_addr(&mut self, v: &[u8]) {
        self.set_addr(field::TPA, v);
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for ArpPacket<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]>> fmt::Display for ArpPacket<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match ArpRepr::parse(self) {
            Ok(repr) => write!(f, "{repr}"),
            Err(e) => write!(f, "ARP ({e})"),
        }
    }
}

/// An Ethernet/IPv4 ARP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArpRepr {
    /// Operation (request or reply; other values are kept).
    pub operation: ArpOperation,
    /// Sender hardware address.
    pub source_hardware_addr: MacAddr,
    /// Sender protocol address.
    pub source_protocol_addr: Ipv4Addr,
    /// Target hardware address (zero in a request).
    pub target_hardware_addr: MacAddr,
    /// Target protocol address.
    pub target_protocol_addr: Ipv4Addr,
}

impl ArpRepr {
    /// A request from `sha`/`spa` for `tpa` (target hardware address zero, as FAUCET sends).
    pub const fn request(sha: MacAddr, spa: Ipv4Addr, tpa: Ipv4Addr) -> ArpRepr {
        ArpRepr {
            operation: ArpOperation::Request,
            source_hardware_addr: sha,
            source_protocol_addr: spa,
            target_hardware_addr: MacAddr::ZERO,
            target_protocol_addr: tpa,
        }
    }

    /// A reply from `sha`/`spa` to `tha`/`tpa`.
    pub const fn reply(sha: MacAddr, spa: Ipv4Addr, tha: MacAddr, tpa: Ipv4Addr) -> ArpRepr {
        ArpRepr {
            operation: ArpOperation::Reply,
            source_hardware_addr: sha,
            source_protocol_addr: spa,
            target_hardware_addr: tha,
            target_protocol_addr: tpa,
        }
    }

    /// Reads an Ethernet/IPv4 ARP packet.
    ///
    /// # Errors
    /// [`WireError::Truncated`] if it does not fit; [`WireError::Malformed`] if it is not
    /// Ethernet/IPv4 (hardware type 1, protocol 0x0800, lengths 6 and 4).
    pub fn parse<T: AsRef<[u8]>>(packet: &ArpPacket<T>) -> WireResult<ArpRepr> {
        packet.check_len()?;
        if packet.hardware_type() != Hardware::Ethernet
            || packet.protocol_type() != EtherType::Ipv4
            || packet.hardware_len() != 6
            || packet.protocol_len() != 4
        {
            return Err(WireError::Malformed("ARP is not Ethernet/IPv4"));
        }
        let ip = |b: &[u8]| Ipv4Addr::new(b[0], b[1], b[2], b[3]);
        let mac = |b: &[u8]| MacAddr([b[0], b[1], b[2], b[3], b[4], b[5]]);
        Ok(ArpRepr {
            operation: packet.operation(),
            source_hardware_addr: mac(packet.source_hardware_addr()),
            source_protocol_addr: ip(packet.source_protocol_addr()),
            target_hardware_addr: mac(packet.target_hardware_addr()),
            target_protocol_addr: ip(packet.target_protocol_addr()),
        })
    }

    /// Length of the packet this emits (28).
    pub const fn buffer_len(&self) -> usize {
        ETHERNET_IPV4_LEN
    }

    /// Writes the packet.
    ///
    /// # Panics
    /// If the buffer is shorter than [`buffer_len`](Self::buffer_len).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut ArpPacket<T>) {
        packet.set_hardware_type(Hardware::Ethernet);
        packet.set_protocol_type(EtherType::Ipv4);
        packet.set_hardware_len(6);
        packet.set_protocol_len(4);
        packet.set_operation(self.operation);
        packet.set_source_hardware_addr(&self.source_hardware_addr.0);
        packet.set_source_protocol_addr(&self.source_protocol_addr.octets());
        packet.set_target_hardware_addr(&self.target_hardware_addr.0);
        packet.set_target_protocol_addr(&self.target_protocol_addr.octets());
    }
}

impl fmt::Display for ArpRepr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ARP {} sha={} spa={} tha={} tpa={}",
            self.operation,
            self.source_hardware_addr,
            self.source_protocol_addr,
            self.target_hardware_addr,
            self.target_protocol_addr
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // An ARP reply from a Linux namespace (10.1.0.2 is-at 0e:00:00:00:00:0b), captured with
    // tcpdump on a veth.
    static PACKET_BYTES: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x0a,
        0x01, 0x00, 0x02, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x0a, 0x01, 0x00, 0x01,
    ];

    const A: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x0a]);
    const B: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x0b]);

    fn repr() -> ArpRepr {
        ArpRepr::reply(B, Ipv4Addr::new(10, 1, 0, 2), A, Ipv4Addr::new(10, 1, 0, 1))
    }

    #[test]
    fn deconstruct() {
        let p = ArpPacket::new_checked(&PACKET_BYTES[..]).unwrap();
        assert_eq!(p.hardware_type(), Hardware::Ethernet);
        assert_eq!(p.protocol_type(), EtherType::Ipv4);
        assert_eq!(p.hardware_len(), 6);
        assert_eq!(p.protocol_len(), 4);
        assert_eq!(p.operation(), ArpOperation::Reply);
        assert_eq!(p.source_hardware_addr(), &B.0);
        assert_eq!(p.source_protocol_addr(), &[10, 1, 0, 2]);
        assert_eq!(p.target_hardware_addr(), &A.0);
        assert_eq!(p.target_protocol_addr(), &[10, 1, 0, 1]);
        assert_eq!(
            p.to_string(),
            "ARP reply sha=0e:00:00:00:00:0b spa=10.1.0.2 tha=0e:00:00:00:00:0a tpa=10.1.0.1"
        );
    }

    #[test]
    fn construct() {
        let mut bytes = [0xa5u8; 28];
        let mut p = ArpPacket::new_unchecked(&mut bytes);
        p.set_hardware_type(Hardware::Ethernet);
        p.set_protocol_type(EtherType::Ipv4);
        p.set_hardware_len(6);
        p.set_protocol_len(4);
        p.set_operation(ArpOperation::Reply);
        p.set_source_hardware_addr(&B.0);
        p.set_source_protocol_addr(&[10, 1, 0, 2]);
        p.set_target_hardware_addr(&A.0);
        p.set_target_protocol_addr(&[10, 1, 0, 1]);
        assert_eq!(bytes, PACKET_BYTES);
    }

    #[test]
    fn parse() {
        let p = ArpPacket::new_unchecked(&PACKET_BYTES[..]);
        assert_eq!(ArpRepr::parse(&p), Ok(repr()));
    }

    #[test]
    fn emit() {
        let mut bytes = [0xa5u8; 28];
        repr().emit(&mut ArpPacket::new_unchecked(&mut bytes));
        assert_eq!(bytes, PACKET_BYTES);
    }

    #[test]
    fn bad_packets() {
        assert_eq!(
            ArpPacket::new_checked(&PACKET_BYTES[..27]),
            Err(WireError::Truncated { need: 28, have: 27 })
        );
        assert_eq!(
            ArpPacket::new_checked(&PACKET_BYTES[..5]),
            Err(WireError::Truncated { need: 8, have: 5 })
        );
        let mut bytes = PACKET_BYTES;
        bytes[1] = 6; // IEEE 802 hardware type
        assert_eq!(
            ArpRepr::parse(&ArpPacket::new_unchecked(&bytes[..])),
            Err(WireError::Malformed("ARP is not Ethernet/IPv4"))
        );
        // Other address lengths are readable through the packet view.
        let odd = [0, 1, 8, 0, 2, 1, 0, 1, 0xaa, 0xbb, 7, 0xcc, 0xdd, 8];
        let p = ArpPacket::new_checked(&odd[..]).unwrap();
        assert_eq!(p.target_hardware_addr(), &[0xcc, 0xdd]);
        assert_eq!(p.target_protocol_addr(), &[8]);
    }
}
