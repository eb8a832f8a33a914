//! LLDP data units (IEEE 802.1AB-2016 §8): a list of TLVs, starting with chassis ID, port ID
//! and time-to-live, ending with an End TLV. Also FAUCET's own organisationally specific TLVs,
//! which its stacking uses to recognise peers (`valve_packet.py`: `faucet_lldp_tlvs`,
//! `faucet_lldp_stack_state_tlvs`, `parse_faucet_lldp`).
//!
//! ```text
//!  TLV (§8.4):
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Type (7)   |  Length (9)     |  Value (Length bytes) ...     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  Chassis ID (1) / Port ID (2):      | subtype (1) | id (1..=255) |
//!  Time To Live (3):                  | seconds (2)                |
//!  Port/System Description (4/6), System Name (5): text (0..=255)
//!  System Capabilities (7):           | system (2) | enabled (2)   |
//!  Organizationally Specific (127):   | OUI (3) | subtype (1) | info (0..=507) |
//!  End of LLDPDU (0):                 length 0
//! ```
//! FAUCET's beacons carry, with the OUI of `faucet_dp_mac`, subtype 1 = the DP id and
//! subtype 2 = the stack port state, both as decimal text; the port ID (subtype "interface
//! name") is the port number as decimal text and the system name is the DP name.

use std::fmt;

use crate::error::{WireError, WireResult};
use crate::field::{read_u16, write_u16};
use crate::mac::MacAddr;
use crate::macros::enum_with_unknown;

enum_with_unknown! {
    /// TLV type (IEEE 802.1AB-2016 Table 8-1).
    pub enum TlvType(u8) {
        /// End of LLDPDU.
        End = 0 => "end",
        /// Chassis ID.
        ChassisId = 1 => "chassis-id",
        /// Port ID.
        PortId = 2 => "port-id",
        /// Time to live.
        Ttl = 3 => "ttl",
        /// Port description.
        PortDescription = 4 => "port-description",
        /// System name.
        SystemName = 5 => "system-name",
        /// System description.
        SystemDescription = 6 => "system-description",
        /// System capabilities.
        SystemCapabilities = 7 => "system-capabilities",
        /// Management address.
        ManagementAddress = 8 => "management-address",
        /// Organizationally specific.
        OrganizationallySpecific = 127 => "org-specific",
    }
    unknown = "tlv-{}";
}

enum_with_unknown! {
    /// Chassis ID subtype (IEEE 802.1AB-2016 Table 8-2).
    pub enum ChassisIdSubtype(u8) {
        /// Chassis component (entPhysicalAlias).
        ChassisComponent = 1 => "chassis-component",
        /// Interface alias (ifAlias).
        InterfaceAlias = 2 => "interface-alias",
        /// Port component (entPhysicalAlias).
        PortComponent = 3 => "port-component",
        /// MAC address (FAUCET sends `faucet_dp_mac`).
        MacAddress = 4 => "mac",
        /// Network address.
        NetworkAddress = 5 => "network-address",
        /// Interface name (ifName).
        InterfaceName = 6 => "interface-name",
        /// Locally assigned.
        Local = 7 => "local",
    }
    unknown = "{}";
}

enum_with_unknown! {
    /// Port ID subtype (IEEE 802.1AB-2016 Table 8-3).
    pub enum PortIdSubtype(u8) {
        /// Interface alias (ifAlias).
        InterfaceAlias = 1 => "interface-alias",
        /// Port component (entPhysicalAlias).
        PortComponent = 2 => "port-component",
        /// MAC address.
        MacAddress = 3 => "mac",
        /// Network address.
        NetworkAddress = 4 => "network-address",
        /// Interface name (FAUCET sends the port number as text).
        InterfaceName = 5 => "interface-name",
        /// Agent circuit ID.
        AgentCircuitId = 6 => "agent-circuit-id",
        /// Locally assigned.
        Local = 7 => "local",
    }
    unknown = "{}";
}

mod field {
    use crate::field::Field;

    pub const TYPE_LEN: Field = 0..2;
    pub const VALUE: usize = 2;
    // Chassis and port ID.
    pub const ID_SUBTYPE: usize = 2;
    pub const ID: usize = 3;
    // TTL.
    pub const TTL: Field = 2..4;
    // System capabilities.
    pub const CAP_SYSTEM: Field = 2..4;
    pub const CAP_ENABLED: Field = 4..6;
    // Organizationally specific.
    pub const OUI: Field = 2..5;
    pub const ORG_SUBTYPE: usize = 5;
    pub const ORG_INFO: usize = 6;
}

/// Length of a TLV header.
pub const TLV_HEADER_LEN: usize = field::VALUE;
/// The longest TLV value (9-bit length).
pub const MAX_VALUE_LEN: usize = 511;

