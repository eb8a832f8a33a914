//! ROLE_REQUEST/REPLY and the asynchronous configuration (OpenFlow 1.3.5 §7.3.9, §7.3.10).
//!
//! ```text
//! struct ofp_role_request:  | role (32) | pad (32) | generation_id (64) |
//! struct ofp_async_config:  | packet_in_mask[2] (32 each) | port_status_mask[2] |
//!                           | flow_removed_mask[2] |
//! ```

use std::fmt;

use crate::codec::{Put, Reader};
use crate::error::DecodeError;
use crate::macros::open_enum;

open_enum! {
    /// A controller's role (`enum ofp_controller_role`).
    pub enum ControllerRole: u32 {
        /// Don't change the current role (a query).
        NoChange = 0 => "nochange",
        /// Full access; other controllers may also be equal.
        Equal = 1 => "equal",
        /// Full access; at most one master.
        Master = 2 => "master",
        /// Read-only access.
        Slave = 3 => "slave",
    }
}

/// A ROLE_REQUEST or ROLE_REPLY body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Role {
    /// The role.
    pub role: ControllerRole,
    /// Master election generation id.
    pub generation_id: u64,
}

impl Role {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_role_request";
        let role = r.u32(W)?.into();
        r.skip(W, 4)?;
        Ok(Role {
            role,
            generation_id: r.u64(W)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u32(self.role.into());
        buf.put_bytes(0, 4);
        buf.put_u64(self.generation_id);
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "role={} generation_id={}", self.role, self.generation_id)
    }
}

/// Which asynchronous messages a controller receives, for the master-or-equal role (index 0)
/// and the slave role (index 1). Each mask is a bitmap of reasons (`1 << reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AsyncConfig {
    /// PACKET_IN reasons.
    pub packet_in_mask: [u32; 2],
    /// PORT_STATUS reasons.
    pub port_status_mask: [u32; 2],
    /// FLOW_REMOVED reasons.
    pub flow_removed_mask: [u32; 2],
}

impl AsyncConfig {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_async_config";
        let mut pair = || -> Result<[u32; 2], DecodeError> { Ok([r.u32(W)?, r.u32(W)?]) };
        Ok(AsyncConfig {
            packet_in_mask: pair()?,
            port_status_mask: pair()?,
            flow_removed_mask: pair()?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        for m in [
            self.packet_in_mask,
            self.port_status_mask,
            self.flow_removed_mask,
        ] {
            buf.put_u32(m[0]);
            buf.put_u32(m[1]);
        }
    }
}

impl fmt::Display for AsyncConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "master: packet_in={:#x} port_status={:#x} flow_removed={:#x}; slave: packet_in={:#x} port_status={:#x} flow_removed={:#x}",
            self.packet_in_mask[0],
            self.port_status_mask[0],
            self.flow_removed_mask[0],
            self.packet_in_mask[1],
            self.port_status_mask[1],
            self.flow_removed_mask[1]
        )
    }
}
