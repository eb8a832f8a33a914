//! PACKET_IN and PACKET_OUT (OpenFlow 1.3.5 §7.4.1, §7.3.7).
//!
//! ```text
//! struct ofp_packet_in:
//! | buffer_id (32) | total_len (16) | reason (8) | table_id (8) | cookie (64) |
//! | match (variable, padded to 8) | pad (2) | data ...                         |
//! struct ofp_packet_out:
//! | buffer_id (32) | in_port (32) | actions_len (16) | pad (6) | actions | data |
//! ```

use std::fmt;

use bytes::Bytes;

use crate::action::{Action, decode_actions, encode_actions, fmt_actions};
use crate::codec::{LenPatch, Put, Reader, fmt_hex};
use crate::error::DecodeError;
use crate::macros::open_enum;
use crate::oxm::Match;
use crate::port::PortNo;

/// `OFP_NO_BUFFER`: the packet is not buffered on the switch.
pub const OFP_NO_BUFFER: u32 = 0xffff_ffff;

open_enum! {
    /// Why a packet was sent to the controller (`enum ofp_packet_in_reason`).
    pub enum PacketInReason: u8 {
        /// No matching flow (table-miss flow entry).
        NoMatch = 0 => "no_match",
        /// Action explicitly output to controller.
        Action = 1 => "action",
        /// Packet has invalid TTL.
        InvalidTtl = 2 => "invalid_ttl",
    }
}

/// A PACKET_IN message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PacketIn {
    /// Buffer id on the switch, or `OFP_NO_BUFFER`.
    pub buffer_id: u32,
    /// Full length of the frame.
    pub total_len: u16,
    /// Why the packet is here.
    pub reason: PacketInReason,
    /// The table the packet was in.
    pub table_id: u8,
    /// Cookie of the flow entry that sent it.
    pub cookie: u64,
    /// Pipeline fields (in_port and others).
    pub match_: Match,
    /// The frame, or its first bytes.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes))]
    pub data: Bytes,
}

impl PacketIn {
    /// Decodes everything but the frame, which starts at the reader's offset on return (the
    /// caller takes it from the message's buffer without copying or reference counting).
    #[inline]
    pub(crate) fn decode_head(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_packet_in";
        let f: [u8; 16] = r.array(W)?;
        let match_ = Match::decode(r)?;
        r.skip(W, 2)?;
        Ok(PacketIn {
            buffer_id: u32::from_be_bytes([f[0], f[1], f[2], f[3]]),
            total_len: u16::from_be_bytes([f[4], f[5]]),
            reason: f[6].into(),
            table_id: f[7],
            cookie: u64::from_be_bytes([f[8], f[9], f[10], f[11], f[12], f[13], f[14], f[15]]),
            match_,
            data: Bytes::new(),
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u32(self.buffer_id);
        buf.put_u16(self.total_len);
        buf.put_u8(self.reason.into());
        buf.put_u8(self.table_id);
        buf.put_u64(self.cookie);
        self.match_.encode(buf);
        buf.put_bytes(0, 2);
        buf.put_slice(&self.data);
    }

    /// The port the packet came in on (from the match).
    pub fn in_port(&self) -> Option<PortNo> {
        self.match_.in_port()
    }
}

impl fmt::Display for PacketIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "total_len={} {} table_id={} cookie={:#x} reason={}",
            self.total_len, self.match_, self.table_id, self.cookie, self.reason
        )?;
        if self.buffer_id != OFP_NO_BUFFER {
            write!(f, " buffer={:#x}", self.buffer_id)?;
        }
        f.write_str(" data=")?;
        fmt_hex(f, &self.data)
    }
}

/// A PACKET_OUT message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PacketOut {
    /// Buffer id on the switch, or `OFP_NO_BUFFER` when `data` holds the packet.
    pub buffer_id: u32,
    /// The port the packet is taken to have come in on (`CONTROLLER` when none).
    pub in_port: PortNo,
    /// Actions to apply.
    pub actions: Vec<Action>,
    /// The frame, when unbuffered.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes))]
    pub data: Bytes,
}

impl PacketOut {
    /// An unbuffered packet-out of `data`.
    pub fn new(in_port: PortNo, actions: Vec<Action>, data: Bytes) -> Self {
        PacketOut {
            buffer_id: OFP_NO_BUFFER,
            in_port,
            actions,
            data,
        }
    }

    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_packet_out";
        let buffer_id = r.u32(W)?;
        let in_port = PortNo(r.u32(W)?);
        let actions_len = usize::from(r.u16(W)?);
        r.skip(W, 6)?;
        let actions = decode_actions(r.sub("packet_out actions", actions_len)?)?;
        Ok(PacketOut {
            buffer_id,
            in_port,
            actions,
            data: r.rest(),
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u32(self.buffer_id);
        buf.put_u32(self.in_port.0);
        let len = LenPatch::new(buf.len(), 0);
        buf.put_u16(0);
        buf.put_bytes(0, 6);
        let actions_start = buf.len();
        encode_actions(&self.actions, buf);
        let n = buf.len() - actions_start;
        len.finish_with(buf, n);
        buf.put_slice(&self.data);
    }
}

impl fmt::Display for PacketOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "in_port={} actions=", self.in_port)?;
        fmt_actions(f, &self.actions)?;
        if self.buffer_id != OFP_NO_BUFFER {
            write!(f, " buffer={:#x}", self.buffer_id)?;
        }
        f.write_str(" data=")?;
        fmt_hex(f, &self.data)
    }
}
