//! ACLs on the fake switch: every match field FAUCET accepts (on a port, a VLAN, the whole
//! DP and VLAN egress), each ACL action, and meters, asserted as where packets go.
//!
//! Conntrack (`ct`, `ct_*` matches, `nw_ttl`) and masked transport ports are Open vSwitch
//! extensions the fake switch (an OpenFlow 1.3 switch) refuses; they are tested on a real
//! bridge (`crates/sluice/tests/acl_lab.rs`).
#![allow(clippy::unwrap_used)]

mod support;

use std::net::{Ipv4Addr, Ipv6Addr};

use sluice_fakeswitch::Packet;
use sluice_ofp::Message;
use sluice_wire::MacAddr;
use support::{TestNet, frame, mac, tagged};

/// Port 1 (office, untagged) has ACL `test`; 2 is office, 3 a trunk of office and guest, 4
/// guest, 5 a port without VLANs (an output or mirror target).
fn config(acls: &str) -> String {
    config_on(
        "1: {native_vlan: office, acls_in: [test]}\n      3: {tagged_vlans: [office, guest]}",
        acls,
    )
}

/// Like [`config`], with ports 1 and 3 written by the caller (ACLs on them as wanted).
fn config_on(ports_1_and_3: &str, acls: &str) -> String {
    format!(
        r#"
acls:
{acls}
meters:
  slow:
    meter_id: 7
    entry:
      flags: [KBPS, BURST]
      bands: [{{type: DROP, rate: 1000, burst_size: 100}}]
vlans:
  office: {{vid: 100}}
  guest: {{vid: 200}}
dps:
  sw1:
    dp_id: 1
    hardware: "Open vSwitch"
    interfaces:
      {ports_1_and_3}
      2: {{native_vlan: office}}
      4: {{native_vlan: guest}}
      5: {{description: spare}}
"#
    )
}

/// ACL `test`: drop what matches `fields` (YAML flow-mapping entries), allow the rest.
fn block(fields: &str) -> String {
    format!(
        "  test:\n    - rule: {{{fields}, actions: {{allow: 0}}}}\n    - rule: {{actions: {{allow: 1}}}}"
    )
}

fn bcast(port: u32) -> Packet {
    Packet::new(port).eth(mac(port as u8), MacAddr::BROADCAST)
}

