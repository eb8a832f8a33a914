//! Where packets go: lookup, instructions, apply-actions, the action set, outputs, packet-ins
//! and PACKET_OUT (§5.1–§5.12, §7.3.7).

use sluice_ofp::msg::error::{BadActionCode, BadRequestCode, SwitchConfigFailedCode};
use sluice_ofp::msg::packet::{PacketInReason, PacketOut};
use sluice_ofp::msg::port::PortMod;
use sluice_ofp::msg::role::AsyncConfig;
use sluice_ofp::msg::switch::{ConfigFlags, SwitchConfig};
use sluice_ofp::port::PortConfig;
use sluice_ofp::{Action, Instruction, Message, OfError, OxmField, PortNo};

use super::*;
use crate::{ETH_TYPE_QINQ, Step, VlanTag};

// §5.3: the highest priority wins; among equal-priority overlapping entries the fake picks
// the oldest and says so in the trace.
#[test]
fn lookup_priority_and_ties() {
    let mut sw = switch();
    ok(&mut sw, add(0, 5, [in_port(1)], vec![apply(vec![out(2)])]));
    ok(&mut sw, add(0, 5, [vid(10)], vec![apply(vec![out(3)])]));
    let tr = sw.trace(&l2(1, 1, 2).vlan(10));
    assert_eq!(tr.ports(), vec![PortNo(2)]);
    assert!(matches!(&tr.steps[0], Step::Table { hit: Some(h), .. } if h.ties == 1));
    ok(&mut sw, add(0, 6, [vid(10)], vec![apply(vec![out(4)])]));
    assert_eq!(sw.trace(&l2(1, 1, 2).vlan(10)).ports(), vec![PortNo(4)]);
}

// §5.4: no table-miss entry: drop. A table-miss entry to the controller: OFPR_NO_MATCH; any
// other entry: OFPR_ACTION, with its table and cookie.
#[test]
fn table_miss_and_packet_in_reasons() {
    let mut sw = switch();
    assert!(sw.trace(&l2(1, 1, 2)).is_dropped());
    ok(
        &mut sw,
        add(
            0,
            0,
            [],
            vec![apply(vec![Action::output(PortNo::CONTROLLER)])],
        )
        .cookie(0xc, 0),
    );
    ok(
        &mut sw,
        add(0, 9, [in_port(2)], vec![Instruction::GotoTable(3)]).cookie(0xa, 0),
    );
    ok(
        &mut sw,
        add(
            3,
            1,
            [],
            vec![apply(vec![Action::output(PortNo::CONTROLLER)])],
        )
        .cookie(0xb, 0),
    );
    let miss = sw.trace(&l2(1, 1, 2));
    assert_eq!(miss.packet_ins.len(), 1);
    let pin = &miss.packet_ins[0];
    assert_eq!(
        (pin.reason, pin.table_id, pin.cookie),
        (PacketInReason::NoMatch, 0, 0xc)
    );
    assert!(sw.is_output(&l2(1, 1, 2), PortNo::CONTROLLER, None));
    let act = &sw.trace(&l2(2, 1, 2)).packet_ins[0];
    assert_eq!(
        (act.reason, act.table_id, act.cookie),
        (PacketInReason::Action, 3, 0xb)
    );
    // The PACKET_IN message carries the frame and in_port.
    let m = act.to_packet_in();
    assert_eq!(m.in_port(), Some(PortNo(2)));
    assert_eq!(Packet::from_frame(2, &m.data), l2(2, 1, 2));
}

// §5.12: apply-actions run in order; an output sends the packet as it is at that point.
#[test]
fn apply_actions_in_order() {
    let mut sw = switch();
    ok(
        &mut sw,
        add(
            0,
            1,
            [in_port(1)],
            vec![apply(vec![
                out(2),
                Action::PushVlan(0x8100),
                set_vid(100),
                out(3),
                Action::SetField(OxmField::EthDst(mac(9), None)),
                Action::PushVlan(ETH_TYPE_QINQ),
                set_vid(300),
                out(4),
                Action::PopVlan,
                Action::PopVlan,
                Action::output(PortNo::IN_PORT),
            ])],
        ),
    );
    let tr = sw.trace(&l2(1, 1, 2));
    assert_eq!(tr.summary(), "2,3[100],4[300,100],1");
    let q = &tr.output_to(4)[0];
    assert_eq!(q.vlans, vec![VlanTag::dot1ad(300), VlanTag::dot1q(100)]);
    assert_eq!(q.eth_dst, mac(9));
    assert_eq!(tr.output_to(3)[0].eth_dst, mac(2));
    assert!(sw.is_output(&l2(1, 1, 2), 3, Some(100)));
    assert!(!sw.is_output(&l2(1, 1, 2), 3, None));
    assert!(sw.is_output(&l2(1, 1, 2), 2, None));
    assert!(sw.is_output_any_vlan(&l2(1, 1, 2), 4));
}

