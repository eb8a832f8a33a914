//! Matches in canonical form: each field as a (value, mask) pair of integers, sorted by field,
//! with masks cut to the field's meaningful bits and values cut to their masks. Two matches
//! that a switch treats as the same (fields in another order, an all-ones mask instead of no
//! mask) have the same canonical form, so identity ("identical match fields", OpenFlow 1.3.5
//! §6.4), strict and loose selection, and overlap are simple comparisons.

use std::fmt;

use sluice_ofp::msg::error::BadMatchCode;
use sluice_ofp::oxm::OFPXMC_OPENFLOW_BASIC;
use sluice_ofp::{Match, OfError, OxmKind};

use crate::packet::Packet;

/// One field of a canonical match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FieldMatch {
    pub(crate) kind: OxmKind,
    /// The value, already cut to `mask`.
    pub(crate) value: u128,
    /// The mask, cut to the field's meaningful bits; never zero.
    pub(crate) mask: u128,
}

/// A match in canonical form. Ordered (by field, then value and mask) so tables can be kept
/// in a deterministic order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FlowMatch(Vec<FieldMatch>);

/// The bits of a field that mean something; an exact match is a match with this mask.
pub(crate) fn field_bits(kind: OxmKind) -> u128 {
    use OxmKind as K;
    match kind {
        K::VlanVid => 0x1fff,
        K::VlanPcp | K::MplsTc => 0x7,
        K::IpDscp => 0x3f,
        K::IpEcn => 0x3,
        K::MplsBos => 0x1,
        K::Ipv6Flabel | K::MplsLabel => 0xf_ffff,
        K::PbbIsid => 0xff_ffff,
        K::Ipv6Exthdr => 0x1ff,
        k => {
            let bits = k.value_len() * 8;
            if bits >= 128 {
                u128::MAX
            } else {
                (1u128 << bits) - 1
            }
        }
    }
}

/// A big-endian integer of up to 16 bytes.
fn be(bytes: &[u8]) -> u128 {
    bytes.iter().fold(0, |acc, b| (acc << 8) | u128::from(*b))
}

/// One OXM TLV of a match's wire form.
pub(crate) struct Tlv<'a> {
    pub(crate) class: u16,
    pub(crate) field: u8,
    pub(crate) has_mask: bool,
    pub(crate) payload: &'a [u8],
}

/// The TLVs of OXM bytes (a [`Match`] has already checked that they tile exactly).
pub(crate) fn tlvs(mut rest: &[u8]) -> impl Iterator<Item = Tlv<'_>> {
    std::iter::from_fn(move || {
        let h = rest.first_chunk::<4>()?;
        let header = u32::from_be_bytes(*h);
        let len = (header & 0xff) as usize;
        let payload = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        Some(Tlv {
            class: (header >> 16) as u16,
            field: ((header >> 9) & 0x7f) as u8,
            has_mask: header & 0x100 != 0,
            payload,
        })
    })
}

impl FlowMatch {
    /// The canonical form of a match that passed [`Match::check`].
    ///
    /// # Errors
    /// `OFPBMC_BAD_FIELD` for a field this switch does not know (another OXM class, an
    /// experimenter field), `OFPBMC_BAD_VALUE` for a value with bits a field does not have
    /// (a 13-bit `vlan_vid` above 0x1fff, a DSCP above 63), as Open vSwitch answers.
    pub(crate) fn from_match(m: &Match) -> Result<FlowMatch, OfError> {
        let mut fields = Vec::new();
        for t in tlvs(m.oxm_bytes()) {
            let kind = (t.class == OFPXMC_OPENFLOW_BASIC)
                .then(|| OxmKind::from_field(t.field))
                .flatten()
                .ok_or(OfError::BadMatch(BadMatchCode::BadField))?;
            let n = kind.value_len();
            let bits = field_bits(kind);
            let (value, mask) = if t.has_mask && t.payload.len() == 2 * n {
                (be(&t.payload[..n]), be(&t.payload[n..]))
            } else if !t.has_mask && t.payload.len() == n {
                (be(t.payload), bits)
            } else {
                return Err(OfError::BadMatch(BadMatchCode::BadLen));
            };
            if value & !bits != 0 {
                return Err(OfError::BadMatch(BadMatchCode::BadValue));
            }
            let mask = mask & bits;
            if mask == 0 {
                // A zero mask matches everything: the field is wildcarded.
                continue;
            }
            fields.push(FieldMatch {
                kind,
                value: value & mask,
                mask,
            });
        }
        fields.sort();
        Ok(FlowMatch(fields))
    }

