//! Running packets through the pipeline (OpenFlow 1.3.5 §5.1 pipeline processing, §5.3
//! matching, §5.4 table-miss, §5.9 instructions, §5.10 action set, §5.12 actions, §5.6
//! groups) and PACKET_OUT (§7.3.7).
//!
//! Where the specification leaves room, the choices are Open vSwitch 3.1's:
//!
//! - Lookup takes the highest-priority matching entry. Among overlapping entries of equal
//!   priority (undefined by §5.3) the one added first wins, and the trace records the tie.
//! - The instructions of an entry run in the §5.9 order whatever their order in the
//!   message: meter, apply-actions, clear-actions, write-actions, write-metadata,
//!   goto-table.
//! - When the pipeline ends the action set runs in the §5.10 order (pops, pushes, TTL,
//!   set-fields, queue, then the group if there is one, else the output). It also runs
//!   after a table miss in a later table, where §5.4 says the packet is dropped: OVS runs it.
//! - Output to the packet's own input port is dropped unless it is `IN_PORT`; `ALL` and
//!   `FLOOD` go to every port but the input port and ports with `OFPPC_NO_FWD`; output to a
//!   port the switch does not have is dropped (with no ports configured, any port is taken
//!   as existing). `CONTROLLER` becomes a packet-in, with reason `OFPR_NO_MATCH` from a
//!   table-miss entry's apply-actions and `OFPR_ACTION` otherwise (also from a table-miss
//!   entry's action set or group), if the controller's SET_ASYNC mask wants it.
//! - `OFPPC_NO_RECV` on the input port drops the packet; `OFPPC_NO_PACKET_IN` suppresses its
//!   packet-ins.
//! - Every group bucket works on its own copy of the packet, so a group changes nothing for
//!   the actions after it, and a bucket's actions are an action set (reordered as in §5.10;
//!   one output, the last).
//! - A select group picks among its live buckets by a hash of the packet's addresses and
//!   ports, weighted; which bucket is not what OVS would pick, only as stable.
//! - `push_vlan` pushes VID 0, PCP 0 (see [`Packet::push_vlan`]); `dec_ttl` at TTL 0 or 1
//!   drops the packet (a packet-in with `OFPR_INVALID_TTL` if the controller asked).
//! - A trace gives up (and drops the packet) after 4,096 group executions, Open vSwitch's
//!   `MAX_RESUBMITS`, or 4,096 outputs; group chains end at depth 32.
//! - MPLS, PBB and TTL-copy actions are not modelled: the trace notes them in
//!   [`Trace::unmodelled`] and leaves the packet as it is. Meters count but never drop.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use sluice_ofp::action::OFPCML_NO_BUFFER;
use sluice_ofp::msg::error::{BadActionCode, BadRequestCode, OfError};
use sluice_ofp::msg::group::{Bucket, GroupType};
use sluice_ofp::msg::packet::{OFP_NO_BUFFER, PacketIn, PacketInReason, PacketOut};
use sluice_ofp::oxm::OFPVID_PRESENT;
use sluice_ofp::port::PortConfig;
use sluice_ofp::{Action, Instruction, Match, Message, OxmField, OxmKind, PortNo};

use crate::FakeSwitch;
use crate::error::{Rejection, reject};
use crate::flow::FlowKey;
use crate::group::MAX_GROUP_DEPTH;
use crate::packet::{ETH_TYPE_IPV4, ETH_TYPE_IPV6, Packet};
use crate::validate::{Known, Phase, Source};

/// The most packets one trace may emit (a guard against group fan-out); beyond it the fake
/// gives up on the packet and drops it, as for [`MAX_GROUP_RUNS`].
const MAX_OUTPUTS: usize = 4096;

/// The most group executions in one trace (Open vSwitch's `MAX_RESUBMITS`, 64 × 64): beyond
/// it OVS gives up on the packet, and so does the fake (it drops it).
const MAX_GROUP_RUNS: usize = 4096;

/// A packet leaving the switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The port (a standard port, or `LOCAL`, or `NORMAL` for the non-OpenFlow pipeline, or
    /// `ALL`/`FLOOD` themselves when the switch has no ports configured).
    pub port: PortNo,
    /// The packet as it leaves: final headers and VLAN stack (its `in_port` is where it came
    /// in).
    pub packet: Packet,
}

