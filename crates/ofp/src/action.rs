//! Actions (OpenFlow 1.3.5 §7.2.5).
//!
//! ```text
//! struct ofp_action_header:  | type (16) | len (16, multiple of 8) | body ... |
//! OUTPUT:       | port (32) | max_len (16) | pad (6) |                      16 bytes
//! SET_FIELD:    | OXM TLV | pad to 8 |
//! EXPERIMENTER: | experimenter (32) | data |
//! others:       | one 16- or 32-bit argument or nothing | pad |              8 bytes
//! ```

use std::fmt;

use bytes::Bytes;

use crate::codec::{Fixed, LenPatch, Put, Reader, fmt_hex, pad_to_8};
use crate::error::DecodeError;
use crate::oxm::{OxmField, SetFieldText};
use crate::port::PortNo;

/// `OFPCML_NO_BUFFER`: send the whole packet to the controller, unbuffered.
pub const OFPCML_NO_BUFFER: u16 = 0xffff;

/// One action.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Action {
    /// `OFPAT_OUTPUT` (0): send out a port; `max_len` bytes go to the controller.
    Output {
        /// The port.
        port: PortNo,
        /// Bytes to send to the controller (`OFPCML_NO_BUFFER` for all).
        max_len: u16,
    },
    /// `OFPAT_COPY_TTL_OUT` (11).
    CopyTtlOut,
    /// `OFPAT_COPY_TTL_IN` (12).
    CopyTtlIn,
    /// `OFPAT_SET_MPLS_TTL` (15).
    SetMplsTtl(u8),
    /// `OFPAT_DEC_MPLS_TTL` (16).
    DecMplsTtl,
    /// `OFPAT_PUSH_VLAN` (17), with the tag's ethertype (0x8100 or 0x88a8).
    PushVlan(u16),
    /// `OFPAT_POP_VLAN` (18).
    PopVlan,
    /// `OFPAT_PUSH_MPLS` (19), with the ethertype.
    PushMpls(u16),
    /// `OFPAT_POP_MPLS` (20), with the ethertype of the payload.
    PopMpls(u16),
    /// `OFPAT_SET_QUEUE` (21).
    SetQueue(u32),
    /// `OFPAT_GROUP` (22).
    Group(u32),
    /// `OFPAT_SET_NW_TTL` (23).
    SetNwTtl(u8),
    /// `OFPAT_DEC_NW_TTL` (24).
    DecNwTtl,
    /// `OFPAT_SET_FIELD` (25).
    SetField(OxmField),
    /// `OFPAT_PUSH_PBB` (26), with the ethertype.
    PushPbb(u16),
    /// `OFPAT_POP_PBB` (27).
    PopPbb,
    /// `OFPAT_EXPERIMENTER` (0xffff), kept opaque.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// The body after the experimenter id (its length keeps the action a multiple of 8).
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes8))]
        data: Bytes,
    },
    /// An action type this codec does not name, kept as received.
    Unknown {
        /// The action type.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = arb_unknown_type))]
        action_type: u16,
        /// The body after the 4-byte header.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = arb_unknown_body))]
        body: Bytes,
    },
}

const OFPAT_OUTPUT: u16 = 0;
const OFPAT_COPY_TTL_OUT: u16 = 11;
const OFPAT_COPY_TTL_IN: u16 = 12;
const OFPAT_SET_MPLS_TTL: u16 = 15;
const OFPAT_DEC_MPLS_TTL: u16 = 16;
const OFPAT_PUSH_VLAN: u16 = 17;
const OFPAT_POP_VLAN: u16 = 18;
const OFPAT_PUSH_MPLS: u16 = 19;
const OFPAT_POP_MPLS: u16 = 20;
const OFPAT_SET_QUEUE: u16 = 21;
const OFPAT_GROUP: u16 = 22;
const OFPAT_SET_NW_TTL: u16 = 23;
const OFPAT_DEC_NW_TTL: u16 = 24;
const OFPAT_SET_FIELD: u16 = 25;
const OFPAT_PUSH_PBB: u16 = 26;
const OFPAT_POP_PBB: u16 = 27;
/// `OFPAT_EXPERIMENTER`.
pub const OFPAT_EXPERIMENTER: u16 = 0xffff;

