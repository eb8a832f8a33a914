//! Instructions (OpenFlow 1.3.5 §7.2.4).
//!
//! ```text
//! | type (16) | len (16) | body |
//! GOTO_TABLE:     | table_id (8) | pad (3) |                        8 bytes
//! WRITE_METADATA: | pad (4) | metadata (64) | metadata_mask (64) |   24 bytes
//! WRITE_ACTIONS, APPLY_ACTIONS, CLEAR_ACTIONS: | pad (4) | actions |
//! METER:          | meter_id (32) |                                  8 bytes
//! EXPERIMENTER:   | experimenter (32) | data |
//! ```

use std::fmt;

use bytes::Bytes;

use crate::action::{Action, decode_actions, encode_actions, fmt_actions};
use crate::codec::{Fixed, LenPatch, Put, Reader, fmt_hex};
use crate::error::DecodeError;

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Instruction {
    /// `OFPIT_GOTO_TABLE` (1).
    GotoTable(u8),
    /// `OFPIT_WRITE_METADATA` (2).
    WriteMetadata {
        /// Value to write.
        metadata: u64,
        /// Bits of the metadata to change.
        mask: u64,
    },
    /// `OFPIT_WRITE_ACTIONS` (3): merge into the action set.
    WriteActions(Vec<Action>),
    /// `OFPIT_APPLY_ACTIONS` (4): apply now, in order.
    ApplyActions(Vec<Action>),
    /// `OFPIT_CLEAR_ACTIONS` (5).
    ClearActions,
    /// `OFPIT_METER` (6).
    Meter(u32),
    /// `OFPIT_EXPERIMENTER` (0xffff), kept opaque.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// The body after the experimenter id.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes8))]
        data: Bytes,
    },
    /// An instruction type this codec does not name, kept as received.
    Unknown {
        /// The instruction type.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = arb_unknown_type))]
        instruction_type: u16,
        /// The body after the 4-byte header.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes4))]
        body: Bytes,
    },
}

const OFPIT_GOTO_TABLE: u16 = 1;
const OFPIT_WRITE_METADATA: u16 = 2;
const OFPIT_WRITE_ACTIONS: u16 = 3;
const OFPIT_APPLY_ACTIONS: u16 = 4;
const OFPIT_CLEAR_ACTIONS: u16 = 5;
const OFPIT_METER: u16 = 6;
/// `OFPIT_EXPERIMENTER`.
pub const OFPIT_EXPERIMENTER: u16 = 0xffff;

