//! Stacking on a network of fake switches joined by stack links: beacons bring the links up,
//! floods reach every host exactly once over the tree, hosts are learned across switches,
//! and the stack heals when a link goes down or the root leaves. Tunnels carry ACL-selected
//! traffic to a port of another switch.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use sluice_core::stack::PortState;
use sluice_core::{Controller, DisconnectReason, Event, Instant, Notification, Output};
use sluice_fakeswitch::{FakeSwitch, Packet};
use sluice_ofp::msg::flow::{FlowMod, FlowModCommand};
use sluice_ofp::msg::switch::SwitchFeatures;
use sluice_ofp::oxm::OxmField;
use sluice_ofp::{Match, Message};
use sluice_wire::MacAddr;

/// Hops a packet may make across stack links before the test calls it a loop.
const MAX_HOPS: usize = 64;

/// A controller and several fake switches, their stack ports cabled as configured.
struct StackNet {
    ctl: Controller,
    sws: BTreeMap<u64, FakeSwitch>,
    /// Stack cables, both ways: (dp, port) -> (dp, port).
    cables: BTreeMap<(u64, u32), (u64, u32)>,
    /// Cables that are cut.
    cut: Vec<(u64, u32)>,
    connected: BTreeMap<u64, bool>,
    now_ms: u64,
    notes: Vec<Notification>,
    /// The stack ports the last [`StackNet::send`] left by, a frame at a time: (dp, port).
    crossed: Vec<(u64, u32)>,
}

/// Where a packet that entered the network ended up: (dp, port, packet as it left).
type Deliveries = Vec<(u64, u32, Packet)>;

impl StackNet {
    fn new(yaml: &str) -> StackNet {
        StackNet::with_cables(yaml, |_| {})
    }

    /// As [`StackNet::new`], with the cables changed by `rewire` before anything starts.
    fn with_cables(
        yaml: &str,
        rewire: impl FnOnce(&mut BTreeMap<(u64, u32), (u64, u32)>),
    ) -> StackNet {
        let config = sluice_config::load_str(yaml)
            .unwrap_or_else(|e| panic!("bad test config:\n{e}"))
            .config;
        let mut sws = BTreeMap::new();
        let mut cables = BTreeMap::new();
        for dp in config.dps.values() {
            let ports: Vec<u32> = dp.ports.keys().map(|p| p.0).collect();
            sws.insert(dp.dp_id.0, FakeSwitch::new(dp.dp_id.0).with_ports(ports));
            for p in dp.ports.values() {
                if let Some(peer) = p.stack {
                    cables.insert((dp.dp_id.0, p.number.0), (peer.dp.0, peer.port.0));
                }
            }
        }
        rewire(&mut cables);
        let mut net = StackNet {
            ctl: Controller::with_config(config, 1),
            connected: sws.keys().map(|id| (*id, false)).collect(),
            sws,
            cables,
            cut: Vec::new(),
            now_ms: 0,
            notes: Vec::new(),
            crossed: Vec::new(),
        };
        let ids: Vec<u64> = net.sws.keys().copied().collect();
        for id in ids {
            net.connect(id);
        }
        // Beacons go out on the next tick and bring the links up.
        net.advance(2);
        net
    }

    fn now(&self) -> Instant {
        Instant::from_millis(self.now_ms)
    }

    fn connect(&mut self, dp_id: u64) {
        let sw = &self.sws[&dp_id];
        let features = SwitchFeatures {
            datapath_id: dp_id,
            n_tables: sw.n_tables(),
            ..Default::default()
        };
        let ports = sw.ports().cloned().collect();
        self.connected.insert(dp_id, true);
        let out = self.ctl.handle(
            self.now(),
            Event::SwitchUp {
                features,
                desc: None,
                ports,
            },
        );
        self.run(out);
    }

    fn disconnect(&mut self, dp_id: u64) {
        self.connected.insert(dp_id, false);
        let out = self.ctl.handle(
            self.now(),
            Event::SwitchDown {
                dp_id,
                reason: DisconnectReason::Closed,
            },
        );
        self.run(out);
    }

    /// Carries out the controller's outputs, and what they cause, until nothing more happens.
    fn run(&mut self, outputs: Vec<Output>) {
        let mut queue = outputs;
        while !queue.is_empty() {
            let mut events = Vec::new();
            for out in queue {
                match out {
                    Output::Send {
                        dp_id,
                        msgs,
                        barrier,
                    } => {
                        if !self.connected[&dp_id] {
                            continue;
                        }
                        let now = Duration::from_millis(self.now_ms);
                        let mut replies = Vec::new();
                        for m in msgs.messages() {
                            let m = m.expect("the core's messages decode");
                            let sw = self.sws.get_mut(&dp_id).unwrap();
                            replies.extend(
                                sw.apply(now, &m)
                                    .unwrap_or_else(|e| panic!("{dp_id} refused {m}: {e:?}")),
                            );
                        }
                        if !replies.is_empty() {
                            events.push(Event::Messages {
                                dp_id,
                                msgs: replies.into_iter().map(|m| (0, m)).collect(),
                            });
                        }
                        // Packet-outs (beacons) leave by their ports and cross the cables.
                        let traces = self.sws.get_mut(&dp_id).unwrap().take_packet_outs();
                        for t in traces {
                            for o in t.outputs {
                                events.extend(self.cross(dp_id, o.port.0, o.packet));
                            }
                        }
                        if let Some(token) = barrier {
                            events.push(Event::BarrierDone { dp_id, token });
                        }
                    }
                    Output::Disconnect { dp_id, reason } => {
                        panic!("the controller disconnected {dp_id}: {reason}")
                    }
                    Output::Notify(n) => self.notes.push(n),
                }
            }
            queue = Vec::new();
            for ev in events {
                queue.extend(self.ctl.handle(self.now(), ev));
            }
        }
    }