    /// The field of a kind.
    pub(crate) fn get(&self, kind: OxmKind) -> Option<&FieldMatch> {
        self.0.iter().find(|f| f.kind == kind)
    }

    /// Whether the match has no fields (matches every packet).
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a packet matches: every field is present in the packet (§7.2.3.8) and equal
    /// under the mask.
    pub(crate) fn matches(&self, p: &Packet) -> bool {
        self.0
            .iter()
            .all(|f| p.field(f.kind).is_some_and(|v| v & f.mask == f.value))
    }

    /// Whether `flow` is selected by this match as a loose (non-strict) modify or delete
    /// description (§6.4): the flow "matches or is more specific than" it, that is, every
    /// field of the description is in the flow with at least the description's mask bits and
    /// the same value under the description's mask.
    pub(crate) fn covers(&self, flow: &FlowMatch) -> bool {
        self.0.iter().all(|d| {
            flow.get(d.kind)
                .is_some_and(|f| f.mask & d.mask == d.mask && f.value & d.mask == d.value)
        })
    }

    /// Whether one packet could match both (used by `OFPFF_CHECK_OVERLAP`, §6.4): no field
    /// that both constrain has conflicting bits.
    pub(crate) fn overlaps(&self, other: &FlowMatch) -> bool {
        self.0.iter().all(|a| {
            other
                .get(a.kind)
                .is_none_or(|b| (a.value ^ b.value) & a.mask & b.mask == 0)
        })
    }
}

impl fmt::Display for FlowMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("any");
        }
        for (i, x) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if x.mask == field_bits(x.kind) {
                write!(f, "{}={:#x}", x.kind.name(), x.value)?;
            } else {
                write!(f, "{}={:#x}/{:#x}", x.kind.name(), x.value, x.mask)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sluice_ofp::oxm::RawOxm;
    use sluice_ofp::{OxmField, PortNo};
    use sluice_wire::MacAddr;

    use super::*;

    fn fm(fields: impl IntoIterator<Item = OxmField>) -> FlowMatch {
        FlowMatch::from_match(&Match::from_fields(fields)).unwrap()
    }

    #[test]
    fn canonical_form_ignores_order_and_full_masks() {
        let a = fm([OxmField::InPort(PortNo(1)), OxmField::VlanVid(0x1064, None)]);
        let b = fm([
            OxmField::VlanVid(0x1064, Some(0x1fff)),
            OxmField::InPort(PortNo(1)),
        ]);
        assert_eq!(a, b);
        // A zero mask is a wildcard.
        let c = fm([
            OxmField::InPort(PortNo(1)),
            OxmField::EthDst(MacAddr::ZERO, Some(MacAddr::ZERO)),
        ]);
        assert_eq!(c, fm([OxmField::InPort(PortNo(1))]));
    }

    #[test]
    fn bad_values_and_unknown_classes() {
        let m = Match::from_fields([OxmField::VlanVid(0x2000, None)]);
        assert_eq!(
            FlowMatch::from_match(&m),
            Err(OfError::BadMatch(BadMatchCode::BadValue))
        );
        let raw = Match::from_fields([OxmField::Other(RawOxm {
            class: 1,
            field: 0,
            has_mask: false,
            payload: bytes::Bytes::from_static(&[0, 0, 0, 7]),
        })]);
        assert_eq!(
            FlowMatch::from_match(&raw),
            Err(OfError::BadMatch(BadMatchCode::BadField))
        );
    }

    #[test]
    fn covers_and_overlaps() {
        let wide = fm([OxmField::VlanVid(0x1000, Some(0x1000))]);
        let narrow = fm([OxmField::InPort(PortNo(2)), OxmField::VlanVid(0x1064, None)]);
        assert!(wide.covers(&narrow));
        assert!(!narrow.covers(&wide));
        assert!(FlowMatch::default().covers(&narrow));
        assert!(wide.overlaps(&narrow));
        let untagged = fm([OxmField::VlanVid(0, None)]);
        assert!(!untagged.overlaps(&narrow));
        assert!(untagged.overlaps(&fm([OxmField::InPort(PortNo(2))])));
    }
}
