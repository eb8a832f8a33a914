//! GROUP_MOD (§6.5) and group execution (§5.6).

use sluice_ofp::msg::error::{BadActionCode, GroupModFailedCode};
use sluice_ofp::msg::flow::{FlowModFlags, FlowRemovedReason, OFPG_ALL, OFPG_ANY};
use sluice_ofp::msg::group::{Bucket, GroupModCommand, GroupType};
use sluice_ofp::{Action, Message, OfError, PortNo};

use super::*;
use crate::Strictness;

fn watching(port: u32, actions: Vec<Action>) -> Bucket {
    Bucket {
        watch_port: PortNo(port),
        ..Bucket::new(actions)
    }
}

fn gerr(code: GroupModFailedCode) -> OfError {
    OfError::GroupModFailed(code)
}

#[test]
fn add_modify_delete() {
    let mut sw = switch();
    ok(
        &mut sw,
        add_group(GroupType::All, 1, vec![Bucket::new(vec![out(2)])]),
    );
    // §6.5: ADD of an existing group.
    assert_eq!(
        refused(&mut sw, add_group(GroupType::All, 1, vec![])),
        gerr(GroupModFailedCode::GroupExists)
    );
    // MODIFY of a missing one.
    assert_eq!(
        refused(
            &mut sw,
            group(GroupModCommand::Modify, GroupType::All, 2, vec![])
        ),
        gerr(GroupModFailedCode::UnknownGroup)
    );
    ok(
        &mut sw,
        group(
            GroupModCommand::Modify,
            GroupType::Indirect,
            1,
            vec![Bucket::new(vec![out(3)])],
        ),
    );
    assert_eq!(sw.group(1).unwrap().group_type, GroupType::Indirect);
    // Deleting a missing group is not an error.
    ok(
        &mut sw,
        group(GroupModCommand::Delete, GroupType::All, 9, vec![]),
    );
    ok(&mut sw, add_group(GroupType::All, 2, vec![]));
    ok(
        &mut sw,
        group(GroupModCommand::Delete, GroupType::All, OFPG_ALL, vec![]),
    );
    assert_eq!(sw.groups().count(), 0);
}

#[test]
fn malformed_groups() {
    let mut sw = switch();
    let b = || Bucket::new(vec![out(2)]);
    assert_eq!(
        refused(&mut sw, add_group(GroupType::All, 0xffff_ff01, vec![])),
        gerr(GroupModFailedCode::InvalidGroup)
    );
    assert_eq!(
        refused(&mut sw, add_group(GroupType::Indirect, 1, vec![b(), b()])),
        gerr(GroupModFailedCode::InvalidGroup)
    );
    assert_eq!(
        refused(&mut sw, add_group(GroupType::Unknown(9), 1, vec![])),
        gerr(GroupModFailedCode::BadType)
    );
    assert_eq!(
        refused(
            &mut sw,
            group(GroupModCommand::Unknown(7), GroupType::All, 1, vec![])
        ),
        gerr(GroupModFailedCode::BadCommand)
    );
    assert_eq!(
        refused(
            &mut sw,
            group(GroupModCommand::Delete, GroupType::All, 1, vec![b()])
        ),
        gerr(GroupModFailedCode::InvalidGroup)
    );
    let weighted = Bucket { weight: 3, ..b() };
    assert_eq!(
        refused(
            &mut sw,
            add_group(GroupType::All, 1, vec![weighted.clone()])
        ),
        gerr(GroupModFailedCode::InvalidGroup)
    );
    ok(&mut sw, add_group(GroupType::Select, 1, vec![weighted]));
    assert_eq!(
        refused(
            &mut sw,
            add_group(GroupType::All, 2, vec![watching(1, vec![])])
        ),
        gerr(GroupModFailedCode::WatchUnsupported)
    );
    assert_eq!(
        refused(&mut sw, add_group(GroupType::FastFailover, 2, vec![b()])),
        gerr(GroupModFailedCode::InvalidGroup)
    );
    assert_eq!(
        refused(
            &mut sw,
            add_group(GroupType::All, 2, vec![Bucket::new(vec![out(9)])])
        ),
        OfError::BadAction(BadActionCode::BadOutPort)
    );
}

