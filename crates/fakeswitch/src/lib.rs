//! An in-memory OpenFlow 1.3 switch for tests (FAUCET's `clib/fakeoftable.py`, typed and more
//! complete).
//!
//! Pure: no I/O, no clock, no async runtime. Time is passed in (`now`, a [`Duration`] since
//! any fixed start), so timeouts are as deterministic as everything else.
//!
//! # The model
//!
//! A [`FakeSwitch`] holds what a switch holds: flow tables, a group table, a meter table, ports,
//! and its configuration. Controller messages go in through [`FakeSwitch::apply`], which
//! changes the state the way OpenFlow 1.3.5 says (§6.4 flow table modification, §6.5 group
//! table modification, §6.6 meter modification) and answers like a switch: replies (barrier,
//! multipart statistics, echo, features...), asynchronous messages (FLOW_REMOVED, PACKET_IN
//! from a PACKET_OUT) or a [`Rejection`] carrying the OpenFlow error a real switch would send.
//! A refused message changes nothing.
//!
//! Packets are [`Packet`]s: sets of header fields with a VLAN tag stack.
//! [`FakeSwitch::trace`] walks one through the pipeline from table 0 (§5.1): highest-priority
//! match, instructions in the §5.9 order, apply-actions in list order, the action set in the
//! §5.10 order, groups, meters, table-miss. The [`Trace`] lists every packet that leaves
//! (port and final headers, VLAN stack included), every packet-in, and the path (tables,
//! flows, groups) for debugging. [`FakeSwitch::is_output`] is FAUCET's `is_output` question.
//!
//! # Whose rules
//!
//! Where the specification leaves a choice, the fake does what **Open vSwitch 3.1** does, and
//! the integration test `tests/ovs_agree.rs` checks it against a real userspace OVS bridge:
//! 34 packet and packet-out traces, 80 error cases and a sequence of flow table changes. The
//! choices are listed on the functions and modules that make them; the main ones:
//!
//! - the action set is executed when the pipeline ends, even after a table miss in a later
//!   table (the specification would drop the packet);
//! - group bucket actions are an action set (reordered, one output per bucket), and every
//!   bucket works on its own copy of the packet, also for indirect and fast-failover groups;
//! - `push_vlan` pushes VID 0, PCP 0; output to the input port is dropped; output to a port
//!   that does not exist is dropped; `ALL` and `FLOOD` include every port but the input
//!   port, also administratively down ones (OVS's `LOCAL` port too, if it is added);
//! - a packet-in from a table-miss entry's apply-actions says `OFPR_NO_MATCH`, any other
//!   `OFPR_ACTION`; invalid-TTL packet-ins only when SET_ASYNC asks for them;
//! - ADD over an identical flow keeps its counters unless `OFPFF_RESET_COUNTS`, and
//!   `OFPFF_CHECK_OVERLAP` is not consulted then; MODIFY never adds a flow, and checks the
//!   groups and meters it names only when it selects a flow;
//! - error codes: a missing meter is `OFPMMFC_INVALID_METER`, a missing group
//!   `OFPBAC_BAD_OUT_GROUP`, a table beyond the last `OFPBRC_BAD_TABLE_ID`, a set-field
//!   without its prerequisites or a pop_vlan without a tag `OFPBAC_MATCH_INCONSISTENT`, two
//!   instructions of a type and a masked set-field ONF experimenter errors 2600 and 4250.
//!
//! [`Strictness::Spec`] (the default) adds checks that OVS skips but a controller should not
//! rely on: output to and watching of ports the switch does not have (once any port is
//! configured), group buckets that reference missing groups, group loops, and deleting a
//! group that another group still uses; it also accepts DSCP-remark meter bands, which the
//! userspace datapath refuses. [`Strictness::Ovs`] is OVS exactly, for comparison with it.
//! In both, output to `TABLE` from a flow is refused (`OFPBAC_BAD_OUT_PORT`: "only for
//! packet-out"), which OVS accepts (from a group bucket too, as the fake does in
//! [`Strictness::Ovs`]).
//!
//! Not modelled: MPLS, PBB and TTL-copy actions (noted in [`Trace::unmodelled`], the packet
//! goes on unchanged), meter bands (meters count but never drop), queues, buffers
//! (`OFPBRC_BUFFER_UNKNOWN`, as OVS with `n_buffers` 0), table features (a query gets
//! plain tables; setting them is `OFPTFFC_EPERM`), and OVS's hidden table 254. The fake
//! reads every VLAN tag of an incoming frame, as the specification says; OVS reads only
//! the outer one (its `vlan-limit` of 1), which [`FakeSwitch::with_vlan_limit`] models.
//!
//! # For tests
//!
//! - Build: [`FakeSwitch::new`], [`FakeSwitch::with_ports`], [`FakeSwitch::with_tables`],
//!   [`FakeSwitch::with_strictness`], [`FakeSwitch::with_vlan_limit`]; ports change with
//!   [`FakeSwitch::add_port`], [`FakeSwitch::remove_port`], [`FakeSwitch::set_link`] (each
//!   returns the PORT_STATUS).
//! - Drive: [`FakeSwitch::apply`] (one message), [`FakeSwitch::apply_all`] (a batch, going
//!   on after errors like a switch), [`FakeSwitch::expire`] (timeouts at `now`),
//!   [`FakeSwitch::take_packet_outs`] (what PACKET_OUTs sent).
//! - Ask: [`FakeSwitch::trace`] (read-only), [`FakeSwitch::receive`] (counts, refreshes idle
//!   timeouts), [`FakeSwitch::is_output`], [`FakeSwitch::is_output_any_vlan`],
//!   [`FakeSwitch::outputs`]; [`ToController::to_packet_in`] makes the PACKET_IN a
//!   controller would get.
//! - Inspect: [`FakeSwitch::flows`], [`FakeSwitch::table_flows`],
//!   [`FakeSwitch::flow_count`], [`FakeSwitch::groups`], [`FakeSwitch::meters`], `Display`
//!   (the tables in `ovs-ofctl dump-flows` order, then groups and meters) and
//!   [`FakeSwitch::state_hash`] (to compare states, e.g. after applying a batch twice).
//!
//! # Use
//!
//! ```
//! use sluice_fakeswitch::{FakeSwitch, Packet};
//! use sluice_ofp::msg::flow::FlowMod;
//! use sluice_ofp::{Action, Instruction, Match, Message, OxmField, PortNo};
//! use std::time::Duration;
//!
//! let mut sw = FakeSwitch::new(1).with_ports([1, 2, 3]);
//! let fm = FlowMod {
//!     match_: Match::from_fields([OxmField::InPort(PortNo(1))]),
//!     instructions: vec![Instruction::ApplyActions(vec![Action::output(2)])],
//!     ..FlowMod::default()
//! };
//! sw.apply(Duration::ZERO, &Message::FlowMod(fm)).unwrap();
//! assert!(sw.is_output(&Packet::new(1), 2, None));
//! assert!(!sw.is_output(&Packet::new(2), 1, None));
//! ```

