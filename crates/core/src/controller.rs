//! The controller: every connected datapath, and a [`Valve`] for each configured one.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use sluice_config::{Config, Dp, DpId, PortNo as CfgPort};
use sluice_ofp::msg::packet::{PacketIn, PacketOut};
use sluice_ofp::msg::port::{PortReason, PortStatus};
use sluice_ofp::{Action, Encoded, Message, Port, PortNo};
use sluice_wire::build::FaucetBeacon;
use sluice_wire::lldp::{LldpPacket, LldpRepr};
use sluice_wire::{MacAddr, PacketMeta};

use crate::event::{Event, Notification, Output, Restart};
use crate::stack::{Stack, StackChange};
use crate::time::Instant;
use crate::valve::{Valve, ValveOutput};

/// What the controller knows about one connected switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datapath {
    /// The datapath id.
    pub dp_id: u64,
    /// Its ports, by number, as last reported.
    pub ports: BTreeMap<PortNo, Port>,
}

/// The controller's state: every connected datapath and, with a configuration, the valve of
/// every configured one.
#[derive(Debug, Default)]
pub struct Controller {
    config: Option<Arc<Config>>,
    datapaths: BTreeMap<u64, Datapath>,
    /// Boxed: a valve is over a kilobyte, and a map's node has room for eleven, most of it
    /// empty when the valves arrive in no order (switches connecting).
    valves: BTreeMap<u64, Box<Valve>>,
    /// The stack, when the configuration has one.
    stack: Option<Stack>,
    next_token: u64,
    seed: u64,
}

/// A host (VID, MAC) and its home: when and on which DP it was learned on a port of the
/// DP's own, if any DP has it so.
type Home = (u16, MacAddr, Option<(Instant, u64)>);

/// Room for what one packet-in can cause: a learned host's two flows (208 bytes), so that a
/// batch's buffer is allocated once and never grown and copied.
const LEARNED_BYTES: usize = 256;

/// Gathers a valve's outputs for one switch into as few sends as possible: one per barrier.
struct Batch {
    dp_id: u64,
    msgs: Encoded,
    out: Vec<Output>,
}

impl Batch {
    fn new(dp_id: u64) -> Self {
        Batch {
            dp_id,
            msgs: Encoded::new(),
            out: Vec::new(),
        }
    }

    fn take(&mut self, v: ValveOutput) {
        for m in &v.msgs {
            if let Err(e) = self.msgs.push(m) {
                // The core never builds a message over 64 KiB; if it did, say so, send the rest.
                self.out.push(Output::Notify(Notification::Unsendable {
                    dp_id: self.dp_id,
                    why: e.to_string(),
                }));
            }
        }
        self.msgs.append(v.frames);
        if let Some(token) = v.barrier {
            let msgs = std::mem::take(&mut self.msgs);
            self.out.push(Output::Send {
                dp_id: self.dp_id,
                msgs,
                barrier: Some(token),
            });
        }
        self.out.extend(v.notes.into_iter().map(Output::Notify));
    }

    fn finish(mut self, out: &mut Vec<Output>) {
        if !self.msgs.is_empty() {
            out.push(Output::Send {
                dp_id: self.dp_id,
                msgs: self.msgs,
                barrier: None,
            });
        }
        out.append(&mut self.out);
    }
}

impl Controller {
    /// A controller without a configuration: it accepts switches and follows their ports,
    /// but programs nothing.
    pub fn new() -> Self {
        Controller::default()
    }

    /// A controller for `config`: configured switches are programmed, others disconnected.
    /// `seed` drives every random choice (learn-timeout jitter).
    pub fn with_config(config: Config, seed: u64) -> Self {
        Controller {
            stack: Stack::from_config(&config, None),
            config: Some(Arc::new(config)),
            seed,
            ..Controller::default()
        }
    }

    /// The stack, when the configuration has one.
    pub fn stack(&self) -> Option<&Stack> {
        self.stack.as_ref()
    }