    /// A frame leaves `dp` by `port`: if a cable is there, the peer receives it; returns the
    /// packet-ins that causes (beacons only: used for control traffic).
    fn cross(&mut self, dp: u64, port: u32, pkt: Packet) -> Vec<Event> {
        let Some(&(pdp, pport)) = self.cables.get(&(dp, port)) else {
            return Vec::new();
        };
        if self.cut.contains(&(dp, port)) || !self.connected[&pdp] {
            return Vec::new();
        }
        let now = Duration::from_millis(self.now_ms);
        let trace = self
            .sws
            .get_mut(&pdp)
            .unwrap()
            .receive(now, &pkt.in_port(pport));
        let pins: Vec<(u32, Message)> = trace
            .packet_ins
            .iter()
            .map(|c| (0, Message::PacketIn(c.to_packet_in())))
            .collect();
        if pins.is_empty() {
            Vec::new()
        } else {
            vec![Event::Messages {
                dp_id: pdp,
                msgs: pins,
            }]
        }
    }

    /// A packet enters `dp`; it crosses stack cables wherever it is sent. Returns where it
    /// left the network (ports without cables). Panics on a loop.
    fn send(&mut self, dp: u64, pkt: &Packet) -> Deliveries {
        let mut delivered = Vec::new();
        self.crossed.clear();
        let mut queue = VecDeque::from([(dp, pkt.clone(), 0usize)]);
        let now = Duration::from_millis(self.now_ms);
        while let Some((dp_id, pkt, hops)) = queue.pop_front() {
            assert!(
                hops < MAX_HOPS,
                "a loop: {pkt:?} still going after {hops} hops"
            );
            let trace = self.sws.get_mut(&dp_id).unwrap().receive(now, &pkt);
            let pins: Vec<(u32, Message)> = trace
                .packet_ins
                .iter()
                .map(|c| (0, Message::PacketIn(c.to_packet_in())))
                .collect();
            if !pins.is_empty() {
                let out = self
                    .ctl
                    .handle(self.now(), Event::Messages { dp_id, msgs: pins });
                self.run(out);
            }
            for o in trace.outputs {
                match self.cables.get(&(dp_id, o.port.0)) {
                    Some(&(pdp, pport)) => {
                        if !self.cut.contains(&(dp_id, o.port.0)) && self.connected[&pdp] {
                            self.crossed.push((dp_id, o.port.0));
                            queue.push_back((pdp, o.packet.in_port(pport), hops + 1));
                        }
                    }
                    None => delivered.push((dp_id, o.port.0, o.packet)),
                }
            }
        }
        delivered
    }

    /// Time passes, a second at a time.
    fn advance(&mut self, secs: u64) {
        for _ in 0..secs {
            self.now_ms += 1000;
            let out = self.ctl.handle(self.now(), Event::Tick);
            self.run(out);
        }
    }

    /// The cable at (dp, port) is cut: both ends see their link go down.
    fn cut_cable(&mut self, dp: u64, port: u32) {
        let peer = self.cables[&(dp, port)];
        self.cut.extend([(dp, port), peer]);
        for (d, p) in [(dp, port), peer] {
            self.set_link(d, p, false);
        }
    }

    /// The link of (dp, port) goes up or down, and the switch says so.
    fn set_link(&mut self, dp: u64, port: u32, up: bool) {
        let status = self.sws.get_mut(&dp).unwrap().set_link(port, up);
        if let Some(status) = status {
            let out = self.ctl.handle(
                self.now(),
                Event::Messages {
                    dp_id: dp,
                    msgs: vec![(0, status)],
                },
            );
            self.run(out);
        }
    }

    /// A frame enters at `from` (a stack DP's port, or `None` for a host of the external
    /// network) and travels through the stack and through an ordinary switch outside it
    /// joining the `external` ports (it floods every frame to all its ports but the one it
    /// came by). Returns the deliveries to stack hosts and how many copies the external host
    /// got. Panics when frames keep circling.
    fn send_with_external(
        &mut self,
        from: Option<(u64, &Packet)>,
        external: &[(u64, u32)],
    ) -> (Deliveries, usize) {
        let mut queue: VecDeque<(u64, Packet)> = VecDeque::new();
        let mut outside = 0;
        let mut delivered = Vec::new();
        let into_stack =
            |q: &mut VecDeque<(u64, Packet)>, skip: Option<(u64, u32)>, pkt: &Packet| {
                for (d, p) in external.iter().filter(|e| Some(**e) != skip) {
                    q.push_back((*d, pkt.clone().in_port(*p)));
                }
            };
        match from {
            Some((dp, pkt)) => queue.push_back((dp, pkt.clone())),
            None => {
                let pkt = frame(1, mac(99), MacAddr::BROADCAST);
                into_stack(&mut queue, None, &pkt);
            }
        }
        let mut rounds = 0;
        while let Some((dp, pkt)) = queue.pop_front() {
            rounds += 1;
            assert!(
                rounds < MAX_HOPS,
                "frames circle through the external network"
            );
            for (d, p, out) in self.send(dp, &pkt) {
                if external.contains(&(d, p)) {
                    outside += 1;
                    into_stack(&mut queue, Some((d, p)), &out);
                } else {
                    delivered.push((d, p, out));
                }
            }
        }
        (delivered, outside)
    }

    fn root(&self) -> Option<u64> {
        self.ctl.stack().and_then(|s| s.root())
    }
}

fn mac(n: u8) -> MacAddr {
    MacAddr([0x0a, 0, 0, 0, 0, n])
}

fn frame(port: u32, src: MacAddr, dst: MacAddr) -> Packet {
    Packet::new(port).eth(src, dst).eth_type(0x0800)
}

/// The (dp, port) pairs a delivery list reached, sorted.
fn places(d: &Deliveries) -> Vec<(u64, u32)> {
    let mut v: Vec<(u64, u32)> = d.iter().map(|(dp, p, _)| (*dp, *p)).collect();
    v.sort_unstable();
    v
}

