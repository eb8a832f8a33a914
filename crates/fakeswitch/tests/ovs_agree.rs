//! The fake switch agrees with Open vSwitch 3.1.
//!
//! Each test builds a real userspace OVS bridge (ports 1 to 4 are veth ends), sends it and a
//! [`FakeSwitch`] in [`Strictness::Ovs`] the same OpenFlow messages, and compares:
//!
//! - `traces_agree`: a FAUCET-like four-table pipeline (VLAN, source learning, destination,
//!   flood) with groups and a meter; for each of 22 packets, where the fake sends it and with
//!   which headers against what `ovs-appctl ofproto/trace` says (its "Datapath actions:" line,
//!   played on the packet), including a fast-failover group before and after a link goes
//!   down;
//! - `errors_agree`: about sixty malformed or inconsistent flow, group, meter and packet-out
//!   messages, and the error (or acceptance) each gets;
//! - `flow_table_changes_agree`: a sequence of adds, identical replacements, strict and loose
//!   modifies and deletes with cookie, port and group filters, group and meter deletions,
//!   comparing the flow statistics of both switches after every step.
//!
//! Without Open vSwitch the tests fail, saying what to install; they never pass silently.

#![allow(clippy::unwrap_used)]
// Sockets and clocks: this is where the pure crate meets a real switch.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use bytes::Bytes;
use common::{OvsSwitch, OvsTrace};
use sluice_fakeswitch::{ETH_TYPE_QINQ, FakeSwitch, Packet, Strictness, Trace, VlanTag};
use sluice_ofp::msg::flow::{FlowMod, FlowModCommand, FlowModFlags, OFPG_ALL, OFPTT_ALL};
use sluice_ofp::msg::group::{Bucket, GroupMod, GroupModCommand, GroupType};
use sluice_ofp::msg::meter::{MeterBand, MeterFlags, MeterMod, MeterModCommand, OFPM_ALL};
use sluice_ofp::msg::multipart::{FlowStatsRequest, MultipartReplyBody, MultipartRequestBody};
use sluice_ofp::msg::packet::PacketOut;
use sluice_ofp::msg::role::AsyncConfig;
use sluice_ofp::oxm::OFPVID_NONE;
use sluice_ofp::{Action, Instruction, Match, Message, OfError, OxmField, PortNo};
use sluice_wire::MacAddr;

const H1: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x01]);
const H2: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x02]);
const H3: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x03]);
const H4: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x04]);
const H6: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x06]);
const ROUTER: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0xfe]);
const BCAST: MacAddr = MacAddr::BROADCAST;

fn fake() -> FakeSwitch {
    FakeSwitch::new(0x5adc_0000_0000_0001)
        .with_ports(1..=4)
        .with_strictness(Strictness::Ovs)
}

fn vid(v: u16) -> OxmField {
    OxmField::VlanVid(0x1000 | v, None)
}

fn set_vid(v: u16) -> Action {
    Action::SetField(OxmField::VlanVid(0x1000 | v, None))
}

fn out(p: u32) -> Action {
    Action::output(p)
}

fn in_port(p: u32) -> OxmField {
    OxmField::InPort(PortNo(p))
}

fn flow(
    table_id: u8,
    priority: u16,
    fields: Vec<OxmField>,
    instructions: Vec<Instruction>,
) -> FlowMod {
    FlowMod {
        table_id,
        priority,
        cookie: 0x5adc_0000 | u64::from(table_id),
        match_: Match::from_fields(fields),
        instructions,
        ..FlowMod::default()
    }
}

fn apply(a: Vec<Action>) -> Instruction {
    Instruction::ApplyActions(a)
}

fn goto(t: u8) -> Instruction {
    Instruction::GotoTable(t)
}

fn group_add(group_type: GroupType, group_id: u32, buckets: Vec<Bucket>) -> Message {
    Message::GroupMod(GroupMod {
        command: GroupModCommand::Add,
        group_type,
        group_id,
        buckets,
    })
}

fn meter_add(meter_id: u32, bands: Vec<MeterBand>) -> Message {
    Message::MeterMod(MeterMod {
        command: MeterModCommand::Add,
        flags: MeterFlags::KBPS,
        meter_id,
        bands,
    })
}

fn drop_band(rate: u32) -> MeterBand {
    MeterBand::Drop {
        rate,
        burst_size: 0,
    }
}

fn watching(port: u32, actions: Vec<Action>) -> Bucket {
    Bucket {
        watch_port: PortNo(port),
        ..Bucket::new(actions)
    }
}

