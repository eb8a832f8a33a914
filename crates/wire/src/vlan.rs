//! IEEE 802.1Q VLAN tags (C-tags, TPID 0x8100) and IEEE 802.1ad service tags (S-tags, TPID
//! 0x88a8), possibly stacked ("QinQ": an S-tag, then a C-tag).
//!
//! IEEE 802.1Q-2018 §9.6 (VLAN tag format). The tag sits where the EtherType was; its first two
//! bytes (the TPID) are the EtherType that announced it, so a [`VlanPacket`] starts at the tag
//! control information and ends with the EtherType of what follows:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | (TPID 0x8100 / 0x88a8: the Ethernet header's EtherType field) |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | PCP |D|        VID            |     EtherType (inner)         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  TCI: PCP = priority code point (3 bits), D = drop eligible (1), VID = VLAN id (12)
//! ```

use std::fmt;

use crate::error::{WireError, WireResult};
use crate::ethernet::EtherType;
use crate::field::{read_u16, write_u16};

mod field {
    use crate::field::{Field, Rest};

    pub const TCI: Field = 0..2;
    pub const ETHERTYPE: Field = 2..4;
    pub const PAYLOAD: Rest = 4..;
}

/// Length of a VLAN tag after its TPID (the TCI and the inner EtherType).
pub const HEADER_LEN: usize = field::PAYLOAD.start;

/// A 12-bit VLAN identifier (0 means "priority tag only", 4095 is reserved; both are still
/// representable, because they occur on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct VlanId(u16);

impl VlanId {
    /// The largest VLAN id value.
    pub const MAX: u16 = 0x0fff;

    /// A VLAN id, or `None` if `vid` does not fit in 12 bits.
    pub const fn new(vid: u16) -> Option<VlanId> {
        if vid <= Self::MAX {
            Some(VlanId(vid))
        } else {
            None
        }
    }

    /// The low 12 bits of `raw` (as read from a TCI).
    pub const fn from_tci(raw: u16) -> VlanId {
        VlanId(raw & Self::MAX)
    }

    /// The number.
    pub const fn get(&self) -> u16 {
        self.0
    }
}

impl fmt::Display for VlanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A read/write view of a VLAN tag (from the TCI on; see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VlanPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> VlanPacket<T> {
    /// Wraps a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> VlanPacket<T> {
        VlanPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    ///
    /// # Errors
    /// [`WireError::Truncated`] if the tag does not fit.
    pub fn new_checked(buffer: T) -> WireResult<VlanPacket<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that the tag fits, so no accessor panics.
    ///
    /// # Errors
    /// [`WireError::Truncated`] if the buffer is shorter than 4 bytes.
    pub fn check_len(&self) -> WireResult<()> {
        WireError::check(HEADER_LEN, self.buffer.as_ref().len())
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The tag control information (PCP, DEI, VID).
    #[inline]
    pub fn tci(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::TCI)
    }

    /// Priority code point (0..=7).
    #[inline]
    pub fn pcp(&self) -> u8 {
        (self.tci() >> 13) as u8
    }

    /// Drop eligible indicator.
    #[inline]
    pub fn dei(&self) -> bool {
        self.tci() & 0x1000 != 0
    }

    /// VLAN id.
    #[inline]
    pub fn vid(&self) -> VlanId {
        VlanId::from_tci(self.tci())
    }

    /// EtherType of what follows the tag (another TPID if tags are stacked).
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        read_u16(self.buffer.as_ref(), field::ETHERTYPE).into()
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> VlanPacket<&'a T> {
    /// The bytes after the tag.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::PAYLOAD]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> VlanPacket<T> {
    /// Sets the whole TCI.
    pub fn set_tci(&mut self, tci: u16) {
        write_u16(self.buffer.as_mut(), field::TCI, tci);
    }

    /// Sets the priority code point (low 3 bits of `pcp`).
    pub fn set_pcp(&mut self, pcp: u8) {
        let tci = (self.tci() & 0x1fff) | (u16::from(pcp & 0x7) << 13);
        self.set_tci(tci);
    }

    /// Sets the drop eligible indicator.
    pub fn set_dei(&mut self, dei: bool) {
        let tci = (self.tci() & !0x1000) | if dei { 0x1000 } else { 0 };
        self.set_tci(tci);
    }

    /// Sets the VLAN id.
    pub fn set_vid(&mut self, vid: VlanId) {
        let tci = (self.tci() & 0xf000) | vid.get();
        self.set_tci(tci);
    }

    /// Sets the EtherType of what follows.
    pub fn set_ethertype(&mut self, ty: EtherType) {
        write_u16(self.buffer.as_mut(), field::ETHERTYPE, ty.into());
    }

    /// The bytes after the tag, for writing.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for VlanPacket<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]>> fmt::Display for VlanPacket<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match VlanRepr::parse(self) {
            Ok(repr) => write!(f, "{repr}"),
            Err(e) => write!(f, "VLAN ({e})"),
        }
    }
}

