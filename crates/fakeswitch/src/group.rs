//! The group table and GROUP_MOD (OpenFlow 1.3.5 §5.6 group table, §6.5 "Group Table
//! Modification Messages", §7.3.4.2 the message).
//!
//! Checks, in Open vSwitch's order: the buckets' actions as they decode; no buckets in a
//! delete ("OF1.3.5+ prescribes an error", `OFPGMFC_INVALID_GROUP`); the group type
//! (`OFPGMFC_BAD_TYPE`); exactly one bucket in an indirect group (`OFPGMFC_INVALID_GROUP`);
//! the command (`OFPGMFC_BAD_COMMAND`); weights only in select groups
//! (`OFPGMFC_INVALID_GROUP`); watches only in select and fast-failover groups
//! (`OFPGMFC_WATCH_UNSUPPORTED`), and a watch on every fast-failover bucket
//! (`OFPGMFC_INVALID_GROUP`); then ADD of an existing group (`OFPGMFC_GROUP_EXISTS`), MODIFY
//! of a missing one (`OFPGMFC_UNKNOWN_GROUP`), and a group id above `OFPG_MAX`
//! (`OFPGMFC_INVALID_GROUP`). Deleting a missing group is not an error; deleting a group
//! removes the flows that use it (reason `OFPRR_GROUP_DELETE`), as Open vSwitch does.
//!
//! [`Strictness::Spec`] adds §6.5's chaining rules, which Open vSwitch does not enforce: a
//! bucket may only forward to (or watch) an existing group, no chain may loop back
//! (`OFPGMFC_LOOP`), and a group another group forwards to cannot be deleted
//! (`OFPGMFC_CHAINED_GROUP`), as well as the port checks of flows.

use std::collections::BTreeMap;
use std::time::Duration;

use sluice_ofp::msg::error::GroupModFailedCode;
use sluice_ofp::msg::flow::{OFPG_ALL, OFPG_ANY};
use sluice_ofp::msg::group::{Bucket, GroupMod, GroupModCommand, GroupType};
use sluice_ofp::msg::multipart::Counters;
use sluice_ofp::{Action, Message, OfError, PortNo};

use crate::error::{Rejection, reject};
use crate::flow::REASON_GROUP_DELETE;
use crate::validate::{Known, Phase, Source};
use crate::{FakeSwitch, Strictness};

/// `OFPG_MAX`: the last usable group id.
pub const OFPG_MAX: u32 = 0xffff_ff00;

/// How deep group chains are followed (Open vSwitch's translation depth limit).
pub(crate) const MAX_GROUP_DEPTH: usize = 32;

/// A group in the group table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Its id.
    pub group_id: u32,
    /// Its type.
    pub group_type: GroupType,
    /// Its buckets.
    pub buckets: Vec<Bucket>,
    /// Packets it processed (through [`FakeSwitch::receive`]).
    pub packet_count: u64,
    /// Bytes it processed.
    pub byte_count: u64,
    /// Per-bucket counters.
    pub bucket_counters: Vec<Counters>,
    /// When it was added.
    pub created: Duration,
}

impl Group {
    /// The groups its buckets forward to.
    pub fn chained_groups(&self) -> impl Iterator<Item = u32> + '_ {
        self.buckets.iter().flat_map(|b| {
            b.actions.iter().filter_map(|a| match a {
                Action::Group(g) => Some(*g),
                _ => None,
            })
        })
    }
}

fn has_watch(b: &Bucket) -> bool {
    b.watch_port != PortNo::ANY || b.watch_group != OFPG_ANY
}

impl FakeSwitch {
    /// The groups, by id.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// One group.
    pub fn group(&self, id: u32) -> Option<&Group> {
        self.groups.get(&id)
    }

