//! FLOW_MOD: OpenFlow 1.3.5 §6.4, rule by rule, and the errors a switch answers with.

use sluice_ofp::msg::error::{
    BadActionCode, BadInstructionCode, BadMatchCode, BadRequestCode, FlowModFailedCode,
    MeterModFailedCode,
};
use sluice_ofp::msg::flow::{FlowModCommand, FlowModFlags, FlowRemovedReason, OFPTT_ALL};
use sluice_ofp::msg::group::{Bucket, GroupType};
use sluice_ofp::msg::meter::MeterModCommand;
use sluice_ofp::oxm::RawOxm;
use sluice_ofp::{Action, Instruction, Message, OfError, OxmField, PortNo};

use super::*;
use crate::{DUP_INSTRUCTION, Strictness};

fn removed(msgs: &[Message]) -> Vec<(u64, FlowRemovedReason)> {
    msgs.iter()
        .filter_map(|m| match m {
            Message::FlowRemoved(r) => Some((r.cookie, r.reason)),
            _ => None,
        })
        .collect()
}

// Test description: Input: ADD of a flow. Output: packets matching it follow it, others miss.
#[test]
fn add_installs_a_flow() {
    let mut sw = switch();
    ok(&mut sw, add(0, 10, [in_port(1)], vec![apply(vec![out(2)])]));
    assert_eq!(sw.flow_count(), 1);
    assert!(sw.is_output(&l2(1, 1, 2), 2, None));
    assert!(sw.trace(&l2(3, 1, 2)).is_dropped());
}

// §6.4: "If a flow entry with identical match fields and priority already resides in the
// requested table, then that entry, including its duration, must be cleared from the table,
// and the new flow entry added." Field order and all-ones masks do not make a match different.
#[test]
fn add_replaces_an_identical_flow() {
    let mut sw = switch();
    ok(
        &mut sw,
        add(0, 10, [in_port(1), vid(100)], vec![apply(vec![out(2)])]).cookie(1, 0),
    );
    let mut sw2 = sw.clone();
    let same = add(
        0,
        10,
        [OxmField::VlanVid(0x1064, Some(0x1fff)), in_port(1)],
        vec![apply(vec![out(3)])],
    )
    .cookie(2, 0);
    sw.receive(t(1), &l2(1, 1, 2).vlan(100));
    sw.apply(t(5), &same.clone().msg()).unwrap();
    assert_eq!(sw.flow_count(), 1);
    let e = sw.flows().next().unwrap();
    assert_eq!(e.cookie, 2);
    assert_eq!(e.installed, t(5), "the duration restarts");
    // Open vSwitch keeps the counters unless RESET_COUNTS.
    assert_eq!(e.packet_count, 1);
    assert!(sw.is_output(&l2(1, 1, 2).vlan(100), 3, Some(100)));
    sw2.receive(t(1), &l2(1, 1, 2).vlan(100));
    sw2.apply(t(5), &same.flags(FlowModFlags::RESET_COUNTS).msg())
        .unwrap();
    assert_eq!(sw2.flows().next().unwrap().packet_count, 0);
}

#[test]
fn different_priorities_coexist_and_the_highest_wins() {
    let mut sw = switch();
    ok(&mut sw, add(0, 10, [in_port(1)], vec![apply(vec![out(2)])]));
    ok(&mut sw, add(0, 20, [in_port(1)], vec![apply(vec![out(3)])]));
    ok(&mut sw, add(0, 5, [], vec![apply(vec![out(4)])]));
    assert_eq!(sw.flow_count(), 3);
    assert_eq!(sw.trace(&l2(1, 1, 2)).ports(), vec![PortNo(3)]);
    assert_eq!(sw.trace(&l2(2, 1, 2)).ports(), vec![PortNo(4)]);
}

