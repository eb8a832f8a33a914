//! Ethernet II frames: destination, source, EtherType (IEEE 802.3-2018 §3.1.1, Ethernet II /
//! "DIX" framing with a type of 0x0600 or more).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                  Destination address (6)                      |
//! +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                               |                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//! |                    Source address (6)                         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      EtherType (2)            |  Payload ...                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The frame check sequence is not part of the buffer (switches hand packet-ins over without
//! it). A VLAN tag is an EtherType of 0x8100 or 0x88a8 followed by the tag: see [`crate::vlan`].

use std::fmt;

use crate::error::{WireError, WireResult};
use crate::field::{read_u16, write_u16};
use crate::mac::MacAddr;
use crate::macros::enum_with_unknown;

enum_with_unknown! {
    /// An EtherType (IEEE Registration Authority; the values sluice cares about are named).
    pub enum EtherType(u16) {
        /// IPv4 (RFC 894).
        Ipv4 = 0x0800 => "IPv4",
        /// ARP (RFC 826).
        Arp = 0x0806 => "ARP",
        /// IEEE 802.1Q customer VLAN tag (C-tag).
        Vlan = 0x8100 => "802.1Q",
        /// IPv6 (RFC 2464).
        Ipv6 = 0x86dd => "IPv6",
        /// Slow protocols: LACP and marker (IEEE 802.3 Annex 57A).
        SlowProtocols = 0x8809 => "slow-protocols",
        /// MPLS unicast (RFC 3032).
        Mpls = 0x8847 => "MPLS",
        /// EAP over LAN, 802.1X (FAUCET's 802.1X support).
        Eapol = 0x888e => "EAPOL",
        /// IEEE 802.1ad service VLAN tag (S-tag, "QinQ").
        QinQ = 0x88a8 => "802.1ad",
        /// LLDP (IEEE 802.1AB).
        Lldp = 0x88cc => "LLDP",
        /// Ethernet configuration testing protocol (FAUCET drops it).
        Ectp = 0x9000 => "ECTP",
        /// Pre-standard QinQ tag some switches still send.
        QinQLegacy = 0x9100 => "QinQ-0x9100",
    }
    unknown = "{:#06x}";
}

impl EtherType {
    /// Whether this EtherType announces a VLAN tag (0x8100, 0x88a8 or 0x9100).
    #[inline]
    pub const fn is_vlan_tpid(&self) -> bool {
        matches!(
            self,
            EtherType::Vlan | EtherType::QinQ | EtherType::QinQLegacy
        )
    }
}

mod field {
    use crate::field::{Field, Rest};

    pub const DESTINATION: Field = 0..6;
    pub const SOURCE: Field = 6..12;
    pub const ETHERTYPE: Field = 12..14;
    pub const PAYLOAD: Rest = 14..;
}

/// Length of the Ethernet header.
pub const HEADER_LEN: usize = field::PAYLOAD.start;

/// The shortest Ethernet frame without its frame check sequence; builders pad to it, as
/// FAUCET's packet library (os-ken) does.
pub const MIN_FRAME_LEN: usize = 60;

/// A read/write view of an Ethernet II frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Wraps a buffer without checking its length; accessors may panic on a short buffer.
    pub const fn new_unchecked(buffer: T) -> EthernetFrame<T> {
        EthernetFrame { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    ///
    /// # Errors
    /// [`WireError::Truncated`] if the buffer is shorter than the header.
    pub fn new_checked(buffer: T) -> WireResult<EthernetFrame<T>> {
        let frame = Self::new_unchecked(buffer);
        frame.check_len()?;
        Ok(frame)
    }

    /// Checks that the header fits, so no accessor panics.
    ///
    /// # Errors
    /// [`WireError::Truncated`] if the buffer is shorter than 14 bytes.
    pub fn check_len(&self) -> WireResult<()> {
        WireError::check(HEADER_LEN, self.buffer.as_ref().len())
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Length of a frame with a payload of `payload_len` bytes.
    pub const fn buffer_len(payload_len: usize) -> usize {
        HEADER_LEN + payload_len
    }

    /// The destination address.
    #[inline]
    pub fn dst_addr(&self) -> MacAddr {
        MacAddr(crate::field::read_array(
            self.buffer.as_ref(),
            field::DESTINATION,
        ))
    }

    /// The source address.
    #[inline]
    pub fn src_addr(&self) -> MacAddr {
        MacAddr(crate::field::read_array(
            self.buffer.as_ref(),
            field::SOURCE,
        ))
    }

    /// The EtherType.
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        read_u16(self.buffer.as_ref(), field::ETHERTYPE).into()
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> EthernetFrame<&'a T> {
    /// The bytes after the header.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::PAYLOAD]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, addr: MacAddr) {
        self.buffer.as_mut()[field::DESTINATION].copy_from_slice(&addr.0);
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, addr: MacAddr) {
        self.buffer.as_mut()[field::SOURCE].copy_from_slice(&addr.0);
    }

    /// Sets the EtherType.
    pub fn set_ethertype(&mut self, ty: EtherType) {
        write_u16(self.buffer.as_mut(), field::ETHERTYPE, ty.into());
    }

    /// The bytes after the header, for writing.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for EthernetFrame<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]>> fmt::Display for EthernetFrame<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match EthernetRepr::parse(self) {
            Ok(repr) => write!(f, "{repr}"),
            Err(e) => write!(f, "Ethernet ({e})"),
        }
    }
}