    /// GROUP_MOD.
    pub(crate) fn group_mod(
        &mut self,
        now: Duration,
        gm: &GroupMod,
    ) -> Result<Vec<Message>, Rejection> {
        let err =
            |code: GroupModFailedCode, why: String| reject(OfError::GroupModFailed(code), why);
        for b in &gm.buckets {
            self.check_actions(
                b.actions.as_slice(),
                &mut Known::default(),
                Source::Bucket,
                Phase::Decode,
            )?;
            if (PortNo(0xff00)..PortNo::MAX).contains(&b.watch_port) || b.watch_port == PortNo::MAX
            {
                return err(
                    GroupModFailedCode::BadWatch,
                    format!("watch_port {}: outside the port number space", b.watch_port),
                );
            }
        }
        if gm.command == GroupModCommand::Delete && !gm.buckets.is_empty() {
            return err(
                GroupModFailedCode::InvalidGroup,
                "a group delete carries no buckets (§7.3.4.2)".into(),
            );
        }
        if let GroupType::Unknown(t) = gm.group_type {
            return err(
                GroupModFailedCode::BadType,
                format!("unknown group type {t}"),
            );
        }
        if gm.group_type == GroupType::Indirect
            && gm.command != GroupModCommand::Delete
            && gm.buckets.len() != 1
        {
            return err(
                GroupModFailedCode::InvalidGroup,
                format!(
                    "an indirect group has exactly one bucket, not {} (§5.6.1)",
                    gm.buckets.len()
                ),
            );
        }
        if let GroupModCommand::Unknown(c) = gm.command {
            return err(
                GroupModFailedCode::BadCommand,
                format!("unknown group command {c}"),
            );
        }
        for b in &gm.buckets {
            if b.weight != 0 && gm.group_type != GroupType::Select {
                return err(
                    GroupModFailedCode::InvalidGroup,
                    format!(
                        "weight {} in a {} group (only select groups weigh buckets)",
                        b.weight, gm.group_type
                    ),
                );
            }
            match gm.group_type {
                GroupType::All | GroupType::Indirect if has_watch(b) => {
                    return err(
                        GroupModFailedCode::WatchUnsupported,
                        format!("{} groups do not watch ports or groups", gm.group_type),
                    );
                }
                GroupType::FastFailover if !has_watch(b) => {
                    return err(
                        GroupModFailedCode::InvalidGroup,
                        "every fast-failover bucket watches a port or a group (§5.6.1)".into(),
                    );
                }
                _ => {}
            }
        }
        match gm.command {
            GroupModCommand::Add | GroupModCommand::Modify => {
                let exists = self.groups.contains_key(&gm.group_id);
                if gm.command == GroupModCommand::Add && exists {
                    return err(
                        GroupModFailedCode::GroupExists,
                        format!("group {} exists", gm.group_id),
                    );
                }
                if gm.command == GroupModCommand::Modify && !exists {
                    return err(
                        GroupModFailedCode::UnknownGroup,
                        format!("group {} does not exist", gm.group_id),
                    );
                }
                if gm.group_id > OFPG_MAX {
                    return err(
                        GroupModFailedCode::InvalidGroup,
                        format!("group id {:#x} is reserved (above OFPG_MAX)", gm.group_id),
                    );
                }
                if self.strictness == Strictness::Spec {
                    self.check_group_spec(gm)?;
                }
                let created = match self.groups.get(&gm.group_id) {
                    Some(g) => g.created,
                    None => now,
                };
                self.groups.insert(
                    gm.group_id,
                    Group {
                        group_id: gm.group_id,
                        group_type: gm.group_type,
                        buckets: gm.buckets.clone(),
                        packet_count: 0,
                        byte_count: 0,
                        bucket_counters: vec![Counters::default(); gm.buckets.len()],
                        created,
                    },
                );
                Ok(Vec::new())
            }
            _ => self.delete_groups(now, gm.group_id),
        }
    }