/// Three switches in a ring (1-2, 2-3, 3-1), sw1 the root; one host on port 1 of each, all
/// in VLAN 100, and a second VLAN on port 2 of sw1 and sw3.
const RING: &str = "
vlans:
  office: {vid: 100}
  lab: {vid: 200}
dps:
  sw1:
    dp_id: 1
    stack: {priority: 1}
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: lab}
      10: {stack: {dp: sw2, port: 10}}
      11: {stack: {dp: sw3, port: 11}}
  sw2:
    dp_id: 2
    stack: {priority: 2}
    interfaces:
      1: {native_vlan: office}
      10: {stack: {dp: sw1, port: 10}}
      12: {stack: {dp: sw3, port: 12}}
  sw3:
    dp_id: 3
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: lab}
      11: {stack: {dp: sw1, port: 11}}
      12: {stack: {dp: sw2, port: 12}}
";

#[test]
fn beacons_bring_every_link_up_and_elect_the_root() {
    let net = StackNet::new(RING);
    assert_eq!(net.root(), Some(1));
    // Links came up one by one, but the root never moved.
    assert_eq!(net.ctl.stack().unwrap().root_changes(), 0);
    let stack = net.ctl.stack().unwrap();
    assert!(stack.links().all(|(_, _, up)| up), "{:?}", net.notes);
    // The tree: sw2 and sw3 each hang off the root; their direct link carries no floods.
    assert_eq!(stack.view(2).unwrap().root_port, Some(10));
    assert_eq!(stack.view(3).unwrap().root_port, Some(11));
    assert!(!stack.view(2).unwrap().tree_ports.contains(&12));
    assert!(net.notes.iter().any(|n| matches!(
        n,
        Notification::StackTopology { root: 1, links_up, .. } if links_up.len() == 3
    )));
}

#[test]
fn a_broadcast_reaches_every_host_of_its_vlan_once() {
    let mut net = StackNet::new(RING);
    for dp in [1, 2, 3] {
        let got = net.send(dp, &frame(1, mac(dp as u8), MacAddr::BROADCAST));
        let want: Vec<(u64, u32)> = [1, 2, 3]
            .into_iter()
            .filter(|d| *d != dp)
            .map(|d| (d, 1))
            .collect();
        assert_eq!(places(&got), want, "from sw{dp}");
        // Untagged where it leaves, as it came in.
        assert!(got.iter().all(|(_, _, p)| p.outer_vid().is_none()));
    }
    // The other VLAN stays apart.
    let got = net.send(3, &frame(2, mac(30), MacAddr::BROADCAST));
    assert_eq!(places(&got), vec![(1, 2)]);
}

#[test]
fn hosts_are_learned_across_the_stack() {
    let mut net = StackNet::new(RING);
    net.send(2, &frame(1, mac(2), MacAddr::BROADCAST));
    net.send(3, &frame(1, mac(3), MacAddr::BROADCAST));
    // Now unicast goes only where the host is, across two switches if need be.
    let got = net.send(2, &frame(1, mac(2), mac(3)));
    assert_eq!(places(&got), vec![(3, 1)]);
    let got = net.send(3, &frame(1, mac(3), mac(2)));
    assert_eq!(places(&got), vec![(2, 1)]);
    let hosts = net.ctl.valve(1).unwrap().hosts();
    assert_eq!(
        hosts.len(),
        2,
        "the root learned both, behind its stack ports"
    );
}

#[test]
fn cutting_a_link_moves_the_tree_and_traffic_follows() {
    let mut net = StackNet::new(RING);
    net.send(2, &frame(1, mac(2), MacAddr::BROADCAST));
    net.send(3, &frame(1, mac(3), MacAddr::BROADCAST));
    net.cut_cable(1, 10);
    let stack = net.ctl.stack().unwrap();
    assert_eq!(
        stack.view(2).unwrap().root_port,
        Some(12),
        "sw2 now reaches the root via sw3"
    );
    assert_eq!(net.root(), Some(1));
    for dp in [1, 2, 3] {
        let got = net.send(dp, &frame(1, mac(dp as u8), MacAddr::BROADCAST));
        assert_eq!(places(&got).len(), 2, "from sw{dp}: {got:?}");
    }
    let got = net.send(2, &frame(1, mac(2), mac(1)));
    assert_eq!(places(&got), vec![(1, 1)]);
    // The cable back: the ring is whole again after the next beacons.
    net.cut.clear();
    for (d, p) in [(1, 10), (2, 10)] {
        if let Some(status) = net.sws.get_mut(&d).unwrap().set_link(p, true) {
            let out = net.ctl.handle(
                net.now(),
                Event::Messages {
                    dp_id: d,
                    msgs: vec![(0, status)],
                },
            );
            net.run(out);
        }
    }
    net.advance(6);
    assert!(net.ctl.stack().unwrap().links().all(|(_, _, up)| up));
    assert_eq!(
        net.ctl.stack().unwrap().view(2).unwrap().root_port,
        Some(10)
    );
}

#[test]
fn silent_beacons_take_a_link_down_after_max_lldp_lost_intervals() {
    let mut net = StackNet::new(RING);
    // The cable stops carrying anything, but both links stay up (a broken middle box).
    net.cut.extend([(2, 12), (3, 12)]);
    net.advance(14);
    assert!(
        net.ctl
            .stack()
            .unwrap()
            .links()
            .any(|(a, _, up)| a == (2, 12) && up),
        "still up within 3 intervals of 5 s"
    );
    net.advance(3);
    let links: Vec<_> = net.ctl.stack().unwrap().links().collect();
    assert!(
        links.iter().any(|(a, _, up)| *a == (2, 12) && !up),
        "{links:?}"
    );
}