/// The content of an Ethernet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthernetRepr {
    /// Source address.
    pub src_addr: MacAddr,
    /// Destination address.
    pub dst_addr: MacAddr,
    /// EtherType of the payload (0x8100 when a VLAN tag follows).
    pub ethertype: EtherType,
}

impl EthernetRepr {
    /// Reads the header of a frame.
    ///
    /// # Errors
    /// [`WireError::Truncated`] if the header does not fit.
    pub fn parse<T: AsRef<[u8]>>(frame: &EthernetFrame<T>) -> WireResult<EthernetRepr> {
        frame.check_len()?;
        Ok(EthernetRepr {
            src_addr: frame.src_addr(),
            dst_addr: frame.dst_addr(),
            ethertype: frame.ethertype(),
        })
    }

    /// Length of the header this emits.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header.
    ///
    /// # Panics
    /// If the buffer is shorter than [`buffer_len`](Self::buffer_len).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, frame: &mut EthernetFrame<T>) {
        frame.set_src_addr(self.src_addr);
        frame.set_dst_addr(self.dst_addr);
        frame.set_ethertype(self.ethertype);
    }
}

impl fmt::Display for EthernetRepr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Ethernet src={} dst={} type={}",
            self.src_addr, self.dst_addr, self.ethertype
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // An ARP request from a Linux namespace, captured with tcpdump on a veth.
    static FRAME_BYTES: [u8; 42] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x08, 0x06, 0x00,
        0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x0a, 0x01,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x01, 0x00, 0x02,
    ];

    static PAYLOAD_BYTES: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x0a,
        0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x01, 0x00, 0x02,
    ];

    const SRC: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x0a]);

    fn repr() -> EthernetRepr {
        EthernetRepr {
            src_addr: SRC,
            dst_addr: MacAddr::BROADCAST,
            ethertype: EtherType::Arp,
        }
    }

    #[test]
    fn deconstruct() {
        let frame = EthernetFrame::new_checked(&FRAME_BYTES[..]).unwrap();
        assert_eq!(frame.dst_addr(), MacAddr::BROADCAST);
        assert_eq!(frame.src_addr(), SRC);
        assert_eq!(frame.ethertype(), EtherType::Arp);
        assert_eq!(frame.payload(), &PAYLOAD_BYTES[..]);
        assert_eq!(
            frame.to_string(),
            "Ethernet src=0e:00:00:00:00:0a dst=ff:ff:ff:ff:ff:ff type=ARP"
        );
    }

    #[test]
    fn construct() {
        let mut bytes = vec![0xa5; 42];
        let mut frame = EthernetFrame::new_unchecked(&mut bytes);
        frame.set_dst_addr(MacAddr::BROADCAST);
        frame.set_src_addr(SRC);
        frame.set_ethertype(EtherType::Arp);
        frame.payload_mut().copy_from_slice(&PAYLOAD_BYTES);
        assert_eq!(&bytes[..], &FRAME_BYTES[..]);
    }

    #[test]
    fn parse() {
        let frame = EthernetFrame::new_unchecked(&FRAME_BYTES[..]);
        assert_eq!(EthernetRepr::parse(&frame), Ok(repr()));
    }

    #[test]
    fn emit() {
        let mut bytes = vec![0xa5; 14];
        let mut frame = EthernetFrame::new_unchecked(&mut bytes);
        repr().emit(&mut frame);
        assert_eq!(&bytes[..], &FRAME_BYTES[..14]);
        assert_eq!(repr().buffer_len(), 14);
    }

    #[test]
    fn short_and_unknown() {
        assert_eq!(
            EthernetFrame::new_checked(&FRAME_BYTES[..13]),
            Err(WireError::Truncated { need: 14, have: 13 })
        );
        assert_eq!(EtherType::from(0x1234), EtherType::Unknown(0x1234));
        assert_eq!(u16::from(EtherType::Unknown(0x1234)), 0x1234);
        assert_eq!(EtherType::from(0x1234).to_string(), "0x1234");
        assert!(EtherType::QinQ.is_vlan_tpid());
        assert!(!EtherType::Ipv4.is_vlan_tpid());
    }
}
