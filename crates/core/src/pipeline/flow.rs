//! Flows as the controller wants them, and sets of them keyed as a switch keys them.

use std::fmt;
use std::hash::Hasher;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use sluice_ofp::msg::flow::{FlowMod, FlowModCommand, FlowModFlags};
use sluice_ofp::msg::multipart::FlowStats;
use sluice_ofp::{Instruction, Match, Message};

use crate::fxhash::FxHasher;

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
        Message::FlowMod(self.clone().into_add())
    }

    /// The FLOW_MOD (ADD) of this flow, taking its parts.
    fn into_add(self) -> FlowMod {
        let Flow { key, body } = self;
        FlowMod {
            cookie: body.cookie,
            table_id: key.table,
            command: FlowModCommand::Add,
            idle_timeout: body.idle_timeout,
            hard_timeout: body.hard_timeout,
            priority: key.priority,
            flags: body.flags,
            match_: key.match_.0,
            instructions: body.instructions,
            ..FlowMod::default()
        }
    }

    /// The flow an ADD would install.
    pub fn from_mod(fm: &FlowMod) -> Flow {
        Flow::from_owned_mod(fm.clone())
    }

    /// The flow an ADD would install, taking the parts of `fm`.
    fn from_owned_mod(fm: FlowMod) -> Flow {
        Flow {
            key: FlowKey::new(fm.table_id, fm.priority, fm.match_),
            body: FlowBody {
                cookie: fm.cookie,
                idle_timeout: fm.idle_timeout,
                hard_timeout: fm.hard_timeout,
                flags: fm.flags,
                instructions: fm.instructions,
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
///
/// A valve keeps the set it installed for as long as its switch is connected, so the flows
/// are kept compact: each as the bytes of the FLOW_MOD that adds it (a flood rule's 24
/// outputs take 16 bytes each there, not 48 as [`sluice_ofp::Action`]s), decoded when read.
/// Two flows are the same when their bytes are, as for the switch.
#[derive(Debug, Clone, Default)]
pub struct FlowSet {
    flows: HashTable<Record>,
}

/// A flow kept in a [`FlowSet`].
#[derive(Debug, Clone)]
enum Record {
    /// The FLOW_MOD (ADD, xid 0) that installs the flow, encoded.
    Wire(Box<[u8]>),
    /// A flow too long for one message (so it cannot be sent either), as it is.
    Typed(Box<Flow>),
}

/// Where the parts of a FLOW_MOD are: the table, the priority, the match's length and its
/// OXM fields (OpenFlow 1.3.5 §7.3.4.1, after the 8-byte header).
const TABLE_AT: usize = 24;
const PRIORITY_AT: usize = 30;
const MATCH_LEN_AT: usize = 50;
const OXM_AT: usize = 52;

impl Record {
    fn new(flow: Flow) -> Record {
        let msg = Message::FlowMod(flow.into_add());
        // Room for most flows at once, not a buffer regrown step by step.
        let mut buf = Vec::with_capacity(256);
        match msg.encode(0, &mut buf) {
            Ok(()) => Record::Wire(buf.into_boxed_slice()),
            Err(_) => match msg {
                Message::FlowMod(fm) => Record::Typed(Box::new(Flow::from_owned_mod(fm))),
                _ => unreachable!("built as a FLOW_MOD above"),
            },
        }
    }

    /// Table, priority and the match's OXM bytes.
    fn key_parts(&self) -> (u8, u16, &[u8]) {
        match self {
            Record::Wire(b) => {
                let match_len =
                    usize::from(u16::from_be_bytes([b[MATCH_LEN_AT], b[MATCH_LEN_AT + 1]]));
                (
                    b[TABLE_AT],
                    u16::from_be_bytes([b[PRIORITY_AT], b[PRIORITY_AT + 1]]),
                    &b[OXM_AT..OXM_AT + match_len - 4],
                )
            }
            Record::Typed(f) => (f.key.table, f.key.priority, f.key.match_().oxm_bytes()),
        }
    }

    fn hash(&self) -> u64 {
        let (table, priority, oxm) = self.key_parts();
        key_hash(table, priority, oxm)
    }

    fn has_key(&self, key: &FlowKey) -> bool {
        self.key_parts() == (key.table, key.priority, key.match_().oxm_bytes())
    }

    fn has_key_of(&self, other: &Record) -> bool {
        self.key_parts() == other.key_parts()
    }

    /// The flow. A record encoded here decodes: failing that is a codec bug, and the flow is
    /// then left out rather than taking the controller down.
    fn flow(&self) -> Option<Flow> {
        match self {
            Record::Wire(b) => match Message::decode_slice(b) {
                Ok((_, Message::FlowMod(fm))) => Some(Flow::from_owned_mod(fm)),
                _ => {
                    debug_assert!(false, "a FLOW_MOD encoded by a flow set does not decode");
                    None
                }
            },
            Record::Typed(f) => Some((**f).clone()),
        }
    }

    /// Whether two records with the same key hold the same flow.
    fn same_flow(&self, other: &Record) -> bool {
        match (self, other) {
            (Record::Wire(a), Record::Wire(b)) => a == b,
            _ => self.flow() == other.flow(),
        }
    }
}

/// The hash of a flow's key.
fn key_hash(table: u8, priority: u16, oxm: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write_u8(table);
    h.write_u16(priority);
    h.write(oxm);
    h.finish()
}

impl FlowSet {
    /// The empty set.
    pub fn new() -> Self {
        FlowSet::default()
    }

    /// An empty set with room for `n` flows.
    pub fn with_capacity(n: usize) -> Self {
        FlowSet {
            flows: HashTable::with_capacity(n),
        }
    }

    /// Gives back room beyond what the flows take (for a set that is kept).
    pub fn shrink_to_fit(&mut self) {
        self.flows.shrink_to_fit(Record::hash);
    }

    fn find(&self, key: &FlowKey) -> Option<&Record> {
        let hash = key_hash(key.table, key.priority, key.match_().oxm_bytes());
        self.flows.find(hash, |r| r.has_key(key))
    }

    fn find_record(&self, record: &Record) -> Option<&Record> {
        self.flows.find(record.hash(), |r| r.has_key_of(record))
    }

    /// Adds a flow; one with the same key is replaced, as on a switch.
    pub fn insert(&mut self, flow: Flow) {
        let record = Record::new(flow);
        let hash = record.hash();
        match self
            .flows
            .entry(hash, |r| r.has_key_of(&record), Record::hash)
        {
            Entry::Occupied(mut e) => *e.get_mut() = record,
            Entry::Vacant(e) => {
                e.insert(record);
            }
        }
    }

    /// Removes the flow with this key.
    pub fn remove(&mut self, key: &FlowKey) -> Option<FlowBody> {
        let hash = key_hash(key.table, key.priority, key.match_().oxm_bytes());
        let (record, _) = self
            .flows
            .find_entry(hash, |r| r.has_key(key))
            .ok()?
            .remove();
        record.flow().map(|f| f.body)
    }

    /// The body of the flow with this key.
    pub fn get(&self, key: &FlowKey) -> Option<FlowBody> {
        self.find(key).and_then(Record::flow).map(|f| f.body)
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
    pub fn iter(&self) -> impl Iterator<Item = Flow> + '_ {
        self.flows.iter().filter_map(Record::flow)
    }

    /// The keys of the flows that `other` has no flow for, in no particular order.
    pub fn keys_missing_from<'a>(
        &'a self,
        other: &'a FlowSet,
    ) -> impl Iterator<Item = FlowKey> + 'a {
        self.flows
            .iter()
            .filter(|r| other.find_record(r).is_none())
            .filter_map(Record::flow)
            .map(|f| f.key)
    }

    /// The flows that `other` lacks or holds otherwise, in no particular order.
    pub fn differing_from<'a>(&'a self, other: &'a FlowSet) -> impl Iterator<Item = Flow> + 'a {
        self.flows
            .iter()
            .filter(|r| other.find_record(r).is_none_or(|o| !o.same_flow(r)))
            .filter_map(Record::flow)
    }

    /// The flows sorted by table, then priority (highest first), then match, as
    /// `ovs-ofctl dump-flows` lists them.
    pub fn sorted(&self) -> Vec<Flow> {
        let mut v: Vec<Flow> = self.iter().collect();
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

impl PartialEq for FlowSet {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .flows
                .iter()
                .all(|r| other.find_record(r).is_some_and(|o| o.same_flow(r)))
    }
}

impl Eq for FlowSet {}

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