fn ip4(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

fn udp4(port: u32, dst_port: u16) -> Packet {
    bcast(port)
        .ipv4(ip4(10, 0, 0, 1), ip4(10, 0, 0, 2))
        .udp(1000, dst_port)
}

/// With `fields` blocked on port 1: `hit` (from port 1) is dropped, `miss` is flooded to
/// port 2 as usual.
#[track_caller]
fn blocks(fields: &str, hit: Packet, miss: Packet) {
    blocks_on(&config(&block(fields)), fields, hit, miss, 2, None);
}

#[track_caller]
fn blocks_on(cfg: &str, what: &str, hit: Packet, miss: Packet, out: u32, vid: Option<u16>) {
    let net = TestNet::connected(cfg);
    let t = net.trace(&hit);
    assert!(
        t.is_dropped(),
        "{what}: the matching packet got out: {}",
        t.summary()
    );
    let t = net.trace(&miss);
    assert!(
        t.is_output(out, vid),
        "{what}: the other packet did not: {}\n{}",
        t.summary(),
        net.dump()
    );
}

// ===== match fields =====

#[test]
fn ethernet_fields_exact_masked_and_by_legacy_name() {
    blocks(
        r#"eth_src: "0a:00:00:00:00:01""#,
        bcast(1),
        bcast(1).eth(mac(2), MacAddr::BROADCAST),
    );
    blocks(
        r#"dl_src: "0a:00:00:00:00:00/ff:ff:ff:00:00:00""#,
        bcast(1),
        bcast(1).eth(MacAddr([0x0e, 0, 0, 0, 0, 5]), MacAddr::BROADCAST),
    );
    blocks(
        r#"dl_dst: "ff:ff:ff:ff:ff:ff""#,
        bcast(1),
        frame(1, mac(1), mac(9)),
    );
    blocks(
        r#"eth_dst: "01:00:5e:00:00:00/ff:ff:ff:00:00:00""#,
        frame(1, mac(1), MacAddr([1, 0, 0x5e, 1, 2, 3])),
        bcast(1),
    );
    blocks(
        "dl_type: 0x806",
        bcast(1).arp_request(ip4(10, 0, 0, 1), ip4(10, 0, 0, 2)),
        udp4(1, 53),
    );
    blocks("eth_type: 0x800", udp4(1, 53), bcast(1).eth_type(0x86dd));
    // The Nicira name of eth_type and ip_proto are the same fields.
    blocks(
        "eth_type_nxm: 0x800",
        udp4(1, 53),
        bcast(1).eth_type(0x86dd),
    );
    blocks(
        "ip_proto_nxm: 17, dl_type: 0x800",
        udp4(1, 53),
        bcast(1).ipv4(ip4(10, 0, 0, 1), ip4(10, 0, 0, 2)).tcp(1, 53),
    );
}

#[test]
fn vlan_fields_on_a_trunk() {
    let acl = |f: &str| {
        config_on(
            "1: {native_vlan: office}\n      3: {tagged_vlans: [office, guest], acls_in: [test]}",
            &block(f),
        )
    };
    let t = |vid| tagged(3, vid, mac(3), MacAddr::BROADCAST);
    blocks_on(&acl("vlan_vid: 200"), "vlan_vid", t(200), t(100), 2, None);
    blocks_on(&acl("dl_vlan: 100"), "dl_vlan", t(100), t(200), 4, None);
    let pcp = |p| {
        Packet::new(3)
            .eth(mac(3), MacAddr::BROADCAST)
            .vlan_pcp(100, p)
            .eth_type(0x0800)
    };
    // vlan_pcp needs a tag: sluice adds `vlan_vid=present` for it (FAUCET's flow is refused).
    blocks_on(&acl("vlan_pcp: 5"), "vlan_pcp", pcp(5), pcp(0), 2, None);
}

#[test]
fn ip_fields_with_masks_and_added_prerequisites() {
    let v4 = |src: Ipv4Addr, dst: Ipv4Addr| bcast(1).ipv4(src, dst).udp(1, 2);
    blocks(
        "ipv4_src: 10.0.0.0/8",
        v4(ip4(10, 9, 9, 9), ip4(1, 1, 1, 1)),
        v4(ip4(192, 168, 0, 1), ip4(1, 1, 1, 1)),
    );
    blocks(
        "nw_dst: 10.0.0.5",
        v4(ip4(1, 1, 1, 1), ip4(10, 0, 0, 5)),
        v4(ip4(1, 1, 1, 1), ip4(10, 0, 0, 6)),
    );
    blocks(
        "nw_src: 10.0.0.0/255.255.0.255",
        v4(ip4(10, 0, 77, 0), ip4(1, 1, 1, 1)),
        v4(ip4(10, 0, 77, 1), ip4(1, 1, 1, 1)),
    );
    // ip_dscp, ip_ecn and ip_proto without eth_type: IPv4 and IPv6 alike.
    let v6 = || bcast(1).ipv6("fc00::1".parse().unwrap(), "fc00::2".parse().unwrap());
    blocks("ip_dscp: 46", v6().tos(46, 0).udp(1, 2), v6().udp(1, 2));
    blocks("ip_dscp: 46", udp4(1, 2).tos(46, 0), udp4(1, 2));
    blocks("ip_ecn: 3", udp4(1, 2).tos(0, 3), udp4(1, 2).tos(0, 1));
    blocks("nw_proto: 17", v6().udp(1, 2), v6().tcp(1, 2));
    let s = |s: &str| -> Ipv6Addr { s.parse().unwrap() };
    blocks(
        r#"ipv6_src: "fc00:0:0:1::/64""#,
        bcast(1).ipv6(s("fc00:0:0:1::9"), s("fc00::2")).udp(1, 2),
        bcast(1).ipv6(s("fc00:0:0:2::9"), s("fc00::2")).udp(1, 2),
    );
    blocks(
        r#"ipv6_dst: "fc00::2""#,
        bcast(1).ipv6(s("fc00::1"), s("fc00::2")).udp(1, 2),
        bcast(1).ipv6(s("fc00::1"), s("fc00::3")).udp(1, 2),
    );
    let mut labelled = v6().udp(1, 2);
    labelled.ipv6_flabel = 0x12345;
    blocks("ipv6_flabel: 0x12345", labelled, v6().udp(1, 2));
    blocks("ipv6_exthdr: 0", v6().udp(1, 2), udp4(1, 2));
}

#[test]
fn transport_fields_over_ipv4_and_ipv6() {
    let v6 = || bcast(1).ipv6("fc00::1".parse().unwrap(), "fc00::2".parse().unwrap());
    let v4 = || bcast(1).ipv4(ip4(10, 0, 0, 1), ip4(10, 0, 0, 2));
    // No eth_type, no ip_proto: the rule covers TCP over both IP versions.
    blocks("tcp_dst: 80", v4().tcp(1000, 80), v4().tcp(1000, 81));
    blocks("tcp_dst: 80", v6().tcp(1000, 80), v4().udp(1000, 80));
    blocks("tcp_src: 1000", v4().tcp(1000, 80), v4().tcp(1001, 80));
    blocks("udp_dst: 53", v6().udp(9, 53), v6().udp(9, 54));
    blocks("udp_src: 9", v4().udp(9, 53), v4().udp(8, 53));
    blocks("sctp_dst: 5000", v4().sctp(1, 5000), v4().sctp(1, 5001));
    blocks("sctp_src: 1", v6().sctp(1, 5000), v6().sctp(2, 5000));
    blocks("icmpv4_type: 8", v4().icmp(8, 0), v4().icmp(0, 0));
    blocks("icmpv4_code: 1", v4().icmp(3, 1), v4().icmp(3, 0));
    blocks("icmpv6_type: 128", v6().icmpv6(128, 0), v6().icmpv6(129, 0));
    blocks("icmpv6_code: 4", v6().icmpv6(1, 4), v6().icmpv6(1, 0));
}

#[test]
fn arp_and_neighbour_discovery_fields() {
    let arp = |op: u16, spa: Ipv4Addr, tpa: Ipv4Addr, tha: MacAddr| {
        bcast(1).arp(op, mac(1), spa, tha, tpa)
    };
    let (a, b) = (ip4(10, 0, 0, 1), ip4(10, 0, 0, 2));
    blocks(
        "arp_op: 2",
        arp(2, a, b, mac(2)),
        arp(1, a, b, MacAddr::ZERO),
    );
    blocks(
        "arp_spa: 10.0.0.0/30",
        arp(1, a, b, MacAddr::ZERO),
        arp(1, ip4(10, 0, 0, 5), b, MacAddr::ZERO),
    );
    blocks(
        "arp_tpa: 10.0.0.2",
        arp(1, a, b, MacAddr::ZERO),
        arp(1, a, ip4(10, 0, 0, 3), MacAddr::ZERO),
    );
    blocks(
        r#"arp_sha: "0a:00:00:00:00:01""#,
        arp(1, a, b, MacAddr::ZERO),
        bcast(1).arp(1, mac(7), a, MacAddr::ZERO, b),
    );
    blocks(
        r#"arp_tha: "0a:00:00:00:00:00/ff:ff:ff:ff:ff:00""#,
        arp(2, a, b, mac(2)),
        arp(1, a, b, MacAddr::ZERO),
    );
    let v6 = || {
        bcast(1).ipv6(
            "fe80::1".parse().unwrap(),
            "ff02::1:ff00:2".parse().unwrap(),
        )
    };
    let target: Ipv6Addr = "fe80::2".parse().unwrap();
    // Without icmpv6_type, a target matches solicitations and advertisements.
    blocks(
        r#"ipv6_nd_target: "fe80::2""#,
        v6().nd_advert(target, None),
        v6().nd_solicit("fe80::3".parse().unwrap(), None),
    );
    blocks(
        r#"ipv6_nd_target: "fe80::2""#,
        v6().nd_solicit(target, None),
        v6().icmpv6(128, 0),
    );
    blocks(
        r#"ipv6_nd_sll: "0a:00:00:00:00:01""#,
        v6().nd_solicit(target, Some(mac(1))),
        v6().nd_solicit(target, Some(mac(2))),
    );
    blocks(
        r#"ipv6_nd_tll: "0a:00:00:00:00:01""#,
        v6().nd_advert(target, Some(mac(1))),
        v6().nd_advert(target, Some(mac(2))),
    );
}

#[test]
fn mpls_pbb_metadata_tunnel_and_port_fields() {
    let mut mpls = bcast(1).eth_type(0x8847);
    mpls.mpls_label = 100;
    mpls.mpls_tc = 5;
    mpls.mpls_bos = 1;
    let mut other_label = mpls.clone();
    other_label.mpls_label = 101;
    other_label.mpls_tc = 4;
    other_label.mpls_bos = 0;
    blocks("mpls_label: 100", mpls.clone(), other_label.clone());
    blocks("mpls_tc: 5", mpls.clone(), other_label.clone());
    blocks("mpls_bos: 1", mpls, other_label);
    let mut pbb = bcast(1).eth_type(0x88e7);
    pbb.pbb_isid = 0x123456;
    let mut other = pbb.clone();
    other.pbb_isid = 0x123457;
    blocks("pbb_isid: 0x123456", pbb, other);
    blocks("metadata: 0", bcast(1), bcast(1).with_metadata(1));
    let mut tunnelled = bcast(1);
    tunnelled.tunnel_id = 9;
    blocks("tunnel_id: 9", tunnelled, bcast(1));
    // A port's ACL always matches its port, whatever in_port the rule names.
    let cfg = config(&block("in_port: 2"));
    blocks_on(&cfg, "in_port", bcast(1), bcast(2), 1, None);
    blocks("in_phy_port: 1, dl_type: 0x800", udp4(1, 2), bcast(1));
}

#[test]
fn contradicting_fields_are_reported() {
    let config = sluice_config::load_str(&config(&block("dl_type: 0x806, tcp_dst: 80")))
        .unwrap()
        .config;
    let dp = config.dps.values().next().unwrap();
    let found = sluice_core::pipeline::acl::unmatchable(dp);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].acl.as_str(), found[0].rule), ("test", 0));
    assert_eq!(
        found[0].why.to_string(),
        "its fields need different values of eth_type"
    );
}

