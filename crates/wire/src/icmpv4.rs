//! ICMP for IPv4 (RFC 792): echo, destination unreachable, time exceeded, and any other type
//! kept as it is.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     Code      |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Rest of header: echo Identifier | Sequence Number, or unused |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Data: echo payload, or the invoking IP header + 8 bytes ...  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//! The checksum covers the whole ICMP message (no pseudo-header).

use std::fmt;

use crate::error::{WireError, WireResult};
use crate::field::{read_u16, read_u32, write_u16, write_u32};
use crate::ip::checksum;
use crate::macros::enum_with_unknown;

enum_with_unknown! {
    /// ICMP message type (IANA "ICMP Type Numbers").
    pub enum Icmpv4Message(u8) {
        /// Echo reply.
        EchoReply = 0 => "echo-reply",
        /// Destination unreachable.
        DstUnreachable = 3 => "dst-unreachable",
        /// Redirect.
        Redirect = 5 => "redirect",
        /// Echo request.
        EchoRequest = 8 => "echo-request",
        /// Router advertisement.
        RouterAdvert = 9 => "router-advert",
        /// Router solicitation.
        RouterSolicit = 10 => "router-solicit",
        /// Time exceeded.
        TimeExceeded = 11 => "time-exceeded",
        /// Parameter problem.
        ParamProblem = 12 => "param-problem",
    }
    unknown = "type-{}";
}

mod field {
    use crate::field::{Field, Rest};

    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    pub const REST: Field = 4..8;
    pub const ECHO_IDENT: Field = 4..6;
    pub const ECHO_SEQNO: Field = 6..8;
    pub const DATA: Rest = 8..;
}

/// Length of the ICMP header (type, code, checksum, rest of header).
pub const HEADER_LEN: usize = field::DATA.start;

/// Time exceeded code: TTL exceeded in transit.
pub const TTL_EXCEEDED_IN_TRANSIT: u8 = 0;

/// A read/write view of an ICMP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Icmpv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv4Packet<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> Icmpv4Packet<T> {
        Icmpv4Packet { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    ///
    /// # Errors
    /// [`WireError::Truncated`] if the 8-byte header does not fit.
    pub fn new_checked(buffer: T) -> WireResult<Icmpv4Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that the header fits, so no accessor panics.
    ///
    /// # Errors
    /// [`WireError::Truncated`].
    pub fn check_len(&self) -> WireResult<()> {
        WireError::check(HEADER_LEN, self.buffer.as_ref().len())
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Message type.
    pub fn msg_type(&self) -> Icmpv4Message {
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

    /// The four bytes after the checksum.
    pub fn rest_of_header(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::REST)
    }

    /// Echo identifier.
    pub fn echo_ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_IDENT)
    }

    /// Echo sequence number.
    pub fn echo_seq_no(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_SEQNO)
    }

    /// Whether the checksum is right.
    pub fn verify_checksum(&self) -> bool {
        checksum::data(self.buffer.as_ref()) == 0xffff
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Icmpv4Packet<&'a T> {
    /// The bytes after the 8-byte header.
    pub fn data(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::DATA]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv4Packet<T> {
    /// Sets the message type.
    pub fn set_msg_type(&mut self, v: Icmpv4Message) {
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

    /// Sets the four bytes after the checksum.
    pub fn set_rest_of_header(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), field::REST, v);
    }

    /// Sets the echo identifier.
    pub fn set_echo_ident(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::ECHO_IDENT, v);
    }

    /// Sets the echo sequence number.
    pub fn set_echo_seq_no(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::ECHO_SEQNO, v);
    }

    /// The data, for writing.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::DATA]
    }

    /// Computes and writes the checksum over the whole buffer (call last).
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let sum = checksum::data(self.buffer.as_ref());
        self.set_checksum(!sum);
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Icmpv4Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Icmpv4Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Icmpv4Repr::parse(&Icmpv4Packet::new_unchecked(self.buffer.as_ref())) {
            Ok(repr) => write!(f, "{repr}"),
            Err(e) => write!(f, "ICMP ({e})"),
        }
    }
}

