//! TCP segment headers (RFC 9293 §3.1). The controller only needs ports and flags; `TcpRepr`
//! emits option-less segments with a correct checksum, for test frames.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Source Port          |       Destination Port        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Sequence Number                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Acknowledgment Number                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Data |     |N|C|E|U|A|P|R|S|F|                               |
//! | Offset| Rsrv|S|W|C|R|C|S|S|Y|I|            Window             |
//! |       |     | |R|E|G|K|H|T|N|N|                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Checksum            |         Urgent Pointer        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Options (data offset > 5)                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::fmt;
use std::net::IpAddr;

use crate::error::{WireError, WireResult};
use crate::field::{read_u16, read_u32, write_u16, write_u32};
use crate::ip::{IpProtocol, checksum};
use crate::macros::bit_flags;

bit_flags! {
    /// TCP control bits.
    pub struct TcpFlags(u16) {
        /// No more data.
        const FIN = 0x001 => "FIN";
        /// Synchronise sequence numbers.
        const SYN = 0x002 => "SYN";
        /// Reset.
        const RST = 0x004 => "RST";
        /// Push.
        const PSH = 0x008 => "PSH";
        /// Acknowledgment number is valid.
        const ACK = 0x010 => "ACK";
        /// Urgent pointer is valid.
        const URG = 0x020 => "URG";
        /// ECN echo.
        const ECE = 0x040 => "ECE";
        /// Congestion window reduced.
        const CWR = 0x080 => "CWR";
        /// ECN nonce (historic).
        const NS = 0x100 => "NS";
    }
}

mod field {
    use crate::field::Field;

    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const SEQ_NUM: Field = 4..8;
    pub const ACK_NUM: Field = 8..12;
    pub const FLAGS: Field = 12..14;
    pub const WIN_SIZE: Field = 14..16;
    pub const CHECKSUM: Field = 16..18;
    pub const URGENT: Field = 18..20;
}

/// Length of a header without options.
pub const HEADER_LEN: usize = field::URGENT.end;

/// A read/write view of a TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> TcpPacket<T> {
        TcpPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    ///
    /// # Errors
    /// See [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> WireResult<TcpPacket<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that the header and its options fit, so no accessor panics. The segment is the
    /// whole buffer (TCP has no length field; the IP header gives it).
    ///
    /// # Errors
    /// [`WireError::Truncated`]; [`WireError::Malformed`] if the data offset is below 5.
    pub fn check_len(&self) -> WireResult<()> {
        let len = self.buffer.as_ref().len();
        WireError::check(HEADER_LEN, len)?;
        let header_len = usize::from(self.header_len());
        if header_len < HEADER_LEN {
            return Err(WireError::Malformed("TCP data offset below 5"));
        }
        WireError::check(header_len, len)
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

    /// Sequence number.
    pub fn seq_number(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::SEQ_NUM)
    }

    /// Acknowledgment number.
    pub fn ack_number(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::ACK_NUM)
    }

    /// Header length in bytes (data offset × 4).
    pub fn header_len(&self) -> u8 {
        (self.buffer.as_ref()[field::FLAGS.start] >> 4) * 4
    }

    /// Control bits.
    #[inline]
    pub fn flags(&self) -> TcpFlags {
        TcpFlags(read_u16(self.buffer.as_ref(), field::FLAGS) & 0x01ff)
    }

    /// Window.
    pub fn window_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::WIN_SIZE)
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// Urgent pointer.
    pub fn urgent_at(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::URGENT)
    }

    /// Whether the checksum is right for a segment (the whole buffer) from `src` to `dst`.
    pub fn verify_checksum(&self, src: &IpAddr, dst: &IpAddr) -> bool {
        checksum::verify_upper_layer(src, dst, IpProtocol::Tcp, self.buffer.as_ref())
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> TcpPacket<&'a T> {
    /// The options.
    pub fn options(&self) -> &'a [u8] {
        &self.buffer.as_ref()[HEADER_LEN..usize::from(self.header_len())]
    }

    /// The data after the header.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[usize::from(self.header_len())..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::SRC_PORT, v);
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::DST_PORT, v);
    }

    /// Sets the sequence number.
    pub fn set_seq_number(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), field::SEQ_NUM, v);
    }

    /// Sets the acknowledgment number.
    pub fn set_ack_number(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), field::ACK_NUM, v);
    }

    /// Sets the header length in bytes (a multiple of 4, 20..=60) and clears the reserved bits.
    pub fn set_header_len(&mut self, len: u8) {
        let flags = self.flags().bits();
        write_u16(
            self.buffer.as_mut(),
            field::FLAGS,
            (u16::from(len / 4) << 12) | flags,
        );
    }

    /// Sets the control bits.
    pub fn set_flags(&mut self, v: TcpFlags) {
        let off = read_u16(self.buffer.as_ref(), field::FLAGS) & 0xf000;
        write_u16(
            self.buffer.as_mut(),
            field::FLAGS,
            off | (v.bits() & 0x01ff),
        );
    }

    /// Sets the window.
    pub fn set_window_len(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::WIN_SIZE, v);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::CHECKSUM, v);
    }

    /// Sets the urgent pointer.
    pub fn set_urgent_at(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::URGENT, v);
    }

    /// The options, for writing.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let end = usize::from(self.header_len());
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }

    /// The data, for writing.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = usize::from(self.header_len());
        &mut self.buffer.as_mut()[start..]
    }

    /// Computes and writes the checksum over the whole buffer (call last).
    pub fn fill_checksum(&mut self, src: &IpAddr, dst: &IpAddr) {
        self.set_checksum(0);
        let sum = checksum::upper_layer(src, dst, IpProtocol::Tcp, self.buffer.as_ref());
        self.set_checksum(sum);
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for TcpPacket<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]>> fmt::Display for TcpPacket<T> {
    /// The header fields (the checksum needs addresses, so this does not check it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.check_len() {
            Ok(()) => write!(
                f,
                "TCP src={} dst={} seq={} ack={} flags={} win={}",
                self.src_port(),
                self.dst_port(),
                self.seq_number(),
                self.ack_number(),
                self.flags(),
                self.window_len()
            ),
            Err(e) => write!(f, "TCP ({e})"),
        }
    }
}