#[test]
fn contradicting_fields_match_nothing() {
    // ARP with a TCP port can never match: no flow, so the next rule decides for both.
    let net = TestNet::connected(&config(&block("dl_type: 0x806, tcp_dst: 80")));
    let arp = bcast(1).arp_request(ip4(10, 0, 0, 1), ip4(10, 0, 0, 2));
    let tcp = bcast(1).ipv4(ip4(10, 0, 0, 1), ip4(10, 0, 0, 2)).tcp(1, 80);
    assert!(net.trace(&arp).is_output(2, None));
    assert!(net.trace(&tcp).is_output(2, None));
}

// ===== actions =====

/// ACL `test` with one rule for UDP to port 53 (actions as YAML), and everything else allowed.
fn on_dns(actions: &str) -> String {
    config(&format!(
        "  test:\n    - rule:\n        udp_dst: 53\n        actions: {actions}\n    - rule: {{actions: {{allow: 1}}}}"
    ))
}

#[test]
fn no_matching_rule_drops() {
    let net = TestNet::connected(&config(
        "  test:\n    - rule: {dl_type: 0x806, actions: {allow: 1}}",
    ));
    assert!(
        net.trace(&bcast(1).arp_request(ip4(10, 0, 0, 1), ip4(10, 0, 0, 2)))
            .is_output(2, None)
    );
    assert!(net.trace(&udp4(1, 53)).is_dropped());
    // The other ports have no ACL: everything passes.
    assert!(net.trace(&udp4(2, 53)).is_output(1, None));
    // A port without VLANs is not set up (as in FAUCET): no flow lets its input in.
    let in_port_5 =
        |f: &&sluice_fakeswitch::FlowEntry| f.match_.in_port() == Some(sluice_ofp::PortNo(5));
    assert_eq!(net.sw.table_flows(0).filter(in_port_5).count(), 0);
    assert!(net.trace(&bcast(5)).is_dropped());
}

