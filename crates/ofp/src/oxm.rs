//! Flow matches: OXM TLVs and `struct ofp_match` (OpenFlow 1.3.5 §7.2.3).
//!
//! ```text
//! OXM header (32 bits):
//! |   oxm_class (16)   | oxm_field (7) | HM (1) |  oxm_length (8)  |   value [mask]
//!
//! struct ofp_match:
//! | type = OFPMT_OXM (16) | length (16, excludes padding) | OXM TLVs ... | pad to 8 |
//! ```
//!
//! Every OpenFlow-basic field (class 0x8000, fields 0..=39) has a typed variant in
//! [`OxmField`]; anything else (other classes, experimenter fields, a mask on a field that
//! cannot be masked, a wrong length) is kept whole as [`RawOxm`], so a switch's message is never
//! refused for a field we do not know.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::Bytes;
use sluice_wire::MacAddr;
use smallvec::SmallVec;

use crate::codec::{Put, Reader, put_padding, round_up};
use crate::error::DecodeError;
use crate::msg::error::BadMatchCode;
use crate::port::PortNo;

/// The OXM class of the OpenFlow-basic fields.
pub const OFPXMC_OPENFLOW_BASIC: u16 = 0x8000;
/// The OXM class of experimenter fields (a 32-bit experimenter id follows the header).
pub const OFPXMC_EXPERIMENTER: u16 = 0xffff;

/// `OFPVID_PRESENT`: the bit of a `vlan_vid` value that says a VLAN tag is present.
pub const OFPVID_PRESENT: u16 = 0x1000;
/// `OFPVID_NONE`: the `vlan_vid` value that matches packets without a VLAN tag.
pub const OFPVID_NONE: u16 = 0x0000;

