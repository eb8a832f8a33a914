//! The fake switch agrees with Open vSwitch 3.1 on sluice's own pipeline.
//!
//! For each configuration below (`examples/faucet.yaml`, `examples/acls.yaml`, and two
//! covering the L2 port and VLAN options), the controller core programs a fake switch (the
//! `TestNet` harness: connect, then learn a host on every VLAN of every port from
//! packet-ins), and every message it sent is replayed, in order, to a real userspace OVS
//! bridge with the same ports (the bridge is driven over OpenFlow by this test, with the
//! helpers the fake switch's own agreement test uses). Then:
//!
//! - both switches must hold the same flows (flow statistics, field for field);
//! - for packets from every port — untagged, tagged with each configured VLAN, a VLAN no port
//!   has, priority-tagged, double-tagged, 802.1ad-tagged; to learned hosts, to an unknown
//!   unicast address, broadcast, IPv4 and IPv6 multicast, LLDP, STP and CDP; from broadcast,
//!   multicast, FAUCET's own and moved source addresses; ECTP, UDP, TCP, ICMP and ARP — the
//!   fake's trace must equal `ovs-appctl ofproto/trace`'s datapath actions played on the
//!   packet: the same output ports, each copy with the same VLAN stack and headers, and the
//!   same packet-ins;
//! - then a port goes down and comes back, and flows and (most) traces are compared again.
//!
//! A disagreement is a fake-switch bug (fix `crates/fakeswitch`) or a difference listed in
//! [`KNOWN`] with the reason. Without Open vSwitch or root the test fails, saying what to
//! install; it never passes silently.
//!
//! Network safety: only loopback and the bridge and veths the helpers make, with unique names,
//! deleted when dropped (also when the test fails).

#![allow(clippy::unwrap_used)]
// Sockets and clocks: this is where the pure crates meet a real switch.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

#[path = "../../fakeswitch/tests/common/mod.rs"]
mod common;
mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{OvsSwitch, compare, flow_lines};
use sluice_config::Dp;
use sluice_fakeswitch::{Packet, Trace, VlanTag};
use sluice_ofp::Message;
use sluice_ofp::msg::multipart::{FlowStatsRequest, MultipartRequest, MultipartRequestBody};
use sluice_wire::MacAddr;
use support::TestNet;

/// Packets on which the fake and OVS are known to differ, by name prefix, with the reason.
/// Empty: every difference found so far was a fake-switch bug and is fixed.
const KNOWN: &[(&str, &str)] = &[];

/// Native and tagged VLANs, a trunk with no native VLAN, a port with both, `hairpin`,
/// `unicast_flood: false` on a port and on a VLAN, `enabled: false`, `output_only`,
/// `receive_lldp`, and the default `drop_broadcast_source_address`.
const OPTIONS: &str = r#"
vlans:
  office: {vid: 100}
  guest: {vid: 200, unicast_flood: false}
  lab: {vid: 300}
dps:
  sw1:
    dp_id: 1
    hardware: "Open vSwitch"
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office, hairpin: true}
      3: {tagged_vlans: [office, guest]}
      4: {native_vlan: guest, tagged_vlans: [office, lab]}
      5: {native_vlan: office, unicast_flood: false}
      6: {native_vlan: office, enabled: false}
      7: {output_only: true}
      8: {native_vlan: lab, receive_lldp: true}
"#;

/// `OPTIONS` flooding with groups (`group_table`), with the classification table, and
/// without the broadcast-source filter.
fn groups_config() -> String {
    let dp_options = "    group_table: true\n    use_classification: true\n    \
                      drop_broadcast_source_address: false\n    interfaces:\n";
    let yaml = OPTIONS.replacen("    interfaces:\n", dp_options, 1);
    assert_ne!(yaml, OPTIONS);
    yaml
}

/// A VLAN no port of the test configurations has.
const WRONG_VID: u16 = 999;

