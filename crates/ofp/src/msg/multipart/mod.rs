//! MULTIPART_REQUEST and MULTIPART_REPLY (OpenFlow 1.3.5 §7.3.5).
//!
//! ```text
//! struct ofp_multipart_request / _reply: | type (16) | flags (16) | pad (32) | body |
//! ```
//!
//! A reply too long for one message comes in parts, each but the last with
//! [`MultipartFlags::MORE`]; [`MultipartReplyBody::extend`] joins them.

mod stats;
mod table_features;

use std::fmt;

use bytes::Bytes;

pub use stats::{
    AggregateStats, Counters, Desc, FlowStats, FlowStatsRequest, GroupDesc, GroupFeatures,
    GroupStats, MeterConfig, MeterFeatures, MeterStats, PortStats, QueueStats, TableStats,
};
pub use table_features::{TableFeatureProp, TableFeatures, TypeId};

use crate::codec::{Put, Reader, fmt_hex};
use crate::error::DecodeError;
use crate::macros::wire_flags;
use crate::msg::meter::fmt_meter_id;
use crate::port::{Port, PortNo};

wire_flags! {
    /// Multipart flags (`OFPMPF_REQ_MORE`, `OFPMPF_REPLY_MORE`).
    pub struct MultipartFlags: u16 {
        /// More parts follow.
        const MORE = 1 << 0;
    }
}

const OFPMP_DESC: u16 = 0;
const OFPMP_FLOW: u16 = 1;
const OFPMP_AGGREGATE: u16 = 2;
const OFPMP_TABLE: u16 = 3;
const OFPMP_PORT_STATS: u16 = 4;
const OFPMP_QUEUE: u16 = 5;
const OFPMP_GROUP: u16 = 6;
const OFPMP_GROUP_DESC: u16 = 7;
const OFPMP_GROUP_FEATURES: u16 = 8;
const OFPMP_METER: u16 = 9;
const OFPMP_METER_CONFIG: u16 = 10;
const OFPMP_METER_FEATURES: u16 = 11;
const OFPMP_TABLE_FEATURES: u16 = 12;
const OFPMP_PORT_DESC: u16 = 13;
const OFPMP_EXPERIMENTER: u16 = 0xffff;

/// `OFPQ_ALL`: every queue, in QUEUE requests.
pub const OFPQ_ALL: u32 = 0xffff_ffff;

#[cfg(feature = "arbitrary")]
fn arb_unknown_type(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<u16> {
    let t: u16 = u.arbitrary()?;
    Ok(if t <= OFPMP_PORT_DESC || t == OFPMP_EXPERIMENTER {
        14
    } else {
        t
    })
}

/// The body of a MULTIPART_REQUEST.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum MultipartRequestBody {
    /// `OFPMP_DESC`: the switch description.
    Desc,
    /// `OFPMP_FLOW`: individual flows.
    Flow(FlowStatsRequest),
    /// `OFPMP_AGGREGATE`: totals over flows.
    Aggregate(FlowStatsRequest),
    /// `OFPMP_TABLE`: per-table counters.
    Table,
    /// `OFPMP_PORT_STATS`: counters of one port, or `ANY` for all.
    PortStats(PortNo),
    /// `OFPMP_QUEUE`: queue counters.
    Queue {
        /// The port, or `ANY`.
        port_no: PortNo,
        /// The queue, or `OFPQ_ALL`.
        queue_id: u32,
    },
    /// `OFPMP_GROUP`: counters of one group, or `OFPG_ALL`.
    Group(u32),
    /// `OFPMP_GROUP_DESC`: every group's buckets.
    GroupDesc,
    /// `OFPMP_GROUP_FEATURES`.
    GroupFeatures,
    /// `OFPMP_METER`: counters of one meter, or `OFPM_ALL`.
    Meter(u32),
    /// `OFPMP_METER_CONFIG`: configuration of one meter, or `OFPM_ALL`.
    MeterConfig(u32),
    /// `OFPMP_METER_FEATURES`.
    MeterFeatures,
    /// `OFPMP_TABLE_FEATURES`: empty to query, or the pipeline to set.
    TableFeatures(Vec<TableFeatures>),
    /// `OFPMP_PORT_DESC`: every port.
    PortDesc,
    /// `OFPMP_EXPERIMENTER`, kept opaque.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Experimenter type.
        exp_type: u32,
        /// Data.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes))]
        data: Bytes,
    },
    /// A multipart type this codec does not name, kept as received.
    Unknown {
        /// The multipart type.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = arb_unknown_type))]
        multipart_type: u16,
        /// The body.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes))]
        body: Bytes,
    },
}