/// Whether `t` is an action type this codec decodes into a typed variant.
#[cfg(feature = "arbitrary")]
fn is_known_type(t: u16) -> bool {
    matches!(t, 0 | 11 | 12 | 15..=27 | 0xffff)
}

#[cfg(feature = "arbitrary")]
fn arb_unknown_type(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<u16> {
    let t: u16 = u.arbitrary()?;
    Ok(if is_known_type(t) { 1 } else { t })
}

#[cfg(feature = "arbitrary")]
fn arb_unknown_body(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<Bytes> {
    // 4 bytes of header + body must be a multiple of 8.
    let mut v: Vec<u8> = u.arbitrary()?;
    v.truncate(v.len() / 8 * 8);
    v.extend_from_slice(&[0; 4]);
    Ok(Bytes::from(v))
}

impl Action {
    /// `output:port` with `max_len` set to send whole packets to the controller.
    pub fn output(port: impl Into<PortNo>) -> Action {
        Action::Output {
            port: port.into(),
            max_len: OFPCML_NO_BUFFER,
        }
    }

    /// The action type number.
    pub fn action_type(&self) -> u16 {
        match self {
            Action::Output { .. } => OFPAT_OUTPUT,
            Action::CopyTtlOut => OFPAT_COPY_TTL_OUT,
            Action::CopyTtlIn => OFPAT_COPY_TTL_IN,
            Action::SetMplsTtl(_) => OFPAT_SET_MPLS_TTL,
            Action::DecMplsTtl => OFPAT_DEC_MPLS_TTL,
            Action::PushVlan(_) => OFPAT_PUSH_VLAN,
            Action::PopVlan => OFPAT_POP_VLAN,
            Action::PushMpls(_) => OFPAT_PUSH_MPLS,
            Action::PopMpls(_) => OFPAT_POP_MPLS,
            Action::SetQueue(_) => OFPAT_SET_QUEUE,
            Action::Group(_) => OFPAT_GROUP,
            Action::SetNwTtl(_) => OFPAT_SET_NW_TTL,
            Action::DecNwTtl => OFPAT_DEC_NW_TTL,
            Action::SetField(_) => OFPAT_SET_FIELD,
            Action::PushPbb(_) => OFPAT_PUSH_PBB,
            Action::PopPbb => OFPAT_POP_PBB,
            Action::Experimenter { .. } => OFPAT_EXPERIMENTER,
            Action::Unknown { action_type, .. } => *action_type,
        }
    }

    /// Decodes one action.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Action, DecodeError> {
        const W: &str = "action";
        let (ty, len, mut b) = r.tlv(W, 8, 1)?;
        if len % 8 != 0 {
            return Err(DecodeError::BadLength {
                what: W,
                len,
                offset: r.offset() - len,
            });
        }
        let fixed = |want: usize| {
            if len == want {
                Ok(())
            } else {
                Err(DecodeError::BadLength {
                    what: W,
                    len,
                    offset: 0,
                })
            }
        };
        let a = match ty {
            OFPAT_OUTPUT => {
                fixed(16)?;
                Action::Output {
                    port: PortNo(b.u32(W)?),
                    max_len: b.u16(W)?,
                }
            }
            OFPAT_COPY_TTL_OUT => Action::CopyTtlOut,
            OFPAT_COPY_TTL_IN => Action::CopyTtlIn,
            OFPAT_SET_MPLS_TTL => Action::SetMplsTtl(b.u8(W)?),
            OFPAT_DEC_MPLS_TTL => Action::DecMplsTtl,
            OFPAT_PUSH_VLAN => Action::PushVlan(b.u16(W)?),
            OFPAT_POP_VLAN => Action::PopVlan,
            OFPAT_PUSH_MPLS => Action::PushMpls(b.u16(W)?),
            OFPAT_POP_MPLS => Action::PopMpls(b.u16(W)?),
            OFPAT_SET_QUEUE => Action::SetQueue(b.u32(W)?),
            OFPAT_GROUP => Action::Group(b.u32(W)?),
            OFPAT_SET_NW_TTL => Action::SetNwTtl(b.u8(W)?),
            OFPAT_DEC_NW_TTL => Action::DecNwTtl,
            OFPAT_SET_FIELD => Action::SetField(OxmField::decode(&mut b)?),
            OFPAT_PUSH_PBB => Action::PushPbb(b.u16(W)?),
            OFPAT_POP_PBB => Action::PopPbb,
            OFPAT_EXPERIMENTER => Action::Experimenter {
                experimenter: b.u32(W)?,
                data: b.rest(),
            },
            _ => {
                return Ok(Action::Unknown {
                    action_type: ty,
                    body: b.rest(),
                });
            }
        };
        // Every fixed-size action other than OUTPUT is 8 bytes; SET_FIELD and EXPERIMENTER
        // are variable.
        if !matches!(ty, OFPAT_OUTPUT | OFPAT_SET_FIELD | OFPAT_EXPERIMENTER) {
            fixed(8)?;
        }
        Ok(a)
    }

    /// Appends the action.
    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        // Fixed-size actions are built on the stack and written in one copy.
        let mut a = Fixed::<8>::new();
        match self {
            Action::Output { port, max_len } => {
                Fixed::<16>::new()
                    .u16(0, OFPAT_OUTPUT)
                    .u16(2, 16)
                    .u32(4, port.0)
                    .u16(8, *max_len)
                    .put(buf);
                return;
            }
            Action::CopyTtlOut
            | Action::CopyTtlIn
            | Action::DecMplsTtl
            | Action::PopVlan
            | Action::DecNwTtl
            | Action::PopPbb => {}
            Action::SetMplsTtl(v) | Action::SetNwTtl(v) => {
                a.u8(4, *v);
            }
            Action::PushVlan(e) | Action::PushMpls(e) | Action::PopMpls(e) | Action::PushPbb(e) => {
                a.u16(4, *e);
            }
            Action::SetQueue(v) | Action::Group(v) => {
                a.u32(4, *v);
            }
            Action::SetField(_) | Action::Experimenter { .. } | Action::Unknown { .. } => {
                return self.encode_variable(buf);
            }
        }
        a.u16(0, self.action_type()).u16(2, 8).put(buf);
    }

    /// Appends an action whose length depends on its content.
    fn encode_variable(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        let len = LenPatch::new(start, 2);
        Fixed::<4>::new().u16(0, self.action_type()).put(buf);
        match self {
            Action::SetField(f) => {
                f.encode(buf);
                pad_to_8(buf, start);
            }
            Action::Experimenter { experimenter, data } => {
                buf.put_u32(*experimenter);
                buf.put_slice(data);
                pad_to_8(buf, start);
            }
            Action::Unknown { body, .. } => buf.put_slice(body),
            _ => {}
        }
        len.finish(buf);
    }

    /// Encoded length in bytes.
    pub fn encoded_len(&self) -> usize {
        match self {
            Action::Output { .. } => 16,
            Action::SetField(f) => crate::codec::round_up(4 + f.encoded_len(), 8),
            Action::Experimenter { data, .. } => crate::codec::round_up(8 + data.len(), 8),
            Action::Unknown { body, .. } => 4 + body.len(),
            _ => 8,
        }
    }
}

