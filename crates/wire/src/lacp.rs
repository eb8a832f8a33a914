//! LACPDUs (IEEE 802.1AX-2014 §6.4.2.3; also IEEE 802.3-2008 §43.4.2.2): the Slow Protocols
//! (EtherType 0x8809) subtype 1, a fixed 110-byte layout of actor, partner and collector
//! information.
//!
//! ```text
//!  off  size  field
//!    0     1  Subtype = 1 (LACP)               1     1  Version = 1
//!    2     1  TLV type = 1 (Actor)             3     1  Length = 20
//!    4     2  Actor system priority            6     6  Actor system (MAC)
//!   12     2  Actor key                       14     2  Actor port priority
//!   16     2  Actor port                      18     1  Actor state
//!   19     3  Reserved
//!   22     1  TLV type = 2 (Partner)          23     1  Length = 20
//!   24    18  Partner information, laid out as the actor's (24..42)
//!   42     1  TLV type = 3 (Collector)        43     1  Length = 16
//!   44     2  Collector max delay             46    12  Reserved
//!   58     1  TLV type = 0 (Terminator)       59     1  Length = 0
//!   60    50  Reserved
//!  State bits: 0 activity, 1 timeout (short), 2 aggregation, 3 synchronization,
//!              4 collecting, 5 distributing, 6 defaulted, 7 expired.
//! ```

use std::fmt;

use crate::error::{WireError, WireResult};
use crate::field::{Field, read_array, read_u16, write_u16};
use crate::mac::MacAddr;
use crate::macros::bit_flags;

bit_flags! {
    /// Actor or partner state (IEEE 802.1AX-2014 §6.4.2.3 items m and w).
    pub struct LacpState(u8) {
        /// Active LACP (sends LACPDUs unsolicited).
        const ACTIVITY = 0x01 => "activity";
        /// Short timeout (fast LACPDUs).
        const TIMEOUT = 0x02 => "timeout";
        /// The link can be aggregated.
        const AGGREGATION = 0x04 => "aggregation";
        /// The link is in sync (FAUCET: the partner is up when this is set).
        const SYNCHRONIZATION = 0x08 => "synchronization";
        /// Collecting frames.
        const COLLECTING = 0x10 => "collecting";
        /// Distributing frames.
        const DISTRIBUTING = 0x20 => "distributing";
        /// Using defaulted partner information.
        const DEFAULTED = 0x40 => "defaulted";
        /// Receive machine is expired.
        const EXPIRED = 0x80 => "expired";
    }
}

/// Slow Protocols subtype of LACP.
pub const SUBTYPE_LACP: u8 = 1;
/// Slow Protocols subtype of the marker protocol.
pub const SUBTYPE_MARKER: u8 = 2;

mod field {
    use crate::field::Field;

    pub const SUBTYPE: usize = 0;
    pub const VERSION: usize = 1;
    pub const ACTOR_TYPE: usize = 2;
    pub const ACTOR_LEN: usize = 3;
    pub const ACTOR: usize = 4;
    pub const PARTNER_TYPE: usize = 22;
    pub const PARTNER_LEN: usize = 23;
    pub const PARTNER: usize = 24;
    pub const COLLECTOR_TYPE: usize = 42;
    pub const COLLECTOR_LEN: usize = 43;
    pub const COLLECTOR_MAX_DELAY: Field = 44..46;
    pub const COLLECTOR_RESERVED: Field = 46..58;
    pub const TERMINATOR_TYPE: usize = 58;
    pub const TERMINATOR_LEN: usize = 59;
    pub const RESERVED: Field = 60..110;

    // Offsets inside an actor/partner information block.
    pub const SYS_PRIO: Field = 0..2;
    pub const SYSTEM: Field = 2..8;
    pub const KEY: Field = 8..10;
    pub const PORT_PRIO: Field = 10..12;
    pub const PORT: Field = 12..14;
    pub const STATE: usize = 14;
    pub const INFO_RESERVED: Field = 15..18;
}

