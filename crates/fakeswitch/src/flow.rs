//! Flow tables and FLOW_MOD (OpenFlow 1.3.5 §6.4 "Flow Table Modification Messages", §5.5
//! timeouts, §7.3.4.1 the message).
//!
//! Checks run in Open vSwitch's order, so that a flow mod with several faults is refused for
//! the same one: the match (§7.2.3.6–8), the table id against the command, the command, the
//! instructions and actions as they decode, the flags, the instructions against the match
//! (goto order, prerequisites), the table's existence, the buffer, and last the groups and
//! meters the instructions use.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::time::Duration;

use sluice_ofp::msg::error::{BadRequestCode, FlowModFailedCode};
use sluice_ofp::msg::flow::{FlowMod, FlowModCommand, FlowModFlags, OFPG_ANY, OFPTT_ALL};
use sluice_ofp::msg::packet::OFP_NO_BUFFER;
use sluice_ofp::{Action, Instruction, Match, Message, OfError, PortNo};

use crate::FakeSwitch;
use crate::error::{Rejection, reject};
use crate::matching::FlowMatch;
use crate::validate::Phase;

/// `OFPRR_IDLE_TIMEOUT`.
pub(crate) const REASON_IDLE: u8 = 0;
/// `OFPRR_HARD_TIMEOUT`.
pub(crate) const REASON_HARD: u8 = 1;
/// `OFPRR_DELETE` (also what OpenFlow 1.3 says for a flow removed with its meter).
pub(crate) const REASON_DELETE: u8 = 2;
/// `OFPRR_GROUP_DELETE`.
pub(crate) const REASON_GROUP_DELETE: u8 = 3;

/// The flow mod flags OpenFlow 1.3 defines.
const KNOWN_FLAGS: u16 = 0x1f;

/// A flow entry in a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowEntry {
    /// Its table.
    pub table_id: u8,
    /// Its priority.
    pub priority: u16,
    /// Its cookie.
    pub cookie: u64,
    /// Idle timeout in seconds (0: none).
    pub idle_timeout: u16,
    /// Hard timeout in seconds (0: none).
    pub hard_timeout: u16,
    /// The flags it was added with.
    pub flags: FlowModFlags,
    /// The match as the controller sent it.
    pub match_: Match,
    /// The instructions.
    pub instructions: Vec<Instruction>,
    /// Packets that hit it (through [`FakeSwitch::receive`]).
    pub packet_count: u64,
    /// Bytes that hit it.
    pub byte_count: u64,
    /// When it was added (or replaced by an identical ADD).
    pub installed: Duration,
    /// When a packet last hit it (the install time until one does).
    pub last_used: Duration,
    pub(crate) key: FlowMatch,
    pub(crate) seq: u64,
}

impl FlowEntry {
    /// The actions of its apply-actions and write-actions instructions.
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.instructions.iter().flat_map(|i| match i {
            Instruction::ApplyActions(a) | Instruction::WriteActions(a) => a.as_slice(),
            _ => &[],
        })
    }

    /// Whether an apply- or write-actions output goes to `port` (the `out_port` filter of
    /// deletes and statistics, §7.3.4.1; like Open vSwitch, groups are not looked into).
    pub fn outputs_to(&self, port: PortNo) -> bool {
        self.actions()
            .any(|a| matches!(a, Action::Output { port: p, .. } if *p == port))
    }

    /// Whether an apply- or write-actions group action names `group` (the `out_group` filter).
    pub fn uses_group(&self, group: u32) -> bool {
        self.actions()
            .any(|a| matches!(a, Action::Group(g) if *g == group))
    }

    /// The meter its meter instruction names.
    pub fn meter(&self) -> Option<u32> {
        self.instructions.iter().find_map(|i| match i {
            Instruction::Meter(m) => Some(*m),
            _ => None,
        })
    }

    /// Whether it is a table-miss flow entry (§5.4): priority 0 and an empty match. Its
    /// packet-ins carry reason `OFPR_NO_MATCH`.
    pub fn is_table_miss(&self) -> bool {
        self.priority == 0 && self.key.is_empty()
    }

    /// How long it has been installed at `now`.
    pub fn duration(&self, now: Duration) -> Duration {
        now.saturating_sub(self.installed)
    }
}