// §6.4: "If the OFPFF_CHECK_OVERLAP flag is set, the switch must first check for any
// overlapping flow entries in the requested table. Two flow entries overlap if a single packet
// may match both, and both entries have the same priority."
#[test]
fn check_overlap() {
    let mut sw = switch();
    ok(&mut sw, add(0, 10, [in_port(1)], vec![]));
    let overlapping = add(0, 10, [vid(5)], vec![]).flags(FlowModFlags::CHECK_OVERLAP);
    assert_eq!(
        refused(&mut sw, overlapping.clone()),
        OfError::FlowModFailed(FlowModFailedCode::Overlap)
    );
    // Another priority, or a disjoint match, does not overlap.
    ok(
        &mut sw,
        add(0, 11, [vid(5)], vec![]).flags(FlowModFlags::CHECK_OVERLAP),
    );
    ok(
        &mut sw,
        add(0, 10, [in_port(2), vid(5)], vec![]).flags(FlowModFlags::CHECK_OVERLAP),
    );
    // Without the flag, overlapping entries are fine.
    ok(&mut sw, add(0, 10, [vid(5)], vec![]));
    // An identical entry is replaced, not reported (Open vSwitch).
    ok(
        &mut sw,
        add(0, 10, [in_port(1)], vec![]).flags(FlowModFlags::CHECK_OVERLAP),
    );
    assert_eq!(sw.flow_count(), 4);
}

// §6.4 modify: "...the instructions field of all matching flows is replaced..."; cookie,
// timeouts, flags and counters stay. "If no flow entry currently residing in the requested
// table matches the request, no error is recorded, and no flow table modification occurs."
#[test]
fn modify_loose_and_strict() {
    let mut sw = switch();
    ok(
        &mut sw,
        add(0, 10, [in_port(1), vid(100)], vec![apply(vec![out(2)])])
            .cookie(7, 0)
            .timeouts(0, 100),
    );
    ok(
        &mut sw,
        add(0, 20, [in_port(1), vid(200)], vec![apply(vec![out(2)])]),
    );
    ok(&mut sw, add(0, 30, [in_port(2)], vec![apply(vec![out(1)])]));
    // Loose: every flow at least as specific as in_port=1, whatever its priority.
    ok(
        &mut sw,
        add(0, 0, [in_port(1)], vec![apply(vec![out(3)])])
            .command(FlowModCommand::Modify)
            .cookie(99, 0),
    );
    assert!(sw.is_output(&l2(1, 1, 2).vlan(100), 3, Some(100)));
    assert!(sw.is_output(&l2(1, 1, 2).vlan(200), 3, Some(200)));
    assert!(
        sw.is_output(&l2(2, 1, 3), 1, None),
        "in_port=2 is not selected"
    );
    let e = sw.flows().find(|e| e.priority == 10).unwrap();
    assert_eq!((e.cookie, e.hard_timeout), (7, 100));
    // Strict: only the identical match at the same priority.
    ok(
        &mut sw,
        add(0, 20, [vid(200), in_port(1)], vec![apply(vec![out(4)])])
            .command(FlowModCommand::ModifyStrict),
    );
    assert!(sw.is_output(&l2(1, 1, 2).vlan(200), 4, Some(200)));
    assert!(sw.is_output(&l2(1, 1, 2).vlan(100), 3, Some(100)));
    // Nothing selected: nothing added.
    ok(
        &mut sw,
        add(0, 1, [in_port(4)], vec![apply(vec![out(1)])]).command(FlowModCommand::Modify),
    );
    assert_eq!(sw.flow_count(), 3);
}

#[test]
fn modify_and_delete_filter_on_cookie_under_mask() {
    let mut sw = switch();
    for (p, cookie) in [(1, 0x1_0001), (2, 0x1_0002), (3, 0x2_0001)] {
        ok(
            &mut sw,
            add(0, 10, [in_port(p)], vec![apply(vec![out(4)])]).cookie(cookie, 0),
        );
    }
    ok(
        &mut sw,
        add(0, 0, [], vec![apply(vec![out(1)])])
            .command(FlowModCommand::Modify)
            .cookie(0x1_0000, 0xffff_0000),
    );
    assert!(sw.is_output(&l2(2, 1, 2), 1, None));
    assert!(sw.is_output(&l2(3, 1, 2), 4, None));
    ok(&mut sw, delete(OFPTT_ALL, []).cookie(0x0001, 0xffff));
    let left: Vec<u64> = sw.flows().map(|e| e.cookie).collect();
    assert_eq!(left, vec![0x1_0002]);
}