// §5.10: the action set runs in its fixed order (pop, push, set-field, group or output),
// keeps one action of each type (the last written), and clear-actions empties it.
#[test]
fn action_set_order() {
    let mut sw = switch();
    ok(
        &mut sw,
        add(
            0,
            1,
            [in_port(1), vid(10)],
            vec![
                write(vec![out(2), set_vid(7), Action::PopVlan]),
                Instruction::GotoTable(1),
            ],
        ),
    );
    ok(&mut sw, add(1, 1, [in_port(1)], vec![write(vec![out(3)])]));
    // out(3) replaced out(2); the pop ran before the set-field (in list order the outer
    // tag would have been set and then popped).
    let p = l2(1, 1, 2).vlan(10).vlan(20);
    assert_eq!(sw.trace(&p).summary(), "3[7]");
    // A group in the set wins over the output.
    ok(
        &mut sw,
        add_group(
            sluice_ofp::msg::group::GroupType::Indirect,
            1,
            vec![sluice_ofp::msg::group::Bucket::new(vec![out(4)])],
        ),
    );
    ok(
        &mut sw,
        add(1, 1, [in_port(1)], vec![write(vec![Action::Group(1)])]),
    );
    assert_eq!(sw.trace(&p).summary(), "4[7]");
    // Clear-actions.
    ok(
        &mut sw,
        add(
            1,
            1,
            [in_port(1)],
            vec![Instruction::ClearActions, write(vec![out(2)])],
        ),
    );
    assert_eq!(sw.trace(&p).summary(), "2[10,20]");
}

// Open vSwitch runs the action set also when a later table misses (§5.4 would drop).
#[test]
fn action_set_runs_after_a_later_miss() {
    let mut sw = switch();
    ok(
        &mut sw,
        add(
            0,
            1,
            [],
            vec![write(vec![out(2)]), Instruction::GotoTable(1)],
        ),
    );
    assert_eq!(sw.trace(&l2(1, 1, 2)).summary(), "2");
}

// §5.9: instructions run meter, apply, clear, write, write-metadata, goto whatever their
// order in the message; metadata carries to the next table.
#[test]
fn instruction_order_goto_and_metadata() {
    let mut sw = switch();
    ok(
        &mut sw,
        add(
            0,
            1,
            [in_port(1)],
            vec![
                Instruction::GotoTable(2),
                Instruction::WriteMetadata {
                    metadata: 0xab00,
                    mask: 0xff00,
                },
                write(vec![out(3)]),
                apply(vec![out(2)]),
            ],
        ),
    );
    ok(
        &mut sw,
        add(
            2,
            1,
            [OxmField::Metadata(0xab00, Some(0xff00))],
            vec![apply(vec![out(4)])],
        ),
    );
    let tr = sw.trace(&l2(1, 1, 2).with_metadata(0x12));
    assert_eq!(tr.summary(), "2,4,3");
    let tables: Vec<u8> = tr
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Table { table_id, .. } => Some(*table_id),
            _ => None,
        })
        .collect();
    assert_eq!(tables, vec![0, 2]);
}

// Outputs: the input port is skipped unless IN_PORT; ALL and FLOOD skip the input port and
// ports with OFPPC_NO_FWD; a missing port drops.
#[test]
fn output_ports() {
    let mut sw = switch().with_strictness(crate::Strictness::Ovs);
    ok(
        &mut sw,
        add(
            0,
            1,
            [in_port(1)],
            vec![apply(vec![out(1), out(9), Action::output(PortNo::ALL)])],
        ),
    );
    ok(
        &mut sw,
        add(
            0,
            1,
            [in_port(2)],
            vec![apply(vec![Action::output(PortNo::FLOOD)])],
        ),
    );
    assert_eq!(sw.trace(&l2(1, 1, 2)).summary(), "2,3,4");
    let pm = PortMod {
        port_no: PortNo(3),
        hw_addr: sw.port(3).unwrap().hw_addr,
        config: PortConfig::NO_FWD,
        mask: PortConfig::NO_FWD,
        advertise: Default::default(),
    };
    let status = ok(&mut sw, Message::PortMod(pm));
    assert!(matches!(status.as_slice(), [Message::PortStatus(_)]));
    assert_eq!(sw.trace(&l2(2, 1, 2)).summary(), "1,4");
    // A switch without configured ports takes any port as existing.
    let mut bare = FakeSwitch::new(1);
    ok(
        &mut bare,
        add(
            0,
            1,
            [],
            vec![apply(vec![out(9), Action::output(PortNo::ALL)])],
        ),
    );
    assert_eq!(bare.trace(&l2(1, 1, 2)).summary(), "9,ALL");
}