/// The key of a flow in its table: identical match and priority means the same flow (§6.4),
/// and the order is the lookup order (priority descending).
pub(crate) type FlowKey = (Reverse<u16>, FlowMatch);

/// One flow table.
#[derive(Debug, Clone, Default)]
pub(crate) struct FlowTable {
    pub(crate) flows: BTreeMap<FlowKey, FlowEntry>,
    /// Packets looked up in it (through [`FakeSwitch::receive`]).
    pub(crate) lookup_count: u64,
    /// Packets that matched an entry.
    pub(crate) matched_count: u64,
}

/// Which flows a modify, delete or statistics request selects (§6.4, §7.3.5.2).
pub(crate) struct Selector<'a> {
    pub(crate) table_id: u8,
    pub(crate) match_: &'a FlowMatch,
    /// `Some` for strict requests: the priority must be equal and the match identical.
    pub(crate) strict_priority: Option<u16>,
    pub(crate) cookie: u64,
    pub(crate) cookie_mask: u64,
    pub(crate) out_port: PortNo,
    pub(crate) out_group: u32,
}

impl Selector<'_> {
    fn selects(&self, key: &FlowKey, e: &FlowEntry) -> bool {
        let shape = match self.strict_priority {
            Some(p) => key.0.0 == p && key.1 == *self.match_,
            None => self.match_.covers(&key.1),
        };
        shape
            && (e.cookie ^ self.cookie) & self.cookie_mask == 0
            && (self.out_port == PortNo::ANY || e.outputs_to(self.out_port))
            && (self.out_group == OFPG_ANY || e.uses_group(self.out_group))
    }
}

impl FakeSwitch {
    /// Every flow, table by table, each table in lookup order (priority descending).
    pub fn flows(&self) -> impl Iterator<Item = &FlowEntry> {
        self.tables.iter().flat_map(|t| t.flows.values())
    }

    /// The flows of one table, in lookup order.
    pub fn table_flows(&self, table_id: u8) -> impl Iterator<Item = &FlowEntry> {
        self.tables
            .get(usize::from(table_id))
            .into_iter()
            .flat_map(|t| t.flows.values())
    }

    /// The number of flows in all tables.
    pub fn flow_count(&self) -> usize {
        self.tables.iter().map(|t| t.flows.len()).sum()
    }

    /// The flows a request selects, as (table, key).
    pub(crate) fn select(&self, sel: &Selector<'_>) -> Vec<(u8, FlowKey)> {
        let mut out = Vec::new();
        for (t, table) in self.tables.iter().enumerate() {
            let t = t as u8;
            if sel.table_id != OFPTT_ALL && sel.table_id != t {
                continue;
            }
            if let Some(p) = sel.strict_priority {
                let key = (Reverse(p), sel.match_.clone());
                if let Some(e) = table.flows.get(&key)
                    && sel.selects(&key, e)
                {
                    out.push((t, key));
                }
                continue;
            }
            for (k, e) in &table.flows {
                if sel.selects(k, e) {
                    out.push((t, k.clone()));
                }
            }
        }
        out
    }

