//! One datapath's controller logic: bring the switch to the desired flows by difference,
//! follow its ports, and learn hosts from packet-ins (FAUCET's `Valve`, as plain functions of
//! events and time).
//!
//! ```text
//!  connect ──► Syncing ──(flow dump)──► Programming ──(barrier)──► Running
//!                 ask for the switch's     send the difference         learn, follow
//!                 flows (and groups)       to the desired flows        port changes
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use sluice_config::{Dp, DpId, PortNo as CfgPort, Vid};
use sluice_ofp::msg::flow::{FlowMod, FlowModCommand};
use sluice_ofp::msg::group::{GroupMod, GroupModCommand};
use sluice_ofp::msg::meter::{
    MeterBand, MeterFlags, MeterMod, MeterModCommand, OFPM_ALL, OFPM_CONTROLLER, OFPM_SLOWPATH,
};
use sluice_ofp::msg::multipart::{
    FlowStatsRequest, GroupDesc, MultipartReply, MultipartReplyBody, MultipartRequest,
    MultipartRequestBody,
};
use sluice_ofp::msg::packet::{PacketIn, PacketInReason};
use sluice_ofp::msg::port::PortReason;
use sluice_ofp::oxm::OxmField;
use sluice_ofp::{Encoded, Match, Message, Port as OfPort, PortNo};
use sluice_wire::{L2Meta, MacAddr, PacketMeta};

use crate::event::Notification;
use crate::fxhash::FxHashMap;
use crate::host_flows::HostFlows;
use crate::learn::{Decision, Host, Hosts, Limits};
use crate::pipeline::compile::vid_present;
use crate::pipeline::{
    self, Compiled, Flow, FlowSet, Layout, Table, acl, compile_stacked, diff, port_counts_as_up,
    priority,
};
use crate::rng::Rng;
use crate::stack::StackView;
use crate::time::Instant;

mod counters;
mod reload;

pub use counters::PacketInCounters;
use reload::Found;

/// Where a valve is in bringing its switch up to date.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// No switch connected.
    Disconnected,
    /// Waiting for the switch's flow dump (and group and meter dumps, when the DP uses
    /// groups or meters).
    Syncing {
        flows: Option<FlowSet>,
        /// Learned hosts in the flow dump, to adopt.
        found: Vec<Found>,
        groups: Option<BTreeMap<u32, GroupMod>>,
        meters: Option<BTreeMap<u32, MeterMod>>,
    },
    /// The difference is sent; waiting for the barrier with this token.
    Programming { token: u64 },
    /// Programmed and learning.
    Running,
}

/// What a valve wants done.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ValveOutput {
    /// Messages for the switch, in order.
    pub msgs: Vec<Message>,
    /// Messages for the switch already encoded (the packet-in path's), sent after `msgs`.
    pub frames: Encoded,
    /// A barrier token to follow the messages with.
    pub barrier: Option<u64>,
    /// Notifications.
    pub notes: Vec<Notification>,
}

/// What learning needs to know about a configured port, looked up once per packet-in.
#[derive(Debug, Clone)]
struct LearnPort {
    native: Option<Vid>,
    tagged: Vec<Vid>,
    max_hosts: usize,
    loop_protect: bool,
    permanent: bool,
    hairpin: bool,
    /// A stack port: it carries every VLAN, and learns only while on the flood tree.
    stack: bool,
}

/// What learning needs to know about a configured VLAN.
#[derive(Debug, Clone, Copy)]
struct LearnVlan {
    max_hosts: usize,
    /// `edge_learn_stack_root: false`: a host behind the stack is learned towards the DP that
    /// learned it locally, by the shortest path, not where its frame came in.
    shortest: bool,
}