    /// The configuration in force, if any.
    pub fn config(&self) -> Option<&Config> {
        self.config.as_deref()
    }

    /// The connected datapaths.
    pub fn datapaths(&self) -> impl Iterator<Item = &Datapath> {
        self.datapaths.values()
    }

    /// One connected datapath.
    pub fn datapath(&self, dp_id: u64) -> Option<&Datapath> {
        self.datapaths.get(&dp_id)
    }

    /// The valve of a configured datapath that has connected.
    pub fn valve(&self, dp_id: u64) -> Option<&Valve> {
        self.valves.get(&dp_id).map(|v| &**v)
    }

    /// Handles one event at time `now` and returns what to do.
    pub fn handle(&mut self, now: Instant, event: Event) -> Vec<Output> {
        let mut out = Vec::new();
        match event {
            Event::SwitchUp {
                features,
                desc,
                ports,
            } => {
                let dp_id = features.datapath_id;
                let dp = Datapath {
                    dp_id,
                    ports: ports.iter().map(|p| (p.port_no, p.clone())).collect(),
                };
                let desc =
                    desc.map_or_else(String::new, |d| format!("{} {}", d.mfr_desc, d.sw_desc));
                out.push(Output::Notify(Notification::DpConnected {
                    dp_id,
                    ports: dp.ports.keys().copied().collect(),
                    desc,
                }));
                self.datapaths.insert(dp_id, dp);
                if let Some(config) = &self.config {
                    if !config.dps.contains_key(&DpId(dp_id)) {
                        out.push(Output::Notify(Notification::DpUnknown { dp_id }));
                        out.push(Output::Disconnect {
                            dp_id,
                            reason: "datapath not in the configuration".into(),
                        });
                        return out;
                    }
                    let (dp, seed) = (&config.dps[&DpId(dp_id)], self.seed);
                    let valve = self
                        .valves
                        .entry(dp_id)
                        .or_insert_with(|| Box::new(Valve::new(dp.clone(), seed)));
                    let mut batch = Batch::new(dp_id);
                    batch.take(valve.connect(&ports));
                    if let Some(view) = self.stack.as_ref().and_then(|s| s.view(dp_id)) {
                        // Kept until the switch is synced, then compiled in.
                        batch.take(valve.set_stack(view.clone(), false));
                    }
                    batch.finish(&mut out);
                    let links: Vec<(u32, bool)> =
                        ports.iter().map(|p| (p.port_no.0, p.is_up())).collect();
                    self.stack_event(&mut out, |s, ch| s.dp_up(dp_id, &links, ch));
                }
            }
            Event::SwitchDown { dp_id, reason } => {
                if let Some(v) = self.valves.get_mut(&dp_id) {
                    v.disconnect();
                }
                self.stack_event(&mut out, |s, ch| s.dp_down(dp_id, ch));
                if self.datapaths.remove(&dp_id).is_some() {
                    out.push(Output::Notify(Notification::DpDisconnected {
                        dp_id,
                        reason,
                    }));
                }
            }
            Event::Messages { dp_id, msgs } => {
                let mut batch = Batch::new(dp_id);
                // Packet-ins fill one output: a host learned is two flows and a note.
                let mut learned = ValveOutput {
                    frames: Encoded::with_capacity(LEARNED_BYTES * msgs.len()),
                    notes: Vec::with_capacity(msgs.len()),
                    ..ValveOutput::default()
                };
                // Stack beacons and stack links going up or down, handled after the batch.
                let mut beacons = Vec::new();
                let mut stack_links = Vec::new();
                if let Some(v) = self.valves.get(&dp_id) {
                    v.prefetch_hosts(msgs.iter().filter_map(|(_, m)| match m {
                        Message::PacketIn(pi) => Some(pi),
                        _ => None,
                    }));
                }
                for (_xid, msg) in msgs {
                    match msg {
                        Message::PortStatus(ps) => {
                            batch.take(std::mem::take(&mut learned));
                            if self.stack.as_ref().is_some_and(|s| s.has_dp(dp_id)) {
                                let up = ps.desc.is_up() && ps.reason != PortReason::Delete;
                                stack_links.push((ps.desc.port_no.0, up));
                            }
                            self.port_status(dp_id, ps, &mut batch);
                        }
                        Message::PacketIn(pi) if is_lldp(&pi.data) => {
                            beacons.push(pi);
                        }
                        Message::PacketIn(pi) => {
                            let home = self.host_home(dp_id, &pi);
                            if let Some(v) = self.valves.get_mut(&dp_id) {
                                v.packet_in(now, &pi, home, &mut learned);
                            }
                        }
                        Message::MultipartReply(reply) => {
                            batch.take(std::mem::take(&mut learned));
                            if let Some(v) = self.valves.get_mut(&dp_id) {
                                self.next_token += 1;
                                batch.take(v.multipart_reply(now, &reply, self.next_token));
                            }
                        }
                        _ => {}
                    }
                }
                batch.take(learned);
                batch.finish(&mut out);
                for pi in beacons {
                    self.beacon(now, dp_id, &pi, &mut out);
                }
                for (port, up) in stack_links {
                    self.stack_event(&mut out, |s, ch| s.port_link(dp_id, port, up, ch));
                }
            }
            Event::BarrierDone { dp_id, token } => {
                if let Some(v) = self.valves.get_mut(&dp_id) {
                    let mut batch = Batch::new(dp_id);
                    batch.take(v.barrier_done(token));
                    batch.finish(&mut out);
                }
            }
            Event::Tick => {
                for (dp_id, v) in &mut self.valves {
                    let mut batch = Batch::new(*dp_id);
                    batch.take(v.tick(now));
                    batch.finish(&mut out);
                }
                self.stack_tick(now, &mut out);
            }
            Event::Reload(config) => self.reload(*config, &mut out),
            Event::SwitchError {
                dp_id,
                error,
                request,
            } => {
                out.push(Output::Notify(Notification::SwitchError {
                    dp_id,
                    error,
                    request,
                }));
            }
        }
        self.keep_homes(&mut out);
        out
    }

