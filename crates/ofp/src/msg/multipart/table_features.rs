//! TABLE_FEATURES request and reply bodies (OpenFlow 1.3.5 §7.3.5.5).
//!
//! ```text
//! struct ofp_table_features:
//! | length (16) | table_id (8) | pad (40) | name (32 bytes) | metadata_match (64) |
//! | metadata_write (64) | config (32) | max_entries (32) | properties ...          |
//! struct ofp_table_feature_prop_header: | type (16) | length (16, excludes padding) |
//! body | pad to 8 |
//! ```

use std::fmt;

use bytes::Bytes;

use crate::codec::{FixedStr, LenPatch, Put, Reader, fmt_hex, pad_to_8};
use crate::error::DecodeError;
use crate::oxm::OxmId;

/// An instruction or action type as listed in a property: its header's type, and anything
/// after the 4-byte header (the experimenter id for experimenter types).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct TypeId {
    /// The instruction or action type.
    pub id_type: u16,
    /// Bytes after the 4-byte header.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes4))]
    pub data: Bytes,
}

impl TypeId {
    /// An id with no data.
    pub fn new(id_type: u16) -> Self {
        TypeId {
            id_type,
            data: Bytes::new(),
        }
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (id_type, _len, mut b) = r.tlv("type id", 4, 1)?;
        Ok(TypeId {
            id_type,
            data: b.rest(),
        })
    }

    fn encode(&self, buf: &mut Vec<u8>) {
        let len = LenPatch::new(buf.len(), 2);
        buf.put_u16(self.id_type);
        buf.put_u16(0);
        buf.put_slice(&self.data);
        len.finish(buf);
    }
}

/// One table-feature property.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum TableFeatureProp {
    /// `OFPTFPT_INSTRUCTIONS` (0) or, with `miss`, `_MISS` (1).
    Instructions {
        /// For the table-miss flow entry.
        miss: bool,
        /// Instruction types.
        ids: Vec<TypeId>,
    },
    /// `OFPTFPT_NEXT_TABLES` (2) or `_MISS` (3).
    NextTables {
        /// For the table-miss flow entry.
        miss: bool,
        /// Tables a goto may name.
        tables: Vec<u8>,
    },
    /// `OFPTFPT_WRITE_ACTIONS` (4) or `_MISS` (5).
    WriteActions {
        /// For the table-miss flow entry.
        miss: bool,
        /// Action types.
        ids: Vec<TypeId>,
    },
    /// `OFPTFPT_APPLY_ACTIONS` (6) or `_MISS` (7).
    ApplyActions {
        /// For the table-miss flow entry.
        miss: bool,
        /// Action types.
        ids: Vec<TypeId>,
    },
    /// `OFPTFPT_MATCH` (8): fields the table can match.
    Match(Vec<OxmId>),
    /// `OFPTFPT_WILDCARDS` (10): fields that may be wildcarded.
    Wildcards(Vec<OxmId>),
    /// `OFPTFPT_WRITE_SETFIELD` (12) or `_MISS` (13).
    WriteSetfield {
        /// For the table-miss flow entry.
        miss: bool,
        /// Settable fields.
        ids: Vec<OxmId>,
    },
    /// `OFPTFPT_APPLY_SETFIELD` (14) or `_MISS` (15).
    ApplySetfield {
        /// For the table-miss flow entry.
        miss: bool,
        /// Settable fields.
        ids: Vec<OxmId>,
    },
    /// `OFPTFPT_EXPERIMENTER` (0xfffe) or `_MISS` (0xffff), kept opaque.
    Experimenter {
        /// For the table-miss flow entry.
        miss: bool,
        /// Experimenter id.
        experimenter: u32,
        /// Experimenter type.
        exp_type: u32,
        /// Data.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes4))]
        data: Bytes,
    },
    /// A property type this codec does not name, kept as received.
    Unknown {
        /// The property type.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = arb_unknown_type))]
        prop_type: u16,
        /// Its body (without padding).
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes))]
        body: Bytes,
    },
}

#[cfg(feature = "arbitrary")]
fn arb_unknown_type(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<u16> {
    let t: u16 = u.arbitrary()?;
    Ok(if matches!(t, 0..=8 | 10 | 12..=15 | 0xfffe | 0xffff) {
        9
    } else {
        t
    })
}

fn decode_type_ids(mut r: Reader<'_>) -> Result<Vec<TypeId>, DecodeError> {
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(TypeId::decode(&mut r)?);
    }
    Ok(out)
}