/// A field value as it sits on the wire: big-endian, `len` bytes.
trait OxmValue: Copy {
    /// Reads a value from exactly its wire length of bytes.
    fn get(b: &[u8]) -> Self;
    /// Appends the value's low `len` bytes.
    fn put<B: Put>(self, len: usize, buf: &mut B);
    /// Prints the value (`hex` for fields that read better in hex).
    fn show(&self, hex: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

macro_rules! int_value {
    ($($t:ty),+) => {$(
        impl OxmValue for $t {
            fn get(b: &[u8]) -> Self {
                b.iter().fold(0, |acc: $t, x| acc.wrapping_shl(8) | <$t>::from(*x))
            }
            fn put<B: Put>(self, len: usize, buf: &mut B) {
                let b = self.to_be_bytes();
                buf.put_slice(&b[b.len() - len..]);
            }
            fn show(&self, hex: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if hex { write!(f, "{:#x}", self) } else { write!(f, "{}", self) }
            }
        }
    )+};
}
int_value!(u8, u16, u32, u64);

impl OxmValue for PortNo {
    fn get(b: &[u8]) -> Self {
        PortNo(u32::get(b))
    }
    fn put<B: Put>(self, len: usize, buf: &mut B) {
        self.0.put(len, buf)
    }
    fn show(&self, _hex: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl OxmValue for MacAddr {
    fn get(b: &[u8]) -> Self {
        let mut m = [0u8; 6];
        m.copy_from_slice(b);
        MacAddr(m)
    }
    fn put<B: Put>(self, _len: usize, buf: &mut B) {
        buf.put_slice(&self.0)
    }
    fn show(&self, _hex: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl OxmValue for Ipv4Addr {
    fn get(b: &[u8]) -> Self {
        Ipv4Addr::from(u32::get(b))
    }
    fn put<B: Put>(self, _len: usize, buf: &mut B) {
        buf.put_slice(&self.octets())
    }
    fn show(&self, _hex: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl OxmValue for Ipv6Addr {
    fn get(b: &[u8]) -> Self {
        let mut a = [0u8; 16];
        a.copy_from_slice(b);
        Ipv6Addr::from(a)
    }
    fn put<B: Put>(self, _len: usize, buf: &mut B) {
        buf.put_slice(&self.octets())
    }
    fn show(&self, _hex: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// Declares the OpenFlow-basic fields. `exact` fields cannot be masked; `masked` fields
/// carry an optional mask. Each line: variant = field number, text name, value type, wire
/// length in bytes, print in hex.
macro_rules! oxm_fields {
    (
        exact { $( $(#[$em:meta])* $ev:ident = $en:literal, $ename:literal, $et:ty, $elen:literal, $ehex:literal; )+ }
        masked { $( $(#[$mm:meta])* $mv:ident = $mn:literal, $mname:literal, $mt:ty, $mlen:literal, $mhex:literal; )+ }
    ) => {
        /// The kind of an OpenFlow-basic field, without its value (`enum oxm_ofb_match_fields`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub enum OxmKind {
            $( $(#[$em])* $ev, )+
            $( $(#[$mm])* $mv, )+
        }

        impl OxmKind {
            /// Every basic field kind.
            pub const ALL: &'static [OxmKind] = &[$(OxmKind::$ev,)+ $(OxmKind::$mv,)+];

            /// The kind with this `oxm_field` number, in class `OFPXMC_OPENFLOW_BASIC`.
            pub fn from_field(n: u8) -> Option<OxmKind> {
                match n {
                    $( $en => Some(OxmKind::$ev), )+
                    $( $mn => Some(OxmKind::$mv), )+
                    _ => None,
                }
            }

            /// The `oxm_field` number.
            pub fn field(self) -> u8 {
                match self {
                    $( OxmKind::$ev => $en, )+
                    $( OxmKind::$mv => $mn, )+
                }
            }

            /// The field's name in the text form (Ryu's and FAUCET's ACL names).
            pub fn name(self) -> &'static str {
                match self {
                    $( OxmKind::$ev => $ename, )+
                    $( OxmKind::$mv => $mname, )+
                }
            }

            /// The kind with this text name.
            pub fn from_name(name: &str) -> Option<OxmKind> {
                match name {
                    $( $ename => Some(OxmKind::$ev), )+
                    $( $mname => Some(OxmKind::$mv), )+
                    _ => None,
                }
            }

            /// Length of the value on the wire, in bytes.
            pub fn value_len(self) -> usize {
                match self {
                    $( OxmKind::$ev => $elen, )+
                    $( OxmKind::$mv => $mlen, )+
                }
            }

            /// Whether the specification allows a mask on this field.
            pub fn maskable(self) -> bool {
                match self {
                    $( OxmKind::$ev => false, )+
                    $( OxmKind::$mv => true, )+
                }
            }

            /// The 32-bit OXM header of this field.
            pub fn header(self, has_mask: bool) -> u32 {
                let len = self.value_len() * if has_mask { 2 } else { 1 };
                (u32::from(OFPXMC_OPENFLOW_BASIC) << 16)
                    | (u32::from(self.field()) << 9)
                    | (u32::from(has_mask) << 8)
                    | len as u32
            }

        }

        /// One match field or set-field value.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum OxmField {
            $( $(#[$em])* $ev($et), )+
            $( $(#[$mm])* $mv($mt, Option<$mt>), )+
            /// A field of another class, an experimenter field, or a basic field in a shape
            /// the specification does not allow, kept as received.
            Other(RawOxm),
        }

        impl OxmField {
            /// The field's kind, or `None` for [`OxmField::Other`].
            pub fn kind(&self) -> Option<OxmKind> {
                match self {
                    $( OxmField::$ev(..) => Some(OxmKind::$ev), )+
                    $( OxmField::$mv(..) => Some(OxmKind::$mv), )+
                    OxmField::Other(_) => None,
                }
            }

            /// Whether the field has a mask.
            pub fn has_mask(&self) -> bool {
                match self {
                    $( OxmField::$ev(..) => false, )+
                    $( OxmField::$mv(_, m) => m.is_some(), )+
                    OxmField::Other(r) => r.has_mask,
                }
            }

            /// Builds a typed field from its kind and raw value (and mask) bytes, which must
            /// have the kind's wire length.
            fn from_parts(kind: OxmKind, value: &[u8], mask: Option<&[u8]>) -> OxmField {
                match kind {
                    $( OxmKind::$ev => OxmField::$ev(<$et>::get(value)), )+
                    $( OxmKind::$mv => OxmField::$mv(<$mt>::get(value), mask.map(<$mt>::get)), )+
                }
            }

            /// Encoded length, header included.
            pub fn encoded_len(&self) -> usize {
                match self {
                    OxmField::Other(r) => 4 + r.payload.len(),
                    f => {
                        let k = f.kind().expect("typed field has a kind");
                        4 + k.value_len() * if f.has_mask() { 2 } else { 1 }
                    }
                }
            }

            /// Appends the TLV.
            pub(crate) fn encode<B: Put>(&self, buf: &mut B) {
                match self {
                    $( OxmField::$ev(v) => {
                        buf.put_u32(OxmKind::$ev.header(false));
                        v.put($elen, buf);
                    } )+
                    $( OxmField::$mv(v, m) => {
                        buf.put_u32(OxmKind::$mv.header(m.is_some()));
                        v.put($mlen, buf);
                        if let Some(m) = m {
                            m.put($mlen, buf);
                        }
                    } )+
                    OxmField::Other(r) => {
                        buf.put_u16(r.class);
                        buf.put_u8((r.field << 1) | u8::from(r.has_mask));
                        // RawOxm payloads come from a one-byte length or from the
                        // constructor, which bounds them to 255 bytes.
                        buf.put_u8(r.payload.len().min(255) as u8);
                        buf.put_slice(&r.payload[..r.payload.len().min(255)]);
                    }
                }
            }

            fn show(&self, f: &mut fmt::Formatter<'_>, sep: &str) -> fmt::Result {
                if let OxmField::VlanVid(v, m) = self {
                    write!(f, "vlan_vid{sep}")?;
                    return show_vlan_vid(*v, *m, f);
                }
                match self {
                    $( OxmField::$ev(v) => {
                        write!(f, "{}{sep}", $ename)?;
                        v.show($ehex, f)
                    } )+
                    $( OxmField::$mv(v, m) => {
                        write!(f, "{}{sep}", $mname)?;
                        v.show($mhex, f)?;
                        if let Some(m) = m {
                            f.write_str("/")?;
                            m.show(true, f)?;
                        }
                        Ok(())
                    } )+
                    OxmField::Other(r) => write!(f, "{r}"),
                }
            }

            /// Whether any value bit is set where the mask is clear (`OFPBMC_BAD_WILDCARDS`).
            fn value_outside_mask(&self) -> bool {
                let mut v: Vec<u8> = Vec::new();
                self.encode(&mut v);
                match self.kind() {
                    Some(k) if self.has_mask() => {
                        let n = k.value_len();
                        let (value, mask) = v[4..].split_at(n);
                        value.iter().zip(mask).any(|(a, b)| a & !b != 0)
                    }
                    _ => false,
                }
            }
        }
    };
}

oxm_fields! {
    exact {
        /// Switch input port.
        InPort = 0, "in_port", PortNo, 4, false;
        /// Switch physical input port.
        InPhyPort = 1, "in_phy_port", PortNo, 4, false;
        /// Ethernet frame type.
        EthType = 5, "eth_type", u16, 2, true;
        /// VLAN priority.
        VlanPcp = 7, "vlan_pcp", u8, 1, false;
        /// IP DSCP (6 bits in ToS field).
        IpDscp = 8, "ip_dscp", u8, 1, false;
        /// IP ECN (2 bits in ToS field).
        IpEcn = 9, "ip_ecn", u8, 1, false;
        /// IP protocol.
        IpProto = 10, "ip_proto", u8, 1, false;
        /// TCP source port.
        TcpSrc = 13, "tcp_src", u16, 2, false;
        /// TCP destination port.
        TcpDst = 14, "tcp_dst", u16, 2, false;
        /// UDP source port.
        UdpSrc = 15, "udp_src", u16, 2, false;
        /// UDP destination port.
        UdpDst = 16, "udp_dst", u16, 2, false;
        /// SCTP source port.
        SctpSrc = 17, "sctp_src", u16, 2, false;
        /// SCTP destination port.
        SctpDst = 18, "sctp_dst", u16, 2, false;
        /// ICMP type.
        Icmpv4Type = 19, "icmpv4_type", u8, 1, false;
        /// ICMP code.
        Icmpv4Code = 20, "icmpv4_code", u8, 1, false;
        /// ARP opcode.
        ArpOp = 21, "arp_op", u16, 2, false;
        /// ICMPv6 type.
        Icmpv6Type = 29, "icmpv6_type", u8, 1, false;
        /// ICMPv6 code.
        Icmpv6Code = 30, "icmpv6_code", u8, 1, false;
        /// Target address for neighbour discovery.
        Ipv6NdTarget = 31, "ipv6_nd_target", Ipv6Addr, 16, false;
        /// Source link-layer address for neighbour discovery.
        Ipv6NdSll = 32, "ipv6_nd_sll", MacAddr, 6, false;
        /// Target link-layer address for neighbour discovery.
        Ipv6NdTll = 33, "ipv6_nd_tll", MacAddr, 6, false;
        /// MPLS label (20 bits).
        MplsLabel = 34, "mpls_label", u32, 4, false;
        /// MPLS traffic class (3 bits).
        MplsTc = 35, "mpls_tc", u8, 1, false;
        /// MPLS bottom-of-stack bit.
        MplsBos = 36, "mpls_bos", u8, 1, false;
    }
    masked {
        /// Metadata passed between tables.
        Metadata = 2, "metadata", u64, 8, true;
        /// Ethernet destination address.
        EthDst = 3, "eth_dst", MacAddr, 6, false;
        /// Ethernet source address.
        EthSrc = 4, "eth_src", MacAddr, 6, false;
        /// VLAN id, with `OFPVID_PRESENT` (0x1000) set when a tag is present.
        VlanVid = 6, "vlan_vid", u16, 2, false;
        /// IPv4 source address.
        Ipv4Src = 11, "ipv4_src", Ipv4Addr, 4, false;
        /// IPv4 destination address.
        Ipv4Dst = 12, "ipv4_dst", Ipv4Addr, 4, false;
        /// ARP source IPv4 address.
        ArpSpa = 22, "arp_spa", Ipv4Addr, 4, false;
        /// ARP target IPv4 address.
        ArpTpa = 23, "arp_tpa", Ipv4Addr, 4, false;
        /// ARP source hardware address.
        ArpSha = 24, "arp_sha", MacAddr, 6, false;
        /// ARP target hardware address.
        ArpTha = 25, "arp_tha", MacAddr, 6, false;
        /// IPv6 source address.
        Ipv6Src = 26, "ipv6_src", Ipv6Addr, 16, false;
        /// IPv6 destination address.
        Ipv6Dst = 27, "ipv6_dst", Ipv6Addr, 16, false;
        /// IPv6 flow label (20 bits).
        Ipv6Flabel = 28, "ipv6_flabel", u32, 4, true;
        /// PBB I-SID (24 bits).
        PbbIsid = 37, "pbb_isid", u32, 3, true;
        /// Logical port metadata (tunnel id).
        TunnelId = 38, "tunnel_id", u64, 8, true;
        /// IPv6 extension header pseudo-field.
        Ipv6Exthdr = 39, "ipv6_exthdr", u16, 2, true;
    }
}

fn show_vlan_vid(v: u16, m: Option<u16>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match m {
        None if v == OFPVID_NONE => f.write_str("none"),
        None if v & OFPVID_PRESENT != 0 && v & !0x1fff == 0 => write!(f, "{}", v & 0x0fff),
        Some(OFPVID_PRESENT) if v == OFPVID_PRESENT => f.write_str("present"),
        None => write!(f, "{v:#06x}"),
        Some(m) => write!(f, "{v:#06x}/{m:#06x}"),
    }
}

/// An OXM TLV kept as received: a field of a class other than OpenFlow basic, an experimenter
/// field (its payload starts with the 32-bit experimenter id), or a basic field with a shape
/// the specification does not allow.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawOxm {
    /// `oxm_class`.
    pub class: u16,
    /// `oxm_field` (7 bits).
    pub field: u8,
    /// The HM bit.
    pub has_mask: bool,
    /// Everything after the header (`oxm_length` bytes, at most 255).
    pub payload: Bytes,
}

impl fmt::Display for RawOxm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "oxm({:#06x}:{}{})=",
            self.class,
            self.field,
            if self.has_mask { "/m" } else { "" }
        )?;
        crate::codec::fmt_hex(f, &self.payload)
    }
}

impl OxmField {
    /// Parses the TLV at the start of `b`; returns the field and the TLV's length.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if `b` is shorter than the header or the length it declares.
    pub fn parse(b: &[u8]) -> Result<(OxmField, usize), DecodeError> {
        const W: &str = "oxm field";
        let Some(h) = b.first_chunk::<4>() else {
            return Err(DecodeError::Truncated {
                what: W,
                need: 4,
                have: b.len(),
            });
        };
        let header = u32::from_be_bytes(*h);
        let class = (header >> 16) as u16;
        let field = ((header >> 9) & 0x7f) as u8;
        let has_mask = header & 0x100 != 0;
        let len = (header & 0xff) as usize;
        let Some(payload) = b.get(4..4 + len) else {
            return Err(DecodeError::Truncated {
                what: W,
                need: 4 + len,
                have: b.len(),
            });
        };
        if class == OFPXMC_OPENFLOW_BASIC
            && let Some(kind) = OxmKind::from_field(field)
        {
            let n = kind.value_len();
            if has_mask && kind.maskable() && len == 2 * n {
                return Ok((
                    OxmField::from_parts(kind, &payload[..n], Some(&payload[n..])),
                    4 + len,
                ));
            }
            if !has_mask && len == n {
                return Ok((OxmField::from_parts(kind, payload, None), 4 + len));
            }
        }
        let raw = RawOxm {
            class,
            field,
            has_mask,
            payload: Bytes::copy_from_slice(payload),
        };
        Ok((OxmField::Other(raw), 4 + len))
    }

    /// Decodes one TLV from a reader.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<OxmField, DecodeError> {
        let len = 4 + (r.clone().u32("oxm field")? & 0xff) as usize;
        Ok(OxmField::parse(r.slice("oxm field", len)?)?.0)
    }

    /// The field's text name (`oxm` for a raw field).
    pub fn name(&self) -> &'static str {
        self.kind().map_or("oxm", OxmKind::name)
    }
}

impl fmt::Display for OxmField {
    /// `name=value[/mask]`, as in a match.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.show(f, "=")
    }
}

/// Formats a field as a set-field action argument: `value->name`.
pub(crate) struct SetFieldText<'a>(pub &'a OxmField);

impl fmt::Display for SetFieldText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Print "name=value" into a string, then reorder to OVS's "value->name".
        let s = self.0.to_string();
        match s.split_once('=') {
            Some((name, value)) if self.0.kind().is_some() => write!(f, "{value}->{name}"),
            _ => f.write_str(&s),
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for OxmField {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        // Build the wire form and decode it, so every generated field is canonical.
        let mut buf: Vec<u8> = Vec::new();
        if u.ratio(9, 10)? {
            let kind: OxmKind = u.arbitrary()?;
            let has_mask = kind.maskable() && u.arbitrary()?;
            buf.put_u32(kind.header(has_mask));
            let n = kind.value_len() * if has_mask { 2 } else { 1 };
            buf.put_slice(u.bytes(n)?);
        } else {
            let mut class: u16 = u.arbitrary()?;
            if class == OFPXMC_OPENFLOW_BASIC {
                class = OFPXMC_EXPERIMENTER;
            }
            let field: u8 = u.int_in_range(0..=127)?;
            let has_mask: bool = u.arbitrary()?;
            let len: u8 = u.int_in_range(0..=32)?;
            buf.put_u16(class);
            buf.put_u8((field << 1) | u8::from(has_mask));
            buf.put_u8(len);
            buf.put_slice(u.bytes(usize::from(len))?);
        }
        OxmField::parse(&buf)
            .map(|(f, _)| f)
            .map_err(|_| arbitrary::Error::IncorrectFormat)
    }
}

/// The OXM TLVs of a match. Typical matches (up to 48 bytes of fields) stay inline.
type OxmBytes = SmallVec<[u8; 48]>;

impl Put for OxmBytes {
    #[inline(always)]
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    #[inline(always)]
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    #[inline(always)]
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    #[inline(always)]
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    #[inline(always)]
    fn put_slice(&mut self, s: &[u8]) {
        self.extend_from_slice(s);
    }
    #[inline(always)]
    fn put_bytes(&mut self, v: u8, n: usize) {
        self.resize(self.len() + n, v);
    }
}

/// A flow match (`struct ofp_match` with `type = OFPMT_OXM`): a list of fields, in order. An
/// empty match matches every packet.
///
/// The fields are kept in their wire form (validated OXM TLVs), so decoding and encoding a
/// match is a copy, two matches compare and hash as bytes, and [`Match::iter`] reads typed
/// fields on demand. Two matches with the same fields in a different order are different
/// values; build matches in one canonical order (by field number) to compare them.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Match {
    oxm: OxmBytes,
}

/// `OFPMT_OXM`, the only match type of OpenFlow 1.2 and later.
const OFPMT_OXM: u16 = 1;

/// A match that breaks a rule of §7.2.3 (as the switch would report it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchError {
    /// The `OFPET_BAD_MATCH` code a switch would send.
    pub code: BadMatchCode,
    /// The field at fault, when it is a basic field.
    pub field: Option<OxmKind>,
}

impl fmt::Display for MatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(k) => write!(f, "{} on field {}", self.code, k.name()),
            None => write!(f, "{}", self.code),
        }
    }
}

impl std::error::Error for MatchError {}

/// Iterator over the fields of a [`Match`].
pub struct MatchIter<'a> {
    rest: &'a [u8],
}

impl Iterator for MatchIter<'_> {
    type Item = OxmField;

    fn next(&mut self) -> Option<OxmField> {
        // The bytes were validated TLV by TLV when the match was built or decoded.
        let (field, len) = OxmField::parse(self.rest).ok()?;
        self.rest = &self.rest[len..];
        Some(field)
    }
}

impl Match {
    /// The empty match (matches everything).
    pub fn new() -> Self {
        Match::default()
    }

    /// A match of the given fields, in order.
    pub fn from_fields(fields: impl IntoIterator<Item = OxmField>) -> Self {
        let mut m = Match::new();
        for f in fields {
            m.push(f);
        }
        m
    }

    /// Appends a field.
    pub fn push(&mut self, field: OxmField) {
        field.encode(&mut self.oxm);
    }

    /// Appends a field (builder style).
    pub fn with(mut self, field: OxmField) -> Self {
        self.push(field);
        self
    }

    /// The fields, in order.
    pub fn iter(&self) -> MatchIter<'_> {
        MatchIter {
            rest: self.oxm_bytes(),
        }
    }

    /// The fields, in order, collected.
    pub fn fields(&self) -> Vec<OxmField> {
        self.iter().collect()
    }

    /// The same match in the one form a switch's flow dump and our compiler can agree on:
    /// the OpenFlow-basic fields sorted by field number (which also puts every prerequisite
    /// before the fields that need it), then fields of other classes (such as Open vSwitch's
    /// NXM fields, whose prerequisites are basic fields) by class and field; masks of all ones
    /// dropped (an exact match), and fields with a mask of all zeros dropped (they match
    /// everything).
    pub fn canonical(&self) -> Match {
        if self.is_canonical() {
            return self.clone();
        }
        let mut fields: Vec<(u64, OxmField)> = self
            .iter()
            .filter_map(|f| {
                let f = canonical_mask(f)?;
                let mut head: Vec<u8> = Vec::with_capacity(f.encoded_len());
                f.encode(&mut head);
                let header = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
                Some((order_key(header), f))
            })
            .collect();
        fields.sort_by_key(|(k, _)| *k);
        Match::from_fields(fields.into_iter().map(|(_, f)| f))
    }

    /// Whether the match is already in [`Match::canonical`] form (checked on the wire bytes,
    /// without allocating).
    pub fn is_canonical(&self) -> bool {
        let mut rest: &[u8] = &self.oxm;
        let mut last = None;
        while let Some(h) = rest.first_chunk::<4>() {
            let header = u32::from_be_bytes(*h);
            let len = (header & 0xff) as usize;
            let Some(payload) = rest.get(4..4 + len) else {
                return false;
            };
            let key = order_key(header);
            if last.is_some_and(|k| k > key) {
                return false;
            }
            last = Some(key);
            if header & 0x100 != 0 && (header >> 16) as u16 == OFPXMC_OPENFLOW_BASIC {
                let mask = &payload[len / 2..];
                if mask.iter().all(|b| *b == 0) || mask.iter().all(|b| *b == 0xff) {
                    return false;
                }
            }
            rest = &rest[4 + len..];
        }
        true
    }

    /// The first field of the given kind.
    pub fn get(&self, kind: OxmKind) -> Option<OxmField> {
        self.iter().find(|f| f.kind() == Some(kind))
    }

    /// The `in_port` value, if the match has one (without decoding the other fields).
    pub fn in_port(&self) -> Option<PortNo> {
        let at = self.value_at(OxmKind::InPort)?;
        let v = self.oxm.get(at..at + 4)?;
        Some(PortNo(u32::from_be_bytes([v[0], v[1], v[2], v[3]])))
    }

    /// Where the value of the first field of this kind starts in [`Match::oxm_bytes`] (just
    /// after its 4-byte OXM header), for code that writes values into an encoded match.
    pub fn value_at(&self, kind: OxmKind) -> Option<usize> {
        let want = u32::from(OFPXMC_OPENFLOW_BASIC) << 16 | u32::from(kind.field()) << 9;
        let mut at = 0;
        while let Some(h) = self.oxm.get(at..).and_then(|r| r.first_chunk::<4>()) {
            let header = u32::from_be_bytes(*h);
            if header & 0xffff_fe00 == want {
                return Some(at + 4);
            }
            at += 4 + (header & 0xff) as usize;
        }
        None
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether the match has no fields.
    pub fn is_empty(&self) -> bool {
        self.oxm_bytes().is_empty()
    }

    /// The OXM TLVs as they go on the wire.
    pub fn oxm_bytes(&self) -> &[u8] {
        &self.oxm
    }

    /// Encoded length including padding.
    pub fn encoded_len(&self) -> usize {
        round_up(4 + self.oxm.len(), 8)
    }

    /// Decodes `struct ofp_match` and its padding.
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Match, DecodeError> {
        const W: &str = "ofp_match";
        let start = r.offset();
        let head: [u8; 4] = r.clone().array(W)?;
        let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
        if u16::from_be_bytes([head[0], head[1]]) != OFPMT_OXM {
            return Err(DecodeError::Malformed {
                what: W,
                why: "match type is not OFPMT_OXM",
            });
        }
        if len < 4 {
            return Err(DecodeError::BadLength {
                what: W,
                len,
                offset: start,
            });
        }
        // Padding may be missing at the very end of a message; the fields may not.
        let padded = round_up(len, 8);
        if r.remaining() < len {
            return Err(DecodeError::Truncated {
                what: W,
                need: len,
                have: r.remaining(),
            });
        }
        let raw = r.slice(W, padded.min(r.remaining()))?;
        // Check that the TLVs tile the match exactly, so iteration never fails later.
        let mut rest = &raw[4..len];
        while let Some(h) = rest.first_chunk::<4>() {
            let n = 4 + usize::from(h[3]);
            rest = rest.get(n..).ok_or(DecodeError::Truncated {
                what: "oxm field",
                need: n,
                have: rest.len(),
            })?;
        }
        if !rest.is_empty() {
            return Err(DecodeError::Truncated {
                what: "oxm field",
                need: 4,
                have: rest.len(),
            });
        }
        Ok(Match {
            oxm: OxmBytes::from_slice(&raw[4..len]),
        })
    }

    /// Appends `struct ofp_match` and its padding.
    #[inline]
    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        let len = 4 + self.oxm.len();
        // An over-long match makes the whole message too long, and it is refused there.
        let len16 = u16::try_from(len).unwrap_or(u16::MAX);
        buf.put_u16(OFPMT_OXM);
        buf.put_u16(len16);
        buf.put_slice(&self.oxm);
        put_padding(buf, round_up(len, 8) - len);
    }

    /// Checks the rules a switch applies to a match (§7.2.3.6, §7.2.3.7): no field twice,
    /// each field's prerequisites earlier in the list, no value bits outside a mask, and
    /// basic fields in their allowed shape.
    ///
    /// # Errors
    /// The `OFPET_BAD_MATCH` code a switch would answer with, and the field at fault.
    pub fn check(&self) -> Result<(), MatchError> {
        let fields = self.fields();
        for (i, f) in fields.iter().enumerate() {
            let earlier = &fields[..i];
            let Some(kind) = f.kind() else {
                if let OxmField::Other(r) = f
                    && r.class == OFPXMC_OPENFLOW_BASIC
                {
                    let code = match OxmKind::from_field(r.field) {
                        None => BadMatchCode::BadField,
                        Some(k) if r.has_mask && !k.maskable() => BadMatchCode::BadMask,
                        Some(_) => BadMatchCode::BadLen,
                    };
                    return Err(MatchError {
                        code,
                        field: OxmKind::from_field(r.field),
                    });
                }
                continue;
            };
            let err = |code| {
                Err(MatchError {
                    code,
                    field: Some(kind),
                })
            };
            if earlier.iter().any(|s| s.kind() == Some(kind)) {
                return err(BadMatchCode::DupField);
            }
            if f.value_outside_mask() {
                return err(BadMatchCode::BadWildcards);
            }
            if !prerequisite_met(kind, earlier) {
                return err(BadMatchCode::BadPrereq);
            }
        }
        Ok(())
    }
}

/// Where a field with this OXM header goes in a canonical match: basic fields first, then
/// other classes; by class and field number, ignoring the mask bit and length.
fn order_key(header: u32) -> u64 {
    let other_class = (header >> 16) as u16 != OFPXMC_OPENFLOW_BASIC;
    (u64::from(other_class) << 32) | u64::from(header & 0xffff_fe00)
}

/// A field with a redundant mask normalised: an all-ones mask becomes an exact match, and a
/// field whose mask is all zeros (it matches everything) is dropped.
fn canonical_mask(f: OxmField) -> Option<OxmField> {
    let Some(kind) = f.kind() else { return Some(f) };
    if !f.has_mask() {
        return Some(f);
    }
    let mut wire: Vec<u8> = Vec::with_capacity(f.encoded_len());
    f.encode(&mut wire);
    let n = kind.value_len();
    let (value, mask) = wire[4..].split_at(n);
    if mask.iter().all(|b| *b == 0) {
        return None;
    }
    if mask.iter().all(|b| *b == 0xff) {
        return Some(OxmField::from_parts(kind, value, None));
    }
    Some(f)
}

impl fmt::Debug for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

const ETH_TYPE_IPV4: u16 = 0x0800;
const ETH_TYPE_ARP: u16 = 0x0806;
const ETH_TYPE_IPV6: u16 = 0x86dd;
const ETH_TYPE_MPLS: u16 = 0x8847;
const ETH_TYPE_MPLS_MC: u16 = 0x8848;
const ETH_TYPE_PBB: u16 = 0x88e7;

/// Whether `kind`'s prerequisite (§7.2.3.8, table 12) is among the `earlier` fields.
fn prerequisite_met(kind: OxmKind, earlier: &[OxmField]) -> bool {
    let eth_type = earlier.iter().find_map(|f| match f {
        OxmField::EthType(t) => Some(*t),
        _ => None,
    });
    let ip_proto = earlier.iter().find_map(|f| match f {
        OxmField::IpProto(p) => Some(*p),
        _ => None,
    });
    let icmpv6_type = earlier.iter().find_map(|f| match f {
        OxmField::Icmpv6Type(t) => Some(*t),
        _ => None,
    });
    let is_eth = |types: &[u16]| eth_type.is_some_and(|t| types.contains(&t));
    let is_ip = || is_eth(&[ETH_TYPE_IPV4, ETH_TYPE_IPV6]);
    use OxmKind as K;
    match kind {
        K::InPhyPort => earlier.iter().any(|f| f.kind() == Some(K::InPort)),
        K::VlanPcp => earlier.iter().any(|f| match f {
            OxmField::VlanVid(v, None) => *v != OFPVID_NONE,
            OxmField::VlanVid(v, Some(m)) => v & m & OFPVID_PRESENT != 0,
            _ => false,
        }),
        K::IpDscp | K::IpEcn | K::IpProto => is_ip(),
        K::Ipv4Src | K::Ipv4Dst => is_eth(&[ETH_TYPE_IPV4]),
        K::TcpSrc | K::TcpDst => ip_proto == Some(6) && is_ip(),
        K::UdpSrc | K::UdpDst => ip_proto == Some(17) && is_ip(),
        K::SctpSrc | K::SctpDst => ip_proto == Some(132) && is_ip(),
        K::Icmpv4Type | K::Icmpv4Code => ip_proto == Some(1) && is_eth(&[ETH_TYPE_IPV4]),
        K::ArpOp | K::ArpSpa | K::ArpTpa | K::ArpSha | K::ArpTha => is_eth(&[ETH_TYPE_ARP]),
        K::Ipv6Src | K::Ipv6Dst | K::Ipv6Flabel | K::Ipv6Exthdr => is_eth(&[ETH_TYPE_IPV6]),
        K::Icmpv6Type | K::Icmpv6Code => ip_proto == Some(58) && is_eth(&[ETH_TYPE_IPV6]),
        K::Ipv6NdTarget => matches!(icmpv6_type, Some(135 | 136)),
        K::Ipv6NdSll => icmpv6_type == Some(135),
        K::Ipv6NdTll => icmpv6_type == Some(136),
        K::MplsLabel | K::MplsTc | K::MplsBos => is_eth(&[ETH_TYPE_MPLS, ETH_TYPE_MPLS_MC]),
        K::PbbIsid => is_eth(&[ETH_TYPE_PBB]),
        K::InPort | K::Metadata | K::EthDst | K::EthSrc | K::EthType | K::VlanVid | K::TunnelId => {
            true
        }
    }
}

impl fmt::Display for Match {
    /// `field=value,field=value/mask`, or `any` for the empty match.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("any");
        }
        for (i, field) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{field}")?;
        }
        Ok(())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Match {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let fields: Vec<OxmField> = u.arbitrary()?;
        Ok(Match::from_fields(fields))
    }
}

/// An OXM header as listed in table-features properties (`OFPTFPT_MATCH` and friends): the
/// 32-bit header, and for experimenter fields the experimenter id that follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OxmId {
    /// The OXM header (class, field, HM bit, length).
    pub header: u32,
    /// The experimenter id, present exactly when the class is `OFPXMC_EXPERIMENTER`.
    pub experimenter: Option<u32>,
}

impl OxmId {
    /// The id of a basic field.
    pub fn basic(kind: OxmKind, has_mask: bool) -> Self {
        OxmId {
            header: kind.header(has_mask),
            experimenter: None,
        }
    }

    /// The basic field kind, if this is one.
    pub fn kind(&self) -> Option<OxmKind> {
        if (self.header >> 16) as u16 == OFPXMC_OPENFLOW_BASIC {
            OxmKind::from_field(((self.header >> 9) & 0x7f) as u8)
        } else {
            None
        }
    }

    /// Whether the HM bit is set.
    pub fn has_mask(&self) -> bool {
        self.header & 0x100 != 0
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let header = r.u32("oxm id")?;
        let experimenter = if (header >> 16) as u16 == OFPXMC_EXPERIMENTER {
            Some(r.u32("oxm id")?)
        } else {
            None
        };
        Ok(OxmId {
            header,
            experimenter,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u32(self.header);
        if let Some(e) = self.experimenter {
            buf.put_u32(e);
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for OxmId {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        // The experimenter id is present exactly when the class says so.
        let header: u32 = u.arbitrary()?;
        let experimenter = if (header >> 16) as u16 == OFPXMC_EXPERIMENTER {
            Some(u.arbitrary()?)
        } else {
            None
        };
        Ok(OxmId {
            header,
            experimenter,
        })
    }
}

impl fmt::Display for OxmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            Some(k) => write!(f, "{}{}", k.name(), if self.has_mask() { "/m" } else { "" }),
            None => match self.experimenter {
                Some(e) => write!(f, "oxm({:#010x},exp={e:#x})", self.header),
                None => write!(f, "oxm({:#010x})", self.header),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_one(bytes: &[u8]) -> OxmField {
        let b = Bytes::copy_from_slice(bytes);
        OxmField::decode(&mut Reader::new(&b)).unwrap()
    }

    #[test]
    fn basic_fields_round_trip_as_typed() {
        // in_port=1: class 0x8000, field 0, no mask, length 4.
        let f = decode_one(&[0x80, 0x00, 0x00, 0x04, 0, 0, 0, 1]);
        assert_eq!(f, OxmField::InPort(PortNo(1)));
        // vlan_vid=0x1064/0x1fff with mask.
        let f = decode_one(&[0x80, 0x00, 0x0d, 0x04, 0x10, 0x64, 0x1f, 0xff]);
        assert_eq!(f, OxmField::VlanVid(0x1064, Some(0x1fff)));
        // pbb_isid is 3 bytes.
        let f = decode_one(&[0x80, 0x00, 0x4a, 0x03, 1, 2, 3]);
        assert_eq!(f, OxmField::PbbIsid(0x010203, None));
        let mut out = Vec::new();
        f.encode(&mut out);
        assert_eq!(&out[..], &[0x80, 0x00, 0x4a, 0x03, 1, 2, 3]);
    }

    #[test]
    fn odd_shapes_are_kept_raw() {
        // in_port with a mask is not allowed; it is kept, not rejected.
        let bytes = [0x80, 0x00, 0x01, 0x08, 0, 0, 0, 1, 0, 0, 0, 1];
        let f = decode_one(&bytes);
        assert!(matches!(
            f,
            OxmField::Other(RawOxm {
                class: 0x8000,
                field: 0,
                has_mask: true,
                ..
            })
        ));
        let mut out = Vec::new();
        f.encode(&mut out);
        assert_eq!(&out[..], &bytes);
        // A Nicira register (class 0x0001).
        let f = decode_one(&[0x00, 0x01, 0x00, 0x04, 0, 0, 0, 7]);
        assert!(matches!(f, OxmField::Other(RawOxm { class: 1, .. })));
    }

    #[test]
    fn text_form() {
        let m = Match::from_fields([
            OxmField::InPort(PortNo(3)),
            OxmField::VlanVid(0x1064, None),
            OxmField::EthType(0x0800),
            OxmField::Ipv4Dst(
                Ipv4Addr::new(10, 0, 0, 0),
                Some(Ipv4Addr::new(255, 0, 0, 0)),
            ),
        ]);
        assert_eq!(
            m.to_string(),
            "in_port=3,vlan_vid=100,eth_type=0x800,ipv4_dst=10.0.0.0/255.0.0.0"
        );
        assert_eq!(Match::new().to_string(), "any");
        assert_eq!(OxmField::VlanVid(0, None).to_string(), "vlan_vid=none");
        assert_eq!(
            OxmField::VlanVid(0x1000, Some(0x1000)).to_string(),
            "vlan_vid=present"
        );
        assert_eq!(
            SetFieldText(&OxmField::VlanVid(0x1064, None)).to_string(),
            "100->vlan_vid"
        );
    }

    #[test]
    fn prerequisites_duplicates_and_wildcards() {
        let tcp = Match::from_fields([
            OxmField::EthType(0x0800),
            OxmField::IpProto(6),
            OxmField::TcpDst(22),
        ]);
        assert_eq!(tcp.check(), Ok(()));
        let no_proto = Match::from_fields([OxmField::EthType(0x0800), OxmField::TcpDst(22)]);
        assert_eq!(no_proto.check().unwrap_err().code, BadMatchCode::BadPrereq);
        let wrong_order = Match::from_fields([OxmField::IpProto(6), OxmField::EthType(0x0800)]);
        assert_eq!(
            wrong_order.check().unwrap_err().code,
            BadMatchCode::BadPrereq
        );
        let dup = Match::from_fields([OxmField::InPort(PortNo(1)), OxmField::InPort(PortNo(2))]);
        assert_eq!(dup.check().unwrap_err().code, BadMatchCode::DupField);
        let wild = Match::from_fields([OxmField::VlanVid(0x1064, Some(0x1000))]);
        assert_eq!(wild.check().unwrap_err().code, BadMatchCode::BadWildcards);
        let pcp = Match::from_fields([
            OxmField::VlanVid(0x1000, Some(0x1000)),
            OxmField::VlanPcp(3),
        ]);
        assert_eq!(pcp.check(), Ok(()));
        let pcp_untagged = Match::from_fields([OxmField::VlanVid(0, None), OxmField::VlanPcp(3)]);
        assert_eq!(
            pcp_untagged.check().unwrap_err().code,
            BadMatchCode::BadPrereq
        );
        let nd = Match::from_fields([
            OxmField::EthType(0x86dd),
            OxmField::IpProto(58),
            OxmField::Icmpv6Type(135),
            OxmField::Ipv6NdTarget(Ipv6Addr::LOCALHOST),
            OxmField::Ipv6NdSll(MacAddr([1, 2, 3, 4, 5, 6])),
        ]);
        assert_eq!(nd.check(), Ok(()));
    }

    #[test]
    fn canonical_form_sorts_and_drops_redundant_masks() {
        let m = Match::from_fields([
            OxmField::EthDst(MacAddr([1, 2, 3, 4, 5, 6]), Some(MacAddr::BROADCAST)),
            OxmField::VlanVid(0x1064, None),
            OxmField::EthSrc(MacAddr([1, 2, 3, 4, 5, 6]), Some(MacAddr::ZERO)),
            OxmField::InPort(PortNo(3)),
        ]);
        let want = Match::from_fields([
            OxmField::InPort(PortNo(3)),
            OxmField::EthDst(MacAddr([1, 2, 3, 4, 5, 6]), None),
            OxmField::VlanVid(0x1064, None),
        ]);
        assert!(!m.is_canonical());
        assert_eq!(m.canonical(), want);
        assert!(want.is_canonical());
        assert_eq!(want.canonical(), want);
    }

    #[test]
    fn match_padding() {
        let m = Match::from_fields([OxmField::InPort(PortNo(1))]);
        let mut out = Vec::new();
        m.encode(&mut out);
        // type 1, length 12 (4 + 8), then 4 bytes of padding.
        assert_eq!(
            &out[..],
            &[0, 1, 0, 12, 0x80, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0]
        );
        assert_eq!(m.encoded_len(), 16);
        let b = Bytes::from(out);
        let mut r = Reader::new(&b);
        assert_eq!(Match::decode(&mut r).unwrap(), m);
        assert!(r.is_empty());
    }
}