/// The content of a TCP segment, without options (parsing skips them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpRepr<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq_number: u32,
    /// Acknowledgment number.
    pub ack_number: u32,
    /// Control bits.
    pub flags: TcpFlags,
    /// Window.
    pub window_len: u16,
    /// Data.
    pub payload: &'a [u8],
}

impl<'a> TcpRepr<'a> {
    /// Reads a segment (the whole buffer) sent from `src` to `dst`, checking its checksum.
    ///
    /// # Errors
    /// [`WireError::Truncated`], or [`WireError::Malformed`] for a bad checksum.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &TcpPacket<&'a T>,
        src: &IpAddr,
        dst: &IpAddr,
    ) -> WireResult<TcpRepr<'a>> {
        packet.check_len()?;
        if !packet.verify_checksum(src, dst) {
            return Err(WireError::Malformed("bad TCP checksum"));
        }
        Ok(TcpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            seq_number: packet.seq_number(),
            ack_number: packet.ack_number(),
            flags: packet.flags(),
            window_len: packet.window_len(),
            payload: packet.payload(),
        })
    }

    /// Length of the segment this emits.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }

    /// Writes the segment (no options, urgent pointer 0) and its checksum.
    ///
    /// # Panics
    /// If the buffer is not exactly [`buffer_len`](Self::buffer_len) bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        src: &IpAddr,
        dst: &IpAddr,
        packet: &mut TcpPacket<T>,
    ) {
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_seq_number(self.seq_number);
        packet.set_ack_number(self.ack_number);
        write_u16(packet.buffer.as_mut(), field::FLAGS, 0);
        packet.set_header_len(HEADER_LEN as u8);
        packet.set_flags(self.flags);
        packet.set_window_len(self.window_len);
        packet.set_urgent_at(0);
        packet.payload_mut().copy_from_slice(self.payload);
        packet.fill_checksum(src, dst);
    }
}

