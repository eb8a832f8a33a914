//! FLOW_MOD and FLOW_REMOVED (OpenFlow 1.3.5 §7.3.4.1, §7.4.2).
//!
//! ```text
//! struct ofp_flow_mod:
//! | cookie (64) | cookie_mask (64) | table_id (8) | command (8) | idle_timeout (16) |
//! | hard_timeout (16) | priority (16) | buffer_id (32) | out_port (32) | out_group (32) |
//! | flags (16) | pad (16) | match (padded to 8) | instructions ...                    |
//! struct ofp_flow_removed:
//! | cookie (64) | priority (16) | reason (8) | table_id (8) | duration_sec (32) |
//! | duration_nsec (32) | idle_timeout (16) | hard_timeout (16) | packet_count (64) |
//! | byte_count (64) | match |
//! ```

use std::fmt;

use crate::codec::{Fixed, Put, Reader};
use crate::error::DecodeError;
use crate::instruction::{Instruction, decode_instructions, encode_instructions, fmt_instructions};
use crate::macros::{open_enum, wire_flags};
use crate::msg::packet::OFP_NO_BUFFER;
use crate::oxm::Match;
use crate::port::PortNo;

/// `OFPTT_ALL`: every table, in deletes and stats requests.
pub const OFPTT_ALL: u8 = 0xff;
/// `OFPG_ANY`: wildcard group, in deletes and stats requests.
pub const OFPG_ANY: u32 = 0xffff_ffff;
/// `OFPG_ALL`: every group, in group deletes.
pub const OFPG_ALL: u32 = 0xffff_fffc;

open_enum! {
    /// What a FLOW_MOD does (`enum ofp_flow_mod_command`).
    pub enum FlowModCommand: u8 {
        /// New flow.
        Add = 0 => "ADD",
        /// Modify all matching flows.
        Modify = 1 => "MODIFY",
        /// Modify entry strictly matching wildcards and priority.
        ModifyStrict = 2 => "MODIFY_STRICT",
        /// Delete all matching flows.
        Delete = 3 => "DELETE",
        /// Delete entry strictly matching wildcards and priority.
        DeleteStrict = 4 => "DELETE_STRICT",
    }
}

wire_flags! {
    /// FLOW_MOD flags (`enum ofp_flow_mod_flags`).
    pub struct FlowModFlags: u16 {
        /// Send a FLOW_REMOVED when the flow expires or is deleted.
        const SEND_FLOW_REM = 1 << 0;
        /// Check for overlapping entries first.
        const CHECK_OVERLAP = 1 << 1;
        /// Reset flow packet and byte counts.
        const RESET_COUNTS = 1 << 2;
        /// Don't keep track of packet count.
        const NO_PKT_COUNTS = 1 << 3;
        /// Don't keep track of byte count.
        const NO_BYT_COUNTS = 1 << 4;
    }
}

/// A FLOW_MOD message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct FlowMod {
    /// Opaque controller-issued identifier.
    pub cookie: u64,
    /// For modify and delete: which cookie bits must match.
    pub cookie_mask: u64,
    /// The table (`OFPTT_ALL` in deletes for every table).
    pub table_id: u8,
    /// What to do.
    pub command: FlowModCommand,
    /// Idle time before discarding (seconds), 0 for never.
    pub idle_timeout: u16,
    /// Max time before discarding (seconds), 0 for never.
    pub hard_timeout: u16,
    /// Priority.
    pub priority: u16,
    /// Buffered packet to apply to, or `OFP_NO_BUFFER`.
    pub buffer_id: u32,
    /// For deletes: only flows that output to this port (`ANY` for no filter).
    pub out_port: PortNo,
    /// For deletes: only flows that output to this group (`OFPG_ANY` for no filter).
    pub out_group: u32,
    /// Flags.
    pub flags: FlowModFlags,
    /// The match.
    pub match_: Match,
    /// The instructions.
    pub instructions: Vec<Instruction>,
}

impl Default for FlowMod {
    /// An ADD in table 0 at priority 0 with no timeouts, matching everything and doing nothing.
    fn default() -> Self {
        FlowMod {
            cookie: 0,
            cookie_mask: 0,
            table_id: 0,
            command: FlowModCommand::Add,
            idle_timeout: 0,
            hard_timeout: 0,
            priority: 0,
            buffer_id: OFP_NO_BUFFER,
            out_port: PortNo::ANY,
            out_group: OFPG_ANY,
            flags: FlowModFlags::empty(),
            match_: Match::new(),
            instructions: Vec::new(),
        }
    }
}

