//! L2 switching on the fake switch: VLAN membership, tagging, learning, flooding and the
//! port options, asserted as where packets go (FAUCET's `is_output` style).
#![allow(clippy::unwrap_used)]

mod support;

use sluice_core::Notification;
use sluice_fakeswitch::Packet;
use sluice_wire::MacAddr;
use support::{TestNet, frame, mac, tagged};

const BASE: &str = r#"
vlans:
  office: {vid: 100}
  guest: {vid: 200}
dps:
  sw1:
    dp_id: 1
    hardware: "Open vSwitch"
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
      3: {tagged_vlans: [office, guest]}
      4: {native_vlan: guest}
"#;

/// `BASE` with extra port options merged in (as YAML text).
fn with_ports(extra: &str) -> String {
    format!(
        r#"
vlans:
  office: {{vid: 100}}
  guest: {{vid: 200}}
dps:
  sw1:
    dp_id: 1
    hardware: "Open vSwitch"
    interfaces:
{extra}
"#
    )
}

#[test]
fn the_pipeline_matches_faucets_flow_count() {
    // FAUCET installs 27 static flows for this config (measured on OVS with FAUCET 1.10.12).
    let net = TestNet::connected(BASE);
    assert_eq!(net.flow_count(), 27, "{}", net.dump());
}

#[test]
fn unknown_unicast_floods_within_the_vlan_only() {
    let mut net = TestNet::connected(BASE);
    let t = net.send(&frame(1, mac(1), mac(9)));
    assert!(t.is_output(2, None), "untagged member");
    assert!(t.is_output(3, Some(100)), "trunk carries the VLAN tagged");
    assert!(!t.is_output_any_vlan(4), "another VLAN's port");
    assert!(!t.is_output_any_vlan(1), "never back out of the input port");
}

#[test]
fn hosts_learned_get_unicast_and_two_flows_each() {
    let mut net = TestNet::connected(BASE);
    let before = net.flow_count();
    net.send(&frame(1, mac(1), MacAddr::BROADCAST));
    assert_eq!(
        net.flow_count(),
        before + 2,
        "FAUCET installs an eth_src and an eth_dst flow per host"
    );
    net.send(&frame(2, mac(2), mac(1)));
    assert_eq!(net.flow_count(), before + 4);
    // Both known: unicast goes only where the host is.
    let t = net.send(&frame(2, mac(2), mac(1)));
    assert_eq!(t.ports(), vec![sluice_ofp::PortNo(1)]);
    assert!(t.is_output(1, None));
    // A learned source is not sent to the controller again.
    assert!(t.packet_ins.is_empty());
    let learned: Vec<_> = net
        .notes
        .iter()
        .filter(|n| matches!(n, Notification::HostLearned { .. }))
        .collect();
    assert_eq!(learned.len(), 2);
}

#[test]
fn trunk_hosts_reach_each_of_their_vlans() {
    let mut net = TestNet::connected(BASE);
    // A host on the trunk in VLAN 200 broadcasts: port 4 gets it untagged, office ports not.
    let t = net.send(&tagged(3, 200, mac(3), MacAddr::BROADCAST));
    assert!(t.is_output(4, None));
    assert!(!t.is_output_any_vlan(1) && !t.is_output_any_vlan(2));
    // Port 4's host answers: back to the trunk, tagged 200.
    let t = net.send(&frame(4, mac(4), mac(3)));
    assert!(t.is_output(3, Some(200)));
    assert_eq!(t.ports().len(), 1);
    // The same trunk in VLAN 100 reaches the office ports.
    let t = net.send(&tagged(3, 100, mac(5), MacAddr::BROADCAST));
    assert!(t.is_output(1, None) && t.is_output(2, None));
    assert!(!t.is_output_any_vlan(4));
}

#[test]
fn wrong_tags_and_untagged_on_a_trunk_are_dropped() {
    let mut net = TestNet::connected(BASE);
    // Untagged on a port without a native VLAN.
    assert!(net.send(&frame(3, mac(1), MacAddr::BROADCAST)).is_dropped());
    // A VLAN the port does not carry.
    assert!(
        net.send(&tagged(1, 200, mac(1), MacAddr::BROADCAST))
            .is_dropped()
    );
    assert!(
        net.send(&tagged(3, 300, mac(1), MacAddr::BROADCAST))
            .is_dropped()
    );
}