mod dump;
mod error;
mod flow;
mod frame;
mod group;
mod matching;
mod meter;
mod packet;
mod stats;
#[cfg(test)]
mod tests;
mod trace;
mod validate;

use std::collections::BTreeMap;
use std::time::Duration;

use sluice_ofp::msg::error::{BadRequestCode, PortModFailedCode, SwitchConfigFailedCode};
use sluice_ofp::msg::flow::FlowRemoved;
use sluice_ofp::msg::port::{PortMod, PortReason, PortStatus};
use sluice_ofp::msg::role::{AsyncConfig, ControllerRole, Role};
use sluice_ofp::msg::switch::{Capabilities, SwitchConfig, SwitchFeatures};
use sluice_ofp::port::{PortConfig, PortFeatures, PortState};
use sluice_ofp::{FixedStr, Message, OfError, Port, PortNo};
use sluice_wire::MacAddr;

pub use error::{DUP_INSTRUCTION, ONF_EXPERIMENTER, Rejection};
pub use flow::FlowEntry;
pub use group::Group;
pub use meter::Meter;
pub use packet::*;
pub use trace::{FlowHit, Output, Step, ToController, Trace};

use error::reject;
use flow::FlowTable;

/// How many tables Open vSwitch reports (0 to 253; table 254 is its hidden internal table).
pub const OVS_N_TABLES: u8 = 254;