// Open vSwitch removes the flows that use a deleted group, with reason OFPRR_GROUP_DELETE.
#[test]
fn deleting_a_group_removes_its_flows() {
    let mut sw = switch();
    ok(
        &mut sw,
        add_group(GroupType::All, 1, vec![Bucket::new(vec![out(2)])]),
    );
    ok(
        &mut sw,
        add_group(GroupType::All, 2, vec![Bucket::new(vec![out(3)])]),
    );
    ok(
        &mut sw,
        add(0, 1, [in_port(1)], vec![apply(vec![Action::Group(1)])])
            .flags(FlowModFlags::SEND_FLOW_REM),
    );
    ok(
        &mut sw,
        add(0, 1, [in_port(2)], vec![write(vec![Action::Group(1)])]),
    );
    ok(
        &mut sw,
        add(0, 1, [in_port(3)], vec![apply(vec![Action::Group(2)])]),
    );
    let msgs = ok(
        &mut sw,
        group(GroupModCommand::Delete, GroupType::All, 1, vec![]),
    );
    assert!(matches!(
        msgs.as_slice(),
        [Message::FlowRemoved(r)] if r.reason == FlowRemovedReason::GroupDelete
    ));
    assert_eq!(sw.flow_count(), 1);
}

// §6.5 chaining, enforced in Strictness::Spec only (Open vSwitch accepts all three).
#[test]
fn chaining_rules() {
    let chain_to = |g: u32| vec![Bucket::new(vec![Action::Group(g)])];
    let mut sw = switch();
    assert_eq!(
        refused(&mut sw, add_group(GroupType::All, 1, chain_to(2))),
        OfError::BadAction(BadActionCode::BadOutGroup)
    );
    ok(
        &mut sw,
        add_group(GroupType::All, 2, vec![Bucket::new(vec![out(3)])]),
    );
    ok(&mut sw, add_group(GroupType::All, 1, chain_to(2)));
    assert_eq!(
        refused(
            &mut sw,
            group(GroupModCommand::Modify, GroupType::All, 2, chain_to(1))
        ),
        gerr(GroupModFailedCode::Loop)
    );
    assert_eq!(
        refused(
            &mut sw,
            group(GroupModCommand::Delete, GroupType::All, 2, vec![])
        ),
        gerr(GroupModFailedCode::ChainedGroup)
    );
    ok(
        &mut sw,
        group(GroupModCommand::Delete, GroupType::All, OFPG_ALL, vec![]),
    );

    let mut ovs = switch().with_strictness(Strictness::Ovs);
    ok(&mut ovs, add_group(GroupType::All, 1, chain_to(2)));
    ok(&mut ovs, add_group(GroupType::All, 2, chain_to(1)));
    ok(&mut ovs, add(0, 1, [], vec![apply(vec![Action::Group(1)])]));
    // The loop ends at the depth limit, without output.
    assert!(ovs.trace(&l2(1, 1, 2)).is_dropped());
    // A loop that fans out stops after a bounded number of group executions (OVS's limit)
    // and drops the packet, however many copies it made.
    ok(
        &mut ovs,
        group(
            GroupModCommand::Modify,
            GroupType::All,
            1,
            vec![
                Bucket::new(vec![out(3)]),
                Bucket::new(vec![Action::Group(1)]),
                Bucket::new(vec![Action::Group(1)]),
            ],
        ),
    );
    let tr = ovs.trace(&l2(1, 1, 2));
    assert!(tr.is_dropped(), "{}", tr.summary());
    ok(
        &mut ovs,
        group(GroupModCommand::Delete, GroupType::All, 2, vec![]),
    );
}

// §5.6.1 all: every bucket, each on its own copy of the packet; the group does not change the
// packet for the actions after it (Open vSwitch clones).
#[test]
fn all_group_clones_per_bucket() {
    let mut sw = switch();
    ok(
        &mut sw,
        add_group(
            GroupType::All,
            1,
            vec![
                Bucket::new(vec![Action::PopVlan, out(2)]),
                Bucket::new(vec![set_vid(20), out(3)]),
            ],
        ),
    );
    ok(
        &mut sw,
        add(0, 1, [vid(10)], vec![apply(vec![Action::Group(1), out(4)])]),
    );
    let tr = sw.trace(&l2(1, 1, 2).vlan(10));
    assert_eq!(tr.summary(), "2,3[20],4[10]");
}