/// The body of a MULTIPART_REPLY.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum MultipartReplyBody {
    /// `OFPMP_DESC` (boxed: the description is 1,056 bytes).
    Desc(Box<Desc>),
    /// `OFPMP_FLOW`.
    Flow(Vec<FlowStats>),
    /// `OFPMP_AGGREGATE`.
    Aggregate(AggregateStats),
    /// `OFPMP_TABLE`.
    Table(Vec<TableStats>),
    /// `OFPMP_PORT_STATS`.
    PortStats(Vec<PortStats>),
    /// `OFPMP_QUEUE`.
    Queue(Vec<QueueStats>),
    /// `OFPMP_GROUP`.
    Group(Vec<GroupStats>),
    /// `OFPMP_GROUP_DESC`.
    GroupDesc(Vec<GroupDesc>),
    /// `OFPMP_GROUP_FEATURES`.
    GroupFeatures(GroupFeatures),
    /// `OFPMP_METER`.
    Meter(Vec<MeterStats>),
    /// `OFPMP_METER_CONFIG`.
    MeterConfig(Vec<MeterConfig>),
    /// `OFPMP_METER_FEATURES`.
    MeterFeatures(MeterFeatures),
    /// `OFPMP_TABLE_FEATURES`.
    TableFeatures(Vec<TableFeatures>),
    /// `OFPMP_PORT_DESC`.
    PortDesc(Vec<Port>),
    /// `OFPMP_EXPERIMENTER`, kept opaque.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Experimenter type.
        exp_type: u32,
        /// Data.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes))]
        data: Bytes,
    },
    /// A multipart type this codec does not name, kept as received.
    Unknown {
        /// The multipart type.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = arb_unknown_type))]
        multipart_type: u16,
        /// The body.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes))]
        body: Bytes,
    },
}

/// Decodes a list of `T` until the reader is empty.
fn decode_list<'a, T>(
    r: &mut Reader<'a>,
    mut one: impl FnMut(&mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(one(r)?);
    }
    Ok(out)
}

/// A MULTIPART_REQUEST message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MultipartRequest {
    /// Flags (`MORE` when the request itself comes in parts).
    pub flags: MultipartFlags,
    /// The body.
    pub body: MultipartRequestBody,
}

impl MultipartRequest {
    /// A single-part request.
    pub fn new(body: MultipartRequestBody) -> Self {
        MultipartRequest {
            flags: MultipartFlags::empty(),
            body,
        }
    }

