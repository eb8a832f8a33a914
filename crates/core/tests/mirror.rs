//! Port mirroring and coprocessor ports on the fake switch, asserted as where packets go:
//! a mirror port gets exactly one copy of each packet in each direction, and a coprocessor's
//! tagged frames leave by the port the tag names.
#![allow(clippy::unwrap_used)]

mod support;

use sluice_fakeswitch::{Packet, Trace};
use sluice_ofp::PortNo;
use sluice_wire::MacAddr;
use support::{TestNet, frame, mac, tagged};

/// Port 5 mirrors port 1 (office, untagged) and port 3 (a trunk).
const MIRROR: &str = r#"
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
      5: {mirror: [1, 3]}
"#;

fn copies(t: &Trace, port: u32) -> Vec<&Packet> {
    t.output_to(port)
}

#[test]
fn the_mirror_port_sees_both_directions_once() {
    let mut net = TestNet::connected(MIRROR);
    // Port 1's host broadcasts: one copy (as received, untagged) plus the flood.
    let t = net.send(&frame(1, mac(1), MacAddr::BROADCAST));
    assert_eq!(copies(&t, 5).len(), 1, "{}", t.summary());
    assert!(t.is_output(5, None) && t.is_output(2, None));
    // Port 2's host broadcasts: ports 1 and 3 get it, and so does the mirror, once as each
    // mirrored port sends it (untagged for port 1, tagged for the trunk).
    let t = net.send(&frame(2, mac(2), MacAddr::BROADCAST));
    assert_eq!(copies(&t, 5).len(), 2, "{}", t.summary());
    assert!(t.is_output(1, None) && t.is_output(5, None) && t.is_output(5, Some(100)));
    // Learned unicast both ways ("a ping"): each direction copied once.
    let t = net.send(&frame(1, mac(1), mac(2)));
    assert_eq!(
        t.ports(),
        vec![PortNo(5), PortNo(2)],
        "copy on input, then out: {}",
        t.summary()
    );
    let t = net.send(&frame(2, mac(2), mac(1)));
    assert!(t.is_output(1, None));
    assert_eq!(copies(&t, 5).len(), 1, "{}", t.summary());
    assert!(t.is_output(5, None), "untagged, as the host sees it");
    // Unknown unicast from port 2 floods to ports 1 and 3: one copy for each.
    let t = net.send(&frame(2, mac(2), mac(9)));
    assert_eq!(copies(&t, 5).len(), 2, "{}", t.summary());
    // Learned unicast between two unmirrored ports: no copy.
    net.send(&tagged(3, 200, mac(3), MacAddr::BROADCAST));
    let t = net.send(&frame(2, mac(2), mac(1)));
    assert!(
        copies(&t, 5).len() == 1 && t.ports().len() == 2,
        "{}",
        t.summary()
    );
    let t = net.send(&frame(4, mac(4), mac(7)));
    assert_eq!(
        copies(&t, 5).len(),
        1,
        "flooded to the mirrored trunk: {}",
        t.summary()
    );
}

#[test]
fn a_mirrored_trunk_is_copied_tagged() {
    let mut net = TestNet::connected(MIRROR);
    let t = net.send(&tagged(3, 200, mac(3), MacAddr::BROADCAST));
    assert!(t.is_output(5, Some(200)), "{}", t.summary());
    assert_eq!(copies(&t, 5).len(), 1);
    // Guest traffic to the trunk: copied as it leaves, tagged.
    let t = net.send(&frame(4, mac(4), mac(3)));
    assert!(
        t.is_output(3, Some(200)) && t.is_output(5, Some(200)),
        "{}",
        t.summary()
    );
    assert_eq!(copies(&t, 5).len(), 1);
    // From port 1 (mirrored) to the trunk (mirrored to the same port): the input copy only.
    let t = net.send(&frame(1, mac(1), MacAddr::BROADCAST));
    assert_eq!(copies(&t, 5).len(), 1, "{}", t.summary());
}

#[test]
fn the_mirror_port_is_output_only() {
    let mut net = TestNet::connected(MIRROR);
    assert!(net.send(&frame(5, mac(5), MacAddr::BROADCAST)).is_dropped());
    // Nothing is learned there, and floods never go there uncopied.
    assert!(net.ctl.valve(1).unwrap().hosts().is_empty());
}

#[test]
fn mirroring_through_the_egress_pipeline() {
    let cfg = MIRROR.replace("office: {vid: 100}", "office: {vid: 100, acls_out: [all]}");
    let cfg = format!("acls:\n  all:\n    - rule: {{actions: {{allow: 1}}}}\n{cfg}");
    let mut net = TestNet::connected(&cfg);
    net.send(&frame(1, mac(1), MacAddr::BROADCAST));
    net.send(&frame(2, mac(2), MacAddr::BROADCAST));
    let t = net.send(&frame(2, mac(2), mac(1)));
    assert!(t.is_output(1, None), "{}", t.summary());
    assert_eq!(copies(&t, 5).len(), 1, "{}", t.summary());
}

#[test]
fn group_table_floods_copy_too() {
    let cfg = MIRROR.replace("dp_id: 1", "dp_id: 1\n    group_table: true");
    let mut net = TestNet::connected(&cfg);
    let t = net.send(&frame(2, mac(2), MacAddr::BROADCAST));
    assert!(t.is_output(1, None) && t.is_output(3, Some(100)));
    assert_eq!(
        copies(&t, 5).len(),
        2,
        "one per mirrored member: {}",
        t.summary()
    );
}