impl FlowMod {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_flow_mod";
        let cookie = r.u64(W)?;
        let cookie_mask = r.u64(W)?;
        let table_id = r.u8(W)?;
        let command = r.u8(W)?.into();
        let idle_timeout = r.u16(W)?;
        let hard_timeout = r.u16(W)?;
        let priority = r.u16(W)?;
        let buffer_id = r.u32(W)?;
        let out_port = PortNo(r.u32(W)?);
        let out_group = r.u32(W)?;
        let flags = FlowModFlags::from_bits_retain(r.u16(W)?);
        r.skip(W, 2)?;
        let match_ = Match::decode(r)?;
        let rest = r.remaining();
        let instructions = decode_instructions(r.sub(W, rest)?)?;
        Ok(FlowMod {
            cookie,
            cookie_mask,
            table_id,
            command,
            idle_timeout,
            hard_timeout,
            priority,
            buffer_id,
            out_port,
            out_group,
            flags,
            match_,
            instructions,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        Fixed::<40>::new()
            .u64(0, self.cookie)
            .u64(8, self.cookie_mask)
            .u8(16, self.table_id)
            .u8(17, self.command.into())
            .u16(18, self.idle_timeout)
            .u16(20, self.hard_timeout)
            .u16(22, self.priority)
            .u32(24, self.buffer_id)
            .u32(28, self.out_port.0)
            .u32(32, self.out_group)
            .u16(36, self.flags.bits())
            .put(buf);
        self.match_.encode(buf);
        encode_instructions(&self.instructions, buf)
    }
}

impl fmt::Display for FlowMod {
    /// ovs-ofctl style: `ADD table:1 priority=9000 cookie:0x5adc15c0 in_port=1 actions=...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.command)?;
        if self.table_id == OFPTT_ALL {
            f.write_str(" table:all")?;
        } else {
            write!(f, " table:{}", self.table_id)?;
        }
        write!(f, " priority={}", self.priority)?;
        if self.cookie != 0 || self.cookie_mask != 0 {
            write!(f, " cookie:{:#x}", self.cookie)?;
            if self.cookie_mask != 0 {
                write!(f, "/{:#x}", self.cookie_mask)?;
            }
        }
        if self.idle_timeout != 0 {
            write!(f, " idle:{}", self.idle_timeout)?;
        }
        if self.hard_timeout != 0 {
            write!(f, " hard:{}", self.hard_timeout)?;
        }
        if self.buffer_id != OFP_NO_BUFFER {
            write!(f, " buffer:{:#x}", self.buffer_id)?;
        }
        if self.out_port != PortNo::ANY {
            write!(f, " out_port:{}", self.out_port)?;
        }
        if self.out_group != OFPG_ANY {
            write!(f, " out_group:{}", self.out_group)?;
        }
        if !self.flags.is_empty() {
            write!(f, " flags:{}", self.flags)?;
        }
        write!(f, " {} actions=", self.match_)?;
        fmt_instructions(f, &self.instructions)
    }
}

open_enum! {
    /// Why a flow was removed (`enum ofp_flow_removed_reason`).
    pub enum FlowRemovedReason: u8 {
        /// Idle timeout.
        IdleTimeout = 0 => "idle",
        /// Hard timeout.
        HardTimeout = 1 => "hard",
        /// Deleted by a FLOW_MOD.
        Delete = 2 => "delete",
        /// Group was removed.
        GroupDelete = 3 => "group_delete",
    }
}

/// A FLOW_REMOVED message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct FlowRemoved {
    /// The flow's cookie.
    pub cookie: u64,
    /// The flow's priority.
    pub priority: u16,
    /// Why it was removed.
    pub reason: FlowRemovedReason,
    /// Its table.
    pub table_id: u8,
    /// Time it was alive, seconds part.
    pub duration_sec: u32,
    /// Time it was alive, nanoseconds beyond `duration_sec`.
    pub duration_nsec: u32,
    /// Its idle timeout.
    pub idle_timeout: u16,
    /// Its hard timeout.
    pub hard_timeout: u16,
    /// Packets it matched.
    pub packet_count: u64,
    /// Bytes it matched.
    pub byte_count: u64,
    /// Its match.
    pub match_: Match,
}

impl FlowRemoved {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_flow_removed";
        Ok(FlowRemoved {
            cookie: r.u64(W)?,
            priority: r.u16(W)?,
            reason: r.u8(W)?.into(),
            table_id: r.u8(W)?,
            duration_sec: r.u32(W)?,
            duration_nsec: r.u32(W)?,
            idle_timeout: r.u16(W)?,
            hard_timeout: r.u16(W)?,
            packet_count: r.u64(W)?,
            byte_count: r.u64(W)?,
            match_: Match::decode(r)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u64(self.cookie);
        buf.put_u16(self.priority);
        buf.put_u8(self.reason.into());
        buf.put_u8(self.table_id);
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
        buf.put_u16(self.idle_timeout);
        buf.put_u16(self.hard_timeout);
        buf.put_u64(self.packet_count);
        buf.put_u64(self.byte_count);
        self.match_.encode(buf)
    }
}

impl fmt::Display for FlowRemoved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "priority={} {} reason={} table_id={} cookie:{:#x} duration{}.{:03}s idle{} hard{} pkts{} bytes{}",
            self.priority,
            self.match_,
            self.reason,
            self.table_id,
            self.cookie,
            self.duration_sec,
            self.duration_nsec / 1_000_000,
            self.idle_timeout,
            self.hard_timeout,
            self.packet_count,
            self.byte_count
        )
    }
}
