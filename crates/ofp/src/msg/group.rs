//! GROUP_MOD and group buckets (OpenFlow 1.3.5 §7.3.4.2).
//!
//! ```text
//! struct ofp_group_mod: | command (16) | type (8) | pad (8) | group_id (32) | buckets ... |
//! struct ofp_bucket:    | len (16) | weight (16) | watch_port (32) | watch_group (32) |
//!                       | pad (32) | actions ... |
//! ```

use std::fmt;

use crate::action::{Action, decode_actions, encode_actions, fmt_actions};
use crate::codec::{LenPatch, Put, Reader};
use crate::error::DecodeError;
use crate::macros::open_enum;
use crate::msg::flow::OFPG_ANY;
use crate::port::PortNo;

open_enum! {
    /// What a GROUP_MOD does (`enum ofp_group_mod_command`).
    pub enum GroupModCommand: u16 {
        /// New group.
        Add = 0 => "ADD",
        /// Modify all matching groups.
        Modify = 1 => "MODIFY",
        /// Delete all matching groups.
        Delete = 2 => "DELETE",
    }
}

open_enum! {
    /// Group types (`enum ofp_group_type`).
    pub enum GroupType: u8 {
        /// All buckets: multicast and broadcast.
        All = 0 => "all",
        /// One bucket chosen by the switch: multipath.
        Select = 1 => "select",
        /// Indirect: the one bucket.
        Indirect = 2 => "indirect",
        /// The first live bucket: fast failover.
        FastFailover = 3 => "ff",
    }
}

/// A group bucket (`struct ofp_bucket`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Bucket {
    /// Relative weight, for select groups.
    pub weight: u16,
    /// Port whose liveness decides the bucket's, for fast-failover groups.
    pub watch_port: PortNo,
    /// Group whose liveness decides the bucket's, for fast-failover groups.
    pub watch_group: u32,
    /// The actions.
    pub actions: Vec<Action>,
}

impl Bucket {
    /// A bucket with only actions (no weight or watch).
    pub fn new(actions: Vec<Action>) -> Self {
        Bucket {
            weight: 0,
            watch_port: PortNo::ANY,
            watch_group: OFPG_ANY,
            actions,
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_bucket";
        let start = r.offset();
        let len = usize::from(r.clone().u16(W)?);
        if len < 16 {
            return Err(DecodeError::BadLength {
                what: W,
                len,
                offset: start,
            });
        }
        let mut b = r.sub(W, len)?;
        b.skip(W, 2)?;
        let weight = b.u16(W)?;
        let watch_port = PortNo(b.u32(W)?);
        let watch_group = b.u32(W)?;
        b.skip(W, 4)?;
        Ok(Bucket {
            weight,
            watch_port,
            watch_group,
            actions: decode_actions(b)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        let len = LenPatch::new(buf.len(), 0);
        buf.put_u16(0);
        buf.put_u16(self.weight);
        buf.put_u32(self.watch_port.0);
        buf.put_u32(self.watch_group);
        buf.put_bytes(0, 4);
        encode_actions(&self.actions, buf);
        len.finish(buf);
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bucket=")?;
        if self.weight != 0 {
            write!(f, "weight:{},", self.weight)?;
        }
        if self.watch_port != PortNo::ANY {
            write!(f, "watch_port:{},", self.watch_port)?;
        }
        if self.watch_group != OFPG_ANY {
            write!(f, "watch_group:{},", self.watch_group)?;
        }
        f.write_str("actions=")?;
        fmt_actions(f, &self.actions)
    }
}

/// Decodes buckets until the reader is empty.
pub(crate) fn decode_buckets(mut r: Reader<'_>) -> Result<Vec<Bucket>, DecodeError> {
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(Bucket::decode(&mut r)?);
    }
    Ok(out)
}

/// Appends buckets.
pub(crate) fn encode_buckets(buckets: &[Bucket], buf: &mut Vec<u8>) {
    buckets.iter().for_each(|b| b.encode(buf))
}

/// Writes buckets separated by commas.
pub(crate) fn fmt_buckets(f: &mut fmt::Formatter<'_>, buckets: &[Bucket]) -> fmt::Result {
    for b in buckets {
        write!(f, ",{b}")?;
    }
    Ok(())
}

/// A GROUP_MOD message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct GroupMod {
    /// What to do.
    pub command: GroupModCommand,
    /// The group's type.
    pub group_type: GroupType,
    /// The group id (`OFPG_ALL` in deletes for every group).
    pub group_id: u32,
    /// The buckets.
    pub buckets: Vec<Bucket>,
}

impl GroupMod {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const W: &str = "ofp_group_mod";
        let command = r.u16(W)?.into();
        let group_type = r.u8(W)?.into();
        r.skip(W, 1)?;
        let group_id = r.u32(W)?;
        let rest = r.remaining();
        Ok(GroupMod {
            command,
            group_type,
            group_id,
            buckets: decode_buckets(r.sub(W, rest)?)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.put_u16(self.command.into());
        buf.put_u8(self.group_type.into());
        buf.put_u8(0);
        buf.put_u32(self.group_id);
        encode_buckets(&self.buckets, buf)
    }
}

impl fmt::Display for GroupMod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} group_id={},type={}",
            self.command, self.group_id, self.group_type
        )?;
        fmt_buckets(f, &self.buckets)
    }
}