#[test]
fn port_config_no_recv_and_no_packet_in() {
    let mut sw = switch();
    ok(
        &mut sw,
        add(
            0,
            1,
            [],
            vec![apply(vec![out(2), Action::output(PortNo::CONTROLLER)])],
        ),
    );
    let set = |sw: &mut FakeSwitch, port: u32, c: PortConfig| {
        let pm = PortMod {
            port_no: PortNo(port),
            hw_addr: sw.port(port).unwrap().hw_addr,
            config: c,
            mask: c,
            advertise: Default::default(),
        };
        ok(sw, Message::PortMod(pm));
    };
    set(&mut sw, 1, PortConfig::NO_PACKET_IN);
    assert_eq!(sw.trace(&l2(1, 1, 2)).summary(), "2");
    set(&mut sw, 3, PortConfig::NO_RECV);
    assert!(sw.trace(&l2(3, 1, 2)).is_dropped());
    assert_eq!(sw.trace(&l2(4, 1, 2)).summary(), "2,CONTROLLER");
}

#[test]
fn dec_ttl() {
    let mut sw = switch();
    ok(
        &mut sw,
        add(
            0,
            1,
            [OxmField::EthType(0x0800)],
            vec![apply(vec![Action::DecNwTtl, out(2)])],
        ),
    );
    let tr = sw.trace(&l2(1, 1, 2).ttl(9));
    assert_eq!(tr.output_to(2)[0].ip_ttl, 8);
    // At TTL 1 the packet is dropped; the controller hears of it only if it asked (SET_ASYNC;
    // in OpenFlow 1.3 SET_CONFIG has no invalid-TTL flag any more).
    assert!(sw.trace(&l2(1, 1, 2).ttl(1)).is_dropped());
    assert_eq!(
        refused(
            &mut sw,
            Message::SetConfig(SwitchConfig {
                flags: ConfigFlags::from_bits_retain(1 << 2),
                miss_send_len: 128,
            })
        ),
        OfError::SwitchConfigFailed(SwitchConfigFailedCode::BadFlags)
    );
    ok(
        &mut sw,
        Message::SetAsync(AsyncConfig {
            packet_in_mask: [0b111, 0],
            port_status_mask: [0b111, 0b111],
            flow_removed_mask: [0b1111, 0],
        }),
    );
    let tr = sw.trace(&l2(1, 1, 2).ttl(1));
    assert_eq!(tr.packet_ins[0].reason, PacketInReason::InvalidTtl);
    assert!(tr.outputs.is_empty());
}

// §7.3.7: a PACKET_OUT runs its actions on the packet from `in_port`; output to TABLE sends
// it through the pipeline.
#[test]
fn packet_out() {
    let mut sw = switch();
    ok(&mut sw, add(0, 1, [in_port(1)], vec![apply(vec![out(3)])]));
    ok(
        &mut sw,
        add(
            0,
            0,
            [],
            vec![apply(vec![Action::output(PortNo::CONTROLLER)])],
        ),
    );
    let frame = bytes::Bytes::from(l2(1, 1, 2).to_frame());
    let po = |in_port: PortNo, actions: Vec<Action>| {
        Message::PacketOut(PacketOut::new(in_port, actions, frame.clone()))
    };
    ok(
        &mut sw,
        po(
            PortNo::CONTROLLER,
            vec![Action::PushVlan(0x8100), set_vid(5), out(2)],
        ),
    );
    ok(&mut sw, po(PortNo(1), vec![Action::output(PortNo::TABLE)]));
    let pins = ok(&mut sw, po(PortNo(2), vec![Action::output(PortNo::TABLE)]));
    assert!(matches!(pins.as_slice(), [Message::PacketIn(p)] if p.in_port() == Some(PortNo(2))));
    let outs: Vec<String> = sw.take_packet_outs().iter().map(|t| t.summary()).collect();
    assert_eq!(outs, vec!["2[5]", "3", "CONTROLLER"]);
    assert_eq!(
        refused(&mut sw, po(PortNo::FLOOD, vec![])),
        OfError::BadRequest(BadRequestCode::BadPort)
    );
    assert_eq!(
        refused(&mut sw, po(PortNo(0xff05), vec![])),
        OfError::BadAction(BadActionCode::BadOutPort)
    );
    assert_eq!(
        refused(&mut sw, po(PortNo(1), vec![Action::Group(4)])),
        OfError::BadAction(BadActionCode::BadOutGroup)
    );
    assert_eq!(
        refused(&mut sw, po(PortNo(1), vec![Action::PopVlan])),
        OfError::BadAction(BadActionCode::MatchInconsistent),
        "the packet has no tag"
    );
}