// §6.4 delete: loose deletes remove every flow that "matches or is more specific than" the
// description, in one table or all (OFPTT_ALL), filtered by out_port and out_group.
#[test]
fn delete_loose_strict_and_filters() {
    let mut sw = switch();
    ok(
        &mut sw,
        add_group(GroupType::All, 1, vec![Bucket::new(vec![out(3)])]),
    );
    ok(
        &mut sw,
        add(0, 10, [in_port(1), vid(100)], vec![apply(vec![out(2)])]),
    );
    ok(&mut sw, add(0, 20, [in_port(1)], vec![apply(vec![out(3)])]));
    ok(
        &mut sw,
        add(1, 10, [in_port(1)], vec![write(vec![Action::Group(1)])]),
    );
    ok(&mut sw, add(1, 10, [in_port(2)], vec![apply(vec![out(2)])]));
    // Strict: priority and match must be identical.
    ok(
        &mut sw,
        add(0, 10, [in_port(1)], vec![]).command(FlowModCommand::DeleteStrict),
    );
    assert_eq!(sw.flow_count(), 4);
    // out_port: only flows that output to port 2 (in table 0).
    let mut d = delete(0, [in_port(1)]);
    d.out_port = PortNo(2);
    ok(&mut sw, d);
    assert_eq!(sw.flow_count(), 3);
    // out_group in every table.
    let mut d = delete(OFPTT_ALL, []);
    d.out_group = 1;
    ok(&mut sw, d);
    assert_eq!(sw.flow_count(), 2);
    // A loose delete does not take flows less specific than the description.
    ok(&mut sw, delete(OFPTT_ALL, [in_port(2), vid(7)]));
    assert_eq!(sw.flow_count(), 2);
    ok(&mut sw, delete(OFPTT_ALL, []));
    assert_eq!(sw.flow_count(), 0);
}

// §6.4: "If the OFPFF_SEND_FLOW_REM flag is set, the switch must send a flow removed message"
// when a delete removes the entry, and not when an ADD replaces it.
#[test]
fn send_flow_rem() {
    let mut sw = switch();
    let f = add(0, 10, [in_port(1)], vec![]).flags(FlowModFlags::SEND_FLOW_REM);
    ok(&mut sw, f.clone().cookie(1, 0));
    assert!(removed(&ok(&mut sw, f.clone().cookie(2, 0))).is_empty());
    ok(&mut sw, add(0, 10, [in_port(2)], vec![]).cookie(3, 0));
    let msgs = ok(&mut sw, delete(0, []));
    assert_eq!(removed(&msgs), vec![(2, FlowRemovedReason::Delete)]);
}

