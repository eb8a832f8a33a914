//! ICMP for IPv6 (RFC 4443): echo, the error messages, and the neighbour discovery messages
//! of RFC 4861 (whose bodies and options are in [`crate::ndisc`]).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     Code      |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Message Body                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  Echo (RFC 4443 §4.1):  | Identifier | Sequence Number | Data ...
//!  Errors (§3):           | Unused, MTU (type 2) or Pointer (type 4) | invoking packet ...
//! ```
//! The checksum covers an IPv6 pseudo-header (RFC 8200 §8.1) and the whole message, so
//! `parse` and `emit` take the source and destination addresses.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use crate::error::{WireError, WireResult};
use crate::field::{read_u16, read_u32, write_u16, write_u32};
use crate::ip::{IpProtocol, checksum};
use crate::macros::enum_with_unknown;
use crate::ndisc::NdiscRepr;

enum_with_unknown! {
    /// ICMPv6 message type (IANA "ICMPv6 Type Numbers").
    pub enum Icmpv6Message(u8) {
        /// Destination unreachable.
        DstUnreachable = 1 => "dst-unreachable",
        /// Packet too big.
        PktTooBig = 2 => "pkt-too-big",
        /// Time exceeded.
        TimeExceeded = 3 => "time-exceeded",
        /// Parameter problem.
        ParamProblem = 4 => "param-problem",
        /// Echo request.
        EchoRequest = 128 => "echo-request",
        /// Echo reply.
        EchoReply = 129 => "echo-reply",
        /// Multicast listener query.
        MldQuery = 130 => "mld-query",
        /// Multicast listener report (MLDv1).
        MldReport = 131 => "mld-report",
        /// Multicast listener done.
        MldDone = 132 => "mld-done",
        /// Router solicitation.
        RouterSolicit = 133 => "router-solicit",
        /// Router advertisement.
        RouterAdvert = 134 => "router-advert",
        /// Neighbour solicitation.
        NeighborSolicit = 135 => "neighbor-solicit",
        /// Neighbour advertisement.
        NeighborAdvert = 136 => "neighbor-advert",
        /// Redirect.
        Redirect = 137 => "redirect",
        /// Multicast listener report (MLDv2).
        MldReportV2 = 143 => "mldv2-report",
    }
    unknown = "type-{}";
}

impl Icmpv6Message {
    /// Whether this is one of the neighbour discovery messages (133..=137).
    pub const fn is_ndisc(&self) -> bool {
        matches!(
            self,
            Icmpv6Message::RouterSolicit
                | Icmpv6Message::RouterAdvert
                | Icmpv6Message::NeighborSolicit
                | Icmpv6Message::NeighborAdvert
                | Icmpv6Message::Redirect
        )
    }

    /// Length of the fixed part of a message of this type (the options or data follow).
    pub const fn header_len(&self) -> usize {
        match self {
            Icmpv6Message::DstUnreachable
            | Icmpv6Message::PktTooBig
            | Icmpv6Message::TimeExceeded
            | Icmpv6Message::ParamProblem
            | Icmpv6Message::EchoRequest
            | Icmpv6Message::EchoReply
            | Icmpv6Message::RouterSolicit => field::MSG_DATA,
            Icmpv6Message::RouterAdvert => field::RA_OPTIONS,
            Icmpv6Message::NeighborSolicit | Icmpv6Message::NeighborAdvert => field::NEIGH_OPTIONS,
            Icmpv6Message::Redirect => field::REDIRECT_OPTIONS,
            _ => field::BODY,
        }
    }
}

/// Field offsets, shared with [`crate::ndisc`].
pub(crate) mod field {
    use crate::field::Field;

    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    pub const BODY: usize = 4;

    // Echo and errors.
    pub const UNUSED: Field = 4..8;
    pub const MTU: Field = 4..8;
    pub const POINTER: Field = 4..8;
    pub const ECHO_IDENT: Field = 4..6;
    pub const ECHO_SEQNO: Field = 6..8;
    pub const MSG_DATA: usize = 8;

    // Router advertisement (RFC 4861 §4.2).
    pub const CUR_HOP_LIMIT: usize = 4;
    pub const ROUTER_FLAGS: usize = 5;
    pub const ROUTER_LT: Field = 6..8;
    pub const REACHABLE_TM: Field = 8..12;
    pub const RETRANS_TM: Field = 12..16;
    pub const RA_OPTIONS: usize = 16;

