//! QUEUE_GET_CONFIG request and reply (OpenFlow 1.3.5 §7.3.6, §7.2.2).
//!
//! ```text
//! struct ofp_queue_get_config_request: | port (32) | pad (32) |
//! struct ofp_queue_get_config_reply:   | port (32) | pad (32) | queues ... |
//! struct ofp_packet_queue: | queue_id (32) | port (32) | len (16) | pad (48) | properties |
//! struct ofp_queue_prop_header: | property (16) | len (16) | pad (32) | body |
//!   MIN_RATE (1), MAX_RATE (2): | rate (16, 1/10 of a percent) | pad (48) |
//!   EXPERIMENTER (0xffff):      | experimenter (32) | pad (32) | data |
//! ```

use std::fmt;

use bytes::Bytes;

use crate::codec::{LenPatch, Put, Reader, fmt_hex};
use crate::error::DecodeError;
use crate::port::PortNo;

/// A queue property.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum QueueProp {
    /// `OFPQT_MIN_RATE`, in 1/10 of a percent (over 1000 means disabled).
    MinRate(u16),
    /// `OFPQT_MAX_RATE`, in 1/10 of a percent.
    MaxRate(u16),
    /// `OFPQT_EXPERIMENTER`, kept opaque.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// The data.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes8))]
        data: Bytes,
    },
    /// A property this codec does not name, kept as received.
    Unknown {
        /// The property type.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = arb_unknown_type))]
        property: u16,
        /// The body after the 8-byte header.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb_bytes8))]
        body: Bytes,
    },
}

#[cfg(feature = "arbitrary")]
fn arb_unknown_type(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<u16> {
    let t: u16 = u.arbitrary()?;
    Ok(if matches!(t, 1 | 2 | 0xffff) { 3 } else { t })
}

impl QueueProp {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "queue property";
        let (ty, _len, mut b) = r.tlv(W, 8, 1)?;
        b.skip(W, 4)?;
        Ok(match ty {
            1 => QueueProp::MinRate(b.u16(W)?),
            2 => QueueProp::MaxRate(b.u16(W)?),
            0xffff => {
                let experimenter = b.u32(W)?;
                b.skip(W, 4)?;
                QueueProp::Experimenter {
                    experimenter,
                    data: b.rest(),
                }
            }
            _ => QueueProp::Unknown {
                property: ty,
                body: b.rest(),
            },
        })
    }

    fn encode(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        let len = LenPatch::new(start, 2);
        let ty = match self {
            QueueProp::MinRate(_) => 1,
            QueueProp::MaxRate(_) => 2,
            QueueProp::Experimenter { .. } => 0xffff,
            QueueProp::Unknown { property, .. } => *property,
        };
        buf.put_u16(ty);
        buf.put_u16(0);
        buf.put_bytes(0, 4);
        match self {
            QueueProp::MinRate(rate) | QueueProp::MaxRate(rate) => {
                buf.put_u16(*rate);
                buf.put_bytes(0, 6);
            }
            QueueProp::Experimenter { experimenter, data } => {
                buf.put_u32(*experimenter);
                buf.put_bytes(0, 4);
                buf.put_slice(data);
            }
            QueueProp::Unknown { body, .. } => buf.put_slice(body),
        }
        len.finish(buf);
    }
}

impl fmt::Display for QueueProp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueProp::MinRate(r) => write!(f, "min_rate:{r}"),
            QueueProp::MaxRate(r) => write!(f, "max_rate:{r}"),
            QueueProp::Experimenter { experimenter, data } => {
                write!(f, "experimenter({experimenter:#x}):")?;
                fmt_hex(f, data)
            }
            QueueProp::Unknown { property, body } => {
                write!(f, "property({property}):")?;
                fmt_hex(f, body)
            }
        }
    }
}

/// A queue and its properties (`struct ofp_packet_queue`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PacketQueue {
    /// Queue id.
    pub queue_id: u32,
    /// The port the queue is attached to.
    pub port: PortNo,
    /// The properties.
    pub properties: Vec<QueueProp>,
}

impl PacketQueue {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_packet_queue";
        let start = r.offset();
        let mut peek = r.clone();
        peek.skip(W, 8)?;
        let len = usize::from(peek.u16(W)?);
        if len < 16 {
            return Err(DecodeError::BadLength {
                what: W,
                len,
                offset: start,
            });
        }
        let mut b = r.sub(W, len)?;
        let queue_id = b.u32(W)?;
        let port = PortNo(b.u32(W)?);
        b.skip(W, 8)?;
        let mut properties = Vec::new();
        while !b.is_empty() {
            properties.push(QueueProp::decode(&mut b)?);
        }
        Ok(PacketQueue {
            queue_id,
            port,
            properties,
        })
    }

    fn encode(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        buf.put_u32(self.queue_id);
        buf.put_u32(self.port.0);
        let len = LenPatch::new(start, 8);
        buf.put_u16(0);
        buf.put_bytes(0, 6);
        for p in &self.properties {
            p.encode(buf);
        }
        len.finish(buf);
    }
}

/// A QUEUE_GET_CONFIG_REPLY body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct QueueConfig {
    /// The port asked about.
    pub port: PortNo,
    /// Its queues.
    pub queues: Vec<PacketQueue>,
}

impl QueueConfig {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let port = PortNo(r.u32("queue config")?);
        r.skip("queue config", 4)?;
        let mut queues = Vec::new();
        while !r.is_empty() {
            queues.push(PacketQueue::decode(r)?);
        }
        Ok(QueueConfig { port, queues })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u32(self.port.0);
        buf.put_bytes(0, 4);
        self.queues.iter().for_each(|q| q.encode(buf))
    }
}

impl fmt::Display for QueueConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "port={}", self.port)?;
        for q in &self.queues {
            write!(f, " queue {}:", q.queue_id)?;
            for p in &q.properties {
                write!(f, " {p}")?;
            }
        }
        Ok(())
    }
}