#[test]
fn a_new_root_takes_over_when_the_root_leaves() {
    let mut net = StackNet::new(RING);
    net.disconnect(1);
    assert_eq!(net.root(), Some(2));
    let got = net.send(3, &frame(1, mac(3), MacAddr::BROADCAST));
    assert_eq!(places(&got), vec![(2, 1)]);
    let got = net.send(2, &frame(1, mac(2), mac(3)));
    assert_eq!(places(&got), vec![(3, 1)]);
    // The old root comes back and takes over again once its links are up (not before:
    // while cut off it is not the stack's root).
    net.cut.extend([(1, 10), (1, 11), (2, 10), (3, 11)]);
    net.connect(1);
    assert_eq!(net.root(), Some(2));
    net.cut.clear();
    net.advance(6);
    assert_eq!(net.root(), Some(1));
    assert_eq!(net.ctl.stack().unwrap().root_changes(), 2);
    let got = net.send(1, &frame(1, mac(1), MacAddr::BROADCAST));
    assert_eq!(places(&got), vec![(2, 1), (3, 1)]);
}

#[test]
fn miscabled_links_are_bad_and_carry_nothing() {
    // sw3's two stack cables are swapped: each of its stack ports hears the wrong switch.
    let mut net = StackNet::with_cables(RING, |c| {
        c.insert((1, 11), (3, 12));
        c.insert((3, 12), (1, 11));
        c.insert((2, 12), (3, 11));
        c.insert((3, 11), (2, 12));
    });
    let stack = net.ctl.stack().unwrap();
    let state = |k| stack.port_stats().find(|(p, _)| *p == k).unwrap().1;
    for k in [(3, 11), (3, 12), (1, 11), (2, 12)] {
        assert_eq!(state(k).state, PortState::Bad, "{k:?}");
        assert!(state(k).cabling_errors > 0);
    }
    assert_eq!(state((1, 10)).state, PortState::Up);
    // sw1 and sw2 still switch between themselves; sw3 is cut off, and nothing loops.
    let got = net.send(1, &frame(1, mac(1), MacAddr::BROADCAST));
    assert_eq!(places(&got), vec![(2, 1)]);
}

/// Tunnels: ICMP from the host on sw2 port 1 goes to port 5 of sw3 (across the stack, via
/// the root), untagged; everything else is switched as usual.
const TUNNEL: &str = "
vlans:
  office: {vid: 100}
acls:
  to-analyser:
    - rule:
        dl_type: 0x800
        ip_proto: 1
        actions:
          allow: true
          output:
            tunnel: {dp: sw3, port: 5}
    - rule: {actions: {allow: true}}
dps:
  sw1:
    dp_id: 1
    stack: {priority: 1}
    interfaces:
      1: {native_vlan: office}
      10: {stack: {dp: sw2, port: 10}}
      11: {stack: {dp: sw3, port: 11}}
  sw2:
    dp_id: 2
    interfaces:
      1: {native_vlan: office, acls_in: [to-analyser]}
      10: {stack: {dp: sw1, port: 10}}
  sw3:
    dp_id: 3
    interfaces:
      1: {native_vlan: office}
      5: {output_only: true}
      11: {stack: {dp: sw1, port: 11}}
";

#[test]
fn a_tunnel_carries_matching_traffic_to_a_port_of_another_switch() {
    let mut net = StackNet::new(TUNNEL);
    let icmp = Packet::new(1)
        .eth(mac(2), MacAddr::BROADCAST)
        .ipv4("10.0.0.2".parse().unwrap(), "10.0.0.9".parse().unwrap())
        .icmp(8, 0);
    let got = net.send(2, &icmp);
    // Tunnelled to sw3 port 5, untagged, and (allow) flooded as usual.
    assert_eq!(places(&got), vec![(1, 1), (3, 1), (3, 5)], "{got:?}");
    let at_analyser = got.iter().find(|(d, p, _)| (*d, *p) == (3, 5)).unwrap();
    assert_eq!(at_analyser.2.outer_vid(), None);
    // Other traffic is not tunnelled.
    let got = net.send(2, &frame(1, mac(2), MacAddr::BROADCAST));
    assert_eq!(places(&got), vec![(1, 1), (3, 1)]);
    // The transit switch forwards tunnelled frames only from stack ports.
    let sneaky = Packet::new(1)
        .eth(mac(1), MacAddr::BROADCAST)
        .vlan_pcp(101, 3)
        .eth_type(0x0800);
    let got = net.send(1, &sneaky);
    assert!(!places(&got).contains(&(3, 5)), "{got:?}");
    // The tunnel's VLAN is not a VLAN to switch: a frame on it that is not tunnelled (no
    // priority 3) is neither learned nor flooded across the stack.
    let stray = Packet::new(10)
        .eth(mac(7), MacAddr::BROADCAST)
        .vlan(101)
        .eth_type(0x0800);
    net.notes.clear();
    let got = net.send(1, &stray);
    assert!(got.is_empty(), "{got:?}");
    assert!(
        !net.notes
            .iter()
            .any(|n| matches!(n, Notification::HostLearned { mac: m, .. } if *m == mac(7))),
        "{:?}",
        net.notes
    );
}

/// [`TUNNEL`] made bi-directional: frames the device on sw3 port 5 sends back tagged with the
/// tunnel's VLAN and vlan_pcp 4 come out of sw2 port 1, untagged.
fn bidi() -> String {
    TUNNEL
        .replace(
            "tunnel: {dp: sw3, port: 5}",
            "tunnel: {dp: sw3, port: 5, tunnel_id: 300, bi_directional: true}",
        )
        .replace("5: {output_only: true}", "5: {native_vlan: 200}")
}