/// A FAUCET-like pipeline. Ports 1 and 2 are untagged in VLAN 100, port 4 untagged in VLAN
/// 200, port 3 tagged in both. Tables: 0 VLAN, 1 source learning (and a route), 2
/// destination, 3 flood.
fn pipeline() -> Vec<Message> {
    let push = |v: u16| apply(vec![Action::PushVlan(0x8100), set_vid(v)]);
    let mut m = vec![
        // Flooding per VLAN: untagged ports get the tag popped.
        group_add(
            GroupType::All,
            100,
            vec![
                Bucket::new(vec![Action::PopVlan, out(1)]),
                Bucket::new(vec![Action::PopVlan, out(2)]),
                Bucket::new(vec![out(3)]),
            ],
        ),
        group_add(
            GroupType::All,
            200,
            vec![
                Bucket::new(vec![out(3)]),
                Bucket::new(vec![Action::PopVlan, out(4)]),
            ],
        ),
        // A host reachable over port 3, or port 4 when port 3 is down.
        group_add(
            GroupType::FastFailover,
            300,
            vec![watching(3, vec![out(3)]), watching(4, vec![out(4)])],
        ),
        meter_add(1, vec![drop_band(1000)]),
    ];
    let flows = vec![
        // Table 0: VLANs.
        flow(
            0,
            9500,
            vec![in_port(4), vid(300)],
            vec![apply(vec![
                Action::PushVlan(ETH_TYPE_QINQ),
                set_vid(400),
                out(3),
            ])],
        ),
        flow(
            0,
            9100,
            vec![OxmField::EthType(0x88cc)],
            vec![apply(vec![Action::Output {
                port: PortNo::CONTROLLER,
                max_len: 128,
            }])],
        ),
        flow(
            0,
            9000,
            vec![in_port(1), OxmField::VlanVid(OFPVID_NONE, None)],
            vec![push(100), goto(1)],
        ),
        flow(
            0,
            9000,
            vec![in_port(2), OxmField::VlanVid(OFPVID_NONE, None)],
            vec![push(100), goto(1)],
        ),
        flow(
            0,
            9000,
            vec![in_port(4), OxmField::VlanVid(OFPVID_NONE, None)],
            vec![push(200), goto(1)],
        ),
        flow(0, 9000, vec![in_port(3), vid(100)], vec![goto(1)]),
        flow(0, 9000, vec![in_port(3), vid(200)], vec![goto(1)]),
        flow(0, 0, vec![], vec![]),
        // Table 1: learned sources go on; the others also to the controller (metered).
        flow(
            1,
            9000,
            vec![
                vid(100),
                OxmField::EthDst(ROUTER, None),
                OxmField::EthType(0x0800),
                OxmField::Ipv4Dst(
                    Ipv4Addr::new(10, 0, 200, 0),
                    Some(Ipv4Addr::new(255, 255, 255, 0)),
                ),
            ],
            vec![
                apply(vec![
                    Action::SetField(OxmField::EthSrc(ROUTER, None)),
                    Action::SetField(OxmField::EthDst(H4, None)),
                    set_vid(200),
                    Action::DecNwTtl,
                ]),
                goto(2),
            ],
        ),
        flow(
            1,
            8000,
            vec![in_port(1), vid(100), OxmField::EthSrc(H1, None)],
            vec![goto(2)],
        ),
        flow(
            1,
            8000,
            vec![in_port(3), vid(200), OxmField::EthSrc(H3, None)],
            vec![goto(2)],
        ),
        flow(
            1,
            0,
            vec![],
            vec![
                Instruction::Meter(1),
                apply(vec![Action::Output {
                    port: PortNo::CONTROLLER,
                    max_len: 128,
                }]),
                goto(2),
            ],
        ),
        // Table 2: known destinations.
        flow(
            2,
            8000,
            vec![vid(100), OxmField::EthDst(H1, None)],
            vec![apply(vec![Action::PopVlan, out(1)])],
        ),
        flow(
            2,
            8000,
            vec![vid(100), OxmField::EthDst(H3, None)],
            vec![apply(vec![out(3)])],
        ),
        flow(
            2,
            8000,
            vec![vid(200), OxmField::EthDst(H3, None)],
            vec![apply(vec![out(3)])],
        ),
        flow(
            2,
            8000,
            vec![vid(200), OxmField::EthDst(H4, None)],
            vec![apply(vec![Action::PopVlan, out(4)])],
        ),
        flow(
            2,
            8000,
            vec![vid(100), OxmField::EthDst(H6, None)],
            vec![apply(vec![Action::Group(300)])],
        ),
        flow(2, 0, vec![], vec![goto(3)]),
        // Table 3: flooding; unknown unicast through the action set.
        flow(
            3,
            8000,
            vec![vid(100), OxmField::EthDst(BCAST, None)],
            vec![apply(vec![Action::Group(100)])],
        ),
        flow(
            3,
            8000,
            vec![vid(200)],
            vec![apply(vec![Action::Group(200)])],
        ),
        flow(
            3,
            7000,
            vec![
                vid(100),
                OxmField::EthDst(
                    MacAddr([1, 0, 0, 0, 0, 0]),
                    Some(MacAddr([1, 0, 0, 0, 0, 0])),
                ),
            ],
            vec![apply(vec![Action::Group(100)])],
        ),
        flow(
            3,
            6000,
            vec![vid(100)],
            vec![Instruction::WriteActions(vec![Action::Group(100)])],
        ),
        flow(3, 0, vec![], vec![]),
    ];
    m.extend(flows.into_iter().map(Message::FlowMod));
    m
}

fn ip(src: MacAddr, dst: MacAddr, port: u32) -> Packet {
    Packet::new(port)
        .eth(src, dst)
        .ipv4([10, 0, 0, src.0[5]].into(), [10, 0, 0, dst.0[5]].into())
        .udp(40000, 53)
}