/// Which checks the switch makes beyond Open vSwitch's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strictness {
    /// Open vSwitch 3.1's checks, plus: once any port is configured, an output to or a
    /// `watch_port` on a port the switch does not have is refused (`OFPBAC_BAD_OUT_PORT`,
    /// `OFPGMFC_BAD_WATCH`; §6.4 allows it for ports that "will never be valid"); a bucket
    /// that forwards to a missing group is refused (`OFPBAC_BAD_OUT_GROUP`), as is a group
    /// chain that loops (`OFPGMFC_LOOP`) or the deletion of a group that another group still
    /// forwards to (`OFPGMFC_CHAINED_GROUP`) (§6.5).
    #[default]
    Spec,
    /// Exactly Open vSwitch 3.1's checks (as far as `tests/ovs_agree.rs` shows).
    Ovs,
}

/// An in-memory OpenFlow 1.3 switch. See the [crate documentation](crate).
#[derive(Debug, Clone)]
pub struct FakeSwitch {
    datapath_id: u64,
    n_tables: u8,
    strictness: Strictness,
    /// How many VLAN tags of an incoming packet the pipeline sees (`None`: all of them).
    vlan_limit: Option<usize>,
    tables: Vec<FlowTable>,
    groups: BTreeMap<u32, Group>,
    meters: BTreeMap<u32, Meter>,
    ports: BTreeMap<PortNo, Port>,
    port_counters: BTreeMap<PortNo, PortCounters>,
    config: SwitchConfig,
    async_config: Option<AsyncConfig>,
    role: Role,
    /// Insertion counter, for the tie-break between equal-priority overlapping flows.
    next_seq: u64,
    /// Asynchronous messages produced outside [`FakeSwitch::apply`] (timeouts found by
    /// [`FakeSwitch::receive`]), handed out by the next `apply` or `expire`.
    pending: Vec<Message>,
    /// Traces of the PACKET_OUTs applied since the last [`FakeSwitch::take_packet_outs`].
    packet_outs: Vec<Trace>,
}

/// Packet counters of one port.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PortCounters {
    pub(crate) rx_packets: u64,
    pub(crate) rx_bytes: u64,
    pub(crate) tx_packets: u64,
    pub(crate) tx_bytes: u64,
}

/// What [`FakeSwitch::apply_all`] did with a batch: the replies of the messages that were
/// accepted, in order, and the rejections with the index of the message refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    /// Replies and asynchronous messages, in order.
    pub replies: Vec<Message>,
    /// Refused messages: index in the batch and why.
    pub errors: Vec<(usize, Rejection)>,
}

impl FakeSwitch {
    /// A switch with datapath id `datapath_id`, [`OVS_N_TABLES`] empty tables, no groups,
    /// meters or ports (until ports are added, any port number is accepted and output to it
    /// is recorded as is).
    pub fn new(datapath_id: u64) -> Self {
        FakeSwitch {
            datapath_id,
            n_tables: OVS_N_TABLES,
            strictness: Strictness::default(),
            vlan_limit: None,
            tables: vec![FlowTable::default(); usize::from(OVS_N_TABLES)],
            groups: BTreeMap::new(),
            meters: BTreeMap::new(),
            ports: BTreeMap::new(),
            port_counters: BTreeMap::new(),
            config: SwitchConfig {
                miss_send_len: 128,
                ..SwitchConfig::default()
            },
            async_config: None,
            role: Role {
                role: ControllerRole::Equal,
                generation_id: 0,
            },
            next_seq: 0,
            pending: Vec::new(),
            packet_outs: Vec::new(),
        }
    }

    /// The same switch with `n` tables (0 to `n - 1`); existing flows in dropped tables go.
    pub fn with_tables(mut self, n: u8) -> Self {
        self.n_tables = n;
        self.tables.resize(usize::from(n), FlowTable::default());
        self
    }