    /// [`Strictness::Spec`]'s extra checks on a group about to be added or modified.
    fn check_group_spec(&self, gm: &GroupMod) -> Result<(), Rejection> {
        for b in &gm.buckets {
            let mut known = Known::default();
            for phase in [Phase::Consistency, Phase::References] {
                self.check_actions(&b.actions, &mut known, Source::Bucket, phase)?;
            }
            self.check_watch_port(b.watch_port)?;
            if b.watch_group != OFPG_ANY && !self.groups.contains_key(&b.watch_group) {
                return reject(
                    OfError::GroupModFailed(GroupModFailedCode::BadWatch),
                    format!("watch_group {} does not exist", b.watch_group),
                );
            }
        }
        // §6.5: "...the switch must return an OFPGMFC_LOOP error" if the new buckets reach
        // the group again.
        let mut stack: Vec<(u32, usize)> = gm
            .buckets
            .iter()
            .flat_map(|b| b.actions.iter())
            .filter_map(|a| match a {
                Action::Group(g) => Some((*g, 1)),
                _ => None,
            })
            .collect();
        while let Some((g, depth)) = stack.pop() {
            if g == gm.group_id {
                return reject(
                    OfError::GroupModFailed(GroupModFailedCode::Loop),
                    format!("group {} would forward to itself", gm.group_id),
                );
            }
            if depth > MAX_GROUP_DEPTH {
                continue;
            }
            if let Some(next) = self.groups.get(&g) {
                stack.extend(next.chained_groups().map(|n| (n, depth + 1)));
            }
        }
        Ok(())
    }

    /// DELETE of one group or `OFPG_ALL`, with the flows that use them.
    fn delete_groups(&mut self, now: Duration, id: u32) -> Result<Vec<Message>, Rejection> {
        let doomed: Vec<u32> = if id == OFPG_ALL {
            self.groups.keys().copied().collect()
        } else if self.groups.contains_key(&id) {
            vec![id]
        } else {
            // "If no group entry with the specified id exists, no error is recorded."
            return Ok(Vec::new());
        };
        if self.strictness == Strictness::Spec
            && let Some(user) = self.groups.values().find(|g| {
                !doomed.contains(&g.group_id) && g.chained_groups().any(|c| doomed.contains(&c))
            })
        {
            return reject(
                OfError::GroupModFailed(GroupModFailedCode::ChainedGroup),
                format!("group {} forwards to group {id}", user.group_id),
            );
        }
        let mut keys = Vec::new();
        for (t, table) in self.tables.iter().enumerate() {
            for (k, e) in &table.flows {
                if doomed.iter().any(|g| e.uses_group(*g)) {
                    keys.push((t as u8, k.clone()));
                }
            }
        }
        for g in &doomed {
            self.groups.remove(g);
        }
        Ok(self.remove_flows(&keys, now, REASON_GROUP_DELETE))
    }

    /// Whether a bucket is live (§5.6.1 fast failover): it watches nothing, or a live port,
    /// or a live group. Open vSwitch's rule, which counts either watch.
    pub(crate) fn bucket_is_live(&self, b: &Bucket, depth: usize) -> bool {
        if !has_watch(b) {
            return true;
        }
        (b.watch_port != PortNo::ANY && self.port_is_live(b.watch_port))
            || (b.watch_group != OFPG_ANY && self.group_is_live(b.watch_group, depth + 1))
    }

    /// Whether a group exists and has a live bucket.
    pub(crate) fn group_is_live(&self, id: u32, depth: usize) -> bool {
        depth <= MAX_GROUP_DEPTH
            && self
                .groups
                .get(&id)
                .is_some_and(|g| g.buckets.iter().any(|b| self.bucket_is_live(b, depth)))
    }

    /// Group ids and how many flows use each (for group statistics' `ref_count`).
    pub(crate) fn group_ref_counts(&self) -> BTreeMap<u32, u32> {
        let mut counts = BTreeMap::new();
        for e in self.flows() {
            for g in e.actions().filter_map(|a| match a {
                Action::Group(g) => Some(*g),
                _ => None,
            }) {
                *counts.entry(g).or_insert(0) += 1;
            }
        }
        counts
    }
}