const LLDP: MacAddr = MacAddr([0x01, 0x80, 0xc2, 0, 0, 0x0e]);
const STP: MacAddr = MacAddr([0x01, 0x80, 0xc2, 0, 0, 0]);
const CDP: MacAddr = MacAddr([0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc]);
const V4_MCAST: MacAddr = MacAddr([0x01, 0x00, 0x5e, 0, 0, 0x16]);
const V6_MCAST: MacAddr = MacAddr([0x33, 0x33, 0, 0, 0, 0x01]);
const UNKNOWN: MacAddr = MacAddr([0x0e, 0xee, 0, 0, 0, 0x01]);
/// A source address no host has used (so it is sent to the controller to be learned).
const NEW_SRC: MacAddr = MacAddr([0x0e, 0xaa, 0, 0, 0, 0x01]);

/// A learned host: its port, VLAN, whether it sends tagged, and its address.
#[derive(Debug, Clone, Copy)]
struct LearnedHost {
    port: u32,
    vid: u16,
    tagged: bool,
    mac: MacAddr,
}

impl LearnedHost {
    /// A frame from this host (tagged as it sends) to `dst`.
    fn frame(&self, dst: MacAddr) -> Packet {
        let p = Packet::new(self.port).eth(self.mac, dst);
        let p = if self.tagged { p.vlan(self.vid) } else { p };
        p.ipv4([10, 99, 0, 1].into(), [10, 99, 0, 2].into())
    }
}

/// The configured DP of a test configuration.
fn dp_of(yaml: &str) -> Dp {
    let loaded = sluice_config::load_str(yaml).unwrap_or_else(|e| panic!("bad config:\n{e}"));
    std::sync::Arc::unwrap_or_clone(loaded.config.dps.into_values().next().expect("a DP"))
}

/// One host on every VLAN of every port that learns (enabled, not output-only).
fn hosts_of(dp: &Dp) -> Vec<LearnedHost> {
    let mut hosts = Vec::new();
    for port in dp.ports.values().filter(|p| p.enabled && !p.output_only) {
        let n = port.number.0;
        let vlans = port
            .native_vlan
            .map(|v| (v, false))
            .into_iter()
            .chain(port.tagged_vlans.iter().map(|v| (*v, true)));
        for (i, (vid, tagged)) in vlans.enumerate() {
            hosts.push(LearnedHost {
                port: n,
                vid: vid.0,
                tagged,
                mac: MacAddr([0x0e, 0, 0, 0, n as u8, i as u8 + 1]),
            });
        }
    }
    hosts
}