fn packets() -> Vec<(&'static str, Packet)> {
    vec![
        ("learned H1 to H3 (tagged port)", ip(H1, H3, 1)),
        (
            "H1 to an unknown host: flood through the action set",
            ip(H1, H2, 1),
        ),
        (
            "H1 broadcast",
            Packet::new(1)
                .eth(H1, BCAST)
                .arp_request([10, 0, 0, 1].into(), [10, 0, 0, 9].into()),
        ),
        ("unknown H2 to H1: controller and H1", ip(H2, H1, 2)),
        ("H3 tagged 100 to H1", ip(H3, H1, 3).vlan(100)),
        ("learned H3 in VLAN 200 to H4", ip(H3, H4, 3).vlan(200)),
        ("H3 broadcast in VLAN 200", ip(H3, BCAST, 3).vlan(200)),
        ("H4 (untagged, VLAN 200) to H3", ip(H4, H3, 4)),
        ("VLAN 300 on port 3: not allowed", ip(H3, H1, 3).vlan(300)),
        ("a tag on the untagged port 1", ip(H1, H3, 1).vlan(100)),
        (
            "LLDP to the controller",
            Packet::new(2)
                .eth(H2, MacAddr([0x01, 0x80, 0xc2, 0, 0, 0x0e]))
                .eth_type(0x88cc)
                .payload(Bytes::from_static(&[2, 7, 4, 0, 0, 0, 0, 0, 1])),
        ),
        (
            "IPv4 multicast from H1",
            ip(H1, MacAddr([0x01, 0x00, 0x5e, 0, 0, 1]), 1),
        ),
        (
            "routed H1 to 10.0.200.4",
            Packet::new(1)
                .eth(H1, ROUTER)
                .ipv4([10, 0, 0, 1].into(), [10, 0, 200, 4].into())
                .ttl(9)
                .tcp(5555, 80),
        ),
        (
            "routed with TTL 1: to the controller",
            Packet::new(1)
                .eth(H1, ROUTER)
                .ipv4([10, 0, 0, 1].into(), [10, 0, 200, 4].into())
                .ttl(1)
                .tcp(5555, 80),
        ),
        (
            "not routed (other subnet): flooded",
            Packet::new(1)
                .eth(H1, ROUTER)
                .ipv4([10, 0, 0, 1].into(), [10, 0, 201, 4].into())
                .tcp(5555, 80),
        ),
        (
            "QinQ: VLAN 300 from port 4 gets an 802.1ad tag",
            ip(H4, H3, 4).vlan_pcp(300, 5),
        ),
        ("H1 to H6 through the fast-failover group", ip(H1, H6, 1)),
        (
            "IPv6 neighbour solicitation from H1",
            Packet::new(1)
                .eth(H1, MacAddr([0x33, 0x33, 0xff, 0, 0, 3]))
                .ipv6(
                    "fc00::1".parse().unwrap(),
                    "ff02::1:ff00:3".parse().unwrap(),
                )
                .nd_solicit("fc00::3".parse().unwrap(), Some(H1)),
        ),
        (
            "ARP broadcast from H4",
            Packet::new(4)
                .eth(H4, BCAST)
                .arp_request([10, 0, 200, 4].into(), [10, 0, 200, 1].into()),
        ),
        ("unknown H2 to tagged H3", ip(H2, H3, 2)),
        (
            "802.1ad-tagged 100 from port 3 to H1",
            ip(H3, H1, 3).tag(VlanTag::dot1ad(100)),
        ),
        (
            "priority-tagged H1 to H3 on port 3",
            ip(H1, H3, 3).vlan_pcp(100, 6),
        ),
    ]
}

/// What a packet looks like for the comparison.
fn headers(p: &Packet) -> String {
    let tags: Vec<String> = p
        .vlans
        .iter()
        .map(|t| format!("{:#06x}:{}:{}", t.tpid, t.vid, t.pcp))
        .collect();
    format!(
        "vlans=[{}] src={} dst={} ttl={} ip={}->{}",
        tags.join(" "),
        p.eth_src,
        p.eth_dst,
        p.ip_ttl,
        p.ipv4_src,
        p.ipv4_dst
    )
}

fn fake_result(t: &Trace) -> Vec<String> {
    let mut v: Vec<String> = t
        .outputs
        .iter()
        .map(|o| format!("output {}: {}", o.port, headers(&o.packet)))
        .collect();
    v.extend(
        t.packet_ins
            .iter()
            .map(|c| format!("packet-in {}: {}", c.reason, headers(&c.packet))),
    );
    v
}

fn ovs_result(t: &OvsTrace) -> Vec<String> {
    let mut v: Vec<String> = t
        .outputs
        .iter()
        .map(|(port, p)| format!("output {port}: {}", headers(p)))
        .collect();
    v.extend(
        t.packet_ins
            .iter()
            .map(|(r, p)| format!("packet-in {r}: {}", headers(p))),
    );
    v
}

/// Compares one packet; returns a line for the report, and the details if they differ.
fn compare(name: &str, p: &Packet, fake: &FakeSwitch, ovs: &OvsSwitch) -> (String, Option<String>) {
    let f = fake.trace(p);
    let o = ovs.trace(p);
    let (fr, or) = (fake_result(&f), ovs_result(&o));
    let line = format!("{name:<52} {}", f.summary());
    if fr == or {
        (format!("{line}  agree"), None)
    } else {
        let detail = format!(
            "== {name}: {p}\nfake:\n  {}\nOVS (Datapath actions: {}):\n  {}\nfake trace:\n{f}\nOVS trace:\n{}",
            fr.join("\n  "),
            o.datapath_actions,
            or.join("\n  "),
            o.text
        );
        (format!("{line}  DISAGREE"), Some(detail))
    }
}