#[test]
fn the_first_matching_rule_wins() {
    let net = TestNet::connected(&config(
        "  test:\n    - rule: {udp_dst: 53, actions: {allow: 1}}\n    - rule: {dl_type: 0x800, actions: {allow: 0}}\n    - rule: {actions: {allow: 1}}",
    ));
    assert!(net.trace(&udp4(1, 53)).is_output(2, None));
    assert!(net.trace(&udp4(1, 54)).is_dropped());
    assert!(net.trace(&bcast(1).eth_type(0x86dd)).is_output(2, None));
}

#[test]
fn output_to_a_port_ends_the_pipeline() {
    let net = TestNet::connected(&on_dns("{output: {port: 5}}"));
    let t = net.trace(&udp4(1, 53));
    assert_eq!(t.ports(), vec![sluice_ofp::PortNo(5)], "{}", t.summary());
    assert!(t.is_output(5, None));
    // With allow, it is output and switched as well.
    let net = TestNet::connected(&on_dns("{allow: 1, output: {port: 5}}"));
    let t = net.trace(&udp4(1, 53));
    assert!(t.is_output(5, None) && t.is_output(2, None) && t.is_output(3, Some(100)));
    let net = TestNet::connected(&on_dns("{output: {ports: [2, 4, 5]}}"));
    let t = net.trace(&udp4(1, 53));
    assert_eq!(t.ports().len(), 3);
    assert!(t.is_output(2, None) && t.is_output(4, None) && t.is_output(5, None));
}