/// The packets to trace, by name: from every port in every form, to every kind of
/// destination, and with suspicious sources.
fn probes(dp: &Dp, hosts: &[LearnedHost]) -> Vec<(String, Packet)> {
    let vids: BTreeSet<u16> = dp.vlans.keys().map(|v| v.0).collect();
    let faucet_macs: BTreeSet<MacAddr> = dp.vlans.values().map(|v| v.faucet_mac).collect();
    let mut out = Vec::new();
    for port in dp.ports.keys().map(|p| p.0) {
        // Untagged, tagged with every configured VLAN and with one nobody has,
        // priority-tagged (VID 0), double-tagged, and with an 802.1ad (service) tag.
        let first = vids.iter().next().copied().unwrap_or(WRONG_VID);
        let second = vids.iter().nth(1).copied().unwrap_or(WRONG_VID);
        let forms: Vec<(String, Vec<VlanTag>)> = [(String::from("untagged"), vec![])]
            .into_iter()
            .chain(
                vids.iter()
                    .map(|v| (format!("vlan {v}"), vec![VlanTag::dot1q(*v)])),
            )
            .chain([
                (
                    format!("wrong vlan {WRONG_VID}"),
                    vec![VlanTag::dot1q(WRONG_VID)],
                ),
                ("priority-tagged".into(), vec![VlanTag::dot1q(0)]),
                (
                    format!("double-tagged {first}/{second}"),
                    vec![VlanTag::dot1q(first), VlanTag::dot1q(second)],
                ),
                (format!("802.1ad {first}"), vec![VlanTag::dot1ad(first)]),
            ])
            .collect();
        let native = dp
            .ports
            .values()
            .find(|p| p.number.0 == port)
            .and_then(|p| p.native_vlan)
            .map(|v| v.0);
        let special: Vec<(String, MacAddr, u16)> = vec![
            ("to unknown unicast".into(), UNKNOWN, 0x0800),
            ("broadcast".into(), MacAddr::BROADCAST, 0x0806),
            ("to IPv4 multicast".into(), V4_MCAST, 0x0800),
            ("to IPv6 multicast".into(), V6_MCAST, 0x86dd),
            ("LLDP".into(), LLDP, 0x88cc),
            ("STP".into(), STP, 0x0026),
            ("CDP".into(), CDP, 0x0026),
        ];
        // To the hosts on the frame's VLAN, and to one on another VLAN.
        let host_dsts = |vid: Option<u16>| {
            let same = hosts.iter().filter(|h| Some(h.vid) == vid);
            let other = hosts.iter().find(|h| Some(h.vid) != vid);
            same.chain(other)
                .map(|h| (format!("to host {}", h.mac), h.mac, 0x0800))
                .collect::<Vec<_>>()
        };
        let tagged = |p: Packet, tags: &[VlanTag]| tags.iter().fold(p, |p, t| p.tag(*t));
        for (i, (form, tags)) in forms.iter().enumerate() {
            let vid = tags.first().map(|t| t.vid);
            // Frames no port admits as they are: a few destinations suffice.
            let odd = i > vids.len();
            let dsts = host_dsts(vid.or(native))
                .into_iter()
                .chain(special.iter().cloned())
                .filter(|(what, ..)| {
                    !odd || ["unknown", "broadcast", "LLDP"]
                        .iter()
                        .any(|w| what.contains(w))
                });
            for (what, dst, eth_type) in dsts {
                let p = tagged(Packet::new(port).eth(NEW_SRC, dst), tags);
                let p = match eth_type {
                    0x0800 => p.ipv4([10, 99, 0, 1].into(), [10, 99, 0, 2].into()),
                    0x86dd => p.ipv6("fd00::1".parse().unwrap(), "ff02::1".parse().unwrap()),
                    t => p.eth_type(t),
                };
                out.push((format!("port {port} {form} {what}"), p));
            }
            // Suspicious sources, to a learned host on the same VLAN if there is one.
            let dst = hosts
                .iter()
                .find(|h| vid.is_none_or(|v| v == h.vid))
                .map_or(UNKNOWN, |h| h.mac);
            let from = |src: MacAddr| {
                tagged(Packet::new(port).eth(src, dst), tags)
                    .ipv4([10, 99, 0, 1].into(), [10, 99, 0, 2].into())
            };
            out.push((
                format!("port {port} {form} from broadcast"),
                from(MacAddr::BROADCAST),
            ));
            out.push((format!("port {port} {form} from multicast"), from(V4_MCAST)));
            for mac in &faucet_macs {
                out.push((
                    format!("port {port} {form} from FAUCET's MAC {mac}"),
                    from(*mac),
                ));
            }
            // A learned host's address from somewhere else: a move (or a spoof).
            if let Some(h) = hosts.iter().find(|h| h.port != port) {
                out.push((
                    format!("port {port} {form} from moved {}", h.mac),
                    from(h.mac),
                ));
            }
            let ectp = tagged(Packet::new(port).eth(NEW_SRC, dst), tags).eth_type(0x9000);
            out.push((format!("port {port} {form} ECTP"), ectp));
            // What ACLs look at: transport ports, ICMP, ARP, IPv4 destinations.
            if !odd {
                let ip = |to: [u8; 4]| {
                    tagged(Packet::new(port).eth(NEW_SRC, dst), tags)
                        .ipv4([10, 99, 0, 1].into(), to.into())
                };
                let l4 = [
                    ("UDP to port 53", ip([10, 99, 0, 2]).udp(5353, 53)),
                    ("TCP to port 443", ip([10, 99, 0, 2]).tcp(40000, 443)),
                    ("TCP to port 22", ip([10, 99, 0, 2]).tcp(40000, 22)),
                    ("ICMP echo", ip([10, 99, 0, 2]).icmp(8, 0)),
                    ("to 10.0.100.7", ip([10, 0, 100, 7]).udp(5353, 53)),
                    (
                        "ARP reply",
                        tagged(Packet::new(port).eth(NEW_SRC, dst), tags).arp_reply(
                            [10, 99, 0, 1].into(),
                            dst,
                            [10, 99, 0, 2].into(),
                        ),
                    ),
                ];
                for (what, p) in l4 {
                    out.push((format!("port {port} {form} {what}"), p));
                }
            }
        }
    }
    // Every learned host to every other, as they really send (the flows learning made).
    for a in hosts {
        for b in hosts {
            if a.mac != b.mac {
                out.push((format!("host {} to host {}", a.mac, b.mac), a.frame(b.mac)));
            }
        }
    }
    out
}