    /// Puts `config` in force: changed DPs take it warm or cold, removed ones are
    /// disconnected, and connected switches that became configured are programmed.
    fn reload(&mut self, config: Config, out: &mut Vec<Output>) {
        let files = config
            .files
            .iter()
            .map(|f| (f.path.display().to_string(), f.sha256_hex()))
            .collect();
        let config = Arc::new(config);
        let mut restarts = Vec::new();
        let gone: Vec<u64> = self
            .valves
            .keys()
            .filter(|id| !config.dps.contains_key(&DpId(**id)))
            .copied()
            .collect();
        for dp_id in gone {
            self.valves.remove(&dp_id);
            restarts.push((dp_id, Restart::Removed));
            if self.datapaths.contains_key(&dp_id) {
                out.push(Output::Disconnect {
                    dp_id,
                    reason: "datapath removed from the configuration".into(),
                });
            }
        }
        for (id, dp) in &config.dps {
            let dp_id = id.0;
            let mut batch = Batch::new(dp_id);
            match self.valves.get_mut(&dp_id) {
                Some(v) if v.config() == dp => continue,
                Some(v) => {
                    let cold = v.reload_is_cold(dp);
                    batch.take(v.reload(dp.clone()));
                    restarts.push((dp_id, if cold { Restart::Cold } else { Restart::Warm }));
                }
                None => {
                    restarts.push((dp_id, Restart::New));
                    // A switch already connected (followed without a configuration until
                    // now) is programmed at once; others when they connect.
                    if let Some(sw) = self.datapaths.get(&dp_id) {
                        let ports: Vec<Port> = sw.ports.values().cloned().collect();
                        let v = self
                            .valves
                            .entry(dp_id)
                            .or_insert_with(|| Box::new(Valve::new(dp.clone(), self.seed)));
                        batch.take(v.connect(&ports));
                    }
                }
            }
            batch.finish(out);
        }
        // Switches connected but not configured (there was no configuration before).
        for dp_id in self.datapaths.keys() {
            if !config.dps.contains_key(&DpId(*dp_id)) && !self.valves.contains_key(dp_id) {
                out.push(Output::Notify(Notification::DpUnknown { dp_id: *dp_id }));
                out.push(Output::Disconnect {
                    dp_id: *dp_id,
                    reason: "datapath not in the configuration".into(),
                });
            }
        }
        self.config = Some(Arc::clone(&config));
        self.stack = Stack::from_config(&config, self.stack.as_ref());
        // Switches already connected say nothing more about their ports: tell the new stack
        // what they said (a DP or port that just became stacked or external, say).
        if let Some(stack) = &mut self.stack {
            let mut changes = Vec::new();
            for (dp_id, dp) in &self.datapaths {
                let links: Vec<(u32, bool)> =
                    dp.ports.iter().map(|(no, p)| (no.0, p.is_up())).collect();
                stack.dp_up(*dp_id, &links, &mut changes);
            }
            stack.recompute();
        }
        self.apply_stack(true, None, out);
        out.push(Output::Notify(Notification::ConfigApplied { files }));
        out.extend(restarts.into_iter().map(|(dp_id, restart)| {
            Output::Notify(Notification::DpReconfigured { dp_id, restart })
        }));
    }