/// The content of an ICMP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Icmpv4Repr<'a> {
    /// Echo request (ping).
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
    /// Destination unreachable.
    DstUnreachable {
        /// Why (RFC 792 codes).
        code: u8,
        /// The invoking packet's IP header and first bytes.
        data: &'a [u8],
    },
    /// Time exceeded (FAUCET sends it for packets whose TTL ran out while routed).
    TimeExceeded {
        /// 0: TTL exceeded in transit; 1: fragment reassembly time exceeded.
        code: u8,
        /// The invoking packet's IP header and first bytes.
        data: &'a [u8],
    },
    /// Any other type or code, kept as received.
    Other {
        /// Type.
        msg_type: Icmpv4Message,
        /// Code.
        code: u8,
        /// The four bytes after the checksum.
        rest_of_header: u32,
        /// The bytes after the header.
        data: &'a [u8],
    },
}

impl<'a> Icmpv4Repr<'a> {
    /// Reads a message and checks its checksum.
    ///
    /// # Errors
    /// [`WireError::Truncated`], or [`WireError::Malformed`] for a bad checksum.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &Icmpv4Packet<&'a T>,
    ) -> WireResult<Icmpv4Repr<'a>> {
        packet.check_len()?;
        if !packet.verify_checksum() {
            return Err(WireError::Malformed("bad ICMP checksum"));
        }
        let data = packet.data();
        let code = packet.msg_code();
        Ok(match (packet.msg_type(), code) {
            (Icmpv4Message::EchoRequest, 0) => Icmpv4Repr::EchoRequest {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                data,
            },
            (Icmpv4Message::EchoReply, 0) => Icmpv4Repr::EchoReply {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                data,
            },
            (Icmpv4Message::DstUnreachable, _) if packet.rest_of_header() == 0 => {
                Icmpv4Repr::DstUnreachable { code, data }
            }
            (Icmpv4Message::TimeExceeded, _) if packet.rest_of_header() == 0 => {
                Icmpv4Repr::TimeExceeded { code, data }
            }
            (msg_type, _) => Icmpv4Repr::Other {
                msg_type,
                code,
                rest_of_header: packet.rest_of_header(),
                data,
            },
        })
    }

    /// The bytes after the header.
    pub const fn data(&self) -> &'a [u8] {
        match self {
            Icmpv4Repr::EchoRequest { data, .. }
            | Icmpv4Repr::EchoReply { data, .. }
            | Icmpv4Repr::DstUnreachable { data, .. }
            | Icmpv4Repr::TimeExceeded { data, .. }
            | Icmpv4Repr::Other { data, .. } => data,
        }
    }

    /// Length of the message this emits.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + self.data().len()
    }

    /// Writes the message and its checksum.
    ///
    /// # Panics
    /// If the buffer is not exactly [`buffer_len`](Self::buffer_len) bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Icmpv4Packet<T>) {
        let (ty, code, rest) = match *self {
            Icmpv4Repr::EchoRequest { ident, seq_no, .. } => (
                Icmpv4Message::EchoRequest,
                0,
                (u32::from(ident) << 16) | u32::from(seq_no),
            ),
            Icmpv4Repr::EchoReply { ident, seq_no, .. } => (
                Icmpv4Message::EchoReply,
                0,
                (u32::from(ident) << 16) | u32::from(seq_no),
            ),
            Icmpv4Repr::DstUnreachable { code, .. } => (Icmpv4Message::DstUnreachable, code, 0),
            Icmpv4Repr::TimeExceeded { code, .. } => (Icmpv4Message::TimeExceeded, code, 0),
            Icmpv4Repr::Other {
                msg_type,
                code,
                rest_of_header,
                ..
            } => (msg_type, code, rest_of_header),
        };
        packet.set_msg_type(ty);
        packet.set_msg_code(code);
        packet.set_rest_of_header(rest);
        packet.data_mut().copy_from_slice(self.data());
        packet.fill_checksum();
    }
}