impl Output {
    /// The outermost VLAN id it leaves with.
    pub fn vid(&self) -> Option<u16> {
        self.packet.outer_vid()
    }
}

/// A packet sent to the controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToController {
    /// Why.
    pub reason: PacketInReason,
    /// The table of the entry that sent it.
    pub table_id: u8,
    /// The cookie of the entry that sent it (all ones for a packet-out).
    pub cookie: u64,
    /// The output action's `max_len` (`OFPCML_NO_BUFFER` for the whole packet).
    pub max_len: u16,
    /// The packet at that point.
    pub packet: Packet,
}

impl ToController {
    /// The PACKET_IN message: unbuffered, the frame cut to `max_len`, and a match with
    /// `in_port` (and `metadata` when it is not zero), as Open vSwitch sends.
    pub fn to_packet_in(&self) -> PacketIn {
        let frame = self.packet.to_frame();
        let total_len = u16::try_from(frame.len()).unwrap_or(u16::MAX);
        let keep = if self.max_len == OFPCML_NO_BUFFER {
            frame.len()
        } else {
            frame.len().min(usize::from(self.max_len))
        };
        let mut m = Match::new().with(OxmField::InPort(self.packet.in_port));
        if self.packet.metadata != 0 {
            m.push(OxmField::Metadata(self.packet.metadata, None));
        }
        PacketIn {
            buffer_id: OFP_NO_BUFFER,
            total_len,
            reason: self.reason,
            table_id: self.table_id,
            cookie: self.cookie,
            match_: m,
            data: Bytes::copy_from_slice(&frame[..keep]),
        }
    }
}

/// The flow entry a table lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowHit {
    /// Its priority.
    pub priority: u16,
    /// Its cookie.
    pub cookie: u64,
    /// Its match.
    pub match_: Match,
    /// Its instructions.
    pub instructions: Vec<Instruction>,
    /// How many other entries of the same priority also matched (0 normally; more means
    /// the controller installed overlapping entries and the oldest won).
    pub ties: usize,
}

/// One step of a trace, for reading what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A table lookup: the entry found, or `None` for a miss.
    Table {
        /// The table.
        table_id: u8,
        /// The entry, if one matched.
        hit: Option<FlowHit>,
    },
    /// The packet went through a meter.
    Meter(u32),
    /// A group ran these buckets (indexes).
    Group {
        /// The group.
        group_id: u32,
        /// The buckets that ran.
        buckets: Vec<usize>,
    },
    /// The action set ran with these actions, in this order.
    ActionSet(Vec<Action>),
    /// Anything else worth knowing (a skipped output, a missing group, a drop).
    Note(String),
}

/// What happened to one packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// The packet that came in.
    pub packet: Packet,
    /// Every packet that left, in order.
    pub outputs: Vec<Output>,
    /// Every packet sent to the controller, in order.
    pub packet_ins: Vec<ToController>,
    /// The path, for debugging.
    pub steps: Vec<Step>,
    /// Actions the fake switch does not model that the packet met (it went on unchanged).
    pub unmodelled: Vec<String>,
}

impl Trace {
    fn new(packet: Packet) -> Self {
        Trace {
            packet,
            outputs: Vec::new(),
            packet_ins: Vec::new(),
            steps: Vec::new(),
            unmodelled: Vec::new(),
        }
    }

    /// The ports packets left by, in order (`CONTROLLER` for packet-ins not included).
    pub fn ports(&self) -> Vec<PortNo> {
        self.outputs.iter().map(|o| o.port).collect()
    }

    /// The packets that left by `port`.
    pub fn output_to(&self, port: impl Into<PortNo>) -> Vec<&Packet> {
        let port = port.into();
        self.outputs
            .iter()
            .filter(|o| o.port == port)
            .map(|o| &o.packet)
            .collect()
    }

    /// FAUCET's `is_output`: whether a copy of the packet leaves by `port` (`CONTROLLER`:
    /// is sent to the controller) untagged (`vlan` `None`) or with outer VLAN `vlan` (given
    /// with or without `OFPVID_PRESENT`). Use [`Trace::is_output_any_vlan`] for FAUCET's
    /// "any tag" (`vid=None`).
    pub fn is_output(&self, port: impl Into<PortNo>, vlan: Option<u16>) -> bool {
        let want = vlan.map(|v| v & !OFPVID_PRESENT);
        self.leaving(port.into()).any(|p| p.outer_vid() == want)
    }