/// Bytes a LACPDU must have to be read (through the terminator TLV).
pub const MIN_LEN: usize = field::TERMINATOR_LEN + 1;
/// Length of a LACPDU as sent (with its 50 reserved bytes).
pub const LACPDU_LEN: usize = field::RESERVED.end;

/// Which information block of a LACPDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The sender.
    Actor,
    /// The sender's view of the receiver.
    Partner,
}

impl Side {
    const fn base(self) -> usize {
        match self {
            Side::Actor => field::ACTOR,
            Side::Partner => field::PARTNER,
        }
    }

    const fn at(self, f: Field) -> Field {
        (self.base() + f.start)..(self.base() + f.end)
    }
}

/// A read/write view of a LACPDU (the payload of a Slow Protocols frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LacpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> LacpPacket<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> LacpPacket<T> {
        LacpPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    ///
    /// # Errors
    /// [`WireError::Truncated`].
    pub fn new_checked(buffer: T) -> WireResult<LacpPacket<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that everything up to the terminator TLV fits (60 bytes; the 50 reserved bytes
    /// after it are not needed to read it), so no getter panics.
    ///
    /// # Errors
    /// [`WireError::Truncated`].
    pub fn check_len(&self) -> WireResult<()> {
        WireError::check(MIN_LEN, self.buffer.as_ref().len())
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Slow Protocols subtype (1 for LACP).
    pub fn subtype(&self) -> u8 {
        self.buffer.as_ref()[field::SUBTYPE]
    }

    /// LACP version.
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VERSION]
    }

    /// Type and length of the actor, partner, collector and terminator TLVs.
    pub fn tlv_headers(&self) -> [(u8, u8); 4] {
        let b = self.buffer.as_ref();
        [
            (b[field::ACTOR_TYPE], b[field::ACTOR_LEN]),
            (b[field::PARTNER_TYPE], b[field::PARTNER_LEN]),
            (b[field::COLLECTOR_TYPE], b[field::COLLECTOR_LEN]),
            (b[field::TERMINATOR_TYPE], b[field::TERMINATOR_LEN]),
        ]
    }

    /// System priority of a side.
    pub fn system_priority(&self, side: Side) -> u16 {
        read_u16(self.buffer.as_ref(), side.at(field::SYS_PRIO))
    }

    /// System id (MAC) of a side.
    pub fn system(&self, side: Side) -> MacAddr {
        MacAddr(read_array(self.buffer.as_ref(), side.at(field::SYSTEM)))
    }

    /// Key of a side.
    pub fn key(&self, side: Side) -> u16 {
        read_u16(self.buffer.as_ref(), side.at(field::KEY))
    }

    /// Port priority of a side.
    pub fn port_priority(&self, side: Side) -> u16 {
        read_u16(self.buffer.as_ref(), side.at(field::PORT_PRIO))
    }

    /// Port number of a side.
    pub fn port(&self, side: Side) -> u16 {
        read_u16(self.buffer.as_ref(), side.at(field::PORT))
    }

    /// State of a side.
    pub fn state(&self, side: Side) -> LacpState {
        LacpState(self.buffer.as_ref()[side.base() + field::STATE])
    }

    /// Collector max delay (tens of microseconds).
    pub fn collector_max_delay(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::COLLECTOR_MAX_DELAY)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> LacpPacket<T> {
    /// Sets the subtype.
    pub fn set_subtype(&mut self, v: u8) {
        self.buffer.as_mut()[field::SUBTYPE] = v;
    }

    /// Sets the version.
    pub fn set_version(&mut self, v: u8) {
        self.buffer.as_mut()[field::VERSION] = v;
    }

    /// Writes the four TLV headers (actor 1/20, partner 2/20, collector 3/16, terminator 0/0)
    /// and zeroes every reserved byte (the 50 trailing ones only if the buffer holds them).
    pub fn set_tlv_headers(&mut self) {
        let b = self.buffer.as_mut();
        for (at, v) in [
            (field::ACTOR_TYPE, 1),
            (field::ACTOR_LEN, 20),
            (field::PARTNER_TYPE, 2),
            (field::PARTNER_LEN, 20),
            (field::COLLECTOR_TYPE, 3),
            (field::COLLECTOR_LEN, 16),
            (field::TERMINATOR_TYPE, 0),
            (field::TERMINATOR_LEN, 0),
        ] {
            b[at] = v;
        }
        b[Side::Actor.at(field::INFO_RESERVED)].fill(0);
        b[Side::Partner.at(field::INFO_RESERVED)].fill(0);
        b[field::COLLECTOR_RESERVED].fill(0);
        let end = b.len().min(field::RESERVED.end);
        if end > field::RESERVED.start {
            b[field::RESERVED.start..end].fill(0);
        }
    }

    /// Sets the system priority of a side.
    pub fn set_system_priority(&mut self, side: Side, v: u16) {
        write_u16(self.buffer.as_mut(), side.at(field::SYS_PRIO), v);
    }

    /// Sets the system id of a side.
    pub fn set_system(&mut self, side: Side, v: MacAddr) {
        self.buffer.as_mut()[side.at(field::SYSTEM)].copy_from_slice(&v.0);
    }

    /// Sets the key of a side.
    pub fn set_key(&mut self, side: Side, v: u16) {
        write_u16(self.buffer.as_mut(), side.at(field::KEY), v);
    }

    /// Sets the port priority of a side.
    pub fn set_port_priority(&mut self, side: Side, v: u16) {
        write_u16(self.buffer.as_mut(), side.at(field::PORT_PRIO), v);
    }

    /// Sets the port number of a side.
    pub fn set_port(&mut self, side: Side, v: u16) {
        write_u16(self.buffer.as_mut(), side.at(field::PORT), v);
    }

    /// Sets the state of a side.
    pub fn set_state(&mut self, side: Side, v: LacpState) {
        self.buffer.as_mut()[side.base() + field::STATE] = v.bits();
    }

    /// Sets the collector max delay.
    pub fn set_collector_max_delay(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::COLLECTOR_MAX_DELAY, v);
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for LacpPacket<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]>> fmt::Display for LacpPacket<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match LacpRepr::parse(self) {
            Ok(repr) => write!(f, "{repr}"),
            Err(e) => write!(f, "LACP ({e})"),
        }
    }
}