#[test]
fn a_moved_host_is_relearned_on_its_new_port() {
    let mut net = TestNet::connected(BASE);
    net.send(&frame(1, mac(1), MacAddr::BROADCAST));
    net.send(&frame(2, mac(2), mac(1)));
    assert!(net.trace(&frame(2, mac(2), mac(1))).is_output(1, None));
    // mac(1) now appears on the trunk in VLAN 100.
    net.advance(1);
    net.send(&tagged(3, 100, mac(1), MacAddr::BROADCAST));
    let t = net.trace(&frame(2, mac(2), mac(1)));
    assert!(t.is_output(3, Some(100)), "{}", t.summary());
    assert_eq!(t.ports().len(), 1);
    assert!(net.notes.iter().any(|n| matches!(
        n,
        Notification::HostLearned {
            moved_from: Some(1),
            ..
        }
    )));
}

#[test]
fn a_port_going_down_flushes_its_hosts_and_changes_no_flood() {
    let mut net = TestNet::connected(BASE);
    net.send(&frame(1, mac(1), MacAddr::BROADCAST));
    let flows = net.flow_count();
    let floods: Vec<String> = net
        .dump()
        .lines()
        .filter(|l| l.contains("table=3"))
        .map(String::from)
        .collect();
    assert!(!floods.is_empty(), "{}", net.dump());
    net.set_link(1, false);
    // The host's flows and the port's VLAN admission are gone; its frames are no longer
    // taken in.
    assert!(net.flow_count() < flows);
    assert!(net.trace(&frame(1, mac(1), mac(2))).ports().is_empty());
    // Traffic to the host is unknown again, so flooded.
    let t = net.send(&frame(2, mac(2), mac(1)));
    assert!(t.is_output(3, Some(100)));
    // As in FAUCET, the flood rules stay as they are (a switch sends nothing out of a down
    // port), so a link flap rewrites no flood rule.
    let after: Vec<String> = net
        .dump()
        .lines()
        .filter(|l| l.contains("table=3"))
        .map(String::from)
        .collect();
    assert_eq!(after, floods);
    net.set_link(1, true);
    assert!(
        net.trace(&frame(2, mac(2), MacAddr::BROADCAST))
            .is_output(1, None)
    );
}

#[test]
fn hosts_expire_after_the_timeout() {
    let mut net = TestNet::connected(BASE);
    net.send(&frame(1, mac(1), MacAddr::BROADCAST));
    assert_eq!(net.ctl.valve(1).unwrap().hosts().len(), 1);
    net.advance(310);
    assert_eq!(net.ctl.valve(1).unwrap().hosts().len(), 0);
    assert!(
        net.notes
            .iter()
            .any(|n| matches!(n, Notification::HostExpired { .. }))
    );
    // Its destination flow outlives the cache entry by the guard time (idle timeout), as
    // FAUCET's does; after that, unicast to it floods again.
    net.advance(200);
    let t = net.trace(&frame(2, mac(2), mac(1)));
    assert!(t.is_output(3, Some(100)));
}

#[test]
fn max_hosts_bans_learning_on_the_port() {
    let cfg =
        with_ports("      1: {native_vlan: office, max_hosts: 2}\n      2: {native_vlan: office}");
    let mut net = TestNet::connected(&cfg);
    for n in 1..=3 {
        net.send(&frame(1, mac(n), MacAddr::BROADCAST));
    }
    assert_eq!(net.ctl.valve(1).unwrap().hosts().on_port(1), 2);
    assert!(
        net.notes
            .iter()
            .any(|n| matches!(n, Notification::LearnBan { port: Some(1), .. }))
    );
    // While banned, sources from the port are dropped in eth_src.
    assert!(
        net.trace(&frame(1, mac(7), MacAddr::BROADCAST))
            .is_dropped()
    );
}

