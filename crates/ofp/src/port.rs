//! Port numbers and the port description structure (OpenFlow 1.3.5 §7.2.1).

use std::fmt;

use sluice_wire::MacAddr;

use crate::codec::{FixedStr, Put, Reader};
use crate::error::DecodeError;
use crate::macros::wire_flags;

/// An OpenFlow port number, including the reserved ports (§7.2.1, `enum ofp_port_no`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PortNo(pub u32);

impl PortNo {
    /// The largest number of a physical or logical port.
    pub const MAX: PortNo = PortNo(0xffff_ff00);
    /// Send the packet out the port it came in on.
    pub const IN_PORT: PortNo = PortNo(0xffff_fff8);
    /// Submit the packet to the first flow table (packet-out only).
    pub const TABLE: PortNo = PortNo(0xffff_fff9);
    /// Forward with the switch's non-OpenFlow pipeline.
    pub const NORMAL: PortNo = PortNo(0xffff_fffa);
    /// Flood with the switch's non-OpenFlow pipeline.
    pub const FLOOD: PortNo = PortNo(0xffff_fffb);
    /// All standard ports except the ingress port.
    pub const ALL: PortNo = PortNo(0xffff_fffc);
    /// The controller.
    pub const CONTROLLER: PortNo = PortNo(0xffff_fffd);
    /// The switch's local networking stack.
    pub const LOCAL: PortNo = PortNo(0xffff_fffe);
    /// Wildcard port, in requests and filters.
    pub const ANY: PortNo = PortNo(0xffff_ffff);

    /// The reserved port's name, if this is one.
    pub fn reserved_name(self) -> Option<&'static str> {
        Some(match self {
            PortNo::IN_PORT => "IN_PORT",
            PortNo::TABLE => "TABLE",
            PortNo::NORMAL => "NORMAL",
            PortNo::FLOOD => "FLOOD",
            PortNo::ALL => "ALL",
            PortNo::CONTROLLER => "CONTROLLER",
            PortNo::LOCAL => "LOCAL",
            PortNo::ANY => "ANY",
            _ => return None,
        })
    }

    /// Whether this is a physical or logical port number (not reserved).
    pub fn is_standard(self) -> bool {
        self.0 != 0 && self.0 <= Self::MAX.0
    }
}

impl From<u32> for PortNo {
    fn from(v: u32) -> Self {
        PortNo(v)
    }
}

impl fmt::Display for PortNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reserved_name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for PortNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

wire_flags! {
    /// Administrative port settings (`enum ofp_port_config`).
    pub struct PortConfig: u32 {
        /// The port is administratively down.
        const PORT_DOWN = 1 << 0;
        /// Drop everything received on the port.
        const NO_RECV = 1 << 2;
        /// Drop packets forwarded to the port.
        const NO_FWD = 1 << 5;
        /// Do not send packet-ins for the port.
        const NO_PACKET_IN = 1 << 6;
    }
}

wire_flags! {
    /// Current port state (`enum ofp_port_state`).
    pub struct PortState: u32 {
        /// No physical link.
        const LINK_DOWN = 1 << 0;
        /// Blocked by a loop-prevention protocol.
        const BLOCKED = 1 << 1;
        /// Live for fast-failover groups.
        const LIVE = 1 << 2;
    }
}