// Open vSwitch runs a bucket's actions as an action set: reordered, one output (the last).
#[test]
fn bucket_actions_are_an_action_set() {
    let mut sw = switch();
    ok(
        &mut sw,
        add_group(
            GroupType::All,
            1,
            vec![Bucket::new(vec![out(2), set_vid(5), out(3)])],
        ),
    );
    ok(
        &mut sw,
        add(0, 1, [vid(10)], vec![apply(vec![Action::Group(1)])]),
    );
    assert_eq!(sw.trace(&l2(1, 1, 2).vlan(10)).summary(), "3[5]");
}

#[test]
fn indirect_and_chained_groups() {
    let mut sw = switch();
    ok(
        &mut sw,
        add_group(GroupType::Indirect, 2, vec![Bucket::new(vec![out(3)])]),
    );
    ok(
        &mut sw,
        add_group(
            GroupType::All,
            1,
            vec![
                Bucket::new(vec![Action::Group(2)]),
                Bucket::new(vec![out(4)]),
            ],
        ),
    );
    ok(&mut sw, add(0, 1, [], vec![apply(vec![Action::Group(1)])]));
    assert_eq!(sw.trace(&l2(1, 1, 2)).summary(), "3,4");
}

// §5.6.1 fast failover: the first live bucket, by the port (or group) it watches.
#[test]
fn fast_failover_follows_liveness() {
    let mut sw = switch();
    ok(
        &mut sw,
        add_group(
            GroupType::FastFailover,
            1,
            vec![watching(2, vec![out(2)]), watching(3, vec![out(3)])],
        ),
    );
    ok(
        &mut sw,
        add(0, 1, [in_port(1)], vec![apply(vec![Action::Group(1)])]),
    );
    let p = l2(1, 1, 2);
    assert_eq!(sw.trace(&p).ports(), vec![PortNo(2)]);
    assert!(matches!(
        sw.set_link(2, false),
        Some(Message::PortStatus(_))
    ));
    assert_eq!(sw.trace(&p).ports(), vec![PortNo(3)]);
    sw.set_link(3, false);
    assert!(sw.trace(&p).is_dropped());
    sw.set_link(2, true);
    assert_eq!(sw.trace(&p).ports(), vec![PortNo(2)]);
    // Watching a group: live when that group has a live bucket.
    ok(
        &mut sw,
        add_group(
            GroupType::FastFailover,
            2,
            vec![
                Bucket {
                    watch_group: 1,
                    ..Bucket::new(vec![Action::Group(1)])
                },
                watching(4, vec![out(4)]),
            ],
        ),
    );
    ok(
        &mut sw,
        add(0, 1, [in_port(2)], vec![apply(vec![Action::Group(2)])]),
    );
    assert_eq!(
        sw.trace(&l2(2, 1, 2)).summary(),
        "drop",
        "2 is the input port"
    );
    sw.set_link(2, false);
    assert_eq!(sw.trace(&l2(2, 1, 2)).ports(), vec![PortNo(4)]);
    assert_eq!(OFPG_ANY, Bucket::new(vec![]).watch_group);
}

// Select: one live bucket, the same for the same packet; weights and liveness count.
#[test]
fn select_group_is_deterministic() {
    let mut sw = switch();
    let b = |port: u32, weight: u16| Bucket {
        weight,
        watch_port: PortNo(port),
        ..Bucket::new(vec![out(port)])
    };
    ok(
        &mut sw,
        add_group(GroupType::Select, 1, vec![b(2, 1), b(3, 1), b(4, 0)]),
    );
    ok(
        &mut sw,
        add(0, 1, [in_port(1)], vec![apply(vec![Action::Group(1)])]),
    );
    let mut seen = std::collections::BTreeSet::new();
    for host in 1..40 {
        let p = l2(1, host, 200);
        let a = sw.trace(&p).ports();
        assert_eq!(a.len(), 1);
        assert_eq!(a, sw.trace(&p).ports(), "stable for the same packet");
        seen.insert(a[0]);
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        vec![PortNo(2), PortNo(3)],
        "weight 0 is never picked, the others are"
    );
    sw.set_link(2, false);
    for host in 1..10 {
        assert_eq!(sw.trace(&l2(1, host, 200)).ports(), vec![PortNo(3)]);
    }
}
