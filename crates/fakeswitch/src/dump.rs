//! The switch's state as text (for snapshots and failure messages) and as a hash (to compare
//! states cheaply, e.g. "applying the same batch twice changes nothing").

use std::fmt;

use sluice_ofp::msg::multipart::{GroupDesc, MeterConfig};

use crate::{FakeSwitch, FlowEntry};

/// One flow as `ovs-ofctl --no-stats dump-flows` lays it out (with this codec's field
/// names): ` cookie=0x1, table=0, idle_timeout=10, priority=9000,in_port=1 actions=...`.
pub(crate) fn flow_line(e: &FlowEntry) -> String {
    let mut s = format!(" cookie={:#x}, table={}, ", e.cookie, e.table_id);
    if e.idle_timeout != 0 {
        s += &format!("idle_timeout={}, ", e.idle_timeout);
    }
    if e.hard_timeout != 0 {
        s += &format!("hard_timeout={}, ", e.hard_timeout);
    }
    if !e.flags.is_empty() {
        s += &format!("flags={}, ", e.flags);
    }
    s += &format!("priority={}", e.priority);
    if !e.match_.is_empty() {
        s += &format!(",{}", e.match_);
    }
    let ins: Vec<String> = e.instructions.iter().map(|i| i.to_string()).collect();
    s += " actions=";
    s += &if ins.is_empty() {
        "drop".to_string()
    } else {
        ins.join(",")
    };
    s
}

impl FakeSwitch {
    /// The flows, one line each, table by table in lookup order (priority descending; equal
    /// priorities in a fixed order of their matches).
    pub fn dump_flows(&self) -> String {
        let mut out = String::new();
        for e in self.flows() {
            out += &flow_line(e);
            out.push('\n');
        }
        out
    }

    /// The groups, one line each, by id.
    pub fn dump_groups(&self) -> String {
        let mut out = String::new();
        for g in self.groups() {
            let d = GroupDesc {
                group_type: g.group_type,
                group_id: g.group_id,
                buckets: g.buckets.clone(),
            };
            out += &format!(" {d}\n");
        }
        out
    }

    /// The meters, one line each, by id.
    pub fn dump_meters(&self) -> String {
        let mut out = String::new();
        for m in self.meters() {
            let c = MeterConfig {
                flags: m.flags,
                meter_id: m.meter_id,
                bands: m.bands.clone(),
            };
            out += &format!(" {c}\n");
        }
        out
    }

    /// A hash of the flows, groups and meters (everything [`Display`](fmt::Display) shows:
    /// not counters, durations or ports). Equal states have equal hashes, across runs and
    /// builds (FNV-1a of the dump).
    pub fn state_hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.to_string().bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    }
}

impl fmt::Display for FakeSwitch {
    /// The flows (as [`FakeSwitch::dump_flows`]), then `groups:` and `meters:` sections when
    /// there are any.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.dump_flows())?;
        if !self.groups.is_empty() {
            writeln!(f, "groups:")?;
            f.write_str(&self.dump_groups())?;
        }
        if !self.meters.is_empty() {
            writeln!(f, "meters:")?;
            f.write_str(&self.dump_meters())?;
        }
        Ok(())
    }
}