/// Decodes actions until the reader is empty.
pub(crate) fn decode_actions(mut r: Reader<'_>) -> Result<Vec<Action>, DecodeError> {
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(Action::decode(&mut r)?);
    }
    Ok(out)
}

/// Appends a list of actions.
pub(crate) fn encode_actions(actions: &[Action], buf: &mut Vec<u8>) {
    for a in actions {
        a.encode(buf);
    }
}

impl fmt::Display for Action {
    /// The ovs-ofctl spelling: `output:1`, `push_vlan:0x8100`, `set_field:100->vlan_vid`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Output { port, max_len } if *port == PortNo::CONTROLLER => {
                write!(f, "output:CONTROLLER:{max_len}")
            }
            Action::Output { port, .. } => write!(f, "output:{port}"),
            Action::CopyTtlOut => f.write_str("copy_ttl_out"),
            Action::CopyTtlIn => f.write_str("copy_ttl_in"),
            Action::SetMplsTtl(v) => write!(f, "set_mpls_ttl:{v}"),
            Action::DecMplsTtl => f.write_str("dec_mpls_ttl"),
            Action::PushVlan(e) => write!(f, "push_vlan:{e:#06x}"),
            Action::PopVlan => f.write_str("pop_vlan"),
            Action::PushMpls(e) => write!(f, "push_mpls:{e:#06x}"),
            Action::PopMpls(e) => write!(f, "pop_mpls:{e:#06x}"),
            Action::SetQueue(q) => write!(f, "set_queue:{q}"),
            Action::Group(g) => write!(f, "group:{g}"),
            Action::SetNwTtl(v) => write!(f, "set_nw_ttl:{v}"),
            Action::DecNwTtl => f.write_str("dec_ttl"),
            Action::SetField(field) => write!(f, "set_field:{}", SetFieldText(field)),
            Action::PushPbb(e) => write!(f, "push_pbb:{e:#06x}"),
            Action::PopPbb => f.write_str("pop_pbb"),
            Action::Experimenter { experimenter, data } => {
                write!(f, "experimenter({experimenter:#x}:")?;
                fmt_hex(f, data)?;
                f.write_str(")")
            }
            Action::Unknown { action_type, body } => {
                write!(f, "action({action_type}:")?;
                fmt_hex(f, body)?;
                f.write_str(")")
            }
        }
    }
}

