//! Statistics bodies of MULTIPART requests and replies (OpenFlow 1.3.5 §7.3.5): DESC, FLOW,
//! AGGREGATE, TABLE, PORT_STATS, QUEUE, GROUP, GROUP_DESC, GROUP_FEATURES, METER,
//! METER_CONFIG and METER_FEATURES.

use std::fmt;

use crate::codec::{FixedStr, LenPatch, Put, Reader};
use crate::error::DecodeError;
use crate::instruction::{Instruction, decode_instructions, encode_instructions, fmt_instructions};
use crate::msg::flow::{FlowModFlags, OFPG_ANY, OFPTT_ALL};
use crate::msg::group::{Bucket, GroupType, decode_buckets, encode_buckets, fmt_buckets};
use crate::msg::meter::{
    MeterBand, MeterFlags, decode_bands, encode_bands, fmt_bands, fmt_meter_id,
};
use crate::oxm::Match;
use crate::port::PortNo;

/// Reads a structure whose first field is its `u16` length (at `len_offset`), returning a
/// reader over exactly that structure.
fn sized<'a>(
    r: &mut Reader<'a>,
    what: &'static str,
    len_offset: usize,
    min: usize,
) -> Result<Reader<'a>, DecodeError> {
    let start = r.offset();
    let mut peek = r.clone();
    peek.skip(what, len_offset)?;
    let len = usize::from(peek.u16(what)?);
    if len < min {
        return Err(DecodeError::BadLength {
            what,
            len,
            offset: start,
        });
    }
    r.sub(what, len)
}

/// Switch description (`struct ofp_desc`), the DESC reply.
///
/// ```text
/// | mfr_desc (256) | hw_desc (256) | sw_desc (256) | serial_num (32) | dp_desc (256) |
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Desc {
    /// Manufacturer description.
    pub mfr_desc: FixedStr<256>,
    /// Hardware description.
    pub hw_desc: FixedStr<256>,
    /// Software description.
    pub sw_desc: FixedStr<256>,
    /// Serial number.
    pub serial_num: FixedStr<32>,
    /// Human-readable description of the datapath.
    pub dp_desc: FixedStr<256>,
}

impl Desc {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_desc";
        Ok(Desc {
            mfr_desc: FixedStr(r.array(W)?),
            hw_desc: FixedStr(r.array(W)?),
            sw_desc: FixedStr(r.array(W)?),
            serial_num: FixedStr(r.array(W)?),
            dp_desc: FixedStr(r.array(W)?),
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_slice(&self.mfr_desc.0);
        buf.put_slice(&self.hw_desc.0);
        buf.put_slice(&self.sw_desc.0);
        buf.put_slice(&self.serial_num.0);
        buf.put_slice(&self.dp_desc.0);
    }
}

impl fmt::Display for Desc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mfr_desc=\"{}\" hw_desc=\"{}\" sw_desc=\"{}\" serial_num=\"{}\" dp_desc=\"{}\"",
            self.mfr_desc, self.hw_desc, self.sw_desc, self.serial_num, self.dp_desc
        )
    }
}

/// A FLOW or AGGREGATE request body (`struct ofp_flow_stats_request`).
///
/// ```text
/// | table_id (8) | pad (24) | out_port (32) | out_group (32) | pad (32) |
/// | cookie (64) | cookie_mask (64) | match |
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct FlowStatsRequest {
    /// The table, or `OFPTT_ALL`.
    pub table_id: u8,
    /// Only flows that output to this port (`ANY` for all).
    pub out_port: PortNo,
    /// Only flows that output to this group (`OFPG_ANY` for all).
    pub out_group: u32,
    /// Only flows whose cookie matches under `cookie_mask`.
    pub cookie: u64,
    /// Cookie bits to compare.
    pub cookie_mask: u64,
    /// Only flows that this match covers.
    pub match_: Match,
}

impl Default for FlowStatsRequest {
    /// Every flow in every table.
    fn default() -> Self {
        FlowStatsRequest {
            table_id: OFPTT_ALL,
            out_port: PortNo::ANY,
            out_group: OFPG_ANY,
            cookie: 0,
            cookie_mask: 0,
            match_: Match::new(),
        }
    }
}