/// The content of a VLAN tag (after its TPID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VlanRepr {
    /// Priority code point (0..=7).
    pub pcp: u8,
    /// Drop eligible indicator.
    pub dei: bool,
    /// VLAN id.
    pub vid: VlanId,
    /// EtherType of what follows.
    pub ethertype: EtherType,
}

impl VlanRepr {
    /// A tag with priority 0 for `vid`, followed by `ethertype`.
    pub const fn new(vid: VlanId, ethertype: EtherType) -> VlanRepr {
        VlanRepr {
            pcp: 0,
            dei: false,
            vid,
            ethertype,
        }
    }

    /// Reads a tag.
    ///
    /// # Errors
    /// [`WireError::Truncated`] if the tag does not fit.
    pub fn parse<T: AsRef<[u8]>>(packet: &VlanPacket<T>) -> WireResult<VlanRepr> {
        packet.check_len()?;
        Ok(VlanRepr {
            pcp: packet.pcp(),
            dei: packet.dei(),
            vid: packet.vid(),
            ethertype: packet.ethertype(),
        })
    }

    /// Length of the tag this emits (without the TPID).
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the tag.
    ///
    /// # Panics
    /// If the buffer is shorter than [`buffer_len`](Self::buffer_len).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut VlanPacket<T>) {
        packet.set_tci(
            (u16::from(self.pcp & 0x7) << 13) | if self.dei { 0x1000 } else { 0 } | self.vid.get(),
        );
        packet.set_ethertype(self.ethertype);
    }
}

impl fmt::Display for VlanRepr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VLAN vid={} pcp={}", self.vid, self.pcp)?;
        if self.dei {
            f.write_str(" dei")?;
        }
        write!(f, " type={}", self.ethertype)
    }
}

/// One tag of a frame, with the TPID that announced it (as [`PacketMeta`](crate::PacketMeta)
/// reports them). Four bytes, kept as read, so the hot path copies two words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VlanTag {
    tpid: u16,
    tci: u16,
}

impl VlanTag {
    const EMPTY: VlanTag = VlanTag { tpid: 0, tci: 0 };

    /// The tag with TPID `tpid` and TCI `tci`.
    #[inline]
    pub fn from_tci(tpid: EtherType, tci: u16) -> VlanTag {
        VlanTag {
            tpid: tpid.into(),
            tci,
        }
    }

    /// A tag from its raw TPID and TCI.
    #[inline]
    pub const fn from_raw(tpid: u16, tci: u16) -> VlanTag {
        VlanTag { tpid, tci }
    }

    /// The tag protocol identifier: [`EtherType::Vlan`] for a C-tag, [`EtherType::QinQ`] for
    /// an S-tag.
    #[inline]
    pub fn tpid(&self) -> EtherType {
        self.tpid.into()
    }

    /// The tag control information.
    #[inline]
    pub const fn tci(&self) -> u16 {
        self.tci
    }

    /// Priority code point.
    #[inline]
    pub const fn pcp(&self) -> u8 {
        (self.tci >> 13) as u8
    }

    /// Drop eligible indicator.
    #[inline]
    pub const fn dei(&self) -> bool {
        self.tci & 0x1000 != 0
    }

    /// VLAN id.
    #[inline]
    pub const fn vid(&self) -> VlanId {
        VlanId::from_tci(self.tci)
    }
}

impl fmt::Display for VlanTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} vid={} pcp={}", self.tpid(), self.vid(), self.pcp())?;
        if self.dei() {
            f.write_str(" dei")?;
        }
        Ok(())
    }
}

/// The VLAN tags of a frame, outermost first: none, one, or two (QinQ). No allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VlanStack {
    tags: [VlanTag; VlanStack::MAX],
    len: u8,
}

impl VlanStack {
    /// How many tags a stack holds. A frame with more is reported with the tags that fit and
    /// the next TPID as its EtherType.
    pub const MAX: usize = 2;

    /// No tags.
    pub const EMPTY: VlanStack = VlanStack {
        tags: [VlanTag::EMPTY; VlanStack::MAX],
        len: 0,
    };

    /// One tag.
    #[inline]
    pub const fn one(tag: VlanTag) -> VlanStack {
        VlanStack {
            tags: [tag, VlanTag::EMPTY],
            len: 1,
        }
    }

    /// Two tags, outermost first.
    #[inline]
    pub const fn two(outer: VlanTag, inner: VlanTag) -> VlanStack {
        VlanStack {
            tags: [outer, inner],
            len: 2,
        }
    }

    /// A stack of the given tags, outermost first; `None` if there are more than
    /// [`MAX`](Self::MAX).
    pub fn from_tags(tags: &[VlanTag]) -> Option<VlanStack> {
        let mut s = VlanStack::EMPTY;
        for t in tags {
            if !s.push(*t) {
                return None;
            }
        }
        Some(s)
    }