/// One datapath's controller state.
#[derive(Debug)]
pub struct Valve {
    /// Shared with the configuration it came from.
    dp: Arc<Dp>,
    dp_id: DpId,
    phase: Phase,
    /// Ports the switch reported, and whether it says they are up.
    switch_ports: BTreeMap<u32, bool>,
    /// The static flows and groups the switch holds, as far as we know.
    installed: Compiled,
    hosts: Hosts,
    /// The learned-host flows' templates.
    flows: HostFlows,
    /// Ports that learn (enabled, not output-only), by number: the packet-in path's view.
    learn_ports: FxHashMap<u32, LearnPort>,
    /// Each VLAN's learning settings.
    learn_vlans: FxHashMap<u16, LearnVlan>,
    rng: Rng,
    /// Packet-ins in the current second, for `ignore_learn_ins`.
    pkt_in_second: u64,
    pkt_in_count: u64,
    /// Packet-ins received and how they were classified, for the metrics.
    packet_ins: PacketInCounters,
    /// This DP's view of the stack (empty when not stacked).
    stack: StackView,
}

impl Valve {
    /// A valve for the configured DP `dp`.
    pub fn new(dp: impl Into<Arc<Dp>>, seed: u64) -> Valve {
        let dp = dp.into();
        let dp_id = dp.dp_id;
        let empty = Compiled::empty(Layout::for_dp(&dp));
        let learn_ports = reload::learn_ports(&dp);
        let learn_vlans = reload::learn_vlans(&dp);
        Valve {
            flows: HostFlows::for_dp(&dp, &empty.layout),
            learn_ports,
            learn_vlans,
            dp,
            dp_id,
            phase: Phase::Disconnected,
            switch_ports: BTreeMap::new(),
            installed: empty,
            hosts: Hosts::new(),
            rng: Rng::new(seed ^ dp_id.0),
            pkt_in_second: 0,
            pkt_in_count: 0,
            packet_ins: PacketInCounters::default(),
            stack: StackView::default(),
        }
    }

    fn dp(&self) -> &Dp {
        &self.dp
    }

    /// The learned hosts.
    pub fn hosts(&self) -> &Hosts {
        &self.hosts
    }

    /// Whether the switch is programmed and learning.
    pub fn is_running(&self) -> bool {
        self.phase == Phase::Running
    }

    /// The static flows as last sent.
    pub fn installed(&self) -> &Compiled {
        &self.installed
    }

    /// The configured ports that currently forward.
    fn up_ports(&self) -> BTreeSet<CfgPort> {
        self.dp()
            .ports
            .values()
            .filter(|p| {
                port_counts_as_up(
                    p,
                    self.switch_ports.get(&p.number.0).copied().unwrap_or(false),
                )
            })
            .map(|p| p.number)
            .collect()
    }

    /// The switch connected: forget what it held, and ask it what it holds now.
    pub fn connect(&mut self, ports: &[OfPort]) -> ValveOutput {
        self.switch_ports = ports.iter().map(|p| (p.port_no.0, p.is_up())).collect();
        self.request_dump()
    }

    /// Forgets the hosts and asks the switch what it holds (flows, and groups and meters
    /// when the DP uses them), to sync from.
    fn request_dump(&mut self) -> ValveOutput {
        self.hosts.clear();
        let uses_groups = self.dp().group_table || acl::uses_groups(self.dp());
        let uses_meters = !self.dp().meters.is_empty();
        // What the DP does not use is taken as empty on the switch, without asking.
        self.phase = Phase::Syncing {
            flows: None,
            found: Vec::new(),
            groups: (!uses_groups).then(BTreeMap::new),
            meters: (!uses_meters).then(BTreeMap::new),
        };
        let mut msgs = vec![Message::MultipartRequest(MultipartRequest::new(
            MultipartRequestBody::Flow(FlowStatsRequest::default()),
        ))];
        if uses_groups {
            msgs.push(Message::MultipartRequest(MultipartRequest::new(
                MultipartRequestBody::GroupDesc,
            )));
        }
        if uses_meters {
            msgs.push(Message::MultipartRequest(MultipartRequest::new(
                MultipartRequestBody::MeterConfig(OFPM_ALL),
            )));
        }
        ValveOutput {
            msgs,
            ..ValveOutput::default()
        }
    }

    /// The switch disconnected.
    pub fn disconnect(&mut self) {
        self.phase = Phase::Disconnected;
        self.hosts.clear();
    }