impl FlowStatsRequest {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_flow_stats_request";
        let table_id = r.u8(W)?;
        r.skip(W, 3)?;
        let out_port = PortNo(r.u32(W)?);
        let out_group = r.u32(W)?;
        r.skip(W, 4)?;
        Ok(FlowStatsRequest {
            table_id,
            out_port,
            out_group,
            cookie: r.u64(W)?,
            cookie_mask: r.u64(W)?,
            match_: Match::decode(r)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u8(self.table_id);
        buf.put_bytes(0, 3);
        buf.put_u32(self.out_port.0);
        buf.put_u32(self.out_group);
        buf.put_bytes(0, 4);
        buf.put_u64(self.cookie);
        buf.put_u64(self.cookie_mask);
        self.match_.encode(buf)
    }
}

impl fmt::Display for FlowStatsRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.table_id == OFPTT_ALL {
            f.write_str("table:all")?;
        } else {
            write!(f, "table:{}", self.table_id)?;
        }
        if self.out_port != PortNo::ANY {
            write!(f, " out_port:{}", self.out_port)?;
        }
        if self.out_group != OFPG_ANY {
            write!(f, " out_group:{}", self.out_group)?;
        }
        if self.cookie_mask != 0 {
            write!(f, " cookie:{:#x}/{:#x}", self.cookie, self.cookie_mask)?;
        }
        write!(f, " {}", self.match_)
    }
}

/// One flow in a FLOW reply (`struct ofp_flow_stats`).
///
/// ```text
/// | length (16) | table_id (8) | pad (8) | duration_sec (32) | duration_nsec (32) |
/// | priority (16) | idle_timeout (16) | hard_timeout (16) | flags (16) | pad (32) |
/// | cookie (64) | packet_count (64) | byte_count (64) | match | instructions |
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct FlowStats {
    /// The flow's table.
    pub table_id: u8,
    /// Time alive, seconds.
    pub duration_sec: u32,
    /// Time alive, nanoseconds beyond `duration_sec`.
    pub duration_nsec: u32,
    /// Priority.
    pub priority: u16,
    /// Idle timeout.
    pub idle_timeout: u16,
    /// Hard timeout.
    pub hard_timeout: u16,
    /// Flags.
    pub flags: FlowModFlags,
    /// Cookie.
    pub cookie: u64,
    /// Packets matched.
    pub packet_count: u64,
    /// Bytes matched.
    pub byte_count: u64,
    /// The match.
    pub match_: Match,
    /// The instructions.
    pub instructions: Vec<Instruction>,
}

impl FlowStats {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_flow_stats";
        let mut b = sized(r, W, 0, 56)?;
        b.skip(W, 2)?;
        let table_id = b.u8(W)?;
        b.skip(W, 1)?;
        let duration_sec = b.u32(W)?;
        let duration_nsec = b.u32(W)?;
        let priority = b.u16(W)?;
        let idle_timeout = b.u16(W)?;
        let hard_timeout = b.u16(W)?;
        let flags = FlowModFlags::from_bits_retain(b.u16(W)?);
        b.skip(W, 4)?;
        let cookie = b.u64(W)?;
        let packet_count = b.u64(W)?;
        let byte_count = b.u64(W)?;
        let match_ = Match::decode(&mut b)?;
        Ok(FlowStats {
            table_id,
            duration_sec,
            duration_nsec,
            priority,
            idle_timeout,
            hard_timeout,
            flags,
            cookie,
            packet_count,
            byte_count,
            match_,
            instructions: decode_instructions(b)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        let len = LenPatch::new(buf.len(), 0);
        buf.put_u16(0);
        buf.put_u8(self.table_id);
        buf.put_u8(0);
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
        buf.put_u16(self.priority);
        buf.put_u16(self.idle_timeout);
        buf.put_u16(self.hard_timeout);
        buf.put_u16(self.flags.bits());
        buf.put_bytes(0, 4);
        buf.put_u64(self.cookie);
        buf.put_u64(self.packet_count);
        buf.put_u64(self.byte_count);
        self.match_.encode(buf);
        encode_instructions(&self.instructions, buf);
        len.finish(buf);
    }
}

impl fmt::Display for FlowStats {
    /// One line in `ovs-ofctl dump-flows` style.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cookie={:#x}, duration={}.{:03}s, table={}, n_packets={}, n_bytes={}, ",
            self.cookie,
            self.duration_sec,
            self.duration_nsec / 1_000_000,
            self.table_id,
            self.packet_count,
            self.byte_count
        )?;
        if self.idle_timeout != 0 {
            write!(f, "idle_timeout={}, ", self.idle_timeout)?;
        }
        if self.hard_timeout != 0 {
            write!(f, "hard_timeout={}, ", self.hard_timeout)?;
        }
        if !self.flags.is_empty() {
            write!(f, "flags={}, ", self.flags)?;
        }
        write!(f, "priority={},{} actions=", self.priority, self.match_)?;
        fmt_instructions(f, &self.instructions)
    }
}