    /// Something happened to the stack's ports: record it, and if the stack's shape changed,
    /// reprogram the DPs whose view changed.
    fn stack_event(
        &mut self,
        out: &mut Vec<Output>,
        f: impl FnOnce(&mut Stack, &mut Vec<StackChange>),
    ) {
        let Some(stack) = &mut self.stack else {
            return;
        };
        let mut changes = Vec::new();
        f(stack, &mut changes);
        self.stack_changed(changes, out);
    }

    fn stack_changed(&mut self, changes: Vec<StackChange>, out: &mut Vec<Output>) {
        if changes.is_empty() {
            return;
        }
        for c in &changes {
            if let StackChange::PortState { dp_id, port, state } = c {
                out.push(Output::Notify(Notification::StackPortState {
                    dp_id: *dp_id,
                    port: *port,
                    state: *state,
                }));
            }
        }
        let Some(stack) = &mut self.stack else {
            return;
        };
        let (links_changed, root) = stack.recompute();
        if links_changed || root.is_some() {
            self.apply_stack(false, root, out);
        }
    }

    /// Hands every stacked valve its view of the stack; hosts behind stack ports are
    /// forgotten when the tree changed (`force`: after a reload, every view is handed
    /// over).
    fn apply_stack(&mut self, force: bool, root: Option<StackChange>, out: &mut Vec<Output>) {
        let Some(stack) = &self.stack else {
            return;
        };
        let tree_changed = self.valves.iter().any(|(id, v)| {
            stack
                .view(*id)
                .is_some_and(|view| view.host_paths() != v.stack().host_paths())
        });
        for (dp_id, v) in &mut self.valves {
            let Some(view) = stack.view(*dp_id) else {
                continue;
            };
            // A tree change elsewhere can move hosts behind this DP's stack ports even when
            // its own view stays the same (a ring's far side re-hung from the other side).
            if !force && !tree_changed && view == v.stack() {
                continue;
            }
            let mut batch = Batch::new(*dp_id);
            batch.take(v.set_stack(view.clone(), tree_changed));
            batch.finish(out);
        }
        out.push(Output::Notify(topology(stack, root.is_some())));
        if tree_changed && stack.learns_shortest() {
            self.reinstall_homes(out);
        }
    }