    /// The multipart type number.
    pub fn multipart_type(&self) -> u16 {
        use MultipartRequestBody as B;
        match &self.body {
            B::Desc => OFPMP_DESC,
            B::Flow(_) => OFPMP_FLOW,
            B::Aggregate(_) => OFPMP_AGGREGATE,
            B::Table => OFPMP_TABLE,
            B::PortStats(_) => OFPMP_PORT_STATS,
            B::Queue { .. } => OFPMP_QUEUE,
            B::Group(_) => OFPMP_GROUP,
            B::GroupDesc => OFPMP_GROUP_DESC,
            B::GroupFeatures => OFPMP_GROUP_FEATURES,
            B::Meter(_) => OFPMP_METER,
            B::MeterConfig(_) => OFPMP_METER_CONFIG,
            B::MeterFeatures => OFPMP_METER_FEATURES,
            B::TableFeatures(_) => OFPMP_TABLE_FEATURES,
            B::PortDesc => OFPMP_PORT_DESC,
            B::Experimenter { .. } => OFPMP_EXPERIMENTER,
            B::Unknown { multipart_type, .. } => *multipart_type,
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_multipart_request";
        let ty = r.u16(W)?;
        let flags = MultipartFlags::from_bits_retain(r.u16(W)?);
        r.skip(W, 4)?;
        use MultipartRequestBody as B;
        let port_and_pad = |r: &mut Reader<'_>| -> Result<u32, DecodeError> {
            let v = r.u32(W)?;
            r.skip(W, 4)?;
            Ok(v)
        };
        let body = match ty {
            OFPMP_DESC => B::Desc,
            OFPMP_FLOW => B::Flow(FlowStatsRequest::decode(r)?),
            OFPMP_AGGREGATE => B::Aggregate(FlowStatsRequest::decode(r)?),
            OFPMP_TABLE => B::Table,
            OFPMP_PORT_STATS => B::PortStats(PortNo(port_and_pad(r)?)),
            OFPMP_QUEUE => B::Queue {
                port_no: PortNo(r.u32(W)?),
                queue_id: r.u32(W)?,
            },
            OFPMP_GROUP => B::Group(port_and_pad(r)?),
            OFPMP_GROUP_DESC => B::GroupDesc,
            OFPMP_GROUP_FEATURES => B::GroupFeatures,
            OFPMP_METER => B::Meter(port_and_pad(r)?),
            OFPMP_METER_CONFIG => B::MeterConfig(port_and_pad(r)?),
            OFPMP_METER_FEATURES => B::MeterFeatures,
            OFPMP_TABLE_FEATURES => B::TableFeatures(decode_list(r, TableFeatures::decode)?),
            OFPMP_PORT_DESC => B::PortDesc,
            OFPMP_EXPERIMENTER => B::Experimenter {
                experimenter: r.u32(W)?,
                exp_type: r.u32(W)?,
                data: r.rest(),
            },
            _ => B::Unknown {
                multipart_type: ty,
                body: r.rest(),
            },
        };
        Ok(MultipartRequest { flags, body })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u16(self.multipart_type());
        buf.put_u16(self.flags.bits());
        buf.put_bytes(0, 4);
        use MultipartRequestBody as B;
        match &self.body {
            B::Desc
            | B::Table
            | B::GroupDesc
            | B::GroupFeatures
            | B::MeterFeatures
            | B::PortDesc => {}
            B::Flow(req) | B::Aggregate(req) => req.encode(buf),
            B::PortStats(p) => {
                buf.put_u32(p.0);
                buf.put_bytes(0, 4);
            }
            B::Queue { port_no, queue_id } => {
                buf.put_u32(port_no.0);
                buf.put_u32(*queue_id);
            }
            B::Group(id) | B::Meter(id) | B::MeterConfig(id) => {
                buf.put_u32(*id);
                buf.put_bytes(0, 4);
            }
            B::TableFeatures(list) => list.iter().for_each(|t| t.encode(buf)),
            B::Experimenter {
                experimenter,
                exp_type,
                data,
            } => {
                buf.put_u32(*experimenter);
                buf.put_u32(*exp_type);
                buf.put_slice(data);
            }
            B::Unknown { body, .. } => buf.put_slice(body),
        }
    }
}

fn fmt_more(f: &mut fmt::Formatter<'_>, flags: MultipartFlags) -> fmt::Result {
    if flags.contains(MultipartFlags::MORE) {
        f.write_str(" flags=[more]")
    } else {
        Ok(())
    }
}

impl fmt::Display for MultipartRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use MultipartRequestBody as B;
        match &self.body {
            B::Desc => f.write_str("DESC")?,
            B::Flow(r) => write!(f, "FLOW {r}")?,
            B::Aggregate(r) => write!(f, "AGGREGATE {r}")?,
            B::Table => f.write_str("TABLE")?,
            B::PortStats(p) => write!(f, "PORT_STATS port={p}")?,
            B::Queue { port_no, queue_id } => {
                write!(f, "QUEUE port={port_no} queue=")?;
                if *queue_id == OFPQ_ALL {
                    f.write_str("all")?
                } else {
                    write!(f, "{queue_id}")?
                }
            }
            B::Group(g) => write!(f, "GROUP group_id={g}")?,
            B::GroupDesc => f.write_str("GROUP_DESC")?,
            B::GroupFeatures => f.write_str("GROUP_FEATURES")?,
            B::Meter(m) => {
                f.write_str("METER meter=")?;
                fmt_meter_id(f, *m)?
            }
            B::MeterConfig(m) => {
                f.write_str("METER_CONFIG meter=")?;
                fmt_meter_id(f, *m)?
            }
            B::MeterFeatures => f.write_str("METER_FEATURES")?,
            B::TableFeatures(list) => {
                write!(f, "TABLE_FEATURES ({} tables)", list.len())?;
                for t in list {
                    write!(f, "\n  {t}")?;
                }
            }
            B::PortDesc => f.write_str("PORT_DESC")?,
            B::Experimenter {
                experimenter,
                exp_type,
                data,
            } => {
                write!(f, "EXPERIMENTER {experimenter:#x}:{exp_type} data=")?;
                fmt_hex(f, data)?
            }
            B::Unknown {
                multipart_type,
                body,
            } => {
                write!(f, "type {multipart_type} data=")?;
                fmt_hex(f, body)?
            }
        }
        fmt_more(f, self.flags)
    }
}