#[test]
fn a_bi_directional_tunnel_carries_replies_back_to_its_entry_port() {
    let mut net = StackNet::new(&bidi());
    let icmp = Packet::new(1)
        .eth(mac(2), MacAddr::BROADCAST)
        .ipv4("10.0.0.2".parse().unwrap(), "10.0.0.9".parse().unwrap())
        .icmp(8, 0);
    let got = net.send(2, &icmp);
    assert_eq!(places(&got), vec![(1, 1), (3, 1), (3, 5)], "{got:?}");
    // The reply, encapsulated by the device: back at sw2 port 1, untagged, and nowhere else.
    let reply = Packet::new(5)
        .eth(mac(9), mac(2))
        .vlan_pcp(300, 4)
        .ipv4("10.0.0.9".parse().unwrap(), "10.0.0.2".parse().unwrap())
        .icmp(0, 0);
    let got = net.send(3, &reply);
    assert_eq!(places(&got), vec![(2, 1)], "{got:?}");
    assert_eq!(got[0].2.outer_vid(), None);
    // Only the tunnel's port may send into the return path.
    let sneaky = reply.in_port(1);
    let got = net.send(3, &sneaky);
    assert!(!places(&got).contains(&(2, 1)), "{got:?}");
}

/// The ring, with sw2 and sw3 each also cabled to one ordinary switch outside the stack
/// (port 5, `loop_protect_external`).
fn ring_with_external() -> String {
    RING.replace(
        "      12: {stack: {dp: sw3, port: 12}}",
        "      12: {stack: {dp: sw3, port: 12}}\n      5: {native_vlan: office, loop_protect_external: true}",
    )
    .replace(
        "      12: {stack: {dp: sw2, port: 12}}",
        "      12: {stack: {dp: sw2, port: 12}}\n      5: {native_vlan: office, loop_protect_external: true}",
    )
}

#[test]
fn an_external_network_joined_at_two_switches_gets_one_copy_and_no_loop() {
    let mut net = StackNet::new(&ring_with_external());
    let external = [(2, 5), (3, 5)];
    // A broadcast from a stack host: one copy outside, one per stack host, no loop.
    let bcast = frame(1, mac(1), MacAddr::BROADCAST);
    let (got, outside) = net.send_with_external(Some((1, &bcast)), &external);
    assert_eq!(places(&got), vec![(2, 1), (3, 1)], "{got:?}");
    assert_eq!(outside, 1);
    // A broadcast from outside reaches both external ports, but enters the stack once.
    let (got, _) = net.send_with_external(None, &external);
    assert_eq!(places(&got), vec![(1, 1), (2, 1), (3, 1)], "{got:?}");
    // The host outside is learned where it entered: a reply to it leaves once.
    let reply = frame(1, mac(1), mac(99));
    let (got, outside) = net.send_with_external(Some((1, &reply)), &external);
    assert_eq!((places(&got), outside), (vec![], 1), "{got:?}");
    // sw2's external link goes down: sw3's takes over.
    net.set_link(2, 5, false);
    let (got, outside) = net.send_with_external(Some((1, &bcast)), &[(3, 5)]);
    assert_eq!(
        (places(&got), outside),
        (vec![(2, 1), (3, 1)], 1),
        "{got:?}"
    );
    // Hosts outside were forgotten (they may be behind another switch now): flooded once,
    // then relearned where they now enter.
    let (got, outside) = net.send_with_external(Some((1, &reply)), &[(3, 5)]);
    assert_eq!(
        (places(&got), outside),
        (vec![(2, 1), (3, 1)], 1),
        "{got:?}"
    );
    let (got, _) = net.send_with_external(None, &[(3, 5)]);
    assert_eq!(places(&got), vec![(1, 1), (2, 1), (3, 1)], "{got:?}");
    let (got, outside) = net.send_with_external(Some((1, &reply)), &[(3, 5)]);
    assert_eq!((places(&got), outside), (vec![], 1), "{got:?}");
    // sw2's link comes back: sw3's port stays the one in use (opening sw2's while sw3's
    // still forwards could let frames circle until sw3's is closed), and sw2's stays shut.
    net.set_link(2, 5, true);
    let stack = net.ctl.stack().unwrap();
    assert!(stack.view(2).unwrap().blocked.contains(&(5, 100)));
    assert!(!stack.view(3).unwrap().blocked.contains(&(5, 100)));
    let (got, outside) = net.send_with_external(Some((1, &bcast)), &external);
    assert_eq!(
        (places(&got), outside),
        (vec![(2, 1), (3, 1)], 1),
        "{got:?}"
    );
    let (got, _) = net.send_with_external(None, &external);
    assert_eq!(places(&got), vec![(1, 1), (2, 1), (3, 1)], "{got:?}");
}

#[test]
fn external_ports_added_by_a_reload_forward_at_once() {
    // The ring has the ports from the start (cabled to nothing), not yet external.
    let plain = ring_with_external().replace(", loop_protect_external: true", "");
    let mut net = StackNet::new(&plain);
    let config = sluice_config::load_str(&ring_with_external())
        .unwrap()
        .config;
    let out = net.ctl.handle(net.now(), Event::Reload(Box::new(config)));
    net.run(out);
    let external = [(2, 5), (3, 5)];
    let bcast = frame(1, mac(1), MacAddr::BROADCAST);
    let (got, outside) = net.send_with_external(Some((1, &bcast)), &external);
    assert_eq!(
        (places(&got), outside),
        (vec![(2, 1), (3, 1)], 1),
        "{got:?}"
    );
}

/// Four switches in a ring; sw3 hangs off sw2 until the sw2-sw3 link fails, then off sw4.
/// The root's own view does not change (its tree ports stay 10 and 13), but what is behind
/// them does.
const RING4: &str = "
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    stack: {priority: 1}
    interfaces:
      1: {native_vlan: office}
      10: {stack: {dp: sw2, port: 10}}
      13: {stack: {dp: sw4, port: 13}}
  sw2:
    dp_id: 2
    interfaces:
      10: {stack: {dp: sw1, port: 10}}
      23: {stack: {dp: sw3, port: 23}}
  sw3:
    dp_id: 3
    interfaces:
      1: {native_vlan: office}
      23: {stack: {dp: sw2, port: 23}}
      34: {stack: {dp: sw4, port: 34}}
  sw4:
    dp_id: 4
    interfaces:
      13: {stack: {dp: sw1, port: 13}}
      34: {stack: {dp: sw3, port: 34}}
";