    /// Whether a copy of the packet leaves by `port`, tagged or not.
    pub fn is_output_any_vlan(&self, port: impl Into<PortNo>) -> bool {
        self.leaving(port.into()).next().is_some()
    }

    fn leaving(&self, port: PortNo) -> impl Iterator<Item = &Packet> {
        let outs = self
            .outputs
            .iter()
            .filter(move |o| o.port == port)
            .map(|o| &o.packet);
        let pins = self
            .packet_ins
            .iter()
            .filter(move |_| port == PortNo::CONTROLLER)
            .map(|c| &c.packet);
        outs.chain(pins)
    }

    /// Whether nothing left the switch (no output, no packet-in).
    pub fn is_dropped(&self) -> bool {
        self.outputs.is_empty() && self.packet_ins.is_empty()
    }

    /// A one-line summary: each output as `port` or `port[vid,...]` (tags outermost first),
    /// then `CONTROLLER` per packet-in, comma-separated; `drop` when nothing left.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = self
            .outputs
            .iter()
            .map(|o| {
                if o.packet.vlans.is_empty() {
                    o.port.to_string()
                } else {
                    let v: Vec<String> = o.packet.vlans.iter().map(|t| t.vid.to_string()).collect();
                    format!("{}[{}]", o.port, v.join(","))
                }
            })
            .collect();
        parts.extend(self.packet_ins.iter().map(|_| "CONTROLLER".to_string()));
        if parts.is_empty() {
            "drop".into()
        } else {
            parts.join(",")
        }
    }
}

impl fmt::Display for Trace {
    /// Like `ovs-appctl ofproto/trace`: the packet, each step, the result.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Flow: {}", self.packet)?;
        for s in &self.steps {
            match s {
                Step::Table {
                    table_id,
                    hit: None,
                } => writeln!(f, " {table_id}. No match.")?,
                Step::Table {
                    table_id,
                    hit: Some(h),
                } => {
                    write!(
                        f,
                        " {table_id}. {}, priority {}, cookie {:#x}",
                        h.match_, h.priority, h.cookie
                    )?;
                    if h.ties > 0 {
                        write!(f, " (tied with {} other entries)", h.ties)?;
                    }
                    writeln!(f)?;
                    let ins: Vec<String> = h.instructions.iter().map(|i| i.to_string()).collect();
                    writeln!(
                        f,
                        "    {}",
                        if ins.is_empty() {
                            "drop".into()
                        } else {
                            ins.join(",")
                        }
                    )?;
                }
                Step::Meter(m) => writeln!(f, "    meter:{m}")?,
                Step::Group { group_id, buckets } => {
                    writeln!(f, "    group:{group_id} buckets {buckets:?}")?
                }
                Step::ActionSet(a) => {
                    let a: Vec<String> = a.iter().map(|x| x.to_string()).collect();
                    writeln!(f, " action set: {}", a.join(","))?
                }
                Step::Note(n) => writeln!(f, "    {n}")?,
            }
        }
        for o in &self.outputs {
            writeln!(f, "Output {}: {}", o.port, o.packet)?;
        }
        for c in &self.packet_ins {
            writeln!(
                f,
                "Packet-in reason={} table={} cookie={:#x}: {}",
                c.reason, c.table_id, c.cookie, c.packet
            )?;
        }
        if !self.unmodelled.is_empty() {
            writeln!(f, "Not modelled: {}", self.unmodelled.join(", "))?;
        }
        write!(f, "Result: {}", self.summary())
    }
}

/// What a receive counted, applied to the switch afterwards.
#[derive(Default)]
struct Hits {
    lookups: Vec<(u8, bool)>,
    flows: Vec<(u8, FlowKey)>,
    groups: Vec<(u32, usize)>,
    meters: Vec<u32>,
}

/// The entry whose actions are running, for packet-ins.
#[derive(Clone, Copy)]
struct Rule {
    table_id: u8,
    cookie: u64,
    /// Whether the actions running are a table-miss entry's apply-actions: only there does
    /// an output to the controller say `OFPR_NO_MATCH` (Open vSwitch's "explicit miss"; from
    /// its action set or a group it says `OFPR_ACTION` in OpenFlow 1.3).
    explicit_miss: bool,
}

impl Rule {
    /// The same entry, running actions outside its apply-actions.
    fn indirect(self) -> Rule {
        Rule {
            explicit_miss: false,
            ..self
        }
    }
}