fn decode_oxm_ids(mut r: Reader<'_>) -> Result<Vec<OxmId>, DecodeError> {
    let mut out = Vec::with_capacity(r.remaining() / 4);
    while !r.is_empty() {
        out.push(OxmId::decode(&mut r)?);
    }
    Ok(out)
}

impl TableFeatureProp {
    /// The property type number.
    pub fn prop_type(&self) -> u16 {
        let base_miss = |base: u16, miss: bool| base + u16::from(miss);
        match self {
            TableFeatureProp::Instructions { miss, .. } => base_miss(0, *miss),
            TableFeatureProp::NextTables { miss, .. } => base_miss(2, *miss),
            TableFeatureProp::WriteActions { miss, .. } => base_miss(4, *miss),
            TableFeatureProp::ApplyActions { miss, .. } => base_miss(6, *miss),
            TableFeatureProp::Match(_) => 8,
            TableFeatureProp::Wildcards(_) => 10,
            TableFeatureProp::WriteSetfield { miss, .. } => base_miss(12, *miss),
            TableFeatureProp::ApplySetfield { miss, .. } => base_miss(14, *miss),
            TableFeatureProp::Experimenter { miss, .. } => base_miss(0xfffe, *miss),
            TableFeatureProp::Unknown { prop_type, .. } => *prop_type,
        }
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "table feature property";
        let (ty, _len, mut b) = r.tlv(W, 4, 8)?;
        let miss = ty & 1 == 1;
        Ok(match ty {
            0 | 1 => TableFeatureProp::Instructions {
                miss,
                ids: decode_type_ids(b)?,
            },
            2 | 3 => {
                let n = b.remaining();
                TableFeatureProp::NextTables {
                    miss,
                    tables: b.slice(W, n)?.to_vec(),
                }
            }
            4 | 5 => TableFeatureProp::WriteActions {
                miss,
                ids: decode_type_ids(b)?,
            },
            6 | 7 => TableFeatureProp::ApplyActions {
                miss,
                ids: decode_type_ids(b)?,
            },
            8 => TableFeatureProp::Match(decode_oxm_ids(b)?),
            10 => TableFeatureProp::Wildcards(decode_oxm_ids(b)?),
            12 | 13 => TableFeatureProp::WriteSetfield {
                miss,
                ids: decode_oxm_ids(b)?,
            },
            14 | 15 => TableFeatureProp::ApplySetfield {
                miss,
                ids: decode_oxm_ids(b)?,
            },
            0xfffe | 0xffff => TableFeatureProp::Experimenter {
                miss,
                experimenter: b.u32(W)?,
                exp_type: b.u32(W)?,
                data: b.rest(),
            },
            _ => TableFeatureProp::Unknown {
                prop_type: ty,
                body: b.rest(),
            },
        })
    }

    fn encode(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        let len = LenPatch::new(start, 2);
        buf.put_u16(self.prop_type());
        buf.put_u16(0);
        match self {
            TableFeatureProp::Instructions { ids, .. }
            | TableFeatureProp::WriteActions { ids, .. }
            | TableFeatureProp::ApplyActions { ids, .. } => {
                ids.iter().for_each(|id| id.encode(buf));
            }
            TableFeatureProp::NextTables { tables, .. } => buf.put_slice(tables),
            TableFeatureProp::Match(ids)
            | TableFeatureProp::Wildcards(ids)
            | TableFeatureProp::WriteSetfield { ids, .. }
            | TableFeatureProp::ApplySetfield { ids, .. } => {
                ids.iter().for_each(|id| id.encode(buf))
            }
            TableFeatureProp::Experimenter {
                experimenter,
                exp_type,
                data,
                ..
            } => {
                buf.put_u32(*experimenter);
                buf.put_u32(*exp_type);
                buf.put_slice(data);
            }
            TableFeatureProp::Unknown { body, .. } => buf.put_slice(body),
        }
        let n = len.len_so_far(buf);
        len.finish_with(buf, n);
        pad_to_8(buf, start);
    }
}