    // Neighbour solicitation / advertisement (§4.3, §4.4) and redirect (§4.5).
    pub const NEIGH_FLAGS: usize = 4;
    pub const TARGET_ADDR: Field = 8..24;
    pub const NEIGH_OPTIONS: usize = 24;
    pub const DEST_ADDR: Field = 24..40;
    pub const REDIRECT_OPTIONS: usize = 40;
}

/// Time exceeded code: hop limit exceeded in transit.
pub const HOP_LIMIT_EXCEEDED: u8 = 0;

/// A read/write view of an ICMPv6 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Icmpv6Packet<T: AsRef<[u8]>> {
    pub(crate) buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> Icmpv6Packet<T> {
        Icmpv6Packet { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    ///
    /// # Errors
    /// [`WireError::Truncated`].
    pub fn new_checked(buffer: T) -> WireResult<Icmpv6Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that the fixed part of the message's type fits (8 bytes for echo and errors,
    /// 16 for RA, 24 for NS/NA, 40 for redirect, 4 otherwise), so no accessor panics.
    ///
    /// # Errors
    /// [`WireError::Truncated`].
    pub fn check_len(&self) -> WireResult<()> {
        let len = self.buffer.as_ref().len();
        WireError::check(field::BODY, len)?;
        WireError::check(self.header_len(), len)
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Message type.
    #[inline]
    pub fn msg_type(&self) -> Icmpv6Message {
        self.buffer.as_ref()[field::TYPE].into()
    }

    /// Message code.
    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// Length of the fixed part for this message's type.
    pub fn header_len(&self) -> usize {
        self.msg_type().header_len()
    }

    /// Echo identifier.
    pub fn echo_ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_IDENT)
    }

    /// Echo sequence number.
    pub fn echo_seq_no(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_SEQNO)
    }

    /// The MTU of a packet-too-big message.
    pub fn pkt_too_big_mtu(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::MTU)
    }

    /// The pointer of a parameter-problem message.
    pub fn param_problem_ptr(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::POINTER)
    }

    /// The unused word of error messages (and the reserved word of RS/NS).
    pub fn unused(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::UNUSED)
    }

    /// Whether the checksum is right for a packet from `src` to `dst`.
    pub fn verify_checksum(&self, src: &Ipv6Addr, dst: &Ipv6Addr) -> bool {
        checksum::verify_upper_layer(
            &IpAddr::V6(*src),
            &IpAddr::V6(*dst),
            IpProtocol::Icmpv6,
            self.buffer.as_ref(),
        )
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Icmpv6Packet<&'a T> {
    /// What follows the fixed part: echo data, the invoking packet of an error, or the
    /// options of a neighbour discovery message.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }

    /// Everything after the checksum.
    pub fn body(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::BODY..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv6Packet<T> {
    /// Sets the message type.
    pub fn set_msg_type(&mut self, v: Icmpv6Message) {
        self.buffer.as_mut()[field::TYPE] = v.into();
    }

    /// Sets the message code.
    pub fn set_msg_code(&mut self, v: u8) {
        self.buffer.as_mut()[field::CODE] = v;
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::CHECKSUM, v);
    }

    /// Sets the echo identifier.
    pub fn set_echo_ident(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::ECHO_IDENT, v);
    }

    /// Sets the echo sequence number.
    pub fn set_echo_seq_no(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::ECHO_SEQNO, v);
    }

    /// Sets the MTU of a packet-too-big message.
    pub fn set_pkt_too_big_mtu(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), field::MTU, v);
    }

    /// Sets the pointer of a parameter-problem message.
    pub fn set_param_problem_ptr(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), field::POINTER, v);
    }

    /// Sets the unused / reserved word.
    pub fn set_unused(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), field::UNUSED, v);
    }

    /// What follows the fixed part, for writing.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        &mut self.buffer.as_mut()[start..]
    }

    /// Everything after the checksum, for writing.
    pub fn body_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::BODY..]
    }

    /// Computes and writes the checksum for a packet from `src` to `dst` (call last).
    pub fn fill_checksum(&mut self, src: &Ipv6Addr, dst: &Ipv6Addr) {
        self.set_checksum(0);
        let sum = checksum::upper_layer(
            &IpAddr::V6(*src),
            &IpAddr::V6(*dst),
            IpProtocol::Icmpv6,
            self.buffer.as_ref(),
        );
        self.set_checksum(sum);
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Icmpv6Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Icmpv6Packet<T> {
    /// The header fields (the checksum needs addresses, so this does not check it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.check_len() {
            Ok(()) => write!(
                f,
                "ICMPv6 {} code={} len={}",
                self.msg_type(),
                self.msg_code(),
                self.buffer.as_ref().len()
            ),
            Err(e) => write!(f, "ICMPv6 ({e})"),
        }
    }
}

