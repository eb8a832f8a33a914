//! The scene of the agreement tests: message builders, a FAUCET-like pipeline and the
//! packets traced through it.

use std::net::Ipv4Addr;

use bytes::Bytes;
use sluice_fakeswitch::{ETH_TYPE_QINQ, FakeSwitch, Packet, Strictness, VlanTag};
use sluice_ofp::msg::flow::FlowMod;
use sluice_ofp::msg::group::{Bucket, GroupMod, GroupModCommand, GroupType};
use sluice_ofp::msg::meter::{MeterBand, MeterFlags, MeterMod, MeterModCommand};
use sluice_ofp::oxm::OFPVID_NONE;
use sluice_ofp::port::{PortConfig, PortState};
use sluice_ofp::{Action, Instruction, Match, Message, OxmField, PortNo};
use sluice_wire::MacAddr;

pub const H1: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x01]);
pub const H2: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x02]);
pub const H3: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x03]);
pub const H4: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x04]);
pub const H6: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0x06]);
pub const ROUTER: MacAddr = MacAddr([0x0e, 0, 0, 0, 0, 0xfe]);
pub const BCAST: MacAddr = MacAddr::BROADCAST;

/// The fake counterpart of the bridge: ports 1 to 4, and the bridge's own LOCAL port, which
/// OVS creates administratively down (ALL and FLOOD still send to it); like the bridge, it
/// parses one VLAN tag (OVS's default `vlan-limit`).
pub fn fake() -> FakeSwitch {
    let mut sw = FakeSwitch::new(0x5adc_0000_0000_0001)
        .with_ports(1..=4)
        .with_strictness(Strictness::Ovs)
        .with_vlan_limit(1);
    let mut local = FakeSwitch::default_port(PortNo::LOCAL.0);
    local.config = PortConfig::PORT_DOWN;
    local.state = PortState::LINK_DOWN;
    sw.add_port(local);
    sw
}

pub fn vid(v: u16) -> OxmField {
    OxmField::VlanVid(0x1000 | v, None)
}

pub fn set_vid(v: u16) -> Action {
    Action::SetField(OxmField::VlanVid(0x1000 | v, None))
}

pub fn out(p: u32) -> Action {
    Action::output(p)
}

pub fn in_port(p: u32) -> OxmField {
    OxmField::InPort(PortNo(p))
}

pub fn flow(
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

pub fn apply(a: Vec<Action>) -> Instruction {
    Instruction::ApplyActions(a)
}

pub fn goto(t: u8) -> Instruction {
    Instruction::GotoTable(t)
}

pub fn group_add(group_type: GroupType, group_id: u32, buckets: Vec<Bucket>) -> Message {
    Message::GroupMod(GroupMod {
        command: GroupModCommand::Add,
        group_type,
        group_id,
        buckets,
    })
}

pub fn meter_add(meter_id: u32, bands: Vec<MeterBand>) -> Message {
    Message::MeterMod(MeterMod {
        command: MeterModCommand::Add,
        flags: MeterFlags::KBPS,
        meter_id,
        bands,
    })
}

pub fn drop_band(rate: u32) -> MeterBand {
    MeterBand::Drop {
        rate,
        burst_size: 0,
    }
}

pub fn watching(port: u32, actions: Vec<Action>) -> Bucket {
    Bucket {
        watch_port: PortNo(port),
        ..Bucket::new(actions)
    }
}

/// A FAUCET-like pipeline. Ports 1 and 2 are untagged in VLAN 100, port 4 untagged in VLAN
/// 200, port 3 tagged in both. Tables: 0 VLAN, 1 source learning (and a route), 2
/// destination, 3 flood.
pub fn pipeline() -> Vec<Message> {
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
        // Table 0: VLANs; and two test ethertypes flooded by the reserved ports.
        flow(
            0,
            9600,
            vec![OxmField::EthType(0x88b5)],
            vec![apply(vec![Action::output(PortNo::ALL)])],
        ),
        flow(
            0,
            9600,
            vec![OxmField::EthType(0x88b6)],
            vec![apply(vec![
                Action::output(PortNo::FLOOD),
                Action::output(PortNo::IN_PORT),
            ])],
        ),
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

pub fn ip(src: MacAddr, dst: MacAddr, port: u32) -> Packet {
    Packet::new(port)
        .eth(src, dst)
        .ipv4([10, 0, 0, src.0[5]].into(), [10, 0, 0, dst.0[5]].into())
        .udp(40000, 53)
}

pub fn packets() -> Vec<(&'static str, Packet)> {
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
            "output:ALL from port 2",
            Packet::new(2).eth(H2, BCAST).eth_type(0x88b5),
        ),
        (
            "output:FLOOD and IN_PORT from port 3",
            Packet::new(3).eth(H3, BCAST).eth_type(0x88b6),
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
        // OVS parses one tag (vlan-limit 1): behind two, no IPv4 to route.
        (
            "double-tagged 100/200 to the router from port 3",
            Packet::new(3)
                .eth(H3, ROUTER)
                .vlan(100)
                .vlan(200)
                .ipv4([10, 0, 0, 3].into(), [10, 0, 200, 4].into())
                .udp(40000, 53),
        ),
    ]
}

/// PACKET_OUTs: the packet (its `in_port` is the packet-out's), the actions, and the same
/// actions in `ovs-ofctl` syntax.
pub fn packet_outs() -> Vec<(&'static str, Packet, Vec<Action>, &'static str)> {
    vec![
        (
            "packet-out to port 2",
            ip(H1, H2, 0).in_port(PortNo::CONTROLLER),
            vec![out(2)],
            "output:2",
        ),
        (
            "packet-out tagged to port 3 and the VLAN 100 flood group",
            ip(H1, BCAST, 0).in_port(PortNo::CONTROLLER),
            vec![
                Action::PushVlan(0x8100),
                set_vid(100),
                out(3),
                Action::Group(100),
            ],
            "push_vlan:0x8100,set_field:4196->vlan_vid,output:3,group:100",
        ),
        (
            "packet-out through the pipeline from port 1",
            ip(H1, H3, 1),
            vec![Action::output(PortNo::TABLE)],
            "output:TABLE",
        ),
        (
            "packet-out through the pipeline from port 4",
            ip(H4, H3, 4),
            vec![Action::output(PortNo::TABLE)],
            "output:TABLE",
        ),
        (
            "packet-out back out of its in_port",
            ip(H1, H2, 2),
            vec![out(2), Action::output(PortNo::IN_PORT)],
            "output:2,IN_PORT",
        ),
        (
            "packet-out to the controller",
            ip(H1, H2, 0).in_port(PortNo::CONTROLLER),
            vec![Action::output(PortNo::CONTROLLER)],
            "CONTROLLER:65535",
        ),
    ]
}