#[test]
fn disabled_and_output_only_ports_forward_nothing_in() {
    let cfg = with_ports(
        "      1: {native_vlan: office}\n      2: {native_vlan: office, enabled: false}\n      3: {output_only: true}",
    );
    let mut net = TestNet::connected(&cfg);
    assert!(net.send(&frame(2, mac(2), MacAddr::BROADCAST)).is_dropped());
    assert!(net.send(&frame(3, mac(3), MacAddr::BROADCAST)).is_dropped());
    // The disabled port gets no floods either.
    assert!(
        !net.send(&frame(1, mac(1), MacAddr::BROADCAST))
            .is_output_any_vlan(2)
    );
}

#[test]
fn unicast_flood_off_keeps_unknown_unicast_off_a_port() {
    let cfg = with_ports(
        "      1: {native_vlan: office}\n      2: {native_vlan: office, unicast_flood: false}\n      3: {native_vlan: office}",
    );
    let mut net = TestNet::connected(&cfg);
    let t = net.send(&frame(1, mac(1), mac(9)));
    assert!(t.is_output(3, None) && !t.is_output_any_vlan(2));
    let t = net.send(&frame(1, mac(1), MacAddr::BROADCAST));
    assert!(t.is_output(2, None), "broadcasts still reach it");
}

#[test]
fn spoofed_and_broadcast_sources_and_bridge_protocols_are_dropped() {
    let mut net = TestNet::connected(BASE);
    // The controller's own MAC as a source.
    assert!(
        net.send(&frame(
            1,
            MacAddr([0x0e, 0, 0, 0, 0, 1]),
            MacAddr::BROADCAST
        ))
        .is_dropped()
    );
    // A broadcast source.
    assert!(net.send(&frame(1, MacAddr::BROADCAST, mac(2))).is_dropped());
    // LLDP and STP are never flooded.
    let lldp = Packet::new(1u32)
        .eth(mac(5), MacAddr([0x01, 0x80, 0xc2, 0, 0, 0x0e]))
        .eth_type(0x88cc);
    assert!(net.send(&lldp).ports().is_empty());
    let stp = Packet::new(1u32)
        .eth(mac(5), MacAddr([0x01, 0x80, 0xc2, 0, 0, 0]))
        .eth_type(0x0026);
    assert!(net.send(&stp).ports().is_empty());
}

#[test]
fn hairpin_ports_get_traffic_back() {
    let cfg =
        with_ports("      1: {native_vlan: office, hairpin: true}\n      2: {native_vlan: office}");
    let mut net = TestNet::connected(&cfg);
    let t = net.send(&frame(1, mac(1), MacAddr::BROADCAST));
    assert!(
        t.is_output(sluice_ofp::PortNo::IN_PORT.0, None) || t.is_output(1, None),
        "{}",
        t.summary()
    );
    // Two hosts behind the hairpin port reach each other through it.
    net.send(&frame(1, mac(2), mac(1)));
    let t = net.send(&frame(1, mac(2), mac(1)));
    assert_eq!(t.ports(), vec![sluice_ofp::PortNo(1)], "{}", t.summary());
}

#[test]
fn group_table_flooding_reaches_the_same_ports() {
    let cfg = format!("{BASE}    group_table: true\n");
    let mut net = TestNet::connected(&cfg);
    let t = net.send(&frame(1, mac(1), mac(9)));
    assert!(t.is_output(2, None) && t.is_output(3, Some(100)) && !t.is_output_any_vlan(4));
}

#[test]
fn group_table_uses_one_group_per_vlan_unless_unknown_unicast_floods_elsewhere() {
    // As FAUCET: group `vid` floods; unknown unicast gets a group `vid + 4096` of its own
    // only when some member does not take unknown unicast.
    let ids = |cfg: &str| {
        let config = sluice_config::load_str(cfg).unwrap().config;
        let dp = config.dps.values().next().unwrap();
        let up = dp.ports.keys().copied().collect();
        let groups = sluice_core::pipeline::compile(dp, &up).groups;
        groups.keys().copied().collect::<Vec<u32>>()
    };
    assert_eq!(
        ids(&format!("{BASE}    group_table: true\n")),
        vec![100, 200]
    );
    let cfg = BASE.replace(
        "2: {native_vlan: office}",
        "2: {native_vlan: office, unicast_flood: false}",
    );
    assert_eq!(
        ids(&format!("{cfg}    group_table: true\n")),
        vec![100, 200, 4196]
    );
}