// §5.5: hard timeout counts from installation, idle timeout from the last packet.
#[test]
fn timeouts() {
    let mut sw = switch();
    let hard = add(0, 10, [in_port(1)], vec![apply(vec![out(2)])])
        .timeouts(0, 10)
        .flags(FlowModFlags::SEND_FLOW_REM)
        .cookie(1, 0);
    let idle = add(0, 10, [in_port(2)], vec![apply(vec![out(1)])])
        .timeouts(5, 0)
        .flags(FlowModFlags::SEND_FLOW_REM)
        .cookie(2, 0);
    let quiet = add(0, 10, [in_port(3)], vec![]).timeouts(5, 0);
    for f in [hard, idle, quiet] {
        sw.apply(t(0), &f.msg()).unwrap();
    }
    // Traffic keeps the idle flow alive, not the hard one.
    sw.receive(t(4), &l2(2, 1, 2));
    sw.receive(t(8), &l2(2, 1, 2));
    assert!(removed(&sw.expire(t(9))).is_empty());
    // The quiet flow went at 5 s without a message (no SEND_FLOW_REM).
    assert_eq!(sw.flow_count(), 2);
    assert_eq!(
        removed(&sw.expire(t(10))),
        vec![(1, FlowRemovedReason::HardTimeout)]
    );
    assert!(!sw.is_output(&l2(1, 1, 2), 2, None));
    // The idle flow goes 5 s after its last packet; apply() also expires.
    let replies = sw.apply(t(13), &Message::BarrierRequest).unwrap();
    assert_eq!(removed(&replies), vec![(2, FlowRemovedReason::IdleTimeout)]);
    assert_eq!(replies.last(), Some(&Message::BarrierReply));
    assert_eq!(sw.flow_count(), 0);
}

// A refused FLOW_MOD names the rule it broke; the table is unchanged.
#[test]
fn errors_of_tables_and_goto() {
    let mut sw = switch();
    // §7.3.4.1: OFPTT_ALL only in deletes.
    assert_eq!(
        refused(&mut sw, add(OFPTT_ALL, 1, [], vec![])),
        OfError::FlowModFailed(FlowModFailedCode::BadTableId)
    );
    // A table beyond the last: Open vSwitch's OFPBRC_BAD_TABLE_ID.
    let mut small = FakeSwitch::new(1).with_tables(4);
    assert_eq!(
        refused(&mut small, add(4, 1, [], vec![])),
        OfError::BadRequest(BadRequestCode::BadTableId)
    );
    // §5.1: goto_table only goes forward, to an existing table.
    for (table, goto) in [(2, 2), (2, 1), (0, 4)] {
        assert_eq!(
            refused(
                &mut small,
                add(table, 1, [], vec![Instruction::GotoTable(goto)])
            ),
            OfError::BadInstruction(BadInstructionCode::BadTableId),
            "goto {goto} from {table}"
        );
    }
    ok(&mut small, add(2, 1, [], vec![Instruction::GotoTable(3)]));
}

#[test]
fn errors_of_matches() {
    let mut sw = switch();
    let m = |fields: Vec<OxmField>| add(0, 1, fields, vec![]);
    // §7.2.3.8: prerequisites first.
    assert_eq!(
        refused(&mut sw, m(vec![OxmField::TcpDst(22)])),
        OfError::BadMatch(BadMatchCode::BadPrereq)
    );
    assert_eq!(
        refused(&mut sw, m(vec![in_port(1), in_port(2)])),
        OfError::BadMatch(BadMatchCode::DupField)
    );
    assert_eq!(
        refused(&mut sw, m(vec![OxmField::VlanVid(0x1064, Some(0x0fff))])),
        OfError::BadMatch(BadMatchCode::BadWildcards)
    );
    assert_eq!(
        refused(&mut sw, m(vec![OxmField::VlanVid(0x3000, None)])),
        OfError::BadMatch(BadMatchCode::BadValue)
    );
    let raw = OxmField::Other(RawOxm {
        class: 0x0001,
        field: 1,
        has_mask: false,
        payload: bytes::Bytes::from_static(&[0, 0, 0, 1]),
    });
    assert_eq!(
        refused(&mut sw, m(vec![raw])),
        OfError::BadMatch(BadMatchCode::BadField)
    );
}