/// The fake switch's flow statistics, as comparable lines.
fn fake_flow_lines(net: &mut TestNet) -> Vec<String> {
    let req = Message::MultipartRequest(MultipartRequest::new(MultipartRequestBody::Flow(
        FlowStatsRequest::default(),
    )));
    match net.sw.apply(Duration::ZERO, &req).unwrap().remove(0) {
        Message::MultipartReply(r) => flow_lines(r.body),
        other => panic!("flow stats answered with {other}"),
    }
}

/// The known, documented difference a packet's disagreement is, if any.
fn known(name: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|(_, why)| *why)
}

/// The core driving a fake switch, and a real bridge that gets the same messages.
struct Pair {
    case: String,
    dp: Dp,
    hosts: Vec<LearnedHost>,
    net: TestNet,
    ovs: OvsSwitch,
}

impl Pair {
    /// A bridge with the configuration's ports, and the core connected to the fake switch.
    fn connect(case: &str, yaml: &str) -> Pair {
        let dp = dp_of(yaml);
        // The bridge has ports 1..=n; the fake only the configured ones, and packets only
        // come from those.
        let n_ports = dp.ports.keys().map(|p| p.0).max().unwrap_or(0);
        let ovs = OvsSwitch::start(n_ports);
        let mut net = TestNet::new(yaml);
        // The bridge parses one VLAN tag (OVS's default `vlan-limit`); so does the fake.
        net.sw = net.sw.clone().with_vlan_limit(1);
        net.connect();
        Pair {
            case: case.to_string(),
            hosts: hosts_of(&dp),
            dp,
            net,
            ovs,
        }
    }

    /// One host on every VLAN of every port sends an ARP request; the core learns them all.
    fn learn(&mut self) {
        for h in &self.hosts {
            let arp = Packet::new(h.port)
                .eth(h.mac, MacAddr::BROADCAST)
                .arp_request([10, 99, 0, 1].into(), [10, 99, 0, 2].into());
            self.net.send(&if h.tagged { arp.vlan(h.vid) } else { arp });
        }
        let valve = self.net.ctl.valve(self.net.dp_id).unwrap();
        for h in &self.hosts {
            assert!(
                valve.hosts().get(h.vid, h.mac).is_some(),
                "{}: {h:?} was not learned",
                self.case
            );
        }
    }

    /// A port's link goes down or up on both switches.
    fn set_link(&mut self, port: u32, up: bool) {
        self.net.set_link(port, up);
        self.ovs.set_link(port, up);
    }

    /// Sends OVS everything the core sent the fake switch since the last call, in the same
    /// order, and checks that both now hold the same flows.
    fn sync(&mut self, stage: &str) {
        let sent = self.net.take_sent();
        let refused = self.ovs.apply(&sent);
        let refused: Vec<String> = refused
            .iter()
            .map(|(i, e)| format!("{}: {e}", sent[*i]))
            .collect();
        assert!(
            refused.is_empty(),
            "{} {stage}: OVS refused what the core sent the fake switch: {refused:#?}",
            self.case
        );
        let on_ovs = flow_lines(
            self.ovs
                .request(MultipartRequestBody::Flow(FlowStatsRequest::default()))
                .body,
        );
        let on_fake = fake_flow_lines(&mut self.net);
        pretty_assertions::assert_eq!(
            on_ovs,
            on_fake,
            "{} {stage}: OVS's flows vs the fake's",
            self.case
        );
    }

