//! The error cases: messages a switch refuses (or, surprisingly, accepts), each after the
//! messages that set the scene.

use bytes::Bytes;
use sluice_fakeswitch::ETH_TYPE_QINQ;
use sluice_ofp::msg::flow::{FlowMod, FlowModCommand, FlowModFlags, OFPTT_ALL};
use sluice_ofp::msg::group::{Bucket, GroupMod, GroupModCommand, GroupType};
use sluice_ofp::msg::meter::{MeterBand, MeterFlags, MeterMod, MeterModCommand};
use sluice_ofp::msg::packet::PacketOut;
use sluice_ofp::{Action, Instruction, Message, OxmField, PortNo};

use super::scenario::*;

pub struct Case {
    pub name: &'static str,
    pub setup: Vec<Message>,
    pub probe: Message,
}

pub fn case(name: &'static str, setup: Vec<Message>, probe: impl Into<Probe>) -> Case {
    Case {
        name,
        setup,
        probe: probe.into().0,
    }
}

pub struct Probe(Message);

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

pub fn error_cases() -> Vec<Case> {
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