// receive() counts packets on flows and refreshes idle timeouts; trace() changes nothing.
#[test]
fn receive_counts_trace_does_not() {
    let mut sw = switch();
    ok(&mut sw, add(0, 1, [], vec![apply(vec![out(2)])]));
    let before = sw.clone();
    let _ = sw.trace(&l2(1, 1, 2));
    assert_eq!(sw.flows().next(), before.flows().next());
    sw.receive(t(3), &l2(1, 1, 2));
    let e = sw.flows().next().unwrap();
    assert_eq!((e.packet_count, e.byte_count, e.last_used), (1, 60, t(3)));
}

// Open vSwitch's `vlan-limit` (1 by default): the pipeline sees only the outer tag of a
// double-tagged frame, and the inner tag's TPID as its ethertype; a pop leaves it untagged
// for later matches while the inner tag stays in the frame that leaves.
#[test]
fn vlan_limit_hides_inner_tags_from_the_pipeline() {
    let pipeline = |sw: &mut FakeSwitch| {
        // Table 0: IPv4 to port 2; other frames on VLAN 100 lose the tag, then table 1.
        ok(
            sw,
            add(0, 9, [OxmField::EthType(0x0800)], vec![apply(vec![out(2)])]),
        );
        ok(
            sw,
            add(
                0,
                5,
                [vid(100)],
                vec![apply(vec![Action::PopVlan]), Instruction::GotoTable(1)],
            ),
        );
        // Table 1: still tagged (VLAN 200) to port 3, untagged to port 4.
        ok(sw, add(1, 5, [vid(200)], vec![apply(vec![out(3)])]));
        ok(
            sw,
            add(
                1,
                5,
                [OxmField::VlanVid(sluice_ofp::oxm::OFPVID_NONE, None)],
                vec![apply(vec![out(4)])],
            ),
        );
    };
    let qinq = l2(1, 1, 2)
        .vlan(100)
        .vlan(200)
        .ipv4([10, 0, 0, 1].into(), [10, 0, 0, 2].into())
        .udp(1, 2);

    // Every tag parsed (the specification): an IPv4 packet.
    let mut spec = switch();
    pipeline(&mut spec);
    assert_eq!(spec.vlan_limit(), None);
    assert_eq!(spec.trace(&qinq).ports(), vec![PortNo(2)]);

    // One tag parsed (OVS): not IPv4 (its ethertype is 0x8100); after the pop, untagged.
    let mut ovs = switch().with_vlan_limit(1);
    pipeline(&mut ovs);
    let tr = ovs.trace(&qinq);
    assert_eq!(tr.ports(), vec![PortNo(4)]);
    // What leaves is the frame with the inner tag still in it, read back in full.
    let mut left = qinq.clone();
    left.vlans.remove(0);
    assert_eq!(tr.outputs[0].packet, left);
    // The trace says what the pipeline saw.
    assert!(
        tr.steps
            .iter()
            .any(|s| matches!(s, Step::Note(n) if n.contains("vlan-limit 1"))),
        "{tr}"
    );
    // Frames within the limit are untouched.
    let single = l2(1, 1, 2)
        .vlan(100)
        .ipv4([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
    assert_eq!(ovs.trace(&single).ports(), vec![PortNo(2)]);
}

// The parser with a limit: the next tag becomes the ethertype and the rest payload, and
// the same bytes come back out.
#[test]
fn frames_read_with_a_vlan_limit_round_trip() {
    let qinq = l2(1, 1, 2)
        .tag(VlanTag::dot1ad(300))
        .vlan(100)
        .ipv4([10, 0, 0, 1].into(), [10, 0, 0, 2].into())
        .tcp(1, 2);
    let frame = qinq.to_frame();
    let seen = Packet::from_frame_with_vlan_limit(1, &frame, 1);
    assert_eq!(seen.vlans, vec![VlanTag::dot1ad(300)]);
    assert_eq!(seen.eth_type, 0x8100);
    assert_eq!(seen.field(sluice_ofp::OxmKind::Ipv4Src), None);
    assert_eq!(seen.to_frame(), frame);
    assert_eq!(Packet::from_frame_with_vlan_limit(1, &frame, 2), qinq);
    assert_eq!(Packet::from_frame(1, &frame), qinq);
}