/// The content of an ICMPv6 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icmpv6Repr<'a> {
    /// Destination unreachable.
    DstUnreachable {
        /// Why (RFC 4443 §3.1 codes).
        code: u8,
        /// As much of the invoking packet as fits.
        data: &'a [u8],
    },
    /// Packet too big.
    PktTooBig {
        /// MTU of the next hop.
        mtu: u32,
        /// As much of the invoking packet as fits.
        data: &'a [u8],
    },
    /// Time exceeded (FAUCET sends it for routed packets whose hop limit ran out).
    TimeExceeded {
        /// 0: hop limit exceeded in transit; 1: fragment reassembly time exceeded.
        code: u8,
        /// As much of the invoking packet as fits.
        data: &'a [u8],
    },
    /// Parameter problem.
    ParamProblem {
        /// Kind of problem.
        code: u8,
        /// Offset of the problem in the invoking packet.
        pointer: u32,
        /// As much of the invoking packet as fits.
        data: &'a [u8],
    },
    /// Echo request.
    EchoRequest {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Payload.
        data: &'a [u8],
    },
    /// Echo reply.
    EchoReply {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Payload.
        data: &'a [u8],
    },
    /// A neighbour discovery message (RS, RA, NS, NA, redirect).
    Ndisc(NdiscRepr<'a>),
    /// Any other type, or a known type with a code or reserved bits it should not have,
    /// kept as received.
    Other {
        /// Type.
        msg_type: Icmpv6Message,
        /// Code.
        code: u8,
        /// Everything after the checksum.
        body: &'a [u8],
    },
}

impl<'a> Icmpv6Repr<'a> {
    /// Reads a message sent from `src` to `dst`, checking its checksum.
    ///
    /// # Errors
    /// [`WireError::Truncated`], or [`WireError::Malformed`] for a bad checksum or neighbour
    /// discovery options that break RFC 4861 (zero length, running past the end).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &Icmpv6Packet<&'a T>,
        src: &Ipv6Addr,
        dst: &Ipv6Addr,
    ) -> WireResult<Icmpv6Repr<'a>> {
        packet.check_len()?;
        if !packet.verify_checksum(src, dst) {
            return Err(WireError::Malformed("bad ICMPv6 checksum"));
        }
        let code = packet.msg_code();
        let msg_type = packet.msg_type();
        let other = Icmpv6Repr::Other {
            msg_type,
            code,
            body: packet.body(),
        };
        let data = packet.payload();
        Ok(match msg_type {
            Icmpv6Message::DstUnreachable if packet.unused() == 0 => {
                Icmpv6Repr::DstUnreachable { code, data }
            }
            Icmpv6Message::PktTooBig if code == 0 => Icmpv6Repr::PktTooBig {
                mtu: packet.pkt_too_big_mtu(),
                data,
            },
            Icmpv6Message::TimeExceeded if packet.unused() == 0 => {
                Icmpv6Repr::TimeExceeded { code, data }
            }
            Icmpv6Message::ParamProblem => Icmpv6Repr::ParamProblem {
                code,
                pointer: packet.param_problem_ptr(),
                data,
            },
            Icmpv6Message::EchoRequest if code == 0 => Icmpv6Repr::EchoRequest {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                data,
            },
            Icmpv6Message::EchoReply if code == 0 => Icmpv6Repr::EchoReply {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                data,
            },
            t if t.is_ndisc() && code == 0 => match NdiscRepr::parse(packet)? {
                Some(nd) => Icmpv6Repr::Ndisc(nd),
                None => other,
            },
            _ => other,
        })
    }

    /// Length of the message this emits.
    pub fn buffer_len(&self) -> usize {
        match self {
            Icmpv6Repr::DstUnreachable { data, .. }
            | Icmpv6Repr::PktTooBig { data, .. }
            | Icmpv6Repr::TimeExceeded { data, .. }
            | Icmpv6Repr::ParamProblem { data, .. }
            | Icmpv6Repr::EchoRequest { data, .. }
            | Icmpv6Repr::EchoReply { data, .. } => field::MSG_DATA + data.len(),
            Icmpv6Repr::Ndisc(nd) => nd.buffer_len(),
            Icmpv6Repr::Other { body, .. } => field::BODY + body.len(),
        }
    }

    /// Writes the message and its checksum for a packet from `src` to `dst`.
    ///
    /// # Panics
    /// If the buffer is not exactly [`buffer_len`](Self::buffer_len) bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        src: &Ipv6Addr,
        dst: &Ipv6Addr,
        packet: &mut Icmpv6Packet<T>,
    ) {
        let error = |p: &mut Icmpv6Packet<T>, ty, code, word: u32, data: &[u8]| {
            p.set_msg_type(ty);
            p.set_msg_code(code);
            p.set_unused(word);
            p.payload_mut().copy_from_slice(data);
        };
        match *self {
            Icmpv6Repr::DstUnreachable { code, data } => {
                error(packet, Icmpv6Message::DstUnreachable, code, 0, data);
            }
            Icmpv6Repr::PktTooBig { mtu, data } => {
                error(packet, Icmpv6Message::PktTooBig, 0, mtu, data);
            }
            Icmpv6Repr::TimeExceeded { code, data } => {
                error(packet, Icmpv6Message::TimeExceeded, code, 0, data);
            }
            Icmpv6Repr::ParamProblem {
                code,
                pointer,
                data,
            } => error(packet, Icmpv6Message::ParamProblem, code, pointer, data),
            Icmpv6Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                let word = (u32::from(ident) << 16) | u32::from(seq_no);
                error(packet, Icmpv6Message::EchoRequest, 0, word, data);
            }
            Icmpv6Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => {
                let word = (u32::from(ident) << 16) | u32::from(seq_no);
                error(packet, Icmpv6Message::EchoReply, 0, word, data);
            }
            Icmpv6Repr::Ndisc(ref nd) => nd.emit(packet),
            Icmpv6Repr::Other {
                msg_type,
                code,
                body,
            } => {
                packet.set_msg_type(msg_type);
                packet.set_msg_code(code);
                packet.body_mut().copy_from_slice(body);
            }
        }
        packet.fill_checksum(src, dst);
    }
}