#[test]
fn errors_of_ports_groups_and_meters() {
    let mut sw = switch();
    let f = |a: Vec<Action>| add(0, 1, [in_port(1)], vec![apply(a)]);
    // §6.4: a port the switch does not have (Strictness::Spec, ports configured).
    assert_eq!(
        refused(&mut sw, f(vec![out(9)])),
        OfError::BadAction(BadActionCode::BadOutPort)
    );
    for port in [PortNo::ANY, PortNo::TABLE, PortNo(0xff00)] {
        assert_eq!(
            refused(&mut sw, f(vec![Action::output(port)])),
            OfError::BadAction(BadActionCode::BadOutPort),
            "output:{port}"
        );
    }
    for port in [
        PortNo::IN_PORT,
        PortNo::ALL,
        PortNo::FLOOD,
        PortNo::CONTROLLER,
        PortNo::LOCAL,
    ] {
        ok(&mut sw, f(vec![Action::output(port)]));
    }
    // Open vSwitch takes any port number below 0xff00.
    let mut ovs = switch().with_strictness(Strictness::Ovs);
    ok(&mut ovs, f(vec![out(9)]));
    assert!(
        ovs.trace(&l2(1, 1, 2)).is_dropped(),
        "port 9 does not exist"
    );
    // Groups and meters must exist.
    assert_eq!(
        refused(&mut sw, f(vec![Action::Group(5)])),
        OfError::BadAction(BadActionCode::BadOutGroup)
    );
    assert_eq!(
        refused(&mut sw, add(0, 1, [], vec![write(vec![Action::Group(5)])])),
        OfError::BadAction(BadActionCode::BadOutGroup)
    );
    for id in [3, 0] {
        assert_eq!(
            refused(&mut sw, add(0, 1, [], vec![Instruction::Meter(id)])),
            OfError::MeterModFailed(MeterModFailedCode::InvalidMeter)
        );
    }
    ok(&mut sw, meter(MeterModCommand::Add, 3, 1000));
    ok(&mut sw, add(0, 1, [], vec![Instruction::Meter(3)]));
    // Open vSwitch checks a MODIFY's groups only when it modifies something.
    ok(
        &mut sw,
        add(0, 1, [in_port(4)], vec![apply(vec![Action::Group(5)])])
            .command(FlowModCommand::Modify),
    );
}

// §7.2.3.8 and Open vSwitch's action checks: what a set-field, push and pop may do on the
// packets the match admits.
#[test]
fn errors_of_actions_against_the_match() {
    let mut sw = switch();
    let inconsistent = OfError::BadAction(BadActionCode::MatchInconsistent);
    // vlan_vid needs OFPVID_PRESENT in the value.
    assert_eq!(
        refused(
            &mut sw,
            add(
                0,
                1,
                [vid(5)],
                vec![apply(vec![Action::SetField(OxmField::VlanVid(7, None))])]
            )
        ),
        OfError::BadAction(BadActionCode::BadSetArgument)
    );
    // ...and a tag on the packet: from the match or a push.
    assert_eq!(
        refused(
            &mut sw,
            add(0, 1, [in_port(1)], vec![apply(vec![set_vid(7)])])
        ),
        inconsistent
    );
    ok(
        &mut sw,
        add(
            0,
            1,
            [in_port(1)],
            vec![apply(vec![Action::PushVlan(0x8100), set_vid(7)])],
        ),
    );
    ok(&mut sw, add(0, 1, [vid(5)], vec![apply(vec![set_vid(7)])]));
    // pop_vlan needs a tag in apply-actions; in write-actions it is not checked.
    assert_eq!(
        refused(
            &mut sw,
            add(0, 2, [in_port(1)], vec![apply(vec![Action::PopVlan])])
        ),
        inconsistent
    );
    ok(
        &mut sw,
        add(0, 2, [in_port(1)], vec![write(vec![Action::PopVlan])]),
    );
    // Set-field prerequisites, also in write-actions.
    let set_ip = Action::SetField(OxmField::Ipv4Dst([1, 2, 3, 4].into(), None));
    assert_eq!(
        refused(
            &mut sw,
            add(0, 3, [in_port(1)], vec![write(vec![set_ip.clone()])])
        ),
        inconsistent
    );
    ok(
        &mut sw,
        add(0, 3, [OxmField::EthType(0x0800)], vec![apply(vec![set_ip])]),
    );
    // Fields that cannot be set, masks on set-field, bad ethertypes.
    assert_eq!(
        refused(
            &mut sw,
            add(0, 4, [], vec![apply(vec![Action::SetField(in_port(2))])])
        ),
        OfError::BadAction(BadActionCode::BadSetArgument)
    );
    assert!(matches!(
        refused(
            &mut sw,
            add(
                0,
                4,
                [],
                vec![apply(vec![Action::SetField(OxmField::EthDst(
                    mac(1),
                    Some(mac(1))
                ))])]
            )
        ),
        OfError::Experimenter { exp_type: 4250, .. }
    ));
    assert_eq!(
        refused(
            &mut sw,
            add(0, 4, [], vec![apply(vec![Action::PushVlan(0x0800)])])
        ),
        OfError::BadAction(BadActionCode::BadArgument)
    );
    // dec_ttl needs IP.
    assert_eq!(
        refused(&mut sw, add(0, 4, [], vec![apply(vec![Action::DecNwTtl])])),
        inconsistent
    );
}