impl fmt::Display for Icmpv4Repr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => write!(
                f,
                "ICMP echo-request id={ident} seq={seq_no} len={}",
                data.len()
            ),
            Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => write!(
                f,
                "ICMP echo-reply id={ident} seq={seq_no} len={}",
                data.len()
            ),
            Icmpv4Repr::DstUnreachable { code, data } => {
                write!(f, "ICMP dst-unreachable code={code} len={}", data.len())
            }
            Icmpv4Repr::TimeExceeded { code, data } => {
                write!(f, "ICMP time-exceeded code={code} len={}", data.len())
            }
            Icmpv4Repr::Other {
                msg_type,
                code,
                data,
                ..
            } => write!(f, "ICMP {msg_type} code={code} len={}", data.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The echo request from the ipv4.rs capture (ping -s 16 from a Linux namespace).
    static ECHO_BYTES: [u8; 24] = [
        0x08, 0x00, 0x8b, 0xba, 0x3f, 0x10, 0x00, 0x01, 0xa0, 0xc4, 0x01, 0x6b, 0x00, 0x00, 0x00,
        0x00, 0x7e, 0x04, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    // FAUCET's time exceeded (valve_packet.time_exceeded, os-ken) quoting 28 bytes 0..=27.
    static TIME_EXCEEDED_BYTES: [u8; 36] = [
        0x0b, 0x00, 0x3e, 0x3b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
        0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
        0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
    ];

    fn echo_repr() -> Icmpv4Repr<'static> {
        Icmpv4Repr::EchoRequest {
            ident: 0x3f10,
            seq_no: 1,
            data: &ECHO_BYTES[8..],
        }
    }

    #[test]
    fn deconstruct() {
        let p = Icmpv4Packet::new_checked(&ECHO_BYTES[..]).unwrap();
        assert_eq!(p.msg_type(), Icmpv4Message::EchoRequest);
        assert_eq!(p.msg_code(), 0);
        assert_eq!(p.checksum(), 0x8bba);
        assert_eq!(p.echo_ident(), 0x3f10);
        assert_eq!(p.echo_seq_no(), 1);
        assert_eq!(p.data(), &ECHO_BYTES[8..]);
        assert!(p.verify_checksum());
        assert_eq!(p.to_string(), "ICMP echo-request id=16144 seq=1 len=16");
    }

    #[test]
    fn construct() {
        let mut bytes = [0xa5u8; 24];
        let mut p = Icmpv4Packet::new_unchecked(&mut bytes);
        p.set_msg_type(Icmpv4Message::EchoRequest);
        p.set_msg_code(0);
        p.set_echo_ident(0x3f10);
        p.set_echo_seq_no(1);
        p.data_mut().copy_from_slice(&ECHO_BYTES[8..]);
        p.fill_checksum();
        assert_eq!(bytes, ECHO_BYTES);
    }

    #[test]
    fn parse() {
        let p = Icmpv4Packet::new_unchecked(&ECHO_BYTES[..]);
        assert_eq!(Icmpv4Repr::parse(&p), Ok(echo_repr()));
        let p = Icmpv4Packet::new_unchecked(&TIME_EXCEEDED_BYTES[..]);
        assert_eq!(
            Icmpv4Repr::parse(&p),
            Ok(Icmpv4Repr::TimeExceeded {
                code: TTL_EXCEEDED_IN_TRANSIT,
                data: &TIME_EXCEEDED_BYTES[8..],
            })
        );
    }

    #[test]
    fn emit() {
        let mut bytes = [0xa5u8; 24];
        echo_repr().emit(&mut Icmpv4Packet::new_unchecked(&mut bytes));
        assert_eq!(bytes, ECHO_BYTES);
        let quoted: Vec<u8> = (0..28).collect();
        let repr = Icmpv4Repr::TimeExceeded {
            code: 0,
            data: &quoted,
        };
        let mut bytes = vec![0xa5u8; repr.buffer_len()];
        repr.emit(&mut Icmpv4Packet::new_unchecked(&mut bytes));
        assert_eq!(bytes, TIME_EXCEEDED_BYTES);
    }

    #[test]
    fn bad_and_other() {
        assert_eq!(
            Icmpv4Packet::new_checked(&ECHO_BYTES[..7]),
            Err(WireError::Truncated { need: 8, have: 7 })
        );
        let mut b = ECHO_BYTES;
        b[9] ^= 0xff;
        assert_eq!(
            Icmpv4Repr::parse(&Icmpv4Packet::new_unchecked(&b[..])),
            Err(WireError::Malformed("bad ICMP checksum"))
        );
        // Timestamp request (13) is kept as Other and round-trips.
        let other = Icmpv4Repr::Other {
            msg_type: Icmpv4Message::from(13),
            code: 0,
            rest_of_header: 0x0001_0002,
            data: &[1, 2, 3],
        };
        let mut bytes = vec![0; other.buffer_len()];
        other.emit(&mut Icmpv4Packet::new_unchecked(&mut bytes));
        assert_eq!(
            Icmpv4Repr::parse(&Icmpv4Packet::new_unchecked(&bytes[..])),
            Ok(other)
        );
        assert_eq!(other.to_string(), "ICMP type-13 code=0 len=3");
    }
}