    /// A multipart reply arrived; while syncing, it is the switch's flow or group dump.
    pub fn multipart_reply(
        &mut self,
        now: Instant,
        reply: &MultipartReply,
        token: u64,
    ) -> ValveOutput {
        let Phase::Syncing {
            flows,
            found,
            groups,
            meters,
        } = &mut self.phase
        else {
            return ValveOutput::default();
        };
        match &reply.body {
            MultipartReplyBody::Flow(stats) => {
                let layout = Layout::for_dp(&self.dp);
                *found = reload::found_hosts(stats, &layout, self.dp.cookie);
                *flows = Some(stats.iter().map(Flow::from_stats).collect());
            }
            MultipartReplyBody::GroupDesc(descs) => {
                *groups = Some(
                    descs
                        .iter()
                        .map(|d| (d.group_id, group_from_desc(d)))
                        .collect(),
                );
            }
            MultipartReplyBody::MeterConfig(configs) => {
                *meters = Some(pipeline::meters::from_config(configs));
            }
            _ => return ValveOutput::default(),
        }
        if flows.is_none() || groups.is_none() || meters.is_none() {
            return ValveOutput::default();
        }
        let (Some(mut have_flows), Some(have_groups), Some(have_meters)) =
            (flows.take(), groups.take(), meters.take())
        else {
            return ValveOutput::default();
        };
        let found = std::mem::take(found);
        self.adopt(now, &mut have_flows, found);
        let have = Compiled {
            layout: self.installed.layout.clone(),
            flows: have_flows,
            groups: have_groups,
            meters: have_meters,
        };
        let want = self.compile();
        let mut msgs = self.rate_meters();
        msgs.extend(program(&have, &want));
        let n = msgs.len();
        self.installed = want;
        self.phase = Phase::Programming { token };
        let notes = vec![Notification::DpProgramming {
            dp_id: self.dp_id.0,
            flows: self.installed.flows.len(),
            changes: n,
        }];
        ValveOutput {
            msgs,
            barrier: Some(token),
            notes,
            ..ValveOutput::default()
        }
    }

    /// The packet-in and slow-path rate limits (`packetin_pps`, `slowpath_pps`): the switch's
    /// reserved controller and slow-path meters, replaced on every connect (no flow refers to
    /// them, so replacing them disturbs nothing).
    fn rate_meters(&self) -> Vec<Message> {
        let dp = self.dp();
        [
            (OFPM_CONTROLLER, dp.packetin_pps),
            (OFPM_SLOWPATH, dp.slowpath_pps),
        ]
        .into_iter()
        .filter_map(|(meter_id, pps)| Some((meter_id, u32::try_from(pps?).ok()?)))
        .flat_map(|(meter_id, rate)| {
            let delete = MeterMod {
                command: MeterModCommand::Delete,
                flags: MeterFlags::empty(),
                meter_id,
                bands: vec![],
            };
            let add = MeterMod {
                command: MeterModCommand::Add,
                flags: MeterFlags::PKTPS,
                meter_id,
                bands: vec![MeterBand::Drop {
                    rate,
                    burst_size: 0,
                }],
            };
            [Message::MeterMod(delete), Message::MeterMod(add)]
        })
        .collect()
    }

    /// A barrier was answered.
    pub fn barrier_done(&mut self, token: u64) -> ValveOutput {
        if self.phase == (Phase::Programming { token }) {
            self.phase = Phase::Running;
            return ValveOutput {
                notes: vec![Notification::DpRunning {
                    dp_id: self.dp_id.0,
                    flows: self.installed.flows.len(),
                }],
                ..ValveOutput::default()
            };
        }
        ValveOutput::default()
    }

    /// A port was added, changed or deleted on the switch.
    pub fn port_status(&mut self, reason: PortReason, port: &OfPort) -> ValveOutput {
        let no = port.port_no.0;
        let was_up = self.counts_up(no);
        if reason == PortReason::Delete {
            self.switch_ports.remove(&no);
        } else {
            self.switch_ports.insert(no, port.is_up());
        }
        let mut out = ValveOutput::default();
        if matches!(self.phase, Phase::Disconnected | Phase::Syncing { .. }) {
            return out;
        }
        if was_up && !self.counts_up(no) {
            self.flush_port(no, &mut out);
        }
        let want = self.compile();
        out.msgs.extend(program(&self.installed, &want));
        self.installed = want;
        out
    }