#[test]
fn hosts_re_hung_behind_the_other_side_of_a_ring_are_reached() {
    let mut net = StackNet::new(RING4);
    net.send(3, &frame(1, mac(3), MacAddr::BROADCAST));
    let to_3 = frame(1, mac(1), mac(3));
    assert_eq!(places(&net.send(1, &to_3)), vec![(3, 1)]);
    net.cut_cable(2, 23);
    assert_eq!(places(&net.send(1, &to_3)), vec![(3, 1)]);
}

/// [`RING4`] with a host on port 1 of every switch, and VLAN `office` learning by the
/// shortest path (`edge_learn_stack_root: false`); VLAN `lab` (port 2 of sw3 and sw4) learns
/// by the tree, as by default. The tree: sw2 and sw4 hang off the root sw1, sw3 off sw2; the
/// sw3-sw4 link is off the tree.
const RING4_SHORTEST: &str = "
vlans:
  office: {vid: 100, edge_learn_stack_root: false}
  lab: {vid: 200}
dps:
  sw1:
    dp_id: 1
    stack: {priority: 1}
    interfaces:
      1: {native_vlan: office}
      10: {stack: {dp: sw2, port: 10}}
      13: {stack: {dp: sw4, port: 13}}
  sw2:
    dp_id: 2
    interfaces:
      1: {native_vlan: office}
      10: {stack: {dp: sw1, port: 10}}
      23: {stack: {dp: sw3, port: 23}}
  sw3:
    dp_id: 3
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: lab}
      23: {stack: {dp: sw2, port: 23}}
      34: {stack: {dp: sw4, port: 34}}
  sw4:
    dp_id: 4
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: lab}
      3: {native_vlan: office}
      13: {stack: {dp: sw1, port: 13}}
      34: {stack: {dp: sw3, port: 34}}
";

/// Every host of [`RING4_SHORTEST`] says hello (a broadcast), which every DP learns from.
fn hello_all(net: &mut StackNet) {
    for dp in 1..=4u8 {
        let got = net.send(u64::from(dp), &frame(1, mac(dp), MacAddr::BROADCAST));
        assert_eq!(
            places(&got).len(),
            4,
            "from sw{dp}: once at every other port"
        );
    }
    for dp in [3, 4u8] {
        net.send(u64::from(dp), &frame(2, mac(20 + dp), MacAddr::BROADCAST));
    }
}

#[test]
fn a_vlan_learning_by_the_shortest_path_sends_unicast_off_the_tree() {
    let mut net = StackNet::new(RING4_SHORTEST);
    assert!(
        !net.ctl
            .stack()
            .unwrap()
            .view(3)
            .unwrap()
            .tree_ports
            .contains(&34)
    );
    hello_all(&mut net);
    // sw4 to sw3: straight over the link off the tree, both ways.
    assert_eq!(
        places(&net.send(4, &frame(1, mac(4), mac(3)))),
        vec![(3, 1)]
    );
    assert_eq!(net.crossed, vec![(4, 34)]);
    assert_eq!(
        places(&net.send(3, &frame(1, mac(3), mac(4)))),
        vec![(4, 1)]
    );
    assert_eq!(net.crossed, vec![(3, 34)]);
    // Every pair: delivered once, where the host is, in as many hops as the ring allows.
    for a in 1..=4u8 {
        for b in (1..=4u8).filter(|b| *b != a) {
            let got = net.send(u64::from(a), &frame(1, mac(a), mac(b)));
            assert_eq!(places(&got), vec![(u64::from(b), 1)], "sw{a} to sw{b}");
            let hops = if a.abs_diff(b) == 2 { 2 } else { 1 };
            assert_eq!(net.crossed.len(), hops, "sw{a} to sw{b}: {:?}", net.crossed);
        }
    }
    // The other VLAN learns by the tree: sw4 to sw3 goes round by the root.
    let got = net.send(4, &frame(2, mac(24), mac(23)));
    assert_eq!(places(&got), vec![(3, 2)]);
    assert_eq!(net.crossed, vec![(4, 13), (1, 10), (2, 23)]);
}

#[test]
fn learning_by_the_shortest_path_follows_a_moved_host_and_a_cut_link() {
    let mut net = StackNet::new(RING4_SHORTEST);
    hello_all(&mut net);
    // sw3's host turns up on sw4 port 3, and speaks first to sw1's host, by unicast: sw1
    // and sw2 now lead to it at sw4 (sw3 still has it at home until it hears otherwise), and
    // nothing circles (`send` panics on a loop).
    let got = net.send(4, &frame(3, mac(3), mac(1)));
    assert_eq!(places(&got), vec![(1, 1)]);
    for dp in [1, 2] {
        let got = net.send(dp, &frame(1, mac(dp as u8), mac(3)));
        assert_eq!(places(&got), vec![(4, 3)], "from sw{dp}");
    }
    // The link off the tree fails: every switch learns its hosts again by the new paths at
    // once (no flood, no frame from them needed), and unicast goes round, once.
    net.cut_cable(3, 34);
    let got = net.send(4, &frame(1, mac(4), mac(2)));
    assert_eq!(places(&got), vec![(2, 1)]);
    hello_all(&mut net);
    let got = net.send(4, &frame(1, mac(4), mac(2)));
    assert_eq!(places(&got), vec![(2, 1)]);
    assert_eq!(net.crossed, vec![(4, 13), (1, 10)]);
    let got = net.send(3, &frame(1, mac(3), mac(4)));
    assert_eq!(places(&got), vec![(4, 1)]);
    assert_eq!(net.crossed.len(), 3, "{:?}", net.crossed);
}