/// One side's information in a LACPDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LacpInfo {
    /// System priority.
    pub system_priority: u16,
    /// System id (FAUCET: `faucet_dp_mac`).
    pub system: MacAddr,
    /// Key (FAUCET: the port's `lacp` id).
    pub key: u16,
    /// Port priority.
    pub port_priority: u16,
    /// Port number (FAUCET: `lacp_port_id`).
    pub port: u16,
    /// State.
    pub state: LacpState,
}

/// The content of a LACPDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LacpRepr {
    /// The sender.
    pub actor: LacpInfo,
    /// The sender's view of the receiver.
    pub partner: LacpInfo,
    /// Collector max delay.
    pub collector_max_delay: u16,
}

impl LacpRepr {
    /// Reads a LACPDU: subtype 1, version 1 or later, the actor/partner/collector TLVs with
    /// their fixed lengths.
    ///
    /// # Errors
    /// [`WireError::Truncated`], or [`WireError::Malformed`] naming the rule broken.
    pub fn parse<T: AsRef<[u8]>>(packet: &LacpPacket<T>) -> WireResult<LacpRepr> {
        packet.check_len()?;
        if packet.subtype() != SUBTYPE_LACP {
            return Err(WireError::Malformed("Slow Protocols subtype is not LACP"));
        }
        if packet.version() == 0 {
            return Err(WireError::Malformed("LACP version 0"));
        }
        let [actor, partner, collector, _] = packet.tlv_headers();
        if actor != (1, 20) || partner != (2, 20) || collector != (3, 16) {
            return Err(WireError::Malformed("LACP TLV types or lengths are wrong"));
        }
        let info = |side| LacpInfo {
            system_priority: packet.system_priority(side),
            system: packet.system(side),
            key: packet.key(side),
            port_priority: packet.port_priority(side),
            port: packet.port(side),
            state: packet.state(side),
        };
        Ok(LacpRepr {
            actor: info(Side::Actor),
            partner: info(Side::Partner),
            collector_max_delay: packet.collector_max_delay(),
        })
    }