#[test]
fn traces_agree() {
    let mut ovs = OvsSwitch::start(4);
    let mut fake = fake();
    let mut msgs = vec![
        // Packet-ins for invalid TTLs too (OVS's default leaves them out).
        Message::SetAsync(AsyncConfig {
            packet_in_mask: [0b111, 0],
            port_status_mask: [0b111, 0b111],
            flow_removed_mask: [0b1111, 0],
        }),
    ];
    msgs.extend(pipeline());
    let errors = ovs.apply(&msgs);
    assert!(errors.is_empty(), "OVS refused: {errors:?}");
    let batch = fake.apply_all(Duration::ZERO, &msgs);
    assert!(
        batch.errors.is_empty(),
        "the fake refused: {:?}",
        batch.errors
    );

    let mut report = Vec::new();
    let mut differences = Vec::new();
    let mut run = |fake: &FakeSwitch, ovs: &OvsSwitch, name: &str, p: &Packet| {
        let (line, diff) = compare(name, p, fake, ovs);
        report.push(line);
        differences.extend(diff);
    };
    for (name, p) in packets() {
        run(&fake, &ovs, name, &p);
    }
    // Fast failover: port 3 goes down on both.
    ovs.set_link(3, false);
    fake.set_link(3, false);
    run(
        &fake,
        &ovs,
        "H1 to H6 after port 3 went down",
        &ip(H1, H6, 1),
    );
    run(
        &fake,
        &ovs,
        "H1 broadcast after port 3 went down",
        &ip(H1, BCAST, 1),
    );
    ovs.set_link(3, true);
    fake.set_link(3, true);
    run(
        &fake,
        &ovs,
        "H1 to H6 after port 3 came back",
        &ip(H1, H6, 1),
    );

    eprintln!("packet{:47} fake result  vs OVS\n{}", "", report.join("\n"));
    assert!(
        differences.is_empty(),
        "{} of {} packets disagree:\n{}",
        differences.len(),
        report.len(),
        differences.join("\n")
    );
    assert!(report.len() >= 20);
}

/// One error case: messages that set the scene, then the probe.
struct Case {
    name: &'static str,
    setup: Vec<Message>,
    probe: Message,
}

fn case(name: &'static str, setup: Vec<Message>, probe: impl Into<Probe>) -> Case {
    Case {
        name,
        setup,
        probe: probe.into().0,
    }
}

struct Probe(Message);

impl From<Message> for Probe {
    fn from(m: Message) -> Self {
        Probe(m)
    }
}

impl From<FlowMod> for Probe {
    fn from(f: FlowMod) -> Self {
        Probe(Message::FlowMod(f))
    }
}