#[test]
fn a_host_learned_at_home_is_known_on_every_switch_at_once() {
    let mut net = StackNet::new(RING4_SHORTEST);
    hello_all(&mut net);
    // A host on sw4 port 3 speaks only to its neighbour on sw4: no other switch sees it.
    assert_eq!(
        places(&net.send(4, &frame(3, mac(40), mac(4)))),
        vec![(4, 1)]
    );
    assert!(net.crossed.is_empty());
    // Yet every switch leads to it, by the shortest path, without a flood.
    for dp in 1..=3u8 {
        let got = net.send(u64::from(dp), &frame(1, mac(dp), mac(40)));
        assert_eq!(places(&got), vec![(4, 3)], "from sw{dp}");
    }
    // It leaves: every switch forgets it, and a frame for it floods once more.
    net.set_link(4, 3, false);
    let got = net.send(2, &frame(1, mac(2), mac(40)));
    assert!(places(&got).contains(&(1, 1)), "{got:?}");
}

#[test]
fn a_host_gone_from_its_home_is_forgotten_everywhere_and_nothing_circles() {
    let mut net = StackNet::new(RING4_SHORTEST);
    net.send(4, &frame(1, mac(4), MacAddr::BROADCAST));
    // sw3's host speaks only to sw4's: sw3 learns it at home, sw4 behind the link off the
    // tree.
    assert_eq!(
        places(&net.send(3, &frame(1, mac(3), mac(4)))),
        vec![(4, 1)]
    );
    assert_eq!(net.crossed, vec![(3, 34)]);
    // It is unplugged: its home forgets it, and so does sw4, so a frame for it floods along
    // the tree from sw4 (it would otherwise cross to sw3, flood back round the ring to sw4,
    // and again, for ever: `send` panics on a loop).
    net.set_link(3, 1, false);
    let got = net.send(4, &frame(1, mac(4), mac(3)));
    assert!(places(&got).contains(&(1, 1)), "{got:?}");
    assert!(!net.crossed.contains(&(4, 34)), "{:?}", net.crossed);
}

#[test]
fn a_destination_unknown_after_a_link_off_the_tree_goes_no_further() {
    let mut net = StackNet::new(RING4_SHORTEST);
    hello_all(&mut net);
    // sw4 still leads to sw3's host over the link off the tree, but sw3 forgot it (as a
    // switch's table can before the controller hears of it): the frame reaches sw3's own
    // members only, and does not flood back into the stack.
    let forget = Message::FlowMod(FlowMod {
        table_id: 0xff,
        command: FlowModCommand::Delete,
        match_: Match::new().with(OxmField::EthDst(mac(3), None)),
        ..FlowMod::default()
    });
    let now = Duration::from_millis(net.now_ms);
    net.sws.get_mut(&3).unwrap().apply(now, &forget).unwrap();
    let got = net.send(4, &frame(1, mac(4), mac(3)));
    assert_eq!(net.crossed, vec![(4, 34)], "{got:?}");
}

#[test]
fn links_off_the_tree_admit_no_broadcast() {
    let mut net = StackNet::new(RING4_SHORTEST);
    let stray = frame(34, mac(9), MacAddr::BROADCAST).vlan(100);
    assert_eq!(places(&net.send(3, &stray)), vec![]);
}

#[test]
fn parallel_links_with_crossed_port_numbers_do_not_loop() {
    let yaml = "
vlans:
  office: {vid: 100, edge_learn_stack_root: false}
dps:
  sw1:
    dp_id: 1
    stack: {priority: 1}
    interfaces:
      1: {native_vlan: office}
      10: {stack: {dp: sw2, port: 11}}
      11: {stack: {dp: sw2, port: 10}}
  sw2:
    dp_id: 2
    interfaces:
      1: {native_vlan: office}
      10: {stack: {dp: sw1, port: 11}}
      11: {stack: {dp: sw1, port: 10}}
";
    let mut net = StackNet::new(yaml);
    net.send(2, &frame(1, mac(2), MacAddr::BROADCAST));
    net.send(1, &frame(1, mac(1), MacAddr::BROADCAST));
    assert_eq!(
        places(&net.send(1, &frame(1, mac(1), mac(2)))),
        vec![(2, 1)]
    );
    // sw2's host leaves; a frame for it must not go back and forth between the two links
    // (`send` panics on a loop).
    net.set_link(2, 1, false);
    net.send(1, &frame(1, mac(1), mac(2)));
}

#[test]
fn a_reload_that_changes_how_a_vlan_learns_keeps_it_working() {
    let both = RING4_SHORTEST.replace(
        "lab: {vid: 200}",
        "lab: {vid: 200, edge_learn_stack_root: false}",
    );
    let mut net = StackNet::new(&both);
    hello_all(&mut net);
    let lab = frame(2, mac(24), mac(23));
    assert_eq!(places(&net.send(4, &lab)), vec![(3, 2)]);
    assert_eq!(net.crossed, vec![(4, 34)]);
    let config = sluice_config::load_str(RING4_SHORTEST).unwrap().config;
    let out = net.ctl.handle(net.now(), Event::Reload(Box::new(config)));
    net.run(out);
    hello_all(&mut net);
    assert_eq!(places(&net.send(4, &lab)), vec![(3, 2)]);
    assert_eq!(net.crossed, vec![(4, 13), (1, 10), (2, 23)]);
}

/// Remote mirroring (a sluice extension): sw2 port 3 (untagged) and port 4 (tagged) are
/// mirrored to the analyser on sw1 port 12, in a ring whose direct sw1-sw2 link can fail.
const REMOTE_MIRROR: &str = "
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    stack: {priority: 1}
    interfaces:
      1: {native_vlan: office}
      10: {stack: {dp: sw2, port: 10}}
      11: {stack: {dp: sw3, port: 11}}
      12: {mirror: [{dp: sw2, port: 3}, {dp: sw2, port: 4}]}
  sw2:
    dp_id: 2
    interfaces:
      1: {native_vlan: office}
      3: {native_vlan: office}
      4: {tagged_vlans: [office]}
      10: {stack: {dp: sw1, port: 10}}
      12: {stack: {dp: sw3, port: 12}}
  sw3:
    dp_id: 3
    interfaces:
      1: {native_vlan: office}
      11: {stack: {dp: sw1, port: 11}}
      12: {stack: {dp: sw2, port: 12}}