    /// The static pipeline for the ports up now and the stack as it is.
    fn compile(&self) -> Compiled {
        compile_stacked(self.dp(), &self.up_ports(), &self.stack)
    }

    /// This DP's view of the stack changed: its flows follow. With `flush`, the stack's tree
    /// changed somewhere, so hosts learned behind stack ports may now be elsewhere: they are
    /// forgotten (and relearned from the next packets, which flood along the new tree).
    pub fn set_stack(&mut self, view: StackView, flush: bool) -> ValveOutput {
        let mut out = ValveOutput::default();
        let changed = view != self.stack;
        if !changed && !flush {
            return out;
        }
        // External ports that stop forwarding lose their hosts.
        let newly_blocked: BTreeSet<u32> = view
            .blocked
            .difference(&self.stack.blocked)
            .map(|(p, _)| *p)
            .collect();
        self.stack = view;
        if matches!(self.phase, Phase::Disconnected | Phase::Syncing { .. }) {
            return out;
        }
        for no in newly_blocked {
            self.flush_port(no, &mut out);
        }
        if flush {
            self.flush_stack_ports(&mut out);
        }
        if changed {
            let want = self.compile();
            out.msgs.extend(program(&self.installed, &want));
            self.installed = want;
        }
        out
    }

    /// This DP's view of the stack.
    pub fn stack(&self) -> &StackView {
        &self.stack
    }

    fn counts_up(&self, no: u32) -> bool {
        self.dp().ports.get(&CfgPort(no)).is_some_and(|p| {
            port_counts_as_up(p, self.switch_ports.get(&no).copied().unwrap_or(false))
        })
    }

    /// Forgets the hosts behind every stack port, and deletes their flows.
    fn flush_stack_ports(&mut self, out: &mut ValveOutput) {
        let stack_ports: Vec<u32> = self
            .learn_ports
            .iter()
            .filter(|(_, p)| p.stack)
            .map(|(no, _)| *no)
            .collect();
        for no in stack_ports {
            self.flush_port(no, out);
        }
    }

    /// Forgets a port's hosts and deletes their flows (FAUCET's `port_delete`).
    fn flush_port(&mut self, no: u32, out: &mut ValveOutput) {
        let layout = &self.installed.layout;
        let in_port = Match::new().with(OxmField::InPort(PortNo(no)));
        let mut tables = vec![(layout.id(Table::EthSrc), in_port.clone(), PortNo::ANY)];
        if let Some(t) = layout.get(Table::EthDstHairpin) {
            tables.push((t, in_port, PortNo::ANY));
        }
        tables.push((layout.id(Table::EthDst), Match::new(), PortNo(no)));
        for (table_id, match_, out_port) in tables {
            out.msgs.push(Message::FlowMod(FlowMod {
                table_id,
                command: FlowModCommand::Delete,
                match_,
                out_port,
                ..FlowMod::default()
            }));
        }
        for (vid, mac) in self.hosts.flush_port(no) {
            out.notes.push(self.expired_note(vid, mac, no));
        }
    }

    /// Expires hosts whose learning timeout has passed.
    pub fn tick(&mut self, now: Instant) -> ValveOutput {
        let mut out = ValveOutput::default();
        if self.phase != Phase::Running {
            return out;
        }
        let idle_dst = self.dp().idle_dst;
        for (vid, mac, host) in self.hosts.expire(now) {
            if !idle_dst {
                // Without idle timeouts the destination flow stays until we delete it.
                let key = self.flows.dst_key(Vid(vid), mac);
                out.msgs.push(crate::pipeline::flow::delete_strict(&key));
            }
            out.notes.push(self.expired_note(vid, mac, host.port));
        }
        out
    }