/// FAUCET's org-specific subtype carrying the DP id as decimal text.
pub const FAUCET_DP_ID_SUBTYPE: u8 = 1;
/// FAUCET's org-specific subtype carrying the stack port state as decimal text.
pub const FAUCET_STACK_STATE_SUBTYPE: u8 = 2;

// ===== one TLV =====

/// A read/write view of one TLV (the buffer may run on past it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LldpTlv<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> LldpTlv<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> LldpTlv<T> {
        LldpTlv { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    ///
    /// # Errors
    /// [`WireError::Truncated`].
    pub fn new_checked(buffer: T) -> WireResult<LldpTlv<T>> {
        let t = Self::new_unchecked(buffer);
        t.check_len()?;
        Ok(t)
    }

    /// Checks that the header and the value length it announces fit. (The fixed fields of a
    /// type, such as the OUI, are checked by [`LldpRepr::parse`].)
    ///
    /// # Errors
    /// [`WireError::Truncated`].
    pub fn check_len(&self) -> WireResult<()> {
        let len = self.buffer.as_ref().len();
        WireError::check(TLV_HEADER_LEN, len)?;
        WireError::check(self.total_len(), len)
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// TLV type.
    pub fn tlv_type(&self) -> TlvType {
        (self.buffer.as_ref()[0] >> 1).into()
    }

    /// Length of the value.
    pub fn value_len(&self) -> usize {
        usize::from(read_u16(self.buffer.as_ref(), field::TYPE_LEN) & 0x01ff)
    }

    /// Length of the whole TLV.
    pub fn total_len(&self) -> usize {
        TLV_HEADER_LEN + self.value_len()
    }

    /// Chassis/port ID subtype (the first value byte).
    pub fn id_subtype(&self) -> u8 {
        self.buffer.as_ref()[field::ID_SUBTYPE]
    }

    /// Time to live in seconds.
    pub fn ttl(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::TTL)
    }

    /// System capabilities: (available, enabled).
    pub fn capabilities(&self) -> (u16, u16) {
        let b = self.buffer.as_ref();
        (
            read_u16(b, field::CAP_SYSTEM),
            read_u16(b, field::CAP_ENABLED),
        )
    }

    /// Organizationally unique identifier.
    pub fn oui(&self) -> [u8; 3] {
        crate::field::read_array(self.buffer.as_ref(), field::OUI)
    }

    /// Organisation-defined subtype.
    pub fn org_subtype(&self) -> u8 {
        self.buffer.as_ref()[field::ORG_SUBTYPE]
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> LldpTlv<&'a T> {
    /// The value.
    pub fn value(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::VALUE..self.total_len()]
    }

    /// The chassis/port ID after its subtype.
    pub fn id(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::ID..self.total_len()]
    }

    /// The information string of an organizationally specific TLV.
    pub fn org_info(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::ORG_INFO..self.total_len()]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> LldpTlv<T> {
    /// Sets the type and the value length.
    pub fn set_type_len(&mut self, ty: TlvType, value_len: usize) {
        let v = (u16::from(u8::from(ty) & 0x7f) << 9) | (value_len as u16 & 0x01ff);
        write_u16(self.buffer.as_mut(), field::TYPE_LEN, v);
    }

    /// Sets the chassis/port ID subtype.
    pub fn set_id_subtype(&mut self, v: u8) {
        self.buffer.as_mut()[field::ID_SUBTYPE] = v;
    }

    /// Sets the time to live.
    pub fn set_ttl(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::TTL, v);
    }

    /// Sets the system capabilities.
    pub fn set_capabilities(&mut self, system: u16, enabled: u16) {
        write_u16(self.buffer.as_mut(), field::CAP_SYSTEM, system);
        write_u16(self.buffer.as_mut(), field::CAP_ENABLED, enabled);
    }

    /// Sets the OUI.
    pub fn set_oui(&mut self, oui: [u8; 3]) {
        self.buffer.as_mut()[field::OUI].copy_from_slice(&oui);
    }

    /// Sets the organisation-defined subtype.
    pub fn set_org_subtype(&mut self, v: u8) {
        self.buffer.as_mut()[field::ORG_SUBTYPE] = v;
    }

    /// The value, for writing (set the length first).
    pub fn value_mut(&mut self) -> &mut [u8] {
        let end = self.total_len();
        &mut self.buffer.as_mut()[field::VALUE..end]
    }
}

/// The TLVs of an LLDPDU, up to and including the End TLV (or the end of the buffer). After
/// an error it yields nothing more.
#[derive(Debug, Clone)]
pub struct LldpTlvs<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> LldpTlvs<'a> {
    /// The TLVs in `bytes`. Errors count bytes from the start of `bytes`.
    pub const fn new(bytes: &'a [u8]) -> LldpTlvs<'a> {
        LldpTlvs {
            rest: bytes,
            offset: 0,
        }
    }
}