";

/// The analyser port of [`REMOTE_MIRROR`].
const ANALYSER: (u64, u32) = (1, 12);

/// The copies a delivery list holds at the analyser.
fn copies(d: &Deliveries) -> Vec<&Packet> {
    d.iter()
        .filter(|(dp, p, _)| (*dp, *p) == ANALYSER)
        .map(|(_, _, pkt)| pkt)
        .collect()
}

/// A frame as a host sent or received it: the same addresses and tags (not where it is).
fn same_frame(a: &Packet, b: &Packet) -> bool {
    (a.eth_src, a.eth_dst, a.vids(), a.eth_type) == (b.eth_src, b.eth_dst, b.vids(), b.eth_type)
}

#[test]
fn a_remote_mirror_copies_both_directions_once_as_the_port_sees_them() {
    let mut net = StackNet::new(REMOTE_MIRROR);
    // In: what port 3 receives, flooded while unknown, and one untagged copy at the analyser.
    let sent = frame(3, mac(3), MacAddr::BROADCAST);
    let got = net.send(2, &sent);
    let mut want = vec![(1, 1), (2, 1), (2, 4), (3, 1), ANALYSER];
    want.sort_unstable();
    assert_eq!(places(&got), want, "{got:?}");
    assert_eq!(copies(&got).len(), 1);
    assert!(same_frame(copies(&got)[0], &sent), "{got:?}");
    // Out: a flood that reaches port 3 from another switch, copied as port 3 sends it.
    let got = net.send(3, &frame(1, mac(31), MacAddr::BROADCAST));
    let c = copies(&got);
    assert_eq!(c.len(), 2, "ports 3 and 4 both send it: {got:?}");
    assert_eq!(c.iter().filter(|p| p.vids().is_empty()).count(), 1);
    assert_eq!(c.iter().filter(|p| p.vids() == vec![100]).count(), 1);
    // Out, to a learned host: from another switch, and from the same switch.
    for (dp, port, src) in [(3, 1, mac(31)), (2, 1, mac(21))] {
        let sent = frame(port, src, mac(3));
        let got = net.send(dp, &sent);
        assert_eq!(places(&got), vec![ANALYSER, (2, 3)], "from sw{dp}: {got:?}");
        assert!(same_frame(copies(&got)[0], &sent));
    }
    // In on the tagged port: the copy keeps its tag, as the port received it.
    let sent = Packet::new(4)
        .eth(mac(4), mac(31))
        .vlan(100)
        .eth_type(0x0800);
    let got = net.send(2, &sent);
    assert_eq!(places(&got), vec![ANALYSER, (3, 1)], "{got:?}");
    assert!(same_frame(copies(&got)[0], &sent), "{got:?}");
    // Traffic that does not touch the mirrored ports is not copied, and no host ever sees a
    // tunnel's tag.
    let got = net.send(1, &frame(1, mac(11), mac(31)));
    assert_eq!(places(&got), vec![(3, 1)]);
    let got = net.send(3, &frame(1, mac(31), MacAddr::BROADCAST));
    assert!(
        got.iter()
            .filter(|(d, p, _)| ![(2, 4), ANALYSER].contains(&(*d, *p)))
            .all(|(_, _, p)| p.vids().is_empty()),
        "{got:?}"
    );
    assert!(got.iter().all(|(_, _, p)| p.vids().len() <= 1), "{got:?}");
}

#[test]
fn a_remote_mirror_follows_the_stack_when_a_link_fails() {
    let mut net = StackNet::new(REMOTE_MIRROR);
    net.cut_cable(1, 10);
    // Hosts behind stack ports are relearned after the tree moved.
    net.send(3, &frame(1, mac(31), MacAddr::BROADCAST));
    // The copies now cross sw3, still once each, both directions.
    let sent = frame(3, mac(3), mac(31));
    let got = net.send(2, &sent);
    assert_eq!(places(&got), vec![ANALYSER, (3, 1)], "{got:?}");
    assert!(same_frame(copies(&got)[0], &sent));
    let got = net.send(3, &frame(1, mac(31), mac(3)));
    assert_eq!(places(&got), vec![ANALYSER, (2, 3)], "{got:?}");
    // With no way to sw1 at all, the copies are dropped and sw2 switches on.
    net.cut_cable(2, 12);
    let got = net.send(2, &frame(3, mac(3), mac(21)));
    assert_eq!(
        places(&got),
        vec![(2, 1), (2, 4)],
        "flooded locally: {got:?}"
    );
    let got = net.send(2, &frame(1, mac(21), mac(3)));
    assert_eq!(places(&got), vec![(2, 3)], "{got:?}");
}

#[test]
fn a_remote_mirror_copies_through_flood_groups_too() {
    // With group_table, the flood groups chain to the mirror's group: it must exist first.
    let yaml = REMOTE_MIRROR.replace("    dp_id: 2\n", "    dp_id: 2\n    group_table: true\n");
    let mut net = StackNet::new(&yaml);
    let got = net.send(3, &frame(1, mac(31), MacAddr::BROADCAST));
    assert_eq!(copies(&got).len(), 2, "ports 3 and 4 both send it: {got:?}");
    let sent = frame(3, mac(3), MacAddr::BROADCAST);
    let got = net.send(2, &sent);
    assert_eq!(copies(&got).len(), 1, "{got:?}");
    // The mirror goes away again: the groups go in an order the switch accepts.
    let config = sluice_config::load_str(&yaml.replace(
        "      12: {mirror: [{dp: sw2, port: 3}, {dp: sw2, port: 4}]}\n",
        "",
    ))
    .unwrap()
    .config;
    let out = net.ctl.handle(net.now(), Event::Reload(Box::new(config)));
    net.run(out);
    let got = net.send(2, &sent);
    assert!(copies(&got).is_empty(), "{got:?}");
    assert!(places(&got).contains(&(3, 1)), "{got:?}");
}