    /// Readies the host table for a batch of packet-ins before they are handled one by one
    /// (see [`crate::learn::Hosts::prefetch`]): reads each one's source MAC and outer VLAN,
    /// and nothing past them.
    pub fn prefetch_hosts<'a>(&self, pis: impl Iterator<Item = &'a PacketIn>) {
        self.hosts.prefetch(pis.filter_map(|pi| {
            let l2 = L2Meta::parse(&pi.data).ok()?;
            Some((l2.vlans.outer()?.vid().get(), l2.eth_src))
        }));
    }

    /// A packet-in: learn its source, if FAUCET would (`valve.parse_pkt_meta` and the
    /// learning checks). O(1): a few hash lookups, and two flows built and sent.
    /// Messages go to `out.msgs` and notifications to `out.notes`, so a batch of packet-ins
    /// fills one output without allocating per packet. `home` is the DP that learned the
    /// source on one of its own ports, if another did (see [`Valve::local_host`]): a VLAN that
    /// learns by the shortest path learns a host behind the stack towards it.
    pub fn packet_in(
        &mut self,
        now: Instant,
        pi: &PacketIn,
        home: Option<u64>,
        out: &mut ValveOutput,
    ) {
        self.packet_ins.received += 1;
        if self.phase != Phase::Running {
            return;
        }
        // Every `ignore_learn_ins`-th packet-in in a second is ignored (FAUCET's rate limit).
        let second = now.as_millis() / 1000;
        if second != self.pkt_in_second {
            self.pkt_in_second = second;
            self.pkt_in_count = 0;
        }
        self.pkt_in_count += 1;
        let dp = &self.dp;
        if !matches!(
            pi.reason,
            PacketInReason::Action | PacketInReason::InvalidTtl
        ) || (dp.strict_packet_in_cookie && pi.cookie != dp.cookie)
        {
            return;
        }
        let Some(in_port) = pi.in_port() else { return };
        let no = in_port.0;
        let Some(port) = self.learn_ports.get(&no) else {
            return;
        };
        if dp.ignore_learn_ins > 0
            && self
                .pkt_in_count
                .is_multiple_of(dp.ignore_learn_ins.unsigned_abs())
        {
            self.packet_ins.ignored += 1;
            return;
        }
        let Ok(meta) = PacketMeta::parse(&pi.data) else {
            return;
        };
        let mac = meta.eth_src;
        if !mac.is_unicast() || mac == MacAddr::ZERO {
            return;
        }
        let Some(tag) = meta.vlans.outer() else {
            self.packet_ins.non_vlan += 1;
            return;
        };
        let vid = Vid(tag.vid().get());
        let untagged = port.native == Some(vid);
        let Some(vlan) = self.learn_vlans.get(&vid.0).copied() else {
            return;
        };
        // Where the host is learned: the port its frame came by, or for a host behind the
        // stack of a VLAN that learns by the shortest path, the port towards its DP (not
        // learned while no other DP has it on a port of its own, as FAUCET).
        let at = if port.stack && vlan.shortest {
            match home.and_then(|h| self.stack.towards.get(&h)) {
                Some(p) => *p,
                None => return,
            }
        } else if port.stack {
            if !self.stack.tree_ports.contains(&no) {
                return;
            }
            no
        } else if !untagged && !port.tagged.contains(&vid) {
            return;
        } else {
            no
        };
        self.packet_ins.vlan += 1;
        let guard_s = u64::try_from(dp.cache_update_guard_time).unwrap_or(0);
        let limits = Limits {
            port_max: port.max_hosts,
            vlan_max: vlan.max_hosts,
            guard_ms: guard_s * 1000,
            loop_protect: port.loop_protect,
        };
        let (permanent, hairpin) = (port.permanent, port.hairpin);
        let ban_timeout = u16::try_from(dp.learn_ban_timeout).unwrap_or(u16::MAX);
        let ban_until = Instant(now.as_millis() + u64::from(ban_timeout) * 1000);
        let idle_dst = dp.idle_dst;
        let frames = &mut out.frames;
        let (dp, rng) = (&self.dp, &mut self.rng);
        let mut timeout = 0;
        // A host behind the stack in a VLAN that learns by the shortest path goes when its
        // home forgets it (see `rehome`), not on a timeout of its own.
        let remote = port.stack && vlan.shortest;
        let choose = || {
            timeout = if permanent || remote {
                0
            } else {
                learn_timeout(dp, rng)
            };
            timeout
        };
        match self
            .hosts
            .observe(now, (at, vid.0, mac), limits, permanent, choose)
        {
            Decision::Known | Decision::Banned => {}
            Decision::PinnedElsewhere { port: pinned } => {
                let m = Match::new()
                    .with(OxmField::InPort(PortNo(no)))
                    .with(OxmField::EthSrc(mac, None));
                push(frames, &self.eth_src_drop(priority::FILTER, m, ban_timeout));
                out.notes.push(self.ban_note(
                    Some(no),
                    None,
                    Some(mac),
                    format!("pinned to port {pinned}"),
                ));
            }
            Decision::BanPort | Decision::BanLoop => {
                self.hosts.ban_port(no, ban_until);
                let m = Match::new().with(OxmField::InPort(PortNo(no)));
                push(frames, &self.eth_src_drop(priority::BAN, m, ban_timeout));
                out.notes.push(self.ban_note(
                    Some(no),
                    None,
                    None,
                    "port max_hosts or loop".into(),
                ));
            }
            Decision::BanVlan => {
                self.hosts.ban_vlan(vid.0, ban_until);
                let m = Match::new().with(OxmField::VlanVid(vid_present(vid), None));
                push(frames, &self.eth_src_drop(priority::BAN, m, ban_timeout));
                out.notes
                    .push(self.ban_note(None, Some(vid.0), None, "VLAN max_hosts".into()));
            }
            Decision::Learn {
                moved_from,
                refresh: _,
            } => {
                let flows = &self.flows;
                if let Some(old) = moved_from {
                    // The old port's source flows go; the destination flow is replaced below.
                    for key in self.src_keys(old, vid, mac) {
                        push(frames, &crate::pipeline::flow::delete_strict(&key));
                    }
                    if let Some(key) = flows.hairpin_key(old, vid, mac) {
                        push(frames, &crate::pipeline::flow::delete_strict(&key));
                    }
                }
                let dst_idle = if idle_dst && timeout != 0 {
                    timeout.saturating_add(u16::try_from(guard_s).unwrap_or(u16::MAX))
                } else {
                    0
                };
                flows.push_dst(frames, (at, vid, mac), untagged, dst_idle);
                if hairpin {
                    flows.push_hairpin(frames, (at, vid, mac), untagged, dst_idle);
                }
                for p in self.src_ports(at, vlan.shortest) {
                    flows.push_src(frames, p, vid, mac, timeout);
                }
                out.notes.push(Notification::HostLearned {
                    dp_id: self.dp_id.0,
                    vid: vid.0,
                    mac,
                    port: at,
                    moved_from,
                });
            }
        }
    }

    /// The input ports a host learned at `port` has source flows for: its port, or for a
    /// host behind the stack in a VLAN that learns by the shortest path (`shortest`), every
    /// stack port carrying that VLAN (its frames may come by any of them, and must not look
    /// like a move).
    fn src_ports(&self, port: u32, shortest: bool) -> impl Iterator<Item = u32> + '_ {
        let behind_stack = shortest && self.is_stack_port(port);
        let stack_ports = behind_stack
            .then(|| self.stack.tree_ports.union(&self.stack.unicast_ports))
            .into_iter()
            .flatten()
            .copied();
        (!behind_stack)
            .then_some(port)
            .into_iter()
            .chain(stack_ports)
    }

    /// The keys of the source flows of a host learned at `port` (see [`Valve::src_ports`]).
    fn src_keys(
        &self,
        port: u32,
        vid: Vid,
        mac: MacAddr,
    ) -> impl Iterator<Item = pipeline::FlowKey> + '_ {
        self.src_ports(port, self.learns_shortest(vid.0))
            .map(move |p| self.flows.src_key(p, vid, mac))
    }

    /// Whether VLAN `vid` learns hosts behind the stack by the shortest path.
    fn learns_shortest(&self, vid: u16) -> bool {
        self.learn_vlans.get(&vid).is_some_and(|v| v.shortest)
    }

    /// Whether `port` is one of this DP's stack ports.
    pub fn is_stack_port(&self, port: u32) -> bool {
        self.learn_ports.get(&port).is_some_and(|p| p.stack)
    }

    /// The hosts this DP has on its own ports in VLANs that learn by the shortest path, as
    /// (VID, MAC, when learned). O(hosts).
    pub fn local_hosts_shortest(&self) -> Vec<(u16, MacAddr, Instant)> {
        self.hosts
            .iter()
            .filter(|(vid, _, h)| !self.is_stack_port(h.port) && self.learns_shortest(*vid))
            .map(|(vid, mac, h)| (vid, mac, h.learned))
            .collect()
    }

    /// When this DP learned `mac` in VLAN `vid` on one of its own ports (not behind the
    /// stack), if it did: the DP most recently so is the host's home.
    pub fn local_host(&self, vid: u16, mac: MacAddr) -> Option<Instant> {
        let host = self.hosts.get(vid, mac)?;
        (!self.is_stack_port(host.port)).then_some(host.learned)
    }

    /// DP `home` learned `mac` in VLAN `vid` on one of its own ports at `learned` (and is the
    /// host's home). In a VLAN that learns by the shortest path, this DP then has the host behind the
    /// stack towards `home`, at once, whether it knew it before or not: every DP leads the
    /// same way from the moment the home learns it, and no frame for it floods along the tree
    /// to a DP that would send it on by another way. Such an entry has no timeout of its own:
    /// it goes when the home forgets the host ([`Valve::forget_behind_stack`]). A host this
    /// DP has on one of its own ports stays there until its frames say otherwise. The VLAN's
    /// `max_hosts` is the home's to enforce. O(stack ports).
    pub fn rehome(&mut self, learned: Instant, vid: u16, mac: MacAddr, home: u64) -> ValveOutput {
        let mut out = ValveOutput::default();
        if self.phase != Phase::Running || !self.learns_shortest(vid) {
            return out;
        }
        let Some(&to) = self.stack.towards.get(&home) else {
            return out;
        };
        let was = self.hosts.get(vid, mac).copied();
        if was.is_some_and(|h| !self.is_stack_port(h.port) || (h.port == to && h.timeout == 0)) {
            return out;
        }
        let host = Host {
            port: to,
            learned,
            timeout: 0,
        };
        self.hosts.adopt(vid, mac, host, false);
        let v = Vid(vid);
        self.flows.push_dst(&mut out.frames, (to, v, mac), false, 0);
        for p in self.src_ports(to, true) {
            self.flows.push_src(&mut out.frames, p, v, mac, 0);
        }
        out.notes.push(Notification::HostLearned {
            dp_id: self.dp_id.0,
            vid,
            mac,
            port: to,
            moved_from: was.map(|h| h.port).filter(|p| *p != to),
        });
        out
    }

    /// No DP has `mac` in VLAN `vid` on a port of its own any more: if this DP has it behind
    /// the stack, in a VLAN that learns by the shortest path, it forgets it too (its next hop
    /// would lead to a DP that no longer knows it). O(stack ports).
    pub fn forget_behind_stack(&mut self, vid: u16, mac: MacAddr) -> ValveOutput {
        let mut out = ValveOutput::default();
        let behind_stack = self
            .hosts
            .get(vid, mac)
            .is_some_and(|h| self.is_stack_port(h.port));
        if self.phase != Phase::Running || !self.learns_shortest(vid) || !behind_stack {
            return out;
        }
        let Some(host) = self.hosts.forget(vid, mac) else {
            return out;
        };
        let v = Vid(vid);
        let keys = self
            .src_keys(host.port, v, mac)
            .chain([self.flows.dst_key(v, mac)]);
        out.msgs
            .extend(keys.map(|k| crate::pipeline::flow::delete_strict(&k)));
        out.notes.push(self.expired_note(vid, mac, host.port));
        out
    }

    fn expired_note(&self, vid: u16, mac: MacAddr, port: u32) -> Notification {
        Notification::HostExpired {
            dp_id: self.dp_id.0,
            vid,
            mac,
            port,
        }
    }

    fn ban_note(
        &self,
        port: Option<u32>,
        vid: Option<u16>,
        mac: Option<MacAddr>,
        why: String,
    ) -> Notification {
        Notification::LearnBan {
            dp_id: self.dp_id.0,
            port,
            vid,
            mac,
            why,
        }
    }

    fn eth_src_drop(&self, prio: u16, m: Match, hard_timeout: u16) -> Message {
        let table_id = self.installed.layout.id(Table::EthSrc);
        Message::FlowMod(FlowMod {
            cookie: self.dp.cookie,
            table_id,
            priority: prio,
            hard_timeout,
            match_: m,
            ..FlowMod::default()
        })
    }
}