/// The context of a packet-out (no entry).
const PACKET_OUT_RULE: Rule = Rule {
    table_id: 0,
    cookie: u64::MAX,
    explicit_miss: false,
};

#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// An action set (§5.10): at most one action of each type, one set-field per field.
#[derive(Default, Clone)]
struct ActionSet(Vec<Action>);

fn slot(a: &Action) -> (u16, Option<OxmKind>) {
    match a {
        Action::SetField(f) => (a.action_type(), f.kind()),
        _ => (a.action_type(), None),
    }
}

/// §5.10 execution order.
fn set_rank(a: &Action) -> u8 {
    match a {
        Action::CopyTtlIn => 0,
        Action::PopVlan | Action::PopMpls(_) | Action::PopPbb => 1,
        Action::PushMpls(_) => 2,
        Action::PushPbb(_) => 3,
        Action::PushVlan(_) => 4,
        Action::CopyTtlOut => 5,
        Action::DecNwTtl | Action::DecMplsTtl => 6,
        Action::SetField(_) | Action::SetNwTtl(_) | Action::SetMplsTtl(_) => 7,
        Action::SetQueue(_) => 8,
        Action::Group(_) => 9,
        Action::Output { .. } => 10,
        _ => 11,
    }
}

impl ActionSet {
    fn write(&mut self, actions: &[Action]) {
        for a in actions {
            let k = slot(a);
            self.0.retain(|b| slot(b) != k);
            self.0.push(a.clone());
        }
    }

    /// The actions in execution order; with a group, no output ("if both an output action
    /// and a group action are specified, the output action is ignored").
    fn ordered(&self) -> Vec<Action> {
        let mut v = self.0.clone();
        v.sort_by_key(set_rank);
        if v.iter().any(|a| matches!(a, Action::Group(_))) {
            v.retain(|a| !matches!(a, Action::Output { .. }));
        }
        v
    }
}

/// A stable hash of the fields a select group spreads on (FNV-1a).
fn select_hash(p: &Packet) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(&p.eth_src.0);
    eat(&p.eth_dst.0);
    eat(&p.eth_type.to_be_bytes());
    eat(&p.ipv4_src.octets());
    eat(&p.ipv4_dst.octets());
    eat(&p.ipv6_src.octets());
    eat(&p.ipv6_dst.octets());
    eat(&[p.ip_proto]);
    eat(&p.l4_src.to_be_bytes());
    eat(&p.l4_dst.to_be_bytes());
    // Mix the bits (FNV's low bits are weak: equal bytes in two fields cancel out).
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

struct Exec<'a> {
    sw: &'a FakeSwitch,
    trace: Trace,
    hits: Hits,
    /// Group executions so far.
    group_runs: usize,
    /// Set when the trace gave up (too many group executions): the packet is dropped.
    exhausted: bool,
}