    /// Traces `probes` on both and requires the same result (or a [`KNOWN`] difference).
    /// Returns the fake's traces.
    fn traces_agree(&self, stage: &str, probes: &[(String, Packet)]) -> Vec<Trace> {
        let mut report = Vec::new();
        let mut differences = Vec::new();
        let mut traces = Vec::new();
        for (name, p) in probes {
            let f = self.net.trace(p);
            let (line, diff) = compare(name, p, &f, &self.ovs.trace(p));
            match (diff, known(name)) {
                (Some(d), None) => differences.push(d),
                (Some(_), Some(why)) => report.push(format!("{line} (known: {why})")),
                (None, _) => report.push(line),
            }
            traces.push(f);
        }
        eprintln!("== {} {stage}\n{}", self.case, report.join("\n"));
        assert!(
            differences.is_empty(),
            "{} {stage}: {} of {} packets disagree:\n{}",
            self.case,
            differences.len(),
            traces.len(),
            differences.join("\n")
        );
        traces
    }
}

/// The whole comparison for one configuration: program and learn, then take `flap` down
/// and up again (the core recompiles floods and flushes the port's hosts), comparing the
/// flows and traces after each step. Returns the fake's traces of the first comparison.
fn agree(case: &str, yaml: &str, flap: u32) -> Vec<Trace> {
    let mut pair = Pair::connect(case, yaml);
    pair.learn();
    pair.sync("after learning");
    let all = probes(&pair.dp, &pair.hosts);
    let traces = pair.traces_agree("after learning", &all);
    // After a link change, the packets that depend on flooding and learning.
    let some: Vec<(String, Packet)> = all
        .into_iter()
        .filter(|(name, _)| {
            ["broadcast", "unknown", "host"]
                .iter()
                .any(|w| name.contains(w))
                && !["double", "802.1ad", "priority", "wrong"]
                    .iter()
                    .any(|w| name.contains(w))
        })
        .collect();
    pair.set_link(flap, false);
    pair.sync(&format!("after port {flap} went down"));
    pair.traces_agree(&format!("after port {flap} went down"), &some);
    pair.set_link(flap, true);
    pair.sync(&format!("after port {flap} came back"));
    pair.traces_agree(&format!("after port {flap} came back"), &some);
    traces
}

/// What a set of traces did, for checking that the comparison is not vacuous.
fn tally(traces: &[Trace]) -> (usize, usize, usize, usize) {
    let outputs = traces.iter().filter(|t| !t.outputs.is_empty()).count();
    let tagged = traces
        .iter()
        .filter(|t| t.outputs.iter().any(|o| o.vid().is_some()))
        .count();
    let packet_ins = traces.iter().filter(|t| !t.packet_ins.is_empty()).count();
    let dropped = traces.iter().filter(|t| t.is_dropped()).count();
    (outputs, tagged, packet_ins, dropped)
}

fn assert_not_vacuous(case: &str, traces: &[Trace]) {
    let (outputs, tagged, packet_ins, dropped) = tally(traces);
    eprintln!(
        "{case}: {} packets: {outputs} forwarded ({tagged} tagged), {packet_ins} to the \
         controller, {dropped} dropped",
        traces.len()
    );
    assert!(outputs >= 20 && tagged >= 1 && packet_ins >= 20 && dropped >= 20);
}

#[test]
fn example_config_agrees_with_ovs() {
    let yaml = include_str!("../../../examples/faucet.yaml");
    let traces = agree("examples/faucet.yaml", yaml, 2);
    assert_not_vacuous("examples/faucet.yaml", &traces);
}

#[test]
fn acl_example_agrees_with_ovs() {
    let yaml = include_str!("../../../examples/acls.yaml");
    let traces = agree("examples/acls.yaml", yaml, 2);
    assert_not_vacuous("examples/acls.yaml", &traces);
}

#[test]
fn port_and_vlan_options_agree_with_ovs() {
    let traces = agree("options", OPTIONS, 1);
    assert_not_vacuous("options", &traces);
}

#[test]
fn group_flooding_and_classification_agree_with_ovs() {
    let traces = agree("groups", &groups_config(), 3);
    assert_not_vacuous("groups", &traces);
}