/// The messages that take a switch from `have` to `want`: flow deletes, group and meter
/// deletes, group and meter adds and changes, then flow adds (so no flow ever refers to a
/// missing group or meter).
pub fn program(have: &Compiled, want: &Compiled) -> Vec<Message> {
    let flow_msgs = diff(&have.flows, &want.flows);
    let split = flow_msgs
        .iter()
        .position(|m| matches!(m, Message::FlowMod(f) if f.command == FlowModCommand::Add))
        .unwrap_or(flow_msgs.len());
    let (flow_deletes, flow_adds) = flow_msgs.split_at(split);
    let mut msgs: Vec<Message> = flow_deletes.to_vec();
    // Groups are added and modified from the highest id down, and deleted after that from the
    // lowest up: a flood group (ids below 0x2000) may chain to a remote mirror's group (0x10000
    // and up), which must exist before anything refers to it and stay until nothing does.
    for (id, g) in want.groups.iter().rev() {
        match have.groups.get(id) {
            Some(old) if old.group_type == g.group_type && old.buckets == g.buckets => {}
            Some(_) => msgs.push(Message::GroupMod(GroupMod {
                command: GroupModCommand::Modify,
                ..g.clone()
            })),
            None => msgs.push(Message::GroupMod(g.clone())),
        }
    }
    for id in have
        .groups
        .keys()
        .filter(|id| !want.groups.contains_key(id))
    {
        // A delete carries no buckets (OpenFlow 1.3.5 §7.3.4.2).
        msgs.push(Message::GroupMod(GroupMod {
            command: GroupModCommand::Delete,
            group_type: have.groups[id].group_type,
            group_id: *id,
            buckets: Vec::new(),
        }));
    }
    let (meter_deletes, meter_adds) = pipeline::meters::program(&have.meters, &want.meters);
    msgs.splice(flow_deletes.len()..flow_deletes.len(), meter_deletes);
    msgs.extend(meter_adds);
    msgs.extend_from_slice(flow_adds);
    msgs
}

/// The eth_src flow's hard timeout: the DP's timeout less a random part of the jitter (so
/// hosts do not all expire together), never below the guard time.
fn learn_timeout(dp: &Dp, rng: &mut Rng) -> u16 {
    let (timeout, jitter, guard) = (
        i64::from(dp.timeout),
        dp.learn_jitter.max(0),
        dp.cache_update_guard_time,
    );
    let r = i64::try_from(rng.below(jitter.unsigned_abs())).unwrap_or(0);
    u16::try_from((timeout - jitter + r).abs().max(guard)).unwrap_or(u16::MAX)
}

/// Appends a message the core built; such a message is never too long to send.
fn push(frames: &mut Encoded, msg: &Message) {
    let _ = frames.push(msg);
}

/// A group as a switch describes it, as the ADD that would create it.
fn group_from_desc(d: &GroupDesc) -> GroupMod {
    GroupMod {
        command: GroupModCommand::Add,
        group_type: d.group_type,
        group_id: d.group_id,
        buckets: d.buckets.clone(),
    }
}