    /// With VLANs that learn by the shortest path, keeps every DP's hosts behind the stack
    /// leading the same way, after `out` said hosts were learned or forgotten on DPs' own
    /// ports: each such host is installed on every DP towards the DP that most recently
    /// learned it on its own port (its home), or forgotten everywhere when none has it any
    /// more. So next hops towards one host always form a tree towards one DP that knows it,
    /// from the moment it learns it. O(DPs) per such host; nothing without such VLANs.
    fn keep_homes(&mut self, out: &mut Vec<Output>) {
        if !self.stack.as_ref().is_some_and(Stack::learns_shortest) {
            return;
        }
        let mut hosts: Vec<(u16, MacAddr)> = out
            .iter()
            .filter_map(|o| match o {
                Output::Notify(
                    Notification::HostLearned {
                        dp_id,
                        vid,
                        mac,
                        port,
                        ..
                    }
                    | Notification::HostExpired {
                        dp_id,
                        vid,
                        mac,
                        port,
                    },
                ) if self
                    .valves
                    .get(dp_id)
                    .is_some_and(|v| !v.is_stack_port(*port)) =>
                {
                    Some((*vid, *mac))
                }
                _ => None,
            })
            .collect();
        if hosts.is_empty() {
            return;
        }
        hosts.sort_unstable();
        hosts.dedup();
        let homes: Vec<Home> = hosts
            .into_iter()
            .map(|(vid, mac)| (vid, mac, self.home_of(vid, mac, None)))
            .collect();
        self.spread_homes(&homes, out);
    }

    /// After hosts behind stack ports were forgotten (the stack changed), every DP learns
    /// again, by the new paths, the hosts that other DPs have on their own ports in VLANs
    /// that learn by the shortest path (the most recently learned one winning a host found at
    /// two). O(such hosts × DPs).
    fn reinstall_homes(&mut self, out: &mut Vec<Output>) {
        let mut found: Vec<(Instant, u16, MacAddr, u64)> = self
            .valves
            .iter()
            .flat_map(|(id, v)| {
                v.local_hosts_shortest()
                    .into_iter()
                    .map(|(vid, mac, learned)| (learned, vid, mac, *id))
            })
            .collect();
        found.sort_unstable();
        let homes: Vec<Home> = found
            .into_iter()
            .map(|(learned, vid, mac, id)| (vid, mac, Some((learned, id))))
            .collect();
        self.spread_homes(&homes, out);
    }

    /// Every DP but each host's home leads to it there (or, without a home, forgets it): one
    /// batch of flow mods per DP. O(hosts × DPs).
    fn spread_homes(&mut self, homes: &[Home], out: &mut Vec<Output>) {
        for (id, v) in &mut self.valves {
            let mut batch = Batch::new(*id);
            for (vid, mac, home) in homes {
                match *home {
                    Some((_, h)) if h == *id => {}
                    Some((learned, h)) => batch.take(v.rehome(learned, *vid, *mac, h)),
                    None => batch.take(v.forget_behind_stack(*vid, *mac)),
                }
            }
            batch.finish(out);
        }
    }

    /// The DP (other than `except`) that most recently learned `mac` in VLAN `vid` on one of
    /// its own ports, and when. O(DPs).
    fn home_of(&self, vid: u16, mac: MacAddr, except: Option<u64>) -> Option<(Instant, u64)> {
        self.valves
            .iter()
            .filter(|(id, _)| Some(**id) != except)
            .filter_map(|(id, v)| Some((v.local_host(vid, mac)?, *id)))
            .max()
    }

    /// For a packet-in from a stack port (with VLANs that learn by the shortest path): the
    /// other DP that most recently learned its source on one of its own ports, which the
    /// host is learned towards. O(DPs), and nothing without such VLANs.
    fn host_home(&self, dp_id: u64, pi: &PacketIn) -> Option<u64> {
        if !self.stack.as_ref()?.learns_shortest() {
            return None;
        }
        if !self.valves.get(&dp_id)?.is_stack_port(pi.in_port()?.0) {
            return None;
        }
        let meta = PacketMeta::parse(&pi.data).ok()?;
        let vid = meta.vlans.outer()?.vid().get();
        self.home_of(vid, meta.eth_src, Some(dp_id))
            .map(|(_, id)| id)
    }