impl fmt::Display for TableFeatureProp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let miss = |m: &bool| if *m { "_miss" } else { "" };
        let list = |f: &mut fmt::Formatter<'_>, items: &mut dyn Iterator<Item = String>| {
            let v: Vec<String> = items.collect();
            f.write_str(&v.join(","))
        };
        match self {
            TableFeatureProp::Instructions { miss: m, ids } => {
                write!(f, "instructions{}=", miss(m))?;
                list(f, &mut ids.iter().map(|i| i.id_type.to_string()))
            }
            TableFeatureProp::NextTables { miss: m, tables } => {
                write!(f, "next_tables{}=", miss(m))?;
                list(f, &mut tables.iter().map(u8::to_string))
            }
            TableFeatureProp::WriteActions { miss: m, ids } => {
                write!(f, "write_actions{}=", miss(m))?;
                list(f, &mut ids.iter().map(|i| i.id_type.to_string()))
            }
            TableFeatureProp::ApplyActions { miss: m, ids } => {
                write!(f, "apply_actions{}=", miss(m))?;
                list(f, &mut ids.iter().map(|i| i.id_type.to_string()))
            }
            TableFeatureProp::Match(ids) => {
                f.write_str("match=")?;
                list(f, &mut ids.iter().map(OxmId::to_string))
            }
            TableFeatureProp::Wildcards(ids) => {
                f.write_str("wildcards=")?;
                list(f, &mut ids.iter().map(OxmId::to_string))
            }
            TableFeatureProp::WriteSetfield { miss: m, ids } => {
                write!(f, "write_setfield{}=", miss(m))?;
                list(f, &mut ids.iter().map(OxmId::to_string))
            }
            TableFeatureProp::ApplySetfield { miss: m, ids } => {
                write!(f, "apply_setfield{}=", miss(m))?;
                list(f, &mut ids.iter().map(OxmId::to_string))
            }
            TableFeatureProp::Experimenter {
                miss: m,
                experimenter,
                exp_type,
                data,
            } => {
                write!(f, "experimenter{}({experimenter:#x}:{exp_type})=", miss(m))?;
                fmt_hex(f, data)
            }
            TableFeatureProp::Unknown { prop_type, body } => {
                write!(f, "property({prop_type})=")?;
                fmt_hex(f, body)
            }
        }
    }
}

/// One table's features (`struct ofp_table_features`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct TableFeatures {
    /// The table.
    pub table_id: u8,
    /// Its name.
    pub name: FixedStr<32>,
    /// Metadata bits a match may use.
    pub metadata_match: u64,
    /// Metadata bits write-metadata may set.
    pub metadata_write: u64,
    /// Table configuration bits.
    pub config: u32,
    /// Maximum number of entries.
    pub max_entries: u32,
    /// The properties.
    pub properties: Vec<TableFeatureProp>,
}

impl TableFeatures {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_table_features";
        let start = r.offset();
        let len = usize::from(r.clone().u16(W)?);
        if len < 64 {
            return Err(DecodeError::BadLength {
                what: W,
                len,
                offset: start,
            });
        }
        let mut b = r.sub(W, len)?;
        b.skip(W, 2)?;
        let table_id = b.u8(W)?;
        b.skip(W, 5)?;
        let name = FixedStr(b.array(W)?);
        let metadata_match = b.u64(W)?;
        let metadata_write = b.u64(W)?;
        let config = b.u32(W)?;
        let max_entries = b.u32(W)?;
        let mut properties = Vec::new();
        while !b.is_empty() {
            properties.push(TableFeatureProp::decode(&mut b)?);
        }
        Ok(TableFeatures {
            table_id,
            name,
            metadata_match,
            metadata_write,
            config,
            max_entries,
            properties,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        let len = LenPatch::new(buf.len(), 0);
        buf.put_u16(0);
        buf.put_u8(self.table_id);
        buf.put_bytes(0, 5);
        buf.put_slice(&self.name.0);
        buf.put_u64(self.metadata_match);
        buf.put_u64(self.metadata_write);
        buf.put_u32(self.config);
        buf.put_u32(self.max_entries);
        for p in &self.properties {
            p.encode(buf);
        }
        len.finish(buf);
    }
}

impl fmt::Display for TableFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "table {} (\"{}\"): metadata_match={:#x} metadata_write={:#x} config={:#x} max_entries={}",
            self.table_id,
            self.name,
            self.metadata_match,
            self.metadata_write,
            self.config,
            self.max_entries
        )?;
        for p in &self.properties {
            write!(f, " {p}")?;
        }
        Ok(())
    }
}