#[test]
fn reconnecting_a_programmed_switch_changes_nothing() {
    let mut net = TestNet::connected(BASE);
    let dump = net.dump();
    net.take_sent();
    // The same switch reconnects, holding its flows: only the dump request is sent.
    net.connect();
    let sent = net.take_sent();
    assert!(
        sent.iter()
            .all(|m| matches!(m, sluice_ofp::Message::MultipartRequest(_))),
        "{}",
        sent.iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(net.dump(), dump);
}

#[test]
fn a_switch_holding_stale_flows_is_corrected_not_wiped() {
    let mut net = TestNet::connected(BASE);
    let want = net.dump();
    // Someone added a flow and deleted one of ours.
    let stray = sluice_ofp::Message::FlowMod(sluice_ofp::msg::flow::FlowMod {
        table_id: 3,
        priority: 7,
        ..Default::default()
    });
    net.sw.apply(std::time::Duration::ZERO, &stray).unwrap();
    net.take_sent();
    net.connect();
    let sent = net.take_sent();
    // A dump request, the one delete, and nothing else.
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(net.dump(), want);
}

#[test]
fn applying_the_same_messages_twice_changes_nothing() {
    let mut net = TestNet::connected(BASE);
    net.send(&frame(1, mac(1), MacAddr::BROADCAST));
    net.send(&frame(4, mac(4), MacAddr::BROADCAST));
    let once = net.dump();
    for m in net.take_sent() {
        net.sw.apply(std::time::Duration::ZERO, &m).unwrap();
    }
    assert_eq!(net.dump(), once);
}

#[test]
fn programming_a_to_b_to_a_restores_a() {
    use sluice_core::pipeline::{Compiled, Layout, compile};
    use sluice_core::valve::program;
    let cfg_a = sluice_config::load_str(BASE).unwrap().config;
    let b = BASE.replace(
        "4: {native_vlan: guest}",
        "4: {native_vlan: office}\n      5: {tagged_vlans: [guest]}",
    );
    let cfg_b = sluice_config::load_str(&b).unwrap().config;
    let (dp_a, dp_b) = (
        cfg_a.dps.values().next().unwrap(),
        cfg_b.dps.values().next().unwrap(),
    );
    let up_a = dp_a.ports.keys().copied().collect();
    let up_b = dp_b.ports.keys().copied().collect();
    let (a, b) = (compile(dp_a, &up_a), compile(dp_b, &up_b));
    let empty = Compiled::empty(Layout::for_dp(dp_a));
    let apply = |sw: &mut sluice_fakeswitch::FakeSwitch, msgs: Vec<sluice_ofp::Message>| {
        for m in msgs {
            sw.apply(std::time::Duration::ZERO, &m).unwrap();
        }
    };
    let mut fresh = sluice_fakeswitch::FakeSwitch::new(1).with_ports([1, 2, 3, 4, 5]);
    apply(&mut fresh, program(&empty, &a));
    let mut sw = sluice_fakeswitch::FakeSwitch::new(1).with_ports([1, 2, 3, 4, 5]);
    apply(&mut sw, program(&empty, &a));
    apply(&mut sw, program(&a, &b));
    assert_ne!(sw.to_string(), fresh.to_string());
    apply(&mut sw, program(&b, &a));
    assert_eq!(sw.to_string(), fresh.to_string());
}

#[test]
fn packetin_pps_installs_the_controller_meter() {
    let cfg = format!("{BASE}    packetin_pps: 100\n");
    let net = TestNet::connected(&cfg);
    let dump = net.dump();
    assert!(
        dump.contains("meter=controller") || dump.contains("4294967294"),
        "{dump}"
    );
}

#[test]
fn receive_lldp_traps_lldp_to_the_controller() {
    let cfg = with_ports(
        "      1: {native_vlan: office, receive_lldp: true}\n      2: {native_vlan: office}",
    );
    let mut net = TestNet::connected(&cfg);
    let lldp = Packet::new(1u32)
        .eth(mac(5), MacAddr([0x01, 0x80, 0xc2, 0, 0, 0x0e]))
        .eth_type(0x88cc);
    let t = net.send(&lldp);
    assert_eq!(t.packet_ins.len(), 1, "{}", t.summary());
    assert!(t.ports().is_empty());
}