    /// A beacon arrived on a port: if it is a stack port, it says who is at the far end.
    fn beacon(&mut self, now: Instant, dp_id: u64, pi: &PacketIn, out: &mut Vec<Output>) {
        let (Some(in_port), Some(dp)) = (
            pi.in_port(),
            self.config
                .as_ref()
                .and_then(|c| c.dps.get(&DpId(dp_id)).cloned()),
        ) else {
            return;
        };
        let Ok(meta) = PacketMeta::parse(&pi.data) else {
            return;
        };
        let Some(body) = pi.data.get(meta.l3_offset..) else {
            return;
        };
        let Ok(repr) = LldpRepr::parse(&LldpPacket::new_unchecked(body)) else {
            return;
        };
        let Some(faucet) = repr.faucet(dp.faucet_dp_mac) else {
            return;
        };
        let peer = (faucet.dp_id, faucet.port);
        self.stack_event(out, |s, ch| s.beacon(now, dp_id, in_port.0, peer, ch));
    }

    /// Once a second: stack ports whose beacons stopped are gone, and beacons go out on
    /// every running stacked DP's stack ports each `send_interval`.
    fn stack_tick(&mut self, now: Instant, out: &mut Vec<Output>) {
        let Some(stack) = &mut self.stack else {
            return;
        };
        let mut changes = Vec::new();
        let due = stack.tick(now, &mut changes);
        let mut per_dp: BTreeMap<u64, Vec<Message>> = BTreeMap::new();
        if let Some(config) = &self.config {
            for (dp_id, port) in due {
                let running = self.valves.get(&dp_id).is_some_and(|v| v.is_running());
                let (Some(dp), true) = (config.dps.get(&DpId(dp_id)), running) else {
                    continue;
                };
                if let Some(msg) = beacon_out(dp, port, stack) {
                    per_dp.entry(dp_id).or_default().push(msg);
                }
            }
        }
        for (dp_id, msgs) in per_dp {
            let mut batch = Batch::new(dp_id);
            batch.take(ValveOutput {
                msgs,
                ..ValveOutput::default()
            });
            batch.finish(out);
        }
        self.stack_changed(changes, out);
    }

    fn port_status(&mut self, dp_id: u64, ps: PortStatus, batch: &mut Batch) {
        let Some(dp) = self.datapaths.get_mut(&dp_id) else {
            return;
        };
        let port = ps.desc;
        batch.out.push(Output::Notify(Notification::PortChange {
            dp_id,
            port_no: port.port_no,
            reason: ps.reason,
            name: port.name.as_str().into_owned(),
            up: port.is_up() && ps.reason != PortReason::Delete,
            state: port.state.bits(),
        }));
        if let Some(v) = self.valves.get_mut(&dp_id) {
            batch.take(v.port_status(ps.reason, &port));
        }
        if ps.reason == PortReason::Delete {
            dp.ports.remove(&port.port_no);
        } else {
            dp.ports.insert(port.port_no, port);
        }
    }
}

/// Whether a frame is LLDP (untagged EtherType 0x88cc): only beacons are trapped as such.
fn is_lldp(data: &[u8]) -> bool {
    data.get(12..14) == Some(&[0x88, 0xcc][..])
}