impl fmt::Display for Icmpv6Repr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv6Repr::DstUnreachable { code, data } => {
                write!(f, "ICMPv6 dst-unreachable code={code} len={}", data.len())
            }
            Icmpv6Repr::PktTooBig { mtu, data } => {
                write!(f, "ICMPv6 pkt-too-big mtu={mtu} len={}", data.len())
            }
            Icmpv6Repr::TimeExceeded { code, data } => {
                write!(f, "ICMPv6 time-exceeded code={code} len={}", data.len())
            }
            Icmpv6Repr::ParamProblem {
                code,
                pointer,
                data,
            } => write!(
                f,
                "ICMPv6 param-problem code={code} pointer={pointer} len={}",
                data.len()
            ),
            Icmpv6Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => write!(
                f,
                "ICMPv6 echo-request id={ident} seq={seq_no} len={}",
                data.len()
            ),
            Icmpv6Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => write!(
                f,
                "ICMPv6 echo-reply id={ident} seq={seq_no} len={}",
                data.len()
            ),
            Icmpv6Repr::Ndisc(nd) => write!(f, "ICMPv6 {nd}"),
            Icmpv6Repr::Other {
                msg_type,
                code,
                body,
            } => write!(f, "ICMPv6 {msg_type} code={code} len={}", body.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // An echo request between two Linux namespaces (fc00::1 -> fc00::2), captured with
    // tcpdump on a veth.
    static ECHO_BYTES: [u8; 24] = [
        0x80, 0x00, 0x71, 0x1d, 0x41, 0x15, 0x00, 0x01, 0xb3, 0xc4, 0x01, 0x6b, 0x00, 0x00, 0x00,
        0x00, 0x1d, 0x45, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    // FAUCET's hop-limit-exceeded message (valve_packet.icmpv6_time_exceeded, os-ken),
    // fc00::fe -> fc00::1, quoting bytes 0..=47.
    static TIME_EXCEEDED_BYTES: [u8; 56] = [
        0x03, 0x00, 0xd9, 0x4a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
        0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
        0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24,
        0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
    ];

    fn addr(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    fn echo_repr() -> Icmpv6Repr<'static> {
        Icmpv6Repr::EchoRequest {
            ident: 0x4115,
            seq_no: 1,
            data: &ECHO_BYTES[8..],
        }
    }

    #[test]
    fn deconstruct() {
        let p = Icmpv6Packet::new_checked(&ECHO_BYTES[..]).unwrap();
        assert_eq!(p.msg_type(), Icmpv6Message::EchoRequest);
        assert_eq!(p.msg_code(), 0);
        assert_eq!(p.checksum(), 0x711d);
        assert_eq!(p.echo_ident(), 0x4115);
        assert_eq!(p.echo_seq_no(), 1);
        assert_eq!(p.header_len(), 8);
        assert_eq!(p.payload(), &ECHO_BYTES[8..]);
        assert!(p.verify_checksum(&addr("fc00::1"), &addr("fc00::2")));
        assert!(!p.verify_checksum(&addr("fc00::1"), &addr("fc00::3")));
        assert_eq!(p.to_string(), "ICMPv6 echo-request code=0 len=24");
    }

    #[test]
    fn construct() {
        let mut bytes = [0xa5u8; 24];
        let mut p = Icmpv6Packet::new_unchecked(&mut bytes);
        p.set_msg_type(Icmpv6Message::EchoRequest);
        p.set_msg_code(0);
        p.set_echo_ident(0x4115);
        p.set_echo_seq_no(1);
        p.payload_mut().copy_from_slice(&ECHO_BYTES[8..]);
        p.fill_checksum(&addr("fc00::1"), &addr("fc00::2"));
        assert_eq!(bytes, ECHO_BYTES);
    }

    #[test]
    fn parse() {
        let p = Icmpv6Packet::new_unchecked(&ECHO_BYTES[..]);
        assert_eq!(
            Icmpv6Repr::parse(&p, &addr("fc00::1"), &addr("fc00::2")),
            Ok(echo_repr())
        );
        let p = Icmpv6Packet::new_unchecked(&TIME_EXCEEDED_BYTES[..]);
        assert_eq!(
            Icmpv6Repr::parse(&p, &addr("fc00::fe"), &addr("fc00::1")),
            Ok(Icmpv6Repr::TimeExceeded {
                code: HOP_LIMIT_EXCEEDED,
                data: &TIME_EXCEEDED_BYTES[8..],
            })
        );
    }

    #[test]
    fn emit() {
        let mut bytes = [0xa5u8; 24];
        echo_repr().emit(
            &addr("fc00::1"),
            &addr("fc00::2"),
            &mut Icmpv6Packet::new_unchecked(&mut bytes),
        );
        assert_eq!(bytes, ECHO_BYTES);
        let quoted: Vec<u8> = (0..48).collect();
        let repr = Icmpv6Repr::TimeExceeded {
            code: 0,
            data: &quoted,
        };
        let mut bytes = vec![0xa5u8; repr.buffer_len()];
        repr.emit(
            &addr("fc00::fe"),
            &addr("fc00::1"),
            &mut Icmpv6Packet::new_unchecked(&mut bytes),
        );
        assert_eq!(bytes, TIME_EXCEEDED_BYTES);
    }

    #[test]
    fn bad_and_other() {
        let (s, d) = (addr("fc00::1"), addr("fc00::2"));
        assert_eq!(
            Icmpv6Packet::new_checked(&ECHO_BYTES[..7]),
            Err(WireError::Truncated { need: 8, have: 7 })
        );
        assert_eq!(
            Icmpv6Repr::parse(
                &Icmpv6Packet::new_unchecked(&ECHO_BYTES[..]),
                &s,
                &addr("fc00::3")
            ),
            Err(WireError::Malformed("bad ICMPv6 checksum"))
        );
        // An MLD report is kept as Other and round-trips.
        let body = [0u8; 20];
        let other = Icmpv6Repr::Other {
            msg_type: Icmpv6Message::MldReport,
            code: 0,
            body: &body,
        };
        let mut bytes = vec![0; other.buffer_len()];
        other.emit(&s, &d, &mut Icmpv6Packet::new_unchecked(&mut bytes));
        assert_eq!(
            Icmpv6Repr::parse(&Icmpv6Packet::new_unchecked(&bytes[..]), &s, &d),
            Ok(other)
        );
        for repr in [
            Icmpv6Repr::PktTooBig {
                mtu: 1280,
                data: &[1, 2],
            },
            Icmpv6Repr::ParamProblem {
                code: 1,
                pointer: 6,
                data: &[3],
            },
            Icmpv6Repr::DstUnreachable { code: 4, data: &[] },
            Icmpv6Repr::EchoReply {
                ident: 1,
                seq_no: 2,
                data: b"x",
            },
        ] {
            let mut bytes = vec![0; repr.buffer_len()];
            repr.emit(&s, &d, &mut Icmpv6Packet::new_unchecked(&mut bytes));
            let back = Icmpv6Repr::parse(&Icmpv6Packet::new_unchecked(&bytes[..]), &s, &d);
            assert_eq!(back, Ok(repr), "{repr}");
        }
    }
}