fn error_cases() -> Vec<Case> {
    let f = |fields: Vec<OxmField>, ins: Vec<Instruction>| flow(0, 1, fields, ins);
    let a = |actions: Vec<Action>| flow(0, 1, vec![in_port(1)], vec![apply(actions)]);
    let group = |command, group_type, group_id, buckets| {
        Message::GroupMod(GroupMod {
            command,
            group_type,
            group_id,
            buckets,
        })
    };
    let b = |p: u32| Bucket::new(vec![out(p)]);
    let meter = |command, flags, meter_id, bands| {
        Message::MeterMod(MeterMod {
            command,
            flags,
            meter_id,
            bands,
        })
    };
    let frame = Bytes::from(ip(H1, H2, 1).to_frame());
    let po = |in_port: PortNo, actions: Vec<Action>| {
        Message::PacketOut(PacketOut::new(in_port, actions, frame.clone()))
    };
    let with = |mut fm: FlowMod, e: fn(&mut FlowMod)| {
        e(&mut fm);
        fm
    };
    let g1 = group_add(GroupType::All, 1, vec![b(2)]);
    vec![
        // Flow mods: tables and goto.
        case(
            "add to table ALL",
            vec![],
            flow(OFPTT_ALL, 1, vec![], vec![]),
        ),
        case(
            "goto the same table",
            vec![],
            flow(2, 1, vec![], vec![goto(2)]),
        ),
        case(
            "goto an earlier table",
            vec![],
            flow(2, 1, vec![], vec![goto(1)]),
        ),
        case("goto forward", vec![], flow(2, 1, vec![], vec![goto(3)])),
        // Matches.
        case(
            "missing prerequisite",
            vec![],
            f(vec![OxmField::TcpDst(22)], vec![]),
        ),
        case(
            "prerequisite after the field",
            vec![],
            f(vec![OxmField::IpProto(6), OxmField::EthType(0x800)], vec![]),
        ),
        case(
            "duplicate field",
            vec![],
            f(vec![in_port(1), in_port(2)], vec![]),
        ),
        case(
            "value outside the mask",
            vec![],
            f(vec![OxmField::VlanVid(0x1064, Some(0x0fff))], vec![]),
        ),
        case(
            "vlan_vid above 13 bits",
            vec![],
            f(vec![OxmField::VlanVid(0x2001, None)], vec![]),
        ),
        case(
            "DSCP above 63",
            vec![],
            f(vec![OxmField::EthType(0x800), OxmField::IpDscp(64)], vec![]),
        ),
        case(
            "masked vlan_vid present",
            vec![],
            f(vec![OxmField::VlanVid(0x1000, Some(0x1000))], vec![]),
        ),
        // Output ports.
        case("output ANY", vec![], a(vec![Action::output(PortNo::ANY)])),
        case("output 0xff00", vec![], a(vec![out(0xff00)])),
        case("output to a missing port", vec![], a(vec![out(77)])),
        case(
            "output IN_PORT, ALL, FLOOD, LOCAL, CONTROLLER",
            vec![],
            a(vec![
                Action::output(PortNo::IN_PORT),
                Action::output(PortNo::ALL),
                Action::output(PortNo::FLOOD),
                Action::output(PortNo::LOCAL),
                Action::output(PortNo::CONTROLLER),
            ]),
        ),
        // Groups and meters a flow uses.
        case("missing group", vec![], a(vec![Action::Group(9)])),
        case(
            "missing group in write-actions",
            vec![],
            f(
                vec![],
                vec![Instruction::WriteActions(vec![Action::Group(9)])],
            ),
        ),
        case(
            "existing group",
            vec![g1.clone()],
            a(vec![Action::Group(1)]),
        ),
        case(
            "missing meter",
            vec![],
            f(vec![], vec![Instruction::Meter(5)]),
        ),
        case("meter 0", vec![], f(vec![], vec![Instruction::Meter(0)])),
        case(
            "modify to a missing group, nothing selected",
            vec![],
            with(a(vec![Action::Group(9)]), |m| {
                m.command = FlowModCommand::Modify
            }),
        ),
        case(
            "modify to a missing group, a flow selected",
            vec![Message::FlowMod(a(vec![]))],
            with(a(vec![Action::Group(9)]), |m| {
                m.command = FlowModCommand::Modify
            }),
        ),
        // Actions against the match.
        case(
            "set vlan_vid without OFPVID_PRESENT",
            vec![],
            f(
                vec![vid(5)],
                vec![apply(vec![Action::SetField(OxmField::VlanVid(7, None))])],
            ),
        ),
        case(
            "set vlan_vid on untagged packets",
            vec![],
            a(vec![set_vid(7)]),
        ),
        case(
            "push then set vlan_vid",
            vec![],
            a(vec![Action::PushVlan(0x8100), set_vid(7)]),
        ),
        case(
            "set vlan_pcp on untagged packets",
            vec![],
            a(vec![Action::SetField(OxmField::VlanPcp(3))]),
        ),
        case(
            "pop_vlan on untagged packets",
            vec![],
            a(vec![Action::PopVlan]),
        ),
        case(
            "pop_vlan in write-actions",
            vec![],
            f(
                vec![in_port(1)],
                vec![Instruction::WriteActions(vec![Action::PopVlan])],
            ),
        ),
        case(
            "pop_vlan on tagged packets",
            vec![],
            f(vec![vid(3)], vec![apply(vec![Action::PopVlan])]),
        ),
        case(
            "three tags",
            vec![],
            f(
                vec![vid(3)],
                vec![apply(vec![
                    Action::PushVlan(0x8100),
                    Action::PushVlan(0x8100),
                ])],
            ),
        ),
        case(
            "set ipv4_dst on any packet",
            vec![],
            a(vec![Action::SetField(OxmField::Ipv4Dst(
                [1, 1, 1, 1].into(),
                None,
            ))]),
        ),
        case(
            "set ipv4_dst in write-actions",
            vec![],
            f(
                vec![],
                vec![Instruction::WriteActions(vec![Action::SetField(
                    OxmField::Ipv4Dst([1, 1, 1, 1].into(), None),
                )])],
            ),
        ),
        case(
            "set ipv4_dst on IPv4",
            vec![],
            f(
                vec![OxmField::EthType(0x800)],
                vec![apply(vec![Action::SetField(OxmField::Ipv4Dst(
                    [1, 1, 1, 1].into(),
                    None,
                ))])],
            ),
        ),
        case(
            "set tcp_dst on UDP",
            vec![],
            f(
                vec![OxmField::EthType(0x800), OxmField::IpProto(17)],
                vec![apply(vec![Action::SetField(OxmField::TcpDst(1))])],
            ),
        ),
        case("set in_port", vec![], a(vec![Action::SetField(in_port(2))])),
        case(
            "set eth_type",
            vec![],
            a(vec![Action::SetField(OxmField::EthType(0x800))]),
        ),
        case(
            "masked set-field",
            vec![],
            a(vec![Action::SetField(OxmField::EthDst(H1, Some(H1)))]),
        ),
        case(
            "push_vlan 0x0800",
            vec![],
            a(vec![Action::PushVlan(0x0800)]),
        ),
        case(
            "push 802.1ad",
            vec![],
            a(vec![Action::PushVlan(ETH_TYPE_QINQ)]),
        ),
        case("dec_ttl on any packet", vec![], a(vec![Action::DecNwTtl])),
        case(
            "dec_ttl on IPv6",
            vec![],
            f(
                vec![OxmField::EthType(0x86dd)],
                vec![apply(vec![Action::DecNwTtl])],
            ),
        ),
        case(
            "unknown experimenter action",
            vec![],
            a(vec![Action::Experimenter {
                experimenter: 0x00ab_cdef,
                data: Bytes::from_static(&[0; 8]),
            }]),
        ),
        // Instructions, flags, commands, buffers.
        case(
            "two apply-actions",
            vec![],
            f(vec![], vec![apply(vec![]), apply(vec![])]),
        ),
        case(
            "unknown instruction",
            vec![],
            f(
                vec![],
                vec![Instruction::Unknown {
                    instruction_type: 99,
                    body: Bytes::from_static(&[0; 4]),
                }],
            ),
        ),
        case(
            "unknown flag",
            vec![],
            with(f(vec![], vec![]), |m| {
                m.flags = FlowModFlags::from_bits_retain(0x40)
            }),
        ),
        case(
            "unknown command",
            vec![],
            with(f(vec![], vec![]), |m| {
                m.command = FlowModCommand::Unknown(7)
            }),
        ),
        case(
            "a buffer",
            vec![],
            with(f(vec![], vec![]), |m| m.buffer_id = 3),
        ),
        case(
            "overlap",
            vec![Message::FlowMod(f(vec![in_port(1)], vec![]))],
            with(f(vec![vid(3)], vec![]), |m| {
                m.flags = FlowModFlags::CHECK_OVERLAP
            }),
        ),
        case(
            "identical with CHECK_OVERLAP",
            vec![Message::FlowMod(f(vec![in_port(1)], vec![]))],
            with(f(vec![in_port(1)], vec![]), |m| {
                m.flags = FlowModFlags::CHECK_OVERLAP
            }),
        ),
        // Group mods.
        case("group exists", vec![g1.clone()], g1.clone()),
        case(
            "modify a missing group",
            vec![],
            group(GroupModCommand::Modify, GroupType::All, 2, vec![]),
        ),
        case(
            "delete a missing group",
            vec![],
            group(GroupModCommand::Delete, GroupType::All, 2, vec![]),
        ),
        case(
            "group id above OFPG_MAX",
            vec![],
            group_add(GroupType::All, 0xffff_ff01, vec![]),
        ),
        case(
            "indirect with two buckets",
            vec![],
            group_add(GroupType::Indirect, 2, vec![b(1), b(2)]),
        ),
        case(
            "unknown group type",
            vec![],
            group_add(GroupType::Unknown(7), 2, vec![]),
        ),
        case(
            "unknown group command",
            vec![],
            group(GroupModCommand::Unknown(9), GroupType::All, 2, vec![]),
        ),
        case(
            "delete with buckets",
            vec![],
            group(GroupModCommand::Delete, GroupType::All, 2, vec![b(1)]),
        ),
        case(
            "weight in an all group",
            vec![],
            group_add(GroupType::All, 2, vec![Bucket { weight: 2, ..b(1) }]),
        ),
        case(
            "watch in an all group",
            vec![],
            group_add(GroupType::All, 2, vec![watching(1, vec![out(1)])]),
        ),
        case(
            "fast failover without watch",
            vec![],
            group_add(GroupType::FastFailover, 2, vec![b(1)]),
        ),
        case(
            "bucket output ANY",
            vec![],
            group_add(
                GroupType::All,
                2,
                vec![Bucket::new(vec![Action::output(PortNo::ANY)])],
            ),
        ),
        case(
            "bucket to a missing group",
            vec![],
            group_add(GroupType::All, 2, vec![Bucket::new(vec![Action::Group(3)])]),
        ),
        case(
            "bucket set vlan_vid without OFPVID_PRESENT",
            vec![],
            group_add(
                GroupType::All,
                2,
                vec![Bucket::new(vec![Action::SetField(OxmField::VlanVid(
                    5, None,
                ))])],
            ),
        ),
        case(
            "delete a group another forwards to",
            vec![
                group_add(GroupType::All, 3, vec![b(1)]),
                group_add(GroupType::All, 2, vec![Bucket::new(vec![Action::Group(3)])]),
            ],
            group(GroupModCommand::Delete, GroupType::All, 3, vec![]),
        ),
        // Meter mods.
        case(
            "meter exists",
            vec![meter_add(1, vec![drop_band(5)])],
            meter_add(1, vec![drop_band(5)]),
        ),
        case(
            "modify a missing meter",
            vec![],
            meter(
                MeterModCommand::Modify,
                MeterFlags::KBPS,
                2,
                vec![drop_band(5)],
            ),
        ),
        case(
            "delete a missing meter",
            vec![],
            meter(MeterModCommand::Delete, MeterFlags::empty(), 2, vec![]),
        ),
        case("meter 0", vec![], meter_add(0, vec![drop_band(5)])),
        case(
            "meter above OFPM_MAX",
            vec![],
            meter_add(0xffff_0001, vec![drop_band(5)]),
        ),
        case(
            "kb/s and packets/s",
            vec![],
            meter(
                MeterModCommand::Add,
                MeterFlags::KBPS | MeterFlags::PKTPS,
                2,
                vec![drop_band(5)],
            ),
        ),
        case(
            "DSCP remark band",
            vec![],
            meter_add(
                2,
                vec![MeterBand::DscpRemark {
                    rate: 5,
                    burst_size: 0,
                    prec_level: 1,
                }],
            ),
        ),
        case(
            "unknown meter command",
            vec![],
            meter(MeterModCommand::Unknown(8), MeterFlags::KBPS, 2, vec![]),
        ),
        // Packet-outs.
        case(
            "packet-out from port 0xff05",
            vec![],
            po(PortNo(0xff05), vec![out(2)]),
        ),
        case(
            "packet-out from FLOOD",
            vec![],
            po(PortNo::FLOOD, vec![out(2)]),
        ),
        case(
            "packet-out from LOCAL",
            vec![],
            po(PortNo::LOCAL, vec![out(2)]),
        ),
        case(
            "bucket output TABLE",
            vec![],
            group_add(
                GroupType::All,
                2,
                vec![Bucket::new(vec![Action::output(PortNo::TABLE)])],
            ),
        ),
        case(
            "packet-out to a missing group",
            vec![],
            po(PortNo::CONTROLLER, vec![Action::Group(9)]),
        ),
        case(
            "packet-out with a buffer",
            vec![],
            Message::PacketOut(PacketOut {
                buffer_id: 5,
                ..PacketOut::new(PortNo::CONTROLLER, vec![out(2)], frame.clone())
            }),
        ),
        case(
            "packet-out pop_vlan on an untagged packet",
            vec![],
            po(PortNo(1), vec![Action::PopVlan]),
        ),
        case(
            "packet-out to TABLE",
            vec![],
            po(PortNo(1), vec![Action::output(PortNo::TABLE)]),
        ),
    ]
}