/// The AGGREGATE reply (`struct ofp_aggregate_stats_reply`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AggregateStats {
    /// Packets matched by the flows.
    pub packet_count: u64,
    /// Bytes matched by the flows.
    pub byte_count: u64,
    /// Number of flows.
    pub flow_count: u32,
}

impl AggregateStats {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_aggregate_stats_reply";
        let s = AggregateStats {
            packet_count: r.u64(W)?,
            byte_count: r.u64(W)?,
            flow_count: r.u32(W)?,
        };
        r.skip(W, 4)?;
        Ok(s)
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u64(self.packet_count);
        buf.put_u64(self.byte_count);
        buf.put_u32(self.flow_count);
        buf.put_bytes(0, 4);
    }
}

impl fmt::Display for AggregateStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "packet_count={} byte_count={} flow_count={}",
            self.packet_count, self.byte_count, self.flow_count
        )
    }
}

/// One table in a TABLE reply (`struct ofp_table_stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct TableStats {
    /// The table.
    pub table_id: u8,
    /// Flows in it.
    pub active_count: u32,
    /// Packets looked up in it.
    pub lookup_count: u64,
    /// Packets that hit a flow.
    pub matched_count: u64,
}

impl TableStats {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_table_stats";
        let table_id = r.u8(W)?;
        r.skip(W, 3)?;
        Ok(TableStats {
            table_id,
            active_count: r.u32(W)?,
            lookup_count: r.u64(W)?,
            matched_count: r.u64(W)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u8(self.table_id);
        buf.put_bytes(0, 3);
        buf.put_u32(self.active_count);
        buf.put_u64(self.lookup_count);
        buf.put_u64(self.matched_count);
    }
}

impl fmt::Display for TableStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "table {}: active={} lookup={} matched={}",
            self.table_id, self.active_count, self.lookup_count, self.matched_count
        )
    }
}

/// One port in a PORT_STATS reply (`struct ofp_port_stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PortStats {
    /// The port.
    pub port_no: PortNo,
    /// Packets received.
    pub rx_packets: u64,
    /// Packets transmitted.
    pub tx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes transmitted.
    pub tx_bytes: u64,
    /// Packets dropped by RX.
    pub rx_dropped: u64,
    /// Packets dropped by TX.
    pub tx_dropped: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Transmit errors.
    pub tx_errors: u64,
    /// Frame alignment errors.
    pub rx_frame_err: u64,
    /// Packets with RX overrun.
    pub rx_over_err: u64,
    /// CRC errors.
    pub rx_crc_err: u64,
    /// Collisions.
    pub collisions: u64,
    /// Time the port has been alive, seconds.
    pub duration_sec: u32,
    /// Time alive, nanoseconds beyond `duration_sec`.
    pub duration_nsec: u32,
}