#[test]
fn vlan_push_pop_and_swap() {
    let net = TestNet::connected(&on_dns("{output: {vlan_vid: 300, port: 5}}"));
    assert!(net.trace(&udp4(1, 53)).is_output(5, Some(300)));
    // vlan_vids pushes each in turn: the last is outermost; an entry may give its TPID.
    let net = TestNet::connected(&on_dns(
        "{output: {vlan_vids: [{vid: 300, eth_type: 0x88a8}, 301], port: 5}}",
    ));
    let t = net.trace(&udp4(1, 53));
    let out = t.output_to(5);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].vids(), vec![301, 300]);
    assert_eq!(out[0].vlans[1].tpid, 0x88a8);
    // On a trunk: swap the tag, or pop it.
    let trunk = |actions: &str| {
        config_on(
            "1: {native_vlan: office}\n      3: {tagged_vlans: [office, guest], acls_in: [test]}",
            &format!(
                "  test:\n    - rule:\n        udp_dst: 53\n        actions: {actions}\n    - rule: {{actions: {{allow: 1}}}}"
            ),
        )
    };
    let dns = tagged(3, 100, mac(3), MacAddr::BROADCAST)
        .ipv4(ip4(10, 0, 0, 3), ip4(10, 0, 0, 4))
        .udp(9, 53);
    let net = TestNet::connected(&trunk("{output: {swap_vid: 222, port: 5}}"));
    assert!(net.trace(&dns).is_output(5, Some(222)));
    let net = TestNet::connected(&trunk("{output: {pop_vlans: 1, port: 5}}"));
    assert!(net.trace(&dns).is_output(5, None));
    // swap_vid, then allow: the packet goes on in the new VLAN (guest reaches port 4).
    let net = TestNet::connected(&trunk("{allow: 1, output: {swap_vid: 200}}"));
    let t = net.trace(&dns);
    assert!(t.is_output(4, None), "{}", t.summary());
    assert!(!t.is_output_any_vlan(2));
}