    /// Adds an inner tag; false if the stack is full.
    #[inline]
    pub(crate) fn push(&mut self, tag: VlanTag) -> bool {
        match self.tags.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = tag;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// The tags, outermost first.
    #[inline]
    pub fn as_slice(&self) -> &[VlanTag] {
        &self.tags[..usize::from(self.len).min(Self::MAX)]
    }

    /// Number of tags.
    #[inline]
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the frame was untagged.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The outermost tag (the one a switch port matches with `vlan_vid`).
    #[inline]
    pub fn outer(&self) -> Option<&VlanTag> {
        self.as_slice().first()
    }

    /// The innermost tag.
    #[inline]
    pub fn inner(&self) -> Option<&VlanTag> {
        self.as_slice().last()
    }

    /// The tags, outermost first.
    pub fn iter(&self) -> std::slice::Iter<'_, VlanTag> {
        self.as_slice().iter()
    }
}

impl Default for VlanStack {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl fmt::Debug for VlanStack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl<'a> IntoIterator for &'a VlanStack {
    type Item = &'a VlanTag;
    type IntoIter = std::slice::Iter<'a, VlanTag>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The tag of an ICMP echo request from a namespace behind an Open vSwitch access port
    // (tag=100), captured on the trunk: bytes 14.. of the frame, TCI then inner EtherType
    // (the first 4 bytes of the IPv4 header follow).
    static TAG_BYTES: [u8; 8] = [0x00, 0x64, 0x08, 0x00, 0x45, 0x00, 0x00, 0x2c];

    // The same tag with PCP 5 and DEI set, as a construct/emit target.
    static TAG_PRIO_BYTES: [u8; 4] = [0xb0, 0x64, 0x08, 0x00];

    fn vid(v: u16) -> VlanId {
        VlanId::new(v).unwrap()
    }

    #[test]
    fn deconstruct() {
        let p = VlanPacket::new_checked(&TAG_BYTES[..]).unwrap();
        assert_eq!(p.tci(), 100);
        assert_eq!(p.pcp(), 0);
        assert!(!p.dei());
        assert_eq!(p.vid(), vid(100));
        assert_eq!(p.ethertype(), EtherType::Ipv4);
        assert_eq!(p.payload(), &TAG_BYTES[4..]);
        assert_eq!(p.to_string(), "VLAN vid=100 pcp=0 type=IPv4");
        let p = VlanPacket::new_checked(&TAG_PRIO_BYTES[..]).unwrap();
        assert_eq!((p.pcp(), p.dei(), p.vid()), (5, true, vid(100)));
    }

    #[test]
    fn construct() {
        let mut bytes = [0xa5u8; 4];
        let mut p = VlanPacket::new_unchecked(&mut bytes);
        p.set_tci(0);
        p.set_pcp(5);
        p.set_dei(true);
        p.set_vid(vid(100));
        p.set_ethertype(EtherType::Ipv4);
        assert_eq!(bytes, TAG_PRIO_BYTES);
    }

    #[test]
    fn parse() {
        let p = VlanPacket::new_unchecked(&TAG_BYTES[..]);
        assert_eq!(
            VlanRepr::parse(&p),
            Ok(VlanRepr::new(vid(100), EtherType::Ipv4))
        );
    }

    #[test]
    fn emit() {
        let mut bytes = [0xa5u8; 4];
        let repr = VlanRepr {
            pcp: 5,
            dei: true,
            vid: vid(100),
            ethertype: EtherType::Ipv4,
        };
        repr.emit(&mut VlanPacket::new_unchecked(&mut bytes));
        assert_eq!(bytes, TAG_PRIO_BYTES);
        assert_eq!(repr.buffer_len(), 4);
    }

    #[test]
    fn vlan_ids_and_stack() {
        assert_eq!(VlanId::new(4095).map(|v| v.get()), Some(4095));
        assert_eq!(VlanId::new(4096), None);
        assert_eq!(VlanId::from_tci(0xf064), vid(100));
        assert_eq!(
            VlanPacket::new_checked(&TAG_BYTES[..3]),
            Err(WireError::Truncated { need: 4, have: 3 })
        );

        let s_tag = VlanTag::from_tci(EtherType::QinQ, 200);
        let c_tag = VlanTag::from_tci(EtherType::Vlan, 100);
        let stack = VlanStack::from_tags(&[s_tag, c_tag]).unwrap();
        assert_eq!(stack.len(), 2);
        assert_eq!(stack.outer(), Some(&s_tag));
        assert_eq!(stack.inner(), Some(&c_tag));
        assert_eq!(stack.iter().count(), 2);
        assert!(VlanStack::from_tags(&[s_tag, c_tag, c_tag]).is_none());
        assert!(VlanStack::EMPTY.is_empty());
        assert_eq!(VlanStack::EMPTY.outer(), None);
        assert_eq!(s_tag.to_string(), "802.1ad vid=200 pcp=0");
    }
}
