//! PORT_STATUS and PORT_MOD (OpenFlow 1.3.5 §7.4.3, §7.3.4.3).
//!
//! ```text
//! struct ofp_port_status: | reason (8) | pad (56) | desc: struct ofp_port (64 bytes) |
//! struct ofp_port_mod:    | port_no (32) | pad (32) | hw_addr (48) | pad (16) |
//!                         | config (32) | mask (32) | advertise (32) | pad (32) |
//! ```

use std::fmt;

use sluice_wire::MacAddr;

use crate::codec::{Put, Reader};
use crate::error::DecodeError;
use crate::macros::open_enum;
use crate::port::{Port, PortConfig, PortFeatures, PortNo};

open_enum! {
    /// What changed about a port (`enum ofp_port_reason`).
    pub enum PortReason: u8 {
        /// The port was added.
        Add = 0 => "ADD",
        /// The port was removed.
        Delete = 1 => "DELETE",
        /// Some attribute of the port has changed.
        Modify = 2 => "MODIFY",
    }
}

/// A PORT_STATUS message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PortStatus {
    /// What changed.
    pub reason: PortReason,
    /// The port as it now is.
    pub desc: Port,
}

impl PortStatus {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let reason = r.u8("ofp_port_status")?.into();
        r.skip("ofp_port_status", 7)?;
        Ok(PortStatus {
            reason,
            desc: Port::decode(r)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u8(self.reason.into());
        buf.put_bytes(0, 7);
        self.desc.encode(buf);
    }
}

impl fmt::Display for PortStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason, self.desc)
    }
}

/// A PORT_MOD message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PortMod {
    /// The port.
    pub port_no: PortNo,
    /// Its hardware address (a sanity check for the switch).
    pub hw_addr: MacAddr,
    /// New values of the bits selected by `mask`.
    pub config: PortConfig,
    /// Which config bits to change.
    pub mask: PortConfig,
    /// Features to advertise (zero to leave them).
    pub advertise: PortFeatures,
}

impl PortMod {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_port_mod";
        let port_no = PortNo(r.u32(W)?);
        r.skip(W, 4)?;
        let hw_addr = MacAddr(r.array(W)?);
        r.skip(W, 2)?;
        let config = PortConfig::from_bits_retain(r.u32(W)?);
        let mask = PortConfig::from_bits_retain(r.u32(W)?);
        let advertise = PortFeatures::from_bits_retain(r.u32(W)?);
        r.skip(W, 4)?;
        Ok(PortMod {
            port_no,
            hw_addr,
            config,
            mask,
            advertise,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u32(self.port_no.0);
        buf.put_bytes(0, 4);
        buf.put_slice(&self.hw_addr.0);
        buf.put_bytes(0, 2);
        buf.put_u32(self.config.bits());
        buf.put_u32(self.mask.bits());
        buf.put_u32(self.advertise.bits());
        buf.put_bytes(0, 4);
    }
}

impl fmt::Display for PortMod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "port:{} addr:{} config:{} mask:{} advertise:{}",
            self.port_no, self.hw_addr, self.config, self.mask, self.advertise
        )
    }
}