/// A packet-out of the beacon for a stack port (FAUCET's format, so FAUCET and sluice DPs
/// could read each other's).
fn beacon_out(dp: &Dp, port: u32, stack: &Stack) -> Option<Message> {
    let (state, ttl) = stack.beacon_info(dp.dp_id.0, port)?;
    let cfg = dp.ports.get(&CfgPort(port))?;
    let system_name = cfg
        .lldp_beacon
        .system_name
        .as_deref()
        .or(dp.lldp_beacon.as_ref().map(|b| b.system_name.as_str()))
        .unwrap_or(&dp.name);
    let beacon = FaucetBeacon {
        dp_mac: dp.faucet_dp_mac,
        dp_id: dp.dp_id.0,
        port_no: port,
        ttl,
        system_name: Some(truncate(system_name)),
        port_descr: Some(truncate(
            cfg.lldp_beacon
                .port_descr
                .as_deref()
                .unwrap_or(&cfg.description),
        )),
        org_tlvs: &[],
        stack_state: Some(state as i64),
    };
    Some(Message::PacketOut(PacketOut::new(
        PortNo::CONTROLLER,
        vec![Action::output(PortNo(port))],
        Bytes::from(beacon.frame()),
    )))
}

/// A name cut to what an LLDP TLV holds (255 bytes), at a character boundary.
fn truncate(s: &str) -> &str {
    let mut end = s.len().min(255);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The stack's shape, for the event stream and the metrics.
fn topology(stack: &Stack, root_changed: bool) -> Notification {
    let root_ports = stack.views().map(|(id, v)| (id, v.root_port)).collect();
    let links_up = stack
        .links()
        .filter(|(_, _, up)| *up)
        .map(|(a, b, _)| (a.0, a.1, b.0, b.1))
        .collect();
    Notification::StackTopology {
        root: stack.root().unwrap_or(0),
        root_changed,
        root_ports,
        links_up,
    }
}

#[cfg(test)]
mod tests {
    use sluice_ofp::FixedStr;
    use sluice_ofp::msg::switch::SwitchFeatures;
    use sluice_ofp::port::PortState;

    use super::*;
    use crate::event::DisconnectReason;

    fn port(n: u32, name: &str) -> Port {
        Port {
            port_no: PortNo(n),
            name: FixedStr::new(name),
            ..Port::default()
        }
    }

    fn up(ctl: &mut Controller, dp_id: u64) {
        let features = SwitchFeatures {
            datapath_id: dp_id,
            ..SwitchFeatures::default()
        };
        ctl.handle(
            Instant(0),
            Event::SwitchUp {
                features,
                desc: None,
                ports: vec![port(1, "p1")],
            },
        );
    }

    #[test]
    fn port_add_modify_delete_reach_the_datapath() {
        let mut ctl = Controller::new();
        up(&mut ctl, 1);
        let status = |reason, p: Port| Event::Messages {
            dp_id: 1,
            msgs: vec![(0, Message::PortStatus(PortStatus { reason, desc: p }))],
        };
        let out = ctl.handle(Instant(1), status(PortReason::Add, port(2, "p2")));
        assert!(matches!(
            &out[..],
            [Output::Notify(Notification::PortChange {
                port_no: PortNo(2),
                up: true,
                ..
            })]
        ));
        let mut down = port(2, "p2");
        down.state = PortState::LINK_DOWN;
        let out = ctl.handle(Instant(2), status(PortReason::Modify, down));
        assert!(matches!(
            &out[..],
            [Output::Notify(Notification::PortChange { up: false, .. })]
        ));
        ctl.handle(Instant(3), status(PortReason::Delete, port(2, "p2")));
        let ports: Vec<_> = ctl.datapath(1).unwrap().ports.keys().copied().collect();
        assert_eq!(ports, vec![PortNo(1)]);
    }

    #[test]
    fn disconnect_forgets_the_datapath() {
        let mut ctl = Controller::new();
        up(&mut ctl, 7);
        let out = ctl.handle(
            Instant(1),
            Event::SwitchDown {
                dp_id: 7,
                reason: DisconnectReason::Closed,
            },
        );
        assert_eq!(out.len(), 1);
        assert!(ctl.datapath(7).is_none());
        // A second disconnect of an unknown switch is quiet.
        assert!(
            ctl.handle(
                Instant(2),
                Event::SwitchDown {
                    dp_id: 7,
                    reason: DisconnectReason::Closed
                }
            )
            .is_empty()
        );
    }
}