fn show(e: &Result<(), OfError>) -> String {
    match e {
        Ok(()) => "accepted".into(),
        Err(e) => e.to_string(),
    }
}

/// Everything deleted, for the next case.
fn clear() -> Vec<Message> {
    let mut del = flow(OFPTT_ALL, 0, vec![], vec![]);
    del.command = FlowModCommand::Delete;
    vec![
        Message::FlowMod(del),
        Message::GroupMod(GroupMod {
            command: GroupModCommand::Delete,
            group_type: GroupType::All,
            group_id: OFPG_ALL,
            buckets: vec![],
        }),
        Message::MeterMod(MeterMod {
            command: MeterModCommand::Delete,
            flags: MeterFlags::empty(),
            meter_id: OFPM_ALL,
            bands: vec![],
        }),
    ]
}

#[test]
fn errors_agree() {
    let mut ovs = OvsSwitch::start(4);
    let mut report = Vec::new();
    let mut differences = Vec::new();
    let cases = error_cases();
    for c in &cases {
        let mut fake = fake();
        let setup_errors = ovs.apply(&c.setup);
        assert!(
            setup_errors.is_empty(),
            "{}: OVS refused the setup: {setup_errors:?}",
            c.name
        );
        let batch = fake.apply_all(Duration::ZERO, &c.setup);
        assert!(
            batch.errors.is_empty(),
            "{}: the fake refused the setup: {:?}",
            c.name,
            batch.errors
        );
        let o = match ovs.apply(std::slice::from_ref(&c.probe)).as_slice() {
            [] => Ok(()),
            [(_, e)] => Err(e.error),
            more => panic!("{}: several errors {more:?}", c.name),
        };
        let fake_result = fake.apply(Duration::ZERO, &c.probe);
        let why = fake_result
            .as_ref()
            .err()
            .map(|r| r.reason.clone())
            .unwrap_or_default();
        let f = fake_result.map(|_| ()).map_err(|r| r.error);
        let line = format!("{:<46} OVS {:<48} fake {}", c.name, show(&o), show(&f));
        if o != f {
            differences.push(format!(
                "{line}\n    probe: {}\n    fake's reason: {why}",
                c.probe
            ));
        }
        report.push(line);
        let errs = ovs.apply(&clear());
        assert!(errs.is_empty(), "clearing OVS: {errs:?}");
    }
    eprintln!("{}", report.join("\n"));
    assert!(
        differences.is_empty(),
        "{} of {} cases disagree:\n{}",
        differences.len(),
        cases.len(),
        differences.join("\n")
    );
}

