//! FEATURES and switch configuration (OpenFlow 1.3.5 §7.3.1, §7.3.2).
//!
//! ```text
//! struct ofp_switch_features:
//! | datapath_id (64) | n_buffers (32) | n_tables (8) | auxiliary_id (8) | pad (16) |
//! | capabilities (32) | reserved (32) |                                   24 bytes of body
//! struct ofp_switch_config: | flags (16) | miss_send_len (16) |          4 bytes of body
//! ```

use std::fmt;

use crate::codec::{Put, Reader};
use crate::error::DecodeError;
use crate::macros::wire_flags;

wire_flags! {
    /// Switch capabilities (`enum ofp_capabilities`).
    pub struct Capabilities: u32 {
        /// Flow statistics.
        const FLOW_STATS = 1 << 0;
        /// Table statistics.
        const TABLE_STATS = 1 << 1;
        /// Port statistics.
        const PORT_STATS = 1 << 2;
        /// Group statistics.
        const GROUP_STATS = 1 << 3;
        /// Can reassemble IP fragments.
        const IP_REASM = 1 << 5;
        /// Queue statistics.
        const QUEUE_STATS = 1 << 6;
        /// Switch will block looping ports.
        const PORT_BLOCKED = 1 << 8;
    }
}

/// A FEATURES_REPLY body (`struct ofp_switch_features`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SwitchFeatures {
    /// The datapath id: the low 48 bits are usually a MAC address.
    pub datapath_id: u64,
    /// Packets the switch can buffer for packet-ins.
    pub n_buffers: u32,
    /// Number of flow tables.
    pub n_tables: u8,
    /// Auxiliary connection id (0 on the main connection).
    pub auxiliary_id: u8,
    /// Capabilities.
    pub capabilities: Capabilities,
    /// Reserved field, kept as received.
    pub reserved: u32,
}

impl SwitchFeatures {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_switch_features";
        let datapath_id = r.u64(W)?;
        let n_buffers = r.u32(W)?;
        let n_tables = r.u8(W)?;
        let auxiliary_id = r.u8(W)?;
        r.skip(W, 2)?;
        Ok(SwitchFeatures {
            datapath_id,
            n_buffers,
            n_tables,
            auxiliary_id,
            capabilities: Capabilities::from_bits_retain(r.u32(W)?),
            reserved: r.u32(W)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u64(self.datapath_id);
        buf.put_u32(self.n_buffers);
        buf.put_u8(self.n_tables);
        buf.put_u8(self.auxiliary_id);
        buf.put_bytes(0, 2);
        buf.put_u32(self.capabilities.bits());
        buf.put_u32(self.reserved);
    }
}

impl fmt::Display for SwitchFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dpid:{:016x} n_tables:{} n_buffers:{} auxiliary_id:{} capabilities:{}",
            self.datapath_id, self.n_tables, self.n_buffers, self.auxiliary_id, self.capabilities
        )
    }
}

wire_flags! {
    /// Switch configuration flags (`enum ofp_config_flags`); the low two bits say how IP
    /// fragments are handled (0 normal, 1 drop, 2 reassemble).
    pub struct ConfigFlags: u16 {
        /// Drop IP fragments.
        const FRAG_DROP = 1 << 0;
        /// Reassemble IP fragments.
        const FRAG_REASM = 1 << 1;
    }
}

/// A switch configuration (`struct ofp_switch_config`), in SET_CONFIG and GET_CONFIG_REPLY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SwitchConfig {
    /// Fragment handling.
    pub flags: ConfigFlags,
    /// Bytes of a packet sent to the controller on a table miss (`OFPCML_NO_BUFFER` for all).
    pub miss_send_len: u16,
}

impl SwitchConfig {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_switch_config";
        Ok(SwitchConfig {
            flags: ConfigFlags::from_bits_retain(r.u16(W)?),
            miss_send_len: r.u16(W)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u16(self.flags.bits());
        buf.put_u16(self.miss_send_len);
    }
}

impl fmt::Display for SwitchConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frags = match self.flags.bits() & 3 {
            0 => "normal",
            1 => "drop",
            2 => "reassemble",
            _ => "invalid",
        };
        write!(f, "frags={frags} miss_send_len={}", self.miss_send_len)?;
        let extra = self.flags.bits() & !3;
        if extra != 0 {
            write!(f, " flags={extra:#x}")?;
        }
        Ok(())
    }
}