impl PortStats {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_port_stats";
        let port_no = PortNo(r.u32(W)?);
        r.skip(W, 4)?;
        Ok(PortStats {
            port_no,
            rx_packets: r.u64(W)?,
            tx_packets: r.u64(W)?,
            rx_bytes: r.u64(W)?,
            tx_bytes: r.u64(W)?,
            rx_dropped: r.u64(W)?,
            tx_dropped: r.u64(W)?,
            rx_errors: r.u64(W)?,
            tx_errors: r.u64(W)?,
            rx_frame_err: r.u64(W)?,
            rx_over_err: r.u64(W)?,
            rx_crc_err: r.u64(W)?,
            collisions: r.u64(W)?,
            duration_sec: r.u32(W)?,
            duration_nsec: r.u32(W)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u32(self.port_no.0);
        buf.put_bytes(0, 4);
        for v in [
            self.rx_packets,
            self.tx_packets,
            self.rx_bytes,
            self.tx_bytes,
            self.rx_dropped,
            self.tx_dropped,
            self.rx_errors,
            self.tx_errors,
            self.rx_frame_err,
            self.rx_over_err,
            self.rx_crc_err,
            self.collisions,
        ] {
            buf.put_u64(v);
        }
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
    }
}

impl fmt::Display for PortStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "port {}: rx pkts={} bytes={} drop={} errs={} frame={} over={} crc={} tx pkts={} bytes={} drop={} errs={} coll={} duration={}s",
            self.port_no,
            self.rx_packets,
            self.rx_bytes,
            self.rx_dropped,
            self.rx_errors,
            self.rx_frame_err,
            self.rx_over_err,
            self.rx_crc_err,
            self.tx_packets,
            self.tx_bytes,
            self.tx_dropped,
            self.tx_errors,
            self.collisions,
            self.duration_sec
        )
    }
}

/// One queue in a QUEUE reply (`struct ofp_queue_stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct QueueStats {
    /// The port.
    pub port_no: PortNo,
    /// The queue.
    pub queue_id: u32,
    /// Bytes transmitted.
    pub tx_bytes: u64,
    /// Packets transmitted.
    pub tx_packets: u64,
    /// Packets dropped because of overrun.
    pub tx_errors: u64,
    /// Time alive, seconds.
    pub duration_sec: u32,
    /// Time alive, nanoseconds beyond `duration_sec`.
    pub duration_nsec: u32,
}

impl QueueStats {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_queue_stats";
        Ok(QueueStats {
            port_no: PortNo(r.u32(W)?),
            queue_id: r.u32(W)?,
            tx_bytes: r.u64(W)?,
            tx_packets: r.u64(W)?,
            tx_errors: r.u64(W)?,
            duration_sec: r.u32(W)?,
            duration_nsec: r.u32(W)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u32(self.port_no.0);
        buf.put_u32(self.queue_id);
        buf.put_u64(self.tx_bytes);
        buf.put_u64(self.tx_packets);
        buf.put_u64(self.tx_errors);
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
    }
}

impl fmt::Display for QueueStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "port {} queue {}: bytes={} pkts={} errors={} duration={}s",
            self.port_no,
            self.queue_id,
            self.tx_bytes,
            self.tx_packets,
            self.tx_errors,
            self.duration_sec
        )
    }
}

/// Packet and byte counters of one group bucket or meter band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Counters {
    /// Packets.
    pub packet_count: u64,
    /// Bytes.
    pub byte_count: u64,
}

fn decode_counters(mut r: Reader<'_>, what: &'static str) -> Result<Vec<Counters>, DecodeError> {
    let mut out = Vec::with_capacity(r.remaining() / 16);
    while !r.is_empty() {
        out.push(Counters {
            packet_count: r.u64(what)?,
            byte_count: r.u64(what)?,
        });
    }
    Ok(out)
}

fn encode_counters(list: &[Counters], buf: &mut Vec<u8>) {
    for c in list {
        buf.put_u64(c.packet_count);
        buf.put_u64(c.byte_count);
    }
}

/// One group in a GROUP reply (`struct ofp_group_stats`).
///
/// ```text
/// | length (16) | pad (16) | group_id (32) | ref_count (32) | pad (32) |
/// | packet_count (64) | byte_count (64) | duration_sec (32) | duration_nsec (32) |
/// | bucket_stats: packet_count (64), byte_count (64) ... |
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct GroupStats {
    /// The group.
    pub group_id: u32,
    /// Flows and groups that forward to it.
    pub ref_count: u32,
    /// Packets processed by the group.
    pub packet_count: u64,
    /// Bytes processed by the group.
    pub byte_count: u64,
    /// Time alive, seconds.
    pub duration_sec: u32,
    /// Time alive, nanoseconds beyond `duration_sec`.
    pub duration_nsec: u32,
    /// Per-bucket counters.
    pub bucket_stats: Vec<Counters>,
}