#[test]
fn errors_of_instructions_flags_and_commands() {
    let mut sw = switch();
    assert_eq!(
        refused(
            &mut sw,
            add(0, 1, [], vec![apply(vec![]), apply(vec![out(1)])])
        ),
        DUP_INSTRUCTION
    );
    assert_eq!(
        refused(
            &mut sw,
            add(
                0,
                1,
                [],
                vec![Instruction::Unknown {
                    instruction_type: 77,
                    body: bytes::Bytes::from_static(&[0; 4]),
                }]
            )
        ),
        OfError::BadInstruction(BadInstructionCode::UnknownInst)
    );
    assert_eq!(
        refused(
            &mut sw,
            add(
                0,
                1,
                [],
                vec![apply(vec![Action::Experimenter {
                    experimenter: 0x2320,
                    data: bytes::Bytes::from_static(&[0; 8]),
                }])]
            )
        ),
        OfError::BadAction(BadActionCode::BadExperimenter)
    );
    assert_eq!(
        refused(
            &mut sw,
            add(0, 1, [], vec![]).flags(FlowModFlags::from_bits_retain(0x80))
        ),
        OfError::FlowModFailed(FlowModFailedCode::BadFlags)
    );
    assert_eq!(
        refused(
            &mut sw,
            add(0, 1, [], vec![]).command(FlowModCommand::Unknown(9))
        ),
        OfError::FlowModFailed(FlowModFailedCode::BadCommand)
    );
    let mut buffered = add(0, 1, [], vec![]);
    buffered.buffer_id = 7;
    assert_eq!(
        refused(&mut sw, buffered),
        OfError::BadRequest(BadRequestCode::BufferUnknown)
    );
}

// The harness applies each batch twice and expects the same tables (FAUCET's check).
#[test]
fn applying_a_batch_twice_changes_nothing() {
    let batch: Vec<Message> = vec![
        add_group(
            GroupType::All,
            1,
            vec![Bucket::new(vec![out(2)]), Bucket::new(vec![out(3)])],
        ),
        meter(MeterModCommand::Add, 1, 100),
        delete(OFPTT_ALL, []).msg(),
        add(
            0,
            10,
            [in_port(1)],
            vec![Instruction::Meter(1), Instruction::GotoTable(1)],
        )
        .msg(),
        add(1, 10, [], vec![apply(vec![Action::Group(1)])]).msg(),
        add(1, 20, [vid(5)], vec![apply(vec![Action::PopVlan, out(4)])]).msg(),
        Message::BarrierRequest,
    ];
    let mut sw = switch();
    let first = sw.apply_all(t(0), &batch);
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let hash = sw.state_hash();
    let dump = sw.to_string();
    // The second ADD of the group and meter are refused (they exist), nothing else changes.
    let second = sw.apply_all(t(1), &batch);
    assert_eq!(second.errors.len(), 2);
    assert_eq!(sw.state_hash(), hash);
    assert_eq!(sw.to_string(), dump);
}