wire_flags! {
    /// Port speeds and media (`enum ofp_port_features`).
    pub struct PortFeatures: u32 {
        /// 10 Mb half-duplex.
        const RATE_10MB_HD = 1 << 0;
        /// 10 Mb full-duplex.
        const RATE_10MB_FD = 1 << 1;
        /// 100 Mb half-duplex.
        const RATE_100MB_HD = 1 << 2;
        /// 100 Mb full-duplex.
        const RATE_100MB_FD = 1 << 3;
        /// 1 Gb half-duplex.
        const RATE_1GB_HD = 1 << 4;
        /// 1 Gb full-duplex.
        const RATE_1GB_FD = 1 << 5;
        /// 10 Gb full-duplex.
        const RATE_10GB_FD = 1 << 6;
        /// 40 Gb full-duplex.
        const RATE_40GB_FD = 1 << 7;
        /// 100 Gb full-duplex.
        const RATE_100GB_FD = 1 << 8;
        /// 1 Tb full-duplex.
        const RATE_1TB_FD = 1 << 9;
        /// Another rate, not in the list.
        const OTHER = 1 << 10;
        /// Copper medium.
        const COPPER = 1 << 11;
        /// Fiber medium.
        const FIBER = 1 << 12;
        /// Auto-negotiation.
        const AUTONEG = 1 << 13;
        /// Pause.
        const PAUSE = 1 << 14;
        /// Asymmetric pause.
        const PAUSE_ASYM = 1 << 15;
    }
}

/// A port description (`struct ofp_port`), as in PORT_STATUS and the PORT_DESC reply.
///
/// ```text
/// 0                   1                   2                   3
/// +---------------------------------------------------------------+
/// |                           port_no                             |
/// |                           pad (4)                             |
/// |                  hw_addr (6)                  |   pad (2)     |
/// |                         name (16)                             |
/// | config | state | curr | advertised | supported | peer         |
/// | curr_speed (kbps) | max_speed (kbps)                          |
/// +---------------------------------------------------------------+   64 bytes
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Port {
    /// The port number.
    pub port_no: PortNo,
    /// The port's MAC address.
    pub hw_addr: MacAddr,
    /// The port's name (NUL-padded).
    pub name: FixedStr<16>,
    /// Administrative settings.
    pub config: PortConfig,
    /// Link state.
    pub state: PortState,
    /// Current features.
    pub curr: PortFeatures,
    /// Features advertised by the port.
    pub advertised: PortFeatures,
    /// Features supported by the port.
    pub supported: PortFeatures,
    /// Features advertised by the peer.
    pub peer: PortFeatures,
    /// Current bit rate in kbps.
    pub curr_speed: u32,
    /// Maximum bit rate in kbps.
    pub max_speed: u32,
}

impl Port {
    /// Encoded size of `struct ofp_port`.
    pub const LEN: usize = 64;

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_port";
        let port_no = PortNo(r.u32(W)?);
        r.skip(W, 4)?;
        let hw_addr = MacAddr(r.array(W)?);
        r.skip(W, 2)?;
        let name = FixedStr(r.array(W)?);
        Ok(Port {
            port_no,
            hw_addr,
            name,
            config: PortConfig::from_bits_retain(r.u32(W)?),
            state: PortState::from_bits_retain(r.u32(W)?),
            curr: PortFeatures::from_bits_retain(r.u32(W)?),
            advertised: PortFeatures::from_bits_retain(r.u32(W)?),
            supported: PortFeatures::from_bits_retain(r.u32(W)?),
            peer: PortFeatures::from_bits_retain(r.u32(W)?),
            curr_speed: r.u32(W)?,
            max_speed: r.u32(W)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u32(self.port_no.0);
        buf.put_bytes(0, 4);
        buf.put_slice(&self.hw_addr.0);
        buf.put_bytes(0, 2);
        buf.put_slice(&self.name.0);
        buf.put_u32(self.config.bits());
        buf.put_u32(self.state.bits());
        buf.put_u32(self.curr.bits());
        buf.put_u32(self.advertised.bits());
        buf.put_u32(self.supported.bits());
        buf.put_u32(self.peer.bits());
        buf.put_u32(self.curr_speed);
        buf.put_u32(self.max_speed);
    }

    /// Whether the port is usable: administratively up and with a link.
    pub fn is_up(&self) -> bool {
        !self.config.contains(PortConfig::PORT_DOWN) && !self.state.contains(PortState::LINK_DOWN)
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({}): addr:{} config:{} state:{} speed:{}/{}kbps",
            self.port_no,
            self.name,
            self.hw_addr,
            self.config,
            self.state,
            self.curr_speed,
            self.max_speed
        )
    }
}