impl GroupStats {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_group_stats";
        let mut b = sized(r, W, 0, 40)?;
        b.skip(W, 4)?;
        let group_id = b.u32(W)?;
        let ref_count = b.u32(W)?;
        b.skip(W, 4)?;
        Ok(GroupStats {
            group_id,
            ref_count,
            packet_count: b.u64(W)?,
            byte_count: b.u64(W)?,
            duration_sec: b.u32(W)?,
            duration_nsec: b.u32(W)?,
            bucket_stats: decode_counters(b, W)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        let len = LenPatch::new(buf.len(), 0);
        buf.put_u16(0);
        buf.put_bytes(0, 2);
        buf.put_u32(self.group_id);
        buf.put_u32(self.ref_count);
        buf.put_bytes(0, 4);
        buf.put_u64(self.packet_count);
        buf.put_u64(self.byte_count);
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
        encode_counters(&self.bucket_stats, buf);
        len.finish(buf);
    }
}

impl fmt::Display for GroupStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "group_id={},duration={}s,ref_count={},packet_count={},byte_count={}",
            self.group_id, self.duration_sec, self.ref_count, self.packet_count, self.byte_count
        )?;
        for (i, c) in self.bucket_stats.iter().enumerate() {
            write!(
                f,
                ",bucket{i}:packet_count={},byte_count={}",
                c.packet_count, c.byte_count
            )?;
        }
        Ok(())
    }
}

/// One group in a GROUP_DESC reply (`struct ofp_group_desc`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct GroupDesc {
    /// The group's type.
    pub group_type: GroupType,
    /// The group.
    pub group_id: u32,
    /// Its buckets.
    pub buckets: Vec<Bucket>,
}

impl GroupDesc {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_group_desc";
        let mut b = sized(r, W, 0, 8)?;
        b.skip(W, 2)?;
        let group_type = b.u8(W)?.into();
        b.skip(W, 1)?;
        let group_id = b.u32(W)?;
        Ok(GroupDesc {
            group_type,
            group_id,
            buckets: decode_buckets(b)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        let len = LenPatch::new(buf.len(), 0);
        buf.put_u16(0);
        buf.put_u8(self.group_type.into());
        buf.put_u8(0);
        buf.put_u32(self.group_id);
        encode_buckets(&self.buckets, buf);
        len.finish(buf);
    }
}

impl fmt::Display for GroupDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "group_id={},type={}", self.group_id, self.group_type)?;
        fmt_buckets(f, &self.buckets)
    }
}

/// The GROUP_FEATURES reply (`struct ofp_group_features`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct GroupFeatures {
    /// Bitmap of supported group types (`1 << type`).
    pub types: u32,
    /// Bitmap of `OFPGFC_*` capabilities.
    pub capabilities: u32,
    /// Maximum number of groups of each type.
    pub max_groups: [u32; 4],
    /// Bitmaps of actions supported by each type (`1 << action type`).
    pub actions: [u32; 4],
}

impl GroupFeatures {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_group_features";
        let types = r.u32(W)?;
        let capabilities = r.u32(W)?;
        let mut max_groups = [0u32; 4];
        for m in &mut max_groups {
            *m = r.u32(W)?;
        }
        let mut actions = [0u32; 4];
        for a in &mut actions {
            *a = r.u32(W)?;
        }
        Ok(GroupFeatures {
            types,
            capabilities,
            max_groups,
            actions,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u32(self.types);
        buf.put_u32(self.capabilities);
        for v in self.max_groups.iter().chain(&self.actions) {
            buf.put_u32(*v);
        }
    }
}

impl fmt::Display for GroupFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "types={:#x} capabilities={:#x} max_groups={:?} actions={:x?}",
            self.types, self.capabilities, self.max_groups, self.actions
        )
    }
}

/// One meter in a METER reply (`struct ofp_meter_stats`).
///
/// ```text
/// | meter_id (32) | len (16) | pad (48) | flow_count (32) | packet_in_count (64) |
/// | byte_in_count (64) | duration_sec (32) | duration_nsec (32) | band_stats ... |
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MeterStats {
    /// The meter.
    pub meter_id: u32,
    /// Flows bound to it.
    pub flow_count: u32,
    /// Packets into it.
    pub packet_in_count: u64,
    /// Bytes into it.
    pub byte_in_count: u64,
    /// Time alive, seconds.
    pub duration_sec: u32,
    /// Time alive, nanoseconds beyond `duration_sec`.
    pub duration_nsec: u32,
    /// Per-band counters.
    pub band_stats: Vec<Counters>,
}