impl fmt::Display for TcpRepr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TCP src={} dst={} seq={} ack={} flags={} win={} len={}",
            self.src_port,
            self.dst_port,
            self.seq_number,
            self.ack_number,
            self.flags,
            self.window_len,
            self.payload.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    // A SYN from `socat` in a namespace behind an OVS access port (10.0.0.1:43514 ->
    // 10.0.0.2:5001), captured on the trunk: MSS, SACK-permitted, timestamps, window scale.
    static SYN_BYTES: [u8; 40] = [
        0xa9, 0xfa, 0x13, 0x89, 0xd9, 0x0b, 0x4d, 0xcb, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa,
        0xf0, 0xdf, 0x62, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xe4, 0x8b,
        0x90, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
    ];

    // scapy 2.8.0: the SYN-ACK answering it, without options.
    static SYN_ACK_BYTES: [u8; 20] = [
        0x13, 0x89, 0xa9, 0xfa, 0x01, 0x02, 0x03, 0x04, 0xd9, 0x0b, 0x4d, 0xcc, 0x50, 0x12, 0xfe,
        0x88, 0xb4, 0xe5, 0x00, 0x00,
    ];

    fn a(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
    }

    fn syn_ack() -> TcpRepr<'static> {
        TcpRepr {
            src_port: 5001,
            dst_port: 43514,
            seq_number: 0x01020304,
            ack_number: 0xd90b4dcc,
            flags: TcpFlags::SYN | TcpFlags::ACK,
            window_len: 65160,
            payload: &[],
        }
    }

    #[test]
    fn deconstruct() {
        let p = TcpPacket::new_checked(&SYN_BYTES[..]).unwrap();
        assert_eq!(p.src_port(), 43514);
        assert_eq!(p.dst_port(), 5001);
        assert_eq!(p.seq_number(), 0xd90b4dcb);
        assert_eq!(p.ack_number(), 0);
        assert_eq!(p.header_len(), 40);
        assert_eq!(p.flags(), TcpFlags::SYN);
        assert_eq!(p.window_len(), 64240);
        assert_eq!(p.checksum(), 0xdf62);
        assert_eq!(p.urgent_at(), 0);
        assert_eq!(p.options(), &SYN_BYTES[20..]);
        assert!(p.payload().is_empty());
        assert!(p.verify_checksum(&a(1), &a(2)));
        assert_eq!(
            p.to_string(),
            "TCP src=43514 dst=5001 seq=3641396683 ack=0 flags=SYN win=64240"
        );
    }

    #[test]
    fn construct() {
        let mut bytes = [0xa5u8; 40];
        let mut p = TcpPacket::new_unchecked(&mut bytes);
        p.set_src_port(43514);
        p.set_dst_port(5001);
        p.set_seq_number(0xd90b4dcb);
        p.set_ack_number(0);
        p.set_header_len(40);
        p.set_flags(TcpFlags::SYN);
        p.set_window_len(64240);
        p.set_urgent_at(0);
        p.options_mut().copy_from_slice(&SYN_BYTES[20..]);
        p.fill_checksum(&a(1), &a(2));
        assert_eq!(bytes, SYN_BYTES);
    }

    #[test]
    fn parse() {
        let p = TcpPacket::new_unchecked(&SYN_ACK_BYTES[..]);
        assert_eq!(TcpRepr::parse(&p, &a(2), &a(1)), Ok(syn_ack()));
        let p = TcpPacket::new_unchecked(&SYN_BYTES[..]);
        let syn = TcpRepr::parse(&p, &a(1), &a(2)).unwrap();
        assert_eq!((syn.flags, syn.payload), (TcpFlags::SYN, &[][..]));
    }

    #[test]
    fn emit() {
        let mut bytes = [0xa5u8; 20];
        syn_ack().emit(&a(2), &a(1), &mut TcpPacket::new_unchecked(&mut bytes));
        assert_eq!(bytes, SYN_ACK_BYTES);
    }

    #[test]
    fn bad_packets() {
        assert_eq!(
            TcpPacket::new_checked(&SYN_BYTES[..19]),
            Err(WireError::Truncated { need: 20, have: 19 })
        );
        assert_eq!(
            TcpPacket::new_checked(&SYN_BYTES[..30]),
            Err(WireError::Truncated { need: 40, have: 30 })
        );
        let mut b = SYN_ACK_BYTES;
        b[12] = 0x40;
        assert_eq!(
            TcpPacket::new_checked(&b[..]),
            Err(WireError::Malformed("TCP data offset below 5"))
        );
        assert_eq!(
            TcpRepr::parse(&TcpPacket::new_unchecked(&SYN_ACK_BYTES[..]), &a(2), &a(3)),
            Err(WireError::Malformed("bad TCP checksum"))
        );
        assert_eq!((TcpFlags::SYN | TcpFlags(0x200)).to_string(), "SYN|0x200");
    }
}