impl Exec<'_> {
    fn note(&mut self, s: impl Into<String>) {
        self.trace.steps.push(Step::Note(s.into()));
    }

    fn unmodelled(&mut self, a: &Action) {
        let s = a.to_string();
        self.note(format!("{s}: not modelled, packet unchanged"));
        if !self.trace.unmodelled.contains(&s) {
            self.trace.unmodelled.push(s);
        }
    }

    /// Looks the packet up in a table: the highest-priority matching entry, the oldest among
    /// equals.
    fn lookup<'s>(sw: &'s FakeSwitch, table_id: u8, p: &Packet) -> Option<(&'s FlowKey, usize)> {
        let table = sw.tables.get(usize::from(table_id))?;
        let mut best: Option<(&FlowKey, u64)> = None;
        let mut ties = 0;
        for (k, e) in &table.flows {
            if let Some((bk, _)) = best
                && bk.0 != k.0
            {
                break;
            }
            if k.1.matches(p) {
                match best {
                    None => best = Some((k, e.seq)),
                    Some((_, seq)) => {
                        ties += 1;
                        if e.seq < seq {
                            best = Some((k, e.seq));
                        }
                    }
                }
            }
        }
        best.map(|(k, _)| (k, ties))
    }

    /// §5.1: from `table_id` on until an entry has no goto-table, then the action set.
    fn pipeline(&mut self, mut p: Packet, mut table_id: u8, depth: usize) {
        let sw = self.sw;
        let mut set = ActionSet::default();
        let mut last_rule = PACKET_OUT_RULE;
        loop {
            let found = Self::lookup(sw, table_id, &p);
            self.hits.lookups.push((table_id, found.is_some()));
            let Some((key, ties)) = found else {
                self.trace.steps.push(Step::Table {
                    table_id,
                    hit: None,
                });
                break;
            };
            let Some(e) = sw
                .tables
                .get(usize::from(table_id))
                .and_then(|tb| tb.flows.get(key))
            else {
                break;
            };
            self.hits.flows.push((table_id, key.clone()));
            self.trace.steps.push(Step::Table {
                table_id,
                hit: Some(FlowHit {
                    priority: e.priority,
                    cookie: e.cookie,
                    match_: e.match_.clone(),
                    instructions: e.instructions.clone(),
                    ties,
                }),
            });
            let rule = Rule {
                table_id,
                cookie: e.cookie,
                explicit_miss: e.is_table_miss(),
            };
            last_rule = rule;
            let mut goto = None;
            // §5.9: the instructions run in a fixed order, whatever the message's order.
            let mut ins: Vec<&Instruction> = e.instructions.iter().collect();
            ins.sort_by_key(|i| instruction_rank(i));
            for i in ins {
                match i {
                    Instruction::Meter(m) => {
                        self.trace.steps.push(Step::Meter(*m));
                        self.hits.meters.push(*m);
                    }
                    Instruction::ApplyActions(a) => match self.actions(a, &mut p, rule, depth) {
                        Flow::Stop => return,
                        Flow::Continue => {}
                    },
                    Instruction::ClearActions => set = ActionSet::default(),
                    Instruction::WriteActions(a) => set.write(a),
                    Instruction::WriteMetadata { metadata, mask } => {
                        p.metadata = (p.metadata & !mask) | (metadata & mask);
                    }
                    Instruction::GotoTable(t) if *t > table_id => goto = Some(*t),
                    _ => {}
                }
            }
            match goto {
                Some(t) => table_id = t,
                None => break,
            }
        }
        let ordered = set.ordered();
        if !ordered.is_empty() {
            self.trace.steps.push(Step::ActionSet(ordered.clone()));
            self.actions(&ordered, &mut p, last_rule.indirect(), depth);
        }
    }

    /// Runs an action list in order on `p` (§5.12).
    fn actions(&mut self, actions: &[Action], p: &mut Packet, rule: Rule, depth: usize) -> Flow {
        for a in actions {
            if self.exhausted {
                return Flow::Stop;
            }
            if self.trace.outputs.len() >= MAX_OUTPUTS {
                self.note(format!("over {MAX_OUTPUTS} outputs: the packet is dropped"));
                self.exhausted = true;
                return Flow::Stop;
            }
            match a {
                Action::Output { port, max_len } => self.output(*port, *max_len, p, rule, depth),
                Action::Group(g) => self.group(*g, p, rule, depth),
                Action::SetField(f) => {
                    p.set_field(f);
                }
                Action::PushVlan(tpid) => p.push_vlan(*tpid),
                Action::PopVlan => {
                    if !p.pop_vlan() {
                        self.note("pop_vlan: no tag to pop");
                    }
                }
                Action::DecNwTtl => {
                    if matches!(p.eth_type, ETH_TYPE_IPV4 | ETH_TYPE_IPV6) {
                        if p.ip_ttl <= 1 {
                            self.note("dec_ttl: TTL expired, packet dropped");
                            self.send_to_controller(
                                PacketInReason::InvalidTtl,
                                OFPCML_NO_BUFFER,
                                p,
                                rule,
                            );
                            return Flow::Stop;
                        }
                        p.ip_ttl -= 1;
                    }
                }
                Action::SetNwTtl(t) => {
                    if matches!(p.eth_type, ETH_TYPE_IPV4 | ETH_TYPE_IPV6) {
                        p.ip_ttl = *t;
                    }
                }
                Action::SetQueue(_) => {}
                other => self.unmodelled(other),
            }
        }
        Flow::Continue
    }

    fn emit(&mut self, port: PortNo, p: &Packet) {
        if let Some(cfg) = self.sw.ports.get(&port).map(|x| x.config)
            && cfg.contains(PortConfig::NO_FWD)
        {
            self.note(format!("output:{port}: OFPPC_NO_FWD, skipped"));
            return;
        }
        self.trace.outputs.push(Output {
            port,
            packet: p.clone(),
        });
    }

    fn output(&mut self, port: PortNo, max_len: u16, p: &Packet, rule: Rule, depth: usize) {
        let sw = self.sw;
        match port {
            PortNo::IN_PORT => self.emit(p.in_port, p),
            PortNo::ALL | PortNo::FLOOD => {
                if sw.ports.is_empty() {
                    self.emit(port, p);
                    return;
                }
                for no in sw.ports.keys() {
                    if *no != p.in_port {
                        self.emit(*no, p);
                    }
                }
            }
            PortNo::CONTROLLER => {
                let reason = if rule.explicit_miss {
                    PacketInReason::NoMatch
                } else {
                    PacketInReason::Action
                };
                self.send_to_controller(reason, max_len, p, rule);
            }
            PortNo::TABLE => {
                if depth >= MAX_GROUP_DEPTH {
                    self.note("output:TABLE: too deep");
                    return;
                }
                self.pipeline(p.clone(), 0, depth + 1);
            }
            PortNo::NORMAL => {
                self.trace.unmodelled.push("output:NORMAL".into());
                self.emit(port, p);
            }
            PortNo::LOCAL => self.emit(port, p),
            _ if port == p.in_port => {
                self.note(format!("output:{port}: skipping output to input port"));
            }
            _ if !sw.ports.is_empty() && !sw.ports.contains_key(&port) => {
                self.note(format!("output:{port}: no such port, dropped"));
            }
            _ => self.emit(port, p),
        }
    }

    fn send_to_controller(&mut self, reason: PacketInReason, max_len: u16, p: &Packet, rule: Rule) {
        if !self.sw.wants_packet_in(reason.into()) {
            self.note(format!("packet-in ({reason}) not wanted by the controller"));
            return;
        }
        if let Some(port) = self.sw.ports.get(&p.in_port)
            && port.config.contains(PortConfig::NO_PACKET_IN)
        {
            self.note(format!(
                "port {}: OFPPC_NO_PACKET_IN, no packet-in",
                p.in_port
            ));
            return;
        }
        self.trace.packet_ins.push(ToController {
            reason,
            table_id: rule.table_id,
            cookie: rule.cookie,
            max_len,
            packet: p.clone(),
        });
    }

    /// §5.6: runs a group on copies of the packet.
    fn group(&mut self, id: u32, p: &Packet, rule: Rule, depth: usize) {
        let sw = self.sw;
        if depth >= MAX_GROUP_DEPTH {
            self.note(format!("group:{id}: chain too deep, dropped"));
            return;
        }
        self.group_runs += 1;
        if self.group_runs > MAX_GROUP_RUNS {
            if !self.exhausted {
                self.note(format!(
                    "over {MAX_GROUP_RUNS} group executions: the packet is dropped"
                ));
            }
            self.exhausted = true;
            return;
        }
        let Some(g) = sw.groups.get(&id) else {
            self.note(format!("group:{id}: no such group, dropped"));
            return;
        };
        let live: Vec<usize> = (0..g.buckets.len())
            .filter(|i| sw.bucket_is_live(&g.buckets[*i], depth))
            .collect();
        let chosen: Vec<usize> = match g.group_type {
            GroupType::All => (0..g.buckets.len()).collect(),
            GroupType::Indirect => vec![0],
            GroupType::FastFailover => live.first().copied().into_iter().collect(),
            GroupType::Select => {
                let weights: Vec<u64> = live
                    .iter()
                    .map(|i| u64::from(g.buckets[*i].weight))
                    .collect();
                let all_zero = weights.iter().all(|w| *w == 0);
                let total: u64 = if all_zero {
                    weights.len() as u64
                } else {
                    weights.iter().sum()
                };
                if total == 0 {
                    Vec::new()
                } else {
                    let mut at = select_hash(p) % total;
                    let mut pick = None;
                    for (i, w) in live.iter().zip(&weights) {
                        let w = if all_zero { 1 } else { *w };
                        if at < w {
                            pick = Some(*i);
                            break;
                        }
                        at -= w;
                    }
                    pick.into_iter().collect()
                }
            }
            GroupType::Unknown(_) => Vec::new(),
        };
        self.trace.steps.push(Step::Group {
            group_id: id,
            buckets: chosen.clone(),
        });
        if chosen.is_empty() {
            self.note(format!("group:{id}: no live bucket, dropped"));
        }
        for i in chosen {
            let Some(b) = g.buckets.get(i) else { continue };
            self.hits.groups.push((id, i));
            self.bucket(b, p.clone(), rule.indirect(), depth + 1);
        }
    }

    /// A bucket's actions, as an action set (Open vSwitch), on the bucket's own copy.
    fn bucket(&mut self, b: &Bucket, mut p: Packet, rule: Rule, depth: usize) {
        let mut set = ActionSet::default();
        set.write(&b.actions);
        let ordered = set.ordered();
        self.actions(&ordered, &mut p, rule, depth);
    }
}