    /// The same switch with up ports of these numbers (see [`FakeSwitch::default_port`]).
    pub fn with_ports(mut self, ports: impl IntoIterator<Item = u32>) -> Self {
        for p in ports {
            self.add_port(Self::default_port(p));
        }
        self
    }

    /// The same switch with another [`Strictness`].
    pub fn with_strictness(mut self, strictness: Strictness) -> Self {
        self.strictness = strictness;
        self
    }

    /// The datapath id.
    pub fn datapath_id(&self) -> u64 {
        self.datapath_id
    }

    /// The number of tables.
    pub fn n_tables(&self) -> u8 {
        self.n_tables
    }

    /// The same switch parsing at most `limit` VLAN tags of an incoming packet, as Open
    /// vSwitch does (`other_config:vlan-limit`, default 1; OVS parses two at most). By
    /// default the fake parses every tag, as OpenFlow 1.3 defines `eth_type` ("ethernet type
    /// of the OpenFlow packet payload, after VLAN tags").
    ///
    /// With a limit, a packet with more tags enters the pipeline as that switch sees it: the
    /// first `limit` tags, then an `eth_type` that is the next tag's TPID, and no IP, ARP or
    /// other fields behind it ([`Packet::from_frame_with_vlan_limit`]). A `pop_vlan` then
    /// leaves the packet untagged as far as later matches go, although the hidden tag is
    /// still in the frame. The packets a trace reports (outputs, packet-ins) are the frames
    /// that leave, read again with every tag.
    pub fn with_vlan_limit(mut self, limit: usize) -> Self {
        self.vlan_limit = Some(limit);
        self
    }

    /// The VLAN tag parsing limit, if any (see [`FakeSwitch::with_vlan_limit`]).
    pub fn vlan_limit(&self) -> Option<usize> {
        self.vlan_limit
    }

    /// The strictness in force.
    pub fn strictness(&self) -> Strictness {
        self.strictness
    }

    // ===== ports =====

    /// A port as Open vSwitch describes a veth: named `p<no>`, a locally administered MAC
    /// made from the number, up and live, 10 Gb/s copper.
    pub fn default_port(no: u32) -> Port {
        let b = no.to_be_bytes();
        Port {
            port_no: PortNo(no),
            hw_addr: MacAddr([0x0e, 0, b[0], b[1], b[2], b[3]]),
            name: FixedStr::new(&format!("p{no}")),
            config: PortConfig::empty(),
            state: PortState::LIVE,
            curr: PortFeatures::RATE_10GB_FD | PortFeatures::COPPER,
            advertised: PortFeatures::empty(),
            supported: PortFeatures::empty(),
            peer: PortFeatures::empty(),
            curr_speed: 10_000_000,
            max_speed: 0,
        }
    }

    /// Adds (or replaces) a port; returns the PORT_STATUS the switch sends.
    pub fn add_port(&mut self, port: Port) -> Message {
        let reason = if self.ports.contains_key(&port.port_no) {
            PortReason::Modify
        } else {
            PortReason::Add
        };
        self.ports.insert(port.port_no, port.clone());
        Message::PortStatus(PortStatus { reason, desc: port })
    }

    /// Removes a port; returns the PORT_STATUS the switch sends, or `None` if there was no
    /// such port.
    pub fn remove_port(&mut self, no: impl Into<PortNo>) -> Option<Message> {
        let port = self.ports.remove(&no.into())?;
        Some(Message::PortStatus(PortStatus {
            reason: PortReason::Delete,
            desc: port,
        }))
    }

    /// Sets a port's link up or down (which fast-failover groups watch); returns the
    /// PORT_STATUS the switch sends, or `None` if there is no such port.
    pub fn set_link(&mut self, no: impl Into<PortNo>, up: bool) -> Option<Message> {
        let port = self.ports.get_mut(&no.into())?;
        if up {
            port.state.remove(PortState::LINK_DOWN);
            port.state.insert(PortState::LIVE);
        } else {
            port.state.insert(PortState::LINK_DOWN);
            port.state.remove(PortState::LIVE);
        }
        Some(Message::PortStatus(PortStatus {
            reason: PortReason::Modify,
            desc: port.clone(),
        }))
    }

