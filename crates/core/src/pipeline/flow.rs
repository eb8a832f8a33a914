//! Flows as the controller wants them, and sets of them keyed as a switch keys them.

use std::fmt;

use sluice_ofp::msg::flow::{FlowMod, FlowModCommand, FlowModFlags};
use sluice_ofp::msg::multipart::FlowStats;
use sluice_ofp::{Instruction, Match, Message};

use crate::fxhash::FxHashMap;

/// What identifies a flow in a switch: its table, priority and match (OpenFlow 1.3.5 §6.4:
/// an ADD with the same three replaces the flow). The match is always in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    /// The table.
    pub table: u8,
    /// The priority.
    pub priority: u16,
    /// The match, canonical (see [`Match::canonical`]), as wire bytes for ordering.
    match_: MatchKey,
}

/// A match ordered by its bytes (so flow sets print in a stable order).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct MatchKey(Match);

impl PartialOrd for MatchKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MatchKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.oxm_bytes().cmp(other.0.oxm_bytes())
    }
}

impl FlowKey {
    /// The key of a flow in `table` at `priority` with `match_` (made canonical here; a match
    /// built in canonical order is kept as is, without a copy).
    pub fn new(table: u8, priority: u16, match_: Match) -> FlowKey {
        let match_ = if match_.is_canonical() {
            match_
        } else {
            match_.canonical()
        };
        FlowKey {
            table,
            priority,
            match_: MatchKey(match_),
        }
    }

    /// The canonical match.
    pub fn match_(&self) -> &Match {
        &self.match_.0
    }
}

/// Everything about a flow other than its key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowBody {
    /// The cookie.
    pub cookie: u64,
    /// Idle timeout in seconds (0: none).
    pub idle_timeout: u16,
    /// Hard timeout in seconds (0: none).
    pub hard_timeout: u16,
    /// Flags that stay with the flow (SEND_FLOW_REM, NO_*_COUNTS).
    pub flags: FlowModFlags,
    /// The instructions.
    pub instructions: Vec<Instruction>,
}

/// A flow: key and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// Table, priority and match.
    pub key: FlowKey,
    /// Cookie, timeouts, flags and instructions.
    pub body: FlowBody,
}

impl Flow {
    /// A permanent flow with no flags.
    pub fn new(
        table: u8,
        priority: u16,
        match_: Match,
        cookie: u64,
        instructions: Vec<Instruction>,
    ) -> Flow {
        Flow {
            key: FlowKey::new(table, priority, match_),
            body: FlowBody {
                cookie,
                idle_timeout: 0,
                hard_timeout: 0,
                flags: FlowModFlags::empty(),
                instructions,
            },
        }
    }

    /// The FLOW_MOD that adds (or replaces) this flow.
    pub fn add(&self) -> Message {
        Message::FlowMod(FlowMod {
            cookie: self.body.cookie,
            table_id: self.key.table,
            command: FlowModCommand::Add,
            idle_timeout: self.body.idle_timeout,
            hard_timeout: self.body.hard_timeout,
            priority: self.key.priority,
            flags: self.body.flags,
            match_: self.key.match_().clone(),
            instructions: self.body.instructions.clone(),
            ..FlowMod::default()
        })
    }

    /// The flow an ADD would install.
    pub fn from_mod(fm: &FlowMod) -> Flow {
        Flow {
            key: FlowKey::new(fm.table_id, fm.priority, fm.match_.clone()),
            body: FlowBody {
                cookie: fm.cookie,
                idle_timeout: fm.idle_timeout,
                hard_timeout: fm.hard_timeout,
                flags: fm.flags,
                instructions: fm.instructions.clone(),
            },
        }
    }

    /// The flow as a switch reports it in a FLOW stats reply.
    pub fn from_stats(s: &FlowStats) -> Flow {
        // Flags a switch reports but that are not part of the flow's identity or behaviour
        // (RESET_COUNTS, CHECK_OVERLAP) are dropped.
        let keep =
            FlowModFlags::SEND_FLOW_REM | FlowModFlags::NO_PKT_COUNTS | FlowModFlags::NO_BYT_COUNTS;
        Flow {
            key: FlowKey::new(s.table_id, s.priority, s.match_.clone()),
            body: FlowBody {
                cookie: s.cookie,
                idle_timeout: s.idle_timeout,
                hard_timeout: s.hard_timeout,
                flags: s.flags & keep,
                instructions: s.instructions.clone(),
            },
        }
    }
}

/// The FLOW_MOD that deletes exactly the flow with this key (DELETE_STRICT).
pub fn delete_strict(key: &FlowKey) -> Message {
    Message::FlowMod(FlowMod {
        table_id: key.table,
        command: FlowModCommand::DeleteStrict,
        priority: key.priority,
        match_: key.match_().clone(),
        ..FlowMod::default()
    })
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.add() {
            Message::FlowMod(fm) => write!(f, "{fm}"),
            _ => Ok(()),
        }
    }
}

/// A set of flows with distinct keys, as a switch holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowSet {
    flows: FxHashMap<FlowKey, FlowBody>,
}

impl FlowSet {
    /// The empty set.
    pub fn new() -> Self {
        FlowSet::default()
    }

    /// An empty set with room for `n` flows.
    pub fn with_capacity(n: usize) -> Self {
        FlowSet {
            flows: FxHashMap::with_capacity_and_hasher(n, Default::default()),
        }
    }

    /// Adds a flow; one with the same key is replaced, as on a switch.
    pub fn insert(&mut self, flow: Flow) {
        self.flows.insert(flow.key, flow.body);
    }

    /// Removes the flow with this key.
    pub fn remove(&mut self, key: &FlowKey) -> Option<FlowBody> {
        self.flows.remove(key)
    }

    /// The body of the flow with this key.
    pub fn get(&self, key: &FlowKey) -> Option<&FlowBody> {
        self.flows.get(key)
    }

    /// Number of flows.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// The flows, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&FlowKey, &FlowBody)> {
        self.flows.iter()
    }

    /// The flows sorted by table, then priority (highest first), then match, as
    /// `ovs-ofctl dump-flows` lists them.
    pub fn sorted(&self) -> Vec<Flow> {
        let mut v: Vec<Flow> = self
            .flows
            .iter()
            .map(|(k, b)| Flow {
                key: k.clone(),
                body: b.clone(),
            })
            .collect();
        v.sort_by(|a, b| {
            (
                a.key.table,
                std::cmp::Reverse(a.key.priority),
                &a.key.match_,
            )
                .cmp(&(
                    b.key.table,
                    std::cmp::Reverse(b.key.priority),
                    &b.key.match_,
                ))
        });
        v
    }
}

impl FromIterator<Flow> for FlowSet {
    fn from_iter<I: IntoIterator<Item = Flow>>(iter: I) -> Self {
        let mut s = FlowSet::new();
        for f in iter {
            s.insert(f);
        }
        s
    }
}

impl fmt::Display for FlowSet {
    /// One flow per line, in dump order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for flow in self.sorted() {
            writeln!(f, "{flow}")?;
        }
        Ok(())
    }
}