#[test]
fn set_fields_rewrite_the_packet() {
    let net = TestNet::connected(&on_dns(
        r#"{output: {set_fields: [{eth_dst: "0a:00:00:00:00:09"}, {ipv4_dst: 10.9.9.9}, {udp_dst: 5353}], port: 5}}"#,
    ));
    let t = net.trace(&udp4(1, 53));
    let out = t.output_to(5);
    assert_eq!(out.len(), 1, "{}", t.summary());
    assert_eq!(out[0].eth_dst, mac(9));
    assert_eq!(out[0].ipv4_dst, ip4(10, 9, 9, 9));
    assert_eq!(out[0].l4_dst, 5353);
}

#[test]
fn the_ordered_output_list_applies_steps_as_written() {
    // Dict form: the VLAN is pushed before any output, whatever the key order.
    let net = TestNet::connected(&on_dns("{output: {port: 5, vlan_vid: 300}}"));
    assert!(net.trace(&udp4(1, 53)).is_output(5, Some(300)));
    // List form: output untagged to 2, then push and output tagged to 5.
    let net = TestNet::connected(&on_dns("{output: [{port: 2}, {vlan_vid: 300}, {port: 5}]}"));
    let t = net.trace(&udp4(1, 53));
    assert!(
        t.is_output(2, None) && t.is_output(5, Some(300)),
        "{}",
        t.summary()
    );
    assert_eq!(t.ports().len(), 2);
}

#[test]
fn failover_outputs_to_the_first_live_port() {
    let mut net = TestNet::connected(&on_dns(
        "{output: {failover: {group_id: 42, ports: [2, 5]}}}",
    ));
    let t = net.trace(&udp4(1, 53));
    assert_eq!(t.ports(), vec![sluice_ofp::PortNo(2)], "{}", t.summary());
    net.set_link(2, false);
    let t = net.trace(&udp4(1, 53));
    assert_eq!(t.ports(), vec![sluice_ofp::PortNo(5)], "{}", t.summary());
}

#[test]
fn mirror_copies_and_allows() {
    let net = TestNet::connected(&on_dns("{mirror: 5}"));
    let t = net.trace(&udp4(1, 53));
    assert!(t.is_output(5, None), "the copy, as received");
    assert!(t.is_output(2, None), "mirror allows unless told otherwise");
    // mirror with allow: 0 copies a packet that is then dropped.
    let net = TestNet::connected(&on_dns("{mirror: 5, allow: 0}"));
    let t = net.trace(&udp4(1, 53));
    assert_eq!(t.ports(), vec![sluice_ofp::PortNo(5)]);
    // The target becomes output-only: what comes in there is dropped.
    assert!(net.trace(&bcast(5)).is_dropped());
}

#[test]
fn force_port_vlan_skips_the_vlan_check() {
    // Port 1 is untagged office; a frame tagged with guest (200) is normally dropped.
    let cfg = |actions: &str| {
        config(&format!(
            "  test:\n    - rule: {{dl_vlan: 200, actions: {actions}}}\n    - rule: {{actions: {{allow: 1}}}}"
        ))
    };
    let guest = tagged(1, 200, mac(1), MacAddr::BROADCAST);
    let net = TestNet::connected(&cfg("{allow: 1}"));
    assert!(net.trace(&guest).is_dropped());
    let net = TestNet::connected(&cfg("{allow: 1, force_port_vlan: 1}"));
    let t = net.trace(&guest);
    assert!(t.is_output(4, None), "flooded in guest: {}", t.summary());
    assert!(t.is_output(3, Some(200)));
}

#[test]
fn meters_are_installed_when_a_rule_uses_one() {
    let net = TestNet::connected(&on_dns("{allow: 1, meter: slow}"));
    let meters: Vec<_> = net.sw.meters().collect();
    assert_eq!(meters.len(), 1);
    assert_eq!(meters[0].meter_id, 7);
    assert_eq!(
        meters[0].flags,
        sluice_ofp::msg::meter::MeterFlags::KBPS | sluice_ofp::msg::meter::MeterFlags::BURST
    );
    assert_eq!(
        meters[0].bands,
        vec![sluice_ofp::msg::meter::MeterBand::Drop {
            rate: 1000,
            burst_size: 100
        }]
    );
    let t = net.trace(&udp4(1, 53));
    assert!(t.is_output(2, None), "metered, then switched");
    // Unused meters are not installed.
    let net = TestNet::connected(&on_dns("{allow: 1}"));
    assert_eq!(net.sw.meters().count(), 0);
}