impl<'a> Iterator for LldpTlvs<'a> {
    type Item = WireResult<LldpTlv<&'a [u8]>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let tlv = LldpTlv::new_unchecked(self.rest);
        if let Err(e) = tlv.check_len() {
            self.rest = &[];
            return Some(Err(match e {
                WireError::Truncated { need, have } => WireError::Truncated {
                    need: need + self.offset,
                    have: have + self.offset,
                },
                other => other,
            }));
        }
        let len = tlv.total_len();
        self.offset += len;
        let (this, rest) = self.rest.split_at(len);
        self.rest = if tlv.tlv_type() == TlvType::End {
            &[]
        } else {
            rest
        };
        Some(Ok(LldpTlv::new_unchecked(this)))
    }
}

// ===== the LLDPDU =====

/// A view of an LLDPDU (the payload of an Ethernet frame of type 0x88cc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LldpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> LldpPacket<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> LldpPacket<T> {
        LldpPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    ///
    /// # Errors
    /// See [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> WireResult<LldpPacket<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that every TLV up to the End TLV (or the end of the buffer) fits, so
    /// [`tlvs`](Self::tlvs) yields no error. Bytes after the End TLV (padding) are ignored.
    ///
    /// # Errors
    /// [`WireError::Truncated`] if a TLV runs past the end.
    pub fn check_len(&self) -> WireResult<()> {
        WireError::check(TLV_HEADER_LEN, self.buffer.as_ref().len())?;
        for tlv in LldpTlvs::new(self.buffer.as_ref()) {
            tlv?;
        }
        Ok(())
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The TLVs.
    pub fn tlvs(&self) -> LldpTlvs<'_> {
        LldpTlvs::new(self.buffer.as_ref())
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for LldpPacket<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]>> fmt::Display for LldpPacket<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match LldpRepr::parse(&LldpPacket::new_unchecked(self.buffer.as_ref())) {
            Ok(repr) => write!(f, "{repr}"),
            Err(e) => write!(f, "LLDP ({e})"),
        }
    }
}

/// A chassis ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChassisId<'a> {
    /// What kind of identifier.
    pub subtype: ChassisIdSubtype,
    /// The identifier (1..=255 bytes).
    pub id: &'a [u8],
}

/// A port ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortId<'a> {
    /// What kind of identifier.
    pub subtype: PortIdSubtype,
    /// The identifier (1..=255 bytes).
    pub id: &'a [u8],
}

/// An organizationally specific TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrgTlv<'a> {
    /// Organizationally unique identifier.
    pub oui: [u8; 3],
    /// Organisation-defined subtype.
    pub subtype: u8,
    /// Information string (0..=507 bytes).
    pub info: &'a [u8],
}

/// System capabilities (IEEE 802.1AB-2016 §8.5.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Capabilities {
    /// Capabilities the system has (bit 2 bridge, bit 4 router, ...).
    pub system: u16,
    /// Capabilities enabled.
    pub enabled: u16,
}

/// The organizationally specific TLVs of an LLDPDU: a slice when building one, or the TLVs of
/// a parsed one (read lazily, so parsing allocates nothing). Two lists are equal when they
/// hold the same TLVs in the same order.
#[derive(Clone, Copy)]
pub enum OrgTlvList<'a> {
    /// TLVs given by the caller.
    Slice(&'a [OrgTlv<'a>]),
    /// The (already validated) TLVs of a parsed LLDPDU; other TLV types are skipped.
    Tlvs(&'a [u8]),
}

impl<'a> OrgTlvList<'a> {
    /// The TLVs in order.
    pub fn iter(&self) -> impl Iterator<Item = OrgTlv<'a>> + 'a {
        let (slice, raw): (&'a [OrgTlv<'a>], &'a [u8]) = match *self {
            OrgTlvList::Slice(s) => (s, &[]),
            OrgTlvList::Tlvs(t) => (&[], t),
        };
        slice.iter().copied().chain(
            LldpTlvs::new(raw)
                .filter_map(Result::ok)
                .filter(|t| t.tlv_type() == TlvType::OrganizationallySpecific && t.value_len() >= 4)
                .map(|t| OrgTlv {
                    oui: t.oui(),
                    subtype: t.org_subtype(),
                    info: t.org_info(),
                }),
        )
    }

    /// Number of TLVs.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl PartialEq for OrgTlvList<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for OrgTlvList<'_> {}

impl fmt::Debug for OrgTlvList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The content of an LLDPDU. Management address TLVs and TLV types not named here are
/// skipped; of the optional TLVs the first of each type is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LldpRepr<'a> {
    /// Chassis ID.
    pub chassis_id: ChassisId<'a>,
    /// Port ID.
    pub port_id: PortId<'a>,
    /// Seconds the information stays valid (0: forget this sender now).
    pub ttl: u16,
    /// Port description.
    pub port_description: Option<&'a [u8]>,
    /// System name (FAUCET: the DP name).
    pub system_name: Option<&'a [u8]>,
    /// System description.
    pub system_description: Option<&'a [u8]>,
    /// System capabilities.
    pub capabilities: Option<Capabilities>,
    /// Organizationally specific TLVs.
    pub org_tlvs: OrgTlvList<'a>,
}