impl MeterStats {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_meter_stats";
        let mut b = sized(r, W, 4, 40)?;
        let meter_id = b.u32(W)?;
        b.skip(W, 8)?;
        Ok(MeterStats {
            meter_id,
            flow_count: b.u32(W)?,
            packet_in_count: b.u64(W)?,
            byte_in_count: b.u64(W)?,
            duration_sec: b.u32(W)?,
            duration_nsec: b.u32(W)?,
            band_stats: decode_counters(b, W)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        buf.put_u32(self.meter_id);
        let len = LenPatch::new(start, 4);
        buf.put_u16(0);
        buf.put_bytes(0, 6);
        buf.put_u32(self.flow_count);
        buf.put_u64(self.packet_in_count);
        buf.put_u64(self.byte_in_count);
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
        encode_counters(&self.band_stats, buf);
        len.finish(buf);
    }
}

impl fmt::Display for MeterStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("meter:")?;
        fmt_meter_id(f, self.meter_id)?;
        write!(
            f,
            " flow_count:{} packet_in_count:{} byte_in_count:{} duration:{}s bands:",
            self.flow_count, self.packet_in_count, self.byte_in_count, self.duration_sec
        )?;
        for (i, c) in self.band_stats.iter().enumerate() {
            write!(
                f,
                " {i}: packet_count:{} byte_count:{}",
                c.packet_count, c.byte_count
            )?;
        }
        Ok(())
    }
}

/// One meter in a METER_CONFIG reply (`struct ofp_meter_config`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MeterConfig {
    /// Flags.
    pub flags: MeterFlags,
    /// The meter.
    pub meter_id: u32,
    /// Its bands.
    pub bands: Vec<MeterBand>,
}

impl MeterConfig {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_meter_config";
        let mut b = sized(r, W, 0, 8)?;
        b.skip(W, 2)?;
        let flags = MeterFlags::from_bits_retain(b.u16(W)?);
        let meter_id = b.u32(W)?;
        Ok(MeterConfig {
            flags,
            meter_id,
            bands: decode_bands(b)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        let len = LenPatch::new(buf.len(), 0);
        buf.put_u16(0);
        buf.put_u16(self.flags.bits());
        buf.put_u32(self.meter_id);
        encode_bands(&self.bands, buf);
        len.finish(buf);
    }
}

impl fmt::Display for MeterConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("meter=")?;
        fmt_meter_id(f, self.meter_id)?;
        write!(f, " flags={}", self.flags)?;
        fmt_bands(f, &self.bands)
    }
}

/// The METER_FEATURES reply (`struct ofp_meter_features`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MeterFeatures {
    /// Maximum number of meters.
    pub max_meter: u32,
    /// Bitmap of supported band types (`1 << type`).
    pub band_types: u32,
    /// Bitmap of supported meter flags (`MeterFlags` bits, in a 32-bit field).
    pub capabilities: u32,
    /// Maximum bands per meter.
    pub max_bands: u8,
    /// Maximum colour value.
    pub max_color: u8,
}

impl MeterFeatures {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_meter_features";
        let s = MeterFeatures {
            max_meter: r.u32(W)?,
            band_types: r.u32(W)?,
            capabilities: r.u32(W)?,
            max_bands: r.u8(W)?,
            max_color: r.u8(W)?,
        };
        r.skip(W, 2)?;
        Ok(s)
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u32(self.max_meter);
        buf.put_u32(self.band_types);
        buf.put_u32(self.capabilities);
        buf.put_u8(self.max_bands);
        buf.put_u8(self.max_color);
        buf.put_bytes(0, 2);
    }
}

impl fmt::Display for MeterFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "max_meter:{} band_types:{:#x} capabilities:{:#x} max_bands:{} max_color:{}",
            self.max_meter, self.band_types, self.capabilities, self.max_bands, self.max_color
        )
    }
}