/// Writes a comma-separated action list, or `drop` when it is empty.
pub(crate) fn fmt_actions(f: &mut fmt::Formatter<'_>, actions: &[Action]) -> fmt::Result {
    if actions.is_empty() {
        return f.write_str("drop");
    }
    for (i, a) in actions.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{a}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(a: &Action) -> Vec<u8> {
        let mut b = Vec::new();
        a.encode(&mut b);
        assert_eq!(b.len(), a.encoded_len());
        let frozen = Bytes::from(b.clone());
        let mut r = Reader::new(&frozen);
        assert_eq!(&Action::decode(&mut r).unwrap(), a);
        assert!(r.is_empty());
        b.to_vec()
    }

    #[test]
    fn output_bytes() {
        let bytes = round_trip(&Action::output(PortNo::CONTROLLER));
        assert_eq!(
            bytes,
            [
                0, 0, 0, 16, 0xff, 0xff, 0xff, 0xfd, 0xff, 0xff, 0, 0, 0, 0, 0, 0
            ]
        );
        assert_eq!(
            Action::output(PortNo::CONTROLLER).to_string(),
            "output:CONTROLLER:65535"
        );
        assert_eq!(Action::output(3).to_string(), "output:3");
    }

    #[test]
    fn set_field_is_padded() {
        // vlan_vid: 4-byte header + 2-byte value = 6, plus 4-byte action header = 10 -> 16.
        let a = Action::SetField(OxmField::VlanVid(0x1064, None));
        let bytes = round_trip(&a);
        assert_eq!(
            bytes,
            [0, 25, 0, 16, 0x80, 0, 0x0c, 2, 0x10, 0x64, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(a.to_string(), "set_field:100->vlan_vid");
    }

    #[test]
    fn small_actions() {
        assert_eq!(
            round_trip(&Action::PushVlan(0x8100)),
            [0, 17, 0, 8, 0x81, 0, 0, 0]
        );
        assert_eq!(round_trip(&Action::PopVlan), [0, 18, 0, 8, 0, 0, 0, 0]);
        assert_eq!(round_trip(&Action::Group(7)), [0, 22, 0, 8, 0, 0, 0, 7]);
        round_trip(&Action::Experimenter {
            experimenter: 0x2320,
            data: Bytes::from_static(&[1; 8]),
        });
        round_trip(&Action::Unknown {
            action_type: 1,
            body: Bytes::from_static(&[0; 4]),
        });
    }

    #[test]
    fn bad_lengths_are_errors() {
        for bytes in [
            &[0u8, 0, 0, 8, 0, 0, 0, 1][..],         // OUTPUT must be 16
            &[0, 18, 0, 4],                          // shorter than 8
            &[0, 18, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0], // not a multiple of 8
            &[0, 18, 0, 16, 0, 0, 0, 0],             // longer than the bytes left
            &[0, 18, 0, 0],                          // zero length
        ] {
            let b = Bytes::copy_from_slice(bytes);
            assert!(Action::decode(&mut Reader::new(&b)).is_err(), "{bytes:?}");
        }
    }
}