#[test]
fn packet_rate_meters_with_dscp_remark_bands() {
    let cfg = on_dns("{allow: 1, meter: remark}").replace(
        "meters:\n",
        "meters:\n  remark:\n    meter_id: 9\n    entry:\n      flags: PKTPS\n      bands:\n        - {type: DSCP_REMARK, rate: 100, burst_size: 10, prec_level: 1}\n        - {type: DROP, rate: 500}\n",
    );
    let net = TestNet::connected(&cfg);
    let m: Vec<_> = net.sw.meters().collect();
    assert_eq!(m.len(), 1, "only the meter a rule uses");
    assert_eq!(m[0].meter_id, 9);
    assert_eq!(m[0].flags, sluice_ofp::msg::meter::MeterFlags::PKTPS);
    assert_eq!(
        m[0].bands,
        vec![
            sluice_ofp::msg::meter::MeterBand::DscpRemark {
                rate: 100,
                burst_size: 10,
                prec_level: 1
            },
            sluice_ofp::msg::meter::MeterBand::Drop {
                rate: 500,
                burst_size: 0
            }
        ]
    );
}

#[test]
fn a_rule_cookie_marks_its_flow() {
    let net = TestNet::connected(&config(
        "  test:\n    - rule: {udp_dst: 53, cookie: 1234, actions: {allow: 0}}\n    - rule: {actions: {allow: 1}}",
    ));
    let cookies: Vec<u64> = net.sw.table_flows(0).map(|f| f.cookie).collect();
    // One flow per IP version for the DNS rule, with the rule's cookie; the rest the DP's.
    assert_eq!(cookies.iter().filter(|c| **c == 1234).count(), 2);
    assert!(cookies.contains(&0x5adc15c0));
}

// ===== where ACLs apply =====

#[test]
fn vlan_acls_apply_to_every_port_of_the_vlan() {
    let cfg = r#"
acls:
  no-telnet:
    - rule: {tcp_dst: 23, actions: {allow: 0}}
    - rule: {actions: {allow: 1}}
vlans:
  office: {vid: 100, acls_in: [no-telnet]}
  guest: {vid: 200}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
      3: {tagged_vlans: [office, guest]}
      4: {native_vlan: guest}
"#;
    let net = TestNet::connected(cfg);
    let telnet = |p: Packet| p.ipv4(ip4(10, 0, 0, 1), ip4(10, 0, 0, 2)).tcp(9, 23);
    assert!(net.trace(&telnet(bcast(1))).is_dropped());
    let office_trunk = tagged(3, 100, mac(3), MacAddr::BROADCAST);
    assert!(net.trace(&telnet(office_trunk)).is_dropped());
    let guest_trunk = tagged(3, 200, mac(3), MacAddr::BROADCAST);
    assert!(net.trace(&telnet(guest_trunk)).is_output(4, None));
    let t = net.trace(&bcast(1).ipv4(ip4(10, 0, 0, 1), ip4(10, 0, 0, 2)).tcp(9, 22));
    assert!(t.is_output(2, None) && t.is_output(3, Some(100)));
}

#[test]
fn dp_acls_apply_to_every_port() {
    let cfg = r#"
acls:
  everywhere:
    - rule: {in_port: 2, actions: {allow: 0}}
    - rule: {udp_dst: 53, actions: {allow: 0}}
    - rule: {actions: {allow: 1}}
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    dp_acls: [everywhere]
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
      3: {native_vlan: office}
"#;
    let net = TestNet::connected(cfg);
    assert!(net.trace(&bcast(2)).is_dropped(), "in_port is matched");
    assert!(net.trace(&udp4(1, 53)).is_dropped());
    assert!(net.trace(&udp4(3, 53)).is_dropped());
    assert!(net.trace(&udp4(3, 54)).is_output(1, None));
}