#[cfg(feature = "arbitrary")]
fn arb_unknown_type(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<u16> {
    let t: u16 = u.arbitrary()?;
    Ok(if matches!(t, 1..=6 | 0xffff) { 7 } else { t })
}

impl Instruction {
    /// The instruction type number.
    pub fn instruction_type(&self) -> u16 {
        match self {
            Instruction::GotoTable(_) => OFPIT_GOTO_TABLE,
            Instruction::WriteMetadata { .. } => OFPIT_WRITE_METADATA,
            Instruction::WriteActions(_) => OFPIT_WRITE_ACTIONS,
            Instruction::ApplyActions(_) => OFPIT_APPLY_ACTIONS,
            Instruction::ClearActions => OFPIT_CLEAR_ACTIONS,
            Instruction::Meter(_) => OFPIT_METER,
            Instruction::Experimenter { .. } => OFPIT_EXPERIMENTER,
            Instruction::Unknown {
                instruction_type, ..
            } => *instruction_type,
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Instruction, DecodeError> {
        const W: &str = "instruction";
        let (ty, len, mut b) = r.tlv(W, 4, 1)?;
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
        Ok(match ty {
            OFPIT_GOTO_TABLE => {
                fixed(8)?;
                Instruction::GotoTable(b.u8(W)?)
            }
            OFPIT_WRITE_METADATA => {
                fixed(24)?;
                b.skip(W, 4)?;
                Instruction::WriteMetadata {
                    metadata: b.u64(W)?,
                    mask: b.u64(W)?,
                }
            }
            OFPIT_WRITE_ACTIONS | OFPIT_APPLY_ACTIONS => {
                b.skip(W, 4)?;
                let actions = decode_actions(b)?;
                if ty == OFPIT_WRITE_ACTIONS {
                    Instruction::WriteActions(actions)
                } else {
                    Instruction::ApplyActions(actions)
                }
            }
            OFPIT_CLEAR_ACTIONS => {
                fixed(8)?;
                Instruction::ClearActions
            }
            OFPIT_METER => {
                fixed(8)?;
                Instruction::Meter(b.u32(W)?)
            }
            OFPIT_EXPERIMENTER => Instruction::Experimenter {
                experimenter: b.u32(W)?,
                data: b.rest(),
            },
            _ => Instruction::Unknown {
                instruction_type: ty,
                body: b.rest(),
            },
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        let ty = self.instruction_type();
        match self {
            Instruction::GotoTable(t) => Fixed::<8>::new().u16(0, ty).u16(2, 8).u8(4, *t).put(buf),
            Instruction::WriteMetadata { metadata, mask } => Fixed::<24>::new()
                .u16(0, ty)
                .u16(2, 24)
                .u64(8, *metadata)
                .u64(16, *mask)
                .put(buf),
            Instruction::ClearActions => Fixed::<8>::new().u16(0, ty).u16(2, 8).put(buf),
            Instruction::Meter(m) => Fixed::<8>::new().u16(0, ty).u16(2, 8).u32(4, *m).put(buf),
            Instruction::WriteActions(actions) | Instruction::ApplyActions(actions) => {
                let len = LenPatch::new(buf.len(), 2);
                Fixed::<8>::new().u16(0, ty).put(buf);
                encode_actions(actions, buf);
                len.finish(buf);
            }
            Instruction::Experimenter { experimenter, data } => {
                let len = LenPatch::new(buf.len(), 2);
                Fixed::<8>::new().u16(0, ty).u32(4, *experimenter).put(buf);
                buf.put_slice(data);
                len.finish(buf);
            }
            Instruction::Unknown { body, .. } => {
                let len = LenPatch::new(buf.len(), 2);
                Fixed::<4>::new().u16(0, ty).put(buf);
                buf.put_slice(body);
                len.finish(buf);
            }
        }
    }
}

/// Decodes instructions until the reader is empty.
pub(crate) fn decode_instructions(mut r: Reader<'_>) -> Result<Vec<Instruction>, DecodeError> {
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(Instruction::decode(&mut r)?);
    }
    Ok(out)
}

/// Appends a list of instructions.
pub(crate) fn encode_instructions(list: &[Instruction], buf: &mut Vec<u8>) {
    for i in list {
        i.encode(buf);
    }
}

impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Instruction::GotoTable(t) => write!(f, "goto_table:{t}"),
            Instruction::WriteMetadata { metadata, mask } => {
                write!(f, "write_metadata:{metadata:#x}/{mask:#x}")
            }
            Instruction::WriteActions(a) => {
                f.write_str("write_actions(")?;
                fmt_actions(f, a)?;
                f.write_str(")")
            }
            Instruction::ApplyActions(a) => fmt_actions(f, a),
            Instruction::ClearActions => f.write_str("clear_actions"),
            Instruction::Meter(m) => write!(f, "meter:{m}"),
            Instruction::Experimenter { experimenter, data } => {
                write!(f, "experimenter_instruction({experimenter:#x}:")?;
                fmt_hex(f, data)?;
                f.write_str(")")
            }
            Instruction::Unknown {
                instruction_type,
                body,
            } => {
                write!(f, "instruction({instruction_type}:")?;
                fmt_hex(f, body)?;
                f.write_str(")")
            }
        }
    }
}

/// Writes instructions the way ovs-ofctl writes them after `actions=`: apply-actions inline,
/// the others by name, comma-separated; `drop` when there are none.
pub(crate) fn fmt_instructions(f: &mut fmt::Formatter<'_>, list: &[Instruction]) -> fmt::Result {
    if list.is_empty() {
        return f.write_str("drop");
    }
    for (i, ins) in list.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{ins}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port::PortNo;

    #[test]
    fn golden_bytes() {
        let list = vec![
            Instruction::Meter(1),
            Instruction::ApplyActions(vec![Action::PopVlan, Action::output(PortNo(2))]),
            Instruction::WriteMetadata {
                metadata: 1,
                mask: 0xff,
            },
            Instruction::GotoTable(3),
        ];
        let mut b = Vec::new();
        encode_instructions(&list, &mut b);
        #[rustfmt::skip]
        let want: &[u8] = &[
            0, 6, 0, 8, 0, 0, 0, 1,
            0, 4, 0, 32, 0, 0, 0, 0,
              0, 18, 0, 8, 0, 0, 0, 0,
              0, 0, 0, 16, 0, 0, 0, 2, 0xff, 0xff, 0, 0, 0, 0, 0, 0,
            0, 2, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xff,
            0, 1, 0, 8, 3, 0, 0, 0,
        ];
        assert_eq!(&b[..], want);
        let frozen = Bytes::from(b);
        assert_eq!(decode_instructions(Reader::new(&frozen)).unwrap(), list);
    }
}