/// §5.9 execution order of instructions.
fn instruction_rank(i: &Instruction) -> u8 {
    match i {
        Instruction::Meter(_) => 0,
        Instruction::ApplyActions(_) => 1,
        Instruction::ClearActions => 2,
        Instruction::WriteActions(_) => 3,
        Instruction::WriteMetadata { .. } => 4,
        Instruction::GotoTable(_) => 5,
        _ => 6,
    }
}

impl FakeSwitch {
    fn run(&self, p: &Packet, start: impl FnOnce(&mut Exec<'_>, Packet)) -> (Trace, Hits) {
        let mut ex = Exec {
            sw: self,
            trace: Trace::new(p.clone()),
            hits: Hits::default(),
            group_runs: 0,
            exhausted: false,
        };
        if let Some(port) = self.ports.get(&p.in_port)
            && port.config.contains(PortConfig::NO_RECV)
        {
            ex.note(format!("port {}: OFPPC_NO_RECV, dropped", p.in_port));
            return (ex.trace, ex.hits);
        }
        match self.vlan_limit.filter(|limit| p.vlans.len() > *limit) {
            None => start(&mut ex, p.clone()),
            Some(limit) => {
                // The pipeline sees the frame as a parser with the limit reads it; what
                // leaves is a frame again, read with every tag.
                let mut seen = Packet::from_frame_with_vlan_limit(p.in_port, &p.to_frame(), limit);
                seen.metadata = p.metadata;
                seen.tunnel_id = p.tunnel_id;
                ex.note(format!("vlan-limit {limit}: the pipeline sees {seen}"));
                start(&mut ex, seen);
                let reread = |q: &mut Packet| {
                    let mut full = Packet::from_frame(q.in_port, &q.to_frame());
                    full.metadata = q.metadata;
                    full.tunnel_id = q.tunnel_id;
                    *q = full;
                };
                ex.trace
                    .outputs
                    .iter_mut()
                    .for_each(|o| reread(&mut o.packet));
                ex.trace
                    .packet_ins
                    .iter_mut()
                    .for_each(|c| reread(&mut c.packet));
            }
        }
        if ex.exhausted {
            ex.trace.outputs.clear();
            ex.trace.packet_ins.clear();
        }
        (ex.trace, ex.hits)
    }

    /// Where `packet` goes if it arrives now: walks the pipeline from table 0 without
    /// changing anything (no counters, no idle-timeout refresh).
    pub fn trace(&self, packet: &Packet) -> Trace {
        self.run(packet, |ex, p| ex.pipeline(p, 0, 0)).0
    }

    /// `packet` arrives at time `now`: expires what has timed out, then traces it, counting
    /// it on the flows, groups, meters and ports it meets and refreshing the idle timeouts
    /// of the flows it hits. FLOW_REMOVEDs due to the expiry wait for the next
    /// [`FakeSwitch::apply`] or [`FakeSwitch::expire`].
    pub fn receive(&mut self, now: Duration, packet: &Packet) -> Trace {
        self.expire_into_pending(now);
        let (trace, hits) = self.run(packet, |ex, p| ex.pipeline(p, 0, 0));
        let bytes = packet.to_frame().len() as u64;
        self.count(now, &hits, &trace, packet.in_port, bytes);
        trace
    }

    fn count(&mut self, now: Duration, hits: &Hits, trace: &Trace, in_port: PortNo, bytes: u64) {
        for (t, matched) in &hits.lookups {
            if let Some(tb) = self.tables.get_mut(usize::from(*t)) {
                tb.lookup_count += 1;
                tb.matched_count += u64::from(*matched);
            }
        }
        for (t, k) in &hits.flows {
            if let Some(e) = self
                .tables
                .get_mut(usize::from(*t))
                .and_then(|tb| tb.flows.get_mut(k))
            {
                e.packet_count += 1;
                e.byte_count += bytes;
                e.last_used = now;
            }
        }
        for (g, b) in &hits.groups {
            if let Some(g) = self.groups.get_mut(g) {
                g.packet_count += 1;
                g.byte_count += bytes;
                if let Some(c) = g.bucket_counters.get_mut(*b) {
                    c.packet_count += 1;
                    c.byte_count += bytes;
                }
            }
        }
        for m in &hits.meters {
            if let Some(m) = self.meters.get_mut(m) {
                m.packet_count += 1;
                m.byte_count += bytes;
            }
        }
        let rx = self.port_counters.entry(in_port).or_default();
        rx.rx_packets += 1;
        rx.rx_bytes += bytes;
        for o in &trace.outputs {
            let tx = self.port_counters.entry(o.port).or_default();
            tx.tx_packets += 1;
            tx.tx_bytes += o.packet.to_frame().len() as u64;
        }
    }

    /// FAUCET's `is_output`: whether `packet` leaves by `port` untagged (`vlan` `None`) or
    /// with outer VLAN `vlan`, with or without `OFPVID_PRESENT` (`CONTROLLER`: is sent to the
    /// controller). Output to the packet's own input port does not count (the switch drops
    /// it, unless the action is `IN_PORT`). FAUCET's `vid=None` ("any tag") is
    /// [`FakeSwitch::is_output_any_vlan`].
    pub fn is_output(&self, packet: &Packet, port: impl Into<PortNo>, vlan: Option<u16>) -> bool {
        self.trace(packet).is_output(port, vlan)
    }

    /// Whether `packet` leaves by `port`, tagged or not.
    pub fn is_output_any_vlan(&self, packet: &Packet, port: impl Into<PortNo>) -> bool {
        self.trace(packet).is_output_any_vlan(port)
    }

    /// The packets that leave the switch when `packet` arrives.
    pub fn outputs(&self, packet: &Packet) -> Vec<Output> {
        self.trace(packet).outputs
    }

    /// PACKET_OUT (§7.3.7): the packet in `data`, from `in_port`, through the action list;
    /// output to `TABLE` runs it through the pipeline. The trace is kept for
    /// [`FakeSwitch::take_packet_outs`]; the packet-ins it causes are returned.
    pub(crate) fn packet_out(&mut self, po: &PacketOut) -> Result<Vec<Message>, Rejection> {
        // Open vSwitch: a number outside its port space is a bad port number
        // (OFPBAC_BAD_OUT_PORT, from the port conversion); a reserved port other than
        // LOCAL, CONTROLLER or ANY ("none") is not an input port (OFPBRC_BAD_PORT).
        let in_port = po.in_port;
        if (0xff00..PortNo::MAX.0).contains(&in_port.0) {
            return reject(
                OfError::BadAction(BadActionCode::BadOutPort),
                format!("packet-out in_port {in_port} is outside the port number space"),
            );
        }
        if in_port.0 >= PortNo::MAX.0
            && !matches!(in_port, PortNo::LOCAL | PortNo::ANY | PortNo::CONTROLLER)
        {
            return reject(
                OfError::BadRequest(BadRequestCode::BadPort),
                format!("packet-out in_port {in_port} is not an input port"),
            );
        }
        let packet = Packet::from_frame(in_port, &po.data);
        let mut known = Known::from_packet(&packet);
        for phase in [Phase::Decode, Phase::Consistency] {
            self.check_actions(&po.actions, &mut known, Source::PacketOut, phase)?;
            known = Known::from_packet(&packet);
        }
        if po.buffer_id != OFP_NO_BUFFER {
            return reject(
                OfError::BadRequest(BadRequestCode::BufferUnknown),
                format!("buffer {:#x}: the switch buffers no packets", po.buffer_id),
            );
        }
        self.check_actions(
            &po.actions,
            &mut known,
            Source::PacketOut,
            Phase::References,
        )?;
        let actions = po.actions.clone();
        let (trace, _) = self.run(&packet, |ex, mut p| {
            ex.actions(&actions, &mut p, PACKET_OUT_RULE, 0);
        });
        let msgs = trace
            .packet_ins
            .iter()
            .map(|c| Message::PacketIn(c.to_packet_in()))
            .collect();
        self.packet_outs.push(trace);
        Ok(msgs)
    }
}