/// The flows of a switch as comparable lines: table, priority, cookie, match fields (sorted)
/// and instructions (sorted by type, as a switch keeps them).
fn flow_lines(body: MultipartReplyBody) -> Vec<String> {
    let MultipartReplyBody::Flow(stats) = body else {
        panic!("not flow stats: {body:?}")
    };
    let mut lines: Vec<String> = stats
        .iter()
        .map(|s| {
            let mut fields: Vec<String> = s.match_.iter().map(|f| f.to_string()).collect();
            fields.sort();
            let mut ins = s.instructions.clone();
            ins.sort_by_key(|i| i.instruction_type());
            let ins: Vec<String> = ins.iter().map(|i| i.to_string()).collect();
            format!(
                "table={} priority={} cookie={:#x} idle={} hard={} {} actions={}",
                s.table_id,
                s.priority,
                s.cookie,
                s.idle_timeout,
                s.hard_timeout,
                fields.join(","),
                ins.join(",")
            )
        })
        .collect();
    lines.sort();
    lines
}

#[test]
fn flow_table_changes_agree() {
    let mut ovs = OvsSwitch::start(4);
    let mut fake = fake();
    let cmd = |mut fm: FlowMod, c: FlowModCommand| {
        fm.command = c;
        fm
    };
    let cookie = |mut fm: FlowMod, cookie: u64, mask: u64| {
        fm.cookie = cookie;
        fm.cookie_mask = mask;
        fm
    };
    let mut del_port = flow(OFPTT_ALL, 0, vec![], vec![]);
    del_port.command = FlowModCommand::Delete;
    del_port.out_port = PortNo(3);
    let mut del_group = del_port.clone();
    del_group.out_port = PortNo::ANY;
    del_group.out_group = 2;
    let with_timeouts = {
        let mut f = flow(1, 7, vec![in_port(4)], vec![apply(vec![out(1)])]);
        f.idle_timeout = 30;
        f.hard_timeout = 60;
        f
    };
    let steps: Vec<(&str, Vec<Message>)> = vec![
        (
            "groups and a meter",
            vec![
                group_add(GroupType::All, 1, vec![Bucket::new(vec![out(2)])]),
                group_add(GroupType::All, 2, vec![Bucket::new(vec![out(3)])]),
                meter_add(1, vec![drop_band(10)]),
            ],
        ),
        (
            "adds",
            vec![
                cookie(
                    flow(0, 10, vec![in_port(1), vid(100)], vec![apply(vec![out(2)])]),
                    0x11,
                    0,
                ),
                cookie(
                    flow(0, 10, vec![in_port(2)], vec![apply(vec![out(3)])]),
                    0x12,
                    0,
                ),
                cookie(
                    flow(0, 20, vec![in_port(1)], vec![apply(vec![Action::Group(1)])]),
                    0x21,
                    0,
                ),
                cookie(
                    flow(
                        1,
                        10,
                        vec![vid(100)],
                        vec![
                            Instruction::Meter(1),
                            Instruction::WriteActions(vec![out(3)]),
                        ],
                    ),
                    0x31,
                    0,
                ),
                cookie(
                    flow(
                        1,
                        10,
                        vec![vid(200)],
                        vec![Instruction::WriteActions(vec![Action::Group(2)]), goto(2)],
                    ),
                    0x32,
                    0,
                ),
                with_timeouts.clone(),
            ]
            .into_iter()
            .map(Message::FlowMod)
            .collect(),
        ),
        (
            "identical add, fields in another order",
            vec![Message::FlowMod(cookie(
                flow(0, 10, vec![vid(100), in_port(1)], vec![apply(vec![out(4)])]),
                0x13,
                0xffff,
            ))],
        ),
        (
            "loose modify with a cookie mask",
            vec![Message::FlowMod(cookie(
                cmd(
                    flow(0, 0, vec![in_port(1)], vec![apply(vec![out(1)])]),
                    FlowModCommand::Modify,
                ),
                0x10,
                0xf0,
            ))],
        ),
        (
            "strict modify",
            vec![Message::FlowMod(cmd(
                flow(0, 20, vec![in_port(1)], vec![apply(vec![out(3)])]),
                FlowModCommand::ModifyStrict,
            ))],
        ),
        (
            "modify keeps the timeouts",
            vec![Message::FlowMod(cmd(
                flow(1, 7, vec![in_port(4)], vec![apply(vec![out(2)])]),
                FlowModCommand::ModifyStrict,
            ))],
        ),
        (
            "strict modify, wrong priority",
            vec![Message::FlowMod(cmd(
                flow(0, 21, vec![in_port(1)], vec![apply(vec![out(4)])]),
                FlowModCommand::ModifyStrict,
            ))],
        ),
        (
            "delete by out_port 3 in all tables",
            vec![Message::FlowMod(del_port)],
        ),
        ("delete by out_group 2", vec![Message::FlowMod(del_group)]),
        (
            "more flows",
            vec![
                cookie(
                    flow(
                        2,
                        5,
                        vec![OxmField::EthDst(H1, None)],
                        vec![apply(vec![Action::Group(1)])],
                    ),
                    0x41,
                    0,
                ),
                cookie(
                    flow(
                        2,
                        5,
                        vec![OxmField::EthDst(H2, None)],
                        vec![Instruction::Meter(1), apply(vec![out(1)])],
                    ),
                    0x42,
                    0,
                ),
                cookie(
                    flow(
                        2,
                        6,
                        vec![OxmField::EthDst(H3, None)],
                        vec![apply(vec![out(1)])],
                    ),
                    0x43,
                    0,
                ),
            ]
            .into_iter()
            .map(Message::FlowMod)
            .collect(),
        ),
        (
            "delete group 1: its flows go",
            vec![Message::GroupMod(GroupMod {
                command: GroupModCommand::Delete,
                group_type: GroupType::All,
                group_id: 1,
                buckets: vec![],
            })],
        ),
        (
            "delete meter 1: its flows go",
            vec![Message::MeterMod(MeterMod {
                command: MeterModCommand::Delete,
                flags: MeterFlags::empty(),
                meter_id: 1,
                bands: vec![],
            })],
        ),
        (
            "strict delete, wrong priority, then right",
            vec![
                cmd(
                    flow(2, 5, vec![OxmField::EthDst(H3, None)], vec![]),
                    FlowModCommand::DeleteStrict,
                ),
                cmd(
                    flow(1, 7, vec![in_port(4)], vec![]),
                    FlowModCommand::DeleteStrict,
                ),
            ]
            .into_iter()
            .map(Message::FlowMod)
            .collect(),
        ),
        (
            "loose delete of a narrower description",
            vec![Message::FlowMod(cmd(
                flow(
                    OFPTT_ALL,
                    0,
                    vec![OxmField::EthDst(H3, None), in_port(1)],
                    vec![],
                ),
                FlowModCommand::Delete,
            ))],
        ),
        (
            "loose delete by cookie in all tables",
            vec![Message::FlowMod(cookie(
                cmd(flow(OFPTT_ALL, 0, vec![], vec![]), FlowModCommand::Delete),
                0x43,
                u64::MAX,
            ))],
        ),
    ];
    let mut differences = Vec::new();
    for (name, msgs) in &steps {
        let errs = ovs.apply(msgs);
        assert!(errs.is_empty(), "{name}: OVS refused {errs:?}");
        let batch = fake.apply_all(Duration::ZERO, msgs);
        assert!(
            batch.errors.is_empty(),
            "{name}: the fake refused {:?}",
            batch.errors
        );
        let req = || MultipartRequestBody::Flow(FlowStatsRequest::default());
        let o = flow_lines(ovs.request(req()).body);
        let f = flow_lines(
            match fake
                .apply(
                    Duration::ZERO,
                    &Message::MultipartRequest(sluice_ofp::msg::multipart::MultipartRequest::new(
                        req(),
                    )),
                )
                .unwrap()
                .remove(0)
            {
                Message::MultipartReply(r) => r.body,
                other => panic!("{other}"),
            },
        );
        eprintln!("after {name}: {} flows", f.len());
        if o != f {
            differences.push(format!(
                "after {name}:\n OVS:\n  {}\n fake:\n  {}",
                o.join("\n  "),
                f.join("\n  ")
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