    /// The ports.
    pub fn ports(&self) -> impl Iterator<Item = &Port> {
        self.ports.values()
    }

    /// One port.
    pub fn port(&self, no: impl Into<PortNo>) -> Option<&Port> {
        self.ports.get(&no.into())
    }

    /// Whether a port is usable for fast-failover liveness: it exists, is administratively
    /// up and has a link. With no ports configured at all, every port counts as live.
    pub fn port_is_live(&self, no: PortNo) -> bool {
        if self.ports.is_empty() {
            return true;
        }
        self.ports.get(&no).is_some_and(Port::is_up)
    }

    // ===== messages =====

    /// Applies one controller message at time `now`, as a switch would.
    ///
    /// First expires the flows whose timeouts have passed at `now`. Returns the messages the
    /// switch sends back: FLOW_REMOVEDs (expired or deleted flows that asked for them), then
    /// the message's reply if it has one (BARRIER_REPLY, MULTIPART_REPLY parts, ECHO_REPLY,
    /// FEATURES_REPLY, ...) and PACKET_INs caused by a PACKET_OUT.
    ///
    /// # Errors
    /// A [`Rejection`] with the OpenFlow error a switch would answer with; the switch's state
    /// is then unchanged (apart from the expiry).
    pub fn apply(&mut self, now: Duration, msg: &Message) -> Result<Vec<Message>, Rejection> {
        self.expire_into_pending(now);
        let replies = self.apply_one(now, msg)?;
        let mut out = std::mem::take(&mut self.pending);
        out.extend(replies);
        Ok(out)
    }