    /// Length of the LACPDU this emits (110).
    pub const fn buffer_len(&self) -> usize {
        LACPDU_LEN
    }

    /// Writes a version 1 LACPDU.
    ///
    /// # Panics
    /// If the buffer is shorter than 60 bytes (pass [`buffer_len`](Self::buffer_len)).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut LacpPacket<T>) {
        packet.set_subtype(SUBTYPE_LACP);
        packet.set_version(1);
        packet.set_tlv_headers();
        for (side, info) in [(Side::Actor, &self.actor), (Side::Partner, &self.partner)] {
            packet.set_system_priority(side, info.system_priority);
            packet.set_system(side, info.system);
            packet.set_key(side, info.key);
            packet.set_port_priority(side, info.port_priority);
            packet.set_port(side, info.port);
            packet.set_state(side, info.state);
        }
        packet.set_collector_max_delay(self.collector_max_delay);
    }
}

impl fmt::Display for LacpInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "system={},{} key={} port={},{} state={}",
            self.system_priority, self.system, self.key, self.port_priority, self.port, self.state
        )
    }
}

impl fmt::Display for LacpRepr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LACP actor[{}] partner[{}]", self.actor, self.partner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // FAUCET's reply (valve_packet.lacp_reqreply, os-ken) from 0e:00:00:00:00:01, key 1,
    // port 1, in sync, to partner 0e:00:00:00:00:99 key 5 port 7: the LACPDU after the
    // Ethernet header.
    static FAUCET_LACP_BYTES: [u8; 110] = [
        0x01, 0x01, 0x01, 0x14, 0xff, 0xff, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
        0xff, 0x00, 0x01, 0x3e, 0x00, 0x00, 0x00, 0x02, 0x14, 0x80, 0x00, 0x0e, 0x00, 0x00, 0x00,
        0x00, 0x99, 0x00, 0x05, 0x00, 0xff, 0x00, 0x07, 0x3f, 0x00, 0x00, 0x00, 0x03, 0x10, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    // Open vSwitch 3.1 (bond with lacp=active, lacp-time=fast) before it heard a partner,
    // captured on the member's veth peer: the first 60 bytes (the other 50 are zero).
    static OVS_LACP_BYTES: [u8; 60] = [
        0x01, 0x01, 0x01, 0x14, 0xff, 0xfe, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x51, 0x00, 0x01, 0xff,
        0xff, 0x00, 0x01, 0xbf, 0x00, 0x00, 0x00, 0x02, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x10, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    fn faucet_repr() -> LacpRepr {
        use LacpState as S;
        LacpRepr {
            actor: LacpInfo {
                system_priority: 65535,
                system: MacAddr([0x0e, 0, 0, 0, 0, 1]),
                key: 1,
                port_priority: 255,
                port: 1,
                state: S::TIMEOUT
                    | S::AGGREGATION
                    | S::SYNCHRONIZATION
                    | S::COLLECTING
                    | S::DISTRIBUTING,
            },
            partner: LacpInfo {
                system_priority: 32768,
                system: MacAddr([0x0e, 0, 0, 0, 0, 0x99]),
                key: 5,
                port_priority: 255,
                port: 7,
                state: S(0x3f),
            },
            collector_max_delay: 0,
        }
    }

    #[test]
    fn deconstruct() {
        let mut ovs = OVS_LACP_BYTES.to_vec();
        ovs.resize(110, 0);
        let p = LacpPacket::new_checked(&ovs[..]).unwrap();
        assert_eq!(p.subtype(), SUBTYPE_LACP);
        assert_eq!(p.version(), 1);
        assert_eq!(p.tlv_headers(), [(1, 20), (2, 20), (3, 16), (0, 0)]);
        assert_eq!(p.system_priority(Side::Actor), 65534);
        assert_eq!(p.system(Side::Actor), MacAddr([0x0e, 0, 0, 0, 0, 0x51]));
        assert_eq!(p.key(Side::Actor), 1);
        assert_eq!(p.port_priority(Side::Actor), 65535);
        assert_eq!(p.port(Side::Actor), 1);
        assert_eq!(p.state(Side::Actor), LacpState(0xbf));
        assert!(p.state(Side::Actor).contains(LacpState::EXPIRED));
        assert_eq!(p.system(Side::Partner), MacAddr::ZERO);
        assert_eq!(p.state(Side::Partner), LacpState::TIMEOUT);
        assert_eq!(p.collector_max_delay(), 0);
        assert_eq!(
            p.to_string(),
            "LACP actor[system=65534,0e:00:00:00:00:51 key=1 port=65535,1 \
             state=activity|timeout|aggregation|synchronization|collecting|distributing|expired] \
             partner[system=0,00:00:00:00:00:00 key=0 port=0,0 state=timeout]"
        );
    }

    #[test]
    fn construct() {
        let mut bytes = [0xa5u8; 110];
        let mut p = LacpPacket::new_unchecked(&mut bytes[..]);
        p.set_subtype(1);
        p.set_version(1);
        p.set_tlv_headers();
        let r = faucet_repr();
        for (side, info) in [(Side::Actor, r.actor), (Side::Partner, r.partner)] {
            p.set_system_priority(side, info.system_priority);
            p.set_system(side, info.system);
            p.set_key(side, info.key);
            p.set_port_priority(side, info.port_priority);
            p.set_port(side, info.port);
            p.set_state(side, info.state);
        }
        p.set_collector_max_delay(0);
        assert_eq!(bytes, FAUCET_LACP_BYTES);
    }

    #[test]
    fn parse() {
        let p = LacpPacket::new_unchecked(&FAUCET_LACP_BYTES[..]);
        assert_eq!(LacpRepr::parse(&p), Ok(faucet_repr()));
        // A packet-in cut after the terminator still parses.
        let p = LacpPacket::new_unchecked(&OVS_LACP_BYTES[..]);
        assert_eq!(LacpRepr::parse(&p).map(|r| r.actor.key), Ok(1));
    }

    #[test]
    fn emit() {
        let mut bytes = [0xa5u8; 110];
        faucet_repr().emit(&mut LacpPacket::new_unchecked(&mut bytes[..]));
        assert_eq!(bytes, FAUCET_LACP_BYTES);
    }

    #[test]
    fn bad_lacpdus() {
        let parse = |b: &[u8]| LacpRepr::parse(&LacpPacket::new_unchecked(b));
        assert_eq!(
            parse(&OVS_LACP_BYTES[..59]),
            Err(WireError::Truncated { need: 60, have: 59 })
        );
        let mut b = OVS_LACP_BYTES;
        b[0] = SUBTYPE_MARKER;
        assert_eq!(
            parse(&b),
            Err(WireError::Malformed("Slow Protocols subtype is not LACP"))
        );
        let mut b = OVS_LACP_BYTES;
        b[1] = 0;
        assert_eq!(parse(&b), Err(WireError::Malformed("LACP version 0")));
        let mut b = OVS_LACP_BYTES;
        b[23] = 19;
        assert_eq!(
            parse(&b),
            Err(WireError::Malformed("LACP TLV types or lengths are wrong"))
        );
    }
}