#[test]
fn egress_acls_filter_what_leaves_a_vlan() {
    let cfg = r#"
acls:
  out:
    - rule: {eth_dst: "0a:00:00:00:00:02", actions: {allow: 0}}
    - rule: {udp_dst: 53, actions: {allow: 0}}
    - rule: {actions: {allow: 1}}
vlans:
  office: {vid: 100, acls_out: [out]}
  guest: {vid: 200}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
      3: {tagged_vlans: [office, guest]}
      4: {native_vlan: guest}
"#;
    let mut net = TestNet::connected(cfg);
    // Learn hosts 2 and 3 (3 on the trunk); flooding passes the egress ACL too.
    let t = net.send(&frame(2, mac(2), MacAddr::BROADCAST));
    assert!(
        t.is_output(1, None) && t.is_output(3, Some(100)),
        "{}",
        t.summary()
    );
    net.send(&tagged(3, 100, mac(3), MacAddr::BROADCAST));
    net.send(&frame(1, mac(1), MacAddr::BROADCAST));
    // Learned unicast goes through the egress pipeline to its port.
    let t = net.trace(&frame(1, mac(1), mac(3)));
    assert_eq!(t.ports(), vec![sluice_ofp::PortNo(3)], "{}", t.summary());
    assert!(t.is_output(3, Some(100)));
    // To host 2: dropped on the way out, learned or not.
    assert!(net.trace(&frame(1, mac(1), mac(2))).is_dropped());
    // DNS is dropped whatever its destination; other VLANs are not filtered.
    let dns = frame(1, mac(1), mac(3))
        .ipv4(ip4(10, 0, 0, 1), ip4(10, 0, 0, 3))
        .udp(9, 53);
    assert!(net.trace(&dns).is_dropped());
    let guest_dns = frame(4, mac(4), MacAddr::BROADCAST)
        .ipv4(ip4(10, 0, 0, 4), ip4(10, 0, 0, 3))
        .udp(9, 53);
    assert!(net.trace(&guest_dns).is_output(3, Some(200)));
}

#[test]
fn exact_match_acls_share_one_priority() {
    let net = TestNet::connected(&config(
        "  test:\n    exact_match: true\n    rules:\n      - rule: {dl_type: 0x800, ip_proto: 17, udp_dst: 53, actions: {allow: 0}}\n      - rule: {dl_type: 0x806, actions: {allow: 1}}",
    ));
    let prios: std::collections::BTreeSet<u16> =
        net.sw.table_flows(0).map(|f| f.priority).collect();
    assert_eq!(prios.len(), 2, "0 for the miss, 0x5000 for all rules");
    assert!(net.trace(&udp4(1, 53)).is_dropped());
    assert!(
        net.trace(&bcast(1).arp_request(ip4(10, 0, 0, 1), ip4(10, 0, 0, 2)))
            .is_output(2, None)
    );
}

#[test]
fn meters_are_synced_by_difference_on_reconnect() {
    let cfg = on_dns("{allow: 1, meter: slow}");
    let mut net = TestNet::connected(&cfg);
    // Reconnect: the switch already has the meter; nothing is sent for it.
    net.take_sent();
    net.connect();
    let meter_mods = |sent: &[Message]| {
        sent.iter()
            .filter(|m| matches!(m, Message::MeterMod(_)))
            .count()
    };
    assert_eq!(meter_mods(&net.take_sent()), 0);
    // A changed rate is modified in place, on the same switch.
    let changed = cfg.replace("rate: 1000", "rate: 2000");
    let mut net2 = TestNet::new(&changed);
    net2.sw = net.sw;
    net2.connect();
    let sent = net2.take_sent();
    let mods: Vec<_> = sent
        .iter()
        .filter_map(|m| match m {
            Message::MeterMod(mm) => Some(mm.command),
            _ => None,
        })
        .collect();
    assert_eq!(
        mods,
        vec![sluice_ofp::msg::meter::MeterModCommand::Modify],
        "{sent:?}"
    );
    let m = net2.sw.meters().next().unwrap();
    assert!(matches!(
        m.bands[0],
        sluice_ofp::msg::meter::MeterBand::Drop { rate: 2000, .. }
    ));
}