/// Splits the next TLV of `value_len` bytes off `out` and writes its header.
fn take_tlv<'b>(out: &mut &'b mut [u8], ty: TlvType, value_len: usize) -> LldpTlv<&'b mut [u8]> {
    assert!(
        value_len <= MAX_VALUE_LEN,
        "LLDP {ty} TLV of {value_len} bytes"
    );
    let (head, tail) = std::mem::take(out).split_at_mut(TLV_HEADER_LEN + value_len);
    *out = tail;
    let mut tlv = LldpTlv::new_unchecked(head);
    tlv.set_type_len(ty, value_len);
    tlv
}

fn check_id_len(tlv: &LldpTlv<&[u8]>, what: &'static str) -> WireResult<()> {
    if (2..=256).contains(&tlv.value_len()) {
        Ok(())
    } else {
        Err(WireError::Malformed(what))
    }
}

impl<'a> LldpRepr<'a> {
    /// A minimal LLDPDU: chassis ID, port ID and TTL.
    pub const fn new(chassis_id: ChassisId<'a>, port_id: PortId<'a>, ttl: u16) -> LldpRepr<'a> {
        LldpRepr {
            chassis_id,
            port_id,
            ttl,
            port_description: None,
            system_name: None,
            system_description: None,
            capabilities: None,
            org_tlvs: OrgTlvList::Slice(&[]),
        }
    }

    /// Reads an LLDPDU (IEEE 802.1AB-2016 §9.2.7.7.1: chassis ID, port ID and TTL first and
    /// only once; §8.5: descriptions and the system name at most 255 bytes, as os-ken, which
    /// FAUCET uses, also insists).
    ///
    /// # Errors
    /// [`WireError::Truncated`] if a TLV runs past the end (a packet-in cut short);
    /// [`WireError::Malformed`] naming the rule broken otherwise.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &LldpPacket<&'a T>) -> WireResult<LldpRepr<'a>> {
        let bytes: &'a [u8] = packet.buffer.as_ref();
        let mut tlvs = LldpTlvs::new(bytes);
        let mut next = |want: TlvType, what: &'static str| -> WireResult<LldpTlv<&'a [u8]>> {
            match tlvs.next() {
                Some(Ok(t)) if t.tlv_type() == want => Ok(t),
                Some(Err(e)) => Err(e),
                None => Err(WireError::Truncated {
                    need: bytes.len() + TLV_HEADER_LEN,
                    have: bytes.len(),
                }),
                Some(Ok(_)) => Err(WireError::Malformed(what)),
            }
        };
        let chassis = next(
            TlvType::ChassisId,
            "LLDPDU does not start with a chassis ID",
        )?;
        check_id_len(&chassis, "LLDP chassis ID length not in 2..=256")?;
        let port = next(TlvType::PortId, "LLDP port ID is not the second TLV")?;
        check_id_len(&port, "LLDP port ID length not in 2..=256")?;
        let ttl = next(TlvType::Ttl, "LLDP TTL is not the third TLV")?;
        if ttl.value_len() != 2 {
            return Err(WireError::Malformed("LLDP TTL length is not 2"));
        }
        let optional: &'a [u8] = tlvs.rest;
        let mut repr = LldpRepr::new(
            ChassisId {
                subtype: chassis.id_subtype().into(),
                id: chassis.id(),
            },
            PortId {
                subtype: port.id_subtype().into(),
                id: port.id(),
            },
            ttl.ttl(),
        );
        repr.org_tlvs = OrgTlvList::Tlvs(optional);
        for tlv in tlvs {
            let tlv = tlv?;
            let ty = tlv.tlv_type();
            if matches!(
                ty,
                TlvType::PortDescription | TlvType::SystemName | TlvType::SystemDescription
            ) && tlv.value_len() > 255
            {
                return Err(WireError::Malformed("LLDP text TLV longer than 255 bytes"));
            }
            match ty {
                TlvType::ChassisId | TlvType::PortId | TlvType::Ttl => {
                    return Err(WireError::Malformed("LLDP repeats a mandatory TLV"));
                }
                TlvType::PortDescription => {
                    repr.port_description.get_or_insert(tlv.value());
                }
                TlvType::SystemName => {
                    repr.system_name.get_or_insert(tlv.value());
                }
                TlvType::SystemDescription => {
                    repr.system_description.get_or_insert(tlv.value());
                }
                TlvType::SystemCapabilities => {
                    if tlv.value_len() != 4 {
                        return Err(WireError::Malformed(
                            "LLDP system capabilities length is not 4",
                        ));
                    }
                    let (system, enabled) = tlv.capabilities();
                    repr.capabilities
                        .get_or_insert(Capabilities { system, enabled });
                }
                TlvType::OrganizationallySpecific if tlv.value_len() < 4 => {
                    return Err(WireError::Malformed(
                        "LLDP organizationally specific TLV shorter than 4",
                    ));
                }
                _ => {}
            }
        }
        Ok(repr)
    }

    /// Length of the LLDPDU this emits (End TLV included).
    pub fn buffer_len(&self) -> usize {
        let text = |t: Option<&[u8]>| t.map_or(0, |t| TLV_HEADER_LEN + t.len());
        (TLV_HEADER_LEN + 1 + self.chassis_id.id.len())
            + (TLV_HEADER_LEN + 1 + self.port_id.id.len())
            + (TLV_HEADER_LEN + 2)
            + text(self.system_name)
            + text(self.port_description)
            + text(self.system_description)
            + self.capabilities.map_or(0, |_| TLV_HEADER_LEN + 4)
            + self
                .org_tlvs
                .iter()
                .map(|o| TLV_HEADER_LEN + 4 + o.info.len())
                .sum::<usize>()
            + TLV_HEADER_LEN
    }

    /// Writes the LLDPDU in FAUCET's TLV order: chassis ID, port ID, TTL, system name, port
    /// description, system description, capabilities, organizationally specific, End.
    ///
    /// # Panics
    /// If the buffer is shorter than [`buffer_len`](Self::buffer_len), or a value is longer
    /// than its TLV allows (255 bytes for IDs and texts, 507 for org-specific info).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut LldpPacket<T>) {
        let mut out: &mut [u8] = packet.buffer.as_mut();
        let c = &self.chassis_id;
        let p = &self.port_id;
        for (ty, subtype, id) in [
            (TlvType::ChassisId, u8::from(c.subtype), c.id),
            (TlvType::PortId, u8::from(p.subtype), p.id),
        ] {
            assert!(
                !id.is_empty() && id.len() <= 255,
                "LLDP {ty} of {} bytes",
                id.len()
            );
            let mut t = take_tlv(&mut out, ty, 1 + id.len());
            t.set_id_subtype(subtype);
            t.value_mut()[1..].copy_from_slice(id);
        }
        take_tlv(&mut out, TlvType::Ttl, 2).set_ttl(self.ttl);
        for (ty, text) in [
            (TlvType::SystemName, self.system_name),
            (TlvType::PortDescription, self.port_description),
            (TlvType::SystemDescription, self.system_description),
        ] {
            if let Some(text) = text {
                assert!(text.len() <= 255, "LLDP {ty} of {} bytes", text.len());
                take_tlv(&mut out, ty, text.len())
                    .value_mut()
                    .copy_from_slice(text);
            }
        }
        if let Some(cap) = self.capabilities {
            take_tlv(&mut out, TlvType::SystemCapabilities, 4)
                .set_capabilities(cap.system, cap.enabled);
        }
        for org in self.org_tlvs.iter() {
            let mut t = take_tlv(
                &mut out,
                TlvType::OrganizationallySpecific,
                4 + org.info.len(),
            );
            t.set_oui(org.oui);
            t.set_org_subtype(org.subtype);
            t.value_mut()[4..].copy_from_slice(org.info);
        }
        take_tlv(&mut out, TlvType::End, 0);
    }

    /// FAUCET's view of this LLDPDU, when it carries TLVs with the OUI of `faucet_dp_mac`
    /// (`valve_packet.parse_faucet_lldp`): `None` when it has none, as FAUCET then ignores it.
    pub fn faucet(&self, faucet_dp_mac: MacAddr) -> Option<FaucetLldp<'a>> {
        let oui = faucet_dp_mac.oui();
        let mut found = false;
        let mut out = FaucetLldp {
            dp_id: None,
            dp_name: self.system_name.and_then(|n| std::str::from_utf8(n).ok()),
            port: parse_decimal(self.port_id.id).and_then(|n| u32::try_from(n).ok()),
            stack_state: None,
        };
        for org in self.org_tlvs.iter().filter(|o| o.oui == oui) {
            found = true;
            match org.subtype {
                FAUCET_DP_ID_SUBTYPE if out.dp_id.is_none() => {
                    out.dp_id = parse_decimal(org.info).and_then(|n| u64::try_from(n).ok());
                }
                FAUCET_STACK_STATE_SUBTYPE if out.stack_state.is_none() => {
                    out.stack_state = parse_decimal(org.info).and_then(|n| i64::try_from(n).ok());
                }
                _ => {}
            }
        }
        found.then_some(out)
    }
}