    /// Applies a batch of messages in order, going on after a refused one as a switch does.
    pub fn apply_all<'a>(
        &mut self,
        now: Duration,
        msgs: impl IntoIterator<Item = &'a Message>,
    ) -> Batch {
        let mut batch = Batch::default();
        for (i, m) in msgs.into_iter().enumerate() {
            match self.apply(now, m) {
                Ok(r) => batch.replies.extend(r),
                Err(e) => batch.errors.push((i, e)),
            }
        }
        batch
    }

    fn apply_one(&mut self, now: Duration, msg: &Message) -> Result<Vec<Message>, Rejection> {
        match msg {
            Message::FlowMod(fm) => self.flow_mod(now, fm),
            Message::GroupMod(gm) => self.group_mod(now, gm),
            Message::MeterMod(mm) => self.meter_mod(now, mm),
            Message::PacketOut(po) => self.packet_out(po),
            Message::MultipartRequest(req) => self.multipart(now, req),
            Message::BarrierRequest => Ok(vec![Message::BarrierReply]),
            Message::EchoRequest(d) => Ok(vec![Message::EchoReply(d.clone())]),
            Message::Hello(_) => Ok(Vec::new()),
            Message::FeaturesRequest => Ok(vec![Message::FeaturesReply(SwitchFeatures {
                datapath_id: self.datapath_id,
                n_buffers: 0,
                n_tables: self.n_tables,
                auxiliary_id: 0,
                capabilities: Capabilities::FLOW_STATS
                    | Capabilities::TABLE_STATS
                    | Capabilities::PORT_STATS
                    | Capabilities::GROUP_STATS
                    | Capabilities::QUEUE_STATS,
                reserved: 0,
            })]),
            Message::GetConfigRequest => Ok(vec![Message::GetConfigReply(self.config)]),
            Message::SetConfig(c) => {
                // OpenFlow 1.3 has only the fragment bits (OFPC_INVALID_TTL_TO_CONTROLLER
                // went to SET_ASYNC); Open vSwitch refuses the others.
                if c.flags.bits() & !0x3 != 0 {
                    return reject(
                        OfError::SwitchConfigFailed(SwitchConfigFailedCode::BadFlags),
                        format!("switch config flags {:#x}", c.flags.bits()),
                    );
                }
                self.config = *c;
                Ok(Vec::new())
            }
            Message::RoleRequest(r) => {
                if r.role != ControllerRole::NoChange {
                    self.role = *r;
                }
                Ok(vec![Message::RoleReply(self.role)])
            }
            Message::GetAsyncRequest => Ok(vec![Message::GetAsyncReply(
                self.async_config.unwrap_or(DEFAULT_ASYNC),
            )]),
            Message::SetAsync(a) => {
                self.async_config = Some(*a);
                Ok(Vec::new())
            }
            Message::PortMod(pm) => self.port_mod(pm),
            Message::TableMod(_) => Ok(Vec::new()),
            Message::QueueGetConfigRequest(port) => Ok(vec![Message::QueueGetConfigReply(
                sluice_ofp::msg::queue::QueueConfig {
                    port: *port,
                    queues: Vec::new(),
                },
            )]),
            Message::Experimenter(_) => reject(
                OfError::BadRequest(BadRequestCode::BadExperimenter),
                "experimenter messages are not supported",
            ),
            other => reject(
                OfError::BadRequest(BadRequestCode::BadType),
                format!("a switch does not accept {} messages", other.type_name()),
            ),
        }
    }

    /// PORT_MOD (§7.3.4.3): changes a port's administrative settings under the mask.
    fn port_mod(&mut self, pm: &PortMod) -> Result<Vec<Message>, Rejection> {
        let Some(port) = self.ports.get_mut(&pm.port_no) else {
            return reject(
                OfError::PortModFailed(PortModFailedCode::BadPort),
                format!("port {} does not exist", pm.port_no),
            );
        };
        if port.hw_addr != pm.hw_addr {
            return reject(
                OfError::PortModFailed(PortModFailedCode::BadHwAddr),
                format!("port {} has address {}", pm.port_no, port.hw_addr),
            );
        }
        let config = (port.config & !pm.mask) | (pm.config & pm.mask);
        if config == port.config {
            return Ok(Vec::new());
        }
        port.config = config;
        Ok(vec![Message::PortStatus(PortStatus {
            reason: PortReason::Modify,
            desc: port.clone(),
        })])
    }

    /// Removes the flows whose idle or hard timeout has passed at `now`; returns the
    /// FLOW_REMOVED messages due (for flows with `OFPFF_SEND_FLOW_REM`), with any others
    /// still pending.
    pub fn expire(&mut self, now: Duration) -> Vec<Message> {
        self.expire_into_pending(now);
        std::mem::take(&mut self.pending)
    }

    /// Traces of the PACKET_OUTs applied since the last call, oldest first.
    pub fn take_packet_outs(&mut self) -> Vec<Trace> {
        std::mem::take(&mut self.packet_outs)
    }

    /// Whether the controller wants packet-ins for `reason` (a `PacketInReason` number): the
    /// SET_ASYNC mask (master/equal half), by default Open vSwitch's: no-match and action,
    /// not invalid TTL. (The switch's datapath sends invalid-TTL packets to the slow path
    /// either way; only the connection decides whether the controller sees them.)
    pub(crate) fn wants_packet_in(&self, reason: u8) -> bool {
        let mask = self.async_config.unwrap_or(DEFAULT_ASYNC).packet_in_mask[0];
        u32::from(reason) < 32 && mask & (1 << reason) != 0
    }

    pub(crate) fn flow_removed_message(entry: &FlowEntry, now: Duration, reason: u8) -> Message {
        let alive = now.saturating_sub(entry.installed);
        Message::FlowRemoved(FlowRemoved {
            cookie: entry.cookie,
            priority: entry.priority,
            reason: reason.into(),
            table_id: entry.table_id,
            duration_sec: u32::try_from(alive.as_secs()).unwrap_or(u32::MAX),
            duration_nsec: alive.subsec_nanos(),
            idle_timeout: entry.idle_timeout,
            hard_timeout: entry.hard_timeout,
            packet_count: entry.packet_count,
            byte_count: entry.byte_count,
            match_: entry.match_.clone(),
        })
    }
}

/// Open vSwitch's default asynchronous configuration for a master or equal controller:
/// packet-ins for no-match and action (not invalid TTL), every port status and flow-removed
/// reason; for a slave, port status only.
const DEFAULT_ASYNC: AsyncConfig = AsyncConfig {
    packet_in_mask: [0b011, 0],
    port_status_mask: [0b111, 0b111],
    flow_removed_mask: [0b1111, 0],
};