/// A MULTIPART_REPLY message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MultipartReply {
    /// Flags (`MORE` when more parts follow).
    pub flags: MultipartFlags,
    /// The body.
    pub body: MultipartReplyBody,
}

impl MultipartReply {
    /// A single-part reply.
    pub fn new(body: MultipartReplyBody) -> Self {
        MultipartReply {
            flags: MultipartFlags::empty(),
            body,
        }
    }

    /// Whether more parts follow.
    pub fn more(&self) -> bool {
        self.flags.contains(MultipartFlags::MORE)
    }

    /// The multipart type number.
    pub fn multipart_type(&self) -> u16 {
        use MultipartReplyBody as B;
        match &self.body {
            B::Desc(_) => OFPMP_DESC,
            B::Flow(_) => OFPMP_FLOW,
            B::Aggregate(_) => OFPMP_AGGREGATE,
            B::Table(_) => OFPMP_TABLE,
            B::PortStats(_) => OFPMP_PORT_STATS,
            B::Queue(_) => OFPMP_QUEUE,
            B::Group(_) => OFPMP_GROUP,
            B::GroupDesc(_) => OFPMP_GROUP_DESC,
            B::GroupFeatures(_) => OFPMP_GROUP_FEATURES,
            B::Meter(_) => OFPMP_METER,
            B::MeterConfig(_) => OFPMP_METER_CONFIG,
            B::MeterFeatures(_) => OFPMP_METER_FEATURES,
            B::TableFeatures(_) => OFPMP_TABLE_FEATURES,
            B::PortDesc(_) => OFPMP_PORT_DESC,
            B::Experimenter { .. } => OFPMP_EXPERIMENTER,
            B::Unknown { multipart_type, .. } => *multipart_type,
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_multipart_reply";
        let ty = r.u16(W)?;
        let flags = MultipartFlags::from_bits_retain(r.u16(W)?);
        r.skip(W, 4)?;
        use MultipartReplyBody as B;
        let body = match ty {
            OFPMP_DESC => B::Desc(Box::new(Desc::decode(r)?)),
            OFPMP_FLOW => B::Flow(decode_list(r, FlowStats::decode)?),
            OFPMP_AGGREGATE => B::Aggregate(AggregateStats::decode(r)?),
            OFPMP_TABLE => B::Table(decode_list(r, TableStats::decode)?),
            OFPMP_PORT_STATS => B::PortStats(decode_list(r, PortStats::decode)?),
            OFPMP_QUEUE => B::Queue(decode_list(r, QueueStats::decode)?),
            OFPMP_GROUP => B::Group(decode_list(r, GroupStats::decode)?),
            OFPMP_GROUP_DESC => B::GroupDesc(decode_list(r, GroupDesc::decode)?),
            OFPMP_GROUP_FEATURES => B::GroupFeatures(GroupFeatures::decode(r)?),
            OFPMP_METER => B::Meter(decode_list(r, MeterStats::decode)?),
            OFPMP_METER_CONFIG => B::MeterConfig(decode_list(r, MeterConfig::decode)?),
            OFPMP_METER_FEATURES => B::MeterFeatures(MeterFeatures::decode(r)?),
            OFPMP_TABLE_FEATURES => B::TableFeatures(decode_list(r, TableFeatures::decode)?),
            OFPMP_PORT_DESC => B::PortDesc(decode_list(r, Port::decode)?),
            OFPMP_EXPERIMENTER => B::Experimenter {
                experimenter: r.u32(W)?,
                exp_type: r.u32(W)?,
                data: r.rest(),
            },
            _ => B::Unknown {
                multipart_type: ty,
                body: r.rest(),
            },
        };
        Ok(MultipartReply { flags, body })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u16(self.multipart_type());
        buf.put_u16(self.flags.bits());
        buf.put_bytes(0, 4);
        use MultipartReplyBody as B;
        match &self.body {
            B::Desc(d) => d.encode(buf),
            B::Flow(l) => l.iter().for_each(|x| x.encode(buf)),
            B::Aggregate(a) => a.encode(buf),
            B::Table(l) => l.iter().for_each(|x| x.encode(buf)),
            B::PortStats(l) => l.iter().for_each(|x| x.encode(buf)),
            B::Queue(l) => l.iter().for_each(|x| x.encode(buf)),
            B::Group(l) => l.iter().for_each(|x| x.encode(buf)),
            B::GroupDesc(l) => l.iter().for_each(|x| x.encode(buf)),
            B::GroupFeatures(g) => g.encode(buf),
            B::Meter(l) => l.iter().for_each(|x| x.encode(buf)),
            B::MeterConfig(l) => l.iter().for_each(|x| x.encode(buf)),
            B::MeterFeatures(m) => m.encode(buf),
            B::TableFeatures(l) => l.iter().for_each(|x| x.encode(buf)),
            B::PortDesc(l) => l.iter().for_each(|x| x.encode(buf)),
            B::Experimenter {
                experimenter,
                exp_type,
                data,
            } => {
                buf.put_u32(*experimenter);
                buf.put_u32(*exp_type);
                buf.put_slice(data);
            }
            B::Unknown { body, .. } => buf.put_slice(body),
        }
    }
}

impl MultipartReplyBody {
    /// Appends the entries of a later part of the same reply. Returns `false` (and changes
    /// nothing) when `next` is of another type or the type cannot be split into parts.
    pub fn extend(&mut self, next: MultipartReplyBody) -> bool {
        use MultipartReplyBody as B;
        match (self, next) {
            (B::Flow(a), B::Flow(b)) => a.extend(b),
            (B::Table(a), B::Table(b)) => a.extend(b),
            (B::PortStats(a), B::PortStats(b)) => a.extend(b),
            (B::Queue(a), B::Queue(b)) => a.extend(b),
            (B::Group(a), B::Group(b)) => a.extend(b),
            (B::GroupDesc(a), B::GroupDesc(b)) => a.extend(b),
            (B::Meter(a), B::Meter(b)) => a.extend(b),
            (B::MeterConfig(a), B::MeterConfig(b)) => a.extend(b),
            (B::TableFeatures(a), B::TableFeatures(b)) => a.extend(b),
            (B::PortDesc(a), B::PortDesc(b)) => a.extend(b),
            _ => return false,
        }
        true
    }
}

/// Writes each entry of a list on its own line.
fn fmt_lines<T: fmt::Display>(f: &mut fmt::Formatter<'_>, name: &str, list: &[T]) -> fmt::Result {
    write!(f, "{name} ({} entries)", list.len())?;
    for x in list {
        write!(f, "\n  {x}")?;
    }
    Ok(())
}

impl fmt::Display for MultipartReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use MultipartReplyBody as B;
        match &self.body {
            B::Desc(d) => write!(f, "DESC {d}")?,
            B::Flow(l) => fmt_lines(f, "FLOW", l)?,
            B::Aggregate(a) => write!(f, "AGGREGATE {a}")?,
            B::Table(l) => fmt_lines(f, "TABLE", l)?,
            B::PortStats(l) => fmt_lines(f, "PORT_STATS", l)?,
            B::Queue(l) => fmt_lines(f, "QUEUE", l)?,
            B::Group(l) => fmt_lines(f, "GROUP", l)?,
            B::GroupDesc(l) => fmt_lines(f, "GROUP_DESC", l)?,
            B::GroupFeatures(g) => write!(f, "GROUP_FEATURES {g}")?,
            B::Meter(l) => fmt_lines(f, "METER", l)?,
            B::MeterConfig(l) => fmt_lines(f, "METER_CONFIG", l)?,
            B::MeterFeatures(m) => write!(f, "METER_FEATURES {m}")?,
            B::TableFeatures(l) => fmt_lines(f, "TABLE_FEATURES", l)?,
            B::PortDesc(l) => fmt_lines(f, "PORT_DESC", l)?,
            B::Experimenter {
                experimenter,
                exp_type,
                data,
            } => {
                write!(f, "EXPERIMENTER {experimenter:#x}:{exp_type} data=")?;
                fmt_hex(f, data)?
            }
            B::Unknown {
                multipart_type,
                body,
            } => {
                write!(f, "type {multipart_type} data=")?;
                fmt_hex(f, body)?
            }
        }
        fmt_more(f, self.flags)
    }
}