/// What FAUCET reads from a peer's LLDP beacon on a stack port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaucetLldp<'a> {
    /// The peer's DP id (org-specific subtype 1).
    pub dp_id: Option<u64>,
    /// The peer's DP name (the system name, if UTF-8).
    pub dp_name: Option<&'a str>,
    /// The peer's port number (the port ID, as decimal text).
    pub port: Option<u32>,
    /// The peer's stack port state (org-specific subtype 2).
    pub stack_state: Option<i64>,
}

/// Reads decimal text the way Python's `int(bytes)` does for FAUCET's values: optional ASCII
/// whitespace around, an optional sign, then digits.
fn parse_decimal(text: &[u8]) -> Option<i128> {
    let s = std::str::from_utf8(text).ok()?.trim_ascii();
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || digits.len() > 30 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A small stack buffer holding a number as decimal text (FAUCET's TLV values), so building
/// a beacon's TLVs needs no allocation.
#[derive(Clone, Copy)]
pub struct Decimal {
    buf: [u8; 21],
    start: u8,
}

impl Decimal {
    /// `n` as decimal text.
    pub fn new(n: u64) -> Decimal {
        Self::digits(n, false)
    }

    /// `n` as decimal text, with a `-` if negative.
    pub fn signed(n: i64) -> Decimal {
        Self::digits(n.unsigned_abs(), n < 0)
    }

    fn digits(mut n: u64, minus: bool) -> Decimal {
        let mut buf = [0u8; 21];
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if minus {
            i -= 1;
            buf[i] = b'-';
        }
        Decimal {
            buf,
            start: i as u8,
        }
    }

    /// The text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[usize::from(self.start)..]
    }
}

fn text(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    f.write_str("\"")?;
    for chunk in bytes.utf8_chunks() {
        write!(f, "{}", chunk.valid().escape_debug())?;
        for b in chunk.invalid() {
            write!(f, "\\x{b:02x}")?;
        }
    }
    f.write_str("\"")
}

fn id(f: &mut fmt::Formatter<'_>, mac_subtype: bool, id: &[u8]) -> fmt::Result {
    match id {
        [a, b, c, d, e, g] if mac_subtype => write!(f, "{}", MacAddr([*a, *b, *c, *d, *e, *g])),
        _ => text(f, id),
    }
}

impl fmt::Display for LldpRepr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LLDP chassis={}:", self.chassis_id.subtype)?;
        id(
            f,
            self.chassis_id.subtype == ChassisIdSubtype::MacAddress,
            self.chassis_id.id,
        )?;
        write!(f, " port={}:", self.port_id.subtype)?;
        id(
            f,
            self.port_id.subtype == PortIdSubtype::MacAddress,
            self.port_id.id,
        )?;
        write!(f, " ttl={}", self.ttl)?;
        for (name, t) in [
            ("system_name", self.system_name),
            ("port_description", self.port_description),
            ("system_description", self.system_description),
        ] {
            if let Some(t) = t {
                write!(f, " {name}=")?;
                text(f, t)?;
            }
        }
        if let Some(c) = self.capabilities {
            write!(f, " capabilities={:#06x}/{:#06x}", c.system, c.enabled)?;
        }
        for o in self.org_tlvs.iter() {
            write!(
                f,
                " org={:02x}{:02x}{:02x}/{}:",
                o.oui[0], o.oui[1], o.oui[2], o.subtype
            )?;
            text(f, o.info)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // lldpd 1.0.16 in a Linux namespace (`lldpd -S 'sluice test host'`), captured on the
    // veth peer: the LLDPDU after the Ethernet header. Chassis and port ID are MAC
    // addresses; it has a management address and two IEEE 802.3 org-specific TLVs.
    static LLDPD_BYTES: [u8; 97] = [
        0x02, 0x07, 0x04, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x04, 0x07, 0x03, 0x0e, 0x00, 0x00,
        0x00, 0x00, 0x0a, 0x06, 0x02, 0x00, 0x78, 0x0a, 0x02, 0x76, 0x6d, 0x0c, 0x10, 0x73, 0x6c,
        0x75, 0x69, 0x63, 0x65, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x68, 0x6f, 0x73, 0x74, 0x0e,
        0x04, 0x00, 0x9c, 0x00, 0x80, 0x10, 0x0c, 0x05, 0x01, 0x0a, 0x01, 0x00, 0x01, 0x02, 0x00,
        0x00, 0x00, 0x02, 0x00, 0x08, 0x07, 0x73, 0x77, 0x69, 0x72, 0x65, 0x76, 0x61, 0xfe, 0x09,
        0x00, 0x12, 0x0f, 0x03, 0x01, 0x00, 0x00, 0x00, 0x00, 0xfe, 0x09, 0x00, 0x12, 0x0f, 0x01,
        0x00, 0x80, 0x00, 0x00, 0x36, 0x00, 0x00,
    ];

    // FAUCET's beacon on stack port 3 of DP "sw1" (dp_id 1, faucet_dp_mac 0e:00:00:00:00:01,
    // TTL 15, port description "b3", stack state 3), from valve_packet.lldp_beacon with
    // os-ken; the LLDPDU up to its End TLV (os-ken pads the frame to 60 bytes after it).
    static FAUCET_LLDPDU_BYTES: [u8; 42] = [
        0x02, 0x07, 0x04, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x04, 0x02, 0x05, 0x33, 0x06, 0x02,
        0x00, 0x0f, 0x0a, 0x03, 0x73, 0x77, 0x31, 0x08, 0x02, 0x62, 0x33, 0xfe, 0x05, 0x0e, 0x00,
        0x00, 0x01, 0x31, 0xfe, 0x05, 0x0e, 0x00, 0x00, 0x02, 0x33, 0x00, 0x00,
    ];

    const FAUCET_MAC: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 1]);

    fn faucet_org() -> [OrgTlv<'static>; 2] {
        [
            OrgTlv {
                oui: [0x0e, 0, 0],
                subtype: FAUCET_DP_ID_SUBTYPE,
                info: b"1",
            },
            OrgTlv {
                oui: [0x0e, 0, 0],
                subtype: FAUCET_STACK_STATE_SUBTYPE,
                info: b"3",
            },
        ]
    }

    fn faucet_repr<'a>(org: &'a [OrgTlv<'static>]) -> LldpRepr<'a> {
        LldpRepr {
            system_name: Some(b"sw1"),
            port_description: Some(b"b3"),
            org_tlvs: OrgTlvList::Slice(org),
            ..LldpRepr::new(
                ChassisId {
                    subtype: ChassisIdSubtype::MacAddress,
                    id: &FAUCET_MAC.0,
                },
                PortId {
                    subtype: PortIdSubtype::InterfaceName,
                    id: b"3",
                },
                15,
            )
        }
    }

    #[test]
    fn deconstruct() {
        let p = LldpPacket::new_checked(&LLDPD_BYTES[..]).unwrap();
        let tlvs: Vec<_> = p.tlvs().map(Result::unwrap).collect();
        let types: Vec<_> = tlvs.iter().map(|t| u8::from(t.tlv_type())).collect();
        assert_eq!(types, [1, 2, 3, 5, 6, 7, 8, 4, 127, 127, 0]);
        assert_eq!(tlvs[0].id_subtype(), 4);
        assert_eq!(tlvs[0].id(), &[0x0e, 0, 0, 0, 0, 0x0a]);
        assert_eq!(tlvs[1].id_subtype(), 3);
        assert_eq!(tlvs[2].ttl(), 120);
        assert_eq!(tlvs[3].value(), b"vm");
        assert_eq!(tlvs[4].value(), b"sluice test host");
        assert_eq!(tlvs[5].capabilities(), (0x009c, 0x0080));
        assert_eq!(tlvs[6].value_len(), 12);
        assert_eq!(tlvs[7].value(), b"swireva");
        assert_eq!(tlvs[8].oui(), [0x00, 0x12, 0x0f]);
        assert_eq!(tlvs[8].org_subtype(), 3);
        assert_eq!(tlvs[8].org_info(), &[1, 0, 0, 0, 0]);
        assert_eq!(tlvs[10].total_len(), 2);
        assert_eq!(
            p.to_string(),
            "LLDP chassis=mac:0e:00:00:00:00:0a port=mac:0e:00:00:00:00:0a ttl=120 \
             system_name=\"vm\" port_description=\"swireva\" \
             system_description=\"sluice test host\" capabilities=0x009c/0x0080 \
             org=00120f/3:\"\\u{1}\\0\\0\\0\\0\" org=00120f/1:\"\\0\\u{80}\\0\\06\""
                .replace("\\u{80}", "\\x80")
        );
    }

    #[test]
    fn construct() {
        let mut bytes = [0xa5u8; 42];
        let mut rest = &mut bytes[..];
        let mut tlv = |ty: TlvType, value: &[u8]| {
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(2 + value.len());
            let mut t = LldpTlv::new_unchecked(head);
            t.set_type_len(ty, value.len());
            t.value_mut().copy_from_slice(value);
            rest = tail;
        };
        tlv(TlvType::ChassisId, &[4, 0x0e, 0, 0, 0, 0, 1]);
        tlv(TlvType::PortId, &[5, b'3']);
        tlv(TlvType::Ttl, &[0, 15]);
        tlv(TlvType::SystemName, b"sw1");
        tlv(TlvType::PortDescription, b"b3");
        tlv(TlvType::OrganizationallySpecific, &[0x0e, 0, 0, 1, b'1']);
        tlv(TlvType::OrganizationallySpecific, &[0x0e, 0, 0, 2, b'3']);
        tlv(TlvType::End, &[]);
        assert_eq!(bytes, FAUCET_LLDPDU_BYTES);

        // The typed setters.
        let mut b = [0xa5u8; 9];
        let mut t = LldpTlv::new_unchecked(&mut b[..]);
        t.set_type_len(TlvType::OrganizationallySpecific, 5);
        t.set_oui([0x0e, 0, 0]);
        t.set_org_subtype(1);
        t.value_mut()[4] = b'1';
        assert_eq!(b[..7], FAUCET_LLDPDU_BYTES[26..33]);
    }

    #[test]
    fn parse() {
        let org = faucet_org();
        let p = LldpPacket::new_checked(&FAUCET_LLDPDU_BYTES[..]).unwrap();
        let repr = LldpRepr::parse(&p).unwrap();
        assert_eq!(repr, faucet_repr(&org));
        assert_eq!(
            repr.faucet(FAUCET_MAC),
            Some(FaucetLldp {
                dp_id: Some(1),
                dp_name: Some("sw1"),
                port: Some(3),
                stack_state: Some(3),
            })
        );
        // Another OUI: not FAUCET's.
        assert_eq!(repr.faucet(MacAddr([0x0a, 0, 0, 0, 0, 1])), None);

        let lldpd = LldpRepr::parse(&LldpPacket::new_unchecked(&LLDPD_BYTES[..])).unwrap();
        assert_eq!(lldpd.chassis_id.subtype, ChassisIdSubtype::MacAddress);
        assert_eq!(lldpd.port_id.subtype, PortIdSubtype::MacAddress);
        assert_eq!(lldpd.ttl, 120);
        assert_eq!(lldpd.system_name, Some(&b"vm"[..]));
        assert_eq!(lldpd.port_description, Some(&b"swireva"[..]));
        assert_eq!(lldpd.system_description, Some(&b"sluice test host"[..]));
        assert_eq!(
            lldpd.capabilities,
            Some(Capabilities {
                system: 0x9c,
                enabled: 0x80
            })
        );
        assert_eq!(lldpd.org_tlvs.len(), 2);
        assert_eq!(lldpd.faucet(FAUCET_MAC), None);
    }

    #[test]
    fn emit() {
        let org = faucet_org();
        let repr = faucet_repr(&org);
        assert_eq!(repr.buffer_len(), 42);
        let mut bytes = [0xa5u8; 42];
        repr.emit(&mut LldpPacket::new_unchecked(&mut bytes[..]));
        assert_eq!(bytes, FAUCET_LLDPDU_BYTES);
    }

    #[test]
    fn bad_lldpdus() {
        fn parse(b: &[u8]) -> WireResult<LldpRepr<'_>> {
            LldpRepr::parse(&LldpPacket::new_unchecked(b))
        }
        // Cut inside the system description (a packet-in with a small max_len).
        assert_eq!(
            parse(&LLDPD_BYTES[..30]),
            Err(WireError::Truncated { need: 44, have: 30 })
        );
        // Cut right after the chassis ID.
        assert_eq!(
            parse(&LLDPD_BYTES[..9]),
            Err(WireError::Truncated { need: 11, have: 9 })
        );
        assert_eq!(
            parse(&FAUCET_LLDPDU_BYTES[9..]),
            Err(WireError::Malformed(
                "LLDPDU does not start with a chassis ID"
            ))
        );
        let mut b = FAUCET_LLDPDU_BYTES;
        b[16] = 0x0f;
        b[15] = 0;
        b[14] = 3; // TTL TLV of length 3 swallows a byte
        assert!(parse(&b).is_err());
        let mut twice = FAUCET_LLDPDU_BYTES[..17].to_vec();
        twice.extend_from_slice(&FAUCET_LLDPDU_BYTES[13..17]);
        assert_eq!(
            parse(&twice),
            Err(WireError::Malformed("LLDP repeats a mandatory TLV"))
        );
        let short_org = [
            2, 7, 4, 0, 0, 0, 0, 0, 1, 4, 2, 5, 0x33, 6, 2, 0, 1, 0xfe, 3, 1, 2, 3,
        ];
        assert_eq!(
            parse(&short_org),
            Err(WireError::Malformed(
                "LLDP organizationally specific TLV shorter than 4"
            ))
        );
        // Found by fuzzing: a 256-byte port description cannot be sent again.
        let mut long = FAUCET_LLDPDU_BYTES[..17].to_vec();
        long.extend_from_slice(&[0x09, 0x00]);
        long.extend_from_slice(&[b'x'; 256]);
        assert_eq!(
            parse(&long),
            Err(WireError::Malformed("LLDP text TLV longer than 255 bytes"))
        );
        assert_eq!(parse_decimal(b" -12 "), Some(-12));
        assert_eq!(parse_decimal(b"0x3"), None);
        assert_eq!(parse_decimal(b""), None);
        assert_eq!(Decimal::new(0).as_bytes(), b"0");
        assert_eq!(Decimal::new(u64::MAX).as_bytes(), b"18446744073709551615");
        assert_eq!(
            Decimal::signed(i64::MIN).as_bytes(),
            b"-9223372036854775808"
        );
        assert_eq!(Decimal::signed(-1).as_bytes(), b"-1");
    }
}
