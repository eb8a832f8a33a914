//! Reload and restart on the fake switch: a new configuration goes out as a difference, the
//! hosts it does not concern stay learned (their flows untouched), and a restarted controller
//! adopts the hosts the switch still holds instead of relearning them.
#![allow(clippy::unwrap_used)]

mod support;

use sluice_core::{Notification, Restart};
use sluice_ofp::Message;
use sluice_ofp::msg::flow::{FlowMod, FlowModCommand};
use sluice_wire::MacAddr;
use support::{TestNet, frame, mac};

const A: &str = r#"
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
      3: {native_vlan: office}
      4: {native_vlan: guest}
"#;

/// `A` with port 3 moved to the guest VLAN.
fn b() -> String {
    A.replace("3: {native_vlan: office}", "3: {native_vlan: guest}")
}

fn flow_mods(sent: &[Message]) -> Vec<&FlowMod> {
    sent.iter()
        .filter_map(|m| match m {
            Message::FlowMod(f) => Some(f),
            _ => None,
        })
        .collect()
}

fn restarts(net: &TestNet) -> Vec<Restart> {
    net.notes
        .iter()
        .filter_map(|n| match n {
            Notification::DpReconfigured { restart, .. } => Some(*restart),
            _ => None,
        })
        .collect()
}

/// Hosts 1-4 on ports 1-4, learned.
fn learned() -> TestNet {
    let mut net = TestNet::connected(A);
    for p in 1..=4u8 {
        net.send(&frame(u32::from(p), mac(p), MacAddr::BROADCAST));
    }
    assert_eq!(net.ctl.valve(1).unwrap().hosts().len(), 4);
    net.take_sent();
    net
}

#[test]
fn a_warm_reload_moves_a_port_and_keeps_the_other_hosts() {
    let mut net = learned();
    net.reload(&b());
    assert_eq!(restarts(&net), vec![Restart::Warm]);
    let sent = net.take_sent();
    // Nothing wiped: every delete names one flow.
    assert!(
        flow_mods(&sent)
            .iter()
            .all(|f| f.command != FlowModCommand::Delete),
        "{sent:?}"
    );
    // Port 3's host is forgotten; the others stay learned, their unicast still direct.
    let hosts = net.ctl.valve(1).unwrap().hosts();
    assert_eq!(hosts.len(), 3);
    assert!(hosts.get(100, mac(3)).is_none());
    let t = net.trace(&frame(1, mac(1), mac(2)));
    assert_eq!(t.ports(), vec![sluice_ofp::PortNo(2)]);
    // Port 3 is in the guest VLAN now: office floods miss it, guest floods reach it.
    let t = net.trace(&frame(1, mac(1), mac(9)));
    assert!(!t.is_output_any_vlan(3) && t.is_output(2, None));
    let t = net.trace(&frame(4, mac(4), mac(9)));
    assert!(t.is_output(3, None));
    // And port 3's host is learned again, in its new VLAN.
    net.send(&frame(3, mac(3), MacAddr::BROADCAST));
    let t = net.trace(&frame(4, mac(4), mac(3)));
    assert_eq!(t.ports(), vec![sluice_ofp::PortNo(3)]);
}

#[test]
fn reload_a_to_b_to_a_gives_a_s_tables() {
    let mut fresh = TestNet::connected(A);
    let mut net = TestNet::connected(A);
    net.reload(&b());
    assert_ne!(net.dump(), fresh.dump());
    net.reload(A);
    assert_eq!(net.dump(), fresh.dump());
    // Same with hosts learned before the round trip: those on unchanged ports stay.
    fresh.send(&frame(1, mac(1), MacAddr::BROADCAST));
    net.send(&frame(1, mac(1), MacAddr::BROADCAST));
    net.reload(&b());
    net.reload(A);
    assert_eq!(net.dump(), fresh.dump());
}

#[test]
fn an_unchanged_configuration_sends_nothing() {
    let mut net = learned();
    net.reload(A);
    assert!(net.take_sent().is_empty());
    assert!(restarts(&net).is_empty());
    assert_eq!(net.ctl.valve(1).unwrap().hosts().len(), 4);
}

#[test]
fn a_valve_shares_its_dp_configuration_instead_of_copying_it() {
    let mut net = learned();
    let config = sluice_config::load_str(&b()).unwrap().config;
    let dp = std::sync::Arc::clone(&config.dps[&sluice_config::DpId(1)]);
    let out = net.ctl.handle(
        sluice_core::Instant::from_millis(net.now_ms),
        sluice_core::Event::Reload(Box::new(config)),
    );
    net.run(out);
    assert!(std::sync::Arc::ptr_eq(
        net.ctl.valve(1).unwrap().config(),
        &dp
    ));
}

#[test]
fn a_new_cookie_is_cold_and_leaves_no_stale_flow() {
    let mut net = learned();
    let cfg = A.replace("    dp_id: 1\n", "    dp_id: 1\n    cookie: 1234\n");
    net.reload(&cfg);
    assert_eq!(restarts(&net), vec![Restart::Cold]);
    // The switch holds exactly what a fresh controller would install.
    let fresh = TestNet::connected(&cfg);
    assert_eq!(net.dump(), fresh.dump());
    assert!(net.ctl.valve(1).unwrap().is_running());
    assert!(net.ctl.valve(1).unwrap().hosts().is_empty());
}

#[test]
fn a_removed_dp_is_disconnected() {
    let mut net = TestNet::connected(A);
    let cfg = A.replace("  sw1:\n    dp_id: 1\n", "  sw2:\n    dp_id: 2\n");
    let out = net.ctl.handle(
        sluice_core::Instant(0),
        sluice_core::Event::Reload(Box::new(sluice_config::load_str(&cfg).unwrap().config)),
    );
    assert!(
        out.iter()
            .any(|o| matches!(o, sluice_core::Output::Disconnect { dp_id: 1, .. })),
        "{out:?}"
    );
    assert!(net.ctl.valve(1).is_none());
}

#[test]
fn a_restarted_controller_adopts_the_hosts_the_switch_holds() {
    let mut net = learned();
    let before = net.dump();
    net.restart_controller(A);
    // Only the dump request went out: no flow deleted or re-added.
    let sent = net.take_sent();
    assert!(flow_mods(&sent).is_empty(), "{sent:?}");
    assert_eq!(net.dump(), before);
    // The hosts are known again: a known source is not a packet-in, and unicast is direct.
    assert_eq!(net.ctl.valve(1).unwrap().hosts().len(), 4);
    let t = net.send(&frame(2, mac(2), mac(1)));
    assert_eq!(t.ports(), vec![sluice_ofp::PortNo(1)]);
    assert!(t.packet_ins.is_empty());
}

#[test]
fn a_restart_with_a_changed_port_drops_only_that_port_s_hosts() {
    let mut net = learned();
    net.restart_controller(&b());
    let hosts = net.ctl.valve(1).unwrap().hosts();
    assert_eq!(hosts.len(), 3, "port 3's host was learned in its old VLAN");
    assert!(hosts.get(100, mac(3)).is_none());
    // Its flows are gone; the switch holds what a fresh controller plus the three hosts would.
    let mut fresh = TestNet::connected(&b());
    for p in [1u8, 2, 4] {
        fresh.send(&frame(u32::from(p), mac(p), MacAddr::BROADCAST));
    }
    assert_eq!(net.flow_count(), fresh.flow_count(), "{}", net.dump());
}