    /// FLOW_MOD.
    pub(crate) fn flow_mod(
        &mut self,
        now: Duration,
        fm: &FlowMod,
    ) -> Result<Vec<Message>, Rejection> {
        // The match: its own rules (§7.2.3.6-8), then a form we can compare.
        if let Err(e) = fm.match_.check() {
            return reject(
                OfError::BadMatch(e.code),
                format!("match {}: {e}", fm.match_),
            );
        }
        let key = FlowMatch::from_match(&fm.match_)
            .map_err(|e| Rejection::new(e, format!("match {}", fm.match_)))?;
        let delete = matches!(
            fm.command,
            FlowModCommand::Delete | FlowModCommand::DeleteStrict
        );
        // §7.3.4.1: OFPTT_ALL is only valid in deletes.
        if fm.table_id == OFPTT_ALL && !delete {
            return reject(
                OfError::FlowModFailed(FlowModFailedCode::BadTableId),
                format!("table_id ALL in a {} (only deletes may use it)", fm.command),
            );
        }
        if let FlowModCommand::Unknown(c) = fm.command {
            return reject(
                OfError::FlowModFailed(FlowModFailedCode::BadCommand),
                format!("unknown flow mod command {c}"),
            );
        }
        self.check_flow_instructions(fm.table_id, &key, &fm.instructions, Phase::Decode)?;
        if fm.flags.bits() & !KNOWN_FLAGS != 0 {
            return reject(
                OfError::FlowModFailed(FlowModFailedCode::BadFlags),
                format!(
                    "unknown flow mod flags {:#x}",
                    fm.flags.bits() & !KNOWN_FLAGS
                ),
            );
        }
        self.check_flow_instructions(fm.table_id, &key, &fm.instructions, Phase::Consistency)?;
        if fm.table_id != OFPTT_ALL && fm.table_id >= self.n_tables {
            // Open vSwitch's code for a table that does not exist.
            return reject(
                OfError::BadRequest(BadRequestCode::BadTableId),
                format!(
                    "table {} does not exist (the switch has {} tables)",
                    fm.table_id, self.n_tables
                ),
            );
        }
        if !delete && fm.buffer_id != OFP_NO_BUFFER {
            return reject(
                OfError::BadRequest(BadRequestCode::BufferUnknown),
                format!("buffer {:#x}: the switch buffers no packets", fm.buffer_id),
            );
        }
        match fm.command {
            FlowModCommand::Add => self.add_flow(now, fm, key),
            FlowModCommand::Modify | FlowModCommand::ModifyStrict => {
                self.modify_flows(now, fm, &key)
            }
            _ => {
                let sel = Selector {
                    table_id: fm.table_id,
                    match_: &key,
                    strict_priority: (fm.command == FlowModCommand::DeleteStrict)
                        .then_some(fm.priority),
                    cookie: fm.cookie,
                    cookie_mask: fm.cookie_mask,
                    out_port: fm.out_port,
                    out_group: fm.out_group,
                };
                let keys = self.select(&sel);
                Ok(self.remove_flows(&keys, now, REASON_DELETE))
            }
        }
    }

    /// ADD (§6.4): "If a flow entry with identical match fields and priority already resides
    /// in the requested table, then that entry, including its duration, must be cleared from
    /// the table, and the new flow entry added." Like Open vSwitch, the replaced entry's
    /// counters carry over unless `OFPFF_RESET_COUNTS` is set, and `OFPFF_CHECK_OVERLAP` is
    /// only consulted when no identical entry exists. The cookie mask is ignored.
    fn add_flow(
        &mut self,
        now: Duration,
        fm: &FlowMod,
        key: FlowMatch,
    ) -> Result<Vec<Message>, Rejection> {
        self.check_flow_instructions(fm.table_id, &key, &fm.instructions, Phase::References)?;
        let table = usize::from(fm.table_id);
        let fkey = (Reverse(fm.priority), key);
        // flow_mod() checked the table id against the tables.
        let Some(tbl) = self.tables.get(table) else {
            return reject(
                OfError::BadRequest(BadRequestCode::BadTableId),
                format!("table {} does not exist", fm.table_id),
            );
        };
        let old = tbl.flows.get(&fkey);
        if old.is_none() && fm.flags.contains(FlowModFlags::CHECK_OVERLAP) {
            // "Two flow entries overlap if a single packet may match both, and both entries
            // have the same priority."
            let clash = tbl
                .flows
                .iter()
                .find(|(k, _)| k.0 == fkey.0 && k.1.overlaps(&fkey.1));
            if let Some((_, e)) = clash {
                return reject(
                    OfError::FlowModFailed(FlowModFailedCode::Overlap),
                    format!(
                        "overlaps table={} priority={} {}",
                        e.table_id, e.priority, e.match_
                    ),
                );
            }
        }
        let (packet_count, byte_count) = match old {
            Some(o) if !fm.flags.contains(FlowModFlags::RESET_COUNTS) => {
                (o.packet_count, o.byte_count)
            }
            _ => (0, 0),
        };
        self.next_seq += 1;
        let entry = FlowEntry {
            table_id: fm.table_id,
            priority: fm.priority,
            cookie: fm.cookie,
            idle_timeout: fm.idle_timeout,
            hard_timeout: fm.hard_timeout,
            flags: fm.flags,
            match_: fm.match_.clone(),
            instructions: fm.instructions.clone(),
            packet_count,
            byte_count,
            installed: now,
            last_used: now,
            key: fkey.1.clone(),
            seq: self.next_seq,
        };
        if let Some(tbl) = self.tables.get_mut(table) {
            tbl.flows.insert(fkey, entry);
        }
        Ok(Vec::new())
    }