// ===== coprocessor ports =====

/// Port 6 is a coprocessor (VIDs 1000 + N steer to port N).
const COPRO: &str = r#"
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
      3: {tagged_vlans: [office]}
      6: {coprocessor: {strategy: vlan_vid}}
"#;

#[test]
fn a_coprocessor_frame_tagged_base_plus_n_leaves_port_n() {
    let mut net = TestNet::connected(COPRO);
    for port in [1, 2, 3] {
        let t = net.send(&tagged(6, 1000 + port as u16, mac(6), mac(9)));
        assert_eq!(t.ports(), vec![PortNo(port)], "{}", t.summary());
        assert!(t.is_output(port, None), "the steering tag is popped");
    }
    // Not learned: the coprocessor's frames carry other hosts' addresses.
    assert!(net.ctl.valve(1).unwrap().hosts().is_empty());
    // A frame tagged with a VLAN is switched in it (FAUCET's copro table miss).
    net.send(&frame(1, mac(1), MacAddr::BROADCAST));
    let t = net.send(&tagged(6, 100, mac(6), mac(1)));
    assert!(t.is_output(1, None), "{}", t.summary());
    // Untagged frames from the coprocessor go nowhere.
    assert!(net.send(&frame(6, mac(6), MacAddr::BROADCAST)).is_dropped());
}

/// Port 6 is a coprocessor that also receives port 1's traffic: a looped port.
const LOOPED: &str = r#"
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
      3: {tagged_vlans: [office]}
      6: {coprocessor: {strategy: vlan_vid}, mirror: [1, 3]}
"#;

#[test]
fn the_loop_guard_on_a_looped_coprocessor_port() {
    let mut net = TestNet::connected(LOOPED);
    net.send(&frame(1, mac(1), MacAddr::BROADCAST));
    // Port 3's tagged traffic to host 1 is copied to port 6 as it came in (tagged 100), and
    // as it leaves port 1 (untagged).
    let t = net.send(&tagged(3, 100, mac(3), mac(1)));
    let copy: Vec<&Packet> = copies(&t, 6)
        .into_iter()
        .filter(|p| p.outer_vid() == Some(100))
        .collect();
    assert_eq!(copy.len(), 1, "{}", t.summary());
    // The copy comes straight back in on port 6 (a loopback cable): FAUCET would switch it
    // to port 1 again and copy it to port 6 again, forever. The guard drops it.
    let mut back = copy[0].clone();
    back.in_port = PortNo(6);
    assert!(net.send(&back).is_dropped());
    // What the coprocessor steers still leaves where it says, and is not copied back.
    let t = net.send(&tagged(6, 1001, mac(6), mac(1)));
    assert_eq!(t.ports(), vec![PortNo(1)], "{}", t.summary());
    // The port still gets both directions of port 1's traffic.
    let t = net.send(&frame(2, mac(2), mac(1)));
    assert!(
        t.is_output(1, None) && t.is_output(6, None),
        "{}",
        t.summary()
    );
}

/// The single-switch coprocessing example (`examples/coprocessor.yaml`): port 13's traffic
/// is mirrored into a loopback cable (out of port 12, back in on port 11); the ACL on port
/// 11 tags it 999 and sends it to the analyser on port 24. Its first rule is the guard: a
/// frame already tagged 999 has been round once and is dropped.
const COPRO_EXAMPLE: &str = include_str!("../../../examples/coprocessor.yaml");

/// Sends `pkt`, and every frame that leaves port 12 back in on port 11 (the cable), until
/// nothing is left or `limit` rounds pass; returns every frame that left port 24.
fn through_the_loop(net: &mut TestNet, pkt: Packet, limit: usize) -> (Vec<Packet>, usize) {
    let mut analyser = Vec::new();
    let mut queue = vec![pkt];
    let mut rounds = 0;
    while let Some(p) = queue.pop() {
        rounds += 1;
        assert!(rounds <= limit, "the frame keeps looping");
        let t = net.send(&p);
        for out in &t.outputs {
            if out.port == PortNo(12) {
                let mut back = out.packet.clone();
                back.in_port = PortNo(11);
                queue.push(back);
            }
            if out.port == PortNo(24) {
                analyser.push(out.packet.clone());
            }
        }
    }
    (analyser, rounds)
}

#[test]
fn the_single_switch_coprocessing_example() {
    let mut net = TestNet::connected(COPRO_EXAMPLE);
    net.send(&frame(14, mac(14), MacAddr::BROADCAST));
    // A "ping" between 13 and 14: both directions reach the analyser, tagged 999.
    for pkt in [frame(13, mac(13), mac(14)), frame(14, mac(14), mac(13))] {
        let (seen, _) = through_the_loop(&mut net, pkt, 10);
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].vids(), vec![999]);
    }
    // If the analyser's own output were looped too (port 24 also mirrored into the cable),
    // the guard stops the second round.
    let cfg = COPRO_EXAMPLE.replace("mirror: [13]", "mirror: [13, 24]");
    assert_ne!(cfg, COPRO_EXAMPLE);
    let mut net = TestNet::connected(&cfg);
    let (seen, rounds) = through_the_loop(&mut net, frame(13, mac(13), mac(14)), 10);
    assert_eq!(seen.len(), 1, "delivered once, not again and again");
    assert!(rounds <= 3, "{rounds} rounds");
}