    /// MODIFY and MODIFY_STRICT (§6.4): the selected entries get the new instructions; their
    /// cookie, timeouts, flags and duration stay, their counters too unless
    /// `OFPFF_RESET_COUNTS`. No entry selected is not an error, and in OpenFlow 1.3 nothing
    /// is added. As in Open vSwitch, the groups and meters the new instructions use are only
    /// checked when some entry is selected.
    fn modify_flows(
        &mut self,
        _now: Duration,
        fm: &FlowMod,
        key: &FlowMatch,
    ) -> Result<Vec<Message>, Rejection> {
        let sel = Selector {
            table_id: fm.table_id,
            match_: key,
            strict_priority: (fm.command == FlowModCommand::ModifyStrict).then_some(fm.priority),
            cookie: fm.cookie,
            cookie_mask: fm.cookie_mask,
            out_port: PortNo::ANY,
            out_group: OFPG_ANY,
        };
        let keys = self.select(&sel);
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.check_flow_instructions(fm.table_id, key, &fm.instructions, Phase::References)?;
        for (t, k) in keys {
            if let Some(e) = self
                .tables
                .get_mut(usize::from(t))
                .and_then(|tb| tb.flows.get_mut(&k))
            {
                e.instructions = fm.instructions.clone();
                if fm.flags.contains(FlowModFlags::RESET_COUNTS) {
                    e.packet_count = 0;
                    e.byte_count = 0;
                }
            }
        }
        Ok(Vec::new())
    }

    /// Removes flows, returning the FLOW_REMOVED messages of those that asked for one.
    pub(crate) fn remove_flows(
        &mut self,
        keys: &[(u8, FlowKey)],
        now: Duration,
        reason: u8,
    ) -> Vec<Message> {
        let mut out = Vec::new();
        for (t, k) in keys {
            let Some(table) = self.tables.get_mut(usize::from(*t)) else {
                continue;
            };
            if let Some(e) = table.flows.remove(k)
                && e.flags.contains(FlowModFlags::SEND_FLOW_REM)
            {
                out.push(Self::flow_removed_message(&e, now, reason));
            }
        }
        out
    }

    /// Removes flows whose hard timeout (seconds since install) or idle timeout (seconds
    /// since the last packet) has passed at `now` (§5.5); the FLOW_REMOVEDs go to `pending`.
    pub(crate) fn expire_into_pending(&mut self, now: Duration) {
        let mut hard = Vec::new();
        let mut idle = Vec::new();
        for (t, table) in self.tables.iter().enumerate() {
            for (k, e) in &table.flows {
                // `since + timeout` has passed (never, if that is beyond `Duration`'s range).
                let due = |since: Duration, s: u16| {
                    s != 0
                        && since
                            .checked_add(Duration::from_secs(u64::from(s)))
                            .is_some_and(|at| now >= at)
                };
                if due(e.installed, e.hard_timeout) {
                    hard.push((t as u8, k.clone()));
                } else if due(e.last_used, e.idle_timeout) {
                    idle.push((t as u8, k.clone()));
                }
            }
        }
        let mut msgs = self.remove_flows(&hard, now, REASON_HARD);
        msgs.extend(self.remove_flows(&idle, now, REASON_IDLE));
        self.pending.extend(msgs);
    }
}
